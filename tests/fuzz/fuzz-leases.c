/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: dnsmasq lease files (net_dnsmasq_leases_parse()), whose
 * host names and client ids come from DHCP clients on the network. Input:
 * any bytes (seeds in tests/fuzz/leases). Must never crash, leak or read
 * out of bounds, and every lease it returns has a NUL-terminated host name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = malloc(size + 1);
        struct net_lease *l = NULL;
        size_t n = 0;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';
        if (net_dnsmasq_leases_parse(buf, &l, &n, NULL) == 0)
                for (size_t i = 0; i < n; i++)
                        if (strnlen(l[i].hostname, sizeof(l[i].hostname)) == sizeof(l[i].hostname))
                                abort();
        free(l);
        free(buf);
        return 0;
}
