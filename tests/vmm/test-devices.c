/* test-devices.c: device models, buses, guest memory and the boot
 * loaders without KVM: port and MMIO accesses are fed to a fake machine
 * that records interrupt lines and machine events, including hostile
 * guest values. */
#define _GNU_SOURCE
#include <glib.h>
#include <glib/gstdio.h>
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "boot/boot.h"
#include "devices/acpi-pm.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "devices/uart.h"
#include "kvm/vm.h"
#include "vmm-machine.h"

typedef struct {
    struct vmm_machine m;
    struct vmm_mem mem;
    uint8_t *ram;
    int level[32];
    int rises[32];
    int events[3];
    int status;
    GString *serial;
} Fake;

static Fake *fake_of(struct vmm_machine *m)
{
    return (Fake *)m; /* m is the first member */
}

static void fake_set_line(struct vmm_machine *m, uint32_t gsi, int level)
{
    Fake *f = fake_of(m);

    g_assert_cmpuint(gsi, <, 32);
    if (level && !f->level[gsi])
        f->rises[gsi]++;
    f->level[gsi] = level;
}

static void fake_event(struct vmm_machine *m, enum vmm_event ev, int status)
{
    Fake *f = fake_of(m);

    f->events[ev]++;
    f->status = status;
}

static const struct vmm_irq_ops fake_ops = {
    .set_line = fake_set_line,
    .event = fake_event,
};

static void fake_serial(void *opaque, const uint8_t *buf, size_t len)
{
    g_string_append_len(opaque, (const char *)buf, (gssize)len);
}

static Fake *fake_new(uint64_t ram_size)
{
    Fake *f = g_new0(Fake, 1);

    f->ram = g_malloc0(ram_size);
    vmm_mem_wrap(&f->mem, f->ram, ram_size);
    vmm_machine_init(&f->m, &f->mem, 2);
    f->m.irq_ops = &fake_ops;
    f->serial = g_string_new(NULL);
    f->m.serial_out = fake_serial;
    f->m.serial_opaque = f->serial;
    g_assert_cmpint(vmm_devices_create(&f->m), ==, 0);
    return f;
}

static void fake_free(Fake *f)
{
    vmm_machine_cleanup(&f->m);
    g_string_free(f->serial, TRUE);
    g_free(f->ram);
    g_free(f);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Fake, fake_free)

static void outb(Fake *f, uint16_t port, uint8_t v)
{
    vmm_bus_write(&f->m.pio, port, &v, 1);
}

static uint8_t inb(Fake *f, uint16_t port)
{
    uint8_t v;

    vmm_bus_read(&f->m.pio, port, &v, 1);
    return v;
}

static void outw(Fake *f, uint16_t port, uint16_t v)
{
    vmm_bus_write(&f->m.pio, port, (uint8_t *)&v, 2);
}

static uint16_t inw(Fake *f, uint16_t port)
{
    uint16_t v;

    vmm_bus_read(&f->m.pio, port, (uint8_t *)&v, 2);
    return v;
}

static void outl(Fake *f, uint16_t port, uint32_t v)
{
    vmm_bus_write(&f->m.pio, port, (uint8_t *)&v, 4);
}

static uint32_t inl(Fake *f, uint16_t port)
{
    uint32_t v;

    vmm_bus_read(&f->m.pio, port, (uint8_t *)&v, 4);
    return v;
}

/* ---- guest memory ---- */

static void test_memory_accessor(void)
{
    g_autoptr(Fake) f = fake_new(16 << 20);
    struct vmm_mem *mem = &f->mem;
    uint8_t buf[8];

    g_assert_nonnull(vmm_mem_ptr(mem, 0, 16 << 20));
    g_assert_true(vmm_mem_ptr(mem, 0x1000, 4) == f->ram + 0x1000);
    g_assert_nonnull(vmm_mem_ptr(mem, (16 << 20) - 4, 4));
    /* crossing the end, past the end, wrapping around */
    g_assert_null(vmm_mem_ptr(mem, (16 << 20) - 4, 5));
    g_assert_null(vmm_mem_ptr(mem, 16 << 20, 1));
    g_assert_null(vmm_mem_ptr(mem, G_MAXUINT64 - 3, 8));
    g_assert_null(vmm_mem_ptr(mem, 8, G_MAXUINT64));
    g_assert_null(vmm_mem_ptr(mem, VMM_LAPIC_BASE, 4));
    g_assert_cmpint(vmm_mem_read(mem, G_MAXUINT64, buf, 1), ==, -EFAULT);
    g_assert_cmpint(vmm_mem_write(mem, (16 << 20) - 1, buf, 2), ==, -EFAULT);
    g_assert_cmpint(vmm_mem_write(mem, 0x100, "abc", 3), ==, 0);
    g_assert_cmpmem(f->ram + 0x100, 3, "abc", 3);
}

