/* gzip (zlib), xz (liblzma) and zstd (libzstd) as one streaming interface.
 *
 * Reproducibility is designed in rather than hoped for:
 *  - gzip: the header carries no time and the "unknown" OS code, which zlib
 *    would otherwise set from the platform it was built for;
 *  - xz: always liblzma's multithreaded encoder, even for one thread: it cuts
 *    the input into blocks whose size follows from the preset alone, so the
 *    bytes do not depend on the thread count (the single-threaded encoder
 *    writes one block, different bytes);
 *  - zstd: always at least one worker, for the same reason: zstd's output is
 *    the same for every worker count >= 1, but differs from its
 *    single-threaded mode.
 */
#include <stdlib.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "encoder.h"

#define OUT_SIZE (256 * 1024)
/* zlib counts in uInt. */
#define IN_CHUNK (1u << 30)
/* liblzma refuses more (its LZMA_THREADS_MAX, which it does not export). */
#define XZ_THREADS_MAX 16384u

static const struct {
    const char *name, *suffix;
} compressions[] = {
    [ARTSIG_COMPRESS_NONE] = {"none", ""},
    [ARTSIG_COMPRESS_GZIP] = {"gzip", ".gz"},
    [ARTSIG_COMPRESS_XZ] = {"xz", ".xz"},
    [ARTSIG_COMPRESS_ZSTD] = {"zstd", ".zst"},
};

struct asig_encoder {
    artsig_compression c;
    asig_sink_fn sink;
    void *sink_data;
    z_stream z;
    gz_header gz; /* zlib keeps a pointer to it until the header is out */
    bool z_live;
    lzma_stream x;
    ZSTD_CCtx *zs;
    /* The current step's input left and output made. */
    const uint8_t *in;
    size_t in_len, out_len;
    uint8_t out[OUT_SIZE];
};

static bool known(artsig_compression c)
{
    return (unsigned)c < sizeof compressions / sizeof compressions[0];
}

const char *asig_compression_name(artsig_compression c)
{
    return known(c) ? compressions[c].name : NULL;
}

const char *asig_compression_suffix(artsig_compression c)
{
    return known(c) ? compressions[c].suffix : NULL;
}

static int max_level(artsig_compression c)
{
    switch (c) {
    case ARTSIG_COMPRESS_NONE:
        return 0;
    case ARTSIG_COMPRESS_GZIP:
        return Z_BEST_COMPRESSION;
    case ARTSIG_COMPRESS_XZ:
        return 9;
    case ARTSIG_COMPRESS_ZSTD:
        return ZSTD_maxCLevel();
    }
    return -1;
}

int asig_compression_check(artsig_compression c, int level)
{
    if (!known(c))
        return asig_fail(ARTSIG_EINVAL, "unknown compression %d", (int)c);
    int max = max_level(c);
    if (level < 0 || level > max) {
        if (max == 0)
            return asig_fail(ARTSIG_EINVAL, "compression none takes no level (%d given)",
                             level);
        return asig_fail(ARTSIG_EINVAL, "%s level %d: use 1 to %d, or 0 for the default",
                         compressions[c].name, level, max);
    }
    return ARTSIG_OK;
}

static int lzma_status(lzma_ret r, const char *what)
{
    if (r == LZMA_MEM_ERROR || r == LZMA_MEMLIMIT_ERROR)
        return asig_fail(ARTSIG_ENOMEM, "xz: %s", what);
    return asig_fail(ARTSIG_EIO, "xz: %s failed (liblzma error %d)", what, (int)r);
}

