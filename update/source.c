/* Where the artifact comes from: a file, standard input, or an http(s) URL.
 *
 * The reader pulls bytes; a URL is pushed at us by libcurl. The multi
 * interface bridges the two: libcurl's write callback fills a fixed staging
 * buffer and pauses the transfer when it is full, the reader's pulls drain it
 * and resume the transfer. Memory is therefore constant whatever the size of
 * the artifact, and nothing is written to disk. A transfer interrupted after
 * some bytes is resumed with a Range request, but only if the server proves it
 * is sending the rest of the same representation (206, Content-Range at our
 * offset, unchanged strong validator): otherwise bytes would be duplicated or
 * mixed from two versions, which the reader would refuse anyway, but with a
 * far less useful message. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "update.h"

/* libcurl hands the write callback at most CURL_MAX_WRITE_SIZE bytes, which
 * must be taken whole or not at all; the rest of the buffer lets the network
 * run ahead of the reader. */
#define STAGING_SIZE (256 * 1024)
_Static_assert(STAGING_SIZE >= 2 * CURL_MAX_WRITE_SIZE, "staging holds a paused write");

#define MAX_RESUMES 5
#define BACKOFF_FIRST_MS 100
#define MAX_REDIRECTS 10L
#define CONNECT_TIMEOUT_S 30L
/* Below 1 byte/s for a minute: the connection is dead, drop and resume it.
 * A paused transfer is exempt, so a slow installer does not trip it. */
#define LOW_SPEED_LIMIT 1L
#define LOW_SPEED_TIME_S 60L

struct upd_source {
    char *name;  /* for messages: the path, or the URL without credentials and query */
    char error[1024];
    int fd;      /* file or standard input; -1 for a URL */
    bool own_fd;

    CURLM *multi;
    CURL *easy;
    struct curl_slist *if_range;
    char curl_error[CURL_ERROR_SIZE];
    unsigned char *staging;
    size_t pos, end;          /* unread bytes: staging[pos, end) */
    curl_off_t received;      /* body bytes taken, over every attempt */
    curl_off_t resume_from;   /* offset the current attempt asked for */
    curl_off_t total;         /* size of the artifact, -1 while unknown */
    char *etag;               /* strong ETag of the first response */
    struct upd_trusted *trusted; /* certificates trusted besides the system's, or NULL */
    int attempt;
    CURLcode result;
    bool https_only; /* the URL is https, so are its redirects */
    bool curl_initialised, attached, done, paused, checked, refused, eof;
};

