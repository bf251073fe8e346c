/* i8042.h: PS/2 controller with keyboard and mouse (ports 0x60/0x64). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_I8042_KBD_IRQ 1
#define VMM_I8042_AUX_IRQ 12
#define VMM_I8042_QUEUE 256

struct vmm_machine;

/* Queues scan code set 1 bytes from the keyboard.  -ENOSPC when the
 * queue cannot take them all (nothing is queued then), -ENODEV without
 * the device.  Takes the device lock. */
int vmm_i8042_inject_scancodes(struct vmm_machine *m, const uint8_t *codes,
                               size_t len);
/* Presses (@down) or releases a key (a scancode.h key number): the
 * keyboard sends it in the scan code set the guest chose, through the
 * controller's translation.  -ENOSPC when the queue is full (the guest
 * is not reading), -EINVAL for a key a PC keyboard does not have.  Takes
 * the device lock. */
int vmm_i8042_key(struct vmm_machine *m, unsigned key, bool down);
/* The keyboard LEDs the guest last set: bit 0 Scroll, 1 Num, 2 Caps. */
#define VMM_I8042_LED_SCROLL 0x1
#define VMM_I8042_LED_NUM 0x2
#define VMM_I8042_LED_CAPS 0x4
unsigned vmm_i8042_leds(struct vmm_machine *m);
/* Queues one PS/2 mouse movement packet if the guest enabled reporting:
 * @dx right, @dy up, @buttons bit 0 left, 1 right, 2 middle. */
int vmm_i8042_inject_mouse(struct vmm_machine *m, int dx, int dy,
                           unsigned buttons);
/* The same with a wheel: @dz positive scrolls down (toward the user).
 * A mouse the guest knocked into IntelliMouse mode (sample rates 200,
 * 100, 80; ID 3) sends it in a fourth byte; others drop it. */
int vmm_i8042_inject_mouse_wheel(struct vmm_machine *m, int dx, int dy,
                                 int dz, unsigned buttons);
