/* Keys in PKCS#11 tokens: the module is dlopen()ed and driven through the
 * C API directly, so no OpenSSL engine or provider configuration is needed. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>
#include <sodium.h>

#include "internal.h"
#include "pkcs11_internal.h"

/* ---- modules ----------------------------------------------------------- */

/* A PKCS#11 login belongs to the whole process, per token: every session of
 * the token shares it, and C_Logout on any one logs them all out. So logins
 * are counted per module and slot, and only the last user logs out. */
struct token_login {
    struct token_login *next;
    CK_SLOT_ID slot;
    unsigned users;
    bool logout; /* false when another part of the process logged in */
};

/* One per module path, shared by every key and signer of the process, so a
 * module is initialised once and finalised only by whoever initialised it. */
struct module {
    struct module *next;
    char *path;
    void *dl;
    CK_FUNCTION_LIST_PTR f;
    unsigned refs;
    bool finalize; /* false when another part of the process initialised it */
    struct token_login *logins; /* under logins_lock */
};

static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct module *modules;
/* Apart from modules_lock, which a PIN prompt or PIN pad would hold up. */
static pthread_mutex_t logins_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *ckr_name(CK_RV rv)
{
    switch (rv) {
    case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
    case CKR_HOST_MEMORY: return "CKR_HOST_MEMORY";
    case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
    case CKR_DEVICE_REMOVED: return "CKR_DEVICE_REMOVED";
    case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
    case CKR_TOKEN_NOT_RECOGNIZED: return "CKR_TOKEN_NOT_RECOGNIZED";
    case CKR_SESSION_HANDLE_INVALID: return "CKR_SESSION_HANDLE_INVALID";
    case CKR_KEY_TYPE_INCONSISTENT: return "CKR_KEY_TYPE_INCONSISTENT";
    case CKR_KEY_FUNCTION_NOT_PERMITTED: return "CKR_KEY_FUNCTION_NOT_PERMITTED";
    case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
    case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
    case CKR_FUNCTION_FAILED: return "CKR_FUNCTION_FAILED";
    case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD";
    case CKR_BUFFER_TOO_SMALL: return "CKR_BUFFER_TOO_SMALL";
    }
    return "error";
}

/* A failed call's status as an artsig status, with the call named. */
static int ckr_fail(CK_RV rv, const char *call)
{
    int status = ARTSIG_ETOKEN;
    if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_REMOVED)
        status = ARTSIG_ENOTOKEN;
    else if (rv == CKR_MECHANISM_INVALID || rv == CKR_KEY_TYPE_INCONSISTENT ||
             rv == CKR_KEY_FUNCTION_NOT_PERMITTED)
        status = ARTSIG_EMECHANISM;
    else if (rv == CKR_HOST_MEMORY)
        status = ARTSIG_ENOMEM;
    return asig_fail(status, "%s failed: %s (0x%lx)", call, ckr_name(rv), (unsigned long)rv);
}

static bool file_exists(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f)
        fclose(f);
    return f != NULL;
}

/* p11-kit's registration of `name`: the "module:" line of NAME.module, a
 * file name relative to p11-kit's module directory or an absolute path. */
static char *registered_module(const char *name)
{
    static const char *const dirs[] = {ASIG_P11_SYSTEM_MODULE_CONFIGS, ASIG_P11_MODULE_CONFIGS};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char conf[4096];
        snprintf(conf, sizeof conf, "%s/%s.module", dirs[i], name);
        FILE *f = fopen(conf, "r");
        if (!f)
            continue;
        char line[4096];
        char *found = NULL;
        while (!found && fgets(line, sizeof line, f)) {
            char *v = line + strspn(line, " \t");
            if (strncmp(v, "module:", 7) != 0)
                continue;
            v += 7 + strspn(v + 7, " \t");
            v[strcspn(v, " \t\r\n")] = 0;
            if (*v == '/')
                found = strdup(v);
            else if (*v && asprintf(&found, "%s/%s", ASIG_P11_MODULE_PATH, v) < 0)
                found = NULL;
        }
        fclose(f);
        if (found)
            return found;
    }
    return NULL;
}

static int module_resolve(char **out, const struct asig_p11_uri *u)
{
    const char *env = getenv(ARTSIG_PKCS11_MODULE_ENV);
    if (u->module_path)
        *out = strdup(u->module_path);
    else if (u->module_name) {
        if (strchr(u->module_name, '/'))
            return asig_fail(ARTSIG_EINVAL, "PKCS#11 URI: module-name is a name, not a path; "
                             "use module-path");
        *out = registered_module(u->module_name);
        char candidate[4096];
        for (int lib = 0; !*out && lib < 2; lib++) {
            snprintf(candidate, sizeof candidate, "%s/%s%s.so", ASIG_P11_MODULE_PATH,
                     lib ? "lib" : "", u->module_name);
            if (file_exists(candidate))
                *out = strdup(candidate);
        }
        if (!*out)
            return asig_fail(ARTSIG_EMODULE, "no PKCS#11 module named '%s' is registered with "
                             "p11-kit or installed in %s", u->module_name, ASIG_P11_MODULE_PATH);
    } else if (env && *env)
        *out = strdup(env);
    else
        *out = strdup(ASIG_P11_PROXY_MODULE);
    return *out ? ARTSIG_OK : asig_fail(ARTSIG_ENOMEM, "PKCS#11 module path");
}

