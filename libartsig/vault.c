/* HashiCorp Vault's Transit secrets engine: a named key that signs through
 * the HTTP API, so the private key never leaves Vault. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "remote.h"

#define VAULT "Vault"
#define DEFAULT_ADDR "https://127.0.0.1:8200"
#define DEFAULT_MOUNT "transit"
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define B64 sodium_base64_VARIANT_ORIGINAL
/* Vault's JWS marshaling is r||s in base64url without padding. */
#define B64_JWS sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define PREFIX "vault:v"

struct vault {
    struct asig_http http;
    artsig_key_type type;
    unsigned long version;
    char *key_url;
    char *sign_url;
    char *read_what; /* "key transit/NAME": the calls named in details */
    char *sign_what;
    const char *headers[3];
    char *token_header; /* sodium_malloc */
    char *namespace_header; /* sodium_malloc, as the token's */
};

static const struct {
    const char *name;
    artsig_key_type type;
} key_types[] = {
    {"rsa-2048", ARTSIG_KEY_RSA},
    {"rsa-3072", ARTSIG_KEY_RSA},
    {"rsa-4096", ARTSIG_KEY_RSA},
    {"ecdsa-p256", ARTSIG_KEY_ECDSA_P256},
    {"ed25519", ARTSIG_KEY_ED25519},
};

/* ---- settings ------------------------------------------------------------ */

/* Names go into URL paths: segments of these characters, none "." or "..",
 * cannot reach another API. */
#define PATH_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

static bool path_valid(const char *p, bool slashes)
{
    for (;;) {
        size_t n = strspn(p, PATH_CHARS);
        if (n == 0 || (n <= 2 && strncmp(p, "..", n) == 0))
            return false;
        if (p[n] == '\0')
            return true;
        if (p[n] != '/' || !slashes)
            return false;
        p += n + 1;
    }
}

/* "/transit/" and "transit" are the same mount. */
static int mount_get(char **out, const artsig_remote_config *cfg)
{
    int rc = asig_remote_setting(out, cfg, ARTSIG_REMOTE_MOUNT, "VAULT_MOUNT_PATH",
                                 DEFAULT_MOUNT);
    if (rc != ARTSIG_OK)
        return rc;
    char *m = *out;
    size_t skip = strspn(m, "/"), len = strlen(m + skip);
    memmove(m, m + skip, len + 1);
    while (len > 0 && m[len - 1] == '/')
        m[--len] = '\0';
    if (path_valid(m, true))
        return ARTSIG_OK;
    char shown[ASIG_SHOWN_MAX + 4];
    return asig_fail(ARTSIG_EINVAL, VAULT ": mount path '%s' is not segments of letters, digits, "
                     "'.', '_' and '-'", asig_printable(shown, m, len));
}

/* The token's line is in guarded memory (asig_secret_join). */
static int header_add(struct vault *v, char **slot, const char *prefix, const char *value)
{
    size_t i = 0;
    while (v->headers[i])
        i++;
    *slot = asig_secret_join(prefix, value, strlen(value));
    if (!*slot)
        return asig_fail(ARTSIG_ENOMEM, VAULT " request headers");
    v->headers[i] = *slot;
    return ARTSIG_OK;
}

static int vault_headers(struct vault *v, const artsig_remote_config *cfg)
{
    char *token = NULL, *ns = NULL;
    int rc = asig_remote_setting(&token, cfg, ARTSIG_REMOTE_TOKEN, "VAULT_TOKEN", NULL);
    if (rc == ARTSIG_OK)
        rc = asig_remote_setting(&ns, cfg, ARTSIG_REMOTE_NAMESPACE, "VAULT_NAMESPACE", NULL);
    if (rc == ARTSIG_OK && !token)
        rc = asig_fail(ARTSIG_EAUTH, VAULT ": no token: set VAULT_TOKEN");
    else if (rc == ARTSIG_OK && !asig_http_token_text(token, strlen(token)))
        rc = asig_fail(ARTSIG_EAUTH, VAULT ": VAULT_TOKEN is not a token (it has spaces or "
                       "control characters)");
    else if (rc == ARTSIG_OK)
        rc = header_add(v, &v->token_header, "X-Vault-Token: ", token);
    if (rc == ARTSIG_OK && ns && !path_valid(ns, true))
        rc = asig_fail(ARTSIG_EINVAL, VAULT ": VAULT_NAMESPACE is not segments of letters, "
                       "digits, '.', '_' and '-'");
    else if (rc == ARTSIG_OK && ns)
        rc = header_add(v, &v->namespace_header, "X-Vault-Namespace: ", ns);
    asig_wipe_free(token);
    free(ns);
    return rc;
}

