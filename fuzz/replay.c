/* main() for fuzz targets built without libFuzzer: each file argument, and
 * each regular file of each directory argument (in name order, so that a run
 * is reproducible), goes through LLVMFuzzerTestOneInput once. This turns a
 * fuzz target into a test of its corpus. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* The whole file in a buffer of exactly its size, as libFuzzer hands inputs
 * over, so that the address sanitizer catches a read past the end. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *data = malloc(len ? len : 1);
    bool ok = data && fread(data, 1, len, f) == len;
    fclose(f);
    if (!ok) {
        fprintf(stderr, "%s: %s\n", path, data ? "read error" : "out of memory");
        free(data);
        return -1;
    }
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static int entry_is_file(const char *dir, const char *name, char **path)
{
    struct stat st;
    if (asprintf(path, "%s/%s", dir, name) < 0) {
        *path = NULL;
        return -1;
    }
    return stat(*path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Replays the regular files of `dir`; the number replayed, or -1. */
static long replay_dir(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        return -1;
    }
    long count = 0;
    for (int i = 0; i < n; i++) {
        char *path;
        int is_file = entry_is_file(dir, names[i]->d_name, &path);
        if (is_file < 0 || (is_file && replay_file(path) != 0))
            count = -1;
        else if (is_file && count >= 0)
            count++;
        free(path);
        free(names[i]);
    }
    free(names);
    return count;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\nreplays each input once\n", argv[0]);
        return 2;
    }
    long total = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        long n = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? replay_dir(argv[i])
                 : replay_file(argv[i]) == 0                     ? 1
                                                                 : -1;
        /* An empty or missing corpus would make the test pass while testing
         * nothing. */
        if (n <= 0) {
            fprintf(stderr, "%s: %s\n", argv[i], n == 0 ? "no inputs" : "not replayed");
            rc = 1;
        } else {
            total += n;
        }
    }
    printf("%ld inputs replayed\n", total);
    return rc;
}
