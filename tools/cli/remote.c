/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Remotes (TLS builds): barevirtd on another machine, reached over HTTPS
 * with this user's client certificate, the server pinned by its
 * certificate's SHA-256 as the join token gave it (tls/client.c). What
 * lives in $XDG_CONFIG_HOME/barevirt (~/.config/barevirt), each file 0600:
 *
 *   client.crt, client.key   one self-signed client certificate for every
 *                            remote, as Incus has it (made by remote add)
 *   remotes.json             {"default": NAME, "remotes": {NAME:
 *                            {"addresses": [ADDR:PORT...], "fingerprint"}}}
 *
 * The remote "local" (barevirtd's UNIX socket) is built in and never in
 * the file. With a remote, cli->client's connections come from
 * tls_client_connect() and the rest of the CLI is unchanged.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tls/tls.h"
#include "tools/cli/cli.h"

#define REMOTES_MAX (1024 * 1024)
#define CONNECT_TIMEOUT_MS 10000

struct cli_remote {
        struct tls_client *tls;
        char fingerprint[BV_SHA256_HEX];
        size_t n;
        char addrs[TLS_JOIN_MAX_ADDRS][TLS_PEER_MAX];
        const char *ptrs[TLS_JOIN_MAX_ADDRS];
};

int cli_config_path(const char *file, char *buf, size_t len)
{
        const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        int n;

        if (xdg && xdg[0] == '/')
                n = snprintf(buf, len, "%s/barevirt%s%s", xdg, file ? "/" : "", file ? file : "");
        else if (home && home[0] == '/')
                n = snprintf(buf, len, "%s/.config/barevirt%s%s", home, file ? "/" : "", file ? file : "");
        else
                return cli_fail("neither XDG_CONFIG_HOME nor HOME is set: no place for the remotes");
        return n < 0 || (size_t)n >= len ? cli_fail("the config path is too long") : 0;
}

/* One entry of "remotes": known keys, 1..TLS_JOIN_MAX_ADDRS addresses, a fingerprint. */
static int check_remote(const char *name, const json_t *r, struct bv_error *err)
{
        static const char *const keys[] = { "addresses", "fingerprint", NULL };
        const json_t *a = json_object_get(r, "addresses"), *v;
        struct sockaddr_storage ss;
        socklen_t len;
        size_t i;

        if (!bv_name_is_valid(name) || strcmp(name, "local") == 0)
                return bv_error_set(err, EINVAL, "remotes: '%.64s' is not a valid remote name", name);
        if (!json_is_object(r) || bv_json_check_keys(r, keys, "", err) < 0)
                return bv_error_set(err, EINVAL, "remotes.%s: expected {\"addresses\", \"fingerprint\"}", name);
        if (!tls_hex64_is_valid(json_string_value(json_object_get(r, "fingerprint"))))
                return bv_error_set(err, EINVAL, "remotes.%s.fingerprint: expected 64 lowercase hex digits", name);
        if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > TLS_JOIN_MAX_ADDRS)
                return bv_error_set(err, EINVAL, "remotes.%s.addresses: expected 1 to %d", name, TLS_JOIN_MAX_ADDRS);
        json_array_foreach(a, i, v) {
                const char *s = json_string_value(v);
                if (!s || strlen(s) >= TLS_PEER_MAX || tls_addr_parse(s, &ss, &len) < 0)
                        return bv_error_set(err, EINVAL, "remotes.%s.addresses[%zu]: expected IPv4:PORT or [IPv6]:PORT",
                                            name, i);
        }
        return 0;
}

