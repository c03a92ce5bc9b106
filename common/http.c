/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libhttp-parser glue shared by the HTTP server and client (see
 * http-internal.h), header lookup, status texts, responses, query strings
 * (application/x-www-form-urlencoded, one rule for every handler), and the
 * fuzzing entry points. Every byte of HTTP that barevirt reads goes through
 * bv_http_msg_feed(); nothing here parses HTTP by hand.
 *
 * Invariants: the arena m->head always keeps one spare byte for the NUL that
 * ends the element being appended, so ending an element never overflows;
 * m->body, when set, has room for body_len + 1 bytes; limits are checked
 * before anything is copied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/common-internal.h"
#include "common/common.h"

enum { LAST_NONE, LAST_URL, LAST_FIELD, LAST_VALUE };

/* Records why parsing stops; returns -1, libhttp-parser's "abort" from a callback. */
static int msg_fail(struct bv_http_msg *m, int error, int status)
{
        m->error = error;
        m->error_status = status;
        return -1;
}

static int arena_put(struct bv_http_msg *m, const char *at, size_t len)
{
        /* Defends the fixed head arena: one byte always stays free for the NUL. */
        if (m->head_len + len + 1 > sizeof(m->head))
                return msg_fail(m, -EMSGSIZE, 431);
        memcpy(m->head + m->head_len, at, len);
        m->head_len += len;
        m->seen = at + len;
        return 0;
}

static void arena_end(struct bv_http_msg *m)
{
        m->head[m->head_len++] = '\0';
}

static void msg_reset(struct bv_http_msg *m)
{
        m->headers_done = false;
        m->complete = false;
        m->keep_alive = false;
        m->error = 0;
        m->error_status = 0;
        m->last = LAST_NONE;
        m->head_len = 0;
        m->url_off = SIZE_MAX;
        m->path = m->query = NULL;
        m->n_headers = 0;
        m->body_len = 0;
}

static int cb_message_begin(http_parser *p)
{
        msg_reset(p->data);
        return 0;
}

static int cb_url(http_parser *p, const char *at, size_t len)
{
        struct bv_http_msg *m = p->data;

        if (m->last != LAST_URL) {
                m->url_off = m->head_len;
                m->last = LAST_URL;
        }
        return arena_put(m, at, len);
}

static int cb_header_field(http_parser *p, const char *at, size_t len)
{
        struct bv_http_msg *m = p->data;

        if (m->headers_done)
                return 0; /* chunked trailers: not kept (the parser bounds their size) */
        if (m->last != LAST_FIELD) {
                if (m->last != LAST_NONE)
                        arena_end(m);
                /* Defends the fixed header table against header floods. */
                if (m->n_headers >= BV_HTTP_MAX_HEADERS)
                        return msg_fail(m, -EMSGSIZE, 431);
                m->headers[m->n_headers].name = m->head + m->head_len;
                m->headers[m->n_headers].value = NULL;
                m->n_headers++;
                m->last = LAST_FIELD;
        }
        return arena_put(m, at, len);
}

static int cb_header_value(http_parser *p, const char *at, size_t len)
{
        struct bv_http_msg *m = p->data;

        if (m->headers_done)
                return 0; /* trailers, see above */
        if (m->last != LAST_VALUE) {
                if (m->last != LAST_FIELD || m->n_headers == 0)
                        return msg_fail(m, -EPROTO, 400);
                arena_end(m);
                m->headers[m->n_headers - 1].value = m->head + m->head_len;
                m->last = LAST_VALUE;
        }
        return arena_put(m, at, len);
}

int bv_http_buf_reserve(char **buf, size_t *cap, size_t want, size_t limit)
{
        if (want <= *cap)
                return 0;
        size_t n = *cap ? *cap : 256;
        while (n < want)
                n = n > SIZE_MAX / 2 ? want : n * 2;
        if (n > limit)
                n = BV_MAX(want, limit);
        char *b = realloc(*buf, n);
        if (!b)
                return -ENOMEM;
        *buf = b;
        *cap = n;
        return 0;
}

void bv_http_buf_trim(char **buf, size_t *cap)
{
        if (*cap <= BV_HTTP_KEEP_BUF)
                return;
        free(*buf);
        *buf = NULL;
        *cap = 0;
}

