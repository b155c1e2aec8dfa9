/* Keyrings: ordered lists of verification keys. */
#include <stdio.h>
#include <stdlib.h>

#include "key_internal.h"

struct artsig_keyring {
    artsig_key **keys;
    size_t count;
    size_t cap;
};

int artsig_keyring_new(artsig_keyring **out)
{
    if (!out)
        return asig_fail(ARTSIG_EINVAL, "artsig_keyring_new: NULL argument");
    *out = calloc(1, sizeof **out);
    return *out ? ARTSIG_OK : asig_fail(ARTSIG_ENOMEM, "new keyring");
}

void artsig_keyring_free(artsig_keyring *ring)
{
    if (!ring)
        return;
    for (size_t i = 0; i < ring->count; i++)
        artsig_key_free(ring->keys[i]);
    free(ring->keys);
    free(ring);
}

int artsig_keyring_add(artsig_keyring *ring, artsig_key *key)
{
    if (!ring || !key)
        return asig_fail(ARTSIG_EINVAL, "artsig_keyring_add: NULL argument");
    if (ring->count == ring->cap) {
        size_t cap = ring->cap ? ring->cap * 2 : 4;
        artsig_key **keys = realloc(ring->keys, cap * sizeof *keys);
        if (!keys)
            return asig_fail(ARTSIG_ENOMEM, "growing keyring");
        ring->keys = keys;
        ring->cap = cap;
    }
    ring->keys[ring->count++] = artsig_key_ref(key);
    return ARTSIG_OK;
}

int artsig_keyring_add_file(artsig_keyring *ring, const char *path)
{
    if (!ring || !path)
        return asig_fail(ARTSIG_EINVAL, "artsig_keyring_add_file: NULL argument");
    artsig_key *key;
    int rc = artsig_key_load_file(&key, path, NULL, NULL);
    if (rc != ARTSIG_OK)
        return rc;
    rc = artsig_keyring_add(ring, key);
    artsig_key_free(key);
    return rc;
}

size_t artsig_keyring_count(const artsig_keyring *ring)
{
    return ring ? ring->count : 0;
}

const artsig_key *artsig_keyring_get(const artsig_keyring *ring, size_t index)
{
    return ring && index < ring->count ? ring->keys[index] : NULL;
}

/* "tried 2 keys: rsa 1a2b3c4d5e6f7a8b, ecdsa-p256 0011223344556677", cut
 * with "..." when the ring is too long for the error detail. */
static int fail_tried(const artsig_keyring *ring)
{
    char list[400];
    size_t used = 0;
    for (size_t i = 0; i < ring->count; i++) {
        char label[ASIG_KEY_LABEL_MAX];
        asig_key_label(label, ring->keys[i]);
        int n = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", label);
        if (n < 0 || (size_t)n >= sizeof list - used) {
            snprintf(list + used, sizeof list - used, ", ...");
            break;
        }
        used += (size_t)n;
    }
    return asig_fail(ARTSIG_EVERIFY, "tried %zu key%s: %s", ring->count,
                     ring->count == 1 ? "" : "s", list);
}

int artsig_keyring_verify(size_t *index, const artsig_keyring *ring, const void *msg,
                          size_t msg_len, const uint8_t *sig, size_t sig_len)
{
    if (!ring || (!msg && msg_len) || (!sig && sig_len))
        return asig_fail(ARTSIG_EINVAL, "artsig_keyring_verify: NULL argument");
    if (ring->count == 0)
        return asig_fail(ARTSIG_EVERIFY, "no keys");
    for (size_t i = 0; i < ring->count; i++) {
        int rc = artsig_verify(ring->keys[i], msg, msg_len, sig, sig_len);
        if (rc == ARTSIG_OK) {
            if (index)
                *index = i;
            return ARTSIG_OK;
        }
        /* Only a wrong signature moves on to the next key; anything else
         * (out of memory, a crypto library failure) is not the signer's doing. */
        if (rc != ARTSIG_EVERIFY && rc != ARTSIG_ESIGFORMAT)
            return rc;
    }
    return fail_tried(ring);
}