static int module_start(struct module *m)
{
    m->dl = dlopen(m->path, RTLD_NOW | RTLD_LOCAL);
    if (!m->dl)
        return asig_fail(ARTSIG_EMODULE, "cannot load PKCS#11 module %s: %s", m->path, dlerror());
    CK_C_GetFunctionList get_list;
    *(void **)&get_list = dlsym(m->dl, "C_GetFunctionList");
    if (!get_list || get_list(&m->f) != CKR_OK || !m->f)
        return asig_fail(ARTSIG_EMODULE, "%s is not a PKCS#11 module (no C_GetFunctionList)",
                         m->path);
    /* The module may be used from several threads; let it use the OS's locks. */
    CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
    CK_RV rv = m->f->C_Initialize(&args);
    if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED)
        return ARTSIG_OK;
    if (rv != CKR_OK)
        return asig_fail(ARTSIG_EMODULE, "PKCS#11 module %s failed to start: C_Initialize: %s "
                         "(0x%lx)", m->path, ckr_name(rv), (unsigned long)rv);
    m->finalize = true;
    return ARTSIG_OK;
}

static void module_destroy(struct module *m)
{
    if (m->finalize)
        m->f->C_Finalize(NULL);
    if (m->dl)
        dlclose(m->dl);
    free(m->path);
    free(m);
}

static int module_get(struct module **out, const char *path)
{
    int rc = ARTSIG_OK;
    pthread_mutex_lock(&modules_lock);
    struct module *m = modules;
    while (m && strcmp(m->path, path) != 0)
        m = m->next;
    if (!m) {
        m = calloc(1, sizeof *m);
        if (!m || !(m->path = strdup(path))) {
            free(m);
            rc = asig_fail(ARTSIG_ENOMEM, "PKCS#11 module");
        } else if ((rc = module_start(m)) != ARTSIG_OK) {
            module_destroy(m);
        } else {
            m->next = modules;
            modules = m;
        }
    }
    if (rc == ARTSIG_OK) {
        m->refs++;
        *out = m;
    }
    pthread_mutex_unlock(&modules_lock);
    return rc;
}

static void module_put(struct module *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&modules_lock);
    if (--m->refs == 0) {
        struct module **p = &modules;
        while (*p != m)
            p = &(*p)->next;
        *p = m->next;
        module_destroy(m);
    }
    pthread_mutex_unlock(&modules_lock);
}

/* ---- tokens and sessions ----------------------------------------------- */

/* An open session on the token that holds the URI's object. */
struct session {
    struct asig_p11_uri uri;
    struct module *mod;
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE handle;
    bool open;
    bool logged_in; /* counted in the token's login, so to be given back */
    CK_FLAGS token_flags;
    char label[sizeof ((CK_TOKEN_INFO *)0)->label + 1];
};

/* PKCS#11 text fields are fixed-size and padded with blanks. */
static bool padded_eq(const CK_UTF8CHAR *field, size_t size, const char *want)
{
    size_t n = size;
    while (n > 0 && field[n - 1] == ' ')
        n--;
    return !want || (strlen(want) == n && memcmp(field, want, n) == 0);
}

static void padded_copy(char *out, const CK_UTF8CHAR *field, size_t size)
{
    size_t n = size;
    while (n > 0 && field[n - 1] == ' ')
        n--;
    memcpy(out, field, n);
    out[n] = 0;
}

static bool slot_matches(struct session *s, CK_SLOT_ID slot)
{
    const struct asig_p11_uri *u = &s->uri;
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    if (u->has_slot_id && u->slot_id != slot)
        return false;
    if (s->mod->f->C_GetSlotInfo(slot, &si) != CKR_OK ||
        !padded_eq(si.slotDescription, sizeof si.slotDescription, u->slot_description) ||
        !padded_eq(si.manufacturerID, sizeof si.manufacturerID, u->slot_manufacturer))
        return false;
    if (s->mod->f->C_GetTokenInfo(slot, &ti) != CKR_OK ||
        !padded_eq(ti.label, sizeof ti.label, u->token) ||
        !padded_eq(ti.manufacturerID, sizeof ti.manufacturerID, u->manufacturer) ||
        !padded_eq(ti.serialNumber, sizeof ti.serialNumber, u->serial) ||
        !padded_eq(ti.model, sizeof ti.model, u->model))
        return false;
    s->token_flags = ti.flags;
    padded_copy(s->label, ti.label, sizeof ti.label);
    return true;
}

