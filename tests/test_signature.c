/* Signing, verification, the base64 text form and keyrings: Project
 * Wycheproof vectors, round trips with the vector keys, and both directions
 * against the openssl command-line tool. */
#include <check.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <artsig.h>

#include "testutil.h"

/* ---- helpers -------------------------------------------------------------- */

static const char message[] = "0123456789abcdef0123456789abcdef  data/0000/rootfs.ext4\n";
#define MSG_LEN (sizeof message - 1)

static size_t sign_ok(uint8_t sig[ARTSIG_SIGNATURE_MAX], const artsig_key *key, const void *msg,
                      size_t msg_len)
{
    size_t len = 0;
    int rc = artsig_sign(sig, &len, key, msg, msg_len);
    ck_assert_msg(rc == ARTSIG_OK, "sign: %s", artsig_last_error());
    return len;
}

/* P-256 group order n, big-endian. */
static const uint8_t p256_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

static void hex_of(char *out, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", data[i]);
}

/* r||s to DER, encoded by openssl (not by us or by libartsig). */
static void openssl_der_from_raw(const uint8_t raw[64], const char *out_file)
{
    char r[65], s[65];
    hex_of(r, raw, 32);
    hex_of(s, raw + 32, 32);
    FILE *f = fopen(tmp("sig.cnf"), "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n", r, s);
    fclose(f);
    ck_assert_int_eq(sh("openssl asn1parse -genconf sig.cnf -out '%s' -noout", out_file), 0);
}

/* Right-align a hex number into a 32-byte big-endian field. */
static void hex_to_half(uint8_t half[32], const char *hex, size_t len)
{
    memset(half, 0, 32);
    while (len > 0 && *hex == '0') {
        hex++;
        len--;
    }
    ck_assert_uint_le(len, 64);
    for (size_t i = 0; i < len; i++) {
        char c = hex[len - 1 - i];
        unsigned v = (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        half[31 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
    }
}

/* DER to r||s, decoded by openssl's asn1parse. */
static void openssl_raw_from_der(uint8_t raw[64], const char *der_file)
{
    ck_assert_int_eq(sh("openssl asn1parse -inform DER -in '%s' > sig.txt", der_file), 0);
    size_t len;
    char *text = (char *)slurp(tmp("sig.txt"), &len);
    int halves = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strstr(line, "INTEGER"))
            continue;
        char *hex = strrchr(line, ':') + 1;
        ck_assert_int_lt(halves, 2);
        hex_to_half(raw + 32 * halves++, hex, strlen(hex));
    }
    ck_assert_int_eq(halves, 2);
    free(text);
}

static uint8_t *read_tmp(const char *name, size_t *len)
{
    return slurp(tmp(name), len);
}

/* `message` signed by openssl dgst with vector key `key` (and `opts`), into
 * the scratch file `out`; returns what it wrote. */
static uint8_t *openssl_signs_message(const char *key, const char *opts, const char *out,
                                      size_t *len)
{
    write_file(tmp("msg"), message, MSG_LEN);
    ck_assert_int_eq(sh("openssl dgst -sha256 -sign $V/%s %s-out %s msg", key, opts, out), 0);
    return read_tmp(out, len);
}

/* ---- Project Wycheproof --------------------------------------------------- */

static const char *json_str(json_object *obj, const char *field)
{
    json_object *v;
    ck_assert_msg(json_object_object_get_ex(obj, field, &v), "no \"%s\"", field);
    return json_object_get_string(v);
}

static json_object *json_field(json_object *obj, const char *field)
{
    json_object *v;
    ck_assert_msg(json_object_object_get_ex(obj, field, &v), "no \"%s\"", field);
    return v;
}

struct wp_tally {
    int checked, valid, invalid, acceptable_ok, acceptable_refused;
};

static void wycheproof_test(struct wp_tally *t, const artsig_key *key, json_object *test,
                            const char *file)
{
    int id = json_object_get_int(json_field(test, "tcId"));
    const char *result = json_str(test, "result");
    size_t msg_len, sig_len;
    uint8_t *msg = unhex(json_str(test, "msg"), &msg_len);
    uint8_t *sig = unhex(json_str(test, "sig"), &sig_len);
    int rc = artsig_verify(key, msg, msg_len, sig, sig_len);
    if (strcmp(result, "valid") == 0) {
        ck_assert_msg(rc == ARTSIG_OK, "%s tcId %d (valid): %s", file, id, artsig_last_error());
        t->valid++;
    } else if (strcmp(result, "invalid") == 0) {
        ck_assert_msg(rc != ARTSIG_OK, "%s tcId %d (invalid, %s) verified", file, id,
                      json_str(test, "comment"));
        ck_assert_msg(rc == ARTSIG_EVERIFY || rc == ARTSIG_ESIGFORMAT, "%s tcId %d: %s", file,
                      id, artsig_last_error());
        t->invalid++;
    } else {
        ck_assert_str_eq(result, "acceptable");
        if (rc == ARTSIG_OK)
            t->acceptable_ok++;
        else
            t->acceptable_refused++;
    }
    t->checked++;
    free(msg);
    free(sig);
}

