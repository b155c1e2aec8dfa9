/* Writing artifacts.
 *
 * The manifest comes first in an artifact, yet it lists the digest of every
 * payload file and of the compressed header, and the header may state a
 * payload file's checksum. So a write has two phases:
 *  1. staging: each payload's data tar, then the header tar, compressed into
 *     one temporary file (O_TMPFILE, gone on any exit), every input file read
 *     once and hashed on its way in;
 *  2. the artifact: version, manifest, manifest.sig, then the staged members
 *     copied out (by copy_file_range where the output allows).
 * Compression none is staged too: reading an input twice would let a file
 * that changes in between make the payload disagree with the manifest.
 * Memory is a few fixed buffers, whatever the size of the payloads.
 *
 * The layout copies mender-artifact 3.9: tar members in ustar form (pax only
 * for what ustar cannot hold: sizes from 8 GiB, names over 100 bytes), no
 * blocking after the end-of-archive blocks, uid and gid 0, outer members and
 * header JSON mode 0600, payload files 0644; JSON compact with map keys
 * sorted, as Go writes maps. Unlike mender-artifact every entry has the same
 * mtime, and scripts are written 0755 rather than with their file's mode, so
 * the output depends only on the description and the input bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>

#include "encoder.h"

#define IO_SIZE (1024 * 1024)
/* ustar holds 11 octal digits; a later time would need a pax record per entry. */
#define MTIME_MAX 077777777777LL
#define OUTER_PERM 0600
#define HEADER_PERM 0600
#define SCRIPT_PERM 0755
#define FILE_PERM 0644
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
/* Digits of a payload index in a name (four in practice, as there are at
 * most ARTSIG_LIMIT_PAYLOADS, but the compiler counts those of a size_t). */
#define INDEX_MAX 20
/* "data/NNNN/" and a file name. */
#define ENTRY_MAX (sizeof "data//" + INDEX_MAX + ARTSIG_NAME_MAX)

struct strv {
    char **v;
    size_t n;
};

/* A provides (one value) or depends (one value or more) entry. Kept in the
 * order given; the JSON is sorted when written. */
struct kv {
    char *key;
    struct strv values;
};

struct kvs {
    struct kv *v;
    size_t n;
};

struct wfile {
    char *path, *name;
};

struct wpayload {
    char *type; /* NULL: the empty payload of a bootstrap artifact */
    struct kvs provides, depends;
    struct strv clears;
    char *meta_data;    /* compact JSON; NULL when not set */
    char *checksum_key; /* provide_checksum */
    struct wfile *files;
    size_t n_files;
};

struct artsig_writer {
    int version;
    char *name, *group;
    struct strv device_types, depends_names, depends_groups;
    struct strv scripts; /* paths */
    artsig_compression compression;
    int level;
    unsigned threads;
    bool mtime_set;
    int64_t mtime;
    artsig_signer *signer;
    char *tmpdir;
    struct wpayload *payloads;
    size_t n_payloads;
    size_t n_files; /* across payloads */
};

/* ---- description ---- */

static void strv_clear(struct strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    *s = (struct strv){0};
}

static int strv_add(struct strv *s, const char *x)
{
    char **v = realloc(s->v, (s->n + 1) * sizeof *v);
    if (!v)
        return asig_fail(ARTSIG_ENOMEM, "adding \"%s\"", x);
    s->v = v;
    if (!(v[s->n] = strdup(x)))
        return asig_fail(ARTSIG_ENOMEM, "adding \"%s\"", x);
    s->n++;
    return ARTSIG_OK;
}

static void kvs_clear(struct kvs *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].key);
        strv_clear(&m->v[i].values);
    }
    free(m->v);
}

static struct kv *kvs_find(const struct kvs *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].key, key) == 0)
            return &m->v[i];
    return NULL;
}

/* Add `value` under `key`; a repeated key is refused unless `many`. */
static int kvs_add(struct kvs *m, const char *what, const char *key, const char *value,
                   bool many)
{
    struct kv *e = kvs_find(m, key);
    if (e && !many)
        return asig_fail(ARTSIG_EINVAL, "%s \"%s\" is given twice", what, key);
    if (e)
        return strv_add(&e->values, value);
    struct kv *v = realloc(m->v, (m->n + 1) * sizeof *v);
    if (!v)
        return asig_fail(ARTSIG_ENOMEM, "%s \"%s\"", what, key);
    m->v = v;
    struct kv add = {strdup(key), {0}};
    if (!add.key || strv_add(&add.values, value) != ARTSIG_OK) {
        free(add.key);
        strv_clear(&add.values);
        return asig_fail(ARTSIG_ENOMEM, "%s \"%s\"", what, key);
    }
    v[m->n++] = add;
    return ARTSIG_OK;
}

/* Text bound for a header: set, non-empty unless `may_be_empty`, and valid
 * UTF-8, tested by the reader's own JSON parser on json-c's rendering of it,
 * so that whatever is accepted here reads back. */
