/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal: the per-container state directory <root>/<id>/ shared by
 * create (ctr/oci-container.c), exec (ctr/oci-exec.c) and the lifecycle
 * verbs (ctr/oci-state.c). state.json is written once, atomically, at
 * create; the status is derived at read time from the init's pid (with its
 * start time, against pid reuse) and the presence of exec.fifo.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "ctr/oci.h"

struct ctr_saved {
        char id[130];
        char bundle[4096];
        char cgroup[4096];
        char dir[4096];
        pid_t pid;
        uint64_t starttime;
        json_t *annotations;         /* new reference or NULL */
        enum ctr_status status;      /* derived */
};

/* The spec's state object as compact text (malloc'ed), NULL on ENOMEM. */
char *ctr_state_json_text(const char *id, enum ctr_status status, pid_t pid, const char *bundle,
                          json_t *annotations);

/* Makes <root>/<id> (root with mkdir -p); -EEXIST when the id is taken. */
int ctr_state_dir_make(const char *root, const char *id, char *buf, size_t len, struct bv_error *err);

/* Writes pid as text into path (atomically), for --pid-file. */
int ctr_pid_file_write(const char *path, pid_t pid, struct bv_error *err);

/* Removes exec.fifo, state.json and the directory itself (best effort). */
void ctr_state_dir_remove(const char *dir);

/* Writes state.json for a created container. */
int ctr_state_write(const char *dir, const struct ctr_create_opts *o, pid_t pid, const char *cgroup,
                    const char *rootfs, json_t *annotations, struct bv_error *err);

/* Loads <root>/<id>/state.json and derives the status. -ENOENT when absent. */
int ctr_state_load(const char *root, const char *id, struct ctr_saved *ret, struct bv_error *err);

/* Start time (clock ticks since boot) of pid, from /proc/<pid>/stat; 0 if gone; *zombie set. */
uint64_t ctr_pid_starttime(pid_t pid, bool *zombie);
