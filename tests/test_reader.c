/* The streaming reader: every case of the vectors in all three input modes,
 * the callback contract, the status of each hostile vector, artifacts
 * derived here (cut, flipped, repacked with tar), and bounded memory on a
 * large artifact made with mender-artifact. */
#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <artsig.h>

#include "testutil.h"

/* ---- Recording what the callbacks are told ---- */

struct rec {
    char log[4096]; /* "H;B0:name:size;D;E0:name;" with data calls merged */
    size_t used;
    bool in_file;
    int ends; /* files reported as verified */
    uint64_t bytes;
    artsig_sha256_ctx *sha;
    uint8_t digest[ARTSIG_DIGEST_LEN]; /* of the last file's data */
    const char *cancel;                /* name of the callback that says stop */
};

static void rec_init(struct rec *rec)
{
    memset(rec, 0, sizeof *rec);
    ck_assert_int_eq(artsig_sha256_new(&rec->sha), ARTSIG_OK);
}

static void rec_free(struct rec *rec)
{
    artsig_sha256_free(rec->sha);
}

__attribute__((format(printf, 2, 3))) static void rec_log(struct rec *rec, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(rec->log + rec->used, sizeof rec->log - rec->used, fmt, ap);
    va_end(ap);
    ck_assert(n > 0 && (size_t)n < sizeof rec->log - rec->used);
    rec->used += (size_t)n;
}

static int on_header(const artsig_info *info, void *u)
{
    struct rec *rec = u;
    ck_assert_ptr_nonnull(info);
    ck_assert(!rec->in_file);
    rec_log(rec, "H;");
    return rec->cancel && strcmp(rec->cancel, "header") == 0;
}

static int on_begin(size_t payload, const char *name, uint64_t size, void *u)
{
    struct rec *rec = u;
    ck_assert(!rec->in_file);
    rec->in_file = true;
    rec_log(rec, "B%zu:%s:%llu;", payload, name, (unsigned long long)size);
    return rec->cancel && strcmp(rec->cancel, "file_begin") == 0;
}

static int on_data(const void *data, size_t len, void *u)
{
    struct rec *rec = u;
    ck_assert(rec->in_file);
    ck_assert_uint_gt(len, 0);
    if (rec->used < 2 || strcmp(rec->log + rec->used - 2, "D;") != 0)
        rec_log(rec, "D;");
    rec->bytes += len;
    ck_assert_int_eq(artsig_sha256_update(rec->sha, data, len), ARTSIG_OK);
    return rec->cancel && strcmp(rec->cancel, "file_data") == 0;
}

static int on_end(size_t payload, const char *name, void *u)
{
    struct rec *rec = u;
    ck_assert(rec->in_file);
    rec->in_file = false;
    rec->ends++;
    rec_log(rec, "E%zu:%s;", payload, name);
    ck_assert_int_eq(artsig_sha256_final(rec->digest, rec->sha), ARTSIG_OK);
    return rec->cancel && strcmp(rec->cancel, "file_end") == 0;
}

static const artsig_reader_callbacks recording = {on_header, on_begin, on_data, on_end};

/* ---- Running the reader in each mode ---- */

enum mode { MODE_FD, MODE_PULL, MODE_PUSH };
static const char *const mode_names[] = {"fd", "pull", "push"};

/* Deterministic pseudo-random numbers (xorshift32), so failures repeat. */
static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

struct memsrc {
    const uint8_t *data;
    size_t len, pos;
    uint32_t rng;
};

static ssize_t mem_pull(void *buf, size_t size, void *u)
{
    struct memsrc *m = u;
    size_t n = 1 + rng_next(&m->rng) % 70000;
    if (n > size)
        n = size;
    if (n > m->len - m->pos)
        n = m->len - m->pos;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (ssize_t)n;
}

/* Push in random pieces of 1..70000 bytes; the verdict of finish(), or the
 * first error push() reports (which finish() must repeat). */
static int push_all(artsig_reader *r, const uint8_t *data, size_t len)
{
    uint32_t rng = 0x5eed1234;
    size_t pos = 0;
    while (pos < len) {
        size_t n = 1 + rng_next(&rng) % 70000;
        if (n > len - pos)
            n = len - pos;
        int rc = artsig_reader_push(r, data + pos, n);
        if (rc != ARTSIG_OK) {
            char detail[512];
            snprintf(detail, sizeof detail, "%s", artsig_last_error());
            ck_assert_int_eq(artsig_reader_finish(r), rc);
            ck_assert_str_eq(artsig_last_error(), detail);
            return rc;
        }
        pos += n;
    }
    return artsig_reader_finish(r);
}

/* Read an artifact held in memory; fd mode reads it back from a temporary file. */
static int read_mem(enum mode mode, const uint8_t *data, size_t len, const artsig_keyring *ring,
                    struct rec *rec, bool header_only)
{
    artsig_reader *r;
    ck_assert_int_eq(artsig_reader_new(&r, ring, rec ? &recording : NULL, rec), ARTSIG_OK);
    if (header_only)
        ck_assert_int_eq(artsig_reader_set_header_only(r, 1), ARTSIG_OK);
    int rc;
    if (mode == MODE_FD) {
        FILE *f = tmpfile();
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(data, 1, len, f), len);
        ck_assert_int_eq(fflush(f), 0);
        int fd = fileno(f);
        ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
        rc = artsig_reader_run_fd(r, fd);
        fclose(f);
    } else if (mode == MODE_PULL) {
        struct memsrc m = {data, len, 0, 0xabcdef01};
        rc = artsig_reader_run_pull(r, mem_pull, &m);
    } else {
        rc = push_all(r, data, len);
    }
    artsig_reader_free(r);
    return rc;
}

static uint8_t *load_artifact(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "artifacts/%s", name);
    char *path = vec_path(rel);
    uint8_t *data = slurp(path, len);
    free(path);
    return data;
}

/* A keyring from a comma-separated list of names under keys/ ("-": none).
 * False when a key does not load (the case must then be refused). */
static bool load_keys(artsig_keyring **ring, const char *list)
{
    *ring = NULL;
    if (strcmp(list, "-") == 0)
        return true;
    ck_assert_int_eq(artsig_keyring_new(ring), ARTSIG_OK);
    char *copy = strdup(list), *save = NULL;
    bool ok = true;
    for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        char rel[256];
        snprintf(rel, sizeof rel, "keys/%s", k);
        char *path = vec_path(rel);
        if (artsig_keyring_add_file(*ring, path) != ARTSIG_OK)
            ok = false;
        free(path);
    }
    free(copy);
    return ok;
}

static int read_vector(enum mode mode, const char *artifact, const char *keys, struct rec *rec,
                       bool header_only)
{
    artsig_keyring *ring;
    ck_assert_msg(load_keys(&ring, keys), "%s: keys %s do not load", artifact, keys);
    size_t len;
    uint8_t *data = load_artifact(artifact, &len);
    int rc = read_mem(mode, data, len, ring, rec, header_only);
    free(data);
    artsig_keyring_free(ring);
    return rc;
}

/* ---- Artifacts made here ---- */

static void scratch_remove(char *dir)
{
    size_t n = strlen(dir) + 16;
    char *cmd = malloc(n);
    snprintf(cmd, n, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    free(dir);
}

/* Run `script` with sh in a fresh directory (exported as $D, also the
 * working directory, with $VEC pointing at the vectors). */
static char *scratch_run(const char *script)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    size_t dn = strlen(base) + sizeof "/artsig-reader.XXXXXX";
    char *dir = malloc(dn);
    snprintf(dir, dn, "%s/artsig-reader.XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const char *vec = getenv("ARTSIG_VECTORS");
    ck_assert_ptr_nonnull(vec);
    size_t n = strlen(script) + 2 * strlen(dir) + strlen(vec) + 64;
    char *cmd = malloc(n);
    snprintf(cmd, n, "set -e; D='%s'; VEC='%s'; cd \"$D\"; %s", dir, vec, script);
    int st = system(cmd);
    free(cmd);
    if (st != 0)
        scratch_remove(dir);
    ck_assert_msg(st == 0, "shell step failed (%d): %s", st, script);
    return dir;
}

static uint8_t *scratch_file(const char *dir, const char *name, size_t *len)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    snprintf(path, n, "%s/%s", dir, name);
    uint8_t *data = slurp(path, len);
    free(path);
    return data;
}

/* Shell functions for the changes below: `flip FILE OFFSET [MASK]` inverts
 * bits of a byte (the low one by default; OFFSET < 0 counts from the end),
 * `relist FILE NAME` puts FILE's digest on NAME's line of the manifest. */
static const char shell_helpers[] =
    "flip() { n=$2; [ \"$n\" -ge 0 ] || n=$(($(stat -c %s \"$1\") + n)); "
    "b=$(od -An -tu1 -j \"$n\" -N1 \"$1\"); "
    "printf \"\\\\$(printf %o $((b ^ ${3:-1})))\" | dd of=\"$1\" bs=1 seek=\"$n\" conv=notrunc "
    "2>/dev/null; }; "
    "relist() { sed -i \"s|^.*  $2\\$|$(sha256sum < \"$1\" | cut -d' ' -f1)  $2|\" manifest; }; ";

