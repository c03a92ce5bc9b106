/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --socket-group GROUP (issue 15, item 4): a second UNIX socket,
 * --group-socket (default RUN_DIR/api-group.sock), mode 0660 owned by
 * root:GROUP, whose clients get --socket-group-role (default operator).
 * The main socket stays root's and admin.
 *
 * What it defends against: the file mode is the first gate, the peer's
 * credentials the second. Every connection is accepted here and its
 * SO_PEERCRED read: uid 0 is admin; a process whose gid or supplementary
 * groups (/proc/PID/status "Groups:") include GROUP gets the role; anyone
 * else is closed at once, before a byte is read. A connection that
 * passes joins its own API server with its identity attached (struct
 * auth_peer, local), which auth.c checks for each request as it checks
 * a remote one; the audit log names it "uid:N".
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls/tls.h"
#include "tools/daemon/daemon.h"

#define MAX_CONNS 256

struct groupsock {
        struct barevirtd *d;
        int fd;
        gid_t gid;
        struct bv_http_server *api;
        struct bv_watch *watch;
};

/* Whether process pid (credentials cred) is in group gid: its gid, or one of /proc/PID/status's Groups. */
static bool in_group(const struct ucred *cred, gid_t gid)
{
        char path[64], line[4096];
        bool found = false;

        if (cred->gid == gid)
                return true;
        snprintf(path, sizeof(path), "/proc/%d/status", (int)cred->pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f))
                if (strncmp(line, "Groups:", 7) == 0) {
                        char *save = NULL;
                        for (char *t = strtok_r(line + 7, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save))
                                if (strtoul(t, NULL, 10) == gid) {
                                        found = true;
                                        break;
                                }
                        break;
                }
        fclose(f);
        return found;
}

static void on_accept(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct groupsock *g = userdata;

        for (int i = 0; i < 64; i++) {
                struct ucred cred;
                socklen_t len = sizeof(cred);
                int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (cfd < 0)
                        return;
                if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred) ||
                    (cred.uid != 0 && !in_group(&cred, g->gid))) {
                        bv_info("group socket: closed a connection of uid %d pid %d (not in group '%s')",
                                len == sizeof(cred) ? (int)cred.uid : -1, len == sizeof(cred) ? (int)cred.pid : -1,
                                g->d->socket_group);
                        close(cfd);
                        continue;
                }
                struct auth_peer *p = calloc(1, sizeof(*p));
                if (!p) {
                        close(cfd);
                        continue;
                }
                p->local = true;
                p->uid = cred.uid;
                p->role = cred.uid == 0 ? TLS_ROLE_ADMIN : g->d->socket_group_role;
                snprintf(p->addr, sizeof(p->addr), "unix");
                bv_http_server_adopt(g->api, cfd, p, free);
        }
}

int groupsock_start(struct barevirtd *d, struct bv_error *err)
{
        struct group *gr;
        struct groupsock *g;
        int r;

        if (!d->socket_group)
                return 0;
        if (!(gr = getgrnam(d->socket_group)))
                return bv_error_set(err, ENOENT, "--socket-group: no group named '%s'", d->socket_group);
        if (!(g = calloc(1, sizeof(*g))))
                return -ENOMEM;
        g->d = d;
        g->gid = gr->gr_gid;
        g->fd = -1;
        d->groupsock = g;
        if ((r = api_server_new(d, MAX_CONNS, &g->api, err)) < 0)
                return r;
        if ((g->fd = bv_unix_listen(d->group_socket_path, 0660, err)) < 0)
                return g->fd;
        if (chown(d->group_socket_path, 0, g->gid) < 0)
                return bv_error_set_errno(err, errno, "--group-socket '%s': chown to group '%s' failed",
                                          d->group_socket_path, d->socket_group);
        if ((r = bv_loop_add_fd(d->loop, g->fd, EPOLLIN, on_accept, g, &g->watch)) < 0)
                return bv_error_set_errno(err, r, "Cannot watch the group socket");
        bv_info("group socket '%s' for group '%s' (%s)", d->group_socket_path, d->socket_group,
                tls_role_name((enum tls_role)d->socket_group_role));
        return 0;
}

void groupsock_free(struct barevirtd *d)
{
        struct groupsock *g = d->groupsock;

        if (!g)
                return;
        bv_watch_remove(g->watch);
        bv_http_server_free(g->api);
        if (g->fd >= 0) {
                close(g->fd);
                unlink(d->group_socket_path);
        }
        free(g);
        d->groupsock = NULL;
}
