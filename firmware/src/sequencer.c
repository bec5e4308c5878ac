#include "sequencer.h"
#include "clock.h"
#include "protocol.h"
#include "tlc5947.h"
#include <avr/interrupt.h>
#include <avr/io.h>
#include <util/atomic.h>

volatile uint32_t g_litMask;
volatile uint16_t g_litLevel;

static uint8_t s_steps[MAX_STEPS][SEQ_STEP_BYTES];
static uint8_t s_loaded[(MAX_STEPS + 7) / 8];

enum { PH_LATCH, PH_RISE, PH_FALL };
/* The compare interrupt fires this many ticks (32 µs) before an edge and waits for the exact tick, so its
 * own entry (~6 µs) and a late start behind another interrupt or a critical section are absorbed. */
#define LEAD_TICKS 64
/* The next frame is filled (about 20 µs in the interrupt) only with this much room before the next edge. */
#define PRELOAD_ROOM_TICKS 160

static volatile uint8_t s_running;
static volatile uint8_t s_step;
static uint8_t s_nSteps;
static uint8_t s_phase;
static uint8_t s_preloadStarted;
static volatile uint8_t s_completed;
static uint32_t s_t0;   /* scheduled latch tick of the current step */
static uint32_t s_next; /* scheduled tick of the next edge */
static uint32_t s_latchTick;
static uint32_t s_riseUs;
static int16_t s_riseLateUs;
static uint8_t s_prevLit;

#define RECORDS 8
static seq_record_t s_records[RECORDS];
static volatile uint8_t s_recHead, s_recCount, s_recLost;
static volatile uint8_t s_finished, s_finishedSteps;

static uint32_t step_mask(const uint8_t *s) { return (uint32_t)s[0] | ((uint32_t)s[1] << 8) | ((uint32_t)s[2] << 16); }
static uint16_t step_level(const uint8_t *s) { return gb_get_u16(s + 3); }
static uint32_t step_settle(const uint8_t *s) { return gb_get_u32(s + 5); }
static uint16_t step_trigger(const uint8_t *s) { return gb_get_u16(s + 9); }
static uint32_t step_exposure(const uint8_t *s) { return gb_get_u32(s + 11); }

void seq_clear(void) {
  for (uint8_t i = 0; i < sizeof s_loaded; i++) s_loaded[i] = 0;
}

uint8_t seq_count(void) {
  uint8_t n = 0;
  while (n < MAX_STEPS && (s_loaded[n >> 3] & (1 << (n & 7)))) n++;
  return n;
}

uint8_t seq_load(uint8_t index, const uint8_t *data, uint8_t n, uint8_t *count) {
  if ((uint16_t)index + n > MAX_STEPS) return GB_NAK_BAD_ARG;
  for (uint8_t i = 0; i < n; i++) {
    const uint8_t *s = data + (uint16_t)i * SEQ_STEP_BYTES;
    uint32_t exposure = step_exposure(s);
    if (step_level(s) > 4095 || step_settle(s) > 4000000UL || step_trigger(s) == 0 || exposure == 0 ||
        exposure > 4000000UL)
      return GB_NAK_BAD_ARG;
  }
  for (uint8_t i = 0; i < n; i++) {
    uint8_t k = (uint8_t)(index + i);
    for (uint8_t b = 0; b < SEQ_STEP_BYTES; b++) s_steps[k][b] = data[(uint16_t)i * SEQ_STEP_BYTES + b];
    s_loaded[k >> 3] |= (uint8_t)(1 << (k & 7));
  }
  *count = seq_count();
  return 0;
}

uint8_t seq_valid(void) {
  uint8_t n = seq_count();
  if (n == 0) return 0;
  for (uint8_t i = 0; i < n; i++)
    if (step_trigger(s_steps[i]) > step_exposure(s_steps[i])) return 0;
  return 1;
}

static void preload(uint8_t index) {
  if (index < s_nSteps)
    tlc_fill_mask(step_mask(s_steps[index]), step_level(s_steps[index]));
  else
    tlc_fill_mask(0, 0);
  /* The main loop shifts it out byte by byte; the latch finishes whatever is left. */
  s_preloadStarted = 1;
}

static void push_record(uint8_t step, uint32_t onUs) {
  if (s_recCount == RECORDS) {
    s_recLost = 1;
    return;
  }
  seq_record_t *r = &s_records[(uint8_t)(s_recHead + s_recCount) % RECORDS];
  r->step = step;
  r->triggerUs = s_riseUs;
  r->latenessUs = s_riseLateUs;
  r->onUs = onUs;
  s_recCount++;
}

/* Book-keeping after the edge of the current phase happened at tick t (the pin was already written);
 * returns 0 when the sequence is over. Called with interrupts off. */
