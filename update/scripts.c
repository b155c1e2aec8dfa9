/* The artifact's state scripts, kept in DATA_DIR/scripts as Mender keeps
 * them in /var/lib/mender/scripts, and run as Mender 3.4 runs them: every
 * STATE_ACTION_NN[_name] in name order, executed directly, each with a
 * timeout. (Mender's exit code 21, "retry later", is not supported: it is a
 * failure like any other.) */
#include "update.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* DIR, put in place of OLD in one step when the filesystem can swap two
 * names (then DIR holds the old scripts, to be removed); else in two. */
static int swap_in(const char *dir, const char *old)
{
    if (renameat2(AT_FDCWD, dir, AT_FDCWD, old, RENAME_EXCHANGE) == 0)
        return 0;
    if (errno == ENOENT)
        return rename(dir, old);
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* Killed in between, the data dir has no scripts: safer than the old
     * artifact's scripts running for the new one. */
    char *aside = NULL;
    if (asprintf(&aside, "%s.old", old) < 0)
        return -1;
    int rc = upd_remove_tree(aside);
    bool had_old = false;
    if (!rc && !(had_old = rename(old, aside) == 0) && errno != ENOENT)
        rc = -1;
    if (!rc)
        rc = rename(dir, old);
    if (!rc && had_old)
        rc = rename(aside, dir);
    free(aside);
    return rc;
}

static int write_scripts(const char *dir, const artsig_info *info)
{
    if (mkdir(dir, 0755) != 0)
        return upd_fail("%s: %s", dir, strerror(errno));
    for (size_t i = 0; i < artsig_info_script_count(info); i++) {
        const char *name;
        const uint8_t *data;
        size_t len;
        if (artsig_info_script(&name, &data, &len, info, i) != ARTSIG_OK)
            return upd_fail("state script %zu of the artifact cannot be read", i);
        /* artsig admits only <State>_<Action>_NN[_name] with a payload
         * file name's characters: it stays a file of this dir. */
        if (upd_write_atomic(dir, name, data, len) != 0)
            return UPD_EXIT_FAILURE;
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int rc = fd < 0 ? -1 : fchmodat(fd, name, 0755, 0);
        if (fd >= 0)
            close(fd);
        if (rc != 0)
            return upd_fail("%s/%s: %s", dir, name, strerror(errno));
    }
    return 0;
}

int upd_scripts_store(const char *data_dir, const artsig_info *info)
{
    char *dir = NULL, *fresh = NULL;
    if (asprintf(&dir, "%s/scripts", data_dir) < 0)
        dir = NULL;
    if (!dir || asprintf(&fresh, "%s/scripts.new", data_dir) < 0) {
        free(dir);
        return upd_fail("out of memory");
    }
    /* scripts.new is written whole, then swapped with scripts: a run killed
     * at any point leaves either set, never a mix. Every artifact replaces
     * the set, also with none. */
    int rc = upd_remove_tree(fresh) != 0 ? upd_fail("cannot remove %s: %s", fresh,
                                                    strerror(errno))
                                         : write_scripts(fresh, info);
    if (!rc && upd_fsync_dir(fresh) != 0)
        rc = upd_fail("%s: %s", fresh, strerror(errno));
    if (!rc && swap_in(fresh, dir) != 0)
        rc = upd_fail("%s: %s", dir, strerror(errno));
    if (!rc && upd_fsync_dir(data_dir) != 0)
        rc = upd_fail("%s: %s", data_dir, strerror(errno));
    if (!rc && upd_remove_tree(fresh) != 0)
        upd_warn("cannot remove %s: %s", fresh, strerror(errno));
    free(dir);
    free(fresh);
    return rc;
}

/* STATE_ACTION_NN or STATE_ACTION_NN_name. */
static bool matches(const char *name, const char *prefix, size_t n)
{
    if (strncmp(name, prefix, n) != 0)
        return false;
    const char *p = name + n;
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return false;
    return p[2] == '\0' || (p[2] == '_' && p[3] != '\0');
}

/* upd_list_dir's filter: the scripts of one state and action. */
static bool matches_prefix(const char *name, const void *prefix)
{
    return matches(name, prefix, strlen(prefix));
}

/* The matching scripts' names, sorted: NN first, then the name (bytewise
 * order of the whole name is both). */
static int list_scripts(char ***names, size_t *count, const char *dir, const char *prefix)
{
    int err = upd_list_dir(names, count, dir, matches_prefix, prefix);
    return !err || err == ENOENT ? 0 : upd_fail("%s: %s", dir, strerror(err));
}

/* NULL when the script succeeded, else why not. */
static const char *run_script(const char *path, unsigned timeout_s, char *why, size_t size)
{
    char *argv[] = {(char *)path, NULL};
    struct upd_child c;
    int err = upd_child_start(&c, argv, NULL, false, timeout_s);
    if (err) {
        snprintf(why, size, "cannot run: %s", strerror(err));
        return why;
    }
    upd_child_wait(&c, NULL, 0);
    if (c.timed_out) {
        snprintf(why, size, "timed out after StateScriptTimeoutSeconds (%u)", timeout_s);
        return why;
    }
    return upd_child_failure(&c, why, size);
}

int upd_scripts_run(const struct upd_config *cfg, const char *data_dir, const char *state,
                    const char *action)
{
    char why[160];
    /* Error scripts belong to the failure path whatever their state. */
    if (strcmp(action, "Error") != 0 && upd_state_refused(state, why, sizeof why))
        return upd_fail("%s_%s: %s", state, action, why);
    char *dir = NULL, *prefix = NULL;
    if (asprintf(&dir, "%s/scripts", data_dir) < 0)
        dir = NULL;
    if (!dir || asprintf(&prefix, "%s_%s_", state, action) < 0) {
        free(dir);
        return upd_fail("out of memory");
    }
    char **names;
    size_t count;
    int rc = list_scripts(&names, &count, dir, prefix);
    /* Error scripts run while something already failed: each of them runs,
     * and their own failures only add a warning. */
    bool warn_only = strcmp(action, "Error") == 0;
    for (size_t i = 0; i < count; i++) {
        char *path = NULL;
        if (!rc && asprintf(&path, "%s/%s", dir, names[i]) < 0) {
            path = NULL;
            rc = upd_fail("out of memory");
        } else if (!rc && run_script(path, cfg->script_timeout_s, why, sizeof why)) {
            if (warn_only)
                upd_warn("state script %s failed: %s", names[i], why);
            else
                rc = upd_fail("state script %s failed: %s", names[i], why);
        }
        free(path);
        free(names[i]);
    }
    free(names);
    free(dir);
    free(prefix);
    return rc;
}
