/* Raw tar headers, checked before libarchive reads them; never installed.
 *
 * Readers of tar disagree on much of it: libarchive skips a GNU volume header
 * without its data and reads that data as entries, reads sparse maps and a
 * real size from any GNU header, numbers up to the first odd byte, a checksum
 * in base-256, and "ustar" with any sixth byte as the POSIX magic; Go's
 * archive/tar and Python's tarfile read those bytes otherwise. So every byte
 * a tar layer hands to libarchive passes a checker first, which follows the
 * layout itself (header, extension data, file data, padding) and lets through
 * only what all of them read alike: regular files (type '0'), each with at
 * most one pax ('x') or GNU long name ('L') extension before it, pax records
 * of a few well-formed keys, headers with the POSIX or GNU magic, a correct
 * checksum and numbers in one spelling only. It holds one extension's data at
 * a time, at most ASIG_TAR_EXT_MAX bytes; otherwise memory is constant.
 * libarchive still does all the reading; the checker only vetoes. */
#ifndef ARTSIG_TAR_CHECK_H
#define ARTSIG_TAR_CHECK_H

#include "internal.h"

#define ASIG_TAR_BLOCK 512
/* The most data one pax or long name extension may carry (Go's limit too). */
#define ASIG_TAR_EXT_MAX (1024 * 1024)

/* Where the stream is: in a header block, an extension's data or its padding,
 * a file's data and padding, or past the end-of-archive block. */
enum asig_tar_part {
    ASIG_TAR_HEADER,
    ASIG_TAR_EXT,
    ASIG_TAR_EXT_PAD,
    ASIG_TAR_DATA,
    ASIG_TAR_END
};

struct asig_tar_check {
    const char *layer; /* the member whose content this is; NULL: the artifact */
    int status;        /* the first refusal; every later call returns it */
    enum asig_tar_part part;
    uint64_t left;     /* bytes of the current part still to come */
    uint8_t block[ASIG_TAR_BLOCK];
    size_t have;       /* bytes of the header block, or of extension data, so far */
    /* The extension header read last, for the entry that comes next. */
    char ext_type;     /* 'x', 'L' or 0 */
    char ext_header[ASIG_SHOWN_MAX + 4]; /* its own name, for details */
    uint8_t *ext;      /* its data, NUL-terminated */
    size_t ext_len, ext_cap;
    const char *path;  /* a pax path or a long name, in `ext`; NULL if none */
    size_t path_len;
    bool has_size;     /* a pax size */
    uint64_t size;
};

/* A checker for a tar stream from its first byte; `layer` as above (kept by
 * reference, for details). */
void asig_tar_check_init(struct asig_tar_check *c, const char *layer);
/* The next `len` bytes of the stream, before libarchive reads them. EFORMAT,
 * EUNSAFE (inside a member: a link, directory, device or FIFO) or ELIMIT
 * with a detail naming the entry; ENOMEM. Past the end-of-archive block,
 * nothing is looked at: the caller checks those bytes are zeros. */
int asig_tar_check_feed(struct asig_tar_check *c, const uint8_t *p, size_t len);
/* How many of the next bytes are a file's data (or its padding), which a
 * reader seeking over them need not show the checker; then
 * asig_tar_check_skip() passes over `n` of them (at most that many). */
uint64_t asig_tar_check_skippable(const struct asig_tar_check *c);
void asig_tar_check_skip(struct asig_tar_check *c, uint64_t n);
/* Releases the extension buffer. */
void asig_tar_check_free(struct asig_tar_check *c);

#endif
