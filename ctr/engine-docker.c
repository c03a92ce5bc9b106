/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Docker backend: Engine API over /var/run/docker.sock, versioned paths
 * (/v1.41/...) after negotiation. Container states are Docker's own words
 * (created, restarting, running, removing, paused, exited, dead); errors are
 * {"message": "..."}.
 */
#include <string.h>

#include "ctr/ctr-internal.h"
#include "ctr/ctr.h"

static const char *docker_state(const char *s)
{
        static const char *const known[] = { "created", "restarting", "running", "removing",
                                             "paused", "exited", "dead" };

        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                if (strcmp(s, known[i]) == 0)
                        return known[i];
        return "unknown";
}

/* Docker's action words are the reference: all kept. */
static const char *docker_action(const char *a)
{
        return a;
}

const struct ctr_engine_backend ctr_engine_docker = {
        .name = "docker",
        .title = "Docker",
        .max_version = "1.41",
        .min_version = "1.24",
        .ping_path = "/_ping",
        .version_path = "/version",
        .map_state = docker_state,
        .error_text = ctr_engine_error_message,
        .error_errno = ctr_engine_status_errno,
        .map_action = docker_action,
        .image_load_path = "/images/load?quiet=1",
        .list_path = "/containers/json?all=1",
        .list_versioned = true,
};
