/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.json parsing without privileges: a full config comes out field by
 * field, unknown fields are ignored, malformed ones are refused with their
 * JSON path, limits the host cannot enforce are refused naming the
 * controller, and the default spec parses.
 */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"
#include "tests/tap.h"

static const char full[] =
        "{\"ociVersion\": \"1.0.2\", \"x-unknown\": {\"anything\": [1, 2]},"
        " \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
        " \"hostname\": \"h1\", \"domainname\": \"d1\","
        " \"process\": {\"terminal\": true, \"consoleSize\": {\"height\": 24, \"width\": 80},"
        "   \"user\": {\"uid\": 1000, \"gid\": 1001, \"umask\": 18, \"additionalGids\": [5, 6]},"
        "   \"args\": [\"sh\", \"-c\", \"true\"], \"env\": [\"A=1\"], \"cwd\": \"/work\","
        "   \"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_CHOWN\"], \"effective\": [\"CAP_KILL\"]},"
        "   \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": 2048}],"
        "   \"noNewPrivileges\": true, \"oomScoreAdj\": 100, \"apparmorProfile\": \"bv-test\"},"
        " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
        "   {\"destination\": \"/data\", \"source\": \"/srv\", \"options\": [\"rbind\", \"ro\", \"nosuid\", \"rprivate\"]},"
        "   {\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"options\": [\"noexec\", \"mode=1777\", \"size=1m\"]}],"
        " \"hooks\": {\"prestart\": [{\"path\": \"/bin/true\", \"args\": [\"true\"], \"timeout\": 5}],"
        "   \"poststop\": [{\"path\": \"/bin/false\"}]},"
        " \"annotations\": {\"a\": \"b\"},"
        " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"network\", \"path\": \"/run/netns/x\"},"
        "     {\"type\": \"user\"}, {\"type\": \"time\"}, {\"type\": \"uts\"}],"
        "   \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],"
        "   \"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],"
        "   \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229, \"fileMode\": 438}],"
        "   \"maskedPaths\": [\"/proc/kcore\"], \"readonlyPaths\": [\"/proc/sys\"],"
        "   \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}, \"rootfsPropagation\": \"rslave\","
        "   \"cgroupsPath\": \"/mygroup/c1\","
        "   \"resources\": {\"memory\": {\"limit\": 1048576}, \"pids\": {\"limit\": 10}, \"cpu\": {\"quota\": 50000, \"period\": 100000}},"
        "   \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, \"architectures\": [\"SCMP_ARCH_X86_64\"],"
        "     \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],"
        "     \"syscalls\": [{\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},"
        "       {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}]},"
        "       {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}}}";

static int parse(const char *s, struct bv_error *err)
{
        struct ctr_config *cfg = NULL;
        bv_error_clear(err);
        int r = ctr_config_parse(s, strlen(s), &cfg, err);
        ctr_config_free(cfg);
        return r;
}

/* A minimal valid config with one replacement: "%s" is spliced into the top-level object. */
static int parse_with(const char *extra, struct bv_error *err)
{
        char buf[4096];
        snprintf(buf, sizeof(buf),
                 "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, "
                 "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}]}%s%s}",
                 *extra ? ", " : "", extra);
        return parse(buf, err);
}

static void refused(const char *extra, const char *want, const char *what)
{
        struct bv_error err = { 0 };
        int r = parse_with(extra, &err);
        tap_ok(r < 0 && strstr(err.msg, want) != NULL, "refused: %s", what);
        if (r >= 0 || !strstr(err.msg, want))
                tap_diag("  got %d '%s', want '%s'", r, err.msg, want);
}

