/* The Mender Server's device API (../shared/SERVER.md): one libcurl handle,
 * kept alive between calls, every call bounded in time, every answer bounded
 * in size and read through the strict JSON gate. The token is opaque text,
 * sent only to the server that issued it, never logged, wiped when dropped.
 * A 401 on any call means the token is gone: authenticate again and repeat
 * the call once. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "json_strict.h"
#include "update.h"

#define CONNECT_TIMEOUT_S 30L
#define CALL_TIMEOUT_S 120L
/* Far more than any answer of the device API; a bound on what a hostile
 * server costs. */
#define ANSWER_MAX (1024 * 1024)
static const struct asig_json_limits answer_limits = {.max_depth = 32, .max_values = 65536};

#define AUTH_PATH "/api/devices/v1/authentication/auth_requests"
#define NEXT_V2_PATH "/api/devices/v2/deployments/device/deployments/next"
#define NEXT_V1_PATH "/api/devices/v1/deployments/device/deployments/next"
#define DEPLOYMENT_PATH "/api/devices/v1/deployments/device/deployments/"
#define INVENTORY_PATH "/api/devices/v1/inventory/device/attributes"
/* Mender 3.4's attribute name for the client's version (app/mender.go). */
#define CLIENT_VERSION_ATTRIBUTE "mender_client_version"

struct upd_server {
    const struct upd_config *cfg;
    const char *data_dir;
    CURL *easy;
    struct upd_trusted *trusted;
    size_t current;      /* the entry of cfg->server_urls in use */
    char *token;         /* the JWT, while we hold one */
    char curl_error[CURL_ERROR_SIZE];
};

/* One exchange: what is sent and what came back. */
struct exchange {
    const char *method;
    const char *path;      /* after the server URL */
    const char *body;      /* NULL: none */
    size_t body_len;
    long status;
    char *answer;          /* NUL-terminated; up to ANSWER_MAX bytes */
    size_t answer_len;
    bool too_long;
};

static void exchange_reset(struct exchange *x)
{
    free(x->answer);
    x->answer = NULL;
    x->answer_len = 0;
    x->status = 0;
    x->too_long = false;
}

static size_t on_answer(char *data, size_t size, size_t n, void *userdata)
{
    struct exchange *x = userdata;
    size_t len = size * n;
    if (x->answer_len + len > ANSWER_MAX) {
        x->too_long = true;
        return 0;
    }
    char *grown = realloc(x->answer, x->answer_len + len + 1);
    if (!grown)
        return 0;
    memcpy(grown + x->answer_len, data, len);
    x->answer = grown;
    x->answer_len += len;
    grown[x->answer_len] = '\0';
    return len;
}

static void drop_token(struct upd_server *s)
{
    if (s->token) {
        OPENSSL_cleanse(s->token, strlen(s->token));
        free(s->token);
        s->token = NULL;
    }
}

/* The server's own words about an error: {"error": "..."} as its services
 * answer; NULL when the answer holds none. The message is cut short and
 * kept to one line. */
static const char *server_error(char out[256], const struct exchange *x)
{
    json_object *root = NULL, *error = NULL;
    char why[64];
    if (!x->answer || asig_json_strict_parse(&root, (const uint8_t *)x->answer, x->answer_len,
                                             &answer_limits, why, sizeof why) != ASIG_JSON_OK)
        return NULL;
    const char *shown = NULL;
    if (json_object_is_type(root, json_type_object) &&
        json_object_object_get_ex(root, "error", &error) &&
        json_object_is_type(error, json_type_string)) {
        snprintf(out, 256, "%s", json_object_get_string(error));
        for (char *p = out; *p; p++)
            if ((unsigned char)*p < 0x20)
                *p = ' ';
        shown = out;
    }
    json_object_put(root);
    return shown;
}

/* "<URL>: <what>", the URL without credentials or query. */
static int fail_call(const struct upd_server *s, const struct exchange *x, const char *what)
{
    char url[2048];
    snprintf(url, sizeof url, "%s%s", s->cfg->server_urls[s->current], x->path);
    char *shown = upd_url_shown(url);
    int rc = upd_fail("%s %s: %s", x->method, shown ? shown : "(the server URL)", what);
    free(shown);
    return rc;
}

