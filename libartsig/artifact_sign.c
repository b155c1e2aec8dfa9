/* Signing an existing artifact without rewriting it. The public reader checks
 * the artifact first; then the input is copied byte for byte with a
 * manifest.sig entry placed after manifest (instead of the old one when
 * replacing). Nothing is decompressed or recompressed, so signing costs a
 * copy, often done by the kernel, in constant memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "tar_check.h"

#define PADDED(n) (((n) + ASIG_TAR_BLOCK - 1) / ASIG_TAR_BLOCK * ASIG_TAR_BLOCK)
/* The longest manifest.sig entry, plus the end-of-archive blocks libarchive
 * writes when the in-memory archive holding it is closed. */
#define SIG_ENTRY_MAX (ASIG_TAR_BLOCK + PADDED(ARTSIG_SIGNATURE_B64_MAX))
#define SIG_ARCHIVE_MAX (SIG_ENTRY_MAX + 2 * ASIG_TAR_BLOCK)
/* Read/write fallback when the kernel cannot copy between the descriptors. */
#define COPY_BUFFER (128 * 1024)
/* One copy_file_range call at most: the output's writeback is started
 * between two (asig_writeback_note). */
#define COPY_KERNEL_MAX ((size_t)ASIG_WRITEBACK_STEP)
/* A signature's length in bytes tells the key type it can belong to. */
#define SIG_LEN_64 ASIG_ECDSA_RAW_LEN /* ECDSA P-256 r||s, Ed25519 */
#define SIG_LEN_RSA_MIN (ARTSIG_RSA_MIN_BITS / 8)

#define KNOWN_FLAGS (ARTSIG_SIGN_REPLACE | ARTSIG_SIGN_CHECK_PAYLOADS)

/* Produces the raw signature of `manifest` for the copy. */
typedef int (*make_signature_fn)(uint8_t sig[ARTSIG_SIGNATURE_MAX], size_t *sig_len,
                                 const uint8_t *manifest, size_t len, void *ctx);

/* ---- checking --------------------------------------------------------- */

static int stop_if_signed(const artsig_info *info, void *userdata)
{
    (void)userdata;
    return artsig_info_signature(info) != ARTSIG_SIG_UNSIGNED;
}

/* Run the public reader over the artifact (payload digests only when asked).
 * With `refuse_signed`, a signed artifact stops the reader at its header,
 * before any payload is read. */
static int check_artifact(artsig_reader **out, int fd, bool payloads, bool refuse_signed)
{
    const artsig_reader_callbacks cb = {.header = refuse_signed ? stop_if_signed : NULL};
    artsig_reader *r;
    int rc = artsig_reader_new(&r, NULL, &cb, NULL);
    if (rc != ARTSIG_OK)
        return rc;
    rc = artsig_reader_set_header_only(r, !payloads);
    if (rc == ARTSIG_OK)
        rc = artsig_reader_run_fd(r, fd);
    if (rc == ARTSIG_ECANCELLED)
        rc = asig_fail(ARTSIG_ESTATE,
                       "the artifact is already signed; ask to replace the signature "
                       "(ARTSIG_SIGN_REPLACE) to sign it anew");
    if (rc != ARTSIG_OK) {
        artsig_reader_free(r);
        return rc;
    }
    *out = r;
    return ARTSIG_OK;
}

/* ---- where the copy splits the input ------------------------------------ */

struct split {
    int64_t head_end;   /* end of manifest's padded data: copied before the new entry */
    int64_t tail_start; /* the member after manifest and any old manifest.sig */
};

/* The manifest member must hold exactly the bytes that were checked and
 * signed: a file changed between the two reads would otherwise get a
 * signature over another manifest. */
static int same_manifest(struct archive *a, struct archive_entry *e, const uint8_t *manifest,
                         size_t len)
{
    if (archive_entry_size(e) != (la_int64_t)len)
        return 0;
    const void *buf;
    size_t size;
    la_int64_t offset;
    int ar;
    while ((ar = archive_read_data_block(a, &buf, &size, &offset)) == ARCHIVE_OK)
        if (offset < 0 || (uint64_t)offset + size > len ||
            memcmp(manifest + offset, buf, size) != 0)
            return 0;
    return ar == ARCHIVE_EOF;
}

