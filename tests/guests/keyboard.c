/* keyboard: initialises the i8042 (self-test, keyboard reset, command
 * byte), then echoes every scan code it receives on IRQ 1 as "key XX"
 * until it has seen count=N of them (default 4); ends with the verdict.
 * reset=1 instead resets the machine through the controller. */
#include "guest.h"

#define DATA 0x60
#define STATUS 0x64

static volatile uint32_t received;

static void kbd_irq(struct isr_frame *f)
{
    while (inb(STATUS) & 0x01) {
        uint8_t code = inb(DATA);

        gprintf("key %02x\n", code);
        received++;
    }
    pic_eoi(1);
}

void guest_main(void)
{
    uint32_t want = cmdline_uint("count", 4);
    int v;

    i8042_wait_write();
    outb(STATUS, 0xaa);                       /* controller self-test */
    if ((v = i8042_read()) != 0x55) {
        gprintf("self-test answered %x\n", v);
        guest_exit(GUEST_FAIL);
    }
    i8042_wait_write();
    outb(DATA, 0xff);                         /* keyboard reset */
    if (i8042_read() != 0xfa || i8042_read() != 0xaa) {
        puts_serial("keyboard reset failed\n");
        guest_exit(GUEST_FAIL);
    }
    if (cmdline_uint("reset", 0)) {
        puts_serial("resetting through the i8042\n");
        i8042_wait_write();
        outb(STATUS, 0xfe);
        puts_serial("still running after reset\n");
        guest_exit(GUEST_FAIL);
    }
    i8042_wait_write();
    outb(STATUS, 0x60);                       /* command byte: */
    i8042_wait_write();
    outb(DATA, 0x45);                         /* IRQ1, system, translate */
    pic_init();
    idt_set_handler(32 + 1, kbd_irq);
    pic_unmask(1);
    puts_serial("keyboard ready\n");
    while (received < want)
        __asm__ volatile("sti; hlt; cli");
    gprintf("received %u scan codes\n", received);
}
