/* The commands that change the device: install, commit, rollback.
 *
 * install streams the artifact through libartsig's reader, which verifies in
 * the order a device must trust it: the signature before any header fact is
 * used, the header digest before the header callback, each payload file's
 * digest at its end. The header callback refuses what does not fit this
 * device (device type, depends) before a payload byte is read; payload bytes
 * are only staged (inactive partition, module's files or streams) until the
 * reader's verdict; only after it do the artifact's scripts run and does the
 * installer activate anything.
 *
 * The update in progress is recorded in the data dir (state.c) with a phase,
 * saved before the step it names, so the next run can tell how far a killed
 * one got (reconcile()). Provides change only at commit, in one atomic write
 * of the whole set that was computed, and checked storable, at install. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "update.h"

#define ROOTFS_TYPE "rootfs-image"
#define DEVICE_TYPE_MAX 4096

struct install {
    struct upd_ctx ctx;             /* what the installer is given; lives as long */
    const struct upd_install_hooks *hooks; /* NULL: none */
    void *userdata;                 /* the hooks' */
    struct upd_install_result *result;
    struct upd_provides provides;   /* the device's, before this update */
    char *device_type;
    char *new_provides;             /* the whole set to record at commit */
    void *installer;                /* NULL for an artifact without payload type */
    const struct upd_installer *ops;
    bool begun;                     /* ops->begin was called: abort is due on failure */
    bool reported;                  /* a failure was already reported on stderr */
};

/* ---- the device's facts ---- */

/* DeviceTypeFile as Mender reads it: one line "device_type=NAME". */
static int read_device_type(char **out, const char *path)
{
    char *text;
    int rc = upd_read_file(&text, path, DEVICE_TYPE_MAX, false);
    if (rc != UPD_EXIT_OK)
        return rc;
    static const char prefix[] = "device_type=";
    size_t end = strcspn(text, "\n");
    /* After the line only blank lines may follow. */
    bool trailing = text[end + strspn(text + end, "\n")] != '\0';
    if (strncmp(text, prefix, sizeof prefix - 1) != 0 || end == sizeof prefix - 1 || trailing)
        rc = upd_fail("device type file %s: expected one line device_type=NAME", path);
    else if (!(*out = strndup(text + sizeof prefix - 1, end - (sizeof prefix - 1))))
        rc = upd_fail("out of memory");
    free(text);
    return rc;
}

/* ---- what the header says, against the device ---- */

/* Append to "a, b, c" for messages; what does not fit is cut. */
static void append(char *buf, size_t size, size_t *used, const char *item)
{
    if (*used < size)
        *used += (size_t)snprintf(buf + *used, size - *used, "%s%s", *used ? ", " : "", item);
}

static bool contains(const char *const *values, size_t n, const char *value)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(values[i], value) == 0)
            return true;
    return false;
}

/* Depends of the artifact or of a payload, each against the device's provides
 * (device_type against the device type file), as Mender matches them: the
 * device must have the key, with one of the listed values. */
static int check_depends(const struct install *in, const artsig_info *info, size_t payload)
{
    size_t n = artsig_info_depends_count(info, payload);
    for (size_t i = 0; i < n; i++) {
        const char *key;
        const char *const *values;
        size_t nvalues;
        if (artsig_info_depends(&key, &values, &nvalues, info, payload, i) != ARTSIG_OK)
            return upd_fail("artifact depends: %s", artsig_last_error());
        bool device = strcmp(key, "device_type") == 0;
        const char *have = device ? in->device_type : upd_provides_get(&in->provides, key);
        if (have && contains(values, nvalues, have))
            continue;
        char list[512] = "";
        size_t used = 0;
        for (size_t v = 0; v < nvalues; v++)
            append(list, sizeof list, &used, values[v]);
        if (device)
            return upd_fail("artifact %s is for device types %s; this device is %s",
                            artsig_info_name(info), list, have);
        if (!have)
            return upd_fail("artifact %s depends on %s (%s), which this device does not "
                            "provide", artsig_info_name(info), key, list);
        return upd_fail("artifact %s depends on %s being one of %s; this device has %s",
                        artsig_info_name(info), key, list, have);
    }
    return UPD_EXIT_OK;
}