/* The input of survey(), read with its tar headers checked as the reader
 * checks them: the file may have changed since, and a header checked once
 * must not be read another way now. File data is seeked over. */
struct survey_input {
    int fd;
    off_t end; /* where the file ends: no seek goes past it */
    uint8_t *buf;
    struct asig_tar_check check;
    int refused; /* the checker's status, with its detail */
};

static la_ssize_t survey_read(struct archive *a, void *p, const void **buf)
{
    struct survey_input *in = p;
    ssize_t n;
    do
        n = read(in->fd, in->buf, COPY_BUFFER);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        archive_set_error(a, errno, "%s", strerror(errno));
        return -1;
    }
    in->refused = asig_tar_check_feed(&in->check, in->buf, (size_t)n);
    if (in->refused != ARTSIG_OK) {
        archive_set_error(a, EINVAL, "a tar header was refused");
        return -1;
    }
    *buf = in->buf;
    return n;
}

/* libarchive reads what is not skipped here (0: nothing), and so finds a
 * member cut short. */
static la_int64_t survey_skip(struct archive *a, void *p, la_int64_t request)
{
    (void)a;
    struct survey_input *in = p;
    uint64_t n = asig_tar_check_skippable(&in->check);
    off_t at = lseek(in->fd, 0, SEEK_CUR);
    if ((uint64_t)request < n)
        n = (uint64_t)request;
    if (at < 0 || at > in->end)
        return 0;
    if ((uint64_t)(in->end - at) < n)
        n = (uint64_t)(in->end - at);
    if (n == 0 || lseek(in->fd, (off_t)n, SEEK_CUR) < 0)
        return 0;
    asig_tar_check_skip(&in->check, n);
    return (la_int64_t)n;
}

/* Walk the outer members with libarchive, which accounts for pax and GNU
 * extension headers (an entry's position is that of its first header). Data
 * is skipped, by seeking, so this costs a few reads whatever the size. Besides
 * the split, this finds an artifact cut short after its header, which a
 * header-only check does not reach. `size` is the input's length. */
static int survey(struct split *s, int fd, int64_t size, const uint8_t *manifest, size_t len)
{
    static const char *const order[] = {"version", "manifest"};
    struct survey_input in = {.fd = fd, .end = lseek(fd, 0, SEEK_CUR) + size,
                              .buf = malloc(COPY_BUFFER)};
    asig_tar_check_init(&in.check, NULL);
    struct archive *a = in.buf ? archive_read_new() : NULL;
    if (!a) {
        free(in.buf);
        return asig_fail(ARTSIG_ENOMEM, "reading the artifact's members");
    }
    int rc = ARTSIG_OK;
    if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
        archive_read_set_read_callback(a, survey_read) != ARCHIVE_OK ||
        archive_read_set_skip_callback(a, survey_skip) != ARCHIVE_OK ||
        archive_read_set_callback_data(a, &in) != ARCHIVE_OK || archive_read_open1(a) != ARCHIVE_OK)
        rc = in.refused ? in.refused
                        : asig_fail(ARTSIG_EIO, "reading the artifact again: %s",
                                    archive_error_string(a));
    int64_t head_end = -1, data_end = 0;
    *s = (struct split){-1, -1};
    char shown[ASIG_SHOWN_MAX + 4] = "";
    for (size_t i = 0; rc == ARTSIG_OK; i++) {
        struct archive_entry *e;
        int ar = archive_read_next_header(a, &e);
        if (ar == ARCHIVE_EOF)
            break;
        if (ar != ARCHIVE_OK) {
            rc = in.refused ? in.refused
                            : asig_fail(ARTSIG_EFORMAT, "after %s: %s", i ? shown : "the start",
                                        archive_error_string(a));
            break;
        }
        const char *name = archive_entry_pathname(e);
        if (!name)
            name = "";
        asig_printable(shown, name, strlen(name));
        int64_t pos = archive_read_header_position(a);
        if (i < 2) {
            if (strcmp(name, order[i]) != 0 || (i == 1 && !same_manifest(a, e, manifest, len)))
                rc = asig_fail(ARTSIG_EFORMAT, "the artifact changed after it was checked");
        } else if (i == 2 && strcmp(name, "manifest.sig") == 0) {
            head_end = pos;
        } else if (s->tail_start < 0) {
            *s = (struct split){head_end < 0 ? pos : head_end, pos};
        }
        data_end = archive_filter_bytes(a, 0) + archive_entry_size(e);
    }
    archive_read_free(a);
    asig_tar_check_free(&in.check);
    free(in.buf);
    if (rc == ARTSIG_OK && s->tail_start < 0)
        rc = asig_fail(ARTSIG_EFORMAT, "the artifact changed after it was checked");
    /* libarchive notices a member cut short, and takes a missing
     * end-of-archive marker for a writer that left it out; the reader and
     * every Mender writer insist on it. */
    if (rc == ARTSIG_OK && PADDED(data_end) + 2 * ASIG_TAR_BLOCK > size)
        rc = asig_fail(ARTSIG_ETRUNCATED, "the artifact ends after %s without the "
                                          "end-of-archive blocks",
                       shown);
    return rc;
}

