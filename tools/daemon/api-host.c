/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/host: what this host can do. Cheap facts (kernel, cgroup layout,
 * engine sockets) are read per request; slow ones (KVM probe, QEMU version)
 * come from the cached host probe, and a request made while the probe runs
 * is answered when it finishes.
 *
 *   GET  /v1/ping         {"ok": true, "version": ...}, answered at once
 *   GET  /v1/host         the report
 *   POST /v1/host/probe   forget the cache, probe again, answer with the report
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "net/net.h"
#include "tools/daemon/daemon.h"

/* True when something accepts connections on the engine's socket (never blocks). */
static bool engine_reachable(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        if (strlen(path) >= sizeof(sa.sun_path))
                return false;
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        return fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

static json_t *engine_json(const char *path)
{
        return json_pack("{s:s,s:b}", "socket", path, "reachable", engine_reachable(path));
}

static json_t *cgroup_json(void)
{
        struct ctr_cgroup_info info;
        struct bv_error err = {};

        if (ctr_cgroup_detect("/sys/fs/cgroup", &info, &err) < 0)
                return json_pack("{s:s,s:[],s:s}", "mode", "none", "controllers", "error", err.msg);
        return ctr_cgroup_info_json(&info);
}

static json_t *host_report(struct barevirtd *d)
{
        struct utsname u;
        struct sysinfo si;
        const json_t *probe = host_probe_result(d);
        char hostname[256] = "";

        uname(&u);
        sysinfo(&si);
        gethostname(hostname, sizeof(hostname) - 1);
        json_t *kvm = json_incref(json_object_get(probe, "kvm"));
        json_t *qemu = json_incref(json_object_get(probe, "qemu"));
        char dnsmasq[4096];
        bool has_dnsmasq = net_dnsmasq_find(dnsmasq, sizeof(dnsmasq)) == 0;
        json_t *net = json_pack("{s:b,s:b,s:b,s:s?}", "ip_forward", networks_forwarding(d), "allow_forwarding",
                                d->allow_forwarding, "nat_possible", networks_nat_possible(d), "dnsmasq",
                                has_dnsmasq ? dnsmasq : NULL);
        json_t *h = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:{s:o,s:o},s:{s:i,s:s,s:s,s:s,s:s?}}",
                         "version", BAREVIRT_VERSION,
                         "hostname", hostname,
                         "kernel", u.release,
                         "arch", u.machine,
                         "cpus", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
                         "memory_mib", (json_int_t)((uint64_t)si.totalram * si.mem_unit >> 20),
                         "kvm", kvm ? kvm : json_pack("{s:b,s:s}", "usable", 0, "reason", "probe unavailable"),
                         "cgroup", cgroup_json(),
                         "ct_limits", ctr_ct_host_limits(d->reg.ct_host),
                         "qemu", qemu ? qemu : json_pack("{s:n,s:n}", "path", "version"),
                         "network", net,
                         "engines",
                         "docker", engine_json(d->docker_socket),
                         "podman", engine_json(d->podman_socket),
                         "daemon",
                         "pid", (int)getpid(),
                         "socket", d->socket_path,
                         "state_dir", d->state_dir,
                         "run_dir", d->run_dir,
                         "netns", d->netns_path);
#ifdef BV_TLS
        /* "tls": {"listen": [...], "fingerprint": the server certificate's SHA-256, ...} */
        if (h)
                json_object_set_new(h, "tls", remote_host_json(d));
#endif
        return h;
}

static void reply_report(struct barevirtd *d, void *userdata)
{
        struct bv_http_conn *c = userdata;

        if (!host_probe_result(d))
                bv_http_conn_respond_error(c, 503, "barevirtd is shutting down");
        else
                api_reply_json(c, 200, host_report(d));
        bv_http_conn_unref(c);
}

static void get_host(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                     char **args)
{
        int r = host_probe_wait(d, reply_report, bv_http_conn_ref(c));
        if (r < 0) {
                api_reply_errno(c, r, "Too many requests waiting for the host probe");
                bv_http_conn_unref(c);
        }
}

static void post_probe(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                       char **args)
{
        if (req->body_len > 0) {
                json_auto_t *body = NULL;
                if (api_read_json(c, req, &body) < 0)
                        return;
                if (json_object_size(body) > 0) {
                        bv_http_conn_respond_error(c, 400, "POST /v1/host/probe takes no parameters");
                        return;
                }
        }
        int r = host_probe_start(d, true);
        if (r < 0) {
                api_reply_errno(c, r, "Failed to start the host probe");
                return;
        }
        get_host(d, c, req, args);
}

/* Cheapest possible answer: for liveness checks and start-up waits. */
static void get_ping(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                     char **args)
{
        api_reply_json(c, 200, json_pack("{s:b,s:s}", "ok", 1, "version", BAREVIRT_VERSION));
}

const struct api_route api_host_routes[] = {
        { "GET", "/v1/ping", get_ping },
        { "GET", "/v1/host", get_host },
        { "POST", "/v1/host/probe", post_probe },
        {},
};
