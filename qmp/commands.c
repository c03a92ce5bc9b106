/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Typed helpers for the QMP commands the VM manager needs. Each is a thin
 * layer over qmp_conn_call_sync(): it builds the arguments, and parses the
 * "return" value with json_unpack_ex() into a fixed-size struct, so a
 * reply of the wrong shape gives -EPROTO with jansson's text rather than
 * a crash or a silently wrong value. The *_parse() functions are public so
 * that asynchronous callers (barevirtd) can use them in reply callbacks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmp/qmp-internal.h"

int qmp_status_parse(json_t *result, struct qmp_status *ret_status, struct bv_error *err)
{
        json_error_t jerr;
        int running = 0;
        const char *s = NULL;

        if (json_unpack_ex(result, &jerr, 0, "{s:b,s:s}", "running", &running, "status", &s) < 0)
                return bv_error_set(err, EPROTO, "Unexpected reply to 'query-status': %s", jerr.text);
        if (strlen(s) >= sizeof(ret_status->status))
                return bv_error_set(err, EPROTO, "Unexpected reply to 'query-status': status too long");
        ret_status->running = running;
        snprintf(ret_status->status, sizeof(ret_status->status), "%s", s);
        return 0;
}

int qmp_status_query(struct qmp_conn *c, unsigned timeout_ms, struct qmp_status *ret,
                     struct bv_error *err)
{
        json_auto_t *v = NULL;
        int r = qmp_conn_call_sync(c, "query-status", NULL, timeout_ms, &v, err);

        return r < 0 ? r : qmp_status_parse(v, ret, err); /* sets *ret only on success */
}

int qmp_version_parse(json_t *result, struct qmp_version *ret_version, struct bv_error *err)
{
        json_error_t jerr;
        json_int_t major, minor, micro;
        const char *package = NULL;

        if (json_unpack_ex(result, &jerr, 0, "{s:{s:I,s:I,s:I},s?s}", "qemu", "major", &major, "minor",
                           &minor, "micro", &micro, "package", &package) < 0)
                return bv_error_set(err, EPROTO, "Unexpected reply to 'query-version': %s", jerr.text);
        ret_version->major = major;
        ret_version->minor = minor;
        ret_version->micro = micro;
        /* The package string is informational: truncation is fine. */
        snprintf(ret_version->package, sizeof(ret_version->package), "%s", package ? package : "");
        return 0;
}

int qmp_version_query(struct qmp_conn *c, unsigned timeout_ms, struct qmp_version *ret,
                      struct bv_error *err)
{
        json_auto_t *v = NULL;
        int r = qmp_conn_call_sync(c, "query-version", NULL, timeout_ms, &v, err);

        return r < 0 ? r : qmp_version_parse(v, ret, err); /* sets *ret only on success */
}

static int simple(struct qmp_conn *c, const char *command, json_t *args, unsigned timeout_ms,
                  struct bv_error *err)
{
        return qmp_conn_call_sync(c, command, args, timeout_ms, NULL, err);
}

int qmp_vm_stop(struct qmp_conn *c, unsigned timeout_ms, struct bv_error *err)
{
        return simple(c, "stop", NULL, timeout_ms, err);
}

int qmp_vm_cont(struct qmp_conn *c, unsigned timeout_ms, struct bv_error *err)
{
        return simple(c, "cont", NULL, timeout_ms, err);
}

int qmp_vm_powerdown(struct qmp_conn *c, unsigned timeout_ms, struct bv_error *err)
{
        return simple(c, "system_powerdown", NULL, timeout_ms, err);
}

int qmp_vm_reset(struct qmp_conn *c, unsigned timeout_ms, struct bv_error *err)
{
        return simple(c, "system_reset", NULL, timeout_ms, err);
}

int qmp_vm_quit(struct qmp_conn *c, unsigned timeout_ms, struct bv_error *err)
{
        int r = simple(c, "quit", NULL, timeout_ms, err);

        /* QEMU may exit before its reply is read: that is what we asked for. */
        if (r == -ECONNRESET) {
                bv_error_clear(err);
                return 0;
        }
        return r;
}

int qmp_block_query(struct qmp_conn *c, unsigned timeout_ms, json_t **ret, struct bv_error *err)
{
        json_t *v = NULL;
        int r = qmp_conn_call_sync(c, "query-block", NULL, timeout_ms, &v, err);

        if (r < 0)
                return r;
        if (!json_is_array(v)) {
                json_decref(v);
                return bv_error_set(err, EPROTO, "Unexpected reply to 'query-block': not an array");
        }
        *ret = v;
        return 0;
}

int qmp_blockdev_add(struct qmp_conn *c, unsigned timeout_ms, json_t *options, struct bv_error *err)
{
        if (!json_is_object(options))
                return bv_error_set(err, EINVAL, "blockdev-add needs an options object");
        return simple(c, "blockdev-add", options, timeout_ms, err);
}

/* Runs command with one string argument {key: value}. */
static int with_string(struct qmp_conn *c, const char *command, const char *key, const char *value,
                       unsigned timeout_ms, json_t **ret, struct bv_error *err)
{
        if (!value)
                return bv_error_set(err, EINVAL, "%s needs '%s'", command, key);
        json_t *args = json_pack("{s:s}", key, value);
        if (!args)
                return bv_error_set(err, ENOMEM, "Out of memory");
        int r = qmp_conn_call_sync(c, command, args, timeout_ms, ret, err);
        json_decref(args);
        return r;
}

int qmp_blockdev_del(struct qmp_conn *c, unsigned timeout_ms, const char *node_name,
                     struct bv_error *err)
{
        return with_string(c, "blockdev-del", "node-name", node_name, timeout_ms, NULL, err);
}

int qmp_device_add(struct qmp_conn *c, unsigned timeout_ms, json_t *options, struct bv_error *err)
{
        if (!json_is_object(options) || !json_is_string(json_object_get(options, "driver")))
                return bv_error_set(err, EINVAL, "device_add needs an options object with a 'driver'");
        return simple(c, "device_add", options, timeout_ms, err);
}

int qmp_device_del(struct qmp_conn *c, unsigned timeout_ms, const char *id, struct bv_error *err)
{
        return with_string(c, "device_del", "id", id, timeout_ms, NULL, err);
}

int qmp_hmp_run(struct qmp_conn *c, unsigned timeout_ms, const char *command_line,
                char **ret_output, struct bv_error *err)
{
        json_t *v = NULL;
        int r = with_string(c, "human-monitor-command", "command-line", command_line, timeout_ms, &v,
                            err);

        if (r < 0)
                return r;
        if (!json_is_string(v)) {
                json_decref(v);
                return bv_error_set(err, EPROTO, "Unexpected reply to 'human-monitor-command'");
        }
        if (ret_output) {
                char *s = strdup(json_string_value(v));
                if (!s) {
                        json_decref(v);
                        return bv_error_set(err, ENOMEM, "Out of memory");
                }
                *ret_output = s;
        }
        json_decref(v);
        return 0;
}
