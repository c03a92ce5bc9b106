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

#include "common/common.h"
#include "tools/cli/cli.h"

#define RUN_USAGE "run [--json] [--name NAME] [-e NAME=VALUE]... [-v SRC:DST[:ro]]... [-p [IP:]HOST:PORT]... " \
                  "[-l KEY=VALUE]... [-h HOSTNAME] [--memory SIZE] [--cpus N] [--restart POLICY] [--network NET] " \
                  "[-w DIR] [-u USER] [--entrypoint CMD] [-t] [-i] [-d] [--rm] [--project P] IMAGE [[--] CMD [ARG...]]"

/* "64m", "1g", "512k", "1048576" -> bytes; -1 when malformed. */
enum { OPT_NAME = CLI_OPT_OWN, OPT_CPUS, OPT_RESTART, OPT_NETWORK, OPT_ENTRYPOINT, OPT_RM, OPT_HOSTNAME };

static const struct cli_option run_options[] = {
        CLI_OPTION_JSON,
        { "name", 0, "NAME", "the container's name", "the engine's choice", OPT_NAME },
        { "env", 'e', "NAME=VALUE", "an environment variable (repeatable)", NULL, 'e' },
        { "volume", 'v', "SRC:DST[:ro]", "a bind mount (repeatable)", NULL, 'v' },
        { "memory", 'm', "SIZE", "memory limit in bytes, or with k, m or g (64m, 1g)", "none", 'm' },
        { "cpus", 0, "N", "CPU limit, may be fractional", "none", OPT_CPUS },
        { "restart", 0, "POLICY", "no, always, unless-stopped or on-failure[:N]", "no", OPT_RESTART },
        { "network", 0, "NET", "the engine's network to join (none: no network)", "the engine's", OPT_NETWORK },
        { "net", 0, "NET", "the same as --network", NULL, OPT_NETWORK },
        { "workdir", 'w', "DIR", "the working directory", "the image's", 'w' },
        { "user", 'u', "USER", "the user (NAME, UID or UID:GID)", "the image's", 'u' },
        { "entrypoint", 0, "CMD", "the program to run instead of the image's entrypoint", NULL, OPT_ENTRYPOINT },
        { "publish", 'p', "[IP:]HOST:PORT[/udp]", "publish the container's PORT on the engine host's HOST port "
          "(repeatable; an empty HOST lets the engine choose)", NULL, 'p' },
        { "label", 'l', "KEY=VALUE", "a label on the container (repeatable)", NULL, 'l' },
        { "hostname", 'h', "NAME", "the container's host name", "the engine's (its id)", OPT_HOSTNAME },
        { "tty", 't', NULL, "allocate a tty", NULL, 't' },
        { "interactive", 'i', NULL, "keep stdin open: without -d barevirt's own stdin goes to the container "
          "(attached on the engine's socket); with -d, for a later exec", NULL, 'i' },
        { "detach", 'd', NULL, "print the ref and return; the container goes on running", NULL, 'd' },
        { "rm", 0, NULL, "remove the container when it exits", NULL, OPT_RM },
        { "project", 0, "PROJECT", "its project (engine containers are default's)", "default", CLI_OPT_PROJECT },
        { "help", 0, NULL, "show this help (-h is --hostname, as in docker run)", NULL, CLI_OPT_HELP },
        {},
};

struct run {
        json_t *spec, *env, *binds, *ports, *labels;
        bool detach, rm, interactive;
};

static int add_label(struct cli *cli, json_t *labels, const char *val)
{
        const char *eq = strchr(val, '=');
        char key[256];

        if (eq == val || (eq && (size_t)(eq - val) >= sizeof(key)))
                return cli_usage_error(cli, "--label: '%s' is not KEY=VALUE", val);
        snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - val) : (int)strlen(val), val);
        json_object_set_new(labels, key, json_string(eq ? eq + 1 : ""));
        return 0;
}

static int set_memory(struct cli *cli, json_t *spec, const char *val)
{
        uint64_t m;
        int r = bv_parse_size(val, 1, &m);

        if (r == -EDOM)
                return cli_usage_error(cli, "--memory: '%s' must be positive", val);
        if (r < 0 || m > INT64_MAX)
                return cli_usage_error(cli, "--memory: '%s' is not a size (e.g. 64m, 1g)", val);
        json_object_set_new(spec, "memory", json_integer((json_int_t)m));
        return 0;
}

static int set_cpus(struct cli *cli, json_t *spec, const char *val)
{
        char *end;
        double c = strtod(val, &end);

        if (*end || end == val || !(c > 0))
                return cli_usage_error(cli, "invalid number of CPUs '%s'", val);
        json_object_set_new(spec, "cpus", json_real(c));
        return 0;
}

