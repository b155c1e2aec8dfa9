/* artsig write: rootfs-image, module-image and bootstrap-artifact, with the
 * options, short forms and defaults of mender-artifact 3.9, so that build
 * scripts can switch tools without a change. Where mender-artifact silently
 * ignores or overrides something (a second rootfs image, provides in a
 * format 2 artifact), artsig refuses the command line instead. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char write_usage[] =
    "usage: artsig write rootfs-image|module-image|bootstrap-artifact [OPTIONS]\n"
    "Writes an artifact; the options are mender-artifact 3.9's.\n"
    "\n"
    "required:\n"
    "  -n, --artifact-name NAME     name of the artifact\n"
    "  -t, --device-type TYPE       compatible device type (repeatable)\n"
    "  -f, --file FILE              rootfs-image: the image; module-image: a payload\n"
    "                               file (repeatable); not for bootstrap-artifact\n"
    "  -T, --type TYPE              module-image: payload type (the update module)\n"
    "options:\n"
    "  -o, --output-path FILE|-     output (default artifact.mender; -: stdout)\n"
    "  -k, --key PRIVATE_KEY        sign with this key (RSA, ECDSA P-256, Ed25519;\n"
    "                               PKCS#1, SEC1 or PKCS#8 PEM, or DER)\n"
    "      --key-pkcs11 URI         sign with a key in a PKCS#11 token, named by an\n"
    "                               RFC 7512 URI (instead of -k)\n"
    "      --passphrase-file FILE   passphrase of an encrypted key, or the token's\n"
    "                               PIN when the URI has none (else it is asked)\n"
    "      --gcp-kms-key NAME       sign with a Google Cloud KMS key version\n"
    "                               (projects/P/locations/L/keyRings/R/cryptoKeys/K/\n"
    "                               cryptoKeyVersions/V; settings from the environment)\n"
    "      --vault-transit-key NAME sign with a HashiCorp Vault Transit key (VAULT_ADDR,\n"
    "                               VAULT_TOKEN and others from the environment)\n"
    "      --sign-cmd COMMAND       sign with a program, run with /bin/sh -c: the bytes\n"
    "                               to sign on its stdin, the key type in\n"
    "                               $ARTSIG_SIGN_KEY_TYPE, a base64 signature on stdout\n"
    "      --sign-cmd-public-key FILE  the key --sign-cmd's signatures must verify with\n"
    "      --compression C          none, gzip (default), lzma (= xz), zstd\n"
    "  -v, --version 2|3            format version (default 3; 2: rootfs-image only,\n"
    "                               without provides and depends)\n"
    "  -p, --provides KEY:VALUE     payload provides (repeatable; the last wins)\n"
    "  -d, --depends KEY:VALUE      payload depends (repeatable; the last wins)\n"
    "  -N, --artifact-name-depends NAME   depend on an artifact name (repeatable)\n"
    "  -g, --provides-group GROUP   the group the artifact provides\n"
    "  -G, --depends-groups GROUP   depend on a group (repeatable)\n"
    "      --clears-provides GLOB   provides the payload clears (repeatable)\n"
    "      --no-default-clears-provides   do not add the default clears\n"
    "  -s, --script FILE            state script (repeatable; not for bootstrap)\n"
    "  -m, --meta-data FILE         module-image: payload meta-data (a JSON object)\n"
    "      --software-name NAME     provide rootfs-image.NAME.version instead\n"
    "      --software-version V     its value (default: the artifact name)\n"
    "      --software-filesystem FS use FS instead of rootfs-image in that key\n"
    "      --no-default-software-version  no software version provide\n"
    "      --no-checksum-provide    rootfs-image: no rootfs-image.checksum provide\n"
    "      --legacy-rootfs-image-checksum  rootfs-image: name it rootfs_image_checksum\n"
    "      --no-progress            no progress meter\n"
    "Exit 0 when written, 2 on a usage error, 3 when a file or key cannot be read\n"
    "or the output cannot be written, 4 when a signing service or the signer\n"
    "program fails; the output then does not exist.\n";

enum kind { ROOTFS = 1, MODULE = 2, BOOTSTRAP = 4, ALL = ROOTFS | MODULE | BOOTSTRAP };

static const struct {
    const char *name;
    enum kind kind;
} kinds[] = {{"rootfs-image", ROOTFS}, {"module-image", MODULE}, {"bootstrap-artifact", BOOTSTRAP}};

enum {
    OPT_CLEARS = 256,
    OPT_NO_DEFAULT_CLEARS,
    OPT_NO_DEFAULT_VERSION,
    OPT_SOFTWARE_NAME,
    OPT_SOFTWARE_VERSION,
    OPT_SOFTWARE_FS,
    OPT_COMPRESSION,
    OPT_PASSPHRASE,
    OPT_NO_PROGRESS,
    OPT_LEGACY_CHECKSUM,
    OPT_NO_CHECKSUM
};

static const struct option write_options[] = {
    {"artifact-name", required_argument, NULL, 'n'},
    {"device-type", required_argument, NULL, 't'},
    {"file", required_argument, NULL, 'f'},
    {"type", required_argument, NULL, 'T'},
    {"meta-data", required_argument, NULL, 'm'},
    {"provides", required_argument, NULL, 'p'},
    {"depends", required_argument, NULL, 'd'},
    {"artifact-name-depends", required_argument, NULL, 'N'},
    {"provides-group", required_argument, NULL, 'g'},
    {"depends-groups", required_argument, NULL, 'G'},
    {"script", required_argument, NULL, 's'},
    {"clears-provides", required_argument, NULL, OPT_CLEARS},
    {"no-default-clears-provides", no_argument, NULL, OPT_NO_DEFAULT_CLEARS},
    {"no-default-software-version", no_argument, NULL, OPT_NO_DEFAULT_VERSION},
    {"software-name", required_argument, NULL, OPT_SOFTWARE_NAME},
    {"software-version", required_argument, NULL, OPT_SOFTWARE_VERSION},
    {"software-filesystem", required_argument, NULL, OPT_SOFTWARE_FS},
    {"compression", required_argument, NULL, OPT_COMPRESSION},
    {"version", required_argument, NULL, 'v'},
    KEY_OPTIONS,
    {"passphrase-file", required_argument, NULL, OPT_PASSPHRASE},
    {"output-path", required_argument, NULL, 'o'},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"legacy-rootfs-image-checksum", no_argument, NULL, OPT_LEGACY_CHECKSUM},
    {"no-checksum-provide", no_argument, NULL, OPT_NO_CHECKSUM},
    {"help", no_argument, NULL, 'h'},
    REMOTE_SIGNING_OPTIONS,
    {0}};

/* The subcommands that take an option, as in mender-artifact 3.9's --help
 * (--no-progress and --passphrase-file everywhere). */
