/* control.h: org.vireo.Vmm1 over D-Bus, peer to peer on a Unix socket.
 *
 * In steps, so that the VM does not wait for D-Bus: vmm_control_new
 * listens on the socket (peers that come early wait in its backlog);
 * once the vCPUs run, vmm_control_load loads the control module (GIO:
 * before the main thread's seccomp filter, which forbids mapping code)
 * and vmm_control_start serves them on a thread of its own (under the
 * filter, so that it and the threads GLib starts for it are too). */
#pragma once

#include "instance.h"

typedef struct VmmControl VmmControl;

VmmControl *vmm_control_new(VmmInstance *inst, const char *path,
                            VmmError *err);
bool vmm_control_load(VmmControl *control, VmmError *err);
bool vmm_control_start(VmmControl *control, VmmError *err);
/* Stops the server's thread (call vmm_loop_close first: it may be
 * waiting for the main loop) and removes the socket. */
void vmm_control_free(VmmControl *control);
