/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls/'s OpenSSL-free half: the Authorization header parser, tokens, roles,
 * the control message check, the store parsers and PEM fingerprints (the
 * fingerprint against what OpenSSL computes is in remote-tls.sh).
 */
#include <string.h>

#include "tls/tls.h"
#include "tests/tap.h"

static void bearer(void)
{
        char t[TLS_TOKEN_MAX];

        tap_is_int(tls_bearer_parse(NULL, t, sizeof(t)), 0, "no header: no token");
        tap_is_int(tls_bearer_parse("Bearer bvt_abc", t, sizeof(t)), 1, "Bearer TOKEN parses");
        tap_is_str(t, "bvt_abc", "into the token");
        tap_is_int(tls_bearer_parse("bEaReR   a.b~c+d/e-f==  ", t, sizeof(t)), 1, "any case, spaces, token68, padding");
        tap_is_str(t, "a.b~c+d/e-f==", "the token68 without blanks");
        tap_is_int(tls_bearer_parse("Basic cm9vdA==", t, sizeof(t)), -EINVAL, "Basic refused");
        tap_is_int(tls_bearer_parse("Bearer", t, sizeof(t)), -EINVAL, "no token refused");
        tap_is_int(tls_bearer_parse("Bearer ", t, sizeof(t)), -EINVAL, "empty token refused");
        tap_is_int(tls_bearer_parse("Bearer a b", t, sizeof(t)), -EINVAL, "two words refused");
        tap_is_int(tls_bearer_parse("Bearer a=b", t, sizeof(t)), -EINVAL, "'=' inside refused");
        tap_is_int(tls_bearer_parse("Bearerabc", t, sizeof(t)), -EINVAL, "no space refused");
        tap_is_int(tls_bearer_parse("Bearer abcdef", t, 4), -ENOBUFS, "too long for the buffer");
}

static void tokens_roles(void)
{
        char a[TLS_TOKEN_MAX], b[TLS_TOKEN_MAX];

        tap_ok(tls_token_new(a) == 0 && tls_token_new(b) == 0, "two tokens made");
        tap_ok(strncmp(a, "bvt_", 4) == 0 && strlen(a) == 68, "bvt_ and 64 hex digits");
        tap_ok(strcmp(a, b) != 0, "and they differ");
        tap_ok(tls_hash_equal("abc", "abc") && !tls_hash_equal("abc", "abd") && !tls_hash_equal("abc", "ab"),
               "tls_hash_equal");
        tap_is_int(tls_role_from_name("operator"), TLS_ROLE_OPERATOR, "operator");
        tap_is_int(tls_role_from_name("root"), -EINVAL, "unknown role refused");
        tap_is_str(tls_role_name(TLS_ROLE_ADMIN), "admin", "admin's name");
}

static void msg(void)
{
        struct tls_msg_conn m = { .flags = TLS_CONN_CERT }, got;
        struct bv_error err = {};

        tls_msg_head_init(&m.head, TLS_MSG_CONN, sizeof(m));
        snprintf(m.peer, sizeof(m.peer), "[::1]:4433");
        memset(m.fingerprint, 'a', 64);
        tap_is_int(tls_msg_conn_check(&m, sizeof(m), &got, &err), 0, "a connection message checks");
        tap_is_str(got.peer, "[::1]:4433", "with its peer");
        tap_is_int(tls_msg_conn_check(&m, sizeof(m) - 1, &got, &err), -EPROTO, "short refused");
        m.head.version = 2;
        tap_is_int(tls_msg_conn_check(&m, sizeof(m), &got, &err), -EPROTO, "another version refused");
        m.head.version = TLS_MSG_VERSION;
        m.fingerprint[3] = 'G';
        tap_is_int(tls_msg_conn_check(&m, sizeof(m), &got, &err), -EPROTO, "non-hex fingerprint refused");
        m.flags = 0;
        tap_is_int(tls_msg_conn_check(&m, sizeof(m), &got, &err), -EPROTO, "fingerprint without the flag refused");
        memset(m.fingerprint, 0, sizeof(m.fingerprint));
        memset(m.peer, 'x', sizeof(m.peer));
        tap_is_int(tls_msg_conn_check(&m, sizeof(m), &got, &err), -EPROTO, "unterminated peer refused");
        snprintf(m.peer, sizeof(m.peer), "1.2.3.4:5/../x");
        tap_is_int(tls_msg_conn_check(&m, sizeof(m), &got, &err), -EPROTO, "a peer that is no address refused");

        struct tls_msg_refused rf = { .suppressed = 7 }, rgot;
        tls_msg_head_init(&rf.head, TLS_MSG_REFUSED, sizeof(rf));
        snprintf(rf.peer, sizeof(rf.peer), "192.0.2.1:80");
        snprintf(rf.reason, sizeof(rf.reason), "handshake timeout");
        tap_is_int(tls_msg_type(&rf, sizeof(rf)), TLS_MSG_REFUSED, "a refusal's type is read from its head");
        tap_ok(tls_msg_refused_check(&rf, sizeof(rf), &rgot, &err) == 0 && rgot.suppressed == 7 &&
                       strcmp(rgot.reason, "handshake timeout") == 0, "a refusal message checks");
        tap_is_int(tls_msg_conn_check(&rf, sizeof(rf), &got, &err), -EPROTO, "and is no connection message");
        rf.reason[3] = '\n';
        tap_is_int(tls_msg_refused_check(&rf, sizeof(rf), &rgot, &err), -EPROTO, "a reason with a control byte refused");
        memset(rf.reason, 'r', sizeof(rf.reason));
        tap_is_int(tls_msg_refused_check(&rf, sizeof(rf), &rgot, &err), -EPROTO, "an unterminated reason refused");
        tap_is_int(tls_msg_type(&rf, 3), 0, "too short for a head: type 0");
}

