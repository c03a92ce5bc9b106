/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The default seccomp profile of barevirt containers, in the spirit of
 * Docker's: everything is allowed except the system calls that reach past
 * the container's namespaces into the shared kernel (keyrings, kexec, BPF,
 * kernel modules, file handles, perf, userfaultfd, swap, accounting, the
 * clock) and, unless the container keeps CAP_SYS_ADMIN, the ones that make
 * or join namespaces and mounts. Denied calls fail with EPERM, as they
 * would without the capability, so programs take their usual fallback.
 * clone3 fails with ENOSYS instead: its flags live in memory a filter cannot
 * read, and ENOSYS makes libc fall back to clone(), whose flags are checked.
 *
 * The profile is an OCI linux.seccomp object; the runtime compiles (and
 * caches) it like any other.
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>

#include "common/common.h"
#include "ctr/ctr.h"

/* Reach past the namespaces: denied for every non-privileged container. */
static const char *const denied_always[] = {
        "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
        "delete_module", "finit_module", "get_kernel_syms", "get_mempolicy", "init_module",
        "ioperm", "iopl", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie",
        "mbind", "move_pages", "name_to_handle_at", "nfsservctl", "open_by_handle_at",
        "perf_event_open", "query_module", "quotactl",
        "request_key", "set_mempolicy", "settimeofday", "stime", "swapoff", "swapon", "_sysctl",
        "sysfs", "uselib", "userfaultfd", "ustat", "vm86", "vm86old", "adjtimex",
        NULL,
};

/* Mounts and namespaces: denied unless the container has CAP_SYS_ADMIN. */
static const char *const denied_sys_admin[] = {
        "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
        "mount", "mount_setattr", "move_mount", "open_tree", "pivot_root", "setdomainname",
        "sethostname", "setns", "syslog", "umount", "umount2", "unshare", "vhangup",
        NULL,
};

static const char *const denied_ptrace[] = { "kcmp", "process_vm_readv", "process_vm_writev", "ptrace", NULL };

static json_t *names(const char *const *l)
{
        json_t *a = json_array();
        for (; a && *l; l++)
                if (json_array_append_new(a, json_string(*l)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *errno_rule(const char *const *l, int e)
{
        return json_pack("{s:o, s:s, s:i}", "names", names(l), "action", "SCMP_ACT_ERRNO", "errnoRet", e);
}

json_t *ctr_ct_seccomp_default(bool cap_sys_admin, bool cap_sys_ptrace)
{
        static const unsigned long ns_flags[] = { CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                                                  CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP };
        json_auto_t *rules = json_array();
        int bad = 0;

        if (!rules)
                return NULL;
        bad |= json_array_append_new(rules, errno_rule(denied_always, EPERM));
        if (!cap_sys_ptrace)
                bad |= json_array_append_new(rules, errno_rule(denied_ptrace, EPERM));
        if (!cap_sys_admin) {
                bad |= json_array_append_new(rules, errno_rule(denied_sys_admin, EPERM));
                /* clone() with any namespace flag: one rule per flag (the arg is "any of"). */
                for (size_t i = 0; i < BV_ELEMENTSOF(ns_flags); i++)
                        bad |= json_array_append_new(
                                rules, json_pack("{s:[s], s:s, s:i, s:[{s:i, s:I, s:I, s:s}]}", "names", "clone",
                                                 "action", "SCMP_ACT_ERRNO", "errnoRet", EPERM, "args",
                                                 "index", 0, "value", (json_int_t)ns_flags[i], "valueTwo",
                                                 (json_int_t)ns_flags[i], "op", "SCMP_CMP_MASKED_EQ"));
                bad |= json_array_append_new(rules, json_pack("{s:[s], s:s, s:i}", "names", "clone3", "action",
                                                              "SCMP_ACT_ERRNO", "errnoRet", ENOSYS));
        }
        if (bad)
                return NULL;
        return json_pack("{s:s, s:[sss], s:O}", "defaultAction", "SCMP_ACT_ALLOW", "architectures",
                         "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "syscalls", rules);
}
