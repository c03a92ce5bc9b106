/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Engine calls beyond the basic lifecycle: create (barevirt's own create
 * object turned into the Engine API's, checked strictly), restart, pause,
 * unpause, wait, exec (create, start with output attached, inspect for the
 * exit code), one-shot stats, and images (list, load a tarball, remove).
 * Calls that may take long (wait, exec, restart) run on a connection of
 * their own, so they never hold up the engine's shared one. Replies are
 * untrusted and read by type; what the engines disagree on (Podman's exec
 * inspect may still say Running for a moment after the output ended) is
 * handled here and pinned by tests.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"
#include "ctr/ctr.h"

#define DEFAULT_TIMEOUT_USEC (10ULL * 1000000)
#define WAIT_TIMEOUT_USEC (3600ULL * 1000000)
/* A create may unpack an image layer first: seconds on a loaded host. */
#define CREATE_TIMEOUT_USEC (60ULL * 1000000)
#define EXEC_MAX_BODY (4 * 1024 * 1024)
#define IMAGES_MAX_BODY (16 * 1024 * 1024)
#define SPEC_MAX_ITEMS 256
#define EXEC_INSPECT_TRIES 50

bool ctr_engine_image_valid(const char *image)
{
        size_t n = image ? strlen(image) : 0;

        if (n == 0 || n > 255 || strstr(image, ".."))
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = image[i];
                bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
                if (!alnum && (i == 0 || !strchr("._/:@-", ch)))
                        return false;
        }
        return true;
}

/* ---- create ------------------------------------------------------------------- */

/* An array of at most SPEC_MAX_ITEMS strings, copied; NULL v gives NULL. */
static int string_array(const json_t *v, const char *key, json_t **ret, struct bv_error *err)
{
        json_t *x;
        size_t i;

        *ret = NULL;
        if (!v)
                return 0;
        if (!json_is_array(v) || json_array_size(v) > SPEC_MAX_ITEMS)
                return bv_error_set(err, EINVAL, "'%s' must be an array of at most %d strings", key, SPEC_MAX_ITEMS);
        json_array_foreach(v, i, x)
                if (!json_is_string(x) || json_string_length(x) > 4096)
                        return bv_error_set(err, EINVAL, "'%s[%zu]' must be a string of at most 4096 bytes", key, i);
        *ret = json_deep_copy(v);
        return *ret ? 0 : bv_error_set(err, ENOMEM, "Out of memory");
}

static int restart_policy(const char *s, json_t **ret, struct bv_error *err)
{
        static const char *const names[] = { "no", "always", "unless-stopped", "on-failure" };
        char name[32];
        unsigned retries = 0;
        const char *colon = strchr(s, ':');
        size_t n = colon ? (size_t)(colon - s) : strlen(s);

        if (n >= sizeof(name))
                return bv_error_set(err, EINVAL, "Invalid restart policy '%.32s'", s);
        memcpy(name, s, n);
        name[n] = '\0';
        bool known = false;
        for (size_t i = 0; i < BV_ELEMENTSOF(names); i++)
                known |= strcmp(name, names[i]) == 0;
        char extra;
        if (!known || (colon && (strcmp(name, "on-failure") != 0 || sscanf(colon + 1, "%u%c", &retries, &extra) != 1 ||
                                 retries > 1000)))
                return bv_error_set(err, EINVAL,
                                    "Invalid restart policy '%.32s' (no, always, unless-stopped, on-failure[:N])", s);
        *ret = json_pack("{s:s, s:i}", "Name", name, "MaximumRetryCount", (int)retries);
        return *ret ? 0 : bv_error_set(err, ENOMEM, "Out of memory");
}

/* labels: an object of strings, copied into body's Labels. */
static int create_labels(json_t *labels, json_t *body, struct bv_error *err)
{
        const char *k;
        json_t *x;

        if (!json_is_object(labels) || json_object_size(labels) > SPEC_MAX_ITEMS)
                return bv_error_set(err, EINVAL, "'labels' must be an object of strings");
        json_object_foreach(labels, k, x)
                if (!json_is_string(x))
                        return bv_error_set(err, EINVAL, "'labels.%.64s' must be a string", k);
        json_object_set_new(body, "Labels", json_deep_copy(labels));
        return 0;
}

