/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helper over the image and overlay functions of ctr/ctr.h, as
 * barevirtd calls them: `test-ct-image import IMAGES_DIR TAR` (prints the
 * id), `id TAR`, `remove IMAGES_DIR ID`, `mount LOWER UPPER WORK MERGED`,
 * `umount MERGED`. Errors go to stderr with exit status 1.
 */
#include <stdio.h>
#include <string.h>

#include "ctr/ctr.h"

int main(int argc, char **argv)
{
        struct bv_error err = { 0 };
        char id[32];
        int r = -1;

        if (argc == 4 && strcmp(argv[1], "import") == 0) {
                r = ctr_image_import(argv[2], argv[3], id, sizeof(id), &err);
                if (r == 0)
                        printf("%s\n", id);
        } else if (argc == 3 && strcmp(argv[1], "id") == 0) {
                r = ctr_image_id(argv[2], id, sizeof(id), &err);
                if (r == 0)
                        printf("%s\n", id);
        } else if (argc == 4 && strcmp(argv[1], "remove") == 0) {
                r = ctr_image_remove(argv[2], argv[3], &err);
        } else if (argc == 6 && strcmp(argv[1], "mount") == 0) {
                r = ctr_ct_overlay_mount(argv[2], argv[3], argv[4], argv[5], &err);
        } else if (argc == 3 && strcmp(argv[1], "umount") == 0) {
                r = ctr_ct_overlay_umount(argv[2], &err);
        } else {
                fprintf(stderr, "usage: test-ct-image import DIR TAR | id TAR | remove DIR ID | "
                                "mount LOWER UPPER WORK MERGED | umount MERGED\n");
                return 2;
        }
        if (r < 0) {
                fprintf(stderr, "test-ct-image: %s\n", bv_error_message(&err, r));
                return 1;
        }
        return 0;
}
