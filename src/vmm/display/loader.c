/* loader.c: display.h in the executable, through the display module.
 *
 * The module is loaded by the first call that needs it (option checking,
 * when --display is given and is not "none"), before the VM boots.
 */
#include "display/display-module.h"

#include <string.h>

static const struct vmm_display_module *mod;

static bool load(VmmError *err)
{
    if (!mod)
        mod = vmm_module_load("display", sizeof(*mod), err);
    return mod != NULL;
}

bool vmm_display_spec_valid(const char *spec, VmmError *err)
{
    if (strcmp(spec, "none") == 0)
        return true;
    return load(err) && mod->spec_valid(spec, err);
}

VmmDisplay *vmm_display_new(const char *spec, const char *vm_name,
                            VmmError *err)
{
    if (strcmp(spec, "none") == 0 || !load(err))
        return NULL;
    return mod->create(spec, vm_name, err);
}

/* the rest has a display, hence the module */
void vmm_display_attach(VmmDisplay *d, struct vmm_machine *m)
{
    mod->attach(d, m);
}

void vmm_display_detach(VmmDisplay *d)
{
    mod->detach(d);
}

int vmm_display_open_client(VmmDisplay *d, VmmError *err)
{
    return mod->open_client(d, err);
}

void vmm_display_free(VmmDisplay *d)
{
    if (d)
        mod->destroy(d);
}
