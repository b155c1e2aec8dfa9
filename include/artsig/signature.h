/** @file
 * libartsig — signatures in Mender's encodings, and keyrings.
 */
#ifndef ARTSIG_SIGNATURE_H
#define ARTSIG_SIGNATURE_H

#include <artsig/key.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest raw signature libartsig produces or accepts (RSA 8192). */
#define ARTSIG_SIGNATURE_MAX 1024
/** Buffer size that holds the base64 text of any signature plus a terminator. */
#define ARTSIG_SIGNATURE_B64_MAX (((ARTSIG_SIGNATURE_MAX + 2) / 3) * 4 + 1)

/** Sign `msg` with a private key in Mender's encoding: RSA PKCS#1 v1.5 over
 * SHA-256; ECDSA P-256 over SHA-256 as raw r||s, 64 bytes, each half
 * left-padded to 32 bytes; pure Ed25519. `sig` must hold
 * ARTSIG_SIGNATURE_MAX bytes; *sig_len receives the length. */
ARTSIG_API int artsig_sign(uint8_t *sig, size_t *sig_len, const artsig_key *key,
                           const void *msg, size_t msg_len);

/** Verify a raw signature. ECDSA accepts raw r||s and, as Mender's 4.x/5.x
 * tools do, a strict ASN.1 DER signature. Returns ARTSIG_OK, ARTSIG_EVERIFY,
 * or ARTSIG_ESIGFORMAT when the bytes cannot be a signature for this key. */
ARTSIG_API ARTSIG_WARN_UNUSED int artsig_verify(const artsig_key *key, const void *msg,
                                                size_t msg_len, const uint8_t *sig,
                                                size_t sig_len);

/** Decode the text form of a signature (standard base64 with padding;
 * trailing whitespace is tolerated, nothing else is). `sig` must hold
 * ARTSIG_SIGNATURE_MAX bytes. */
ARTSIG_API int artsig_signature_decode(uint8_t *sig, size_t *sig_len, const char *text,
                                       size_t text_len);
/** Encode a raw signature as standard base64 with padding and a terminator.
 * `text` must hold ARTSIG_SIGNATURE_B64_MAX bytes. */
ARTSIG_API int artsig_signature_encode(char *text, const uint8_t *sig, size_t sig_len);

/** A keyring: an ordered list of verification keys (Mender's
 * ArtifactVerifyKeys). Holds a reference to each key. Concurrent
 * verification through one keyring is safe; adding keys is not. */
typedef struct artsig_keyring artsig_keyring;

/** A new, empty keyring, the caller's; release it with artsig_keyring_free(). */
ARTSIG_API int artsig_keyring_new(artsig_keyring **out);
/** Free the keyring and drop its references to the keys. NULL is a no-op. */
ARTSIG_API void artsig_keyring_free(artsig_keyring *ring);
/** Append a key (the keyring takes its own reference). */
ARTSIG_API int artsig_keyring_add(artsig_keyring *ring, artsig_key *key);
/** Load a key file and append it. */
ARTSIG_API int artsig_keyring_add_file(artsig_keyring *ring, const char *path);
/** Number of keys. */
ARTSIG_API size_t artsig_keyring_count(const artsig_keyring *ring);
/** Borrowed pointer to the key at `index`, or NULL when out of range; valid
 * as long as the keyring (artsig_key_ref() keeps it longer). */
ARTSIG_API const artsig_key *artsig_keyring_get(const artsig_keyring *ring, size_t index);

/** Try each key in order; the first that verifies wins and its position is
 * stored in *index (may be NULL). An empty keyring verifies nothing
 * (ARTSIG_EVERIFY). A signature that fails to parse for one key type is just
 * a failure for that key. The detail of a failure lists the keys tried. */
ARTSIG_API ARTSIG_WARN_UNUSED int artsig_keyring_verify(size_t *index,
                                                        const artsig_keyring *ring,
                                                        const void *msg, size_t msg_len,
                                                        const uint8_t *sig, size_t sig_len);

#ifdef __cplusplus
}
#endif

#endif
