/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One TLS connection relayed to a plain socket (tls/tls.h (a TLS
 * connection relayed)), on the event loop, never blocking: the server's
 * handshake under a deadline (a client's, tls/client.c, is done before), then decrypted bytes to the plain side and the plain
 * side's bytes encrypted back, through one bounded buffer each way (a
 * side that does not read stops the other from being read: back-pressure,
 * not memory). OpenSSL's reads may need writes and the other way round,
 * so pump() retries everything after any event and the epoll interest of
 * the TCP socket is what OpenSSL last asked for.
 *
 * End of a side: TLS close_notify, EOF or an error of the TCP side shuts
 * the plain side's write half once what was decrypted is delivered; EOF of
 * the plain side sends close_notify once its bytes are encrypted. The
 * relay ends when both directions are done, or at once on an error.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "tls/tls-internal.h"

#define BUF 16384
#define LINGER_USEC (2 * 1000000ULL)  /* reading what a client still sends after our close_notify */

struct buf {
        size_t pos, len;
        char data[BUF];
};

struct tls_relay {
        struct bv_loop *loop;
        SSL *ssl;
        int tcp_fd, plain_fd;
        struct bv_watch *tcp_watch, *plain_watch;
        struct bv_timer *deadline;
        const struct tls_relay_ops *ops;
        void *userdata;
        char addr[TLS_PEER_MAX];
        char refused[TLS_REASON_MAX]; /* why the handshake failed, for on_end() */
        bool ready;                   /* handshake done, plain_fd set */
        bool tls_eof, plain_eof;      /* no more input from that side */
        bool plain_shut, tls_shut;    /* we ended our output to that side */
        bool want_read, want_write;   /* what OpenSSL asked for on tcp_fd */
        bool plain_gone;              /* the plain side refused our writes: what the client sends is dropped */
        bool lingering;               /* all sent and TCP shut for writing: draining input until EOF */
        uint32_t tcp_events, plain_events;  /* what the watches wait for now */
        struct buf down;              /* TLS -> plain */
        struct buf up;                /* plain -> TLS */
};

static void relay_end(struct tls_relay *r)
{
        if (r->ops && r->ops->on_end)
                r->ops->on_end(r, r->ready ? NULL : r->refused[0] ? r->refused : "handshake failed", r->userdata);
        tls_relay_free(r);
}

/*
 * Notes what SSL's last call (result n) asks for: 1 (wait for that), 0
 * (the peer's close_notify: a clean end of its input), -1 (broken).
 */
static int ssl_wants(struct tls_relay *r, int n)
{
        switch (SSL_get_error(r->ssl, n)) {
        case SSL_ERROR_WANT_READ:
                r->want_read = true;
                return 1;
        case SSL_ERROR_WANT_WRITE:
                r->want_write = true;
                return 1;
        case SSL_ERROR_ZERO_RETURN:
                return 0;
        default:
                if (!r->ready && !r->refused[0]) {
                        unsigned long e = ERR_peek_last_error();
                        const char *why = e ? ERR_reason_error_string(e) : NULL;
                        snprintf(r->refused, sizeof(r->refused), "%s", why ? why : "connection closed in the handshake");
                }
                ERR_clear_error();
                return -1;
        }
}

void tls_relay_note_refused(SSL *ssl, const char *why)
{
        struct tls_relay *r = SSL_get_app_data(ssl);

        if (r)
                snprintf(r->refused, sizeof(r->refused), "%s", why);
}

static void fingerprint(X509 *x, char hex[BV_SHA256_HEX])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        if (X509_digest(x, EVP_sha256(), md, &n) == 1 && n == BV_SHA256_LEN)
                bv_hex(md, n, hex);
        else
                hex[0] = '\0';
}

/* The handshake's next step; on completion hands the peer to on_ready(). < 0: drop the connection. */
static int handshake(struct tls_relay *r)
{
        char hex[BV_SHA256_HEX] = "";
        int n = SSL_accept(r->ssl);

        if (n != 1)
                return ssl_wants(r, n) > 0 ? 0 : -EPROTO;
        X509 *x = SSL_get0_peer_certificate(r->ssl);
        struct tls_peer peer = { .addr = r->addr, .fingerprint = hex };
        /* A certificate outside its validity counts as none (the request then needs a token). */
        if (x && X509_cmp_current_time(X509_get0_notBefore(x)) < 0 && X509_cmp_current_time(X509_get0_notAfter(x)) > 0) {
                fingerprint(x, hex);
                peer.cert = hex[0] != '\0';
                peer.ca_verified = SSL_get_verify_result(r->ssl) == X509_V_OK;
        }
        r->deadline = bv_timer_cancel(r->deadline);
        int fd = r->ops->on_ready(r, &peer, r->userdata);
        if (fd < 0)
                return fd;
        r->plain_fd = fd;
        r->ready = true;
        return 1;
}

