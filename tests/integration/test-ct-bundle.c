/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helper: makes an OCI bundle from a container definition the way
 * barevirtd does, with ctr_ct_spec(): `test-ct-bundle DEF.json ROOTFS BUNDLE
 * [NETNS]` writes BUNDLE/config.json. Used by tests/integration/ct-monitor.sh
 * to run real definitions through `barevirt-runtime monitor`.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/common.h"
#include "ctr/ctr.h"

int main(int argc, char **argv)
{
        struct bv_error err = { 0 };
        struct ctr_ct_def *def = NULL;
        json_t *o = NULL, *cfg = NULL;
        char path[4200];

        if (argc < 4 || argc > 6) {
                fprintf(stderr, "usage: test-ct-bundle DEF.json ROOTFS BUNDLE [NETNS|-] [CGROUPS_PATH]\n");
                return 2;
        }
        struct ctr_ct_paths p = { .rootfs = argv[2],
                                  .netns = argc >= 5 && strcmp(argv[4], "-") != 0 ? argv[4] : NULL,
                                  .cgroups_path = argc >= 6 ? argv[5] : NULL,
                                  .userns_base = 300000 };
        if (bv_json_load_file(argv[1], 65536, &o, &err) < 0 || ctr_ct_def_parse(o, &def, &err) < 0 ||
            ctr_ct_spec(def, &p, &cfg, &err) < 0) {
                fprintf(stderr, "test-ct-bundle: %s\n", err.msg);
                return 1;
        }
        mkdir(argv[3], 0755);
        snprintf(path, sizeof(path), "%s/config.json", argv[3]);
        if (bv_json_write_file(path, cfg, &err) < 0) {
                fprintf(stderr, "test-ct-bundle: %s\n", err.msg);
                return 1;
        }
        json_decref(cfg);
        json_decref(o);
        ctr_ct_def_free(def);
        return 0;
}
