/* Files as both programs meet them (files.h). */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The kernel's own limit on links followed in one lookup. */
#define MAX_LINKS 40

int keep_std_fds_open(void)
{
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        /* The lowest free number is `fd`: those below it are open by now. */
        int opened = open("/dev/null", fd == STDIN_FILENO ? O_WRONLY : O_RDONLY);
        if (opened < 0)
            return errno;
        if (opened != fd)
            return EBADF;
    }
    return 0;
}

/* `link`'s target as a path from here: a relative target is relative to
 * the directory holding the link. NULL with errno on failure. */
static char *link_target(const char *link, const char *target)
{
    const char *slash = strrchr(link, '/');
    if (target[0] == '/' || !slash)
        return strdup(target);
    size_t dir_len = (size_t)(slash - link) + 1;
    char *path = malloc(dir_len + strlen(target) + 1);
    if (path) {
        memcpy(path, link, dir_len);
        strcpy(path + dir_len, target);
    }
    return path;
}

int resolve_destination(char **path, enum destination_kind *kind, const char *name)
{
    *path = NULL;
    struct stat st;
    if (stat(name, &st) != 0) {
        /* Missing, or a dangling link: a file to create. */
        if (errno != ENOENT)
            return errno;
    } else if (S_ISDIR(st.st_mode)) {
        return EISDIR;
    } else if (!S_ISREG(st.st_mode)) {
        *kind = DESTINATION_STREAM;
        *path = strdup(name);
        return *path ? 0 : ENOMEM;
    }
    *kind = DESTINATION_FILE;
    char *at = strdup(name);
    for (int links = 0; at; links++) {
        char target[PATH_MAX];
        ssize_t n = readlink(at, target, sizeof target);
        /* Not a link (EINVAL) or nothing there yet: this is the file. */
        if (n < 0 && (errno == EINVAL || errno == ENOENT)) {
            *path = at;
            return 0;
        }
        int err = n < 0 ? errno : links == MAX_LINKS ? ELOOP
                              : (size_t)n == sizeof target ? ENAMETOOLONG : 0;
        if (err) {
            free(at);
            return err;
        }
        target[n] = '\0';
        char *next = link_target(at, target);
        free(at);
        at = next;
    }
    return ENOMEM;
}
