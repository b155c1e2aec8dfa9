/* The boot environment the bootloader reads: a plain key=value file
 * (BootEnvFile: simulated devices and tests), U-Boot's through
 * fw_printenv/fw_setenv, or GRUB's through grub-editenv.
 *
 * Without BootEnvFile the tools decide: fw_printenv and fw_setenv on PATH mean
 * U-Boot (Mender's GRUB integration, grub-mender-grubenv, also installs tools
 * by these names, so it lands here too, as with Mender's client); otherwise
 * grub-editenv means plain GRUB, on its default environment block.
 *
 * Several variables always change in one step: the file is replaced with
 * upd_write_atomic(); fw_setenv gets them all in one script (with a redundant
 * environment, libubootenv writes the inactive copy and flips to it, so the
 * bootloader sees all or nothing); grub-editenv sets them in one call. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "update.h"

/* The largest environment we read (U-Boot's are tens of KiB). */
#define ENV_TEXT_MAX (1024 * 1024)
#define TOOL_TIMEOUT_S 60
#define PATH_SIZE 4096

enum kind { BACKEND_FILE, BACKEND_UBOOT, BACKEND_GRUB };
struct backend {
    enum kind kind;
    char get[PATH_SIZE], set[PATH_SIZE]; /* the tools' paths */
};

/* The path of `tool` on PATH into buf; false when it is not there. */
static bool find_tool(char *buf, const char *tool)
{
    const char *dir = getenv("PATH");
    for (dir = dir ? dir : "/usr/bin:/bin";; dir++) {
        size_t len = strcspn(dir, ":");
        int n = snprintf(buf, PATH_SIZE, "%.*s/%s", (int)len, len ? dir : ".", tool);
        if (n > 0 && n < PATH_SIZE && access(buf, X_OK) == 0)
            return true;
        dir += len;
        if (*dir == '\0')
            return false;
    }
}

static int pick_backend(struct backend *b, const struct upd_config *cfg)
{
    if (cfg->boot_env_file)
        b->kind = BACKEND_FILE;
    else if (find_tool(b->get, "fw_printenv") && find_tool(b->set, "fw_setenv"))
        b->kind = BACKEND_UBOOT;
    else if (find_tool(b->get, "grub-editenv") && find_tool(b->set, "grub-editenv"))
        b->kind = BACKEND_GRUB;
    else
        return upd_fail("no boot environment: set BootEnvFile, or install fw_printenv and "
                        "fw_setenv (U-Boot) or grub-editenv (GRUB)");
    return UPD_EXIT_OK;
}

/* Run a bootloader tool; its stdout into out (when not NULL, ENV_TEXT_MAX
 * bytes), its stderr passed through to ours. */
static int run_tool(char *const argv[], char *out)
{
    struct upd_child c;
    int err = upd_child_start(&c, argv, NULL, out != NULL, TOOL_TIMEOUT_S);
    if (err)
        return upd_fail("cannot run %s: %s", argv[0], strerror(err));
    upd_child_wait(&c, out, ENV_TEXT_MAX);
    char why[160];
    if (upd_child_failure(&c, why, sizeof why))
        return upd_fail("%s failed: %s", argv[0], why);
    /* Cut short, a variable we look for could seem unset. */
    if (out && strlen(out) == ENV_TEXT_MAX - 1)
        return upd_fail("%s: more output than a boot environment holds", argv[0]);
    return UPD_EXIT_OK;
}

/* The whole environment as key=value lines, into a malloc'd *text. */
static int read_env(char **text, struct backend *b, const struct upd_config *cfg)
{
    if (b->kind == BACKEND_FILE)
        return upd_read_file(text, cfg->boot_env_file, ENV_TEXT_MAX - 1, false);
    *text = malloc(ENV_TEXT_MAX);
    if (!*text)
        return upd_fail("out of memory");
    char *uboot[] = {b->get, NULL};
    char *grub[] = {b->get, "-", "list", NULL};
    int rc = run_tool(b->kind == BACKEND_UBOOT ? uboot : grub, *text);
    if (rc != UPD_EXIT_OK) {
        free(*text);
        *text = NULL;
    }
    return rc;
}

/* Whether `line` is the one of variable `name`. */
static bool is_line_of(const char *line, const char *name)
{
    size_t n = strlen(name);
    return strncmp(line, name, n) == 0 && line[n] == '=';
}

/* The line of `name` in key=value text: its start and, in *len, its length
 * without the newline. NULL when absent. */
static char *find_line(char *text, const char *name, size_t *len)
{
    for (char *line = text; *line; line += *len + (line[*len] != '\0')) {
        *len = strcspn(line, "\n");
        if (is_line_of(line, name))
            return line;
    }
    return NULL;
}

int upd_bootenv_get(char **value, const struct upd_config *cfg, const char *name)
{
    *value = NULL;
    struct backend b;
    char *text = NULL;
    int rc = pick_backend(&b, cfg);
    if (rc == UPD_EXIT_OK)
        rc = read_env(&text, &b, cfg);
    size_t len;
    char *line = rc == UPD_EXIT_OK ? find_line(text, name, &len) : NULL;
    if (line && !(*value = strndup(line + strlen(name) + 1, len - strlen(name) - 1)))
        rc = upd_fail("out of memory");
    free(text);
    return rc;
}

/* "name=value" lines for the changes after `kept` (may be NULL), each line of
 * which stays unless it sets one of `names`. An unset variable is "name=" in
 * fw_setenv's script (`unset_lines`) and no line at all in a file. */
