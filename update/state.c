/* Crash-safe state in the data dir: the device's provides, the update in
 * progress and the deployment the daemon reports on. Every file is replaced whole by upd_write_atomic(), so a reader
 * (or the next run after a SIGKILL or power cut) sees the old or the new
 * content, never a mix. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "files.h"
#include "update.h"

#define PROVIDES_FILE "provides"
/* A bound on the provides a device records: each later command reads them
 * all, and a signed artifact could otherwise ask for any number. */
#define PROVIDES_MAX 16384
#define PROGRESS_FILE "update.json"
#define DEPLOYMENT_FILE "deployment.json"
/* State files are small; anything bigger is not ours. */
#define STATE_FILE_MAX (1024 * 1024)
/* The provides text travels JSON-escaped (up to 6 bytes for one) in the
 * update record too, which is read back within STATE_FILE_MAX: 6 × 160 KiB
 * leaves room for the record's other fields, so that the device can always
 * read its own record. */
#define PROVIDES_TEXT_MAX (160 * 1024)

int upd_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int upd_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    errno = err;
    return rc;
}

/* DIR/NAME replaced whole, with permissions `mode`. */
static int replace_file(const char *dir, const char *name, const void *data, size_t len,
                        mode_t mode)
{
    /* A fixed temporary name: a copy left by a killed run is simply
     * overwritten by the next one (the commands that write hold the data
     * dir's lock, so two writers never share it). */
    char tmp[4096], dest[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name) >= sizeof tmp ||
        (size_t)snprintf(dest, sizeof dest, "%s/%s", dir, name) >= sizeof dest)
        return upd_fail("%s/%s: path too long", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return upd_fail("%s: %s", tmp, strerror(errno));
    /* A copy a killed run left keeps its old mode through O_TRUNC: set
     * before a byte is written. */
    if (fchmod(fd, mode) != 0 || upd_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int err = errno;
        close(fd);
        unlink(tmp);
        return upd_fail("%s: %s", tmp, strerror(err));
    }
    if (close(fd) != 0 || rename(tmp, dest) != 0) {
        int err = errno;
        unlink(tmp);
        return upd_fail("%s: %s", dest, strerror(err));
    }
    if (upd_fsync_dir(dir) != 0)
        return upd_fail("%s: %s", dir, strerror(errno));
    return UPD_EXIT_OK;
}

static int write_atomic(const char *dir, const char *name, const void *data, size_t len,
                        mode_t mode)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return upd_fail("%s/%s: path too long", dir, name);
    /* A link (a boot env on another partition) is followed and kept; a
     * device or FIFO cannot be replaced whole, so it is refused. */
    char *target;
    enum destination_kind kind;
    int err = resolve_destination(&target, &kind, path);
    int rc;
    if (err)
        rc = upd_fail("%s: %s", path, strerror(err));
    else if (kind != DESTINATION_FILE)
        rc = upd_fail("%s: not a regular file (a device, FIFO or socket); state is kept only in "
                      "files replaced whole", path);
    else {
        /* Always a slash: `path` has one, and so has every link's target
         * resolved from it. */
        char *slash = strrchr(target, '/');
        *slash = '\0';
        rc = replace_file(slash == target ? "/" : target, slash + 1, data, len, mode);
    }
    free(target);
    return rc;
}

int upd_write_atomic(const char *dir, const char *name, const void *data, size_t len)
{
    return write_atomic(dir, name, data, len, 0644);
}

int upd_write_private(const char *dir, const char *name, const void *data, size_t len)
{
    return write_atomic(dir, name, data, len, 0600);
}

