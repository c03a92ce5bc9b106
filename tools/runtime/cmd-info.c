/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The verbs that only read or print: state, list, ps, spec, features.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "ctr/ctr.h"
#include "tools/runtime/runtime.h"

static int print_json(json_t *j)
{
        char *s = json_dumps(j, JSON_INDENT(2));
        json_decref(j);
        if (!s)
                return rt_fail("out of memory");
        puts(s);
        free(s);
        return 0;
}

int cmd_state(int argc, char **argv)
{
        struct bv_error err = { 0 };
        json_t *j;
        if (argc != 2)
                return rt_fail("state: expected exactly one container id");
        int r = ctr_container_state(rt.root, argv[1], &j, &err);
        return r < 0 ? rt_fail_err(NULL, r, &err) : print_json(j);
}

int cmd_list(int argc, char **argv)
{
        const char *format = "table";
        bool quiet = false;
        struct rt_opt opts[] = { { "format", 'f', true, &format, NULL }, { "quiet", 'q', false, NULL, &quiet },
                                 { NULL, 0, false, NULL, NULL } };
        struct bv_error err = { 0 };
        json_t *arr, *c;
        size_t i;
        if (rt_parse_opts(argc, argv, opts, "list") < 0)
                return 1;
        int r = ctr_container_list(rt.root, &arr, &err);
        if (r < 0)
                return rt_fail_err(NULL, r, &err);
        if (strcmp(format, "json") == 0)
                return print_json(arr);
        if (!quiet)
                printf("%-24s %-8s %-10s %s\n", "ID", "PID", "STATUS", "BUNDLE");
        json_array_foreach(arr, i, c) {
                if (quiet)
                        printf("%s\n", json_string_value(json_object_get(c, "id")));
                else
                        printf("%-24s %-8lld %-10s %s\n", json_string_value(json_object_get(c, "id")),
                               (long long)json_integer_value(json_object_get(c, "pid")),
                               json_string_value(json_object_get(c, "status")),
                               json_string_value(json_object_get(c, "bundle")));
        }
        json_decref(arr);
        return 0;
}

int cmd_ps(int argc, char **argv)
{
        const char *format = "table";
        struct rt_opt opts[] = { { "format", 'f', true, &format, NULL }, { NULL, 0, false, NULL, NULL } };
        struct bv_error err = { 0 };
        json_t *arr, *p;
        size_t i;
        int k = rt_parse_opts(argc, argv, opts, "ps");
        if (k < 0)
                return 1;
        if (k >= argc)
                return rt_fail("ps: missing container id");
        int r = ctr_container_pids(rt.root, argv[k], &arr, &err);
        if (r < 0)
                return rt_fail_err(NULL, r, &err);
        if (strcmp(format, "json") == 0)
                return print_json(arr);
        printf("PID\n");
        json_array_foreach(arr, i, p)
                printf("%lld\n", (long long)json_integer_value(p));
        json_decref(arr);
        return 0;
}

int cmd_spec(int argc, char **argv)
{
        const char *bundle = ".", *rootless = NULL;
        struct rt_opt opts[] = { { "bundle", 'b', true, &bundle, NULL }, { "rootless", 0, false, NULL, NULL },
                                 { NULL, 0, false, NULL, NULL } };
        (void)rootless;
        if (rt_parse_opts(argc, argv, opts, "spec") < 0)
                return 1;
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/config.json", bundle);
        json_t *j = ctr_spec_default();
        char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
        json_decref(j);
        if (!s)
                return rt_fail("out of memory");
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
                free(s);
                if (errno == EEXIST)
                        return rt_fail("File %s exists. Remove it first", path);
                return rt_fail("Failed to create '%s': %s", path, strerror(errno));
        }
        size_t len = strlen(s);
        s[len] = '\n';
        ssize_t n = write(fd, s, len + 1);
        free(s);
        close(fd);
        return n == (ssize_t)(len + 1) ? 0 : rt_fail("Failed to write '%s'", path);
}

int cmd_features(int argc, char **argv)
{
        json_t *j = ctr_features();
        return j ? print_json(j) : rt_fail("out of memory");
}
