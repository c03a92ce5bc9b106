/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One supervised dnsmasq per network: DHCP from the network's pool, DNS for
 * its instances' names (forwarding the rest to the host's resolvers) and,
 * with an IPv6 /64, router advertisements for SLAAC.
 *
 * Files, all in the network's run directory DIR (0711: dnsmasq drops to
 * nobody and re-reads its host files as nobody on SIGHUP):
 *   DIR/dnsmasq.conf   what it runs with (written before every spawn)
 *   DIR/dhcp-hosts     "MAC,IP,NAME" pins: instances always get their address,
 *                      and a container's address is never leased to others
 *   DIR/hosts          "IP NAME NAME.DOMAIN": names resolve before any lease
 *   DIR/dnsmasq.json   {"pid", "start_time"}: who to adopt after our restart
 *   DIR/dnsmasq.log    its log (DHCP transactions included)
 * and the lease file, which the owner places in the state directory.
 *
 * Runs in the caller's network namespace, bound to the bridge only
 * (--bind-interfaces --interface BR --except-interface lo), in its own
 * session so that barevirtd's death does not take it along; after a
 * restart it is adopted by pid + start time, as QEMU is. When it dies it is
 * started again after a backoff (0.1 s doubling to 10 s, reset after 30 s
 * of life) and the owner hears "network-dhcp-died" / "network-dhcp-started".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "net/net.h"

#define BACKOFF_MIN_USEC (100 * 1000)
#define BACKOFF_MAX_USEC (10 * 1000 * 1000)
#define STABLE_USEC (30ull * 1000 * 1000)
#define HOSTS_MAX (4u << 20)

struct net_dnsmasq {
        struct net_dnsmasq_opts o;
        char dir[PATH_MAX], lease_file[PATH_MAX], binary[PATH_MAX];
        char *conf;                   /* the text of dnsmasq.conf */
        pid_t pid;
        unsigned long long start_time;
        uint64_t started_usec;
        uint64_t backoff_usec;
        uint64_t hosts_digest;        /* of the host files last written; 0: none */
        struct bv_child *child;
        struct bv_timer *restart;
        struct bv_timer *reload;      /* a SIGHUP waiting for dnsmasq's handler */
        unsigned restarts;
};

int net_dnsmasq_find(char *buf, size_t len)
{
        static const char *const dirs[] = { "/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin", "/bin" };
        const char *env = getenv("BAREVIRT_DNSMASQ");

        if (env && *env) {
                snprintf(buf, len, "%s", env);
                return access(buf, X_OK) == 0 ? 0 : -ENOENT;
        }
        for (size_t i = 0; i < BV_ELEMENTSOF(dirs); i++) {
                snprintf(buf, len, "%s/dnsmasq", dirs[i]);
                if (access(buf, X_OK) == 0)
                        return 0;
        }
        return -ENOENT;
}

static void path_in(const struct net_dnsmasq *dm, const char *file, char *buf, size_t len)
{
        snprintf(buf, len, "%s/%s", dm->dir, file);
}

