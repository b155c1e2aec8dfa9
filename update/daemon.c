/* PLACEHOLDER while issue 16 is built: part C replaces this file. */
#include "update.h"

int upd_daemon(const struct upd_config *cfg, const char *data_dir, bool once)
{
    (void)cfg, (void)data_dir, (void)once;
    return upd_fail("not built yet");
}
