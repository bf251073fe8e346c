/* patterns.h: the pictures the display guest draws, shared with the
 * tests that check them pixel by pixel (x8r8g8b8 values; for 16-bit
 * modes r5g6b5, with how a display widens them to 8 bits a channel). */
#pragma once

#include <stdint.h>

/* step 1: 640x480x32, gradients and a xor texture */
static inline uint32_t pattern_a(uint32_t x, uint32_t y)
{
    return (x * 255 / 639) << 16 | (y * 255 / 479) << 8 | ((x ^ y) & 0xff);
}

/* step 2: 1024x768x32 shown from line 16 of a 1280-pixel-wide buffer:
 * 32-pixel checkers with a tint */
#define PATTERN_B_VIRT_WIDTH 1280
#define PATTERN_B_Y_OFFSET 16
static inline uint32_t pattern_b(uint32_t x, uint32_t y)
{
    uint32_t check = ((x / 32 + y / 32) & 1) ? 0x00e0e0e0u : 0x00202020u;

    return check ^ (((x * 3 + y * 5) & 0x1f) << 8) ^ ((y & 0x1f) << 16);
}

/* step 3: 800x600x16 */
static inline uint16_t pattern_c565(uint32_t x, uint32_t y)
{
    return (uint16_t)((x * 31 / 799) << 11 | (y * 63 / 599) << 5 |
                      ((x + y) & 31));
}

static inline uint32_t rgb565_to_888(uint16_t p)
{
    uint32_t r = (p >> 11) & 0x1f, g = (p >> 5) & 0x3f, b = p & 0x1f;

    return (r << 3 | r >> 2) << 16 | (g << 2 | g >> 4) << 8 | (b << 3 | b >> 2);
}

/* with big=1, after step 3: 1920x1200x32 */
static inline uint32_t pattern_big(uint32_t x, uint32_t y)
{
    return (x * 255 / 1919) << 16 | (y * 255 / 1199) << 8 | ((x + y) & 0xff);
}

/* step 4 and the benchmark: a square moving over pattern_b (1024x768,
 * no offset); frame k has it here */
#define ANIM_W 1024
#define ANIM_H 768
#define ANIM_SQUARE 64
#define ANIM_COLOUR 0x00ff8000u
static inline void anim_pos(uint32_t k, uint32_t *x, uint32_t *y)
{
    *x = (k * 7) % (ANIM_W - ANIM_SQUARE);
    *y = (k * 5) % (ANIM_H - ANIM_SQUARE);
}
