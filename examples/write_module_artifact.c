/* Write and sign a module-image artifact: files for an update module (the
 * device runs MODULE_TYPE from its modules directory, as Mender's client
 * does), with the device type it fits and what it provides once installed.
 * The result validates with mender-artifact and installs with artsig-update.
 *
 *   cc write_module_artifact.c $(pkg-config --cflags --libs libartsig)
 *   ./a.out keys/release.key app-1.2.mender app-bundle app.bin config.json
 *
 * Exit status: 0 written, 1 failed. */
/* open()'s O_CLOEXEC and fsync() are POSIX, not C11. */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <artsig.h>

/* Stop at the first failure with the library's own explanation. */
#define TRY(call)                                                                  \
    do {                                                                           \
        if ((call) != ARTSIG_OK) {                                                 \
            fprintf(stderr, "%s: %s\n", #call, artsig_last_error());               \
            goto out;                                                              \
        }                                                                          \
    } while (0)

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s PRIVATE_KEY OUTPUT MODULE_TYPE FILE...\n", argv[0]);
        return 1;
    }
    int status = 1, fd = -1;
    artsig_key *key = NULL;
    artsig_signer *signer = NULL;
    artsig_writer *w = NULL;
    size_t payload;
    char tmp_path[4096];
    snprintf(tmp_path, sizeof tmp_path, "%s.partial", argv[2]);

    TRY(artsig_key_load_file(&key, argv[1], NULL, NULL));
    TRY(artsig_signer_new_key(&signer, key));

    TRY(artsig_writer_new(&w));
    TRY(artsig_writer_set_name(w, "app-1.2"));
    TRY(artsig_writer_add_device_type(w, "qemux86-64"));
    TRY(artsig_writer_set_signer(w, signer));
    TRY(artsig_writer_add_payload(&payload, w, argv[3]));
    /* What the device records once the update is committed, and what of its
     * old records this update replaces (mender-artifact's defaults). */
    char key_name[256], glob[256];
    snprintf(key_name, sizeof key_name, "rootfs-image.%s.version", argv[3]);
    snprintf(glob, sizeof glob, "rootfs-image.%s.*", argv[3]);
    TRY(artsig_writer_payload_add_provides(w, payload, key_name, "app-1.2"));
    TRY(artsig_writer_payload_add_clears(w, payload, glob));
    for (int i = 4; i < argc; i++)
        TRY(artsig_writer_payload_add_file(w, payload, argv[i], NULL));
    TRY(artsig_writer_payload_set_meta_data(w, payload, "{\"note\":\"written by libartsig\"}"));

    /* Written to a temporary file, renamed only once complete. */
    fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        perror(tmp_path);
        goto out;
    }
    TRY(artsig_writer_write_fd(w, fd));
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp_path, argv[2]) != 0) {
        perror(argv[2]);
        fd = -1;
        goto out;
    }
    fd = -1;
    printf("%s written and signed\n", argv[2]);
    status = 0;
out:
    if (fd >= 0)
        close(fd);
    if (status != 0)
        unlink(tmp_path);
    artsig_writer_free(w);
    artsig_signer_free(signer);
    artsig_key_free(key);
    return status;
}
