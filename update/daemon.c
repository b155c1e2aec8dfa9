/* The daemon and check-update: poll the Mender Server, install what it
 * offers through the same install as the CLI, report every step.
 *
 * Every deployment is recorded (state.c, deployment.json) before each status
 * is sent, so a run killed at any point is finished by the next one with one
 * final status: a status that may not have arrived is sent again (the server
 * accepts a repeat) rather than lost. The install's own record (update.json)
 * stays what commit and rollback work from, so the CLI's commit/rollback and
 * the daemon can take over each other's updates.
 *
 * The reboot of a rootfs update: "rebooting" is recorded and reported, then
 * ArtsigRebootCommand runs (sh -c). A real reboot ends the daemon; so the
 * daemon, once the command succeeded, does nothing more but wait for the stop
 * signal the shutdown brings (check-update exits 4). The boot id
 * (ArtsigBootIdFile) is recorded with "rebooting": a next start under the same
 * id was killed before the reboot happened, and runs the reboot command
 * again rather than commit an image that never booted. Under a new id (or
 * when the id cannot be read) it is after the reboot: the boot env on the
 * new partition means the new system came up, and the daemon commits; the
 * bootloader back on the old one means it did not, a failure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "update.h"

/* How long the reboot command may take before it counts as failed. */
#define REBOOT_COMMAND_TIMEOUT_S 600
/* A boot id is a UUID; room for one with its newline and more. */
#define BOOT_ID_MAX 128

struct daemon {
    const struct upd_config *cfg;
    const char *data_dir;
    struct upd_server *server;
    bool once;
    bool rebooting;          /* the reboot command ran: wait for the end */
    bool inventory_due;      /* an update succeeded: its artifact_name, at once */
    int failed_polls, failed_inventories; /* in a row: retried at RetryPollIntervalSeconds */
    time_t next_poll, next_inventory; /* CLOCK_MONOTONIC seconds */
};

enum outcome { DONE, RETRY }; /* RETRY: the server could not be reached */

static time_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* Sleep, in slices so that a stop signal is seen at once; false when one
 * came. */
static bool pause_s(time_t seconds)
{
    time_t end = now_s() + seconds;
    while (!upd_stop_signal() && now_s() < end) {
        struct timespec slice = {.tv_sec = 1};
        nanosleep(&slice, NULL);
    }
    return !upd_stop_signal();
}

/* RetryPollCount as Mender documents it: how many tries in a row at
 * RetryPollIntervalSeconds; 0 means 3 * ceil(log2(interval) + 1). */
static int max_tries(const struct upd_config *cfg)
{
    if (cfg->retry_poll_count > 0)
        return cfg->retry_poll_count;
    int log2_ceil = 0;
    while ((1ull << log2_ceil) < cfg->retry_poll_s)
        log2_ceil++;
    return 3 * (log2_ceil + 1);
}

/* When to contact the server next after a call that succeeded or not: a
 * failure is retried at the retry interval, RetryPollCount times in a row;
 * then the regular interval takes over again, so a server that stays away
 * is not hammered. */
static time_t next_contact(const struct daemon *d, int *failures, bool ok, unsigned regular_s)
{
    if (ok || ++*failures >= max_tries(d->cfg)) {
        *failures = 0;
        return now_s() + (time_t)regular_s;
    }
    return now_s() + (time_t)d->cfg->retry_poll_s;
}

/* ---- the deployment record ---- */

static bool is_final(const char *status)
{
    return strcmp(status, "success") == 0 || strcmp(status, "failure") == 0 ||
           strcmp(status, "already-installed") == 0;
}

static int set_string(char **field, const char *value)
{
    char *copy = value ? strdup(value) : NULL;
    if (value && !copy)
        return upd_fail("out of memory");
    free(*field);
    *field = copy;
    return UPD_EXIT_OK;
}

/* Send the recorded status once, and record that the server took it:
 * UPD_EXIT_OK, UPD_ABORTED (409), or a failure. Never retried here: the
 * record keeps a status not taken, and resume() sends it again at the next
 * try, so that inventory and a stop signal are not held up meanwhile. */
