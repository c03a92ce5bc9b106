/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Clients for container engines (Docker, Podman) over their UNIX-socket HTTP
 * APIs, on the caller's event loop through common/http.h. One struct
 * ctr_engine per engine socket; what differs between engines lives in a
 * backend table (engine-docker.c, engine-podman.c), never in if-chains.
 *
 * Every call is asynchronous and carries a timeout: it returns 0 once the
 * request is queued (then done is called exactly once, never from inside the
 * call) or -errno (then done is not called). The first call after the engine
 * was unreachable negotiates the API version again (the highest version both
 * sides speak, from the ping's Api-Version header, or GET /version when the
 * engine sends none), so a restarted engine is picked up without restarting
 * the caller.
 *
 * Errors from the engine keep its {"message"} and HTTP status in the
 * bv_error text; an engine that does not answer gives "Docker engine at
 * '/var/run/docker.sock' is not reachable" (-ECONNREFUSED, -ENOENT or
 * -ETIMEDOUT). Replies are untrusted: bounded bodies, JSON checked by type.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/loop.h"

struct ctr_engine;
struct ctr_engine_backend;

/* The backends: "docker" and "podman". */
extern const struct ctr_engine_backend ctr_engine_docker;
extern const struct ctr_engine_backend ctr_engine_podman;

/* The backend named name ("docker", "podman"), or NULL. */
const struct ctr_engine_backend *ctr_engine_backend_find(const char *name);

/*
 * Creates a client for the engine listening on socket_path. Nothing is
 * connected until the first call. Returns 0, -EINVAL or -ENOMEM.
 */
int ctr_engine_new(struct bv_loop *loop, const struct ctr_engine_backend *backend,
                   const char *socket_path, struct ctr_engine **ret, struct bv_error *err);
/*
 * Frees the engine; calls still pending get their done with -ECANCELED
 * (from inside this function). NULL accepted; returns NULL.
 */
struct ctr_engine *ctr_engine_free(struct ctr_engine *e);

/* "docker" or "podman": the ref prefix and instance type. */
const char *ctr_engine_name(const struct ctr_engine *e);
const char *ctr_engine_socket(const struct ctr_engine *e);
/* The engine's container state word mapped to barevirt's ("stopped" from
 * Podman becomes "exited", ...); "unknown" for words it does not know. */
const char *ctr_engine_state(const struct ctr_engine *e, const char *engine_state);
/* The negotiated API version ("1.41"), or "" when not negotiated (yet). */
const char *ctr_engine_api_version(const struct ctr_engine *e);

/*
 * done of every call: r >= 0 with result (borrowed: valid during the call,
 * json_incref() to keep it; may be NULL for calls without a result), or
 * r < 0 with err filled and result NULL.
 */
typedef void (*ctr_engine_done_cb)(int r, json_t *result, const struct bv_error *err,
                                   void *userdata);

/* Per-call options; NULL for defaults. */
struct ctr_engine_opts {
        uint64_t timeout_usec;   /* 0: 10 s (stop: 10 s more than its grace time) */
};

/*
 * GET /_ping, then GET /version. Result: {"engine", "socket", "version",
 * "api_version", "min_api_version"}.
 */
int ctr_engine_ping(struct ctr_engine *e, const struct ctr_engine_opts *o, ctr_engine_done_cb done,
                    void *userdata, struct bv_error *err);

/*
 * Every container (all=1), as an array of {"id", "name", "names", "image",
 * "state" (barevirt's word: running, paused, exited, created, ...),
 * "engine_state" (the engine's word), "status", "created", "labels",
 * "addresses" (IP addresses), "uptime" (seconds, approximate, or null)}.
 */
int ctr_engine_list(struct ctr_engine *e, const struct ctr_engine_opts *o, ctr_engine_done_cb done,
                    void *userdata, struct bv_error *err);

/* The engine's inspect object, unchanged, for id (a name or id). */
int ctr_engine_inspect(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                       ctr_engine_done_cb done, void *userdata, struct bv_error *err);

/* Start (already running is success), stop with a grace time in seconds
 * (< 0: the engine's default; already stopped is success), kill with a
 * signal name or number (NULL: SIGKILL), remove (force kills first).
 * No result. */
int ctr_engine_start(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                     ctr_engine_done_cb done, void *userdata, struct bv_error *err);
int ctr_engine_stop(struct ctr_engine *e, const char *id, int grace_sec,
                    const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                    struct bv_error *err);
int ctr_engine_kill(struct ctr_engine *e, const char *id, const char *signal,
                    const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                    struct bv_error *err);
int ctr_engine_remove(struct ctr_engine *e, const char *id, bool force,
                      const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                      struct bv_error *err);

