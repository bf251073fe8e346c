/* acpi.c: the ACPI tables a guest finds at boot.
 *
 * RSDP -> RSDT/XSDT -> FADT (-> FACS, DSDT) and MADT.  The FADT announces
 * a fixed-feature power button and the PM1 blocks of devices/acpi-pm.c;
 * the DSDT holds \_S5 so the guest knows how to power off; the MADT lists
 * one local APIC per vCPU, the IOAPIC and the PC's interrupt overrides.
 */
#include <string.h>

#include "boot/boot.h"

#define RSDP_ADDR (BOOT_ACPI_ADDR + 0x000)
#define RSDT_ADDR (BOOT_ACPI_ADDR + 0x040)
#define XSDT_ADDR (BOOT_ACPI_ADDR + 0x080)
#define FADT_ADDR (BOOT_ACPI_ADDR + 0x100)
#define FACS_ADDR (BOOT_ACPI_ADDR + 0x240) /* 64-byte aligned */
#define DSDT_ADDR (BOOT_ACPI_ADDR + 0x280)
#define MADT_ADDR (BOOT_ACPI_ADDR + 0x300)
#define ACPI_END (BOOT_ACPI_ADDR + 0x1000)

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = v & 0xff;
    p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (v >> (8 * i)) & 0xff;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (v >> (8 * i)) & 0xff;
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum += p[i];
    return (uint8_t)(0 - sum);
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = rev;
    memcpy(t + 10, "VIREO ", 6);
    memcpy(t + 16, "VIREOVMM", 8);
    put32(t + 24, 1);
    memcpy(t + 28, "VIRO", 4);
    put32(t + 32, 1);
}

static void finish(uint8_t *t, uint32_t len)
{
    t[9] = 0;
    t[9] = checksum(t, len);
}

/* Generic Address Structure for a system-I/O register block */
static void gas_io(uint8_t *p, uint8_t bit_width, uint16_t port)
{
    p[0] = 1;          /* system I/O */
    p[1] = bit_width;
    p[2] = 0;          /* bit offset */
    p[3] = bit_width == 8 ? 1 : bit_width == 16 ? 2 : 3; /* access size */
    put64(p + 4, port);
}

static void build_fadt(uint8_t *t)
{
    const uint32_t len = 276;

    memset(t, 0, len);
    header(t, "FACP", len, 6);
    put32(t + 36, FACS_ADDR);
    put32(t + 40, DSDT_ADDR);
    t[45] = 0;                        /* unspecified profile */
    put16(t + 46, ACPI_SCI_IRQ);
    put32(t + 48, 0);                 /* no SMI_CMD: always in ACPI mode */
    put32(t + 56, ACPI_PM1_EVT_PORT);
    put32(t + 64, ACPI_PM1_CNT_PORT);
    put32(t + 76, ACPI_PM_TMR_PORT);
    t[88] = 4;                        /* PM1_EVT_LEN */
    t[89] = 2;                        /* PM1_CNT_LEN */
    t[91] = 4;                        /* PM_TMR_LEN */
    put16(t + 96, 101);               /* no C2 */
    put16(t + 98, 1001);              /* no C3 */
    t[108] = 0x32;                    /* RTC century register */
    put16(t + 109, 0x3);              /* legacy devices, 8042 */
    /* WBINVD | PROC_C1 | SLP_BUTTON (none) | RESET_REG_SUP; PWR_BUTTON
     * clear = the power button is a fixed feature */
    put32(t + 112, (1u << 0) | (1u << 2) | (1u << 5) | (1u << 10));
    gas_io(t + 116, 8, 0x64);         /* reset through the i8042 */
    t[128] = 0xfe;
    t[131] = 0;                       /* FADT minor version */
    put64(t + 132, FACS_ADDR);
    put64(t + 140, DSDT_ADDR);
    gas_io(t + 148, 32, ACPI_PM1_EVT_PORT);
    gas_io(t + 172, 16, ACPI_PM1_CNT_PORT);
    gas_io(t + 208, 32, ACPI_PM_TMR_PORT);
    put64(t + 268, 0x4f4552495600ULL); /* "\0VIREO" hypervisor id */
    finish(t, len);
}

static void build_facs(uint8_t *t)
{
    memset(t, 0, 64);
    memcpy(t, "FACS", 4);
    put32(t + 4, 64);
    t[32] = 2; /* version */
}

