/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt-proxy: the TLS front end of barevirtd's --listen, privilege
 * separated (tools/proxy/proxy.h). barevirtd starts it as root with the
 * control socket (SOCK_SEQPACKET) as fd 3 and sends one TLS_MSG_CONFIG:
 * the listening sockets it bound, the certificate, key and CA as bytes.
 * The proxy builds its TLS context, drops to --user (no capabilities,
 * no_new_privs, seccomp), then accepts: each connection's handshake runs
 * under a deadline, then a fresh socketpair's end goes to barevirtd in a
 * TLS_MSG_CONN (peer address, certificate fingerprint) and the proxy
 * relays decrypted bytes over the other end. barevirtd parses HTTP and
 * decides every request's rights; the proxy never sees the state dir.
 * It exits when the control socket closes (barevirtd gone).
 *
 * `barevirt-proxy --make-identity DIR` is the other mode, run once by
 * barevirtd as root: a CA and a server certificate in DIR (tls/identity.c),
 * so that barevirtd links no TLS library.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "common/common.h"
#include "tls/tls.h"
#include "tools/proxy/proxy.h"

#define CTL_FD 3

struct proxy {
        struct bv_loop *loop;
        struct tls_server *tls;
        int listen_fds[BV_FD_SEND_MAX];
        size_t n_listen;
        uint64_t handshake_usec;
        struct proxy_admit admit;
};

/* One accepted connection: what its end must release and report. */
struct conn {
        struct proxy *p;
        struct proxy_source *src;
        char addr[TLS_PEER_MAX];
};

static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
        char host[INET6_ADDRSTRLEN] = "?";

        if (ss->ss_family == AF_INET6) {
                const struct sockaddr_in6 *a = (const void *)ss;
                inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
                snprintf(buf, len, "[%s]:%u", host, ntohs(a->sin6_port));
        } else {
                const struct sockaddr_in *a = (const void *)ss;
                inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
                snprintf(buf, len, "%s:%u", host, ntohs(a->sin_port));
        }
}

/* Handshake done: a socketpair, one end to barevirtd with who it is, the other relayed. */
static int on_ready(struct tls_relay *r, const struct tls_peer *peer, void *userdata)
{
        struct tls_msg_conn m = { .flags = 0 };
        int sv[2];

        tls_msg_head_init(&m.head, TLS_MSG_CONN, sizeof(m));
        snprintf(m.peer, sizeof(m.peer), "%s", peer->addr);
        if (peer->cert) {
                m.flags |= TLS_CONN_CERT | (peer->ca_verified ? TLS_CONN_CA : 0);
                snprintf(m.fingerprint, sizeof(m.fingerprint), "%s", peer->fingerprint);
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        int rv = bv_fd_send(CTL_FD, &m, sizeof(m), &sv[1], 1);
        close(sv[1]);
        if (rv < 0) {
                close(sv[0]);
                bv_warn("cannot hand a connection from %s to barevirtd: %s", peer->addr, strerror(-rv));
                return rv;
        }
        bv_debug("connection from %s%s%s", peer->addr, peer->cert ? ", certificate " : "",
                 peer->cert ? peer->fingerprint : "");
        return sv[0];
}

static void on_end(struct tls_relay *r, const char *refused, void *userdata)
{
        struct conn *k = userdata;

        if (refused)
                proxy_report(&k->p->admit, k->addr, refused);
        proxy_release(&k->p->admit, k->src);
        free(k);
}

static const struct tls_relay_ops relay_ops = { .on_ready = on_ready, .on_end = on_end };

static void on_accept(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct proxy *p = userdata;

        for (int i = 0; i < 32; i++) {
                struct sockaddr_storage ss = {};
                socklen_t sl = sizeof(ss);
                const char *why = "out of memory";
                int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0)
                        return;
                struct conn *k = calloc(1, sizeof(*k));
                if (k) {
                        k->p = p;
                        format_addr(&ss, k->addr, sizeof(k->addr));
                        k->src = proxy_admit(&p->admit, &ss, &why);
                }
                if (!k || !k->src) {
                        /* Over a limit: refused before any TLS work. */
                        close(cfd);
                        if (k)
                                proxy_report(&p->admit, k->addr, why);
                        free(k);
                        continue;
                }
                if (tls_relay_new(p->tls, loop, cfd, k->addr, p->handshake_usec, &relay_ops, k, NULL) < 0) {
                        proxy_release(&p->admit, k->src);
                        free(k);
                }
        }
}

static void on_ctl(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        char byte;

        /* barevirtd sends nothing after the config: any input or hang-up means it is gone. */
        if (recv(fd, &byte, 1, MSG_DONTWAIT) <= 0 || (events & (EPOLLHUP | EPOLLERR))) {
                bv_info("barevirtd closed the control socket; exiting");
                bv_loop_quit(loop, 0);
        }
}

