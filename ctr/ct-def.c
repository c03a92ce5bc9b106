/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Container definitions from and to JSON (STATE/containers/NAME.json, the
 * body of POST /v1/containers). Every key is checked against the known keys
 * of its object, every value's type and range is checked, and a message
 * names the key path ("limits.memory: 0 is out of range 4..1048576"), so a
 * typo never silently changes nothing. Only the JSON is checked here: what
 * exists on the host (files, networks) is the daemon's business.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "common/common.h"
#include "ctr/ctr.h"

static const char *const def_keys[] = { "name", "rootfs", "image", "image_id", "command", "system",
        "env", "cwd", "user", "hostname", "nics", "limits", "seccomp", "cap_add", "cap_drop",
        "privileged", "userns", "userns_base", "mounts", "autostart", "stop_timeout", "restart", "dns", "project", NULL };
static const char *const nic_keys[] = { "network", "ip", "gw", "mac", "firewall", NULL };
static const char *const mount_keys[] = { "source", "destination", "readonly", "idmap", NULL };
static const char *const limit_keys[] = { "memory", "memory_swap", "cpus", "cpu_weight", "pids",
        "io_weight", NULL };
static const char *const restart_names[] = { "no", "on-failure", "always", NULL };

#define PATH_MAX_LEN 4000
#define PIDS_MAX 4194304
#define CPUS_MIN 0.01
#define CPUS_MAX 1024.0

static bool is_abs_path(const char *p)
{
        return p && p[0] == '/';
}

/* An absolute path without "." or ".." components (defends against escaping a root). */
static bool is_clean_abs_path(const char *p)
{
        if (!is_abs_path(p))
                return false;
        for (const char *s = p; *s;) {
                while (*s == '/')
                        s++;
                size_t n = strcspn(s, "/");
                if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
                        return false;
                s += n;
        }
        return true;
}

static int check_env(const char *s, const char *path, struct bv_error *err)
{
        const char *eq = strchr(s, '=');

        if (!eq || eq == s)
                return bv_error_set(err, EINVAL, "%s: '%.64s' is not of the form KEY=VALUE", path, s);
        return 0;
}

static int check_cap(const char *s, const char *path, struct bv_error *err)
{
        cap_value_t v;
        char name[64];

        if (strcmp(s, "ALL") == 0)
                return 0;
        snprintf(name, sizeof(name), "%s%s", strncasecmp(s, "CAP_", 4) == 0 ? "" : "CAP_", s);
        if (strlen(s) > 40 || cap_from_name(name, &v) < 0)
                return bv_error_set(err, EINVAL, "%s: unknown capability '%.64s'", path, s);
        return 0;
}

/* Capability names are stored as "CAP_NET_ADMIN" whatever the user wrote ("net_admin"). */
static int normalise_caps(char **l)
{
        for (; l && *l; l++) {
                if (strcmp(*l, "ALL") == 0)
                        continue;
                char *n;
                if (asprintf(&n, "%s%s", strncasecmp(*l, "CAP_", 4) == 0 ? "" : "CAP_", *l) < 0)
                        return -ENOMEM;
                for (char *p = n; *p; p++)
                        *p = (char)toupper((unsigned char)*p);
                free(*l);
                *l = n;
        }
        return 0;
}

static int parse_user(struct ctr_ct_def *d, struct bv_error *err)
{
        char buf[32];
        unsigned uid, gid = 0;
        char *colon;

        if (strlen(d->user) >= sizeof(buf))
                return bv_error_set(err, EINVAL, "user: '%.32s' is not uid[:gid]", d->user);
        strcpy(buf, d->user);
        colon = strchr(buf, ':');
        if (colon)
                *colon++ = 0;
        if (bv_parse_uint(buf, 0, 0xfffffffeu, &uid) < 0 ||
            (colon && bv_parse_uint(colon, 0, 0xfffffffeu, &gid) < 0))
                return bv_error_set(err, EINVAL, "user: '%.32s' is not uid[:gid] (numbers)", d->user);
        d->uid = uid;
        d->gid = gid;
        return 0;
}

