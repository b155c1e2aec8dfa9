/* The key object, shared by key.c, signature.c and keyring.c; never installed. */
#ifndef ARTSIG_KEY_INTERNAL_H
#define ARTSIG_KEY_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>

#include <openssl/evp.h>

#include "internal.h"

/* Everything but `refs` is set once at construction and never changed, which
 * is what makes a key safe to share between threads. */
struct artsig_key {
    atomic_uint refs;
    artsig_key_type type;
    unsigned bits;
    bool is_private;
    EVP_PKEY *pkey;
    uint8_t fingerprint[32];
};

/* Room for "ecdsa-p256 " plus 16 hex digits and a terminator. */
#define ASIG_KEY_LABEL_MAX 32

/* A short name for error details: type and the first 16 hex digits of the
 * fingerprint, e.g. "rsa 1a2b3c4d5e6f7a8b". */
void asig_key_label(char out[ASIG_KEY_LABEL_MAX], const artsig_key *key);

#endif
