/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QMP client against a real qemu-system-x86_64 under TCG. Run by
 * tests/integration/qmp.sh, which builds the mkguest guest and passes it
 * in BV_GUEST_KERNEL / BV_GUEST_INITRD. Without a guest the tests that need
 * one (banner, power button) are skipped, and fail under
 * BAREVIRT_TEST_STRICT=1.
 *
 * What a user would check: query-status says running; stop and cont give
 * STOP and RESUME; system_reset gives RESET and the guest prints its banner
 * again; system_powerdown makes the guest power off (SHUTDOWN, QEMU
 * exits); a SIGSTOPped QEMU makes a command time out within its timeout
 * and the connection works again after SIGCONT. Every wait has a timeout;
 * QEMU gets SIGKILL if this program dies (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "qmp/qmp.h"
#include "tests/tap.h"

#define BANNER "BAREVIRT-GUEST-UP"

static char tmpdir[] = "/tmp/bv-qmp-XXXXXX";
static char sock_path[256], serial_path[256], out_path[256];
static pid_t qemu_pid = -1;
static int qemu_status = -1;
static bool have_guest;

struct ev_log {
        char names[256][32];
        unsigned n;
        bool shutdown_guest;
};

static void on_event(struct qmp_conn *c, const struct qmp_event *ev, void *ud)
{
        struct ev_log *log = ud;

        if (log->n < BV_ELEMENTSOF(log->names))
                snprintf(log->names[log->n++], sizeof(log->names[0]), "%s", ev->name);
        if (strcmp(ev->name, "SHUTDOWN") == 0 &&
            json_is_true(json_object_get(ev->data, "guest")))
                log->shutdown_guest = true;
}

static bool closed;
static void on_close(struct qmp_conn *c, int r, const struct bv_error *err, void *ud)
{
        closed = true;
        tap_diag("connection closed: %s", err ? err->msg : "");
}

static unsigned count_event(const struct ev_log *log, const char *name)
{
        unsigned n = 0;

        for (unsigned i = 0; i < log->n; i++)
                if (strcmp(log->names[i], name) == 0)
                        n++;
        return n;
}

/* Runs the loop until `name` has been seen `want` times, for at most timeout_ms. */
static bool wait_event(struct bv_loop *loop, const struct ev_log *log, const char *name,
                       unsigned want, unsigned timeout_ms)
{
        uint64_t end = bv_now_usec() + (uint64_t)timeout_ms * 1000;

        while (count_event(log, name) < want) {
                uint64_t now = bv_now_usec();
                if (now >= end)
                        return false;
                bv_loop_run_once(loop, (int64_t)BV_MIN(end - now, (uint64_t)100000));
        }
        return true;
}

static unsigned count_banner(void)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        unsigned n = 0;

        if (bv_file_read(serial_path, 16 * 1024 * 1024, &buf, &len, NULL) < 0)
                return 0;
        for (const char *p = buf; (p = memmem(p, len - (size_t)(p - buf), BANNER, strlen(BANNER)));
             p += strlen(BANNER))
                n++;
        return n;
}

/* Polls the serial log (running the loop meanwhile, so events are not stuck). */
static bool wait_banner(struct bv_loop *loop, unsigned want, unsigned timeout_s)
{
        uint64_t end = bv_now_usec() + (uint64_t)timeout_s * 1000000;

        while (count_banner() < want) {
                if (bv_now_usec() >= end)
                        return false;
                bv_loop_run_once(loop, 100000);
        }
        return true;
}

static bool qemu_exited(unsigned timeout_ms)
{
        uint64_t end = bv_now_usec() + (uint64_t)timeout_ms * 1000;

        while (bv_now_usec() < end) {
                pid_t r = waitpid(qemu_pid, &qemu_status, WNOHANG);
                if (r == qemu_pid) {
                        qemu_pid = -1;
                        return true;
                }
                usleep(50000);
        }
        return false;
}

