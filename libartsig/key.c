/* Loading, generating, exporting and identifying keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "key_internal.h"

/* RSA above this would sign beyond ARTSIG_SIGNATURE_MAX, and makes
 * verification a cheap way to burn a device's CPU. */
#define RSA_MAX_BITS (ARTSIG_SIGNATURE_MAX * 8)

#define PEM_BEGIN "-----BEGIN "
#define PEM_DASHES "-----"
/* Longer than any label OpenSSL writes; a longer one is not a key. */
#define PEM_LABEL_MAX 64

/* ---- passphrases ------------------------------------------------------- */

enum pw_state { PW_NOT_ASKED, PW_REFUSED, PW_GIVEN };

struct pw_bridge {
    artsig_passphrase_cb cb;
    void *userdata;
    enum pw_state state;
};

/* What is being loaded: named in error details ("key" when in memory). */
struct source {
    const char *origin;
    struct pw_bridge pw;
};

/* Installed on every decoder, even without a caller's callback, so that
 * OpenSSL never falls back to prompting on the terminal. The caller writes
 * into our own buffer so that we can keep the promise to wipe it. */
static int pw_bridge_cb(char *pass, size_t pass_size, size_t *pass_len,
                        const OSSL_PARAM params[], void *arg)
{
    (void)params;
    struct pw_bridge *pw = arg;
    pw->state = PW_REFUSED;
    if (!pw->cb)
        return 0;
    char buf[PEM_BUFSIZE];
    size_t cap = pass_size < sizeof buf ? pass_size : sizeof buf;
    int n = pw->cb(buf, cap, pw->userdata);
    int ok = n >= 0 && (size_t)n <= cap;
    if (ok) {
        memcpy(pass, buf, (size_t)n);
        *pass_len = (size_t)n;
        pw->state = PW_GIVEN;
    }
    sodium_memzero(buf, sizeof buf);
    return ok;
}

/* ---- recognising the input --------------------------------------------- */

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool all_space(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_space(data[i]))
            return false;
    return true;
}

/* Offset of the next "-----BEGIN " at the start of a line, at or after
 * `from`; `len` when there is none. */
static size_t next_pem_begin(const uint8_t *data, size_t len, size_t from)
{
    const size_t tag_len = strlen(PEM_BEGIN);
    while (from < len) {
        const uint8_t *hit = memmem(data + from, len - from, PEM_BEGIN, tag_len);
        if (!hit)
            break;
        size_t at = (size_t)(hit - data);
        if (at == 0 || data[at - 1] == '\n')
            return at;
        from = at + 1;
    }
    return len;
}

/* The label of the BEGIN line at `at`, e.g. "EC PRIVATE KEY"; false when the
 * armour line is not closed by dashes on the same line. */