/* Reads and applies the one config message. */
static int configure(struct proxy *p, struct bv_error *err)
{
        _cleanup_free_ char *buf = malloc(TLS_MSG_MAX);
        struct tls_config_view v;
        size_t nfds = 0;
        ssize_t n;
        int r;

        if (!buf)
                return -ENOMEM;
        n = bv_fd_recv(CTL_FD, buf, TLS_MSG_MAX, p->listen_fds, BV_FD_SEND_MAX, &nfds);
        if (n <= 0)
                return bv_error_set(err, n < 0 ? (int)-n : EPIPE, "No config from barevirtd");
        p->n_listen = nfds;
        if ((r = tls_msg_config_check(buf, (size_t)n, nfds, &v, err)) < 0)
                return r;
        struct tls_server_config cfg = { .cert = v.cert, .cert_len = v.msg->cert_len, .key = v.key,
                                         .key_len = v.msg->key_len, .ca = v.ca, .ca_len = v.msg->ca_len,
                                         .tls_min = (int)v.msg->tls_min };
        p->handshake_usec = (uint64_t)(v.msg->handshake_ms ? v.msg->handshake_ms : 10000) * 1000;
        unsigned max_conns = v.msg->max_conns ? v.msg->max_conns : 1024, per_source = v.msg->max_per_source;
        r = tls_server_new(&cfg, &p->tls, err);
        explicit_bzero(buf, TLS_MSG_MAX);  /* the key stays in OpenSSL's context only */
        if (r == 0 && (r = proxy_admit_init(&p->admit, p->loop, max_conns, per_source, CTL_FD)) < 0)
                bv_error_set_errno(err, r, "Out of memory");
        return r;
}

static int serve(const char *user)
{
        struct proxy p = {};
        struct bv_error err = {};
        int r;

        /* Two descriptors a connection: the soft limit up to the hard one (systemd starts services at 1024). */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
        OPENSSL_init_ssl(0, NULL);  /* before the sandbox: OpenSSL reads its configuration file here */
        if ((r = bv_loop_new(&p.loop, &err)) < 0 || (r = configure(&p, &err)) < 0 ||
            (r = proxy_sandbox_enter(user, &err)) < 0) {
                bv_err("%s", bv_error_message(&err, r));
                return 1;
        }
        for (size_t i = 0; i < p.n_listen; i++)
                if (bv_fd_set_nonblock(p.listen_fds[i], 1) < 0 ||
                    bv_loop_add_fd(p.loop, p.listen_fds[i], EPOLLIN, on_accept, &p, NULL) < 0) {
                        bv_err("cannot watch a listening socket");
                        return 1;
                }
        if (bv_loop_add_fd(p.loop, CTL_FD, EPOLLIN, on_ctl, &p, NULL) < 0)
                return 1;
        bv_info("serving %zu listening socket%s as '%s'", p.n_listen, p.n_listen == 1 ? "" : "s", user);
        r = bv_loop_run(p.loop);
        return r < 0 ? 1 : 0;
}

static int make_identity(const char *dir, const char *hostname, char **sans, size_t n_sans)
{
        struct bv_error err = {};
        int r = tls_identity_make(dir, hostname, (const char *const *)sans, n_sans, &err);

        if (r < 0) {
                bv_err("making the identity in '%s': %s", dir, bv_error_message(&err, r));
                return 1;
        }
        return 0;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: barevirt-proxy --serve [--user USER] [-v]   (started by barevirtd, control socket on fd 3)\n"
                   "       barevirt-proxy --make-identity DIR [--hostname NAME] [--san DNS:x|IP:y]...\n");
}

int main(int argc, char **argv)
{
        enum { OPT_SERVE = 0x100, OPT_USER, OPT_IDENTITY, OPT_HOSTNAME, OPT_SAN };
        static const struct option opts[] = {
                { "serve", no_argument, NULL, OPT_SERVE },
                { "user", required_argument, NULL, OPT_USER },
                { "make-identity", required_argument, NULL, OPT_IDENTITY },
                { "hostname", required_argument, NULL, OPT_HOSTNAME },
                { "san", required_argument, NULL, OPT_SAN },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *user = "nobody", *identity = NULL, *hostname = "localhost";
        char *sans[32];
        size_t n_sans = 0;
        bool do_serve = false;
        enum bv_log_level level = BV_LOG_INFO;
        int c;

        while ((c = getopt_long(argc, argv, "vh", opts, NULL)) >= 0) {
                switch (c) {
                case OPT_SERVE: do_serve = true; break;
                case OPT_USER: user = optarg; break;
                case OPT_IDENTITY: identity = optarg; break;
                case OPT_HOSTNAME: hostname = optarg; break;
                case OPT_SAN:
                        if (n_sans >= BV_ELEMENTSOF(sans)) {
                                fprintf(stderr, "barevirt-proxy: at most %zu --san\n", BV_ELEMENTSOF(sans));
                                return 2;
                        }
                        sans[n_sans++] = optarg;
                        break;
                case 'v': level = BV_LOG_DEBUG; break;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        }
        bv_log_init("barevirt-proxy", level);
        signal(SIGPIPE, SIG_IGN);
        if (identity && !do_serve && optind == argc)
                return make_identity(identity, hostname, sans, n_sans);
        if (do_serve && !identity && optind == argc)
                return serve(user);
        usage(stderr);
        return 2;
}
