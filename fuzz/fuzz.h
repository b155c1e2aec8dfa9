/* What the fuzz targets share. Each fuzz_<what>.c defines the libFuzzer entry
 * point; replay.c or libFuzzer provides main(). */
#ifndef ARTSIG_FUZZ_H
#define ARTSIG_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <artsig.h>

/* Called once per input; must return 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read every fact of `info` through the public accessors and artsig_info_json(),
 * so that the code serving them runs on whatever a fuzzer made the reader or
 * the header parser accept (walk_info.c). */
void fuzz_walk_info(const artsig_info *info);

#endif
