/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QMP connection: socket I/O on the event loop, the handshake, and the
 * bookkeeping of commands in flight (ids, per-command timers, completion).
 * What the bytes mean is demux.c's business.
 *
 * Invariants: every pending command has exactly one timer and completes
 * exactly once (reply, error, timeout, close or free); user callbacks are
 * only called from loop callbacks or from qmp_conn_free(), never from
 * inside qmp_conn_call(); writes are held back until the greeting arrived,
 * so qmp_capabilities can go first; the socket is read once per wakeup so
 * one chatty QEMU cannot starve the rest of the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"
#include "qmp/qmp-internal.h"

/* The input buffer starts this small and shrinks back to it after a big message. */
#define QMP_IN_INITIAL (16u * 1024u)
/* Free space we want before a read(); the buffer grows (up to in_cap) to get it. */
#define QMP_IN_READ_MIN (4u * 1024u)

static void conn_ref(struct qmp_conn *c)
{
        c->refs++;
}

static void conn_release(struct qmp_conn *c)
{
        json_decref(c->capabilities);
        free(c->in);
        free(c->out);
        free(c);
}

static void conn_unref(struct qmp_conn *c)
{
        if (--c->refs == 0)
                conn_release(c);
}

void qmp_conn_diag(struct qmp_conn *c, const char *fmt, ...)
{
        struct bv_error e = { 0 };
        va_list ap;

        c->stats.dropped++;
        if (!c->diag_cb)
                return;
        va_start(ap, fmt);
        bv_error_setv(&e, EPROTO, fmt, ap);
        va_end(ap);
        c->diag_cb(c, &e, c->diag_userdata);
}

static void pending_unlink(struct qmp_conn *c, struct qmp_pending *p)
{
        if (p->prev)
                p->prev->next = p->next;
        else
                c->pending_head = p->next;
        if (p->next)
                p->next->prev = p->prev;
        else
                c->pending_tail = p->prev;
        p->prev = p->next = NULL;
        c->n_pending--;
}

/* Adds p to the pending list, in send order (front: the handshake, sent first). */
static void pending_link(struct qmp_conn *c, struct qmp_pending *p, bool front)
{
        if (front) {
                p->next = c->pending_head;
                if (c->pending_head)
                        c->pending_head->prev = p;
                else
                        c->pending_tail = p;
                c->pending_head = p;
        } else {
                p->prev = c->pending_tail;
                if (c->pending_tail)
                        c->pending_tail->next = p;
                else
                        c->pending_head = p;
                c->pending_tail = p;
        }
        c->n_pending++;
}

struct qmp_pending *qmp_pending_find(struct qmp_conn *c, uint64_t id)
{
        /* QEMU answers in order, so the match is almost always the head. */
        for (struct qmp_pending *p = c->pending_head; p; p = p->next)
                if (p->id == id)
                        return p;
        return NULL;
}

void qmp_pending_complete(struct qmp_conn *c, struct qmp_pending *p, int r, json_t *ret,
                          const struct bv_error *err)
{
        pending_unlink(c, p);
        p->timer = bv_timer_cancel(p->timer);
        if (p->cb)
                p->cb(c, r, ret, err, p->userdata);
        free(p);
}

/* Fails every pending command with r; the list is detached first, so callbacks see none. */
static void pending_fail_all(struct qmp_conn *c, int r, const char *why)
{
        struct qmp_pending *list = c->pending_head;

        c->pending_head = c->pending_tail = NULL;
        c->n_pending = 0;
        while (list) {
                struct qmp_pending *p = list;
                struct bv_error e = { 0 };

                list = p->next;
                p->timer = bv_timer_cancel(p->timer);
                bv_error_set(&e, r, "QMP command '%s' failed: %s", p->command, why);
                if (p->cb)
                        p->cb(c, r, NULL, &e, p->userdata);
                free(p);
        }
}

void qmp_conn_close(struct qmp_conn *c, int r, int pending_r, const char *fmt, ...)
{
        va_list ap;

        if (c->state == QMP_STATE_CLOSED)
                return;
        conn_ref(c);
        c->state = QMP_STATE_CLOSED;
        va_start(ap, fmt);
        bv_error_setv(&c->close_err, r, fmt, ap);
        va_end(ap);
        c->close_r = r;
        c->watch = bv_watch_remove(c->watch);
        if (c->fd >= 0) {
                close(c->fd);
                c->fd = -1;
        }
        c->handshake_timer = bv_timer_cancel(c->handshake_timer);
        free(c->in);
        c->in = NULL;
        c->in_size = c->in_len = c->in_scan = 0;
        free(c->out);
        c->out = NULL;
        c->out_size = c->out_len = c->out_off = 0;

        if (c->ready_r == 0) {
                c->ready_r = r;
                c->ready_err = c->close_err;
                if (c->ready_cb && !c->freed)
                        c->ready_cb(c, r, &c->ready_err, c->ready_userdata);
        }
        pending_fail_all(c, pending_r, c->close_err.msg);
        if (c->close_cb && !c->freed)
                c->close_cb(c, r, &c->close_err, c->close_userdata);
        conn_unref(c);
}

