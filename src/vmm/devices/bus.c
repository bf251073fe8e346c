/* bus.c: port/MMIO dispatch, the device registry, the machine object. */
#include "vmm-machine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

uint64_t vmm_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int vmm_bus_register(struct vmm_bus *bus, uint64_t base, uint64_t len,
                     const struct vmm_io_ops *ops, void *opaque,
                     const char *name)
{
    if (len == 0 || base + len < base)
        return -EINVAL;
    if (bus->n_regions == VMM_BUS_MAX_REGIONS)
        return -ENOSPC;
    for (size_t i = 0; i < bus->n_regions; i++) {
        const struct vmm_io_region *r = &bus->regions[i];

        if (base < r->base + r->len && r->base < base + len)
            return -EBUSY;
    }
    bus->regions[bus->n_regions++] = (struct vmm_io_region){
        .base = base, .len = len, .ops = ops, .opaque = opaque, .name = name};
    return 0;
}

int vmm_bus_unregister(struct vmm_bus *bus, uint64_t base, void *opaque)
{
    for (size_t i = 0; i < bus->n_regions; i++) {
        if (bus->regions[i].base == base && bus->regions[i].opaque == opaque) {
            memmove(&bus->regions[i], &bus->regions[i + 1],
                    (bus->n_regions - i - 1) * sizeof(bus->regions[0]));
            bus->n_regions--;
            return 0;
        }
    }
    return -ENOENT;
}

static const struct vmm_io_region *find(struct vmm_bus *bus, uint64_t addr,
                                        uint32_t len)
{
    for (size_t i = 0; i < bus->n_regions; i++) {
        const struct vmm_io_region *r = &bus->regions[i];

        if (addr >= r->base && addr - r->base < r->len &&
            len <= r->len - (addr - r->base))
            return r;
    }
    return NULL;
}

static void unhandled(struct vmm_bus *bus, const char *dir, uint64_t addr,
                      uint32_t len)
{
    uint64_t now = vmm_now_ns();

    bus->unhandled++;
    bus->unhandled_since_log++;
    /* at most one line a second, however hard the guest hammers */
    if (bus->unhandled_logged_at_ns &&
        now - bus->unhandled_logged_at_ns < 1000000000ULL)
        return;
    if (bus->unhandled_since_log > 1)
        vmm_guest_log("guest %s unimplemented %s 0x%llx (%u bytes), ignored; "
                      "%llu such accesses since the last message",
                      dir, bus->name, (unsigned long long)addr, len,
                      (unsigned long long)bus->unhandled_since_log);
    else
        vmm_guest_log("guest %s unimplemented %s 0x%llx (%u bytes), ignored",
                      dir, bus->name, (unsigned long long)addr, len);
    bus->unhandled_logged_at_ns = now;
    bus->unhandled_since_log = 0;
}

bool vmm_bus_read(struct vmm_bus *bus, uint64_t addr, uint8_t *data,
                  uint32_t len)
{
    const struct vmm_io_region *r = find(bus, addr, len);

    memset(data, 0xff, len); /* open bus reads as all ones */
    if (!r || !r->ops->read) {
        unhandled(bus, "read from", addr, len);
        return false;
    }
    memset(data, 0, len);
    r->ops->read(r->opaque, addr - r->base, data, len);
    return true;
}

bool vmm_bus_write(struct vmm_bus *bus, uint64_t addr, const uint8_t *data,
                   uint32_t len)
{
    const struct vmm_io_region *r = find(bus, addr, len);

    if (!r || !r->ops->write) {
        unhandled(bus, "write to", addr, len);
        return false;
    }
    r->ops->write(r->opaque, addr - r->base, data, len);
    return true;
}

void vmm_guest_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("vireo-vmm: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- device registry ---- */

#define MAX_TYPES 32
static const struct vmm_device_type *types[MAX_TYPES];
static size_t n_types;

void vmm_device_type_register(const struct vmm_device_type *type)
{
    if (n_types < MAX_TYPES)
        types[n_types++] = type;
}

const struct vmm_device_type *vmm_device_type_lookup(const char *name)
{
    for (size_t i = 0; i < n_types; i++)
        if (strcmp(types[i]->name, name) == 0)
            return types[i];
    return NULL;
}

int vmm_machine_init(struct vmm_machine *m, struct vmm_mem *mem,
                     uint32_t n_cpus)
{
    memset(m, 0, sizeof(*m));
    m->mem = mem;
    m->n_cpus = n_cpus;
    m->pio.name = "port";
    m->mmio.name = "MMIO address";
    pthread_mutex_init(&m->dev_lock, NULL);
    return 0;
}

/* what the rate limit held back, said once at the end */
static void unhandled_summary(struct vmm_bus *bus, const char *what)
{
    if (bus->unhandled > 1)
        vmm_guest_log("the guest made %llu accesses to unimplemented %s in "
                      "all, ignored", (unsigned long long)bus->unhandled,
                      what);
}

void vmm_machine_cleanup(struct vmm_machine *m)
{
    unhandled_summary(&m->pio, "ports");
    unhandled_summary(&m->mmio, "MMIO addresses");
    vmm_devices_destroy(m);
    pthread_mutex_destroy(&m->dev_lock);
}

int vmm_devices_create(struct vmm_machine *m)
{
    for (int prio = VMM_PRIO_BUS; prio <= VMM_PRIO_PCI_DEV; prio++) {
        /* registration order is link order; sort by name within a level
         * so that the machine is the same whatever the linker did */
        const struct vmm_device_type *level[MAX_TYPES];
        size_t n = 0;

        for (size_t i = 0; i < n_types; i++)
            if ((int)types[i]->priority == prio)
                level[n++] = types[i];
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 &&
                               strcmp(level[j - 1]->name, level[j]->name) > 0;
                 j--) {
                const struct vmm_device_type *t = level[j];
                level[j] = level[j - 1];
                level[j - 1] = t;
            }
        for (size_t i = 0; i < n; i++) {
            int err = 0;
            void *state;

            if (m->n_devices == VMM_MAX_DEVICES)
                return -ENOSPC;
            state = level[i]->create(m, &err);
            if (!state && err == 0)
                continue; /* not configured for this machine */
            if (!state) {
                fprintf(stderr, "vireo-vmm: cannot create device %s: %s\n",
                        level[i]->name, strerror(-err));
                vmm_devices_destroy(m);
                return err ? err : -EIO;
            }
            m->devices[m->n_devices].type = level[i];
            m->devices[m->n_devices].state = state;
            m->n_devices++;
        }
    }
    return 0;
}

void vmm_devices_destroy(struct vmm_machine *m)
{
    while (m->n_devices > 0) {
        m->n_devices--;
        if (m->devices[m->n_devices].type->destroy)
            m->devices[m->n_devices].type->destroy(
                m, m->devices[m->n_devices].state);
    }
}