static bool pem_label(char out[PEM_LABEL_MAX], const uint8_t *data, size_t len, size_t at)
{
    size_t start = at + strlen(PEM_BEGIN);
    size_t dash_len = strlen(PEM_DASHES);
    for (size_t i = start; i + dash_len <= len && data[i] != '\n'; i++) {
        if (memcmp(data + i, PEM_DASHES, dash_len) != 0)
            continue;
        if (i - start >= PEM_LABEL_MAX)
            return false;
        memcpy(out, data + start, i - start);
        out[i - start] = 0;
        return true;
    }
    return false;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A DER key is a SEQUENCE and, unlike text, holds control bytes (the tags of
 * its INTEGERs, OIDs and strings). */
static bool looks_like_der(const uint8_t *data, size_t len)
{
    if (data[0] != 0x30)
        return false;
    for (size_t i = 0; i < len; i++)
        if (data[i] < 0x20 && !is_space(data[i]))
            return true;
    return false;
}

/* ---- the cost of an encrypted key ---------------------------------------- */

/* A non-negative integer of at most `max`. */
static bool at_most(uint64_t *out, const ASN1_INTEGER *v, uint64_t max)
{
    return v && ASN1_INTEGER_get_uint64(out, v) == 1 && *out <= max;
}

/* OpenSSL derives whatever key an EncryptedPrivateKeyInfo's algorithm `alg`
 * asks for (2^31 PBKDF2 iterations take a quarter of an hour on a desktop
 * CPU), so the cost is checked first: PBES2 with PBKDF2 or scrypt, or a
 * PKCS#5 v1.5 / PKCS#12 PBE. Parameters that do not parse are left for
 * OpenSSL to refuse. */
static int check_kdf(const X509_ALGOR *alg, const char *origin)
{
    uint64_t iter = 0, n = 0, r = 0, p = 0;
    bool ok = true, scrypt = false;
    if (OBJ_obj2nid(alg->algorithm) != NID_pbes2) {
        PBEPARAM *pbe = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), alg->parameter);
        ok = !pbe || at_most(&iter, pbe->iter, ARTSIG_KEY_KDF_ITER_MAX);
        PBEPARAM_free(pbe);
    } else {
        PBE2PARAM *pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
        const X509_ALGOR *kdf = pbe2 ? pbe2->keyfunc : NULL;
        int nid = kdf ? OBJ_obj2nid(kdf->algorithm) : NID_undef;
        if (nid == NID_id_pbkdf2) {
            PBKDF2PARAM *pbkdf2 =
                ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), kdf->parameter);
            ok = !pbkdf2 || at_most(&iter, pbkdf2->iter, ARTSIG_KEY_KDF_ITER_MAX);
            PBKDF2PARAM_free(pbkdf2);
        } else if (nid == NID_id_scrypt) {
            SCRYPT_PARAMS *sp =
                ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), kdf->parameter);
            const uint64_t max = ARTSIG_KEY_SCRYPT_COST_MAX;
            /* Each factor within the bound first, so the product cannot wrap. */
            ok = !sp || (at_most(&n, sp->costParameter, max) && at_most(&r, sp->blockSize, max) &&
                         at_most(&p, sp->parallelizationParameter, max) && n * r * p <= max);
            SCRYPT_PARAMS_free(sp);
            scrypt = true;
        }
        PBE2PARAM_free(pbe2);
    }
    if (ok)
        return ARTSIG_OK;
    if (scrypt)
        return asig_fail(ARTSIG_ELIMIT, "%s: encrypted key asks for scrypt N*r*p above %d",
                         origin, ARTSIG_KEY_SCRYPT_COST_MAX);
    return asig_fail(ARTSIG_ELIMIT, "%s: encrypted key asks for more than %d key derivation "
                     "iterations", origin, ARTSIG_KEY_KDF_ITER_MAX);
}

/* check_kdf() on `data` when it is an encrypted PKCS#8 key: DER, or the
 * first PEM block whatever its label (OpenSSL's decoders look past labels). */
static int check_encrypted(const uint8_t *data, size_t len, bool pem, const char *origin)
{
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long der_len = (long)len;
    ERR_set_mark();
    if (pem) {
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        if (!bio || PEM_read_bio(bio, &name, &header, &der, &der_len) != 1)
            der_len = 0;
        BIO_free(bio);
    }
    const unsigned char *p = pem ? der : data;
    X509_SIG *sig = p && der_len > 0 ? d2i_X509_SIG(NULL, &p, der_len) : NULL;
    const X509_ALGOR *alg = NULL;
    if (sig)
        X509_SIG_get0(sig, &alg, NULL);
    int rc = alg ? check_kdf(alg, origin) : ARTSIG_OK;
    X509_SIG_free(sig);
    OPENSSL_free(name);
    OPENSSL_free(header);
    /* Of an unencrypted key, the private key itself. */
    OPENSSL_clear_free(der, (size_t)der_len);
    ERR_pop_to_mark();
    return rc;
}

/* ---- decoding ------------------------------------------------------------ */

/* One decoding attempt: 1 when a key came out, 0 when none did, -1 when the
 * decoder could not be set up. */
static int try_decode(EVP_PKEY **out, const uint8_t *data, size_t len, const char *input_type,
                      int selection, struct pw_bridge *pw)
{
    *out = NULL;
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(out, input_type, NULL, NULL,
                                                           selection, NULL, NULL);
    int rc = -1;
    if (bio && dctx && OSSL_DECODER_CTX_set_passphrase_cb(dctx, pw_bridge_cb, pw))
        rc = OSSL_DECODER_from_bio(dctx, bio) == 1 && *out != NULL;
    BIO_free(bio);
    OSSL_DECODER_CTX_free(dctx);
    return rc;
}

