/* The writer and the signers: every kind of artifact in every compression,
 * signed with each key type and unsigned, read back by the library and
 * checked by Debian's mender-artifact 3.9 where it can (gzip, xz and none;
 * RSA and ECDSA); byte-identical output for the same input; the tar layout;
 * callback signers; bounded memory on a large payload; refusals. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ecdsa.h>

#include <artsig.h>

#include "testutil.h"

#define OK(x) ck_assert_msg((x) == ARTSIG_OK, "%s: %s", #x, artsig_last_error())
#define FAILS(code, x)                                                                       \
    do {                                                                                     \
        int rc_ = (x);                                                                       \
        ck_assert_msg(rc_ == (code), "%s: %d (%s), want %d", #x, rc_, artsig_last_error(),   \
                      (code));                                                               \
    } while (0)

static const char *const devices[] = {"qemux86-64", "raspberrypi4"};
static const char meta_in[] = "{\"service\": \"app\", \"ports\": [8080, 2.50],\n"
                              " \"nested\": {\"z\": null, \"a\": \"x/y \\u00e9\"}}";
static const char meta_out[] =
    "{\"nested\":{\"a\":\"x/y \xc3\xa9\",\"z\":null},\"ports\":[8080,2.50],\"service\":\"app\"}";

enum kind { ROOTFS, MODULE, BOOTSTRAP, V2, KINDS };
static const char *const kind_names[] = {"rootfs", "module", "bootstrap", "v2"};

/* Private key, public key; the first entry is "unsigned". */
static const struct {
    const char *priv, *pub;
    artsig_key_type type;
} keys[] = {
    {NULL, NULL, 0},
    {"rsa3072.pkcs1.key", "rsa3072.pub", ARTSIG_KEY_RSA},
    {"ecp256.sec1.key", "ecp256.pub", ARTSIG_KEY_ECDSA_P256},
    {"ed25519.key", "ed25519.pub", ARTSIG_KEY_ED25519},
};
#define N_KEYS (sizeof keys / sizeof keys[0])

/* ---- inputs ---- */

/* `size` bytes that compress somewhat, different for each seed. */
static void make_file(const char *name, size_t size, unsigned seed)
{
    uint8_t *data = malloc(size ? size : 1);
    ck_assert_ptr_nonnull(data);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (uint8_t)((x >> 16) % 23 + 'a');
    }
    write_file(tmp(name), data, size);
    free(data);
}

static void make_inputs(void)
{
    make_file("rootfs.img", 65536, 1);
    make_file("app-0.bin", 100000, 2);
    make_file("app-2.bin", 3000, 3);
    make_file("empty-src", 0, 4);
    write_file(tmp("ArtifactInstall_Enter_00"), "#!/bin/sh\necho install\n", 23);
    write_file(tmp("ArtifactCommit_Leave_50_cleanup"), "#!/bin/sh\necho commit\n", 22);
}

static char *hex_of_file(const char *name)
{
    size_t len;
    uint8_t *data = slurp(tmp(name), &len);
    uint8_t digest[ARTSIG_DIGEST_LEN];
    OK(artsig_sha256(digest, data, len));
    free(data);
    static char hex[ARTSIG_DIGEST_HEX_LEN + 1];
    artsig_digest_to_hex(hex, digest);
    return hex;
}

static artsig_signer *key_signer(const char *file)
{
    artsig_key *key = load_vec_key(file);
    artsig_signer *s;
    OK(artsig_signer_new_key(&s, key));
    artsig_key_free(key);
    return s;
}

static artsig_writer *describe(enum kind kind, artsig_compression c, artsig_signer *signer,
                               const char *name)
{
    artsig_writer *w;
    OK(artsig_writer_new(&w));
    OK(artsig_writer_set_compression(w, c, 0));
    OK(artsig_writer_set_signer(w, signer));
    OK(artsig_writer_set_name(w, name));
    for (size_t i = 0; i < 2; i++)
        OK(artsig_writer_add_device_type(w, devices[i]));
    size_t p;
    switch (kind) {
    case V2:
        OK(artsig_writer_set_format_version(w, 2));
        /* fall through */
    case ROOTFS:
        OK(artsig_writer_add_payload(&p, w, "rootfs-image"));
        OK(artsig_writer_payload_add_file(w, p, tmp("rootfs.img"), NULL));
        if (kind == V2)
            break;
        OK(artsig_writer_payload_provide_checksum(w, p, "rootfs-image.checksum"));
        OK(artsig_writer_payload_add_provides(w, p, "rootfs-image.version", name));
        OK(artsig_writer_payload_add_clears(w, p, "artifact_group"));
        OK(artsig_writer_payload_add_clears(w, p, "rootfs_image_checksum"));
        OK(artsig_writer_payload_add_clears(w, p, "rootfs-image.*"));
        break;
    case MODULE:
        OK(artsig_writer_set_provides_group(w, "stable"));
        OK(artsig_writer_add_artifact_depends(w, "artifact_name", "r1"));
        OK(artsig_writer_add_artifact_depends(w, "artifact_name", "r2"));
        OK(artsig_writer_add_artifact_depends(w, "artifact_group", "beta"));
        OK(artsig_writer_add_script(w, tmp("ArtifactInstall_Enter_00")));
        OK(artsig_writer_add_script(w, tmp("ArtifactCommit_Leave_50_cleanup")));
        OK(artsig_writer_add_payload(&p, w, "app-bundle"));
        OK(artsig_writer_payload_add_file(w, p, tmp("app-2.bin"), NULL));
        OK(artsig_writer_payload_add_file(w, p, tmp("app-0.bin"), NULL));
        OK(artsig_writer_payload_add_file(w, p, tmp("empty-src"), "empty.bin"));
        OK(artsig_writer_payload_add_provides(w, p, "rootfs-image.app-bundle.version", name));
        OK(artsig_writer_payload_add_provides(w, p, "app.version", "1.0"));
        OK(artsig_writer_payload_add_depends(w, p, "rootfs-image.version", "r1"));
        OK(artsig_writer_payload_add_depends(w, p, "os", "ubuntu"));
        OK(artsig_writer_payload_add_depends(w, p, "os", "debian"));
        OK(artsig_writer_payload_add_clears(w, p, "rootfs-image.app-bundle.*"));
        OK(artsig_writer_payload_set_meta_data(w, p, meta_in));
        break;
    case BOOTSTRAP:
        OK(artsig_writer_add_payload(&p, w, NULL));
        OK(artsig_writer_payload_add_provides(w, p, "a.b", "c"));
        OK(artsig_writer_payload_add_clears(w, p, "x.*"));
        break;
    case KINDS:
        ck_abort_msg("no such kind");
    }
    ck_assert_uint_eq(p, 0);
    return w;
}

