/* Key loading, refusal codes, identity, generation and export. Keys that
 * are not in the vectors (encrypted, too small, DSA, DER forms) are made at
 * test time with the openssl command-line tool. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <artsig.h>

#include "testutil.h"

/* ---- helpers -------------------------------------------------------------- */

static void fingerprint_hex(char out[65], const artsig_key *key)
{
    ck_assert_int_eq(artsig_key_fingerprint_hex(out, key), ARTSIG_OK);
}

static int load_mem_status(const void *data, size_t len)
{
    artsig_key *key = NULL;
    int rc = artsig_key_load_mem(&key, data, len, NULL, NULL);
    if (rc != ARTSIG_OK)
        ck_assert_ptr_null(key);
    artsig_key_free(key);
    return rc;
}

static int load_file_status(const char *path)
{
    artsig_key *key = NULL;
    int rc = artsig_key_load_file(&key, path, NULL, NULL);
    if (rc != ARTSIG_OK)
        ck_assert_ptr_null(key);
    artsig_key_free(key);
    return rc;
}

static int pass_cb(char *buf, size_t size, void *userdata)
{
    const char *pass = userdata;
    size_t n = strlen(pass);
    if (n > size)
        return -1;
    memcpy(buf, pass, n);
    return (int)n;
}

static int refuse_cb(char *buf, size_t size, void *userdata)
{
    (void)buf;
    (void)size;
    (*(int *)userdata)++;
    return -1;
}

/* ---- the vector keys ---------------------------------------------------------- */

struct vec_key {
    const char *file;
    artsig_key_type type; /* 0: refused as unsupported */
    unsigned bits;
    int is_private;
    int is_weak;
    const char *group; /* files of one key pair share a group */
};

static const struct vec_key vec_keys[] = {
    {"rsa3072.pkcs1.key", ARTSIG_KEY_RSA, 3072, 1, 0, "rsa3072"},
    {"rsa3072.pkcs8.key", ARTSIG_KEY_RSA, 3072, 1, 0, "rsa3072"},
    {"rsa3072.pub", ARTSIG_KEY_RSA, 3072, 0, 0, "rsa3072"},
    {"rsa3072.pkcs1.pub", ARTSIG_KEY_RSA, 3072, 0, 0, "rsa3072"},
    {"rsa2048.pkcs1.key", ARTSIG_KEY_RSA, 2048, 1, 1, "rsa2048"},
    {"rsa2048.pkcs8.key", ARTSIG_KEY_RSA, 2048, 1, 1, "rsa2048"},
    {"rsa2048.pub", ARTSIG_KEY_RSA, 2048, 0, 1, "rsa2048"},
    {"ecp256.sec1.key", ARTSIG_KEY_ECDSA_P256, 256, 1, 0, "ecp256"},
    {"ecp256.params.key", ARTSIG_KEY_ECDSA_P256, 256, 1, 0, "ecp256"},
    {"ecp256.pkcs8.key", ARTSIG_KEY_ECDSA_P256, 256, 1, 0, "ecp256"},
    {"ecp256.pub", ARTSIG_KEY_ECDSA_P256, 256, 0, 0, "ecp256"},
    {"ecp256.pub.der", ARTSIG_KEY_ECDSA_P256, 256, 0, 0, "ecp256"},
    {"ecp256b.sec1.key", ARTSIG_KEY_ECDSA_P256, 256, 1, 0, "ecp256b"},
    {"ecp256b.pub", ARTSIG_KEY_ECDSA_P256, 256, 0, 0, "ecp256b"},
    {"ed25519.key", ARTSIG_KEY_ED25519, 256, 1, 0, "ed25519"},
    {"ed25519.pub", ARTSIG_KEY_ED25519, 256, 0, 0, "ed25519"},
    {"ecp384.sec1.key", 0, 0, 0, 0, "ecp384"},
    {"ecp384.pub", 0, 0, 0, 0, "ecp384"},
};
#define N_VEC_KEYS (sizeof vec_keys / sizeof vec_keys[0])