static void watch_update(struct qmp_conn *c)
{
        uint32_t ev = EPOLLIN;

        if (c->state == QMP_STATE_CLOSED || !c->watch)
                return;
        if (c->state != QMP_STATE_GREETING && c->out_off < c->out_len)
                ev |= EPOLLOUT;
        if (ev != c->watch_events && bv_watch_set_events(c->watch, ev) == 0)
                c->watch_events = ev;
}

/*
 * Writes without blocking. A hard error is not handled here (this runs
 * inside qmp_conn_call(), which must not call callbacks): EPOLLOUT stays
 * armed, the socket reports the error again and on_io() closes.
 */
static int flush_out(struct qmp_conn *c)
{
        int r = bv_fd_send_some(c->fd, c->out, c->out_len, &c->out_off);

        if (r < 0)
                return r;
        if (c->out_off == c->out_len)
                c->out_off = c->out_len = 0;
        return 0;
}

/* Writes what it can without blocking; arms EPOLLOUT for the rest. */
static void conn_flush(struct qmp_conn *c)
{
        if (c->state == QMP_STATE_CLOSED || c->state == QMP_STATE_GREETING)
                return;
        (void)flush_out(c);
        watch_update(c);
}

/* Queues a line (without the newline) for writing; it goes out once writes are allowed. */
static int conn_queue(struct qmp_conn *c, const char *line, size_t len, bool front)
{
        size_t pending = c->out_len - c->out_off;
        size_t need = pending + len + 1;

        if (c->out_off > 0 && pending > 0)
                memmove(c->out, c->out + c->out_off, pending);
        c->out_off = 0;
        c->out_len = pending;
        if (need > c->out_size) {
                size_t sz = BV_MAX(need, c->out_size * 2);
                sz = BV_MAX(sz, (size_t)256);
                char *p = realloc(c->out, sz);
                if (!p)
                        return -ENOMEM;
                c->out = p;
                c->out_size = sz;
        }
        if (front) {
                memmove(c->out + len + 1, c->out, c->out_len);
                memcpy(c->out, line, len);
                c->out[len] = '\n';
        } else {
                memcpy(c->out + c->out_len, line, len);
                c->out[c->out_len + len] = '\n';
        }
        c->out_len += len + 1;
        return 0;
}

/* Makes room for at least QMP_IN_READ_MIN bytes (or up to the cap). Returns free bytes. */
static size_t in_reserve(struct qmp_conn *c)
{
        if (c->in_size - c->in_len < QMP_IN_READ_MIN && c->in_size < c->in_cap) {
                size_t sz = BV_MIN(BV_MAX(c->in_size * 2, c->in_len + QMP_IN_READ_MIN), c->in_cap);
                char *p = realloc(c->in, sz);
                if (p) {
                        c->in = p;
                        c->in_size = sz;
                }
        }
        return c->in_size - c->in_len;
}

/* After the buffer drained, gives back what a big message made it grow to. */
static void in_shrink(struct qmp_conn *c)
{
        if (c->state == QMP_STATE_CLOSED || c->in_size <= QMP_IN_INITIAL * 4 ||
            c->in_len > QMP_IN_INITIAL)
                return;
        size_t sz = BV_MIN((size_t)QMP_IN_INITIAL, c->in_cap);
        char *p = realloc(c->in, sz);
        if (p) {
                c->in = p;
                c->in_size = sz;
        }
}

static void on_read(struct qmp_conn *c)
{
        size_t room = in_reserve(c);

        if (room == 0) {
                /* Cannot happen: demux closes when in_len reaches in_cap. Defensive. */
                qmp_conn_close(c, -EMSGSIZE, -ECONNRESET, "QMP message exceeds %zu bytes",
                               c->opts.max_message);
                return;
        }
        ssize_t n = read(c->fd, c->in + c->in_len, room);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return;
                int e = errno;
                qmp_conn_close(c, -ECONNRESET, -ECONNRESET, "QMP connection lost: %s", strerror(e));
                return;
        }
        if (n == 0) {
                qmp_conn_close(c, -ECONNRESET, -ECONNRESET, "QMP connection closed by QEMU");
                return;
        }
        c->in_len += (size_t)n;
        c->stats.bytes_read += (uint64_t)n;
        qmp_demux_input(c);
        in_shrink(c);
}