static void wycheproof_file(const char *file, artsig_key_type type)
{
    char *path = vec_pathf("wycheproof/%s", file);
    json_object *root = json_object_from_file(path);
    ck_assert_msg(root != NULL, "cannot parse %s", path);
    struct wp_tally t = {0};
    json_object *groups = json_field(root, "testGroups");
    for (size_t g = 0; g < json_object_array_length(groups); g++) {
        json_object *group = json_object_array_get_idx(groups, g);
        size_t der_len;
        uint8_t *der = unhex(json_str(group, "publicKeyDer"), &der_len);
        artsig_key *key = NULL;
        ck_assert_msg(artsig_key_load_mem(&key, der, der_len, NULL, NULL) == ARTSIG_OK,
                      "%s group %zu: %s", file, g, artsig_last_error());
        ck_assert_int_eq(artsig_key_get_type(key), type);
        ck_assert_int_eq(artsig_key_is_private(key), 0);
        json_object *tests = json_field(group, "tests");
        for (size_t i = 0; i < json_object_array_length(tests); i++)
            wycheproof_test(&t, key, json_object_array_get_idx(tests, i), file);
        artsig_key_free(key);
        free(der);
    }
    int expected = json_object_get_int(json_field(root, "numberOfTests"));
    ck_assert_int_eq(t.checked, expected);
    ck_assert_int_gt(t.valid, 0);
    ck_assert_int_gt(t.invalid, 0);
    printf("%s: %d tests, %d valid, %d invalid, acceptable %d verified / %d refused\n", file,
           t.checked, t.valid, t.invalid, t.acceptable_ok, t.acceptable_refused);
    json_object_put(root);
    free(path);
}

START_TEST(wycheproof_ecdsa_p256_p1363)
{
    wycheproof_file("ecdsa_secp256r1_sha256_p1363_test.json", ARTSIG_KEY_ECDSA_P256);
}
END_TEST

START_TEST(wycheproof_rsa_3072_pkcs1)
{
    wycheproof_file("rsa_signature_3072_sha256_test.json", ARTSIG_KEY_RSA);
}
END_TEST

START_TEST(wycheproof_ed25519)
{
    wycheproof_file("ed25519_test.json", ARTSIG_KEY_ED25519);
}
END_TEST

/* ---- round trips with the vector keys --------------------------------------------- */

static const struct {
    const char *priv, *pub, *other_pub;
    size_t sig_len;
} pairs[] = {
    {"rsa3072.pkcs1.key", "rsa3072.pub", "rsa2048.pub", 384},
    {"rsa2048.pkcs8.key", "rsa2048.pub", "rsa3072.pkcs1.pub", 256},
    {"ecp256.params.key", "ecp256.pub", "ecp256b.pub", 64},
    {"ecp256b.sec1.key", "ecp256b.pub", "ecp256.pub.der", 64},
    {"ed25519.key", "ed25519.pub", "ecp256.pub", 64},
};
#define N_PAIRS (int)(sizeof pairs / sizeof pairs[0])

START_TEST(sign_verify_round_trip)
{
    artsig_key *priv = load_vec_key(pairs[_i].priv);
    artsig_key *pub = load_vec_key(pairs[_i].pub);
    artsig_key *other = load_vec_key(pairs[_i].other_pub);
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len = sign_ok(sig, priv, message, MSG_LEN);
    ck_assert_uint_eq(len, pairs[_i].sig_len);
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, sig, len), ARTSIG_OK);
    /* The private key verifies too: it holds the public half. */
    ck_assert_int_eq(artsig_verify(priv, message, MSG_LEN, sig, len), ARTSIG_OK);

    char tampered[sizeof message];
    memcpy(tampered, message, sizeof message);
    tampered[5] ^= 1;
    ck_assert_int_eq(artsig_verify(pub, tampered, MSG_LEN, sig, len), ARTSIG_EVERIFY);
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN - 1, sig, len), ARTSIG_EVERIFY);
    sig[len - 1] ^= 1;
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, sig, len), ARTSIG_EVERIFY);
    sig[len - 1] ^= 1;
    int rc = artsig_verify(other, message, MSG_LEN, sig, len);
    ck_assert_msg(rc == ARTSIG_EVERIFY || rc == ARTSIG_ESIGFORMAT, "other key: %d", rc);

    /* Wrong lengths are malformed, not mismatches. */
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, sig, len - 1), ARTSIG_ESIGFORMAT);
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, sig, 0), ARTSIG_ESIGFORMAT);
    if (artsig_key_get_type(pub) != ARTSIG_KEY_ECDSA_P256) {
        sig[len] = 0;
        ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, sig, len + 1), ARTSIG_ESIGFORMAT);
    }

    /* An empty message is a message. */
    len = sign_ok(sig, priv, NULL, 0);
    ck_assert_int_eq(artsig_verify(pub, NULL, 0, sig, len), ARTSIG_OK);
    ck_assert_int_eq(artsig_verify(pub, "", 0, sig, len), ARTSIG_OK);

    artsig_key_free(priv);
    artsig_key_free(pub);
    artsig_key_free(other);
}
END_TEST

