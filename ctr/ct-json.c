/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A container as barevirtd's API shows it (GET /v1/containers[/NAME]):
 * the list summary, and the full object with the console, the runtime,
 * the definition, network timings, idmapping and live usage read from its
 * cgroup files (v2 memory.current, cpu.stat usage_usec, pids.current;
 * v1 memory.usage_in_bytes, cpuacct.usage, pids.current; null where the
 * host has no such file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

/*
 * A usage number from the container's cgroup: v1_file in the v1 hierarchy
 * of controller where that is mounted, else the v2 file's first number (or
 * the number after key). -1 when unreadable.
 */
static long long cg_read(const struct ctr_ct *ct, const char *controller, const char *v1_file, const char *file,
                         const char *key)
{
        const struct ctr_cgroup_info *cg = ctr_ct_host_cgroups(ct->h);
        const char *m = ctr_cgroup_v1_mount(cg, controller);
        char path[PATH_MAX], buf[4096];

        if (m) {
                file = v1_file;
                key = NULL;
        } else if (!(m = cg->v2_root[0] ? cg->v2_root : NULL))
                return -1;
        snprintf(path, sizeof(path), "%s/%s/%s/%s", m, ct->h->o.cgroup_parent, ct->def->name, file);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return -1;
        buf[n] = '\0';
        const char *p = buf;
        if (key) {
                size_t kl = strlen(key);
                for (p = buf; p && !(strncmp(p, key, kl) == 0 && p[kl] == ' '); p = strchr(p, '\n'))
                        if (*p == '\n')
                                p++;
                if (!p)
                        return -1;
                p += kl + 1;
        }
        char *end;
        long long v = strtoll(p, &end, 10);
        return end == p ? -1 : v;
}

/* CPU time used: v1 cpuacct.usage (ns), v2 cpu.stat usage_usec. */
static long long cpu_usec(const struct ctr_ct *ct)
{
        long long v = cg_read(ct, "cpuacct", "cpuacct.usage", "cpu.stat", "usage_usec");
        return v >= 0 && ctr_cgroup_v1_mount(ctr_ct_host_cgroups(ct->h), "cpuacct") ? v / 1000 : v;
}

static json_t *num_or_null(long long v)
{
        return v >= 0 ? json_integer(v) : json_null();
}

static json_t *limits_json(const struct ctr_ct_limits *l)
{
        json_t *limits = json_object();

        if (l->memory_mib)
                json_object_set_new(limits, "memory", json_integer((json_int_t)l->memory_mib));
        if (l->memory_swap_mib)
                json_object_set_new(limits, "memory_swap", json_integer((json_int_t)l->memory_swap_mib));
        if (l->cpus > 0)
                json_object_set_new(limits, "cpus", json_real(l->cpus));
        if (l->cpu_weight)
                json_object_set_new(limits, "cpu_weight", json_integer(l->cpu_weight));
        if (l->pids)
                json_object_set_new(limits, "pids", json_integer((json_int_t)l->pids));
        if (l->io_weight)
                json_object_set_new(limits, "io_weight", json_integer(l->io_weight));
        return limits;
}

static json_t *nics_json(const struct ctr_ct *ct, bool live)
{
        json_t *nics = json_array();

        for (size_t i = 0; i < ct->def->n_nics; i++) {
                const struct ctr_ct_nic *n = &ct->def->nics[i];
                char mac[18], ifname[16];
                snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1], n->mac[2], n->mac[3],
                         n->mac[4], n->mac[5]);
                snprintf(ifname, sizeof(ifname), "eth%zu", i);
                json_array_append_new(nics, json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:s?,s:s*}", "network", n->network,
                                                      "ifname", ifname, "mac", mac, "ip", n->ip, "gw", n->gw,
                                                      "host_ifname", live && ct->veth[i][0] ? ct->veth[i] : NULL,
                                                      "firewall", n->firewall));
        }
        return nics;
}

/* The part of a container's JSON that the list shows too. */
static json_t *summary(const struct ctr_ct *ct, bool live)
{
        const struct ctr_ct_def *def = ct->def;
        const struct ctr_ct_status *st = ct->have_status ? &ct->st : NULL;
        json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:b,s:s?,s:s?,s:I,s:s?,s:o,s:s?,s:s?,s:s?}",
                              "name", def->name, "project", def->project ? def->project : "default",
                              "state", ctr_ct_state_name(ct->state),
                              "pid", live && ct->st.pid > 0 ? json_integer(ct->st.pid) : json_null(),
                              "monitor_pid", ct->monitor_pid > 0 ? json_integer(ct->monitor_pid) : json_null(),
                              "exit_code", st && st->exit_code >= 0 ? json_integer(st->exit_code) : json_null(),
                              "signal", st && st->signal > 0 ? json_integer(st->signal) : json_null(),
                              "oom_killed", st && st->oom_killed,
                              "started_at", st && st->started_at[0] ? st->started_at : NULL,
                              "finished_at", st && st->finished_at[0] ? st->finished_at : NULL,
                              "restarts", (json_int_t)(st ? st->restarts : 0),
                              "error", ct->error[0] ? ct->error : NULL,
                              "limits", limits_json(&def->limits),
                              "rootfs", def->rootfs, "image", def->image, "image_id", def->image_id);
        if (o)
                json_object_set_new(o, "nics", nics_json(ct, live));
        return o;
}

json_t *ctr_ct_to_json(const struct ctr_ct *ct, bool full)
{
        bool live = ct->state == CTR_CT_RUNNING || ct->state == CTR_CT_PAUSED || ct->state == CTR_CT_STOPPING || ct->state == CTR_CT_RESTARTING;
        json_t *o = summary(ct, live);
        char sock[PATH_MAX], log[PATH_MAX];

        if (!o || !full)
                return o;
        ctr_ct_run_path(ct, "console.sock", sock, sizeof(sock));
        ctr_ct_run_path(ct, "console.log", log, sizeof(log));
        json_object_set_new(o, "console", json_pack("{s:s,s:s}", "socket", sock, "log", log));
        json_object_set_new(o, "runtime", json_pack("{s:s,s:s}", "path", ct->h->runtime_path, "root", ct->h->runtime_root));
        json_object_set_new(o, "definition", ctr_ct_def_to_json(ct->def));
        if (ct->net_usec && live) {
                json_object_set_new(o, "net_attach_usec", json_integer((json_int_t)ct->net_usec));
                json_object_set_new(o, "netns_usec", json_integer((json_int_t)ct->netns_usec));
        }
        if (ct->def->userns)
                json_object_set_new(o, "idmapped", live ? json_boolean(ctr_ct_rootfs_idmapped(ct)) : json_null());
        json_object_set_new(o, "usage", live ? json_pack("{s:o,s:o,s:o}",
                                                         "memory_bytes", num_or_null(cg_read(ct, "memory", "memory.usage_in_bytes", "memory.current", NULL)),
                                                         "cpu_usec", num_or_null(cpu_usec(ct)),
                                                         "pids", num_or_null(cg_read(ct, "pids", "pids.current", "pids.current", NULL)))
                                             : json_null());
        return o;
}