static int vault_urls(struct vault *v, const char *name, const artsig_remote_config *cfg)
{
    char *addr = NULL, *mount = NULL;
    int rc = asig_remote_endpoint(&addr, cfg, "VAULT_ADDR", DEFAULT_ADDR);
    if (rc == ARTSIG_OK)
        rc = mount_get(&mount, cfg);
    /* asprintf leaves its pointer undefined when it fails. */
    if (rc == ARTSIG_OK && asprintf(&v->key_url, "%s/v1/%s/keys/%s", addr, mount, name) < 0)
        v->key_url = NULL;
    if (rc == ARTSIG_OK && asprintf(&v->sign_url, "%s/v1/%s/sign/%s/sha2-256", addr, mount,
                                    name) < 0)
        v->sign_url = NULL;
    if (rc == ARTSIG_OK && asprintf(&v->read_what, "key %s/%s", mount, name) < 0)
        v->read_what = NULL;
    if (rc == ARTSIG_OK && asprintf(&v->sign_what, "sign with %s/%s", mount, name) < 0)
        v->sign_what = NULL;
    if (rc == ARTSIG_OK && !(v->key_url && v->sign_url && v->read_what && v->sign_what))
        rc = asig_fail(ARTSIG_ENOMEM, VAULT " URL");
    free(addr);
    free(mount);
    return rc;
}

/* ---- the key ------------------------------------------------------------- */

/* An answer that must be 2xx and hold one JSON object with a "data" object. */
static int vault_call(json_object **root, json_object **data, struct vault *v, const char *what,
                      const char *url, const char *body)
{
    int rc = asig_http_call_json(root, &v->http, what, body ? "POST" : "GET", url, v->headers,
                                 body);
    if (rc == ARTSIG_OK && !(*data = asig_json_member(*root, "data", json_type_object)))
        rc = asig_remote_malformed(VAULT, what, "no data");
    return rc;
}

/* Vault gives an Ed25519 public key as base64 of its 32 bytes, not PEM. */
static int ed25519_raw_key(artsig_key **out, const char *what, const char *b64)
{
    uint8_t raw[crypto_sign_PUBLICKEYBYTES];
    size_t len;
    if (sodium_base642bin(raw, sizeof raw, b64, strlen(b64), NULL, &len, NULL, B64) != 0 ||
        len != sizeof raw)
        return asig_remote_malformed(VAULT, what,
                                     "public_key is neither PEM nor an Ed25519 key in base64");
    EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, sizeof raw);
    if (!pkey)
        return asig_fail_ssl(ARTSIG_ECRYPTO, VAULT " %s: Ed25519 public key", what);
    return asig_key_from_pkey(out, pkey, VAULT " public key");
}

static int public_key_of(artsig_key **out, const struct vault *v, json_object *data)
{
    json_object *keys = asig_json_member(data, "keys", json_type_object), *entry, *pem;
    char version[24];
    snprintf(version, sizeof version, "%lu", v->version);
    if (!keys || !json_object_object_get_ex(keys, version, &entry))
        return asig_fail(ARTSIG_ENOTFOUND, VAULT " %s: no version %lu", v->read_what,
                         v->version);
    if (!(pem = asig_json_member(entry, "public_key", json_type_string)))
        return asig_remote_malformed(VAULT, v->read_what, "no public_key");
    const char *text = json_object_get_string(pem);
    if (v->type == ARTSIG_KEY_ED25519 && !strstr(text, "-----BEGIN"))
        return ed25519_raw_key(out, v->read_what, text);
    return asig_remote_public_key(out, VAULT, text, v->type);
}

