#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct entry {
    uint8_t digest[ARTSIG_DIGEST_LEN];
    char name[];
};

/* Sorted by name at all times, so lookups are binary searches and duplicates
 * are caught as they arrive (with the offending line in hand). The array
 * holds pointers so that an out-of-order insert moves 8 bytes per entry;
 * writers emit sorted manifests, which only ever append. */
struct artsig_manifest {
    struct entry **v;
    size_t n, cap;
    size_t bytes; /* length of the serialized form */
};

/* Everything on a line but the name: digest, two spaces, LF. */
#define LINE_OVERHEAD (ARTSIG_DIGEST_HEX_LEN + 3)
#define DATA_PREFIX_LEN (sizeof "data/NNNN/" - 1)

static const char *const fixed_names[] = {
    "version",
    "header.tar",
    "header.tar.gz",
    "header.tar.xz",
    "header.tar.zst",
    "header-augment.tar",
    "header-augment.tar.gz",
    "header-augment.tar.xz",
    "header-augment.tar.zst",
};

/* Bytewise ASCII tests: the C library's ctype functions depend on the locale. */
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_payload_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '.' || c == ',' || c == '-';
}

int artsig_payload_name_valid(const char *name, size_t len)
{
    if (!name || len == 0 || len > ARTSIG_NAME_MAX)
        return 0;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_payload_char(name[i]))
            return 0;
    return 1;
}

static bool name_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof fixed_names / sizeof fixed_names[0]; i++)
        if (strlen(fixed_names[i]) == len && memcmp(fixed_names[i], s, len) == 0)
            return true;
    return len > DATA_PREFIX_LEN && memcmp(s, "data/", 5) == 0 && is_digit(s[5]) &&
           is_digit(s[6]) && is_digit(s[7]) && is_digit(s[8]) && s[9] == '/' &&
           artsig_payload_name_valid(s + DATA_PREFIX_LEN, len - DATA_PREFIX_LEN);
}

static const char *entry_name(const void *m, size_t i)
{
    return ((const artsig_manifest *)m)->v[i]->name;
}

/* Index of `name`, or where it would be inserted; true when present. */
static bool find(const artsig_manifest *m, const char *name, size_t *pos)
{
    return asig_find_name(pos, m, 0, m->n, entry_name, name);
}

static struct entry *new_entry(const char *name, size_t len,
                               const uint8_t digest[ARTSIG_DIGEST_LEN])
{
    struct entry *e = malloc(sizeof *e + len + 1);
    if (!e)
        return NULL;
    memcpy(e->digest, digest, ARTSIG_DIGEST_LEN);
    memcpy(e->name, name, len);
    e->name[len] = '\0';
    return e;
}

static int insert_at(artsig_manifest *m, size_t pos, struct entry *e, size_t name_len)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        struct entry **v = realloc(m->v, cap * sizeof *v);
        if (!v)
            return asig_fail(ARTSIG_ENOMEM, "manifest of %zu entries", m->n);
        m->v = v;
        m->cap = cap;
    }
    memmove(m->v + pos + 1, m->v + pos, (m->n - pos) * sizeof *m->v);
    m->v[pos] = e;
    m->n++;
    m->bytes += name_len + LINE_OVERHEAD;
    return ARTSIG_OK;
}

int artsig_manifest_new(artsig_manifest **out)
{
    if (!out)
        return asig_fail(ARTSIG_EINVAL, "artsig_manifest_new: out is NULL");
    *out = calloc(1, sizeof **out);
    if (!*out)
        return asig_fail(ARTSIG_ENOMEM, "new manifest");
    return ARTSIG_OK;
}

void artsig_manifest_free(artsig_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i]);
    free(m->v);
    free(m);
}

static int parse_line(artsig_manifest *m, const char *s, size_t len, size_t line)
{
    char shown[ASIG_SHOWN_MAX + 4];
    if (len == 0)
        return asig_fail(ARTSIG_EMANIFEST, "line %zu: blank line", line);
    if (memchr(s, '\0', len))
        return asig_fail(ARTSIG_EMANIFEST, "line %zu: NUL byte", line);
    if (memchr(s, '\r', len))
        return asig_fail(ARTSIG_EMANIFEST, "line %zu: carriage return (lines end with LF only)",
                         line);
    if (m->n == ARTSIG_MANIFEST_MAX_ENTRIES)
        return asig_fail(ARTSIG_ELIMIT, "line %zu: more than %d entries", line,
                         ARTSIG_MANIFEST_MAX_ENTRIES);
    uint8_t digest[ARTSIG_DIGEST_LEN];
    if (len < ARTSIG_DIGEST_HEX_LEN ||
        artsig_digest_from_hex(digest, s, ARTSIG_DIGEST_HEX_LEN) != ARTSIG_OK)
        return asig_fail(ARTSIG_EMANIFEST,
                         "line %zu: does not start with 64 lowercase hex characters", line);
    if (len < ARTSIG_DIGEST_HEX_LEN + 2 || s[ARTSIG_DIGEST_HEX_LEN] != ' ' ||
        s[ARTSIG_DIGEST_HEX_LEN + 1] != ' ')
        return asig_fail(ARTSIG_EMANIFEST,
                         "line %zu: expected two spaces after the 64-character digest", line);
    const char *name = s + ARTSIG_DIGEST_HEX_LEN + 2;
    size_t name_len = len - ARTSIG_DIGEST_HEX_LEN - 2;
    if (name_len > 0 && name[0] == ' ')
        return asig_fail(ARTSIG_EMANIFEST, "line %zu: more than two spaces after the digest",
                         line);
    if (!name_valid(name, name_len))
        return asig_fail(ARTSIG_EMANIFEST, "line %zu: invalid name \"%s\"", line,
                         asig_printable(shown, name, name_len));
    struct entry *e = new_entry(name, name_len, digest);
    if (!e)
        return asig_fail(ARTSIG_ENOMEM, "line %zu", line);
    size_t pos;
    if (find(m, e->name, &pos)) {
        free(e);
        return asig_fail(ARTSIG_EMANIFEST, "line %zu: duplicate name %s", line,
                         asig_printable(shown, name, name_len));
    }
    int rc = insert_at(m, pos, e, name_len);
    if (rc != ARTSIG_OK)
        free(e);
    return rc;
}

