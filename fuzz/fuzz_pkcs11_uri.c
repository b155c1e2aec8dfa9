/* The RFC 7512 PKCS#11 URI parser. What parses must have a redacted form
 * (`shown`, used in error details) without the PIN that parses back to the
 * same attributes. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pkcs11_internal.h"

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Everything but the PIN, which `shown` leaves out. */
static bool same_uri(const struct asig_p11_uri *a, const struct asig_p11_uri *b)
{
    const char *const ta[] = {a->token, a->manufacturer, a->serial, a->model,
                              a->library_manufacturer, a->library_description,
                              a->slot_description, a->slot_manufacturer, a->object,
                              a->pin_source, a->module_path, a->module_name};
    const char *const tb[] = {b->token, b->manufacturer, b->serial, b->model,
                              b->library_manufacturer, b->library_description,
                              b->slot_description, b->slot_manufacturer, b->object,
                              b->pin_source, b->module_path, b->module_name};
    for (size_t i = 0; i < sizeof ta / sizeof ta[0]; i++)
        if (!same_text(ta[i], tb[i]))
            return false;
    return a->has_slot_id == b->has_slot_id && a->slot_id == b->slot_id &&
           a->has_id == b->has_id && a->id_len == b->id_len &&
           (a->id_len == 0 || memcmp(a->id, b->id, a->id_len) == 0) && a->type == b->type;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* URIs are C strings: the text up to the first NUL byte. */
    char *text = strndup((const char *)data, size);
    if (!text)
        abort();
    (void)artsig_is_pkcs11_uri(text);
    struct asig_p11_uri uri, again;
    if (asig_p11_uri_parse(&uri, text) == ARTSIG_OK) {
        if (!uri.shown || asig_p11_uri_parse(&again, uri.shown) != ARTSIG_OK || again.pin_value ||
            !same_uri(&uri, &again))
            abort();
        asig_p11_uri_clear(&again);
    }
    asig_p11_uri_clear(&uri);
    free(text);
    return 0;
}