static int key_read(artsig_key **out, struct vault *v)
{
    json_object *root, *data;
    int rc = vault_call(&root, &data, v, v->read_what, v->key_url, NULL);
    if (rc != ARTSIG_OK) {
        asig_json_put_wiped(root);
        return rc;
    }
    json_object *type = asig_json_member(data, "type", json_type_string);
    json_object *latest = asig_json_member(data, "latest_version", json_type_int);
    size_t i = 0, n = sizeof key_types / sizeof key_types[0];
    while (type && i < n && strcmp(json_object_get_string(type), key_types[i].name) != 0)
        i++;
    char shown[ASIG_SHOWN_MAX + 4];
    if (!type || !latest || json_object_get_int64(latest) < 1)
        rc = asig_remote_malformed(VAULT, v->read_what, "no type and latest_version");
    else if (i == n)
        rc = asig_fail(ARTSIG_EKEYUNSUPPORTED, VAULT " %s: the key is of type %s; Mender "
                       "artifacts can be signed only with rsa-2048, rsa-3072, rsa-4096, "
                       "ecdsa-p256 or ed25519 keys", v->read_what,
                       asig_printable(shown, json_object_get_string(type),
                                      (size_t)json_object_get_string_len(type)));
    if (rc == ARTSIG_OK) {
        v->type = key_types[i].type;
        if (v->version == 0)
            v->version = (unsigned long)json_object_get_int64(latest);
        rc = public_key_of(out, v, data);
    }
    asig_json_put_wiped(root);
    return rc;
}

/* ---- signing ------------------------------------------------------------- */

/* RSA and ECDSA sign the SHA-256 digest (prehashed); Vault's Ed25519 cannot
 * take a digest, so it gets the message itself. key_version is always sent,
 * so the signature comes from the key whose public half checks it. */
static json_object *sign_request(const struct vault *v, const void *msg, size_t msg_len)
{
    uint8_t digest[crypto_hash_sha256_BYTES];
    bool whole = v->type == ARTSIG_KEY_ED25519;
    if (!whole) {
        crypto_hash_sha256(digest, msg, msg_len);
        msg = digest;
        msg_len = sizeof digest;
    }
    struct asig_jb b = {false};
    size_t b64_size = sodium_base64_ENCODED_LEN(msg_len, B64);
    char *b64 = malloc(b64_size);
    json_object *req = asig_jb_made(&b, b64 ? json_object_new_object() : NULL);
    if (b64)
        sodium_bin2base64(b64, b64_size, msg, msg_len, B64);
    asig_jb_put(&b, req, "input", asig_jb_string(&b, b64));
    if (!whole)
        asig_jb_put(&b, req, "prehashed", asig_jb_made(&b, json_object_new_boolean(1)));
    if (v->type == ARTSIG_KEY_RSA)
        asig_jb_put(&b, req, "signature_algorithm", asig_jb_string(&b, "pkcs1v15"));
    if (v->type == ARTSIG_KEY_ECDSA_P256)
        asig_jb_put(&b, req, "marshaling_algorithm", asig_jb_string(&b, "jws"));
    asig_jb_put(&b, req, "key_version",
                asig_jb_made(&b, json_object_new_int64((int64_t)v->version)));
    free(b64);
    if (!b.failed)
        return req;
    json_object_put(req);
    return NULL;
}

