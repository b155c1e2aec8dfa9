/* The facts of one artifact: built by the reader through info_internal.h, in
 * stream order, and read through the artsig_info_* accessors. The header
 * grammar and every header JSON document are checked here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "info_internal.h"
#include "json_strict.h"
#include "json_text.h"

struct provide {
    char *key, *value;
};

struct depend {
    char *key;
    char **values;
    size_t count;
};

/* What a type-info declares, or the artifact-level part of header-info.
 * Entries are sorted by key. */
struct typeinfo {
    struct provide *provides;
    size_t n_provides;
    struct depend *depends;
    size_t n_depends;
    char **clears;
    size_t n_clears;
};

struct payload {
    char *type; /* NULL for the empty payload of a bootstrap artifact */
    bool has_type_info;
    struct typeinfo ti;
    char *meta_data; /* compact JSON; NULL when absent or empty */
    /* header.tar's headers/NNNN/type-info and meta-data as they were
     * (meta_raw NULL when there is no meta-data member). */
    uint8_t *type_info_raw, *meta_raw;
    size_t type_info_len, meta_len;
    /* What header-augment adds: outside the signature, so kept apart and
     * never merged into what the signed header says. */
    bool augmented;
    struct typeinfo aug;
    char *aug_meta_data;
};

/* A payload file listed in the manifest or in manifest-augment. */
struct file {
    size_t payload;
    char *name; /* FILE of data/NNNN/FILE */
    uint8_t digest[ARTSIG_DIGEST_LEN];
    int64_t size; /* -1 until the reader saw all of it */
    bool augmented;
};

struct script {
    char *name; /* without "scripts/" */
    uint8_t *data;
    size_t len;
};

enum kind { K_NONE, K_HEADER_INFO, K_SCRIPT, K_FILES, K_TYPE_INFO, K_META_DATA };

/* How far the member order of one header tar got. */
struct header_pos {
    bool any;         /* a member was accepted (so header-info came first) */
    bool sections;    /* a headers/NNNN/ member was accepted */
    enum kind last;   /* the last member accepted ... */
    size_t last_index; /* ... and its NNNN */
    size_t next_index; /* lowest NNNN a new payload section may have */
};

/* Outer members: version, manifest, manifest.sig, manifest-augment, header,
 * header-augment, then one data member per payload. */
#define MAX_MEMBERS (ARTSIG_LIMIT_PAYLOADS + 6)

struct artsig_info {
    int version;
    char **members;
    size_t n_members;
    uint8_t *manifest_raw;
    size_t manifest_len;
    artsig_manifest *manifest, *augment;
    artsig_sig_state sig;
    long key_index;
    bool augmented;

    bool have_header_info;
    uint8_t *header_info_raw; /* header.tar's header-info as it was */
    size_t header_info_len;
    char *name, *group;
    char **device_types;
    size_t n_device_types;
    struct typeinfo artifact;
    struct payload *payloads;
    size_t n_payloads;
    struct script *scripts; /* sorted by name */
    size_t n_scripts;
    struct file *files; /* sorted by payload, then name */
    size_t n_files;
    struct header_pos pos[2]; /* header.tar, header-augment.tar */
    size_t json_values;        /* in the header JSON files read so far */

    json_object *json; /* the document artsig_info_json() returned last */
};

/* Error details name the file: "header-augment.tar: " and a shown name, then
 * the place inside it. */
#define WHAT_MAX (sizeof "header-augment.tar: " + ASIG_SHOWN_MAX + 4)
#define SUB_MAX (WHAT_MAX + 40)

/* ---- small helpers ---- */

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void typeinfo_clear(struct typeinfo *ti)
{
    for (size_t i = 0; i < ti->n_provides; i++) {
        free(ti->provides[i].key);
        free(ti->provides[i].value);
    }
    free(ti->provides);
    for (size_t i = 0; i < ti->n_depends; i++) {
        free(ti->depends[i].key);
        free_strings(ti->depends[i].values, ti->depends[i].count);
    }
    free(ti->depends);
    free_strings(ti->clears, ti->n_clears);
    memset(ti, 0, sizeof *ti);
}

static char *dup_string(const char *s)
{
    char *d = strdup(s);
    if (!d)
        asig_fail(ARTSIG_ENOMEM, "copying a header string");
    return d;
}

/* ---- strict JSON input ---- */

int asig_json_parse(json_object **out, const char *what, const uint8_t *data, size_t len)
{
    static const struct asig_json_limits limits = {
        .max_depth = ARTSIG_LIMIT_JSON_DEPTH,
        .max_values = ARTSIG_LIMIT_JSON_VALUES,
    };
    static const int status[] = {
        [ASIG_JSON_OK] = ARTSIG_OK,
        [ASIG_JSON_EFORMAT] = ARTSIG_EFORMAT,
        [ASIG_JSON_ELIMIT] = ARTSIG_ELIMIT,
        [ASIG_JSON_ENOMEM] = ARTSIG_ENOMEM,
    };
    char why[256];
    enum asig_json_verdict verdict = asig_json_strict_parse(out, data, len, &limits, why,
                                                            sizeof why);
    return verdict == ASIG_JSON_OK ? ARTSIG_OK : asig_fail(status[verdict], "%s: %s", what, why);
}

static const char *type_phrase(json_type t)
{
    switch (t) {
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    default:
        return "a value of another type";
    }
}

/* Member `key` of `obj`, which must be of type `t`; *out = NULL when it is
 * absent and not required. */
static int field(json_object **out, json_object *obj, const char *key, json_type t,
                 bool required, const char *what)
{
    *out = NULL;
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v))
        return required ? asig_fail(ARTSIG_EFORMAT, "%s: \"%s\" is missing", what, key)
                        : ARTSIG_OK;
    if (!json_object_is_type(v, t))
        return asig_fail(ARTSIG_EFORMAT, "%s: \"%s\" must be %s", what, key, type_phrase(t));
    *out = v;
    return ARTSIG_OK;
}

static int expect_object(json_object *obj, const char *what)
{
    if (!json_object_is_type(obj, json_type_object))
        return asig_fail(ARTSIG_EFORMAT, "%s: must be a JSON object", what);
    return ARTSIG_OK;
}

/* The JSON field names of the structs the Go reference decodes header
 * objects into (mender-artifact's HeaderInfoV3, UpdateType, ArtifactProvides,
 * ArtifactDepends, TypeInfoV3, HeaderInfo and Files). */
static const char *const header_info_v3_fields[] = {"payloads", "artifact_provides",
                                                    "artifact_depends"};
static const char *const header_info_v2_fields[] = {"updates", "device_types_compatible",
                                                    "artifact_name"};
static const char *const update_type_fields[] = {"type"};
static const char *const artifact_provides_fields[] = {"artifact_name", "artifact_group"};
static const char *const artifact_depends_fields[] = {"artifact_name", "device_type",
                                                      "artifact_group"};
static const char *const type_info_fields[] = {"type", "artifact_depends", "artifact_provides",
                                               "clears_artifact_provides"};
static const char *const files_fields[] = {"files"};
#define GO_FIELDS(names) names, sizeof names / sizeof names[0]

/* An object Go decodes into a struct: Go takes any spelling of a field name
 * that folds to it ("Payloads" for "payloads"), which artsig would not read,
 * so such a key is refused. */
static int expect_go_struct(json_object *obj, const char *what, const char *const *fields,
                            size_t n)
{
    int rc = expect_object(obj, what);
    const char *expected,
        *key = rc == ARTSIG_OK ? asig_json_misspelt_field(obj, fields, n, &expected) : NULL;
    if (!key)
        return rc;
    char shown[ASIG_SHOWN_MAX + 4];
    return asig_fail(ARTSIG_EFORMAT, "%s: key \"%s\" must be spelt \"%s\"", what,
                     asig_printable(shown, key, strlen(key)), expected);
}

