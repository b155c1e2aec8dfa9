/* PKCS#11 keys by URI, against a real software token: SoftHSM2 with a token
 * directory of its own (SOFTHSM2_CONF), keys imported from the vectors and
 * generated in the token. */
#include <check.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <artsig.h>
#include <p11-kit/pkcs11.h>

#include "testutil.h"

#ifndef SOFTHSM_MODULE
#define SOFTHSM_MODULE "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"
#endif

static char token_dir[] = "/tmp/artsig-p11-XXXXXX";
static const char *shim_module; /* tests/p11shim.so, from argv */

static const char message[] = "0123456789abcdef  data/0000/rootfs.ext4\n";
#define MSG_LEN (sizeof message - 1)

/* A URI for the test token: `rest` is path attributes, optionally followed
 * by '?' and query attributes; the module joins the query (static buffer,
 * rotating). */
static const char *uri(const char *rest)
{
    static char bufs[4][1024];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof bufs[0], "pkcs11:token=artsig;%s%cmodule-path=%s", rest,
             strchr(rest, '?') ? '&' : '?', SOFTHSM_MODULE);
    return b;
}

static artsig_signer *signer_ok(const char *u)
{
    artsig_signer *s = NULL;
    int rc = artsig_signer_new_pkcs11(&s, u, NULL, NULL);
    ck_assert_msg(rc == ARTSIG_OK, "%s: %s", u, artsig_last_error());
    return s;
}

static artsig_key *key_ok(const char *u)
{
    artsig_key *k = NULL;
    int rc = artsig_key_load_pkcs11(&k, u, NULL, NULL);
    ck_assert_msg(rc == ARTSIG_OK, "%s: %s", u, artsig_last_error());
    return k;
}

static void assert_same_key(const artsig_key *a, const artsig_key *b)
{
    char fa[65], fb[65];
    ck_assert_int_eq(artsig_key_fingerprint_hex(fa, a), ARTSIG_OK);
    ck_assert_int_eq(artsig_key_fingerprint_hex(fb, b), ARTSIG_OK);
    ck_assert_str_eq(fa, fb);
}

static size_t sign_with(uint8_t sig[ARTSIG_SIGNATURE_MAX], artsig_signer *s)
{
    size_t len = 0;
    int rc = artsig_signer_sign(sig, &len, s, message, MSG_LEN);
    ck_assert_msg(rc == ARTSIG_OK, "sign: %s", artsig_last_error());
    return len;
}

/* SoftHSM's functions, for a test to drive the module beside libartsig. */
static CK_FUNCTION_LIST_PTR softhsm_functions(void **dl)
{
    *dl = dlopen(SOFTHSM_MODULE, RTLD_NOW);
    ck_assert_ptr_nonnull(*dl);
    CK_C_GetFunctionList get;
    *(void **)&get = dlsym(*dl, "C_GetFunctionList");
    ck_assert_ptr_nonnull(get);
    CK_FUNCTION_LIST_PTR f;
    ck_assert_int_eq(get(&f), CKR_OK);
    return f;
}

/* ---- URIs ----------------------------------------------------------------- */

START_TEST(recognises_uris)
{
    ck_assert_int_eq(artsig_is_pkcs11_uri("pkcs11:object=x"), 1);
    ck_assert_int_eq(artsig_is_pkcs11_uri("PKCS11:"), 1);
    ck_assert_int_eq(artsig_is_pkcs11_uri("/etc/mender/key.pem"), 0);
    ck_assert_int_eq(artsig_is_pkcs11_uri("pkcs11"), 0);
    ck_assert_int_eq(artsig_is_pkcs11_uri(NULL), 0);
}
END_TEST

static const char *const malformed_uris[] = {
    "file:///key.pem",
    "pkcs11:frobnicate=1",
    "pkcs11:object",
    "pkcs11:object=a;object=b",
    "pkcs11:object=%zz",
    "pkcs11:object=%4",
    "pkcs11:object=a%00b",
    "pkcs11:object=with space",
    "pkcs11:type=secret-key",
    "pkcs11:slot-id=-1",
    "pkcs11:slot-id=12x",
    "pkcs11:module-path=/x.so",
    "pkcs11:object=a?token=b",
    "pkcs11:object=a?pin-value=1&pin-source=/p",
    "pkcs11:object=a?module-path=/a.so&module-name=b",
    "pkcs11:object=a?module-name=../../tmp/evil",
};

