/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File-descriptor helpers. Every fd barevirt opens is close-on-exec from
 * birth; fds a child needs are handed over explicitly. SCM_RIGHTS passing
 * is how taps reach QEMU and how pty masters reach a console socket.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

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
