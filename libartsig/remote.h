/* What the Cloud KMS and Vault signers share: their settings, one HTTPS
 * client with the rules every request follows, error answers, CRC32C. */
#ifndef ASIG_REMOTE_H
#define ASIG_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json_types.h>

#include "internal.h"

/* A setting: the value set in `cfg` (may be NULL), else $`env` (env may be
 * NULL: none), else `fallback` (may be NULL). *out is a copy to free() (wipe
 * it first if it is a secret), or NULL when there is no value. ENOMEM. */
int asig_remote_setting(char **out, const artsig_remote_config *cfg, artsig_remote_option option,
                        const char *env, const char *fallback);
/* A numeric setting (ARTSIG_REMOTE_TIMEOUT, ARTSIG_REMOTE_KEY_VERSION) with
 * the same precedence; 0 when there is none and `fallback` is 0. EINVAL,
 * naming the variable, when the environment's value is not a number in
 * the option's range. */
int asig_remote_number(unsigned long *out, const artsig_remote_config *cfg,
                       artsig_remote_option option, const char *env, unsigned long fallback);

/* The service's base URL: the setting as asig_remote_setting gives it,
 * without trailing '/', checked with asig_http_url_allowed (plain http only
 * to loopback). A refusal names `env`, or the option when the value was set
 * in `cfg`. */
int asig_remote_endpoint(char **out, const artsig_remote_config *cfg, const char *env,
                         const char *fallback);

/* Bodies larger than this are refused with ELIMIT (public keys, tokens and
 * signatures are a few KiB). */
#define ASIG_HTTP_BODY_MAX ((size_t)1 << 20)

/* One client of one service. `service` ("Cloud KMS", "Vault") starts every
 * error detail. Redirects are not followed (one could carry the token to
 * another host, or to plain http). Each call has a libcurl handle of its
 * own, and libcurl wipes what it frees (when the library is the first in
 * the process to start it). */
struct asig_http {
    const char *service;
    unsigned long timeout_s;
    char *ca_file;
};
/* A client with the timeout (ARTSIG_REMOTE_TIMEOUT) and the CA file
 * (ARTSIG_REMOTE_CA_FILE, else $`ca_env`, which may be NULL; else the system
 * store) of `cfg`. EINVAL, ENOMEM, or EREMOTE when libcurl cannot start. */
int asig_http_init(struct asig_http *h, const char *service, const artsig_remote_config *cfg,
                   const char *ca_env);
void asig_http_cleanup(struct asig_http *h);

/* https://, or http:// to a loopback host (127.0.0.0/8, [::1], localhost),
 * or any http:// when `plain_ok`. Anything else is EINVAL naming `what`
 * (e.g. "ARTSIG_GCP_KMS_ENDPOINT"). */
int asig_http_url_allowed(const char *url, const char *what, bool plain_ok);

/* Whether `len` bytes are fit for a header value such as a token: visible
 * ASCII only, as a space or control character could start another header. */
bool asig_http_token_text(const char *s, size_t len);

/* One request: `method` "GET" or "POST", `headers` a NULL-terminated list
 * of "Name: value" lines (may hold a token: the library's own copies are
 * wiped; a line with CR or LF is refused with EINVAL), `body` sent as
 * application/json when not NULL (unless the headers name another
 * Content-Type). `what` names the call in details ("asymmetricSign"). The
 * URL must already have passed asig_http_url_allowed. The answer must be
 * 2xx and one JSON object (the caller puts *out with asig_json_put_wiped). Failures: ENETWORK
 * (connection, TLS, timeout), ELIMIT, ENOMEM; for any other status: 401
 * and 403, or an OAuth error such as invalid_grant, are EAUTH, 404
 * ENOTFOUND, anything else EREMOTE, with the detail "<service> <what>: HTTP
 * <code>" and the service's own message from Google's
 * {"error":{"message":…}}, OAuth's {"error_description":…} or Vault's
 * {"errors":[…]}. A body that is not one JSON object is EREMOTE
 * "<service> <what>: malformed answer (…)". */
int asig_http_call_json(json_object **out, struct asig_http *h, const char *what,
                        const char *method, const char *url, const char *const *headers,
                        const char *body);

/* `prefix` and then `len` bytes of `value`, NUL-terminated, in libsodium's
 * guarded memory, which is left out of core dumps and wiped when freed: a
 * header line that holds a token ("X-Vault-Token: …"). sodium_free() it;
 * NULL when out of memory. */
char *asig_secret_join(const char *prefix, const char *value, size_t len);

/* text[0..len) as one JSON object, which may hold secrets: none of json-c's
 * copies of its strings is freed unwiped, as long as the tree is put with
 * asig_json_put_wiped. NULL, with *why the reason, when it is not one JSON
 * object or memory runs out. */
json_object *asig_json_parse_secret(const char *text, size_t len, const char **why);
/* Wipe every string in the tree `v` (may be NULL), then put it. */
void asig_json_put_wiped(json_object *v);

/* obj[key] when it is of `type`, else NULL. */
json_object *asig_json_member(json_object *obj, const char *key, json_type type);
/* EREMOTE "<service> <what>: malformed answer (<why>)". */
int asig_remote_malformed(const char *service, const char *what, const char *why);

/* CRC32C (Castagnoli), as Cloud KMS uses for integrity. */
uint32_t asig_crc32c(const void *data, size_t len);

/* A PEM public key from a service as an artsig_key whose type is `expect`;
 * EKEYUNSUPPORTED naming `service` when it is another. */
int asig_remote_public_key(artsig_key **out, const char *service, const char *pem,
                           artsig_key_type expect);

#endif
