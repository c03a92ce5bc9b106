/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pause and resume of barevirt's own containers: the container's freezer
 * (the runtime's backend table in oci-freeze.c: cgroup v2 cgroup.freeze,
 * or the container's v1 freezer cgroup on hybrid hosts) is asked to freeze
 * or thaw without blocking the loop, then polled from a timer until it
 * agrees (at most FREEZE_WAIT_USEC). States: running -> paused -> running;
 * stop and kill of a paused container thaw it after signalling (a frozen
 * task acts on no signal until thawed). The kernel keeps the freeze, so a
 * paused container is still paused when barevirtd comes back (adoption asks
 * ctr_ct_frozen()).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

#define FREEZE_WAIT_USEC (5 * 1000000ULL)
#define FREEZE_POLL_USEC (10 * 1000ULL)

bool ctr_ct_frozen(const struct ctr_ct *ct)
{
        return ctr_container_frozen(ct->h->runtime_root, ct->def->name) == 1;
}

void ctr_ct_thaw(struct ctr_ct *ct)
{
        struct bv_error err = {};

        ct->freeze_timer = bv_timer_cancel(ct->freeze_timer);
        ctr_ct_waiters_fire(ct, CTR_CT_WAIT_FREEZE, -ECANCELED, "The container is being stopped");
        if (ctr_container_freeze(ct->h->runtime_root, ct->def->name, false, &err) < 0 && err.error != EINVAL)
                ctr_ct_log(ct->h, CTR_LOG_WARN, "container '%s': %s", ct->def->name, err.msg);
}

static void on_freeze_poll(struct bv_loop *loop, void *userdata)
{
        struct ctr_ct *ct = userdata;
        int frozen = ctr_container_frozen(ct->h->runtime_root, ct->def->name);

        ct->freeze_timer = NULL;
        if (ct->state != CTR_CT_RUNNING && ct->state != CTR_CT_PAUSED) {
                ctr_ct_waiters_fire(ct, CTR_CT_WAIT_FREEZE, -ECHILD, "The container ended meanwhile");
                return;
        }
        if (frozen == (ct->freeze_want ? 1 : 0)) {
                ctr_ct_set_state(ct, ct->freeze_want ? CTR_CT_PAUSED : CTR_CT_RUNNING);
                ctr_ct_waiters_fire(ct, CTR_CT_WAIT_FREEZE, 0, NULL);
                return;
        }
        if (frozen < 0) {
                ctr_ct_waiters_fire(ct, CTR_CT_WAIT_FREEZE, frozen, "The container's freezer cannot be read");
                return;
        }
        if (bv_loop_add_timer(ct->h->o.loop, FREEZE_POLL_USEC, on_freeze_poll, ct, &ct->freeze_timer) < 0)
                ctr_ct_waiters_fire(ct, CTR_CT_WAIT_FREEZE, -ENOMEM, "Out of memory");
}

int ctr_ct_pause(struct ctr_ct *ct, bool pause, ctr_ct_done_cb done, void *userdata, struct bv_error *err)
{
        const char *name = ct->def->name;
        int r;

        if (ct->deleting)
                return bv_error_set(err, EBUSY, "Container '%s' is being deleted", name);
        if (ct->state == (pause ? CTR_CT_PAUSED : CTR_CT_RUNNING) && !ct->freeze_timer)
                return bv_error_set(err, EALREADY, "Container '%s' is %s", name, ctr_ct_state_name(ct->state));
        if (ct->state != CTR_CT_RUNNING && ct->state != CTR_CT_PAUSED)
                return bv_error_set(err, EBUSY, "Container '%s' is %s: only a %s container can be %s", name,
                                    ctr_ct_state_name(ct->state), pause ? "running" : "paused",
                                    pause ? "paused" : "resumed");
        if (ct->freeze_timer && ct->freeze_want != pause)
                return bv_error_set(err, EBUSY, "Container '%s' is being %s", name, ct->freeze_want ? "paused" : "resumed");
        if (!ct->freeze_timer) {
                if ((r = ctr_container_freeze(ct->h->runtime_root, name, pause, err)) < 0)
                        return r;
                ct->freeze_want = pause;
                if (bv_loop_add_timer(ct->h->o.loop, 1, on_freeze_poll, ct, &ct->freeze_timer) < 0)
                        return bv_error_set(err, ENOMEM, "Out of memory");
        }
        if ((r = ctr_ct_wait_add(ct, CTR_CT_WAIT_FREEZE, FREEZE_WAIT_USEC, done, userdata)) < 0)
                return bv_error_set(err, -r, "Out of memory");
        return 0;
}
