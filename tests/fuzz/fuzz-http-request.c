/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: bytes as a client would send them to our API server,
 * parsed by the server's request path (pipelined, in pieces whose size the
 * first byte picks). Must never crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/http-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        (void)bv_http_fuzz_parse_requests(data, size);
        return 0;
}