/* An artifact rebuilt from vector `base` after `change` ran in the unpacked
 * tree (the payload files unpacked in inner/, $F naming rootfs-image's), read
 * without keys in every mode. Members are packed in their canonical order if
 * present, then any names listed in the file "more". */
static int read_derived(char detail[512], const char *base, const char *change,
                        struct rec *rec)
{
    char script[4096];
    snprintf(script, sizeof script,
             "%star xf \"$VEC/artifacts/%s\"; mkdir inner; tar xf data/0000.tar* -C inner; "
             "F=core-image-qemux86-64.ext4; (%s); "
             "for m in version manifest manifest.sig manifest-augment header.tar* "
             "header-augment.tar* data/*.tar*; do if [ -e \"$m\" ] || [ -L \"$m\" ]; then "
             "echo \"$m\"; fi; done > order; if [ -e more ]; then cat more >> order; fi; "
             "tar --format=gnu -cf out.mender -T order",
             shell_helpers, base, change);
    char *dir = scratch_run(script);
    size_t len;
    uint8_t *data = scratch_file(dir, "out.mender", &len);
    int rc = read_mem(MODE_PULL, data, len, NULL, rec, false);
    snprintf(detail, 512, "%s", artsig_last_error());
    for (int m = MODE_FD; m <= MODE_PUSH; m++)
        ck_assert_msg(read_mem((enum mode)m, data, len, NULL, NULL, false) == rc,
                      "%s: %s mode disagrees", change, mode_names[m]);
    free(data);
    scratch_remove(dir);
    return rc;
}

/* ---- Tests ---- */

START_TEST(all_cases_in_all_modes)
{
    char *path = vec_path("cases.tsv");
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f)); /* column names */
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *save = NULL;
        char *artifact = strtok_r(line, "\t", &save);
        char *keys = strtok_r(NULL, "\t", &save);
        char *expect = strtok_r(NULL, "\t", &save);
        char *what = strtok_r(NULL, "\t", &save);
        ck_assert_msg(artifact && keys && expect && what, "malformed row %d", rows + 2);
        rows++;
        bool want_ok = strcmp(expect, "ok") == 0;
        artsig_keyring *ring;
        if (!load_keys(&ring, keys)) {
            ck_assert_msg(!want_ok, "%s (%s): a key does not load", artifact, what);
            artsig_keyring_free(ring);
            continue;
        }
        size_t len;
        uint8_t *data = load_artifact(artifact, &len);
        int first = 0;
        for (int m = MODE_FD; m <= MODE_PUSH; m++) {
            int rc = read_mem((enum mode)m, data, len, ring, NULL, false);
            ck_assert_msg((rc == ARTSIG_OK) == want_ok, "%s [%s] (%s) in %s mode: %s, %s",
                          artifact, keys, what, mode_names[m], artsig_strerror(rc),
                          artsig_last_error());
            if (m == MODE_FD)
                first = rc;
            ck_assert_msg(rc == first, "%s (%s): %s mode says %s, fd mode %s", artifact, what,
                          mode_names[m], artsig_strerror(rc), artsig_strerror(first));
        }
        free(data);
        artsig_keyring_free(ring);
    }
    ck_assert_int_gt(rows, 30);
    fclose(f);
    free(path);
}
END_TEST

/* Callbacks in stream order, with the facts of meta/rootfs-gzip-rsa.json. */
START_TEST(callback_order_matches_meta)
{
    char *path = vec_path("meta/rootfs-gzip-rsa.json");
    json_object *meta = json_object_from_file(path);
    ck_assert_ptr_nonnull(meta);
    json_object *payloads, *files;
    ck_assert(json_object_object_get_ex(meta, "payloads", &payloads));
    ck_assert(json_object_object_get_ex(json_object_array_get_idx(payloads, 0), "files",
                                        &files));
    ck_assert_uint_eq(json_object_array_length(files), 1);
    json_object *file = json_object_array_get_idx(files, 0), *name, *size, *sha;
    ck_assert(json_object_object_get_ex(file, "name", &name));
    ck_assert(json_object_object_get_ex(file, "size", &size));
    ck_assert(json_object_object_get_ex(file, "sha256", &sha));
    char want[1024];
    snprintf(want, sizeof want, "H;B0:%s:%lld;D;E0:%s;", json_object_get_string(name),
             (long long)json_object_get_int64(size), json_object_get_string(name));

    for (int m = MODE_FD; m <= MODE_PUSH; m++) {
        struct rec rec;
        rec_init(&rec);
        int rc = read_vector((enum mode)m, "rootfs-gzip-rsa.mender", "rsa3072.pub", &rec, false);
        ck_assert_msg(rc == ARTSIG_OK, "%s mode: %s", mode_names[m], artsig_last_error());
        ck_assert_str_eq(rec.log, want);
        ck_assert_uint_eq(rec.bytes, (uint64_t)json_object_get_int64(size));
        char hex[ARTSIG_DIGEST_HEX_LEN + 1];
        artsig_digest_to_hex(hex, rec.digest);
        ck_assert_str_eq(hex, json_object_get_string(sha));
        rec_free(&rec);
    }
    json_object_put(meta);
    free(path);
}
END_TEST

