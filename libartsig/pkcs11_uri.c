/* RFC 7512 PKCS#11 URIs. Strict: an attribute libartsig does not know could
 * narrow the match in a way it would silently ignore, so it is refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "internal.h"
#include "pkcs11_internal.h"

#define SCHEME "pkcs11:"

enum attr_where { IN_PATH = 1, IN_QUERY = 2 };
enum attr_kind { TEXT, BYTES, SLOT_ID, TYPE };

struct attr {
    const char *name;
    enum attr_kind kind;
    unsigned where;
    size_t field; /* offset of the char * (or uint8_t *) in asig_p11_uri */
};

#define FIELD(f) offsetof(struct asig_p11_uri, f)
static const struct attr attrs[] = {
    {"token", TEXT, IN_PATH, FIELD(token)},
    {"manufacturer", TEXT, IN_PATH, FIELD(manufacturer)},
    {"serial", TEXT, IN_PATH, FIELD(serial)},
    {"model", TEXT, IN_PATH, FIELD(model)},
    {"library-manufacturer", TEXT, IN_PATH, FIELD(library_manufacturer)},
    {"library-description", TEXT, IN_PATH, FIELD(library_description)},
    {"slot-description", TEXT, IN_PATH, FIELD(slot_description)},
    {"slot-manufacturer", TEXT, IN_PATH, FIELD(slot_manufacturer)},
    {"slot-id", SLOT_ID, IN_PATH, 0},
    {"object", TEXT, IN_PATH, FIELD(object)},
    {"id", BYTES, IN_PATH, FIELD(id)},
    {"type", TYPE, IN_PATH, 0},
    /* libp11 and mender-artifact users put the PIN in the path. */
    {"pin-value", TEXT, IN_PATH | IN_QUERY, FIELD(pin_value)},
    {"pin-source", TEXT, IN_QUERY, FIELD(pin_source)},
    {"module-path", TEXT, IN_QUERY, FIELD(module_path)},
    {"module-name", TEXT, IN_QUERY, FIELD(module_name)},
};

static const struct attr *attr_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        if (strlen(attrs[i].name) == len && memcmp(attrs[i].name, name, len) == 0)
            return &attrs[i];
    return NULL;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode [s, s+len) into a fresh NUL-terminated buffer. Text may not
 * decode to a NUL byte, as C strings would cut it short. */
static int decode(uint8_t **out, size_t *out_len, const char *s, size_t len, bool text,
                  const char *name)
{
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        return asig_fail(ARTSIG_ENOMEM, "PKCS#11 URI");
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            int hi = i + 2 < len ? hex_value(s[i + 1]) : -1;
            int lo = i + 2 < len ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(buf);
                return asig_fail(ARTSIG_EINVAL, "PKCS#11 URI: bad percent-encoding in '%s'",
                                 name);
            }
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
            if (text && c == 0) {
                free(buf);
                return asig_fail(ARTSIG_EINVAL, "PKCS#11 URI: '%s' contains a NUL byte", name);
            }
        } else if (c <= 0x20 || c >= 0x7f) {
            free(buf);
            return asig_fail(ARTSIG_EINVAL,
                             "PKCS#11 URI: '%s' has a character that must be percent-encoded",
                             name);
        }
        buf[n++] = c;
    }
    buf[n] = 0;
    *out = buf;
    *out_len = n;
    return ARTSIG_OK;
}

static int set_type(struct asig_p11_uri *u, const char *v)
{
    static const struct {
        const char *name;
        enum asig_p11_type type;
    } types[] = {{"private", ASIG_P11_PRIVATE}, {"public", ASIG_P11_PUBLIC}, {"cert", ASIG_P11_CERT}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(v, types[i].name) == 0) {
            u->type = types[i].type;
            return ARTSIG_OK;
        }
    return asig_fail(ARTSIG_EINVAL, "PKCS#11 URI: type must be private, public or cert, not "
                     "'%.20s'", v);
}

static int set_slot_id(struct asig_p11_uri *u, const char *v)
{
    char *end;
    errno = 0;
    unsigned long id = strtoul(v, &end, 10);
    if (!*v || *v == '-' || *v == '+' || *end || errno)
        return asig_fail(ARTSIG_EINVAL, "PKCS#11 URI: slot-id must be a decimal number");
    u->slot_id = id;
    u->has_slot_id = true;
    return ARTSIG_OK;
}

static int set_attr(struct asig_p11_uri *u, const char *s, size_t len, unsigned where,
                    bool *seen)
{
    const char *eq = memchr(s, '=', len);
    if (!eq)
        return asig_fail(ARTSIG_EINVAL, "PKCS#11 URI: attribute without '=' (%.*s)",
                         (int)(len < 40 ? len : 40), s);
    size_t name_len = (size_t)(eq - s);
    const char *value = eq + 1;
    size_t value_len = len - name_len - 1;
    /* RFC 7512 reserves x- names for vendors; they cannot be known here, and
     * ignoring one is what the RFC asks of a consumer that does not know it. */
    if (name_len > 2 && memcmp(s, "x-", 2) == 0)
        return ARTSIG_OK;
    const struct attr *a = attr_find(s, name_len);
    if (!a)
        return asig_fail(ARTSIG_EINVAL, "PKCS#11 URI: unknown attribute '%.*s'",
                         (int)(name_len < 40 ? name_len : 40), s);
    if (!(a->where & where))
        return asig_fail(ARTSIG_EINVAL, "PKCS#11 URI: '%s' belongs in the %s", a->name,
                         where == IN_PATH ? "query (after '?')" : "path (before '?')");
    if (seen[a - attrs])
        return asig_fail(ARTSIG_EINVAL, "PKCS#11 URI: '%s' given twice", a->name);
    seen[a - attrs] = true;

    uint8_t *v = NULL;
    size_t v_len = 0;
    int rc = decode(&v, &v_len, value, value_len, a->kind != BYTES, a->name);
    if (rc != ARTSIG_OK)
        return rc;
    switch (a->kind) {
    case TEXT:
    case BYTES:
        *(uint8_t **)((char *)u + a->field) = v;
        if (a->kind == BYTES) {
            u->id_len = v_len;
            u->has_id = true;
        }
        return ARTSIG_OK;
    case SLOT_ID:
        rc = set_slot_id(u, (char *)v);
        break;
    case TYPE:
        rc = set_type(u, (char *)v);
        break;
    }
    free(v);
    return rc;
}

