/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Seccomp: linux.seccomp compiled with libseccomp into a classic BPF
 * program by the runtime before clone(), cached by content, and loaded by
 * the container process with seccomp(2) just before execve().
 *
 * The cache lives in <state root>/.seccomp/<hash>.bpf (directory 0700,
 * files 0600, owned by us and checked to be so before use): Podman and
 * Docker send the same large default profile for every container, and
 * compiling it costs more than loading it. The key is a 64-bit FNV-1a hash
 * of the canonical JSON of the profile, the libseccomp version and the
 * native architecture; a file that is not a whole number of instructions
 * or is too large is ignored and rebuilt. The program is loaded with the
 * flags the profile asks for (log, spec_allow, tsync), never with libseccomp's
 * own noNewPrivileges (that is the config's to decide).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

#define CTR_BPF_MAX_INSNS 4096 /* the kernel's BPF_MAXINSNS */

static int build(const struct ctr_seccomp *s, scmp_filter_ctx *ret, struct bv_error *err)
{
        scmp_filter_ctx ctx;
        int r = 0;

        ctx = seccomp_init(s->default_action);
        if (!ctx)
                return bv_error_set(err, EINVAL, "Failed to initialise the seccomp filter");
        seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        for (size_t i = 0; i < s->n_arches; i++) {
                r = seccomp_arch_add(ctx, s->arches[i]);
                if (r < 0 && r != -EEXIST) {
                        seccomp_release(ctx);
                        return bv_error_set_errno(err, -r, "Failed to add a seccomp architecture");
                }
        }
        for (size_t i = 0; i < s->n_rules; i++) {
                const struct ctr_seccomp_rule *rule = &s->rules[i];
                struct scmp_arg_cmp cmp[CTR_SECCOMP_MAX_ARGS];
                bool repeated = false;
                unsigned seen = 0;

                if (rule->action == s->default_action)
                        continue;
                for (size_t a = 0; a < rule->n_args; a++) {
                        const struct ctr_seccomp_arg *x = &rule->args[a];
                        cmp[a] = (struct scmp_arg_cmp){ x->index, (enum scmp_compare)x->op, x->value, x->value2 };
                        repeated |= (seen & (1u << x->index)) != 0;
                        seen |= 1u << x->index;
                }
                for (const char **n = rule->names; *n; n++) {
                        int nr = seccomp_syscall_resolve_name(*n);
                        r = 0;
                        if (nr == __NR_SCMP_ERROR)
                                continue; /* unknown to this libseccomp or arch: ignored, as runc does */
                        if (repeated) {
                                /* The same argument twice means "any of": one rule each. */
                                for (size_t a = 0; a < rule->n_args && r >= 0; a++)
                                        r = seccomp_rule_add_array(ctx, rule->action, nr, 1, &cmp[a]);
                        } else
                                r = seccomp_rule_add_array(ctx, rule->action, nr, (unsigned)rule->n_args, cmp);
                        if (r < 0) {
                                seccomp_release(ctx);
                                return bv_error_set_errno(err, -r, "Failed to add the seccomp rule for '%s'", *n);
                        }
                }
        }
        *ret = ctx;
        return 0;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
        const unsigned char *p = data;
        for (size_t i = 0; i < len; i++) {
                h ^= p[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

/* Reads a cached program; -ENOENT (or any error) means "compile". */
static int cache_read(const char *path, struct ctr_bpf *ret)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;

        if (fd < 0)
                return -errno;
        /* Only a file of ours that nobody else could have written is trusted. */
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) ||
            st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) ||
            st.st_size > (off_t)(CTR_BPF_MAX_INSNS * sizeof(struct sock_filter)))
                return -EINVAL;
        struct sock_filter *insns = malloc((size_t)st.st_size);
        if (!insns)
                return -ENOMEM;
        if (read(fd, insns, (size_t)st.st_size) != (ssize_t)st.st_size) {
                free(insns);
                return -EIO;
        }
        ret->insns = insns;
        ret->n = (size_t)st.st_size / sizeof(struct sock_filter);
        return 0;
}

int ctr_seccomp_compile(const struct ctr_config *cfg, const char *state_root, struct ctr_bpf *ret,
                        struct bv_error *err)
{
        const struct ctr_seccomp *s = cfg->seccomp;
        char dir[4096], path[4200];
        scmp_filter_ctx ctx = NULL;
        int r;

        memset(ret, 0, sizeof(*ret));
        if (!s)
                return 0;
        json_t *obj = json_object_get(json_object_get(cfg->json, "linux"), "seccomp");
        _cleanup_free_ char *canon = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
        if (!canon)
                return -ENOMEM;
        uint64_t h = fnv1a(0xcbf29ce484222325ULL, canon, strlen(canon));
        const struct scmp_version *v = seccomp_version();
        uint32_t ver[4] = { v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, seccomp_arch_native() };
        h = fnv1a(h, ver, sizeof(ver));
        bool cache = state_root && snprintf(dir, sizeof(dir), "%s/.seccomp", state_root) < (int)sizeof(dir);
        if (cache) {
                snprintf(path, sizeof(path), "%s/%016llx.bpf", dir, (unsigned long long)h);
                if (cache_read(path, ret) == 0)
                        return 0;
        }
        if ((r = build(s, &ctx, err)) < 0)
                return r;
        _cleanup_close_ int mfd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
        if (mfd < 0 || (r = seccomp_export_bpf(ctx, mfd)) < 0) {
                r = mfd < 0 ? -errno : r;
                seccomp_release(ctx);
                return bv_error_set_errno(err, -r, "Failed to compile the seccomp filter");
        }
        seccomp_release(ctx);
        off_t size = lseek(mfd, 0, SEEK_END);
        if (size <= 0 || size % (off_t)sizeof(struct sock_filter) ||
            size > (off_t)(CTR_BPF_MAX_INSNS * sizeof(struct sock_filter)))
                return bv_error_set(err, E2BIG, "linux.seccomp: the compiled filter is too large");
        struct sock_filter *insns = malloc((size_t)size);
        if (!insns)
                return -ENOMEM;
        if (pread(mfd, insns, (size_t)size, 0) != size) {
                free(insns);
                return bv_error_set_errno(err, errno, "Failed to read the compiled seccomp filter");
        }
        ret->insns = insns;
        ret->n = (size_t)size / sizeof(struct sock_filter);
        /* A cache that cannot be written is only a missed speed-up. */
        if (cache && (mkdir(dir, 0700) == 0 || errno == EEXIST))
                (void)bv_file_write_atomic(path, insns, (size_t)size, 0600, NULL);
        return 0;
}

void ctr_bpf_done(struct ctr_bpf *b)
{
        free(b->insns);
        b->insns = NULL;
        b->n = 0;
}

int ctr_seccomp_apply(const struct ctr_seccomp *s, const struct ctr_bpf *filter, struct bv_error *err)
{
        if (!s || !filter || !filter->n)
                return 0;
        struct sock_fprog prog = { .len = (unsigned short)filter->n, .filter = filter->insns };
        unsigned flags = 0;
        if (s->flag_log)
                flags |= SECCOMP_FILTER_FLAG_LOG;
        if (s->flag_spec_allow)
                flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
        if (s->flag_tsync)
                flags |= SECCOMP_FILTER_FLAG_TSYNC;
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) < 0)
                return bv_error_set_errno(err, errno, "Failed to load the seccomp filter");
        return 0;
}
