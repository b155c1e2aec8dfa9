/* The strict JSON gate (json_strict.h): json_text.c judges the text, json-c,
 * which the callers use, parses what passed, and its tree is checked for
 * what only Go reads differently. */
#include "json_strict.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json_text.h"

/* Go decodes untyped numbers to float64, whose integers are exact up to
 * 2^53: a larger one would be read as a neighbouring number. */
#define GO_EXACT_INTEGER (INT64_C(1) << 53)

/* Go's folding of object keys onto struct field names: the byte or UTF-8
 * sequence at *s as Go compares it to an ASCII name, and *s moved past it.
 * Only U+212A KELVIN SIGN and U+017F LONG S fold onto ASCII letters. */
static char go_fold_next(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    if (p[0] == 0xe2 && p[1] == 0x84 && p[2] == 0xaa) {
        *s += 3;
        return 'k';
    }
    if (p[0] == 0xc5 && p[1] == 0xbf) {
        *s += 2;
        return 's';
    }
    *s += 1;
    return p[0] >= 'A' && p[0] <= 'Z' ? (char)(p[0] - 'A' + 'a') : (char)p[0];
}

static char *go_folded(const char *key)
{
    char *folded = malloc(strlen(key) + 1), *out = folded;
    if (!folded)
        return NULL;
    while (*key)
        *out++ = go_fold_next(&key);
    *out = '\0';
    return folded;
}

bool asig_json_go_key_matches(const char *key, const char *field)
{
    while (*key && *field) {
        const char *f = field++;
        if (go_fold_next(&key) != go_fold_next(&f))
            return false;
    }
    return !*key && !*field;
}

const char *asig_json_misspelt_field(const struct json_object *obj, const char *const *fields,
                                     size_t n, const char **expected)
{
    json_object_object_foreach((struct json_object *)obj, key, value) {
        (void)value;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(key, fields[i]) == 0)
                break;
            if (asig_json_go_key_matches(key, fields[i])) {
                *expected = fields[i];
                return key;
            }
        }
    }
    return NULL;
}

/* A key as a quoted JSON string, fit to show on one line: at most about 80
 * bytes, cut between UTF-8 sequences. */
static void show_key(char *buf, size_t size, const char *key)
{
    json_object *s = json_object_new_string(key);
    const char *quoted =
        s ? json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN |
                                                  JSON_C_TO_STRING_NOSLASHESCAPE)
          : NULL;
    size_t cut = quoted ? strlen(quoted) : 0;
    if (cut > 80)
        for (cut = 80; ((unsigned char)quoted[cut] & 0xc0) == 0x80;)
            cut--;
    snprintf(buf, size, "%.*s%s", (int)cut, quoted ? quoted : "", quoted && quoted[cut] ? "..." : "");
    json_object_put(s);
}

struct folded_key {
    char *folded;
    const char *key;
};

static int cmp_folded(const void *a, const void *b)
{
    return strcmp(((const struct folded_key *)a)->folded, ((const struct folded_key *)b)->folded);
}

/* Two keys of obj that Go would decode into the same struct field (exact
 * duplicates were refused with the text). */
static enum asig_json_verdict check_folded_keys(json_object *obj, char *why, size_t why_size)
{
    size_t n = (size_t)json_object_object_length(obj), i = 0;
    if (n < 2)
        return ASIG_JSON_OK;
    struct folded_key *keys = calloc(n, sizeof *keys);
    enum asig_json_verdict verdict = keys ? ASIG_JSON_OK : ASIG_JSON_ENOMEM;
    json_object_object_foreach(obj, key, value) {
        (void)value;
        if (verdict != ASIG_JSON_OK)
            break;
        keys[i].key = key;
        if (!(keys[i++].folded = go_folded(key)))
            verdict = ASIG_JSON_ENOMEM;
    }
    if (verdict == ASIG_JSON_OK) {
        qsort(keys, n, sizeof *keys, cmp_folded);
        for (i = 1; i < n && verdict == ASIG_JSON_OK; i++) {
            if (strcmp(keys[i - 1].folded, keys[i].folded) != 0)
                continue;
            char a[96], b[96];
            show_key(a, sizeof a, keys[i - 1].key);
            show_key(b, sizeof b, keys[i].key);
            snprintf(why, why_size, "keys %s and %s of one object are the same key to Go", a, b);
            verdict = ASIG_JSON_EFORMAT;
        }
    }
    for (i = 0; keys && i < n; i++)
        free(keys[i].folded);
    free(keys);
    if (verdict == ASIG_JSON_ENOMEM)
        snprintf(why, why_size, "out of memory comparing keys");
    return verdict;
}

/* What the text stage accepted but Go would read otherwise. The nesting is
 * bounded by the limits, so the recursion is too. */
static enum asig_json_verdict check_go_reading(json_object *v, char *why, size_t why_size)
{
    enum asig_json_verdict verdict = ASIG_JSON_OK;
    switch (json_object_get_type(v)) {
    case json_type_int: {
        /* The text stage refused integers beyond 64 bits, which json-c
         * would have clamped. */
        int64_t i = json_object_get_int64(v);
        if (i > GO_EXACT_INTEGER || i < -GO_EXACT_INTEGER) {
            snprintf(why, why_size,
                     "integer %" PRId64 " is beyond +-2^53, which Go reads as another number", i);
            verdict = ASIG_JSON_EFORMAT;
        }
        break;
    }
    case json_type_array:
        for (size_t i = 0, n = json_object_array_length(v); i < n && verdict == ASIG_JSON_OK; i++)
            verdict = check_go_reading(json_object_array_get_idx(v, i), why, why_size);
        break;
    case json_type_object:
        verdict = check_folded_keys(v, why, why_size);
        json_object_object_foreach(v, key, member) {
            (void)key;
            if (verdict != ASIG_JSON_OK)
                break;
            verdict = check_go_reading(member, why, why_size);
        }
        break;
    default:
        break;
    }
    return verdict;
}

enum asig_json_verdict asig_json_strict_parse(struct json_object **out, const uint8_t *text,
                                              size_t len, const struct asig_json_limits *limits,
                                              char *why, size_t why_size)
{
    *out = NULL;
    if (len > INT32_MAX) {
        snprintf(why, why_size, "JSON text of %zu bytes", len);
        return ASIG_JSON_ELIMIT;
    }
    enum asig_json_verdict verdict = asig_json_text_check(text, len, limits, why, why_size);
    if (verdict != ASIG_JSON_OK)
        return verdict;
    /* json-c counts one level more than the containers nested. */
    struct json_tokener *tok = json_tokener_new_ex((int)limits->max_depth + 1);
    if (!tok) {
        snprintf(why, why_size, "out of memory");
        return ASIG_JSON_ENOMEM;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *obj = json_tokener_parse_ex(tok, (const char *)text, (int)len);
    enum json_tokener_error err = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    /* A number at the very end is complete only once the input is known to
     * have ended; json-c learns that from a terminating NUL. */
    if (err == json_tokener_continue) {
        obj = json_tokener_parse_ex(tok, "", 1);
        err = json_tokener_get_error(tok);
    }
    json_tokener_free(tok);
    if (err != json_tokener_success) {
        snprintf(why, why_size, "invalid JSON near byte %zu: %s", end,
                 json_tokener_error_desc(err));
        return ASIG_JSON_EFORMAT;
    }
    verdict = check_go_reading(obj, why, why_size);
    if (verdict != ASIG_JSON_OK) {
        json_object_put(obj);
        return verdict;
    }
    *out = obj;
    return ASIG_JSON_OK;
}
