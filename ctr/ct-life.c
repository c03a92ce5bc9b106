/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container object and its state machine, on the owner's loop.
 *
 * States: creating -> created -> starting -> running <-> restarting;
 * running -> stopping -> stopped; any live state -> stopped or crashed
 * when the monitor reports the end (or dies). Operations wait for a state
 * through waiters (start: running; stop: ended; SIGKILL: the exit), each
 * with a timeout, so no request waits forever on a stuck monitor. Every
 * state change is an event for the owner and a line for its log.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

#define START_WAIT_USEC (90 * 1000000ULL)
#define STOP_WAIT_EXTRA_USEC (30 * 1000000ULL)
#define KILL_WAIT_USEC (10 * 1000000ULL)

struct ctr_ct_waiter {
        struct ctr_ct_waiter *next;
        struct ctr_ct *ct;
        enum ctr_ct_wait what;
        struct bv_timer *timer;
        int timer_r;              /* the result when the timer fires */
        ctr_ct_done_cb cb;
        void *userdata;
};

const char *ctr_ct_state_name(enum ctr_ct_state s)
{
        static const char *const names[] = {
                [CTR_CT_CREATING] = "creating", [CTR_CT_CREATED] = "created", [CTR_CT_STARTING] = "starting",
                [CTR_CT_RUNNING] = "running", [CTR_CT_PAUSED] = "paused", [CTR_CT_RESTARTING] = "restarting", [CTR_CT_STOPPING] = "stopping",
                [CTR_CT_STOPPED] = "stopped", [CTR_CT_CRASHED] = "crashed",
        };
        return (unsigned)s < BV_ELEMENTSOF(names) ? names[s] : "unknown";
}

bool ctr_ct_state_ended(enum ctr_ct_state s)
{
        return s == CTR_CT_CREATED || s == CTR_CT_STOPPED || s == CTR_CT_CRASHED;
}

/* ---- accessors ------------------------------------------------------------------- */

const char *ctr_ct_name(const struct ctr_ct *ct) { return ct->def->name; }
const struct ctr_ct_def *ctr_ct_get_def(const struct ctr_ct *ct) { return ct->def; }
enum ctr_ct_state ctr_ct_get_state(const struct ctr_ct *ct) { return ct->state; }
const struct ctr_ct_status *ctr_ct_get_status(const struct ctr_ct *ct) { return ct->have_status ? &ct->st : NULL; }
bool ctr_ct_is_deleting(const struct ctr_ct *ct) { return ct->deleting; }

bool ctr_ct_is_live(const struct ctr_ct *ct)
{
        return ct->state == CTR_CT_STARTING || ct->state == CTR_CT_RUNNING || ct->state == CTR_CT_PAUSED ||
               ct->state == CTR_CT_RESTARTING || ct->state == CTR_CT_STOPPING;
}

bool ctr_ct_uses_network(const struct ctr_ct *ct, const char *network)
{
        for (size_t k = 0; ctr_ct_is_live(ct) && k < ct->def->n_nics; k++)
                if (strcmp(ct->def->nics[k].network, network) == 0)
                        return true;
        return false;
}

bool ctr_ct_owns_veth(const struct ctr_ct *ct, const char *ifname, unsigned *ret_nic)
{
        for (unsigned k = 0; ctr_ct_is_live(ct) && k < ct->def->n_nics && k < CTR_CT_MAX_NICS; k++)
                if (ct->veth[k][0] && strcmp(ct->veth[k], ifname) == 0) {
                        *ret_nic = k;
                        return true;
                }
        return false;
}

const char *ctr_ct_host_ifname(const struct ctr_ct *ct, unsigned nic)
{
        return ctr_ct_is_live(ct) && nic < ct->def->n_nics && nic < CTR_CT_MAX_NICS && ct->veth[nic][0]
                       ? ct->veth[nic] : NULL;
}

bool ctr_ct_is_veth_name(const char *ifname)
{
        return strncmp(ifname, "vc", 2) == 0 && strlen(ifname) == 13;
}

/* ---- waiters ----------------------------------------------------------------------- */

static void waiter_unlink(struct ctr_ct_waiter *w)
{
        for (struct ctr_ct_waiter **p = &w->ct->waiters; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        return;
                }
}