START_TEST(malformed_uri_is_refused)
{
    artsig_key *k = NULL;
    int rc = artsig_key_load_pkcs11(&k, malformed_uris[_i], NULL, NULL);
    ck_assert_msg(rc == ARTSIG_EINVAL, "%s: %d %s", malformed_uris[_i], rc, artsig_last_error());
    ck_assert_ptr_null(k);
    artsig_signer *s = NULL;
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, malformed_uris[_i], NULL, NULL), ARTSIG_EINVAL);
    ck_assert_ptr_null(s);
}
END_TEST

START_TEST(overlong_uri_and_pin_are_limits)
{
    size_t n = ARTSIG_PKCS11_URI_MAX + 10;
    char *long_uri = malloc(n + 1);
    memcpy(long_uri, "pkcs11:object=", 14);
    memset(long_uri + 14, 'a', n - 14);
    long_uri[n] = 0;
    artsig_key *k = NULL;
    ck_assert_int_eq(artsig_key_load_pkcs11(&k, long_uri, NULL, NULL), ARTSIG_ELIMIT);
    snprintf(long_uri, n, "pkcs11:object=a?pin-value=%0*d", ARTSIG_PKCS11_PIN_MAX + 1, 0);
    ck_assert_int_eq(artsig_key_load_pkcs11(&k, long_uri, NULL, NULL), ARTSIG_ELIMIT);
    free(long_uri);
}
END_TEST

START_TEST(vendor_attributes_are_ignored)
{
    artsig_key *k = key_ok(uri("object=imp-rsa;type=public;x-vendor=1"));
    artsig_key_free(k);
}
END_TEST

/* ---- public keys ---------------------------------------------------------- */

START_TEST(public_objects_match_the_vector_keys)
{
    static const struct {
        const char *path, *pub;
    } cases[] = {
        {"object=imp-rsa;type=public", "rsa3072.pub"},
        {"object=imp-ec;type=public", "ecp256.pub"},
        {"object=imp-rsa", "rsa3072.pub"},      /* any type: the public object */
        {"id=%01;type=public", "rsa3072.pub"},  /* by CKA_ID, percent-encoded */
        {"object=imp%2dec", "ecp256.pub"},      /* percent-encoded label */
        {"object=imp-rsa;type=private;pin-value=1234", "rsa3072.pub"},
        {"object=imp-ec;type=private;pin-value=1234", "ecp256.pub"}, /* via CKA_ID */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        artsig_key *k = key_ok(uri(cases[i].path));
        artsig_key *want = load_vec_key(cases[i].pub);
        ck_assert_int_eq(artsig_key_is_private(k), 0);
        assert_same_key(k, want);
        artsig_key_free(k);
        artsig_key_free(want);
    }
}
END_TEST

START_TEST(certificate_object_gives_its_key)
{
    artsig_key *k = key_ok(uri("object=cert-ec;type=cert"));
    artsig_key *want = load_vec_key("ecp256.pub");
    assert_same_key(k, want);
    artsig_key_free(k);
    artsig_key_free(want);
}
END_TEST

/* ---- signing -------------------------------------------------------------- */

START_TEST(rsa_signature_equals_software_signature)
{
    /* PKCS#1 v1.5 is deterministic: the token must give the same bytes. */
    artsig_signer *s = signer_ok(uri("object=imp-rsa;type=private?pin-value=1234"));
    ck_assert_int_eq(artsig_signer_type(s), ARTSIG_KEY_RSA);
    uint8_t sig[ARTSIG_SIGNATURE_MAX], soft[ARTSIG_SIGNATURE_MAX];
    size_t len = sign_with(sig, s);
    artsig_key *priv = load_vec_key("rsa3072.pkcs8.key");
    size_t soft_len = 0;
    ck_assert_int_eq(artsig_sign(soft, &soft_len, priv, message, MSG_LEN), ARTSIG_OK);
    ck_assert_uint_eq(len, soft_len);
    ck_assert_mem_eq(sig, soft, len);
    artsig_key_free(priv);
    artsig_signer_free(s);
}
END_TEST

