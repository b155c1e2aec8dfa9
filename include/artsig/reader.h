/** @file
 * libartsig — streaming artifact reader and verifier.
 *
 * The reader consumes a Mender Artifact as a stream, in the order a device
 * must trust it:
 *   version -> manifest -> manifest.sig (checked against the keyring here,
 *   before any header byte reaches the caller) -> header (its digest checked at
 *   its end, before the header callback) -> payload files (each hashed while it
 *   streams, its digest compared at its end) -> end (every listed file seen).
 * The final status of artsig_reader_run_*() / artsig_reader_finish() is the
 * verdict: only ARTSIG_OK means the artifact is authentic and intact. A
 * consumer that stores payload data must not commit it before that.
 *
 * Memory is bounded by a constant (the limits below), whatever the size of
 * the artifact. Every byte of the artifact is checked: tar padding and
 * end-of-archive blocks must be zeros, and a compressed member must be
 * exactly its compressed stream(s), whose own checks must hold. Compressed
 * members are decompressed on a thread of their own, ahead of the callbacks.
 */
#ifndef ARTSIG_READER_H
#define ARTSIG_READER_H

#include <sys/types.h>

#include <artsig/manifest.h>
#include <artsig/signature.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @name Limits
 * Limits on everything in an artifact that grows with input. Exceeding one
 * fails with ARTSIG_ELIMIT and a detail naming the limit.
 * @{ */
#define ARTSIG_LIMIT_SMALL_MEMBER (64 * 1024)       /**< version, manifest.sig */
#define ARTSIG_LIMIT_HEADER_FILE (1024 * 1024)      /**< one file inside header.tar */
#define ARTSIG_LIMIT_HEADER_TOTAL (4 * 1024 * 1024) /**< all of header.tar, uncompressed */
#define ARTSIG_LIMIT_PAYLOADS 256                   /**< payloads per artifact */
#define ARTSIG_LIMIT_FILES 4096                     /**< files across all payloads */
#define ARTSIG_LIMIT_SCRIPTS 256                    /**< state scripts */
#define ARTSIG_LIMIT_JSON_DEPTH 16                  /**< nesting in any header JSON */
#define ARTSIG_LIMIT_JSON_VALUES 5000               /**< values in all header JSON of an artifact */
/** Decompressing header and data members (no digest covers the compressed
 * bytes of a data member, and a header's is checked only at its end): the
 * memory of an xz decoder (mender-artifact writes xz with a 64 MiB dictionary,
 * which takes about 65 MiB to decode), and the largest zstd window, as a power
 * of two (2^26 bytes = 64 MiB). gzip needs 32 KiB whatever the data. */
#define ARTSIG_LIMIT_DECODER_MEMORY (80 * 1024 * 1024)
/** The largest zstd window accepted, as a power of two (see above). */
#define ARTSIG_LIMIT_DECODER_WINDOW_LOG 26
/** @} */

/** Facts about an artifact, owned by the reader. Valid from the header callback
 * until the reader is freed. All strings are NUL-terminated UTF-8. Every
 * pointer an artsig_info_*() function returns is borrowed from it. */
typedef struct artsig_info artsig_info;

/** Signature state of an artifact, known once the manifest was read. */
typedef enum artsig_sig_state {
    ARTSIG_SIG_UNSIGNED = 0,  /**< no manifest.sig */
    ARTSIG_SIG_UNCHECKED = 1, /**< signed, but no keys were given */
    ARTSIG_SIG_VERIFIED = 2   /**< verified by a key of the keyring */
} artsig_sig_state;

/** The artifact's format version (2 or 3). */
ARTSIG_API int artsig_info_format_version(const artsig_info *info);
/** The artifact's name (its artifact_name provide). */
ARTSIG_API const char *artsig_info_name(const artsig_info *info);
/** NULL when the artifact provides no group. */
ARTSIG_API const char *artsig_info_group(const artsig_info *info);
/** Number of compatible device types. */
ARTSIG_API size_t artsig_info_device_type_count(const artsig_info *info);
/** Compatible device type `index`, or NULL when out of range. */
ARTSIG_API const char *artsig_info_device_type(const artsig_info *info, size_t index);
/** Whether the artifact is signed, and whether a key verified it. */
ARTSIG_API artsig_sig_state artsig_info_signature(const artsig_info *info);
/** Index in the keyring of the key that verified; -1 unless VERIFIED. */
ARTSIG_API long artsig_info_verifying_key(const artsig_info *info);
/** 1 when the artifact carries manifest-augment / header-augment members,
 * which are outside the signature. */
ARTSIG_API int artsig_info_is_augmented(const artsig_info *info);
/** Payload files listed only in manifest-augment: no signature covers their
 * digests. Whoever can change the artifact in transit can add such files to
 * any signed artifact (with a manifest-augment and header-augment of their
 * own), so a consumer that acts on payloads should refuse them unless its
 * policy trusts augmented artifacts. */
ARTSIG_API size_t artsig_info_unsigned_file_count(const artsig_info *info);

/** State scripts sorted by name (bytewise), which within one state and action
 * is the order the Mender client runs them: name as
 * "ArtifactInstall_Enter_00[_name]" (without "scripts/") and content. */
ARTSIG_API size_t artsig_info_script_count(const artsig_info *info);
/** Script `index` in that order: its name and content (`*len` bytes, not
 * NUL-terminated). ARTSIG_EINVAL when out of range. */
ARTSIG_API int artsig_info_script(const char **name, const uint8_t **data, size_t *len,
                                  const artsig_info *info, size_t index);

/** Number of payloads (a bootstrap artifact has one, empty). */
ARTSIG_API size_t artsig_info_payload_count(const artsig_info *info);
/** Payload type: "rootfs-image" (also for mender-artifact's empty type), a
 * module name, or NULL for the empty payload of a bootstrap artifact. */
ARTSIG_API const char *artsig_info_payload_type(const artsig_info *info, size_t payload);
/** Number of files the payload holds (known from the manifest). */
ARTSIG_API size_t artsig_info_file_count(const artsig_info *info, size_t payload);
/** Name, size (-1 until the file was read) and manifest digest of a file. */
ARTSIG_API int artsig_info_file(const char **name, int64_t *size, const uint8_t **digest,
                                const artsig_info *info, size_t payload, size_t index);
/** The payload's meta-data as compact JSON text, or NULL when absent or empty. */
ARTSIG_API const char *artsig_info_meta_data(const artsig_info *info, size_t payload);

/** @name Provides, depends and clears
 * Provides, depends and clears_artifact_provides, of the artifact
 * (`payload` = ARTSIG_ARTIFACT) or of one payload, as the signed header
 * states them (header-augment's additions appear only in the JSON document).
 * Provides values are strings. A depends value is a list of accepted strings
 * (a single string in the header is a list of one). Entries are in key order.
 * The artifact's provides are artifact_name and artifact_group; its depends
 * are device_type, artifact_name and artifact_group.
 * @{ */
/** The `payload` argument that names the artifact itself, not a payload. */
#define ARTSIG_ARTIFACT ((size_t)-1)
/** Number of provides of the artifact or of a payload (0 for no such payload). */
ARTSIG_API size_t artsig_info_provides_count(const artsig_info *info, size_t payload);
/** Provide `index`: its key and value. ARTSIG_EINVAL when out of range. */
ARTSIG_API int artsig_info_provides(const char **key, const char **value,
                                    const artsig_info *info, size_t payload, size_t index);
/** Number of depends of the artifact or of a payload (0 for no such payload). */
ARTSIG_API size_t artsig_info_depends_count(const artsig_info *info, size_t payload);
/** Depend `index`: its key and the `*nvalues` strings it accepts.
 * ARTSIG_EINVAL when out of range. */
ARTSIG_API int artsig_info_depends(const char **key, const char *const **values,
                                   size_t *nvalues, const artsig_info *info, size_t payload,
                                   size_t index);
/** Globs of provides the payload clears on install (payloads only). */
ARTSIG_API size_t artsig_info_clears_count(const artsig_info *info, size_t payload);
/** Glob `index` of those, or NULL when out of range. */
ARTSIG_API const char *artsig_info_clears(const artsig_info *info, size_t payload,
                                          size_t index);
/** @} */

/** All facts as one JSON document (the format `artsig read --json` prints;
 * docs/read-json.md documents it): provides, depends and
 * clears_artifact_provides of the artifact and of each payload, scripts,
 * files, signature. A file's size is null until the file was read, so after a
 * complete, successful run every size is filled in. The text stays valid until
 * the next call of artsig_info_json() on the same info or until the reader is
 * freed. NULL only when out of memory. */
ARTSIG_API const char *artsig_info_json(const artsig_info *info);

/** The raw bytes of the manifest, for signing or export. */
ARTSIG_API int artsig_info_manifest(const uint8_t **data, size_t *len, const artsig_info *info);

/** The verified raw bytes of a header.tar file, exactly as the artifact holds
 * them (header-augment.tar's files are never returned): `name` "header-info"
 * with `payload` = ARTSIG_ARTIFACT, or "type-info" / "meta-data" of payload
 * index `payload` (headers/NNNN/NAME). The bytes are not NUL-terminated and
 * stay valid as long as the info; an empty file gives `len` 0 and a non-NULL
 * `data`. ARTSIG_ENOTFOUND when the file is absent (e.g. a payload without a
 * meta-data member, or no such payload); ARTSIG_EINVAL for any other name. */
ARTSIG_API int artsig_info_header_file(const uint8_t **data, size_t *len,
                                       const artsig_info *info, size_t payload,
                                       const char *name);

/** What the consumer is told, in this order. Any callback may be NULL.
 * Returning non-zero from a callback stops the reader with ARTSIG_ECANCELLED. */
typedef struct artsig_reader_callbacks {
    /** The signature checked (or absent and allowed) and the header verified. */
    int (*header)(const artsig_info *info, void *userdata);
    /** A payload file starts; `size` is its length in bytes. */
    int (*file_begin)(size_t payload, const char *name, uint64_t size, void *userdata);
    /** A chunk of the current file. Not yet verified: do not commit it. */
    int (*file_data)(const void *data, size_t len, void *userdata);
    /** The current file ended and its digest matched the manifest. */
    int (*file_end)(size_t payload, const char *name, void *userdata);
} artsig_reader_callbacks;

/** A streaming reader and verifier of one artifact (see reader.h). Not for
 * use by two threads at once. */
typedef struct artsig_reader artsig_reader;

/** A reader that checks signatures with `keyring` (NULL or empty: signatures
 * are not checked, everything else is). With keys, an unsigned artifact is
 * refused with ARTSIG_EUNSIGNED. The reader holds no reference to `keyring`:
 * it must outlive the reader. `callbacks` is copied; it may be NULL. On
 * success *out is the caller's (artsig_reader_free()). A reader reads one
 * artifact. */
ARTSIG_API int artsig_reader_new(artsig_reader **out, const artsig_keyring *keyring,
                                 const artsig_reader_callbacks *callbacks, void *userdata);
/** NULL is a no-op. */
ARTSIG_API void artsig_reader_free(artsig_reader *reader);

/** Stop after the header callback, without reading payloads (for `read`
 * without payload checks). The verdict then covers only what was read. */
ARTSIG_API int artsig_reader_set_header_only(artsig_reader *reader, int header_only);

/** Read the whole artifact from a file descriptor (not closed). */
ARTSIG_API ARTSIG_WARN_UNUSED int artsig_reader_run_fd(artsig_reader *reader, int fd);

/** Pull input: the callback fills `buf` with up to `size` bytes and returns how
 * many (0 at the end of input, negative on error, which fails the read with
 * ARTSIG_EIO). */
typedef ssize_t (*artsig_read_cb)(void *buf, size_t size, void *userdata);
/** Read the whole artifact through `read`, called on the caller's thread. */
ARTSIG_API ARTSIG_WARN_UNUSED int artsig_reader_run_pull(artsig_reader *reader,
                                                         artsig_read_cb read,
                                                         void *userdata);

/** Push input: hand over the artifact in pieces as they arrive, then call
 * finish() for the verdict. Callbacks run on an internal thread, but only
 * while the caller is inside push() or finish() (which wait for them), so a
 * consumer needs no locking. After an error push() keeps returning it. */
ARTSIG_API int artsig_reader_push(artsig_reader *reader, const void *data, size_t len);
/** The end of pushed input: wait for the last callbacks and return the
 * verdict. */
ARTSIG_API ARTSIG_WARN_UNUSED int artsig_reader_finish(artsig_reader *reader);

/** The facts read so far (NULL before the manifest was read), borrowed from
 * the reader. */
ARTSIG_API const artsig_info *artsig_reader_info(const artsig_reader *reader);

#ifdef __cplusplus
}
#endif

#endif
