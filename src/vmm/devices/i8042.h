/* i8042.h: PS/2 controller with keyboard and mouse (ports 0x60/0x64). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define VMM_I8042_KBD_IRQ 1
#define VMM_I8042_AUX_IRQ 12
#define VMM_I8042_QUEUE 64

struct vmm_machine;

/* Queues scan code set 1 bytes from the keyboard.  -ENOSPC when the
 * queue cannot take them all (nothing is queued then), -ENODEV without
 * the device.  Takes the device lock. */
int vmm_i8042_inject_scancodes(struct vmm_machine *m, const uint8_t *codes,
                               size_t len);
/* Queues one PS/2 mouse movement packet if the guest enabled reporting:
 * @dx right, @dy up, @buttons bit 0 left, 1 right, 2 middle. */
int vmm_i8042_inject_mouse(struct vmm_machine *m, int dx, int dy,
                           unsigned buttons);
