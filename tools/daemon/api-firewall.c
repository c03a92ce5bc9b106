/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/firewall/groups: firewall groups, which NICs name with "firewall".
 *
 *   GET    /v1/firewall/groups                 [GROUP]
 *   POST   /v1/firewall/groups                 {"name", "default_in"?, "default_out"?, "rules"?}  201 GROUP
 *   GET    /v1/firewall/groups/NAME            GROUP
 *   DELETE /v1/firewall/groups/NAME            204; 409 while a NIC names it
 *   GET    /v1/firewall/groups/NAME/rules      [RULE]
 *   POST   /v1/firewall/groups/NAME/rules      RULE  201 GROUP (appended: checked last)
 *   DELETE /v1/firewall/groups/NAME/rules/N    204 (N from 1, as listed)
 *
 * GROUP: {"name", "default_in", "default_out", "rules": [RULE], "used_by":
 * [{"instance", "nic"}], "stateful"}; RULE: {"index", "direction",
 * "proto", "port"?, "from"?|"to"?, "action"}. Everything else is
 * firewall.c's: a refused request changes neither nftables nor the state.
 */
#include <errno.h>

#include "common/common.h"
#include "tools/daemon/daemon.h"

static void reply(struct bv_http_conn *c, int r, int status, json_t *v, const struct bv_error *err)
{
        if (r < 0)
                api_reply_errno(c, r == -E2BIG || r == -ENOSPC ? -EINVAL : r, err->msg);
        else if (v)
                api_reply_json(c, status, v);
        else
                bv_http_conn_respond(c, 204, NULL, NULL, 0);
}

static void get_groups(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        api_reply_json(c, 200, firewall_list_json(d));
}

static void post_groups(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL;
        struct bv_error err = {};
        json_t *g = NULL;

        if (api_read_json(c, req, &body) < 0)
                return;
        int r = firewall_group_create(d, body, &g, &err);
        if (r >= 0)
                bv_info("firewall group '%s' created", json_string_value(json_object_get(g, "name")));
        reply(c, r, 201, g, &err);
}

static void get_group(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct bv_error err = {};
        json_t *g = NULL;
        int r = firewall_group_json(d, args[0], &g, &err);

        reply(c, r, 200, g, &err);
}

static void delete_group(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct bv_error err = {};
        int r = firewall_group_delete(d, args[0], &err);

        if (r >= 0)
                bv_info("firewall group '%s' deleted", args[0]);
        reply(c, r, 204, NULL, &err);
}

static void get_rules(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct bv_error err = {};
        json_t *g = NULL;
        int r = firewall_group_json(d, args[0], &g, &err);

        if (r >= 0) {
                json_t *rules = json_incref(json_object_get(g, "rules"));
                json_decref(g);
                g = rules;
        }
        reply(c, r, 200, g, &err);
}

static void post_rules(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL;
        struct bv_error err = {};
        json_t *g = NULL;

        if (api_read_json(c, req, &body) < 0)
                return;
        int r = firewall_rule_add(d, args[0], body, &g, &err);
        if (r >= 0)
                bv_info("firewall group '%s': rule %zu added", args[0], json_array_size(json_object_get(g, "rules")));
        reply(c, r, 201, g, &err);
}

static void delete_rule(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct bv_error err = {};
        int r = firewall_rule_delete(d, args[0], args[1], &err);

        if (r >= 0)
                bv_info("firewall group '%s': rule %s deleted", args[0], args[1]);
        reply(c, r, 204, NULL, &err);
}

const struct api_route api_firewall_routes[] = {
        { "GET", "/v1/firewall/groups", get_groups },
        { "POST", "/v1/firewall/groups", post_groups },
        { "GET", "/v1/firewall/groups/{}", get_group },
        { "DELETE", "/v1/firewall/groups/{}", delete_group },
        { "GET", "/v1/firewall/groups/{}/rules", get_rules },
        { "POST", "/v1/firewall/groups/{}/rules", post_rules },
        { "DELETE", "/v1/firewall/groups/{}/rules/{}", delete_rule },
        {},
};