static void test_memory_layout(void)
{
    struct vmm_mem mem;

    /* 4 GiB of RAM splits around the PCI hole; no pages are touched */
    vmm_mem_wrap(&mem, (uint8_t *)0x10000, 4ULL << 30);
    g_assert_cmpuint(mem.n_regions, ==, 2);
    g_assert_cmpuint(vmm_mem_low_size(&mem), ==, VMM_PCI_HOLE_START);
    g_assert_cmpuint(mem.regions[1].gpa, ==, 4ULL << 30);
    g_assert_cmpuint(mem.regions[1].size, ==, (4ULL << 30) - VMM_PCI_HOLE_START);
    g_assert_null(vmm_mem_ptr(&mem, VMM_PCI_HOLE_START, 1));
    g_assert_null(vmm_mem_ptr(&mem, VMM_PCI_HOLE_START - 2, 4));
    g_assert_nonnull(vmm_mem_ptr(&mem, 4ULL << 30, 4096));
    g_assert_null(vmm_mem_ptr(&mem, (8ULL << 30) - VMM_PCI_HOLE_START, 1));
}

/* ---- bus ---- */

static void test_bus_overlap(void)
{
    struct vmm_bus bus = {.name = "port"};
    static const struct vmm_io_ops ops = {0};
    uint8_t v[4];

    g_assert_cmpint(vmm_bus_register(&bus, 0x100, 8, &ops, NULL, "a"), ==, 0);
    g_assert_cmpint(vmm_bus_register(&bus, 0x104, 8, &ops, NULL, "b"), ==,
                    -EBUSY);
    g_assert_cmpint(vmm_bus_register(&bus, 0xfc, 8, &ops, NULL, "c"), ==,
                    -EBUSY);
    g_assert_cmpint(vmm_bus_register(&bus, G_MAXUINT64 - 1, 8, &ops, NULL,
                                     "wrap"), ==, -EINVAL);
    g_assert_cmpint(vmm_bus_register(&bus, 0x108, 8, &ops, NULL, "d"), ==, 0);
    /* an access straddling two regions is nobody's; it reads all ones */
    g_assert_false(vmm_bus_read(&bus, 0x106, v, 4));
    g_assert_cmphex(v[0] & v[1] & v[2] & v[3], ==, 0xff);
    g_assert_false(vmm_bus_write(&bus, 0x2000, v, 4));
    g_assert_cmpuint(bus.unhandled, ==, 2);
}

/* ---- UART ---- */

#define COM1 VMM_UART_BASE

static void test_uart_transmit(void)
{
    g_autoptr(Fake) f = fake_new(4 << 20);

    outb(f, COM1 + 3, 0x80);            /* DLAB: divisor latch */
    outb(f, COM1 + 0, 0x01);
    outb(f, COM1 + 1, 0x00);
    g_assert_cmphex(inb(f, COM1 + 0), ==, 0x01);
    outb(f, COM1 + 3, 0x03);
    outb(f, COM1, 'h');
    outb(f, COM1, 'i');
    g_assert_cmpstr(f->serial->str, ==, "hi"); /* DLAB bytes were not sent */
    g_assert_cmphex(inb(f, COM1 + 5) & 0x60, ==, 0x60);

    /* THRE interrupt: only with OUT2, raised on enable, cleared by IIR */
    outb(f, COM1 + 1, 0x02);
    g_assert_cmpint(f->level[VMM_UART_IRQ], ==, 0);
    outb(f, COM1 + 4, 0x08);
    g_assert_cmpint(f->level[VMM_UART_IRQ], ==, 1);
    g_assert_cmphex(inb(f, COM1 + 2) & 0x0f, ==, 0x02);
    g_assert_cmpint(f->level[VMM_UART_IRQ], ==, 0);
    g_assert_cmphex(inb(f, COM1 + 2) & 0x0f, ==, 0x01);
    outb(f, COM1, '!');
    g_assert_cmpint(f->level[VMM_UART_IRQ], ==, 1);
}

static void test_uart_fifo(void)
{
    g_autoptr(Fake) f = fake_new(4 << 20);
    uint8_t data[20];
    size_t n;

    for (int i = 0; i < 20; i++)
        data[i] = (uint8_t)('a' + i);
    /* without the FIFO the receiver holds one byte */
    g_assert_cmpuint(vmm_uart_receive(&f->m, data, 20), ==, 1);
    g_assert_cmphex(inb(f, COM1), ==, 'a');
    outb(f, COM1 + 2, 0xc7);            /* FIFO on, cleared, trigger 14 */
    g_assert_cmphex(inb(f, COM1 + 2) & 0xc0, ==, 0xc0);
    outb(f, COM1 + 1, 0x01);            /* RX data interrupt */
    outb(f, COM1 + 4, 0x08);
    n = vmm_uart_receive(&f->m, data, 4);
    g_assert_cmpuint(n, ==, 4);
    /* below the trigger level: character timeout */
    g_assert_cmphex(inb(f, COM1 + 2) & 0x0f, ==, 0x0c);
    g_assert_cmpint(f->level[VMM_UART_IRQ], ==, 1);
    n += vmm_uart_receive(&f->m, data + 4, 16);
    g_assert_cmpuint(n, ==, 16);        /* the rest waits with the back-end */
    g_assert_cmpuint(vmm_uart_rx_room(&f->m), ==, 0);
    g_assert_cmphex(inb(f, COM1 + 2) & 0x0f, ==, 0x04);
    for (int i = 0; i < 16; i++) {
        g_assert_cmphex(inb(f, COM1 + 5) & 0x01, ==, 0x01);
        g_assert_cmphex(inb(f, COM1), ==, 'a' + i);
    }
    g_assert_cmphex(inb(f, COM1 + 5) & 0x01, ==, 0);
    g_assert_cmpint(f->level[VMM_UART_IRQ], ==, 0);
    g_assert_cmphex(inb(f, COM1), ==, 0); /* empty FIFO reads 0 */
}

