/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fd helpers: flags, SCM_RIGHTS both ways and its limits, UNIX sockets. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "tests/tap.h"

int main(void)
{
        int sv[2], p[2];
        struct bv_error err = {};

        tap_ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
        tap_ok(pipe2(p, 0) == 0, "pipe without cloexec");
        tap_is_int(bv_fd_set_cloexec(p[0], 1), 0, "set cloexec");
        tap_ok(fcntl(p[0], F_GETFD) & FD_CLOEXEC, "cloexec is set");
        tap_is_int(bv_fd_set_nonblock(p[0], 1), 0, "set nonblock");
        tap_ok(fcntl(p[0], F_GETFL) & O_NONBLOCK, "nonblock is set");
        tap_is_int(bv_fd_set_nonblock(-1, 1), -EBADF, "bad fd gives -EBADF");

        /* Pass the pipe's write end and check it works on the other side. */
        tap_is_int(bv_fd_send(sv[0], "x", 1, &p[1], 1), 0, "send one fd");
        int got[4];
        size_t n = 0;
        char buf[8];
        tap_is_int(bv_fd_recv(sv[1], buf, sizeof(buf), got, 4, &n), 1, "recv payload");
        tap_is_int((long long)n, 1, "one fd received");
        tap_ok(fcntl(got[0], F_GETFD) & FD_CLOEXEC, "received fd is cloexec");
        tap_is_int(bv_fd_write_all(got[0], "hi", 2), 0, "write through received fd");
        tap_is_int(bv_fd_read(p[0], buf, sizeof(buf)), 2, "read it back");
        close(got[0]);

        /* More fds than the receiver accepts: all closed, -EMSGSIZE. */
        int three[3] = { p[1], p[1], p[1] };
        tap_is_int(bv_fd_send(sv[0], NULL, 0, three, 3), 0, "send three fds with empty payload");
        tap_is_int(bv_fd_recv(sv[1], buf, sizeof(buf), got, 2, &n), -EMSGSIZE, "too many fds refused");
        tap_is_int(bv_fd_send(sv[0], "x", 1, three, BV_FD_SEND_MAX + 1), -E2BIG, "send over the max refused");

        /* UNIX listen/connect. */
        char dir[] = "/tmp/bv-test-fd.XXXXXX";
        tap_ok(mkdtemp(dir) != NULL, "tmp dir");
        char path[128];
        snprintf(path, sizeof(path), "%s/s.sock", dir);
        int l = bv_unix_listen(path, 0600, &err);
        tap_ok(l >= 0, "listen");
        struct stat st;
        tap_ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "socket mode applied");
        int c = bv_unix_connect(path, 1, &err);
        tap_ok(c >= 0 && (fcntl(c, F_GETFL) & O_NONBLOCK), "connect, nonblocking");
        close(c);
        close(l);
        int l2 = bv_unix_listen(path, 0600, &err);
        tap_ok(l2 >= 0, "stale socket replaced");
        close(l2);
        unlink(path);
        tap_is_int(bv_unix_connect(path, 0, &err), -ENOENT, "connect to missing socket: -ENOENT");
        tap_ok(strstr(err.msg, path) != NULL, "message names the path");
        char file[128];
        snprintf(file, sizeof(file), "%s/regular", dir);
        close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
        tap_is_int(bv_unix_listen(file, 0600, &err), -EEXIST, "never replaces a regular file");
        unlink(file);
        char longp[200];
        memset(longp, 'a', sizeof(longp) - 1);
        longp[sizeof(longp) - 1] = 0;
        tap_is_int(bv_unix_connect(longp, 0, &err), -ENAMETOOLONG, "path too long");
        rmdir(dir);
        tap_done();
}
