#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "internal.h"

static _Thread_local char last_error[512];

const char *artsig_strerror(int status)
{
    switch ((artsig_status)status) {
    case ARTSIG_OK: return "success";
    case ARTSIG_EINVAL: return "invalid argument";
    case ARTSIG_ENOMEM: return "out of memory";
    case ARTSIG_EIO: return "input/output error";
    case ARTSIG_ENOENT: return "no such file";
    case ARTSIG_EKEYEMPTY: return "key input is empty";
    case ARTSIG_EKEYPEM: return "corrupt PEM key";
    case ARTSIG_EKEYDER: return "truncated or malformed DER key";
    case ARTSIG_EKEYFORMAT: return "not a key";
    case ARTSIG_EKEYUNSUPPORTED: return "unsupported key algorithm, curve or size";
    case ARTSIG_EPASSPHRASE: return "wrong or missing passphrase";
    case ARTSIG_EKEYROLE: return "a private key is required";
    case ARTSIG_ESIGFORMAT: return "malformed signature";
    case ARTSIG_EVERIFY: return "signature does not verify";
    case ARTSIG_EMANIFEST: return "malformed manifest";
    case ARTSIG_EDIGEST: return "digest mismatch";
    case ARTSIG_EFORMAT: return "malformed artifact";
    case ARTSIG_ELIMIT: return "input exceeds a limit";
    case ARTSIG_EUNSIGNED: return "artifact is not signed";
    case ARTSIG_ENOTFOUND: return "not found";
    case ARTSIG_EUNSAFE: return "unsafe entry in artifact";
    case ARTSIG_ECRYPTO: return "cryptographic library failure";
    case ARTSIG_ECANCELLED: return "cancelled by callback";
    case ARTSIG_ETRUNCATED: return "input is truncated";
    case ARTSIG_EUNSUPPORTED: return "unsupported format feature";
    case ARTSIG_ESTATE: return "call not valid in the current state";
    case ARTSIG_EMODULE: return "PKCS#11 module cannot be used";
    case ARTSIG_ENOTOKEN: return "PKCS#11 token not present";
    case ARTSIG_EPIN: return "PKCS#11 PIN missing, wrong or locked";
    case ARTSIG_EMECHANISM: return "signing mechanism not supported by the token";
    case ARTSIG_ETOKEN: return "PKCS#11 token failure";
    case ARTSIG_EAUTH: return "signing service credentials missing or refused";
    case ARTSIG_ENETWORK: return "signing service unreachable";
    case ARTSIG_EREMOTE: return "signing service or program failed";
    }
    return "unknown status";
}

const char *artsig_last_error(void)
{
    return last_error;
}

ASIG_PRINTF(2, 0) static void set_detail(int status, const char *fmt, va_list ap)
{
    int n = snprintf(last_error, sizeof last_error, "%s: ", artsig_strerror(status));
    if (n < 0 || (size_t)n >= sizeof last_error)
        return;
    vsnprintf(last_error + n, sizeof last_error - (size_t)n, fmt, ap);
}

int asig_fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_detail(status, fmt, ap);
    va_end(ap);
    return status;
}

int asig_fail_ssl(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_detail(status, fmt, ap);
    va_end(ap);
    unsigned long e = ERR_peek_last_error();
    if (e != 0) {
        size_t used = strlen(last_error);
        const char *reason = ERR_reason_error_string(e);
        snprintf(last_error + used, sizeof last_error - used, " (%s)",
                 reason ? reason : "unknown OpenSSL error");
    }
    ERR_clear_error();
    return status;
}

int asig_fail_saved(int status, const char *detail)
{
    snprintf(last_error, sizeof last_error, "%s", detail);
    return status;
}

void artsig_free(void *ptr)
{
    free(ptr);
}

const char *artsig_version(void)
{
    return ARTSIG_VERSION_STRING;
}
