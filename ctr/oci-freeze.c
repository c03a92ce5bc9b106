/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Freezing a container (pause and resume), through one of two backends in
 * a table: the cgroup v2 core freezer (cgroup.freeze, cgroup.events
 * "frozen 1") on a pure v2 host, or the cgroup v1 freezer controller
 * (freezer.state FROZEN / FREEZING / THAWED) on hybrid and v1 hosts, where
 * the v1 freezer is what Docker, Podman and runc use. On those hosts the
 * container's v1 freezer cgroup is one of its v1 directories (cgroup-v1.c).
 * The state file records the freezer directory, so the backend of a
 * container never changes under it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"
#include "ctr/ctr.h"

#define FREEZE_WAIT_MS 5000

static int read_str(const char *dir, const char *file, char *buf, size_t len)
{
        char path[4200];
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, len - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return 0;
}

/* ---- cgroup v2: cgroup.freeze, cgroup.events ----------------------------------------- */

static int v2_set(const char *dir, bool frozen)
{
        return ctr_cgroup_file_write(dir, "cgroup.freeze", frozen ? "1" : "0");
}

static int v2_get(const char *dir)
{
        char buf[512];
        int r = read_str(dir, "cgroup.events", buf, sizeof(buf));
        if (r < 0)
                return r;
        const char *v = strstr(buf, "frozen ");
        return v ? v[7] == '1' : -ENOENT;
}

/* Asked to freeze (cgroup.freeze 1), even while the kernel is still freezing. */
static int v2_asked(const char *dir)
{
        char buf[16];
        int r = read_str(dir, "cgroup.freeze", buf, sizeof(buf));
        return r < 0 ? r : buf[0] == '1';
}

/* ---- cgroup v1: freezer.state --------------------------------------------------------- */

static int v1_set(const char *dir, bool frozen)
{
        return ctr_cgroup_file_write(dir, "freezer.state", frozen ? "FROZEN" : "THAWED");
}

static int v1_get(const char *dir)
{
        char buf[32];
        int r = read_str(dir, "freezer.state", buf, sizeof(buf));
        return r < 0 ? r : strncmp(buf, "FROZEN", 6) == 0;
}

static int v1_asked(const char *dir)
{
        char buf[32];
        int r = read_str(dir, "freezer.state", buf, sizeof(buf));
        return r < 0 ? r : strncmp(buf, "THAWED", 6) != 0;
}

static const struct ctr_freezer_ops freezers[] = {
        [CTR_FREEZER_V2] = { "cgroup v2 freezer (cgroup.freeze)", v2_set, v2_get, v2_asked },
        [CTR_FREEZER_V1] = { "cgroup v1 freezer (freezer.state)", v1_set, v1_get, v1_asked },
};

const struct ctr_freezer_ops *ctr_freezer_of(const struct ctr_saved *s, const char **ret_dir)
{
        enum ctr_freezer_kind k = s->freezer[0] ? CTR_FREEZER_V1 : CTR_FREEZER_V2;
        const char *dir = k == CTR_FREEZER_V1 ? s->freezer : s->cgroup;

        if (!dir[0])
                return NULL;
        *ret_dir = dir;
        return &freezers[k];
}

/* ---- pause and resume ------------------------------------------------------------------ */

int ctr_container_freeze(const char *state_root, const char *id, bool pause, struct bv_error *err)
{
        struct ctr_saved s;
        const char *dir;
        int r = ctr_state_load(state_root, id, &s, err);

        if (r < 0)
                return r;
        json_decref(s.annotations);
        enum ctr_status want = pause ? CTR_STATUS_RUNNING : CTR_STATUS_PAUSED;
        if (s.status != want)
                return bv_error_set(err, s.status == CTR_STATUS_STOPPED ? ESRCH : EINVAL,
                                    "container '%s' is %s, not %s", id, ctr_status_name(s.status),
                                    ctr_status_name(want));
        const struct ctr_freezer_ops *ops = ctr_freezer_of(&s, &dir);
        if (!ops)
                return bv_error_set(err, EOPNOTSUPP, "container '%s' has no cgroup to freeze", id);
        if ((r = ops->set(dir, pause)) < 0)
                return bv_error_set_errno(err, -r, "Failed to %s '%s' through the %s", pause ? "freeze" : "thaw", dir,
                                          ops->name);
        return 0;
}

int ctr_container_frozen(const char *state_root, const char *id)
{
        struct ctr_saved s;
        const char *dir;
        int r = ctr_state_load(state_root, id, &s, NULL);

        if (r < 0)
                return r;
        json_decref(s.annotations);
        const struct ctr_freezer_ops *ops = ctr_freezer_of(&s, &dir);
        if (!ops)
                return -EOPNOTSUPP;
        return ops->get(dir);
}

int ctr_container_pause(const char *state_root, const char *id, bool pause, struct bv_error *err)
{
        int r = ctr_container_freeze(state_root, id, pause, err);
        if (r < 0)
                return r;
        /* Freezing completes asynchronously: wait until the freezer says so, bounded. */
        for (int i = 0; i < FREEZE_WAIT_MS / 10; i++) {
                if (ctr_container_frozen(state_root, id) == (pause ? 1 : 0))
                        return 0;
                nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
        }
        return bv_error_set(err, ETIMEDOUT, "container '%s' did not %s within %d s", id, pause ? "freeze" : "thaw",
                            FREEZE_WAIT_MS / 1000);
}