static uint32_t build_dsdt(uint8_t *t)
{
    /* Name (_S5, Package (4) { 5, 5, 0, 0 }): SLP_TYP for S5 */
    static const uint8_t aml[] = {
        0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
        0x0a, ACPI_S5_SLP_TYP, 0x0a, ACPI_S5_SLP_TYP, 0x00, 0x00,
    };
    uint32_t len = 36 + sizeof(aml);

    header(t, "DSDT", len, 2);
    memcpy(t + 36, aml, sizeof(aml));
    finish(t, len);
    return len;
}

static uint32_t build_madt(uint8_t *t, uint32_t n_cpus)
{
    uint8_t *p = t + 44;

    put32(t + 36, (uint32_t)VMM_LAPIC_BASE);
    put32(t + 40, 1); /* PCAT_COMPAT: there are 8259s too */
    for (uint32_t i = 0; i < n_cpus; i++) {
        p[0] = 0;     /* processor local APIC */
        p[1] = 8;
        p[2] = (uint8_t)i;  /* ACPI processor UID */
        p[3] = (uint8_t)i;  /* APIC ID */
        put32(p + 4, 1);    /* enabled */
        p += 8;
    }
    p[0] = 1; /* IOAPIC */
    p[1] = 12;
    p[2] = 0; /* IOAPIC ID */
    p[3] = 0;
    put32(p + 4, (uint32_t)VMM_IOAPIC_BASE);
    put32(p + 8, 0);
    p += 12;
    /* ISA IRQ 0 (PIT) arrives on IOAPIC pin 2 */
    p[0] = 2;
    p[1] = 10;
    p[2] = 0;
    p[3] = 0;
    put32(p + 4, 2);
    put16(p + 8, 0);
    p += 10;
    /* SCI: level-triggered, active high */
    p[0] = 2;
    p[1] = 10;
    p[2] = 0;
    p[3] = ACPI_SCI_IRQ;
    put32(p + 4, ACPI_SCI_IRQ);
    put16(p + 8, 0x000d);
    p += 10;
    /* LINT1 of every processor is NMI */
    p[0] = 4;
    p[1] = 6;
    p[2] = 0xff;
    put16(p + 3, 0);
    p[5] = 1;
    p += 6;

    uint32_t len = (uint32_t)(p - t);
    header(t, "APIC", len, 3);
    finish(t, len);
    return len;
}

uint64_t vmm_acpi_build(struct vmm_mem *mem, uint32_t n_cpus)
{
    uint8_t *base = vmm_mem_ptr(mem, BOOT_ACPI_ADDR, ACPI_END - BOOT_ACPI_ADDR);
    uint8_t *rsdp, *rsdt, *xsdt;

    /* one MADT entry of 8 bytes per vCPU must fit before ACPI_END */
    if (!base || n_cpus == 0 || n_cpus > 255)
        return 0;
    memset(base, 0, ACPI_END - BOOT_ACPI_ADDR);

    build_fadt(base + (FADT_ADDR - BOOT_ACPI_ADDR));
    build_facs(base + (FACS_ADDR - BOOT_ACPI_ADDR));
    build_dsdt(base + (DSDT_ADDR - BOOT_ACPI_ADDR));
    build_madt(base + (MADT_ADDR - BOOT_ACPI_ADDR), n_cpus);

    rsdt = base + (RSDT_ADDR - BOOT_ACPI_ADDR);
    header(rsdt, "RSDT", 36 + 2 * 4, 1);
    put32(rsdt + 36, FADT_ADDR);
    put32(rsdt + 40, MADT_ADDR);
    finish(rsdt, 36 + 2 * 4);

    xsdt = base + (XSDT_ADDR - BOOT_ACPI_ADDR);
    header(xsdt, "XSDT", 36 + 2 * 8, 1);
    put64(xsdt + 36, FADT_ADDR);
    put64(xsdt + 44, MADT_ADDR);
    finish(xsdt, 36 + 2 * 8);

    rsdp = base + (RSDP_ADDR - BOOT_ACPI_ADDR);
    memcpy(rsdp, "RSD PTR ", 8);
    memcpy(rsdp + 9, "VIREO ", 6);
    rsdp[15] = 2; /* ACPI 2.0+ */
    put32(rsdp + 16, RSDT_ADDR);
    put32(rsdp + 20, 36);
    put64(rsdp + 24, XSDT_ADDR);
    rsdp[8] = checksum(rsdp, 20);
    rsdp[32] = checksum(rsdp, 36);
    return RSDP_ADDR;
}