/* Moves what can move without blocking. < 0: tear down. */
static int pump(struct tls_relay *r)
{
        bool progress = true;

        while (progress) {
                progress = false;
                r->want_read = r->want_write = false;
                if (!r->tls_eof && r->down.len == 0) {
                        int n = SSL_read(r->ssl, r->down.data, BUF);
                        if (n > 0) {
                                r->down.pos = 0, r->down.len = (size_t)n;
                                progress = true;
                        } else {
                                int w = ssl_wants(r, n);
                                if (w < 0)
                                        return -ECONNRESET;
                                if (w == 0)
                                        r->tls_eof = progress = true;
                        }
                }
                if (r->down.pos < r->down.len) {
                        ssize_t n = r->plain_gone ? (ssize_t)(r->down.len - r->down.pos)
                                                  : send(r->plain_fd, r->down.data + r->down.pos,
                                                         r->down.len - r->down.pos, MSG_NOSIGNAL | MSG_DONTWAIT);
                        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
                                /* The core closed: its answer may still be unread on plain_fd, so go on. */
                                r->plain_gone = true;
                                n = (ssize_t)(r->down.len - r->down.pos);
                        } else if (n < 0 && errno != EAGAIN && errno != EINTR)
                                return -errno;
                        if (n > 0) {
                                r->down.pos += (size_t)n;
                                progress = true;
                                if (r->down.pos == r->down.len)
                                        r->down.pos = r->down.len = 0;
                        }
                }
                if (r->tls_eof && r->down.len == 0 && !r->plain_shut) {
                        shutdown(r->plain_fd, SHUT_WR);
                        r->plain_shut = true;
                }
                if (!r->plain_eof && r->up.len == 0) {
                        ssize_t n = recv(r->plain_fd, r->up.data, BUF, MSG_DONTWAIT);
                        if (n > 0) {
                                r->up.pos = 0, r->up.len = (size_t)n;
                                progress = true;
                        } else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                                r->plain_eof = progress = true;
                }
                if (r->up.pos < r->up.len) {
                        if (r->tls_shut)
                                return -EPIPE;
                        int n = SSL_write(r->ssl, r->up.data + r->up.pos, (int)(r->up.len - r->up.pos));
                        if (n > 0) {
                                r->up.pos += (size_t)n;
                                progress = true;
                                if (r->up.pos == r->up.len)
                                        r->up.pos = r->up.len = 0;
                        } else if (ssl_wants(r, n) <= 0)
                                return -EPIPE;
                }
                if (r->plain_eof && r->up.len == 0 && !r->tls_shut) {
                        SSL_shutdown(r->ssl);  /* close_notify, best effort */
                        r->tls_shut = true;
                }
        }
        /* The core is done (and what it sent is encrypted): nothing more can flow that matters. */
        return r->plain_eof && r->tls_shut ? 1 : 0;
}

static void on_deadline(struct bv_loop *loop, void *userdata);

/*
 * A lingering close: closing a TCP socket with unread input sends a reset
 * that can destroy our last answer (a 408, a 413) before the client read
 * it. So the write side is shut (FIN after the data), and input is read
 * and dropped until the client closes, or LINGER_USEC. < 0: done.
 */
static int linger(struct tls_relay *r)
{
        char sink[4096];

        if (!r->lingering) {
                r->lingering = true;
                shutdown(r->tcp_fd, SHUT_WR);
                bv_timer_cancel(r->deadline);
                r->deadline = NULL;
                if (bv_loop_add_timer(r->loop, LINGER_USEC, on_deadline, r, &r->deadline) < 0)
                        return -ENOMEM;
        }
        for (;;) {
                ssize_t n = recv(r->tcp_fd, sink, sizeof(sink), MSG_DONTWAIT);
                if (n > 0)
                        continue;
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) {
                        r->want_read = true;
                        r->want_write = false;
                        return 0;
                }
                return -ECONNRESET;
        }
}

