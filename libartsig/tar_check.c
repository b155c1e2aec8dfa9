/* The raw tar checker (tar_check.h). Header fields by their POSIX offsets;
 * the GNU header keeps the same layout up to devminor. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tar_check.h"

enum field {
    F_NAME = 0,
    F_MODE = 100,
    F_UID = 108,
    F_GID = 116,
    F_SIZE = 124,
    F_MTIME = 136,
    F_CHKSUM = 148,
    F_TYPE = 156,
    F_LINKNAME = 157,
    F_MAGIC = 257,
    F_DEVMAJOR = 329,
    F_DEVMINOR = 337,
    F_PREFIX = 345, /* POSIX; GNU keeps times and sparse maps from here on */
    F_PAD = 500,
};

/* Magic and version, as Go tells the formats apart (libarchive looks at less). */
#define MAGIC_LEN 8
static const char posix_magic[MAGIC_LEN] = "ustar\0" "00";
static const char gnu_magic[MAGIC_LEN] = "ustar  ";

/* ---- Details ---- */

/* "[in layer: ]the tar header of [member ]NAME " and the rest. */
static int refuse(const struct asig_tar_check *c, int status, const char *name,
                  const char *fmt, ...) ASIG_PRINTF(4, 5);
static int refuse(const struct asig_tar_check *c, int status, const char *name,
                  const char *fmt, ...)
{
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    const char *of = *name ? name : "an entry without a name";
    if (c->layer)
        return asig_fail(status, "in %s: the tar header of %s %s", c->layer, of, why);
    return asig_fail(status, "the tar header of %s%s %s", *name ? "member " : "", of, why);
}

/* The name a reader gives the entry whose header is in c->block: a pax path
 * or long name before it, else prefix and name joined as every reader does
 * (the prefix was checked not to end in '/'). */
static const char *shown_name(const struct asig_tar_check *c, char shown[ASIG_SHOWN_MAX + 4])
{
    if (c->path)
        return asig_printable(shown, c->path, c->path_len);
    const char *h = (const char *)c->block;
    char joined[155 + 1 + 100 + 1];
    size_t plen = strnlen(h + F_PREFIX, 155), nlen = strnlen(h + F_NAME, 100);
    bool posix = memcmp(h + F_MAGIC, posix_magic, MAGIC_LEN) == 0 && plen > 0;
    int n = snprintf(joined, sizeof joined, "%.*s%s%.*s", posix ? (int)plen : 0, h + F_PREFIX,
                     posix ? "/" : "", (int)nlen, h + F_NAME);
    return asig_printable(shown, joined, (size_t)n);
}

/* ---- Header fields ---- */

/* A text field: the text, then zeros to the end of the field. */
static bool text_field(const uint8_t *f, size_t n)
{
    size_t len = strnlen((const char *)f, n);
    for (size_t i = len; i < n; i++)
        if (f[i])
            return false;
    return true;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Octal as Go and libarchive both read it alike: spaces, digits, then only
 * NULs and spaces (libarchive stops at the first odd byte, Go refuses it;
 * Go skips leading NULs, libarchive reads them as the end). */
static bool octal_field(uint64_t *v, const uint8_t *f, size_t n)
{
    size_t i = 0;
    while (i < n && f[i] == ' ')
        i++;
    *v = 0;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++)
        *v = *v * 8 + (uint64_t)(f[i] - '0');
    while (i < n && (f[i] == ' ' || f[i] == 0))
        i++;
    return i == n;
}

/* Octal, or base-256 for a number octal cannot hold: positive only, within
 * 63 bits. */
static bool number_field(uint64_t *v, const uint8_t *f, size_t n)
{
    if (!(f[0] & 0x80))
        return octal_field(v, f, n);
    if (f[0] != 0x80)
        return false;
    *v = 0;
    for (size_t i = 1; i < n; i++) {
        if (*v >> 55)
            return false;
        *v = *v << 8 | f[i];
    }
    return true;
}

/* The checksum: octal only (libarchive would also take base-256, Go not),
 * of the header's bytes unsigned, as every writer makes it. */
