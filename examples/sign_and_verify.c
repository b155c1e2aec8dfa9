/* The smallest libartsig program: make a key, sign a message in Mender's
 * encoding, and verify it through a keyring, as a device would.
 *
 *   cc sign_and_verify.c $(pkg-config --cflags --libs libartsig)
 */
#include <stdio.h>
#include <string.h>

#include <artsig.h>

int main(void)
{
    static const char msg[] = "manifest bytes";
    artsig_key *key = NULL;
    artsig_keyring *ring = NULL;
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t sig_len, index;
    char fpr[65];
    int rc;

    printf("libartsig %s\n", artsig_version());
    if ((rc = artsig_key_generate(&key, ARTSIG_KEY_ECDSA_P256)) != ARTSIG_OK ||
        (rc = artsig_sign(sig, &sig_len, key, msg, strlen(msg))) != ARTSIG_OK ||
        (rc = artsig_keyring_new(&ring)) != ARTSIG_OK ||
        (rc = artsig_keyring_add(ring, key)) != ARTSIG_OK ||
        (rc = artsig_keyring_verify(&index, ring, msg, strlen(msg), sig, sig_len)) != ARTSIG_OK ||
        (rc = artsig_key_fingerprint_hex(fpr, artsig_keyring_get(ring, index))) != ARTSIG_OK) {
        fprintf(stderr, "failed: %s\n", artsig_last_error());
    } else {
        printf("%zu-byte signature verified by key %zu (sha256:%s)\n", sig_len, index, fpr);
    }
    artsig_keyring_free(ring);
    artsig_key_free(key);
    return rc == ARTSIG_OK ? 0 : 1;
}