static int on_run_option(struct cli *cli, int id, const char *val, void *userdata)
{
        struct run *run = userdata;

        switch (id) {
        case 'd': run->detach = true; return 0;
        case 'i': run->interactive = true; json_object_set_new(run->spec, "interactive", json_true()); return 0;
        case OPT_RM: run->rm = true; return 0;
        case 'p': json_array_append_new(run->ports, json_string(val)); return 0;
        case 'l': return add_label(cli, run->labels, val);
        case OPT_HOSTNAME: json_object_set_new(run->spec, "hostname", json_string(val)); return 0;
        case 't': json_object_set_new(run->spec, "tty", json_true()); return 0;
        case 'e': json_array_append_new(run->env, json_string(val)); return 0;
        case 'v': json_array_append_new(run->binds, json_string(val)); return 0;
        case 'w': json_object_set_new(run->spec, "workdir", json_string(val)); return 0;
        case 'u': json_object_set_new(run->spec, "user", json_string(val)); return 0;
        case 'm': return set_memory(cli, run->spec, val);
        case OPT_CPUS: return set_cpus(cli, run->spec, val);
        case OPT_NAME: json_object_set_new(run->spec, "name", json_string(val)); return 0;
        case OPT_RESTART: json_object_set_new(run->spec, "restart", json_string(val)); return 0;
        case OPT_NETWORK: json_object_set_new(run->spec, "network", json_string(val)); return 0;
        case OPT_ENTRYPOINT: json_object_set_new(run->spec, "entrypoint", json_pack("[s]", val)); return 0;
        }
        return 0;
}

/*
 * POST /v1/instances, then .../start: the new container's ref in ref. With
 * attach_fd (-i in the foreground) the CLI attaches to it on the engine
 * before the start (*attach_fd the stream). Returns the exit code.
 */
static int create_and_start(struct cli *cli, const char *engine, json_t *spec, char *ref, size_t ref_len,
                            int *attach_fd, json_t **ret_reply)
{
        json_auto_t *reply = NULL;
        char path[400];
        int r;

        if (cli->project)
                json_object_set_new(spec, "project", json_string(cli->project));
        if ((r = cli_api(cli, "POST", "/v1/instances", spec, 120000, &reply)))
                return r;
        snprintf(ref, ref_len, "%s", cli_jstr(reply, "ref"));
        if (strpbrk(ref, "/?#% \t\r\n")) {
                r = cli_fail("barevirtd answered with a strange ref '%s'", ref);
                ref[0] = '\0';
                return r;
        }
        const char *colon = strchr(ref, ':');
        if (attach_fd && (r = cli_attach_open(cli, engine, colon ? colon + 1 : ref, attach_fd)))
                return r;
        snprintf(path, sizeof(path), "/v1/instances/%s/start", ref);
        return cli_api(cli, "POST", path, NULL, 0, ret_reply);
}

/* --rm: DELETE ?force=1 (the answer is not printed). Returns the exit code. */
static int remove_quietly(struct cli *cli, const char *ref)
{
        char path[400];

        snprintf(path, sizeof(path), "/v1/instances/%s?force=1", ref);
        return cli_api(cli, "DELETE", path, NULL, 0, NULL);
}

/*
 * Without -d: waits for the container, prints its log, returns its exit
 * status. With --rm it then removes it (here, not by the engine's AutoRemove,
 * which could take the log away before it is read).
 */
static int wait_and_print(struct cli *cli, const char *ref, bool print, bool rm)
{
        json_auto_t *reply = NULL, *logs = NULL;
        char path[400];
        int r;

        snprintf(path, sizeof(path), "/v1/instances/%s/wait", ref);
        if ((r = cli_api(cli, "POST", path, NULL, 24 * 3600 * 1000, &reply)))
                return r;
        int code = (int)(json_integer_value(json_object_get(reply, "exit_code")) & 0xff);
        if (!print)
                return rm && (r = remove_quietly(cli, ref)) ? r : code;
        snprintf(path, sizeof(path), "/v1/instances/%s/logs", ref);
        if ((r = cli_api(cli, "GET", path, NULL, 0, &logs)))
                return r;
        if (cli->json) {
                json_object_set_new(logs, "exit_code", json_integer(code));
                cli_print_json(logs);
        } else
                cli_print_output(logs);
        if (rm && (r = remove_quietly(cli, ref)))
                return r;
        return code;
}

static int engine_run(struct cli *cli, const char *engine, int argc, char **argv)
{
        json_auto_t *spec = json_pack("{s:s}", "engine", engine);
        json_auto_t *env = json_array(), *binds = json_array(), *cmd = json_array(), *reply = NULL;
        json_auto_t *ports = json_array(), *labels = json_object();
        struct run run = { .spec = spec, .env = env, .binds = binds, .ports = ports, .labels = labels };
        struct cli_args a = { .max = 1 };
        char ref[300] = "";
        int r;

        if (!spec || !env || !binds || !cmd || !ports || !labels)
                return cli_fail("out of memory");
        if ((r = cli_parse(cli, argc, argv, &a, on_run_option, &run)))
                return r;
        if (a.n == 0)
                return cli_usage_error(cli, "expected an IMAGE");
        bool attach = run.interactive && !run.detach;
        if (attach)
                json_object_set_new(spec, "stdin_once", json_true());
        if (run.rm && run.detach)
                json_object_set_new(spec, "auto_remove", json_true());
        json_object_set_new(spec, "image", json_string(a.arg[0]));
        for (int i = 0; i < a.n_rest; i++)
                json_array_append_new(cmd, json_string(a.rest[i]));
        cli_json_set_nonempty(spec, "cmd", cmd);
        cli_json_set_nonempty(spec, "env", env);
        cli_json_set_nonempty(spec, "binds", binds);
        cli_json_set_nonempty(spec, "ports", ports);
        if (json_object_size(labels))
                json_object_set(spec, "labels", labels);
        _cleanup_close_ int fd = -1;
        if ((r = create_and_start(cli, engine, spec, ref, sizeof(ref), attach ? &fd : NULL, &reply))) {
                if (run.rm && *ref)
                        remove_quietly(cli, ref);
                return r;
        }
        if (attach && (r = cli_attach_relay(fd, json_is_true(json_object_get(spec, "tty")))))
                return r;
        if (!run.detach)
                return wait_and_print(cli, ref, !attach, run.rm);
        if (cli->json)
                return cli_print_json(reply);
        printf("%s\n", ref);
        return 0;
}

