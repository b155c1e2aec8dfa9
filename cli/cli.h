/* The artsig command line: shared conventions of all commands.
 * The CLI uses only libartsig's public API. */
#ifndef ARTSIG_CLI_H
#define ARTSIG_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <artsig.h>

/* Exit codes shared by every command (mender-artifact compatible where they overlap). */
enum {
    EXIT_OK = 0,
    EXIT_INVALID = 1, /* a signature or artifact was checked and refused */
    EXIT_USAGE = 2,   /* bad command line */
    EXIT_IO = 3,      /* a file or key could not be read or written */
    EXIT_REMOTE = 4   /* a signing service or signer program failed */
};

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

/* Print "artsig: <message>" to stderr; returns `code`. */
int die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report a libartsig failure: the library's detail and the exit code it maps to. */
int die_lib(int status, const char *context);
/* The exit code for a library status: key/file problems are EXIT_IO,
 * refusals of signed content EXIT_INVALID, a failed signing service or
 * program EXIT_REMOTE. */
int exit_code_for(int status);

/* One line "artsig COMMAND: message (see 'artsig COMMAND --help')"; returns EXIT_USAGE. */
int usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* For getopt's '?' or ':' (option strings start with ":"; options may follow
 * operands, as in "export-manifest ARTIFACT -o FILE"): one usage line. */
int option_error(const char *command, int c, char **argv);

/* Read all of a file (or stdin for "-") into memory, at most `max` bytes. */
int read_input(uint8_t **out, size_t *len, const char *path, size_t max);

/* Load a key; when the key is encrypted the passphrase is read from
 * `passphrase_file` (NULL: refuse encrypted keys). */
int load_key(artsig_key **out, const char *path, const char *passphrase_file);

/* Where a key is: a file (-k), a PKCS#11 URI (--key-pkcs11), and for
 * signing only, a Cloud KMS key version (--gcp-kms-key), a Vault Transit key
 * (--vault-transit-key) or a signer program (--sign-cmd). */
enum key_source { KEY_FILE, KEY_PKCS11, KEY_GCP_KMS, KEY_VAULT, KEY_COMMAND };
/* A key named on the command line. */
struct key_ref {
    const char *name; /* the path, URI, key name or command */
    enum key_source source;
    const char *public_key; /* KEY_COMMAND: --sign-cmd-public-key */
};
#define MAX_VERIFY_KEYS 32
/* The keys of the repeatable key options, in command-line order, which is
 * the order they are tried in. */
struct key_list {
    struct key_ref v[MAX_VERIFY_KEYS];
    size_t n;
    const char *command_public_key; /* --sign-cmd-public-key */
};
/* The key options' getopt_long values, above every command's own, and their
 * entries for a command's option table: -k and --key-pkcs11 (every command
 * that takes keys) and the signing sources of sign, sign-blob and write. */
enum {
    OPT_KEY_PKCS11 = 1024,
    OPT_GCP_KMS_KEY,
    OPT_VAULT_TRANSIT_KEY,
    OPT_SIGN_CMD,
    OPT_SIGN_CMD_PUBLIC_KEY
};
#define KEY_OPTIONS                                                                 \
    {"key", required_argument, NULL, 'k'},                                          \
        {"key-pkcs11", required_argument, NULL, OPT_KEY_PKCS11}
#define REMOTE_SIGNING_OPTIONS                                                  \
    {"gcp-kms-key", required_argument, NULL, OPT_GCP_KMS_KEY},                  \
        {"vault-transit-key", required_argument, NULL, OPT_VAULT_TRANSIT_KEY},  \
        {"sign-cmd", required_argument, NULL, OPT_SIGN_CMD},                    \
        {"sign-cmd-public-key", required_argument, NULL, OPT_SIGN_CMD_PUBLIC_KEY}
/* Whether getopt's `c` is one of the key options. */
bool is_key_option(int c);
/* Record one: a key appended (at most MAX_VERIFY_KEYS; one more is a usage
 * error of `command`), or --sign-cmd-public-key noted. */
int add_key_option(struct key_list *keys, const char *command, int c, const char *arg);