int artsig_manifest_parse(artsig_manifest **out, const void *data, size_t len)
{
    if (!out || (!data && len > 0))
        return asig_fail(ARTSIG_EINVAL, "artsig_manifest_parse: NULL argument");
    *out = NULL;
    if (len == 0)
        return asig_fail(ARTSIG_EMANIFEST, "manifest is empty");
    if (len > ARTSIG_MANIFEST_MAX_BYTES)
        return asig_fail(ARTSIG_ELIMIT, "manifest is %zu bytes, more than %d", len,
                         ARTSIG_MANIFEST_MAX_BYTES);
    artsig_manifest *m;
    int rc = artsig_manifest_new(&m);
    if (rc != ARTSIG_OK)
        return rc;
    const char *p = data, *end = p + len;
    for (size_t line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            rc = asig_fail(ARTSIG_EMANIFEST, "line %zu: no newline at the end", line);
            break;
        }
        rc = parse_line(m, p, (size_t)(nl - p), line);
        if (rc != ARTSIG_OK)
            break;
        p = nl + 1;
    }
    if (rc != ARTSIG_OK) {
        artsig_manifest_free(m);
        return rc;
    }
    *out = m;
    return ARTSIG_OK;
}

int artsig_manifest_add(artsig_manifest *m, const char *name,
                        const uint8_t digest[ARTSIG_DIGEST_LEN])
{
    if (!m || !name || !digest)
        return asig_fail(ARTSIG_EINVAL, "artsig_manifest_add: NULL argument");
    char shown[ASIG_SHOWN_MAX + 4];
    size_t len = strlen(name);
    if (!name_valid(name, len))
        return asig_fail(ARTSIG_EINVAL, "invalid manifest name \"%s\"",
                         asig_printable(shown, name, len));
    if (m->n == ARTSIG_MANIFEST_MAX_ENTRIES)
        return asig_fail(ARTSIG_ELIMIT, "manifest already has %d entries",
                         ARTSIG_MANIFEST_MAX_ENTRIES);
    if (m->bytes + len + LINE_OVERHEAD > ARTSIG_MANIFEST_MAX_BYTES)
        return asig_fail(ARTSIG_ELIMIT, "manifest would exceed %d bytes",
                         ARTSIG_MANIFEST_MAX_BYTES);
    size_t pos;
    if (find(m, name, &pos))
        return asig_fail(ARTSIG_EINVAL, "duplicate manifest name %s",
                         asig_printable(shown, name, len));
    struct entry *e = new_entry(name, len, digest);
    if (!e)
        return asig_fail(ARTSIG_ENOMEM, "manifest entry %s", asig_printable(shown, name, len));
    int rc = insert_at(m, pos, e, len);
    if (rc != ARTSIG_OK)
        free(e);
    return rc;
}

int artsig_manifest_serialize(char **out, size_t *len, const artsig_manifest *m)
{
    if (!out || !len || !m)
        return asig_fail(ARTSIG_EINVAL, "artsig_manifest_serialize: NULL argument");
    *out = NULL;
    *len = 0;
    /* The result would not parse back: an empty manifest is refused. */
    if (m->n == 0)
        return asig_fail(ARTSIG_ESTATE, "manifest has no entries");
    char *buf = malloc(m->bytes + 1);
    if (!buf)
        return asig_fail(ARTSIG_ENOMEM, "serializing a manifest of %zu bytes", m->bytes);
    char *p = buf;
    for (size_t i = 0; i < m->n; i++) {
        const struct entry *e = m->v[i];
        artsig_digest_to_hex(p, e->digest);
        p += ARTSIG_DIGEST_HEX_LEN;
        *p++ = ' ';
        *p++ = ' ';
        size_t name_len = strlen(e->name);
        memcpy(p, e->name, name_len);
        p += name_len;
        *p++ = '\n';
    }
    *p = '\0';
    *out = buf;
    *len = m->bytes;
    return ARTSIG_OK;
}

size_t artsig_manifest_count(const artsig_manifest *m)
{
    return m ? m->n : 0;
}

int artsig_manifest_entry(const char **name, const uint8_t **digest, const artsig_manifest *m,
                          size_t index)
{
    if (!name || !digest || !m)
        return asig_fail(ARTSIG_EINVAL, "artsig_manifest_entry: NULL argument");
    if (index >= m->n)
        return asig_fail(ARTSIG_EINVAL, "manifest entry %zu out of range (%zu entries)", index,
                         m->n);
    *name = m->v[index]->name;
    *digest = m->v[index]->digest;
    return ARTSIG_OK;
}

int artsig_manifest_lookup(const uint8_t **digest, const artsig_manifest *m, const char *name)
{
    if (!digest || !m || !name)
        return asig_fail(ARTSIG_EINVAL, "artsig_manifest_lookup: NULL argument");
    size_t pos;
    if (!find(m, name, &pos)) {
        char shown[ASIG_SHOWN_MAX + 4];
        return asig_fail(ARTSIG_ENOTFOUND, "no manifest entry named \"%s\"",
                         asig_printable(shown, name, strlen(name)));
    }
    *digest = m->v[pos]->digest;
    return ARTSIG_OK;
}