static void test_uart_loopback_overrun(void)
{
    g_autoptr(Fake) f = fake_new(4 << 20);

    outb(f, COM1 + 4, 0x10 | 0x01 | 0x02); /* loopback, DTR, RTS */
    g_assert_cmphex(inb(f, COM1 + 6) & 0xf0, ==, 0x30);
    outb(f, COM1, 'x');
    g_assert_cmpstr(f->serial->str, ==, ""); /* nothing left the chip */
    outb(f, COM1, 'y');                 /* no FIFO: overrun */
    g_assert_cmphex(inb(f, COM1 + 5) & 0x03, ==, 0x03);
    g_assert_cmphex(inb(f, COM1 + 5) & 0x02, ==, 0); /* cleared by the read */
    g_assert_cmphex(inb(f, COM1), ==, 'x');
    g_assert_cmpuint(vmm_uart_receive(&f->m, (const uint8_t *)"z", 1), ==, 0);
}

static void test_uart_hostile(void)
{
    g_autoptr(Fake) f = fake_new(4 << 20);
    uint32_t v = 0xffffffff;

    /* wide accesses and every register value must not disturb it */
    vmm_bus_write(&f->m.pio, COM1, (uint8_t *)&v, 4);
    vmm_bus_write(&f->m.pio, COM1 + 6, (uint8_t *)&v, 2);
    for (int reg = 0; reg < 8; reg++)
        for (int val = 0; val < 256; val++)
            if (reg != 0 && reg != 4) /* not transmit, not loopback */
                outb(f, (uint16_t)(COM1 + reg), (uint8_t)val);
    outb(f, COM1 + 3, 0x03);
    outb(f, COM1 + 4, 0x00);
    g_string_truncate(f->serial, 0);
    outb(f, COM1, 'k');
    g_assert_cmpstr(f->serial->str, ==, "k");
}

/* ---- i8042 ---- */

static int read_kbd(Fake *f)
{
    if (!(inb(f, 0x64) & 0x01))
        return -1;
    return inb(f, 0x60);
}

static void test_i8042_commands(void)
{
    g_autoptr(Fake) f = fake_new(4 << 20);

    outb(f, 0x64, 0xaa);
    g_assert_cmpint(read_kbd(f), ==, 0x55);
    g_assert_cmpint(read_kbd(f), ==, -1);
    outb(f, 0x60, 0xff);                /* keyboard reset */
    g_assert_cmpint(read_kbd(f), ==, 0xfa);
    g_assert_cmpint(read_kbd(f), ==, 0xaa);
    outb(f, 0x60, 0xf2);                /* identify (translated: ab 41) */
    g_assert_cmpint(read_kbd(f), ==, 0xfa);
    g_assert_cmpint(read_kbd(f), ==, 0xab);
    g_assert_cmpint(read_kbd(f), ==, 0x41);
    outb(f, 0x60, 0x42);                /* nonsense: resend */
    g_assert_cmpint(read_kbd(f), ==, 0xfe);
    outb(f, 0x64, 0x60);                /* command byte */
    outb(f, 0x60, 0x47);
    outb(f, 0x64, 0x20);
    g_assert_cmpint(read_kbd(f), ==, 0x47);
    outb(f, 0x64, 0x42);                /* unknown controller command */
    g_assert_cmpint(read_kbd(f), ==, -1);
    g_assert_cmpint(f->events[VMM_EVENT_RESET], ==, 0);
    outb(f, 0x64, 0xfe);                /* pulse the reset line */
    g_assert_cmpint(f->events[VMM_EVENT_RESET], ==, 1);
    outb(f, 0x64, 0xd1);                /* output port with reset low */
    outb(f, 0x60, 0x02);
    g_assert_cmpint(f->events[VMM_EVENT_RESET], ==, 2);
}

static void test_i8042_inject(void)
{
    g_autoptr(Fake) f = fake_new(4 << 20);
    static const uint8_t codes[] = {0x1e, 0x9e, 0xe0, 0x48};
    uint8_t many[VMM_I8042_QUEUE + 1] = {0};

    g_assert_cmpint(vmm_i8042_inject_scancodes(&f->m, codes, 4), ==, 0);
    g_assert_cmpint(f->level[VMM_I8042_KBD_IRQ], ==, 1);
    for (int i = 0; i < 4; i++) {
        g_assert_cmpint(read_kbd(f), ==, codes[i]);
        /* one interrupt edge per byte: the next byte's edge follows */
        g_assert_cmpint(f->rises[VMM_I8042_KBD_IRQ], ==, MIN(i + 2, 4));
    }
    g_assert_cmpint(f->level[VMM_I8042_KBD_IRQ], ==, 0);
    g_assert_cmpint(vmm_i8042_inject_scancodes(&f->m, many, sizeof(many)), ==,
                    -ENOSPC);
    g_assert_cmpint(read_kbd(f), ==, -1);   /* nothing half-queued */
    /* the keyboard disabled by the guest types nothing */
    outb(f, 0x60, 0xf5);
    g_assert_cmpint(read_kbd(f), ==, 0xfa);
    g_assert_cmpint(vmm_i8042_inject_scancodes(&f->m, codes, 1), ==, 0);
    g_assert_cmpint(read_kbd(f), ==, -1);
}

