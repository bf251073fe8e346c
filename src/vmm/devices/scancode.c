/* scancode.c: what each PC key sends in scan code sets 1 and 2, and the
 * i8042's set 2 -> set 1 translation (see scancode.h). */
#include "devices/scancode.h"

#include <string.h>

/* set 2 make codes of the keys without a prefix, indexed by set 1 code */
static const uint8_t set2_plain[0x80] = {
    [0x01] = 0x76, /* Esc */
    [0x02] = 0x16, [0x03] = 0x1e, [0x04] = 0x26, [0x05] = 0x25, /* 1-4 */
    [0x06] = 0x2e, [0x07] = 0x36, [0x08] = 0x3d, [0x09] = 0x3e, /* 5-8 */
    [0x0a] = 0x46, [0x0b] = 0x45, [0x0c] = 0x4e, [0x0d] = 0x55, /* 9 0 - = */
    [0x0e] = 0x66, [0x0f] = 0x0d,                               /* BS Tab */
    [0x10] = 0x15, [0x11] = 0x1d, [0x12] = 0x24, [0x13] = 0x2d, /* Q W E R */
    [0x14] = 0x2c, [0x15] = 0x35, [0x16] = 0x3c, [0x17] = 0x43, /* T Y U I */
    [0x18] = 0x44, [0x19] = 0x4d, [0x1a] = 0x54, [0x1b] = 0x5b, /* O P [ ] */
    [0x1c] = 0x5a, [0x1d] = 0x14,                   /* Enter, left Ctrl */
    [0x1e] = 0x1c, [0x1f] = 0x1b, [0x20] = 0x23, [0x21] = 0x2b, /* A S D F */
    [0x22] = 0x34, [0x23] = 0x33, [0x24] = 0x3b, [0x25] = 0x42, /* G H J K */
    [0x26] = 0x4b, [0x27] = 0x4c, [0x28] = 0x52, [0x29] = 0x0e, /* L ; ' ` */
    [0x2a] = 0x12, [0x2b] = 0x5d,                   /* left Shift, \ */
    [0x2c] = 0x1a, [0x2d] = 0x22, [0x2e] = 0x21, [0x2f] = 0x2a, /* Z X C V */
    [0x30] = 0x32, [0x31] = 0x31, [0x32] = 0x3a, [0x33] = 0x41, /* B N M , */
    [0x34] = 0x49, [0x35] = 0x4a, [0x36] = 0x59,    /* . / right Shift */
    [0x37] = 0x7c, [0x38] = 0x11, [0x39] = 0x29,    /* KP*, left Alt, Space */
    [0x3a] = 0x58,                                  /* Caps Lock */
    [0x3b] = 0x05, [0x3c] = 0x06, [0x3d] = 0x04, [0x3e] = 0x0c, /* F1-F4 */
    [0x3f] = 0x03, [0x40] = 0x0b, [0x41] = 0x83, [0x42] = 0x0a, /* F5-F8 */
    [0x43] = 0x01, [0x44] = 0x09,                               /* F9 F10 */
    [0x45] = 0x77, [0x46] = 0x7e,                   /* Num Lock, Scroll Lock */
    [0x47] = 0x6c, [0x48] = 0x75, [0x49] = 0x7d, [0x4a] = 0x7b, /* KP7 8 9 - */
    [0x4b] = 0x6b, [0x4c] = 0x73, [0x4d] = 0x74, [0x4e] = 0x79, /* KP4 5 6 + */
    [0x4f] = 0x69, [0x50] = 0x72, [0x51] = 0x7a, [0x52] = 0x70, /* KP1 2 3 0 */
    [0x53] = 0x71,                                              /* KP . */
    [0x54] = 0x84,                                  /* SysRq (Alt+Print) */
    [0x56] = 0x61,                                  /* the 102nd key (<>) */
    [0x57] = 0x78, [0x58] = 0x07,                   /* F11 F12 */
    [0x59] = 0x0f,                                  /* KP = */
    [0x64] = 0x08, [0x65] = 0x10, [0x66] = 0x18, [0x67] = 0x20, /* F13-F16 */
    [0x68] = 0x28, [0x69] = 0x30, [0x6a] = 0x38, [0x6b] = 0x40, /* F17-F20 */
    [0x6c] = 0x48, [0x6d] = 0x50, [0x6e] = 0x57, [0x76] = 0x5f, /* F21-F24 */
    [0x70] = 0x13,                                  /* Katakana/Hiragana */
    [0x73] = 0x51,                                  /* Ro (/ on JP, BR) */
    [0x79] = 0x64,                                  /* Henkan */
    [0x7b] = 0x67,                                  /* Muhenkan */
    [0x7d] = 0x6a,                                  /* Yen */
    [0x7e] = 0x6d,                                  /* KP , (BR) */
};

