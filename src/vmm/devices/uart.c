/* uart.c: 16550A UART with 16-byte FIFOs, interrupt-driven.
 *
 * Transmission is instantaneous: a byte written to THR goes straight to
 * the back-end, so the transmitter is always empty and THRE interrupts
 * follow every write.  Received bytes wait in a 16-byte FIFO; bytes the
 * FIFO cannot take stay with the back-end (vmm_uart_receive returns how
 * many it took), so nothing typed is lost.
 */
#include "devices/uart.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm-machine.h"

enum {
    REG_RBR_THR = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3,
    REG_MCR = 4, REG_LSR = 5, REG_MSR = 6, REG_SCR = 7,
};

#define IER_RDA 0x01
#define IER_THRE 0x02
#define IER_RLS 0x04
#define IER_MSI 0x08

#define IIR_NONE 0x01
#define IIR_MSI 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_RLS 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

struct vmm_uart {
    struct vmm_machine *m;
    uint8_t ier, lcr, mcr, lsr, msr, scr, fcr, dll, dlm;
    bool thre_pending;
    int irq_level;
    uint8_t rx[VMM_UART_FIFO];
    unsigned rx_head, rx_count;
};

static unsigned trigger_level(const struct vmm_uart *u)
{
    static const unsigned levels[] = {1, 4, 8, 14};

    if (!(u->fcr & FCR_ENABLE))
        return 1;
    return levels[u->fcr >> 6];
}

static uint8_t pending_iir(const struct vmm_uart *u)
{
    if ((u->ier & IER_RLS) && (u->lsr & LSR_OE))
        return IIR_RLS;
    if ((u->ier & IER_RDA) && u->rx_count) {
        /* below the trigger level the chip reports a character timeout
         * after four character times; we report it at once */
        return u->rx_count >= trigger_level(u) ? IIR_RDA : IIR_TIMEOUT;
    }
    if ((u->ier & IER_THRE) && u->thre_pending)
        return IIR_THRE;
    if ((u->ier & IER_MSI) && (u->msr & 0x0f))
        return IIR_MSI;
    return IIR_NONE;
}

static void update_irq(struct vmm_uart *u)
{
    /* on PCs, OUT2 gates the interrupt line */
    int level = pending_iir(u) != IIR_NONE && (u->mcr & MCR_OUT2);

    if (level != u->irq_level) {
        u->irq_level = level;
        vmm_irq_set(u->m, VMM_UART_IRQ, level);
    }
}

static bool rx_push(struct vmm_uart *u, uint8_t byte)
{
    unsigned cap = (u->fcr & FCR_ENABLE) ? VMM_UART_FIFO : 1;

    if (u->rx_count >= cap) {
        u->lsr |= LSR_OE;
        return false;
    }
    u->rx[(u->rx_head + u->rx_count) % VMM_UART_FIFO] = byte;
    u->rx_count++;
    u->lsr |= LSR_DR;
    return true;
}

static uint8_t rx_pop(struct vmm_uart *u)
{
    uint8_t byte;

    if (!u->rx_count)
        return 0;
    byte = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1) % VMM_UART_FIFO;
    u->rx_count--;
    if (!u->rx_count)
        u->lsr &= ~LSR_DR;
    return byte;
}

static void transmit(struct vmm_uart *u, uint8_t byte)
{
    if (u->mcr & MCR_LOOP)
        rx_push(u, byte);
    else if (u->m->serial_out)
        u->m->serial_out(u->m->serial_opaque, &byte, 1);
    u->thre_pending = true;
}

static uint8_t loop_msr(const struct vmm_uart *u)
{
    /* loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
    uint8_t msr = u->msr & 0x0f;

    if (u->mcr & MCR_DTR)
        msr |= MSR_DSR;
    if (u->mcr & MCR_RTS)
        msr |= MSR_CTS;
    if (u->mcr & MCR_OUT1)
        msr |= MSR_RI;
    if (u->mcr & MCR_OUT2)
        msr |= MSR_DCD;
    return msr;
}

static void uart_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
    struct vmm_uart *u = opaque;
    uint8_t v = 0;

    if (len != 1)
        return; /* 16550 registers are bytes; wider reads see zeros */
    switch (off) {
    case REG_RBR_THR:
        v = (u->lcr & LCR_DLAB) ? u->dll : rx_pop(u);
        break;
    case REG_IER:
        v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
        break;
    case REG_IIR_FCR:
        v = pending_iir(u);
        /* reading IIR acknowledges a THRE interrupt */
        if (v == IIR_THRE)
            u->thre_pending = false;
        if (u->fcr & FCR_ENABLE)
            v |= IIR_FIFO;
        break;
    case REG_LCR:
        v = u->lcr;
        break;
    case REG_MCR:
        v = u->mcr;
        break;
    case REG_LSR:
        v = u->lsr | LSR_THRE | LSR_TEMT;
        u->lsr &= ~LSR_OE; /* read clears the error bits */
        break;
    case REG_MSR:
        v = (u->mcr & MCR_LOOP) ? loop_msr(u) : (u->msr | MSR_DCD | MSR_DSR |
                                                 MSR_CTS);
        u->msr &= ~0x0f; /* delta bits clear on read */
        break;
    case REG_SCR:
        v = u->scr;
        break;
    }
    data[0] = v;
    update_irq(u);
}