START_TEST(rsa_falls_back_to_raw_pkcs1)
{
    /* A token without CKM_SHA256_RSA_PKCS: CKM_RSA_PKCS over a DigestInfo
     * must give the very same signature. */
    char u[1024];
    snprintf(u, sizeof u, "pkcs11:token=artsig;object=imp-rsa;type=private?module-path=%s&"
             "pin-value=1234", shim_module);
    setenv("P11SHIM_HIDE", "40", 1); /* CKM_SHA256_RSA_PKCS */
    artsig_signer *s = signer_ok(u);
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len = sign_with(sig, s);
    artsig_key *pub = load_vec_key("rsa3072.pub");
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, sig, len), ARTSIG_OK);
    artsig_key_free(pub);
    artsig_signer_free(s);
}
END_TEST

START_TEST(missing_mechanism_is_named)
{
    char u[1024];
    snprintf(u, sizeof u, "pkcs11:token=artsig;object=imp-ec;type=private?module-path=%s&"
             "pin-value=1234", shim_module);
    setenv("P11SHIM_HIDE", "1041", 1); /* CKM_ECDSA */
    artsig_signer *s = NULL;
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, u, NULL, NULL), ARTSIG_EMECHANISM);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "CKM_ECDSA"));
}
END_TEST

START_TEST(ecdsa_signature_is_raw_and_verifies)
{
    artsig_signer *s = signer_ok(uri("object=imp-ec;type=private;pin-value=1234"));
    ck_assert_int_eq(artsig_signer_type(s), ARTSIG_KEY_ECDSA_P256);
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    ck_assert_uint_eq(sign_with(sig, s), 64);
    artsig_key *pub = load_vec_key("ecp256.pub");
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, sig, 64), ARTSIG_OK);
    artsig_key_free(pub);
    artsig_signer_free(s);
}
END_TEST

START_TEST(ed25519_generated_in_token_signs)
{
    artsig_signer *s = signer_ok(uri("object=gen-ed;type=private?pin-value=1234"));
    ck_assert_int_eq(artsig_signer_type(s), ARTSIG_KEY_ED25519);
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t len = sign_with(sig, s);
    ck_assert_uint_eq(len, 64);
    artsig_key *pub = key_ok(uri("object=gen-ed;type=public"));
    ck_assert_int_eq(artsig_key_get_type(pub), ARTSIG_KEY_ED25519);
    ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, sig, len), ARTSIG_OK);
    artsig_key_free(pub);
    artsig_signer_free(s);
}
END_TEST

START_TEST(signer_signs_artifact_manifest_repeatedly)
{
    /* One session serves many signatures. */
    artsig_signer *s = signer_ok(uri("object=imp-ec?pin-value=1234"));
    artsig_key *pub = load_vec_key("ecp256.pub");
    for (int i = 0; i < 5; i++) {
        uint8_t sig[ARTSIG_SIGNATURE_MAX];
        size_t len = sign_with(sig, s);
        ck_assert_int_eq(artsig_verify(pub, message, MSG_LEN, sig, len), ARTSIG_OK);
    }
    artsig_key_free(pub);
    artsig_signer_free(s);
}
END_TEST

/* A PKCS#11 login belongs to the whole process, per token: a signer that
 * logged out as it closed used to log out the other threads' signers too.
 * Each thread opens and closes signers all along, a few signatures each
 * (a signer's start costs more than a signature, most under sanitizers). */
enum { SIGNING_THREADS = 4, SIGNATURES_PER_THREAD = 500, SIGNATURES_PER_SIGNER = 5 };

struct signing_thread {
    pthread_t id;
    const char *uri;
    const artsig_key *pub;
    int failures;
    char first_error[256];
};

