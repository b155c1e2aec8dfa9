/* The client's messages: one line per event on stderr, and, while a
 * deployment runs, a copy of its lines for the log the server shows the
 * operator when the deployment fails (so the reason a device refused an
 * artifact reaches whoever deployed it, in the words the device used). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "update.h"

static enum upd_log_level threshold = UPD_LOG_INFO;

static struct {
    bool on;
    struct upd_log_line lines[UPD_LOG_CAPTURE_MAX];
    size_t first, count; /* a ring: the oldest lines give way */
} capture;

static const char *const level_names[] = {
    [UPD_LOG_ERROR] = "error",
    [UPD_LOG_WARNING] = "warning",
    [UPD_LOG_INFO] = "info",
    [UPD_LOG_DEBUG] = "debug",
};

int upd_log_set_level(const char *name)
{
    /* Mender's -l names; the ones beyond ours map to the nearest. */
    static const struct {
        const char *name;
        enum upd_log_level level;
    } names[] = {
        {"panic", UPD_LOG_ERROR}, {"fatal", UPD_LOG_ERROR},   {"error", UPD_LOG_ERROR},
        {"warn", UPD_LOG_WARNING}, {"warning", UPD_LOG_WARNING}, {"info", UPD_LOG_INFO},
        {"debug", UPD_LOG_DEBUG}, {"trace", UPD_LOG_DEBUG},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcasecmp(name, names[i].name) == 0) {
            threshold = names[i].level;
            return UPD_EXIT_OK;
        }
    return upd_fail("unknown log level '%s' (error, warning, info or debug)", name);
}

static void keep(enum upd_log_level level, const char *message)
{
    size_t slot = (capture.first + capture.count) % UPD_LOG_CAPTURE_MAX;
    struct upd_log_line *line = &capture.lines[slot];
    char *copy = strdup(message);
    if (!copy)
        return; /* the line still went to stderr */
    if (capture.count == UPD_LOG_CAPTURE_MAX) {
        free(line->message);
        capture.first = (capture.first + 1) % UPD_LOG_CAPTURE_MAX;
    } else {
        capture.count++;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(line->timestamp, sizeof line->timestamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    line->level = level_names[level];
    line->message = copy;
}

void upd_vlog(enum upd_log_level level, const char *fmt, va_list ap)
{
    if (level > threshold && !(capture.on && level <= UPD_LOG_INFO))
        return;
    /* Assembled first, so one message is one write and one line even when
     * it quotes text with line breaks. */
    char line[2048];
    vsnprintf(line, sizeof line, fmt, ap);
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (capture.on && level <= UPD_LOG_INFO)
        keep(level, line);
    if (level > threshold)
        return;
    /* Under systemd the journal reads a "<N>" prefix as the syslog priority. */
    static const int priorities[] = {3, 4, 6, 7};
    char priority[8] = "";
    if (getenv("JOURNAL_STREAM"))
        snprintf(priority, sizeof priority, "<%d>", priorities[level]);
    const char *label = level == UPD_LOG_ERROR ? "" : level == UPD_LOG_WARNING ? "warning: "
                        : level == UPD_LOG_INFO ? "info: " : "debug: ";
    fprintf(stderr, "%sartsig-update: %s%s\n", priority, label, line);
}

int upd_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    upd_vlog(UPD_LOG_ERROR, fmt, ap);
    va_end(ap);
    return UPD_EXIT_FAILURE;
}

void upd_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    upd_vlog(UPD_LOG_WARNING, fmt, ap);
    va_end(ap);
}

void upd_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    upd_vlog(UPD_LOG_INFO, fmt, ap);
    va_end(ap);
}

void upd_debug(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    upd_vlog(UPD_LOG_DEBUG, fmt, ap);
    va_end(ap);
}

void upd_log_capture_start(void)
{
    upd_log_capture_stop();
    capture.on = true;
}

void upd_log_capture_stop(void)
{
    for (size_t i = 0; i < capture.count; i++)
        free(capture.lines[(capture.first + i) % UPD_LOG_CAPTURE_MAX].message);
    capture.on = false;
    capture.first = capture.count = 0;
}

size_t upd_log_captured(const struct upd_log_line **line, size_t i)
{
    *line = i < capture.count ? &capture.lines[(capture.first + i) % UPD_LOG_CAPTURE_MAX] : NULL;
    return capture.count;
}