/* Nothing reaches the consumer from an artifact whose signature fails. */
START_TEST(bad_signature_tells_nothing)
{
    static const char *const cases[][2] = {
        {"rootfs-gzip-rsa.mender", "ecp256.pub"},
        {"rootfs-gzip-ecdsa.mender", "ecp256b.pub"},
        {"t-manifest-edited.mender", "rsa3072.pub"},
        {"t-sig-transplant.mender", "ecp256.pub"},
        {"t-sig-stripped.mender", "rsa3072.pub"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int m = MODE_FD; m <= MODE_PUSH; m++) {
            struct rec rec;
            rec_init(&rec);
            int rc = read_vector((enum mode)m, cases[i][0], cases[i][1], &rec, false);
            ck_assert_int_ne(rc, ARTSIG_OK);
            ck_assert_msg(rec.used == 0, "%s: callbacks ran: %s", cases[i][0], rec.log);
            rec_free(&rec);
        }
}
END_TEST

/* The status of each hostile vector, and a detail that names the culprit. */
START_TEST(hostile_vector_statuses)
{
    static const struct {
        const char *artifact, *keys;
        int status;
        const char *detail;
    } cases[] = {
        {"rootfs-gzip-rsa.mender", "ecp256.pub", ARTSIG_EVERIFY, "tried 1 key"},
        {"rootfs-gzip-unsigned.mender", "ecp256.pub", ARTSIG_EUNSIGNED, "manifest.sig"},
        {"t-sig-stripped.mender", "rsa3072.pub", ARTSIG_EUNSIGNED, "manifest.sig"},
        {"t-manifest-edited.mender", "rsa3072.pub", ARTSIG_EVERIFY, "rsa"},
        {"t-sig-transplant.mender", "ecp256.pub", ARTSIG_EVERIFY, "ecdsa"},
        {"t-sig-garbage.mender", "rsa3072.pub", ARTSIG_ESIGFORMAT, "base64"},
        {"t-sig-empty.mender", "rsa3072.pub", ARTSIG_ESIGFORMAT, "empty"},
        /* Symbolic links are refused inside a data member. */
        {"t-symlink-payload.mender", "rsa3072.pub", ARTSIG_EUNSAFE, "rootfs.ext4"},
        /* These two never get as far as the payload: the signed manifest
         * already lists a name that no manifest may hold. */
        {"t-path-traversal.mender", "rsa3072.pub", ARTSIG_EMANIFEST, "../"},
        {"t-absolute-path.mender", "rsa3072.pub", ARTSIG_EMANIFEST, "data/0000//etc/passwd"},
        {"t-manifest-dup-line.mender", "rsa3072.pub", ARTSIG_EMANIFEST, "duplicate"},
        {"t-header-bomb.mender", "rsa3072.pub", ARTSIG_ELIMIT, "header.tar.gz"},
        {"t-truncated.mender", "rsa3072.pub", ARTSIG_ETRUNCATED, "data/0000.tar.gz"},
        {"t-version-4.mender", "rsa3072.pub", ARTSIG_EUNSUPPORTED, "4"},
        {"t-payload-swapped.mender", "rsa3072.pub", ARTSIG_EDIGEST,
         "data/0000/core-image-qemux86-64.ext4"},
        {"t-payload-swapped-nokey.mender", "-", ARTSIG_EDIGEST, "core-image-qemux86-64.ext4"},
        {"t-header-edited.mender", "rsa3072.pub", ARTSIG_EDIGEST, "header.tar.gz"},
        {"t-extra-member.mender", "rsa3072.pub", ARTSIG_EFORMAT, "data/0001.tar.gz"},
        {"t-extra-inner-file.mender", "rsa3072.pub", ARTSIG_EFORMAT, "backdoor.sh"},
        {"t-missing-file.mender", "rsa3072.pub", ARTSIG_EFORMAT, "core-image-qemux86-64.ext4"},
        {"t-header-first.mender", "rsa3072.pub", ARTSIG_EFORMAT, "header.tar.gz"},
        {"t-sig-before-manifest.mender", "rsa3072.pub", ARTSIG_EFORMAT, "manifest.sig"},
        {"t-duplicate-manifest.mender", "rsa3072.pub", ARTSIG_EFORMAT, "manifest"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int m = MODE_FD; m <= MODE_PUSH; m++) {
            int rc = read_vector((enum mode)m, cases[i].artifact, cases[i].keys, NULL, false);
            ck_assert_msg(rc == cases[i].status, "%s in %s mode: %s (%s), want %s",
                          cases[i].artifact, mode_names[m], artsig_strerror(rc),
                          artsig_last_error(), artsig_strerror(cases[i].status));
            ck_assert_msg(strstr(artsig_last_error(), cases[i].detail), "%s: detail \"%s\"",
                          cases[i].artifact, artsig_last_error());
        }
}
END_TEST

START_TEST(trailing_bytes)
{
    size_t len;
    uint8_t *data = load_artifact("bootstrap-ecdsa.mender", &len);
    artsig_keyring *ring;
    ck_assert(load_keys(&ring, "ecp256.pub"));
    uint8_t *more = calloc(1, len + 100000);
    memcpy(more, data, len);
    for (int m = MODE_FD; m <= MODE_PUSH; m++) {
        /* Zeros may follow, in any amount. */
        ck_assert_int_eq(read_mem((enum mode)m, more, len + 100000, ring, NULL, false),
                         ARTSIG_OK);
        /* Anything else may not, however far behind. */
        static const size_t at[] = {0, 1, 511, 512, 4097, 99999};
        for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
            more[len + at[i]] = 'x';
            int rc = read_mem((enum mode)m, more, len + 100000, ring, NULL, false);
            ck_assert_msg(rc == ARTSIG_EFORMAT, "garbage at +%zu in %s mode: %s", at[i],
                          mode_names[m], artsig_last_error());
            ck_assert(strstr(artsig_last_error(), "after the end"));
            more[len + at[i]] = 0;
        }
    }
    /* Garbage in place of the second end-of-archive block. */
    memset(more + len - 512, 'y', 512);
    ck_assert_int_eq(read_mem(MODE_PULL, more, len, ring, NULL, false), ARTSIG_EFORMAT);
    free(more);
    free(data);
    artsig_keyring_free(ring);
}
END_TEST

START_TEST(truncated_everywhere)
{
    static const char *const cases[][2] = {
        {"bootstrap-ecdsa.mender", "ecp256.pub"},
        {"module-augment-rsa.mender", "rsa3072.pub"},
    };
    for (size_t c = 0; c < 2; c++) {
        size_t len;
        uint8_t *data = load_artifact(cases[c][0], &len);
        artsig_keyring *ring;
        ck_assert(load_keys(&ring, cases[c][1]));
        for (size_t cut = 0; cut < len; cut += 512) {
            int rc = read_mem(MODE_PULL, data, cut, ring, NULL, false);
            ck_assert_msg(rc == ARTSIG_ETRUNCATED, "%s cut at %zu: %s", cases[c][0], cut,
                          artsig_last_error());
        }
        /* Cuts inside blocks too, in push mode. */
        for (size_t cut = 1; cut < len; cut += 1021) {
            int rc = read_mem(MODE_PUSH, data, cut, ring, NULL, false);
            ck_assert_msg(rc == ARTSIG_ETRUNCATED, "%s cut at %zu: %s", cases[c][0], cut,
                          artsig_last_error());
        }
        free(data);
        artsig_keyring_free(ring);
    }
}
END_TEST

/* Byte ranges a flip must never get through, from GNU tar's block listing
 * (`tar -tvR`, read from `listing`) of a tar that starts at `base` in the
 * artifact: every header block, the zero padding after each entry's data,
 * the end-of-archive blocks, and with `content`, the content of the entries
 * the signature and digests cover as they stand (all but data members, whose
 * files are covered one by one). */
struct span {
    size_t start, len;
};

static size_t tar_spans(struct span *out, size_t max, FILE *listing, size_t base, bool content)
{
    char line[1024];
    size_t n = 0;
    while (fgets(line, sizeof line, listing)) {
        unsigned long block;
        unsigned long long size;
        char name[256];
        ck_assert_uint_lt(n + 3, max);
        if (sscanf(line, "block %lu: ** Block of NULs %c", &block, name) == 2) {
            out[n++] = (struct span){base + block * 512, 1024};
            continue;
        }
        if (sscanf(line, "block %lu: %*s %*s %llu %*s %*s %255s", &block, &size, name) != 3)
            continue;
        size_t data = base + (block + 1) * 512, pad = (512 - size % 512) % 512;
        out[n++] = (struct span){data - 512, 512};
        if (content && strncmp(name, "data/", 5) != 0)
            out[n++] = (struct span){data, (size_t)size};
        if (pad)
            out[n++] = (struct span){data + (size_t)size, pad};
    }
    return n;
}

static void assert_flips_refused(const char *artifact, const char *keys, const struct span *s,
                                 size_t nspans, size_t stride)
{
    size_t len;
    uint8_t *data = load_artifact(artifact, &len);
    artsig_keyring *ring;
    ck_assert(load_keys(&ring, keys));
    ck_assert_int_eq(read_mem(MODE_PULL, data, len, ring, NULL, false), ARTSIG_OK);
    size_t runs = 0;
    for (size_t i = 0; i < nspans; i++)
        for (size_t off = s[i].start; off < s[i].start + s[i].len; off += stride) {
            ck_assert_uint_lt(off, len);
            data[off] ^= 0x01;
            int rc = read_mem(MODE_PULL, data, len, ring, NULL, false);
            ck_assert_msg(rc != ARTSIG_OK, "%s: flipped byte at %zu accepted", artifact, off);
            ck_assert_msg(rc != ARTSIG_EINVAL && rc != ARTSIG_ENOMEM && rc != ARTSIG_EIO &&
                              rc != ARTSIG_ECRYPTO && rc != ARTSIG_ESTATE,
                          "%s: flip at %zu: %s", artifact, off, artsig_last_error());
            data[off] ^= 0x01;
            runs++;
        }
    ck_assert_uint_gt(runs, 0);
    free(data);
    artsig_keyring_free(ring);
}

START_TEST(flipped_bytes_refused)
{
    static const char *const cases[][2] = {
        {"bootstrap-ecdsa.mender", "ecp256.pub"},
        {"module-augment-rsa.mender", "rsa3072.pub"},
        {"rootfs-gzip-rsa.mender", "rsa3072.pub"},
    };
    struct span spans[64];
    for (size_t c = 0; c < 3; c++) {
        char rel[128], cmd[1024];
        snprintf(rel, sizeof rel, "artifacts/%s", cases[c][0]);
        char *path = vec_path(rel);
        snprintf(cmd, sizeof cmd, "tar -tvR -f '%s'", path);
        FILE *p = popen(cmd, "r");
        ck_assert_ptr_nonnull(p);
        size_t n = tar_spans(spans, 64, p, 0, true);
        ck_assert_int_eq(pclose(p), 0);
        ck_assert_uint_ge(n, 12);
        assert_flips_refused(cases[c][0], cases[c][1], spans, n, 1);
        free(path);
    }
    /* The detail names the member the padding follows. */
    size_t len;
    uint8_t *data = load_artifact("bootstrap-ecdsa.mender", &len);
    data[512 + 31] = 'x'; /* just after version's 31 bytes */
    ck_assert_int_eq(read_mem(MODE_PUSH, data, len, NULL, NULL, false), ARTSIG_EFORMAT);
    ck_assert_str_eq(artsig_last_error(), "malformed artifact: non-zero padding after member "
                                          "version (byte 543)");
    free(data);
}
END_TEST

/* In an uncompressed artifact, flips in the payload tar: its file, header
 * block, and end-of-archive blocks. */
START_TEST(flipped_payload_refused)
{
    char *dir = scratch_run("tar -tvR -f \"$VEC/artifacts/rootfs-none-rsa.mender\" "
                            "> outer; tar -xOf \"$VEC/artifacts/rootfs-none-rsa.mender\" "
                            "data/0000.tar | tar -tvR -f - > inner");
    unsigned long outer_block = 0;
    unsigned long long s;
    char line[1024], name[256] = "";
    size_t n = strlen(dir) + 16;
    char *path = malloc(n);
    snprintf(path, n, "%s/outer", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "block %lu: %*s %*s %llu %*s %*s %255s", &outer_block, &s, name) == 3 &&
            strcmp(name, "data/0000.tar") == 0)
            break;
    ck_assert_str_eq(name, "data/0000.tar");
    fclose(f);
    snprintf(path, n, "%s/inner", dir);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    struct span spans[8];
    size_t base = (outer_block + 1) * 512, nspans = tar_spans(spans, 8, f, base, false);
    fclose(f);
    free(path);
    scratch_remove(dir);
    /* The one file: its header block, then the end-of-archive blocks. */
    ck_assert_uint_eq(nspans, 2);
    assert_flips_refused("rootfs-none-rsa.mender", "rsa3072.pub", spans, 2, 1);
    struct span file = {spans[0].start + 512, spans[1].start - spans[0].start - 512};
    assert_flips_refused("rootfs-none-rsa.mender", "rsa3072.pub", &file, 1, 997);
}
END_TEST