static void cleanup(void)
{
        char cmd[512];

        if (qemu_pid > 0) {
                kill(qemu_pid, SIGCONT);
                kill(qemu_pid, SIGKILL);
                waitpid(qemu_pid, NULL, 0);
        }
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", tmpdir);
}

static void start_qemu(const char *kernel, const char *initrd)
{
        char serial_arg[300], qmp_arg[300];
        pid_t pid;

        snprintf(serial_arg, sizeof(serial_arg), "file:%s", serial_path);
        snprintf(qmp_arg, sizeof(qmp_arg), "unix:%s,server=on,wait=off", sock_path);
        pid = fork();
        if (pid < 0)
                return;
        if (pid == 0) {
                int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (fd >= 0) {
                        dup2(fd, 1);
                        dup2(fd, 2);
                }
                int nul = open("/dev/null", O_RDONLY);
                if (nul >= 0)
                        dup2(nul, 0);
                if (kernel)
                        execlp("qemu-system-x86_64", "qemu-system-x86_64", "-accel", "tcg", "-m", "256",
                               "-nodefaults", "-no-user-config", "-display", "none", "-serial",
                               serial_arg, "-qmp", qmp_arg, "-kernel", kernel, "-initrd", initrd,
                               "-append", "console=ttyS0 quiet panic=1", (char *)NULL);
                else
                        execlp("qemu-system-x86_64", "qemu-system-x86_64", "-accel", "tcg", "-m", "64",
                               "-nodefaults", "-no-user-config", "-display", "none", "-serial",
                               serial_arg, "-qmp", qmp_arg, (char *)NULL);
                _exit(127);
        }
        qemu_pid = pid;
}

/* Connects once the socket is there (QEMU creates it during startup). */
static int connect_qmp(struct bv_loop *loop, struct qmp_conn **ret, struct bv_error *err)
{
        uint64_t end = bv_now_usec() + 20000000;
        int r = -ENOENT;

        while (bv_now_usec() < end) {
                r = qmp_conn_connect(loop, sock_path, NULL, ret, err);
                if (r == 0)
                        return 0;
                if (waitpid(qemu_pid, &qemu_status, WNOHANG) == qemu_pid) {
                        qemu_pid = -1;
                        return bv_error_set(err, ECHILD, "QEMU exited (status %d)", qemu_status);
                }
                usleep(50000);
        }
        return r;
}

static void skip_or_fail(const char *what)
{
        if (tap_strict())
                tap_ok(false, "%s (no guest; required under BAREVIRT_TEST_STRICT=1)", what);
        else
                tap_skip("%s: no guest built (tools/mkguest)", what);
}

/* What the steps below share: one QEMU, the connection to it, its events. */
struct session {
        struct bv_loop *loop;
        struct qmp_conn *c;
        struct bv_error err;
        struct ev_log log;
        struct qmp_status st;
};

/* Starts QEMU and connects; the greeting and query-version agree. Ends the test if it cannot. */
static void open_session(struct session *s, const char *kernel, const char *initrd)
{
        int major, minor, micro, r;

        start_qemu(have_guest ? kernel : NULL, initrd);
        if (!tap_ok(qemu_pid > 0, "QEMU started"))
                tap_done();
        bv_loop_new(&s->loop, NULL);
        r = connect_qmp(s->loop, &s->c, &s->err);
        if (!tap_is_int(r, 0, "connected to the QMP socket")) {
                tap_diag("%s", s->err.msg);
                tap_done();
        }
        qmp_conn_set_event_cb(s->c, on_event, &s->log);
        qmp_conn_set_close_cb(s->c, on_close, NULL);
        r = qmp_conn_wait_ready(s->c, 10000, &s->err);
        if (!tap_is_int(r, 0, "greeting and capabilities negotiated")) {
                tap_diag("%s", s->err.msg);
                tap_done();
        }
        qmp_conn_get_version(s->c, &major, &minor, &micro);
        tap_ok(major >= 7, "greeting: QEMU %d.%d.%d (%s)", major, minor, micro, qmp_conn_get_package(s->c));
        tap_ok(qmp_conn_has_capability(s->c, "oob"), "greeting offers 'oob'");
        struct qmp_version ver = { 0 };
        tap_is_int(qmp_version_query(s->c, 5000, &ver, &s->err), 0, "query-version");
        tap_ok(ver.major == major && ver.minor == minor && ver.micro == micro,
               "query-version agrees with the greeting");
}