static void test_i8042_mouse(void)
{
    g_autoptr(Fake) f = fake_new(4 << 20);

    /* reporting is off until the guest enables it */
    g_assert_cmpint(vmm_i8042_inject_mouse(&f->m, 5, 5, 0), ==, 0);
    g_assert_cmpint(read_kbd(f), ==, -1);
    outb(f, 0x64, 0xd4);
    outb(f, 0x60, 0xf2);                /* get ID */
    g_assert_cmphex(inb(f, 0x64) & 0x20, ==, 0x20);
    g_assert_cmpint(read_kbd(f), ==, 0xfa);
    g_assert_cmpint(read_kbd(f), ==, 0x00);
    outb(f, 0x64, 0xd4);
    outb(f, 0x60, 0xf4);                /* enable reporting */
    g_assert_cmpint(read_kbd(f), ==, 0xfa);
    g_assert_cmpint(vmm_i8042_inject_mouse(&f->m, -3, 300, 1), ==, 0);
    g_assert_cmpint(f->level[VMM_I8042_AUX_IRQ], ==, 1);
    g_assert_cmphex(read_kbd(f), ==, 0x08 | 0x01 | 0x10);
    g_assert_cmphex(read_kbd(f), ==, 0xfd);
    g_assert_cmphex(read_kbd(f), ==, 0xff); /* clamped to 255 */
    g_assert_cmpint(f->level[VMM_I8042_AUX_IRQ], ==, 0);
}

/* ---- RTC ---- */

static uint8_t cmos(Fake *f, uint8_t reg)
{
    outb(f, 0x70, reg);
    return inb(f, 0x71);
}

static void cmos_write(Fake *f, uint8_t reg, uint8_t v)
{
    outb(f, 0x70, reg);
    outb(f, 0x71, v);
}

static void test_rtc_time(void)
{
    g_autoptr(Fake) f = fake_new(4 << 20);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    uint8_t year = cmos(f, 0x09), century = cmos(f, 0x32);
    int y = ((century >> 4) * 10 + (century & 15)) * 100 +
            (year >> 4) * 10 + (year & 15);

    g_assert_cmpint(y, ==, g_date_time_get_year(now));
    g_assert_cmphex(cmos(f, 0x0d), ==, 0x80);
    g_assert_cmphex(cmos(f, 0x0b), ==, 0x02);

    /* set 2001-02-03 04:05:06 in BCD, read it back */
    cmos_write(f, 0x0b, 0x82);
    cmos_write(f, 0x32, 0x20);
    cmos_write(f, 0x09, 0x01);
    cmos_write(f, 0x08, 0x02);
    cmos_write(f, 0x07, 0x03);
    cmos_write(f, 0x04, 0x04);
    cmos_write(f, 0x02, 0x05);
    cmos_write(f, 0x00, 0x06);
    cmos_write(f, 0x0b, 0x02);
    g_assert_cmphex(cmos(f, 0x09), ==, 0x01);
    g_assert_cmphex(cmos(f, 0x08), ==, 0x02);
    g_assert_cmphex(cmos(f, 0x07), ==, 0x03);
    g_assert_cmphex(cmos(f, 0x04), ==, 0x04);
    g_assert_cmphex(cmos(f, 0x02), ==, 0x05);
    g_assert_cmpuint(cmos(f, 0x00), <=, 0x08); /* a second or two later */
    g_assert_cmphex(cmos(f, 0x06), ==, 0x07);  /* a Saturday */
    /* binary, 12-hour: 4 AM is 4 */
    cmos_write(f, 0x0b, 0x04);
    g_assert_cmpuint(cmos(f, 0x04), ==, 4);
    g_assert_cmpuint(cmos(f, 0x09), ==, 1);
    /* hostile: invalid month and day are refused, index bit 7 is NMI */
    cmos_write(f, 0x08, 13);
    cmos_write(f, 0x07, 0);
    g_assert_cmpuint(cmos(f, 0x08), ==, 2);
    g_assert_cmpuint(cmos(f, 0x87), ==, 3);
    /* CMOS RAM keeps what it is given */
    cmos_write(f, 0x40, 0x5a);
    g_assert_cmphex(cmos(f, 0x40), ==, 0x5a);
    g_assert_cmphex(cmos(f, 0xc0), ==, 0x5a);
}

/* ---- PCI ---- */

static uint32_t pci_read(Fake *f, uint8_t slot, uint8_t reg)
{
    outl(f, 0xcf8, 0x80000000u | ((uint32_t)slot << 11) | reg);
    return inl(f, 0xcfc);
}

