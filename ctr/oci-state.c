/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The lifecycle after create: state, start, kill, delete, list and ps, all
 * working from <root>/<id>/state.json. The status is never stored: an init
 * whose pid is gone, a zombie, or a pid whose start time differs from the
 * one recorded (pid reuse) means "stopped"; a live init with exec.fifo
 * still present means "created"; a freezer asked to freeze (oci-freeze.c:
 * cgroup.freeze, or freezer.state on hybrid hosts) "paused";
 * otherwise "running". Signals go through
 * pidfds opened and checked against the recorded start time, so a reused
 * pid is never signalled. The id is checked before it becomes a path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

const char *ctr_status_name(enum ctr_status s)
{
        static const char *names[] = { "creating", "created", "running", "stopped", "paused" };
        return names[s];
}

char *ctr_state_json_text(const char *id, enum ctr_status status, pid_t pid, const char *bundle,
                          json_t *annotations)
{
        json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", CTR_OCI_VERSION, "id", id,
                              "status", ctr_status_name(status), "pid",
                              status == CTR_STATUS_STOPPED ? 0 : (json_int_t)pid, "bundle", bundle);
        if (!j)
                return NULL;
        if (annotations)
                json_object_set(j, "annotations", annotations);
        char *s = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        return s;
}

static int check_id(const char *id, struct bv_error *err)
{
        size_t l = strlen(id);
        if (l == 0 || l > 128 || id[0] == '.' || id[0] == '-' ||
            strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != l)
                return bv_error_set(err, EINVAL, "invalid container id '%s'", id);
        return 0;
}

int ctr_state_dir_make(const char *root, const char *id, char *buf, size_t len, struct bv_error *err)
{
        int r = check_id(id, err);
        if (r < 0)
                return r;
        if ((r = bv_mkdir_p(root, 0711, err)) < 0)
                return r;
        if (snprintf(buf, len, "%s/%s", root, id) >= (int)len)
                return bv_error_set(err, ENAMETOOLONG, "state path too long");
        if (mkdir(buf, 0711) < 0) {
                if (errno == EEXIST)
                        return bv_error_set(err, EEXIST, "container with id exists: %s", id);
                return bv_error_set_errno(err, errno, "Failed to create '%s'", buf);
        }
        return 0;
}

int ctr_pid_file_write(const char *path, pid_t pid, struct bv_error *err)
{
        char v[16];

        snprintf(v, sizeof(v), "%d", (int)pid);
        return bv_file_write_atomic(path, v, strlen(v), 0644, err);
}

void ctr_state_dir_remove(const char *dir)
{
        char p[4200];
        snprintf(p, sizeof(p), "%s/exec.fifo", dir);
        unlink(p);
        snprintf(p, sizeof(p), "%s/state.json", dir);
        unlink(p);
        snprintf(p, sizeof(p), "%s/cgroups.pending", dir);
        unlink(p);
        rmdir(dir);
}

int ctr_state_pending_write(const char *dir, const char *v2, const char *v1, struct bv_error *err)
{
        char p[4200], text[6200];

        snprintf(p, sizeof(p), "%s/cgroups.pending", dir);
        int n = snprintf(text, sizeof(text), "%s\n%s\n", v2, v1);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 || bv_fd_write_all(fd, text, (size_t)n) < 0)
                return bv_error_set_errno(err, errno, "Failed to write '%s'", p);
        return 0;
}

/*
 * A create killed before it wrote state.json (kill -9 mid-create) leaves
 * its state directory with the cgroups it was about to make named in
 * cgroups.pending: those (and whatever runs in them: the init dies with
 * its parent anyway) and the directory go.
 */
static int delete_pending(const char *state_root, const char *id, struct bv_error *err)
{
        char dir[4200], p[4300];
        _cleanup_free_ char *text = NULL;
        struct ctr_cgroup_info info;

        snprintf(dir, sizeof(dir), "%s/%s", state_root, id);
        snprintf(p, sizeof(p), "%s/cgroups.pending", dir);
        if (bv_file_read(p, 8192, &text, NULL, NULL) < 0)
                return bv_error_set(err, ENOENT, "container does not exist: %s", id);
        char *nl = strchr(text, '\n'), *v1 = nl ? nl + 1 : NULL;
        if (!nl || !strchr(v1, '\n'))
                return bv_error_set(err, EINVAL, "Corrupt '%s'", p);
        *nl = 0;
        *strchr(v1, '\n') = 0;
        int r = text[0] && strncmp(text, "/sys/fs/cgroup/", 15) == 0 ? ctr_cgroup_destroy(text, err) : 0;
        if (v1[0] && !strstr(v1, "..") && ctr_cgroup_detect("/sys/fs/cgroup", &info, NULL) == 0)
                ctr_cgv1_destroy(&info, v1);
        ctr_state_dir_remove(dir);
        return r;
}