/* A full config comes out field by field. */
static void test_full(void)
{
        struct bv_error err = { 0 };
        struct ctr_config *cfg = NULL;

        tap_is_int(ctr_config_parse(full, strlen(full), &cfg, &err), 0, "a full config parses");
        if (!cfg) {
                tap_diag("%s", err.msg);
                tap_done();
        }
        tap_is_str(cfg->root_path, "rootfs", "root.path");
        tap_ok(cfg->root_readonly, "root.readonly");
        tap_is_str(cfg->hostname, "h1", "hostname");
        tap_is_str(cfg->domainname, "d1", "domainname");
        const struct ctr_process *p = cfg->process;
        tap_ok(p->terminal && p->console_height == 24 && p->console_width == 80, "terminal and consoleSize");
        tap_ok(p->uid == 1000 && p->gid == 1001 && p->has_umask && p->umask == 18, "user uid/gid/umask");
        tap_ok(p->n_additional_gids == 2 && p->additional_gids[1] == 6, "additionalGids");
        tap_is_str(p->args[2], "true", "args");
        tap_ok(p->args[3] == NULL, "args NULL-terminated");
        tap_is_str(p->env[0], "A=1", "env");
        tap_is_str(p->cwd, "/work", "cwd");
        tap_ok(p->has_caps && p->caps[CTR_CAP_BOUNDING] == ((1ULL << 5) | (1ULL << 0)), "bounding = KILL|CHOWN");
        tap_ok(p->caps[CTR_CAP_EFFECTIVE] == (1ULL << 5) && p->caps[CTR_CAP_AMBIENT] == 0, "effective = KILL, ambient empty");
        tap_ok(p->n_rlimits == 1 && p->rlimits[0].soft == 1024 && p->rlimits[0].hard == 2048, "rlimits");
        tap_ok(p->no_new_privileges && p->has_oom_score_adj && p->oom_score_adj == 100, "noNewPrivileges, oomScoreAdj");
        tap_is_int(cfg->n_mounts, 3, "three mounts");
        tap_ok(cfg->mounts[1].bind && (cfg->mounts[1].flags & MS_REC) && (cfg->mounts[1].flags & MS_RDONLY) &&
               (cfg->mounts[1].flags & MS_NOSUID) && cfg->mounts[1].propagation == (MS_PRIVATE | MS_REC),
               "rbind,ro,nosuid,rprivate");
        tap_is_str(cfg->mounts[2].data, "mode=1777,size=1m", "filesystem data kept in order");
        tap_ok(cfg->mounts[2].flags & MS_NOEXEC, "noexec flag");
        tap_ok(cfg->n_hooks[CTR_HOOK_PRESTART] == 1 && cfg->hooks[CTR_HOOK_PRESTART][0].timeout == 5, "prestart hook");
        tap_ok(cfg->n_hooks[CTR_HOOK_POSTSTOP] == 1 && cfg->hooks[CTR_HOOK_POSTSTOP][0].args == NULL, "poststop hook");
        tap_ok(cfg->ns[CTR_NS_PID].enabled && !cfg->ns[CTR_NS_PID].path, "new pid namespace");
        tap_is_str(cfg->ns[CTR_NS_NET].path, "/run/netns/x", "network namespace to join");
        tap_ok(cfg->ns[CTR_NS_TIME].enabled && !cfg->ns[CTR_NS_IPC].enabled, "time yes, ipc no");
        tap_ok(cfg->n_uid_maps == 1 && cfg->uid_maps[0].host_id == 100000 && cfg->uid_maps[0].size == 65536, "uidMappings");
        tap_ok(cfg->n_devices == 1 && cfg->devices[0].major == 10 && cfg->devices[0].mode == 438, "devices");
        tap_is_str(cfg->masked_paths[0], "/proc/kcore", "maskedPaths");
        tap_is_str(cfg->readonly_paths[0], "/proc/sys", "readonlyPaths");
        tap_ok(cfg->n_sysctls == 1 && strcmp(cfg->sysctls[0].value, "1") == 0, "sysctl");
        tap_ok(cfg->rootfs_propagation == (MS_SLAVE | MS_REC), "rootfsPropagation");
        tap_is_str(cfg->cgroups_path, "/mygroup/c1", "cgroupsPath");
        tap_is_int(cfg->n_cgroup_writes, 4, "four cgroup writes (v1 sets the CPU quota and period apart)");
        tap_is_str(cfg->cgroup_writes[0].file, "memory.max", "memory.limit -> memory.max");
        tap_is_str(cfg->cgroup_writes[0].value, "1048576", "... 1048576");
        tap_is_str(cfg->cgroup_writes[0].v1_file, "memory.limit_in_bytes", "... v1 memory.limit_in_bytes");
        tap_is_str(cfg->cgroup_writes[1].value, "50000 100000", "cpu quota/period -> cpu.max");
        tap_ok(strcmp(cfg->cgroup_writes[1].v1_file, "cpu.cfs_period_us") == 0 &&
               strcmp(cfg->cgroup_writes[1].v1_value, "100000") == 0 && !cfg->cgroup_writes[2].file[0] &&
               strcmp(cfg->cgroup_writes[2].v1_file, "cpu.cfs_quota_us") == 0 &&
               strcmp(cfg->cgroup_writes[2].v1_value, "50000") == 0, "... v1 cpu.cfs_period_us, then cpu.cfs_quota_us");
        tap_is_str(cfg->cgroup_writes[3].file, "pids.max", "pids.limit -> pids.max");
        const struct ctr_seccomp *sc = cfg->seccomp;
        tap_ok(sc && sc->default_action == SCMP_ACT_ERRNO(38), "seccomp defaultAction with defaultErrnoRet");
        tap_ok(sc->n_arches == 1 && sc->arches[0] == SCMP_ARCH_X86_64 && sc->flag_log, "architectures and flags");
        tap_ok(sc->n_rules == 3 && sc->rules[1].n_args == 1 && sc->rules[1].args[0].value == 8 &&
               sc->rules[1].args[0].op == SCMP_CMP_EQ, "syscall args");
        tap_ok(sc->rules[2].action == SCMP_ACT_ERRNO(1), "errnoRet");
        tap_ok(json_is_object(cfg->annotations), "annotations");
        ctr_config_free(cfg);
}

