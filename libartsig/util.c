#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    size_t n = len < ASIG_SHOWN_MAX ? len : ASIG_SHOWN_MAX;
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

int asig_sodium_ready(void)
{
    /* sodium_init() is thread-safe and returns 1 once already initialised. */
    if (sodium_init() < 0)
        return asig_fail(ARTSIG_ECRYPTO, "libsodium failed to initialise");
    return ARTSIG_OK;
}
