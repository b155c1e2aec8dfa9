/* Update modules, Mender's v3 protocol: Documentation/update-modules-v3-file-api.md
 * in mendersoftware/mender, as Mender 3.4 runs it. A module is called as
 * `MODULE STATE FILES_DIR` in FILES_DIR (DATA_DIR/modules/v3/payloads/NNNN/tree),
 * which holds version, current_artifact_{name,group}, current_device_type,
 * header/ (header-info, type-info, meta-data, artifact_name, artifact_group,
 * payload_type), tmp/, and during Download a FIFO stream-next with FIFOs in
 * streams/. A module that reads stream-next gets "streams/NAME\n" per payload
 * file, reads that FIFO, and finally reads nothing at all (the end). A module
 * that ends Download without reading it has the files stored in files/.
 * States, as Mender 3.4's standalone mode: Download, SupportsRollback,
 * ArtifactInstall, NeedsArtifactReboot; then ArtifactCommit or
 * ArtifactRollback; after a failure ArtifactRollback (when supported and
 * ArtifactInstall ran) and ArtifactFailure; Cleanup at the end, always. */
#include "update.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* After a failure, a Download still running gets this long after SIGTERM. */
enum { ABORT_GRACE_S = 10 };
/* Waiting for the module to open a FIFO or to read more of it. */
enum { NAP_MS = 10 };

enum download_mode {
    UNDECIDED,  /* the module neither read stream-next nor ended yet */
    STREAMING,  /* it reads the payload through streams/ */
    FILES       /* it ended without reading: payload files go to files/ */
};

struct module {
    char *type, *program, *tree, *data_dir;
    unsigned timeout_s;       /* ModuleTimeoutSeconds, for each state */
    int dir;                  /* the tree, open; -1 before begin */
    struct upd_child download;
    enum download_mode mode;
    int fd;                   /* the payload file being written (FIFO or files/NAME) */
    char *file;               /* its name */
    bool ran;                 /* the module was started: Cleanup is due */
    bool installing;          /* ArtifactInstall started: ArtifactRollback/Failure are due */
    bool supports_rollback;
};

/* ---- running one state ---- */

/* What a module printed in a state whose stdout is its answer. */
struct answer {
    char text[256];
    size_t len;
};

/* Run `program STATE tree`; NULL when it succeeded, else why not (in why).
 * Its stdout goes into `answer` unless that is NULL. */
static const char *run_state(const char *program, const char *tree, const char *state,
                             unsigned timeout_s, struct answer *answer, char *why,
                             size_t why_size)
{
    if (upd_state_refused(state, why, why_size))
        return why;
    char *argv[] = {(char *)program, (char *)state, (char *)tree, NULL};
    struct upd_child c;
    int err = upd_child_start(&c, argv, tree, answer != NULL, timeout_s);
    if (err) {
        snprintf(why, why_size, "cannot run %s: %s", program, strerror(err));
        return why;
    }
    if (answer)
        answer->len = upd_child_wait(&c, answer->text, sizeof answer->text);
    else
        upd_child_wait(&c, NULL, 0);
    if (c.timed_out) {
        snprintf(why, why_size, "timed out after ModuleTimeoutSeconds (%u)", timeout_s);
        return why;
    }
    return upd_child_failure(&c, why, why_size);
}

/* A state whose failure is the command's error. call_warn: a state that runs
 * after a failure, to undo or clean up; its own failure is only a warning. */
static int call(const char *type, const char *program, const char *tree, const char *state,
                unsigned timeout_s)
{
    char why[160];
    if (run_state(program, tree, state, timeout_s, NULL, why, sizeof why))
        return upd_fail("update module %s failed in %s: %s", type, state, why);
    return 0;
}

static void call_warn(const char *type, const char *program, const char *tree, const char *state,
                      unsigned timeout_s)
{
    char why[160];
    if (run_state(program, tree, state, timeout_s, NULL, why, sizeof why))
        upd_warn("update module %s failed in %s: %s", type, state, why);
}

/* NeedsArtifactReboot and SupportsRollback: the answer is stdout, one of
 * `answers` and at most one newline after it; nothing means No. *choice is
 * the index in `answers`. Exactly what Mender reads alike in both its
 * clients: 3.x drops the newlines that end each write and compares the rest
 * whole (a NUL, a "\r" or a space included), 4.x takes the first line and
 * refuses a second one. */
