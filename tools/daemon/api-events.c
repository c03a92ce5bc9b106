/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GET /v1/events: every VM, container, network and engine event as JSON
 * lines, from the bus in events.c.
 */
#include "tools/daemon/daemon.h"

static void get_events(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                       char **args)
{
        events_subscribe(d, c, access_scope(req));
}

const struct api_route api_events_routes[] = {
        { "GET", "/v1/events", get_events },
        {},
};
