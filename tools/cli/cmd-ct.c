/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt ct ...: barevirt containers through /v1/containers, one sub-verb
 * per endpoint. Two verbs bypass barevirtd for the bytes they move, using
 * what `ct show` tells: `ct console` connects straight to the monitor's
 * console.sock, and `ct exec -t` runs `barevirt-runtime exec --tty` itself
 * (with a console socket of its own, relaying the pty), so keystrokes
 * never pass through the daemon. `ct exec` without -t goes through the API
 * and exits with the command's exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "tools/cli/cli.h"
#include "ctr/ctr.h"

static void limits_text(const json_t *limits, char *buf, size_t len)
{
        const char *key;
        json_t *v;

        buf[0] = '\0';
        json_object_foreach((json_t *)limits, key, v) {
                size_t n = strlen(buf);
                if (json_is_real(v))
                        snprintf(buf + n, len - n, "%s%s=%g", n ? "," : "", key, json_real_value(v));
                else
                        snprintf(buf + n, len - n, "%s%s=%lld", n ? "," : "", key, (long long)json_integer_value(v));
        }
        if (!buf[0])
                snprintf(buf, len, "-");
}


/* ---- list, show ----------------------------------------------------------------- */

static void ct_row(const json_t *ct, char cells[][CLI_CELL_MAX])
{
        long long pid = json_integer_value(json_object_get(ct, "pid"));
        const char *root = json_is_string(json_object_get(ct, "image")) ? cli_jstr(ct, "image") : cli_jstr(ct, "rootfs");

        snprintf(cells[0], CLI_CELL_MAX, "%s", cli_jstr(ct, "name"));
        snprintf(cells[1], CLI_CELL_MAX, "%s", cli_jstr(ct, "state"));
        snprintf(cells[2], CLI_CELL_MAX, pid > 0 ? "%lld" : "-", pid);
        snprintf(cells[3], CLI_CELL_MAX, "%s", root);
        cli_join(json_object_get(ct, "nics"), "network", cells[4], CLI_CELL_MAX);
        limits_text(json_object_get(ct, "limits"), cells[5], CLI_CELL_MAX);
}

static const struct cli_column ct_columns[] = {
        { "NAME", CLI_COL_SHRINK }, { "STATE", 0 }, { "PID", CLI_COL_RIGHT }, { "ROOTFS/IMAGE", CLI_COL_PATH },
        { "NICS", CLI_COL_SHRINK }, { "LIMITS", CLI_COL_SHRINK }, {},
};

static int ct_list(struct cli *cli, int argc, char **argv)
{
        static const struct cli_table t = { ct_columns, "name", ct_row, NULL };

        return cli_list(cli, "/v1/containers", argc, argv, &t);
}