static int report(struct daemon *d, struct upd_deployment_state *rec)
{
    int rc = upd_server_status(d->server, rec->id, rec->status, NULL);
    if (rc != UPD_EXIT_OK)
        return rc;
    rec->reported = true;
    return upd_deployment_state_save(rec, d->data_dir);
}

/* Record the new step, then report it. */
static int set_status(struct daemon *d, struct upd_deployment_state *rec, const char *status)
{
    int rc = set_string(&rec->status, status);
    rec->reported = false;
    if (rc == UPD_EXIT_OK)
        rc = upd_deployment_state_save(rec, d->data_dir);
    return rc == UPD_EXIT_OK ? report(d, rec) : rc;
}

static const char *installed_name(const struct upd_provides *p)
{
    const char *name = upd_provides_get(p, "artifact_name");
    return name ? name : "unknown";
}

static bool is_installed(struct daemon *d, const char *artifact_name)
{
    struct upd_provides p;
    if (upd_provides_load(&p, d->data_dir) != UPD_EXIT_OK)
        return false;
    bool same = strcmp(installed_name(&p), artifact_name) == 0;
    upd_provides_free(&p);
    return same;
}

/* Whether update.json holds an update to `artifact_name`; its needs_reboot. */
static bool is_pending(struct daemon *d, const char *artifact_name, bool *needs_reboot)
{
    struct upd_progress u;
    bool present = false;
    if (upd_progress_load(&u, &present, d->data_dir) != UPD_EXIT_OK)
        return false;
    bool same = present && strcmp(u.artifact_name, artifact_name) == 0;
    if (needs_reboot)
        *needs_reboot = u.needs_reboot;
    upd_progress_free(&u);
    return same;
}

/* The first error of the deployment's captured lines: the reason. */
static const char *captured_reason(void)
{
    const struct upd_log_line *line;
    for (size_t i = 0; upd_log_captured(&line, i) > i; i++)
        if (strcmp(line->level, "error") == 0)
            return line->message;
    return NULL;
}

static int run_reboot_command(const struct upd_config *cfg);
static bool running_new_image(const struct daemon *d, const struct upd_deployment_state *rec);

/* The server aborted it (409): undo what was installed, say nothing more. */
static enum outcome abort_deployment(struct daemon *d, struct upd_deployment_state *rec)
{
    upd_warn("deployment %s was aborted on the server; rolling back what it installed",
             rec->id);
    rec->aborted = true;
    if (upd_deployment_state_save(rec, d->data_dir) != UPD_EXIT_OK)
        return DONE;
    bool pending = is_pending(d, rec->artifact_name, NULL);
    bool running = pending && running_new_image(d, rec);
    if (pending && upd_pending_finish(d->cfg, d->data_dir, false) != UPD_EXIT_OK) {
        upd_warn("the update to %s could not be rolled back", rec->artifact_name);
        running = false;
    }
    upd_deployment_state_clear(d->data_dir);
    /* The boot env points back at the previous system, but the aborted one
     * is what runs: only a reboot brings the previous one back. */
    if (running) {
        upd_info("deployment %s: rebooting into the previous system", rec->id);
        if (run_reboot_command(d->cfg) == UPD_EXIT_OK)
            d->rebooting = true;
    }
    return DONE;
}

/* A final status, owed until the server took it (then the log, on failure).
 * After a restart the capture has no error: the recorded reason is logged
 * anew, so that the upload says why. */
static enum outcome settle_final(struct daemon *d, struct upd_deployment_state *rec)
{
    bool failure = strcmp(rec->status, "failure") == 0;
    if (failure && !captured_reason())
        upd_fail("deployment %s: %s", rec->id, rec->reason ? rec->reason : "failed");
    int rc = rec->reported ? UPD_EXIT_OK : report(d, rec); /* else only the log is owed */
    if (rc == UPD_ABORTED) {
        upd_deployment_state_clear(d->data_dir);
        return DONE;
    }
    if (rc == UPD_EXIT_OK && failure)
        rc = upd_server_log(d->server, rec->id);
    if (rc != UPD_EXIT_OK)
        return RETRY;
    upd_info("deployment %s: %s", rec->id, rec->status);
    upd_deployment_state_clear(d->data_dir);
    if (strcmp(rec->status, "success") == 0)
        d->inventory_due = true;
    return DONE;
}

