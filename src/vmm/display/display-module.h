/* display-module.h: the display module's table (see module.h).
 * display/loader.c implements display.h in the executable by calling
 * it; display/module.c fills it in the module. */
#pragma once

#include "display/display.h"
#include "module.h"

struct vmm_display_module {
    struct vmm_module_header header;
    bool (*spec_valid)(const char *spec, VmmError *err);
    VmmDisplay *(*create)(const char *spec, const char *vm_name,
                          VmmError *err);
    void (*attach)(VmmDisplay *d, struct vmm_machine *m);
    void (*detach)(VmmDisplay *d);
    int (*open_client)(VmmDisplay *d, VmmError *err);
    void (*destroy)(VmmDisplay *d);
};
