/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirtd --listen side by side with its UNIX socket and with dockerd's
 * TLS, in one run (issue 15, Numbers):
 *   - GET /v1/ping over one keep-alive HTTPS connection (bearer token),
 *     median, against the same client on the UNIX socket (target: at most
 *     2x) and dockerd --tlsverify's /_ping (target: below it);
 *   - a full TLS 1.3 handshake and one request, ours and dockerd's, from
 *     the same C client and from curl;
 *   - a resumed handshake (session ticket) and one request (target: at
 *     least 2x faster than a full one);
 *   - idle RSS with the listener on and 3 trusted certificates, against
 *     the same daemon without --listen (target: at most 1 MiB more), and
 *     the shared objects barevirtd maps (target: at most 11).
 * One client for every figure: OpenSSL here, plain read/write on the
 * socket, the same HTTP/1.1 framing. dockerd is started by the bench
 * (private roots, --iptables=false --bridge=none, its own CA) when it is
 * installed; without it those lines say n/a. BAREVIRT_BENCH_SMOKE=1 runs a
 * few iterations only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "tests/bench/bench.h"

#define P "bench-remote"

/* One connection: plain (ssl NULL) or TLS. */
struct conn {
        int fd;
        SSL *ssl;
};

static ssize_t conn_read(struct conn *c, char *buf, size_t len)
{
        return c->ssl ? SSL_read(c->ssl, buf, (int)len) : read(c->fd, buf, len);
}

static int conn_write(struct conn *c, const char *buf, size_t len)
{
        ssize_t n = c->ssl ? SSL_write(c->ssl, buf, (int)len) : write(c->fd, buf, len);
        return n == (ssize_t)len ? 0 : -1;
}

/* Sends req and reads one response (Content-Length framing); its status, or -1. Body into body if given. */
static int exchange(struct conn *c, const char *req, char *body, size_t body_len)
{
        char buf[16384];
        size_t got = 0;
        char *end = NULL;

        if (conn_write(c, req, strlen(req)) < 0)
                return -1;
        while (!(end = memmem(buf, got, "\r\n\r\n", 4))) {
                ssize_t n = got < sizeof(buf) ? conn_read(c, buf + got, sizeof(buf) - got) : -1;
                if (n <= 0)
                        return -1;
                got += (size_t)n;
        }
        int status = -1;
        size_t head = (size_t)(end + 4 - buf), clen = 0;
        sscanf(buf, "HTTP/1.%*d %d", &status);
        char *cl = strcasestr(buf, "\r\nContent-Length:");
        if (cl && cl < end)
                clen = strtoul(cl + 17, NULL, 10);
        while (got < head + clen && got < sizeof(buf)) {
                ssize_t n = conn_read(c, buf + got, sizeof(buf) - got);
                if (n <= 0)
                        return -1;
                got += (size_t)n;
        }
        if (body && body_len) {
                size_t n = BV_MIN(clen, body_len - 1);
                memcpy(body, buf + head, n);
                body[n] = '\0';
        }
        return status;
}

