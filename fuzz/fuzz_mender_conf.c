/* artsig-update's mender.conf parser (update/config.c), through the file it
 * reads: the input is written to a memory file, named as /proc/self/fd/N. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "update.h"

/* main.c's reporters, without the output. The message is still formatted,
 * so that a bad argument to it shows up under the sanitizers. */
__attribute__((format(printf, 1, 0))) static void discard(const char *fmt, va_list ap)
{
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
}

int upd_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    discard(fmt, ap);
    va_end(ap);
    return UPD_EXIT_FAILURE;
}

void upd_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    discard(fmt, ap);
    va_end(ap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        if ((fd = memfd_create("mender.conf", MFD_CLOEXEC)) < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    /* The keys are not loaded: a configuration names files and PKCS#11
     * modules, which a fuzzer must not make this process open or run. */
    struct upd_config cfg;
    if (upd_config_load(&cfg, path, NULL, "/var/lib/mender", false) == UPD_EXIT_OK) {
        if (!cfg.device_type_file || !cfg.modules_dir || cfg.module_timeout_s == 0 ||
            cfg.script_timeout_s == 0)
            abort();
        upd_config_free(&cfg);
    }
    return 0;
}
