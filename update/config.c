/* Mender's mender.conf (JSON), read fail-closed: where the Mender 3.4 client
 * quietly turns signature checks off (a missing key file, both key options,
 * a misspelt option), this one refuses. The file is read only when Go's
 * encoding/json, which Mender reads it with, would read the same options
 * with the same values: anything two readers could take differently (a
 * duplicate key, null, a key Go matches only by folding its case, text after
 * the object) is refused rather than guessed at. */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json_strict.h"
#include "update.h"

#define DEFAULT_MODULES_DIR "/usr/share/mender/modules/v3"
#define CONFIG_MAX (1024 * 1024)
/* Mender's defaults for ModuleTimeoutSeconds and StateScriptTimeoutSeconds. */
#define DEFAULT_MODULE_TIMEOUT_S (4 * 60 * 60)
#define DEFAULT_SCRIPT_TIMEOUT_S (60 * 60)
/* Far beyond any real mender.conf, yet bounding what a hostile one costs. */
static const struct asig_json_limits config_limits = {.max_depth = 32, .max_values = 65536};

/* The options this client knows. Mender's file holds many more (servers,
 * intervals, …), which are ignored. */
enum option {
    OPT_VERIFY_KEY,
    OPT_VERIFY_KEYS,
    OPT_DEVICE_TYPE_FILE,
    OPT_MODULES_DIR,
    OPT_ROOTFS_A,
    OPT_ROOTFS_B,
    OPT_SERVER_CERTIFICATE,
    OPT_BOOT_ENV_FILE,
    OPT_MODULE_TIMEOUT,
    OPT_SCRIPT_TIMEOUT,
    OPT_ACCEPT_UNSIGNED_FILES,
    OPT_COUNT
};
static const char *const option_names[OPT_COUNT] = {
    [OPT_VERIFY_KEY] = "ArtifactVerifyKey",
    [OPT_VERIFY_KEYS] = "ArtifactVerifyKeys",
    [OPT_DEVICE_TYPE_FILE] = "DeviceTypeFile",
    [OPT_MODULES_DIR] = "UpdateModulesDir",
    [OPT_ROOTFS_A] = "RootfsPartA",
    [OPT_ROOTFS_B] = "RootfsPartB",
    [OPT_SERVER_CERTIFICATE] = "ServerCertificate",
    [OPT_BOOT_ENV_FILE] = "BootEnvFile",
    [OPT_MODULE_TIMEOUT] = "ModuleTimeoutSeconds",
    [OPT_SCRIPT_TIMEOUT] = "StateScriptTimeoutSeconds",
    /* libartsig's own: Mender's client ignores keys it does not know. */
    [OPT_ACCEPT_UNSIGNED_FILES] = "ArtsigAcceptUnsignedFiles",
};

/* Where each path option (OPT_DEVICE_TYPE_FILE to OPT_BOOT_ENV_FILE) is kept. */
static const size_t path_fields[] = {
    [OPT_DEVICE_TYPE_FILE] = offsetof(struct upd_config, device_type_file),
    [OPT_MODULES_DIR] = offsetof(struct upd_config, modules_dir),
    [OPT_ROOTFS_A] = offsetof(struct upd_config, rootfs_a),
    [OPT_ROOTFS_B] = offsetof(struct upd_config, rootfs_b),
    [OPT_SERVER_CERTIFICATE] = offsetof(struct upd_config, server_certificate),
    [OPT_BOOT_ENV_FILE] = offsetof(struct upd_config, boot_env_file),
};

/* Mender's own top-level options: the JSON names of conf.MenderConfigFromFile
 * in the Mender 3.4 client (as its binary in Debian's mender-client 3.4
 * records them), and ArtifactVerifyKeys, which Mender 3.5 and later read. A
 * key that is neither one of these nor one of ours is ignored by both, which
 * is harmless unless it is a typo of one of ours. */
