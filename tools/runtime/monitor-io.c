/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The monitor's I/O: what the container prints goes to D/console.log
 * (rotated to console.log.1 at --log-max) and to every client of
 * D/console.sock; a console client's input goes to the pty when the
 * container has one. D/monitor.sock takes newline-delimited JSON requests
 * (status, stop, kill, subscribe) with one reply line each; subscribers get
 * one event line per change.
 *
 * Clients are untrusted and may be slow: request lines are bounded
 * (MON_LINE_MAX), sockets are non-blocking, and a client whose queued
 * output passes MON_OUT_MAX is dropped rather than allowed to stall the
 * container's output or grow the monitor. Both sockets are mode 0600.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "tools/runtime/monitor.h"

static void client_free(struct mon *m, struct mon_client *c)
{
        for (size_t i = 0; i < MON_MAX_CLIENTS; i++)
                if (m->clients[i] == c)
                        m->clients[i] = NULL;
        bv_watch_remove(c->watch);
        close(c->fd);
        free(c->in);
        free(c->out);
        free(c);
}

static void client_flush(struct mon *m, struct mon_client *c)
{
        int r = bv_fd_send_some(c->fd, c->out, c->out_len, &c->out_off);
        if (r < 0) {
                client_free(m, c);
                return;
        }
        if (c->out_off == c->out_len) {
                c->out_off = c->out_len = 0;
                if (c->closing) {
                        client_free(m, c);
                        return;
                }
                /* Keep idle clients small. */
                if (c->out_cap > 8192) {
                        free(c->out);
                        c->out = NULL;
                        c->out_cap = 0;
                }
                bv_watch_set_events(c->watch, c->eof ? 0 : EPOLLIN);
        } else
                bv_watch_set_events(c->watch, c->eof ? EPOLLOUT : EPOLLIN | EPOLLOUT);
}

/* Queues data for c and tries to send it; drops a client that cannot keep up. */
static void client_send(struct mon *m, struct mon_client *c, const void *data, size_t len)
{
        if (c->out_off == c->out_len && c->out_len == 0) {
                /* Fast path: nothing queued, send directly. */
                size_t off = 0;
                int r = bv_fd_send_some(c->fd, data, len, &off);
                if (r < 0) {
                        client_free(m, c);
                        return;
                }
                data = (const char *)data + off;
                len -= off;
                if (!len)
                        return;
        }
        if (c->out_len + len > MON_OUT_MAX) {
                client_free(m, c);
                return;
        }
        if (c->out_len + len > c->out_cap) {
                size_t cap = BV_MAX(c->out_cap * 2, c->out_len + len);
                char *n = realloc(c->out, cap);
                if (!n) {
                        client_free(m, c);
                        return;
                }
                c->out = n;
                c->out_cap = cap;
        }
        memcpy(c->out + c->out_len, data, len);
        c->out_len += len;
        bv_watch_set_events(c->watch, c->eof ? EPOLLOUT : EPOLLIN | EPOLLOUT);
}

static void client_send_json(struct mon *m, struct mon_client *c, json_t *j)
{
        _cleanup_free_ char *s = j ? bv_json_dumps(j) : NULL;
        if (!s) {
                client_free(m, c);
                return;
        }
        size_t n = strlen(s);
        s[n] = '\n';  /* replaces the NUL; sent with its length */
        client_send(m, c, s, n + 1);
}

static void log_write(struct mon *m, const char *buf, size_t len)
{
        (void)bv_log_writer_append(&m->log, buf, len);
}

