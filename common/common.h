/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * common/: what every folder needs. Sections, each from its own .c file:
 * errors (error.c), cleanup macros, logging (for tools/ only: libraries
 * never log), the event loop (loop.c), child jobs on the loop (job.c),
 * file descriptors (fd.c), files (file.c), parsing of untrusted scalars
 * (parse.c), SHA-256 and base64 (digest.c), child processes outside the loop (proc.c), bounded JSON
 * (json.c), checked reads of definitions (json-def.c), and HTTP over
 * libhttp-parser, server and client (http*.c).
 */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>


/* ---- errors (error.c) -------------------------------------------------------------------- */
/*
 * Error reporting shared by every folder. A function that can fail returns
 * an int: >= 0 on success, -errno on failure. The detail travels in an
 * optional, caller-owned, fixed-size struct bv_error so that the error path
 * never allocates. Callers may pass NULL when they only want the errno.
 */

#define BV_ERROR_MSG_MAX 256

struct bv_error {
        int error;                   /* positive errno, 0 when clear */
        char msg[BV_ERROR_MSG_MAX];  /* NUL-terminated, possibly truncated */
};

/*
 * Records errno_value (positive or negative) and a printf-style message in
 * err (which may be NULL) and returns -errno_value, so that callers can write
 * `return bv_error_set(err, ENOENT, "No VM named '%s'", name);`.
 * A message that does not fit is truncated, never an error.
 */