static int check_text(const char *what, const char *s, bool may_be_empty)
{
    if (!s)
        return asig_fail(ARTSIG_EINVAL, "%s: NULL", what);
    if (!*s && !may_be_empty)
        return asig_fail(ARTSIG_EINVAL, "%s is empty", what);
    json_object *str = json_object_new_string(s), *back = NULL;
    const char *text = str ? json_object_to_json_string_ext(str, JSON_FLAGS) : NULL;
    int rc = text ? asig_json_parse(&back, what, (const uint8_t *)text, strlen(text))
                  : asig_fail(ARTSIG_ENOMEM, "%s", what);
    json_object_put(back);
    json_object_put(str);
    if (rc == ARTSIG_EFORMAT) {
        char shown[ASIG_SHOWN_MAX + 4];
        rc = asig_fail(ARTSIG_EINVAL, "%s \"%s\" is not valid UTF-8", what,
                       asig_printable(shown, s, strlen(s)));
    }
    return rc;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int artsig_compression_from_name(artsig_compression *out, const char *name)
{
    if (!out || !name)
        return asig_fail(ARTSIG_EINVAL, "artsig_compression_from_name: NULL argument");
    /* mender-artifact's name for xz. */
    if (strcmp(name, "lzma") == 0)
        name = "xz";
    for (artsig_compression c = ARTSIG_COMPRESS_NONE; c <= ARTSIG_COMPRESS_ZSTD; c++)
        if (strcmp(name, asig_compression_name(c)) == 0) {
            *out = c;
            return ARTSIG_OK;
        }
    char shown[ASIG_SHOWN_MAX + 4];
    return asig_fail(ARTSIG_EINVAL, "unknown compression \"%s\" (none, gzip, lzma or xz, zstd)",
                     asig_printable(shown, name, strlen(name)));
}

int artsig_writer_new(artsig_writer **out)
{
    if (!out)
        return asig_fail(ARTSIG_EINVAL, "artsig_writer_new: NULL argument");
    *out = calloc(1, sizeof **out);
    if (!*out)
        return asig_fail(ARTSIG_ENOMEM, "new writer");
    (*out)->version = 3;
    (*out)->compression = ARTSIG_COMPRESS_GZIP;
    return ARTSIG_OK;
}

void artsig_writer_free(artsig_writer *w)
{
    if (!w)
        return;
    free(w->name);
    free(w->group);
    strv_clear(&w->device_types);
    strv_clear(&w->depends_names);
    strv_clear(&w->depends_groups);
    strv_clear(&w->scripts);
    artsig_signer_free(w->signer);
    free(w->tmpdir);
    for (size_t i = 0; i < w->n_payloads; i++) {
        struct wpayload *p = &w->payloads[i];
        free(p->type);
        kvs_clear(&p->provides);
        kvs_clear(&p->depends);
        strv_clear(&p->clears);
        free(p->meta_data);
        free(p->checksum_key);
        for (size_t j = 0; j < p->n_files; j++) {
            free(p->files[j].path);
            free(p->files[j].name);
        }
        free(p->files);
    }
    free(w->payloads);
    free(w);
}

/* Replace *slot with a copy of `s`. */
static int set_string(char **slot, const char *s)
{
    char *copy = strdup(s);
    if (!copy)
        return asig_fail(ARTSIG_ENOMEM, "copying \"%s\"", s);
    free(*slot);
    *slot = copy;
    return ARTSIG_OK;
}

int artsig_writer_set_format_version(artsig_writer *w, int version)
{
    if (!w)
        return asig_fail(ARTSIG_EINVAL, "artsig_writer_set_format_version: NULL argument");
    if (version != 2 && version != 3)
        return asig_fail(ARTSIG_EUNSUPPORTED, "artifact format version %d (2 or 3)", version);
    w->version = version;
    return ARTSIG_OK;
}

int artsig_writer_set_name(artsig_writer *w, const char *name)
{
    if (!w)
        return asig_fail(ARTSIG_EINVAL, "artsig_writer_set_name: NULL argument");
    int rc = check_text("artifact name", name, false);
    return rc == ARTSIG_OK ? set_string(&w->name, name) : rc;
}

int artsig_writer_add_device_type(artsig_writer *w, const char *device_type)
{
    if (!w)
        return asig_fail(ARTSIG_EINVAL, "artsig_writer_add_device_type: NULL argument");
    int rc = check_text("device type", device_type, false);
    return rc == ARTSIG_OK ? strv_add(&w->device_types, device_type) : rc;
}

int artsig_writer_set_provides_group(artsig_writer *w, const char *group)
{
    if (!w)
        return asig_fail(ARTSIG_EINVAL, "artsig_writer_set_provides_group: NULL argument");
    int rc = check_text("artifact group", group, false);
    return rc == ARTSIG_OK ? set_string(&w->group, group) : rc;
}

int artsig_writer_add_artifact_depends(artsig_writer *w, const char *key, const char *value)
{
    if (!w || !key)
        return asig_fail(ARTSIG_EINVAL, "artsig_writer_add_artifact_depends: NULL argument");
    struct strv *list = strcmp(key, "artifact_name") == 0    ? &w->depends_names
                        : strcmp(key, "artifact_group") == 0 ? &w->depends_groups
                                                             : NULL;
    char shown[ASIG_SHOWN_MAX + 4];
    if (!list)
        return asig_fail(ARTSIG_EINVAL,
                         "artifact depends \"%s\": only artifact_name and artifact_group "
                         "(device types are added as such)",
                         asig_printable(shown, key, strlen(key)));
    int rc = check_text(key, value, false);
    return rc == ARTSIG_OK ? strv_add(list, value) : rc;
}

int artsig_writer_add_script(artsig_writer *w, const char *path)
{
    if (!w || !path)
        return asig_fail(ARTSIG_EINVAL, "artsig_writer_add_script: NULL argument");
    const char *name = base_name(path);
    char shown[ASIG_SHOWN_MAX + 4];
    if (!asig_script_name_valid(name))
        return asig_fail(ARTSIG_EINVAL,
                         "%s: not a state script name (<State>_<Enter|Leave|Error>_NN[_name])",
                         asig_printable(shown, path, strlen(path)));
    for (size_t i = 0; i < w->scripts.n; i++)
        if (strcmp(base_name(w->scripts.v[i]), name) == 0)
            return asig_fail(ARTSIG_EINVAL, "state script %s is given twice", name);
    if (w->scripts.n == ARTSIG_LIMIT_SCRIPTS)
        return asig_fail(ARTSIG_ELIMIT, "more than %d state scripts", ARTSIG_LIMIT_SCRIPTS);
    return strv_add(&w->scripts, path);
}

int artsig_writer_set_compression(artsig_writer *w, artsig_compression c, int level)
{
    if (!w)
        return asig_fail(ARTSIG_EINVAL, "artsig_writer_set_compression: NULL argument");
    int rc = asig_compression_check(c, level);
    if (rc != ARTSIG_OK)
        return rc;
    w->compression = c;
    w->level = level;
    return ARTSIG_OK;
}

int artsig_writer_set_threads(artsig_writer *w, unsigned threads)
{
    if (!w)
        return asig_fail(ARTSIG_EINVAL, "artsig_writer_set_threads: NULL argument");
    w->threads = threads;
    return ARTSIG_OK;
}

int artsig_writer_set_mtime(artsig_writer *w, int64_t mtime)
{
    if (!w)
        return asig_fail(ARTSIG_EINVAL, "artsig_writer_set_mtime: NULL argument");
    if (mtime < 0 || mtime > MTIME_MAX)
        return asig_fail(ARTSIG_EINVAL, "mtime %lld: use 0 to %lld", (long long)mtime,
                         MTIME_MAX);
    w->mtime = mtime;
    w->mtime_set = true;
    return ARTSIG_OK;
}

int artsig_writer_set_signer(artsig_writer *w, artsig_signer *signer)
{
    if (!w)
        return asig_fail(ARTSIG_EINVAL, "artsig_writer_set_signer: NULL argument");
    artsig_signer *old = w->signer;
    w->signer = artsig_signer_ref(signer);
    artsig_signer_free(old);
    return ARTSIG_OK;
}

int artsig_writer_set_tmpdir(artsig_writer *w, const char *dir)
{
    if (!w)
        return asig_fail(ARTSIG_EINVAL, "artsig_writer_set_tmpdir: NULL argument");
    if (!dir) {
        free(w->tmpdir);
        w->tmpdir = NULL;
        return ARTSIG_OK;
    }
    return set_string(&w->tmpdir, dir);
}

int artsig_writer_add_payload(size_t *index, artsig_writer *w, const char *type)
{
    if (!index || !w)
        return asig_fail(ARTSIG_EINVAL, "artsig_writer_add_payload: NULL argument");
    char shown[ASIG_SHOWN_MAX + 4];
    /* The type names the update module a device runs: a file name. */
    if (type && !artsig_payload_name_valid(type, strlen(type)))
        return asig_fail(ARTSIG_EINVAL, "payload type \"%s\" is not a valid update module name",
                         asig_printable(shown, type, strlen(type)));
    if (w->n_payloads == ARTSIG_LIMIT_PAYLOADS)
        return asig_fail(ARTSIG_ELIMIT, "more than %d payloads", ARTSIG_LIMIT_PAYLOADS);
    struct wpayload *v = realloc(w->payloads, (w->n_payloads + 1) * sizeof *v);
    if (!v)
        return asig_fail(ARTSIG_ENOMEM, "adding a payload");
    w->payloads = v;
    struct wpayload *p = &v[w->n_payloads];
    *p = (struct wpayload){0};
    if (type && !(p->type = strdup(type)))
        return asig_fail(ARTSIG_ENOMEM, "adding a payload");
    *index = w->n_payloads++;
    return ARTSIG_OK;
}

static int payload_at(struct wpayload **out, artsig_writer *w, size_t index, const char *fn)
{
    if (!w)
        return asig_fail(ARTSIG_EINVAL, "%s: NULL argument", fn);
    if (index >= w->n_payloads)
        return asig_fail(ARTSIG_EINVAL, "%s: no payload %zu", fn, index);
    *out = &w->payloads[index];
    return ARTSIG_OK;
}

/* A provides entry, or (`depends`) a value of a depends entry. */
static int add_entry(artsig_writer *w, size_t payload, const char *key, const char *value,
                     bool depends)
{
    const char *what = depends ? "depends" : "provides";
    char fn[64], key_what[32], value_what[32];
    snprintf(fn, sizeof fn, "artsig_writer_payload_add_%s", what);
    snprintf(key_what, sizeof key_what, "%s key", what);
    snprintf(value_what, sizeof value_what, "%s value", what);
    struct wpayload *p = NULL;
    int rc = payload_at(&p, w, payload, fn);
    if (rc == ARTSIG_OK)
        rc = check_text(key_what, key, false);
    if (rc == ARTSIG_OK)
        rc = check_text(value_what, value, true);
    if (rc != ARTSIG_OK)
        return rc;
    return kvs_add(depends ? &p->depends : &p->provides, what, key, value, depends);
}

int artsig_writer_payload_add_provides(artsig_writer *w, size_t payload, const char *key,
                                       const char *value)
{
    return add_entry(w, payload, key, value, false);
}

int artsig_writer_payload_add_depends(artsig_writer *w, size_t payload, const char *key,
                                      const char *value)
{
    return add_entry(w, payload, key, value, true);
}

int artsig_writer_payload_add_clears(artsig_writer *w, size_t payload, const char *glob)
{
    struct wpayload *p = NULL;
    int rc = payload_at(&p, w, payload, "artsig_writer_payload_add_clears");
    if (rc == ARTSIG_OK)
        rc = check_text("clears_artifact_provides glob", glob, false);
    return rc == ARTSIG_OK ? strv_add(&p->clears, glob) : rc;
}

/* Kept as compact text with keys sorted, as mender-artifact rewrites it; an
 * empty object is no meta-data, as for mender-artifact. */
int artsig_writer_payload_set_meta_data(artsig_writer *w, size_t payload, const char *json)
{
    struct wpayload *p = NULL;
    int rc = payload_at(&p, w, payload, "artsig_writer_payload_set_meta_data");
    if (rc == ARTSIG_OK && !json)
        rc = asig_fail(ARTSIG_EINVAL, "artsig_writer_payload_set_meta_data: NULL argument");
    if (rc != ARTSIG_OK)
        return rc;
    json_object *given;
    rc = asig_json_parse(&given, "meta-data", (const uint8_t *)json, strlen(json));
    if (rc != ARTSIG_OK) {
        /* The reader's words for it, but the caller's text is an argument. */
        char detail[256];
        const char *e = artsig_last_error(), *colon = strstr(e, ": ");
        snprintf(detail, sizeof detail, "%s", colon ? colon + 2 : e);
        return asig_fail(rc == ARTSIG_ELIMIT ? rc : ARTSIG_EINVAL, "%s", detail);
    }
    struct asig_jb b = {false};
    json_object *doc = json_object_is_type(given, json_type_object) ? asig_jb_sorted(&b, given)
                                                                    : NULL;
    const char *text = doc && !b.failed ? json_object_to_json_string_ext(doc, JSON_FLAGS) : NULL;
    if (!json_object_is_type(given, json_type_object))
        rc = asig_fail(ARTSIG_EINVAL, "meta-data must be a JSON object");
    else if (!text)
        rc = asig_fail(ARTSIG_ENOMEM, "meta-data");
    else if (strlen(text) > ARTSIG_LIMIT_HEADER_FILE)
        rc = asig_fail(ARTSIG_ELIMIT, "meta-data: more than %d bytes", ARTSIG_LIMIT_HEADER_FILE);
    else if (json_object_object_length(doc) > 0)
        rc = set_string(&p->meta_data, text);
    else {
        free(p->meta_data);
        p->meta_data = NULL;
    }
    json_object_put(doc);
    json_object_put(given);
    return rc;
}

int artsig_writer_payload_provide_checksum(artsig_writer *w, size_t payload, const char *key)
{
    struct wpayload *p = NULL;
    int rc = payload_at(&p, w, payload, "artsig_writer_payload_provide_checksum");
    if (rc == ARTSIG_OK)
        rc = check_text("checksum provides key", key, false);
    return rc == ARTSIG_OK ? set_string(&p->checksum_key, key) : rc;
}

int artsig_writer_payload_add_file(artsig_writer *w, size_t payload, const char *path,
                                   const char *name)
{
    struct wpayload *p = NULL;
    int rc = payload_at(&p, w, payload, "artsig_writer_payload_add_file");
    if (rc == ARTSIG_OK && !path)
        rc = asig_fail(ARTSIG_EINVAL, "artsig_writer_payload_add_file: NULL argument");
    if (rc != ARTSIG_OK)
        return rc;
    name = name ? name : base_name(path);
    char shown[ASIG_SHOWN_MAX + 4];
    if (!p->type)
        return asig_fail(ARTSIG_EINVAL, "%s: payload %zu is a bootstrap payload, which holds "
                         "no files", asig_printable(shown, path, strlen(path)), payload);
    if (!artsig_payload_name_valid(name, strlen(name)))
        return asig_fail(ARTSIG_EINVAL, "payload file name \"%s\": use [A-Za-z0-9_.,-]+, at "
                         "most %d bytes", asig_printable(shown, name, strlen(name)),
                         ARTSIG_NAME_MAX);
    for (size_t i = 0; i < p->n_files; i++)
        if (strcmp(p->files[i].name, name) == 0)
            return asig_fail(ARTSIG_EINVAL, "payload %zu already has a file named %s", payload,
                             name);
    if (w->n_files == ARTSIG_LIMIT_FILES)
        return asig_fail(ARTSIG_ELIMIT, "more than %d payload files", ARTSIG_LIMIT_FILES);
    struct wfile *v = realloc(p->files, (p->n_files + 1) * sizeof *v);
    if (!v)
        return asig_fail(ARTSIG_ENOMEM, "adding %s", name);
    p->files = v;
    struct wfile f = {strdup(path), strdup(name)};
    if (!f.path || !f.name) {
        free(f.path);
        free(f.name);
        return asig_fail(ARTSIG_ENOMEM, "adding %s", name);
    }
    v[p->n_files++] = f;
    w->n_files++;
    return ARTSIG_OK;
}

/* What only the whole description can tell. */
static int check_payload(const artsig_writer *w, size_t i)
{
    const struct wpayload *p = &w->payloads[i];
    if (w->version == 2 &&
        (p->provides.n || p->depends.n || p->clears.n || p->checksum_key))
        return asig_fail(ARTSIG_EINVAL, "payload %zu: a version 2 artifact has no provides, "
                         "depends or clears_artifact_provides", i);
    if (!p->type && p->meta_data)
        return asig_fail(ARTSIG_EINVAL, "payload %zu: a bootstrap payload has no meta-data", i);
    /* Mender's rootfs installer writes exactly one image. */
    if (p->type && strcmp(p->type, "rootfs-image") == 0 && p->n_files != 1)
        return asig_fail(ARTSIG_EINVAL, "payload %zu: a rootfs-image holds one file, not %zu", i,
                         p->n_files);
    if (p->checksum_key && p->n_files != 1)
        return asig_fail(ARTSIG_EINVAL, "payload %zu: providing %s needs exactly one file, "
                         "not %zu", i, p->checksum_key, p->n_files);
    if (p->checksum_key && kvs_find(&p->provides, p->checksum_key))
        return asig_fail(ARTSIG_EINVAL, "payload %zu: provides \"%s\" is given and is also "
                         "the checksum", i, p->checksum_key);
    return ARTSIG_OK;
}

static int check_description(const artsig_writer *w)
{
    if (!w->name)
        return asig_fail(ARTSIG_EINVAL, "the artifact has no name");
    if (!w->device_types.n)
        return asig_fail(ARTSIG_EINVAL, "the artifact names no device type");
    if (!w->n_payloads)
        return asig_fail(ARTSIG_EINVAL, "the artifact has no payload");
    if (w->version == 2) {
        const char *type = w->payloads[0].type;
        if (w->n_payloads != 1 || !type || strcmp(type, "rootfs-image") != 0)
            return asig_fail(ARTSIG_EINVAL,
                             "a version 2 artifact holds exactly one rootfs-image payload");
        if (w->group || w->depends_names.n || w->depends_groups.n)
            return asig_fail(ARTSIG_EINVAL, "a version 2 artifact has no artifact group or "
                             "artifact depends");
    }
    for (size_t i = 0; i < w->n_payloads; i++) {
        int rc = check_payload(w, i);
        if (rc != ARTSIG_OK)
            return rc;
    }
    return ARTSIG_OK;
}

/* ---- tar streams ---- */

/* A tar stream: libarchive lays it out, `put` takes the bytes.
 *
 * A failure of `put` is kept in `rc`, checked after every libarchive call,
 * and from then on the bytes go nowhere; libarchive is not told, as
 * libarchive 3.6 leaks a stream's buffers once the stream is in its fatal
 * state. */
struct tar {
    struct archive *a;
    int64_t mtime;
    int rc;
    int (*put)(struct tar *t, const void *data, size_t len);
};

static la_ssize_t tar_cb(struct archive *a, void *userdata, const void *data, size_t len)
{
    (void)a;
    struct tar *t = userdata;
    if (t->rc == ARTSIG_OK)
        t->rc = t->put(t, data, len);
    return (la_ssize_t)len;
}

/* The status after a libarchive call that returned `ok`. */
static int tar_status(const struct tar *t, bool ok, const char *what)
{
    if (t->rc != ARTSIG_OK)
        return t->rc;
    const char *why = archive_error_string(t->a);
    return ok ? ARTSIG_OK : asig_fail(ARTSIG_EIO, "%s: %s", what, why ? why : "libarchive failed");
}

static int tar_open(struct tar *t, int64_t mtime, int (*put)(struct tar *, const void *, size_t))
{
    *t = (struct tar){.mtime = mtime, .put = put};
    if (!(t->a = archive_write_new()))
        return asig_fail(ARTSIG_ENOMEM, "tar writer");
    /* No blocking: libarchive would pad the stream to 10 KiB records, and
     * it passes data straight through, which tar_add_staged relies on. */
    return tar_status(t,
                      archive_write_set_format_pax_restricted(t->a) == ARCHIVE_OK &&
                          archive_write_set_bytes_per_block(t->a, 0) == ARCHIVE_OK &&
                          archive_write_open(t->a, t, NULL, tar_cb, NULL) == ARCHIVE_OK,
                      "tar writer");
}

static int tar_close(struct tar *t, const char *what)
{
    return tar_status(t, archive_write_close(t->a) == ARCHIVE_OK, what);
}

/* Freeing an unfinished stream closes it, which writes its end blocks: after
 * a failure they must go nowhere. */
static void tar_free(struct tar *t)
{
    if (t->rc == ARTSIG_OK)
        t->rc = ARTSIG_ECANCELLED;
    archive_write_free(t->a);
    t->a = NULL;
}

static int tar_begin(struct tar *t, const char *name, uint64_t size, mode_t perm)
{
    struct archive_entry *e = archive_entry_new();
    if (!e)
        return asig_fail(ARTSIG_ENOMEM, "%s", name);
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, perm);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_entry_set_mtime(e, t->mtime, 0);
    int r = archive_write_header(t->a, e);
    archive_entry_free(e);
    return tar_status(t, r == ARCHIVE_OK, name);
}

