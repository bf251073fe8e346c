/* module.c: finds and loads vireo-vmm-NAME.so (see module.h). */
#include "config.h"

#include "module.h"

#include <dlfcn.h>
#include <string.h>

/* The executable's own directory, from /proc/self/exe: the same in the
 * build tree (meson devenv, tests) and once installed. */
static char *module_path(const char *name, GError **error)
{
    g_autofree char *exe = g_file_read_link("/proc/self/exe", error);
    g_autofree char *dir = NULL;
    g_autofree char *file = NULL;

    if (!exe)
        return NULL;
    dir = g_path_get_dirname(exe);
    file = g_strdup_printf("vireo-vmm-%s.so", name);
    return g_build_filename(dir, file, NULL);
}

const void *vmm_module_load(const char *name, size_t size, GError **error)
{
    g_autofree char *path = module_path(name, error);
    g_autofree char *symbol = g_strdup_printf("vmm_%s_module", name);
    const struct vmm_module_header *h;
    void *handle;

    if (!path)
        return NULL;
    /* RTLD_NOW: a missing symbol fails here, not in the middle of a run */
    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "cannot load the %s module: %s", name, dlerror());
        return NULL;
    }
    h = dlsym(handle, symbol);
    if (!h || !h->version || strcmp(h->version, PACKAGE_VERSION) != 0 ||
        h->size != size) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s is not the %s module of vireo-vmm %s; reinstall "
                    "vireo-vmm.", path, name, PACKAGE_VERSION);
        dlclose(handle);
        return NULL;
    }
    return h;
}
