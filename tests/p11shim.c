/* A PKCS#11 module for tests that forwards to a real one ($P11SHIM_TARGET)
 * but claims not to know the mechanisms listed in $P11SHIM_HIDE (hex
 * numbers separated by commas), so that fallbacks and refusals for tokens
 * without a mechanism can be tested with SoftHSM. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

static CK_FUNCTION_LIST shim;
static CK_FUNCTION_LIST_PTR real;

static int hidden(CK_MECHANISM_TYPE type)
{
    const char *p = getenv("P11SHIM_HIDE");
    while (p && *p) {
        char *end;
        if (strtoul(p, &end, 16) == type)
            return 1;
        p = *end == ',' ? end + 1 : NULL;
    }
    return 0;
}

static CK_RV shim_get_mechanism_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
                                     CK_MECHANISM_INFO_PTR info)
{
    return hidden(type) ? CKR_MECHANISM_INVALID : real->C_GetMechanismInfo(slot, type, info);
}

static CK_RV shim_sign_init(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
    return hidden(mech->mechanism) ? CKR_MECHANISM_INVALID : real->C_SignInit(session, mech, key);
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
    const char *target = getenv("P11SHIM_TARGET");
    void *dl = target ? dlopen(target, RTLD_NOW | RTLD_LOCAL) : NULL;
    CK_C_GetFunctionList get;
    *(void **)&get = dl ? dlsym(dl, "C_GetFunctionList") : NULL;
    if (!get || get(&real) != CKR_OK)
        return CKR_GENERAL_ERROR;
    shim = *real;
    shim.C_GetMechanismInfo = shim_get_mechanism_info;
    shim.C_SignInit = shim_sign_init;
    *list = &shim;
    return CKR_OK;
}