static unsigned option_kinds(int c)
{
    switch (c) {
    case 'f':
    case 's':
    case OPT_NO_DEFAULT_CLEARS:
    case OPT_NO_DEFAULT_VERSION:
    case OPT_SOFTWARE_NAME:
    case OPT_SOFTWARE_VERSION:
    case OPT_SOFTWARE_FS: return ROOTFS | MODULE;
    case 'T':
    case 'm': return MODULE;
    case OPT_LEGACY_CHECKSUM:
    case OPT_NO_CHECKSUM: return ROOTFS;
    default: return ALL;
    }
}

/* An option's argument and when it was given: where two options set the same
 * provide, the later one on the command line wins, as in mender-artifact. */
struct item {
    const char *arg;
    const char *value; /* after the colon of KEY:VALUE (arg is then the key) */
    unsigned seq;
};

struct list {
    struct item *v;
    size_t n;
};

struct write_args {
    enum kind kind;
    const char *command; /* "write rootfs-image", for messages */
    const char *name, *type, *meta_data, *group, *output, *passphrase;
    struct key_list keys;       /* as given: -k, --key-pkcs11, --sign-cmd, ... */
    struct key_ref signing_key; /* the one of them; NULL name: unsigned */
    const char *software_name, *software_version, *software_fs;
    artsig_compression compression;
    int version;
    unsigned software_seq; /* of the last --software-* option; 0: none */
    bool no_default_clears, no_default_version, no_checksum, legacy_checksum;
    bool progress, help;
    struct list devices, files, provides, depends, name_depends, group_depends, scripts,
        clears;
};