static void pci_write(Fake *f, uint8_t slot, uint8_t reg, uint32_t v)
{
    outl(f, 0xcf8, 0x80000000u | ((uint32_t)slot << 11) | reg);
    outl(f, 0xcfc, v);
}

static uint32_t bar_value;

static void bar_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
    memcpy(data, &bar_value, len > 4 ? 4 : len);
}

static void bar_write(void *opaque, uint64_t off, const uint8_t *data,
                      uint32_t len)
{
    memcpy(&bar_value, data, len > 4 ? 4 : len);
}

static const struct vmm_io_ops bar_ops = {.read = bar_read, .write = bar_write};

static void test_pci_config(void)
{
    g_autoptr(Fake) f = fake_new(4 << 20);
    uint32_t v;

    g_assert_cmphex(pci_read(f, 0, 0), ==, 0x12378086);
    g_assert_cmphex(pci_read(f, 0, 8) >> 8, ==, 0x060000);
    g_assert_cmphex(pci_read(f, 5, 0), ==, 0xffffffff);
    /* bus 1, function 1, and the enable bit clear see nothing */
    outl(f, 0xcf8, 0x80010000u);
    g_assert_cmphex(inl(f, 0xcfc), ==, 0xffffffff);
    outl(f, 0xcf8, 0x80000100u);
    g_assert_cmphex(inl(f, 0xcfc), ==, 0xffffffff);
    outl(f, 0xcf8, 0x00000000u);
    g_assert_cmphex(inl(f, 0xcfc), ==, 0xffffffff);
    /* byte and word reads inside the dword */
    outl(f, 0xcf8, 0x80000000u);
    g_assert_cmphex(inw(f, 0xcfe), ==, 0x1237);
    g_assert_cmphex(inb(f, 0xcfd), ==, 0x80);
    /* read-only fields stay */
    pci_write(f, 0, 0, 0xdeadbeef);
    g_assert_cmphex(pci_read(f, 0, 0), ==, 0x12378086);
    v = inl(f, 0xcf8);
    g_assert_cmphex(v, ==, 0x80000000u);
    /* 0xcf9 bit 2: reset */
    outb(f, 0xcf9, 0x06);
    g_assert_cmpint(f->events[VMM_EVENT_RESET], ==, 1);
}

static void test_pci_bars(void)
{
    g_autoptr(Fake) f = fake_new(4 << 20);
    struct vmm_pci_dev dev = {0};
    uint32_t v, addr;

    vmm_pci_dev_init(&dev, "test", 0x1af4, 0x1234, 0x030000, true);
    dev.bars[0] = (struct vmm_pci_bar){.size = 0x1000, .ops = &bar_ops};
    dev.bars[2] = (struct vmm_pci_bar){.size = 0x20, .io = true, .ops = &bar_ops};
    g_assert_cmpint(vmm_pci_add(&f->m, &dev), ==, 0);
    g_assert_cmpuint(dev.slot, ==, 1);
    g_assert_cmpuint(pci_read(f, 1, 0x3c) & 0xff, ==, vmm_pci_slot_irq(1));
    g_assert_cmpuint((pci_read(f, 1, 0x3c) >> 8) & 0xff, ==, 1);

    addr = pci_read(f, 1, 0x10);
    g_assert_cmphex(addr, ==, (uint32_t)VMM_PCI_MMIO_START);
    v = 0xcafe;
    g_assert_true(vmm_bus_write(&f->m.mmio, addr + 8, (uint8_t *)&v, 4));
    g_assert_cmphex(bar_value, ==, 0xcafe);
    /* sizing: all ones reads back the size mask and decodes nothing */
    pci_write(f, 1, 0x10, 0xffffffff);
    g_assert_cmphex(pci_read(f, 1, 0x10), ==, 0xfffff000);
    g_assert_false(vmm_bus_write(&f->m.mmio, addr, (uint8_t *)&v, 4));
    /* moving the BAR moves the region */
    pci_write(f, 1, 0x10, 0xd0000000);
    g_assert_true(vmm_bus_read(&f->m.mmio, 0xd0000000, (uint8_t *)&v, 4));
    g_assert_false(vmm_bus_read(&f->m.mmio, addr, (uint8_t *)&v, 4));
    /* unaligned address bits are dropped */
    pci_write(f, 1, 0x10, 0xd0000abc);
    g_assert_cmphex(pci_read(f, 1, 0x10), ==, 0xd0000000);
    /* I/O BAR */
    addr = pci_read(f, 1, 0x18);
    g_assert_cmphex(addr, ==, VMM_PCI_IO_START | 1);
    g_assert_true(vmm_bus_read(&f->m.pio, VMM_PCI_IO_START + 4, (uint8_t *)&v, 1));
    pci_write(f, 1, 0x18, 0xffffffff);
    g_assert_cmphex(pci_read(f, 1, 0x18), ==, 0xffffffe1);
    pci_write(f, 1, 0x18, VMM_PCI_IO_START);
    /* turning decoding off unmaps both */
    pci_write(f, 1, 0x04, 0);
    g_assert_false(vmm_bus_read(&f->m.mmio, 0xd0000000, (uint8_t *)&v, 4));
    g_assert_false(vmm_bus_read(&f->m.pio, VMM_PCI_IO_START, (uint8_t *)&v, 1));
    pci_write(f, 1, 0x04, 0x3);
    g_assert_true(vmm_bus_read(&f->m.mmio, 0xd0000000, (uint8_t *)&v, 4));
    /* a BAR moved onto another region is refused, not overlapped */
    pci_write(f, 1, 0x18, 0x3f8);
    g_assert_false(vmm_bus_read(&f->m.pio, VMM_PCI_IO_START, (uint8_t *)&v, 1));
    outb(f, VMM_UART_BASE, 'u');
    g_assert_cmpstr(f->serial->str, ==, "u");
    vmm_pci_remove(&f->m, &dev);
    g_assert_cmphex(pci_read(f, 1, 0), ==, 0xffffffff);
    g_assert_false(vmm_bus_read(&f->m.mmio, 0xd0000000, (uint8_t *)&v, 4));
}