static void on_io(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct qmp_conn *c = userdata;

        conn_ref(c);
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                on_read(c);
        if (c->state != QMP_STATE_CLOSED && (events & EPOLLOUT)) {
                int r = flush_out(c);
                if (r < 0)
                        qmp_conn_close(c, -ECONNRESET, -ECONNRESET, "QMP connection lost: %s",
                                       strerror(-r));
                else
                        watch_update(c);
        }
        conn_unref(c);
}

int qmp_conn_feed(struct qmp_conn *c, const void *buf, size_t len)
{
        const char *p = buf;
        int r = 0;

        conn_ref(c);
        while (len > 0 && c->state != QMP_STATE_CLOSED) {
                size_t room = in_reserve(c);
                if (room == 0)
                        break;
                size_t n = BV_MIN(room, len);
                memcpy(c->in + c->in_len, p, n);
                c->in_len += n;
                c->stats.bytes_read += n;
                p += n;
                len -= n;
                qmp_demux_input(c);
                in_shrink(c);
        }
        if (c->state == QMP_STATE_CLOSED)
                r = -ENOTCONN;
        conn_unref(c);
        return r;
}

static void on_handshake_timeout(struct bv_loop *loop, void *userdata)
{
        struct qmp_conn *c = userdata;

        c->handshake_timer = NULL;
        qmp_conn_close(c, -ETIMEDOUT, -ECONNRESET, "QMP handshake not finished within %u ms%s",
                       c->opts.handshake_timeout_ms,
                       c->state == QMP_STATE_GREETING ? " (no greeting)" : "");
}

/* A random id in [2^32, 2^48): exact as a double too, for peers that parse ids so. */
static uint64_t random_caps_id(void)
{
        uint64_t v = 0;

        if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
                v = bv_now_usec() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&v;
        return (1ull << 32) + (v % ((1ull << 48) - (1ull << 32)));
}

int qmp_conn_new(struct bv_loop *loop, int fd, const struct qmp_options *opts,
                 struct qmp_conn **ret, struct bv_error *err)
{
        _cleanup_close_ int sock = fd;
        struct qmp_options o = opts ? *opts : (struct qmp_options){ 0 };
        int r;

        if (!loop || fd < 0 || !ret)
                return bv_error_set(err, EINVAL, "Invalid arguments to qmp_conn_new");
        if (o.max_message == 0)
                o.max_message = QMP_MESSAGE_MAX_DEFAULT;
        if (o.first_id >= (1ull << 53))
                return bv_error_set(err, EINVAL, "QMP first id %llu too large",
                                    (unsigned long long)o.first_id);
        if (o.max_message > SIZE_MAX / 4)
                return bv_error_set(err, EINVAL, "QMP message cap %zu too large", o.max_message);
        if (o.max_pending == 0)
                o.max_pending = QMP_PENDING_MAX_DEFAULT;
        if (o.timeout_ms == 0)
                o.timeout_ms = QMP_TIMEOUT_MS_DEFAULT;
        if (o.handshake_timeout_ms == 0)
                o.handshake_timeout_ms = o.timeout_ms;

        r = bv_fd_set_nonblock(sock, 1);
        if (r < 0)
                return bv_error_set_errno(err, -r, "Cannot make the QMP socket non-blocking");
        r = bv_fd_set_cloexec(sock, 1);
        if (r < 0)
                return bv_error_set_errno(err, -r, "Cannot make the QMP socket close-on-exec");

