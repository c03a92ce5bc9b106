/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VM state machine: launching QEMU (taps, argv, setsid), following it
 * over QMP and its pidfd, stopping it in escalating steps, and finding it
 * again after a restart of barevirtd. See vm.h for the states.
 *
 * Invariants: at most one lifecycle operation is pending (vm->op); every
 * wait has a timer; when QEMU exits, whatever the cause, on_exit() is the
 * one place that cleans up and decides stopped versus crashed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "net/net.h"
#include "qmp/qmp.h"
#include "vmm/vmm-internal.h"
#include "vmm/vmm.h"

#define START_TIMEOUT_USEC (60ULL * 1000000)     /* TCG on a loaded host is slow */
#define CONNECT_RETRY_USEC 2000ULL
#define QUIT_GRACE_USEC (3ULL * 1000000)
#define KILL_GRACE_USEC (5ULL * 1000000)
#define QMP_TIMEOUT_MS 10000
#define LAST_LINES 8

static void on_exit_(struct bv_loop *loop, pid_t pid, int status, void *userdata);
static void connect_qmp(struct bv_loop *loop, void *userdata);

const char *vmm_state_name(enum vmm_state s)
{
        static const char *const names[] = { "stopped", "starting", "running", "paused", "stopping", "crashed" };
        return s <= VMM_CRASHED ? names[s] : "unknown";
}

const char *vmm_vm_run_path(const struct vmm_vm *vm, const char *name, char *buf, size_t len)
{
        snprintf(buf, len, "%s/vms/%s%s%s", vm->host.run_dir, vm->def->name, name ? "/" : "", name ? name : "");
        return buf;
}

const char *vmm_vm_state_path(const struct vmm_vm *vm, const char *name, char *buf, size_t len)
{
        snprintf(buf, len, "%s/vms/%s%s%s", vm->host.state_dir, vm->def->name, name ? "/" : "", name ? name : "");
        return buf;
}

void vmm_vm_set_kvm(struct vmm_vm *vm, bool kvm) { vm->host.kvm = kvm; }
const char *vmm_vm_name(const struct vmm_vm *vm) { return vm->def->name; }
const struct vmm_def *vmm_vm_def(const struct vmm_vm *vm) { return vm->def; }
enum vmm_state vmm_vm_state(const struct vmm_vm *vm) { return vm->state; }
pid_t vmm_vm_pid(const struct vmm_vm *vm) { return vm->pid; }

bool vmm_vm_uses_network(const struct vmm_vm *vm, const char *network)
{
        if (vm->state == VMM_STOPPED || vm->state == VMM_CRASHED)
                return false;
        for (size_t k = 0; k < vm->def->n_nics; k++)
                if (strcmp(vm->def->nics[k].network, network) == 0)
                        return true;
        return false;
}

static void tap_name(const struct vmm_vm *vm, size_t i, char *buf, size_t len);

bool vmm_vm_owns_tap(const struct vmm_vm *vm, const char *ifname, unsigned *ret_nic)
{
        char tap[IFNAMSIZ];

        for (size_t i = 0; i < vm->def->n_nics; i++) {
                tap_name(vm, i, tap, sizeof(tap));
                if (strcmp(tap, ifname) == 0) {
                        *ret_nic = (unsigned)i;
                        return true;
                }
        }
        return false;
}

void vmm_vm_tap_name(const struct vmm_vm *vm, unsigned nic, char *buf, size_t len)
{
        tap_name(vm, nic, buf, len);
}

void vmm_vm_emit(struct vmm_vm *vm, const char *event, json_t *data)
{
        if (vm->host.on_event)
                vm->host.on_event(vm, event, data, vm->host.userdata);
        json_decref(data);
}

static void set_state(struct vmm_vm *vm, enum vmm_state s)
{
        if (vm->state == s)
                return;
        enum vmm_state old = vm->state;
        vm->state = s;
        vmm_vm_emit(vm, "state", json_pack("{s:s,s:s}", "from", vmm_state_name(old), "to", vmm_state_name(s)));
        if (s == VMM_STOPPED || s == VMM_CRASHED)
                vmm_vm_log_end_followers(vm);
}