START_TEST(public_key_cannot_sign)
{
    static const char *const pubs[] = {"rsa3072.pkcs1.pub", "ecp256.pub.der", "ed25519.pub"};
    for (size_t i = 0; i < sizeof pubs / sizeof pubs[0]; i++) {
        artsig_key *pub = load_vec_key(pubs[i]);
        uint8_t sig[ARTSIG_SIGNATURE_MAX];
        size_t len = 0;
        ck_assert_int_eq(artsig_sign(sig, &len, pub, message, MSG_LEN), ARTSIG_EKEYROLE);
        artsig_key_free(pub);
    }
}
END_TEST

START_TEST(generated_keys_sign)
{
    static const artsig_key_type types[] = {ARTSIG_KEY_RSA, ARTSIG_KEY_ECDSA_P256,
                                            ARTSIG_KEY_ED25519};
    artsig_key *key = NULL;
    ck_assert_int_eq(artsig_key_generate(&key, types[_i]), ARTSIG_OK);
    char *pem;
    size_t pem_len;
    ck_assert_int_eq(artsig_key_export(&pem, &pem_len, key, ARTSIG_EXPORT_PUBLIC_SPKI_PEM),
                     ARTSIG_OK);
    artsig_key *pub = NULL;
    ck_assert_int_eq(artsig_key_load_mem(&pub, pem, pem_len, NULL, NULL), ARTSIG_OK);
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len = sign_ok(sig, key, message, MSG_LEN);
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, sig, len), ARTSIG_OK);
    artsig_free(pem);
    artsig_key_free(pub);
    artsig_key_free(key);
}
END_TEST

START_TEST(ecdsa_short_halves_are_padded)
{
    /* About one signature in 128 has r or s below 2^248; each must still be
     * 64 bytes with the zero bytes in front. */
    artsig_key *priv = load_vec_key("ecp256.sec1.key");
    artsig_key *pub = load_vec_key("ecp256.pub");
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    int found = 0;
    for (unsigned i = 0; i < 5000 && found < 2; i++) {
        char msg[32];
        int n = snprintf(msg, sizeof msg, "message %u", i);
        size_t len = sign_ok(sig, priv, msg, (size_t)n);
        ck_assert_uint_eq(len, 64);
        if (sig[0] != 0 && sig[32] != 0)
            continue;
        found++;
        ck_assert_int_eq(artsig_verify(pub, msg, (size_t)n, sig, len), ARTSIG_OK);
        /* And openssl agrees, reading the halves as numbers. */
        write_file(tmp("msg"), msg, (size_t)n);
        openssl_der_from_raw(sig, tmp("sig.der"));
        ck_assert_int_eq(sh("openssl dgst -sha256 -verify $V/ecp256.pub -signature sig.der "
                            "msg >/dev/null"),
                         0);
    }
    ck_assert_int_eq(found, 2);
    artsig_key_free(priv);
    artsig_key_free(pub);
}
END_TEST

START_TEST(ecdsa_out_of_range_halves)
{
    artsig_key *priv = load_vec_key("ecp256.sec1.key");
    artsig_key *pub = load_vec_key("ecp256.pub");
    uint8_t sig[ARTSIG_SIGNATURE_MAX], bad[64];
    ck_assert_uint_eq(sign_ok(sig, priv, message, MSG_LEN), 64);
    for (int half = 0; half < 2; half++) {
        memcpy(bad, sig, 64);
        memset(bad + 32 * half, 0, 32);
        ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, bad, 64), ARTSIG_EVERIFY);
        memcpy(bad + 32 * half, p256_n, 32);
        ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, bad, 64), ARTSIG_EVERIFY);
        memset(bad + 32 * half, 0xff, 32);
        ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, bad, 64), ARTSIG_EVERIFY);
    }
    artsig_key_free(priv);
    artsig_key_free(pub);
}
END_TEST