/* mounts: bind mounts with absolute paths into host's Mounts. */
static int create_mounts(json_t *mounts, json_t *host, struct bv_error *err)
{
        json_error_t jerr;
        json_t *m = json_array(), *x;
        size_t i;

        if (!json_is_array(mounts) || json_array_size(mounts) > SPEC_MAX_ITEMS || !m) {
                json_decref(m);
                return bv_error_set(err, EINVAL, "'mounts' must be an array of objects");
        }
        json_object_set_new(host, "Mounts", m);
        json_array_foreach(mounts, i, x) {
                const char *src = NULL, *dst = NULL;
                int ro = 0;
                if (json_unpack_ex(x, &jerr, JSON_STRICT, "{s:s, s:s, s?b}", "source", &src, "target", &dst,
                                   "readonly", &ro) < 0)
                        return bv_error_set(err, EINVAL, "Invalid 'mounts[%zu]': %s", i, jerr.text);
                if (src[0] != '/' || dst[0] != '/')
                        return bv_error_set(err, EINVAL, "'mounts[%zu]' needs absolute paths", i);
                json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:b}", "Type", "bind", "Source", src,
                                                   "Target", dst, "ReadOnly", ro));
        }
        return 0;
}

/*
 * ports[i], Docker's -p: "[IP:][HOSTPORT:]PORT[/tcp|udp]" (IPv6 in brackets;
 * an empty or missing HOSTPORT lets the engine choose), into ExposedPorts and
 * PortBindings. Ranges are not taken.
 */
static int create_port(const char *spec, size_t i, json_t *exposed, json_t *bindings, struct bv_error *err)
{
        char buf[128], key[16], hp_text[8] = "";
        const char *proto = "tcp", *ip = "", *hp = "", *port_text = buf;
        unsigned port, host_port = 0;
        unsigned char addr[16];

        if (strlen(spec) >= sizeof(buf))
                return bv_error_set(err, EINVAL, "'ports[%zu]' is too long", i);
        snprintf(buf, sizeof(buf), "%s", spec);
        char *p = strchr(buf, '/');
        if (p) {
                *p = '\0';
                proto = p + 1;
                if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
                        return bv_error_set(err, EINVAL, "'ports[%zu]': protocol '%.16s' is not tcp or udp", i, proto);
        }
        p = buf;
        if (*p == '[') { /* [IPv6]:HOSTPORT:PORT */
                char *end = strchr(p, ']');
                if (!end || end[1] != ':')
                        goto bad;
                *end = '\0';
                ip = p + 1;
                p = end + 2;
        }
        char *c1 = strchr(p, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 && (strchr(c2 + 1, ':') || *ip))
                goto bad;
        if (c2) { /* IPv4:HOSTPORT:PORT */
                *c1 = *c2 = '\0';
                ip = p, hp = c1 + 1, port_text = c2 + 1;
        } else if (c1) { /* HOSTPORT:PORT */
                *c1 = '\0';
                hp = p, port_text = c1 + 1;
        } else if (*ip)
                goto bad;
        else
                port_text = p;
        if (bv_parse_uint(port_text, 1, 65535, &port) < 0 || (*hp && bv_parse_uint(hp, 1, 65535, &host_port) < 0))
                goto bad;
        if (*ip && inet_pton(AF_INET, ip, addr) != 1 && inet_pton(AF_INET6, ip, addr) != 1)
                return bv_error_set(err, EINVAL, "'ports[%zu]': '%.64s' is not an IP address", i, ip);

        snprintf(key, sizeof(key), "%u/%s", port, proto);
        json_object_set_new(exposed, key, json_object());
        json_t *list = json_object_get(bindings, key);
        if (!list) {
                list = json_array();
                json_object_set_new(bindings, key, list);
        }
        if (host_port)
                snprintf(hp_text, sizeof(hp_text), "%u", host_port);
        json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", ip, "HostPort", hp_text));
        return 0;
bad:
        return bv_error_set(err, EINVAL, "'ports[%zu]': '%.64s' is not [IP:][HOSTPORT:]PORT[/tcp|udp] with ports "
                            "1-65535 (IPv6 in brackets)", i, spec);
}

static int create_ports(json_t *ports, json_t *body, json_t *host, struct bv_error *err)
{
        json_t *exposed = json_object(), *bindings = json_object(), *x;
        size_t i;
        int r;

        json_object_set_new(body, "ExposedPorts", exposed);
        json_object_set_new(host, "PortBindings", bindings);
        if (!json_is_array(ports) || json_array_size(ports) > SPEC_MAX_ITEMS)
                return bv_error_set(err, EINVAL, "'ports' must be an array of strings");
        json_array_foreach(ports, i, x) {
                if (!json_is_string(x))
                        return bv_error_set(err, EINVAL, "'ports[%zu]' must be a string", i);
                if ((r = create_port(json_string_value(x), i, exposed, bindings, err)) < 0)
                        return r;
        }
        return 0;
}

