/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Container definitions, golden: every ct-golden/NAME.json must parse,
 * survive a round trip through ctr_ct_def_to_json(), and build exactly the
 * OCI config in NAME.oci (JSON, compared as values), which the runtime's
 * own parser must accept. Every ct-bad/NAME.json must be refused with a
 * message containing the line in NAME.err. Then the limits check against
 * a hybrid host (ours) and a full cgroup v2 host, the MAC scheme and the
 * monitor status round trip. BAREVIRT_GOLDEN_UPDATE=1 rewrites the .oci files.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"
#include "ctr/ctr.h"
#include "tests/golden.h"
#include "tests/tap.h"

/* The JSON of o's definition, parsed again: for golden_round_trip(). */
static json_t *reparse(json_t *o, struct bv_error *err)
{
        struct ctr_ct_def *d = NULL;
        json_t *again = ctr_ct_def_parse(o, &d, err) == 0 ? ctr_ct_def_to_json(d) : NULL;

        ctr_ct_def_free(d);
        return again;
}

/* ctr_ct_def_parse()'s verdict alone, for golden_each_refused(). */
static int parse_only(json_t *o, struct bv_error *err)
{
        struct ctr_ct_def *d = NULL;
        int r = ctr_ct_def_parse(o, &d, err);

        ctr_ct_def_free(d);
        return r;
}

static void compare(const char *dir, const char *name, json_t *cfg)
{
        char path[1024];
        struct bv_error err = {};
        json_auto_t *want = NULL;

        snprintf(path, sizeof(path), "%s/%.*s.oci", dir, (int)(strlen(name) - 5), name);
        if (getenv("BAREVIRT_GOLDEN_UPDATE"))
                bv_json_write_file(path, cfg, NULL);
        if (bv_json_load_file(path, 1 << 20, &want, &err) < 0)
                tap_ok(false, "%s: %s", name, err.msg);
        else if (!tap_ok(json_equal(cfg, want), "%s config matches %s", name, path)) {
                _cleanup_free_ char *s = json_dumps(cfg, JSON_INDENT(1) | JSON_SORT_KEYS);
                tap_diag("got:\n%s", s);
        }
}

static void golden(const char *dir, const char *name)
{
        char rootfs[256], netns[256], idmap_dir[256];
        struct ctr_ct_def *d = NULL;
        struct bv_error err = {};
        json_auto_t *cfg = NULL, *json = NULL;

        if (!tap_ok(golden_load(dir, name, &json, &err) == 0 && ctr_ct_def_parse(json, &d, &err) == 0,
                    "%s parses", name)) {
                tap_diag("  %s", err.msg);
                return;
        }
        json_auto_t *round = ctr_ct_def_to_json(d);
        golden_round_trip(name, round, reparse);

        snprintf(rootfs, sizeof(rootfs), "/run/barevirt/containers/%s/rootfs", d->name);
        snprintf(netns, sizeof(netns), "/run/barevirt/containers/%s/netns", d->name);
        snprintf(idmap_dir, sizeof(idmap_dir), "/run/barevirt/containers/%s/mounts", d->name);
        struct ctr_ct_paths p = {
                .rootfs = d->rootfs ? d->rootfs : rootfs,
                .netns = d->n_nics ? netns : NULL,
                .idmap_dir = idmap_dir,
        };
        if (tap_ok(ctr_ct_spec(d, &p, &cfg, &err) == 0, "%s builds a config", name)) {
                if (d->privileged) {
                        /* Every capability of our bounding set: host-dependent, checked here, not in the file. */
                        json_t *caps = json_object_get(json_object_get(cfg, "process"), "capabilities");
                        size_t want = 0;
                        for (int i = 0; i <= CAP_LAST_CAP; i++)
                                want += prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 1;
                        tap_ok(json_array_size(json_object_get(caps, "bounding")) == want &&
                               json_array_size(json_object_get(caps, "effective")) == want,
                               "%s has every capability of the bounding set (%zu)", name, want);
                        json_object_del(json_object_get(cfg, "process"), "capabilities");
                }
                compare(dir, name, cfg);
                _cleanup_free_ char *text = bv_json_dumps(cfg);
                struct ctr_config *c = NULL;
                int r = ctr_config_parse(text, strlen(text), &c, &err);
                if (!tap_ok(r == 0, "%s config is accepted by the runtime's parser", name))
                        tap_diag("  %s", err.msg);
                ctr_config_free(c);
        } else
                tap_diag("  %s", err.msg);
        ctr_ct_def_free(d);
}

