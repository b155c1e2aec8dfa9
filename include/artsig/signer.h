/** @file
 * libartsig — signers: where signatures come from. A key file today; an HSM,
 * a cloud KMS or an external program through the callback signer. */
#ifndef ARTSIG_SIGNER_H
#define ARTSIG_SIGNER_H

#include <artsig/signature.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A source of signatures. Reference-counted; not safe for concurrent use by
 * two threads (a device or service behind it may not be). */
typedef struct artsig_signer artsig_signer;

/** A signer backed by a private key (the signer takes its own reference).
 * On success *out holds one reference, the caller's (artsig_signer_free()). */
ARTSIG_API int artsig_signer_new_key(artsig_signer **out, artsig_key *key);

/** Produce a signature of `msg` into `sig` (ARTSIG_SIGNATURE_MAX bytes, also
 * in *sig_len on entry) in Mender's encoding; for ECDSA either raw r||s or
 * DER is accepted and normalised to r||s. Return ARTSIG_OK or a negative
 * artsig_status (any other value counts as ARTSIG_ECANCELLED). */
typedef int (*artsig_sign_cb)(uint8_t *sig, size_t *sig_len, const void *msg, size_t msg_len,
                              void *userdata);

/** A signer that calls back. With `public_key` (may be NULL; the signer takes
 * a reference), every signature is verified before it is used, so a faulty
 * device or service cannot produce an artifact that devices will refuse. */
ARTSIG_API int artsig_signer_new_callback(artsig_signer **out, artsig_key_type type,
                                          artsig_key *public_key, artsig_sign_cb sign,
                                          void *userdata);

/** Add a reference; returns `signer`. */
ARTSIG_API artsig_signer *artsig_signer_ref(artsig_signer *signer);
/** Drop a reference. NULL is a no-op. */
ARTSIG_API void artsig_signer_free(artsig_signer *signer);
/** The algorithm of the signer's key. */
ARTSIG_API artsig_key_type artsig_signer_type(const artsig_signer *signer);

/** Sign in Mender's encoding (ECDSA always raw r||s, 64 bytes). */
ARTSIG_API int artsig_signer_sign(uint8_t *sig, size_t *sig_len, artsig_signer *signer,
                                  const void *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif

#endif
