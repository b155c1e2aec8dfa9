/* Google Cloud KMS: a key version that signs through the v1 REST API, so the
 * private key never leaves Google. Every request and answer carries a CRC32C
 * of what matters, as Google asks clients to check. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <sodium.h>

#include "remote.h"

#define KMS "Cloud KMS"
#define DEFAULT_ENDPOINT "https://cloudkms.googleapis.com"
#define DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"
#define DEFAULT_METADATA_HOST "metadata.google.internal"
#define METADATA_PATH "/computeMetadata/v1/instance/service-accounts/default/token"
#define KMS_SCOPE "https://www.googleapis.com/auth/cloudkms"
#define JWT_GRANT "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
#define JWT_LIFETIME_S 3600
/* A token is replaced this long before it expires, so that it cannot run
 * out while a request is on its way. */
#define TOKEN_MARGIN_S 60
#define NAME_SHOWN_MAX 200
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define B64URL sodium_base64_VARIANT_URLSAFE_NO_PADDING

struct kms {
    struct asig_http http;
    char *name;
    char *endpoint;
    char *key_url;
    char *sign_url;
    char *auth;          /* "Authorization: Bearer …" (sodium_malloc); NULL until fetched */
    int64_t expires;     /* CLOCK_MONOTONIC second the token runs out; INT64_MAX: never */
    /* The service-account key file, read again for each token so that its
     * private key is not kept in memory meanwhile; NULL: the metadata server. */
    char *credentials;
    char *metadata_url;
};

static const struct {
    const char *name;
    artsig_key_type type;
} algorithms[] = {
    {"EC_SIGN_P256_SHA256", ARTSIG_KEY_ECDSA_P256},
    {"RSA_SIGN_PKCS1_2048_SHA256", ARTSIG_KEY_RSA},
    {"RSA_SIGN_PKCS1_3072_SHA256", ARTSIG_KEY_RSA},
    {"RSA_SIGN_PKCS1_4096_SHA256", ARTSIG_KEY_RSA},
};

static int64_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

/* ---- key version names -------------------------------------------------- */

/* Google's IDs are letters, digits, '-' and '_' (a domain-scoped project
 * adds '.' and ':'); anything else could change the URL the name is put in. */
#define ID_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:"

static bool name_valid(const char *name)
{
    static const char *const collections[] = {"projects/", "locations/", "keyRings/",
                                              "cryptoKeys/", "cryptoKeyVersions/"};
    const size_t count = sizeof collections / sizeof collections[0];
    if (strstr(name, ".."))
        return false;
    const char *p = name;
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(collections[i]);
        if (strncmp(p, collections[i], n) != 0)
            return false;
        p += n;
        size_t id = strspn(p, ID_CHARS);
        if (id == 0 || (id == 1 && *p == '.') || p[id] != (i + 1 < count ? '/' : '\0'))
            return false;
        p += id + (i + 1 < count);
    }
    return true;
}

static int name_check(const struct kms *k, json_object *answer, const char *what)
{
    json_object *n = asig_json_member(answer, "name", json_type_string);
    if (!n)
        return asig_remote_malformed(KMS, what, "no name");
    if (strcmp(json_object_get_string(n), k->name) == 0)
        return ARTSIG_OK;
    char shown[NAME_SHOWN_MAX + 4];
    return asig_fail(ARTSIG_EREMOTE, KMS " %s: the answer is for key version '%s', not the one "
                     "asked", what, asig_printable_cut(shown, NAME_SHOWN_MAX,
                                                       json_object_get_string(n),
                                                       (size_t)json_object_get_string_len(n)));
}

/* Google sends its int64 fields, CRCs among them, as JSON strings of
 * decimal digits; a JSON integer is taken as well. */
static int crc_member(uint32_t *out, json_object *answer, const char *key, const char *what)
{
    json_object *v;
    uint64_t n = UINT64_MAX;
    if (!json_object_object_get_ex(answer, key, &v))
        v = NULL;
    if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0) {
        n = (uint64_t)json_object_get_int64(v);
    } else if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        size_t len = (size_t)json_object_get_string_len(v);
        if (len >= 1 && len <= 10 && strspn(s, "0123456789") == len)
            n = strtoull(s, NULL, 10);
    }
    if (n > UINT32_MAX)
        return asig_fail(ARTSIG_EREMOTE, KMS " %s: malformed answer (%s is not a decimal "
                         "CRC32C)", what, key);
    *out = (uint32_t)n;
    return ARTSIG_OK;
}

