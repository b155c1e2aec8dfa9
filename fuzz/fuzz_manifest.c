/* The manifest parser, and the canonical form of what it accepts: serialized
 * and parsed again, a manifest must come back with the same entries. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* Equal entries in the same (name) order. */
static bool same_manifest(const artsig_manifest *a, const artsig_manifest *b)
{
    size_t n = artsig_manifest_count(a);
    if (n != artsig_manifest_count(b))
        return false;
    for (size_t i = 0; i < n; i++) {
        const char *name_a, *name_b;
        const uint8_t *digest_a, *digest_b;
        if (artsig_manifest_entry(&name_a, &digest_a, a, i) != ARTSIG_OK ||
            artsig_manifest_entry(&name_b, &digest_b, b, i) != ARTSIG_OK ||
            strcmp(name_a, name_b) != 0 || !artsig_digest_equal(digest_a, digest_b))
            return false;
        const uint8_t *found;
        if (artsig_manifest_lookup(&found, a, name_a) != ARTSIG_OK || found != digest_a)
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    artsig_manifest *m, *again;
    if (artsig_manifest_parse(&m, data, size) != ARTSIG_OK)
        return 0;
    char *text, *text_again;
    size_t len, len_again;
    /* What parsed must serialize and parse back to itself, and the
     * canonical text must be a fixed point. Every accepted line is exactly
     * one canonical line, so only the order may differ from the input. */
    if (artsig_manifest_serialize(&text, &len, m) != ARTSIG_OK || len != size ||
        artsig_manifest_parse(&again, text, len) != ARTSIG_OK)
        abort();
    if (!same_manifest(m, again) ||
        artsig_manifest_serialize(&text_again, &len_again, again) != ARTSIG_OK ||
        len != len_again || memcmp(text, text_again, len) != 0 || strlen(text) != len)
        abort();
    artsig_free(text_again);
    artsig_free(text);
    artsig_manifest_free(again);
    artsig_manifest_free(m);
    return 0;
}
