/* guest.h: the tiny runtime of the test guests (32-bit, freestanding). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM1 0x3f8
#define DEBUG_EXIT_PORT 0xf4

/* Verdicts: vireo-vmm and QEMU exit with (code << 1) | 1. */
#define GUEST_PASS 0
#define GUEST_FAIL 1

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct isr_frame {
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint32_t vector, error;
    uint32_t eip, cs, eflags;
};

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t mmio_read32(uintptr_t addr)
{
    return *(volatile uint32_t *)addr;
}
static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}
static inline void cpu_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}

/* lib.c */
extern const struct hvm_start_info *start_info;
void serial_init(void);
void putc_serial(char c);
void puts_serial(const char *s);
void gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void print_lock(void);
void print_unlock(void);
__attribute__((noreturn)) void guest_exit(uint8_t code);
const char *cmdline(void);
/* value of "key=NUMBER" on the command line, or @def */
uint32_t cmdline_uint(const char *key, uint32_t def);
/* an ACPI table by signature, through the RSDP in start_info */
const void *acpi_find(const char *sig);
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* PCI configuration mechanism #1, bus 0, function 0 (lib.c) */
uint32_t pci_cfg_read(uint8_t slot, uint8_t reg);
void pci_cfg_write(uint8_t slot, uint8_t reg, uint32_t v);
/* the i8042: wait until it takes a byte; a byte from it, or -1 after a
 * while (lib.c) */
void i8042_wait_write(void);
int i8042_read(void);

/* interrupts (lib.c): IDT with exception handlers that fail the test */
typedef void (*irq_handler)(struct isr_frame *f);
void idt_init(void);
void idt_set_handler(uint8_t vector, irq_handler h);
/* 8259 PICs remapped to vectors 32-47, all masked */
void pic_init(void);
void pic_unmask(uint8_t irq);
void pic_eoi(uint8_t irq);

/* user mode (user.c, user.S): long mode with the first 4 GiB identity
 * mapped, then 64-bit user code (CPL3) at @entry with %rdi = @arg, every
 * I/O port allowed (a TSS I/O bitmap) and interrupts off; it never comes
 * back.  Heavy work goes there: on KVM without hardware virtualization
 * kernel mode and 32-bit code are emulated, 64-bit user mode runs
 * natively.  The payload is a separate 64-bit program (user64.ld). */
__attribute__((noreturn)) void enter_user64(uint32_t entry, void *arg);
/* user mode halts the machine for good by setting this, then ud2 */
extern volatile uint32_t user_idle_flag;
uint64_t rdtsc(void);
/* TSC ticks per millisecond, measured with the PIT (kernel mode) */
uint32_t tsc_per_ms(void);

/* power.c: the ACPI power button and S5 */
bool power_init(void);
void power_button_enable(void); /* after pic_init() */
void power_off(void);
extern volatile uint32_t power_button_presses;

/* each guest */
void guest_main(void);
