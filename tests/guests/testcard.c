/* testcard: the demo guest.  Draws a test card (colour bars, a grey ramp,
 * a title) on a bochs-display framebuffer when there is one, and echoes
 * what is typed (on the serial port or the PS/2 keyboard) both on the
 * serial port and on the screen.  The ACPI power button shuts it down.
 *
 * Layout at 640x480x32, for tests that read pixels back:
 *   y 0-319     eight bars of 80 px: white, yellow, cyan, green,
 *               magenta, red, blue, black (full intensity)
 *   y 320-359   sixteen grey steps of 40 px (level 17 * i)
 *   y 130-189   the title, white on black, x 120-519
 *   y 360-479   typed text, white on dark blue (0x000040), from x 16, y 376
 * Serial: "testcard ready (display WxH)" or "testcard ready (no display)"
 * once it listens, then an echo of every character.
 */
#include "guest.h"

#define WIDTH 640
#define HEIGHT 480
#define TEXT_TOP 360
#define TEXT_BG 0x000040
#define BOCHS_VENDOR 0x1234
#define BOCHS_DEVICE 0x1111

/* DISPI registers, 16 bits each at BAR2 + 0x500 */
enum { DISPI_ID, DISPI_XRES, DISPI_YRES, DISPI_BPP, DISPI_ENABLE };
#define DISPI_ENABLED 0x01
#define DISPI_LFB 0x40

static volatile uint32_t *fb;
static int text_x = 16, text_y = 376;

/* a 5x7 font: seven rows per glyph, bit 4 is the leftmost pixel */
static const struct {
    char c;
    uint8_t rows[7];
} font[] = {
    {'A', {0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}},
    {'B', {0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e}},
    {'C', {0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e}},
    {'D', {0x1e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1e}},
    {'E', {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f}},
    {'F', {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10}},
    {'G', {0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f}},
    {'H', {0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}},
    {'I', {0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e}},
    {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c}},
    {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}},
    {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f}},
    {'M', {0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11}},
    {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'O', {0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e}},
    {'P', {0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10}},
    {'Q', {0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d}},
    {'R', {0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11}},
    {'S', {0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e}},
    {'T', {0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e}},
    {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04}},
    {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a}},
    {'X', {0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11}},
    {'Y', {0x11, 0x11, 0x0a, 0x04, 0x04, 0x04, 0x04}},
    {'Z', {0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f}},
    {'0', {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e}},
    {'1', {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e}},
    {'2', {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f}},
    {'3', {0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e}},
    {'4', {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02}},
    {'5', {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e}},
    {'6', {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e}},
    {'7', {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e}},
    {'9', {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c}},
    {' ', {0, 0, 0, 0, 0, 0, 0}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c}},
    {',', {0x00, 0x00, 0x00, 0x00, 0x0c, 0x04, 0x08}},
    {'-', {0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00}},
    {'!', {0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04}},
    {'?', {0x0e, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04}},
    {':', {0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00}},
    {'/', {0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x10}},
};
static const uint8_t unknown_glyph[7] = {0x1f, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1f};

static const uint8_t *glyph(char c)
{
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    for (size_t i = 0; i < sizeof(font) / sizeof(font[0]); i++)
        if (font[i].c == c)
            return font[i].rows;
    return unknown_glyph;
}

static void fill(int x, int y, int w, int h, uint32_t colour)
{
    for (int row = y; row < y + h; row++) {
        volatile uint32_t *p = fb + row * WIDTH + x;
        int n = w;

        __asm__ volatile("cld; rep stosl" : "+D"(p), "+c"(n) : "a"(colour) : "memory");
    }
}

static void draw_char(int x, int y, char c, int scale, uint32_t fg, uint32_t bg)
{
    const uint8_t *rows = glyph(c);

    fill(x, y, 6 * scale, 8 * scale, bg);
    for (int r = 0; r < 7; r++)
        for (int col = 0; col < 5; col++)
            if (rows[r] & (0x10 >> col))
                fill(x + col * scale, y + r * scale, scale, scale, fg);
}

static void draw_text(int x, int y, const char *s, int scale, uint32_t fg, uint32_t bg)
{
    for (; *s; s++, x += 6 * scale)
        draw_char(x, y, *s, scale, fg, bg);
}

static void draw_card(void)
{
    static const uint32_t bars[8] = {0xffffff, 0xffff00, 0x00ffff, 0x00ff00,
                                     0xff00ff, 0xff0000, 0x0000ff, 0x000000};

    for (int i = 0; i < 8; i++)
        fill(i * 80, 0, 80, 320, bars[i]);
    for (int i = 0; i < 16; i++)
        fill(i * 40, 320, 40, 40, (uint32_t)(17 * i) * 0x010101);
    fill(120, 130, 400, 60, 0x000000);
    /* 15 glyphs of 24 px: centred */
    draw_text(140, 144, "VIREO TEST CARD", 4, 0xffffff, 0x000000);
    fill(0, TEXT_TOP, WIDTH, HEIGHT - TEXT_TOP, TEXT_BG);
}

/* PCI configuration mechanism #1 */
static void dispi_write(uintptr_t mmio, int reg, uint16_t v)
{
    *(volatile uint16_t *)(mmio + 0x500 + 2 * reg) = v;
}

