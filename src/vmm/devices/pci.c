/* pci.c: the PCI host bridge, configuration space and BARs. */
#include "devices/pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct vmm_pci_bus {
    struct vmm_machine *m;
    uint32_t cfg_addr;  /* last value written to 0xcf8 */
    struct vmm_pci_dev *slots[VMM_PCI_SLOTS];
    uint64_t next_mmio; /* BAR allocation, firmware-style */
    uint32_t next_io;
    struct vmm_pci_dev host;
};

/* INTA# of slot N goes to one of the PCI IRQs; the MADT leaves them
 * ISA-style (edge, high) so the in-kernel PIC and IOAPIC agree. */
uint32_t vmm_pci_slot_irq(uint8_t slot)
{
    static const uint8_t irqs[] = {10, 11, 5};

    return irqs[slot % 3];
}

static void put_cfg(uint8_t *cfg, unsigned off, uint32_t v, unsigned len)
{
    for (unsigned i = 0; i < len; i++)
        cfg[off + i] = (v >> (8 * i)) & 0xff;
}

static uint32_t get_cfg(const uint8_t *cfg, unsigned off, unsigned len)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < len; i++)
        v |= (uint32_t)cfg[off + i] << (8 * i);
    return v;
}

void vmm_pci_dev_init(struct vmm_pci_dev *dev, const char *name,
                      uint16_t vendor, uint16_t device, uint32_t class_code,
                      bool irq_pin)
{
    memset(dev->cfg, 0, sizeof(dev->cfg));
    memset(dev->wmask, 0, sizeof(dev->wmask));
    dev->name = name;
    put_cfg(dev->cfg, PCI_VENDOR_ID, vendor, 2);
    put_cfg(dev->cfg, PCI_DEVICE_ID, device, 2);
    put_cfg(dev->cfg, PCI_REVISION, class_code << 8, 4);
    put_cfg(dev->cfg, PCI_SUBSYS_VENDOR, vendor, 2);
    put_cfg(dev->cfg, PCI_SUBSYS_ID, device, 2);
    /* writable: command (I/O, memory, bus master, INTx disable),
     * interrupt line */
    put_cfg(dev->wmask, PCI_COMMAND,
            PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                PCI_COMMAND_INTX_DISABLE,
            2);
    dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
    if (irq_pin)
        dev->cfg[PCI_INTERRUPT_PIN] = 1;
}

static void bar_flags(const struct vmm_pci_bar *bar, uint32_t *flags)
{
    *flags = bar->io ? 0x1 : (bar->prefetchable ? 0x8 : 0x0);
}

/* (Un)maps BAR @i to follow its address and the command register. */
static void bar_update(struct vmm_pci_dev *dev, int i)
{
    struct vmm_pci_bar *bar = &dev->bars[i];
    struct vmm_machine *m = dev->bus->m;
    uint16_t cmd = (uint16_t)get_cfg(dev->cfg, PCI_COMMAND, 2);
    uint32_t raw = get_cfg(dev->cfg, PCI_BAR0 + 4 * i, 4);
    uint64_t addr = raw & (bar->io ? ~0x3u : ~0xfu);
    bool enable = bar->io ? (cmd & PCI_COMMAND_IO) : (cmd & PCI_COMMAND_MEMORY);
    struct vmm_bus *bus = bar->io ? &m->pio : &m->mmio;

    if (!bar->size)
        return;
    /* a BAR being sized (all ones) or at 0 decodes nothing */
    if (addr == 0 || addr == ((bar->io ? 0xfffffffcu : 0xfffffff0u) &
                              ~(uint32_t)(bar->size - 1)))
        enable = false;
    if (bar->io && addr + bar->size > 0x10000)
        enable = false;
    if (bar->mapped && (!enable || addr != bar->addr)) {
        if (bar->map)
            bar->map(bar->opaque, bar->addr, false);
        else
            vmm_bus_unregister(bus, bar->addr, bar->opaque);
        bar->mapped = false;
    }
    if (enable && !bar->mapped && bar->map) {
        bar->addr = addr;
        bar->mapped = true;
        bar->map(bar->opaque, addr, true);
    } else if (enable && !bar->mapped) {
        if (vmm_bus_register(bus, addr, bar->size, bar->ops, bar->opaque,
                             dev->name) == 0) {
            bar->addr = addr;
            bar->mapped = true;
        } else {
            vmm_guest_log("PCI %s: BAR%d at 0x%llx overlaps another region; "
                          "not decoded", dev->name, i,
                          (unsigned long long)addr);
        }
    }
}