static void print_ct(const json_t *ct)
{
        const json_t *def = json_object_get(ct, "definition");
        const json_t *usage = json_object_get(ct, "usage");
        char limits[256], cmd[512] = "";
        json_t *v;
        size_t i;

        printf("%-12s %s\n", "name", cli_jstr(ct, "name"));
        printf("%-12s %s\n", "state", cli_jstr(ct, "state"));
        if (json_integer_value(json_object_get(ct, "pid")) > 0)
                printf("%-12s %lld (monitor %lld)\n", "pid", (long long)json_integer_value(json_object_get(ct, "pid")),
                       (long long)json_integer_value(json_object_get(ct, "monitor_pid")));
        if (json_is_integer(json_object_get(ct, "exit_code")))
                printf("%-12s %lld%s%s\n", "exit code", (long long)json_integer_value(json_object_get(ct, "exit_code")),
                       json_is_integer(json_object_get(ct, "signal")) ? " (signal)" : "",
                       json_is_true(json_object_get(ct, "oom_killed")) ? " (OOM-killed)" : "");
        if (json_object_get(def, "image"))
                printf("%-12s %s (image %s)\n", "rootfs", cli_jstr(def, "image"), cli_jstr(ct, "image_id"));
        else
                printf("%-12s %s\n", "rootfs", cli_jstr(def, "rootfs"));
        json_array_foreach(json_object_get(def, "command"), i, v)
                snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s", i ? " " : "", json_string_value(v));
        printf("%-12s %s (%s container, restart %s)\n", "command", cmd,
               json_is_true(json_object_get(def, "system")) ? "system" : "app", cli_jstr(def, "restart"));
        limits_text(json_object_get(ct, "limits"), limits, sizeof(limits));
        printf("%-12s %s\n", "limits", limits);
        if (json_is_object(usage)) {
                json_t *m = json_object_get(usage, "memory_bytes"), *c = json_object_get(usage, "cpu_usec"),
                       *p = json_object_get(usage, "pids");
                char mb[32] = "-", cu[32] = "-", pi[32] = "-";
                if (json_is_integer(m))
                        snprintf(mb, sizeof(mb), "%.1f MiB", json_integer_value(m) / 1048576.0);
                if (json_is_integer(c))
                        snprintf(cu, sizeof(cu), "%.3f s", json_integer_value(c) / 1e6);
                if (json_is_integer(p))
                        snprintf(pi, sizeof(pi), "%lld", (long long)json_integer_value(p));
                printf("%-12s memory %s, cpu %s, pids %s\n", "usage", mb, cu, pi);
        }
        json_array_foreach(json_object_get(ct, "nics"), i, v)
                printf("%-12s %s: %s %s %s%s%s\n", i ? "" : "nics", cli_jstr(v, "ifname"), cli_jstr(v, "network"),
                       cli_jstr(v, "mac"), cli_jstr(v, "ip"), json_is_string(json_object_get(v, "host_ifname")) ? " host " : "",
                       json_is_string(json_object_get(v, "host_ifname")) ? cli_jstr(v, "host_ifname") : "");
        printf("%-12s %s (log %s)\n", "console", cli_jstr(json_object_get(ct, "console"), "socket"),
               cli_jstr(json_object_get(ct, "console"), "log"));
        if (json_is_string(json_object_get(ct, "error")))
                printf("%-12s %s\n", "last error", cli_jstr(ct, "error"));
}

static int ct_show(struct cli *cli, int argc, char **argv)
{
        return cli_show(cli, "container", "containers", argc, argv, print_ct);
}

/* ---- create ---------------------------------------------------------------------- */

/* An OPT of --nic NETWORK[,OPT]... */
static int nic_opt(json_t *n, char *opt)
{
        static const char *const keys[] = { "ip", "gw", "mac", "firewall", NULL };

        return cli_spec_set(n, opt, keys);
}

/* "SRC:DST[:OPTS]", OPTS a comma list of ro, rw and idmap */
static int add_mount(json_t *mounts, const char *spec)
{
        _cleanup_free_ char *s = strdup(spec);
        char *dst, *opts, *save = NULL;
        bool ro = false, idmap = false;

        if (!s || !(dst = strchr(s, ':')))
                return -EINVAL;
        *dst++ = '\0';
        if ((opts = strchr(dst, ':'))) {
                *opts++ = '\0';
                for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                        if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0)
                                ro = o[1] == 'o';
                        else if (strcmp(o, "idmap") == 0)
                                idmap = true;
                        else
                                return -EINVAL;
                }
        }
        if (!*s || !*dst)
                return -EINVAL;
        json_t *m = json_pack("{s:s,s:b}", "destination", dst, "readonly", ro);
        if (m)
                cli_json_set_path(m, "source", s);
        if (m && idmap)
                json_object_set_new(m, "idmap", json_true());
        json_array_append_new(mounts, m);
        return 0;
}

#define CT_CREATE_USAGE \
        "ct create NAME (--rootfs DIR | --image TAR) [--memory SIZE] [--memory-swap SIZE] [--cpus N] [--cpu-weight N] " \
        "[--pids N] [--io-weight N] " \
        "[--nic NETWORK[,ip=CIDR][,gw=IP][,mac=MAC][,firewall=GROUP]] [--env K=V] [--mount SRC:DST[:ro|:idmap|:ro,idmap]] [--userns] [--autostart] " \
        "[--restart no|on-failure|always] [--hostname H] [--dns network|none] [--system] [--stop-timeout S] [--project P] [--json] " \
        "[-- CMD ARGS...] | ct create [NAME] --file DEF.json"