static void stores(void)
{
        static const char good[] = "{\"tokens\": [{\"name\": \"ci\", \"role\": \"admin\", \"hash\": "
                                   "\"b71d1aabe51effe86f1103291268183fd617152c09de1dced1809a0d0c9dd70a\", "
                                   "\"created\": 1, \"expires\": 0}]}";
        struct bv_error err = {};
        json_t *a = NULL;
        char buf[512];

        tap_is_int(tls_tokens_parse(good, strlen(good), &a, &err), 0, "a token store parses");
        tap_is_int((int)json_array_size(a), 1, "with its entry");
        json_decref(a);
        tap_is_int(tls_tokens_parse("{}", 2, &a, &err), 0, "an empty store parses");
        json_decref(a);
        snprintf(buf, sizeof(buf), "{\"tokens\": [{\"name\": \"a\", \"role\": \"admin\", \"hash\": \"%064d\"}, "
                                   "{\"name\": \"a\", \"role\": \"admin\", \"hash\": \"%064d\"}]}", 1, 2);
        tap_is_int(tls_tokens_parse(buf, strlen(buf), &a, &err), -EINVAL, "a name twice refused");
        tap_ok(strstr(err.msg, "tokens[1].name") != NULL, "naming the entry: %s", err.msg);
        snprintf(buf, sizeof(buf), "{\"tokens\": [{\"name\": \"a\", \"role\": \"root\", \"hash\": \"%064d\"}]}", 1);
        tap_is_int(tls_tokens_parse(buf, strlen(buf), &a, &err), -EINVAL, "an unknown role refused");
        snprintf(buf, sizeof(buf), "{\"tokens\": [{\"name\": \"../a\", \"role\": \"admin\", \"hash\": \"%064d\"}]}", 1);
        tap_is_int(tls_tokens_parse(buf, strlen(buf), &a, &err), -EINVAL, "a bad name refused");
        snprintf(buf, sizeof(buf), "{\"tokens\": [{\"name\": \"a\", \"role\": \"admin\", \"hash\": \"%064d\", \"x\": 1}]}", 1);
        tap_is_int(tls_tokens_parse(buf, strlen(buf), &a, &err), -EINVAL, "an unknown key refused");
        snprintf(buf, sizeof(buf), "{\"tokens\": [{\"name\": \"a\", \"role\": \"operator\", \"hash\": \"%064d\", "
                                   "\"project\": \"web\"}]}", 1);
        tap_is_int(tls_tokens_parse(buf, strlen(buf), &a, &err), 0, "a token restricted to a project parses");
        json_decref(a);
        snprintf(buf, sizeof(buf), "{\"certificates\": [{\"name\": \"a\", \"role\": \"viewer\", \"fingerprint\": "
                                   "\"%064d\", \"project\": \"web\"}]}", 1);
        tap_is_int(tls_trust_parse(buf, strlen(buf), &a, &err), 0, "so does a certificate");
        json_decref(a);
        snprintf(buf, sizeof(buf), "{\"tokens\": [{\"name\": \"a\", \"role\": \"admin\", \"hash\": \"%064d\", "
                                   "\"project\": \"../x\"}]}", 1);
        tap_is_int(tls_tokens_parse(buf, strlen(buf), &a, &err), -EINVAL, "a bad project name refused");
        tap_ok(strstr(err.msg, "tokens[0].project") != NULL, "naming the key: %s", err.msg);
        snprintf(buf, sizeof(buf), "{\"tokens\": [{\"name\": \"a\", \"role\": \"admin\", \"hash\": \"%064d\", "
                                   "\"project\": 5}]}", 1);
        tap_is_int(tls_tokens_parse(buf, strlen(buf), &a, &err), -EINVAL, "a project that is no string refused");
        snprintf(buf, sizeof(buf), "{\"certificates\": [{\"name\": \"a\", \"role\": \"viewer\", \"fingerprint\": \"%064d\", "
                                   "\"certificate\": 7}]}", 1);
        tap_is_int(tls_trust_parse(buf, strlen(buf), &a, &err), -EINVAL, "a certificate that is not PEM text refused");
        tap_is_int(tls_trust_parse("{\"tokens\": []}", 14, &a, &err), -EINVAL, "a token store is no trust store");
}

