#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <artsig.h>

#include "testutil.h"

#define ZERO_HEX "0000000000000000000000000000000000000000000000000000000000000000"
#define A_HEX "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void digest_of(uint8_t out[ARTSIG_DIGEST_LEN], const char *s)
{
    ck_assert_int_eq(artsig_sha256(out, s, strlen(s)), ARTSIG_OK);
}

static void assert_digest_hex(const uint8_t d[ARTSIG_DIGEST_LEN], const char *hex)
{
    char got[ARTSIG_DIGEST_HEX_LEN + 1];
    artsig_digest_to_hex(got, d);
    ck_assert_str_eq(got, hex);
}

/* ---- SHA-256 ---- */

START_TEST(sha256_known_answers)
{
    uint8_t d[ARTSIG_DIGEST_LEN];
    ck_assert_int_eq(artsig_sha256(d, NULL, 0), ARTSIG_OK);
    assert_digest_hex(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    digest_of(d, "abc");
    assert_digest_hex(d, A_HEX);
}
END_TEST

START_TEST(sha256_million_a_in_odd_chunks)
{
    artsig_sha256_ctx *h;
    ck_assert_int_eq(artsig_sha256_new(&h), ARTSIG_OK);
    static char chunk[9973];
    memset(chunk, 'a', sizeof chunk);
    size_t left = 1000000, step = 1;
    while (left > 0) {
        size_t n = step < left ? step : left;
        ck_assert_int_eq(artsig_sha256_update(h, chunk, n), ARTSIG_OK);
        left -= n;
        step = (step * 7 + 3) % sizeof chunk;
    }
    ck_assert_int_eq(artsig_sha256_update(h, NULL, 0), ARTSIG_OK);
    uint8_t d[ARTSIG_DIGEST_LEN];
    ck_assert_int_eq(artsig_sha256_final(d, h), ARTSIG_OK);
    assert_digest_hex(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    artsig_sha256_free(h);
}
END_TEST

START_TEST(sha256_final_resets)
{
    artsig_sha256_ctx *h;
    uint8_t d[ARTSIG_DIGEST_LEN];
    ck_assert_int_eq(artsig_sha256_new(&h), ARTSIG_OK);
    ck_assert_int_eq(artsig_sha256_update(h, "xyz", 3), ARTSIG_OK);
    ck_assert_int_eq(artsig_sha256_final(d, h), ARTSIG_OK);
    ck_assert_int_eq(artsig_sha256_update(h, "ab", 2), ARTSIG_OK);
    ck_assert_int_eq(artsig_sha256_update(h, "c", 1), ARTSIG_OK);
    ck_assert_int_eq(artsig_sha256_final(d, h), ARTSIG_OK);
    assert_digest_hex(d, A_HEX);
    /* Final with nothing fed in is the empty message. */
    ck_assert_int_eq(artsig_sha256_final(d, h), ARTSIG_OK);
    assert_digest_hex(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    artsig_sha256_free(h);
    artsig_sha256_free(NULL);
}
END_TEST

START_TEST(sha256_bad_arguments)
{
    artsig_sha256_ctx *h;
    uint8_t d[ARTSIG_DIGEST_LEN];
    ck_assert_int_eq(artsig_sha256_new(NULL), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_sha256_new(&h), ARTSIG_OK);
    ck_assert_int_eq(artsig_sha256_update(h, NULL, 1), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_sha256_update(NULL, "a", 1), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_sha256_final(NULL, h), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_sha256_final(d, NULL), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_sha256(d, NULL, 1), ARTSIG_EINVAL);
    artsig_sha256_free(h);
}
END_TEST

START_TEST(hex_round_trip)
{
    uint8_t d[ARTSIG_DIGEST_LEN], back[ARTSIG_DIGEST_LEN];
    for (int i = 0; i < ARTSIG_DIGEST_LEN; i++)
        d[i] = (uint8_t)(i * 37 + 11);
    char hex[ARTSIG_DIGEST_HEX_LEN + 1];
    artsig_digest_to_hex(hex, d);
    ck_assert_uint_eq(strlen(hex), ARTSIG_DIGEST_HEX_LEN);
    ck_assert_int_eq(artsig_digest_from_hex(back, hex, strlen(hex)), ARTSIG_OK);
    ck_assert_mem_eq(back, d, ARTSIG_DIGEST_LEN);
}
END_TEST

START_TEST(hex_refusals)
{
    uint8_t d[ARTSIG_DIGEST_LEN];
    char hex[ARTSIG_DIGEST_HEX_LEN + 2];
    strcpy(hex, A_HEX);
    ck_assert_int_eq(artsig_digest_from_hex(d, hex, 64), ARTSIG_OK);
    ck_assert_int_eq(artsig_digest_from_hex(d, hex, 63), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_digest_from_hex(d, hex, 0), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_digest_from_hex(d, NULL, 64), ARTSIG_EINVAL);
    strcat(hex, "0");
    ck_assert_int_eq(artsig_digest_from_hex(d, hex, 65), ARTSIG_EINVAL);

    const char *bad[] = {
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "Ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015aD",
        "ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a ",
        " a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a\n",
        "0x7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(d, 0x5a, sizeof d);
        ck_assert_int_eq(artsig_digest_from_hex(d, bad[i], strlen(bad[i])), ARTSIG_EINVAL);
        for (size_t j = 0; j < sizeof d; j++)
            ck_assert_uint_eq(d[j], 0x5a);
    }
    /* A NUL inside the stated length is not hex either. */
    char with_nul[65];
    memcpy(with_nul, A_HEX, 64);
    with_nul[10] = '\0';
    ck_assert_int_eq(artsig_digest_from_hex(d, with_nul, 64), ARTSIG_EINVAL);
}
END_TEST

START_TEST(digest_equality)
{
    uint8_t a[ARTSIG_DIGEST_LEN], b[ARTSIG_DIGEST_LEN];
    digest_of(a, "abc");
    digest_of(b, "abc");
    ck_assert_int_eq(artsig_digest_equal(a, b), 1);
    for (size_t i = 0; i < ARTSIG_DIGEST_LEN; i += 31) {
        b[i] ^= 0x80;
        ck_assert_int_eq(artsig_digest_equal(a, b), 0);
        b[i] ^= 0x80;
    }
    b[ARTSIG_DIGEST_LEN - 1] ^= 1;
    ck_assert_int_eq(artsig_digest_equal(a, b), 0);
}
END_TEST

/* ---- manifest helpers ---- */

static int parse_str(const char *text)
{
    artsig_manifest *m = (artsig_manifest *)1;
    int rc = artsig_manifest_parse(&m, text, strlen(text));
    if (rc == ARTSIG_OK)
        artsig_manifest_free(m);
    else
        ck_assert_ptr_null(m);
    return rc;
}

static char *run_tar(const char *artifact, const char *member, size_t *len)
{
    char *path = vec_path(artifact);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "tar -xOf '%s' '%s'", path, member);
    free(path);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "popen %s", cmd);
    char *buf = (char *)slurp_stream(p, len);
    ck_assert_msg(pclose(p) == 0, "%s failed", cmd);
    return buf;
}

/* m serializes to exactly `want`. */
static void assert_serializes_to(const artsig_manifest *m, const char *want, size_t want_len)
{
    char *out;
    size_t out_len;
    ck_assert_int_eq(artsig_manifest_serialize(&out, &out_len, m), ARTSIG_OK);
    ck_assert_uint_eq(out_len, want_len);
    ck_assert_uint_eq(strlen(out), out_len);
    ck_assert_mem_eq(out, want, want_len);
    artsig_free(out);
}

static void assert_round_trip(const char *artifact, const char *member, size_t expect_entries)
{
    size_t len;
    char *text = run_tar(artifact, member, &len);
    ck_assert_uint_gt(len, 0);
    artsig_manifest *m;
    ck_assert_msg(artsig_manifest_parse(&m, text, len) == ARTSIG_OK, "%s %s: %s", artifact,
                  member, artsig_last_error());
    ck_assert_uint_eq(artsig_manifest_count(m), expect_entries);
    assert_serializes_to(m, text, len);

    /* Every line's digest is found again by name. */
    for (size_t i = 0; i < expect_entries; i++) {
        const char *name;
        const uint8_t *d, *found;
        ck_assert_int_eq(artsig_manifest_entry(&name, &d, m, i), ARTSIG_OK);
        ck_assert_int_eq(artsig_manifest_lookup(&found, m, name), ARTSIG_OK);
        ck_assert_ptr_eq(found, d);
        char hex[ARTSIG_DIGEST_HEX_LEN + 1];
        artsig_digest_to_hex(hex, d);
        char line[512];
        snprintf(line, sizeof line, "%s  %s\n", hex, name);
        ck_assert_ptr_nonnull(strstr(text, line));
    }
    artsig_manifest_free(m);
    free(text);
}

/* ---- manifest ---- */

START_TEST(round_trip_vectors)
{
    assert_round_trip("artifacts/rootfs-gzip-rsa.mender", "manifest", 3);
    assert_round_trip("artifacts/module-multi-ecdsa.mender", "manifest", 5);
    assert_round_trip("artifacts/module-augment-rsa.mender", "manifest", 3);
    assert_round_trip("artifacts/module-augment-rsa.mender", "manifest-augment", 2);
}
END_TEST

START_TEST(unsorted_input_parses_sorted)
{
    const char *text = ZERO_HEX "  version\n" A_HEX "  data/0001/b\n" ZERO_HEX
                                "  header.tar\n" A_HEX "  data/0000/z\n";
    artsig_manifest *m;
    ck_assert_int_eq(artsig_manifest_parse(&m, text, strlen(text)), ARTSIG_OK);
    char *out;
    size_t len;
    ck_assert_int_eq(artsig_manifest_serialize(&out, &len, m), ARTSIG_OK);
    ck_assert_str_eq(out, A_HEX "  data/0000/z\n" A_HEX "  data/0001/b\n" ZERO_HEX
                          "  header.tar\n" ZERO_HEX "  version\n");
    artsig_free(out);
    artsig_manifest_free(m);
}
END_TEST

/* xorshift: a fixed, portable sequence so a failure reproduces. */
static uint32_t rng_state = 2463534242u;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

START_TEST(build_in_random_order)
{
    enum { N = 500 };
    char *names[N];
    for (int i = 0; i < N; i++) {
        char buf[64];
        switch (i) {
        case 0: snprintf(buf, sizeof buf, "version"); break;
        case 1: snprintf(buf, sizeof buf, "header.tar.zst"); break;
        case 2: snprintf(buf, sizeof buf, "header-augment.tar"); break;
        default: snprintf(buf, sizeof buf, "data/%04d/f-%d.bin", i % 7, i); break;
        }
        names[i] = strdup(buf);
    }
    for (int i = N - 1; i > 0; i--) {
        int j = (int)(rng() % (uint32_t)(i + 1));
        char *t = names[i];
        names[i] = names[j];
        names[j] = t;
    }
    artsig_manifest *m;
    ck_assert_int_eq(artsig_manifest_new(&m), ARTSIG_OK);
    for (int i = 0; i < N; i++) {
        uint8_t d[ARTSIG_DIGEST_LEN];
        digest_of(d, names[i]);
        ck_assert_int_eq(artsig_manifest_add(m, names[i], d), ARTSIG_OK);
    }
    ck_assert_uint_eq(artsig_manifest_count(m), N);

    char *out;
    size_t len;
    ck_assert_int_eq(artsig_manifest_serialize(&out, &len, m), ARTSIG_OK);
    ck_assert_uint_eq(strlen(out), len);
    /* Lines come out strictly ascending, each with the digest of its name. */
    const char *p = out, *prev = NULL;
    size_t prev_len = 0, lines = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        ck_assert_ptr_nonnull(nl);
        const char *name = p + ARTSIG_DIGEST_HEX_LEN + 2;
        size_t name_len = (size_t)(nl - name);
        char name_z[64];
        memcpy(name_z, name, name_len);
        name_z[name_len] = '\0';
        uint8_t d[ARTSIG_DIGEST_LEN];
        digest_of(d, name_z);
        char hex[ARTSIG_DIGEST_HEX_LEN + 1];
        artsig_digest_to_hex(hex, d);
        ck_assert_mem_eq(p, hex, ARTSIG_DIGEST_HEX_LEN);
        if (prev) {
            size_t n = prev_len < name_len ? prev_len : name_len;
            int c = memcmp(prev, name, n);
            ck_assert(c < 0 || (c == 0 && prev_len < name_len));
        }
        prev = name;
        prev_len = name_len;
        lines++;
        p = nl + 1;
    }
    ck_assert_uint_eq(lines, N);

    /* And parse back to the same bytes. */
    artsig_manifest *m2;
    ck_assert_int_eq(artsig_manifest_parse(&m2, out, len), ARTSIG_OK);
    assert_serializes_to(m2, out, len);

    artsig_free(out);
    artsig_manifest_free(m2);
    artsig_manifest_free(m);
    for (int i = 0; i < N; i++)
        free(names[i]);
}
END_TEST

