/* scancodes: echoes every byte the keyboard controller delivers as
 * "key XX" (keyboard, IRQ 1) or "aux XX" (mouse=1: the PS/2 mouse with
 * reporting on, IRQ 12; mouse=2: an IntelliMouse, with its wheel).  set=1|2 selects the keyboard's scan code set
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

static void aux_send(uint8_t v)
{
    int r;

    i8042_wait_write();
    outb(STATUS, 0xd4);                       /* to the mouse: */
    i8042_wait_write();
    outb(DATA, v);
    if ((r = i8042_read()) != 0xfa) {
        gprintf("scancodes: the mouse answered %x, not ACK\n", r);
        guest_exit(GUEST_FAIL);
    }
}

/* both interrupts: whatever is in the output buffer, and whose */
static void drain(struct isr_frame *f)
{
    uint8_t st;

    while ((st = inb(STATUS)) & 0x01) {
        gprintf("%s %02x\n", (st & 0x20) ? "aux" : "key", inb(DATA));
        received++;
    }
    pic_eoi((uint8_t)(f->vector - 32));
}

void guest_main(void)
{
    uint32_t set = cmdline_uint("set", 0);
    uint32_t xlate = cmdline_uint("xlate", 1);
    uint32_t want = cmdline_uint("count", 0);
    uint32_t mouse = cmdline_uint("mouse", 0);
    uint8_t irqs = 0x01 | (mouse ? 0x02 : 0);
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
    if (mouse) {
        i8042_wait_write();
        outb(STATUS, 0xa8);                   /* mouse port on */
        if (mouse == 2) {
            /* the IntelliMouse knock: sample rates 200, 100, 80 */
            static const uint8_t knock[] = {0xf3, 200, 0xf3, 100, 0xf3, 80};

            for (unsigned i = 0; i < sizeof(knock); i++)
                aux_send(knock[i]);
            aux_send(0xf2);
            gprintf("scancodes: mouse ID %x\n", i8042_read());
        }
        aux_send(0xf4);                       /* enable reporting */
    }
    i8042_wait_write();
    outb(STATUS, 0x60);
    i8042_wait_write();
    outb(DATA, (uint8_t)(0x04 | irqs | (xlate ? 0x40 : 0))); /* IRQs on */
    pic_init();
    idt_set_handler(32 + 1, drain);
    idt_set_handler(32 + 12, drain);
    pic_unmask(1);
    if (mouse)
        pic_unmask(12);
    puts_serial("scancodes ready\n");
    while (!want || received < want)
        __asm__ volatile("sti; hlt; cli");
    gprintf("scancodes: %u bytes\n", received);
}