/* cgroupsPath as a path under each hierarchy: a path, systemd's slice:prefix:name, or barevirt/<id>. */
static void test_cgroup_rel(void)
{
        static const struct {
                const char *in, *want;
        } cases[] = {
                { NULL, "barevirt/c1" },
                { "/mygroup/c1", "mygroup/c1" },
                { "rel/c1/", "rel/c1" },
                { "machine.slice:libpod:abc", "machine.slice/libpod-abc.scope" },
                { "machine-libpod_pod_x.slice:libpod:abc", "machine.slice/machine-libpod_pod_x.slice/libpod-abc.scope" },
                { ":bv:c1", "system.slice/bv-c1.scope" },
                { "-.slice::c1.slice", "c1.slice" },
        };
        char buf[2048];

        for (size_t i = 0; i < BV_ELEMENTSOF(cases); i++) {
                struct bv_error err = { 0 };
                int r = ctr_cgroup_rel(cases[i].in, "c1", buf, sizeof(buf), &err);
                tap_ok(r == 0 && strcmp(buf, cases[i].want) == 0, "cgroupsPath '%s' -> '%s' (%s)",
                       cases[i].in ? cases[i].in : "(none)", cases[i].want, r == 0 ? buf : err.msg);
        }
        struct bv_error err = { 0 };
        tap_ok(ctr_cgroup_rel("/", "c1", buf, sizeof(buf), &err) == -EINVAL, "the root cgroup is refused");
}

/* linux.resources.devices rules, and limits that need no cgroup write. */
static void test_device_rules(void)
{
        struct bv_error err = { 0 };
        struct ctr_config *cfg = NULL;

        const char *devs = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"linux\": {\"namespaces\": [{\"type\": \"mount\"}],"
                           " \"resources\": {\"pids\": {\"limit\": 0}, \"memory\": {\"limit\": -1},"
                           " \"devices\": [{\"allow\": false, \"access\": \"rwm\"}, {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rw\"}]}}}";
        tap_is_int(ctr_config_parse(devs, strlen(devs), &cfg, &err), 0, "device rules parse");
        tap_ok(cfg && cfg->n_dev_rules == 2 && !cfg->dev_rules[0].allow && cfg->dev_rules[0].type == 'a' &&
               cfg->dev_rules[0].major == -1 && cfg->dev_rules[0].access == 7, "deny-all rule");
        tap_ok(cfg && cfg->dev_rules[1].allow && cfg->dev_rules[1].type == 'c' && cfg->dev_rules[1].major == 1 &&
               cfg->dev_rules[1].minor == 3 && cfg->dev_rules[1].access == 6, "allow c 1:3 rw");
        tap_ok(cfg && cfg->n_cgroup_writes == 0, "unlimited pids and memory need no cgroup write");
        ctr_config_free(cfg);
}