static int ask(const char *type, const char *program, const char *tree, const char *state,
               unsigned timeout_s, const char *const *answers, size_t nanswers, size_t *choice)
{
    struct answer out;
    char why[160];
    if (run_state(program, tree, state, timeout_s, &out, why, sizeof why))
        return upd_fail("update module %s failed in %s: %s", type, state, why);
    size_t n = out.len;
    if (n > 0 && out.text[n - 1] == '\n')
        n--;
    if (n == 0) {
        *choice = 0;
        return 0;
    }
    for (size_t i = 0; i < nanswers; i++)
        if (strlen(answers[i]) == n && memcmp(out.text, answers[i], n) == 0) {
            *choice = i;
            return 0;
        }
    for (size_t i = 0; i < out.len; i++)
        if ((unsigned char)out.text[i] < 0x20 || out.text[i] == 0x7f)
            out.text[i] = '?';
    return upd_fail("update module %s: unexpected answer to %s: \"%.60s\"", type, state,
                    out.text);
}

/* Cleanup, then the tree goes: the end of the module's part of an update,
 * whatever its outcome. */
static void finish(const char *type, const char *program, const char *tree, unsigned timeout_s)
{
    call_warn(type, program, tree, "Cleanup", timeout_s);
    if (upd_remove_tree(tree) != 0)
        upd_warn("cannot remove %s: %s", tree, strerror(errno));
}

/* After ArtifactInstall was started and something failed: Mender's order. */
static void undo(const char *type, const char *program, const char *tree, bool supports_rollback,
                 unsigned timeout_s)
{
    if (supports_rollback)
        call_warn(type, program, tree, "ArtifactRollback", timeout_s);
    call_warn(type, program, tree, "ArtifactFailure", timeout_s);
    finish(type, program, tree, timeout_s);
}

/* DIR/NAME as an absolute path (malloc'd; NULL when out of memory): a
 * module runs in its tree, where a relative path would not lead. */
static char *absolute(const char *dir, const char *name)
{
    char *path = NULL, *cwd = NULL;
    if (dir[0] != '/' && !(cwd = getcwd(NULL, 0)))
        return NULL;
    if (asprintf(&path, "%s%s%s/%s", cwd ? cwd : "", cwd ? "/" : "", dir, name) < 0)
        path = NULL;
    free(cwd);
    return path;
}

/* MODULES_DIR/TYPE, when it is an executable file. The type is a payload
 * file name's characters, so it can't leave the modules dir. */
static int find_program(char **program, const struct upd_config *cfg, const char *type)
{
    *program = NULL;
    if (!type || !artsig_payload_name_valid(type, strlen(type)))
        return upd_fail("payload type \"%s\" is not a valid update module name",
                        type ? type : "(null)");
    if (!(*program = absolute(cfg->modules_dir, type)))
        return upd_fail("out of memory");
    struct stat st;
    if (stat(*program, &st) != 0)
        return upd_fail("payload type %s: no update module %s: %s", type, *program,
                        strerror(errno));
    if (!S_ISREG(st.st_mode) || access(*program, X_OK) != 0)
        return upd_fail("payload type %s: update module %s is not an executable file", type,
                        *program);
    return 0;
}

/* ---- the file tree ---- */

static int put(const char *dir, const char *name, const char *text)
{
    return upd_write_atomic(dir, name, text, strlen(text));
}

/* header/NAME: the artifact's own header.tar file, byte for byte, as the
 * Mender client writes it. Mender writes "null" for a payload without a
 * meta-data member. */
static int put_header_file(const char *dir, const artsig_info *info, size_t payload,
                           const char *name)
{
    const uint8_t *data;
    size_t len;
    int rc = artsig_info_header_file(&data, &len, info, payload, name);
    if (rc == ARTSIG_ENOTFOUND && payload != ARTSIG_ARTIFACT && strcmp(name, "meta-data") == 0)
        return put(dir, name, "null");
    if (rc != ARTSIG_OK)
        return upd_fail("header %s: %s", name, artsig_last_error());
    return upd_write_atomic(dir, name, data, len);
}