static void waiter_call(struct ctr_ct_waiter *w, int r, const char *msg)
{
        struct bv_error e = { .error = r < 0 ? -r : 0 };

        snprintf(e.msg, sizeof(e.msg), "%s", msg ? msg : "");
        w->cb(w->ct, r, r < 0 ? &e : NULL, w->userdata);
        free(w);
}

static void on_waiter_timeout(struct bv_loop *loop, void *userdata)
{
        struct ctr_ct_waiter *w = userdata;

        w->timer = NULL;
        waiter_unlink(w);
        waiter_call(w, w->timer_r, w->timer_r < 0 ? "Timed out waiting for the container" : NULL);
}

static int wait_add(struct ctr_ct *ct, enum ctr_ct_wait what, uint64_t timeout_usec, int timer_r, ctr_ct_done_cb cb,
                    void *userdata)
{
        struct ctr_ct_waiter *w = calloc(1, sizeof(*w));

        if (!w)
                return -ENOMEM;
        *w = (struct ctr_ct_waiter){ .ct = ct, .what = what, .timer_r = timer_r, .cb = cb, .userdata = userdata };
        if (timeout_usec && bv_loop_add_timer(ct->h->o.loop, timeout_usec, on_waiter_timeout, w, &w->timer) < 0) {
                free(w);
                return -ENOMEM;
        }
        w->next = ct->waiters;
        ct->waiters = w;
        return 0;
}

int ctr_ct_wait_add(struct ctr_ct *ct, enum ctr_ct_wait what, uint64_t timeout_usec, ctr_ct_done_cb cb, void *userdata)
{
        return wait_add(ct, what, timeout_usec, -ETIMEDOUT, cb, userdata);
}

void ctr_ct_wait_cancel(struct ctr_ct *ct, enum ctr_ct_wait what)
{
        for (struct ctr_ct_waiter **p = &ct->waiters; *p;) {
                struct ctr_ct_waiter *w = *p;
                if (w->what != what) {
                        p = &w->next;
                        continue;
                }
                *p = w->next;
                bv_timer_cancel(w->timer);
                free(w);
        }
}

void ctr_ct_waiters_fire(struct ctr_ct *ct, int what, int r, const char *msg)
{
        struct ctr_ct_waiter *list = NULL, **tail = &list;

        for (struct ctr_ct_waiter **p = &ct->waiters; *p;) {
                struct ctr_ct_waiter *w = *p;
                if (what < 0 || w->what == (enum ctr_ct_wait)what) {
                        *p = w->next;
                        w->next = NULL;
                        *tail = w;
                        tail = &w->next;
                } else
                        p = &w->next;
        }
        while (list) {
                struct ctr_ct_waiter *w = list;
                list = w->next;
                bv_timer_cancel(w->timer);
                waiter_call(w, r, msg);
        }
}

/* ---- state and events ---------------------------------------------------------------- */

void ctr_ct_emit(struct ctr_ct *ct, const char *event, json_t *data)
{
        if (ct->h->o.on_event)
                ct->h->o.on_event(ct, event, data, ct->h->o.userdata);
        json_decref(data);
}

void ctr_ct_set_state(struct ctr_ct *ct, enum ctr_ct_state s)
{
        if (ct->state == s)
                return;
        ctr_ct_log(ct->h, CTR_LOG_INFO, "container '%s': %s -> %s", ct->def->name, ctr_ct_state_name(ct->state),
                   ctr_ct_state_name(s));
        ct->state = s;
        json_t *f = json_pack("{s:s}", "state", ctr_ct_state_name(s));
        if (f && ct->have_status) {
                if (ct->st.pid > 0 && (s == CTR_CT_RUNNING || s == CTR_CT_PAUSED || s == CTR_CT_STOPPING))
                        json_object_set_new(f, "pid", json_integer(ct->st.pid));
                if (s == CTR_CT_STOPPED || s == CTR_CT_CRASHED || s == CTR_CT_RESTARTING) {
                        json_object_set_new(f, "exit_code", ct->st.exit_code >= 0 ? json_integer(ct->st.exit_code) : json_null());
                        json_object_set_new(f, "signal", ct->st.signal > 0 ? json_integer(ct->st.signal) : json_null());
                        json_object_set_new(f, "oom_killed", json_boolean(ct->st.oom_killed));
                }
        }
        ctr_ct_emit(ct, "state", f);
        if (ctr_ct_state_ended(s))
                ctr_ct_log_end_followers(ct);
}