static struct ctr_ct_def *parse_str(const char *s, struct bv_error *err)
{
        json_auto_t *o = json_loads(s, 0, NULL);
        struct ctr_ct_def *d = NULL;
        if (o)
                ctr_ct_def_parse(o, &d, err);
        return d;
}

static void limits(void)
{
        struct ctr_cgroup_info hybrid = { .mode = CTR_CGROUP_HYBRID, .v2_root = "/sys/fs/cgroup/unified",
                                          .controllers = { "hugetlb" }, .n_controllers = 1 };
        struct ctr_cgroup_info v2 = { .mode = CTR_CGROUP_V2, .v2_root = "/sys/fs/cgroup",
                                      .controllers = { "cpu", "io", "memory", "pids" }, .n_controllers = 4 };
        struct bv_error err = {};
        struct ctr_ct_def *d;

        d = parse_str("{\"name\":\"a\",\"rootfs\":\"/r\"}", &err);
        tap_ok(d && ctr_ct_limits_check(d, &hybrid, &err) == 0, "no limits: fine on a hybrid host");
        ctr_ct_def_free(d);

        d = parse_str("{\"name\":\"a\",\"rootfs\":\"/r\",\"limits\":{\"memory\":64}}", &err);
        int r = d ? ctr_ct_limits_check(d, &hybrid, &err) : -1;
        tap_ok(r == -EOPNOTSUPP, "memory limit refused on a hybrid host without v1 hierarchies");
        tap_ok(strcmp(err.msg, "Limit 'memory' cannot be enforced on this host: neither a cgroup v1 'memory' hierarchy "
                               "nor the cgroup v2 'memory' controller is available (hybrid cgroups)") == 0,
               "message names the limit and controller: %s", err.msg);
        tap_ok(d && ctr_ct_limits_check(d, &v2, &err) == 0, "memory limit accepted on a v2 host");
        ctr_ct_def_free(d);

        d = parse_str("{\"name\":\"a\",\"rootfs\":\"/r\",\"limits\":{\"pids\":10, \"cpus\":0.5}}", &err);
        r = d ? ctr_ct_limits_check(d, &hybrid, &err) : -1;
        tap_ok(r == -EOPNOTSUPP && strstr(err.msg, "v2 'cpu' controller"), "cpus refused first: %s", err.msg);
        v2.n_controllers = 3; /* cpu io memory */
        r = d ? ctr_ct_limits_check(d, &v2, &err) : -1;
        tap_ok(r == -EOPNOTSUPP && strstr(err.msg, "Limit 'pids'"), "pids refused without pids: %s", err.msg);
        ctr_ct_def_free(d);
        v2.n_controllers = 4;

        /* Hybrid with v1 hierarchies: each limit through its v1 controller, files looked up where one is needed. */
        char dir[] = "/tmp/bv-cgv1.XXXXXX", f[64];
        tap_ok(mkdtemp(dir) != NULL, "a fake v1 mount");
        struct ctr_cgroup_info v1 = hybrid;
        v1.n_v1 = 3;
        snprintf(v1.v1[0].mount, sizeof(v1.v1[0].mount), "%s", dir);
        snprintf(v1.v1[0].controllers, sizeof(v1.v1[0].controllers), "memory");
        snprintf(v1.v1[1].mount, sizeof(v1.v1[1].mount), "%s", dir);
        snprintf(v1.v1[1].controllers, sizeof(v1.v1[1].controllers), "cpu,cpuacct");
        snprintf(v1.v1[2].mount, sizeof(v1.v1[2].mount), "%s", dir);
        snprintf(v1.v1[2].controllers, sizeof(v1.v1[2].controllers), "blkio");
        tap_ok(ctr_cgroup_v1_mount(&v1, "cpuacct") && !ctr_cgroup_v1_mount(&v1, "cpuset"),
               "ctr_cgroup_v1_mount finds a comounted controller");
        d = parse_str("{\"name\":\"a\",\"rootfs\":\"/r\",\"limits\":{\"memory\":64,\"cpus\":1,\"memory_swap\":128}}", &err);
        r = d ? ctr_ct_limits_check(d, &v1, &err) : -1;
        tap_ok(r == -EOPNOTSUPP && strstr(err.msg, "memory.memsw.limit_in_bytes (no swap accounting)"),
               "memory_swap refused without memsw: %s", err.msg);
        snprintf(f, sizeof(f), "%s/memory.memsw.limit_in_bytes", dir);
        fclose(fopen(f, "w"));
        tap_ok(d && ctr_ct_limits_check(d, &v1, &err) == 0, "memory, cpus and memory_swap through v1 (%s)", err.msg);
        ctr_ct_def_free(d);
        tap_ok(!ctr_ct_limit_supported(&v1, "io_weight") && !ctr_ct_limit_supported(&v1, "pids"),
               "io_weight needs blkio.weight, pids its hierarchy");
        snprintf(f, sizeof(f), "%s/blkio.bfq.weight", dir);
        fclose(fopen(f, "w"));
        tap_ok(ctr_ct_limit_supported(&v1, "io_weight"), "io_weight through blkio.bfq.weight");
        json_auto_t *avail = ctr_ct_limits_available(&v1);
        tap_ok(json_is_true(json_object_get(json_object_get(avail, "memory"), "supported")) &&
               json_is_false(json_object_get(json_object_get(avail, "pids"), "supported")) &&
               strstr(json_string_value(json_object_get(json_object_get(avail, "pids"), "reason")), "'pids'"),
               "ct_limits: supported, via and reason per limit");
        unlink(f);
        snprintf(f, sizeof(f), "%s/memory.memsw.limit_in_bytes", dir);
        unlink(f);
        rmdir(dir);

        json_auto_t *none = ctr_ct_limits_available(&hybrid);
        json_auto_t *all = ctr_ct_limits_available(&v2);
        size_t n_none = 0, n_all = 0;
        const char *k;
        json_t *v;
        json_object_foreach(none, k, v)
                n_none += json_is_true(json_object_get(v, "supported"));
        json_object_foreach(all, k, v)
                n_all += json_is_true(json_object_get(v, "supported"));
        tap_ok(json_object_size(none) == 6 && n_none == 0, "hybrid host without v1 offers no limits");
        tap_ok(n_all == 6, "v2 host offers all limits");
        tap_ok(ctr_ct_limit_supported(&v2, "pids") && !ctr_ct_limit_supported(&hybrid, "pids"),
               "ctr_ct_limit_supported");
}

