/* Small helpers shared by the Check tests. */
#ifndef ARTSIG_TESTUTIL_H
#define ARTSIG_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Path under $ARTSIG_VECTORS, e.g. vec_path("keys/rsa3072.pub"); malloc'd,
 * released by the test or left to process exit. */
char *vec_path(const char *rel);
/* Whole file into memory (malloc'd, NUL-terminated); aborts the test on error. */
uint8_t *slurp(const char *path, size_t *len);
/* Decode hex into a malloc'd buffer; *len gets the byte count. */
uint8_t *unhex(const char *hex, size_t *len);
/* Run a Check suite and return the process exit status. */
struct Suite;
int run_suite(struct Suite *s);

#endif