/*
 * The log so far (no follow), stdout and stderr, the last tail lines
 * (tail < 0: all). The container is inspected first: without a tty the
 * engine multiplexes the streams with 8-byte frame headers, which are
 * removed. Result: {"tty": bool, "output": interleaved text, "stdout",
 * "stderr"}; bytes that are not UTF-8 become U+FFFD. At most 4 MiB.
 */
int ctr_engine_logs(struct ctr_engine *e, const char *id, int tail, const struct ctr_engine_opts *o,
                    ctr_engine_done_cb done, void *userdata, struct bv_error *err);

/*
 * Splits a multiplexed log stream (8-byte headers: stream, 0, 0, 0, size
 * big-endian) into out (interleaved) and per-stream buffers. Returns 0, or
 * -EPROTO on a bad header or truncated frame (what came before is kept).
 * Exposed for tests.
 */
struct ctr_engine_demux {
        char *out, *stdout_, *stderr_;
        size_t out_len, stdout_len, stderr_len;
};
int ctr_engine_demux(const char *buf, size_t len, struct ctr_engine_demux *ret, struct bv_error *err);
void ctr_engine_demux_clear(struct ctr_engine_demux *d);

/* ---- create, lifecycle, exec, stats (engine-ops.c) ------------------------ */

/*
 * Creates a container from spec, barevirt's own create object (checked
 * strictly: unknown keys and wrong types are -EINVAL with the key named):
 *   {"image": "busybox" (required), "name", "cmd": [..], "entrypoint": [..],
 *    "env": ["K=V", ..], "workdir", "user", "labels": {"k": "v"},
 *    "binds": ["/src:/dst[:ro]", ..], "mounts": [{"source", "target",
 *    "readonly"}], "network": "none"|"host"|"bridge"|NAME,
 *    "restart": "no"|"always"|"unless-stopped"|"on-failure[:N]",
 *    "memory": bytes, "cpus": number, "tty": bool}
 * Result: {"id", "name", "warnings": [..]}.
 */
int ctr_engine_create(struct ctr_engine *e, const json_t *spec, const struct ctr_engine_opts *o,
                      ctr_engine_done_cb done, void *userdata, struct bv_error *err);
/* Builds the engine's create body and ?name= from spec (no I/O; for tests). */
int ctr_engine_create_body(const json_t *spec, json_t **ret_body, char *ret_name, size_t name_len,
                           struct bv_error *err);

/* Restart (grace time like stop), pause, unpause. No result. */
int ctr_engine_restart(struct ctr_engine *e, const char *id, int grace_sec, const struct ctr_engine_opts *o,
                       ctr_engine_done_cb done, void *userdata, struct bv_error *err);
int ctr_engine_pause(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                     ctr_engine_done_cb done, void *userdata, struct bv_error *err);
int ctr_engine_unpause(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                       ctr_engine_done_cb done, void *userdata, struct bv_error *err);
/*
 * Waits until the container is not running, on its own connection (other
 * calls go on meanwhile). Result: {"exit_code": N}. The default timeout is
 * an hour.
 */
int ctr_engine_wait(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                    ctr_engine_done_cb done, void *userdata, struct bv_error *err);
/*
 * Runs cmd in the running container (exec create, then start with output
 * attached, then exec inspect for the exit code), on its own connection.
 * spec: {"cmd": [..] (required), "env": [..], "workdir", "user", "tty"}.
 * Result: {"exit_code", "output", "stdout", "stderr", "tty"}; output at most
 * 4 MiB.
 */
int ctr_engine_exec(struct ctr_engine *e, const char *id, const json_t *spec, const struct ctr_engine_opts *o,
                    ctr_engine_done_cb done, void *userdata, struct bv_error *err);
/*
 * One-shot stats. Result: {"memory_usage", "memory_limit", "pids",
 * "cpu_total_ns", "read"} (0 where the engine gave nothing).
 */
int ctr_engine_stats(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                     ctr_engine_done_cb done, void *userdata, struct bv_error *err);
/* Summarises an engine stats object (for tests and the fuzzer). */
json_t *ctr_engine_stats_summary(const json_t *stats);

/* Images: list ([{"id", "tags": [..], "created", "size"}]); load a tarball
 * made by `docker save` (result {"output": the engine's text}); remove (no
 * result; force: even when containers use it, which Podman takes as
 * "remove those containers too", Docker as "untag anyway"). */
int ctr_engine_images(struct ctr_engine *e, const struct ctr_engine_opts *o, ctr_engine_done_cb done,
                      void *userdata, struct bv_error *err);