static void misc(void)
{
        uint8_t a[6], b[6], c[6], e[6];
        struct bv_error err = {};

        ctr_ct_mac_derive("web1", 0, a);
        ctr_ct_mac_derive("web1", 0, b);
        ctr_ct_mac_derive("web1", 1, c);
        ctr_ct_mac_derive("web2", 0, e);
        tap_ok(memcmp(a, b, 6) == 0, "derived MAC is stable");
        tap_ok(memcmp(a, c, 6) != 0 && memcmp(a, e, 6) != 0, "derived MAC differs per NIC and name");
        tap_ok(a[0] == 0x02, "derived MAC is locally administered unicast (02:...)");

        struct ctr_ct_def *d = parse_str("{\"name\":\"a\",\"rootfs\":\"/r\"}", &err);
        tap_ok(d && d->system && ctr_ct_def_stop_signal(d) == SIGPWR && d->n_command == 1 &&
               strcmp(d->command[0], "/sbin/init") == 0 && strcmp(d->hostname, "a") == 0 &&
               d->stop_timeout == 10 && d->restart == CTR_CT_RESTART_NO,
               "defaults: system container running /sbin/init, SIGPWR, hostname = name");
        ctr_ct_def_free(d);
        d = parse_str("{\"name\":\"a\",\"rootfs\":\"/r\",\"command\":[\"/bin/true\"],\"user\":\"1000\"}", &err);
        tap_ok(d && !d->system && ctr_ct_def_stop_signal(d) == SIGTERM && d->uid == 1000 && d->gid == 0,
               "command given: app container, SIGTERM, user 1000 -> gid 0");
        ctr_ct_def_free(d);

        struct ctr_ct_status st = { .monitor_pid = 42, .monitor_start_time = 123456, .state = CTR_CT_STATUS_CRASHED,
                                    .pid = 0, .started_at = "2026-01-01T00:00:00Z",
                                    .finished_at = "2026-01-01T00:00:01Z", .exit_code = 137, .signal = 9,
                                    .oom_killed = true, .restarts = 3 };
        struct ctr_ct_status back = {};
        strcpy(st.id, "web1");
        json_auto_t *j = ctr_ct_status_to_json(&st);
        tap_ok(j && ctr_ct_status_from_json(j, &back, &err) == 0, "monitor status parses");
        json_auto_t *jb = ctr_ct_status_to_json(&back);
        tap_ok(jb && json_equal(j, jb) && back.exit_code == 137 && back.signal == 9 && back.restarts == 3 &&
               back.monitor_start_time == 123456 && back.oom_killed, "monitor status round trip");
        st.state = CTR_CT_STATUS_RUNNING;
        st.exit_code = -1;
        st.signal = 0;
        st.finished_at[0] = 0;
        json_auto_t *j2 = ctr_ct_status_to_json(&st);
        tap_ok(j2 && json_is_null(json_object_get(j2, "exit_code")) && json_is_null(json_object_get(j2, "signal")),
               "running: exit_code and signal are null");
        st.monitor_pid = getpid();
        tap_ok(ctr_ct_monitor_alive(&st) == false, "a monitor with another start time is not alive");
        tap_ok(bv_proc_start_time(getpid(), &st.monitor_start_time) == 0 && ctr_ct_monitor_alive(&st),
               "a monitor with its own pid and start time is alive");
}

