/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one table printer of the CLI: every list verb (list, vm list, ct
 * list, net list, docker|podman images) describes its columns and fills
 * a row of cells per JSON element; this file aligns them, fits them to
 * the terminal (COLUMNS, else TIOCGWINSZ when stdout is a terminal; piped
 * output is never cut unless COLUMNS asks), shortens paths from the left
 * (`…/guest/vmlinuz`) and other cells from the right, and answers the
 * list options: -q (names only), -a/--all, --format TEMPLATE|json.
 * Widths count UTF-8 characters, not bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/common.h"
#include "tools/cli/cli.h"

enum { OPT_QUIET = 'q', OPT_ALL = 'a', OPT_FORMAT = CLI_OPT_OWN + 40 };

const struct cli_option cli_table_options[] = {
        CLI_OPTION_JSON,
        { "quiet", 'q', NULL, "print the names only, one a line", NULL, OPT_QUIET },
        { "all", 'a', NULL, "stopped ones too (list always shows every one; accepted as docker ps -a is)", NULL,
          OPT_ALL },
        { "format", 0, "TEMPLATE", "each row as TEMPLATE, fields by JSON key: '{{.name}} {{.state}}'; or json",
          "a table", OPT_FORMAT },
        { "project", 0, "PROJECT", "only what belongs to PROJECT", "every project", CLI_OPT_PROJECT },
        {},
};

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one column */

/* Characters in s (UTF-8: every byte that does not continue a sequence). */
static size_t text_width(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                n += ((unsigned char)*s & 0xc0) != 0x80;
        return n;
}

/* Byte offset of character number chars in s (or its end). */
static size_t char_offset(const char *s, size_t chars)
{
        size_t i = 0;

        for (; s[i]; i++)
                if (((unsigned char)s[i] & 0xc0) != 0x80 && chars-- == 0)
                        break;
        return i;
}

/*
 * Copies s into out (CLI_CELL_MAX bytes) in at most width characters: a
 * path keeps its end from a '/' on ("…/guest/vmlinuz"), other text its
 * start ("long-na…").
 */
static void fit_cell(const char *s, size_t width, bool path, char *out)
{
        size_t w = text_width(s);

        if (w <= width || width == 0) {
                snprintf(out, CLI_CELL_MAX, "%s", width ? s : "");
                return;
        }
        if (!path) {
                snprintf(out, CLI_CELL_MAX, "%.*s" ELLIPSIS, (int)char_offset(s, width - 1), s);
                return;
        }
        const char *tail = s + char_offset(s, w - (width - 1));
        const char *slash = strchr(tail, '/');
        if (slash && slash[1])
                tail = slash;
        snprintf(out, CLI_CELL_MAX, ELLIPSIS "%s", tail);
}

int cli_table_width(void)
{
        const char *c = getenv("COLUMNS");
        struct winsize ws;
        unsigned v;

        if (c && *c && bv_parse_uint(c, 1, 100000, &v) >= 0)
                return (int)v;
        if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                return ws.ws_col;
        return 0;
}

/* Cells of every row: rows x CLI_TABLE_COLS_MAX cells. */
typedef char cli_row_cells[CLI_TABLE_COLS_MAX][CLI_CELL_MAX];

