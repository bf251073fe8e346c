/* keymap.c: the shared keys and the US and German layouts. */
#include "display/keymap.h"

#include <rfb/keysym.h>
#include <stddef.h>
#include <string.h>

#include "devices/scancode.h"

#define E0(code) (VMM_KEY_E0 | (code))

/* ---- keys that are the same on every layout ---- */

static const struct {
    uint32_t keysym;
    uint16_t key;
} shared_keys[] = {
    {XK_Escape, 0x01}, {XK_BackSpace, 0x0e}, {XK_Tab, 0x0f},
    {XK_ISO_Left_Tab, 0x0f}, {XK_Return, 0x1c}, {XK_space, 0x39},
    {XK_Caps_Lock, 0x3a}, {XK_Num_Lock, 0x45}, {XK_Scroll_Lock, 0x46},
    {XK_Shift_L, 0x2a}, {XK_Shift_R, 0x36},
    {XK_Control_L, 0x1d}, {XK_Control_R, E0(0x1d)},
    {XK_Alt_L, 0x38}, {XK_Alt_R, E0(0x38)},
    {XK_ISO_Level3_Shift, E0(0x38)}, {XK_Mode_switch, E0(0x38)},
    {XK_Meta_L, E0(0x5b)}, {XK_Meta_R, E0(0x5c)},
    {XK_Super_L, E0(0x5b)}, {XK_Super_R, E0(0x5c)}, {XK_Menu, E0(0x5d)},
    {XK_Print, VMM_KEY_PRINT}, {XK_Sys_Req, VMM_KEY_SYSRQ},
    {XK_Pause, VMM_KEY_PAUSE}, {XK_Break, VMM_KEY_BREAK},
    {XK_Insert, E0(0x52)}, {XK_Delete, E0(0x53)}, {XK_Home, E0(0x47)},
    {XK_End, E0(0x4f)}, {XK_Page_Up, E0(0x49)}, {XK_Page_Down, E0(0x51)},
    {XK_Up, E0(0x48)}, {XK_Down, E0(0x50)}, {XK_Left, E0(0x4b)},
    {XK_Right, E0(0x4d)},
    {XK_F1, 0x3b}, {XK_F2, 0x3c}, {XK_F3, 0x3d}, {XK_F4, 0x3e},
    {XK_F5, 0x3f}, {XK_F6, 0x40}, {XK_F7, 0x41}, {XK_F8, 0x42},
    {XK_F9, 0x43}, {XK_F10, 0x44}, {XK_F11, 0x57}, {XK_F12, 0x58},
    {XK_F13, 0x64}, {XK_F14, 0x65}, {XK_F15, 0x66}, {XK_F16, 0x67},
    {XK_F17, 0x68}, {XK_F18, 0x69}, {XK_F19, 0x6a}, {XK_F20, 0x6b},
    {XK_F21, 0x6c}, {XK_F22, 0x6d}, {XK_F23, 0x6e}, {XK_F24, 0x76},
    /* the keypad, with Num Lock on and off */
    {XK_KP_0, 0x52}, {XK_KP_1, 0x4f}, {XK_KP_2, 0x50}, {XK_KP_3, 0x51},
    {XK_KP_4, 0x4b}, {XK_KP_5, 0x4c}, {XK_KP_6, 0x4d}, {XK_KP_7, 0x47},
    {XK_KP_8, 0x48}, {XK_KP_9, 0x49},
    {XK_KP_Insert, 0x52}, {XK_KP_End, 0x4f}, {XK_KP_Down, 0x50},
    {XK_KP_Next, 0x51}, {XK_KP_Left, 0x4b}, {XK_KP_Begin, 0x4c},
    {XK_KP_Right, 0x4d}, {XK_KP_Home, 0x47}, {XK_KP_Up, 0x48},
    {XK_KP_Prior, 0x49},
    {XK_KP_Decimal, 0x53}, {XK_KP_Separator, 0x53}, {XK_KP_Delete, 0x53},
    {XK_KP_Add, 0x4e}, {XK_KP_Subtract, 0x4a}, {XK_KP_Multiply, 0x37},
    {XK_KP_Divide, E0(0x35)}, {XK_KP_Enter, E0(0x1c)}, {XK_KP_Equal, 0x59},
    /* XF86 media and power keys */
    {0x1008ff12, E0(0x20)}, /* AudioMute */
    {0x1008ff11, E0(0x2e)}, /* AudioLowerVolume */
    {0x1008ff13, E0(0x30)}, /* AudioRaiseVolume */
    {0x1008ff14, E0(0x22)}, /* AudioPlay */
    {0x1008ff15, E0(0x24)}, /* AudioStop */
    {0x1008ff16, E0(0x10)}, /* AudioPrev */
    {0x1008ff17, E0(0x19)}, /* AudioNext */
    {0x1008ff18, E0(0x32)}, /* HomePage */
    {0x1008ff1d, E0(0x21)}, /* Calculator */
    {0x1008ff2a, E0(0x5e)}, /* PowerOff */
    {0x1008ff2f, E0(0x5f)}, /* Sleep */
    {0x1008ff2b, E0(0x63)}, /* WakeUp */
};

