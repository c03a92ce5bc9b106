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

#include "common/cleanup.h"
#include "common/fd.h"
#include "common/json.h"
#include "common/parse.h"
#include "tools/cli/cli.h"


static int check_name(const char *name)
{
        if (!bv_name_is_valid(name))
                return cli_fail("invalid container name '%s'", name);
        return 0;
}

static int get_ct(struct cli *cli, const char *name, json_t **ret)
{
        char path[256];
        int r = check_name(name);

        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/containers/%s", name);
        return cli_api(cli, "GET", path, NULL, 0, ret);
}

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

static int ct_list(struct cli *cli, int argc, char **argv)
{
        json_auto_t *a = NULL;
        json_t *ct;
        size_t i;
        int r = cli_fetch(cli, "ct list [--json]", "/v1/containers", argc, argv, &a);

        if (r || !a)
                return r;
        printf("%-20s %-10s %8s %-30s %-16s %s\n", "NAME", "STATE", "PID", "ROOTFS/IMAGE", "NICS", "LIMITS");
        json_array_foreach(a, i, ct) {
                char nics[128] = "", limits[128], pid[16] = "-";
                json_t *n;
                size_t k;
                json_array_foreach(json_object_get(ct, "nics"), k, n)
                        snprintf(nics + strlen(nics), sizeof(nics) - strlen(nics), "%s%s", k ? "," : "", cli_jstr(n, "network"));
                limits_text(json_object_get(ct, "limits"), limits, sizeof(limits));
                if (json_integer_value(json_object_get(ct, "pid")) > 0)
                        snprintf(pid, sizeof(pid), "%lld", (long long)json_integer_value(json_object_get(ct, "pid")));
                const char *root = json_is_string(json_object_get(ct, "image")) ? cli_jstr(ct, "image") : cli_jstr(ct, "rootfs");
                printf("%-20s %-10s %8s %-30s %-16s %s\n", cli_jstr(ct, "name"), cli_jstr(ct, "state"), pid, root,
                       *nics ? nics : "-", limits);
        }
        return 0;
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
        json_auto_t *ct = NULL;
        const char *name = NULL;
        int r = cli_name_and_json(cli, "ct show NAME [--json]", "container", argc, argv, &name);

        if (r || (r = get_ct(cli, name, &ct)))
                return r;
        if (cli->json)
                return cli_print_json(ct);
        print_ct(ct);
        return 0;
}

/* ---- create ---------------------------------------------------------------------- */

static char *abs_path(const char *p)
{
        char *a = realpath(p, NULL);
        return a ? a : strdup(p);
}

/* "NETWORK[,ip=CIDR][,gw=IP][,mac=MAC]" */
static int add_nic(json_t *nics, char *spec)
{
        char *save = NULL;
        char *net = strtok_r(spec, ",", &save);
        json_t *n = json_object();

        json_array_append_new(nics, n);
        if (!net)
                return -EINVAL;
        json_object_set_new(n, "network", json_string(net));
        for (char *opt; (opt = strtok_r(NULL, ",", &save));) {
                if (!strncmp(opt, "ip=", 3))
                        json_object_set_new(n, "ip", json_string(opt + 3));
                else if (!strncmp(opt, "gw=", 3))
                        json_object_set_new(n, "gw", json_string(opt + 3));
                else if (!strncmp(opt, "mac=", 4))
                        json_object_set_new(n, "mac", json_string(opt + 4));
                else
                        return -EINVAL;
        }
        return 0;
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
        _cleanup_free_ char *src = abs_path(s);
        json_t *m = json_pack("{s:s,s:s,s:b}", "source", src, "destination", dst, "readonly", ro);
        if (m && idmap)
                json_object_set_new(m, "idmap", json_true());
        json_array_append_new(mounts, m);
        return 0;
}

#define CT_CREATE_USAGE \
        "ct create NAME (--rootfs DIR | --image TAR) [--memory MIB] [--cpus N] [--pids N] " \
        "[--nic NETWORK[,ip=CIDR][,gw=IP][,mac=MAC]] [--env K=V] [--mount SRC:DST[:ro|:idmap|:ro,idmap]] [--userns] [--autostart] " \
        "[--restart no|on-failure|always] [--hostname H] [--system] [--stop-timeout S] [--json] " \
        "[-- CMD ARGS...] | ct create [NAME] --file DEF.json"

