/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `docker|podman run -i` in the foreground: barevirt's own stdin goes to
 * the container. The CLI attaches to the engine itself, on the engine's
 * socket that barevirtd names in GET /v1/host (engines.ENGINE.socket):
 * POST /containers/ID/attach with stdin, stdout and stderr, upgraded to a
 * raw stream (101, or 200 from engines that do not upgrade), before the
 * container is started through barevirtd. Then stdin is copied to the
 * stream until EOF (a half-close: the container's stdin ends, StdinOnce),
 * and the stream, demultiplexed unless the container has a tty, to stdout
 * and stderr until the engine closes it; with -t on a terminal, the
 * terminal is raw meanwhile, as for `ct console`. Blocks; local use only (the
 * engine's socket must be reachable from here).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "tools/cli/cli.h"

#define HEAD_MAX 8192

static void on_frame(int stream, const char *data, size_t len, void *userdata)
{
        (void)userdata;
        bv_fd_write_all(stream == 2 ? STDERR_FILENO : STDOUT_FILENO, data, len);
}

/* Reads the response head from fd; the bytes after it (the stream's start) stay in buf[*ret_len]. */
static int read_head(int fd, char *buf, size_t *ret_len, size_t *ret_body)
{
        size_t len = 0;

        for (;;) {
                ssize_t n = read(fd, buf + len, HEAD_MAX - 1 - len);
                if (n <= 0)
                        return -EPROTO;
                len += (size_t)n;
                buf[len] = '\0';
                char *end = strstr(buf, "\r\n\r\n");
                if (end) {
                        *ret_len = len;
                        *ret_body = (size_t)(end + 4 - buf);
                        return strncmp(buf, "HTTP/1.1 101", 12) == 0 || strncmp(buf, "HTTP/1.1 200", 12) == 0 ? 0 : -EPROTO;
                }
                if (len >= HEAD_MAX - 1)
                        return -EMSGSIZE;
        }
}

int cli_attach_open(struct cli *cli, const char *engine, const char *id, int *ret_fd)
{
        json_auto_t *host = NULL;
        struct bv_error err = {};
        char req[512], buf[HEAD_MAX] = "";
        size_t len, body;
        int r;

        if ((r = cli_api(cli, "GET", "/v1/host", NULL, 0, &host)))
                return r;
        if (cli->remote_name[0])
                return cli_fail("-i: the %s engine's socket is on the host: not reachable over remote '%s' yet", engine,
                                cli->remote_name);
        const char *sock = json_string_value(json_object_get(json_object_get(json_object_get(host, "engines"), engine),
                                                             "socket"));
        _cleanup_close_ int fd = bv_unix_connect(sock ? sock : "", 0, &err);
        if (fd < 0)
                return cli_fail("-i: cannot reach the %s engine to attach stdin: %s", engine, err.msg);
        snprintf(req, sizeof(req),
                 "POST /v1.40/containers/%s/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: engine\r\n"
                 "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n", id);
        if (bv_fd_write_all(fd, req, strlen(req)) < 0 || (r = read_head(fd, buf, &len, &body)) < 0)
                return cli_fail("-i: the %s engine refused to attach to '%s': %.120s", engine, id,
                                strtok(buf, "\r\n") ? buf : "no answer");
        if (len > body) /* the stream's first bytes came with the head: keep them for cli_attach_relay() */
                return cli_fail("-i: the %s engine sent output before the container started", engine);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int relay(int fd, bool tty)
{
        struct ctr_engine_demuxer dm = {};
        struct bv_error err = {};
        bool in_open = true;
        char buf[65536];

        for (;;) {
                struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN } };
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return cli_fail("-i: poll failed: %s", strerror(errno));
                }
                if (p[1].revents) {
                        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n <= 0 || bv_fd_write_all(fd, buf, (size_t)n) < 0) {
                                in_open = false;
                                shutdown(fd, SHUT_WR);   /* the container's stdin ends */
                        }
                }
                if (p[0].revents) {
                        ssize_t n = read(fd, buf, sizeof(buf));
                        if (n <= 0)
                                return 0;
                        if (tty)
                                bv_fd_write_all(STDOUT_FILENO, buf, (size_t)n);
                        else if (ctr_engine_demuxer_feed(&dm, buf, (size_t)n, on_frame, NULL, &err) < 0)
                                return cli_fail("-i: a broken stream from the engine: %s", err.msg);
                }
        }
}

int cli_attach_relay(int fd, bool tty)
{
        bool raw = tty && cli_tty_raw();   /* -it on a terminal: keys go to the container as they are typed */
        int r = relay(fd, tty);

        if (raw)
                cli_tty_restore();
        return r;
}
