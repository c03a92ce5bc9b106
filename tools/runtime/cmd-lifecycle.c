/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The verbs that change a container: create, run, start, kill, delete,
 * exec. Argument parsing and output only; ctr/ctr.h (OCI runtime) does the work.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "tools/runtime/runtime.h"

struct create_args {
        const char *bundle, *console, *pid_file, *preserve, *no_new_keyring_s;
        bool no_pivot, detach, no_new_keyring, no_subreaper, keep;
};

static int parse_create(int argc, char **argv, struct create_args *c, bool run, const char **id)
{
        struct rt_opt opts[] = {
                { "bundle", 'b', true, &c->bundle, NULL },
                { "console-socket", 0, true, &c->console, NULL },
                { "pid-file", 0, true, &c->pid_file, NULL },
                { "preserve-fds", 0, true, &c->preserve, NULL },
                { "no-pivot", 0, false, NULL, &c->no_pivot },
                { "no-new-keyring", 0, false, NULL, &c->no_new_keyring },
                { "no-subreaper", 0, false, NULL, &c->no_subreaper },
                { "keep", 0, false, NULL, &c->keep },
                { "detach", 'd', false, NULL, run ? &c->detach : NULL },
                { NULL, 0, false, NULL, NULL },
        };
        int i = rt_parse_opts(argc, argv, opts, argv[0]);
        if (i < 0)
                return i;
        if (i != argc - 1) {
                rt_fail("%s: expected exactly one container id", argv[0]);
                return -EINVAL;
        }
        *id = argv[i];
        return 0;
}

static int do_create(int argc, char **argv, bool run)
{
        struct create_args c = { 0 };
        struct bv_error err = { 0 };
        struct ctr_config *cfg = NULL;
        const char *id;
        char bundle[PATH_MAX];
        unsigned preserve = 0;
        pid_t pid;
        int r;

        if (parse_create(argc, argv, &c, run, &id) < 0)
                return 1;
        if (!realpath(c.bundle ? c.bundle : ".", bundle))
                return rt_fail("bundle '%s': %s", c.bundle ? c.bundle : ".", strerror(errno));
        if (c.preserve && bv_parse_uint(c.preserve, 0, 1000, &preserve) < 0)
                return rt_fail("invalid --preserve-fds '%s'", c.preserve);
        r = ctr_config_load(bundle, &cfg, &err);
        if (r < 0)
                return rt_fail_err(NULL, r, &err);
        /* run with a terminal and no --console-socket: the pty comes to us. */
        int sv[2] = { -1, -1 }, master = -1;
        if (run && !c.detach && !c.console && ctr_config_terminal(cfg) &&
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
                ctr_config_free(cfg);
                return rt_fail("Failed to create the console socket: %s", strerror(errno));
        }
        struct ctr_create_opts o = { .state_root = rt.root, .id = id, .bundle = bundle,
                                     .console_socket = c.console, .has_console_fd = sv[1] >= 0, .console_fd = sv[1], .pid_file = c.pid_file,
                                     .no_pivot = c.no_pivot, .preserve_fds = preserve, .start_now = run };
        r = ctr_container_create(cfg, &o, &pid, &err);
        ctr_config_free(cfg);
        if (sv[1] >= 0)
                close(sv[1]);
        if (r < 0) {
                if (sv[0] >= 0)
                        close(sv[0]);
                return rt_fail_err(NULL, r, &err);
        }
        if (sv[0] >= 0) {
                char buf[16];
                size_t nfds = 0;
                if (bv_fd_recv(sv[0], buf, sizeof(buf), &master, 1, &nfds) <= 0 || nfds != 1)
                        master = -1;
                close(sv[0]);
        }
        if (!run || c.detach)
                return 0;
        /* Foreground run: we are the init's parent; forward signals (and the tty), then clean up. */
        int code = rt_foreground(pid, master);
        if (master >= 0)
                close(master);
        r = ctr_container_delete(rt.root, id, true, &err);
        if (r < 0)
                rt_fail_err("delete", r, &err);
        return code;
}

int cmd_create(int argc, char **argv)
{
        return do_create(argc, argv, false);
}

int cmd_run(int argc, char **argv)
{
        return do_create(argc, argv, true);
}

static int one_id(int argc, char **argv, struct rt_opt *opts, const char **id)
{
        int i = rt_parse_opts(argc, argv, opts, argv[0]);
        if (i < 0)
                return i;
        if (i >= argc) {
                rt_fail("%s: missing container id", argv[0]);
                return -EINVAL;
        }
        *id = argv[i];
        return i;
}

int cmd_start(int argc, char **argv)
{
        struct rt_opt opts[] = { { NULL, 0, false, NULL, NULL } };
        struct bv_error err = { 0 };
        const char *id;
        if (one_id(argc, argv, opts, &id) < 0)
                return 1;
        int r = ctr_container_start(rt.root, id, &err);
        return r < 0 ? rt_fail_err(NULL, r, &err) : 0;
}

