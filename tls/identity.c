/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's own CA and server certificate (tls/tls.h (the daemon's
 * identity)), made once by `barevirt-proxy --make-identity` so that
 * barevirtd itself needs no TLS library; and the CLI's self-signed client
 * certificate (`barevirt remote add`). ECDSA P-256 keys, SHA-256
 * signatures, random 128-bit serials; the CA may sign nothing but
 * certificates (pathlen 0), the server certificate is for serverAuth only.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "tls/tls-internal.h"

#define VALID_DAYS 3650

BV_DEFINE_CLEANUP(X509, X509_free)
BV_DEFINE_CLEANUP(EVP_PKEY, EVP_PKEY_free)
BV_DEFINE_CLEANUP(BIO, BIO_free)

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
        X509V3_CTX v3;
        X509_EXTENSION *ext;
        int ok;

        X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
        ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
        if (!ext)
                return -EINVAL;
        ok = X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
        return ok == 1 ? 0 : -EINVAL;
}

/* A certificate for key named cn, signed by issuer_key (issuer NULL: self-signed), with exts (nid, value) pairs. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, const int *nids,
                       const char *const *values, size_t n)
{
        _cleanup_(X509_freep) X509 *x = X509_new();
        unsigned char serial[16];
        BIGNUM *bn;

        if (!x || RAND_bytes(serial, sizeof(serial)) != 1)
                return NULL;
        serial[0] &= 0x7f;  /* positive */
        bn = BN_bin2bn(serial, sizeof(serial), NULL);
        if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x))) {
                BN_free(bn);
                return NULL;
        }
        BN_free(bn);
        X509_NAME *name = X509_get_subject_name(x);
        if (X509_set_version(x, 2) != 1 || !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
            !X509_gmtime_adj(X509_getm_notAfter(x), (long)VALID_DAYS * 86400) ||
            X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"barevirt", -1, -1, 0) != 1 ||
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) != 1 ||
            X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) != 1 ||
            X509_set_pubkey(x, key) != 1)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (add_ext(x, issuer ? issuer : x, nids[i], values[i]) < 0)
                        return NULL;
        if (X509_sign(x, issuer_key, EVP_sha256()) <= 0)
                return NULL;
        return TAKE_PTR(x);
}

static int write_pem_path(const char *path, X509 *x, EVP_PKEY *k, struct bv_error *err)
{
        _cleanup_(BIO_freep) BIO *b = BIO_new(BIO_s_mem());
        char *data;
        long len;

        if (!b)
                return -ENOMEM;
        if (x ? PEM_write_bio_X509(b, x) != 1 : PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) != 1)
                return tls_openssl_error(err, ENOMEM, "Cannot encode PEM");
        len = BIO_get_mem_data(b, &data);
        return bv_file_write_atomic(path, data, (size_t)len, 0600, err);
}

static int write_pem(const char *dir, const char *file, X509 *x, EVP_PKEY *k, struct bv_error *err)
{
        char path[4096];

        snprintf(path, sizeof(path), "%s/%s", dir, file);
        return write_pem_path(path, x, k, err);
}

int tls_identity_make(const char *dir, const char *hostname, const char *const *sans, size_t n_sans,
                      struct bv_error *err)
{
        static const int ca_nids[] = { NID_basic_constraints, NID_key_usage, NID_subject_key_identifier };
        static const char *const ca_values[] = { "critical,CA:TRUE,pathlen:0", "critical,keyCertSign,cRLSign",
                                                 "hash" };
        static const int srv_nids[] = { NID_basic_constraints, NID_key_usage, NID_ext_key_usage,
                                        NID_authority_key_identifier, NID_subject_alt_name };
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *key = EVP_EC_gen("P-256");
        _cleanup_(X509_freep) X509 *ca = NULL, *srv = NULL;
        char san[2048], cn[300];
        size_t used;
        int r;

        if (!ca_key || !key)
                return tls_openssl_error(err, ENOMEM, "Cannot generate a P-256 key");
        used = (size_t)snprintf(san, sizeof(san), "DNS:%s", hostname);
        for (size_t i = 0; i < n_sans && used < sizeof(san); i++)
                used += (size_t)snprintf(san + used, sizeof(san) - used, ",%s", sans[i]);
        if (used >= sizeof(san))
                return bv_error_set(err, EINVAL, "Too many subject alternative names");
        const char *srv_values[] = { "critical,CA:FALSE", "critical,digitalSignature", "serverAuth", "keyid:always",
                                     san };
        snprintf(cn, sizeof(cn), "barevirt CA %s", hostname);
        ca = make_cert(ca_key, cn, NULL, ca_key, ca_nids, ca_values, BV_ELEMENTSOF(ca_nids));
        if (!ca)
                return tls_openssl_error(err, EINVAL, "Cannot make the CA certificate");
        srv = make_cert(key, hostname, ca, ca_key, srv_nids, srv_values, BV_ELEMENTSOF(srv_nids));
        if (!srv)
                return tls_openssl_error(err, EINVAL, "Cannot make the server certificate");
        if ((r = write_pem(dir, "ca.key", NULL, ca_key, err)) < 0 || (r = write_pem(dir, "ca.pem", ca, NULL, err)) < 0 ||
            (r = write_pem(dir, "server.key", NULL, key, err)) < 0 ||
            (r = write_pem(dir, "server.pem", srv, NULL, err)) < 0)
                return r;
        return 0;
}

int tls_identity_make_client(const char *cert_path, const char *key_path, const char *cn, struct bv_error *err)
{
        static const int nids[] = { NID_basic_constraints, NID_key_usage, NID_ext_key_usage };
        static const char *const values[] = { "critical,CA:FALSE", "critical,digitalSignature", "clientAuth" };
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = EVP_EC_gen("P-256");
        _cleanup_(X509_freep) X509 *x = NULL;
        int r;

        if (!key)
                return tls_openssl_error(err, ENOMEM, "Cannot generate a P-256 key");
        x = make_cert(key, cn, NULL, key, nids, values, BV_ELEMENTSOF(nids));
        if (!x)
                return tls_openssl_error(err, EINVAL, "Cannot make the client certificate");
        /* The key first: a certificate without its key is never left behind. */
        if ((r = write_pem_path(key_path, NULL, key, err)) < 0 || (r = write_pem_path(cert_path, x, NULL, err)) < 0)
                return r;
        return 0;
}
