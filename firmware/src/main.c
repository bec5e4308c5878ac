/* gradebooth LED-rig firmware: ATmega328P @ 16 MHz. Main loop: drain the UART into the frame parser,
 * run the millisecond housekeeping (safety, temperature, events), then sleep until the next interrupt. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <avr/wdt.h>
#include "board.h"
#include "clock.h"
#include "commands.h"
#include "link.h"
#include "nvstore.h"
#include "protocol.h"
#include "safety.h"
#include "sequencer.h"
#include "thermistor.h"
#include "tlc5947.h"
#include "uart.h"

static gb_parser_t s_parser;
static uint32_t s_lastRxMs;
static uint32_t s_lastTempEventMs;
static uint8_t s_statusPhase;

void rig_emit_event(uint8_t type, const uint8_t *payload, uint8_t len) {
  gb_link_push_event(&g_link, type, payload, len);
}

static void send_frame(void *ctx, const uint8_t *frame, uint8_t len) {
  (void)ctx;
  uart_write(frame, len);
}

static void on_frame(void *ctx, const gb_frame_t *f) {
  (void)ctx;
  safety_host_alive(clock_now_ms());
  commands_handle(f);
}

static void on_crc_error(void *ctx, uint8_t seq) {
  (void)ctx;
  commands_nak_crc(seq);
}

static void drain_sequencer(void) {
  seq_record_t r;
  while (seq_pop_record(&r)) {
    uint8_t p[11];
    p[0] = r.step;
    gb_put_u32(p + 1, r.triggerUs);
    gb_put_u16(p + 5, (uint16_t)r.latenessUs);
    gb_put_u32(p + 7, r.onUs);
    rig_emit_event(GB_EV_STEP_DONE, p, 11);
  }
  if (seq_records_lost()) g_link.eventsLost = 1;
  uint8_t steps;
  if (seq_pop_finished(&steps)) {
    uint8_t p[4] = {steps, 0, (uint8_t)g_faults, (uint8_t)(g_faults >> 8)};
    rig_emit_event(GB_EV_SEQ_DONE, p, 4);
  }
}

static void housekeeping(uint32_t nowMs) {
  safety_tick(nowMs);
  uint8_t lostBefore = g_link.eventsLost;
  gb_link_poll(&g_link, (uint16_t)nowMs);
  if (g_link.eventsLost && !lostBefore) safety_raise(FAULT_EVENTS_LOST);
  uint32_t period = safety_any_lit() ? 1000 : 10000;
  if (nowMs - s_lastTempEventMs >= period && g_adcRaw != 0) {
    s_lastTempEventMs = nowMs;
    uint8_t p[4];
    gb_put_u16(p, (uint16_t)g_tempCx100);
    gb_put_u16(p + 2, g_adcRaw);
    rig_emit_event(GB_EV_TEMPERATURE, p, 4);
  }
  if (s_parser.n && nowMs - s_lastRxMs > GB_INTERBYTE_TIMEOUT_MS) {
    gb_parser_expire(&s_parser);
    s_lastRxMs = nowMs;
  }
  /* Status LED: steady on when healthy, blinking (256 ms on, 256 ms off) while a blocking fault is latched. */
  uint8_t on = (g_faults & FAULTS_BLOCKING) ? (uint8_t)((nowMs >> 8) & 1) : 1;
  if (on != s_statusPhase) {
    s_statusPhase = on;
    if (on) PORTD |= _BV(PIN_STATUS);
    else PORTD &= (uint8_t)~_BV(PIN_STATUS);
  }
}

int main(void) {
  /* LEDs off before anything else: BLANK high, then zero levels latched (PROTOCOL.md "Safety at reset"). */
  PORTD |= _BV(PIN_BLANK);
  DDRD |= _BV(PIN_BLANK);
  uint8_t cause = MCUSR;
  MCUSR = 0;
  wdt_disable(); /* after a watchdog reset it stays on at its shortest period */
  tlc_start();
  DDRB |= _BV(PIN_TRIGGER);
  TRIGGER_LOW();
  DDRD |= _BV(PIN_STATUS);
  g_boot.resetCause = (uint8_t)(cause & 0x0F);
  g_boot.bootId = nv_boot();
  safety_init();
  gb_link_init(&g_link, send_frame, 0);
  gb_parser_init(&s_parser, on_frame, on_crc_error, 0);
  clock_start();
  thermistor_start();
  uart_start();
  set_sleep_mode(SLEEP_MODE_IDLE);
  /* A hung main loop resets the MCU, and a reset switches the LEDs off. The loop runs at least every
   * millisecond (Timer0); the longest blocking step is a 60-byte EEPROM write (~200 ms). */
  wdt_enable(WDTO_500MS);
  sei();
  {
    uint8_t p[4];
    gb_put_u16(p, g_boot.bootId);
    p[2] = g_boot.resetCause;
    p[3] = GB_PROTOCOL_VERSION;
    rig_emit_event(GB_EV_BOOT, p, 4);
  }
  for (;;) {
    wdt_reset();
    uint8_t b;
    while (uart_read(&b)) {
      s_lastRxMs = clock_now_ms();
      gb_parser_feed(&s_parser, &b, 1);
    }
    if (g_msTickPending) {
      g_msTickPending = 0;
      housekeeping(clock_now_ms());
    }
    drain_sequencer();
    tlc_shift_some();
    /* Sleep only if nothing is pending, checked with interrupts off; SEI's one-instruction delay makes
     * SLEEP run before any interrupt, and a pending interrupt then wakes the CPU at once. Never
     * "cli; if (idle) { sei; continue; }": an interrupt-less window keeps the RX interrupt out. */
    cli();
    if (!uart_rx_pending() && !g_msTickPending && !tlc_shift_pending()) {
      sleep_enable();
      sei();
      sleep_cpu();
      sleep_disable();
    }
    sei();
  }
}