static int tar_data(struct tar *t, const char *name, const void *data, size_t len)
{
    return tar_status(t, archive_write_data(t->a, data, len) == (la_ssize_t)len, name);
}

static int tar_end(struct tar *t, const char *name)
{
    return tar_status(t, archive_write_finish_entry(t->a) == ARCHIVE_OK, name);
}

static int tar_add_mem(struct tar *t, const char *name, mode_t perm, const void *data,
                       size_t len)
{
    int rc = tar_begin(t, name, len, perm);
    if (rc == ARTSIG_OK)
        rc = tar_data(t, name, data, len);
    return rc == ARTSIG_OK ? tar_end(t, name) : rc;
}

static int pread_all(int fd, void *buf, size_t len, off_t at)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(fd, p, len, at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return asig_fail(ARTSIG_EIO, "staging file: %s",
                             n < 0 ? strerror(errno) : "shorter than what was staged");
        p += n;
        at += n;
        len -= (size_t)n;
    }
    return ARTSIG_OK;
}

/* ---- staging ---- */

/* Where a staged member lies in the staging file. */
struct staged {
    uint64_t at, len;
};

struct job {
    const artsig_writer *w;
    int64_t mtime;
    unsigned threads;
    const char *stage_dir;
    int stage_fd;
    uint64_t staged; /* bytes in the staging file */
    uint8_t *buf;    /* IO_SIZE */
    /* Used by one thing at a time: each payload file while payloads are
     * staged, then the compressed header while it is. */
    artsig_sha256_ctx *sha;
    artsig_manifest *manifest;
    char header_name[sizeof "header.tar.zst"];
    struct staged header, *data;
    uint8_t header_digest[ARTSIG_DIGEST_LEN];
};

