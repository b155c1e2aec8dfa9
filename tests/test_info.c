/* Artifact facts (artsig_info_*) through the public reader: the vectors'
 * meta files, the accessors, and hostile header content in artifacts made
 * here with tar, gzip and sha256sum. */
#include <check.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include <artsig.h>

#include "testutil.h"

/* The ten base artifacts that have a meta/NAME.json. */
static const char *const meta_names[] = {
    "bootstrap-ecdsa",      "module-augment-rsa", "module-multi-ecdsa", "rootfs-gzip-ecdsa",
    "rootfs-gzip-rsa",      "rootfs-gzip-rsa2048", "rootfs-gzip-unsigned", "rootfs-lzma-ecdsa",
    "rootfs-none-rsa",      "rootfs-v2-rsa",
};
#define N_META (sizeof meta_names / sizeof meta_names[0])

/* Read a whole artifact; the reader is returned when `out` is not NULL. */
static int run_reader(artsig_reader **out, const char *path, const artsig_keyring *ring)
{
    artsig_reader *r;
    ck_assert_int_eq(artsig_reader_new(&r, ring, NULL, NULL), ARTSIG_OK);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_msg(fd >= 0, "cannot open %s", path);
    int rc = artsig_reader_run_fd(r, fd);
    close(fd);
    if (out)
        *out = r;
    else
        artsig_reader_free(r);
    return rc;
}

/* A vector read without keys, which must succeed. */
static artsig_reader *read_vector(const char *name)
{
    char *path = vec_pathf("artifacts/%s.mender", name);
    artsig_reader *r;
    int rc = run_reader(&r, path, NULL);
    ck_assert_msg(rc == ARTSIG_OK, "%s: %s (%s)", name, artsig_strerror(rc), artsig_last_error());
    ck_assert_ptr_nonnull(artsig_reader_info(r));
    free(path);
    return r;
}

static json_object *meta_of(const char *name)
{
    char *path = vec_pathf("meta/%s.json", name);
    json_object *meta = json_object_from_file(path);
    ck_assert_msg(meta != NULL, "cannot parse %s", path);
    free(path);
    return meta;
}

/* `want` is found in `got`: same scalars, arrays of the same length whose
 * elements match, objects whose every key of `want` matches in `got` (the
 * document may add keys). On a difference, *where names it. */
static bool json_within(json_object *want, json_object *got, char *where, size_t size)
{
    json_type t = json_object_get_type(want);
    if (t != json_object_get_type(got)) {
        snprintf(where, size, "type %d instead of %d", json_object_get_type(got), t);
        return false;
    }
    switch (t) {
    case json_type_object: {
        json_object_object_foreach(want, key, value)
        {
            json_object *g;
            if (!json_object_object_get_ex(got, key, &g)) {
                snprintf(where, size, "\"%s\" missing", key);
                return false;
            }
            if (!json_within(value, g, where, size)) {
                char inner[256];
                snprintf(inner, sizeof inner, "%s", where);
                snprintf(where, size, "%s: %s", key, inner);
                return false;
            }
        }
        return true;
    }
    case json_type_array:
        if (json_object_array_length(want) != json_object_array_length(got)) {
            snprintf(where, size, "%zu elements instead of %zu", json_object_array_length(got),
                     json_object_array_length(want));
            return false;
        }
        for (size_t i = 0; i < json_object_array_length(want); i++)
            if (!json_within(json_object_array_get_idx(want, i),
                             json_object_array_get_idx(got, i), where, size))
                return false;
        return true;
    case json_type_string:
        snprintf(where, size, "\"%s\" instead of \"%s\"", json_object_get_string(got),
                 json_object_get_string(want));
        return strcmp(json_object_get_string(want), json_object_get_string(got)) == 0;
    case json_type_int:
        snprintf(where, size, "%lld instead of %lld", (long long)json_object_get_int64(got),
                 (long long)json_object_get_int64(want));
        return json_object_get_int64(want) == json_object_get_int64(got);
    case json_type_boolean:
        snprintf(where, size, "boolean differs");
        return json_object_get_boolean(want) == json_object_get_boolean(got);
    case json_type_double:
        snprintf(where, size, "number differs");
        return json_object_get_double(want) == json_object_get_double(got);
    case json_type_null:
        return true;
    }
    return false;
}

static json_object *get(json_object *obj, const char *key)
{
    json_object *v = NULL;
    ck_assert_msg(json_object_object_get_ex(obj, key, &v), "\"%s\" missing", key);
    return v;
}

/* ---- the vectors' meta files ---- */

START_TEST(json_agrees_with_meta)
{
    const char *name = meta_names[_i];
    artsig_reader *r = read_vector(name);
    const char *text = artsig_info_json(artsig_reader_info(r));
    ck_assert_ptr_nonnull(text);
    json_object *doc = json_tokener_parse(text);
    ck_assert_msg(doc != NULL, "%s: the document is not JSON", name);
    json_object *meta = meta_of(name);
    char where[512] = "";
    ck_assert_msg(json_within(meta, doc, where, sizeof where), "%s: %s", name, where);
    /* A second call gives the same document (and frees the first text). */
    char *first = strdup(text);
    ck_assert_str_eq(artsig_info_json(artsig_reader_info(r)), first);
    free(first);
    json_object_put(doc);
    json_object_put(meta);
    artsig_reader_free(r);
}
END_TEST