/* Completes the pending operation (if any) exactly once. */
void vmm_vm_complete(struct vmm_vm *vm, int r, json_t *result, const struct bv_error *err)
{
        struct op op = vm->op;

        vm->op = (struct op){};
        if (op.done)
                op.done(vm, r, result, err, op.userdata);
}

int vmm_vm_begin(struct vmm_vm *vm, const char *name, vmm_done_cb done, void *userdata, struct bv_error *err)
{
        if (vm->op.done)
                return bv_error_set(err, EBUSY, "VM '%s' is busy (%s in progress)", vm->def->name, vm->op.name);
        vm->op = (struct op){ done, userdata, name };
        return 0;
}

int vmm_vm_new(const struct vmm_host *host, struct vmm_def *def, struct vmm_vm **ret)
{
        struct vmm_vm *vm = calloc(1, sizeof(*vm));

        if (!vm)
                return -ENOMEM;
        vm->host = *host;
        vm->def = def;
        vm->state = VMM_STOPPED;
        *ret = vm;
        return 0;
}

struct vmm_vm *vmm_vm_free(struct vmm_vm *vm)
{
        if (!vm)
                return NULL;
        struct bv_error err;
        bv_error_set(&err, ECANCELED, "VM '%s' was removed", vm->def->name);
        vmm_vm_complete(vm, -ECANCELED, NULL, &err);
        vm->timer = bv_timer_cancel(vm->timer);
        vm->child = bv_child_remove(vm->child);
        vm->qmp = qmp_conn_free(vm->qmp);
        vmm_vm_disk_abort(vm);
        vmm_vm_log_end_followers(vm);
        vmm_def_free(vm->def);
        free(vm);
        return NULL;
}

