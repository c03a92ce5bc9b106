/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: bytes as a client would send them to our API server,
 * parsed by the server's request path (pipelined, in pieces whose size the
 * first byte picks), and every parsed request's query read the way the
 * handlers read it (bv_http_query_get(), bv_http_query_flag()). Must never
 * crash, leak or read out of bounds, and the query functions must keep
 * their contract: a value fits its buffer, errors leave it untouched.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks bv_http_query_get()'s contract for one key with a small buffer. */
static void check_get(const char *query, const char *key)
{
        char buf[16];

        memset(buf, 'x', sizeof(buf));
        int r = bv_http_query_get(query, key, buf, sizeof(buf));
        if (r == 1 || r == 0) {
                if (memchr(buf, '\0', sizeof(buf)) == NULL || (r == 0 && buf[0] != '\0'))
                        abort();
        } else if (r == -EINVAL || r == -ENOBUFS) {
                for (size_t i = 0; i < sizeof(buf); i++)
                        if (buf[i] != 'x')
                                abort();
        } else
                abort();
}

static void check_flag(const char *query, const char *key)
{
        bool v = true;
        int r = bv_http_query_flag(query, key, &v);

        if ((r == 0 && v) || (r != 0 && r != 1 && r != -EINVAL))
                abort();
}

/* The keys the handlers ask for, and the query's own first key (raw), so some match. */
static void use_query(const struct bv_http_request *req, void *userdata)
{
        static const char *const keys[] = { "force", "follow", "tail", "t", "timeout", "signal" };
        char first[32];
        size_t n = req->query ? strcspn(req->query, "=&") : 0;

        (void)userdata;
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                check_get(req->query, keys[i]);
                check_flag(req->query, keys[i]);
        }
        if (n > 0 && n < sizeof(first)) {
                memcpy(first, req->query, n);
                first[n] = '\0';
                check_get(req->query, first);
                check_flag(req->query, first);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        (void)bv_http_fuzz_parse_requests(data, size, use_query, NULL);
        return 0;
}
