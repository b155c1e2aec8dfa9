/* The header files of header.tar and header-augment.tar (header-info, scripts,
 * headers/NNNN/files, type-info, meta-data): their grammar, order and JSON,
 * fed to info.c as the reader would after the header's digest matched, and
 * the facts read back. Fuzzing this through the reader would need the
 * fuzzer to forge SHA-256 digests.
 *
 * Input: one byte choosing the artifact the header belongs to (a fixed
 * version and manifest, see `artifacts`), then header files separated by NUL
 * bytes, each its path inside the tar, a newline and its content. A path
 * starting with '+' is a file of header-augment.tar. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "info_internal.h"

#define ZERO_DIGEST "0000000000000000000000000000000000000000000000000000000000000000  "

/* What the vectors' artifacts hold, so that their header files are seeds. */
static const struct artifact {
    char selector;
    int version;
    const char *manifest, *augment; /* augment NULL: no manifest-augment */
} artifacts[] = {
    {'2', 2, ZERO_DIGEST "data/0000/core-image-qemux86-64.ext4\n" ZERO_DIGEST "header.tar.gz\n"
             ZERO_DIGEST "version\n", NULL},
    {'3', 3, ZERO_DIGEST "data/0000/core-image-qemux86-64.ext4\n" ZERO_DIGEST "header.tar.gz\n"
             ZERO_DIGEST "version\n", NULL},
    {'m', 3, ZERO_DIGEST "data/0000/app-0.bin\n" ZERO_DIGEST "data/0000/app-1.bin\n"
             ZERO_DIGEST "data/0000/app-2.bin\n" ZERO_DIGEST "header.tar.gz\n"
             ZERO_DIGEST "version\n", NULL},
    {'b', 3, ZERO_DIGEST "header.tar.gz\n" ZERO_DIGEST "version\n", NULL},
    {'a', 3, ZERO_DIGEST "data/0000/app-0.bin\n" ZERO_DIGEST "header.tar.gz\n"
             ZERO_DIGEST "version\n",
     ZERO_DIGEST "data/0000/app-1.bin\n" ZERO_DIGEST "header-augment.tar.gz\n"},
};

/* The reader's part up to the header: version, members, manifests. */
static int set_up(artsig_info **out, const struct artifact *a)
{
    artsig_manifest *manifest = NULL, *augment = NULL;
    int rc = asig_info_new(out);
    if (rc == ARTSIG_OK)
        rc = asig_info_set_format_version(*out, a->version);
    if (rc == ARTSIG_OK)
        rc = artsig_manifest_parse(&manifest, a->manifest, strlen(a->manifest));
    if (rc == ARTSIG_OK && a->augment)
        rc = artsig_manifest_parse(&augment, a->augment, strlen(a->augment));
    const char *members[] = {"version", "manifest", a->augment ? "manifest-augment" : NULL,
                             "header.tar.gz", a->augment ? "header-augment.tar.gz" : NULL};
    for (size_t i = 0; rc == ARTSIG_OK && i < sizeof members / sizeof members[0]; i++)
        if (members[i])
            rc = asig_info_add_member(*out, members[i]);
    if (rc == ARTSIG_OK) {
        rc = asig_info_set_manifest(*out, (const uint8_t *)a->manifest, strlen(a->manifest),
                                    manifest, augment);
        manifest = augment = NULL;
    }
    if (rc == ARTSIG_OK)
        rc = asig_info_set_signature(*out, ARTSIG_SIG_UNSIGNED, -1);
    artsig_manifest_free(manifest);
    artsig_manifest_free(augment);
    return rc;
}

/* Hand the header files over in input order; stop at the first refused. */
static int header_files(artsig_info *info, const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    bool in_augment = false;
    while (p < end) {
        const uint8_t *stop = memchr(p, '\0', (size_t)(end - p));
        stop = stop ? stop : end;
        const uint8_t *nl = memchr(p, '\n', (size_t)(stop - p));
        const uint8_t *content = nl ? nl + 1 : stop;
        size_t name_len = (size_t)((nl ? nl : stop) - p);
        int augment = name_len > 0 && p[0] == '+';
        /* The reader gives all of header.tar before header-augment.tar. */
        if (in_augment && !augment)
            return ARTSIG_OK;
        in_augment = augment;
        char *name = strndup((const char *)p + augment, name_len - (size_t)augment);
        if (!name)
            abort();
        int rc = asig_info_header_file(info, augment, name, content, (size_t)(stop - content));
        free(name);
        if (rc != ARTSIG_OK)
            return rc;
        p = stop + (stop < end);
    }
    return ARTSIG_OK;
}

/* As the reader does when the payloads stream: every listed file done. */
static void files_done(artsig_info *info)
{
    for (size_t p = 0; p < artsig_info_payload_count(info); p++) {
        for (size_t i = 0; i < artsig_info_file_count(info, p); i++) {
            const char *name;
            int64_t size;
            const uint8_t *digest, *found;
            size_t index;
            if (artsig_info_file(&name, &size, &digest, info, p, i) != ARTSIG_OK ||
                asig_info_find_file(&index, &found, info, p, name) != ARTSIG_OK ||
                index != i || found != digest || asig_info_file_done(info, p, i, i) != ARTSIG_OK)
                abort();
        }
        if (asig_info_first_missing_file(info, p))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct artifact *a = NULL;
    for (size_t i = 0; size > 0 && i < sizeof artifacts / sizeof artifacts[0]; i++)
        if (artifacts[i].selector == (char)data[0])
            a = &artifacts[i];
    if (!a)
        return 0;
    artsig_info *info = NULL;
    if (set_up(&info, a) != ARTSIG_OK)
        abort();
    /* A consumer may read the facts after a refusal too (the reader's
     * artsig_reader_info() gives them), so they are walked either way. */
    bool ok = header_files(info, data + 1, size - 1) == ARTSIG_OK &&
              asig_info_header_done(info) == ARTSIG_OK;
    fuzz_walk_info(info);
    if (ok) {
        files_done(info);
        fuzz_walk_info(info);
    }
    asig_info_free(info);
    return 0;
}