/* ---- ACPI ---- */

static void test_acpi_pm(void)
{
    g_autoptr(Fake) f = fake_new(4 << 20);
    uint32_t t1, t2;

    g_assert_cmphex(inw(f, ACPI_PM1_CNT_PORT) & 1, ==, 1); /* SCI_EN */
    /* the button sets its status; the SCI waits for the enable bit */
    g_assert_cmpint(vmm_acpi_pm_power_button(&f->m), ==, 0);
    g_assert_cmphex(inw(f, ACPI_PM1_EVT_PORT), ==, 0x0100);
    g_assert_cmpint(f->level[ACPI_SCI_IRQ], ==, 0);
    outw(f, ACPI_PM1_EVT_PORT + 2, 0x0100);
    g_assert_cmpint(f->level[ACPI_SCI_IRQ], ==, 1);
    outw(f, ACPI_PM1_EVT_PORT, 0x0100);   /* write 1 to clear */
    g_assert_cmphex(inw(f, ACPI_PM1_EVT_PORT), ==, 0);
    g_assert_cmpint(f->level[ACPI_SCI_IRQ], ==, 0);
    /* S3 is not offered: nothing happens */
    outw(f, ACPI_PM1_CNT_PORT, (3 << 10) | 0x2000);
    g_assert_cmpint(f->events[VMM_EVENT_POWEROFF], ==, 0);
    outw(f, ACPI_PM1_CNT_PORT, (ACPI_S5_SLP_TYP << 10) | 0x2000);
    g_assert_cmpint(f->events[VMM_EVENT_POWEROFF], ==, 1);
    /* SLP_EN is write-only */
    g_assert_cmphex(inw(f, ACPI_PM1_CNT_PORT) & 0x2000, ==, 0);
    /* the PM timer runs at 3.58 MHz, 24 bits */
    t1 = inl(f, ACPI_PM_TMR_PORT);
    g_usleep(2000);
    t2 = inl(f, ACPI_PM_TMR_PORT);
    g_assert_cmpuint(t1, <=, 0xffffff);
    g_assert_cmpuint((t2 - t1) & 0xffffff, >=, 7000);
}

static gboolean sum_ok(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;

    for (uint32_t i = 0; i < len; i++)
        s += p[i];
    return s == 0;
}

static void test_acpi_tables(void)
{
    for (uint32_t cpus = 1; cpus <= 255; cpus += 127) {
        g_autoptr(Fake) f = fake_new(4 << 20);
        uint64_t rsdp = vmm_acpi_build(&f->mem, cpus);
        const uint8_t *r = f->ram + rsdp, *xsdt, *madt = NULL;
        uint32_t n = 0;

        g_assert_cmpuint(rsdp, ==, BOOT_ACPI_ADDR);
        g_assert_cmpmem(r, 8, "RSD PTR ", 8);
        g_assert_true(sum_ok(r, 20));
        g_assert_true(sum_ok(r, 36));
        xsdt = f->ram + *(const uint32_t *)(r + 24);
        g_assert_cmpmem(xsdt, 4, "XSDT", 4);
        g_assert_true(sum_ok(xsdt, *(const uint32_t *)(xsdt + 4)));
        for (int i = 0; i < 2; i++) {
            const uint8_t *t = f->ram + *(const uint32_t *)(xsdt + 36 + 8 * i);

            g_assert_true(sum_ok(t, *(const uint32_t *)(t + 4)));
            if (memcmp(t, "APIC", 4) == 0)
                madt = t;
            if (memcmp(t, "FACP", 4) == 0) {
                const uint8_t *dsdt = f->ram + *(const uint32_t *)(t + 40);

                g_assert_cmpmem(dsdt, 4, "DSDT", 4);
                g_assert_true(sum_ok(dsdt, *(const uint32_t *)(dsdt + 4)));
                g_assert_nonnull(memmem(dsdt, *(const uint32_t *)(dsdt + 4),
                                        "_S5_", 4));
            }
        }
        g_assert_nonnull(madt);
        for (uint32_t off = 44; off < *(const uint32_t *)(madt + 4);
             off += madt[off + 1])
            if (madt[off] == 0)
                g_assert_cmpuint(madt[off + 3], ==, n++);
        g_assert_cmpuint(n, ==, cpus);
    }
    {
        g_autoptr(Fake) f = fake_new(4 << 20);

        g_assert_cmpuint(vmm_acpi_build(&f->mem, 0), ==, 0);
        g_assert_cmpuint(vmm_acpi_build(&f->mem, 256), ==, 0);
    }
}