static void seccomp_file(void)
{
        char good[] = "/tmp/test-ct-seccomp-XXXXXX", bad[] = "/tmp/test-ct-seccomp-XXXXXX", def[512];
        struct bv_error err = {};
        int fg = mkstemp(good), fb = mkstemp(bad);
        const char *g = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                        "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}";
        const char *b = "{\"defaultAction\":\"SCMP_ACT_NOPE\"}";

        if (fg < 0 || fb < 0 || write(fg, g, strlen(g)) < 0 || write(fb, b, strlen(b)) < 0) {
                tap_ok(false, "cannot write profile files");
                return;
        }
        close(fg);
        close(fb);
        struct ctr_ct_paths p = { .rootfs = "/r" };
        snprintf(def, sizeof(def), "{\"name\":\"a\",\"rootfs\":\"/r\",\"seccomp\":\"%s\"}", good);
        struct ctr_ct_def *d = parse_str(def, &err);
        json_auto_t *cfg = NULL;
        tap_ok(d && ctr_ct_spec(d, &p, &cfg, &err) == 0 &&
               json_integer_value(json_object_get(json_array_get(json_object_get(
                       json_object_get(json_object_get(cfg, "linux"), "seccomp"), "syscalls"), 0), "errnoRet")) == 38,
               "a seccomp profile file is used as linux.seccomp");
        ctr_ct_def_free(d);
        snprintf(def, sizeof(def), "{\"name\":\"a\",\"rootfs\":\"/r\",\"seccomp\":\"%s\"}", bad);
        d = parse_str(def, &err);
        json_auto_t *cfg2 = NULL;
        int r = d ? ctr_ct_spec(d, &p, &cfg2, &err) : 0;
        tap_ok(r == -EINVAL && strstr(err.msg, "SCMP_ACT_NOPE") && strstr(err.msg, bad),
               "a bad profile file is refused naming the file and the problem: %s", err.msg);
        ctr_ct_def_free(d);
        snprintf(def, sizeof(def), "{\"name\":\"a\",\"rootfs\":\"/r\",\"seccomp\":\"/no/such/profile.json\"}");
        d = parse_str(def, &err);
        json_auto_t *cfg3 = NULL;
        r = d ? ctr_ct_spec(d, &p, &cfg3, &err) : 0;
        tap_ok(r == -ENOENT, "a missing profile file is refused (%d: %s)", r, err.msg);
        ctr_ct_def_free(d);
        unlink(good);
        unlink(bad);
}

int main(void)
{
        seccomp_file();
        misc();
        limits();
        golden_each("ct-golden", golden);
        golden_each_refused("ct-bad", parse_only);
        tap_done();
}
