/* The remote signers' configuration, and the signer program (--sign-cmd)
 * run for real: small shell programs written into the scratch folder, and
 * the documented example (examples/sign-cmd-openssl.sh). Cloud KMS and
 * Vault are tested against mock servers elsewhere. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <artsig.h>

#include "testutil.h"

/* ---- configuration ---- */

struct setting {
    artsig_remote_option option;
    const char *value;
};

/* Each of the `n` settings, in order, gives status `want`. */
static void set_each(artsig_remote_config *cfg, const struct setting *settings, size_t n, int want)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(artsig_remote_config_set(cfg, settings[i].option, settings[i].value) == want,
                      "option %d, value '%s': not %d", (int)settings[i].option,
                      settings[i].value ? settings[i].value : "(null)", want);
}

#define SET_EACH(cfg, settings, want)                                                              \
    set_each(cfg, settings, sizeof settings / sizeof settings[0], want)

START_TEST(config_new_set_free)
{
    static const struct setting settings[] = {
        {ARTSIG_REMOTE_ENDPOINT, "http://127.0.0.1:1"},
        /* Set twice, then unset: back to the environment. */
        {ARTSIG_REMOTE_TOKEN, "s3cret"}, {ARTSIG_REMOTE_TOKEN, "other"}, {ARTSIG_REMOTE_TOKEN, NULL},
        {ARTSIG_REMOTE_MOUNT, "pki/transit"}, {ARTSIG_REMOTE_NAMESPACE, "team"},
        {ARTSIG_REMOTE_CA_FILE, "/ca.pem"}, {ARTSIG_REMOTE_CREDENTIALS, "/sa.json"},
        {ARTSIG_REMOTE_METADATA_HOST, "127.0.0.1:9"},
        {ARTSIG_REMOTE_TIMEOUT, "1"}, {ARTSIG_REMOTE_TIMEOUT, "3600"}, {ARTSIG_REMOTE_TIMEOUT, NULL},
        {ARTSIG_REMOTE_KEY_VERSION, "7"},
    };
    artsig_remote_config *cfg = NULL;
    ck_assert_int_eq(artsig_remote_config_new(&cfg), ARTSIG_OK);
    ck_assert_ptr_nonnull(cfg);
    SET_EACH(cfg, settings, ARTSIG_OK);
    artsig_remote_config_free(cfg);
    artsig_remote_config_free(NULL);
}
END_TEST

START_TEST(config_refusals)
{
    static const struct setting bad_timeouts[] = {
        {ARTSIG_REMOTE_TIMEOUT, "0"},  {ARTSIG_REMOTE_TIMEOUT, "abc"}, {ARTSIG_REMOTE_TIMEOUT, "3601"},
        {ARTSIG_REMOTE_TIMEOUT, ""},   {ARTSIG_REMOTE_TIMEOUT, "-1"},  {ARTSIG_REMOTE_TIMEOUT, " 5"},
        {ARTSIG_REMOTE_TIMEOUT, "5s"}, {ARTSIG_REMOTE_TIMEOUT, "+5"},
        {ARTSIG_REMOTE_TIMEOUT, "99999999999999999999999"},
    };
    static const struct setting bad_versions[] = {
        {ARTSIG_REMOTE_KEY_VERSION, "0"},  {ARTSIG_REMOTE_KEY_VERSION, "v1"},
        {ARTSIG_REMOTE_KEY_VERSION, ""},   {ARTSIG_REMOTE_KEY_VERSION, "-3"},
        {ARTSIG_REMOTE_KEY_VERSION, "4294967296"},
    };
    static const struct setting bad_options[] = {
        {(artsig_remote_option)99, "x"},
        {(artsig_remote_option)-1, "x"},
    };
    artsig_remote_config *cfg = NULL;
    ck_assert_int_eq(artsig_remote_config_new(NULL), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_remote_config_set(NULL, ARTSIG_REMOTE_TOKEN, "x"), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_remote_config_new(&cfg), ARTSIG_OK);
    SET_EACH(cfg, bad_options, ARTSIG_EINVAL);
    SET_EACH(cfg, bad_timeouts, ARTSIG_EINVAL);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "timeout"));
    SET_EACH(cfg, bad_versions, ARTSIG_EINVAL);
    artsig_remote_config_free(cfg);
}
END_TEST

