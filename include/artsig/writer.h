/** @file
 * libartsig — writing artifacts, and signing existing ones.
 */
#ifndef ARTSIG_WRITER_H
#define ARTSIG_WRITER_H

#include <sys/types.h>

#include <artsig/reader.h>
#include <artsig/signer.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Compression of header and payload members. Values are ABI. */
typedef enum artsig_compression {
    ARTSIG_COMPRESS_NONE = 0, /**< stored as they are */
    ARTSIG_COMPRESS_GZIP = 1, /**< gzip (mender-artifact's default) */
    ARTSIG_COMPRESS_XZ = 2, /**< mender-artifact calls it "lzma" */
    ARTSIG_COMPRESS_ZSTD = 3  /**< Zstandard */
} artsig_compression;

/** The compression named "none", "gzip", "lzma" or "xz", "zstd"; any other
 * name is ARTSIG_EINVAL. */
ARTSIG_API int artsig_compression_from_name(artsig_compression *out, const char *name);

/** An artifact being described, then written once. Everything is copied in;
 * files are only opened by artsig_writer_write_*(). Not for use by two
 * threads at once. */
typedef struct artsig_writer artsig_writer;

/** A new writer (format 3, gzip), the caller's; release it with
 * artsig_writer_free(). */
ARTSIG_API int artsig_writer_new(artsig_writer **out);
/** NULL is a no-op. */
ARTSIG_API void artsig_writer_free(artsig_writer *w);

/** Format 3 (default) or 2 (one rootfs-image payload, no provides/depends). */
ARTSIG_API int artsig_writer_set_format_version(artsig_writer *w, int version);
/** The artifact's name (required; non-empty UTF-8, else ARTSIG_EINVAL). */
ARTSIG_API int artsig_writer_set_name(artsig_writer *w, const char *name);
/** Add a compatible device type (at least one is required). */
ARTSIG_API int artsig_writer_add_device_type(artsig_writer *w, const char *device_type);
/** The group the artifact provides (artifact_group). */
ARTSIG_API int artsig_writer_set_provides_group(artsig_writer *w, const char *group);
/** artifact_depends: `key` is "artifact_name" or "artifact_group" (lists). */
ARTSIG_API int artsig_writer_add_artifact_depends(artsig_writer *w, const char *key,
                                                  const char *value);
/** A state script; its file name must be a valid state script name. Scripts
 * are written in the order added. */
ARTSIG_API int artsig_writer_add_script(artsig_writer *w, const char *path);
/** Compress with `c` at `level`; 0 picks the default.
 * - gzip: 1 to 3 are ISA-L's igzip levels, several times faster than zlib's
 *   (the default is 2, a few per cent larger than zlib's default); 4 to 9
 *   are zlib's, smaller and much slower. Either way one standard gzip
 *   member. ISA-L picks its code for the processor at run time: levels 1
 *   and 2 give the same bytes on x86-64 processors with and without
 *   AVX-512, level 3 does not; another architecture may give other bytes.
 *   zlib's levels depend on zlib's version only.
 * - xz: presets 1 to 9 (default 6).
 * - zstd: levels 1 to ZSTD_maxCLevel() (default 3). */
ARTSIG_API int artsig_writer_set_compression(artsig_writer *w, artsig_compression c, int level);
/** Threads that compress (0, the default: one per online CPU; 1: only the
 * calling thread for gzip). The output does not depend on it. gzip uses at
 * most 4; xz fewer when that many would need over a quarter of the RAM. */
ARTSIG_API int artsig_writer_set_threads(artsig_writer *w, unsigned threads);
/** Modification time of every tar entry; default SOURCE_DATE_EPOCH, else 0. */
ARTSIG_API int artsig_writer_set_mtime(artsig_writer *w, int64_t mtime);
/** Sign the manifest with `signer` (the writer takes a reference); NULL: unsigned. */
ARTSIG_API int artsig_writer_set_signer(artsig_writer *w, artsig_signer *signer);
/** Where compressed payloads are staged before the manifest is known
 * (default $TMPDIR or /tmp; an O_TMPFILE that vanishes on any exit). */
ARTSIG_API int artsig_writer_set_tmpdir(artsig_writer *w, const char *dir);

