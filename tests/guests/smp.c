/* smp: the BSP counts the processors in the MADT, starts the others with
 * INIT/SIPI through its local APIC, and passes when every one of them
 * has checked in from its own APIC ID. */
#include "guest.h"

#define LAPIC 0xfee00000u
#define LAPIC_ID 0x20
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define AP_TRAMPOLINE 0x8000

extern char ap_tramp_start[], ap_tramp_end[];
static volatile uint32_t checked_in;
static volatile uint32_t seen_ids;

static uint32_t apic_id(void)
{
    return mmio_read32(LAPIC + LAPIC_ID) >> 24;
}

void ap_main(void);
void ap_main(void)
{
    uint32_t id = apic_id();

    print_lock();
    gprintf("cpu with APIC ID %u checked in\n", id);
    __atomic_or_fetch(&seen_ids, 1u << (id & 31), __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&checked_in, 1, __ATOMIC_SEQ_CST);
    print_unlock();
    for (;;)
        __asm__ volatile("cli; hlt");
}

static void send_ipi(uint32_t icr)
{
    mmio_write32(LAPIC + LAPIC_ICR_HI, 0);
    mmio_write32(LAPIC + LAPIC_ICR_LO, icr);
    /* wait for the delivery status to go idle */
    while (mmio_read32(LAPIC + LAPIC_ICR_LO) & (1u << 12))
        cpu_relax();
}

void guest_main(void)
{
    const uint8_t *madt = acpi_find("APIC");
    uint32_t n = 0, len, expect_ids = 0;

    if (!madt) {
        puts_serial("no MADT\n");
        guest_exit(GUEST_FAIL);
    }
    len = *(const uint32_t *)(madt + 4);
    for (uint32_t off = 44; off + 2 <= len; off += madt[off + 1]) {
        if (madt[off + 1] < 2)
            break;
        if (madt[off] == 0 && (madt[off + 4] & 1)) {
            n++;
            expect_ids |= 1u << (madt[off + 3] & 31);
        }
    }
    gprintf("MADT lists %u processors; BSP has APIC ID %u\n", n, apic_id());
    if (n == 0)
        guest_exit(GUEST_FAIL);

    memcpy((void *)AP_TRAMPOLINE, ap_tramp_start,
           (size_t)(ap_tramp_end - ap_tramp_start));
    mmio_write32(LAPIC + LAPIC_SVR, 0x1ff); /* software-enable the APIC */
    seen_ids = 1u << apic_id();
    checked_in = 1;
    if (n > 1) {
        /* INIT, then SIPI twice, to all but ourselves */
        send_ipi(0x000c4500);
        send_ipi(0x000c4600 | (AP_TRAMPOLINE >> 12));
        for (uint32_t i = 0; i < 200000 && checked_in < n; i++)
            cpu_relax();
        if (checked_in < n)
            send_ipi(0x000c4600 | (AP_TRAMPOLINE >> 12));
    }
    for (uint32_t i = 0; i < 2000000 && checked_in < n; i++)
        cpu_relax();
    print_lock();
    gprintf("%u of %u processors checked in\n", checked_in, n);
    print_unlock();
    if (checked_in != n || seen_ids != expect_ids)
        guest_exit(GUEST_FAIL);
    puts_serial("SMP OK\n");
}
