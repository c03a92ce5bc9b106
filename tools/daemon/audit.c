/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The audit log, STATE/audit.log (rotated to audit.log.1 at 8 MiB): one
 * JSON line for every request that changes something (any method but GET
 * and HEAD) and for every one refused (a 4xx: 401, 403, 404, and the HTTP
 * server's own 400, 408, 413, 431), whoever sent it and however it was
 * answered:
 *
 *   {"time": "2026-12-03T15:04:05.123Z", "identity": "token:ci", "auth": "token",
 *    "fingerprint": null, "source": "192.0.2.7:50122", "method": "POST",
 *    "path": "/v1/vms/web1/start", "instance": "web1", "status": 200}
 *
 * identity is "uid:N" on the UNIX socket, "token:NAME" or
 * "certificate:NAME" over --listen, "none" when a remote request did not
 * authenticate. A request that may be logged gets a note when it arrives
 * (audit_request(); not a GET on the socket, the hot path); auth.c adds
 * who it is; the HTTP server hands the note back with the answer's status
 * (audit_on_response()), and the line is written then, with the time of
 * the answer, so an answer sent later (a VM start) is logged with its
 * real status. Connections barevirt-proxy refused before any HTTP (a
 * failed or timed-out handshake, a connection limit) are lines of method
 * "TLS", status null and "refused": the reason (audit_refused()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "tools/daemon/daemon.h"

#define AUDIT_MAX_BYTES (8u << 20)

struct audit_note {
        char time[32];
        char method[16];
        char path[512];
        char identity[160];
        char auth[16];
        char fingerprint[72];
        char source[72];
};

int audit_open(struct barevirtd *d, struct bv_error *err)
{
        int n = snprintf(d->audit_path, sizeof(d->audit_path), "%s/audit.log", d->state_dir);
        int m = snprintf(d->audit_old, sizeof(d->audit_old), "%s/audit.log.1", d->state_dir);

        if (n < 0 || m < 0 || (size_t)m >= sizeof(d->audit_old))
                return bv_error_set(err, ENAMETOOLONG, "State dir path too long");
        return bv_log_writer_open(&d->audit, d->audit_path, d->audit_old, AUDIT_MAX_BYTES, err);
}

void audit_close(struct barevirtd *d)
{
        bv_log_writer_close(&d->audit);
}

static void note_request(struct bv_http_conn *c, const struct bv_http_request *req)
{
        struct audit_note *n = calloc(1, sizeof(*n));

        if (!n)
                return;
        snprintf(n->method, sizeof(n->method), "%s", req->method);
        snprintf(n->path, sizeof(n->path), "%s", req->path);
        if (req->peer_data) {
                /* Remote: auth.c says who it is once it knows (audit_identity()). */
                snprintf(n->identity, sizeof(n->identity), "none");
                snprintf(n->auth, sizeof(n->auth), "none");
        } else {
                snprintf(n->identity, sizeof(n->identity), "uid:%u", (unsigned)req->peer_uid);
                snprintf(n->auth, sizeof(n->auth), "socket");
                snprintf(n->source, sizeof(n->source), "unix");
        }
        bv_http_conn_set_note(c, n, free);
}

void audit_request(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req)
{
        /* A read on the socket is never logged (it is neither a change nor refused): no note, no cost. */
        bool read_only = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;

        (void)d;
        if (!read_only || req->peer_data)
                note_request(c, req);
}

void audit_on_reject(struct bv_http_conn *c, const struct bv_http_request *req, void *userdata)
{
        const struct auth_peer *p = req->peer_data;

        (void)userdata;
        note_request(c, req);
        if (p)
                audit_identity(c, p->addr, NULL, NULL, p->fingerprint);
}

void audit_identity(struct bv_http_conn *c, const char *source, const char *kind, const char *name,
                    const char *fingerprint)
{
        struct audit_note *n = bv_http_conn_note(c);

        if (!n)
                return;
        if (source)
                snprintf(n->source, sizeof(n->source), "%s", source);
        if (kind && name) {
                snprintf(n->identity, sizeof(n->identity), "%s:%s", kind, name);
                snprintf(n->auth, sizeof(n->auth), "%s", kind);
        }
        if (fingerprint && *fingerprint)
                snprintf(n->fingerprint, sizeof(n->fingerprint), "%s", fingerprint);
}

/* The instance a path names: /v1/vms/NAME..., containers, networks; /v1/engines/E/containers/NAME is "E:NAME". */
static json_t *instance_of(const char *path)
{
        static const char *const colls[] = { "vms", "containers", "networks", "instances" };
        char seg[5][160] = { { 0 } };
        int k = 0;

        for (const char *p = path; *p == '/' && k < 5; k++) {
                size_t l = strcspn(p + 1, "/");
                snprintf(seg[k], sizeof(seg[k]), "%.*s", (int)l, p + 1);
                p += l + 1;
        }
        if (strcmp(seg[0], "v1") != 0 || !seg[2][0])
                return json_null();
        for (size_t i = 0; i < BV_ELEMENTSOF(colls); i++)
                if (strcmp(seg[1], colls[i]) == 0)
                        return json_string(seg[2]);
        if (strcmp(seg[1], "engines") == 0 && strcmp(seg[3], "containers") == 0 && seg[4][0])
                return json_sprintf("%s:%s", seg[2], seg[4]);
        return json_null();
}

static void write_line(struct barevirtd *d, json_t *j)
{
        _cleanup_free_ char *line = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (!line)
                return;
        size_t len = strlen(line);
        line[len] = '\n';
        if (bv_log_writer_append(&d->audit, line, len + 1) < 0)
                bv_warn("audit log: failed to write '%s'", d->audit_path);
}

void audit_on_response(struct bv_http_conn *c, int status, void *note, void *userdata)
{
        struct barevirtd *d = userdata;
        struct audit_note *n = note;
        (void)c;

        /* Reads are logged when refused (401, 403, and 404: for a restricted identity that is a refusal too). */
        bool read_only = strcmp(n->method, "GET") == 0 || strcmp(n->method, "HEAD") == 0;
        if (read_only && status < 400)
                return;
        bv_now_iso(n->time, sizeof(n->time));
        json_auto_t *j = json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:s,s:s,s:o,s:i}", "time", n->time, "identity",
                                   n->identity, "auth", n->auth, "fingerprint",
                                   n->fingerprint[0] ? n->fingerprint : NULL, "source",
                                   n->source[0] ? n->source : NULL, "method", n->method, "path", n->path,
                                   "instance", instance_of(n->path), "status", status);
        write_line(d, j);
}