static int set_error(struct upd_source *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int set_error(struct upd_source *s, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(s->error, sizeof s->error, "%s: ", s->name);
    va_start(ap, fmt);
    vsnprintf(s->error + n, sizeof s->error - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- files and standard input ---- */

static ssize_t read_fd(struct upd_source *s, void *buf, size_t size)
{
    ssize_t n;
    do
        n = read(s->fd, buf, size);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        set_error(s, "read error: %s", strerror(errno));
    return n;
}

/* ---- URLs ---- */

/* A URL that libcurl cannot parse, shown without knowing its parts for sure:
 * nothing from the first '?' or '#' on (query, fragment), and nothing from
 * "://" to the last '@' before that (credentials, even holding a '/'). An '@'
 * after it may mean that the credentials hold a '?' or '#': then only the
 * scheme is shown. Some host or path may be hidden, but no secret shown. */
static char *redact_unparsed_url(const char *url)
{
    size_t end = strcspn(url, "?#");
    size_t authority = (size_t)(strstr(url, "://") - url) + 3; /* is_url() found it */
    const char *at = memrchr(url + authority, '@', end - authority);
    size_t rest = at ? (size_t)(at + 1 - url) : authority;
    if (strchr(url + end, '@'))
        rest = end;
    char *shown = malloc(authority + end - rest + 1);
    if (shown) {
        memcpy(shown, url, authority);
        memcpy(shown + authority, url + rest, end - rest);
        shown[authority + end - rest] = '\0';
    }
    return shown;
}

/* A header of the final response (after redirects), or NULL. */
static const char *response_header(CURL *easy, const char *name)
{
    struct curl_header *h;
    if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
        return NULL;
    return h->value;
}

/* If-Range for resuming the first response's representation: its ETag if
 * strong, else its Last-Modified if that is a strong validator (a second or
 * more before the response's Date, RFC 9110 8.8.2.2). A weak ETag allows
 * neither. Without one, only 206 and Content-Range guard the resume. */
static int remember_validator(struct upd_source *s)
{
    const char *etag = response_header(s->easy, "ETag");
    const char *modified = response_header(s->easy, "Last-Modified");
    const char *date = response_header(s->easy, "Date");
    const char *value = NULL;
    char line[512];

    if (etag && strncmp(etag, "W/", 2) != 0) {
        if (!(s->etag = strdup(etag)))
            return set_error(s, "out of memory");
        value = etag;
    } else if (!etag && modified && date && curl_getdate(modified, NULL) != -1 &&
               curl_getdate(date, NULL) - curl_getdate(modified, NULL) >= 1) {
        value = modified;
    }
    /* An absurdly long validator is left out rather than cut (and mismatched). */
    if (!value || strlen(value) > sizeof line - sizeof "If-Range: ")
        return 0;
    snprintf(line, sizeof line, "If-Range: %s", value);
    if (!(s->if_range = curl_slist_append(NULL, line)))
        return set_error(s, "out of memory");
    return 0;
}

static int refuse_resume(struct upd_source *s, const char *why)
{
    s->refused = true;
    return set_error(s, "download interrupted at byte %" CURL_FORMAT_CURL_OFF_T
                     " and it cannot be resumed: %s", s->resume_from, why);
}

/* The resumed response must be the rest of the same bytes. */
static int check_resumed(struct upd_source *s, long code)
{
    const char *range = response_header(s->easy, "Content-Range");
    const char *etag = response_header(s->easy, "ETag");
    intmax_t start, last, size = -1;
    char why[128];

    if (s->etag && etag && strcmp(s->etag, etag) != 0)
        return refuse_resume(s, "the file changed on the server");
    if (code != 206) {
        snprintf(why, sizeof why, "the server answered HTTP %ld to a range request", code);
        return refuse_resume(s, why);
    }
    if (!range || (sscanf(range, "bytes %jd-%jd/%jd", &start, &last, &size) < 2) ||
        start != s->resume_from || last < start)
        return refuse_resume(s, "the server's Content-Range does not start there");
    if (s->total >= 0 && size >= 0 && size != s->total)
        return refuse_resume(s, "the size of the file changed on the server");
    return 0;
}

/* Once per attempt, when the response's body starts or the transfer ended
 * (a resume answered 416 by libcurl has no body). */
static int check_response(struct upd_source *s)
{
    long code = 0;
    curl_off_t length = -1;

    s->checked = true;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
    if (s->resume_from > 0)
        return check_resumed(s, code);
    if (code < 200 || code > 299 || code == 206) {
        s->refused = true;
        return set_error(s, "download failed: the server answered HTTP %ld", code);
    }
    curl_easy_getinfo(s->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    s->total = length;
    return remember_validator(s);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct upd_source *s = userdata;
    size_t n = size * nmemb;

    if (!s->checked && check_response(s) != 0)
        return 0; /* ends the transfer with CURLE_WRITE_ERROR */
    if (s->end + n > STAGING_SIZE) {
        memmove(s->staging, s->staging + s->pos, s->end - s->pos);
        s->end -= s->pos;
        s->pos = 0;
    }
    if (s->end + n > STAGING_SIZE) {
        s->paused = true;
        return CURL_WRITEFUNC_PAUSE; /* libcurl keeps `data` and offers it again */
    }
    memcpy(s->staging + s->end, data, n);
    s->end += n;
    s->received += (curl_off_t)n;
    return n;
}

static int start_transfer(struct upd_source *s)
{
    CURLMcode mc;

    s->resume_from = s->received;
    s->checked = false;
    s->done = false;
    s->paused = false;
    s->curl_error[0] = '\0';
    if (curl_easy_setopt(s->easy, CURLOPT_RESUME_FROM_LARGE, s->resume_from) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER,
                         s->resume_from > 0 ? s->if_range : NULL) != CURLE_OK)
        return set_error(s, "cannot set up the download");
    if ((mc = curl_multi_add_handle(s->multi, s->easy)) != CURLM_OK)
        return set_error(s, "%s", curl_multi_strerror(mc));
    s->attached = true;
    return 0;
}

static int setup_curl(struct upd_source *s, const char *url, const struct upd_config *cfg)
{
    if (!(s->staging = malloc(STAGING_SIZE)) || !(s->multi = curl_multi_init()) ||
        !(s->easy = curl_easy_init()))
        return set_error(s, "out of memory");
    /* After https, only https: a redirect to http would fetch the artifact
     * in the clear. */
    s->https_only = strncasecmp(url, "https://", 8) == 0;
    /* HTTP/1.1: pausing an HTTP/2 stream lets libcurl buffer up to its
     * stream window (megabytes) behind our back. NOSIGNAL: the reader runs
     * threads, so no SIGALRM-based resolver timeouts. */
    if (curl_easy_setopt(s->easy, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_REDIR_PROTOCOLS_STR,
                         s->https_only ? "https" : "http,https") != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_MAXREDIRS, MAX_REDIRECTS) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_FAILONERROR, 1L) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_LIMIT) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME_S) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_USERAGENT, "artsig-update/" ARTSIG_VERSION_STRING) !=
            CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->curl_error) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s) != CURLE_OK)
        return set_error(s, "this libcurl lacks a required feature (http, https, "
                            "CURLOPT_PROTOCOLS_STR)");
    char why[512];
    if (upd_tls_setup(s->easy, &s->trusted, cfg, why, sizeof why) != 0)
        return set_error(s, "%s", why);
    if (cfg->skip_verify)
        upd_warn("SkipVerify: the TLS certificate of %s is not checked", s->name);
    return start_transfer(s);
}

