/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GET .../logs for every kind of instance whose log is a file barevirt
 * reads (a container's console log, a VM's serial console log): ?tail=N
 * lines, ?follow=1 streams what is appended until the instance ends (or
 * the reader goes). The kind gives its read and follow functions
 * (struct api_log_source); the HTTP side is the same for all.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/common.h"
#include "tools/daemon/daemon.h"

/* A log stream: the HTTP connection and the follower (NULL once it ended). */
struct follow {
        struct bv_http_conn *conn;
        struct bv_log_follower *f;
};

static void follow_free(struct follow *fl)
{
        bv_log_unfollow(fl->f);
        bv_http_conn_unref(fl->conn);
        free(fl);
}

/* Ends the stream of a follower that is gone; a connection the peer closed frees fl later (on_follow_close). */
static void follow_end(struct follow *fl)
{
        fl->f = NULL;
        if (!bv_http_conn_closed(fl->conn) && bv_http_conn_stream_end(fl->conn) >= 0)
                follow_free(fl);
}

static int on_follow_data(const char *data, size_t len, void *userdata)
{
        struct follow *fl = userdata;
        int r = bv_http_conn_stream_write(fl->conn, data, len);

        if (r < 0)
                follow_end(fl);   /* the reader is gone or too slow: the follower goes too */
        return r;
}

static void on_follow_end(void *userdata)
{
        follow_end(userdata);
}

static void on_follow_close(struct bv_http_conn *c, void *userdata)
{
        follow_free(userdata);
}

static void follow_logs(const struct api_log_source *src, struct bv_http_conn *c, long long tail)
{
        struct bv_error err = {};
        struct follow *fl = calloc(1, sizeof(*fl));
        struct bv_log_follower *f;

        if (!fl || bv_http_conn_stream_begin(c, 200, "text/plain; charset=utf-8", on_follow_close, fl) < 0) {
                free(fl);
                api_reply_errno(c, -ENOMEM, "Cannot follow the log");
                return;
        }
        fl->conn = bv_http_conn_ref(c);
        if (src->follow(src->obj, tail, on_follow_data, on_follow_end, fl, &f, &err) < 0) {
                follow_end(fl);
                return;
        }
        fl->f = f;
}

void api_logs_serve(struct bv_http_conn *c, const struct bv_http_request *req, const struct api_log_source *src)
{
        _cleanup_free_ char *buf = NULL;
        char qv[32];
        int64_t tail = -1;
        bool follow;
        size_t len;
        int r;

        if ((r = api_query_get(c, req, "tail", qv, sizeof(qv))) < 0 || api_query_flag(c, req, "follow", &follow) < 0)
                return;
        if (r > 0 && bv_parse_i64(qv, 0, 1000000000, &tail) < 0) {
                bv_http_conn_respond_error(c, 400, "tail: expected a number of lines");
                return;
        }
        if (follow && src->live) {
                follow_logs(src, c, tail);
                return;
        }
        if (src->read(src->obj, tail, &buf, &len) < 0)
                api_reply_errno(c, -ENOMEM, NULL);
        else
                bv_http_conn_respond(c, 200, "text/plain; charset=utf-8", buf, len);
}
