/* module.h: the optional parts of vireo-vmm, loaded only when asked for.
 *
 * The display (libvncserver, which pulls in gnutls, nettle, libjpeg…)
 * and the control server (GIO) are shared modules, vireo-vmm-NAME.so,
 * next to the executable, which links no GLib (error.h): a VM without
 * --display maps none of the display's libraries, and one with --control
 * loads GLib and GIO while its guest already runs.  A module exports one
 * table of operations, vmm_NAME_module, whose first fields are a
 * struct vmm_module_header; it calls back into the executable, which
 * exports its symbols (-rdynamic), and keeps its own symbols hidden.
 */
#pragma once

#include <stddef.h>

#include "error.h"

struct vmm_module_header {
    const char *version; /* PACKAGE_VERSION: module and VMM come together */
    size_t size;         /* sizeof the whole table */
};

/* Loads vireo-vmm-@name.so from the executable's directory and returns
 * its table vmm_@name_module, checked against @size; NULL with @err.
 * A module stays loaded until the process ends. */
const void *vmm_module_load(const char *name, size_t size, VmmError *err);