START_TEST(ecdsa_der_must_be_strict)
{
    /* openssl writes DER; libartsig accepts it as written and refuses BER
     * variants of the same signature. */
    size_t len;
    uint8_t *der = openssl_signs_message("ecp256.sec1.key", "", "sig.der", &len);
    ck_assert_uint_ge(len, 8);
    ck_assert_uint_le(len, 72);
    ck_assert_int_eq(der[0], 0x30);
    ck_assert_uint_eq(der[1], len - 2);
    artsig_key *pub = load_vec_key("ecp256.pub");
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, der, len), ARTSIG_OK);

    uint8_t ber[80];
    /* Trailing byte. */
    memcpy(ber, der, len);
    ber[len] = 0;
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, ber, len + 1), ARTSIG_ESIGFORMAT);
    /* Long-form length where the short form fits. */
    ber[0] = 0x30;
    ber[1] = 0x81;
    memcpy(ber + 2, der + 1, len - 1);
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, ber, len + 1), ARTSIG_ESIGFORMAT);
    /* r with a superfluous leading zero. */
    ck_assert_int_eq(der[2], 0x02);
    memcpy(ber, der, 4);
    ber[1]++;
    ber[3]++;
    ber[4] = 0;
    memcpy(ber + 5, der + 4, len - 4);
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, ber, len + 1), ARTSIG_ESIGFORMAT);
    /* Indefinite length. */
    memcpy(ber, der, len);
    ber[1] = 0x80;
    ber[len] = 0;
    ber[len + 1] = 0;
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, ber, len + 2), ARTSIG_ESIGFORMAT);
    /* Too long to be a P-256 signature at all. */
    memset(ber, 0x30, 73);
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, ber, 73), ARTSIG_ESIGFORMAT);
    /* Well-formed DER over another message. */
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN - 1, der, len), ARTSIG_EVERIFY);
    free(der);
    artsig_key_free(pub);
}
END_TEST

/* ---- against the openssl command-line tool --------------------------------------- */

START_TEST(openssl_verifies_rsa)
{
    static const char *const keys[][2] = {{"rsa3072.pkcs1.key", "rsa3072.pub"},
                                          {"rsa2048.pkcs8.key", "rsa2048.pub"}};
    for (size_t i = 0; i < 2; i++) {
        artsig_key *priv = load_vec_key(keys[i][0]);
        uint8_t sig[ARTSIG_SIGNATURE_MAX];
        size_t len = sign_ok(sig, priv, message, MSG_LEN);
        write_file(tmp("msg"), message, MSG_LEN);
        write_file(tmp("sig"), sig, len);
        ck_assert_int_eq(sh("openssl dgst -sha256 -verify $V/%s -signature sig msg >/dev/null",
                            keys[i][1]),
                         0);
        /* PKCS#1 v1.5 is deterministic: openssl's own signature is the same. */
        ck_assert_int_eq(sh("openssl dgst -sha256 -sign $V/%s -out theirs msg && cmp -s sig theirs",
                            keys[i][0]),
                         0);
        artsig_key_free(priv);
    }
}
END_TEST

START_TEST(rsa_from_openssl_verifies)
{
    size_t len;
    uint8_t *sig = openssl_signs_message("rsa3072.pkcs8.key", "", "sig", &len);
    artsig_key *pub = load_vec_key("rsa3072.pkcs1.pub");
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, sig, len), ARTSIG_OK);
    free(sig);

    /* PSS is a valid RSA signature, but not one a Mender client accepts. */
    sig = openssl_signs_message("rsa3072.pkcs8.key", "-sigopt rsa_padding_mode:pss ", "pss",
                                &len);
    ck_assert_uint_eq(len, 384);
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, sig, len), ARTSIG_EVERIFY);
    free(sig);
    artsig_key_free(pub);
}
END_TEST

START_TEST(openssl_verifies_ecdsa)
{
    artsig_key *priv = load_vec_key("ecp256.pkcs8.key");
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    ck_assert_uint_eq(sign_ok(sig, priv, message, MSG_LEN), 64);
    write_file(tmp("msg"), message, MSG_LEN);
    openssl_der_from_raw(sig, tmp("sig.der"));
    ck_assert_int_eq(sh("openssl dgst -sha256 -verify $V/ecp256.pub -signature sig.der msg "
                        ">/dev/null"),
                     0);
    ck_assert_int_ne(sh("openssl dgst -sha256 -verify $V/ecp256b.pub -signature sig.der msg "
                        ">/dev/null"),
                     0);
    artsig_key_free(priv);
}
END_TEST

START_TEST(ecdsa_from_openssl_verifies)
{
    artsig_key *pub = load_vec_key("ecp256.pub.der");
    for (int round = 0; round < 8; round++) {
        size_t len;
        uint8_t *der = openssl_signs_message("ecp256.sec1.key", "", "sig.der", &len);
        /* As openssl wrote it (DER)... */
        ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, der, len), ARTSIG_OK);
        /* ...and as Mender writes it (r||s). */
        uint8_t raw[64];
        openssl_raw_from_der(raw, tmp("sig.der"));
        ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, raw, 64), ARTSIG_OK);
        free(der);
    }
    artsig_key_free(pub);
}
END_TEST

