/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VM definitions from and to JSON. Every key is checked against the list
 * of known keys for its object, every value's type and range is checked,
 * and the message names the key path, so `barevirt vm create --file`
 * tells the user exactly what to fix.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "vmm/vmm.h"

static const char *const vm_keys[] = { "name", "machine", "accel", "vcpus", "memory", "firmware",
        "kernel", "initrd", "cmdline", "disks", "nics", "vnc", "autostart", "stop_timeout",
        "extra_args", "project", NULL };
static const char *const disk_keys[] = { "file", "format", "bus", "cache", "readonly", "overlay",
        "overlay_file", "id", NULL };
static const char *const nic_keys[] = { "network", "mac", "model", "rate_mbit", "firewall", NULL };

static const char *const machines[] = { "pc", "q35", "microvm", NULL };
static const char *const accels[] = { "auto", "kvm", "tcg", NULL };
static const char *const firmwares[] = { "bios", "uefi", NULL };
static const char *const formats[] = { "raw", "qcow2", NULL };
static const char *const buses[] = { "virtio", "scsi", NULL };
static const char *const caches[] = { "writeback", "none", "writethrough", "directsync", "unsafe", NULL };
static const char *const models[] = { "virtio-net", NULL };

static int get_enum(const json_t *o, const char *key, const char *where, const char *const *list,
                    char **ret, struct bv_error *err)
{
        int r = bv_json_get_str(o, key, where, 32, ret, err);

        if (r < 0)
                return r;
        if (!*ret)
                *ret = strdup(list[0]);
        else if (!bv_json_in_list(*ret, list)) {
                char allowed[128] = "";
                for (const char *const *l = list; *l; l++)
                        snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed), "%s'%s'",
                                 l == list ? "" : ", ", *l);
                return bv_error_set(err, EINVAL, "%s%s: '%.32s' is not one of %s", where, key, *ret, allowed);
        }
        return *ret ? 0 : -ENOMEM;
}

static bool is_abs_path(const char *p)
{
        return p && p[0] == '/';
}

static int parse_disk(const json_t *o, size_t i, struct vmm_disk *d, struct bv_error *err)
{
        char where[32];
        int r;

        if ((r = bv_json_check_element(o, "disks", i, disk_keys, where, sizeof(where), err)) < 0 ||
            (r = bv_json_get_str(o, "file", where, 4000, &d->file, err)) < 0 ||
            (r = bv_json_get_str(o, "overlay_file", where, 4000, &d->overlay_file, err)) < 0 ||
            (r = bv_json_get_str(o, "id", where, 32, &d->id, err)) < 0 ||
            (r = get_enum(o, "bus", where, buses, &d->bus, err)) < 0 ||
            (r = get_enum(o, "cache", where, caches, &d->cache, err)) < 0 ||
            (r = bv_json_get_bool(o, "readonly", where, &d->readonly, err)) < 0 ||
            (r = bv_json_get_bool(o, "overlay", where, &d->overlay, err)) < 0)
                return r;
        if (!is_abs_path(d->file))
                return bv_error_set(err, EINVAL, "%sfile: an absolute path is required", where);
        if (!json_object_get(o, "format")) {
                size_t n = strlen(d->file);
                d->format = strdup(n > 6 && strcmp(d->file + n - 6, ".qcow2") == 0 ? "qcow2" : "raw");
                if (!d->format)
                        return -ENOMEM;
        } else if ((r = get_enum(o, "format", where, formats, &d->format, err)) < 0)
                return r;
        if (d->overlay && d->readonly)
                return bv_error_set(err, EINVAL, "%soverlay: a read-only disk needs no overlay", where);
        if (d->id && !bv_name_is_valid(d->id))
                return bv_error_set(err, EINVAL, "%sid: invalid id '%s'", where, d->id);
        if (!d->id && asprintf(&d->id, "disk%zu", i) < 0)
                return -ENOMEM;
        return 0;
}