static int make_dirs(const char *tree)
{
    /* DATA_DIR/modules/v3/payloads/NNNN/tree: each level may be missing. */
    char *path = strdup(tree);
    if (!path)
        return upd_fail("out of memory");
    for (char *p = strchr(path + 1, '/');; p = strchr(p + 1, '/')) {
        if (p)
            *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            int rc = upd_fail("%s: %s", path, strerror(errno));
            free(path);
            return rc;
        }
        if (!p)
            break;
        *p = '/';
    }
    free(path);
    return 0;
}

static int build_tree(struct module *m, const struct upd_ctx *ctx, size_t payload)
{
    const artsig_info *info = ctx->info;
    const char *name = upd_provides_get(ctx->provides, "artifact_name");
    const char *group = upd_provides_get(ctx->provides, "artifact_group");
    const char *new_group = artsig_info_group(info);
    char *header = NULL, version[16];
    snprintf(version, sizeof version, "%d", artsig_info_format_version(info));
    /* A tree left by an install that was killed is stale. */
    if (upd_remove_tree(m->tree) != 0)
        return upd_fail("cannot remove %s: %s", m->tree, strerror(errno));
    if (make_dirs(m->tree) != 0)
        return UPD_EXIT_FAILURE;
    m->dir = open(m->tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m->dir < 0)
        return upd_fail("%s: %s", m->tree, strerror(errno));
    if (asprintf(&header, "%s/header", m->tree) < 0)
        return upd_fail("out of memory");
    int rc = 0;
    if (mkdirat(m->dir, "header", 0700) != 0 || mkdirat(m->dir, "tmp", 0700) != 0 ||
        mkdirat(m->dir, "streams", 0700) != 0)
        rc = upd_fail("%s: %s", m->tree, strerror(errno));
    if (!rc)
        rc = put(m->tree, "version", version);
    if (!rc)
        rc = put(m->tree, "current_artifact_name", name ? name : "");
    if (!rc)
        rc = put(m->tree, "current_artifact_group", group ? group : "");
    if (!rc)
        rc = put(m->tree, "current_device_type", ctx->device_type);
    if (!rc)
        rc = put(header, "artifact_name", artsig_info_name(info));
    if (!rc)
        rc = put(header, "artifact_group", new_group ? new_group : "");
    if (!rc)
        rc = put(header, "payload_type", m->type);
    if (!rc)
        rc = put_header_file(header, info, ARTSIG_ARTIFACT, "header-info");
    if (!rc)
        rc = put_header_file(header, info, payload, "type-info");
    if (!rc)
        rc = put_header_file(header, info, payload, "meta-data");
    free(header);
    if (!rc && mkfifoat(m->dir, "stream-next", 0600) != 0)
        rc = upd_fail("%s/stream-next: %s", m->tree, strerror(errno));
    return rc;
}

/* ---- Download ---- */

enum fifo_open { FIFO_OPEN, FIFO_ENDED, FIFO_FAILED };

/* Open a FIFO of the tree for writing once the module opened it for
 * reading (*fd), unless the Download process ended first. */
static enum fifo_open open_fifo(struct module *m, const char *name, int *fd)
{
    for (;;) {
        *fd = openat(m->dir, name, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (*fd >= 0)
            return FIFO_OPEN;
        if (errno != ENXIO && errno != EINTR) {
            upd_fail("%s/%s: %s", m->tree, name, strerror(errno));
            return FIFO_FAILED;
        }
        if (upd_child_ended(&m->download))
            return FIFO_ENDED;
        poll(NULL, 0, NAP_MS);
    }
}

/* Why the Download process failed, as an error; 0 when it exited 0. */
static int download_failed(struct module *m)
{
    char why[160];
    if (upd_child_failure(&m->download, why, sizeof why))
        return upd_fail("update module %s failed in Download: %s", m->type, why);
    return 0;
}

/* The Download process ended while the client still had `name` to give it. */
static int ended_early(struct module *m, const char *name)
{
    if (download_failed(m) != 0)
        return UPD_EXIT_FAILURE;
    return upd_fail("update module %s ended during Download before reading %s", m->type, name);
}

/* Write all of data into a FIFO the module reads, for as long as it lives. */
static int write_fifo(struct module *m, int fd, const char *name, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            if (errno == EPIPE)
                return upd_fail("update module %s stopped reading %s during Download", m->type,
                                name);
            return upd_fail("%s/%s: %s", m->tree, name, strerror(errno));
        }
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        if (poll(&pfd, 1, NAP_MS) == 0 && upd_child_ended(&m->download))
            return ended_early(m, name);
    }
    return 0;
}