static void cfg_write(struct vmm_pci_dev *dev, unsigned off, uint32_t val,
                      unsigned len)
{
    for (unsigned i = 0; i < len; i++) {
        uint8_t mask = dev->wmask[off + i];
        uint8_t b = (val >> (8 * i)) & 0xff;

        dev->cfg[off + i] = (dev->cfg[off + i] & ~mask) | (b & mask);
    }
    /* status bits are write-one-to-clear; we never set any */
    if (off < PCI_COMMAND + 2 && off + len > PCI_COMMAND) {
        for (int i = 0; i < 6; i++)
            bar_update(dev, i);
    }
    if (off < PCI_BAR0 + 24 && off + len > PCI_BAR0) {
        for (int i = 0; i < 6; i++)
            if (off < PCI_BAR0 + 4u * i + 4 && off + len > PCI_BAR0 + 4u * i)
                bar_update(dev, i);
    }
    if (dev->cfg_write && off >= 0x40)
        dev->cfg_write(dev, (uint8_t)off, val, len);
}

static struct vmm_pci_dev *selected(struct vmm_pci_bus *pci, unsigned *reg)
{
    uint32_t a = pci->cfg_addr;
    unsigned bus = (a >> 16) & 0xff, slot = (a >> 11) & 0x1f,
             fn = (a >> 8) & 0x7;

    if (!(a & 0x80000000u) || bus != 0 || fn != 0)
        return NULL;
    *reg = a & 0xfc;
    return pci->slots[slot];
}

static void addr_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
    struct vmm_pci_bus *pci = opaque;

    if (len == 4)
        put_cfg(data, 0, pci->cfg_addr, 4);
}

static void addr_write(void *opaque, uint64_t off, const uint8_t *data,
                       uint32_t len)
{
    struct vmm_pci_bus *pci = opaque;

    /* only 32-bit accesses select a register; a byte at 0xcf9 is the
     * PC's reset control register (bit 2 starts a reset) */
    if (len == 4)
        pci->cfg_addr = get_cfg(data, 0, 4) & 0x80fffffcu;
    else if (len == 1 && off == 1 && (data[0] & 0x04))
        vmm_machine_event(pci->m, VMM_EVENT_RESET, 0);
}

static void data_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
    struct vmm_pci_bus *pci = opaque;
    unsigned reg;
    struct vmm_pci_dev *dev = selected(pci, &reg);

    if (!dev) {
        memset(data, 0xff, len); /* no device: all ones */
        return;
    }
    put_cfg(data, 0, get_cfg(dev->cfg, reg + (unsigned)off, len), len);
}

static void data_write(void *opaque, uint64_t off, const uint8_t *data,
                       uint32_t len)
{
    struct vmm_pci_bus *pci = opaque;
    unsigned reg;
    struct vmm_pci_dev *dev = selected(pci, &reg);

    if (dev)
        cfg_write(dev, reg + (unsigned)off, get_cfg(data, 0, len), len);
}

static const struct vmm_io_ops addr_ops = {
    .read = addr_read,
    .write = addr_write,
};

static const struct vmm_io_ops data_ops = {
    .read = data_read,
    .write = data_write,
};

