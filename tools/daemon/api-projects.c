/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/projects (projects.c): admin creates and deletes; anyone lists the
 * projects it can see (an identity restricted to a project: that one).
 *   GET    /v1/projects         [{"name", "max_instances"?, "max_memory"?, "max_vcpus"?, "created"?,
 *                                 "usage": {"instances", "memory", "vcpus", "networks"}}]
 *   POST   /v1/projects         {"name", "max_instances"?, "max_memory"? (MiB), "max_vcpus"?}  201 the project
 *   GET    /v1/projects/NAME    one project
 *   DELETE /v1/projects/NAME    204; 409 while it holds instances or networks; 403 for default
 */
#include "tools/daemon/daemon.h"

static void get_projects(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        api_reply_json(c, 200, projects_list_json(d, access_scope(req)));
}

static void get_project(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct bv_error err = {};
        json_t *o;
        int r = projects_get_json(d, args[0], &o, &err);

        if (r < 0)
                api_reply_errno(c, r, err.msg);
        else
                api_reply_json(c, 200, o);
}

static void post_projects(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL;
        struct bv_error err = {};
        json_t *o;
        int r;

        if (api_read_json(c, req, &body) < 0)
                return;
        if ((r = projects_create(d, body, &o, &err)) < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        bv_info("project '%s' created", json_string_value(json_object_get(o, "name")));
        api_reply_json(c, 201, o);
}

static void delete_project(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct bv_error err = {};
        int r = projects_delete(d, args[0], &err);

        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        bv_info("project '%s' deleted", args[0]);
        bv_http_conn_respond(c, 204, NULL, NULL, 0);
}

const struct api_route api_projects_routes[] = {
        { "GET", "/v1/projects", get_projects },
        { "POST", "/v1/projects", post_projects },
        { "GET", "/v1/projects/{}", get_project },
        { "DELETE", "/v1/projects/{}", delete_project },
        {},
};