static void *sign_with_fresh_signers(void *arg)
{
    struct signing_thread *t = arg;
    for (int i = 0; i < SIGNATURES_PER_THREAD; i += SIGNATURES_PER_SIGNER) {
        artsig_signer *s = NULL;
        int rc = artsig_signer_new_pkcs11(&s, t->uri, NULL, NULL);
        for (int j = 0; j < SIGNATURES_PER_SIGNER; j++) {
            uint8_t sig[ARTSIG_SIGNATURE_MAX];
            size_t len = 0;
            if (rc == ARTSIG_OK)
                rc = artsig_signer_sign(sig, &len, s, message, MSG_LEN);
            if (rc == ARTSIG_OK)
                rc = artsig_verify(t->pub, message, MSG_LEN, sig, len);
        }
        if (rc != ARTSIG_OK && t->failures++ == 0)
            snprintf(t->first_error, sizeof t->first_error, "%s", artsig_last_error());
        artsig_signer_free(s);
    }
    return NULL;
}

/* The user state of the token as seen from a session of the test's own. */
static CK_STATE session_state(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE h)
{
    CK_SESSION_INFO info;
    ck_assert_int_eq(f->C_GetSessionInfo(h, &info), CKR_OK);
    return info.state;
}

START_TEST(concurrent_signers_keep_the_token_logged_in)
{
    /* The test's own session on the token, open all along, keeps the module
     * from logging out by itself when libartsig's sessions close. */
    void *dl;
    CK_FUNCTION_LIST_PTR f = softhsm_functions(&dl);
    CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
    ck_assert_int_eq(f->C_Initialize(&args), CKR_OK);
    CK_SLOT_ID slots[8];
    CK_ULONG n_slots = 8;
    ck_assert_int_eq(f->C_GetSlotList(CK_TRUE, slots, &n_slots), CKR_OK);
    CK_TOKEN_INFO token;
    CK_ULONG at = 0;
    while (at < n_slots && (f->C_GetTokenInfo(slots[at], &token) != CKR_OK ||
                            memcmp(token.label, "artsig ", 7) != 0))
        at++;
    ck_assert_uint_lt(at, n_slots);
    CK_SESSION_HANDLE h;
    ck_assert_int_eq(f->C_OpenSession(slots[at], CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);

    const char *signer_uri = uri("object=imp-ec?pin-value=1234");
    artsig_key *pub = load_vec_key("ecp256.pub");
    struct signing_thread threads[SIGNING_THREADS];
    for (int i = 0; i < SIGNING_THREADS; i++) {
        threads[i] = (struct signing_thread){.uri = signer_uri, .pub = pub};
        ck_assert_int_eq(pthread_create(&threads[i].id, NULL, sign_with_fresh_signers,
                                        &threads[i]), 0);
    }
    int failures = 0;
    for (int i = 0; i < SIGNING_THREADS; i++) {
        pthread_join(threads[i].id, NULL);
        failures += threads[i].failures;
        if (threads[i].failures)
            fprintf(stderr, "thread %d: %d failures, the first: %s\n", i, threads[i].failures,
                    threads[i].first_error);
    }
    ck_assert_int_eq(failures, 0);
    /* The last signer to go logged out. */
    ck_assert_int_eq(session_state(f, h), CKS_RO_PUBLIC_SESSION);

    /* A login that was there before libartsig's stays after it. */
    ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR) "1234", 4), CKR_OK);
    artsig_signer_free(signer_ok(signer_uri));
    ck_assert_int_eq(session_state(f, h), CKS_RO_USER_FUNCTIONS);

    artsig_key_free(pub);
    ck_assert_int_eq(f->C_Finalize(NULL), CKR_OK);
    dlclose(dl);
}
END_TEST

/* ---- PINs ----------------------------------------------------------------- */

static int pin_cb(char *buf, size_t size, void *userdata)
{
    const char *pin = userdata;
    if (!pin || strlen(pin) > size)
        return -1;
    memcpy(buf, pin, strlen(pin));
    return (int)strlen(pin);
}

