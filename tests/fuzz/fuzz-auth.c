/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: what a network peer controls before any credential is
 * checked: the Authorization header's parser (tls_bearer_parse()), and
 * what barevirtd reads from barevirt-proxy (tls_msg_conn_check(),
 * tls_msg_refused_check()), which a
 * compromised proxy controls. Input: any bytes (seeds in tests/fuzz/auth).
 * Must never crash or read out of bounds; a parsed token fits its buffer
 * and holds only token68 bytes; a checked message's strings end in NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = malloc(size + 1), token[TLS_TOKEN_MAX];
        struct tls_msg_conn m;
        struct tls_msg_refused rf;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';
        if (tls_bearer_parse(buf, token, sizeof(token)) == 1) {
                size_t n = strnlen(token, sizeof(token));
                if (n == 0 || n == sizeof(token) || strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                                  "0123456789._~+/-=") != n)
                        abort();
        }
        if (tls_msg_conn_check(data, size, &m, NULL) == 0 &&
            (strnlen(m.peer, sizeof(m.peer)) == sizeof(m.peer) ||
             strnlen(m.fingerprint, sizeof(m.fingerprint)) == sizeof(m.fingerprint)))
                abort();
        if (tls_msg_refused_check(data, size, &rf, NULL) == 0) {
                size_t n = strnlen(rf.reason, sizeof(rf.reason));
                if (n == sizeof(rf.reason) || strnlen(rf.peer, sizeof(rf.peer)) == sizeof(rf.peer))
                        abort();
                for (size_t i = 0; i < n; i++)
                        if (rf.reason[i] < 0x20 || rf.reason[i] > 0x7e)
                                abort();
        }
        free(buf);
        return 0;
}
