/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the net/ integration tests: throwaway network namespaces
 * (held by fd only, never mounted, gone when the test exits), running
 * commands inside one of them, and reading iproute2's JSON output as the
 * independent witness of what the library did. Header-only, test code:
 * failures of the helpers themselves abort the test.
 */
#pragma once

#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/tap.h"

#define BV_MIN_T(a, b) ((a) < (b) ? (a) : (b))

/* A new, empty network namespace; returns an fd that keeps it alive. */
static inline int tn_ns_new(void)
{
        int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        int fd;

        if (self < 0 || unshare(CLONE_NEWNET) < 0) {
                perror("unshare");
                exit(2);
        }
        fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(self, CLONE_NEWNET) < 0) {
                perror("setns");
                exit(2);
        }
        close(self);
        return fd;
}

/*
 * Runs `sh -c cmd` inside nsfd (< 0: our namespace), stdout into out
 * (NUL-terminated, truncated to outlen-1; may be NULL), stderr discarded
 * unless keep_stderr. Returns the exit status (or 128+signal).
 */
static inline int tn_run(int nsfd, char *out, size_t outlen, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static inline int tn_run(int nsfd, char *out, size_t outlen, const char *fmt, ...)
{
        char cmd[1024];
        int p[2], status;
        size_t got = 0;
        va_list ap;
        pid_t pid;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        if (pipe2(p, O_CLOEXEC) < 0)
                exit(2);
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                int devnull = open("/dev/null", O_WRONLY);
                if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
                        _exit(126);
                dup2(p[1], 1);
                dup2(devnull, 2);
                execl("/bin/sh", "sh", "-c", cmd, (char *) NULL);
                _exit(127);
        }
        close(p[1]);
        for (;;) {
                char tmp[4096];
                ssize_t n = read(p[0], tmp, sizeof(tmp));
                if (n <= 0)
                        break;
                if (out && got + 1 < outlen) {
                        size_t k = BV_MIN_T((size_t) n, outlen - 1 - got);
                        memcpy(out + got, tmp, k);
                        got += k;
                }
        }
        if (out && outlen)
                out[got] = 0;
        close(p[0]);
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Parses the JSON printed by a command run in nsfd; NULL if it failed. */
static inline json_t *tn_json(int nsfd, const char *cmd)
{
        static char out[1 << 20];
        json_error_t jerr;

        if (tn_run(nsfd, out, sizeof(out), "%s", cmd) != 0)
                return NULL;
        return json_loads(out, 0, &jerr);
}

/* The JSON object of link name in `ip -j -d link show` (a new reference) or NULL. */
static inline json_t *tn_ip_link(int nsfd, const char *name)
{
        char cmd[256];
        json_t *arr, *obj = NULL;

        snprintf(cmd, sizeof(cmd), "ip -j -d link show dev %s", name);
        arr = tn_json(nsfd, cmd);
        if (arr && json_is_array(arr) && json_array_size(arr) == 1)
                obj = json_incref(json_array_get(arr, 0));
        json_decref(arr);
        return obj;
}

static inline const char *tn_str(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

/* True if the JSON array arr contains the string s. */
static inline bool tn_has_str(json_t *arr, const char *s)
{
        size_t i;
        json_t *v;

        json_array_foreach(arr, i, v)
                if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
                        return true;
        return false;
}

/* True if `ip -j addr show dev` lists local/prefixlen. */
static inline bool tn_has_addr(int nsfd, const char *dev, const char *local, int prefixlen)
{
        char cmd[256];
        json_t *arr, *o, *ai, *a;
        size_t i, j;
        bool found = false;

        snprintf(cmd, sizeof(cmd), "ip -j addr show dev %s", dev);
        arr = tn_json(nsfd, cmd);
        json_array_foreach(arr, i, o) {
                ai = json_object_get(o, "addr_info");
                json_array_foreach(ai, j, a)
                        if (tn_str(a, "local") && strcmp(tn_str(a, "local"), local) == 0 &&
                            json_integer_value(json_object_get(a, "prefixlen")) == prefixlen)
                                found = true;
        }
        json_decref(arr);
        return found;
}

/* `ip -j link` as text, for before/after comparisons. */
static inline void tn_link_snapshot(int nsfd, char *buf, size_t len)
{
        tn_run(nsfd, buf, len, "ip -j link");
}


/*
 * Runs body() in a forked child inside a fresh network namespace and exits
 * with its status: the test never sees, let alone touches, the host's links.
 */
static inline __attribute__((noreturn)) void tn_main_in_netns(void (*body)(void))
{
        int status;
        pid_t pid;

        tap_require_root();
        if (access("/dev/net/tun", R_OK | W_OK) < 0)
                tap_skip_all("no /dev/net/tun");
        if (system("ip -V >/dev/null 2>&1") != 0)
                tap_skip_all("iproute2 (ip) is missing");
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                if (unshare(CLONE_NEWNET) < 0) {
                        printf("1..0 # SKIP cannot unshare a network namespace\n");
                        _exit(tap_strict() ? 1 : 0);
                }
                alarm(60);
                body();
                tap_done();
        }
        waitpid(pid, &status, 0);
        exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}
