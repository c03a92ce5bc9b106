/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fd helpers: flags, full writes, SCM_RIGHTS and UNIX sockets. Every fd
 * created here is close-on-exec; received fds are made so by MSG_CMSG_CLOEXEC.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/common.h"

static int set_flag(int fd, int get, int set, int flag, int on)
{
        int f = fcntl(fd, get);

        if (f < 0)
                return -errno;
        int nf = on ? (f | flag) : (f & ~flag);
        if (nf != f && fcntl(fd, set, nf) < 0)
                return -errno;
        return 0;
}

int bv_fd_set_nonblock(int fd, int on)
{
        return set_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on);
}

int bv_fd_set_cloexec(int fd, int on)
{
        return set_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on);
}

int bv_fd_write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int bv_fd_send_some(int sock, const void *buf, size_t len, size_t *off)
{
        while (*off < len) {
                ssize_t n = send(sock, (const char *)buf + *off, len - *off, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN ? 0 : -errno;
                }
                *off += (size_t)n;
        }
        return 0;
}

ssize_t bv_fd_read(int fd, void *buf, size_t len)
{
        for (;;) {
                ssize_t n = read(fd, buf, len);
                if (n >= 0)
                        return n;
                if (errno != EINTR)
                        return -errno;
        }
}

int bv_fd_send(int sock, const void *buf, size_t len, const int *fds, size_t n)
{
        char dummy = 0;
        struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * BV_FD_SEND_MAX)];
        } control;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (n > BV_FD_SEND_MAX)
                return -E2BIG;
        if (len == 0) {
                iov.iov_base = &dummy;
                iov.iov_len = 1;
        }
        if (n > 0) {
                memset(&control, 0, sizeof(control));
                msg.msg_control = control.buf;
                msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
                struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * n);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
        }
        for (;;) {
                ssize_t r = sendmsg(sock, &msg, MSG_NOSIGNAL);
                if (r >= 0)
                        return 0;
                if (errno != EINTR)
                        return -errno;
        }
}

ssize_t bv_fd_recv(int sock, void *buf, size_t len, int *ret_fds, size_t max_fds, size_t *ret_nfds)
{
        struct iovec iov = { .iov_base = buf, .iov_len = len };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * BV_FD_SEND_MAX)];
        } control;
        struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1,
                .msg_control = control.buf, .msg_controllen = sizeof(control.buf),
        };
        int got_fds[BV_FD_SEND_MAX];
        size_t got = 0;
        bool overflow = false;
        ssize_t r;

        do
                r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return -errno;
        if (msg.msg_flags & MSG_CTRUNC)
                overflow = true;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                int fds[BV_FD_SEND_MAX];
                memcpy(fds, CMSG_DATA(c), n * sizeof(int));
                for (size_t i = 0; i < n; i++) {
                        if (got < max_fds && got < BV_FD_SEND_MAX && ret_fds)
                                got_fds[got++] = fds[i];
                        else {
                                close(fds[i]);
                                overflow = true;
                        }
                }
        }
        if (overflow) {
                for (size_t i = 0; i < got; i++)
                        close(got_fds[i]);
                return -EMSGSIZE;
        }
        if (got)
                memcpy(ret_fds, got_fds, got * sizeof(int));
        if (ret_nfds)
                *ret_nfds = got;
        return r;
}

static int fill_addr(const char *path, struct sockaddr_un *sa, struct bv_error *err)
{
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        if (!path || strlen(path) >= sizeof(sa->sun_path))
                return bv_error_set(err, ENAMETOOLONG, "Socket path '%.200s' is too long (max %zu bytes)",
                                    path ? path : "", sizeof(sa->sun_path) - 1);
        strcpy(sa->sun_path, path);
        return 0;
}

/* A close-on-exec UNIX stream socket (extra socket() flags in type_flags) and path's address. */
static int unix_socket(const char *path, int type_flags, struct sockaddr_un *sa, struct bv_error *err)
{
        int r = fill_addr(path, sa, err);

        if (r < 0)
                return r;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | type_flags, 0);
        if (fd < 0)
                return bv_error_set_errno(err, errno, "Failed to create a socket for '%s'", path);
        return fd;
}

int bv_unix_listen(const char *path, mode_t mode, struct bv_error *err)
{
        struct sockaddr_un sa;
        _cleanup_close_ int fd = unix_socket(path, SOCK_NONBLOCK, &sa, err);

        if (fd < 0)
                return fd;
        /* Only a stale socket is replaced, never a regular file someone pointed us at. */
        struct stat st;
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return bv_error_set(err, EEXIST, "'%s' exists and is not a socket", path);
                unlink(path);
        }
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return bv_error_set_errno(err, errno, "Failed to bind '%s'", path);
        if (chmod(path, mode) < 0) {
                int e = errno;
                unlink(path);
                return bv_error_set_errno(err, e, "Failed to chmod '%s'", path);
        }
        if (listen(fd, 128) < 0) {
                int e = errno;
                unlink(path);
                return bv_error_set_errno(err, e, "Failed to listen on '%s'", path);
        }
        return TAKE_FD(fd);
}

int bv_unix_connect(const char *path, int flags, struct bv_error *err)
{
        struct sockaddr_un sa;
        int r;
        _cleanup_close_ int fd = unix_socket(path, flags & BV_UNIX_CONNECT_NONBLOCK ? SOCK_NONBLOCK : 0, &sa, err);

        if (fd < 0)
                return fd;
        do
                r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return bv_error_set_errno(err, errno, "Failed to connect to '%s'", path);
        if (flags & BV_UNIX_NONBLOCK) {
                r = bv_fd_set_nonblock(fd, 1);
                if (r < 0)
                        return bv_error_set_errno(err, -r, "Failed to set O_NONBLOCK");
        }
        return TAKE_FD(fd);
}