static int ct_create(struct cli *cli, int argc, char **argv)
{
        static const char usage[] = CT_CREATE_USAGE;
        json_auto_t *def = json_object();
        json_auto_t *limits = json_object(), *nics = json_array(), *env = json_array(), *mounts = json_array();
        json_t *cmd = NULL;
        const char *file = NULL, *name = NULL;
        bool options = false;

        for (int k = 1; k < argc; k++) {
                const char *a = argv[k];
                const char *val = k + 1 < argc ? argv[k + 1] : NULL;
                static const char *const flags[] = { "--userns", "--autostart", "--json", "--system", NULL };
                bool flag = false;
                for (int f = 0; flags[f]; f++)
                        flag |= strcmp(a, flags[f]) == 0;
                if (strcmp(a, "--") == 0) {
                        cmd = json_array();
                        for (k++; k < argc; k++)
                                json_array_append_new(cmd, json_string(argv[k]));
                        if (json_array_size(cmd) == 0) {
                                json_decref(cmd);
                                return cli_usage_error(usage, "expected a command after '--'");
                        }
                        break;
                }
                if (a[0] == '-' && !flag && !val)
                        return cli_usage_error(usage, "%s needs a value", a);
                if (a[0] == '-' && strcmp(a, "--json") != 0 && strcmp(a, "--file") != 0)
                        options = true;
                if (strcmp(a, "--json") == 0)
                        cli->json = true;
                else if (strcmp(a, "--userns") == 0 || strcmp(a, "--autostart") == 0 || strcmp(a, "--system") == 0)
                        json_object_set_new(def, a + 2, json_true());
                else if (strcmp(a, "--file") == 0)
                        file = val;
                else if (strcmp(a, "--rootfs") == 0 || strcmp(a, "--image") == 0) {
                        _cleanup_free_ char *p = abs_path(val);
                        json_object_set_new(def, a + 2, json_string(p));
                } else if (strcmp(a, "--memory") == 0 || strcmp(a, "--pids") == 0) {
                        uint64_t u;
                        if (bv_parse_u64(val, 0, UINT64_MAX >> 12, &u) < 0)
                                return cli_usage_error(usage, "%s: '%s' is not a number", a, val);
                        json_object_set_new(limits, a + 2, json_integer((json_int_t)u));
                } else if (strcmp(a, "--cpus") == 0) {
                        char *end;
                        double c = strtod(val, &end);
                        if (end == val || *end || c < 0)
                                return cli_usage_error(usage, "--cpus: '%s' is not a number", val);
                        json_object_set_new(limits, "cpus", json_real(c));
                } else if (strcmp(a, "--stop-timeout") == 0) {
                        unsigned u;
                        if (bv_parse_uint(val, 0, 3600, &u) < 0)
                                return cli_usage_error(usage, "--stop-timeout: '%s' is not 0-3600", val);
                        json_object_set_new(def, "stop_timeout", json_integer(u));
                } else if (strcmp(a, "--restart") == 0 || strcmp(a, "--hostname") == 0)
                        json_object_set_new(def, a + 2, json_string(val));
                else if (strcmp(a, "--env") == 0 || strcmp(a, "-e") == 0)
                        json_array_append_new(env, json_string(val));
                else if (strcmp(a, "--nic") == 0) {
                        _cleanup_free_ char *spec = strdup(val);
                        if (!spec || add_nic(nics, spec) < 0)
                                return cli_usage_error(usage, "bad --nic '%s'", val);
                } else if (strcmp(a, "--mount") == 0) {
                        if (add_mount(mounts, val) < 0)
                                return cli_usage_error(usage, "bad --mount '%s' (SRC:DST[:OPTS], OPTS a comma list of ro, rw, idmap)", val);
                } else if (a[0] == '-')
                        return cli_usage_error(usage, "unknown option '%s'", a);
                else if (!name) {
                        name = a;
                        continue;
                } else
                        return cli_usage_error(usage, "unexpected argument '%s'", a);
                if (!flag)
                        k++;
        }
        cli_json_set_nonempty(def, "limits", limits);
        cli_json_set_nonempty(def, "nics", nics);
        cli_json_set_nonempty(def, "env", env);
        cli_json_set_nonempty(def, "mounts", mounts);
        if (cmd)
                json_object_set_new(def, "command", cmd);
        if (file) {
                struct bv_error err = {};
                json_t *f = NULL;
                if (options || cmd)
                        return cli_usage_error(usage, "--file excludes the other options");
                if (bv_json_load_file(file, 256 * 1024, &f, &err) < 0)
                        return cli_fail("%s", err.msg);
                json_decref(def);
                def = f;
        } else if (!name)
                return cli_usage_error(usage, "expected a container name");
        if (name)
                json_object_set_new(def, "name", json_string(name));
        return cli_create(cli, "container", "/v1/containers", def);
}

