/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the join token decoder (tls_join_decode()), which
 * reads what someone pastes into `barevirt remote add`, and the address
 * parser under it (tls_addr_parse()). Input: any bytes (seeds in
 * tests/fuzz/join). Must never crash, leak or read out of bounds; what
 * decodes has a valid name, 64-hex-digit fingerprint and secret and 1 to
 * TLS_JOIN_MAX_ADDRS addresses, and encodes back to a token that decodes
 * to the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct tls_join j, k;
        struct sockaddr_storage ss;
        socklen_t len;
        char addr[TLS_PEER_MAX];
        char *text = NULL;

        snprintf(addr, sizeof(addr), "%.*s", (int)(size < sizeof(addr) ? size : sizeof(addr) - 1), (const char *)data);
        if (tls_addr_parse(addr, &ss, &len) == 0 && len > sizeof(ss))
                abort();
        if (tls_join_decode((const char *)data, size, &j, NULL) < 0)
                return 0;
        if (!bv_name_is_valid(j.name) || !tls_hex64_is_valid(j.fingerprint) || !tls_hex64_is_valid(j.secret) ||
            j.n_addrs == 0 || j.n_addrs > TLS_JOIN_MAX_ADDRS)
                abort();
        if (tls_join_encode(&j, &text) < 0)
                return 0;
        if (tls_join_decode(text, strlen(text), &k, NULL) < 0 || memcmp(&j, &k, sizeof(j)) != 0)
                abort();
        free(text);
        return 0;
}
