/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Engine verbs: `barevirt docker run ...` and `barevirt podman run ...`
 * create and start an engine container with the common flags (--name, -e,
 * -v, --memory, --cpus, --restart, -d, ...) through POST /v1/instances;
 * without -d they wait for it, print its log and exit with its status, like
 * the engines' own CLIs. `images`, `load FILE` and `rmi IMAGE` manage the
 * engine's images through /v1/engines/ENGINE/images.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "tools/cli/cli.h"

#define RUN_USAGE "run [--json] [--name NAME] [-e NAME=VALUE]... [-v SRC:DST[:ro]]... [--memory SIZE] [--cpus N] " \
                  "[--restart POLICY] [--network NET] [-w DIR] [-u USER] [--entrypoint CMD] [-t] [-d] IMAGE [CMD [ARG...]]"

/* "64m", "1g", "512k", "1048576" -> bytes; -1 when malformed. */
static long long parse_size(const char *s)
{
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        unsigned shift = 0;

        if (errno || end == s || *s == '-')
                return -1;
        switch (tolower((unsigned char)*end)) {
        case '\0': break;
        case 'b': break;
        case 'k': shift = 10; break;
        case 'm': shift = 20; break;
        case 'g': shift = 30; break;
        default: return -1;
        }
        if (*end && end[1] && !(tolower((unsigned char)end[1]) == 'b' && !end[2]) && !(end[1] == 'i' && end[2] == 'B' && !end[3]))
                return -1;
        if (v > (unsigned long long)LLONG_MAX >> shift)
                return -1;
        return (long long)(v << shift);
}

static int engine_run(struct cli *cli, const char *engine, int argc, char **argv)
{
        json_auto_t *spec = json_pack("{s:s}", "engine", engine);
        json_auto_t *env = json_array(), *binds = json_array(), *cmd = json_array(), *reply = NULL;
        bool detach = false;
        int i, r;

        if (!spec || !env || !binds || !cmd)
                return cli_fail("out of memory");
        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (strcmp(a, "--") == 0) {
                        i++;
                        break;
                }
                if (strcmp(a, "--json") == 0)
                        cli->json = true;
                else if (strcmp(a, "-d") == 0 || strcmp(a, "--detach") == 0)
                        detach = true;
                else if (strcmp(a, "-t") == 0 || strcmp(a, "--tty") == 0)
                        json_object_set_new(spec, "tty", json_true());
                else if (!v)
                        return cli_usage_error(RUN_USAGE, "unknown option or missing value '%s'", a);
                else if (strcmp(a, "-e") == 0 || strcmp(a, "--env") == 0)
                        json_array_append_new(env, json_string(argv[++i]));
                else if (strcmp(a, "-v") == 0 || strcmp(a, "--volume") == 0)
                        json_array_append_new(binds, json_string(argv[++i]));
                else if (strcmp(a, "--name") == 0)
                        json_object_set_new(spec, "name", json_string(argv[++i]));
                else if (strcmp(a, "--restart") == 0)
                        json_object_set_new(spec, "restart", json_string(argv[++i]));
                else if (strcmp(a, "--network") == 0 || strcmp(a, "--net") == 0)
                        json_object_set_new(spec, "network", json_string(argv[++i]));
                else if (strcmp(a, "-w") == 0 || strcmp(a, "--workdir") == 0)
                        json_object_set_new(spec, "workdir", json_string(argv[++i]));
                else if (strcmp(a, "-u") == 0 || strcmp(a, "--user") == 0)
                        json_object_set_new(spec, "user", json_string(argv[++i]));
                else if (strcmp(a, "--entrypoint") == 0)
                        json_object_set_new(spec, "entrypoint", json_pack("[s]", argv[++i]));
                else if (strcmp(a, "--memory") == 0 || strcmp(a, "-m") == 0) {
                        long long m = parse_size(argv[++i]);
                        if (m < 0)
                                return cli_usage_error(RUN_USAGE, "invalid memory size '%s' (e.g. 64m, 1g)", argv[i]);
                        json_object_set_new(spec, "memory", json_integer(m));
                } else if (strcmp(a, "--cpus") == 0) {
                        char *end;
                        double c = strtod(argv[++i], &end);
                        if (*end || end == argv[i] || !(c > 0))
                                return cli_usage_error(RUN_USAGE, "invalid number of CPUs '%s'", argv[i]);
                        json_object_set_new(spec, "cpus", json_real(c));
                } else
                        return cli_usage_error(RUN_USAGE, "unknown option '%s'", a);
        }
        if (i >= argc)
                return cli_usage_error(RUN_USAGE, "expected an IMAGE");
        json_object_set_new(spec, "image", json_string(argv[i++]));
        for (; i < argc; i++)
                json_array_append_new(cmd, json_string(argv[i]));
        cli_json_set_nonempty(spec, "cmd", cmd);
        cli_json_set_nonempty(spec, "env", env);
        cli_json_set_nonempty(spec, "binds", binds);

        if ((r = cli_api(cli, "POST", "/v1/instances", spec, 120000, &reply)))
                return r;
        char ref[300], path[400];
        snprintf(ref, sizeof(ref), "%s", cli_jstr(reply, "ref"));
        if (strpbrk(ref, "/?#% \t\r\n"))
                return cli_fail("barevirtd answered with a strange ref '%s'", ref);
        json_decref(TAKE_PTR(reply));
        snprintf(path, sizeof(path), "/v1/instances/%s/start", ref);
        if ((r = cli_api(cli, "POST", path, NULL, 0, &reply)))
                return r;
        if (detach) {
                if (cli->json)
                        return cli_print_json(reply);
                printf("%s\n", ref);
                return 0;
        }
        json_decref(TAKE_PTR(reply));
        snprintf(path, sizeof(path), "/v1/instances/%s/wait", ref);
        if ((r = cli_api(cli, "POST", path, NULL, 24 * 3600 * 1000, &reply)))
                return r;
        int code = (int)(json_integer_value(json_object_get(reply, "exit_code")) & 0xff);
        json_decref(TAKE_PTR(reply));
        snprintf(path, sizeof(path), "/v1/instances/%s/logs", ref);
        if ((r = cli_api(cli, "GET", path, NULL, 0, &reply)))
                return r;
        if (cli->json) {
                json_object_set_new(reply, "exit_code", json_integer(code));
                cli_print_json(reply);
        } else
                cli_print_output(reply);
        return code;
}

