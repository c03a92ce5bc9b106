/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The console relay shared by `vm console` (a VM's serial socket) and `ct
 * console` (a container monitor's console.sock): the CLI connects straight
 * to the socket, so keystrokes never pass through barevirtd. On a terminal,
 * stdin goes raw and Ctrl-] detaches; with stdin from a pipe, its bytes are
 * sent and output is printed until the other side is quiet for a second.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "common/common.h"
#include "tools/cli/cli.h"

#define CTRL_RBRACKET 0x1d

static struct termios saved_tio;
static bool tty_raw;

static void restore_tty(void)
{
        if (tty_raw)
                tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
        tty_raw = false;
}

bool cli_tty_raw(void)
{
        struct termios raw;

        if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
                return false;
        raw = saved_tio;
        cfmakeraw(&raw);
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
                return false;
        if (!tty_raw)
                atexit(restore_tty);
        tty_raw = true;
        return true;
}

void cli_tty_restore(void)
{
        restore_tty();
}

int cli_relay(int fd, const struct cli_relay_opts *o)
{
        struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = STDIN_FILENO, .events = POLLIN } };
        bool stdin_open = true;
        char buf[4096];

        for (;;) {
                int n = poll(p, stdin_open ? 2 : 1, stdin_open ? -1 : o->quiet_ms);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (p[0].revents) {
                        ssize_t k = read(fd, buf, sizeof(buf));
                        if (k <= 0 || bv_fd_write_all(STDOUT_FILENO, buf, (size_t)k) < 0)
                                break;
                }
                if (stdin_open && p[1].revents) {
                        ssize_t k = read(STDIN_FILENO, buf, sizeof(buf));
                        if (k <= 0) {
                                stdin_open = false;
                                if (o->eot_on_eof)
                                        bv_fd_write_all(fd, "\x04", 1);   /* EOF for the program */
                                continue;
                        }
                        if (o->detach_key && memchr(buf, CTRL_RBRACKET, (size_t)k)) {
                                k = (char *)memchr(buf, CTRL_RBRACKET, (size_t)k) - buf;
                                bv_fd_write_all(fd, buf, (size_t)k);
                                return 1;
                        }
                        if (bv_fd_write_all(fd, buf, (size_t)k) < 0)
                                break;
                }
        }
        return 0;
}

int cli_console_relay(const char *socket_path, const char *what)
{
        struct bv_error err = {};
        _cleanup_close_ int fd = bv_unix_connect(socket_path ? socket_path : "", 0, &err);

        if (fd < 0)
                return cli_fail("%s", err.msg);
        bool tty = cli_tty_raw();
        if (tty)
                fprintf(stderr, "Connected to the console of %s (Ctrl-] to detach)\r\n", what);
        /* With stdin from a pipe, keep printing after its end until the other side is quiet for 1 s. */
        struct cli_relay_opts o = { .detach_key = tty, .quiet_ms = 1000 };
        cli_relay(fd, &o);
        if (tty) {
                cli_tty_restore();
                fprintf(stderr, "\r\nDetached from %s\r\n", what);
        }
        return 0;
}

int cli_console(struct cli *cli, const char *what, const char *collection, const char *const *states, int argc,
                char **argv)
{
        json_auto_t *v = NULL;
        const char *name = NULL;
        char text[96];
        int r = cli_parse_name(cli, what, argc, argv, NULL, NULL, &name);

        if (r || (r = cli_get(cli, collection, name, &v)))
                return r;
        if (cli->remote_name[0])
                return cli_fail("the console of %s '%s' is a socket on its host: not reachable over remote '%s' yet",
                                what, name, cli->remote_name);
        const char *state = cli_jstr(v, "state");
        bool ok = false;
        for (size_t i = 0; states[i]; i++)
                ok |= strcmp(state, states[i]) == 0;
        if (!ok)
                return cli_fail("%s '%s' is %s", what, name, state);
        snprintf(text, sizeof(text), "%s '%s'", what, name);
        return cli_console_relay(json_string_value(json_object_get(json_object_get(v, "console"), "socket")), text);
}
