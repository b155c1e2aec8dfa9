/* gzip (ISA-L or zlib), xz (liblzma) and zstd (libzstd) as one streaming
 * interface.
 *
 * Reproducibility is designed in rather than hoped for:
 *  - gzip: one member whose header carries no time, no name and the
 *    "unknown" OS code. Its deflate stream is made of pieces of GZ_PIECE
 *    input bytes, each compressed on its own with the previous piece's last
 *    32 KiB as its dictionary (as pigz does) and ended by a sync flush, so
 *    that any number of threads can compress them and the pieces are simply
 *    joined. Where the input is cut follows from its length alone, so the
 *    bytes do not depend on the thread count. Levels 1 to 3 (the default is
 *    2) are ISA-L's, several times faster than zlib at a few per cent more
 *    output; 4 to 9 are zlib's;
 *  - xz: always liblzma's multithreaded encoder, even for one thread: it cuts
 *    the input into blocks whose size follows from the preset alone, so the
 *    bytes do not depend on the thread count (the single-threaded encoder
 *    writes one block, different bytes);
 *  - zstd: always at least one worker, for the same reason: zstd's output is
 *    the same for every worker count >= 1, but differs from its
 *    single-threaded mode.
 * What no setting here controls: the compressing library's version, and for
 * ISA-L the processor. ISA-L picks its code for the CPU at run time: the
 * same bytes run after run, but its level 3 gives other bytes on x86-64
 * processors without AVX-512 than with (levels 1 and 2 the same on both),
 * and another architecture may give others still; zlib's levels give
 * bytes that depend on zlib's version alone.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "encoder.h"

/* xz's and zstd's output buffer. */
#define OUT_SIZE (256 * 1024)
/* liblzma refuses more (its LZMA_THREADS_MAX, which it does not export). */
#define XZ_THREADS_MAX 16384u

/* A gzip piece: large enough that what each costs (a sync flush, fresh
 * Huffman tables, hashing its dictionary) stays within 3 % of the time and
 * 0.1 % of the size, small enough that the pieces in flight stay a few MiB.
 * Measured on a rootfs image: 256 KiB, 512 KiB and 1 MiB pieces compress
 * within 0.2 % of each other. */
#define GZ_PIECE (512 * 1024)
/* deflate's window: what the next piece may refer back to. */
#define GZ_WINDOW (32 * 1024)
/* A piece's output buffer: more than deflate's worst case (stored blocks,
 * 5 bytes per 64 KiB over the input, and the flush). Always this size, and
 * never filled: ISA-L's blocks depend on the output room it is given. */
#define GZ_OUT_SIZE (GZ_PIECE + GZ_PIECE / 8 + 64 * 1024)
/* Levels up to this are ISA-L's, the others zlib's. */
#define GZ_ISAL_MAX 3
/* Chosen by measurement against mender-artifact's gzip (bench/write.sh):
 * level 2's output is 3.6 % larger than mender-artifact's on the
 * benchmark's image (6.8 % on shared libraries alone), level 3's 1.7 %
 * (5.0 %), but level 3 takes a third more time and its bytes differ
 * between x86-64 processors with and without AVX-512, as ISA-L has
 * different code for each; levels 1 and 2 give the same bytes on both.
 * zlib's level 4, the next step, takes four times as long as level 3. */
#define GZ_DEFAULT_LEVEL 2
/* The calling thread, which reads, hashes and tars the input, keeps two
 * or three busy at ISA-L's default level; and each adds two pieces (1.2 MiB
 * with their output) to the writer's memory, which must stay small whatever
 * the machine. */
#define GZ_WORKERS_MAX 3

static const struct {
    const char *name, *suffix;
} compressions[] = {
    [ARTSIG_COMPRESS_NONE] = {"none", ""},
    [ARTSIG_COMPRESS_GZIP] = {"gzip", ".gz"},
    [ARTSIG_COMPRESS_XZ] = {"xz", ".xz"},
    [ARTSIG_COMPRESS_ZSTD] = {"zstd", ".zst"},
};

