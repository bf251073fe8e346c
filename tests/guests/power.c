/* power.c: the ACPI power button and S5, for guests that shut down.
 *
 * power_init() finds the PM1 blocks in the FADT and \_S5 in the DSDT;
 * power_button_enable() routes the fixed power button to the SCI (IRQ 9)
 * and counts presses; power_off() enters S5. */
#include "guest.h"

#define PM1_PWRBTN 0x0100
#define SLP_EN 0x2000

static uint16_t pm1_evt, pm1_cnt;
static int slp_typ = -1;
volatile uint32_t power_button_presses;

static void sci(struct isr_frame *f)
{
    uint16_t sts = inw(pm1_evt);

    if (sts & PM1_PWRBTN) {
        outw(pm1_evt, PM1_PWRBTN); /* write 1 to clear */
        power_button_presses++;
    }
    pic_eoi(9);
}

/* the byte after the "_S5_" package's element count: SLP_TYPa */
static int s5_type(const uint8_t *dsdt)
{
    uint32_t len = *(const uint32_t *)(dsdt + 4);

    for (uint32_t i = 36; i + 8 < len; i++) {
        if (memcmp(dsdt + i, "_S5_", 4) == 0 && dsdt[i + 4] == 0x12) {
            const uint8_t *p = dsdt + i + 7; /* after op, pkglen, count */
            return p[0] == 0x0a ? p[1] : p[0] == 0x00 ? 0 : p[0] == 0x01 ? 1 : -1;
        }
    }
    return -1;
}

bool power_init(void)
{
    const uint8_t *fadt = acpi_find("FACP");
    const uint8_t *dsdt;

    if (!fadt) {
        puts_serial("no FADT\n");
        return false;
    }
    pm1_evt = (uint16_t)*(const uint32_t *)(fadt + 56);
    pm1_cnt = (uint16_t)*(const uint32_t *)(fadt + 64);
    dsdt = (const uint8_t *)(uintptr_t)*(const uint32_t *)(fadt + 40);
    slp_typ = s5_type(dsdt);
    gprintf("PM1a_EVT %x PM1a_CNT %x SCI %u S5 type %d\n", pm1_evt, pm1_cnt,
            *(const uint16_t *)(fadt + 46), slp_typ);
    if (slp_typ < 0 || (*(const uint32_t *)(fadt + 112) & (1u << 4))) {
        puts_serial("no \\_S5 or no fixed power button\n");
        return false;
    }
    return true;
}

void power_button_enable(void)
{
    idt_set_handler(32 + 9, sci);
    pic_unmask(9);
    outw(pm1_evt, 0xffff);         /* clear stale status */
    outw(pm1_evt + 2, PM1_PWRBTN); /* enable the power button */
}

void power_off(void)
{
    outw(pm1_cnt, (uint16_t)((slp_typ << 10) | SLP_EN));
}
