/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Podman backend: Podman's Docker-compatible API on its socket, at
 * /v1.40 (the compat version Podman documents), with libpod paths only where
 * the compat API cannot do it (its ping). Differences handled here:
 * - states: libpod words leak into the compat API on some versions
 *   ("configured", "stopped", "stopping"); they are mapped to Docker's.
 * - errors: {"cause", "message", "response"}; message already includes the
 *   cause, and is used when present, else the cause.
 * - events: libpod's status words come through the compat events stream
 *   ("died", "remove"), beside internal ones ("init", "cleanup", "mount",
 *   "sync", ...) that Docker never sends; the former are mapped to Docker's
 *   words ("die", "destroy"), the latter dropped. Its stream sends nothing,
 *   not even the response head, until the first event (engine-stream.c).
 * - images are loaded through the libpod API (/libpod/images/load), which
 *   takes the same `docker save` tarball and answers one JSON object.
 * - the container list comes from the libpod API (/vX/libpod/containers/json;
 *   without the version prefix Podman answers 404):
 *   Podman's compat list does work per container that makes listing 100
 *   containers take several times as long, and only libpod's gives the
 *   start time (StartedAt) for an exact uptime. It has no IP addresses and
 *   no status text: addresses are in `show` (inspect); the status is made
 *   from the state and exit code.
 * - a container in the wrong state for an operation (kill of a stopped one)
 *   is a 500 "container state improper" where Docker says 409; it is mapped
 *   to -EBUSY (409) like Docker's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctr/ctr-internal.h"
#include "ctr/ctr.h"

static const char *podman_state(const char *s)
{
        static const struct { const char *from, *to; } map[] = {
                { "created", "created" },   { "configured", "created" }, { "initialized", "created" },
                { "running", "running" },   { "paused", "paused" },      { "stopping", "stopping" },
                { "stopped", "exited" },    { "exited", "exited" },      { "removing", "removing" },
                { "dead", "dead" },         { "restarting", "restarting" },
        };

        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (strcmp(s, map[i].from) == 0)
                        return map[i].to;
        return "unknown";
}

static void podman_error_text(const json_t *body, char *buf, size_t len)
{
        ctr_engine_error_message(body, buf, len);
        if (!*buf && json_is_string(json_object_get(body, "cause")))
                snprintf(buf, len, "%s", json_string_value(json_object_get(body, "cause")));
}

static int podman_error_errno(int status, const char *text)
{
        if (status == 500 && strstr(text, "container state improper"))
                return EBUSY;
        return ctr_engine_status_errno(status, text);
}

static const char *podman_action(const char *a)
{
        static const struct { const char *from, *to; } map[] = {
                { "died", "die" }, { "remove", "destroy" }, { "cleanup", NULL }, { "init", NULL },
                { "mount", NULL }, { "unmount", NULL }, { "sync", NULL }, { "checkpoint", "checkpoint" },
                { "exited", "die" },
        };

        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (strcmp(a, map[i].from) == 0)
                        return map[i].to;
        return a;
}

const struct ctr_engine_backend ctr_engine_podman = {
        .name = "podman",
        .title = "Podman",
        .max_version = "1.40",
        .min_version = "1.24",
        .ping_path = "/libpod/_ping",
        .version_path = "/version",
        .map_state = podman_state,
        .error_text = podman_error_text,
        .error_errno = podman_error_errno,
        .map_action = podman_action,
        .image_load_path = "/images/load?quiet=1",
        .list_path = "/libpod/containers/json?all=true",
        .list_versioned = true,   /* libpod paths need a version prefix; any is taken */
};
