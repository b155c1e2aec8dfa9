/* Decompression of header and data members for the reader; never installed.
 *
 * One streaming interface over ISA-L (gzip), liblzma (xz) and libzstd, plus a
 * pass-through for uncompressed members. A member's content must be exactly
 * its compressed stream(s): the decoders check the magic bytes of every stream
 * (gzip members and zstd frames may be concatenated, xz streams too, with xz
 * stream padding), every integrity check the format carries, and refuse a
 * stream that is cut short or followed by anything else. Memory stays within
 * ARTSIG_LIMIT_DECODER_MEMORY: xz by liblzma's memory limit, zstd by its
 * window limit, gzip by its 32 KiB window. A compressed member is decoded on a
 * thread of the decoder's own, a few blocks ahead of the caller. Functions
 * return ARTSIG_OK or a status with asig_fail() detail naming the member. */
#ifndef ARTSIG_DECODER_H
#define ARTSIG_DECODER_H

#include "internal.h"

enum asig_codec { ASIG_CODEC_NONE, ASIG_CODEC_GZIP, ASIG_CODEC_XZ, ASIG_CODEC_ZSTD };

typedef struct asig_decoder asig_decoder;

/* A decoder for the content of member `name` (kept by reference, for
 * details only). */
int asig_decoder_new(asig_decoder **out, enum asig_codec codec, const char *name);
/* NULL is a no-op. */
void asig_decoder_free(asig_decoder *d);

/* Offer the next input bytes in[0, len): *used gets how many were taken
 * (offer the rest again), *out and *out_len the next decoded bytes, which stay
 * valid until the next call. *out_len is 0 only when all of the input was
 * taken: decoded bytes are held back while there is room for more input, so
 * that the decoder has some at hand while the caller works. For
 * ASIG_CODEC_NONE the output is the input itself, taken whole; otherwise the
 * decoder keeps a copy of what it took. */
int asig_decoder_feed(asig_decoder *d, const uint8_t *in, size_t len, size_t *used,
                      const uint8_t **out, size_t *out_len);

/* The input has ended: the decoded bytes still held back, in pieces. *out_len
 * is 0 once they all came out; then ARTSIG_OK means the input ended exactly at
 * the end of a complete stream (EFORMAT: it was cut short). */
int asig_decoder_finish(asig_decoder *d, const uint8_t **out, size_t *out_len);

/* "gzip", "xz", "zstd" or "uncompressed". */
const char *asig_codec_label(enum asig_codec codec);

/* The longest magic of a compression format. */
#define ASIG_CODEC_MAGIC_MAX 6
/* The compression format whose magic bytes start `head` (len bytes), or
 * ASIG_CODEC_NONE. */
enum asig_codec asig_codec_sniff(const uint8_t *head, size_t len);

#endif
