/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QEMU half of the KVM probe. Its firmware is proven under TCG (so a
 * "not usable" for KVM is never the probe's own fault); a QEMU that fails
 * gives a reason with its own words; on this host the KVM answer is only
 * reported, since hosts differ (the daemon test checks it against CI's word).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "tests/tap.h"
#include "vmm/vmm.h"

int main(void)
{
        char qemu[4096], reason[256], dir[] = "/tmp/bv-kvm-probe.XXXXXX";
        struct bv_error err = {};
        bool usable = true;

        if (vmm_qemu_find("qemu-system-x86_64", qemu, sizeof(qemu), &err) < 0)
                tap_skip_all("qemu-system-x86_64 is not installed");
        if (!mkdtemp(dir))
                tap_skip_all("mkdtemp failed");

        tap_is_int(vmm_qemu_probe_accel(qemu, "tcg", dir, 10000, &usable, reason, sizeof(reason), &err),
                   0, "the TCG probe runs");
        tap_ok(usable, "QEMU runs the probe's firmware under TCG");
        tap_ok(strstr(reason, "QEMU ran a test guest with tcg in ") != NULL, "reason: %s", reason);
        tap_ok(access(dir, F_OK) == 0 && rmdir(dir) == 0, "the firmware file is removed again");

        tap_ok(mkdtemp(strcpy(dir, "/tmp/bv-kvm-probe.XXXXXX")) != NULL, "a second folder");
        tap_is_int(vmm_qemu_probe_accel("/bin/false", "tcg", dir, 10000, &usable, reason, sizeof(reason),
                                        &err),
                   0, "a QEMU that fails is an answer, not an error");
        tap_ok(!usable, "... and not usable");
        tap_ok(strstr(reason, "QEMU cannot run a guest with tcg here: ") != NULL, "reason: %s", reason);

        tap_is_int(vmm_qemu_probe_accel(qemu, "tcg", "/nonexistent", 10000, &usable, reason,
                                        sizeof(reason), &err),
                   -ENOENT, "an unwritable folder is an error");
        tap_ok(strstr(err.msg, "/nonexistent") != NULL, "naming the path: %s", err.msg);

        tap_is_int(vmm_qemu_probe_accel(qemu, "kvm", dir, 10000, &usable, reason, sizeof(reason), &err),
                   0, "the KVM probe gives an answer");
        tap_diag("KVM through QEMU here: %s (%s)", usable ? "usable" : "not usable", reason);
        rmdir(dir);
        tap_done();
}
