/* control.h: org.vireo.Vmm1 over D-Bus, peer to peer on a Unix socket.
 *
 * In two steps, so that the VM does not wait for D-Bus: vmm_control_new
 * listens on the socket (peers that come early wait in its backlog),
 * vmm_control_start, once the vCPUs run, loads the control module (GIO)
 * and serves them. */
#pragma once

#include <glib.h>

#include "instance.h"

typedef struct VmmControl VmmControl;

VmmControl *vmm_control_new(VmmInstance *inst, const char *path,
                            GError **error);
gboolean vmm_control_start(VmmControl *control, GError **error);
void vmm_control_free(VmmControl *control);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmControl, vmm_control_free)