/* ---- the signer program ---- */

static const uint8_t message[] = "the manifest: the bytes a signer program signs\n";

/* A program in the scratch folder, the tests' working folder: `name`
 * "./x" runs it. Returns `name`. */
static const char *program(const char *name, const char *body)
{
    const char *path = tmp(name);
    char *text;
    ck_assert_int_ge(asprintf(&text, "#!/bin/sh\n%s\n", body), 0);
    write_file(path, text, strlen(text));
    free(text);
    ck_assert_int_eq(chmod(path, 0755), 0);
    return name;
}

/* The documented example, signing with vector key `key`. */
static char *example_command(const char *key)
{
    const char *src = getenv("ARTSIG_SOURCE");
    ck_assert_msg(src != NULL, "ARTSIG_SOURCE is not set");
    char *key_path = vec_pathf("keys/%s", key);
    char *cmd;
    ck_assert_int_ge(asprintf(&cmd, "'%s/examples/sign-cmd-openssl.sh' '%s'", src, key_path),
                     0);
    free(key_path);
    return cmd;
}

/* Sign `msg` with `command`, checked with vector key `check`; the status,
 * with the signature in sig/sig_len. */
static int sign_msg(uint8_t *sig, size_t *sig_len, const char *command, const char *check,
                    const void *msg, size_t msg_len)
{
    artsig_key *key = load_vec_key(check);
    artsig_signer *signer = NULL;
    ck_assert_int_eq(artsig_signer_new_command(&signer, command, key), ARTSIG_OK);
    ck_assert_int_eq(artsig_signer_type(signer), artsig_key_get_type(key));
    *sig_len = ARTSIG_SIGNATURE_MAX;
    int rc = artsig_signer_sign(sig, sig_len, signer, msg, msg_len);
    artsig_signer_free(signer);
    artsig_key_free(key);
    return rc;
}

static int sign_with(const char *command, const char *check)
{
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len;
    return sign_msg(sig, &len, command, check, message, sizeof message - 1);
}

/* The signer waited for its program and closed what it opened. */
static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void assert_no_child(void)
{
    errno = 0;
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
    ck_assert_int_eq(errno, ECHILD);
}

static void assert_detail(const char *part)
{
    ck_assert_msg(strstr(artsig_last_error(), part) != NULL, "'%s' lacks '%s'",
                  artsig_last_error(), part);
}

START_TEST(example_signs_every_key_type)
{
    static const struct {
        const char *priv, *pub;
        size_t sig_len;
    } keys[] = {{"rsa3072.pkcs8.key", "rsa3072.pub", 384},
                {"rsa2048.pkcs1.key", "rsa2048.pub", 256},
                {"ecp256.pkcs8.key", "ecp256.pub", 64}, /* DER from openssl, stored r||s */
                {"ecp256.sec1.key", "ecp256.pub", 64},
                {"ed25519.key", "ed25519.pub", 64}};
    int fds = open_fds();
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char *cmd = example_command(keys[i].priv);
        uint8_t sig[ARTSIG_SIGNATURE_MAX];
        size_t len;
        int rc = sign_msg(sig, &len, cmd, keys[i].pub, message, sizeof message - 1);
        ck_assert_msg(rc == ARTSIG_OK, "%s: %s", keys[i].priv, artsig_last_error());
        ck_assert_uint_eq(len, keys[i].sig_len);
        artsig_key *pub = load_vec_key(keys[i].pub);
        ck_assert_int_eq(artsig_verify(pub, message, sizeof message - 1, sig, len), ARTSIG_OK);
        /* An empty message is one too (the program's stdin is at EOF at
         * once); OpenSSL 3.0's pkeyutl cannot sign an empty file. */
        size_t short_len = artsig_key_get_type(pub) == ARTSIG_KEY_ED25519 ? 1 : 0;
        rc = sign_msg(sig, &len, cmd, keys[i].pub, "x", short_len);
        ck_assert_msg(rc == ARTSIG_OK, "%s, empty: %s", keys[i].priv, artsig_last_error());
        ck_assert_int_eq(artsig_verify(pub, "x", short_len, sig, len), ARTSIG_OK);
        artsig_key_free(pub);
        free(cmd);
    }
    assert_no_child();
    ck_assert_int_eq(open_fds(), fds);
}
END_TEST