/* ---- layouts: the symbols of each key, by level ---- */

struct layout_key {
    uint16_t key;
    uint32_t sym[4]; /* plain, Shift, AltGr, Shift+AltGr; 0 = none */
};

struct vmm_keymap {
    const char *name;
    const struct layout_key *keys;
    size_t n_keys;
};

static const struct layout_key us_keys[] = {
    {0x29, {XK_grave, XK_asciitilde}},
    {0x02, {XK_1, XK_exclam}}, {0x03, {XK_2, XK_at}},
    {0x04, {XK_3, XK_numbersign}}, {0x05, {XK_4, XK_dollar}},
    {0x06, {XK_5, XK_percent}}, {0x07, {XK_6, XK_asciicircum}},
    {0x08, {XK_7, XK_ampersand}}, {0x09, {XK_8, XK_asterisk}},
    {0x0a, {XK_9, XK_parenleft}}, {0x0b, {XK_0, XK_parenright}},
    {0x0c, {XK_minus, XK_underscore}}, {0x0d, {XK_equal, XK_plus}},
    {0x10, {XK_q, XK_Q}}, {0x11, {XK_w, XK_W}}, {0x12, {XK_e, XK_E}},
    {0x13, {XK_r, XK_R}}, {0x14, {XK_t, XK_T}}, {0x15, {XK_y, XK_Y}},
    {0x16, {XK_u, XK_U}}, {0x17, {XK_i, XK_I}}, {0x18, {XK_o, XK_O}},
    {0x19, {XK_p, XK_P}}, {0x1a, {XK_bracketleft, XK_braceleft}},
    {0x1b, {XK_bracketright, XK_braceright}},
    {0x2b, {XK_backslash, XK_bar}},
    {0x1e, {XK_a, XK_A}}, {0x1f, {XK_s, XK_S}}, {0x20, {XK_d, XK_D}},
    {0x21, {XK_f, XK_F}}, {0x22, {XK_g, XK_G}}, {0x23, {XK_h, XK_H}},
    {0x24, {XK_j, XK_J}}, {0x25, {XK_k, XK_K}}, {0x26, {XK_l, XK_L}},
    {0x27, {XK_semicolon, XK_colon}}, {0x28, {XK_apostrophe, XK_quotedbl}},
    {0x2c, {XK_z, XK_Z}}, {0x2d, {XK_x, XK_X}}, {0x2e, {XK_c, XK_C}},
    {0x2f, {XK_v, XK_V}}, {0x30, {XK_b, XK_B}}, {0x31, {XK_n, XK_N}},
    {0x32, {XK_m, XK_M}}, {0x33, {XK_comma, XK_less}},
    {0x34, {XK_period, XK_greater}}, {0x35, {XK_slash, XK_question}},
    /* the 102nd key of ISO keyboards, after the keys above */
    {0x56, {XK_less, XK_greater, XK_bar, XK_brokenbar}},
};