enum {
        OPT_ROOTFS = CLI_OPT_OWN, OPT_IMAGE, OPT_MEMORY, OPT_CPUS, OPT_PIDS, OPT_NIC, OPT_ENV, OPT_MOUNT, OPT_USERNS,
        OPT_AUTOSTART, OPT_RESTART, OPT_HOSTNAME, OPT_SYSTEM, OPT_STOP_TIMEOUT, OPT_FILE, OPT_TIMEOUT, OPT_SIGNAL,
        OPT_FORCE, OPT_TTY, OPT_FOLLOW, OPT_TAIL, OPT_DNS, OPT_MEMORY_SWAP, OPT_CPU_WEIGHT, OPT_IO_WEIGHT,
};

static const struct cli_option create_options[] = {
        { "rootfs", 0, "DIR", "the root: a directory, used as it is", NULL, OPT_ROOTFS },
        { "image", 0, "TAR", "the root: an image tarball, imported once, under an upper layer of its own", NULL,
          OPT_IMAGE },
        { "memory", 0, "SIZE", "memory limit: 64m, 1G, or plain MiB", "none", OPT_MEMORY },
        { "memory-swap", 0, "SIZE", "memory plus swap limit (with --memory): 128m, 1G, or plain MiB", "none",
          OPT_MEMORY_SWAP },
        { "cpus", 0, "N", "CPU limit, may be fractional", "none", OPT_CPUS },
        { "cpu-weight", 0, "N", "relative CPU share when CPUs are busy, 1-10000", "100", OPT_CPU_WEIGHT },
        { "pids", 0, "N", "limit on the number of processes", "none", OPT_PIDS },
        { "io-weight", 0, "N", "relative block I/O share, 1-10000", "100", OPT_IO_WEIGHT },
        { "nic", 0, "NETWORK[,OPTS]", "a NIC on a network (repeatable); OPTS: ip=CIDR, gw=IP, mac=MAC, firewall=GROUP", NULL, OPT_NIC },
        { "env", 'e', "K=V", "an environment variable (repeatable)", NULL, OPT_ENV },
        { "mount", 0, "SRC:DST[:OPTS]", "a bind mount (repeatable); OPTS: ro, rw, idmap (with --userns)", NULL,
          OPT_MOUNT },
        { "userns", 0, NULL, "the container's root is an unprivileged host id", NULL, OPT_USERNS },
        { "autostart", 0, NULL, "start the container when barevirtd starts", NULL, OPT_AUTOSTART },
        { "restart", 0, "no|on-failure|always", "what to do when it ends by itself", "no", OPT_RESTART },
        { "hostname", 0, "H", "the container's host name", "NAME", OPT_HOSTNAME },
        { "dns", 0, "network|none", "/etc/resolv.conf from the first NIC's network, or none (the rootfs's own)",
          "network", OPT_DNS },
        { "system", 0, NULL, "a system container even with a command", NULL, OPT_SYSTEM },
        { "stop-timeout", 0, "S", "seconds from the stop signal to cgroup.kill (0-3600)", "10", OPT_STOP_TIMEOUT },
        { "file", 0, "DEF.json", "the whole definition from a file (excludes the other options)", NULL, OPT_FILE },
        CLI_OPTION_PROJECT,
        CLI_OPTION_JSON,
        {},
};

struct ct_create {
        json_t *def, *limits, *nics, *env, *mounts;
        const char *file;
        bool options;                /* any but --file and --json */
};

static int set_limit(struct cli *cli, json_t *limits, const char *flag, const char *key, const char *val)
{
        uint64_t u;

        if (bv_parse_u64(val, 0, UINT64_MAX >> 12, &u) < 0)
                return cli_usage_error(cli, "%s: '%s' is not a number", flag, val);
        json_object_set_new(limits, key, json_integer((json_int_t)u));
        return 0;
}