static bool library_matches(struct session *s)
{
    CK_INFO info;
    if (!s->uri.library_manufacturer && !s->uri.library_description)
        return true;
    return s->mod->f->C_GetInfo(&info) == CKR_OK &&
           padded_eq(info.manufacturerID, sizeof info.manufacturerID,
                     s->uri.library_manufacturer) &&
           padded_eq(info.libraryDescription, sizeof info.libraryDescription,
                     s->uri.library_description);
}

/* The PIN from the URI, its pin-source file, or the caller; *len 0 and
 * ARTSIG_OK when there is none. `pin` is wiped by the caller. */
static int pin_get(char pin[static ARTSIG_PKCS11_PIN_MAX + 1], size_t *len,
                   const struct session *s, artsig_passphrase_cb cb, void *userdata)
{
    *len = 0;
    if (s->uri.pin_value) {
        *len = strlen(s->uri.pin_value);
        memcpy(pin, s->uri.pin_value, *len);
        return ARTSIG_OK;
    }
    if (s->uri.pin_source) {
        const char *path = s->uri.pin_source;
        if (strncmp(path, "file:", 5) == 0)
            path += strncmp(path, "file://", 7) == 0 ? 7 : 5;
        uint8_t *data;
        size_t data_len;
        int rc = asig_read_file(&data, &data_len, path, ARTSIG_PKCS11_PIN_MAX + 2);
        /* The detail of a missing or unreadable file already names it. */
        if (rc == ARTSIG_ELIMIT)
            return asig_fail(ARTSIG_EPIN, "PIN file %s: longer than %d bytes", path,
                             ARTSIG_PKCS11_PIN_MAX);
        if (rc != ARTSIG_OK)
            return rc;
        /* The first line is the PIN; its newline is not part of it. */
        size_t n = strcspn((char *)data, "\r\n");
        if (n <= ARTSIG_PKCS11_PIN_MAX) {
            memcpy(pin, data, n);
            *len = n;
        }
        sodium_memzero(data, data_len);
        free(data);
        return n <= ARTSIG_PKCS11_PIN_MAX ? ARTSIG_OK
                                          : asig_fail(ARTSIG_EPIN, "PIN file %s: longer than %d "
                                                      "bytes", path, ARTSIG_PKCS11_PIN_MAX);
    }
    if (cb) {
        int n = cb(pin, ARTSIG_PKCS11_PIN_MAX, userdata);
        if (n < 0 || n > ARTSIG_PKCS11_PIN_MAX)
            return asig_fail(ARTSIG_EPIN, "no PIN given for token '%s'", s->label);
        *len = (size_t)n;
    }
    return ARTSIG_OK;
}

static struct token_login **token_login_of(struct session *s)
{
    struct token_login **t = &s->mod->logins;
    while (*t && (*t)->slot != s->slot)
        t = &(*t)->next;
    return t;
}

static int token_login(struct session *s, artsig_passphrase_cb cb, void *userdata)
{
    char pin[ARTSIG_PKCS11_PIN_MAX + 1];
    size_t len = 0;
    int rc = ARTSIG_OK;
    CK_RV rv;
    if (s->token_flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
        /* A PIN pad or biometric reader: the token asks the user itself. */
        rv = s->mod->f->C_Login(s->handle, CKU_USER, NULL, 0);
    } else {
        rc = pin_get(pin, &len, s, cb, userdata);
        if (rc == ARTSIG_OK && len == 0 && !s->uri.pin_value && !s->uri.pin_source && !cb)
            rc = asig_fail(ARTSIG_EPIN, "token '%s' needs a PIN: add pin-value or pin-source "
                           "to the URI", s->label);
        rv = rc == ARTSIG_OK ? s->mod->f->C_Login(s->handle, CKU_USER, (CK_UTF8CHAR_PTR)pin, len)
                             : CKR_OK;
        sodium_memzero(pin, sizeof pin);
    }
    if (rc != ARTSIG_OK)
        return rc;
    struct token_login *t;
    switch (rv) {
    case CKR_OK:
    case CKR_USER_ALREADY_LOGGED_IN:
        t = calloc(1, sizeof *t);
        if (!t) {
            if (rv == CKR_OK)
                s->mod->f->C_Logout(s->handle);
            return asig_fail(ARTSIG_ENOMEM, "PKCS#11 login");
        }
        *t = (struct token_login){.next = s->mod->logins, .slot = s->slot, .users = 1,
                                  .logout = rv == CKR_OK};
        s->mod->logins = t;
        return ARTSIG_OK;
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
        return asig_fail(ARTSIG_EPIN, "wrong PIN for token '%s'", s->label);
    case CKR_PIN_LOCKED:
        return asig_fail(ARTSIG_EPIN, "the PIN of token '%s' is locked", s->label);
    case CKR_PIN_EXPIRED:
        return asig_fail(ARTSIG_EPIN, "the PIN of token '%s' has expired", s->label);
    }
    return ckr_fail(rv, "C_Login");
}