        struct qmp_conn *c = calloc(1, sizeof(*c));
        if (!c)
                return bv_error_set(err, ENOMEM, "Out of memory");
        c->loop = loop;
        c->fd = -1;
        c->refs = 1;
        c->opts = o;
        c->first_id = c->next_id = o.first_id ? o.first_id : 1;
        c->random_caps_id = o.first_id == 0;
        c->in_cap = o.max_message + 2;
        c->in_size = BV_MIN((size_t)QMP_IN_INITIAL, c->in_cap);
        c->in = malloc(c->in_size);
        if (!c->in) {
                conn_release(c);
                return bv_error_set(err, ENOMEM, "Out of memory");
        }
        r = bv_loop_add_fd(loop, sock, EPOLLIN, on_io, c, &c->watch);
        if (r < 0) {
                conn_release(c);
                return bv_error_set_errno(err, -r, "Cannot watch the QMP socket");
        }
        c->watch_events = EPOLLIN;
        r = bv_loop_add_timer(loop, (uint64_t)o.handshake_timeout_ms * 1000, on_handshake_timeout, c,
                              &c->handshake_timer);
        if (r < 0) {
                bv_watch_remove(c->watch);
                conn_release(c);
                return bv_error_set_errno(err, -r, "Cannot arm the QMP handshake timer");
        }
        c->fd = TAKE_FD(sock);
        *ret = c;
        return 0;
}

int qmp_conn_connect(struct bv_loop *loop, const char *path, const struct qmp_options *opts,
                     struct qmp_conn **ret, struct bv_error *err)
{
        if (!path || !*path)
                return bv_error_set(err, EINVAL, "No QMP socket path");
        /*
         * Non-blocking even for the connect: QEMU listens with a backlog of
         * one, and a blocking connect() to a monitor whose backlog is full
         * (another client attached) would hang the caller. Here it fails
         * with -EAGAIN instead; a connection that sits in the backlog is
         * bounded by the handshake timeout.
         */
        int fd = bv_unix_connect(path, BV_UNIX_CONNECT_NONBLOCK, NULL);
        if (fd == -EAGAIN)
                return bv_error_set(err, EAGAIN, "QMP socket '%s' is busy (another client attached?)", path);
        if (fd < 0)
                return bv_error_set_errno(err, -fd, "Cannot connect to QMP socket '%s'", path);
        return qmp_conn_new(loop, fd, opts, ret, err);
}

struct qmp_conn *qmp_conn_free(struct qmp_conn *c)
{
        if (!c || c->freed)
                return NULL;
        c->freed = true;
        qmp_conn_close(c, -ECANCELED, -ECANCELED, "QMP connection closed by its owner");
        conn_unref(c);
        return NULL;
}

void qmp_conn_set_event_cb(struct qmp_conn *c, qmp_event_cb cb, void *userdata)
{
        c->event_cb = cb;
        c->event_userdata = userdata;
}

void qmp_conn_set_ready_cb(struct qmp_conn *c, qmp_ready_cb cb, void *userdata)
{
        c->ready_cb = cb;
        c->ready_userdata = userdata;
}

void qmp_conn_set_close_cb(struct qmp_conn *c, qmp_close_cb cb, void *userdata)
{
        c->close_cb = cb;
        c->close_userdata = userdata;
}

void qmp_conn_set_diag_cb(struct qmp_conn *c, qmp_diag_cb cb, void *userdata)
{
        c->diag_cb = cb;
        c->diag_userdata = userdata;
}

bool qmp_conn_is_open(const struct qmp_conn *c)
{
        return c && c->state != QMP_STATE_CLOSED;
}

bool qmp_conn_is_ready(const struct qmp_conn *c)
{
        return c && c->state == QMP_STATE_READY;
}

void qmp_conn_get_version(const struct qmp_conn *c, int *ret_major, int *ret_minor, int *ret_micro)
{
        if (ret_major)
                *ret_major = c->version[0];
        if (ret_minor)
                *ret_minor = c->version[1];
        if (ret_micro)
                *ret_micro = c->version[2];
}

const char *qmp_conn_get_package(const struct qmp_conn *c)
{
        return c->package;
}

bool qmp_conn_has_capability(const struct qmp_conn *c, const char *name)
{
        size_t i;
        json_t *v;

        json_array_foreach(c->capabilities, i, v)
                if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
                        return true;
        return false;
}

void qmp_conn_get_stats(const struct qmp_conn *c, struct qmp_stats *ret)
{
        *ret = c->stats;
}

static void on_command_timeout(struct bv_loop *loop, void *userdata)
{
        struct qmp_pending *p = userdata;
        struct qmp_conn *c = p->conn;
        struct bv_error e = { 0 };

        p->timer = NULL; /* the loop frees it after we return */
        conn_ref(c);
        c->stats.timeouts++;
        bv_error_set(&e, ETIMEDOUT, "QMP command '%s' timed out after %u ms", p->command,
                     p->timeout_ms);
        qmp_pending_complete(c, p, -ETIMEDOUT, NULL, &e);
        conn_unref(c);
}

