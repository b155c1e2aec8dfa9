/* Streaming compressors behind one interface, for the writer; never installed.
 *
 * The output is a function of the input, the compression, the level and the
 * compressing library's version only: never of the thread count or the
 * time, nor of the processor but for gzip level 3 (see encoder.c). */
#ifndef ARTSIG_ENCODER_H
#define ARTSIG_ENCODER_H

#include "internal.h"

/* Where compressed bytes go: ARTSIG_OK or a status with asig_fail() detail. */
typedef int (*asig_sink_fn)(void *sink, const void *data, size_t len);

typedef struct asig_encoder asig_encoder;

/* ARTSIG_OK when `level` suits `c` (0 is always the compressor's default),
 * else ARTSIG_EINVAL with the accepted range in the detail. */
int asig_compression_check(artsig_compression c, int level);

/* "none", "gzip", "xz" or "zstd"; NULL for an unknown value. */
const char *asig_compression_name(artsig_compression c);
/* The member name suffix: "", ".gz", ".xz" or ".zst"; NULL for an unknown value. */
const char *asig_compression_suffix(artsig_compression c);

/* `threads` >= 1 is an upper bound: gzip uses at most three workers (none
 * with 1, or for input of a single piece), xz fewer when that many would need
 * more than a quarter of the machine's memory. */
int asig_encoder_new(asig_encoder **out, artsig_compression c, int level, unsigned threads,
                     asig_sink_fn sink, void *sink_data);
int asig_encoder_write(asig_encoder *e, const void *data, size_t len);
/* End the stream; everything has reached the sink when this returns OK. */
int asig_encoder_finish(asig_encoder *e);
/* NULL is a no-op. */
void asig_encoder_free(asig_encoder *e);

#endif