/* Join the token's login, or log in when nobody in the process has. The
 * token is then logged in for the whole process, whichever PIN the others
 * gave: PKCS#11 knows no login per session. */
static int login(struct session *s, artsig_passphrase_cb cb, void *userdata)
{
    pthread_mutex_lock(&logins_lock);
    struct token_login *t = *token_login_of(s);
    int rc = ARTSIG_OK;
    if (t)
        t->users++;
    else
        rc = token_login(s, cb, userdata);
    pthread_mutex_unlock(&logins_lock);
    s->logged_in = rc == ARTSIG_OK;
    return rc;
}

static void logout(struct session *s)
{
    pthread_mutex_lock(&logins_lock);
    struct token_login **at = token_login_of(s), *t = *at;
    if (--t->users == 0) {
        if (t->logout)
            s->mod->f->C_Logout(s->handle);
        *at = t->next;
        free(t);
    }
    pthread_mutex_unlock(&logins_lock);
}

static void session_close(struct session *s)
{
    if (s->open) {
        if (s->logged_in)
            logout(s);
        s->mod->f->C_CloseSession(s->handle);
    }
    s->open = s->logged_in = false;
}

static void session_free(struct session *s)
{
    if (!s)
        return;
    session_close(s);
    module_put(s->mod);
    asig_p11_uri_clear(&s->uri);
    free(s);
}

static const CK_OBJECT_CLASS type_class[] = {
    [ASIG_P11_PRIVATE] = CKO_PRIVATE_KEY,
    [ASIG_P11_PUBLIC] = CKO_PUBLIC_KEY,
    [ASIG_P11_CERT] = CKO_CERTIFICATE,
};

/* Objects of `class` matching the URI's object and id (or `id` when given),
 * at most two: one more than enough to see ambiguity. */
static int find(CK_OBJECT_HANDLE found[2], CK_ULONG *count, struct session *s,
                CK_OBJECT_CLASS class, const uint8_t *id, size_t id_len)
{
    CK_ATTRIBUTE tmpl[3] = {{CKA_CLASS, &class, sizeof class}};
    CK_ULONG n = 1;
    if (s->uri.object)
        tmpl[n++] = (CK_ATTRIBUTE){CKA_LABEL, s->uri.object, strlen(s->uri.object)};
    if (!id && s->uri.has_id) {
        id = s->uri.id;
        id_len = s->uri.id_len;
    }
    if (id)
        tmpl[n++] = (CK_ATTRIBUTE){CKA_ID, (void *)id, id_len};
    CK_RV rv = s->mod->f->C_FindObjectsInit(s->handle, tmpl, n);
    if (rv != CKR_OK)
        return ckr_fail(rv, "C_FindObjectsInit");
    rv = s->mod->f->C_FindObjects(s->handle, found, 2, count);
    s->mod->f->C_FindObjectsFinal(s->handle);
    return rv == CKR_OK ? ARTSIG_OK : ckr_fail(rv, "C_FindObjects");
}

/* The first class in `classes` with a matching object: one object, or an
 * error when the URI is ambiguous. *found is CK_INVALID_HANDLE when none. */
static int find_one(CK_OBJECT_HANDLE *found, CK_OBJECT_CLASS *class, struct session *s,
                    const CK_OBJECT_CLASS *classes, size_t n_classes)
{
    *found = CK_INVALID_HANDLE;
    for (size_t i = 0; i < n_classes; i++) {
        CK_OBJECT_HANDLE h[2];
        CK_ULONG count = 0;
        int rc = find(h, &count, s, classes[i], NULL, 0);
        if (rc != ARTSIG_OK)
            return rc;
        if (count > 1)
            return asig_fail(ARTSIG_EINVAL, "%s matches more than one object in token '%s'; "
                             "add object= or id= to tell them apart", s->uri.shown, s->label);
        if (count == 1) {
            *found = h[0];
            *class = classes[i];
            return ARTSIG_OK;
        }
    }
    return ARTSIG_OK;
}

/* Open the URI's module, and a session on each matching token until one
 * holds the object: a private key when `signing`, else the URI's type, or
 * any key or certificate. A private-key search logs in first; the others
 * log in only when nothing public matched and a PIN is at hand. */