/* A status the call did not expect, with the server's message if any. */
static int fail_status(const struct upd_server *s, const struct exchange *x)
{
    char what[512], message[256];
    const char *words = server_error(message, x);
    snprintf(what, sizeof what, "HTTP %ld%s%s", x->status, words ? ": " : "",
             words ? words : "");
    return fail_call(s, x, what);
}

/* The request's header lines. Linked here rather than by curl_slist_append,
 * whose copies of a line holding a token would be freed unwiped. */
#define HEADERS_MAX 4
struct headers {
    struct curl_slist list[HEADERS_MAX];
    size_t n;
    bool ok; /* false once a line could not be made */
};

/* Append "name value"; the line is wiped and freed by headers_free. */
static void header(struct headers *h, const char *name, const char *value)
{
    char *line;
    if (!h->ok || h->n == HEADERS_MAX || asprintf(&line, "%s%s", name, value) < 0) {
        h->ok = false;
        return;
    }
    h->list[h->n] = (struct curl_slist){line, NULL};
    if (h->n)
        h->list[h->n - 1].next = &h->list[h->n];
    h->n++;
}

static void headers_free(struct headers *h)
{
    for (size_t i = 0; i < h->n; i++) {
        OPENSSL_cleanse(h->list[i].data, strlen(h->list[i].data));
        free(h->list[i].data);
    }
    h->n = 0;
}

/* One request to the server in use; x->status is 0 when no answer came
 * (connection failure, timeout), with the reason in s->curl_error. */
static int perform(struct upd_server *s, struct exchange *x, struct headers *headers)
{
    char url[4096];
    if ((size_t)snprintf(url, sizeof url, "%s%s", s->cfg->server_urls[s->current], x->path) >=
        sizeof url)
        return fail_call(s, x, "URL too long");
    exchange_reset(x);
    s->curl_error[0] = '\0';
    CURL *e = s->easy;
    bool ok = curl_easy_setopt(e, CURLOPT_URL, url) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers->n ? headers->list : NULL) ==
                  CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_WRITEDATA, x) == CURLE_OK;
    if (ok && x->body)
        ok = curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body) == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)x->body_len) == CURLE_OK;
    else if (ok)
        ok = curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method) == CURLE_OK;
    if (!ok)
        return upd_fail("cannot set up a request to the server");
    CURLcode rc = curl_easy_perform(e);
    if (x->too_long)
        return fail_call(s, x, "the answer is larger than 1 MiB");
    if (rc != CURLE_OK) {
        if (!s->curl_error[0])
            snprintf(s->curl_error, sizeof s->curl_error, "%s", curl_easy_strerror(rc));
        return UPD_EXIT_OK;
    }
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &x->status);
    return UPD_EXIT_OK;
}

/* The server in use as messages show it (no credentials). */
static const char *server_shown(char out[1024], const struct upd_server *s)
{
    char *shown = upd_url_shown(s->cfg->server_urls[s->current]);
    snprintf(out, 1024, "%s", shown ? shown : "(the server URL)");
    free(shown);
    return out;
}

/* Perform on the server in use, and on the next ones while they cannot be
 * reached (Servers lists several to fall over to). A token is for the
 * server that issued it: a request that carries one is not sent on to
 * another server; the token is dropped and the request left (x->status 0,
 * *moved) for the caller to authenticate with the next server first. */
static int perform_anywhere(struct upd_server *s, struct exchange *x, struct headers *headers,
                            bool carries_token, bool *moved)
{
    *moved = false;
    char shown[1024];
    for (size_t tried = 0; tried < s->cfg->nserver_urls; tried++) {
        int rc = perform(s, x, headers);
        if (rc != UPD_EXIT_OK || x->status != 0)
            return rc;
        if (tried + 1 == s->cfg->nserver_urls)
            break;
        upd_warn("%s %s: cannot reach the server: %s; trying the next one", x->method,
                 server_shown(shown, s), s->curl_error);
        s->current = (s->current + 1) % s->cfg->nserver_urls;
        *moved = true;
        if (carries_token) {
            drop_token(s);
            return UPD_EXIT_OK;
        }
    }
    char what[CURL_ERROR_SIZE + 64];
    snprintf(what, sizeof what, "cannot reach the server: %s", s->curl_error);
    return fail_call(s, x, what);
}

