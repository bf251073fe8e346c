/* memory.h: guest RAM in a memfd, and the one checked accessor.
 *
 * Layout (x86): RAM from 0 up to VMM_PCI_HOLE_START, the PCI hole (MMIO
 * BARs, IOAPIC, LAPIC) up to 4 GiB, the rest of RAM from 4 GiB.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_PCI_HOLE_START 0xC0000000ULL
#define VMM_PCI_HOLE_END 0x100000000ULL
#define VMM_PCI_MMIO_START 0xC0000000ULL
#define VMM_PCI_MMIO_END 0xFEC00000ULL
#define VMM_IOAPIC_BASE 0xFEC00000ULL
#define VMM_LAPIC_BASE 0xFEE00000ULL

#define VMM_MEM_MAX_REGIONS 2

struct vmm_mem_region {
    uint64_t gpa;   /* guest-physical start */
    uint64_t size;  /* bytes */
    uint8_t *host;  /* host mapping */
    uint64_t fd_offset;
};

struct vmm_mem {
    int fd;         /* memfd, -1 for memory from a test's malloc */
    uint8_t *base;  /* whole mapping */
    uint64_t size;  /* total RAM bytes */
    size_t n_regions;
    struct vmm_mem_region regions[VMM_MEM_MAX_REGIONS];
};

/* Creates @size bytes of guest RAM in a memfd.  Negative errno on error. */
int vmm_mem_create(struct vmm_mem *mem, uint64_t size);
/* Wraps a caller-owned buffer (tests): same layout rules. */
void vmm_mem_wrap(struct vmm_mem *mem, uint8_t *buf, uint64_t size);
void vmm_mem_destroy(struct vmm_mem *mem);
/* Zero all of guest RAM (reset). */
void vmm_mem_clear(struct vmm_mem *mem);

/* The accessor: a host pointer to [gpa, gpa+len) if the whole range lies
 * inside one RAM region, NULL otherwise (overflow, hole, beyond RAM). */
void *vmm_mem_ptr(const struct vmm_mem *mem, uint64_t gpa, uint64_t len);
int vmm_mem_read(const struct vmm_mem *mem, uint64_t gpa, void *buf,
                 uint64_t len);
int vmm_mem_write(struct vmm_mem *mem, uint64_t gpa, const void *buf,
                  uint64_t len);
/* Bytes of low RAM (below the PCI hole). */
uint64_t vmm_mem_low_size(const struct vmm_mem *mem);