START_TEST(ecdsa_raw_and_wrapped_base64)
{
    /* r||s made here, printed by a program: Mender's own encoding. */
    artsig_key *priv = load_vec_key("ecp256.pkcs8.key");
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len = sizeof sig;
    ck_assert_int_eq(artsig_sign(sig, &len, priv, message, sizeof message - 1), ARTSIG_OK);
    ck_assert_uint_eq(len, 64);
    char text[ARTSIG_SIGNATURE_B64_MAX];
    ck_assert_int_eq(artsig_signature_encode(text, sig, len), ARTSIG_OK);
    write_file(tmp("raw.b64"), text, strlen(text));
    artsig_key_free(priv);
    ck_assert_int_eq(sign_with(program("./raw", "cat >/dev/null; cat raw.b64"), "ecp256.pub"),
                     ARTSIG_OK);
    /* Whitespace anywhere: `openssl base64` breaks lines every 64 characters. */
    ck_assert_int_eq(sh("openssl base64 -d -A -in raw.b64 | openssl base64 >wrapped.b64 && "
                        "[ $(wc -l <wrapped.b64) -eq 2 ]"),
                     0);
    ck_assert_int_eq(sign_with(program("./wrapped", "cat >/dev/null; printf '\\n\\t '; "
                                                  "cat wrapped.b64; echo"),
                               "ecp256.pub"),
                     ARTSIG_OK);
    /* The output may fill ARTSIG_SIGN_CMD_OUTPUT_MAX exactly, not one byte more. */
    char body[256];
    snprintf(body, sizeof body,
             "cat >/dev/null; cat raw.b64; head -c $((%d - $(wc -c <raw.b64) - %s)) /dev/zero "
             "| tr '\\0' ' '",
             ARTSIG_SIGN_CMD_OUTPUT_MAX, "0");
    ck_assert_int_eq(sign_with(program("./full", body), "ecp256.pub"), ARTSIG_OK);
    snprintf(body, sizeof body,
             "cat >/dev/null; cat raw.b64; head -c $((%d - $(wc -c <raw.b64) - %s)) /dev/zero "
             "| tr '\\0' ' '",
             ARTSIG_SIGN_CMD_OUTPUT_MAX, "-1");
    ck_assert_int_eq(sign_with(program("./over", body), "ecp256.pub"), ARTSIG_EREMOTE);
    assert_detail("more than 65536 bytes");
}
END_TEST

START_TEST(key_type_and_environment)
{
    static const struct {
        const char *pub, *type;
    } keys[] = {{"rsa3072.pub", "rsa"}, {"ecp256.pub", "ecdsa-p256"}, {"ed25519.pub", "ed25519"}};
    /* The caller's environment passes through; a stale key type does not. */
    ck_assert_int_eq(setenv("ARTSIG_TEST_MARK", "passed through", 1), 0);
    ck_assert_int_eq(setenv("ARTSIG_SIGN_KEY_TYPE", "stale", 1), 0);
    const char *cmd = program("./env", "cat >/dev/null; env | grep -c '^ARTSIG_SIGN_KEY_TYPE=' "
                                     ">count; printf %s \"$ARTSIG_SIGN_KEY_TYPE\" >type; "
                                     "printf %s \"$ARTSIG_TEST_MARK\" >mark; exit 1");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        ck_assert_int_eq(sign_with(cmd, keys[i].pub), ARTSIG_EREMOTE);
        size_t len;
        char *type = (char *)slurp(tmp("type"), &len);
        ck_assert_str_eq(type, keys[i].type);
        free(type);
        char *count = (char *)slurp(tmp("count"), &len);
        ck_assert_str_eq(count, "1\n");
        free(count);
        char *mark = (char *)slurp(tmp("mark"), &len);
        ck_assert_str_eq(mark, "passed through");
        free(mark);
    }
    /* The program reads exactly the message. */
    ck_assert_int_eq(sign_with(program("./copy", "cat >got; exit 1"), "ecp256.pub"),
                     ARTSIG_EREMOTE);
    size_t len;
    uint8_t *got = slurp(tmp("got"), &len);
    ck_assert_uint_eq(len, sizeof message - 1);
    ck_assert_mem_eq(got, message, len);
    free(got);
    unsetenv("ARTSIG_SIGN_KEY_TYPE");
}
END_TEST

