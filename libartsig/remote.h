/* What the Cloud KMS and Vault signers share: their settings, one HTTPS
 * client with the rules every request follows, error answers, CRC32C. */
#ifndef ASIG_REMOTE_H
#define ASIG_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* Bodies larger than this are refused with ELIMIT (public keys, tokens and
 * signatures are a few KiB). */
#define ASIG_HTTP_BODY_MAX ((size_t)1 << 20)

/* One client of one service. `service` ("Cloud KMS", "Vault") starts every
 * error detail. Redirects are not followed (one could carry the token to
 * another host, or to plain http). */
struct asig_http {
    void *curl;
    const char *service;
    unsigned long timeout_s;
    char *ca_file;
};
/* timeout_s: seconds for a whole request; ca_file may be NULL (system
 * store). ENOMEM, or EREMOTE when libcurl cannot start. */
int asig_http_init(struct asig_http *h, const char *service, unsigned long timeout_s,
                   const char *ca_file);
void asig_http_cleanup(struct asig_http *h);

/* https://, or http:// to a loopback host (127.0.0.0/8, [::1], localhost),
 * or any http:// when `plain_ok`. Anything else is EINVAL naming `what`
 * (e.g. "ARTSIG_GCP_KMS_ENDPOINT"). */
int asig_http_url_allowed(const char *url, const char *what, bool plain_ok);

struct asig_http_answer {
    long status;
    char *body; /* NUL-terminated, `len` bytes before the NUL */
    size_t len;
};
/* One request: `method` "GET" or "POST", `headers` a NULL-terminated list of
 * "Name: value" lines (may hold a token: the library's own copies are
 * wiped), `body` sent as application/json when not NULL (unless the
 * headers name another Content-Type). `what` names the
 * call in details ("asymmetricSign"). Any HTTP status is a success here;
 * failures are ENETWORK (connection, TLS, timeout), ELIMIT, ENOMEM. The URL
 * must already have passed asig_http_url_allowed. */
int asig_http_call(struct asig_http_answer *out, struct asig_http *h, const char *what,
                   const char *method, const char *url, const char *const *headers,
                   const char *body);
/* Wipe and free the body (answers carry tokens). */
void asig_http_answer_clear(struct asig_http_answer *a);

/* For an answer whose status is not 2xx: 401 and 403 are EAUTH, 404
 * ENOTFOUND, anything else EREMOTE; the detail is "<service> <what>: HTTP
 * <code>" and the service's own message when the body is Google's
 * {"error":{"message":…}} or Vault's {"errors":[…]}. */
int asig_http_fail(const struct asig_http *h, const struct asig_http_answer *a, const char *what);
/* A 2xx answer's body as a JSON object (the caller puts it); EREMOTE
 * "<service> <what>: malformed answer (…)" otherwise. */
struct json_object;
int asig_http_json(struct json_object **out, const struct asig_http *h,
                   const struct asig_http_answer *a, const char *what);

/* CRC32C (Castagnoli), as Cloud KMS uses for integrity. */
uint32_t asig_crc32c(const void *data, size_t len);

/* A PEM public key from a service as an artsig_key whose type is `expect`;
 * EKEYUNSUPPORTED naming `service` when it is another. */
int asig_remote_public_key(artsig_key **out, const char *service, const char *pem,
                           artsig_key_type expect);

#endif
