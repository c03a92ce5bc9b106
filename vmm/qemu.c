/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding a QEMU binary and asking it for its version. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "vmm/vmm.h"

int vmm_qemu_find(const char *name, char *ret_path, size_t len, struct bv_error *err)
{
        if (strchr(name, '/')) {
                if (access(name, X_OK) < 0)
                        return bv_error_set_errno(err, errno, "QEMU binary '%s' is not executable", name);
                if ((size_t)snprintf(ret_path, len, "%s", name) >= len)
                        return bv_error_set(err, ENAMETOOLONG, "QEMU path '%.100s' is too long", name);
                return 0;
        }
        const char *path = getenv("PATH");
        if (!path || !*path)
                path = "/usr/local/bin:/usr/bin:/bin";
        while (*path) {
                const char *colon = strchrnul(path, ':');
                int n = snprintf(ret_path, len, "%.*s/%s", (int)(colon - path), path, name);
                if (n > 0 && (size_t)n < len && colon != path && access(ret_path, X_OK) == 0)
                        return 0;
                path = *colon ? colon + 1 : colon;
        }
        return bv_error_set(err, ENOENT, "QEMU binary '%s' not found in $PATH (install qemu-system-x86)",
                            name);
}

int vmm_qemu_version(const char *path, unsigned timeout_ms, char *ret_version, size_t len,
                     struct bv_error *err)
{
        char out[512];
        int status;
        char *argv[] = { (char *)path, (char *)"--version", NULL };
        int r = bv_proc_run_capture(argv, timeout_ms, out, sizeof(out), &status, err);

        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return bv_error_set(err, EPROTO, "'%s --version' failed", path);
        const char *v = strstr(out, "version ");
        if (!v)
                return bv_error_set(err, EPROTO, "'%s --version' printed no version", path);
        v += strlen("version ");
        size_t n = strspn(v, "0123456789.");
        if (n == 0 || n >= len)
                return bv_error_set(err, EPROTO, "'%s --version' printed no version", path);
        memcpy(ret_version, v, n);
        ret_version[n] = '\0';
        return 0;
}