/* Decode with OpenSSL; on failure, tell a passphrase problem from a
 * structural one (`corrupt`, which depends on the armour; `what` names the
 * input in the detail).
 *
 * Private keys are tried first and public keys next, never "anything": asked
 * for any object, OpenSSL takes a DER PKCS#1 RSAPublicKey for DH parameters
 * (both are a SEQUENCE of two INTEGERs). Public keys are never encrypted, so
 * the second attempt does not ask for the passphrase again. */
static int decode(EVP_PKEY **out, const uint8_t *data, size_t len, const char *input_type,
                  const char *what, int corrupt, struct source *src)
{
    struct pw_bridge *pw = &src->pw;
    static const int selections[] = {EVP_PKEY_KEYPAIR, OSSL_KEYMGMT_SELECT_PUBLIC_KEY};
    int cost = check_encrypted(data, len, strcmp(input_type, "PEM") == 0, src->origin);
    if (cost != ARTSIG_OK)
        return cost;
    ERR_set_mark();
    for (size_t i = 0; i < 2 && pw->state == PW_NOT_ASKED; i++) {
        int rc = try_decode(out, data, len, input_type, selections[i], pw);
        if (rc > 0) {
            /* Decoders that were tried and did not match leave errors behind. */
            ERR_pop_to_mark();
            return ARTSIG_OK;
        }
        if (rc < 0) {
            ERR_clear_last_mark();
            return asig_fail_ssl(ARTSIG_ENOMEM, "%s: cannot set up key decoder", src->origin);
        }
    }
    ERR_clear_last_mark();
    switch (pw->state) {
    case PW_GIVEN:
        return asig_fail_ssl(ARTSIG_EPASSPHRASE, "%s: wrong passphrase", src->origin);
    case PW_REFUSED:
        return asig_fail_ssl(ARTSIG_EPASSPHRASE, "%s: encrypted key and no passphrase",
                             src->origin);
    case PW_NOT_ASKED:
        break;
    }
    return asig_fail_ssl(corrupt, "%s: cannot decode %s", src->origin, what);
}

/* Skip any "EC PARAMETERS" blocks (as `openssl ecparam -genkey` writes them
 * before the key) and decode the first other block. */
static int decode_pem(EVP_PKEY **out, const uint8_t *data, size_t len, size_t at,
                      struct source *src)
{
    const char *origin = src->origin;
    char label[PEM_LABEL_MAX];
    for (;;) {
        if (at == len)
            return asig_fail(ARTSIG_EKEYFORMAT, "%s: EC PARAMETERS but no key", origin);
        if (!pem_label(label, data, len, at))
            return asig_fail(ARTSIG_EKEYPEM, "%s: malformed PEM BEGIN line", origin);
        if (strcmp(label, "EC PARAMETERS") != 0)
            break;
        at = next_pem_begin(data, len, at + 1);
    }
    if (!ends_with(label, "PRIVATE KEY") && !ends_with(label, "PUBLIC KEY"))
        return asig_fail(ARTSIG_EKEYFORMAT, "%s: PEM block \"%s\" is not a key", origin, label);
    char what[PEM_LABEL_MAX + 16];
    snprintf(what, sizeof what, "PEM \"%s\" block", label);
    return decode(out, data + at, len - at, "PEM", what, ARTSIG_EKEYPEM, src);
}

/* ---- what kind of key ---------------------------------------------------- */

/* OpenSSL verifies with any public exponent. With e = 1 the signature is the
 * padded digest itself, which anyone can write; an even e is no RSA
 * permutation at all (no private key can sign for it). */
static int check_rsa_exponent(const artsig_key *key, const char *origin)
{
    BIGNUM *e = NULL;
    if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
        return asig_fail_ssl(ARTSIG_EKEYFORMAT, "%s: RSA key without a public exponent",
                             origin);
    bool even = !BN_is_odd(e);
    bool below_3 = BN_is_negative(e) || (BN_num_bits(e) <= 2 && BN_get_word(e) < 3);
    BN_free(e);
    if (even || below_3)
        return asig_fail(ARTSIG_EKEYUNSUPPORTED,
                         "%s: RSA public exponent is %s; only odd exponents of 3 or more", origin,
                         below_3 ? "below 3" : "even");
    return ARTSIG_OK;
}