START_TEST(header_only)
{
    for (int m = MODE_FD; m <= MODE_PUSH; m++) {
        struct rec rec;
        rec_init(&rec);
        ck_assert_int_eq(
            read_vector((enum mode)m, "rootfs-gzip-rsa.mender", "rsa3072.pub", &rec, true),
            ARTSIG_OK);
        ck_assert_str_eq(rec.log, "H;");
        rec_free(&rec);
        /* The payload is not read, so its fault goes unseen... */
        rec_init(&rec);
        ck_assert_int_eq(
            read_vector((enum mode)m, "t-payload-swapped.mender", "rsa3072.pub", &rec, true),
            ARTSIG_OK);
        ck_assert_str_eq(rec.log, "H;");
        rec_free(&rec);
        /* ...but everything up to the header is checked. */
        ck_assert_int_eq(
            read_vector((enum mode)m, "t-header-edited.mender", "rsa3072.pub", NULL, true),
            ARTSIG_EDIGEST);
        ck_assert_int_eq(
            read_vector((enum mode)m, "rootfs-gzip-rsa.mender", "ecp256.pub", NULL, true),
            ARTSIG_EVERIFY);
    }
}
END_TEST

START_TEST(cancel_from_each_callback)
{
    static const char *const which[] = {"header", "file_begin", "file_data", "file_end"};
    static const char *const logs[] = {"H;", "H;B0:", "H;B0:", "H;B0:"};
    for (size_t i = 0; i < 4; i++)
        for (int m = MODE_FD; m <= MODE_PUSH; m++) {
            struct rec rec;
            rec_init(&rec);
            rec.cancel = which[i];
            int rc = read_vector((enum mode)m, "module-multi-ecdsa.mender", "ecp256.pub", &rec,
                                 false);
            ck_assert_msg(rc == ARTSIG_ECANCELLED, "%s in %s mode: %s", which[i],
                          mode_names[m], artsig_strerror(rc));
            ck_assert(strstr(artsig_last_error(), which[i]));
            ck_assert(strncmp(rec.log, logs[i], strlen(logs[i])) == 0);
            /* It stops right there. */
            ck_assert_int_eq(rec.ends, i == 3 ? 1 : 0);
            rec_free(&rec);
        }
}
END_TEST

START_TEST(push_after_error)
{
    size_t len;
    uint8_t *data = load_artifact("t-payload-swapped.mender", &len);
    artsig_keyring *ring;
    ck_assert(load_keys(&ring, "rsa3072.pub"));
    artsig_reader *r;
    ck_assert_int_eq(artsig_reader_new(&r, ring, NULL, NULL), ARTSIG_OK);
    size_t pos = 0;
    int rc = ARTSIG_OK;
    while (pos < len && rc == ARTSIG_OK) {
        size_t n = len - pos < 4096 ? len - pos : 4096;
        rc = artsig_reader_push(r, data + pos, n);
        pos += n;
    }
    ck_assert_int_eq(rc, ARTSIG_EDIGEST);
    /* The worker's detail reached this thread. */
    ck_assert(strstr(artsig_last_error(), "data/0000/core-image-qemux86-64.ext4"));
    ck_assert_int_eq(artsig_reader_push(r, data, 10), ARTSIG_EDIGEST);
    ck_assert(strstr(artsig_last_error(), "core-image-qemux86-64.ext4"));
    ck_assert_int_eq(artsig_reader_push(r, NULL, 0), ARTSIG_EDIGEST);
    ck_assert_int_eq(artsig_reader_finish(r), ARTSIG_EDIGEST);
    ck_assert(strstr(artsig_last_error(), "core-image-qemux86-64.ext4"));
    ck_assert_int_eq(artsig_reader_push(r, data, 10), ARTSIG_ESTATE);
    ck_assert_int_eq(artsig_reader_finish(r), ARTSIG_ESTATE);
    artsig_reader_free(r);
    artsig_keyring_free(ring);
    free(data);
}
END_TEST

START_TEST(single_use)
{
    char *path = vec_path("artifacts/bootstrap-ecdsa.mender");
    artsig_reader *r;
    ck_assert_int_eq(artsig_reader_new(&r, NULL, NULL, NULL), ARTSIG_OK);
    ck_assert_ptr_null(artsig_reader_info(r));
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(artsig_reader_run_fd(r, fd), ARTSIG_OK);
    ck_assert_ptr_nonnull(artsig_reader_info(r));
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    ck_assert_int_eq(artsig_reader_run_fd(r, fd), ARTSIG_ESTATE);
    struct memsrc m = {(const uint8_t *)"", 0, 0, 1};
    ck_assert_int_eq(artsig_reader_run_pull(r, mem_pull, &m), ARTSIG_ESTATE);
    ck_assert_int_eq(artsig_reader_push(r, "x", 1), ARTSIG_ESTATE);
    ck_assert_int_eq(artsig_reader_finish(r), ARTSIG_ESTATE);
    ck_assert_int_eq(artsig_reader_set_header_only(r, 1), ARTSIG_ESTATE);
    artsig_reader_free(r);

    /* Push, then any other way of reading. */
    ck_assert_int_eq(artsig_reader_new(&r, NULL, NULL, NULL), ARTSIG_OK);
    ck_assert_int_eq(artsig_reader_push(r, "x", 1), ARTSIG_OK);
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    ck_assert_int_eq(artsig_reader_run_fd(r, fd), ARTSIG_ESTATE);
    ck_assert_int_eq(artsig_reader_set_header_only(r, 1), ARTSIG_ESTATE);
    ck_assert_int_eq(artsig_reader_finish(r), ARTSIG_ETRUNCATED);
    artsig_reader_free(r);

    /* Failed runs count too. */
    ck_assert_int_eq(artsig_reader_new(&r, NULL, NULL, NULL), ARTSIG_OK);
    ck_assert_int_eq(artsig_reader_run_pull(r, mem_pull, &m), ARTSIG_ETRUNCATED);
    ck_assert_int_eq(artsig_reader_run_pull(r, mem_pull, &m), ARTSIG_ESTATE);
    artsig_reader_free(r);
    close(fd);
    free(path);
}
END_TEST

static ssize_t failing_pull(void *buf, size_t size, void *u)
{
    (void)buf;
    (void)u;
    (void)size;
    return -1;
}

static ssize_t greedy_pull(void *buf, size_t size, void *u)
{
    (void)buf;
    (void)u;
    return (ssize_t)size + 1;
}

START_TEST(bad_arguments_and_input_errors)
{
    artsig_reader *r;
    ck_assert_int_eq(artsig_reader_new(NULL, NULL, NULL, NULL), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_reader_set_header_only(NULL, 1), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_reader_push(NULL, "x", 1), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_reader_finish(NULL), ARTSIG_EINVAL);
    ck_assert_ptr_null(artsig_reader_info(NULL));
    artsig_reader_free(NULL);

    ck_assert_int_eq(artsig_reader_new(&r, NULL, NULL, NULL), ARTSIG_OK);
    ck_assert_int_eq(artsig_reader_run_fd(r, -1), ARTSIG_EINVAL);
    artsig_reader_free(r);
    ck_assert_int_eq(artsig_reader_new(&r, NULL, NULL, NULL), ARTSIG_OK);
    ck_assert_int_eq(artsig_reader_run_pull(r, NULL, NULL), ARTSIG_EINVAL);
    artsig_reader_free(r);
    ck_assert_int_eq(artsig_reader_new(&r, NULL, NULL, NULL), ARTSIG_OK);
    ck_assert_int_eq(artsig_reader_push(r, NULL, 5), ARTSIG_EINVAL);
    artsig_reader_free(r);

    ck_assert_int_eq(artsig_reader_new(&r, NULL, NULL, NULL), ARTSIG_OK);
    ck_assert_int_eq(artsig_reader_run_pull(r, failing_pull, NULL), ARTSIG_EIO);
    artsig_reader_free(r);
    ck_assert_int_eq(artsig_reader_new(&r, NULL, NULL, NULL), ARTSIG_OK);
    ck_assert_int_eq(artsig_reader_run_pull(r, greedy_pull, NULL), ARTSIG_EINVAL);
    artsig_reader_free(r);
    /* A directory cannot be read. */
    ck_assert_int_eq(artsig_reader_new(&r, NULL, NULL, NULL), ARTSIG_OK);
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    ck_assert_int_eq(artsig_reader_run_fd(r, fd), ARTSIG_EIO);
    close(fd);
    artsig_reader_free(r);
    /* Empty input and no input at all. */
    ck_assert_int_eq(artsig_reader_new(&r, NULL, NULL, NULL), ARTSIG_OK);
    ck_assert_int_eq(artsig_reader_finish(r), ARTSIG_ETRUNCATED);
    artsig_reader_free(r);
}
END_TEST