static void pem(void)
{
        /* A 3-byte DER SEQUENCE {NULL}: 30 02 05 00 -> base64 MAIFAA== */
        static const char p[] = "junk\n-----BEGIN CERTIFICATE-----\nMAIFAA==\n-----END CERTIFICATE-----\n";
        char fp[BV_SHA256_HEX], want[BV_SHA256_HEX];
        struct bv_error err = {};

        tap_is_int(tls_pem_fingerprint(p, strlen(p), fp, &err), 0, "a PEM certificate fingerprints");
        bv_sha256_hex("\x30\x02\x05\x00", 4, want);
        tap_is_str(fp, want, "as the SHA-256 of its DER");
        tap_is_int(tls_pem_fingerprint("nothing", 7, fp, &err), -EINVAL, "no PEM refused");
        tap_is_int(tls_pem_fingerprint("-----BEGIN CERTIFICATE-----\nMAIFAA==\n", 38, fp, &err), -EINVAL,
                   "no END refused");
        static const char bad[] = "-----BEGIN CERTIFICATE-----\nMAMFAA==\n-----END CERTIFICATE-----\n";
        tap_is_int(tls_pem_fingerprint(bad, strlen(bad), fp, &err), -EINVAL, "DER length that lies refused");
}

static void join(void)
{
        struct tls_join j = { .name = "laptop", .n_addrs = 2, .addrs = { "192.0.2.1:8443", "[2001:db8::1]:8443" } }, k;
        struct sockaddr_storage ss;
        struct bv_error err = {};
        _cleanup_free_ char *text = NULL;
        socklen_t len;
        char b64[BV_BASE64_LEN(5)], buf[1024], enc[BV_BASE64_LEN(sizeof(buf))];

        tap_is_int((int)bv_base64_encode("hello", 5, b64), 8, "base64 of 5 bytes is 8 characters");
        tap_is_str(b64, "aGVsbG8=", "with its padding");
        memset(j.fingerprint, 'a', 64);
        memset(j.secret, '0', 64);
        tap_is_int(tls_join_encode(&j, &text), 0, "a join token encodes");
        tap_is_int(tls_join_decode(text, strlen(text), &k, &err), 0, "and decodes");
        tap_ok(memcmp(&j, &k, sizeof(j)) == 0, "to the same fields");
        tap_is_int(tls_join_decode("bvt_x", 5, &k, &err), -EINVAL, "a bearer token is no join token");
        snprintf(buf, sizeof(buf), "{\"name\": \"a\", \"fingerprint\": \"%064d\", \"secret\": \"%064d\", "
                                   "\"addresses\": [\"host.example:1\"]}", 1, 2);
        bv_base64_encode(buf, strlen(buf), enc);
        tap_is_int(tls_join_decode(enc, strlen(enc), &k, &err), -EINVAL, "a host name for an address refused");
        tap_ok(strstr(err.msg, "addresses[0]") != NULL, "naming it: %s", err.msg);
        tap_is_int(tls_addr_parse("[::1]:65535", &ss, &len), 0, "[::1]:65535 parses");
        tap_is_int(tls_addr_parse("1.2.3.4:0", &ss, &len), -EINVAL, "port 0 refused");
        tap_is_int(tls_addr_parse("1.2.3.4", &ss, &len), -EINVAL, "no port refused");
        snprintf(buf, sizeof(buf), "{\"tokens\": [{\"name\": \"a\", \"role\": \"admin\", \"hash\": \"%064d\", "
                                   "\"project\": \"p\", \"spent\": 5}]}", 1);
        json_t *a = NULL;
        tap_is_int(tls_join_tokens_parse(buf, strlen(buf), &a, &err), 0, "a join token store with a project parses");
        json_decref(a);
        snprintf(buf, sizeof(buf), "{\"tokens\": [{\"name\": \"a\", \"role\": \"admin\", \"hash\": \"%064d\", "
                                   "\"project\": 3}]}", 1);
        tap_is_int(tls_tokens_parse(buf, strlen(buf), &a, &err), -EINVAL, "a project that is no name refused");
}

int main(void)
{
        bearer();
        tokens_roles();
        msg();
        stores();
        pem();
        join();
        tap_done();
}