/* Malformed fields: refused with their JSON path. */
static void test_refused_fields(void)
{
        struct bv_error err = { 0 };

        refused("\"process\": {\"args\": [1]}", "process.args[0]: expected a string", "args[0] a number");
        refused("\"process\": {\"args\": \"sh\"}", "process.args: expected an array", "args a string");
        refused("\"process\": {\"args\": []}", "process.args: must name", "empty args");
        refused("\"process\": {\"args\": [\"sh\"], \"cwd\": \"rel\"}", "process.cwd: 'rel' is not an absolute path", "relative cwd");
        refused("\"process\": {\"args\": [\"sh\"], \"user\": {\"uid\": -1}}", "process.user.uid", "negative uid");
        refused("\"process\": {\"args\": [\"sh\"], \"capabilities\": {\"bounding\": [\"CAP_BOGUS\"]}}",
                "process.capabilities.bounding[0]: unknown capability 'CAP_BOGUS'", "unknown capability");
        refused("\"process\": {\"args\": [\"sh\"], \"rlimits\": [{\"type\": \"RLIMIT_X\"}]}", "process.rlimits[0].type: unknown rlimit",
                "unknown rlimit");
        refused("\"process\": {\"args\": [\"sh\"], \"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": 2, \"hard\": 1}]}",
                "soft limit above the hard limit", "soft > hard");
        refused("\"mounts\": [{\"destination\": \"rel\", \"type\": \"tmpfs\"}]", "mounts[0].destination: 'rel'", "relative mount target");
        refused("\"mounts\": [{\"type\": \"tmpfs\"}]", "mounts[0].destination: missing", "mount without destination");
        refused("\"mounts\": [{\"destination\": \"/x\", \"options\": [\"bind\"]}]", "mounts[0].source: a bind mount needs a source",
                "bind without source");
        refused("\"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\", \"options\": [7]}]", "mounts[0].options[0]: expected a string",
                "option a number");
        refused("\"mounts\": {}", "mounts: expected an array", "mounts an object");
        refused("\"hooks\": {\"prestart\": [{\"path\": \"rel\"}]}", "hooks.prestart[0].path: must be an absolute path", "relative hook");
        refused("\"hooks\": {\"poststart\": [{\"path\": \"/x\", \"timeout\": 0}]}", "hooks.poststart[0].timeout", "hook timeout 0");
        refused("\"hostname\": 5", "hostname: expected a string", "hostname a number");
        refused("\"hostname\": \"h\"", "hostname: needs a uts namespace", "hostname without uts");
        tap_is_int(parse("{\"ociVersion\": \"1.0.2\", \"root\": {}}", &err), -EINVAL, "root.path missing refused");
        tap_ok(strstr(err.msg, "root.path: missing") != NULL, "... saying 'root.path: missing'");
        refused("\"ociVersion\": 2", "duplicate", "duplicate key");
        char big[64];
        snprintf(big, sizeof(big), "\"process\": {\"args\": [\"a\"], \"oomScoreAdj\": 1001}");
        refused(big, "process.oomScoreAdj: 1001 is out of range", "oomScoreAdj out of range");
}

