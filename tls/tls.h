/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls/: HTTPS for barevirt (libbvtls). Two halves in one convenience
 * library, each in its own files, so that a program pulls only what it
 * uses from the static archive:
 *
 *   without OpenSSL (msg.c, auth.c, store.c, pem.c, join.c): the control messages
 *     between barevirtd and barevirt-proxy, roles, bearer tokens, the trust
 *     and token store files, join tokens, certificate fingerprints from PEM. barevirtd
 *     uses these and links no TLS library.
 *   with OpenSSL 3 (server.c, client.c, identity.c, relay.c): the TLS
 *     server of barevirt-proxy, the CLI's TLS client, the daemon's own CA
 *     and server certificate and the CLI's client certificate, and the
 *     relay of one TLS connection to a plain socket on the event loop.
 *     Programs that use them link $(OPENSSL_LIBS) themselves.
 *
 * Nothing here logs or exits; errors are -errno with a struct bv_error.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/common.h"

/* ---- control messages (msg.c; no OpenSSL) ------------------------------------------------- */
/*
 * barevirtd and barevirt-proxy talk over one SOCK_SEQPACKET socketpair:
 * one message per packet, each starting with struct tls_msg_head. The
 * core sends one TLS_MSG_CONFIG (the listening sockets as SCM_RIGHTS, the
 * certificate and key as bytes); the proxy sends one TLS_MSG_CONN per
 * accepted TLS connection, with one end of a fresh socketpair as
 * SCM_RIGHTS, over which it relays the decrypted bytes. The receiver of
 * either checks every field (the core trusts nothing the proxy says: an
 * identity only names a certificate, the core decides what it may do).
 */
#define TLS_MSG_VERSION 1
#define TLS_MSG_MAX (128 * 1024)      /* one packet */
#define TLS_PEM_MAX (32 * 1024)       /* each PEM of a config */
#define TLS_PEER_MAX 64               /* "[ffff:...:ffff]:65535" and a NUL */

enum tls_msg_type {
        TLS_MSG_CONFIG = 1,           /* core -> proxy */
        TLS_MSG_CONN = 2,             /* proxy -> core */
        TLS_MSG_REFUSED = 3,          /* proxy -> core: a connection refused before HTTP (for the audit log) */
};

struct tls_msg_head {
        uint16_t version;             /* TLS_MSG_VERSION */
        uint16_t type;                /* enum tls_msg_type */
        uint32_t len;                 /* of the whole message, head included */
};

/* TLS_MSG_CONFIG: the head, then cert_len + key_len + ca_len bytes of PEM. */
struct tls_msg_config {
        struct tls_msg_head head;
        uint32_t n_listen;            /* listening sockets attached (1..BV_FD_SEND_MAX) */
        uint32_t tls_min;             /* 12 or 13: the lowest TLS version served */
        uint32_t handshake_ms;        /* a handshake not done by then is closed */
        uint32_t max_conns;           /* connections the proxy holds at most */
        uint32_t max_per_source;      /* and from one client address (0: max_conns) */
        uint32_t cert_len, key_len, ca_len;
};

/* Flags of a connection. */
#define TLS_CONN_CERT 1u              /* a client certificate was presented (its key proven by the handshake) */
#define TLS_CONN_CA 2u                /* and it chains to the CA the proxy was given */

/* TLS_MSG_CONN: fixed size, strings NUL-terminated. */
struct tls_msg_conn {
        struct tls_msg_head head;
        uint32_t flags;
        char peer[TLS_PEER_MAX];      /* the client's address and port */
        char fingerprint[BV_SHA256_HEX];  /* SHA-256 of the certificate's DER, lowercase hex; "" without */
};

/*
 * TLS_MSG_REFUSED: fixed size, no fd. reason is printable ASCII ("handshake
 * timeout", "unsupported protocol", "too many connections from this
 * address"...); suppressed counts refusals not reported since the last one
 * (the proxy reports a few a second at most).
 */