static int check_device_type(const struct install *in, const artsig_info *info)
{
    size_t n = artsig_info_device_type_count(info), used = 0;
    char list[512] = "(none)";
    for (size_t i = 0; i < n; i++) {
        const char *type = artsig_info_device_type(info, i);
        if (strcmp(type, in->device_type) == 0)
            return UPD_EXIT_OK;
        append(list, sizeof list, &used, type);
    }
    return upd_fail("artifact %s is for device types %s; this device is %s",
                    artsig_info_name(info), list, in->device_type);
}

/* The provides after this update, as Mender's client computes them at commit:
 * the payload's clears_artifact_provides globs remove keys, then its provides
 * are added, then artifact_name (and artifact_group when the artifact has
 * one). A payload with neither provides nor clears (format 2, bootstrap)
 * clears everything; one with provides but no clears replaces everything
 * (libartsig reports an absent list and an empty one alike, so an empty one
 * counts as absent). Checked here, before any payload byte, that every key
 * and value can be stored. */
static int compute_new_provides(struct install *in, const artsig_info *info)
{
    struct upd_provides p;
    char *current = upd_provides_format(&in->provides);
    int rc = current ? upd_provides_parse(&p, current, "provides") : upd_fail("out of memory");
    free(current);
    if (rc != UPD_EXIT_OK)
        return rc;
    size_t nprov = artsig_info_provides_count(info, 0), nclears = artsig_info_clears_count(info, 0);
    if (nclears == 0) {
        const char *all = "*";
        upd_provides_clear(&p, &all, 1);
    }
    for (size_t i = 0; i < nclears; i++) {
        const char *glob = artsig_info_clears(info, 0, i);
        upd_provides_clear(&p, &glob, 1);
    }
    const char **keys = calloc(nprov + 1, sizeof *keys);
    const char **values = calloc(nprov + 1, sizeof *values);
    if (!keys || !values)
        rc = upd_fail("out of memory");
    for (size_t i = 0; i < nprov && rc == UPD_EXIT_OK; i++)
        if (artsig_info_provides(&keys[i], &values[i], info, 0, i) != ARTSIG_OK)
            rc = upd_fail("artifact provides: %s", artsig_last_error());
    if (rc == UPD_EXIT_OK)
        rc = upd_provides_set_all(&p, nprov, keys, values);
    free(keys);
    free(values);
    if (rc == UPD_EXIT_OK)
        rc = upd_provides_set(&p, "artifact_name", artsig_info_name(info));
    if (rc == UPD_EXIT_OK && artsig_info_group(info))
        rc = upd_provides_set(&p, "artifact_group", artsig_info_group(info));
    if (rc == UPD_EXIT_OK && !(in->new_provides = upd_provides_format(&p)))
        rc = upd_fail("out of memory");
    upd_provides_free(&p);
    return rc;
}

static int pick_installer(struct install *in, const artsig_info *info)
{
    const char *type = artsig_info_payload_type(info, 0);
    if (!type)
        return UPD_EXIT_OK; /* bootstrap: provides only */
    if (strcmp(type, ROOTFS_TYPE) == 0)
        return upd_rootfs_new(&in->installer, &in->ops);
    return upd_module_new(&in->installer, &in->ops, type);
}

/* ---- the reader's callbacks ---- */

/* With keys configured, only signed bytes may reach the device: files that
 * only manifest-augment lists could have been added by anyone on the way. */
static int check_unsigned_files(const struct install *in, const artsig_info *info)
{
    size_t n = artsig_info_unsigned_file_count(info);
    if (n == 0 || artsig_info_signature(info) != ARTSIG_SIG_VERIFIED ||
        in->ctx.cfg->accept_unsigned_files)
        return UPD_EXIT_OK;
    return upd_fail("artifact %s: %zu payload file%s listed only in manifest-augment, outside "
                    "the signature; refused (ArtsigAcceptUnsignedFiles: true accepts augmented "
                    "artifacts)", artsig_info_name(info), n, n == 1 ? " is" : "s are");
}

/* A stop signal ends the download where it is: what follows it would only
 * be undone. */
static int stopped(void)
{
    int sig = upd_stop_signal();
    return sig ? upd_fail("stopped by signal %d (%s)", sig, strsignal(sig)) : UPD_EXIT_OK;
}

