/* pci.h: PCI bus 0 behind configuration mechanism #1 (0xcf8/0xcfc).
 *
 * A PCI function is a struct vmm_pci_dev with its configuration space and
 * up to six BARs; vmm_pci_add() plugs it into the next free slot and
 * assigns its BARs from the MMIO window in the PCI hole and from I/O
 * space, as firmware would.  When the guest moves a BAR or toggles
 * decoding in the command register, the BAR's region moves on the
 * machine's MMIO or port bus.  A new PCI device is one new file that
 * fills a struct vmm_pci_dev and calls vmm_pci_add() from its create().
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "vmm-machine.h"

#define VMM_PCI_CFG_ADDR 0xcf8
#define VMM_PCI_CFG_DATA 0xcfc
#define VMM_PCI_SLOTS 32
#define VMM_PCI_IO_START 0xc000
#define VMM_PCI_IO_END 0x10000

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYS_VENDOR 0x2c
#define PCI_SUBSYS_ID 0x2e
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400

struct vmm_pci_bar {
    uint64_t size;       /* power of two, 0 = unused */
    bool io;             /* I/O space, else 32-bit memory */
    bool prefetchable;
    const struct vmm_io_ops *ops;
    void *opaque;
    /* A RAM-backed BAR (a framebuffer) has no @ops: pci.c calls @map
     * instead whenever the BAR starts or stops decoding at @addr. */
    void (*map)(void *opaque, uint64_t addr, bool mapped);
    /* managed by pci.c */
    uint64_t addr;
    bool mapped;
};

struct vmm_pci_dev {
    const char *name;
    uint8_t cfg[256];
    uint8_t wmask[256];  /* bits the guest may write (set by pci.c) */
    struct vmm_pci_bar bars[6];
    /* optional hooks for device-specific registers (after the header) */
    void (*cfg_write)(struct vmm_pci_dev *dev, uint8_t off, uint32_t val,
                      uint32_t len);
    void *opaque;
    /* managed by pci.c */
    uint8_t slot;
    struct vmm_pci_bus *bus;
};

/* Fills the header of @dev (vendor, device, class, interrupt pin 1 when
 * @irq_pin). */
void vmm_pci_dev_init(struct vmm_pci_dev *dev, const char *name,
                      uint16_t vendor, uint16_t device, uint32_t class_code,
                      bool irq_pin);
/* Plugs @dev into the next free slot and maps its BARs; -ENOSPC when the
 * bus or the windows are full. */
int vmm_pci_add(struct vmm_machine *m, struct vmm_pci_dev *dev);
void vmm_pci_remove(struct vmm_machine *m, struct vmm_pci_dev *dev);
/* The legacy interrupt of a slot (INTA#, swizzled over IRQs 10/11/5/9...) */
uint32_t vmm_pci_slot_irq(uint8_t slot);
