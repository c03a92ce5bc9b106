/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS server context of barevirt-proxy (tls/tls.h (the TLS server)):
 * certificate, key and CA from memory (the proxy never opens a file of the
 * state dir), TLS 1.3 only unless 1.2 is allowed, client certificates
 * requested but optional. A presented certificate must prove its key (the
 * handshake's CertificateVerify) even when it does not chain to our CA
 * (one outside its validity dates is reported as none, tls/relay.c):
 * the core pins trusted certificates by fingerprint, so chain verification
 * only adds the TLS_CONN_CA flag.
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls/tls-internal.h"

int tls_openssl_error(struct bv_error *err, int errno_value, const char *what)
{
        char buf[160] = "";
        unsigned long e = ERR_peek_last_error();

        if (e)
                ERR_error_string_n(e, buf, sizeof(buf));
        ERR_clear_error();
        return bv_error_set(err, errno_value, "%s%s%s", what, *buf ? ": " : "", buf);
}

/* Accepts every presented certificate; the chain's verdict is read back with SSL_get_verify_result(). */
static int verify_any(int preverify_ok, X509_STORE_CTX *ctx)
{
        return 1;
}

/* An SNI the certificate does not name ends the handshake (unrecognized_name); none is fine. */
static int check_sni(SSL *ssl, int *alert, void *arg)
{
        const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        X509 *cert = SSL_get_certificate(ssl);

        if (!name || (cert && (X509_check_host(cert, name, 0, 0, NULL) == 1 || X509_check_ip_asc(cert, name, 0) == 1)))
                return SSL_TLSEXT_ERR_OK;
        tls_relay_note_refused(ssl, "SNI names a host the certificate is not for");
        *alert = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static int load(SSL_CTX *ctx, const struct tls_server_config *cfg, struct bv_error *err)
{
        BIO *b = BIO_new_mem_buf(cfg->cert, (int)cfg->cert_len);
        X509 *x;
        EVP_PKEY *k;
        bool first = true;

        if (!b)
                return -ENOMEM;
        while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
                int ok = first ? SSL_CTX_use_certificate(ctx, x) : SSL_CTX_add1_chain_cert(ctx, x);
                X509_free(x);
                first = false;
                if (ok != 1) {
                        BIO_free(b);
                        return tls_openssl_error(err, EINVAL, "Unusable server certificate");
                }
        }
        BIO_free(b);
        ERR_clear_error();
        if (first)
                return bv_error_set(err, EINVAL, "No certificate in the server certificate's PEM");
        b = BIO_new_mem_buf(cfg->key, (int)cfg->key_len);
        if (!b)
                return -ENOMEM;
        k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
        BIO_free(b);
        if (!k || SSL_CTX_use_PrivateKey(ctx, k) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
                EVP_PKEY_free(k);
                return tls_openssl_error(err, EINVAL, "Server key unusable or not the certificate's");
        }
        EVP_PKEY_free(k);
        if (!cfg->ca || !cfg->ca_len)
                return 0;
        b = BIO_new_mem_buf(cfg->ca, (int)cfg->ca_len);
        if (!b)
                return -ENOMEM;
        X509_STORE *store = SSL_CTX_get_cert_store(ctx);
        while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
                X509_STORE_add_cert(store, x);
                X509_free(x);
        }
        BIO_free(b);
        ERR_clear_error();
        return 0;
}

int tls_server_new(const struct tls_server_config *cfg, struct tls_server **ret, struct bv_error *err)
{
        struct tls_server *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        s->ctx = SSL_CTX_new(TLS_server_method());
        if (!s->ctx) {
                free(s);
                return tls_openssl_error(err, ENOMEM, "Cannot make a TLS context");
        }
        SSL_CTX_set_min_proto_version(s->ctx, cfg->tls_min == 12 ? TLS1_2_VERSION : TLS1_3_VERSION);
        SSL_CTX_set_options(s->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
        SSL_CTX_set_mode(s->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                         SSL_MODE_RELEASE_BUFFERS);
        SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, verify_any);
        SSL_CTX_set_session_id_context(s->ctx, (const unsigned char *)"barevirt", 8);
        /* Resumption by stateless tickets only: no server-side cache to fill and flush, one ticket a handshake. */
        SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_num_tickets(s->ctx, 1);
        SSL_CTX_set_tlsext_servername_callback(s->ctx, check_sni);
        unsigned char seed[16];
        if ((r = load(s->ctx, cfg, err)) < 0 || (r = RAND_bytes(seed, sizeof(seed)) == 1 ? 0 : -EIO) < 0) {
                tls_server_free(s);
                return r == -EIO ? tls_openssl_error(err, EIO, "No randomness") : r;
        }
        *ret = s;
        return 0;
}

struct tls_server *tls_server_free(struct tls_server *s)
{
        if (s) {
                SSL_CTX_free(s->ctx);
                free(s);
        }
        return NULL;
}