/* Their description in the --help of sign and sign-blob. */
#define REMOTE_SIGNING_HELP                                                             \
    "--gcp-kms-key signs with a Google Cloud KMS key version\n"                          \
    "(projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V),\n"           \
    "--vault-transit-key with a HashiCorp Vault Transit key; both take their\n"          \
    "settings and credentials from the environment (see artsig(1)).\n"                  \
    "--sign-cmd runs COMMAND with /bin/sh -c to sign: it reads the bytes to sign on\n"   \
    "stdin, finds the key type in $ARTSIG_SIGN_KEY_TYPE and prints the signature in\n"   \
    "base64; --sign-cmd-public-key is the key every signature is checked with.\n"       \
    "Exit 4 when a signing service or the signer program fails.\n"
/* A keyring of the public keys, in order; *out is set even on failure (free
 * it with artsig_keyring_free). A token's PIN, when one is needed and the URI
 * has none, is asked on the terminal. */
int load_keyring(artsig_keyring **out, const struct key_list *keys);
/* The key's name for messages; a URI without its pin-value attribute. */
void print_key_name(FILE *to, const struct key_ref *key);
/* A key that could not be loaded or used: a file's problem (a public key
 * given to sign, a refused kind) is EXIT_IO; a token's, a service's or a
 * program's keeps its status's code, so a malformed URI is a usage error
 * and a failed service EXIT_REMOTE. */
int die_key(int status, const struct key_ref *key);

/* sign, sign-blob and write sign with one key, from one source: *out is it,
 * or has a NULL name when none was given and none is `required`. Two keys,
 * --sign-cmd without --sign-cmd-public-key (or the reverse), and
 * `passphrase_file` with a source that takes none are usage errors of
 * `command`. */
int signing_key(struct key_ref *out, const struct key_list *keys, const char *command,
                bool required, const char *passphrase_file);
/* The signer of a signing key. `passphrase_file` holds the passphrase of an
 * encrypted key file, or the token's PIN when the URI has none (NULL: a
 * token's PIN is asked on the terminal). Cloud KMS and Vault take their
 * settings from the environment. */
int make_signer(artsig_signer **out, const struct key_ref *key, const char *passphrase_file);

/* An output written to a temporary file beside its destination and renamed
 * into place only by output_commit(); output_abort() (or a signal) removes it.
 * A symbolic link is followed: the file it names is replaced, the link kept
 * (a dangling link's target is created). A device, FIFO or socket cannot be
 * replaced, so it is opened and written through; a directory is refused. */
struct output {
    char *dest;   /* as named, for messages */
    char *target; /* the file replaced: dest, its links followed */
    char *tmp;    /* NULL when written through */
    int fd;
};
int output_open(struct output *o, const char *dest, unsigned mode);
int output_write(struct output *o, const void *data, size_t len);
int output_commit(struct output *o);
void output_abort(struct output *o);
/* Remove every output not yet committed; installed for SIGINT/SIGTERM/SIGHUP. */
void output_install_signal_cleanup(void);

/* A one-line progress meter on stderr for reading a large artifact. It draws
 * only when stderr is a terminal, so logs and pipes never see it. */
struct progress {
    const char *label; /* what a meter of unknown total counts, e.g. "reading artifact" */
    uint64_t total; /* bytes expected; 0 when the input's size is unknown */
    uint64_t done;
    uint64_t next_draw_ns;
    bool active;
    bool drawn;
};
/* Decide whether reading `fd` deserves a meter (`wanted` false: never). */
void progress_begin(struct progress *p, int fd, bool wanted);
/* A byte count for a stream of unknown length (e.g. an artifact being written). */
void progress_begin_stream(struct progress *p, const char *label, bool wanted);
void progress_add(struct progress *p, size_t bytes);
/* Erase the meter, leaving the line as it was. */
void progress_end(struct progress *p);

int cmd_keygen(int argc, char **argv);
int cmd_sign_blob(int argc, char **argv);
int cmd_verify_blob(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_read(int argc, char **argv);
int cmd_write(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_export_manifest(int argc, char **argv);
int cmd_attach_signature(int argc, char **argv);

#endif