static const struct vec_key *find_vec_key(const char *file)
{
    for (size_t i = 0; i < N_VEC_KEYS; i++)
        if (strcmp(vec_keys[i].file, file) == 0)
            return &vec_keys[i];
    return NULL;
}

START_TEST(every_vector_key_is_known)
{
    /* A key added to the vectors must be added to the table above. */
    char *dir = vec_path("keys");
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t seen = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        ck_assert_msg(find_vec_key(e->d_name) != NULL, "keys/%s not in the table", e->d_name);
        seen++;
    }
    closedir(d);
    free(dir);
    ck_assert_uint_eq(seen, N_VEC_KEYS);
}
END_TEST

START_TEST(vector_key_loads_as_described)
{
    const struct vec_key *v = &vec_keys[_i];
    char *path = vec_pathf("keys/%s", v->file);
    artsig_key *key = NULL;
    int rc = artsig_key_load_file(&key, path, NULL, NULL);
    if (v->type == 0) {
        ck_assert_msg(rc == ARTSIG_EKEYUNSUPPORTED, "%s: %d %s", v->file, rc,
                      artsig_last_error());
        ck_assert_ptr_null(key);
        ck_assert_msg(strstr(artsig_last_error(), "secp384r1") != NULL, "%s: detail %s",
                      v->file, artsig_last_error());
    } else {
        ck_assert_msg(rc == ARTSIG_OK, "%s: %s", v->file, artsig_last_error());
        ck_assert_int_eq(artsig_key_get_type(key), v->type);
        ck_assert_uint_eq(artsig_key_bits(key), v->bits);
        ck_assert_int_eq(artsig_key_is_private(key), v->is_private);
        ck_assert_int_eq(artsig_key_is_weak(key), v->is_weak);
    }
    artsig_key_free(key);
    free(path);
}
END_TEST

START_TEST(halves_of_a_pair_share_a_fingerprint)
{
    char fp[N_VEC_KEYS][65];
    for (size_t i = 0; i < N_VEC_KEYS; i++) {
        fp[i][0] = 0;
        if (vec_keys[i].type == 0)
            continue;
        artsig_key *key = load_vec_key(vec_keys[i].file);
        fingerprint_hex(fp[i], key);
        ck_assert_uint_eq(strlen(fp[i]), 64);
        artsig_key_free(key);
    }
    for (size_t i = 0; i < N_VEC_KEYS; i++)
        for (size_t j = 0; j < N_VEC_KEYS; j++) {
            if (!fp[i][0] || !fp[j][0])
                continue;
            int same_pair = strcmp(vec_keys[i].group, vec_keys[j].group) == 0;
            ck_assert_msg((strcmp(fp[i], fp[j]) == 0) == same_pair, "%s vs %s",
                          vec_keys[i].file, vec_keys[j].file);
        }
}
END_TEST

START_TEST(fingerprint_is_sha256_of_spki)
{
    /* Independent computation: openssl writes the SPKI, sha256sum hashes it. */
    static const char *const files[] = {"rsa3072.pkcs1.key", "ecp256.params.key", "ed25519.pub"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *path = vec_pathf("keys/%s", files[i]);
        const char *pubin = strstr(files[i], ".pub") ? "-pubin" : "";
        ck_assert_int_eq(sh("openssl pkey %s -in '%s' -pubout -outform DER | sha256sum > fp",
                            pubin, path),
                         0);
        size_t len;
        uint8_t *want = slurp(tmp("fp"), &len);
        ck_assert_uint_ge(len, 64);
        artsig_key *key = load_vec_key(files[i]);
        char hex[65];
        fingerprint_hex(hex, key);
        ck_assert_int_eq(memcmp(hex, want, 64), 0);
        uint8_t raw[32];
        ck_assert_int_eq(artsig_key_fingerprint(raw, key), ARTSIG_OK);
        for (size_t b = 0; b < 32; b++) {
            char two[3];
            snprintf(two, sizeof two, "%02x", raw[b]);
            ck_assert_int_eq(memcmp(two, hex + 2 * b, 2), 0);
        }
        artsig_key_free(key);
        free(want);
        free(path);
    }
}
END_TEST