static int start_gzip(asig_encoder *e, int level)
{
    int zrc = deflateInit2(&e->z, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED,
                           16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    if (zrc != Z_OK)
        return asig_fail(zrc == Z_MEM_ERROR ? ARTSIG_ENOMEM : ARTSIG_EIO,
                         "gzip: cannot start (zlib error %d)", zrc);
    e->z_live = true;
    e->gz.os = 255;
    if (deflateSetHeader(&e->z, &e->gz) != Z_OK)
        return asig_fail(ARTSIG_EIO, "gzip: cannot set the header");
    return ARTSIG_OK;
}

static int start_xz(asig_encoder *e, int level, unsigned threads)
{
    lzma_mt mt = {
        .threads = threads < XZ_THREADS_MAX ? threads : XZ_THREADS_MAX,
        .preset = level ? (uint32_t)level : LZMA_PRESET_DEFAULT,
        .check = LZMA_CHECK_CRC64,
    };
    /* As xz(1) does, keep within a quarter of the memory. */
    uint64_t budget = lzma_physmem() / 4;
    while (mt.threads > 1 && lzma_stream_encoder_mt_memusage(&mt) > budget)
        mt.threads--;
    lzma_ret r = lzma_stream_encoder_mt(&e->x, &mt);
    return r == LZMA_OK ? ARTSIG_OK : lzma_status(r, "cannot start");
}

static int start_zstd(asig_encoder *e, int level, unsigned threads)
{
    if (!(e->zs = ZSTD_createCCtx()))
        return asig_fail(ARTSIG_ENOMEM, "zstd: compression context");
    if (ZSTD_isError(ZSTD_CCtx_setParameter(e->zs, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(e->zs, ZSTD_c_checksumFlag, 1)))
        return asig_fail(ARTSIG_EIO, "zstd: cannot set the level and checksum");
    /* A worker count zstd refuses would silently mean single-threaded
     * output, so it is clamped. A libzstd built without threads allows none;
     * its single-threaded output is then what that build always writes. */
    ZSTD_bounds workers = ZSTD_cParam_getBounds(ZSTD_c_nbWorkers);
    int n = ZSTD_isError(workers.error) ? 0 : workers.upperBound;
    if (threads < (unsigned)n)
        n = (int)threads;
    if (ZSTD_isError(ZSTD_CCtx_setParameter(e->zs, ZSTD_c_nbWorkers, n)))
        return asig_fail(ARTSIG_EIO, "zstd: cannot use %d workers", n);
    return ARTSIG_OK;
}

int asig_encoder_new(asig_encoder **out, artsig_compression c, int level, unsigned threads,
                     asig_sink_fn sink, void *sink_data)
{
    *out = NULL;
    int rc = asig_compression_check(c, level);
    if (rc != ARTSIG_OK)
        return rc;
    asig_encoder *e = calloc(1, sizeof *e);
    if (!e)
        return asig_fail(ARTSIG_ENOMEM, "compressor");
    e->c = c;
    e->sink = sink;
    e->sink_data = sink_data;
    e->x = (lzma_stream)LZMA_STREAM_INIT;
    threads = threads ? threads : 1;
    if (c == ARTSIG_COMPRESS_GZIP)
        rc = start_gzip(e, level);
    else if (c == ARTSIG_COMPRESS_XZ)
        rc = start_xz(e, level, threads);
    else if (c == ARTSIG_COMPRESS_ZSTD)
        rc = start_zstd(e, level, threads);
    if (rc != ARTSIG_OK) {
        asig_encoder_free(e);
        return rc;
    }
    *out = e;
    return ARTSIG_OK;
}

void asig_encoder_free(asig_encoder *e)
{
    if (!e)
        return;
    if (e->z_live)
        deflateEnd(&e->z);
    lzma_end(&e->x);
    ZSTD_freeCCtx(e->zs);
    free(e);
}

/* One call of the compressor over e->in: output into e->out, *more when it
 * must be called again (input left, output buffer full, or the end not yet
 * written). */
static int step_gzip(asig_encoder *e, bool finish, bool *more)
{
    e->z.next_in = (Bytef *)e->in;
    e->z.avail_in = (uInt)e->in_len;
    e->z.next_out = e->out;
    e->z.avail_out = OUT_SIZE;
    int zrc = deflate(&e->z, finish ? Z_FINISH : Z_NO_FLUSH);
    if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR)
        return asig_fail(ARTSIG_EIO, "gzip: compression failed (zlib error %d)", zrc);
    e->in = e->z.next_in;
    e->in_len = e->z.avail_in;
    e->out_len = OUT_SIZE - e->z.avail_out;
    *more = finish ? zrc != Z_STREAM_END : e->in_len > 0 || e->z.avail_out == 0;
    return ARTSIG_OK;
}

static int step_xz(asig_encoder *e, bool finish, bool *more)
{
    e->x.next_in = e->in;
    e->x.avail_in = e->in_len;
    e->x.next_out = e->out;
    e->x.avail_out = OUT_SIZE;
    lzma_ret r = lzma_code(&e->x, finish ? LZMA_FINISH : LZMA_RUN);
    if (r != LZMA_OK && r != LZMA_STREAM_END)
        return lzma_status(r, "compression");
    e->in = e->x.next_in;
    e->in_len = e->x.avail_in;
    e->out_len = OUT_SIZE - e->x.avail_out;
    *more = finish ? r != LZMA_STREAM_END : e->in_len > 0 || e->x.avail_out == 0;
    return ARTSIG_OK;
}

static int step_zstd(asig_encoder *e, bool finish, bool *more)
{
    ZSTD_inBuffer in = {e->in, e->in_len, 0};
    ZSTD_outBuffer out = {e->out, OUT_SIZE, 0};
    size_t left = ZSTD_compressStream2(e->zs, &out, &in, finish ? ZSTD_e_end : ZSTD_e_continue);
    if (ZSTD_isError(left))
        return asig_fail(ARTSIG_EIO, "zstd: %s", ZSTD_getErrorName(left));
    e->in += in.pos;
    e->in_len -= in.pos;
    e->out_len = out.pos;
    *more = finish ? left != 0 : e->in_len > 0;
    return ARTSIG_OK;
}

/* Compress `len` bytes (and, with `finish`, end the stream), handing each
 * buffer of output to the sink. */
static int pump(asig_encoder *e, const void *data, size_t len, bool finish)
{
    e->in = data;
    e->in_len = len;
    bool more = true;
    while (more) {
        int rc = e->c == ARTSIG_COMPRESS_GZIP ? step_gzip(e, finish, &more)
                 : e->c == ARTSIG_COMPRESS_XZ ? step_xz(e, finish, &more)
                                              : step_zstd(e, finish, &more);
        if (rc == ARTSIG_OK && e->out_len)
            rc = e->sink(e->sink_data, e->out, e->out_len);
        if (rc != ARTSIG_OK)
            return rc;
    }
    return ARTSIG_OK;
}

int asig_encoder_write(asig_encoder *e, const void *data, size_t len)
{
    if (e->c == ARTSIG_COMPRESS_NONE)
        return len ? e->sink(e->sink_data, data, len) : ARTSIG_OK;
    const uint8_t *p = data;
    while (len) {
        size_t n = len < IN_CHUNK ? len : IN_CHUNK;
        int rc = pump(e, p, n, false);
        if (rc != ARTSIG_OK)
            return rc;
        p += n;
        len -= n;
    }
    return ARTSIG_OK;
}

int asig_encoder_finish(asig_encoder *e)
{
    return e->c == ARTSIG_COMPRESS_NONE ? ARTSIG_OK : pump(e, "", 0, true);
}
