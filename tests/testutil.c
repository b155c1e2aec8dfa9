#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "testutil.h"

char *vec_path(const char *rel)
{
    return vec_pathf("%s", rel);
}

char *vec_pathf(const char *fmt, ...)
{
    const char *root = getenv("ARTSIG_VECTORS");
    ck_assert_msg(root != NULL, "ARTSIG_VECTORS is not set");
    va_list ap;
    va_start(ap, fmt);
    int rel_len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    ck_assert_int_ge(rel_len, 0);
    size_t n = strlen(root) + (size_t)rel_len + 2;
    char *p = malloc(n);
    ck_assert_ptr_nonnull(p);
    int m = snprintf(p, n, "%s/", root);
    va_start(ap, fmt);
    vsnprintf(p + m, n - (size_t)m, fmt, ap);
    va_end(ap);
    return p;
}

artsig_key *load_vec_key(const char *file)
{
    char *path = vec_pathf("keys/%s", file);
    artsig_key *key = NULL;
    int rc = artsig_key_load_file(&key, path, NULL, NULL);
    ck_assert_msg(rc == ARTSIG_OK, "%s: %s", file, artsig_last_error());
    free(path);
    return key;
}

uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    uint8_t *buf = slurp_stream(f, len);
    fclose(f);
    return buf;
}

uint8_t *slurp_stream(FILE *f, size_t *len)
{
    size_t cap = 4096, used = 0;
    uint8_t *buf = malloc(cap + 1);
    ck_assert_ptr_nonnull(buf);
    size_t n;
    while ((n = fread(buf + used, 1, cap - used, f)) > 0) {
        used += n;
        if (used == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            ck_assert_ptr_nonnull(buf);
        }
    }
    buf[used] = 0;
    *len = used;
    return buf;
}

uint8_t *unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2;
    uint8_t *out = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(out);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    *len = n;
    return out;
}

void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* ---- the scratch folder ---- */

static char scratch[64];

static void make_scratch(void)
{
    strcpy(scratch, "/tmp/artsig-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(scratch));
}

static void remove_scratch(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    ck_assert_int_eq(system(cmd), 0);
}

TCase *scratch_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, make_scratch, remove_scratch);
    return tc;
}

const char *tmp(const char *name)
{
    static char path[4][256];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", scratch, name);
    return p;
}

int sh(const char *fmt, ...)
{
    char *keys = vec_path("keys");
    char cmd[2048];
    int n = snprintf(cmd, sizeof cmd, "cd '%s' && V='%s' && ", scratch, keys);
    free(keys);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

long max_rss_kib(void)
{
    struct rusage u;
    ck_assert_int_eq(getrusage(RUSAGE_SELF, &u), 0);
    return u.ru_maxrss;
}
