/* A remote signer in a process that can be dumped (the artsig CLI makes
 * itself non-dumpable), for secrets_core.sh to take a core of while a
 * signing call waits on the mock service: what the library keeps in memory
 * is then in the core, unless the library wipes it or keeps it out of dumps.
 *
 * Usage: secret-holder gcp KEY_VERSION_NAME CREDENTIALS_FILE
 *        secret-holder vault KEY_NAME TOKEN_FILE
 * The endpoints come from the environment. The token file is read into a
 * buffer this program wipes, so that its only copies are the library's. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include <sodium.h>

#include <artsig.h>

static int read_token(char *buf, size_t size, const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    if (f)
        fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    return n > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return fprintf(stderr, "usage: secret-holder gcp|vault NAME FILE\n"), 2;
    /* Yama's ptrace_scope 1 would let only an ancestor take the core. */
    prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
    bool gcp = strcmp(argv[1], "gcp") == 0;
    artsig_remote_config *cfg = NULL;
    artsig_signer *signer = NULL;
    char token[4096];
    int rc = artsig_remote_config_new(&cfg);
    if (rc == ARTSIG_OK && gcp)
        rc = artsig_remote_config_set(cfg, ARTSIG_REMOTE_CREDENTIALS, argv[3]);
    if (rc == ARTSIG_OK && !gcp) {
        rc = read_token(token, sizeof token, argv[3]) == 0
                 ? artsig_remote_config_set(cfg, ARTSIG_REMOTE_TOKEN, token)
                 : ARTSIG_EINVAL;
        sodium_memzero(token, sizeof token);
    }
    if (rc == ARTSIG_OK)
        rc = gcp ? artsig_signer_new_gcp_kms(&signer, argv[2], cfg)
                 : artsig_signer_new_vault_transit(&signer, argv[2], cfg);
    artsig_remote_config_free(cfg);
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t sig_len = sizeof sig;
    if (rc == ARTSIG_OK)
        rc = artsig_signer_sign(sig, &sig_len, signer, "a message", 9);
    artsig_signer_free(signer);
    if (rc != ARTSIG_OK)
        fprintf(stderr, "secret-holder: %s\n", artsig_last_error());
    return rc == ARTSIG_OK ? 0 : 1;
}
