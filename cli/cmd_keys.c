/* Key and blob commands: keygen, sign-blob, verify-blob. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "files.h"

/* Blobs are signed whole (pure Ed25519 needs the whole message). */
#define BLOB_MAX ((size_t)256 * 1024 * 1024)

static const char keygen_usage[] =
    "usage: artsig keygen --type rsa3072|ecdsa-p256|ed25519 -o PRIVATE_KEY -p PUBLIC_KEY\n"
    "                     [-f]\n"
    "Writes the private key as PKCS#8 PEM (mode 0600) and the public key as SPKI PEM.\n"
    "An existing PRIVATE_KEY is replaced only with -f (--force).\n";

static const char sign_blob_usage[] =
    "usage: artsig sign-blob -k PRIVATE_KEY|--key-pkcs11 URI|--gcp-kms-key NAME\n"
    "                        |--vault-transit-key NAME\n"
    "                        |--sign-cmd COMMAND --sign-cmd-public-key FILE\n"
    "                        [--passphrase-file FILE] FILE|-\n"
    "Prints the signature of FILE in Mender's encoding, base64, on stdout, and the\n"
    "SHA-256 of what it signed on stderr.\n"
    "--key-pkcs11 signs with a key in a PKCS#11 token, named by an RFC 7512 URI\n"
    "(pkcs11:token=T;object=O;type=private?module-path=LIB); the PIN comes from the\n"
    "URI's pin-value or pin-source, else --passphrase-file, else the terminal.\n"
    REMOTE_SIGNING_HELP;

static const char verify_blob_usage[] =
    "usage: artsig verify-blob -k PUBLIC_KEY|--key-pkcs11 URI [-k PUBLIC_KEY]...\n"
    "                          [--key-pkcs11 URI]... -s SIGFILE FILE|-\n"
    "Keys are tried in order; exit 0 when one verifies, 1 when none does,\n"
    "2 on a usage error, 3 when a file or key cannot be read.\n"
    "--key-pkcs11 takes the public key of a PKCS#11 token's object (RFC 7512 URI).\n";

static int parse_key_type(artsig_key_type *out, const char *name)
{
    static const struct {
        const char *name;
        artsig_key_type type;
    } types[] = {{"rsa3072", ARTSIG_KEY_RSA},
                 {"ecdsa-p256", ARTSIG_KEY_ECDSA_P256},
                 {"ed25519", ARTSIG_KEY_ED25519}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(name, types[i].name) == 0) {
            *out = types[i].type;
            return 0;
        }
    return -1;
}

static int write_pem(struct output *o, const char *path, unsigned mode, const artsig_key *key,
                     artsig_key_export_form form)
{
    char *pem;
    size_t len;
    int rc = artsig_key_export(&pem, &len, key, form);
    if (rc != ARTSIG_OK)
        return die_lib(rc, path);
    rc = output_open(o, path, mode);
    if (rc == EXIT_OK)
        rc = output_write(o, pem, len);
    artsig_key_free_pem(pem, len);
    return rc;
}

/* The directory entry `path` names, which is what rename() replaces: its
 * folder (symbolic links resolved) and its last component (malloc'd). */
static bool entry_of(const char *path, struct stat *dir, char **name)
{
    char *for_dir = strdup(path), *for_name = strdup(path);
    *name = NULL;
    if (for_dir && for_name && stat(dirname(for_dir), dir) == 0)
        *name = strdup(basename(for_name));
    free(for_dir);
    free(for_name);
    return *name != NULL;
}

static bool same_entry(const char *a, const char *b)
{
    struct stat a_dir, b_dir;
    char *a_name = NULL, *b_name = NULL;
    bool same = entry_of(a, &a_dir, &a_name) && entry_of(b, &b_dir, &b_name) &&
                a_dir.st_dev == b_dir.st_dev && a_dir.st_ino == b_dir.st_ino &&
                strcmp(a_name, b_name) == 0;
    free(a_name);
    free(b_name);
    return same;
}

/* Whether two destinations, their links followed, are one file: spelt
 * alike, the same entry under other names ("./k", "d/../k", a linked
 * folder), or existing files that are one (hard links). */
static bool same_file(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return true;
    struct stat sa, sb;
    bool a_exists = stat(a, &sa) == 0, b_exists = stat(b, &sb) == 0;
    if (a_exists && b_exists)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    return !a_exists && !b_exists && same_entry(a, b);
}

/* The file a key written to `path` lands in (malloc'd; see
 * resolve_destination()); a folder there is refused now, before a key is
 * made, so that a keygen that fails replaces nothing. */
static int key_destination(char **target, const char *path)
{
    enum destination_kind kind;
    int err = resolve_destination(target, &kind, path);
    return err ? die(EXIT_IO, "%s: %s", path, strerror(err)) : EXIT_OK;
}