static char *env_text(const char *kept, const char *const *names, const char *const *values,
                      size_t n, bool unset_lines)
{
    size_t cap = (kept ? strlen(kept) : 0) + 2;
    for (size_t i = 0; i < n; i++)
        cap += strlen(names[i]) + (values[i] ? strlen(values[i]) : 0) + 2;
    char *out = malloc(cap), *end = out;
    if (!out)
        return NULL;
    for (const char *line = kept; line && *line;) {
        size_t len = strcspn(line, "\n");
        bool changed = false;
        for (size_t i = 0; i < n && !changed; i++)
            changed = is_line_of(line, names[i]);
        if (!changed)
            end += sprintf(end, "%.*s\n", (int)len, line);
        line += len + (line[len] != '\0');
    }
    for (size_t i = 0; i < n; i++)
        if (values[i] || unset_lines)
            end += sprintf(end, "%s=%s\n", names[i], values[i] ? values[i] : "");
    *end = '\0';
    return out;
}

/* The file is rewritten whole and renamed into place: a variable's line is
 * replaced where it stands (or removed, or appended), every other line kept. */
static int set_file(struct backend *b, const struct upd_config *cfg, const char *const *names,
                    const char *const *values, size_t n)
{
    char *text;
    int rc = read_env(&text, b, cfg);
    if (rc != UPD_EXIT_OK)
        return rc;
    char *out = env_text(text, names, values, n, false);
    char *path = strdup(cfg->boot_env_file);
    char *slash = path ? strrchr(path, '/') : NULL;
    if (!out || !path)
        rc = upd_fail("out of memory");
    else if (slash) {
        *slash = '\0';
        rc = upd_write_atomic(slash == path ? "/" : path, slash + 1, out, strlen(out));
    } else {
        rc = upd_write_atomic(".", path, out, strlen(out));
    }
    free(path);
    free(out);
    free(text);
    return rc;
}

/* fw_setenv reads every change from one script of "name=value" lines
 * ("name=" unsets: libubootenv's format, which Mender's GRUB tools read
 * too). The script is a private temporary file. */
static int set_uboot(struct backend *b, const char *const *names, const char *const *values,
                     size_t n)
{
    const char *tmpdir = getenv("TMPDIR");
    char script[PATH_SIZE];
    if ((size_t)snprintf(script, sizeof script, "%s/artsig-update-env.XXXXXX",
                         tmpdir && *tmpdir ? tmpdir : "/tmp") >= sizeof script)
        return upd_fail("TMPDIR too long");
    char *text = env_text(NULL, names, values, n, true);
    if (!text)
        return upd_fail("out of memory");
    int fd = mkostemp(script, O_CLOEXEC);
    int rc = UPD_EXIT_OK;
    if (fd < 0 || upd_write_all(fd, text, strlen(text)) != 0)
        rc = upd_fail("fw_setenv script %s: %s", script, strerror(errno));
    if (fd >= 0 && close(fd) != 0 && rc == UPD_EXIT_OK)
        rc = upd_fail("fw_setenv script %s: %s", script, strerror(errno));
    if (rc == UPD_EXIT_OK) {
        char *argv[] = {b->set, "-s", script, NULL};
        rc = run_tool(argv, NULL);
    }
    if (fd >= 0)
        unlink(script);
    free(text);
    return rc;
}

/* grub-editenv sets several variables in one call; unsetting is another
 * command, so it is a second call (none of this client's changes mixes the
 * two). */
static int set_grub(struct backend *b, const char *const *names, const char *const *values,
                    size_t n)
{
    enum { FIXED = 3 }; /* tool, file ("-": its default), command */
    char **set = calloc(n + FIXED + 1, sizeof *set), **unset = calloc(n + FIXED + 1, sizeof *unset);
    size_t nset = FIXED, nunset = FIXED;
    int rc = set && unset ? UPD_EXIT_OK : upd_fail("out of memory");
    for (size_t i = 0; i < n && rc == UPD_EXIT_OK; i++) {
        if (!values[i])
            unset[nunset++] = (char *)names[i];
        else if (asprintf(&set[nset++], "%s=%s", names[i], values[i]) < 0)
            rc = upd_fail("out of memory");
    }
    char **calls[] = {set, unset};
    size_t counts[] = {nset, nunset};
    const char *commands[] = {"set", "unset"};
    for (int c = 0; c < 2 && rc == UPD_EXIT_OK; c++) {
        if (counts[c] == FIXED)
            continue;
        calls[c][0] = b->set;
        calls[c][1] = "-";
        calls[c][2] = (char *)commands[c];
        rc = run_tool(calls[c], NULL);
    }
    for (size_t i = FIXED; set && i < nset; i++)
        free(set[i]);
    free(set);
    free(unset);
    return rc;
}

int upd_bootenv_set(const struct upd_config *cfg, const char *const *names,
                    const char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!*names[i] || strpbrk(names[i], "=\n") || (values[i] && strchr(values[i], '\n')))
            return upd_fail("boot environment variable '%s': invalid name or value", names[i]);
    struct backend b;
    int rc = pick_backend(&b, cfg);
    if (rc != UPD_EXIT_OK)
        return rc;
    switch (b.kind) {
    case BACKEND_FILE:
        return set_file(&b, cfg, names, values, n);
    case BACKEND_UBOOT:
        return set_uboot(&b, names, values, n);
    case BACKEND_GRUB:
        return set_grub(&b, names, values, n);
    }
    return UPD_EXIT_FAILURE;
}
