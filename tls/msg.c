/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control messages between barevirtd and barevirt-proxy (tls/tls.h
 * (control messages)): building heads and checking what arrives. Both
 * sides check: a packet of the wrong size, version or type, a string
 * without its NUL, or flags that do not fit the rest is refused whole.
 */
#include <string.h>

#include "tls/tls.h"

void tls_msg_head_init(struct tls_msg_head *h, enum tls_msg_type type, size_t len)
{
        h->version = TLS_MSG_VERSION;
        h->type = (uint16_t)type;
        h->len = (uint32_t)len;
}

static int head_check(const void *buf, size_t len, size_t min, enum tls_msg_type type, struct bv_error *err)
{
        struct tls_msg_head h;

        if (len < sizeof(h))
                return bv_error_set(err, EPROTO, "Control message of %zu bytes is too short", len);
        memcpy(&h, buf, sizeof(h));
        if (h.version != TLS_MSG_VERSION)
                return bv_error_set(err, EPROTO, "Control message version %u, expected %u", h.version,
                                    TLS_MSG_VERSION);
        if (h.type != type)
                return bv_error_set(err, EPROTO, "Control message type %u, expected %u", h.type, type);
        if (h.len != len || len < min)
                return bv_error_set(err, EPROTO, "Control message of %zu bytes says %u", len, h.len);
        return 0;
}

unsigned tls_msg_type(const void *buf, size_t len)
{
        struct tls_msg_head h;

        if (len < sizeof(h))
                return 0;
        memcpy(&h, buf, sizeof(h));
        return h.type;
}

static bool peer_ok(const char *peer)
{
        for (const char *p = peer; *p; p++)
                if (!strchr("0123456789abcdefABCDEF.:[]", *p))
                        return false;
        return true;
}

static bool is_hex64(const char *s)
{
        for (int i = 0; i < 64; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return s[64] == '\0';
}

int tls_msg_conn_check(const void *buf, size_t len, struct tls_msg_conn *ret, struct bv_error *err)
{
        struct tls_msg_conn m;
        int r = head_check(buf, len, sizeof(m), TLS_MSG_CONN, err);

        if (r < 0)
                return r;
        if (len != sizeof(m))
                return bv_error_set(err, EPROTO, "Connection message of %zu bytes, expected %zu", len, sizeof(m));
        memcpy(&m, buf, sizeof(m));
        if (!memchr(m.peer, '\0', sizeof(m.peer)) || !memchr(m.fingerprint, '\0', sizeof(m.fingerprint)))
                return bv_error_set(err, EPROTO, "Connection message with an unterminated string");
        if (m.flags & ~(TLS_CONN_CERT | TLS_CONN_CA))
                return bv_error_set(err, EPROTO, "Connection message with unknown flags 0x%x", m.flags);
        if ((m.flags & TLS_CONN_CA) && !(m.flags & TLS_CONN_CERT))
                return bv_error_set(err, EPROTO, "Connection message: CA-verified without a certificate");
        if ((m.flags & TLS_CONN_CERT) ? !is_hex64(m.fingerprint) : m.fingerprint[0] != '\0')
                return bv_error_set(err, EPROTO, "Connection message with a malformed fingerprint");
        if (!peer_ok(m.peer))
                return bv_error_set(err, EPROTO, "Connection message with a malformed peer address");
        *ret = m;
        return 0;
}

int tls_msg_refused_check(const void *buf, size_t len, struct tls_msg_refused *ret, struct bv_error *err)
{
        struct tls_msg_refused m;
        int r = head_check(buf, len, sizeof(m), TLS_MSG_REFUSED, err);

        if (r < 0)
                return r;
        if (len != sizeof(m))
                return bv_error_set(err, EPROTO, "Refusal message of %zu bytes, expected %zu", len, sizeof(m));
        memcpy(&m, buf, sizeof(m));
        if (!memchr(m.peer, '\0', sizeof(m.peer)) || !memchr(m.reason, '\0', sizeof(m.reason)) || !peer_ok(m.peer))
                return bv_error_set(err, EPROTO, "Refusal message with a malformed peer or reason");
        for (const char *p = m.reason; *p; p++)
                if (*p < 0x20 || *p > 0x7e)
                        return bv_error_set(err, EPROTO, "Refusal message with a malformed peer or reason");
        *ret = m;
        return 0;
}

int tls_msg_config_check(const void *buf, size_t len, size_t n_fds, struct tls_config_view *ret,
                         struct bv_error *err)
{
        const struct tls_msg_config *m = buf;
        int r = head_check(buf, len, sizeof(*m), TLS_MSG_CONFIG, err);

        if (r < 0)
                return r;
        if (m->n_listen == 0 || m->n_listen != n_fds)
                return bv_error_set(err, EPROTO, "Config message names %u sockets, %zu attached", m->n_listen, n_fds);
        if (m->tls_min != 12 && m->tls_min != 13)
                return bv_error_set(err, EPROTO, "Config message with TLS minimum %u", m->tls_min);
        if (m->cert_len == 0 || m->key_len == 0 || m->cert_len > TLS_PEM_MAX || m->key_len > TLS_PEM_MAX ||
            m->ca_len > TLS_PEM_MAX || sizeof(*m) + (size_t)m->cert_len + m->key_len + m->ca_len != len)
                return bv_error_set(err, EPROTO, "Config message with bad PEM lengths");
        ret->msg = m;
        ret->cert = (const char *)(m + 1);
        ret->key = ret->cert + m->cert_len;
        ret->ca = m->ca_len ? ret->key + m->key_len : NULL;
        return 0;
}