static const char *const mender_options[] = {
    "ArtifactVerifyKey", "ArtifactVerifyKeys", "BootUtilitiesGetNextActivePart",
    "BootUtilitiesSetActivePart", "Connectivity", "DBus", "DaemonLogLevel", "DeviceTypeFile",
    "HttpsClient", "InventoryPollIntervalSeconds", "ModuleTimeoutSeconds", "RetryPollCount",
    "RetryPollIntervalSeconds", "RootfsPartA", "RootfsPartB", "Security", "ServerCertificate",
    "ServerURL", "Servers", "SkipVerify", "StateScriptRetryIntervalSeconds",
    "StateScriptRetryTimeoutSeconds", "StateScriptTimeoutSeconds", "TenantToken",
    "UpdateControlMapBootExpirationTimeSeconds", "UpdateControlMapExpirationTimeSeconds",
    "UpdateLogPath", "UpdatePollIntervalSeconds",
};

/* A key as an error message can show it: bytes beyond printable ASCII as
 * \xHH, so a KELVIN SIGN does not pass for a K; cut short when long. */
#define SHOWN_KEY_SIZE 96
static const char *shown_key(char out[static SHOWN_KEY_SIZE], const char *key)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)key; *p && n + 5 < SHOWN_KEY_SIZE; p++)
        n += (size_t)snprintf(out + n, SHOWN_KEY_SIZE - n,
                              *p >= 0x20 && *p < 0x7f ? "%c" : "\\x%02x", *p);
    out[n] = '\0';
    return out;
}

static bool known_option(const char *key)
{
    for (size_t i = 0; i < sizeof mender_options / sizeof *mender_options; i++)
        if (asig_json_go_key_matches(key, mender_options[i]))
            return true;
    for (int i = 0; i < OPT_COUNT; i++)
        if (asig_json_go_key_matches(key, option_names[i]))
            return true;
    return false;
}

/* Room for any option name and the two edits a typo may hold. */
#define NEAR_NAME_MAX 32

/* A name as a typo would blur it: letters in one case, with no spaces,
 * underscores or hyphens. False when it is too long to be near any option. */
