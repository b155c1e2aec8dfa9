/* The built-in rootfs-image installer: A/B partitions switched through the
 * boot environment, as Mender's U-Boot integration does.
 *
 * The active partition is the one whose number (the trailing digits of
 * RootfsPartA/RootfsPartB) equals the boot env's mender_boot_part; when that is
 * unset, A. The image goes to the other one while it streams, and is fsync'd
 * once every digest matched. Only then does install() switch the boot env, in
 * one atomic update. Crash safety (what a SIGKILL or power cut leaves):
 *  - while streaming: the boot env still points at the active partition and no
 *    progress is saved; the next install just writes the inactive one again;
 *  - install() saves the progress (phase "installing", with prev_boot_part)
 *    BEFORE switching; killed before the switch, the next run finds the boot
 *    env still on prev_boot_part and drops the record (upd_rootfs_switched);
 *    killed after it, the boot env points at a complete, fsync'd image, which
 *    is exactly what the bootloader may boot, so the next run marks the update
 *    installed and it goes on to commit or rollback like any other;
 *  - commit and rollback each write the boot env once, and are idempotent, so
 *    a repeated command completes what a killed one began. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "update.h"

#define PART_NUMBER_MAX 16
/* The image goes to the kernel's writeback in chunks of this size as it
 * streams, and each chunk but the newest is waited for and dropped from the
 * page cache: writing the flash overlaps download and decompression instead
 * of all of it waiting for the fsync at the end, dirty memory stays bounded on
 * a small device, and an image nobody reads back does not evict the running
 * system's cache. */
#define WRITE_BEHIND (8 << 20)

struct part {
    const char *path;
    char number[PART_NUMBER_MAX]; /* trailing digits of the path */
    char hex[PART_NUMBER_MAX];    /* the same number in hex, as mender_boot_part_hex */
};

struct rootfs {
    const struct upd_config *cfg;
    const char *data_dir;
    struct part active, target;
    int fd;
    bool regular;      /* a plain file: truncated to the image's size at the end */
    uint64_t capacity; /* bytes the target holds (UINT64_MAX for a plain file) */
    uint64_t expected, written;
    uint64_t queued; /* bytes handed to writeback, in WRITE_BEHIND chunks */
};

static int part_from(struct part *p, const char *path, const char *option)
{
    if (!path)
        return upd_fail("rootfs-image needs RootfsPartA and RootfsPartB in the configuration; "
                        "%s is not set", option);
    size_t len = strlen(path), start = len;
    while (start > 0 && path[start - 1] >= '0' && path[start - 1] <= '9')
        start--;
    if (start == len || len - start >= PART_NUMBER_MAX)
        return upd_fail("%s %s: the path does not end in a partition number", option, path);
    p->path = path;
    memcpy(p->number, path + start, len - start + 1);
    snprintf(p->hex, sizeof p->hex, "%lx", strtoul(p->number, NULL, 10));
    return UPD_EXIT_OK;
}

/* Both partitions from the configuration; `prev` (a mender_boot_part value,
 * NULL: unset, meaning A) picks which one is active. */
static int partitions(struct part *active, struct part *other, const struct upd_config *cfg,
                      const char *prev)
{
    struct part a, b;
    int rc = part_from(&a, cfg->rootfs_a, "RootfsPartA");
    if (rc == UPD_EXIT_OK)
        rc = part_from(&b, cfg->rootfs_b, "RootfsPartB");
    if (rc == UPD_EXIT_OK && strcmp(a.number, b.number) == 0)
        rc = upd_fail("RootfsPartA %s and RootfsPartB %s have the same partition number",
                      a.path, b.path);
    if (rc != UPD_EXIT_OK)
        return rc;
    if (!prev || strcmp(prev, a.number) == 0) {
        *active = a;
        *other = b;
    } else if (strcmp(prev, b.number) == 0) {
        *active = b;
        *other = a;
    } else {
        return upd_fail("boot environment: mender_boot_part=%s is neither RootfsPartA's "
                        "number (%s) nor RootfsPartB's (%s)", prev, a.number, b.number);
    }
    return UPD_EXIT_OK;
}

/* Point the bootloader at `boot`; `trial` makes it a trial boot that the
 * bootloader undoes unless it is committed (upgrade_available=1, bootcount=0). */
static int switch_to(const struct upd_config *cfg, const struct part *boot, bool trial)
{
    const char *names[] = {"mender_boot_part", "mender_boot_part_hex", "upgrade_available",
                           "bootcount"};
    const char *values[] = {boot->number, boot->hex, trial ? "1" : "0", "0"};
    /* A rollback leaves bootcount alone, as Mender's client does. */
    return upd_bootenv_set(cfg, names, values, trial ? 4 : 3);
}

