/* Outputs appear whole or not at all: a temporary file beside the
 * destination, fsync'd and renamed into place only once complete. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Temporaries a signal handler must remove; a command has only a few outputs. */
#define MAX_PENDING 4
static char *volatile pending[MAX_PENDING];

static void track(char *tmp)
{
    for (int i = 0; i < MAX_PENDING; i++)
        if (!pending[i]) {
            pending[i] = tmp;
            return;
        }
}

static void untrack(const char *tmp)
{
    for (int i = 0; i < MAX_PENDING; i++)
        if (pending[i] == tmp)
            pending[i] = NULL;
}

static void cleanup_on_signal(int sig)
{
    for (int i = 0; i < MAX_PENDING; i++)
        if (pending[i])
            unlink(pending[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

void output_install_signal_cleanup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cleanup_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
}

int output_open(struct output *o, const char *dest, unsigned mode)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    char *copy = strdup(dest);
    if (!copy)
        return die(EXIT_IO, "%s: out of memory", dest);
    const char *dir = dirname(copy);
    size_t n = strlen(dest) + 32;
    o->tmp = malloc(n);
    o->dest = strdup(dest);
    if (!o->tmp || !o->dest) {
        free(copy);
        output_abort(o);
        return die(EXIT_IO, "%s: out of memory", dest);
    }
    snprintf(o->tmp, n, "%s/.artsig-tmp-XXXXXX", dir);
    free(copy);
    o->fd = mkostemp(o->tmp, O_CLOEXEC);
    if (o->fd < 0) {
        int err = errno;
        free(o->tmp);
        o->tmp = NULL;
        output_abort(o);
        return die(EXIT_IO, "%s: cannot create: %s", dest, strerror(err));
    }
    track(o->tmp);
    if (fchmod(o->fd, mode) != 0) {
        int err = errno;
        output_abort(o);
        return die(EXIT_IO, "%s: %s", dest, strerror(err));
    }
    return EXIT_OK;
}

int output_write(struct output *o, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = write(o->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int rc = die(EXIT_IO, "%s: write failed: %s", o->dest, strerror(errno));
            output_abort(o);
            return rc;
        }
        p += n;
        len -= (size_t)n;
    }
    return EXIT_OK;
}

int output_commit(struct output *o)
{
    int rc = EXIT_OK;
    if (fsync(o->fd) != 0 || close(o->fd) != 0) {
        o->fd = -1;
        rc = die(EXIT_IO, "%s: write failed: %s", o->dest, strerror(errno));
    } else {
        o->fd = -1;
        if (rename(o->tmp, o->dest) != 0)
            rc = die(EXIT_IO, "%s: %s", o->dest, strerror(errno));
    }
    if (rc != EXIT_OK) {
        output_abort(o);
        return rc;
    }
    untrack(o->tmp);
    free(o->tmp);
    free(o->dest);
    o->tmp = o->dest = NULL;
    return EXIT_OK;
}

void output_abort(struct output *o)
{
    if (o->fd >= 0)
        close(o->fd);
    if (o->tmp) {
        unlink(o->tmp);
        untrack(o->tmp);
    }
    free(o->tmp);
    free(o->dest);
    o->tmp = o->dest = NULL;
    o->fd = -1;
}
