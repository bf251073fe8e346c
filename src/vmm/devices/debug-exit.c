/* debug-exit.c: QEMU's isa-debug-exit at port 0xf4.
 *
 * A write of V ends the VM with exit status (V << 1) | 1, so test guests
 * can hand a verdict to whoever started the VMM.
 */
#include <errno.h>
#include <stdlib.h>

#include "vmm-machine.h"

#define DEBUG_EXIT_PORT 0xf4

struct debug_exit {
    struct vmm_machine *m;
};

static void debug_exit_write(void *opaque, uint64_t off, const uint8_t *data,
                             uint32_t len)
{
    struct debug_exit *d = opaque;
    uint32_t v = 0;

    for (uint32_t i = 0; i < len && i < 4; i++)
        v |= (uint32_t)data[i] << (8 * i);
    vmm_machine_event(d->m, VMM_EVENT_EXIT, (int)(((v << 1) | 1) & 0xff));
}

static const struct vmm_io_ops debug_exit_ops = {
    .write = debug_exit_write,
};

static void *debug_exit_create(struct vmm_machine *m, int *err)
{
    struct debug_exit *d = calloc(1, sizeof(*d));

    if (!d) {
        *err = -ENOMEM;
        return NULL;
    }
    d->m = m;
    *err = vmm_bus_register(&m->pio, DEBUG_EXIT_PORT, 4, &debug_exit_ops, d,
                            "debug-exit");
    if (*err) {
        free(d);
        return NULL;
    }
    return d;
}

static void debug_exit_destroy(struct vmm_machine *m, void *state)
{
    vmm_bus_unregister(&m->pio, DEBUG_EXIT_PORT, state);
    free(state);
}

static const struct vmm_device_type debug_exit_type = {
    .name = "debug-exit",
    .priority = VMM_PRIO_PLATFORM,
    .create = debug_exit_create,
    .destroy = debug_exit_destroy,
};
VMM_DEVICE_REGISTER(debug_exit_type)