START_TEST(accessors_agree_with_meta)
{
    const char *name = meta_names[_i];
    artsig_reader *r = read_vector(name);
    const artsig_info *info = artsig_reader_info(r);
    json_object *meta = meta_of(name);

    ck_assert_int_eq(artsig_info_format_version(info), json_object_get_int(get(meta, "version")));
    ck_assert_str_eq(artsig_info_name(info), json_object_get_string(get(meta, "artifact_name")));
    json_object *devices = get(meta, "device_types");
    ck_assert_uint_eq(artsig_info_device_type_count(info), json_object_array_length(devices));
    for (size_t i = 0; i < json_object_array_length(devices); i++)
        ck_assert_str_eq(artsig_info_device_type(info, i),
                         json_object_get_string(json_object_array_get_idx(devices, i)));
    ck_assert_ptr_null(artsig_info_device_type(info, json_object_array_length(devices)));
    ck_assert_int_eq(artsig_info_signature(info) != ARTSIG_SIG_UNSIGNED,
                     json_object_get_boolean(get(meta, "signed")));
    ck_assert_int_eq(artsig_info_verifying_key(info), -1);

    json_object *scripts = get(meta, "scripts");
    ck_assert_uint_eq(artsig_info_script_count(info), json_object_array_length(scripts));
    for (size_t i = 0; i < artsig_info_script_count(info); i++) {
        const char *sname;
        const uint8_t *data;
        size_t len;
        ck_assert_int_eq(artsig_info_script(&sname, &data, &len, info, i), ARTSIG_OK);
        const char *want = json_object_get_string(json_object_array_get_idx(scripts, i));
        ck_assert_str_eq(sname, want + strlen("scripts/"));
        ck_assert_uint_gt(len, 0);
    }

    /* Version 2 lists its payloads under "updates"; meta has none there. */
    json_object *payloads = get(meta, "payloads");
    if (artsig_info_format_version(info) == 2)
        ck_assert_uint_eq(artsig_info_payload_count(info), 1);
    else
        ck_assert_uint_eq(artsig_info_payload_count(info), json_object_array_length(payloads));
    for (size_t p = 0; p < json_object_array_length(payloads); p++) {
        json_object *mp = json_object_array_get_idx(payloads, p);
        json_object *type = get(mp, "type");
        if (type)
            ck_assert_str_eq(artsig_info_payload_type(info, p), json_object_get_string(type));
        else
            ck_assert_ptr_null(artsig_info_payload_type(info, p));

        json_object *files = get(mp, "files");
        ck_assert_uint_eq(artsig_info_file_count(info, p), json_object_array_length(files));
        for (size_t f = 0; f < json_object_array_length(files); f++) {
            json_object *mf = json_object_array_get_idx(files, f);
            const char *fname;
            int64_t size;
            const uint8_t *digest;
            ck_assert_int_eq(artsig_info_file(&fname, &size, &digest, info, p, f), ARTSIG_OK);
            ck_assert_str_eq(fname, json_object_get_string(get(mf, "name")));
            ck_assert_int_eq(size, json_object_get_int64(get(mf, "size")));
            char hex[ARTSIG_DIGEST_HEX_LEN + 1];
            artsig_digest_to_hex(hex, digest);
            ck_assert_str_eq(hex, json_object_get_string(get(mf, "sha256")));
        }

        json_object *md = get(mp, "meta_data");
        const char *mtext = artsig_info_meta_data(info, p);
        if (!md) {
            ck_assert_ptr_null(mtext);
        } else {
            ck_assert_ptr_nonnull(mtext);
            json_object *parsed = json_tokener_parse(mtext);
            char where[256] = "";
            ck_assert_msg(json_within(md, parsed, where, sizeof where) &&
                              json_object_object_length(md) == json_object_object_length(parsed),
                          "%s meta-data: %s", name, where);
            json_object_put(parsed);
        }

        json_object *provides = get(mp, "provides");
        ck_assert_uint_eq(artsig_info_provides_count(info, p),
                          (size_t)json_object_object_length(provides));
        for (size_t i = 0; i < artsig_info_provides_count(info, p); i++) {
            const char *key, *value;
            ck_assert_int_eq(artsig_info_provides(&key, &value, info, p, i), ARTSIG_OK);
            ck_assert_str_eq(value, json_object_get_string(get(provides, key)));
        }
    }
    ck_assert_ptr_null(artsig_info_payload_type(info, artsig_info_payload_count(info)));
    ck_assert_uint_eq(artsig_info_file_count(info, artsig_info_payload_count(info)), 0);

    const uint8_t *manifest;
    size_t mlen;
    ck_assert_int_eq(artsig_info_manifest(&manifest, &mlen, info), ARTSIG_OK);
    ck_assert_uint_gt(mlen, 0);
    json_object_put(meta);
    artsig_reader_free(r);
}
END_TEST