START_TEST(program_failures)
{
    int fds = open_fds();
    ck_assert_int_eq(sign_with(program("./exit3", "cat >/dev/null; exit 3"), "ecp256.pub"),
                     ARTSIG_EREMOTE);
    assert_detail("the signer program exited with status 3");
    ck_assert_int_eq(sign_with("kill -9 $$", "ecp256.pub"), ARTSIG_EREMOTE);
    assert_detail("the signer program was killed by signal 9");
    ck_assert_int_eq(sign_with("/nonexistent/artsig-signer-program 2>/dev/null", "ecp256.pub"),
                     ARTSIG_EREMOTE);
    assert_detail("status 127 (command not found)");
    /* Exit 0 without a signature, or with anything but standard base64. */
    static const char *const garbage[] = {
        "cat >/dev/null",
        "cat >/dev/null; echo",
        "cat >/dev/null; echo 'not base64!'",
        "cat >/dev/null; echo 'AAAA AAA'",      /* no padding */
        "cat >/dev/null; echo 'AA-_AA=='",      /* base64url */
        "cat >/dev/null; printf 'AAAA\\0AAAA'", /* a NUL */
        "cat >/dev/null; echo 'AAAA'; echo 'signed!'",
    };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        ck_assert_msg(sign_with(garbage[i], "ecp256.pub") == ARTSIG_EREMOTE, "'%s': %s",
                      garbage[i], artsig_last_error());
        assert_detail("the signer program printed no base64 signature");
    }
    /* Too much output, finite or not: the program is stopped, not waited out. */
    ck_assert_int_eq(sign_with("cat >/dev/null; head -c 70000 /dev/zero | tr '\\0' A",
                               "ecp256.pub"),
                     ARTSIG_EREMOTE);
    assert_detail("printed more than 65536 bytes");
    ck_assert_int_eq(sign_with("yes AAAA", "ecp256.pub"), ARTSIG_EREMOTE);
    assert_detail("printed more than 65536 bytes");
    ck_assert_int_eq(sign_with("cat >/dev/null; head -c 1025 /dev/zero | openssl base64",
                               "rsa3072.pub"),
                     ARTSIG_EREMOTE);
    assert_detail("a signature of 1025 bytes, more than 1024");
    /* A signature of someone else's key, and one that is no signature. */
    char *cmd = example_command("ecp256b.sec1.key");
    ck_assert_int_eq(sign_with(cmd, "ecp256.pub"), ARTSIG_EVERIFY);
    assert_detail("the signer program");
    free(cmd);
    cmd = example_command("rsa3072.pkcs8.key");
    ck_assert_int_eq(sign_with(cmd, "ecp256.pub"), ARTSIG_EREMOTE);
    assert_detail("the signer program returned 384 bytes for ecdsa-p256, neither DER nor r||s");
    free(cmd);
    cmd = example_command("rsa2048.pkcs8.key");
    ck_assert_int_eq(sign_with(cmd, "rsa3072.pub"), ARTSIG_EVERIFY);
    free(cmd);
    assert_no_child();
    ck_assert_int_eq(open_fds(), fds);
}
END_TEST

START_TEST(program_that_does_not_read)
{
    /* Were SIGPIPE raised in this process, the test would die of it. */
    signal(SIGPIPE, SIG_DFL);
    size_t big = (size_t)8 << 20;
    uint8_t *msg = calloc(1, big);
    ck_assert_ptr_nonnull(msg);
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len;
    ck_assert_int_eq(sign_msg(sig, &len, "exit 7", "ecp256.pub", msg, big), ARTSIG_EREMOTE);
    assert_detail("status 7");
    ck_assert_int_eq(sign_msg(sig, &len, "exec 0<&-; sleep 0.1; echo AAAA", "ecp256.pub", msg,
                              big),
                     ARTSIG_EREMOTE);
    /* Reading part of it, then printing before reading the rest. */
    ck_assert_int_eq(sign_msg(sig, &len, "head -c 1000 >/dev/null; head -c 70000 /dev/zero",
                              "ecp256.pub", msg, big),
                     ARTSIG_EREMOTE);
    free(msg);
    assert_no_child();
}
END_TEST