/* QAPI names: letters, digits, '-', '_' and '.' (downstream "__com.vendor_x"). */
static bool command_name_valid(const char *s)
{
        size_t n = 0;

        for (; s[n]; n++) {
                char ch = s[n];
                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
                        return false;
        }
        return n > 0 && n <= QMP_COMMAND_NAME_MAX;
}

/* Builds the pending record and the line; the line goes at the back (or front) of the queue. */
static int submit(struct qmp_conn *c, const char *command, json_t *arguments, unsigned timeout_ms,
                  bool front, uint64_t fixed_id, qmp_reply_cb cb, void *userdata, uint64_t *ret_id,
                  struct bv_error *err)
{
        _cleanup_free_ char *args = NULL;
        _cleanup_free_ char *line = NULL;
        int r;

        if (c->state == QMP_STATE_CLOSED)
                return bv_error_set(err, ENOTCONN, "QMP connection is closed: %s", c->close_err.msg);
        if (!command || !command_name_valid(command))
                return bv_error_set(err, EINVAL, "Invalid QMP command name '%s'",
                                    command ? command : "");
        if (arguments && !json_is_object(arguments))
                return bv_error_set(err, EINVAL, "Arguments of QMP command '%s' must be an object",
                                    command);
        if (c->n_pending >= c->opts.max_pending)
                return bv_error_set(err, EBUSY, "Too many QMP commands pending (%u)", c->n_pending);

        if (arguments) {
                args = json_dumps(arguments, JSON_COMPACT);
                if (!args)
                        return bv_error_set(err, ENOMEM, "Cannot serialise arguments of '%s'", command);
        }
        uint64_t id = fixed_id ? fixed_id : c->next_id++;
        /* The name was checked above, so it needs no escaping. */
        int n = asprintf(&line, "{\"execute\":\"%s\",%s%s%s\"id\":%llu}", command,
                         args ? "\"arguments\":" : "", args ? args : "", args ? "," : "",
                         (unsigned long long)id);
        if (n < 0) {
                line = NULL;
                return bv_error_set(err, ENOMEM, "Out of memory");
        }

        struct qmp_pending *p = calloc(1, sizeof(*p));
        if (!p)
                return bv_error_set(err, ENOMEM, "Out of memory");
        p->conn = c;
        p->id = id;
        p->cb = cb;
        p->userdata = userdata;
        p->timeout_ms = timeout_ms ? timeout_ms : c->opts.timeout_ms;
        snprintf(p->command, sizeof(p->command), "%s", command);
        r = bv_loop_add_timer(c->loop, (uint64_t)p->timeout_ms * 1000, on_command_timeout, p,
                              &p->timer);
        if (r < 0) {
                free(p);
                return bv_error_set_errno(err, -r, "Cannot arm the timer of '%s'", command);
        }
        r = conn_queue(c, line, (size_t)n, front);
        if (r < 0) {
                bv_timer_cancel(p->timer);
                free(p);
                return bv_error_set(err, -r, "Out of memory");
        }
        pending_link(c, p, front);
        if (ret_id)
                *ret_id = id;
        conn_flush(c);
        return 0;
}

int qmp_conn_call(struct qmp_conn *c, const char *command, json_t *arguments, unsigned timeout_ms,
                  qmp_reply_cb cb, void *userdata, uint64_t *ret_id, struct bv_error *err)
{
        if (!c)
                return bv_error_set(err, EINVAL, "No QMP connection");
        return submit(c, command, arguments, timeout_ms, false, 0, cb, userdata, ret_id, err);
}

int qmp_conn_cancel(struct qmp_conn *c, uint64_t id)
{
        struct qmp_pending *p = c ? qmp_pending_find(c, id) : NULL;

        if (!p)
                return -ENOENT;
        pending_unlink(c, p);
        p->timer = bv_timer_cancel(p->timer);
        free(p);
        return 0;
}

static void on_capabilities(struct qmp_conn *c, int r, json_t *ret, const struct bv_error *err,
                            void *userdata)
{
        /*
         * QEMU can still hold the previous client's session in command mode
         * when our qmp_capabilities arrives (seen under load right after a
         * client left): it answers "already complete". The session is then
         * in command mode, which is all the handshake is for.
         */
        if (r == -EREMOTEIO && err && strstr(err->msg, "CommandNotFound") &&
            strstr(err->msg, "already complete"))
                r = 0;
        if (r < 0) {
                if (c->state != QMP_STATE_CLOSED)
                        qmp_conn_close(c, r, -ECONNRESET, "QMP capabilities negotiation failed: %s",
                                       bv_error_message(err, r));
                return;
        }
        c->state = QMP_STATE_READY;
        c->handshake_timer = bv_timer_cancel(c->handshake_timer);
        c->ready_r = 1;
        if (c->ready_cb && !c->freed)
                c->ready_cb(c, 0, NULL, c->ready_userdata);
}

