/* The key loader, PEM and DER, encrypted keys among them (the passphrase is
 * "fuzz", as in the corpus's encrypted keys). What loads must export, and the
 * export must load back as the same key. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define PASSPHRASE "fuzz"

static int passphrase(char *buf, size_t size, void *userdata)
{
    (void)userdata;
    if (size < strlen(PASSPHRASE))
        return -1;
    memcpy(buf, PASSPHRASE, strlen(PASSPHRASE));
    return (int)strlen(PASSPHRASE);
}

/* `form` of `key` loads back with the same identity, type and size. */
static void round_trip(const artsig_key *key, artsig_key_export_form form)
{
    char *pem;
    size_t len;
    artsig_key *back;
    uint8_t fp[32], fp_back[32];
    if (artsig_key_export(&pem, &len, key, form) != ARTSIG_OK ||
        artsig_key_load_mem(&back, pem, len, NULL, NULL) != ARTSIG_OK)
        abort();
    if (artsig_key_fingerprint(fp, key) != ARTSIG_OK ||
        artsig_key_fingerprint(fp_back, back) != ARTSIG_OK || memcmp(fp, fp_back, 32) != 0 ||
        artsig_key_get_type(back) != artsig_key_get_type(key) ||
        artsig_key_bits(back) != artsig_key_bits(key) ||
        artsig_key_is_private(back) != (form == ARTSIG_EXPORT_PRIVATE_PKCS8_PEM))
        abort();
    artsig_key_free(back);
    artsig_key_free_pem(pem, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    artsig_key *key;
    if (artsig_key_load_mem(&key, data, size, passphrase, NULL) != ARTSIG_OK)
        return 0;
    char hex[65];
    if (!artsig_key_type_name(artsig_key_get_type(key)) ||
        artsig_key_fingerprint_hex(hex, key) != ARTSIG_OK || strlen(hex) != 64)
        abort();
    (void)artsig_key_is_weak(key);
    round_trip(key, ARTSIG_EXPORT_PUBLIC_SPKI_PEM);
    if (artsig_key_is_private(key))
        round_trip(key, ARTSIG_EXPORT_PRIVATE_PKCS8_PEM);
    artsig_key_free(key);
    return 0;
}
