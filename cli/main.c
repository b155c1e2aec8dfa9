/* artsig: create, sign and verify Mender Artifacts. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const struct command commands[] = {
    {"keygen", "generate a signing key pair", cmd_keygen},
    {"sign-blob", "sign a file, print the base64 signature", cmd_sign_blob},
    {"verify-blob", "verify a file's signature with one or more public keys", cmd_verify_blob},
    {"validate", "check an artifact's signature, structure and every digest", cmd_validate},
    {"read", "show an artifact's facts, optionally as JSON", cmd_read},
    {"write", "write an artifact: rootfs-image, module-image, bootstrap-artifact", cmd_write},
    {"sign", "sign an existing artifact (a stream copy, no recompression)", cmd_sign},
    {"export-manifest", "extract the manifest to sign offline", cmd_export_manifest},
    {"attach-signature", "add an offline-made signature to an artifact", cmd_attach_signature},
};

static void print_help(FILE *to)
{
    fprintf(to, "usage: artsig COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  %-17s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\n'artsig COMMAND --help' describes a command.\n"
                "exit codes: 0 success, 1 refused (bad signature or artifact),\n"
                "            2 usage error, 3 file or key error\n");
}

int die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("artsig: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

int usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "artsig %s: ", command);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'artsig %s --help')\n", command);
    va_end(ap);
    return EXIT_USAGE;
}

int option_error(const char *command, int c, char **argv)
{
    const char *problem = c == ':' ? "needs a value" : "is unknown";
    /* optopt holds a short option; a long one is the word getopt just read. */
    if (optopt > 0 && optopt < 128)
        return usage_error(command, "option '-%c' %s", optopt, problem);
    return usage_error(command, "option '%s' %s", argv[optind - 1], problem);
}

int exit_code_for(int status)
{
    switch (status) {
    case ARTSIG_OK:
        return EXIT_OK;
    case ARTSIG_EVERIFY:
    case ARTSIG_ESIGFORMAT:
    case ARTSIG_EMANIFEST:
    case ARTSIG_EDIGEST:
    case ARTSIG_EFORMAT:
    case ARTSIG_ELIMIT:
    case ARTSIG_EUNSIGNED:
    case ARTSIG_EUNSAFE:
    case ARTSIG_ETRUNCATED:
    case ARTSIG_EUNSUPPORTED:
        return EXIT_INVALID;
    case ARTSIG_EINVAL:
        return EXIT_USAGE;
    default:
        return EXIT_IO;
    }
}

int die_lib(int status, const char *context)
{
    const char *detail = artsig_last_error();
    if (!*detail)
        detail = artsig_strerror(status);
    return die(exit_code_for(status), "%s: %s", context, detail);
}

int read_input(uint8_t **out, size_t *len, const char *path, size_t max)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return die(EXIT_IO, "%s: %s", path, strerror(errno));
    size_t cap = 64 * 1024, used = 0;
    uint8_t *buf = malloc(cap);
    int rc = EXIT_OK;
    while (buf) {
        used += fread(buf + used, 1, cap - used, f);
        if (used < cap)
            break;
        if (cap >= max) {
            rc = die(EXIT_IO, "%s: larger than %zu bytes", path, max);
            break;
        }
        cap = cap * 2 > max ? max : cap * 2;
        uint8_t *grown = realloc(buf, cap);
        if (!grown) {
            free(buf);
            buf = NULL;
        } else {
            buf = grown;
        }
    }
    if (!buf)
        rc = die(EXIT_IO, "%s: out of memory", path);
    else if (rc == EXIT_OK && ferror(f))
        rc = die(EXIT_IO, "%s: read error", path);
    if (f != stdin)
        fclose(f);
    if (rc != EXIT_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = used;
    return EXIT_OK;
}

struct passphrase_source {
    const char *path;
};

static int passphrase_from_file(char *buf, size_t size, void *userdata)
{
    const struct passphrase_source *src = userdata;
    if (!src->path)
        return -1;
    FILE *f = fopen(src->path, "rb");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, size, f);
    fclose(f);
    /* A passphrase file conventionally ends with a newline that is not part of it. */
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    return (int)n;
}

int load_key(artsig_key **out, const char *path, const char *passphrase_file)
{
    struct passphrase_source src = {passphrase_file};
    int rc = artsig_key_load_file(out, path, passphrase_from_file, &src);
    return rc == ARTSIG_OK ? EXIT_OK : die(EXIT_IO, "%s", artsig_last_error());
}

int load_keyring(artsig_keyring **out, const char *const *paths, size_t count)
{
    if (artsig_keyring_new(out) != ARTSIG_OK)
        return die(EXIT_IO, "out of memory");
    for (size_t i = 0; i < count; i++) {
        artsig_key *key;
        int rc = load_key(&key, paths[i], NULL);
        if (rc != EXIT_OK)
            return rc;
        int st = artsig_keyring_add(*out, key);
        artsig_key_free(key);
        if (st != ARTSIG_OK)
            return die_lib(st, paths[i]);
    }
    return EXIT_OK;
}

int add_key_path(const char **paths, size_t *count, const char *command, const char *path)
{
    if (*count == MAX_VERIFY_KEYS)
        return usage_error(command, "at most %d keys", MAX_VERIFY_KEYS);
    paths[(*count)++] = path;
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_help(stdout);
        return EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-v") == 0) {
        printf("artsig %s (libartsig %s)\n", ARTSIG_VERSION_STRING, artsig_version());
        return EXIT_OK;
    }
    output_install_signal_cleanup();
    /* Commands report bad options themselves, in one line (option_error). */
    opterr = 0;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    return die(EXIT_USAGE, "unknown command '%s' (see 'artsig --help')", name);
}