static void push(struct list *l, const char *arg, unsigned seq)
{
    l->v[l->n++] = (struct item){arg, NULL, seq};
}

/* KEY:VALUE, split at the first colon (the value may hold more). */
static int push_key_value(struct write_args *a, struct list *l, int c, char *arg, unsigned seq)
{
    char *colon = strchr(arg, ':');
    if (!colon || colon == arg)
        return usage_error(a->command, "option '-%c' needs KEY:VALUE, not '%s'", c, arg);
    *colon = 0;
    l->v[l->n++] = (struct item){arg, colon + 1, seq};
    return EXIT_OK;
}

static int parse_version(struct write_args *a, const char *text)
{
    if (strcmp(text, "2") == 0 || strcmp(text, "3") == 0) {
        a->version = text[0] - '0';
        return EXIT_OK;
    }
    return usage_error(a->command, "format version '%s' is not 2 or 3", text);
}

static int parse_option(struct write_args *a, int c, char *arg, unsigned seq)
{
    switch (c) {
    case 'n': a->name = arg; break;
    case 't': push(&a->devices, arg, seq); break;
    case 'f':
        if (a->kind == ROOTFS && a->files.n)
            return usage_error(a->command, "a rootfs-image takes one -f FILE");
        push(&a->files, arg, seq);
        break;
    case 'T': a->type = arg; break;
    case 'm': a->meta_data = arg; break;
    case 'p': return push_key_value(a, &a->provides, c, arg, seq);
    case 'd': return push_key_value(a, &a->depends, c, arg, seq);
    case 'N': push(&a->name_depends, arg, seq); break;
    case 'g': a->group = arg; break;
    case 'G': push(&a->group_depends, arg, seq); break;
    case 's': push(&a->scripts, arg, seq); break;
    case OPT_CLEARS: push(&a->clears, arg, seq); break;
    case OPT_NO_DEFAULT_CLEARS: a->no_default_clears = true; break;
    case OPT_NO_DEFAULT_VERSION: a->no_default_version = true; break;
    case OPT_SOFTWARE_NAME: a->software_name = arg; break;
    case OPT_SOFTWARE_VERSION: a->software_version = arg; break;
    case OPT_SOFTWARE_FS: a->software_fs = arg; break;
    case OPT_COMPRESSION:
        if (artsig_compression_from_name(&a->compression, arg) != ARTSIG_OK)
            return usage_error(a->command, "unknown compression '%s' (none, gzip, lzma, xz, zstd)",
                               arg);
        break;
    case 'v': return parse_version(a, arg);
    case 'k':
    case OPT_KEY_PKCS11:
    case OPT_GCP_KMS_KEY:
    case OPT_VAULT_TRANSIT_KEY:
    case OPT_SIGN_CMD:
    case OPT_SIGN_CMD_PUBLIC_KEY: return add_key_option(&a->keys, a->command, c, arg);
    case OPT_PASSPHRASE: a->passphrase = arg; break;
    case 'o': a->output = arg; break;
    case OPT_NO_PROGRESS: a->progress = false; break;
    case OPT_LEGACY_CHECKSUM: a->legacy_checksum = true; break;
    case OPT_NO_CHECKSUM: a->no_checksum = true; break;
    }
    if (c == OPT_SOFTWARE_NAME || c == OPT_SOFTWARE_VERSION || c == OPT_SOFTWARE_FS) {
        if (!*arg)
            return usage_error(a->command, "option '--%s' needs a value",
                               c == OPT_SOFTWARE_NAME      ? "software-name"
                               : c == OPT_SOFTWARE_VERSION ? "software-version"
                                                           : "software-filesystem");
        a->software_seq = seq;
    }
    return EXIT_OK;
}

