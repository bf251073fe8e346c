/* i8042.c: the PC keyboard controller, its keyboard and PS/2 mouse.
 *
 * Data port 0x60, status/command port 0x64.  The keyboard speaks scan
 * code set 2 (or set 1 if the guest asks for it) and the controller
 * translates to set 1 while the command byte's translate bit is set, as
 * PCs do; mouse bytes are standard 3-byte PS/2 packets.  A pulse of output line 0 (command
 * 0xfe, or writing the output port with bit 0 clear) resets the machine.
 */
#include "devices/i8042.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "devices/scancode.h"
#include "vmm-machine.h"

#define DATA_PORT 0x60
#define CMD_PORT 0x64

#define STS_OBF 0x01
#define STS_SYS 0x04
#define STS_CMD 0x08
#define STS_UNLOCKED 0x10
#define STS_AUX_OBF 0x20

#define CB_KBD_INT 0x01
#define CB_AUX_INT 0x02
#define CB_SYS 0x04
#define CB_KBD_OFF 0x10
#define CB_AUX_OFF 0x20
#define CB_XLATE 0x40

#define ACK 0xfa
#define RESEND 0xfe

struct queue {
    uint8_t buf[VMM_I8042_QUEUE];
    unsigned head, count;
};

struct vmm_i8042 {
    struct vmm_machine *m;
    uint8_t status, cmdbyte, outport;
    uint8_t out;         /* the output buffer */
    bool out_aux;        /* ...holds a mouse byte */
    uint8_t pending_cmd; /* controller command waiting for its data byte */
    uint8_t kbd_cmd;     /* keyboard command waiting for its argument */
    uint8_t aux_cmd;     /* mouse command waiting for its argument */
    bool kbd_enabled, aux_reporting;
    int scanset;         /* 1 or 2 */
    bool xlate_break;    /* translation saw 0xf0 */
    uint8_t leds;        /* bit 0 Scroll, 1 Num, 2 Caps Lock */
    uint8_t keys_down[VMM_KEY_MAX / 8];
    uint8_t aux_rate, aux_resolution, aux_scaling;
    uint8_t aux_rates[3];  /* the last sample rates set: 200, 100, 80 */
    bool aux_wheel;        /* ...turned it into an IntelliMouse (ID 3) */
    int kbd_irq, aux_irq;
    struct queue kbd, aux;
};

static bool push(struct queue *q, uint8_t v)
{
    if (q->count == VMM_I8042_QUEUE)
        return false;
    q->buf[(q->head + q->count) % VMM_I8042_QUEUE] = v;
    q->count++;
    return true;
}

static uint8_t pop(struct queue *q)
{
    uint8_t v = q->buf[q->head];

    q->head = (q->head + 1) % VMM_I8042_QUEUE;
    q->count--;
    return v;
}

static void update(struct vmm_i8042 *k)
{
    int kbd = 0, aux = 0;

    /* refill the output buffer; the keyboard goes first */
    if (!(k->status & STS_OBF)) {
        if (k->kbd.count && !(k->cmdbyte & CB_KBD_OFF)) {
            k->out = pop(&k->kbd);
            k->out_aux = false;
            k->status |= STS_OBF;
            k->status &= ~STS_AUX_OBF;
        } else if (k->aux.count && !(k->cmdbyte & CB_AUX_OFF)) {
            k->out = pop(&k->aux);
            k->out_aux = true;
            k->status |= STS_OBF | STS_AUX_OBF;
        }
    }
    if (k->status & STS_OBF) {
        if (k->out_aux)
            aux = (k->cmdbyte & CB_AUX_INT) != 0;
        else
            kbd = (k->cmdbyte & CB_KBD_INT) != 0;
    }
    if (kbd != k->kbd_irq) {
        k->kbd_irq = kbd;
        vmm_irq_set(k->m, VMM_I8042_KBD_IRQ, kbd);
    }
    if (aux != k->aux_irq) {
        k->aux_irq = aux;
        vmm_irq_set(k->m, VMM_I8042_AUX_IRQ, aux);
    }
}

/* a reply byte from the controller or a device; a full queue drops it,
 * as the real devices do when the host never reads */
static void reply(struct vmm_i8042 *k, struct queue *q, uint8_t v)
{
    (void)k;
    push(q, v);
}

/* a byte from the keyboard: through the controller's translation */
static void kbd_send(struct vmm_i8042 *k, uint8_t v)
{
    int out = v;

    if (k->cmdbyte & CB_XLATE)
        out = vmm_scancode_translate(v, &k->xlate_break);
    if (out >= 0)
        push(&k->kbd, (uint8_t)out);
}