/* --memory, --memory-swap: a size with a suffix (64m, 1G) or plain MiB, stored as MiB under key. */
static int set_memory_limit(struct cli *cli, json_t *limits, const char *flag, const char *key, const char *val)
{
        uint64_t mib;
        int r = cli_parse_mib(cli, flag, val, CTR_MIN_MEMORY_MIB, CTR_MAX_MEMORY_MIB, &mib);

        if (r == 0)
                json_object_set_new(limits, key, json_integer((json_int_t)mib));
        return r;
}

static int set_cpus(struct cli *cli, json_t *limits, const char *val)
{
        char *end;
        double c = strtod(val, &end);

        if (end == val || *end || c < 0)
                return cli_usage_error(cli, "--cpus: '%s' is not a number", val);
        json_object_set_new(limits, "cpus", json_real(c));
        return 0;
}

static int set_stop_timeout(struct cli *cli, json_t *def, const char *val)
{
        unsigned u;

        if (bv_parse_uint(val, 0, 3600, &u) < 0)
                return cli_usage_error(cli, "--stop-timeout: '%s' is not 0-3600", val);
        json_object_set_new(def, "stop_timeout", json_integer(u));
        return 0;
}

static int on_create_option(struct cli *cli, int id, const char *val, void *userdata)
{
        struct ct_create *c = userdata;

        c->options |= id != OPT_FILE;
        switch (id) {
        case OPT_ROOTFS: cli_json_set_path(c->def, "rootfs", val); return 0;
        case OPT_IMAGE: cli_json_set_path(c->def, "image", val); return 0;
        case OPT_MEMORY: return set_memory_limit(cli, c->limits, "--memory", "memory", val);
        case OPT_MEMORY_SWAP: return set_memory_limit(cli, c->limits, "--memory-swap", "memory_swap", val);
        case OPT_PIDS: return set_limit(cli, c->limits, "--pids", "pids", val);
        case OPT_CPU_WEIGHT: return set_limit(cli, c->limits, "--cpu-weight", "cpu_weight", val);
        case OPT_IO_WEIGHT: return set_limit(cli, c->limits, "--io-weight", "io_weight", val);
        case OPT_CPUS: return set_cpus(cli, c->limits, val);
        case OPT_STOP_TIMEOUT: return set_stop_timeout(cli, c->def, val);
        case OPT_NIC: return cli_add_spec(cli, "--nic", c->nics, val, "network", nic_opt);
        case OPT_MOUNT:
                if (add_mount(c->mounts, val) < 0)
                        return cli_usage_error(cli, "bad --mount '%s' (SRC:DST[:OPTS], OPTS a comma list of ro, rw, idmap)",
                                               val);
                return 0;
        case OPT_ENV: json_array_append_new(c->env, json_string(val)); return 0;
        case OPT_RESTART: json_object_set_new(c->def, "restart", json_string(val)); return 0;
        case OPT_HOSTNAME: json_object_set_new(c->def, "hostname", json_string(val)); return 0;
        case OPT_DNS: json_object_set_new(c->def, "dns", json_string(val)); return 0;
        case OPT_USERNS: json_object_set_new(c->def, "userns", json_true()); return 0;
        case OPT_AUTOSTART: json_object_set_new(c->def, "autostart", json_true()); return 0;
        case OPT_SYSTEM: json_object_set_new(c->def, "system", json_true()); return 0;
        case OPT_FILE: c->file = val; return 0;
        }
        return 0;
}

/* The command after "--" into def (cli_parse() refused a "--" with nothing after it). */
static void set_command(json_t *def, const struct cli_args *a)
{
        if (!a->dashdash)
                return;
        json_t *cmd = json_array();
        for (int i = 0; i < a->n_rest; i++)
                json_array_append_new(cmd, json_string(a->rest[i]));
        json_object_set_new(def, "command", cmd);
}

