/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Definition -> qemu argv. The VM gets nothing by default (-nodefaults
 * -no-user-config): every device comes from the definition. QMP and the
 * serial console are UNIX sockets in the VM's run directory (the console
 * also logged to a file), the process is confined with -sandbox, and NICs
 * use tap fds that barevirtd opened and passes in. Paths are escaped for
 * QEMU's option syntax (a ',' is written ',,').
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vmm/vmm.h"

struct argv_buf {
        char **v;
        size_t n, cap;
        bool oom;
};

static void add(struct argv_buf *b, char *s)
{
        if (!s || b->oom) {
                b->oom = true;
                free(s);
                return;
        }
        if (b->n + 2 > b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 64;
                char **nv = realloc(b->v, cap * sizeof(*nv));
                if (!nv) {
                        b->oom = true;
                        free(s);
                        return;
                }
                b->v = nv;
                b->cap = cap;
        }
        b->v[b->n++] = s;
        b->v[b->n] = NULL;
}

static __attribute__((format(printf, 2, 3))) void addf(struct argv_buf *b, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        add(b, s);
}

static void adds(struct argv_buf *b, const char *s)
{
        add(b, strdup(s));
}

/* Escapes ',' as ',,' for QEMU's key=value option syntax. Static buffer per call site is not
 * safe, so returns malloc'ed memory the caller frees. */
static char *esc(const char *s)
{
        size_t n = strlen(s), commas = 0;
        for (size_t i = 0; i < n; i++)
                commas += s[i] == ',';
        char *r = malloc(n + commas + 1), *p = r;
        if (!r)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                *p++ = s[i];
                if (s[i] == ',')
                        *p++ = ',';
        }
        *p = '\0';
        return r;
}

json_t *vmm_disk_blockdev(const struct vmm_disk *k)
{
        const char *file = k->overlay && k->overlay_file ? k->overlay_file : k->file;
        const char *format = k->overlay && k->overlay_file ? "qcow2" : k->format;
        bool direct = !strcmp(k->cache, "none") || !strcmp(k->cache, "directsync");
        bool no_flush = !strcmp(k->cache, "unsafe");

        /* cache and read-only on both nodes: an inline child does not inherit them. */
        return json_pack("{s:s,s:s,s:{s:s,s:s,s:b,s:{s:b,s:b}},s:b,s:{s:b,s:b}}", "driver", format,
                         "node-name", k->id, "file", "driver", "file", "filename", file,
                         "read-only", k->readonly, "cache", "direct", direct, "no-flush", no_flush,
                         "read-only", k->readonly, "cache", "direct", direct, "no-flush", no_flush);
}

bool vmm_disk_write_cache(const struct vmm_disk *k)
{
        return strcmp(k->cache, "writethrough") != 0 && strcmp(k->cache, "directsync") != 0;
}

/*
 * One disk as -blockdev (a node named after the disk id, so QMP can find
 * it for snapshots and hot-unplug) plus its device. The cache mode maps to
 * the node's cache.direct/no-flush and the device's write-cache.
 */
