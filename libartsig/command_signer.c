/* A signer program (--sign-cmd): the way to any HSM or cloud the library
 * does not speak to itself. The program is trusted with nothing but the
 * bytes to sign; what it prints is checked against the public key by the
 * generic signer (signer.c), so a broken program cannot sign an artifact. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"

extern char **environ;

#define SOURCE "the signer program"

struct command_signer {
    char *command;
    char *key_type_var; /* "ARTSIG_SIGN_KEY_TYPE=..." */
};

static void command_signer_free(void *userdata)
{
    struct command_signer *cs = userdata;
    if (!cs)
        return;
    free(cs->command);
    free(cs->key_type_var);
    free(cs);
}

/* The caller's environment with ARTSIG_SIGN_KEY_TYPE set (the caller's own
 * value, if any, left out). The strings are the environment's: only the
 * array is to be freed. */
static char **child_environment(char *key_type_var)
{
    static const char name[] = ARTSIG_SIGN_KEY_TYPE_ENV "=";
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = calloc(n + 2, sizeof *env);
    if (!env)
        return NULL;
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], name, sizeof name - 1) != 0)
            env[used++] = environ[i];
    env[used] = key_type_var;
    return env;
}

/* A descriptor the program's stdin or stdout is not: when the caller runs
 * with 0, 1 or 2 closed, a new descriptor can take one of those numbers,
 * and the child's dup2()s would then overwrite one another. */