/* A key outside the format where the Go reference would not read it as we
 * do: mender-artifact decodes a v3 header-info (and its augment) with unknown
 * fields disallowed, so the artifact fails there; and its v2 type-info has
 * "type" alone, so provides or depends there would bind only us. */
static int expect_known_keys(json_object *obj, const char *what, const char *const *fields,
                             size_t n)
{
    json_object_object_foreach(obj, key, value) {
        (void)value;
        size_t i = 0;
        while (i < n && strcmp(key, fields[i]) != 0)
            i++;
        if (i == n) {
            char shown[ASIG_SHOWN_MAX + 4];
            return asig_fail(ARTSIG_EFORMAT, "%s: key \"%s\" is not part of this file's format",
                             what, asig_printable(shown, key, strlen(key)));
        }
    }
    return ARTSIG_OK;
}

/* A header file that must hold one JSON object: asig_json_parse, then
 * expect_go_struct (n = 0 for a free-form object). On success the caller
 * puts *out; on failure it is NULL.
 *
 * All the header JSON files of an artifact share ARTSIG_LIMIT_JSON_VALUES:
 * artsig_info_json() holds every meta-data as a tree at once, and an empty
 * object costs json-c about 800 bytes. */
static int parse_object(artsig_info *info, json_object **out, const char *what,
                        const uint8_t *data, size_t len, const char *const *fields, size_t n)
{
    *out = NULL;
    size_t values = asig_json_text_values(data, len);
    if (values > ARTSIG_LIMIT_JSON_VALUES - info->json_values)
        return asig_fail(ARTSIG_ELIMIT, "%s: the header JSON files hold more than %d values",
                         what, ARTSIG_LIMIT_JSON_VALUES);
    info->json_values += values;
    int rc = asig_json_parse(out, what, data, len);
    if (rc == ARTSIG_OK)
        rc = expect_go_struct(*out, what, fields, n);
    if (rc != ARTSIG_OK) {
        json_object_put(*out);
        *out = NULL;
    }
    return rc;
}

/* An array of strings, copied. */
static int string_list(char ***out, size_t *count, json_object *arr, const char *what,
                       const char *key)
{
    size_t n = json_object_array_length(arr);
    char **v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return asig_fail(ARTSIG_ENOMEM, "%s: \"%s\"", what, key);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(e, json_type_string)) {
            free_strings(v, i);
            char shown[ASIG_SHOWN_MAX + 4];
            return asig_fail(ARTSIG_EFORMAT, "%s: \"%s\" must hold only strings", what,
                             asig_printable(shown, key, strlen(key)));
        }
        if (!(v[i] = dup_string(json_object_get_string(e)))) {
            free_strings(v, i);
            return ARTSIG_ENOMEM;
        }
    }
    *out = v;
    *count = n;
    return ARTSIG_OK;
}

static int cmp_provide(const void *a, const void *b)
{
    return strcmp(((const struct provide *)a)->key, ((const struct provide *)b)->key);
}

static int cmp_depend(const void *a, const void *b)
{
    return strcmp(((const struct depend *)a)->key, ((const struct depend *)b)->key);
}

/* Appending keeps *ti consistent at every step, so a failure halfway is
 * cleaned up by typeinfo_clear() alone. */
static int add_provide(struct typeinfo *ti, const char *key, const char *value)
{
    struct provide *v = realloc(ti->provides, (ti->n_provides + 1) * sizeof *v);
    if (!v)
        return asig_fail(ARTSIG_ENOMEM, "provides");
    ti->provides = v;
    struct provide *p = &v[ti->n_provides];
    p->key = dup_string(key);
    p->value = dup_string(value);
    if (!p->key || !p->value) {
        free(p->key);
        free(p->value);
        return ARTSIG_ENOMEM;
    }
    ti->n_provides++;
    return ARTSIG_OK;
}

/* `value` is a string (a list of one) or an array of strings. */
static int add_depend(struct typeinfo *ti, const char *key, json_object *value,
                      const char *what)
{
    struct depend *v = realloc(ti->depends, (ti->n_depends + 1) * sizeof *v);
    if (!v)
        return asig_fail(ARTSIG_ENOMEM, "depends");
    ti->depends = v;
    struct depend *d = &v[ti->n_depends];
    *d = (struct depend){0};
    int rc = ARTSIG_OK;
    if (json_object_is_type(value, json_type_string)) {
        d->values = malloc(sizeof *d->values);
        if (d->values && (d->values[0] = strdup(json_object_get_string(value))))
            d->count = 1;
        else
            rc = asig_fail(ARTSIG_ENOMEM, "depends");
    } else if (json_object_is_type(value, json_type_array)) {
        rc = string_list(&d->values, &d->count, value, what, key);
    } else {
        char shown[ASIG_SHOWN_MAX + 4];
        rc = asig_fail(ARTSIG_EFORMAT, "%s: depends \"%s\" must be a string or strings", what,
                       asig_printable(shown, key, strlen(key)));
    }
    if (rc == ARTSIG_OK && !(d->key = dup_string(key)))
        rc = ARTSIG_ENOMEM;
    if (rc != ARTSIG_OK) {
        free_strings(d->values, d->count);
        return rc;
    }
    ti->n_depends++;
    return ARTSIG_OK;
}

static int parse_provides(struct typeinfo *ti, json_object *obj, const char *what)
{
    json_object_object_foreach(obj, key, value)
    {
        char shown[ASIG_SHOWN_MAX + 4];
        if (!json_object_is_type(value, json_type_string))
            return asig_fail(ARTSIG_EFORMAT, "%s: provides \"%s\" must be a string", what,
                             asig_printable(shown, key, strlen(key)));
        int rc = add_provide(ti, key, json_object_get_string(value));
        if (rc != ARTSIG_OK)
            return rc;
    }
    if (ti->n_provides)
        qsort(ti->provides, ti->n_provides, sizeof *ti->provides, cmp_provide);
    return ARTSIG_OK;
}

static int parse_depends(struct typeinfo *ti, json_object *obj, const char *what)
{
    json_object_object_foreach(obj, key, value)
    {
        int rc = add_depend(ti, key, value, what);
        if (rc != ARTSIG_OK)
            return rc;
    }
    if (ti->n_depends)
        qsort(ti->depends, ti->n_depends, sizeof *ti->depends, cmp_depend);
    return ARTSIG_OK;
}

/* "type" of a header-info payload entry or of a type-info: a string, or null
 * for a bootstrap artifact. mender-artifact 3.3-4.3 writes "" for
 * rootfs-image; that is normalised here so that both spellings compare
 * equal. *out = NULL for null. */
static int payload_type(char **out, json_object *obj, const char *what)
{
    *out = NULL;
    json_object *t;
    if (!json_object_object_get_ex(obj, "type", &t))
        return asig_fail(ARTSIG_EFORMAT, "%s: \"type\" is missing", what);
    if (!t)
        return ARTSIG_OK;
    if (!json_object_is_type(t, json_type_string))
        return asig_fail(ARTSIG_EFORMAT, "%s: \"type\" must be a string or null", what);
    const char *s = json_object_get_string(t);
    char shown[ASIG_SHOWN_MAX + 4];
    /* The type names the update module the client runs: a file name. */
    if (*s && !artsig_payload_name_valid(s, strlen(s)))
        return asig_fail(ARTSIG_EFORMAT, "%s: type \"%s\" is not a valid update module name",
                         what, asig_printable(shown, s, strlen(s)));
    *out = dup_string(*s ? s : "rootfs-image");
    return *out ? ARTSIG_OK : ARTSIG_ENOMEM;
}

