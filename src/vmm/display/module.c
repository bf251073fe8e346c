/* module.c: the display module's entry point, vireo-vmm-display.so. */
#include "config.h"

#include "display/display-module.h"

__attribute__((visibility("default")))
const struct vmm_display_module vmm_display_module = {
    .header = {.version = PACKAGE_VERSION,
               .size = sizeof(struct vmm_display_module)},
    .spec_valid = vmm_display_spec_valid,
    .create = vmm_display_new,
    .attach = vmm_display_attach,
    .detach = vmm_display_detach,
    .open_client = vmm_display_open_client,
    .destroy = vmm_display_free,
};