int bv_error_set(struct bv_error *err, int errno_value, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
int bv_error_setv(struct bv_error *err, int errno_value, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

/*
 * Like bv_error_set(), but appends ": <strerror>" to the message. For
 * wrapping a failed system call.
 */
int bv_error_set_errno(struct bv_error *err, int errno_value, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Prefixes an existing message with more context ("Failed to start 'vm1': ..."). */
int bv_error_prefix(struct bv_error *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Clears err (NULL accepted). */
void bv_error_clear(struct bv_error *err);

/*
 * The message of err, or strerror(-ret) when err is NULL or empty. Never NULL.
 * The returned pointer lives as long as err (or is a static string).
 */
const char *bv_error_message(const struct bv_error *err, int ret);

/* ---- cleanup macros ---------------------------------------------------------------------- */
/*
 * Scope-bound cleanup helpers built on __attribute__((cleanup)). A variable
 * marked with one of these is released when it goes out of scope; TAKE_PTR
 * and TAKE_FD hand ownership out of the scope. Do not mix them with goto
 * cleanup in one function (clang refuses jumps past cleanup variables).
 */

static inline void bv_freep(void *p)
{
        free(*(void **)p);
}

static inline void bv_closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

static inline void bv_fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

#define _cleanup_(fn) __attribute__((cleanup(fn)))
#define _cleanup_free_ _cleanup_(bv_freep)
#define _cleanup_close_ _cleanup_(bv_closep)
#define _cleanup_fclose_ _cleanup_(bv_fclosep)

/* Defines a cleanup function for `type *` variables released by func (NULL-safe). */
#define BV_DEFINE_CLEANUP(type, func)                   \
        static inline void func##p(type **p)            \
        {                                               \
                if (*p)                                 \
                        func(*p);                       \
        }

#define TAKE_PTR(ptr)                           \
        ({                                      \
                __typeof__(ptr) _p_ = (ptr);    \
                (ptr) = NULL;                   \
                _p_;                            \
        })

#define TAKE_FD(fd)                             \
        ({                                      \
                int _fd_ = (fd);                \
                (fd) = -1;                      \
                _fd_;                           \
        })

#define BV_ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define BV_MIN(a, b) ((a) < (b) ? (a) : (b))
#define BV_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- logging, for tools/ only (log.c) ---------------------------------------------------- */
/*
 * Logging for the programs in tools/ only: library folders never log.
 * Lines go to stderr as "barevirtd: <level>: message".
 */

enum bv_log_level { BV_LOG_ERR, BV_LOG_WARN, BV_LOG_INFO, BV_LOG_DEBUG };

/* Sets the program name of every line (not copied: a literal or argv[0]) and the most verbose level shown. */
void bv_log_init(const char *prog, enum bv_log_level max);
/* Writes one line to stderr when level is at most the configured one. Never fails, never allocates. */
void bv_log(enum bv_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define bv_err(...) bv_log(BV_LOG_ERR, __VA_ARGS__)
#define bv_warn(...) bv_log(BV_LOG_WARN, __VA_ARGS__)
#define bv_info(...) bv_log(BV_LOG_INFO, __VA_ARGS__)
#define bv_debug(...) bv_log(BV_LOG_DEBUG, __VA_ARGS__)

/* ---- the event loop (loop.c) ------------------------------------------------------------- */
/*
 * A single-threaded epoll event loop: fd watches, one-shot timers, signals
 * (signalfd) and child exits (pidfd). barevirtd runs everything on one of
 * these; nothing that runs on it may block.
 *
 * Invariants: callbacks run on the thread that called bv_loop_run(); a
 * watch, timer or child source may be removed from any callback, including
 * its own, and is never called again after removal. Sources are freed by
 * their remove function (or by bv_loop_free()).
 */

struct bv_loop;
struct bv_watch;
struct bv_timer;
struct bv_child;

/* Monotonic time in microseconds. */
uint64_t bv_now_usec(void);
/* Wall-clock time, UTC, as "2026-12-03T15:04:05.123Z" (at least 25 bytes). */
void bv_now_iso(char *buf, size_t len);

/* A new loop (an epoll fd, close-on-exec). Returns 0, -ENOMEM or the -errno of epoll_create1(). */
int bv_loop_new(struct bv_loop **ret, struct bv_error *err);
/* Frees the loop and every source still registered. NULL accepted; returns NULL. */
struct bv_loop *bv_loop_free(struct bv_loop *loop);

/*
 * Watches fd for events (EPOLLIN, EPOLLOUT, ...; level-triggered). cb gets the
 * events that fired (EPOLLERR/EPOLLHUP included). The loop does not own fd.
 */
typedef void (*bv_watch_cb)(struct bv_loop *loop, int fd, uint32_t events, void *userdata);
int bv_loop_add_fd(struct bv_loop *loop, int fd, uint32_t events, bv_watch_cb cb,
                   void *userdata, struct bv_watch **ret);
/* Changes the events w waits for. Returns 0, -ESTALE (w was removed) or -errno of epoll_ctl(). */
int bv_watch_set_events(struct bv_watch *w, uint32_t events);
/* Removes the watch (NULL accepted). Returns NULL. */
struct bv_watch *bv_watch_remove(struct bv_watch *w);

/*
 * Calls cb once, usec microseconds from now. The timer is freed after cb
 * returns; do not touch it from inside cb except to ignore it.
 */
typedef void (*bv_timer_cb)(struct bv_loop *loop, void *userdata);
int bv_loop_add_timer(struct bv_loop *loop, uint64_t usec, bv_timer_cb cb, void *userdata,
                      struct bv_timer **ret);
/* Cancels a pending timer (NULL accepted). Returns NULL. */
struct bv_timer *bv_timer_cancel(struct bv_timer *t);

/*
 * Delivers signo through a signalfd. The signal is blocked in the calling
 * thread for as long as the loop lives. One callback per signal number.
 */
typedef void (*bv_signal_cb)(struct bv_loop *loop, int signo, void *userdata);
int bv_loop_add_signal(struct bv_loop *loop, int signo, bv_signal_cb cb, void *userdata);

/*
 * Calls cb once when child pid exits, through a pidfd, with the wait status
 * (as from waitpid) after reaping it, or -1 when someone else reaped it
 * first. Returns 0, -ESRCH when pid is gone, -ENOMEM or -errno.
 */
typedef void (*bv_child_cb)(struct bv_loop *loop, pid_t pid, int status, void *userdata);
int bv_loop_add_child(struct bv_loop *loop, pid_t pid, bv_child_cb cb, void *userdata,
                      struct bv_child **ret);
/* Stops watching (the child is not killed nor reaped). NULL accepted; returns NULL. */
struct bv_child *bv_child_remove(struct bv_child *c);

/*
 * Runs one iteration: waits up to timeout_usec (-1: until the next event or
 * timer) and dispatches what is ready. Returns the number of dispatched
 * sources or -errno.
 */
int bv_loop_run_once(struct bv_loop *loop, int64_t timeout_usec);

/* Runs until bv_loop_quit(). Returns the code given to bv_loop_quit() or -errno. */
int bv_loop_run(struct bv_loop *loop);
/* Makes bv_loop_run() return code after the current iteration; and whether that was asked. */
void bv_loop_quit(struct bv_loop *loop, int code);
bool bv_loop_quitting(const struct bv_loop *loop);

/*
 * Runs the loop until *done becomes true or timeout_usec passes. For blocking
 * wrappers (CLI, tests). Returns 0, -ETIMEDOUT, or -errno.
 */
int bv_loop_run_until(struct bv_loop *loop, const bool *done, uint64_t timeout_usec);

/* ---- child jobs on the loop (job.c) ------------------------------------------------------ */
/*
 * Child processes on the event loop (job.c): a program spawned without
 * copying the caller's memory, a program run with its output captured, and
 * a blocking call run in a forked child. Nothing here blocks the loop.
 */

struct bv_loop;
struct bv_jobs;

/*
 * Spawns argv (argv[0] shown; executes exe_fd when >= 0, else the path
 * argv[0]) with stdin/stdout/stderr from fds[0..2] (fds NULL or -1:
 * /dev/null) and extra_fd as fd 3 (-1: none), every other fd closed by
 * close-on-exec, signal mask and dispositions reset, in /, in a new
 * session when new_session. The child is not watched: the caller reaps
 * it. Returns 0 with *ret_pid, or -errno.
 */
int bv_spawn(int exe_fd, char *const argv[], const int fds[3], int extra_fd, bool new_session,
             pid_t *ret_pid);

/*
 * The running jobs of one owner, on loop. bv_jobs_free() kills every job
 * still running (SIGKILL, reaped) and calls its callback as for a timeout;
 * NULL accepted; returns NULL.
 */
int bv_jobs_new(struct bv_loop *loop, struct bv_jobs **ret);
struct bv_jobs *bv_jobs_free(struct bv_jobs *jobs);

/* A finished job: status as from waitpid (-1 on timeout), captured stdout/stderr (NUL-terminated). */
typedef void (*bv_job_cb)(int status, const char *out, size_t out_len, const char *errout,
                          size_t err_len, bool truncated, void *userdata);
/*
 * Runs argv as bv_spawn() does (no new session, stdin /dev/null) with
 * stdout and stderr captured up to max bytes each (the rest is read and
 * dropped, truncated then says so); the child is killed after
 * timeout_usec (0: no limit). cb runs once, from the loop, after the child
 * exited and both outputs ended. Returns 0 or -errno (cb will not run).
 */
int bv_job_spawn(struct bv_jobs *jobs, int exe_fd, char *const argv[], size_t max,
                 uint64_t timeout_usec, bv_job_cb cb, void *userdata);

/*
 * Forks a child that runs fn(arg, out, len) (which may block); what fn
 * left in out (an error message, or a result such as an id; at most 511
 * bytes) reaches cb with fn's result (0 or -errno; -ETIMEDOUT after
 * timeout_usec, 0: no limit; -EINTR when the child was killed). The child
 * _exit()s and never returns through the caller's cleanup scopes.
 * Returns 0 or -errno (cb will not run).
 */
typedef int (*bv_fork_fn)(void *arg, char *out, size_t len);
typedef void (*bv_fork_cb)(int r, const char *out, void *userdata);
int bv_job_fork(struct bv_jobs *jobs, bv_fork_fn fn, void *arg, uint64_t timeout_usec, bv_fork_cb cb,
                void *userdata);

/* ---- file descriptors (fd.c) ------------------------------------------------------------- */
/*
 * File-descriptor helpers. Every fd barevirt opens is close-on-exec from
 * birth; fds a child needs are handed over explicitly. SCM_RIGHTS passing
 * is how taps reach QEMU and how pty masters reach a console socket.
 */

/* Sets or clears O_NONBLOCK / FD_CLOEXEC. Return 0 or -errno. */
int bv_fd_set_nonblock(int fd, int on);
int bv_fd_set_cloexec(int fd, int on);

/*
 * Writes all len bytes, retrying on EINTR and short writes. Blocks on a
 * blocking fd; returns -EAGAIN on a non-blocking one that fills up.
 */
int bv_fd_write_all(int fd, const void *buf, size_t len);

/*
 * Sends buf[*off..len) on a socket without blocking and without SIGPIPE,
 * advancing *off. Returns 0 when all is sent or the socket is full (then
 * *off < len: wait for EPOLLOUT), or -errno when the peer is gone.
 */
int bv_fd_send_some(int sock, const void *buf, size_t len, size_t *off);

/* Reads up to len bytes, retrying on EINTR. Returns bytes read (0 at EOF) or -errno. */
ssize_t bv_fd_read(int fd, void *buf, size_t len);

/*
 * Sends n fds (n <= BV_FD_SEND_MAX) with the payload buf/len (at least one
 * byte is always sent) over a UNIX socket. Returns 0 or -errno.
 */
#define BV_FD_SEND_MAX 16
int bv_fd_send(int sock, const void *buf, size_t len, const int *fds, size_t n);

/*
 * Receives up to len payload bytes and up to max_fds fds (at most
 * BV_FD_SEND_MAX) into ret_fds. The received fds are close-on-exec;
 * *ret_nfds says how many arrived. Extra fds beyond max_fds (or truncated
 * control data) are closed and give -EMSGSIZE; ret_fds and *ret_nfds are
 * only written on success. Returns payload bytes received (0 at EOF) or
 * -errno.
 */
ssize_t bv_fd_recv(int sock, void *buf, size_t len, int *ret_fds, size_t max_fds, size_t *ret_nfds);

/*
 * Creates a close-on-exec, non-blocking UNIX stream socket, binds it to
 * path (unlinking a stale socket first, never another kind of file), sets
 * mode on the socket file and listens. Returns the fd or -errno
 * (-ENAMETOOLONG, -EEXIST, or the failed call's); err gets the detail.
 * The socket file is removed again when chmod or listen fails.
 */
int bv_unix_listen(const char *path, mode_t mode, struct bv_error *err);

/* Flags of bv_unix_connect(). */
#define BV_UNIX_NONBLOCK 1              /* non-blocking once connected (connect() may block) */
#define BV_UNIX_CONNECT_NONBLOCK 2      /* non-blocking from birth: a full backlog is -EAGAIN */

/*
 * Connects a close-on-exec UNIX stream socket to path; flags is 0 (a
 * blocking socket) or one of the above. Returns the fd, or -errno with err
 * filled: -ENAMETOOLONG, -ENOENT or -ECONNREFUSED when nobody listens,
 * -EAGAIN (BV_UNIX_CONNECT_NONBLOCK) when the listener's backlog is full.
 */
int bv_unix_connect(const char *path, int flags, struct bv_error *err);

/* ---- files (file.c) ---------------------------------------------------------------------- */
/*
 * Files: atomic replacement (write temp, fsync, rename, fsync directory), so
 * a crash leaves either the old or the new content and never half of either;
 * bounded reads, so a file we did not write cannot make us allocate without
 * limit; directory creation and recursive removal.
 */

/*
 * Replaces path with data/len atomically: writes "<path>.tmp.XXXXXX" in the
 * same directory, fsyncs it, renames it over path and fsyncs the directory.
 * On failure the temp file is removed and path is untouched.
 * Returns 0 or -errno. Blocks on disk I/O.
 */
int bv_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct bv_error *err);

/*
 * Reads the whole of path into a NUL-terminated malloc'ed buffer, failing
 * with -EFBIG when it is larger than max bytes. *ret_len excludes the NUL.
 */
int bv_file_read(const char *path, size_t max, char **ret, size_t *ret_len,
                 struct bv_error *err);

/* Like bv_file_read(), but strips trailing newlines; for one-line files in /proc and /sys. */
int bv_file_read_line(const char *path, char **ret, struct bv_error *err);

/* mkdir -p with mode for each created component. Returns 0 or -errno. */
int bv_mkdir_p(const char *path, mode_t mode, struct bv_error *err);

/* A DIR stream over a duplicate of dfd (dfd stays the caller's) into *ret. Returns 0 or -errno. */
int bv_dir_dup(int dfd, DIR **ret);

/*
 * rm -rf path. Never follows a symlink and never descends into a mount
 * point, bind mounts of the same filesystem included (a mount left behind,
 * say an idmapped bind of a container's rootfs, would otherwise be emptied
 * at its source): such a directory stays, and the result is -EBUSY. At most
 * 256 levels deep (-ELOOP below). 0 also when path does not exist; else
 * the first -errno, having removed what it could. Blocks on disk I/O.
 */
int bv_rm_rf(const char *path);

/* STATE_DIR/KIND/NAME.json: where the definition of an instance or network of kind lives. */
void bv_def_path(char *buf, size_t len, const char *state_dir, const char *kind, const char *name);

/* ---- log files that others append to (logfile.c) ------------------------------------------ */

/* An appended log rotated at max bytes: path -> old, one older file kept (common/logfile.c). */
struct bv_log_writer {
        int fd;                      /* -1 when closed */
        uint64_t size, max;          /* max 0: never rotated */
        const char *path, *old;      /* the caller's strings */
};
/* Opens path for appending (0600, made when missing). 0 or -errno. */
int bv_log_writer_open(struct bv_log_writer *w, const char *path, const char *old, uint64_t max, struct bv_error *err);
/* Appends (rotating first when the file has reached max). 0 or -errno. */
int bv_log_writer_append(struct bv_log_writer *w, const void *buf, size_t len);
void bv_log_writer_close(struct bv_log_writer *w);

/*
 * dir/rotated (when not NULL) then dir/name into *ret (NUL-terminated,
 * malloc'ed; at most the last 8 MiB), from the start of its last tail lines
 * (tail < 0: all). A missing file reads as "". 0 or -ENOMEM. Blocks (reads).
 */
int bv_log_read(const char *dir, const char *name, const char *rotated, long long tail, char **ret, size_t *ret_len);

struct bv_log_follower;
struct bv_log_follow_opts {
        const char *dir, *name, *rotated;  /* as for bv_log_read() */
        long long tail;
        int (*on_data)(const char *data, size_t len, void *userdata);  /* < 0: the reader is gone */
        void (*on_end)(void *userdata);
        void *userdata;
};
/*
 * Follows dir/name on loop: on_data first gets the tail (from the loop,
 * not from here), then what is appended, also across a rotation or the
 * file's first creation. The follower is put on *list (its owner's) and
 * leaves it when freed. on_data returning < 0 frees it at once, without
 * on_end. 0 with *ret, or -errno with err set.
 */
int bv_log_follow(struct bv_loop *loop, const struct bv_log_follow_opts *o, struct bv_log_follower **list,
                  struct bv_log_follower **ret, struct bv_error *err);
/* Stops and frees f without on_end. NULL accepted. */
void bv_log_unfollow(struct bv_log_follower *f);
/* Ends every follower on *list: what is left is sent, then on_end (unless its reader is gone). */
void bv_log_end_followers(struct bv_log_follower **list);

/* ---- digests and encodings (digest.c) ---------------------------------------------------- */
/*
 * SHA-256, hex and base64 without a crypto library: token hashes and
 * certificate fingerprints in barevirtd (which links no TLS library).
 */

#define BV_SHA256_LEN 32
#define BV_SHA256_HEX 65   /* 64 lowercase hex digits and a NUL */

struct bv_sha256 {
        uint32_t h[8];
        uint64_t len;
        size_t n;
        uint8_t buf[64];
};
void bv_sha256_init(struct bv_sha256 *s);
void bv_sha256_update(struct bv_sha256 *s, const void *data, size_t len);
void bv_sha256_final(struct bv_sha256 *s, uint8_t out[BV_SHA256_LEN]);
/* The SHA-256 of data as 64 lowercase hex digits. */
void bv_sha256_hex(const void *data, size_t len, char out[BV_SHA256_HEX]);
/* len bytes as 2 * len lowercase hex digits and a NUL (out holds 2 * len + 1). */
void bv_hex(const void *data, size_t len, char *out);
/*
 * Decodes standard base64 (whitespace skipped, '=' padding only at the
 * end) into out. Returns the decoded length, -EINVAL for malformed input
 * or -ENOBUFS when out_max bytes do not hold it.
 */
ssize_t bv_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_max);
/* len bytes as standard base64 with padding and a NUL: out holds BV_BASE64_LEN(len) bytes. Returns the length. */
#define BV_BASE64_LEN(n) (((n) + 2) / 3 * 4 + 1)
size_t bv_base64_encode(const void *data, size_t len, char *out);

/* ---- untrusted scalars (parse.c) --------------------------------------------------------- */
/*
 * Parsing of untrusted scalars: names and integers. Anything a user, a peer
 * or a file gives us goes through these before it is used.
 */

/*
 * A valid instance or network name: [A-Za-z0-9][A-Za-z0-9._-]{0,62}.
 * Defends against path traversal ("../x"), option injection ("-x") and names
 * that cannot be file names. what names the kind of object in the message.
 */
bool bv_name_is_valid(const char *name);
/* A host name as a container's UTS name: 1-63 bytes of [A-Za-z0-9.-], not starting with '-' or '.'. */
bool bv_hostname_is_valid(const char *s);
int bv_name_check(const char *name, const char *what, struct bv_error *err);

/*
 * Parses a whole decimal string (no sign for the unsigned variant, no
 * leading or trailing junk, no empty string) into [min, max].
 * Returns 0, -EINVAL (not a number) or -ERANGE (out of range).
 */
int bv_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
int bv_parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret);
int bv_parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret);

/*
 * Parses a size as Docker reads it: digits, then an optional suffix b, k, m, g
 * or t (any case, optionally followed by "b" or "ib"; all powers of 1024).
 * A plain number counts in units of plain_unit bytes (1 << 20 for MiB).
 * Sets *ret to bytes. Returns 0, -EINVAL (not a size), -EDOM (negative:
 * "must be positive") or -ERANGE (overflows 64 bits).
 */
int bv_parse_size(const char *s, uint64_t plain_unit, uint64_t *ret);

/* A signal as a number 1-64 or a name with or without SIG ("9", "KILL", "sigterm"); the number or -EINVAL. */
int bv_parse_signal(const char *s);

/* ---- child processes outside the loop (proc.c) ------------------------------------------- */
/*
 * Child processes outside the event loop, for probes and tools: wait with a
 * timeout (pidfd + poll), run a command and capture its output. These
 * block; barevirtd only calls them from forked helper processes.
 */

/*
 * Waits up to timeout_ms for pid to exit and reaps it. Returns 0 with
 * *ret_status set, -ETIMEDOUT (the child is left running), or -errno.
 */
int bv_proc_wait_timeout(pid_t pid, unsigned timeout_ms, int *ret_status);

/*
 * Runs argv (argv[0] is a path, not searched in $PATH) with stdin from
 * /dev/null and stdout+stderr captured into out (up to len-1 bytes, NUL
 * terminated; the rest is discarded). Kills it after timeout_ms.
 * Returns 0 with *ret_status as from waitpid, -ETIMEDOUT, or -errno.
 */
int bv_proc_run_capture(char *const argv[], unsigned timeout_ms, char *out, size_t len,
                        int *ret_status, struct bv_error *err);

/*
 * The start time of pid (field 22 of /proc/PID/stat, in clock ticks since
 * boot). With the pid it identifies a process for good: a recycled pid has
 * another start time. Returns 0, -ESRCH (no such process, or a zombie: it
 * is gone, only not reaped) or -EPROTO.
 */
int bv_proc_start_time(pid_t pid, unsigned long long *ret);

/*
 * Seconds since pid started, from its start time and /proc/uptime, into
 * *ret_seconds (0 for a clock that went backwards). Returns 0, -EINVAL
 * (pid <= 0), -ESRCH (the process is gone), -EPROTO (a /proc file we
 * cannot parse) or the -errno of opening /proc/uptime. Reads /proc only.
 */
int bv_proc_uptime(pid_t pid, uint64_t *ret_seconds);

/* ---- bounded JSON (json.c) --------------------------------------------------------------- */
/*
 * Bounded JSON loading over jansson for input that is not ours: a size cap,
 * a nesting-depth cap, duplicate keys rejected, exactly one value. Errors
 * keep jansson's text and position. And JSON strings from bytes that may
 * not be UTF-8 (logs, command output, kernel and peer messages).
 */

#define BV_JSON_MAX_DEPTH 64

/*
 * Parses buf/len into *ret (a new reference). Fails with -EMSGSIZE when len
 * is over max, -EINVAL on malformed JSON, duplicate keys, trailing data or
 * nesting deeper than BV_JSON_MAX_DEPTH. flags are extra jansson decode flags.
 */
int bv_json_loadb(const char *buf, size_t len, size_t max, size_t flags, json_t **ret,
                  struct bv_error *err);

/* Like bv_json_loadb() but requires the top-level value to be an object. */
int bv_json_load_object(const char *buf, size_t len, size_t max, json_t **ret,
                        struct bv_error *err);

/* Reads and parses a file with bv_json_load_object(). */
int bv_json_load_file(const char *path, size_t max, json_t **ret, struct bv_error *err);

/* Serialises compactly into a malloc'ed NUL-terminated string, or NULL on ENOMEM. */
char *bv_json_dumps(const json_t *v);

/* Writes v (pretty, with a trailing newline) to path atomically (see file.h). */
int bv_json_write_file(const char *path, const json_t *v, struct bv_error *err);

/*
 * A new JSON string of the bytes s/len, which need not be UTF-8 (s may be
 * NULL when len is 0). Each maximal ill-formed subsequence becomes one
 * U+FFFD, as the Unicode standard recommends and the WHATWG decoder does:
 * truncated sequences, overlongs, surrogates (ED A0..BF ..), code points
 * above U+10FFFF and stray continuation bytes; well-formed sequences and
 * NUL bytes are kept (read the result with json_string_length()). Valid
 * input costs one json_stringn(). Returns NULL only when out of memory.
 */
json_t *bv_json_string_lossy(const char *s, size_t len);

/* ---- checked reads of definitions (json-def.c) ------------------------------------------- */
/*
 * Checked reads of user-written JSON definitions (VMs, containers): every
 * key checked against the known keys of its object, every value's type and
 * range checked. Messages start with the JSON path of the offending key
 * ("limits.memory: 0 is out of range 4..1048576", "nics[1].ipv4: unknown
 * key"), built from where + key. where is "" at the top level and ends in
 * "." below it ("limits.", "nics[1]."). All functions fail with -EINVAL and
 * a message in the caller-owned err (NULL accepted), or -ENOMEM without one.
 */

/* Whether s is one of the strings of the NULL-terminated list. */
bool bv_json_in_list(const char *s, const char *const *list);

/* The index of s (NULL accepted) in the NULL-terminated list, or -EINVAL. */
int bv_json_list_index(const char *s, const char *const *list);

/* Refuses the first key of object o that is not in the NULL-terminated list known. */
int bv_json_check_keys(const json_t *o, const char *const *known, const char *where,
                       struct bv_error *err);

/*
 * Element i of the array named array, before its keys are read: where
 * becomes "array[i]." (len bytes) for their messages; an element that is
 * not an object is refused, and so is a key of it outside known.
 */
int bv_json_check_element(const json_t *o, const char *array, size_t i, const char *const *known, char *where,
                          size_t len, struct bv_error *err);

/* Parses "52:54:00:12:34:56" into mac: -EINVAL unless it has that form and is unicast. */
int bv_json_parse_mac(const char *s, uint8_t mac[6]);

/* mac as the JSON string "52:54:00:12:34:56": a new reference, NULL when out of memory. */
json_t *bv_json_mac(const uint8_t mac[6]);

/*
 * The following read o[key]. Absent or null: return 0 and leave *ret alone.
 * Present and valid: set *ret and return 1.
 */

/* An array of at most max_n elements (borrowed). */
int bv_json_get_array(const json_t *o, const char *key, const char *where, size_t max_n, json_t **ret,
                      struct bv_error *err);

/* A string of at most max bytes without NUL, strdup'ed into *ret. */
int bv_json_get_str(const json_t *o, const char *key, const char *where, size_t max, char **ret,
                    struct bv_error *err);

/* true or false. */
int bv_json_get_bool(const json_t *o, const char *key, const char *where, bool *ret,
                     struct bv_error *err);

/* An integer in min..max. */
int bv_json_get_u64(const json_t *o, const char *key, const char *where, uint64_t min, uint64_t max,
                    uint64_t *ret, struct bv_error *err);
int bv_json_get_uint(const json_t *o, const char *key, const char *where, unsigned min, unsigned max,
                     unsigned *ret, struct bv_error *err);

/*
 * An array of at most max_n strings of at most max_len bytes each into a
 * NULL-terminated vector *ret of *ret_n strings. check (may be NULL) vets
 * each element; it gets the element's path ("env[2]") for its message. On
 * failure *ret may hold a partial vector that the caller frees.
 */
int bv_json_get_strv(const json_t *o, const char *key, const char *where, size_t max_n, size_t max_len,
                     int (*check)(const char *s, const char *path, struct bv_error *err),
                     char ***ret, size_t *ret_n, struct bv_error *err);

/* ---- HTTP server and client (http.c, http-server.c, http-client.c) ----------------------- */
/*
 * HTTP/1.1 over UNIX sockets, server and client, on the event loop. All
 * parsing is done by libhttp-parser behind this interface (so it could be
 * swapped for llhttp without touching callers); the socket I/O around it is
 * ours: bounded buffers, keep-alive, chunked streaming responses.
 *
 * Limits: a request or response head is at most BV_HTTP_MAX_HEAD bytes and at
 * most BV_HTTP_MAX_HEADERS headers; a body is at most the configured max
 * (server: 413 beyond it; client: -EMSGSIZE). Nothing here blocks except
 * bv_http_client_call(), which runs the client's loop until the answer.
 */

#define BV_HTTP_MAX_HEAD (16 * 1024)
#define BV_HTTP_MAX_HEADERS 64
#define BV_HTTP_DEFAULT_MAX_BODY (1024 * 1024)

struct bv_http_header {
        char *name;   /* as received; compare with strcasecmp */
        char *value;
};

/* ---- server ---------------------------------------------------------- */

struct bv_http_server;
struct bv_http_conn;   /* one client connection; refcounted */

struct bv_http_request {
        const char *method;       /* "GET", "POST", ... */
        const char *path;         /* without the query, percent-decoding not applied */
        const char *query;        /* after '?', or NULL */
        const struct bv_http_header *headers;
        size_t n_headers;
        const char *body;         /* NUL-terminated for convenience; may contain NULs */
        size_t body_len;
        pid_t peer_pid;           /* SO_PEERCRED of the connection */
        uid_t peer_uid;
        gid_t peer_gid;
        void *peer_data;          /* what bv_http_server_adopt() attached (the connection's), or NULL */
};

/* Returns the value of header name (case-insensitive) or NULL. */
const char *bv_http_request_header(const struct bv_http_request *req, const char *name);

/*
 * Called once per complete request. The handler must eventually answer with
 * exactly one of bv_http_conn_respond*() or bv_http_conn_stream_begin(); it
 * may do so later from another callback, holding a reference taken with
 * bv_http_conn_ref(). No further request on that connection is read until
 * the answer is complete. The request is only valid during the call.
 */
typedef void (*bv_http_handler)(struct bv_http_conn *conn, const struct bv_http_request *req,
                                void *userdata);

struct bv_http_server_config {
        size_t max_body;           /* 0: BV_HTTP_DEFAULT_MAX_BODY */
        unsigned max_conns;        /* 0: 256; further connections are refused */
        uint64_t idle_timeout_usec; /* 0: 60 s; idle keep-alive connections are closed */
        uint64_t request_timeout_usec; /* 0: 30 s; a request whose head and body take longer gets 408 */
        size_t max_head;           /* 0 or above BV_HTTP_MAX_HEAD: BV_HTTP_MAX_HEAD */
        /*
         * The body limit of one request, decided from its head (method,
         * path, query, headers, peer; no body yet): 0 for max_body. NULL:
         * max_body for all.
         */
        size_t (*body_limit)(const struct bv_http_request *head, void *userdata);
        /* Called with the status of the answer to a request the handler noted (bv_http_conn_set_note()). */
        void (*on_response)(struct bv_http_conn *c, int status, void *note, void *userdata);
        /*
         * Called for a request the server refuses itself (400, 408, 413,
         * 431) before its answer: req has what was parsed (method and path
         * may be ""), and the callback may set a note for on_response.
         */
        void (*on_reject)(struct bv_http_conn *c, const struct bv_http_request *req, void *userdata);
};

/* Attaches note to the request being answered (replacing and freeing one before); freed after on_response. */
void bv_http_conn_set_note(struct bv_http_conn *c, void *note, void (*note_free)(void *));
/* The note of the request being answered, or NULL. */
void *bv_http_conn_note(const struct bv_http_conn *c);

/*
 * Serves HTTP on the listening socket listen_fd (non-blocking; the server
 * does not own it), or, with listen_fd -1, on the connections handed to
 * bv_http_server_adopt() only. config may be NULL for defaults. Malformed requests get
 * a 400, heads over the limits a 431, bodies over max_body a 413 (decided
 * from Content-Length before the body is read), all as JSON errors, and the
 * connection is closed. Returns 0, -EINVAL or -ENOMEM.
 */
int bv_http_server_new(struct bv_loop *loop, int listen_fd,
                       const struct bv_http_server_config *config, bv_http_handler handler,
                       void *userdata, struct bv_http_server **ret, struct bv_error *err);
/*
 * Serves one more connection, fd (a connected, non-blocking, close-on-exec
 * stream socket, say one a privilege-separated front end handed over),
 * as if it had been accepted; every request of it carries peer_data
 * (req->peer_data), which peer_data_free (may be NULL) frees when the
 * connection is gone. Takes fd and peer_data in every case: past
 * max_conns the peer gets a 503 and -EMFILE, -ENOMEM when out of memory.
 */
int bv_http_server_adopt(struct bv_http_server *s, int fd, void *peer_data, void (*peer_data_free)(void *));
/*
 * Closes every connection whose peer_data match() accepts (a stream's
 * on_close runs, as when its peer leaves): how a revoked credential's open
 * keep-alive connections and event streams end. Returns how many.
 */
unsigned bv_http_server_close_matching(struct bv_http_server *s, bool (*match)(void *peer_data, void *userdata),
                                       void *userdata);
/* Closes every connection and frees the server. NULL accepted; returns NULL. */
struct bv_http_server *bv_http_server_free(struct bv_http_server *s);
/* Connections open now, and accepted since the server was created (for status and tests). */
unsigned bv_http_server_n_conns(const struct bv_http_server *s);
uint64_t bv_http_server_n_accepted(const struct bv_http_server *s);

/*
 * Takes and drops a reference on c, for a handler that answers later. The
 * last unref frees a closed connection. NULL accepted; ref returns c,
 * unref NULL.
 */
struct bv_http_conn *bv_http_conn_ref(struct bv_http_conn *c);
struct bv_http_conn *bv_http_conn_unref(struct bv_http_conn *c);
/*
 * True once the peer went away (or the server closed the connection). From
 * then on every bv_http_conn_respond*() and bv_http_conn_stream_*() call on c
 * does nothing and returns -EPIPE; the memory stays valid until the last
 * reference is dropped.
 */
bool bv_http_conn_closed(const struct bv_http_conn *c);

/*
 * Sends a complete response with Content-Length. content_type may be NULL
 * for no body type. Keep-alive follows the request. Never blocks: what the
 * socket does not take is flushed from the loop. Returns 0, -EPIPE (peer
 * gone), -EINVAL (already answered, bad status, CR/LF in content_type) or
 * -ENOMEM. Answering a request a handler deferred lets the next pipelined
 * request of that connection be dispatched (from the loop, not from here).
 */
int bv_http_conn_respond(struct bv_http_conn *c, int status, const char *content_type,
                         const void *body, size_t len);
/* Sends {"error": msg, "code": status} with the status (built by jansson). */
int bv_http_conn_respond_error(struct bv_http_conn *c, int status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * Starts a chunked streaming response; then any number of
 * bv_http_conn_stream_write() and one bv_http_conn_stream_end(). on_close,
 * if set, is called once when the peer disconnects during the stream.
 * Output is buffered up to a limit (1 MiB); past it the write fails with
 * -ENOBUFS (a slow reader is the caller's to drop). on_close is never called
 * from inside these functions: when a write finds the peer gone, the call
 * returns -EPIPE and on_close follows from the loop. It is not called after
 * bv_http_conn_stream_end(). HTTP/1.0 peers get the raw body and a close.
 */
typedef void (*bv_http_close_cb)(struct bv_http_conn *c, void *userdata);
int bv_http_conn_stream_begin(struct bv_http_conn *c, int status, const char *content_type,
                              bv_http_close_cb on_close, void *userdata);
int bv_http_conn_stream_write(struct bv_http_conn *c, const void *data, size_t len);
int bv_http_conn_stream_end(struct bv_http_conn *c);

/* Short reason phrase for a status code ("Not Found"). */
const char *bv_http_status_text(int status);

/* ---- query strings ---------------------------------------------------- */

/*
 * Finds key in the query string query ("a=1&b=2", the request's query; NULL
 * is an empty one), with application/x-www-form-urlencoded decoding of keys
 * and values: '+' is a space, %XX the byte XX (hex, either case). Keys
 * match whole ("forced=1" is not "force"); a bare "force" or "force=" is
 * present with the value "". Empty pairs ("a=1&&b=2") are skipped.
 *
 * Returns 1 with the decoded value NUL-terminated in buf, or 0 when key is
 * absent (buf set to "" when len > 0). Errors leave buf untouched:
 * -EINVAL when any pair of the query holds a malformed escape ("%G1", a
 * truncated "%4") or an escaped NUL, when key is given twice (a client
 * must not get one value past a check and another to the code), or when
 * key is NULL or empty; -ENOBUFS when the value and its NUL do not fit in
 * len bytes. Pure function: no allocation, no I/O.
 */
int bv_http_query_get(const char *query, const char *key, char *buf, size_t len);

/*
 * A boolean query parameter, with bv_http_query_get()'s decoding: absent
 * gives *ret = false and returns 0; "", "1", "true" and "yes" give true,
 * "0", "false" and "no" false, and return 1 (so a bare "?force" is true).
 * Anything else, and every error of bv_http_query_get(), is -EINVAL with
 * *ret untouched: the caller answers 400 naming the key.
 */
int bv_http_query_flag(const char *query, const char *key, bool *ret);

/* ---- client ---------------------------------------------------------- */

struct bv_http_response {
        int status;
        struct bv_http_header *headers;
        size_t n_headers;
        char *body;        /* NUL-terminated; NULL when streamed to a callback */
        size_t body_len;
};
/* Frees a response handed to a done callback or by bv_http_client_call(). NULL accepted; returns NULL. */
struct bv_http_response *bv_http_response_free(struct bv_http_response *r);
/* Returns the value of header name (case-insensitive) or NULL; it lives as long as r. */
const char *bv_http_response_header(const struct bv_http_response *r, const char *name);

struct bv_http_client;     /* one keep-alive connection to one UNIX socket (or what a connect callback gives) */

/*
 * A client of the server on socket_path (copied). Connects lazily: the
 * socket is opened at the first request, without blocking. Returns 0,
 * -EINVAL or -ENOMEM.
 */
int bv_http_client_new(struct bv_loop *loop, const char *socket_path,
                       struct bv_http_client **ret, struct bv_error *err);
/*
 * How a client connects when it is not to a UNIX socket (a remote over
 * TLS, tls/client.c): returns a connected stream socket, non-blocking,
 * the client's from then on, or -errno with a message in err. May block.
 */
typedef int bv_http_connect_fn(void *userdata, struct bv_error *err);
/*
 * A client whose connections (each, lazily, as with a socket path) come
 * from connect(userdata); name (copied) is what messages call the server.
 */
int bv_http_client_new_connect(struct bv_loop *loop, const char *name, bv_http_connect_fn *connect, void *userdata,
                               struct bv_http_client **ret, struct bv_error *err);
/*
 * Closes the connection and frees c; every request still active or queued
 * completes with -ECANCELED first. Safe from inside c's callbacks (deferred
 * until they return). NULL accepted; returns NULL.
 */
struct bv_http_client *bv_http_client_free(struct bv_http_client *c);

struct bv_http_client_request {
        const char *method;
        const char *path;               /* including any query */
        const char *content_type;       /* NULL: no Content-Type */
        const void *body;
        size_t body_len;
        uint64_t timeout_usec;          /* 0: 30 s; whole exchange, or idle time when streaming */
        size_t max_body;                /* 0: BV_HTTP_DEFAULT_MAX_BODY (ignored when streaming) */
        /*
         * When set, body bytes (de-chunked) are passed here as they arrive
         * instead of being collected; the response handed to done then has
         * body == NULL.  Return < 0 to abort the exchange.
         */
        int (*on_body)(const char *data, size_t len, void *userdata);
        /* When set with on_body, called once the head has arrived. */
        void (*on_head)(const struct bv_http_response *head, void *userdata);
};

/*
 * Sends a request on the loop. Returns 0 once accepted, or -EINVAL (bad
 * arguments, CR/LF or blanks in method or path), -ENOMEM, -ECANCELED (client
 * being freed); then done is not called. Otherwise done is called exactly
 * once, never from inside this function: with ret == 0
 * and the response (owned by the callee: free it with
 * bv_http_response_free()), or with ret < 0, resp == NULL and err filled
 * (-ECONNREFUSED/-ENOENT when nobody listens, -ETIMEDOUT, -EPROTO for
 * malformed HTTP, -EMSGSIZE past a limit, -ECONNRESET, -ECANCELED when the
 * client is freed first). Requests on one client are serialised: a second
 * request waits for the first. on_body and on_head get done's userdata; they
 * must not free the client (return < 0 from on_body instead). A request whose
 * kept-alive connection turns out closed before any byte of the response
 * arrived is sent again once on a new connection.
 */
typedef void (*bv_http_done_cb)(int ret, struct bv_http_response *resp,
                                const struct bv_error *err, void *userdata);
int bv_http_client_send(struct bv_http_client *c, const struct bv_http_client_request *req,
                        bv_http_done_cb done, void *userdata);

/*
 * Blocking request for CLIs and tests: runs c's loop (other sources on it
 * run too) until the response arrives or the request's timeout passes.
 * Returns 0 with *ret set (free it with bv_http_response_free()), or -errno
 * with err filled.
 */
int bv_http_client_call(struct bv_http_client *c, const struct bv_http_client_request *req,
                        struct bv_http_response **ret, struct bv_error *err);
