/* pci: enumerates bus 0 through configuration mechanism #1, prints each
 * function, checks that slot 0 is a host bridge and that an empty slot
 * reads as all ones, and sizes every BAR it finds. */
#include "guest.h"

void guest_main(void)
{
    uint32_t found = 0;
    bool empty_seen = false, host_ok = false;

    for (uint8_t slot = 0; slot < 32; slot++) {
        uint32_t id = pci_cfg_read(slot, 0x00);
        uint32_t class;

        if (id == 0xffffffffu) {
            empty_seen = true;
            continue;
        }
        class = pci_cfg_read(slot, 0x08) >> 8;
        gprintf("00:%02x.0 %04x:%04x class %06x\n", slot, id & 0xffff,
                id >> 16, class);
        if (slot == 0 && class == 0x060000)
            host_ok = true;
        for (uint8_t bar = 0; bar < 6; bar++) {
            uint8_t reg = (uint8_t)(0x10 + 4 * bar);
            uint32_t old = pci_cfg_read(slot, reg), mask, size;

            if (!old)
                continue;
            pci_cfg_write(slot, reg, 0xffffffffu);
            mask = pci_cfg_read(slot, reg);
            pci_cfg_write(slot, reg, old);
            size = ~(mask & ((old & 1) ? ~0x3u : ~0xfu)) + 1;
            gprintf("  BAR%u %s at %x, %u bytes\n", bar,
                    (old & 1) ? "io" : "mem", old & ~0xfu, size);
            if (pci_cfg_read(slot, reg) != old)
                guest_exit(GUEST_FAIL);
        }
        found++;
    }
    gprintf("%u PCI functions\n", found);
    if (!host_ok || !empty_seen) {
        puts_serial("no host bridge at 00:00.0, or no empty slot\n");
        guest_exit(GUEST_FAIL);
    }
    puts_serial("PCI OK\n");
}
