/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the trust store and token store files
 * (tls_trust_parse(), tls_tokens_parse()) and certificate PEM
 * (tls_pem_fingerprint(), which reads what `trust add` uploads). Input:
 * any bytes (seeds in tests/fuzz/trust). Must never crash, leak or read
 * out of bounds; what parses has only valid names and 64-digit hex keys.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(json_t *a, const char *key)
{
        json_t *e;
        size_t i;

        json_array_foreach(a, i, e) {
                const char *name = json_string_value(json_object_get(e, "name"));
                const char *hex = json_string_value(json_object_get(e, key));
                if (!bv_name_is_valid(name) || !hex || strlen(hex) != 64)
                        abort();
        }
        json_decref(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char fp[BV_SHA256_HEX];
        json_t *a = NULL;

        if (tls_trust_parse((const char *)data, size, &a, NULL) == 0)
                check(a, "fingerprint");
        if (tls_tokens_parse((const char *)data, size, &a, NULL) == 0)
                check(a, "hash");
        if (tls_pem_fingerprint((const char *)data, size, fp, NULL) == 0 && strlen(fp) != 64)
                abort();
        return 0;
}
