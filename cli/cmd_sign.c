/* Signing commands: sign, export-manifest and attach-signature (offline
 * signing). Signing is a stream copy of the artifact with manifest.sig
 * added; the result replaces the artifact or goes to -o, atomically. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char sign_usage[] =
    "usage: artsig sign -k PRIVATE_KEY|--key-pkcs11 URI|--gcp-kms-key NAME\n"
    "                   |--vault-transit-key NAME\n"
    "                   |--sign-cmd COMMAND --sign-cmd-public-key FILE\n"
    "                   [--passphrase-file FILE] [-o OUTPUT] [-f] [--check-payloads]\n"
    "                   ARTIFACT\n"
    "Signs ARTIFACT: a copy with manifest.sig added and every other byte unchanged\n"
    "(nothing is recompressed). Without -o the artifact is replaced, atomically.\n"
    "Its structure and header digest are checked first; --check-payloads checks\n"
    "every payload digest too. A signed artifact is refused unless -f (--force)\n"
    "replaces its signature.\n"
    "--key-pkcs11 signs with a key in a PKCS#11 token, named by an RFC 7512 URI\n"
    "(pkcs11:token=T;object=O;type=private?module-path=LIB); the PIN comes from the\n"
    "URI's pin-value or pin-source, else --passphrase-file, else the terminal.\n"
    REMOTE_SIGNING_HELP;

static const char export_usage[] =
    "usage: artsig export-manifest -o OUTPUT|- ARTIFACT|-\n"
    "Writes the artifact's manifest, the bytes its signature covers, after checking\n"
    "the artifact's structure and header digest. With an OUTPUT file (not a device\n"
    "or FIFO) it prints the manifest's SHA-256 as sha256sum does, to compare on the\n"
    "signing machine.\n"
    "Offline signing: export-manifest, then 'artsig sign-blob' where the key is,\n"
    "then 'artsig attach-signature'.\n";

static const char attach_usage[] =
    "usage: artsig attach-signature [-k PUBLIC_KEY]... [--key-pkcs11 URI]... [-o OUTPUT]\n"
    "                               [-f] [--check-payloads] ARTIFACT SIGFILE|-\n"
    "Adds the signature in SIGFILE (base64, as 'artsig sign-blob' prints it) to\n"
    "ARTIFACT, like 'artsig sign'. A signature no Mender key could have made is\n"
    "refused; with keys, so is one that none of them verifies over this\n"
    "artifact's manifest. ECDSA signatures in DER are stored as r||s, the form\n"
    "Mender devices read.\n";

/* What sign and attach-signature take. */
struct sign_args {
    struct key_list keys; /* sign: the private key; attach: checks */
    struct key_ref signing_key; /* sign's */
    const char *passphrase_file;
    const char *artifact;
    const char *signature; /* attach-signature's SIGFILE */
    const char *output;    /* NULL: replace the artifact */
    unsigned flags;
    bool help; /* --help: the usage was printed, nothing else to do */
};

struct sign_command {
    const char *name;
    const char *usage;
    bool attach;
};