/* Append [s, s+len) to the redacted copy. */
static void shown_add(char *shown, size_t *n, char sep, const char *s, size_t len)
{
    if (sep)
        shown[(*n)++] = sep;
    memcpy(shown + *n, s, len);
    *n += len;
    shown[*n] = 0;
}

static bool is_pin_value(const char *s, size_t len)
{
    return len >= 10 && memcmp(s, "pin-value=", 10) == 0;
}

int asig_p11_uri_parse(struct asig_p11_uri *out, const char *uri)
{
    memset(out, 0, sizeof *out);
    if (!uri)
        return asig_fail(ARTSIG_EINVAL, "PKCS#11 URI: NULL");
    size_t len = strnlen(uri, ARTSIG_PKCS11_URI_MAX + 1);
    if (len > ARTSIG_PKCS11_URI_MAX)
        return asig_fail(ARTSIG_ELIMIT, "PKCS#11 URI longer than %d bytes", ARTSIG_PKCS11_URI_MAX);
    if (len < strlen(SCHEME) || strncasecmp(uri, SCHEME, strlen(SCHEME)) != 0)
        return asig_fail(ARTSIG_EINVAL, "not a PKCS#11 URI (it must start with 'pkcs11:')");
    out->shown = malloc(len + 1);
    if (!out->shown)
        return asig_fail(ARTSIG_ENOMEM, "PKCS#11 URI");
    size_t shown_len = 0;
    shown_add(out->shown, &shown_len, 0, SCHEME, strlen(SCHEME));

    bool seen[sizeof attrs / sizeof attrs[0]] = {false};
    const char *p = uri + strlen(SCHEME), *end = uri + len;
    const char *query = memchr(p, '?', (size_t)(end - p));
    unsigned where = IN_PATH;
    bool first = true;
    int rc = ARTSIG_OK;
    while (rc == ARTSIG_OK && p < end) {
        const char *stop = where == IN_PATH && query ? query : end;
        const char *next = memchr(p, where == IN_PATH ? ';' : '&', (size_t)(stop - p));
        size_t seg = next ? (size_t)(next - p) : (size_t)(stop - p);
        if (seg > 0 || next) {
            rc = set_attr(out, p, seg, where, seen);
            if (rc == ARTSIG_OK && !is_pin_value(p, seg)) {
                /* The query's '?' only before a query attribute shown: one
                 * left at the end could not be told from a value's. */
                char sep = !first ? (where == IN_PATH ? ';' : '&') : where == IN_QUERY ? '?' : 0;
                shown_add(out->shown, &shown_len, sep, p, seg);
                first = false;
            }
        }
        p += seg + (next ? 1 : 0);
        if (!next && where == IN_PATH && query) {
            where = IN_QUERY;
            p = query + 1;
            first = true;
        } else if (!next) {
            break;
        }
    }
    if (rc == ARTSIG_OK && out->pin_value && out->pin_source)
        rc = asig_fail(ARTSIG_EINVAL, "PKCS#11 URI: give pin-value or pin-source, not both");
    if (rc == ARTSIG_OK && out->module_path && out->module_name)
        rc = asig_fail(ARTSIG_EINVAL, "PKCS#11 URI: give module-path or module-name, not both");
    if (rc == ARTSIG_OK && out->pin_value && strlen(out->pin_value) > ARTSIG_PKCS11_PIN_MAX)
        rc = asig_fail(ARTSIG_ELIMIT, "PKCS#11 PIN longer than %d bytes", ARTSIG_PKCS11_PIN_MAX);
    if (rc != ARTSIG_OK)
        asig_p11_uri_clear(out);
    return rc;
}

int artsig_pkcs11_uri_redact(char **out, const char *uri)
{
    if (!out)
        return asig_fail(ARTSIG_EINVAL, "artsig_pkcs11_uri_redact: NULL argument");
    *out = NULL;
    struct asig_p11_uri u;
    int rc = asig_p11_uri_parse(&u, uri);
    if (rc != ARTSIG_OK)
        return rc;
    *out = u.shown;
    u.shown = NULL;
    asig_p11_uri_clear(&u);
    return ARTSIG_OK;
}

void asig_p11_uri_clear(struct asig_p11_uri *u)
{
    if (u->pin_value)
        sodium_memzero(u->pin_value, strlen(u->pin_value));
    char **texts[] = {&u->token, &u->manufacturer, &u->serial, &u->model,
                      &u->library_manufacturer, &u->library_description, &u->slot_description,
                      &u->slot_manufacturer, &u->object, &u->pin_value, &u->pin_source,
                      &u->module_path, &u->module_name, &u->shown};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        free(*texts[i]);
    free(u->id);
    memset(u, 0, sizeof *u);
}