static bool checksum_ok(const uint8_t *h)
{
    uint64_t want, sum = 8 * ' ';
    for (size_t i = 0; i < ASIG_TAR_BLOCK; i++)
        if (i < F_CHKSUM || i >= F_CHKSUM + 8)
            sum += h[i];
    return octal_field(&want, h + F_CHKSUM, 8) && want == sum;
}

/* What a type other than a regular file is, in a detail; `unsafe` when it
 * could point outside the payload (the reader's EUNSAFE kinds). */
static const char *kind_of(char type, bool *unsafe)
{
    static const struct {
        char type;
        const char *what;
    } kinds[] = {
        {'1', "a hard link"},
        {'2', "a symbolic link"},
        {'3', "a device or special file"},
        {'4', "a device or special file"},
        {'5', "a directory"},
        {'6', "a device or special file"},
        {'\0', "an old-style regular file"},
        {'7', "a contiguous file"},
        {'g', "a pax global header"},
        {'K', "a GNU long link name"},
        {'S', "a GNU sparse file"},
        {'V', "a GNU volume header"},
        {'M', "a GNU multi-volume part"},
        {'D', "a GNU directory dump"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].type == type) {
            *unsafe = type >= '1' && type <= '6';
            return kinds[i].what;
        }
    *unsafe = false;
    return "an entry of an unknown type";
}

/* An entry that is not a regular file; `how` says how its header shows it. */
static int refuse_kind(const struct asig_tar_check *c, const char *name, const char *what,
                       bool unsafe, const char *how)
{
    if (c->layer)
        return asig_fail(unsafe ? ARTSIG_EUNSAFE : ARTSIG_EFORMAT,
                         "%s: %s is %s (%s); only regular files are allowed", c->layer, name,
                         what, how);
    return asig_fail(ARTSIG_EFORMAT, "member %s is not a regular file: it is %s (%s)", name,
                     what, how);
}

static int refuse_type(const struct asig_tar_check *c, const char *name, char type)
{
    bool unsafe;
    const char *what = kind_of(type, &unsafe);
    char how[16];
    if (type > 0x20 && type < 0x7f)
        snprintf(how, sizeof how, "tar type '%c'", type);
    else
        snprintf(how, sizeof how, "tar type 0x%02x", (unsigned char)type);
    return refuse_kind(c, name, what, unsafe, how);
}

/* Fields every header must have right, extension headers too. */
static int check_common(struct asig_tar_check *c, const char *name)
{
    const uint8_t *h = c->block;
    bool posix = memcmp(h + F_MAGIC, posix_magic, MAGIC_LEN) == 0;
    if (!posix && memcmp(h + F_MAGIC, gnu_magic, MAGIC_LEN) != 0)
        return refuse(c, ARTSIG_EFORMAT, name, "has neither the POSIX nor the GNU magic");
    if (!checksum_ok(h))
        return refuse(c, ARTSIG_EFORMAT, name, "has a bad checksum");
    static const struct {
        enum field at;
        size_t len;
        const char *what;
    } numbers[] = {{F_MODE, 8, "mode"},         {F_UID, 8, "uid"},
                   {F_GID, 8, "gid"},           {F_SIZE, 12, "size"},
                   {F_MTIME, 12, "mtime"},      {F_DEVMAJOR, 8, "devmajor"},
                   {F_DEVMINOR, 8, "devminor"}};
    uint64_t v;
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        if (!number_field(&v, h + numbers[i].at, numbers[i].len))
            return refuse(c, ARTSIG_EFORMAT, name, "has a malformed %s field", numbers[i].what);
    if (!text_field(h + F_NAME, 100) || !text_field(h + F_LINKNAME, 100) ||
        (posix && !text_field(h + F_PREFIX, F_PAD - F_PREFIX)))
        return refuse(c, ARTSIG_EFORMAT, name, "has bytes after the end of a name");
    /* Go reads a POSIX header with "tar" here as star's, with a shorter
     * prefix; libarchive reads GNU sparse maps from any GNU header. */
    size_t rest = posix ? F_PAD : F_PREFIX;
    if (!all_zero(h + rest, ASIG_TAR_BLOCK - rest))
        return refuse(c, ARTSIG_EFORMAT, name, "has non-zero bytes in its %s fields",
                      posix ? "padding" : "GNU-only");
    size_t plen = strnlen((const char *)h + F_PREFIX, F_PAD - F_PREFIX);
    if (posix && plen > 0 && h[F_PREFIX + plen - 1] == '/')
        return refuse(c, ARTSIG_EFORMAT, name, "has a name prefix ending in '/'");
    return ARTSIG_OK;
}