START_TEST(load_from_memory_matches_file)
{
    static const char *const files[] = {"rsa3072.pkcs1.pub", "ecp256.pub.der",
                                        "ecp256.params.key", "ed25519.key"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *path = vec_pathf("keys/%s", files[i]);
        size_t len;
        uint8_t *data = slurp(path, &len);
        artsig_key *from_mem = NULL;
        ck_assert_int_eq(artsig_key_load_mem(&from_mem, data, len, NULL, NULL), ARTSIG_OK);
        artsig_key *from_file = load_vec_key(files[i]);
        char a[65], b[65];
        fingerprint_hex(a, from_mem);
        fingerprint_hex(b, from_file);
        ck_assert_str_eq(a, b);
        ck_assert_int_eq(artsig_key_is_private(from_mem), artsig_key_is_private(from_file));
        artsig_key_free(from_mem);
        artsig_key_free(from_file);
        free(data);
        free(path);
    }
}
END_TEST

START_TEST(der_forms_load)
{
    /* DER for every structure the PEM vectors have, made by openssl. */
    static const struct {
        const char *tool, *args;
        const char *same_as;
        int is_private;
    } forms[] = {
        {"pkey", "", "rsa3072.pkcs8.key", 1},
        {"rsa", "-traditional", "rsa3072.pkcs1.key", 1},
        {"rsa", "-RSAPublicKey_in -RSAPublicKey_out", "rsa3072.pkcs1.pub", 0},
        {"pkey", "-pubin", "rsa3072.pub", 0},
        {"ec", "", "ecp256.sec1.key", 1},
        {"pkey", "", "ecp256.pkcs8.key", 1},
        {"pkey", "", "ed25519.key", 1},
        {"pkey", "-pubin", "ed25519.pub", 0},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char *path = vec_pathf("keys/%s", forms[i].same_as);
        ck_assert_int_eq(sh("openssl %s %s -in '%s' -outform DER -out k.der 2>/dev/null",
                            forms[i].tool, forms[i].args, path),
                         0);
        artsig_key *der = NULL;
        int rc = artsig_key_load_file(&der, tmp("k.der"), NULL, NULL);
        ck_assert_msg(rc == ARTSIG_OK, "%s DER: %s", forms[i].same_as, artsig_last_error());
        artsig_key *pem = load_vec_key(forms[i].same_as);
        char a[65], b[65];
        fingerprint_hex(a, der);
        fingerprint_hex(b, pem);
        ck_assert_str_eq(a, b);
        ck_assert_int_eq(artsig_key_is_private(der), forms[i].is_private);
        artsig_key_free(der);
        artsig_key_free(pem);
        free(path);
    }
}
END_TEST

START_TEST(pem_with_crlf_and_surrounding_text)
{
    /* Files edited on Windows, or with a note above the armour. */
    char *path = vec_path("keys/ecp256.params.key");
    ck_assert_int_eq(sh("{ echo 'test key, do not use'; sed 's/$/\r/' '%s'; echo trailer; } "
                        "> k.pem",
                        path),
                     0);
    artsig_key *key = NULL;
    ck_assert_msg(artsig_key_load_file(&key, tmp("k.pem"), NULL, NULL) == ARTSIG_OK, "%s",
                  artsig_last_error());
    artsig_key *plain = load_vec_key("ecp256.sec1.key");
    char a[65], b[65];
    fingerprint_hex(a, key);
    fingerprint_hex(b, plain);
    ck_assert_str_eq(a, b);
    artsig_key_free(key);
    artsig_key_free(plain);
    free(path);
}
END_TEST

/* ---- refusals, each with its own code ----------------------------------------- */

/* A vector file in memory, for the caller to damage. */
static uint8_t *vec_copy(const char *rel, size_t *len)
{
    char *path = vec_path(rel);
    uint8_t *data = slurp(path, len);
    free(path);
    return data;
}