/* One inner tar on its way through a compressor into the staging file. */
struct inner {
    struct tar t; /* first: put() is handed the struct tar */
    struct job *j;
    asig_encoder *enc;
    const char *what;
    uint64_t at;
    uint64_t raw, raw_max; /* uncompressed bytes so far, and the limit (0: none) */
    bool hash;             /* SHA-256 of the compressed bytes (the header's) */
};

static int inner_put(struct tar *t, const void *data, size_t len)
{
    struct inner *in = (struct inner *)t;
    if (in->raw_max && len > in->raw_max - in->raw)
        return asig_fail(ARTSIG_ELIMIT, "%s: more than %llu bytes, the most a reader accepts",
                         in->what, (unsigned long long)in->raw_max);
    in->raw += len;
    return asig_encoder_write(in->enc, data, len);
}

static int stage_sink(void *userdata, const void *data, size_t len)
{
    struct inner *in = userdata;
    struct job *j = in->j;
    int err = asig_write_all(j->stage_fd, data, len);
    int rc = err ? asig_fail(ARTSIG_EIO, "staging in %s: %s", j->stage_dir, strerror(err))
                 : ARTSIG_OK;
    if (rc == ARTSIG_OK && in->hash)
        rc = artsig_sha256_update(j->sha, data, len);
    j->staged += len;
    return rc;
}