int vmm_pci_add(struct vmm_machine *m, struct vmm_pci_dev *dev)
{
    struct vmm_pci_bus *pci = m->pci;
    int slot = -1;

    if (!pci)
        return -ENODEV;
    for (int i = 0; i < VMM_PCI_SLOTS; i++)
        if (!pci->slots[i]) {
            slot = i;
            break;
        }
    if (slot < 0)
        return -ENOSPC;
    dev->bus = pci;
    dev->slot = (uint8_t)slot;
    if (dev->cfg[PCI_INTERRUPT_PIN])
        dev->cfg[PCI_INTERRUPT_LINE] = (uint8_t)vmm_pci_slot_irq(dev->slot);
    /* assign BARs naturally aligned, as firmware would, and decode them */
    for (int i = 0; i < 6; i++) {
        struct vmm_pci_bar *bar = &dev->bars[i];
        uint32_t flags;
        uint64_t base;

        if (!bar->size)
            continue;
        if (bar->size & (bar->size - 1) || bar->size < (bar->io ? 4 : 16))
            return -EINVAL;
        bar_flags(bar, &flags);
        if (bar->io) {
            base = (pci->next_io + bar->size - 1) & ~(bar->size - 1);
            if (base + bar->size > VMM_PCI_IO_END)
                return -ENOSPC;
            pci->next_io = (uint32_t)(base + bar->size);
        } else {
            base = (pci->next_mmio + bar->size - 1) & ~(bar->size - 1);
            if (base + bar->size > VMM_PCI_MMIO_END)
                return -ENOSPC;
            pci->next_mmio = base + bar->size;
        }
        put_cfg(dev->cfg, PCI_BAR0 + 4 * i, (uint32_t)base | flags, 4);
        put_cfg(dev->wmask, PCI_BAR0 + 4 * i, ~(uint32_t)(bar->size - 1) &
                                                  (bar->io ? ~0x3u : ~0xfu),
                4);
    }
    dev->cfg[PCI_COMMAND] |= PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
    pci->slots[slot] = dev;
    for (int i = 0; i < 6; i++)
        bar_update(dev, i);
    return 0;
}

void vmm_pci_remove(struct vmm_machine *m, struct vmm_pci_dev *dev)
{
    struct vmm_pci_bus *pci = m->pci;

    if (!pci || pci->slots[dev->slot] != dev)
        return;
    dev->cfg[PCI_COMMAND] &= ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    for (int i = 0; i < 6; i++)
        bar_update(dev, i);
    pci->slots[dev->slot] = NULL;
}

static void *pci_create(struct vmm_machine *m, int *err)
{
    struct vmm_pci_bus *pci = calloc(1, sizeof(*pci));

    if (!pci) {
        *err = -ENOMEM;
        return NULL;
    }
    pci->m = m;
    pci->next_mmio = VMM_PCI_MMIO_START;
    pci->next_io = VMM_PCI_IO_START;
    if ((*err = vmm_bus_register(&m->pio, VMM_PCI_CFG_ADDR, 4, &addr_ops, pci,
                                 "pci-cfg-addr")) ||
        (*err = vmm_bus_register(&m->pio, VMM_PCI_CFG_DATA, 4, &data_ops, pci,
                                 "pci-cfg-data"))) {
        vmm_bus_unregister(&m->pio, VMM_PCI_CFG_ADDR, pci);
        free(pci);
        return NULL;
    }
    m->pci = pci;
    /* slot 0: the host bridge (class 06 00 00) */
    vmm_pci_dev_init(&pci->host, "host-bridge", 0x8086, 0x1237, 0x060000,
                     false);
    *err = vmm_pci_add(m, &pci->host);
    return pci;
}

static void pci_destroy(struct vmm_machine *m, void *state)
{
    vmm_bus_unregister(&m->pio, VMM_PCI_CFG_ADDR, state);
    vmm_bus_unregister(&m->pio, VMM_PCI_CFG_DATA, state);
    m->pci = NULL;
    free(state);
}

static const struct vmm_device_type pci_type = {
    .name = "pci",
    .priority = VMM_PRIO_BUS,
    .create = pci_create,
    .destroy = pci_destroy,
};
VMM_DEVICE_REGISTER(pci_type)