static enum outcome owe(struct daemon *d, struct upd_deployment_state *rec, const char *status,
                        const char *reason)
{
    if (set_string(&rec->status, status) != UPD_EXIT_OK ||
        set_string(&rec->reason, reason) != UPD_EXIT_OK)
        return RETRY;
    rec->reported = false;
    if (upd_deployment_state_save(rec, d->data_dir) != UPD_EXIT_OK)
        return RETRY;
    return settle_final(d, rec);
}

static enum outcome owe_failure(struct daemon *d, struct upd_deployment_state *rec,
                                const char *fallback)
{
    const char *reason = captured_reason();
    return owe(d, rec, "failure", reason ? reason : fallback);
}

/* ---- the reboot cycle ---- */

static int run_reboot_command(const struct upd_config *cfg)
{
    char *argv[] = {"/bin/sh", "-c", cfg->reboot_command, NULL};
    struct upd_child child;
    int err = upd_child_start(&child, argv, NULL, false, REBOOT_COMMAND_TIMEOUT_S);
    if (err)
        return upd_fail("reboot command: %s", strerror(err));
    upd_child_wait(&child, NULL, 0);
    /* A stop signal while it ran is the shutdown the reboot began (passed on
     * to the command, which may have died of it): the reboot is under way. A
     * start under the same boot id runs the command again if it was not. */
    if (upd_stop_signal())
        return UPD_EXIT_OK;
    char why[128];
    const char *failure = upd_child_failure(&child, why, sizeof why);
    return failure ? upd_fail("reboot command '%s' failed: %s", cfg->reboot_command, failure)
                   : UPD_EXIT_OK;
}

/* The id of the running boot, malloc'd; NULL when it cannot be read, with
 * why. */
static char *boot_id(const struct upd_config *cfg, const char **why)
{
    char line[BOOT_ID_MAX] = "";
    FILE *f = fopen(cfg->boot_id_file, "re");
    *why = f ? NULL : strerror(errno);
    if (f && !fgets(line, sizeof line, f))
        *why = ferror(f) ? strerror(errno) : "empty";
    if (f)
        fclose(f);
    line[strcspn(line, "\n")] = '\0';
    if (!*why && !*line)
        *why = "empty";
    char *id = *why ? NULL : strdup(line);
    if (!*why && !id)
        *why = "out of memory";
    return id;
}

/* Whether the system booted since "rebooting" was recorded. An id that
 * cannot be read now counts as a new one (warned about): the reboot command
 * would not make it readable, and reboots without end are worse. A record
 * without an id is an older client's. */
static bool rebooted(const struct daemon *d, const struct upd_deployment_state *rec)
{
    if (!rec->boot_id)
        return true;
    const char *why;
    char *now = boot_id(d->cfg, &why);
    if (!now)
        upd_warn("boot id %s: %s; counted as after the reboot", d->cfg->boot_id_file, why);
    bool same = now && strcmp(now, rec->boot_id) == 0;
    free(now);
    if (same)
        upd_warn("deployment %s: stopped before the reboot into %s happened (same boot id)",
                 rec->id, rec->artifact_name);
    return !same;
}

/* Whether the update's new system is what runs: "rebooting" was recorded,
 * and the system booted since (it has not been committed). */
static bool running_new_image(const struct daemon *d, const struct upd_deployment_state *rec)
{
    if (strcmp(rec->status, "rebooting") != 0 || !rec->boot_id)
        return false;
    const char *why;
    char *now = boot_id(d->cfg, &why);
    bool booted = now && strcmp(now, rec->boot_id) != 0;
    free(now);
    return booted;
}

static void roll_back(struct daemon *d, const struct upd_deployment_state *rec)
{
    if (upd_pending_finish(d->cfg, d->data_dir, false) == UPD_EXIT_FAILURE)
        upd_warn("the update to %s could not be rolled back", rec->artifact_name);
}

static enum outcome run_reboot(struct daemon *d, struct upd_deployment_state *rec)
{
    upd_info("deployment %s: rebooting into %s", rec->id, rec->artifact_name);
    if (run_reboot_command(d->cfg) != UPD_EXIT_OK) {
        roll_back(d, rec);
        return owe_failure(d, rec, "the reboot command failed");
    }
    d->rebooting = true;
    return DONE;
}