static int stage_begin(struct inner *in, struct job *j, const char *what, uint64_t raw_max,
                       bool hash)
{
    *in = (struct inner){.j = j, .what = what, .at = j->staged, .raw_max = raw_max,
                         .hash = hash};
    int rc = asig_encoder_new(&in->enc, j->w->compression, j->w->level, j->threads, stage_sink,
                              in);
    return rc == ARTSIG_OK ? tar_open(&in->t, j->mtime, inner_put) : rc;
}

static int stage_end(struct inner *in, struct staged *out)
{
    int rc = tar_close(&in->t, in->what);
    if (rc == ARTSIG_OK)
        rc = asig_encoder_finish(in->enc);
    *out = (struct staged){in->at, in->j->staged - in->at};
    return rc;
}

static void stage_free(struct inner *in)
{
    tar_free(&in->t);
    asig_encoder_free(in->enc);
}

/* Copy the regular file at `path` into `t` as `name`, reading it once, and
 * its SHA-256 into `digest` unless NULL. `max` (0: none) bounds its size. */
static int tar_add_file(struct job *j, struct tar *t, const char *name, mode_t perm,
                        const char *path, uint64_t max, uint8_t *digest)
{
    /* O_NONBLOCK: a FIFO without a writer would block the open forever,
     * before fstat could refuse it; a regular file's reads ignore it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return asig_fail(errno == ENOENT ? ARTSIG_ENOENT : ARTSIG_EIO, "%s: %s", path,
                         strerror(errno));
    struct stat st;
    int rc = ARTSIG_OK;
    if (fstat(fd, &st) != 0)
        rc = asig_fail(ARTSIG_EIO, "%s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = asig_fail(ARTSIG_EINVAL, "%s: not a regular file", path);
    else if (max && (uint64_t)st.st_size > max)
        rc = asig_fail(ARTSIG_ELIMIT, "%s: %lld bytes, more than %llu", path,
                       (long long)st.st_size, (unsigned long long)max);
    if (rc == ARTSIG_OK)
        rc = tar_begin(t, name, (uint64_t)st.st_size, perm);
    uint64_t left = rc == ARTSIG_OK ? (uint64_t)st.st_size : 0;
    while (left) {
        ssize_t n = read(fd, j->buf, left < IO_SIZE ? left : IO_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = asig_fail(ARTSIG_EIO, "%s: %s", path,
                           n < 0 ? strerror(errno) : "shrank while being read");
            break;
        }
        if (digest)
            rc = artsig_sha256_update(j->sha, j->buf, (size_t)n);
        if (rc == ARTSIG_OK)
            rc = tar_data(t, name, j->buf, (size_t)n);
        if (rc != ARTSIG_OK)
            break;
        left -= (uint64_t)n;
    }
    /* Bytes past the size in the tar header would be lost without a word. */
    if (rc == ARTSIG_OK) {
        ssize_t n;
        do
            n = read(fd, j->buf, 1);
        while (n < 0 && errno == EINTR);
        if (n != 0)
            rc = asig_fail(ARTSIG_EIO, "%s: %s", path,
                           n < 0 ? strerror(errno) : "grew while being read");
    }
    close(fd);
    if (rc == ARTSIG_OK)
        rc = tar_end(t, name);
    if (rc == ARTSIG_OK && digest)
        rc = artsig_sha256_final(digest, j->sha);
    return rc;
}

