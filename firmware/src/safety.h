/* Safety (PROTOCOL.md "Liveness", "Fault bits", "Safety at reset"): host-silence timeout, per-channel
 * maximum on-time, over-temperature with 5 °C hysteresis, thermistor open/short, and the all-off path
 * every fault takes before it is reported. */
#ifndef GB_SAFETY_H
#define GB_SAFETY_H

#include <stdint.h>

#define FAULT_HOST_TIMEOUT 0x0001
#define FAULT_ON_TIME 0x0002
#define FAULT_OVER_TEMP 0x0004
#define FAULT_THERMISTOR 0x0008
#define FAULT_EVENTS_LOST 0x0010
#define FAULT_BAD_SEQUENCE 0x0020
/* Faults that refuse SET_LEVELS and SEQ_RUN until CLEAR_FAULTS. */
#define FAULTS_BLOCKING (FAULT_HOST_TIMEOUT | FAULT_ON_TIME | FAULT_OVER_TEMP | FAULT_THERMISTOR)

typedef struct {
  uint16_t hostTimeoutMs;
  uint16_t maxOnMs;
  int16_t tempLimitCx100;
} safety_config_t;

extern safety_config_t g_config;
extern uint16_t g_faults;
extern int16_t g_tempCx100;
extern uint16_t g_adcRaw;
extern uint16_t g_levels[24]; /* static levels set by SET_LEVELS (zeros after any all-off) */

/** Emits an event to the host (implemented by main.c through the link layer). */
void rig_emit_event(uint8_t type, const uint8_t *payload, uint8_t len);

/** Power-on defaults; BLANK high and the driver cleared happen in tlc_start(). */
void safety_init(void);
/** A valid frame arrived from the host: restart (and arm) the host-silence timer. */
void safety_host_alive(uint32_t nowMs);
/** Once per millisecond: host silence, on-time, thermistor sampling. */
void safety_tick(uint32_t nowMs);
/** Turns every LED off (BLANK high, levels 0), aborting a running sequence (SEQ_DONE aborted). */
void safety_all_off(void);
/** Raises fault bits: LEDs off first, then a FAULT event for the newly raised bits. */
void safety_raise(uint16_t bits);
/** CLEAR_FAULTS: clears the latch except conditions still present; returns the latch after clearing. */
uint16_t safety_clear(void);
/** 1 if any LED is lit now (BLANK low and a non-zero level latched). */
uint8_t safety_any_lit(void);

#endif