int cmd_kill(int argc, char **argv)
{
        bool all = false;
        struct rt_opt opts[] = { { "all", 'a', false, NULL, &all }, { NULL, 0, false, NULL, NULL } };
        struct bv_error err = { 0 };
        const char *id;
        int i = one_id(argc, argv, opts, &id);
        if (i < 0)
                return 1;
        int sig = SIGTERM;
        if (i + 1 < argc && (sig = bv_parse_signal(argv[i + 1])) < 0)
                return rt_fail("unknown signal '%s'", argv[i + 1]);
        int r = ctr_container_kill(rt.root, id, sig, all, &err);
        return r < 0 ? rt_fail_err(NULL, r, &err) : 0;
}

static int pause_or_resume(int argc, char **argv, bool pause)
{
        struct rt_opt opts[] = { { NULL, 0, false, NULL, NULL } };
        struct bv_error err = { 0 };
        const char *id;
        if (one_id(argc, argv, opts, &id) < 0)
                return 1;
        int r = ctr_container_pause(rt.root, id, pause, &err);
        return r < 0 ? rt_fail_err(NULL, r, &err) : 0;
}

int cmd_pause(int argc, char **argv)
{
        return pause_or_resume(argc, argv, true);
}

int cmd_resume(int argc, char **argv)
{
        return pause_or_resume(argc, argv, false);
}

int cmd_delete(int argc, char **argv)
{
        bool force = false;
        struct rt_opt opts[] = { { "force", 'f', false, NULL, &force }, { NULL, 0, false, NULL, NULL } };
        struct bv_error err = { 0 };
        const char *id;
        if (one_id(argc, argv, opts, &id) < 0)
                return 1;
        int r = ctr_container_delete(rt.root, id, force, &err);
        if (r == -ENOENT && force)
                return 0;
        return r < 0 ? rt_fail_err(NULL, r, &err) : 0;
}

int cmd_exec(int argc, char **argv)
{
        const char *console = NULL, *pid_file = NULL, *process = NULL, *cwd = NULL, *user = NULL,
                   *preserve = NULL, *apparmor = NULL, *label = NULL, *cap = NULL;
        bool tty = false, detach = false, nnp = false, ignore = false;
        struct rt_opt opts[] = {
                { "console-socket", 0, true, &console, NULL }, { "pid-file", 0, true, &pid_file, NULL },
                { "process", 'p', true, &process, NULL }, { "cwd", 0, true, &cwd, NULL },
                { "user", 'u', true, &user, NULL }, { "preserve-fds", 0, true, &preserve, NULL },
                { "env", 'e', true, &rt_env_value, NULL }, { "tty", 't', false, NULL, &tty },
                { "detach", 'd', false, NULL, &detach }, { "no-new-privs", 0, false, NULL, &nnp },
                { "apparmor", 0, true, &apparmor, NULL }, { "process-label", 0, true, &label, NULL },
                { "cap", 'c', true, &cap, NULL }, { "ignore-paused", 0, false, NULL, &ignore },
                { NULL, 0, false, NULL, NULL },
        };
        int i = rt_parse_opts(argc, argv, opts, "exec");
        if (i < 0)
                return 1;
        if (i >= argc)
                return rt_fail("exec: missing container id");
        const char *id = argv[i++];
        if (cap)
                return rt_fail("exec: --cap is not supported");
        struct bv_error err = { 0 };
        struct ctr_process *p = NULL;
        int r;
        if (process) {
                r = ctr_process_load(process, &p, &err);
                if (r < 0)
                        return rt_fail_err("exec --process", r, &err);
        } else {
                struct ctr_config *cfg = NULL;
                if (i >= argc)
                        return rt_fail("exec: missing command");
                r = ctr_container_config(rt.root, id, &cfg, &err);
                if (r < 0)
                        return rt_fail_err(NULL, r, &err);
                r = ctr_process_for_exec(cfg, argv + i, rt_env_list, cwd, user, tty, &p, &err);
                ctr_config_free(cfg);
                if (r < 0)
                        return rt_fail_err("exec", r, &err);
        }
        ctr_process_set_lsm(p, apparmor, label);
        unsigned pf = 0;
        if (preserve && bv_parse_uint(preserve, 0, 1000, &pf) < 0)
                return rt_fail("invalid --preserve-fds '%s'", preserve);
        struct ctr_exec_opts o = { .console_socket = console, .pid_file = pid_file, .preserve_fds = pf };
        pid_t pid;
        r = ctr_container_exec(rt.root, id, p, &o, &pid, &err);
        ctr_process_free(p);
        /* A command that is not there exits 127, one that cannot run 126, as a shell (and Docker) says. */
        if (r == -ENOENT)
                return rt_fail_err(NULL, r, &err), 127;
        if (r == -EACCES || r == -ENOEXEC || r == -EISDIR)
                return rt_fail_err(NULL, r, &err), 126;
        if (r < 0)
                return rt_fail_err(NULL, r, &err);
        if (detach)
                return 0;
        return ctr_child_wait_exit(pid);
}