/* ---- access tokens ------------------------------------------------------- */

static int auth_set(struct kms *k, const char *token, size_t len, int64_t lifetime,
                    const char *from)
{
    if (!asig_http_token_text(token, len))
        return asig_fail(ARTSIG_EAUTH, KMS ": the access token from %s is not a bearer token",
                         from);
    sodium_free(k->auth);
    if (!(k->auth = asig_secret_join("Authorization: Bearer ", token, len)))
        return asig_fail(ARTSIG_ENOMEM, KMS " access token");
    k->expires = lifetime > 0 ? now_s() + lifetime : INT64_MAX;
    return ARTSIG_OK;
}

/* The token endpoint and the metadata server answer alike:
 * {"access_token":…,"expires_in":…,"token_type":"Bearer"}. */
static int token_fetch(struct kms *k, const char *what, const char *url,
                       const char *const *headers, const char *body)
{
    json_object *root;
    int rc = asig_http_call_json(&root, &k->http, what, body ? "POST" : "GET", url, headers,
                                 body);
    if (rc != ARTSIG_OK)
        return rc;
    json_object *token = asig_json_member(root, "access_token", json_type_string);
    json_object *life = asig_json_member(root, "expires_in", json_type_int);
    if (!token || !life || json_object_get_int64(life) <= 0)
        rc = asig_remote_malformed(KMS, what, "no access_token and expires_in");
    else
        rc = auth_set(k, json_object_get_string(token), (size_t)json_object_get_string_len(token),
                      json_object_get_int64(life), what);
    asig_json_put_wiped(root);
    return rc;
}

/* Replace the detail a callee just set (reading or parsing the key file,
 * loading its key) by one that names the credentials, keeping its reason
 * and dropping what would be said twice. */
static int credentials_fail(int status, int was, const char *path)
{
    const char *d = artsig_last_error(), *prefix = artsig_strerror(was);
    size_t n = strlen(prefix), plen = strlen(path);
    if (strncmp(d, prefix, n) == 0 && strncmp(d + n, ": ", 2) == 0)
        d += n + 2;
    if (strncmp(d, path, plen) == 0 && strncmp(d + plen, ": ", 2) == 0)
        d += plen + 2;
    char why[256];
    snprintf(why, sizeof why, "%s", d);
    return asig_fail(status, KMS " credentials %s: %s", path, why);
}

struct service_account {
    json_object *doc;
    const char *email;
    const char *key_id; /* may be NULL */
    const char *token_uri;
    artsig_key *key;
};

static void service_account_clear(struct service_account *sa)
{
    artsig_key_free(sa->key);
    asig_json_put_wiped(sa->doc);
}

static int service_account_key(struct service_account *sa, const char *path)
{
    json_object *pem = asig_json_member(sa->doc, "private_key", json_type_string);
    if (!pem)
        return asig_fail(ARTSIG_EAUTH, KMS " credentials %s: no private_key", path);
    int rc = artsig_key_load_mem(&sa->key, json_object_get_string(pem),
                                 (size_t)json_object_get_string_len(pem), NULL, NULL);
    /* OpenSSL holds the key now; the PEM is not needed again. */
    sodium_memzero((char *)json_object_get_string(pem), (size_t)json_object_get_string_len(pem));
    if (rc != ARTSIG_OK)
        return credentials_fail(rc == ARTSIG_ENOMEM ? rc : ARTSIG_EAUTH, rc, path);
    /* A JWT for Google is RS256: RSASSA-PKCS1-v1_5 with SHA-256, which is
     * what signing with an RSA key does. */
    if (artsig_key_get_type(sa->key) != ARTSIG_KEY_RSA || !artsig_key_is_private(sa->key))
        return asig_fail(ARTSIG_EAUTH, KMS " credentials %s: private_key is not an RSA private "
                         "key", path);
    return ARTSIG_OK;
}