/* Combinations that cannot mean what they say. */
static int check_conflicts(const struct write_args *a)
{
    const char *cmd = a->command;
    if (!a->name || !*a->name)
        return usage_error(cmd, "-n/--artifact-name is required");
    /* mender-artifact refuses these too: the name is a word in artifact_info. */
    if (strpbrk(a->name, " \t\n\v\f\r"))
        return usage_error(cmd, "whitespace is not allowed in the artifact name");
    if (a->devices.n == 0)
        return usage_error(cmd, "-t/--device-type is required");
    if (a->kind == ROOTFS && a->files.n == 0)
        return usage_error(cmd, "-f/--file is required");
    if (a->kind == MODULE && (!a->type || !*a->type))
        return usage_error(cmd, "-T/--type is required");
    if (a->passphrase && !a->signing_key.name)
        return usage_error(cmd, "--passphrase-file needs -k/--key or --key-pkcs11");
    if (a->no_default_version && a->software_seq)
        return usage_error(cmd, "--no-default-software-version conflicts with "
                                "--software-name, --software-version and --software-filesystem");
    if (a->no_checksum && a->legacy_checksum)
        return usage_error(cmd, "--no-checksum-provide conflicts with "
                                "--legacy-rootfs-image-checksum");
    if (a->version == 2) {
        if (a->kind != ROOTFS)
            return usage_error(cmd, "format version 2 holds only a rootfs-image");
        /* mender-artifact drops these silently; a version 2 artifact has no place for them. */
        if (a->provides.n || a->depends.n || a->name_depends.n || a->group_depends.n ||
            a->group || a->clears.n || a->software_seq || a->legacy_checksum)
            return usage_error(cmd, "provides, depends, groups, clears and software "
                                    "versions need format version 3");
    }
    return EXIT_OK;
}

static int parse_args(struct write_args *a, int argc, char **argv)
{
    int rc = EXIT_OK;
    unsigned seq = 0;
    int c, index = -1;
    while (rc == EXIT_OK && (c = getopt_long(argc, argv, "+:n:t:f:T:m:p:d:N:g:G:s:v:k:o:h",
                                             write_options, &index)) != -1) {
        if (c == 'h') {
            a->help = true;
            return EXIT_OK;
        }
        if (c == '?' || c == ':')
            return option_error(a->command, c, argv);
        if (!(option_kinds(c) & a->kind)) {
            if (index >= 0)
                return usage_error(a->command, "option '--%s' is not for this subcommand",
                                   write_options[index].name);
            return usage_error(a->command, "option '-%c' is not for this subcommand", c);
        }
        rc = parse_option(a, c, optarg, ++seq);
        index = -1;
    }
    if (rc != EXIT_OK)
        return rc;
    if (optind != argc)
        return usage_error(a->command, "unexpected argument '%s'", argv[optind]);
    if (signing_key(&a->signing_key, &a->keys, a->command, false, a->passphrase) != EXIT_OK)
        return EXIT_USAGE;
    return check_conflicts(a);
}

/* Whether a later -p/-d sets the same key (mender-artifact keeps the last). */
static bool overridden(const struct list *l, size_t i)
{
    for (size_t j = i + 1; j < l->n; j++)
        if (strcmp(l->v[j].arg, l->v[i].arg) == 0)
            return true;
    return false;
}

/* The last -p setting `key`, or NULL. */
static const struct item *find_provide(const struct write_args *a, const char *key)
{
    const struct item *found = NULL;
    for (size_t i = 0; i < a->provides.n; i++)
        if (strcmp(a->provides.v[i].arg, key) == 0)
            found = &a->provides.v[i];
    return found;
}

