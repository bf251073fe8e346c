/* lib.c: serial output, exit, command line, ACPI lookup, interrupts. */
#include <stdarg.h>

#include "guest.h"

const struct hvm_start_info *start_info;

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *dp = d;
    while (n--)
        *dp++ = (uint8_t)c;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

void serial_init(void)
{
    outb(COM1 + 1, 0x00); /* no interrupts */
    outb(COM1 + 3, 0x80); /* DLAB */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0x07); /* FIFO on, cleared */
}

void putc_serial(char c)
{
    /* wait for the transmitter holding register to be empty */
    while (!(inb(COM1 + 5) & 0x20))
        cpu_relax();
    outb(COM1, (uint8_t)c);
}

void puts_serial(const char *s)
{
    while (*s) {
        if (*s == '\n')
            putc_serial('\r');
        putc_serial(*s++);
    }
}

static volatile uint32_t lock_word;

void print_lock(void)
{
    while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE))
        cpu_relax();
}

void print_unlock(void)
{
    __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
}

static void put_uint(uint32_t v, unsigned base, int width)
{
    char buf[12];
    int n = 0;

    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n < width)
        buf[n++] = '0';
    while (n)
        putc_serial(buf[--n]);
}

void gprintf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        int width = 0;

        if (*fmt != '%') {
            if (*fmt == '\n')
                putc_serial('\r');
            putc_serial(*fmt);
            continue;
        }
        fmt++;
        if (*fmt == '0')
            fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        switch (*fmt) {
        case 'd': {
            int v = va_arg(ap, int);
            if (v < 0) {
                putc_serial('-');
                v = -v;
            }
            put_uint((uint32_t)v, 10, width);
            break;
        }
        case 'u':
            put_uint(va_arg(ap, uint32_t), 10, width);
            break;
        case 'x':
            put_uint(va_arg(ap, uint32_t), 16, width);
            break;
        case 'c':
            putc_serial((char)va_arg(ap, int));
            break;
        case 's':
            puts_serial(va_arg(ap, const char *));
            break;
        default:
            putc_serial('%');
            putc_serial(*fmt);
            break;
        }
    }
    va_end(ap);
}

void guest_exit(uint8_t code)
{
    outb(DEBUG_EXIT_PORT, code);
    /* not reached under vireo-vmm or QEMU with isa-debug-exit */
    for (;;)
        __asm__ volatile("cli; hlt");
}

const char *cmdline(void)
{
    if (!start_info || !start_info->cmdline_paddr)
        return "";
    return (const char *)(uintptr_t)start_info->cmdline_paddr;
}

uint32_t cmdline_uint(const char *key, uint32_t def)
{
    const char *p = cmdline();
    size_t klen = strlen(key);

    while (*p) {
        while (*p == ' ')
            p++;
        if (memcmp(p, key, klen) == 0 && p[klen] == '=') {
            uint32_t v = 0;

            p += klen + 1;
            if (p[0] == '0' && p[1] == 'x') {
                for (p += 2;; p++) {
                    char c = *p;
                    if (c >= '0' && c <= '9')
                        v = v * 16 + (uint32_t)(c - '0');
                    else if (c >= 'a' && c <= 'f')
                        v = v * 16 + (uint32_t)(c - 'a' + 10);
                    else
                        break;
                }
            } else {
                while (*p >= '0' && *p <= '9')
                    v = v * 10 + (uint32_t)(*p++ - '0');
            }
            return v;
        }
        while (*p && *p != ' ')
            p++;
    }
    return def;
}

static bool checksum_ok(const uint8_t *p, uint32_t len)
{
    uint8_t sum = 0;
    while (len--)
        sum += *p++;
    return sum == 0;
}

const void *acpi_find(const char *sig)
{
    const uint8_t *rsdp, *xsdt;
    uint32_t len;

    if (!start_info || !start_info->rsdp_paddr)
        return NULL;
    rsdp = (const uint8_t *)(uintptr_t)start_info->rsdp_paddr;
    if (memcmp(rsdp, "RSD PTR ", 8) != 0 || !checksum_ok(rsdp, 20))
        return NULL;
    if (rsdp[15] >= 2) {
        xsdt = (const uint8_t *)(uintptr_t)*(const uint32_t *)(rsdp + 24);
        if (memcmp(xsdt, "XSDT", 4) != 0)
            return NULL;
        len = *(const uint32_t *)(xsdt + 4);
        if (!checksum_ok(xsdt, len))
            return NULL;
        for (uint32_t off = 36; off + 8 <= len; off += 8) {
            const uint8_t *t = (const uint8_t *)(uintptr_t)
                *(const uint32_t *)(xsdt + off);
            if (memcmp(t, sig, 4) == 0 &&
                checksum_ok(t, *(const uint32_t *)(t + 4)))
                return t;
        }
    } else {
        const uint8_t *rsdt =
            (const uint8_t *)(uintptr_t)*(const uint32_t *)(rsdp + 16);
        len = *(const uint32_t *)(rsdt + 4);
        for (uint32_t off = 36; off + 4 <= len; off += 4) {
            const uint8_t *t = (const uint8_t *)(uintptr_t)
                *(const uint32_t *)(rsdt + off);
            if (memcmp(t, sig, 4) == 0 &&
                checksum_ok(t, *(const uint32_t *)(t + 4)))
                return t;
        }
    }
    return NULL;
}

