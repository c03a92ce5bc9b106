/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt-runtime entry point: global options, the verb table, logging.
 * Verbs that put a process into a container (create, run, exec) first make
 * sure the runtime runs from a sealed memfd copy of itself (CVE-2019-5736,
 * see ctr/oci-spec.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "tools/runtime/runtime.h"

extern char **environ;

struct rt_globals rt = { .root = CTR_DEFAULT_STATE_ROOT };
const char *rt_env_value;
char *rt_env_list[65];
static size_t rt_env_n;

static void log_line(const char *level, const char *msg)
{
        if (!rt.log)
                return;
        int fd = open(rt.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return;
        char ts[64];
        struct timespec now;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &now);
        gmtime_r(&now.tv_sec, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
        char *line = NULL;
        if (rt.log_json) {
                json_t *j = json_pack("{s:s, s:o, s:s}", "level", level, "msg", bv_json_string_lossy(msg, strlen(msg)), "time", ts);
                line = j ? json_dumps(j, JSON_COMPACT) : NULL;
                json_decref(j);
        } else if (asprintf(&line, "time=\"%s\" level=%s msg=\"%s\"", ts, level, msg) < 0)
                line = NULL;
        if (line) {
                dprintf(fd, "%s\n", line);
                free(line);
        }
        close(fd);
}

int rt_fail(const char *fmt, ...)
{
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        fprintf(stderr, "barevirt-runtime: %s\n", msg);
        log_line("error", msg);
        return 1;
}

int rt_fail_err(const char *what, int r, const struct bv_error *err)
{
        if (what)
                return rt_fail("%s: %s", what, bv_error_message(err, r));
        return rt_fail("%s", bv_error_message(err, r));
}

static const struct rt_opt *find_opt(struct rt_opt *opts, const char *arg, const char **inline_val)
{
        *inline_val = NULL;
        if (arg[1] == '-') {
                const char *name = arg + 2;
                size_t l = strcspn(name, "=");
                for (struct rt_opt *o = opts; o->long_name; o++)
                        if (strlen(o->long_name) == l && strncmp(o->long_name, name, l) == 0) {
                                if (name[l] == '=')
                                        *inline_val = name + l + 1;
                                return o;
                        }
                return NULL;
        }
        for (struct rt_opt *o = opts; o->long_name; o++)
                if (o->short_name && o->short_name == arg[1] && (!arg[2] || o->has_arg)) {
                        if (arg[2])
                                *inline_val = arg + 2 + (arg[2] == '=');
                        return o;
                }
        return NULL;
}

int rt_parse_opts(int argc, char **argv, struct rt_opt *opts, const char *verb)
{
        int i;
        for (i = 1; i < argc; i++) {
                const char *a = argv[i], *val;
                if (strcmp(a, "--") == 0)
                        return i + 1;
                if (a[0] != '-' || !a[1])
                        return i;
                const struct rt_opt *o = find_opt(opts, a, &val);
                if (!o) {
                        rt_fail("%s: unknown option '%s'", verb, a);
                        return -EINVAL;
                }
                if (o->has_arg) {
                        if (!val) {
                                if (i + 1 >= argc) {
                                        rt_fail("%s: option '%s' needs a value", verb, a);
                                        return -EINVAL;
                                }
                                val = argv[++i];
                        }
                        *o->str = val;
                        if (o->str == &rt_env_value) {
                                if (rt_env_n >= 64) {
                                        rt_fail("%s: too many --env options", verb);
                                        return -EINVAL;
                                }
                                rt_env_list[rt_env_n++] = (char *)val;
                        }
                } else if (o->flag) {
                        *o->flag = !val || strcmp(val, "false") != 0;
                }
        }
        return i;
}

static const struct verb {
        const char *name;
        int (*fn)(int argc, char **argv);
        bool sealed;
        const char *usage;
} verbs[] = {
        { "create", cmd_create, true, "create [--bundle DIR] [--console-socket PATH] [--pid-file PATH] [--no-pivot] [--preserve-fds N] ID" },
        { "run", cmd_run, true, "run [--bundle DIR] [--detach] [--console-socket PATH] [--pid-file PATH] [--no-pivot] [--preserve-fds N] ID" },
        { "start", cmd_start, false, "start ID" },
        { "state", cmd_state, false, "state ID" },
        { "kill", cmd_kill, false, "kill [--all] ID [SIGNAL]" },
        { "delete", cmd_delete, false, "delete [--force] ID" },
        { "pause", cmd_pause, false, "pause ID" },
        { "resume", cmd_resume, false, "resume ID" },
        { "exec", cmd_exec, true, "exec [--tty] [--console-socket PATH] [--process FILE] [--detach] [--pid-file PATH] [--cwd DIR] [--env K=V] [--user UID[:GID]] ID [COMMAND...]" },
        { "list", cmd_list, false, "list [--format table|json] [--quiet]" },
        { "ps", cmd_ps, false, "ps [--format table|json] ID" },
        { "spec", cmd_spec, false, "spec [--bundle DIR]" },
        { "features", cmd_features, false, "features" },
        { "monitor", cmd_monitor, true, "monitor --bundle DIR --dir DIR [--restart no|on-failure|always] [--stop-signal SIG] [--stop-timeout S] [--log-max BYTES] [--ready-fd N] ID" },
};

static void usage(FILE *f)
{
        fprintf(f, "usage: barevirt-runtime [--root DIR] [--log FILE] [--log-format text|json] [--debug] COMMAND ...\n");
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                fprintf(f, "  %s\n", verbs[i].usage);
}

int main(int argc, char **argv)
{
        const char *log_format = "text", *log_level = NULL, *criu = NULL;
        bool systemd_cgroup = false, rootless_flag = false, help = false, version = false;
        const char *rootless = NULL;
        struct rt_opt globals[] = {
                { "root", 0, true, &rt.root, NULL },
                { "log", 0, true, &rt.log, NULL },
                { "log-format", 0, true, &log_format, NULL },
                { "log-level", 0, true, &log_level, NULL },
                { "debug", 0, false, NULL, &rt.debug },
                { "systemd-cgroup", 0, false, NULL, &systemd_cgroup },
                { "rootless", 0, true, &rootless, NULL },
                { "criu", 0, true, &criu, NULL },
                { "help", 'h', false, NULL, &help },
                { "version", 'v', false, NULL, &version },
                { NULL, 0, false, NULL, NULL },
        };
        (void)rootless_flag;
        int i = rt_parse_opts(argc, argv, globals, "barevirt-runtime");
        if (i < 0)
                return 1;
        rt.log_json = strcmp(log_format, "json") == 0;
        if (!rt.log_json && strcmp(log_format, "text") != 0)
                return rt_fail("unknown --log-format '%s' (text or json)", log_format);
        if (version) {
                printf("barevirt-runtime version %s\nspec: %s\n", BAREVIRT_VERSION, CTR_OCI_VERSION);
                return 0;
        }
        if (help || i >= argc) {
                usage(help ? stdout : stderr);
                return help ? 0 : 1;
        }
        /* Accepted: a "slice:prefix:name" cgroupsPath is placed where systemd would name it, on any host. */
        (void)systemd_cgroup;
        if (rootless && strcmp(rootless, "false") != 0 && strcmp(rootless, "auto") != 0)
                return rt_fail("--rootless=%s is not supported", rootless);
        for (size_t k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++) {
                if (strcmp(verbs[k].name, argv[i]) != 0)
                        continue;
                if (verbs[k].sealed) {
                        struct bv_error err = { 0 };
                        int r = ctr_exe_ensure_sealed(argv, environ, &err);
                        if (r < 0)
                                return rt_fail_err(NULL, r, &err);
                }
                return verbs[k].fn(argc - i, argv + i);
        }
        rt_fail("unknown command '%s'", argv[i]);
        usage(stderr);
        return 1;
}
