/* The strict JSON gate (libartsig/json_strict.h): one reading or none. */
#include <check.h>
#include <string.h>

#include <json-c/json.h>

#include "json_strict.h"
#include "testutil.h"

static const struct asig_json_limits limits = {.max_depth = 4, .max_values = 32};

/* The verdict on `text`; the reason must be one line, and a tree comes back
 * exactly when the text is accepted. */
static enum asig_json_verdict verdict_on(const char *text, char *why, size_t why_size)
{
    json_object *tree = (json_object *)&tree; /* must be overwritten */
    why[0] = '\0';
    enum asig_json_verdict v =
        asig_json_strict_parse(&tree, (const uint8_t *)text, strlen(text), &limits, why, why_size);
    if (v == ASIG_JSON_OK) {
        ck_assert_ptr_nonnull(tree);
    } else {
        ck_assert_ptr_null(tree);
        ck_assert_msg(why[0] && !strchr(why, '\n'), "%s: reason \"%s\"", text, why);
    }
    json_object_put(tree);
    return v;
}

static void assert_refused(const char *text, enum asig_json_verdict want, const char *reason)
{
    char why[256];
    enum asig_json_verdict got = verdict_on(text, why, sizeof why);
    ck_assert_msg(got == want, "%s: verdict %d, want %d (%s)", text, got, want, why);
    ck_assert_msg(strstr(why, reason), "%s: reason \"%s\" lacks \"%s\"", text, why, reason);
}

static void assert_accepted(const char *text)
{
    char why[256];
    ck_assert_msg(verdict_on(text, why, sizeof why) == ASIG_JSON_OK, "%s refused: %s", text, why);
}

START_TEST(strict_json_is_accepted)
{
    assert_accepted("{\"a\":[1,-2.5e3,true,null,\"\\u00e9\\ud83d\\ude00\"]}");
    assert_accepted(" 9007199254740992 ");
    assert_accepted("-9007199254740992");
    assert_accepted("{\"type\":1,\"typ\":2,\"types\":3}");
    assert_accepted("{\"\xc3\xa9\":1,\"\xc3\x89\":2}"); /* Go folds no other non-ASCII key */
    assert_accepted("[[[[]]]]");                       /* max_depth containers */
    assert_accepted("[0,-0.0,-0e1,\"-0\",-0.5,-10]");  /* no integer -0 */
}
END_TEST

START_TEST(duplicate_keys_are_refused)
{
    assert_refused("{\"a\":1,\"a\":2}", ASIG_JSON_EFORMAT, "duplicate object key");
    assert_refused("{\"a\":1,\"\\u0061\":2}", ASIG_JSON_EFORMAT, "duplicate object key");
    assert_refused("{\"x\":{\"Type\":\"a\",\"type\":\"b\"}}", ASIG_JSON_EFORMAT,
                   "keys \"Type\" and \"type\" of one object are the same key to Go");
    assert_refused("{\"\\u212a\":1,\"k\":2}", ASIG_JSON_EFORMAT, "same key to Go");
    assert_refused("{\"\xe2\x84\xaa\":1,\"K\":2}", ASIG_JSON_EFORMAT, "same key to Go");
    assert_refused("[{\"\\u017f\":1,\"S\":2}]", ASIG_JSON_EFORMAT, "same key to Go");
    assert_refused("{\"ARTIFACT_NAME\":1,\"artifact_Name\":2}", ASIG_JSON_EFORMAT,
                   "same key to Go");
}
END_TEST

START_TEST(what_is_not_one_strict_value_is_refused)
{
    assert_refused("{\"a\":1}{\"b\":2}", ASIG_JSON_EFORMAT, "end of file expected");
    assert_refused("[1,2,]", ASIG_JSON_EFORMAT, "invalid JSON near byte");
    assert_refused("{\"a\":1,}", ASIG_JSON_EFORMAT, "invalid JSON near byte");
    assert_refused("/* c */ {}", ASIG_JSON_EFORMAT, "invalid token");
    assert_refused("[NaN]", ASIG_JSON_EFORMAT, "invalid JSON");
    assert_refused("[1.]", ASIG_JSON_EFORMAT, "invalid JSON");
    assert_refused("[02]", ASIG_JSON_EFORMAT, "invalid JSON");
    assert_refused("['a']", ASIG_JSON_EFORMAT, "invalid JSON");
    assert_refused("[\"a\tb\"]", ASIG_JSON_EFORMAT, "control character");
    assert_refused("[\"\\ud800\"]", ASIG_JSON_EFORMAT, "invalid Unicode");
    assert_refused("[\"\\udc00\\ud800\"]", ASIG_JSON_EFORMAT, "invalid Unicode");
    assert_refused("{\"a\\u0000\":1}", ASIG_JSON_EFORMAT, "NUL byte in object key");
    assert_refused("[\"a\\u0000\"]", ASIG_JSON_EFORMAT, "\\u0000 in a string");
    assert_refused("[\"\xc0\x80\"]", ASIG_JSON_EFORMAT, "invalid UTF-8 at byte 2");
    assert_refused("[\"\xed\xa0\x80\"]", ASIG_JSON_EFORMAT, "invalid UTF-8 at byte 2");
    assert_refused("", ASIG_JSON_EFORMAT, "invalid JSON");
}
END_TEST