/* Room for want body bytes, never reserving more than the body may hold (and its NUL). */
static int body_reserve(struct bv_http_msg *m, size_t want)
{
        return bv_http_buf_reserve(&m->body, &m->body_cap, want, m->max_body < SIZE_MAX ? m->max_body + 1 : SIZE_MAX);
}

static int cb_headers_complete(http_parser *p)
{
        struct bv_http_msg *m = p->data;

        if (m->last != LAST_NONE)
                arena_end(m);
        m->last = LAST_NONE;
        for (size_t i = 0; i < m->n_headers; i++)
                if (!m->headers[i].value) /* no value seen: point at the name's NUL */
                        m->headers[i].value = m->headers[i].name + strlen(m->headers[i].name);
        if (m->url_off != SIZE_MAX) {
                char *url = m->head + m->url_off;
                char *frag = strchr(url, '#');
                if (frag)
                        *frag = '\0';
                char *q = strchr(url, '?');
                if (q) {
                        *q = '\0';
                        m->query = q + 1;
                }
                m->path = url;
        }
        m->headers_done = true;
        /* A head that came whole in one feed never reaches bv_http_msg_feed()'s own check. */
        if (m->head_bytes + (m->seen ? (size_t)(m->seen - m->feed) : 0) > m->max_head)
                return msg_fail(m, -EMSGSIZE, 431);
        if (m->on_head) {
                int r = m->on_head(m);
                if (r < 0)
                        return msg_fail(m, r, 500);
        }
        if (!m->on_data && !m->skip_body && (p->flags & F_CONTENTLENGTH)) {
                /* Checked up front so an oversized body is refused before it is read. */
                if (p->content_length > m->max_body)
                        return msg_fail(m, -EMSGSIZE, 413);
                /* Grown as bytes arrive past this, so heads alone cannot pin memory. */
                if (body_reserve(m, BV_MIN((size_t)p->content_length + 1, (size_t)BV_HTTP_KEEP_BUF)) < 0)
                        return msg_fail(m, -ENOMEM, 500);
        }
        return m->skip_body ? 1 : 0;
}

static int cb_body(http_parser *p, const char *at, size_t len)
{
        struct bv_http_msg *m = p->data;

        if (m->on_data) {
                int r = m->on_data(m, at, len);
                return r < 0 ? msg_fail(m, r, 500) : 0;
        }
        if (len > m->max_body - m->body_len)
                return msg_fail(m, -EMSGSIZE, 413);
        if (body_reserve(m, m->body_len + len + 1) < 0)
                return msg_fail(m, -ENOMEM, 500);
        memcpy(m->body + m->body_len, at, len);
        m->body_len += len;
        return 0;
}

static int cb_message_complete(http_parser *p)
{
        struct bv_http_msg *m = p->data;

        if (m->body)
                m->body[m->body_len] = '\0';
        m->complete = true;
        m->keep_alive = http_should_keep_alive(p) && !p->upgrade;
        /* Stop here: the rest of the buffer is the next message's. */
        http_parser_pause(p, 1);
        return 0;
}

static const http_parser_settings settings = {
        .on_message_begin = cb_message_begin,
        .on_url = cb_url,
        .on_header_field = cb_header_field,
        .on_header_value = cb_header_value,
        .on_headers_complete = cb_headers_complete,
        .on_body = cb_body,
        .on_message_complete = cb_message_complete,
};

void bv_http_msg_init(struct bv_http_msg *m, bool request, size_t max_body)
{
        http_parser_init(&m->parser, request ? HTTP_REQUEST : HTTP_RESPONSE);
        m->parser.data = m;
        m->max_body = max_body;
        m->max_head = BV_HTTP_MAX_HEAD;
        m->skip_body = false;
        m->head_bytes = 0;
        msg_reset(m);
}

void bv_http_msg_done(struct bv_http_msg *m)
{
        free(m->body);
        m->body = NULL;
        m->body_cap = m->body_len = 0;
}

void bv_http_msg_next(struct bv_http_msg *m)
{
        msg_reset(m);
        m->head_bytes = 0;
        if (m->body_cap > BV_HTTP_KEEP_BUF)
                bv_http_msg_done(m);
}

