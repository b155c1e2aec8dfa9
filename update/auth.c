/* The device's side of authentication (../shared/SERVER.md 1): its identity,
 * from the identity script, and its key, which the server knows it by. A
 * device that migrates from the Mender client keeps both: the same identity
 * text byte for byte (the server keys a device by the SHA-256 of id_data)
 * and the same mender-agent.pem, whatever form 3.4 or 5.x wrote it in. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>

#include "update.h"

#define AGENT_KEY_FILE "mender-agent.pem"
/* What an identity or inventory script may print, and how long it may take. */
#define KEYVALUE_OUTPUT_MAX (64 * 1024)
#define KEYVALUE_TIMEOUT_S 60

/* ---- key=value programs: the identity script, mender-inventory-* ---- */

/* One value under `key`; a key seen again turns into a list (Mender's
 * KeyValParser). */
static int add_value(json_object *into, const char *key, const char *value)
{
    json_object *old = NULL, *v = json_object_new_string(value);
    if (!v)
        return upd_fail("out of memory");
    if (!json_object_object_get_ex(into, key, &old))
        return json_object_object_add(into, key, v) == 0 ? UPD_EXIT_OK : upd_fail("out of memory");
    if (!json_object_is_type(old, json_type_array)) {
        json_object *list = json_object_new_array();
        if (!list || json_object_array_add(list, json_object_get(old)) != 0 ||
            json_object_object_add(into, key, list) != 0) {
            json_object_put(v);
            return upd_fail("out of memory");
        }
        old = list;
    }
    if (json_object_array_add(old, v) != 0) {
        json_object_put(v);
        return upd_fail("out of memory");
    }
    return UPD_EXIT_OK;
}

/* As Mender 3.4's KeyValParser: lines as Go's bufio.Scanner splits them (a
 * "\r\n" ends one too), empty lines skipped, each split at its first '='
 * with nothing trimmed (" k = v " is key " k ", value " v "), a line
 * without '=' an error. */
static int parse_keyvalues(json_object *into, char *text, const char *program)
{
    int rc = UPD_EXIT_OK;
    for (char *line = text, *next; rc == UPD_EXIT_OK && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        if (!len)
            continue;
        char *eq = strchr(line, '=');
        if (!eq)
            return upd_fail("%s: the line \"%.64s\" is not key=value", program, line);
        *eq = '\0';
        rc = add_value(into, line, eq + 1);
    }
    return rc;
}

