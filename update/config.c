/* Mender's mender.conf (JSON), read fail-closed: where the Mender 3.4 client
 * quietly turns signature checks off (a missing key file, both key options,
 * a misspelt option), this one refuses. The file is read only when Go's
 * encoding/json, which Mender reads it with, would read the same options
 * with the same values: anything two readers could take differently (a
 * duplicate key, null, a key Go matches only by folding its case, text after
 * the object) is refused rather than guessed at. */
#include <inttypes.h>
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

/* The options this client reads. Mender's file holds more, which are
 * ignored. */
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
    OPT_SERVER_URL,
    OPT_SERVERS,
    OPT_TENANT_TOKEN,
    OPT_SKIP_VERIFY,
    OPT_UPDATE_POLL,
    OPT_INVENTORY_POLL,
    OPT_RETRY_POLL,
    OPT_RETRY_COUNT,
    OPT_SECURITY,
    OPT_HTTPS_CLIENT,
    OPT_AUTH_KEY_TYPE,
    OPT_IDENTITY_SCRIPT,
    OPT_INVENTORY_DIR,
    OPT_REBOOT_COMMAND,
    OPT_BOOT_ID_FILE,
    OPT_ARTIFACT_INFO_FILE,
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
    [OPT_SERVER_URL] = "ServerURL",
    [OPT_SERVERS] = "Servers",
    [OPT_TENANT_TOKEN] = "TenantToken",
    [OPT_SKIP_VERIFY] = "SkipVerify",
    [OPT_UPDATE_POLL] = "UpdatePollIntervalSeconds",
    [OPT_INVENTORY_POLL] = "InventoryPollIntervalSeconds",
    [OPT_RETRY_POLL] = "RetryPollIntervalSeconds",
    [OPT_RETRY_COUNT] = "RetryPollCount",
    [OPT_SECURITY] = "Security",
    [OPT_HTTPS_CLIENT] = "HttpsClient",
    /* libartsig's own: Mender's client ignores keys it does not know. */
    [OPT_ACCEPT_UNSIGNED_FILES] = "ArtsigAcceptUnsignedFiles",
    [OPT_AUTH_KEY_TYPE] = "ArtsigAuthKeyType",
    [OPT_IDENTITY_SCRIPT] = "ArtsigIdentityScript",
    [OPT_INVENTORY_DIR] = "ArtsigInventoryDir",
    [OPT_REBOOT_COMMAND] = "ArtsigRebootCommand",
    [OPT_BOOT_ID_FILE] = "ArtsigBootIdFile",
    [OPT_ARTIFACT_INFO_FILE] = "ArtsigArtifactInfoFile",
};

/* The members of Security and HttpsClient read here: Go decodes these
 * objects into structs (client.Security, client.HttpsClient in 3.4) by the
 * same rules as the file's top level, so they are read by the same rules.
 * Their values sit in the slots after the top-level options. */
enum member { MEM_AUTH_PRIVATE_KEY = OPT_COUNT, MEM_CLIENT_CERTIFICATE, MEM_CLIENT_KEY, SLOT_COUNT };
static const char *const security_members[] = {"AuthPrivateKey"};
static const char *const https_client_members[] = {"Certificate", "Key"};
/* Their other fields in 3.4, known so that they are not taken for typos. */
static const char *const security_others[] = {"SSLEngine"};
static const char *const https_client_others[] = {"SSLEngine"};
/* A Servers entry (client.MenderServer) has one field. */
static const char *const server_members[] = {"ServerURL"};
static const char *const slot_names[SLOT_COUNT] = {
    [MEM_AUTH_PRIVATE_KEY] = "Security.AuthPrivateKey",
    [MEM_CLIENT_CERTIFICATE] = "HttpsClient.Certificate",
    [MEM_CLIENT_KEY] = "HttpsClient.Key",
};

/* The value each option has once both files are read, and the file it came
 * from (for messages); NULL where neither sets it. */