START_TEST(openssl_verifies_ed25519)
{
    artsig_key *priv = load_vec_key("ed25519.key");
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len = sign_ok(sig, priv, message, MSG_LEN);
    write_file(tmp("msg"), message, MSG_LEN);
    write_file(tmp("sig"), sig, len);
    ck_assert_int_eq(sh("openssl pkeyutl -verify -rawin -pubin -inkey $V/ed25519.pub "
                        "-sigfile sig -in msg >/dev/null"),
                     0);
    /* Ed25519 is deterministic: openssl's own signature is the same. */
    ck_assert_int_eq(sh("openssl pkeyutl -sign -rawin -inkey $V/ed25519.key -in msg -out theirs "
                        "&& cmp -s sig theirs"),
                     0);
    artsig_key_free(priv);
}
END_TEST

START_TEST(ed25519_from_openssl_verifies)
{
    /* A message that differs from the one signed by libartsig elsewhere. */
    static const char msg[] = "signed by openssl";
    write_file(tmp("msg"), msg, sizeof msg - 1);
    ck_assert_int_eq(sh("openssl pkeyutl -sign -rawin -inkey $V/ed25519.key -in msg -out sig"),
                     0);
    size_t len;
    uint8_t *sig = read_tmp("sig", &len);
    artsig_key *pub = load_vec_key("ed25519.pub");
    ck_assert_int_eq(artsig_verify(pub, msg, sizeof msg - 1, sig, len), ARTSIG_OK);
    ck_assert_int_eq(artsig_verify(pub, msg, sizeof msg - 2, sig, len), ARTSIG_EVERIFY);
    free(sig);
    artsig_key_free(pub);
}
END_TEST

/* ---- base64 ---------------------------------------------------------------------- */

static int decode(const char *text, uint8_t sig[ARTSIG_SIGNATURE_MAX], size_t *len)
{
    return artsig_signature_decode(sig, len, text, strlen(text));
}

START_TEST(base64_round_trip)
{
    uint8_t sig[ARTSIG_SIGNATURE_MAX], back[ARTSIG_SIGNATURE_MAX];
    char text[ARTSIG_SIGNATURE_B64_MAX];
    for (size_t len = 1; len <= ARTSIG_SIGNATURE_MAX; len += len < 70 ? 1 : 97) {
        for (size_t i = 0; i < len; i++)
            sig[i] = (uint8_t)(i * 31 + len);
        ck_assert_int_eq(artsig_signature_encode(text, sig, len), ARTSIG_OK);
        ck_assert_uint_eq(strlen(text), (len + 2) / 3 * 4);
        size_t back_len = 0;
        ck_assert_int_eq(decode(text, back, &back_len), ARTSIG_OK);
        ck_assert_uint_eq(back_len, len);
        ck_assert_int_eq(memcmp(sig, back, len), 0);
    }
    /* The largest signature fits the documented buffer. */
    memset(sig, 0xff, ARTSIG_SIGNATURE_MAX);
    ck_assert_int_eq(artsig_signature_encode(text, sig, ARTSIG_SIGNATURE_MAX), ARTSIG_OK);
    ck_assert_uint_eq(strlen(text) + 1, ARTSIG_SIGNATURE_B64_MAX);
}
END_TEST

START_TEST(base64_known_values)
{
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len = 0;
    char text[ARTSIG_SIGNATURE_B64_MAX];
    ck_assert_int_eq(decode("AQID", sig, &len), ARTSIG_OK);
    ck_assert_uint_eq(len, 3);
    ck_assert_int_eq(memcmp(sig, "\x01\x02\x03", 3), 0);
    ck_assert_int_eq(decode("+/8=", sig, &len), ARTSIG_OK);
    ck_assert_uint_eq(len, 2);
    ck_assert_int_eq(memcmp(sig, "\xfb\xff", 2), 0);
    ck_assert_int_eq(artsig_signature_encode(text, (const uint8_t *)"\xfb\xff\x01\x02", 4),
                     ARTSIG_OK);
    ck_assert_str_eq(text, "+/8BAg==");
}
END_TEST

START_TEST(base64_trailing_whitespace_tolerated)
{
    static const char *const ok[] = {"AQID\n", "AQID\r\n", "AQID \t \n\n", "AQI=\n"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint8_t sig[ARTSIG_SIGNATURE_MAX];
        size_t len = 0;
        ck_assert_msg(decode(ok[i], sig, &len) == ARTSIG_OK, "\"%s\"", ok[i]);
        ck_assert_uint_eq(len, strstr(ok[i], "=") ? 2 : 3);
    }
}
END_TEST

