/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-256 (FIPS 180-4), lowercase hex and base64 (both ways): what barevirtd
 * needs to hash bearer tokens and to fingerprint certificates (the SHA-256
 * of their DER form) without linking a TLS library. Pure functions: no
 * allocation, no I/O; the state is the caller's.
 */
#include <string.h>

#include "common/common.h"

static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void block(struct bv_sha256 *s, const uint8_t *p)
{
        uint32_t w[64], a, b, c, d, e, f, g, h;

        for (int i = 0; i < 16; i++)
                w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
                       p[4 * i + 3];
        for (int i = 16; i < 64; i++) {
                uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
                uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
        for (int i = 0; i < 64; i++) {
                uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
                uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
                h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
        }
        s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
        s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

void bv_sha256_init(struct bv_sha256 *s)
{
        static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
        memcpy(s->h, iv, sizeof(iv));
        s->len = 0;
        s->n = 0;
}

void bv_sha256_update(struct bv_sha256 *s, const void *data, size_t len)
{
        const uint8_t *p = data;

        s->len += len;
        while (len > 0) {
                size_t take = BV_MIN(len, sizeof(s->buf) - s->n);
                memcpy(s->buf + s->n, p, take);
                s->n += take, p += take, len -= take;
                if (s->n == sizeof(s->buf)) {
                        block(s, s->buf);
                        s->n = 0;
                }
        }
}

void bv_sha256_final(struct bv_sha256 *s, uint8_t out[BV_SHA256_LEN])
{
        uint64_t bits = s->len * 8;
        uint8_t pad = 0x80, zero = 0, lenbuf[8];

        bv_sha256_update(s, &pad, 1);
        while (s->n != 56)
                bv_sha256_update(s, &zero, 1);
        for (int i = 0; i < 8; i++)
                lenbuf[i] = (uint8_t)(bits >> (56 - 8 * i));
        bv_sha256_update(s, lenbuf, 8);
        for (int i = 0; i < 8; i++)
                for (int j = 0; j < 4; j++)
                        out[4 * i + j] = (uint8_t)(s->h[i] >> (24 - 8 * j));
}

void bv_sha256_hex(const void *data, size_t len, char out[BV_SHA256_HEX])
{
        struct bv_sha256 s;
        uint8_t md[BV_SHA256_LEN];

        bv_sha256_init(&s);
        bv_sha256_update(&s, data, len);
        bv_sha256_final(&s, md);
        bv_hex(md, sizeof(md), out);
}

void bv_hex(const void *data, size_t len, char *out)
{
        static const char digits[] = "0123456789abcdef";
        const uint8_t *p = data;

        for (size_t i = 0; i < len; i++) {
                out[2 * i] = digits[p[i] >> 4];
                out[2 * i + 1] = digits[p[i] & 15];
        }
        out[2 * len] = '\0';
}

static int b64_value(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        return c == '+' ? 62 : c == '/' ? 63 : -1;
}

ssize_t bv_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_max)
{
        uint32_t acc = 0;
        int bits = 0, pad = 0;
        size_t n = 0;

        for (size_t i = 0; i < in_len; i++) {
                char c = in[i];
                if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
                        continue;
                if (c == '=') {
                        pad++;
                        continue;
                }
                int v = b64_value(c);
                if (v < 0 || pad)  /* junk, or data after padding */
                        return -EINVAL;
                acc = acc << 6 | (uint32_t)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        if (n >= out_max)
                                return -ENOBUFS;
                        out[n++] = (uint8_t)(acc >> bits);
                }
        }
        if (pad > 2 || bits >= 6 || (acc & ((1u << bits) - 1)))
                return -EINVAL;
        return (ssize_t)n;
}

size_t bv_base64_encode(const void *data, size_t len, char *out)
{
        static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const uint8_t *p = data;
        size_t n = 0;

        for (size_t i = 0; i < len; i += 3) {
                uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) |
                             (i + 2 < len ? p[i + 2] : 0);
                out[n++] = digits[v >> 18 & 63];
                out[n++] = digits[v >> 12 & 63];
                out[n++] = i + 1 < len ? digits[v >> 6 & 63] : '=';
                out[n++] = i + 2 < len ? digits[v & 63] : '=';
        }
        out[n] = '\0';
        return n;
}
