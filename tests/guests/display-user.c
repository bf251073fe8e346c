/* display-user.c: the user-mode part of the display guest (64-bit, runs
 * natively even where KVM emulates kernel mode); see display.c for the
 * steps.  Programs the DISPI registers through BAR 2, draws into BAR 0,
 * polls the keyboard for the key presses that move it on. */
#include "display-user.h"
#include "patterns.h"
#include "user64.h"

#define DISPI_ID 0x0
#define DISPI_XRES 0x1
#define DISPI_YRES 0x2
#define DISPI_BPP 0x3
#define DISPI_ENABLE 0x4
#define DISPI_BANK 0x5
#define DISPI_VIRT_WIDTH 0x6
#define DISPI_VIRT_HEIGHT 0x7
#define DISPI_X_OFFSET 0x8
#define DISPI_Y_OFFSET 0x9
#define DISPI_VIDEO_MEMORY_64K 0xa

static volatile uint8_t *fb;
static volatile uint16_t *dispi;

static void set_mode(uint32_t w, uint32_t h, uint32_t bpp, uint32_t virt_w,
                     uint32_t yoff)
{
    dispi[DISPI_ENABLE] = 0;
    dispi[DISPI_BPP] = (uint16_t)bpp;
    dispi[DISPI_XRES] = (uint16_t)w;
    dispi[DISPI_YRES] = (uint16_t)h;
    dispi[DISPI_BANK] = 0;
    dispi[DISPI_VIRT_WIDTH] = (uint16_t)virt_w;
    dispi[DISPI_VIRT_HEIGHT] = (uint16_t)(h + yoff);
    dispi[DISPI_X_OFFSET] = 0;
    dispi[DISPI_Y_OFFSET] = (uint16_t)yoff;
    dispi[DISPI_ENABLE] = 0x41; /* enabled, linear framebuffer */
}

static volatile uint32_t *pixel32(uint32_t stride, uint32_t x, uint32_t y)
{
    return (volatile uint32_t *)(fb + (uint64_t)y * stride + x * 4);
}

static void draw_a(void)
{
    set_mode(640, 480, 32, 640, 0);
    for (uint32_t y = 0; y < 480; y++)
        for (uint32_t x = 0; x < 640; x++)
            *pixel32(640 * 4, x, y) = pattern_a(x, y);
}

static void draw_b(uint32_t stride, uint32_t yoff, uint32_t x0, uint32_t y0,
                   uint32_t w, uint32_t h)
{
    for (uint32_t y = y0; y < y0 + h; y++)
        for (uint32_t x = x0; x < x0 + w; x++)
            *pixel32(stride, x, y + yoff) = pattern_b(x, y);
}

static void draw_c(void)
{
    set_mode(800, 600, 16, 800, 0);
    for (uint32_t y = 0; y < 600; y++)
        for (uint32_t x = 0; x < 800; x++)
            *(volatile uint16_t *)(fb + y * 1600 + x * 2) = pattern_c565(x, y);
}

static void square(uint32_t x0, uint32_t y0)
{
    for (uint32_t y = y0; y < y0 + ANIM_SQUARE; y++)
        for (uint32_t x = x0; x < x0 + ANIM_SQUARE; x++)
            *pixel32(ANIM_W * 4, x, y) = ANIM_COLOUR;
}

/* the key press that moves a step on: any make code */
static void wait_key(void)
{
    for (;;) {
        if (u_inb(0x64) & 0x01) {
            uint8_t c = u_inb(0x60);

            if (c < 0x80 && c != 0x00)
                return;
        }
        for (volatile int i = 0; i < 20000; i++)
            u_relax();
    }
}

/* frames 0..n-1 of the moving square (n 0: forever) at @fps (0: as
 * fast as it goes); returns the last frame drawn */
static uint32_t animate(const struct display_args *a, uint32_t n, bool report)
{
    uint64_t period = a->fps ? (uint64_t)a->tsc_ms * 1000 / a->fps : 0;
    uint64_t next = u_rdtsc();
    uint32_t px, py, k;

    set_mode(ANIM_W, ANIM_H, 32, ANIM_W, 0);
    draw_b(ANIM_W * 4, 0, 0, 0, ANIM_W, ANIM_H);
    anim_pos(0, &px, &py);
    square(px, py);
    for (k = 1; !n || k < n; k++) {
        uint32_t x, y;

        if (period) {
            next += period;
            while (u_rdtsc() < next)
                u_relax();
        }
        anim_pos(k, &x, &y);
        draw_b(ANIM_W * 4, 0, px, py, ANIM_SQUARE, ANIM_SQUARE);
        square(x, y);
        px = x;
        py = y;
        if (report && k % 60 == 0)
            u_printf("display: frame %u\n", k);
    }
    return k - 1;
}

__attribute__((section(".text.entry"), noreturn))
void user_entry(const struct display_args *a);
void user_entry(const struct display_args *a)
{
    uint16_t id;
    uint32_t last;

    fb = (volatile uint8_t *)(uintptr_t)a->fb;
    dispi = (volatile uint16_t *)(uintptr_t)a->dispi;
    id = dispi[DISPI_ID];
    u_printf("display: DISPI id %x, %u KiB of video memory\n", id,
             dispi[DISPI_VIDEO_MEMORY_64K] * 64u);
    if (id < 0xb0c0 || id > 0xb0c5) {
        u_printf("display: not a bochs DISPI interface\n");
        u_exit(1);
    }
    if (a->anim) {
        last = animate(a, a->frames, true);
        u_printf("display: animation done, %u frames\n", last + 1);
        u_idle(a->idle_flag);
    }

    draw_a();
    u_printf("display: step 1 ready\n");
    wait_key();

    set_mode(1024, 768, 32, PATTERN_B_VIRT_WIDTH, PATTERN_B_Y_OFFSET);
    draw_b(PATTERN_B_VIRT_WIDTH * 4, PATTERN_B_Y_OFFSET, 0, 0, 1024, 768);
    u_printf("display: step 2 ready\n");
    wait_key();

    draw_c();
    u_printf("display: step 3 ready\n");
    wait_key();

    if (a->big) {
        set_mode(1920, 1200, 32, 1920, 0);
        for (uint32_t y = 0; y < 1200; y++)
            for (uint32_t x = 0; x < 1920; x++)
                *pixel32(1920 * 4, x, y) = pattern_big(x, y);
        u_printf("display: big ready\n");
        wait_key();
    }

    last = animate(a, a->frames ? a->frames : 120, false);
    u_printf("display: step 4 ready, frame %u\n", last);
    wait_key();

    if (a->bad) {
        set_mode(9000, 480, 32, 9000, 0);     /* wider than allowed */
        u_printf("display: bad mode 1 (9000x480)\n");
        wait_key();
        set_mode(640, 480, 24, 640, 0);       /* unsupported depth */
        u_printf("display: bad mode 2 (24 bpp)\n");
        wait_key();
        /* a picture that starts in video memory and ends past it */
        set_mode(1024, 768, 32, 1024, 3500);
        u_printf("display: bad mode 3 (y offset 3500)\n");
        wait_key();
        draw_a();
        u_printf("display: step 5 ready\n");
        wait_key();
    }
    u_printf("display: done\n");
    u_exit(0);
}
