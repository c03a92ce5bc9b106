/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What differs between container engines: one table per backend
 * (engine-docker.c, engine-podman.c), used by engine.c. Internal to ctr/.
 */
#pragma once

#include <jansson.h>
#include <stddef.h>

struct ctr_engine_backend {
        const char *name;          /* "docker": ref prefix and instance type */
        const char *title;         /* "Docker": for messages */
        const char *max_version;   /* highest compat API version we speak with it */
        const char *min_version;   /* lowest we accept */
        const char *ping_path;     /* liveness check, answers "OK" */
        const char *version_path;  /* unversioned: {"Version", "ApiVersion", "MinAPIVersion"} */
        /* The engine's state word mapped to barevirt's (running, paused, exited, ...). */
        const char *(*map_state)(const char *engine_state);
        /* The human text of an error body (status >= 400) into buf. */
        void (*error_text)(const json_t *body, char *buf, size_t len);
        /* The errno for an error reply (status >= 400) with that text. */
        int (*error_errno)(int status, const char *text);
};

/* Shared helpers: body's "message" string, or nothing; errno of an HTTP status. */
void ctr_engine_error_message(const json_t *body, char *buf, size_t len);
int ctr_engine_status_errno(int status, const char *text);