/* The module ended Download without streaming: the client stores the
 * payload files in files/, and the streams tree goes away (as in Mender). */
static int store_files(struct module *m)
{
    char *streams = NULL;
    if (asprintf(&streams, "%s/streams", m->tree) < 0)
        return upd_fail("out of memory");
    int rc = upd_remove_tree(streams) != 0 ? upd_fail("cannot remove %s: %s", streams,
                                                      strerror(errno))
                                           : 0;
    free(streams);
    if (!rc && unlinkat(m->dir, "stream-next", 0) != 0)
        rc = upd_fail("%s/stream-next: %s", m->tree, strerror(errno));
    if (!rc && mkdirat(m->dir, "files", 0700) != 0)
        rc = upd_fail("%s/files: %s", m->tree, strerror(errno));
    if (!rc)
        m->mode = FILES;
    return rc;
}

/* Offer the file on stream-next; when the module takes it, open its FIFO. */
static int offer_stream(struct module *m, const char *name)
{
    char *fifo = NULL, *line = NULL;
    if (asprintf(&fifo, "streams/%s", name) < 0)
        return upd_fail("out of memory");
    if (asprintf(&line, "%s\n", fifo) < 0) {
        free(fifo);
        return upd_fail("out of memory");
    }
    int fd = -1, rc = 0;
    if (mkfifoat(m->dir, fifo, 0600) != 0)
        rc = upd_fail("%s/%s: %s", m->tree, fifo, strerror(errno));
    enum fifo_open o = rc ? FIFO_FAILED : open_fifo(m, "stream-next", &fd);
    if (o == FIFO_ENDED) {
        /* Not having read stream-next at all, and having succeeded,
         * means "store the files for me". */
        rc = m->mode == STREAMING ? ended_early(m, name) : download_failed(m);
        if (!rc)
            rc = store_files(m);
    } else if (o == FIFO_OPEN) {
        m->mode = STREAMING;
        rc = write_fifo(m, fd, "stream-next", line, strlen(line));
        close(fd);
        if (!rc) {
            o = open_fifo(m, fifo, &m->fd);
            rc = o == FIFO_ENDED ? ended_early(m, name) : o == FIFO_FAILED ? UPD_EXIT_FAILURE : 0;
        }
    } else {
        rc = UPD_EXIT_FAILURE;
    }
    free(fifo);
    free(line);
    return rc;
}

static int module_begin(void *self, const struct upd_ctx *ctx, size_t payload)
{
    struct module *m = self;
    if (find_program(&m->program, ctx->cfg, m->type) != 0)
        return UPD_EXIT_FAILURE;
    if (!(m->data_dir = strdup(ctx->data_dir)))
        return upd_fail("out of memory");
    m->timeout_s = ctx->cfg->module_timeout_s;
    char where[40];
    snprintf(where, sizeof where, "modules/v3/payloads/%04zu/tree", payload);
    if (!(m->tree = absolute(ctx->data_dir, where)))
        return upd_fail("out of memory");
    if (build_tree(m, ctx, payload) != 0)
        return UPD_EXIT_FAILURE;
    /* A module that stopped reading a FIFO must fail the write, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    char *argv[] = {m->program, "Download", m->tree, NULL};
    int err = upd_child_start(&m->download, argv, m->tree, false, m->timeout_s);
    if (err)
        return upd_fail("cannot run %s: %s", m->program, strerror(err));
    m->ran = true;
    return 0;
}

static int module_file_begin(void *self, const char *name, uint64_t size)
{
    struct module *m = self;
    (void)size;
    free(m->file);
    m->file = strdup(name);
    if (!m->file)
        return upd_fail("out of memory");
    if (m->mode != FILES) {
        int rc = offer_stream(m, name);
        if (rc || m->mode == STREAMING)
            return rc;
    }
    char *path = NULL;
    if (asprintf(&path, "files/%s", name) < 0)
        return upd_fail("out of memory");
    m->fd = openat(m->dir, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int rc = m->fd < 0 ? upd_fail("%s/%s: %s", m->tree, path, strerror(errno)) : 0;
    free(path);
    return rc;
}

static int module_file_data(void *self, const void *data, size_t len)
{
    struct module *m = self;
    if (m->mode == STREAMING)
        return write_fifo(m, m->fd, m->file, data, len);
    if (upd_write_all(m->fd, data, len) != 0)
        return upd_fail("%s/files/%s: %s", m->tree, m->file, strerror(errno));
    return 0;
}

static int module_file_end(void *self, const char *name)
{
    struct module *m = self;
    (void)name;
    /* For a FIFO, the close is the end of the stream the module reads. */
    int rc = close(m->fd) != 0 && m->mode == FILES
                 ? upd_fail("%s/files/%s: %s", m->tree, m->file, strerror(errno))
                 : 0;
    m->fd = -1;
    return rc;
}