static char *conf_text(const struct net_dnsmasq *dm)
{
        const struct net_def *def = dm->o.def;
        char first[INET_ADDRSTRLEN], last[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN], p[PATH_MAX];
        struct net_cidr v4 = {};
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                return NULL;
        /* dnsmasq reads its options from this file only (--conf-file), never /etc/dnsmasq.conf. */
        fprintf(f, "# written by barevirtd for network '%s'; changes are overwritten\n", def->name);
        fprintf(f, "bind-interfaces\ninterface=%s\nexcept-interface=lo\n", def->name);
        fprintf(f, "no-hosts\ndomain-needed\nlocal=/%s/\ndomain=%s\n", def->dns_domain, def->dns_domain);
        path_in(dm, "hosts", p, sizeof(p));
        fprintf(f, "addn-hosts=%s\n", p);
        path_in(dm, "dnsmasq.log", p, sizeof(p));
        fprintf(f, "log-facility=%s\nlog-dhcp\n", p);
        if (def->dhcp > 0 && net_def_ipv4(def, &v4)) {
                struct in_addr m = { htonl(v4.prefixlen ? ~0u << (32 - v4.prefixlen) : 0) };
                inet_ntop(AF_INET, &def->dhcp_first, first, sizeof(first));
                inet_ntop(AF_INET, &def->dhcp_last, last, sizeof(last));
                inet_ntop(AF_INET, &m, mask, sizeof(mask));
                fprintf(f, "dhcp-authoritative\ndhcp-range=%s,%s,%s,1h\ndhcp-leasefile=%s\n", first, last, mask,
                        dm->lease_file);
                path_in(dm, "dhcp-hosts", p, sizeof(p));
                fprintf(f, "dhcp-hostsfile=%s\n", p);
        }
        if (net_def_has_ipv6_64(def))
                fprintf(f, "enable-ra\ndhcp-range=::,constructor:%s,ra-stateless\n", def->name);
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

static int write_pidfile(struct net_dnsmasq *dm, struct bv_error *err)
{
        char path[PATH_MAX];
        json_auto_t *o = json_pack("{s:i,s:I}", "pid", (int)dm->pid, "start_time", (json_int_t)dm->start_time);

        path_in(dm, "dnsmasq.json", path, sizeof(path));
        return o ? bv_json_write_file(path, o, err) : bv_error_set(err, ENOMEM, "Out of memory");
}

static void on_exit_(struct bv_loop *loop, pid_t pid, int status, void *userdata);

static int watch(struct net_dnsmasq *dm, struct bv_error *err)
{
        int r = bv_loop_add_child(dm->o.loop, dm->pid, on_exit_, dm, &dm->child);

        if (r < 0)
                return bv_error_set_errno(err, -r, "Failed to watch dnsmasq (pid %d)", (int)dm->pid);
        return 0;
}

static int spawn(struct net_dnsmasq *dm, struct bv_error *err)
{
        char conf[PATH_MAX], arg[PATH_MAX + 16];
        int r;

        path_in(dm, "dnsmasq.conf", conf, sizeof(conf));
        if ((r = bv_file_write_atomic(conf, dm->conf, strlen(dm->conf), 0644, err)) < 0)
                return r;
        snprintf(arg, sizeof(arg), "--conf-file=%s", conf);
        char *argv[] = { dm->binary, "--keep-in-foreground", arg, "--pid-file=", NULL };
        if ((r = bv_spawn(-1, argv, NULL, -1, true, &dm->pid)) < 0)
                return bv_error_set_errno(err, -r, "Failed to start '%s'", dm->binary);
        dm->start_time = 0;
        bv_proc_start_time(dm->pid, &dm->start_time);
        dm->started_usec = bv_now_usec();
        if ((r = watch(dm, err)) < 0 || (r = write_pidfile(dm, err)) < 0) {
                kill(dm->pid, SIGKILL);
                dm->child = bv_child_remove(dm->child);
                (void)bv_proc_wait_timeout(dm->pid, 1000, &(int){ 0 });
                dm->pid = 0;
                return r;
        }
        return 0;
}

static void backoff_double(struct net_dnsmasq *dm)
{
        dm->backoff_usec = dm->backoff_usec * 2 > BACKOFF_MAX_USEC ? BACKOFF_MAX_USEC : dm->backoff_usec * 2;
}

static void emit(struct net_dnsmasq *dm, const char *event, json_t *data)
{
        if (dm->o.on_event)
                dm->o.on_event(dm, event, data, dm->o.userdata);
        json_decref(data);
}

static void on_restart(struct bv_loop *loop, void *userdata)
{
        struct net_dnsmasq *dm = userdata;
        struct bv_error err = {};

        dm->restart = NULL;
        if (spawn(dm, &err) < 0) {
                emit(dm, "network-dhcp-died", json_pack("{s:s,s:s}", "name", dm->o.def->name, "reason", err.msg));
                backoff_double(dm);
                bv_loop_add_timer(dm->o.loop, dm->backoff_usec, on_restart, dm, &dm->restart);
                return;
        }
        dm->restarts++;
        emit(dm, "network-dhcp-started", json_pack("{s:s,s:i,s:i}", "name", dm->o.def->name, "pid", (int)dm->pid,
                                                  "restarts", (int)dm->restarts));
}

static void on_exit_(struct bv_loop *loop, pid_t pid, int status, void *userdata)
{
        struct net_dnsmasq *dm = userdata;
        char how[64];

        dm->child = NULL;
        dm->pid = 0;
        if (status == -1)
                snprintf(how, sizeof(how), "exited");
        else if (WIFSIGNALED(status))
                snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
        else
                snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
        if (bv_now_usec() - dm->started_usec > STABLE_USEC)
                dm->backoff_usec = BACKOFF_MIN_USEC;
        else
                backoff_double(dm);
        emit(dm, "network-dhcp-died", json_pack("{s:s,s:i,s:s,s:I}", "name", dm->o.def->name, "pid", (int)pid,
                                               "reason", how, "restart_in_ms", (json_int_t)(dm->backoff_usec / 1000)));
        bv_loop_add_timer(dm->o.loop, dm->backoff_usec, on_restart, dm, &dm->restart);
}

/*
 * SIGTERM, then SIGKILL after 2 s; returns once pid is gone (bounded). A
 * spawned dnsmasq is our child and is reaped; an adopted one is init's.
 */
static void terminate(pid_t pid)
{
        int status;

        if (pid <= 0 || kill(pid, SIGTERM) < 0)
                return;
        if (bv_proc_wait_timeout(pid, 2000, &status) == -ETIMEDOUT) {
                kill(pid, SIGKILL);
                (void)bv_proc_wait_timeout(pid, 1000, &status);
        }
        for (int i = 0; i < 200 && kill(pid, 0) == 0; i++)
                usleep(10 * 1000);
}

/* Adopts the dnsmasq that DIR/dnsmasq.json names when it still runs with the same configuration. */
static bool adopt(struct net_dnsmasq *dm)
{
        char path[PATH_MAX];
        json_auto_t *o = NULL;
        _cleanup_free_ char *old = NULL;
        unsigned long long st = 0;
        size_t len;

        path_in(dm, "dnsmasq.json", path, sizeof(path));
        if (bv_json_load_file(path, 4096, &o, NULL) < 0)
                return false;
        pid_t pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
        unsigned long long want = (unsigned long long)json_integer_value(json_object_get(o, "start_time"));
        if (pid <= 1 || bv_proc_start_time(pid, &st) < 0 || st != want)
                return false;
        path_in(dm, "dnsmasq.conf", path, sizeof(path));
        if (bv_file_read(path, 1 << 20, &old, &len, NULL) < 0 || strcmp(old, dm->conf) != 0) {
                /* Ours, but started with another configuration: replace it (once it has let go of its ports). */
                terminate(pid);
                return false;
        }
        dm->pid = pid;
        dm->start_time = st;
        dm->started_usec = bv_now_usec();
        return watch(dm, NULL) == 0;
}

/* dnsmasq drops to nobody and re-reads its host files as nobody: every directory above dir must let it pass. */
static int check_reachable(const char *dir, struct bv_error *err)
{
        char path[PATH_MAX];
        struct stat st;

        snprintf(path, sizeof(path), "%s", dir);
        for (char *slash = strrchr(path, '/'); slash && slash != path; slash = strrchr(path, '/')) {
                *slash = '\0';
                if (stat(path, &st) == 0 && !(st.st_mode & S_IXOTH))
                        return bv_error_set(err, EACCES, "dnsmasq runs as 'nobody' and cannot reach '%s': '%s' "
                                            "needs search permission for others (chmod o+x)", dir, path);
        }
        return 0;
}

int net_dnsmasq_start(const struct net_dnsmasq_opts *o, struct net_dnsmasq **ret, bool *ret_adopted,
                      struct bv_error *err)
{
        struct net_dnsmasq *dm = calloc(1, sizeof(*dm));
        int r;

        if (!dm)
                return bv_error_set(err, ENOMEM, "Out of memory");
        dm->o = *o;
        dm->backoff_usec = BACKOFF_MIN_USEC;
        snprintf(dm->dir, sizeof(dm->dir), "%s", o->dir);
        snprintf(dm->lease_file, sizeof(dm->lease_file), "%s", o->lease_file);
        if (net_dnsmasq_find(dm->binary, sizeof(dm->binary)) < 0) {
                free(dm);
                return bv_error_set(err, ENOENT, "dnsmasq is not installed (Debian package 'dnsmasq-base'); "
                                    "networks without --no-dhcp need it");
        }
        if (!(dm->conf = conf_text(dm))) {
                free(dm);
                return bv_error_set(err, ENOMEM, "Out of memory");
        }
        *ret_adopted = false;
        if ((r = bv_mkdir_p(dm->dir, 0711, err)) < 0 || chmod(dm->dir, 0711) < 0 ||
            (r = check_reachable(dm->dir, err)) < 0) {
                r = r < 0 ? r : bv_error_set_errno(err, errno, "Failed to make '%s' readable", dm->dir);
                net_dnsmasq_free(dm);
                return r;
        }
        if (!(*ret_adopted = adopt(dm)) && (r = spawn(dm, err)) < 0) {
                net_dnsmasq_free(dm);
                return r;
        }
        *ret = dm;
        return 0;
}

pid_t net_dnsmasq_pid(const struct net_dnsmasq *dm)
{
        return dm ? dm->pid : 0;
}

/* FNV-1a, to skip rewriting (and re-reading) host files that did not change. */
static uint64_t digest(const char *a, const char *b)
{
        uint64_t h = 1469598103934665603ull;

        for (const char *s = a; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
        for (const char *s = b; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ull;
        return h | 1;
}

/* Whether pid has its SIGHUP handler installed yet (SigCgt in /proc/PID/status): before, SIGHUP kills it. */
static bool catches_sighup(pid_t pid)
{
        char path[64], line[256];
        bool yes = false;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "SigCgt:", 7) == 0) {
                        unsigned long long mask = strtoull(line + 7, NULL, 16);
                        yes = mask & (1ull << (SIGHUP - 1));
                        break;
                }
        fclose(f);
        return yes;
}

static void on_reload(struct bv_loop *loop, void *userdata);

/* SIGHUP: dnsmasq re-reads dhcp-hostsfile and addn-hosts and clears its cache; a fresh one is waited for. */
static void reload(struct net_dnsmasq *dm)
{
        if (dm->pid <= 0 || dm->reload)
                return;
        if (catches_sighup(dm->pid))
                kill(dm->pid, SIGHUP);
        else if (bv_now_usec() - dm->started_usec < 5ull * 1000 * 1000)
                bv_loop_add_timer(dm->o.loop, 20 * 1000, on_reload, dm, &dm->reload);
}

static void on_reload(struct bv_loop *loop, void *userdata)
{
        struct net_dnsmasq *dm = userdata;

        dm->reload = NULL;
        reload(dm);
}

int net_dnsmasq_set_hosts(struct net_dnsmasq *dm, const struct net_dnsmasq_host *hosts, size_t n,
                          struct bv_error *err)
{
        _cleanup_free_ char *pins = NULL, *names = NULL;
        size_t pins_len = 0, names_len = 0;
        FILE *fp = open_memstream(&pins, &pins_len), *fn = open_memstream(&names, &names_len);
        char path[PATH_MAX];
        int r;

        if (!fp || !fn) {
                if (fp)
                        fclose(fp);
                if (fn)
                        fclose(fn);
                return bv_error_set(err, ENOMEM, "Out of memory");
        }
        for (size_t i = 0; i < n; i++) {
                char ip[INET_ADDRSTRLEN];
                const uint8_t *m = hosts[i].mac;
                inet_ntop(AF_INET, &hosts[i].ip, ip, sizeof(ip));
                if (hosts[i].has_mac)
                        fprintf(fp, "%02x:%02x:%02x:%02x:%02x:%02x,%s,%s\n", m[0], m[1], m[2], m[3], m[4], m[5], ip,
                                hosts[i].name);
                fprintf(fn, "%s %s %s.%s\n", ip, hosts[i].name, hosts[i].name, dm->o.def->dns_domain);
        }
        fclose(fp);
        fclose(fn);
        if (!pins || !names || pins_len + names_len > HOSTS_MAX)
                return bv_error_set(err, ENOMEM, "Host files for network '%s' too large", dm->o.def->name);
        uint64_t h = digest(pins, names);
        if (h == dm->hosts_digest)
                return 0;
        path_in(dm, "dhcp-hosts", path, sizeof(path));
        if ((r = bv_file_write_atomic(path, pins, pins_len, 0644, err)) < 0)
                return r;
        path_in(dm, "hosts", path, sizeof(path));
        if ((r = bv_file_write_atomic(path, names, names_len, 0644, err)) < 0)
                return r;
        dm->hosts_digest = h;
        reload(dm);
        return 0;
}

struct net_dnsmasq *net_dnsmasq_free(struct net_dnsmasq *dm)
{
        if (!dm)
                return NULL;
        bv_child_remove(dm->child);
        bv_timer_cancel(dm->restart);
        bv_timer_cancel(dm->reload);
        free(dm->conf);
        free(dm);
        return NULL;
}

void net_dnsmasq_stop(struct net_dnsmasq *dm, bool remove_files)
{
        char path[PATH_MAX];

        if (!dm)
                return;
        dm->child = bv_child_remove(dm->child);
        dm->restart = bv_timer_cancel(dm->restart);
        dm->reload = bv_timer_cancel(dm->reload);
        terminate(dm->pid);
        dm->pid = 0;
        if (remove_files) {
                static const char *const files[] = { "dnsmasq.conf", "dhcp-hosts", "hosts", "dnsmasq.json",
                                                     "dnsmasq.log" };
                for (size_t i = 0; i < BV_ELEMENTSOF(files); i++) {
                        path_in(dm, files[i], path, sizeof(path));
                        unlink(path);
                }
                rmdir(dm->dir);
                unlink(dm->lease_file);
        }
        net_dnsmasq_free(dm);
}

/* ---- the lease file ------------------------------------------------------------------------- */

int net_dnsmasq_leases(const char *lease_file, struct net_lease **ret, size_t *ret_n, struct bv_error *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = bv_file_read(lease_file, HOSTS_MAX, &buf, &len, err);

        if (r == -ENOENT) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (r < 0)
                return r;
        return net_dnsmasq_leases_parse(buf, ret, ret_n, err);
}

int net_dnsmasq_leases_parse(char *buf, struct net_lease **ret, size_t *ret_n, struct bv_error *err)
{
        size_t n = 0, cap = 0;
        struct net_lease *a = NULL;

        /*
         * "EXPIRY MAC IP HOSTNAME CLIENT-ID" per line; "duid ..." lines are
         * DHCPv6's. The host names are what DHCP clients sent: bounded, and
         * lines that do not parse are skipped.
         */
        for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct net_lease l = {};
                char mac[32], ip[INET6_ADDRSTRLEN], host[64];
                unsigned long long expiry;
                if (sscanf(line, "%llu %31s %45s %63s", &expiry, mac, ip, host) != 4 ||
                    net_mac_parse(mac, l.mac, NULL) < 0 || inet_pton(AF_INET, ip, &l.ip) != 1)
                        continue;
                l.expiry = (int64_t)expiry;
                snprintf(l.hostname, sizeof(l.hostname), "%s", strcmp(host, "*") ? host : "");
                if (n == cap) {
                        size_t c = cap ? cap * 2 : 16;
                        struct net_lease *t = reallocarray(a, c, sizeof(*a));
                        if (!t) {
                                free(a);
                                return bv_error_set(err, ENOMEM, "Out of memory");
                        }
                        a = t;
                        cap = c;
                }
                a[n++] = l;
        }
        *ret = a;
        *ret_n = n;
        return 0;
}
