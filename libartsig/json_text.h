/* The first stage of the strict JSON gate (json_strict.h): the text alone,
 * judged by jansson. Apart from json_strict.c because jansson's and json-c's
 * headers declare some of the same names. Never installed. */
#ifndef ARTSIG_JSON_TEXT_H
#define ARTSIG_JSON_TEXT_H

#include "json_strict.h"

/* Whether text[0..len) is exactly one strict RFC 8259 value (see
 * asig_json_strict_parse) within `limits`, the limits checked before
 * anything is allocated. On failure writes a one-line reason into why. */
enum asig_json_verdict asig_json_text_check(const uint8_t *text, size_t len,
                                            const struct asig_json_limits *limits, char *why,
                                            size_t why_size);

/* An upper bound on the values in text[0..len), found without allocating:
 * what asig_json_limits.max_values is compared with. */
size_t asig_json_text_values(const uint8_t *text, size_t len);

#endif