struct found {
    json_object *value[SLOT_COUNT];
    const char *path[SLOT_COUNT];
};

static const char *slot_name(int slot)
{
    return slot < OPT_COUNT ? option_names[slot] : slot_names[slot];
}

/* Where each path option (OPT_DEVICE_TYPE_FILE to OPT_BOOT_ENV_FILE) is kept. */
static const size_t path_fields[] = {
    [OPT_DEVICE_TYPE_FILE] = offsetof(struct upd_config, device_type_file),
    [OPT_MODULES_DIR] = offsetof(struct upd_config, modules_dir),
    [OPT_ROOTFS_A] = offsetof(struct upd_config, rootfs_a),
    [OPT_ROOTFS_B] = offsetof(struct upd_config, rootfs_b),
    [OPT_SERVER_CERTIFICATE] = offsetof(struct upd_config, server_certificate),
    [OPT_BOOT_ENV_FILE] = offsetof(struct upd_config, boot_env_file),
};

/* The other string options: "" leaves them at their default (NULL for those
 * without one). */
static const struct {
    int slot;
    size_t field;
    const char *fallback;
} string_options[] = {
    {OPT_TENANT_TOKEN, offsetof(struct upd_config, tenant_token), ""},
    {OPT_IDENTITY_SCRIPT, offsetof(struct upd_config, identity_script),
     "/usr/share/mender/identity/mender-device-identity"},
    {OPT_INVENTORY_DIR, offsetof(struct upd_config, inventory_dir), "/usr/share/mender/inventory"},
    {OPT_REBOOT_COMMAND, offsetof(struct upd_config, reboot_command), "reboot"},
    {OPT_BOOT_ID_FILE, offsetof(struct upd_config, boot_id_file),
     "/proc/sys/kernel/random/boot_id"},
    {OPT_ARTIFACT_INFO_FILE, offsetof(struct upd_config, artifact_info_file),
     "/etc/mender/artifact_info"},
    {MEM_AUTH_PRIVATE_KEY, offsetof(struct upd_config, auth_private_key), NULL},
    {MEM_CLIENT_CERTIFICATE, offsetof(struct upd_config, client_certificate), NULL},
    {MEM_CLIENT_KEY, offsetof(struct upd_config, client_key), NULL},
};

/* The interval options, with Mender 3.4's defaults (app/mender.go: 30
 * minutes for both polls, 5 for the retry). */