START_TEST(pin_from_callback_or_file)
{
    artsig_signer *s = NULL;
    const char *u = uri("object=imp-ec;type=private");
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, u, pin_cb, "1234"), ARTSIG_OK);
    artsig_signer_free(s);
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, u, pin_cb, NULL), ARTSIG_EPIN);
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, u, pin_cb, "9999"), ARTSIG_EPIN);

    write_file(tmp("pin"), "1234\n", 5);
    char with_file[1024];
    snprintf(with_file, sizeof with_file, "%s&pin-source=%s", u, tmp("pin"));
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, with_file, NULL, NULL), ARTSIG_OK);
    artsig_signer_free(s);
    snprintf(with_file, sizeof with_file, "%s&pin-source=file://%s", u, tmp("pin"));
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, with_file, NULL, NULL), ARTSIG_OK);
    artsig_signer_free(s);
    snprintf(with_file, sizeof with_file, "%s&pin-source=%s", u, tmp("no-such-pin"));
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, with_file, NULL, NULL), ARTSIG_ENOENT);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), tmp("no-such-pin")));
    ck_assert_int_eq(sh("head -c 300 /dev/zero | tr '\\0' 1 > long-pin"), 0);
    snprintf(with_file, sizeof with_file, "%s&pin-source=%s", u, tmp("long-pin"));
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, with_file, NULL, NULL), ARTSIG_EPIN);
}
END_TEST

START_TEST(missing_pin_is_named)
{
    artsig_signer *s = NULL;
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, uri("object=imp-ec;type=private"), NULL, NULL),
                     ARTSIG_EPIN);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "needs a PIN"));
}
END_TEST

START_TEST(wrong_pin_is_named)
{
    artsig_signer *s = NULL;
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, uri("object=imp-ec?pin-value=0000"), NULL,
                                              NULL),
                     ARTSIG_EPIN);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "wrong PIN"));
    ck_assert_ptr_null(s);
}
END_TEST

/* ---- what cannot be found or used ----------------------------------------- */

START_TEST(missing_object_names_the_uri_but_not_the_pin)
{
    artsig_signer *s = NULL;
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, uri("object=nosuch;pin-value=1234"), NULL,
                                              NULL),
                     ARTSIG_ENOTFOUND);
    const char *detail = artsig_last_error();
    ck_assert_ptr_nonnull(strstr(detail, "object=nosuch"));
    ck_assert_ptr_null(strstr(detail, "1234"));
    artsig_key *k = NULL;
    ck_assert_int_eq(artsig_key_load_pkcs11(&k, uri("object=nosuch"), NULL, NULL),
                     ARTSIG_ENOTFOUND);
}
END_TEST

START_TEST(missing_module_is_named)
{
    artsig_key *k = NULL;
    ck_assert_int_eq(artsig_key_load_pkcs11(&k, "pkcs11:object=a?module-path=/nonexistent/p11.so",
                                            NULL, NULL),
                     ARTSIG_EMODULE);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "/nonexistent/p11.so"));
    ck_assert_int_eq(artsig_key_load_pkcs11(&k, "pkcs11:object=a?module-name=nosuchmodule", NULL,
                                            NULL),
                     ARTSIG_EMODULE);
    /* A library that is not a PKCS#11 module. */
    char u[512];
    snprintf(u, sizeof u, "pkcs11:object=a?module-path=%s", "libz.so.1");
    ck_assert_int_eq(artsig_key_load_pkcs11(&k, u, NULL, NULL), ARTSIG_EMODULE);
}
END_TEST

START_TEST(absent_token_is_named)
{
    artsig_signer *s = NULL;
    char u[1024];
    snprintf(u, sizeof u, "pkcs11:token=nosuch;object=imp-ec?module-path=%s&pin-value=1234",
             SOFTHSM_MODULE);
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, u, NULL, NULL), ARTSIG_ENOTOKEN);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "token=nosuch"));
}
END_TEST

START_TEST(unsupported_key_type_is_refused)
{
    artsig_signer *s = NULL;
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, uri("object=gen-p384?pin-value=1234"), NULL,
                                              NULL),
                     ARTSIG_EKEYUNSUPPORTED);
    artsig_key *k = NULL;
    ck_assert_int_eq(artsig_key_load_pkcs11(&k, uri("object=gen-p384;type=public"), NULL, NULL),
                     ARTSIG_EKEYUNSUPPORTED);
}
END_TEST