static void output_cb(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct mon *m = userdata;
        char buf[4096];
        (void)loop;
        (void)events;

        ssize_t n = bv_fd_read(fd, buf, sizeof(buf));
        if (n <= 0 && n != -EAGAIN) {
                /* EOF (pipe), EIO (pty without slave): the writers are gone. */
                m->out_watch = bv_watch_remove(m->out_watch);
                close(m->out_fd);
                m->out_fd = -1;
                return;
        }
        if (n < 0)
                return;
        mon_touch(m);
        log_write(m, buf, (size_t)n);
        for (size_t i = 0; i < MON_MAX_CLIENTS; i++) {
                struct mon_client *c = m->clients[i];
                if (c && c->kind == MON_CLIENT_CONSOLE)
                        client_send(m, c, buf, (size_t)n);
        }
}

void mon_output_attach(struct mon *m, int fd)
{
        m->out_fd = fd;
        bv_fd_set_nonblock(fd, 1);
        if (bv_loop_add_fd(m->loop, fd, EPOLLIN, output_cb, m, &m->out_watch) < 0) {
                close(fd);
                m->out_fd = -1;
        }
}

void mon_output_drain(struct mon *m)
{
        /* What the init wrote last is still in the pipe or pty: keep it. */
        for (int i = 0; i < 256 && m->out_fd >= 0; i++) {
                char buf[4096];
                ssize_t n = bv_fd_read(m->out_fd, buf, sizeof(buf));
                if (n <= 0)
                        break;
                log_write(m, buf, (size_t)n);
                for (size_t k = 0; k < MON_MAX_CLIENTS; k++) {
                        struct mon_client *c = m->clients[k];
                        if (c && c->kind == MON_CLIENT_CONSOLE)
                                client_send(m, c, buf, (size_t)n);
                }
        }
        m->out_watch = bv_watch_remove(m->out_watch);
        if (m->out_fd >= 0)
                close(m->out_fd);
        m->out_fd = -1;
}

/* An event line: the status object (as monitor.json) plus "event". */
static json_t *event_json(struct mon *m, const char *event)
{
        json_t *j = ctr_ct_status_to_json(&m->st);
        if (j && json_object_set_new(j, "event", json_string(event)) < 0) {
                json_decref(j);
                return NULL;
        }
        return j;
}

void mon_event(struct mon *m, const char *event)
{
        json_auto_t *j = NULL;

        for (size_t i = 0; i < MON_MAX_CLIENTS; i++) {
                struct mon_client *c = m->clients[i];
                if (!c || !c->subscribed)
                        continue;
                if (!j && !(j = event_json(m, event)))
                        return;
                client_send_json(m, c, j);
        }
}

void mon_reply_stopped(struct mon *m)
{
        json_auto_t *j = NULL;

        for (size_t i = 0; i < MON_MAX_CLIENTS; i++) {
                struct mon_client *c = m->clients[i];
                if (!c || !c->wants_stop_reply)
                        continue;
                if (!j && !(j = ctr_ct_status_to_json(&m->st)))
                        return;
                c->wants_stop_reply = false;
                c->closing = c->eof;
                client_send_json(m, c, j);
        }
}

static void reply_error(struct mon *m, struct mon_client *c, const char *msg, int e)
{
        json_auto_t *j = json_pack("{s:b, s:s, s:i}", "ok", false, "error", msg, "errno", e);
        client_send_json(m, c, j);
}