/* network, restart, memory and cpus into host. */
static int create_host(const char *network, const char *restart, json_t *memory, json_t *cpus, json_t *host,
                       struct bv_error *err)
{
        int r;

        if (network)
                json_object_set_new(host, "NetworkMode", json_string(network));
        if (restart) {
                json_t *p;
                if ((r = restart_policy(restart, &p, err)) < 0)
                        return r;
                json_object_set_new(host, "RestartPolicy", p);
        }
        if (memory) {
                if (!json_is_integer(memory) || json_integer_value(memory) < 6 * 1024 * 1024)
                        return bv_error_set(err, EINVAL, "'memory' must be a number of bytes, at least 6 MiB");
                json_object_set_new(host, "Memory", json_integer(json_integer_value(memory)));
        }
        if (cpus) {
                double c = json_number_value(cpus);
                if (!json_is_number(cpus) || !(c >= 0.01 && c <= 1024))
                        return bv_error_set(err, EINVAL, "'cpus' must be a number from 0.01 to 1024");
                json_object_set_new(host, "NanoCpus", json_integer((json_int_t)(c * 1e9 + 0.5)));
        }
        return 0;
}

/* cmd, entrypoint, env and binds (string arrays) into body or host; env and binds checked. */
static int create_arrays(json_t *cmd, json_t *entrypoint, json_t *env, json_t *binds, json_t *body, json_t *host,
                         struct bv_error *err)
{
        static const struct { const char *key, *engine_key; bool host; } arrays[] = {
                { "cmd", "Cmd", false }, { "entrypoint", "Entrypoint", false }, { "env", "Env", false },
                { "binds", "Binds", true },
        };
        json_t *vals[] = { cmd, entrypoint, env, binds }, *x;
        size_t i;
        int r;

        for (i = 0; i < BV_ELEMENTSOF(arrays); i++) {
                json_t *a;
                if ((r = string_array(vals[i], arrays[i].key, &a, err)) < 0)
                        return r;
                if (a)
                        json_object_set_new(arrays[i].host ? host : body, arrays[i].engine_key, a);
        }
        json_array_foreach(env, i, x)
                if (!strchr(json_string_value(x), '=') || json_string_value(x)[0] == '=')
                        return bv_error_set(err, EINVAL, "'env[%zu]' must be NAME=VALUE", i);
        json_array_foreach(binds, i, x)
                if (!strchr(json_string_value(x), ':'))
                        return bv_error_set(err, EINVAL, "'binds[%zu]' must be SOURCE:TARGET[:OPTIONS]", i);
        return 0;
}

int ctr_engine_create_body(const json_t *spec, json_t **ret_body, char *ret_name, size_t name_len,
                           struct bv_error *err)
{
        const char *image = NULL, *name = NULL, *workdir = NULL, *user = NULL, *network = NULL, *restart = NULL;
        json_t *cmd = NULL, *entrypoint = NULL, *env = NULL, *labels = NULL, *binds = NULL, *mounts = NULL;
        json_t *memory = NULL, *cpus = NULL, *ports = NULL;
        const char *hostname = NULL;
        int tty = 0, auto_remove = 0, interactive = 0, stdin_once = 0;
        json_error_t jerr;
        int r;

        if (!json_is_object(spec))
                return bv_error_set(err, EINVAL, "A container needs a JSON object");
        if (json_unpack_ex((json_t *)spec, &jerr, JSON_STRICT,
                           "{s:s, s?s, s?o, s?o, s?o, s?s, s?s, s?o, s?o, s?o, s?s, s?s, s?o, s?o, s?b, s?s, s?s, "
                           "s?o, s?b, s?b, s?b}",
                           "image", &image, "name", &name, "cmd", &cmd, "entrypoint", &entrypoint, "env", &env,
                           "workdir", &workdir, "user", &user, "labels", &labels, "binds", &binds, "mounts",
                           &mounts, "network", &network, "restart", &restart, "memory", &memory, "cpus", &cpus,
                           "tty", &tty, "engine", &(const char *){ NULL }, "hostname", &hostname, "ports", &ports,
                           "auto_remove", &auto_remove, "interactive", &interactive, "stdin_once", &stdin_once) < 0)
                return bv_error_set(err, EINVAL, "Invalid container: %s", jerr.text);
        if (!ctr_engine_image_valid(image))
                return bv_error_set(err, EINVAL, "Invalid image '%.64s'", image);
        if (name && !ctr_engine_name_valid(name))
                return bv_error_set(err, EINVAL, "Invalid container name '%.64s'", name);
        if (workdir && (workdir[0] != '/' || strlen(workdir) > 4096))
                return bv_error_set(err, EINVAL, "'workdir' must be an absolute path");
        if (user && strlen(user) > 256)
                return bv_error_set(err, EINVAL, "'user' is too long");
        if (network && !ctr_engine_name_valid(network))
                return bv_error_set(err, EINVAL, "Invalid network '%.64s'", network);
        if (hostname && !bv_hostname_is_valid(hostname))
                return bv_error_set(err, EINVAL, "Invalid hostname '%.64s' (1-63 of A-Z, a-z, 0-9, '.', '-')",
                                    hostname);

