/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device access rules (linux.resources.devices) on cgroup v2: there is no
 * devices controller, the kernel asks a BPF_PROG_TYPE_CGROUP_DEVICE program
 * attached to the cgroup instead. This builds that program from the rules
 * (checked last to first, the first match decides, as "later rules
 * override earlier ones"; with no match the answer is "allow" unless a rule
 * denied everything, which is how every engine starts its list) and attaches
 * it with BPF_F_ALLOW_MULTI. It works on hybrid hosts too: the program hangs
 * on the container's cgroup in the v2 tree, whatever v1 does.
 *
 * The program is small and bounded: at most 8 instructions per rule plus 7,
 * and the rule count is capped by the config parser.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

static long bpf(int cmd, union bpf_attr *attr)
{
        return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int ctr_devices_attach(int cgfd, const struct ctr_dev_rule *rules, size_t n, struct bv_error *err)
{
        _cleanup_free_ struct bpf_insn *prog = calloc(n * 8 + 8, sizeof(*prog));
        size_t k = 0;
        bool default_allow = true, ended = false;

        if (!prog)
                return -ENOMEM;
        /* r2 = type, r3 = access, r4 = major, r5 = minor (struct bpf_cgroup_dev_ctx). */
        prog[k++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0);
        prog[k++] = INSN(BPF_ALU | BPF_MOV | BPF_X, 3, 2, 0, 0);
        prog[k++] = INSN(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16);
        prog[k++] = INSN(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff);
        prog[k++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0);
        prog[k++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0);
        for (size_t i = 0; i < n; i++)
                if (!rules[i].allow && rules[i].type == 'a' && rules[i].major < 0 && rules[i].minor < 0 &&
                    rules[i].access == 7)
                        default_allow = false;
        for (size_t i = n; i-- > 0;) {
                const struct ctr_dev_rule *r = &rules[i];
                struct bpf_insn block[8];
                size_t b = 0, jumps[4], nj = 0;
                if (r->type != 'a') {
                        jumps[nj++] = b;
                        block[b++] = INSN(BPF_JMP32 | BPF_JNE | BPF_K, 2, 0, 0,
                                          r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
                }
                if (r->access != 7) {
                        /* Matches when the requested access is a subset of the rule's. */
                        block[b++] = INSN(BPF_ALU | BPF_MOV | BPF_X, 6, 3, 0, 0);
                        block[b++] = INSN(BPF_ALU | BPF_AND | BPF_K, 6, 0, 0, (int32_t)(~r->access & 7));
                        jumps[nj++] = b;
                        block[b++] = INSN(BPF_JMP32 | BPF_JNE | BPF_K, 6, 0, 0, 0);
                }
                if (r->major >= 0) {
                        jumps[nj++] = b;
                        block[b++] = INSN(BPF_JMP32 | BPF_JNE | BPF_K, 4, 0, 0, (int32_t)r->major);
                }
                if (r->minor >= 0) {
                        jumps[nj++] = b;
                        block[b++] = INSN(BPF_JMP32 | BPF_JNE | BPF_K, 5, 0, 0, (int32_t)r->minor);
                }
                block[b++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r->allow ? 1 : 0);
                block[b++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
                for (size_t j = 0; j < nj; j++)
                        block[jumps[j]].off = (int16_t)(b - jumps[j] - 1);
                memcpy(prog + k, block, b * sizeof(*block));
                k += b;
                /* A rule that matches everything ends the program: the verifier refuses dead code. */
                if (nj == 0) {
                        ended = true;
                        break;
                }
        }
        if (!ended) {
                prog[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, default_allow ? 1 : 0);
                prog[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        }

        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t)(uintptr_t)prog;
        attr.insn_cnt = (uint32_t)k;
        attr.license = (uint64_t)(uintptr_t)"GPL";
        int pfd = (int)bpf(BPF_PROG_LOAD, &attr);
        if (pfd < 0 && errno == EINVAL) {
                /* Load again with the verifier's log, for the message. */
                char log[512] = "";
                attr.log_buf = (uint64_t)(uintptr_t)log;
                attr.log_size = sizeof(log);
                attr.log_level = 1;
                pfd = (int)bpf(BPF_PROG_LOAD, &attr);
                if (pfd < 0) {
                        log[strcspn(log, "\n")] = 0;
                        return bv_error_set(err, EINVAL, "linux.resources.devices: the kernel refused the device program: %s", log);
                }
        }
        if (pfd < 0)
                return bv_error_set_errno(err, errno, "linux.resources.devices: failed to load the cgroup device program");
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)cgfd;
        attr.attach_bpf_fd = (uint32_t)pfd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = BPF_F_ALLOW_MULTI;
        int r = bpf(BPF_PROG_ATTACH, &attr) < 0 ? -errno : 0;
        close(pfd);
        if (r < 0)
                return bv_error_set_errno(err, -r, "linux.resources.devices: failed to attach the cgroup device program");
        return 0;
}
