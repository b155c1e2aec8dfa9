/* Outputs appear whole or not at all: a temporary file beside the
 * destination, fsync'd and renamed into place only once complete. A link is
 * followed to the file it names, which is replaced and the link kept; a
 * device or FIFO cannot be replaced, so it is written through. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "files.h"

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

static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

static void cleanup_on_signal(int sig)
{
    /* A --sign-cmd program first: it may still be writing its signature,
     * and must not outlive the command it signs for. */
    artsig_signer_programs_stop(sig == SIGPIPE ? SIGTERM : sig);
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
    for (size_t i = 0; i < sizeof cleanup_signals / sizeof cleanup_signals[0]; i++)
        sigaction(cleanup_signals[i], &sa, NULL);
}

static void release(struct output *o)
{
    free(o->tmp);
    free(o->target);
    free(o->dest);
    o->tmp = o->target = o->dest = NULL;
    o->fd = -1;
}

/* One line naming the destination, then the output is aborted. */
static int fail(struct output *o, const char *what, int err)
{
    int rc = die(EXIT_IO, "%s: %s%s", o->dest ? o->dest : "output", what, strerror(err));
    output_abort(o);
    return rc;
}

/* Never O_CREAT: a device node removed meanwhile must not come back as a
 * regular file. No temporary file, so nothing for a signal to remove. */
static int open_stream(struct output *o)
{
    o->fd = open(o->target, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    return o->fd < 0 ? fail(o, "cannot open: ", errno) : EXIT_OK;
}

/* A signal between mkostemp and track() would leave the file behind, so
 * the cleanup signals wait until it is tracked. */
static int open_temporary(struct output *o, unsigned mode)
{
    char *copy = strdup(o->target);
    size_t n = strlen(o->target) + 32;
    o->tmp = malloc(n);
    if (!copy || !o->tmp) {
        free(copy);
        return fail(o, "", ENOMEM);
    }
    snprintf(o->tmp, n, "%s/.artsig-tmp-XXXXXX", dirname(copy));
    free(copy);
    sigset_t cleanup, saved;
    sigemptyset(&cleanup);
    for (size_t i = 0; i < sizeof cleanup_signals / sizeof cleanup_signals[0]; i++)
        sigaddset(&cleanup, cleanup_signals[i]);
    pthread_sigmask(SIG_BLOCK, &cleanup, &saved);
    o->fd = mkostemp(o->tmp, O_CLOEXEC);
    int err = errno;
    if (o->fd >= 0)
        track(o->tmp);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (o->fd < 0) {
        free(o->tmp);
        o->tmp = NULL;
        return fail(o, "cannot create: ", err);
    }
    return fchmod(o->fd, mode) == 0 ? EXIT_OK : fail(o, "", errno);
}

int output_open(struct output *o, const char *dest, unsigned mode)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    enum destination_kind kind;
    int err = resolve_destination(&o->target, &kind, dest);
    o->dest = strdup(dest);
    if (err || !o->dest)
        return fail(o, "", err ? err : ENOMEM);
    return kind == DESTINATION_STREAM ? open_stream(o) : open_temporary(o, mode);
}

int output_write(struct output *o, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = write(o->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(o, "write failed: ", errno);
        p += n;
        len -= (size_t)n;
    }
    return EXIT_OK;
}

int output_commit(struct output *o)
{
    /* A pipe or a character device has nothing to sync (EINVAL): what it
     * accepted is all there is. */
    int err = fsync(o->fd) == 0 || (!o->tmp && errno == EINVAL) ? 0 : errno;
    if (close(o->fd) != 0 && !err)
        err = errno;
    o->fd = -1;
    if (err)
        return fail(o, "write failed: ", err);
    if (o->tmp && rename(o->tmp, o->target) != 0)
        return fail(o, "", errno);
    if (o->tmp)
        untrack(o->tmp);
    release(o);
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
    release(o);
}
