/* Verify an artifact with a keyring and say who signed it: the check a
 * build pipeline or a device runs before trusting an update.
 *
 *   cc verify_artifact.c $(pkg-config --cflags --libs libartsig)
 *   ./a.out release.mender keys/release.pub keys/previous-release.pub
 *
 * Exit status: 0 verified, 1 refused, 2 usage or key error. */
/* open()'s O_CLOEXEC and fsync() are POSIX, not C11. */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <artsig.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ARTIFACT PUBLIC_KEY...\n", argv[0]);
        return 2;
    }
    /* Keys are tried in the order given; the first that verifies wins. */
    artsig_keyring *ring = NULL;
    if (artsig_keyring_new(&ring) != ARTSIG_OK)
        return 2;
    for (int i = 2; i < argc; i++) {
        if (artsig_keyring_add_file(ring, argv[i]) != ARTSIG_OK) {
            fprintf(stderr, "%s: %s\n", argv[i], artsig_last_error());
            artsig_keyring_free(ring);
            return 2;
        }
    }

    int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        perror(argv[1]);
        artsig_keyring_free(ring);
        return 2;
    }
    /* No callbacks: the reader checks the signature, the header and every
     * payload digest, and gives one verdict at the end. */
    artsig_reader *reader = NULL;
    int rc = artsig_reader_new(&reader, ring, NULL, NULL);
    if (rc == ARTSIG_OK)
        rc = artsig_reader_run_fd(reader, fd);
    close(fd);

    int status = 1;
    if (rc == ARTSIG_OK) {
        const artsig_info *info = artsig_reader_info(reader);
        long index = artsig_info_verifying_key(info);
        char fingerprint[65] = "";
        if (index >= 0)
            (void)artsig_key_fingerprint_hex(fingerprint, artsig_keyring_get(ring, (size_t)index));
        printf("%s: %s, signed by key %ld (%s, sha256:%s)\n", argv[1], artsig_info_name(info),
               index + 1, argv[2 + index], fingerprint);
        /* The signature says nothing about files only manifest-augment lists. */
        if (artsig_info_unsigned_file_count(info) > 0)
            printf("warning: %zu payload files are outside the signature\n",
                   artsig_info_unsigned_file_count(info));
        status = 0;
    } else {
        fprintf(stderr, "%s: refused: %s\n", argv[1], artsig_last_error());
    }
    artsig_reader_free(reader);
    artsig_keyring_free(ring);
    return status;
}
