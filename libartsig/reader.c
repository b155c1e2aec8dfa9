/* The streaming reader. Every tar layer is libarchive's: the outer,
 * uncompressed tar, and each header or data member as a second archive whose
 * read callback pulls the member's bytes straight out of the outer one, hashes
 * them on the way and decompresses them (decoder.c). Every byte of every tar
 * passes a struct tarstream, which has each header checked before libarchive
 * reads it (tar_check.c) and requires the bytes libarchive skips without
 * looking (padding, end-of-archive blocks and what follows them) to be zeros.
 * Member grammar and trust order follow FORMAT.md; info.c turns the header
 * files into facts once their digest matched. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>

#include "decoder.h"
#include "info_internal.h"
#include "tar_check.h"

/* Input is read in blocks of this size (fd and pull modes); libarchive hands
 * out pointers into it, so payload data is never copied in between. */
#define INPUT_BLOCK (128 * 1024)
/* header-info, the scripts, and type-info, meta-data and files per payload. */
#define HEADER_FILES_MAX (1 + ARTSIG_LIMIT_SCRIPTS + 3 * ARTSIG_LIMIT_PAYLOADS)
#define HEADER_NAME_MAX 255
/* Internal status: header-only reading is complete; never returned. */
#define STOP 1

/* Named by the suffix only, as the reference tools do; the decoders check
 * the magic bytes, so that a name cannot select a different decoder. */
struct compression {
    const char *suffix;
    enum asig_codec codec;
};

static const struct compression compressions[] = {
    {"", ASIG_CODEC_NONE},
    {".gz", ASIG_CODEC_GZIP},
    {".xz", ASIG_CODEC_XZ},
    {".zst", ASIG_CODEC_ZSTD},
};
#define NCOMPRESSIONS (sizeof compressions / sizeof compressions[0])

/* Outer members in their only valid order. */
enum kind {
    K_START,
    K_VERSION,
    K_MANIFEST,
    K_SIG,
    K_AUGMENT,
    K_HEADER,
    K_HEADER_AUGMENT,
    K_DATA,
    K_UNKNOWN
};

struct header_file {
    char *name;
    size_t len;
    uint8_t data[];
};

/* Push mode: the parser runs on `thread` and takes the caller's buffers one
 * at a time. The caller waits inside push()/finish() while the worker runs,
 * so the two never run at once. */
struct channel {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    const uint8_t *data; /* offered by push(), taken by the worker */
    size_t len;
    bool wants; /* the worker is done with the last buffer and waits */
    bool eof;   /* finish() was called */
    bool abort; /* the reader is freed before finish() */
    bool done;  /* the worker ended; verdict and detail hold its result */
    int verdict;
    char detail[512];
};

enum run_state { RUN_NEW, RUN_PUSH, RUN_DONE };

/* A tar as libarchive reads it through one of the read callbacks: the
 * artifact itself, or a member's decompressed content. Every buffer handed to
 * libarchive passes here: its headers are checked first, and the bytes
 * libarchive skips without looking (the padding after each entry's data, and
 * all from the first end-of-archive block on) must all be zeros. */
struct tarstream {
    artsig_reader *r;
    struct archive *a;
    struct asig_tar_check check;
    const char *member;   /* NULL for the artifact's own tar */
    uint64_t delivered;   /* bytes handed to libarchive */
    const uint8_t *last;  /* the buffer handed over last, which libarchive */
    size_t last_len;      /* may still read from: it is valid until the next */
    uint64_t pad_from;    /* padding of the current entry: [pad_from, pad_to); */
    uint64_t pad_to;      /* pad_to is where the next header starts */
    uint64_t end;         /* at the end of the archive: where its end blocks start */
    uint64_t nonzero_end; /* just past the last non-zero byte handed over */
    char entry[ASIG_SHOWN_MAX + 4]; /* the current entry's name, for details */
};

struct artsig_reader {
    const artsig_keyring *keyring;
    artsig_reader_callbacks cb;
    void *userdata;
    bool header_only;
    enum run_state state;

    /* Input */
    ssize_t (*source)(artsig_reader *r, const void **buf);
    int fd;
    artsig_read_cb pull;
    void *pull_data;
    uint8_t *block;
    struct channel *push;
    bool input_eof;
    int pending; /* a failure inside a libarchive callback, with its detail */

    struct tarstream outer;
    artsig_sha256_ctx *sha;
    artsig_info *info;
    bool info_ready;

    /* What the members read so far established. */
    enum kind stage;
    char last[32]; /* name of the last member accepted, for details */
    uint8_t version_digest[ARTSIG_DIGEST_LEN];
    uint8_t *manifest_raw;
    size_t manifest_len;
    artsig_manifest *manifest, *augment;
    bool signed_;
    size_t key_index;
    const struct compression *header_comp, *augment_comp;
    uint8_t header_digest[ARTSIG_DIGEST_LEN], augment_digest[ARTSIG_DIGEST_LEN];
    size_t payloads, next_payload, files;

    /* Header files, held until the member's digest matched. */
    struct header_file **hfiles;
    size_t nhfiles, hfiles_cap;
    uint64_t htotal;
};

/* One header or data member, read as an archive of its own. */
struct member {
    artsig_reader *r;
    const char *name;
    const struct compression *comp;
    artsig_sha256_ctx *sha; /* NULL: the member's bytes are not digested */
    uint64_t limit;         /* most bytes its content may decompress to */
    size_t payload;         /* data members: the payload's index */
    asig_decoder *dec;
    const uint8_t *in; /* a piece of the member the decoder has not taken yet */
    size_t in_len;
    bool in_end; /* the outer archive has no more of the member */
    uint64_t pulled;
    uint8_t head[ASIG_CODEC_MAGIC_MAX]; /* the first decompressed bytes */
    struct tarstream ts;
};

static bool has_keys(const artsig_reader *r)
{
    return r->keyring && artsig_keyring_count(r->keyring) > 0;
}

/* ---- Errors ---- */

static const char *archive_message(struct archive *a)
{
    const char *s = archive_error_string(a);
    return s ? s : "unreadable";
}

/* A failure libarchive reported on a tar, `where` `what` ("inside" "manifest").
 * A failure inside one of the read callbacks comes with its own detail. When
 * the input had already ended, the artifact is truncated, otherwise its bytes
 * were wrong. */
static int tar_fail(const struct tarstream *t, const char *where, const char *what)
{
    artsig_reader *r = t->r;
    if (r->pending)
        return r->pending;
    if (archive_errno(t->a) == ENOMEM)
        return asig_fail(ARTSIG_ENOMEM, "%s %s", where, what);
    if (!t->member && r->input_eof)
        return asig_fail(ARTSIG_ETRUNCATED, "input ends %s %s (%s)", where, what,
                         archive_message(t->a));
    return asig_fail(ARTSIG_EFORMAT, "%s %s: %s", where, what, archive_message(t->a));
}

