/* Signing and verifying in Mender's encodings, and the base64 text form. */
#include <errno.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "key_internal.h"

/* Raw r||s on P-256: two 32-byte big-endian halves. */
#define ECDSA_RAW_LEN ASIG_ECDSA_RAW_LEN
#define ECDSA_HALF (ECDSA_RAW_LEN / 2)
/* SEQUENCE of two INTEGERs of up to 33 bytes (a sign byte before 32). */
#define ECDSA_DER_MAX 72
#define ED25519_SIG_LEN 64
_Static_assert(ED25519_SIG_LEN == crypto_sign_BYTES, "libsodium Ed25519 signature size");

/* Hash-then-sign context for RSA and ECDSA. RSA padding is pinned to
 * PKCS#1 v1.5 rather than left to defaults: Mender clients accept nothing
 * else. */
static EVP_MD_CTX *digest_ctx(const artsig_key *key, bool signing)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = ctx != NULL &&
             (signing ? EVP_DigestSignInit_ex(ctx, &pctx, "SHA256", NULL, NULL, key->pkey, NULL)
                      : EVP_DigestVerifyInit_ex(ctx, &pctx, "SHA256", NULL, NULL, key->pkey,
                                                NULL)) == 1;
    if (ok && key->type == ARTSIG_KEY_RSA)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
    if (!ok) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* One-shot EVP signature; *len holds the buffer size on entry. */
static int evp_sign(uint8_t *out, size_t *len, const artsig_key *key, const void *msg,
                    size_t msg_len)
{
    EVP_MD_CTX *ctx = digest_ctx(key, true);
    int ok = ctx && EVP_DigestSign(ctx, out, len, msg, msg_len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return asig_fail_ssl(ARTSIG_ECRYPTO, "signing with %s key",
                             artsig_key_type_name(key->type));
    return ARTSIG_OK;
}

/* Padding each half to full width matters: a short r or s would make a
 * 63-byte signature. */
int asig_ecdsa_der_to_raw(uint8_t raw[static ASIG_ECDSA_RAW_LEN], const uint8_t *der,
                          size_t der_len)
{
    const unsigned char *p = der;
    ECDSA_SIG *es = der_len <= ECDSA_DER_MAX ? d2i_ECDSA_SIG(NULL, &p, (long)der_len) : NULL;
    const BIGNUM *r = NULL, *s = NULL;
    if (es)
        ECDSA_SIG_get0(es, &r, &s);
    int ok = es && p == der + der_len && BN_bn2binpad(r, raw, ECDSA_HALF) == ECDSA_HALF &&
             BN_bn2binpad(s, raw + ECDSA_HALF, ECDSA_HALF) == ECDSA_HALF;
    ECDSA_SIG_free(es);
    if (!ok)
        return asig_fail_ssl(ARTSIG_ESIGFORMAT,
                             "ECDSA signature of %zu bytes is neither r||s nor DER", der_len);
    return ARTSIG_OK;
}

/* OpenSSL produces DER; Mender wants fixed-width r||s. */
static int sign_ecdsa(uint8_t *sig, size_t *sig_len, const artsig_key *key, const void *msg,
                      size_t msg_len)
{
    uint8_t der[ECDSA_DER_MAX];
    size_t der_len = sizeof der;
    int rc = evp_sign(der, &der_len, key, msg, msg_len);
    if (rc != ARTSIG_OK)
        return rc;
    if (asig_ecdsa_der_to_raw(sig, der, der_len) != ARTSIG_OK)
        return asig_fail(ARTSIG_ECRYPTO, "converting OpenSSL's ECDSA signature to r||s");
    *sig_len = ECDSA_RAW_LEN;
    return ARTSIG_OK;
}

/* libsodium wants its 64-byte secret key, which is derived from the 32-byte
 * seed OpenSSL holds; both copies are wiped before returning. */
static int sign_ed25519(uint8_t *sig, size_t *sig_len, const artsig_key *key, const void *msg,
                        size_t msg_len)
{
    int rc = asig_sodium_ready();
    if (rc != ARTSIG_OK)
        return rc;
    uint8_t seed[crypto_sign_SEEDBYTES];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    size_t seed_len = sizeof seed;
    int ok = EVP_PKEY_get_raw_private_key(key->pkey, seed, &seed_len) == 1 &&
             seed_len == sizeof seed && crypto_sign_seed_keypair(pk, sk, seed) == 0 &&
             crypto_sign_detached(sig, NULL, msg, msg_len, sk) == 0;
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk, sizeof sk);
    if (!ok)
        return asig_fail_ssl(ARTSIG_ECRYPTO, "signing with ed25519 key");
    *sig_len = ED25519_SIG_LEN;
    return ARTSIG_OK;
}