void vmm_mac_derive(const char *name, unsigned index, uint8_t mac[6])
{
        /* FNV-1a over name and index: stable across restarts and hosts. */
        uint32_t h = 2166136261u;
        for (const char *p = name; *p; p++)
                h = (h ^ (uint8_t)*p) * 16777619u;
        h = (h ^ (index & 0xff)) * 16777619u;
        mac[0] = 0x52;
        mac[1] = 0x54;
        mac[2] = 0x00;
        mac[3] = (h >> 16) & 0xff;
        mac[4] = (h >> 8) & 0xff;
        mac[5] = h & 0xff;
}

static int parse_nic(const json_t *o, size_t i, const char *vm, struct vmm_nic *n, struct bv_error *err)
{
        char where[32];
        _cleanup_free_ char *mac = NULL;
        int r;

        if ((r = bv_json_check_element(o, "nics", i, nic_keys, where, sizeof(where), err)) < 0 ||
            (r = bv_json_get_str(o, "network", where, 64, &n->network, err)) < 0 ||
            (r = bv_json_get_str(o, "mac", where, 32, &mac, err)) < 0 ||
            (r = get_enum(o, "model", where, models, &n->model, err)) < 0 ||
            (r = bv_json_get_uint(o, "rate_mbit", where, 0, 100000, &n->rate_mbit, err)) < 0 ||
            (r = bv_json_get_str(o, "firewall", where, 64, &n->firewall, err)) < 0)
                return r;
        if (!n->network)
                return bv_error_set(err, EINVAL, "%snetwork: required", where);
        if (!bv_name_is_valid(n->network) || strlen(n->network) > 15)
                return bv_error_set(err, EINVAL, "%snetwork: invalid network name '%.64s'", where, n->network);
        if (n->firewall && !bv_name_is_valid(n->firewall))
                return bv_error_set(err, EINVAL, "%sfirewall: invalid firewall group name '%.64s'", where, n->firewall);
        if (mac) {
                if (bv_json_parse_mac(mac, n->mac) < 0)
                        return bv_error_set(err, EINVAL, "%smac: '%s' is not a unicast MAC like 52:54:00:12:34:56",
                                            where, mac);
        } else
                vmm_mac_derive(vm, (unsigned)i, n->mac);
        return 0;
}