/* The last LAST_LINES lines QEMU wrote to qemu.log since it started. */
static void read_last_lines(struct vmm_vm *vm)
{
        char path[4096], buf[4096];

        vm->last_error[0] = '\0';
        _cleanup_close_ int fd = open(vmm_vm_run_path(vm, "qemu.log", path, sizeof(path)), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        off_t end = lseek(fd, 0, SEEK_END);
        if (end <= vm->log_offset)
                return;
        off_t from = end - (off_t)sizeof(buf) + 1 > vm->log_offset ? end - (off_t)sizeof(buf) + 1 : vm->log_offset;
        ssize_t n = pread(fd, buf, (size_t)(end - from), from);
        if (n <= 0)
                return;
        buf[n] = '\0';
        while (n > 0 && buf[n - 1] == '\n')
                buf[--n] = '\0';
        char *start = buf;
        int lines = 0;
        for (char *p = buf + n; p > buf; p--)
                if (p[-1] == '\n' && ++lines == LAST_LINES) {
                        start = p;
                        break;
                }
        size_t len = strlen(start);
        if (len >= sizeof(vm->last_error))
                start += len - (sizeof(vm->last_error) - 1);
        memcpy(vm->last_error, start, strlen(start) + 1);
}

static void remove_runtime_files(struct vmm_vm *vm)
{
        static const char *const files[] = { "runtime.json", "qmp.sock", "serial.sock", "vnc.sock", "qemu.pid" };
        char path[4096];

        for (size_t i = 0; i < BV_ELEMENTSOF(files); i++)
                unlink(vmm_vm_run_path(vm, files[i], path, sizeof(path)));
}

static int write_runtime(struct vmm_vm *vm, struct bv_error *err)
{
        char path[4096];
        json_auto_t *o = json_pack("{s:i,s:I,s:I}", "pid", (int)vm->pid, "start_time",
                                   (json_int_t)vm->start_time, "log_offset", (json_int_t)vm->log_offset);
        return bv_json_write_file(vmm_vm_run_path(vm, "runtime.json", path, sizeof(path)), o, err);
}

/* ---- QMP ------------------------------------------------------------------ */

static void on_qmp_event(struct qmp_conn *c, const struct qmp_event *ev, void *userdata)
{
        struct vmm_vm *vm = userdata;

        if (strcmp(ev->name, "STOP") == 0 && vm->state == VMM_RUNNING)
                set_state(vm, VMM_PAUSED);
        else if (strcmp(ev->name, "RESUME") == 0 && vm->state == VMM_PAUSED)
                set_state(vm, VMM_RUNNING);
        else if (strcmp(ev->name, "SHUTDOWN") == 0) {
                vm->guest_shutdown = true;
                vmm_vm_emit(vm, "shutdown", json_incref(ev->data));
        } else if (strcmp(ev->name, "RESET") == 0)
                vmm_vm_emit(vm, "reset", json_incref(ev->data));
        else if (strcmp(ev->name, "POWERDOWN") == 0)
                vmm_vm_emit(vm, "powerdown", NULL);
        else if (strcmp(ev->name, "DEVICE_DELETED") == 0)
                vmm_vm_disk_event(vm, ev);
}

static void on_qmp_close(struct qmp_conn *c, int r, const struct bv_error *err, void *userdata)
{
        /* QEMU going away is handled by on_exit_() through the pidfd. */
}

static void on_status(struct qmp_conn *c, int r, json_t *ret, const struct bv_error *err, void *userdata)
{
        struct vmm_vm *vm = userdata;
        struct qmp_status st;
        struct bv_error e = {};

        if (r >= 0)
                r = qmp_status_parse(ret, &st, &e);
        else if (err)
                e = *err;
        if (r < 0) {
                if (vm->state == VMM_STARTING && vm->op.done) {
                        bv_error_prefix(&e, "VM '%s': query-status failed", vm->def->name);
                        vmm_vm_complete(vm, r, NULL, &e);
                }
                return;
        }
        vm->timer = bv_timer_cancel(vm->timer);
        set_state(vm, st.running ? VMM_RUNNING : VMM_PAUSED);
        if (vm->op.name && (strcmp(vm->op.name, "start") == 0 || strcmp(vm->op.name, "reattach") == 0))
                vmm_vm_complete(vm, 0, NULL, NULL);
}

static void on_qmp_ready(struct qmp_conn *c, int r, const struct bv_error *err, void *userdata)
{
        struct vmm_vm *vm = userdata;

        if (r < 0) {
                /* Retry: QEMU may still be setting up, or this was a stale socket. */
                vm->qmp = qmp_conn_free(vm->qmp);
                bv_loop_add_timer(vm->host.loop, CONNECT_RETRY_USEC * 10, connect_qmp, vm, &vm->timer);
                return;
        }
        qmp_conn_call(c, "query-status", NULL, QMP_TIMEOUT_MS, on_status, vm, NULL, NULL);
}

static void connect_qmp(struct bv_loop *loop, void *userdata)
{
        struct vmm_vm *vm = userdata;
        char path[4096];

        vm->timer = NULL;
        if (bv_now_usec() > vm->deadline) {
                struct bv_error e;
                bv_error_set(&e, ETIMEDOUT, "QEMU of VM '%s' did not answer on QMP in time", vm->def->name);
                if (vm->pid > 0)
                        kill(vm->pid, SIGKILL);
                vm->stop_requested = true;
                vmm_vm_complete(vm, -ETIMEDOUT, NULL, &e);
                return;
        }
        struct qmp_options opts = { .timeout_ms = QMP_TIMEOUT_MS };
        int r = qmp_conn_connect(loop, vmm_vm_run_path(vm, "qmp.sock", path, sizeof(path)), &opts, &vm->qmp, NULL);
        if (r < 0) {
                bv_loop_add_timer(loop, CONNECT_RETRY_USEC, connect_qmp, vm, &vm->timer);
                return;
        }
        qmp_conn_set_event_cb(vm->qmp, on_qmp_event, vm);
        qmp_conn_set_ready_cb(vm->qmp, on_qmp_ready, vm);
        qmp_conn_set_close_cb(vm->qmp, on_qmp_close, vm);
}

/* ---- exit ----------------------------------------------------------------- */

static void on_exit_(struct bv_loop *loop, pid_t pid, int status, void *userdata)
{
        struct vmm_vm *vm = userdata;
        struct bv_error e = {};

        vm->child = NULL;
        vm->timer = bv_timer_cancel(vm->timer);
        vm->qmp = qmp_conn_free(vm->qmp);
        vmm_vm_disk_abort(vm);
        read_last_lines(vm);
        remove_runtime_files(vm);
        vm->pid = 0;
        bool clean = vm->stop_requested || vm->guest_shutdown;
        bool starting = vm->op.name && strcmp(vm->op.name, "start") == 0;
        set_state(vm, clean && !starting ? VMM_STOPPED : VMM_CRASHED);
        if (vm->state == VMM_STOPPED)
                vm->last_error[0] = '\0';
        if (starting) {
                bv_error_set(&e, EIO, "QEMU of VM '%s' exited during start: %s", vm->def->name,
                             vm->last_error[0] ? vm->last_error : "(no output)");
                vmm_vm_complete(vm, -EIO, NULL, &e);
        } else
                vmm_vm_complete(vm, 0, NULL, NULL);
        vm->stop_requested = vm->guest_shutdown = false;
        vm->stop_phase = 0;
}

/* ---- start ---------------------------------------------------------------- */

static void tap_name(const struct vmm_vm *vm, size_t i, char *buf, size_t len)
{
        uint32_t h = 2166136261u;
        for (const char *p = vm->def->name; *p; p++)
                h = (h ^ (uint8_t)*p) * 16777619u;
        snprintf(buf, len, "bv%06x-%zu", h & 0xffffff, i);
}

static void close_fds(int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
}

static int open_taps(struct vmm_vm *vm, int *fds, struct bv_error *err)
{
        const struct vmm_def *d = vm->def;
        char bridge[64], name[16];
        int r;

        for (size_t i = 0; i < d->n_nics; i++)
                fds[i] = -1;
        if (d->n_nics && !vm->host.net)
                return bv_error_set(err, EOPNOTSUPP, "VM '%s' has NICs but networking is not available", d->name);
        for (size_t i = 0; i < d->n_nics; i++) {
                r = vm->host.bridge_of(vm->host.userdata, d->nics[i].network, bridge, sizeof(bridge), err);
                if (r < 0)
                        goto fail;
                tap_name(vm, i, name, sizeof(name));
                struct net_tap_opts o = { .vnet_hdr = true, .master = bridge, .up = true };
                r = net_tap_open(vm->host.net, name, &o, &fds[i], NULL, err);
                if (r < 0) {
                        bv_error_prefix(err, "VM '%s' NIC %zu", d->name, i);
                        goto fail;
                }
                if (d->nics[i].rate_mbit) {
                        r = net_ratelimit_set(vm->host.net, name, d->nics[i].rate_mbit,
                                              NET_RATELIMIT_EGRESS | NET_RATELIMIT_INGRESS, err);
                        if (r < 0)
                                goto fail;
                }
        }
        return 0;
fail:
        /* Non-persistent taps vanish with their last fd. */
        close_fds(fds, d->n_nics);
        return r;
}

/* In the child: arrange fds and exec QEMU. Never returns. */
static void __attribute__((noreturn)) exec_qemu(char **argv, int log_fd, const int *taps, size_t n)
{
        int high[VMM_MAX_NICS];
        sigset_t none;

        setsid();
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
                _exit(127);
        /* Move the taps out of the way first, then to 3, 4, ... as the argv says. */
        for (size_t i = 0; i < n; i++)
                if ((high[i] = fcntl(taps[i], F_DUPFD_CLOEXEC, 100)) < 0)
                        _exit(127);
        for (size_t i = 0; i < n; i++)
                if (dup2(high[i], 3 + (int)i) < 0)
                        _exit(127);
        syscall(SYS_close_range, 3 + n, ~0U, 0);
        execv(argv[0], argv);
        _exit(127);
}

static int launch(struct vmm_vm *vm, const int *taps, struct bv_error *err)
{
        char qmp[4096], serial[4096], log[4096], pidfile[4096], vnc[4096], qlog[4096];
        int tap_nums[VMM_MAX_NICS];
        char **argv = NULL;
        const struct vmm_def *d = vm->def;
        bool kvm = strcmp(d->accel, "kvm") == 0 || (strcmp(d->accel, "auto") == 0 && vm->host.kvm);

        if (strcmp(d->accel, "kvm") == 0 && !vm->host.kvm)
                return bv_error_set(err, EOPNOTSUPP, "VM '%s' asks for KVM, which is not usable on this host", d->name);
        for (size_t i = 0; i < d->n_nics; i++)
                tap_nums[i] = 3 + (int)i;
        struct vmm_argv_opts o = {
                .qemu = vm->host.qemu, .kvm = kvm,
                .qmp_socket = vmm_vm_run_path(vm, "qmp.sock", qmp, sizeof(qmp)),
                .serial_socket = vmm_vm_run_path(vm, "serial.sock", serial, sizeof(serial)),
                .console_log = vmm_vm_state_path(vm, "console.log", log, sizeof(log)),
                .pidfile = vmm_vm_run_path(vm, "qemu.pid", pidfile, sizeof(pidfile)),
                .vnc_socket = vmm_vm_run_path(vm, "vnc.sock", vnc, sizeof(vnc)),
                .uefi_firmware = vm->host.uefi_firmware,
                .tap_fds = tap_nums, .n_tap_fds = d->n_nics,
        };
        int r = vmm_argv_build(d, &o, &argv, err);
        if (r < 0)
                return r;
        remove_runtime_files(vm);
        _cleanup_close_ int log_fd = open(vmm_vm_run_path(vm, "qemu.log", qlog, sizeof(qlog)),
                                          O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (log_fd < 0) {
                vmm_argv_free(argv);
                return bv_error_set_errno(err, errno, "Failed to open '%s'", qlog);
        }
        vm->log_offset = lseek(log_fd, 0, SEEK_END);
        pid_t pid = fork();
        if (pid < 0) {
                vmm_argv_free(argv);
                return bv_error_set_errno(err, errno, "fork failed");
        }
        if (pid == 0)
                exec_qemu(argv, log_fd, taps, d->n_nics);
        vmm_argv_free(argv);
        vm->pid = pid;
        vm->start_time = 0;
        bv_proc_start_time(pid, &vm->start_time);
        r = bv_loop_add_child(vm->host.loop, pid, on_exit_, vm, &vm->child);
        if (r < 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                vm->pid = 0;
                return bv_error_set_errno(err, -r, "Failed to watch QEMU");
        }
        r = write_runtime(vm, err);
        if (r < 0) {
                /* Without runtime.json a restarted daemon could not find it: do not run it. */
                kill(pid, SIGKILL);
                vm->stop_requested = true;
                return r;
        }
        return 0;
}

int vmm_vm_start(struct vmm_vm *vm, vmm_done_cb done, void *userdata, struct bv_error *err)
{
        char dir[4096];
        int taps[VMM_MAX_NICS];
        int r;

        if (vm->state != VMM_STOPPED && vm->state != VMM_CRASHED)
                return bv_error_set(err, EALREADY, "VM '%s' is %s", vm->def->name, vmm_state_name(vm->state));
        if ((r = vmm_def_check_files(vm->def, err)) < 0)
                return r;
        if ((r = bv_mkdir_p(vmm_vm_run_path(vm, NULL, dir, sizeof(dir)), 0700, err)) < 0 ||
            (r = bv_mkdir_p(vmm_vm_state_path(vm, NULL, dir, sizeof(dir)), 0700, err)) < 0)
                return r;
        if ((r = vmm_vm_begin(vm, "start", done, userdata, err)) < 0)
                return r;
        r = open_taps(vm, taps, err);
        if (r >= 0) {
                r = launch(vm, taps, err);
                close_fds(taps, vm->def->n_nics);
        }
        if (r < 0) {
                vm->op = (struct op){};
                return r;
        }
        vm->last_error[0] = '\0';
        vm->stop_requested = vm->guest_shutdown = false;
        set_state(vm, VMM_STARTING);
        vm->deadline = bv_now_usec() + START_TIMEOUT_USEC;
        bv_loop_add_timer(vm->host.loop, CONNECT_RETRY_USEC, connect_qmp, vm, &vm->timer);
        return 0;
}

/* ---- reattach ------------------------------------------------------------- */

/* True when pid is the QEMU we started: same start time and our QMP socket in its argv. */
static bool is_our_qemu(struct vmm_vm *vm, pid_t pid, unsigned long long start_time)
{
        unsigned long long st;
        char path[64], qmp[4096];
        _cleanup_free_ char *cmdline = NULL;
        size_t len;

        if (pid <= 1 || bv_proc_start_time(pid, &st) < 0 || st != start_time)
                return false;
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
        if (bv_file_read(path, 256 * 1024, &cmdline, &len, NULL) < 0)
                return false;
        vmm_vm_run_path(vm, "qmp.sock", qmp, sizeof(qmp));
        for (size_t i = 0; i < len; i += strlen(cmdline + i) + 1)
                if (strstr(cmdline + i, qmp))
                        return true;
        return false;
}

int vmm_vm_reattach(struct vmm_vm *vm, vmm_done_cb done, void *userdata)
{
        char path[4096];
        json_auto_t *rt = NULL;
        int r;

        if (bv_json_load_file(vmm_vm_run_path(vm, "runtime.json", path, sizeof(path)), 4096, &rt, NULL) < 0) {
                done(vm, 0, NULL, NULL, userdata); /* never started, or cleanly gone */
                return 0;
        }
        pid_t pid = (pid_t)json_integer_value(json_object_get(rt, "pid"));
        unsigned long long st = (unsigned long long)json_integer_value(json_object_get(rt, "start_time"));
        vm->log_offset = (off_t)json_integer_value(json_object_get(rt, "log_offset"));
        if (!is_our_qemu(vm, pid, st)) {
                /* It died while we were away: stopped if it said nothing, crashed if it complained. */
                read_last_lines(vm);
                remove_runtime_files(vm);
                vm->state = vm->last_error[0] ? VMM_CRASHED : VMM_STOPPED;
                done(vm, 0, NULL, NULL, userdata);
                return 0;
        }
        vm->pid = pid;
        vm->start_time = st;
        r = bv_loop_add_child(vm->host.loop, pid, on_exit_, vm, &vm->child);
        if (r < 0)
                return r;
        vm->op = (struct op){ done, userdata, "reattach" };
        vm->state = VMM_STARTING;
        vm->deadline = bv_now_usec() + 10 * 1000000ULL;
        connect_qmp(vm->host.loop, vm);
        return 0;
}

/* ---- stop, kill, and QMP-driven operations ---------------------------------- */

static void stop_step(struct bv_loop *loop, void *userdata);

static void on_stop_reply(struct qmp_conn *c, int r, json_t *ret, const struct bv_error *err, void *userdata)
{
        /* Nothing to do: the effect is QEMU's exit; the timer escalates if it does not come. */
}

static void stop_step(struct bv_loop *loop, void *userdata)
{
        struct vmm_vm *vm = userdata;

        vm->timer = NULL;
        if (vm->pid <= 0)
                return;
        vm->stop_phase++;
        if (vm->stop_phase == 1 && vm->qmp && vm->state != VMM_PAUSED) {
                qmp_conn_call(vm->qmp, "system_powerdown", NULL, QMP_TIMEOUT_MS, on_stop_reply, vm, NULL, NULL);
                bv_loop_add_timer(loop, vm->def->stop_timeout * 1000000ULL, stop_step, vm, &vm->timer);
                return;
        }
        if (vm->stop_phase <= 2 && vm->qmp) {
                vm->stop_phase = 2;
                qmp_conn_call(vm->qmp, "quit", NULL, QMP_TIMEOUT_MS, on_stop_reply, vm, NULL, NULL);
                bv_loop_add_timer(loop, QUIT_GRACE_USEC, stop_step, vm, &vm->timer);
                return;
        }
        vm->stop_phase = 3;
        kill(vm->pid, SIGKILL);
        bv_loop_add_timer(loop, KILL_GRACE_USEC, stop_step, vm, &vm->timer);
}

static int check_active(struct vmm_vm *vm, struct bv_error *err)
{
        if (vm->state == VMM_STOPPED || vm->state == VMM_CRASHED || vm->pid <= 0)
                return bv_error_set(err, EALREADY, "VM '%s' is not running", vm->def->name);
        return 0;
}

int vmm_vm_stop(struct vmm_vm *vm, vmm_done_cb done, void *userdata, struct bv_error *err)
{
        int r;

        if ((r = check_active(vm, err)) < 0 || (r = vmm_vm_begin(vm, "stop", done, userdata, err)) < 0)
                return r;
        vm->stop_requested = true;
        vm->stop_phase = 0;
        set_state(vm, VMM_STOPPING);
        stop_step(vm->host.loop, vm);
        return 0;
}

int vmm_vm_kill(struct vmm_vm *vm, vmm_done_cb done, void *userdata, struct bv_error *err)
{
        int r;

        if ((r = check_active(vm, err)) < 0)
                return r;
        if (vm->op.done) {
                /* kill overrides a pending stop or start: that operation completes on exit. */
                vm->stop_requested = true;
                kill(vm->pid, SIGKILL);
                done(vm, 0, NULL, NULL, userdata);
                return 0;
        }
        if ((r = vmm_vm_begin(vm, "kill", done, userdata, err)) < 0)
                return r;
        vm->stop_requested = true;
        vm->stop_phase = 3;
        set_state(vm, VMM_STOPPING);
        kill(vm->pid, SIGKILL);
        return 0;
}

struct qmp_op {
        struct vmm_vm *vm;
        vmm_done_cb done;
        void *userdata;
        enum vmm_state then;      /* state to set on success, or -1 */
};

static void on_qmp_op(struct qmp_conn *c, int r, json_t *ret, const struct bv_error *err, void *userdata)
{
        struct qmp_op *op = userdata;

        if (r >= 0 && (int)op->then >= 0)
                set_state(op->vm, op->then);
        op->done(op->vm, r, ret, err, op->userdata);
        free(op);
}

static int qmp_op(struct vmm_vm *vm, const char *command, json_t *args, unsigned timeout_ms, int then,
                  vmm_done_cb done, void *userdata, struct bv_error *err)
{
        if (!vm->qmp || !qmp_conn_is_open(vm->qmp) || (vm->state != VMM_RUNNING && vm->state != VMM_PAUSED))
                return bv_error_set(err, EALREADY, "VM '%s' is %s", vm->def->name, vmm_state_name(vm->state));
        struct qmp_op *op = calloc(1, sizeof(*op));
        if (!op)
                return bv_error_set(err, ENOMEM, "Out of memory");
        *op = (struct qmp_op){ vm, done, userdata, (enum vmm_state)then };
        int r = qmp_conn_call(vm->qmp, command, args, timeout_ms, on_qmp_op, op, NULL, err);
        if (r < 0)
                free(op);
        return r;
}

int vmm_vm_reboot(struct vmm_vm *vm, vmm_done_cb done, void *userdata, struct bv_error *err)
{
        return qmp_op(vm, "system_reset", NULL, QMP_TIMEOUT_MS, -1, done, userdata, err);
}

int vmm_vm_pause(struct vmm_vm *vm, vmm_done_cb done, void *userdata, struct bv_error *err)
{
        return qmp_op(vm, "stop", NULL, QMP_TIMEOUT_MS, VMM_PAUSED, done, userdata, err);
}

int vmm_vm_resume(struct vmm_vm *vm, vmm_done_cb done, void *userdata, struct bv_error *err)
{
        return qmp_op(vm, "cont", NULL, QMP_TIMEOUT_MS, VMM_RUNNING, done, userdata, err);
}

int vmm_vm_qmp(struct vmm_vm *vm, const char *command, json_t *arguments, unsigned timeout_ms,
               vmm_done_cb done, void *userdata, struct bv_error *err)
{
        return qmp_op(vm, command, arguments, timeout_ms ? timeout_ms : QMP_TIMEOUT_MS, -1, done, userdata, err);
}

json_t *vmm_vm_to_json(const struct vmm_vm *vm)
{
        char serial[4096], log[4096], qmp[4096], vnc[4096];
        json_t *errs = json_array();

        for (char *s = (char *)vm->last_error, *nl; *s; s = nl + 1) {
                nl = strchrnul(s, '\n');
                json_array_append_new(errs, bv_json_string_lossy(s, (size_t)(nl - s)));
                if (!*nl)
                        break;
        }
        return json_pack("{s:s,s:s,s:s,s:i,s:o,s:{s:s,s:s},s:s,s:s?,s:o}",
                         "name", vm->def->name, "project", vm->def->project ? vm->def->project : "default",
                         "state", vmm_state_name(vm->state),
                         "pid", (int)vm->pid,
                         "definition", vmm_def_to_json(vm->def),
                         "console", "socket", vmm_vm_run_path(vm, "serial.sock", serial, sizeof(serial)),
                         "log", vmm_vm_state_path(vm, "console.log", log, sizeof(log)),
                         "qmp_socket", vmm_vm_run_path(vm, "qmp.sock", qmp, sizeof(qmp)),
                         "vnc_socket", vm->def->vnc ? vmm_vm_run_path(vm, "vnc.sock", vnc, sizeof(vnc)) : NULL,
                         "last_error", errs);
}