uint64_t ctr_pid_starttime(pid_t pid, bool *zombie)
{
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        *zombie = false;
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return 0;
        buf[n] = 0;
        char *p = strrchr(buf, ')');
        if (!p)
                return 0;
        p += 2;
        *zombie = *p == 'Z' || *p == 'X';
        /* Field 3 is the state; starttime is field 22. */
        for (int field = 3; field < 22 && p; field++) {
                p = strchr(p, ' ');
                if (p)
                        p++;
        }
        return p ? strtoull(p, NULL, 10) : 0;
}

int ctr_state_write(const char *dir, const struct ctr_create_opts *o, pid_t pid, const struct ctr_saved_cgroups *cg,
                    const char *rootfs, json_t *annotations, struct bv_error *err)
{
        char path[4200], created[64];
        bool z;
        struct timespec ts;
        struct tm tm;

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(created + strlen(created), sizeof(created) - strlen(created), ".%09ldZ", ts.tv_nsec);
        json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:{s:I, s:s, s:s, s:s}}", "ociVersion",
                              CTR_OCI_VERSION, "id", o->id, "status", "created", "pid", (json_int_t)pid, "bundle",
                              o->bundle, "rootfs", rootfs, "created", created, "barevirt", "starttime",
                              (json_int_t)ctr_pid_starttime(pid, &z), "cgroup", cg->v2, "cgroup_v1", cg->v1,
                              "freezer", cg->freezer);
        if (!j)
                return -ENOMEM;
        if (annotations)
                json_object_set(j, "annotations", annotations);
        snprintf(path, sizeof(path), "%s/state.json", dir);
        char *s = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!s)
                return -ENOMEM;
        int r = bv_file_write_atomic(path, s, strlen(s), 0600, err);
        free(s);
        return r;
}

int ctr_state_load(const char *root, const char *id, struct ctr_saved *ret, struct bv_error *err)
{
        char path[4400];
        json_t *j = NULL, *extra = NULL;
        const char *bundle = NULL, *cgroup = "", *cgroup_v1 = "", *freezer = "";
        json_int_t pid = 0, starttime = 0;
        json_error_t je;
        int r = check_id(id, err);

        if (r < 0)
                return r;
        memset(ret, 0, sizeof(*ret));
        snprintf(ret->dir, sizeof(ret->dir), "%s/%s", root, id);
        snprintf(path, sizeof(path), "%s/state.json", ret->dir);
        r = bv_json_load_file(path, 1 << 20, &j, NULL);
        if (r == -ENOENT)
                return bv_error_set(err, ENOENT, "container does not exist: %s", id);
        if (r < 0)
                return bv_error_set_errno(err, -r, "Failed to read the state of '%s'", id);
        if (json_unpack_ex(j, &je, 0, "{s:s, s:I, s?o, s:{s:I, s?s, s?s, s?s}}", "bundle", &bundle, "pid", &pid,
                           "annotations", &ret->annotations, "barevirt", "starttime", &starttime, "cgroup",
                           &cgroup, "cgroup_v1", &cgroup_v1, "freezer", &freezer) < 0) {
                json_decref(j);
                return bv_error_set(err, EINVAL, "Corrupt state of '%s': %s", id, je.text);
        }
        (void)extra;
        snprintf(ret->id, sizeof(ret->id), "%s", id);
        snprintf(ret->bundle, sizeof(ret->bundle), "%s", bundle);
        snprintf(ret->cgroup, sizeof(ret->cgroup), "%s", cgroup);
        snprintf(ret->cgroup_v1, sizeof(ret->cgroup_v1), "%s", cgroup_v1);
        snprintf(ret->freezer, sizeof(ret->freezer), "%s", freezer);
        /* A state from before every v1 hierarchy: only the freezer was made, at the same relative path. */
        if (!cgroup_v1[0] && strncmp(freezer, "/sys/fs/cgroup/freezer/", 23) == 0)
                snprintf(ret->cgroup_v1, sizeof(ret->cgroup_v1), "%s", freezer + 23);
        json_incref(ret->annotations);
        json_decref(j);
        ret->pid = (pid_t)pid;
        ret->starttime = (uint64_t)starttime;
        bool zombie;
        uint64_t st = ret->pid > 0 ? ctr_pid_starttime(ret->pid, &zombie) : 0;
        if (!st || zombie || st != ret->starttime)
                ret->status = CTR_STATUS_STOPPED;
        else {
                snprintf(path, sizeof(path), "%s/exec.fifo", ret->dir);
                ret->status = access(path, F_OK) == 0 ? CTR_STATUS_CREATED : CTR_STATUS_RUNNING;
                const char *fdir;
                const struct ctr_freezer_ops *fops = ctr_freezer_of(ret, &fdir);
                if (ret->status == CTR_STATUS_RUNNING && fops && fops->asked(fdir) == 1)
                        ret->status = CTR_STATUS_PAUSED;
        }
        return 0;
}