static void test_debug_exit(void)
{
    g_autoptr(Fake) f = fake_new(4 << 20);

    outb(f, 0xf4, 0x2a);
    g_assert_cmpint(f->events[VMM_EVENT_EXIT], ==, 1);
    g_assert_cmpint(f->status, ==, 0x55);
    outl(f, 0xf4, 0xffffffff);
    g_assert_cmpint(f->status, ==, 0xff);
}

/* ---- boot loaders against hostile files ---- */

static char *write_temp(const void *data, gsize len)
{
    g_autoptr(GError) error = NULL;
    char *path = NULL;
    int fd = g_file_open_tmp("vmm-kernel-XXXXXX", &path, &error);

    g_assert_no_error(error);
    close(fd);
    g_assert_true(g_file_set_contents(path, data, (gssize)len, &error));
    return path;
}

static int try_boot(const void *data, gsize len)
{
    g_autoptr(Fake) f = fake_new(16 << 20);
    g_autofree char *path = write_temp(data, len);
    struct vmm_boot_config cfg = {.kernel = path, .n_cpus = 1};
    struct vmm_entry entry;
    int err = vmm_boot_load(&f->mem, &cfg, &entry);

    g_unlink(path);
    return err;
}

/* a minimal ELF32 with one PT_LOAD and one PT_NOTE */
static gsize make_elf(uint8_t *buf, uint32_t load_paddr, uint32_t memsz,
                      gboolean with_note, uint32_t namesz)
{
    Elf32_Ehdr *eh = (Elf32_Ehdr *)buf;
    Elf32_Phdr *ph = (Elf32_Phdr *)(buf + sizeof(*eh));
    uint32_t *note = (uint32_t *)(buf + 0x100);

    memset(buf, 0, 0x200);
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS32;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_386;
    eh->e_phoff = sizeof(*eh);
    eh->e_phentsize = sizeof(*ph);
    eh->e_phnum = 2;
    ph[0] = (Elf32_Phdr){.p_type = PT_LOAD, .p_offset = 0x180,
                         .p_paddr = load_paddr, .p_filesz = 0x10,
                         .p_memsz = memsz};
    ph[1] = (Elf32_Phdr){.p_type = with_note ? PT_NOTE : PT_NULL,
                         .p_offset = 0x100, .p_filesz = 20};
    note[0] = namesz;
    note[1] = 4;
    note[2] = 18;
    memcpy(&note[3], "Xen", 4);
    note[4] = load_paddr;
    return 0x200;
}

static void test_boot_hostile(void)
{
    uint8_t buf[0x200];
    uint32_t entry;

    g_assert_cmpint(try_boot(buf, make_elf(buf, 0x100000, 0x1000, TRUE, 4)),
                    ==, 0);
    g_assert_cmpint(vmm_elf_pvh_entry(buf, sizeof(buf), &entry), ==, 0);
    g_assert_cmphex(entry, ==, 0x100000);
    /* no note, a note with a huge name, a segment beyond RAM, over the
     * boot area, wrapping around */
    g_assert_cmpint(try_boot(buf, make_elf(buf, 0x100000, 0x1000, FALSE, 4)),
                    ==, -ENOEXEC);
    g_assert_cmpint(try_boot(buf, make_elf(buf, 0x100000, 0x1000, TRUE,
                                           0xfffffff0)), ==, -ENOEXEC);
    g_assert_cmpint(try_boot(buf, make_elf(buf, 0x2000000, 0x1000, TRUE, 4)),
                    ==, -ENOEXEC);
    g_assert_cmpint(try_boot(buf, make_elf(buf, 0x1000, 0x1000, TRUE, 4)),
                    ==, -ENOEXEC);
    g_assert_cmpint(try_boot(buf, make_elf(buf, 0x100000, 0xffffffff, TRUE,
                                           4)), ==, -ENOEXEC);
    /* program headers past the end of the file */
    make_elf(buf, 0x100000, 0x1000, TRUE, 4);
    ((Elf32_Ehdr *)buf)->e_phnum = 0xffff;
    g_assert_cmpint(try_boot(buf, sizeof(buf)), ==, -ENOEXEC);
    /* truncated, empty, garbage, a bzImage header on a stub */
    g_assert_cmpint(try_boot(buf, 10), ==, -ENOEXEC);
    g_assert_cmpint(try_boot("", 0), ==, -EINVAL);
    memset(buf, 0x5a, sizeof(buf));
    g_assert_cmpint(try_boot(buf, sizeof(buf)), ==, -ENOEXEC);
    {
        g_autofree uint8_t *bz = g_malloc0(0x1000);

        memcpy(bz + 0x202, "HdrS", 4);
        bz[0x206] = 0x0f;               /* protocol 2.15 */
        bz[0x207] = 0x02;
        bz[0x236] = 0x01;               /* 64-bit entry */
        bz[0x1f1] = 30;                 /* setup longer than the file */
        g_assert_cmpint(try_boot(bz, 0x1000), ==, -ENOEXEC);
        bz[0x236] = 0;
        g_assert_cmpint(try_boot(bz, 0x1000), ==, -ENOEXEC);
    }
    /* a missing kernel */
    {
        g_autoptr(Fake) f = fake_new(16 << 20);
        struct vmm_boot_config cfg = {.kernel = "/nonexistent/vmlinux",
                                      .n_cpus = 1};
        struct vmm_entry e;

        g_assert_cmpint(vmm_boot_load(&f->mem, &cfg, &e), ==, -ENOENT);
    }
}