static int session_open(struct session **out, CK_OBJECT_HANDLE *obj, CK_OBJECT_CLASS *class,
                        const char *uri, bool signing, artsig_passphrase_cb cb, void *userdata)
{
    /* Public objects first: they can be read without logging in. */
    static const CK_OBJECT_CLASS any[] = {CKO_PUBLIC_KEY, CKO_CERTIFICATE, CKO_PRIVATE_KEY};
    struct session *s = calloc(1, sizeof *s);
    if (!s)
        return asig_fail(ARTSIG_ENOMEM, "PKCS#11 session");
    char *path = NULL;
    const CK_OBJECT_CLASS *classes = any;
    size_t n_classes = sizeof any / sizeof any[0];
    int rc = asig_p11_uri_parse(&s->uri, uri);
    if (rc == ARTSIG_OK && signing && s->uri.type != ASIG_P11_ANY &&
        s->uri.type != ASIG_P11_PRIVATE)
        rc = asig_fail(ARTSIG_EKEYROLE, "a signer needs a private key object, and the URI "
                       "asks for type=%s", s->uri.type == ASIG_P11_PUBLIC ? "public" : "cert");
    if (signing || s->uri.type != ASIG_P11_ANY) {
        classes = &type_class[signing ? ASIG_P11_PRIVATE : s->uri.type];
        n_classes = 1;
    }
    if (rc == ARTSIG_OK)
        rc = module_resolve(&path, &s->uri);
    if (rc == ARTSIG_OK)
        rc = module_get(&s->mod, path);
    CK_SLOT_ID slots[64];
    CK_ULONG n_slots = sizeof slots / sizeof slots[0];
    if (rc == ARTSIG_OK) {
        CK_RV rv = s->mod->f->C_GetSlotList(CK_TRUE, slots, &n_slots);
        if (rv == CKR_BUFFER_TOO_SMALL)
            rc = asig_fail(ARTSIG_ELIMIT, "module %s has more than %zu tokens", path,
                           sizeof slots / sizeof slots[0]);
        else if (rv != CKR_OK)
            rc = ckr_fail(rv, "C_GetSlotList");
    }
    bool wants_private = n_classes == 1 && classes[0] == CKO_PRIVATE_KEY;
    bool may_login = wants_private || s->uri.pin_value || s->uri.pin_source;
    bool any_token = false;
    *obj = CK_INVALID_HANDLE;
    for (CK_ULONG i = 0; rc == ARTSIG_OK && i < n_slots && *obj == CK_INVALID_HANDLE; i++) {
        if (!library_matches(s) || !slot_matches(s, slots[i]))
            continue;
        any_token = true;
        s->slot = slots[i];
        CK_RV rv = s->mod->f->C_OpenSession(s->slot, CKF_SERIAL_SESSION, NULL, NULL, &s->handle);
        if (rv != CKR_OK) {
            rc = ckr_fail(rv, "C_OpenSession");
            break;
        }
        s->open = true;
        bool needs_login = s->token_flags & CKF_LOGIN_REQUIRED;
        if (wants_private && needs_login)
            rc = login(s, cb, userdata);
        if (rc == ARTSIG_OK)
            rc = find_one(obj, class, s, classes, n_classes);
        if (rc == ARTSIG_OK && *obj == CK_INVALID_HANDLE && !wants_private && may_login &&
            needs_login && !s->logged_in) {
            rc = login(s, cb, userdata);
            if (rc == ARTSIG_OK)
                rc = find_one(obj, class, s, classes, n_classes);
        }
        if (*obj == CK_INVALID_HANDLE)
            session_close(s);
    }
    if (rc == ARTSIG_OK && !any_token)
        rc = asig_fail(ARTSIG_ENOTOKEN, "no token matching %s is present in module %s",
                       s->uri.shown, path);
    else if (rc == ARTSIG_OK && *obj == CK_INVALID_HANDLE)
        rc = asig_fail(ARTSIG_ENOTFOUND, "no %s object matching %s",
                       wants_private ? "private key" : "key or certificate", s->uri.shown);
    free(path);
    if (rc != ARTSIG_OK) {
        session_free(s);
        return rc;
    }
    *out = s;
    return ARTSIG_OK;
}

/* ---- public halves ----------------------------------------------------- */

/* An attribute's value in fresh memory (free()), or NULL when the object
 * does not have it or will not tell. */
static uint8_t *attr_get(size_t *len, struct session *s, CK_OBJECT_HANDLE obj,
                         CK_ATTRIBUTE_TYPE type)
{
    CK_ATTRIBUTE a = {type, NULL, 0};
    if (s->mod->f->C_GetAttributeValue(s->handle, obj, &a, 1) != CKR_OK ||
        a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen == 0 ||
        a.ulValueLen > ARTSIG_KEY_FILE_MAX)
        return NULL;
    a.pValue = malloc(a.ulValueLen);
    if (!a.pValue)
        return NULL;
    if (s->mod->f->C_GetAttributeValue(s->handle, obj, &a, 1) != CKR_OK) {
        free(a.pValue);
        return NULL;
    }
    *len = a.ulValueLen;
    return a.pValue;
}

