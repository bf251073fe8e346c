/* post.c: the POST diagnostic port 0x80.
 *
 * Firmware writes progress codes there and Linux and many guests write
 * it as an I/O delay; a PC ignores it, and so do we (the last code is
 * kept and reads back, as on boards with a POST display).
 */
#include <errno.h>
#include <stdlib.h>

#include "vmm-machine.h"

#define POST_PORT 0x80

struct post {
    uint8_t code;
};

static void post_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
    struct post *p = opaque;

    data[0] = p->code;
}

static void post_write(void *opaque, uint64_t off, const uint8_t *data,
                       uint32_t len)
{
    struct post *p = opaque;

    p->code = data[0];
}

static const struct vmm_io_ops post_ops = {
    .read = post_read,
    .write = post_write,
};

static void *post_create(struct vmm_machine *m, int *err)
{
    struct post *p = calloc(1, sizeof(*p));

    if (!p) {
        *err = -ENOMEM;
        return NULL;
    }
    *err = vmm_bus_register(&m->pio, POST_PORT, 1, &post_ops, p, "post");
    if (*err) {
        free(p);
        return NULL;
    }
    return p;
}

static void post_destroy(struct vmm_machine *m, void *state)
{
    vmm_bus_unregister(&m->pio, POST_PORT, state);
    free(state);
}

static const struct vmm_device_type post_type = {
    .name = "post",
    .priority = VMM_PRIO_PLATFORM,
    .create = post_create,
    .destroy = post_destroy,
};
VMM_DEVICE_REGISTER(post_type)