/* ---- the new member ----------------------------------------------------- */

/* A ustar manifest.sig entry (header, text, zero padding) as mender-artifact
 * writes it: mode 0600, owner 0:0 without names, mtime 0. */
static int signature_entry(uint8_t out[SIG_ARCHIVE_MAX], size_t *len, const char *text)
{
    size_t text_len = strlen(text);
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    size_t used = 0;
    int ok = a && e && archive_write_set_format_ustar(a) == ARCHIVE_OK &&
             archive_write_add_filter_none(a) == ARCHIVE_OK &&
             archive_write_open_memory(a, out, SIG_ARCHIVE_MAX, &used) == ARCHIVE_OK;
    if (ok) {
        archive_entry_set_pathname(e, "manifest.sig");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0600);
        archive_entry_set_size(e, (la_int64_t)text_len);
        archive_entry_set_mtime(e, 0, 0);
        ok = archive_write_header(a, e) == ARCHIVE_OK &&
             archive_write_data(a, text, text_len) == (la_ssize_t)text_len &&
             archive_write_close(a) == ARCHIVE_OK;
    }
    int rc = ok ? ARTSIG_OK
                : asig_fail(ARTSIG_ENOMEM, "making the manifest.sig entry: %s",
                            a ? archive_error_string(a) : "no archive");
    archive_entry_free(e);
    archive_write_free(a);
    /* What follows the entry is the end-of-archive marker: not ours to copy. */
    *len = ASIG_TAR_BLOCK + PADDED(text_len);
    if (rc == ARTSIG_OK && used < *len)
        rc = asig_fail(ARTSIG_EIO, "the manifest.sig entry came out short");
    return rc;
}

/* ---- copying ------------------------------------------------------------ */

struct copier {
    int out, in;
    bool kernel; /* copy_file_range still worth trying */
    uint8_t *buf;
    struct asig_writeback wb;
};

static int write_all(int fd, const uint8_t *p, size_t len)
{
    int err = asig_write_all(fd, p, len);
    return err ? asig_fail(ARTSIG_EIO, "writing the signed artifact: %s", strerror(err))
               : ARTSIG_OK;
}

/* Copy input bytes [from, to) to the output's current position. The kernel
 * copies regular files, often without moving the data at all; on any refusal
 * (pipes, O_APPEND, file systems that cannot) plain reads and writes take
 * over and report real errors. */