START_TEST(add_refusals)
{
    artsig_manifest *m;
    uint8_t d[ARTSIG_DIGEST_LEN] = { 0 };
    ck_assert_int_eq(artsig_manifest_new(&m), ARTSIG_OK);
    ck_assert_int_eq(artsig_manifest_add(m, "version", d), ARTSIG_OK);
    ck_assert_int_eq(artsig_manifest_add(m, "version", d), ARTSIG_EINVAL);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "duplicate"));
    ck_assert_int_eq(artsig_manifest_add(m, "data/0000/..", d), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_manifest_add(m, "header.tar.bz2", d), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_manifest_add(m, "", d), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_manifest_add(m, NULL, d), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_manifest_add(m, "data/0000/x", NULL), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_manifest_add(NULL, "data/0000/x", d), ARTSIG_EINVAL);
    ck_assert_uint_eq(artsig_manifest_count(m), 1);
    ck_assert_uint_eq(artsig_manifest_count(NULL), 0);
    artsig_manifest_free(m);
    artsig_manifest_free(NULL);
}
END_TEST

START_TEST(serialize_empty_refused)
{
    artsig_manifest *m;
    char *out = (char *)1;
    size_t len = 99;
    ck_assert_int_eq(artsig_manifest_new(&m), ARTSIG_OK);
    ck_assert_int_eq(artsig_manifest_serialize(&out, &len, m), ARTSIG_ESTATE);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(artsig_manifest_serialize(NULL, &len, m), ARTSIG_EINVAL);
    artsig_manifest_free(m);
}
END_TEST