static void image_row(const json_t *im, char cells[][CLI_CELL_MAX])
{
        const char *t = json_string_value(json_array_get(json_object_get(im, "tags"), 0));

        snprintf(cells[0], CLI_CELL_MAX, "%s", t ? t : "<none>");
        snprintf(cells[1], CLI_CELL_MAX, "%.19s", cli_jstr(im, "id"));
        cli_mib_text((json_integer_value(json_object_get(im, "size")) + (1 << 19)) >> 20, cells[2], CLI_CELL_MAX);
}

static const struct cli_column image_columns[] = {
        { "TAGS", CLI_COL_SHRINK }, { "ID", 0 }, { "SIZE", CLI_COL_RIGHT }, {},
};

static int engine_images(struct cli *cli, const char *engine, int argc, char **argv)
{
        static const struct cli_table t = { image_columns, "id", image_row, NULL };
        char path[128];

        snprintf(path, sizeof(path), "/v1/engines/%s/images", engine);
        return cli_list(cli, path, argc, argv, &t);
}

static int engine_load(struct cli *cli, const char *engine, int argc, char **argv)
{
        json_auto_t *reply = NULL;
        char path[128], abs[PATH_MAX];
        struct cli_args a = { .max = 1 };
        int r = cli_parse(cli, argc, argv, &a, NULL, NULL);

        if (r)
                return r;
        if (a.n != 1)
                return cli_usage_error(cli, "expected one tarball (made by 'docker save')");
        if (!realpath(a.arg[0], abs))
                return cli_fail("cannot find '%s': %s", a.arg[0], strerror(errno));
        json_auto_t *body = json_pack("{s:s}", "path", abs);
        snprintf(path, sizeof(path), "/v1/engines/%s/images/load", engine);
        if ((r = cli_api(cli, "POST", path, body, 180000, &reply)))
                return r;
        if (cli->json)
                return cli_print_json(reply);
        fputs(cli_jstr(reply, "output"), stdout);
        return 0;
}

static int engine_rmi(struct cli *cli, const char *engine, int argc, char **argv)
{
        char path[400];
        struct cli_args a = { .max = 1 };
        int r = cli_parse(cli, argc, argv, &a, NULL, NULL);

        if (r)
                return r;
        if (a.n != 1 || strpbrk(a.arg[0], "/?#% \t\r\n"))
                return cli_usage_error(cli, "expected one image name or id (without '/')");
        snprintf(path, sizeof(path), "/v1/engines/%s/images/%s", engine, a.arg[0]);
        r = cli_api(cli, "DELETE", path, NULL, 0, NULL);
        if (!r && !cli->json)
                printf("Image '%s' removed\n", a.arg[0]);
        return r;
}

#define ENGINE_VERBS(engine)                                                                                      \
        static int engine##_run(struct cli *cli, int argc, char **argv) { return engine_run(cli, #engine, argc, argv); } \
        static int engine##_images(struct cli *cli, int argc, char **argv) { return engine_images(cli, #engine, argc, argv); } \
        static int engine##_load(struct cli *cli, int argc, char **argv) { return engine_load(cli, #engine, argc, argv); } \
        static int engine##_rmi(struct cli *cli, int argc, char **argv) { return engine_rmi(cli, #engine, argc, argv); } \
        const struct cli_command cli_##engine##_commands[] = {                                                    \
                CLI_VERB_REST("run", engine##_run, #engine " " RUN_USAGE, "create and start a container",         \
                              run_options, CLI_REST_AFTER_ARG0),                                                     \
                CLI_VERB("images", engine##_images, #engine " images [-q] [--format TEMPLATE] [--json]", "list images", cli_table_options),  \
                CLI_VERB("load", engine##_load, #engine " load FILE.tar", "load images from a 'docker save' tarball", \
                         NULL),                                                                                   \
                CLI_VERB("rmi", engine##_rmi, #engine " rmi IMAGE", "remove an image", NULL),                      \
                {},                                                                                               \
        };

ENGINE_VERBS(docker)
ENGINE_VERBS(podman)
