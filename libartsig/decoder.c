/* Member decompression with the libraries themselves (ISA-L's igzip,
 * liblzma, libzstd) rather than through libarchive's filters: those leave xz
 * memory unbounded, never check a gzip trailer, and stop reading where the tar
 * inside ends, so bytes that no digest covers could be anything. Here every
 * input byte must belong to a stream that decodes and checks out.
 *
 * A compressed member is decoded on a thread of its own, a few blocks ahead
 * of the caller, so that decompression (with its checksums) runs while the
 * caller hashes and hands out what came before. The compressed input is copied
 * into blocks of the decoder's: the caller's buffers are gone when it reads on,
 * and the decoder must not wait for that. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <isa-l/igzip_lib.h>
#include <lzma.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "decoder.h"

/* Compressed input waits in IN_SLOTS blocks of IN_BLOCK bytes (the reader's
 * read size). Decoded bytes come out in blocks of OUT_BLOCK: one lent to the
 * caller, the others filled meanwhile. Inflating and hashing take turns being
 * the slower one as the data changes; 3 MiB in all let either run on through
 * the other's slow stretches (smaller rings cost validation about 5 % of its
 * time), well within the reader's memory budget. */
#define IN_BLOCK (128 * 1024)
#define IN_SLOTS 8
#define OUT_BLOCK (512 * 1024)
#define OUT_SLOTS 4

struct codec {
    const char *label;
    uint8_t magic[ASIG_CODEC_MAGIC_MAX];
    size_t magic_len;
    /* Bits of the byte after the magic that writers must leave zero, and
     * the library ignores. */
    uint8_t unused_bits;
    int (*init)(asig_decoder *d);
    /* One call into the library on the decoder's cursors; *eos when a
     * stream ended there. NULL for the pass-through. */
    int (*step)(asig_decoder *d, bool finish, bool *eos);
    void (*end)(asig_decoder *d);
};

#define GZIP_TRAILER_LEN 8

struct gzip {
    struct inflate_state s;
    struct isal_gzip_header h; /* what of the member's header was read */
    enum { GZIP_HEADER, GZIP_DEFLATE, GZIP_TRAILER } phase;
    uint8_t trailer[GZIP_TRAILER_LEN];
    size_t have; /* bytes of the trailer read */
};

struct asig_decoder {
    const struct codec *codec;
    const char *name;
    union {
        struct gzip gz;
        lzma_stream x;
        ZSTD_DCtx *zstd;
    } lib;
    /* The worker's own: what the library call in progress may still read
     * and write, and where the streams stand. */
    const uint8_t *next_in;
    size_t avail_in;
    uint8_t *next_out;
    size_t avail_out;
    uint64_t since; /* input taken since the last stream ended */
    bool ended;     /* a stream ended and nothing came after it (yet) */
    bool any;       /* a stream ended before */

    /* Shared by the caller and the worker, under `lock`. */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t in_first, in_filled; /* ring of input blocks: the oldest, how many */
    size_t in_len[IN_SLOTS];
    size_t in_pos; /* what of the oldest the worker took */
    bool in_end;   /* finish() was called: no more input */
    bool stop;     /* the decoder is being freed */
    size_t first, filled; /* ring of decoded blocks: the oldest, how many */
    bool lent;            /* the oldest is the caller's until its next call */
    size_t out_len[OUT_SLOTS];
    bool done; /* the worker ended, with `status` (and `detail`) */
    int status;
    char detail[512];
    struct buffers {
        uint8_t in[IN_SLOTS][IN_BLOCK];
        uint8_t out[OUT_SLOTS][OUT_BLOCK];
    } *buf; /* none for the pass-through */
};

/* Buffers may be NULL while empty; adding 0 to NULL is undefined in C, so
 * pointers only move when bytes moved. */
static void advance(asig_decoder *d, size_t in, size_t out)
{
    if (in) {
        d->next_in += in;
        d->avail_in -= in;
    }
    if (out) {
        d->next_out += out;
        d->avail_out -= out;
    }
}

/* ---- gzip ---- */

