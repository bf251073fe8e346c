/* uart.h: 16550A UART (COM1 at 0x3f8, IRQ 4). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define VMM_UART_BASE 0x3f8
#define VMM_UART_IRQ 4
#define VMM_UART_FIFO 16

struct vmm_machine;
struct vmm_uart;

/* Queue bytes from the back-end for the guest to read.  Returns how many
 * were taken (the receive FIFO holds 16; the rest is for the caller to
 * retry once the guest drained it).  Takes the device lock. */
size_t vmm_uart_receive(struct vmm_machine *m, const uint8_t *buf, size_t len);
/* Room left in the receive FIFO. */
size_t vmm_uart_rx_room(struct vmm_machine *m);
