/* artsig: create, sign and verify Mender Artifacts. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "files.h"

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
                "            2 usage error, 3 file or key error,\n"
                "            4 a signing service or signer program failed\n");
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
    case ARTSIG_EAUTH:
    case ARTSIG_ENETWORK:
    case ARTSIG_EREMOTE:
        return EXIT_REMOTE;
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

/* One line from the terminal, without echo. -1 when there is no terminal
 * (a script must then put the PIN in the URI or a file), at the end of input,
 * or when the line does not fit: a cut PIN would only count against the
 * token's retry limit. */
static int read_hidden(char *buf, size_t size, const char *prompt)
{
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct termios saved, quiet;
    if (tcgetattr(fd, &saved) != 0) {
        close(fd);
        return -1;
    }
    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    int result = -1;
    /* Echo goes off before the prompt shows, so nothing typed after it echoes. */
    if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0 && write(fd, prompt, strlen(prompt)) >= 0) {
        size_t n = 0;
        bool fits = true;
        for (;;) {
            char c;
            ssize_t got = read(fd, &c, 1);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                break;
            if (c == '\n' || c == '\r') {
                if (fits && n <= INT_MAX)
                    result = (int)n;
                break;
            }
            if (n < size)
                buf[n++] = c;
            else
                fits = false;
        }
    }
    tcsetattr(fd, TCSAFLUSH, &saved);
    close(fd);
    return result;
}

/* A token's PIN, asked only when the URI has neither pin-value nor
 * pin-source: --passphrase-file, else the terminal. */
static int ask_pin(char *buf, size_t size, void *userdata)
{
    const struct passphrase_source *src = userdata;
    if (src->path)
        return passphrase_from_file(buf, size, userdata);
    return read_hidden(buf, size, "PIN for token: ");
}

/* The option that names a key from `source`, for messages. */
static const char *source_option(enum key_source source)
{
    switch (source) {
    case KEY_PKCS11: return "--key-pkcs11";
    case KEY_GCP_KMS: return "--gcp-kms-key";
    case KEY_VAULT: return "--vault-transit-key";
    case KEY_COMMAND: return "--sign-cmd";
    case KEY_FILE: break;
    }
    return "-k";
}

int die_key(int status, const struct key_ref *key)
{
    /* The library's detail names the URI (without its PIN), the key or the
     * program, so the name itself is not repeated. */
    if (key->source != KEY_FILE)
        return die_lib(status, source_option(key->source));
    return die(EXIT_IO, "%s: %s", key->name, artsig_last_error());
}

int load_key(artsig_key **out, const char *path, const char *passphrase_file)
{
    struct passphrase_source src = {passphrase_file};
    int rc = artsig_key_load_file(out, path, passphrase_from_file, &src);
    return rc == ARTSIG_OK ? EXIT_OK : die(EXIT_IO, "%s", artsig_last_error());
}

/* A verification key: a file's, or the public key of a token's object. */
static int load_public_key(artsig_key **out, const struct key_ref *key)
{
    if (key->source != KEY_PKCS11)
        return load_key(out, key->name, NULL);
    struct passphrase_source src = {NULL};
    int st = artsig_key_load_pkcs11(out, key->name, ask_pin, &src);
    return st == ARTSIG_OK ? EXIT_OK : die_key(st, key);
}

int load_keyring(artsig_keyring **out, const struct key_list *keys)
{
    if (artsig_keyring_new(out) != ARTSIG_OK)
        return die(EXIT_IO, "out of memory");
    for (size_t i = 0; i < keys->n; i++) {
        artsig_key *key;
        int rc = load_public_key(&key, &keys->v[i]);
        if (rc != EXIT_OK)
            return rc;
        int st = artsig_keyring_add(*out, key);
        artsig_key_free(key);
        if (st != ARTSIG_OK)
            return die_key(st, &keys->v[i]);
    }
    return EXIT_OK;
}

bool is_key_option(int c)
{
    return c == 'k' || (c >= OPT_KEY_PKCS11 && c <= OPT_SIGN_CMD_PUBLIC_KEY);
}

