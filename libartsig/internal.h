/* Helpers shared by the library's modules; never installed. */
#ifndef ARTSIG_INTERNAL_H
#define ARTSIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <artsig.h>

#if defined(__GNUC__)
#define ASIG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ASIG_PRINTF(f, a)
#endif

/* Record `status` and a formatted detail as the calling thread's last error;
 * returns `status` so callers can write `return asig_fail(...)`. */
int asig_fail(int status, const char *fmt, ...) ASIG_PRINTF(2, 3);

/* Like asig_fail, and appends OpenSSL's most recent error reason (and clears
 * OpenSSL's error queue). */
int asig_fail_ssl(int status, const char *fmt, ...) ASIG_PRINTF(2, 3);

/* Make `detail`, a text saved from artsig_last_error() on another thread,
 * the calling thread's last error; returns `status`. */
int asig_fail_saved(int status, const char *detail);

/* Read a whole file of at most `max` bytes. *out is NUL-terminated (not
 * counted) and must be released with free(); wipe it first if it may hold
 * secrets. Errors: ENOENT, EIO, ELIMIT. */
int asig_read_file(uint8_t **out, size_t *len, const char *path, size_t max);

/* Text from hostile input (names from an artifact) made fit for an error
 * detail: at most ASIG_SHOWN_MAX bytes, anything but printable ASCII as '?',
 * "..." when cut. Returns `buf`. */
#define ASIG_SHOWN_MAX 60
const char *asig_printable(char buf[static ASIG_SHOWN_MAX + 4], const char *s, size_t len);
/* The same with room for `max` bytes of text (`buf` holds max + 4). */
const char *asig_printable_cut(char *buf, size_t max, const char *s, size_t len);

/* Binary search of [lo, hi) of a sequence sorted by strcmp whose i-th name is
 * name_at(seq, i). True, with *pos its index, when `name` is there; else
 * false, with *pos where it would be inserted. */
bool asig_find_name(size_t *pos, const void *seq, size_t lo, size_t hi,
                    const char *(*name_at)(const void *seq, size_t i), const char *name);

/* A state script name, "<State>_<Enter|Leave|Error>_NN[_name]" (without
 * "scripts/"), as the reader accepts it. */
bool asig_script_name_valid(const char *name);

/* Parse one whole header JSON document through the strict gate
 * (json_strict.h: read the same by Go, jansson and json-c, or refused), with
 * ARTSIG_LIMIT_JSON_DEPTH and ARTSIG_LIMIT_JSON_VALUES. `what` names it in
 * error details. The caller puts *out. */
struct json_object;
int asig_json_parse(struct json_object **out, const char *what, const uint8_t *data,
                    size_t len);

/* Building json-c trees: any allocation failure sets `failed`, and later
 * calls become no-ops, so builders need no error paths of their own. A NULL
 * value is JSON null; put and push take ownership of it. */
struct asig_jb {
    bool failed;
};
struct json_object *asig_jb_made(struct asig_jb *b, struct json_object *o);
void asig_jb_put(struct asig_jb *b, struct json_object *obj, const char *key,
                 struct json_object *v);
void asig_jb_push(struct asig_jb *b, struct json_object *arr, struct json_object *v);
/* A string; NULL `s` is JSON null. */
struct json_object *asig_jb_string(struct asig_jb *b, const char *s);
struct json_object *asig_jb_strings(struct asig_jb *b, char *const *v, size_t n);
/* A copy of `v` with every object's keys in bytewise order, so that text made
 * from it does not depend on the order of the input. Scalars are shared. */
struct json_object *asig_jb_sorted(struct asig_jb *b, struct json_object *v);

/* artsig_signer_new_callback for the library's own signers (PKCS#11, Cloud
 * KMS, Vault, a program), which own `userdata`: `destroy` (may be NULL)
 * releases it with the signer's last reference. `source` ("Vault", "the
 * token") names the signer in details, and a failing `sign` keeps the
 * detail it set rather than a generic one. */
int asig_signer_new_owned(artsig_signer **out, artsig_key_type type, artsig_key *public_key,
                          artsig_sign_cb sign, void *userdata, void (*destroy)(void *),
                          const char *source);

/* An artsig_key of an OpenSSL key made elsewhere (a token's or a service's
 * public half), held to the same rules as a loaded one; `origin` names it in
 * details. Takes ownership of `pkey`, even on failure. */
struct evp_pkey_st;
int asig_key_from_pkey(artsig_key **out, struct evp_pkey_st *pkey, const char *origin);

/* Mender's ECDSA P-256 encoding: r||s, each half big-endian, zero-padded. */
#define ASIG_ECDSA_RAW_LEN 64
/* A DER ECDSA-Sig-Value (nothing after it) as r||s. ESIGFORMAT when it is
 * not one, or when r or s does not fit a half. */
int asig_ecdsa_der_to_raw(uint8_t raw[static ASIG_ECDSA_RAW_LEN], const uint8_t *der,
                          size_t der_len);

/* Write all of `data`, retrying short writes and EINTR: 0 or an errno value. */
int asig_write_all(int fd, const void *data, size_t len);

/* A bulk copy into a file its caller is likely to fsync (an artifact being
 * written or signed): every ASIG_WRITEBACK_STEP bytes noted, the kernel is
 * asked to start writing back the file's dirty pages, so that the disk
 * works while the copy goes on and the fsync finds little left to do (about
 * a third off copy and fsync together). Descriptors that are no file, and
 * systems without sync_file_range, are left alone. */
#define ASIG_WRITEBACK_STEP ((uint64_t)8 << 20)
struct asig_writeback {
    int fd;
    uint64_t since; /* bytes noted since the last request */
    bool off;
};
void asig_writeback_note(struct asig_writeback *wb, uint64_t written);

/* Wipe a NUL-terminated secret (a token, a PIN) and free it. NULL is a no-op. */
void asig_wipe_free(char *s);

/* libsodium must be initialised once before use; cheap after the first call. */
int asig_sodium_ready(void);

#endif