static int stage_payload(struct job *j, size_t index)
{
    const struct wpayload *p = &j->w->payloads[index];
    char what[sizeof "data/.tar" + INDEX_MAX];
    snprintf(what, sizeof what, "data/%04zu.tar", index);
    struct inner in;
    int rc = stage_begin(&in, j, what, 0, false);
    for (size_t i = 0; rc == ARTSIG_OK && i < p->n_files; i++) {
        uint8_t digest[ARTSIG_DIGEST_LEN];
        char entry[ENTRY_MAX];
        snprintf(entry, sizeof entry, "data/%04zu/%s", index, p->files[i].name);
        rc = tar_add_file(j, &in.t, p->files[i].name, FILE_PERM, p->files[i].path, 0, digest);
        if (rc == ARTSIG_OK)
            rc = artsig_manifest_add(j->manifest, entry, digest);
    }
    if (rc == ARTSIG_OK)
        rc = stage_end(&in, &j->data[index]);
    stage_free(&in);
    return rc;
}

/* ---- the header ---- */

/* Render `doc` (taken) as header member `name`. */
static int add_json(struct tar *t, struct asig_jb *b, const char *name, json_object *doc)
{
    const char *text = b->failed ? NULL : json_object_to_json_string_ext(doc, JSON_FLAGS);
    int rc;
    if (!text)
        rc = asig_fail(ARTSIG_ENOMEM, "%s", name);
    else if (strlen(text) > ARTSIG_LIMIT_HEADER_FILE)
        rc = asig_fail(ARTSIG_ELIMIT, "%s: %zu bytes, more than a reader accepts (%d)", name,
                       strlen(text), ARTSIG_LIMIT_HEADER_FILE);
    else
        rc = tar_add_mem(t, name, HEADER_PERM, text, strlen(text));
    json_object_put(doc);
    return rc;
}

/* An object of `m`'s entries, keys sorted; a depends entry with more than one
 * value is a list. */
static json_object *kvs_json(struct asig_jb *b, const struct kvs *m, const char *extra_key,
                             const char *extra_value)
{
    json_object *obj = asig_jb_made(b, json_object_new_object());
    for (size_t i = 0; i < m->n; i++) {
        const struct strv *v = &m->v[i].values;
        asig_jb_put(b, obj, m->v[i].key,
                    v->n == 1 ? asig_jb_string(b, v->v[0]) : asig_jb_strings(b, v->v, v->n));
    }
    if (extra_key)
        asig_jb_put(b, obj, extra_key, asig_jb_string(b, extra_value));
    json_object *sorted = asig_jb_sorted(b, obj);
    json_object_put(obj);
    return sorted;
}

static json_object *payload_types(struct asig_jb *b, const artsig_writer *w)
{
    json_object *list = asig_jb_made(b, json_object_new_array());
    for (size_t i = 0; i < w->n_payloads; i++) {
        json_object *e = asig_jb_made(b, json_object_new_object());
        asig_jb_put(b, e, "type", asig_jb_string(b, w->payloads[i].type));
        asig_jb_push(b, list, e);
    }
    return list;
}

/* Keys in the order mender-artifact writes them. */
static json_object *header_info(struct asig_jb *b, const artsig_writer *w)
{
    json_object *root = asig_jb_made(b, json_object_new_object());
    json_object *devices = asig_jb_strings(b, w->device_types.v, w->device_types.n);
    if (w->version == 2) {
        asig_jb_put(b, root, "artifact_name", asig_jb_string(b, w->name));
        asig_jb_put(b, root, "updates", payload_types(b, w));
        asig_jb_put(b, root, "device_types_compatible", devices);
        return root;
    }
    asig_jb_put(b, root, "payloads", payload_types(b, w));
    json_object *provides = asig_jb_made(b, json_object_new_object());
    asig_jb_put(b, provides, "artifact_name", asig_jb_string(b, w->name));
    if (w->group)
        asig_jb_put(b, provides, "artifact_group", asig_jb_string(b, w->group));
    asig_jb_put(b, root, "artifact_provides", provides);
    json_object *depends = asig_jb_made(b, json_object_new_object());
    if (w->depends_names.n)
        asig_jb_put(b, depends, "artifact_name",
                    asig_jb_strings(b, w->depends_names.v, w->depends_names.n));
    asig_jb_put(b, depends, "device_type", devices);
    if (w->depends_groups.n)
        asig_jb_put(b, depends, "artifact_group",
                    asig_jb_strings(b, w->depends_groups.v, w->depends_groups.n));
    asig_jb_put(b, root, "artifact_depends", depends);
    return root;
}

static json_object *type_info(struct asig_jb *b, const struct job *j, size_t index)
{
    const struct wpayload *p = &j->w->payloads[index];
    json_object *root = asig_jb_made(b, json_object_new_object());
    asig_jb_put(b, root, "type", asig_jb_string(b, p->type));
    if (p->depends.n)
        asig_jb_put(b, root, "artifact_depends", kvs_json(b, &p->depends, NULL, NULL));
    char hex[ARTSIG_DIGEST_HEX_LEN + 1] = "";
    if (p->checksum_key) {
        char entry[ENTRY_MAX];
        const uint8_t *digest;
        snprintf(entry, sizeof entry, "data/%04zu/%s", index, p->files[0].name);
        if (artsig_manifest_lookup(&digest, j->manifest, entry) == ARTSIG_OK)
            artsig_digest_to_hex(hex, digest);
        else
            b->failed = true;
    }
    if (p->provides.n || p->checksum_key)
        asig_jb_put(b, root, "artifact_provides",
                    kvs_json(b, &p->provides, p->checksum_key, hex));
    if (p->clears.n)
        asig_jb_put(b, root, "clears_artifact_provides",
                    asig_jb_strings(b, p->clears.v, p->clears.n));
    return root;
}

static json_object *v2_files(struct asig_jb *b, const struct wpayload *p)
{
    json_object *root = asig_jb_made(b, json_object_new_object());
    json_object *names = asig_jb_made(b, json_object_new_array());
    for (size_t i = 0; i < p->n_files; i++)
        asig_jb_push(b, names, asig_jb_string(b, p->files[i].name));
    asig_jb_put(b, root, "files", names);
    return root;
}