static void update_events(struct tls_relay *r)
{
        uint32_t tcp = 0, plain = 0;

        if (r->want_read)
                tcp |= EPOLLIN;
        if (r->want_write)
                tcp |= EPOLLOUT;
        if (tcp != r->tcp_events && bv_watch_set_events(r->tcp_watch, tcp) == 0)
                r->tcp_events = tcp;
        if (!r->ready)
                return;
        if (!r->plain_eof && r->up.len == 0)
                plain |= EPOLLIN;
        if (r->down.pos < r->down.len)
                plain |= EPOLLOUT;
        if (plain != r->plain_events && bv_watch_set_events(r->plain_watch, plain) == 0)
                r->plain_events = plain;
}

static void on_event(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct tls_relay *r = userdata;
        int rv = 0;

        if (!r->ready) {
                rv = handshake(r);
                if (rv < 0) {
                        relay_end(r);
                        return;
                }
                if (rv == 0) {
                        update_events(r);
                        return;
                }
        }
        if (!r->plain_watch) {
                if (bv_loop_add_fd(loop, r->plain_fd, EPOLLIN, on_event, r, &r->plain_watch) < 0) {
                        relay_end(r);
                        return;
                }
                r->plain_events = EPOLLIN;
        }
        int moved = r->lingering ? 1 : pump(r);
        if (moved == 1)
                moved = linger(r);
        if (moved < 0) {
                relay_end(r);
                return;
        }
        update_events(r);
}

static void on_deadline(struct bv_loop *loop, void *userdata)
{
        struct tls_relay *r = userdata;

        r->deadline = NULL;
        snprintf(r->refused, sizeof(r->refused), "handshake timeout");
        relay_end(r);
}

static struct tls_relay *relay_alloc(struct bv_loop *loop, int tcp_fd, const struct tls_relay_ops *ops,
                                     void *userdata)
{
        struct tls_relay *r = calloc(1, sizeof(*r));

        if (!r)
                return NULL;
        r->loop = loop;
        r->tcp_fd = tcp_fd;
        r->plain_fd = -1;
        r->ops = ops;
        r->userdata = userdata;
        return r;
}

int tls_relay_new(struct tls_server *s, struct bv_loop *loop, int tcp_fd, const char *addr, uint64_t timeout_usec,
                  const struct tls_relay_ops *ops, void *userdata, struct tls_relay **ret)
{
        struct tls_relay *r = relay_alloc(loop, tcp_fd, ops, userdata);

        if (!r) {
                close(tcp_fd);
                return -ENOMEM;
        }
        snprintf(r->addr, sizeof(r->addr), "%s", addr);
        r->ssl = SSL_new(s->ctx);
        if (!r->ssl || SSL_set_fd(r->ssl, tcp_fd) != 1 || SSL_set_app_data(r->ssl, r) != 1 ||
            bv_loop_add_fd(loop, tcp_fd, r->tcp_events = EPOLLIN, on_event, r, &r->tcp_watch) < 0 ||
            bv_loop_add_timer(loop, timeout_usec, on_deadline, r, &r->deadline) < 0) {
                tls_relay_free(r);
                return -ENOMEM;
        }
        if (ret)
                *ret = r;
        return 0;
}

int tls_relay_new_connected(struct bv_loop *loop, SSL *ssl, int tcp_fd, int plain_fd, const struct tls_relay_ops *ops,
                            void *userdata, struct tls_relay **ret)
{
        struct tls_relay *r = relay_alloc(loop, tcp_fd, ops, userdata);

        if (!r) {
                SSL_free(ssl);
                close(tcp_fd);
                close(plain_fd);
                return -ENOMEM;
        }
        r->ssl = ssl;
        r->plain_fd = plain_fd;
        r->ready = true;
        if (bv_loop_add_fd(loop, tcp_fd, r->tcp_events = EPOLLIN, on_event, r, &r->tcp_watch) < 0 ||
            bv_loop_add_fd(loop, plain_fd, r->plain_events = EPOLLIN, on_event, r, &r->plain_watch) < 0) {
                tls_relay_free(r);
                return -ENOMEM;
        }
        if (ret)
                *ret = r;
        return 0;
}

struct tls_relay *tls_relay_free(struct tls_relay *r)
{
        if (!r)
                return NULL;
        bv_timer_cancel(r->deadline);
        bv_watch_remove(r->tcp_watch);
        bv_watch_remove(r->plain_watch);
        SSL_free(r->ssl);
        close(r->tcp_fd);
        if (r->plain_fd >= 0)
                close(r->plain_fd);
        free(r);
        return NULL;
}
