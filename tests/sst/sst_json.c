/* sst_json.c — recursive-descent JSON parser (RFC 8259 grammar) into JsonNode trees; see sst_json.h.
 * Invariants: the cursor never passes the end; depth is bounded; on error everything allocated is freed.
 * Left out: validation of numbers beyond what strtod accepts, duplicate-key detection. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "sst_json.h"

typedef struct Parser {
    const char *p, *end, *start;
    char *err;
    size_t errlen;
    int depth;
} Parser;

static JsonNode *parse_value(Parser *ps);

static void fail(Parser *ps, const char *what)
{
    if (ps->err && ps->err[0] == 0)
        snprintf(ps->err, ps->errlen, "JSON: %s at byte %ld", what, (long)(ps->p - ps->start));
}

static void skip_ws(Parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static bool accept_word(Parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return false;
    ps->p += n;
    return true;
}

static JsonNode *node_new(JsonType t)
{
    JsonNode *n = calloc(1, sizeof(*n));
    if (n)
        n->type = t;
    return n;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Append code point cp as UTF-8 (cp < 0x10000). */
static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xc0 | cp >> 6); out[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
    out[0] = (char)(0xe0 | cp >> 12);
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
}

/* Parse a string starting at the opening quote; returns a malloc'd NUL-terminated copy. */
static char *parse_string(Parser *ps)
{
    if (ps->p >= ps->end || *ps->p != '"') {
        fail(ps, "expected string");
        return NULL;
    }
    ps->p++;
    /* the decoded string is never longer than its source (\uXXXX: 6 bytes -> at most 3) */
    const char *q = ps->p;
    while (q < ps->end && *q != '"')
        q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
    if (q >= ps->end) {
        fail(ps, "unterminated string");
        return NULL;
    }
    char *out = malloc((size_t)(q - ps->p) + 1), *o = out;
    if (!out)
        return NULL;
    while (ps->p < q) {
        char c = *ps->p++;
        if (c != '\\') {
            *o++ = c;
            continue;
        }
        char e = *ps->p++;
        switch (e) {
        case '"': case '\\': case '/': *o++ = e; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp = 0;
            for (int i = 0; i < 4; i++) {
                int d = ps->p < q ? hex_digit(*ps->p++) : -1;
                if (d < 0) {
                    fail(ps, "bad \\u escape");
                    free(out);
                    return NULL;
                }
                cp = cp << 4 | (unsigned)d;
            }
            o += put_utf8(o, cp);
            break;
        }
        default:
            fail(ps, "bad escape");
            free(out);
            return NULL;
        }
    }
    *o = 0;
    ps->p = q + 1;
    return out;
}

static JsonNode *parse_number(Parser *ps)
{
    char buf[64];
    size_t n = 0;
    while (ps->p + n < ps->end && n < sizeof(buf) - 1 && strchr("+-0123456789.eE", ps->p[n]))
        n++;
    memcpy(buf, ps->p, n);
    buf[n] = 0;
    char *endp;
    double v = strtod(buf, &endp);
    if (n == 0 || endp != buf + n) {
        fail(ps, "bad number");
        return NULL;
    }
    ps->p += n;
    JsonNode *node = node_new(JSON_NUM);
    if (node)
        node->num = v;
    return node;
}

/* Elements of an array or members of an object, after the opening bracket. */
static JsonNode *parse_container(Parser *ps, bool is_obj)
{
    JsonNode *node = node_new(is_obj ? JSON_OBJ : JSON_ARR), **tail = node ? &node->child : NULL;
    char close = is_obj ? '}' : ']';
    if (!node)
        return NULL;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return node;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(ps);
        if (is_obj) {
            key = parse_string(ps);
            skip_ws(ps);
            if (!key || ps->p >= ps->end || *ps->p++ != ':') {
                free(key);
                fail(ps, "expected ':'");
                goto bad;
            }
        }
        JsonNode *v = parse_value(ps);
        if (!v) {
            free(key);
            goto bad;
        }
        v->key = key;
        *tail = v;
        tail = &v->next;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return node;
        }
        fail(ps, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
        goto bad;
    }
bad:
    json_free(node);
    return NULL;
}

static JsonNode *parse_value(Parser *ps)
{
    JsonNode *n = NULL;
    skip_ws(ps);
    if (ps->p >= ps->end) {
        fail(ps, "unexpected end");
        return NULL;
    }
    if (++ps->depth > JSON_MAX_DEPTH) {
        fail(ps, "nested too deeply");
        return NULL;
    }
    char c = *ps->p;
    if (c == '{' || c == '[') {
        ps->p++;
        n = parse_container(ps, c == '{');
    } else if (c == '"') {
        char *s = parse_string(ps);
        if (s && (n = node_new(JSON_STR)))
            n->str = s;
        else
            free(s);
    } else if (accept_word(ps, "true") || accept_word(ps, "false")) {
        if ((n = node_new(JSON_BOOL)))
            n->num = ps->p[-1] == 'e' && ps->p[-2] == 'u';
    } else if (accept_word(ps, "null")) {
        n = node_new(JSON_NULL);
    } else {
        n = parse_number(ps);
    }
    ps->depth--;
    return n;
}

JsonNode *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    Parser ps = { text, text + len, text, err, errlen, 0 };
    if (err && errlen)
        err[0] = 0;
    JsonNode *root = parse_value(&ps);
    skip_ws(&ps);
    if (root && ps.p != ps.end) {
        fail(&ps, "trailing data");
        json_free(root);
        return NULL;
    }
    return root;
}

void json_free(JsonNode *n)
{
    while (n) {
        JsonNode *next = n->next;
        json_free(n->child);
        free(n->key);
        free(n->str);
        free(n);
        n = next;
    }
}

const JsonNode *json_get(const JsonNode *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJ)
        return NULL;
    for (const JsonNode *c = obj->child; c; c = c->next)
        if (c->key && strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

const char *json_get_str(const JsonNode *obj, const char *key)
{
    const JsonNode *n = json_get(obj, key);
    return n && n->type == JSON_STR ? n->str : NULL;
}

double json_get_num(const JsonNode *obj, const char *key, double dflt)
{
    const JsonNode *n = json_get(obj, key);
    return n && n->type == JSON_NUM ? n->num : dflt;
}