static int engine_images(struct cli *cli, const char *engine, int argc, char **argv)
{
        json_auto_t *a = NULL;
        json_t *im;
        size_t i;
        char path[128];

        snprintf(path, sizeof(path), "/v1/engines/%s/images", engine);
        int r = cli_fetch(cli, "images [--json]", path, argc, argv, &a);
        if (r || !a)
                return r;
        printf("%-40s %-20s %s\n", "TAGS", "ID", "SIZE");
        json_array_foreach(a, i, im) {
                const json_t *tags = json_object_get(im, "tags");
                const char *t = json_string_value(json_array_get(tags, 0));
                printf("%-40s %-20.19s %lld\n", t ? t : "<none>", cli_jstr(im, "id"),
                       (long long)json_integer_value(json_object_get(im, "size")));
        }
        return 0;
}

static int engine_load(struct cli *cli, const char *engine, int argc, char **argv)
{
        json_auto_t *reply = NULL;
        char path[128], abs[PATH_MAX];

        if (argc != 2 || argv[1][0] == '-')
                return cli_usage_error("load FILE.tar", "expected one tarball (made by 'docker save')");
        if (!realpath(argv[1], abs))
                return cli_fail("cannot find '%s': %s", argv[1], strerror(errno));
        json_auto_t *body = json_pack("{s:s}", "path", abs);
        snprintf(path, sizeof(path), "/v1/engines/%s/images/load", engine);
        int r = cli_api(cli, "POST", path, body, 180000, &reply);
        if (r)
                return r;
        if (cli->json)
                return cli_print_json(reply);
        fputs(cli_jstr(reply, "output"), stdout);
        return 0;
}

static int engine_rmi(struct cli *cli, const char *engine, int argc, char **argv)
{
        char path[400];

        if (argc != 2 || strpbrk(argv[1], "/?#% \t\r\n") || argv[1][0] == '-')
                return cli_usage_error("rmi IMAGE", "expected one image name or id (without '/')");
        snprintf(path, sizeof(path), "/v1/engines/%s/images/%s", engine, argv[1]);
        int r = cli_api(cli, "DELETE", path, NULL, 0, NULL);
        if (!r && !cli->json)
                printf("%s removed\n", argv[1]);
        return r;
}

#define ENGINE_VERBS(engine)                                                                                      \
        static int engine##_run(struct cli *cli, int argc, char **argv) { return engine_run(cli, #engine, argc, argv); } \
        static int engine##_images(struct cli *cli, int argc, char **argv) { return engine_images(cli, #engine, argc, argv); } \
        static int engine##_load(struct cli *cli, int argc, char **argv) { return engine_load(cli, #engine, argc, argv); } \
        static int engine##_rmi(struct cli *cli, int argc, char **argv) { return engine_rmi(cli, #engine, argc, argv); } \
        static const struct cli_command engine##_commands[] = {                                                   \
                { "run", engine##_run, #engine " " RUN_USAGE, "create and start a container" },                  \
                { "images", engine##_images, #engine " images [--json]", "list images" },                        \
                { "load", engine##_load, #engine " load FILE.tar", "load images from a 'docker save' tarball" },  \
                { "rmi", engine##_rmi, #engine " rmi IMAGE", "remove an image" },                                \
                {},                                                                                               \
        };                                                                                                        \
        int cmd_##engine(struct cli *cli, int argc, char **argv)                                                  \
        {                                                                                                         \
                return cli_dispatch(cli, #engine, engine##_commands, argc - 1, argv + 1);                        \
        }

ENGINE_VERBS(docker)
ENGINE_VERBS(podman)