static int on_header(const artsig_info *info, void *userdata)
{
    struct install *in = userdata;
    in->ctx.info = info;
    size_t npayloads = artsig_info_payload_count(info);
    int rc = stopped();
    /* Mender's standalone install takes one payload; so do we, rather than
     * install half of an artifact. */
    if (rc == UPD_EXIT_OK && npayloads != 1)
        rc = upd_fail("artifact %s has %zu payloads; only artifacts with one are supported",
                      artsig_info_name(info), npayloads);
    if (rc == UPD_EXIT_OK)
        rc = check_unsigned_files(in, info);
    if (rc == UPD_EXIT_OK)
        rc = check_device_type(in, info);
    if (rc == UPD_EXIT_OK)
        rc = check_depends(in, info, ARTSIG_ARTIFACT);
    if (rc == UPD_EXIT_OK)
        rc = check_depends(in, info, 0);
    if (rc == UPD_EXIT_OK)
        rc = compute_new_provides(in, info);
    if (rc == UPD_EXIT_OK)
        rc = pick_installer(in, info);
    if (rc == UPD_EXIT_OK && in->ops) {
        in->begun = true;
        rc = in->ops->begin(in->installer, &in->ctx, 0);
    }
    in->reported = rc != UPD_EXIT_OK;
    return rc;
}

static int on_file_begin(size_t payload, const char *name, uint64_t size, void *userdata)
{
    struct install *in = userdata;
    (void)payload;
    int rc = in->ops ? in->ops->file_begin(in->installer, name, size)
                     : upd_fail("payload file %s in an artifact without payload type", name);
    in->reported = rc != UPD_EXIT_OK;
    return rc;
}

static int on_file_data(const void *data, size_t len, void *userdata)
{
    struct install *in = userdata;
    int rc = stopped();
    if (rc == UPD_EXIT_OK)
        rc = in->ops->file_data(in->installer, data, len);
    in->reported = rc != UPD_EXIT_OK;
    return rc;
}

static int on_file_end(size_t payload, const char *name, void *userdata)
{
    struct install *in = userdata;
    (void)payload;
    int rc = in->ops->file_end(in->installer, name);
    in->reported = rc != UPD_EXIT_OK;
    return rc;
}

/* ---- the data dir: one command at a time, and what a killed one left ---- */

/* Held until exit (the descriptor is close-on-exec, so no module or script
 * inherits it). A process takes it once: the daemon holds it for its
 * lifetime and installs, commits and rolls back under it (a second flock of
 * the same file from this process would refuse). */