/* query-status says running (and the guest printed its banner); stop and cont with their events. */
static void check_running_and_pause(struct session *s)
{
        int r = qmp_status_query(s->c, 5000, &s->st, &s->err);

        tap_is_int(r, 0, "query-status");
        tap_ok(s->st.running && strcmp(s->st.status, "running") == 0, "query-status: running (%s)", s->st.status);
        if (have_guest) {
                bool up = wait_banner(s->loop, 1, 180);
                tap_ok(up, "guest printed " BANNER " on the serial console");
        }

        /* stop / cont and their events. */
        tap_is_int(qmp_vm_stop(s->c, 5000, &s->err), 0, "stop");
        tap_ok(wait_event(s->loop, &s->log, "STOP", 1, 5000), "STOP event");
        r = qmp_status_query(s->c, 5000, &s->st, &s->err);
        tap_ok(r == 0 && !s->st.running && strcmp(s->st.status, "paused") == 0, "query-status: paused");
        tap_is_int(qmp_vm_cont(s->c, 5000, &s->err), 0, "cont");
        tap_ok(wait_event(s->loop, &s->log, "RESUME", 1, 5000), "RESUME event");
        r = qmp_status_query(s->c, 5000, &s->st, &s->err);
        tap_ok(r == 0 && s->st.running, "query-status: running again");
}

/* The other typed helpers, against the real thing. */
static void check_helpers(struct session *s)
{
        struct qmp_conn *c = s->c;
        struct bv_error *err = &s->err;
        json_t *blocks = NULL;

        tap_is_int(qmp_block_query(c, 5000, &blocks, err), 0, "query-block");
        json_decref(blocks);
        json_t *node = json_pack("{s:s,s:s,s:I}", "driver", "null-co", "node-name", "bvnull0", "size",
                                 (json_int_t)1048576);
        tap_is_int(qmp_blockdev_add(c, 5000, node, err), 0, "blockdev-add null-co");
        json_decref(node);
        tap_is_int(qmp_blockdev_del(c, 5000, "bvnull0", err), 0, "blockdev-del");
        int r = qmp_blockdev_del(c, 5000, "bvnull0", err);
        tap_is_int(r, -EREMOTEIO, "blockdev-del of a missing node is a QMP error");
        tap_ok(strncmp(err->msg, "GenericError: ", 14) == 0, "... with class and desc: %s", err->msg);
        json_t *dev = json_pack("{s:s,s:s}", "driver", "no-such-device", "id", "x0");
        r = qmp_device_add(c, 5000, dev, err);
        json_decref(dev);
        tap_is_int(r, -EREMOTEIO, "device_add of an unknown driver is a QMP error");
        tap_ok(strstr(err->msg, "no-such-device") != NULL, "... naming it: %s", err->msg);
        r = qmp_device_del(c, 5000, "nope", err);
        tap_ok(r == -EREMOTEIO && strncmp(err->msg, "DeviceNotFound: ", 16) == 0,
               "device_del of a missing device: %s", err->msg);
        _cleanup_free_ char *out = NULL;
        tap_is_int(qmp_hmp_run(c, 5000, "info status", &out, err), 0, "human-monitor-command");
        tap_ok(out && strstr(out, "VM status: running"), "HMP 'info status' says running");
        json_t *raw = NULL;
        tap_is_int(qmp_conn_call_sync(c, "query-commands", NULL, 5000, &raw, err), 0,
                   "raw call: query-commands");
        tap_ok(json_is_array(raw) && json_array_size(raw) > 100, "query-commands lists commands");
        json_decref(raw);
        raw = NULL;
        tap_is_int(qmp_conn_call_sync(c, "query-qmp-schema", NULL, 10000, &raw, err), 0,
                   "raw call: query-qmp-schema (one line of about 200 KB)");
        json_decref(raw);
}

