/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /v1/networks: placeholder until the network API lands (issue 4). */
#include <errno.h>

#include "tools/daemon/daemon.h"

int network_bridge(struct barevirtd *d, const char *name, char *ret_bridge, size_t len,
                   struct bv_error *err)
{
        return bv_error_set(err, ENOENT, "No network named '%s'", name);
}

int networks_load(struct barevirtd *d)
{
        return 0;
}

void networks_free(struct barevirtd *d)
{
}

const struct api_route api_networks_routes[] = {
        { NULL },
};