static const struct {
    int slot;
    size_t field;
    unsigned fallback;
} interval_options[] = {
    {OPT_MODULE_TIMEOUT, offsetof(struct upd_config, module_timeout_s), DEFAULT_MODULE_TIMEOUT_S},
    {OPT_SCRIPT_TIMEOUT, offsetof(struct upd_config, script_timeout_s), DEFAULT_SCRIPT_TIMEOUT_S},
    {OPT_UPDATE_POLL, offsetof(struct upd_config, update_poll_s), 30 * 60},
    {OPT_INVENTORY_POLL, offsetof(struct upd_config, inventory_poll_s), 30 * 60},
    {OPT_RETRY_POLL, offsetof(struct upd_config, retry_poll_s), 5 * 60},
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

#define COUNT(a) (sizeof(a) / sizeof *(a))

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

/* The fields Go decodes one JSON object into: those read here (`ours`) and
 * the struct's others; `where` prefixes names in messages ("" or
 * "Security."). */
struct fields {
    const char *const *ours;
    size_t nours;
    const char *const *others;
    size_t nothers;
    const char *where;
};

static bool known_field(const char *key, const struct fields *f)
{
    for (size_t i = 0; i < f->nothers; i++)
        if (asig_json_go_key_matches(key, f->others[i]))
            return true;
    for (size_t i = 0; i < f->nours; i++)
        if (asig_json_go_key_matches(key, f->ours[i]))
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
 * (keys, partitions, module programs, device type, boot environment, the
 * server and how the device proves itself to it, how long a program may
 * run): a typo that leaves one unset is refused, naming the nearest option. */
static int refuse_typos(json_object *obj, const struct fields *f, const char *path)
{
    char shown[SHOWN_KEY_SIZE];
    json_object_object_foreach(obj, key, value) {
        (void)value;
        if (known_field(key, f))
            continue;
        const char *nearest = NULL;
        size_t nearest_distance = TYPO_EDITS_MAX + 1;
        for (size_t i = 0; i < f->nours; i++) {
            size_t distance = typo_distance(key, f->ours[i]);
            if (distance < nearest_distance) {
                nearest = f->ours[i];
                nearest_distance = distance;
            }
        }
        if (nearest)
            return upd_fail("configuration %s: unknown option \"%s%s\"; did you mean %s%s?", path,
                            f->where, shown_key(shown, key), f->where, nearest);
    }
    return UPD_EXIT_OK;
}

/* The members of `obj` named f->ours, into value[i] where present. Each by
 * its exact name: Go's encoding/json would also take a key that differs in
 * case (or by U+212A for k, U+017F for s) as the field; such a key is
 * refused, naming the spelling, rather than read two ways. The strict parser
 * has already refused keys Go takes as the same name. */
static int find_fields(json_object **value, json_object *obj, const struct fields *f,
                       const char *path)
{
    char shown[SHOWN_KEY_SIZE];
    const char *expected;
    const char *misspelt = asig_json_misspelt_field(obj, f->ours, f->nours, &expected);
    if (misspelt)
        return upd_fail("configuration %s: option \"%s%s\" must be spelt %s%s: Mender reads it "
                        "as that option, other readers do not", path, f->where,
                        shown_key(shown, misspelt), f->where, expected);
    int rc = refuse_typos(obj, f, path);
    for (size_t i = 0; i < f->nours && rc == UPD_EXIT_OK; i++) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(obj, f->ours[i], &v))
            continue;
        /* Go leaves an option as it was on null; json-c makes it "no
         * value": neither reading is what the owner meant. */
        if (!v)
            rc = upd_fail("configuration %s: %s%s is null; give it a value or remove it", path,
                          f->where, f->ours[i]);
        value[i] = v;
    }
    return rc;
}

/* Security or HttpsClient: its members into their slots. */
static int find_members(struct found *found, json_object *obj, const char *name,
                        const struct fields *f, int first_slot, const char *path)
{
    if (!obj)
        return UPD_EXIT_OK;
    if (!json_object_is_type(obj, json_type_object))
        return upd_fail("configuration %s: %s must be an object", path, name);
    json_object *value[2] = {0};
    int rc = find_fields(value, obj, f, path);
    for (size_t i = 0; i < f->nours && rc == UPD_EXIT_OK; i++)
        if (value[i]) {
            found->value[first_slot + (int)i] = value[i];
            found->path[first_slot + (int)i] = path;
        }
    return rc;
}

/* One file's options over those of the files read before it: as Go
 * decodes a second file into the same struct, an option (or a member of
 * Security or HttpsClient) the later file sets replaces the earlier value,
 * the rest stay. */
static int find_options(struct found *found, json_object *root, const char *path)
{
    static const struct fields top = {option_names, OPT_COUNT, mender_options,
                                      COUNT(mender_options), ""};
    static const struct fields security = {security_members, COUNT(security_members),
                                           security_others, COUNT(security_others),
                                           "Security."};
    static const struct fields https_client = {https_client_members,
                                               COUNT(https_client_members), https_client_others,
                                               COUNT(https_client_others), "HttpsClient."};
    json_object *value[OPT_COUNT] = {0};
    int rc = find_fields(value, root, &top, path);
    if (rc == UPD_EXIT_OK)
        rc = find_members(found, value[OPT_SECURITY], "Security", &security,
                          MEM_AUTH_PRIVATE_KEY, path);
    if (rc == UPD_EXIT_OK)
        rc = find_members(found, value[OPT_HTTPS_CLIENT], "HttpsClient", &https_client,
                          MEM_CLIENT_CERTIFICATE, path);
    for (int i = 0; i < OPT_COUNT && rc == UPD_EXIT_OK; i++)
        if (value[i] && i != OPT_SECURITY && i != OPT_HTTPS_CLIENT) {
            found->value[i] = value[i];
            found->path[i] = path;
        }
    return rc;
}