static int callback_result(int rc, const char *which)
{
    return rc ? asig_fail(ARTSIG_ECANCELLED, "the %s callback returned %d", which, rc)
              : ARTSIG_OK;
}

static int digest_mismatch(const char *what, const uint8_t want[ARTSIG_DIGEST_LEN],
                           const uint8_t got[ARTSIG_DIGEST_LEN])
{
    char w[ARTSIG_DIGEST_HEX_LEN + 1], g[ARTSIG_DIGEST_HEX_LEN + 1];
    artsig_digest_to_hex(w, want);
    artsig_digest_to_hex(g, got);
    return asig_fail(ARTSIG_EDIGEST, "%s: manifest lists sha256 %s, content has %s", what, w,
                     g);
}

static int check_digest(artsig_sha256_ctx *sha, const uint8_t want[ARTSIG_DIGEST_LEN],
                        const char *what)
{
    uint8_t got[ARTSIG_DIGEST_LEN];
    int rc = artsig_sha256_final(got, sha);
    if (rc != ARTSIG_OK)
        return rc;
    return artsig_digest_equal(got, want) ? ARTSIG_OK : digest_mismatch(what, want, got);
}

/* ---- Tars: the bytes libarchive skips ---- */

/* A regular file whose data lies in the tar as its size says: the only kind
 * of entry the reader accepts (it refuses the others with details of its own). */
static bool plain_file(struct archive_entry *e)
{
    return archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e) &&
           !archive_entry_symlink(e) && archive_entry_sparse_count(e) == 0 &&
           archive_entry_size_is_set(e) && archive_entry_size(e) >= 0;
}

/* The bytes at p, which start at offset `base` of the tar, must be zeros where
 * they overlap the current entry's padding. */
static int check_padding(const struct tarstream *t, const uint8_t *p, uint64_t base, size_t len)
{
    uint64_t from = t->pad_from > base ? t->pad_from : base;
    uint64_t to = t->pad_to < base + len ? t->pad_to : base + len;
    for (uint64_t at = from; at < to; at++)
        if (p[at - base]) {
            if (!t->member)
                return asig_fail(ARTSIG_EFORMAT, "non-zero padding after member %s (byte %llu)",
                                 t->entry, (unsigned long long)at);
            return asig_fail(ARTSIG_EFORMAT, "%s: non-zero padding after %s (byte %llu of its tar)",
                             t->member, t->entry, (unsigned long long)at);
        }
    return ARTSIG_OK;
}

/* Every buffer handed to libarchive passes here. Only zeros may follow the
 * end of the archive, so the last non-zero byte is remembered. The end can
 * come no earlier than where the next header would start, so only bytes from
 * there on are looked at, from the buffer's end: a file's data is not (a disk
 * image is mostly zeros). */
static int ts_deliver(struct tarstream *t, const uint8_t *p, size_t len)
{
    int rc = asig_tar_check_feed(&t->check, p, len);
    if (rc == ARTSIG_OK)
        rc = check_padding(t, p, t->delivered, len);
    uint64_t from = t->pad_to > t->delivered ? t->pad_to - t->delivered : 0;
    size_t i = len;
    while (i > from && p[i - 1] == 0)
        i--;
    if (i > from)
        t->nonzero_end = t->delivered + i;
    t->delivered += len;
    t->last = p;
    t->last_len = len;
    return rc;
}

/* archive_read_next_header() on a tar that is watched. The previous entry's
 * padding lies behind (libarchive skipped it in there). An entry's data starts
 * where libarchive stopped reading its headers, pax and GNU extensions
 * included, and its padding follows the data. libarchive consumes all it reads
 * ahead for a header, so what of the padding it was already given lies in the
 * last buffer, still at hand; the rest is checked as it arrives. A failure is
 * left in r->pending, as in the read callbacks. */
static int ts_next_header(struct tarstream *t, struct archive_entry **e)
{
    int ar = archive_read_next_header(t->a, e);
    t->end = t->pad_from = t->pad_to;
    if (ar != ARCHIVE_OK || !plain_file(*e))
        return ar;
    const char *name = archive_entry_pathname(*e);
    asig_printable(t->entry, name ? name : "", name ? strlen(name) : 0);
    uint64_t size = (uint64_t)archive_entry_size(*e);
    t->pad_from = (uint64_t)archive_filter_bytes(t->a, -1) + size;
    t->pad_to = t->pad_from + (ASIG_TAR_BLOCK - size % ASIG_TAR_BLOCK) % ASIG_TAR_BLOCK;
    uint64_t first = t->delivered - t->last_len;
    int rc = ARTSIG_OK;
    if (t->pad_from < first && t->pad_from < t->pad_to)
        rc = asig_fail(ARTSIG_EUNSUPPORTED, "%s%scannot check the padding after %s: this "
                                            "libarchive read past it",
                       t->member ? t->member : "", t->member ? ": " : "", t->entry);
    else if (t->pad_from < t->delivered)
        rc = check_padding(t, t->last, first, t->last_len);
    if (rc == ARTSIG_OK)
        return ARCHIVE_OK;
    t->r->pending = rc;
    return ARCHIVE_FATAL;
}

/* The archive ended and the rest of its stream was handed over: from its end
 * blocks on, everything must be zeros. */
static int ts_check_tail(const struct tarstream *t)
{
    if (t->nonzero_end <= t->end)
        return ARTSIG_OK;
    if (!t->member)
        return asig_fail(ARTSIG_EFORMAT, "non-zero bytes after the end of the archive (the "
                                         "last at offset %llu)",
                         (unsigned long long)t->nonzero_end - 1);
    return asig_fail(ARTSIG_EFORMAT, "%s: non-zero bytes after the end of its tar (the last "
                                     "at byte %llu of the tar)",
                     t->member, (unsigned long long)t->nonzero_end - 1);
}

/* libarchive also ends a tar at an entry boundary, or after one zero block;
 * every writer puts two. */
static bool ts_end_blocks_missing(const struct tarstream *t)
{
    return t->delivered - t->end < 2 * ASIG_TAR_BLOCK;
}

/* A tar-only archive: any decompression is decoder.c's. */
static int ts_open(struct tarstream *t, void *data, archive_read_callback *read)
{
    asig_tar_check_init(&t->check, t->member);
    t->a = archive_read_new();
    if (!t->a)
        return asig_fail(ARTSIG_ENOMEM, "tar reader");
    if (archive_read_support_format_tar(t->a) != ARCHIVE_OK)
        return asig_fail(ARTSIG_EUNSUPPORTED, "this libarchive cannot read tar");
    if (archive_read_open(t->a, data, NULL, read, NULL) != ARCHIVE_OK)
        return tar_fail(t, "at the start of", t->member ? t->member : "the artifact");
    return ARTSIG_OK;
}

