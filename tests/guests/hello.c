/* hello: the smallest guest: a line on the serial port, then a verdict
 * through the debug-exit port. */
#include "guest.h"

void guest_main(void)
{
    puts_serial("Hello from a vireo test guest\n");
    if (!start_info) {
        puts_serial("no PVH start_info\n");
        guest_exit(GUEST_FAIL);
    }
    /* wait=1: stay alive (for benchmarks and control tests) */
    if (cmdline_uint("wait", 0)) {
        /* no stray interrupt wakes it: firmware (QEMU -M pc) leaves the
         * PIT ticking on IRQ 0, which the PICs would deliver at vector 8 */
        pic_init();
        puts_serial("waiting\n");
        for (;;)
            __asm__ volatile("sti; hlt");
    }
    guest_exit(GUEST_PASS);
}