int ctr_engine_image_load(struct ctr_engine *e, const void *tar, size_t len, const struct ctr_engine_opts *o,
                          ctr_engine_done_cb done, void *userdata, struct bv_error *err);
int ctr_engine_image_remove(struct ctr_engine *e, const char *image, bool force, const struct ctr_engine_opts *o,
                            ctr_engine_done_cb done, void *userdata, struct bv_error *err);
/* True for image references: [A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}, no "..". */
bool ctr_engine_image_valid(const char *image);

/* ---- streams (engine-stream.c) ------------------------------------------- */

struct ctr_engine_stream;
/* Called when the stream ends: r == 0 when the engine closed it cleanly,
 * else -errno with err (the engine went away: -ECONNREFUSED/-ECONNRESET;
 * a bad stream: -EPROTO, -EMSGSIZE). Not called after
 * ctr_engine_stream_free(). The stream may be freed from inside. */
typedef void (*ctr_engine_end_cb)(int r, const struct bv_error *err, void *userdata);
/* One normalised event (borrowed): {"engine", "action" (Docker's word:
 * create, start, die, stop, kill, pause, unpause, restart, destroy, ...),
 * "engine_action" (the engine's own), "id", "name", "ref" (ENGINE:NAME),
 * "image", "time" (seconds, float), "exit_code" (die only)}. */
typedef void (*ctr_engine_event_cb)(const json_t *event, void *userdata);
/* Called once the stream is connected (its ping answered). */
typedef void (*ctr_engine_up_cb)(void *userdata);

/*
 * Subscribes to the engine's container events on a connection of its own:
 * a ping first (on_up once it answers), then the events request, which
 * Podman answers with nothing until the first event. Events the engine
 * sends before it has the request are not replayed. Returns 0 or -errno.
 */
int ctr_engine_events(struct ctr_engine *e, ctr_engine_up_cb on_up, ctr_engine_event_cb on_event,
                      ctr_engine_end_cb on_end, void *userdata, struct ctr_engine_stream **ret,
                      struct bv_error *err);
/* Normalises one line of an engine's event stream (for tests and the
 * fuzzer): 1 with *ret, 0 for a line that is not a container event, or
 * -EPROTO. */
int ctr_engine_event_parse(const struct ctr_engine_backend *b, const char *line, size_t len, json_t **ret,
                           struct bv_error *err);

/*
 * Follows a container's log: the last tail lines (< 0: all), then new
 * output as it comes, demultiplexed: on_data(stream 1 or 2, bytes). Ends
 * when the container stops (on_end with 0). Returns 0 or -errno.
 */
typedef void (*ctr_engine_data_cb)(int stream, const char *data, size_t len, void *userdata);
int ctr_engine_logs_follow(struct ctr_engine *e, const char *id, int tail, ctr_engine_data_cb on_data,
                           ctr_engine_end_cb on_end, void *userdata, struct ctr_engine_stream **ret,
                           struct bv_error *err);
/* Stops a stream. Must be freed before its engine. NULL accepted; returns NULL. */
struct ctr_engine_stream *ctr_engine_stream_free(struct ctr_engine_stream *s);

/*
 * Incremental demultiplexer for streams with 8-byte frame headers: bytes in
 * any pieces, whole frames out. Returns 0 or -EPROTO (bad header) or
 * -EMSGSIZE (a frame over 1 MiB).
 */
struct ctr_engine_demuxer {
        unsigned char head[8];
        size_t head_len;
        size_t left;                /* bytes left in the current frame */
        int stream;
};
int ctr_engine_demuxer_feed(struct ctr_engine_demuxer *d, const char *buf, size_t len, ctr_engine_data_cb cb,
                            void *userdata, struct bv_error *err);

/* Seconds from an engine status text ("Up 5 minutes"), or -1. */
int64_t ctr_engine_status_uptime(const char *status);

/*
 * Replays one engine reply through the handling a live call gives it, with
 * no engine and no I/O (for tests and fuzzing). kind: list, inspect, logs,
 * create, wait, exec-output, exec-inspect, stats, images, image-load,
 * version; events (the body is stream lines: result an array of normalised
 * events) and log-stream (a multiplexed stream fed in 5-byte pieces: an
 * array of {"stream", "data"}). status >= 400 takes the error path.
 * Returns what the call's done would get.
 */
int ctr_engine_reply_replay(const struct ctr_engine_backend *b, const char *kind, int status, const char *body,
                            size_t len, json_t **ret, struct bv_error *err);

/* True when name is a valid engine container name or id:
 * [A-Za-z0-9][A-Za-z0-9._-]{0,127}. */
bool ctr_engine_name_valid(const char *name);
