/* artsig-update: the device client's command line. */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "update.h"

#define DEFAULT_CONFIG "/etc/mender/mender.conf"
#define DEFAULT_DATA_DIR "/var/lib/mender"
/* Mender 3.4's: in its state directory, whatever --data says. */
#define DEFAULT_FALLBACK_CONFIG DEFAULT_DATA_DIR "/mender.conf"

static const char usage_text[] =
    "usage: artsig-update [OPTIONS] COMMAND\n"
    "Installs Mender Artifacts on this device, refusing any a trusted key did not sign.\n"
    "\n"
    "commands:\n"
    "  install ARTIFACT|URL|-  verify and install an artifact from a file, an http(s)\n"
    "                          URL or stdin\n"
    "      --reboot-exit-code  exit 4 when a reboot must come next (else 0 then too)\n"
    "  commit                  keep the installed update (after the reboot it asked for)\n"
    "  rollback                go back to what ran before the update\n"
    "  show-artifact           print the name of the installed artifact\n"
    "  show-provides           print the device's provides as key=value lines, as\n"
    "                          mender-update does (its order)\n"
    "  show-config             print the settings read from the configuration, as JSON\n"
    "  daemon                  run until stopped: poll the Mender Server, install what it\n"
    "                          offers, report the outcome\n"
    "  check-update            poll the server once, install what it offers, report, exit\n"
    "  send-inventory          send the device's inventory to the server once\n"
    "options:\n"
    "  -c, --config FILE       Mender configuration (default " DEFAULT_CONFIG ")\n"
    "  -b, --fallback-config FILE\n"
    "                          read before --config, whose options override it; may be\n"
    "                          absent (default " DEFAULT_FALLBACK_CONFIG ")\n"
    "  -d, --data DIR          state directory (default " DEFAULT_DATA_DIR ")\n"
    "  -E, --trusted-certs FILE\n"
    "                          PEM certificates an https download may chain to besides\n"
    "                          the system's (in place of ServerCertificate)\n"
    "      --skipverify        no TLS certificate checks with the server (SkipVerify)\n"
    "  -l, --log-level LEVEL   error, warning, info (default) or debug\n"
    "  -h, --help              this text\n"
    "  -v, --version           the version\n"
    "options may come before or after the command; '--' ends them\n"
    "exit codes: 0 done, 1 failed or refused, 2 no update in progress (commit,\n"
    "            rollback), 4 installed, reboot before commit (install with\n"
    "            --reboot-exit-code; check-update: the reboot command ran);\n"
    "            128+N stopped by signal N\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return upd_fail("%s (see 'artsig-update --help')", msg);
}

static int show_provides(const char *data_dir, bool name_only)
{
    struct upd_provides p;
    size_t *order = NULL;
    int rc = upd_provides_load(&p, data_dir);
    if (rc != UPD_EXIT_OK)
        return rc;
    /* A device with nothing recorded: "unknown", as mender-update records it. */
    if (p.count == 0)
        rc = upd_provides_set(&p, "artifact_name", "unknown");
    if (rc == UPD_EXIT_OK && name_only) {
        const char *name = upd_provides_get(&p, "artifact_name");
        puts(name ? name : "unknown");
    } else if (rc == UPD_EXIT_OK) {
        if (!(order = upd_provides_mender_order(&p)))
            rc = upd_fail("out of memory");
        /* mender-update's order, so scripts may compare the two byte for byte. */
        for (size_t i = 0; order && i < p.count; i++)
            printf("%s=%s\n", p.keys[order[i]], p.values[order[i]]);
    }
    free(order);
    upd_provides_free(&p);
    return rc;
}

/* Where the configuration is, and what the command line overrides in it. */
struct settings {
    const char *config, *fallback_config, *data_dir, *trusted_certs;
    bool skip_verify, reboot_exit_code;
};

/* Every command reads the configuration: the show commands for the image's
 * artifact_info file (ArtsigArtifactInfoFile). */
