/* loader.c: control.h in the executable: the socket, and the control
 * module that serves it. */
#include "control/control.h"

#include <errno.h>
#include <unistd.h>

#include "control/control-module.h"
#include "unix-socket.h"

struct VmmControl {
    VmmInstance *inst;
    char *path;
    int listen_fd;
    const struct vmm_control_module *mod;
    VmmControlServer *server;
};

VmmControl *vmm_control_new(VmmInstance *inst, const char *path,
                            GError **error)
{
    VmmControl *self;
    int fd = vmm_unix_listen(path, 16);

    if (fd == -EEXIST) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    "%s exists and is not a socket; choose another path.",
                    path);
        return NULL;
    }
    if (fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(-fd),
                    "cannot listen on %s: %s", path, g_strerror(-fd));
        return NULL;
    }
    self = g_new0(VmmControl, 1);
    self->inst = inst;
    self->path = g_strdup(path);
    self->listen_fd = fd;
    return self;
}

gboolean vmm_control_load(VmmControl *self, GError **error)
{
    self->mod = vmm_module_load("control", sizeof(*self->mod), error);
    return self->mod != NULL;
}

gboolean vmm_control_start(VmmControl *self, GError **error)
{
    self->server = self->mod->start(self->inst, self->listen_fd, error);
    return self->server != NULL;
}

void vmm_control_free(VmmControl *self)
{
    if (!self)
        return;
    if (self->server)
        self->mod->stop(self->server);
    close(self->listen_fd);
    unlink(self->path);
    g_free(self->path);
    g_free(self);
}
