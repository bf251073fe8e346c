/* control.h: org.vireo.Vmm1 over D-Bus, peer to peer on a Unix socket. */
#pragma once

#include <glib.h>

#include "instance.h"

typedef struct VmmControl VmmControl;

VmmControl *vmm_control_new(VmmInstance *inst, const char *path,
                            GError **error);
void vmm_control_free(VmmControl *control);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmControl, vmm_control_free)
