/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS client of the barevirt CLI (tls/tls.h (the TLS client)): TLS 1.3
 * to a remote barevirtd with the client certificate, the server pinned by
 * the SHA-256 fingerprint of its certificate (no CA is consulted: the
 * pin, which came with the join token, is the whole trust), then the
 * plain bytes relayed to a socketpair on the event loop (tls/relay.c), so
 * that the HTTP client above sees a stream socket as it does for barevirtd's
 * UNIX socket.
 *
 * What it defends against: a server that is not the pinned one (a
 * man in the middle, another barevirtd at that address). The pin is checked
 * in the handshake's certificate verification, before our certificate
 * goes out and long before any request (a join token, a bearer of rights)
 * could; a mismatch ends the connection and the attempt, other addresses
 * are not tried. The connect and the handshake block, bounded by the
 * caller's timeout (the CLI has nothing else to do meanwhile).
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "tls/tls-internal.h"

#define MAX_RELAYS 8

struct tls_client {
        SSL_CTX *ctx;
        struct bv_loop *loop;
        struct tls_relay *relays[MAX_RELAYS];   /* live ones, freed with the client */
};

/* What the verify callback compares and reports, as the SSL's app data. */
struct pin {
        const char *want;
        char seen[BV_SHA256_HEX];
        bool mismatch;
};

static int verify_pin(int preverify_ok, X509_STORE_CTX *ctx)
{
        SSL *ssl = X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
        struct pin *pin = ssl ? SSL_get_app_data(ssl) : NULL;
        X509 *x = X509_STORE_CTX_get_current_cert(ctx);
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        if (X509_STORE_CTX_get_error_depth(ctx) > 0)
                return 1;  /* only the server's own certificate counts; its chain is not looked at */
        if (!pin || !x || X509_digest(x, EVP_sha256(), md, &n) != 1 || n != BV_SHA256_LEN)
                return 0;
        bv_hex(md, n, pin->seen);
        pin->mismatch = !tls_hash_equal(pin->seen, pin->want);
        return !pin->mismatch;
}

static int load_pem(SSL_CTX *ctx, const struct tls_client_config *cfg, struct bv_error *err)
{
        BIO *b = BIO_new_mem_buf(cfg->cert, (int)cfg->cert_len);
        X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
        EVP_PKEY *k = NULL;
        int ok;

        BIO_free(b);
        b = BIO_new_mem_buf(cfg->key, (int)cfg->key_len);
        k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
        ok = x && k && SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, k) == 1 &&
             SSL_CTX_check_private_key(ctx) == 1;
        X509_free(x);
        EVP_PKEY_free(k);
        return ok ? 0 : tls_openssl_error(err, EINVAL, "Client certificate or key unusable, or not a pair");
}

int tls_client_new(const struct tls_client_config *cfg, struct bv_loop *loop, struct tls_client **ret,
                   struct bv_error *err)
{
        struct tls_client *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        c->loop = loop;
        c->ctx = SSL_CTX_new(TLS_client_method());
        if (!c->ctx) {
                free(c);
                return tls_openssl_error(err, ENOMEM, "Cannot make a TLS context");
        }
        SSL_CTX_set_min_proto_version(c->ctx, TLS1_3_VERSION);
        SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, verify_pin);
        if ((r = load_pem(c->ctx, cfg, err)) < 0) {
                tls_client_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

struct tls_client *tls_client_free(struct tls_client *c)
{
        if (!c)
                return NULL;
        for (size_t i = 0; i < MAX_RELAYS; i++)
                tls_relay_free(c->relays[i]);
        SSL_CTX_free(c->ctx);
        free(c);
        return NULL;
}

/* Waits for events on fd until deadline (bv_now_usec()). 0, or -ETIMEDOUT. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
        for (;;) {
                uint64_t now = bv_now_usec();
                if (now >= deadline)
                        return -ETIMEDOUT;
                struct pollfd p = { .fd = fd, .events = events };
                int n = poll(&p, 1, (int)((deadline - now + 999) / 1000));
                if (n > 0)
                        return 0;
                if (n < 0 && errno != EINTR)
                        return -errno;
        }
}

/* A non-blocking TCP connection to addr, made by deadline. The fd or -errno (with a message). */
static int tcp_connect(const char *addr, uint64_t deadline, struct bv_error *err)
{
        struct sockaddr_storage ss;
        socklen_t len, sl = sizeof(int);
        int e = 0, r;

        if (tls_addr_parse(addr, &ss, &len) < 0)
                return bv_error_set(err, EINVAL, "'%s' is not IPv4:PORT or [IPv6]:PORT", addr);
        _cleanup_close_ int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return bv_error_set_errno(err, errno, "Cannot make a socket for '%s'", addr);
        if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
                return bv_error_set_errno(err, errno, "Cannot connect to '%s'", addr);
        if ((r = wait_fd(fd, POLLOUT, deadline)) < 0)
                return bv_error_set(err, -r, "Cannot connect to '%s': %s", addr,
                                    r == -ETIMEDOUT ? "no answer in time" : strerror(-r));
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) < 0 || e)
                return bv_error_set_errno(err, e ? e : errno, "Cannot connect to '%s'", addr);
        return TAKE_FD(fd);
}

