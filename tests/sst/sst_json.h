/* sst_json.h — a small JSON reader for the conformance metadata (metadata.json): parses a whole document into a
 * tree of nodes. Invariants: never reads past the input, nesting is bounded (JSON_MAX_DEPTH), every node is freed
 * by json_free. Left out: writing JSON, surrogate pairs in \u escapes (encoded as two 3-byte sequences), numbers
 * beyond double precision. */
#ifndef PCJIT_SST_JSON_H
#define PCJIT_SST_JSON_H
#include <stddef.h>

enum { JSON_MAX_DEPTH = 64 };
typedef enum JsonType { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ } JsonType;

typedef struct JsonNode {
    JsonType type;
    char *key;               /* member name when the parent is an object, else NULL */
    char *str;               /* JSON_STR */
    double num;              /* JSON_NUM; JSON_BOOL: 0 or 1 */
    struct JsonNode *child;  /* first element/member (JSON_ARR, JSON_OBJ) */
    struct JsonNode *next;   /* next sibling */
} JsonNode;

/* Parse text[0..len). Returns the root, or NULL with a message in err. */
JsonNode *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(JsonNode *n);
/* Member of an object by name, or NULL (also when obj is NULL or not an object). */
const JsonNode *json_get(const JsonNode *obj, const char *key);
/* The string of a JSON_STR member, or NULL. */
const char *json_get_str(const JsonNode *obj, const char *key);
/* The number of a JSON_NUM member, or dflt. */
double json_get_num(const JsonNode *obj, const char *key, double dflt);

#endif