static void write_to(artsig_writer *w, const char *name)
{
    int fd = open(tmp(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ck_assert_int_ge(fd, 0);
    OK(artsig_writer_write_fd(w, fd));
    ck_assert_int_eq(close(fd), 0);
}

/* ---- reading back ---- */

struct back {
    artsig_keyring *ring;
    artsig_reader *r;
    const artsig_info *info;
};

static void read_back(struct back *b, const char *name, const char *pub)
{
    OK(artsig_keyring_new(&b->ring));
    if (pub) {
        char *path = vec_pathf("keys/%s", pub);
        OK(artsig_keyring_add_file(b->ring, path));
        free(path);
    }
    OK(artsig_reader_new(&b->r, b->ring, NULL, NULL));
    int fd = open(tmp(name), O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    int rc = artsig_reader_run_fd(b->r, fd);
    close(fd);
    ck_assert_msg(rc == ARTSIG_OK, "%s: %s", name, artsig_last_error());
    b->info = artsig_reader_info(b->r);
}

static void back_free(struct back *b)
{
    artsig_reader_free(b->r);
    artsig_keyring_free(b->ring);
}

/* Entries as "key=value" (provides) or "key=v1|v2" (depends), in key order. */
static void expect_entries(const artsig_info *info, size_t payload, bool depends,
                           const char *const *want)
{
    size_t n = depends ? artsig_info_depends_count(info, payload)
                       : artsig_info_provides_count(info, payload);
    size_t want_n = 0;
    while (want[want_n])
        want_n++;
    ck_assert_uint_eq(n, want_n);
    for (size_t i = 0; i < n; i++) {
        char got[512];
        const char *key;
        if (depends) {
            const char *const *values;
            size_t nv;
            OK(artsig_info_depends(&key, &values, &nv, info, payload, i));
            int used = snprintf(got, sizeof got, "%s=", key);
            for (size_t j = 0; j < nv; j++)
                used += snprintf(got + used, sizeof got - (size_t)used, "%s%s", j ? "|" : "",
                                 values[j]);
        } else {
            const char *value;
            OK(artsig_info_provides(&key, &value, info, payload, i));
            snprintf(got, sizeof got, "%s=%s", key, value);
        }
        ck_assert_str_eq(got, want[i]);
    }
}

/* The payload's files: names in order, each with the size and digest of
 * the input it came from. */
static void expect_files(const artsig_info *info, size_t payload, const char *const *names,
                         const char *const *inputs)
{
    size_t n = 0;
    while (names[n])
        n++;
    ck_assert_uint_eq(artsig_info_file_count(info, payload), n);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        int64_t size;
        const uint8_t *digest;
        OK(artsig_info_file(&name, &size, &digest, info, payload, i));
        ck_assert_str_eq(name, names[i]);
        struct stat st;
        ck_assert_int_eq(stat(tmp(inputs[i]), &st), 0);
        ck_assert_int_eq(size, st.st_size);
        char hex[ARTSIG_DIGEST_HEX_LEN + 1];
        artsig_digest_to_hex(hex, digest);
        ck_assert_str_eq(hex, hex_of_file(inputs[i]));
    }
}

static void expect_script(const artsig_info *info, size_t index, const char *name)
{
    const char *got;
    const uint8_t *data;
    size_t len, want_len;
    OK(artsig_info_script(&got, &data, &len, info, index));
    ck_assert_str_eq(got, name);
    uint8_t *want = slurp(tmp(name), &want_len);
    ck_assert_uint_eq(len, want_len);
    ck_assert_int_eq(memcmp(data, want, len), 0);
    free(want);
}

static void check_facts(const artsig_info *info, enum kind kind, const char *name, size_t key)
{
    ck_assert_int_eq(artsig_info_format_version(info), kind == V2 ? 2 : 3);
    ck_assert_str_eq(artsig_info_name(info), name);
    ck_assert_uint_eq(artsig_info_device_type_count(info), 2);
    for (size_t i = 0; i < 2; i++)
        ck_assert_str_eq(artsig_info_device_type(info, i), devices[i]);
    ck_assert_int_eq(artsig_info_signature(info),
                     key ? ARTSIG_SIG_VERIFIED : ARTSIG_SIG_UNSIGNED);
    ck_assert_int_eq(artsig_info_verifying_key(info), key ? 0 : -1);
    ck_assert_int_eq(artsig_info_is_augmented(info), 0);
    ck_assert_uint_eq(artsig_info_payload_count(info), 1);
    if (kind != MODULE)
        ck_assert_ptr_null(artsig_info_meta_data(info, 0));
    char devices_list[64], name_provide[128];
    snprintf(devices_list, sizeof devices_list, "device_type=%s|%s", devices[0], devices[1]);
    snprintf(name_provide, sizeof name_provide, "artifact_name=%s", name);
    if (kind == MODULE) {
        ck_assert_str_eq(artsig_info_group(info), "stable");
        expect_entries(info, ARTSIG_ARTIFACT, false,
                       (const char *const[]){"artifact_group=stable", name_provide, NULL});
        expect_entries(info, ARTSIG_ARTIFACT, true,
                       (const char *const[]){"artifact_group=beta", "artifact_name=r1|r2",
                                             devices_list, NULL});
    } else {
        ck_assert_ptr_null(artsig_info_group(info));
        expect_entries(info, ARTSIG_ARTIFACT, false, (const char *const[]){name_provide, NULL});
        expect_entries(info, ARTSIG_ARTIFACT, true, (const char *const[]){devices_list, NULL});
    }
    ck_assert_uint_eq(artsig_info_script_count(info), kind == MODULE ? 2 : 0);

    char checksum[128], version[128];
    switch (kind) {
    case ROOTFS:
    case V2:
        ck_assert_str_eq(artsig_info_payload_type(info, 0), "rootfs-image");
        expect_files(info, 0, (const char *const[]){"rootfs.img", NULL},
                     (const char *const[]){"rootfs.img", NULL});
        if (kind == V2) {
            ck_assert_uint_eq(artsig_info_provides_count(info, 0), 0);
            ck_assert_uint_eq(artsig_info_clears_count(info, 0), 0);
            break;
        }
        snprintf(checksum, sizeof checksum, "rootfs-image.checksum=%s",
                 hex_of_file("rootfs.img"));
        snprintf(version, sizeof version, "rootfs-image.version=%s", name);
        expect_entries(info, 0, false, (const char *const[]){checksum, version, NULL});
        ck_assert_uint_eq(artsig_info_clears_count(info, 0), 3);
        ck_assert_str_eq(artsig_info_clears(info, 0, 2), "rootfs-image.*");
        break;
    case MODULE:
        ck_assert_str_eq(artsig_info_payload_type(info, 0), "app-bundle");
        expect_script(info, 0, "ArtifactCommit_Leave_50_cleanup");
        expect_script(info, 1, "ArtifactInstall_Enter_00");
        expect_files(info, 0, (const char *const[]){"app-0.bin", "app-2.bin", "empty.bin", NULL},
                     (const char *const[]){"app-0.bin", "app-2.bin", "empty-src", NULL});
        snprintf(version, sizeof version, "rootfs-image.app-bundle.version=%s", name);
        expect_entries(info, 0, false, (const char *const[]){"app.version=1.0", version, NULL});
        expect_entries(info, 0, true,
                       (const char *const[]){"os=ubuntu|debian", "rootfs-image.version=r1",
                                             NULL});
        ck_assert_uint_eq(artsig_info_clears_count(info, 0), 1);
        ck_assert_str_eq(artsig_info_clears(info, 0, 0), "rootfs-image.app-bundle.*");
        ck_assert_str_eq(artsig_info_meta_data(info, 0), meta_out);
        break;
    case BOOTSTRAP:
        ck_assert_ptr_null(artsig_info_payload_type(info, 0));
        ck_assert_uint_eq(artsig_info_file_count(info, 0), 0);
        expect_entries(info, 0, false, (const char *const[]){"a.b=c", NULL});
        ck_assert_uint_eq(artsig_info_clears_count(info, 0), 1);
        break;
    case KINDS:
        break;
    }
}

static bool mender_artifact_can(artsig_compression c, size_t key)
{
    return c != ARTSIG_COMPRESS_ZSTD && keys[key].type != ARTSIG_KEY_ED25519;
}

static int mender_validate(const char *name, const char *pub)
{
    return pub ? sh("mender-artifact validate -k \"$V/%s\" %s >/dev/null 2>&1", pub, name)
               : sh("mender-artifact validate %s >/dev/null 2>&1", name);
}

/* ---- every combination ---- */

START_TEST(every_kind_compression_and_key)
{
    make_inputs();
    const char *const comps[] = {"none", "gzip", "xz", "zstd"};
    for (int kind = 0; kind < KINDS; kind++)
        for (size_t ci = 0; ci < 4; ci++)
            for (size_t k = 0; k < N_KEYS; k++) {
                artsig_compression c;
                OK(artsig_compression_from_name(&c, comps[ci]));
                char name[64];
                snprintf(name, sizeof name, "%s-%s-%zu", kind_names[kind], comps[ci], k);
                artsig_signer *signer = keys[k].priv ? key_signer(keys[k].priv) : NULL;
                artsig_writer *w = describe((enum kind)kind, c, signer, name);
                artsig_signer_free(signer);
                write_to(w, "a.mender");
                artsig_writer_free(w);

                struct back b;
                read_back(&b, "a.mender", keys[k].pub);
                check_facts(b.info, (enum kind)kind, name, k);
                back_free(&b);
                if (mender_artifact_can(c, k))
                    ck_assert_msg(mender_validate("a.mender", keys[k].pub) == 0,
                                  "mender-artifact validate refused %s", name);
            }
}
END_TEST

/* What mender-artifact 3.9 reads out of our module artifact. */
START_TEST(mender_artifact_reads_facts)
{
    make_inputs();
    artsig_signer *signer = key_signer("ecp256.sec1.key");
    artsig_writer *w = describe(MODULE, ARTSIG_COMPRESS_XZ, signer, "app-7");
    artsig_signer_free(signer);
    write_to(w, "a.mender");
    artsig_writer_free(w);
    ck_assert_int_eq(sh("mender-artifact read -k \"$V/ecp256.pub\" a.mender > out.txt 2>&1"), 0);
    static const char *const lines[] = {
        "Name: app-7",
        "Signature: signed and verified correctly",
        "Compatible devices: '[qemux86-64 raspberrypi4]'",
        "Provides group: stable",
        "Depends on one of artifact(s): [r1, r2]",
        "Depends on one of group(s): [beta]",
        "ArtifactInstall_Enter_00",
        "ArtifactCommit_Leave_50_cleanup",
        "Type:   app-bundle",
        "app.version: 1.0",
        "rootfs-image.app-bundle.version: app-7",
        "os: [ubuntu debian]",
        "Clears Provides: [\"rootfs-image.app-bundle.*\"]",
        "\"service\": \"app\"",
        "name:     empty.bin",
        "size:     100000",
    };
    size_t len;
    char *out = (char *)slurp(tmp("out.txt"), &len);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        ck_assert_msg(strstr(out, lines[i]), "no \"%s\" in:\n%s", lines[i], out);
    ck_assert_ptr_nonnull(strstr(out, hex_of_file("app-0.bin")));
    free(out);
    /* The wrong key is refused, so the signature really was checked. */
    ck_assert_int_ne(mender_validate("a.mender", "ecp256b.pub"), 0);
}
END_TEST

/* Two payloads, and a file name too long for ustar (a pax record). */
START_TEST(two_payloads_and_long_name)
{
    make_inputs();
    char long_name[201];
    memset(long_name, 'n', 200);
    long_name[200] = 0;
    artsig_writer *w;
    OK(artsig_writer_new(&w));
    OK(artsig_writer_set_name(w, "two"));
    OK(artsig_writer_add_device_type(w, "dev"));
    size_t p0, p1;
    OK(artsig_writer_add_payload(&p0, w, "single-file"));
    OK(artsig_writer_add_payload(&p1, w, "directory"));
    ck_assert_uint_eq(p1, 1);
    OK(artsig_writer_payload_add_file(w, p0, tmp("app-2.bin"), long_name));
    OK(artsig_writer_payload_add_file(w, p1, tmp("app-0.bin"), NULL));
    OK(artsig_writer_payload_provide_checksum(w, p1, "app.checksum"));
    write_to(w, "a.mender");
    artsig_writer_free(w);

    struct back b;
    read_back(&b, "a.mender", NULL);
    ck_assert_uint_eq(artsig_info_payload_count(b.info), 2);
    ck_assert_str_eq(artsig_info_payload_type(b.info, 1), "directory");
    expect_files(b.info, 0, (const char *const[]){long_name, NULL},
                 (const char *const[]){"app-2.bin", NULL});
    expect_files(b.info, 1, (const char *const[]){"app-0.bin", NULL},
                 (const char *const[]){"app-0.bin", NULL});
    char checksum[128];
    snprintf(checksum, sizeof checksum, "app.checksum=%s", hex_of_file("app-0.bin"));
    expect_entries(b.info, 1, false, (const char *const[]){checksum, NULL});
    back_free(&b);
    ck_assert_int_eq(mender_validate("a.mender", NULL), 0);
}
END_TEST

/* ---- layout and reproducibility ---- */

static bool same_files(const char *a, const char *b)
{
    size_t la, lb;
    uint8_t *x = slurp(tmp(a), &la), *y = slurp(tmp(b), &lb);
    bool same = la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

struct chunky {
    FILE *f;
    size_t most; /* takes at most this much per call */
};

static ssize_t chunky_write(const void *data, size_t len, void *userdata)
{
    struct chunky *c = userdata;
    size_t n = len < c->most ? len : c->most;
    return fwrite(data, 1, n, c->f) == n ? (ssize_t)n : -1;
}

static void write_through_cb(artsig_writer *w, const char *name, size_t most)
{
    struct chunky c = {fopen(tmp(name), "wb"), most};
    ck_assert_ptr_nonnull(c.f);
    OK(artsig_writer_write_cb(w, chunky_write, &c));
    ck_assert_int_eq(fclose(c.f), 0);
}

START_TEST(reproducible)
{
    make_inputs();
    const char *const signers[] = {NULL, "rsa3072.pkcs1.key", "ed25519.key"};
    for (artsig_compression c = ARTSIG_COMPRESS_NONE; c <= ARTSIG_COMPRESS_ZSTD; c++)
        for (size_t k = 0; k < 3; k++) {
            artsig_signer *signer = signers[k] ? key_signer(signers[k]) : NULL;
            artsig_writer *w = describe(MODULE, c, signer, "same");
            artsig_signer_free(signer);
            write_to(w, "a.mender");
            /* Through copy_file_range, through the callback in odd pieces,
             * through an append-only descriptor (no copy_file_range), through
             * a pipe: the same bytes each time. */
            write_through_cb(w, "b.mender", 1000 + 7 * k);
            ck_assert_msg(same_files("a.mender", "b.mender"), "compression %d, key %zu", c, k);
            int fd = open(tmp("c.mender"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            ck_assert_int_ge(fd, 0);
            OK(artsig_writer_write_fd(w, fd));
            close(fd);
            ck_assert(same_files("a.mender", "c.mender"));
            char cmd[512];
            snprintf(cmd, sizeof cmd, "cat > '%s'", tmp("d.mender"));
            FILE *pipe = popen(cmd, "w");
            ck_assert_ptr_nonnull(pipe);
            OK(artsig_writer_write_fd(w, fileno(pipe)));
            ck_assert_int_eq(pclose(pipe), 0);
            ck_assert(same_files("a.mender", "d.mender"));
            artsig_writer_free(w);
            /* A new writer with the same description. */
            signer = signers[k] ? key_signer(signers[k]) : NULL;
            w = describe(MODULE, c, signer, "same");
            artsig_signer_free(signer);
            write_to(w, "e.mender");
            artsig_writer_free(w);
            ck_assert(same_files("a.mender", "e.mender"));
            unlink(tmp("c.mender"));
        }
}
END_TEST

/* Output does not depend on the thread count, for an input large enough
 * that xz writes several blocks (3 MiB each at level 1), zstd runs several
 * jobs and gzip cuts several pieces (512 KiB each), ISA-L's (the default) and
 * zlib's. Mostly text, as xz is slow on what hardly compresses, and then
 * some noise, which gzip's pieces compress to about their own size. */
START_TEST(threads_do_not_change_output)
{
    FILE *f = fopen(tmp("big.bin"), "w");
    ck_assert_ptr_nonnull(f);
    for (unsigned i = 0; i < 200000; i++)
        fprintf(f, "line %u of the threads test, %x\n", i, i * i);
    uint32_t x = 2463534242u; /* xorshift32 */
    for (unsigned i = 0; i < 1536 * 1024; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        fputc((int)(x & 0xff), f);
    }
    ck_assert_int_eq(fclose(f), 0);
    const struct {
        artsig_compression c;
        int level;
    } comps[] = {{ARTSIG_COMPRESS_XZ, 1}, {ARTSIG_COMPRESS_ZSTD, 1}, {ARTSIG_COMPRESS_GZIP, 0},
                 {ARTSIG_COMPRESS_GZIP, 6}};
    const unsigned threads[] = {1, 3};
    for (size_t ci = 0; ci < sizeof comps / sizeof comps[0]; ci++)
        for (size_t t = 0; t < 2; t++) {
            artsig_writer *w;
            OK(artsig_writer_new(&w));
            OK(artsig_writer_set_name(w, "threads"));
            OK(artsig_writer_add_device_type(w, "dev"));
            OK(artsig_writer_set_compression(w, comps[ci].c, comps[ci].level));
            OK(artsig_writer_set_threads(w, threads[t]));
            size_t p;
            OK(artsig_writer_add_payload(&p, w, "rootfs-image"));
            OK(artsig_writer_payload_add_file(w, p, tmp("big.bin"), NULL));
            write_to(w, t == 0 ? "one.mender" : "many.mender");
            artsig_writer_free(w);
            if (t == 0)
                continue;
            ck_assert_msg(same_files("one.mender", "many.mender"),
                          "compression %d level %d, %u threads", comps[ci].c, comps[ci].level,
                          threads[t]);
            struct back b;
            read_back(&b, "many.mender", NULL);
            back_free(&b);
            /* gzip(1) reads it back whole: the pieces join into one deflate
             * stream with the right CRC and length. */
            if (comps[ci].c == ARTSIG_COMPRESS_GZIP)
                ck_assert_int_eq(sh("tar -xOf many.mender data/0000.tar.gz | gzip -dc | "
                                    "tar -xOf - big.bin | cmp -s - big.bin"), 0);
        }
}
END_TEST

/* Owner, modes and times of every tar entry, outer and inner. */
static void expect_listing(const char *listing, const char *when)
{
    ck_assert_int_eq(sh("tar -tvf a.mender --numeric-owner --full-time > outer.txt"), 0);
    ck_assert_int_eq(sh("tar -xOf a.mender header.tar.gz | tar -tvz --numeric-owner "
                        "--full-time > header.txt"), 0);
    ck_assert_int_eq(sh("tar -xOf a.mender data/0000.tar.gz | tar -tvz --numeric-owner "
                        "--full-time > data.txt"), 0);
    ck_assert_int_eq(sh("cat outer.txt header.txt data.txt | awk '{print $1, $2, $4, $5, $6}' "
                        "> got.txt"), 0);
    write_file(tmp("want.txt"), listing, strlen(listing));
    ck_assert_int_eq(sh("sed 's/@/%s/' want.txt | diff -u - got.txt >&2", when), 0);
}

START_TEST(tar_layout_and_times)
{
    make_inputs();
    static const char listing[] = "-rw------- 0/0 @ version\n"
                                  "-rw------- 0/0 @ manifest\n"
                                  "-rw------- 0/0 @ manifest.sig\n"
                                  "-rw------- 0/0 @ header.tar.gz\n"
                                  "-rw------- 0/0 @ data/0000.tar.gz\n"
                                  "-rw------- 0/0 @ header-info\n"
                                  "-rwxr-xr-x 0/0 @ scripts/ArtifactInstall_Enter_00\n"
                                  "-rwxr-xr-x 0/0 @ scripts/ArtifactCommit_Leave_50_cleanup\n"
                                  "-rw------- 0/0 @ headers/0000/type-info\n"
                                  "-rw------- 0/0 @ headers/0000/meta-data\n"
                                  "-rw-r--r-- 0/0 @ app-2.bin\n"
                                  "-rw-r--r-- 0/0 @ app-0.bin\n"
                                  "-rw-r--r-- 0/0 @ empty.bin\n";
    setenv("TZ", "UTC", 1);
    artsig_signer *signer = key_signer("rsa3072.pkcs1.key");
    unsetenv("SOURCE_DATE_EPOCH");
    artsig_writer *w = describe(MODULE, ARTSIG_COMPRESS_GZIP, signer, "times");
    write_to(w, "a.mender");
    expect_listing(listing, "1970-01-01 00:00:00");

    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    write_to(w, "a.mender");
    expect_listing(listing, "2023-11-14 22:13:20");
    /* Only the times changed: the same signed manifest would not do. */
    ck_assert_int_eq(sh("tar -xOf a.mender version | grep -qx "
                        "'{\"format\":\"mender\",\"version\":3}'"), 0);

    OK(artsig_writer_set_mtime(w, 86400));
    write_to(w, "a.mender");
    expect_listing(listing, "1970-01-02 00:00:00");
    FAILS(ARTSIG_EINVAL, artsig_writer_set_mtime(w, -1));
    FAILS(ARTSIG_EINVAL, artsig_writer_set_mtime(w, 077777777777LL + 1));
    artsig_writer_free(w);

    static const char *const bad[] = {"12abc", "-5", " 7", "99999999999999999999", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("SOURCE_DATE_EPOCH", bad[i], 1);
        w = describe(MODULE, ARTSIG_COMPRESS_GZIP, signer, "times");
        int fd = open(tmp("bad.mender"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        FAILS(ARTSIG_EINVAL, artsig_writer_write_fd(w, fd));
        ck_assert_ptr_nonnull(strstr(artsig_last_error(), "SOURCE_DATE_EPOCH"));
        close(fd);
        artsig_writer_free(w);
    }
    unsetenv("SOURCE_DATE_EPOCH");
    artsig_signer_free(signer);

    /* mender-artifact's exact JSON for the same rootfs description. */
    w = describe(ROOTFS, ARTSIG_COMPRESS_NONE, NULL, "release-1");
    write_to(w, "a.mender");
    artsig_writer_free(w);
    ck_assert_int_eq(sh("tar -xOf a.mender header.tar | tar -xO header-info > hi.txt"), 0);
    size_t len;
    char *hi = (char *)slurp(tmp("hi.txt"), &len);
    ck_assert_str_eq(hi, "{\"payloads\":[{\"type\":\"rootfs-image\"}],\"artifact_provides\":"
                         "{\"artifact_name\":\"release-1\"},\"artifact_depends\":"
                         "{\"device_type\":[\"qemux86-64\",\"raspberrypi4\"]}}");
    free(hi);
    ck_assert_int_eq(sh("tar -xOf a.mender header.tar | tar -xO headers/0000/type-info > ti.txt"),
                     0);
    char *ti = (char *)slurp(tmp("ti.txt"), &len);
    char want[512];
    snprintf(want, sizeof want,
             "{\"type\":\"rootfs-image\",\"artifact_provides\":{\"rootfs-image.checksum\":"
             "\"%s\",\"rootfs-image.version\":\"release-1\"},\"clears_artifact_provides\":"
             "[\"artifact_group\",\"rootfs_image_checksum\",\"rootfs-image.*\"]}",
             hex_of_file("rootfs.img"));
    ck_assert_str_eq(ti, want);
    free(ti);
    /* Tar streams end right after the end-of-archive blocks, as Go's do:
     * the very sizes mender-artifact 3.9 writes for this artifact. */
    ck_assert_int_eq(sh("test $(tar -xOf a.mender header.tar | wc -c) = 3584"), 0);
    ck_assert_int_eq(sh("test $(stat -c %%s a.mender) = 74752"), 0);
}
END_TEST

/* ---- signers ---- */

struct der_signer {
    artsig_key *key;
    int calls;
    int fail; /* status to return instead of signing */
    bool garbage;
};

/* Signs with the key and hands back DER, as an HSM or KMS would. */
static int der_sign(uint8_t *sig, size_t *sig_len, const void *msg, size_t msg_len, void *u)
{
    struct der_signer *d = u;
    d->calls++;
    ck_assert_uint_eq(*sig_len, ARTSIG_SIGNATURE_MAX);
    if (d->fail)
        return d->fail;
    if (d->garbage) {
        memset(sig, 0x30, 40);
        *sig_len = 40;
        return ARTSIG_OK;
    }
    uint8_t raw[ARTSIG_SIGNATURE_MAX];
    size_t raw_len;
    OK(artsig_sign(raw, &raw_len, d->key, msg, msg_len));
    if (artsig_key_get_type(d->key) != ARTSIG_KEY_ECDSA_P256) {
        memcpy(sig, raw, raw_len);
        *sig_len = raw_len;
        return ARTSIG_OK;
    }
    ck_assert_uint_eq(raw_len, 64);
    ECDSA_SIG *es = ECDSA_SIG_new();
    ck_assert_ptr_nonnull(es);
    ck_assert_int_eq(ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL)),
                     1);
    unsigned char *p = sig;
    int n = i2d_ECDSA_SIG(es, &p);
    ECDSA_SIG_free(es);
    ck_assert_int_gt(n, 64);
    *sig_len = (size_t)n;
    return ARTSIG_OK;
}

START_TEST(callback_signer_normalises_der)
{
    make_inputs();
    struct der_signer d = {load_vec_key("ecp256.sec1.key"), 0, 0, false};
    artsig_key *pub = load_vec_key("ecp256.pub");
    artsig_signer *s;
    OK(artsig_signer_new_callback(&s, ARTSIG_KEY_ECDSA_P256, pub, der_sign, &d));
    ck_assert_int_eq(artsig_signer_type(s), ARTSIG_KEY_ECDSA_P256);
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len;
    for (int i = 0; i < 20; i++) {
        OK(artsig_signer_sign(sig, &len, s, "msg", 3));
        ck_assert_uint_eq(len, 64);
        OK(artsig_verify(pub, "msg", 3, sig, len));
    }
    artsig_writer *w = describe(ROOTFS, ARTSIG_COMPRESS_GZIP, s, "hsm");
    write_to(w, "a.mender");
    artsig_writer_free(w);
    struct back b;
    read_back(&b, "a.mender", "ecp256.pub");
    check_facts(b.info, ROOTFS, "hsm", 2);
    back_free(&b);
    /* 3.9 reads only r||s: DER would fail here. */
    ck_assert_int_eq(mender_validate("a.mender", "ecp256.pub"), 0);
    ck_assert_int_eq(sh("tar -xOf a.mender manifest.sig | base64 -d | wc -c | grep -qx 64"), 0);
    artsig_signer_free(s);

    /* Without a public key the normalisation still happens. */
    OK(artsig_signer_new_callback(&s, ARTSIG_KEY_ECDSA_P256, NULL, der_sign, &d));
    OK(artsig_signer_sign(sig, &len, s, "msg", 3));
    ck_assert_uint_eq(len, 64);
    OK(artsig_verify(pub, "msg", 3, sig, len));
    d.garbage = true;
    FAILS(ARTSIG_ESIGFORMAT, artsig_signer_sign(sig, &len, s, "msg", 3));
    d.garbage = false;
    d.fail = ARTSIG_EIO;
    FAILS(ARTSIG_EIO, artsig_signer_sign(sig, &len, s, "msg", 3));
    d.fail = 5;
    FAILS(ARTSIG_ECANCELLED, artsig_signer_sign(sig, &len, s, "msg", 3));
    artsig_signer_free(s);
    artsig_key_free(pub);
    artsig_key_free(d.key);
}
END_TEST

START_TEST(callback_signer_checked_by_public_key)
{
    make_inputs();
    /* The device signs with another key than the one the signer is told. */
    struct der_signer d = {load_vec_key("ecp256b.sec1.key"), 0, 0, false};
    artsig_key *pub = load_vec_key("ecp256.pub");
    artsig_signer *s;
    OK(artsig_signer_new_callback(&s, ARTSIG_KEY_ECDSA_P256, pub, der_sign, &d));
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len;
    FAILS(ARTSIG_EVERIFY, artsig_signer_sign(sig, &len, s, "msg", 3));
    artsig_writer *w = describe(ROOTFS, ARTSIG_COMPRESS_GZIP, s, "wrong");
    int fd = open(tmp("a.mender"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    FAILS(ARTSIG_EVERIFY, artsig_writer_write_fd(w, fd));
    close(fd);
    artsig_writer_free(w);
    artsig_signer_free(s);
    artsig_key_free(d.key);

    /* RSA and Ed25519 through callbacks, checked. */
    const char *const pairs[][2] = {{"rsa3072.pkcs1.key", "rsa3072.pub"},
                                    {"ed25519.key", "ed25519.pub"}};
    for (size_t i = 0; i < 2; i++) {
        d.key = load_vec_key(pairs[i][0]);
        artsig_key *p = load_vec_key(pairs[i][1]);
        OK(artsig_signer_new_callback(&s, artsig_key_get_type(p), p, der_sign, &d));
        OK(artsig_signer_sign(sig, &len, s, "msg", 3));
        OK(artsig_verify(p, "msg", 3, sig, len));
        /* A public key of another type is refused at once. */
        artsig_signer *other;
        FAILS(ARTSIG_EINVAL, artsig_signer_new_callback(&other, ARTSIG_KEY_ECDSA_P256, p,
                                                        der_sign, &d));
        artsig_signer_free(s);
        artsig_key_free(p);
        artsig_key_free(d.key);
    }
    /* Ed25519 of the wrong length, without a key to check against. */
    d.key = load_vec_key("rsa3072.pkcs1.key");
    OK(artsig_signer_new_callback(&s, ARTSIG_KEY_ED25519, NULL, der_sign, &d));
    FAILS(ARTSIG_ESIGFORMAT, artsig_signer_sign(sig, &len, s, "msg", 3));
    artsig_signer_free(s);
    artsig_key_free(d.key);
    artsig_key_free(pub);
}
END_TEST

START_TEST(key_signer_and_references)
{
    artsig_key *priv = load_vec_key("ed25519.key"), *pub = load_vec_key("ed25519.pub");
    artsig_signer *s;
    FAILS(ARTSIG_EKEYROLE, artsig_signer_new_key(&s, pub));
    OK(artsig_signer_new_key(&s, priv));
    artsig_key_free(priv); /* the signer holds its own reference */
    ck_assert_ptr_eq(artsig_signer_ref(s), s);
    artsig_signer_free(s);
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len;
    OK(artsig_signer_sign(sig, &len, s, "msg", 3));
    ck_assert_uint_eq(len, 64);
    OK(artsig_verify(pub, "msg", 3, sig, len));
    OK(artsig_signer_sign(sig, &len, s, NULL, 0));
    OK(artsig_verify(pub, "", 0, sig, len));
    ck_assert_int_eq(artsig_signer_type(s), ARTSIG_KEY_ED25519);
    /* The writer keeps the signer alive too. */
    artsig_writer *w;
    OK(artsig_writer_new(&w));
    OK(artsig_writer_set_signer(w, s));
    artsig_signer_free(s);
    OK(artsig_writer_set_signer(w, NULL));
    artsig_writer_free(w);
    FAILS(ARTSIG_EINVAL, artsig_signer_new_key(NULL, pub));
    FAILS(ARTSIG_EINVAL, artsig_signer_new_callback(&s, ARTSIG_KEY_RSA, NULL, NULL, NULL));
    FAILS(ARTSIG_EINVAL, artsig_signer_new_callback(&s, (artsig_key_type)9, NULL, der_sign, NULL));
    FAILS(ARTSIG_EINVAL, artsig_signer_sign(sig, &len, NULL, "m", 1));
    ck_assert_ptr_null(artsig_signer_ref(NULL));
    artsig_signer_free(NULL);
    artsig_key_free(pub);
}
END_TEST

/* ---- bounded memory ---- */

START_TEST(memory_bounded)
{
    int fd = open(tmp("big.img"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 400L * 1024 * 1024), 0);
    ck_assert_int_eq(pwrite(fd, "end", 3, 400L * 1024 * 1024 - 3), 3);
    close(fd);
    ck_assert_int_eq(mkdir(tmp("stage"), 0700), 0);
    long before = max_rss_kib();
    artsig_writer *w;
    OK(artsig_writer_new(&w));
    OK(artsig_writer_set_name(w, "big"));
    OK(artsig_writer_add_device_type(w, "dev"));
    OK(artsig_writer_set_compression(w, ARTSIG_COMPRESS_GZIP, 1));
    /* As on a big machine: gzip's workers, and their memory, are capped. */
    OK(artsig_writer_set_threads(w, 64));
    OK(artsig_writer_set_tmpdir(w, tmp("stage")));
    size_t p;
    OK(artsig_writer_add_payload(&p, w, "rootfs-image"));
    OK(artsig_writer_payload_add_file(w, p, tmp("big.img"), NULL));
    write_to(w, "a.mender");
    artsig_writer_free(w);
    long growth = max_rss_kib() - before;
    ck_assert_msg(growth < 16 * 1024, "peak RSS grew by %ld KiB", growth);
    ck_assert_msg(max_rss_kib() < 32 * 1024, "peak RSS %ld KiB", max_rss_kib());
    /* The staging file is gone. */
    ck_assert_int_eq(sh("test -z \"$(ls -A stage)\""), 0);
    struct back b;
    read_back(&b, "a.mender", NULL);
    const char *name;
    int64_t size;
    const uint8_t *digest;
    OK(artsig_info_file(&name, &size, &digest, b.info, 0, 0));
    ck_assert_int_eq(size, 400L * 1024 * 1024);
    back_free(&b);
}
END_TEST

/* ---- refusals ---- */

static int write_status(artsig_writer *w)
{
    int fd = open(tmp("x.mender"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    int rc = artsig_writer_write_fd(w, fd);
    close(fd);
    return rc;
}

static artsig_writer *minimal(const char *type)
{
    artsig_writer *w;
    OK(artsig_writer_new(&w));
    OK(artsig_writer_set_name(w, "n"));
    OK(artsig_writer_add_device_type(w, "dev"));
    size_t p;
    OK(artsig_writer_add_payload(&p, w, type));
    return w;
}

START_TEST(description_refused)
{
    make_inputs();
    artsig_writer *w;
    OK(artsig_writer_new(&w));
    FAILS(ARTSIG_EINVAL, write_status(w)); /* no name */
    OK(artsig_writer_set_name(w, "n"));
    FAILS(ARTSIG_EINVAL, write_status(w)); /* no device type */
    OK(artsig_writer_add_device_type(w, "dev"));
    FAILS(ARTSIG_EINVAL, write_status(w)); /* no payload */
    FAILS(ARTSIG_EINVAL, artsig_writer_set_name(w, ""));
    FAILS(ARTSIG_EINVAL, artsig_writer_set_name(w, "bad \xff utf-8"));
    FAILS(ARTSIG_EINVAL, artsig_writer_add_device_type(w, ""));
    FAILS(ARTSIG_EINVAL, artsig_writer_set_provides_group(w, ""));
    FAILS(ARTSIG_EINVAL, artsig_writer_add_artifact_depends(w, "device_type", "x"));
    FAILS(ARTSIG_EINVAL, artsig_writer_add_artifact_depends(w, "artifact_name", ""));
    FAILS(ARTSIG_EUNSUPPORTED, artsig_writer_set_format_version(w, 4));
    FAILS(ARTSIG_EINVAL, artsig_writer_set_compression(w, ARTSIG_COMPRESS_GZIP, 10));
    FAILS(ARTSIG_EINVAL, artsig_writer_set_compression(w, ARTSIG_COMPRESS_NONE, 1));
    FAILS(ARTSIG_EINVAL, artsig_writer_set_compression(w, ARTSIG_COMPRESS_ZSTD, -1));
    FAILS(ARTSIG_EINVAL, artsig_writer_set_compression(w, (artsig_compression)7, 0));
    OK(artsig_writer_set_compression(w, ARTSIG_COMPRESS_ZSTD, 19));
    FAILS(ARTSIG_EINVAL, artsig_writer_add_script(w, tmp("app-0.bin")));
    FAILS(ARTSIG_EINVAL, artsig_writer_add_script(w, "ArtifactInstall_Enter_1"));
    FAILS(ARTSIG_EINVAL, artsig_writer_add_script(w, "ArtifactDownload_Enter_01"));
    FAILS(ARTSIG_EINVAL, artsig_writer_add_script(w, "ArtifactInstall_Enter_01_a b"));
    OK(artsig_writer_add_script(w, tmp("ArtifactInstall_Enter_00")));
    FAILS(ARTSIG_EINVAL, artsig_writer_add_script(w, "elsewhere/ArtifactInstall_Enter_00"));
    size_t p;
    FAILS(ARTSIG_EINVAL, artsig_writer_add_payload(&p, w, "a/b"));
    FAILS(ARTSIG_EINVAL, artsig_writer_add_payload(&p, w, ""));
    FAILS(ARTSIG_EINVAL, artsig_writer_payload_add_file(w, 0, tmp("app-0.bin"), NULL));
    OK(artsig_writer_add_payload(&p, w, "mod"));
    static const char *const bad_names[] = {"a/b", "..", ".", "", "sp ace", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
        FAILS(ARTSIG_EINVAL, artsig_writer_payload_add_file(w, p, tmp("app-0.bin"), bad_names[i]));
    char too_long[ARTSIG_NAME_MAX + 2];
    memset(too_long, 'x', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = 0;
    FAILS(ARTSIG_EINVAL, artsig_writer_payload_add_file(w, p, tmp("app-0.bin"), too_long));
    OK(artsig_writer_payload_add_file(w, p, tmp("app-0.bin"), NULL));
    FAILS(ARTSIG_EINVAL, artsig_writer_payload_add_file(w, p, tmp("app-2.bin"), "app-0.bin"));
    FAILS(ARTSIG_EINVAL, artsig_writer_payload_add_file(w, p + 1, tmp("app-2.bin"), NULL));
    OK(artsig_writer_payload_add_provides(w, p, "k", "v"));
    FAILS(ARTSIG_EINVAL, artsig_writer_payload_add_provides(w, p, "k", "w"));
    FAILS(ARTSIG_EINVAL, artsig_writer_payload_add_provides(w, p, "", "w"));
    FAILS(ARTSIG_EINVAL, artsig_writer_payload_add_provides(w, p, "k2", "\xe2\x82"));
    FAILS(ARTSIG_EINVAL, artsig_writer_payload_add_depends(w, p, "", "w"));
    FAILS(ARTSIG_EINVAL, artsig_writer_payload_add_clears(w, p, ""));
    FAILS(ARTSIG_EINVAL, artsig_writer_payload_set_meta_data(w, p, "[1]"));
    FAILS(ARTSIG_EINVAL, artsig_writer_payload_set_meta_data(w, p, "{\"a\":1"));
    FAILS(ARTSIG_EINVAL, artsig_writer_payload_set_meta_data(w, p, "{'a':1}"));
    FAILS(ARTSIG_EINVAL, artsig_writer_payload_set_meta_data(w, p, "{\"a\":1} x"));
    char deep[64] = "";
    for (int i = 0; i < 20; i++)
        strcat(deep, "[");
    FAILS(ARTSIG_ELIMIT, artsig_writer_payload_set_meta_data(w, p, deep));
    OK(artsig_writer_payload_set_meta_data(w, p, "{}"));
    OK(artsig_writer_payload_provide_checksum(w, p, "k"));
    FAILS(ARTSIG_EINVAL, write_status(w)); /* "k" is both given and the checksum */
    OK(artsig_writer_payload_provide_checksum(w, p, "sum"));
    OK(write_status(w));
    OK(artsig_writer_payload_add_file(w, p, tmp("app-2.bin"), NULL));
    FAILS(ARTSIG_EINVAL, write_status(w)); /* a checksum of two files */
    artsig_writer_free(w);

    /* A rootfs image holds one file. */
    w = minimal("rootfs-image");
    FAILS(ARTSIG_EINVAL, write_status(w));
    artsig_writer_free(w);
    /* Bootstrap payloads hold nothing. */
    w = minimal(NULL);
    FAILS(ARTSIG_EINVAL, artsig_writer_payload_add_file(w, 0, tmp("app-0.bin"), NULL));
    OK(artsig_writer_payload_set_meta_data(w, 0, "{}"));
    OK(write_status(w)); /* an empty object is no meta-data */
    OK(artsig_writer_payload_set_meta_data(w, 0, "{\"a\":1}"));
    FAILS(ARTSIG_EINVAL, write_status(w));
    artsig_writer_free(w);
    /* Version 2: one rootfs-image, nothing version 3 added. */
    w = minimal("mod");
    OK(artsig_writer_set_format_version(w, 2));
    OK(artsig_writer_payload_add_file(w, 0, tmp("app-0.bin"), NULL));
    FAILS(ARTSIG_EINVAL, write_status(w));
    artsig_writer_free(w);
    w = minimal("rootfs-image");
    OK(artsig_writer_set_format_version(w, 2));
    OK(artsig_writer_payload_add_file(w, 0, tmp("app-0.bin"), NULL));
    OK(artsig_writer_payload_provide_checksum(w, 0, "rootfs-image.checksum"));
    FAILS(ARTSIG_EINVAL, write_status(w));
    artsig_writer_free(w);
    w = minimal("rootfs-image");
    OK(artsig_writer_set_format_version(w, 2));
    OK(artsig_writer_payload_add_file(w, 0, tmp("app-0.bin"), NULL));
    OK(artsig_writer_set_provides_group(w, "g"));
    FAILS(ARTSIG_EINVAL, write_status(w));
    artsig_writer_free(w);
}
END_TEST

static ssize_t failing_write(const void *data, size_t len, void *userdata)
{
    (void)data;
    (void)len;
    (void)userdata;
    return -1;
}

START_TEST(input_and_output_errors)
{
    make_inputs();
    artsig_writer *w = minimal("mod");
    OK(artsig_writer_payload_add_file(w, 0, tmp("missing.bin"), NULL));
    FAILS(ARTSIG_ENOENT, write_status(w));
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), tmp("missing.bin")));
    artsig_writer_free(w);

    w = minimal("mod");
    ck_assert_int_eq(mkdir(tmp("dir"), 0700), 0);
    OK(artsig_writer_payload_add_file(w, 0, tmp("dir"), "d"));
    FAILS(ARTSIG_EINVAL, write_status(w));
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "not a regular file"));
    artsig_writer_free(w);

    w = minimal("mod");
    OK(artsig_writer_add_script(w, tmp("ArtifactInstall_Leave_09")));
    FAILS(ARTSIG_ENOENT, write_status(w));
    artsig_writer_free(w);

    /* A script above what readers take. */
    make_file("ArtifactFailure_Error_99", ARTSIG_LIMIT_HEADER_FILE + 1, 5);
    w = minimal("mod");
    OK(artsig_writer_add_script(w, tmp("ArtifactFailure_Error_99")));
    FAILS(ARTSIG_ELIMIT, write_status(w));
    artsig_writer_free(w);

    w = minimal("mod");
    OK(artsig_writer_payload_add_file(w, 0, tmp("app-0.bin"), NULL));
    FAILS(ARTSIG_EIO, artsig_writer_write_cb(w, failing_write, NULL));
    OK(artsig_writer_set_tmpdir(w, tmp("no-such-dir")));
    FAILS(ARTSIG_EIO, write_status(w));
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "no-such-dir"));
    OK(artsig_writer_set_tmpdir(w, NULL));
    int fd = open(tmp("ro.mender"), O_RDONLY | O_CREAT, 0644);
    FAILS(ARTSIG_EIO, artsig_writer_write_fd(w, fd));
    close(fd);
    FAILS(ARTSIG_EINVAL, artsig_writer_write_fd(w, -1));
    FAILS(ARTSIG_EINVAL, artsig_writer_write_cb(w, NULL, NULL));
    OK(write_status(w));
    artsig_writer_free(w);

    artsig_compression c;
    OK(artsig_compression_from_name(&c, "lzma"));
    ck_assert_int_eq(c, ARTSIG_COMPRESS_XZ);
    OK(artsig_compression_from_name(&c, "none"));
    ck_assert_int_eq(c, ARTSIG_COMPRESS_NONE);
    FAILS(ARTSIG_EINVAL, artsig_compression_from_name(&c, "bzip2"));
    FAILS(ARTSIG_EINVAL, artsig_compression_from_name(&c, NULL));
    FAILS(ARTSIG_EINVAL, artsig_writer_new(NULL));
    FAILS(ARTSIG_EINVAL, artsig_writer_set_name(NULL, "n"));
    FAILS(ARTSIG_EINVAL, artsig_writer_payload_add_provides(NULL, 0, "k", "v"));
    artsig_writer_free(NULL);
}
END_TEST

static Suite *writer_suite(void)
{
    Suite *s = suite_create("writer");
    TCase *tc = scratch_tcase("artifacts");
    tcase_add_test(tc, every_kind_compression_and_key);
    tcase_add_test(tc, mender_artifact_reads_facts);
    tcase_add_test(tc, two_payloads_and_long_name);
    tcase_add_test(tc, reproducible);
    tcase_add_test(tc, threads_do_not_change_output);
    tcase_add_test(tc, tar_layout_and_times);
    tcase_add_test(tc, memory_bounded);
    suite_add_tcase(s, tc);
    tc = scratch_tcase("signers");
    tcase_add_test(tc, callback_signer_normalises_der);
    tcase_add_test(tc, callback_signer_checked_by_public_key);
    tcase_add_test(tc, key_signer_and_references);
    suite_add_tcase(s, tc);
    tc = scratch_tcase("refusals");
    tcase_add_test(tc, description_refused);
    tcase_add_test(tc, input_and_output_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(writer_suite());
}
