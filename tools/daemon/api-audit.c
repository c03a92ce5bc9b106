/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/audit: the audit log (audit.c), admin only over --listen.
 *
 *   GET /v1/audit[?since=T][&identity=N]   the lines, oldest first, as a JSON array
 */
#include "common/common.h"
#include "tools/daemon/daemon.h"

static void get_audit(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        char since_arg[64], since[64], identity[160];
        struct bv_error err = {};
        json_t *lines = NULL;
        int rs = api_query_get(c, req, "since", since_arg, sizeof(since_arg));
        (void)args;

        if (rs < 0)
                return;
        int ri = api_query_get(c, req, "identity", identity, sizeof(identity));
        if (ri < 0)
                return;
        if (rs > 0 && audit_since(since_arg, since, sizeof(since)) < 0) {
                bv_http_conn_respond_error(c, 400, "since: '%s' is neither a time (2026-12-03T15:00:00Z) nor a "
                                                   "duration back from now (30m, 2h, 7d)", since_arg);
                return;
        }
        int r = audit_read(d, rs > 0 ? since : NULL, ri > 0 ? identity : NULL, &lines, &err);
        if (r < 0)
                api_reply_errno(c, r, err.msg);
        else
                api_reply_json(c, 200, lines);
}

const struct api_route api_audit_routes[] = {
        { "GET", "/v1/audit", get_audit },
        {},
};
