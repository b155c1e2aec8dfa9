/* Small helpers shared by the Check tests. */
#ifndef ARTSIG_TESTUTIL_H
#define ARTSIG_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <artsig.h>

/* Path under $ARTSIG_VECTORS, e.g. vec_path("keys/rsa3072.pub"); malloc'd,
 * released by the test or left to process exit. */
char *vec_path(const char *rel);
/* The same with the relative part formatted, e.g. vec_pathf("keys/%s", file). */
__attribute__((format(printf, 1, 2))) char *vec_pathf(const char *fmt, ...);
/* Vector key keys/FILE, loaded without a passphrase; aborts the test on error. */
artsig_key *load_vec_key(const char *file);
/* Whole file into memory (malloc'd, NUL-terminated); aborts the test on error. */
uint8_t *slurp(const char *path, size_t *len);
/* The rest of an open stream, as slurp; the stream is left open. */
uint8_t *slurp_stream(FILE *f, size_t *len);
/* Decode hex into a malloc'd buffer; *len gets the byte count. */
uint8_t *unhex(const char *hex, size_t *len);
/* Write a whole file; aborts the test on error. */
void write_file(const char *path, const void *data, size_t len);

/* A test case whose every test runs with a fresh, empty scratch folder,
 * removed afterwards; tmp() and sh() work there. */
struct TCase;
struct TCase *scratch_tcase(const char *name);
/* Path of `name` in the scratch folder (rotating static buffers: four at a
 * time). */
const char *tmp(const char *name);
/* Run a shell command in the scratch folder, where $V is the vector keys
 * folder; returns its exit status. */
__attribute__((format(printf, 1, 2))) int sh(const char *fmt, ...);

/* The process's peak resident set so far, in KiB (getrusage's ru_maxrss);
 * aborts the test on error. */
long max_rss_kib(void);

/* Run a Check suite and return the process exit status. */
struct Suite;
int run_suite(struct Suite *s);

#endif