int upd_read_file(char **data, const char *path, size_t max, bool missing_ok)
{
    *data = NULL;
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT && missing_ok ? UPD_EXIT_OK
                                             : upd_fail("%s: %s", path, strerror(errno));
    char *buf = malloc(max + 1);
    size_t len = buf ? fread(buf, 1, max + 1, f) : 0;
    bool bad = !buf || ferror(f) || len > max;
    fclose(f);
    if (bad) {
        free(buf);
        return upd_fail("%s: %s", path,
                        !buf ? "out of memory" : len > max ? "too large" : "read error");
    }
    /* A NUL would end the text early for C's string functions while other
     * readers of the file (Mender's, for mender.conf) go on past it. */
    const char *nul = memchr(buf, '\0', len);
    if (nul) {
        ptrdiff_t offset = nul - buf;
        free(buf);
        return upd_fail("%s: a NUL byte at offset %td; not a text file", path, offset);
    }
    buf[len] = '\0';
    *data = buf;
    return UPD_EXIT_OK;
}

/* DIR/NAME, a state file that may be absent. */
static int read_state_file(char **data, const char *dir, const char *name)
{
    char path[4096];
    *data = NULL;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return upd_fail("%s/%s: path too long", dir, name);
    return upd_read_file(data, path, STATE_FILE_MAX, true);
}

/* ---- provides ---- */

static bool valid_provides_key(const char *key)
{
    return *key && strpbrk(key, "=\n") == NULL;
}

static bool valid_provides_value(const char *value)
{
    return strchr(value, '\n') == NULL;
}

