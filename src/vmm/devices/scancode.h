/* scancode.h: PC keyboard keys and the bytes they send.
 *
 * A key is named by its scan code set 1 make code, with VMM_KEY_E0 added
 * for the keys that send an 0xe0 prefix (the "PC keycode" most VMMs use):
 * 0x1e is A, 0x11c keypad Enter, 0x148 the Up arrow.  Three keys are
 * special: Print Screen (0x137) turns into SysRq (0x54) under Alt, Pause
 * (VMM_KEY_PAUSE) into Break under Ctrl, and neither sends anything on
 * release except Print Screen.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_KEY_E0 0x100
#define VMM_KEY_MAX 0x200
#define VMM_KEY_PRINT (VMM_KEY_E0 | 0x37)
#define VMM_KEY_SYSRQ 0x54
#define VMM_KEY_PAUSE (VMM_KEY_E0 | 0x45) /* sends E1 1D 45 E1 9D C5 */
#define VMM_KEY_BREAK (VMM_KEY_E0 | 0x46)

/* modifier state that changes what a key sends */
#define VMM_KEYMOD_SHIFT 0x1
#define VMM_KEYMOD_CTRL 0x2
#define VMM_KEYMOD_ALT 0x4

#define VMM_SCANCODE_MAX 8

/* Whether @key is a key a PC keyboard has (in both sets). */
bool vmm_key_valid(unsigned key);

/* Fills @out with the bytes the keyboard sends in scan code set @set
 * (1 or 2) when @key goes down or up with modifiers @mods held; returns
 * how many (0 for an unknown key or a key that is silent on release). */
size_t vmm_scancode_encode(unsigned key, bool down, unsigned mods, int set,
                           uint8_t out[VMM_SCANCODE_MAX]);

/* The i8042's translation of set 2 to set 1: feeds one byte from the
 * keyboard; returns the byte to put in the output buffer, or -1 when
 * the byte was a break prefix (0xf0), which *break_pending remembers. */
int vmm_scancode_translate(uint8_t byte, bool *break_pending);
