/*
 * Why bit-banged and not the hardware SPI: simavr 1.6 (Debian's) models the SPI with a fixed 100 µs per
 * byte and, when SPIF is polled with SPIE set, loses the flag after the first byte (the vector stays
 * "pending" and later raises are ignored). The simulated rig must run this very firmware with real timing,
 * so the frame is clocked out on plain GPIO: about 10 cycles per bit, 288 bits ≈ 180 µs, identical on the
 * chip and in the simulator. The TLC5947 clocks SIN on the rising edge of SCLK (30 MHz max).
 */
#include "tlc5947.h"
#include "board.h"
#include <avr/io.h>
#include <util/atomic.h>

static uint8_t s_buf[TLC_BYTES];
static volatile uint8_t s_index = TLC_BYTES; /* next byte to shift; TLC_BYTES = nothing pending */

static void shift_byte_irqoff(void) {
  uint8_t b = s_buf[s_index];
  s_index = (uint8_t)(s_index + 1);
  for (uint8_t i = 0; i < 8; i++) {
    if (b & 0x80) PORTB |= _BV(PIN_MOSI);
    else PORTB &= (uint8_t)~_BV(PIN_MOSI);
    PORTB |= _BV(PIN_SCK);
    b = (uint8_t)(b << 1);
    PORTB &= (uint8_t)~_BV(PIN_SCK);
  }
}

void tlc_start(void) {
  /* BLANK high before anything else: the outputs stay off whatever the driver holds after power-up. */
  DDRD |= _BV(PIN_BLANK);
  BLANK_HIGH();
  PORTB &= (uint8_t)~(_BV(PIN_XLAT) | _BV(PIN_MOSI) | _BV(PIN_SCK));
  DDRB |= _BV(PIN_XLAT) | _BV(PIN_MOSI) | _BV(PIN_SCK);
  tlc_fill_mask(0, 0);
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    tlc_shift_finish_irqoff();
    tlc_latch();
  }
  BLANK_LOW();
}

/* The driver wants 288 bits, channel 23 first, MSB first: pairs (23,22), (21,20), … (1,0), each pair as
 * three bytes hi[11:4], hi[3:0]|lo[11:8], lo[7:0]. */
static void put_pair(uint8_t *p, uint16_t hi, uint16_t lo) {
  p[0] = (uint8_t)(hi >> 4);
  p[1] = (uint8_t)((hi << 4) | (lo >> 8));
  p[2] = (uint8_t)lo;
}

void tlc_fill_mask(uint32_t mask, uint16_t level) {
  /* Runs inside the sequencer interrupt: walk the mask by shifting it (constant 1-bit shifts; a variable
   * 32-bit shift is a loop on the AVR), filling from channel 0, the last three bytes, backwards. */
  level &= 0x0FFF;
  uint8_t *p = s_buf + TLC_BYTES;
  for (uint8_t pair = 0; pair < CHANNELS / 2; pair++) {
    uint16_t lo = (mask & 1) ? level : 0;
    uint16_t hi = (mask & 2) ? level : 0;
    mask >>= 2;
    p -= 3;
    put_pair(p, hi, lo);
  }
  s_index = 0;
}

void tlc_fill_levels(const uint16_t *levels) {
  uint8_t *p = s_buf;
  for (int8_t ch = CHANNELS - 1; ch > 0; ch -= 2) {
    put_pair(p, levels[ch] & 0x0FFF, levels[ch - 1] & 0x0FFF);
    p += 3;
  }
  s_index = 0;
}

uint8_t tlc_shift_pending(void) { return s_index < TLC_BYTES; }

void tlc_shift_some(void) {
  for (;;) {
    uint8_t more = 0;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
      if (s_index < TLC_BYTES) {
        shift_byte_irqoff();
        more = 1;
      }
    }
    if (!more) return;
  }
}

void tlc_shift_finish_irqoff(void) {
  while (s_index < TLC_BYTES) shift_byte_irqoff();
}

void tlc_write_levels_blocking(const uint16_t *levels) {
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    tlc_shift_finish_irqoff(); /* a pre-load still pending is overwritten anyway */
    tlc_fill_levels(levels);
    tlc_shift_finish_irqoff();
    tlc_latch();
  }
}