/* A token as a header may carry it: printable ASCII, no spaces. */
static bool plausible_token(const char *t, size_t len)
{
    if (len == 0 || strlen(t) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (t[i] <= 0x20 || t[i] >= 0x7f)
            return false;
    return true;
}

/* Keep the token of a 200 answer to the auth request: its whole body, but
 * for the line end a server may add. */
static int take_token(struct upd_server *s, struct exchange *x)
{
    while (x->answer_len && strchr("\r\n \t", x->answer[x->answer_len - 1]))
        x->answer[--x->answer_len] = '\0';
    if (!x->answer || !plausible_token(x->answer, x->answer_len))
        return fail_call(s, x, "the answer is not a token");
    s->token = x->answer;
    x->answer = NULL;
    x->answer_len = 0;
    return UPD_EXIT_OK;
}

int upd_server_auth(struct upd_server *s)
{
    drop_token(s);
    struct upd_auth_request req;
    int rc = upd_auth_request(&req, s->cfg, s->data_dir);
    if (rc != UPD_EXIT_OK)
        return rc;
    bool moved;
    struct headers headers = {.ok = true};
    /* No "Expect: 100-continue" wait: the body is small. */
    header(&headers, "Expect:", "");
    header(&headers, "Content-Type: ", "application/json");
    header(&headers, "X-MEN-Signature: ", req.signature);
    /* As 3.4: the tenant token as the bearer, even when empty. */
    header(&headers, "Authorization: Bearer ", s->cfg->tenant_token);
    struct exchange x = {.method = "POST", .path = AUTH_PATH, .body = req.body,
                         .body_len = req.len};
    rc = headers.ok ? perform_anywhere(s, &x, &headers, false, &moved)
                    : upd_fail("out of memory");
    if (rc == UPD_EXIT_OK && x.status == 200)
        rc = take_token(s, &x);
    else if (rc == UPD_EXIT_OK && x.status == 401)
        rc = fail_call(s, &x, "HTTP 401: the server does not accept this device (not yet "
                              "authorized, rejected, or a wrong tenant token)");
    else if (rc == UPD_EXIT_OK)
        rc = fail_status(s, &x);
    char shown[1024];
    if (rc == UPD_EXIT_OK)
        upd_info("authenticated with %s", server_shown(shown, s));
    headers_free(&headers);
    exchange_reset(&x);
    upd_auth_request_free(&req);
    return rc;
}

/* A device API call with the token: authenticate first when there is none,
 * and again after a 401 (once) or a move to another server (once per
 * server), then the same request again. */
static int call(struct upd_server *s, struct exchange *x)
{
    bool refused_once = false;
    for (size_t moves = 0;;) {
        int rc = s->token ? UPD_EXIT_OK : upd_server_auth(s);
        if (rc != UPD_EXIT_OK)
            return rc;
        bool moved;
        struct headers headers = {.ok = true};
        header(&headers, "Authorization: Bearer ", s->token);
        header(&headers, "Expect:", "");
        if (x->body)
            header(&headers, "Content-Type: ", "application/json");
        rc = headers.ok ? perform_anywhere(s, x, &headers, true, &moved)
                        : upd_fail("out of memory");
        headers_free(&headers);
        if (rc != UPD_EXIT_OK)
            return rc;
        if (moved && ++moves < s->cfg->nserver_urls) {
            upd_info("%s %s: another server; authenticating with it", x->method, x->path);
            continue;
        }
        if (moved)
            return fail_call(s, x, "cannot reach any of the servers");
        if (x->status != 401 || refused_once)
            return rc;
        refused_once = true;
        upd_info("%s %s: the token was refused (HTTP 401); authenticating again", x->method,
                 x->path);
        drop_token(s);
    }
}

/* A JSON body from a tree; NULL when out of memory. */
static char *to_body(json_object *obj)
{
    const char *text = obj ? json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                                     JSON_C_TO_STRING_NOSLASHESCAPE)
                           : NULL;
    return text ? strdup(text) : NULL;
}

