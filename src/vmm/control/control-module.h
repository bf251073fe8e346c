/* control-module.h: the control module's table (see module.h).
 * control/loader.c implements control.h in the executable by calling
 * it; control.c fills it in the module. */
#pragma once

#include "instance.h"
#include "module.h"

typedef struct VmmControlServer VmmControlServer;

struct vmm_control_module {
    struct vmm_module_header header;
    /* serves @inst on @listen_fd, which the caller keeps */
    VmmControlServer *(*start)(VmmInstance *inst, int listen_fd,
                               GError **error);
    void (*stop)(VmmControlServer *server);
};