/* linux.*: refused with their JSON path. */
static void test_refused_linux(void)
{
        static const struct { const char *body, *want, *what; } lx[] = {
                { "\"namespaces\": [{\"type\": \"bogus\"}]", "linux.namespaces[0].type: unknown namespace type 'bogus'", "unknown namespace" },
                { "\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"pid\"}]", "linux.namespaces[1].type: namespace 'pid' given twice", "namespace twice" },
                { "\"namespaces\": [{\"type\": \"pid\", \"path\": \"rel\"}]", "linux.namespaces[0].path", "relative namespace path" },
                { "\"namespaces\": [{\"type\": \"user\"}]", "needs uidMappings", "userns without maps" },
                { "\"namespaces\": [{\"type\": \"pid\"}], \"rootfsPropagation\": \"shared\"", "linux.rootfsPropagation: needs a mount namespace", "propagation without a mount namespace" },
                { "\"namespaces\": [{\"type\": \"pid\"}], \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229}]", "linux.devices[0]: '/dev/fuse' needs a mount namespace", "devices without a mount namespace" },
                { "\"namespaces\": [{\"type\": \"mount\"}], \"uidMappings\": [{\"containerID\": 0}]", "linux.uidMappings[0]: needs", "incomplete idmap" },
                { "\"namespaces\": [{\"type\": \"mount\"}], \"sysctl\": {\"../x\": \"1\"}", "invalid key '../x'", "sysctl traversal" },
                { "\"namespaces\": [{\"type\": \"mount\"}], \"sysctl\": {\"a\": 1}", "linux.sysctl.a: expected a string", "sysctl value" },
                { "\"namespaces\": [{\"type\": \"mount\"}], \"devices\": [{\"path\": \"/etc/x\", \"type\": \"c\"}]", "linux.devices[0].path: must be a path under /dev", "device outside /dev" },
                { "\"namespaces\": [{\"type\": \"mount\"}], \"seccomp\": {\"defaultAction\": \"SCMP_ACT_NOPE\"}", "linux.seccomp.defaultAction: unknown seccomp action", "seccomp action" },
                { "\"namespaces\": [{\"type\": \"mount\"}], \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"x\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 9, \"op\": \"SCMP_CMP_EQ\"}]}]}", "linux.seccomp.syscalls[0].args[0].index", "seccomp arg index" },
                { "\"namespaces\": [{\"type\": \"mount\"}], \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_VAX\"]}", "linux.seccomp.architectures[0]: unknown", "seccomp arch" },
                { "\"namespaces\": [{\"type\": \"mount\"}], \"cgroupsPath\": \"/a/../../b\"", "linux.cgroupsPath", "cgroupsPath traversal" },
                { "\"namespaces\": [{\"type\": \"mount\"}], \"cgroupsPath\": \"system.slice:bv\"", "slice:prefix:name", "systemd cgroupsPath without a name" },
                { "\"namespaces\": [{\"type\": \"mount\"}], \"cgroupsPath\": \"bad--x.slice:bv:c1\"", "invalid slice or name", "systemd cgroupsPath with a bad slice" },
                { "\"namespaces\": [{\"type\": \"mount\"}], \"resources\": {\"memory\": {\"limit\": \"1G\"}}", "linux.resources.memory.limit: expected an integer", "memory limit a string" },
                { "\"namespaces\": [{\"type\": \"mount\"}], \"resources\": {\"unified\": {\"../x\": \"1\"}}", "linux.resources.unified: invalid key", "unified traversal" },
                { "\"namespaces\": [{\"type\": \"mount\"}], \"rootfsPropagation\": \"sideways\"", "linux.rootfsPropagation: unknown", "propagation" },
        };
        for (size_t i = 0; i < BV_ELEMENTSOF(lx); i++) {
                char buf[1024];
                struct bv_error e = { 0 };
                snprintf(buf, sizeof(buf), "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"linux\": {%s}}", lx[i].body);
                int r = parse(buf, &e);
                tap_ok(r < 0 && strstr(e.msg, lx[i].want), "refused: %s", lx[i].what);
                if (r >= 0 || !strstr(e.msg, lx[i].want))
                        tap_diag("  got %d '%s', want '%s'", r, e.msg, lx[i].want);
        }
}

