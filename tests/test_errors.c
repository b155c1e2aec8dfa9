/* Status codes, error detail, version, and NULL-safety of every _free. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <artsig.h>

#include "testutil.h"

START_TEST(every_status_has_a_distinct_message)
{
    const char *seen[64] = {0};
    int n = 0;
    for (int s = ARTSIG_OK; s >= ARTSIG_STATUS_LAST; s--) {
        const char *msg = artsig_strerror(s);
        ck_assert_ptr_nonnull(msg);
        ck_assert_str_ne(msg, "unknown status");
        for (int i = 0; i < n; i++)
            ck_assert_str_ne(msg, seen[i]);
        seen[n++] = msg;
    }
    ck_assert_str_eq(artsig_strerror(ARTSIG_STATUS_LAST - 1), "unknown status");
    ck_assert_str_eq(artsig_strerror(1), "unknown status");
}
END_TEST

START_TEST(status_numbers_are_stable)
{
    /* Part of the ABI: a renumbering must fail this test. */
    ck_assert_int_eq(ARTSIG_EINVAL, -1);
    ck_assert_int_eq(ARTSIG_EVERIFY, -13);
    ck_assert_int_eq(ARTSIG_EDIGEST, -15);
    ck_assert_int_eq(ARTSIG_ESTATE, -25);
    ck_assert_int_eq(ARTSIG_EPIN, -28);
    ck_assert_int_eq(ARTSIG_ETOKEN, -30);
    ck_assert_int_eq(ARTSIG_EAUTH, -31);
    ck_assert_int_eq(ARTSIG_ENETWORK, -32);
    ck_assert_int_eq(ARTSIG_EREMOTE, -33);
}
END_TEST

START_TEST(last_error_names_the_file)
{
    artsig_key *key = NULL;
    ck_assert_int_eq(artsig_key_load_file(&key, "/nonexistent/artsig-key.pem", NULL, NULL),
                     ARTSIG_ENOENT);
    ck_assert_ptr_null(key);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "/nonexistent/artsig-key.pem"));
}
END_TEST

static void *other_thread(void *arg)
{
    (void)arg;
    artsig_key *key;
    (void)artsig_key_load_file(&key, "/nonexistent/other-thread", NULL, NULL);
    return NULL;
}

START_TEST(last_error_is_per_thread)
{
    artsig_key *key;
    (void)artsig_key_load_file(&key, "/nonexistent/main-thread", NULL, NULL);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, other_thread, NULL), 0);
    pthread_join(t, NULL);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "main-thread"));
}
END_TEST

START_TEST(version_matches_header)
{
    ck_assert_str_eq(artsig_version(), ARTSIG_VERSION_STRING);
    ck_assert_int_eq(ARTSIG_VERSION_NUMBER, (ARTSIG_VERSION_MAJOR << 16) |
                                                (ARTSIG_VERSION_MINOR << 8) |
                                                ARTSIG_VERSION_PATCH);
}
END_TEST

START_TEST(free_null_is_a_no_op)
{
    artsig_free(NULL);
    artsig_key_free(NULL);
    artsig_key_free_pem(NULL, 0);
    artsig_keyring_free(NULL);
    artsig_sha256_free(NULL);
    artsig_manifest_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("errors");
    tcase_add_test(tc, every_status_has_a_distinct_message);
    tcase_add_test(tc, status_numbers_are_stable);
    tcase_add_test(tc, last_error_names_the_file);
    tcase_add_test(tc, last_error_is_per_thread);
    tcase_add_test(tc, version_matches_header);
    tcase_add_test(tc, free_null_is_a_no_op);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
