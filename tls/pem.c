/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Certificate fingerprints from PEM without a TLS library (tls/tls.h
 * (certificates in PEM)): the first "CERTIFICATE" block, base64-decoded,
 * its outer DER SEQUENCE checked to span exactly the decoded bytes, then
 * SHA-256. That is the fingerprint `openssl x509 -fingerprint -sha256`
 * prints, and the one barevirt-proxy reports for a client certificate.
 */
#include <string.h>

#include "tls/tls.h"

#define BEGIN "-----BEGIN CERTIFICATE-----"
#define END "-----END CERTIFICATE-----"

/* Whether der is one DER SEQUENCE whose definite length covers all n bytes. */
static bool der_sequence_whole(const uint8_t *der, size_t n)
{
        size_t len, hdr;

        if (n < 2 || der[0] != 0x30)
                return false;
        if (der[1] < 0x80) {
                len = der[1];
                hdr = 2;
        } else {
                size_t k = der[1] & 0x7f;
                if (k == 0 || k > 4 || n < 2 + k)
                        return false;
                len = 0;
                for (size_t i = 0; i < k; i++)
                        len = len << 8 | der[2 + i];
                hdr = 2 + k;
        }
        return hdr + len == n;
}

int tls_pem_fingerprint(const char *pem, size_t len, char hex[BV_SHA256_HEX], struct bv_error *err)
{
        const char *b = memmem(pem, len, BEGIN, strlen(BEGIN)), *e;
        _cleanup_free_ uint8_t *der = NULL;
        ssize_t n;

        if (!b)
                return bv_error_set(err, EINVAL, "No PEM certificate (no '" BEGIN "' line)");
        b += strlen(BEGIN);
        e = memmem(b, len - (size_t)(b - pem), END, strlen(END));
        if (!e)
                return bv_error_set(err, EINVAL, "PEM certificate without its '" END "' line");
        der = malloc((size_t)(e - b));
        if (!der)
                return -ENOMEM;
        n = bv_base64_decode(b, (size_t)(e - b), der, (size_t)(e - b));
        if (n < 0 || !der_sequence_whole(der, (size_t)n))
                return bv_error_set(err, EINVAL, "PEM certificate with broken base64 or DER framing");
        bv_sha256_hex(der, (size_t)n, hex);
        return 0;
}
