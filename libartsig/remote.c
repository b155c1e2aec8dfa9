/* Settings and the HTTPS client of the remote signers (Cloud KMS, Vault). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <isa-l/crc.h>
#include <json-c/json.h>
#include <json-c/printbuf.h>
#include <openssl/ssl.h>
#include <sodium.h>

#include "remote.h"

#define OPTION_COUNT (ARTSIG_REMOTE_TIMEOUT + 1)
#define TIMEOUT_MAX 3600
#define DEFAULT_TIMEOUT_S 30
#define HEADERS_MAX 8

struct artsig_remote_config {
    char *value[OPTION_COUNT];
};

/* Numbers are checked when they are set, so that a typo fails where it was
 * made rather than at the first request. */
static int parse_number(unsigned long *out, artsig_remote_option option, const char *text)
{
    unsigned long max = option == ARTSIG_REMOTE_TIMEOUT ? TIMEOUT_MAX : UINT32_MAX;
    char *end;
    errno = 0;
    unsigned long v = text[0] >= '0' && text[0] <= '9' ? strtoul(text, &end, 10) : 0;
    if (v == 0 || errno || *end || v > max)
        return ARTSIG_EINVAL;
    *out = v;
    return ARTSIG_OK;
}

static bool numeric(artsig_remote_option option)
{
    return option == ARTSIG_REMOTE_TIMEOUT || option == ARTSIG_REMOTE_KEY_VERSION;
}

int artsig_remote_config_new(artsig_remote_config **out)
{
    if (!out)
        return asig_fail(ARTSIG_EINVAL, "artsig_remote_config_new: NULL argument");
    *out = calloc(1, sizeof **out);
    return *out ? ARTSIG_OK : asig_fail(ARTSIG_ENOMEM, "new remote configuration");
}

void artsig_remote_config_free(artsig_remote_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < OPTION_COUNT; i++)
        asig_wipe_free(cfg->value[i]);
    free(cfg);
}

int artsig_remote_config_set(artsig_remote_config *cfg, artsig_remote_option option,
                             const char *value)
{
    if (!cfg)
        return asig_fail(ARTSIG_EINVAL, "artsig_remote_config_set: NULL configuration");
    if ((unsigned)option >= OPTION_COUNT)
        return asig_fail(ARTSIG_EINVAL, "unknown remote signer option %d", (int)option);
    unsigned long n;
    if (value && numeric(option) && parse_number(&n, option, value) != ARTSIG_OK)
        return asig_fail(ARTSIG_EINVAL, "%s is not a number from 1 to %lu",
                         option == ARTSIG_REMOTE_TIMEOUT ? "timeout" : "key version",
                         option == ARTSIG_REMOTE_TIMEOUT ? (unsigned long)TIMEOUT_MAX
                                                         : (unsigned long)UINT32_MAX);
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return asig_fail(ARTSIG_ENOMEM, "remote signer option");
    asig_wipe_free(cfg->value[option]);
    cfg->value[option] = copy;
    return ARTSIG_OK;
}

static const char *setting(const artsig_remote_config *cfg, artsig_remote_option option,
                           const char *env)
{
    if (cfg && cfg->value[option])
        return cfg->value[option];
    const char *v = env ? getenv(env) : NULL;
    /* An empty variable is how shells unset a setting for one command. */
    return v && *v ? v : NULL;
}

int asig_remote_setting(char **out, const artsig_remote_config *cfg, artsig_remote_option option,
                        const char *env, const char *fallback)
{
    const char *v = setting(cfg, option, env);
    if (!v)
        v = fallback;
    *out = NULL;
    if (v && !(*out = strdup(v)))
        return asig_fail(ARTSIG_ENOMEM, "remote signer setting");
    return ARTSIG_OK;
}

