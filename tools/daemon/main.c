/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirtd: the daemon. Parses its flags, takes the run-directory lock
 * (one daemon per run dir), opens the API socket and runs the event loop
 * until SIGTERM or SIGINT. Everything else lives in the registry, the
 * api-*.c files and the library folders (see daemon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "net/net.h"
#ifdef BV_TLS
#include "tls/tls.h"
#endif
#include "tools/daemon/daemon.h"

#define DEFAULT_STATE_DIR "/var/lib/barevirt"
#define DEFAULT_RUN_DIR "/run/barevirt"

static void usage(FILE *f)
{
        fprintf(f,
                "usage: barevirtd [OPTIONS]\n"
                "\n"
                "The barevirt daemon: serves the REST API on a UNIX socket and owns every\n"
                "VM and container. Runs in the foreground; SIGTERM or SIGINT stops it\n"
                "(guests keep running).\n"
                "\n"
                "  --state-dir DIR       definitions (default %s)\n"
                "  --run-dir DIR         sockets, pidfiles, lock (default %s)\n"
                "  --socket PATH         API socket (default RUN_DIR/api.sock)\n"
                "  --netns PATH          do all networking inside this network namespace\n"
                "  --qemu PATH           QEMU binary (default qemu-system-x86_64 from $PATH)\n"
                "  --docker-socket PATH  Docker engine (default /var/run/docker.sock)\n"
                "  --podman-socket PATH  Podman service (default /run/podman/podman.sock)\n"
                "  --runtime PATH        barevirt-runtime for containers (default: beside barevirtd)\n"
                "  --cgroup-parent NAME  containers' cgroups are NAME/CONTAINER in the v2 tree (default barevirt)\n"
                "  --nft-table NAME      barevirtd's nftables tables: inet NAME and bridge NAME\n"
                "                        (default: the --cgroup-parent name)\n"
                "  --allow-forwarding    NAT networks may turn on IP forwarding in the host's namespace\n"
                "                        (inside --netns barevirtd turns it on itself)\n"
                "  --listen ADDR:PORT    also serve HTTPS there (repeatable; [ADDR]:PORT for IPv6),\n"
                "                        through barevirt-proxy; clients need a token or a trusted certificate\n"
                "  --tls-cert FILE       server certificate (PEM; default: STATE_DIR/tls/server.pem, made once)\n"
                "  --tls-key FILE        its private key (PEM; with --tls-cert)\n"
                "  --tls-min 1.2|1.3     lowest TLS version served (default 1.3)\n"
                "  --tls-handshake-timeout SECONDS  close connections still in their handshake (default 10)\n"
                "  --max-connections N   HTTPS connections held at most (default 1024)\n"
                "  --max-connections-per-source N  from one client address (default 64)\n"
                "  --request-timeout SECONDS  a request's head and body must arrive within (default 10; 408)\n"
                "  --idle-timeout SECONDS     close keep-alive HTTPS connections idle this long (default 60)\n"
                "  --max-header-bytes N  largest request head (default 16384; 431)\n"
                "  --max-body BYTES      largest request body, where an endpoint has no smaller limit\n"
                "                        (default 1048576; 413 before the body is read)\n"
                "  --proxy PATH          barevirt-proxy (default: beside barevirtd, else %s)\n"
                "  --proxy-user USER     the unprivileged user barevirt-proxy runs as\n"
                "                        (default barevirt when it exists, else nobody)\n"
                "  --socket-group GROUP  a second API socket for GROUP's members (mode 0660, root:GROUP)\n"
                "  --socket-group-role viewer|operator|admin  their role (default operator)\n"
                "  --group-socket PATH   that socket (default RUN_DIR/api-group.sock)\n"
                "  -v, --verbose         log debug messages\n"
                "  -q, --quiet           log warnings and errors only\n"
                "  --version             print the version\n"
                "  -h, --help            this text\n",
                DEFAULT_STATE_DIR, DEFAULT_RUN_DIR, BV_LIBEXECDIR "/barevirt-proxy");
}

enum { OPT_STATE = 256, OPT_RUN, OPT_SOCKET, OPT_NETNS, OPT_QEMU, OPT_DOCKER, OPT_PODMAN, OPT_RUNTIME,
       OPT_CGROUP_PARENT, OPT_VERSION, OPT_ALLOW_FORWARDING, OPT_NFT_TABLE, OPT_LISTEN, OPT_TLS_CERT, OPT_TLS_KEY,
       OPT_TLS_MIN, OPT_TLS_HANDSHAKE, OPT_PROXY, OPT_PROXY_USER, OPT_SOCKET_GROUP, OPT_SOCKET_GROUP_ROLE,
       OPT_GROUP_SOCKET, OPT_LIMIT };

/* The numeric limits (struct remote_limits), each a flag with bounds. */
static const struct {
        const char *name;
        size_t offset;
        unsigned min, max;
} limit_flags[] = {
        { "max-connections", offsetof(struct remote_limits, max_conns), 1, 16384 },
        { "max-connections-per-source", offsetof(struct remote_limits, max_per_source), 1, 16384 },
        { "request-timeout", offsetof(struct remote_limits, request_timeout_s), 1, 3600 },
        { "idle-timeout", offsetof(struct remote_limits, idle_timeout_s), 1, 86400 },
        { "max-header-bytes", offsetof(struct remote_limits, max_header_bytes), 1024, BV_HTTP_MAX_HEAD },
        { "max-body", offsetof(struct remote_limits, max_body), 4096, 64u << 20 },
};

static int parse_limit(struct barevirtd *d, const char *flag, const char *arg)
{
        for (size_t i = 0; i < BV_ELEMENTSOF(limit_flags); i++) {
                if (strcmp(flag, limit_flags[i].name) != 0)
                        continue;
                unsigned *v = (unsigned *)((char *)&d->limits + limit_flags[i].offset);
                if (bv_parse_uint(arg, limit_flags[i].min, limit_flags[i].max, v) < 0) {
                        fprintf(stderr, "barevirtd: --%s '%s': expected %u to %u\n", flag, arg, limit_flags[i].min,
                                limit_flags[i].max);
                        return 2;
                }
                return 0;
        }
        return 2;
}

/* The --listen family. 0, or 2 after a usage error. */
static int parse_tls_option(struct barevirtd *d, int c, const char *arg)
{
        struct sockaddr_storage ss;
        socklen_t len;
        struct bv_error err = {};
        unsigned secs;

        switch (c) {
        case OPT_LISTEN:
                if (d->n_listen >= REMOTE_MAX_LISTEN) {
                        fprintf(stderr, "barevirtd: at most %d --listen\n", REMOTE_MAX_LISTEN);
                        return 2;
                }
#ifdef BV_TLS
                if (remote_parse_listen(arg, &ss, &len, &err) < 0) {
                        fprintf(stderr, "barevirtd: %s\n", err.msg);
                        return 2;
                }
#else
                (void)ss, (void)len, (void)err;
                fprintf(stderr, "barevirtd: --listen: this barevirtd was built without TLS (--disable-tls)\n");
                return 2;
#endif
                d->listen[d->n_listen++] = arg;
                return 0;
        case OPT_TLS_CERT: d->tls_cert = arg; return 0;
        case OPT_TLS_KEY: d->tls_key = arg; return 0;
        case OPT_TLS_MIN:
                if (strcmp(arg, "1.2") && strcmp(arg, "1.3")) {
                        fprintf(stderr, "barevirtd: --tls-min '%s': expected 1.2 or 1.3\n", arg);
                        return 2;
                }
                d->tls_min = arg[2] == '2' ? 12 : 13;
                return 0;
        case OPT_TLS_HANDSHAKE:
                if (bv_parse_uint(arg, 1, 3600, &secs) < 0) {
                        fprintf(stderr, "barevirtd: --tls-handshake-timeout '%s': expected 1 to 3600 seconds\n", arg);
                        return 2;
                }
                d->tls_handshake_ms = secs * 1000;
                return 0;
        case OPT_PROXY: d->proxy_path = arg; return 0;
        case OPT_SOCKET_GROUP: case OPT_SOCKET_GROUP_ROLE: case OPT_GROUP_SOCKET:
#ifdef BV_TLS
                if (c == OPT_SOCKET_GROUP)
                        d->socket_group = arg;
                else if (c == OPT_GROUP_SOCKET)
                        d->group_socket_path = arg;
                else if ((d->socket_group_role = tls_role_from_name(arg)) < 0) {
                        fprintf(stderr, "barevirtd: --socket-group-role '%s': expected viewer, operator or admin\n", arg);
                        return 2;
                }
                return 0;
#else
                fprintf(stderr, "barevirtd: --socket-group: this barevirtd was built without TLS (--disable-tls)\n");
                return 2;
#endif
        default: d->proxy_user = arg; return 0;
        }
}

/*
 * Takes an exclusive flock on RUN_DIR/barevirtd.lock and writes our pid
 * into it. A second daemon on the same run dir fails here, naming the lock
 * and the pid holding it, before touching the socket.
 */
static int take_lock(struct barevirtd *d, struct bv_error *err)
{
        char path[4096];

        snprintf(path, sizeof(path), "%s/barevirtd.lock", d->run_dir);
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return bv_error_set_errno(err, errno, "Failed to open lock file '%s'", path);
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                int e = errno;
                char pid[32] = "";
                ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
                if (n > 0)
                        pid[strcspn(pid, "\n")] = '\0';
                if (e == EWOULDBLOCK)
                        return bv_error_set(err, EBUSY,
                                            "Another barevirtd (pid %s) holds the lock '%s' on run directory '%s'",
                                            n > 0 ? pid : "unknown", path, d->run_dir);
                return bv_error_set_errno(err, e, "Failed to lock '%s'", path);
        }
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
                return bv_error_set_errno(err, errno, "Failed to write lock file '%s'", path);
        d->lock_fd = TAKE_FD(fd);
        return 0;
}