START_TEST(base64_refusals)
{
    static const char *const bad[] = {
        "",          /* empty */
        "\n",        /* nothing but whitespace */
        " AQID",     /* leading whitespace */
        "\nAQID",    /* leading newline */
        "AQ\nID",    /* embedded newline */
        "AQIDAQID\nAQID", /* line-wrapped */
        "AQ*D",      /* not base64 */
        "AQI",       /* padding missing */
        "AQ",        /* padding missing */
        "AQ=",       /* padding short */
        "AQ==AQID",  /* data after padding */
        "-_8=",      /* URL-safe alphabet */
        "AQID\v",    /* vertical tab is not tolerated */
        "AQID\n.",   /* something after the whitespace */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t sig[ARTSIG_SIGNATURE_MAX];
        size_t len = 0;
        ck_assert_msg(decode(bad[i], sig, &len) == ARTSIG_ESIGFORMAT, "\"%s\" accepted", bad[i]);
    }
}
END_TEST

/* Each refusal says what is wrong: an Ed25519 signature (64 bytes) without
 * its "==" is 86 characters, far from any length limit. */
START_TEST(base64_refusals_say_why)
{
    static const struct {
        const char *text;
        const char *why;
    } cases[] = {
        {"AQI", "without its '=' padding"},
        {"AQ=", "without its '=' padding"},
        {"AQ*D", "not standard base64"},
        {"AQ==AQID", "not standard base64"},
    };
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(decode(cases[i].text, sig, &len), ARTSIG_ESIGFORMAT);
        ck_assert_msg(strstr(artsig_last_error(), cases[i].why), "\"%s\": %s", cases[i].text,
                      artsig_last_error());
    }
    uint8_t ed25519[64];
    char text[ARTSIG_SIGNATURE_B64_MAX];
    memset(ed25519, 0xa5, sizeof ed25519);
    ck_assert_int_eq(artsig_signature_encode(text, ed25519, sizeof ed25519), ARTSIG_OK);
    ck_assert_str_eq(text + 86, "==");
    text[86] = 0;
    ck_assert_int_eq(decode(text, sig, &len), ARTSIG_ESIGFORMAT);
    ck_assert_msg(strstr(artsig_last_error(), "without its '=' padding"), "%s",
                  artsig_last_error());
}
END_TEST

START_TEST(base64_too_long)
{
    /* One byte more than the largest signature, as valid base64. */
    uint8_t big[ARTSIG_SIGNATURE_MAX + 3];
    memset(big, 7, sizeof big);
    char text[sizeof big / 3 * 4 + 8];
    /* Encoded by hand since encode refuses it: 0x07 0x07 0x07 is "BwcH". */
    for (size_t i = 0; i < sizeof big / 3; i++)
        memcpy(text + 4 * i, "BwcH", 4);
    text[sizeof big / 3 * 4] = 0;
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len = 0;
    ck_assert_int_eq(decode(text, sig, &len), ARTSIG_ESIGFORMAT);
    /* Exactly the limit is fine (1023 bytes of "BwcH" plus one "Bw=="). */
    text[(ARTSIG_SIGNATURE_MAX - 1) / 3 * 4] = 0;
    strcat(text, "Bw==");
    ck_assert_int_eq(decode(text, sig, &len), ARTSIG_OK);
    ck_assert_uint_eq(len, ARTSIG_SIGNATURE_MAX);

    char out[ARTSIG_SIGNATURE_B64_MAX];
    ck_assert_int_eq(artsig_signature_encode(out, big, ARTSIG_SIGNATURE_MAX + 1), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_signature_encode(out, big, 0), ARTSIG_EINVAL);
}
END_TEST

/* ---- keyrings -------------------------------------------------------------------- */

static artsig_keyring *ring_of(const char *const *files, size_t n)
{
    artsig_keyring *ring = NULL;
    ck_assert_int_eq(artsig_keyring_new(&ring), ARTSIG_OK);
    for (size_t i = 0; i < n; i++) {
        char *path = vec_pathf("keys/%s", files[i]);
        ck_assert_msg(artsig_keyring_add_file(ring, path) == ARTSIG_OK, "%s: %s", files[i],
                      artsig_last_error());
        free(path);
    }
    ck_assert_uint_eq(artsig_keyring_count(ring), n);
    return ring;
}

/* "ecdsa-p256 0123456789abcdef" for a key, as failure details name it. */
static void label_of(char out[64], const artsig_key *key)
{
    char hex[65];
    ck_assert_int_eq(artsig_key_fingerprint_hex(hex, key), ARTSIG_OK);
    snprintf(out, 64, "%s %.16s", artsig_key_type_name(artsig_key_get_type(key)), hex);
}

