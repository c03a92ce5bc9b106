/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bearer tokens and the trust store (auth.c), admin-only over --listen:
 *   GET    /v1/tokens           [{"name", "role", "created", "expires", "expired"}]
 *   POST   /v1/tokens           {"name", "role"?, "expires_in"? (seconds), "project"?}  201 {"name", "role", "created",
 *                               "expires", "token"}: the token, shown this once (only its SHA-256 is kept)
 *   DELETE /v1/tokens/NAME      204
 *   GET    /v1/trust            [{"name", "fingerprint", "role", "added"}]
 *   POST   /v1/trust            {"name", "certificate" (PEM), "role"?, "project"?}  201 the entry
 *   GET    /v1/trust/NAME       the entry with its "certificate"
 *   DELETE /v1/trust/NAME       204
 *   GET    /v1/trust/tokens     join tokens: [{"name", "role", "project"?, "created", "expires", "expired", "spent"}]
 *   POST   /v1/trust/tokens     {"name", "role"?, "project"?, "expires_in"?}  201 the entry and "token": the
 *                               join token (tls/join.c), shown this once (only its secret's SHA-256 is kept)
 *   DELETE /v1/trust/tokens/NAME  204
 *   POST   /v1/enrol            {"secret", "certificate"}, no other credential: spends the join token, then
 *                               trusts the certificate the connection presented as the token's name, role
 *                               and project; 201 the entry. Every unusable token is the same 401.
 * Roles default to "viewer". "project" (an existing project) restricts the
 * identity to it; absent: every project. A change is on disk before it is answered.
 */
#include <string.h>
#include <time.h>

#include "tls/tls.h"
#include "tools/daemon/daemon.h"

static const char *const token_keys[] = { "name", "role", "expires_in", "project", NULL };
static const char *const trust_keys[] = { "name", "role", "certificate", "project", NULL };

/* name and role of a create request; answers 400/409 itself and returns < 0. */
static int read_name_role(struct barevirtd *d, struct bv_http_conn *c, json_t *body, json_t *store, const char *what,
                          const char *const *keys, const char **ret_name, const char **ret_role)
{
        struct bv_error err = {};
        const char *role;

        if (bv_json_check_keys(body, keys, "", &err) < 0) {
                api_reply_errno(c, -EINVAL, err.msg);
                return -EINVAL;
        }
        *ret_name = json_string_value(json_object_get(body, "name"));
        if (bv_name_check(*ret_name, what, &err) < 0) {
                api_reply_errno(c, -EINVAL, err.msg);
                return -EINVAL;
        }
        if (store != d->tokens && strcmp(*ret_name, "tokens") == 0) {
                /* GET /v1/trust/tokens lists join tokens: no certificate may be named so. */
                bv_http_conn_respond_error(c, 400, "The name 'tokens' is reserved");
                return -EINVAL;
        }
        if (auth_find(store, "name", *ret_name, NULL)) {
                bv_http_conn_respond_error(c, 409, "'%s' exists already", *ret_name);
                return -EEXIST;
        }
        role = json_object_get(body, "role") ? json_string_value(json_object_get(body, "role")) : "viewer";
        if (tls_role_from_name(role) < 0) {
                bv_http_conn_respond_error(c, 400, "role: expected admin, operator or viewer");
                return -EINVAL;
        }
        *ret_role = role;
        json_t *project = json_object_get(body, "project");
        if (project && (!json_is_string(project) || !projects_exists(d, json_string_value(project)))) {
                bv_http_conn_respond_error(c, 404, "project: no project named '%.64s'",
                                           json_is_string(project) ? json_string_value(project) : "");
                return -ENOENT;
        }
        return 0;
}

/* An entry restricted to a project says so ("project"; absent: every project). */
static void set_project(json_t *e, const json_t *body)
{
        json_t *project = json_object_get(body, "project");

        if (project)
                json_object_set(e, "project", project);
}

/* What a store's entries are called, and the key whose open connections end when one goes (remote_drop()). */
static const struct {
        const char *what, *drop_key;
} kinds[] = {
        [AUTH_TRUST] = { "trusted certificate", "fingerprint" },
        [AUTH_TOKENS] = { "token", "hash" },
        [AUTH_JOIN] = { "join token", NULL },
};

/* "expires_in" of a create request as the time it ends (0: never); answers 400 itself and returns < 0. */
static int read_expires(struct bv_http_conn *c, json_t *body, long long now, long long *ret)
{
        json_t *exp = json_object_get(body, "expires_in");

        if (exp && (!json_is_integer(exp) || json_integer_value(exp) <= 0 ||
                    json_integer_value(exp) > 100LL * 365 * 86400)) {
                bv_http_conn_respond_error(c, 400, "expires_in: expected seconds, 1 to 100 years' worth");
                return -EINVAL;
        }
        *ret = exp ? now + json_integer_value(exp) : 0;
        return 0;
}

/* Appends e to store and saves; on failure takes it out again and answers 500. */
static int store_add(struct barevirtd *d, struct bv_http_conn *c, enum auth_store which, json_t *e)
{
        json_t *store = auth_store(d, which);
        struct bv_error err = {};
        int r;

        if (json_array_append(store, e) < 0)
                return api_reply_errno(c, -ENOMEM, NULL), -ENOMEM;
        if ((r = auth_store_save(d, which, &err)) < 0) {
                json_array_remove(store, json_array_size(store) - 1);
                api_reply_errno(c, -EIO, err.msg);
        }
        return r;
}

static void list(struct bv_http_conn *c, json_t *store, const char *hide)
{
        json_t *out = json_array(), *e;
        size_t i;
        long long now = time(NULL);

        json_array_foreach(store, i, e) {
                json_t *o = json_deep_copy(e);
                json_object_del(o, hide);
                if (json_object_get(o, "expires"))
                        json_object_set_new(o, "expired", json_boolean(auth_expired(o, now)));
                json_array_append_new(out, o);
        }
        api_reply_json(c, 200, out);
}

static void remove_entry(struct barevirtd *d, struct bv_http_conn *c, enum auth_store which, const char *name)
{
        json_t *store = auth_store(d, which);
        const char *key = kinds[which].drop_key;
        struct bv_error err = {};
        size_t i;
        json_t *e = auth_find(store, "name", name, &i);

        if (!e) {
                bv_http_conn_respond_error(c, 404, "No %s named '%.64s'", kinds[which].what, name);
                return;
        }
        json_incref(e);
        json_array_remove(store, i);
        if (auth_store_save(d, which, &err) < 0) {
                json_array_insert(store, i, e);
                json_decref(e);
                api_reply_errno(c, -EIO, err.msg);
                return;
        }
        bv_info("%s '%s' removed", kinds[which].what, name);
        bv_http_conn_ref(c);  /* the request may have come on one of the connections dropped */
        if (key)
                remote_drop(d, key, json_string_value(json_object_get(e, key)));
        json_decref(e);
        bv_http_conn_respond(c, 204, NULL, NULL, 0);
        bv_http_conn_unref(c);
}

static void get_tokens(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        list(c, d->tokens, "hash");
}

static void post_tokens(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL, *e = NULL;
        const char *name, *role;
        char token[TLS_TOKEN_MAX], hash[BV_SHA256_HEX];
        long long now = time(NULL), expires = 0;
        int r;

        if (api_read_json(c, req, &body) < 0 || read_name_role(d, c, body, d->tokens, "token", token_keys, &name, &role) < 0)
                return;
        if (read_expires(c, body, now, &expires) < 0)
                return;
        if ((r = tls_token_new(token)) < 0) {
                api_reply_errno(c, r, "Cannot make a random token");
                return;
        }
        bv_sha256_hex(token, strlen(token), hash);
        e = json_pack("{s:s,s:s,s:s,s:I,s:I}", "name", name, "role", role, "hash", hash, "created", (json_int_t)now,
                      "expires", (json_int_t)expires);
        if (e)
                set_project(e, body);
        if (!e || store_add(d, c, AUTH_TOKENS, e) < 0) {
                if (!e)
                        api_reply_errno(c, -ENOMEM, NULL);
                return;
        }
        bv_info("token '%s' (%s) created", name, role);
        json_t *reply = json_deep_copy(e);  /* e is the store's now */
        json_object_del(reply, "hash");
        json_object_set_new(reply, "token", json_string(token));
        explicit_bzero(token, sizeof(token));
        api_reply_json(c, 201, reply);
}

static void delete_token(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        remove_entry(d, c, AUTH_TOKENS, args[0]);
}

static void get_trust(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        list(c, d->trust, "certificate");
}

static void post_trust(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL, *e = NULL;
        const char *name, *role, *pem;
        char fp[BV_SHA256_HEX];
        struct bv_error err = {};

        if (api_read_json(c, req, &body) < 0 || read_name_role(d, c, body, d->trust, "certificate", trust_keys, &name, &role) < 0)
                return;
        pem = json_string_value(json_object_get(body, "certificate"));
        if (!pem || tls_pem_fingerprint(pem, strlen(pem), fp, &err) < 0) {
                bv_http_conn_respond_error(c, 400, "certificate: %s", pem ? err.msg : "expected PEM text");
                return;
        }
        json_t *other = auth_find(d->trust, "fingerprint", fp, NULL);
        if (other) {
                bv_http_conn_respond_error(c, 409, "That certificate is trusted already as '%s'",
                                           json_string_value(json_object_get(other, "name")));
                return;
        }
        e = json_pack("{s:s,s:s,s:s,s:s,s:I}", "name", name, "role", role, "fingerprint", fp, "certificate", pem,
                      "added", (json_int_t)time(NULL));
        if (!e) {
                api_reply_errno(c, -ENOMEM, NULL);
                return;
        }
        set_project(e, body);
        if (store_add(d, c, AUTH_TRUST, e) < 0)
                return;
        bv_info("certificate '%s' (%s, sha256 %s) trusted", name, role, fp);
        api_reply_json(c, 201, json_incref(e));
}

static void get_trust_one(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_t *e = auth_find(d->trust, "name", args[0], NULL);

        if (!e)
                bv_http_conn_respond_error(c, 404, "No trusted certificate named '%.64s'", args[0]);
        else
                api_reply_json(c, 200, json_incref(e));
}

static void delete_trust(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        remove_entry(d, c, AUTH_TRUST, args[0]);
}

/* ---- join tokens and enrolment --------------------------------------------------------------- */

#define JOIN_KEEP_SECS 86400          /* a spent or expired join token stays listed this long */

/* Forgets join tokens spent or expired more than JOIN_KEEP_SECS ago (saved with the next change). */
static void join_prune(struct barevirtd *d, long long now)
{
        for (size_t i = json_array_size(d->join_tokens); i-- > 0;) {
                json_t *e = json_array_get(d->join_tokens, i);
                long long spent = json_integer_value(json_object_get(e, "spent"));
                long long ex = json_integer_value(json_object_get(e, "expires"));
                if ((spent > 0 && spent < now - JOIN_KEEP_SECS) || (ex > 0 && ex < now - JOIN_KEEP_SECS))
                        json_array_remove(d->join_tokens, i);
        }
}

static void get_join_tokens(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                            char **args)
{
        list(c, d->join_tokens, "hash");
}

/* The join token's text for store entry name with secret. Answers itself and returns NULL on failure. */
static char *join_text(struct barevirtd *d, struct bv_http_conn *c, const char *name, const char *secret)
{
        struct tls_join j = {};
        const char *fp = remote_fingerprint(d);
        char *text = NULL;

        j.n_addrs = remote_join_addrs(d, j.addrs, TLS_JOIN_MAX_ADDRS);
        if (!fp || j.n_addrs == 0) {
                bv_http_conn_respond_error(c, 409, "barevirtd has no --listen address to put in a join token");
                return NULL;
        }
        snprintf(j.name, sizeof(j.name), "%s", name);
        snprintf(j.fingerprint, sizeof(j.fingerprint), "%s", fp);
        snprintf(j.secret, sizeof(j.secret), "%s", secret);
        if (tls_join_encode(&j, &text) < 0)
                api_reply_errno(c, -ENOMEM, NULL);
        explicit_bzero(&j, sizeof(j));
        return text;
}

static void post_join_tokens(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                             char **args)
{
        static const char *const keys[] = { "name", "role", "project", "expires_in", NULL };
        json_auto_t *body = NULL, *e = NULL;
        _cleanup_free_ char *text = NULL;
        const char *name, *role;
        char token[TLS_TOKEN_MAX], hash[BV_SHA256_HEX];
        const char *secret = token + strlen(TLS_TOKEN_PREFIX);
        long long now = time(NULL), expires = 0;
        int r;

        join_prune(d, now);
        if (api_read_json(c, req, &body) < 0 ||
            read_name_role(d, c, body, d->join_tokens, "join token", keys, &name, &role) < 0 ||
            read_expires(c, body, now, &expires) < 0)
                return;
        if (auth_find(d->trust, "name", name, NULL)) {
                bv_http_conn_respond_error(c, 409, "A trusted certificate named '%s' exists already", name);
                return;
        }
        if (json_array_size(d->join_tokens) >= TLS_STORE_MAX_ENTRIES) {
                bv_http_conn_respond_error(c, 409, "There are %d join tokens already: revoke some",
                                           TLS_STORE_MAX_ENTRIES);
                return;
        }
        if ((r = tls_token_new(token)) < 0) {
                api_reply_errno(c, r, "Cannot make a random secret");
                return;
        }
        bv_sha256_hex(secret, strlen(secret), hash);
        text = join_text(d, c, name, secret);
        explicit_bzero(token, sizeof(token));
        if (!text)
                return;
        e = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", "name", name, "role", role, "hash", hash, "created",
                      (json_int_t)now, "expires", (json_int_t)expires, "spent", (json_int_t)0);
        if (!e) {
                api_reply_errno(c, -ENOMEM, NULL);
                return;
        }
        set_project(e, body);
        if (store_add(d, c, AUTH_JOIN, e) < 0)
                return;
        bv_info("join token '%s' (%s) created", name, role);
        json_t *reply = json_deep_copy(e);  /* e is the store's now */
        json_object_del(reply, "hash");
        json_object_set_new(reply, "token", json_string(text));
        explicit_bzero(text, strlen(text));
        api_reply_json(c, 201, reply);
}