void audit_refused(struct barevirtd *d, const char *source, const char *reason, unsigned suppressed)
{
        char now[32];

        bv_now_iso(now, sizeof(now));
        json_auto_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:n,s:n,s:s}", "time", now, "identity", "none", "auth",
                                   "none", "source", source, "method", "TLS", "path", "", "instance", "status",
                                   "refused", reason);
        if (j && suppressed)
                json_object_set_new(j, "suppressed", json_integer(suppressed));
        write_line(d, j);
}

/*
 * "2026-12-03T15:00:00Z", a prefix of it ("2026-12-03"), or a duration
 * back from now ("90s", "30m", "2h", "7d"), as the ISO time to compare
 * the lines' times with. -EINVAL when it is neither.
 */
int audit_since(const char *s, char *buf, size_t len)
{
        char *end;
        unsigned long long v = strtoull(s, &end, 10);

        if (end != s && end[0] && !end[1] && strchr("smhd", end[0])) {
                unsigned long long mult = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : 86400;
                if (v > 36500ULL * 86400 / mult)
                        return -EINVAL;
                time_t t = time(NULL) - (time_t)(v * mult);
                struct tm tm;
                gmtime_r(&t, &tm);
                strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
                return 0;
        }
        size_t l = strlen(s);
        if (l < 4 || l >= len || strspn(s, "0123456789-T:.Z") != l || s[0] < '0' || s[0] > '9')
                return -EINVAL;
        memcpy(buf, s, l + 1);
        return 0;
}

int audit_read(struct barevirtd *d, const char *since, const char *identity, json_t **ret, struct bv_error *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        json_t *a = json_array();

        if (!a)
                return -ENOMEM;
        /* Missing files read as empty: nothing audited yet. */
        if (bv_log_read(d->state_dir, "audit.log", "audit.log.1", -1, &text, &len) < 0)
                return bv_error_set(err, ENOMEM, "Out of memory");
        for (char *save = NULL, *line = len ? strtok_r(text, "\n", &save) : NULL; line;
             line = strtok_r(NULL, "\n", &save)) {
                json_t *e = json_loads(line, 0, NULL);
                const char *t = json_string_value(json_object_get(e, "time"));
                const char *who = json_string_value(json_object_get(e, "identity"));
                const char *colon = who ? strchr(who, ':') : NULL;
                bool keep = e && t && (!since || strcmp(t, since) >= 0) &&
                            (!identity || (who && (strcmp(who, identity) == 0 || (colon && strcmp(colon + 1, identity) == 0))));
                if (!keep) {
                        json_decref(e);
                        continue;
                }
                if (json_array_append_new(a, e) < 0) {
                        json_decref(a);
                        return bv_error_set(err, ENOMEM, "Out of memory");
                }
        }
        *ret = a;
        return 0;
}
