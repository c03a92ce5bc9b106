/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Documents the runtime hands out (the default config.json of `spec`, the
 * `features` object), the process object for `exec`, and the protection of
 * the runtime binary itself.
 *
 * CVE-2019-5736: a container process that can reach the runtime's binary
 * (through /proc/<pid>/exe of a runtime process that has joined its
 * namespaces, or by exec'ing /proc/self/exe from its init before the user
 * program replaced it) could open it and overwrite the host's copy. The
 * runtime therefore runs from a sealed memfd copy of itself: every process
 * that enters a container has a /proc/self/exe that is an anonymous,
 * write-sealed file, and the binary on disk is never mapped by any of them.
 * The copy is made once per invocation (one re-exec at most, detected by the
 * seals on /proc/self/exe, not by an environment variable a caller could set).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

static const char default_spec[] =
        "{\"ociVersion\":\"" CTR_OCI_VERSION "\","
        "\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
        "\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"TERM=xterm\"],"
        "\"cwd\":\"/\",\"capabilities\":{"
        "\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
        "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
        "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
        "\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
        "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
        "\"noNewPrivileges\":true},"
        "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
        "\"hostname\":\"barevirt\","
        "\"mounts\":["
        "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
        "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
        "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
        "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
        "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
        "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
        "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
        "\"linux\":{\"resources\":{},"
        "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
        "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\",\"/proc/latency_stats\",\"/proc/timer_list\","
        "\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\",\"/proc/scsi\"],"
        "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]}}";

json_t *ctr_spec_default(void)
{
        return json_loads(default_spec, 0, NULL);
}

json_t *ctr_features(void)
{
        return json_pack("{s:s, s:s, s:s, s:[sssssss], s:[sssssss], s:{s:[ssssssss], s:{s:b, s:b}, "
                         "s:{s:b, s:[ssssssss], s:[sss], s:[sss]}, s:{s:b}, s:{s:b}}, s:{s:s}}",
                         "ociVersionMin", "1.0.0", "ociVersionMax", CTR_OCI_VERSION, "name", "barevirt-runtime",
                         "hooks", "prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                         "poststop", "",
                         "mountOptions", "ro", "nosuid", "nodev", "noexec", "rbind", "rprivate", "rro",
                         "linux", "namespaces", "cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time",
                         "cgroup", "v1", true, "v2", true,
                         "seccomp", "enabled", true, "actions", "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
                         "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE",
                         "SCMP_ACT_TRAP", "operators", "SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_MASKED_EQ",
                         "archs", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                         "apparmor", "enabled", true, "selinux", "enabled", false,
                         "annotations", "org.barevirt.runtime", "barevirt-runtime");
}

int ctr_process_for_exec(const struct ctr_config *cfg, char **args, char **env_extra, const char *cwd,
                         const char *user, bool tty, struct ctr_process **ret, struct bv_error *err)
{
        json_t *base = cfg->process ? json_deep_copy(cfg->process->json) : json_object();
        json_t *a = json_array(), *env;
        int r;

        if (!base || !a) {
                json_decref(base);
                json_decref(a);
                return -ENOMEM;
        }
        for (char **s = args; s && *s; s++)
                json_array_append_new(a, json_string(*s));
        json_object_set_new(base, "args", a);
        env = json_object_get(base, "env");
        if (!json_is_array(env)) {
                env = json_array();
                json_object_set_new(base, "env", env);
        }
        for (char **s = env_extra; s && *s; s++)
                json_array_append_new(env, json_string(*s));
        if (cwd)
                json_object_set_new(base, "cwd", json_string(cwd));
        json_object_set_new(base, "terminal", json_boolean(tty));
        if (user) {
                unsigned uid = 0, gid = 0;
                int n = sscanf(user, "%u:%u", &uid, &gid);
                if (n < 1) {
                        json_decref(base);
                        return bv_error_set(err, EINVAL, "invalid user '%s' (expected UID[:GID])", user);
                }
                json_object_set_new(base, "user", json_pack("{s:i, s:i}", "uid", (json_int_t)uid, "gid",
                                                            (json_int_t)(n == 2 ? gid : 0)));
        }
        r = ctr_process_parse(base, "process", ret, err);
        json_decref(base);
        return r;
}

static bool exe_is_sealed(void)
{
        _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        int seals = fcntl(fd, F_GET_SEALS);
        return seals >= 0 && (seals & (F_SEAL_WRITE | F_SEAL_SEAL)) == (F_SEAL_WRITE | F_SEAL_SEAL);
}

int ctr_exe_ensure_sealed(char **argv, char **envp, struct bv_error *err)
{
        struct stat st;

        if (exe_is_sealed())
                return 0;
        _cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (src < 0 || fstat(src, &st) < 0)
                return bv_error_set_errno(err, errno, "Failed to open /proc/self/exe");
        _cleanup_close_ int mfd = memfd_create("barevirt-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return bv_error_set_errno(err, errno, "Failed to create a memfd");
        for (off_t off = 0; off < st.st_size;) {
                ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return bv_error_set_errno(err, n < 0 ? errno : EIO, "Failed to copy the runtime binary");
        }
        if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return bv_error_set_errno(err, errno, "Failed to seal the runtime copy");
        fexecve(mfd, argv, envp);
        return bv_error_set_errno(err, errno, "Failed to re-execute the sealed runtime copy");
}
