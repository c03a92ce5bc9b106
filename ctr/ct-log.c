/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A container's console log, RUN/containers/NAME/console.log (written by
 * its monitor, rotated to console.log.1): read with a tail, and followed,
 * through common/logfile.c. Followers end with their container: when it
 * reaches an ended state, or when the owner forgets it.
 */
#include <errno.h>
#include <limits.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

int ctr_ct_log_read(const struct ctr_ct *ct, long long tail, char **ret, size_t *ret_len)
{
        char dir[PATH_MAX];

        ctr_ct_run_path(ct, NULL, dir, sizeof(dir));
        return bv_log_read(dir, "console.log", "console.log.1", tail, ret, ret_len);
}

void ctr_ct_log_end_followers(struct ctr_ct *ct)
{
        bv_log_end_followers(&ct->followers);
}

int ctr_ct_log_follow(struct ctr_ct *ct, long long tail, int (*on_data)(const char *data, size_t len, void *userdata),
                      void (*on_end)(void *userdata), void *userdata, struct bv_log_follower **ret,
                      struct bv_error *err)
{
        char dir[PATH_MAX];

        if (!ctr_ct_is_live(ct))
                return bv_error_set(err, EALREADY, "Container '%s' is %s", ct->def->name, ctr_ct_state_name(ct->state));
        ctr_ct_run_path(ct, NULL, dir, sizeof(dir));
        struct bv_log_follow_opts o = {
                .dir = dir, .name = "console.log", .rotated = "console.log.1", .tail = tail,
                .on_data = on_data, .on_end = on_end, .userdata = userdata,
        };
        return bv_log_follow(ct->h->o.loop, &o, &ct->followers, ret, err);
}
