/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who the proxy admits (tools/proxy/proxy.h): connections counted in all
 * and per client address, so that one address holding its share (idle,
 * slowloris, stuck handshakes) leaves room for everyone else; and the
 * reports of refused connections (over a limit, failed or timed-out
 * handshakes) to barevirtd, which writes them to its audit log. Reports are
 * rate-limited here (REPORTS_PER_SEC, the rest counted into the next one),
 * so a flood cannot flood the log.
 *
 * The address table is an array of max_conns slots searched linearly: a
 * slot is in use while it counts a connection, so it never needs more
 * slots than connections, and accept is not a hot path at that size.
 */
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>

#include "tls/tls.h"
#include "tools/proxy/proxy.h"

#define REPORTS_PER_SEC 10

struct proxy_source {
        unsigned char ip[16];
        unsigned n;
};

int proxy_admit_init(struct proxy_admit *a, struct bv_loop *loop, unsigned max_conns, unsigned max_per_source,
                     int ctl_fd)
{
        a->loop = loop;
        a->src = calloc(max_conns, sizeof(*a->src));
        if (!a->src)
                return -ENOMEM;
        a->max_conns = max_conns;
        a->max_per_source = max_per_source && max_per_source < max_conns ? max_per_source : max_conns;
        a->ctl_fd = ctl_fd;
        return 0;
}

static void ip_of(const struct sockaddr_storage *ss, unsigned char ip[16])
{
        memset(ip, 0, 16);
        if (ss->ss_family == AF_INET6)
                memcpy(ip, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
        else if (ss->ss_family == AF_INET) {
                ip[10] = ip[11] = 0xff;  /* as ::ffff:a.b.c.d, so both families share the table */
                memcpy(ip + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
        }
}

struct proxy_source *proxy_admit(struct proxy_admit *a, const struct sockaddr_storage *ss, const char **why)
{
        unsigned char ip[16];
        struct proxy_source *free_slot = NULL;

        if (a->n_conns >= a->max_conns) {
                *why = "too many connections";
                return NULL;
        }
        ip_of(ss, ip);
        for (unsigned i = 0; i < a->max_conns; i++) {
                struct proxy_source *s = &a->src[i];
                if (s->n && memcmp(s->ip, ip, 16) == 0) {
                        if (s->n >= a->max_per_source) {
                                *why = "too many connections from this address";
                                return NULL;
                        }
                        s->n++;
                        a->n_conns++;
                        return s;
                }
                if (!s->n && !free_slot)
                        free_slot = s;
        }
        /* n_conns < max_conns, so a slot is free. */
        memcpy(free_slot->ip, ip, 16);
        free_slot->n = 1;
        a->n_conns++;
        return free_slot;
}

void proxy_release(struct proxy_admit *a, struct proxy_source *s)
{
        if (s && s->n) {
                s->n--;
                a->n_conns--;
        }
}

static void send_report(struct proxy_admit *a, const char *peer, const char *reason, unsigned suppressed)
{
        struct tls_msg_refused m = { .suppressed = suppressed };

        tls_msg_head_init(&m.head, TLS_MSG_REFUSED, sizeof(m));
        snprintf(m.peer, sizeof(m.peer), "%s", peer);
        snprintf(m.reason, sizeof(m.reason), "%s", reason);
        for (char *p = m.reason; *p; p++)
                if (*p < 0x20 || *p > 0x7e)
                        *p = '?';
        if (send(a->ctl_fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(m))
                a->suppressed += suppressed + 1;
}

/* The second is over: the last suppressed refusal, with how many more there were. */
static void on_flush(struct bv_loop *loop, void *userdata)
{
        struct proxy_admit *a = userdata;
        unsigned n = a->suppressed;

        a->flush = NULL;
        a->suppressed = 0;
        if (n)
                send_report(a, a->last_peer, a->last_reason, n - 1);
}

void proxy_report(struct proxy_admit *a, const char *peer, const char *reason)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        if (ts.tv_sec != a->window) {
                a->window = ts.tv_sec;
                a->in_window = 0;
        }
        if (a->in_window >= REPORTS_PER_SEC) {
                a->suppressed++;
                snprintf(a->last_peer, sizeof(a->last_peer), "%s", peer);
                snprintf(a->last_reason, sizeof(a->last_reason), "%s", reason);
                if (!a->flush)
                        bv_loop_add_timer(a->loop, 1000000, on_flush, a, &a->flush);
                return;
        }
        a->in_window++;
        send_report(a, peer, reason, 0);
}