void cli_table_print(const struct cli_table *t, const json_t *rows, int width, FILE *f)
{
        size_t ncols = 0, nrows = json_array_size(rows), w[CLI_TABLE_COLS_MAX] = { 0 };
        const json_t *v;
        size_t i;

        while (ncols < CLI_TABLE_COLS_MAX && t->columns[ncols].title)
                ncols++;
        _cleanup_free_ cli_row_cells *cells = calloc(nrows + 1, sizeof(*cells));
        if (!cells)
                return;
        for (size_t c = 0; c < ncols; c++)
                snprintf(cells[0][c], CLI_CELL_MAX, "%s", t->columns[c].title);
        json_array_foreach(rows, i, v)
                t->row(v, cells[i + 1]);
        for (size_t r = 0; r <= nrows; r++)
                for (size_t c = 0; c < ncols; c++)
                        if (text_width(cells[r][c]) > w[c])
                                w[c] = text_width(cells[r][c]);

        /*
         * Too wide: paths give first (down to 16 characters, "…/guest/vmlinuz"),
         * then the widest other column that may shrink (down to its title or 8).
         */
        size_t total = 2 * (ncols - 1);
        for (size_t c = 0; c < ncols; c++)
                total += w[c];
        for (unsigned pass = 0; pass < 2; pass++)
                while (width > 0 && total > (size_t)width) {
                        size_t best = ncols;
                        for (size_t c = 0; c < ncols; c++) {
                                unsigned fl = t->columns[c].flags;
                                size_t min = BV_MAX(text_width(t->columns[c].title), (size_t)(fl & CLI_COL_PATH ? 16 : 8));
                                if ((pass ? fl & (CLI_COL_PATH | CLI_COL_SHRINK) : fl & CLI_COL_PATH) && w[c] > min &&
                                    (best == ncols || w[c] > w[best]))
                                        best = c;
                        }
                        if (best == ncols)
                                break;
                        w[best]--;
                        total--;
                }

        char cell[CLI_CELL_MAX];
        for (size_t r = 0; r <= nrows; r++) {
                for (size_t c = 0; c < ncols; c++) {
                        const struct cli_column *col = &t->columns[c];
                        fit_cell(cells[r][c], w[c], r > 0 && (col->flags & CLI_COL_PATH), cell);
                        int pad = (int)(w[c] - text_width(cell));
                        bool last = c + 1 == ncols;
                        if (col->flags & CLI_COL_RIGHT)
                                fprintf(f, "%*s%s%s", pad, "", cell, last ? "" : "  ");
                        else
                                fprintf(f, "%s%*s", cell, last ? 0 : pad + 2, "");
                }
                fputc('\n', f);
        }
}

/* ---- --format TEMPLATE ------------------------------------------------------------- */

/* The value at a dotted key ("definition.memory") in o, or NULL. */
static const json_t *field_get(const json_t *o, const char *key, size_t len)
{
        char k[128];

        while (o && len) {
                size_t n = strcspn(key, ".");
                if (n > len)
                        n = len;
                snprintf(k, sizeof(k), "%.*s", (int)BV_MIN(n, sizeof(k) - 1), key);
                o = json_object_get(o, k);
                key += n;
                len -= n;
                if (len && *key == '.')
                        key++, len--;
        }
        return o;
}

/*
 * Walks tmpl: literal text and "\t", "\n" go to f (if f), each
 * "{{.KEY}}" (spaces allowed inside the braces) to field(). Returns 0, or
 * -EINVAL with *bad set to an unclosed "{{" or a field without a dot.
 */
static int template_walk(const char *tmpl, FILE *f,
                         int (*field)(const char *key, size_t len, void *userdata), void *userdata,
                         const char **bad)
{
        for (const char *p = tmpl; *p;) {
                if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
                        if (f)
                                fputc(p[1] == 't' ? '\t' : '\n', f);
                        p += 2;
                        continue;
                }
                if (strncmp(p, "{{", 2) != 0) {
                        if (f)
                                fputc(*p, f);
                        p++;
                        continue;
                }
                const char *end = strstr(p, "}}"), *k = p + 2;
                if (!end) {
                        *bad = p;
                        return -EINVAL;
                }
                while (*k == ' ')
                        k++;
                size_t len = (size_t)(end - k);
                while (len && k[len - 1] == ' ')
                        len--;
                if (len < 2 || *k != '.') {
                        *bad = p;
                        return -EINVAL;
                }
                int r = field(k + 1, len - 1, userdata);
                if (r < 0) {
                        *bad = k + 1;
                        return r;
                }
                p = end + 2;
        }
        return 0;
}