static bool same_type(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* ---- header-info ---- */

static int set_payloads(artsig_info *info, json_object *list, const char *what, const char *key)
{
    size_t n = json_object_array_length(list);
    if (n == 0)
        return asig_fail(ARTSIG_EFORMAT, "%s: \"%s\" is empty", what, key);
    if (n > ARTSIG_LIMIT_PAYLOADS)
        return asig_fail(ARTSIG_ELIMIT, "%s: %zu payloads, more than %d", what, n,
                         ARTSIG_LIMIT_PAYLOADS);
    if (!(info->payloads = calloc(n, sizeof *info->payloads)))
        return asig_fail(ARTSIG_ENOMEM, "%s: %zu payloads", what, n);
    info->n_payloads = n;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(list, i);
        char entry[SUB_MAX];
        snprintf(entry, sizeof entry, "%s: %s[%zu]", what, key, i);
        int rc = expect_go_struct(e, entry, GO_FIELDS(update_type_fields));
        if (rc == ARTSIG_OK)
            rc = payload_type(&info->payloads[i].type, e, entry);
        if (rc != ARTSIG_OK)
            return rc;
    }
    return ARTSIG_OK;
}

static int set_name(artsig_info *info, json_object *name, const char *what, const char *key)
{
    const char *s = json_object_get_string(name);
    if (!*s)
        return asig_fail(ARTSIG_EFORMAT, "%s: \"%s\" is empty", what, key);
    if (!(info->name = dup_string(s)))
        return ARTSIG_ENOMEM;
    return add_provide(&info->artifact, "artifact_name", s);
}

static int set_device_types(artsig_info *info, json_object *list, const char *what,
                            const char *key)
{
    if (json_object_array_length(list) == 0)
        return asig_fail(ARTSIG_EFORMAT, "%s: \"%s\" is empty", what, key);
    int rc = string_list(&info->device_types, &info->n_device_types, list, what, key);
    if (rc == ARTSIG_OK)
        rc = add_depend(&info->artifact, "device_type", list, what);
    return rc;
}

static int header_info_v3(artsig_info *info, json_object *root, const char *what)
{
    json_object *payloads, *provides, *depends, *name, *group, *list;
    char sub[SUB_MAX];
    int rc = field(&payloads, root, "payloads", json_type_array, true, what);
    if (rc == ARTSIG_OK)
        rc = field(&provides, root, "artifact_provides", json_type_object, true, what);
    if (rc == ARTSIG_OK)
        rc = field(&depends, root, "artifact_depends", json_type_object, true, what);
    if (rc == ARTSIG_OK)
        rc = set_payloads(info, payloads, what, "payloads");
    if (rc != ARTSIG_OK)
        return rc;

    snprintf(sub, sizeof sub, "%s: artifact_provides", what);
    rc = expect_go_struct(provides, sub, GO_FIELDS(artifact_provides_fields));
    if (rc == ARTSIG_OK)
        rc = field(&name, provides, "artifact_name", json_type_string, true, sub);
    if (rc == ARTSIG_OK)
        rc = set_name(info, name, sub, "artifact_name");
    if (rc == ARTSIG_OK)
        rc = field(&group, provides, "artifact_group", json_type_string, false, sub);
    /* An empty group is no group, as for the Go reference (omitempty). */
    if (rc == ARTSIG_OK && group && *json_object_get_string(group)) {
        if (!(info->group = dup_string(json_object_get_string(group))))
            return ARTSIG_ENOMEM;
        rc = add_provide(&info->artifact, "artifact_group", info->group);
    }
    if (rc != ARTSIG_OK)
        return rc;

    snprintf(sub, sizeof sub, "%s: artifact_depends", what);
    rc = expect_go_struct(depends, sub, GO_FIELDS(artifact_depends_fields));
    if (rc == ARTSIG_OK)
        rc = field(&list, depends, "device_type", json_type_array, true, sub);
    if (rc == ARTSIG_OK)
        rc = set_device_types(info, list, sub, "device_type");
    static const char *const optional[] = {"artifact_name", "artifact_group"};
    for (size_t i = 0; rc == ARTSIG_OK && i < 2; i++) {
        rc = field(&list, depends, optional[i], json_type_array, false, sub);
        if (rc == ARTSIG_OK && list)
            rc = add_depend(&info->artifact, optional[i], list, sub);
    }
    if (rc == ARTSIG_OK)
        qsort(info->artifact.depends, info->artifact.n_depends, sizeof *info->artifact.depends,
              cmp_depend);
    if (rc == ARTSIG_OK)
        qsort(info->artifact.provides, info->artifact.n_provides,
              sizeof *info->artifact.provides, cmp_provide);
    return rc;
}

static int header_info_v2(artsig_info *info, json_object *root, const char *what)
{
    json_object *name, *updates, *devices;
    int rc = field(&name, root, "artifact_name", json_type_string, true, what);
    if (rc == ARTSIG_OK)
        rc = field(&updates, root, "updates", json_type_array, true, what);
    if (rc == ARTSIG_OK)
        rc = field(&devices, root, "device_types_compatible", json_type_array, true, what);
    if (rc == ARTSIG_OK)
        rc = set_name(info, name, what, "artifact_name");
    if (rc == ARTSIG_OK)
        rc = set_device_types(info, devices, what, "device_types_compatible");
    if (rc == ARTSIG_OK)
        rc = set_payloads(info, updates, what, "updates");
    return rc;
}

/* header-augment's header-info may only repeat the signed payload types
 * ("" or null: no override). Letting unsigned data change a type would let it
 * pick the update module that runs as root, so a change is refused. */
static int augment_header_info(const artsig_info *info, json_object *root, const char *what)
{
    json_object *list;
    int rc = field(&list, root, "payloads", json_type_array, false, what);
    if (rc != ARTSIG_OK || !list)
        return rc;
    if (json_object_array_length(list) != info->n_payloads)
        return asig_fail(ARTSIG_EFORMAT, "%s: %zu payloads, the signed header has %zu", what,
                         json_object_array_length(list), info->n_payloads);
    for (size_t i = 0; i < info->n_payloads; i++) {
        json_object *e = json_object_array_get_idx(list, i), *t = NULL;
        char entry[SUB_MAX];
        snprintf(entry, sizeof entry, "%s: payloads[%zu]", what, i);
        rc = expect_go_struct(e, entry, GO_FIELDS(update_type_fields));
        if (rc != ARTSIG_OK)
            return rc;
        if (json_object_object_get_ex(e, "type", &t) && t &&
            !json_object_is_type(t, json_type_string))
            return asig_fail(ARTSIG_EFORMAT, "%s: \"type\" must be a string or null", entry);
        const char *s = t ? json_object_get_string(t) : "";
        char shown[ASIG_SHOWN_MAX + 4];
        if (*s && !same_type(s, info->payloads[i].type))
            return asig_fail(ARTSIG_EFORMAT, "%s: type \"%s\" differs from the signed \"%s\"",
                             entry, asig_printable(shown, s, strlen(s)),
                             info->payloads[i].type ? info->payloads[i].type : "null");
    }
    return ARTSIG_OK;
}