static int call_json(struct upd_server *s, struct exchange *x, json_object *body)
{
    char *text = to_body(body);
    json_object_put(body);
    if (!text)
        return upd_fail("out of memory");
    x->body = text;
    x->body_len = strlen(text);
    int rc = call(s, x);
    free(text);
    x->body = NULL;
    return rc;
}

int upd_server_new(struct upd_server **out, const struct upd_config *cfg, const char *data_dir)
{
    *out = NULL;
    if (cfg->nserver_urls == 0)
        return upd_fail("no server configured: set ServerURL (or Servers) in mender.conf");
    struct upd_server *s = calloc(1, sizeof *s);
    if (!s || !(s->easy = curl_easy_init())) {
        free(s);
        return upd_fail("out of memory");
    }
    s->cfg = cfg;
    s->data_dir = data_dir;
    char why[512];
    int rc = UPD_EXIT_OK;
    CURL *e = s->easy;
    /* No redirects: a device API call answers where it is asked. NOSIGNAL:
     * no SIGALRM for the resolver's timeout. */
    if (rc == UPD_EXIT_OK &&
        (curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
         curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
         curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S) != CURLE_OK ||
         curl_easy_setopt(e, CURLOPT_TIMEOUT, CALL_TIMEOUT_S) != CURLE_OK ||
         curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
         curl_easy_setopt(e, CURLOPT_USERAGENT, "artsig-update/" ARTSIG_VERSION_STRING) !=
             CURLE_OK ||
         curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->curl_error) != CURLE_OK ||
         curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_answer) != CURLE_OK))
        rc = upd_fail("this libcurl lacks a required feature (http, https)");
    if (rc == UPD_EXIT_OK && upd_tls_setup(e, &s->trusted, cfg, why, sizeof why) != 0)
        rc = upd_fail("%s", why);
    if (rc == UPD_EXIT_OK && cfg->skip_verify)
        upd_warn("SkipVerify: the server's TLS certificate is not checked");
    if (rc != UPD_EXIT_OK) {
        upd_server_free(s);
        return rc;
    }
    *out = s;
    return UPD_EXIT_OK;
}

void upd_server_free(struct upd_server *s)
{
    if (!s)
        return;
    drop_token(s);
    curl_easy_cleanup(s->easy);
    upd_trusted_free(s->trusted);
    free(s);
}

/* ---- deployments ---- */

void upd_deployment_free(struct upd_deployment *d)
{
    free(d->id);
    free(d->artifact_name);
    free(d->uri);
    for (size_t i = 0; i < d->ndevice_types; i++)
        free(d->device_types[i]);
    free(d->device_types);
    memset(d, 0, sizeof *d);
}

/* The provides as the next request sends them: device_type, then every
 * provide (artifact_name among them). NULL when out of memory. */
static json_object *provides_object(const char *device_type, const struct upd_provides *p)
{
    json_object *obj = json_object_new_object(), *v = json_object_new_string(device_type);
    if (!obj || !v || json_object_object_add(obj, "device_type", v) != 0) {
        json_object_put(v);
        json_object_put(obj);
        return NULL;
    }
    for (size_t i = 0; i < p->count; i++) {
        if (strcmp(p->keys[i], "device_type") == 0)
            continue;
        if (!(v = json_object_new_string(p->values[i])) ||
            json_object_object_add(obj, p->keys[i], v) != 0) {
            json_object_put(v);
            json_object_put(obj);
            return NULL;
        }
    }
    return obj;
}

/* member `name` of obj when it is a non-empty string, else NULL. */
static const char *string_member(json_object *obj, const char *name)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(obj, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    const char *s = json_object_get_string(v);
    return *s ? s : NULL;
}

static json_object *object_member(json_object *obj, const char *name)
{
    json_object *v = NULL;
    return json_object_object_get_ex(obj, name, &v) && json_object_is_type(v, json_type_object)
               ? v
               : NULL;
}

/* The 200 answer of next, checked as 3.4 does: id, artifact_name,
 * source.uri and a non-empty device_types_compatible of strings. */