/* ---- Extensions ---- */

enum pax_value { PAX_PATH, PAX_SIZE, PAX_DECIMAL, PAX_TIME, PAX_TEXT };

/* The keys written by mender-artifact (Go), libarchive, GNU tar and Python
 * for regular files, which every reader takes alike. Others (linkpath,
 * GNU.sparse.*, SCHILY.realsize, hdrcharset...) some readers act on and
 * others ignore. */
static const struct {
    const char *key;
    enum pax_value value;
} pax_keys[] = {
    {"path", PAX_PATH},     {"size", PAX_SIZE},   {"uid", PAX_DECIMAL},
    {"gid", PAX_DECIMAL},   {"mtime", PAX_TIME},  {"atime", PAX_TIME},
    {"ctime", PAX_TIME},    {"uname", PAX_TEXT},  {"gname", PAX_TEXT},
    {"comment", PAX_TEXT},
};
#define NPAX_KEYS (sizeof pax_keys / sizeof pax_keys[0])

static size_t digits(const uint8_t *p, size_t len)
{
    size_t n = 0;
    while (n < len && p[n] >= '0' && p[n] <= '9')
        n++;
    return n;
}

/* Decimal without sign (a time may have one, and a fraction): what Go's
 * strconv and libarchive's own parser read alike, within 63 bits. */
static bool pax_value_ok(enum pax_value kind, const uint8_t *v, size_t len)
{
    if (kind == PAX_PATH || kind == PAX_TEXT)
        return kind == PAX_TEXT || len > 0;
    size_t at = kind == PAX_TIME && len > 0 && v[0] == '-';
    size_t n = digits(v + at, len - at);
    if (n == 0 || n > 18)
        return false;
    at += n;
    if (kind == PAX_TIME && at < len && v[at] == '.') {
        size_t frac = digits(v + at + 1, len - at - 1);
        if (frac == 0)
            return false;
        at += 1 + frac;
    }
    return at == len;
}

static int take_pax_record(struct asig_tar_check *c, const uint8_t *key, size_t key_len,
                           const uint8_t *v, size_t len, unsigned *seen)
{
    char shown[ASIG_SHOWN_MAX + 4];
    size_t k = 0;
    while (k < NPAX_KEYS &&
           (strlen(pax_keys[k].key) != key_len || memcmp(pax_keys[k].key, key, key_len) != 0))
        k++;
    if (k == NPAX_KEYS)
        return refuse(c, ARTSIG_EFORMAT, c->ext_header, "has the pax key \"%s\", which tar "
                                                        "readers do not all read alike",
                      asig_printable(shown, (const char *)key, key_len));
    if (*seen & 1u << k)
        return refuse(c, ARTSIG_EFORMAT, c->ext_header, "has the pax key %s twice",
                      pax_keys[k].key);
    *seen |= 1u << k;
    if (memchr(v, 0, len))
        return refuse(c, ARTSIG_EFORMAT, c->ext_header, "has a NUL byte in its pax %s",
                      pax_keys[k].key);
    if (!pax_value_ok(pax_keys[k].value, v, len))
        return refuse(c, ARTSIG_EFORMAT, c->ext_header, "has a malformed pax %s \"%s\"",
                      pax_keys[k].key, asig_printable(shown, (const char *)v, len));
    if (pax_keys[k].value == PAX_PATH) {
        c->path = (const char *)v;
        c->path_len = len;
    } else if (pax_keys[k].value == PAX_SIZE) {
        c->has_size = true;
        c->size = strtoull((const char *)v, NULL, 10);
    }
    return ARTSIG_OK;
}