static int service_account_load(struct service_account *sa, const char *path)
{
    uint8_t *data;
    size_t len;
    int rc = asig_read_file(&data, &len, path, ARTSIG_KEY_FILE_MAX);
    if (rc != ARTSIG_OK)
        return credentials_fail(rc, rc, path);
    /* Not through the strict gate, whose jansson tree keeps unwiped copies:
     * only this library reads the file, one way. */
    const char *why;
    sa->doc = asig_json_parse_secret((const char *)data, len, &why);
    sodium_memzero(data, len);
    free(data);
    if (!sa->doc)
        return asig_fail(ARTSIG_EAUTH, KMS " credentials %s: %s", path, why);
    json_object *type = asig_json_member(sa->doc, "type", json_type_string);
    json_object *email = asig_json_member(sa->doc, "client_email", json_type_string);
    json_object *kid = asig_json_member(sa->doc, "private_key_id", json_type_string);
    json_object *uri = asig_json_member(sa->doc, "token_uri", json_type_string);
    if (!type || strcmp(json_object_get_string(type), "service_account") != 0)
        return asig_fail(ARTSIG_EAUTH, KMS " credentials %s: not a service-account key (for "
                         "user credentials, set GOOGLE_OAUTH_ACCESS_TOKEN to the output of "
                         "`gcloud auth print-access-token`)", path);
    if (!email)
        return asig_fail(ARTSIG_EAUTH, KMS " credentials %s: no client_email", path);
    sa->email = json_object_get_string(email);
    sa->key_id = kid ? json_object_get_string(kid) : NULL;
    sa->token_uri = uri ? json_object_get_string(uri) : DEFAULT_TOKEN_URI;
    char what[300];
    snprintf(what, sizeof what, KMS " credentials %s: token_uri", path);
    rc = asig_http_url_allowed(sa->token_uri, what, false);
    return rc == ARTSIG_OK ? service_account_key(sa, path) : rc;
}

/* Appends the base64url form of `len` bytes at `bin` to `dst`, which has
 * room for it; returns the characters written. */
static size_t b64url_put(char *dst, const void *bin, size_t len)
{
    sodium_bin2base64(dst, sodium_base64_ENCODED_LEN(len, B64URL), bin, len, B64URL);
    return strlen(dst);
}

/* The header and claims of the JWT the token endpoint exchanges. */
static json_object *jwt_part(struct asig_jb *b, const struct service_account *sa, bool header)
{
    json_object *o = asig_jb_made(b, json_object_new_object());
    if (header) {
        asig_jb_put(b, o, "alg", asig_jb_string(b, "RS256"));
        asig_jb_put(b, o, "typ", asig_jb_string(b, "JWT"));
        if (sa->key_id)
            asig_jb_put(b, o, "kid", asig_jb_string(b, sa->key_id));
        return o;
    }
    int64_t now = (int64_t)time(NULL);
    asig_jb_put(b, o, "iss", asig_jb_string(b, sa->email));
    asig_jb_put(b, o, "scope", asig_jb_string(b, KMS_SCOPE));
    asig_jb_put(b, o, "aud", asig_jb_string(b, sa->token_uri));
    asig_jb_put(b, o, "iat", asig_jb_made(b, json_object_new_int64(now)));
    asig_jb_put(b, o, "exp", asig_jb_made(b, json_object_new_int64(now + JWT_LIFETIME_S)));
    return o;
}

/* header.claims.signature into `jwt`, which has room for it. */
static int jwt_sign(char *jwt, const char *header, const char *claims, const artsig_key *key)
{
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t sig_len = sizeof sig, n = b64url_put(jwt, header, strlen(header));
    jwt[n++] = '.';
    n += b64url_put(jwt + n, claims, strlen(claims));
    int rc = artsig_sign(sig, &sig_len, key, jwt, n);
    if (rc == ARTSIG_OK) {
        jwt[n++] = '.';
        b64url_put(jwt + n, sig, sig_len);
    }
    return rc;
}

/* A JWT of the service account, each part base64url without padding. */
static int jwt_make(char **out, const struct service_account *sa)
{
    struct asig_jb b = {false};
    json_object *header = jwt_part(&b, sa, true), *claims = jwt_part(&b, sa, false);
    const char *h = b.failed ? NULL : json_object_to_json_string_ext(header, JSON_FLAGS);
    const char *c = b.failed ? NULL : json_object_to_json_string_ext(claims, JSON_FLAGS);
    char *jwt = h && c ? malloc(sodium_base64_ENCODED_LEN(strlen(h), B64URL) +
                                sodium_base64_ENCODED_LEN(strlen(c), B64URL) +
                                sodium_base64_ENCODED_LEN((size_t)ARTSIG_SIGNATURE_MAX, B64URL) +
                                2)
                       : NULL;
    int rc = jwt ? jwt_sign(jwt, h, c, sa->key) : asig_fail(ARTSIG_ENOMEM, KMS " token request");
    json_object_put(header);
    json_object_put(claims);
    if (rc == ARTSIG_OK)
        *out = jwt;
    else
        asig_wipe_free(jwt);
    return rc;
}

