/* user.c: the tables user.S loads: identity page tables for the first
 * 4 GiB (user-accessible), a GDT with 64-bit kernel and user segments, a
 * 64-bit TSS whose I/O bitmap allows every port, and an IDT for
 * exceptions (one of which is how user mode asks to halt). */
#include "guest.h"

#define PTE_P 0x1
#define PTE_RW 0x2
#define PTE_US 0x4
#define PTE_PS 0x80

struct tss64 {
    uint32_t reserved0;
    uint32_t rsp0_lo, rsp0_hi, rsp1_lo, rsp1_hi, rsp2_lo, rsp2_hi;
    uint32_t reserved1[2];
    uint32_t ist[14];
    uint32_t reserved2[2];
    uint16_t reserved3;
    uint16_t iomap_base;
    uint8_t iomap[8192 + 1];     /* one bit per port, all allowed; 0xff */
} __attribute__((packed));

struct gate64 {
    uint16_t off_lo, sel;
    uint8_t ist, flags;
    uint16_t off_mid;
    uint32_t off_hi, reserved;
} __attribute__((packed));

uint64_t user_pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[4][512] __attribute__((aligned(4096)));
static struct tss64 tss __attribute__((aligned(16)));
static uint64_t gdt[8];
static struct gate64 idt[256];
static uint8_t user_stack[64 * 1024] __attribute__((aligned(16)));

struct {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed)) user_gdt_desc;
struct {
    uint16_t limit;
    uint32_t base, base_hi;
} __attribute__((packed)) user_idt_desc;

void user_enter_asm(uint32_t entry, uint32_t stack, uint32_t arg);
/* user mode sets it, then runs ud2, to halt the machine for good */
volatile uint32_t user_idle_flag;
#define EXC(n) extern char user_exc_##n[];
EXC(0) EXC(1) EXC(2) EXC(3) EXC(4) EXC(5) EXC(6) EXC(7) EXC(8) EXC(9)
EXC(10) EXC(11) EXC(12) EXC(13) EXC(14) EXC(15) EXC(16) EXC(17) EXC(18)
EXC(19)

static void set_gate(uint8_t v, void *handler, uint8_t dpl)
{
    uint32_t a = (uint32_t)(uintptr_t)handler;

    idt[v] = (struct gate64){(uint16_t)a, 0x18, 0,
                             (uint8_t)(0x8e | (dpl << 5)), (uint16_t)(a >> 16),
                             0, 0};
}

void enter_user64(uint32_t entry, void *arg)
{
    void *const exc[] = {
        user_exc_0, user_exc_1, user_exc_2, user_exc_3, user_exc_4,
        user_exc_5, user_exc_6, user_exc_7, user_exc_8, user_exc_9,
        user_exc_10, user_exc_11, user_exc_12, user_exc_13, user_exc_14,
        user_exc_15, user_exc_16, user_exc_17, user_exc_18, user_exc_19,
    };
    uint32_t t = (uint32_t)(uintptr_t)&tss;

    /* 2 MiB pages: few entries, so this costs little in emulated CPL0 */
    user_pml4[0] = (uint32_t)(uintptr_t)pdpt | PTE_P | PTE_RW | PTE_US;
    for (int i = 0; i < 4; i++) {
        pdpt[i] = (uint32_t)(uintptr_t)pd[i] | PTE_P | PTE_RW | PTE_US;
        for (int j = 0; j < 512; j++)
            pd[i][j] = ((uint64_t)(i * 512 + j) << 21) | PTE_P | PTE_RW |
                       PTE_US | PTE_PS;
    }
    gdt[0] = 0;
    gdt[1] = 0x00cf9b000000ffffULL;   /* 0x08 kernel code 32 */
    gdt[2] = 0x00cf93000000ffffULL;   /* 0x10 kernel data */
    gdt[3] = 0x00af9b000000ffffULL;   /* 0x18 kernel code 64 */
    gdt[4] = 0x00affb000000ffffULL;   /* 0x20 user code 64 (DPL 3) */
    gdt[5] = 0x00cff3000000ffffULL;   /* 0x28 user data (DPL 3) */
    /* 0x30: the 64-bit TSS, limit covering the I/O bitmap */
    gdt[6] = (uint64_t)(sizeof(tss) - 1) | ((uint64_t)(t & 0xffffff) << 16) |
             (0x89ULL << 40) | ((uint64_t)(t >> 24) << 56);
    gdt[7] = 0;
    user_gdt_desc.limit = sizeof(gdt) - 1;
    user_gdt_desc.base = (uint32_t)(uintptr_t)gdt;
    memset(&tss, 0, sizeof(tss));
    tss.iomap_base = (uint16_t)((uintptr_t)tss.iomap - (uintptr_t)&tss);
    tss.iomap[8192] = 0xff;
    /* exceptions from user mode land on the kernel stack of user.S */
    {
        extern char kernel_stack_top[];

        tss.rsp0_lo = (uint32_t)(uintptr_t)kernel_stack_top;
    }
    for (int v = 0; v < 20; v++)
        set_gate((uint8_t)v, exc[v], 0);
    user_idt_desc.limit = sizeof(idt) - 1;
    user_idt_desc.base = (uint32_t)(uintptr_t)idt;
    /* the stack as a call leaves it: 8 bytes below a 16-byte boundary */
    user_enter_asm(entry, (uint32_t)(uintptr_t)(user_stack +
                                                sizeof(user_stack) - 8),
                   (uint32_t)(uintptr_t)arg);
    for (;;)
        ;
}

uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* TSC ticks per millisecond, counted against 20 ms of PIT channel 0
 * (kernel mode; the PIC must have IRQ 0 masked) */
uint32_t tsc_per_ms(void)
{
    const uint32_t span = 23864; /* 20 ms at 1.193182 MHz */
    uint32_t elapsed = 0;
    uint16_t last, now;
    uint64_t t0;

    outb(0x43, 0x34);            /* channel 0, lo/hi, rate generator */
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    outb(0x43, 0x00);            /* latch */
    last = inb(0x40);
    last |= (uint16_t)(inb(0x40) << 8);
    t0 = rdtsc();
    while (elapsed < span) {
        outb(0x43, 0x00);
        now = inb(0x40);
        now |= (uint16_t)(inb(0x40) << 8);
        elapsed += (uint16_t)(last - now); /* counts down, wraps */
        last = now;
    }
    return (uint32_t)(rdtsc() - t0) / 20; /* 20 ms of ticks fit 32 bits */
}
