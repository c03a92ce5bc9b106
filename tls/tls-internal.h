/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tls/'s OpenSSL half, shared between its files. */
#pragma once

#include <openssl/ssl.h>

#include "tls/tls.h"

struct tls_server {
        SSL_CTX *ctx;
};

/* bv_error_set() with OpenSSL's last error appended (the queue is cleared). */
int tls_openssl_error(struct bv_error *err, int errno_value, const char *what);

/*
 * A relay of an SSL connection whose handshake is done (the client's,
 * tls/client.c) to plain_fd; owns ssl, tcp_fd and plain_fd from here on
 * (freed on failure too). 0 or -ENOMEM.
 */
int tls_relay_new_connected(struct bv_loop *loop, SSL *ssl, int tcp_fd, int plain_fd, const struct tls_relay_ops *ops,
                            void *userdata, struct tls_relay **ret);
/* Records why the handshake of the relay that owns ssl is refused (its on_end() says it). */
void tls_relay_note_refused(SSL *ssl, const char *why);
