/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VM definitions, golden: every vmm-golden/NAME.json must parse, survive a
 * round trip through vmm_def_to_json(), and build exactly the argv in
 * NAME.argv (one argument per line). Every vmm-bad/NAME.json must be
 * refused with a message containing the line in NAME.err.
 * BAREVIRT_GOLDEN_UPDATE=1 rewrites the .argv files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "tests/golden.h"
#include "tests/tap.h"
#include "vmm/vmm.h"

static char *argv_text(char **argv)
{
        size_t len = 1;
        for (char **p = argv; *p; p++)
                len += strlen(*p) + 1;
        char *s = calloc(1, len);
        for (char **p = argv; s && *p; p++) {
                strcat(s, *p);
                strcat(s, "\n");
        }
        return s;
}

static void compare(const char *dir, const char *name, char **argv)
{
        char argv_path[1024];
        struct bv_error err = {};
        _cleanup_free_ char *got = argv_text(argv);
        _cleanup_free_ char *want = NULL;

        snprintf(argv_path, sizeof(argv_path), "%s/%.*s.argv", dir, (int)(strlen(name) - 5), name);
        if (getenv("BAREVIRT_GOLDEN_UPDATE"))
                bv_file_write_atomic(argv_path, got, strlen(got), 0644, NULL);
        if (bv_file_read(argv_path, 65536, &want, NULL, &err) < 0)
                tap_ok(false, "%s: %s", name, err.msg);
        else if (!tap_ok(strcmp(got, want) == 0, "%s argv matches %s", name, argv_path))
                tap_diag("got:\n%s", got);
}

/* The JSON of o's definition, parsed again: for golden_round_trip(). */
static json_t *reparse(json_t *o, struct bv_error *err)
{
        struct vmm_def *d = NULL;
        json_t *again = vmm_def_from_json(o, &d, err) == 0 ? vmm_def_to_json(d) : NULL;

        vmm_def_free(d);
        return again;
}

static void golden(const char *dir, const char *name)
{
        char sock[256], ser[256], log[256], pid[256];
        struct vmm_def *d = NULL;
        struct bv_error err = {};
        char **argv = NULL;
        static const int taps[] = { 3, 4, 5, 6, 7, 8, 9, 10 };
        json_auto_t *text = NULL;

        if (!tap_ok(golden_load(dir, name, &text, &err) == 0 && vmm_def_from_json(text, &d, &err) == 0,
                    "%s parses", name)) {
                tap_diag("  %s", err.msg);
                return;
        }
        json_auto_t *round = vmm_def_to_json(d);
        golden_round_trip(name, round, reparse);

        snprintf(sock, sizeof(sock), "/run/barevirt/vms/%s/qmp.sock", d->name);
        snprintf(ser, sizeof(ser), "/run/barevirt/vms/%s/serial.sock", d->name);
        snprintf(log, sizeof(log), "/var/lib/barevirt/vms/%s/console.log", d->name);
        snprintf(pid, sizeof(pid), "/run/barevirt/vms/%s/qemu.pid", d->name);
        struct vmm_argv_opts o = {
                .qemu = "/usr/bin/qemu-system-x86_64", .kvm = strstr(name, "kvm") != NULL,
                .qmp_socket = sock, .serial_socket = ser, .console_log = log, .pidfile = pid,
                .vnc_socket = "/run/barevirt/vms/x/vnc.sock", .uefi_firmware = "/usr/share/ovmf/OVMF.fd",
                .tap_fds = taps, .n_tap_fds = 8,
        };
        if (tap_ok(vmm_argv_build(d, &o, &argv, &err) == 0, "%s builds an argv", name))
                compare(dir, name, argv);
        else
                tap_diag("  %s", err.msg);
        vmm_argv_free(argv);
        vmm_def_free(d);
}

/* vmm_def_from_json()'s verdict alone, for golden_each_refused(). */
static int parse_only(json_t *o, struct bv_error *err)
{
        struct vmm_def *d = NULL;
        int r = vmm_def_from_json(o, &d, err);

        vmm_def_free(d);
        return r;
}

int main(void)
{
        uint8_t a[6], b[6], c[6];

        vmm_mac_derive("web1", 0, a);
        vmm_mac_derive("web1", 0, b);
        vmm_mac_derive("web1", 1, c);
        tap_ok(memcmp(a, b, 6) == 0, "derived MAC is stable");
        tap_ok(memcmp(a, c, 6) != 0, "derived MAC differs per NIC");
        tap_ok(a[0] == 0x52 && a[1] == 0x54 && a[2] == 0x00, "derived MAC is 52:54:00:xx:xx:xx");
        golden_each("vmm-golden", golden);
        golden_each_refused("vmm-bad", parse_only);
        tap_done();
}