/* A unicast MAC address, not all zero. */
static int parse_mac(const char *s, uint8_t mac[6])
{
        if (bv_json_parse_mac(s, mac) < 0 || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
                return -EINVAL;
        return 0;
}

void ctr_ct_mac_derive(const char *name, unsigned index, uint8_t mac[6])
{
        /* FNV-1a 64 over name, a separator and index: stable across restarts and hosts. */
        uint64_t h = 14695981039346656037ULL;
        for (const char *p = name; *p; p++)
                h = (h ^ (uint8_t)*p) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL;
        for (int i = 0; i < 4; i++)
                h = (h ^ ((index >> (8 * i)) & 0xff)) * 1099511628211ULL;
        mac[0] = 0x02;   /* locally administered, unicast */
        for (int i = 1; i < 6; i++)
                mac[i] = (h >> (8 * (i - 1))) & 0xff;
}

static bool is_cidr(const char *s)
{
        char addr[64];
        const char *slash = strchr(s, '/');
        unsigned char buf[16];
        unsigned prefix;

        if (!slash || (size_t)(slash - s) >= sizeof(addr))
                return false;
        memcpy(addr, s, (size_t)(slash - s));
        addr[slash - s] = 0;
        if (inet_pton(AF_INET, addr, buf) == 1)
                return bv_parse_uint(slash + 1, 1, 32, &prefix) == 0;
        if (inet_pton(AF_INET6, addr, buf) == 1)
                return bv_parse_uint(slash + 1, 1, 128, &prefix) == 0;
        return false;
}

static bool is_ip(const char *s)
{
        unsigned char buf[16];
        return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int parse_nic(const json_t *o, size_t i, const char *ct, struct ctr_ct_nic *n, struct bv_error *err)
{
        char where[32];
        _cleanup_free_ char *mac = NULL;
        int r;

        if ((r = bv_json_check_element(o, "nics", i, nic_keys, where, sizeof(where), err)) < 0 ||
            (r = bv_json_get_str(o, "network", where, 64, &n->network, err)) < 0 ||
            (r = bv_json_get_str(o, "ip", where, 64, &n->ip, err)) < 0 ||
            (r = bv_json_get_str(o, "gw", where, 64, &n->gw, err)) < 0 ||
            (r = bv_json_get_str(o, "mac", where, 32, &mac, err)) < 0 ||
            (r = bv_json_get_str(o, "firewall", where, 64, &n->firewall, err)) < 0)
                return r;
        if (!n->network)
                return bv_error_set(err, EINVAL, "%snetwork: required", where);
        if (!bv_name_is_valid(n->network))
                return bv_error_set(err, EINVAL, "%snetwork: invalid network name '%.64s'", where, n->network);
        if (n->firewall && !bv_name_is_valid(n->firewall))
                return bv_error_set(err, EINVAL, "%sfirewall: invalid firewall group name '%.64s'", where,
                                    n->firewall);
        if (n->ip && !is_cidr(n->ip))
                return bv_error_set(err, EINVAL, "%sip: '%.64s' is not an address/prefix (10.0.0.5/24)",
                                    where, n->ip);
        if (n->gw && !is_ip(n->gw))
                return bv_error_set(err, EINVAL, "%sgw: '%.64s' is not an IP address", where, n->gw);
        if (n->gw && !n->ip)
                return bv_error_set(err, EINVAL, "%sgw: a gateway needs an ip", where);
        if (mac) {
                if (parse_mac(mac, n->mac) < 0)
                        return bv_error_set(err, EINVAL, "%smac: '%.32s' is not a unicast MAC address",
                                            where, mac);
                n->mac_given = true;
        } else
                ctr_ct_mac_derive(ct, (unsigned)i, n->mac);
        return 0;
}

static int parse_mount(const json_t *o, size_t i, struct ctr_ct_mount *m, struct bv_error *err)
{
        char where[32];
        int r;

        if ((r = bv_json_check_element(o, "mounts", i, mount_keys, where, sizeof(where), err)) < 0 ||
            (r = bv_json_get_str(o, "source", where, PATH_MAX_LEN, &m->source, err)) < 0 ||
            (r = bv_json_get_str(o, "destination", where, PATH_MAX_LEN, &m->destination, err)) < 0 ||
            (r = bv_json_get_bool(o, "readonly", where, &m->readonly, err)) < 0 ||
            (r = bv_json_get_bool(o, "idmap", where, &m->idmap, err)) < 0)
                return r;
        if (!is_abs_path(m->source))
                return bv_error_set(err, EINVAL, "%ssource: an absolute path is required", where);
        if (!is_clean_abs_path(m->destination))
                return bv_error_set(err, EINVAL, "%sdestination: an absolute path without '.' or '..' is required",
                                    where);
        if (strspn(m->destination, "/") == strlen(m->destination))
                return bv_error_set(err, EINVAL, "%sdestination: cannot mount over /", where);
        return 0;
}

static int parse_limits(const json_t *o, struct ctr_ct_limits *l, struct bv_error *err)
{
        json_t *v;
        int r;

        if (!o || json_is_null(o))
                return 0;
        if (!json_is_object(o))
                return bv_error_set(err, EINVAL, "limits: expected an object");
        if ((r = bv_json_check_keys(o, limit_keys, "limits.", err)) < 0 ||
            (r = bv_json_get_u64(o, "memory", "limits.", CTR_MIN_MEMORY_MIB, CTR_MAX_MEMORY_MIB, &l->memory_mib, err)) < 0 ||
            (r = bv_json_get_u64(o, "memory_swap", "limits.", CTR_MIN_MEMORY_MIB, CTR_MAX_MEMORY_MIB, &l->memory_swap_mib, err)) < 0 ||
            (r = bv_json_get_uint(o, "cpu_weight", "limits.", 1, 10000, &l->cpu_weight, err)) < 0 ||
            (r = bv_json_get_u64(o, "pids", "limits.", 1, PIDS_MAX, &l->pids, err)) < 0 ||
            (r = bv_json_get_uint(o, "io_weight", "limits.", 1, 10000, &l->io_weight, err)) < 0)
                return r;
        if (l->memory_swap_mib) {
                if (!l->memory_mib)
                        return bv_error_set(err, EINVAL, "limits.memory_swap: needs limits.memory");
                if (l->memory_swap_mib < l->memory_mib)
                        return bv_error_set(err, EINVAL,
                                            "limits.memory_swap: %llu is below limits.memory (%llu); it is memory plus swap",
                                            (unsigned long long)l->memory_swap_mib,
                                            (unsigned long long)l->memory_mib);
        }
        v = json_object_get(o, "cpus");
        if (v && !json_is_null(v)) {
                if (!json_is_number(v))
                        return bv_error_set(err, EINVAL, "limits.cpus: expected a number");
                double c = json_number_value(v);
                if (!isfinite(c) || c < CPUS_MIN || c > CPUS_MAX)
                        return bv_error_set(err, EINVAL, "limits.cpus: %g is out of range %g..%g", c,
                                            CPUS_MIN, CPUS_MAX);
                l->cpus = c;
        }
        return 0;
}

/* name: required, a valid instance name. */
static int parse_name(const json_t *j, struct ctr_ct_def *d, struct bv_error *err)
{
        int r;

        if ((r = bv_json_check_keys(j, def_keys, "", err)) < 0 ||
            (r = bv_json_get_str(j, "name", "", 64, &d->name, err)) < 0)
                return r;
        if (!d->name)
                return bv_error_set(err, EINVAL, "name: required");
        return bv_name_check(d->name, "container", err);
}

/* rootfs or image (with its optional image_id): one of them, absolute. */
static int parse_root(const json_t *j, struct ctr_ct_def *d, struct bv_error *err)
{
        int r;

        if ((r = bv_json_get_str(j, "rootfs", "", PATH_MAX_LEN, &d->rootfs, err)) < 0 ||
            (r = bv_json_get_str(j, "image", "", PATH_MAX_LEN, &d->image, err)) < 0 ||
            (r = bv_json_get_str(j, "image_id", "", 16, &d->image_id, err)) < 0)
                return r;
        if (!d->rootfs == !d->image)
                return bv_error_set(err, EINVAL, d->rootfs ? "rootfs, image: give one, not both"
                                                           : "rootfs or image: one is required");
        if (d->rootfs && !is_abs_path(d->rootfs))
                return bv_error_set(err, EINVAL, "rootfs: an absolute path is required");
        if (d->image && !is_abs_path(d->image))
                return bv_error_set(err, EINVAL, "image: an absolute path is required");
        if (d->image_id && (strlen(d->image_id) != 16 || strspn(d->image_id, "0123456789abcdef") != 16))
                return bv_error_set(err, EINVAL, "image_id: expected 16 hex digits");
        if (d->image_id && !d->image)
                return bv_error_set(err, EINVAL, "image_id: only with image");
        return 0;
}

/* command (default /sbin/init) and system (default: true without a command). */
static int parse_command(const json_t *j, struct ctr_ct_def *d, struct bv_error *err)
{
        int r;

        if ((r = bv_json_get_strv(j, "command", "", CTR_CT_MAX_ARGS, PATH_MAX_LEN, NULL, &d->command,
                                  &d->n_command, err)) < 0)
                return r;
        d->command_given = r > 0;
        if (d->command_given && (d->n_command == 0 || !d->command[0][0]))
                return bv_error_set(err, EINVAL, "command: needs at least the program");
        if (!d->command_given) {
                free(d->command);
                if (!(d->command = calloc(2, sizeof(char *))) || !(d->command[0] = strdup("/sbin/init")))
                        return -ENOMEM;
                d->n_command = 1;
        }
        d->system = !d->command_given;
        r = bv_json_get_bool(j, "system", "", &d->system, err);
        return r < 0 ? r : 0;
}

/* env, cwd (default /), user (default 0:0) and hostname (default the name). */
static int parse_process(const json_t *j, struct ctr_ct_def *d, struct bv_error *err)
{
        int r;

        if ((r = bv_json_get_strv(j, "env", "", CTR_CT_MAX_ENV, PATH_MAX_LEN, check_env, &d->env, &d->n_env,
                                  err)) < 0)
                return r;
        if (!d->env && !(d->env = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if ((r = bv_json_get_str(j, "cwd", "", PATH_MAX_LEN, &d->cwd, err)) < 0)
                return r;
        if (!d->cwd && !(d->cwd = strdup("/")))
                return -ENOMEM;
        if (!is_abs_path(d->cwd))
                return bv_error_set(err, EINVAL, "cwd: an absolute path is required");
        if ((r = bv_json_get_str(j, "user", "", 31, &d->user, err)) < 0)
                return r;
        if (!d->user && !(d->user = strdup("0:0")))
                return -ENOMEM;
        if ((r = parse_user(d, err)) < 0)
                return r;
        if ((r = bv_json_get_str(j, "hostname", "", 63, &d->hostname, err)) < 0)
                return r;
        if (!d->hostname && !(d->hostname = strdup(d->name)))
                return -ENOMEM;
        if (!bv_hostname_is_valid(d->hostname))
                return bv_error_set(err, EINVAL, "hostname: '%.64s' is not a valid host name", d->hostname);
        _cleanup_free_ char *dns = NULL;
        if ((r = bv_json_get_str(j, "dns", "", 16, &dns, err)) < 0)
                return r;
        if (dns && strcmp(dns, "none") != 0 && strcmp(dns, "network") != 0)
                return bv_error_set(err, EINVAL, "dns: must be 'network' (the network's resolver) or 'none'");
        d->dns_none = dns && strcmp(dns, "none") == 0;
        if ((r = bv_json_get_str(j, "project", "", 63, &d->project, err)) < 0)
                return r;
        if (d->project && (r = bv_name_check(d->project, "project", err)) < 0)
                return r;
        return 0;
}

/* nics, then limits. */
static int parse_nics_limits(const json_t *j, struct ctr_ct_def *d, struct bv_error *err)
{
        json_t *a = NULL, *v;
        size_t i;
        int r;

        if ((r = bv_json_get_array(j, "nics", "", CTR_CT_MAX_NICS, &a, err)) < 0)
                return r;
        json_array_foreach(a, i, v) {
                d->n_nics = i + 1;
                if ((r = parse_nic(v, i, d->name, &d->nics[i], err)) < 0)
                        return r;
        }
        return parse_limits(json_object_get(j, "limits"), &d->limits, err);
}

/* seccomp (default "default"), cap_add and cap_drop (normalised), privileged, userns and its base. */
static int parse_security(const json_t *j, struct ctr_ct_def *d, struct bv_error *err)
{
        uint64_t base = 0;
        int r;

        if ((r = bv_json_get_str(j, "seccomp", "", PATH_MAX_LEN, &d->seccomp, err)) < 0)
                return r;
        if (!d->seccomp && !(d->seccomp = strdup("default")))
                return -ENOMEM;
        if (strcmp(d->seccomp, "default") != 0 && strcmp(d->seccomp, "none") != 0 && !is_abs_path(d->seccomp))
                return bv_error_set(err, EINVAL, "seccomp: 'default', 'none' or an absolute path to a profile");
        if ((r = bv_json_get_strv(j, "cap_add", "", CTR_CT_MAX_CAPS, PATH_MAX_LEN, check_cap, &d->cap_add,
                                  &d->n_cap_add, err)) < 0 ||
            (r = bv_json_get_strv(j, "cap_drop", "", CTR_CT_MAX_CAPS, PATH_MAX_LEN, check_cap, &d->cap_drop,
                                  &d->n_cap_drop, err)) < 0)
                return r;
        if ((!d->cap_add && !(d->cap_add = calloc(1, sizeof(char *)))) ||
            (!d->cap_drop && !(d->cap_drop = calloc(1, sizeof(char *)))))
                return -ENOMEM;
        if (normalise_caps(d->cap_add) < 0 || normalise_caps(d->cap_drop) < 0)
                return -ENOMEM;
        if ((r = bv_json_get_bool(j, "privileged", "", &d->privileged, err)) < 0 ||
            (r = bv_json_get_bool(j, "userns", "", &d->userns, err)) < 0)
                return r;
        if ((r = bv_json_get_u64(j, "userns_base", "", 1, 0xffffffffULL - CTR_CT_USERNS_SIZE, &base, err)) < 0)
                return r;
        if (r > 0 && !d->userns)
                return bv_error_set(err, EINVAL, "userns_base: only with userns");
        d->userns_base = (uint32_t)base;
        if (d->userns && (d->uid >= CTR_CT_USERNS_SIZE || d->gid >= CTR_CT_USERNS_SIZE))
                return bv_error_set(err, EINVAL, "user: with userns, ids must be below %d", CTR_CT_USERNS_SIZE);
        return 0;
}

/* mounts; idmap only with userns. */
static int parse_mounts(const json_t *j, struct ctr_ct_def *d, struct bv_error *err)
{
        json_t *a = NULL, *v;
        size_t i;
        int r;

        if ((r = bv_json_get_array(j, "mounts", "", CTR_CT_MAX_MOUNTS, &a, err)) < 0)
                return r;
        json_array_foreach(a, i, v) {
                d->n_mounts = i + 1;
                if ((r = parse_mount(v, i, &d->mounts[i], err)) < 0)
                        return r;
                if (d->mounts[i].idmap && !d->userns)
                        return bv_error_set(err, EINVAL, "mounts[%zu].idmap: only with userns", i);
        }
        return 0;
}

/* autostart, stop_timeout (default 10 s), restart. */
static int parse_lifecycle(const json_t *j, struct ctr_ct_def *d, struct bv_error *err)
{
        _cleanup_free_ char *restart = NULL;
        int r;

        d->stop_timeout = 10;
        if ((r = bv_json_get_bool(j, "autostart", "", &d->autostart, err)) < 0 ||
            (r = bv_json_get_uint(j, "stop_timeout", "", 0, CTR_CT_MAX_STOP_TIMEOUT, &d->stop_timeout, err)) < 0 ||
            (r = bv_json_get_str(j, "restart", "", 32, &restart, err)) < 0)
                return r;
        if (restart && ctr_ct_restart_from_string(restart, &d->restart) < 0)
                return bv_error_set(err, EINVAL, "restart: '%.32s' is not one of 'no', 'on-failure', 'always'",
                                    restart);
        return 0;
}

static int parse_body(const json_t *j, struct ctr_ct_def *d, struct bv_error *err)
{
        static int (*const steps[])(const json_t *j, struct ctr_ct_def *d, struct bv_error *err) = {
                parse_name, parse_root, parse_command, parse_process, parse_nics_limits, parse_security,
                parse_mounts, parse_lifecycle,
        };

        if (!json_is_object(j))
                return bv_error_set(err, EINVAL, "A container definition must be a JSON object");
        for (size_t k = 0; k < BV_ELEMENTSOF(steps); k++) {
                int r = steps[k](j, d, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int ctr_ct_def_parse(const json_t *j, struct ctr_ct_def **ret, struct bv_error *err)
{
        struct ctr_ct_def *d = calloc(1, sizeof(*d));
        int r;

        if (!d)
                return -ENOMEM;
        r = parse_body(j, d, err);
        if (r < 0) {
                ctr_ct_def_free(d);
                return r == -ENOMEM ? bv_error_set(err, ENOMEM, "Out of memory") : r;
        }
        *ret = d;
        return 0;
}

static void strv_free(char **l)
{
        for (char **p = l; p && *p; p++)
                free(*p);
        free(l);
}

struct ctr_ct_def *ctr_ct_def_free(struct ctr_ct_def *d)
{
        if (!d)
                return NULL;
        free(d->name);
        free(d->rootfs);
        free(d->image);
        free(d->image_id);
        strv_free(d->command);
        strv_free(d->env);
        free(d->cwd);
        free(d->user);
        free(d->hostname);
        free(d->project);
        for (size_t i = 0; i < CTR_CT_MAX_NICS; i++) {
                free(d->nics[i].network);
                free(d->nics[i].ip);
                free(d->nics[i].firewall);
                free(d->nics[i].gw);
        }
        free(d->seccomp);
        strv_free(d->cap_add);
        strv_free(d->cap_drop);
        for (size_t i = 0; i < CTR_CT_MAX_MOUNTS; i++) {
                free(d->mounts[i].source);
                free(d->mounts[i].destination);
        }
        free(d);
        return NULL;
}

int ctr_ct_def_stop_signal(const struct ctr_ct_def *def)
{
        return def->system ? SIGPWR : SIGTERM;
}

const char *ctr_ct_restart_name(enum ctr_ct_restart r)
{
        return (unsigned)r < BV_ELEMENTSOF(restart_names) - 1 ? restart_names[r] : "no";
}

int ctr_ct_restart_from_string(const char *s, enum ctr_ct_restart *ret)
{
        int i = bv_json_list_index(s, restart_names);

        if (i < 0)
                return i;
        *ret = (enum ctr_ct_restart)i;
        return 0;
}

static json_t *strv_to_json(char **l)
{
        json_t *a = json_array();
        for (char **p = l; a && p && *p; p++)
                if (json_array_append_new(a, json_string(*p)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static int set_new(json_t *o, const char *key, json_t *v)
{
        return v ? json_object_set_new(o, key, v) : -1;
}

json_t *ctr_ct_def_to_json(const struct ctr_ct_def *d)
{
        json_auto_t *o = json_object(), *nics = json_array(), *mounts = json_array(), *lim = json_object();
        int bad = 0;

        if (!o || !nics || !mounts || !lim)
                return NULL;
        bad |= set_new(o, "name", json_string(d->name));
        if (d->rootfs)
                bad |= set_new(o, "rootfs", json_string(d->rootfs));
        if (d->image)
                bad |= set_new(o, "image", json_string(d->image));
        if (d->image_id)
                bad |= set_new(o, "image_id", json_string(d->image_id));
        bad |= set_new(o, "command", strv_to_json(d->command));
        bad |= set_new(o, "system", json_boolean(d->system));
        bad |= set_new(o, "env", strv_to_json(d->env));
        bad |= set_new(o, "cwd", json_string(d->cwd));
        bad |= set_new(o, "user", json_string(d->user));
        bad |= set_new(o, "hostname", json_string(d->hostname));
        if (d->dns_none)
                bad |= set_new(o, "dns", json_string("none"));
        if (d->project)
                bad |= set_new(o, "project", json_string(d->project));
        for (size_t i = 0; i < d->n_nics; i++) {
                const struct ctr_ct_nic *n = &d->nics[i];
                json_t *no = json_object();
                bad |= set_new(no, "network", json_string(n->network));
                if (n->ip)
                        bad |= set_new(no, "ip", json_string(n->ip));
                if (n->gw)
                        bad |= set_new(no, "gw", json_string(n->gw));
                if (n->mac_given)
                        bad |= set_new(no, "mac", bv_json_mac(n->mac));
                if (n->firewall)
                        bad |= set_new(no, "firewall", json_string(n->firewall));
                bad |= json_array_append_new(nics, no);
        }
        bad |= json_object_set(o, "nics", nics);
        if (d->limits.memory_mib)
                bad |= set_new(lim, "memory", json_integer((json_int_t)d->limits.memory_mib));
        if (d->limits.memory_swap_mib)
                bad |= set_new(lim, "memory_swap", json_integer((json_int_t)d->limits.memory_swap_mib));
        if (d->limits.cpus > 0)
                bad |= set_new(lim, "cpus", json_real(d->limits.cpus));
        if (d->limits.cpu_weight)
                bad |= set_new(lim, "cpu_weight", json_integer(d->limits.cpu_weight));
        if (d->limits.pids)
                bad |= set_new(lim, "pids", json_integer((json_int_t)d->limits.pids));
        if (d->limits.io_weight)
                bad |= set_new(lim, "io_weight", json_integer(d->limits.io_weight));
        bad |= json_object_set(o, "limits", lim);
        bad |= set_new(o, "seccomp", json_string(d->seccomp));
        bad |= set_new(o, "cap_add", strv_to_json(d->cap_add));
        bad |= set_new(o, "cap_drop", strv_to_json(d->cap_drop));
        bad |= set_new(o, "privileged", json_boolean(d->privileged));
        bad |= set_new(o, "userns", json_boolean(d->userns));
        if (d->userns_base)
                bad |= set_new(o, "userns_base", json_integer(d->userns_base));
        for (size_t i = 0; i < d->n_mounts; i++) {
                json_t *mo = json_object();
                bad |= set_new(mo, "source", json_string(d->mounts[i].source));
                bad |= set_new(mo, "destination", json_string(d->mounts[i].destination));
                bad |= set_new(mo, "readonly", json_boolean(d->mounts[i].readonly));
                if (d->mounts[i].idmap)
                        bad |= set_new(mo, "idmap", json_true());
                bad |= json_array_append_new(mounts, mo);
        }
        bad |= json_object_set(o, "mounts", mounts);
        bad |= set_new(o, "autostart", json_boolean(d->autostart));
        bad |= set_new(o, "stop_timeout", json_integer(d->stop_timeout));
        bad |= set_new(o, "restart", json_string(ctr_ct_restart_name(d->restart)));
        return bad ? NULL : TAKE_PTR(o);
}