/* ---- lifecycle --------------------------------------------------------------------- */

static int ct_action(struct cli *cli, int argc, char **argv)
{
        char usage[96], path[320];
        json_auto_t *ct = NULL, *body = json_object();
        const char *name = NULL;
        bool is_kill = strcmp(argv[0], "kill") == 0;

        snprintf(usage, sizeof(usage), "ct %s NAME [--json]%s", argv[0],
                 is_kill ? " [-s SIGNAL]" : strcmp(argv[0], "start") ? " [-t SECONDS]" : "");
        for (int k = 1; k < argc; k++) {
                if (strcmp(argv[k], "--json") == 0)
                        cli->json = true;
                else if ((strcmp(argv[k], "-t") == 0 || strcmp(argv[k], "--timeout") == 0) && !is_kill &&
                         strcmp(argv[0], "start") && k + 1 < argc) {
                        unsigned t;
                        if (bv_parse_uint(argv[++k], 0, 3600, &t) < 0)
                                return cli_usage_error(usage, "-t: expected 0-3600 seconds");
                        json_object_set_new(body, "timeout", json_integer(t));
                } else if ((strcmp(argv[k], "-s") == 0 || strcmp(argv[k], "--signal") == 0) && is_kill && k + 1 < argc) {
                        const char *s = argv[++k];
                        int signo = bv_parse_signal(s);
                        if (signo < 0)
                                return cli_usage_error(usage, "unknown signal '%s'", s);
                        json_object_set_new(body, "signal", json_integer(signo));
                } else if (!name && argv[k][0] != '-')
                        name = argv[k];
                else
                        return cli_usage_error(usage, "unexpected argument '%s'", argv[k]);
        }
        if (!name)
                return cli_usage_error(usage, "expected a container name");
        int r = check_name(name);
        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/containers/%s/%s", name, argv[0]);
        r = cli_api(cli, "POST", path, json_object_size(body) ? body : NULL, 3700 * 1000, &ct);
        if (r)
                return r;
        if (cli->json)
                return cli_print_json(ct);
        const char *state = cli_jstr(ct, "state");
        if (json_is_integer(json_object_get(ct, "exit_code")) && strcmp(state, "running") != 0)
                printf("container '%s' is %s (exit code %lld)\n", name, state,
                       (long long)json_integer_value(json_object_get(ct, "exit_code")));
        else
                printf("container '%s' is %s\n", name, state);
        return 0;
}

static int ct_delete(struct cli *cli, int argc, char **argv)
{
        static const char usage[] = "ct delete NAME [--force]";
        const char *name = NULL;
        bool force = false;
        char path[320];

        for (int k = 1; k < argc; k++)
                if (strcmp(argv[k], "--force") == 0 || strcmp(argv[k], "-f") == 0)
                        force = true;
                else if (!name && argv[k][0] != '-')
                        name = argv[k];
                else
                        return cli_usage_error(usage, "unexpected argument '%s'", argv[k]);
        if (!name)
                return cli_usage_error(usage, "expected a container name");
        int r = check_name(name);
        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/containers/%s%s", name, force ? "?force=1" : "");
        r = cli_api(cli, "DELETE", path, NULL, 3700 * 1000, NULL);
        if (r == 0)
                printf("container '%s' deleted\n", name);
        return r;
}

/* ---- exec --------------------------------------------------------------------------- */

/*
 * exec -t: runs `RUNTIME --root ROOT exec --tty --console-socket S NAME CMD...`,
 * receives the pty master on S and relays it until the command ends.
 */