static int push_from_callback(const artsig_info *info, void *u)
{
    (void)info;
    artsig_reader *r = *(artsig_reader **)u;
    ck_assert_int_eq(artsig_reader_push(r, "x", 1), ARTSIG_ESTATE);
    ck_assert_int_eq(artsig_reader_finish(r), ARTSIG_ESTATE);
    return 0;
}

/* A callback calling back into push mode would wait for itself. */
START_TEST(push_from_a_callback_refused)
{
    size_t len;
    uint8_t *data = load_artifact("bootstrap-ecdsa.mender", &len);
    artsig_reader_callbacks cb = {.header = push_from_callback};
    artsig_reader *r;
    ck_assert_int_eq(artsig_reader_new(&r, NULL, &cb, &r), ARTSIG_OK);
    ck_assert_int_eq(artsig_reader_push(r, data, len), ARTSIG_OK);
    ck_assert_int_eq(artsig_reader_finish(r), ARTSIG_OK);
    artsig_reader_free(r);
    free(data);
}
END_TEST

/* A reader given up halfway through push mode stops its worker cleanly. */
START_TEST(free_while_pushing)
{
    size_t len;
    uint8_t *data = load_artifact("rootfs-gzip-rsa.mender", &len);
    for (size_t stop = 1; stop < len; stop += len / 7) {
        struct rec rec;
        rec_init(&rec);
        artsig_reader *r;
        ck_assert_int_eq(artsig_reader_new(&r, NULL, &recording, &rec), ARTSIG_OK);
        ck_assert_int_eq(artsig_reader_push(r, data, stop), ARTSIG_OK);
        artsig_reader_free(r);
        rec_free(&rec);
    }
    free(data);
}
END_TEST

/* An empty keyring checks no signature, like NULL. */
START_TEST(empty_keyring_is_no_keys)
{
    artsig_keyring *ring;
    ck_assert_int_eq(artsig_keyring_new(&ring), ARTSIG_OK);
    size_t len;
    uint8_t *data = load_artifact("rootfs-gzip-unsigned.mender", &len);
    ck_assert_int_eq(read_mem(MODE_FD, data, len, ring, NULL, false), ARTSIG_OK);
    free(data);
    data = load_artifact("rootfs-gzip-ecdsa.mender", &len);
    artsig_reader *r;
    ck_assert_int_eq(artsig_reader_new(&r, ring, NULL, NULL), ARTSIG_OK);
    ck_assert_int_eq(artsig_reader_push(r, data, len), ARTSIG_OK);
    ck_assert_int_eq(artsig_reader_finish(r), ARTSIG_OK);
    ck_assert_int_eq(artsig_info_signature(artsig_reader_info(r)), ARTSIG_SIG_UNCHECKED);
    artsig_reader_free(r);
    free(data);
    artsig_keyring_free(ring);
}
END_TEST

/* Puts the digest of FILE in place of NAME's line in the manifest. */
#define RELIST(file, name)                                                                  \
    "sed -i \"s/^.*  " name "$/$(sha256sum " file " | cut -d' ' -f1)  " name "/\" manifest"

struct derived_case {
    const char *change;
    int status;
    const char *detail;
};

static void assert_derived(const char *base, const struct derived_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char detail[512];
        int rc = read_derived(detail, base, cases[i].change, NULL);
        ck_assert_msg(rc == cases[i].status, "%s: %s: %s (%s), want %s", base, cases[i].change,
                      artsig_strerror(rc), detail, artsig_strerror(cases[i].status));
        ck_assert_msg(strstr(detail, cases[i].detail), "%s: %s: detail \"%s\", want \"%s\"",
                      base, cases[i].change, detail, cases[i].detail);
    }
}

/* Payload members: entry types, names, compression. */
START_TEST(derived_payloads)
{
    static const struct derived_case cases[] = {
        /* The unchanged rebuild is valid. */
        {"true", ARTSIG_OK, ""},
        {"tar czf data/0000.tar.gz -C inner -P --transform 's,^,../,' \"$F\"", ARTSIG_EUNSAFE,
         "unsafe file name \"../core"},
        {"tar czf data/0000.tar.gz -C inner -P --transform 's,^,/,' \"$F\"", ARTSIG_EUNSAFE,
         "unsafe file name \"/core"},
        {"tar czf data/0000.tar.gz -C inner --transform 's,^,sub/,' \"$F\"", ARTSIG_EUNSAFE,
         "unsafe file name"},
        {"cd inner; rm \"$F\"; ln -s /dev/sda \"$F\"; tar czf ../data/0000.tar.gz \"$F\"",
         ARTSIG_EUNSAFE, "symbolic link"},
        {"cd inner; ln \"$F\" link; tar czf ../data/0000.tar.gz \"$F\" link", ARTSIG_EUNSAFE,
         "link is a hard link"},
        {"cd inner; ln \"$F\" link; tar --format=pax --hard-dereference -czf "
         "../data/0000.tar.gz link",
         ARTSIG_EFORMAT, "link is not listed"},
        {"mkdir inner/d; tar czf data/0000.tar.gz -C inner \"$F\" d", ARTSIG_EUNSAFE,
         "d/ is a directory"},
        {"cd inner; mkfifo fifo; tar czf ../data/0000.tar.gz \"$F\" fifo", ARTSIG_EUNSAFE,
         "special file"},
        {"tar cf t.tar -C inner \"$F\"; tar rf t.tar -C inner \"$F\"; "
         "gzip -c t.tar > data/0000.tar.gz; rm t.tar",
         ARTSIG_EFORMAT, "twice"},
        {"tar czf data/0000.tar.gz -T /dev/null", ARTSIG_EFORMAT,
         "core-image-qemux86-64.ext4 is listed in the manifest but missing"},
        /* Compression must match the suffix, and be one layer deep. */
        {"tar cf data/0000.tar.gz -C inner \"$F\"", ARTSIG_EFORMAT, "content is not gzip"},
        {"rm data/0000.tar.gz; tar czf data/0000.tar -C inner \"$F\"", ARTSIG_EFORMAT,
         "its content is gzip"},
        {"tar cJf data/0000.tar.gz -C inner \"$F\"", ARTSIG_EFORMAT, "content is not gzip"},
        {"rm data/0000.tar.gz; tar cf - -C inner \"$F\" | zstd -q -o data/0000.tar.xz",
         ARTSIG_EFORMAT, "content is not xz"},
        {"gzip -c data/0000.tar.gz > x; mv x data/0000.tar.gz", ARTSIG_EFORMAT,
         "single layer"},
        {"rm data/0000.tar.gz; tar cf - -C inner \"$F\" | zstd -q -o data/0000.tar.zst",
         ARTSIG_OK, ""},
        {"rm data/0000.tar.gz; tar cJf data/0000.tar.xz -C inner \"$F\"", ARTSIG_OK, ""},
        {"rm data/0000.tar.gz; tar cf data/0000.tar -C inner \"$F\"", ARTSIG_OK, ""},
        {"rm data/0000.tar.gz; tar --format=pax -cf data/0000.tar -C inner \"$F\"", ARTSIG_OK,
         ""},
        /* A payload that decompresses to far more streams like any other. */
        {"head -c 50000000 /dev/zero > inner/\"$F\"; tar czf data/0000.tar.gz -C inner \"$F\"",
         ARTSIG_EDIGEST, "data/0000/core-image-qemux86-64.ext4: manifest lists sha256 ad71"},
        {"printf x >> inner/\"$F\"; tar czf data/0000.tar.gz -C inner \"$F\"", ARTSIG_EDIGEST,
         "content has"},
    };
    assert_derived("rootfs-gzip-unsigned.mender", cases, sizeof cases / sizeof cases[0]);
}
END_TEST

/* A second copy of a file is refused before any of it streams. */
START_TEST(duplicate_file_not_streamed)
{
    struct rec rec;
    rec_init(&rec);
    char detail[512];
    int rc = read_derived(detail, "rootfs-gzip-unsigned.mender",
                          "tar cf t.tar -C inner \"$F\"; tar rf t.tar -C inner \"$F\"; "
                          "gzip -c t.tar > data/0000.tar.gz; rm t.tar",
                          &rec);
    ck_assert_int_eq(rc, ARTSIG_EFORMAT);
    ck_assert_msg(strstr(detail, "appears twice"), "%s", detail);
    ck_assert_str_eq(rec.log, "H;B0:core-image-qemux86-64.ext4:223232;D;"
                              "E0:core-image-qemux86-64.ext4;");
    rec_free(&rec);
}
END_TEST

