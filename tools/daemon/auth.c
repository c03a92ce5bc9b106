/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may do what over --listen (issue 15, items 2-4): the trust store
 * (client certificates pinned by SHA-256 fingerprint, STATE/trust.json),
 * bearer tokens (stored as their SHA-256 only, STATE/tokens.json), join
 * tokens for enrolment (the same, STATE/join-tokens.json), and the
 * one authorization function the router consults for every request of a
 * remote connection. Both stores live in memory and are written
 * atomically (0600) on every change; every request is checked against
 * them, and a removal or revocation also closes the open connections of
 * that credential (remote_drop()), streams included.
 *
 * What it defends against: anyone on the network. A remote request is
 * answered only when its connection's certificate is in the trust store
 * or its Authorization header carries a live token; anything else is 401
 * with the same words whatever was wrong (no hint that a token or a
 * certificate exists). What the proxy said is only a fingerprint: rights
 * come from our stores. The UNIX socket (req->peer_data NULL) is root's
 * and admin, as before.
 */
#include <string.h>
#include <time.h>

#include "tls/tls.h"
#include "tools/daemon/daemon.h"

/*
 * The role each endpoint needs, first match wins: (method or NULL: any,
 * path prefix or NULL: any). Trust and tokens are the admin's, so are
 * host-wide network changes (networks, their port forwards, firewall
 * groups) and raw QMP (it can open host files); reading is the viewer's.
 */
static const struct {
        const char *method;
        const char *prefix;
        enum tls_role role;
} rules[] = {
        { NULL, "/v1/trust", TLS_ROLE_ADMIN },
        { NULL, "/v1/tokens", TLS_ROLE_ADMIN },
        { NULL, "/v1/audit", TLS_ROLE_ADMIN },
        { "POST", "/v1/projects", TLS_ROLE_ADMIN },
        { "DELETE", "/v1/projects", TLS_ROLE_ADMIN },
        { "GET", NULL, TLS_ROLE_VIEWER },
        { "HEAD", NULL, TLS_ROLE_VIEWER },
        { NULL, "/v1/networks", TLS_ROLE_ADMIN },
        { NULL, "/v1/firewall", TLS_ROLE_ADMIN },
        { "POST", "/v1/vms/{}/qmp", TLS_ROLE_ADMIN },
        { NULL, NULL, TLS_ROLE_OPERATOR },
};

/* Whether path starts with prefix, where "{}" in prefix stands for one path segment. */
static bool prefix_match(const char *prefix, const char *path)
{
        while (*prefix) {
                if (prefix[0] == '{' && prefix[1] == '}') {
                        size_t n = strcspn(path, "/");
                        if (n == 0)
                                return false;
                        path += n;
                        prefix += 2;
                } else if (*prefix++ != *path++)
                        return false;
        }
        return *path == '\0' || *path == '/';
}

int auth_required_role(const char *method, const char *path)
{
        for (size_t i = 0; i < BV_ELEMENTSOF(rules); i++)
                if ((!rules[i].method || strcmp(rules[i].method, method) == 0) &&
                    (!rules[i].prefix || prefix_match(rules[i].prefix, path)))
                        return rules[i].role;
        return TLS_ROLE_ADMIN;
}

static int store_path(struct barevirtd *d, const char *file, char *buf, size_t len)
{
        return snprintf(buf, len, "%s/%s", d->state_dir, file) >= (int)len ? -ENAMETOOLONG : 0;
}

static int store_load(struct barevirtd *d, const char *file,
                      int (*parse)(const char *, size_t, json_t **, struct bv_error *), json_t **ret,
                      struct bv_error *err)
{
        _cleanup_free_ char *data = NULL;
        char path[4096];
        size_t len;
        int r;

        if ((r = store_path(d, file, path, sizeof(path))) < 0)
                return bv_error_set(err, -r, "State dir path too long");
        r = bv_file_read(path, TLS_STORE_MAX, &data, &len, err);
        if (r == -ENOENT) {
                *ret = json_array();
                return *ret ? 0 : -ENOMEM;
        }
        if (r < 0 || (r = parse(data, len, ret, err)) < 0)
                return bv_error_prefix(err, "'%s'", path);
        return 0;
}

static const struct {
        const char *file, *key;
        int (*parse)(const char *, size_t, json_t **, struct bv_error *);
} stores[] = {
        [AUTH_TRUST] = { "trust.json", "certificates", tls_trust_parse },
        [AUTH_TOKENS] = { "tokens.json", "tokens", tls_tokens_parse },
        [AUTH_JOIN] = { "join-tokens.json", "tokens", tls_join_tokens_parse },
};

json_t *auth_store(struct barevirtd *d, enum auth_store which)
{
        return which == AUTH_TRUST ? d->trust : which == AUTH_TOKENS ? d->tokens : d->join_tokens;
}

int auth_store_save(struct barevirtd *d, enum auth_store which, struct bv_error *err)
{
        json_auto_t *o = json_pack("{s:O}", stores[which].key, auth_store(d, which));
        _cleanup_free_ char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
        char path[4096];
        int r;

        if (!s)
                return -ENOMEM;
        if ((r = store_path(d, stores[which].file, path, sizeof(path))) < 0)
                return bv_error_set(err, -r, "State dir path too long");
        return bv_file_write_atomic(path, s, strlen(s), 0600, err);
}

int auth_load(struct barevirtd *d, struct bv_error *err)
{
        json_t **arrays[] = { [AUTH_TRUST] = &d->trust, [AUTH_TOKENS] = &d->tokens, [AUTH_JOIN] = &d->join_tokens };
        int r;

        for (size_t i = 0; i < BV_ELEMENTSOF(stores); i++)
                if ((r = store_load(d, stores[i].file, stores[i].parse, arrays[i], err)) < 0)
                        return r;
        return 0;
}