static void ts_close(struct tarstream *t)
{
    archive_read_free(t->a);
    t->a = NULL;
    asig_tar_check_free(&t->check);
}

/* ---- Input ---- */

static ssize_t fd_source(artsig_reader *r, const void **buf)
{
    for (;;) {
        ssize_t n = read(r->fd, r->block, INPUT_BLOCK);
        if (n >= 0) {
            *buf = r->block;
            return n;
        }
        if (errno != EINTR) {
            r->pending = asig_fail(ARTSIG_EIO, "reading the artifact: %s", strerror(errno));
            return -1;
        }
    }
}

static ssize_t pull_source(artsig_reader *r, const void **buf)
{
    ssize_t n = r->pull(r->block, INPUT_BLOCK, r->pull_data);
    if (n < 0) {
        r->pending = asig_fail(ARTSIG_EIO, "the read callback failed (%zd)", n);
        return -1;
    }
    if ((size_t)n > INPUT_BLOCK) {
        r->pending = asig_fail(ARTSIG_EINVAL, "the read callback returned %zd bytes, more than "
                                              "the %d asked for", n, INPUT_BLOCK);
        return -1;
    }
    *buf = r->block;
    return n;
}

static ssize_t push_source(artsig_reader *r, const void **buf)
{
    struct channel *c = r->push;
    pthread_mutex_lock(&c->lock);
    c->wants = true;
    pthread_cond_broadcast(&c->cond);
    while (!c->data && !c->eof && !c->abort)
        pthread_cond_wait(&c->cond, &c->lock);
    ssize_t n = 0;
    if (c->abort) {
        r->pending = asig_fail(ARTSIG_ECANCELLED, "the reader was freed before finish()");
        n = -1;
    } else if (c->data) {
        *buf = c->data;
        n = (ssize_t)c->len;
        c->data = NULL;
        c->wants = false;
    }
    pthread_mutex_unlock(&c->lock);
    return n;
}

/* All input passes here, on its way into the outer archive. */
static ssize_t next_input(artsig_reader *r, const void **buf)
{
    if (r->input_eof)
        return 0;
    ssize_t n = r->source(r, buf);
    if (n == 0)
        r->input_eof = true;
    if (n <= 0)
        return n;
    int rc = ts_deliver(&r->outer, *buf, (size_t)n);
    if (rc != ARTSIG_OK) {
        r->pending = rc;
        return -1;
    }
    return n;
}

static la_ssize_t outer_read(struct archive *a, void *p, const void **buf)
{
    artsig_reader *r = p;
    ssize_t n = next_input(r, buf);
    if (n < 0)
        archive_set_error(a, EIO, "input failed");
    return n;
}

/* ---- Members as archives of their own ---- */

/* The next piece of the member out of the outer archive, without a copy;
 * hashed when the member has a digest. */
static int pull_member(struct member *m)
{
    artsig_reader *r = m->r;
    const void *buf;
    size_t len = 0;
    la_int64_t offset;
    int ar;
    do
        ar = archive_read_data_block(r->outer.a, &buf, &len, &offset);
    while (ar == ARCHIVE_OK && len == 0);
    if (ar == ARCHIVE_EOF) {
        m->in_end = true;
        return ARTSIG_OK;
    }
    if (ar != ARCHIVE_OK)
        return tar_fail(&r->outer, "inside", m->name);
    if ((uint64_t)offset != m->pulled)
        return asig_fail(ARTSIG_EFORMAT, "%s: data with holes", m->name);
    m->pulled += len;
    m->in = buf;
    m->in_len = len;
    return m->sha ? artsig_sha256_update(m->sha, buf, len) : ARTSIG_OK;
}

/* The content must be a tar, not one more layer of compression (which
 * libarchive, reading tar only, would not undo either). */
static int check_one_layer(struct member *m, const uint8_t *p, size_t len)
{
    if (m->ts.delivered >= sizeof m->head)
        return ARTSIG_OK;
    size_t have = (size_t)m->ts.delivered;
    size_t n = len < sizeof m->head - have ? len : sizeof m->head - have;
    memcpy(m->head + have, p, n);
    enum asig_codec inside = asig_codec_sniff(m->head, have + n);
    if (inside == ASIG_CODEC_NONE)
        return ARTSIG_OK;
    if (m->comp->codec == ASIG_CODEC_NONE)
        return asig_fail(ARTSIG_EFORMAT, "%s: named as uncompressed, but its content is %s",
                         m->name, asig_codec_label(inside));
    return asig_fail(ARTSIG_EFORMAT, "%s: not a single layer of %s data: its content is %s",
                     m->name, asig_codec_label(m->comp->codec), asig_codec_label(inside));
}

/* Read callback of a member's archive: its content, decompressed. */
static la_ssize_t member_read(struct archive *a, void *p, const void **buf)
{
    (void)a;
    struct member *m = p;
    const uint8_t *out = NULL;
    size_t len = 0, used;
    int rc = ARTSIG_OK;
    while (rc == ARTSIG_OK && len == 0) {
        if (m->in_len > 0) {
            rc = asig_decoder_feed(m->dec, m->in, m->in_len, &used, &out, &len);
            m->in += used;
            m->in_len -= used;
        } else if (!m->in_end) {
            rc = pull_member(m);
        } else {
            rc = asig_decoder_finish(m->dec, &out, &len);
            if (rc == ARTSIG_OK && len == 0)
                return 0;
        }
    }
    if (rc == ARTSIG_OK)
        rc = check_one_layer(m, out, len);
    /* Checked while decompressing, so that a bomb stops early. */
    if (rc == ARTSIG_OK && len > m->limit - m->ts.delivered)
        rc = asig_fail(ARTSIG_ELIMIT, "%s: more than %llu bytes uncompressed", m->name,
                       (unsigned long long)m->limit);
    if (rc == ARTSIG_OK)
        rc = ts_deliver(&m->ts, out, len);
    if (rc != ARTSIG_OK) {
        m->r->pending = rc;
        return -1;
    }
    *buf = out;
    return (la_ssize_t)len;
}

/* The member's tar ended: the rest of its content must be zeros, and there
 * must be no more compressed bytes than its stream(s) hold; the digest of a
 * header member also covers every byte. */
static int end_member(struct member *m)
{
    const void *buf;
    la_ssize_t n;
    while ((n = member_read(NULL, m, &buf)) > 0)
        ;
    int rc = n < 0 ? m->r->pending : ts_check_tail(&m->ts);
    if (rc == ARTSIG_OK && ts_end_blocks_missing(&m->ts))
        rc = asig_fail(ARTSIG_EFORMAT, "%s: its tar lacks the two end-of-archive blocks",
                       m->name);
    return rc;
}