/* The handshake on fd, by deadline; -EPERM when the server is not the pinned one. */
static int handshake(SSL *ssl, int fd, const char *addr, struct pin *pin, uint64_t deadline, struct bv_error *err)
{
        for (;;) {
                int n = SSL_connect(ssl), r;
                if (n == 1)
                        return 0;
                int e = SSL_get_error(ssl, n);
                if (pin->mismatch) {
                        ERR_clear_error();
                        return bv_error_set(err, EPERM,
                                            "The server at '%s' is not the one pinned: its certificate's SHA-256 is %s, "
                                            "not %s; nothing was sent",
                                            addr, pin->seen, pin->want);
                }
                if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                        return tls_openssl_error(err, EPROTO, "TLS handshake failed");
                if ((r = wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) < 0)
                        return bv_error_set(err, -r, "TLS handshake with '%s' timed out", addr);
        }
}

static void on_relay_end(struct tls_relay *r, const char *refused, void *userdata)
{
        struct tls_client *c = userdata;

        for (size_t i = 0; i < MAX_RELAYS; i++)
                if (c->relays[i] == r)
                        c->relays[i] = NULL;
}

static const struct tls_relay_ops relay_ops = { .on_end = on_relay_end };

/* One address: TCP, TLS, the pin, the relay. The plain fd or -errno. */
static int connect_one(struct tls_client *c, const char *addr, const char *fingerprint, uint64_t deadline,
                       struct bv_error *err)
{
        struct pin pin = { .want = fingerprint };
        size_t slot = MAX_RELAYS;
        int sv[2], r;

        for (size_t i = 0; i < MAX_RELAYS && slot == MAX_RELAYS; i++)
                if (!c->relays[i])
                        slot = i;
        if (slot == MAX_RELAYS)
                return bv_error_set(err, EMFILE, "More than %d TLS connections at once", MAX_RELAYS);
        _cleanup_close_ int fd = tcp_connect(addr, deadline, err);
        if (fd < 0)
                return fd;
        SSL *ssl = SSL_new(c->ctx);
        if (!ssl || SSL_set_fd(ssl, fd) != 1) {
                SSL_free(ssl);
                return tls_openssl_error(err, ENOMEM, "Cannot make a TLS connection");
        }
        SSL_set_app_data(ssl, &pin);
        if ((r = handshake(ssl, fd, addr, &pin, deadline, err)) < 0) {
                SSL_free(ssl);
                return r;
        }
        SSL_set_app_data(ssl, NULL);
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0) {
                SSL_free(ssl);
                return bv_error_set_errno(err, errno, "socketpair failed");
        }
        if ((r = tls_relay_new_connected(c->loop, ssl, TAKE_FD(fd), sv[0], &relay_ops, c, &c->relays[slot])) < 0) {
                close(sv[1]);
                return bv_error_set(err, -r, "Out of memory");
        }
        return sv[1];
}

int tls_client_connect(struct tls_client *c, const char *const *addrs, size_t n_addrs, const char *fingerprint,
                       unsigned timeout_ms, size_t *ret_index, struct bv_error *err)
{
        int r = bv_error_set(err, EINVAL, "No address to connect to");

        for (size_t i = 0; i < n_addrs; i++) {
                r = connect_one(c, addrs[i], fingerprint, bv_now_usec() + timeout_ms * 1000ULL, err);
                if (r >= 0 && ret_index)
                        *ret_index = i;
                if (r >= 0 || r == -EPERM)
                        return r;
        }
        return r;
}
