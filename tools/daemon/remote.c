/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --listen: HTTPS through barevirt-proxy, privilege separated (issue 15,
 * item 7). barevirtd binds every ADDR:PORT itself (so ports below 1024
 * work), makes or reads the server certificate, starts barevirt-proxy
 * with one end of a SOCK_SEQPACKET socketpair as fd 3 and sends it one
 * TLS_MSG_CONFIG (tls/tls.h): the listening sockets and the PEM bytes,
 * never a path. The proxy terminates TLS as an unprivileged user and hands
 * every connection over as a TLS_MSG_CONN and an fd, which joins the API
 * server here with the peer's identity attached (struct auth_peer); auth.c
 * decides each of its requests. barevirtd links no TLS library: the
 * certificate is made by `barevirt-proxy --make-identity` and its
 * fingerprint computed from the PEM (tls/pem.c).
 *
 * Invariants: the proxy is restarted when it dies, after a backoff that
 * doubles from 100 ms to 30 s (reset once it ran a minute); connections it
 * held are lost (clients reconnect), the listening sockets stay ours.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tls/tls.h"
#include "tools/daemon/daemon.h"

#define BACKOFF_MIN_USEC (100 * 1000ULL)
#define BACKOFF_MAX_USEC (30 * 1000000ULL)
#define STABLE_USEC (60 * 1000000ULL)
_Static_assert(TLS_PEER_MAX == 64, "daemon.h's remote_join_addrs() says 64");

struct remote {
        struct barevirtd *d;
        struct bv_http_server *api;   /* the remote connections' own server */
        int fds[REMOTE_MAX_LISTEN];
        size_t n_fds;
        char *cert, *key, *ca;
        size_t cert_len, key_len, ca_len;
        char fingerprint[BV_SHA256_HEX];
        char proxy[PATH_MAX];
        pid_t pid;
        int ctl;
        struct bv_child *child;
        struct bv_watch *ctl_watch;
        struct bv_timer *restart;
        uint64_t started, backoff;
        unsigned restarts;
};

int remote_parse_listen(const char *s, struct sockaddr_storage *ss, unsigned *len, struct bv_error *err)
{
        socklen_t sl;

        if (tls_addr_parse(s, ss, &sl) < 0)
                return bv_error_set(err, EINVAL, "--listen '%s': expected ADDR:PORT ([ADDR]:PORT for IPv6), ADDR an IP address", s);
        *len = sl;
        return 0;
}

static int bind_one(const char *spec, struct bv_error *err)
{
        struct sockaddr_storage ss;
        unsigned len = 0;
        int one = 1, r;

        if ((r = remote_parse_listen(spec, &ss, &len, err)) < 0)
                return r;
        _cleanup_close_ int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return bv_error_set_errno(err, errno, "--listen '%s': socket failed", spec);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        /* Accepted sockets inherit it: no Nagle delay on small answers (the proxy may not call setsockopt). */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (ss.ss_family == AF_INET6)
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 128) < 0)
                return bv_error_set_errno(err, errno, "--listen '%s'", spec);
        return TAKE_FD(fd);
}

/* The SANs of a certificate we make: localhost, loopback, and every --listen address that is not a wildcard. */
static size_t identity_sans(struct barevirtd *d, char sans[][80], size_t max)
{
        size_t n = 0;

        snprintf(sans[n++], 80, "--san=DNS:localhost");
        snprintf(sans[n++], 80, "--san=IP:127.0.0.1");
        snprintf(sans[n++], 80, "--san=IP:::1");
        for (size_t i = 0; i < d->n_listen && n < max; i++) {
                static const char *const skip[] = { "0.0.0.0", "::", "127.0.0.1", "::1", NULL };
                const char *s = d->listen[i];
                char host[64];
                int hl = (int)(strrchr(s, ':') - s);  /* parsed already: the colon is there */
                if (s[0] == '[')
                        s++, hl -= 2;
                snprintf(host, sizeof(host), "%.*s", hl, s);
                if (!bv_json_in_list(host, skip))
                        snprintf(sans[n++], 80, "--san=IP:%s", host);
        }
        return n;
}

