#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "internal.h"

int asig_read_file(uint8_t **out, size_t *len, const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return asig_fail(errno == ENOENT ? ARTSIG_ENOENT : ARTSIG_EIO, "%s: %s", path,
                         strerror(errno));
    uint8_t *buf = malloc(max + 2);
    if (!buf) {
        close(fd);
        return asig_fail(ARTSIG_ENOMEM, "reading %s", path);
    }
    size_t used = 0;
    /* Callers may read private keys: every early exit wipes what was read.
     * Read one byte past the limit so an oversized file is told apart. */
    while (used <= max) {
        ssize_t n = read(fd, buf + used, max + 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            close(fd);
            sodium_memzero(buf, used);
            free(buf);
            return asig_fail(ARTSIG_EIO, "%s: %s", path, strerror(err));
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    if (used > max) {
        sodium_memzero(buf, used);
        free(buf);
        return asig_fail(ARTSIG_ELIMIT, "%s: larger than %zu bytes", path, max);
    }
    buf[used] = 0;
    *out = buf;
    *len = used;
    return ARTSIG_OK;
}

const char *asig_printable(char buf[static ASIG_SHOWN_MAX + 4], const char *s, size_t len)
{
    return asig_printable_cut(buf, ASIG_SHOWN_MAX, s, len);
}

const char *asig_printable_cut(char *buf, size_t max, const char *s, size_t len)
{
    size_t n = len < max ? len : max;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    strcpy(buf + n, len > n ? "..." : "");
    return buf;
}

bool asig_find_name(size_t *pos, const void *seq, size_t lo, size_t hi,
                    const char *(*name_at)(const void *seq, size_t i), const char *name)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name_at(seq, mid), name);
        if (c == 0) {
            *pos = mid;
            return true;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return false;
}

/* <State>_<Enter|Leave|Error>_NN[_name]. The reference clients accept
 * "_\S+" as the name; "/" and other bytes a file name should not hold are
 * refused here: the name becomes a file on the device. */
bool asig_script_name_valid(const char *s)
{
    static const char *const states[] = {
        "ArtifactInstall",  "ArtifactReboot",         "ArtifactCommit",
        "ArtifactRollback", "ArtifactRollbackReboot", "ArtifactFailure",
    };
    static const char *const actions[] = {"_Enter_", "_Leave_", "_Error_"};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        size_t n = strlen(states[i]);
        if (strncmp(s, states[i], n) != 0)
            continue;
        for (size_t j = 0; j < sizeof actions / sizeof actions[0]; j++) {
            const char *p = s + n;
            if (strncmp(p, actions[j], 7) != 0)
                continue;
            p += 7;
            if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
                return false;
            p += 2;
            return *p == '\0' || (*p == '_' && artsig_payload_name_valid(p + 1, strlen(p + 1)));
        }
    }
    return false;
}

/* ---- JSON building ---- */

json_object *asig_jb_made(struct asig_jb *b, json_object *o)
{
    if (!o)
        b->failed = true;
    return o;
}

void asig_jb_put(struct asig_jb *b, json_object *obj, const char *key, json_object *v)
{
    if (!obj || json_object_object_add(obj, key, v) != 0) {
        json_object_put(v);
        b->failed = true;
    }
}

void asig_jb_push(struct asig_jb *b, json_object *arr, json_object *v)
{
    if (!arr || json_object_array_add(arr, v) != 0) {
        json_object_put(v);
        b->failed = true;
    }
}

json_object *asig_jb_string(struct asig_jb *b, const char *s)
{
    return s ? asig_jb_made(b, json_object_new_string(s)) : NULL;
}

json_object *asig_jb_strings(struct asig_jb *b, char *const *v, size_t n)
{
    json_object *arr = asig_jb_made(b, json_object_new_array());
    for (size_t i = 0; i < n; i++)
        asig_jb_push(b, arr, asig_jb_string(b, v[i]));
    return arr;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_object *asig_jb_sorted(struct asig_jb *b, json_object *v)
{
    if (json_object_is_type(v, json_type_array)) {
        json_object *arr = asig_jb_made(b, json_object_new_array());
        for (size_t i = 0; i < json_object_array_length(v); i++)
            asig_jb_push(b, arr, asig_jb_sorted(b, json_object_array_get_idx(v, i)));
        return arr;
    }
    if (!json_object_is_type(v, json_type_object))
        return json_object_get(v);
    size_t n = (size_t)json_object_object_length(v), i = 0;
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    json_object *obj = asig_jb_made(b, json_object_new_object());
    if (!keys) {
        b->failed = true;
        return obj;
    }
    json_object_object_foreach(v, key, value)
    {
        (void)value;
        keys[i++] = key;
    }
    qsort(keys, n, sizeof *keys, cmp_key);
    for (i = 0; i < n; i++)
        asig_jb_put(b, obj, keys[i], asig_jb_sorted(b, json_object_object_get(v, keys[i])));
    free(keys);
    return obj;
}

int asig_sodium_ready(void)
{
    /* sodium_init() is thread-safe and returns 1 once already initialised. */
    if (sodium_init() < 0)
        return asig_fail(ARTSIG_ECRYPTO, "libsodium failed to initialise");
    return ARTSIG_OK;
}

int asig_write_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void asig_writeback_note(struct asig_writeback *wb, uint64_t written)
{
    wb->since += written;
    if (wb->off || wb->since < ASIG_WRITEBACK_STEP)
        return;
    wb->since = 0;
    /* The whole file: pages already on their way to the disk are skipped. */
    if (sync_file_range(wb->fd, 0, 0, SYNC_FILE_RANGE_WRITE) != 0)
        wb->off = true;
}

void asig_wipe_free(char *s)
{
    if (s) {
        sodium_memzero(s, strlen(s));
        free(s);
    }
}