static void kbd_write(struct vmm_i8042 *k, uint8_t v)
{
    if (k->kbd_cmd) {
        /* argument of LED (0xed), scan code set (0xf0), typematic (0xf3) */
        uint8_t cmd = k->kbd_cmd;

        k->kbd_cmd = 0;
        kbd_send(k, ACK);
        if (cmd == 0xed) {
            k->leds = v & 7;
        } else if (cmd == 0xf0 && v == 0) {
            kbd_send(k, (uint8_t)k->scanset);
        } else if (cmd == 0xf0 && (v == 1 || v == 2)) {
            k->scanset = v;
        } else if (cmd == 0xf0) {
            vmm_guest_log("i8042: the guest asked for scan code set %u; the "
                          "keyboard stays in set %d", v, k->scanset);
        }
        return;
    }
    switch (v) {
    case 0xed:
    case 0xf0:
    case 0xf3:
        k->kbd_cmd = v;
        kbd_send(k, ACK);
        break;
    case 0xee: /* echo */
        kbd_send(k, 0xee);
        break;
    case 0xf2: /* identify: MF2 keyboard (ab 41 through translation) */
        kbd_send(k, ACK);
        kbd_send(k, 0xab);
        kbd_send(k, 0x83);
        break;
    case 0xf4:
        k->kbd_enabled = true;
        kbd_send(k, ACK);
        break;
    case 0xf5:
        k->kbd_enabled = false;
        kbd_send(k, ACK);
        break;
    case 0xf6:
        k->kbd_enabled = true;
        kbd_send(k, ACK);
        break;
    case 0xff: /* reset and self-test: back to set 2, LEDs off */
        k->kbd.count = 0;
        k->kbd_enabled = true;
        k->scanset = 2;
        k->leds = 0;
        memset(k->keys_down, 0, sizeof(k->keys_down));
        kbd_send(k, ACK);
        kbd_send(k, 0xaa);
        break;
    default:
        kbd_send(k, RESEND);
        break;
    }
}

static void aux_write(struct vmm_i8042 *k, uint8_t v)
{
    if (k->aux_cmd) {
        if (k->aux_cmd == 0xf3) {
            k->aux_rate = v;
            k->aux_rates[0] = k->aux_rates[1];
            k->aux_rates[1] = k->aux_rates[2];
            k->aux_rates[2] = v;
            /* the IntelliMouse knock: 200, 100, 80 enables the wheel */
            if (k->aux_rates[0] == 200 && k->aux_rates[1] == 100 && v == 80)
                k->aux_wheel = true;
        }
        else if (k->aux_cmd == 0xe8)
            k->aux_resolution = v & 3;
        k->aux_cmd = 0;
        reply(k, &k->aux, ACK);
        return;
    }
    switch (v) {
    case 0xe6:
    case 0xe7:
        k->aux_scaling = v == 0xe7 ? 2 : 1;
        reply(k, &k->aux, ACK);
        break;
    case 0xe8:
    case 0xf3:
        k->aux_cmd = v;
        reply(k, &k->aux, ACK);
        break;
    case 0xe9: /* status request */
        reply(k, &k->aux, ACK);
        reply(k, &k->aux, (k->aux_reporting ? 0x20 : 0) |
                              (k->aux_scaling == 2 ? 0x10 : 0));
        reply(k, &k->aux, k->aux_resolution);
        reply(k, &k->aux, k->aux_rate);
        break;
    case 0xf2: /* get ID: standard mouse, or IntelliMouse once knocked */
        reply(k, &k->aux, ACK);
        reply(k, &k->aux, k->aux_wheel ? 0x03 : 0x00);
        break;
    case 0xf4:
        k->aux_reporting = true;
        reply(k, &k->aux, ACK);
        break;
    case 0xf5:
        k->aux_reporting = false;
        reply(k, &k->aux, ACK);
        break;
    case 0xf6:
        k->aux_reporting = false;
        k->aux_rate = 100;
        k->aux_resolution = 2;
        reply(k, &k->aux, ACK);
        break;
    case 0xff:
        k->aux.count = 0;
        k->aux_reporting = false;
        k->aux_wheel = false;
        k->aux_rate = 100;
        k->aux_resolution = 2;
        reply(k, &k->aux, ACK);
        reply(k, &k->aux, 0xaa);
        reply(k, &k->aux, 0x00);
        break;
    default:
        reply(k, &k->aux, RESEND);
        break;
    }
}

static void reset_line(struct vmm_i8042 *k)
{
    vmm_machine_event(k->m, VMM_EVENT_RESET, 0);
}