        json_auto_t *body = json_pack("{s:s, s:b, s:b, s:b}", "Image", image, "Tty", tty, "AttachStdout", 1,
                                      "AttachStderr", 1);
        json_auto_t *host = json_object();
        if (!body || !host)
                return bv_error_set(err, ENOMEM, "Out of memory");
        if ((r = create_arrays(cmd, entrypoint, env, binds, body, host, err)) < 0)
                return r;
        if (workdir)
                json_object_set_new(body, "WorkingDir", json_string(workdir));
        if (user)
                json_object_set_new(body, "User", json_string(user));
        if (hostname)
                json_object_set_new(body, "Hostname", json_string(hostname));
        if (auto_remove)
                json_object_set_new(host, "AutoRemove", json_true());
        if (interactive || stdin_once)
                json_object_set_new(body, "OpenStdin", json_true());
        if (stdin_once) {   /* an attached client's stdin: its EOF ends the container's */
                json_object_set_new(body, "StdinOnce", json_true());
                json_object_set_new(body, "AttachStdin", json_true());
        }
        if ((labels && (r = create_labels(labels, body, err)) < 0) ||
            (ports && (r = create_ports(ports, body, host, err)) < 0) ||
            (mounts && (r = create_mounts(mounts, host, err)) < 0) ||
            (r = create_host(network, restart, memory, cpus, host, err)) < 0)
                return r;
        json_object_set(body, "HostConfig", host);
        snprintf(ret_name, name_len, "%s", name ? name : "");
        *ret_body = TAKE_PTR(body);
        return 0;
}

/* The checked "Id" of a create reply (a container's or an exec's), which *v holds. */
static int finish_id(struct engine_op *op, const struct bv_http_response *resp, json_t **v, const char *what,
                     const char **ret_id, struct bv_error *err)
{
        int r = ctr_engine_finish_json_object(op, resp, v, err);

        if (r < 0)
                return r;
        const char *id = json_string_value(json_object_get(*v, "Id"));
        if (!id || !ctr_engine_name_valid(id))
                return bv_error_set(err, EPROTO, "%s sent no valid Id for the created %s", op->e->b->title, what);
        *ret_id = id;
        return 0;
}

static int finish_create(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                         struct bv_error *err)
{
        json_auto_t *v = NULL;
        const char *id;
        int r = finish_id(op, resp, &v, "container", &id, err);

        if (r < 0)
                return r;
        json_t *w = json_object_get(v, "Warnings");
        *ret = json_pack("{s:s, s:s, s:o}", "id", id, "name", op->id[0] ? op->id : id, "warnings",
                         json_is_array(w) ? json_deep_copy(w) : json_array());
        return *ret ? 0 : bv_error_set(err, ENOMEM, "Out of memory");
}

int ctr_engine_create(struct ctr_engine *e, const json_t *spec, const struct ctr_engine_opts *o,
                      ctr_engine_done_cb done, void *userdata, struct bv_error *err)
{
        json_auto_t *body = NULL;
        char name[160];
        int r = ctr_engine_create_body(spec, &body, name, sizeof(name), err);

        if (r < 0)
                return r;
        _cleanup_free_ char *s = json_dumps(body, JSON_COMPACT);
        struct engine_op *op = s ? ctr_engine_op_new(e, o, done, userdata) : NULL;
        if (!op)
                return bv_error_set(err, ENOMEM, "Out of memory");
        op->method = "POST";
        op->finish = finish_create;
        op->max_body = 64 * 1024;
        if (!(o && o->timeout_usec))
                op->timeout_usec = CREATE_TIMEOUT_USEC;
        snprintf(op->id, sizeof(op->id), "%s", name);
        snprintf(op->path, sizeof(op->path), "/containers/create%s%s", *name ? "?name=" : "", name);
        if ((r = ctr_engine_op_set_body(op, "application/json", s, strlen(s), err)) < 0) {
                ctr_engine_op_free(op);
                return r;
        }
        return ctr_engine_op_start(op, err);
}

