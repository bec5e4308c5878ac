#include "safety.h"
#include "board.h"
#include "protocol.h"
#include "sequencer.h"
#include "thermistor.h"
#include "tlc5947.h"
#include <avr/io.h>
#include <util/atomic.h>

safety_config_t g_config;
uint16_t g_faults;
int16_t g_tempCx100;
uint16_t g_adcRaw;
uint16_t g_levels[24];

static uint8_t s_hostArmed;
static uint32_t s_lastHostMs;
static uint32_t s_prevLit;
static uint16_t s_litSinceMs[24]; /* low 16 bits of the ms clock; maxOnMs < 65536 */
static uint8_t s_adcBusy;
static uint8_t s_adcPeriod;
static uint8_t s_haveTemp;

#define ADC_PERIOD_MS 100
#define HYSTERESIS_CX100 500

void safety_init(void) {
  g_config.hostTimeoutMs = 1500;
  g_config.maxOnMs = 5000;
  g_config.tempLimitCx100 = 7000;
  g_faults = 0;
  g_tempCx100 = THERM_INVALID_CX100;
  g_adcRaw = 0;
  s_hostArmed = 0;
  s_prevLit = 0;
  s_haveTemp = 0;
}

void safety_host_alive(uint32_t nowMs) {
  s_lastHostMs = nowMs;
  s_hostArmed = 1;
}

uint8_t safety_any_lit(void) { return !BLANK_IS_HIGH() && g_litMask != 0; }

void safety_all_off(void) {
  BLANK_HIGH();
  if (seq_running()) {
    uint8_t done = seq_abort();
    uint8_t p[4] = {done, 1, (uint8_t)g_faults, (uint8_t)(g_faults >> 8)};
    rig_emit_event(GB_EV_SEQ_DONE, p, 4);
  }
  for (uint8_t i = 0; i < 24; i++) g_levels[i] = 0;
  tlc_write_levels_blocking(g_levels);
  g_litMask = 0;
}

void safety_raise(uint16_t bits) {
  uint16_t fresh = (uint16_t)(bits & ~g_faults);
  if (!fresh) return;
  /* Latch first so that the SEQ_DONE sent by the all-off already carries the fault. */
  g_faults |= fresh;
  safety_all_off();
  uint8_t p[6];
  gb_put_u16(p, fresh);
  gb_put_u16(p + 2, g_faults);
  gb_put_u16(p + 4, (uint16_t)g_tempCx100);
  rig_emit_event(GB_EV_FAULT, p, 6);
}

uint16_t safety_clear(void) {
  uint16_t keep = 0;
  if ((g_faults & FAULT_OVER_TEMP) &&
      (!s_haveTemp || g_tempCx100 == THERM_INVALID_CX100 ||
       g_tempCx100 >= g_config.tempLimitCx100 - HYSTERESIS_CX100))
    keep |= FAULT_OVER_TEMP;
  if (!s_haveTemp || thermistor_faulty(g_adcRaw)) keep |= g_faults & FAULT_THERMISTOR;
  g_faults = keep;
  return g_faults;
}

static void check_on_time(uint32_t nowMs) {
  uint32_t lit = safety_any_lit() ? g_litMask : 0;
  uint32_t fresh = lit & ~s_prevLit;
  /* Constant 1-bit shifts: a variable 32-bit shift is a loop on the AVR, and this runs every ms. */
  uint32_t bit = 1;
  for (uint8_t ch = 0; ch < 24; ch++, bit <<= 1) {
    if (!((lit | fresh) & bit)) continue;
    if (fresh & bit) s_litSinceMs[ch] = (uint16_t)nowMs;
    if ((lit & bit) && (uint16_t)((uint16_t)nowMs - s_litSinceMs[ch]) > g_config.maxOnMs) {
      safety_raise(FAULT_ON_TIME);
      lit = 0;
      break;
    }
  }
  s_prevLit = lit;
}

static void sample_temperature(void) {
  if (s_adcBusy) {
    uint16_t raw;
    if (!thermistor_done(&raw)) return;
    s_adcBusy = 0;
    g_adcRaw = raw;
    g_tempCx100 = thermistor_cx100(raw);
    s_haveTemp = 1;
    if (thermistor_faulty(raw)) {
      safety_raise(FAULT_THERMISTOR);
    } else if (g_tempCx100 > g_config.tempLimitCx100) {
      safety_raise(FAULT_OVER_TEMP);
    }
    return;
  }
  if (++s_adcPeriod >= ADC_PERIOD_MS) {
    s_adcPeriod = 0;
    thermistor_begin();
    s_adcBusy = 1;
  }
}

void safety_tick(uint32_t nowMs) {
  if (s_hostArmed && nowMs - s_lastHostMs > g_config.hostTimeoutMs) {
    /* One timeout per silence: the next valid frame re-arms the timer. */
    s_hostArmed = 0;
    safety_raise(FAULT_HOST_TIMEOUT);
  }
  check_on_time(nowMs);
  sample_temperature();
}
