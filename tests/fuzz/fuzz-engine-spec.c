/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the body of POST /v1/instances (an engine container's
 * spec from an API client) turned into the Engine API's create body by
 * ctr_engine_create_body(): every key, the -p port specs, labels, mounts,
 * restart policies, sizes. Input: JSON (seeds in tests/fuzz/engine-spec).
 * Must never crash, leak or read out of bounds; a refusal has a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ctr/ctr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_t *spec = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL), *body = NULL;
        struct bv_error err = {};
        char name[160];

        if (!spec)
                return 0;
        if (ctr_engine_create_body(spec, &body, name, sizeof(name), &err) < 0 && !err.msg[0])
                abort();
        json_decref(body);
        json_decref(spec);
        return 0;
}
