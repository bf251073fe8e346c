/* rtc: reads the CMOS clock the way Linux does (wait for no update in
 * progress, read until two reads agree), checks every field is a valid
 * BCD date in 24-hour mode, and prints it. */
#include "guest.h"

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static bool bcd_ok(uint8_t v, unsigned lo, unsigned hi)
{
    unsigned d;

    if ((v & 0xf) > 9 || (v >> 4) > 9)
        return false;
    d = (v >> 4) * 10 + (v & 0xf);
    return d >= lo && d <= hi;
}

static unsigned bcd(uint8_t v)
{
    return (v >> 4) * 10 + (v & 0xf);
}

void guest_main(void)
{
    uint8_t t[8], u[8];
    static const uint8_t regs[8] = {0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32,
                                    0x0b};

    do {
        while (cmos(0x0a) & 0x80)
            cpu_relax();
        for (int i = 0; i < 8; i++)
            t[i] = cmos(regs[i]);
        for (int i = 0; i < 8; i++)
            u[i] = cmos(regs[i]);
    } while (memcmp(t, u, 8) != 0);

    gprintf("RTC %02u%02u-%02u-%02u %02u:%02u:%02u (B=%x D=%x)\n", bcd(t[6]),
            bcd(t[5]), bcd(t[4]), bcd(t[3]), bcd(t[2]), bcd(t[1]), bcd(t[0]),
            t[7], cmos(0x0d));
    if (!bcd_ok(t[0], 0, 59) || !bcd_ok(t[1], 0, 59) || !bcd_ok(t[2], 0, 23) ||
        !bcd_ok(t[3], 1, 31) || !bcd_ok(t[4], 1, 12) || !bcd_ok(t[5], 0, 99) ||
        !bcd_ok(t[6], 20, 21) || (t[7] & 0x06) != 0x02 ||
        !(cmos(0x0d) & 0x80)) {
        puts_serial("RTC values are invalid\n");
        guest_exit(GUEST_FAIL);
    }
    puts_serial("RTC OK\n");
}
