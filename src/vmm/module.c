/* module.c: finds and loads vireo-vmm-NAME.so (see module.h). */
#include "config.h"

#include "module.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The executable's own directory, from /proc/self/exe: the same in the
 * build tree (meson devenv, tests) and once installed. */
static bool module_path(const char *name, char *path, size_t size,
                        VmmError *err)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    if (n < 0)
        return vmm_error_set(err, "cannot find the executable to load the "
                             "%s module: %s", name, strerror(errno));
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    if ((size_t)snprintf(path, size, "%s/vireo-vmm-%s.so",
                         slash ? exe : ".", name) >= size)
        return vmm_error_set(err, "the path of the %s module is too long",
                             name);
    return true;
}

const void *vmm_module_load(const char *name, size_t size, VmmError *err)
{
    char path[PATH_MAX], symbol[64];
    const struct vmm_module_header *h;
    void *handle;

    if (!module_path(name, path, sizeof(path), err))
        return NULL;
    snprintf(symbol, sizeof(symbol), "vmm_%s_module", name);
    /* RTLD_NOW: a missing symbol fails here, not in the middle of a run */
    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        vmm_error_set(err, "cannot load the %s module: %s", name, dlerror());
        return NULL;
    }
    h = dlsym(handle, symbol);
    if (!h || !h->version || strcmp(h->version, PACKAGE_VERSION) != 0 ||
        h->size != size) {
        vmm_error_set(err, "%s is not the %s module of vireo-vmm %s; "
                      "reinstall vireo-vmm.", path, name, PACKAGE_VERSION);
        dlclose(handle);
        return NULL;
    }
    return h;
}
