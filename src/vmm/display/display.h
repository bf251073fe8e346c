/* display.h: the VM's screen, exported through libvncserver.
 *
 * The display owns the video memory the bochs-display device shows (so
 * it outlives guest resets), a refresh thread that turns KVM's dirty log
 * into changed rectangles, and the VNC server: a Unix or loopback TCP
 * listener, descriptors handed out through the control API, and the
 * keyboard and mouse input that comes back from clients.
 */
#pragma once

#include "error.h"
#include "vmm-machine.h"

typedef struct VmmDisplay VmmDisplay;

/* @spec is --display's value: "vnc=unix:PATH", "vnc=tcp:HOST:PORT"
 * (HOST a loopback address unless a password is given), either with
 * ",password-file=FILE" and ",keymap=us|de", or "none" (for which
 * vmm_display_new returns NULL without an error). */
bool vmm_display_spec_valid(const char *spec, VmmError *err);
VmmDisplay *vmm_display_new(const char *spec, const char *vm_name,
                            VmmError *err);
/* Lends the video memory to @m (sets m->fb) before its devices are
 * created, and takes input to it; detach before the machine goes. */
void vmm_display_attach(VmmDisplay *d, struct vmm_machine *m);
void vmm_display_detach(VmmDisplay *d);
/* A new VNC client on a socket pair: returns the other end (the caller
 * owns it) or -1 with @err. */
int vmm_display_open_client(VmmDisplay *d, VmmError *err);
/* The display's boot resolution, for direct kernel boot. */
#define VMM_DISPLAY_BOOT_WIDTH 1280
#define VMM_DISPLAY_BOOT_HEIGHT 800
void vmm_display_free(VmmDisplay *d);
