/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The console as Podman's conmon uses it: `create --console-socket` with
 * process.terminal true sends the pty master over SCM_RIGHTS; after `start`
 * the container's output arrives on that master, its stdin is the pty, and
 * /dev/console is the pty. Then `exec --tty` into the same container does
 * the same with a second pty. Everything is bounded and cleaned up.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "tests/tap.h"

static char dir[] = "/tmp/bv-rt-console.XXXXXX";
static char bin[4096], root[4200], sock_path[4200];

static int rt(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5, const char *a6)
{
        char *argv[] = { bin, "--root", root, (char *)a1, (char *)a2, (char *)a3, (char *)a4, (char *)a5,
                         (char *)a6, NULL };
        char out[2048];
        int status = 0;
        int r = bv_proc_run_capture(argv, 30000, out, sizeof(out), &status, NULL);
        if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                tap_diag("%s %s: %s", a1, a2 ? a2 : "", out);
                return -1;
        }
        return 0;
}

/* Reads from fd until want appears or 10 s pass; returns whether it appeared. */
static bool read_until(int fd, const char *want, char *buf, size_t len)
{
        size_t o = 0;
        buf[0] = 0;
        for (int i = 0; i < 100 && !strstr(buf, want); i++) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 100) <= 0)
                        continue;
                ssize_t n = read(fd, buf + o, len - o - 1);
                if (n <= 0)
                        break;
                o += (size_t)n;
                buf[o] = 0;
        }
        return strstr(buf, want) != NULL;
}

/* Accepts one connection on the console socket and receives the master. */
static int recv_master(int lfd)
{
        struct pollfd p = { .fd = lfd, .events = POLLIN };
        if (poll(&p, 1, 10000) <= 0)
                return -ETIMEDOUT;
        _cleanup_close_ int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
                return -errno;
        char buf[64];
        int fd = -1;
        size_t nfds = 0;
        p.fd = c;
        if (poll(&p, 1, 10000) <= 0)
                return -ETIMEDOUT;
        ssize_t n = bv_fd_recv(c, buf, sizeof(buf), &fd, 1, &nfds);
        return n > 0 && nfds == 1 ? fd : -EBADMSG;
}

/* Runs create in a child (it blocks until the master is taken), returns its pid. */
static pid_t spawn(char *const argv[])
{
        pid_t pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR);
                dup2(null, 0);
                dup2(null, 1);
                execv(argv[0], argv);
                _exit(127);
        }
        return pid;
}

int main(void)
{
        const char *builddir = getenv("top_builddir") ? getenv("top_builddir") : ".";
        char cmd[9000], buf[4096];
        int status;

        tap_require_root();
        if (access("/bin/busybox", X_OK) < 0)
                tap_skip_all("busybox-static is not installed");
        snprintf(bin, sizeof(bin), "%s/tools/barevirt-runtime", builddir);
        if (!mkdtemp(dir))
                tap_skip_all("mkdtemp failed");
        chmod(dir, 0755);
        snprintf(root, sizeof(root), "%s/state", dir);
        snprintf(sock_path, sizeof(sock_path), "%s/console.sock", dir);
        snprintf(cmd, sizeof(cmd),
                 "set -e; cd %s; mkdir -p rootfs/bin rootfs/proc rootfs/dev; cp /bin/busybox rootfs/bin/;"
                 " for a in sh sleep tty echo cat ls; do ln -s busybox rootfs/bin/$a; done;"
                 " %s spec && sed -i -e 's/\"sh\"/\"sh\", \"-c\", \"tty; echo hello-from-tty; read x; echo got-$x; sleep 30\"/'"
                 " -e 's/\"readonly\": true/\"readonly\": false/' config.json",
                 dir, bin);
        tap_ok(system(cmd) == 0, "bundle with process.terminal true");

        struct bv_error err = { 0 };
        _cleanup_close_ int lfd = bv_unix_listen(sock_path, 0600, &err);
        tap_ok(lfd >= 0, "console socket listens");
        char bundle[4200];
        snprintf(bundle, sizeof(bundle), "%s", dir);
        char *create[] = { bin, "--root", root, "create", "--bundle", bundle, "--console-socket", sock_path, "c-tty", NULL };
        pid_t pid = spawn(create);
        _cleanup_close_ int master = recv_master(lfd);
        tap_ok(master >= 0, "create sends the pty master over SCM_RIGHTS");
        int r = bv_proc_wait_timeout(pid, 30000, &status);
        tap_ok(r == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "create succeeds");
        tap_ok(rt("start", "c-tty", NULL, NULL, NULL, NULL) == 0, "start succeeds");
        bool ok = master >= 0 && read_until(master, "hello-from-tty", buf, sizeof(buf));
        tap_ok(ok, "the container's output arrives on the master");
        tap_ok(strstr(buf, "/dev/pts/0") || strstr(buf, "/dev/console"), "its stdin is the pty ('%.20s')", buf);
        if (master >= 0 && write(master, "abc\n", 4) == 4)
                ok = read_until(master, "got-abc", buf, sizeof(buf));
        else
                ok = false;
        tap_ok(ok, "input written to the master reaches the container");

        char *exec[] = { bin, "--root", root, "exec", "--tty", "--console-socket", sock_path, "c-tty", "sh", "-c",
                         "echo exec-tty-$(tty)", NULL };
        pid = spawn(exec);
        _cleanup_close_ int master2 = recv_master(lfd);
        tap_ok(master2 >= 0, "exec --tty sends a second pty master");
        ok = master2 >= 0 && read_until(master2, "exec-tty-/dev/pts/", buf, sizeof(buf));
        tap_ok(ok, "exec --tty output arrives on it, with a pty as stdin");
        r = bv_proc_wait_timeout(pid, 30000, &status);
        if (r < 0) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
        }
        tap_ok(r == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "exec exits 0");

        tap_ok(rt("delete", "--force", "c-tty", NULL, NULL, NULL) == 0, "delete --force");
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
                tap_diag("failed to remove %s", dir);
        tap_done();
}
