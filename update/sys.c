/* The client's child processes (update modules, state scripts) and removing
 * a file tree. */
#include "update.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Mender gives a module that outlived its timeout a minute after SIGTERM
 * before SIGKILL. One the operator stopped gets less: someone is waiting. */
enum { KILL_GRACE_S = 60, STOP_GRACE_S = 10 };

/* Set by the handler only; acted on where the client waits for a child. */
static volatile sig_atomic_t stop_signal, stops;

static void note_stop(int sig)
{
    stop_signal = sig;
    stops++;
}

void upd_stop_signals_catch(void)
{
    static const int catch[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa = {.sa_handler = note_stop, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof catch / sizeof catch[0]; i++)
        sigaddset(&sa.sa_mask, catch[i]);
    /* One ignored from the start stays so: nohup's SIGHUP, the SIGINT of a
     * script's background job. */
    for (size_t i = 0; i < sizeof catch / sizeof catch[0]; i++) {
        struct sigaction was;
        if (sigaction(catch[i], NULL, &was) == 0 && was.sa_handler != SIG_IGN)
            sigaction(catch[i], &sa, NULL);
    }
}

int upd_stop_signal(void)
{
    return stop_signal;
}

const char *upd_state_refused(const char *state, char *buf, size_t size)
{
    static const char *const ending[] = {"ArtifactRollback", "ArtifactFailure", "Cleanup"};
    if (!stop_signal)
        return NULL;
    for (size_t i = 0; i < sizeof ending / sizeof ending[0]; i++)
        if (strcmp(state, ending[i]) == 0)
            return NULL;
    snprintf(buf, size, "not started: stopped by signal %d (%s)", (int)stop_signal,
             strsignal(stop_signal));
    return buf;
}

static struct timespec seconds_from_now(unsigned s)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)s;
    return t;
}

static bool passed(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

int upd_child_start(struct upd_child *c, char *const argv[], const char *cwd, bool capture,
                    unsigned timeout_s)
{
    *c = (struct upd_child){.out = -1, .deadline = seconds_from_now(timeout_s), .stops = stops};
    int pipefd[2] = {-1, -1};
    if (capture && pipe2(pipefd, O_CLOEXEC) != 0)
        return errno;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int err = posix_spawn_file_actions_init(&fa);
    if (err) {
        if (capture) {
            close(pipefd[0]);
            close(pipefd[1]);
        }
        return err;
    }
    err = posix_spawnattr_init(&attr);
    /* stdin is nothing (a module must not wait for a terminal), stdout is
     * captured or joins stderr (our stdout is for the commands' results),
     * nothing else of ours leaks (a FIFO's write end held by a child would
     * keep its reader from ever seeing the end). */
    if (!err)
        err = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!err)
        err = posix_spawn_file_actions_adddup2(&fa, capture ? pipefd[1] : 2, 1);
    if (!err && cwd)
        err = posix_spawn_file_actions_addchdir_np(&fa, cwd);
    if (!err)
        err = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    /* A process group of its own, so a timeout reaches everything it
     * started; SIGPIPE back to default, as we may ignore it and an ignored
     * signal stays ignored across exec. */
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    if (!err)
        err = posix_spawnattr_setsigmask(&attr, &none);
    if (!err)
        err = posix_spawnattr_setsigdefault(&attr, &dflt);
    if (!err)
        err = posix_spawnattr_setpgroup(&attr, 0);
    if (!err)
        err = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                  POSIX_SPAWN_SETSIGDEF);
    if (!err)
        err = posix_spawn(&c->pid, argv[0], &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    if (capture) {
        close(pipefd[1]);
        if (err)
            close(pipefd[0]);
        else
            c->out = pipefd[0];
    }
    if (err)
        c->pid = 0;
    else if (c->out >= 0)
        fcntl(c->out, F_SETFL, O_NONBLOCK);
    return err;
}