static int classify_rsa(artsig_key *key, const char *origin)
{
    int bits = EVP_PKEY_get_bits(key->pkey);
    if (bits < ARTSIG_RSA_MIN_BITS || bits > RSA_MAX_BITS)
        return asig_fail(ARTSIG_EKEYUNSUPPORTED, "%s: RSA key of %d bits; %d to %d accepted",
                         origin, bits, ARTSIG_RSA_MIN_BITS, RSA_MAX_BITS);
    int rc = check_rsa_exponent(key, origin);
    if (rc != ARTSIG_OK)
        return rc;
    key->type = ARTSIG_KEY_RSA;
    key->bits = (unsigned)bits;
    return ARTSIG_OK;
}

static int classify_ec(artsig_key *key, const char *origin)
{
    char curve[80];
    if (!EVP_PKEY_get_utf8_string_param(key->pkey, OSSL_PKEY_PARAM_GROUP_NAME, curve,
                                        sizeof curve, NULL))
        return asig_fail_ssl(ARTSIG_EKEYUNSUPPORTED,
                             "%s: EC key with explicit curve parameters; only named P-256",
                             origin);
    if (strcmp(curve, SN_X9_62_prime256v1) != 0) {
        const char *nist = EC_curve_nid2nist(OBJ_sn2nid(curve));
        return asig_fail(ARTSIG_EKEYUNSUPPORTED, "%s: EC curve %s%s%s%s; only P-256", origin,
                         curve, nist ? " (" : "", nist ? nist : "", nist ? ")" : "");
    }
    key->type = ARTSIG_KEY_ECDSA_P256;
    key->bits = 256;
    return ARTSIG_OK;
}

static int classify(artsig_key *key, const char *origin)
{
    if (EVP_PKEY_is_a(key->pkey, "RSA"))
        return classify_rsa(key, origin);
    if (EVP_PKEY_is_a(key->pkey, "EC"))
        return classify_ec(key, origin);
    if (EVP_PKEY_is_a(key->pkey, "ED25519")) {
        key->type = ARTSIG_KEY_ED25519;
        key->bits = 256;
        return ARTSIG_OK;
    }
    const char *name = EVP_PKEY_get0_type_name(key->pkey);
    return asig_fail(ARTSIG_EKEYUNSUPPORTED,
                     "%s: %s key; only RSA, ECDSA P-256 and Ed25519", origin,
                     name ? name : "unknown");
}

/* OpenSSL has no generic "has a private half" query; ask for the one
 * parameter of each type that only private keys have. */
static bool has_private(const artsig_key *key)
{
    ERR_set_mark();
    bool found;
    if (key->type == ARTSIG_KEY_ED25519) {
        size_t n = 0;
        found = EVP_PKEY_get_raw_private_key(key->pkey, NULL, &n) == 1 && n > 0;
    } else {
        BIGNUM *secret = NULL;
        const char *param =
            key->type == ARTSIG_KEY_RSA ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY;
        found = EVP_PKEY_get_bn_param(key->pkey, param, &secret) == 1;
        BN_clear_free(secret);
    }
    ERR_pop_to_mark();
    return found;
}

static int compute_fingerprint(artsig_key *key)
{
    unsigned char *spki = NULL;
    int n = i2d_PUBKEY(key->pkey, &spki);
    if (n <= 0)
        return asig_fail_ssl(ARTSIG_EKEYFORMAT, "key has no public half");
    int ok = EVP_Digest(spki, (size_t)n, key->fingerprint, NULL, EVP_sha256(), NULL);
    OPENSSL_free(spki);
    return ok ? ARTSIG_OK : asig_fail_ssl(ARTSIG_ECRYPTO, "hashing public key");
}