/* The checks before a key is made: -o and -p two files, and an existing
 * private key replaced only when `force`. */
static int check_destinations(const char *priv_path, const char *pub_path, bool force)
{
    char *priv = NULL, *pub = NULL;
    int rc = key_destination(&priv, priv_path);
    if (rc == EXIT_OK)
        rc = key_destination(&pub, pub_path);
    struct stat st;
    if (rc == EXIT_OK && same_file(priv, pub))
        rc = usage_error("keygen", "-o and -p name the same file");
    else if (rc == EXIT_OK && !force && stat(priv, &st) == 0 && S_ISREG(st.st_mode))
        rc = die(EXIT_IO, "%s: exists; -f (--force) replaces it", priv_path);
    free(priv);
    free(pub);
    return rc;
}

/* Both keys change or neither does; the checks before leave only a rename
 * that fails against the odds (an immutable file, a full directory). The
 * public key goes first, so that its failure costs nothing; should the
 * private key's then fail, the public key that matches the private key
 * kept comes back from a hard link made meanwhile, or the new one goes
 * where there was none. A key written through to a device stays written. */
static int commit_pair(struct output *priv, struct output *pub)
{
    char *pub_file = NULL, *old_pub = NULL;
    if (pub->tmp && !(pub_file = strdup(pub->target)))
        return die(EXIT_IO, "out of memory");
    int rc = EXIT_OK;
    if (pub_file && access(pub_file, F_OK) == 0) {
        if (asprintf(&old_pub, "%s.old", pub->tmp) < 0) {
            old_pub = NULL;
            rc = die(EXIT_IO, "out of memory");
        } else if (link(pub_file, old_pub) != 0) {
            rc = die(EXIT_IO, "%s: cannot keep the old key while replacing it: %s",
                     pub->dest, strerror(errno));
            /* Not ours to remove below, should the name be taken. */
            free(old_pub);
            old_pub = NULL;
        }
    }
    if (rc == EXIT_OK)
        rc = output_commit(pub);
    if (rc == EXIT_OK) {
        rc = output_commit(priv);
        if (rc != EXIT_OK && old_pub)
            rename(old_pub, pub_file);
        else if (rc != EXIT_OK && pub_file)
            unlink(pub_file);
    }
    if (old_pub)
        unlink(old_pub);
    free(old_pub);
    free(pub_file);
    return rc;
}