/* Where `key` is in the sorted keys, or where it would go (*found false). */
static size_t find_key(const struct upd_provides *p, const char *key, bool *found)
{
    size_t lo = 0, hi = p->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(p->keys[mid], key);
        if (cmp == 0) {
            *found = true;
            return mid;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static int check_entry(const char *key, const char *value)
{
    if (!valid_provides_key(key) || !valid_provides_value(value))
        return upd_fail("provides '%s' cannot be stored: empty key, '=' in the key or a "
                        "line break", key);
    return UPD_EXIT_OK;
}

/* The length of upd_provides_format()'s text, without its NUL. */
static size_t text_length(const struct upd_provides *p)
{
    size_t len = 0;
    for (size_t i = 0; i < p->count; i++)
        len += strlen(p->keys[i]) + strlen(p->values[i]) + 2;
    return len;
}

/* `origin` names the text the provides come from; NULL for an update's. */
static int check_bounds(const struct upd_provides *p, const char *origin)
{
    if (p->count <= PROVIDES_MAX && text_length(p) <= PROVIDES_TEXT_MAX)
        return UPD_EXIT_OK;
    return upd_fail("%s%smore than %d provides or %d bytes of them; a device records at most "
                    "that much", origin ? origin : "", origin ? ": " : "", PROVIDES_MAX,
                    PROVIDES_TEXT_MAX);
}

/* Room for `more` entries beyond count. */
static int grow(struct upd_provides *p, size_t more)
{
    size_t n = p->count + more ? p->count + more : 1;
    char **keys = realloc(p->keys, n * sizeof *keys);
    if (keys)
        p->keys = keys;
    char **values = keys ? realloc(p->values, n * sizeof *values) : NULL;
    if (values)
        p->values = values;
    return values ? UPD_EXIT_OK : upd_fail("out of memory");
}

/* One key=value of a batch, and its place in the batch. */
struct entry {
    char *key, *value;
    size_t order;
};

static int by_key_then_order(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int cmp = strcmp(x->key, y->key);
    return cmp ? cmp : (x->order > y->order) - (x->order < y->order);
}

/* Add n entries (copies of their keys and values) at once, in O(n log n)
 * rather than n insertions: sorted together with what p holds, and of two
 * equal keys the later one stays. With `origin` (the name of a text being
 * parsed) two equal keys are an error instead, and errors name it. On error
 * p is consistent, for upd_provides_free(). */
static int set_batch(struct upd_provides *p, size_t n, const char *const *keys,
                     const char *const *values, const char *origin)
{
    int rc = UPD_EXIT_OK;
    for (size_t i = 0; i < n && rc == UPD_EXIT_OK; i++)
        rc = check_entry(keys[i], values[i]);
    if (rc != UPD_EXIT_OK)
        return rc;
    size_t total = p->count + n;
    struct entry *all = calloc(total ? total : 1, sizeof *all);
    if (!all || grow(p, n) != UPD_EXIT_OK) {
        free(all);
        return upd_fail("out of memory");
    }
    bool copied = true;
    for (size_t i = 0; i < total; i++) {
        bool old = i < p->count;
        all[i].key = old ? p->keys[i] : strdup(keys[i - p->count]);
        all[i].value = old ? p->values[i] : strdup(values[i - p->count]);
        all[i].order = i;
        copied = copied && all[i].key && all[i].value;
    }
    if (!copied) {
        for (size_t i = p->count; i < total; i++) {
            free(all[i].key);
            free(all[i].value);
        }
        free(all);
        return upd_fail("out of memory");
    }
    qsort(all, total, sizeof *all, by_key_then_order);
    size_t kept = 0;
    for (size_t i = 0; i < total; i++) {
        bool replaced = i + 1 < total && strcmp(all[i].key, all[i + 1].key) == 0;
        if (replaced && origin && rc == UPD_EXIT_OK)
            rc = upd_fail("%s: key '%s' appears twice", origin, all[i].key);
        if (replaced) {
            free(all[i].key);
            free(all[i].value);
        } else {
            p->keys[kept] = all[i].key;
            p->values[kept] = all[i].value;
            kept++;
        }
    }
    p->count = kept;
    free(all);
    return rc == UPD_EXIT_OK ? check_bounds(p, origin) : rc;
}

int upd_provides_set_all(struct upd_provides *p, size_t n, const char *const *keys,
                         const char *const *values)
{
    return set_batch(p, n, keys, values, NULL);
}

int upd_provides_set(struct upd_provides *p, const char *key, const char *value)
{
    return set_batch(p, 1, &key, &value, NULL);
}

const char *upd_provides_get(const struct upd_provides *p, const char *key)
{
    bool found;
    size_t i = find_key(p, key, &found);
    return found ? p->values[i] : NULL;
}

/* Mender's glob for clears_artifact_provides: only '*' is special (any run of
 * characters); everything else, '?' and '[' included, matches itself. On a
 * mismatch only the last '*' takes one more character, which is enough for
 * '*'-only globs and keeps a signed but hostile glob such as "*a*a*a*b" to
 * O(glob × key) steps instead of exponentially many. */
static bool glob_match(const char *glob, const char *s)
{
    const char *after_star = NULL, *star_took = NULL;
    while (*s) {
        if (*glob == '*') {
            after_star = ++glob;
            star_took = s;
        } else if (*glob == *s) {
            glob++;
            s++;
        } else if (after_star) {
            glob = after_star;
            s = ++star_took;
        } else {
            return false;
        }
    }
    while (*glob == '*')
        glob++;
    return *glob == '\0';
}

void upd_provides_clear(struct upd_provides *p, const char *const *globs, size_t n)
{
    size_t kept = 0;
    for (size_t i = 0; i < p->count; i++) {
        bool cleared = false;
        for (size_t g = 0; g < n && !cleared; g++)
            cleared = glob_match(globs[g], p->keys[i]);
        if (cleared) {
            free(p->keys[i]);
            free(p->values[i]);
        } else {
            p->keys[kept] = p->keys[i];
            p->values[kept] = p->values[i];
            kept++;
        }
    }
    p->count = kept;
}

void upd_provides_free(struct upd_provides *p)
{
    for (size_t i = 0; i < p->count; i++) {
        free(p->keys[i]);
        free(p->values[i]);
    }
    free(p->keys);
    free(p->values);
    memset(p, 0, sizeof *p);
}

int upd_provides_parse(struct upd_provides *p, const char *text, const char *origin)
{
    memset(p, 0, sizeof *p);
    size_t lines = 0;
    for (const char *c = text; (c = strchr(c, '\n')); c++)
        lines++;
    char *copy = strdup(text);
    const char **keys = calloc(lines + 1, sizeof *keys);
    const char **values = calloc(lines + 1, sizeof *values);
    int rc = copy && keys && values ? UPD_EXIT_OK : upd_fail("out of memory");
    size_t n = 0;
    for (char *line = copy, *next; rc == UPD_EXIT_OK && *line; line = next) {
        next = strchr(line, '\n');
        if (!next)
            rc = upd_fail("%s: line %zu is not terminated", origin, n + 1);
        else
            *next++ = '\0';
        char *eq = strchr(line, '=');
        if (rc == UPD_EXIT_OK && (!eq || eq == line))
            rc = upd_fail("%s: line %zu is not key=value", origin, n + 1);
        if (rc == UPD_EXIT_OK) {
            *eq = '\0';
            keys[n] = line;
            values[n++] = eq + 1;
        }
    }
    if (rc == UPD_EXIT_OK)
        rc = set_batch(p, n, keys, values, origin);
    free(copy);
    free(keys);
    free(values);
    if (rc != UPD_EXIT_OK)
        upd_provides_free(p);
    return rc;
}

char *upd_provides_format(const struct upd_provides *p)
{
    char *text = malloc(text_length(p) + 1), *end = text;
    if (!text)
        return NULL;
    for (size_t i = 0; i < p->count; i++)
        end += sprintf(end, "%s=%s\n", p->keys[i], p->values[i]);
    *end = '\0';
    return text;
}

/* Every reader of the provides goes through upd_provides_load(), and a device
 * has one image file, so main sets it once rather than each caller passing it. */
static const char *artifact_info_file;

void upd_provides_use_artifact_info(const char *path)
{
    artifact_info_file = path;
}

static char *trim_space(char *s)
{
    s += strspn(s, " \t\r\v\f");
    size_t len = strlen(s);
    while (len > 0 && strchr(" \t\r\v\f", s[len - 1]))
        s[--len] = '\0';
    return s;
}

/* Mender 3.4's reading of the image's artifact_info (device.GetManifestData):
 * each line trimmed, '#' starts a comment line, any other line is key=value
 * with the value trimmed, a key twice is an error. Blank lines, which 3.4
 * calls broken, are skipped. Written to `out` (room for text and a line
 * break) in the provides file's form. */
static int artifact_info_to_provides(char *out, char *text, const char *path)
{
    size_t number = 0;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        number++;
        line = trim_space(line);
        if (!*line || *line == '#')
            continue;
        char *eq = strchr(line, '=');
        if (!eq || eq == line)
            return upd_fail("%s: line %zu is not key=value", path, number);
        *eq = '\0';
        out += sprintf(out, "%s=%s\n", line, trim_space(eq + 1));
    }
    *out = '\0';
    return UPD_EXIT_OK;
}

/* Empty set when the file is absent. */
static int load_artifact_info(struct upd_provides *p, const char *path)
{
    char *text;
    memset(p, 0, sizeof *p);
    int rc = upd_read_file(&text, path, STATE_FILE_MAX, true);
    if (rc != UPD_EXIT_OK || !text)
        return rc;
    char *lines = malloc(strlen(text) + 2);
    rc = lines ? artifact_info_to_provides(lines, text, path) : upd_fail("out of memory");
    if (rc == UPD_EXIT_OK)
        rc = upd_provides_parse(p, lines, path);
    free(lines);
    free(text);
    return rc;
}

int upd_provides_load(struct upd_provides *p, const char *data_dir)
{
    char *text;
    int rc = read_state_file(&text, data_dir, PROVIDES_FILE);
    /* Never committed an update: the provides are the image's. */
    if (rc == UPD_EXIT_OK && !text && artifact_info_file)
        return load_artifact_info(p, artifact_info_file);
    if (rc != UPD_EXIT_OK)
        return rc;
    if (!text) {
        memset(p, 0, sizeof *p);
        return UPD_EXIT_OK;
    }
    char origin[4096];
    snprintf(origin, sizeof origin, "%s/%s", data_dir, PROVIDES_FILE);
    rc = upd_provides_parse(p, text, origin);
    free(text);
    return rc;
}

int upd_provides_save(const struct upd_provides *p, const char *data_dir)
{
    char *text = upd_provides_format(p);
    if (!text)
        return upd_fail("out of memory");
    int rc = upd_write_atomic(data_dir, PROVIDES_FILE, text, strlen(text));
    free(text);
    return rc;
}

/* ---- the update in progress ---- */

static const char *const phase_names[] = {
    [UPD_PHASE_INSTALLING] = "installing",
    [UPD_PHASE_INSTALLED] = "installed",
    [UPD_PHASE_COMMITTING] = "committing",
};

static int add_string(json_object *obj, const char *key, const char *value)
{
    if (!value)
        return 0;
    json_object *s = json_object_new_string(value);
    return s ? json_object_object_add(obj, key, s) : -1;
}

int upd_progress_save(const struct upd_progress *u, const char *data_dir)
{
    json_object *obj = json_object_new_object();
    bool ok = obj && add_string(obj, "phase", phase_names[u->phase]) == 0 &&
              add_string(obj, "artifact_name", u->artifact_name) == 0 &&
              add_string(obj, "payload_type", u->payload_type) == 0 &&
              add_string(obj, "work_dir", u->work_dir) == 0 &&
              add_string(obj, "new_provides", u->new_provides) == 0 &&
              add_string(obj, "prev_boot_part", u->prev_boot_part) == 0 &&
              json_object_object_add(obj, "supports_rollback",
                                     json_object_new_boolean(u->supports_rollback)) == 0 &&
              json_object_object_add(obj, "needs_reboot",
                                     json_object_new_boolean(u->needs_reboot)) == 0;
    const char *text = ok ? json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY) : NULL;
    int rc = text ? upd_write_atomic(data_dir, PROGRESS_FILE, text, strlen(text))
                  : upd_fail("out of memory");
    json_object_put(obj);
    return rc;
}

