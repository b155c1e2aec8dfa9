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

/* Binary search of [lo, hi) of a sequence sorted by strcmp whose i-th name is
 * name_at(seq, i). True, with *pos its index, when `name` is there; else
 * false, with *pos where it would be inserted. */
bool asig_find_name(size_t *pos, const void *seq, size_t lo, size_t hi,
                    const char *(*name_at)(const void *seq, size_t i), const char *name);

/* libsodium must be initialised once before use; cheap after the first call. */
int asig_sodium_ready(void);

#endif