START_TEST(malformed_refused)
{
    const char *good = ZERO_HEX "  version\n";
    ck_assert_int_eq(parse_str(good), ARTSIG_OK);
    static const char *const bad[] = {
        "0000000000000000000000000000000000000000000000000000000000000ABC  version\n",
        ZERO_HEX " version\n",
        ZERO_HEX "   version\n",
        ZERO_HEX "\tversion\n",
        ZERO_HEX "  \tversion\n",
        ZERO_HEX "  version\r\n",
        ZERO_HEX "  version",
        ZERO_HEX "  version\n\n",
        ZERO_HEX "  version\n\n" ZERO_HEX "  header.tar\n",
        "\n" ZERO_HEX "  version\n",
        ZERO_HEX "  version\n" ZERO_HEX "  version\n",
        ZERO_HEX "  data/0000/x\n" ZERO_HEX "  version\n" A_HEX "  data/0000/x\n",
        ZERO_HEX "  data/000/x\n",
        ZERO_HEX "  data/00000/x\n",
        ZERO_HEX "  data/000a/x\n",
        ZERO_HEX "  data/0000/a/b\n",
        ZERO_HEX "  data/0000/..\n",
        ZERO_HEX "  data/0000/.\n",
        ZERO_HEX "  data/0000/\n",
        ZERO_HEX "  data/0000\n",
        ZERO_HEX "  data/0000.tar.gz\n",
        ZERO_HEX "  /etc/passwd\n",
        ZERO_HEX "  ../version\n",
        ZERO_HEX "  data/0000/a b\n",
        ZERO_HEX "  data/0000/a\xc3\xa9\n",
        ZERO_HEX "  header.tar.bz2\n",
        ZERO_HEX "  header.tar.\n",
        ZERO_HEX "  header-augment.tar.lz4\n",
        ZERO_HEX "  Version\n",
        ZERO_HEX "  version \n",
        ZERO_HEX "  \n",
        ZERO_HEX "\n",
        "000000000000000000000000000000000000000000000000000000000000000  version\n",
        "00000000000000000000000000000000000000000000000000000000000000000  version\n",
        "0000000000000000000000000000000000000000000000000000000000000000\n",
        "version\n",
        "  version\n",
        " " ZERO_HEX "  version\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(parse_str(bad[i]) == ARTSIG_EMANIFEST, "case %zu accepted: %s", i, bad[i]);
}
END_TEST

START_TEST(nul_byte_refused)
{
    char text[] = ZERO_HEX "  version\n" ZERO_HEX "  header.tar\n";
    size_t len = sizeof text - 1;
    artsig_manifest *m;
    const size_t where[] = { 0, 10, 64, 65, 66, 70, 72, len - 5 };
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        char copy[sizeof text];
        memcpy(copy, text, sizeof text);
        copy[where[i]] = '\0';
        ck_assert_msg(artsig_manifest_parse(&m, copy, len) == ARTSIG_EMANIFEST, "NUL at %zu",
                      where[i]);
    }
    ck_assert_int_eq(artsig_manifest_parse(&m, text, len), ARTSIG_OK);
    artsig_manifest_free(m);
}
END_TEST