/* ---- restart, pause, unpause -------------------------------------------------- */

int ctr_engine_restart(struct ctr_engine *e, const char *id, int grace_sec, const struct ctr_engine_opts *o,
                       ctr_engine_done_cb done, void *userdata, struct bv_error *err)
{
        return ctr_engine_grace_call(e, id, "restart", grace_sec, o, done, userdata, err);
}

int ctr_engine_pause(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                     ctr_engine_done_cb done, void *userdata, struct bv_error *err)
{
        return ctr_engine_id_call(e, id, "POST", "/pause", ctr_engine_finish_none, o, done, userdata, err);
}

int ctr_engine_unpause(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                       ctr_engine_done_cb done, void *userdata, struct bv_error *err)
{
        return ctr_engine_id_call(e, id, "POST", "/unpause", ctr_engine_finish_none, o, done, userdata, err);
}

/* ---- wait -------------------------------------------------------------------------- */

static int finish_wait(struct engine_op *op, const struct bv_http_response *resp, json_t **ret, struct bv_error *err)
{
        json_auto_t *v = NULL;
        int r = ctr_engine_finish_json_object(op, resp, &v, err);

        if (r < 0)
                return r;
        const json_t *code = json_object_get(v, "StatusCode");
        const char *msg = json_string_value(json_object_get(json_object_get(v, "Error"), "Message"));
        if (!json_is_integer(code))
                return bv_error_set(err, EPROTO, "%s sent no StatusCode for wait", op->e->b->title);
        if (msg && *msg)
                return bv_error_set(err, EIO, "%s: waiting for '%s' failed: %.120s", op->e->b->title, op->id, msg);
        *ret = json_pack("{s:I}", "exit_code", json_integer_value(code));
        return *ret ? 0 : bv_error_set(err, ENOMEM, "Out of memory");
}

int ctr_engine_wait(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                    ctr_engine_done_cb done, void *userdata, struct bv_error *err)
{
        struct engine_op *op;
        int r = ctr_engine_id_op(e, id, "POST", "/wait?condition=not-running", finish_wait, o, done, userdata, err,
                                 &op);

        if (r < 0)
                return r;
        if (!(o && o->timeout_usec))
                op->timeout_usec = WAIT_TIMEOUT_USEC;
        if ((r = ctr_engine_op_own_client(op, err)) < 0) {
                ctr_engine_op_free(op);
                return r;
        }
        return ctr_engine_op_start(op, err);
}

/* ---- exec ------------------------------------------------------------------------------- */

static int finish_exec_inspect(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                               struct bv_error *err);

static void on_exec_retry(struct bv_loop *loop, void *userdata)
{
        struct engine_op *op = userdata;
        struct bv_error err = {};

        (void)loop;
        op->timer = NULL;
        int r = ctr_engine_op_send(op, &err);
        if (r < 0)
                ctr_engine_op_finish(op, r, NULL, &err);
}

static int finish_exec_inspect(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                               struct bv_error *err)
{
        json_auto_t *v = NULL;
        int r = ctr_engine_finish_json_object(op, resp, &v, err);

        if (r < 0)
                return r;
        const json_t *code = json_object_get(v, "ExitCode");
        /* Podman: the output can end before the exec session is reaped; ask again shortly. */
        if (json_is_true(json_object_get(v, "Running")) || !json_is_integer(code)) {
                if (++op->tries > EXEC_INSPECT_TRIES)
                        return bv_error_set(err, ETIMEDOUT, "%s: exec in '%s' did not report its exit code",
                                            op->e->b->title, op->id);
                *ret = NULL;
                r = bv_loop_add_timer(op->e->loop, 20000ULL * (uint64_t)op->tries, on_exec_retry, op, &op->timer);
                return r < 0 ? bv_error_set(err, -r, "Cannot arm a timer") : 1;
        }
        json_int_t ec = json_integer_value(code);
        /*
         * 126 or 127 with "OCI runtime" in the output: the runtime could not
         * start the command (a command's own 127 has no such text). The
         * runtime's words decide which (Docker answers 126 for a missing file
         * with runc): 127 not there, 126 not executable, and the same one
         * line as for barevirt's own containers; the engine's text stays in
         * the output.
         */
        const char *out = json_string_value(json_object_get(op->acc, "output"));
        bool failed = (ec == 126 || ec == 127) && out &&
                      (strstr(out, "OCI runtime") || strstr(out, "OCI permission denied") ||
                       strstr(out, "unable to start container process"));
        if (failed)
                ec = strstr(out, "permission denied") && !strstr(out, "no such file") ? 126 : 127;
        if (json_object_set_new(op->acc, "exit_code", json_integer(ec)) < 0)
                return bv_error_set(err, ENOMEM, "Out of memory");
        if (failed) {
                char msg[320];
                snprintf(msg, sizeof(msg), "'%s': %s in container '%s'", op->exec_cmd,
                         ec == 127 ? "no such file" : "permission denied", op->id);
                json_object_set_new(op->acc, "error", json_string(msg));
                json_object_set_new(op->acc, "reason", json_string(ec == 127 ? "not-found" : "not-executable"));
        }
        *ret = json_incref(op->acc);
        return 0;
}

