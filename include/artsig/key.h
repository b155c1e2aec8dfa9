/** @file
 * libartsig — signing and verification keys.
 */
#ifndef ARTSIG_KEY_H
#define ARTSIG_KEY_H

#include <artsig/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A loaded key: immutable, reference-counted (atomically), safe to share
 * between threads and between keyrings and signers. Private key material is
 * wiped from memory when the last reference is dropped. */
typedef struct artsig_key artsig_key;

/** The algorithms Mender artifacts are signed with (plus Ed25519, a libartsig
 * extension). Values are ABI. */
typedef enum artsig_key_type {
    ARTSIG_KEY_RSA = 1,        /**< PKCS#1 v1.5 with SHA-256; 2048 bits or more */
    ARTSIG_KEY_ECDSA_P256 = 2, /**< ECDSA on P-256 with SHA-256; raw r||s signatures */
    ARTSIG_KEY_ED25519 = 3     /**< pure Ed25519 */
} artsig_key_type;

/** Below this many RSA bits a key loads but artsig_key_is_weak() says so. */
#define ARTSIG_RSA_RECOMMENDED_BITS 3072
/** RSA keys smaller than this are refused, and so, with ARTSIG_EKEYUNSUPPORTED,
 * are RSA keys whose public exponent is even or below 3 (with 1, anyone could
 * sign), whether from a file, a PKCS#11 token or a remote signer. */
#define ARTSIG_RSA_MIN_BITS 2048
/** Key files larger than this are refused with ARTSIG_ELIMIT. */
#define ARTSIG_KEY_FILE_MAX (64 * 1024)
/** An encrypted PKCS#8 key states what deriving its decryption key from the
 * passphrase costs, and a hostile file could keep a device's CPU busy for
 * hours. Beyond these it is refused with ARTSIG_ELIMIT before any derivation:
 * iterations of PBKDF2 (PBES2, what `openssl pkcs8 -v2` writes: 2048) or of a
 * PKCS#5 v1.5 / PKCS#12 scheme; scrypt's N, r and p, each and as their
 * product (`openssl pkcs8 -scrypt` writes N 16384, r 8, p 1: 2^17). */
#define ARTSIG_KEY_KDF_ITER_MAX 2000000
/** scrypt's largest N, r and p accepted, each and as their product (see
 * ARTSIG_KEY_KDF_ITER_MAX). */
#define ARTSIG_KEY_SCRYPT_COST_MAX (1 << 20)

/** Asked for the passphrase of an encrypted private key. Write at most `size`
 * bytes into `buf` (no terminator needed) and return the length, or a
 * negative value to give up (the load then fails with ARTSIG_EPASSPHRASE).
 * libartsig wipes `buf` after use. */
typedef int (*artsig_passphrase_cb)(char *buf, size_t size, void *userdata);

/** Load a private or public key, PEM or DER, in any of these forms:
 * RSA: PKCS#1 "RSA PRIVATE KEY", PKCS#8, SPKI "PUBLIC KEY", PKCS#1 "RSA PUBLIC KEY";
 * ECDSA P-256: SEC1 "EC PRIVATE KEY" (an "EC PARAMETERS" block before it is
 * skipped), PKCS#8, SPKI; Ed25519: PKCS#8, SPKI. Encrypted PKCS#8 or
 * traditional encrypted PEM needs `passphrase` (may be NULL otherwise).
 * Anything else is refused with a code that tells why (see artsig_status) and
 * a detail that names what was found. On success *out holds one reference,
 * the caller's, dropped with artsig_key_free(). Files larger than
 * ARTSIG_KEY_FILE_MAX are refused with ARTSIG_ELIMIT. */
ARTSIG_API int artsig_key_load_file(artsig_key **out, const char *path,
                                    artsig_passphrase_cb passphrase, void *userdata);
/** The same as artsig_key_load_file(), from the `len` bytes at `data`. */
ARTSIG_API int artsig_key_load_mem(artsig_key **out, const void *data, size_t len,
                                   artsig_passphrase_cb passphrase, void *userdata);

/** Generate a fresh private key of `type` (RSA: 3072 bits). On success *out
 * holds one reference, the caller's. */
ARTSIG_API int artsig_key_generate(artsig_key **out, artsig_key_type type);

/** Add a reference; returns `key`. */
ARTSIG_API artsig_key *artsig_key_ref(artsig_key *key);
/** Drop a reference; the key is wiped and freed with the last one. NULL is a no-op. */
ARTSIG_API void artsig_key_free(artsig_key *key);

/** The key's algorithm. */
ARTSIG_API artsig_key_type artsig_key_get_type(const artsig_key *key);
/** "rsa", "ecdsa-p256" or "ed25519"; NULL for an unknown value. */
ARTSIG_API const char *artsig_key_type_name(artsig_key_type type);
/** Modulus bits for RSA, 256 for P-256 and Ed25519. */
ARTSIG_API unsigned artsig_key_bits(const artsig_key *key);
/** 1 when the key holds private material, else 0. */
ARTSIG_API int artsig_key_is_private(const artsig_key *key);
/** 1 when the key is accepted but below current recommendations (RSA < 3072). */
ARTSIG_API int artsig_key_is_weak(const artsig_key *key);

/** SHA-256 of the DER SubjectPublicKeyInfo: the key's identity, the same for
 * its private and public halves. */
ARTSIG_API int artsig_key_fingerprint(uint8_t out[32], const artsig_key *key);
/** The same as 64 lowercase hex characters and a terminator. */
ARTSIG_API int artsig_key_fingerprint_hex(char out[65], const artsig_key *key);

/** The forms artsig_key_export() writes. Values are ABI. */
typedef enum artsig_key_export_form {
    ARTSIG_EXPORT_PUBLIC_SPKI_PEM = 1,  /**< public key, SubjectPublicKeyInfo "PUBLIC KEY" */
    ARTSIG_EXPORT_PRIVATE_PKCS8_PEM = 2 /**< private key, unencrypted PKCS#8 "PRIVATE KEY" */
} artsig_key_export_form;
/** PEM export. `*out` is NUL-terminated and must be released with
 * artsig_free() (private exports are wiped first by artsig_key_free_pem()).
 * *len receives its length, without the terminator. A private export of a
 * public key is ARTSIG_EKEYROLE. */
ARTSIG_API int artsig_key_export(char **out, size_t *len, const artsig_key *key,
                                 artsig_key_export_form form);
/** Wipe and free an export (use this for private exports). NULL is a no-op. */
ARTSIG_API void artsig_key_free_pem(char *pem, size_t len);

#ifdef __cplusplus
}
#endif

#endif