int asig_remote_endpoint(char **out, const artsig_remote_config *cfg, const char *env,
                         const char *fallback)
{
    int rc = asig_remote_setting(out, cfg, ARTSIG_REMOTE_ENDPOINT, env, fallback);
    if (rc != ARTSIG_OK || !*out)
        return rc;
    size_t len = strlen(*out);
    while (len > 0 && (*out)[len - 1] == '/')
        (*out)[--len] = '\0';
    rc = asig_http_url_allowed(*out, cfg && cfg->value[ARTSIG_REMOTE_ENDPOINT]
                                         ? "the endpoint" : env, false);
    if (rc != ARTSIG_OK) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

int asig_remote_number(unsigned long *out, const artsig_remote_config *cfg,
                       artsig_remote_option option, const char *env, unsigned long fallback)
{
    const char *v = setting(cfg, option, env);
    *out = fallback;
    if (v && parse_number(out, option, v) != ARTSIG_OK)
        return asig_fail(ARTSIG_EINVAL, "%s=%s is not a number from 1 to %lu", env, v,
                         option == ARTSIG_REMOTE_TIMEOUT ? (unsigned long)TIMEOUT_MAX
                                                         : (unsigned long)UINT32_MAX);
    return ARTSIG_OK;
}

/* libcurl copies a request's headers (a token among them) and its body
 * into buffers of its own, and reads answers into another; it frees them
 * unwiped. Its allocator, which can be chosen only before its first use in
 * the process, wipes every block it frees. An application that started
 * libcurl before the first remote signer keeps its own allocator. */
static void wiped_free(void *p)
{
    if (p) {
        sodium_memzero(p, malloc_usable_size(p));
        free(p);
    }
}

static void *wiped_realloc(void *p, size_t size)
{
    if (!p)
        return malloc(size);
    void *grown = malloc(size ? size : 1);
    if (grown) {
        size_t used = malloc_usable_size(p);
        memcpy(grown, p, used < size ? used : size);
        wiped_free(p);
    }
    return grown;
}

static CURLcode curl_started = CURLE_FAILED_INIT;

static void curl_start(void)
{
    curl_started = curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, wiped_free, wiped_realloc,
                                        strdup, calloc);
}

int asig_http_init(struct asig_http *h, const char *service, const artsig_remote_config *cfg,
                   const char *ca_env)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    *h = (struct asig_http){service, 0, NULL};
    int rc = asig_remote_number(&h->timeout_s, cfg, ARTSIG_REMOTE_TIMEOUT,
                                "ARTSIG_REMOTE_TIMEOUT", DEFAULT_TIMEOUT_S);
    if (rc == ARTSIG_OK)
        rc = asig_remote_setting(&h->ca_file, cfg, ARTSIG_REMOTE_CA_FILE, ca_env, NULL);
    pthread_once(&once, curl_start);
    if (rc == ARTSIG_OK && curl_started != CURLE_OK)
        rc = asig_fail(ARTSIG_EREMOTE, "%s: libcurl cannot start", service);
    if (rc != ARTSIG_OK)
        asig_http_cleanup(h);
    return rc;
}

void asig_http_cleanup(struct asig_http *h)
{
    free(h->ca_file);
    h->ca_file = NULL;
}

char *asig_secret_join(const char *prefix, const char *value, size_t len)
{
    size_t n = strlen(prefix);
    char *joined = sodium_malloc(n + len + 1);
    if (joined) {
        memcpy(joined, prefix, n);
        memcpy(joined + n, value, len);
        joined[n + len] = '\0';
    }
    return joined;
}

static bool loopback_host(const char *host)
{
    if (strcasecmp(host, "localhost") == 0)
        return true;
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    char bare[INET6_ADDRSTRLEN];
    size_t len = strlen(host);
    struct in6_addr v6;
    if (len < 3 || len - 2 >= sizeof bare || host[0] != '[' || host[len - 1] != ']')
        return false;
    memcpy(bare, host + 1, len - 2);
    bare[len - 2] = '\0';
    return inet_pton(AF_INET6, bare, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

int asig_http_url_allowed(const char *url, const char *what, bool plain_ok)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    if (!u)
        return asig_fail(ARTSIG_ENOMEM, "%s", what);
    int rc = ARTSIG_OK;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        rc = asig_fail(ARTSIG_EINVAL, "%s is not a URL", what);
    else if (strcmp(scheme, "https") != 0 &&
             !(strcmp(scheme, "http") == 0 && (plain_ok || loopback_host(host))))
        rc = asig_fail(ARTSIG_EINVAL, "%s must be an https:// URL (plain http only to a loopback "
                       "address, as the token would travel in the clear)", what);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

bool asig_http_token_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return len > 0;
}

struct answer {
    long status;
    char *body; /* NUL-terminated, `len` bytes before the NUL */
    size_t len;
};

/* The body grows by whole copies so that no freed block keeps a token; it
 * lives in libsodium's guarded memory, left out of core dumps. */
struct sink {
    struct answer *a;
    size_t cap;
    bool too_big;
};

static size_t sink_write(char *data, size_t size, size_t n, void *userdata)
{
    struct sink *s = userdata;
    size_t len = size * n;
    if (len > ASIG_HTTP_BODY_MAX - s->a->len) {
        s->too_big = true;
        return 0;
    }
    if (s->a->len + len + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->a->len + len + 1)
            cap *= 2;
        char *grown = sodium_malloc(cap);
        if (!grown)
            return 0;
        if (s->a->body) {
            memcpy(grown, s->a->body, s->a->len);
            sodium_free(s->a->body);
        }
        s->a->body = grown;
        s->cap = cap;
    }
    memcpy(s->a->body + s->a->len, data, len);
    s->a->len += len;
    s->a->body[s->a->len] = '\0';
    return len;
}

static void answer_clear(struct answer *a)
{
    sodium_free(a->body);
    *a = (struct answer){0, NULL, 0};
}

