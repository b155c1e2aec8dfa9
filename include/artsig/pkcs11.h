/** @file
 * libartsig — keys that live in a PKCS#11 token (HSM, smart card, secure
 * element), named by an RFC 7512 URI. libartsig loads the module itself with
 * dlopen and speaks the PKCS#11 C API; no OpenSSL engine or openssl.cnf. */
#ifndef ARTSIG_PKCS11_H
#define ARTSIG_PKCS11_H

#include <artsig/key.h>
#include <artsig/signer.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The module to load when the URI has neither module-path nor module-name;
 * without it, p11-kit's proxy module (every module p11-kit knows). */
#define ARTSIG_PKCS11_MODULE_ENV "ARTSIG_PKCS11_MODULE"
/** Longer URIs are refused with ARTSIG_ELIMIT. */
#define ARTSIG_PKCS11_URI_MAX 4096
/** Longer PINs (from pin-value, pin-source or the callback) are refused. */
#define ARTSIG_PKCS11_PIN_MAX 256

/** @file
 * @details URIs look like
 *   `pkcs11:token=signing;object=release;type=private?pin-source=/run/pin`
 * Path attributes select the token and the object: token, manufacturer,
 * serial, model, library-manufacturer, library-description, slot-id,
 * slot-description, slot-manufacturer, object, id (percent-encoded bytes)
 * and type (private, public, cert). Query attributes: pin-value, pin-source
 * (a file path or file: URI whose first line is the PIN), module-path,
 * module-name (a p11-kit registered module such as "softhsm2").
 * pin-value is also accepted in the path, as libp11 users write it.
 * Module: module-path, else module-name, else $ARTSIG_PKCS11_MODULE, else
 * p11-kit's proxy.
 *
 * The PIN, when the token needs one and the URI carries none, is asked of
 * `pin` (may be NULL), with the same contract as artsig_passphrase_cb. Every
 * copy of the PIN is wiped after login.
 *
 * A module already initialised by another part of the process is shared, not
 * finalised behind that part's back. Errors: EINVAL (malformed URI), ELIMIT,
 * EMODULE, ENOTOKEN, EPIN, ENOTFOUND (the detail names the URI, without any
 * PIN), EKEYUNSUPPORTED (a key type or curve libartsig does not sign with),
 * EMECHANISM, ETOKEN. */

/** 1 when `s` is a PKCS#11 URI ("pkcs11:" in any case), else 0. */
ARTSIG_API int artsig_is_pkcs11_uri(const char *s);

/** The URI fit to show, as the library's own error details name it: the
 * pin-value attribute dropped whole, in the path or the query, whatever its
 * value holds. On success *out is the caller's (artsig_free()). Errors:
 * EINVAL (a malformed URI, whose detail shows no PIN), ELIMIT, ENOMEM. */
ARTSIG_API int artsig_pkcs11_uri_redact(char **out, const char *uri);

/** Load the public key of the object the URI names: a public key object, a
 * certificate, or the public half of a private key object (its own public
 * attributes, else the public key or certificate with the same CKA_ID).
 * The result is an ordinary public artsig_key: it verifies in software and
 * holds no reference to the token. On success *out holds one reference, the
 * caller's. Errors as listed above. */
ARTSIG_API int artsig_key_load_pkcs11(artsig_key **out, const char *uri,
                                      artsig_passphrase_cb pin, void *userdata);

/** A signer whose private key never leaves the token. RSA signs with
 * CKM_SHA256_RSA_PKCS (or CKM_RSA_PKCS over a DigestInfo), ECDSA P-256 with
 * CKM_ECDSA over the SHA-256 digest, Ed25519 with CKM_EDDSA. Each signature
 * is verified against the key's public half before it is used, when the
 * token reveals it. The session stays open, logged in, until the signer is
 * freed. On success *out holds one reference, the caller's
 * (artsig_signer_free()). Errors as listed above. */
ARTSIG_API int artsig_signer_new_pkcs11(artsig_signer **out, const char *uri,
                                        artsig_passphrase_cb pin, void *userdata);

#ifdef __cplusplus
}
#endif

#endif