static int enter_netns(const char *path, struct bv_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return bv_error_set_errno(err, errno, "Failed to open network namespace '%s'", path);
        if (setns(fd, CLONE_NEWNET) < 0)
                return bv_error_set_errno(err, errno, "Failed to enter network namespace '%s'", path);
        return 0;
}

static void on_quit_signal(struct bv_loop *loop, int signo, void *userdata)
{
        bv_info("received %s, shutting down", strsignal(signo));
        bv_loop_quit(loop, 0);
}

/* Parses the flags into d; -1 to go on, else the exit code (after --help, --version or a usage error). */
static int parse_args(int argc, char **argv, struct barevirtd *d, enum bv_log_level *level)
{
        static const struct option opts[] = {
                { "state-dir", required_argument, NULL, OPT_STATE },
                { "run-dir", required_argument, NULL, OPT_RUN },
                { "socket", required_argument, NULL, OPT_SOCKET },
                { "netns", required_argument, NULL, OPT_NETNS },
                { "qemu", required_argument, NULL, OPT_QEMU },
                { "docker-socket", required_argument, NULL, OPT_DOCKER },
                { "podman-socket", required_argument, NULL, OPT_PODMAN },
                { "runtime", required_argument, NULL, OPT_RUNTIME },
                { "cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT },
                { "allow-forwarding", no_argument, NULL, OPT_ALLOW_FORWARDING },
                { "nft-table", required_argument, NULL, OPT_NFT_TABLE },
                { "listen", required_argument, NULL, OPT_LISTEN },
                { "tls-cert", required_argument, NULL, OPT_TLS_CERT },
                { "tls-key", required_argument, NULL, OPT_TLS_KEY },
                { "tls-min", required_argument, NULL, OPT_TLS_MIN },
                { "tls-handshake-timeout", required_argument, NULL, OPT_TLS_HANDSHAKE },
                { "proxy", required_argument, NULL, OPT_PROXY },
                { "proxy-user", required_argument, NULL, OPT_PROXY_USER },
                { "socket-group", required_argument, NULL, OPT_SOCKET_GROUP },
                { "socket-group-role", required_argument, NULL, OPT_SOCKET_GROUP_ROLE },
                { "group-socket", required_argument, NULL, OPT_GROUP_SOCKET },
                { "max-connections", required_argument, NULL, OPT_LIMIT },
                { "max-connections-per-source", required_argument, NULL, OPT_LIMIT },
                { "request-timeout", required_argument, NULL, OPT_LIMIT },
                { "idle-timeout", required_argument, NULL, OPT_LIMIT },
                { "max-header-bytes", required_argument, NULL, OPT_LIMIT },
                { "max-body", required_argument, NULL, OPT_LIMIT },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { "version", no_argument, NULL, OPT_VERSION },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c, idx;

        while ((c = getopt_long(argc, argv, "vqh", opts, &idx)) >= 0) {
                switch (c) {
                case OPT_STATE: d->state_dir = optarg; break;
                case OPT_RUN: d->run_dir = optarg; break;
                case OPT_SOCKET: d->socket_path = optarg; break;
                case OPT_NETNS: d->netns_path = optarg; break;
                case OPT_QEMU: d->qemu_path = optarg; break;
                case OPT_DOCKER: d->docker_socket = optarg; break;
                case OPT_PODMAN: d->podman_socket = optarg; break;
                case OPT_RUNTIME: d->runtime_path = optarg; break;
                case OPT_CGROUP_PARENT: d->cgroup_parent = optarg; break;
                case OPT_ALLOW_FORWARDING: d->allow_forwarding = true; break;
                case OPT_NFT_TABLE: d->nft_table = optarg; break;
                case OPT_LISTEN: case OPT_TLS_CERT: case OPT_TLS_KEY: case OPT_TLS_MIN: case OPT_TLS_HANDSHAKE:
                case OPT_PROXY: case OPT_PROXY_USER: case OPT_SOCKET_GROUP: case OPT_SOCKET_GROUP_ROLE:
                case OPT_GROUP_SOCKET:
                        if (parse_tls_option(d, c, optarg))
                                return 2;
                        break;
                case OPT_LIMIT:
                        if (parse_limit(d, opts[idx].name, optarg))
                                return 2;
                        break;
                case 'v': *level = BV_LOG_DEBUG; break;
                case 'q': *level = BV_LOG_WARN; break;
                case OPT_VERSION: printf("barevirtd %s\n", BAREVIRT_VERSION); return 0;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "barevirtd: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }
        if (!bv_name_is_valid(d->cgroup_parent)) {
                fprintf(stderr, "barevirtd: --cgroup-parent '%s' is not a valid name ([A-Za-z0-9][A-Za-z0-9._-]*)\n",
                        d->cgroup_parent);
                return 2;
        }
        struct bv_error err = {};
        if (!d->nft_table)
                d->nft_table = d->cgroup_parent;
        if (net_nft_table_check(d->nft_table, &err) < 0) {
                fprintf(stderr, "barevirtd: --nft-table: %s\n", err.msg);
                return 2;
        }
        return -1;
}

/* Directories, the lock, the network namespace and the loop; nothing to undo on failure but the lock (closed at exit). */
static int prepare(struct barevirtd *d, struct bv_error *err)
{
        int r;

        if ((r = bv_mkdir_p(d->run_dir, 0755, err)) < 0 || (r = bv_mkdir_p(d->state_dir, 0755, err)) < 0 ||
            (r = take_lock(d, err)) < 0 || (d->netns_path && (r = enter_netns(d->netns_path, err)) < 0) ||
            (r = bv_loop_new(&d->loop, err)) < 0)
                return r;
        bv_loop_add_signal(d->loop, SIGTERM, on_quit_signal, d);
        bv_loop_add_signal(d->loop, SIGINT, on_quit_signal, d);
        /* SIGCHLD stays default: children are reaped through pidfds. */
        if ((r = net_ctx_new(-1, &d->net, err)) < 0)
                bv_warn("networking unavailable: %s", err->msg);
        return 0;
}

/* The API, then everything it serves. */
static int start(struct barevirtd *d, struct bv_error *err)
{
        int r;

        if ((r = projects_load(d, err)) < 0 || (r = audit_open(d, err)) < 0 || (r = events_new(d)) < 0 ||
            (r = api_start(d, err)) < 0)
                return r;
#ifdef BV_TLS
        if ((r = auth_load(d, err)) < 0 || (r = remote_start(d, err)) < 0 || (r = groupsock_start(d, err)) < 0)
                return r;
#endif
        host_probe_start_later(d, 100 * 1000);
        if ((r = firewall_load(d)) < 0)
                bv_warn("loading firewall groups: %s", strerror(-r));
        if ((r = registry_load(d)) < 0)
                bv_warn("loading definitions: %s", strerror(-r));
        if (engines_start(d) < 0)
                bv_warn("engine events unavailable: out of memory");
        bv_info("barevirtd %s listening on '%s' (state '%s', run '%s'%s%s)", BAREVIRT_VERSION, d->socket_path,
                d->state_dir, d->run_dir, d->netns_path ? ", netns " : "", d->netns_path ? d->netns_path : "");
        return 0;
}

/* Forgets everything (guests and monitors keep running). */
static void stop(struct barevirtd *d)
{
#ifdef BV_TLS
        groupsock_free(d);
        remote_free(d);
        auth_free(d);
#endif
        projects_free(d);
        engines_free(d);
        netsvc_free(d);
        registry_free(d);
        firewall_free(d);
        host_probe_free(d);
        events_free(d);
        api_stop(d);
        audit_close(d);
        net_ctx_free(d->net);
        bv_loop_free(d->loop);
        if (d->lock_fd >= 0)
                close(d->lock_fd);
}

int main(int argc, char **argv)
{
        struct barevirtd d = {
                .state_dir = DEFAULT_STATE_DIR,
                .run_dir = DEFAULT_RUN_DIR,
                .qemu_path = "qemu-system-x86_64",
                .docker_socket = "/var/run/docker.sock",
                .podman_socket = "/run/podman/podman.sock",
                .cgroup_parent = "barevirt",
                .lock_fd = -1,
                .listen_fd = -1,
                .audit = { .fd = -1 },
                .tls_min = 13,
                .tls_handshake_ms = 10000,
                .socket_group_role = 1,   /* operator */
                .limits = { .max_conns = 1024, .max_per_source = 64, .request_timeout_s = 10, .idle_timeout_s = 60,
                            .max_header_bytes = BV_HTTP_MAX_HEAD, .max_body = 1024 * 1024 },
        };
        enum bv_log_level level = BV_LOG_INFO;
        struct bv_error err = {};
        _cleanup_free_ char *default_socket = NULL, *default_group_socket = NULL;
        int r = parse_args(argc, argv, &d, &level);

        if (r >= 0)
                return r;
        bv_log_init("barevirtd", level);
        if (!d.proxy_user)
                d.proxy_user = getpwnam("barevirt") ? "barevirt" : "nobody";
        signal(SIGPIPE, SIG_IGN);
        umask(0022);
        if (!d.socket_path) {
                if (asprintf(&default_socket, "%s/api.sock", d.run_dir) < 0)
                        return 1;
                d.socket_path = default_socket;
        }
        if (!d.group_socket_path) {
                if (asprintf(&default_group_socket, "%s/api-group.sock", d.run_dir) < 0)
                        return 1;
                d.group_socket_path = default_group_socket;
        }
        if ((r = prepare(&d, &err)) < 0 || (r = start(&d, &err)) < 0) {
                bv_err("%s", bv_error_message(&err, r));
                stop(&d);
                return 1;
        }
        r = bv_loop_run(d.loop);
        if (r < 0)
                bv_err("event loop failed: %s", strerror(-r));
        stop(&d);
        bv_info("stopped");
        return r < 0 ? 1 : 0;
}