START_TEST(caller_without_stdio)
{
    /* New descriptors then take the numbers 0 and 1 the program's stdin and
     * stdout are made from. */
    char *cmd = example_command("ecp256.pkcs8.key");
    int saved_in = dup(STDIN_FILENO), saved_out = dup(STDOUT_FILENO);
    ck_assert_int_ge(saved_in, 0);
    ck_assert_int_ge(saved_out, 0);
    close(STDIN_FILENO);
    close(STDOUT_FILENO);
    int rc = sign_with(cmd, "ecp256.pub");
    ck_assert_int_eq(dup2(saved_in, STDIN_FILENO), STDIN_FILENO);
    ck_assert_int_eq(dup2(saved_out, STDOUT_FILENO), STDOUT_FILENO);
    close(saved_in);
    close(saved_out);
    ck_assert_msg(rc == ARTSIG_OK, "%s", artsig_last_error());
    free(cmd);
}
END_TEST

struct worker {
    artsig_signer *signer;
    int failures;
};

static void *sign_repeatedly(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 5; i++) {
        uint8_t sig[ARTSIG_SIGNATURE_MAX];
        size_t len = sizeof sig;
        if (artsig_signer_sign(sig, &len, w->signer, message, sizeof message - 1) != ARTSIG_OK)
            w->failures++;
    }
    return NULL;
}

START_TEST(concurrent_signatures)
{
    /* Each program must see the end of its own input and its stdout's
     * reader only the program: no descriptor leaks into another's child. */
    char *cmd = example_command("ed25519.key");
    artsig_key *pub = load_vec_key("ed25519.pub");
    artsig_signer *signer;
    ck_assert_int_eq(artsig_signer_new_command(&signer, cmd, pub), ARTSIG_OK);
    struct worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){signer, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, sign_repeatedly, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        ck_assert_int_eq(w[i].failures, 0);
    }
    artsig_signer_free(signer);
    artsig_key_free(pub);
    free(cmd);
    assert_no_child();
}
END_TEST

START_TEST(arguments)
{
    artsig_key *pub = load_vec_key("ecp256.pub");
    artsig_key *priv = load_vec_key("ecp256.pkcs8.key");
    artsig_signer *signer = NULL;
    ck_assert_int_eq(artsig_signer_new_command(NULL, "true", pub), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_signer_new_command(&signer, NULL, pub), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_signer_new_command(&signer, "true", NULL), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_signer_new_command(&signer, "", pub), ARTSIG_EINVAL);
    ck_assert_ptr_null(signer);
    /* A private key does as well: only its public half is used. */
    char *cmd = example_command("ecp256.pkcs8.key");
    ck_assert_int_eq(artsig_signer_new_command(&signer, cmd, priv), ARTSIG_OK);
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len = sizeof sig;
    ck_assert_int_eq(artsig_signer_sign(sig, &len, signer, message, sizeof message - 1),
                     ARTSIG_OK);
    ck_assert_int_eq(artsig_verify(pub, message, sizeof message - 1, sig, len), ARTSIG_OK);
    artsig_signer_free(signer);
    artsig_key_free(pub);
    artsig_key_free(priv);
    free(cmd);
}
END_TEST

/* Programs run in the caller's folder: the scratch folder, for their files. */
static void enter_scratch(void)
{
    ck_assert_int_eq(chdir(tmp(".")), 0);
}

static Suite *remote_suite(void)
{
    Suite *s = suite_create("remote");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, config_new_set_free);
    tcase_add_test(tc, config_refusals);
    suite_add_tcase(s, tc);
    tc = scratch_tcase("command");
    tcase_add_checked_fixture(tc, enter_scratch, NULL);
    tcase_add_test(tc, example_signs_every_key_type);
    tcase_add_test(tc, ecdsa_raw_and_wrapped_base64);
    tcase_add_test(tc, key_type_and_environment);
    tcase_add_test(tc, program_failures);
    tcase_add_test(tc, program_that_does_not_read);
    tcase_add_test(tc, caller_without_stdio);
    tcase_add_test(tc, concurrent_signatures);
    tcase_add_test(tc, arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(remote_suite());
}