/* Runs `barevirt-proxy --make-identity DIR` as root, once (blocks: start-up only). */
static int make_identity(struct remote *rm, const char *dir, struct bv_error *err)
{
        char sans[REMOTE_MAX_LISTEN + 3][80], host[HOST_NAME_MAX + 1] = "localhost", hostarg[HOST_NAME_MAX + 16];
        char *argv[REMOTE_MAX_LISTEN + 8];
        size_t n = 0, n_sans = identity_sans(rm->d, sans, BV_ELEMENTSOF(sans));
        const int fds[3] = { -1, 2, 2 };
        pid_t pid;
        int status, r;

        gethostname(host, sizeof(host) - 1);
        if (!bv_hostname_is_valid(host))
                snprintf(host, sizeof(host), "localhost");
        snprintf(hostarg, sizeof(hostarg), "--hostname=%s", host);
        argv[n++] = rm->proxy;
        argv[n++] = "--make-identity";
        argv[n++] = (char *)dir;
        argv[n++] = hostarg;
        for (size_t i = 0; i < n_sans; i++)
                argv[n++] = sans[i];
        argv[n] = NULL;
        if (access(rm->proxy, X_OK) < 0)
                return bv_error_set_errno(err, errno, "Cannot run barevirt-proxy at '%s'", rm->proxy);
        if ((r = bv_spawn(-1, argv, fds, -1, false, &pid)) < 0)
                return bv_error_set_errno(err, r, "Cannot run '%s'", rm->proxy);
        while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
                ;
        if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return bv_error_set(err, EIO, "barevirt-proxy --make-identity '%s' failed (see its message above)", dir);
        return 0;
}

static int load_identity(struct remote *rm, struct bv_error *err)
{
        struct barevirtd *d = rm->d;
        char dir[PATH_MAX], cert[PATH_MAX + 16], key[PATH_MAX + 16], ca[PATH_MAX + 16];
        int r;

        snprintf(dir, sizeof(dir), "%s/tls", d->state_dir);
        snprintf(cert, sizeof(cert), "%s/server.pem", dir);
        snprintf(key, sizeof(key), "%s/server.key", dir);
        snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
        if ((d->tls_cert != NULL) != (d->tls_key != NULL))
                return bv_error_set(err, EINVAL, "--tls-cert and --tls-key go together");
        if (!d->tls_cert && access(cert, F_OK) < 0) {
                if ((r = bv_mkdir_p(dir, 0700, err)) < 0 || (r = make_identity(rm, dir, err)) < 0)
                        return r;
                bv_info("made a CA and a server certificate in '%s'", dir);
        }
        if ((r = bv_file_read(d->tls_cert ? d->tls_cert : cert, TLS_PEM_MAX, &rm->cert, &rm->cert_len, err)) < 0 ||
            (r = bv_file_read(d->tls_key ? d->tls_key : key, TLS_PEM_MAX, &rm->key, &rm->key_len, err)) < 0)
                return r;
        if (!d->tls_cert && (r = bv_file_read(ca, TLS_PEM_MAX, &rm->ca, &rm->ca_len, err)) < 0)
                return r;
        if ((r = tls_pem_fingerprint(rm->cert, rm->cert_len, rm->fingerprint, err)) < 0)
                return bv_error_prefix(err, "Server certificate: ");
        return 0;
}

/* barevirt-proxy: --proxy, else beside barevirtd (the build tree), else in libexecdir. */
static void find_proxy(struct remote *rm)
{
        char self[PATH_MAX];
        ssize_t n;

        if (rm->d->proxy_path) {
                snprintf(rm->proxy, sizeof(rm->proxy), "%s", rm->d->proxy_path);
                return;
        }
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = '\0';
                char *slash = strrchr(self, '/');
                if (slash) {
                        *slash = '\0';
                        snprintf(rm->proxy, sizeof(rm->proxy), "%s/barevirt-proxy", self);
                        if (access(rm->proxy, X_OK) == 0)
                                return;
                }
        }
        snprintf(rm->proxy, sizeof(rm->proxy), "%s/barevirt-proxy", BV_LIBEXECDIR);
}

static void peer_free(void *p)
{
        free(p);
}