static int above_stdio(int fd)
{
    if (fd > STDERR_FILENO)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    int err = errno;
    close(fd);
    errno = err;
    return moved;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* The channels to the child: stdin a socket, so that sending to a program
 * that has stopped reading fails with EPIPE (MSG_NOSIGNAL) instead of
 * raising SIGPIPE in the caller's process; stdout a pipe. [0] is the
 * caller's end, [1] the child's. Every descriptor is close-on-exec, so no
 * program the caller's other threads start holds one open. */
static int open_channels(int in[2], int out[2])
{
    in[0] = in[1] = out[0] = out[1] = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0 ||
        pipe2(out, O_CLOEXEC) != 0)
        return errno;
    int *fds[] = {&in[0], &in[1], &out[0], &out[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if ((*fds[i] = above_stdio(*fds[i])) < 0)
            return errno;
    return 0;
}

/* Start `sh -c command` with its stdin and stdout the child's ends. It gets
 * SIGPIPE's default action and no blocked signals, whatever the caller's. */
static int spawn(pid_t *pid, const struct command_signer *cs, const int in[2], const int out[2])
{
    char **env = child_environment(cs->key_type_var);
    if (!env)
        return ENOMEM;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int err = posix_spawn_file_actions_init(&fa);
    if (err) {
        free(env);
        return err;
    }
    err = posix_spawnattr_init(&attr);
    if (err) {
        posix_spawn_file_actions_destroy(&fa);
        free(env);
        return err;
    }
    sigset_t none, pipe_signal;
    sigemptyset(&none);
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    /* dup2() clears close-on-exec on the copies, so only they survive exec. */
    err = posix_spawn_file_actions_adddup2(&fa, in[1], STDIN_FILENO);
    if (!err)
        err = posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    if (!err)
        err = posix_spawnattr_setsigmask(&attr, &none);
    if (!err)
        err = posix_spawnattr_setsigdefault(&attr, &pipe_signal);
    if (!err)
        err = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char *const argv[] = {"sh", "-c", cs->command, NULL};
    if (!err)
        err = posix_spawn(pid, "/bin/sh", &fa, &attr, argv, env);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    return err;
}

struct exchange {
    const uint8_t *msg;
    size_t msg_len, sent;
    char *output; /* ARTSIG_SIGN_CMD_OUTPUT_MAX + 1 bytes */
    size_t output_len;
    bool too_much;
};

/* Whether the program itself ended, left unreaped for wait_for(). */
static bool has_ended(pid_t pid)
{
    siginfo_t info = {.si_pid = 0};
    return waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == pid;
}

/* The programs running now, for artsig_signer_programs_stop() to reach from
 * a signal handler: lock-free slots, 0 when free. A program is listed from
 * its start until it has ended but is not yet reaped, so its pid cannot have
 * been reused while it is listed. Programs beyond the slots run unlisted. */
#define LISTED_MAX 64
static _Atomic pid_t running[LISTED_MAX];

static void list_program(pid_t pid)
{
    for (size_t i = 0; i < LISTED_MAX; i++) {
        pid_t free_slot = 0;
        if (atomic_compare_exchange_strong(&running[i], &free_slot, pid))
            return;
    }
}

static void unlist_program(pid_t pid)
{
    for (size_t i = 0; i < LISTED_MAX; i++) {
        pid_t listed = pid;
        if (atomic_compare_exchange_strong(&running[i], &listed, 0))
            return;
    }
}

/* Send sig to each listed program still running; whether one was. */
static bool signal_running(int sig)
{
    bool any = false;
    for (size_t i = 0; i < LISTED_MAX; i++) {
        pid_t pid = atomic_load(&running[i]);
        if (pid > 0 && !has_ended(pid)) {
            any = true;
            if (sig)
                kill(pid, sig);
        }
    }
    return any;
}

void artsig_signer_programs_stop(int sig)
{
    signal_running(sig);
    enum { NAP_MS = 10 };
    for (int waited = 0; waited < ARTSIG_SIGN_CMD_STOP_GRACE_MS; waited += NAP_MS) {
        if (!signal_running(0))
            return;
        struct timespec nap = {.tv_nsec = NAP_MS * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    signal_running(SIGKILL);
}

/* Feed the message to the program's stdin while reading its stdout, so that
 * neither waits for the other whatever their sizes. Ends when stdout closes
 * (or says too much) and stdin is written or refused, or once the program
 * ended and what it wrote is read: a child it left in the background may
 * hold stdout open for ever. A program that stops reading early is judged
 * by its exit status and its signature. */
static int exchange(struct exchange *x, pid_t pid, int *in, int *out)
{
    if (x->msg_len == 0)
        close_fd(in);
    int nap_ms = 1;
    while (*out >= 0 || *in >= 0) {
        /* Polled with a growing nap: without pidfd, the program's end has
         * no descriptor to wait on. Checked before the poll, so that all
         * it wrote before it ended is readable by then. */
        bool ended = has_ended(pid);
        struct pollfd p[2] = {{.fd = *in, .events = POLLOUT}, {.fd = *out, .events = POLLIN}};
        int ready = poll(p, 2, ended ? 0 : nap_ms);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (ready == 0) {
            if (ended)
                break;
            if (nap_ms < 50)
                nap_ms *= 2;
            continue;
        }
        if (p[0].revents) {
            ssize_t n = send(*in, x->msg + x->sent, x->msg_len - x->sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0)
                x->sent += (size_t)n;
            if ((n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) ||
                x->sent == x->msg_len)
                close_fd(in); /* done, or the program stopped reading */
        }
        if (p[1].revents) {
            size_t room = ARTSIG_SIGN_CMD_OUTPUT_MAX + 1 - x->output_len;
            ssize_t n = read(*out, x->output + x->output_len, room);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return errno;
            x->output_len += (size_t)n;
            if (x->output_len > ARTSIG_SIGN_CMD_OUTPUT_MAX) {
                /* Closing both ends stops a program that goes on and on
                 * (EPIPE or SIGPIPE in it) rather than waiting for it. */
                x->too_much = true;
                close_fd(in);
                close_fd(out);
            } else if (n == 0) {
                close_fd(out);
            }
        }
    }
    return 0;
}

static int wait_for(pid_t pid, int *status)
{
    siginfo_t info;
    while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR)
        ;
    unlist_program(pid);
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR)
            return errno;
    return 0;
}

/* How the program ended, when that was a failure. */
static int judge_exit(int status)
{
    if (WIFSIGNALED(status))
        return asig_fail(ARTSIG_EREMOTE, SOURCE " was killed by signal %d", WTERMSIG(status));
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 0)
        return ARTSIG_OK;
    int code = WEXITSTATUS(status);
    /* The shell's own codes: the likeliest mistakes in a command line. */
    const char *hint = code == 127   ? " (command not found)"
                       : code == 126 ? " (command not executable)"
                                     : "";
    return asig_fail(ARTSIG_EREMOTE, SOURCE " exited with status %d%s", code, hint);
}

/* Standard base64 with its padding, as `openssl base64` and `base64` print
 * it; whitespace anywhere is skipped, since both break long lines. The URL
 * alphabet is refused: with one alphabet, output that is not meant as a
 * signature is less likely to decode as one. Decoded into room for any
 * output, so that libsodium's ERANGE (which also means missing padding)
 * never has to be told apart from a signature that is too long. */
static int decode_output(uint8_t *sig, size_t *sig_len, const char *text, size_t len)
{
    int rc = asig_sodium_ready();
    if (rc != ARTSIG_OK)
        return rc;
    size_t room = len / 4 * 3 + 3, got = 0;
    uint8_t *bin = malloc(room);
    if (!bin)
        return asig_fail(ARTSIG_ENOMEM, SOURCE "'s signature");
    const char *end = NULL;
    /* A NUL would pass for whitespace: libsodium looks it up with strchr(). */
    if (len == 0 || memchr(text, '\0', len) ||
        sodium_base642bin(bin, room, text, len, " \t\r\n\v\f", &got, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != text + len || got == 0)
        rc = asig_fail(ARTSIG_EREMOTE, SOURCE " printed no base64 signature");
    else if (got > *sig_len)
        rc = asig_fail(ARTSIG_EREMOTE, SOURCE " printed a signature of %zu bytes, more than %zu",
                       got, *sig_len);
    if (rc == ARTSIG_OK) {
        memcpy(sig, bin, got);
        *sig_len = got;
    }
    free(bin);
    return rc;
}

static int command_sign(uint8_t *sig, size_t *sig_len, const void *msg, size_t msg_len,
                        void *userdata)
{
    const struct command_signer *cs = userdata;
    struct exchange x = {.msg = msg, .msg_len = msg_len};
    x.output = malloc(ARTSIG_SIGN_CMD_OUTPUT_MAX + 1);
    if (!x.output)
        return asig_fail(ARTSIG_ENOMEM, SOURCE "'s output");
    int in[2], out[2];
    pid_t pid;
    int err = open_channels(in, out);
    int rc = ARTSIG_OK;
    if (err)
        rc = asig_fail(ARTSIG_EREMOTE, "cannot start " SOURCE ": %s", strerror(err));
    else if ((err = spawn(&pid, cs, in, out)) != 0)
        rc = asig_fail(ARTSIG_EREMOTE, "cannot start " SOURCE " with /bin/sh: %s",
                       strerror(err));
    close_fd(&in[1]);
    close_fd(&out[1]);
    if (rc == ARTSIG_OK) {
        list_program(pid);
        err = exchange(&x, pid, &in[0], &out[0]);
        /* The program must be waited for even when talking to it failed. */
        close_fd(&in[0]);
        close_fd(&out[0]);
        int status = 0;
        int wait_err = wait_for(pid, &status);
        /* Too much output first: the program may then die of SIGPIPE. */
        if (err || wait_err)
            rc = asig_fail(ARTSIG_EREMOTE, "talking to " SOURCE ": %s",
                           strerror(err ? err : wait_err));
        else if (x.too_much)
            rc = asig_fail(ARTSIG_EREMOTE, SOURCE " printed more than %d bytes",
                           ARTSIG_SIGN_CMD_OUTPUT_MAX);
        else
            rc = judge_exit(status);
        if (rc == ARTSIG_OK)
            rc = decode_output(sig, sig_len, x.output, x.output_len);
    }
    close_fd(&in[0]);
    close_fd(&out[0]);
    free(x.output);
    return rc;
}

int artsig_signer_new_command(artsig_signer **out, const char *command, artsig_key *public_key)
{
    if (!out || !command || !public_key)
        return asig_fail(ARTSIG_EINVAL, "artsig_signer_new_command: NULL argument");
    if (!*command)
        return asig_fail(ARTSIG_EINVAL, "empty signer program command");
    artsig_key_type type = artsig_key_get_type(public_key);
    const char *type_name = artsig_key_type_name(type);
    struct command_signer *cs = calloc(1, sizeof *cs);
    size_t var_len = sizeof ARTSIG_SIGN_KEY_TYPE_ENV + 1 + (type_name ? strlen(type_name) : 0);
    if (cs) {
        cs->command = strdup(command);
        cs->key_type_var = malloc(var_len);
    }
    if (!cs || !cs->command || !cs->key_type_var) {
        command_signer_free(cs);
        return asig_fail(ARTSIG_ENOMEM, "new signer program");
    }
    snprintf(cs->key_type_var, var_len, "%s=%s", ARTSIG_SIGN_KEY_TYPE_ENV,
             type_name ? type_name : "");
    int rc = asig_signer_new_owned(out, type, public_key, command_sign, cs, command_signer_free,
                                   SOURCE);
    if (rc != ARTSIG_OK)
        command_signer_free(cs);
    return rc;
}