static int take_deployment(struct upd_deployment *d, const struct upd_server *s,
                           const struct exchange *x)
{
    json_object *root = NULL;
    char why[256], what[320];
    if (!x->answer || asig_json_strict_parse(&root, (const uint8_t *)x->answer, x->answer_len,
                                             &answer_limits, why, sizeof why) != ASIG_JSON_OK) {
        snprintf(what, sizeof what, "the deployment offered is not JSON: %s",
                 x->answer ? why : "empty answer");
        return fail_call(s, x, what);
    }
    json_object *artifact = json_object_is_type(root, json_type_object)
                                ? object_member(root, "artifact")
                                : NULL;
    json_object *source = artifact ? object_member(artifact, "source") : NULL, *types = NULL;
    const char *id = artifact ? string_member(root, "id") : NULL;
    const char *name = artifact ? string_member(artifact, "artifact_name") : NULL;
    const char *uri = source ? string_member(source, "uri") : NULL;
    const char *missing = !id ? "id" : !name ? "artifact.artifact_name"
                        : !uri ? "artifact.source.uri" : NULL;
    if (!missing && (!json_object_object_get_ex(artifact, "device_types_compatible", &types) ||
                     !json_object_is_type(types, json_type_array) ||
                     json_object_array_length(types) == 0))
        missing = "artifact.device_types_compatible";
    size_t n = missing ? 0 : json_object_array_length(types);
    for (size_t i = 0; i < n && !missing; i++)
        if (!json_object_is_type(json_object_array_get_idx(types, i), json_type_string))
            missing = "artifact.device_types_compatible (strings)";
    int rc = UPD_EXIT_OK;
    if (missing) {
        snprintf(what, sizeof what, "the deployment offered has no %s", missing);
        rc = fail_call(s, x, what);
    } else if (!(d->id = strdup(id)) || !(d->artifact_name = strdup(name)) ||
               !(d->uri = strdup(uri)) || !(d->device_types = calloc(n, sizeof(char *)))) {
        rc = upd_fail("out of memory");
    }
    for (size_t i = 0; rc == UPD_EXIT_OK && i < n; i++, d->ndevice_types++)
        if (!(d->device_types[i] = strdup(json_object_get_string(json_object_array_get_idx(types, i)))))
            rc = upd_fail("out of memory");
    json_object_put(root);
    if (rc != UPD_EXIT_OK)
        upd_deployment_free(d);
    return rc;
}

/* v1 GET's query: artifact_name and device_type, escaped. */
static char *next_get_path(const char *device_type, const struct upd_provides *p)
{
    const char *name = upd_provides_get(p, "artifact_name");
    char *n = curl_easy_escape(NULL, name ? name : "", 0);
    char *t = curl_easy_escape(NULL, device_type, 0);
    char *path = NULL;
    if (n && t && asprintf(&path, NEXT_V1_PATH "?artifact_name=%s&device_type=%s", n, t) < 0)
        path = NULL;
    curl_free(n);
    curl_free(t);
    return path;
}

int upd_server_next(struct upd_deployment *d, bool *found, struct upd_server *s,
                    const char *device_type, const struct upd_provides *provides)
{
    memset(d, 0, sizeof *d);
    *found = false;
    struct exchange x = {.method = "POST", .path = NEXT_V2_PATH};
    json_object *flat = provides_object(device_type, provides), *v2 = json_object_new_object();
    if (!flat || !v2 || json_object_object_add(v2, "device_provides", json_object_get(flat))) {
        json_object_put(flat);
        json_object_put(v2);
        return upd_fail("out of memory");
    }
    int rc = call_json(s, &x, v2);
    if (rc == UPD_EXIT_OK && x.status == 404) {
        /* The open-source server has no v2: v1 POST, then v1 GET. */
        x.path = NEXT_V1_PATH;
        rc = call_json(s, &x, json_object_get(flat));
    }
    char *get_path = NULL;
    if (rc == UPD_EXIT_OK && x.status == 404) {
        if (!(get_path = next_get_path(device_type, provides)))
            rc = upd_fail("out of memory");
        x.method = "GET";
        x.path = get_path;
        if (rc == UPD_EXIT_OK)
            rc = call(s, &x);
    }
    json_object_put(flat);
    if (rc == UPD_EXIT_OK && x.status == 200) {
        rc = take_deployment(d, s, &x);
        *found = rc == UPD_EXIT_OK;
    } else if (rc == UPD_EXIT_OK && x.status != 204) {
        rc = fail_status(s, &x);
    }
    exchange_reset(&x);
    free(get_path);
    return rc;
}