ssize_t bv_http_msg_feed(struct bv_http_msg *m, const char *data, size_t len)
{
        m->feed = data;
        m->seen = NULL;
        size_t n = http_parser_execute(&m->parser, &settings, data, len);
        enum http_errno e = HTTP_PARSER_ERRNO(&m->parser);

        if (e == HPE_PAUSED) {
                http_parser_pause(&m->parser, 0);
                return (ssize_t)n;
        }
        if (e != HPE_OK) {
                if (m->error)
                        return m->error;
                if (e == HPE_HEADER_OVERFLOW) {
                        m->error_status = 431;
                        return m->error = -EMSGSIZE;
                }
                m->error_status = 400;
                return m->error = e == HPE_INVALID_EOF_STATE ? -ECONNRESET : -EPROTO;
        }
        if (!m->headers_done && !m->complete) {
                /* Defends against endless heads made of bytes the arena does not keep. */
                m->head_bytes += n;
                if (m->head_bytes > m->max_head) {
                        m->error_status = 431;
                        return m->error = -EMSGSIZE;
                }
        }
        return (ssize_t)n;
}

const char *bv_http_msg_strerror(const struct bv_http_msg *m)
{
        switch (m->error) {
        case -EMSGSIZE:
                return m->error_status == 413 ? "body too large" : "head too large";
        case -ECONNRESET:
                return "input ended inside a message";
        case -ENOMEM:
                return "out of memory";
        default:
                break;
        }
        if (HTTP_PARSER_ERRNO(&m->parser) != HPE_OK)
                return http_errno_description(HTTP_PARSER_ERRNO(&m->parser));
        return "malformed message";
}

void bv_http_msg_to_request(struct bv_http_msg *m, struct bv_http_request *req)
{
        *req = (struct bv_http_request){
                .method = http_method_str((enum http_method)m->parser.method),
                .path = m->path ? m->path : "",
                .query = m->query,
                .headers = m->headers,
                .n_headers = m->n_headers,
                .body = m->body && m->body_len ? m->body : "",
                .body_len = m->body_len,
        };
}

/* The heap form of a response: one block, plus the body buffer taken from the parser. */
struct response_box {
        struct bv_http_response r;
        char *body_owned;
};

struct bv_http_response *bv_http_msg_to_response(struct bv_http_msg *m, bool with_body)
{
        size_t hdr_size = m->n_headers * sizeof(struct bv_http_header);
        struct response_box *box = malloc(sizeof(*box) + hdr_size + m->head_len + 1);

        if (!box)
                return NULL;
        struct bv_http_header *h = (struct bv_http_header *)(box + 1);
        char *arena = (char *)h + hdr_size;
        memcpy(arena, m->head, m->head_len);
        arena[m->head_len] = '\0';
        for (size_t i = 0; i < m->n_headers; i++) {
                h[i].name = arena + (m->headers[i].name - m->head);
                h[i].value = arena + (m->headers[i].value - m->head);
        }
        box->r = (struct bv_http_response){
                .status = (int)m->parser.status_code,
                .headers = h,
                .n_headers = m->n_headers,
        };
        box->body_owned = NULL;
        if (with_body) {
                if (m->body) {
                        m->body[m->body_len] = '\0';
                        box->body_owned = TAKE_PTR(m->body);
                        box->r.body = box->body_owned;
                        box->r.body_len = m->body_len;
                        m->body_cap = m->body_len = 0;
                } else
                        box->r.body = arena + m->head_len; /* "" */
        }
        return &box->r;
}

struct bv_http_response *bv_http_response_free(struct bv_http_response *r)
{
        if (r) {
                struct response_box *box = (struct response_box *)r;
                free(box->body_owned);
                free(box);
        }
        return NULL;
}

static const char *find_header(const struct bv_http_header *h, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcasecmp(h[i].name, name) == 0)
                        return h[i].value;
        return NULL;
}

const char *bv_http_request_header(const struct bv_http_request *req, const char *name)
{
        return find_header(req->headers, req->n_headers, name);
}

const char *bv_http_response_header(const struct bv_http_response *r, const char *name)
{
        return find_header(r->headers, r->n_headers, name);
}

const char *bv_http_status_text(int status)
{
        const char *s = status >= 100 && status <= 599 ? http_status_str((enum http_status)status) : NULL;

        return s && s[0] != '<' ? s : "Unknown";
}

/* ---- query strings ---------------------------------------------------- */

/* The value of hex digit c, or -EINVAL. */
static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

/*
 * The next decoded byte of the form-urlencoded text s[*i, n), advancing *i:
 * '+' is a space, %XX the byte XX. Returns the byte (1-255), or -EINVAL for
 * a malformed or truncated escape and for an escaped NUL, which would cut
 * the value short where a C string ends.
 */