/* "vault:v<version>:<signature>", the version the one asked for. */
static int sign_answer(uint8_t *sig, size_t *sig_len, const struct vault *v, json_object *data)
{
    json_object *s = asig_json_member(data, "signature", json_type_string);
    if (!s)
        return asig_remote_malformed(VAULT, v->sign_what, "no signature");
    const char *p = json_object_get_string(s);
    size_t digits = 0;
    if (strncmp(p, PREFIX, strlen(PREFIX)) == 0) {
        p += strlen(PREFIX);
        digits = strspn(p, "0123456789");
    }
    if (digits == 0 || digits > 10 || p[digits] != ':')
        return asig_remote_malformed(VAULT, v->sign_what, "signature is not vault:vN:<signature>");
    unsigned long version = strtoul(p, NULL, 10);
    if (version != v->version)
        return asig_fail(ARTSIG_EREMOTE, VAULT " %s: signed with key version %lu, not %lu",
                         v->sign_what, version, v->version);
    p += digits + 1;
    int variant = v->type == ARTSIG_KEY_ECDSA_P256 ? B64_JWS : B64;
    if (sodium_base642bin(sig, *sig_len, p, strlen(p), NULL, sig_len, NULL, variant) != 0)
        return asig_remote_malformed(VAULT, v->sign_what, variant == B64 ? "signature is not base64"
                                                      : "signature is not base64url");
    return ARTSIG_OK;
}

static int vault_sign(uint8_t *sig, size_t *sig_len, const void *msg, size_t msg_len,
                      void *userdata)
{
    struct vault *v = userdata;
    json_object *req = sign_request(v, msg, msg_len), *root = NULL, *data = NULL;
    const char *body = req ? json_object_to_json_string_ext(req, JSON_FLAGS) : NULL;
    int rc = body ? vault_call(&root, &data, v, v->sign_what, v->sign_url, body)
                  : asig_fail(ARTSIG_ENOMEM, VAULT " sign request");
    if (rc == ARTSIG_OK)
        rc = sign_answer(sig, sig_len, v, data);
    asig_json_put_wiped(root);
    json_object_put(req);
    return rc;
}

/* ---- making the signer --------------------------------------------------- */

static void vault_free(void *userdata)
{
    struct vault *v = userdata;
    if (!v)
        return;
    asig_http_cleanup(&v->http);
    sodium_free(v->token_header);
    sodium_free(v->namespace_header);
    free(v->key_url);
    free(v->sign_url);
    free(v->read_what);
    free(v->sign_what);
    free(v);
}

static int vault_settings(struct vault *v, const char *name, const artsig_remote_config *cfg)
{
    int rc = asig_http_init(&v->http, VAULT, cfg, "VAULT_CACERT");
    if (rc == ARTSIG_OK)
        rc = asig_remote_number(&v->version, cfg, ARTSIG_REMOTE_KEY_VERSION, "VAULT_KEY_VERSION",
                                0);
    if (rc == ARTSIG_OK)
        rc = vault_urls(v, name, cfg);
    if (rc == ARTSIG_OK)
        rc = vault_headers(v, cfg);
    return rc;
}

int artsig_signer_new_vault_transit(artsig_signer **out, const char *key_name,
                                    const artsig_remote_config *cfg)
{
    if (!out || !key_name)
        return asig_fail(ARTSIG_EINVAL, "artsig_signer_new_vault_transit: NULL argument");
    *out = NULL;
    if (!path_valid(key_name, false)) {
        char shown[ASIG_SHOWN_MAX + 4];
        return asig_fail(ARTSIG_EINVAL, VAULT ": key name '%s' is not letters, digits, '.', '_' "
                         "and '-'", asig_printable(shown, key_name, strlen(key_name)));
    }
    int rc = asig_sodium_ready();
    if (rc != ARTSIG_OK)
        return rc;
    struct vault *v = calloc(1, sizeof *v);
    if (!v)
        return asig_fail(ARTSIG_ENOMEM, VAULT " signer");
    artsig_key *public_key = NULL;
    rc = vault_settings(v, key_name, cfg);
    if (rc == ARTSIG_OK)
        rc = key_read(&public_key, v);
    if (rc == ARTSIG_OK)
        rc = asig_signer_new_owned(out, v->type, public_key, vault_sign, v, vault_free, VAULT);
    artsig_key_free(public_key);
    if (rc != ARTSIG_OK)
        vault_free(v);
    return rc;
}
