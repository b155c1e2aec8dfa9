/* The text stage of the strict JSON gate (json_text.h). jansson judges it,
 * because json-c 0.16's strict mode still takes what Go refuses or reads
 * otherwise: NaN, "1.", single quotes, raw control characters, ill-formed
 * UTF-8, lone surrogates, keys cut at \u0000, duplicate keys, numbers beyond
 * 64 bits (which json-c clamps).
 *
 * jansson and json-c both export json_object_get and json_object_iter_next,
 * with different meanings; only json-c's may be called by name anywhere in
 * libartsig or artsig-update, so this file uses neither. */
#include "json_text.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

/* Upper bounds, found without allocating, on the values in text and on how
 * deep its containers nest. Every value but the first follows '[', '{' (its
 * first member) or ',', so counting those overestimates only by the empty
 * containers. Brackets inside strings do not count. Also where the first
 * integer -0 starts (len if none): jansson and json-c read it as 0, Go as a
 * negative zero, so it is shown otherwise than it is signed. */
static void scan_values(const uint8_t *text, size_t len, size_t *values, unsigned *depth,
                        size_t *negative_zero)
{
    bool in_string = false;
    unsigned open = 0;
    *values = 1;
    *depth = 0;
    *negative_zero = len;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            (*values)++;
            if (++open > *depth)
                *depth = open;
        } else if (c == ',') {
            (*values)++;
        } else if (c == '-' && i + 1 < len && text[i + 1] == '0' && *negative_zero == len &&
                   (i + 2 == len || !strchr(".eE0123456789", text[i + 2]))) {
            *negative_zero = i;
        } else if ((c == '}' || c == ']') && open > 0) {
            open--;
        }
    }
}

size_t asig_json_text_values(const uint8_t *text, size_t len)
{
    size_t values, negative_zero;
    unsigned depth;
    scan_values(text, len, &values, &depth, &negative_zero);
    return values;
}

/* jansson's reason without its " near '...'", which quotes raw input. */
static void jansson_reason(char *why, size_t why_size, const json_error_t *err)
{
    const char *near = strstr(err->text, " near '");
    int reason_len = near ? (int)(near - err->text) : (int)strlen(err->text);
    switch (json_error_code(err)) {
    case json_error_invalid_utf8:
        snprintf(why, why_size, "invalid UTF-8 at byte %d", err->position);
        break;
    case json_error_null_character:
        snprintf(why, why_size, "invalid JSON near byte %d: \\u0000 in a string", err->position);
        break;
    case json_error_out_of_memory:
        snprintf(why, why_size, "out of memory");
        break;
    default:
        snprintf(why, why_size, "invalid JSON near byte %d: %.*s", err->position, reason_len,
                 err->text);
    }
}

enum asig_json_verdict asig_json_text_check(const uint8_t *text, size_t len,
                                            const struct asig_json_limits *limits, char *why,
                                            size_t why_size)
{
    size_t values, negative_zero;
    unsigned depth;
    scan_values(text, len, &values, &depth, &negative_zero);
    if (depth > limits->max_depth) {
        snprintf(why, why_size, "JSON nested deeper than %u levels", limits->max_depth);
        return ASIG_JSON_ELIMIT;
    }
    if (values > limits->max_values) {
        snprintf(why, why_size, "more than %zu JSON values", limits->max_values);
        return ASIG_JSON_ELIMIT;
    }
    json_error_t err;
    json_t *tree = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                              &err);
    if (!tree) {
        jansson_reason(why, why_size, &err);
        return json_error_code(&err) == json_error_out_of_memory ? ASIG_JSON_ENOMEM
                                                                 : ASIG_JSON_EFORMAT;
    }
    json_decref(tree);
    if (negative_zero < len) {
        snprintf(why, why_size, "invalid JSON near byte %zu: integer -0, which Go reads as a "
                 "negative zero and C as 0", negative_zero);
        return ASIG_JSON_EFORMAT;
    }
    return ASIG_JSON_OK;
}