static int module_download_done(void *self)
{
    struct module *m = self;
    if (m->mode != FILES && !upd_child_ended(&m->download)) {
        /* The end of the streams: stream-next opened and closed with
         * nothing in it, which a module reads as an empty name. A module
         * that ends instead of reading it is fine (as in Mender). */
        int fd;
        enum fifo_open o = open_fifo(m, "stream-next", &fd);
        if (o == FIFO_FAILED)
            return UPD_EXIT_FAILURE;
        if (o == FIFO_OPEN)
            close(fd);
    }
    upd_child_wait(&m->download, NULL, 0);
    if (download_failed(m) != 0)
        return UPD_EXIT_FAILURE;
    /* No file at all and no stream-next read: still the files tree. */
    if (m->mode == UNDECIDED && store_files(m) != 0)
        return UPD_EXIT_FAILURE;
    if (syncfs(m->dir) != 0)
        return upd_fail("%s: %s", m->tree, strerror(errno));
    /* Asked once Download succeeded and before ArtifactInstall's scripts,
     * as Mender 3.4 does. */
    static const char *const answers[] = {"No", "Yes"};
    size_t choice;
    if (ask(m->type, m->program, m->tree, "SupportsRollback", m->timeout_s, answers, 2, &choice) != 0)
        return UPD_EXIT_FAILURE;
    m->supports_rollback = choice == 1;
    return 0;
}

static int replace(char **field, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return upd_fail("out of memory");
    free(*field);
    *field = copy;
    return 0;
}

static int module_install(void *self, struct upd_progress *progress, bool *needs_reboot)
{
    struct module *m = self;
    /* Recorded before ArtifactInstall starts: a run killed inside it is
     * undone by the next one with the module's rollback. */
    progress->phase = UPD_PHASE_INSTALLING;
    progress->supports_rollback = m->supports_rollback;
    if (replace(&progress->work_dir, m->tree) != 0 ||
        replace(&progress->payload_type, m->type) != 0 ||
        upd_progress_save(progress, m->data_dir) != 0)
        return UPD_EXIT_FAILURE;
    m->installing = true;
    if (call(m->type, m->program, m->tree, "ArtifactInstall", m->timeout_s) != 0)
        return UPD_EXIT_FAILURE;
    /* "Yes" asks for the module's own ArtifactReboot, which Mender's
     * standalone mode never runs either: both mean "reboot the device". */
    static const char *const answers[] = {"No", "Yes", "Automatic"};
    size_t choice;
    if (ask(m->type, m->program, m->tree, "NeedsArtifactReboot", m->timeout_s, answers, 3, &choice) != 0)
        return UPD_EXIT_FAILURE;
    *needs_reboot = choice != 0;
    progress->needs_reboot = *needs_reboot;
    return 0;
}

static void close_file(struct module *m)
{
    if (m->fd >= 0)
        close(m->fd);
    m->fd = -1;
}

static void module_abort(void *self)
{
    struct module *m = self;
    /* Closing first: a module blocked on the FIFO sees its end. */
    close_file(m);
    upd_child_stop(&m->download, ABORT_GRACE_S);
    if (!m->ran) {
        if (m->tree && upd_remove_tree(m->tree) != 0)
            upd_warn("cannot remove %s: %s", m->tree, strerror(errno));
        return;
    }
    if (m->installing)
        undo(m->type, m->program, m->tree, m->supports_rollback, m->timeout_s);
    else
        finish(m->type, m->program, m->tree, m->timeout_s);
    m->ran = false;
}

