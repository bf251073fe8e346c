/* loader.c: control.h in the executable: the socket, and the control
 * module that serves it. */
#include "control/control.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
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
                            VmmError *err)
{
    VmmControl *self;
    int fd = vmm_unix_listen(path, 16);

    if (fd == -EEXIST) {
        vmm_error_set(err, "%s exists and is not a socket; choose another "
                      "path.", path);
        return NULL;
    }
    if (fd < 0) {
        vmm_error_set(err, "cannot listen on %s: %s", path, strerror(-fd));
        return NULL;
    }
    self = calloc(1, sizeof(*self));
    if (!self || !(self->path = strdup(path))) {
        free(self);
        close(fd);
        unlink(path);
        vmm_error_set(err, "out of memory");
        return NULL;
    }
    self->inst = inst;
    self->listen_fd = fd;
    return self;
}

bool vmm_control_load(VmmControl *self, VmmError *err)
{
    self->mod = vmm_module_load("control", sizeof(*self->mod), err);
    return self->mod != NULL;
}

bool vmm_control_start(VmmControl *self, VmmError *err)
{
    self->server = self->mod->start(self->inst, self->listen_fd, err);
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
    free(self->path);
    free(self);
}
