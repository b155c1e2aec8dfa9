/* Artifact commands: validate and read. Both run the streaming reader over the
 * whole artifact, so `read` shows only facts of an artifact that checked out. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char validate_usage[] =
    "usage: artsig validate [-k PUBLIC_KEY]... [--key-pkcs11 URI]... [--no-progress]\n"
    "                       ARTIFACT|-\n"
    "Checks the artifact's structure, every digest and, with keys, its signature\n"
    "(keys are tried in order; an unsigned artifact is then refused).\n"
    "--key-pkcs11 takes the public key of a PKCS#11 token's object, named by an\n"
    "RFC 7512 URI (pkcs11:token=T;object=O;type=public?module-path=LIB).\n"
    "Exit 0 when valid, 1 when refused, 2 on a usage error, 3 when a file or key\n"
    "cannot be read.\n";

static const char read_usage[] =
    "usage: artsig read [--json] [-k PUBLIC_KEY]... [--key-pkcs11 URI]...\n"
    "                   [--no-progress] ARTIFACT|-\n"
    "Validates the artifact like 'artsig validate', then prints its facts: name,\n"
    "format, signature, devices, provides, depends, scripts and payload files\n"
    "(--json: one JSON document). --key-pkcs11 takes the public key of a PKCS#11\n"
    "token's object (RFC 7512 URI).\n";

struct artifact_args {
    struct key_list keys;
    const char *path;
    bool json;
    bool progress;
    bool help;
};

struct artifact_command {
    const char *name;
    const char *usage;
    bool takes_json;
    /* Print the facts of an artifact that checked out. */
    void (*report)(const artsig_info *info, const struct artifact_args *a);
};