/* One TLS_MSG_CONN: checked, its fd checked to be a UNIX stream socket, then served as an API client. */
static void take_conn(struct remote *rm, const char *buf, ssize_t n, int fd)
{
        struct tls_msg_conn m;
        struct bv_error err = {};
        int type = 0, domain = 0;
        socklen_t l1 = sizeof(type), l2 = sizeof(domain);

        if (tls_msg_conn_check(buf, (size_t)n, &m, &err) < 0 || fd < 0 ||
            getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l1) < 0 || type != SOCK_STREAM ||
            getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l2) < 0 || domain != AF_UNIX) {
                /* The proxy speaks our protocol or it is not our proxy any more. */
                bv_warn("barevirt-proxy sent a bad control message (%s); restarting it",
                        err.msg[0] ? err.msg : "not a connection");
                if (fd >= 0)
                        close(fd);
                kill(rm->pid, SIGKILL);
                return;
        }
        struct auth_peer *p = calloc(1, sizeof(*p));
        if (!p) {
                close(fd);
                return;
        }
        snprintf(p->addr, sizeof(p->addr), "%s", m.peer);
        snprintf(p->fingerprint, sizeof(p->fingerprint), "%s", m.fingerprint);
        p->ca_verified = m.flags & TLS_CONN_CA;
        bv_fd_set_nonblock(fd, 1);
        bv_http_server_adopt(rm->api, fd, p, peer_free);
}

/* One TLS_MSG_REFUSED: a connection the proxy refused before HTTP, for the audit log. */
static void take_refusal(struct remote *rm, const char *buf, ssize_t n)
{
        struct tls_msg_refused m;
        struct bv_error err = {};

        if (tls_msg_refused_check(buf, (size_t)n, &m, &err) < 0) {
                bv_warn("barevirt-proxy sent a bad control message (%s); restarting it", err.msg);
                kill(rm->pid, SIGKILL);
                return;
        }
        audit_refused(rm->d, m.peer, m.reason, m.suppressed);
}

static void on_ctl(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct remote *rm = userdata;
        char buf[sizeof(struct tls_msg_refused) + sizeof(struct tls_msg_conn) + 64];

        for (int i = 0; i < 64; i++) {
                int fds[BV_FD_SEND_MAX];
                size_t nfds = 0;
                ssize_t n = bv_fd_recv(fd, buf, sizeof(buf), fds, BV_FD_SEND_MAX, &nfds);
                if (n == -EAGAIN || n == -EINTR)
                        return;
                if (n < 0) {
                        bv_warn("barevirt-proxy sent a bad control message (%s); restarting it", strerror((int)-n));
                        kill(rm->pid, SIGKILL);
                        n = 0;
                }
                if (n == 0) {
                        /* The proxy is going; its exit restarts it. */
                        rm->ctl_watch = bv_watch_remove(rm->ctl_watch);
                        return;
                }
                for (size_t k = 1; k < nfds; k++)
                        close(fds[k]);
                if (tls_msg_type(buf, (size_t)n) == TLS_MSG_REFUSED && nfds == 0)
                        take_refusal(rm, buf, n);
                else
                        take_conn(rm, buf, n, nfds == 1 ? fds[0] : -1);
        }
}

static int spawn_proxy(struct remote *rm, struct bv_error *err);

static void on_restart(struct bv_loop *loop, void *userdata)
{
        struct remote *rm = userdata;
        struct bv_error err = {};

        rm->restart = NULL;
        if (spawn_proxy(rm, &err) < 0) {
                bv_err("restarting barevirt-proxy: %s", err.msg);
                rm->backoff = BV_MIN(rm->backoff * 2, BACKOFF_MAX_USEC);
                bv_loop_add_timer(loop, rm->backoff, on_restart, rm, &rm->restart);
        }
}

static void on_proxy_exit(struct bv_loop *loop, pid_t pid, int status, void *userdata)
{
        struct remote *rm = userdata;
        uint64_t now = bv_now_usec();

        rm->child = NULL;
        rm->ctl_watch = bv_watch_remove(rm->ctl_watch);
        if (rm->ctl >= 0)
                close(rm->ctl);
        rm->ctl = -1;
        rm->pid = 0;
        if (now - rm->started >= STABLE_USEC)
                rm->backoff = BACKOFF_MIN_USEC;
        else
                rm->backoff = rm->backoff ? BV_MIN(rm->backoff * 2, BACKOFF_MAX_USEC) : BACKOFF_MIN_USEC;
        if (status >= 0 && WIFSIGNALED(status))
                bv_warn("barevirt-proxy (pid %d) was killed by signal %d; restarting it in %llu ms", (int)pid,
                        WTERMSIG(status), (unsigned long long)rm->backoff / 1000);
        else
                bv_warn("barevirt-proxy (pid %d) exited with status %d; restarting it in %llu ms", (int)pid,
                        status >= 0 ? WEXITSTATUS(status) : -1, (unsigned long long)rm->backoff / 1000);
        rm->restarts++;
        bv_loop_add_timer(loop, rm->backoff, on_restart, rm, &rm->restart);
}