static int token_from_service_account(struct kms *k)
{
    static const char *const headers[] = {"Content-Type: application/x-www-form-urlencoded",
                                          NULL};
    struct service_account sa = {NULL, NULL, NULL, NULL, NULL};
    char *jwt = NULL, *form = NULL;
    int rc = service_account_load(&sa, k->credentials);
    if (rc == ARTSIG_OK)
        rc = jwt_make(&jwt, &sa);
    /* The private key is freed (OpenSSL wipes it) before the exchange. */
    artsig_key_free(sa.key);
    sa.key = NULL;
    /* base64url and '.' need no form encoding. */
    if (rc == ARTSIG_OK && asprintf(&form, "%s%s", JWT_GRANT, jwt) < 0) {
        form = NULL;
        rc = asig_fail(ARTSIG_ENOMEM, KMS " token request");
    }
    if (rc == ARTSIG_OK)
        rc = token_fetch(k, "token exchange", sa.token_uri, headers, form);
    asig_wipe_free(form);
    asig_wipe_free(jwt);
    service_account_clear(&sa);
    return rc;
}

static int token_from_metadata(struct kms *k)
{
    static const char *const headers[] = {"Metadata-Flavor: Google", NULL};
    int rc = token_fetch(k, "metadata server", k->metadata_url, headers, NULL);
    /* Off Google Cloud there is no metadata server: that is a lack of
     * credentials, and the fix is to give some. */
    if (rc == ARTSIG_ENETWORK || rc == ARTSIG_ENOTFOUND) {
        char why[256];
        snprintf(why, sizeof why, "%s", artsig_last_error());
        rc = asig_fail(ARTSIG_EAUTH, KMS ": no credentials: set GOOGLE_OAUTH_ACCESS_TOKEN or "
                       "GOOGLE_APPLICATION_CREDENTIALS, or run on Google Cloud (%s)", why);
    }
    return rc;
}

static int token_fresh(struct kms *k)
{
    if (k->auth && k->expires - now_s() >= TOKEN_MARGIN_S)
        return ARTSIG_OK;
    return k->credentials ? token_from_service_account(k) : token_from_metadata(k);
}

/* ---- Cloud KMS ----------------------------------------------------------- */

static int kms_call(json_object **out, struct kms *k, const char *what, const char *url,
                    const char *body)
{
    int rc = token_fresh(k);
    if (rc != ARTSIG_OK)
        return rc;
    const char *headers[] = {k->auth, NULL};
    return asig_http_call_json(out, &k->http, what, body ? "POST" : "GET", url, headers, body);
}

static int public_key_check(artsig_key **out, const struct kms *k, json_object *answer)
{
    const char *what = "getPublicKey";
    json_object *pem = asig_json_member(answer, "pem", json_type_string);
    json_object *alg = asig_json_member(answer, "algorithm", json_type_string);
    uint32_t crc = 0;
    if (!pem || !alg)
        return asig_remote_malformed(KMS, what, "no pem and algorithm");
    int rc = crc_member(&crc, answer, "pemCrc32c", what);
    if (rc == ARTSIG_OK && crc != asig_crc32c(json_object_get_string(pem),
                                              (size_t)json_object_get_string_len(pem)))
        rc = asig_fail(ARTSIG_EREMOTE, KMS " %s: the public key was corrupted on the way "
                       "(pemCrc32c does not match)", what);
    if (rc == ARTSIG_OK)
        rc = name_check(k, answer, what);
    if (rc != ARTSIG_OK)
        return rc;
    const char *name = json_object_get_string(alg);
    for (size_t i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++)
        if (strcmp(name, algorithms[i].name) == 0)
            return asig_remote_public_key(out, KMS, json_object_get_string(pem),
                                          algorithms[i].type);
    char shown[ASIG_SHOWN_MAX + 4];
    return asig_fail(ARTSIG_EKEYUNSUPPORTED, KMS ": the key version's algorithm is %s; Mender "
                     "artifacts can be signed only with EC_SIGN_P256_SHA256 or "
                     "RSA_SIGN_PKCS1_{2048,3072,4096}_SHA256",
                     asig_printable(shown, name, strlen(name)));
}