static int tcp_connect(int port)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static int unix_connect(const char *path)
{
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

/* A TLS connection to port (resuming *sess when set; the new session kept there). -1 on failure. */
static int tls_open(SSL_CTX *ctx, int port, SSL_SESSION **sess, struct conn *c, bool *resumed)
{
        c->fd = tcp_connect(port);
        c->ssl = c->fd < 0 ? NULL : SSL_new(ctx);
        if (!c->ssl)
                return -1;
        SSL_set_fd(c->ssl, c->fd);
        if (sess && *sess)
                SSL_set_session(c->ssl, *sess);
        if (SSL_connect(c->ssl) != 1) {
                ERR_print_errors_fp(stderr);
                return -1;
        }
        if (resumed)
                *resumed = SSL_session_reused(c->ssl);
        return 0;
}

static void conn_close(struct conn *c, SSL_SESSION **keep)
{
        if (c->ssl) {
                if (keep) {
                        SSL_SESSION_free(*keep);
                        *keep = SSL_get1_session(c->ssl);  /* TLS 1.3: the ticket that came with the answer */
                }
                SSL_shutdown(c->ssl);
                SSL_free(c->ssl);
        }
        if (c->fd >= 0)
                close(c->fd);
        c->ssl = NULL;
        c->fd = -1;
}

/* Median microseconds of iters requests over one connection (already open). 0 on failure. */
static uint64_t keepalive_median(struct conn *c, const char *req, size_t iters)
{
        _cleanup_free_ uint64_t *t = calloc(iters, sizeof(*t));

        for (size_t i = 0; i < iters; i++) {
                uint64_t s = bv_now_usec();
                if (exchange(c, req, NULL, 0) != 200)
                        return 0;
                t[i] = bv_now_usec() - s;
        }
        return bench_median(t, iters);
}

/* Median microseconds of connect + handshake + one request, full or resumed. 0 on failure. */
static uint64_t connect_median(SSL_CTX *ctx, int port, const char *req, size_t iters, bool resume, int *n_resumed)
{
        _cleanup_free_ uint64_t *t = calloc(iters, sizeof(*t));
        SSL_SESSION *sess = NULL;
        struct conn c = { -1, NULL };
        bool ok = true;

        *n_resumed = 0;
        if (resume) {  /* a first full one for the ticket */
                ok = tls_open(ctx, port, NULL, &c, NULL) == 0 && exchange(&c, req, NULL, 0) == 200;
                conn_close(&c, &sess);
        }
        for (size_t i = 0; ok && i < iters; i++) {
                bool r = false;
                uint64_t s = bv_now_usec();
                ok = tls_open(ctx, port, resume ? &sess : NULL, &c, &r) == 0 && exchange(&c, req, NULL, 0) == 200;
                t[i] = bv_now_usec() - s;
                *n_resumed += r;
                conn_close(&c, resume ? &sess : NULL);
        }
        SSL_SESSION_free(sess);
        return ok ? bench_median(t, iters) : 0;
}

static SSL_CTX *client_ctx(const char *cert, const char *key)
{
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
        if (cert && (SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
                     SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)) {
                SSL_CTX_free(ctx);
                return NULL;
        }
        return ctx;
}

/* Median milliseconds of iters `curl` runs of url with extra arguments, from curl's own time_total. */
static double curl_median(const char *args, const char *url, size_t iters)
{
        char cmd[2048];
        _cleanup_free_ uint64_t *t = calloc(iters, sizeof(*t));

        for (size_t i = 0; i < iters; i++) {
                double s = -1;
                snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -w '%%{time_total}' %s '%s'", args, url);
                FILE *f = popen(cmd, "r");
                if (!f || fscanf(f, "%lf", &s) != 1)
                        s = -1;
                if (f)
                        pclose(f);
                if (s < 0)
                        return 0;
                t[i] = (uint64_t)(s * 1e6);
        }
        return bench_median(t, iters) / 1000.0;
}

/* POST path with body on the UNIX socket; the reply's body into out. Status or -1. */
static int unix_post(const char *sock, const char *path, const char *body, char *out, size_t out_len)
{
        char req[16384];
        struct conn c = { unix_connect(sock), NULL };

        snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\n\r\n%s", path, strlen(body), body);
        int r = c.fd < 0 ? -1 : exchange(&c, req, out, out_len);
        conn_close(&c, NULL);
        return r;
}

static int free_port(void)
{
        struct sockaddr_in a = { .sin_family = AF_INET };
        socklen_t l = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        bind(fd, (struct sockaddr *)&a, sizeof(a));
        getsockname(fd, (struct sockaddr *)&a, &l);
        close(fd);
        return ntohs(a.sin_port);
}

/* Waits (at most 30 s) until port accepts TCP. */
static bool port_ready(int port)
{
        for (int i = 0; i < 300; i++) {
                int fd = tcp_connect(port);
                if (fd >= 0) {
                        close(fd);
                        return true;
                }
                usleep(100000);
        }
        return false;
}

__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
        char cmd[4096];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        return system(cmd);
}

/* A CA, a server certificate for 127.0.0.1 and a client certificate in dir, for dockerd --tlsverify. */
static int docker_certs(const char *dir)
{
        return sh("cd %s && exec >/dev/null 2>&1 && "
                  "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca "
                  "-keyout ca.key -out ca.pem && "
                  "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 -keyout dk.pem "
                  "-out d.csr && printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' >d.ext && "
                  "openssl x509 -req -in d.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile d.ext -out d.pem && "
                  "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=client -keyout ck.pem "
                  "-out c.csr && printf 'extendedKeyUsage=clientAuth\\n' >c.ext && "
                  "openssl x509 -req -in c.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile c.ext -out c.pem",
                  dir);
}