/* A string member, or NULL when absent; false when present with another type. */
static bool get_string(char **out, json_object *obj, const char *key)
{
    json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(obj, key, &v))
        return true;
    if (!json_object_is_type(v, json_type_string))
        return false;
    *out = strdup(json_object_get_string(v));
    return *out != NULL;
}

static bool get_bool(bool *out, json_object *obj, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_boolean))
        return false;
    *out = json_object_get_boolean(v);
    return true;
}

static bool get_phase(enum upd_phase *out, json_object *obj)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, "phase", &v) || !json_object_is_type(v, json_type_string))
        return false;
    for (size_t i = 0; i < sizeof phase_names / sizeof *phase_names; i++)
        if (strcmp(json_object_get_string(v), phase_names[i]) == 0) {
            *out = (enum upd_phase)i;
            return true;
        }
    return false;
}

int upd_progress_load(struct upd_progress *u, bool *present, const char *data_dir)
{
    memset(u, 0, sizeof *u);
    *present = false;
    char *text;
    int rc = read_state_file(&text, data_dir, PROGRESS_FILE);
    if (rc != UPD_EXIT_OK || !text)
        return rc;
    json_object *obj = json_tokener_parse(text);
    free(text);
    bool ok = obj && json_object_is_type(obj, json_type_object) && get_phase(&u->phase, obj) &&
              get_string(&u->artifact_name, obj, "artifact_name") && u->artifact_name &&
              get_string(&u->payload_type, obj, "payload_type") &&
              get_string(&u->work_dir, obj, "work_dir") &&
              get_string(&u->new_provides, obj, "new_provides") && u->new_provides &&
              get_string(&u->prev_boot_part, obj, "prev_boot_part") &&
              get_bool(&u->supports_rollback, obj, "supports_rollback") &&
              get_bool(&u->needs_reboot, obj, "needs_reboot");
    json_object_put(obj);
    if (!ok) {
        upd_progress_free(u);
        return upd_fail("%s/%s: not a valid record of an update in progress", data_dir,
                        PROGRESS_FILE);
    }
    *present = true;
    return UPD_EXIT_OK;
}