/* The exec's output (raw with a tty, else multiplexed) into op->acc. */
static int exec_output(struct engine_op *op, const struct bv_http_response *resp, struct bv_error *err)
{
        const char *body = resp->body ? resp->body : "";
        int r;

        json_decref(op->acc);
        op->acc = NULL;
        if (op->tty)
                op->acc = json_pack("{s:b, s:o, s:o, s:s}", "tty", 1, "output",
                                    bv_json_string_lossy(body, resp->body_len), "stdout",
                                    bv_json_string_lossy(body, resp->body_len), "stderr", "");
        else {
                struct ctr_engine_demux d = {};
                if ((r = ctr_engine_demux(body, resp->body_len, &d, err)) < 0) {
                        ctr_engine_demux_clear(&d);
                        return bv_error_prefix(err, "%s sent a malformed exec stream", op->e->b->title);
                }
                op->acc = json_pack("{s:b, s:o, s:o, s:o}", "tty", 0, "output", bv_json_string_lossy(d.out, d.out_len),
                                    "stdout", bv_json_string_lossy(d.stdout_, d.stdout_len), "stderr",
                                    bv_json_string_lossy(d.stderr_, d.stderr_len));
                ctr_engine_demux_clear(&d);
        }
        return op->acc ? 0 : bv_error_set(err, ENOMEM, "Out of memory");
}

static int finish_exec_output(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                              struct bv_error *err)
{
        int r = exec_output(op, resp, err);

        *ret = r < 0 ? NULL : json_incref(op->acc);
        return r;
}

static int finish_exec_start(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                             struct bv_error *err)
{
        int r = exec_output(op, resp, err);

        if (r < 0)
                return r;
        *ret = NULL;
        free(op->body);
        op->body = NULL;
        op->method = "GET";
        op->finish = finish_exec_inspect;
        op->max_body = 64 * 1024;
        snprintf(op->path, sizeof(op->path), "/exec/%s/json", op->exec_id);
        r = ctr_engine_op_send(op, err);
        return r < 0 ? r : 1;
}

static int finish_exec_create(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                              struct bv_error *err)
{
        json_auto_t *v = NULL;
        const char *id;
        int r = finish_id(op, resp, &v, "exec", &id, err);

        if (r < 0)
                return r;
        snprintf(op->exec_id, sizeof(op->exec_id), "%s", id);
        char start[64];
        int n = snprintf(start, sizeof(start), "{\"Detach\":false,\"Tty\":%s}", op->tty ? "true" : "false");
        if ((r = ctr_engine_op_set_body(op, "application/json", start, (size_t)n, err)) < 0)
                return r;
        *ret = NULL;
        op->finish = finish_exec_start;
        op->max_body = EXEC_MAX_BODY;
        snprintf(op->path, sizeof(op->path), "/exec/%s/start", op->exec_id);
        r = ctr_engine_op_send(op, err);
        return r < 0 ? r : 1;
}