/* The members of one payload's section of the header. */
static int add_payload_headers(struct tar *t, const struct job *j, size_t index)
{
    const struct wpayload *p = &j->w->payloads[index];
    char name[sizeof "headers//type-info" + INDEX_MAX];
    struct asig_jb b = {false};
    int rc = ARTSIG_OK;
    if (j->w->version == 2) {
        snprintf(name, sizeof name, "headers/%04zu/files", index);
        rc = add_json(t, &b, name, v2_files(&b, p));
    }
    snprintf(name, sizeof name, "headers/%04zu/type-info", index);
    if (rc == ARTSIG_OK)
        rc = add_json(t, &b, name, type_info(&b, j, index));
    /* mender-artifact writes an empty meta-data for every rootfs image. */
    bool rootfs = p->type && strcmp(p->type, "rootfs-image") == 0;
    snprintf(name, sizeof name, "headers/%04zu/meta-data", index);
    if (rc == ARTSIG_OK && (p->meta_data || rootfs))
        rc = tar_add_mem(t, name, HEADER_PERM, p->meta_data ? p->meta_data : "",
                         p->meta_data ? strlen(p->meta_data) : 0);
    return rc;
}

static int stage_header(struct job *j)
{
    const artsig_writer *w = j->w;
    struct inner in;
    struct asig_jb b = {false};
    int rc = stage_begin(&in, j, j->header_name, ARTSIG_LIMIT_HEADER_TOTAL, true);
    if (rc == ARTSIG_OK)
        rc = add_json(&in.t, &b, "header-info", header_info(&b, w));
    for (size_t i = 0; rc == ARTSIG_OK && i < w->scripts.n; i++) {
        char name[sizeof "scripts/" + ARTSIG_NAME_MAX + 32];
        snprintf(name, sizeof name, "scripts/%s", base_name(w->scripts.v[i]));
        rc = tar_add_file(j, &in.t, name, SCRIPT_PERM, w->scripts.v[i],
                          ARTSIG_LIMIT_HEADER_FILE, NULL);
    }
    for (size_t i = 0; rc == ARTSIG_OK && i < w->n_payloads; i++)
        rc = add_payload_headers(&in.t, j, i);
    if (rc == ARTSIG_OK)
        rc = stage_end(&in, &j->header);
    if (rc == ARTSIG_OK)
        rc = artsig_sha256_final(j->header_digest, j->sha);
    stage_free(&in);
    return rc;
}

/* ---- the artifact ---- */

struct outer {
    struct tar t; /* first: put() is handed the struct tar */
    int fd;       /* -1: the callback */
    artsig_write_cb write;
    void *userdata;
    int stage_fd;
    uint8_t *buf;
    /* While `splicing`, the bytes libarchive passes are a stand-in for
     * staged ones from `splice_from` on, which go straight from the staging
     * file to the output. */
    bool can_splice, splicing;
    off_t splice_from;
    struct asig_writeback wb; /* of `fd` */
};

static int out_emit(struct outer *o, const void *data, size_t len)
{
    if (o->fd >= 0) {
        int err = asig_write_all(o->fd, data, len);
        if (err)
            return asig_fail(ARTSIG_EIO, "writing the artifact: %s", strerror(err));
        asig_writeback_note(&o->wb, len);
        return ARTSIG_OK;
    }
    const uint8_t *p = data;
    while (len) {
        ssize_t n = o->write(p, len, o->userdata);
        if (n <= 0 || (size_t)n > len)
            return asig_fail(ARTSIG_EIO, "writing the artifact: the write callback failed");
        p += n;
        len -= (size_t)n;
    }
    return ARTSIG_OK;
}

/* Errors that say copy_file_range cannot serve these two files. */
static bool splice_unsupported(int err)
{
    return err == EXDEV || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP ||
           err == EBADF || err == ETXTBSY || err == EPERM;
}