/* Refuse to write a partition that is the active one in disguise (a symlink,
 * the same device twice) or the one the running system is mounted from. */
static int check_target(const struct rootfs *r, const struct stat *st)
{
    struct stat act, root;
    if (stat(r->active.path, &act) != 0)
        return upd_fail("active partition %s: %s", r->active.path, strerror(errno));
    bool same = S_ISBLK(st->st_mode) ? S_ISBLK(act.st_mode) && act.st_rdev == st->st_rdev
                                     : act.st_dev == st->st_dev && act.st_ino == st->st_ino;
    if (same)
        return upd_fail("%s and %s are the same partition", r->target.path, r->active.path);
    if (S_ISBLK(st->st_mode) && stat("/", &root) == 0 && root.st_dev == st->st_rdev)
        return upd_fail("inactive partition %s holds the running root file system",
                        r->target.path);
    if (!S_ISBLK(st->st_mode) && !S_ISREG(st->st_mode))
        return upd_fail("%s: neither a block device nor a regular file", r->target.path);
    return UPD_EXIT_OK;
}

static int rootfs_begin(void *self, const struct upd_ctx *ctx, size_t payload)
{
    struct rootfs *r = self;
    r->cfg = ctx->cfg;
    r->data_dir = ctx->data_dir;
    size_t nfiles = artsig_info_file_count(ctx->info, payload);
    if (nfiles != 1)
        return upd_fail("a rootfs-image payload holds one image; this one holds %zu files",
                        nfiles);
    char *boot_part = NULL, *pending = NULL;
    int rc = upd_bootenv_get(&boot_part, r->cfg, "mender_boot_part");
    if (rc == UPD_EXIT_OK)
        rc = upd_bootenv_get(&pending, r->cfg, "upgrade_available");
    /* A trial boot this client did not start (no progress is saved, or
     * install.c would have refused): the "inactive" partition may be the only
     * one known to boot, so it must not be overwritten. */
    if (rc == UPD_EXIT_OK && pending && strcmp(pending, "1") == 0)
        rc = upd_fail("boot environment has upgrade_available=1: an update is pending that "
                      "this client did not start");
    if (rc == UPD_EXIT_OK)
        rc = partitions(&r->active, &r->target, r->cfg, boot_part);
    free(boot_part);
    free(pending);
    if (rc != UPD_EXIT_OK)
        return rc;
    /* Never O_CREAT (a typo must not make a file in /dev) nor O_TRUNC (a block
     * device cannot be truncated; a plain file is cut to size at the end). */
    r->fd = open(r->target.path, O_WRONLY | O_CLOEXEC);
    struct stat st;
    if (r->fd < 0 || fstat(r->fd, &st) != 0)
        return upd_fail("inactive partition %s: %s", r->target.path, strerror(errno));
    if ((rc = check_target(r, &st)) != UPD_EXIT_OK)
        return rc;
    r->regular = S_ISREG(st.st_mode);
    r->capacity = UINT64_MAX;
    if (!r->regular && ioctl(r->fd, BLKGETSIZE64, &r->capacity) != 0)
        return upd_fail("inactive partition %s: size: %s", r->target.path, strerror(errno));
    return UPD_EXIT_OK;
}

static int rootfs_file_begin(void *self, const char *name, uint64_t size)
{
    struct rootfs *r = self;
    if (size > r->capacity)
        return upd_fail("image %s (%llu bytes) does not fit partition %s (%llu bytes)", name,
                        (unsigned long long)size, r->target.path,
                        (unsigned long long)r->capacity);
    r->expected = size;
    return UPD_EXIT_OK;
}

/* Start writing back the chunks complete since the last call, and wait for
 * the ones before. Only the data: the fsync at the end makes it durable. */
static int write_behind(struct rootfs *r)
{
    for (; r->written - r->queued >= WRITE_BEHIND; r->queued += WRITE_BEHIND) {
        if (sync_file_range(r->fd, (off_t)r->queued, WRITE_BEHIND, SYNC_FILE_RANGE_WRITE) != 0)
            return -1;
        if (r->queued < WRITE_BEHIND)
            continue;
        off_t prev = (off_t)(r->queued - WRITE_BEHIND);
        if (sync_file_range(r->fd, prev, WRITE_BEHIND, SYNC_FILE_RANGE_WAIT_BEFORE |
                                                           SYNC_FILE_RANGE_WRITE |
                                                           SYNC_FILE_RANGE_WAIT_AFTER) != 0)
            return -1;
        (void)posix_fadvise(r->fd, prev, WRITE_BEHIND, POSIX_FADV_DONTNEED);
    }
    return 0;
}