/* Without the boot id, a restart could not tell a reboot that happened
 * from one that did not, and might commit an image that never booted: no
 * reboot then, the update is rolled back. */
static enum outcome reboot(struct daemon *d, struct upd_deployment_state *rec)
{
    const char *why;
    free(rec->boot_id);
    rec->boot_id = boot_id(d->cfg, &why);
    if (!rec->boot_id) {
        upd_fail("boot id %s: %s; not rebooting into %s, since a restart could not tell "
                 "whether the reboot happened", d->cfg->boot_id_file, why, rec->artifact_name);
        roll_back(d, rec);
        return owe_failure(d, rec, NULL);
    }
    int rc = set_status(d, rec, "rebooting");
    if (rc == UPD_ABORTED)
        return abort_deployment(d, rec);
    if (rc != UPD_EXIT_OK)
        upd_warn("deployment %s: rebooting all the same; the status is sent after the reboot",
                 rec->id);
    return run_reboot(d, rec);
}

/* Installed (now, or by a run that was killed): commit what needs no reboot,
 * reboot for the rest. */
static enum outcome after_install(struct daemon *d, struct upd_deployment_state *rec,
                                  bool needs_reboot)
{
    if (needs_reboot)
        return reboot(d, rec);
    if (upd_pending_finish(d->cfg, d->data_dir, true) == UPD_EXIT_FAILURE)
        return owe_failure(d, rec, "the commit failed");
    return owe(d, rec, "success", NULL);
}

/* After the reboot: the install's record tells whether the new system came
 * up (commit) or the bootloader went back; without one, the CLI already
 * committed or rolled back, and the provides say which. */
static enum outcome settle_rebooted(struct daemon *d, struct upd_deployment_state *rec)
{
    if (is_pending(d, rec->artifact_name, NULL)) {
        if (upd_pending_finish(d->cfg, d->data_dir, true) != UPD_EXIT_OK)
            return owe_failure(d, rec, "the commit after the reboot failed");
        return owe(d, rec, "success", NULL);
    }
    if (is_installed(d, rec->artifact_name))
        return owe(d, rec, "success", NULL);
    upd_fail("the update to %s was rolled back before it was committed", rec->artifact_name);
    return owe_failure(d, rec, NULL);
}

/* A deployment a killed or stopped run left, or one whose final status
 * could not be sent yet. */
static enum outcome resume(struct daemon *d, struct upd_deployment_state *rec)
{
    if (rec->aborted)
        return abort_deployment(d, rec);
    if (is_final(rec->status))
        return settle_final(d, rec);
    if (!rec->reported) {
        int rc = report(d, rec);
        if (rc == UPD_ABORTED)
            return abort_deployment(d, rec);
        if (rc != UPD_EXIT_OK)
            return RETRY;
    }
    if (strcmp(rec->status, "rebooting") == 0) {
        if (is_pending(d, rec->artifact_name, NULL) && !rebooted(d, rec))
            return run_reboot(d, rec);
        return settle_rebooted(d, rec);
    }
    /* Killed while downloading or installing: the install's reconcile has
     * kept an activated update and dropped the rest. */
    bool needs_reboot = false;
    if (is_pending(d, rec->artifact_name, &needs_reboot))
        return after_install(d, rec, needs_reboot);
    if (is_installed(d, rec->artifact_name))
        return owe(d, rec, "success", NULL);
    if (!rec->reason)
        upd_fail("the install of %s was interrupted before it was activated; nothing of it "
                 "was kept", rec->artifact_name);
    return owe_failure(d, rec, rec->reason);
}

/* ---- a new deployment ---- */

struct installing {
    struct daemon *d;
    struct upd_deployment_state *rec;
    const struct upd_install_result *res;
    bool untold; /* "installing" could not be sent */
};

/* As 3.4 (verifyUpdateResponseAndHeader): the artifact must be the one the
 * deployment names, or the server would be told of one and get another. */
