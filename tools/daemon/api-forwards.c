/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/networks/NAME/forwards: port forwards into a network's instances.
 *
 *   GET    /v1/networks/NAME/forwards        [{"proto", "port", "listen", "to", "address"}]
 *   POST   /v1/networks/NAME/forwards        {"proto": "tcp"|"udp", "port": N, "listen"?: IPV4, "to": "INSTANCE:PORT"}
 *   DELETE /v1/networks/NAME/forwards/KEY    KEY: PROTO:PORT or PROTO:LISTEN:PORT
 *
 * A forward names its target instance, not an address: netsvc (netsvc.c)
 * points the DNAT at the instance's current address whenever it rebuilds
 * barevirtd's nftables tables. The forwards live in STATE/forwards/NAME.json
 * (written atomically); a host port is forwarded once across all networks
 * (409 naming the first).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "net/net.h"
#include "tools/daemon/daemon.h"

static void get_forwards(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        if (!net_def_exists(d->state_dir, args[0])) {
                char msg[128];
                snprintf(msg, sizeof(msg), "No network named '%.64s'", args[0]);
                api_reply_errno(c, -ENOENT, msg);
                return;
        }
        api_reply_json(c, 200, netsvc_forwards_json(d, args[0]));
}

static int check_forward(struct barevirtd *d, const char *network, json_t *body, struct bv_error *err)
{
        const char *proto = NULL, *listen = NULL, *to = NULL;
        json_int_t port = 0;
        json_error_t jerr;
        struct in_addr a;

        if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s:s,s:I,s?s,s:s}", "proto", &proto, "port", &port, "listen",
                           &listen, "to", &to) < 0)
                return bv_error_set(err, EINVAL, "A forward is {\"proto\": \"tcp\"|\"udp\", \"port\": N, \"listen\": "
                                    "IPV4, \"to\": \"INSTANCE:PORT\"}: %s", jerr.text);
        if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
                return bv_error_set(err, EINVAL, "--proto: '%.16s' is not tcp or udp", proto);
        if (port < 1 || port > 65535)
                return bv_error_set(err, EINVAL, "--port: %lld is not a port (1-65535)", (long long)port);
        if (listen && inet_pton(AF_INET, listen, &a) != 1)
                return bv_error_set(err, EINVAL, "--listen: '%.64s' is not an IPv4 address", listen);
        const char *colon = strrchr(to, ':');
        unsigned to_port;
        char inst[96];
        if (!colon || (size_t)(colon - to) >= sizeof(inst) || bv_parse_uint(colon + 1, 1, 65535, &to_port) < 0)
                return bv_error_set(err, EINVAL, "--to: '%.64s' is not INSTANCE:PORT", to);
        snprintf(inst, sizeof(inst), "%.*s", (int)(colon - to), to);
        if (!registry_kind(d, inst))
                return bv_error_set(err, ENOENT, "--to: no VM or container named '%s'", inst);
        if (!netsvc_instance_on(d, network, inst))
                return bv_error_set(err, EINVAL, "--to: '%s' has no NIC on network '%s'", inst, network);
        return netsvc_forward_clash(d, proto, listen, (unsigned)port, err);
}

static void post_forwards(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL;
        struct bv_error err = {};
        int r;

        if (api_read_json(c, req, &body) < 0)
                return;
        if (!net_def_exists(d->state_dir, args[0]))
                r = bv_error_set(&err, ENOENT, "No network named '%.64s'", args[0]);
        else if ((r = check_forward(d, args[0], body, &err)) >= 0)
                r = netsvc_forward_add(d, args[0], body, &err);
        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        bv_info("network '%s': forward %s %lld -> %s added", args[0], json_string_value(json_object_get(body, "proto")),
                (long long)json_integer_value(json_object_get(body, "port")),
                json_string_value(json_object_get(body, "to")));
        api_reply_json(c, 201, json_incref(body));
}

static void delete_forward(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct bv_error err = {};
        int r = netsvc_forward_delete(d, args[0], args[1], &err);

        if (r < 0)
                api_reply_errno(c, r, err.msg);
        else
                bv_http_conn_respond(c, 204, NULL, NULL, 0);
}

const struct api_route api_forwards_routes[] = {
        { "GET", "/v1/networks/{}/forwards", get_forwards },
        { "POST", "/v1/networks/{}/forwards", post_forwards },
        { "DELETE", "/v1/networks/{}/forwards/{}", delete_forward },
        {},
};