START_TEST(signer_needs_private_object)
{
    artsig_signer *s = NULL;
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, uri("object=imp-ec;type=public"), NULL, NULL),
                     ARTSIG_EKEYROLE);
}
END_TEST

START_TEST(ambiguous_uri_is_refused)
{
    /* Both imported keys are private key objects: a URI without object or
     * id must not pick one of them at random. */
    artsig_signer *s = NULL;
    ck_assert_int_eq(artsig_signer_new_pkcs11(&s, uri("type=private;pin-value=1234"), NULL, NULL),
                     ARTSIG_EINVAL);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "more than one"));
}
END_TEST

/* ---- module selection ----------------------------------------------------- */

START_TEST(module_from_environment_name_or_proxy)
{
    artsig_key *k;
    setenv(ARTSIG_PKCS11_MODULE_ENV, SOFTHSM_MODULE, 1);
    k = key_ok("pkcs11:token=artsig;object=imp-ec;type=public");
    artsig_key_free(k);
    unsetenv(ARTSIG_PKCS11_MODULE_ENV);
    /* p11-kit's registration of SoftHSM. */
    k = key_ok("pkcs11:token=artsig;object=imp-ec;type=public?module-name=softhsm2");
    artsig_key_free(k);
    /* p11-kit's proxy, which loads every registered module. */
    k = key_ok("pkcs11:token=artsig;object=imp-ec;type=public");
    artsig_key_free(k);
}
END_TEST

START_TEST(module_initialised_elsewhere_is_left_running)
{
    void *dl;
    CK_FUNCTION_LIST_PTR f = softhsm_functions(&dl);
    ck_assert_int_eq(f->C_Initialize(NULL), CKR_OK);

    artsig_signer *s = signer_ok(uri("object=imp-ec?pin-value=1234"));
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    sign_with(sig, s);
    artsig_signer_free(s);

    /* Still initialised for its owner. */
    CK_INFO info;
    ck_assert_int_eq(f->C_GetInfo(&info), CKR_OK);
    ck_assert_int_eq(f->C_Finalize(NULL), CKR_OK);
    dlclose(dl);
}
END_TEST

