/* PLACEHOLDER while issue 16 is built: part B replaces this file. */
#include "update.h"

int upd_server_new(struct upd_server **out, const struct upd_config *cfg, const char *data_dir)
{
    (void)cfg, (void)data_dir;
    *out = NULL;
    return upd_fail("not built yet");
}
void upd_server_free(struct upd_server *server) { (void)server; }
int upd_server_auth(struct upd_server *server) { (void)server; return upd_fail("not built yet"); }
void upd_deployment_free(struct upd_deployment *d) { (void)d; }
int upd_server_next(struct upd_deployment *d, bool *found, struct upd_server *server,
                    const char *device_type, const struct upd_provides *provides)
{
    (void)d, (void)found, (void)server, (void)device_type, (void)provides;
    return upd_fail("not built yet");
}
int upd_server_status(struct upd_server *server, const char *id, const char *status,
                      const char *substate)
{
    (void)server, (void)id, (void)status, (void)substate;
    return upd_fail("not built yet");
}
int upd_server_log(struct upd_server *server, const char *id)
{
    (void)server, (void)id;
    return upd_fail("not built yet");
}
int upd_server_inventory(struct upd_server *server, const char *device_type,
                         const struct upd_provides *provides)
{
    (void)server, (void)device_type, (void)provides;
    return upd_fail("not built yet");
}
int upd_send_inventory(const struct upd_config *cfg, const char *data_dir)
{
    (void)cfg, (void)data_dir;
    return upd_fail("not built yet");
}
