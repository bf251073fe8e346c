/* vmm-machine.h: what device models see of the machine they live in.
 *
 * Device models never touch KVM.  They see port and MMIO buses, interrupt
 * lines, the checked guest-memory accessor and a few machine events
 * (power off, reset), all through this header, so that unit tests can run
 * them against a fake machine.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm/memory.h"

struct vmm_machine;
struct vmm_device_type;

/* A port or MMIO handler.  @offset is relative to the region's base; @len
 * is 1, 2, 4 or 8.  Reads fill @data (already zeroed by the bus). */
struct vmm_io_ops {
    void (*read)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len);
    void (*write)(void *opaque, uint64_t offset, const uint8_t *data,
                  uint32_t len);
};

struct vmm_io_region {
    uint64_t base;
    uint64_t len;
    const struct vmm_io_ops *ops;
    void *opaque;
    const char *name;
};

#define VMM_BUS_MAX_REGIONS 64

struct vmm_bus {
    const char *name;
    size_t n_regions;
    struct vmm_io_region regions[VMM_BUS_MAX_REGIONS];
    /* accesses that hit nothing: counted, logged at most once a second */
    uint64_t unhandled;
    uint64_t unhandled_logged_at_ns;
    uint64_t unhandled_since_log;
};

int vmm_bus_register(struct vmm_bus *bus, uint64_t base, uint64_t len,
                     const struct vmm_io_ops *ops, void *opaque,
                     const char *name);
int vmm_bus_unregister(struct vmm_bus *bus, uint64_t base, void *opaque);
/* Returns true when a region took the access. */
bool vmm_bus_read(struct vmm_bus *bus, uint64_t addr, uint8_t *data,
                  uint32_t len);
bool vmm_bus_write(struct vmm_bus *bus, uint64_t addr, const uint8_t *data,
                   uint32_t len);

enum vmm_event {
    VMM_EVENT_POWEROFF, /* ACPI S5 or similar: the VM ends cleanly */
    VMM_EVENT_RESET,    /* guest asked for a reset */
    VMM_EVENT_EXIT,     /* debug-exit: end with a given status */
};

/* Interrupt delivery, provided by the KVM core (or by a test). */
struct vmm_irq_ops {
    void (*set_line)(struct vmm_machine *m, uint32_t gsi, int level);
    void (*event)(struct vmm_machine *m, enum vmm_event ev, int status);
};

/* Guest RAM outside main memory (a framebuffer BAR), mapped into the
 * guest by the KVM core; @id names one of VMM_RAM_SLOTS device slots. */
#define VMM_RAM_SLOTS 4
struct vmm_ram_ops {
    /* Maps @size bytes at @host to guest-physical @gpa, replacing the
     * slot's previous mapping; @size 0 unmaps.  @log_dirty turns on
     * dirty page logging.  Negative errno on failure. */
    int (*map)(struct vmm_machine *m, unsigned id, uint64_t gpa,
               uint64_t size, void *host, bool log_dirty);
    /* Fills @bitmap (one bit per 4 KiB page of the slot, in 64-bit
     * words) with the pages written since the last call, and clears
     * the log.  Negative errno on failure. */
    int (*dirty_log)(struct vmm_machine *m, unsigned id, uint64_t *bitmap);
};

/* What the display back-end lends the framebuffer device (NULL when the
 * VM has no display): video memory that outlives guest resets, and a
 * kick for when the guest changes the mode. */
struct vmm_fb_backend {
    uint8_t *vram;
    uint64_t vram_size;
    /* called with dev_lock held (often on a vCPU thread): must not block */
    void (*changed)(void *opaque);
    void *opaque;
};

struct vmm_pci_bus;
struct vmm_acpi_pm;
struct vmm_bochs;
struct vmm_uart;
struct vmm_i8042;

#define VMM_MAX_DEVICES 32

struct vmm_machine {
    /* configuration, read-only after creation */
    uint32_t n_cpus;
    struct vmm_mem *mem;

    /* Serialises every device model access: vCPU threads and the main loop
     * take it around bus dispatch and back-end input. */
    pthread_mutex_t dev_lock;

    struct vmm_bus pio;
    struct vmm_bus mmio;
    const struct vmm_irq_ops *irq_ops;
    void *irq_opaque;
    const struct vmm_ram_ops *ram_ops; /* NULL: RAM BARs fall back to MMIO */
    struct vmm_fb_backend *fb;          /* set before vmm_devices_create() */

    /* well-known devices other code needs to reach */
    struct vmm_pci_bus *pci;
    struct vmm_acpi_pm *acpi_pm;
    struct vmm_uart *uart;
    struct vmm_i8042 *i8042;
    struct vmm_bochs *bochs;

    /* serial back-end: bytes the guest transmits */
    void (*serial_out)(void *opaque, const uint8_t *buf, size_t len);
    void *serial_opaque;

    /* instances created by vmm_devices_create(), torn down in reverse */
    size_t n_devices;
    struct {
        const struct vmm_device_type *type;
        void *state;
    } devices[VMM_MAX_DEVICES];
};

static inline void vmm_irq_set(struct vmm_machine *m, uint32_t gsi, int level)
{
    if (m->irq_ops && m->irq_ops->set_line)
        m->irq_ops->set_line(m, gsi, level);
}

static inline void vmm_machine_event(struct vmm_machine *m, enum vmm_event ev,
                                     int status)
{
    if (m->irq_ops && m->irq_ops->event)
        m->irq_ops->event(m, ev, status);
}

/* Device self-registration (kvmtool's util-init idea): each device file
 * declares a type with VMM_DEVICE_REGISTER; vmm_devices_create() creates
 * every registered type in priority order and vmm_devices_destroy() tears
 * them down in reverse. */
enum vmm_device_priority {
    VMM_PRIO_BUS = 0,      /* PCI host bridge: others plug into it */
    VMM_PRIO_PLATFORM = 1, /* legacy ISA devices */
    VMM_PRIO_PCI_DEV = 2,  /* PCI functions (display, virtio) */
};

struct vmm_device_type {
    const char *name;
    enum vmm_device_priority priority;
    /* Returns the device state or NULL with *err set to a negative errno;
     * NULL with *err left at 0 means the machine does not have this
     * device (e.g. no display configured). */
    void *(*create)(struct vmm_machine *m, int *err);
    void (*destroy)(struct vmm_machine *m, void *state);
};

void vmm_device_type_register(const struct vmm_device_type *type);
const struct vmm_device_type *vmm_device_type_lookup(const char *name);

#define VMM_DEVICE_REGISTER(type_)                                            \
    __attribute__((constructor)) static void vmm_register_##type_(void)       \
    {                                                                         \
        vmm_device_type_register(&(type_));                                   \
    }

int vmm_machine_init(struct vmm_machine *m, struct vmm_mem *mem,
                     uint32_t n_cpus);
void vmm_machine_cleanup(struct vmm_machine *m);
int vmm_devices_create(struct vmm_machine *m);
void vmm_devices_destroy(struct vmm_machine *m);

/* Rate-limited log for guest misbehaviour (at most a few lines a second). */
void vmm_guest_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t vmm_now_ns(void);
