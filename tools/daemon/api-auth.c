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

/* Appends e to store and saves; on failure takes it out again and answers 500. */
static int store_add(struct barevirtd *d, struct bv_http_conn *c, bool trust, json_t *e)
{
        json_t *store = trust ? d->trust : d->tokens;
        struct bv_error err = {};
        int r;

        if (json_array_append(store, e) < 0)
                return api_reply_errno(c, -ENOMEM, NULL), -ENOMEM;
        if ((r = auth_store_save(d, trust, &err)) < 0) {
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

static void remove_entry(struct barevirtd *d, struct bv_http_conn *c, bool trust, const char *name)
{
        json_t *store = trust ? d->trust : d->tokens;
        struct bv_error err = {};
        size_t i;
        json_t *e = auth_find(store, "name", name, &i);

        if (!e) {
                bv_http_conn_respond_error(c, 404, "No %s named '%.64s'", trust ? "trusted certificate" : "token", name);
                return;
        }
        json_incref(e);
        json_array_remove(store, i);
        if (auth_store_save(d, trust, &err) < 0) {
                json_array_insert(store, i, e);
                json_decref(e);
                api_reply_errno(c, -EIO, err.msg);
                return;
        }
        bv_info("%s '%s' removed", trust ? "trusted certificate" : "token", name);
        bv_http_conn_ref(c);  /* the request may have come on one of the connections dropped */
        remote_drop(d, trust ? "fingerprint" : "hash", json_string_value(json_object_get(e, trust ? "fingerprint" : "hash")));
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
        json_t *exp;
        long long now = time(NULL), expires = 0;
        int r;

        if (api_read_json(c, req, &body) < 0 || read_name_role(d, c, body, d->tokens, "token", token_keys, &name, &role) < 0)
                return;
        exp = json_object_get(body, "expires_in");
        if (exp && (!json_is_integer(exp) || json_integer_value(exp) <= 0 ||
                    json_integer_value(exp) > 100LL * 365 * 86400)) {
                bv_http_conn_respond_error(c, 400, "expires_in: expected seconds, 1 to 100 years' worth");
                return;
        }
        if (exp)
                expires = now + json_integer_value(exp);
        if ((r = tls_token_new(token)) < 0) {
                api_reply_errno(c, r, "Cannot make a random token");
                return;
        }
        bv_sha256_hex(token, strlen(token), hash);
        e = json_pack("{s:s,s:s,s:s,s:I,s:I}", "name", name, "role", role, "hash", hash, "created", (json_int_t)now,
                      "expires", (json_int_t)expires);
        if (e)
                set_project(e, body);
        if (!e || store_add(d, c, false, e) < 0) {
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
        remove_entry(d, c, false, args[0]);
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
        if (store_add(d, c, true, e) < 0)
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
        remove_entry(d, c, true, args[0]);
}

const struct api_route api_auth_routes[] = {
        { "GET", "/v1/tokens", get_tokens },
        { "POST", "/v1/tokens", post_tokens },
        { "DELETE", "/v1/tokens/{}", delete_token },
        { "GET", "/v1/trust", get_trust },
        { "POST", "/v1/trust", post_trust },
        { "GET", "/v1/trust/{}", get_trust_one },
        { "DELETE", "/v1/trust/{}", delete_trust },
        {},
};