/* OpenSSL keeps a TLS record's plaintext in its read buffer until the next
 * record overwrites it: an answer carrying a token would stay there after the
 * library wiped its own copy. Only OpenSSL builds of libcurl call this. */
static CURLcode cleanse_plaintext(CURL *c, void *ssl_ctx, void *userdata)
{
    (void)c;
    (void)userdata;
    SSL_CTX_set_options(ssl_ctx, SSL_OP_CLEANSE_PLAINTEXT);
    return CURLE_OK;
}

static int http_call(struct answer *out, struct asig_http *h, const char *what,
                     const char *method, const char *url, const char *const *headers,
                     const char *body)
{
    *out = (struct answer){0, NULL, 0};
    /* The list is built here rather than with curl_slist_append, which would
     * keep unwiped copies of a token. */
    struct curl_slist list[HEADERS_MAX + 1];
    struct curl_slist *first = NULL, **link = &first;
    bool typed = false;
    size_t n = 0;
    for (; headers && headers[n]; n++) {
        if (n == HEADERS_MAX)
            return asig_fail(ARTSIG_EINVAL, "%s %s: too many headers", h->service, what);
        if (strpbrk(headers[n], "\r\n"))
            return asig_fail(ARTSIG_EINVAL, "%s %s: a header line holds a line break",
                             h->service, what);
        typed |= strncasecmp(headers[n], "Content-Type:", 13) == 0;
        list[n] = (struct curl_slist){(char *)headers[n], NULL};
        *link = &list[n];
        link = &list[n].next;
    }
    if (body && !typed) {
        list[n] = (struct curl_slist){(char *)"Content-Type: application/json", NULL};
        *link = &list[n];
    }

    /* A handle for each call: what it keeps of one answer (its download
     * buffer) is wiped when it goes, not kept into the next call. */
    CURL *c = curl_easy_init();
    if (!c)
        return asig_fail(ARTSIG_ENOMEM, "%s %s: libcurl handle", h->service, what);
    char error[CURL_ERROR_SIZE] = "";
    struct sink sink = {out, 0, false};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)h->timeout_s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "libartsig/" ARTSIG_VERSION_STRING);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, first);
    curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, cleanse_plaintext);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    if (h->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (strcmp(method, body ? "POST" : "GET") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);

    CURLcode res = curl_easy_perform(c);
    if (res == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_cleanup(c);
    if (res == CURLE_OK) {
        if (!out->body && (out->body = sodium_malloc(1)))
            out->body[0] = '\0';
        if (out->body)
            return ARTSIG_OK;
        res = CURLE_OUT_OF_MEMORY;
    }
    int rc;
    if (sink.too_big)
        rc = asig_fail(ARTSIG_ELIMIT, "%s %s: answer larger than %zu bytes", h->service, what,
                       ASIG_HTTP_BODY_MAX);
    else if (res == CURLE_OUT_OF_MEMORY || res == CURLE_WRITE_ERROR)
        rc = asig_fail(ARTSIG_ENOMEM, "%s %s: answer", h->service, what);
    else
        rc = asig_fail(ARTSIG_ENETWORK, "%s %s: %s", h->service, what,
                       *error ? error : curl_easy_strerror(res));
    answer_clear(out);
    return rc;
}

/* The service's own words: Google's error.message, OAuth's
 * error_description (or its error code), or Vault's errors[] (joined by
 * "; "). NULL when the body has none of them. */
static const char *service_message(json_object *root, char *buf, size_t size)
{
    json_object *err = asig_json_member(root, "error", json_type_object), *v;
    if (err && (v = asig_json_member(err, "message", json_type_string)))
        return json_object_get_string(v);
    if ((v = asig_json_member(root, "error_description", json_type_string)) ||
        (v = asig_json_member(root, "error", json_type_string)))
        return json_object_get_string(v);
    err = asig_json_member(root, "errors", json_type_array);
    if (!err || json_object_array_length(err) == 0)
        return NULL;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < json_object_array_length(err) && used < size; i++) {
        const char *s = json_object_get_string(json_object_array_get_idx(err, i));
        int w = snprintf(buf + used, size - used, "%s%s", i ? "; " : "", s ? s : "");
        used += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

#define MESSAGE_SHOWN_MAX 200

/* An answer whose status is not 2xx, as the status it maps to. An OAuth
 * token endpoint refuses bad credentials with 400 and {"error":"invalid_…"}. */
static int http_fail(const struct asig_http *h, const struct answer *a,
                     const char *what)
{
    const char *why;
    json_object *root = asig_json_parse_secret(a->body, a->len, &why);
    bool oauth = asig_json_member(root, "error", json_type_string) != NULL;
    int status = a->status == 401 || a->status == 403 || (a->status == 400 && oauth)
                     ? ARTSIG_EAUTH
                 : a->status == 404 ? ARTSIG_ENOTFOUND
                                    : ARTSIG_EREMOTE;
    char joined[MESSAGE_SHOWN_MAX + 1], shown[MESSAGE_SHOWN_MAX + 4];
    const char *msg = root ? service_message(root, joined, sizeof joined) : NULL;
    if (msg && *msg)
        asig_fail(status, "%s %s: HTTP %ld: %s", h->service, what, a->status,
                  asig_printable_cut(shown, MESSAGE_SHOWN_MAX, msg, strlen(msg)));
    else
        asig_fail(status, "%s %s: HTTP %ld", h->service, what, a->status);
    asig_json_put_wiped(root);
    return status;
}

/* json-c reads each string into its tokener's buffer, which it grows by
 * realloc, leaving the old blocks unwiped, and frees unwiped; it then keeps
 * a copy in each string object. The buffer is made large enough for any
 * string of the text before parsing, so that it never moves, and wiped
 * before the tokener goes; the tree's strings are wiped by
 * asig_json_put_wiped. */
json_object *asig_json_parse_secret(const char *text, size_t len, const char **why)
{
    *why = "out of memory";
    json_tokener *tok = len < INT_MAX - 16 ? json_tokener_new() : NULL;
    if (!tok || printbuf_memset(tok->pb, 0, 0, (int)len + 16) < 0) {
        json_tokener_free(tok);
        return NULL;
    }
    printbuf_reset(tok->pb);
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    sodium_memzero(tok->pb->buf, (size_t)tok->pb->size);
    json_tokener_free(tok);
    if (root && jerr == json_tokener_success && end == len &&
        json_object_is_type(root, json_type_object))
        return root;
    *why = root && jerr == json_tokener_success ? "not one JSON object"
                                                : json_tokener_error_desc(jerr);
    asig_json_put_wiped(root);
    return NULL;
}

void asig_json_put_wiped(json_object *v)
{
    if (json_object_is_type(v, json_type_string)) {
        sodium_memzero((char *)json_object_get_string(v), (size_t)json_object_get_string_len(v));
    } else if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++)
            asig_json_put_wiped(json_object_get(json_object_array_get_idx(v, i)));
    } else if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, key, member) {
            (void)key;
            asig_json_put_wiped(json_object_get(member));
        }
    }
    json_object_put(v);
}

