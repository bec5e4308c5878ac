#include "uart.h"
#include <avr/interrupt.h>
#include <avr/io.h>

#define RX_SIZE 128
#define TX_SIZE 96

static volatile uint8_t s_rx[RX_SIZE];
static volatile uint8_t s_rxHead, s_rxTail;
static volatile uint8_t s_tx[TX_SIZE];
static volatile uint8_t s_txHead, s_txTail;
volatile uint16_t g_uartOverruns;

ISR(USART_RX_vect) {
  uint8_t b = UDR0;
  uint8_t next = (uint8_t)(s_rxHead + 1);
  if (next == RX_SIZE) next = 0; /* no modulo: a division costs ~200 cycles per byte on the AVR */
  if (next == s_rxTail) {
    g_uartOverruns++;
    return;
  }
  s_rx[s_rxHead] = b;
  s_rxHead = next;
}

ISR(USART_UDRE_vect) {
  if (s_txHead == s_txTail) {
    UCSR0B &= (uint8_t)~_BV(UDRIE0);
    return;
  }
  UDR0 = s_tx[s_txTail];
  uint8_t next = (uint8_t)(s_txTail + 1);
  s_txTail = next == TX_SIZE ? 0 : next;
}

void uart_start(void) {
  UBRR0H = 0;
  UBRR0L = 3; /* 16 MHz / (16 × 4) = 250000 baud exactly */
  UCSR0A = 0;
  UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
  UCSR0B = _BV(RXEN0) | _BV(TXEN0) | _BV(RXCIE0);
}

uint8_t uart_read(uint8_t *byte) {
  if (s_rxHead == s_rxTail) return 0;
  *byte = s_rx[s_rxTail];
  uint8_t next = (uint8_t)(s_rxTail + 1);
  s_rxTail = next == RX_SIZE ? 0 : next;
  return 1;
}

uint8_t uart_rx_pending(void) { return s_rxHead != s_rxTail; }

void uart_write(const uint8_t *data, uint8_t n) {
  while (n--) {
    uint8_t next = (uint8_t)(s_txHead + 1);
    if (next == TX_SIZE) next = 0;
    while (next == s_txTail) {
      /* Ring full: the UDRE interrupt drains it (interrupts are enabled in the main loop). */
    }
    s_tx[s_txHead] = *data++;
    s_txHead = next;
    UCSR0B |= _BV(UDRIE0);
  }
}
