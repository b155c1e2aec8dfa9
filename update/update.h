/* artsig-update: the device client. Internal interfaces between its modules.
 * The client links only against libartsig's public API. */
#ifndef ARTSIG_UPDATE_H
#define ARTSIG_UPDATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <artsig.h>

/* Exit codes, as Mender's client. */
enum {
    UPD_EXIT_OK = 0,
    UPD_EXIT_FAILURE = 1,
    UPD_EXIT_NOTHING = 2, /* commit/rollback: no update in progress */
    UPD_EXIT_REBOOT = 4,  /* installed; a reboot is needed before commit */
    UPD_ABORTED = 5       /* internal, never an exit code: the server aborted a deployment */
};

/* ---- log.c: one line per event on stderr ---- */
enum upd_log_level { UPD_LOG_ERROR, UPD_LOG_WARNING, UPD_LOG_INFO, UPD_LOG_DEBUG };
/* -l/--log-level: Mender's names (panic, fatal, error, warn(ing), info, debug,
 * trace); default info. */
int upd_log_set_level(const char *name);
void upd_vlog(enum upd_log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Print "artsig-update: <message>" (one line) to stderr; returns UPD_EXIT_FAILURE. */
int upd_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "artsig-update: warning: <message>" to stderr. */
void upd_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "artsig-update: info: ..." and "artsig-update: debug: ..." */
void upd_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void upd_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* While capturing (one deployment), every error, warning and info line is
 * also kept, whatever the stderr level: the last UPD_LOG_CAPTURE_MAX of them,
 * for the deployment log a failure uploads. start drops what an earlier
 * capture kept. */
#define UPD_LOG_CAPTURE_MAX 256
struct upd_log_line {
    char timestamp[32]; /* RFC 3339, UTC */
    const char *level;  /* "error", "warning", "info" */
    char *message;
};
void upd_log_capture_start(void);
void upd_log_capture_stop(void);
/* Line i into *line (NULL past the end); returns how many are kept. */
size_t upd_log_captured(const struct upd_log_line **line, size_t i);

/* ---- config.c: Mender's mender.conf (JSON) ---- */
struct upd_config {
    char **verify_keys;     /* ArtifactVerifyKey(s), in order: files or pkcs11: URIs */
    size_t nverify_keys;
    char *device_type_file; /* DeviceTypeFile; default DATA_DIR/device_type */
    char *modules_dir;      /* UpdateModulesDir; default /usr/share/mender/modules/v3 */
    char *rootfs_a, *rootfs_b; /* RootfsPartA, RootfsPartB (NULL when unset) */
    char *boot_env_file;    /* BootEnvFile: plain key=value boot environment (NULL: fw_*env/grub) */
    char *server_certificate; /* ServerCertificate or --trusted-certs: PEM certificates a URL
                               * install trusts besides the system's (NULL: none) */
    unsigned module_timeout_s; /* ModuleTimeoutSeconds: each update module state; default 14400 */
    unsigned script_timeout_s; /* StateScriptTimeoutSeconds: each state script; default 3600 */
    bool accept_unsigned_files; /* ArtsigAcceptUnsignedFiles: install manifest-augment files */

    /* The server side (daemon, check-update, send-inventory); Mender's
     * names and defaults. */
    char **server_urls;         /* ServerURL, or each Servers[].ServerURL, in order */
    size_t nserver_urls;
    char *tenant_token;         /* TenantToken; "" when unset */
    char *auth_private_key;     /* Security.AuthPrivateKey: a file or a pkcs11: URI;
                                 * NULL: DATA_DIR/mender-agent.pem, made when absent */
    artsig_key_type auth_key_type; /* ArtsigAuthKeyType ("rsa" or "ed25519"): the type a
                                 * new mender-agent.pem gets; default RSA 3072 */
    char *client_certificate, *client_key; /* HttpsClient.Certificate / .Key (mutual TLS) */
    bool skip_verify;           /* SkipVerify or --skipverify: no TLS verification */
    unsigned update_poll_s;     /* UpdatePollIntervalSeconds, default 1800 */
    unsigned inventory_poll_s;  /* InventoryPollIntervalSeconds, default 1800 (3.4's) */
    unsigned retry_poll_s;      /* RetryPollIntervalSeconds, default 300 */
    int retry_poll_count;       /* RetryPollCount, default 0: Mender's own rule */
    char *identity_script;      /* ArtsigIdentityScript, default
                                 * /usr/share/mender/identity/mender-device-identity */
    char *inventory_dir;        /* ArtsigInventoryDir, default /usr/share/mender/inventory */
    char *reboot_command;       /* ArtsigRebootCommand (sh -c), default "reboot" */
    char *boot_id_file;         /* ArtsigBootIdFile, default /proc/sys/kernel/random/boot_id:
                                 * a new id after the reboot shows that it happened */
    char *artifact_info_file;   /* ArtsigArtifactInfoFile, default /etc/mender/artifact_info:
                                 * the provides until DATA_DIR/provides exists */
};
/* Parse `fallback_path` (may be NULL or absent) then `path`, whose options
 * override the fallback's, as Mender 3.4's -b/-c; a missing `path` is an
 * error naming it unless `missing_ok`. Both ArtifactVerifyKey and ArtifactVerifyKeys set, or
 * both ServerURL and Servers → error. So is anything Go's encoding/json (Mender's
 * reader) could read otherwise: not strict JSON, duplicate keys, null or a
 * wrong type for an option read here, an option spelt in another case, or an
 * unknown key a typo away from one. Other unknown keys are ignored (Mender's
 * file has many). */
int upd_config_load(struct upd_config *cfg, const char *path, const char *fallback_path,
                    const char *data_dir, bool missing_ok);
void upd_config_free(struct upd_config *cfg);
/* Print the settings in force as a JSON object on stdout, by option name:
 * the keys of either key option as ArtifactVerifyKeys, an unset path as null. */
int upd_config_show(const struct upd_config *cfg);
/* Load every configured key into a keyring; fail closed: a key that is missing,
 * unreadable or unsupported, or a token that is absent, refuses (error names the
 * file, or the URI's place in the list). *ring is NULL when no key is
 * configured (signatures then not checked; caller warns). */
int upd_config_keyring(artsig_keyring **ring, const struct upd_config *cfg);

/* ---- state.c: crash-safe state in the data dir ---- */
/* Write `data` to DIR/NAME atomically and durably: temp file, fsync, rename,
 * fsync of the directory. */
int upd_write_atomic(const char *dir, const char *name, const void *data, size_t len);
/* The same, readable and writable by the owner only (mode 0600) from its
 * first byte on: for secrets such as the device key. */
int upd_write_private(const char *dir, const char *name, const void *data, size_t len);
/* fsync a directory: a rename is durable only once the directory holding the
 * name is. -1 with errno on failure. */
int upd_fsync_dir(const char *dir);
/* write() all of `data`, retrying short writes and EINTR; -1 with errno on failure. */
int upd_write_all(int fd, const void *data, size_t len);
/* Read a small file whole into a malloc'd, NUL-terminated *data, at most `max`
 * bytes (more is an error). A missing file is success with *data NULL when
 * `missing_ok`. Errors name the file. */
int upd_read_file(char **data, const char *path, size_t max, bool missing_ok);
/* The device's provides (key=value lines, artifact_name among them), loaded from
 * DATA_DIR/provides; while that is absent (no update committed yet), from the
 * image's artifact_info file named by upd_provides_use_artifact_info() (as
 * Mender 3.4 falls back to /etc/mender/artifact_info); empty set when neither
 * exists. */
struct upd_provides {
    char **keys, **values;
    size_t count;
};
int upd_provides_load(struct upd_provides *p, const char *data_dir);
/* `path` must outlive every later upd_provides_load(); NULL: no fallback. */
void upd_provides_use_artifact_info(const char *path);
int upd_provides_save(const struct upd_provides *p, const char *data_dir);
const char *upd_provides_get(const struct upd_provides *p, const char *key);
int upd_provides_set(struct upd_provides *p, const char *key, const char *value);
/* Set n keys at once (of equal keys, the later value stays), in O(n log n)
 * where n calls of set would take O(n^2). A device records at most 16384
 * provides: more is an error (p then holds them, for upd_provides_free). */
int upd_provides_set_all(struct upd_provides *p, size_t n, const char *const *keys,
                         const char *const *values);
/* Remove keys matching any glob of clears_artifact_provides (fnmatch). */
void upd_provides_clear(struct upd_provides *p, const char *const *globs, size_t n);
void upd_provides_free(struct upd_provides *p);
/* The key=value text form (the file's and show-provides'); `origin` names the
 * text in errors. format returns a malloc'd string, NULL when out of memory. */
int upd_provides_parse(struct upd_provides *p, const char *text, const char *origin);
char *upd_provides_format(const struct upd_provides *p);
/* mender_order.c: the order in which mender-update 4.x/5.x prints the same
 * provides (its hash table's), as indexes into p; malloc'd, NULL when out of memory. */
size_t *upd_provides_mender_order(const struct upd_provides *p);
/* Where an update stands; each phase is saved before the step it names may
 * start, so a run killed at any point is recognised by the next one. */
enum upd_phase {
    UPD_PHASE_INSTALLING, /* activation (boot env switch, module's ArtifactInstall) may have begun */
    UPD_PHASE_INSTALLED,  /* activated; waiting for commit or rollback */
    UPD_PHASE_COMMITTING  /* commit began: it can only be finished, not rolled back */
};
/* The in-progress update, DATA_DIR/update.json: what commit/rollback need. */
struct upd_progress {
    enum upd_phase phase;
    char *artifact_name;
    char *payload_type;     /* "rootfs-image" or a module name */
    char *work_dir;         /* module's FILES_DIR (kept until commit/rollback) */
    char *new_provides;     /* key=value lines to record on commit */
    char *prev_boot_part;   /* rootfs: mender_boot_part before the switch */
    bool supports_rollback;
    bool needs_reboot;
};
int upd_progress_load(struct upd_progress *u, bool *present, const char *data_dir);
int upd_progress_save(const struct upd_progress *u, const char *data_dir);
int upd_progress_clear(const char *data_dir);
void upd_progress_free(struct upd_progress *u);
/* The deployment the daemon is on, DATA_DIR/deployment.json, saved before
 * each status is sent and again once the server took it: a run killed at any
 * point resends what may not have arrived (the server accepts a repeat)
 * rather than lose it. A final status (success, failure, already-installed)
 * is owed until the server took it; then the record goes. */
struct upd_deployment_state {
    char *id;
    char *artifact_name;
    char *status;   /* the latest status: the step the deployment is at */
    char *reason;   /* failure: the message for the log upload (NULL otherwise) */
    char *boot_id;  /* rebooting: the boot it was recorded in (NULL: unknown) */
    bool reported;  /* the server took `status` */
    bool aborted;   /* a 409: roll back what was installed, report nothing more */
};
/* A record that does not parse is moved aside to deployment.json.bad
 * (warned about): *present false. */
int upd_deployment_state_load(struct upd_deployment_state *d, bool *present,
                              const char *data_dir);
int upd_deployment_state_save(const struct upd_deployment_state *d, const char *data_dir);
int upd_deployment_state_clear(const char *data_dir);
void upd_deployment_state_free(struct upd_deployment_state *d);

/* ---- bootenv.c: U-Boot (fw_printenv/fw_setenv), GRUB (grub-editenv) or a file ---- */
/* Value of `name` into a malloc'd *value (NULL when unset). */
int upd_bootenv_get(char **value, const struct upd_config *cfg, const char *name);
/* Set several variables in one atomic step (fw_setenv -s script; a file is
 * rewritten with upd_write_atomic). value NULL unsets. */
int upd_bootenv_set(const struct upd_config *cfg, const char *const *names,
                    const char *const *values, size_t n);

/* ---- source.c: where the artifact comes from ---- */
/* A file path, "-" for stdin, or an http(s) URL (libcurl: redirects
 * followed, but only to https after https; transient failures resumed with
 * Range a bounded number of times). Nothing is downloaded to disk first. A
 * URL's TLS trusts the system's certificates and those of
 * cfg->server_certificate, and is set up as the server's (upd_tls_setup:
 * SkipVerify, the HttpsClient certificate). */
struct upd_source;
int upd_source_open(struct upd_source **out, const char *location,
                    const struct upd_config *cfg);
/* An artsig_read_cb: fills buf, returns bytes, 0 at end, -1 on error (with
 * upd_source_error() telling why). */
ssize_t upd_source_read(void *buf, size_t size, void *source);
const char *upd_source_error(const struct upd_source *src);
/* The location as messages show it: a URL without credentials or query. */
const char *upd_source_name(const struct upd_source *src);
void upd_source_close(struct upd_source *src);

/* ---- net.c: what downloads and the server's API share ---- */
/* Certificates trusted by https connections besides the system's. */
struct upd_trusted;
void upd_trusted_free(struct upd_trusted *trusted);
/* The TLS settings every https connection shares: the peer's certificate
 * and name checked unless cfg->skip_verify; the certificates of
 * cfg->server_certificate trusted besides the system's (loaded into
 * *trusted, which must outlive the handle's use; NULL when none); the
 * HttpsClient certificate and key presented when both are set. Mender 3.4
 * builds its API client and its download client from one configuration
 * (app/mender.go), so the download host sees the client certificate too.
 * -1 with a one-line reason in why (a certificate file that cannot be read
 * or holds none, a libcurl without an option). */
int upd_tls_setup(void *easy, struct upd_trusted **trusted, const struct upd_config *cfg,
                  char *why, size_t why_size);
/* The URL as messages show it: credentials, query (a presigned URL carries
 * its signature there) and fragment removed; malloc'd, NULL when libcurl
 * cannot parse it (or out of memory). */
char *upd_url_shown(const char *url);

/* ---- sys.c: the client's child processes (update modules, state scripts) ---- */
/* SIGINT, SIGTERM and SIGHUP are noted instead of ending the client, so that
 * an update stopped by one ends on its failure path with the data dir still
 * locked; the client then exits 128+signal. */
void upd_stop_signals_catch(void);
/* The last of them to arrive; 0 while none did. */
int upd_stop_signal(void);
/* NULL when `state` (an update module's, or a state script's) may start;
 * else why not, in buf: after a stop signal only the states that undo or end
 * an update may (ArtifactRollback, ArtifactFailure, Cleanup). */
const char *upd_state_refused(const char *state, char *buf, size_t size);
/* A program run directly (argv[0] is its path: no shell, no PATH search), in a
 * process group of its own, with stdin /dev/null, stdout captured or joined to
 * our stderr, stderr shared. Past its deadline the group gets SIGTERM, and
 * SIGKILL a minute later (as Mender treats modules). A stop signal that
 * arrives while it runs is passed on to the group, SIGKILL 10 s later. */
struct upd_child {
    pid_t pid;                 /* 0 once reaped */
    int status;                /* wait status once reaped; -1 when lost */
    int out;                   /* read end of the captured stdout, or -1 */
    struct timespec deadline;  /* CLOCK_MONOTONIC */
    bool timed_out;            /* SIGTERM sent at its own deadline */
    bool stopping;             /* SIGTERM or a stop signal sent: SIGKILL at the deadline */
    int stops;                 /* stop signals passed on so far */
};
/* 0, or an errno value (the program could not be started). cwd NULL: ours. */
int upd_child_start(struct upd_child *c, char *const argv[], const char *cwd, bool capture,
                    unsigned timeout_s);
/* Without blocking: true once the child ended (reaped); enforces the deadline. */
bool upd_child_ended(struct upd_child *c);
/* Until the child ended; its captured stdout (what fits, NUL-terminated)
 * into out when out is not NULL. Returns its length, which tells a NUL the
 * child wrote from the terminator. */
size_t upd_child_wait(struct upd_child *c, char *out, size_t outsz);
/* End it: SIGTERM now, SIGKILL after grace_s; reaped on return. */
void upd_child_stop(struct upd_child *c, unsigned grace_s);
/* NULL when it exited 0; else why not ("exit code 3", "timed out", ...) in buf. */
const char *upd_child_failure(const struct upd_child *c, char *buf, size_t size);
/* The names of `dir`'s entries that `keep` accepts, sorted bytewise, into a
 * malloc'd array of malloc'd names. 0, or an errno value (ENOENT: no such
 * directory) with *names NULL. */
int upd_list_dir(char ***names, size_t *count, const char *dir,
                 bool (*keep)(const char *name, const void *arg), const void *arg);
/* rm -rf without following symbolic links; an absent path is no error.
 * -1 with errno on failure. */
int upd_remove_tree(const char *path);

/* ---- installers: rootfs.c (built in) and module.c (update modules v3) ---- */
/* Context an installer gets. */
struct upd_ctx {
    const struct upd_config *cfg;
    const char *data_dir;
    const artsig_info *info;     /* verified header facts */
    const struct upd_provides *provides;
    const char *device_type;
};
/* Called in this order for one payload. Payload bytes arrive BEFORE the final
 * verdict: an installer may only stage them (inactive partition, module
 * streams/files); nothing may be activated before install(). */
struct upd_installer {
    const char *name;
    /* header verified: prepare (e.g. pick the inactive partition, build the
     * module's file tree, run the module's Download state) */
    int (*begin)(void *self, const struct upd_ctx *ctx, size_t payload);
    int (*file_begin)(void *self, const char *name, uint64_t size);
    int (*file_data)(void *self, const void *data, size_t len);
    int (*file_end)(void *self, const char *name);
    /* every digest matched (final verdict OK): finish staging (fsync) */
    int (*download_done)(void *self);
    /* activate; *needs_reboot set; fills progress fields it needs later */
    int (*install)(void *self, struct upd_progress *progress, bool *needs_reboot);
    /* after a failure at any point: undo staging (never touches the active system) */
    void (*abort)(void *self);
    void (*free)(void *self);
};
int upd_rootfs_new(void **self, const struct upd_installer **ops);
int upd_module_new(void **self, const struct upd_installer **ops, const char *type);
/* Later phases, from the saved progress (after a possible reboot). */
int upd_rootfs_commit(const struct upd_config *cfg, const struct upd_progress *u);
int upd_rootfs_rollback(const struct upd_config *cfg, const struct upd_progress *u);
int upd_module_commit(const struct upd_config *cfg, const struct upd_progress *u);
int upd_module_rollback(const struct upd_config *cfg, const struct upd_progress *u);
/* An install killed inside ArtifactInstall, in Mender's order with the
 * artifact's scripts: ArtifactInstall_Error scripts, ArtifactRollback (with
 * its scripts) when the module supports it, ArtifactFailure (with its
 * scripts), Cleanup. A rollback that fails ends it there, the work dir kept:
 * the record must stay for the next try. */
int upd_module_recover(const struct upd_config *cfg, const char *data_dir,
                       const struct upd_progress *u);
/* Whether the boot env points at the partition the update in `u` wrote
 * (false while the switch has not happened, or after a rollback). */
int upd_rootfs_switched(bool *switched, const struct upd_config *cfg,
                        const struct upd_progress *u);

/* ---- scripts.c: the artifact's state scripts ---- */
/* Store the artifact's scripts in DATA_DIR/scripts (replacing older ones), so
 * commit/rollback can run them after a reboot. */
int upd_scripts_store(const char *data_dir, const artsig_info *info);
/* Run STATE_Enter_* or _Leave_* / _Error_* scripts in order (NN, then name).
 * A failing Enter or Leave script fails the call; Error scripts' failures are
 * only warned about. Each may run for cfg->script_timeout_s. */
int upd_scripts_run(const struct upd_config *cfg, const char *data_dir, const char *state,
                    const char *action);

/* ---- server.c: the Mender Server's device API (../shared/SERVER.md) ----
 * Authentication (auth.c: identity script, device key, signed auth request)
 * happens on demand and again after any 401, which retries the call once.
 * Every call has a timeout; none retries on its own beyond that 401. */
struct upd_server;
/* auth.c: run `program` directly (with a timeout) and add the key=value lines
 * it prints to the JSON object `into`; a key seen again turns into a list of
 * its values, as Mender's identity and inventory scripts are read. */
struct json_object;
int upd_keyvalues_run(struct json_object *into, const char *program);
/* auth.c: the auth request body (Mender 3.4's bytes: id_data from
 * cfg->identity_script, tenant_token, the device key's public half) and its
 * X-MEN-Signature. The device key is Security.AuthPrivateKey (a file or a
 * pkcs11: URI), else HttpsClient.Key, else DATA_DIR/mender-agent.pem, made
 * (mode 0600) when absent. */
struct upd_auth_request {
    char *body;
    size_t len;
    char signature[ARTSIG_SIGNATURE_B64_MAX];
};
int upd_auth_request(struct upd_auth_request *req, const struct upd_config *cfg,
                     const char *data_dir);
void upd_auth_request_free(struct upd_auth_request *req);
int upd_server_new(struct upd_server **out, const struct upd_config *cfg, const char *data_dir);
void upd_server_free(struct upd_server *server);
/* Authenticate now (the daemon does at start, to report a refusal early). */
int upd_server_auth(struct upd_server *server);
/* A deployment the server offers. */
struct upd_deployment {
    char *id;
    char *artifact_name;
    char *uri;                  /* source.uri: fetched without Authorization */
    char **device_types;        /* device_types_compatible */
    size_t ndevice_types;
};
void upd_deployment_free(struct upd_deployment *d);
/* Ask for the next deployment (v2 POST, then v1 POST, then v1 GET on 404):
 * *found false on 204. An answer without id, artifact_name, source.uri or a
 * non-empty device_types_compatible is an error. */
int upd_server_next(struct upd_deployment *d, bool *found, struct upd_server *server,
                    const char *device_type, const struct upd_provides *provides);
/* PUT a deployment's status ("downloading", ..., substate may be NULL):
 * UPD_EXIT_OK, UPD_ABORTED on 409 (the deployment was aborted on the
 * server), or a failure. */
int upd_server_status(struct upd_server *server, const char *id, const char *status,
                      const char *substate);
/* PUT the captured log lines (upd_log_captured) as the deployment's log. */
int upd_server_log(struct upd_server *server, const char *id);
/* PUT (405: PATCH) the inventory: device_type, artifact_name, the client's
 * name and version, every provide, and the key=value lines of each
 * executable mender-inventory-* in cfg->inventory_dir. */
int upd_server_inventory(struct upd_server *server, const char *device_type,
                         const struct upd_provides *provides);

/* send-inventory: authenticate and send it once. */
int upd_send_inventory(const struct upd_config *cfg, const char *data_dir);

/* ---- daemon.c: daemon (poll, install, report, until stopped) and
 * check-update (once: poll, install what is offered, report, exit) ---- */
int upd_daemon(const struct upd_config *cfg, const char *data_dir, bool once);

/* ---- install.c: the commands that change the device (exit codes above) ---- */
/* reboot_exit_code: UPD_EXIT_REBOOT when a reboot must come next (Mender's
 * --reboot-exit-code), else UPD_EXIT_OK then too, as Mender 3.4 and 4.x. */
int upd_install(const struct upd_config *cfg, const char *data_dir, const char *location,
                bool reboot_exit_code);
int upd_commit(const struct upd_config *cfg, const char *data_dir);
int upd_rollback(const struct upd_config *cfg, const char *data_dir);
/* The install both the CLI and the daemon run; the CLI's adds only its words
 * on stdout and the exit code 4. */
struct upd_install_hooks {
    /* The artifact is verified and staged; nothing is activated yet. A
     * failure (UPD_ABORTED: the server aborted the deployment) stops the
     * install and undoes the staging. NULL: go on. */
    int (*installing)(void *userdata);
};
struct upd_install_result {
    char *artifact_name;    /* malloc'd (caller frees), once the artifact verified */
    bool no_payload;        /* only the provides changed (committed) */
    bool committed;         /* nothing is pending: no rollback possible */
    bool needs_reboot;      /* activated for the next boot */
};
int upd_install_run(const struct upd_config *cfg, const char *data_dir, const char *location,
                    const struct upd_install_hooks *hooks, void *userdata,
                    struct upd_install_result *result);
/* Lock the data dir (once per process; held until exit) and settle what a
 * killed run left (an interrupted activation). */
int upd_open_state(const struct upd_config *cfg, const char *data_dir);
/* Commit (true) or roll back the update recorded in update.json, as the
 * commands do but silently: UPD_EXIT_NOTHING when none is recorded. */
int upd_pending_finish(const struct upd_config *cfg, const char *data_dir, bool commit);
/* The device type, from DeviceTypeFile (malloc'd). */
int upd_device_type(char **out, const struct upd_config *cfg);

#endif
