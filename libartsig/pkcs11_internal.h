/* RFC 7512 PKCS#11 URIs, parsed; shared by pkcs11.c and the parser's tests
 * and fuzz target. Never installed. */
#ifndef ARTSIG_PKCS11_INTERNAL_H
#define ARTSIG_PKCS11_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum asig_p11_type { ASIG_P11_ANY = 0, ASIG_P11_PRIVATE, ASIG_P11_PUBLIC, ASIG_P11_CERT };

/* Every string is percent-decoded and NUL-terminated; NULL when the URI does
 * not name the attribute (so it matches anything). */
struct asig_p11_uri {
    /* token */
    char *token, *manufacturer, *serial, *model;
    /* library and slot */
    char *library_manufacturer, *library_description, *slot_description, *slot_manufacturer;
    bool has_slot_id;
    unsigned long slot_id;
    /* object */
    char *object;
    uint8_t *id;
    size_t id_len;
    bool has_id;
    enum asig_p11_type type;
    /* query */
    char *pin_value; /* wiped by asig_p11_uri_clear */
    char *pin_source, *module_path, *module_name;
    /* The URI without any pin-value, for error details. */
    char *shown;
};

/* Parse `uri` strictly: the "pkcs11:" scheme in any case, known attributes
 * only, each at most once, valid percent-encoding, no NUL bytes in decoded
 * text attributes. EINVAL with a detail naming the fault, ELIMIT beyond
 * ARTSIG_PKCS11_URI_MAX, ENOMEM. On failure *out is cleared. */
int asig_p11_uri_parse(struct asig_p11_uri *out, const char *uri);

/* Free everything, wiping the PIN first. Safe on a zeroed or cleared struct. */
void asig_p11_uri_clear(struct asig_p11_uri *uri);

#endif