/* ---- PCI and the i8042 ---- */

uint32_t pci_cfg_read(uint8_t slot, uint8_t reg)
{
    outl(0xcf8, 0x80000000u | ((uint32_t)slot << 11) | (reg & 0xfc));
    return inl(0xcfc);
}

void pci_cfg_write(uint8_t slot, uint8_t reg, uint32_t v)
{
    outl(0xcf8, 0x80000000u | ((uint32_t)slot << 11) | (reg & 0xfc));
    outl(0xcfc, v);
}

void i8042_wait_write(void)
{
    while (inb(0x64) & 0x02)
        cpu_relax();
}

int i8042_read(void)
{
    for (uint32_t i = 0; i < 100000; i++)
        if (inb(0x64) & 0x01)
            return inb(0x60);
    return -1;
}

/* ---- interrupts ---- */

struct idt_entry {
    uint16_t off_lo, sel;
    uint8_t zero, flags;
    uint16_t off_hi;
} __attribute__((packed));

static struct idt_entry idt[256];
static irq_handler handlers[256];

#define STUBS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) \
    X(11) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(32) X(33)     \
    X(36) X(39) X(41) X(44) X(255)
#define DECL(n) extern char isr_##n[];
STUBS(DECL)

static void set_gate(uint8_t v, void *stub)
{
    uint32_t a = (uint32_t)(uintptr_t)stub;

    idt[v] = (struct idt_entry){(uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16)};
}

void isr_dispatch(struct isr_frame *f);
void isr_dispatch(struct isr_frame *f)
{
    if (handlers[f->vector & 0xff]) {
        handlers[f->vector & 0xff](f);
        return;
    }
    gprintf("unexpected interrupt/exception %u, error %x, at eip %x\n",
            f->vector, f->error, f->eip);
    guest_exit(GUEST_FAIL);
}

void idt_init(void)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) desc = {sizeof(idt) - 1, (uint32_t)(uintptr_t)idt};

#define SET(n) set_gate(n, isr_##n);
    STUBS(SET)
    __asm__ volatile("lidt %0" : : "m"(desc));
}

void idt_set_handler(uint8_t vector, irq_handler h)
{
    handlers[vector] = h;
}

static void io_wait(void)
{
    outb(0x80, 0);
}

void pic_init(void)
{
    outb(0x20, 0x11); io_wait();  /* ICW1: edge, cascade, ICW4 */
    outb(0xa0, 0x11); io_wait();
    outb(0x21, 0x20); io_wait();  /* ICW2: master at vector 32 */
    outb(0xa1, 0x28); io_wait();  /* slave at 40 */
    outb(0x21, 0x04); io_wait();  /* ICW3: slave on IRQ2 */
    outb(0xa1, 0x02); io_wait();
    outb(0x21, 0x01); io_wait();  /* ICW4: 8086 mode */
    outb(0xa1, 0x01); io_wait();
    outb(0x21, 0xfb);             /* all masked but the cascade */
    outb(0xa1, 0xff);
}

void pic_unmask(uint8_t irq)
{
    uint16_t port = irq < 8 ? 0x21 : 0xa1;

    outb(port, inb(port) & ~(1u << (irq & 7)));
}

void pic_eoi(uint8_t irq)
{
    if (irq >= 8)
        outb(0xa0, 0x20);
    outb(0x20, 0x20);
}

void guest_entry(const struct hvm_start_info *info);
void guest_entry(const struct hvm_start_info *info)
{
    start_info = info && info->magic == 0x336ec578 ? info : NULL;
    serial_init();
    idt_init();
    guest_main();
    guest_exit(GUEST_PASS);
}

/* Application processors of guests that do not start them never get here;
 * the SMP guest provides its own. */
__attribute__((weak)) void ap_main(void);
__attribute__((weak)) void ap_main(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}