static int copy_range(struct copier *c, off_t from, off_t to)
{
    off_t pos = from;
    while (pos < to) {
        size_t want = (size_t)(to - pos);
        ssize_t n;
        if (c->kernel) {
            n = copy_file_range(c->in, &pos, c->out, NULL,
                                want < COPY_KERNEL_MAX ? want : COPY_KERNEL_MAX, 0);
            if (n < 0 && errno == EINTR)
                continue;
            /* 0 before `to` may be a file system that copies nothing: the
             * plain path tells that from a file that shrank. */
            if (n <= 0)
                c->kernel = false;
            else
                asig_writeback_note(&c->wb, (uint64_t)n);
            continue;
        }
        n = pread(c->in, c->buf, want < COPY_BUFFER ? want : COPY_BUFFER, pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return asig_fail(ARTSIG_EIO, "reading the artifact: %s", strerror(errno));
        if (n == 0)
            return asig_fail(ARTSIG_ETRUNCATED, "the artifact shrank after it was checked");
        int rc = write_all(c->out, c->buf, (size_t)n);
        if (rc != ARTSIG_OK)
            return rc;
        asig_writeback_note(&c->wb, (uint64_t)n);
        pos += n;
    }
    return ARTSIG_OK;
}

/* Both descriptors valid, the input seekable (it is read twice) and not the
 * output. On success *start is where the artifact begins in the input. */
static int check_descriptors(off_t *start, int out_fd, int in_fd, unsigned flags)
{
    if (out_fd < 0 || in_fd < 0)
        return asig_fail(ARTSIG_EINVAL, "signing an artifact: bad file descriptor");
    if (flags & ~KNOWN_FLAGS)
        return asig_fail(ARTSIG_EINVAL, "signing an artifact: unknown flags 0x%x",
                         flags & ~KNOWN_FLAGS);
    struct stat in_st, out_st;
    if (fstat(in_fd, &in_st) != 0 || fstat(out_fd, &out_st) != 0)
        return asig_fail(ARTSIG_EINVAL, "signing an artifact: %s", strerror(errno));
    if (in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino)
        return asig_fail(ARTSIG_EINVAL, "the output is the input file; write to another "
                                        "file and rename it into place");
    *start = lseek(in_fd, 0, SEEK_CUR);
    if (*start < 0)
        return asig_fail(ARTSIG_EINVAL, "the artifact must be a seekable file (it is read "
                                        "twice: checked, then copied): %s",
                         strerror(errno));
    return ARTSIG_OK;
}

/* The one path of signing and attaching: check, make the signature, copy. */
static int sign_copy(int out_fd, int in_fd, unsigned flags, make_signature_fn make,
                     void *ctx)
{
    off_t start = 0;
    int rc = check_descriptors(&start, out_fd, in_fd, flags);
    if (rc != ARTSIG_OK)
        return rc;
    artsig_reader *reader;
    rc = check_artifact(&reader, in_fd, flags & ARTSIG_SIGN_CHECK_PAYLOADS,
                        !(flags & ARTSIG_SIGN_REPLACE));
    if (rc != ARTSIG_OK)
        return rc;
    const uint8_t *manifest;
    size_t manifest_len;
    struct split split = {-1, -1};
    off_t end = -1;
    rc = artsig_info_manifest(&manifest, &manifest_len, artsig_reader_info(reader));
    if (rc == ARTSIG_OK && ((end = lseek(in_fd, 0, SEEK_END)) < 0 ||
                            lseek(in_fd, start, SEEK_SET) != start))
        rc = asig_fail(ARTSIG_EIO, "rewinding the artifact: %s", strerror(errno));
    if (rc == ARTSIG_OK)
        rc = survey(&split, in_fd, end - start, manifest, manifest_len);
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t sig_len;
    char text[ARTSIG_SIGNATURE_B64_MAX];
    uint8_t entry[SIG_ARCHIVE_MAX];
    size_t entry_len;
    if (rc == ARTSIG_OK)
        rc = make(sig, &sig_len, manifest, manifest_len, ctx);
    artsig_reader_free(reader);
    if (rc == ARTSIG_OK)
        rc = artsig_signature_encode(text, sig, sig_len);
    if (rc == ARTSIG_OK)
        rc = signature_entry(entry, &entry_len, text);
    if (rc != ARTSIG_OK)
        return rc;

    struct copier c = {.out = out_fd, .in = in_fd, .kernel = true, .buf = malloc(COPY_BUFFER),
                       .wb = {.fd = out_fd}};
    if (!c.buf)
        return asig_fail(ARTSIG_ENOMEM, "copy buffer");
    rc = copy_range(&c, start, start + split.head_end);
    if (rc == ARTSIG_OK)
        rc = write_all(out_fd, entry, entry_len);
    if (rc == ARTSIG_OK)
        rc = copy_range(&c, start + split.tail_start, end);
    free(c.buf);
    return rc;
}

/* ---- signing ------------------------------------------------------------ */

static int sign_with(uint8_t sig[ARTSIG_SIGNATURE_MAX], size_t *sig_len,
                     const uint8_t *manifest, size_t len, void *signer)
{
    return artsig_signer_sign(sig, sig_len, signer, manifest, len);
}

int artsig_artifact_sign(int out_fd, int in_fd, artsig_signer *signer, unsigned flags)
{
    if (!signer)
        return asig_fail(ARTSIG_EINVAL, "artsig_artifact_sign: signer is NULL");
    return sign_copy(out_fd, in_fd, flags, sign_with, signer);
}

/* ---- attaching a signature made elsewhere ------------------------------- */

struct given {
    const uint8_t *sig;
    size_t len;
    const artsig_keyring *check;
};

/* The signature in the form Mender devices read. 64 bytes (ECDSA r||s or
 * Ed25519) and an RSA modulus' length (2048 to 8192 bits) are taken as they
 * are. Anything else can only be ECDSA in DER, which Mender 3.x devices do
 * not read: it is stored as r||s. */
static int mender_form(uint8_t out[ARTSIG_SIGNATURE_MAX], size_t *out_len, const uint8_t *sig,
                       size_t len)
{
    if (len == SIG_LEN_64 || (len >= SIG_LEN_RSA_MIN && len <= ARTSIG_SIGNATURE_MAX)) {
        memcpy(out, sig, len);
        *out_len = len;
        return ARTSIG_OK;
    }
    if (asig_ecdsa_der_to_raw(out, sig, len) == ARTSIG_OK) {
        *out_len = ASIG_ECDSA_RAW_LEN;
        return ARTSIG_OK;
    }
    return asig_fail(ARTSIG_ESIGFORMAT,
                     "a signature of %zu bytes is none a Mender key makes (%d: ECDSA r||s or "
                     "Ed25519; %d to %d: RSA; ECDSA in DER)",
                     len, SIG_LEN_64, SIG_LEN_RSA_MIN, ARTSIG_SIGNATURE_MAX);
}

static int take_given(uint8_t sig[ARTSIG_SIGNATURE_MAX], size_t *sig_len,
                      const uint8_t *manifest, size_t len, void *ctx)
{
    const struct given *g = ctx;
    if (g->check) {
        int rc = artsig_keyring_verify(NULL, g->check, manifest, len, g->sig, g->len);
        if (rc != ARTSIG_OK)
            return rc;
    }
    memcpy(sig, g->sig, g->len);
    *sig_len = g->len;
    return ARTSIG_OK;
}

int artsig_artifact_attach_signature(int out_fd, int in_fd, const uint8_t *sig,
                                     size_t sig_len, const artsig_keyring *check,
                                     unsigned flags)
{
    if (!sig && sig_len)
        return asig_fail(ARTSIG_EINVAL, "artsig_artifact_attach_signature: sig is NULL");
    if (sig_len == 0)
        return asig_fail(ARTSIG_ESIGFORMAT, "empty signature");
    /* Refused before the artifact is read: the shape needs no manifest. */
    uint8_t raw[ARTSIG_SIGNATURE_MAX];
    struct given g = {raw, 0, check};
    int rc = mender_form(raw, &g.len, sig, sig_len);
    if (rc != ARTSIG_OK)
        return rc;
    return sign_copy(out_fd, in_fd, flags, take_given, &g);
}

/* ---- export ------------------------------------------------------------- */

int artsig_artifact_export_manifest(uint8_t **manifest, size_t *len, int in_fd)
{
    if (!manifest || !len || in_fd < 0)
        return asig_fail(ARTSIG_EINVAL, "artsig_artifact_export_manifest: bad argument");
    *manifest = NULL;
    *len = 0;
    artsig_reader *reader;
    int rc = check_artifact(&reader, in_fd, false, false);
    if (rc != ARTSIG_OK)
        return rc;
    const uint8_t *data;
    size_t n;
    rc = artsig_info_manifest(&data, &n, artsig_reader_info(reader));
    if (rc == ARTSIG_OK) {
        *manifest = malloc(n ? n : 1);
        if (*manifest) {
            memcpy(*manifest, data, n);
            *len = n;
        } else {
            rc = asig_fail(ARTSIG_ENOMEM, "manifest copy");
        }
    }
    artsig_reader_free(reader);
    return rc;
}
