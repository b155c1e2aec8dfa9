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

/* libsodium must be initialised once before use; cheap after the first call. */
int asig_sodium_ready(void);

#endif