static void controller_cmd(struct vmm_i8042 *k, uint8_t v)
{
    switch (v) {
    case 0x20:
        reply(k, &k->kbd, k->cmdbyte);
        break;
    case 0x60: /* write command byte */
    case 0xd1: /* write output port */
    case 0xd2: /* write keyboard output buffer */
    case 0xd3: /* write mouse output buffer */
    case 0xd4: /* write to mouse */
        k->pending_cmd = v;
        break;
    case 0xa7:
        k->cmdbyte |= CB_AUX_OFF;
        break;
    case 0xa8:
        k->cmdbyte &= ~CB_AUX_OFF;
        break;
    case 0xa9: /* test mouse port: OK */
    case 0xab: /* test keyboard port: OK */
        reply(k, &k->kbd, 0x00);
        break;
    case 0xaa: /* self-test */
        k->status |= STS_SYS;
        reply(k, &k->kbd, 0x55);
        break;
    case 0xad:
        k->cmdbyte |= CB_KBD_OFF;
        break;
    case 0xae:
        k->cmdbyte &= ~CB_KBD_OFF;
        break;
    case 0xd0:
        reply(k, &k->kbd, k->outport);
        break;
    default:
        if (v >= 0xf0) {
            /* pulse output lines: bits clear are pulsed; line 0 is reset */
            if (!(v & 1))
                reset_line(k);
        } else {
            vmm_guest_log("i8042: unknown controller command 0x%02x ignored",
                          v);
        }
        break;
    }
}

static void data_write(struct vmm_i8042 *k, uint8_t v)
{
    uint8_t cmd = k->pending_cmd;

    k->pending_cmd = 0;
    switch (cmd) {
    case 0x60:
        k->cmdbyte = v;
        if (v & CB_SYS)
            k->status |= STS_SYS;
        break;
    case 0xd1:
        k->outport = v;
        if (!(v & 1))
            reset_line(k);
        break;
    case 0xd2:
        reply(k, &k->kbd, v);
        break;
    case 0xd3:
        reply(k, &k->aux, v);
        break;
    case 0xd4:
        aux_write(k, v);
        break;
    default:
        kbd_write(k, v);
        break;
    }
}

static void data_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
    struct vmm_i8042 *k = opaque;

    data[0] = k->out;
    k->status &= ~(STS_OBF | STS_AUX_OBF);
    /* The line drops when the byte is taken, before the next one is
     * loaded: every byte is an edge for the (edge-triggered) PIC. */
    if (k->kbd_irq) {
        k->kbd_irq = 0;
        vmm_irq_set(k->m, VMM_I8042_KBD_IRQ, 0);
    }
    if (k->aux_irq) {
        k->aux_irq = 0;
        vmm_irq_set(k->m, VMM_I8042_AUX_IRQ, 0);
    }
    update(k);
}

static void data_port_write(void *opaque, uint64_t off, const uint8_t *data,
                            uint32_t len)
{
    struct vmm_i8042 *k = opaque;

    k->status &= ~STS_CMD;
    data_write(k, data[0]);
    update(k);
}

static void status_read(void *opaque, uint64_t off, uint8_t *data,
                        uint32_t len)
{
    struct vmm_i8042 *k = opaque;

    data[0] = k->status | STS_UNLOCKED;
}

static void cmd_write(void *opaque, uint64_t off, const uint8_t *data,
                      uint32_t len)
{
    struct vmm_i8042 *k = opaque;

    k->status |= STS_CMD;
    controller_cmd(k, data[0]);
    update(k);
}

static const struct vmm_io_ops data_ops = {
    .read = data_read,
    .write = data_port_write,
};

static const struct vmm_io_ops cmd_ops = {
    .read = status_read,
    .write = cmd_write,
};

int vmm_i8042_inject_scancodes(struct vmm_machine *m, const uint8_t *codes,
                               size_t len)
{
    struct vmm_i8042 *k = m->i8042;
    int err = 0;

    if (!k)
        return -ENODEV;
    pthread_mutex_lock(&m->dev_lock);
    if (len > VMM_I8042_QUEUE - k->kbd.count) {
        err = -ENOSPC;
    } else if (k->kbd_enabled) {
        for (size_t i = 0; i < len; i++)
            push(&k->kbd, codes[i]);
        update(k);
    }
    pthread_mutex_unlock(&m->dev_lock);
    return err;
}

static bool key_is_down(const struct vmm_i8042 *k, unsigned key)
{
    return k->keys_down[key / 8] & (1u << (key % 8));
}