START_TEST(corrupt_pem_body)
{
    static const char *const files[] = {"keys/ecp256.sec1.key", "keys/rsa3072.pkcs8.key",
                                        "keys/rsa3072.pub", "keys/ed25519.key"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        uint8_t *data = vec_copy(files[i], &len);
        char *body = strchr((char *)data, '\n') + 1;
        char *end = strstr(body, "-----END");
        ck_assert_ptr_nonnull(end);

        /* A character that is not base64, in the middle of the body. */
        char *mid = body + (end - body) / 2;
        if (*mid == '\n')
            mid++;
        char saved = *mid;
        *mid = '!';
        ck_assert_msg(load_mem_status(data, len) == ARTSIG_EKEYPEM, "%s: bad char: %s",
                      files[i], artsig_last_error());
        *mid = saved;

        /* The SEQUENCE tag destroyed: 'M' (0x30...) becomes 'A' (0x00...). */
        ck_assert_int_eq(body[0], 'M');
        body[0] = 'A';
        ck_assert_msg(load_mem_status(data, len) == ARTSIG_EKEYPEM, "%s: bad tag: %s", files[i],
                      artsig_last_error());
        body[0] = 'M';

        /* Body cut to its first line (valid base64, truncated DER). */
        char *second = strchr(body, '\n') + 1;
        if (second < end) {
            size_t tail = len - (size_t)(end - (char *)data);
            memmove(second, end, tail);
            size_t cut_len = (size_t)(second - (char *)data) + tail;
            ck_assert_msg(load_mem_status(data, cut_len) == ARTSIG_EKEYPEM, "%s: cut: %s",
                          files[i], artsig_last_error());
        }
        free(data);
    }
}
END_TEST

START_TEST(pem_without_end_line)
{
    size_t len;
    uint8_t *data = vec_copy("keys/ecp256.pub", &len);
    char *end = strstr((char *)data, "-----END");
    ck_assert_int_eq(load_mem_status(data, (size_t)(end - (char *)data)), ARTSIG_EKEYPEM);
    free(data);
}
END_TEST

START_TEST(truncated_der)
{
    size_t len;
    uint8_t *data = vec_copy("keys/ecp256.pub.der", &len);
    size_t cuts[] = {len - 1, len / 2, 4};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_file(tmp("cut.der"), data, cuts[i]);
        ck_assert_msg(load_file_status(tmp("cut.der")) == ARTSIG_EKEYDER, "cut at %zu: %s",
                      cuts[i], artsig_last_error());
    }
    /* The inner SEQUENCE claims more bytes than the outer one holds. */
    data[3] ^= 0x40;
    ck_assert_int_eq(load_mem_status(data, len), ARTSIG_EKEYDER);
    free(data);
}
END_TEST

START_TEST(empty_input)
{
    write_file(tmp("empty"), "", 0);
    ck_assert_int_eq(load_file_status(tmp("empty")), ARTSIG_EKEYEMPTY);
    ck_assert_int_eq(load_mem_status("", 0), ARTSIG_EKEYEMPTY);
    ck_assert_int_eq(load_mem_status(NULL, 0), ARTSIG_EKEYEMPTY);
    ck_assert_int_eq(load_mem_status(" \n\r\n\t", 5), ARTSIG_EKEYEMPTY);
}
END_TEST

START_TEST(garbage_input)
{
    static const char text[] = "this is not a key, just some text\n";
    write_file(tmp("garbage"), text, sizeof text - 1);
    ck_assert_int_eq(load_file_status(tmp("garbage")), ARTSIG_EKEYFORMAT);
    static const uint8_t binary[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0};
    ck_assert_int_eq(load_mem_status(binary, sizeof binary), ARTSIG_EKEYFORMAT);
    /* Starts like DER, but is text. */
    static const char zero[] = "0123456789\n";
    ck_assert_int_eq(load_mem_status(zero, sizeof zero - 1), ARTSIG_EKEYFORMAT);
    /* PEM armour around something that is not a key. */
    static const char cert[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    ck_assert_int_eq(load_mem_status(cert, sizeof cert - 1), ARTSIG_EKEYFORMAT);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "CERTIFICATE"));
}
END_TEST

