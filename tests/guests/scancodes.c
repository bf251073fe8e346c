/* scancodes: echoes every byte the keyboard controller delivers as
 * "key XX", from IRQ 1.  set=1|2 selects the keyboard's scan code set
 * (default: leave it), xlate=0|1 the controller's set 2 -> set 1
 * translation (default 1).  Prints what the keyboard reports as its set,
 * then "scancodes ready"; runs until count=N bytes arrived (0: forever). */
#include "guest.h"

#define DATA 0x60
#define STATUS 0x64

static volatile uint32_t received;

static void kbd_send(uint8_t v, const char *what)
{
    int r;

    i8042_wait_write();
    outb(DATA, v);
    if ((r = i8042_read()) != 0xfa) {
        gprintf("scancodes: %s: keyboard answered %x, not ACK\n", what, r);
        guest_exit(GUEST_FAIL);
    }
}

static void kbd_irq(struct isr_frame *f)
{
    while (inb(STATUS) & 0x01) {
        gprintf("key %02x\n", inb(DATA));
        received++;
    }
    pic_eoi(1);
}

void guest_main(void)
{
    uint32_t set = cmdline_uint("set", 0);
    uint32_t xlate = cmdline_uint("xlate", 1);
    uint32_t want = cmdline_uint("count", 0);
    int v;

    i8042_wait_write();
    outb(STATUS, 0xad);                       /* keyboard port off */
    while (inb(STATUS) & 0x01)
        inb(DATA);
    i8042_wait_write();
    outb(STATUS, 0x60);                       /* command byte: no IRQs yet */
    i8042_wait_write();
    outb(DATA, (uint8_t)(0x04 | (xlate ? 0x40 : 0)));
    i8042_wait_write();
    outb(STATUS, 0xae);                       /* keyboard port on */
    if (set) {
        kbd_send(0xf0, "select scan code set");
        kbd_send((uint8_t)set, "scan code set number");
    }
    kbd_send(0xf0, "read scan code set");
    kbd_send(0x00, "read scan code set");
    v = i8042_read();
    gprintf("scancodes: keyboard reports set %x (xlate %u)\n", v, xlate);
    i8042_wait_write();
    outb(STATUS, 0x60);
    i8042_wait_write();
    outb(DATA, (uint8_t)(0x05 | (xlate ? 0x40 : 0))); /* IRQ 1 on */
    pic_init();
    idt_set_handler(32 + 1, kbd_irq);
    pic_unmask(1);
    puts_serial("scancodes ready\n");
    while (!want || received < want)
        __asm__ volatile("sti; hlt; cli");
    gprintf("scancodes: %u bytes\n", received);
}
