/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Firewall groups (security groups in Proxmox's and OpenStack's sense):
 * named lists of rules with a default per direction, which a NIC names with
 * "firewall": GROUP. One file per group, STATE/firewall/GROUP.json, written
 * atomically:
 *
 *   {"name": "web", "default_in": "accept"|"drop", "default_out": "accept"|"drop",
 *    "rules": [{"direction": "in"|"out", "proto": "tcp"|"udp"|"icmp"|"any",
 *               "port": N | "N-M", "from": CIDR (in) | "to": CIDR (out),
 *               "action": "accept"|"drop"}]}
 *
 * Invariants: every group in memory (d->fw, loaded at start) passed
 * net_nft_ruleset_check(), and its file says the same. A change is checked
 * whole first, then applied to nftables at once (the kernel's refusal is
 * the request's answer), then stored; a failure at any step puts memory
 * and the tables back, so a bad request changes nothing. A group named by
 * a NIC of any definition cannot be deleted; a NIC naming a group that
 * does not exist is refused at create and start (firewall_check_nic()).
 * netsvc-nft.c turns the groups into the ruleset (firewall_nft_groups()).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "net/net.h"
#include "tools/daemon/daemon.h"
#include "vmm/vmm.h"

#define GROUP_FILE_MAX (1u << 20)

static const char *const group_keys[] = { "name", "default_in", "default_out", "rules", NULL };
static const char *const rule_keys[] = { "direction", "proto", "port", "from", "to", "action", NULL };
static const char *const protos[] = { "any", "tcp", "udp", "icmp", NULL };
static const int proto_nums[] = { 0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };

static void group_path(struct barevirtd *d, const char *name, char *buf, size_t len)
{
        snprintf(buf, len, "%s/firewall/%s.json", d->state_dir, name);
}

/* "accept" or "drop" at key (default accept); *ret true for accept. */
static int get_policy(const json_t *o, const char *key, const char *flag, bool *ret, struct bv_error *err)
{
        const json_t *v = json_object_get(o, key);
        const char *s = json_string_value(v);

        *ret = true;
        if (!v || json_is_null(v))
                return 0;
        if (!s || (strcmp(s, "accept") != 0 && strcmp(s, "drop") != 0))
                return bv_error_set(err, EINVAL, "%s: '%.32s' is not accept or drop", flag, s ? s : "(not a string)");
        *ret = strcmp(s, "accept") == 0;
        return 0;
}

/* "N", "N-M" or a JSON integer: destination ports 1-65535. */
static int parse_port(const json_t *v, struct net_nft_rule *r, struct bv_error *err)
{
        char buf[32];
        unsigned lo, hi;

        if (json_is_integer(v)) {
                json_int_t n = json_integer_value(v);
                if (n < 1 || n > 65535)
                        return bv_error_set(err, EINVAL, "--port: %lld is not a port (1-65535)", (long long)n);
                r->port_lo = (uint16_t)n;
                return 0;
        }
        if (!json_is_string(v) || json_string_length(v) >= sizeof(buf))
                return bv_error_set(err, EINVAL, "--port: must be N or N-M (1-65535)");
        snprintf(buf, sizeof(buf), "%s", json_string_value(v));
        char *dash = strchr(buf, '-');
        if (dash)
                *dash = '\0';
        if (bv_parse_uint(buf, 1, 65535, &lo) < 0 || (dash && bv_parse_uint(dash + 1, 1, 65535, &hi) < 0))
                return bv_error_set(err, EINVAL, "--port: '%s' is not N or N-M with ports 1-65535",
                                    json_string_value(v));
        if (dash && hi < lo)
                return bv_error_set(err, EINVAL, "--port: '%s' ends before it starts", json_string_value(v));
        r->port_lo = (uint16_t)lo;
        r->port_hi = dash && hi != lo ? (uint16_t)hi : 0;
        return 0;
}

/*
 * Rule object o into *ret; canon (if not NULL) gets its stored form (keys
 * in one order, the port as N or "N-M"). -EINVAL naming the flag.
 */
static int parse_rule(const json_t *o, struct net_nft_rule *ret, json_t **canon, struct bv_error *err)
{
        struct net_nft_rule r = { 0 };
        const char *dir, *proto, *action, *peer_key;
        const json_t *port, *peer;
        int i;

        if (!json_is_object(o))
                return bv_error_set(err, EINVAL, "A rule is an object {\"direction\", \"proto\", \"port\", \"from\"|\"to\", \"action\"}");
        if (bv_json_check_keys(o, rule_keys, "", err) < 0)
                return -EINVAL;
        dir = json_string_value(json_object_get(o, "direction"));
        proto = json_string_value(json_object_get(o, "proto"));
        action = json_string_value(json_object_get(o, "action"));
        if (!dir || (strcmp(dir, "in") != 0 && strcmp(dir, "out") != 0))
                return bv_error_set(err, EINVAL, "A rule needs --in or --out (\"direction\": \"in\"|\"out\")");
        r.in = strcmp(dir, "in") == 0;
        if (!proto || (i = bv_json_list_index(proto, protos)) < 0)
                return bv_error_set(err, EINVAL, "--proto: '%.32s' is not tcp, udp, icmp or any", proto ? proto : "");
        r.proto = proto_nums[i];
        if (!action || (strcmp(action, "accept") != 0 && strcmp(action, "drop") != 0))
                return bv_error_set(err, EINVAL, "--action: '%.32s' is not accept or drop", action ? action : "");
        r.accept = strcmp(action, "accept") == 0;
        if ((port = json_object_get(o, "port")) && !json_is_null(port)) {
                if (r.proto != IPPROTO_TCP && r.proto != IPPROTO_UDP)
                        return bv_error_set(err, EINVAL, "--port: a port needs --proto tcp or udp, not '%s'", proto);
                if (parse_port(port, &r, err) < 0)
                        return -EINVAL;
        }
        if (json_object_get(o, r.in ? "to" : "from"))
                return bv_error_set(err, EINVAL, "%s: an %s rule matches its peer with %s", r.in ? "--to" : "--from",
                                    r.in ? "--in" : "--out", r.in ? "--from" : "--to");
        peer_key = r.in ? "from" : "to";
        if ((peer = json_object_get(o, peer_key)) && !json_is_null(peer)) {
                const char *s = json_string_value(peer);
                if (!s || net_cidr_parse(s, false, &r.peer, NULL) < 0)
                        return bv_error_set(err, EINVAL, "--%s: '%.64s' is not a CIDR (10.0.0.0/24, fd00::/64) or an address",
                                            peer_key, s ? s : "(not a string)");
                r.has_peer = true;
        }
        if (canon) {
                char cidr[INET6_ADDRSTRLEN + 8], range[16];
                json_t *c = json_pack("{s:s,s:s}", "direction", dir, "proto", proto);
                if (c && r.port_lo && r.port_hi) {
                        snprintf(range, sizeof(range), "%u-%u", r.port_lo, r.port_hi);
                        json_object_set_new(c, "port", json_string(range));
                } else if (c && r.port_lo)
                        json_object_set_new(c, "port", json_integer(r.port_lo));
                if (c && r.has_peer)
                        json_object_set_new(c, peer_key, json_string(net_cidr_format(&r.peer, cidr, sizeof(cidr))));
                if (c)
                        json_object_set_new(c, "action", json_string(action));
                if (!c)
                        return bv_error_set(err, ENOMEM, "Out of memory");
                *canon = c;
        }
        *ret = r;
        return 0;
}

/* Checks group object o whole (keys, policies, rules, limits); canon gets the stored form. */
static int parse_group(const json_t *o, json_t **canon, struct bv_error *err)
{
        const char *name = json_string_value(json_object_get(o, "name"));
        const json_t *rules = json_object_get(o, "rules");
        bool in, out;
        size_t i;
        json_t *r;

        if (!json_is_object(o))
                return bv_error_set(err, EINVAL, "A firewall group is an object {\"name\", \"default_in\", \"default_out\", \"rules\"}");
        if (bv_json_check_keys(o, group_keys, "", err) < 0)
                return -EINVAL;
        if (!name)
                return bv_error_set(err, EINVAL, "name: required");
        if (!bv_name_is_valid(name))
                return bv_error_set(err, EINVAL, "Invalid firewall group name '%.64s': 1-63 bytes of [A-Za-z0-9._-], "
                                    "starting with a letter or digit", name);
        if (get_policy(o, "default_in", "--default-in", &in, err) < 0 ||
            get_policy(o, "default_out", "--default-out", &out, err) < 0)
                return -EINVAL;
        if (rules && !json_is_null(rules) && !json_is_array(rules))
                return bv_error_set(err, EINVAL, "rules: must be an array");
        if (json_array_size(rules) > NET_NFT_MAX_RULES)
                return bv_error_set(err, E2BIG, "Firewall group '%s' would have %zu rules (at most %d)", name,
                                    json_array_size(rules), NET_NFT_MAX_RULES);
        json_t *c = json_pack("{s:s,s:s,s:s,s:[]}", "name", name, "default_in", in ? "accept" : "drop",
                              "default_out", out ? "accept" : "drop", "rules");
        if (!c)
                return bv_error_set(err, ENOMEM, "Out of memory");
        json_array_foreach(rules, i, r) {
                struct net_nft_rule nr;
                json_t *cr = NULL;
                if (parse_rule(r, &nr, &cr, err) < 0) {
                        bv_error_prefix(err, "rules[%zu]", i);
                        json_decref(c);
                        return -EINVAL;
                }
                json_array_append_new(json_object_get(c, "rules"), cr);
        }
        *canon = c;
        return 0;
}

/* ---- the groups in memory ---------------------------------------------------------------------- */

int firewall_load(struct barevirtd *d)
{
        char dir[PATH_MAX];
        struct dirent *e;
        DIR *dp;

        if (!d->fw && !(d->fw = json_object()))
                return -ENOMEM;
        snprintf(dir, sizeof(dir), "%s/firewall", d->state_dir);
        if (!(dp = opendir(dir)))
                return errno == ENOENT ? 0 : -errno;
        while ((e = readdir(dp))) {
                size_t n = strlen(e->d_name);
                char path[PATH_MAX];
                struct bv_error err = {};
                json_t *o = NULL, *c = NULL;

                if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                if (bv_json_load_file(path, GROUP_FILE_MAX, &o, &err) < 0 || parse_group(o, &c, &err) < 0)
                        bv_warn("ignoring firewall group '%s': %s", path, err.msg);
                else if (strncmp(e->d_name, json_string_value(json_object_get(c, "name")), n - 5) != 0 ||
                         json_string_length(json_object_get(c, "name")) != n - 5)
                        bv_warn("ignoring firewall group '%s': its name is not its file's", path);
                else
                        json_object_set(d->fw, json_string_value(json_object_get(c, "name")), c);
                json_decref(o);
                json_decref(c);
        }
        closedir(dp);
        return 0;
}

void firewall_free(struct barevirtd *d)
{
        json_decref(d->fw);
        d->fw = NULL;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The group names in order (a malloc'ed array of borrowed strings; NULL and n 0 when none). */
static const char **sorted_names(struct barevirtd *d, size_t *ret_n)
{
        size_t n = json_object_size(d->fw), i = 0;
        const char **names = n ? calloc(n, sizeof(*names)) : NULL;
        const char *key;
        json_t *v;

        *ret_n = 0;
        if (!names)
                return NULL;
        json_object_foreach(d->fw, key, v)
                names[i++] = key;
        qsort(names, n, sizeof(*names), by_name);
        *ret_n = n;
        return names;
}

/* Stored group g into *ng, its rules into rules (room for all of them): they were checked when stored. */
static int group_to_nft(const json_t *g, struct net_nft_group *ng, struct net_nft_rule *rules, struct bv_error *err)
{
        size_t i;
        json_t *r;

        *ng = (struct net_nft_group){
                .name = json_string_value(json_object_get(g, "name")), .rules = rules,
                .default_in_accept = strcmp(json_string_value(json_object_get(g, "default_in")), "accept") == 0,
                .default_out_accept = strcmp(json_string_value(json_object_get(g, "default_out")), "accept") == 0,
        };
        json_array_foreach(json_object_get(g, "rules"), i, r) {
                if (parse_rule(r, &rules[ng->n_rules], NULL, err) < 0)
                        return bv_error_set(err, EINVAL, "Firewall group '%s': bad rule %zu", ng->name, i + 1);
                ng->n_rules++;
        }
        return 0;
}

int firewall_nft_groups(struct barevirtd *d, struct net_nft_group **ret, size_t *ret_n, struct net_nft_rule **ret_rules)
{
        size_t n = 0, n_rules = 0, k = 0;
        _cleanup_free_ const char **names = sorted_names(d, &n);
        struct net_nft_group *g;
        struct net_nft_rule *rules = NULL;

        *ret = NULL;
        *ret_n = 0;
        *ret_rules = NULL;
        if (n == 0)
                return 0;
        for (size_t i = 0; i < n; i++)
                n_rules += json_array_size(json_object_get(json_object_get(d->fw, names[i]), "rules"));
        if (!(g = calloc(n, sizeof(*g))) || (n_rules && !(rules = calloc(n_rules, sizeof(*rules))))) {
                free(g);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                (void)group_to_nft(json_object_get(d->fw, names[i]), &g[i], rules ? &rules[k] : NULL, NULL);
                k += g[i].n_rules;
        }
        *ret = g;
        *ret_n = n;
        *ret_rules = rules;
        return 0;
}

bool firewall_exists(struct barevirtd *d, const char *name)
{
        return name && json_object_get(d->fw, name);
}

int firewall_check_nic(struct barevirtd *d, const char *group, size_t nic, struct bv_error *err)
{
        if (!group || firewall_exists(d, group))
                return 0;
        return bv_error_set(err, EINVAL, "nics[%zu].firewall: no firewall group named '%s' (see 'barevirt net firewall list')",
                            nic, group);
}

int firewall_check_vm(struct barevirtd *d, const struct vmm_def *def, struct bv_error *err)
{
        int r = 0;

        for (size_t i = 0; r >= 0 && i < def->n_nics; i++)
                r = firewall_check_nic(d, def->nics[i].firewall, i, err);
        return r;
}

int firewall_check_ct(struct barevirtd *d, const struct ctr_ct_def *def, struct bv_error *err)
{
        int r = 0;

        for (size_t i = 0; r >= 0 && i < def->n_nics; i++)
                r = firewall_check_nic(d, def->nics[i].firewall, i, err);
        return r;
}

/* Every NIC of a definition naming group: [{"instance", "kind", "nic"}], VMs first. */
static json_t *group_users(struct barevirtd *d, const char *group)
{
        json_t *users = json_array();

        for (size_t i = 0; i < d->reg.n_vms; i++) {
                const struct vmm_def *def = vmm_vm_def(d->reg.vms[i]);
                for (size_t k = 0; k < def->n_nics; k++)
                        if (def->nics[k].firewall && strcmp(def->nics[k].firewall, group) == 0)
                                json_array_append_new(users, json_pack("{s:s,s:s,s:i}", "instance", def->name,
                                                                       "kind", "VM", "nic", (int)k));
        }
        for (size_t i = 0; i < d->reg.n_cts; i++) {
                const struct ctr_ct_def *def = ctr_ct_get_def(d->reg.cts[i]);
                for (size_t k = 0; k < def->n_nics; k++)
                        if (def->nics[k].firewall && strcmp(def->nics[k].firewall, group) == 0)
                                json_array_append_new(users, json_pack("{s:s,s:s,s:i}", "instance", def->name,
                                                                       "kind", "container", "nic", (int)k));
        }
        return users;
}

/* ---- what the API shows ------------------------------------------------------------------------ */

static json_t *group_json(struct barevirtd *d, const json_t *g)
{
        json_t *o = json_deep_copy(g), *users = group_users(d, json_string_value(json_object_get(g, "name"))), *u;
        size_t i;

        json_array_foreach(users, i, u)
                json_object_del(u, "kind");   /* the API shows {"instance", "nic"} */
        /* Rules are numbered from 1, as `net firewall rule delete GROUP INDEX` takes them. */
        json_array_foreach(json_object_get(o, "rules"), i, u)
                json_object_set_new(u, "index", json_integer((json_int_t)i + 1));
        json_object_set_new(o, "used_by", users);
        json_object_set_new(o, "stateful", json_boolean(netsvc_nft_stateful(d)));
        return o;
}

json_t *firewall_list_json(struct barevirtd *d)
{
        size_t n = 0;
        _cleanup_free_ const char **names = sorted_names(d, &n);
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, group_json(d, json_object_get(d->fw, names[i])));
        return a;
}

int firewall_group_json(struct barevirtd *d, const char *name, json_t **ret, struct bv_error *err)
{
        const json_t *g = json_object_get(d->fw, name);

        if (!g)
                return bv_error_set(err, ENOENT, "No firewall group named '%.64s'", name);
        *ret = group_json(d, g);
        return 0;
}

/* ---- changes ----------------------------------------------------------------------------------- */

/*
 * Makes group name next (NULL: no such group), applies nftables, stores
 * the file (or removes it); on failure puts the old group back and applies
 * again. next is borrowed.
 */
static int commit(struct barevirtd *d, const char *name, json_t *next, struct bv_error *err)
{
        json_t *prev = json_incref(json_object_get(d->fw, name));
        char path[PATH_MAX], dir[PATH_MAX];
        int r;

        if (next)
                json_object_set(d->fw, name, next);
        else
                json_object_del(d->fw, name);
        group_path(d, name, path, sizeof(path));
        snprintf(dir, sizeof(dir), "%s/firewall", d->state_dir);
        r = netsvc_nft_apply(d, err);
        if (r >= 0 && next && (r = bv_mkdir_p(dir, 0755, err)) >= 0)
                r = bv_json_write_file(path, next, err);
        if (r >= 0 && !next && unlink(path) < 0 && errno != ENOENT)
                r = bv_error_set(err, errno, "Cannot remove '%s': %s", path, strerror(errno));
        if (r < 0) {
                struct bv_error ignored = {};
                if (prev)
                        json_object_set(d->fw, name, prev);
                else
                        json_object_del(d->fw, name);
                (void)netsvc_nft_apply(d, &ignored);
        }
        json_decref(prev);
        return r;
}

/* Checks group g as nftables would (the library's own checks), without a kernel. */
static int check_nft(const json_t *g, struct bv_error *err)
{
        size_t n = json_array_size(json_object_get(g, "rules"));
        _cleanup_free_ struct net_nft_rule *rules = n ? calloc(n, sizeof(*rules)) : NULL;
        struct net_nft_group ng;
        int r;

        if (n > NET_NFT_MAX_RULES)
                return bv_error_set(err, EINVAL, "Firewall group '%s' would have %zu rules (at most %d)",
                                    json_string_value(json_object_get(g, "name")), n, NET_NFT_MAX_RULES);
        if (n && !rules)
                return bv_error_set(err, ENOMEM, "Out of memory");
        if ((r = group_to_nft(g, &ng, rules, err)) < 0)
                return r;
        struct net_nft_ruleset rs = { .groups = &ng, .n_groups = 1 };
        return net_nft_ruleset_check(&rs, err);
}

int firewall_group_create(struct barevirtd *d, const json_t *body, json_t **ret, struct bv_error *err)
{
        json_auto_t *g = NULL;
        int r;

        if ((r = parse_group(body, &g, err)) < 0)
                return r;
        const char *name = json_string_value(json_object_get(g, "name"));
        if (firewall_exists(d, name))
                return bv_error_set(err, EEXIST, "Firewall group '%s' exists already", name);
        if (json_object_size(d->fw) >= NET_NFT_MAX_GROUPS)
                return bv_error_set(err, ENOSPC, "Too many firewall groups (at most %d)", NET_NFT_MAX_GROUPS);
        if ((r = check_nft(g, err)) < 0 || (r = commit(d, name, g, err)) < 0)
                return r;
        *ret = group_json(d, g);
        return 0;
}

int firewall_group_delete(struct barevirtd *d, const char *name, struct bv_error *err)
{
        if (!firewall_exists(d, name))
                return bv_error_set(err, ENOENT, "No firewall group named '%.64s'", name);
        json_auto_t *users = group_users(d, name);
        const json_t *u = json_array_get(users, 0);
        if (u)
                return bv_error_set(err, EBUSY, "Firewall group '%s' is used by %s '%s'; change its NICs first", name,
                                    json_string_value(json_object_get(u, "kind")),
                                    json_string_value(json_object_get(u, "instance")));
        return commit(d, name, NULL, err);
}

int firewall_rule_add(struct barevirtd *d, const char *name, const json_t *rule, json_t **ret, struct bv_error *err)
{
        const json_t *g = json_object_get(d->fw, name);
        struct net_nft_rule nr;
        json_t *canon = NULL;
        int r;

        if (!g)
                return bv_error_set(err, ENOENT, "No firewall group named '%.64s'", name);
        if (json_array_size(json_object_get(g, "rules")) >= NET_NFT_MAX_RULES)
                return bv_error_set(err, ENOSPC, "Firewall group '%s' has %d rules already (at most %d)", name,
                                    NET_NFT_MAX_RULES, NET_NFT_MAX_RULES);
        if ((r = parse_rule(rule, &nr, &canon, err)) < 0)
                return r;
        json_auto_t *next = json_deep_copy(g);
        if (!next) {
                json_decref(canon);
                return bv_error_set(err, ENOMEM, "Out of memory");
        }
        json_array_append_new(json_object_get(next, "rules"), canon);
        if ((r = check_nft(next, err)) < 0 || (r = commit(d, name, next, err)) < 0)
                return r;
        *ret = group_json(d, next);
        return 0;
}

int firewall_rule_delete(struct barevirtd *d, const char *name, const char *index, struct bv_error *err)
{
        const json_t *g = json_object_get(d->fw, name);
        size_t n = json_array_size(json_object_get(g, "rules"));
        unsigned i;

        if (!g)
                return bv_error_set(err, ENOENT, "No firewall group named '%.64s'", name);
        if (n == 0)
                return bv_error_set(err, ENOENT, "Firewall group '%s' has no rules", name);
        if (bv_parse_uint(index, 1, 1u << 20, &i) < 0 || i > n)
                return bv_error_set(err, ENOENT, "Firewall group '%s' has no rule '%.16s' (rules are numbered 1-%zu; "
                                    "see 'barevirt net firewall rule list %s')", name, index, n, name);
        json_auto_t *next = json_deep_copy(g);
        if (!next)
                return bv_error_set(err, ENOMEM, "Out of memory");
        json_array_remove(json_object_get(next, "rules"), i - 1);
        return commit(d, name, next, err);
}
