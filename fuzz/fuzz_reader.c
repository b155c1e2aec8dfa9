/* The whole artifact reader, as a device runs it: bytes in, verdict out,
 * with a keyring of the vectors' RSA 3072, P-256 and Ed25519 public keys.
 *
 * The input's length picks how it is fed, so that any input (a vector
 * artifact among them) is a valid one and each way gets its share, whole tar
 * files (multiples of 512 bytes) as well as cut ones:
 *   0 pull, in reads of varying size    3 push, header only
 *   1 push, in pieces of varying size   4 push, the consumer cancelling in
 *   2 pull without keys (so that          the first file's data
 *     unsigned artifacts reach the header)
 * A verdict of ARTSIG_OK is checked against what the callbacks saw. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* The vectors: ARTSIG_VECTORS, as the tests read it, else where meson found
 * them at build time. */
static const char *vectors_dir(void)
{
    const char *dir = getenv("ARTSIG_VECTORS");
    return dir && *dir ? dir : ARTSIG_VECTORS_DIR;
}

static const artsig_keyring *keyring(void)
{
    static artsig_keyring *ring;
    static const char *const names[] = {"rsa3072.pub", "ecp256.pub", "ed25519.pub"};
    if (ring)
        return ring;
    if (artsig_keyring_new(&ring) != ARTSIG_OK)
        abort();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/keys/%s", vectors_dir(), names[i]);
        if (artsig_keyring_add_file(ring, path) != ARTSIG_OK) {
            /* Without its keys the target would fuzz something else than it
             * claims to: stop rather than run blind. */
            fprintf(stderr, "fuzz-reader: %s: %s (set ARTSIG_VECTORS)\n", path,
                    artsig_last_error());
            exit(1);
        }
    }
    return ring;
}

/* Piece sizes from a tiny generator seeded by the input's length: varied, so
 * that tar blocks and compressed streams are split everywhere, yet the same
 * for the same input. */
struct feed {
    const uint8_t *data;
    size_t len, at;
    uint32_t state;
};

static size_t next_piece(struct feed *f)
{
    f->state ^= f->state << 13;
    f->state ^= f->state >> 17;
    f->state ^= f->state << 5;
    size_t n = 1 + f->state % 8192;
    return n < f->len - f->at ? n : f->len - f->at;
}

static ssize_t pull(void *buf, size_t size, void *userdata)
{
    struct feed *f = userdata;
    size_t n = next_piece(f);
    n = n < size ? n : size;
    memcpy(buf, f->data + f->at, n);
    f->at += n;
    return (ssize_t)n;
}

/* What the callbacks saw. */
struct seen {
    bool cancel;
    size_t headers, files_begun, files_ended;
    uint64_t bytes, sizes;
    volatile size_t sum;
};

static int on_header(const artsig_info *info, void *userdata)
{
    struct seen *seen = userdata;
    seen->headers++;
    fuzz_walk_info(info);
    return 0;
}

static int on_file_begin(size_t payload, const char *name, uint64_t size, void *userdata)
{
    struct seen *seen = userdata;
    seen->files_begun++;
    seen->sizes += size;
    seen->sum += payload + strlen(name);
    return 0;
}

static int on_file_data(const void *data, size_t len, void *userdata)
{
    struct seen *seen = userdata;
    const uint8_t *bytes = data;
    seen->bytes += len;
    for (size_t i = 0; i < len; i++)
        seen->sum += bytes[i];
    return seen->cancel;
}

static int on_file_end(size_t payload, const char *name, void *userdata)
{
    struct seen *seen = userdata;
    seen->files_ended++;
    seen->sum += payload + strlen(name);
    return 0;
}

/* An accepted artifact: one header, then every listed file whole. */
static bool consistent(const struct seen *seen, const artsig_info *info, bool header_only)
{
    size_t files = 0;
    for (size_t p = 0; info && p < artsig_info_payload_count(info); p++)
        files += artsig_info_file_count(info, p);
    if (!info || seen->headers != 1)
        return false;
    if (header_only)
        return seen->files_begun == 0;
    return seen->files_begun == files && seen->files_ended == files &&
           seen->bytes == seen->sizes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned mode = (unsigned)((size ^ size / 512) % 5);
    struct feed f = {.data = data, .len = size, .state = (uint32_t)size * 2654435761u | 1};
    struct seen seen = {.cancel = mode == 4};
    const artsig_reader_callbacks cb = {.header = on_header,
                                        .file_begin = on_file_begin,
                                        .file_data = on_file_data,
                                        .file_end = on_file_end};
    artsig_reader *reader;
    if (artsig_reader_new(&reader, mode == 2 ? NULL : keyring(), &cb, &seen) != ARTSIG_OK)
        abort();
    int st;
    if (mode == 0 || mode == 2) {
        st = artsig_reader_run_pull(reader, pull, &f);
    } else {
        if (mode == 3)
            artsig_reader_set_header_only(reader, 1);
        st = ARTSIG_OK;
        while (st == ARTSIG_OK && f.at < f.len) {
            size_t n = next_piece(&f);
            st = artsig_reader_push(reader, data + f.at, n);
            f.at += n;
        }
        int verdict = artsig_reader_finish(reader);
        st = st == ARTSIG_OK ? verdict : st;
    }
    /* The facts read so far stay readable whatever the verdict; an
     * accepted artifact's are complete, every file size filled in. */
    const artsig_info *info = artsig_reader_info(reader);
    if (st == ARTSIG_OK && !consistent(&seen, info, mode == 3))
        abort();
    if (info)
        fuzz_walk_info(info);
    artsig_reader_free(reader);
    return 0;
}