static void delete_join_token(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                              char **args)
{
        remove_entry(d, c, AUTH_JOIN, args[0]);
}

/*
 * The join token whose secret body carries, spent now (and saved): NULL
 * (answered 401, the one refusal) when there is none or it is spent or
 * expired. What it defends against: a token used twice, a guessed one
 * (the same answer for every failure, and only hashes compared).
 */
static json_t *join_spend(struct barevirtd *d, struct bv_http_conn *c, json_t *body, const char *addr)
{
        const char *secret = json_string_value(json_object_get(body, "secret"));
        char hash[BV_SHA256_HEX];
        struct bv_error err = {};
        long long now = time(NULL);
        json_t *e = NULL;

        if (tls_hex64_is_valid(secret)) {
                bv_sha256_hex(secret, strlen(secret), hash);
                e = auth_find(d->join_tokens, "hash", hash, NULL);
        }
        if (!e || json_integer_value(json_object_get(e, "spent")) > 0 || auth_expired(e, now)) {
                bv_info("POST /v1/enrol from %s refused: no live join token", addr);
                auth_refuse(c);
                return NULL;
        }
        json_object_set_new(e, "spent", json_integer((json_int_t)now));
        if (auth_store_save(d, AUTH_JOIN, &err) < 0) {
                /* Spent in memory all the same: it is refused until barevirtd restarts. */
                bv_warn("join token '%s' spent, but not saved: %s", json_string_value(json_object_get(e, "name")), err.msg);
                api_reply_errno(c, -EIO, err.msg);
                return NULL;
        }
        return e;
}