/* Records "LEN key=value\n", LEN counting the whole record in decimal. */
static int parse_pax(struct asig_tar_check *c)
{
    const uint8_t *p = c->ext, *end = c->ext + c->ext_len;
    unsigned seen = 0;
    while (p < end) {
        size_t n = digits(p, (size_t)(end - p)), len = 0;
        for (size_t i = 0; i < n && i < 8; i++)
            len = len * 10 + (size_t)(p[i] - '0');
        const uint8_t *key = p + n + 1, *rec_end = p + len;
        const uint8_t *eq = n > 0 && n < 8 && p[0] != '0' && len <= (size_t)(end - p) &&
                                    key < rec_end && p[n] == ' ' && rec_end[-1] == '\n'
                                ? memchr(key, '=', (size_t)(rec_end - 1 - key))
                                : NULL;
        if (!eq || eq == key)
            return refuse(c, ARTSIG_EFORMAT, c->ext_header, "has a malformed pax record at "
                                                            "byte %zu",
                          (size_t)(p - c->ext));
        int rc = take_pax_record(c, key, (size_t)(eq - key), eq + 1,
                                 (size_t)(rec_end - 1 - (eq + 1)), &seen);
        if (rc != ARTSIG_OK)
            return rc;
        p = rec_end;
    }
    return ARTSIG_OK;
}

/* A GNU long name: the name and one NUL, as GNU tar and Go write it. */
static int parse_long_name(struct asig_tar_check *c)
{
    size_t len = strnlen((const char *)c->ext, c->ext_len);
    if (len == 0 || len + 1 != c->ext_len)
        return refuse(c, ARTSIG_EFORMAT, c->ext_header, "has a long name that is not one "
                                                        "NUL-terminated name");
    c->path = (const char *)c->ext;
    c->path_len = len;
    return ARTSIG_OK;
}

static int begin_extension(struct asig_tar_check *c, const char *name, char type,
                           uint64_t size)
{
    if (c->ext_type)
        return refuse(c, ARTSIG_EFORMAT, name, "follows another extension header");
    bool posix = memcmp(c->block + F_MAGIC, posix_magic, MAGIC_LEN) == 0;
    if (posix != (type == 'x'))
        return refuse(c, ARTSIG_EFORMAT, name, "has type '%c' but the %s magic", type,
                      posix ? "POSIX" : "GNU");
    if (size > ASIG_TAR_EXT_MAX)
        return refuse(c, ARTSIG_ELIMIT, name, "announces %llu bytes of extension data, more "
                                              "than %d",
                      (unsigned long long)size, ASIG_TAR_EXT_MAX);
    if (size + 1 > c->ext_cap) {
        uint8_t *ext = realloc(c->ext, (size_t)size + 1);
        if (!ext)
            return asig_fail(ARTSIG_ENOMEM, "tar extension header");
        c->ext = ext;
        c->ext_cap = (size_t)size + 1;
    }
    c->ext_type = type;
    snprintf(c->ext_header, sizeof c->ext_header, "%s", name);
    c->ext_len = (size_t)size;
    c->ext[size] = 0;
    c->have = 0;
    c->part = ASIG_TAR_EXT;
    return ARTSIG_OK;
}

/* The extension's data is complete; zero padding follows. */
static int end_extension(struct asig_tar_check *c)
{
    int rc = c->ext_type == 'x' ? parse_pax(c) : parse_long_name(c);
    c->have = 0;
    c->left = (ASIG_TAR_BLOCK - c->ext_len % ASIG_TAR_BLOCK) % ASIG_TAR_BLOCK;
    c->part = c->left ? ASIG_TAR_EXT_PAD : ASIG_TAR_HEADER;
    return rc;
}

static void clear_extension(struct asig_tar_check *c)
{
    c->ext_type = 0;
    c->path = NULL;
    c->has_size = false;
}