START_TEST(keyring_first_match_wins)
{
    static const char *const files[] = {"rsa3072.pub", "ecp256b.pub", "ecp256.pub",
                                        "ed25519.pub", "ecp256.pub.der"};
    artsig_keyring *ring = ring_of(files, 5);
    static const struct {
        const char *signer;
        size_t index;
    } cases[] = {{"rsa3072.pkcs8.key", 0},
                 {"ecp256b.sec1.key", 1},
                 {"ecp256.sec1.key", 2}, /* also matches index 4: the first wins */
                 {"ed25519.key", 3}};
    for (size_t i = 0; i < 4; i++) {
        artsig_key *priv = load_vec_key(cases[i].signer);
        uint8_t sig[ARTSIG_SIGNATURE_MAX];
        size_t len = sign_ok(sig, priv, message, MSG_LEN);
        size_t index = 99;
        ck_assert_int_eq(artsig_keyring_verify(&index, ring, message, MSG_LEN, sig, len),
                         ARTSIG_OK);
        ck_assert_uint_eq(index, cases[i].index);
        ck_assert_int_eq(artsig_keyring_verify(NULL, ring, message, MSG_LEN, sig, len),
                         ARTSIG_OK);
        artsig_key_free(priv);
    }
    ck_assert_ptr_nonnull(artsig_keyring_get(ring, 4));
    ck_assert_ptr_null(artsig_keyring_get(ring, 5));
    artsig_keyring_free(ring);
}
END_TEST

START_TEST(keyring_empty_verifies_nothing)
{
    artsig_keyring *ring = NULL;
    ck_assert_int_eq(artsig_keyring_new(&ring), ARTSIG_OK);
    ck_assert_uint_eq(artsig_keyring_count(ring), 0);
    artsig_key *priv = load_vec_key("ed25519.key");
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len = sign_ok(sig, priv, message, MSG_LEN);
    size_t index = 99;
    ck_assert_int_eq(artsig_keyring_verify(&index, ring, message, MSG_LEN, sig, len),
                     ARTSIG_EVERIFY);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "no keys"));
    ck_assert_uint_eq(index, 99);
    artsig_key_free(priv);
    artsig_keyring_free(ring);
}
END_TEST

START_TEST(keyring_none_verifies)
{
    static const char *const files[] = {"rsa3072.pub", "ecp256b.pub", "ed25519.pub"};
    artsig_keyring *ring = ring_of(files, 3);
    artsig_key *priv = load_vec_key("ecp256.sec1.key");
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len = sign_ok(sig, priv, message, MSG_LEN);
    ck_assert_int_eq(artsig_keyring_verify(NULL, ring, message, MSG_LEN, sig, len),
                     ARTSIG_EVERIFY);
    const char *detail = artsig_last_error();
    ck_assert_ptr_nonnull(strstr(detail, "tried 3 keys"));
    for (size_t i = 0; i < 3; i++) {
        char label[64];
        label_of(label, artsig_keyring_get(ring, i));
        ck_assert_msg(strstr(detail, label) != NULL, "\"%s\" not in \"%s\"", label, detail);
    }
    /* Garbage that is no signature for any of them is still just a failure. */
    ck_assert_int_eq(artsig_keyring_verify(NULL, ring, message, MSG_LEN, sig, 5), ARTSIG_EVERIFY);
    artsig_key_free(priv);
    artsig_keyring_free(ring);
}
END_TEST

START_TEST(keyring_holds_its_own_reference)
{
    artsig_key *pub = load_vec_key("ed25519.pub");
    artsig_keyring *ring = NULL;
    ck_assert_int_eq(artsig_keyring_new(&ring), ARTSIG_OK);
    ck_assert_int_eq(artsig_keyring_add(ring, pub), ARTSIG_OK);
    ck_assert_ptr_eq(artsig_keyring_get(ring, 0), pub);
    artsig_key_free(pub);

    artsig_key *priv = load_vec_key("ed25519.key");
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len = sign_ok(sig, priv, message, MSG_LEN);
    size_t index = 99;
    ck_assert_int_eq(artsig_keyring_verify(&index, ring, message, MSG_LEN, sig, len), ARTSIG_OK);
    ck_assert_uint_eq(index, 0);
    /* One key in two keyrings, and the signer's key added too. */
    artsig_keyring *second = NULL;
    ck_assert_int_eq(artsig_keyring_new(&second), ARTSIG_OK);
    ck_assert_int_eq(artsig_keyring_add(second, (artsig_key *)artsig_keyring_get(ring, 0)),
                     ARTSIG_OK);
    ck_assert_int_eq(artsig_keyring_add(second, priv), ARTSIG_OK);
    artsig_key_free(priv);
    artsig_keyring_free(ring);
    ck_assert_int_eq(artsig_keyring_verify(&index, second, message, MSG_LEN, sig, len),
                     ARTSIG_OK);
    ck_assert_uint_eq(artsig_keyring_count(second), 2);
    artsig_keyring_free(second);
    artsig_keyring_free(NULL);
}
END_TEST