/* set 2 codes (after 0xe0) of the prefixed keys, by set 1 code */
static const uint8_t set2_e0[0x80] = {
    [0x10] = 0x15, /* previous track */
    [0x19] = 0x4d, /* next track */
    [0x1c] = 0x5a, /* KP Enter */
    [0x1d] = 0x14, /* right Ctrl */
    [0x20] = 0x23, /* mute */
    [0x21] = 0x2b, /* calculator */
    [0x22] = 0x34, /* play/pause */
    [0x24] = 0x3b, /* stop */
    [0x2a] = 0x12, /* the fake left Shift around Print Screen */
    [0x2e] = 0x21, /* volume down */
    [0x30] = 0x32, /* volume up */
    [0x32] = 0x3a, /* www home */
    [0x35] = 0x4a, /* KP / */
    [0x37] = 0x7c, /* Print Screen */
    [0x38] = 0x11, /* right Alt, AltGr */
    [0x46] = 0x7e, /* Break (Ctrl+Pause) */
    [0x47] = 0x6c, /* Home */
    [0x48] = 0x75, /* Up */
    [0x49] = 0x7d, /* Page Up */
    [0x4b] = 0x6b, /* Left */
    [0x4d] = 0x74, /* Right */
    [0x4f] = 0x69, /* End */
    [0x50] = 0x72, /* Down */
    [0x51] = 0x7a, /* Page Down */
    [0x52] = 0x70, /* Insert */
    [0x53] = 0x71, /* Delete */
    [0x5b] = 0x1f, /* left Windows */
    [0x5c] = 0x27, /* right Windows */
    [0x5d] = 0x2f, /* Menu */
    [0x5e] = 0x37, /* Power */
    [0x5f] = 0x3f, /* Sleep */
    [0x63] = 0x5e, /* Wake */
};

bool vmm_key_valid(unsigned key)
{
    if (key == VMM_KEY_PAUSE)
        return true;
    if (key & ~(VMM_KEY_E0 | 0x7fu))
        return false;
    if (key & VMM_KEY_E0)
        return set2_e0[key & 0x7f] != 0;
    return set2_plain[key] != 0;
}

static size_t put(uint8_t *out, size_t n, const uint8_t *bytes, size_t len)
{
    memcpy(out + n, bytes, len);
    return n + len;
}

/* one key's make or break without special cases */
static size_t encode_plain(unsigned key, bool down, int set, uint8_t *out)
{
    size_t n = 0;
    uint8_t code = (uint8_t)(key & 0x7f);

    if (key & VMM_KEY_E0)
        out[n++] = 0xe0;
    if (set == 1) {
        out[n++] = down ? code : (uint8_t)(code | 0x80);
        return n;
    }
    if (!down)
        out[n++] = 0xf0;
    out[n++] = (key & VMM_KEY_E0) ? set2_e0[code] : set2_plain[code];
    return n;
}

size_t vmm_scancode_encode(unsigned key, bool down, unsigned mods, int set,
                           uint8_t out[VMM_SCANCODE_MAX])
{
    static const uint8_t pause1[] = {0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5};
    static const uint8_t pause2[] = {0xe1, 0x14, 0x77, 0xe1,
                                     0xf0, 0x14, 0xf0, 0x77};
    size_t n = 0;

    if (!vmm_key_valid(key) || (set != 1 && set != 2))
        return 0;
    if (key == VMM_KEY_PAUSE) {
        /* no break code; Ctrl turns it into Break, which has one */
        if (mods & VMM_KEYMOD_CTRL)
            return encode_plain(VMM_KEY_BREAK, down, set, out);
        if (!down)
            return 0;
        return set == 1 ? put(out, 0, pause1, sizeof(pause1))
                        : put(out, 0, pause2, sizeof(pause2));
    }
    if (key == VMM_KEY_PRINT) {
        /* Alt+Print is SysRq; alone it comes wrapped in a fake left
         * Shift, as the keyboard's own firmware does */
        if (mods & VMM_KEYMOD_ALT)
            return encode_plain(VMM_KEY_SYSRQ, down, set, out);
        if (mods & (VMM_KEYMOD_SHIFT | VMM_KEYMOD_CTRL))
            return encode_plain(key, down, set, out);
        if (down) {
            n = encode_plain(VMM_KEY_E0 | 0x2a, true, set, out);
            return n + encode_plain(key, true, set, out + n);
        }
        n = encode_plain(key, false, set, out);
        return n + encode_plain(VMM_KEY_E0 | 0x2a, false, set, out + n);
    }
    return encode_plain(key, down, set, out);
}

/* set 2 -> set 1, built once from the tables above; codes no key sends
 * keep the values a real controller gives the common ones */
static uint8_t xlate[0x100];
static bool xlate_ready;

static void build_xlate(void)
{
    for (unsigned i = 0; i < 0x100; i++)
        xlate[i] = (uint8_t)i;
    for (unsigned i = 0; i < 0x80; i++) {
        if (set2_plain[i])
            xlate[set2_plain[i]] = (uint8_t)i;
        if (set2_e0[i] && !set2_plain[i])
            xlate[set2_e0[i]] = (uint8_t)i;
    }
    /* the scan code set read back through translation: 1, 2, 3 read as
     * 0x43, 0x41, 0x3f (set 2 0x01 is F9, 0x03 is F5) */
    xlate[0x02] = 0x41;
    __atomic_store_n(&xlate_ready, true, __ATOMIC_RELEASE);
}

int vmm_scancode_translate(uint8_t byte, bool *break_pending)
{
    uint8_t v;

    if (!__atomic_load_n(&xlate_ready, __ATOMIC_ACQUIRE))
        build_xlate();
    if (byte == 0xf0) {
        *break_pending = true;
        return -1;
    }
    /* prefixes and keyboard replies (ACK, BAT, echo, resend...) pass */
    if (byte == 0xe0 || byte == 0xe1 || byte >= 0xfa || byte == 0xaa ||
        byte == 0xab || byte == 0xee || byte == 0x00) {
        *break_pending = false;
        return byte;
    }
    v = xlate[byte];
    if (*break_pending)
        v |= 0x80;
    *break_pending = false;
    return v;
}