bool ctr_saved_procs_dir(const struct ctr_saved *s, char *buf, size_t len)
{
        struct ctr_cgroup_info info;

        if (s->cgroup[0]) {
                snprintf(buf, len, "%s", s->cgroup);
                return true;
        }
        if (!s->cgroup_v1[0] || ctr_cgroup_detect("/sys/fs/cgroup", &info, NULL) < 0)
                return false;
        return ctr_cgv1_path(&info, s->cgroup_v1, "pids", buf, len) == 0 ||
               ctr_cgv1_path(&info, s->cgroup_v1, "freezer", buf, len) == 0 ||
               ctr_cgv1_path(&info, s->cgroup_v1, "memory", buf, len) == 0;
}

static void saved_done(struct ctr_saved *s)
{
        json_decref(s->annotations);
        s->annotations = NULL;
}

static json_t *saved_json(const struct ctr_saved *s)
{
        json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", CTR_OCI_VERSION, "id", s->id, "status",
                              ctr_status_name(s->status), "pid",
                              s->status == CTR_STATUS_STOPPED ? 0 : (json_int_t)s->pid, "bundle", s->bundle);
        if (j && s->annotations)
                json_object_set(j, "annotations", s->annotations);
        return j;
}

int ctr_container_state(const char *state_root, const char *id, json_t **ret, struct bv_error *err)
{
        struct ctr_saved s;
        int r = ctr_state_load(state_root, id, &s, err);
        if (r < 0)
                return r;
        json_t *j = saved_json(&s);
        saved_done(&s);
        if (!j)
                return -ENOMEM;
        *ret = j;
        return 0;
}

int ctr_container_config(const char *state_root, const char *id, struct ctr_config **ret,
                         struct bv_error *err)
{
        struct ctr_saved s;
        int r = ctr_state_load(state_root, id, &s, err);
        if (r < 0)
                return r;
        saved_done(&s);
        return ctr_config_load(s.bundle, ret, err);
}

/* A pidfd for the saved init, or -ESRCH when it is gone or the pid was reused. */
static int saved_pidfd(const struct ctr_saved *s)
{
        int fd = (int)syscall(SYS_pidfd_open, s->pid, 0);
        bool zombie;
        if (fd < 0)
                return -errno;
        if (ctr_pid_starttime(s->pid, &zombie) != s->starttime || zombie) {
                close(fd);
                return -ESRCH;
        }
        return fd;
}