static int parse_sign_args(struct sign_args *a, const struct sign_command *cmd, int argc,
                           char **argv)
{
    enum { OPT_CHECK_PAYLOADS = 256, OPT_PASSPHRASE };
    /* attach-signature shares the table, and refuses the signing sources. */
    static const struct option opts[] = {KEY_OPTIONS,
                                         {"passphrase-file", required_argument, NULL,
                                          OPT_PASSPHRASE},
                                         {"output-path", required_argument, NULL, 'o'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"force", no_argument, NULL, 'f'},
                                         {"check-payloads", no_argument, NULL,
                                          OPT_CHECK_PAYLOADS},
                                         {"help", no_argument, NULL, 'h'},
                                         REMOTE_SIGNING_OPTIONS,
                                         {0}};
    *a = (struct sign_args){0};
    int c, index = -1;
    while ((c = getopt_long(argc, argv, ":k:o:fh", opts, &index)) != -1) {
        switch (c) {
        case OPT_PASSPHRASE:
            if (cmd->attach)
                return usage_error(cmd->name, "option '--passphrase-file' is for 'artsig "
                                              "sign' only");
            a->passphrase_file = optarg;
            break;
        case 'o': a->output = optarg; break;
        case 'f': a->flags |= ARTSIG_SIGN_REPLACE; break;
        case OPT_CHECK_PAYLOADS: a->flags |= ARTSIG_SIGN_CHECK_PAYLOADS; break;
        case 'h':
            a->help = true;
            fputs(cmd->usage, stdout);
            return EXIT_OK;
        default:
            if (!is_key_option(c))
                return option_error(cmd->name, c, argv);
            if (cmd->attach && c != 'k' && c != OPT_KEY_PKCS11)
                return usage_error(cmd->name, "option '--%s' is for 'artsig sign' only",
                                   opts[index].name);
            if (add_key_option(&a->keys, cmd->name, c, optarg) != EXIT_OK)
                return EXIT_USAGE;
        }
    }
    if (!cmd->attach && signing_key(&a->signing_key, &a->keys, cmd->name, true,
                                    a->passphrase_file) != EXIT_OK)
        return EXIT_USAGE;
    if (argc - optind != (cmd->attach ? 2 : 1))
        return usage_error(cmd->name, cmd->attach ? "ARTIFACT and SIGFILE are required"
                                                  : "exactly one ARTIFACT is required");
    a->artifact = argv[optind];
    a->signature = cmd->attach ? argv[optind + 1] : NULL;
    if (strcmp(a->artifact, "-") == 0)
        return usage_error(cmd->name, "ARTIFACT cannot be stdin: it is read twice (checked, "
                                      "then copied)");
    return EXIT_OK;
}

/* Signs through `sign` into a temporary file beside the destination, renamed
 * over it only on success. The copy keeps the artifact's permissions. */
typedef int (*sign_fn)(int out_fd, int in_fd, unsigned flags, void *ctx);