static bool blur(char out[NEAR_NAME_MAX], size_t *len, const char *name)
{
    *len = 0;
    for (const char *p = name; *p; p++) {
        if (strchr(" \t\n\r_-", *p))
            continue;
        if (*len == NEAR_NAME_MAX)
            return false;
        out[(*len)++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    }
    return true;
}

/* How many edits (insertions, deletions, substitutions, swaps of neighbours:
 * the optimal string alignment distance) turn `key` into `option`, once both
 * are blurred; more than TYPO_EDITS_MAX when that many would not do. */
#define TYPO_EDITS_MAX 2
static size_t typo_distance(const char *key, const char *option)
{
    char a[NEAR_NAME_MAX], b[NEAR_NAME_MAX];
    size_t la, lb;
    if (!blur(a, &la, key) || !blur(b, &lb, option) ||
        (la > lb ? la - lb : lb - la) > TYPO_EDITS_MAX)
        return TYPO_EDITS_MAX + 1;
    size_t d[NEAR_NAME_MAX + 1][NEAR_NAME_MAX + 1];
    for (size_t i = 0; i <= la; i++)
        for (size_t j = 0; j <= lb; j++) {
            if (i == 0 || j == 0) {
                d[i][j] = i + j;
                continue;
            }
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

/* Every option this client reads decides what is trusted or what runs
 * (keys, partitions, module programs, device type, boot environment, how
 * long a program may run): a typo that leaves one unset is refused, naming
 * the nearest option. */
static int refuse_typos(json_object *root, const char *path)
{
    char shown[SHOWN_KEY_SIZE];
    json_object_object_foreach(root, key, value) {
        (void)value;
        if (known_option(key))
            continue;
        int nearest = -1;
        size_t nearest_distance = TYPO_EDITS_MAX + 1;
        for (int i = 0; i < OPT_COUNT; i++) {
            size_t distance = typo_distance(key, option_names[i]);
            if (distance < nearest_distance) {
                nearest = i;
                nearest_distance = distance;
            }
        }
        if (nearest >= 0)
            return upd_fail("configuration %s: unknown option \"%s\"; did you mean %s?", path,
                            shown_key(shown, key), option_names[nearest]);
    }
    return UPD_EXIT_OK;
}

/* Each option by its exact name. Go's encoding/json would also take a key
 * that differs in case (or by U+212A for k, U+017F for s) as the option: such
 * a key is refused, naming the spelling, rather than read two ways. The
 * strict parser has already refused keys Go takes as the same name. */
static int find_options(json_object *found[OPT_COUNT], json_object *root, const char *path)
{
    memset(found, 0, OPT_COUNT * sizeof *found);
    char shown[SHOWN_KEY_SIZE];
    const char *expected;
    const char *misspelt = asig_json_misspelt_field(root, option_names, OPT_COUNT, &expected);
    if (misspelt)
        return upd_fail("configuration %s: option \"%s\" must be spelt %s: Mender reads it as "
                        "that option, other readers do not", path, shown_key(shown, misspelt),
                        expected);
    int rc = refuse_typos(root, path);
    for (int i = 0; i < OPT_COUNT && rc == UPD_EXIT_OK; i++) {
        json_object *v = NULL;
        /* Go leaves a string option as it was on null; json-c makes it "no
         * value": neither reading is what the owner meant. */
        if (json_object_object_get_ex(root, option_names[i], &v) && !v)
            rc = upd_fail("configuration %s: %s is null; give it a value or remove it", path,
                          option_names[i]);
        found[i] = v;
    }
    return rc;
}

/* A path option: a string; "" means unset, as Mender reads it. */
static int path_option(char **out, json_object *v, const char *name, const char *path)
{
    *out = NULL;
    if (!v)
        return UPD_EXIT_OK;
    if (!json_object_is_type(v, json_type_string))
        return upd_fail("configuration %s: %s must be a string", path, name);
    const char *s = json_object_get_string(v);
    if (*s && !(*out = strdup(s)))
        return upd_fail("out of memory");
    return UPD_EXIT_OK;
}

/* A timeout option: a whole number of seconds, at least 1; unset keeps the
 * default. Mender reads it into a Go int, so a string or a fraction is an
 * error there too; zero or less would leave no time at all. */
static int seconds_option(unsigned *out, json_object *v, const char *name, const char *path)
{
    if (!v)
        return UPD_EXIT_OK;
    int64_t n = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
    if (n <= 0 || n > INT_MAX)
        return upd_fail("configuration %s: %s must be a whole number of seconds from 1 to %d",
                        path, name, INT_MAX);
    *out = (unsigned)n;
    return UPD_EXIT_OK;
}

static int bool_option(bool *out, json_object *v, const char *name, const char *path)
{
    if (!v)
        return UPD_EXIT_OK;
    if (!json_object_is_type(v, json_type_boolean))
        return upd_fail("configuration %s: %s must be true or false", path, name);
    *out = json_object_get_boolean(v);
    return UPD_EXIT_OK;
}

/* A key option must name a file or a PKCS#11 URI: an empty one is refused,
 * since a template that lost its value would otherwise turn signature checks
 * off. */
static int add_key(struct upd_config *cfg, json_object *v, const char *name, const char *path)
{
    if (!json_object_is_type(v, json_type_string))
        return upd_fail("configuration %s: %s must be a string", path, name);
    const char *s = json_object_get_string(v);
    if (!*s)
        return upd_fail("configuration %s: %s is empty; name a key file or a pkcs11: URI, or "
                        "remove the option to install without signature checks", path, name);
    char **keys = realloc(cfg->verify_keys, (cfg->nverify_keys + 1) * sizeof *keys);
    if (!keys)
        return upd_fail("out of memory");
    cfg->verify_keys = keys;
    if (!(keys[cfg->nverify_keys] = strdup(s)))
        return upd_fail("out of memory");
    cfg->nverify_keys++;
    return UPD_EXIT_OK;
}

static int key_options(struct upd_config *cfg, json_object *const found[OPT_COUNT],
                       const char *path)
{
    json_object *one = found[OPT_VERIFY_KEY], *list = found[OPT_VERIFY_KEYS];
    if (one && list)
        return upd_fail("configuration %s: both ArtifactVerifyKey and ArtifactVerifyKeys are "
                        "set; use ArtifactVerifyKeys alone", path);
    if (one)
        return add_key(cfg, one, "ArtifactVerifyKey", path);
    if (!list)
        return UPD_EXIT_OK;
    if (!json_object_is_type(list, json_type_array))
        return upd_fail("configuration %s: ArtifactVerifyKeys must be a list of key files or "
                        "pkcs11: URIs", path);
    size_t n = json_object_array_length(list);
    if (n == 0)
        return upd_fail("configuration %s: ArtifactVerifyKeys is empty; name key files, or "
                        "remove the option to install without signature checks", path);
    int rc = UPD_EXIT_OK;
    for (size_t i = 0; i < n && rc == UPD_EXIT_OK; i++)
        rc = add_key(cfg, json_object_array_get_idx(list, i), "an ArtifactVerifyKeys entry", path);
    return rc;
}

/* Defaults as Mender's: the device type file lives in the data dir. */
static int apply_defaults(struct upd_config *cfg, const char *data_dir)
{
    if (!cfg->device_type_file &&
        asprintf(&cfg->device_type_file, "%s/device_type", data_dir) < 0) {
        cfg->device_type_file = NULL;
        return upd_fail("out of memory");
    }
    if (!cfg->modules_dir && !(cfg->modules_dir = strdup(DEFAULT_MODULES_DIR)))
        return upd_fail("out of memory");
    return UPD_EXIT_OK;
}

int upd_config_load(struct upd_config *cfg, const char *path, const char *data_dir)
{
    memset(cfg, 0, sizeof *cfg);
    char *text = NULL;
    int rc = upd_read_file(&text, path, CONFIG_MAX, false);
    if (rc != UPD_EXIT_OK)
        return rc;
    json_object *root = NULL;
    char why[256];
    enum asig_json_verdict verdict = asig_json_strict_parse(
        &root, (const uint8_t *)text, strlen(text), &config_limits, why, sizeof why);
    free(text);
    json_object *found[OPT_COUNT] = {0};
    if (verdict == ASIG_JSON_ENOMEM)
        rc = upd_fail("out of memory");
    else if (verdict != ASIG_JSON_OK)
        rc = upd_fail("configuration %s: %s", path, why);
    else if (!json_object_is_type(root, json_type_object))
        rc = upd_fail("configuration %s: not a JSON object", path);
    else
        rc = find_options(found, root, path);
    if (rc == UPD_EXIT_OK)
        rc = key_options(cfg, found, path);
    for (int i = OPT_DEVICE_TYPE_FILE; i <= OPT_BOOT_ENV_FILE && rc == UPD_EXIT_OK; i++)
        rc = path_option((char **)((char *)cfg + path_fields[i]), found[i], option_names[i],
                         path);
    cfg->module_timeout_s = DEFAULT_MODULE_TIMEOUT_S;
    cfg->script_timeout_s = DEFAULT_SCRIPT_TIMEOUT_S;
    if (rc == UPD_EXIT_OK)
        rc = seconds_option(&cfg->module_timeout_s, found[OPT_MODULE_TIMEOUT],
                            option_names[OPT_MODULE_TIMEOUT], path);
    if (rc == UPD_EXIT_OK)
        rc = seconds_option(&cfg->script_timeout_s, found[OPT_SCRIPT_TIMEOUT],
                            option_names[OPT_SCRIPT_TIMEOUT], path);
    if (rc == UPD_EXIT_OK)
        rc = bool_option(&cfg->accept_unsigned_files, found[OPT_ACCEPT_UNSIGNED_FILES],
                         option_names[OPT_ACCEPT_UNSIGNED_FILES], path);
    if (rc == UPD_EXIT_OK)
        rc = apply_defaults(cfg, data_dir);
    json_object_put(root);
    if (rc != UPD_EXIT_OK)
        upd_config_free(cfg);
    return rc;
}

void upd_config_free(struct upd_config *cfg)
{
    for (size_t i = 0; i < cfg->nverify_keys; i++)
        free(cfg->verify_keys[i]);
    free(cfg->verify_keys);
    free(cfg->device_type_file);
    free(cfg->modules_dir);
    free(cfg->rootfs_a);
    free(cfg->rootfs_b);
    free(cfg->boot_env_file);
    free(cfg->server_certificate);
    memset(cfg, 0, sizeof *cfg);
}

/* Adds `value` under `key`, JSON null when NULL; false when out of memory. */
static bool put_string(json_object *obj, const char *key, const char *value)
{
    json_object *s = value ? json_object_new_string(value) : NULL;
    return (!value || s) && json_object_object_add(obj, key, s) == 0;
}

int upd_config_show(const struct upd_config *cfg)
{
    json_object *obj = json_object_new_object(), *keys = json_object_new_array();
    bool ok = obj && keys && json_object_object_add(obj, option_names[OPT_VERIFY_KEYS], keys) == 0;
    if (!ok)
        json_object_put(keys);
    for (size_t i = 0; ok && i < cfg->nverify_keys; i++) {
        json_object *key = json_object_new_string(cfg->verify_keys[i]);
        ok = key && json_object_array_add(keys, key) == 0;
    }
    for (int i = OPT_DEVICE_TYPE_FILE; ok && i <= OPT_BOOT_ENV_FILE; i++)
        ok = put_string(obj, option_names[i],
                        *(char *const *)((const char *)cfg + path_fields[i]));
    ok = ok &&
         json_object_object_add(obj, option_names[OPT_MODULE_TIMEOUT],
                                json_object_new_int64(cfg->module_timeout_s)) == 0 &&
         json_object_object_add(obj, option_names[OPT_SCRIPT_TIMEOUT],
                                json_object_new_int64(cfg->script_timeout_s)) == 0 &&
         json_object_object_add(obj, option_names[OPT_ACCEPT_UNSIGNED_FILES],
                                json_object_new_boolean(cfg->accept_unsigned_files)) == 0;
    const char *text = ok ? json_object_to_json_string_ext(
                                obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)
                          : NULL;
    int rc = text ? UPD_EXIT_OK : upd_fail("out of memory");
    if (text)
        puts(text);
    json_object_put(obj);
    return rc;
}

/* A key file, or the public key of a PKCS#11 token's object (the device's
 * secure element or TPM); a token's PIN, if its public objects need one, must
 * be in the URI: nobody is there to type it. */
static int load_key(artsig_keyring *ring, const char *entry)
{
    if (!artsig_is_pkcs11_uri(entry))
        return artsig_keyring_add_file(ring, entry);
    artsig_key *key;
    int st = artsig_key_load_pkcs11(&key, entry, NULL, NULL);
    if (st != ARTSIG_OK)
        return st;
    st = artsig_keyring_add(ring, key);
    artsig_key_free(key);
    return st;
}

int upd_config_keyring(artsig_keyring **ring, const struct upd_config *cfg)
{
    *ring = NULL;
    if (cfg->nverify_keys == 0)
        return UPD_EXIT_OK;
    artsig_keyring *r;
    if (artsig_keyring_new(&r) != ARTSIG_OK)
        return upd_fail("out of memory");
    /* Every configured key must load: skipping one that is missing, of an
     * unsupported kind or in a token that is absent would leave the device
     * trusting a different set of keys than its owner wrote down. */
    for (size_t i = 0; i < cfg->nverify_keys; i++) {
        const char *entry = cfg->verify_keys[i];
        int st = load_key(r, entry);
        if (st != ARTSIG_OK) {
            /* The detail names the file, or the URI without any pin-value;
             * a URI is named by its place, as it may carry a PIN. */
            const char *detail = artsig_last_error();
            detail = *detail ? detail : artsig_strerror(st);
            int rc = artsig_is_pkcs11_uri(entry)
                         ? upd_fail("verification key %zu (a PKCS#11 URI) unusable, so nothing "
                                    "installs: %s", i + 1, detail)
                         : upd_fail("verification key %s unusable, so nothing installs: %s",
                                    entry, detail);
            artsig_keyring_free(r);
            return rc;
        }
    }
    *ring = r;
    return UPD_EXIT_OK;
}
