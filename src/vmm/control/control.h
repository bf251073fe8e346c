/* control.h: org.vireo.Vmm1 over D-Bus, peer to peer on a Unix socket.
 *
 * In steps, so that the VM does not wait for D-Bus: vmm_control_new
 * listens on the socket (peers that come early wait in its backlog);
 * once the vCPUs run, vmm_control_load loads the control module (GIO:
 * before the main thread's seccomp filter, which forbids mapping code)
 * and vmm_control_start serves them (under the filter, so that the
 * threads GLib starts for it are too). */
#pragma once

#include <glib.h>

#include "instance.h"

typedef struct VmmControl VmmControl;

VmmControl *vmm_control_new(VmmInstance *inst, const char *path,
                            GError **error);
gboolean vmm_control_load(VmmControl *control, GError **error);
gboolean vmm_control_start(VmmControl *control, GError **error);
void vmm_control_free(VmmControl *control);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmControl, vmm_control_free)