static int sign_into_place(const struct sign_args *a, sign_fn sign, void *ctx)
{
    /* O_NONBLOCK: a FIFO without a writer would block the open forever,
     * before it could be refused; regular files and disks ignore it. */
    int in = open(a->artifact, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (in < 0)
        return die(EXIT_IO, "%s: %s", a->artifact, strerror(errno));
    struct stat st;
    if (fstat(in, &st) != 0) {
        int err = errno;
        close(in);
        return die(EXIT_IO, "%s: %s", a->artifact, strerror(err));
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        close(in);
        return die(EXIT_USAGE, "%s: not a regular file; the artifact is read twice (checked, "
                               "then copied)", a->artifact);
    }
    /* In place, a symbolic link keeps pointing at the signed artifact. */
    char resolved[PATH_MAX];
    const char *dest = a->output;
    if (!dest)
        dest = realpath(a->artifact, resolved) ? resolved : a->artifact;
    struct output o;
    int rc = output_open(&o, dest, st.st_mode & 07777);
    if (rc == EXIT_OK) {
        int status = sign(o.fd, in, a->flags, ctx);
        if (status == ARTSIG_ESTATE)
            rc = die(EXIT_INVALID, "%s: already signed; -f replaces the signature",
                     a->artifact);
        else if (status != ARTSIG_OK)
            rc = die_lib(status, a->artifact);
        if (rc == EXIT_OK)
            rc = output_commit(&o);
        else
            output_abort(&o);
    }
    close(in);
    return rc;
}

static int sign_with_signer(int out_fd, int in_fd, unsigned flags, void *signer)
{
    return artsig_artifact_sign(out_fd, in_fd, signer, flags);
}

int cmd_sign(int argc, char **argv)
{
    static const struct sign_command sign = {"sign", sign_usage, false};
    struct sign_args a;
    int rc = parse_sign_args(&a, &sign, argc, argv);
    if (rc != EXIT_OK || a.help)
        return rc;

    artsig_signer *signer;
    rc = make_signer(&signer, &a.signing_key, a.passphrase_file);
    if (rc != EXIT_OK)
        return rc;
    rc = sign_into_place(&a, sign_with_signer, signer);
    artsig_signer_free(signer);
    return rc;
}

struct attachment {
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len;
    const artsig_keyring *check;
};

static int attach(int out_fd, int in_fd, unsigned flags, void *ctx)
{
    const struct attachment *s = ctx;
    return artsig_artifact_attach_signature(out_fd, in_fd, s->sig, s->len, s->check, flags);
}

/* The signature file's text, decoded. */
static int read_signature(struct attachment *s, const char *path)
{
    uint8_t *text;
    size_t len;
    /* Room for the longest signature and some stray whitespace. */
    int rc = read_input(&text, &len, path, ARTSIG_SIGNATURE_B64_MAX + 64);
    if (rc != EXIT_OK)
        return rc;
    int st = artsig_signature_decode(s->sig, &s->len, (const char *)text, len);
    free(text);
    return st == ARTSIG_OK ? EXIT_OK : die(EXIT_INVALID, "%s: %s", path, artsig_last_error());
}

int cmd_attach_signature(int argc, char **argv)
{
    static const struct sign_command attach_cmd = {"attach-signature", attach_usage, true};
    struct sign_args a;
    int rc = parse_sign_args(&a, &attach_cmd, argc, argv);
    if (rc != EXIT_OK || a.help)
        return rc;

    artsig_keyring *ring = NULL;
    struct attachment s = {.len = 0};
    rc = load_keyring(&ring, &a.keys);
    /* No key: the signature's shape is checked, not whose it is. */
    s.check = a.keys.n ? ring : NULL;
    if (rc == EXIT_OK)
        rc = read_signature(&s, a.signature);
    if (rc == EXIT_OK)
        rc = sign_into_place(&a, attach, &s);
    artsig_keyring_free(ring);
    return rc;
}

/* The manifest to stdout, or to a file with its digest shown; a device or
 * FIFO is written through. */
static int write_manifest(const char *output, const uint8_t *manifest, size_t len)
{
    if (strcmp(output, "-") == 0) {
        if (fwrite(manifest, 1, len, stdout) != len || fflush(stdout) != 0)
            return die(EXIT_IO, "cannot write the manifest to stdout");
        return EXIT_OK;
    }
    struct output o;
    int rc = output_open(&o, output, 0644);
    /* A device or FIFO keeps no copy to check, and on /dev/stdout the line
     * would join the manifest. */
    bool file = rc == EXIT_OK && o.tmp;
    if (rc == EXIT_OK)
        rc = output_write(&o, manifest, len);
    if (rc == EXIT_OK)
        rc = output_commit(&o);
    if (rc != EXIT_OK || !file)
        return rc;
    uint8_t digest[ARTSIG_DIGEST_LEN];
    char hex[ARTSIG_DIGEST_HEX_LEN + 1];
    if (artsig_sha256(digest, manifest, len) != ARTSIG_OK)
        return die_lib(ARTSIG_ECRYPTO, output);
    artsig_digest_to_hex(hex, digest);
    /* sha256sum's format, so `sha256sum -c` can check the copy elsewhere. */
    if (printf("%s  %s\n", hex, output) < 0 || fflush(stdout) != 0)
        return die(EXIT_IO, "cannot write to stdout");
    return EXIT_OK;
}

int cmd_export_manifest(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"output-path", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *output = NULL;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'h': fputs(export_usage, stdout); return EXIT_OK;
        default: return option_error("export-manifest", c, argv);
        }
    }
    if (!output)
        return usage_error("export-manifest", "-o OUTPUT (or -o - for stdout) is required");
    if (argc - optind != 1)
        return usage_error("export-manifest", "exactly one ARTIFACT is required");
    const char *path = argv[optind];
    bool from_stdin = strcmp(path, "-") == 0;
    int in = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return die(EXIT_IO, "%s: %s", path, strerror(errno));
    uint8_t *manifest;
    size_t len;
    int st = artsig_artifact_export_manifest(&manifest, &len, in);
    if (!from_stdin)
        close(in);
    if (st != ARTSIG_OK)
        return die_lib(st, from_stdin ? "stdin" : path);
    int rc = write_manifest(output, manifest, len);
    artsig_free(manifest);
    return rc;
}