int ctr_engine_exec(struct ctr_engine *e, const char *id, const json_t *spec, const struct ctr_engine_opts *o,
                    ctr_engine_done_cb done, void *userdata, struct bv_error *err)
{
        json_t *cmd = NULL, *env = NULL;
        const char *workdir = NULL, *user = NULL;
        int tty = 0;
        json_error_t jerr;
        struct engine_op *op;
        int r;

        if (!json_is_object(spec) ||
            json_unpack_ex((json_t *)spec, &jerr, JSON_STRICT, "{s:o, s?o, s?s, s?s, s?b}", "cmd", &cmd, "env", &env,
                           "workdir", &workdir, "user", &user, "tty", &tty) < 0)
                return bv_error_set(err, EINVAL, "Invalid exec: %s", json_is_object(spec) ? jerr.text : "not an object");
        json_auto_t *c = NULL, *en = NULL;
        if ((r = string_array(cmd, "cmd", &c, err)) < 0 || (r = string_array(env, "env", &en, err)) < 0)
                return r;
        if (json_array_size(c) == 0)
                return bv_error_set(err, EINVAL, "'cmd' must not be empty");
        json_auto_t *body = json_pack("{s:b, s:b, s:b, s:O, s:b}", "AttachStdout", 1, "AttachStderr", 1, "AttachStdin",
                                      0, "Cmd", c, "Tty", tty);
        if (!body)
                return bv_error_set(err, ENOMEM, "Out of memory");
        if (en)
                json_object_set(body, "Env", en);
        if (workdir)
                json_object_set_new(body, "WorkingDir", json_string(workdir));
        if (user)
                json_object_set_new(body, "User", json_string(user));
        _cleanup_free_ char *s = json_dumps(body, JSON_COMPACT);
        if (!s)
                return bv_error_set(err, ENOMEM, "Out of memory");
        if ((r = ctr_engine_id_op(e, id, "POST", "/exec", finish_exec_create, o, done, userdata, err, &op)) < 0)
                return r;
        op->tty = tty;
        snprintf(op->exec_cmd, sizeof(op->exec_cmd), "%s", json_string_value(json_array_get(c, 0)));
        if (!(o && o->timeout_usec))
                op->timeout_usec = WAIT_TIMEOUT_USEC;
        if ((r = ctr_engine_op_set_body(op, "application/json", s, strlen(s), err)) < 0 ||
            (r = ctr_engine_op_own_client(op, err)) < 0) {
                ctr_engine_op_free(op);
                return r;
        }
        return ctr_engine_op_start(op, err);
}

/* ---- stats ---------------------------------------------------------------------------- */

static json_int_t jint(const json_t *o, const char *key)
{
        const json_t *v = json_object_get(o, key);
        return json_is_integer(v) ? json_integer_value(v) : 0;
}

json_t *ctr_engine_stats_summary(const json_t *stats)
{
        const json_t *mem = json_object_get(stats, "memory_stats");
        const json_t *cpu = json_object_get(json_object_get(stats, "cpu_stats"), "cpu_usage");
        const json_t *pids = json_object_get(stats, "pids_stats");
        const char *read = json_string_value(json_object_get(stats, "read"));

        return json_pack("{s:I, s:I, s:I, s:I, s:s}", "memory_usage", jint(mem, "usage"), "memory_limit",
                         jint(mem, "limit"), "pids", jint(pids, "current"), "cpu_total_ns", jint(cpu, "total_usage"),
                         "read", read ? read : "");
}

static int finish_stats(struct engine_op *op, const struct bv_http_response *resp, json_t **ret, struct bv_error *err)
{
        json_auto_t *v = NULL;
        int r = ctr_engine_finish_json_object(op, resp, &v, err);

        if (r < 0)
                return r;
        *ret = ctr_engine_stats_summary(v);
        return *ret ? 0 : bv_error_set(err, ENOMEM, "Out of memory");
}

int ctr_engine_stats(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                     ctr_engine_done_cb done, void *userdata, struct bv_error *err)
{
        return ctr_engine_id_call(e, id, "GET", "/stats?stream=false", finish_stats, o, done, userdata, err);
}

/* ---- images ---------------------------------------------------------------------------- */

static int finish_images(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                         struct bv_error *err)
{
        json_auto_t *v = NULL;
        json_t *im;
        size_t i;
        int r = ctr_engine_load_reply(op, resp, &v, err);

        if (r < 0)
                return r;
        if (!json_is_array(v))
                return bv_error_set(err, EPROTO, "%s sent an image list that is not an array", op->e->b->title);
        json_auto_t *out = json_array();
        if (!out)
                return bv_error_set(err, ENOMEM, "Out of memory");
        json_array_foreach(v, i, im) {
                const char *id = json_string_value(json_object_get(im, "Id"));
                const json_t *tags = json_object_get(im, "RepoTags");
                json_t *t, *ts = json_array();
                size_t k;
                if (!id || !ts) {
                        json_decref(ts);
                        return bv_error_set(err, EPROTO, "%s sent a malformed image entry", op->e->b->title);
                }
                json_array_foreach(tags, k, t)
                        if (json_is_string(t))
                                json_array_append(ts, t);
                json_array_append_new(out, json_pack("{s:s, s:o, s:I, s:I}", "id", id, "tags", ts, "created",
                                                     jint(im, "Created"), "size", jint(im, "Size")));
        }
        *ret = TAKE_PTR(out);
        return 0;
}