static int answer_json(json_object **out, const struct asig_http *h,
                       const struct answer *a, const char *what)
{
    *out = NULL;
    if (a->status < 200 || a->status > 299)
        return http_fail(h, a, what);
    const char *why;
    *out = asig_json_parse_secret(a->body, a->len, &why);
    return *out ? ARTSIG_OK : asig_remote_malformed(h->service, what, why);
}

int asig_http_call_json(json_object **out, struct asig_http *h, const char *what,
                        const char *method, const char *url, const char *const *headers,
                        const char *body)
{
    struct answer a;
    *out = NULL;
    int rc = http_call(&a, h, what, method, url, headers, body);
    if (rc == ARTSIG_OK)
        rc = answer_json(out, h, &a, what);
    answer_clear(&a);
    return rc;
}

json_object *asig_json_member(json_object *obj, const char *key, json_type type)
{
    json_object *v;
    return json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, type) ? v : NULL;
}

int asig_remote_malformed(const char *service, const char *what, const char *why)
{
    return asig_fail(ARTSIG_EREMOTE, "%s %s: malformed answer (%s)", service, what, why);
}

uint32_t asig_crc32c(const void *data, size_t len)
{
    /* ISA-L's CRC takes an int length and leaves the customary pre- and
     * post-inversion to the caller. */
    uint32_t crc = 0xffffffffu;
    const unsigned char *p = data;
    while (len > 0) {
        int step = len > INT_MAX ? INT_MAX : (int)len;
        crc = crc32_iscsi((unsigned char *)p, step, crc);
        p += step;
        len -= (size_t)step;
    }
    return crc ^ 0xffffffffu;
}

int asig_remote_public_key(artsig_key **out, const char *service, const char *pem,
                           artsig_key_type expect)
{
    *out = NULL;
    int rc = artsig_key_load_mem(out, pem, strlen(pem), NULL, NULL);
    if (rc != ARTSIG_OK)
        return asig_fail(ARTSIG_EREMOTE, "%s: the public key is unusable (%s)", service,
                         artsig_last_error());
    if (artsig_key_get_type(*out) != expect) {
        artsig_key_type got = artsig_key_get_type(*out);
        artsig_key_free(*out);
        *out = NULL;
        return asig_fail(ARTSIG_EKEYUNSUPPORTED, "%s: the public key is %s, not %s", service,
                         artsig_key_type_name(got), artsig_key_type_name(expect));
    }
    return ARTSIG_OK;
}
