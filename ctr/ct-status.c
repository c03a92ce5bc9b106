/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The monitor's status of its container: RUN/containers/NAME/monitor.json,
 * written atomically by the monitor on every change and read by barevirtd
 * (also after its own restart, to re-adopt the monitor or learn how the
 * container ended while it was away). The file is ours but lives on disk,
 * so it is read bounded and typed like any input. A monitor is identified
 * by its pid and its start time, so a recycled pid never passes for it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "ctr/ctr.h"

#define STATUS_FILE_MAX 8192

static const char *const state_names[] = { "running", "restarting", "stopped", "crashed", NULL };

const char *ctr_ct_status_state_name(enum ctr_ct_status_state s)
{
        return (unsigned)s < BV_ELEMENTSOF(state_names) - 1 ? state_names[s] : "crashed";
}

int ctr_ct_status_state_from_string(const char *s, enum ctr_ct_status_state *ret)
{
        int i = bv_json_list_index(s, state_names);

        if (i < 0)
                return i;
        *ret = (enum ctr_ct_status_state)i;
        return 0;
}

static json_t *str_or_null(const char *s)
{
        return s[0] ? json_string(s) : json_null();
}

json_t *ctr_ct_status_to_json(const struct ctr_ct_status *st)
{
        return json_pack("{s:s, s:I, s:I, s:s, s:I, s:o, s:o, s:o, s:o, s:b, s:I}",
                         "id", st->id,
                         "monitor_pid", (json_int_t)st->monitor_pid,
                         "monitor_start_time", (json_int_t)st->monitor_start_time,
                         "state", ctr_ct_status_state_name(st->state),
                         "pid", (json_int_t)st->pid,
                         "started_at", str_or_null(st->started_at),
                         "finished_at", str_or_null(st->finished_at),
                         "exit_code", st->exit_code >= 0 ? json_integer(st->exit_code) : json_null(),
                         "signal", st->signal > 0 ? json_integer(st->signal) : json_null(),
                         "oom_killed", st->oom_killed,
                         "restarts", (json_int_t)st->restarts);
}

static int copy_str(json_t *v, const char *key, char *buf, size_t len, struct bv_error *err)
{
        buf[0] = 0;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_string(v) || json_string_length(v) >= len)
                return bv_error_set(err, EINVAL, "monitor status: %s: expected a short string", key);
        memcpy(buf, json_string_value(v), json_string_length(v) + 1);
        return 0;
}

static int opt_int(json_t *v, const char *key, long long min, long long max, long long null_value,
                   long long *ret, struct bv_error *err)
{
        if (!v || json_is_null(v)) {
                *ret = null_value;
                return 0;
        }
        if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
                return bv_error_set(err, EINVAL, "monitor status: %s: expected an integer in %lld..%lld", key,
                                    min, max);
        *ret = json_integer_value(v);
        return 0;
}

int ctr_ct_status_from_json(const json_t *o, struct ctr_ct_status *ret, struct bv_error *err)
{
        struct ctr_ct_status st;
        json_t *id = NULL, *state = NULL, *started = NULL, *finished = NULL, *code = NULL, *sig = NULL;
        json_int_t mpid = 0, mstart = 0, pid = 0, restarts = 0;
        int oom = 0, r;
        long long v;
        json_error_t je;

        memset(&st, 0, sizeof(st));
        if (json_unpack_ex((json_t *)o, &je, 0, "{s:o, s:I, s:I, s:o, s?I, s?o, s?o, s?o, s?o, s?b, s?I}",
                           "id", &id, "monitor_pid", &mpid, "monitor_start_time", &mstart, "state", &state,
                           "pid", &pid, "started_at", &started, "finished_at", &finished, "exit_code", &code,
                           "signal", &sig, "oom_killed", &oom, "restarts", &restarts) < 0)
                return bv_error_set(err, EINVAL, "monitor status: %s", je.text);
        if ((r = copy_str(id, "id", st.id, sizeof(st.id), err)) < 0 ||
            (r = copy_str(started, "started_at", st.started_at, sizeof(st.started_at), err)) < 0 ||
            (r = copy_str(finished, "finished_at", st.finished_at, sizeof(st.finished_at), err)) < 0)
                return r;
        if (!json_is_string(state) || ctr_ct_status_state_from_string(json_string_value(state), &st.state) < 0)
                return bv_error_set(err, EINVAL, "monitor status: state: unknown state");
        if (mpid <= 0 || mpid > 0x3fffffff || pid < 0 || pid > 0x3fffffff || mstart < 0 || restarts < 0 ||
            restarts > 0x7fffffff)
                return bv_error_set(err, EINVAL, "monitor status: a pid or count is out of range");
        st.monitor_pid = (pid_t)mpid;
        st.monitor_start_time = (unsigned long long)mstart;
        st.pid = (pid_t)pid;
        st.restarts = (unsigned)restarts;
        st.oom_killed = oom;
        if ((r = opt_int(code, "exit_code", 0, 255, -1, &v, err)) < 0)
                return r;
        st.exit_code = (int)v;
        if ((r = opt_int(sig, "signal", 1, 64, 0, &v, err)) < 0)
                return r;
        st.signal = (int)v;
        *ret = st;
        return 0;
}

int ctr_ct_monitor_read(const char *dir, struct ctr_ct_status *ret, struct bv_error *err)
{
        char path[4200];
        json_auto_t *o = NULL;
        int r;

        if (snprintf(path, sizeof(path), "%s/monitor.json", dir) >= (int)sizeof(path))
                return bv_error_set(err, ENAMETOOLONG, "Path too long");
        r = bv_json_load_file(path, STATUS_FILE_MAX, &o, err);
        if (r < 0)
                return r;
        return ctr_ct_status_from_json(o, ret, err);
}

bool ctr_ct_monitor_alive(const struct ctr_ct_status *st)
{
        unsigned long long t;

        if (st->monitor_pid <= 0 || bv_proc_start_time(st->monitor_pid, &t) < 0)
                return false;
        return t == st->monitor_start_time;
}