int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {{"type", required_argument, NULL, 't'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"public", required_argument, NULL, 'p'},
                                         {"force", no_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *type_name = NULL, *priv_path = NULL, *pub_path = NULL;
    bool force = false;
    int c;
    while ((c = getopt_long(argc, argv, ":t:o:p:fh", opts, NULL)) != -1) {
        switch (c) {
        case 't': type_name = optarg; break;
        case 'o': priv_path = optarg; break;
        case 'p': pub_path = optarg; break;
        case 'f': force = true; break;
        case 'h': fputs(keygen_usage, stdout); return EXIT_OK;
        default: return option_error("keygen", c, argv);
        }
    }
    if (optind != argc)
        return usage_error("keygen", "unexpected argument '%s'", argv[optind]);
    if (!type_name || !priv_path || !pub_path)
        return usage_error("keygen", "--type, -o and -p are required");
    artsig_key_type type;
    if (parse_key_type(&type, type_name) != 0)
        return usage_error("keygen", "unknown key type '%s'", type_name);
    int rc = check_destinations(priv_path, pub_path, force);
    if (rc != EXIT_OK)
        return rc;

    artsig_key *key;
    rc = artsig_key_generate(&key, type);
    if (rc != ARTSIG_OK)
        return die_lib(rc, "keygen");
    struct output priv = {.fd = -1}, pub = {.fd = -1};
    rc = write_pem(&priv, priv_path, 0600, key, ARTSIG_EXPORT_PRIVATE_PKCS8_PEM);
    if (rc == EXIT_OK)
        rc = write_pem(&pub, pub_path, 0644, key, ARTSIG_EXPORT_PUBLIC_SPKI_PEM);
    if (rc == EXIT_OK)
        rc = commit_pair(&priv, &pub);
    output_abort(&priv);
    output_abort(&pub);
    artsig_key_free(key);
    return rc;
}

/* For a person to compare with what `artsig export-manifest` printed where
 * the artifact is: the signing machine signs exactly those bytes. */
static void show_digest(const char *path, const uint8_t *blob, size_t len)
{
    uint8_t digest[ARTSIG_DIGEST_LEN];
    char hex[ARTSIG_DIGEST_HEX_LEN + 1];
    if (artsig_sha256(digest, blob, len) == ARTSIG_OK) {
        artsig_digest_to_hex(hex, digest);
        fprintf(stderr, "artsig: signed %s, sha256 %s\n", strcmp(path, "-") ? path : "stdin",
                hex);
    }
}

int cmd_sign_blob(int argc, char **argv)
{
    static const struct option opts[] = {KEY_OPTIONS,
                                         {"passphrase-file", required_argument, NULL, 'P'},
                                         {"help", no_argument, NULL, 'h'},
                                         REMOTE_SIGNING_OPTIONS,
                                         {0}};
    struct key_list keys = {.n = 0};
    const char *pass_path = NULL;
    int c;
    while ((c = getopt_long(argc, argv, ":k:h", opts, NULL)) != -1) {
        switch (c) {
        case 'P': pass_path = optarg; break;
        case 'h': fputs(sign_blob_usage, stdout); return EXIT_OK;
        default:
            if (!is_key_option(c))
                return option_error("sign-blob", c, argv);
            if (add_key_option(&keys, "sign-blob", c, optarg) != EXIT_OK)
                return EXIT_USAGE;
        }
    }
    struct key_ref key;
    if (signing_key(&key, &keys, "sign-blob", true, pass_path) != EXIT_OK)
        return EXIT_USAGE;
    if (argc - optind != 1)
        return usage_error("sign-blob", "exactly one FILE is required");

    artsig_signer *signer;
    int rc = make_signer(&signer, &key, pass_path);
    if (rc != EXIT_OK)
        return rc;
    uint8_t *blob = NULL;
    size_t blob_len;
    rc = read_input(&blob, &blob_len, argv[optind], BLOB_MAX);
    if (rc == EXIT_OK) {
        uint8_t sig[ARTSIG_SIGNATURE_MAX];
        size_t sig_len = sizeof sig;
        char text[ARTSIG_SIGNATURE_B64_MAX];
        int st = artsig_signer_sign(sig, &sig_len, signer, blob, blob_len);
        if (st == ARTSIG_OK)
            st = artsig_signature_encode(text, sig, sig_len);
        if (st != ARTSIG_OK)
            rc = die_key(st, &key);
        else if (puts(text) < 0 || fflush(stdout) != 0)
            rc = die(EXIT_IO, "cannot write the signature to stdout");
        else
            show_digest(argv[optind], blob, blob_len);
    }
    free(blob);
    artsig_signer_free(signer);
    return rc;
}

int cmd_verify_blob(int argc, char **argv)
{
    static const struct option opts[] = {KEY_OPTIONS,
                                         {"signature", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct key_list keys = {.n = 0};
    const char *sig_path = NULL;
    int c;
    while ((c = getopt_long(argc, argv, ":k:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
        case OPT_KEY_PKCS11:
            if (add_key_option(&keys, "verify-blob", c, optarg) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case 's': sig_path = optarg; break;
        case 'h': fputs(verify_blob_usage, stdout); return EXIT_OK;
        default: return option_error("verify-blob", c, argv);
        }
    }
    if (keys.n == 0)
        return usage_error("verify-blob", "at least one -k PUBLIC_KEY or --key-pkcs11 URI is "
                                          "required");
    if (!sig_path)
        return usage_error("verify-blob", "-s SIGFILE is required");
    if (argc - optind != 1)
        return usage_error("verify-blob", "exactly one FILE is required");
    if (strcmp(sig_path, "-") == 0 && strcmp(argv[optind], "-") == 0)
        return usage_error("verify-blob", "the signature and FILE cannot both be stdin");

    artsig_keyring *ring = NULL;
    int rc = load_keyring(&ring, &keys);
    uint8_t *text = NULL, *blob = NULL;
    size_t text_len, blob_len;
    if (rc == EXIT_OK)
        rc = read_input(&text, &text_len, sig_path, ARTSIG_SIGNATURE_B64_MAX + 64);
    if (rc == EXIT_OK)
        rc = read_input(&blob, &blob_len, argv[optind], BLOB_MAX);
    if (rc == EXIT_OK) {
        uint8_t sig[ARTSIG_SIGNATURE_MAX];
        size_t sig_len, index;
        int st = artsig_signature_decode(sig, &sig_len, (const char *)text, text_len);
        if (st == ARTSIG_OK)
            st = artsig_keyring_verify(&index, ring, blob, blob_len, sig, sig_len);
        if (st == ARTSIG_OK) {
            char fpr[65];
            if (artsig_key_fingerprint_hex(fpr, artsig_keyring_get(ring, index)) != ARTSIG_OK)
                fpr[0] = 0;
            printf("verified by key %zu (", index + 1);
            print_key_name(stdout, &keys.v[index]);
            printf(", sha256:%s)\n", fpr);
        } else {
            rc = die(EXIT_INVALID, "%s: %s", sig_path, artsig_last_error());
        }
    }
    free(text);
    free(blob);
    artsig_keyring_free(ring);
    return rc;
}