static void test_boot_cmdline_initrd(void)
{
    g_autoptr(Fake) f = fake_new(16 << 20);
    uint8_t buf[0x200];
    g_autofree char *kernel = write_temp(buf, make_elf(buf, 0x100000, 0x1000,
                                                       TRUE, 4));
    g_autofree char *initrd = write_temp("INITRD-DATA", 11);
    g_autofree char *long_line = g_strnfill(5000, 'x');
    struct vmm_boot_config cfg = {.kernel = kernel, .initrd = initrd,
                                  .cmdline = "console=ttyS0", .n_cpus = 1};
    struct vmm_entry e;
    const uint64_t *mod;

    g_assert_cmpint(vmm_boot_load(&f->mem, &cfg, &e), ==, 0);
    g_assert_cmpint(e.mode, ==, VMM_ENTRY_PVH32);
    g_assert_cmpstr((char *)f->ram + BOOT_CMDLINE_ADDR, ==, "console=ttyS0");
    mod = (const uint64_t *)(f->ram + BOOT_PVH_MODLIST_ADDR);
    g_assert_cmpuint(mod[1], ==, 11);
    g_assert_cmpuint(mod[0] % 4096, ==, 0);
    g_assert_cmpmem(f->ram + mod[0], 11, "INITRD-DATA", 11);
    cfg.cmdline = long_line;
    g_assert_cmpint(vmm_boot_load(&f->mem, &cfg, &e), ==, -E2BIG);
    g_unlink(kernel);
    g_unlink(initrd);
}

/* a thread that uses some CPU, as a vCPU does */
static void *spin_thread(void *data)
{
    volatile guint64 n = 0;
    gint64 end = g_get_monotonic_time() + 20000;

    while (g_get_monotonic_time() < end)
        n++;
    return NULL;
}

/* GetStats reads each vCPU thread's CPU clock; a vCPU that ended (the
 * guest powered off, crashed or reset) and the main loop has not torn
 * down yet has no clock any more: its time must not drop to 0 */
static void test_vcpu_cpu_time(void)
{
    struct vmm_vcpu v = {0};
    guint64 running, ended;

    g_assert_cmpuint(vmm_vcpu_cpu_time_ns(&v), ==, 0);
    g_assert_cmpint(pthread_create(&v.thread, NULL, spin_thread, NULL), ==, 0);
    v.thread_started = true;
    g_assert_cmpint(pthread_getcpuclockid(v.thread, &v.cpu_clock), ==, 0);
    g_usleep(10000);
    running = vmm_vcpu_cpu_time_ns(&v);
    g_assert_cmpuint(running, >, 0);
    pthread_join(v.thread, NULL);
    ended = vmm_vcpu_cpu_time_ns(&v);
    g_assert_cmpuint(ended, >=, running);
    /* what the vCPU thread read of its own clock as it ended */
    __atomic_store_n(&v.end_cpu_ns, ended + 1000, __ATOMIC_RELEASE);
    g_assert_cmpuint(vmm_vcpu_cpu_time_ns(&v), ==, ended + 1000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/vmm/memory/accessor", test_memory_accessor);
    g_test_add_func("/vmm/memory/layout", test_memory_layout);
    g_test_add_func("/vmm/bus/overlap", test_bus_overlap);
    g_test_add_func("/vmm/uart/transmit", test_uart_transmit);
    g_test_add_func("/vmm/uart/fifo", test_uart_fifo);
    g_test_add_func("/vmm/uart/loopback-overrun", test_uart_loopback_overrun);
    g_test_add_func("/vmm/uart/hostile", test_uart_hostile);
    g_test_add_func("/vmm/i8042/commands", test_i8042_commands);
    g_test_add_func("/vmm/i8042/inject", test_i8042_inject);
    g_test_add_func("/vmm/i8042/mouse", test_i8042_mouse);
    g_test_add_func("/vmm/rtc/time", test_rtc_time);
    g_test_add_func("/vmm/pci/config", test_pci_config);
    g_test_add_func("/vmm/pci/bars", test_pci_bars);
    g_test_add_func("/vmm/acpi/pm", test_acpi_pm);
    g_test_add_func("/vmm/acpi/tables", test_acpi_tables);
    g_test_add_func("/vmm/debug-exit/status", test_debug_exit);
    g_test_add_func("/vmm/boot/hostile", test_boot_hostile);
    g_test_add_func("/vmm/boot/cmdline-initrd", test_boot_cmdline_initrd);
    g_test_add_func("/vmm/vcpu/cpu-time-after-exit", test_vcpu_cpu_time);
    return g_test_run();
}