static int parse_args(struct artifact_args *a, const struct artifact_command *cmd, int argc,
                      char **argv)
{
    enum { OPT_NO_PROGRESS = 256, OPT_JSON };
    static const struct option opts[] = {KEY_OPTIONS,
                                         {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    *a = (struct artifact_args){.progress = true};
    /* getopt's own messages would make a second line on stderr. */
    int c;
    while ((c = getopt_long(argc, argv, ":k:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
        case OPT_KEY_PKCS11:
            if (add_key_option(&a->keys, cmd->name, c, optarg) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case OPT_NO_PROGRESS: a->progress = false; break;
        case OPT_JSON:
            if (!cmd->takes_json)
                return usage_error(cmd->name, "option '--json' is for 'artsig read' only");
            a->json = true;
            break;
        case 'h': a->help = true; return EXIT_OK;
        default: return option_error(cmd->name, c, argv);
        }
    }
    if (argc - optind != 1)
        return usage_error(cmd->name, "exactly one ARTIFACT is required");
    a->path = argv[optind];
    return EXIT_OK;
}

struct source {
    int fd;
    struct progress progress;
};

static ssize_t pull(void *buf, size_t size, void *userdata)
{
    struct source *src = userdata;
    ssize_t n;
    do
        n = read(src->fd, buf, size);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        progress_add(&src->progress, (size_t)n);
    return n;
}

static const char *display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "stdin" : path;
}

/* Read and check the whole artifact. On success *out holds the reader, whose
 * facts stay valid until it is freed. */
static int check_artifact(artsig_reader **out, const artsig_keyring *ring,
                          const struct artifact_args *a)
{
    struct source src = {.fd = strcmp(a->path, "-") == 0 ? STDIN_FILENO
                                                          : open(a->path, O_RDONLY | O_CLOEXEC)};
    if (src.fd < 0)
        return die(EXIT_IO, "%s: %s", a->path, strerror(errno));
    artsig_reader *reader = NULL;
    int st = artsig_reader_new(&reader, ring, NULL, NULL);
    if (st == ARTSIG_OK) {
        progress_begin(&src.progress, src.fd, a->progress);
        /* Without a meter to feed, the library reads the descriptor itself. */
        st = src.progress.active ? artsig_reader_run_pull(reader, pull, &src)
                                 : artsig_reader_run_fd(reader, src.fd);
        progress_end(&src.progress);
    }
    if (src.fd != STDIN_FILENO)
        close(src.fd);
    if (st != ARTSIG_OK) {
        int rc = die_lib(st, display_name(a->path));
        artsig_reader_free(reader);
        return rc;
    }
    *out = reader;
    return EXIT_OK;
}

/* One clause on how the signature was treated, for both commands. */
static void print_signature(const artsig_info *info, const struct artifact_args *a)
{
    switch (artsig_info_signature(info)) {
    case ARTSIG_SIG_VERIFIED: {
        long k = artsig_info_verifying_key(info);
        printf("signed and verified correctly by key %ld (", k + 1);
        if (k >= 0 && (size_t)k < a->keys.n)
            print_key_name(stdout, &a->keys.v[k]);
        else
            putchar('?');
        putchar(')');
        break;
    }
    case ARTSIG_SIG_UNCHECKED: fputs("signed (not verified: no key given)", stdout); break;
    case ARTSIG_SIG_UNSIGNED: fputs("unsigned", stdout); break;
    }
    /* A verified signature says nothing about these: see SECURITY.md. */
    size_t n = artsig_info_unsigned_file_count(info);
    if (n > 0)
        printf("; %zu payload file%s outside the signature (manifest-augment)", n,
               n == 1 ? "" : "s");
}

static int finish_output(void)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        return die(EXIT_IO, "cannot write to stdout");
    return EXIT_OK;
}

static int run_command(const struct artifact_command *cmd, int argc, char **argv)
{
    struct artifact_args a;
    int rc = parse_args(&a, cmd, argc, argv);
    if (rc != EXIT_OK)
        return rc;
    if (a.help) {
        fputs(cmd->usage, stdout);
        return finish_output();
    }
    artsig_keyring *ring = NULL;
    artsig_reader *reader = NULL;
    rc = load_keyring(&ring, &a.keys);
    if (rc == EXIT_OK)
        rc = check_artifact(&reader, ring, &a);
    if (rc == EXIT_OK) {
        cmd->report(artsig_reader_info(reader), &a);
        rc = finish_output();
    }
    artsig_reader_free(reader);
    artsig_keyring_free(ring);
    return rc;
}

/* mender-artifact 3.9's wording, with how the signature was treated added. */
static void report_valid(const artsig_info *info, const struct artifact_args *a)
{
    printf("Artifact file '%s' validated successfully; signature: ", display_name(a->path));
    print_signature(info, a);
    putchar('\n');
}

int cmd_validate(int argc, char **argv)
{
    static const struct artifact_command validate = {"validate", validate_usage, false,
                                                     report_valid};
    return run_command(&validate, argc, argv);
}

/* Go's fmt prints a list of strings as "[a b]"; mender-artifact's read shows
 * lists that way, and so do we. */
static void print_list(const char *const *values, size_t n)
{
    putchar('[');
    for (size_t i = 0; i < n; i++)
        printf("%s%s", i ? " " : "", values[i]);
    putchar(']');
}

/* The artifact-level depends entry `key`, e.g. "artifact_name", as a list. */
static void print_artifact_depends(const artsig_info *info, const char *label, const char *key)
{
    const char *const *values = NULL;
    size_t n = 0;
    for (size_t i = 0; i < artsig_info_depends_count(info, ARTSIG_ARTIFACT); i++) {
        const char *k;
        const char *const *v;
        size_t nv;
        if (artsig_info_depends(&k, &v, &nv, info, ARTSIG_ARTIFACT, i) == ARTSIG_OK &&
            strcmp(k, key) == 0) {
            values = v;
            n = nv;
        }
    }
    printf("  Depends on one of %s: ", label);
    print_list(values, n);
    putchar('\n');
}

static void print_payload_provides(const artsig_info *info, size_t p)
{
    size_t n = artsig_info_provides_count(info, p);
    fputs(n ? "    Provides:\n" : "    Provides: Nothing\n", stdout);
    for (size_t i = 0; i < n; i++) {
        const char *key, *value;
        if (artsig_info_provides(&key, &value, info, p, i) == ARTSIG_OK)
            printf("\t%s: %s\n", key, value);
    }
}

static void print_payload_depends(const artsig_info *info, size_t p)
{
    size_t n = artsig_info_depends_count(info, p);
    fputs(n ? "    Depends:\n" : "    Depends: Nothing\n", stdout);
    for (size_t i = 0; i < n; i++) {
        const char *key;
        const char *const *values;
        size_t nv;
        if (artsig_info_depends(&key, &values, &nv, info, p, i) != ARTSIG_OK)
            continue;
        printf("\t%s: ", key);
        if (nv == 1)
            fputs(values[0], stdout);
        else
            print_list(values, nv);
        putchar('\n');
    }
}

static void print_payload_files(const artsig_info *info, size_t p)
{
    size_t n = artsig_info_file_count(info, p);
    fputs(n ? "    Files:\n" : "    Files: None\n", stdout);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        int64_t size;
        const uint8_t *digest;
        if (artsig_info_file(&name, &size, &digest, info, p, i) != ARTSIG_OK)
            continue;
        char hex[ARTSIG_DIGEST_HEX_LEN + 1];
        artsig_digest_to_hex(hex, digest);
        printf("      name:     %s\n      size:     %lld\n      checksum: %s\n", name,
               (long long)size, hex);
    }
}

static void print_payload(const artsig_info *info, size_t p)
{
    const char *type = artsig_info_payload_type(info, p);
    printf("    %zu:\n    Type:   %s\n", p, type ? type : "Empty type");
    print_payload_provides(info, p);
    print_payload_depends(info, p);
    size_t nclears = artsig_info_clears_count(info, p);
    if (nclears) {
        fputs("    Clears Provides: [", stdout);
        for (size_t i = 0; i < nclears; i++)
            printf("%s\"%s\"", i ? ", " : "", artsig_info_clears(info, p, i));
        fputs("]\n", stdout);
    }
    const char *meta = artsig_info_meta_data(info, p);
    printf("    Metadata: %s\n", meta ? meta : "Nothing");
    print_payload_files(info, p);
}

/* The layout of `mender-artifact read` 3.9, so that eyes and scripts used to
 * it find the same lines; file modification times are not shown (the
 * manifest does not cover them). */
static void report_facts(const artsig_info *info, const struct artifact_args *a)
{
    if (a->json) {
        puts(artsig_info_json(info));
        return;
    }
    int version = artsig_info_format_version(info);
    printf("Mender artifact:\n  Name: %s\n  Format: mender\n  Version: %d\n  Signature: ",
           artsig_info_name(info), version);
    print_signature(info, a);
    putchar('\n');
    if (artsig_info_is_augmented(info))
        puts("  Augmented: yes (manifest-augment and header-augment are not signed)");
    fputs("  Compatible devices: '[", stdout);
    for (size_t i = 0; i < artsig_info_device_type_count(info); i++)
        printf("%s%s", i ? " " : "", artsig_info_device_type(info, i));
    fputs("]'\n", stdout);
    if (version >= 3) {
        const char *group = artsig_info_group(info);
        printf("  Provides group: %s\n", group ? group : "");
        print_artifact_depends(info, "artifact(s)", "artifact_name");
        print_artifact_depends(info, "group(s)", "artifact_group");
    }
    puts("  State scripts:");
    for (size_t i = 0; i < artsig_info_script_count(info); i++) {
        const char *name;
        const uint8_t *data;
        size_t len;
        if (artsig_info_script(&name, &data, &len, info, i) == ARTSIG_OK)
            printf("    %s\n", name);
    }
    puts("\nUpdates:");
    for (size_t p = 0; p < artsig_info_payload_count(info); p++)
        print_payload(info, p);
}

int cmd_read(int argc, char **argv)
{
    static const struct artifact_command read_cmd = {"read", read_usage, true, report_facts};
    return run_command(&read_cmd, argc, argv);
}