static const struct layout_key de_keys[] = {
    {0x29, {XK_dead_circumflex, XK_degree}},
    {0x02, {XK_1, XK_exclam, XK_onesuperior}},
    {0x03, {XK_2, XK_quotedbl, XK_twosuperior}},
    {0x04, {XK_3, XK_section, XK_threesuperior}},
    {0x05, {XK_4, XK_dollar, XK_onequarter}},
    {0x06, {XK_5, XK_percent, XK_onehalf}},
    {0x07, {XK_6, XK_ampersand, XK_notsign}},
    {0x08, {XK_7, XK_slash, XK_braceleft}},
    {0x09, {XK_8, XK_parenleft, XK_bracketleft}},
    {0x0a, {XK_9, XK_parenright, XK_bracketright}},
    {0x0b, {XK_0, XK_equal, XK_braceright}},
    {0x0c, {XK_ssharp, XK_question, XK_backslash}},
    {0x0d, {XK_dead_acute, XK_dead_grave}},
    {0x10, {XK_q, XK_Q, XK_at}}, {0x11, {XK_w, XK_W}},
    {0x12, {XK_e, XK_E, XK_EuroSign}}, {0x13, {XK_r, XK_R}},
    {0x14, {XK_t, XK_T}}, {0x15, {XK_z, XK_Z}}, {0x16, {XK_u, XK_U}},
    {0x17, {XK_i, XK_I}}, {0x18, {XK_o, XK_O}}, {0x19, {XK_p, XK_P}},
    {0x1a, {XK_udiaeresis, XK_Udiaeresis}},
    {0x1b, {XK_plus, XK_asterisk, XK_asciitilde}},
    {0x1e, {XK_a, XK_A}}, {0x1f, {XK_s, XK_S}}, {0x20, {XK_d, XK_D}},
    {0x21, {XK_f, XK_F}}, {0x22, {XK_g, XK_G}}, {0x23, {XK_h, XK_H}},
    {0x24, {XK_j, XK_J}}, {0x25, {XK_k, XK_K}}, {0x26, {XK_l, XK_L}},
    {0x27, {XK_odiaeresis, XK_Odiaeresis}},
    {0x28, {XK_adiaeresis, XK_Adiaeresis}},
    {0x2b, {XK_numbersign, XK_apostrophe}},
    {0x56, {XK_less, XK_greater, XK_bar}},
    {0x2c, {XK_y, XK_Y}}, {0x2d, {XK_x, XK_X}}, {0x2e, {XK_c, XK_C}},
    {0x2f, {XK_v, XK_V}}, {0x30, {XK_b, XK_B}}, {0x31, {XK_n, XK_N}},
    {0x32, {XK_m, XK_M, XK_mu}}, {0x33, {XK_comma, XK_semicolon}},
    {0x34, {XK_period, XK_colon}}, {0x35, {XK_minus, XK_underscore}},
};

static const struct vmm_keymap keymaps[] = {
    {"us", us_keys, sizeof(us_keys) / sizeof(us_keys[0])},
    {"de", de_keys, sizeof(de_keys) / sizeof(de_keys[0])},
};

const struct vmm_keymap *vmm_keymap_find(const char *name)
{
    for (size_t i = 0; i < sizeof(keymaps) / sizeof(keymaps[0]); i++)
        if (strcmp(keymaps[i].name, name) == 0)
            return &keymaps[i];
    return NULL;
}

const char *vmm_keymap_name(const struct vmm_keymap *km)
{
    return km->name;
}

const char *vmm_keymap_list(void)
{
    return "us, de";
}

/* Latin-1 letters have their capital 0x20 below (except the division
 * and multiplication signs) */
static bool is_case_pair(uint32_t lower, uint32_t upper)
{
    if (lower >= 'a' && lower <= 'z')
        return upper == lower - 0x20;
    if (lower >= 0xe0 && lower <= 0xfe && lower != 0xf7)
        return upper == lower - 0x20;
    return false;
}

bool vmm_keymap_lookup(const struct vmm_keymap *km, uint32_t keysym,
                       struct vmm_keysym_key *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < sizeof(shared_keys) / sizeof(shared_keys[0]); i++)
        if (shared_keys[i].keysym == keysym) {
            out->key = shared_keys[i].key;
            return true;
        }
    for (size_t i = 0; i < km->n_keys; i++) {
        const struct layout_key *k = &km->keys[i];

        for (uint8_t level = 0; level < 4; level++) {
            if (k->sym[level] != keysym || !keysym)
                continue;
            out->key = k->key;
            out->level = level;
            out->layout = true;
            out->alpha = is_case_pair(k->sym[0], k->sym[1]);
            return true;
        }
    }
    return false;
}
