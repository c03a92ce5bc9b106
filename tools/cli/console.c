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

#include "common/cleanup.h"
#include "common/fd.h"
#include "tools/cli/cli.h"

#define CTRL_RBRACKET 0x1d

static struct termios saved_tio;
static void restore_tty(void)
{
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

int cli_console_relay(const char *socket_path, const char *what)
{
        struct bv_error err = {};
        _cleanup_close_ int fd = bv_unix_connect(socket_path ? socket_path : "", 0, &err);

        if (fd < 0)
                return cli_fail("%s", err.msg);
        bool tty = isatty(STDIN_FILENO);
        if (tty) {
                struct termios raw;
                tcgetattr(STDIN_FILENO, &saved_tio);
                raw = saved_tio;
                cfmakeraw(&raw);
                tcsetattr(STDIN_FILENO, TCSANOW, &raw);
                atexit(restore_tty);
                fprintf(stderr, "Connected to the console of %s (Ctrl-] to detach)\r\n", what);
        }
        struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = STDIN_FILENO, .events = POLLIN } };
        bool stdin_open = true;
        char buf[4096];
        for (;;) {
                /* With stdin from a pipe, keep printing after its end until the other side is quiet for 1 s. */
                int n = poll(p, stdin_open ? 2 : 1, stdin_open ? -1 : 1000);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (p[0].revents) {
                        ssize_t k = read(fd, buf, sizeof(buf));
                        if (k <= 0)
                                break;
                        if (bv_fd_write_all(STDOUT_FILENO, buf, (size_t)k) < 0)
                                break;
                }
                if (stdin_open && p[1].revents) {
                        ssize_t k = read(STDIN_FILENO, buf, sizeof(buf));
                        if (k <= 0) {
                                stdin_open = false;
                                continue;
                        }
                        if (tty && memchr(buf, CTRL_RBRACKET, (size_t)k)) {
                                k = (char *)memchr(buf, CTRL_RBRACKET, (size_t)k) - buf;
                                bv_fd_write_all(fd, buf, (size_t)k);
                                break;
                        }
                        if (bv_fd_write_all(fd, buf, (size_t)k) < 0)
                                break;
                }
        }
        if (tty)
                fprintf(stderr, "\r\nDetached from %s\r\n", what);
        return 0;
}