static int outer_put(struct tar *t, const void *data, size_t len)
{
    struct outer *o = (struct outer *)t;
    if (!o->splicing)
        return out_emit(o, data, len);
    while (len && o->can_splice) {
        ssize_t n = copy_file_range(o->stage_fd, &o->splice_from, o->fd, NULL, len, 0);
        if (n > 0) {
            len -= (size_t)n;
            asig_writeback_note(&o->wb, (uint64_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || !splice_unsupported(errno))
            return asig_fail(ARTSIG_EIO, "writing the artifact: %s",
                             n == 0 ? "staging file shorter than staged" : strerror(errno));
        o->can_splice = false;
    }
    while (len) {
        size_t n = len < IO_SIZE ? len : IO_SIZE;
        int rc = pread_all(o->stage_fd, o->buf, n, o->splice_from);
        if (rc == ARTSIG_OK)
            rc = out_emit(o, o->buf, n);
        if (rc != ARTSIG_OK)
            return rc;
        o->splice_from += (off_t)n;
        len -= n;
    }
    return ARTSIG_OK;
}

static int tar_add_staged(struct outer *o, const char *name, const struct staged *s)
{
    int rc = tar_begin(&o->t, name, s->len, OUTER_PERM);
    uint64_t at = s->at, left = s->len;
    while (rc == ARTSIG_OK && left) {
        size_t n = left < IO_SIZE ? left : IO_SIZE;
        o->splicing = o->can_splice;
        o->splice_from = (off_t)at;
        if (!o->splicing)
            rc = pread_all(o->stage_fd, o->buf, n, (off_t)at);
        if (rc == ARTSIG_OK)
            rc = tar_data(&o->t, name, o->buf, n);
        /* Had libarchive held the stand-in back, it would write it later. */
        if (rc == ARTSIG_OK && o->splicing && o->splice_from != (off_t)(at + n))
            rc = asig_fail(ARTSIG_EIO, "%s: libarchive did not pass the data through", name);
        o->splicing = false;
        at += n;
        left -= n;
    }
    return rc == ARTSIG_OK ? tar_end(&o->t, name) : rc;
}

static int add_signature(struct outer *o, const artsig_writer *w, const char *manifest,
                         size_t len)
{
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t sig_len;
    char text[ARTSIG_SIGNATURE_B64_MAX];
    int rc = artsig_signer_sign(sig, &sig_len, w->signer, manifest, len);
    if (rc == ARTSIG_OK)
        rc = artsig_signature_encode(text, sig, sig_len);
    return rc == ARTSIG_OK ? tar_add_mem(&o->t, "manifest.sig", OUTER_PERM, text, strlen(text))
                           : rc;
}

static int write_outer(struct job *j, struct outer *o, const char *version)
{
    const artsig_writer *w = j->w;
    char *manifest = NULL;
    size_t manifest_len = 0;
    int rc = artsig_manifest_serialize(&manifest, &manifest_len, j->manifest);
    if (rc == ARTSIG_OK)
        rc = tar_open(&o->t, j->mtime, outer_put);
    if (rc == ARTSIG_OK)
        rc = tar_add_mem(&o->t, "version", OUTER_PERM, version, strlen(version));
    if (rc == ARTSIG_OK)
        rc = tar_add_mem(&o->t, "manifest", OUTER_PERM, manifest, manifest_len);
    if (rc == ARTSIG_OK && w->signer)
        rc = add_signature(o, w, manifest, manifest_len);
    if (rc == ARTSIG_OK)
        rc = tar_add_staged(o, j->header_name, &j->header);
    for (size_t i = 0; rc == ARTSIG_OK && i < w->n_payloads; i++) {
        char name[sizeof "data/.tar.zst" + INDEX_MAX];
        snprintf(name, sizeof name, "data/%04zu.tar%s", i,
                 asig_compression_suffix(w->compression));
        rc = tar_add_staged(o, name, &j->data[i]);
    }
    if (rc == ARTSIG_OK)
        rc = tar_close(&o->t, "artifact");
    tar_free(&o->t);
    artsig_free(manifest);
    return rc;
}

/* The tar entries' time: as set, else SOURCE_DATE_EPOCH, else 0. A malformed
 * SOURCE_DATE_EPOCH is an error, as reproducible-builds.org asks. */
static int entry_mtime(int64_t *out, const artsig_writer *w)
{
    *out = w->mtime;
    const char *s = getenv("SOURCE_DATE_EPOCH");
    if (w->mtime_set || !s || !*s)
        return ARTSIG_OK;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno || v > MTIME_MAX) {
        char shown[ASIG_SHOWN_MAX + 4];
        return asig_fail(ARTSIG_EINVAL, "SOURCE_DATE_EPOCH \"%s\": not a time from 0 to %lld",
                         asig_printable(shown, s, strlen(s)), MTIME_MAX);
    }
    *out = v;
    return ARTSIG_OK;
}

/* An unnamed file where the filesystem has O_TMPFILE, else a named one
 * unlinked at once. */
static int open_staging(struct job *j)
{
    const char *dir = j->w->tmpdir ? j->w->tmpdir : getenv("TMPDIR");
    j->stage_dir = dir && *dir ? dir : "/tmp";
    j->stage_fd = open(j->stage_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (j->stage_fd >= 0)
        return ARTSIG_OK;
    if (errno == EOPNOTSUPP || errno == EISDIR) {
        char *path;
        if (asprintf(&path, "%s/.artsig-XXXXXX", j->stage_dir) < 0)
            return asig_fail(ARTSIG_ENOMEM, "staging file name");
        j->stage_fd = mkostemp(path, O_CLOEXEC);
        if (j->stage_fd >= 0)
            unlink(path);
        free(path);
        if (j->stage_fd >= 0)
            return ARTSIG_OK;
    }
    return asig_fail(ARTSIG_EIO, "staging in %s: %s", j->stage_dir, strerror(errno));
}

static int job_start(struct job *j)
{
    int rc = entry_mtime(&j->mtime, j->w);
    if (rc != ARTSIG_OK)
        return rc;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    j->threads = j->w->threads ? j->w->threads : cpus > 0 ? (unsigned)cpus : 1;
    snprintf(j->header_name, sizeof j->header_name, "header.tar%s",
             asig_compression_suffix(j->w->compression));
    j->buf = malloc(IO_SIZE);
    j->data = calloc(j->w->n_payloads, sizeof *j->data);
    if (!j->buf || !j->data)
        return asig_fail(ARTSIG_ENOMEM, "writer buffers");
    rc = artsig_sha256_new(&j->sha);
    if (rc == ARTSIG_OK)
        rc = artsig_manifest_new(&j->manifest);
    return rc == ARTSIG_OK ? open_staging(j) : rc;
}

static void job_end(struct job *j)
{
    if (j->stage_fd >= 0)
        close(j->stage_fd);
    free(j->buf);
    free(j->data);
    artsig_sha256_free(j->sha);
    artsig_manifest_free(j->manifest);
}

/* `version`: the version member, whose digest the manifest lists. */
static int version_text(char **out, const artsig_writer *w)
{
    struct asig_jb b = {false};
    json_object *root = asig_jb_made(&b, json_object_new_object());
    asig_jb_put(&b, root, "format", asig_jb_string(&b, "mender"));
    asig_jb_put(&b, root, "version", asig_jb_made(&b, json_object_new_int(w->version)));
    const char *text = b.failed ? NULL : json_object_to_json_string_ext(root, JSON_FLAGS);
    *out = text ? strdup(text) : NULL;
    json_object_put(root);
    return *out ? ARTSIG_OK : asig_fail(ARTSIG_ENOMEM, "version");
}

static int write_artifact(artsig_writer *w, struct outer *o)
{
    struct job j = {.w = w, .stage_fd = -1};
    char *version = NULL;
    int rc = check_description(w);
    if (rc == ARTSIG_OK)
        rc = job_start(&j);
    for (size_t i = 0; rc == ARTSIG_OK && i < w->n_payloads; i++)
        rc = stage_payload(&j, i);
    if (rc == ARTSIG_OK)
        rc = stage_header(&j);
    if (rc == ARTSIG_OK)
        rc = version_text(&version, w);
    uint8_t digest[ARTSIG_DIGEST_LEN];
    if (rc == ARTSIG_OK)
        rc = artsig_sha256(digest, version, strlen(version));
    if (rc == ARTSIG_OK)
        rc = artsig_manifest_add(j.manifest, "version", digest);
    if (rc == ARTSIG_OK)
        rc = artsig_manifest_add(j.manifest, j.header_name, j.header_digest);
    if (rc == ARTSIG_OK) {
        o->stage_fd = j.stage_fd;
        o->buf = j.buf;
        rc = write_outer(&j, o, version);
    }
    free(version);
    job_end(&j);
    return rc;
}

int artsig_writer_write_fd(artsig_writer *w, int fd)
{
    if (!w || fd < 0)
        return asig_fail(ARTSIG_EINVAL, "artsig_writer_write_fd: %s",
                         w ? "negative file descriptor" : "NULL argument");
    struct stat st;
    struct outer o = {.fd = fd, .can_splice = fstat(fd, &st) == 0 && S_ISREG(st.st_mode),
                      .wb = {.fd = fd}};
    return write_artifact(w, &o);
}

int artsig_writer_write_cb(artsig_writer *w, artsig_write_cb write, void *userdata)
{
    if (!w || !write)
        return asig_fail(ARTSIG_EINVAL, "artsig_writer_write_cb: NULL argument");
    struct outer o = {.fd = -1, .write = write, .userdata = userdata};
    return write_artifact(w, &o);
}