static int on_installing(void *userdata)
{
    struct installing *at = userdata;
    if (strcmp(at->res->artifact_name, at->rec->artifact_name) != 0)
        return upd_fail("deployment %s names the artifact %s, but the artifact is %s",
                        at->rec->id, at->rec->artifact_name, at->res->artifact_name);
    int rc = set_status(at->d, at->rec, "installing");
    at->untold = rc != UPD_EXIT_OK && rc != UPD_ABORTED;
    return rc;
}

static bool compatible(const struct upd_deployment *dep, const char *device_type)
{
    for (size_t i = 0; i < dep->ndevice_types; i++)
        if (strcmp(dep->device_types[i], device_type) == 0)
            return true;
    return false;
}

static int check_compatible(const struct upd_deployment *dep, const char *device_type)
{
    if (compatible(dep, device_type))
        return UPD_EXIT_OK;
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < dep->ndevice_types && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                 dep->device_types[i]);
    return upd_fail("deployment %s is for device types %s; this device is %s", dep->id, list,
                    device_type);
}

/* A step the server could not be told about is not taken: before anything
 * is activated, the deployment is dropped as if never started (what was
 * staged is undone), and the server, which has no final status for it,
 * offers it again at the next poll (at RetryPollIntervalSeconds). So a
 * server that is away for a moment fails no deployment, and nothing is ever
 * activated without "installing" having been taken, as 3.4. */
static enum outcome untold(struct daemon *d, const struct upd_deployment_state *rec)
{
    upd_warn("deployment %s: the server could not be told %s; it is tried again later",
             rec->id, rec->status);
    upd_deployment_state_clear(d->data_dir);
    return RETRY;
}

static enum outcome install(struct daemon *d, struct upd_deployment_state *rec,
                            const struct upd_deployment *dep, const char *device_type)
{
    int rc = set_status(d, rec, "downloading");
    if (rc == UPD_ABORTED)
        return abort_deployment(d, rec);
    if (rc != UPD_EXIT_OK)
        return untold(d, rec);
    if (check_compatible(dep, device_type) != UPD_EXIT_OK)
        return owe_failure(d, rec, NULL);
    static const struct upd_install_hooks hooks = {.installing = on_installing};
    struct upd_install_result res;
    struct installing at = {d, rec, &res, false};
    rc = upd_install_run(d->cfg, d->data_dir, dep->uri, &hooks, &at, &res);
    free(res.artifact_name);
    if (rc == UPD_ABORTED)
        return abort_deployment(d, rec);
    if (at.untold)
        return untold(d, rec);
    if (rc != UPD_EXIT_OK && upd_stop_signal()) {
        /* Shutting down: the next start reports it, with this reason. */
        set_string(&rec->reason, captured_reason());
        upd_deployment_state_save(rec, d->data_dir);
        return DONE;
    }
    if (rc != UPD_EXIT_OK)
        return owe_failure(d, rec, "the install failed");
    if (res.committed)
        return owe(d, rec, "success", NULL);
    return after_install(d, rec, res.needs_reboot);
}

static enum outcome deploy(struct daemon *d, const struct upd_deployment *dep,
                           const char *device_type, const struct upd_provides *provides)
{
    struct upd_deployment_state rec = {0};
    enum outcome out = RETRY;
    if (set_string(&rec.id, dep->id) == UPD_EXIT_OK &&
        set_string(&rec.artifact_name, dep->artifact_name) == UPD_EXIT_OK) {
        upd_info("deployment %s: %s", dep->id, dep->artifact_name);
        if (strcmp(installed_name(provides), dep->artifact_name) == 0)
            out = owe(d, &rec, "already-installed", NULL);
        else
            out = install(d, &rec, dep, device_type);
    }
    upd_deployment_state_free(&rec);
    return out;
}

/* ---- the loop ---- */

/* The deployment a run left, if any: true when none is left to settle. */
static bool settle_recorded(struct daemon *d)
{
    struct upd_deployment_state rec;
    bool present;
    if (upd_deployment_state_load(&rec, &present, d->data_dir) != UPD_EXIT_OK)
        return false;
    enum outcome out = DONE;
    if (present) {
        upd_log_capture_start();
        out = resume(d, &rec);
        upd_log_capture_stop();
    }
    upd_deployment_state_free(&rec);
    return out == DONE;
}