static int send_config(struct remote *rm, int ctl, struct bv_error *err)
{
        size_t len = sizeof(struct tls_msg_config) + rm->cert_len + rm->key_len + rm->ca_len;
        _cleanup_free_ char *buf = calloc(1, len);
        struct tls_msg_config *m = (struct tls_msg_config *)buf;
        int r;

        if (!buf)
                return -ENOMEM;
        tls_msg_head_init(&m->head, TLS_MSG_CONFIG, len);
        m->n_listen = (uint32_t)rm->n_fds;
        m->tls_min = (uint32_t)rm->d->tls_min;
        m->handshake_ms = rm->d->tls_handshake_ms;
        m->max_conns = rm->d->limits.max_conns;
        m->max_per_source = rm->d->limits.max_per_source;
        m->cert_len = (uint32_t)rm->cert_len;
        m->key_len = (uint32_t)rm->key_len;
        m->ca_len = (uint32_t)rm->ca_len;
        memcpy(buf + sizeof(*m), rm->cert, rm->cert_len);
        memcpy(buf + sizeof(*m) + rm->cert_len, rm->key, rm->key_len);
        if (rm->ca_len)
                memcpy(buf + sizeof(*m) + rm->cert_len + rm->key_len, rm->ca, rm->ca_len);
        r = bv_fd_send(ctl, buf, len, rm->fds, rm->n_fds);
        explicit_bzero(buf, len);
        return r < 0 ? bv_error_set_errno(err, r, "Cannot configure barevirt-proxy") : 0;
}

static int spawn_proxy(struct remote *rm, struct bv_error *err)
{
        char user[300];
        char *argv[] = { rm->proxy, "--serve", user, NULL };
        const int fds[3] = { -1, 2, 2 };
        int sv[2], r;

        snprintf(user, sizeof(user), "--user=%s", rm->d->proxy_user);
        if (access(rm->proxy, X_OK) < 0)
                return bv_error_set_errno(err, errno, "Cannot run barevirt-proxy at '%s'", rm->proxy);
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return bv_error_set_errno(err, errno, "socketpair failed");
        r = bv_spawn(-1, argv, fds, sv[1], false, &rm->pid);
        close(sv[1]);
        if (r < 0) {
                close(sv[0]);
                return bv_error_set_errno(err, r, "Cannot run '%s'", rm->proxy);
        }
        rm->ctl = sv[0];
        rm->started = bv_now_usec();
        if ((r = send_config(rm, rm->ctl, err)) < 0 || (r = bv_fd_set_nonblock(rm->ctl, 1)) < 0 ||
            (r = bv_loop_add_fd(rm->d->loop, rm->ctl, EPOLLIN, on_ctl, rm, &rm->ctl_watch)) < 0 ||
            (r = bv_loop_add_child(rm->d->loop, rm->pid, on_proxy_exit, rm, &rm->child)) < 0) {
                kill(rm->pid, SIGKILL);
                if (!rm->child)
                        waitpid(rm->pid, NULL, 0);
                rm->ctl_watch = bv_watch_remove(rm->ctl_watch);
                close(rm->ctl);
                rm->ctl = -1;
                return err && err->error ? r : bv_error_set_errno(err, r, "Cannot watch barevirt-proxy");
        }
        bv_info("barevirt-proxy (pid %d) serves HTTPS as '%s'", (int)rm->pid, rm->d->proxy_user);
        return 0;
}

int remote_start(struct barevirtd *d, struct bv_error *err)
{
        struct remote *rm;
        int r;

        if (d->n_listen == 0)
                return 0;
        rm = calloc(1, sizeof(*rm));
        if (!rm)
                return -ENOMEM;
        rm->d = d;
        rm->ctl = -1;
        d->remote = rm;
        find_proxy(rm);
        if ((r = api_server_new(d, d->limits.max_conns, &rm->api, err)) < 0)
                return r;
        for (size_t i = 0; i < d->n_listen; i++) {
                if ((r = bind_one(d->listen[i], err)) < 0)
                        return r;
                rm->fds[rm->n_fds++] = r;
        }
        if ((r = load_identity(rm, err)) < 0 || (r = spawn_proxy(rm, err)) < 0)
                return r;
        return 0;
}