START_TEST(ec_parameters_alone)
{
    size_t len;
    uint8_t *data = vec_copy("keys/ecp256.params.key", &len);
    char *key = strstr((char *)data, "-----BEGIN EC PRIVATE KEY");
    ck_assert_ptr_nonnull(key);
    ck_assert_int_eq(load_mem_status(data, (size_t)(key - (char *)data)), ARTSIG_EKEYFORMAT);
    free(data);
}
END_TEST

START_TEST(oversized_input)
{
    size_t n = ARTSIG_KEY_FILE_MAX + 1;
    char *big = malloc(n);
    ck_assert_ptr_nonnull(big);
    memset(big, '\n', n);
    write_file(tmp("big"), big, n);
    ck_assert_int_eq(load_file_status(tmp("big")), ARTSIG_ELIMIT);
    ck_assert_int_eq(load_mem_status(big, n), ARTSIG_ELIMIT);
    free(big);
}
END_TEST

START_TEST(missing_file)
{
    ck_assert_int_eq(load_file_status(tmp("no-such-key.pem")), ARTSIG_ENOENT);
}
END_TEST

START_TEST(rsa_1024_refused)
{
    ck_assert_int_eq(sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 "
                        "-out k.pem 2>/dev/null && openssl pkey -in k.pem -pubout -out p.pem"),
                     0);
    ck_assert_int_eq(load_file_status(tmp("k.pem")), ARTSIG_EKEYUNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "1024"));
    ck_assert_int_eq(load_file_status(tmp("p.pem")), ARTSIG_EKEYUNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "1024"));
}
END_TEST

START_TEST(other_algorithms_refused)
{
    static const struct {
        const char *genpkey_args;
        const char *name;
    } algs[] = {
        {"-paramfile dsa.params", "DSA"},
        {"-algorithm X25519", "X25519"},
        {"-algorithm ED448", "ED448"},
        {"-algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048", "RSA-PSS"},
    };
    ck_assert_int_eq(sh("openssl genpkey -genparam -algorithm DSA "
                        "-pkeyopt dsa_paramgen_bits:2048 -out dsa.params 2>/dev/null"),
                     0);
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        ck_assert_int_eq(sh("openssl genpkey %s -out k.pem 2>/dev/null && "
                            "openssl pkey -in k.pem -pubout -out p.pem",
                            algs[i].genpkey_args),
                         0);
        ck_assert_msg(load_file_status(tmp("k.pem")) == ARTSIG_EKEYUNSUPPORTED, "%s: %s",
                      algs[i].name, artsig_last_error());
        ck_assert_ptr_nonnull(strstr(artsig_last_error(), algs[i].name));
        ck_assert_msg(load_file_status(tmp("p.pem")) == ARTSIG_EKEYUNSUPPORTED, "%s pub: %s",
                      algs[i].name, artsig_last_error());
    }
    /* The traditional "DSA PRIVATE KEY" armour too. */
    ck_assert_int_eq(sh("openssl genpkey -paramfile dsa.params 2>/dev/null | "
                        "openssl dsa -out t.pem 2>/dev/null && grep -q 'DSA PRIVATE' t.pem"),
                     0);
    ck_assert_int_eq(load_file_status(tmp("t.pem")), ARTSIG_EKEYUNSUPPORTED);
}
END_TEST

/* With e = 1 anyone can sign (the padded digest is its own signature); an
 * even e has no private key. Both refused wherever a key is loaded, the
 * keyring included; e = 3 is an RSA key. */
