/* Mender's mender.conf (JSON), read fail-closed: where the Mender 3.4 client
 * quietly turns signature checks off (a missing key file, both key options,
 * a misspelt option), this one refuses. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "update.h"

#define DEFAULT_MODULES_DIR "/usr/share/mender/modules/v3"
#define CONFIG_MAX (1024 * 1024)
/* Mender's defaults for ModuleTimeoutSeconds and StateScriptTimeoutSeconds. */
#define DEFAULT_MODULE_TIMEOUT_S (4 * 60 * 60)
#define DEFAULT_SCRIPT_TIMEOUT_S (60 * 60)

/* The options this client knows. Mender's file holds many more (servers,
 * intervals, …), which are ignored. */
enum option {
    OPT_VERIFY_KEY,
    OPT_VERIFY_KEYS,
    OPT_DEVICE_TYPE_FILE,
    OPT_MODULES_DIR,
    OPT_ROOTFS_A,
    OPT_ROOTFS_B,
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
    [OPT_BOOT_ENV_FILE] = "BootEnvFile",
    [OPT_MODULE_TIMEOUT] = "ModuleTimeoutSeconds",
    [OPT_SCRIPT_TIMEOUT] = "StateScriptTimeoutSeconds",
    /* libartsig's own: Mender's client ignores keys it does not know. */
    [OPT_ACCEPT_UNSIGNED_FILES] = "ArtsigAcceptUnsignedFiles",
};

/* Go's encoding/json, which the Mender client reads this file with, matches
 * option names case-insensitively. So must we: "artifactVerifyKey" is a key
 * for Mender, and ignoring it would install unsigned artifacts. Two spellings
 * of one option are refused rather than guessing which one wins. */
static int find_options(json_object *found[OPT_COUNT], json_object *root, const char *path)
{
    memset(found, 0, OPT_COUNT * sizeof *found);
    json_object_object_foreach(root, key, value) {
        for (int i = 0; i < OPT_COUNT; i++) {
            if (strcasecmp(key, option_names[i]) != 0)
                continue;
            if (found[i])
                return upd_fail("configuration %s: %s is given twice", path, option_names[i]);
            found[i] = value;
        }
    }
    return UPD_EXIT_OK;
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
    enum json_tokener_error jerr;
    json_object *root = json_tokener_parse_verbose(text, &jerr);
    free(text);
    json_object *found[OPT_COUNT] = {0};
    if (!root)
        rc = upd_fail("configuration %s: not valid JSON: %s", path, json_tokener_error_desc(jerr));
    else if (!json_object_is_type(root, json_type_object))
        rc = upd_fail("configuration %s: not a JSON object", path);
    else
        rc = find_options(found, root, path);
    if (rc == UPD_EXIT_OK)
        rc = key_options(cfg, found, path);
    char **const paths[] = {
        [OPT_DEVICE_TYPE_FILE] = &cfg->device_type_file, [OPT_MODULES_DIR] = &cfg->modules_dir,
        [OPT_ROOTFS_A] = &cfg->rootfs_a,                 [OPT_ROOTFS_B] = &cfg->rootfs_b,
        [OPT_BOOT_ENV_FILE] = &cfg->boot_env_file,
    };
    for (int i = OPT_DEVICE_TYPE_FILE; i <= OPT_BOOT_ENV_FILE && rc == UPD_EXIT_OK; i++)
        rc = path_option(paths[i], found[i], option_names[i], path);
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
    memset(cfg, 0, sizeof *cfg);
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