static bool attr_ulong(CK_ULONG *out, struct session *s, CK_OBJECT_HANDLE obj,
                       CK_ATTRIBUTE_TYPE type)
{
    CK_ATTRIBUTE a = {type, out, sizeof *out};
    return s->mod->f->C_GetAttributeValue(s->handle, obj, &a, 1) == CKR_OK;
}

/* The curve of CKA_EC_PARAMS: DER of P-256's OID, or for Edwards keys the
 * OID of Ed25519 or the PrintableString "edwards25519" some tokens use. */
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
static const uint8_t name_ed25519[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's',
                                       '2', '5', '5', '1', '9'};

static bool bytes_eq(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    return a && a_len == b_len && memcmp(a, b, b_len) == 0;
}

/* What libartsig can do with the object's key, from CKA_KEY_TYPE and curve. */
static int key_type_of(artsig_key_type *type, struct session *s, CK_OBJECT_HANDLE obj)
{
    CK_KEY_TYPE kt;
    if (!attr_ulong(&kt, s, obj, CKA_KEY_TYPE))
        return asig_fail(ARTSIG_ETOKEN, "%s: the token does not tell the key's type",
                         s->uri.shown);
    if (kt == CKK_RSA) {
        *type = ARTSIG_KEY_RSA;
        return ARTSIG_OK;
    }
    size_t len = 0;
    uint8_t *params = kt == CKK_EC || kt == CKK_EC_EDWARDS ? attr_get(&len, s, obj, CKA_EC_PARAMS)
                                                           : NULL;
    int rc = ARTSIG_OK;
    if (kt == CKK_EC && bytes_eq(params, len, oid_p256, sizeof oid_p256))
        *type = ARTSIG_KEY_ECDSA_P256;
    else if (kt == CKK_EC_EDWARDS && (bytes_eq(params, len, oid_ed25519, sizeof oid_ed25519) ||
                                      bytes_eq(params, len, name_ed25519, sizeof name_ed25519)))
        *type = ARTSIG_KEY_ED25519;
    else
        rc = asig_fail(ARTSIG_EKEYUNSUPPORTED, "%s is a %s key; libartsig signs with RSA, "
                       "ECDSA P-256 and Ed25519 only", s->uri.shown,
                       kt == CKK_EC ? "EC key on another curve than P-256"
                       : kt == CKK_EC_EDWARDS ? "Edwards key on another curve than Ed25519"
                                              : "non-RSA, non-EC");
    free(params);
    return rc;
}

/* CKA_EC_POINT is a DER OCTET STRING around the point; some tokens give the
 * bare point. Either way, the point. */
static const uint8_t *ec_point(const uint8_t *attr, size_t attr_len, size_t want)
{
    if (attr_len == want)
        return attr;
    if (attr_len == want + 2 && attr[0] == 0x04 && attr[1] == want)
        return attr + 2;
    return NULL;
}

static int pkey_to_key(artsig_key **out, EVP_PKEY *pkey, const char *shown)
{
    if (!pkey)
        return asig_fail_ssl(ARTSIG_ETOKEN, "%s: the token's public key is malformed", shown);
    return asig_key_from_pkey(out, pkey, shown);
}

static EVP_PKEY *pkey_fromdata(const char *alg, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
    EVP_PKEY *pkey = NULL;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

/* The public key held in a key object's own attributes, or NULL. */
static EVP_PKEY *pkey_from_attrs(struct session *s, CK_OBJECT_HANDLE obj, artsig_key_type type)
{
    EVP_PKEY *pkey = NULL;
    size_t a_len = 0, b_len = 0;
    uint8_t *a = attr_get(&a_len, s, obj, type == ARTSIG_KEY_RSA ? CKA_MODULUS : CKA_EC_POINT);
    uint8_t *b = type == ARTSIG_KEY_RSA ? attr_get(&b_len, s, obj, CKA_PUBLIC_EXPONENT) : NULL;
    const uint8_t *point;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *n = NULL, *e = NULL;
    if (!a || !bld) {
        /* nothing to build from */
    } else if (type == ARTSIG_KEY_RSA) {
        n = b ? BN_bin2bn(a, (int)a_len, NULL) : NULL;
        e = b ? BN_bin2bn(b, (int)b_len, NULL) : NULL;
        if (n && e && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
            pkey = pkey_fromdata("RSA", bld);
    } else if (type == ARTSIG_KEY_ECDSA_P256) {
        point = ec_point(a, a_len, 65);
        if (point && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                                     "prime256v1", 0) &&
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 65))
            pkey = pkey_fromdata("EC", bld);
    } else {
        point = ec_point(a, a_len, 32);
        if (point)
            pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, point, 32);
    }
    BN_free(n);
    BN_free(e);
    OSSL_PARAM_BLD_free(bld);
    free(a);
    free(b);
    return pkey;
}