static void assert_depends(const artsig_info *info, size_t payload, size_t index,
                           const char *key, const char *const *want, size_t n)
{
    const char *k;
    const char *const *values;
    size_t count;
    ck_assert_int_eq(artsig_info_depends(&k, &values, &count, info, payload, index), ARTSIG_OK);
    ck_assert_str_eq(k, key);
    ck_assert_uint_eq(count, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(values[i], want[i]);
}

START_TEST(depends_provides_clears_scripts)
{
    artsig_reader *r = read_vector("module-multi-ecdsa");
    const artsig_info *info = artsig_reader_info(r);

    ck_assert_str_eq(artsig_info_group(info), "stable");
    ck_assert_uint_eq(artsig_info_provides_count(info, ARTSIG_ARTIFACT), 2);
    const char *key, *value;
    ck_assert_int_eq(artsig_info_provides(&key, &value, info, ARTSIG_ARTIFACT, 0), ARTSIG_OK);
    ck_assert_str_eq(key, "artifact_group");
    ck_assert_str_eq(value, "stable");
    ck_assert_int_eq(artsig_info_provides(&key, &value, info, ARTSIG_ARTIFACT, 1), ARTSIG_OK);
    ck_assert_str_eq(key, "artifact_name");
    ck_assert_str_eq(value, "release-8.4.16-app");
    ck_assert_int_eq(artsig_info_provides(&key, &value, info, ARTSIG_ARTIFACT, 2),
                     ARTSIG_EINVAL);

    /* Artifact depends, in key order. */
    ck_assert_uint_eq(artsig_info_depends_count(info, ARTSIG_ARTIFACT), 3);
    assert_depends(info, ARTSIG_ARTIFACT, 0, "artifact_group", (const char *[]){"beta"}, 1);
    assert_depends(info, ARTSIG_ARTIFACT, 1, "artifact_name",
                   (const char *[]){"release-8.4.16"}, 1);
    assert_depends(info, ARTSIG_ARTIFACT, 2, "device_type",
                   (const char *[]){"qemux86-64", "qemux86-64-rev2"}, 2);
    ck_assert_uint_eq(artsig_info_clears_count(info, ARTSIG_ARTIFACT), 0);

    /* The payload's depends was a single string: a list of one. */
    ck_assert_uint_eq(artsig_info_depends_count(info, 0), 1);
    assert_depends(info, 0, 0, "rootfs-image.version", (const char *[]){"release-8.4.16"}, 1);
    ck_assert_uint_eq(artsig_info_clears_count(info, 0), 1);
    ck_assert_str_eq(artsig_info_clears(info, 0, 0), "rootfs-image.app-bundle.*");
    ck_assert_ptr_null(artsig_info_clears(info, 0, 1));
    ck_assert_uint_eq(artsig_info_depends_count(info, 1), 0);

    /* Scripts in name order, with their content. */
    const char *name;
    const uint8_t *data;
    size_t len;
    ck_assert_int_eq(artsig_info_script(&name, &data, &len, info, 0), ARTSIG_OK);
    ck_assert_str_eq(name, "ArtifactCommit_Leave_50");
    const char *body = "#!/bin/sh\necho ArtifactCommit_Leave_50\n";
    ck_assert_uint_eq(len, strlen(body));
    ck_assert(memcmp(data, body, len) == 0);
    ck_assert_int_eq(artsig_info_script(&name, &data, &len, info, 1), ARTSIG_OK);
    ck_assert_str_eq(name, "ArtifactInstall_Enter_00");
    ck_assert_int_eq(artsig_info_script(&name, &data, &len, info, 2), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_info_is_augmented(info), 0);

    json_object *doc = json_tokener_parse(artsig_info_json(info));
    json_object *p0 = json_object_array_get_idx(get(doc, "payloads"), 0);
    json_object *dep = get(get(p0, "depends"), "rootfs-image.version");
    ck_assert_uint_eq(json_object_array_length(dep), 1);
    ck_assert_str_eq(json_object_get_string(get(doc, "artifact_group")), "stable");
    ck_assert_str_eq(
        json_object_get_string(json_object_array_get_idx(get(p0, "clears_artifact_provides"), 0)),
        "rootfs-image.app-bundle.*");
    ck_assert_str_eq(json_object_get_string(get(get(doc, "signature"), "state")), "unchecked");
    json_object_put(doc);
    artsig_reader_free(r);
}
END_TEST

/* header.tar member `member` of vector `name`, as tar extracts it. */
static uint8_t *header_member(const char *name, const char *member, size_t *len)
{
    char *path = vec_pathf("artifacts/%s.mender", name);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "tar xOf '%s' header.tar.gz | tar xzOf - '%s'", path, member);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    uint8_t *data = slurp_stream(p, len);
    ck_assert_int_eq(pclose(p), 0);
    free(path);
    return data;
}

static void assert_header_file(const artsig_info *info, const char *vector, size_t payload,
                               const char *name, const char *member)
{
    const uint8_t *data;
    size_t len, want_len;
    ck_assert_int_eq(artsig_info_header_file(&data, &len, info, payload, name), ARTSIG_OK);
    uint8_t *want = header_member(vector, member, &want_len);
    ck_assert_uint_eq(len, want_len);
    ck_assert_ptr_nonnull(data);
    ck_assert(len == 0 || memcmp(data, want, len) == 0);
    free(want);
}