START_TEST(weak_rsa_exponent_refused)
{
    static const struct {
        const char *e;
        int status;
    } cases[] = {{"1", ARTSIG_EKEYUNSUPPORTED},
                 {"65536", ARTSIG_EKEYUNSUPPORTED},
                 {"2", ARTSIG_EKEYUNSUPPORTED},
                 {"3", ARTSIG_OK}};
    const char *src = getenv("ARTSIG_SOURCE");
    ck_assert_ptr_nonnull(src);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(sh("sh '%s/tests/crafted/rsa-exponent.sh' \"$V/rsa3072.pub\" %s p.pem",
                            src, cases[i].e),
                         0);
        ck_assert_msg(load_file_status(tmp("p.pem")) == cases[i].status, "e=%s: %s",
                      cases[i].e, artsig_last_error());
        artsig_keyring *ring = NULL;
        ck_assert_int_eq(artsig_keyring_new(&ring), ARTSIG_OK);
        ck_assert_int_eq(artsig_keyring_add_file(ring, tmp("p.pem")), cases[i].status);
        ck_assert_uint_eq(artsig_keyring_count(ring), cases[i].status == ARTSIG_OK);
        artsig_keyring_free(ring);
        if (cases[i].status != ARTSIG_OK)
            ck_assert_ptr_nonnull(strstr(artsig_last_error(), "RSA public exponent is"));
    }
}
END_TEST

/* ---- passphrases ------------------------------------------------------------------ */

static void check_encrypted(const char *file, const char *same_as)
{
    artsig_key *key = NULL;
    ck_assert_msg(artsig_key_load_file(&key, file, pass_cb, "correct horse") == ARTSIG_OK,
                  "%s: %s", file, artsig_last_error());
    artsig_key *plain = load_vec_key(same_as);
    char a[65], b[65];
    fingerprint_hex(a, key);
    fingerprint_hex(b, plain);
    ck_assert_str_eq(a, b);
    ck_assert_int_eq(artsig_key_is_private(key), 1);
    artsig_key_free(key);
    artsig_key_free(plain);

    key = NULL;
    ck_assert_int_eq(artsig_key_load_file(&key, file, pass_cb, "battery staple"),
                     ARTSIG_EPASSPHRASE);
    ck_assert_ptr_null(key);
    /* No callback: refused, and OpenSSL must not prompt (stdin is not read). */
    ck_assert_int_eq(artsig_key_load_file(&key, file, NULL, NULL), ARTSIG_EPASSPHRASE);
    int asked = 0;
    ck_assert_int_eq(artsig_key_load_file(&key, file, refuse_cb, &asked), ARTSIG_EPASSPHRASE);
    ck_assert_int_ge(asked, 1);
    ck_assert_ptr_null(key);
}

START_TEST(encrypted_pkcs8)
{
    static const char *const plain[] = {"rsa3072.pkcs8.key", "ecp256.pkcs8.key", "ed25519.key"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        char *path = vec_pathf("keys/%s", plain[i]);
        ck_assert_int_eq(sh("openssl pkcs8 -topk8 -v2 aes-256-cbc -in '%s' "
                            "-passout 'pass:correct horse' -out enc.pem && "
                            "openssl pkcs8 -topk8 -v2 aes-256-cbc -in '%s' -outform DER "
                            "-passout 'pass:correct horse' -out enc.der",
                            path, path),
                         0);
        check_encrypted(tmp("enc.pem"), plain[i]);
        check_encrypted(tmp("enc.der"), plain[i]);
        free(path);
    }
}
END_TEST

/* Keys found by fuzzing that ask for hours of key derivation: refused with
 * ELIMIT at once, whatever the passphrase. */
START_TEST(hostile_key_derivation_cost)
{
    static const char *const hostile[] = {"timeout-pbkdf2-iterations.der",
                                          "timeout-scrypt-cost.key",
                                          "timeout-pkcs12-iterations.key"};
    const char *src = getenv("ARTSIG_SOURCE");
    ck_assert_ptr_nonnull(src);
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/fuzz/corpus/key/%s", src, hostile[i]);
        artsig_key *key = NULL;
        int rc = artsig_key_load_file(&key, path, pass_cb, "correct horse");
        ck_assert_msg(rc == ARTSIG_ELIMIT, "%s: %d %s", hostile[i], rc, artsig_last_error());
        ck_assert_ptr_null(key);
    }
}
END_TEST