#define TLS_REASON_MAX 96
struct tls_msg_refused {
        struct tls_msg_head head;
        uint32_t suppressed;
        char peer[TLS_PEER_MAX];
        char reason[TLS_REASON_MAX];
};

/* Fills the head of a message of type and len. */
void tls_msg_head_init(struct tls_msg_head *h, enum tls_msg_type type, size_t len);
/*
 * Checks a received TLS_MSG_CONN of len bytes into *ret: version, type,
 * length, NUL-terminated strings, flags known and consistent with the
 * fingerprint (64 lowercase hex digits with TLS_CONN_CERT, empty without).
 * -EPROTO with a message otherwise.
 */
int tls_msg_conn_check(const void *buf, size_t len, struct tls_msg_conn *ret, struct bv_error *err);
/* The same for a TLS_MSG_REFUSED (terminated strings, a peer address, a printable reason). */
int tls_msg_refused_check(const void *buf, size_t len, struct tls_msg_refused *ret, struct bv_error *err);
/* The type of a received message of len bytes (0 when it is too short for a head). */
unsigned tls_msg_type(const void *buf, size_t len);
/*
 * Checks a received TLS_MSG_CONFIG of len bytes with n_fds sockets
 * attached (1..BV_FD_SEND_MAX, as many as it names; TLS minimum 12 or 13;
 * PEM lengths that add up to len). *ret points into buf: cert, key and ca
 * (NULL when ca_len is 0) are not NUL-terminated, use the message's
 * lengths. -EPROTO with a message otherwise.
 */
struct tls_config_view {
        const struct tls_msg_config *msg;
        const char *cert, *key, *ca;
};
int tls_msg_config_check(const void *buf, size_t len, size_t n_fds, struct tls_config_view *ret,
                         struct bv_error *err);

/* ---- roles and bearer tokens (auth.c; no OpenSSL) ----------------------------------------- */

enum tls_role { TLS_ROLE_VIEWER, TLS_ROLE_OPERATOR, TLS_ROLE_ADMIN };

/* "viewer", "operator", "admin" and back; -EINVAL for another name. */
const char *tls_role_name(enum tls_role role);
int tls_role_from_name(const char *name);

#define TLS_TOKEN_PREFIX "bvt_"
#define TLS_TOKEN_MAX 128             /* a token (ours are 68 bytes) and its NUL */

/*
 * The token of an Authorization header value: "Bearer" (any case), one or
 * more spaces, then a token68 (RFC 7235: [A-Za-z0-9._~+/-]+ then '='s),
 * optional trailing blanks. Returns 1 with the token in buf, 0 when
 * header is NULL, -EINVAL when it is not a bearer credential or is
 * malformed, -ENOBUFS when the token does not fit in len. Pure function.
 */
int tls_bearer_parse(const char *header, char *buf, size_t len);

/* A new random token ("bvt_" and 64 hex digits, from getrandom()). 0 or -errno. */
int tls_token_new(char buf[TLS_TOKEN_MAX]);

/* Constant-time comparison of two NUL-terminated strings of the same length (hashes). */
bool tls_hash_equal(const char *a, const char *b);

/* ---- trust and token stores (store.c; no OpenSSL) ----------------------------------------- */
/*
 * STATE/trust.json: {"certificates": [{"name", "fingerprint", "role",
 * "certificate" (PEM), "added" (unix time), "project"?}]}; STATE/tokens.json:
 * {"tokens": [{"name", "role", "hash" (SHA-256 hex of the token),
 * "created", "expires" (unix time, 0: never)}]}; STATE/join-tokens.json:
 * {"tokens": [{"name", "role", "hash", "created", "expires", "spent"
 * (unix time it was presented, 0: not yet)}]}. Every entry of the three
 * may carry "project" (a name; absent: every project). The parsers check every
 * entry (names as bv_name_is_valid(), known keys, hex, roles, no name or
 * fingerprint twice) and refuse the whole file on the first bad one with a
 * message naming it: -EINVAL, -EMSGSIZE past TLS_STORE_MAX bytes or
 * TLS_STORE_MAX_ENTRIES entries, -ENOMEM. *ret gets the array (a new reference).
 */