START_TEST(raw_header_files)
{
    const uint8_t *data;
    size_t len;
    artsig_reader *r = read_vector("module-multi-ecdsa");
    const artsig_info *info = artsig_reader_info(r);
    assert_header_file(info, "module-multi-ecdsa", ARTSIG_ARTIFACT, "header-info", "header-info");
    assert_header_file(info, "module-multi-ecdsa", 0, "type-info", "headers/0000/type-info");
    assert_header_file(info, "module-multi-ecdsa", 0, "meta-data", "headers/0000/meta-data");
    /* The signed single-string depends comes back as it was, not as a list. */
    ck_assert_int_eq(artsig_info_header_file(&data, &len, info, 0, "type-info"), ARTSIG_OK);
    const char *single = "\"rootfs-image.version\":\"release-8.4.16\"";
    ck_assert_ptr_nonnull(memmem(data, len, single, strlen(single)));
    ck_assert_int_eq(artsig_info_header_file(&data, &len, info, 1, "type-info"),
                     ARTSIG_ENOTFOUND);
    ck_assert_int_eq(artsig_info_header_file(&data, &len, info, 0, "header-info"), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_info_header_file(&data, &len, info, ARTSIG_ARTIFACT, "type-info"),
                     ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_info_header_file(&data, &len, info, 0, "scripts/x"), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_info_header_file(NULL, &len, info, 0, "type-info"), ARTSIG_EINVAL);
    artsig_reader_free(r);

    /* An empty meta-data member is there, with no bytes. */
    r = read_vector("rootfs-gzip-rsa");
    info = artsig_reader_info(r);
    assert_header_file(info, "rootfs-gzip-rsa", 0, "meta-data", "headers/0000/meta-data");
    ck_assert_int_eq(artsig_info_header_file(&data, &len, info, 0, "meta-data"), ARTSIG_OK);
    ck_assert_uint_eq(len, 0);
    artsig_reader_free(r);

    /* No meta-data member at all. */
    r = read_vector("bootstrap-ecdsa");
    info = artsig_reader_info(r);
    assert_header_file(info, "bootstrap-ecdsa", ARTSIG_ARTIFACT, "header-info", "header-info");
    assert_header_file(info, "bootstrap-ecdsa", 0, "type-info", "headers/0000/type-info");
    ck_assert_int_eq(artsig_info_header_file(&data, &len, info, 0, "meta-data"),
                     ARTSIG_ENOTFOUND);
    artsig_reader_free(r);
}
END_TEST

START_TEST(augmented_files_and_headers)
{
    artsig_reader *r = read_vector("module-augment-rsa");
    const artsig_info *info = artsig_reader_info(r);
    ck_assert_int_eq(artsig_info_is_augmented(info), 1);
    /* Only the signed provides are reported through the accessors. */
    ck_assert_uint_eq(artsig_info_provides_count(info, 0), 1);

    json_object *doc = json_tokener_parse(artsig_info_json(info));
    ck_assert(json_object_get_boolean(get(doc, "augmented")));
    json_object *p0 = json_object_array_get_idx(get(doc, "payloads"), 0);
    json_object *files = get(p0, "files");
    ck_assert(!json_object_get_boolean(get(json_object_array_get_idx(files, 0), "augmented")));
    ck_assert(json_object_get_boolean(get(json_object_array_get_idx(files, 1), "augmented")));
    ck_assert(json_object_is_type(get(p0, "augment"), json_type_object));
    json_object_put(doc);
    artsig_reader_free(r);
}
END_TEST

START_TEST(signature_in_json)
{
    artsig_keyring *ring;
    ck_assert_int_eq(artsig_keyring_new(&ring), ARTSIG_OK);
    const char *keys[] = {"keys/ecp256.pub", "keys/rsa3072.pub"};
    for (size_t i = 0; i < 2; i++) {
        char *path = vec_path(keys[i]);
        ck_assert_int_eq(artsig_keyring_add_file(ring, path), ARTSIG_OK);
        free(path);
    }
    char *path = vec_path("artifacts/rootfs-gzip-rsa.mender");
    artsig_reader *r;
    ck_assert_int_eq(run_reader(&r, path, ring), ARTSIG_OK);
    const artsig_info *info = artsig_reader_info(r);
    ck_assert_int_eq(artsig_info_signature(info), ARTSIG_SIG_VERIFIED);
    ck_assert_int_eq(artsig_info_verifying_key(info), 1);
    json_object *doc = json_tokener_parse(artsig_info_json(info));
    json_object *sig = get(doc, "signature");
    ck_assert_str_eq(json_object_get_string(get(sig, "state")), "verified");
    ck_assert_int_eq(json_object_get_int(get(sig, "key_index")), 1);
    ck_assert(json_object_get_boolean(get(doc, "signed")));
    json_object_put(doc);
    artsig_reader_free(r);
    free(path);

    path = vec_path("artifacts/rootfs-gzip-unsigned.mender");
    ck_assert_int_eq(run_reader(&r, path, NULL), ARTSIG_OK);
    doc = json_tokener_parse(artsig_info_json(artsig_reader_info(r)));
    ck_assert_str_eq(json_object_get_string(get(get(doc, "signature"), "state")), "unsigned");
    ck_assert(json_object_is_type(get(get(doc, "signature"), "key_index"), json_type_null));
    json_object_put(doc);
    artsig_reader_free(r);
    free(path);
    artsig_keyring_free(ring);
}
END_TEST

/* ---- hand-made artifacts ---- */

struct hfile {
    const char *name;
    const char *text; /* NULL: a 2 MiB meta-data object */
};

struct crafted {
    const char *what;
    struct hfile files[6];
    const char *extra_manifest; /* a manifest-only entry, or NULL */
    int status;
    const char *detail; /* expected in artsig_last_error(), or NULL */
    int version;        /* 0: 3 */
};