START_TEST(name_length_limit)
{
    char text[512], file[300];
    memset(file, 'a', ARTSIG_NAME_MAX);
    file[ARTSIG_NAME_MAX] = '\0';
    snprintf(text, sizeof text, ZERO_HEX "  data/0000/%s\n", file);
    ck_assert_int_eq(parse_str(text), ARTSIG_OK);
    ck_assert_int_eq(artsig_payload_name_valid(file, ARTSIG_NAME_MAX), 1);

    strcat(file, "a");
    snprintf(text, sizeof text, ZERO_HEX "  data/0000/%s\n", file);
    ck_assert_int_eq(parse_str(text), ARTSIG_EMANIFEST);
    ck_assert_int_eq(artsig_payload_name_valid(file, ARTSIG_NAME_MAX + 1), 0);
}
END_TEST

START_TEST(payload_names)
{
    static const char *const ok[] = { "a", "x.bin", "A-Z_a-z,0.9", "...", ".hidden", "a..b" };
    static const char *const bad[] = { "", ".", "..", "a/b", "a b", "a\tb", "~x", "a*", "é" };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        ck_assert_msg(artsig_payload_name_valid(ok[i], strlen(ok[i])) == 1, "%s", ok[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(artsig_payload_name_valid(bad[i], strlen(bad[i])) == 0, "%s", bad[i]);
    /* Only `len` bytes count: a prefix of an invalid string may be valid. */
    ck_assert_int_eq(artsig_payload_name_valid("ab/c", 2), 1);
    ck_assert_int_eq(artsig_payload_name_valid("a\0b", 3), 0);
    ck_assert_int_eq(artsig_payload_name_valid(NULL, 1), 0);
}
END_TEST

START_TEST(all_fixed_names)
{
    static const char *const names[] = {
        "version",        "header.tar",          "header.tar.gz",
        "header.tar.xz",  "header.tar.zst",      "header-augment.tar",
        "header-augment.tar.gz", "header-augment.tar.xz", "header-augment.tar.zst",
        "data/9999/x",
    };
    char text[1024] = "";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        strcat(text, ZERO_HEX "  ");
        strcat(text, names[i]);
        strcat(text, "\n");
    }
    ck_assert_int_eq(parse_str(text), ARTSIG_OK);
}
END_TEST

START_TEST(empty_input)
{
    artsig_manifest *m;
    ck_assert_int_eq(artsig_manifest_parse(&m, "", 0), ARTSIG_EMANIFEST);
    ck_assert_int_eq(artsig_manifest_parse(&m, NULL, 0), ARTSIG_EMANIFEST);
    ck_assert_int_eq(artsig_manifest_parse(&m, NULL, 5), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_manifest_parse(NULL, "x", 1), ARTSIG_EINVAL);
}
END_TEST

/* `count` lines "<digest>  data/NNNN/fNNNNN", in descending order when asked
 * (the worst case for keeping entries sorted). */
static char *many_lines(size_t count, int descending, size_t *len)
{
    const size_t line_len = ARTSIG_DIGEST_HEX_LEN + 2 + 16 + 1;
    char *text = malloc(count * line_len + 1);
    ck_assert_ptr_nonnull(text);
    char *p = text;
    for (size_t i = 0; i < count; i++) {
        size_t k = descending ? count - 1 - i : i;
        int n = snprintf(p, line_len + 1, ZERO_HEX "  data/%04zu/f%05zu\n", k / 1000, k);
        ck_assert_int_eq(n, (int)line_len);
        p += n;
    }
    *len = (size_t)(p - text);
    return text;
}

START_TEST(entry_limit)
{
    size_t len;
    char *text = many_lines(ARTSIG_MANIFEST_MAX_ENTRIES + 1, 0, &len);
    ck_assert_uint_le(len, ARTSIG_MANIFEST_MAX_BYTES);
    artsig_manifest *m;
    ck_assert_int_eq(artsig_manifest_parse(&m, text, len), ARTSIG_ELIMIT);

    /* Exactly at the limit is fine, and adding one more is refused too. */
    size_t one_line = len / (ARTSIG_MANIFEST_MAX_ENTRIES + 1);
    ck_assert_int_eq(artsig_manifest_parse(&m, text, len - one_line), ARTSIG_OK);
    ck_assert_uint_eq(artsig_manifest_count(m), ARTSIG_MANIFEST_MAX_ENTRIES);
    uint8_t d[ARTSIG_DIGEST_LEN] = { 0 };
    ck_assert_int_eq(artsig_manifest_add(m, "version", d), ARTSIG_ELIMIT);
    artsig_manifest_free(m);
    free(text);
}
END_TEST

START_TEST(byte_limit)
{
    size_t len = (size_t)ARTSIG_MANIFEST_MAX_BYTES + 1;
    char *text = malloc(len);
    ck_assert_ptr_nonnull(text);
    memset(text, 'a', len);
    artsig_manifest *m;
    ck_assert_int_eq(artsig_manifest_parse(&m, text, len), ARTSIG_ELIMIT);
    free(text);

    /* Adds stop before the serialized form would outgrow the parser's limit. */
    ck_assert_int_eq(artsig_manifest_new(&m), ARTSIG_OK);
    uint8_t d[ARTSIG_DIGEST_LEN] = { 0 };
    char name[ARTSIG_NAME_MAX + 16];
    int rc = ARTSIG_OK;
    size_t added = 0;
    for (; rc == ARTSIG_OK; added++) {
        int n = snprintf(name, sizeof name, "data/%04zu/", added);
        memset(name + n, 'x', ARTSIG_NAME_MAX);
        name[n + ARTSIG_NAME_MAX] = '\0';
        rc = artsig_manifest_add(m, name, d);
    }
    ck_assert_int_eq(rc, ARTSIG_ELIMIT);
    char *out;
    ck_assert_int_eq(artsig_manifest_serialize(&out, &len, m), ARTSIG_OK);
    ck_assert_uint_le(len, ARTSIG_MANIFEST_MAX_BYTES);
    artsig_manifest *back;
    ck_assert_int_eq(artsig_manifest_parse(&back, out, len), ARTSIG_OK);
    artsig_manifest_free(back);
    artsig_free(out);
    artsig_manifest_free(m);
}
END_TEST

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(ten_thousand_entries_fast)
{
    for (int descending = 0; descending <= 1; descending++) {
        size_t len;
        char *text = many_lines(10000, descending, &len);
        artsig_manifest *m;
        double t0 = seconds();
        ck_assert_int_eq(artsig_manifest_parse(&m, text, len), ARTSIG_OK);
        double took = seconds() - t0;
        ck_assert_msg(took < 0.5, "parsing 10,000 entries took %.3f s", took);
        ck_assert_uint_eq(artsig_manifest_count(m), 10000);
        const uint8_t *d;
        ck_assert_int_eq(artsig_manifest_lookup(&d, m, "data/0009/f09999"), ARTSIG_OK);
        ck_assert_int_eq(artsig_manifest_lookup(&d, m, "data/0000/f00000"), ARTSIG_OK);
        if (descending) {
            char *sorted = many_lines(10000, 0, &len);
            assert_serializes_to(m, sorted, len);
            free(sorted);
        }
        artsig_manifest_free(m);
        free(text);
    }
}
END_TEST

START_TEST(lookup_and_entry)
{
    const char *text = A_HEX "  data/0000/x\n" ZERO_HEX "  version\n";
    artsig_manifest *m;
    ck_assert_int_eq(artsig_manifest_parse(&m, text, strlen(text)), ARTSIG_OK);
    const uint8_t *d;
    ck_assert_int_eq(artsig_manifest_lookup(&d, m, "data/0000/x"), ARTSIG_OK);
    assert_digest_hex(d, A_HEX);
    ck_assert_int_eq(artsig_manifest_lookup(&d, m, "version"), ARTSIG_OK);
    assert_digest_hex(d, ZERO_HEX);
    ck_assert_int_eq(artsig_manifest_lookup(&d, m, "data/0000/y"), ARTSIG_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "data/0000/y"));
    ck_assert_int_eq(artsig_manifest_lookup(&d, m, "data/0000/"), ARTSIG_ENOTFOUND);
    ck_assert_int_eq(artsig_manifest_lookup(&d, m, ""), ARTSIG_ENOTFOUND);
    ck_assert_int_eq(artsig_manifest_lookup(&d, m, NULL), ARTSIG_EINVAL);

    const char *name;
    ck_assert_int_eq(artsig_manifest_entry(&name, &d, m, 0), ARTSIG_OK);
    ck_assert_str_eq(name, "data/0000/x");
    ck_assert_int_eq(artsig_manifest_entry(&name, &d, m, 1), ARTSIG_OK);
    ck_assert_str_eq(name, "version");
    ck_assert_int_eq(artsig_manifest_entry(&name, &d, m, 2), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_manifest_entry(&name, &d, m, (size_t)-1), ARTSIG_EINVAL);
    artsig_manifest_free(m);
}
END_TEST