int qmp_conn_negotiate(struct qmp_conn *c)
{
        struct bv_error e = { 0 };

        c->state = QMP_STATE_NEGOTIATING;
        int r = submit(c, "qmp_capabilities", NULL, c->opts.handshake_timeout_ms, true,
                       c->random_caps_id ? random_caps_id() : 0, on_capabilities, NULL, &c->caps_id,
                       &e);
        if (r < 0) {
                qmp_conn_close(c, r, -ECONNRESET, "Cannot send qmp_capabilities: %s", e.msg);
                return r;
        }
        return 0;
}

static void on_ready_sync(struct qmp_conn *c, int r, const struct bv_error *err, void *userdata)
{
        *(bool *)userdata = true;
}

int qmp_conn_wait_ready(struct qmp_conn *c, unsigned timeout_ms, struct bv_error *err)
{
        bool done = false;
        int r;

        if (!c)
                return bv_error_set(err, EINVAL, "No QMP connection");
        if (c->ready_r > 0)
                return 0;
        if (c->ready_r < 0)
                return bv_error_set(err, -c->ready_r, "%s", c->ready_err.msg);
        if (timeout_ms == 0)
                timeout_ms = c->opts.handshake_timeout_ms;

        qmp_ready_cb saved_cb = c->ready_cb;
        void *saved_ud = c->ready_userdata;
        conn_ref(c);
        /* Chain: our flag first, then the owner's callback keeps working after we return. */
        c->ready_cb = on_ready_sync;
        c->ready_userdata = &done;
        r = bv_loop_run_until(c->loop, &done, (uint64_t)timeout_ms * 1000);
        c->ready_cb = saved_cb;
        c->ready_userdata = saved_ud;
        if (c->ready_r > 0)
                r = 0;
        else if (c->ready_r < 0)
                r = bv_error_set(err, -c->ready_r, "%s", c->ready_err.msg);
        else if (r == -ETIMEDOUT)
                r = bv_error_set(err, ETIMEDOUT, "QMP handshake not finished within %u ms", timeout_ms);
        else
                r = bv_error_set_errno(err, -r, "Event loop failed");
        if (done && saved_cb && !c->freed)
                saved_cb(c, c->ready_r > 0 ? 0 : c->ready_r, c->ready_r > 0 ? NULL : &c->ready_err,
                         saved_ud);
        conn_unref(c);
        return r;
}

struct sync_call {
        bool done;
        int r;
        json_t *ret;
        struct bv_error err;
};

static void on_sync_reply(struct qmp_conn *c, int r, json_t *ret, const struct bv_error *err,
                          void *userdata)
{
        struct sync_call *s = userdata;

        s->done = true;
        s->r = r;
        s->ret = json_incref(ret);
        if (r < 0 && err)
                s->err = *err;
}

int qmp_conn_call_sync(struct qmp_conn *c, const char *command, json_t *arguments,
                       unsigned timeout_ms, json_t **ret, struct bv_error *err)
{
        struct sync_call s = { 0 };
        uint64_t id;
        int r;

        if (!c)
                return bv_error_set(err, EINVAL, "No QMP connection");
        if (timeout_ms == 0)
                timeout_ms = c->opts.timeout_ms;
        r = qmp_conn_call(c, command, arguments, timeout_ms, on_sync_reply, &s, &id, err);
        if (r < 0)
                return r;
        conn_ref(c);
        /* The command's own timer ends the wait; the margin only guards against a stalled loop. */
        r = bv_loop_run_until(c->loop, &s.done, (uint64_t)timeout_ms * 1000 + 1000000);
        if (!s.done) {
                qmp_conn_cancel(c, id);
                conn_unref(c);
                if (r == -ETIMEDOUT)
                        return bv_error_set(err, ETIMEDOUT, "QMP command '%s' timed out after %u ms",
                                            command, timeout_ms);
                return bv_error_set_errno(err, -r, "Event loop failed");
        }
        conn_unref(c);
        if (s.r < 0) {
                if (err)
                        *err = s.err;
                return s.r;
        }
        if (ret)
                *ret = s.ret;
        else
                json_decref(s.ret);
        return 0;
}