/* A field that no row has is unknown. */
static int field_check(const char *key, size_t len, void *userdata)
{
        const json_t *rows = userdata, *v;
        size_t i;

        json_array_foreach(rows, i, v)
                if (field_get(v, key, len))
                        return 0;
        return json_array_size(rows) ? -ENOENT : 0;
}

struct field_out {
        const json_t *row;
        FILE *f;
};

static int field_print(const char *key, size_t len, void *userdata)
{
        struct field_out *o = userdata;
        const json_t *v = field_get(o->row, key, len);

        if (json_is_string(v))
                fputs(json_string_value(v), o->f);
        else if (v && !json_is_null(v))
                json_dumpf(v, o->f, JSON_COMPACT | JSON_ENCODE_ANY);
        return 0;
}

static int print_format(struct cli *cli, const char *tmpl, const json_t *rows)
{
        const char *bad = NULL;
        const json_t *v;
        size_t i;
        int r = template_walk(tmpl, NULL, field_check, (void *)rows, &bad);

        if (r == -ENOENT) {
                char keys[512] = "";
                const char *k;
                json_t *unused;
                json_object_foreach((json_t *)json_array_get(rows, 0), k, unused)
                        snprintf(keys + strlen(keys), sizeof(keys) - strlen(keys), "%s%s", *keys ? ", " : "", k);
                return cli_usage_error(cli, "--format: no field '%.*s' in these rows (fields: %s)",
                                       (int)strcspn(bad, "} "), bad, keys);
        }
        if (r < 0)
                return cli_usage_error(cli, "--format: expected '{{.FIELD}}' at '%s'", bad);
        json_array_foreach(rows, i, v) {
                struct field_out o = { v, stdout };
                template_walk(tmpl, stdout, field_print, &o, &bad);
                fputc('\n', stdout);
        }
        return 0;
}

/* ---- the list verb ----------------------------------------------------------------- */

struct list_opts {
        bool quiet;
        const char *format;
};

static int on_list_option(struct cli *cli, int id, const char *val, void *userdata)
{
        struct list_opts *o = userdata;

        (void)cli;
        if (id == OPT_QUIET)
                o->quiet = true;
        else if (id == OPT_FORMAT)
                o->format = val;
        return 0;
}

int cli_list(struct cli *cli, const char *path, int argc, char **argv, const struct cli_table *t)
{
        struct list_opts o = {};
        struct cli_args a = {};
        json_auto_t *rows = NULL;
        const json_t *v;
        size_t i;
        int r = cli_parse(cli, argc, argv, &a, on_list_option, &o);

        if (r)
                return r;
        if (o.format && strcmp(o.format, "json") == 0)
                cli->json = true;
        if ((cli->json && (o.quiet || (o.format && !cli->json))) || (o.quiet && o.format))
                return cli_usage_error(cli, "-q, --format and --json exclude each other");
        if (t->projects && !cli->json && !o.quiet && !o.format) {
                json_auto_t *projects = NULL;
                if ((r = cli_api(cli, "GET", "/v1/projects", NULL, 0, &projects)))
                        return r;
                if (json_array_size(projects) > 1)
                        t = t->projects;
        }
        if ((r = cli_api(cli, "GET", path, NULL, 0, &rows)))
                return r;
        if (!json_is_array(rows))
                return cli_fail("unexpected reply to GET %s", path);
        for (i = json_array_size(rows); cli->project && i-- > 0;)
                if (strcmp(cli_jstr(json_array_get(rows, i), "project"), cli->project) != 0)
                        json_array_remove(rows, i);
        if (cli->json)
                return cli_print_json(rows);
        if (o.format)
                return print_format(cli, o.format, rows);
        if (o.quiet) {
                json_array_foreach(rows, i, v)
                        printf("%s\n", cli_jstr(v, t->name_key));
                return 0;
        }
        cli_table_print(t, rows, cli_table_width(), stdout);
        return 0;
}