START_TEST(encrypted_traditional_pem)
{
    char *rsa = vec_path("keys/rsa3072.pkcs1.key");
    char *ec = vec_path("keys/ecp256.sec1.key");
    ck_assert_int_eq(sh("openssl rsa -traditional -aes256 -in '%s' -passout 'pass:correct horse' "
                        "-out rsa.pem 2>/dev/null && grep -q Proc-Type rsa.pem && "
                        "openssl ec -aes256 -in '%s' -passout 'pass:correct horse' "
                        "-out ec.pem 2>/dev/null && grep -q Proc-Type ec.pem",
                        rsa, ec),
                     0);
    check_encrypted(tmp("rsa.pem"), "rsa3072.pkcs1.key");
    check_encrypted(tmp("ec.pem"), "ecp256.sec1.key");
    free(rsa);
    free(ec);
}
END_TEST

START_TEST(passphrase_ignored_when_not_encrypted)
{
    char *path = vec_path("keys/ecp256.sec1.key");
    artsig_key *key = NULL;
    int asked = 0;
    ck_assert_int_eq(artsig_key_load_file(&key, path, refuse_cb, &asked), ARTSIG_OK);
    ck_assert_int_eq(asked, 0);
    artsig_key_free(key);
    free(path);
}
END_TEST

/* ---- generation, export, lifetime ---------------------------------------------- */

static artsig_key *reload(const char *pem, size_t len)
{
    ck_assert_uint_eq(strlen(pem), len);
    artsig_key *key = NULL;
    int rc = artsig_key_load_mem(&key, pem, len, NULL, NULL);
    ck_assert_msg(rc == ARTSIG_OK, "%s", artsig_last_error());
    return key;
}