int ctr_container_start(const char *state_root, const char *id, struct bv_error *err)
{
        struct ctr_saved s;
        char fifo[4200];
        int r = ctr_state_load(state_root, id, &s, err);

        if (r < 0)
                return r;
        json_auto_t *ann = TAKE_PTR(s.annotations);
        if (s.status != CTR_STATUS_CREATED) {
                return bv_error_set(err, EINVAL, "cannot start a container that has %s",
                                    s.status == CTR_STATUS_STOPPED ? "stopped" : "already been started");
        }
        snprintf(fifo, sizeof(fifo), "%s/exec.fifo", s.dir);
        int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
                return bv_error_set_errno(err, errno, "cannot start container '%s'", id);
        }
        r = write(fd, "0", 1) == 1 ? 0 : -errno;
        close(fd);
        if (r < 0) {
                return bv_error_set_errno(err, -r, "cannot start container '%s'", id);
        }
        unlink(fifo);
        _cleanup_(ctr_config_freep) struct ctr_config *cfg = NULL;
        if (ctr_config_load(s.bundle, &cfg, NULL) == 0 && cfg->n_hooks[CTR_HOOK_POSTSTART]) {
                /*
                 * poststart runs after the user process is executed: wait
                 * (bounded) until the init's exe is no longer our memfd.
                 */
                char exe_link[64], exe[256];
                snprintf(exe_link, sizeof(exe_link), "/proc/%d/exe", (int)s.pid);
                for (int i = 0; i < 10000; i++) {
                        ssize_t n = readlink(exe_link, exe, sizeof(exe) - 1);
                        if (n < 0 || strncmp(exe, "/memfd:", n < 7 ? (size_t)n : 7) != 0)
                                break;
                        nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
                }
                _cleanup_free_ char *state = ctr_state_json_text(id, CTR_STATUS_RUNNING, s.pid, s.bundle, ann);
                if (state)
                        r = ctr_hooks_run(cfg, CTR_HOOK_POSTSTART, state, err);
        }
        return r;
}

/*
 * Signals every process of the container: SIGKILL through cgroup.kill
 * where the kernel has it (5.14), else each pid in cgroup.procs, with the
 * v1 freezer holding them meanwhile so none forks past the list (thawed
 * after, so they act on the signal).
 */
static int kill_all(const struct ctr_saved *s, const char *dir, int sig)
{
        const char *fdir;

        if (sig == SIGKILL && s->cgroup[0] && ctr_cgroup_file_write(s->cgroup, "cgroup.kill", "1") == 0)
                return 0;
        const struct ctr_freezer_ops *f = s->freezer[0] && s->status != CTR_STATUS_PAUSED ? ctr_freezer_of(s, &fdir) : NULL;
        if (f && f->set(fdir, true) == 0)
                for (int i = 0; i < 100 && f->get(fdir) != 1; i++)
                        nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
        int r = ctr_cgroup_signal(dir, sig);
        if (f)
                (void)f->set(fdir, false);
        return r;
}

bool ctr_container_oom_killed(const char *state_root, const char *id)
{
        struct ctr_saved s;
        struct ctr_cgroup_info info;
        char path[4200];
        _cleanup_free_ char *text = NULL;

        if (ctr_state_load(state_root, id, &s, NULL) < 0)
                return false;
        saved_done(&s);
        /* v1: memory.oom_control's oom_kill counter (4.13); v2: memory.events'. */
        if (s.cgroup_v1[0] && ctr_cgroup_detect("/sys/fs/cgroup", &info, NULL) == 0 &&
            ctr_cgv1_path(&info, s.cgroup_v1, "memory", path, sizeof(path) - 20) == 0)
                strcat(path, "/memory.oom_control");
        else if (s.cgroup[0])
                snprintf(path, sizeof(path), "%s/memory.events", s.cgroup);
        else
                return false;
        if (bv_file_read(path, 4096, &text, NULL, NULL) < 0)
                return false;
        const char *p = strstr(text, "oom_kill ");
        return p && strtoull(p + 9, NULL, 10) > 0;
}

