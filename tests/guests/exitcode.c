/* exitcode: hands the command line's code=N to the debug-exit port (so
 * the VMM exits with (N << 1) | 1).  Before that, optionally:
 *   spin=N    N loop iterations in kernel mode (the Linux boot test
 *             measures KVM's speed with it)
 *   hammer=N  N writes to an unimplemented port (the VMM must log them
 *             rate-limited and carry on)
 *   fault=1   a triple fault (no IDT, then an invalid opcode)
 *   wild=1    reads and writes far outside RAM (MMIO nobody decodes)
 *   loop=1    never ends: writes to an unimplemented port and reads
 *             unclaimed MMIO in a tight loop, one exit after another
 *   halt=1    halts with interrupts off for good (a hung guest that
 *             only the VMM can end) */
#include "guest.h"

void guest_main(void)
{
    uint32_t spin = cmdline_uint("spin", 0);
    uint32_t code = cmdline_uint("code", 0);
    uint32_t hammer = cmdline_uint("hammer", 0);

    for (volatile uint32_t i = 0; i < spin; i++)
        ;
    for (uint32_t i = 0; i < hammer; i++)
        outb(0x1234, (uint8_t)i);
    if (cmdline_uint("wild", 0)) {
        volatile uint32_t *p = (volatile uint32_t *)0xd0000000u;
        uint32_t v;

        p[0] = 0x12345678;
        v = p[1];
        gprintf("read %x from unclaimed MMIO\n", v);
    }
    if (cmdline_uint("loop", 0)) {
        volatile uint32_t *p = (volatile uint32_t *)0xd0000000u;

        puts_serial("looping on exits\n");
        for (uint32_t i = 0;; i++) {
            outb(0x1234, (uint8_t)i);
            (void)p[i & 0xff];
        }
    }
    if (cmdline_uint("halt", 0)) {
        puts_serial("halting for good\n");
        __asm__ volatile("cli; hlt");
    }
    if (cmdline_uint("fault", 0)) {
        static const struct {
            uint16_t limit;
            uint32_t base;
        } __attribute__((packed)) none = {0, 0};

        puts_serial("triple fault now\n");
        __asm__ volatile("lidt %0; ud2" : : "m"(none));
    }
    gprintf("exit code %u\n", code);
    guest_exit((uint8_t)code);
}