static int ct_create(struct cli *cli, int argc, char **argv)
{
        json_auto_t *def = json_object();
        json_auto_t *limits = json_object(), *nics = json_array(), *env = json_array(), *mounts = json_array();
        struct ct_create c = { .def = def, .limits = limits, .nics = nics, .env = env, .mounts = mounts };
        struct cli_args a = { .max = 1 };
        int r = cli_parse(cli, argc, argv, &a, on_create_option, &c);

        if (r)
                return r;
        set_command(def, &a);
        const char *name = a.n ? a.arg[0] : NULL;
        if (c.file && (c.options || a.dashdash))
                return cli_usage_error(cli, "--file excludes the other options");
        if (c.file)
                return cli_create_from_file(cli, "container", "/v1/containers", c.file, name);
        if (!name)
                return cli_usage_error(cli, "expected a container name");
        cli_json_set_nonempty(def, "limits", limits);
        cli_json_set_nonempty(def, "nics", nics);
        cli_json_set_nonempty(def, "env", env);
        cli_json_set_nonempty(def, "mounts", mounts);
        json_object_set_new(def, "name", json_string(name));
        struct stat st;
        const char *image = json_string_value(json_object_get(def, "image"));
        if (image && stat(image, &st) == 0) {
                cli_progress_start(cli, 0, "creating container '%s': importing '%s' (%.1f MiB) unless imported before",
                                   name, image, (double)st.st_size / 1048576.0);
                cli_progress_file(cli, image, (uint64_t)st.st_size);
        }
        return cli_create(cli, "container", "/v1/containers", def);
}

/* ---- lifecycle --------------------------------------------------------------------- */

static const struct cli_option grace_options[] = {
        CLI_OPTION_JSON,
        { "timeout", 't', "SECONDS", "seconds from the stop signal to cgroup.kill (0-3600)", "its stop timeout",
          OPT_TIMEOUT },
        {},
};

static const struct cli_option kill_options[] = {
        CLI_OPTION_JSON,
        { "signal", 's', "SIGNAL", "the signal for the container's init (KILL, SIGTERM, 15, ...)", "SIGKILL", OPT_SIGNAL },
        {},
};

static int on_action_option(struct cli *cli, int id, const char *val, void *userdata)
{
        json_t *body = userdata;

        if (id == OPT_TIMEOUT) {
                unsigned t;
                if (bv_parse_uint(val, 0, 3600, &t) < 0)
                        return cli_usage_error(cli, "-t: expected 0-3600 seconds");
                json_object_set_new(body, "timeout", json_integer(t));
        } else {
                int signo = bv_parse_signal(val);
                if (signo < 0)
                        return cli_usage_error(cli, "unknown signal '%s'", val);
                json_object_set_new(body, "signal", json_integer(signo));
        }
        return 0;
}

static int ct_action(struct cli *cli, int argc, char **argv)
{
        char path[320];
        json_auto_t *ct = NULL, *body = json_object();
        const char *name = NULL;
        int r = cli_parse_name(cli, "container", argc, argv, on_action_option, body, &name);

        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/containers/%s/%s", name, argv[0]);
        const json_t *t = json_object_get(body, "timeout");
        if (t && (strcmp(argv[0], "stop") == 0 || strcmp(argv[0], "restart") == 0))
                cli_progress_start(cli, (unsigned)json_integer_value(t),
                                   "waiting up to %lld s for container '%s' to stop, then SIGKILL (Ctrl-C to stop waiting)",
                                   (long long)json_integer_value(t), name);
        else if (strcmp(argv[0], "stop") == 0 || strcmp(argv[0], "restart") == 0)
                cli_progress_start(cli, 0, "waiting for container '%s' to stop (its stop timeout, then SIGKILL; Ctrl-C to stop waiting)",
                                   name);
        r = cli_api(cli, "POST", path, json_object_size(body) ? body : NULL, 3700 * 1000, &ct);
        if (r)
                return r;
        if (cli->json)
                return cli_print_json(ct);
        const char *state = cli_jstr(ct, "state");
        if (json_is_integer(json_object_get(ct, "exit_code")) && strcmp(state, "running") != 0)
                printf("Container '%s' is %s (exit code %lld)\n", name, state,
                       (long long)json_integer_value(json_object_get(ct, "exit_code")));
        else
                printf("Container '%s' is %s\n", name, state);
        return 0;
}