static int remove_state_file(const char *data_dir, const char *name)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", data_dir, name) >= sizeof path)
        return upd_fail("%s: path too long", data_dir);
    if (unlink(path) != 0 && errno != ENOENT)
        return upd_fail("%s: %s", path, strerror(errno));
    if (upd_fsync_dir(data_dir) != 0)
        return upd_fail("%s: %s", data_dir, strerror(errno));
    return UPD_EXIT_OK;
}

int upd_progress_clear(const char *data_dir)
{
    return remove_state_file(data_dir, PROGRESS_FILE);
}

void upd_progress_free(struct upd_progress *u)
{
    free(u->artifact_name);
    free(u->payload_type);
    free(u->work_dir);
    free(u->new_provides);
    free(u->prev_boot_part);
    memset(u, 0, sizeof *u);
}

/* ---- the deployment the daemon reports on ---- */

int upd_deployment_state_save(const struct upd_deployment_state *d, const char *data_dir)
{
    json_object *obj = json_object_new_object();
    bool ok = obj && add_string(obj, "id", d->id) == 0 &&
              add_string(obj, "artifact_name", d->artifact_name) == 0 &&
              add_string(obj, "status", d->status) == 0 &&
              add_string(obj, "reason", d->reason) == 0 &&
              add_string(obj, "boot_id", d->boot_id) == 0 &&
              json_object_object_add(obj, "reported", json_object_new_boolean(d->reported)) == 0 &&
              json_object_object_add(obj, "aborted", json_object_new_boolean(d->aborted)) == 0;
    const char *text = ok ? json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY) : NULL;
    int rc = text ? upd_write_atomic(data_dir, DEPLOYMENT_FILE, text, strlen(text))
                  : upd_fail("out of memory");
    json_object_put(obj);
    return rc;
}

