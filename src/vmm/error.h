/* error.h: what went wrong, said whole, in the executable.
 *
 * vireo-vmm itself does not link GLib (its pages alone would be the
 * whole memory budget of a VM, see bench/vmm/README.md), so the core
 * reports errors in a VmmError: a message in a fixed buffer, which
 * cannot fail to be allocated.  Functions that take one leave it
 * untouched on success; @err may be NULL.  The modules, which use GLib,
 * turn their GErrors into one at their table's edge.
 */
#pragma once

#include <stdbool.h>

typedef struct {
    char message[512];
} VmmError;

/* Sets the message (printf-style); returns false, for `return
 * vmm_error_set(err, ...)` in functions that fail with false. */
bool vmm_error_set(VmmError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Puts a prefix before the message already set. */
void vmm_error_prefix(VmmError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