static void module_free(void *self)
{
    struct module *m = self;
    if (!m)
        return;
    close_file(m);
    upd_child_stop(&m->download, ABORT_GRACE_S);
    if (m->dir >= 0)
        close(m->dir);
    free(m->type);
    free(m->program);
    free(m->tree);
    free(m->data_dir);
    free(m->file);
    free(m);
}

static const struct upd_installer module_ops = {
    .name = "update module",
    .begin = module_begin,
    .file_begin = module_file_begin,
    .file_data = module_file_data,
    .file_end = module_file_end,
    .download_done = module_download_done,
    .install = module_install,
    .abort = module_abort,
    .free = module_free,
};

int upd_module_new(void **self, const struct upd_installer **ops, const char *type)
{
    struct module *m = calloc(1, sizeof *m);
    if (!m || !(m->type = strdup(type ? type : ""))) {
        free(m);
        return upd_fail("out of memory");
    }
    m->dir = m->fd = -1;
    m->download.out = -1;
    *self = m;
    *ops = &module_ops;
    return 0;
}

/* ---- after the install: commit and rollback from the saved progress ---- */

static int saved_module(char **program, const struct upd_config *cfg,
                        const struct upd_progress *u, bool *tree_gone)
{
    *program = NULL;
    if (!u->work_dir)
        return upd_fail("the saved update names no update module work dir");
    struct stat st;
    /* Gone: Cleanup ran, so the module's part already ended (a run killed
     * between it and the end of the command). */
    *tree_gone = stat(u->work_dir, &st) != 0 && errno == ENOENT;
    if (*tree_gone) {
        *program = NULL;
        return 0;
    }
    return find_program(program, cfg, u->payload_type);
}

/* ArtifactCommit or ArtifactRollback of the saved update, then the end of
 * the module's part: after a failure what Mender runs next (ArtifactRollback
 * when `rollback_after_failure`, ArtifactFailure), and Cleanup either way. */
static int end_saved(const struct upd_config *cfg, const struct upd_progress *u,
                     const char *state, bool rollback_after_failure)
{
    char *program;
    bool gone;
    int rc = saved_module(&program, cfg, u, &gone);
    if (rc == 0 && !gone) {
        rc = call(u->payload_type, program, u->work_dir, state, cfg->module_timeout_s);
        if (rc)
            undo(u->payload_type, program, u->work_dir, rollback_after_failure,
                 cfg->module_timeout_s);
        else
            finish(u->payload_type, program, u->work_dir, cfg->module_timeout_s);
    }
    free(program);
    return rc;
}

int upd_module_commit(const struct upd_config *cfg, const struct upd_progress *u)
{
    return end_saved(cfg, u, "ArtifactCommit", u->supports_rollback);
}

int upd_module_recover(const struct upd_config *cfg, const char *data_dir,
                       const struct upd_progress *u)
{
    char *program;
    bool gone;
    int rc = saved_module(&program, cfg, u, &gone);
    if (rc != 0 || gone) {
        free(program);
        return rc;
    }
    unsigned timeout_s = cfg->module_timeout_s;
    upd_scripts_run(cfg, data_dir, "ArtifactInstall", "Error");
    if (u->supports_rollback) {
        rc = upd_scripts_run(cfg, data_dir, "ArtifactRollback", "Enter");
        if (rc == 0)
            rc = call(u->payload_type, program, u->work_dir, "ArtifactRollback", timeout_s);
        /* Rolled back: its Leave scripts cannot make that undone. */
        if (rc == 0 && upd_scripts_run(cfg, data_dir, "ArtifactRollback", "Leave") != 0)
            upd_warn("the ArtifactRollback_Leave scripts failed after the rollback");
    }
    if (rc == 0) {
        upd_scripts_run(cfg, data_dir, "ArtifactFailure", "Enter");
        call_warn(u->payload_type, program, u->work_dir, "ArtifactFailure", timeout_s);
        upd_scripts_run(cfg, data_dir, "ArtifactFailure", "Leave");
        finish(u->payload_type, program, u->work_dir, timeout_s);
    }
    free(program);
    return rc;
}

int upd_module_rollback(const struct upd_config *cfg, const struct upd_progress *u)
{
    if (!u->supports_rollback)
        return upd_fail("update module %s does not support rollback",
                        u->payload_type ? u->payload_type : "(unknown)");
    return end_saved(cfg, u, "ArtifactRollback", false);
}