/* A string option: "" means unset, as Mender reads it. */
static int string_option(char **out, const struct found *found, int slot)
{
    *out = NULL;
    json_object *v = found->value[slot];
    if (!v)
        return UPD_EXIT_OK;
    if (!json_object_is_type(v, json_type_string))
        return upd_fail("configuration %s: %s must be a string", found->path[slot],
                        slot_name(slot));
    const char *s = json_object_get_string(v);
    if (*s && !(*out = strdup(s)))
        return upd_fail("out of memory");
    return UPD_EXIT_OK;
}

/* A string option with a default. */
static int string_or_default(char **out, const struct found *found, int slot,
                             const char *fallback)
{
    int rc = string_option(out, found, slot);
    if (rc == UPD_EXIT_OK && !*out && fallback && !(*out = strdup(fallback)))
        rc = upd_fail("out of memory");
    return rc;
}

/* A whole number from `min` to INT_MAX; unset keeps *out. Mender reads it
 * into a Go int, so a string or a fraction is an error there too. */
static int int_option(int64_t *out, const struct found *found, int slot, int64_t min,
                      const char *unit)
{
    json_object *v = found->value[slot];
    if (!v)
        return UPD_EXIT_OK;
    int64_t n = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : min - 1;
    if (n < min || n > INT_MAX)
        return upd_fail("configuration %s: %s must be a whole number%s from %" PRId64 " to %d",
                        found->path[slot], slot_name(slot), unit, min, INT_MAX);
    *out = n;
    return UPD_EXIT_OK;
}

/* An interval or timeout, at least 1 second: zero would leave no time at
 * all, or poll in a tight loop. */
static int seconds_option(unsigned *out, const struct found *found, int slot, unsigned fallback)
{
    int64_t n = fallback;
    int rc = int_option(&n, found, slot, 1, " of seconds");
    *out = (unsigned)n;
    return rc;
}

