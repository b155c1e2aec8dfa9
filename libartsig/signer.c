/* Signers: a private key, or a callback to whatever holds one. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

struct artsig_signer {
    atomic_uint refs;
    artsig_key_type type;
    artsig_key *key;        /* the private key of a key signer */
    artsig_key *check;      /* a callback signer's public key; may be NULL */
    artsig_sign_cb sign;
    void *userdata;
    void (*destroy)(void *userdata);
    const char *source; /* an internal signer's name in details; NULL: a caller's callback */
};

static int signer_new(artsig_signer **out, artsig_key_type type)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return asig_fail(ARTSIG_ENOMEM, "new signer");
    atomic_init(&(*out)->refs, 1);
    (*out)->type = type;
    return ARTSIG_OK;
}

int artsig_signer_new_key(artsig_signer **out, artsig_key *key)
{
    if (!out || !key)
        return asig_fail(ARTSIG_EINVAL, "artsig_signer_new_key: NULL argument");
    if (!artsig_key_is_private(key))
        return asig_fail(ARTSIG_EKEYROLE, "a signer needs a private %s key, not a public one",
                         artsig_key_type_name(artsig_key_get_type(key)));
    int rc = signer_new(out, artsig_key_get_type(key));
    if (rc == ARTSIG_OK)
        (*out)->key = artsig_key_ref(key);
    return rc;
}

int artsig_signer_new_callback(artsig_signer **out, artsig_key_type type,
                               artsig_key *public_key, artsig_sign_cb sign, void *userdata)
{
    return asig_signer_new_owned(out, type, public_key, sign, userdata, NULL, NULL);
}

int asig_signer_new_owned(artsig_signer **out, artsig_key_type type, artsig_key *public_key,
                          artsig_sign_cb sign, void *userdata, void (*destroy)(void *),
                          const char *source)
{
    if (!out || !sign)
        return asig_fail(ARTSIG_EINVAL, "artsig_signer_new_callback: NULL argument");
    if (!artsig_key_type_name(type))
        return asig_fail(ARTSIG_EINVAL, "unknown key type %d", (int)type);
    if (public_key && artsig_key_get_type(public_key) != type)
        return asig_fail(ARTSIG_EINVAL, "a %s signer cannot be checked with a %s key",
                         artsig_key_type_name(type),
                         artsig_key_type_name(artsig_key_get_type(public_key)));
    int rc = signer_new(out, type);
    if (rc != ARTSIG_OK)
        return rc;
    (*out)->check = artsig_key_ref(public_key);
    (*out)->sign = sign;
    (*out)->userdata = userdata;
    (*out)->destroy = destroy;
    (*out)->source = source;
    return ARTSIG_OK;
}

artsig_signer *artsig_signer_ref(artsig_signer *signer)
{
    if (signer)
        atomic_fetch_add_explicit(&signer->refs, 1, memory_order_relaxed);
    return signer;
}

void artsig_signer_free(artsig_signer *signer)
{
    if (!signer || atomic_fetch_sub_explicit(&signer->refs, 1, memory_order_release) != 1)
        return;
    atomic_thread_fence(memory_order_acquire);
    artsig_key_free(signer->key);
    artsig_key_free(signer->check);
    if (signer->destroy)
        signer->destroy(signer->userdata);
    free(signer);
}

artsig_key_type artsig_signer_type(const artsig_signer *signer)
{
    return signer ? signer->type : (artsig_key_type)0;
}

/* What came back from a callback, in Mender's encoding. Only the length can
 * be checked without a public key; ECDSA DER is turned into r||s. A bad
 * answer from one of the library's own signers is that service's failure
 * (EREMOTE); from a caller's callback, a malformed signature. */
static int normalise(uint8_t *sig, size_t *sig_len, artsig_key_type type, const char *source)
{
    int bad = source ? ARTSIG_EREMOTE : ARTSIG_ESIGFORMAT;
    const char *who = source ? source : "signing callback";
    const char *name = artsig_key_type_name(type);
    if (*sig_len == 0 || *sig_len > ARTSIG_SIGNATURE_MAX)
        return asig_fail(bad, "%s returned %zu bytes for %s", who, *sig_len, name);
    if (type == ARTSIG_KEY_ED25519 && *sig_len != crypto_sign_BYTES)
        return asig_fail(bad, "%s returned %zu bytes, an %s signature has %d", who, *sig_len,
                         name, crypto_sign_BYTES);
    if (type != ARTSIG_KEY_ECDSA_P256)
        return ARTSIG_OK;
    /* DER is tried first: a 64-byte DER signature exists (short r and s),
     * while r||s that parses as DER is vanishingly unlikely. */
    uint8_t raw[ASIG_ECDSA_RAW_LEN];
    if (asig_ecdsa_der_to_raw(raw, sig, *sig_len) != ARTSIG_OK) {
        if (*sig_len == ASIG_ECDSA_RAW_LEN)
            return ARTSIG_OK;
        return asig_fail(bad, "%s returned %zu bytes for %s, neither DER nor r||s", who,
                         *sig_len, name);
    }
    memcpy(sig, raw, sizeof raw);
    *sig_len = sizeof raw;
    return ARTSIG_OK;
}

static int sign_callback(uint8_t *sig, size_t *sig_len, artsig_signer *signer,
                         const void *msg, size_t msg_len)
{
    *sig_len = ARTSIG_SIGNATURE_MAX;
    int rc = signer->sign(sig, sig_len, msg, msg_len, signer->userdata);
    if (rc != ARTSIG_OK) {
        /* Anything but a status is the callback's own refusal. */
        rc = rc < 0 ? rc : ARTSIG_ECANCELLED;
        if (signer->source)
            return rc;
        return asig_fail(rc, "signing callback failed: %s", artsig_strerror(rc));
    }
    rc = normalise(sig, sig_len, signer->type, signer->source);
    if (rc == ARTSIG_OK && signer->check &&
        artsig_verify(signer->check, msg, msg_len, sig, *sig_len) != ARTSIG_OK)
        rc = asig_fail(ARTSIG_EVERIFY, "the signature from %s does not verify with its public key",
                       signer->source ? signer->source : "the signing callback");
    return rc;
}

int artsig_signer_sign(uint8_t *sig, size_t *sig_len, artsig_signer *signer, const void *msg,
                       size_t msg_len)
{
    if (!sig || !sig_len || !signer || (!msg && msg_len))
        return asig_fail(ARTSIG_EINVAL, "artsig_signer_sign: NULL argument");
    if (signer->key)
        return artsig_sign(sig, sig_len, signer->key, msg, msg_len);
    return sign_callback(sig, sig_len, signer, msg ? msg : "", msg_len);
}