/* Outer members: version, manifests, header, order. */
START_TEST(derived_members)
{
    static const struct derived_case cases[] = {
        {"printf '{\"version\":3,\"format\":\"mender\"}' > version", ARTSIG_EDIGEST,
         "version: manifest lists"},
        {"printf '{\"version\":3,\"format\":\"mender\"}' > version; " RELIST("version",
                                                                               "version"),
         ARTSIG_OK, ""},
        {"printf '{\"format\":\"mender\",\"version\":\"3\"}' > version; " RELIST("version",
                                                                                 "version"),
         ARTSIG_EFORMAT, "version"},
        {"printf '{\"format\":\"mender\",\"version\":3,\"x\":1}' > version; " RELIST("version",
                                                                                     "version"),
         ARTSIG_EFORMAT, "version"},
        {"printf '{\"format\":\"mender\",\"version\":3} ' > version; " RELIST("version",
                                                                               "version"),
         ARTSIG_OK, ""},
        {"printf '{\"format\":\"mender\",\"version\":3}x' > version; " RELIST("version",
                                                                               "version"),
         ARTSIG_EFORMAT, "version"},
        {"printf '{\"format\":\"mender\",\"version\":2}' > version; " RELIST("version",
                                                                              "version"),
         ARTSIG_EFORMAT, ""},
        {"sed -i '/  version$/d' manifest", ARTSIG_EFORMAT, "does not list version"},
        {"sed -i '/  header.tar.gz$/d' manifest", ARTSIG_EFORMAT, "lists no header"},
        {"sed -n 's/  header.tar.gz$/  header.tar.xz/p' manifest >> manifest", ARTSIG_EFORMAT,
         "more than one header"},
        {"sed -n 's/  header.tar.gz$/  header-augment.tar.gz/p' manifest >> manifest",
         ARTSIG_EFORMAT, "belongs in manifest-augment"},
        /* The digest covers every byte of the header member... */
        {"gzip -dc header.tar.gz | gzip -1 -n > h; mv h header.tar.gz", ARTSIG_EDIGEST,
         "header.tar.gz: manifest lists"},
        /* ...and all of them must be the compressed tar: nothing may follow. */
        {"printf garbage >> header.tar.gz; " RELIST("header.tar.gz", "header.tar.gz"),
         ARTSIG_EFORMAT, "header.tar.gz: data after the end of its gzip stream"},
        /* After the tar's end blocks, zeros only (as tar writers pad). */
        {"gzip -d header.tar.gz; head -c 300000 /dev/zero >> header.tar; " RELIST(
             "header.tar", "header.tar.gz") "; sed -i 's/header.tar.gz$/header.tar/' manifest",
         ARTSIG_OK, ""},
        {"gzip -d header.tar.gz; printf x >> header.tar; " RELIST(
             "header.tar", "header.tar.gz") "; sed -i 's/header.tar.gz$/header.tar/' manifest",
         ARTSIG_EFORMAT, "header.tar: non-zero bytes after the end of its tar"},
        {"gzip -dc header.tar.gz | zstd -q -o header.tar.zst; rm header.tar.gz; " RELIST(
             "header.tar.zst", "header.tar.gz") "; sed -i 's/header.tar.gz$/header.tar.zst/' "
                                                 "manifest",
         ARTSIG_OK, ""},
        {"gzip -dc header.tar.gz | zstd -q -o header.tar.zst; rm header.tar.gz",
         ARTSIG_EFORMAT, "the manifest lists header.tar.gz"},
        /* Decompression bombs in the header fail fast and in bounded memory. */
        {"mkdir h; cd h; for i in $(seq 1 60); do : > f$i; done; "
         "tar --format=pax --pax-option=comment:=$(head -c 100000 /dev/zero | tr '\\0' a) "
         "-czf ../header.tar.gz f*; cd ..; " RELIST("header.tar.gz", "header.tar.gz"),
         ARTSIG_ELIMIT, "uncompressed"},
        {"mkdir h; cd h; seq 1 2000 | xargs touch; tar czf ../header.tar.gz *; cd ..; " RELIST(
             "header.tar.gz", "header.tar.gz"),
         ARTSIG_ELIMIT, "more than"},
        {"mkdir h; cd h; for i in 1 2 3 4 5; do head -c 1000000 /dev/zero > f$i; done; "
         "tar czf ../header.tar.gz *; cd ..; " RELIST("header.tar.gz", "header.tar.gz"),
         ARTSIG_ELIMIT, "in total"},
        {"mkdir h; ln -s /etc/passwd h/header-info; tar czf header.tar.gz -C h header-info; "
         RELIST("header.tar.gz", "header.tar.gz"),
         ARTSIG_EUNSAFE, "symbolic link"},
        /* Members that are not plain files, or not members at all. */
        {"mv header.tar.gz h; ln -s h header.tar.gz", ARTSIG_EFORMAT, "not a regular file"},
        {"echo hi > extra; echo extra > more", ARTSIG_EFORMAT, "unknown member \"extra\""},
        /* A copy, which tar would otherwise store as a hard link. */
        {"mkdir dup; cp version dup; printf -- '-C dup\\nversion\\n' > more", ARTSIG_EFORMAT,
         "member version after data/0000.tar.gz"},
        {"gzip -c data/0000.tar.gz > data/0001.tar.gz", ARTSIG_EFORMAT,
         "where the end of the archive was expected"},
        {"mv data/0000.tar.gz data/0001.tar.gz", ARTSIG_EFORMAT, "data/0000.tar[ext]"},
    };
    assert_derived("rootfs-gzip-unsigned.mender", cases, sizeof cases / sizeof cases[0]);
}
END_TEST

/* The payload file made one byte longer, so that its tar entry has padding
 * (bytes 223745 to 224255 of t.tar, end-of-archive blocks from 224256 on),
 * listed anew and packed as t.tar; data/0000.tar.gz is gone. */
#define PADDED                                                                              \
    "printf x >> inner/\"$F\"; relist inner/\"$F\" \"data/0000/$F\"; "                      \
    "tar cf t.tar -C inner \"$F\"; rm data/0000.tar.gz; "
#define GZIP_T "gzip -n < t.tar > data/0000.tar.gz"

/* What no digest covers in a data member: its tar's padding and end blocks. */
START_TEST(derived_payload_tar)
{
    static const struct derived_case cases[] = {
        {PADDED GZIP_T, ARTSIG_OK, ""},
        {PADDED "mv t.tar data/0000.tar", ARTSIG_OK, ""},
        {PADDED "flip t.tar 223745; " GZIP_T, ARTSIG_EFORMAT,
         "data/0000.tar.gz: non-zero padding after core-image-qemux86-64.ext4 (byte 223745 of "
         "its tar)"},
        {PADDED "flip t.tar 224255; " GZIP_T, ARTSIG_EFORMAT, "byte 224255 of its tar"},
        {PADDED "flip t.tar 224000; mv t.tar data/0000.tar", ARTSIG_EFORMAT,
         "data/0000.tar: non-zero padding after core-image-qemux86-64.ext4 (byte 224000"},
        /* The first end block reads as a broken header, the second must be
         * zeros, and so must anything after it. */
        {PADDED "flip t.tar 224767; " GZIP_T, ARTSIG_EFORMAT, "in data/0000.tar.gz"},
        {PADDED "flip t.tar 224868; " GZIP_T, ARTSIG_EFORMAT,
         "data/0000.tar.gz: non-zero bytes after the end of its tar (the last at byte 224868"},
        {PADDED "flip t.tar 224868; mv t.tar data/0000.tar", ARTSIG_EFORMAT,
         "data/0000.tar: non-zero bytes after the end of its tar"},
        {PADDED "head -c 9000 /dev/zero >> t.tar; " GZIP_T, ARTSIG_OK, ""},
        {PADDED "head -c 9000 /dev/zero >> t.tar; flip t.tar -1; " GZIP_T, ARTSIG_EFORMAT,
         "non-zero bytes after the end of its tar"},
        {PADDED "head -c 225280 t.tar > u.tar; mv u.tar t.tar; " GZIP_T, ARTSIG_OK, ""},
        {PADDED "head -c 224768 t.tar > u.tar; mv u.tar t.tar; " GZIP_T, ARTSIG_EFORMAT,
         "data/0000.tar.gz: its tar lacks the two end-of-archive blocks"},
        {PADDED "head -c 224256 t.tar > u.tar; mv u.tar data/0000.tar", ARTSIG_EFORMAT,
         "data/0000.tar: its tar lacks the two end-of-archive blocks"},
    };
    assert_derived("rootfs-gzip-unsigned.mender", cases, sizeof cases / sizeof cases[0]);
}
END_TEST

/* The payload tar compressed as data/0000.tar.EXT, from the unchanged file. */
#define PACKED(ext, cmd)                                                                    \
    "rm data/0000.tar.gz; tar cf - -C inner \"$F\" | " cmd " > data/0000.tar" ext "; "

/* A gzip member of standard input, written field by field: FLG is the first
 * argument (FHCRC 2, FEXTRA 4, FNAME 8, FCOMMENT 16), and the header CRC is
 * XORed with the second (0 keeps it right). */