static int run_configured(const char *command, const char *arg, const struct settings *set)
{
    struct upd_config cfg;
    const char *data_dir = set->data_dir;
    /* What only shows the device's state may run without a configuration
     * (Mender's defaults then); what changes the device or talks to the
     * server may not: its keys and server are there. */
    bool shows = strcmp(command, "show-artifact") == 0 || strcmp(command, "show-provides") == 0;
    int rc = upd_config_load(&cfg, set->config, set->fallback_config, data_dir, shows);
    if (rc != UPD_EXIT_OK)
        return rc;
    upd_provides_use_artifact_info(cfg.artifact_info_file);
    cfg.skip_verify = cfg.skip_verify || set->skip_verify;
    if (set->trusted_certs) {
        free(cfg.server_certificate);
        if (!(cfg.server_certificate = strdup(set->trusted_certs))) {
            upd_config_free(&cfg);
            return upd_fail("out of memory");
        }
    }
    if (shows)
        rc = show_provides(data_dir, strcmp(command, "show-artifact") == 0);
    else if (strcmp(command, "install") == 0)
        rc = upd_install(&cfg, data_dir, arg, set->reboot_exit_code);
    else if (strcmp(command, "daemon") == 0 || strcmp(command, "check-update") == 0)
        rc = upd_daemon(&cfg, data_dir, strcmp(command, "check-update") == 0);
    else if (strcmp(command, "send-inventory") == 0)
        rc = upd_send_inventory(&cfg, data_dir);
    else if (strcmp(command, "commit") == 0)
        rc = upd_commit(&cfg, data_dir);
    else if (strcmp(command, "show-config") == 0)
        rc = upd_config_show(&cfg);
    else
        rc = upd_rollback(&cfg, data_dir);
    upd_provides_use_artifact_info(NULL);
    upd_config_free(&cfg);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"fallback-config", required_argument, NULL, 'b'},
        {"skipverify", no_argument, NULL, 'S'},
        {"reboot-exit-code", no_argument, NULL, 'R'},
        {"log-level", required_argument, NULL, 'l'},
        {"data", required_argument, NULL, 'd'},
        {"trusted-certs", required_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'v'},
        {NULL, 0, NULL, 0},
    };
    int err = keep_std_fds_open();
    if (err)
        return upd_fail("standard streams: /dev/null: %s", strerror(err));
    struct settings set = {.config = DEFAULT_CONFIG,
                           .fallback_config = DEFAULT_FALLBACK_CONFIG,
                           .data_dir = DEFAULT_DATA_DIR};
    int c;
    opterr = 0;
    /* No '+': GNU getopt moves options after the command in front of it, as
     * Mender's clients accept them there; a lone '-' (stdin) stays an argument. */
    while ((c = getopt_long(argc, argv, ":b:c:d:E:hl:v", options, NULL)) != -1) {
        switch (c) {
        case 'b':
            set.fallback_config = optarg;
            break;
        case 'c':
            set.config = optarg;
            break;
        case 'd':
            set.data_dir = optarg;
            break;
        case 'E':
            set.trusted_certs = optarg;
            break;
        case 'S':
            set.skip_verify = true;
            break;
        case 'R':
            set.reboot_exit_code = true;
            break;
        case 'l':
            if (upd_log_set_level(optarg) != UPD_EXIT_OK)
                return UPD_EXIT_FAILURE;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return UPD_EXIT_OK;
        case 'v':
            printf("artsig-update %s\n", artsig_version());
            return UPD_EXIT_OK;
        case ':':
            return usage_error("option %s needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("no command given");
    const char *command = argv[optind++];
    bool install = strcmp(command, "install") == 0;
    int want = install ? 1 : 0;
    if (!install && strcmp(command, "commit") != 0 && strcmp(command, "rollback") != 0 &&
        strcmp(command, "show-artifact") != 0 && strcmp(command, "show-provides") != 0 &&
        strcmp(command, "show-config") != 0 && strcmp(command, "daemon") != 0 &&
        strcmp(command, "check-update") != 0 && strcmp(command, "send-inventory") != 0)
        return usage_error("unknown command '%s'", command);
    /* As Mender's clients, which take it only with install. */
    if (set.reboot_exit_code && !install)
        return usage_error("--reboot-exit-code applies to install only");
    if (argc - optind != want)
        return usage_error(install ? "%s needs one ARTIFACT, URL or -" : "%s takes no arguments",
                           command);
    /* A module or script that stops reading what we write must fail that
     * write, not kill the client in the middle of an update. */
    signal(SIGPIPE, SIG_IGN);
    upd_stop_signals_catch();
    int rc = run_configured(command, install ? argv[optind] : NULL, &set);
    /* As a shell reports a command a signal ended. */
    return upd_stop_signal() ? 128 + upd_stop_signal() : rc;
}