static void handle_request(struct mon *m, struct mon_client *c, const char *line, size_t len)
{
        json_auto_t *req = NULL;
        const char *cmd = NULL;
        json_t *v;
        struct bv_error err = { 0 };

        if (bv_json_load_object(line, len, MON_LINE_MAX, &req, &err) < 0) {
                reply_error(m, c, err.msg, EINVAL);
                return;
        }
        v = json_object_get(req, "cmd");
        cmd = json_is_string(v) ? json_string_value(v) : "";
        if (strcmp(cmd, "status") == 0) {
                json_auto_t *j = ctr_ct_status_to_json(&m->st);
                client_send_json(m, c, j);
        } else if (strcmp(cmd, "stop") == 0) {
                v = json_object_get(req, "timeout");
                json_int_t t = m->stop_timeout;
                if (v && !json_is_integer(v)) {
                        reply_error(m, c, "stop: timeout must be an integer (seconds)", EINVAL);
                        return;
                }
                if (v)
                        t = json_integer_value(v);
                if (t < 0 || t > CTR_CT_MAX_STOP_TIMEOUT) {
                        reply_error(m, c, "stop: timeout out of range 0..3600", ERANGE);
                        return;
                }
                c->wants_stop_reply = true;
                mon_request_stop(m, (unsigned)t);   /* may reply at once when nothing runs */
        } else if (strcmp(cmd, "kill") == 0) {
                v = json_object_get(req, "signal");
                json_int_t sig = v ? (json_is_integer(v) ? json_integer_value(v) : -1) : SIGKILL;
                if (sig < 1 || sig > 64) {
                        reply_error(m, c, "kill: signal must be a number 1..64", EINVAL);
                        return;
                }
                int r = mon_request_kill(m, (int)sig);
                if (r < 0)
                        reply_error(m, c, r == -ESRCH ? "The container is not running" : strerror(-r), -r);
                else {
                        json_auto_t *j = json_pack("{s:b}", "ok", true);
                        client_send_json(m, c, j);
                }
        } else if (strcmp(cmd, "subscribe") == 0) {
                c->subscribed = true;
                /* The current state first, so a subscriber never misses where things stand. */
                json_auto_t *j = event_json(m, m->st.state == CTR_CT_STATUS_RUNNING      ? "running"
                                                 : m->st.state == CTR_CT_STATUS_RESTARTING ? "restarting"
                                                                                          : "stopped");
                client_send_json(m, c, j);
        } else
                reply_error(m, c, "unknown cmd (status, stop, kill, subscribe)", EINVAL);
}

static void client_cb(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct mon_client *c = userdata;
        struct mon *m = c->m;
        (void)loop;

        if (events & EPOLLOUT) {
                client_flush(m, c);
                return;   /* c may be gone; input is handled on the next round */
        }
        if (c->eof && !(events & (EPOLLHUP | EPOLLERR)))
                return;
        if (c->kind == MON_CLIENT_CONSOLE) {
                char buf[4096];
                if (c->eof) {
                        client_free(m, c);   /* hung up for good */
                        return;
                }
                ssize_t n = bv_fd_read(fd, buf, sizeof(buf));
                if (n == -EAGAIN)
                        return;
                if (n == 0) {
                        /* No more input, but it may still watch the output. */
                        c->eof = true;
                        bv_watch_set_events(c->watch, c->out_len > c->out_off ? EPOLLOUT : 0);
                        return;
                }
                if (n < 0) {
                        client_free(m, c);
                        return;
                }
                /* Input reaches the container only through its pty. */
                if (m->terminal && m->out_fd >= 0)
                        (void)bv_fd_write_all(m->out_fd, buf, (size_t)n);
                return;
        }
        if (c->eof) {
                client_free(m, c);   /* hung up for good */
                return;
        }
        ssize_t n = bv_fd_read(fd, c->in + c->in_len, MON_LINE_MAX - c->in_len);
        if (n == -EAGAIN)
                return;
        if (n == 0 && (c->wants_stop_reply || c->subscribed || c->out_len > c->out_off)) {
                /* Half-closed (`socat`, `nc -N`): it still reads its reply or its events. */
                c->eof = true;
                bv_watch_set_events(c->watch, c->out_len > c->out_off ? EPOLLOUT : 0);
                return;
        }
        if (n <= 0) {
                client_free(m, c);
                return;
        }
        c->in_len += (size_t)n;
        for (;;) {
                char *nl = memchr(c->in, '\n', c->in_len);
                if (!nl)
                        break;
                size_t len = (size_t)(nl - c->in);
                *nl = 0;
                handle_request(m, c, c->in, len);
                /* handle_request may have dropped the client. */
                bool alive = false;
                for (size_t i = 0; i < MON_MAX_CLIENTS; i++)
                        alive |= m->clients[i] == c;
                if (!alive)
                        return;
                memmove(c->in, nl + 1, c->in_len - len - 1);
                c->in_len -= len + 1;
        }
        if (c->in_len == MON_LINE_MAX) {
                c->in_len = 0;
                c->closing = true;
                reply_error(m, c, "request line too long", EMSGSIZE);
                for (size_t i = 0; i < MON_MAX_CLIENTS; i++)
                        if (m->clients[i] == c) {
                                if (c->out_len == c->out_off)
                                        client_free(m, c);   /* reply sent: done */
                                break;
                        }
        }
}