static void uart_write(void *opaque, uint64_t off, const uint8_t *data,
                       uint32_t len)
{
    struct vmm_uart *u = opaque;
    uint8_t v = data[0];

    if (len != 1)
        return;
    switch (off) {
    case REG_RBR_THR:
        if (u->lcr & LCR_DLAB)
            u->dll = v;
        else
            transmit(u, v);
        break;
    case REG_IER:
        if (u->lcr & LCR_DLAB) {
            u->dlm = v;
        } else {
            /* enabling THRE with an empty transmitter raises it at once */
            if (!(u->ier & IER_THRE) && (v & IER_THRE))
                u->thre_pending = true;
            u->ier = v & 0x0f;
        }
        break;
    case REG_IIR_FCR:
        if ((v & FCR_ENABLE) != (u->fcr & FCR_ENABLE) || (v & FCR_CLEAR_RX)) {
            /* toggling FIFO mode also empties the FIFOs */
            u->rx_head = u->rx_count = 0;
            u->lsr &= ~LSR_DR;
        }
        u->fcr = v & 0xc1;
        break;
    case REG_LCR:
        u->lcr = v;
        break;
    case REG_MCR:
        u->mcr = v & 0x1f;
        break;
    case REG_LSR:
    case REG_MSR:
        break; /* read-only */
    case REG_SCR:
        u->scr = v;
        break;
    }
    update_irq(u);
}

static const struct vmm_io_ops uart_ops = {
    .read = uart_read,
    .write = uart_write,
};

size_t vmm_uart_receive(struct vmm_machine *m, const uint8_t *buf, size_t len)
{
    struct vmm_uart *u = m->uart;
    size_t n = 0;

    if (!u)
        return len; /* no UART: nobody will ever read it */
    pthread_mutex_lock(&m->dev_lock);
    /* in loopback the line is disconnected from the outside */
    if (!(u->mcr & MCR_LOOP)) {
        unsigned cap = (u->fcr & FCR_ENABLE) ? VMM_UART_FIFO : 1;

        while (n < len && u->rx_count < cap && rx_push(u, buf[n]))
            n++;
        update_irq(u);
    }
    pthread_mutex_unlock(&m->dev_lock);
    return n;
}

size_t vmm_uart_rx_room(struct vmm_machine *m)
{
    struct vmm_uart *u = m->uart;
    size_t room;

    if (!u)
        return 0;
    pthread_mutex_lock(&m->dev_lock);
    room = ((u->fcr & FCR_ENABLE) ? VMM_UART_FIFO : 1) - u->rx_count;
    if (u->mcr & MCR_LOOP)
        room = 0;
    pthread_mutex_unlock(&m->dev_lock);
    return room;
}

static void *uart_create(struct vmm_machine *m, int *err)
{
    struct vmm_uart *u = calloc(1, sizeof(*u));

    if (!u) {
        *err = -ENOMEM;
        return NULL;
    }
    u->m = m;
    u->dll = 12; /* 9600 baud */
    u->lcr = 0x03;
    *err = vmm_bus_register(&m->pio, VMM_UART_BASE, 8, &uart_ops, u, "uart");
    if (*err) {
        free(u);
        return NULL;
    }
    m->uart = u;
    return u;
}

static void uart_destroy(struct vmm_machine *m, void *state)
{
    vmm_bus_unregister(&m->pio, VMM_UART_BASE, state);
    m->uart = NULL;
    free(state);
}

static const struct vmm_device_type uart_type = {
    .name = "uart",
    .priority = VMM_PRIO_PLATFORM,
    .create = uart_create,
    .destroy = uart_destroy,
};
VMM_DEVICE_REGISTER(uart_type)