int add_key_option(struct key_list *keys, const char *command, int c, const char *arg)
{
    static const enum key_source sources[] = {
        [OPT_KEY_PKCS11 - OPT_KEY_PKCS11] = KEY_PKCS11,
        [OPT_GCP_KMS_KEY - OPT_KEY_PKCS11] = KEY_GCP_KMS,
        [OPT_VAULT_TRANSIT_KEY - OPT_KEY_PKCS11] = KEY_VAULT,
        [OPT_SIGN_CMD - OPT_KEY_PKCS11] = KEY_COMMAND,
    };
    if (c == OPT_SIGN_CMD_PUBLIC_KEY) {
        keys->command_public_key = arg;
        return EXIT_OK;
    }
    if (keys->n == MAX_VERIFY_KEYS)
        return usage_error(command, "at most %d keys", MAX_VERIFY_KEYS);
    enum key_source source = c == 'k' ? KEY_FILE : sources[c - OPT_KEY_PKCS11];
    keys->v[keys->n++] = (struct key_ref){arg, source, NULL};
    return EXIT_OK;
}

void print_key_name(FILE *to, const struct key_ref *key)
{
    if (key->source != KEY_PKCS11) {
        fputs(key->name, to);
        return;
    }
    /* The library's reading of the URI decides where the PIN ends, so what
     * is dropped is what it took for the PIN. */
    char *shown;
    if (artsig_pkcs11_uri_redact(&shown, key->name) != ARTSIG_OK) {
        fputs("pkcs11:", to);
        return;
    }
    fputs(shown, to);
    artsig_free(shown);
}

int signing_key(struct key_ref *out, const struct key_list *keys, const char *command,
                bool required, const char *passphrase_file)
{
    *out = (struct key_ref){NULL, KEY_FILE, NULL};
    for (size_t i = 1; i < keys->n; i++)
        if (keys->v[i].source != keys->v[0].source)
            return usage_error(command, "%s and %s cannot be used together",
                               source_option(keys->v[0].source),
                               source_option(keys->v[i].source));
    if (keys->n > 1)
        return usage_error(command, "one signing key, not %zu", keys->n);
    if (keys->n == 0 && required)
        return usage_error(command, "a signing key is required: -k PRIVATE_KEY, --key-pkcs11 "
                                    "URI, --gcp-kms-key, --vault-transit-key or --sign-cmd");
    bool program = keys->n == 1 && keys->v[0].source == KEY_COMMAND;
    if (program && !keys->command_public_key)
        return usage_error(command, "--sign-cmd needs --sign-cmd-public-key, the key its "
                                    "signatures are checked with");
    if (!program && keys->command_public_key)
        return usage_error(command, "--sign-cmd-public-key is for --sign-cmd");
    /* The other sources keep their secrets out of reach of this program. */
    if (keys->n == 1 && passphrase_file && keys->v[0].source != KEY_FILE &&
        keys->v[0].source != KEY_PKCS11)
        return usage_error(command, "--passphrase-file is for -k and --key-pkcs11, not %s",
                           source_option(keys->v[0].source));
    if (keys->n == 1) {
        *out = keys->v[0];
        out->public_key = program ? keys->command_public_key : NULL;
    }
    return EXIT_OK;
}

int make_signer(artsig_signer **out, const struct key_ref *key, const char *passphrase_file)
{
    struct passphrase_source src = {passphrase_file};
    artsig_key *k;
    int rc, st;
    switch (key->source) {
    case KEY_PKCS11: st = artsig_signer_new_pkcs11(out, key->name, ask_pin, &src); break;
    case KEY_GCP_KMS: st = artsig_signer_new_gcp_kms(out, key->name, NULL); break;
    case KEY_VAULT: st = artsig_signer_new_vault_transit(out, key->name, NULL); break;
    case KEY_COMMAND:
        /* A private key serves too: only its public half is used. */
        rc = load_key(&k, key->public_key, NULL);
        if (rc != EXIT_OK)
            return rc;
        st = artsig_signer_new_command(out, key->name, k);
        artsig_key_free(k);
        break;
    case KEY_FILE:
    default:
        rc = load_key(&k, key->name, passphrase_file);
        if (rc != EXIT_OK)
            return rc;
        st = artsig_signer_new_key(out, k);
        artsig_key_free(k);
        break;
    }
    return st == ARTSIG_OK ? EXIT_OK : die_key(st, key);
}

int main(int argc, char **argv)
{
    /* Private keys, passphrases, PINs and tokens pass through this process:
     * no core dump of it, and no other process of the user may read its
     * memory (ptrace, /proc/PID/mem) or its environment. Root, which has
     * CAP_SYS_PTRACE, still can. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    int err = keep_std_fds_open();
    if (err)
        return die(EXIT_IO, "standard streams: /dev/null: %s", strerror(err));
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
