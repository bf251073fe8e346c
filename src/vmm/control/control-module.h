/* control-module.h: the control module's table (see module.h).
 * control/loader.c implements control.h in the executable by calling
 * it; control.c fills it in the module. */
#pragma once

#include "instance.h"
#include "module.h"

typedef struct VmmControlServer VmmControlServer;

struct vmm_control_module {
    struct vmm_module_header header;
    /* serves @inst on @listen_fd, which the caller keeps, from a thread
     * of the module's own; it changes @inst only through vmm_loop_call
     * on inst->loop, and takes over inst->notify */
    VmmControlServer *(*start)(VmmInstance *inst, int listen_fd,
                               VmmError *err);
    /* the main loop has closed: ends the thread, drops every client */
    void (*stop)(VmmControlServer *server);
};