static bool send_inventory(struct daemon *d)
{
    char *device_type = NULL;
    struct upd_provides p = {0};
    int rc = upd_device_type(&device_type, d->cfg);
    if (rc == UPD_EXIT_OK)
        rc = upd_provides_load(&p, d->data_dir);
    if (rc == UPD_EXIT_OK)
        rc = upd_server_inventory(d->server, device_type, &p);
    upd_provides_free(&p);
    free(device_type);
    return rc == UPD_EXIT_OK;
}

/* What a poll came to. */
enum polled {
    POLLED_OK,        /* nothing offered, or a deployment carried out */
    POLLED_FAILED,    /* a deployment failed or was aborted, and the server was told */
    POLLED_UNREACHED  /* the server could not be reached, or not told a status */
};

/* Ask for a deployment and carry it out. */
static enum polled poll_and_deploy(struct daemon *d)
{
    char *device_type = NULL;
    struct upd_provides p = {0};
    struct upd_deployment dep = {0};
    bool found = false;
    enum polled out = POLLED_UNREACHED;
    int rc = upd_device_type(&device_type, d->cfg);
    if (rc == UPD_EXIT_OK)
        rc = upd_provides_load(&p, d->data_dir);
    if (rc == UPD_EXIT_OK)
        rc = upd_server_next(&dep, &found, d->server, device_type, &p);
    if (rc == UPD_EXIT_OK && found) {
        upd_log_capture_start();
        bool done = deploy(d, &dep, device_type, &p) == DONE;
        upd_log_capture_stop();
        /* Whether it failed: the record is gone once the status went out. */
        if (done)
            out = is_installed(d, dep.artifact_name) ? POLLED_OK : POLLED_FAILED;
    } else if (rc == UPD_EXIT_OK) {
        out = POLLED_OK;
    }
    upd_deployment_free(&dep);
    upd_provides_free(&p);
    free(device_type);
    return out;
}

static time_t earliest(time_t a, time_t b)
{
    return a < b ? a : b;
}

static int run(struct daemon *d)
{
    bool settled = settle_recorded(d);
    if (d->once) {
        enum polled out = settled ? POLLED_OK : POLLED_UNREACHED;
        if (settled && !d->rebooting)
            out = poll_and_deploy(d);
        if (d->inventory_due)
            send_inventory(d);
        if (d->rebooting)
            return UPD_EXIT_REBOOT;
        return out == POLLED_OK ? UPD_EXIT_OK : UPD_EXIT_FAILURE;
    }
    d->next_poll = d->next_inventory = now_s();
    /* Early, so that a device the server refuses says so at once; the calls
     * authenticate again on their own. */
    upd_server_auth(d->server);
    if (!settled)
        d->next_poll = next_contact(d, &d->failed_polls, false, d->cfg->update_poll_s);
    while (!upd_stop_signal()) {
        if (d->rebooting) { /* only the end of the reboot can come now */
            pause_s(3600);
            continue;
        }
        time_t now = now_s();
        if (d->inventory_due || now >= d->next_inventory) {
            d->inventory_due = false;
            d->next_inventory = next_contact(d, &d->failed_inventories, send_inventory(d),
                                             d->cfg->inventory_poll_s);
        }
        if (now >= d->next_poll) {
            bool ok = settle_recorded(d) &&
                      (d->rebooting || poll_and_deploy(d) != POLLED_UNREACHED);
            d->next_poll = next_contact(d, &d->failed_polls, ok, d->cfg->update_poll_s);
        }
        time_t wake = d->inventory_due ? now_s() : earliest(d->next_poll, d->next_inventory);
        if (!d->rebooting && wake > now_s())
            pause_s(wake - now_s());
    }
    return UPD_EXIT_OK;
}

int upd_daemon(const struct upd_config *cfg, const char *data_dir, bool once)
{
    struct daemon d = {.cfg = cfg, .data_dir = data_dir, .once = once};
    int rc = upd_open_state(cfg, data_dir);
    if (rc == UPD_EXIT_OK)
        rc = upd_server_new(&d.server, cfg, data_dir);
    if (rc == UPD_EXIT_OK)
        rc = run(&d);
    upd_server_free(d.server);
    return rc;
}