int ctr_container_kill(const char *state_root, const char *id, int sig, bool all, struct bv_error *err)
{
        struct ctr_saved s;
        const char *fdir;
        int r = ctr_state_load(state_root, id, &s, err);
        if (r < 0)
                return r;
        saved_done(&s);
        if (s.status == CTR_STATUS_STOPPED)
                return bv_error_set(err, ESRCH, "container not running");
        char dir[4096];
        if (all && ctr_saved_procs_dir(&s, dir, sizeof(dir))) {
                if ((r = kill_all(&s, dir, sig)) < 0)
                        return bv_error_set(err, ESRCH, "container not running");
        } else {
                int fd = saved_pidfd(&s);
                if (fd < 0)
                        return bv_error_set(err, ESRCH, "container not running");
                r = (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
                r = r < 0 ? -errno : 0;
                close(fd);
                if (r < 0)
                        return bv_error_set_errno(err, -r, "Failed to send signal %d to '%s'", sig, id);
        }
        /* A frozen task acts on SIGKILL only once thawed (v1 freezer): thaw it, as runc does. */
        const struct ctr_freezer_ops *fops = ctr_freezer_of(&s, &fdir);
        if (sig == SIGKILL && s.status == CTR_STATUS_PAUSED && fops)
                (void)fops->set(fdir, false);
        return 0;
}

int ctr_container_delete(const char *state_root, const char *id, bool force, struct bv_error *err)
{
        struct ctr_saved s;
        int r = ctr_state_load(state_root, id, &s, err);
        if (r == -ENOENT && force)
                return delete_pending(state_root, id, err);
        if (r < 0)
                return r;
        json_auto_t *ann = TAKE_PTR(s.annotations);
        if (s.status != CTR_STATUS_STOPPED) {
                if (!force && s.status != CTR_STATUS_CREATED) {
                                return bv_error_set(err, EBUSY, "cannot delete container %s that is not stopped: %s", id,
                                            ctr_status_name(s.status));
                }
                int fd = saved_pidfd(&s);
                if (fd >= 0) {
                        syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
                        const char *fdir;
                        const struct ctr_freezer_ops *fops = ctr_freezer_of(&s, &fdir);
                        if (fops)
                                (void)fops->set(fdir, false);
                        struct pollfd p = { .fd = fd, .events = POLLIN };
                        while (poll(&p, 1, 5000) < 0 && errno == EINTR)
                                ;
                        close(fd);
                }
        }
        r = ctr_cgroup_destroy(s.cgroup, err);
        if (s.cgroup_v1[0]) {
                struct ctr_cgroup_info info;
                if (ctr_cgroup_detect("/sys/fs/cgroup", &info, NULL) == 0)
                        ctr_cgv1_destroy(&info, s.cgroup_v1);
        }
        _cleanup_(ctr_config_freep) struct ctr_config *cfg = NULL;
        if (ctr_config_load(s.bundle, &cfg, NULL) == 0 && cfg->n_hooks[CTR_HOOK_POSTSTOP]) {
                _cleanup_free_ char *state = ctr_state_json_text(id, CTR_STATUS_STOPPED, 0, s.bundle, ann);
                /* A failing poststop hook is only a warning (spec): the container goes anyway. */
                if (state)
                        (void)ctr_hooks_run(cfg, CTR_HOOK_POSTSTOP, state, NULL);
        }
        ctr_state_dir_remove(s.dir);
        return r;
}

int ctr_container_list(const char *state_root, json_t **ret, struct bv_error *err)
{
        json_t *arr = json_array();
        DIR *d;

        if (!arr)
                return -ENOMEM;
        d = opendir(state_root);
        if (!d) {
                if (errno == ENOENT) {
                        *ret = arr;
                        return 0;
                }
                json_decref(arr);
                return bv_error_set_errno(err, errno, "Failed to read '%s'", state_root);
        }
        for (struct dirent *de; (de = readdir(d));) {
                struct ctr_saved s;
                if (de->d_name[0] == '.' || ctr_state_load(state_root, de->d_name, &s, NULL) < 0)
                        continue;
                json_t *j = saved_json(&s);
                saved_done(&s);
                if (j)
                        json_array_append_new(arr, j);
        }
        closedir(d);
        *ret = arr;
        return 0;
}

int ctr_container_pids(const char *state_root, const char *id, json_t **ret, struct bv_error *err)
{
        struct ctr_saved s;
        char path[4200];
        _cleanup_free_ char *procs = NULL;
        size_t len;
        int r = ctr_state_load(state_root, id, &s, err);

        if (r < 0)
                return r;
        saved_done(&s);
        json_t *arr = json_array();
        if (!arr)
                return -ENOMEM;
        if (ctr_saved_procs_dir(&s, path, sizeof(path))) {
                snprintf(path + strlen(path), sizeof(path) - strlen(path), "/cgroup.procs");
                if (bv_file_read(path, 1 << 20, &procs, &len, NULL) == 0)
                        for (char *p = procs; *p;) {
                                long pid = strtol(p, &p, 10);
                                if (pid > 0)
                                        json_array_append_new(arr, json_integer(pid));
                                while (*p == '\n')
                                        p++;
                        }
        } else if (s.status != CTR_STATUS_STOPPED)
                json_array_append_new(arr, json_integer(s.pid));
        *ret = arr;
        return 0;
}