struct payload_plan {
    /* the software version provide, e.g. rootfs-image.version = NAME */
    char *version_key;
    const char *version_value;
    const char *checksum_key; /* NULL: no checksum provide */
};

/* mender-artifact's key "FS[.NAME].version": FS defaults to rootfs-image,
 * NAME to the module type (none for a rootfs image). */
static char *software_key(const struct write_args *a, const char *suffix)
{
    const char *fs = a->software_fs ? a->software_fs : "rootfs-image";
    const char *name = a->software_name ? a->software_name : a->kind == MODULE ? a->type : NULL;
    size_t n = strlen(fs) + (name ? strlen(name) + 1 : 0) + strlen(suffix) + 1;
    char *key = malloc(n);
    if (key)
        snprintf(key, n, "%s%s%s%s", fs, name ? "." : "", name ? name : "", suffix);
    return key;
}

static int add_provides(artsig_writer *w, size_t p, const struct write_args *a,
                        const struct payload_plan *plan)
{
    int st = ARTSIG_OK;
    bool version_from_option = plan->version_key != NULL;
    if (version_from_option) {
        const struct item *given = find_provide(a, plan->version_key);
        /* A -p of the same key wins unless a --software-* option came later. */
        version_from_option = !given || a->software_seq > given->seq;
    }
    for (size_t i = 0; st == ARTSIG_OK && i < a->provides.n; i++) {
        const struct item *it = &a->provides.v[i];
        if (overridden(&a->provides, i) ||
            (plan->checksum_key && strcmp(it->arg, plan->checksum_key) == 0) ||
            (version_from_option && strcmp(it->arg, plan->version_key) == 0))
            continue;
        st = artsig_writer_payload_add_provides(w, p, it->arg, it->value);
    }
    if (st == ARTSIG_OK && version_from_option)
        st = artsig_writer_payload_add_provides(w, p, plan->version_key, plan->version_value);
    if (st == ARTSIG_OK && plan->checksum_key)
        st = artsig_writer_payload_provide_checksum(w, p, plan->checksum_key);
    return st;
}

/* The given globs, then mender-artifact 3.9's defaults: for a rootfs image
 * artifact_group, rootfs_image_checksum and rootfs-image.*; for a module
 * rootfs-image.TYPE.*; none with --no-default-*, none for a bootstrap. */
static int add_clears(artsig_writer *w, size_t p, const struct write_args *a)
{
    int st = ARTSIG_OK;
    for (size_t i = 0; st == ARTSIG_OK && i < a->clears.n; i++)
        st = artsig_writer_payload_add_clears(w, p, a->clears.v[i].arg);
    if (st != ARTSIG_OK || a->kind == BOOTSTRAP || a->no_default_clears ||
        a->no_default_version)
        return st;
    bool plain_rootfs = a->kind == ROOTFS && !a->software_name &&
                        (!a->software_fs || strcmp(a->software_fs, "rootfs-image") == 0);
    if (plain_rootfs) {
        st = artsig_writer_payload_add_clears(w, p, "artifact_group");
        if (st == ARTSIG_OK)
            st = artsig_writer_payload_add_clears(w, p, "rootfs_image_checksum");
    }
    char *glob = software_key(a, ".*");
    if (!glob)
        return ARTSIG_ENOMEM;
    bool given = false;
    for (size_t i = 0; i < a->clears.n; i++)
        given = given || strcmp(a->clears.v[i].arg, glob) == 0;
    if (st == ARTSIG_OK && !given)
        st = artsig_writer_payload_add_clears(w, p, glob);
    free(glob);
    return st;
}

/* The meta-data file as a NUL-terminated string for the library, which
 * checks that it is one JSON object. */