int cli_remotes_load(json_t **ret)
{
        static const char *const keys[] = { "default", "remotes", NULL };
        struct bv_error err = {};
        json_auto_t *o = NULL;
        char path[4096];
        const char *name, *def;
        json_t *r, *remotes;
        int rc;

        if ((rc = cli_config_path("remotes.json", path, sizeof(path))))
                return rc;
        if (bv_json_load_file(path, REMOTES_MAX, &o, &err) < 0) {
                if (err.error != ENOENT)
                        return cli_fail("%s", err.msg);
                o = json_pack("{s:s,s:{}}", "default", "local", "remotes");
                if (!o)
                        return cli_fail("out of memory");
        }
        remotes = json_object_get(o, "remotes");
        def = json_string_value(json_object_get(o, "default"));
        if (bv_json_check_keys(o, keys, "", &err) < 0 || !json_is_object(remotes) || !def)
                return cli_fail("'%s': expected {\"default\": NAME, \"remotes\": {...}}%s%s", path,
                                err.msg[0] ? ": " : "", err.msg);
        json_object_foreach(remotes, name, r)
                if (check_remote(name, r, &err) < 0)
                        return cli_fail("'%s': %s", path, err.msg);
        if (strcmp(def, "local") != 0 && !json_object_get(remotes, def))
                return cli_fail("'%s': the default remote '%.64s' is not among the remotes", path, def);
        *ret = TAKE_PTR(o);
        return 0;
}

int cli_remotes_save(const json_t *cfg)
{
        _cleanup_free_ char *s = json_dumps(cfg, JSON_INDENT(2) | JSON_SORT_KEYS);
        struct bv_error err = {};
        char dir[4096], path[4096];
        int rc;

        if ((rc = cli_config_path(NULL, dir, sizeof(dir))) || (rc = cli_config_path("remotes.json", path, sizeof(path))))
                return rc;
        if (!s)
                return cli_fail("out of memory");
        if (bv_mkdir_p(dir, 0700, &err) < 0 || bv_file_write_atomic(path, s, strlen(s), 0600, &err) < 0)
                return cli_fail("%s", err.msg);
        return 0;
}

const char *cli_remote_current(struct cli *cli, const json_t *cfg)
{
        return cli->remote ? cli->remote : json_string_value(json_object_get(cfg, "default"));
}

static int connect_remote(void *userdata, struct bv_error *err)
{
        struct cli_remote *rm = userdata;

        return tls_client_connect(rm->tls, rm->ptrs, rm->n, rm->fingerprint, CONNECT_TIMEOUT_MS, NULL, err);
}

/* The client certificate and key: read, or made first when make (remote add). Returns the exit code. */
static int client_identity(bool make, char **cert, size_t *cert_len, char **key, size_t *key_len)
{
        char dir[4096], crt_path[4096], key_path[4096], cn[128], host[64] = "localhost";
        struct bv_error err = {};
        int rc;

        if ((rc = cli_config_path(NULL, dir, sizeof(dir))) || (rc = cli_config_path("client.crt", crt_path, sizeof(crt_path))) ||
            (rc = cli_config_path("client.key", key_path, sizeof(key_path))))
                return rc;
        if (make && access(crt_path, F_OK) < 0 && access(key_path, F_OK) < 0) {
                gethostname(host, sizeof(host) - 1);
                snprintf(cn, sizeof(cn), "barevirt client %s@%s", getenv("USER") ? getenv("USER") : "root", host);
                if (bv_mkdir_p(dir, 0700, &err) < 0 || tls_identity_make_client(crt_path, key_path, cn, &err) < 0)
                        return cli_fail("cannot make a client certificate in '%s': %s", dir, err.msg);
                fprintf(stderr, "Made a client certificate: '%s'\n", crt_path);
        }
        if (bv_file_read(crt_path, TLS_PEM_MAX, cert, cert_len, &err) < 0 ||
            bv_file_read(key_path, TLS_PEM_MAX, key, key_len, &err) < 0)
                return cli_fail("%s (barevirt remote add makes the client certificate)", err.msg);
        return 0;
}