START_TEST(keyring_add_file_errors)
{
    artsig_keyring *ring = NULL;
    ck_assert_int_eq(artsig_keyring_new(&ring), ARTSIG_OK);
    ck_assert_int_eq(artsig_keyring_add_file(ring, tmp("missing.pem")), ARTSIG_ENOENT);
    char *p384 = vec_path("keys/ecp384.pub");
    ck_assert_int_eq(artsig_keyring_add_file(ring, p384), ARTSIG_EKEYUNSUPPORTED);
    free(p384);
    ck_assert_uint_eq(artsig_keyring_count(ring), 0);
    ck_assert_int_eq(artsig_keyring_add(ring, NULL), ARTSIG_EINVAL);
    artsig_keyring_free(ring);
}
END_TEST

/* ---- sharing between threads --------------------------------------------------- */

struct shared {
    artsig_key *priv[3];
    artsig_keyring *ring;
};

static void *sign_and_verify(void *arg)
{
    struct shared *sh_keys = arg;
    for (int round = 0; round < 20; round++) {
        const artsig_key *priv = sh_keys->priv[round % 3];
        uint8_t sig[ARTSIG_SIGNATURE_MAX];
        size_t len = 0;
        size_t index;
        if (artsig_sign(sig, &len, priv, message, MSG_LEN) != ARTSIG_OK ||
            artsig_keyring_verify(&index, sh_keys->ring, message, MSG_LEN, sig, len) !=
                ARTSIG_OK ||
            index != (size_t)(round % 3))
            return (void *)1;
    }
    return NULL;
}

START_TEST(keys_and_keyrings_shared_between_threads)
{
    static const char *const pubs[] = {"rsa3072.pub", "ecp256.pub", "ed25519.pub"};
    struct shared s = {.priv = {load_vec_key("rsa3072.pkcs8.key"), load_vec_key("ecp256.sec1.key"),
                                load_vec_key("ed25519.key")},
                       .ring = ring_of(pubs, 3)};
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, sign_and_verify, &s), 0);
    for (int i = 0; i < 4; i++) {
        void *failed;
        ck_assert_int_eq(pthread_join(threads[i], &failed), 0);
        ck_assert_ptr_null(failed);
    }
    for (int i = 0; i < 3; i++)
        artsig_key_free(s.priv[i]);
    artsig_keyring_free(s.ring);
}
END_TEST

static Suite *signature_suite(void)
{
    Suite *s = suite_create("signature");
    TCase *tc = tcase_create("wycheproof");
    tcase_add_test(tc, wycheproof_ecdsa_p256_p1363);
    tcase_add_test(tc, wycheproof_rsa_3072_pkcs1);
    tcase_add_test(tc, wycheproof_ed25519);
    suite_add_tcase(s, tc);

    tc = scratch_tcase("round-trip");
    tcase_add_loop_test(tc, sign_verify_round_trip, 0, N_PAIRS);
    tcase_add_test(tc, public_key_cannot_sign);
    tcase_add_loop_test(tc, generated_keys_sign, 0, 3);
    tcase_add_test(tc, ecdsa_short_halves_are_padded);
    tcase_add_test(tc, ecdsa_out_of_range_halves);
    tcase_add_test(tc, ecdsa_der_must_be_strict);
    suite_add_tcase(s, tc);

    tc = scratch_tcase("openssl");
    tcase_add_test(tc, openssl_verifies_rsa);
    tcase_add_test(tc, rsa_from_openssl_verifies);
    tcase_add_test(tc, openssl_verifies_ecdsa);
    tcase_add_test(tc, ecdsa_from_openssl_verifies);
    tcase_add_test(tc, openssl_verifies_ed25519);
    tcase_add_test(tc, ed25519_from_openssl_verifies);
    suite_add_tcase(s, tc);

    tc = tcase_create("base64");
    tcase_add_test(tc, base64_round_trip);
    tcase_add_test(tc, base64_known_values);
    tcase_add_test(tc, base64_trailing_whitespace_tolerated);
    tcase_add_test(tc, base64_refusals);
    tcase_add_test(tc, base64_refusals_say_why);
    tcase_add_test(tc, base64_too_long);
    suite_add_tcase(s, tc);

    tc = scratch_tcase("keyring");
    tcase_add_test(tc, keyring_first_match_wins);
    tcase_add_test(tc, keyring_empty_verifies_nothing);
    tcase_add_test(tc, keyring_none_verifies);
    tcase_add_test(tc, keyring_holds_its_own_reference);
    tcase_add_test(tc, keyring_add_file_errors);
    tcase_add_test(tc, keys_and_keyrings_shared_between_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(signature_suite());
}