void remote_free(struct barevirtd *d)
{
        struct remote *rm = d->remote;

        if (!rm)
                return;
        if (rm->pid > 0) {
                bv_child_remove(rm->child);
                kill(rm->pid, SIGKILL);
                waitpid(rm->pid, NULL, 0);
        }
        bv_watch_remove(rm->ctl_watch);
        bv_timer_cancel(rm->restart);
        bv_http_server_free(rm->api);
        if (rm->ctl >= 0)
                close(rm->ctl);
        for (size_t i = 0; i < rm->n_fds; i++)
                close(rm->fds[i]);
        if (rm->key)
                explicit_bzero(rm->key, rm->key_len);
        free(rm->cert);
        free(rm->key);
        free(rm->ca);
        free(rm);
        d->remote = NULL;
}

struct drop {
        bool hash;
        const char *value;
        unsigned n;
};

static bool drop_match(void *peer_data, void *userdata)
{
        const struct auth_peer *p = peer_data;
        const struct drop *dr = userdata;

        return strcmp(dr->hash ? p->token_hash : p->fingerprint, dr->value) == 0;
}

void remote_drop(struct barevirtd *d, const char *key, const char *value)
{
        struct drop dr = { .hash = strcmp(key, "hash") == 0, .value = value };
        unsigned n;

        if (!d->remote || !value || !*value)
                return;
        n = bv_http_server_close_matching(d->remote->api, drop_match, &dr);
        if (n)
                bv_info("closed %u remote connection%s of a revoked credential", n, n == 1 ? "" : "s");
}

const char *remote_fingerprint(struct barevirtd *d)
{
        return d->remote ? d->remote->fingerprint : NULL;
}

/* Appends "ADDR:PORT" (or "[ADDR]:PORT") for each usable address of family on this host; loopback ones when lo. */
static size_t host_addrs(int family, unsigned port, bool lo, char addrs[][TLS_PEER_MAX], size_t n, size_t max)
{
        struct ifaddrs *ifa, *i;
        char host[INET6_ADDRSTRLEN];

        if (getifaddrs(&ifa) < 0)
                return n;
        for (i = ifa; i && n < max; i = i->ifa_next) {
                if (!i->ifa_addr || i->ifa_addr->sa_family != family || !(i->ifa_flags & IFF_UP) ||
                    !!(i->ifa_flags & IFF_LOOPBACK) != lo)
                        continue;
                const void *a = family == AF_INET ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
                                                  : (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
                if (family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)a))
                        continue;  /* would need a scope id */
                inet_ntop(family, a, host, sizeof(host));
                snprintf(addrs[n++], TLS_PEER_MAX, family == AF_INET ? "%s:%u" : "[%s]:%u", host, port);
        }
        freeifaddrs(ifa);
        return n;
}

size_t remote_join_addrs(struct barevirtd *d, char addrs[][TLS_PEER_MAX], size_t max)
{
        size_t n = 0;

        for (int lo = 0; lo < 2; lo++)
                for (size_t i = 0; i < d->n_listen && n < max; i++) {
                        struct sockaddr_storage ss;
                        unsigned len;
                        if (remote_parse_listen(d->listen[i], &ss, &len, NULL) < 0)
                                continue;
                        bool v4 = ss.ss_family == AF_INET;
                        const struct sockaddr_in *a4 = (const struct sockaddr_in *)&ss;
                        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&ss;
                        bool any = v4 ? a4->sin_addr.s_addr == htonl(INADDR_ANY) : IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr);
                        bool is_lo = v4 ? (ntohl(a4->sin_addr.s_addr) >> 24) == 127 : IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
                        if (any)
                                n = host_addrs(ss.ss_family, ntohs(v4 ? a4->sin_port : a6->sin6_port), lo, addrs, n, max);
                        else if (is_lo == (lo == 1))
                                snprintf(addrs[n++], TLS_PEER_MAX, "%s", d->listen[i]);
                }
        return n;
}

json_t *remote_host_json(struct barevirtd *d)
{
        struct remote *rm = d->remote;
        json_t *listen = json_array();

        for (size_t i = 0; listen && i < d->n_listen; i++)
                json_array_append_new(listen, json_string(d->listen[i]));
        return json_pack("{s:o,s:s?,s:i,s:i}", "listen", listen ? listen : json_array(), "fingerprint",
                         rm ? rm->fingerprint : NULL, "proxy_pid", rm ? (int)rm->pid : 0, "proxy_restarts",
                         rm ? (int)rm->restarts : 0);
}
