/* TLC5947 24-channel 12-bit LED driver: SIN on PB3, SCLK on PB5 (bit-banged, see tlc5947.c for why),
 * XLAT on PB2, BLANK on PD7. The 288-bit frame is shifted one byte per short critical section (about 5 µs
 * with interrupts off), so a running sequence can pre-load the next step's levels from the main loop while
 * its timer interrupts stay on time; the latch (XLAT pulse) is then two instructions. */
#ifndef GB_TLC5947_H
#define GB_TLC5947_H

#include <avr/io.h>
#include <stdint.h>

#define TLC_BYTES 36

/** Configures the pins, drives BLANK high first, then latches 24 zero levels and lowers BLANK. */
void tlc_start(void);

/** Fills the frame buffer for `level` on every channel in `mask` (bit n = channel n), 0 elsewhere, and
 * marks it pending; the previous frame must have been shifted (tlc_shift_pending() == 0). */
void tlc_fill_mask(uint32_t mask, uint16_t level);

/** Fills the frame buffer from 24 levels (channel 0 first) and marks it pending. */
void tlc_fill_levels(const uint16_t *levels);

/** 1 while bytes of the frame buffer remain to be shifted. */
uint8_t tlc_shift_pending(void);

/** Shifts the remaining bytes, one byte per critical section (main loop, interrupts enabled). */
void tlc_shift_some(void);

/** Shifts all remaining bytes at once; call with interrupts disabled (from an ISR). */
void tlc_shift_finish_irqoff(void);

/** Pulses XLAT: the shifted levels reach the outputs. */
static inline void tlc_latch(void) {
  PORTB |= _BV(PB2);
  PORTB &= (uint8_t)~_BV(PB2);
}

/** Fills, shifts and latches levels at once (interrupts off for about 150 µs: never while a sequence
 * runs); BLANK is not touched. */
void tlc_write_levels_blocking(const uint16_t *levels);

#endif