/* ISA-L's inflate, more than twice as fast as zlib's. It reads each member's
 * header (magic, method, the header CRC when FHCRC is set; the reserved flag
 * bits are check_magic()'s) and computes the CRC32 of the output; the trailer
 * is read here, so that a wrong CRC32 and a wrong ISIZE are told apart. */
static void gzip_member(struct gzip *g)
{
    isal_inflate_reset(&g->s);
    isal_gzip_header_init(&g->h);
    g->phase = GZIP_HEADER;
    g->have = 0;
}

static int gzip_init(asig_decoder *d)
{
    struct gzip *g = &d->lib.gz;
    isal_inflate_init(&g->s);
    /* The output's CRC32, and no wrapper: the headers are read below. */
    g->s.crc_flag = ISAL_GZIP_NO_HDR;
    gzip_member(g);
    return ARTSIG_OK;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* RFC 1952's trailer: the CRC32 and the length (mod 2^32) of the member's
 * output. Its first bytes may still sit in ISA-L's bit buffer, after the
 * padding that ends the deflate data on a byte. */
static int gzip_trailer(asig_decoder *d, bool *eos)
{
    struct gzip *g = &d->lib.gz;
    struct inflate_state *s = &g->s;
    if (s->read_in_length > 0) {
        uint64_t bits = s->read_in >> (s->read_in_length % 8);
        for (int i = 0; i < s->read_in_length / 8 && g->have < GZIP_TRAILER_LEN; i++)
            g->trailer[g->have++] = (uint8_t)(bits >> (8 * i));
        s->read_in = 0;
        s->read_in_length = 0;
    }
    size_t n = GZIP_TRAILER_LEN - g->have;
    if (n > d->avail_in)
        n = d->avail_in;
    if (n) {
        memcpy(g->trailer + g->have, d->next_in, n);
        g->have += n;
        advance(d, n, 0);
    }
    if (g->have < GZIP_TRAILER_LEN)
        return ARTSIG_OK;
    if (le32(g->trailer) != s->crc)
        return asig_fail(ARTSIG_EFORMAT, "%s: corrupt gzip data (incorrect data check)",
                         d->name);
    if (le32(g->trailer + 4) != s->total_out)
        return asig_fail(ARTSIG_EFORMAT, "%s: corrupt gzip data (incorrect length check)",
                         d->name);
    /* RFC 1952: gzip members may follow one another. */
    *eos = true;
    gzip_member(g);
    return ARTSIG_OK;
}

static const char *isal_message(int ret)
{
    switch (ret) {
    case ISAL_INVALID_BLOCK: return "invalid block";
    case ISAL_INVALID_SYMBOL: return "invalid code";
    case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
    case ISAL_INVALID_WRAPPER: return "incorrect header check";
    case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM: return "header crc mismatch";
    default: return "no detail";
    }
}

static int gzip_step(asig_decoder *d, bool finish, bool *eos)
{
    (void)finish;
    struct gzip *g = &d->lib.gz;
    struct inflate_state *s = &g->s;
    if (g->phase == GZIP_TRAILER)
        return gzip_trailer(d, eos);
    /* ISA-L only reads its input, but does not say so. */
    s->next_in = (uint8_t *)(uintptr_t)d->next_in;
    s->avail_in = d->avail_in > UINT32_MAX ? UINT32_MAX : (uint32_t)d->avail_in;
    uint32_t in = s->avail_in;
    int ret;
    if (g->phase == GZIP_HEADER) {
        ret = isal_read_gzip_header(s, &g->h);
        advance(d, in - s->avail_in, 0);
        if (ret == ISAL_DECOMP_OK)
            g->phase = GZIP_DEFLATE;
        else if (ret == ISAL_END_INPUT)
            ret = ISAL_DECOMP_OK; /* the rest of the header comes later */
    } else {
        s->next_out = d->next_out;
        s->avail_out = (uint32_t)d->avail_out;
        uint32_t out = s->avail_out;
        ret = isal_inflate(s);
        advance(d, in - s->avail_in, out - s->avail_out);
        if (ret == ISAL_DECOMP_OK && s->block_state == ISAL_BLOCK_FINISH) {
            g->phase = GZIP_TRAILER;
            return gzip_trailer(d, eos);
        }
    }
    if (ret != ISAL_DECOMP_OK)
        return asig_fail(ARTSIG_EFORMAT, "%s: corrupt gzip data (%s)", d->name,
                         isal_message(ret));
    return ARTSIG_OK;
}

/* ---- xz ---- */

static int xz_init(asig_decoder *d)
{
    d->lib.x = (lzma_stream)LZMA_STREAM_INIT;
    /* Concatenated streams and stream padding are valid xz. A check of a type
     * liblzma cannot compute would pass unverified, so it is refused. */
    if (lzma_stream_decoder(&d->lib.x, ARTSIG_LIMIT_DECODER_MEMORY,
                            LZMA_CONCATENATED | LZMA_TELL_UNSUPPORTED_CHECK) != LZMA_OK)
        return asig_fail(ARTSIG_ENOMEM, "%s: xz decoder", d->name);
    return ARTSIG_OK;
}

static int xz_step(asig_decoder *d, bool finish, bool *eos)
{
    lzma_stream *x = &d->lib.x;
    x->next_in = d->next_in;
    x->avail_in = d->avail_in;
    x->next_out = d->next_out;
    x->avail_out = d->avail_out;
    lzma_ret ret = lzma_code(x, finish ? LZMA_FINISH : LZMA_RUN);
    advance(d, d->avail_in - x->avail_in, d->avail_out - x->avail_out);
    switch (ret) {
    case LZMA_STREAM_END: *eos = true; return ARTSIG_OK;
    case LZMA_OK:
    case LZMA_BUF_ERROR: return ARTSIG_OK;
    case LZMA_MEMLIMIT_ERROR:
        return asig_fail(ARTSIG_ELIMIT, "%s: its xz data needs %llu MiB to decode, more than "
                                        "the limit of %d MiB",
                         d->name, (unsigned long long)(lzma_memusage(x) + (1 << 20) - 1) >> 20,
                         ARTSIG_LIMIT_DECODER_MEMORY >> 20);
    case LZMA_MEM_ERROR: return asig_fail(ARTSIG_ENOMEM, "%s: xz decoder", d->name);
    case LZMA_UNSUPPORTED_CHECK:
        return asig_fail(ARTSIG_EUNSUPPORTED, "%s: xz integrity check of an unknown type",
                         d->name);
    case LZMA_OPTIONS_ERROR:
        return asig_fail(ARTSIG_EUNSUPPORTED, "%s: xz options this liblzma cannot decode",
                         d->name);
    default: return asig_fail(ARTSIG_EFORMAT, "%s: corrupt xz data", d->name);
    }
}

static void xz_end(asig_decoder *d)
{
    lzma_end(&d->lib.x);
}

/* ---- zstd ---- */

static int zstd_init(asig_decoder *d)
{
    d->lib.zstd = ZSTD_createDCtx();
    if (!d->lib.zstd)
        return asig_fail(ARTSIG_ENOMEM, "%s: zstd decoder", d->name);
    if (ZSTD_isError(ZSTD_DCtx_setParameter(d->lib.zstd, ZSTD_d_windowLogMax,
                                            ARTSIG_LIMIT_DECODER_WINDOW_LOG))) {
        ZSTD_freeDCtx(d->lib.zstd);
        return asig_fail(ARTSIG_EUNSUPPORTED, "%s: this libzstd cannot limit its window",
                         d->name);
    }
    return ARTSIG_OK;
}

static int zstd_step(asig_decoder *d, bool finish, bool *eos)
{
    (void)finish;
    ZSTD_inBuffer in = {d->next_in, d->avail_in, 0};
    ZSTD_outBuffer out = {d->next_out, d->avail_out, 0};
    size_t ret = ZSTD_decompressStream(d->lib.zstd, &out, &in);
    advance(d, in.pos, out.pos);
    if (!ZSTD_isError(ret)) {
        /* 0: a frame ended and all of it came out; the next may follow. */
        *eos = ret == 0;
        return ARTSIG_OK;
    }
    switch (ZSTD_getErrorCode(ret)) {
    case ZSTD_error_frameParameter_windowTooLarge:
        return asig_fail(ARTSIG_ELIMIT, "%s: its zstd data needs a window of more than the "
                                        "limit of %d MiB",
                         d->name, (1 << ARTSIG_LIMIT_DECODER_WINDOW_LOG) >> 20);
    case ZSTD_error_memory_allocation:
        return asig_fail(ARTSIG_ENOMEM, "%s: zstd decoder", d->name);
    default:
        return asig_fail(ARTSIG_EFORMAT, "%s: corrupt zstd data (%s)", d->name,
                         ZSTD_getErrorName(ret));
    }
}

static void zstd_end(asig_decoder *d)
{
    ZSTD_freeDCtx(d->lib.zstd);
}

/* ---- The common part ---- */

/* The magic starts every stream: each gzip member and each zstd frame too, so
 * that a zstd skippable frame, bytes that no one reads, is refused like any
 * other data after the last stream. A zstd frame header's Unused_bit (RFC 8878)
 * must be zero, as encoders leave it. */
static const struct codec codecs[] = {
    [ASIG_CODEC_NONE] = {"uncompressed", {0}, 0, 0, NULL, NULL, NULL},
    [ASIG_CODEC_GZIP] = {"gzip", {0x1f, 0x8b, 8}, 3, 0xe0, gzip_init, gzip_step, NULL},
    [ASIG_CODEC_XZ] = {"xz", {0xfd, '7', 'z', 'X', 'Z', 0}, 6, 0, xz_init, xz_step, xz_end},
    [ASIG_CODEC_ZSTD] = {"zstd", {0x28, 0xb5, 0x2f, 0xfd}, 4, 0x10, zstd_init, zstd_step,
                         zstd_end},
};
#define NCODECS (sizeof codecs / sizeof codecs[0])

const char *asig_codec_label(enum asig_codec codec)
{
    return codecs[codec].label;
}

enum asig_codec asig_codec_sniff(const uint8_t *head, size_t len)
{
    for (size_t c = ASIG_CODEC_GZIP; c < NCODECS; c++)
        if (len >= codecs[c].magic_len && memcmp(head, codecs[c].magic, codecs[c].magic_len) == 0)
            return (enum asig_codec)c;
    return ASIG_CODEC_NONE;
}

/* The magic bytes that start every stream, checked ahead of the library so
 * that a wrong format, or data after the last stream, is named as such. (xz
 * reports no boundaries between its concatenated streams; liblzma checks
 * those itself.) */
static int check_magic(const asig_decoder *d)
{
    const struct codec *c = d->codec;
    size_t end = c->magic_len + (c->unused_bits != 0);
    for (size_t i = 0; d->since + i < end && i < d->avail_in; i++) {
        size_t at = (size_t)d->since + i;
        if (at == c->magic_len) {
            if (d->next_in[i] & c->unused_bits)
                return asig_fail(ARTSIG_EFORMAT, "%s: %s header with unused bits set", d->name,
                                 c->label);
        } else if (d->next_in[i] != c->magic[at]) {
            return d->any ? asig_fail(ARTSIG_EFORMAT, "%s: data after the end of its %s stream",
                                      d->name, c->label)
                          : asig_fail(ARTSIG_EFORMAT, "%s: content is not %s data", d->name,
                                      c->label);
        }
    }
    return ARTSIG_OK;
}

/* Runs the library until the input is used up or the output block is full;
 * finishing (no more input), until a stream ended or nothing more comes. */
static int run(asig_decoder *d, bool finish)
{
    while (d->avail_out > 0 && (finish ? !d->ended : d->avail_in > 0)) {
        size_t in = d->avail_in, out = d->avail_out;
        bool eos = false;
        int rc = finish ? ARTSIG_OK : check_magic(d);
        if (rc == ARTSIG_OK)
            rc = d->codec->step(d, finish, &eos);
        if (rc != ARTSIG_OK)
            return rc;
        if (d->avail_in < in) {
            d->since += in - d->avail_in;
            d->ended = false;
        }
        if (eos) {
            d->since = 0;
            d->ended = d->any = true;
        } else if (d->avail_in == in && d->avail_out == out) {
            /* Finishing, the data was cut short (said once all output is
             * out). With input and room for output, every library moves on
             * unless the data is bad. */
            return finish ? ARTSIG_OK
                          : asig_fail(ARTSIG_EFORMAT, "%s: corrupt %s data", d->name,
                                      d->codec->label);
        }
    }
    return ARTSIG_OK;
}

/* Under the lock: the input is used up, and will stay so. */
static bool input_over(const asig_decoder *d)
{
    return d->in_end && d->in_filled == 0;
}

/* The worker: fills a free output block from the input blocks while there
 * are any, and after finish() until the last stream ended; or fails. A block
 * is handed out when full, or when the input runs dry for now. */
static void *work(void *p)
{
    asig_decoder *d = p;
    pthread_mutex_lock(&d->lock);
    while (!d->stop && !d->done) {
        if (d->filled == OUT_SLOTS || (d->in_filled == 0 && !d->in_end)) {
            pthread_cond_wait(&d->cond, &d->lock);
            continue;
        }
        size_t slot = (d->first + d->filled) % OUT_SLOTS;
        d->next_out = d->buf->out[slot];
        d->avail_out = OUT_BLOCK;
        int rc = ARTSIG_OK;
        while (rc == ARTSIG_OK && d->avail_out > 0 && !d->stop &&
               (d->in_filled > 0 || (d->in_end && !d->ended))) {
            bool input = d->in_filled > 0;
            size_t b = d->in_first, out = d->avail_out;
            d->next_in = input ? d->buf->in[b] + d->in_pos : NULL;
            d->avail_in = input ? d->in_len[b] - d->in_pos : 0;
            pthread_mutex_unlock(&d->lock);
            rc = run(d, !input);
            if (rc == ARTSIG_OK && !input && d->avail_out == out && !d->ended)
                rc = asig_fail(ARTSIG_EFORMAT, "%s: its %s data ends early", d->name,
                               d->codec->label);
            pthread_mutex_lock(&d->lock);
            if (input) {
                d->in_pos = d->in_len[b] - d->avail_in;
                if (d->avail_in == 0) {
                    d->in_first = (b + 1) % IN_SLOTS;
                    d->in_filled--;
                    d->in_pos = 0;
                    pthread_cond_broadcast(&d->cond);
                }
            }
        }
        if (d->avail_out < OUT_BLOCK) {
            d->out_len[slot] = OUT_BLOCK - d->avail_out;
            d->filled++;
        }
        if (rc != ARTSIG_OK) {
            d->status = rc;
            snprintf(d->detail, sizeof d->detail, "%s", artsig_last_error());
        }
        d->done = rc != ARTSIG_OK || (input_over(d) && d->ended);
        pthread_cond_broadcast(&d->cond);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

/* Under the lock: the block lent at the caller's last call is free again,
 * which the worker may be waiting for. */
static void give_back(asig_decoder *d)
{
    if (!d->lent)
        return;
    d->lent = false;
    d->first = (d->first + 1) % OUT_SLOTS;
    d->filled--;
    pthread_cond_broadcast(&d->cond);
}

/* Under the lock: the worker's failure, or the oldest decoded block, lent
 * until the next call (none: *out_len is 0). */
static int lend(asig_decoder *d, const uint8_t **out, size_t *out_len)
{
    *out_len = 0;
    if (d->done && d->status != ARTSIG_OK)
        return asig_fail_saved(d->status, d->detail);
    if (d->filled > 0) {
        *out = d->buf->out[d->first];
        *out_len = d->out_len[d->first];
        d->lent = true;
    }
    return ARTSIG_OK;
}

static void end_library(asig_decoder *d)
{
    if (d->codec->end)
        d->codec->end(d);
}

/* The buffers are mapped rather than allocated, so that they take memory only
 * where they are used, and give it back when freed. malloc keeps blocks this
 * size once its mmap threshold has grown past them (which freeing the first
 * one does), and would hold on to the memory of every decoder so far. */
static void free_decoder(asig_decoder *d)
{
    if (d->buf)
        munmap(d->buf, sizeof *d->buf);
    free(d);
}

int asig_decoder_new(asig_decoder **out, enum asig_codec codec, const char *name)
{
    const struct codec *c = &codecs[codec];
    asig_decoder *d = calloc(1, sizeof *d);
    if (d && c->step) {
        d->buf = mmap(NULL, sizeof *d->buf, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
        if (d->buf == MAP_FAILED) {
            free(d);
            d = NULL;
        }
    }
    if (!d)
        return asig_fail(ARTSIG_ENOMEM, "%s: %s decoder", name, c->label);
    d->codec = c;
    d->name = name;
    int rc = c->init ? c->init(d) : ARTSIG_OK;
    if (rc == ARTSIG_OK && c->step) {
        int err = pthread_mutex_init(&d->lock, NULL);
        if (!err && (err = pthread_cond_init(&d->cond, NULL)) != 0)
            pthread_mutex_destroy(&d->lock);
        if (!err && (err = pthread_create(&d->thread, NULL, work, d)) != 0) {
            pthread_cond_destroy(&d->cond);
            pthread_mutex_destroy(&d->lock);
        }
        if (err) {
            end_library(d);
            rc = asig_fail(ARTSIG_ENOMEM, "%s: starting the %s decoder: %s", name, c->label,
                           strerror(err));
        }
    }
    if (rc != ARTSIG_OK) {
        free_decoder(d);
        return rc;
    }
    *out = d;
    return ARTSIG_OK;
}

void asig_decoder_free(asig_decoder *d)
{
    if (!d)
        return;
    if (d->codec->step) {
        pthread_mutex_lock(&d->lock);
        d->stop = true;
        pthread_cond_broadcast(&d->cond);
        pthread_mutex_unlock(&d->lock);
        pthread_join(d->thread, NULL);
        pthread_cond_destroy(&d->cond);
        pthread_mutex_destroy(&d->lock);
    }
    end_library(d);
    free_decoder(d);
}

int asig_decoder_feed(asig_decoder *d, const uint8_t *in, size_t len, size_t *used,
                      const uint8_t **out, size_t *out_len)
{
    if (!d->codec->step) {
        *used = *out_len = len;
        *out = in;
        return ARTSIG_OK;
    }
    *used = 0;
    pthread_mutex_lock(&d->lock);
    give_back(d);
    /* Take all the input there is room for; wait only while there is neither
     * room nor output. */
    while (*used < len && !d->done && !(d->in_filled == IN_SLOTS && d->filled > 0)) {
        if (d->in_filled == IN_SLOTS) {
            pthread_cond_wait(&d->cond, &d->lock);
            continue;
        }
        /* The worker only ever frees blocks: this one stays the next free. */
        size_t b = (d->in_first + d->in_filled) % IN_SLOTS;
        size_t n = len - *used < IN_BLOCK ? len - *used : IN_BLOCK;
        pthread_mutex_unlock(&d->lock);
        memcpy(d->buf->in[b], in + *used, n);
        pthread_mutex_lock(&d->lock);
        d->in_len[b] = n;
        d->in_filled++;
        *used += n;
        pthread_cond_broadcast(&d->cond);
    }
    /* Output waits while there is room for more input, so that the worker
     * does not run dry while the caller works on what it was lent. */
    *out_len = 0;
    int rc = d->in_filled < IN_SLOTS && !d->done ? ARTSIG_OK : lend(d, out, out_len);
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int asig_decoder_finish(asig_decoder *d, const uint8_t **out, size_t *out_len)
{
    *out_len = 0;
    if (!d->codec->step)
        return ARTSIG_OK;
    pthread_mutex_lock(&d->lock);
    give_back(d);
    d->in_end = true;
    pthread_cond_broadcast(&d->cond);
    while (!d->done && d->filled == 0)
        pthread_cond_wait(&d->cond, &d->lock);
    int rc = lend(d, out, out_len);
    pthread_mutex_unlock(&d->lock);
    return rc;
}