bool upd_child_ended(struct upd_child *c)
{
    if (c->pid <= 0)
        return true;
    siginfo_t ended = {.si_pid = 0};
    int r = waitid(P_PID, (id_t)c->pid, &ended, WEXITED | WNOHANG | WNOWAIT);
    if ((r == 0 && ended.si_pid == c->pid) || (r < 0 && errno != EINTR)) {
        /* What is left of a group told to end must not go on changing the
         * system: killed while the leader, unreaped, still holds the group's
         * id, so that no other group can have it. */
        if (r == 0 && c->stopping)
            kill(-c->pid, SIGKILL);
        /* ECHILD: someone reaped it for us (SIGCHLD ignored); its exit
         * status is lost, which must not pass for success. */
        int status;
        c->status = r == 0 && waitpid(c->pid, &status, 0) == c->pid ? status : -1;
        c->pid = 0;
        return true;
    }
    if (c->stops != stops) {
        /* Ours to pass on: the child's group is where a terminal's Ctrl-C
         * does not reach, and it must not outlive the client's lock. */
        c->stops = stops;
        kill(-c->pid, stop_signal);
        c->stopping = true;
        c->deadline = seconds_from_now(STOP_GRACE_S);
    } else if (passed(&c->deadline)) {
        kill(-c->pid, c->stopping ? SIGKILL : SIGTERM);
        if (!c->stopping) {
            c->timed_out = c->stopping = true;
            c->deadline = seconds_from_now(KILL_GRACE_S);
        }
    }
    return false;
}

/* What is readable of the captured stdout now, into out[*n..]; the excess
 * beyond outsz is read and dropped so the child never blocks on it. */
static void drain(struct upd_child *c, char *out, size_t outsz, size_t *n)
{
    char buf[4096];
    for (;;) {
        ssize_t got = read(c->out, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0 || errno != EAGAIN) {
                close(c->out);
                c->out = -1;
            }
            return;
        }
        size_t room = outsz > *n + 1 ? outsz - *n - 1 : 0;
        size_t take = (size_t)got < room ? (size_t)got : room;
        memcpy(out + *n, buf, take);
        *n += take;
    }
}

size_t upd_child_wait(struct upd_child *c, char *out, size_t outsz)
{
    size_t n = 0;
    int nap_ms = 1;
    for (;;) {
        if (c->out >= 0)
            drain(c, out, outsz, &n);
        if (upd_child_ended(c))
            break;
        /* Polling, with a growing nap: the child's end has no descriptor
         * to wait on without pidfd, and a module runs for minutes at most. */
        struct pollfd p = {.fd = c->out, .events = POLLIN};
        poll(&p, c->out >= 0, nap_ms);
        if (nap_ms < 50)
            nap_ms *= 2;
    }
    /* What the child wrote just before it ended; a grandchild holding the
     * pipe open does not hold us. */
    if (c->out >= 0) {
        drain(c, out, outsz, &n);
        if (c->out >= 0)
            close(c->out);
        c->out = -1;
    }
    if (out && outsz)
        out[n] = '\0';
    return n;
}

void upd_child_stop(struct upd_child *c, unsigned grace_s)
{
    if (!upd_child_ended(c)) {
        kill(-c->pid, SIGTERM);
        c->timed_out = c->stopping = true;
        c->deadline = seconds_from_now(grace_s);
        upd_child_wait(c, NULL, 0);
    }
    if (c->out >= 0)
        close(c->out);
    c->out = -1;
}

const char *upd_child_failure(const struct upd_child *c, char *buf, size_t size)
{
    if (c->status == 0 && !c->timed_out)
        return NULL;
    if (c->timed_out)
        snprintf(buf, size, "timed out");
    else if (c->status == -1)
        snprintf(buf, size, "exit status lost");
    else if (WIFEXITED(c->status))
        snprintf(buf, size, "exit code %d", WEXITSTATUS(c->status));
    else if (WIFSIGNALED(c->status))
        snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(c->status),
                 strsignal(WTERMSIG(c->status)));
    else
        snprintf(buf, size, "ended abnormally");
    return buf;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int upd_list_dir(char ***names, size_t *count, const char *dir,
                 bool (*keep)(const char *name, const void *arg), const void *arg)
{
    *names = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno;
    size_t cap = 0;
    int err = 0;
    for (struct dirent *e; !err && (e = readdir(d));) {
        if (!keep(e->d_name, arg))
            continue;
        if (*count == cap) {
            cap = cap ? cap * 2 : 8;
            char **grown = realloc(*names, cap * sizeof **names);
            if (!grown) {
                err = ENOMEM;
                break;
            }
            *names = grown;
        }
        if (!((*names)[*count] = strdup(e->d_name)))
            err = ENOMEM;
        else
            (*count)++;
    }
    closedir(d);
    if (err) {
        while (*count)
            free((*names)[--*count]);
        free(*names);
        *names = NULL;
        return err;
    }
    if (*count)
        qsort(*names, *count, sizeof **names, by_name);
    return 0;
}

int upd_remove_tree(const char *path)
{
    /* FTW_PHYS: a symbolic link inside is removed, never followed. */
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        return -1;
    return 0;
}
