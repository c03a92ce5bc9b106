/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The floor of container start (issue 21): what any OCI runtime must do
 * for bench-runtime's bundle and nothing else. clone with the pid, mount,
 * ipc, uts and network namespaces; in the child the bundle's mounts (the
 * rootfs bound on itself, /proc, a tmpfs /dev, /proc/kcore and /proc/keys
 * masked, /proc/sys read-only), pivot_root, the read-only root, the
 * hostname, execve; the parent waits. No cgroups, no capabilities, no
 * seccomp: a runtime's cost above this is its own.
 *
 * Usage: bench-floor ROOTFS   (exits with the command's status)
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char stack[64 * 1024] __attribute__((aligned(16)));

/* A masked path: /dev/null bound over it (absent ones are skipped, as runtimes do). */
static int mask(const char *path)
{
        return mount("dev/null", path, NULL, MS_BIND, NULL) < 0 && errno != ENOENT ? -1 : 0;
}

static int child(void *arg)
{
        const char *rootfs = arg;
        char *const argv[] = { "/bin/true", NULL }, *const envp[] = { "PATH=/bin", NULL };

        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0 || chdir(rootfs) < 0 ||
            mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
            mount("tmpfs", "dev", "tmpfs", MS_NOSUID, "mode=755,size=65536k") < 0 ||
            mknod("dev/null", S_IFCHR | 0666, makedev(1, 3)) < 0 ||
            mask("proc/kcore") < 0 || mask("proc/keys") < 0 ||
            mount("proc/sys", "proc/sys", NULL, MS_BIND | MS_REC, NULL) < 0 ||
            mount(NULL, "proc/sys", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL) < 0 ||
            syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0 ||
            mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0 || sethostname("bench", 5) < 0) {
                perror("bench-floor: setting up the container");
                return 126;
        }
        execve(argv[0], argv, envp);
        perror("bench-floor: execve");
        return 127;
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: bench-floor ROOTFS\n");
                return 2;
        }
        pid_t pid = clone(child, stack + sizeof(stack),
                          CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | SIGCHLD, argv[1]);
        int status;
        if (pid < 0) {
                perror("bench-floor: clone");
                return 1;
        }
        if (waitpid(pid, &status, 0) < 0)
                return 1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
