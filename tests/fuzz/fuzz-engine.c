/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: engine replies (Docker and Podman), replayed through
 * the handling a live call gives them (ctr_engine_reply_replay): lists,
 * inspects, create, wait, exec output and inspect, stats, images, image
 * load, version negotiation, error bodies, event stream lines and
 * multiplexed log streams. Input: a case file of tests/unit/engine-cases
 * ("BACKEND KIND STATUS ...\nBODY", the seeds), or any bytes (then the
 * first two bytes pick kind, backend and status). Must never crash, leak
 * or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ctr/ctr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const kinds[] = {
        "list", "inspect", "logs", "create", "wait", "exec-output", "exec-inspect", "stats",
        "images", "image-load", "version", "events", "log-stream",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char head[128], backend[16], kind[32];
        const struct ctr_engine_backend *b = NULL;
        int status = 200;
        const char *body = (const char *)data;
        size_t len = size;
        const uint8_t *nl = memchr(data, '\n', size < sizeof(head) ? size : sizeof(head));

        if (nl) {
                memcpy(head, data, (size_t)(nl - data));
                head[nl - data] = '\0';
                if (sscanf(head, "%15s %31s %d", backend, kind, &status) == 3 && (b = ctr_engine_backend_find(backend))) {
                        body = (const char *)nl + 1;
                        len = size - (size_t)(nl + 1 - data);
                }
        }
        if (!b) {
                if (size < 2)
                        return 0;
                snprintf(kind, sizeof(kind), "%s", kinds[data[0] % (sizeof(kinds) / sizeof(kinds[0]))]);
                b = (data[1] & 1) ? &ctr_engine_podman : &ctr_engine_docker;
                status = (data[1] & 2) ? 500 : 200;
                body += 2;
                len -= 2;
        }
        json_t *v = NULL;
        struct bv_error err = {};
        (void)ctr_engine_reply_replay(b, kind, status, body, len, &v, &err);
        json_decref(v);
        return 0;
}