#define TLS_STORE_MAX (4 * 1024 * 1024)
#define TLS_STORE_MAX_ENTRIES 1024
int tls_trust_parse(const char *data, size_t len, json_t **ret, struct bv_error *err);
int tls_tokens_parse(const char *data, size_t len, json_t **ret, struct bv_error *err);
int tls_join_tokens_parse(const char *data, size_t len, json_t **ret, struct bv_error *err);

/* ---- certificates in PEM (pem.c; no OpenSSL) ---------------------------------------------- */

/*
 * The SHA-256 fingerprint (lowercase hex of the DER) of the first
 * certificate in pem (len bytes; text around it and later certificates
 * of a chain are ignored). -EINVAL when there is none or its base64 or
 * DER framing is broken. Pure function.
 */
int tls_pem_fingerprint(const char *pem, size_t len, char hex[BV_SHA256_HEX], struct bv_error *err);

/* ---- join tokens (join.c; no OpenSSL) ---------------------------------------------------- */
/*
 * A join token (`barevirt trust token create`, read by `barevirt remote
 * add`): standard base64 of {"name", "fingerprint", "addresses",
 * "secret"}: the trust entry's name to be, the server certificate's
 * SHA-256 (the client pins it), where the server listens (IPv4:PORT or
 * [IPv6]:PORT, tried in order) and 64 hex digits of randomness, of which
 * the server keeps only the SHA-256 (STATE/join-tokens.json).
 */
#define TLS_JOIN_MAX 4096             /* a join token's text */
#define TLS_JOIN_MAX_ADDRS 16

struct tls_join {
        char name[64];
        char fingerprint[BV_SHA256_HEX];
        char secret[BV_SHA256_HEX];
        size_t n_addrs;
        char addrs[TLS_JOIN_MAX_ADDRS][TLS_PEER_MAX];
};
/* The token of j as a malloc'ed string in *ret. 0 or -ENOMEM. */
int tls_join_encode(const struct tls_join *j, char **ret);
/*
 * Decodes len bytes of s (whitespace around base64 is skipped) into *ret,
 * checking every field as above. -EINVAL with a message ("Join token:
 * ..."), -EMSGSIZE past TLS_JOIN_MAX. Pure function.
 */
int tls_join_decode(const char *s, size_t len, struct tls_join *ret, struct bv_error *err);
/* "192.0.2.1:8443" or "[2001:db8::1]:8443" into *ss (port 1..65535). 0 or -EINVAL. Pure function. */
int tls_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *ret_len);
/* Whether s is 64 lowercase hex digits (a SHA-256 or a secret). */
bool tls_hex64_is_valid(const char *s);

/* ---- the TLS server (server.c; OpenSSL) --------------------------------------------------- */

struct tls_server;

struct tls_server_config {
        const char *cert, *key, *ca;  /* PEM: certificate chain, private key, CA for client certificates (may be NULL) */
        size_t cert_len, key_len, ca_len;
        int tls_min;                  /* 12 or 13 */
};
/*
 * (The context also refuses a handshake whose SNI names a host the
 * certificate is not for, with an unrecognized_name alert; no SNI, as
 * clients send for an address, is fine.)
 */
/*
 * A server context: TLS 1.3 (or from 1.2), the certificate and key,
 * client certificates asked for but not required (the core decides who
 * may do what; a presented one must prove its key). Draws from the
 * random generator once, so that it is seeded before a sandbox closes
 * /dev/random. -EINVAL with
 * OpenSSL's reason for a bad certificate or key, -ENOMEM.
 */
int tls_server_new(const struct tls_server_config *cfg, struct tls_server **ret, struct bv_error *err);
struct tls_server *tls_server_free(struct tls_server *s);