static int exec_tty(const json_t *ct, char **env, size_t n_env, char **cmd, int n_cmd)
{
        const json_t *rt = json_object_get(ct, "runtime");
        const char *runtime = json_string_value(json_object_get(rt, "path"));
        const char *root = json_string_value(json_object_get(rt, "root"));
        const char *name = json_string_value(json_object_get(ct, "name"));
        char dir[] = "/tmp/barevirt-exec.XXXXXX", sock[64];
        struct bv_error err = {};

        if (!runtime || !root || !name)
                return cli_fail("barevirtd did not say where the runtime is");
        if (!mkdtemp(dir))
                return cli_fail("mkdtemp: %s", strerror(errno));
        snprintf(sock, sizeof(sock), "%s/console.sock", dir);
        int lfd = bv_unix_listen(sock, 0600, &err);
        if (lfd < 0) {
                rmdir(dir);
                return cli_fail("%s", err.msg);
        }
        char **argv = calloc(10 + 2 * n_env + (size_t)n_cmd, sizeof(char *));
        size_t k = 0;
        if (!argv)
                return cli_fail("out of memory");
        argv[k++] = (char *)runtime;
        argv[k++] = (char *)"--root";
        argv[k++] = (char *)root;
        argv[k++] = (char *)"exec";
        argv[k++] = (char *)"--tty";
        argv[k++] = (char *)"--console-socket";
        argv[k++] = sock;
        for (size_t i = 0; i < n_env; i++) {
                argv[k++] = (char *)"--env";
                argv[k++] = env[i];
        }
        argv[k++] = (char *)"--";
        argv[k++] = (char *)name;
        for (int i = 0; i < n_cmd; i++)
                argv[k++] = cmd[i];
        pid_t pid = fork();
        if (pid == 0) {
                execv(runtime, argv);
                fprintf(stderr, "barevirt: cannot run '%s': %s\n", runtime, strerror(errno));
                _exit(127);
        }
        free(argv);
        int master = -1, status = 0;
        /* Wait for the master or for the runtime to fail. */
        for (;;) {
                struct pollfd p = { .fd = lfd, .events = POLLIN };
                if (poll(&p, 1, 100) > 0) {
                        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                        char tag[16];
                        size_t nfds = 0;
                        if (c >= 0 && bv_fd_recv(c, tag, sizeof(tag), &master, 1, &nfds) >= 0 && nfds == 1) {
                                close(c);
                                break;
                        }
                        if (c >= 0)
                                close(c);
                }
                if (pid < 0 || waitpid(pid, &status, WNOHANG) != 0) {
                        close(lfd);
                        unlink(sock);
                        rmdir(dir);
                        if (pid < 0)
                                return cli_fail("fork: %s", strerror(errno));
                        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                }
        }
        close(lfd);
        unlink(sock);
        rmdir(dir);
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
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int ct_exec(struct cli *cli, int argc, char **argv)
{
        static const char usage[] = "ct exec NAME [-t] [-e K=V] -- CMD [ARGS...]";
        const char *name = NULL;
        bool tty = false;
        char *env[64];
        size_t n_env = 0;
        int k;

        for (k = 1; k < argc; k++) {
                if (strcmp(argv[k], "--") == 0) {
                        k++;
                        break;
                }
                if (strcmp(argv[k], "-t") == 0 || strcmp(argv[k], "--tty") == 0)
                        tty = true;
                else if ((strcmp(argv[k], "-e") == 0 || strcmp(argv[k], "--env") == 0) && k + 1 < argc) {
                        if (n_env >= BV_ELEMENTSOF(env))
                                return cli_usage_error(usage, "too many --env");
                        env[n_env++] = argv[++k];
                } else if (!name && argv[k][0] != '-')
                        name = argv[k];
                else if (name && argv[k][0] != '-')
                        break;   /* the command, without "--" */
                else
                        return cli_usage_error(usage, "unexpected argument '%s'", argv[k]);
        }
        if (!name || k >= argc)
                return cli_usage_error(usage, "expected a container name and a command");
        int r = check_name(name);
        if (r)
                return r;
        if (tty) {
                json_auto_t *ct = NULL;
                if ((r = get_ct(cli, name, &ct)))
                        return r;
                if (strcmp(cli_jstr(ct, "state"), "running") != 0)
                        return cli_fail("container '%s' is %s", name, cli_jstr(ct, "state"));
                return exec_tty(ct, env, n_env, argv + k, argc - k);
        }
        json_auto_t *body = json_object(), *res = NULL;
        json_t *cmd = json_array(), *ev = json_array();
        for (int i = k; i < argc; i++)
                json_array_append_new(cmd, json_string(argv[i]));
        for (size_t i = 0; i < n_env; i++)
                json_array_append_new(ev, json_string(env[i]));
        json_object_set_new(body, "cmd", cmd);
        json_object_set_new(body, "env", ev);
        char path[320];
        snprintf(path, sizeof(path), "/v1/containers/%s/exec", name);
        if ((r = cli_api(cli, "POST", path, body, 3700 * 1000, &res)))
                return r;
        const char *out = json_string_value(json_object_get(res, "stdout"));
        const char *err = json_string_value(json_object_get(res, "stderr"));
        if (out)
                bv_fd_write_all(STDOUT_FILENO, out, json_string_length(json_object_get(res, "stdout")));
        if (err)
                bv_fd_write_all(STDERR_FILENO, err, json_string_length(json_object_get(res, "stderr")));
        return (int)json_integer_value(json_object_get(res, "exit_code"));
}

/* ---- console and logs ------------------------------------------------------------------ */

static int ct_console(struct cli *cli, int argc, char **argv)
{
        json_auto_t *ct = NULL;
        const char *name = NULL;
        char what[96];
        int r = cli_name_and_json(cli, "ct console NAME", "container", argc, argv, &name);

        if (r || (r = get_ct(cli, name, &ct)))
                return r;
        const char *state = cli_jstr(ct, "state");
        if (strcmp(state, "running") != 0)
                return cli_fail("container '%s' is %s", name, state);
        snprintf(what, sizeof(what), "container '%s'", name);
        return cli_console_relay(json_string_value(json_object_get(json_object_get(ct, "console"), "socket")), what);
}

static int ct_logs(struct cli *cli, int argc, char **argv)
{
        static const char usage[] = "ct logs NAME [-f] [-n LINES]";
        const char *name = NULL;
        bool follow = false;
        unsigned lines = 0;
        bool tail = false;
        int r;

        for (int k = 1; k < argc; k++)
                if (strcmp(argv[k], "-f") == 0 || strcmp(argv[k], "--follow") == 0)
                        follow = true;
                else if ((strcmp(argv[k], "-n") == 0 || strcmp(argv[k], "--tail") == 0) && k + 1 < argc) {
                        if (bv_parse_uint(argv[++k], 0, 1000000000, &lines) < 0)
                                return cli_usage_error(usage, "-n: expected a number of lines");
                        tail = true;
                } else if (!name && argv[k][0] != '-')
                        name = argv[k];
                else
                        return cli_usage_error(usage, "unexpected argument '%s'", argv[k]);
        if (!name)
                return cli_usage_error(usage, "expected a container name");
        if ((r = check_name(name)))
                return r;
        char path[320];
        snprintf(path, sizeof(path), "/v1/containers/%s/logs?follow=%d", name, follow);
        if (tail)
                snprintf(path + strlen(path), sizeof(path) - strlen(path), "&tail=%u", lines);
        return cli_stream(cli, path, cli_write_stdout, NULL);
}

static const struct cli_command ct_commands[] = {
        { "create", ct_create, CT_CREATE_USAGE, "define a container (no command: a system container, /sbin/init)" },
        { "list", ct_list, "ct list [--json]", "list containers" },
        { "show", ct_show, "ct show NAME [--json]", "one container: state, pid, limits, usage, NICs" },
        { "start", ct_action, "ct start NAME", "start; returns when the container runs" },
        { "stop", ct_action, "ct stop NAME [-t SECONDS]", "stop signal, then cgroup.kill after the stop timeout" },
        { "kill", ct_action, "ct kill NAME [-s SIGNAL]", "signal the container's init (default SIGKILL)" },
        { "restart", ct_action, "ct restart NAME [-t SECONDS]", "stop, then start" },
        { "delete", ct_delete, "ct delete NAME [--force]", "delete a stopped container (--force: a running one)" },
        { "exec", ct_exec, "ct exec NAME [-t] [-e K=V] -- CMD...", "run a command in the container; its exit status is ours" },
        { "console", ct_console, "ct console NAME", "attach to the container's console (Ctrl-] detaches)" },
        { "logs", ct_logs, "ct logs NAME [-f] [-n LINES]", "print the console log (-f: follow)" },
        {},
};

int cmd_ct(struct cli *cli, int argc, char **argv)
{
        return cli_dispatch(cli, "ct", ct_commands, argc - 1, argv + 1);
}