static int add_meta_data(artsig_writer *w, size_t p, const struct write_args *a)
{
    uint8_t *data;
    size_t len;
    int rc = read_input(&data, &len, a->meta_data, ARTSIG_LIMIT_HEADER_FILE);
    if (rc != EXIT_OK)
        return rc;
    char *text = malloc(len + 1);
    if (!text) {
        free(data);
        return die(EXIT_IO, "%s: out of memory", a->meta_data);
    }
    memcpy(text, data, len);
    text[len] = 0;
    free(data);
    if (strlen(text) != len)
        rc = usage_error(a->command, "%s: meta-data is not JSON text", a->meta_data);
    else {
        int st = artsig_writer_payload_set_meta_data(w, p, text);
        if (st != ARTSIG_OK)
            rc = die_lib(st, a->meta_data);
    }
    free(text);
    return rc;
}

static int describe_payload(artsig_writer *w, const struct write_args *a)
{
    size_t p;
    const char *type = a->kind == ROOTFS ? "rootfs-image" : a->kind == MODULE ? a->type : NULL;
    int st = artsig_writer_add_payload(&p, w, type);
    for (size_t i = 0; st == ARTSIG_OK && i < a->files.n; i++)
        st = artsig_writer_payload_add_file(w, p, a->files.v[i].arg, NULL);
    struct payload_plan plan = {0};
    if (a->version == 3 && a->kind != BOOTSTRAP && !a->no_default_version) {
        plan.version_key = software_key(a, ".version");
        plan.version_value = a->software_version ? a->software_version : a->name;
        if (!plan.version_key && st == ARTSIG_OK)
            st = ARTSIG_ENOMEM;
    }
    if (a->version == 3 && a->kind == ROOTFS && !a->no_checksum)
        plan.checksum_key = a->legacy_checksum ? "rootfs_image_checksum" : "rootfs-image.checksum";
    if (st == ARTSIG_OK && a->version == 3)
        st = add_provides(w, p, a, &plan);
    free(plan.version_key);
    for (size_t i = 0; st == ARTSIG_OK && i < a->depends.n; i++)
        if (!overridden(&a->depends, i))
            st = artsig_writer_payload_add_depends(w, p, a->depends.v[i].arg,
                                                   a->depends.v[i].value);
    if (st == ARTSIG_OK && a->version == 3)
        st = add_clears(w, p, a);
    if (st != ARTSIG_OK)
        return die_lib(st, a->command);
    return a->meta_data ? add_meta_data(w, p, a) : EXIT_OK;
}

static int describe_artifact(artsig_writer *w, const struct write_args *a)
{
    int st = artsig_writer_set_format_version(w, a->version);
    if (st == ARTSIG_OK)
        st = artsig_writer_set_name(w, a->name);
    for (size_t i = 0; st == ARTSIG_OK && i < a->devices.n; i++)
        st = artsig_writer_add_device_type(w, a->devices.v[i].arg);
    if (st == ARTSIG_OK && a->group)
        st = artsig_writer_set_provides_group(w, a->group);
    for (size_t i = 0; st == ARTSIG_OK && i < a->name_depends.n; i++)
        st = artsig_writer_add_artifact_depends(w, "artifact_name", a->name_depends.v[i].arg);
    for (size_t i = 0; st == ARTSIG_OK && i < a->group_depends.n; i++)
        st = artsig_writer_add_artifact_depends(w, "artifact_group", a->group_depends.v[i].arg);
    for (size_t i = 0; st == ARTSIG_OK && i < a->scripts.n; i++)
        st = artsig_writer_add_script(w, a->scripts.v[i].arg);
    if (st == ARTSIG_OK)
        st = artsig_writer_set_compression(w, a->compression, 0);
    return st == ARTSIG_OK ? describe_payload(w, a) : die_lib(st, a->command);
}

static int set_signer(artsig_writer *w, const struct write_args *a)
{
    artsig_signer *signer;
    int rc = make_signer(&signer, &a->signing_key, a->passphrase);
    if (rc != EXIT_OK)
        return rc;
    int st = artsig_writer_set_signer(w, signer);
    artsig_signer_free(signer);
    return st == ARTSIG_OK ? EXIT_OK : die_key(st, &a->signing_key);
}

