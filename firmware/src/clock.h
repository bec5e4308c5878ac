/* Time bases: Timer1 free-running at 2 MHz (0.5 µs ticks, extended to 32 bits by its overflow interrupt)
 * for the firmware's µs clock and the sequencer; Timer0 at 1 kHz for the millisecond housekeeping tick. */
#ifndef GB_CLOCK_H
#define GB_CLOCK_H

#include <stdint.h>

extern volatile uint32_t g_t1Overflows;
extern volatile uint32_t g_ms;
extern volatile uint8_t g_msTickPending;

/** Starts Timer1 (prescaler 8) and Timer0 (1 ms compare interrupt). */
void clock_start(void);

/** Timer1 time in 0.5 µs ticks, wrapping at 2^32; call with interrupts disabled. */
uint32_t clock_ticks_irqoff(void);

/** Converts a tick count captured by clock_ticks_irqoff() to the firmware µs clock (wraps at 2^32 µs). */
uint32_t clock_ticks_to_us(uint32_t ticks);

/** Firmware clock in µs (wraps at 2^32); safe with interrupts enabled or disabled. */
uint32_t clock_now_us(void);

/** Millisecond counter; safe with interrupts enabled. */
uint32_t clock_now_ms(void);

#endif