static EVP_PKEY *pkey_from_cert(struct session *s, CK_OBJECT_HANDLE obj)
{
    size_t len = 0;
    uint8_t *der = attr_get(&len, s, obj, CKA_VALUE);
    const unsigned char *p = der;
    X509 *cert = der ? d2i_X509(NULL, &p, (long)len) : NULL;
    EVP_PKEY *pkey = cert ? X509_get_pubkey(cert) : NULL;
    X509_free(cert);
    free(der);
    return pkey;
}

/* The public half of `obj`: from its own attributes (CKA_PUBLIC_KEY_INFO,
 * or what its type keeps public), else from a public key or certificate
 * object with the same CKA_ID. ENOTFOUND when the token keeps it nowhere. */
static int public_key_of(artsig_key **out, struct session *s, CK_OBJECT_HANDLE obj,
                         CK_OBJECT_CLASS class)
{
    if (class == CKO_CERTIFICATE)
        return pkey_to_key(out, pkey_from_cert(s, obj), s->uri.shown);
    artsig_key_type type;
    int rc = key_type_of(&type, s, obj);
    if (rc != ARTSIG_OK)
        return rc;
    size_t len = 0;
    uint8_t *spki = attr_get(&len, s, obj, CKA_PUBLIC_KEY_INFO);
    if (spki) {
        rc = artsig_key_load_mem(out, spki, len, NULL, NULL);
        free(spki);
        return rc;
    }
    EVP_PKEY *pkey = pkey_from_attrs(s, obj, type);
    if (pkey)
        return pkey_to_key(out, pkey, s->uri.shown);
    uint8_t *id = attr_get(&len, s, obj, CKA_ID);
    static const CK_OBJECT_CLASS partners[] = {CKO_PUBLIC_KEY, CKO_CERTIFICATE};
    for (size_t i = 0; id && !pkey && i < sizeof partners / sizeof partners[0]; i++) {
        CK_OBJECT_HANDLE h[2];
        CK_ULONG count = 0;
        if (find(h, &count, s, partners[i], id, len) == ARTSIG_OK && count == 1)
            pkey = partners[i] == CKO_CERTIFICATE ? pkey_from_cert(s, h[0])
                                                  : pkey_from_attrs(s, h[0], type);
    }
    free(id);
    if (!pkey)
        return asig_fail(ARTSIG_ENOTFOUND, "%s: the token keeps no public key or certificate "
                         "for this private key", s->uri.shown);
    return pkey_to_key(out, pkey, s->uri.shown);
}

int artsig_is_pkcs11_uri(const char *s)
{
    return s && strncasecmp(s, "pkcs11:", 7) == 0;
}

int artsig_key_load_pkcs11(artsig_key **out, const char *uri, artsig_passphrase_cb pin,
                           void *userdata)
{
    if (!out || !uri)
        return asig_fail(ARTSIG_EINVAL, "artsig_key_load_pkcs11: NULL argument");
    *out = NULL;
    struct session *s;
    CK_OBJECT_HANDLE obj;
    CK_OBJECT_CLASS class;
    int rc = session_open(&s, &obj, &class, uri, false, pin, userdata);
    if (rc != ARTSIG_OK)
        return rc;
    rc = public_key_of(out, s, obj, class);
    session_free(s);
    return rc;
}

/* ---- signing ----------------------------------------------------------- */

struct p11_signer {
    struct session *s;
    CK_OBJECT_HANDLE key;
    CK_MECHANISM_TYPE mech;
    artsig_key_type type;
};

static bool mechanism_can_sign(struct session *s, CK_MECHANISM_TYPE mech)
{
    CK_MECHANISM_INFO info;
    return s->mod->f->C_GetMechanismInfo(s->slot, mech, &info) == CKR_OK &&
           (info.flags & CKF_SIGN);
}