/** A payload of `type` ("rootfs-image", a module name; NULL: the empty payload
 * of a bootstrap artifact). *index receives its number. A rootfs-image holds
 * exactly one file, a bootstrap payload none. */
ARTSIG_API int artsig_writer_add_payload(size_t *index, artsig_writer *w, const char *type);
/** A provide of the payload; a key given twice is ARTSIG_EINVAL. */
ARTSIG_API int artsig_writer_payload_add_provides(artsig_writer *w, size_t payload,
                                                  const char *key, const char *value);
/** Repeating a key makes its value a list. */
ARTSIG_API int artsig_writer_payload_add_depends(artsig_writer *w, size_t payload,
                                                 const char *key, const char *value);
/** A glob of provides the payload clears on install (clears_artifact_provides). */
ARTSIG_API int artsig_writer_payload_add_clears(artsig_writer *w, size_t payload,
                                                const char *glob);
/** meta-data: JSON object text (written compact, keys sorted); an empty
 * object is no meta-data, as for mender-artifact. */
ARTSIG_API int artsig_writer_payload_set_meta_data(artsig_writer *w, size_t payload,
                                                   const char *json);
/** Provide `key` = SHA-256 of the payload's single file (rootfs-image.checksum),
 * computed while the file is compressed. */
ARTSIG_API int artsig_writer_payload_provide_checksum(artsig_writer *w, size_t payload,
                                                      const char *key);
/** A payload file; `name` NULL takes the path's base name. Names must be valid
 * payload names (artsig_payload_name_valid) and unique within the payload. */
ARTSIG_API int artsig_writer_payload_add_file(artsig_writer *w, size_t payload,
                                              const char *path, const char *name);

/** Write the artifact. The same description, options, inputs and a
 * deterministic signer (RSA, Ed25519) give byte-identical output (for gzip
 * level 3, on processors of the same kind: see
 * artsig_writer_set_compression()). Payloads are compressed into the
 * staging file before the first byte is written. On failure, what was
 * written is unspecified: the caller discards it. A writer may write any
 * number of times. A regular file gets the staged payloads by
 * copy_file_range where the file systems allow, and its writeback is
 * started as it fills (sync_file_range), so that an fsync after is short. */
ARTSIG_API int artsig_writer_write_fd(artsig_writer *w, int fd);
/** Take up to `len` bytes: return how many (at least 1; the rest comes in
 * the next call), or a negative value to fail the write with ARTSIG_EIO. */
typedef ssize_t (*artsig_write_cb)(const void *data, size_t len, void *userdata);
/** Write the artifact through `write`, called on the caller's thread; as
 * artsig_writer_write_fd() otherwise. */
ARTSIG_API int artsig_writer_write_cb(artsig_writer *w, artsig_write_cb write, void *userdata);

#define ARTSIG_SIGN_REPLACE 1u        /**< replace an existing signature instead of refusing */
#define ARTSIG_SIGN_CHECK_PAYLOADS 2u /**< verify every payload digest before signing */
/** Signing an existing artifact: a stream copy of `in_fd` to `out_fd` with
 * manifest.sig inserted after manifest, everything else byte for byte (no
 * recompression). The structure and the header digest are checked first.
 * `flags`: ARTSIG_SIGN_REPLACE, ARTSIG_SIGN_CHECK_PAYLOADS. Neither
 * descriptor is closed. An already signed artifact without
 * ARTSIG_SIGN_REPLACE is refused with ARTSIG_ESTATE. A regular-file output
 * is copied to by copy_file_range where the file systems allow, and its
 * writeback is started as it fills, so that an fsync after is short. */
ARTSIG_API int artsig_artifact_sign(int out_fd, int in_fd, artsig_signer *signer,
                                    unsigned flags);
/** The same with a signature made elsewhere (offline signing). With `check`
 * (may be NULL) a signature that no key of it verifies over this artifact's
 * manifest is refused; a malformed signature is always refused. */
ARTSIG_API int artsig_artifact_attach_signature(int out_fd, int in_fd, const uint8_t *sig,
                                                size_t sig_len, const artsig_keyring *check,
                                                unsigned flags);
/** The artifact's manifest bytes (what is signed), after the same checks.
 * Release with artsig_free(). */
ARTSIG_API int artsig_artifact_export_manifest(uint8_t **manifest, size_t *len, int in_fd);

#ifdef __cplusplus
}
#endif

#endif