/* DEPLOYMENT_PATH<id>/<what>, the id escaped. */
static char *deployment_path(const char *id, const char *what)
{
    char *escaped = curl_easy_escape(NULL, id, 0), *path = NULL;
    if (escaped && asprintf(&path, DEPLOYMENT_PATH "%s/%s", escaped, what) < 0)
        path = NULL;
    curl_free(escaped);
    return path;
}

static bool accepted(long status)
{
    return status == 200 || status == 204;
}

int upd_server_status(struct upd_server *s, const char *id, const char *status,
                      const char *substate)
{
    char *path = deployment_path(id, "status");
    json_object *body = json_object_new_object();
    bool ok = path && body &&
              json_object_object_add(body, "status", json_object_new_string(status)) == 0 &&
              (!substate ||
               json_object_object_add(body, "substate", json_object_new_string(substate)) == 0);
    struct exchange x = {.method = "PUT", .path = path};
    int rc = ok ? call_json(s, &x, body) : upd_fail("out of memory");
    if (!ok)
        json_object_put(body);
    if (rc == UPD_EXIT_OK && x.status == 409) {
        upd_info("deployment %s: the server aborted it (HTTP 409 to status %s)", id, status);
        rc = UPD_ABORTED;
    } else if (rc == UPD_EXIT_OK && !accepted(x.status)) {
        rc = fail_status(s, &x);
    } else if (rc == UPD_EXIT_OK) {
        upd_info("deployment %s: reported %s", id, status);
    }
    exchange_reset(&x);
    free(path);
    return rc;
}

/* {"messages": [{"timestamp", "level", "message"}...]} of the captured lines. */
static json_object *log_body(void)
{
    json_object *body = json_object_new_object(), *messages = json_object_new_array();
    bool ok = body && messages && json_object_object_add(body, "messages", messages) == 0;
    if (!ok)
        json_object_put(messages);
    const struct upd_log_line *line = NULL;
    for (size_t i = 0; ok; i++) {
        upd_log_captured(&line, i);
        if (!line)
            break;
        json_object *m = json_object_new_object();
        ok = m && json_object_array_add(messages, m) == 0;
        if (!ok) {
            json_object_put(m);
            break;
        }
        ok = json_object_object_add(m, "timestamp", json_object_new_string(line->timestamp)) ==
                 0 &&
             json_object_object_add(m, "level", json_object_new_string(line->level)) == 0 &&
             json_object_object_add(m, "message", json_object_new_string(line->message)) == 0;
    }
    if (!ok) {
        json_object_put(body);
        return NULL;
    }
    return body;
}

int upd_server_log(struct upd_server *s, const char *id)
{
    char *path = deployment_path(id, "log");
    json_object *body = path ? log_body() : NULL;
    struct exchange x = {.method = "PUT", .path = path};
    int rc = body ? call_json(s, &x, body) : upd_fail("out of memory");
    if (rc == UPD_EXIT_OK && !accepted(x.status))
        rc = fail_status(s, &x);
    exchange_reset(&x);
    free(path);
    return rc;
}

/* ---- inventory ---- */

static bool is_inventory_program(const char *name, const void *unused)
{
    (void)unused;
    return strncmp(name, "mender-inventory-", 17) == 0;
}

/* The paths of the executable mender-inventory-* programs of `dir`, by name. */
static int inventory_scripts(char ***out, size_t *n, const char *dir)
{
    int err = upd_list_dir(out, n, dir, is_inventory_program, NULL);
    if (err == ENOMEM)
        return upd_fail("out of memory");
    if (err) {
        upd_debug("inventory scripts: %s: none (%s)", dir, strerror(err));
        return UPD_EXIT_OK;
    }
    size_t kept = 0;
    int rc = UPD_EXIT_OK;
    for (size_t i = 0; i < *n; i++) {
        char *path = NULL;
        struct stat st;
        if (rc == UPD_EXIT_OK && asprintf(&path, "%s/%s", dir, (*out)[i]) < 0) {
            path = NULL;
            rc = upd_fail("out of memory");
        }
        free((*out)[i]);
        if (path && (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, X_OK) != 0)) {
            upd_debug("inventory: %s is not an executable file: left out", path);
            free(path);
            path = NULL;
        }
        if (path)
            (*out)[kept++] = path;
    }
    *n = kept;
    return rc;
}