static int header_info(artsig_info *info, int augment, const char *what, const uint8_t *data,
                       size_t len)
{
    json_object *root;
    int rc = !augment && info->version == 2
                 ? parse_object(info, &root, what, data, len, GO_FIELDS(header_info_v2_fields))
                 : parse_object(info, &root, what, data, len, GO_FIELDS(header_info_v3_fields));
    if (rc == ARTSIG_OK && (augment || info->version != 2))
        rc = expect_known_keys(root, what, GO_FIELDS(header_info_v3_fields));
    if (rc != ARTSIG_OK) {
        json_object_put(root);
        return rc;
    }
    if (augment)
        rc = augment_header_info(info, root, what);
    else if (info->version == 2)
        rc = header_info_v2(info, root, what);
    else
        rc = header_info_v3(info, root, what);
    json_object_put(root);
    if (rc == ARTSIG_OK && !augment)
        info->have_header_info = true;
    return rc;
}

/* ---- payload headers ---- */

static int type_info(artsig_info *info, int augment, size_t index, const char *what,
                     const uint8_t *data, size_t len)
{
    struct payload *p = &info->payloads[index];
    json_object *root, *v;
    struct typeinfo ti = {0};
    char *type = NULL;
    int rc = parse_object(info, &root, what, data, len, GO_FIELDS(type_info_fields));
    if (rc == ARTSIG_OK && !augment && info->version == 2)
        rc = expect_known_keys(root, what, GO_FIELDS(update_type_fields));
    if (rc == ARTSIG_OK)
        rc = payload_type(&type, root, what);
    if (rc == ARTSIG_OK && !same_type(type, p->type))
        rc = asig_fail(ARTSIG_EFORMAT, "%s: type \"%s\" differs from header-info's \"%s\"",
                       what, type ? type : "null", p->type ? p->type : "null");
    if (rc == ARTSIG_OK)
        rc = field(&v, root, "artifact_provides", json_type_object, false, what);
    if (rc == ARTSIG_OK && v)
        rc = parse_provides(&ti, v, what);
    if (rc == ARTSIG_OK)
        rc = field(&v, root, "artifact_depends", json_type_object, false, what);
    if (rc == ARTSIG_OK && v)
        rc = parse_depends(&ti, v, what);
    if (rc == ARTSIG_OK)
        rc = field(&v, root, "clears_artifact_provides", json_type_array, false, what);
    if (rc == ARTSIG_OK && v)
        rc = string_list(&ti.clears, &ti.n_clears, v, what, "clears_artifact_provides");
    json_object_put(root);
    free(type);
    if (rc != ARTSIG_OK) {
        typeinfo_clear(&ti);
        return rc;
    }
    if (augment) {
        p->aug = ti;
        p->augmented = true;
    } else {
        p->ti = ti;
        p->has_type_info = true;
    }
    return ARTSIG_OK;
}