START_TEST(module_started_by_libartsig_is_finalised)
{
    void *dl;
    CK_FUNCTION_LIST_PTR f = softhsm_functions(&dl);

    artsig_signer *s = signer_ok(uri("object=imp-ec?pin-value=1234"));
    artsig_key *k = key_ok(uri("object=imp-ec;type=public"));
    CK_INFO info;
    ck_assert_int_eq(f->C_GetInfo(&info), CKR_OK);
    artsig_key_free(k);
    /* The signer still holds the module. */
    ck_assert_int_eq(f->C_GetInfo(&info), CKR_OK);
    artsig_signer_free(s);
    ck_assert_int_eq(f->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
    dlclose(dl);
}
END_TEST

static Suite *pkcs11_suite(void)
{
    Suite *s = suite_create("pkcs11");
    TCase *tc = scratch_tcase("uri");
    tcase_add_test(tc, recognises_uris);
    tcase_add_loop_test(tc, malformed_uri_is_refused, 0,
                        sizeof malformed_uris / sizeof malformed_uris[0]);
    tcase_add_test(tc, overlong_uri_and_pin_are_limits);
    tcase_add_test(tc, vendor_attributes_are_ignored);
    suite_add_tcase(s, tc);

    tc = scratch_tcase("keys");
    tcase_add_test(tc, public_objects_match_the_vector_keys);
    tcase_add_test(tc, certificate_object_gives_its_key);
    suite_add_tcase(s, tc);

    tc = scratch_tcase("signing");
    tcase_add_test(tc, rsa_signature_equals_software_signature);
    tcase_add_test(tc, rsa_falls_back_to_raw_pkcs1);
    tcase_add_test(tc, missing_mechanism_is_named);
    tcase_add_test(tc, ecdsa_signature_is_raw_and_verifies);
    tcase_add_test(tc, ed25519_generated_in_token_signs);
    tcase_add_test(tc, signer_signs_artifact_manifest_repeatedly);
    tcase_add_test(tc, concurrent_signers_keep_the_token_logged_in);
    suite_add_tcase(s, tc);

    tc = scratch_tcase("pins");
    tcase_add_test(tc, pin_from_callback_or_file);
    tcase_add_test(tc, missing_pin_is_named);
    tcase_add_test(tc, wrong_pin_is_named);
    suite_add_tcase(s, tc);

    tc = scratch_tcase("errors");
    tcase_add_test(tc, missing_object_names_the_uri_but_not_the_pin);
    tcase_add_test(tc, missing_module_is_named);
    tcase_add_test(tc, absent_token_is_named);
    tcase_add_test(tc, unsupported_key_type_is_refused);
    tcase_add_test(tc, signer_needs_private_object);
    tcase_add_test(tc, ambiguous_uri_is_refused);
    suite_add_tcase(s, tc);

    tc = scratch_tcase("modules");
    tcase_add_test(tc, module_from_environment_name_or_proxy);
    tcase_add_test(tc, module_initialised_elsewhere_is_left_running);
    tcase_add_test(tc, module_started_by_libartsig_is_finalised);
    suite_add_tcase(s, tc);
    return s;
}

/* One token for the whole run: SoftHSM keeps it in files, so every forked
 * test sees the same objects. */
static int make_token(void)
{
    if (!mkdtemp(token_dir))
        return -1;
    char conf[256], cmd[4096];
    snprintf(conf, sizeof conf, "%s/softhsm2.conf", token_dir);
    FILE *f = fopen(conf, "w");
    if (!f)
        return -1;
    fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n",
            token_dir);
    fclose(f);
    setenv("SOFTHSM2_CONF", conf, 1);
    const char *v = getenv("ARTSIG_VECTORS");
    snprintf(cmd, sizeof cmd,
             "set -e; cd '%s'; K='%s/keys'; M='%s'\n"
             "softhsm2-util --init-token --free --label artsig --so-pin 0000 --pin 1234\n"
             "softhsm2-util --import $K/rsa3072.pkcs8.key --token artsig --label imp-rsa --id 01 "
             "--pin 1234\n"
             "softhsm2-util --import $K/ecp256.pkcs8.key --token artsig --label imp-ec --id 02 "
             "--pin 1234\n"
             "p() { pkcs11-tool --module $M --token-label artsig --login --pin 1234 \"$@\"; }\n"
             "p --keypairgen --key-type EC:edwards25519 --label gen-ed --id 05\n"
             "p --keypairgen --key-type EC:secp384r1 --label gen-p384 --id 06\n"
             "openssl req -new -x509 -key $K/ecp256.pkcs8.key -subj /CN=artsig-test -days 1 "
             "-outform DER -out cert.der\n"
             "p --write-object cert.der --type cert --label cert-ec --id 07\n",
             token_dir, v ? v : ".", SOFTHSM_MODULE);
    char quiet[4200];
    snprintf(quiet, sizeof quiet, "(%s) >'%s/setup.log' 2>&1", cmd, token_dir);
    if (system(quiet) != 0) {
        snprintf(cmd, sizeof cmd, "cat '%s/setup.log' >&2", token_dir);
        if (system(cmd) != 0)
            return -1;
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    /* scripts/deps.sh installs both; a missing one is a broken setup. */
    if (system("command -v softhsm2-util pkcs11-tool >/dev/null 2>&1") != 0 ||
        access(SOFTHSM_MODULE, R_OK) != 0) {
        fprintf(stderr, "SoftHSM2 or OpenSC's pkcs11-tool is not installed (scripts/deps.sh)\n");
        return 1;
    }
    shim_module = argc > 1 ? argv[1] : "p11shim.so";
    setenv("P11SHIM_TARGET", SOFTHSM_MODULE, 1);
    if (make_token() != 0) {
        fprintf(stderr, "could not set up the SoftHSM token\n");
        return 1;
    }
    int rc = run_suite(pkcs11_suite());
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", token_dir);
    if (system(cmd) != 0)
        rc = 1;
    return rc;
}