static uint8_t after_edge(uint32_t t) {
  const uint8_t *s = s_steps[s_step < s_nSteps ? s_step : 0];
  switch (s_phase) {
    case PH_LATCH: {
      if (s_step > 0) {
        push_record((uint8_t)(s_step - 1), s_prevLit ? (t - s_latchTick) >> 1 : 0);
        s_completed = s_step;
      }
      s_latchTick = t;
      s_preloadStarted = 0;
      if (s_step >= s_nSteps) {
        BLANK_HIGH();
        g_litMask = 0;
        TIMSK1 &= (uint8_t)~_BV(OCIE1A);
        s_running = 0;
        s_finished = 1;
        s_finishedSteps = s_nSteps;
        return 0;
      }
      uint32_t mask = step_mask(s);
      uint16_t level = step_level(s);
      s_prevLit = mask != 0 && level != 0;
      g_litLevel = level;
      g_litMask = s_prevLit ? mask : 0;
      s_phase = PH_RISE;
      s_next = s_t0 + (step_settle(s) << 1);
      return 1;
    }
    case PH_RISE:
      s_riseUs = clock_ticks_to_us(t);
      s_riseLateUs = (int16_t)((int32_t)(t - s_next) >> 1); /* arithmetic shift: no division call */
      s_phase = PH_FALL;
      s_next += (uint32_t)step_trigger(s) << 1;
      return 1;
    default:
      s_phase = PH_LATCH;
      s_t0 += (step_settle(s) + step_exposure(s)) << 1;
      s_next = s_t0;
      s_step++;
      return 1;
  }
}

ISR(TIMER1_COMPA_vect) {
  for (;;) {
    int32_t d = (int32_t)(s_next - clock_ticks_irqoff());
    if (d > LEAD_TICKS + 16) {
      if (!s_preloadStarted && d > PRELOAD_ROOM_TICKS) {
        /* After the trigger fell, s_step already names the step to latch next. */
        preload(s_phase == PH_LATCH ? s_step : (uint8_t)(s_step + 1));
        d = (int32_t)(s_next - clock_ticks_irqoff());
      }
      if (d > LEAD_TICKS + 16) {
        /* No TIFR1 write to drop a stale OCF1A (a spurious entry is harmless): in simavr 1.6 that write
         * also drops a pending Timer1 overflow, and the µs clock would lose 32.768 ms. */
        OCR1A = (uint16_t)(s_next - LEAD_TICKS);
        /* Armed in time? Otherwise fall through and wait here. */
        if ((int32_t)(s_next - clock_ticks_irqoff()) > LEAD_TICKS + 8) return;
      }
    }
    /* Final approach: the frame must already be in the driver's shift register, then spin on the 16-bit
     * counter (a few cycles per turn) and write the pin first, so the edge lands within a cycle or two. */
    /* Edges due at the same tick (trigger fall with the switch-off when triggerUs = exposureUs, rise with
     * the latch when settleUs = 0) are written together, before any book-keeping. */
    uint8_t edges = 1;
    uint8_t latch = s_phase == PH_LATCH;
    uint8_t next = s_step;
    if (s_phase == PH_FALL && step_trigger(s_steps[s_step]) == step_exposure(s_steps[s_step])) {
      latch = 1;
      next = (uint8_t)(s_step + 1);
      edges++;
    }
    uint8_t riseToo = 0;
    if (latch) {
      if (!s_preloadStarted) preload(next);
      tlc_shift_finish_irqoff();
      riseToo = next < s_nSteps && step_settle(s_steps[next]) == 0;
      edges += riseToo;
    }
    uint16_t target = (uint16_t)s_next;
    uint16_t at;
    do {
      at = TCNT1; /* the tick the edges are written in: the pins follow within a few cycles */
    } while ((int16_t)(at - target) < 0);
    if (s_phase == PH_RISE) TRIGGER_HIGH();
    if (s_phase == PH_FALL) TRIGGER_LOW();
    if (latch) tlc_latch();
    if (riseToo) TRIGGER_HIGH();
    uint32_t t = s_next + (uint32_t)(int32_t)(int16_t)(at - target);
    while (edges--)
      if (!after_edge(t)) return;
  }
}

void seq_run(uint32_t *startUs) {
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    s_nSteps = seq_count();
    s_step = 0;
    s_completed = 0;
    s_phase = PH_LATCH;
    s_recHead = 0;
    s_recCount = 0;
    s_recLost = 0;
    s_finished = 0;
    tlc_shift_finish_irqoff();
    preload(0);
    tlc_shift_finish_irqoff();
    s_t0 = clock_ticks_irqoff() + 100;
    *startUs = clock_ticks_to_us(s_t0);
    s_next = s_t0;
    BLANK_LOW();
    s_running = 1;
    OCR1A = (uint16_t)(s_next - LEAD_TICKS);
    TIMSK1 |= _BV(OCIE1A);
  }
}

uint8_t seq_running(void) { return s_running; }

uint8_t seq_current_step(void) {
  uint8_t step = 0xFF;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    /* After its trigger fell, a step still runs until its switch-off (the next latch). */
    if (s_running) step = (s_phase == PH_LATCH && s_step > 0) ? (uint8_t)(s_step - 1) : s_step;
  }
  return step;
}

uint8_t seq_abort(void) {
  uint8_t done;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    TIMSK1 &= (uint8_t)~_BV(OCIE1A);
    TRIGGER_LOW();
    s_running = 0;
    s_finished = 0;
    done = s_completed;
  }
  return done;
}

uint8_t seq_pop_record(seq_record_t *r) {
  uint8_t ok = 0;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    if (s_recCount) {
      *r = s_records[s_recHead];
      s_recHead = (uint8_t)((s_recHead + 1) % RECORDS);
      s_recCount--;
      ok = 1;
    }
  }
  return ok;
}

uint8_t seq_pop_finished(uint8_t *steps) {
  uint8_t ok = 0;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    if (s_finished && s_recCount == 0) {
      s_finished = 0;
      *steps = s_finishedSteps;
      ok = 1;
    }
  }
  return ok;
}

uint8_t seq_records_lost(void) {
  uint8_t v = s_recLost;
  s_recLost = 0;
  return v;
}