static pid_t docker_start(const char *dir, int port)
{
        char host[64];

        snprintf(host, sizeof(host), "tcp://127.0.0.1:%d", port);
        if (access("/usr/sbin/dockerd", X_OK) < 0 && access("/usr/bin/dockerd", X_OK) < 0)
                return -1;
        if (docker_certs(dir) != 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                char d[4][600];
                snprintf(d[0], sizeof(d[0]), "%s/docker", dir);
                snprintf(d[1], sizeof(d[1]), "%s/dexec", dir);
                snprintf(d[2], sizeof(d[2]), "%s/docker.pid", dir);
                snprintf(d[3], sizeof(d[3]), "unix://%s/docker.sock", dir);
                if (chdir(dir) < 0)
                        _exit(127);
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 1);
                dup2(null, 2);
                execlp("dockerd", "dockerd", "--iptables=false", "--ip6tables=false", "--bridge=none", "--data-root",
                       d[0], "--exec-root", d[1], "--pidfile", d[2], "-H", d[3], "-H", host, "--tlsverify",
                       "--tlscacert", "ca.pem", "--tlscert", "d.pem", "--tlskey", "dk.pem", NULL);
                _exit(127);
        }
        if (!port_ready(port)) {
                kill(pid, SIGTERM);
                waitpid(pid, NULL, 0);
                return -1;
        }
        return pid;
}

/* The trusted certificates of the RSS figure: 3 self-signed ones, added with POST /v1/trust. */
static int add_trusted(const char *dir, const char *sock)
{
        char pem[8192], path[600], out[512], name[16];

        for (int i = 0; i < 3; i++) {
                if (sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench%d "
                       "-keyout %s/t%d.key -out %s/t%d.pem >/dev/null 2>&1", i, dir, i, dir, i) != 0)
                        return -1;
                snprintf(path, sizeof(path), "%s/t%d.pem", dir, i);
                FILE *f = fopen(path, "re");
                size_t n = f ? fread(pem, 1, sizeof(pem) - 1, f) : 0;
                if (f)
                        fclose(f);
                pem[n] = '\0';
                snprintf(name, sizeof(name), "bench%d", i);
                json_auto_t *b = json_pack("{s:s,s:s,s:s}", "name", name, "role", "viewer", "certificate", pem);
                _cleanup_free_ char *s = json_dumps(b, JSON_COMPACT);
                if (!s || unix_post(sock, "/v1/trust", s, out, sizeof(out)) != 201)
                        return -1;
        }
        return 0;
}