static const struct cli_option delete_options[] = {
        { "force", 'f', NULL, "stop a running container first", NULL, OPT_FORCE },
        {},
};

static int ct_delete(struct cli *cli, int argc, char **argv)
{
        const char *name = NULL;
        bool force = false;
        char path[320];
        int r = cli_parse_name(cli, "container", argc, argv, cli_on_flag, &force, &name);

        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/containers/%s%s", name, force ? "?force=1" : "");
        r = cli_api(cli, "DELETE", path, NULL, 3700 * 1000, NULL);
        if (r == 0)
                printf("Container '%s' deleted\n", name);
        return r;
}

/* ---- exec --------------------------------------------------------------------------- */

/* `RUNTIME --root ROOT exec --tty --console-socket SOCK [--env E]... -- NAME CMD...`; free() it. */
static char **runtime_exec_argv(const json_t *ct, const char *sock, char **env, size_t n_env, char **cmd, int n_cmd)
{
        const json_t *rt = json_object_get(ct, "runtime");
        char **argv = calloc(10 + 2 * n_env + (size_t)n_cmd, sizeof(char *));
        size_t k = 0;

        if (!argv)
                return NULL;
        argv[k++] = (char *)json_string_value(json_object_get(rt, "path"));
        argv[k++] = (char *)"--root";
        argv[k++] = (char *)json_string_value(json_object_get(rt, "root"));
        argv[k++] = (char *)"exec";
        argv[k++] = (char *)"--tty";
        argv[k++] = (char *)"--console-socket";
        argv[k++] = (char *)sock;
        for (size_t i = 0; i < n_env; i++) {
                argv[k++] = (char *)"--env";
                argv[k++] = env[i];
        }
        argv[k++] = (char *)"--";
        argv[k++] = (char *)json_string_value(json_object_get(ct, "name"));
        for (int i = 0; i < n_cmd; i++)
                argv[k++] = cmd[i];
        return argv;
}