static int form_byte(const char *s, size_t n, size_t *i)
{
        char c = s[(*i)++];

        if (c == '+')
                return ' ';
        if (c != '%')
                return (unsigned char)c;
        if (n - *i < 2)
                return -EINVAL;
        int hi = hex_value(s[*i]), lo = hex_value(s[*i + 1]);
        if (hi < 0 || lo < 0 || (hi | lo) == 0)
                return -EINVAL;
        *i += 2;
        return hi << 4 | lo;
}

/* Decodes s[0, n) into out (when not NULL). Returns the decoded length or -EINVAL. */
static ssize_t form_decode(const char *s, size_t n, char *out)
{
        size_t len = 0;

        for (size_t i = 0; i < n; len++) {
                int b = form_byte(s, n, &i);
                if (b < 0)
                        return b;
                if (out)
                        out[len] = (char)b;
        }
        return (ssize_t)len;
}

/* Whether s[0, n), already checked by form_decode(), decodes to key. */
static bool form_equal(const char *s, size_t n, const char *key)
{
        for (size_t i = 0; i < n; key++)
                if (*key == '\0' || form_byte(s, n, &i) != (unsigned char)*key)
                        return false;
        return *key == '\0';
}

/* One "key=value" of a query string, still encoded; value_len is its decoded length. */
struct query_pair {
        const char *key, *value;
        size_t key_n, value_n;
        size_t value_len;
};

/*
 * Splits the pair at *p off the query and moves *p past it and its '&'.
 * A pair without '=' has an empty value. Returns 0 or -EINVAL when the key
 * or the value does not decode.
 */
static int query_next(const char **p, struct query_pair *ret)
{
        const char *s = *p;
        size_t seg = strcspn(s, "&"), kn = strcspn(s, "=&");
        bool has_eq = kn < seg;
        struct query_pair q = {
                .key = s,
                .key_n = kn,
                .value = s + kn + has_eq,
                .value_n = seg - kn - has_eq,
        };
        ssize_t vl = form_decode(q.value, q.value_n, NULL);

        *p = s + seg + (s[seg] == '&');
        if (vl < 0 || form_decode(q.key, q.key_n, NULL) < 0)
                return -EINVAL;
        q.value_len = (size_t)vl;
        *ret = q;
        return 0;
}

int bv_http_query_get(const char *query, const char *key, char *buf, size_t len)
{
        struct query_pair q, found;
        bool have = false;

        if (!key || !*key)
                return -EINVAL;
        /* Every pair is checked, so a malformed query fails whichever key is asked for. */
        for (const char *p = query; p && *p;) {
                int r = query_next(&p, &q);
                if (r < 0)
                        return r;
                if (q.key_n == 0 && q.value_n == 0)
                        continue; /* "a=1&&b=2", a trailing '&' */
                if (!form_equal(q.key, q.key_n, key))
                        continue;
                /* Defends against a second value that one reader would take and another not. */
                if (have)
                        return -EINVAL;
                found = q;
                have = true;
        }
        if (!have) {
                if (len > 0)
                        buf[0] = '\0';
                return 0;
        }
        if (found.value_len >= len)
                return -ENOBUFS;
        form_decode(found.value, found.value_n, buf);
        buf[found.value_len] = '\0';
        return 1;
}

int bv_http_query_flag(const char *query, const char *key, bool *ret)
{
        static const struct {
                const char *word;
                bool value;
        } words[] = {
                { "", true }, { "1", true }, { "true", true }, { "yes", true },
                { "0", false }, { "false", false }, { "no", false },
        };
        char v[8];
        int r = bv_http_query_get(query, key, v, sizeof(v));

        if (r == -ENOBUFS)
                return -EINVAL; /* longer than any word we accept */
        if (r < 0)
                return r;
        if (r == 0) {
                *ret = false;
                return 0;
        }
        for (size_t i = 0; i < BV_ELEMENTSOF(words); i++)
                if (strcmp(v, words[i].word) == 0) {
                        *ret = words[i].value;
                        return 1;
                }
        return -EINVAL;
}

/* ---- fuzzing ---------------------------------------------------------- */

/* A parser for the fuzz entry points, which have no connection to embed it in. */
static struct bv_http_msg *fuzz_msg_new(bool request, bv_http_msg_head_cb on_head)
{
        struct bv_http_msg *m = malloc(sizeof(*m));