static void post_enrol(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        static const char *const keys[] = { "secret", "certificate", NULL };
        const struct auth_peer *p = req->peer_data;
        json_auto_t *body = NULL, *e = NULL;
        char fp[BV_SHA256_HEX];
        struct bv_error err = {};
        json_t *join;

        if (api_read_json(c, req, &body) < 0 || !(join = join_spend(d, c, body, p ? p->addr : "the socket")))
                return;
        const char *name = json_string_value(json_object_get(join, "name"));
        const char *pem = json_string_value(json_object_get(body, "certificate"));
        if (bv_json_check_keys(body, keys, "", &err) < 0) {
                api_reply_errno(c, -EINVAL, err.msg);
                return;
        }
        if (!p || !p->fingerprint[0]) {
                bv_http_conn_respond_error(c, 400, "Enrolment needs HTTPS with the client certificate to trust");
                return;
        }
        if (!pem || tls_pem_fingerprint(pem, strlen(pem), fp, &err) < 0 || strcmp(fp, p->fingerprint) != 0) {
                bv_http_conn_respond_error(c, 400, "certificate: %s",
                                           !pem ? "expected PEM text" : err.msg[0] ? err.msg
                                                                        : "not the one this connection presented");
                return;
        }
        json_t *other = auth_find(d->trust, "fingerprint", fp, NULL);
        if (other || auth_find(d->trust, "name", name, NULL)) {
                bv_http_conn_respond_error(c, 409, other ? "That certificate is trusted already as '%s'"
                                                         : "A trusted certificate named '%s' exists already",
                                           other ? json_string_value(json_object_get(other, "name")) : name);
                return;
        }
        e = json_pack("{s:s,s:O,s:s,s:s,s:I}", "name", name, "role", json_object_get(join, "role"), "fingerprint", fp,
                      "certificate", pem, "added", (json_int_t)time(NULL));
        if (!e || (json_object_get(join, "project") && json_object_set(e, "project", json_object_get(join, "project")) < 0)) {
                api_reply_errno(c, -ENOMEM, NULL);
                return;
        }
        if (store_add(d, c, AUTH_TRUST, e) < 0)
                return;
        audit_identity(c, NULL, "certificate", name, fp);
        bv_info("certificate '%s' (%s, sha256 %s) enrolled from %s with its join token", name,
                json_string_value(json_object_get(e, "role")), fp, p->addr);
        json_t *reply = json_deep_copy(e);
        json_object_del(reply, "certificate");
        api_reply_json(c, 201, reply);
}

const struct api_route api_auth_routes[] = {
        { "GET", "/v1/trust/tokens", get_join_tokens },
        { "POST", "/v1/trust/tokens", post_join_tokens },
        { "DELETE", "/v1/trust/tokens/{}", delete_join_token },
        { "POST", "/v1/enrol", post_enrol },
        { "GET", "/v1/tokens", get_tokens },
        { "POST", "/v1/tokens", post_tokens },
        { "DELETE", "/v1/tokens/{}", delete_token },
        { "GET", "/v1/trust", get_trust },
        { "POST", "/v1/trust", post_trust },
        { "GET", "/v1/trust/{}", get_trust_one },
        { "DELETE", "/v1/trust/{}", delete_trust },
        {},
};