/* One piece of a gzip stream, from the input to its deflate bytes. */
struct gz_piece {
    uint8_t *in;      /* GZ_WINDOW bytes of room for the dictionary, then the input */
    size_t dict, len; /* dictionary bytes (ending at in + GZ_WINDOW), input bytes */
    bool last;        /* ends the deflate stream rather than with a sync flush */
    bool done;        /* compressed; under the lock while workers run */
    uint8_t *out;     /* GZ_OUT_SIZE */
    size_t out_len;
    uint32_t crc;
    bool failed;
    int code; /* what the compressor returned when it failed */
};

/* A compressor for gzip pieces; each thread has its own. */
struct gz_deflater {
    struct isal_zstream *isal;
    uint8_t *level_buf;
    uint32_t level_buf_size;
    z_stream z;
    bool z_live;
};

struct gz_worker {
    struct gz *g;
    struct gz_deflater d;
    pthread_t thread;
};

/* Pieces go round a ring: the calling thread fills one, hands it over, and
 * gives the compressed pieces to the sink in order; workers take handed-over
 * pieces in order. Counters only grow: piece k sits in ring[k % n_ring]. */
struct gz {
    int level;
    struct gz_piece *ring;
    unsigned n_ring;
    uint64_t filled, taken, emitted; /* handed over, taken by a worker, sunk */
    struct gz_piece *cur;            /* being filled, or NULL */
    uint32_t crc, isize;             /* of the input sunk so far */
    struct gz_deflater self;         /* the calling thread's, made when first needed */
    /* Started with the first piece that is not the last, so that small
     * streams (every header) spawn no thread. */
    unsigned want_workers, n_workers;
    struct gz_worker *workers;
    bool sync_live, stop;
    pthread_mutex_t lock;
    pthread_cond_t work, done;
};