        if (!m)
                return NULL;
        m->body = NULL;
        m->body_cap = 0;
        m->on_head = on_head;
        m->on_data = NULL;
        bv_http_msg_init(m, request, 4096);
        return m;
}

/* The first byte of fuzz input picks the size of the pieces, as reads would split them. */
static size_t fuzz_piece(const uint8_t **data, size_t *len)
{
        if (*len == 0)
                return 1;
        size_t piece = (size_t)(*data)[0] + 1;
        (*data)++;
        (*len)--;
        return piece;
}

/* What the server reads from a request; touches every field, then hands it to cb. */
static size_t fuzz_use_request(struct bv_http_msg *m, bv_http_fuzz_request_cb cb, void *userdata)
{
        struct bv_http_request req;
        size_t sum = 0;

        bv_http_msg_to_request(m, &req);
        sum += strlen(req.method) + strlen(req.path) + (req.query ? strlen(req.query) : 0);
        for (size_t i = 0; i < req.n_headers; i++)
                sum += strlen(req.headers[i].name) + strlen(req.headers[i].value);
        const char *cl = bv_http_request_header(&req, "content-length");
        if (cl)
                sum += strlen(cl);
        if (req.body_len)
                sum += (unsigned char)req.body[req.body_len - 1] + (unsigned char)req.body[req.body_len];
        if (cb)
                cb(&req, userdata);
        return sum;
}

int bv_http_fuzz_parse_requests(const uint8_t *data, size_t len, bv_http_fuzz_request_cb cb,
                                void *userdata)
{
        _cleanup_free_ struct bv_http_msg *m = fuzz_msg_new(true, NULL);
        volatile size_t sink = 0;

        if (!m)
                return -ENOMEM;
        size_t piece = fuzz_piece(&data, &len);
        int r = 0;
        size_t off = 0;
        bool more = true;
        while (more && off < len) {
                const char *p = (const char *)data + off;
                size_t left = BV_MIN(piece, len - off);
                off += left;
                while (left > 0) {
                        ssize_t n = bv_http_msg_feed(m, p, left);
                        if (n < 0) {
                                r = (int)n;
                                more = false;
                                break;
                        }
                        p += n;
                        left -= (size_t)n;
                        if (m->complete) {
                                sink += fuzz_use_request(m, cb, userdata);
                                if (!m->keep_alive) {
                                        more = false;
                                        break;
                                }
                                bv_http_msg_next(m);
                        } else if (n == 0)
                                break;
                }
        }
        if (more && r == 0) {
                ssize_t n = bv_http_msg_feed(m, "", 0);
                if (n < 0)
                        r = (int)n;
        }
        (void)sink;
        bv_http_msg_done(m);
        return r;
}

static int fuzz_on_head(struct bv_http_msg *m)
{
        struct bv_http_response head = {
                .status = (int)m->parser.status_code,
                .headers = m->headers,
                .n_headers = m->n_headers,
        };
        const char *te = bv_http_response_header(&head, "transfer-encoding");
        return te && strlen(te) > 1000 ? -EINVAL : 0;
}

int bv_http_fuzz_parse_response(const uint8_t *data, size_t len)
{
        _cleanup_free_ struct bv_http_msg *m = fuzz_msg_new(false, fuzz_on_head);

        if (!m)
                return -ENOMEM;
        size_t piece = fuzz_piece(&data, &len);
        int r = 0;
        size_t off = 0;
        while (!m->complete && off < len) {
                size_t left = BV_MIN(piece, len - off);
                ssize_t n = bv_http_msg_feed(m, (const char *)data + off, left);
                if (n < 0) {
                        r = (int)n;
                        break;
                }
                off += (size_t)n;
                if (n == 0 && !m->complete)
                        break;
        }
        if (r == 0 && !m->complete) {
                ssize_t n = bv_http_msg_feed(m, "", 0);
                if (n < 0)
                        r = (int)n;
        }
        if (r == 0 && m->complete) {
                struct bv_http_response *resp = bv_http_msg_to_response(m, true);
                if (!resp)
                        r = -ENOMEM;
                else if (resp->body[resp->body_len] != '\0' || bv_http_response_header(resp, "x") == (const char *)1)
                        r = -EINVAL;
                bv_http_response_free(resp);
        }
        bv_http_msg_done(m);
        return r;
}