/* ---- Headers ---- */

static int on_header(struct asig_tar_check *c)
{
    const uint8_t *h = c->block;
    char name[ASIG_SHOWN_MAX + 4];
    if (all_zero(h, ASIG_TAR_BLOCK)) {
        if (c->ext_type)
            return refuse(c, ARTSIG_EFORMAT, c->ext_header, "is followed by the end of the "
                                                            "archive, not by a file");
        c->part = ASIG_TAR_END;
        return ARTSIG_OK;
    }
    shown_name(c, name);
    int rc = check_common(c, name);
    if (rc != ARTSIG_OK)
        return rc;
    char type = (char)h[F_TYPE];
    uint64_t size = 0;
    number_field(&size, h + F_SIZE, 12);
    if (type == 'x' || type == 'L')
        return begin_extension(c, name, type, size);
    if (type != '0')
        return refuse_type(c, name, type);
    size_t name_len = strnlen((const char *)h + F_NAME, 100);
    if (name_len == 0)
        return refuse(c, ARTSIG_EFORMAT, name, "has an empty name field");
    /* libarchive takes a "regular file" whose name ends in '/' for a
     * directory without data, Go for a file. */
    bool dir = c->path ? c->path[c->path_len - 1] == '/' : h[F_NAME + name_len - 1] == '/';
    if (dir)
        return refuse_kind(c, name, "a directory", true, "tar type '0', name ending in '/'");
    if (c->has_size)
        size = c->size;
    clear_extension(c);
    c->left = size + (ASIG_TAR_BLOCK - size % ASIG_TAR_BLOCK) % ASIG_TAR_BLOCK;
    c->part = c->left ? ASIG_TAR_DATA : ASIG_TAR_HEADER;
    return ARTSIG_OK;
}

/* ---- The stream ---- */

void asig_tar_check_init(struct asig_tar_check *c, const char *layer)
{
    *c = (struct asig_tar_check){.layer = layer, .part = ASIG_TAR_HEADER};
}

void asig_tar_check_free(struct asig_tar_check *c)
{
    free(c->ext);
    c->ext = NULL;
    c->ext_cap = 0;
    clear_extension(c);
}

uint64_t asig_tar_check_skippable(const struct asig_tar_check *c)
{
    return c->status == ARTSIG_OK && c->part == ASIG_TAR_DATA ? c->left : 0;
}

void asig_tar_check_skip(struct asig_tar_check *c, uint64_t n)
{
    c->left -= n;
    if (c->left == 0)
        c->part = ASIG_TAR_HEADER;
}

int asig_tar_check_feed(struct asig_tar_check *c, const uint8_t *p, size_t len)
{
    while (len > 0 && c->status == ARTSIG_OK && c->part != ASIG_TAR_END) {
        size_t n = len;
        switch (c->part) {
        case ASIG_TAR_HEADER:
            n = n < ASIG_TAR_BLOCK - c->have ? n : ASIG_TAR_BLOCK - c->have;
            memcpy(c->block + c->have, p, n);
            c->have += n;
            if (c->have == ASIG_TAR_BLOCK) {
                c->have = 0;
                c->status = on_header(c);
            }
            break;
        case ASIG_TAR_EXT:
            n = n < c->ext_len - c->have ? n : c->ext_len - c->have;
            memcpy(c->ext + c->have, p, n);
            c->have += n;
            if (c->have == c->ext_len)
                c->status = end_extension(c);
            break;
        case ASIG_TAR_EXT_PAD:
        case ASIG_TAR_DATA:
            n = n < c->left ? n : (size_t)c->left;
            if (c->part == ASIG_TAR_EXT_PAD && !all_zero(p, n))
                c->status = refuse(c, ARTSIG_EFORMAT, c->ext_header,
                                   "has non-zero padding after its extension data");
            c->left -= n;
            if (c->left == 0)
                c->part = ASIG_TAR_HEADER;
            break;
        case ASIG_TAR_END: break;
        }
        p += n;
        len -= n;
    }
    return c->status;
}