static int rootfs_file_data(void *self, const void *data, size_t len)
{
    struct rootfs *r = self;
    if (len > r->expected - r->written)
        return upd_fail("image longer than announced");
    if (upd_write_all(r->fd, data, len) != 0)
        return upd_fail("writing %s: %s", r->target.path, strerror(errno));
    r->written += len;
    if (write_behind(r) != 0)
        return upd_fail("writing %s: %s", r->target.path, strerror(errno));
    return UPD_EXIT_OK;
}

static int rootfs_file_end(void *self, const char *name)
{
    struct rootfs *r = self;
    if (r->written != r->expected)
        return upd_fail("image %s ended after %llu of %llu bytes", name,
                        (unsigned long long)r->written, (unsigned long long)r->expected);
    return UPD_EXIT_OK;
}

static int rootfs_download_done(void *self)
{
    struct rootfs *r = self;
    if (r->regular && ftruncate(r->fd, (off_t)r->written) != 0)
        return upd_fail("truncating %s: %s", r->target.path, strerror(errno));
    /* Durable before the boot env may point at it. */
    if (fsync(r->fd) != 0)
        return upd_fail("flushing %s: %s", r->target.path, strerror(errno));
    return UPD_EXIT_OK;
}

static int rootfs_install(void *self, struct upd_progress *progress, bool *needs_reboot)
{
    struct rootfs *r = self;
    free(progress->prev_boot_part);
    progress->prev_boot_part = strdup(r->active.number);
    if (!progress->prev_boot_part)
        return upd_fail("out of memory");
    progress->phase = UPD_PHASE_INSTALLING;
    progress->supports_rollback = true;
    progress->needs_reboot = true;
    /* The record first, then the switch: see the top of this file. */
    int rc = upd_progress_save(progress, r->data_dir);
    if (rc != UPD_EXIT_OK)
        return rc;
    rc = switch_to(r->cfg, &r->target, true);
    if (rc != UPD_EXIT_OK) {
        /* The switch is one atomic update that failed: the boot env is as it
         * was, so the record goes (left behind, the next run would find the
         * boot env unswitched and drop it anyway). */
        upd_progress_clear(r->data_dir);
        return rc;
    }
    *needs_reboot = true;
    return UPD_EXIT_OK;
}

static void rootfs_abort(void *self)
{
    /* Nothing to undo: before install() only the inactive partition was
     * written, which nothing boots. */
    struct rootfs *r = self;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

static void rootfs_free(void *self)
{
    rootfs_abort(self);
    free(self);
}

static const struct upd_installer rootfs_ops = {
    .name = "rootfs-image",
    .begin = rootfs_begin,
    .file_begin = rootfs_file_begin,
    .file_data = rootfs_file_data,
    .file_end = rootfs_file_end,
    .download_done = rootfs_download_done,
    .install = rootfs_install,
    .abort = rootfs_abort,
    .free = rootfs_free,
};

int upd_rootfs_new(void **self, const struct upd_installer **ops)
{
    struct rootfs *r = calloc(1, sizeof *r);
    if (!r)
        return upd_fail("out of memory");
    r->fd = -1;
    *self = r;
    *ops = &rootfs_ops;
    return UPD_EXIT_OK;
}

int upd_rootfs_switched(bool *switched, const struct upd_config *cfg,
                        const struct upd_progress *u)
{
    *switched = false;
    if (!u->prev_boot_part)
        return UPD_EXIT_OK; /* saved before the switch was even prepared */
    struct part prev, target;
    char *boot_part;
    int rc = partitions(&prev, &target, cfg, u->prev_boot_part);
    if (rc == UPD_EXIT_OK)
        rc = upd_bootenv_get(&boot_part, cfg, "mender_boot_part");
    if (rc == UPD_EXIT_OK) {
        *switched = boot_part && strcmp(boot_part, target.number) == 0;
        free(boot_part);
    }
    return rc;
}

int upd_rootfs_commit(const struct upd_config *cfg, const struct upd_progress *u)
{
    bool switched;
    int rc = upd_rootfs_switched(&switched, cfg, u);
    if (rc != UPD_EXIT_OK)
        return rc;
    if (!switched)
        return upd_fail("the boot environment no longer points at the partition %s was "
                        "written to (the bootloader rolled back?); not committing",
                        u->artifact_name);
    const char *name = "upgrade_available", *value = "0";
    return upd_bootenv_set(cfg, &name, &value, 1);
}

int upd_rootfs_rollback(const struct upd_config *cfg, const struct upd_progress *u)
{
    if (!u->prev_boot_part)
        return upd_fail("no previous boot partition recorded for %s", u->artifact_name);
    struct part prev, target;
    int rc = partitions(&prev, &target, cfg, u->prev_boot_part);
    return rc == UPD_EXIT_OK ? switch_to(cfg, &prev, false) : rc;
}
