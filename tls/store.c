/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The trust store (STATE/trust.json), the token store (STATE/tokens.json)
 * and the join token store (STATE/join-tokens.json) as barevirtd reads them back (tls/tls.h (trust and
 * token stores)). The files are ours, but a store decides who gets in, so
 * a file someone edited by hand is checked as strictly as a request: every
 * entry, every key, no name or fingerprint twice; one bad entry refuses
 * the file (the daemon then refuses to start rather than guess).
 */
#include <string.h>

#include "tls/tls.h"

/* The checks both stores share: name, role, a 64-hex-digit key, times; dup detection by name and hex. */
static int entry_check(const json_t *e, const char *where, const char *hex_key, const char *const *known,
                       json_t *names, json_t *hexes, struct bv_error *err)
{
        const char *name, *role, *hex;
        json_t *project;
        int r = bv_json_check_keys(e, known, where, err);

        if (r < 0)
                return r;
        name = json_string_value(json_object_get(e, "name"));
        role = json_string_value(json_object_get(e, "role"));
        hex = json_string_value(json_object_get(e, hex_key));
        if (!name || !bv_name_is_valid(name))
                return bv_error_set(err, EINVAL, "%sname: missing or not a valid name", where);
        if (!role || tls_role_from_name(role) < 0)
                return bv_error_set(err, EINVAL, "%srole: expected admin, operator or viewer", where);
        if (!hex || !tls_hex64_is_valid(hex))
                return bv_error_set(err, EINVAL, "%s%s: expected 64 lowercase hex digits", where, hex_key);
        project = json_object_get(e, "project");
        if (project && !bv_name_is_valid(json_string_value(project)))
                return bv_error_set(err, EINVAL, "%sproject: expected a project name", where);
        if (json_object_get(names, name))
                return bv_error_set(err, EINVAL, "%sname: '%s' is there twice", where, name);
        if (json_object_get(hexes, hex))
                return bv_error_set(err, EINVAL, "%s%s: there twice", where, hex_key);
        for (size_t i = 0; known[i]; i++) {
                json_t *v = json_object_get(e, known[i]);
                if (v && strcmp(known[i], "project") == 0) {
                        if (!json_is_string(v) || !bv_name_is_valid(json_string_value(v)))
                                return bv_error_set(err, EINVAL, "%sproject: expected a project name", where);
                } else if (v && strcmp(known[i], "name") && strcmp(known[i], "role") && strcmp(known[i], hex_key) &&
                    strcmp(known[i], "certificate") && (!json_is_integer(v) || json_integer_value(v) < 0))
                        return bv_error_set(err, EINVAL, "%s%s: expected a time (seconds, >= 0)", where, known[i]);
        }
        if (json_object_set_new(names, name, json_true()) < 0 || json_object_set_new(hexes, hex, json_true()) < 0)
                return -ENOMEM;
        return 0;
}

static int store_parse(const char *data, size_t len, const char *array, const char *hex_key,
                       const char *const *known, json_t **ret, struct bv_error *err)
{
        const char *const top[] = { array, NULL };
        json_auto_t *o = NULL, *names = json_object(), *hexes = json_object();
        json_t *a, *e;
        char where[64];
        size_t i;
        int r;

        if (!names || !hexes)
                return -ENOMEM;
        if ((r = bv_json_load_object(data, len, TLS_STORE_MAX, &o, err)) < 0)
                return r;
        if ((r = bv_json_check_keys(o, top, "", err)) < 0)
                return r;
        a = json_object_get(o, array);
        if (!a)
                a = json_array();
        else if (!json_is_array(a))
                return bv_error_set(err, EINVAL, "%s: expected an array", array);
        else
                json_incref(a);
        if (!a)
                return -ENOMEM;
        if (json_array_size(a) > TLS_STORE_MAX_ENTRIES) {
                json_decref(a);
                return bv_error_set(err, EMSGSIZE, "%s: more than %d entries", array, TLS_STORE_MAX_ENTRIES);
        }
        json_array_foreach(a, i, e) {
                snprintf(where, sizeof(where), "%s[%zu].", array, i);
                if (!json_is_object(e))
                        r = bv_error_set(err, EINVAL, "%s[%zu]: expected an object", array, i);
                else
                        r = entry_check(e, where, hex_key, known, names, hexes, err);
                if (r < 0) {
                        json_decref(a);
                        return r;
                }
        }
        *ret = a;
        return 0;
}

int tls_trust_parse(const char *data, size_t len, json_t **ret, struct bv_error *err)
{
        static const char *const known[] = { "name", "fingerprint", "role", "certificate", "added", "project", NULL };
        json_auto_t *a = NULL;
        json_t *e;
        size_t i;
        int r = store_parse(data, len, "certificates", "fingerprint", known, &a, err);

        if (r < 0)
                return r;
        json_array_foreach(a, i, e) {
                json_t *pem = json_object_get(e, "certificate");
                if (pem && !json_is_string(pem))
                        return bv_error_set(err, EINVAL, "certificates[%zu].certificate: expected PEM text", i);
        }
        *ret = TAKE_PTR(a);
        return 0;
}

int tls_tokens_parse(const char *data, size_t len, json_t **ret, struct bv_error *err)
{
        static const char *const known[] = { "name", "hash", "role", "project", "created", "expires", NULL };

        return store_parse(data, len, "tokens", "hash", known, ret, err);
}

int tls_join_tokens_parse(const char *data, size_t len, json_t **ret, struct bv_error *err)
{
        static const char *const known[] = { "name", "hash", "role", "project", "created", "expires", "spent", NULL };

        return store_parse(data, len, "tokens", "hash", known, ret, err);
}
