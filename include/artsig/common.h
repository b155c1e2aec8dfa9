/** @file
 * libartsig — common definitions: export macro, status codes, errors.
 *
 * Thread rules for the whole library:
 *  - Every function is reentrant. Distinct objects may be used from distinct
 *    threads at the same time without locking.
 *  - An object that is documented as immutable (artsig_key) may be shared by
 *    any number of threads; its reference count is atomic.
 *  - Any other object (keyring, digest, manifest, reader, writer) must not be
 *    used by two threads at once, except where its header says otherwise.
 *  - The "last error" detail (artsig_last_error) is kept per thread.
 *
 * Ownership, for the whole library: what a `_new`, `_load` or `_generate`
 * function makes is the caller's, released with the matching `_free`
 * function (which accepts NULL); memory handed over through a `char **` or
 * `uint8_t **` output is released with artsig_free(). Pointers returned by
 * accessors are borrowed from the object and valid as long as it is, unless
 * the function says otherwise.
 */
#ifndef ARTSIG_COMMON_H
#define ARTSIG_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ARTSIG_BUILDING) && defined(__GNUC__)
#define ARTSIG_API __attribute__((visibility("default")))
#else
#define ARTSIG_API
#endif

#if defined(__GNUC__)
#define ARTSIG_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define ARTSIG_WARN_UNUSED
#endif

/** Status codes. Every fallible function returns ARTSIG_OK (0) or one of these
 * negative values. The numbers are part of the ABI: they never change, and new
 * codes are only ever appended. */
typedef enum artsig_status {
    ARTSIG_OK = 0,               /**< success */
    ARTSIG_EINVAL = -1,          /**< invalid argument from the caller */
    ARTSIG_ENOMEM = -2,          /**< out of memory */
    ARTSIG_EIO = -3,             /**< read or write failed */
    ARTSIG_ENOENT = -4,          /**< file does not exist */
    ARTSIG_EKEYEMPTY = -5,       /**< key input is empty */
    ARTSIG_EKEYPEM = -6,         /**< PEM armour present but its content is corrupt */
    ARTSIG_EKEYDER = -7,         /**< DER structure truncated or malformed */
    ARTSIG_EKEYFORMAT = -8,      /**< input is neither a PEM nor a DER key */
    ARTSIG_EKEYUNSUPPORTED = -9, /**< a key, but of an algorithm, curve or size we refuse */
    ARTSIG_EPASSPHRASE = -10,    /**< encrypted key: passphrase missing or wrong */
    ARTSIG_EKEYROLE = -11,       /**< public key where a private one is needed */
    ARTSIG_ESIGFORMAT = -12,     /**< signature encoding malformed (base64, length, DER) */
    ARTSIG_EVERIFY = -13,        /**< signature does not verify with any key given */
    ARTSIG_EMANIFEST = -14,      /**< manifest malformed */
    ARTSIG_EDIGEST = -15,        /**< a digest does not match the manifest */
    ARTSIG_EFORMAT = -16,        /**< artifact structure malformed */
    ARTSIG_ELIMIT = -17,         /**< input exceeds a documented limit */
    ARTSIG_EUNSIGNED = -18,      /**< keys were given but the artifact is not signed */
    ARTSIG_ENOTFOUND = -19,      /**< requested item does not exist */
    ARTSIG_EUNSAFE = -20,        /**< hostile entry: link, device, bad or traversing name */
    ARTSIG_ECRYPTO = -21,        /**< the crypto library failed unexpectedly */
    ARTSIG_ECANCELLED = -22,     /**< a caller's callback asked to stop */
    ARTSIG_ETRUNCATED = -23,     /**< input ended before the artifact did */
    ARTSIG_EUNSUPPORTED = -24,   /**< well-formed but not supported (format version, compression) */
    ARTSIG_ESTATE = -25,         /**< call not valid in the object's current state */
    ARTSIG_EMODULE = -26,        /**< PKCS#11 module not found, not loadable or failing to start */
    ARTSIG_ENOTOKEN = -27,       /**< no PKCS#11 token present that matches the URI */
    ARTSIG_EPIN = -28,           /**< PKCS#11 PIN missing, wrong or locked */
    ARTSIG_EMECHANISM = -29,     /**< the token cannot do the signing mechanism the key needs */
    ARTSIG_ETOKEN = -30,         /**< the PKCS#11 module or token reported an unexpected error */
    ARTSIG_EAUTH = -31,          /**< a signing service has no credentials or refuses them (HTTP 401, 403) */
    ARTSIG_ENETWORK = -32,       /**< a signing service cannot be reached, or did not answer in time */
    ARTSIG_EREMOTE = -33         /**< a signing service or program failed, or its answer is malformed or corrupted */
} artsig_status;

/** The most negative status this version defines; later versions only add
 * codes below it, never renumber. */
#define ARTSIG_STATUS_LAST ARTSIG_EREMOTE

/** A static, human-readable description of a status code (never NULL; an
 * unknown code gets a generic text). Thread-safe. */
ARTSIG_API const char *artsig_strerror(int status);

/** Detail of the last failure on the calling thread, e.g. which file, line or
 * member was at fault. Set by every function that returns an error; not
 * cleared on success. The string stays valid until the next libartsig call
 * on the same thread. Never NULL (empty when there was no failure). */
ARTSIG_API const char *artsig_last_error(void);

/** Free memory that libartsig allocated and handed to the caller. NULL is a no-op.
 * (For a private key's PEM use artsig_key_free_pem(), which wipes it first.) */
ARTSIG_API void artsig_free(void *ptr);

/** Runtime version of the library, e.g. "0.1.0". Compare with ARTSIG_VERSION_STRING. */
ARTSIG_API const char *artsig_version(void);

#ifdef __cplusplus
}
#endif

#endif