static bool display_init(void)
{
    for (uint8_t slot = 0; slot < 32; slot++) {
        uint32_t id = pci_cfg_read(slot, 0x00);
        uint32_t bar0, bar2;

        if ((id & 0xffff) != BOCHS_VENDOR || (id >> 16) != BOCHS_DEVICE)
            continue;
        bar0 = pci_cfg_read(slot, 0x10) & ~0xfu;
        bar2 = pci_cfg_read(slot, 0x18) & ~0xfu;
        if (!bar0 || !bar2) {
            puts_serial("the display's BARs are not assigned\n");
            return false;
        }
        pci_cfg_write(slot, 0x04, pci_cfg_read(slot, 0x04) | 0x2); /* memory decoding */
        dispi_write(bar2, DISPI_ENABLE, 0);
        dispi_write(bar2, DISPI_XRES, WIDTH);
        dispi_write(bar2, DISPI_YRES, HEIGHT);
        dispi_write(bar2, DISPI_BPP, 32);
        dispi_write(bar2, DISPI_ENABLE, DISPI_ENABLED | DISPI_LFB);
        fb = (volatile uint32_t *)(uintptr_t)bar0;
        return true;
    }
    return false;
}

/* Input: interrupt handlers queue characters, the main loop shows them. */
static volatile char queue[64];
static volatile uint32_t queue_head, queue_tail;
static bool shift;

static void push(char c)
{
    if (queue_head - queue_tail < sizeof(queue))
        queue[queue_head++ % sizeof(queue)] = c;
}

static void serial_irq(struct isr_frame *f)
{
    while (inb(COM1 + 5) & 0x01)
        push((char)inb(COM1));
    pic_eoi(4);
}

/* scan code set 1 (what the i8042 translates to) → characters */
static char from_scancode(uint8_t code)
{
    static const char digits[] = "1234567890-=";
    static const char row1[] = "qwertyuiop";
    static const char row2[] = "asdfghjkl";
    static const char row3[] = "zxcvbnm,./";

    if (code >= 0x02 && code <= 0x0d)
        return digits[code - 0x02];
    if (code >= 0x10 && code <= 0x19)
        return row1[code - 0x10];
    if (code >= 0x1e && code <= 0x26)
        return row2[code - 0x1e];
    if (code >= 0x2c && code <= 0x35)
        return row3[code - 0x2c];
    switch (code) {
    case 0x39:
        return ' ';
    case 0x1c:
        return '\r';
    case 0x0e:
        return '\b';
    default:
        return 0;
    }
}

static void keyboard_irq(struct isr_frame *f)
{
    static bool extended;

    while (inb(0x64) & 0x01) {
        uint8_t code = inb(0x60);
        char c;

        if (code == 0xe0) {
            extended = true;
            continue;
        }
        if (code == 0x2a || code == 0x36 || code == 0xaa || code == 0xb6) {
            shift = !(code & 0x80);
        } else if (!(code & 0x80) && !extended && (c = from_scancode(code))) {
            if (shift && c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            push(c);
        }
        extended = false;
    }
    pic_eoi(1);
}

static void keyboard_init(void)
{
    while (inb(0x64) & 0x02)
        cpu_relax();
    outb(0x64, 0x60); /* command byte: */
    while (inb(0x64) & 0x02)
        cpu_relax();
    outb(0x60, 0x45); /* IRQ1, system, translate */
    while (inb(0x64) & 0x01)
        inb(0x60);
}

static void show(char c)
{
    if (c == '\r' || c == '\n') {
        puts_serial("\n");
        text_x = 16;
        text_y += 24;
    } else if (c == '\b' || c == 0x7f) {
        puts_serial("\b \b");
        if (text_x > 16) {
            text_x -= 18;
            if (fb)
                draw_char(text_x, text_y, ' ', 3, 0xffffff, TEXT_BG);
        }
        return;
    } else {
        putc_serial(c);
        if (fb)
            draw_char(text_x, text_y, c, 3, 0xffffff, TEXT_BG);
        text_x += 18;
        if (text_x + 18 > WIDTH - 16) {
            text_x = 16;
            text_y += 24;
        }
    }
    if (text_y + 24 > HEIGHT) {
        text_y = 376;
        if (fb)
            fill(0, TEXT_TOP, WIDTH, HEIGHT - TEXT_TOP, TEXT_BG);
    }
}

void guest_main(void)
{
    bool power = power_init();
    bool display = display_init();

    puts_serial("Vireo test card: type here or on its screen; the power button "
                "shuts it down.\n");
    if (display)
        draw_card();
    pic_init();
    keyboard_init();
    idt_set_handler(32 + 1, keyboard_irq);
    idt_set_handler(32 + 4, serial_irq);
    pic_unmask(1);
    pic_unmask(4);
    outb(COM1 + 4, 0x0b); /* DTR, RTS, OUT2: interrupts reach the PIC */
    outb(COM1 + 1, 0x01); /* interrupt on received data */
    if (power)
        power_button_enable();
    if (display)
        gprintf("testcard ready (display %ux%u)\n", WIDTH, HEIGHT);
    else
        puts_serial("testcard ready (no display)\n");

    for (;;) {
        while (queue_tail != queue_head)
            show(queue[queue_tail++ % sizeof(queue)]);
        if (power_button_presses) {
            puts_serial("\npower button pressed, powering off\n");
            power_off();
            guest_exit(GUEST_FAIL);
        }
        __asm__ volatile("sti; hlt; cli");
    }
}