/* system_reset: RESET event, and the guest boots again. */
static void check_reset(struct session *s)
{
        unsigned banners = count_banner();

        tap_is_int(qmp_vm_reset(s->c, 5000, &s->err), 0, "system_reset");
        tap_ok(wait_event(s->loop, &s->log, "RESET", 1, 5000), "RESET event");
        if (have_guest)
                tap_ok(wait_banner(s->loop, banners + 1, 180), "guest printed its banner again after the reset");
        else
                skip_or_fail("banner after reset");
}

/* A raw client that sends a burst of commands and leaves at once (i varies how far QEMU gets); false if it could not. */
static bool leave_in_flight(int i)
{
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        /* Small ids, as a naive client would use: they must never match ours. */
        const char burst[] = "{\"execute\":\"qmp_capabilities\",\"id\":1}\n"
                             "{\"execute\":\"stop\",\"id\":2}\n{\"execute\":\"cont\",\"id\":3}\n"
                             "{\"execute\":\"query-status\",\"id\":4}\n";

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            write(fd, burst, sizeof(burst) - 1) < 0) {
                if (fd >= 0)
                        close(fd);
                return false;
        }
        usleep((useconds_t)(i % 5) * 300); /* vary how far QEMU gets with the old session */
        close(fd);
        return true;
}

/*
 * A client that leaves with commands in flight: the next one can
 * read that session's events and replies before its own greeting.
 * Each reconnect must still handshake and pair its own reply.
 */
static void check_reconnects(struct session *s)
{
        unsigned reconnects = 0, discarded = 0, dropped = 0;

        qmp_conn_free(s->c);
        s->c = NULL;
        for (int i = 0; i < 20; i++) {
                struct qmp_conn *c2 = NULL;
                struct qmp_stats s2;
                if (!leave_in_flight(i))
                        continue;
                if (connect_qmp(s->loop, &c2, &s->err) == 0 && qmp_conn_wait_ready(c2, 10000, &s->err) == 0 &&
                    qmp_status_query(c2, 5000, &s->st, &s->err) == 0) {
                        reconnects++;
                        qmp_conn_get_stats(c2, &s2);
                        discarded += (unsigned)s2.discarded;
                        dropped += (unsigned)s2.dropped;
                } else
                        tap_diag("reconnect %d: %s", i, s->err.msg);
                qmp_conn_free(c2);
        }
        tap_is_int(reconnects, 20, "20 reconnects after clients that left with commands in flight");
        tap_diag("earlier sessions' replies and events discarded before our capabilities reply: %u",
                 discarded);
        tap_is_int(dropped, 0, "... none of them left over to drop as unknown afterwards");
}

/* Connects again for the steps after the reconnects; ends the test if it cannot. */
static void reopen_session(struct session *s)
{
        int r = connect_qmp(s->loop, &s->c, &s->err);

        if (r == 0)
                r = qmp_conn_wait_ready(s->c, 10000, &s->err);
        if (!tap_is_int(r, 0, "connected again")) {
                tap_diag("%s", s->err.msg);
                tap_done();
        }
        qmp_conn_set_event_cb(s->c, on_event, &s->log);
        qmp_conn_set_close_cb(s->c, on_close, NULL);
        r = qmp_status_query(s->c, 5000, &s->st, &s->err);
        if (r == 0 && !s->st.running)
                r = qmp_vm_cont(s->c, 5000, &s->err);
        tap_is_int(r, 0, "guest running after the reconnects");
}