int ctr_engine_images(struct ctr_engine *e, const struct ctr_engine_opts *o, ctr_engine_done_cb done,
                      void *userdata, struct bv_error *err)
{
        struct engine_op *op = ctr_engine_op_new(e, o, done, userdata);

        if (!op)
                return bv_error_set(err, ENOMEM, "Out of memory");
        snprintf(op->path, sizeof(op->path), "/images/json");
        op->finish = finish_images;
        op->max_body = IMAGES_MAX_BODY;
        return ctr_engine_op_start(op, err);
}

/*
 * The load reply: Docker sends JSON lines ({"stream": text} or
 * {"errorDetail", "error"} with status 200); Podman's compat API one object
 * ({"stream"} or with "error"). Either way: the texts joined, or the error.
 */
static int finish_image_load(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                             struct bv_error *err)
{
        const char *p = resp->body ? resp->body : "", *end = p + resp->body_len;
        char text[1024] = "";
        size_t tl = 0;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                json_auto_t *v = NULL;
                if (n > 0 && bv_json_loadb(p, n, n, 0, &v, NULL) >= 0 && json_is_object(v)) {
                        const char *e = json_string_value(json_object_get(v, "error"));
                        const char *s = json_string_value(json_object_get(v, "stream"));
                        if (e && *e)
                                return bv_error_set(err, EIO, "%s could not load the image: %.160s", op->e->b->title, e);
                        if (s && tl < sizeof(text) - 1)
                                tl += (size_t)snprintf(text + tl, sizeof(text) - tl, "%s", s);
                        if (tl >= sizeof(text))
                                tl = sizeof(text) - 1;
                } else if (n > 0)
                        return bv_error_set(err, EPROTO, "%s sent a malformed image load reply", op->e->b->title);
                p += n + (nl ? 1 : 0);
        }
        *ret = json_pack("{s:o}", "output", bv_json_string_lossy(text, tl));
        return *ret ? 0 : bv_error_set(err, ENOMEM, "Out of memory");
}

int ctr_engine_image_load(struct ctr_engine *e, const void *tar, size_t len, const struct ctr_engine_opts *o,
                          ctr_engine_done_cb done, void *userdata, struct bv_error *err)
{
        struct engine_op *op = ctr_engine_op_new(e, o, done, userdata);
        int r;

        if (!op)
                return bv_error_set(err, ENOMEM, "Out of memory");
        op->method = "POST";
        snprintf(op->path, sizeof(op->path), "%s", e->b->image_load_path);
        op->finish = finish_image_load;
        op->max_body = 1024 * 1024;
        if (!(o && o->timeout_usec))
                op->timeout_usec = 120ULL * 1000000;
        if ((r = ctr_engine_op_set_body(op, "application/x-tar", tar, len, err)) < 0 ||
            (r = ctr_engine_op_own_client(op, err)) < 0) {
                ctr_engine_op_free(op);
                return r;
        }
        return ctr_engine_op_start(op, err);
}

int ctr_engine_image_remove(struct ctr_engine *e, const char *image, bool force, const struct ctr_engine_opts *o,
                            ctr_engine_done_cb done, void *userdata, struct bv_error *err)
{
        /* Defends against path and query injection: image refs are checked. */
        if (!ctr_engine_image_valid(image))
                return bv_error_set(err, EINVAL, "Invalid image '%.64s'", image ? image : "");
        struct engine_op *op = ctr_engine_op_new(e, o, done, userdata);
        if (!op)
                return bv_error_set(err, ENOMEM, "Out of memory");
        op->method = "DELETE";
        snprintf(op->path, sizeof(op->path), "/images/%s%s", image, force ? "?force=1" : "");
        op->finish = ctr_engine_finish_none;
        op->max_body = 1024 * 1024;
        return ctr_engine_op_start(op, err);
}

const struct engine_reply_kind ctr_engine_ops_replies[] = {
        { "create", finish_create },
        { "wait", finish_wait },
        { "exec-output", finish_exec_output },
        { "exec-inspect", finish_exec_inspect },
        { "stats", finish_stats },
        { "images", finish_images },
        { "image-load", finish_image_load },
        {},
};
