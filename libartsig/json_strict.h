/* One reading or none: JSON that several programs read (header files of an
 * artifact, mender.conf) is parsed only when Go's encoding/json (Mender's Go
 * tools and server), libarchive-era C++ clients and json-c would all read it
 * the same way; anything else is refused with a reason.
 *
 * Compiled into libartsig (hidden) and into artsig-update, which both read
 * such JSON; never installed. Thread-safe: no global state. */
#ifndef ARTSIG_JSON_STRICT_H
#define ARTSIG_JSON_STRICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

enum asig_json_verdict {
    ASIG_JSON_OK = 0,
    ASIG_JSON_EFORMAT, /* not one strict RFC 8259 value, or read differently by Go */
    ASIG_JSON_ELIMIT,  /* deeper, or more values, than the caller allows */
    ASIG_JSON_ENOMEM,
};

struct asig_json_limits {
    unsigned max_depth;  /* containers nested in one another */
    size_t max_values;   /* values of every kind, counted before anything is allocated */
};

/* Parse text[0..len) as exactly one JSON value and return json-c's tree in
 * *out (the caller puts it). Refused: anything outside strict RFC 8259
 * (comments, trailing commas, single quotes, NaN, "1.", leading zeros, raw
 * control characters), ill-formed UTF-8, lone surrogate escapes, \u0000,
 * anything but whitespace after the value, two keys of one object that are
 * equal or that Go folds to the same name (ASCII case, U+212A KELVIN SIGN as
 * k, U+017F LONG S as s), and numbers that Go would refuse or read as another
 * value (beyond float64's range, integers beyond +-2^53). On failure writes
 * a one-line reason, naming the byte offset where it helps, into why. */
enum asig_json_verdict asig_json_strict_parse(struct json_object **out, const uint8_t *text,
                                              size_t len, const struct asig_json_limits *limits,
                                              char *why, size_t why_size);

/* Whether Go's encoding/json would decode object key `key` into the struct
 * field named `field` (an ASCII name): equal ignoring ASCII case, with
 * U+212A matching k and U+017F matching s. */
bool asig_json_go_key_matches(const char *key, const char *field);

/* For an object that Go decodes into a struct whose JSON field names are
 * fields[0..n): the first key that Go would take as one of those fields
 * while spelt otherwise (e.g. "Payloads" for "payloads"), with *expected set
 * to the field; NULL when every key is either spelt exactly or matches no
 * field. */
const char *asig_json_misspelt_field(const struct json_object *obj, const char *const *fields,
                                     size_t n, const char **expected);

#endif
