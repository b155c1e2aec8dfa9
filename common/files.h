/* Files as both programs, artsig and artsig-update, meet them: standard
 * descriptors that may be closed, and destinations that may be links,
 * devices or directories. Compiled into both; never installed. */
#ifndef ARTSIG_COMMON_FILES_H
#define ARTSIG_COMMON_FILES_H

/* Descriptors 0, 1 and 2 that are closed are opened on /dev/null, before
 * anything else is opened: otherwise the next file opened (an output, a
 * staging file, a lock) takes the number and printf() writes into it.
 * Opened the other way round (0 write-only, 1 and 2 read-only), so reading
 * or writing a closed standard stream still fails (EBADF) instead of
 * succeeding silently. 0, or an errno when /dev/null cannot be opened. */
int keep_std_fds_open(void);

/* What is at a destination once its symbolic links are followed. */
enum destination_kind {
    DESTINATION_FILE,   /* a regular file or nothing yet: it can be replaced whole */
    DESTINATION_STREAM, /* a device, FIFO or socket: it can only be written through */
};

/* Where a write to `name` lands. A regular file, or nothing: *path is the
 * file at the end of `name`'s chain of symbolic links (a dangling link's
 * target, to be created, as the shell's '>' does), so renaming over *path
 * replaces it and keeps every link. A device, FIFO or socket (/dev/null,
 * /dev/stdout on a pipe): *path is `name`, to be opened and written through.
 * *path is malloc'd. 0, or an errno: EISDIR for a directory, ELOOP,
 * ENAMETOOLONG, ENOMEM, or what stat() or readlink() said. */
int resolve_destination(char **path, enum destination_kind *kind, const char *name);

#endif