START_TEST(error_names_line)
{
    const char *text = ZERO_HEX "  data/0000/x\n" ZERO_HEX "  version\n" ZERO_HEX
                                "  data/0000/x\n";
    ck_assert_int_eq(parse_str(text), ARTSIG_EMANIFEST);
    ck_assert_msg(strstr(artsig_last_error(), "line 3") != NULL, "%s", artsig_last_error());
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "duplicate"));
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "data/0000/x"));

    text = ZERO_HEX "  data/0000/x\n" ZERO_HEX "  version\n" ZERO_HEX " header.tar\n";
    ck_assert_int_eq(parse_str(text), ARTSIG_EMANIFEST);
    ck_assert_msg(strstr(artsig_last_error(), "line 3") != NULL, "%s", artsig_last_error());

    /* Hostile names are shown shortened and without control characters. */
    char hostile[600];
    snprintf(hostile, sizeof hostile, ZERO_HEX "  data/0000/\x1b[31m%0400d\n", 0);
    ck_assert_int_eq(parse_str(hostile), ARTSIG_EMANIFEST);
    ck_assert_ptr_null(strchr(artsig_last_error(), '\x1b'));
    ck_assert_uint_lt(strlen(artsig_last_error()), 200);
}
END_TEST

static Suite *manifest_suite(void)
{
    Suite *s = suite_create("manifest");
    TCase *tc = tcase_create("sha256");
    tcase_add_test(tc, sha256_known_answers);
    tcase_add_test(tc, sha256_million_a_in_odd_chunks);
    tcase_add_test(tc, sha256_final_resets);
    tcase_add_test(tc, sha256_bad_arguments);
    tcase_add_test(tc, hex_round_trip);
    tcase_add_test(tc, hex_refusals);
    tcase_add_test(tc, digest_equality);
    suite_add_tcase(s, tc);

    tc = tcase_create("manifest");
    tcase_add_test(tc, round_trip_vectors);
    tcase_add_test(tc, unsorted_input_parses_sorted);
    tcase_add_test(tc, build_in_random_order);
    tcase_add_test(tc, add_refusals);
    tcase_add_test(tc, serialize_empty_refused);
    tcase_add_test(tc, malformed_refused);
    tcase_add_test(tc, nul_byte_refused);
    tcase_add_test(tc, name_length_limit);
    tcase_add_test(tc, payload_names);
    tcase_add_test(tc, all_fixed_names);
    tcase_add_test(tc, empty_input);
    tcase_add_test(tc, entry_limit);
    tcase_add_test(tc, byte_limit);
    tcase_add_test(tc, ten_thousand_entries_fast);
    tcase_add_test(tc, lookup_and_entry);
    tcase_add_test(tc, error_names_line);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(manifest_suite());
}