/* Failures after which the same request may well succeed. */
static bool transient(CURLcode rc, long code)
{
    switch (rc) {
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SSL_CONNECT_ERROR:
        return true;
    case CURLE_HTTP_RETURNED_ERROR:
        return code == 502 || code == 503 || code == 504;
    default:
        return false;
    }
}

/* 0.1 s, doubling: at most 1.6 s before the last resume. */
static void backoff(int attempt)
{
    long ms = BACKOFF_FIRST_MS << attempt;
    struct timespec t = {ms / 1000, ms % 1000 * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* The current attempt ended: 0 at the end of the artifact, 1 when a resume
 * was started, -1 on a failure (error set). */
static int conclude(struct upd_source *s)
{
    CURLcode rc = s->result;
    char why[CURL_ERROR_SIZE + 64];
    long code = 0;

    curl_multi_remove_handle(s->multi, s->easy);
    s->attached = false;
    if (s->refused)
        return -1;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
    if (rc == CURLE_OK) {
        if (!s->checked && check_response(s) != 0)
            return -1;
        if (s->total >= 0 && s->received != s->total)
            return set_error(s, "download ended at byte %" CURL_FORMAT_CURL_OFF_T
                             " of %" CURL_FORMAT_CURL_OFF_T, s->received, s->total);
        s->eof = true;
        return 0;
    }
    /* libcurl's own checks of a resume: a 200 (the whole file again) or a 416 */
    if (s->resume_from > 0 &&
        (rc == CURLE_RANGE_ERROR || (rc == CURLE_HTTP_RETURNED_ERROR && code == 416)))
        return check_resumed(s, code);
    if (rc == CURLE_HTTP_RETURNED_ERROR)
        snprintf(why, sizeof why, "the server answered HTTP %ld", code);
    /* The URL itself was http(s): libcurl refused where it was redirected. */
    else if (rc == CURLE_UNSUPPORTED_PROTOCOL && strncmp(s->name, "http", 4) == 0)
        snprintf(why, sizeof why, "redirected to a URL that is not %s, refused",
                 s->https_only ? "https (after https, only https is followed)" : "http(s)");
    else
        snprintf(why, sizeof why, "%s", s->curl_error[0] ? s->curl_error : curl_easy_strerror(rc));
    /* Before the first byte, a failure is the answer: there is nothing to resume. */
    if (s->attempt == 0 && s->received == 0)
        return set_error(s, "download failed: %s", why);
    if (!transient(rc, code))
        return set_error(s, "download failed at byte %" CURL_FORMAT_CURL_OFF_T ": %s",
                         s->received, why);
    if (s->attempt == MAX_RESUMES)
        return set_error(s, "download interrupted at byte %" CURL_FORMAT_CURL_OFF_T
                         " (%s), still failing after %d resumes",
                         s->received, why, MAX_RESUMES);
    backoff(s->attempt++);
    return start_transfer(s) == 0 ? 1 : -1;
}

/* Run the transfer until bytes are staged: 1 when they are, 0 at the end of
 * the artifact, -1 on a failure. */
static int fill(struct upd_source *s)
{
    while (s->pos == s->end) {
        int running, left, r;
        CURLMcode mc;
        CURLMsg *msg;

        if (s->error[0])
            return -1;
        if (s->eof)
            return 0;
        if (s->done) {
            if ((r = conclude(s)) <= 0)
                return r;
            continue;
        }
        if ((mc = curl_multi_perform(s->multi, &running)) != CURLM_OK)
            return set_error(s, "%s", curl_multi_strerror(mc));
        while ((msg = curl_multi_info_read(s->multi, &left)))
            if (msg->msg == CURLMSG_DONE) {
                s->done = true;
                s->result = msg->data.result;
            }
        if (!s->done && s->pos == s->end &&
            (mc = curl_multi_poll(s->multi, NULL, 0, 1000, NULL)) != CURLM_OK)
            return set_error(s, "%s", curl_multi_strerror(mc));
    }
    return 1;
}

static ssize_t read_url(struct upd_source *s, void *buf, size_t size)
{
    size_t n;
    int r = fill(s);

    if (r <= 0)
        return r;
    n = s->end - s->pos < size ? s->end - s->pos : size;
    memcpy(buf, s->staging + s->pos, n);
    s->pos += n;
    /* Unpausing may deliver the held chunk at once: make sure it fits. */
    if (s->paused && STAGING_SIZE - (s->end - s->pos) >= CURL_MAX_WRITE_SIZE) {
        s->paused = false;
        if (curl_easy_pause(s->easy, CURLPAUSE_CONT) != CURLE_OK) {
            set_error(s, "cannot resume the paused transfer");
            return -1;
        }
    }
    return (ssize_t)n;
}

/* "scheme://...": libcurl takes it, and refuses any scheme but http(s). */
static bool is_url(const char *location)
{
    size_t n = strspn(location, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
    return n > 0 && strncmp(location + n, "://", 3) == 0;
}

/* ---- the interface ---- */

void upd_source_close(struct upd_source *src)
{
    if (!src)
        return;
    if (src->own_fd)
        close(src->fd);
    if (src->attached)
        curl_multi_remove_handle(src->multi, src->easy);
    curl_easy_cleanup(src->easy);
    curl_multi_cleanup(src->multi);
    curl_slist_free_all(src->if_range);
    if (src->curl_initialised)
        curl_global_cleanup();
    upd_trusted_free(src->trusted);
    free(src->etag);
    free(src->staging);
    free(src->name);
    free(src);
}

static int open_url(struct upd_source *s, const char *url, const struct upd_config *cfg)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return set_error(s, "cannot initialise libcurl");
    s->curl_initialised = true;
    if (setup_curl(s, url, cfg) != 0)
        return -1;
    /* Connect now, so an unreachable server or an HTTP error is reported
     * before anything is read. */
    return fill(s) < 0 ? -1 : 0;
}

int upd_source_open(struct upd_source **out, const char *location, const struct upd_config *cfg)
{
    struct upd_source *s = calloc(1, sizeof *s);
    int r = 0;

    *out = NULL;
    if (!s)
        return upd_fail("out of memory");
    s->fd = -1;
    s->total = -1;
    if (strcmp(location, "-") == 0)
        s->name = strdup("standard input");
    else if (is_url(location))
        s->name = upd_url_shown(location);
    else
        s->name = strdup(location);
    if (!s->name) {
        free(s);
        if (!is_url(location))
            return upd_fail("out of memory");
        char *shown = redact_unparsed_url(location);
        int rc = upd_fail("not a valid URL: %s", shown ? shown : "(out of memory)");
        free(shown);
        return rc;
    }

    if (strcmp(location, "-") == 0)
        s->fd = STDIN_FILENO;
    else if (is_url(location))
        r = open_url(s, location, cfg);
    else if ((s->fd = open(location, O_RDONLY | O_CLOEXEC)) < 0)
        r = set_error(s, "%s", strerror(errno));
    else
        s->own_fd = true;
    if (r != 0) {
        upd_fail("%s", s->error);
        upd_source_close(s);
        return UPD_EXIT_FAILURE;
    }
    if (s->fd >= 0) /* the kernel may read ahead further (fails harmlessly on a pipe) */
        posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    *out = s;
    return 0;
}

ssize_t upd_source_read(void *buf, size_t size, void *source)
{
    struct upd_source *s = source;
    return s->fd >= 0 ? read_fd(s, buf, size) : read_url(s, buf, size);
}

const char *upd_source_name(const struct upd_source *src)
{
    return src->name;
}

/* NULL while nothing failed. */
const char *upd_source_error(const struct upd_source *src)
{
    return src->error[0] ? src->error : NULL;
}
