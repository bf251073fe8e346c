/* acpi-poweroff: finds the PM1 blocks in the FADT and \_S5 in the DSDT,
 * enables the power button, waits for it (pressed through the control
 * API) on the SCI, and powers the machine off through S5.  With
 * now=1 it powers off at once. */
#include "guest.h"

void guest_main(void)
{
    if (!power_init())
        guest_exit(GUEST_FAIL);
    if (!cmdline_uint("now", 0)) {
        pic_init();
        power_button_enable();
        puts_serial("waiting for the power button\n");
        while (!power_button_presses)
            __asm__ volatile("sti; hlt; cli");
        puts_serial("power button pressed, powering off\n");
    }
    power_off();
    puts_serial("still running after S5\n");
    guest_exit(GUEST_FAIL);
}
