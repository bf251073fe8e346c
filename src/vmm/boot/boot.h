/* boot.h: loading a kernel into guest RAM and describing the machine. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kvm/memory.h"
#include "kvm/vm.h"

/* Low-memory layout shared by the loaders (all below 1 MiB). */
#define BOOT_GDT_ADDR 0x500
#define BOOT_PVH_INFO_ADDR 0x6000
#define BOOT_PVH_MODLIST_ADDR 0x6040
#define BOOT_PVH_MEMMAP_ADDR 0x6100
#define BOOT_ZERO_PAGE_ADDR 0x7000
#define BOOT_PML4_ADDR 0x9000
#define BOOT_PDPT_ADDR 0xa000
#define BOOT_PD_ADDR 0xb000 /* four pages: 4 GiB of 2 MiB pages */
#define BOOT_CMDLINE_ADDR 0x20000
#define BOOT_CMDLINE_MAX 4096
#define BOOT_EBDA_START 0x9fc00
#define BOOT_ACPI_ADDR 0xe0000
#define BOOT_HIGH_START 0x100000

/* The ACPI power-management ports the FADT announces (devices/acpi-pm.c). */
#define ACPI_PM1_EVT_PORT 0x600
#define ACPI_PM1_CNT_PORT 0x604
#define ACPI_PM_TMR_PORT 0x608
#define ACPI_SCI_IRQ 9
#define ACPI_S5_SLP_TYP 5

/* A linear framebuffer to announce to the kernel (direct Linux boot). */
struct vmm_boot_fb {
    uint64_t base, size;
    uint32_t width, height, stride, bpp;
};

struct vmm_boot_config {
    const struct vmm_boot_fb *fb; /* NULL: no display */
    const char *kernel;   /* path */
    const char *initrd;   /* path or NULL */
    const char *cmdline;  /* may be NULL */
    uint32_t n_cpus;
};

struct e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_MAX 8

/* Fills @out (at most E820_MAX entries); returns the count. */
size_t vmm_boot_e820(const struct vmm_mem *mem, struct e820_entry *out);

/* Writes RSDP, XSDT, FADT, FACS, DSDT and MADT; returns the RSDP address
 * or 0 on error. */
uint64_t vmm_acpi_build(struct vmm_mem *mem, uint32_t n_cpus);

/* Loads the kernel (ELF with a PVH note, or bzImage), initrd and command
 * line, the ACPI tables and the boot GDT; fills @entry.  Errors are
 * printed (what is wrong with which file) and returned as -errno. */
int vmm_boot_load(struct vmm_mem *mem, const struct vmm_boot_config *cfg,
                  struct vmm_entry *entry);

/* loaders, given the whole kernel file */
int vmm_boot_pvh(struct vmm_mem *mem, const uint8_t *image, size_t size,
                 const struct vmm_boot_config *cfg, uint64_t rsdp,
                 struct vmm_entry *entry);
int vmm_boot_bzimage(struct vmm_mem *mem, const uint8_t *image, size_t size,
                     const struct vmm_boot_config *cfg, uint64_t rsdp,
                     struct vmm_entry *entry);
/* ELF PVH note lookup; returns the 32-bit entry or 0 (no note). Exposed for
 * the unit tests. -EINVAL when the file is not a well-formed ELF. */
int vmm_elf_pvh_entry(const uint8_t *image, size_t size, uint32_t *entry);

/* Shared helpers for the loaders */
int vmm_boot_load_initrd(struct vmm_mem *mem, const char *path,
                         uint64_t kernel_end, uint64_t max_addr,
                         uint64_t *addr, uint64_t *size);
int vmm_boot_write_cmdline(struct vmm_mem *mem, const char *cmdline,
                           size_t max_len);