static int choose_mechanism(struct p11_signer *ps)
{
    static const struct {
        artsig_key_type type;
        CK_MECHANISM_TYPE mech;
    } choices[] = {
        {ARTSIG_KEY_RSA, CKM_SHA256_RSA_PKCS},
        {ARTSIG_KEY_RSA, CKM_RSA_PKCS},
        {ARTSIG_KEY_ECDSA_P256, CKM_ECDSA},
        {ARTSIG_KEY_ED25519, CKM_EDDSA},
    };
    for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++)
        if (choices[i].type == ps->type && mechanism_can_sign(ps->s, choices[i].mech)) {
            ps->mech = choices[i].mech;
            return ARTSIG_OK;
        }
    return asig_fail(ARTSIG_EMECHANISM, "token '%s' cannot sign with %s keys (no %s mechanism)",
                     ps->s->label, artsig_key_type_name(ps->type),
                     ps->type == ARTSIG_KEY_RSA          ? "CKM_SHA256_RSA_PKCS or CKM_RSA_PKCS"
                     : ps->type == ARTSIG_KEY_ECDSA_P256 ? "CKM_ECDSA"
                                                         : "CKM_EDDSA");
}

/* What the chosen mechanism is fed: the message itself, its SHA-256 digest,
 * or for raw RSA the digest in a PKCS#1 DigestInfo. */
static size_t sign_input(uint8_t *buf, const uint8_t **in, const struct p11_signer *ps,
                         const void *msg, size_t msg_len)
{
    static const uint8_t digest_info[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
                                          0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
                                          0x20};
    if (ps->mech == CKM_SHA256_RSA_PKCS || ps->mech == CKM_EDDSA) {
        *in = msg;
        return msg_len;
    }
    size_t prefix = ps->mech == CKM_RSA_PKCS ? sizeof digest_info : 0;
    memcpy(buf, digest_info, prefix);
    crypto_hash_sha256(buf + prefix, msg, msg_len);
    *in = buf;
    return prefix + crypto_hash_sha256_BYTES;
}

static int p11_sign(uint8_t *sig, size_t *sig_len, const void *msg, size_t msg_len,
                    void *userdata)
{
    struct p11_signer *ps = userdata;
    struct session *s = ps->s;
    uint8_t buf[19 + crypto_hash_sha256_BYTES];
    const uint8_t *in;
    size_t in_len = sign_input(buf, &in, ps, msg, msg_len);
    CK_MECHANISM mech = {ps->mech, NULL, 0};
    CK_RV rv = s->mod->f->C_SignInit(s->handle, &mech, ps->key);
    if (rv != CKR_OK)
        return ckr_fail(rv, "C_SignInit");
    CK_ULONG len = *sig_len;
    rv = s->mod->f->C_Sign(s->handle, (CK_BYTE_PTR)in, in_len, sig, &len);
    if (rv != CKR_OK)
        return ckr_fail(rv, "C_Sign");
    *sig_len = len;
    /* CKM_ECDSA gives r||s, each half as long as the token likes; Mender
     * wants each padded to 32 bytes. */
    if (ps->type == ARTSIG_KEY_ECDSA_P256 && len < ASIG_ECDSA_RAW_LEN && len % 2 == 0) {
        size_t half = len / 2, pad = ASIG_ECDSA_RAW_LEN / 2 - half;
        memmove(sig + ASIG_ECDSA_RAW_LEN / 2 + pad, sig + half, half);
        memset(sig + ASIG_ECDSA_RAW_LEN / 2, 0, pad);
        memmove(sig + pad, sig, half);
        memset(sig, 0, pad);
        *sig_len = ASIG_ECDSA_RAW_LEN;
    }
    return ARTSIG_OK;
}

static void p11_signer_free(void *userdata)
{
    struct p11_signer *ps = userdata;
    session_free(ps->s);
    free(ps);
}

int artsig_signer_new_pkcs11(artsig_signer **out, const char *uri, artsig_passphrase_cb pin,
                             void *userdata)
{
    if (!out || !uri)
        return asig_fail(ARTSIG_EINVAL, "artsig_signer_new_pkcs11: NULL argument");
    *out = NULL;
    struct p11_signer *ps = calloc(1, sizeof *ps);
    if (!ps)
        return asig_fail(ARTSIG_ENOMEM, "PKCS#11 signer");
    CK_OBJECT_CLASS class;
    int rc = session_open(&ps->s, &ps->key, &class, uri, true, pin, userdata);
    if (rc == ARTSIG_OK)
        rc = key_type_of(&ps->type, ps->s, ps->key);
    if (rc == ARTSIG_OK)
        rc = choose_mechanism(ps);
    /* A token that hides the public half can still sign; the check that
     * every signature verifies is then up to the caller. */
    artsig_key *check = NULL;
    if (rc == ARTSIG_OK && public_key_of(&check, ps->s, ps->key, class) != ARTSIG_OK)
        check = NULL;
    if (rc == ARTSIG_OK)
        rc = asig_signer_new_owned(out, ps->type, check, p11_sign, ps, p11_signer_free,
                                   "the token");
    artsig_key_free(check);
    if (rc != ARTSIG_OK) {
        if (ps->s)
            session_free(ps->s);
        free(ps);
    }
    return rc;
}