START_TEST(numbers_go_reads_otherwise_are_refused)
{
    assert_refused("[1e999]", ASIG_JSON_EFORMAT, "real number overflow");
    assert_refused("[-1e999]", ASIG_JSON_EFORMAT, "real number overflow");
    assert_refused("[99999999999999999999]", ASIG_JSON_EFORMAT, "too big integer");
    assert_refused("{\"n\":9007199254740993}", ASIG_JSON_EFORMAT,
                   "integer 9007199254740993 is beyond +-2^53");
    assert_refused("[-9007199254740993]", ASIG_JSON_EFORMAT, "beyond +-2^53");
    assert_refused("{\"n\":-0}", ASIG_JSON_EFORMAT, "near byte 5: integer -0");
    assert_refused("[1,-0]", ASIG_JSON_EFORMAT, "integer -0");
}
END_TEST

START_TEST(limits_are_kept_before_parsing)
{
    assert_refused("[[[[[]]]]]", ASIG_JSON_ELIMIT, "nested deeper than 4 levels");
    /* Brackets in strings neither nest nor count. */
    assert_accepted("[\"[[[[[[,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\\\"[[\"]");
    assert_accepted("[{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}]");
    assert_refused("[{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}]", ASIG_JSON_ELIMIT,
                   "more than 32 JSON values");
    /* Counted before the text is judged. */
    assert_refused("[1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,x",
                   ASIG_JSON_ELIMIT, "more than 32 JSON values");
}
END_TEST

START_TEST(go_key_matching)
{
    ck_assert(asig_json_go_key_matches("payloads", "payloads"));
    ck_assert(asig_json_go_key_matches("Payloads", "payloads"));
    ck_assert(asig_json_go_key_matches("PAYLOAD\xc5\xbf", "payloads"));
    ck_assert(asig_json_go_key_matches("artifact_provides", "ARTIFACT_PROVIDES"));
    ck_assert(asig_json_go_key_matches("\xe2\x84\xaa", "k"));
    ck_assert(!asig_json_go_key_matches("payload", "payloads"));
    ck_assert(!asig_json_go_key_matches("payloadss", "payloads"));
    ck_assert(!asig_json_go_key_matches("artifact-name", "artifact_name"));
    ck_assert(!asig_json_go_key_matches("typ\xc3\xa9", "type"));
    ck_assert(!asig_json_go_key_matches("", "type"));
}
END_TEST

START_TEST(misspelt_fields_are_named)
{
    static const char *const fields[] = {"type", "artifact_provides", "artifact_depends"};
    json_object *obj = json_tokener_parse(
        "{\"type\":\"a\",\"extra\":1,\"Artifact_Provide\\u017f\":{},\"artifact_depends\":{}}");
    const char *expected = NULL;
    ck_assert_str_eq(asig_json_misspelt_field(obj, fields, 3, &expected),
                     "Artifact_Provide\xc5\xbf");
    ck_assert_str_eq(expected, "artifact_provides");
    json_object_put(obj);

    obj = json_tokener_parse("{\"type\":\"a\",\"artifact_provides\":{},\"other\":1}");
    expected = NULL;
    ck_assert_ptr_null(asig_json_misspelt_field(obj, fields, 3, &expected));
    ck_assert_ptr_null(expected);
    json_object_put(obj);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json_strict");
    TCase *tc = tcase_create("json_strict");
    tcase_add_test(tc, strict_json_is_accepted);
    tcase_add_test(tc, duplicate_keys_are_refused);
    tcase_add_test(tc, what_is_not_one_strict_value_is_refused);
    tcase_add_test(tc, numbers_go_reads_otherwise_are_refused);
    tcase_add_test(tc, limits_are_kept_before_parsing);
    tcase_add_test(tc, go_key_matching);
    tcase_add_test(tc, misspelt_fields_are_named);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