static void now_iso(char *buf, size_t len)
{
        time_t t = time(NULL);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void ctr_ct_status_started(struct ctr_ct *ct, pid_t pid)
{
        ct->have_status = true;
        ct->st.pid = pid;
        ct->st.exit_code = -1;
        ct->st.signal = 0;
        ct->st.oom_killed = false;
        ct->st.finished_at[0] = '\0';
        now_iso(ct->st.started_at, sizeof(ct->st.started_at));
}

void ctr_ct_status_ended(struct ctr_ct *ct, int exit_code, int signo, bool oom_killed)
{
        ct->st.exit_code = exit_code;
        ct->st.signal = signo;
        ct->st.oom_killed = oom_killed;
        ct->st.pid = 0;
        now_iso(ct->st.finished_at, sizeof(ct->st.finished_at));
}

void ctr_ct_reap_orphan(struct ctr_ct *ct)
{
        struct bv_error err = {};

        ct->st.state = CTR_CT_STATUS_CRASHED;
        ct->st.pid = 0;
        if (ctr_container_delete(ct->h->runtime_root, ct->def->name, true, &err) < 0 && err.error != ENOENT)
                ctr_ct_log(ct->h, CTR_LOG_WARN, "container '%s': removing what its dead monitor left: %s",
                           ct->def->name, err.msg);
}

void ctr_ct_finish(struct ctr_ct *ct, const char *why)
{
        enum ctr_ct_state s;

        ctr_ct_monitor_detach(ct);
        ct->monitor_pid = 0;
        ct->monitor_is_child = false;
        if (ctr_ct_monitor_read_status(ct) < 0) {
                snprintf(ct->error, sizeof(ct->error), "monitor died without a status (%s)", why);
                ctr_ct_reap_orphan(ct);
                s = CTR_CT_CRASHED;
        } else if (ct->st.state == CTR_CT_STATUS_STOPPED)
                s = CTR_CT_STOPPED;
        else if (ct->st.state == CTR_CT_STATUS_CRASHED)
                s = CTR_CT_CRASHED;
        else {
                /* The file still says running: the monitor died without writing its end. */
                snprintf(ct->error, sizeof(ct->error), "monitor died (%s)", why);
                ctr_ct_reap_orphan(ct);
                s = CTR_CT_CRASHED;
        }
        ctr_ct_host_teardown(ct);
        if (ct->t_start)
                ctr_ct_log(ct->h, CTR_LOG_DEBUG, "container '%s': ended, %llu us after the last start request",
                           ct->def->name, (unsigned long long)(bv_now_usec() - ct->t_start));
        ctr_ct_set_state(ct, s);
        ctr_ct_waiters_fire(ct, CTR_CT_WAIT_EXIT, 0, NULL);
        ctr_ct_waiters_fire(ct, CTR_CT_WAIT_START, -ECHILD,
                            ct->error[0] ? ct->error : "The container exited during its start");
        ctr_ct_waiters_fire(ct, CTR_CT_WAIT_END, 0, NULL);
}

/* ---- making and forgetting ---------------------------------------------------------- */

int ctr_ct_new(struct ctr_ct_host *h, struct ctr_ct_def *def, struct ctr_ct **ret)
{
        struct ctr_ct *ct = calloc(1, sizeof(*ct));

        if (!ct)
                return -ENOMEM;
        ct->h = h;
        ct->def = def;
        ct->state = CTR_CT_CREATING;
        ct->ready_fd = ct->sub_fd = ct->ctl_fd = -1;
        ct->st.exit_code = -1;
        ct->next = h->cts;
        h->cts = ct;
        *ret = ct;
        return 0;
}

static void on_autostarted(struct ctr_ct *ct, int r, const struct bv_error *err, void *userdata)
{
        if (r < 0)
                ctr_ct_log(ct->h, CTR_LOG_WARN, "container '%s': autostart failed: %s", ct->def->name,
                           err && err->msg[0] ? err->msg : strerror(-r));
}

int ctr_ct_load(struct ctr_ct_host *h, struct ctr_ct_def *def, struct ctr_ct **ret)
{
        struct bv_error err = {};
        struct ctr_ct *ct;
        int r = ctr_ct_new(h, def, &ct);

        if (r < 0)
                return r;
        ct->state = CTR_CT_CREATED;
        ctr_ct_monitor_adopt(ct);
        /* Not while adoption still waits for a monitor that is starting its container. */
        if (def->autostart && ctr_ct_state_ended(ct->state) && !ct->adopt_timer) {
                ctr_ct_log(h, CTR_LOG_INFO, "container '%s': autostart", def->name);
                if (ctr_ct_start(ct, on_autostarted, NULL, &err) < 0)
                        on_autostarted(ct, -err.error, &err, NULL);
        }
        *ret = ct;
        return 0;
}

struct ctr_ct *ctr_ct_free(struct ctr_ct *ct)
{
        if (!ct)
                return NULL;
        for (struct ctr_ct **p = &ct->h->cts; *p; p = &(*p)->next)
                if (*p == ct) {
                        *p = ct->next;
                        break;
                }
        ct->adopt_timer = bv_timer_cancel(ct->adopt_timer);
        ct->freeze_timer = bv_timer_cancel(ct->freeze_timer);
        ctr_ct_op_detach(ct);
        ctr_ct_monitor_detach(ct);
        ctr_ct_waiters_fire(ct, -1, -ECANCELED, ct->deleting ? "The container was deleted" : "barevirtd is shutting down");
        ctr_ct_log_end_followers(ct);
        ctr_ct_def_free(ct->def);
        free(ct);
        return NULL;
}

/* ---- start, stop, kill, restart ------------------------------------------------------ */

static int refuse_busy(struct ctr_ct *ct, struct bv_error *err)
{
        if (ct->deleting)
                return bv_error_set(err, EBUSY, "Container '%s' is being deleted", ct->def->name);
        return 0;
}

/* Starts an ended container; 0 also when it is starting already. */
static int start_now(struct ctr_ct *ct, struct bv_error *err)
{
        int r;

        switch (ct->state) {
        case CTR_CT_RUNNING: case CTR_CT_RESTARTING:
                return bv_error_set(err, EALREADY, "Container '%s' is %s", ct->def->name, ctr_ct_state_name(ct->state));
        case CTR_CT_STARTING:
                return 0;
        case CTR_CT_PAUSED:
                return bv_error_set(err, EBUSY, "Container '%s' is paused; resume it first", ct->def->name);
        case CTR_CT_CREATING: case CTR_CT_STOPPING:
                return bv_error_set(err, EBUSY, "Container '%s' is %s", ct->def->name, ctr_ct_state_name(ct->state));
        default:
                break;
        }
        if ((r = ctr_ct_limits_check(ct->def, ctr_ct_host_cgroups(ct->h), err)) < 0)
                return r;
        if (!ct->h->runtime_path[0])
                return bv_error_set(err, ENOENT, "No barevirt-runtime found (barevirtd --runtime PATH)");
        ct->t_start = bv_now_usec();
        if ((r = ctr_ct_prepare(ct, err)) < 0 || (r = ctr_ct_monitor_spawn(ct, err)) < 0) {
                ctr_ct_host_teardown(ct);
                return r;
        }
        ct->t_spawned = bv_now_usec();
        ctr_ct_log(ct->h, CTR_LOG_DEBUG, "container '%s': monitor spawned %llu us after the start request",
                   ct->def->name, (unsigned long long)(ct->t_spawned - ct->t_start));
        ctr_ct_set_state(ct, CTR_CT_STARTING);
        return 0;
}

int ctr_ct_start(struct ctr_ct *ct, ctr_ct_done_cb done, void *userdata, struct bv_error *err)
{
        int r;

        if ((r = refuse_busy(ct, err)) < 0 || (r = start_now(ct, err)) < 0)
                return r;
        if ((r = ctr_ct_wait_add(ct, CTR_CT_WAIT_START, START_WAIT_USEC, done, userdata)) < 0)
                return bv_error_set(err, -r, "Out of memory");
        return 0;
}

static uint64_t stop_wait_usec(const struct ctr_ct *ct, int timeout)
{
        return (timeout >= 0 ? (unsigned)timeout : ct->def->stop_timeout) * 1000000ULL + STOP_WAIT_EXTRA_USEC;
}

int ctr_ct_stop_now(struct ctr_ct *ct, int timeout, struct bv_error *err)
{
        if (ctr_ct_state_ended(ct->state))
                return bv_error_set(err, EALREADY, "Container '%s' is %s", ct->def->name, ctr_ct_state_name(ct->state));
        if (ct->state == CTR_CT_STOPPING)
                return 0;
        if (ct->state == CTR_CT_STARTING || ct->state == CTR_CT_CREATING)
                return bv_error_set(err, EBUSY, "Container '%s' is %s", ct->def->name, ctr_ct_state_name(ct->state));
        bool paused = ct->state == CTR_CT_PAUSED || ct->freeze_timer;
        int r = ctr_ct_monitor_stop(ct, timeout < 0 ? (int)ct->def->stop_timeout : timeout, err);
        if (r < 0)
                return r;
        /* The stop signal waits in a frozen task: thaw it (the monitor signals first, asynchronously). */
        if (paused)
                ctr_ct_thaw(ct);
        ctr_ct_set_state(ct, CTR_CT_STOPPING);
        return 0;
}

int ctr_ct_stop(struct ctr_ct *ct, int timeout, ctr_ct_done_cb done, void *userdata, struct bv_error *err)
{
        int r;

        if ((r = refuse_busy(ct, err)) < 0 || (r = ctr_ct_stop_now(ct, timeout, err)) < 0)
                return r;
        if ((r = ctr_ct_wait_add(ct, CTR_CT_WAIT_END, stop_wait_usec(ct, timeout), done, userdata)) < 0)
                return bv_error_set(err, -r, "Out of memory");
        return 0;
}

/* An answer that is ready now, given from the loop (operations never call back from inside). */
static int answer_soon(struct ctr_ct *ct, ctr_ct_done_cb done, void *userdata, struct bv_error *err)
{
        int r = wait_add(ct, CTR_CT_WAIT_NOW, 1, 0, done, userdata);

        return r < 0 ? bv_error_set(err, -r, "Out of memory") : 0;
}

int ctr_ct_kill(struct ctr_ct *ct, int signo, ctr_ct_done_cb done, void *userdata, struct bv_error *err)
{
        int r;

        if ((r = refuse_busy(ct, err)) < 0)
                return r;
        if (ct->state != CTR_CT_RUNNING && ct->state != CTR_CT_PAUSED && ct->state != CTR_CT_STOPPING)
                return bv_error_set(err, EALREADY, "Container '%s' is %s", ct->def->name, ctr_ct_state_name(ct->state));
        if ((r = ctr_ct_monitor_kill(ct, signo, err)) < 0)
                return r;
        /* SIGKILL of a paused container: thawed, so it acts on it (other signals wait for a resume). */
        if (signo == SIGKILL && (ct->state == CTR_CT_PAUSED || ct->freeze_timer))
                ctr_ct_thaw(ct);
        /* SIGKILL ends the init: done once that is recorded (for good without a restart policy). Others: at once. */
        if (signo != SIGKILL)
                return answer_soon(ct, done, userdata, err);
        r = ctr_ct_wait_add(ct, ct->def->restart == CTR_CT_RESTART_NO ? CTR_CT_WAIT_END : CTR_CT_WAIT_EXIT,
                            KILL_WAIT_USEC, done, userdata);
        return r < 0 ? bv_error_set(err, -r, "Out of memory") : 0;
}

struct restart {
        ctr_ct_done_cb done;
        void *userdata;
};

static void restart_after_stop(struct ctr_ct *ct, int r, const struct bv_error *err, void *userdata)
{
        struct restart *rs = userdata;
        struct bv_error e = {};

        if (r < 0 && r != -EALREADY) {
                rs->done(ct, r, err, rs->userdata);
        } else if ((r = ctr_ct_start(ct, rs->done, rs->userdata, &e)) < 0) {
                rs->done(ct, r, &e, rs->userdata);
        }
        free(rs);
}

int ctr_ct_restart(struct ctr_ct *ct, int timeout, ctr_ct_done_cb done, void *userdata, struct bv_error *err)
{
        struct restart *rs;
        int r;

        if ((r = refuse_busy(ct, err)) < 0)
                return r;
        if (ctr_ct_state_ended(ct->state))
                return ctr_ct_start(ct, done, userdata, err);
        if (!(rs = calloc(1, sizeof(*rs))))
                return bv_error_set(err, ENOMEM, "Out of memory");
        *rs = (struct restart){ .done = done, .userdata = userdata };
        if ((r = ctr_ct_stop_now(ct, timeout, err)) < 0 ||
            (r = ctr_ct_wait_add(ct, CTR_CT_WAIT_END, stop_wait_usec(ct, timeout), restart_after_stop, rs)) < 0) {
                free(rs);
                return r == -ENOMEM ? bv_error_set(err, ENOMEM, "Out of memory") : r;
        }
        return 0;
}