static void add_disk(struct argv_buf *b, const struct vmm_disk *k, bool *scsi_added)
{
        bool write_cache = vmm_disk_write_cache(k);
        json_t *node = vmm_disk_blockdev(k);
        char *spec = node ? json_dumps(node, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

        json_decref(node);
        adds(b, "-blockdev");
        add(b, spec);
        if (strcmp(k->bus, "scsi") == 0) {
                if (!*scsi_added) {
                        adds(b, "-device");
                        adds(b, "virtio-scsi-pci,id=scsi0");
                        *scsi_added = true;
                }
                adds(b, "-device");
                addf(b, "scsi-hd,drive=%s,bus=scsi0.0,id=%s-dev,write-cache=%s", k->id, k->id, write_cache ? "on" : "off");
        } else {
                adds(b, "-device");
                addf(b, "virtio-blk-pci,drive=%s,id=%s-dev,write-cache=%s", k->id, k->id, write_cache ? "on" : "off");
        }
}

int vmm_argv_build(const struct vmm_def *d, const struct vmm_argv_opts *o, char ***ret,
                   struct bv_error *err)
{
        struct argv_buf b = {};
        char *e;
        bool scsi = false;

        if (d->n_nics > o->n_tap_fds)
                return bv_error_set(err, EINVAL, "VM '%s' has %zu NICs but %zu tap fds", d->name, d->n_nics,
                                    o->n_tap_fds);
        if (strcmp(d->firmware, "uefi") == 0 && !o->uefi_firmware)
                return bv_error_set(err, EINVAL, "UEFI firmware requested but no OVMF image is installed (apt-get install ovmf)");

        adds(&b, o->qemu);
        adds(&b, "-name");
        addf(&b, "%s", d->name);
        adds(&b, "-nodefaults");
        adds(&b, "-no-user-config");
        adds(&b, "-machine");
        addf(&b, "%s,accel=%s", d->machine, o->kvm ? "kvm" : "tcg");
        if (o->kvm) {
                adds(&b, "-cpu");
                adds(&b, "host");
        }
        adds(&b, "-smp");
        addf(&b, "%u", d->vcpus);
        adds(&b, "-m");
        addf(&b, "%u", d->memory_mib);
        adds(&b, "-sandbox");
        adds(&b, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
        adds(&b, "-qmp");
        e = esc(o->qmp_socket);
        addf(&b, "unix:%s,server=on,wait=off", e ? e : "");
        free(e);
        adds(&b, "-chardev");
        e = esc(o->serial_socket);
        char *l = esc(o->console_log);
        addf(&b, "socket,id=serial0,path=%s,server=on,wait=off,logfile=%s,logappend=on", e ? e : "", l ? l : "");
        free(e);
        free(l);
        adds(&b, "-serial");
        adds(&b, "chardev:serial0");
        adds(&b, "-pidfile");
        adds(&b, o->pidfile);
        if (d->vnc) {
                adds(&b, "-vga");
                adds(&b, "std");
                adds(&b, "-vnc");
                e = esc(o->vnc_socket);
                addf(&b, "unix:%s", e ? e : "");
                free(e);
        } else {
                adds(&b, "-display");
                adds(&b, "none");
        }
        if (strcmp(d->firmware, "uefi") == 0) {
                adds(&b, "-bios");
                adds(&b, o->uefi_firmware);
        }
        if (d->kernel) {
                adds(&b, "-kernel");
                adds(&b, d->kernel);
                if (d->initrd) {
                        adds(&b, "-initrd");
                        adds(&b, d->initrd);
                }
                if (d->cmdline) {
                        adds(&b, "-append");
                        adds(&b, d->cmdline);
                }
        }
        for (size_t i = 0; i < d->n_disks; i++)
                add_disk(&b, &d->disks[i], &scsi);
        for (size_t i = 0; i < d->n_nics; i++) {
                const struct vmm_nic *n = &d->nics[i];
                adds(&b, "-netdev");
                addf(&b, "tap,id=net%zu,fd=%d", i, o->tap_fds[i]);
                adds(&b, "-device");
                addf(&b, "virtio-net-pci,netdev=net%zu,id=net%zu-dev,mac=%02x:%02x:%02x:%02x:%02x:%02x", i, i,
                     n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
        }
        for (size_t i = 0; i < d->n_extra_args; i++)
                adds(&b, d->extra_args[i]);

        if (b.oom) {
                vmm_argv_free(b.v);
                return bv_error_set(err, ENOMEM, "Out of memory");
        }
        *ret = b.v;
        return 0;
}

char **vmm_argv_free(char **argv)
{
        for (char **p = argv; p && *p; p++)
                free(*p);
        free(argv);
        return NULL;
}