int vmm_i8042_key(struct vmm_machine *m, unsigned key, bool down)
{
    struct vmm_i8042 *k = m->i8042;
    uint8_t bytes[VMM_SCANCODE_MAX];
    unsigned mods = 0;
    size_t n;
    int err = 0;

    if (!k)
        return -ENODEV;
    if (!vmm_key_valid(key))
        return -EINVAL;
    pthread_mutex_lock(&m->dev_lock);
    if (key_is_down(k, 0x2a) || key_is_down(k, 0x36))
        mods |= VMM_KEYMOD_SHIFT;
    if (key_is_down(k, 0x1d) || key_is_down(k, VMM_KEY_E0 | 0x1d))
        mods |= VMM_KEYMOD_CTRL;
    if (key_is_down(k, 0x38) || key_is_down(k, VMM_KEY_E0 | 0x38))
        mods |= VMM_KEYMOD_ALT;
    n = vmm_scancode_encode(key, down, mods, k->scanset, bytes);
    /* translation only ever shortens: n bytes always fit in n slots */
    if (n > VMM_I8042_QUEUE - k->kbd.count) {
        err = -ENOSPC;
    } else if (k->kbd_enabled) {
        if (down)
            k->keys_down[key / 8] |= (uint8_t)(1u << (key % 8));
        else
            k->keys_down[key / 8] &= (uint8_t)~(1u << (key % 8));
        for (size_t i = 0; i < n; i++)
            kbd_send(k, bytes[i]);
        update(k);
    }
    pthread_mutex_unlock(&m->dev_lock);
    return err;
}

unsigned vmm_i8042_leds(struct vmm_machine *m)
{
    unsigned leds = 0;

    pthread_mutex_lock(&m->dev_lock);
    if (m->i8042)
        leds = m->i8042->leds;
    pthread_mutex_unlock(&m->dev_lock);
    return leds;
}

int vmm_i8042_inject_mouse(struct vmm_machine *m, int dx, int dy,
                           unsigned buttons)
{
    return vmm_i8042_inject_mouse_wheel(m, dx, dy, 0, buttons);
}

int vmm_i8042_inject_mouse_wheel(struct vmm_machine *m, int dx, int dy,
                                 int dz, unsigned buttons)
{
    struct vmm_i8042 *k = m->i8042;
    unsigned len;
    int err = 0;

    if (!k)
        return -ENODEV;
    dx = dx < -255 ? -255 : dx > 255 ? 255 : dx;
    dy = dy < -255 ? -255 : dy > 255 ? 255 : dy;
    dz = dz < -8 ? -8 : dz > 7 ? 7 : dz;
    pthread_mutex_lock(&m->dev_lock);
    len = k->aux_wheel ? 4 : 3;
    if (k->aux.count + len > VMM_I8042_QUEUE) {
        err = -ENOSPC;
    } else if (k->aux_reporting) {
        push(&k->aux, (uint8_t)(0x08 | (buttons & 7) | (dx < 0 ? 0x10 : 0) |
                                (dy < 0 ? 0x20 : 0)));
        push(&k->aux, (uint8_t)dx);
        push(&k->aux, (uint8_t)dy);
        if (k->aux_wheel)
            push(&k->aux, (uint8_t)(dz & 0x0f)); /* 4-bit, two's complement */
        update(k);
    }
    pthread_mutex_unlock(&m->dev_lock);
    return err;
}

static void *i8042_create(struct vmm_machine *m, int *err)
{
    struct vmm_i8042 *k = calloc(1, sizeof(*k));

    if (!k) {
        *err = -ENOMEM;
        return NULL;
    }
    k->m = m;
    k->cmdbyte = CB_KBD_INT | CB_AUX_INT | CB_XLATE;
    k->outport = 0x01 | 0x02; /* reset line high, A20 on */
    k->kbd_enabled = true;
    k->scanset = 2;
    k->aux_rate = 100;
    k->aux_resolution = 2;
    k->aux_scaling = 1;
    if ((*err = vmm_bus_register(&m->pio, DATA_PORT, 1, &data_ops, k,
                                 "i8042-data")) ||
        (*err = vmm_bus_register(&m->pio, CMD_PORT, 1, &cmd_ops, k,
                                 "i8042-cmd"))) {
        vmm_bus_unregister(&m->pio, DATA_PORT, k);
        free(k);
        return NULL;
    }
    m->i8042 = k;
    return k;
}

static void i8042_destroy(struct vmm_machine *m, void *state)
{
    vmm_bus_unregister(&m->pio, DATA_PORT, state);
    vmm_bus_unregister(&m->pio, CMD_PORT, state);
    m->i8042 = NULL;
    free(state);
}

static const struct vmm_device_type i8042_type = {
    .name = "i8042",
    .priority = VMM_PRIO_PLATFORM,
    .create = i8042_create,
    .destroy = i8042_destroy,
};
VMM_DEVICE_REGISTER(i8042_type)