/* name→value of the inventory scripts' output, then the provides, then
 * device_type, artifact_name and the client's version over them (as 3.4's
 * ReplaceAttributes). */
static int inventory_values(json_object *values, const struct upd_config *cfg,
                            const char *device_type, const struct upd_provides *p)
{
    char **scripts;
    size_t n;
    int rc = inventory_scripts(&scripts, &n, cfg->inventory_dir);
    for (size_t i = 0; i < n; i++) {
        /* One broken script leaves the others' attributes to send. */
        if (rc == UPD_EXIT_OK && upd_keyvalues_run(values, scripts[i]) != UPD_EXIT_OK)
            upd_warn("inventory script %s left out", scripts[i]);
        free(scripts[i]);
    }
    free(scripts);
    for (size_t i = 0; rc == UPD_EXIT_OK && i < p->count; i++)
        if (json_object_object_add(values, p->keys[i], json_object_new_string(p->values[i])))
            rc = upd_fail("out of memory");
    const char *name = upd_provides_get(p, "artifact_name");
    if (rc == UPD_EXIT_OK &&
        (json_object_object_add(values, "device_type", json_object_new_string(device_type)) ||
         json_object_object_add(values, "artifact_name",
                                json_object_new_string(name ? name : "unknown")) ||
         json_object_object_add(values, CLIENT_VERSION_ATTRIBUTE,
                                json_object_new_string("artsig-update " ARTSIG_VERSION_STRING))))
        rc = upd_fail("out of memory");
    return rc;
}

/* [{"name", "value"}...] */
static json_object *attribute_list(json_object *values)
{
    json_object *list = json_object_new_array();
    json_object_object_foreach(values, key, value) {
        json_object *a = json_object_new_object(), *k = json_object_new_string(key);
        if (!list || !a || !k || json_object_object_add(a, "name", k) != 0 ||
            json_object_object_add(a, "value", json_object_get(value)) != 0 ||
            json_object_array_add(list, a) != 0) {
            json_object_put(a);
            json_object_put(list);
            return NULL;
        }
    }
    return list;
}

int upd_server_inventory(struct upd_server *s, const char *device_type,
                         const struct upd_provides *provides)
{
    json_object *values = json_object_new_object();
    int rc = values ? inventory_values(values, s->cfg, device_type, provides)
                    : upd_fail("out of memory");
    json_object *list = rc == UPD_EXIT_OK ? attribute_list(values) : NULL;
    json_object_put(values);
    if (rc == UPD_EXIT_OK && !list)
        rc = upd_fail("out of memory");
    struct exchange x = {.method = "PUT", .path = INVENTORY_PATH};
    if (rc == UPD_EXIT_OK)
        rc = call_json(s, &x, json_object_get(list));
    if (rc == UPD_EXIT_OK && x.status == 405) {
        /* Servers before 2.6 know only PATCH (3.4 falls back the same way). */
        x.method = "PATCH";
        rc = call_json(s, &x, json_object_get(list));
    }
    if (rc == UPD_EXIT_OK && !accepted(x.status))
        rc = fail_status(s, &x);
    if (rc == UPD_EXIT_OK)
        upd_info("inventory sent (%zu attributes)", json_object_array_length(list));
    json_object_put(list);
    exchange_reset(&x);
    return rc;
}

int upd_send_inventory(const struct upd_config *cfg, const char *data_dir)
{
    char *device_type = NULL;
    struct upd_provides provides = {0};
    struct upd_server *s = NULL;
    int rc = upd_server_new(&s, cfg, data_dir);
    if (rc == UPD_EXIT_OK)
        rc = upd_device_type(&device_type, cfg);
    if (rc == UPD_EXIT_OK)
        rc = upd_provides_load(&provides, data_dir);
    if (rc == UPD_EXIT_OK)
        rc = upd_server_inventory(s, device_type, &provides);
    upd_server_free(s);
    upd_provides_free(&provides);
    free(device_type);
    return rc;
}