/* Reads a header or data member entry by entry, each handed to `on_entry`. */
static int read_member(struct member *m, int (*on_entry)(struct member *m,
                                                         struct archive_entry *e))
{
    m->ts = (struct tarstream){.r = m->r, .member = m->name};
    int rc = asig_decoder_new(&m->dec, m->comp->codec, m->name);
    if (rc == ARTSIG_OK)
        rc = ts_open(&m->ts, m, member_read);
    while (rc == ARTSIG_OK) {
        struct archive_entry *e;
        int ar = ts_next_header(&m->ts, &e);
        if (ar == ARCHIVE_EOF) {
            rc = end_member(m);
            break;
        }
        rc = ar == ARCHIVE_OK ? on_entry(m, e) : tar_fail(&m->ts, "in", m->name);
    }
    ts_close(&m->ts);
    asig_decoder_free(m->dec);
    return rc;
}

/* Entries inside header and data members must be plain files. */
static int check_inner_entry(struct archive_entry *e, const char *member, const char *name)
{
    char shown[ASIG_SHOWN_MAX + 4];
    if (!name)
        return asig_fail(ARTSIG_EUNSAFE, "%s: entry without a usable name", member);
    const char *what = NULL;
    if (archive_entry_hardlink(e))
        what = "a hard link";
    else if (archive_entry_symlink(e) || archive_entry_filetype(e) == AE_IFLNK)
        what = "a symbolic link";
    else if (archive_entry_filetype(e) == AE_IFDIR)
        what = "a directory";
    else if (archive_entry_filetype(e) != AE_IFREG)
        what = "a device or special file";
    if (what)
        return asig_fail(ARTSIG_EUNSAFE, "%s: %s is %s", member,
                         asig_printable(shown, name, strlen(name)), what);
    if (!plain_file(e))
        return asig_fail(ARTSIG_EFORMAT, "%s: %s is a sparse file or has no size", member,
                         asig_printable(shown, name, strlen(name)));
    return ARTSIG_OK;
}

/* ---- Header members ---- */

static void free_header_files(artsig_reader *r)
{
    for (size_t i = 0; i < r->nhfiles; i++)
        free(r->hfiles[i]);
    r->nhfiles = 0;
    r->htotal = 0;
}

