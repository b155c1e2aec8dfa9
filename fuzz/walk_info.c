/* Every fact of an artsig_info read back, for the targets that build one. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* Touch every byte of a text the accessors return, so that the address
 * sanitizer sees a dangling or unterminated one. */
static size_t touch(const char *s)
{
    return s ? strlen(s) : 0;
}

static size_t touch_bytes(const uint8_t *data, size_t len)
{
    size_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += data[i];
    return sum;
}

/* Provides, depends and clears of the artifact (ARTSIG_ARTIFACT) or a payload. */
static size_t walk_typeinfo(const artsig_info *info, size_t payload)
{
    size_t sum = 0;
    const char *key, *value;
    for (size_t i = 0; i < artsig_info_provides_count(info, payload); i++)
        if (artsig_info_provides(&key, &value, info, payload, i) == ARTSIG_OK)
            sum += touch(key) + touch(value);
    const char *const *values;
    size_t n;
    for (size_t i = 0; i < artsig_info_depends_count(info, payload); i++)
        if (artsig_info_depends(&key, &values, &n, info, payload, i) == ARTSIG_OK)
            for (size_t j = 0; j < n; j++)
                sum += touch(key) + touch(values[j]);
    if (payload != ARTSIG_ARTIFACT)
        for (size_t i = 0; i < artsig_info_clears_count(info, payload); i++)
            sum += touch(artsig_info_clears(info, payload, i));
    return sum;
}

void fuzz_walk_info(const artsig_info *info)
{
    static const char *const payload_files[] = {"type-info", "meta-data"};
    const uint8_t *data;
    size_t len;
    volatile size_t sum = (size_t)artsig_info_format_version(info);
    sum += touch(artsig_info_name(info)) + touch(artsig_info_group(info));
    for (size_t i = 0; i < artsig_info_device_type_count(info); i++)
        sum += touch(artsig_info_device_type(info, i));
    sum += (size_t)artsig_info_signature(info) + (size_t)artsig_info_verifying_key(info);
    sum += (size_t)artsig_info_is_augmented(info);
    const char *name;
    for (size_t i = 0; i < artsig_info_script_count(info); i++)
        if (artsig_info_script(&name, &data, &len, info, i) == ARTSIG_OK)
            sum += touch(name) + touch_bytes(data, len);
    sum += walk_typeinfo(info, ARTSIG_ARTIFACT);
    if (artsig_info_header_file(&data, &len, info, ARTSIG_ARTIFACT, "header-info") == ARTSIG_OK)
        sum += touch_bytes(data, len);
    for (size_t p = 0; p < artsig_info_payload_count(info); p++) {
        sum += touch(artsig_info_payload_type(info, p)) + touch(artsig_info_meta_data(info, p));
        for (size_t i = 0; i < artsig_info_file_count(info, p); i++) {
            int64_t size;
            const uint8_t *digest;
            if (artsig_info_file(&name, &size, &digest, info, p, i) == ARTSIG_OK)
                sum += touch(name) + (size_t)size + touch_bytes(digest, ARTSIG_DIGEST_LEN);
        }
        sum += walk_typeinfo(info, p);
        for (size_t i = 0; i < 2; i++)
            if (artsig_info_header_file(&data, &len, info, p, payload_files[i]) == ARTSIG_OK)
                sum += touch_bytes(data, len);
    }
    if (artsig_info_manifest(&data, &len, info) == ARTSIG_OK)
        sum += touch_bytes(data, len);
    /* NULL is documented to mean out of memory, which cannot happen at
     * these sizes: anything else is a bug. */
    const char *json = artsig_info_json(info);
    if (!json)
        abort();
    sum += touch(json);
    (void)sum;
}
