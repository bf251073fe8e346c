/* loader.c: display.h in the executable, through the display module.
 *
 * The module is loaded by the first call that needs it (option checking,
 * when --display is given and is not "none"), before the VM boots.
 */
#include "display/display-module.h"

static const struct vmm_display_module *mod;

static gboolean load(GError **error)
{
    if (!mod)
        mod = vmm_module_load("display", sizeof(*mod), error);
    return mod != NULL;
}

gboolean vmm_display_spec_valid(const char *spec, GError **error)
{
    if (g_str_equal(spec, "none"))
        return TRUE;
    return load(error) && mod->spec_valid(spec, error);
}

VmmDisplay *vmm_display_new(const char *spec, const char *vm_name,
                            GError **error)
{
    if (g_str_equal(spec, "none") || !load(error))
        return NULL;
    return mod->create(spec, vm_name, error);
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

int vmm_display_open_client(VmmDisplay *d, GError **error)
{
    return mod->open_client(d, error);
}

void vmm_display_free(VmmDisplay *d)
{
    if (d)
        mod->destroy(d);
}