static int buffer_header_file(struct member *m, struct archive_entry *e)
{
    artsig_reader *r = m->r;
    const char *member = m->name, *name = archive_entry_pathname(e);
    int rc = check_inner_entry(e, member, name);
    if (rc != ARTSIG_OK)
        return rc;
    char shown[ASIG_SHOWN_MAX + 4];
    size_t name_len = strlen(name);
    if (name_len > HEADER_NAME_MAX)
        return asig_fail(ARTSIG_EFORMAT, "%s: file name longer than %d bytes: %s", member,
                         HEADER_NAME_MAX, asig_printable(shown, name, name_len));
    if (r->nhfiles == HEADER_FILES_MAX)
        return asig_fail(ARTSIG_ELIMIT, "%s: more than %d files", member, HEADER_FILES_MAX);
    int64_t size = archive_entry_size(e);
    if (size > ARTSIG_LIMIT_HEADER_FILE)
        return asig_fail(ARTSIG_ELIMIT, "%s: %s is %lld bytes, more than %d", member,
                         asig_printable(shown, name, name_len), (long long)size,
                         ARTSIG_LIMIT_HEADER_FILE);
    if ((uint64_t)size > ARTSIG_LIMIT_HEADER_TOTAL - r->htotal)
        return asig_fail(ARTSIG_ELIMIT, "%s: files larger than %d bytes in total", member,
                         ARTSIG_LIMIT_HEADER_TOTAL);
    if (r->nhfiles == r->hfiles_cap) {
        size_t cap = r->hfiles_cap ? 2 * r->hfiles_cap : 16;
        struct header_file **v = realloc(r->hfiles, cap * sizeof *v);
        if (!v)
            return asig_fail(ARTSIG_ENOMEM, "%s: file list", member);
        r->hfiles = v;
        r->hfiles_cap = cap;
    }
    struct header_file *f = malloc(sizeof *f + (size_t)size + name_len + 1);
    if (!f)
        return asig_fail(ARTSIG_ENOMEM, "%s: %s", member, asig_printable(shown, name, name_len));
    f->len = (size_t)size;
    f->name = (char *)f->data + size;
    memcpy(f->name, name, name_len + 1);
    r->hfiles[r->nhfiles++] = f;
    r->htotal += (uint64_t)size;
    size_t got = 0;
    while (got < f->len) {
        la_ssize_t n = archive_read_data(m->ts.a, f->data + got, f->len - got);
        if (n < 0)
            return tar_fail(&m->ts, "in", member);
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (got != f->len)
        return asig_fail(ARTSIG_EFORMAT, "%s: %s ends early", member,
                         asig_printable(shown, name, name_len));
    return ARTSIG_OK;
}

/* Reads header.tar[ext] or header-augment.tar[ext]; its files reach info.c
 * only after the member's digest matched. */
static int read_header_member(artsig_reader *r, const char *name,
                              const struct compression *comp,
                              const uint8_t digest[ARTSIG_DIGEST_LEN], int augment)
{
    struct member m = {.r = r, .name = name, .comp = comp, .sha = r->sha,
                       .limit = ARTSIG_LIMIT_HEADER_TOTAL};
    int rc = read_member(&m, buffer_header_file);
    if (rc == ARTSIG_OK)
        rc = check_digest(r->sha, digest, name);
    for (size_t i = 0; rc == ARTSIG_OK && i < r->nhfiles; i++)
        rc = asig_info_header_file(r->info, augment, r->hfiles[i]->name, r->hfiles[i]->data,
                                   r->hfiles[i]->len);
    free_header_files(r);
    return rc;
}

/* Every header file is known: the facts are complete and the consumer may
 * look at them. */
static int header_complete(artsig_reader *r)
{
    int rc = asig_info_header_done(r->info);
    if (rc != ARTSIG_OK)
        return rc;
    r->payloads = artsig_info_payload_count(r->info);
    if (r->payloads > ARTSIG_LIMIT_PAYLOADS)
        return asig_fail(ARTSIG_ELIMIT, "%zu payloads, more than %d", r->payloads,
                         ARTSIG_LIMIT_PAYLOADS);
    if (r->cb.header && (rc = callback_result(r->cb.header(r->info, r->userdata), "header")))
        return rc;
    return r->header_only ? STOP : ARTSIG_OK;
}

/* ---- Data members ---- */

static int read_payload_file(struct member *m, struct archive_entry *e)
{
    artsig_reader *r = m->r;
    const char *member = m->name, *name = archive_entry_pathname(e);
    size_t payload = m->payload;
    int rc = check_inner_entry(e, member, name);
    if (rc != ARTSIG_OK)
        return rc;
    char shown[ASIG_SHOWN_MAX + 4];
    size_t name_len = strlen(name);
    if (!artsig_payload_name_valid(name, name_len))
        return asig_fail(ARTSIG_EUNSAFE, "%s: unsafe file name \"%s\"", member,
                         asig_printable(shown, name, name_len));
    if (++r->files > ARTSIG_LIMIT_FILES)
        return asig_fail(ARTSIG_ELIMIT, "more than %d payload files", ARTSIG_LIMIT_FILES);
    size_t index;
    const uint8_t *want;
    rc = asig_info_find_file(&index, &want, r->info, payload, name);
    if (rc == ARTSIG_ENOTFOUND)
        return asig_fail(ARTSIG_EFORMAT, "%s: %s is not listed in the manifest", member, name);
    if (rc != ARTSIG_OK)
        return rc;
    const char *listed;
    int64_t seen;
    const uint8_t *unused;
    if ((rc = artsig_info_file(&listed, &seen, &unused, r->info, payload, index)) != ARTSIG_OK)
        return rc;
    if (seen >= 0)
        return asig_fail(ARTSIG_EFORMAT, "%s: %s appears twice", member, name);
    char what[sizeof "data/NNNN/" + ARTSIG_NAME_MAX];
    snprintf(what, sizeof what, "data/%04zu/%s", payload, name);

    uint64_t size = (uint64_t)archive_entry_size(e);
    if (r->cb.file_begin &&
        (rc = callback_result(r->cb.file_begin(payload, name, size, r->userdata), "file_begin")))
        return rc;
    uint64_t got = 0;
    for (;;) {
        const void *buf;
        size_t len;
        la_int64_t offset;
        int ar = archive_read_data_block(m->ts.a, &buf, &len, &offset);
        if (ar == ARCHIVE_EOF)
            break;
        if (ar != ARCHIVE_OK)
            return tar_fail(&m->ts, "in", member);
        if ((uint64_t)offset != got)
            return asig_fail(ARTSIG_EFORMAT, "%s: %s has holes", member, name);
        if ((rc = artsig_sha256_update(r->sha, buf, len)) != ARTSIG_OK)
            return rc;
        if (r->cb.file_data && len > 0 &&
            (rc = callback_result(r->cb.file_data(buf, len, r->userdata), "file_data")))
            return rc;
        got += len;
    }
    if (got != size)
        return asig_fail(ARTSIG_EFORMAT, "%s: %s has %llu bytes, its header says %llu", member,
                         name, (unsigned long long)got, (unsigned long long)size);
    if ((rc = check_digest(r->sha, want, what)) != ARTSIG_OK)
        return rc;
    if ((rc = asig_info_file_done(r->info, payload, index, size)) != ARTSIG_OK)
        return rc;
    if (r->cb.file_end)
        return callback_result(r->cb.file_end(payload, name, r->userdata), "file_end");
    return ARTSIG_OK;
}

static int read_data_member(artsig_reader *r, const char *name, const struct compression *comp,
                            size_t payload)
{
    struct member m = {.r = r, .name = name, .comp = comp, .limit = UINT64_MAX,
                       .payload = payload};
    int rc = read_member(&m, read_payload_file);
    if (rc != ARTSIG_OK)
        return rc;
    const char *missing = asig_info_first_missing_file(r->info, payload);
    if (missing)
        return asig_fail(ARTSIG_EFORMAT, "%s: data/%04zu/%s is listed in the manifest but missing",
                         name, payload, missing);
    return ARTSIG_OK;
}

/* ---- Small members ---- */

static int parse_version(int *version, const uint8_t *text, size_t len)
{
    /* Through the strict gate: json-c alone would take the last of two
     * "version" keys, where Go refuses the first that is not a number. */
    json_object *o;
    int rc = asig_json_parse(&o, "version", text, len);
    if (rc != ARTSIG_OK)
        return rc;
    json_object *format, *number;
    bool ok = json_object_is_type(o, json_type_object) &&
              json_object_object_length(o) == 2 &&
              json_object_object_get_ex(o, "format", &format) &&
              json_object_object_get_ex(o, "version", &number) &&
              json_object_is_type(format, json_type_string) &&
              strcmp(json_object_get_string(format), "mender") == 0 &&
              json_object_is_type(number, json_type_int);
    int64_t v = ok ? json_object_get_int64(number) : 0;
    json_object_put(o);
    if (!ok)
        return asig_fail(ARTSIG_EFORMAT,
                         "version: not {\"format\":\"mender\",\"version\":N} in JSON");
    if (v != 2 && v != 3)
        return asig_fail(ARTSIG_EUNSUPPORTED, "format version %lld (2 and 3 are supported)",
                         (long long)v);
    *version = (int)v;
    return ARTSIG_OK;
}

static int on_version(artsig_reader *r, uint8_t *text, size_t len)
{
    int version = 0;
    int rc = parse_version(&version, text, len);
    if (rc == ARTSIG_OK)
        rc = artsig_sha256(r->version_digest, text, len);
    free(text);
    return rc == ARTSIG_OK ? asig_info_set_format_version(r->info, version) : rc;
}

/* The one header.tar[ext] (or header-augment.tar[ext]) a manifest lists. */
static int listed_header(const struct compression **comp, uint8_t digest[ARTSIG_DIGEST_LEN],
                         const artsig_manifest *m, const char *base, const char *manifest)
{
    *comp = NULL;
    for (size_t i = 0; i < NCOMPRESSIONS; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s.tar%s", base, compressions[i].suffix);
        const uint8_t *d;
        if (artsig_manifest_lookup(&d, m, name) != ARTSIG_OK)
            continue;
        if (*comp)
            return asig_fail(ARTSIG_EFORMAT, "%s lists more than one %s.tar[ext]", manifest,
                             base);
        *comp = &compressions[i];
        memcpy(digest, d, ARTSIG_DIGEST_LEN);
    }
    return ARTSIG_OK;
}

static int check_manifest(artsig_reader *r)
{
    const uint8_t *d;
    if (artsig_manifest_lookup(&d, r->manifest, "version") != ARTSIG_OK)
        return asig_fail(ARTSIG_EFORMAT, "manifest does not list version");
    if (!artsig_digest_equal(d, r->version_digest))
        return digest_mismatch("version", d, r->version_digest);
    const struct compression *aug;
    uint8_t unused[ARTSIG_DIGEST_LEN];
    int rc = listed_header(&r->header_comp, r->header_digest, r->manifest, "header", "manifest");
    if (rc == ARTSIG_OK)
        rc = listed_header(&aug, unused, r->manifest, "header-augment", "manifest");
    if (rc != ARTSIG_OK)
        return rc;
    if (!r->header_comp)
        return asig_fail(ARTSIG_EFORMAT, "manifest lists no header.tar[ext]");
    if (aug)
        return asig_fail(ARTSIG_EFORMAT, "manifest lists header-augment.tar%s, which belongs "
                                         "in manifest-augment", aug->suffix);
    return ARTSIG_OK;
}

/* The reader keeps the raw manifest: it is what the signature covers. */
static int on_manifest(artsig_reader *r, uint8_t *raw, size_t len)
{
    r->manifest_raw = raw;
    r->manifest_len = len;
    int rc = artsig_manifest_parse(&r->manifest, raw, len);
    return rc == ARTSIG_OK ? check_manifest(r) : rc;
}

/* Checked here, before any header byte is read. */
static int on_signature(artsig_reader *r, uint8_t *text, size_t len)
{
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t sig_len;
    int rc = artsig_signature_decode(sig, &sig_len, (const char *)text, len);
    free(text);
    if (rc != ARTSIG_OK)
        return rc;
    r->signed_ = true;
    if (has_keys(r))
        rc = artsig_keyring_verify(&r->key_index, r->keyring, r->manifest_raw, r->manifest_len,
                                   sig, sig_len);
    return rc;
}

static int on_augment(artsig_reader *r, uint8_t *raw, size_t len)
{
    int rc = artsig_manifest_parse(&r->augment, raw, len);
    free(raw);
    if (rc != ARTSIG_OK)
        return rc;
    for (size_t i = 0; i < artsig_manifest_count(r->augment); i++) {
        const char *name;
        const uint8_t *d;
        if ((rc = artsig_manifest_entry(&name, &d, r->augment, i)) != ARTSIG_OK)
            return rc;
        /* Only what may be unsigned: the header augment and payload files. */
        if (strncmp(name, "data/", 5) != 0 && strncmp(name, "header-augment.", 15) != 0)
            return asig_fail(ARTSIG_EFORMAT, "manifest-augment lists %s", name);
        if (artsig_manifest_lookup(&d, r->manifest, name) == ARTSIG_OK)
            return asig_fail(ARTSIG_EFORMAT, "%s is listed in manifest and manifest-augment",
                             name);
    }
    rc = listed_header(&r->augment_comp, r->augment_digest, r->augment, "header-augment",
                       "manifest-augment");
    if (rc == ARTSIG_OK && !r->augment_comp)
        return asig_fail(ARTSIG_EFORMAT, "manifest-augment lists no header-augment.tar[ext]");
    return rc;
}

/* The members read whole: their size limit, and what takes their bytes
 * (and owns them from then on). */
static const struct {
    size_t max;
    int (*take)(artsig_reader *r, uint8_t *raw, size_t len);
} small_members[] = {
    [K_VERSION] = {ARTSIG_LIMIT_SMALL_MEMBER, on_version},
    [K_MANIFEST] = {ARTSIG_MANIFEST_MAX_BYTES, on_manifest},
    [K_SIG] = {ARTSIG_LIMIT_SMALL_MEMBER, on_signature},
    [K_AUGMENT] = {ARTSIG_MANIFEST_MAX_BYTES, on_augment},
};

static int read_small(artsig_reader *r, enum kind k, const char *name, struct archive_entry *e)
{
    int64_t size = archive_entry_size(e);
    if (size > (int64_t)small_members[k].max)
        return asig_fail(ARTSIG_ELIMIT, "%s is %lld bytes, more than %zu", name,
                         (long long)size, small_members[k].max);
    uint8_t *buf = malloc((size_t)size + 1);
    if (!buf)
        return asig_fail(ARTSIG_ENOMEM, "%s", name);
    /* Read up to the entry's end, so that libarchive consumes its padding. */
    size_t got = 0;
    la_ssize_t n = 0;
    while (got <= (size_t)size &&
           (n = archive_read_data(r->outer.a, buf + got, (size_t)size + 1 - got)) > 0)
        got += (size_t)n;
    if (n < 0 || got != (size_t)size) {
        free(buf);
        return n < 0 ? tar_fail(&r->outer, "inside", name)
                     : asig_fail(ARTSIG_EFORMAT, "%s: size does not match its tar header", name);
    }
    buf[size] = 0;
    return small_members[k].take(r, buf, (size_t)size);
}

/* The manifests are complete: hand them to info.c. */
static int manifests_done(artsig_reader *r)
{
    int rc = asig_info_set_manifest(r->info, r->manifest_raw, r->manifest_len, r->manifest,
                                    r->augment);
    r->manifest = r->augment = NULL;
    if (rc != ARTSIG_OK)
        return rc;
    r->info_ready = true;
    artsig_sig_state state = !r->signed_  ? ARTSIG_SIG_UNSIGNED
                             : has_keys(r) ? ARTSIG_SIG_VERIFIED
                                           : ARTSIG_SIG_UNCHECKED;
    return asig_info_set_signature(r->info, state,
                                   state == ARTSIG_SIG_VERIFIED ? (long)r->key_index : -1);
}

/* ---- The outer archive ---- */

static const struct compression *tar_suffix(const char *name, const char *base, size_t base_len)
{
    if (strncmp(name, base, base_len) != 0 || strncmp(name + base_len, ".tar", 4) != 0)
        return NULL;
    for (size_t i = 0; i < NCOMPRESSIONS; i++)
        if (strcmp(name + base_len + 4, compressions[i].suffix) == 0)
            return &compressions[i];
    return NULL;
}

static enum kind classify(const char *name, const struct compression **comp, size_t *index)
{
    static const char *const fixed[] = {[K_VERSION] = "version",
                                        [K_MANIFEST] = "manifest",
                                        [K_SIG] = "manifest.sig",
                                        [K_AUGMENT] = "manifest-augment"};
    for (enum kind k = K_VERSION; k <= K_AUGMENT; k++)
        if (strcmp(name, fixed[k]) == 0)
            return k;
    if ((*comp = tar_suffix(name, "header", 6)))
        return K_HEADER;
    if ((*comp = tar_suffix(name, "header-augment", 14)))
        return K_HEADER_AUGMENT;
    if (strncmp(name, "data/", 5) != 0)
        return K_UNKNOWN;
    *index = 0;
    for (size_t i = 5; i < 9; i++) {
        if (name[i] < '0' || name[i] > '9')
            return K_UNKNOWN;
        *index = *index * 10 + (size_t)(name[i] - '0');
    }
    *comp = tar_suffix(name, name, 9);
    return *comp ? K_DATA : K_UNKNOWN;
}

/* What may come after the members read so far. */
static const char *expected(const artsig_reader *r, char *buf, size_t size)
{
    switch (r->stage) {
    case K_START: return "version";
    case K_VERSION: return "manifest";
    case K_MANIFEST: return "manifest.sig, manifest-augment or header.tar[ext]";
    case K_SIG: return "manifest-augment or header.tar[ext]";
    case K_AUGMENT: return "header.tar[ext]";
    case K_HEADER:
        if (r->augment_comp)
            return "header-augment.tar[ext]";
        break;
    case K_HEADER_AUGMENT:
    case K_DATA:
    case K_UNKNOWN: break;
    }
    if (r->next_payload == r->payloads)
        return "the end of the archive";
    snprintf(buf, size, "data/%04zu.tar[ext]", r->next_payload);
    return buf;
}

static bool in_order(const artsig_reader *r, enum kind k, size_t index)
{
    switch (r->stage) {
    case K_START: return k == K_VERSION;
    case K_VERSION: return k == K_MANIFEST;
    case K_MANIFEST: return k == K_SIG || k == K_AUGMENT || k == K_HEADER;
    case K_SIG: return k == K_AUGMENT || k == K_HEADER;
    case K_AUGMENT: return k == K_HEADER;
    case K_HEADER:
        if (r->augment_comp)
            return k == K_HEADER_AUGMENT;
        break;
    case K_HEADER_AUGMENT:
    case K_DATA:
    case K_UNKNOWN: break;
    }
    return k == K_DATA && index == r->next_payload && index < r->payloads;
}

static int check_order(artsig_reader *r, const char *name, enum kind k, size_t index,
                       const struct compression *comp)
{
    char shown[ASIG_SHOWN_MAX + 4], want[32];
    if (k == K_UNKNOWN)
        return asig_fail(ARTSIG_EFORMAT, "unknown member \"%s\"",
                         asig_printable(shown, name, strlen(name)));
    if (!in_order(r, k, index))
        return asig_fail(ARTSIG_EFORMAT, "member %s after %s, where %s was expected", name,
                         r->last[0] ? r->last : "the start", expected(r, want, sizeof want));
    /* An unsigned artifact is refused as soon as it shows. */
    if (r->stage == K_MANIFEST && k != K_SIG && has_keys(r))
        return asig_fail(ARTSIG_EUNSIGNED, "no manifest.sig after the manifest, and %zu key%s "
                                           "given", artsig_keyring_count(r->keyring),
                         artsig_keyring_count(r->keyring) == 1 ? " was" : "s were");
    if (k == K_HEADER && comp != r->header_comp)
        return asig_fail(ARTSIG_EFORMAT, "member %s, but the manifest lists header.tar%s", name,
                         r->header_comp->suffix);
    if (k == K_HEADER_AUGMENT && comp != r->augment_comp)
        return asig_fail(ARTSIG_EFORMAT, "member %s, but manifest-augment lists "
                                         "header-augment.tar%s", name, r->augment_comp->suffix);
    return ARTSIG_OK;
}

static int check_outer_entry(struct archive_entry *e, const char *name)
{
    if (!plain_file(e))
        return asig_fail(ARTSIG_EFORMAT, "member %s is not a regular file", name);
    return ARTSIG_OK;
}

static int on_member(artsig_reader *r, struct archive_entry *e)
{
    const char *name = archive_entry_pathname(e);
    if (!name)
        return asig_fail(ARTSIG_EFORMAT, "member after %s has no usable name",
                         r->last[0] ? r->last : "the start");
    const struct compression *comp = NULL;
    size_t index = 0;
    enum kind k = classify(name, &comp, &index);
    int rc = check_order(r, name, k, index, comp);
    if (rc == ARTSIG_OK)
        rc = check_outer_entry(e, name);
    if (rc == ARTSIG_OK)
        rc = asig_info_add_member(r->info, name);
    if (rc != ARTSIG_OK)
        return rc;
    r->stage = k;
    snprintf(r->last, sizeof r->last, "%s", name);
    switch (k) {
    case K_VERSION:
    case K_MANIFEST:
    case K_SIG:
    case K_AUGMENT: return read_small(r, k, name, e);
    case K_HEADER:
        if ((rc = manifests_done(r)) != ARTSIG_OK ||
            (rc = read_header_member(r, name, comp, r->header_digest, 0)) != ARTSIG_OK)
            return rc;
        return r->augment_comp ? ARTSIG_OK : header_complete(r);
    case K_HEADER_AUGMENT:
        rc = read_header_member(r, name, comp, r->augment_digest, 1);
        return rc == ARTSIG_OK ? header_complete(r) : rc;
    case K_DATA:
    case K_START:
    case K_UNKNOWN: break; /* check_order() let only data members through */
    }
    r->next_payload++;
    return read_data_member(r, name, comp, index);
}

/* The archive ended: only zeros may follow, at least its two end blocks
 * (else the input was cut short), and every member must have come. */
static int at_end(artsig_reader *r)
{
    const void *buf;
    ssize_t n;
    while ((n = next_input(r, &buf)) > 0)
        ;
    int rc = n < 0 ? r->pending : ts_check_tail(&r->outer);
    if (rc != ARTSIG_OK)
        return rc;
    char want[32];
    bool complete = r->stage >= K_HEADER && (r->stage != K_HEADER || !r->augment_comp) &&
                    r->next_payload == r->payloads;
    if (ts_end_blocks_missing(&r->outer))
        return asig_fail(ARTSIG_ETRUNCATED, "input ends after %s%s%s",
                         r->last[0] ? r->last : "nothing", complete ? "" : ", before ",
                         complete ? "" : expected(r, want, sizeof want));
    if (!complete)
        return asig_fail(ARTSIG_EFORMAT, "archive ends after %s, where %s was expected",
                         r->last[0] ? r->last : "the start", expected(r, want, sizeof want));
    return ARTSIG_OK;
}

static int parse(artsig_reader *r)
{
    r->outer = (struct tarstream){.r = r};
    int rc = ts_open(&r->outer, r, outer_read);
    while (rc == ARTSIG_OK) {
        struct archive_entry *e;
        int ar = ts_next_header(&r->outer, &e);
        if (ar == ARCHIVE_EOF)
            return at_end(r);
        rc = ar == ARCHIVE_OK ? on_member(r, e)
                              : tar_fail(&r->outer, "after", r->last[0] ? r->last : "the start");
    }
    return rc;
}

/* One whole read; leaves nothing of the archives behind. */
static int run(artsig_reader *r)
{
    int rc = parse(r);
    ts_close(&r->outer);
    free_header_files(r);
    return rc == STOP ? ARTSIG_OK : rc;
}

/* ---- Public API ---- */

int artsig_reader_new(artsig_reader **out, const artsig_keyring *keyring,
                      const artsig_reader_callbacks *callbacks, void *userdata)
{
    if (!out)
        return asig_fail(ARTSIG_EINVAL, "artsig_reader_new: out is NULL");
    *out = NULL;
    artsig_reader *r = calloc(1, sizeof *r);
    if (!r)
        return asig_fail(ARTSIG_ENOMEM, "new reader");
    r->keyring = keyring;
    if (callbacks)
        r->cb = *callbacks;
    r->userdata = userdata;
    r->fd = -1;
    int rc = artsig_sha256_new(&r->sha);
    if (rc == ARTSIG_OK)
        rc = asig_info_new(&r->info);
    if (rc != ARTSIG_OK) {
        artsig_reader_free(r);
        return rc;
    }
    *out = r;
    return ARTSIG_OK;
}

void artsig_reader_free(artsig_reader *r)
{
    if (!r)
        return;
    struct channel *c = r->push;
    if (c) {
        if (r->state == RUN_PUSH) {
            pthread_mutex_lock(&c->lock);
            c->abort = true;
            pthread_cond_broadcast(&c->cond);
            pthread_mutex_unlock(&c->lock);
            pthread_join(c->thread, NULL);
        }
        pthread_cond_destroy(&c->cond);
        pthread_mutex_destroy(&c->lock);
        free(c);
    }
    free(r->block);
    free(r->hfiles);
    free(r->manifest_raw);
    artsig_manifest_free(r->manifest);
    artsig_manifest_free(r->augment);
    artsig_sha256_free(r->sha);
    asig_info_free(r->info);
    free(r);
}

int artsig_reader_set_header_only(artsig_reader *r, int header_only)
{
    if (!r)
        return asig_fail(ARTSIG_EINVAL, "artsig_reader_set_header_only: reader is NULL");
    if (r->state != RUN_NEW)
        return asig_fail(ARTSIG_ESTATE, "the reader has already started");
    r->header_only = header_only != 0;
    return ARTSIG_OK;
}

const artsig_info *artsig_reader_info(const artsig_reader *r)
{
    return r && r->info_ready ? r->info : NULL;
}

/* Readers are single-use: the first run claims it. */
static int claim(artsig_reader *r, const char *fn)
{
    if (r->state != RUN_NEW)
        return asig_fail(ARTSIG_ESTATE, "%s: a reader reads one artifact once", fn);
    r->state = RUN_DONE;
    return ARTSIG_OK;
}

static int run_blocks(artsig_reader *r)
{
    r->block = malloc(INPUT_BLOCK);
    return r->block ? run(r) : asig_fail(ARTSIG_ENOMEM, "input buffer");
}

int artsig_reader_run_fd(artsig_reader *r, int fd)
{
    if (!r || fd < 0)
        return asig_fail(ARTSIG_EINVAL, "artsig_reader_run_fd: no reader or bad descriptor");
    int rc = claim(r, "artsig_reader_run_fd");
    if (rc != ARTSIG_OK)
        return rc;
    /* Advice only: pipes and sockets refuse it, which is fine. */
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    r->fd = fd;
    r->source = fd_source;
    return run_blocks(r);
}

int artsig_reader_run_pull(artsig_reader *r, artsig_read_cb read, void *userdata)
{
    if (!r || !read)
        return asig_fail(ARTSIG_EINVAL, "artsig_reader_run_pull: NULL argument");
    int rc = claim(r, "artsig_reader_run_pull");
    if (rc != ARTSIG_OK)
        return rc;
    r->pull = read;
    r->pull_data = userdata;
    r->source = pull_source;
    return run_blocks(r);
}

static void *push_worker(void *p)
{
    artsig_reader *r = p;
    struct channel *c = r->push;
    int rc = run(r);
    pthread_mutex_lock(&c->lock);
    c->verdict = rc;
    if (rc != ARTSIG_OK)
        snprintf(c->detail, sizeof c->detail, "%s", artsig_last_error());
    c->done = true;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static int start_push(artsig_reader *r)
{
    struct channel *c = calloc(1, sizeof *c);
    if (!c)
        return asig_fail(ARTSIG_ENOMEM, "push channel");
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return asig_fail(ARTSIG_ENOMEM, "push channel lock");
    }
    if (pthread_cond_init(&c->cond, NULL) != 0) {
        pthread_mutex_destroy(&c->lock);
        free(c);
        return asig_fail(ARTSIG_ENOMEM, "push channel condition");
    }
    r->push = c;
    r->source = push_source;
    int err = pthread_create(&c->thread, NULL, push_worker, r);
    if (err != 0) {
        r->state = RUN_DONE;
        return asig_fail(ARTSIG_ENOMEM, "starting the reader thread: %s", strerror(err));
    }
    r->state = RUN_PUSH;
    return ARTSIG_OK;
}

/* push() and finish() wait for the worker, so a callback must not call them. */
static int check_push_state(artsig_reader *r, const char *fn)
{
    if (r->state == RUN_DONE)
        return asig_fail(ARTSIG_ESTATE, "%s: the reader has finished", fn);
    if (r->state == RUN_PUSH && pthread_equal(pthread_self(), r->push->thread))
        return asig_fail(ARTSIG_ESTATE, "%s: called from a reader callback", fn);
    return r->state == RUN_NEW ? start_push(r) : ARTSIG_OK;
}

/* The worker's result as seen from the caller's thread. */
static int verdict(const struct channel *c)
{
    return c->verdict == ARTSIG_OK ? ARTSIG_OK : asig_fail_saved(c->verdict, c->detail);
}

int artsig_reader_push(artsig_reader *r, const void *data, size_t len)
{
    if (!r || (!data && len > 0))
        return asig_fail(ARTSIG_EINVAL, "artsig_reader_push: NULL argument");
    int rc = check_push_state(r, "artsig_reader_push");
    if (rc != ARTSIG_OK)
        return rc;
    struct channel *c = r->push;
    pthread_mutex_lock(&c->lock);
    while (!c->wants && !c->done)
        pthread_cond_wait(&c->cond, &c->lock);
    /* A zero-length block would read as the end of input. */
    if (!c->done && len > 0) {
        c->data = data;
        c->len = len;
        pthread_cond_broadcast(&c->cond);
        /* The worker clears `wants` when it takes the block and sets it
         * again once libarchive asks for the next one. */
        while (!c->done && (c->data || !c->wants))
            pthread_cond_wait(&c->cond, &c->lock);
        c->data = NULL;
    }
    bool done = c->done;
    pthread_mutex_unlock(&c->lock);
    return done ? verdict(c) : ARTSIG_OK;
}

int artsig_reader_finish(artsig_reader *r)
{
    if (!r)
        return asig_fail(ARTSIG_EINVAL, "artsig_reader_finish: reader is NULL");
    int rc = check_push_state(r, "artsig_reader_finish");
    if (rc != ARTSIG_OK)
        return rc;
    struct channel *c = r->push;
    pthread_mutex_lock(&c->lock);
    c->eof = true;
    pthread_cond_broadcast(&c->cond);
    while (!c->done)
        pthread_cond_wait(&c->cond, &c->lock);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    r->state = RUN_DONE;
    return verdict(c);
}