/* cli->client to the remote name at addresses (a JSON array) pinned to fingerprint. Returns the exit code. */
static int open_remote(struct cli *cli, const char *name, const json_t *addresses, const char *fingerprint, bool make)
{
        _cleanup_free_ char *cert = NULL, *key = NULL;
        struct bv_error err = {};
        size_t cert_len = 0, key_len = 0, i;
        json_t *v;
        int rc;

        if ((rc = client_identity(make, &cert, &cert_len, &key, &key_len)))
                return rc;
        if (!cli->loop && bv_loop_new(&cli->loop, &err) < 0)
                return cli_fail("%s", err.msg);
        cli->rmt = calloc(1, sizeof(*cli->rmt));
        if (!cli->rmt)
                return cli_fail("out of memory");
        json_array_foreach(addresses, i, v) {
                if (i >= TLS_JOIN_MAX_ADDRS)
                        break;
                snprintf(cli->rmt->addrs[i], TLS_PEER_MAX, "%s", json_string_value(v));
                cli->rmt->ptrs[i] = cli->rmt->addrs[i];
                cli->rmt->n++;
        }
        snprintf(cli->rmt->fingerprint, sizeof(cli->rmt->fingerprint), "%s", fingerprint);
        struct tls_client_config cfg = { cert, key, cert_len, key_len };
        rc = tls_client_new(&cfg, cli->loop, &cli->rmt->tls, &err);
        explicit_bzero(key, key_len);
        if (rc < 0)
                return cli_fail("%s", err.msg);
        snprintf(cli->remote_name, sizeof(cli->remote_name), "%s", name);
        if (bv_http_client_new_connect(cli->loop, name, connect_remote, cli->rmt, &cli->client, &err) < 0)
                return cli_fail("%s", err.msg);
        return 0;
}

int cli_remote_open(struct cli *cli)
{
        json_auto_t *cfg = NULL;
        int rc;

        if (cli->socket_given && !cli->remote_given)
                return 0;  /* --socket: that socket (local) unless --remote says otherwise */
        if ((rc = cli_remotes_load(&cfg)))
                return rc;
        const char *name = cli_remote_current(cli, cfg);
        if (strcmp(name, "local") == 0)
                return 0;
        json_t *r = json_object_get(json_object_get(cfg, "remotes"), name);
        if (!r)
                return cli_fail("no remote named '%.64s' (see 'barevirt remote list')", name);
        return open_remote(cli, name, json_object_get(r, "addresses"), json_string_value(json_object_get(r, "fingerprint")),
                           false);
}

int cli_remote_enrol(struct cli *cli, const char *name, const char *token, json_t **ret_entry, json_t **ret_remote)
{
        json_auto_t *addrs = json_array(), *body = NULL, *entry = NULL;
        _cleanup_free_ char *cert = NULL;
        struct bv_error err = {};
        struct tls_join j;
        char path[4096];
        size_t len;
        int rc;

        if (tls_join_decode(token, strlen(token), &j, &err) < 0)
                return cli_fail("%s", err.msg);
        for (size_t i = 0; addrs && i < j.n_addrs; i++)
                json_array_append_new(addrs, json_string(j.addrs[i]));
        if (!addrs)
                return cli_fail("out of memory");
        if ((rc = open_remote(cli, name, addrs, j.fingerprint, true)) ||
            (rc = cli_config_path("client.crt", path, sizeof(path))))
                return rc;
        if (bv_file_read(path, TLS_PEM_MAX, &cert, &len, &err) < 0)
                return cli_fail("%s", err.msg);
        body = json_pack("{s:s,s:s%}", "secret", j.secret, "certificate", cert, len);
        explicit_bzero(&j.secret, sizeof(j.secret));
        if (!body)
                return cli_fail("out of memory");
        if ((rc = cli_api(cli, "POST", "/v1/enrol", body, 0, &entry)))
                return rc;
        *ret_remote = json_pack("{s:O,s:s}", "addresses", addrs, "fingerprint", j.fingerprint);
        *ret_entry = TAKE_PTR(entry);
        return *ret_remote ? 0 : cli_fail("out of memory");
}

void cli_remote_free(struct cli *cli)
{
        if (!cli->rmt)
                return;
        tls_client_free(cli->rmt->tls);
        free(cli->rmt);
        cli->rmt = NULL;
}