/* No mount namespace: the host's; what would mount on it is refused by name, the rest parses. */
static void test_without_mountns(void)
{
        static const char base[] = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"%s}, %s"
                                   "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}], \"maskedPaths\": [\"/proc/kcore\"]}}";
        struct ctr_config *cfg = NULL;
        struct bv_error err = { 0 };
        char buf[1024];

        snprintf(buf, sizeof(buf), base, "", "");
        tap_is_int(ctr_config_parse(buf, strlen(buf), &cfg, &err), 0, "no mount namespace: parses");
        tap_ok(cfg && !cfg->ns[CTR_NS_MOUNT].enabled && cfg->ns[CTR_NS_PID].enabled, "... shares the mount namespace");
        ctr_config_free(cfg);
        snprintf(buf, sizeof(buf), base, "", "\"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\"}], ");
        tap_is_int(parse(buf, &err), -EOPNOTSUPP, "no mount namespace: mounts refused");
        tap_ok(strstr(err.msg, "mounts[0]: '/proc' needs a mount namespace") != NULL, "... by name (%s)", err.msg);
        snprintf(buf, sizeof(buf), base, ", \"readonly\": true", "");
        tap_is_int(parse(buf, &err), -EOPNOTSUPP, "no mount namespace: root.readonly refused");
        tap_ok(strstr(err.msg, "root.readonly: needs a mount namespace") != NULL, "... by name");
}

/* LSM keys against what a host enforces: both kinds of host, and the detection from a sysfs tree. */
static void test_lsm(void)
{
        static const struct ctr_lsm_host none = { false, false }, aa = { true, false }, se = { false, true };
        struct ctr_config *cfg = NULL;
        struct bv_error err = { 0 };
        struct ctr_lsm_host h;

        tap_is_int(parse_with("\"process\": {\"args\": [\"sh\"], \"apparmorProfile\": \"p1\", \"selinuxLabel\": \"l1\"}", &err),
                   0, "apparmorProfile and selinuxLabel parse");
        const char *doc = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": [\"sh\"], "
                          "\"apparmorProfile\": \"p1\"}, \"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"mountLabel\": \"m1\"}}";
        ctr_config_parse(doc, strlen(doc), &cfg, &err);
        tap_ok(cfg && strcmp(cfg->process->apparmor_profile, "p1") == 0 && strcmp(cfg->mount_label, "m1") == 0,
               "linux.mountLabel and process.apparmorProfile are read");
        tap_is_int(ctr_lsm_check(cfg, cfg->process, &none, &err), -EOPNOTSUPP, "no AppArmor: apparmorProfile refused");
        tap_ok(strstr(err.msg, "process.apparmorProfile") && strstr(err.msg, "'p1'") &&
               strstr(err.msg, "AppArmor is not enabled"), "... naming the key and the profile (%s)", err.msg);
        tap_is_int(ctr_lsm_check(cfg, cfg->process, &aa, &err), 0, "AppArmor enabled: the profile is taken, mountLabel ignored");
        tap_is_int(ctr_lsm_check(cfg, NULL, &none, &err), 0, "no SELinux: mountLabel ignored");
        tap_is_int(ctr_lsm_check(cfg, NULL, &se, &err), -EOPNOTSUPP, "SELinux enabled: mountLabel refused");
        tap_ok(strstr(err.msg, "linux.mountLabel") && strstr(err.msg, "would be dropped"), "... saying why (%s)", err.msg);
        struct ctr_process *p = cfg->process;
        ctr_process_set_lsm(p, "", "l2");
        tap_is_int(ctr_lsm_check(NULL, p, &se, &err), -EOPNOTSUPP, "SELinux enabled: selinuxLabel refused");
        tap_is_int(ctr_lsm_check(NULL, p, &none, &err), 0, "no SELinux, no profile: nothing to refuse");
        ctr_config_free(cfg);

        char dir[] = "/tmp/bv-lsm.XXXXXX", cmd[256];
        tap_ok(mkdtemp(dir) != NULL, "a fake sysfs");
        snprintf(cmd, sizeof(cmd), "mkdir -p %s/module/apparmor/parameters %s/kernel/security/apparmor %s/fs/selinux && "
                 "echo Y >%s/module/apparmor/parameters/enabled", dir, dir, dir, dir);
        tap_is_int(system(cmd), 0, "... with AppArmor on and selinuxfs empty");
        ctr_lsm_host_detect(dir, &h);
        tap_ok(h.apparmor && !h.selinux, "detected: AppArmor, no SELinux (no enforce file)");
        snprintf(cmd, sizeof(cmd), "echo N >%s/module/apparmor/parameters/enabled && touch %s/fs/selinux/enforce", dir, dir);
        tap_is_int(system(cmd), 0, "... then AppArmor off and selinuxfs mounted");
        ctr_lsm_host_detect(dir, &h);
        tap_ok(!h.apparmor && h.selinux, "detected: SELinux, AppArmor off");
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        tap_is_int(system(cmd), 0, "fake sysfs removed");
        ctr_lsm_host_detect("/nonexistent", &h);
        tap_ok(!h.apparmor && !h.selinux, "nothing readable: nothing enabled");
}