/* Wrap a decoded or generated EVP_PKEY (ownership passes here). */
static int key_new(artsig_key **out, EVP_PKEY *pkey, const char *origin)
{
    artsig_key *key = calloc(1, sizeof *key);
    if (!key) {
        EVP_PKEY_free(pkey);
        return asig_fail(ARTSIG_ENOMEM, "%s", origin);
    }
    key->pkey = pkey;
    atomic_init(&key->refs, 1);
    int rc = classify(key, origin);
    if (rc == ARTSIG_OK)
        rc = compute_fingerprint(key);
    if (rc != ARTSIG_OK) {
        artsig_key_free(key);
        return rc;
    }
    key->is_private = has_private(key);
    *out = key;
    return ARTSIG_OK;
}

int asig_key_from_pkey(artsig_key **out, EVP_PKEY *pkey, const char *origin)
{
    return key_new(out, pkey, origin);
}

static int load(artsig_key **out, const uint8_t *data, size_t len, artsig_passphrase_cb cb,
                void *userdata, const char *origin)
{
    if (len > ARTSIG_KEY_FILE_MAX)
        return asig_fail(ARTSIG_ELIMIT, "%s: larger than %d bytes", origin, ARTSIG_KEY_FILE_MAX);
    if (all_space(data, len))
        return asig_fail(ARTSIG_EKEYEMPTY, "%s", origin);
    struct source src = {.origin = origin,
                         .pw = {.cb = cb, .userdata = userdata, .state = PW_NOT_ASKED}};
    EVP_PKEY *pkey = NULL;
    int rc;
    size_t at = next_pem_begin(data, len, 0);
    if (at < len)
        rc = decode_pem(&pkey, data, len, at, &src);
    else if (looks_like_der(data, len))
        rc = decode(&pkey, data, len, "DER", "DER key", ARTSIG_EKEYDER, &src);
    else
        return asig_fail(ARTSIG_EKEYFORMAT, "%s: neither PEM nor DER", origin);
    return rc == ARTSIG_OK ? key_new(out, pkey, origin) : rc;
}

/* ---- public API ------------------------------------------------------------ */

int artsig_key_load_mem(artsig_key **out, const void *data, size_t len,
                        artsig_passphrase_cb passphrase, void *userdata)
{
    if (!out || (!data && len))
        return asig_fail(ARTSIG_EINVAL, "artsig_key_load_mem: NULL argument");
    *out = NULL;
    return load(out, data, len, passphrase, userdata, "key");
}

int artsig_key_load_file(artsig_key **out, const char *path, artsig_passphrase_cb passphrase,
                         void *userdata)
{
    if (!out || !path)
        return asig_fail(ARTSIG_EINVAL, "artsig_key_load_file: NULL argument");
    *out = NULL;
    uint8_t *buf;
    size_t len;
    int rc = asig_read_file(&buf, &len, path, ARTSIG_KEY_FILE_MAX);
    if (rc != ARTSIG_OK)
        return rc;
    rc = load(out, buf, len, passphrase, userdata, path);
    sodium_memzero(buf, len);
    free(buf);
    return rc;
}

int artsig_key_generate(artsig_key **out, artsig_key_type type)
{
    if (!out)
        return asig_fail(ARTSIG_EINVAL, "artsig_key_generate: NULL argument");
    *out = NULL;
    EVP_PKEY *pkey;
    switch (type) {
    case ARTSIG_KEY_RSA:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)ARTSIG_RSA_RECOMMENDED_BITS);
        break;
    case ARTSIG_KEY_ECDSA_P256:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case ARTSIG_KEY_ED25519:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    default:
        return asig_fail(ARTSIG_EINVAL, "unknown key type %d", (int)type);
    }
    if (!pkey)
        return asig_fail_ssl(ARTSIG_ECRYPTO, "generating %s key", artsig_key_type_name(type));
    return key_new(out, pkey, "generated key");
}

artsig_key *artsig_key_ref(artsig_key *key)
{
    if (key)
        atomic_fetch_add_explicit(&key->refs, 1, memory_order_relaxed);
    return key;
}

void artsig_key_free(artsig_key *key)
{
    if (!key || atomic_fetch_sub_explicit(&key->refs, 1, memory_order_release) != 1)
        return;
    /* Every other holder's last use must be visible before we tear down. */
    atomic_thread_fence(memory_order_acquire);
    /* OpenSSL clears private key material when it frees it. */
    EVP_PKEY_free(key->pkey);
    sodium_memzero(key, sizeof *key);
    free(key);
}

