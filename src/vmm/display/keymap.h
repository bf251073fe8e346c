/* keymap.h: X keysyms (what VNC clients send) -> PC keys (scancode.h).
 *
 * A VNC client sends the symbol a key press produced on its side, not
 * the key.  To find the key, the VMM has to know the layout the guest
 * uses (like QEMU's -k): a keysym names a key on that layout and the
 * level it sits on (plain, Shift, AltGr, Shift+AltGr).  Keys that are
 * the same on every layout (function keys, keypad, arrows, modifiers)
 * come from a shared table.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define VMM_LEVEL_SHIFT 0x1
#define VMM_LEVEL_ALTGR 0x2

struct vmm_keymap;

struct vmm_keysym_key {
    uint16_t key;   /* scancode.h key number */
    uint8_t level;  /* VMM_LEVEL_* the layout puts the symbol on */
    bool layout;    /* from the layout (levels matter), not the shared table */
    bool alpha;     /* a letter: Caps Lock swaps its Shift level */
};

/* "us" or "de"; NULL for a layout this VMM does not know. */
const struct vmm_keymap *vmm_keymap_find(const char *name);
const char *vmm_keymap_name(const struct vmm_keymap *km);
/* The layouts there are, for messages: "us, de". */
const char *vmm_keymap_list(void);
/* Finds the key for @keysym; false if the layout has none. */
bool vmm_keymap_lookup(const struct vmm_keymap *km, uint32_t keysym,
                       struct vmm_keysym_key *out);