static int public_key_get(artsig_key **out, struct kms *k)
{
    json_object *answer = NULL;
    int rc = kms_call(&answer, k, "getPublicKey", k->key_url, NULL);
    if (rc == ARTSIG_OK)
        rc = public_key_check(out, k, answer);
    asig_json_put_wiped(answer);
    return rc;
}

/* {"digest":{"sha256":…},"digestCrc32c":"…"} */
static json_object *sign_request(const uint8_t digest[static crypto_hash_sha256_BYTES])
{
    char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
                                       sodium_base64_VARIANT_ORIGINAL)];
    char crc[16];
    sodium_bin2base64(b64, sizeof b64, digest, crypto_hash_sha256_BYTES,
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(crc, sizeof crc, "%" PRIu32, asig_crc32c(digest, crypto_hash_sha256_BYTES));
    struct asig_jb b = {false};
    json_object *req = asig_jb_made(&b, json_object_new_object());
    json_object *d = asig_jb_made(&b, json_object_new_object());
    asig_jb_put(&b, d, "sha256", asig_jb_string(&b, b64));
    asig_jb_put(&b, req, "digest", d);
    asig_jb_put(&b, req, "digestCrc32c", asig_jb_string(&b, crc));
    if (!b.failed)
        return req;
    json_object_put(req);
    return NULL;
}

static int sign_answer(uint8_t *sig, size_t *sig_len, const struct kms *k, json_object *answer)
{
    const char *what = "asymmetricSign";
    json_object *verified = asig_json_member(answer, "verifiedDigestCrc32c", json_type_boolean);
    json_object *text = asig_json_member(answer, "signature", json_type_string);
    uint32_t crc = 0;
    if (!verified || !json_object_get_boolean(verified))
        return asig_fail(ARTSIG_EREMOTE, KMS " %s: the digest was corrupted on the way "
                         "(verifiedDigestCrc32c is not true)", what);
    int rc = name_check(k, answer, what);
    if (rc != ARTSIG_OK)
        return rc;
    if (!text || sodium_base642bin(sig, *sig_len, json_object_get_string(text),
                                   (size_t)json_object_get_string_len(text), NULL, sig_len, NULL,
                                   sodium_base64_VARIANT_ORIGINAL) != 0)
        return asig_remote_malformed(KMS, what, "signature is not base64");
    rc = crc_member(&crc, answer, "signatureCrc32c", what);
    if (rc == ARTSIG_OK && crc != asig_crc32c(sig, *sig_len))
        rc = asig_fail(ARTSIG_EREMOTE, KMS " %s: the signature was corrupted on the way "
                       "(signatureCrc32c does not match)", what);
    return rc;
}

/* Cloud KMS signs a digest: the message itself never leaves. An EC
 * signature comes back in DER, which the generic signer turns into r||s. */
static int kms_sign(uint8_t *sig, size_t *sig_len, const void *msg, size_t msg_len,
                    void *userdata)
{
    struct kms *k = userdata;
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, msg, msg_len);
    json_object *req = sign_request(digest), *answer = NULL;
    const char *body = req ? json_object_to_json_string_ext(req, JSON_FLAGS) : NULL;
    int rc = body ? kms_call(&answer, k, "asymmetricSign", k->sign_url, body)
                  : asig_fail(ARTSIG_ENOMEM, KMS " asymmetricSign request");
    if (rc == ARTSIG_OK)
        rc = sign_answer(sig, sig_len, k, answer);
    asig_json_put_wiped(answer);
    json_object_put(req);
    return rc;
}

/* ---- making the signer --------------------------------------------------- */

static void kms_free(void *userdata)
{
    struct kms *k = userdata;
    if (!k)
        return;
    asig_http_cleanup(&k->http);
    sodium_free(k->auth);
    free(k->name);
    free(k->endpoint);
    free(k->key_url);
    free(k->sign_url);
    free(k->credentials);
    free(k->metadata_url);
    free(k);
}