struct sink {
    int fd;
    int error; /* errno of a failed write */
    struct progress progress;
};

static ssize_t write_all(const void *data, size_t len, void *userdata)
{
    struct sink *s = userdata;
    const uint8_t *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(s->fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            s->error = errno;
            return -1;
        }
        p += n;
        left -= (size_t)n;
    }
    progress_add(&s->progress, len);
    return (ssize_t)len;
}

/* Write to the destination; a file appears only once complete. */
static int emit(artsig_writer *w, const struct write_args *a)
{
    const char *dest = a->output ? a->output : "artifact.mender";
    bool to_stdout = strcmp(dest, "-") == 0;
    if (to_stdout && isatty(STDOUT_FILENO))
        return usage_error(a->command, "will not write an artifact to a terminal");
    struct output out = {.fd = -1};
    struct sink sink = {.fd = STDOUT_FILENO};
    if (!to_stdout) {
        int rc = output_open(&out, dest, 0644);
        if (rc != EXIT_OK)
            return rc;
        sink.fd = out.fd;
    }
    progress_begin_stream(&sink.progress, "writing artifact", a->progress);
    /* Without a meter to feed, the library writes the descriptor itself,
     * where it can have the kernel copy the staged payloads
     * (copy_file_range) instead of reading and writing them here. */
    int st = sink.progress.active ? artsig_writer_write_cb(w, write_all, &sink)
                                  : artsig_writer_write_fd(w, sink.fd);
    progress_end(&sink.progress);
    if (st != ARTSIG_OK) {
        const char *where = to_stdout ? "stdout" : dest;
        int rc = sink.error ? die(EXIT_IO, "%s: write failed: %s", where, strerror(sink.error))
                            : die_lib(st, where);
        output_abort(&out);
        return rc;
    }
    return to_stdout ? EXIT_OK : output_commit(&out);
}

static int run_write(struct write_args *a, int argc, char **argv)
{
    int rc = parse_args(a, argc, argv);
    if (rc != EXIT_OK)
        return rc;
    if (a->help) {
        fputs(write_usage, stdout);
        return fflush(stdout) == 0 ? EXIT_OK : die(EXIT_IO, "cannot write to stdout");
    }
    artsig_writer *w = NULL;
    if (artsig_writer_new(&w) != ARTSIG_OK)
        return die(EXIT_IO, "out of memory");
    rc = describe_artifact(w, a);
    if (rc == EXIT_OK && a->signing_key.name)
        rc = set_signer(w, a);
    if (rc == EXIT_OK)
        rc = emit(w, a);
    artsig_writer_free(w);
    return rc;
}

int cmd_write(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("write", "rootfs-image, module-image or bootstrap-artifact is required");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(write_usage, stdout);
        return fflush(stdout) == 0 ? EXIT_OK : die(EXIT_IO, "cannot write to stdout");
    }
    char command[64];
    struct write_args a = {.version = 3, .compression = ARTSIG_COMPRESS_GZIP, .progress = true};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(argv[1], kinds[i].name) == 0)
            a.kind = kinds[i].kind;
    if (!a.kind)
        return usage_error("write", "unknown artifact kind '%s'", argv[1]);
    snprintf(command, sizeof command, "write %s", argv[1]);
    a.command = command;
    /* Every list can hold every argument; the command line bounds them. */
    struct list *lists[] = {&a.devices,      &a.files,         &a.provides, &a.depends,
                            &a.name_depends, &a.group_depends, &a.scripts,  &a.clears};
    size_t nlists = sizeof lists / sizeof lists[0];
    struct item *items = calloc((size_t)argc * nlists, sizeof *items);
    if (!items)
        return die(EXIT_IO, "out of memory");
    for (size_t i = 0; i < nlists; i++)
        lists[i]->v = items + i * (size_t)argc;
    int rc = run_write(&a, argc - 1, argv + 1);
    free(items);
    return rc;
}
