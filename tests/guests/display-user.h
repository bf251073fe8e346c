/* display-user.h: what the display guest's kernel part hands its 64-bit
 * user-mode part (display-user.c). */
#pragma once

#include <stdint.h>

struct display_args {
    uint32_t fb;      /* BAR 0: video memory */
    uint32_t dispi;   /* BAR 2 + 0x500: the DISPI registers */
    uint32_t tsc_ms;  /* TSC ticks per millisecond */
    uint32_t anim, frames, fps, bad, big;
    uint32_t idle_flag; /* &user_idle_flag */
};

#define DISPLAY_USER_ENTRY 0x800000u
