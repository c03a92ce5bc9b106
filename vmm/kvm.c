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
#include <sys/stat.h>
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

/* mov al, 0x10; out 0xf4, al; hlt; jmp $-3 -- at the reset vector, 16 bytes below 4 GiB. */
static const uint8_t probe_firmware_entry[] = { 0xb0, 0x10, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd };
#define PROBE_FIRMWARE_SIZE 65536
#define PROBE_DEBUG_EXIT 0x21 /* isa-debug-exit: QEMU exits with (0x10 << 1) | 1 */

int vmm_qemu_probe_accel(const char *qemu, const char *accel, const char *dir, unsigned timeout_ms,
                         bool *ret_usable, char *reason, size_t reason_len, struct bv_error *err)
{
        char fw[4096], out[1024], machine[64];
        bool kvm = strcmp(accel, "kvm") == 0;
        _cleanup_free_ uint8_t *img = calloc(1, PROBE_FIRMWARE_SIZE);

        *ret_usable = false;
        if (!img)
                return bv_error_set(err, ENOMEM, "Out of memory");
        memcpy(img + PROBE_FIRMWARE_SIZE - 16, probe_firmware_entry, sizeof(probe_firmware_entry));
        snprintf(fw, sizeof(fw), "%s/%s-probe.fw", dir, accel);
        int r = bv_file_write_atomic(fw, img, PROBE_FIRMWARE_SIZE, 0600, err);
        if (r < 0)
                return r;

        snprintf(machine, sizeof(machine), "pc,accel=%s", accel);
        char *argv[] = { (char *)qemu, (char *)"-machine", machine, (char *)"-nodefaults",
                         (char *)"-no-user-config", (char *)"-display", (char *)"none",
                         (char *)"-monitor", (char *)"none", (char *)"-serial", (char *)"none",
                         (char *)"-bios", fw, (char *)"-device",
                         (char *)"isa-debug-exit,iobase=0xf4,iosize=0x04",
                         kvm ? (char *)"-cpu" : NULL, (char *)"host", NULL };
        int status = 0;
        uint64_t start = mono_us();
        r = bv_proc_run_capture(argv, timeout_ms, out, sizeof(out), &status, err);
        unlink(fw);
        if (r == -ETIMEDOUT) {
                snprintf(reason, reason_len, "QEMU (%s) did not run a test guest within %u ms", accel,
                         timeout_ms);
                return 0;
        }
        if (r < 0)
                return r;
        if (WIFEXITED(status) && WEXITSTATUS(status) == PROBE_DEBUG_EXIT) {
                *ret_usable = true;
                snprintf(reason, reason_len, "QEMU ran a test guest with %s in %llu ms", accel,
                         (unsigned long long)((mono_us() - start) / 1000));
                return 0;
        }
        /* QEMU's first line says why ("failed to set MSR 0x10a to 0x69"). */
        out[strcspn(out, "\n")] = '\0';
        if (out[0])
                snprintf(reason, reason_len, "QEMU cannot run a guest with %s here: %s", accel, out);
        else if (WIFSIGNALED(status))
                snprintf(reason, reason_len, "QEMU cannot run a guest with %s here: killed by signal %d",
                         accel, WTERMSIG(status));
        else
                snprintf(reason, reason_len, "QEMU cannot run a guest with %s here: exit status %d", accel,
                         WEXITSTATUS(status));
        return 0;
}