static int lock_data_dir(const char *data_dir)
{
    static bool held;
    if (held)
        return UPD_EXIT_OK;
    if (mkdir(data_dir, 0755) != 0 && errno != EEXIST)
        return upd_fail("data dir %s: %s", data_dir, strerror(errno));
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/lock", data_dir) >= sizeof path)
        return upd_fail("data dir %s: path too long", data_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return upd_fail("%s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        close(fd);
        return upd_fail(err == EWOULDBLOCK ? "another artsig-update is using %s" : "%s: %s",
                        data_dir, strerror(err));
    }
    held = true;
    return UPD_EXIT_OK;
}

static bool is_rootfs(const struct upd_progress *u)
{
    return u->payload_type && strcmp(u->payload_type, ROOTFS_TYPE) == 0;
}

/* An install killed in phase "installing" (see rootfs.c for the rootfs
 * reasoning). A rootfs update is told apart by the boot env: switched means
 * the complete, fsync'd image is what the bootloader boots next, so the update
 * counts as installed; not switched means nothing was activated, so the
 * record goes. An update module's ArtifactInstall was cut short at an unknown
 * point: the module's failure path runs (its rollback when it has one), and
 * the record goes only once that rollback succeeded, so that a failed one is
 * tried again rather than forgotten over a half-installed update. */
static int reconcile(const struct upd_config *cfg, const char *data_dir)
{
    struct upd_progress u;
    bool present;
    int rc = upd_progress_load(&u, &present, data_dir);
    if (rc != UPD_EXIT_OK || !present || u.phase != UPD_PHASE_INSTALLING) {
        upd_progress_free(&u);
        return rc;
    }
    bool switched = false;
    if (is_rootfs(&u))
        rc = upd_rootfs_switched(&switched, cfg, &u);
    if (rc == UPD_EXIT_OK && switched) {
        upd_warn("the install of %s was interrupted after the boot environment switched to "
                 "it; it is installed: commit or roll back", u.artifact_name);
        u.phase = UPD_PHASE_INSTALLED;
        rc = upd_progress_save(&u, data_dir);
    } else if (rc == UPD_EXIT_OK && is_rootfs(&u)) {
        upd_warn("an interrupted install of %s was discarded; nothing of it was activated",
                 u.artifact_name);
        rc = upd_progress_clear(data_dir);
    } else if (rc == UPD_EXIT_OK) {
        upd_warn("an interrupted install of %s is undone by its update module first",
                 u.artifact_name);
        rc = upd_module_recover(cfg, data_dir, &u);
        if (rc == UPD_EXIT_OK)
            rc = upd_progress_clear(data_dir);
    }
    upd_progress_free(&u);
    return rc;
}

/* Lock, then settle what a killed run left. */
static int open_state(const struct upd_config *cfg, const char *data_dir)
{
    int rc = lock_data_dir(data_dir);
    return rc == UPD_EXIT_OK ? reconcile(cfg, data_dir) : rc;
}

/* ---- commit and rollback of a recorded update ---- */

/* Scripts of states that follow a failure: their own failures are warnings,
 * the first failure stays the error. */
static void run_failure_scripts(const struct upd_config *cfg, const char *data_dir,
                                const char *state)
{
    upd_scripts_run(cfg, data_dir, state, "Enter");
    upd_scripts_run(cfg, data_dir, state, "Leave");
}

static int record_provides(const struct upd_progress *u, const char *data_dir)
{
    struct upd_provides p;
    int rc = upd_provides_parse(&p, u->new_provides, "saved update's provides");
    if (rc == UPD_EXIT_OK)
        rc = upd_provides_save(&p, data_dir);
    upd_provides_free(&p);
    return rc;
}

/* Commit: the phase becomes "committing" once the Enter scripts passed, and
 * from then on every step can be repeated, so a killed commit is finished by
 * the next one (rollback refuses it: the provides may already be the new
 * ones). The installer commits before the provides are recorded: an
 * ArtifactCommit that fails leaves the old provides, as the module then
 * rolls back. */
static int commit_update(const struct upd_config *cfg, const char *data_dir,
                         struct upd_progress *u)
{
    int rc = UPD_EXIT_OK;
    if (u->phase == UPD_PHASE_INSTALLED) {
        bool switched = true;
        if (is_rootfs(u) && (rc = upd_rootfs_switched(&switched, cfg, u)) != UPD_EXIT_OK)
            return rc;
        if (!switched) {
            /* The bootloader went back (the new system did not come up and
             * commit), or someone else changed the boot env. */
            rc = upd_fail("the boot environment points at the previous partition again: the "
                          "update to %s failed and was rolled back", u->artifact_name);
            run_failure_scripts(cfg, data_dir, "ArtifactFailure");
            upd_progress_clear(data_dir);
            return rc;
        }
        if ((rc = upd_scripts_run(cfg, data_dir, "ArtifactCommit", "Enter")) != UPD_EXIT_OK)
            return rc;
        u->phase = UPD_PHASE_COMMITTING;
        if ((rc = upd_progress_save(u, data_dir)) != UPD_EXIT_OK)
            return rc;
    }
    if (is_rootfs(u))
        rc = upd_rootfs_commit(cfg, u);
    else if (u->payload_type) {
        rc = upd_module_commit(cfg, u);
        if (rc != UPD_EXIT_OK) {
            /* The module already rolled back (or failed) and cleaned up. */
            upd_scripts_run(cfg, data_dir, "ArtifactCommit", "Error");
            run_failure_scripts(cfg, data_dir, "ArtifactFailure");
            upd_progress_clear(data_dir);
            return rc;
        }
    }
    if (rc == UPD_EXIT_OK)
        rc = record_provides(u, data_dir);
    if (rc != UPD_EXIT_OK)
        return rc; /* still "committing": run commit again */
    /* Committed: a failing Leave script is reported, but changes nothing. */
    rc = upd_scripts_run(cfg, data_dir, "ArtifactCommit", "Leave");
    int cleared = upd_progress_clear(data_dir);
    return rc != UPD_EXIT_OK ? rc : cleared;
}

/* Rollback: every step can be repeated, so a killed rollback is finished by
 * the next one; the provides were never changed. */
static int roll_back(const struct upd_config *cfg, const char *data_dir, struct upd_progress *u)
{
    if (u->phase == UPD_PHASE_COMMITTING)
        return upd_fail("a commit of %s was interrupted; run commit to finish it",
                        u->artifact_name);
    if (!is_rootfs(u) && !u->supports_rollback)
        return upd_fail("update module %s does not support rollback", u->payload_type);
    int rc = upd_scripts_run(cfg, data_dir, "ArtifactRollback", "Enter");
    if (rc == UPD_EXIT_OK)
        rc = is_rootfs(u) ? upd_rootfs_rollback(cfg, u) : upd_module_rollback(cfg, u);
    if (rc != UPD_EXIT_OK)
        return rc;
    rc = upd_scripts_run(cfg, data_dir, "ArtifactRollback", "Leave");
    run_failure_scripts(cfg, data_dir, "ArtifactFailure");
    int cleared = upd_progress_clear(data_dir);
    return rc != UPD_EXIT_OK ? rc : cleared;
}

/* ---- install ---- */

/* Before activation: nothing to undo but the installer's staging. Once the
 * scripts are stored (the artifact was verified), the failure states'
 * scripts run too. */
static int fail_staged(struct install *in, int rc, bool scripts)
{
    if (scripts) {
        upd_scripts_run(in->ctx.cfg, in->ctx.data_dir, "ArtifactInstall", "Error");
        upd_scripts_run(in->ctx.cfg, in->ctx.data_dir, "ArtifactFailure", "Enter");
    }
    if (in->begun)
        in->ops->abort(in->installer);
    if (scripts)
        upd_scripts_run(in->ctx.cfg, in->ctx.data_dir, "ArtifactFailure", "Leave");
    return rc;
}

/* Activated, but the artifact's own ArtifactInstall_Leave said no: back out.
 * Without a rollback, the module's ArtifactFailure and Cleanup (its abort) are
 * all there is. A rollback that fails leaves the record, for the next run or
 * an explicit rollback. */
static void undo_activated(struct install *in, struct upd_progress *u)
{
    if (is_rootfs(u) || u->supports_rollback) {
        if (roll_back(in->ctx.cfg, in->ctx.data_dir, u) != UPD_EXIT_OK)
            upd_warn("rolling %s back failed", u->artifact_name);
        return;
    }
    in->ops->abort(in->installer);
    run_failure_scripts(in->ctx.cfg, in->ctx.data_dir, "ArtifactFailure");
    upd_progress_clear(in->ctx.data_dir);
}

static int new_progress(struct upd_progress *u, const struct install *in)
{
    const char *type = artsig_info_payload_type(in->ctx.info, 0);
    memset(u, 0, sizeof *u);
    u->phase = UPD_PHASE_INSTALLING;
    u->artifact_name = strdup(artsig_info_name(in->ctx.info));
    u->payload_type = type ? strdup(type) : NULL;
    u->new_provides = strdup(in->new_provides);
    if (!u->artifact_name || (type && !u->payload_type) || !u->new_provides)
        return upd_fail("out of memory");
    return UPD_EXIT_OK;
}

/* The caller's say before anything is activated (the daemon reports
 * "installing"; a 409 there aborts the deployment). */
static int hook_installing(const struct install *in)
{
    if (!in->hooks || !in->hooks->installing)
        return UPD_EXIT_OK;
    return in->hooks->installing(in->userdata);
}

/* After the verdict: the artifact is authentic and every byte matched. */
static int activate(struct install *in)
{
    const struct upd_config *cfg = in->ctx.cfg;
    const char *data_dir = in->ctx.data_dir;
    struct upd_install_result *res = in->result;
    struct upd_progress u;
    int rc = new_progress(&u, in);
    if (rc == UPD_EXIT_OK && !(res->artifact_name = strdup(u.artifact_name)))
        rc = upd_fail("out of memory");
    if (rc == UPD_EXIT_OK && !in->ops) {
        /* Nothing to install: the provides are the update (Mender commits
         * such an artifact at once). */
        rc = hook_installing(in);
        if (rc == UPD_EXIT_OK)
            rc = record_provides(&u, data_dir);
        res->committed = res->no_payload = rc == UPD_EXIT_OK;
        upd_progress_free(&u);
        return rc;
    }
    if (rc == UPD_EXIT_OK)
        rc = in->ops->download_done(in->installer);
    if (rc == UPD_EXIT_OK)
        rc = hook_installing(in);
    if (rc == UPD_EXIT_OK)
        rc = upd_scripts_store(data_dir, in->ctx.info);
    if (rc != UPD_EXIT_OK) {
        upd_progress_free(&u);
        return fail_staged(in, rc, false);
    }
    rc = upd_scripts_run(cfg, data_dir, "ArtifactInstall", "Enter");
    /* Recorded before activation starts, so a killed run is recognised. */
    if (rc == UPD_EXIT_OK)
        rc = upd_progress_save(&u, data_dir);
    bool needs_reboot = false;
    if (rc == UPD_EXIT_OK)
        rc = in->ops->install(in->installer, &u, &needs_reboot);
    if (rc != UPD_EXIT_OK) {
        fail_staged(in, rc, true);
        upd_progress_clear(data_dir);
        upd_progress_free(&u);
        return rc;
    }
    u.needs_reboot = needs_reboot;
    rc = upd_scripts_run(cfg, data_dir, "ArtifactInstall", "Leave");
    if (rc != UPD_EXIT_OK) {
        upd_scripts_run(cfg, data_dir, "ArtifactInstall", "Error");
        undo_activated(in, &u);
        upd_progress_free(&u);
        return rc;
    }
    u.phase = UPD_PHASE_INSTALLED;
    rc = upd_progress_save(&u, data_dir);
    if (rc == UPD_EXIT_OK && !u.supports_rollback) {
        /* Nothing could undo it: committed at once, as Mender does. */
        rc = commit_update(cfg, data_dir, &u);
        res->committed = rc == UPD_EXIT_OK;
    }
    res->needs_reboot = needs_reboot;
    upd_progress_free(&u);
    return rc;
}

static int refuse_pending(const char *data_dir)
{
    struct upd_progress u;
    bool present;
    int rc = upd_progress_load(&u, &present, data_dir);
    if (rc == UPD_EXIT_OK && present)
        rc = upd_fail("the update to %s is still in progress: commit or roll it back first",
                      u.artifact_name);
    upd_progress_free(&u);
    return rc;
}

/* The device facts the header is checked against, and the keys. */
static int prepare(struct install *in, artsig_keyring **ring)
{
    int rc = upd_config_keyring(ring, in->ctx.cfg);
    if (rc == UPD_EXIT_OK)
        rc = read_device_type(&in->device_type, in->ctx.cfg->device_type_file);
    if (rc == UPD_EXIT_OK)
        rc = upd_provides_load(&in->provides, in->ctx.data_dir);
    if (rc == UPD_EXIT_OK && !*ring)
        upd_warn("no ArtifactVerifyKey or ArtifactVerifyKeys configured: signatures are "
                 "not checked");
    in->ctx.provides = &in->provides;
    in->ctx.device_type = in->device_type;
    return rc;
}

/* Why the reader stopped, unless a callback already said. */
static int report_verdict(const struct install *in, int status, const struct upd_source *src)
{
    if (in->reported)
        return UPD_EXIT_FAILURE;
    if (status == ARTSIG_EIO && upd_source_error(src))
        return upd_fail("%s", upd_source_error(src));
    const char *detail = artsig_last_error(); /* starts with the status's text */
    return upd_fail("%s refused: %s", upd_source_name(src),
                    *detail ? detail : artsig_strerror(status));
}

int upd_install_run(const struct upd_config *cfg, const char *data_dir, const char *location,
                    const struct upd_install_hooks *hooks, void *userdata,
                    struct upd_install_result *result)
{
    struct install in = {.ctx = {.cfg = cfg, .data_dir = data_dir}, .hooks = hooks,
                         .userdata = userdata, .result = result};
    artsig_keyring *ring = NULL;
    struct upd_source *src = NULL;
    artsig_reader *reader = NULL;
    memset(result, 0, sizeof *result);
    int rc = open_state(cfg, data_dir);
    if (rc == UPD_EXIT_OK)
        rc = refuse_pending(data_dir);
    if (rc == UPD_EXIT_OK)
        rc = prepare(&in, &ring);
    if (rc == UPD_EXIT_OK)
        rc = upd_source_open(&src, location, cfg);
    static const artsig_reader_callbacks callbacks = {
        .header = on_header,
        .file_begin = on_file_begin,
        .file_data = on_file_data,
        .file_end = on_file_end,
    };
    if (rc == UPD_EXIT_OK && artsig_reader_new(&reader, ring, &callbacks, &in) != ARTSIG_OK)
        rc = upd_fail("out of memory");
    if (rc == UPD_EXIT_OK) {
        int st = artsig_reader_run_pull(reader, upd_source_read, src);
        if (st == ARTSIG_OK)
            rc = activate(&in);
        else
            rc = fail_staged(&in, report_verdict(&in, st, src), false);
    }
    if (in.installer)
        in.ops->free(in.installer);
    artsig_reader_free(reader);
    upd_source_close(src);
    artsig_keyring_free(ring);
    upd_provides_free(&in.provides);
    free(in.device_type);
    free(in.new_provides);
    return rc;
}

static void announce_installed(const struct upd_install_result *res)
{
    const char *name = res->artifact_name;
    if (res->no_payload)
        printf("Installed and committed %s (no payload).\n", name);
    else if (res->committed)
        printf("Installed and committed %s.%s\n", name,
               res->needs_reboot ? " Reboot to run it." : "");
    else
        printf("Installed %s. %s 'artsig-update commit' to keep it or 'artsig-update "
               "rollback' to go back.\n", name, res->needs_reboot ? "Reboot, then run" : "Run");
}

/* The CLI's install: what it did on stdout, which says so when a reboot must come next. */
int upd_install(const struct upd_config *cfg, const char *data_dir, const char *location,
                bool reboot_exit_code)
{
    struct upd_install_result res;
    int rc = upd_install_run(cfg, data_dir, location, NULL, NULL, &res);
    if (rc == UPD_EXIT_OK)
        announce_installed(&res);
    free(res.artifact_name);
    return rc == UPD_EXIT_OK && res.needs_reboot && reboot_exit_code ? UPD_EXIT_REBOOT : rc;
}

/* Commit or rollback of the recorded update: UPD_EXIT_NOTHING without one.
 * The CLI announces the outcome; the daemon reports it to the server. */
static int finish_pending(const struct upd_config *cfg, const char *data_dir,
                          int (*step)(const struct upd_config *, const char *,
                                      struct upd_progress *),
                          const char *done)
{
    struct upd_progress u = {0};
    bool present = false;
    int rc = open_state(cfg, data_dir);
    if (rc == UPD_EXIT_OK)
        rc = upd_progress_load(&u, &present, data_dir);
    if (rc == UPD_EXIT_OK && !present) {
        if (done)
            fprintf(stderr, "artsig-update: no update in progress\n");
        rc = UPD_EXIT_NOTHING;
    }
    if (rc == UPD_EXIT_OK)
        rc = step(cfg, data_dir, &u);
    if (rc == UPD_EXIT_OK && done)
        printf("%s %s.\n", done, u.artifact_name);
    upd_progress_free(&u);
    return rc;
}

int upd_commit(const struct upd_config *cfg, const char *data_dir)
{
    return finish_pending(cfg, data_dir, commit_update, "Committed");
}

int upd_rollback(const struct upd_config *cfg, const char *data_dir)
{
    return finish_pending(cfg, data_dir, roll_back, "Rolled back");
}

int upd_pending_finish(const struct upd_config *cfg, const char *data_dir, bool commit)
{
    return finish_pending(cfg, data_dir, commit ? commit_update : roll_back, NULL);
}

int upd_open_state(const struct upd_config *cfg, const char *data_dir)
{
    return open_state(cfg, data_dir);
}

int upd_device_type(char **out, const struct upd_config *cfg)
{
    return read_device_type(out, cfg->device_type_file);
}