artsig_key_type artsig_key_get_type(const artsig_key *key)
{
    return key ? key->type : (artsig_key_type)0;
}

const char *artsig_key_type_name(artsig_key_type type)
{
    switch (type) {
    case ARTSIG_KEY_RSA: return "rsa";
    case ARTSIG_KEY_ECDSA_P256: return "ecdsa-p256";
    case ARTSIG_KEY_ED25519: return "ed25519";
    }
    return NULL;
}

unsigned artsig_key_bits(const artsig_key *key)
{
    return key ? key->bits : 0;
}

int artsig_key_is_private(const artsig_key *key)
{
    return key && key->is_private;
}

int artsig_key_is_weak(const artsig_key *key)
{
    return key && key->type == ARTSIG_KEY_RSA && key->bits < ARTSIG_RSA_RECOMMENDED_BITS;
}

int artsig_key_fingerprint(uint8_t out[32], const artsig_key *key)
{
    if (!out || !key)
        return asig_fail(ARTSIG_EINVAL, "artsig_key_fingerprint: NULL argument");
    memcpy(out, key->fingerprint, sizeof key->fingerprint);
    return ARTSIG_OK;
}

int artsig_key_fingerprint_hex(char out[65], const artsig_key *key)
{
    if (!out || !key)
        return asig_fail(ARTSIG_EINVAL, "artsig_key_fingerprint_hex: NULL argument");
    sodium_bin2hex(out, 65, key->fingerprint, sizeof key->fingerprint);
    return ARTSIG_OK;
}

void asig_key_label(char out[ASIG_KEY_LABEL_MAX], const artsig_key *key)
{
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, key->fingerprint, sizeof key->fingerprint);
    snprintf(out, ASIG_KEY_LABEL_MAX, "%s %.16s", artsig_key_type_name(key->type), hex);
}

/* A private export goes through a secure-memory BIO, which is wiped when
 * freed, so the only copy left is the caller's. */
static BIO *write_pem(const artsig_key *key, bool private_form)
{
    BIO *bio = BIO_new(private_form ? BIO_s_secmem() : BIO_s_mem());
    int ok = bio && (private_form ? PEM_write_bio_PKCS8PrivateKey(bio, key->pkey, NULL, NULL,
                                                                  0, NULL, NULL)
                                  : PEM_write_bio_PUBKEY(bio, key->pkey));
    if (!ok) {
        BIO_free(bio);
        return NULL;
    }
    return bio;
}

int artsig_key_export(char **out, size_t *len, const artsig_key *key,
                      artsig_key_export_form form)
{
    if (!out || !len || !key)
        return asig_fail(ARTSIG_EINVAL, "artsig_key_export: NULL argument");
    if (form != ARTSIG_EXPORT_PUBLIC_SPKI_PEM && form != ARTSIG_EXPORT_PRIVATE_PKCS8_PEM)
        return asig_fail(ARTSIG_EINVAL, "unknown export form %d", (int)form);
    bool private_form = form == ARTSIG_EXPORT_PRIVATE_PKCS8_PEM;
    if (private_form && !key->is_private)
        return asig_fail(ARTSIG_EKEYROLE, "cannot export a private key from a public one");
    BIO *bio = write_pem(key, private_form);
    if (!bio)
        return asig_fail_ssl(ARTSIG_ECRYPTO, "encoding %s key as PEM",
                             artsig_key_type_name(key->type));
    char *pem;
    long n = BIO_get_mem_data(bio, &pem);
    char *copy = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (copy) {
        memcpy(copy, pem, (size_t)n);
        copy[n] = 0;
    }
    BIO_free(bio);
    if (!copy)
        return asig_fail(ARTSIG_ENOMEM, "exporting key");
    *out = copy;
    *len = (size_t)n;
    return ARTSIG_OK;
}

void artsig_key_free_pem(char *pem, size_t len)
{
    if (!pem)
        return;
    sodium_memzero(pem, len);
    free(pem);
}