START_TEST(generate_export_reload)
{
    static const artsig_key_type types[] = {ARTSIG_KEY_RSA, ARTSIG_KEY_ECDSA_P256,
                                            ARTSIG_KEY_ED25519};
    static const unsigned bits[] = {3072, 256, 256};
    artsig_key_type type = types[_i];
    artsig_key *key = NULL;
    ck_assert_int_eq(artsig_key_generate(&key, type), ARTSIG_OK);
    ck_assert_int_eq(artsig_key_get_type(key), type);
    ck_assert_uint_eq(artsig_key_bits(key), bits[_i]);
    ck_assert_int_eq(artsig_key_is_private(key), 1);
    ck_assert_int_eq(artsig_key_is_weak(key), 0);
    char fp[65];
    fingerprint_hex(fp, key);

    char *priv, *pub;
    size_t priv_len, pub_len;
    ck_assert_int_eq(artsig_key_export(&priv, &priv_len, key, ARTSIG_EXPORT_PRIVATE_PKCS8_PEM),
                     ARTSIG_OK);
    ck_assert_int_eq(strncmp(priv, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
    ck_assert_int_eq(artsig_key_export(&pub, &pub_len, key, ARTSIG_EXPORT_PUBLIC_SPKI_PEM),
                     ARTSIG_OK);
    ck_assert_int_eq(strncmp(pub, "-----BEGIN PUBLIC KEY-----\n", 27), 0);

    artsig_key *priv2 = reload(priv, priv_len);
    artsig_key *pub2 = reload(pub, pub_len);
    char fp2[65], fp3[65];
    fingerprint_hex(fp2, priv2);
    fingerprint_hex(fp3, pub2);
    ck_assert_str_eq(fp, fp2);
    ck_assert_str_eq(fp, fp3);
    ck_assert_int_eq(artsig_key_is_private(priv2), 1);
    ck_assert_int_eq(artsig_key_is_private(pub2), 0);
    ck_assert_int_eq(artsig_key_get_type(pub2), type);

    /* openssl reads the exports as what they claim to be. */
    write_file(tmp("priv.pem"), priv, priv_len);
    write_file(tmp("pub.pem"), pub, pub_len);
    ck_assert_int_eq(sh("openssl pkey -in priv.pem -pubout -out derived.pem && "
                        "cmp -s derived.pem pub.pem"),
                     0);

    char *none = NULL;
    size_t none_len = 0;
    ck_assert_int_eq(artsig_key_export(&none, &none_len, pub2, ARTSIG_EXPORT_PRIVATE_PKCS8_PEM),
                     ARTSIG_EKEYROLE);
    ck_assert_ptr_null(none);

    artsig_key_free_pem(priv, priv_len);
    artsig_free(pub);
    artsig_key_free(priv2);
    artsig_key_free(pub2);
    artsig_key_free(key);
}
END_TEST

START_TEST(generate_refuses_unknown_type)
{
    artsig_key *key = NULL;
    ck_assert_int_eq(artsig_key_generate(&key, (artsig_key_type)42), ARTSIG_EINVAL);
    ck_assert_ptr_null(key);
}
END_TEST

START_TEST(reference_counting)
{
    artsig_key *key = load_vec_key("ed25519.key");
    ck_assert_ptr_eq(artsig_key_ref(key), key);
    artsig_key_free(key);
    /* Still alive through the second reference. */
    ck_assert_int_eq(artsig_key_get_type(key), ARTSIG_KEY_ED25519);
    artsig_key_free(key);
    artsig_key_free(NULL);
    artsig_key_free_pem(NULL, 0);
    ck_assert_ptr_null(artsig_key_ref(NULL));
}
END_TEST

START_TEST(type_names)
{
    ck_assert_str_eq(artsig_key_type_name(ARTSIG_KEY_RSA), "rsa");
    ck_assert_str_eq(artsig_key_type_name(ARTSIG_KEY_ECDSA_P256), "ecdsa-p256");
    ck_assert_str_eq(artsig_key_type_name(ARTSIG_KEY_ED25519), "ed25519");
    ck_assert_ptr_null(artsig_key_type_name((artsig_key_type)0));
}
END_TEST

START_TEST(null_arguments)
{
    artsig_key *key = NULL;
    ck_assert_int_eq(artsig_key_load_mem(NULL, "x", 1, NULL, NULL), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_key_load_mem(&key, NULL, 1, NULL, NULL), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_key_load_file(&key, NULL, NULL, NULL), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_key_generate(NULL, ARTSIG_KEY_RSA), ARTSIG_EINVAL);
    uint8_t fp[32];
    char hex[65];
    ck_assert_int_eq(artsig_key_fingerprint(fp, NULL), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_key_fingerprint_hex(hex, NULL), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_key_is_private(NULL), 0);
}
END_TEST

static Suite *keys_suite(void)
{
    Suite *s = suite_create("keys");
    TCase *tc = scratch_tcase("load");
    tcase_add_test(tc, every_vector_key_is_known);
    tcase_add_loop_test(tc, vector_key_loads_as_described, 0, (int)N_VEC_KEYS);
    tcase_add_test(tc, halves_of_a_pair_share_a_fingerprint);
    tcase_add_test(tc, fingerprint_is_sha256_of_spki);
    tcase_add_test(tc, load_from_memory_matches_file);
    tcase_add_test(tc, der_forms_load);
    tcase_add_test(tc, pem_with_crlf_and_surrounding_text);
    suite_add_tcase(s, tc);

    tc = scratch_tcase("refuse");
    tcase_add_test(tc, corrupt_pem_body);
    tcase_add_test(tc, pem_without_end_line);
    tcase_add_test(tc, truncated_der);
    tcase_add_test(tc, empty_input);
    tcase_add_test(tc, garbage_input);
    tcase_add_test(tc, ec_parameters_alone);
    tcase_add_test(tc, oversized_input);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, rsa_1024_refused);
    tcase_add_test(tc, other_algorithms_refused);
    tcase_add_test(tc, weak_rsa_exponent_refused);
    suite_add_tcase(s, tc);

    tc = scratch_tcase("passphrase");
    tcase_add_test(tc, hostile_key_derivation_cost);
    tcase_add_test(tc, encrypted_pkcs8);
    tcase_add_test(tc, encrypted_traditional_pem);
    tcase_add_test(tc, passphrase_ignored_when_not_encrypted);
    suite_add_tcase(s, tc);

    tc = scratch_tcase("lifetime");
    tcase_add_loop_test(tc, generate_export_reload, 0, 3);
    tcase_add_test(tc, generate_refuses_unknown_type);
    tcase_add_test(tc, reference_counting);
    tcase_add_test(tc, type_names);
    tcase_add_test(tc, null_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(keys_suite());
}