struct asig_encoder {
    artsig_compression c;
    asig_sink_fn sink;
    void *sink_data;
    struct gz gz;
    lzma_stream x;
    ZSTD_CCtx *zs;
    /* xz's and zstd's current step: input left and output made. */
    const uint8_t *in;
    size_t in_len, out_len;
    uint8_t *out; /* OUT_SIZE */
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

/* ---- gzip ---- */

static void gz_deflater_free(struct gz_deflater *d)
{
    if (d->z_live)
        deflateEnd(&d->z);
    free(d->isal);
    free(d->level_buf);
    *d = (struct gz_deflater){0};
}

static int gz_deflater_init(struct gz_deflater *d, int level)
{
    *d = (struct gz_deflater){0};
    if (level > GZ_ISAL_MAX) {
        int zrc = deflateInit2(&d->z, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
        if (zrc != Z_OK)
            return asig_fail(zrc == Z_MEM_ERROR ? ARTSIG_ENOMEM : ARTSIG_EIO,
                             "gzip: cannot start (zlib error %d)", zrc);
        d->z_live = true;
        return ARTSIG_OK;
    }
    static const uint32_t level_buf_sizes[GZ_ISAL_MAX + 1] = {
        0, ISAL_DEF_LVL1_DEFAULT, ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT};
    d->level_buf_size = level_buf_sizes[level];
    d->isal = malloc(sizeof *d->isal);
    /* Zeroed: ISA-L's level 3 reads parts of it before writing them (the
     * bytes do not change the output, but memcheck cannot know). */
    d->level_buf = calloc(1, d->level_buf_size);
    if (d->isal && d->level_buf)
        return ARTSIG_OK;
    gz_deflater_free(d);
    return asig_fail(ARTSIG_ENOMEM, "gzip compressor");
}

static void gz_isal(struct gz_deflater *d, struct gz_piece *p, int level)
{
    struct isal_zstream *s = d->isal;
    isal_deflate_init(s);
    s->level = (uint32_t)level;
    s->level_buf = d->level_buf;
    s->level_buf_size = d->level_buf_size;
    s->gzip_flag = IGZIP_DEFLATE;
    s->flush = p->last ? NO_FLUSH : SYNC_FLUSH;
    s->end_of_stream = p->last;
    int r = p->dict ? isal_deflate_set_dict(s, p->in + GZ_WINDOW - p->dict, (uint32_t)p->dict)
                    : COMP_OK;
    s->next_in = p->in + GZ_WINDOW;
    s->avail_in = (uint32_t)p->len;
    s->next_out = p->out;
    s->avail_out = GZ_OUT_SIZE;
    if (r == COMP_OK)
        r = isal_deflate(s);
    p->out_len = GZ_OUT_SIZE - s->avail_out;
    /* Returning with output room left, ISA-L has taken all the input and
     * finished the flush, or (the last piece) the stream. */
    if (r == COMP_OK && (s->avail_out == 0 || s->avail_in != 0 ||
                         (p->last && s->internal_state.state != ZSTATE_END)))
        r = ISAL_INVALID_STATE;
    p->failed = r != COMP_OK;
    p->code = r;
}

static void gz_zlib(struct gz_deflater *d, struct gz_piece *p)
{
    z_stream *z = &d->z;
    int r = deflateReset(z);
    if (r == Z_OK && p->dict)
        r = deflateSetDictionary(z, p->in + GZ_WINDOW - p->dict, (uInt)p->dict);
    z->next_in = p->in + GZ_WINDOW;
    z->avail_in = (uInt)p->len;
    z->next_out = p->out;
    z->avail_out = GZ_OUT_SIZE;
    if (r == Z_OK)
        r = deflate(z, p->last ? Z_FINISH : Z_SYNC_FLUSH);
    p->out_len = GZ_OUT_SIZE - z->avail_out;
    /* As for ISA-L: with room left, the flush or the stream is complete. */
    bool complete = p->last ? r == Z_STREAM_END : r == Z_OK && z->avail_in == 0;
    p->failed = !complete || z->avail_out == 0;
    p->code = r;
}

static void gz_compress(struct gz_deflater *d, struct gz_piece *p, int level)
{
    p->out_len = 0;
    p->crc = crc32_gzip_refl(0, p->in + GZ_WINDOW, p->len);
    if (d->isal)
        gz_isal(d, p, level);
    else
        gz_zlib(d, p);
}

static void *gz_work(void *arg)
{
    struct gz_worker *w = arg;
    struct gz *g = w->g;
    pthread_mutex_lock(&g->lock);
    for (;;) {
        while (!g->stop && g->taken == g->filled)
            pthread_cond_wait(&g->work, &g->lock);
        if (g->stop)
            break;
        struct gz_piece *p = &g->ring[g->taken++ % g->n_ring];
        pthread_mutex_unlock(&g->lock);
        gz_compress(&w->d, p, g->level);
        pthread_mutex_lock(&g->lock);
        p->done = true;
        pthread_cond_signal(&g->done);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

/* Start the workers. Any that cannot start are done without: the pieces
 * are then compressed on the calling thread, into the same bytes. */
static int gz_start_workers(struct gz *g)
{
    if (!(g->workers = calloc(g->want_workers, sizeof *g->workers)))
        return asig_fail(ARTSIG_ENOMEM, "gzip workers");
    while (g->n_workers < g->want_workers) {
        struct gz_worker *w = &g->workers[g->n_workers];
        w->g = g;
        int rc = gz_deflater_init(&w->d, g->level);
        if (rc == ARTSIG_OK && pthread_create(&w->thread, NULL, gz_work, w) == 0) {
            g->n_workers++;
            continue;
        }
        gz_deflater_free(&w->d);
        return rc;
    }
    return ARTSIG_OK;
}

static void gz_stop_workers(struct gz *g)
{
    if (g->n_workers) {
        pthread_mutex_lock(&g->lock);
        g->stop = true;
        pthread_cond_broadcast(&g->work);
        pthread_mutex_unlock(&g->lock);
        for (unsigned i = 0; i < g->n_workers; i++) {
            pthread_join(g->workers[i].thread, NULL);
            gz_deflater_free(&g->workers[i].d);
        }
    }
    g->n_workers = 0;
    free(g->workers);
    g->workers = NULL;
}

static int gz_new(asig_encoder *e, int level, unsigned threads)
{
    struct gz *g = &e->gz;
    g->level = level ? level : GZ_DEFAULT_LEVEL;
    g->want_workers = threads < GZ_WORKERS_MAX ? threads : GZ_WORKERS_MAX;
    if (g->want_workers > 1) {
        /* glibc's never fail; were they to, the calling thread does it all. */
        bool lock = pthread_mutex_init(&g->lock, NULL) == 0;
        bool work = pthread_cond_init(&g->work, NULL) == 0;
        bool done = pthread_cond_init(&g->done, NULL) == 0;
        g->sync_live = lock && work && done;
        if (!g->sync_live) {
            if (lock)
                pthread_mutex_destroy(&g->lock);
            if (work)
                pthread_cond_destroy(&g->work);
            if (done)
                pthread_cond_destroy(&g->done);
            g->want_workers = 1;
        }
    }
    /* Two pieces a worker, so that none waits while the calling thread
     * fills the next one or sinks the oldest. */
    g->n_ring = g->want_workers > 1 ? 2 * g->want_workers : 1;
    if (!(g->ring = calloc(g->n_ring, sizeof *g->ring)))
        return asig_fail(ARTSIG_ENOMEM, "gzip compressor");
    return ARTSIG_OK;
}

static void gz_free(struct gz *g)
{
    gz_stop_workers(g);
    if (g->sync_live) {
        pthread_cond_destroy(&g->done);
        pthread_cond_destroy(&g->work);
        pthread_mutex_destroy(&g->lock);
    }
    gz_deflater_free(&g->self);
    for (unsigned i = 0; g->ring && i < g->n_ring; i++) {
        free(g->ring[i].in);
        free(g->ring[i].out);
    }
    free(g->ring);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Give the oldest handed-over piece to the sink, after the gzip header if
 * it is the first. */
static int gz_sink_oldest(asig_encoder *e)
{
    struct gz *g = &e->gz;
    struct gz_piece *p = &g->ring[g->emitted % g->n_ring];
    if (g->n_workers) {
        pthread_mutex_lock(&g->lock);
        while (!p->done)
            pthread_cond_wait(&g->done, &g->lock);
        pthread_mutex_unlock(&g->lock);
    }
    if (p->failed)
        return asig_fail(ARTSIG_EIO, "gzip: compression failed (%s error %d)",
                         g->level > GZ_ISAL_MAX ? "zlib" : "ISA-L", p->code);
    int rc = ARTSIG_OK;
    if (g->emitted == 0) {
        /* No file name, no time, no extra flags, OS "unknown" (255). */
        static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};
        rc = e->sink(e->sink_data, header, sizeof header);
    }
    if (rc == ARTSIG_OK)
        rc = e->sink(e->sink_data, p->out, p->out_len);
    g->crc = (uint32_t)crc32_combine(g->crc, p->crc, (z_off_t)p->len);
    g->isize += (uint32_t)p->len;
    p->done = false;
    g->emitted++;
    return rc;
}

/* Make the next piece current, with the end of the previous one as its
 * dictionary. */
static int gz_begin_piece(asig_encoder *e)
{
    struct gz *g = &e->gz;
    if (g->filled - g->emitted == g->n_ring) {
        int rc = gz_sink_oldest(e);
        if (rc != ARTSIG_OK)
            return rc;
    }
    struct gz_piece *p = &g->ring[g->filled % g->n_ring];
    if (!p->in) {
        p->in = malloc(GZ_WINDOW + GZ_PIECE);
        p->out = malloc(GZ_OUT_SIZE);
        if (!p->in || !p->out)
            return asig_fail(ARTSIG_ENOMEM, "gzip compressor");
    }
    /* Only the calling thread writes a piece's input, and the previous
     * piece's is not refilled before this one is handed over (with a ring
     * of one, it is this piece's own, untouched until here). */
    const struct gz_piece *prev = &g->ring[(g->filled + g->n_ring - 1) % g->n_ring];
    p->dict = g->filled == 0 ? 0 : prev->len < GZ_WINDOW ? prev->len : GZ_WINDOW;
    if (p->dict)
        memmove(p->in + GZ_WINDOW - p->dict, prev->in + GZ_WINDOW + prev->len - p->dict,
                p->dict);
    p->len = 0;
    p->last = false;
    g->cur = p;
    return ARTSIG_OK;
}

static int gz_hand_over(asig_encoder *e, bool last)
{
    struct gz *g = &e->gz;
    struct gz_piece *p = g->cur;
    g->cur = NULL;
    p->last = last;
    if (!last && g->sync_live && !g->workers) {
        int rc = gz_start_workers(g);
        if (rc != ARTSIG_OK)
            return rc;
    }
    if (!g->n_workers) {
        bool ready = g->self.isal || g->self.z_live;
        int rc = ready ? ARTSIG_OK : gz_deflater_init(&g->self, g->level);
        if (rc != ARTSIG_OK)
            return rc;
        gz_compress(&g->self, p, g->level);
        g->filled++;
        return ARTSIG_OK;
    }
    pthread_mutex_lock(&g->lock);
    g->filled++;
    pthread_cond_signal(&g->work);
    pthread_mutex_unlock(&g->lock);
    return ARTSIG_OK;
}

static int gz_write(asig_encoder *e, const uint8_t *data, size_t len)
{
    struct gz *g = &e->gz;
    while (len) {
        int rc = g->cur ? ARTSIG_OK : gz_begin_piece(e);
        if (rc != ARTSIG_OK)
            return rc;
        struct gz_piece *p = g->cur;
        size_t n = GZ_PIECE - p->len < len ? GZ_PIECE - p->len : len;
        memcpy(p->in + GZ_WINDOW + p->len, data, n);
        p->len += n;
        data += n;
        len -= n;
        if (p->len == GZ_PIECE && (rc = gz_hand_over(e, false)) != ARTSIG_OK)
            return rc;
    }
    return ARTSIG_OK;
}

static int gz_finish(asig_encoder *e)
{
    struct gz *g = &e->gz;
    int rc = g->cur ? ARTSIG_OK : gz_begin_piece(e);
    if (rc == ARTSIG_OK)
        rc = gz_hand_over(e, true);
    while (rc == ARTSIG_OK && g->emitted < g->filled)
        rc = gz_sink_oldest(e);
    uint8_t trailer[8];
    put_le32(trailer, g->crc);
    put_le32(trailer + 4, g->isize);
    return rc == ARTSIG_OK ? e->sink(e->sink_data, trailer, sizeof trailer) : rc;
}

/* ---- xz and zstd ---- */

static int lzma_status(lzma_ret r, const char *what)
{
    if (r == LZMA_MEM_ERROR || r == LZMA_MEMLIMIT_ERROR)
        return asig_fail(ARTSIG_ENOMEM, "xz: %s", what);
    return asig_fail(ARTSIG_EIO, "xz: %s failed (liblzma error %d)", what, (int)r);
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

/* One call of the compressor over e->in: output into e->out, *more when it
 * must be called again (input left, output buffer full, or the end not yet
 * written). */
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
        int rc = e->c == ARTSIG_COMPRESS_XZ ? step_xz(e, finish, &more)
                                            : step_zstd(e, finish, &more);
        if (rc == ARTSIG_OK && e->out_len)
            rc = e->sink(e->sink_data, e->out, e->out_len);
        if (rc != ARTSIG_OK)
            return rc;
    }
    return ARTSIG_OK;
}

/* ---- the interface ---- */

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
    if ((c == ARTSIG_COMPRESS_XZ || c == ARTSIG_COMPRESS_ZSTD) && !(e->out = malloc(OUT_SIZE)))
        rc = asig_fail(ARTSIG_ENOMEM, "compressor");
    else if (c == ARTSIG_COMPRESS_GZIP)
        rc = gz_new(e, level, threads);
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
    gz_free(&e->gz);
    lzma_end(&e->x);
    ZSTD_freeCCtx(e->zs);
    free(e->out);
    free(e);
}

int asig_encoder_write(asig_encoder *e, const void *data, size_t len)
{
    switch (e->c) {
    case ARTSIG_COMPRESS_NONE:
        return len ? e->sink(e->sink_data, data, len) : ARTSIG_OK;
    case ARTSIG_COMPRESS_GZIP:
        return gz_write(e, data, len);
    default:
        return pump(e, data, len, false);
    }
}

int asig_encoder_finish(asig_encoder *e)
{
    switch (e->c) {
    case ARTSIG_COMPRESS_NONE:
        return ARTSIG_OK;
    case ARTSIG_COMPRESS_GZIP:
        return gz_finish(e);
    default:
        return pump(e, "", 0, true);
    }
}