#define GZIP_FIELDS                                                                         \
    "python3 -c 'import struct, sys, zlib\n"                                                \
    "d = sys.stdin.buffer.read(); f = int(sys.argv[1])\n"                                   \
    "h = bytes([31, 139, 8, f, 0, 0, 0, 0, 0, 255])\n"                                      \
    "if f & 4: h += struct.pack(\"<H\", 5) + b\"extra\"\n"                                  \
    "if f & 8: h += b\"name\\0\"\n"                                                          \
    "if f & 16: h += b\"comment\\0\"\n"                                                      \
    "if f & 2: h += struct.pack(\"<H\", (zlib.crc32(h) ^ int(sys.argv[2])) & 65535)\n"      \
    "c = zlib.compressobj(6, zlib.DEFLATED, -15)\n"                                         \
    "sys.stdout.buffer.write(h + c.compress(d) + c.flush() + "                              \
    "struct.pack(\"<II\", zlib.crc32(d), len(d)))' "

/* A compressed member must be exactly its stream(s), every check verified. */
START_TEST(derived_compressed_streams)
{
    static const struct derived_case cases[] = {
        /* gzip: the CRC32 and ISIZE trailer, members one after another, and
         * nothing else. */
        {PACKED(".gz", "gzip -n") "flip data/0000.tar.gz -8", ARTSIG_EFORMAT,
         "data/0000.tar.gz: corrupt gzip data (incorrect data check)"},
        {PACKED(".gz", "gzip -n") "flip data/0000.tar.gz -4", ARTSIG_EFORMAT,
         "corrupt gzip data (incorrect length check)"},
        {PACKED(".gz", "gzip -n") "flip data/0000.tar.gz 10", ARTSIG_EFORMAT,
         "data/0000.tar.gz: corrupt gzip data"},
        {PACKED(".gz", "gzip -n") "gzip -n < /dev/null >> data/0000.tar.gz", ARTSIG_OK, ""},
        {PACKED(".gz", "gzip -n") "printf x >> data/0000.tar.gz", ARTSIG_EFORMAT,
         "data/0000.tar.gz: data after the end of its gzip stream"},
        {PACKED(".gz", "gzip -n") "head -c 8 /dev/zero >> data/0000.tar.gz", ARTSIG_EFORMAT,
         "data after the end of its gzip stream"},
        {PACKED(".gz", "gzip -n") "head -c -1 data/0000.tar.gz > x; mv x data/0000.tar.gz",
         ARTSIG_EFORMAT, "data/0000.tar.gz: its gzip data ends early"},
        {PACKED(".gz", "gzip -n") ": > data/0000.tar.gz", ARTSIG_EFORMAT,
         "its gzip data ends early"},
        {PACKED(".gz", "gzip -n") "head -c 5 data/0000.tar.gz > x; mv x data/0000.tar.gz",
         ARTSIG_EFORMAT, "data/0000.tar.gz: its gzip data ends early"},
        {PACKED(".gz", "gzip -n") "head -c 100000 data/0000.tar.gz > x; mv x data/0000.tar.gz",
         ARTSIG_EFORMAT, "data/0000.tar.gz: its gzip data ends early"},
        {PACKED(".gz", "gzip -n") "printf '\\037\\213\\010' >> data/0000.tar.gz", ARTSIG_EFORMAT,
         "data/0000.tar.gz: its gzip data ends early"},
        /* The header: deflate (CM 8) only, no reserved flag bits, the
         * optional fields, and the header CRC when FHCRC is set. */
        {PACKED(".gz", "gzip -n") "flip data/0000.tar.gz 2", ARTSIG_EFORMAT,
         "data/0000.tar.gz: content is not gzip data"},
        {PACKED(".gz", "gzip -n") "flip data/0000.tar.gz 3 32", ARTSIG_EFORMAT,
         "data/0000.tar.gz: gzip header with unused bits set"},
        {PACKED(".gz", "gzip -n") "gzip -n < /dev/null > z; flip z 3 128; "
                                  "cat z >> data/0000.tar.gz",
         ARTSIG_EFORMAT, "gzip header with unused bits set"},
        {PACKED(".gz", GZIP_FIELDS "30 0"), ARTSIG_OK, ""},
        {PACKED(".gz", GZIP_FIELDS "2 1"), ARTSIG_EFORMAT,
         "data/0000.tar.gz: corrupt gzip data (header crc mismatch)"},
        /* Hundreds of members, so that headers and trailers fall across the
         * pieces the input comes in. */
        {"rm data/0000.tar.gz; tar cf t.tar -C inner \"$F\"; split -b 100 t.tar p.; "
         "for p in p.*; do gzip -n < $p; done > data/0000.tar.gz; rm t.tar p.*",
         ARTSIG_OK, ""},
        /* xz: streams may follow one another, with stream padding */
        {PACKED(".xz", "xz -T1") "xz -T1 < /dev/null >> data/0000.tar.xz; "
                                 "head -c 8 /dev/zero >> data/0000.tar.xz",
         ARTSIG_OK, ""},
        {PACKED(".xz", "xz -T1") "head -c 3 /dev/zero >> data/0000.tar.xz", ARTSIG_EFORMAT,
         "data/0000.tar.xz: corrupt xz data"},
        {PACKED(".xz", "xz -T1") "printf 'not xz, but long enough' >> data/0000.tar.xz",
         ARTSIG_EFORMAT, "data/0000.tar.xz: corrupt xz data"},
        /* (Too short for a stream header, to liblzma a stream cut short.) */
        {PACKED(".xz", "xz -T1") "printf xxxx >> data/0000.tar.xz", ARTSIG_EFORMAT,
         "data/0000.tar.xz: its xz data ends early"},
        {PACKED(".xz", "xz -T1") "flip data/0000.tar.xz -12", ARTSIG_EFORMAT,
         "corrupt xz data"},
        {PACKED(".xz", "xz -T1") "head -c -1 data/0000.tar.xz > x; mv x data/0000.tar.xz",
         ARTSIG_EFORMAT, "data/0000.tar.xz: its xz data ends early"},
        /* zstd: frames may follow one another; a skippable frame is data
         * no one reads, refused like any other. */
        {PACKED(".zst", "zstd -q") "zstd -q < /dev/null >> data/0000.tar.zst", ARTSIG_OK, ""},
        {PACKED(".zst", "zstd -q") "printf x >> data/0000.tar.zst", ARTSIG_EFORMAT,
         "data/0000.tar.zst: data after the end of its zstd stream"},
        {PACKED(".zst", "zstd -q") "printf 'P*M\\030\\001\\000\\000\\000x' >> data/0000.tar.zst",
         ARTSIG_EFORMAT, "data after the end of its zstd stream"},
        {PACKED(".zst", "zstd -q") "flip data/0000.tar.zst -1", ARTSIG_EFORMAT,
         "data/0000.tar.zst: corrupt zstd data"},
        /* The frame header's Unused_bit, which libzstd would not look at. */
        {PACKED(".zst", "zstd -q") "flip data/0000.tar.zst 4 16", ARTSIG_EFORMAT,
         "data/0000.tar.zst: zstd header with unused bits set"},
        {PACKED(".zst", "zstd -q") "zstd -q < /dev/null > z; flip z 4 16; "
                                   "cat z >> data/0000.tar.zst",
         ARTSIG_EFORMAT, "zstd header with unused bits set"},
        {PACKED(".zst", "zstd -q") "head -c -1 data/0000.tar.zst > x; mv x data/0000.tar.zst",
         ARTSIG_EFORMAT, "data/0000.tar.zst: its zstd data ends early"},
        /* The largest window allowed. */
        {PACKED(".zst", "zstd -q --zstd=wlog=26"), ARTSIG_OK, ""},
    };
    assert_derived("rootfs-gzip-unsigned.mender", cases, sizeof cases / sizeof cases[0]);
}
END_TEST

/* Members whose decoder would need more memory than the limits allow fail
 * before it is taken, in every mode. The xz member is an ordinary one whose
 * block header then claims a 4 GiB dictionary (a real one would take gigabytes
 * to make); the zstd frame asks for a 128 MiB window. */