int artsig_sign(uint8_t *sig, size_t *sig_len, const artsig_key *key, const void *msg,
                size_t msg_len)
{
    if (!sig || !sig_len || !key || (!msg && msg_len))
        return asig_fail(ARTSIG_EINVAL, "artsig_sign: NULL argument");
    if (!key->is_private)
        return asig_fail(ARTSIG_EKEYROLE, "cannot sign with public %s key",
                         artsig_key_type_name(key->type));
    if (!msg)
        msg = "";
    switch (key->type) {
    case ARTSIG_KEY_RSA:
        *sig_len = ARTSIG_SIGNATURE_MAX;
        return evp_sign(sig, sig_len, key, msg, msg_len);
    case ARTSIG_KEY_ECDSA_P256:
        return sign_ecdsa(sig, sig_len, key, msg, msg_len);
    case ARTSIG_KEY_ED25519:
        return sign_ed25519(sig, sig_len, key, msg, msg_len);
    }
    return asig_fail(ARTSIG_EINVAL, "unknown key type %d", (int)key->type);
}

/* ---- verification ------------------------------------------------------- */

static int mismatch(const artsig_key *key)
{
    char label[ASIG_KEY_LABEL_MAX];
    asig_key_label(label, key);
    /* A failed verification is an answer, not an OpenSSL error worth showing. */
    ERR_clear_error();
    return asig_fail(ARTSIG_EVERIFY, "with %s key", label);
}

/* `der` is a DER signature for RSA or ECDSA. */
static int evp_verify(const artsig_key *key, const void *msg, size_t msg_len,
                      const uint8_t *der, size_t der_len)
{
    EVP_MD_CTX *ctx = digest_ctx(key, false);
    if (!ctx)
        return asig_fail_ssl(ARTSIG_ECRYPTO, "setting up %s verification",
                             artsig_key_type_name(key->type));
    int ok = EVP_DigestVerify(ctx, der, der_len, msg, msg_len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok ? ARTSIG_OK : mismatch(key);
}

/* Checked here rather than left to OpenSSL so that a signature of the wrong
 * size is reported as malformed, not as a mismatch. */
static int verify_rsa(const artsig_key *key, const void *msg, size_t msg_len,
                      const uint8_t *sig, size_t sig_len)
{
    size_t want = (size_t)EVP_PKEY_get_size(key->pkey);
    if (sig_len != want)
        return asig_fail(ARTSIG_ESIGFORMAT, "RSA signature of %zu bytes, modulus is %zu",
                         sig_len, want);
    return evp_verify(key, msg, msg_len, sig, sig_len);
}

/* r||s to DER; the range of r and s (1..n-1) is left to OpenSSL's verify. */
static int raw_to_der(uint8_t **der, size_t *der_len, const uint8_t *sig)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, ECDSA_HALF, NULL);
    BIGNUM *s = BN_bin2bn(sig + ECDSA_HALF, ECDSA_HALF, NULL);
    if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
        ECDSA_SIG_free(es);
        BN_free(r);
        BN_free(s);
        return asig_fail_ssl(ARTSIG_ENOMEM, "decoding ECDSA signature");
    }
    *der = NULL;
    int n = i2d_ECDSA_SIG(es, der);
    ECDSA_SIG_free(es);
    if (n <= 0)
        return asig_fail_ssl(ARTSIG_ECRYPTO, "encoding ECDSA signature");
    *der_len = (size_t)n;
    return ARTSIG_OK;
}

/* Strict DER only: parse and re-encode, and insist on the same bytes, so that
 * BER variants (long-form lengths, padded integers, trailing bytes) of one
 * signature are not accepted as different encodings of it. */
static int strict_der(uint8_t **der, size_t *der_len, const uint8_t *sig, size_t sig_len)
{
    if (sig_len > ECDSA_DER_MAX)
        return asig_fail(ARTSIG_ESIGFORMAT,
                         "ECDSA signature of %zu bytes (r||s is %d, DER at most %d)", sig_len,
                         ECDSA_RAW_LEN, ECDSA_DER_MAX);
    const unsigned char *p = sig;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
    *der = NULL;
    int n = es ? i2d_ECDSA_SIG(es, der) : 0;
    ECDSA_SIG_free(es);
    if (n <= 0 || (size_t)n != sig_len || memcmp(*der, sig, sig_len) != 0) {
        OPENSSL_free(*der);
        ERR_clear_error();
        return asig_fail(ARTSIG_ESIGFORMAT,
                         "ECDSA signature of %zu bytes is neither r||s nor strict DER",
                         sig_len);
    }
    *der_len = sig_len;
    return ARTSIG_OK;
}

static int verify_ecdsa(const artsig_key *key, const void *msg, size_t msg_len,
                        const uint8_t *sig, size_t sig_len)
{
    uint8_t *der = NULL;
    size_t der_len = 0;
    int rc = sig_len == ECDSA_RAW_LEN ? raw_to_der(&der, &der_len, sig)
                                      : strict_der(&der, &der_len, sig, sig_len);
    if (rc != ARTSIG_OK)
        return rc;
    rc = evp_verify(key, msg, msg_len, der, der_len);
    OPENSSL_free(der);
    return rc;
}