#define HI_APP                                                                                 \
    "{\"payloads\":[{\"type\":\"app\"}],\"artifact_provides\":{\"artifact_name\":\"crafted\"}," \
    "\"artifact_depends\":{\"device_type\":[\"dev\"]}}"
#define HI_WITH(payloads, provides, depends)                                                   \
    "{\"payloads\":" payloads ",\"artifact_provides\":" provides                               \
    ",\"artifact_depends\":" depends "}"
#define TI_APP "{\"type\":\"app\"}"
#define HI_V2                                                                                  \
    "{\"artifact_name\":\"v2\",\"updates\":[{\"type\":\"rootfs-image\"}],"                     \
    "\"device_types_compatible\":[\"dev\"]}"
#define TI_ROOTFS "{\"type\":\"rootfs-image\"}"
#define NEST16 "[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]"

static const struct crafted cases[] = {
    {"well-formed", {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP},
                     {"headers/0000/meta-data", "{\"k\":\"v\"}"}}, NULL, ARTSIG_OK, NULL},
    {"empty type is rootfs-image",
     {{"header-info", HI_WITH("[{\"type\":\"rootfs-image\"}]", "{\"artifact_name\":\"r\"}",
                              "{\"device_type\":[\"dev\"]}")},
      {"headers/0000/type-info", "{\"type\":\"\"}"}, {"headers/0000/meta-data", ""}},
     NULL, ARTSIG_OK, NULL},
    {"scripts and 15 levels of nesting",
     {{"header-info", HI_APP}, {"scripts/ArtifactInstall_Enter_00_a.b", "#!/bin/sh\n"},
      {"scripts/ArtifactCommit_Leave_99", "#!/bin/sh\n"}, {"headers/0000/type-info", TI_APP},
      {"headers/0000/meta-data", "{\"a\":[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]}"}},
     NULL, ARTSIG_OK, NULL},
    {"artifact_name of the wrong type",
     {{"header-info", HI_WITH("[{\"type\":\"app\"}]", "{\"artifact_name\":5}",
                              "{\"device_type\":[\"dev\"]}")},
      {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "artifact_name"},
    {"device_type a string",
     {{"header-info", HI_WITH("[{\"type\":\"app\"}]", "{\"artifact_name\":\"n\"}",
                              "{\"device_type\":\"dev\"}")},
      {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "device_type"},
    {"no payloads",
     {{"header-info", HI_WITH("[]", "{\"artifact_name\":\"n\"}", "{\"device_type\":[\"d\"]}")}},
     NULL, ARTSIG_EFORMAT, "payloads"},
    {"payload type a number",
     {{"header-info", HI_WITH("[{\"type\":7}]", "{\"artifact_name\":\"n\"}",
                              "{\"device_type\":[\"d\"]}")},
      {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "type"},
    {"nesting beyond the limit",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP},
      {"headers/0000/meta-data", "{\"a\":" NEST16 "}"}},
     NULL, ARTSIG_ELIMIT, NULL},
    {"2 MiB meta-data",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP},
      {"headers/0000/meta-data", NULL}},
     NULL, ARTSIG_ELIMIT, NULL},
    {"meta-data before type-info",
     {{"header-info", HI_APP}, {"headers/0000/meta-data", "{}"},
      {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "headers/0000/meta-data"},
    {"type-info before header-info",
     {{"headers/0000/type-info", TI_APP}, {"header-info", HI_APP}},
     NULL, ARTSIG_EFORMAT, "headers/0000/type-info"},
    {"unknown payload header",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP}, {"headers/0000/extra", "{}"}},
     NULL, ARTSIG_EFORMAT, "headers/0000/extra"},
    {"unknown header member",
     {{"header-info", HI_APP}, {"evil", "x"}, {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "evil"},
    {"script of a state that is not an artifact state",
     {{"header-info", HI_APP}, {"scripts/Download_Enter_00", "#!/bin/sh\n"},
      {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "Download_Enter_00"},
    {"script with one digit",
     {{"header-info", HI_APP}, {"scripts/ArtifactInstall_Enter_0", "#!/bin/sh\n"},
      {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "ArtifactInstall_Enter_0"},
    {"script after the payload headers",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP},
      {"scripts/ArtifactInstall_Enter_00", "#!/bin/sh\n"}},
     NULL, ARTSIG_EFORMAT, "ArtifactInstall_Enter_00"},
    {"type-info disagrees with header-info",
     {{"header-info", HI_APP}, {"headers/0000/type-info", "{\"type\":\"other\"}"}},
     NULL, ARTSIG_EFORMAT, "other"},
    {"type that is a path",
     {{"header-info", HI_WITH("[{\"type\":\"../../bin/x\"}]", "{\"artifact_name\":\"n\"}",
                              "{\"device_type\":[\"d\"]}")},
      {"headers/0000/type-info", "{\"type\":\"../../bin/x\"}"}},
     NULL, ARTSIG_EFORMAT, "update module"},
    {"meta-data an array",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP},
      {"headers/0000/meta-data", "[1,2]"}},
     NULL, ARTSIG_EFORMAT, "meta-data"},
    {"trailing garbage after header-info",
     {{"header-info", HI_APP "x"}, {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "header-info"},
    {"second JSON value in type-info",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP TI_APP}},
     NULL, ARTSIG_EFORMAT, "type-info"},
    {"number with a leading zero",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP},
      {"headers/0000/meta-data", "{\"a\":02.5}"}},
     NULL, ARTSIG_EFORMAT, "meta-data"},
    {"single-quoted strings",
     {{"header-info", HI_APP}, {"headers/0000/type-info", "{'type':'app'}"}},
     NULL, ARTSIG_EFORMAT, "type-info"},
    {"key cut at \\u0000",
     {{"header-info",
       HI_WITH("[{\"type\":\"app\"}]",
               "{\"artifact_name\":\"a\",\"artifact_name\\u0000\":\"b\"}",
               "{\"device_type\":[\"d\"]}")},
      {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "header-info"},
    {"provides value not a string",
     {{"header-info", HI_APP},
      {"headers/0000/type-info", "{\"type\":\"app\",\"artifact_provides\":{\"k\":[\"v\"]}}"}},
     NULL, ARTSIG_EFORMAT, "provides"},
    {"no type-info",
     {{"header-info", HI_APP}},
     NULL, ARTSIG_EFORMAT, "type-info"},
    {"two payloads declared, one described",
     {{"header-info", HI_WITH("[{\"type\":\"app\"},{\"type\":\"app\"}]",
                              "{\"artifact_name\":\"n\"}", "{\"device_type\":[\"d\"]}")},
      {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "headers/0001/type-info"},
    {"type-info of an undeclared payload",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP},
      {"headers/0001/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "headers/0001/type-info"},
    {"manifest lists a file of an undeclared payload",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP}},
     "data/0001/other.bin", ARTSIG_EFORMAT, "data/0001/other.bin"},
    {"version 2",
     {{"header-info", HI_V2}, {"headers/0000/files", "{\"files\":[\"file.bin\"]}"},
      {"headers/0000/type-info", TI_ROOTFS}, {"headers/0000/meta-data", ""}},
     NULL, ARTSIG_OK, NULL, 2},
    {"version 2 files naming another file",
     {{"header-info", HI_V2}, {"headers/0000/files", "{\"files\":[\"other.bin\"]}"},
      {"headers/0000/type-info", TI_ROOTFS}},
     NULL, ARTSIG_EFORMAT, "other.bin", 2},
    {"version 2 files missing one",
     {{"header-info", HI_V2}, {"headers/0000/files", "{\"files\":[]}"},
      {"headers/0000/type-info", TI_ROOTFS}},
     NULL, ARTSIG_EFORMAT, "headers/0000/files", 2},
    {"version 2 without files",
     {{"header-info", HI_V2}, {"headers/0000/type-info", TI_ROOTFS}},
     NULL, ARTSIG_EFORMAT, "headers/0000/type-info", 2},
    /* Go's v2 type-info holds "type" alone: provides there would bind only us. */
    {"version 2 type-info with provides",
     {{"header-info", HI_V2}, {"headers/0000/files", "{\"files\":[\"file.bin\"]}"},
      {"headers/0000/type-info",
       "{\"type\":\"rootfs-image\",\"artifact_provides\":{\"k\":\"v\"}}"}},
     NULL, ARTSIG_EFORMAT,
     "headers/0000/type-info: key \"artifact_provides\" is not part of this file's format", 2},
    /* mender-artifact refuses unknown keys in a v3 header-info. */
    {"header-info with an unknown key",
     {{"header-info", "{\"payloads\":[{\"type\":\"app\"}],\"artifact_provides\":"
                      "{\"artifact_name\":\"n\"},\"artifact_depends\":{\"device_type\":"
                      "[\"d\"]},\"extra\":1}"},
      {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "header-info: key \"extra\" is not part of this file's format"},
    /* Keys Go's encoding/json takes for a struct field spelt otherwise. */
    {"version 2 header-info with Device_Types_Compatible",
     {{"header-info",
       "{\"artifact_name\":\"v2\",\"updates\":[{\"type\":\"rootfs-image\"}],"
       "\"device_types_compatible\":[\"dev\"],\"Device_Types_Compatible\":[\"sim\"]}"},
      {"headers/0000/files", "{\"files\":[\"file.bin\"]}"},
      {"headers/0000/type-info", TI_ROOTFS}},
     NULL, ARTSIG_EFORMAT, "header-info: keys", 2},
    {"version 2 updates entry with TYPE",
     {{"header-info",
       "{\"artifact_name\":\"v2\",\"updates\":[{\"TYPE\":\"rootfs-image\"}],"
       "\"device_types_compatible\":[\"dev\"]}"},
      {"headers/0000/files", "{\"files\":[\"file.bin\"]}"},
      {"headers/0000/type-info", TI_ROOTFS}},
     NULL, ARTSIG_EFORMAT, "header-info: updates[0]: key \"TYPE\" must be spelt \"type\"", 2},
    {"version 2 files spelt Files",
     {{"header-info", HI_V2}, {"headers/0000/files", "{\"Files\":[\"file.bin\"]}"},
      {"headers/0000/type-info", TI_ROOTFS}},
     NULL, ARTSIG_EFORMAT, "headers/0000/files: key \"Files\" must be spelt \"files\"", 2},
    {"payloads entry with Type",
     {{"header-info", HI_WITH("[{\"Type\":\"app\"}]", "{\"artifact_name\":\"n\"}",
                              "{\"device_type\":[\"d\"]}")},
      {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "header-info: payloads[0]: key \"Type\" must be spelt \"type\""},
    {"artifact_depends with Artifact_Name",
     {{"header-info", HI_WITH("[{\"type\":\"app\"}]", "{\"artifact_name\":\"n\"}",
                              "{\"device_type\":[\"d\"],\"Artifact_Name\":[\"x\"]}")},
      {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "artifact_depends: key \"Artifact_Name\" must be spelt"},
    /* Go reads null as "no group"; refused rather than read otherwise. */
    {"artifact_group null",
     {{"header-info", HI_WITH("[{\"type\":\"app\"}]",
                              "{\"artifact_name\":\"n\",\"artifact_group\":null}",
                              "{\"device_type\":[\"d\"]}")},
      {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "\"artifact_group\" must be a string"},
    {"version 3 header-info in version 2",
     {{"header-info", HI_APP}, {"headers/0000/files", "{\"files\":[\"file.bin\"]}"},
      {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "artifact_name", 2},
    /* Well-formed UTF-8 and escapes read the same to json-c and Go. */
    {"multi-byte UTF-8 and a surrogate-pair escape",
     {{"header-info",
       HI_WITH("[{\"type\":\"app\"}]", "{\"artifact_name\":\"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\"}",
               "{\"device_type\":[\"dev\"]}")},
      {"headers/0000/type-info", TI_APP},
      {"headers/0000/meta-data",
       "{\"emoji\":\"\xf0\x9f\x98\x80\",\"pair\":\"\\ud83d\\ude00\",\"max\":\"\xf4\x8f\xbf\xbf\","
       "\"bmp\":\"\\uffff\xef\xbf\xbf\xed\x9f\xbf\xee\x80\x80\xc2\x80\xdf\xbf\"}"}},
     NULL, ARTSIG_OK, NULL},
    /* Ill-formed UTF-8 json-c accepts but Go reads as U+FFFD: refused. */
    {"overlong 2-byte NUL in artifact_name",
     {{"header-info",
       HI_WITH("[{\"type\":\"app\"}]", "{\"artifact_name\":\"a\xc0\x80\"}",
               "{\"device_type\":[\"dev\"]}")},
      {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "header-info: invalid UTF-8 at byte 68"},
    {"overlong 3-byte slash in meta-data",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP},
      {"headers/0000/meta-data", "{\"k\":\"\xe0\x80\xaf\"}"}},
     NULL, ARTSIG_EFORMAT, "meta-data: invalid UTF-8 at byte 6"},
    {"UTF-8-encoded surrogate in meta-data",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP},
      {"headers/0000/meta-data", "{\"k\":\"\xed\xa0\x80\"}"}},
     NULL, ARTSIG_EFORMAT, "meta-data: invalid UTF-8 at byte 6"},
    {"code point above U+10FFFF in meta-data",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP},
      {"headers/0000/meta-data", "{\"k\":\"\xf4\x90\x80\x80\"}"}},
     NULL, ARTSIG_EFORMAT, "meta-data: invalid UTF-8 at byte 6"},
    {"stray continuation byte in meta-data",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP},
      {"headers/0000/meta-data", "{\"k\":\"x\x80\"}"}},
     NULL, ARTSIG_EFORMAT, "meta-data: invalid UTF-8 at byte 7"},
    {"truncated sequence in meta-data",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP},
      {"headers/0000/meta-data", "{\"k\":\"\xe6\x97\"}"}},
     NULL, ARTSIG_EFORMAT, "meta-data: invalid UTF-8 at byte 6"},
    {"truncated sequence at the end of meta-data",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP},
      {"headers/0000/meta-data", "{\"k\":\"\"}\xf0\x9f\x98"}},
     NULL, ARTSIG_EFORMAT, "meta-data: invalid UTF-8 at byte 8"},
    {"lone high surrogate escape in artifact_name",
     {{"header-info",
       HI_WITH("[{\"type\":\"app\"}]", "{\"artifact_name\":\"a\\ud800\"}",
               "{\"device_type\":[\"dev\"]}")},
      {"headers/0000/type-info", TI_APP}},
     NULL, ARTSIG_EFORMAT, "invalid Unicode '\\uD800'"},
    {"high surrogate escape before a non-surrogate escape",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP},
      {"headers/0000/meta-data", "{\"k\":\"\\uD83D\\u0041\"}"}},
     NULL, ARTSIG_EFORMAT, "meta-data: invalid JSON near byte 19: invalid Unicode '\\uD83D\\u0041'"},
    {"lone low surrogate escape in meta-data",
     {{"header-info", HI_APP}, {"headers/0000/type-info", TI_APP},
      {"headers/0000/meta-data", "{\"k\":\"\\ude00\\ud83d\"}"}},
     NULL, ARTSIG_EFORMAT, "invalid Unicode '\\uDE00'"},
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* write_file(DIR/NAME), making NAME's folders first. */
static void write_under(const char *dir, const char *name, const void *data, size_t len)
{
    char path[512], cmd[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
    *slash = '/';
    write_file(path, data, len);
}

/* version, manifest, header.tar.gz (the case's files, in its order) and
 * data/0000.tar.gz holding file.bin, all consistent, so that the case's
 * flaw is the only one. Returns the artifact's path. */
static char *craft(const struct crafted *c)
{
    char tmpl[] = "/tmp/test-info-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    char hdir[64];
    snprintf(hdir, sizeof hdir, "%s/h", tmpl);
    char names[1024] = "";
    for (size_t i = 0; i < 6 && c->files[i].name; i++) {
        const struct hfile *h = &c->files[i];
        if (h->text) {
            write_under(hdir, h->name, h->text, strlen(h->text));
        } else {
            size_t n = 2 * 1024 * 1024;
            char *big = malloc(n);
            ck_assert_ptr_nonnull(big);
            memset(big, 'x', n);
            memcpy(big, "{\"a\":\"", 6);
            memcpy(big + n - 2, "\"}", 2);
            write_under(hdir, h->name, big, n);
            free(big);
        }
        strcat(names, " '");
        strcat(names, h->name);
        strcat(names, "'");
    }
    char extra[256] = "";
    if (c->extra_manifest)
        snprintf(extra, sizeof extra, "printf '%%s  %s\\n' \"$(printf x | sha256sum | cut -c1-64)\";",
                 c->extra_manifest);
    static const char script[] =
        "set -e; cd '%s'; export LC_ALL=C; T='tar --format=ustar --owner=0 --group=0 "
        "--numeric-owner';"
        "mkdir -p d data; printf 'payload\\n' > d/file.bin;"
        "$T -C d -cf data0.tar file.bin; gzip -n -c data0.tar > data/0000.tar.gz;"
        "$T -C h -cf header.tar %s; gzip -n -c header.tar > header.tar.gz;"
        "printf '{\"format\":\"mender\",\"version\":%d}' > version;"
        "{ sha256sum version header.tar.gz; (cd d && sha256sum file.bin) | sed "
        "'s|  |  data/0000/|'; %s } | sort -k2 > manifest;"
        "$T -cf art.mender version manifest header.tar.gz data/0000.tar.gz";
    char cmd[4096];
    snprintf(cmd, sizeof cmd, script, tmpl, names, c->version ? c->version : 3, extra);
    ck_assert_msg(system(cmd) == 0, "crafting \"%s\" failed", c->what);
    char *path = malloc(strlen(tmpl) + 16);
    ck_assert_ptr_nonnull(path);
    sprintf(path, "%s/art.mender", tmpl);
    return path;
}

static void remove_craft(char *path)
{
    char cmd[600];
    *strrchr(path, '/') = '\0';
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
    free(path);
}

START_TEST(crafted_header)
{
    const struct crafted *c = &cases[_i];
    char *path = craft(c);
    artsig_reader *r;
    int rc = run_reader(&r, path, NULL);
    const char *detail = artsig_last_error();
    ck_assert_msg(rc == c->status, "%s: %s instead of %s (%s)", c->what, artsig_strerror(rc),
                  artsig_strerror(c->status), detail);
    if (c->detail)
        ck_assert_msg(strstr(detail, c->detail) != NULL, "%s: detail \"%s\" lacks \"%s\"",
                      c->what, detail, c->detail);
    if (rc == ARTSIG_OK) {
        const artsig_info *info = artsig_reader_info(r);
        const char *fname;
        int64_t size;
        const uint8_t *digest;
        ck_assert_int_eq(artsig_info_file(&fname, &size, &digest, info, 0, 0), ARTSIG_OK);
        ck_assert_str_eq(fname, "file.bin");
        ck_assert_int_eq(size, 8);
        ck_assert_ptr_nonnull(artsig_info_json(info));
    }
    artsig_reader_free(r);
    remove_craft(path);
}
END_TEST

START_TEST(crafted_details)
{
    /* "" in type-info reads as rootfs-image; empty meta-data is absent. */
    char *path = craft(&cases[1]);
    artsig_reader *r;
    ck_assert_int_eq(run_reader(&r, path, NULL), ARTSIG_OK);
    const artsig_info *info = artsig_reader_info(r);
    ck_assert_str_eq(artsig_info_payload_type(info, 0), "rootfs-image");
    ck_assert_ptr_null(artsig_info_meta_data(info, 0));
    ck_assert_ptr_null(artsig_info_group(info));
    artsig_reader_free(r);
    remove_craft(path);

    /* Scripts come sorted by name; meta-data as compact JSON. */
    path = craft(&cases[2]);
    ck_assert_int_eq(run_reader(&r, path, NULL), ARTSIG_OK);
    info = artsig_reader_info(r);
    ck_assert_uint_eq(artsig_info_script_count(info), 2);
    const char *name;
    const uint8_t *data;
    size_t len;
    ck_assert_int_eq(artsig_info_script(&name, &data, &len, info, 0), ARTSIG_OK);
    ck_assert_str_eq(name, "ArtifactCommit_Leave_99");
    ck_assert_int_eq(artsig_info_script(&name, &data, &len, info, 1), ARTSIG_OK);
    ck_assert_str_eq(name, "ArtifactInstall_Enter_00_a.b");
    ck_assert_str_eq(artsig_info_meta_data(info, 0), "{\"a\":[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]}");
    artsig_reader_free(r);
    remove_craft(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("info");
    TCase *tc = tcase_create("vectors");
    tcase_add_loop_test(tc, json_agrees_with_meta, 0, N_META);
    tcase_add_loop_test(tc, accessors_agree_with_meta, 0, N_META);
    tcase_add_test(tc, depends_provides_clears_scripts);
    tcase_add_test(tc, augmented_files_and_headers);
    tcase_add_test(tc, raw_header_files);
    tcase_add_test(tc, signature_in_json);
    suite_add_tcase(s, tc);

    tc = tcase_create("crafted");
    tcase_add_loop_test(tc, crafted_header, 0, N_CASES);
    tcase_add_test(tc, crafted_details);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
