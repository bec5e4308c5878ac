/* UART0 at 250000 baud 8N1: receive interrupt into a ring, transmit ring drained by the UDRE interrupt. */
#ifndef GB_UART_H
#define GB_UART_H

#include <stdint.h>

void uart_start(void);
/** Takes one received byte; returns 0 when none is waiting. */
uint8_t uart_read(uint8_t *byte);
/** 1 when received bytes are waiting (call with interrupts disabled before sleeping). */
uint8_t uart_rx_pending(void);
/** Queues bytes for sending; waits (interrupts enabled) while the ring is full. */
void uart_write(const uint8_t *data, uint8_t n);
/** Bytes lost because the receive ring was full. */
extern volatile uint16_t g_uartOverruns;

#endif
