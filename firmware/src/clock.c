#include "clock.h"
#include <avr/interrupt.h>
#include <avr/io.h>
#include <util/atomic.h>

volatile uint32_t g_t1Overflows;
volatile uint32_t g_ms;
volatile uint8_t g_msTickPending;
/* Bits 16..31 of the overflow count, kept so a 32-bit tick value still maps onto the 32-bit µs clock
 * (ticks wrap every 2^32 × 0.5 µs, the µs clock every 2^32 µs). */
static volatile uint16_t s_overflowHigh;

ISR(TIMER1_OVF_vect) {
  g_t1Overflows++;
}

ISR(TIMER0_COMPA_vect) {
  g_ms++;
  g_msTickPending = 1;
}

void clock_start(void) {
  TCCR1A = 0;
  TCCR1B = _BV(CS11); /* clk/8 = 2 MHz */
  TCNT1 = 0;
  TIFR1 = _BV(TOV1) | _BV(OCF1A) | _BV(OCF1B);
  TIMSK1 = _BV(TOIE1);
  TCCR0A = _BV(WGM01); /* CTC */
  OCR0A = 249;         /* 16 MHz / 64 / 250 = 1 kHz */
  TCCR0B = _BV(CS01) | _BV(CS00);
  TIMSK0 = _BV(OCIE0A);
}

static uint32_t overflows_irqoff(uint16_t *tcnt) {
  uint16_t t = TCNT1;
  uint32_t ovf = g_t1Overflows;
  /* An overflow that happened after we entered a critical section is not counted yet. */
  if ((TIFR1 & _BV(TOV1)) && t < 0x8000) ovf++;
  *tcnt = t;
  return ovf;
}

uint32_t clock_ticks_irqoff(void) {
  uint16_t t;
  uint32_t ovf = overflows_irqoff(&t);
  s_overflowHigh = (uint16_t)(ovf >> 16);
  return (ovf << 16) | t;
}

uint32_t clock_ticks_to_us(uint32_t ticks) {
  /* µs = overflows × 32768 + tcnt / 2, where the overflow count's high half comes from the last read. */
  return ((uint32_t)s_overflowHigh << 31) + (ticks >> 1);
}

uint32_t clock_now_us(void) {
  uint16_t t;
  uint32_t ovf;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { ovf = overflows_irqoff(&t); }
  return (ovf << 15) + (t >> 1);
}

uint32_t clock_now_ms(void) {
  uint32_t v;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { v = g_ms; }
  return v;
}
