/* Capture sequence runner (PROTOCOL.md "Sequence steps" and "Running"). Timer1's compare-A interrupt
 * schedules every edge in 0.5 µs ticks; the interrupt is armed a few µs early and then waits for the exact
 * tick, so an edge is late only by the instructions between the timer read and the pin write (plus any
 * interrupt that was running when it fell due). The next step's levels are shifted into the TLC5947
 * between edges, so a step change is a single XLAT pulse. */
#ifndef GB_SEQUENCER_H
#define GB_SEQUENCER_H

#include <stdint.h>
#include "board.h"

#define SEQ_STEP_BYTES 15

typedef struct {
  uint8_t step;
  uint32_t triggerUs;  /* firmware µs clock at the trigger's rising edge */
  int16_t latenessUs;  /* actual minus scheduled rising edge */
  uint32_t onUs;       /* from the step's latch to the latch that ended it; 0 for a dark step */
} seq_record_t;

/** Latched channel mask (bit n = channel n lit) and its level, maintained by the sequencer and by the
 * static-level commands; read by the safety checks and STATUS. */
extern volatile uint32_t g_litMask;
extern volatile uint16_t g_litLevel;

/** Empties the sequence. */
void seq_clear(void);
/** Loads n steps (15 bytes each) at index; returns 0 or a NAK reason; *count = contiguous steps from 0. */
uint8_t seq_load(uint8_t index, const uint8_t *data, uint8_t n, uint8_t *count);
/** Number of contiguous steps loaded from step 0. */
uint8_t seq_count(void);
/** 1 when the loaded sequence can run (steps loaded, every triggerUs ≤ exposureUs). */
uint8_t seq_valid(void);
/** Starts the sequence; step 0 latches about 50 µs later, at *startUs (firmware µs clock). */
void seq_run(uint32_t *startUs);
/** 1 while a sequence runs. */
uint8_t seq_running(void);
/** Index of the step being executed, 0xFF when idle. */
uint8_t seq_current_step(void);
/** Stops a running sequence (trigger low; the caller switches the LEDs off); returns steps completed. */
uint8_t seq_abort(void);
/** Takes the next finished-step record from the interrupt; returns 1 if there was one. */
uint8_t seq_pop_record(seq_record_t *r);
/** Returns 1 once after a sequence completed all its steps (LEDs off), with the step count. */
uint8_t seq_pop_finished(uint8_t *steps);
/** 1 if a record was lost because the main loop did not drain them in time. */
uint8_t seq_records_lost(void);

#endif