static int exit_status(int status)
{
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Waits for the pty master on lfd, or for the runtime (pid) to end: then false and its status. */
static bool receive_master(int lfd, pid_t pid, int *ret_master, int *ret_status)
{
        for (;;) {
                struct pollfd p = { .fd = lfd, .events = POLLIN };
                if (poll(&p, 1, 100) > 0) {
                        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                        char tag[16];
                        size_t nfds = 0;
                        bool got = c >= 0 && bv_fd_recv(c, tag, sizeof(tag), ret_master, 1, &nfds) >= 0 && nfds == 1;
                        if (c >= 0)
                                close(c);
                        if (got)
                                return true;
                }
                if (waitpid(pid, ret_status, WNOHANG) != 0)
                        return false;
        }
}

/*
 * Runs the runtime with a console socket in a fresh directory. When it
 * sends the pty master: *ret_master and *ret_pid, returns 0. Otherwise
 * *ret_master is -1 and it returns the exit code (of the runtime, when it
 * ended first).
 */
/*
 * What the runtime wrote to its stderr (errfd, a file), once it ended: in
 * barevirt's voice when the command was never run (126 or 127 with the
 * runtime's own message), as `ct exec` without -t says it; else as it is.
 */
static void runtime_stderr(int errfd, int code, const char *cmd, const char *name)
{
        static const char prefix[] = "barevirt-runtime: ";
        char buf[4096];
        ssize_t n = pread(errfd, buf, sizeof(buf) - 1, 0);

        buf[n > 0 ? n : 0] = '\0';
        if ((code == 127 || code == 126) && strncmp(buf, prefix, sizeof(prefix) - 1) == 0)
                cli_fail("'%s': %s in container '%s'", cmd, code == 127 ? "no such file" : "permission denied", name);
        else
                fputs(buf, stderr);
}

static int start_runtime(const json_t *ct, char **env, size_t n_env, char **cmd, int n_cmd, pid_t *ret_pid,
                         int *ret_master, int *ret_errfd)
{
        char dir[] = "/tmp/barevirt-exec.XXXXXX", sock[64];
        struct bv_error err = {};
        int status = 0;

        *ret_master = -1;
        if (!mkdtemp(dir))
                return cli_fail("mkdtemp: %s", strerror(errno));
        snprintf(sock, sizeof(sock), "%s/console.sock", dir);
        int lfd = bv_unix_listen(sock, 0600, &err);
        /* The runtime's stderr, read back if it fails before the pty (a file: it never blocks the runtime). */
        int errfd = *ret_errfd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        char **argv = lfd >= 0 ? runtime_exec_argv(ct, sock, env, n_env, cmd, n_cmd) : NULL;
        pid_t pid = argv ? fork() : -1;
        if (pid == 0) {
                if (errfd >= 0)
                        dup2(errfd, STDERR_FILENO);
                execv(argv[0], argv);
                fprintf(stderr, "barevirt: cannot run '%s': %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        int e = errno;
        free(argv);
        bool got = pid > 0 && receive_master(lfd, pid, ret_master, &status);
        if (lfd >= 0)
                close(lfd);
        unlink(sock);
        rmdir(dir);
        if (lfd < 0)
                return cli_fail("%s", err.msg);
        if (pid < 0)
                return cli_fail("cannot start the runtime: %s", strerror(e));
        *ret_pid = pid;
        if (!got && errfd >= 0)
                runtime_stderr(errfd, exit_status(status), cmd[0], json_string_value(json_object_get(ct, "name")));
        return got ? 0 : exit_status(status);
}

/*
 * exec -t: runs `RUNTIME --root ROOT exec --tty --console-socket S NAME CMD...`,
 * receives the pty master on S and relays it until the command ends.
 */
static int exec_tty(const json_t *ct, char **env, size_t n_env, char **cmd, int n_cmd)
{
        const json_t *rt = json_object_get(ct, "runtime");
        int master = -1, status = 0;
        _cleanup_close_ int errfd = -1;
        pid_t pid = -1;

        if (!json_is_string(json_object_get(rt, "path")) || !json_is_string(json_object_get(rt, "root")) ||
            !json_is_string(json_object_get(ct, "name")))
                return cli_fail("barevirtd did not say where the runtime is");
        int r = start_runtime(ct, env, n_env, cmd, n_cmd, &pid, &master, &errfd);
        if (master < 0)
                return r;
        if (cli_tty_raw()) {
                struct winsize ws;
                if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                        ioctl(master, TIOCSWINSZ, &ws);
        }
        struct cli_relay_opts o = { .eot_on_eof = true, .quiet_ms = -1 };
        cli_relay(master, &o);
        close(master);
        cli_tty_restore();
        waitpid(pid, &status, 0);
        if (errfd >= 0)
                runtime_stderr(errfd, exit_status(status), cmd[0], json_string_value(json_object_get(ct, "name")));
        return exit_status(status);
}

static const struct cli_option exec_options[] = {
        { "tty", 't', NULL, "run on a new tty, interactively (runs barevirt-runtime itself: root only)", NULL, OPT_TTY },
        { "env", 'e', "K=V", "an environment variable (repeatable)", NULL, OPT_ENV },
        {},
};

struct ct_exec {
        bool tty;
        char *env[64];
        size_t n_env;
};

static int on_exec_option(struct cli *cli, int id, const char *val, void *userdata)
{
        struct ct_exec *x = userdata;

        if (id == OPT_TTY)
                x->tty = true;
        else if (x->n_env >= BV_ELEMENTSOF(x->env))
                return cli_usage_error(cli, "too many --env");
        else
                x->env[x->n_env++] = (char *)val;
        return 0;
}

/* exec without -t: through barevirtd, which collects the output. */
static int exec_api(struct cli *cli, const char *name, const struct ct_exec *x, char **cmd, int n_cmd)
{
        json_auto_t *body = json_object(), *res = NULL;
        json_t *argv = json_array(), *env = json_array();
        char path[320];
        int r;

        for (int i = 0; i < n_cmd; i++)
                json_array_append_new(argv, json_string(cmd[i]));
        for (size_t i = 0; i < x->n_env; i++)
                json_array_append_new(env, json_string(x->env[i]));
        json_object_set_new(body, "cmd", argv);
        json_object_set_new(body, "env", env);
        snprintf(path, sizeof(path), "/v1/containers/%s/exec", name);
        if ((r = cli_api(cli, "POST", path, body, 3700 * 1000, &res)))
                return r;
        cli_print_output(res);
        return (int)json_integer_value(json_object_get(res, "exit_code"));
}

static int ct_exec(struct cli *cli, int argc, char **argv)
{
        struct ct_exec x = {};
        struct cli_args a = { .max = 1 };
        json_auto_t *ct = NULL;
        int r = cli_parse(cli, argc, argv, &a, on_exec_option, &x);

        if (r)
                return r;
        if (a.n == 0 || a.n_rest == 0)
                return cli_usage_error(cli, "expected a container name and a command");
        const char *name = a.arg[0];
        if (!bv_name_is_valid(name))
                return cli_fail("invalid container name '%s'", name);
        if (!x.tty)
                return exec_api(cli, name, &x, a.rest, a.n_rest);
        if ((r = cli_get(cli, "containers", name, &ct)))
                return r;
        if (cli->remote_name[0])
                return cli_fail("ct exec -t runs barevirt-runtime on the container's host: not over remote '%s' yet "
                                "(without -t it works)", cli->remote_name);
        if (strcmp(cli_jstr(ct, "state"), "running") != 0)
                return cli_fail("container '%s' is %s", name, cli_jstr(ct, "state"));
        return exec_tty(ct, x.env, x.n_env, a.rest, a.n_rest);
}

/* ---- console and logs ------------------------------------------------------------------ */

static int ct_console(struct cli *cli, int argc, char **argv)
{
        static const char *const states[] = { "running", NULL };

        return cli_console(cli, "container", "containers", states, argc, argv);
}

static const struct cli_option logs_options[] = {
        { "follow", 'f', NULL, "keep following until the container ends", NULL, OPT_FOLLOW },
        { "tail", 'n', "LINES", "only the last LINES lines", "all", OPT_TAIL },
        {},
};

static int ct_logs(struct cli *cli, int argc, char **argv)
{
        return cli_kind_logs(cli, "container", "containers", argc, argv);
}

#define CT_ACTION(verb, usage, summary, options) \
        CLI_VERB(verb, ct_action, "ct " verb " NAME [--json]" usage, summary, options)

const struct cli_command cli_ct_commands[] = {
        CLI_VERB_REST("create", ct_create, CT_CREATE_USAGE, "define a container (no command: a system container, /sbin/init)",
                      create_options, CLI_REST_AT_DASHDASH),
        CLI_VERB("list", ct_list, "ct list [-q] [--format TEMPLATE] [--json]", "list containers", cli_table_options),
        CLI_VERB("show", ct_show, "ct show NAME [--json]", "one container: state, pid, limits, usage, NICs",
                 cli_json_options),
        CT_ACTION("start", "", "start; returns when the container runs", cli_json_options),
        CT_ACTION("stop", " [-t SECONDS]", "stop signal, then cgroup.kill after the stop timeout", grace_options),
        CT_ACTION("kill", " [-s SIGNAL]", "signal the container's init (default SIGKILL)", kill_options),
        CT_ACTION("restart", " [-t SECONDS]", "stop, then start", grace_options),
        CT_ACTION("pause", "", "freeze the container's processes (cgroup freezer)", cli_json_options),
        CT_ACTION("resume", "", "thaw a paused container", cli_json_options),
        CLI_VERB("delete", ct_delete, "ct delete NAME [--force]", "delete a stopped container (--force: a running one)",
                 delete_options),
        CLI_VERB_REST("exec", ct_exec, "ct exec NAME [-t] [-e K=V] -- CMD...",
                      "run a command in the container; its exit status is ours", exec_options, CLI_REST_AT_ARG1),
        CLI_VERB("console", ct_console, "ct console NAME", "attach to the container's console (Ctrl-] detaches)",
                 cli_json_options),
        CLI_VERB("logs", ct_logs, "ct logs NAME [-f] [-n LINES]", "print the console log (-f: follow)", logs_options),
        {},
};
