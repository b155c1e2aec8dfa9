/** @file
 * libartsig — SHA-256 digesting and the artifact manifest.
 */
#ifndef ARTSIG_MANIFEST_H
#define ARTSIG_MANIFEST_H

#include <artsig/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ARTSIG_DIGEST_LEN 32     /**< bytes in a SHA-256 digest */
#define ARTSIG_DIGEST_HEX_LEN 64 /**< hex characters of a digest, without a terminator */

/** Streaming SHA-256 (OpenSSL EVP, so the CPU's SHA extensions are used).
 * Not for use by two threads at once. */
typedef struct artsig_sha256_ctx artsig_sha256_ctx;

/** A new SHA-256 context, the caller's; release it with artsig_sha256_free(). */
ARTSIG_API int artsig_sha256_new(artsig_sha256_ctx **out);
/** NULL is a no-op. */
ARTSIG_API void artsig_sha256_free(artsig_sha256_ctx *ctx);
/** Hash `len` more bytes of the message. */
ARTSIG_API int artsig_sha256_update(artsig_sha256_ctx *ctx, const void *data, size_t len);
/** Write the digest and reset the context for a new message. */
ARTSIG_API int artsig_sha256_final(uint8_t out[ARTSIG_DIGEST_LEN], artsig_sha256_ctx *ctx);
/** One-shot convenience. */
ARTSIG_API int artsig_sha256(uint8_t out[ARTSIG_DIGEST_LEN], const void *data, size_t len);

/** 64 lowercase hex characters and a terminator. */
ARTSIG_API void artsig_digest_to_hex(char out[ARTSIG_DIGEST_HEX_LEN + 1],
                                     const uint8_t digest[ARTSIG_DIGEST_LEN]);
/** Exactly 64 lowercase hex characters; anything else is ARTSIG_EINVAL. */
ARTSIG_API int artsig_digest_from_hex(uint8_t out[ARTSIG_DIGEST_LEN], const char *hex,
                                      size_t len);
/** Constant-time comparison: 1 when equal, 0 otherwise. */
ARTSIG_API int artsig_digest_equal(const uint8_t a[ARTSIG_DIGEST_LEN],
                                   const uint8_t b[ARTSIG_DIGEST_LEN]);

/** @name Limits of a manifest
 * Limits of a manifest (and of manifest-augment, which has the same form).
 * @{ */
#define ARTSIG_MANIFEST_MAX_BYTES (1024 * 1024) /**< largest manifest, in bytes */
#define ARTSIG_MANIFEST_MAX_ENTRIES 10000       /**< most entries in a manifest */
#define ARTSIG_NAME_MAX 255 /**< longest payload file name */
/** @} */

/** A manifest: a set of (name, SHA-256) entries with unique names.
 * Valid names: "version", "header.tar[.gz|.xz|.zst]",
 * "header-augment.tar[.gz|.xz|.zst]", and "data/NNNN/FILE" where NNNN is four
 * decimal digits and FILE matches [A-Za-z0-9_.,-]+ and is not "." or "..".
 * Not for use by two threads at once. */
typedef struct artsig_manifest artsig_manifest;

/** A new, empty manifest, the caller's; release it with artsig_manifest_free(). */
ARTSIG_API int artsig_manifest_new(artsig_manifest **out);
/** NULL is a no-op. */
ARTSIG_API void artsig_manifest_free(artsig_manifest *m);

/** Parse strictly: every line exactly `"<64 lowercase hex>  <name>\n"`, LF only,
 * no blank lines, valid and unique names, within the limits above. The error
 * detail names the offending line. An empty manifest is refused.
 * Errors: ARTSIG_EMANIFEST when malformed, ARTSIG_ELIMIT beyond the limits.
 * On success *out is the caller's (artsig_manifest_free()). */
ARTSIG_API int artsig_manifest_parse(artsig_manifest **out, const void *data, size_t len);

/** Add an entry. A duplicate or invalid name is the caller's error
 * (ARTSIG_EINVAL); going beyond the limits above is ARTSIG_ELIMIT. */
ARTSIG_API int artsig_manifest_add(artsig_manifest *m, const char *name,
                                   const uint8_t digest[ARTSIG_DIGEST_LEN]);

/** Canonical form: entries sorted by name (bytewise), `"<hex>  <name>\n"` each.
 * *out is NUL-terminated (not counted in *len); release with artsig_free().
 * An empty manifest is ARTSIG_ESTATE, as it would not parse back. */
ARTSIG_API int artsig_manifest_serialize(char **out, size_t *len, const artsig_manifest *m);

/** Number of entries. */
ARTSIG_API size_t artsig_manifest_count(const artsig_manifest *m);
/** Entry `index` in name order; pointers are borrowed and stay valid until
 * the manifest is changed or freed. ARTSIG_EINVAL when index >= count. */
ARTSIG_API int artsig_manifest_entry(const char **name, const uint8_t **digest,
                                     const artsig_manifest *m, size_t index);
/** ARTSIG_ENOTFOUND when `name` is not listed. */
ARTSIG_API int artsig_manifest_lookup(const uint8_t **digest, const artsig_manifest *m,
                                      const char *name);

/** 1 when `name` is a valid payload file name (the FILE part above). */
ARTSIG_API int artsig_payload_name_valid(const char *name, size_t len);

#ifdef __cplusplus
}
#endif

#endif