/* A record that does not parse would stop every later run: it is kept
 * aside for a look, and the daemon carries on without it. */
static int move_aside(const char *data_dir)
{
    char from[4096], to[4096];
    if ((size_t)snprintf(from, sizeof from, "%s/%s", data_dir, DEPLOYMENT_FILE) >= sizeof from ||
        (size_t)snprintf(to, sizeof to, "%s.bad", from) >= sizeof to)
        return upd_fail("%s: path too long", data_dir);
    if (rename(from, to) != 0 || upd_fsync_dir(data_dir) != 0)
        return upd_fail("%s: not a valid record of a deployment, and it cannot be moved aside: %s",
                        from, strerror(errno));
    upd_warn("%s: not a valid record of a deployment; moved aside to %s", from, to);
    return UPD_EXIT_OK;
}

int upd_deployment_state_load(struct upd_deployment_state *d, bool *present,
                              const char *data_dir)
{
    memset(d, 0, sizeof *d);
    *present = false;
    char *text;
    int rc = read_state_file(&text, data_dir, DEPLOYMENT_FILE);
    if (rc != UPD_EXIT_OK || !text)
        return rc;
    json_object *obj = json_tokener_parse(text);
    free(text);
    bool ok = obj && json_object_is_type(obj, json_type_object) &&
              get_string(&d->id, obj, "id") && d->id &&
              get_string(&d->artifact_name, obj, "artifact_name") && d->artifact_name &&
              get_string(&d->status, obj, "status") && d->status &&
              get_string(&d->reason, obj, "reason") && get_string(&d->boot_id, obj, "boot_id") &&
              get_bool(&d->reported, obj, "reported") && get_bool(&d->aborted, obj, "aborted");
    json_object_put(obj);
    if (!ok) {
        upd_deployment_state_free(d);
        return move_aside(data_dir);
    }
    *present = true;
    return UPD_EXIT_OK;
}

int upd_deployment_state_clear(const char *data_dir)
{
    return remove_state_file(data_dir, DEPLOYMENT_FILE);
}

void upd_deployment_state_free(struct upd_deployment_state *d)
{
    free(d->id);
    free(d->artifact_name);
    free(d->status);
    free(d->reason);
    free(d->boot_id);
    memset(d, 0, sizeof *d);
}
