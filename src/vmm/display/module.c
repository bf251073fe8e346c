/* module.c: the display module's entry point, vireo-vmm-display.so.
 * Its GErrors become the executable's VmmErrors here. */
#include "config.h"

#include "display/display-module.h"
#include "display/display-private.h"

static bool take_error(GError *error, VmmError *err)
{
    vmm_error_set(err, "%s", error->message);
    g_error_free(error);
    return false;
}

static bool spec_valid(const char *spec, VmmError *err)
{
    GError *error = NULL;

    return display_spec_valid(spec, &error) || take_error(error, err);
}

static VmmDisplay *create(const char *spec, const char *vm_name,
                          VmmError *err)
{
    GError *error = NULL;
    VmmDisplay *d = display_new(spec, vm_name, &error);

    if (!d)
        take_error(error, err);
    return d;
}

static int open_client(VmmDisplay *d, VmmError *err)
{
    GError *error = NULL;
    int fd = display_open_client(d, &error);

    if (fd < 0)
        take_error(error, err);
    return fd;
}

__attribute__((visibility("default")))
const struct vmm_display_module vmm_display_module = {
    .header = {.version = PACKAGE_VERSION,
               .size = sizeof(struct vmm_display_module)},
    .spec_valid = spec_valid,
    .create = create,
    .attach = vmm_display_attach,
    .detach = vmm_display_detach,
    .open_client = open_client,
    .destroy = vmm_display_free,
};