/* ---- a TLS connection relayed to a plain socket (relay.c; OpenSSL) ------------------------ */
/*
 * One accepted TCP connection: the handshake (closed after timeout_usec),
 * then on_ready() says who connected and returns the plain socket to relay
 * to (a non-blocking stream socket the relay then owns) or < 0 to drop the
 * connection; bytes flow both ways until both sides closed, then on_end()
 * runs (it must not free r) and the relay frees itself. Nothing blocks;
 * the relay owns tcp_fd (closed on failure too). 0 or -ENOMEM.
 */
struct tls_relay;
struct tls_peer {
        const char *addr;             /* "192.0.2.1:5555" */
        bool cert;                    /* a client certificate was presented, and is within its validity */
        bool ca_verified;             /* it chains to the server's CA */
        const char *fingerprint;      /* its SHA-256 hex, or "" */
};
struct tls_relay_ops {
        int (*on_ready)(struct tls_relay *r, const struct tls_peer *peer, void *userdata);
        /* refused: why the handshake did not complete ("handshake timeout", OpenSSL's reason), or NULL. */
        void (*on_end)(struct tls_relay *r, const char *refused, void *userdata);
};
int tls_relay_new(struct tls_server *s, struct bv_loop *loop, int tcp_fd, const char *addr, uint64_t timeout_usec,
                  const struct tls_relay_ops *ops, void *userdata, struct tls_relay **ret);
/* Tears a relay down without on_end (at exit). NULL accepted; returns NULL. */
struct tls_relay *tls_relay_free(struct tls_relay *r);

/* ---- the TLS client (client.c; OpenSSL) --------------------------------------------------- */

struct tls_client;

struct tls_client_config {
        const char *cert, *key;       /* PEM: the client certificate and its private key */
        size_t cert_len, key_len;
};
/*
 * A client context on loop: TLS 1.3, the client certificate, servers
 * pinned by fingerprint (tls_client_connect()). -EINVAL with OpenSSL's
 * reason for a bad certificate or key, -ENOMEM.
 */
int tls_client_new(const struct tls_client_config *cfg, struct bv_loop *loop, struct tls_client **ret,
                   struct bv_error *err);
/* Frees the context and the relays of its connections (before the loop). NULL accepted; returns NULL. */
struct tls_client *tls_client_free(struct tls_client *c);
/*
 * Connects to the first of addrs (IPv4:PORT, [IPv6]:PORT) that answers,
 * each within timeout_ms, and handshakes; the server's certificate must
 * have the SHA-256 fingerprint (64 hex digits), else the attempt ends
 * with -EPERM before anything of ours but the handshake was sent (the
 * other addresses are not tried). Blocks. Returns a connected,
 * non-blocking stream socket whose bytes a relay on the loop carries over
 * TLS (the caller owns it; closing it ends the connection), the index of
 * the address in *ret_index; or -errno with a message.
 */
int tls_client_connect(struct tls_client *c, const char *const *addrs, size_t n_addrs, const char *fingerprint,
                       unsigned timeout_ms, size_t *ret_index, struct bv_error *err);

/* ---- the daemon's identity (identity.c; OpenSSL) ----------------------------------------- */

/*
 * Makes a CA and a server certificate signed by it (ECDSA P-256, SHA-256,
 * ten years) as DIR/ca.pem, DIR/ca.key, DIR/server.pem and DIR/server.key, each 0600, written atomically; the server
 * certificate names hostname and every entry of sans ("DNS:x", "IP:1.2.3.4").
 * Blocks (key generation, disk). 0 or -errno.
 */
int tls_identity_make(const char *dir, const char *hostname, const char *const *sans, size_t n_sans,
                      struct bv_error *err);
/*
 * A self-signed client certificate (ECDSA P-256, ten years, clientAuth)
 * named cn, written to cert_path and key_path, 0600, atomically (the key
 * first). Blocks. 0 or -errno.
 */
int tls_identity_make_client(const char *cert_path, const char *key_path, const char *cn, struct bv_error *err);