static void accept_cb(struct bv_loop *loop, int lfd, uint32_t events, void *userdata)
{
        struct mon *m = userdata;
        size_t slot = MON_MAX_CLIENTS;
        (void)events;

        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
                return;
        mon_touch(m);
        for (size_t i = 0; i < MON_MAX_CLIENTS; i++)
                if (!m->clients[i]) {
                        slot = i;
                        break;
                }
        struct mon_client *c = slot < MON_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
        if (!c) {
                close(fd);
                return;
        }
        c->m = m;
        c->fd = fd;
        c->kind = lfd == m->con_lfd ? MON_CLIENT_CONSOLE : MON_CLIENT_MONITOR;
        if ((c->kind == MON_CLIENT_MONITOR && !(c->in = malloc(MON_LINE_MAX))) ||
            bv_loop_add_fd(loop, fd, EPOLLIN, client_cb, c, &c->watch) < 0) {
                free(c->in);
                free(c);
                close(fd);
                return;
        }
        m->clients[slot] = c;
}

static int listen_at(struct mon *m, const char *path, int *ret_fd, struct bv_watch **ret_w, struct bv_error *err)
{
        int fd = bv_unix_listen(path, 0600, err);
        if (fd < 0)
                return fd;
        int r = bv_loop_add_fd(m->loop, fd, EPOLLIN, accept_cb, m, ret_w);
        if (r < 0) {
                close(fd);
                unlink(path);
                return bv_error_set_errno(err, -r, "Failed to watch '%s'", path);
        }
        *ret_fd = fd;
        return 0;
}

int mon_io_open(struct mon *m, struct bv_error *err)
{
        int r;

        /* Rotated to console.log.1 (replacing the older one) at --log-max. */
        if ((r = bv_log_writer_open(&m->log, m->log_path, m->log_old, m->log_max, err)) < 0)
                return r;
        if ((r = listen_at(m, m->mon_sock, &m->mon_lfd, &m->mon_lwatch, err)) < 0)
                return r;
        if ((r = listen_at(m, m->con_sock, &m->con_lfd, &m->con_lwatch, err)) < 0)
                return r;
        return 0;
}

void mon_io_close(struct mon *m)
{
        /* Flush what clients still have queued (final replies), bounded: they are non-blocking. */
        for (size_t i = 0; i < MON_MAX_CLIENTS; i++) {
                struct mon_client *c = m->clients[i];
                if (!c)
                        continue;
                if (c->out_len > c->out_off) {
                        bv_fd_set_nonblock(c->fd, 0);
                        struct timeval tv = { .tv_sec = 1 };
                        setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
                        (void)bv_fd_write_all(c->fd, c->out + c->out_off, c->out_len - c->out_off);
                }
                client_free(m, c);
        }
        if (m->mon_lfd >= 0) {
                m->mon_lwatch = bv_watch_remove(m->mon_lwatch);
                close(m->mon_lfd);
                unlink(m->mon_sock);
                m->mon_lfd = -1;
        }
        if (m->con_lfd >= 0) {
                m->con_lwatch = bv_watch_remove(m->con_lwatch);
                close(m->con_lfd);
                unlink(m->con_sock);
                m->con_lfd = -1;
        }
        bv_log_writer_close(&m->log);
}