int main(void)
{
        const char *builddir = getenv("top_builddir") ?: ".";
        bool smoke = bench_smoke();
        size_t iters = smoke ? 20 : 2000, conns = smoke ? 5 : 200, curls = smoke ? 3 : 30;
        char bin[1024], proxy[1024], dir[] = "/tmp/bv-bench-remote.XXXXXX", sock[600], listen[64], req[1024], out[512];
        int port = free_port(), dport = free_port() + 1, resumed = 0;

        snprintf(bin, sizeof(bin), "%s/tools/barevirtd", builddir);
        snprintf(proxy, sizeof(proxy), "%s/tools/barevirt-proxy", builddir);
        if (access(proxy, X_OK) < 0) {
                printf(P ": n/a (built without TLS)\n");
                return 0;
        }
        if (access(bin, X_OK) < 0 || !mkdtemp(dir)) {
                fprintf(stderr, P ": %s not built\n", bin);
                return 1;
        }
        snprintf(sock, sizeof(sock), "%s/api.sock", dir);
        signal(SIGPIPE, SIG_IGN);

        /* The same daemon without --listen: idle RSS for the comparison. */
        pid_t pid = bench_daemon_start(bin, dir, NULL);
        if (bench_time_to_answer(sock, "/v1/ping", bv_now_usec()) < 0)
                return 1;
        usleep(200000);
        long rss_plain = bench_rss_kib(pid);
        bench_daemon_stop(pid);

        snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
        const char *extra[] = { "--listen", listen, NULL };
        pid = bench_daemon_start(bin, dir, extra);
        if (bench_time_to_answer(sock, "/v1/ping", bv_now_usec()) < 0 || !port_ready(port) ||
            unix_post(sock, "/v1/tokens", "{\"name\": \"bench\", \"role\": \"admin\"}", out, sizeof(out)) != 201 ||
            add_trusted(dir, sock) < 0) {
                fprintf(stderr, P ": barevirtd --listen did not come up\n");
                bench_daemon_stop(pid);
                return 1;
        }
        json_auto_t *tok = json_loads(out, 0, NULL);
        const char *token = json_string_value(json_object_get(tok, "token"));
        snprintf(req, sizeof(req), "GET /v1/ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", token ? token : "");

        SSL_CTX *ctx = client_ctx(NULL, NULL);
        struct conn c = { -1, NULL };
        uint64_t https = 0, local = 0;
        if (tls_open(ctx, port, NULL, &c, NULL) == 0 && exchange(&c, req, NULL, 0) == 200) {
                usleep(200000);
                long rss_listen = bench_rss_kib(pid);
                bench_line(P, "idle RSS, --listen + 3 trusted certs", rss_listen / 1024.0, "MiB", "without --listen",
                           rss_plain / 1024.0, 0);
                bench_line(P, "idle RSS added by --listen", (rss_listen - rss_plain) / 1024.0, "MiB", NULL, 0, 1);
                bench_line(P, "shared objects mapped, --listen", bench_shared_objects(pid), "", NULL, 0, 12);
                https = keepalive_median(&c, req, iters);
        }
        conn_close(&c, NULL);
        c.fd = unix_connect(sock);
        if (c.fd >= 0)
                local = keepalive_median(&c, "GET /v1/ping HTTP/1.1\r\nHost: x\r\n\r\n", iters);
        conn_close(&c, NULL);
        uint64_t full = connect_median(ctx, port, req, conns, false, &resumed);
        uint64_t resume = connect_median(ctx, port, req, conns, true, &resumed);
        char args[1024];
        snprintf(args, sizeof(args), "-k -H 'Authorization: Bearer %s'", token ? token : "");
        char url[128];
        snprintf(url, sizeof(url), "https://127.0.0.1:%d/v1/ping", port);
        double curl_ours = curl_median(args, url, curls);
        bench_daemon_stop(pid);

        bench_line(P, "GET /v1/ping keep-alive HTTPS (median)", (double)https, "us", "UNIX socket", (double)local, 0);
        if (https && local)
                bench_line(P, "HTTPS keep-alive / UNIX socket", (double)https / (double)local, "x", NULL, 0, 2.01);
        bench_line(P, "TLS 1.3 full handshake + GET (median)", full / 1000.0, "ms", NULL, 0, 0);
        bench_line(P, "resumed handshake + GET (median)", resume / 1000.0, "ms", "full handshake", full / 1000.0, 0);
        if (full)  /* at least 2x faster */
                bench_line(P, "resumed / full handshake", (double)resume / (double)full, "x", NULL, 0, 0.5);
        printf(P ": %d of %zu resumed connections were resumed\n", resumed, conns);

        /* dockerd --tlsverify, same client, same run. */
        pid_t dpid = docker_start(dir, dport);
        if (dpid < 0) {
                printf(P ": dockerd --tlsverify                n/a (not installed or did not start)\n");
        } else {
                char dcert[700], dkey[700];
                snprintf(dcert, sizeof(dcert), "%s/c.pem", dir);
                snprintf(dkey, sizeof(dkey), "%s/ck.pem", dir);
                SSL_CTX *dctx = client_ctx(dcert, dkey);
                const char *dreq = "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n";
                uint64_t dk = 0;
                if (dctx && tls_open(dctx, dport, NULL, &c, NULL) == 0)
                        dk = keepalive_median(&c, dreq, iters);
                conn_close(&c, NULL);
                uint64_t dfull = dctx ? connect_median(dctx, dport, dreq, conns, false, &resumed) : 0;
                snprintf(args, sizeof(args), "-k --cert %s --key %s", dcert, dkey);
                snprintf(url, sizeof(url), "https://127.0.0.1:%d/_ping", dport);
                double curl_docker = curl_median(args, url, curls);
                kill(dpid, SIGTERM);
                waitpid(dpid, NULL, 0);
                bench_line(P, "keep-alive ping vs dockerd TLS /_ping", (double)https, "us", "dockerd", (double)dk, 0);
                if (https && dk)
                        bench_line(P, "keep-alive ping / dockerd's", (double)https / (double)dk, "x", NULL, 0, 1);
                bench_line(P, "full handshake + GET vs dockerd", full / 1000.0, "ms", "dockerd", dfull / 1000.0, 0);
                bench_line(P, "curl, full handshake + GET vs dockerd", curl_ours, "ms", "dockerd", curl_docker, 0);
                SSL_CTX_free(dctx);
        }
        SSL_CTX_free(ctx);
        sh("rm -rf %s", dir);
        return https && local && full && resume ? 0 : 1;
}