static int verify_ed25519(const artsig_key *key, const void *msg, size_t msg_len,
                          const uint8_t *sig, size_t sig_len)
{
    if (sig_len != ED25519_SIG_LEN)
        return asig_fail(ARTSIG_ESIGFORMAT, "Ed25519 signature of %zu bytes, want %d",
                         sig_len, ED25519_SIG_LEN);
    int rc = asig_sodium_ready();
    if (rc != ARTSIG_OK)
        return rc;
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    size_t pk_len = sizeof pk;
    if (EVP_PKEY_get_raw_public_key(key->pkey, pk, &pk_len) != 1 || pk_len != sizeof pk)
        return asig_fail_ssl(ARTSIG_ECRYPTO, "reading Ed25519 public key");
    if (crypto_sign_verify_detached(sig, msg, msg_len, pk) != 0)
        return mismatch(key);
    return ARTSIG_OK;
}

int artsig_verify(const artsig_key *key, const void *msg, size_t msg_len, const uint8_t *sig,
                  size_t sig_len)
{
    if (!key || (!msg && msg_len) || (!sig && sig_len))
        return asig_fail(ARTSIG_EINVAL, "artsig_verify: NULL argument");
    if (sig_len == 0)
        return asig_fail(ARTSIG_ESIGFORMAT, "empty signature");
    if (!msg)
        msg = "";
    switch (key->type) {
    case ARTSIG_KEY_RSA:
        return verify_rsa(key, msg, msg_len, sig, sig_len);
    case ARTSIG_KEY_ECDSA_P256:
        return verify_ecdsa(key, msg, msg_len, sig, sig_len);
    case ARTSIG_KEY_ED25519:
        return verify_ed25519(key, msg, msg_len, sig, sig_len);
    }
    return asig_fail(ARTSIG_EINVAL, "unknown key type %d", (int)key->type);
}

/* ---- text form ------------------------------------------------------------ */

int artsig_signature_decode(uint8_t *sig, size_t *sig_len, const char *text, size_t text_len)
{
    if (!sig || !sig_len || (!text && text_len))
        return asig_fail(ARTSIG_EINVAL, "artsig_signature_decode: NULL argument");
    /* Tolerate the newline an editor or `echo` adds; nothing else. */
    while (text_len > 0 && strchr(" \t\r\n", text[text_len - 1]) != NULL)
        text_len--;
    if (text_len == 0)
        return asig_fail(ARTSIG_ESIGFORMAT, "empty signature");
    if (text_len > ARTSIG_SIGNATURE_B64_MAX - 1)
        return asig_fail(ARTSIG_ESIGFORMAT, "signature of %zu base64 characters; one of %d "
                         "bytes has %d", text_len, ARTSIG_SIGNATURE_MAX,
                         ARTSIG_SIGNATURE_B64_MAX - 1);
    int rc = asig_sodium_ready();
    if (rc != ARTSIG_OK)
        return rc;
    /* Room for all that text decodes to even without its padding, so that
     * libsodium's ERANGE can only mean the padding is missing. */
    uint8_t room[(ARTSIG_SIGNATURE_B64_MAX - 1) / 4 * 3];
    size_t len;
    /* No ignore set and no end pointer: any stray character is an error,
     * and the ORIGINAL variant insists on the padding. */
    errno = 0;
    if (sodium_base642bin(room, sizeof room, text, text_len, NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return asig_fail(ARTSIG_ESIGFORMAT, errno == ERANGE
                                                ? "signature is base64 without its '=' padding"
                                                : "signature is not standard base64");
    if (len > ARTSIG_SIGNATURE_MAX)
        return asig_fail(ARTSIG_ESIGFORMAT, "signature of %zu bytes; at most %d", len,
                         ARTSIG_SIGNATURE_MAX);
    memcpy(sig, room, len);
    *sig_len = len;
    return ARTSIG_OK;
}

int artsig_signature_encode(char *text, const uint8_t *sig, size_t sig_len)
{
    if (!text || !sig)
        return asig_fail(ARTSIG_EINVAL, "artsig_signature_encode: NULL argument");
    if (sig_len == 0 || sig_len > ARTSIG_SIGNATURE_MAX)
        return asig_fail(ARTSIG_EINVAL, "signature of %zu bytes", sig_len);
    int rc = asig_sodium_ready();
    if (rc != ARTSIG_OK)
        return rc;
    sodium_bin2base64(text, ARTSIG_SIGNATURE_B64_MAX, sig, sig_len,
                      sodium_base64_VARIANT_ORIGINAL);
    return ARTSIG_OK;
}
