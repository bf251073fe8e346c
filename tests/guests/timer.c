/* timer: programs PIT channel 0 at 1 kHz, takes its interrupts through
 * the 8259 on IRQ 0 with interrupts on and hlt in between, and passes
 * after ticks=N of them (default 50).  forever=1 prints "tick N" every
 * 100 ticks and never ends (the control tests pause and resume it). */
#include "guest.h"

#define PIT_HZ 1193182u

static volatile uint32_t ticks;

static void pit_irq(struct isr_frame *f)
{
    ticks++;
    pic_eoi(0);
}

void guest_main(void)
{
    uint32_t want = cmdline_uint("ticks", 50);
    uint32_t divisor = PIT_HZ / 1000;
    uint32_t forever = cmdline_uint("forever", 0);

    pic_init();
    idt_set_handler(32, pit_irq);
    outb(0x43, 0x34);                   /* channel 0, lo/hi, rate generator */
    outb(0x40, (uint8_t)divisor);
    outb(0x40, (uint8_t)(divisor >> 8));
    pic_unmask(0);
    puts_serial("timer started\n");
    if (forever) {
        uint32_t next = 100;

        for (;;) {
            __asm__ volatile("sti; hlt; cli");
            if (ticks >= next) {
                gprintf("tick %u\n", ticks);
                next += 100;
            }
        }
    }
    while (ticks < want)
        __asm__ volatile("sti; hlt; cli");
    gprintf("%u timer interrupts\n", ticks);
}