static int kms_urls(struct kms *k)
{
    if (asprintf(&k->key_url, "%s/v1/%s/publicKey", k->endpoint, k->name) < 0)
        k->key_url = NULL;
    if (asprintf(&k->sign_url, "%s/v1/%s:asymmetricSign", k->endpoint, k->name) < 0)
        k->sign_url = NULL;
    return k->key_url && k->sign_url ? ARTSIG_OK : asig_fail(ARTSIG_ENOMEM, KMS " URL");
}

/* Google documents the metadata server as plain http, and only a host (and
 * port) may be chosen. */
static int metadata_url(struct kms *k, const artsig_remote_config *cfg)
{
    char *host;
    int rc = asig_remote_setting(&host, cfg, ARTSIG_REMOTE_METADATA_HOST, "GCE_METADATA_HOST",
                                 DEFAULT_METADATA_HOST);
    if (rc != ARTSIG_OK)
        return rc;
    if (strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
        strlen(host))
        rc = asig_fail(ARTSIG_EINVAL, KMS ": GCE_METADATA_HOST must be host[:port]");
    else if (asprintf(&k->metadata_url, "http://%s" METADATA_PATH, host) < 0)
        rc = asig_fail(ARTSIG_ENOMEM, KMS " URL");
    else
        rc = asig_http_url_allowed(k->metadata_url, "GCE_METADATA_HOST", true);
    free(host);
    return rc;
}

/* A token given is used as it is; else the service account's key or the
 * metadata server provides one, fetched now so that missing credentials
 * show before anything is signed. */
static int kms_credentials(struct kms *k, const artsig_remote_config *cfg)
{
    char *token;
    int rc = asig_remote_setting(&token, cfg, ARTSIG_REMOTE_TOKEN, "GOOGLE_OAUTH_ACCESS_TOKEN",
                                 NULL);
    if (rc != ARTSIG_OK)
        return rc;
    if (token) {
        rc = auth_set(k, token, strlen(token), 0, "GOOGLE_OAUTH_ACCESS_TOKEN");
        asig_wipe_free(token);
        return rc;
    }
    rc = asig_remote_setting(&k->credentials, cfg, ARTSIG_REMOTE_CREDENTIALS,
                             "GOOGLE_APPLICATION_CREDENTIALS", NULL);
    if (rc == ARTSIG_OK && !k->credentials)
        rc = metadata_url(k, cfg);
    return rc;
}

static int kms_settings(struct kms *k, const char *name, const artsig_remote_config *cfg)
{
    int rc = asig_http_init(&k->http, KMS, cfg, NULL);
    if (rc == ARTSIG_OK && !(k->name = strdup(name)))
        rc = asig_fail(ARTSIG_ENOMEM, KMS " signer");
    if (rc == ARTSIG_OK)
        rc = asig_remote_endpoint(&k->endpoint, cfg, "ARTSIG_GCP_KMS_ENDPOINT",
                                  DEFAULT_ENDPOINT);
    if (rc == ARTSIG_OK)
        rc = kms_urls(k);
    if (rc == ARTSIG_OK)
        rc = kms_credentials(k, cfg);
    return rc;
}

int artsig_signer_new_gcp_kms(artsig_signer **out, const char *key_version_name,
                              const artsig_remote_config *cfg)
{
    if (!out || !key_version_name)
        return asig_fail(ARTSIG_EINVAL, "artsig_signer_new_gcp_kms: NULL argument");
    *out = NULL;
    if (!name_valid(key_version_name)) {
        char shown[NAME_SHOWN_MAX + 4];
        return asig_fail(ARTSIG_EINVAL, KMS ": '%s' is not a key version name: "
                         "projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V",
                         asig_printable_cut(shown, NAME_SHOWN_MAX, key_version_name,
                                            strlen(key_version_name)));
    }
    int rc = asig_sodium_ready();
    if (rc != ARTSIG_OK)
        return rc;
    struct kms *k = calloc(1, sizeof *k);
    if (!k)
        return asig_fail(ARTSIG_ENOMEM, KMS " signer");
    artsig_key *public_key = NULL;
    rc = kms_settings(k, key_version_name, cfg);
    if (rc == ARTSIG_OK)
        rc = public_key_get(&public_key, k);
    if (rc == ARTSIG_OK)
        rc = asig_signer_new_owned(out, artsig_key_get_type(public_key), public_key, kms_sign, k,
                                   kms_free, KMS);
    artsig_key_free(public_key);
    if (rc != ARTSIG_OK)
        kms_free(k);
    return rc;
}