int upd_keyvalues_run(json_object *into, const char *program)
{
    char *argv[] = {(char *)program, NULL};
    struct upd_child child;
    int err = upd_child_start(&child, argv, NULL, true, KEYVALUE_TIMEOUT_S);
    if (err)
        return upd_fail("%s: cannot run it: %s", program, strerror(err));
    /* Room for one byte beyond the limit, and the terminator: output cut
     * short at the limit would otherwise pass for all of it. */
    char *out = malloc(KEYVALUE_OUTPUT_MAX + 2);
    if (!out) {
        upd_child_stop(&child, 0);
        return upd_fail("out of memory");
    }
    size_t len = upd_child_wait(&child, out, KEYVALUE_OUTPUT_MAX + 2);
    char why[128];
    int rc = UPD_EXIT_OK;
    if (upd_child_failure(&child, why, sizeof why))
        rc = upd_fail("%s: %s", program, why);
    else if (len > KEYVALUE_OUTPUT_MAX)
        rc = upd_fail("%s: more than %d bytes of output", program, KEYVALUE_OUTPUT_MAX);
    else if (strlen(out) != len)
        rc = upd_fail("%s: a NUL byte in its output", program);
    else
        rc = parse_keyvalues(into, out, program);
    free(out);
    return rc;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The length of the well-formed UTF-8 sequence at s (Unicode's table 3-7:
 * no overlong forms, no surrogates, nothing past U+10FFFF), 0 if none
 * starts there: the sequences Go's utf8.DecodeRune accepts. */
static size_t utf8_sequence_length(const unsigned char *s, size_t left)
{
    size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
    unsigned char low = 0x80, high = 0xbf; /* the second byte's range */
    if (s[0] < 0xc2 || s[0] > 0xf4 || left < n)
        return 0;
    if (s[0] == 0xe0)
        low = 0xa0;
    else if (s[0] == 0xed)
        high = 0x9f;
    else if (s[0] == 0xf0)
        low = 0x90;
    else if (s[0] == 0xf4)
        high = 0x8f;
    if (s[1] < low || s[1] > high)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

/* A string as Go 1.19's encoding/json writes it (encodeState.string with
 * HTML escaping, as json.Marshal does), which json-c cannot be told to do:
 * <, > and & as \u003c, \u003e, \u0026; control characters as \n, \r, \t
 * or \u00xx; U+2028 and U+2029 escaped; each byte of ill-formed UTF-8 as
 * \ufffd; DEL and everything else as it is. Only for the identity, whose
 * bytes the server hashes; the differential test holds it to Go's. */
static void write_go_string(FILE *out, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    fputc('"', out);
    for (size_t i = 0, n; i < len; i += n) {
        n = s[i] < 0x80 ? 1 : utf8_sequence_length(s + i, len - i);
        if (n == 0) {
            fputs("\\ufffd", out);
            n = 1;
        } else if (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
                   (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
            fputs(s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", out);
        else if (s[i] == '"' || s[i] == '\\')
            fprintf(out, "\\%c", s[i]);
        else if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
            fputs(s[i] == '\n' ? "\\n" : s[i] == '\r' ? "\\r" : "\\t", out);
        else if (s[i] < 0x20 || s[i] == '<' || s[i] == '>' || s[i] == '&')
            fprintf(out, "\\u%04x", s[i]);
        else
            fwrite(s + i, 1, n, out);
    }
    fputc('"', out);
}

static void write_go_value(FILE *out, json_object *value)
{
    if (!json_object_is_type(value, json_type_array)) {
        write_go_string(out, json_object_get_string(value),
                        (size_t)json_object_get_string_len(value));
        return;
    }
    fputc('[', out);
    for (size_t i = 0; i < json_object_array_length(value); i++) {
        if (i)
            fputc(',', out);
        write_go_value(out, json_object_array_get_idx(value, i));
    }
    fputc(']', out);
}

/* The identity as the Mender client sends it: Go's json.Marshal of a map
 * of strings and lists of strings, so keys sorted by their bytes, no
 * spaces, a single value as a string and several as a list. */
static int write_identity(char **out, json_object *identity)
{
    size_t n = (size_t)json_object_object_length(identity), i = 0, size;
    const char **keys = malloc(n * sizeof *keys);
    FILE *text = keys ? open_memstream(out, &size) : NULL;
    if (!text) {
        free(keys);
        return upd_fail("out of memory");
    }
    json_object_object_foreach(identity, key, value) {
        (void)value;
        keys[i++] = key;
    }
    qsort(keys, n, sizeof *keys, compare_strings);
    fputc('{', text);
    for (i = 0; i < n; i++) {
        if (i)
            fputc(',', text);
        write_go_string(text, keys[i], strlen(keys[i]));
        fputc(':', text);
        write_go_value(text, json_object_object_get(identity, keys[i]));
    }
    fputc('}', text);
    bool failed = ferror(text);
    free(keys);
    if (fclose(text) != 0 || failed) {
        free(*out);
        *out = NULL;
        return upd_fail("out of memory");
    }
    return UPD_EXIT_OK;
}

static int identity_json(char **out, const struct upd_config *cfg)
{
    json_object *identity = json_object_new_object();
    int rc = identity ? upd_keyvalues_run(identity, cfg->identity_script)
                      : upd_fail("out of memory");
    if (rc == UPD_EXIT_OK && json_object_object_length(identity) == 0)
        rc = upd_fail("%s: no identity data in its output", cfg->identity_script);
    if (rc == UPD_EXIT_OK)
        rc = write_identity(out, identity);
    json_object_put(identity);
    return rc;
}

/* ---- the device key ---- */

/* The key and the signer for it, with its public half as PEM SPKI. */
struct device_key {
    artsig_signer *signer;
    char *public_pem;
};

static void device_key_free(struct device_key *k)
{
    artsig_signer_free(k->signer);
    artsig_free(k->public_pem);
}

static const char *artsig_detail(int st)
{
    const char *detail = artsig_last_error();
    return *detail ? detail : artsig_strerror(st);
}

/* A key in a token (the device's TPM or secure element), through PKCS#11:
 * the private half never leaves it. The URI is not shown: it may hold a
 * PIN. */
static int token_key(struct device_key *k, const char *uri)
{
    artsig_key *pub = NULL;
    size_t len;
    int st = artsig_signer_new_pkcs11(&k->signer, uri, NULL, NULL);
    if (st == ARTSIG_OK)
        st = artsig_key_load_pkcs11(&pub, uri, NULL, NULL);
    if (st == ARTSIG_OK)
        st = artsig_key_export(&k->public_pem, &len, pub, ARTSIG_EXPORT_PUBLIC_SPKI_PEM);
    artsig_key_free(pub);
    if (st != ARTSIG_OK)
        return upd_fail("device key (a PKCS#11 URI): %s", artsig_detail(st));
    return UPD_EXIT_OK;
}

/* A fresh mender-agent.pem, as the Mender client makes one at its first
 * authentication: RSA 3072 (3.4, 4.x), or Ed25519 (5.x) when configured. */
static int generate_key(artsig_key **key, const struct upd_config *cfg, const char *data_dir)
{
    char *pem = NULL;
    size_t len = 0;
    int st = artsig_key_generate(key, cfg->auth_key_type);
    if (st == ARTSIG_OK)
        st = artsig_key_export(&pem, &len, *key, ARTSIG_EXPORT_PRIVATE_PKCS8_PEM);
    if (st != ARTSIG_OK)
        return upd_fail("device key: cannot make one: %s", artsig_detail(st));
    int rc = upd_write_private(data_dir, AGENT_KEY_FILE, pem, len);
    artsig_key_free_pem(pem, len);
    if (rc == UPD_EXIT_OK)
        upd_info("made the device key %s/%s (%s)", data_dir, AGENT_KEY_FILE,
                 artsig_key_type_name(cfg->auth_key_type));
    return rc;
}

/* Security.AuthPrivateKey, else HttpsClient.Key (as 3.4: the TLS client key
 * signs too), else DATA_DIR/mender-agent.pem, made when absent. A
 * configured key must exist: making one in its place would give the device
 * a new identity behind its owner's back. */
static int load_device_key(struct device_key *k, const struct upd_config *cfg,
                           const char *data_dir)
{
    memset(k, 0, sizeof *k);
    const char *configured = cfg->auth_private_key ? cfg->auth_private_key : cfg->client_key;
    if (configured && artsig_is_pkcs11_uri(configured))
        return token_key(k, configured);
    char agent[4096];
    if ((size_t)snprintf(agent, sizeof agent, "%s/%s", data_dir, AGENT_KEY_FILE) >= sizeof agent)
        return upd_fail("%s: path too long", data_dir);
    const char *path = configured ? configured : agent;
    artsig_key *key = NULL;
    int rc = UPD_EXIT_OK;
    int st = artsig_key_load_file(&key, path, NULL, NULL);
    if (st == ARTSIG_OK && !artsig_key_is_private(key))
        rc = upd_fail("device key %s: a public key; the device signs with its private key", path);
    else if (st != ARTSIG_OK && !configured && access(path, F_OK) != 0 && errno == ENOENT)
        rc = generate_key(&key, cfg, data_dir);
    else if (st != ARTSIG_OK)
        rc = upd_fail("device key %s: %s", path, artsig_detail(st));
    size_t len;
    if (rc == UPD_EXIT_OK && (st = artsig_signer_new_key(&k->signer, key)) == ARTSIG_OK)
        st = artsig_key_export(&k->public_pem, &len, key, ARTSIG_EXPORT_PUBLIC_SPKI_PEM);
    if (rc == UPD_EXIT_OK && st != ARTSIG_OK)
        rc = upd_fail("device key %s: %s", path, artsig_detail(st));
    artsig_key_free(key);
    if (rc != UPD_EXIT_OK)
        device_key_free(k);
    return rc;
}

/* ECDSA as the server checks it (deviceauth's VerifyAuthReqSign:
 * asn1.Unmarshal into {R, S}), and as 3.4 signs (OpenSSL's DER): the
 * library's r||s becomes a DER ECDSA-Sig-Value. */
static int ecdsa_to_der(uint8_t *sig, size_t *len)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)(*len / 2), NULL), *s = BN_bin2bn(sig + *len / 2,
                                                                       (int)(*len / 2), NULL);
    unsigned char *der = NULL;
    int n = -1;
    if (es && r && s && ECDSA_SIG_set0(es, r, s)) {
        r = s = NULL; /* es owns them */
        n = i2d_ECDSA_SIG(es, &der);
    }
    int rc = n > 0 && (size_t)n <= ARTSIG_SIGNATURE_MAX ? UPD_EXIT_OK : upd_fail("out of memory");
    if (rc == UPD_EXIT_OK) {
        memcpy(sig, der, (size_t)n);
        *len = (size_t)n;
    }
    OPENSSL_free(der);
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return rc;
}

/* The signature of the exact body, base64 for X-MEN-Signature. */
static int sign_body(char signature[ARTSIG_SIGNATURE_B64_MAX], artsig_signer *signer,
                     const char *body, size_t len)
{
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t sig_len = sizeof sig;
    int st = artsig_signer_sign(sig, &sig_len, signer, body, len);
    if (st != ARTSIG_OK)
        return upd_fail("device key: cannot sign the auth request: %s", artsig_detail(st));
    int rc = artsig_signer_type(signer) == ARTSIG_KEY_ECDSA_P256 ? ecdsa_to_der(sig, &sig_len)
                                                                  : UPD_EXIT_OK;
    if (rc == UPD_EXIT_OK && artsig_signature_encode(signature, sig, sig_len) != ARTSIG_OK)
        rc = upd_fail("out of memory");
    return rc;
}

/* The body as 3.4's AuthReqData through json.Encoder: id_data,
 * tenant_token, pubkey, then a newline. */
static int auth_body(char **body, size_t *len, const char *id_data, const char *tenant_token,
                     const char *public_pem)
{
    json_object *obj = json_object_new_object();
    const char *text = NULL;
    if (obj && json_object_object_add(obj, "id_data", json_object_new_string(id_data)) == 0 &&
        json_object_object_add(obj, "tenant_token", json_object_new_string(tenant_token)) == 0 &&
        json_object_object_add(obj, "pubkey", json_object_new_string(public_pem)) == 0)
        text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE);
    int rc = text && asprintf(body, "%s\n", text) >= 0 ? UPD_EXIT_OK : upd_fail("out of memory");
    if (rc == UPD_EXIT_OK)
        *len = strlen(*body);
    else
        *body = NULL;
    json_object_put(obj);
    return rc;
}

int upd_auth_request(struct upd_auth_request *req, const struct upd_config *cfg,
                     const char *data_dir)
{
    memset(req, 0, sizeof *req);
    char *id_data = NULL;
    struct device_key key = {0};
    int rc = identity_json(&id_data, cfg);
    if (rc == UPD_EXIT_OK)
        rc = load_device_key(&key, cfg, data_dir);
    if (rc == UPD_EXIT_OK)
        rc = auth_body(&req->body, &req->len, id_data, cfg->tenant_token, key.public_pem);
    if (rc == UPD_EXIT_OK)
        rc = sign_body(req->signature, key.signer, req->body, req->len);
    if (rc == UPD_EXIT_OK)
        upd_debug("auth request for %s", id_data);
    device_key_free(&key);
    free(id_data);
    if (rc != UPD_EXIT_OK)
        upd_auth_request_free(req);
    return rc;
}

void upd_auth_request_free(struct upd_auth_request *req)
{
    if (req->body)
        OPENSSL_cleanse(req->body, req->len); /* it holds the tenant token */
    free(req->body);
    memset(req, 0, sizeof *req);
}