void auth_free(struct barevirtd *d)
{
        json_decref(d->trust);
        json_decref(d->tokens);
        json_decref(d->join_tokens);
        d->trust = d->tokens = d->join_tokens = NULL;
}

json_t *auth_find(json_t *store, const char *key, const char *value, size_t *ret_index)
{
        json_t *e;
        size_t i;

        json_array_foreach(store, i, e) {
                const char *v = json_string_value(json_object_get(e, key));
                if (v && tls_hash_equal(v, value)) {
                        if (ret_index)
                                *ret_index = i;
                        return e;
                }
        }
        return NULL;
}

/* The entry a remote request authenticates as (certificate first, then token), or NULL. */
/* Whether store entry e has run out: an "expires" of T means valid through
 * second T, so a token made with expires_in N lives at least N seconds. */
bool auth_expired(const json_t *e, long long now)
{
        long long ex = json_integer_value(json_object_get(e, "expires"));
        return ex > 0 && ex < now;
}

static json_t *identify(struct barevirtd *d, struct auth_peer *p, const struct bv_http_request *req,
                        const char **ret_kind)
{
        char token[TLS_TOKEN_MAX], hash[BV_SHA256_HEX];
        json_t *e;

        if (p->fingerprint[0] && (e = auth_find(d->trust, "fingerprint", p->fingerprint, NULL))) {
                *ret_kind = "certificate";
                return e;
        }
        if (tls_bearer_parse(bv_http_request_header(req, "Authorization"), token, sizeof(token)) != 1)
                return NULL;
        bv_sha256_hex(token, strlen(token), hash);
        explicit_bzero(token, sizeof(token));
        e = auth_find(d->tokens, "hash", hash, NULL);
        if (!e || auth_expired(e, time(NULL)))
                return NULL;
        *ret_kind = "token";
        snprintf(p->token_hash, sizeof(p->token_hash), "%s", hash);  /* for remote_drop() */
        return e;
}

/* A --socket-group connection: its uid was checked when it connected (groupsock.c); its role is the flag's. */
static bool local_check(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                        struct auth_peer *p)
{
        char uid[16];
        int need = auth_required_role(req->method, req->path);

        snprintf(uid, sizeof(uid), "%u", p->uid);
        audit_identity(c, "unix", "uid", uid, NULL);
        if (p->role < need) {
                bv_info("%s %s on the group socket (uid %u) refused: needs role %s", req->method, req->path, p->uid,
                        tls_role_name((enum tls_role)need));
                bv_http_conn_respond_error(c, 403, "Role '%s' may not %s '%.128s' (needs %s)",
                                           tls_role_name((enum tls_role)p->role), req->method, req->path,
                                           tls_role_name((enum tls_role)need));
                return false;
        }
        bv_info("%s %s%s%s (group socket, uid %u, %s)", req->method, req->path, req->query ? "?" : "",
                req->query ? req->query : "", p->uid, tls_role_name((enum tls_role)p->role));
        return true;
}

bool auth_anonymous(struct barevirtd *d, const struct bv_http_request *head)
{
        const struct auth_peer *p = head->peer_data;

        return p && !p->local && !bv_http_request_header(head, "Authorization") &&
               !(p->fingerprint[0] && auth_find(d->trust, "fingerprint", p->fingerprint, NULL));
}

void auth_refuse(struct bv_http_conn *c)
{
        bv_http_conn_respond_error(c, 401, "Authentication required: a trusted client certificate or "
                                           "'Authorization: Bearer TOKEN'");
}

bool auth_check(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req)
{
        struct auth_peer *p = req->peer_data;
        const char *kind = NULL;

        if (!p)
                return true;  /* the UNIX socket: root's */
        if (p->local)
                return local_check(d, c, req, p);
        if (strcmp(req->method, "POST") == 0 && strcmp(req->path, "/v1/enrol") == 0) {
                /* The join token in the body is the credential: api-auth.c checks it (and names who it was). */
                audit_identity(c, p->addr, NULL, NULL, p->fingerprint);
                return true;
        }
        json_t *e = identify(d, p, req, &kind);
        audit_identity(c, p->addr, e ? kind : NULL, e ? json_string_value(json_object_get(e, "name")) : NULL,
                       p->fingerprint);
        if (!e) {
                bv_info("%s %s from %s refused: not authenticated", req->method, req->path, p->addr);
                auth_refuse(c);
                return false;
        }
        const char *name = json_string_value(json_object_get(e, "name"));
        int role = tls_role_from_name(json_string_value(json_object_get(e, "role")));
        int need = auth_required_role(req->method, req->path);
        /* Rights are re-read from the store for every request: a keep-alive connection keeps none. */
        p->role = role < 0 ? TLS_ROLE_VIEWER : role;
        snprintf(p->project, sizeof(p->project), "%s", json_string_value(json_object_get(e, "project")) ?: "");
        if (role < 0 || role < need) {
                bv_info("%s %s from %s (%s '%s') refused: needs role %s", req->method, req->path, p->addr, kind,
                        name, tls_role_name((enum tls_role)need));
                bv_http_conn_respond_error(c, 403, "Role '%s' may not %s '%.128s' (needs %s)",
                                           tls_role_name(role < 0 ? TLS_ROLE_VIEWER : (enum tls_role)role), req->method, req->path,
                                           tls_role_name((enum tls_role)need));
                return false;
        }
        bv_info("%s %s%s%s from %s (%s '%s', %s)", req->method, req->path, req->query ? "?" : "",
                req->query ? req->query : "", p->addr, kind, name, tls_role_name((enum tls_role)role));
        return true;
}
