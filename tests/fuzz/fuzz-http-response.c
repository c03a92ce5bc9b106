/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: bytes as a server (Docker, Podman, barevirtd) would send
 * them to our client, parsed by the client's response path up to the end of
 * input. Must never crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/common-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        (void)bv_http_fuzz_parse_response(data, size);
        return 0;
}