int vmm_def_from_json(const json_t *o, struct vmm_def **ret, struct bv_error *err)
{
        struct vmm_def *d;
        json_t *v;
        size_t i;
        int r;

        if (!json_is_object(o))
                return bv_error_set(err, EINVAL, "A VM definition must be a JSON object");
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        if ((r = bv_json_check_keys(o, vm_keys, "", err)) < 0 ||
            (r = bv_json_get_str(o, "name", "", 64, &d->name, err)) < 0)
                goto fail;
        if (!d->name) {
                r = bv_error_set(err, EINVAL, "name: required");
                goto fail;
        }
        d->vcpus = 1;
        d->memory_mib = 256;
        d->stop_timeout = 30;
        if ((r = bv_name_check(d->name, "VM", err)) < 0 ||
            (r = get_enum(o, "machine", "", machines, &d->machine, err)) < 0 ||
            (r = get_enum(o, "accel", "", accels, &d->accel, err)) < 0 ||
            (r = get_enum(o, "firmware", "", firmwares, &d->firmware, err)) < 0 ||
            (r = bv_json_get_uint(o, "vcpus", "", 1, VMM_MAX_VCPUS, &d->vcpus, err)) < 0 ||
            (r = bv_json_get_uint(o, "memory", "", VMM_MIN_MEMORY_MIB, VMM_MAX_MEMORY_MIB, &d->memory_mib, err)) < 0 ||
            (r = bv_json_get_uint(o, "stop_timeout", "", 1, 3600, &d->stop_timeout, err)) < 0 ||
            (r = bv_json_get_str(o, "kernel", "", 4000, &d->kernel, err)) < 0 ||
            (r = bv_json_get_str(o, "initrd", "", 4000, &d->initrd, err)) < 0 ||
            (r = bv_json_get_str(o, "cmdline", "", 4000, &d->cmdline, err)) < 0 ||
            (r = bv_json_get_bool(o, "vnc", "", &d->vnc, err)) < 0 ||
            (r = bv_json_get_bool(o, "autostart", "", &d->autostart, err)) < 0 ||
            (r = bv_json_get_str(o, "project", "", 63, &d->project, err)) < 0)
                goto fail;
        if (d->project && (r = bv_name_check(d->project, "project", err)) < 0)
                goto fail;
        if (d->kernel && !is_abs_path(d->kernel)) {
                r = bv_error_set(err, EINVAL, "kernel: an absolute path is required");
                goto fail;
        }
        if (d->initrd && !is_abs_path(d->initrd)) {
                r = bv_error_set(err, EINVAL, "initrd: an absolute path is required");
                goto fail;
        }
        if ((d->initrd || d->cmdline) && !d->kernel) {
                r = bv_error_set(err, EINVAL, "initrd and cmdline need a kernel");
                goto fail;
        }

        v = json_object_get(o, "disks");
        if (v && !json_is_array(v)) {
                r = bv_error_set(err, EINVAL, "disks: expected an array");
                goto fail;
        }
        if (json_array_size(v) > VMM_MAX_DISKS) {
                r = bv_error_set(err, EINVAL, "disks: at most %d", VMM_MAX_DISKS);
                goto fail;
        }
        for (i = 0; i < json_array_size(v); i++, d->n_disks++)
                if ((r = parse_disk(json_array_get(v, i), i, &d->disks[i], err)) < 0) {
                        d->n_disks++;
                        goto fail;
                }
        for (i = 0; i < d->n_disks; i++)
                for (size_t j = 0; j < i; j++)
                        if (strcmp(d->disks[i].id, d->disks[j].id) == 0) {
                                r = bv_error_set(err, EINVAL, "disks[%zu].id: '%s' is used twice", i, d->disks[i].id);
                                goto fail;
                        }
        if (!d->kernel && d->n_disks == 0) {
                r = bv_error_set(err, EINVAL, "Nothing to boot: give a kernel or at least one disk");
                goto fail;
        }

        v = json_object_get(o, "nics");
        if (v && !json_is_array(v)) {
                r = bv_error_set(err, EINVAL, "nics: expected an array");
                goto fail;
        }
        if (json_array_size(v) > VMM_MAX_NICS) {
                r = bv_error_set(err, EINVAL, "nics: at most %d", VMM_MAX_NICS);
                goto fail;
        }
        for (i = 0; i < json_array_size(v); i++, d->n_nics++)
                if ((r = parse_nic(json_array_get(v, i), i, d->name, &d->nics[i], err)) < 0) {
                        d->n_nics++;
                        goto fail;
                }

        v = json_object_get(o, "extra_args");
        if (v && !json_is_array(v)) {
                r = bv_error_set(err, EINVAL, "extra_args: expected an array of strings");
                goto fail;
        }
        if (json_array_size(v) > VMM_MAX_EXTRA_ARGS) {
                r = bv_error_set(err, EINVAL, "extra_args: at most %d", VMM_MAX_EXTRA_ARGS);
                goto fail;
        }
        json_t *a;
        json_array_foreach(v, i, a) {
                if (!json_is_string(a)) {
                        r = bv_error_set(err, EINVAL, "extra_args[%zu]: expected a string", i);
                        goto fail;
                }
                if (!(d->extra_args[d->n_extra_args++] = strdup(json_string_value(a)))) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        *ret = d;
        return 0;
fail:
        vmm_def_free(d);
        return r == -ENOMEM ? bv_error_set(err, ENOMEM, "Out of memory") : r;
}

json_t *vmm_def_to_json(const struct vmm_def *d)
{
        json_t *disks = json_array(), *nics = json_array(), *extra = json_array();

        for (size_t i = 0; i < d->n_disks; i++) {
                const struct vmm_disk *k = &d->disks[i];
                json_array_append_new(disks, json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:s?}", "id", k->id,
                                                       "file", k->file, "format", k->format, "bus", k->bus,
                                                       "cache", k->cache, "readonly", k->readonly,
                                                       "overlay", k->overlay, "overlay_file", k->overlay_file));
        }
        for (size_t i = 0; i < d->n_nics; i++) {
                const struct vmm_nic *n = &d->nics[i];
                json_array_append_new(nics, json_pack("{s:s,s:o,s:s,s:i,s:s*}", "network", n->network, "mac",
                                                      bv_json_mac(n->mac), "model", n->model, "rate_mbit",
                                                      (int)n->rate_mbit, "firewall", n->firewall));
        }
        for (size_t i = 0; i < d->n_extra_args; i++)
                json_array_append_new(extra, json_string(d->extra_args[i]));
        return json_pack("{s:s,s:s,s:s,s:i,s:i,s:s,s:s?,s:s?,s:s?,s:o,s:o,s:b,s:b,s:i,s:o,s:s}",
                         "name", d->name, "machine", d->machine, "accel", d->accel,
                         "vcpus", (int)d->vcpus, "memory", (int)d->memory_mib, "firmware", d->firmware,
                         "kernel", d->kernel, "initrd", d->initrd, "cmdline", d->cmdline,
                         "disks", disks, "nics", nics, "vnc", d->vnc, "autostart", d->autostart,
                         "stop_timeout", (int)d->stop_timeout, "extra_args", extra,
                         "project", d->project ? d->project : "default");
}