/* An empty file (as mender-artifact writes for rootfs-image) or an object. */
static int meta_data(artsig_info *info, int augment, size_t index, const char *what,
                     const uint8_t *data, size_t len)
{
    if (len == 0)
        return ARTSIG_OK;
    json_object *root;
    int rc = parse_object(info, &root, what, data, len, NULL, 0);
    if (rc != ARTSIG_OK)
        return rc;
    const char *text = json_object_to_json_string_ext(
        root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *copy = text ? dup_string(text) : NULL;
    if (!copy)
        rc = asig_fail(ARTSIG_ENOMEM, "%s", what);
    else if (augment)
        info->payloads[index].aug_meta_data = copy;
    else
        info->payloads[index].meta_data = copy;
    json_object_put(root);
    return rc;
}

/* Index of the first file of `payload` (or where it would be). */
static size_t first_file(const artsig_info *info, size_t payload)
{
    size_t lo = 0, hi = info->n_files;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (info->files[mid].payload < payload)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Files of `payload` (a declared one, so payload + 1 cannot wrap) in
 * info->files: [*begin, *end). */
static void file_range(size_t *begin, size_t *end, const artsig_info *info, size_t payload)
{
    *begin = first_file(info, payload);
    *end = first_file(info, payload + 1);
}

static const char *file_name(const void *info, size_t i)
{
    return ((const artsig_info *)info)->files[i].name;
}

static bool lookup_file(size_t *pos, const artsig_info *info, size_t payload, const char *name)
{
    size_t lo, hi;
    file_range(&lo, &hi, info, payload);
    return asig_find_name(pos, info, lo, hi, file_name, name);
}

/* Version 2's headers/NNNN/files, {"files":[names]}: must name exactly the
 * payload's files of the manifest. */
static int v2_files(artsig_info *info, size_t index, const char *what,
                    const uint8_t *data, size_t len)
{
    json_object *root, *list;
    int rc = parse_object(info, &root, what, data, len, GO_FIELDS(files_fields));
    if (rc != ARTSIG_OK)
        return rc;
    rc = field(&list, root, "files", json_type_array, true, what);
    size_t begin, end;
    file_range(&begin, &end, info, index);
    size_t n = rc == ARTSIG_OK ? json_object_array_length(list) : 0;
    bool *seen = rc == ARTSIG_OK ? calloc(end - begin + 1, sizeof *seen) : NULL;
    if (rc == ARTSIG_OK && !seen)
        rc = asig_fail(ARTSIG_ENOMEM, "%s", what);
    for (size_t i = 0; rc == ARTSIG_OK && i < n; i++) {
        json_object *e = json_object_array_get_idx(list, i);
        size_t pos;
        char shown[ASIG_SHOWN_MAX + 4];
        if (!json_object_is_type(e, json_type_string))
            rc = asig_fail(ARTSIG_EFORMAT, "%s: \"files\" must hold only strings", what);
        else if (!lookup_file(&pos, info, index, json_object_get_string(e)))
            rc = asig_fail(ARTSIG_EFORMAT, "%s: \"%s\" is not in the manifest", what,
                           asig_printable(shown, json_object_get_string(e),
                                          (size_t)json_object_get_string_len(e)));
        else if (seen[pos - begin])
            rc = asig_fail(ARTSIG_EFORMAT, "%s: \"%s\" is named twice", what,
                           info->files[pos].name);
        else
            seen[pos - begin] = true;
    }
    if (rc == ARTSIG_OK && n != end - begin)
        rc = asig_fail(ARTSIG_EFORMAT, "%s: names %zu files, the manifest lists %zu", what, n,
                       end - begin);
    free(seen);
    json_object_put(root);
    return rc;
}

/* ---- scripts ---- */

static int add_script(artsig_info *info, const char *name, const char *what,
                      const uint8_t *data, size_t len)
{
    if (!asig_script_name_valid(name))
        return asig_fail(ARTSIG_EFORMAT,
                         "%s: not a state script name (<State>_<Enter|Leave|Error>_NN[_name])",
                         what);
    if (info->n_scripts == ARTSIG_LIMIT_SCRIPTS)
        return asig_fail(ARTSIG_ELIMIT, "%s: more than %d state scripts", what,
                         ARTSIG_LIMIT_SCRIPTS);
    size_t pos = 0;
    while (pos < info->n_scripts && strcmp(info->scripts[pos].name, name) < 0)
        pos++;
    if (pos < info->n_scripts && strcmp(info->scripts[pos].name, name) == 0)
        return asig_fail(ARTSIG_EFORMAT, "%s: repeated", what);
    struct script *v = realloc(info->scripts, (info->n_scripts + 1) * sizeof *v);
    if (!v)
        return asig_fail(ARTSIG_ENOMEM, "%s", what);
    info->scripts = v;
    struct script s = {dup_string(name), malloc(len ? len : 1), len};
    if (!s.name || !s.data) {
        free(s.name);
        free(s.data);
        return asig_fail(ARTSIG_ENOMEM, "%s", what);
    }
    if (len)
        memcpy(s.data, data, len);
    memmove(v + pos + 1, v + pos, (info->n_scripts - pos) * sizeof *v);
    v[pos] = s;
    info->n_scripts++;
    return ARTSIG_OK;
}

/* ---- header grammar ---- */

static enum kind classify(const char *name, size_t *index)
{
    *index = 0;
    if (strcmp(name, "header-info") == 0)
        return K_HEADER_INFO;
    if (strncmp(name, "scripts/", 8) == 0)
        return K_SCRIPT;
    if (strncmp(name, "headers/", 8) != 0)
        return K_NONE;
    for (size_t i = 8; i < 12; i++) {
        if (!is_digit(name[i]))
            return K_NONE;
        *index = *index * 10 + (size_t)(name[i] - '0');
    }
    if (name[12] != '/')
        return K_NONE;
    const char *rest = name + 13;
    if (strcmp(rest, "files") == 0)
        return K_FILES;
    if (strcmp(rest, "type-info") == 0)
        return K_TYPE_INFO;
    if (strcmp(rest, "meta-data") == 0)
        return K_META_DATA;
    return K_NONE;
}

/* Accept `name` as the next member of header.tar (augment = 0) or
 * header-augment.tar: header-info, scripts (header.tar only), then per
 * payload in ascending index order [files (version 2)], type-info,
 * [meta-data]. */
static int accept_member(artsig_info *info, int augment, const char *name, const char *what,
                         enum kind *kind, size_t *index)
{
    static const enum kind v2_steps[] = {K_FILES, K_TYPE_INFO, K_META_DATA};
    static const enum kind v3_steps[] = {K_TYPE_INFO, K_META_DATA};
    bool v2 = !augment && info->version == 2;
    const enum kind *steps = v2 ? v2_steps : v3_steps;
    size_t n_steps = v2 ? 3 : 2, step = n_steps;
    struct header_pos *pos = &info->pos[augment];

    *kind = classify(name, index);
    for (size_t i = 0; i < n_steps; i++)
        if (steps[i] == *kind)
            step = i;
    bool known = *kind == K_HEADER_INFO || (*kind == K_SCRIPT && !augment) || step < n_steps;
    if (!known)
        return asig_fail(ARTSIG_EFORMAT, "%s: unexpected member", what);

    bool in_order;
    if (*kind == K_HEADER_INFO)
        in_order = !pos->any;
    else if (*kind == K_SCRIPT)
        in_order = pos->any && !pos->sections;
    else if (step == 0)
        in_order = pos->any && *index >= pos->next_index;
    else
        in_order = pos->last == steps[step - 1] && pos->last_index == *index;
    if (!in_order)
        return asig_fail(ARTSIG_EFORMAT, "%s: out of order or repeated", what);
    if (step < n_steps && *index >= info->n_payloads)
        return asig_fail(ARTSIG_EFORMAT, "%s: header-info declares %zu payload%s", what,
                         info->n_payloads, info->n_payloads == 1 ? "" : "s");

    pos->any = true;
    pos->last = *kind;
    pos->last_index = *index;
    if (step < n_steps)
        pos->sections = true;
    if (step == 0)
        pos->next_index = *index + 1;
    return ARTSIG_OK;
}

/* ---- the contract with the reader ---- */

int asig_info_new(artsig_info **out)
{
    if (!out)
        return asig_fail(ARTSIG_EINVAL, "asig_info_new: NULL argument");
    *out = calloc(1, sizeof **out);
    if (!*out)
        return asig_fail(ARTSIG_ENOMEM, "artifact info");
    (*out)->key_index = -1;
    return ARTSIG_OK;
}

void asig_info_free(artsig_info *info)
{
    if (!info)
        return;
    free_strings(info->members, info->n_members);
    free(info->manifest_raw);
    free(info->header_info_raw);
    artsig_manifest_free(info->manifest);
    artsig_manifest_free(info->augment);
    free(info->name);
    free(info->group);
    free_strings(info->device_types, info->n_device_types);
    typeinfo_clear(&info->artifact);
    for (size_t i = 0; i < info->n_payloads; i++) {
        struct payload *p = &info->payloads[i];
        free(p->type);
        typeinfo_clear(&p->ti);
        free(p->meta_data);
        free(p->type_info_raw);
        free(p->meta_raw);
        typeinfo_clear(&p->aug);
        free(p->aug_meta_data);
    }
    free(info->payloads);
    for (size_t i = 0; i < info->n_scripts; i++) {
        free(info->scripts[i].name);
        free(info->scripts[i].data);
    }
    free(info->scripts);
    for (size_t i = 0; i < info->n_files; i++)
        free(info->files[i].name);
    free(info->files);
    json_object_put(info->json);
    free(info);
}

int asig_info_set_format_version(artsig_info *info, int version)
{
    if (!info)
        return asig_fail(ARTSIG_EINVAL, "asig_info_set_format_version: NULL argument");
    if (version != 2 && version != 3)
        return asig_fail(ARTSIG_EUNSUPPORTED, "artifact format version %d", version);
    info->version = version;
    return ARTSIG_OK;
}

int asig_info_add_member(artsig_info *info, const char *name)
{
    if (!info || !name)
        return asig_fail(ARTSIG_EINVAL, "asig_info_add_member: NULL argument");
    if (info->n_members == MAX_MEMBERS)
        return asig_fail(ARTSIG_ELIMIT, "more than %d outer members", MAX_MEMBERS);
    char **v = realloc(info->members, (info->n_members + 1) * sizeof *v);
    if (!v)
        return asig_fail(ARTSIG_ENOMEM, "outer member list");
    info->members = v;
    if (!(v[info->n_members] = dup_string(name)))
        return ARTSIG_ENOMEM;
    info->n_members++;
    return ARTSIG_OK;
}

static int cmp_file(const void *a, const void *b)
{
    const struct file *x = a, *y = b;
    if (x->payload != y->payload)
        return x->payload < y->payload ? -1 : 1;
    return strcmp(x->name, y->name);
}

static size_t data_entries(const artsig_manifest *m)
{
    size_t n = 0;
    const char *name;
    const uint8_t *digest;
    for (size_t i = 0; i < artsig_manifest_count(m); i++)
        if (artsig_manifest_entry(&name, &digest, m, i) == ARTSIG_OK &&
            strncmp(name, "data/", 5) == 0)
            n++;
    return n;
}

/* The data/NNNN/FILE entries of `m` into info->files. manifest-augment may
 * list only payload files and header-augment: what it could say about
 * version or header.tar is unsigned, so it is refused outright. */
static int collect_files(artsig_info *info, const artsig_manifest *m, bool augmented)
{
    const char *what = augmented ? "manifest-augment" : "manifest";
    for (size_t i = 0; i < artsig_manifest_count(m); i++) {
        const char *name;
        const uint8_t *digest;
        int rc = artsig_manifest_entry(&name, &digest, m, i);
        if (rc != ARTSIG_OK)
            return rc;
        if (strncmp(name, "data/", 5) != 0) {
            if (augmented && strncmp(name, "header-augment.tar", 18) != 0)
                return asig_fail(ARTSIG_EFORMAT, "%s lists \"%s\", which only the signed "
                                 "manifest may list", what, name);
            continue;
        }
        /* The manifest parser checked data/NNNN/FILE. */
        struct file *f = &info->files[info->n_files];
        f->payload = (size_t)strtoul(name + 5, NULL, 10);
        f->size = -1;
        f->augmented = augmented;
        memcpy(f->digest, digest, ARTSIG_DIGEST_LEN);
        if (!(f->name = dup_string(name + 10)))
            return ARTSIG_ENOMEM;
        info->n_files++;
    }
    return ARTSIG_OK;
}

int asig_info_set_manifest(artsig_info *info, const uint8_t *raw, size_t raw_len,
                           artsig_manifest *manifest, artsig_manifest *augment)
{
    if (!info || !raw || !manifest || info->manifest) {
        artsig_manifest_free(manifest);
        artsig_manifest_free(augment);
        return asig_fail(info && info->manifest ? ARTSIG_ESTATE : ARTSIG_EINVAL,
                         "asig_info_set_manifest: %s",
                         info && info->manifest ? "manifest already set" : "NULL argument");
    }
    info->manifest = manifest;
    info->augment = augment;
    info->augmented |= augment != NULL;
    if (!(info->manifest_raw = malloc(raw_len ? raw_len : 1)))
        return asig_fail(ARTSIG_ENOMEM, "manifest copy");
    memcpy(info->manifest_raw, raw, raw_len);
    info->manifest_len = raw_len;

    size_t n = data_entries(manifest) + (augment ? data_entries(augment) : 0);
    if (n > ARTSIG_LIMIT_FILES)
        return asig_fail(ARTSIG_ELIMIT, "manifests list %zu payload files, more than %d", n,
                         ARTSIG_LIMIT_FILES);
    if (!(info->files = calloc(n ? n : 1, sizeof *info->files)))
        return asig_fail(ARTSIG_ENOMEM, "%zu payload files", n);
    int rc = collect_files(info, manifest, false);
    if (rc == ARTSIG_OK && augment)
        rc = collect_files(info, augment, true);
    if (rc != ARTSIG_OK)
        return rc;
    qsort(info->files, info->n_files, sizeof *info->files, cmp_file);
    for (size_t i = 1; i < info->n_files; i++)
        if (info->files[i - 1].payload == info->files[i].payload &&
            strcmp(info->files[i - 1].name, info->files[i].name) == 0)
            return asig_fail(ARTSIG_EFORMAT,
                             "data/%04zu/%s is listed in both manifest and manifest-augment",
                             info->files[i].payload, info->files[i].name);
    return ARTSIG_OK;
}

int asig_info_set_signature(artsig_info *info, artsig_sig_state state, long key_index)
{
    if (!info || state < ARTSIG_SIG_UNSIGNED || state > ARTSIG_SIG_VERIFIED ||
        (state == ARTSIG_SIG_VERIFIED) != (key_index >= 0))
        return asig_fail(ARTSIG_EINVAL, "asig_info_set_signature: bad argument");
    info->sig = state;
    info->key_index = key_index;
    return ARTSIG_OK;
}

/* A copy of a header.tar file's bytes (len is within
 * ARTSIG_LIMIT_HEADER_FILE); never NULL on success, even when empty. */
static int keep_raw(uint8_t **dst, size_t *dst_len, const char *what, const uint8_t *data,
                    size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return asig_fail(ARTSIG_ENOMEM, "%s", what);
    if (len)
        memcpy(copy, data, len);
    free(*dst);
    *dst = copy;
    *dst_len = len;
    return ARTSIG_OK;
}

int asig_info_header_file(artsig_info *info, int augment, const char *name,
                          const uint8_t *data, size_t len)
{
    if (!info || !name || (!data && len))
        return asig_fail(ARTSIG_EINVAL, "asig_info_header_file: NULL argument");
    char shown[ASIG_SHOWN_MAX + 4], what[WHAT_MAX];
    snprintf(what, sizeof what, "%s: %s", augment ? "header-augment.tar" : "header.tar",
             asig_printable(shown, name, strlen(name)));
    if (info->version == 0 || !info->manifest)
        return asig_fail(ARTSIG_ESTATE, "%s: header file before version and manifest", what);
    if (augment && !info->have_header_info)
        return asig_fail(ARTSIG_EFORMAT, "header.tar has no header-info");
    if (augment && info->version != 3)
        return asig_fail(ARTSIG_EFORMAT, "%s: header-augment in a version %d artifact", what,
                         info->version);
    if (len > ARTSIG_LIMIT_HEADER_FILE)
        return asig_fail(ARTSIG_ELIMIT, "%s: %zu bytes, more than %d", what, len,
                         ARTSIG_LIMIT_HEADER_FILE);
    augment = augment ? 1 : 0;
    info->augmented |= augment;
    enum kind kind;
    size_t index;
    int rc = accept_member(info, augment, name, what, &kind, &index);
    if (rc != ARTSIG_OK)
        return rc;
    switch (kind) {
    case K_HEADER_INFO:
        rc = header_info(info, augment, what, data, len);
        if (rc == ARTSIG_OK && !augment)
            rc = keep_raw(&info->header_info_raw, &info->header_info_len, what, data, len);
        return rc;
    case K_SCRIPT:
        return add_script(info, name + 8, what, data, len);
    case K_FILES:
        return v2_files(info, index, what, data, len);
    case K_TYPE_INFO:
        rc = type_info(info, augment, index, what, data, len);
        if (rc == ARTSIG_OK && !augment)
            rc = keep_raw(&info->payloads[index].type_info_raw,
                          &info->payloads[index].type_info_len, what, data, len);
        return rc;
    case K_META_DATA:
        rc = meta_data(info, augment, index, what, data, len);
        if (rc == ARTSIG_OK && !augment)
            rc = keep_raw(&info->payloads[index].meta_raw, &info->payloads[index].meta_len,
                          what, data, len);
        return rc;
    case K_NONE:
        break;
    }
    return asig_fail(ARTSIG_EFORMAT, "%s: unexpected member", what);
}

int asig_info_header_done(artsig_info *info)
{
    if (!info)
        return asig_fail(ARTSIG_EINVAL, "asig_info_header_done: NULL argument");
    if (!info->have_header_info)
        return asig_fail(ARTSIG_EFORMAT, "header.tar has no header-info");
    for (size_t i = 0; i < info->n_payloads; i++)
        if (!info->payloads[i].has_type_info)
            return asig_fail(ARTSIG_EFORMAT, "header.tar has no headers/%04zu/type-info", i);
    if (info->n_files && info->files[info->n_files - 1].payload >= info->n_payloads) {
        const struct file *f = &info->files[info->n_files - 1];
        return asig_fail(ARTSIG_EFORMAT,
                         "%s lists data/%04zu/%s, but header-info declares %zu payload%s",
                         f->augmented ? "manifest-augment" : "manifest", f->payload, f->name,
                         info->n_payloads, info->n_payloads == 1 ? "" : "s");
    }
    return ARTSIG_OK;
}

int asig_info_find_file(size_t *index, const uint8_t **digest, const artsig_info *info,
                        size_t payload, const char *name)
{
    if (!index || !digest || !info || !name)
        return asig_fail(ARTSIG_EINVAL, "asig_info_find_file: NULL argument");
    size_t pos;
    char shown[ASIG_SHOWN_MAX + 4];
    if (payload >= info->n_payloads || !lookup_file(&pos, info, payload, name))
        return asig_fail(ARTSIG_ENOTFOUND, "data/%04zu/%s is not listed in the manifest",
                         payload, asig_printable(shown, name, strlen(name)));
    *index = pos - first_file(info, payload);
    *digest = info->files[pos].digest;
    return ARTSIG_OK;
}

static struct file *file_at(const artsig_info *info, size_t payload, size_t index)
{
    if (payload >= info->n_payloads)
        return NULL;
    size_t begin, end;
    file_range(&begin, &end, info, payload);
    return index < end - begin ? &info->files[begin + index] : NULL;
}

int asig_info_file_done(artsig_info *info, size_t payload, size_t index, uint64_t size)
{
    struct file *f = info ? file_at(info, payload, index) : NULL;
    if (!f || size > INT64_MAX)
        return asig_fail(ARTSIG_EINVAL, "asig_info_file_done: no file %zu of payload %zu",
                         index, payload);
    if (f->size >= 0)
        return asig_fail(ARTSIG_EFORMAT, "data/%04zu.tar holds %s twice", payload, f->name);
    f->size = (int64_t)size;
    return ARTSIG_OK;
}

const char *asig_info_first_missing_file(const artsig_info *info, size_t payload)
{
    for (size_t i = 0; info && i < artsig_info_file_count(info, payload); i++) {
        const struct file *f = file_at(info, payload, i);
        if (f->size < 0)
            return f->name;
    }
    return NULL;
}

/* ---- accessors ---- */

int artsig_info_format_version(const artsig_info *info)
{
    return info ? info->version : 0;
}

const char *artsig_info_name(const artsig_info *info)
{
    return info ? info->name : NULL;
}

const char *artsig_info_group(const artsig_info *info)
{
    return info ? info->group : NULL;
}

size_t artsig_info_device_type_count(const artsig_info *info)
{
    return info ? info->n_device_types : 0;
}

const char *artsig_info_device_type(const artsig_info *info, size_t index)
{
    return info && index < info->n_device_types ? info->device_types[index] : NULL;
}

artsig_sig_state artsig_info_signature(const artsig_info *info)
{
    return info ? info->sig : ARTSIG_SIG_UNSIGNED;
}

long artsig_info_verifying_key(const artsig_info *info)
{
    return info && info->sig == ARTSIG_SIG_VERIFIED ? info->key_index : -1;
}

int artsig_info_is_augmented(const artsig_info *info)
{
    return info && info->augmented;
}

size_t artsig_info_unsigned_file_count(const artsig_info *info)
{
    size_t n = 0;
    for (size_t i = 0; info && i < info->n_files; i++)
        n += info->files[i].augmented;
    return n;
}

size_t artsig_info_script_count(const artsig_info *info)
{
    return info ? info->n_scripts : 0;
}

int artsig_info_script(const char **name, const uint8_t **data, size_t *len,
                       const artsig_info *info, size_t index)
{
    if (!name || !data || !len || !info || index >= info->n_scripts)
        return asig_fail(ARTSIG_EINVAL, "artsig_info_script: no script %zu", index);
    *name = info->scripts[index].name;
    *data = info->scripts[index].data;
    *len = info->scripts[index].len;
    return ARTSIG_OK;
}

size_t artsig_info_payload_count(const artsig_info *info)
{
    return info ? info->n_payloads : 0;
}

static const struct payload *payload_at(const artsig_info *info, size_t payload)
{
    return info && payload < info->n_payloads ? &info->payloads[payload] : NULL;
}

const char *artsig_info_payload_type(const artsig_info *info, size_t payload)
{
    const struct payload *p = payload_at(info, payload);
    return p ? p->type : NULL;
}

size_t artsig_info_file_count(const artsig_info *info, size_t payload)
{
    if (!payload_at(info, payload))
        return 0;
    size_t begin, end;
    file_range(&begin, &end, info, payload);
    return end - begin;
}

int artsig_info_file(const char **name, int64_t *size, const uint8_t **digest,
                     const artsig_info *info, size_t payload, size_t index)
{
    const struct file *f = info ? file_at(info, payload, index) : NULL;
    if (!name || !size || !digest || !f)
        return asig_fail(ARTSIG_EINVAL, "artsig_info_file: no file %zu of payload %zu", index,
                         payload);
    *name = f->name;
    *size = f->size;
    *digest = f->digest;
    return ARTSIG_OK;
}

const char *artsig_info_meta_data(const artsig_info *info, size_t payload)
{
    const struct payload *p = payload_at(info, payload);
    return p ? p->meta_data : NULL;
}

/* The signed provides/depends/clears of the artifact or of one payload. */
static const struct typeinfo *typeinfo_of(const artsig_info *info, size_t payload)
{
    if (info && payload == ARTSIG_ARTIFACT)
        return &info->artifact;
    const struct payload *p = payload_at(info, payload);
    return p ? &p->ti : NULL;
}

size_t artsig_info_provides_count(const artsig_info *info, size_t payload)
{
    const struct typeinfo *ti = typeinfo_of(info, payload);
    return ti ? ti->n_provides : 0;
}

int artsig_info_provides(const char **key, const char **value, const artsig_info *info,
                         size_t payload, size_t index)
{
    const struct typeinfo *ti = typeinfo_of(info, payload);
    if (!key || !value || !ti || index >= ti->n_provides)
        return asig_fail(ARTSIG_EINVAL, "artsig_info_provides: no entry %zu", index);
    *key = ti->provides[index].key;
    *value = ti->provides[index].value;
    return ARTSIG_OK;
}

size_t artsig_info_depends_count(const artsig_info *info, size_t payload)
{
    const struct typeinfo *ti = typeinfo_of(info, payload);
    return ti ? ti->n_depends : 0;
}

int artsig_info_depends(const char **key, const char *const **values, size_t *nvalues,
                        const artsig_info *info, size_t payload, size_t index)
{
    const struct typeinfo *ti = typeinfo_of(info, payload);
    if (!key || !values || !nvalues || !ti || index >= ti->n_depends)
        return asig_fail(ARTSIG_EINVAL, "artsig_info_depends: no entry %zu", index);
    *key = ti->depends[index].key;
    *values = (const char *const *)ti->depends[index].values;
    *nvalues = ti->depends[index].count;
    return ARTSIG_OK;
}

size_t artsig_info_clears_count(const artsig_info *info, size_t payload)
{
    const struct typeinfo *ti = typeinfo_of(info, payload);
    return ti ? ti->n_clears : 0;
}

const char *artsig_info_clears(const artsig_info *info, size_t payload, size_t index)
{
    const struct typeinfo *ti = typeinfo_of(info, payload);
    return ti && index < ti->n_clears ? ti->clears[index] : NULL;
}

int artsig_info_manifest(const uint8_t **data, size_t *len, const artsig_info *info)
{
    if (!data || !len || !info)
        return asig_fail(ARTSIG_EINVAL, "artsig_info_manifest: NULL argument");
    if (!info->manifest_raw)
        return asig_fail(ARTSIG_ESTATE, "the manifest was not read yet");
    *data = info->manifest_raw;
    *len = info->manifest_len;
    return ARTSIG_OK;
}

int artsig_info_header_file(const uint8_t **data, size_t *len, const artsig_info *info,
                            size_t payload, const char *name)
{
    if (!data || !len || !info || !name)
        return asig_fail(ARTSIG_EINVAL, "artsig_info_header_file: NULL argument");
    const uint8_t *raw = NULL;
    size_t raw_len = 0;
    if (payload == ARTSIG_ARTIFACT) {
        if (strcmp(name, "header-info") != 0)
            return asig_fail(ARTSIG_EINVAL,
                             "artsig_info_header_file: \"%s\" is not an artifact header file",
                             name);
        raw = info->header_info_raw;
        raw_len = info->header_info_len;
    } else {
        const struct payload *p = payload_at(info, payload);
        bool is_type = strcmp(name, "type-info") == 0;
        if (!is_type && strcmp(name, "meta-data") != 0)
            return asig_fail(ARTSIG_EINVAL,
                             "artsig_info_header_file: \"%s\" is not a payload header file",
                             name);
        if (!p)
            return asig_fail(ARTSIG_ENOTFOUND, "artsig_info_header_file: no payload %zu",
                             payload);
        raw = is_type ? p->type_info_raw : p->meta_raw;
        raw_len = is_type ? p->type_info_len : p->meta_len;
    }
    if (!raw) {
        if (payload == ARTSIG_ARTIFACT)
            return asig_fail(ARTSIG_ENOTFOUND, "header.tar has no %s (yet)", name);
        return asig_fail(ARTSIG_ENOTFOUND, "header.tar has no headers/%04zu/%s", payload, name);
    }
    *data = raw;
    *len = raw_len;
    return ARTSIG_OK;
}

/* ---- the JSON document (docs/read-json.md) ---- */

static json_object *provides_json(struct asig_jb *b, const struct typeinfo *ti)
{
    json_object *obj = asig_jb_made(b, json_object_new_object());
    for (size_t i = 0; i < ti->n_provides; i++)
        asig_jb_put(b, obj, ti->provides[i].key, asig_jb_string(b, ti->provides[i].value));
    return obj;
}

static json_object *depends_json(struct asig_jb *b, const struct typeinfo *ti)
{
    json_object *obj = asig_jb_made(b, json_object_new_object());
    for (size_t i = 0; i < ti->n_depends; i++)
        asig_jb_put(b, obj, ti->depends[i].key,
                    asig_jb_strings(b, ti->depends[i].values, ti->depends[i].count));
    return obj;
}

/* Our own compact text, parsed back; NULL text is JSON null. */
static json_object *meta_json(struct asig_jb *b, const char *text)
{
    return text ? asig_jb_made(b, json_tokener_parse(text)) : NULL;
}

static json_object *file_json(struct asig_jb *b, const struct file *f)
{
    char hex[ARTSIG_DIGEST_HEX_LEN + 1];
    artsig_digest_to_hex(hex, f->digest);
    json_object *obj = asig_jb_made(b, json_object_new_object());
    asig_jb_put(b, obj, "name", asig_jb_string(b, f->name));
    asig_jb_put(b, obj, "sha256", asig_jb_string(b, hex));
    asig_jb_put(b, obj, "size",
                f->size < 0 ? NULL : asig_jb_made(b, json_object_new_int64(f->size)));
    asig_jb_put(b, obj, "augmented", asig_jb_made(b, json_object_new_boolean(f->augmented)));
    return obj;
}

static json_object *payload_json(struct asig_jb *b, const artsig_info *info, size_t i)
{
    const struct payload *p = &info->payloads[i];
    json_object *obj = asig_jb_made(b, json_object_new_object());
    asig_jb_put(b, obj, "type", asig_jb_string(b, p->type));
    json_object *files = asig_jb_made(b, json_object_new_array());
    for (size_t j = 0; j < artsig_info_file_count(info, i); j++)
        asig_jb_push(b, files, file_json(b, file_at(info, i, j)));
    asig_jb_put(b, obj, "files", files);
    asig_jb_put(b, obj, "meta_data", meta_json(b, p->meta_data));
    asig_jb_put(b, obj, "provides", provides_json(b, &p->ti));
    asig_jb_put(b, obj, "depends", depends_json(b, &p->ti));
    asig_jb_put(b, obj, "clears_artifact_provides",
                asig_jb_strings(b, p->ti.clears, p->ti.n_clears));
    json_object *aug = NULL;
    if (p->augmented) {
        aug = asig_jb_made(b, json_object_new_object());
        asig_jb_put(b, aug, "meta_data", meta_json(b, p->aug_meta_data));
        asig_jb_put(b, aug, "provides", provides_json(b, &p->aug));
        asig_jb_put(b, aug, "depends", depends_json(b, &p->aug));
        asig_jb_put(b, aug, "clears_artifact_provides",
                    asig_jb_strings(b, p->aug.clears, p->aug.n_clears));
    }
    asig_jb_put(b, obj, "augment", aug);
    return obj;
}

static const char *sig_state_name(artsig_sig_state s)
{
    switch (s) {
    case ARTSIG_SIG_VERIFIED:
        return "verified";
    case ARTSIG_SIG_UNCHECKED:
        return "unchecked";
    default:
        return "unsigned";
    }
}

static json_object *build(struct asig_jb *b, const artsig_info *info)
{
    json_object *root = asig_jb_made(b, json_object_new_object());
    asig_jb_put(b, root, "format", asig_jb_made(b, json_object_new_string("mender")));
    asig_jb_put(b, root, "version", asig_jb_made(b, json_object_new_int(info->version)));
    asig_jb_put(b, root, "members", asig_jb_strings(b, info->members, info->n_members));
    asig_jb_put(b, root, "artifact_name", asig_jb_string(b, info->name));
    asig_jb_put(b, root, "artifact_group", asig_jb_string(b, info->group));
    asig_jb_put(b, root, "device_types",
                asig_jb_strings(b, info->device_types, info->n_device_types));
    asig_jb_put(b, root, "artifact_provides", provides_json(b, &info->artifact));
    asig_jb_put(b, root, "artifact_depends", depends_json(b, &info->artifact));
    asig_jb_put(b, root, "signed",
                asig_jb_made(b, json_object_new_boolean(info->sig != ARTSIG_SIG_UNSIGNED)));
    json_object *sig = asig_jb_made(b, json_object_new_object());
    asig_jb_put(b, sig, "state", asig_jb_string(b, sig_state_name(info->sig)));
    json_object *key_index = NULL;
    if (info->sig == ARTSIG_SIG_VERIFIED)
        key_index = asig_jb_made(b, json_object_new_int64(info->key_index));
    asig_jb_put(b, sig, "key_index", key_index);
    asig_jb_put(b, root, "signature", sig);
    asig_jb_put(b, root, "augmented", asig_jb_made(b, json_object_new_boolean(info->augmented)));
    json_object *scripts = asig_jb_made(b, json_object_new_array());
    for (size_t i = 0; i < info->n_scripts; i++) {
        char name[sizeof "scripts/ArtifactRollbackReboot_Error_00_" + ARTSIG_NAME_MAX];
        snprintf(name, sizeof name, "scripts/%s", info->scripts[i].name);
        asig_jb_push(b, scripts, asig_jb_string(b, name));
    }
    asig_jb_put(b, root, "scripts", scripts);
    /* Version 2 calls payloads "updates"; the shape is the same. */
    json_object *payloads = asig_jb_made(b, json_object_new_array());
    json_object *updates = asig_jb_made(b, json_object_new_array());
    for (size_t i = 0; i < info->n_payloads; i++)
        asig_jb_push(b, info->version == 2 ? updates : payloads, payload_json(b, info, i));
    asig_jb_put(b, root, "payloads", payloads);
    asig_jb_put(b, root, "updates", updates);
    return root;
}

const char *artsig_info_json(const artsig_info *info)
{
    if (!info) {
        asig_fail(ARTSIG_EINVAL, "artsig_info_json: NULL argument");
        return NULL;
    }
    struct asig_jb b = {false};
    json_object *raw = build(&b, info);
    json_object *doc = b.failed ? NULL : asig_jb_sorted(&b, raw);
    json_object_put(raw);
    const char *text = b.failed ? NULL
                                : json_object_to_json_string_ext(
                                      doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                               JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!text) {
        json_object_put(doc);
        asig_fail(ARTSIG_ENOMEM, "building the artifact's JSON document");
        return NULL;
    }
    /* The text lives in `doc`; the previous document goes now. The object is
     * only ever created mutable (asig_info_new), so the cast is sound. */
    artsig_info *self = (artsig_info *)info;
    json_object_put(self->json);
    self->json = doc;
    return text;
}