START_TEST(decoder_memory_limits)
{
    char *dir = scratch_run(
        "tar xf \"$VEC/artifacts/rootfs-gzip-unsigned.mender\"; mkdir inner; "
        "tar xzf data/0000.tar.gz -C inner; rm data/0000.tar.gz; "
        "tar cf - -C inner core-image-qemux86-64.ext4 | xz -T1 > data/0000.tar.xz; "
        "python3 -c 'import sys, zlib\n"
        "p = sys.argv[1]; b = bytearray(open(p, \"rb\").read())\n"
        "end = 12 + (b[12] + 1) * 4\n"
        "b[b.index(b\"\\x21\\x01\", 12, end) + 2] = 40\n"
        "b[end - 4:end] = zlib.crc32(bytes(b[12:end - 4])).to_bytes(4, \"little\")\n"
        "open(p, \"wb\").write(b)' data/0000.tar.xz; "
        "tar --format=gnu -cf xz.mender version manifest header.tar.gz data/0000.tar.xz; "
        "tar cf - -C inner core-image-qemux86-64.ext4 | zstd -q --zstd=wlog=27 "
        "> data/0000.tar.zst; "
        "tar --format=gnu -cf zst.mender version manifest header.tar.gz data/0000.tar.zst");
    static const char *const cases[][2] = {
        {"xz.mender", "data/0000.tar.xz: its xz data needs 4097 MiB to decode, more than the "
                      "limit of 80 MiB"},
        {"zst.mender", "data/0000.tar.zst: its zstd data needs a window of more than the limit "
                       "of 64 MiB"},
    };
    long before = max_rss_kib();
    for (size_t c = 0; c < 2; c++) {
        size_t len;
        uint8_t *data = scratch_file(dir, cases[c][0], &len);
        for (int m = MODE_FD; m <= MODE_PUSH; m++) {
            int rc = read_mem((enum mode)m, data, len, NULL, NULL, false);
            ck_assert_msg(rc == ARTSIG_ELIMIT, "%s in %s mode: %s", cases[c][0],
                          mode_names[m], artsig_last_error());
            ck_assert_msg(strstr(artsig_last_error(), cases[c][1]), "%s", artsig_last_error());
        }
        free(data);
    }
    long growth = max_rss_kib() - before;
    ck_assert_msg(growth < 16 * 1024, "peak RSS grew by %ld KiB", growth);
    scratch_remove(dir);
}
END_TEST

/* Augmented artifacts: what sits outside the signature. */
START_TEST(derived_augments)
{
    static const struct derived_case cases[] = {
        {"true", ARTSIG_OK, ""},
        {"rm manifest.sig", ARTSIG_OK, ""},
        {"rm header-augment.tar.gz", ARTSIG_EFORMAT, "header-augment.tar[ext] was expected"},
        {"rm manifest-augment", ARTSIG_EFORMAT, "header-augment.tar.gz"},
        {"grep '  version$' manifest >> manifest-augment", ARTSIG_EFORMAT,
         "manifest-augment lists version"},
        {"grep '  data/' manifest >> manifest-augment", ARTSIG_EFORMAT,
         "listed in manifest and manifest-augment"},
        {"sed -i '/header-augment/d' manifest-augment", ARTSIG_EFORMAT,
         "manifest-augment lists no header-augment"},
        {"gzip -dc header-augment.tar.gz | gzip -1 -n > h; mv h header-augment.tar.gz",
         ARTSIG_EDIGEST, "header-augment.tar.gz"},
        {"tar czf data/0000.tar.gz -C inner app-0.bin", ARTSIG_EFORMAT,
         "data/0000/app-1.bin is listed in the manifest but missing"},
    };
    assert_derived("module-augment-rsa.mender", cases, sizeof cases / sizeof cases[0]);
}
END_TEST

/* 300 MiB of payload through every mode, in a few MiB of memory. */
START_TEST(memory_bounded)
{
    char *dir = scratch_run("head -c 314572800 /dev/urandom > big.bin; "
                            "mender-artifact write module-image -T test -n big-1 "
                            "-t qemux86-64 -f big.bin -o big.mender > /dev/null; rm big.bin");
    size_t n = strlen(dir) + 16;
    char *path = malloc(n);
    snprintf(path, n, "%s/big.mender", dir);
    long before = max_rss_kib();

    struct rec rec;
    rec_init(&rec);
    artsig_reader *r;
    ck_assert_int_eq(artsig_reader_new(&r, NULL, &recording, &rec), ARTSIG_OK);
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_msg(artsig_reader_run_fd(r, fd) == ARTSIG_OK, "%s", artsig_last_error());
    artsig_reader_free(r);
    ck_assert_uint_eq(rec.bytes, 314572800);
    rec_free(&rec);

    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    ck_assert_int_eq(artsig_reader_new(&r, NULL, NULL, NULL), ARTSIG_OK);
    static uint8_t chunk[65536];
    ssize_t got;
    while ((got = read(fd, chunk, sizeof chunk)) > 0)
        ck_assert_int_eq(artsig_reader_push(r, chunk, (size_t)got), ARTSIG_OK);
    ck_assert_int_eq(artsig_reader_finish(r), ARTSIG_OK);
    artsig_reader_free(r);
    close(fd);

    long growth = max_rss_kib() - before;
    ck_assert_msg(growth < 16 * 1024, "peak RSS grew by %ld KiB", growth);
    free(path);
    scratch_remove(dir);
}
END_TEST

/* A payload that compresses well (the decoder runs ahead of the reader, as
 * far as its blocks allow), as gzip, xz and zstd, through every mode, in a
 * few MiB of memory. */
START_TEST(compressible_payload)
{
    char *dir = scratch_run("seq 1 12000000 > big.txt; "
                            "mender-artifact write module-image -T test -n seq-1 "
                            "-t qemux86-64 -f big.txt -o gz.mender > /dev/null; "
                            "tar xf gz.mender; gzip -dc data/0000.tar.gz > t.tar; "
                            "xz -T1 -1 < t.tar > data/0000.tar.xz; "
                            "zstd -q < t.tar > data/0000.tar.zst; "
                            "tar cf xz.mender version manifest header.tar.gz data/0000.tar.xz; "
                            "tar cf zst.mender version manifest header.tar.gz data/0000.tar.zst; "
                            "wc -c < big.txt > size; rm big.txt t.tar");
    size_t len;
    uint8_t *text = scratch_file(dir, "size", &len);
    uint64_t size = strtoull((const char *)text, NULL, 10);
    free(text);
    static const char *const names[] = {"gz.mender", "xz.mender", "zst.mender"};
    /* From the files first, to see the memory the reader takes. */
    long before = max_rss_kib();
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(n);
        snprintf(path, n, "%s/%s", dir, names[i]);
        int fd = open(path, O_RDONLY);
        ck_assert_int_ge(fd, 0);
        struct rec rec;
        rec_init(&rec);
        artsig_reader *r;
        ck_assert_int_eq(artsig_reader_new(&r, NULL, &recording, &rec), ARTSIG_OK);
        ck_assert_msg(artsig_reader_run_fd(r, fd) == ARTSIG_OK, "%s: %s", names[i],
                      artsig_last_error());
        artsig_reader_free(r);
        ck_assert_uint_eq(rec.bytes, size);
        rec_free(&rec);
        close(fd);
        free(path);
    }
    long growth = max_rss_kib() - before;
    ck_assert_msg(growth < 16 * 1024, "peak RSS grew by %ld KiB", growth);
    for (size_t i = 0; i < 3; i++) {
        uint8_t *data = scratch_file(dir, names[i], &len);
        for (int m = MODE_PULL; m <= MODE_PUSH; m++) {
            struct rec rec;
            rec_init(&rec);
            int rc = read_mem((enum mode)m, data, len, NULL, &rec, false);
            ck_assert_msg(rc == ARTSIG_OK, "%s in %s mode: %s", names[i], mode_names[m],
                          artsig_last_error());
            ck_assert_uint_eq(rec.bytes, size);
            rec_free(&rec);
        }
        free(data);
    }
    scratch_remove(dir);
}
END_TEST

static Suite *reader_suite(void)
{
    Suite *s = suite_create("reader");
    TCase *tc = tcase_create("vectors");
    tcase_add_test(tc, all_cases_in_all_modes);
    tcase_add_test(tc, callback_order_matches_meta);
    tcase_add_test(tc, bad_signature_tells_nothing);
    tcase_add_test(tc, hostile_vector_statuses);
    suite_add_tcase(s, tc);

    tc = tcase_create("derived");
    tcase_add_test(tc, trailing_bytes);
    tcase_add_test(tc, truncated_everywhere);
    tcase_add_test(tc, flipped_bytes_refused);
    tcase_add_test(tc, flipped_payload_refused);
    tcase_add_test(tc, derived_payloads);
    tcase_add_test(tc, duplicate_file_not_streamed);
    tcase_add_test(tc, derived_members);
    tcase_add_test(tc, derived_payload_tar);
    tcase_add_test(tc, derived_compressed_streams);
    tcase_add_test(tc, derived_augments);
    suite_add_tcase(s, tc);

    tc = tcase_create("api");
    tcase_add_test(tc, header_only);
    tcase_add_test(tc, cancel_from_each_callback);
    tcase_add_test(tc, push_after_error);
    tcase_add_test(tc, single_use);
    tcase_add_test(tc, bad_arguments_and_input_errors);
    tcase_add_test(tc, free_while_pushing);
    tcase_add_test(tc, push_from_a_callback_refused);
    tcase_add_test(tc, empty_keyring_is_no_keys);
    tcase_add_test(tc, memory_bounded);
    tcase_add_test(tc, decoder_memory_limits);
    tcase_add_test(tc, compressible_payload);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(reader_suite());
}
