/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KVM probe. /dev/kvm existing and opening proves little: on some hosts
 * (nested virtualisation gone wrong, our CI machines) a vCPU never comes
 * back from KVM_RUN. So we run a one-instruction guest (HLT in real mode)
 * in a forked child and wait for it with a timeout; a child stuck in the
 * kernel is killed and the answer is "not usable".
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "vmm/vmm.h"

/* Exit codes of the probe child. */
enum { PROBE_HLT = 0, PROBE_SETUP = 10, PROBE_RUN = 11, PROBE_EXIT = 12 };

static uint64_t mono_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/* Runs in the child: never returns. */
static void __attribute__((noreturn)) probe_child(int kvm)
{
        int vm = ioctl(kvm, KVM_CREATE_VM, 0);
        if (vm < 0)
                _exit(PROBE_SETUP);
        uint8_t *mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED)
                _exit(PROBE_SETUP);
        mem[0] = 0xf4; /* hlt */
        struct kvm_userspace_memory_region region = {
                .slot = 0, .guest_phys_addr = 0x1000, .memory_size = 0x1000,
                .userspace_addr = (uint64_t)(uintptr_t)mem,
        };
        if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
                _exit(PROBE_SETUP);
        int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
        if (vcpu < 0)
                _exit(PROBE_SETUP);
        int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
        if (sz <= 0)
                _exit(PROBE_SETUP);
        struct kvm_run *run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
        if (run == MAP_FAILED)
                _exit(PROBE_SETUP);
        struct kvm_sregs sregs;
        if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
                _exit(PROBE_SETUP);
        sregs.cs.base = 0;
        sregs.cs.selector = 0;
        if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
                _exit(PROBE_SETUP);
        struct kvm_regs regs = { .rip = 0x1000, .rflags = 0x2 };
        if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
                _exit(PROBE_SETUP);
        if (ioctl(vcpu, KVM_RUN, 0) < 0)
                _exit(PROBE_RUN);
        _exit(run->exit_reason == KVM_EXIT_HLT ? PROBE_HLT : PROBE_EXIT);
}

int vmm_kvm_probe(unsigned timeout_ms, bool *ret_usable, char *reason, size_t reason_len)
{
        *ret_usable = false;
        _cleanup_close_ int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (kvm < 0) {
                snprintf(reason, reason_len, "/dev/kvm: %s", strerror(errno));
                return 0;
        }
        int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
        if (api != KVM_API_VERSION) {
                snprintf(reason, reason_len, "/dev/kvm speaks API version %d, not %d", api,
                         KVM_API_VERSION);
                return 0;
        }

        uint64_t start = mono_us();
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                probe_child(kvm);

        int status = 0;
        if (bv_proc_wait_timeout(pid, timeout_ms, &status) < 0) {
                kill(pid, SIGKILL);
                /* A vCPU stuck in the kernel may not die at once; do not wait for it forever. */
                for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
                        usleep(1000);
                snprintf(reason, reason_len,
                         "KVM_RUN did not return within %u ms: vCPUs hang under KVM here", timeout_ms);
                return 0;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == PROBE_HLT) {
                *ret_usable = true;
                snprintf(reason, reason_len, "a test vCPU ran to HLT in %llu us",
                         (unsigned long long)(mono_us() - start));
        } else if (WIFEXITED(status) && WEXITSTATUS(status) == PROBE_SETUP)
                snprintf(reason, reason_len, "creating a test VM failed");
        else if (WIFEXITED(status) && WEXITSTATUS(status) == PROBE_RUN)
                snprintf(reason, reason_len, "KVM_RUN failed");
        else if (WIFEXITED(status))
                snprintf(reason, reason_len, "the test vCPU did not stop at HLT");
        else
                snprintf(reason, reason_len, "the KVM probe was killed by signal %d",
                         WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        return 0;
}
