/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SHA-256 against FIPS 180-4's vectors, hex, and base64 decoding with its refusals. */
#include <string.h>

#include "common/common.h"
#include "tests/tap.h"

int main(void)
{
        char hex[BV_SHA256_HEX];
        uint8_t out[64];
        struct bv_sha256 s;
        uint8_t md[BV_SHA256_LEN];

        bv_sha256_hex("", 0, hex);
        tap_is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256('')");
        bv_sha256_hex("abc", 3, hex);
        tap_is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256('abc')");
        const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        bv_sha256_hex(two, strlen(two), hex);
        tap_is_str(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "sha256 two blocks");
        bv_sha256_init(&s);
        for (int i = 0; i < 1000; i++)
                bv_sha256_update(&s, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                 1000);
        bv_sha256_final(&s, md);
        bv_hex(md, sizeof(md), hex);
        tap_is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "sha256 of a million 'a'");

        tap_is_int((int)bv_base64_decode("aGVsbG8=", 8, out, sizeof(out)), 5, "base64 'hello'");
        tap_ok(memcmp(out, "hello", 5) == 0, "base64 bytes");
        tap_is_int((int)bv_base64_decode("aGVs\nbG8h", 9, out, sizeof(out)), 6, "base64 across a newline");
        tap_is_int((int)bv_base64_decode("aGVsbG8=x", 9, out, sizeof(out)), -EINVAL, "data after padding refused");
        tap_is_int((int)bv_base64_decode("aGV*", 4, out, sizeof(out)), -EINVAL, "junk refused");
        tap_is_int((int)bv_base64_decode("aGVsbG8=", 8, out, 3), -ENOBUFS, "too small a buffer");
        tap_is_int((int)bv_base64_decode("a", 1, out, sizeof(out)), -EINVAL, "a lone sextet refused");
        tap_done();
}