/* Documents that are not config.json at all. */
static void test_bad_documents(void)
{
        struct bv_error err = { 0 };

        tap_is_int(parse("{\"ociVersion\": \"1.0.2\", \"root\": ", &err), -EINVAL, "truncated JSON refused");
        tap_ok(strstr(err.msg, "config.json") && strstr(err.msg, "line 1"), "... with its position");
        tap_is_int(parse("{\"root\": {\"path\": \"r\"}}", &err), -EINVAL, "ociVersion missing");
        tap_is_int(parse("{\"ociVersion\": \"2.0.0\", \"root\": {\"path\": \"r\"}}", &err), -EINVAL, "ociVersion 2 refused");
}

/* The default spec of `spec` parses and has what runc's has; `features`. */
static void test_default_spec(void)
{
        struct bv_error err = { 0 };
        struct ctr_config *cfg = NULL;

        json_t *spec = ctr_spec_default();
        char *s = json_dumps(spec, 0);
        tap_is_int(ctr_config_parse(s, strlen(s), &cfg, &err), 0, "the default spec parses");
        tap_ok(cfg && cfg->ns[CTR_NS_PID].enabled && cfg->ns[CTR_NS_NET].enabled && cfg->n_mounts == 7 &&
               cfg->process->no_new_privileges, "default spec: namespaces, 7 mounts, noNewPrivileges");
        ctr_config_free(cfg);
        free(s);
        json_decref(spec);
        json_t *feat = ctr_features();
        tap_ok(feat && json_is_array(json_object_get(feat, "hooks")), "features lists hooks");
        json_decref(feat);
}

/* exec's process: the container's, with args/env/cwd/user replaced. */
static void test_exec_process(void)
{
        struct bv_error err = { 0 };
        struct ctr_config *cfg = NULL;

        ctr_config_parse(full, strlen(full), &cfg, &err);
        struct ctr_process *ep = NULL;
        char *args[] = { "ls", "-l", NULL }, *env[] = { "B=2", NULL };
        tap_is_int(ctr_process_for_exec(cfg, args, env, "/tmp", "7:8", false, &ep, &err), 0, "process for exec");
        tap_ok(ep && strcmp(ep->args[0], "ls") == 0 && ep->uid == 7 && ep->gid == 8 && !ep->terminal &&
               strcmp(ep->env[1], "B=2") == 0 && strcmp(ep->cwd, "/tmp") == 0, "... args, user, env, cwd replaced");
        tap_ok(ep && ep->caps[CTR_CAP_EFFECTIVE] == (1ULL << 5), "... capabilities kept");
        ctr_process_free(ep);
        tap_is_int(ctr_process_for_exec(cfg, args, NULL, NULL, "x", false, &ep, &err), -EINVAL, "bad --user refused");
        ctr_config_free(cfg);
}

int main(void)
{
        test_full();
        test_cgroup_rel();
        test_device_rules();
        test_refused_fields();
        test_refused_linux();
        test_bad_documents();
        test_without_mountns();
        test_lsm();
        test_default_spec();
        test_exec_process();
        tap_done();
}
