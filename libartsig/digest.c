#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "internal.h"

struct artsig_sha256_ctx {
    EVP_MD_CTX *ctx;
};

/* An explicitly fetched EVP_MD spares OpenSSL 3 a provider lookup on every
 * digest initialisation. It is kept for the life of the process: freeing it
 * at unload would race with other threads still hashing. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256(void)
{
    pthread_once(&sha256_once, fetch_sha256);
    return sha256_md;
}

int artsig_sha256_new(artsig_sha256_ctx **out)
{
    if (!out)
        return asig_fail(ARTSIG_EINVAL, "artsig_sha256_new: out is NULL");
    *out = NULL;
    const EVP_MD *md = sha256();
    if (!md)
        return asig_fail_ssl(ARTSIG_ECRYPTO, "SHA-256 is not available");
    artsig_sha256_ctx *h = malloc(sizeof *h);
    if (!h)
        return asig_fail(ARTSIG_ENOMEM, "SHA-256 context");
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx) {
        free(h);
        return asig_fail_ssl(ARTSIG_ENOMEM, "SHA-256 context");
    }
    if (!EVP_DigestInit_ex2(h->ctx, md, NULL)) {
        artsig_sha256_free(h);
        return asig_fail_ssl(ARTSIG_ECRYPTO, "SHA-256 initialisation failed");
    }
    *out = h;
    return ARTSIG_OK;
}

void artsig_sha256_free(artsig_sha256_ctx *ctx)
{
    if (!ctx)
        return;
    EVP_MD_CTX_free(ctx->ctx);
    free(ctx);
}

int artsig_sha256_update(artsig_sha256_ctx *ctx, const void *data, size_t len)
{
    if (!ctx || (!data && len > 0))
        return asig_fail(ARTSIG_EINVAL, "artsig_sha256_update: NULL argument");
    if (!EVP_DigestUpdate(ctx->ctx, data, len))
        return asig_fail_ssl(ARTSIG_ECRYPTO, "SHA-256 update failed");
    return ARTSIG_OK;
}

int artsig_sha256_final(uint8_t out[ARTSIG_DIGEST_LEN], artsig_sha256_ctx *ctx)
{
    if (!out || !ctx)
        return asig_fail(ARTSIG_EINVAL, "artsig_sha256_final: NULL argument");
    int ok = EVP_DigestFinal_ex(ctx->ctx, out, NULL);
    /* Reset even after a failed final, so the context is never left
     * half-finished for the next message. */
    int reset = EVP_DigestInit_ex2(ctx->ctx, sha256(), NULL);
    if (!ok || !reset)
        return asig_fail_ssl(ARTSIG_ECRYPTO, "SHA-256 finalisation failed");
    return ARTSIG_OK;
}

int artsig_sha256(uint8_t out[ARTSIG_DIGEST_LEN], const void *data, size_t len)
{
    if (!out || (!data && len > 0))
        return asig_fail(ARTSIG_EINVAL, "artsig_sha256: NULL argument");
    const EVP_MD *md = sha256();
    if (!md)
        return asig_fail_ssl(ARTSIG_ECRYPTO, "SHA-256 is not available");
    if (!EVP_Digest(data, len, out, NULL, md, NULL))
        return asig_fail_ssl(ARTSIG_ECRYPTO, "SHA-256 failed");
    return ARTSIG_OK;
}

void artsig_digest_to_hex(char out[ARTSIG_DIGEST_HEX_LEN + 1],
                          const uint8_t digest[ARTSIG_DIGEST_LEN])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < ARTSIG_DIGEST_LEN; i++) {
        out[2 * i] = digits[digest[i] >> 4];
        out[2 * i + 1] = digits[digest[i] & 0x0f];
    }
    out[ARTSIG_DIGEST_HEX_LEN] = '\0';
}

/* Lowercase only: the manifest's canonical form, so a digest has exactly one
 * spelling and manifests compare bytewise. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int artsig_digest_from_hex(uint8_t out[ARTSIG_DIGEST_LEN], const char *hex, size_t len)
{
    if (!out || !hex)
        return asig_fail(ARTSIG_EINVAL, "artsig_digest_from_hex: NULL argument");
    if (len != ARTSIG_DIGEST_HEX_LEN)
        return asig_fail(ARTSIG_EINVAL, "digest is %zu characters, not %d", len,
                         ARTSIG_DIGEST_HEX_LEN);
    uint8_t tmp[ARTSIG_DIGEST_LEN];
    for (size_t i = 0; i < ARTSIG_DIGEST_LEN; i++) {
        int hi = hex_value(hex[2 * i]);
        int lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return asig_fail(ARTSIG_EINVAL,
                             "digest has a character that is not lowercase hex at %zu",
                             hi < 0 ? 2 * i : 2 * i + 1);
        tmp[i] = (uint8_t)(hi << 4 | lo);
    }
    /* `out` is untouched on failure. */
    memcpy(out, tmp, sizeof tmp);
    return ARTSIG_OK;
}

int artsig_digest_equal(const uint8_t a[ARTSIG_DIGEST_LEN], const uint8_t b[ARTSIG_DIGEST_LEN])
{
    return CRYPTO_memcmp(a, b, ARTSIG_DIGEST_LEN) == 0;
}