static int bool_option(bool *out, const struct found *found, int slot)
{
    json_object *v = found->value[slot];
    if (!v)
        return UPD_EXIT_OK;
    if (!json_object_is_type(v, json_type_boolean))
        return upd_fail("configuration %s: %s must be true or false", found->path[slot],
                        slot_name(slot));
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

static int key_options(struct upd_config *cfg, const struct found *found)
{
    json_object *one = found->value[OPT_VERIFY_KEY], *list = found->value[OPT_VERIFY_KEYS];
    const char *path = found->path[list ? OPT_VERIFY_KEYS : OPT_VERIFY_KEY];
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

/* A server URL as Mender 3.4 keeps it: one trailing '/' trimmed (its
 * paths add it back). */
static int add_server(struct upd_config *cfg, const char *url)
{
    char **urls = realloc(cfg->server_urls, (cfg->nserver_urls + 1) * sizeof *urls);
    if (!urls)
        return upd_fail("out of memory");
    cfg->server_urls = urls;
    size_t len = strlen(url);
    if (len && url[len - 1] == '/')
        len--;
    if (!(urls[cfg->nserver_urls] = strndup(url, len)))
        return upd_fail("out of memory");
    cfg->nserver_urls++;
    return UPD_EXIT_OK;
}

/* One Servers entry: an object whose ServerURL is a non-empty string
 * (Mender 3.4 only warns about an entry without one, then fails to reach
 * it). */
static int server_entry(struct upd_config *cfg, json_object *entry, size_t n, const char *path)
{
    static const struct fields server = {server_members, 1, NULL, 0, "Servers[]."};
    if (!json_object_is_type(entry, json_type_object))
        return upd_fail("configuration %s: Servers entry %zu must be an object with a ServerURL",
                        path, n);
    json_object *url = NULL;
    int rc = find_fields(&url, entry, &server, path);
    if (rc != UPD_EXIT_OK)
        return rc;
    if (!url || !json_object_is_type(url, json_type_string) || !*json_object_get_string(url))
        return upd_fail("configuration %s: Servers entry %zu needs a ServerURL (a non-empty "
                        "string)", path, n);
    return add_server(cfg, json_object_get_string(url));
}

/* ServerURL or Servers, as Mender 3.4's Validate(): both set is an error
 * there too ("Both Servers AND ServerURL given"), even across the two
 * files; an empty ServerURL is unset. */
static int server_options(struct upd_config *cfg, const struct found *found)
{
    json_object *list = found->value[OPT_SERVERS];
    char *url;
    int rc = string_option(&url, found, OPT_SERVER_URL);
    if (rc == UPD_EXIT_OK && url && list)
        rc = upd_fail("configuration %s: both ServerURL and Servers are set (Mender refuses "
                      "this too); use one of them", found->path[OPT_SERVERS]);
    else if (rc == UPD_EXIT_OK && url)
        rc = add_server(cfg, url);
    free(url);
    if (rc != UPD_EXIT_OK || !list)
        return rc;
    if (!json_object_is_type(list, json_type_array))
        return upd_fail("configuration %s: Servers must be a list of objects with a ServerURL",
                        found->path[OPT_SERVERS]);
    for (size_t i = 0; i < json_object_array_length(list) && rc == UPD_EXIT_OK; i++)
        rc = server_entry(cfg, json_object_array_get_idx(list, i), i + 1,
                          found->path[OPT_SERVERS]);
    return rc;
}

/* ArtsigAuthKeyType: the type of a mender-agent.pem made here. */
static int auth_key_type_option(struct upd_config *cfg, const struct found *found)
{
    char *name;
    cfg->auth_key_type = ARTSIG_KEY_RSA;
    int rc = string_option(&name, found, OPT_AUTH_KEY_TYPE);
    if (rc == UPD_EXIT_OK && name && strcmp(name, "ed25519") == 0)
        cfg->auth_key_type = ARTSIG_KEY_ED25519;
    else if (rc == UPD_EXIT_OK && name && strcmp(name, "rsa") != 0)
        rc = upd_fail("configuration %s: ArtsigAuthKeyType must be \"rsa\" or \"ed25519\"",
                      found->path[OPT_AUTH_KEY_TYPE]);
    free(name);
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

/* A tenant token goes into an HTTP header line: a JWT is printable ASCII
 * without spaces, and a line break in it would add headers of its own. */
static int check_tenant_token(const struct upd_config *cfg, const struct found *found)
{
    for (const unsigned char *p = (const unsigned char *)cfg->tenant_token; *p; p++)
        if (*p <= ' ' || *p >= 0x7f)
            return upd_fail("configuration %s: %s holds a space, line break or other byte a "
                            "token cannot hold (0x%02x)", found->path[OPT_TENANT_TOKEN],
                            option_names[OPT_TENANT_TOKEN], *p);
    return UPD_EXIT_OK;
}

/* The settings in force once every file was read. */
static int apply_options(struct upd_config *cfg, const struct found *found, const char *data_dir)
{
    int rc = key_options(cfg, found);
    for (int i = OPT_DEVICE_TYPE_FILE; i <= OPT_BOOT_ENV_FILE && rc == UPD_EXIT_OK; i++)
        rc = string_option((char **)((char *)cfg + path_fields[i]), found, i);
    for (size_t i = 0; i < COUNT(string_options) && rc == UPD_EXIT_OK; i++)
        rc = string_or_default((char **)((char *)cfg + string_options[i].field), found,
                               string_options[i].slot, string_options[i].fallback);
    if (rc == UPD_EXIT_OK)
        rc = check_tenant_token(cfg, found);
    for (size_t i = 0; i < COUNT(interval_options) && rc == UPD_EXIT_OK; i++)
        rc = seconds_option((unsigned *)((char *)cfg + interval_options[i].field), found,
                            interval_options[i].slot, interval_options[i].fallback);
    int64_t retry_count = 0;
    if (rc == UPD_EXIT_OK)
        rc = int_option(&retry_count, found, OPT_RETRY_COUNT, 0, "");
    cfg->retry_poll_count = (int)retry_count;
    if (rc == UPD_EXIT_OK)
        rc = bool_option(&cfg->accept_unsigned_files, found, OPT_ACCEPT_UNSIGNED_FILES);
    if (rc == UPD_EXIT_OK)
        rc = bool_option(&cfg->skip_verify, found, OPT_SKIP_VERIFY);
    if (rc == UPD_EXIT_OK)
        rc = server_options(cfg, found);
    if (rc == UPD_EXIT_OK)
        rc = auth_key_type_option(cfg, found);
    if (rc == UPD_EXIT_OK)
        rc = apply_defaults(cfg, data_dir);
    return rc;
}

/* One file as a JSON object, into *root; a missing file is *root NULL when
 * `missing_ok`. */
static int parse_file(json_object **root, const char *path, bool missing_ok)
{
    *root = NULL;
    char *text = NULL;
    int rc = upd_read_file(&text, path, CONFIG_MAX, missing_ok);
    if (rc != UPD_EXIT_OK || !text)
        return rc;
    char why[256];
    enum asig_json_verdict verdict = asig_json_strict_parse(
        root, (const uint8_t *)text, strlen(text), &config_limits, why, sizeof why);
    free(text);
    if (verdict == ASIG_JSON_ENOMEM)
        return upd_fail("out of memory");
    if (verdict != ASIG_JSON_OK)
        return upd_fail("configuration %s: %s", path, why);
    if (!json_object_is_type(*root, json_type_object))
        return upd_fail("configuration %s: not a JSON object", path);
    return UPD_EXIT_OK;
}

int upd_config_load(struct upd_config *cfg, const char *path, const char *fallback_path,
                    const char *data_dir, bool missing_ok)
{
    memset(cfg, 0, sizeof *cfg);
    /* As Mender 3.4's LoadConfig: the fallback first, which may be absent,
     * then the main file, whose options override it. */
    json_object *fallback = NULL, *main_root = NULL;
    struct found found = {0};
    int rc = fallback_path ? parse_file(&fallback, fallback_path, true) : UPD_EXIT_OK;
    if (rc == UPD_EXIT_OK && fallback)
        rc = find_options(&found, fallback, fallback_path);
    if (rc == UPD_EXIT_OK)
        rc = parse_file(&main_root, path, missing_ok);
    if (rc == UPD_EXIT_OK && main_root)
        rc = find_options(&found, main_root, path);
    if (rc == UPD_EXIT_OK)
        rc = apply_options(cfg, &found, data_dir);
    json_object_put(fallback);
    json_object_put(main_root);
    if (rc != UPD_EXIT_OK)
        upd_config_free(cfg);
    return rc;
}

void upd_config_free(struct upd_config *cfg)
{
    for (size_t i = 0; i < cfg->nverify_keys; i++)
        free(cfg->verify_keys[i]);
    free(cfg->verify_keys);
    for (size_t i = 0; i < cfg->nserver_urls; i++)
        free(cfg->server_urls[i]);
    free(cfg->server_urls);
    free(cfg->device_type_file);
    free(cfg->modules_dir);
    free(cfg->rootfs_a);
    free(cfg->rootfs_b);
    free(cfg->boot_env_file);
    free(cfg->server_certificate);
    free(cfg->tenant_token);
    free(cfg->auth_private_key);
    free(cfg->client_certificate);
    free(cfg->client_key);
    free(cfg->identity_script);
    free(cfg->inventory_dir);
    free(cfg->reboot_command);
    free(cfg->boot_id_file);
    free(cfg->artifact_info_file);
    memset(cfg, 0, sizeof *cfg);
}

/* Adds `value` under `key`, JSON null when NULL; false when out of memory. */
/* A setting as show-config prints it: a pkcs11: URI (a key's location)
 * without its pin-value. */
static json_object *shown_string(const char *value)
{
    char *redacted = NULL;
    if (artsig_is_pkcs11_uri(value) && artsig_pkcs11_uri_redact(&redacted, value) != ARTSIG_OK)
        return json_object_new_string("(a PKCS#11 URI that does not parse)");
    json_object *shown = json_object_new_string(redacted ? redacted : value);
    artsig_free(redacted);
    return shown;
}

static bool put_string(json_object *obj, const char *key, const char *value)
{
    json_object *s = value ? shown_string(value) : NULL;
    return (!value || s) && json_object_object_add(obj, key, s) == 0;
}

static bool put(json_object *obj, const char *key, json_object *value)
{
    if (value && json_object_object_add(obj, key, value) == 0)
        return true;
    json_object_put(value);
    return false;
}

static bool put_list(json_object *obj, const char *key, char *const *items, size_t n)
{
    json_object *list = json_object_new_array();
    bool ok = put(obj, key, list);
    for (size_t i = 0; ok && i < n; i++) {
        json_object *item = shown_string(items[i]);
        ok = item && json_object_array_add(list, item) == 0;
        if (!ok)
            json_object_put(item);
    }
    return ok;
}

/* The settings of the server side. The tenant token is a credential: only
 * whether one is set shows. */
static bool show_server_settings(json_object *obj, const struct upd_config *cfg)
{
    json_object *security = json_object_new_object(), *https_client = json_object_new_object();
    bool ok = put(obj, option_names[OPT_SECURITY], security);
    ok = put(obj, option_names[OPT_HTTPS_CLIENT], https_client) && ok;
    ok = ok && put_list(obj, option_names[OPT_SERVERS], cfg->server_urls, cfg->nserver_urls) &&
         put_string(obj, option_names[OPT_TENANT_TOKEN],
                    *cfg->tenant_token ? "(set, not shown)" : "") &&
         put(obj, option_names[OPT_SKIP_VERIFY], json_object_new_boolean(cfg->skip_verify)) &&
         put(obj, option_names[OPT_RETRY_COUNT], json_object_new_int64(cfg->retry_poll_count)) &&
         put_string(security, security_members[0], cfg->auth_private_key) &&
         put_string(https_client, https_client_members[0], cfg->client_certificate) &&
         put_string(https_client, https_client_members[1], cfg->client_key) &&
         put_string(obj, option_names[OPT_AUTH_KEY_TYPE],
                    artsig_key_type_name(cfg->auth_key_type));
    for (size_t i = 0; ok && i < COUNT(string_options); i++)
        if (string_options[i].slot < OPT_COUNT && string_options[i].slot != OPT_TENANT_TOKEN)
            ok = put_string(obj, option_names[string_options[i].slot],
                            *(char *const *)((const char *)cfg + string_options[i].field));
    return ok;
}

int upd_config_show(const struct upd_config *cfg)
{
    json_object *obj = json_object_new_object();
    bool ok = obj && put_list(obj, option_names[OPT_VERIFY_KEYS], cfg->verify_keys,
                              cfg->nverify_keys);
    for (int i = OPT_DEVICE_TYPE_FILE; ok && i <= OPT_BOOT_ENV_FILE; i++)
        ok = put_string(obj, option_names[i],
                        *(char *const *)((const char *)cfg + path_fields[i]));
    for (size_t i = 0; ok && i < COUNT(interval_options); i++)
        ok = put(obj, option_names[interval_options[i].slot],
                 json_object_new_int64(
                     *(const unsigned *)((const char *)cfg + interval_options[i].field)));
    ok = ok &&
         put(obj, option_names[OPT_ACCEPT_UNSIGNED_FILES],
             json_object_new_boolean(cfg->accept_unsigned_files)) &&
         show_server_settings(obj, cfg);
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