/* A stopped QEMU: the command times out in time, the connection survives. */
static void check_sigstop(struct session *s)
{
        struct qmp_stats before, after;

        qmp_conn_get_stats(s->c, &before);
        kill(qemu_pid, SIGSTOP);
        uint64_t t0 = bv_now_usec();
        int r = qmp_status_query(s->c, 500, &s->st, &s->err);
        uint64_t dt = bv_now_usec() - t0;
        tap_is_int(r, -ETIMEDOUT, "query-status to a SIGSTOPped QEMU times out");
        tap_ok(dt >= 450000 && dt < 1500000, "... within its 500 ms timeout (%llu ms)",
               (unsigned long long)(dt / 1000));
        tap_ok(qmp_conn_is_open(s->c), "connection still open");
        kill(qemu_pid, SIGCONT);
        r = qmp_status_query(s->c, 10000, &s->st, &s->err);
        tap_is_int(r, 0, "query-status works after SIGCONT");
        qmp_conn_get_stats(s->c, &after);
        tap_is_int((long long)(after.late - before.late), 1, "the late reply was dropped");
        tap_is_int((long long)after.dropped, 0, "nothing malformed from QEMU");
}

/* system_powerdown: the guest's acpid powers it off (without a guest, quit). */
static void check_powerdown(struct session *s)
{
        tap_is_int(qmp_vm_powerdown(s->c, 5000, &s->err), 0, "system_powerdown");
        tap_ok(wait_event(s->loop, &s->log, "POWERDOWN", 1, 5000), "POWERDOWN event");
        if (have_guest) {
                tap_ok(wait_event(s->loop, &s->log, "SHUTDOWN", 1, 120000), "SHUTDOWN event");
                tap_ok(s->log.shutdown_guest, "... initiated by the guest");
                uint64_t end = bv_now_usec() + 30000000;
                while (!closed && bv_now_usec() < end)
                        bv_loop_run_once(s->loop, 100000);
                tap_ok(closed && !qmp_conn_is_open(s->c), "connection closed when QEMU exited");
                tap_ok(qemu_exited(30000), "QEMU exited");
                tap_ok(WIFEXITED(qemu_status) && WEXITSTATUS(qemu_status) == 0, "... with status 0");
        } else {
                skip_or_fail("SHUTDOWN after system_powerdown");
                tap_is_int(qmp_vm_quit(s->c, 5000, &s->err), 0, "quit");
                tap_ok(qemu_exited(30000), "QEMU exited after quit");
        }
}

int main(void)
{
        const char *kernel = getenv("BV_GUEST_KERNEL");
        const char *initrd = getenv("BV_GUEST_INITRD");
        struct session s = { 0 };

        if (system("command -v qemu-system-x86_64 >/dev/null 2>&1") != 0)
                tap_skip_all("qemu-system-x86_64 not installed");
        if (!mkdtemp(tmpdir))
                tap_skip_all("cannot create a temporary directory");
        atexit(cleanup);
        snprintf(sock_path, sizeof(sock_path), "%s/qmp.sock", tmpdir);
        snprintf(serial_path, sizeof(serial_path), "%s/serial.log", tmpdir);
        snprintf(out_path, sizeof(out_path), "%s/qemu.out", tmpdir);
        have_guest = kernel && initrd && *kernel && *initrd && access(kernel, R_OK) == 0 &&
                     access(initrd, R_OK) == 0;
        if (!have_guest)
                tap_diag("no guest: testing QEMU sitting in SeaBIOS");

        open_session(&s, kernel, initrd);
        check_running_and_pause(&s);
        check_helpers(&s);
        check_reset(&s);
        check_reconnects(&s);
        reopen_session(&s);
        check_sigstop(&s);
        check_powerdown(&s);
        qmp_conn_free(s.c);
        bv_loop_free(s.loop);
        tap_done();
}
