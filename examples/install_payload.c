/* Stream an artifact from standard input and write its payload file to disk,
 * the way a device installs an update: bytes go to a temporary file as they
 * arrive, and only when the reader's verdict is in (signature, header and the
 * file's digest all checked) is the file renamed into place. A refused or cut
 * artifact leaves nothing behind.
 *
 *   cc install_payload.c $(pkg-config --cflags --libs libartsig)
 *   curl -s https://updates.example.com/app.mender | ./a.out keys/release.pub /opt/app.img
 *
 * The artifact must hold one payload with one file. Exit status: 0 installed,
 * 1 refused, 2 usage or I/O error. */
/* open()'s O_CLOEXEC and fsync() are POSIX, not C11. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <artsig.h>

struct install {
    const char *tmp_path;
    int fd;    /* the temporary file, while a payload file streams */
    int files; /* payload files seen */
};

static int on_file_begin(size_t payload, const char *name, uint64_t size, void *userdata)
{
    struct install *in = userdata;
    (void)size;
    if (payload != 0 || ++in->files > 1) {
        fprintf(stderr, "payload file %s: only one is expected\n", name);
        return 1; /* non-zero stops the reader with ARTSIG_ECANCELLED */
    }
    in->fd = open(in->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    return in->fd < 0;
}

/* Not yet verified: written to the temporary file only. */
static int on_file_data(const void *data, size_t len, void *userdata)
{
    struct install *in = userdata;
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(in->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The file's digest matched; it is committed only with the whole verdict. */
static int on_file_end(size_t payload, const char *name, void *userdata)
{
    struct install *in = userdata;
    (void)payload;
    (void)name;
    return fsync(in->fd) != 0;
}

static ssize_t read_stdin(void *buf, size_t size, void *userdata)
{
    (void)userdata;
    ssize_t n;
    do
        n = read(STDIN_FILENO, buf, size);
    while (n < 0 && errno == EINTR);
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PUBLIC_KEY DESTINATION < ARTIFACT\n", argv[0]);
        return 2;
    }
    char tmp_path[4096];
    snprintf(tmp_path, sizeof tmp_path, "%s.partial", argv[2]);
    struct install in = {.tmp_path = tmp_path, .fd = -1};

    artsig_keyring *ring = NULL;
    if (artsig_keyring_new(&ring) != ARTSIG_OK || artsig_keyring_add_file(ring, argv[1]) != ARTSIG_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], artsig_last_error());
        artsig_keyring_free(ring);
        return 2;
    }
    const artsig_reader_callbacks callbacks = {
        .file_begin = on_file_begin, .file_data = on_file_data, .file_end = on_file_end};
    artsig_reader *reader = NULL;
    int rc = artsig_reader_new(&reader, ring, &callbacks, &in);
    if (rc == ARTSIG_OK)
        rc = artsig_reader_run_pull(reader, read_stdin, NULL);
    if (rc == ARTSIG_OK && in.files != 1)
        rc = ARTSIG_ENOTFOUND;

    int status = 1;
    if (in.fd >= 0 && close(in.fd) != 0 && rc == ARTSIG_OK)
        rc = ARTSIG_EIO;
    if (rc == ARTSIG_OK && rename(tmp_path, argv[2]) == 0) {
        printf("%s installed from %s\n", argv[2], artsig_info_name(artsig_reader_info(reader)));
        status = 0;
    } else {
        fprintf(stderr, "refused, nothing installed: %s\n",
                *artsig_last_error() ? artsig_last_error() : artsig_strerror(rc));
        unlink(tmp_path);
    }
    artsig_reader_free(reader);
    artsig_keyring_free(ring);
    return status;
}