static int check_file(const char *what, const char *path, struct bv_error *err)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return bv_error_set_errno(err, errno, "%s '%s'", what, path);
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                return bv_error_set(err, EINVAL, "%s '%s' is not a regular file or block device", what, path);
        if (access(path, R_OK) < 0)
                return bv_error_set_errno(err, errno, "%s '%s'", what, path);
        return 0;
}

int vmm_def_check_files(const struct vmm_def *d, struct bv_error *err)
{
        int r;

        if (d->kernel && (r = check_file("Kernel", d->kernel, err)) < 0)
                return r;
        if (d->initrd && (r = check_file("Initrd", d->initrd, err)) < 0)
                return r;
        for (size_t i = 0; i < d->n_disks; i++)
                if ((r = check_file("Disk", d->disks[i].file, err)) < 0)
                        return r;
        return 0;
}

int vmm_disk_from_json(const json_t *o, size_t index, struct vmm_disk *ret, struct bv_error *err)
{
        struct vmm_disk k = {};
        int r = parse_disk(o, index, &k, err);

        if (r < 0) {
                vmm_disk_clear(&k);
                return r == -ENOMEM ? bv_error_set(err, ENOMEM, "Out of memory") : r;
        }
        *ret = k;
        return 0;
}

void vmm_disk_clear(struct vmm_disk *k)
{
        free(k->file);
        free(k->format);
        free(k->bus);
        free(k->cache);
        free(k->overlay_file);
        free(k->id);
        *k = (struct vmm_disk){};
}

struct vmm_def *vmm_def_free(struct vmm_def *d)
{
        if (!d)
                return NULL;
        free(d->name);
        free(d->project);
        free(d->machine);
        free(d->accel);
        free(d->firmware);
        free(d->kernel);
        free(d->initrd);
        free(d->cmdline);
        for (size_t i = 0; i < d->n_disks; i++)
                vmm_disk_clear(&d->disks[i]);
        for (size_t i = 0; i < d->n_nics; i++) {
                free(d->nics[i].network);
                free(d->nics[i].model);
                free(d->nics[i].firewall);
        }
        for (size_t i = 0; i < d->n_extra_args; i++)
                free(d->extra_args[i]);
        free(d);
        return NULL;
}
