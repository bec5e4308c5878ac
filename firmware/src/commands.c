#include "commands.h"
#include "board.h"
#include "nvstore.h"
#include "safety.h"
#include "sequencer.h"
#include "clock.h"
#include "tlc5947.h"

boot_info_t g_boot;
gb_link_t g_link;

#define CAP_SEQUENCE 0x01
#define CAP_THERMISTOR 0x02
#define CAP_GEOMETRY 0x04
#define CAP_SLEEP 0x08

static uint8_t s_out[GB_MAX_PAYLOAD];

static void nak(uint8_t seq, uint8_t reason) {
  uint8_t p[2] = {reason, seq};
  gb_link_respond(&g_link, seq, GB_NAK, p, 2);
}

void commands_nak_crc(uint8_t seq) {
  uint8_t p[2] = {GB_NAK_BAD_CRC, seq};
  uint8_t frame[8];
  /* Not remembered as a response: the command was never executed. */
  uint8_t n = gb_frame_encode(frame, seq, GB_NAK, p, 2);
  g_link.send(g_link.ctx, frame, n);
}

static uint8_t build_identify(void) {
  uint8_t *p = s_out;
  p[0] = 0;
  p[1] = GB_PROTOCOL_VERSION;
  p[2] = FW_MAJOR;
  p[3] = FW_MINOR;
  p[4] = FW_PATCH;
  p[5] = CHANNELS;
  p[6] = MAX_STEPS;
  p[7] = GB_MAX_PAYLOAD;
  gb_put_u16(p + 8, CAP_SEQUENCE | CAP_THERMISTOR | CAP_GEOMETRY | CAP_SLEEP);
  gb_put_u32(p + 10, F_CPU);
  gb_put_u16(p + 14, g_boot.bootId);
  p[16] = g_boot.resetCause;
  nv_read_serial(p + 17);
  gb_put_u16(p + 33, NV_GEOMETRY_BYTES);
  return 35;
}

static uint8_t build_status(void) {
  uint8_t *p = s_out;
  uint8_t running = seq_running();
  p[0] = 0;
  p[1] = (g_faults & FAULTS_BLOCKING) ? 2 : running ? 1 : 0;
  gb_put_u16(p + 2, g_faults);
  p[4] = (uint8_t)((BLANK_IS_HIGH() ? 1 : 0) | (g_link.eventsLost ? 2 : 0));
  gb_put_u16(p + 5, (uint16_t)g_tempCx100);
  gb_put_u16(p + 7, g_adcRaw);
  p[9] = seq_count();
  p[10] = seq_current_step();
  gb_put_u32(p + 11, clock_now_us());
  gb_put_u16(p + 15, g_config.hostTimeoutMs);
  gb_put_u16(p + 17, g_config.maxOnMs);
  gb_put_u16(p + 19, (uint16_t)g_config.tempLimitCx100);
  uint16_t lv[24];
  uint32_t mask = g_litMask;
  for (uint8_t i = 0; i < 24; i++) lv[i] = running ? ((mask >> i) & 1 ? g_litLevel : 0) : g_levels[i];
  gb_pack_levels(p + 21, lv);
  return 57;
}

static uint8_t exact(const gb_frame_t *f, uint8_t len) { return f->len == len; }

void commands_handle(const gb_frame_t *f) {
  const uint8_t *a = f->payload;
  uint8_t seq = f->seq;
  if (f->type == GB_EVENT_ACK) {
    if (f->len == 1) gb_link_ack_event(&g_link, a[0]);
    return;
  }
  if (gb_link_resend_if_duplicate(&g_link, seq)) return;
  uint8_t rtype = (uint8_t)(f->type | GB_RESPONSE_BIT);
  uint8_t n = 1;
  s_out[0] = 0;
  switch (f->type) {
    case GB_CMD_IDENTIFY:
      if (!exact(f, 0)) goto bad_length;
      n = build_identify();
      break;
    case GB_CMD_PING:
      if (!exact(f, 0)) goto bad_length;
      gb_put_u32(s_out + 1, clock_now_us());
      n = 5;
      break;
    case GB_CMD_SET_LEVELS: {
      if (!exact(f, 36)) goto bad_length;
      if (seq_running()) return nak(seq, GB_NAK_BUSY);
      if (g_faults & FAULTS_BLOCKING) return nak(seq, GB_NAK_FAULT_ACTIVE);
      gb_unpack_levels(g_levels, a);
      uint32_t mask = 0;
      for (uint8_t i = 0; i < 24; i++)
        if (g_levels[i]) mask |= (uint32_t)1 << i;
      tlc_write_levels_blocking(g_levels);
      g_litMask = mask;
      BLANK_LOW();
      break;
    }
    case GB_CMD_ALL_OFF:
      if (!exact(f, 0)) goto bad_length;
      safety_all_off();
      break;
    case GB_CMD_GET_STATUS:
      if (!exact(f, 0)) goto bad_length;
      n = build_status();
      break;
    case GB_CMD_SEQ_CLEAR:
      if (!exact(f, 0)) goto bad_length;
      if (seq_running()) return nak(seq, GB_NAK_BUSY);
      seq_clear();
      break;
    case GB_CMD_SEQ_LOAD: {
      if (f->len < 1 + SEQ_STEP_BYTES || (f->len - 1) % SEQ_STEP_BYTES != 0) goto bad_length;
      if (seq_running()) return nak(seq, GB_NAK_BUSY);
      uint8_t count;
      uint8_t r = seq_load(a[0], a + 1, (uint8_t)((f->len - 1) / SEQ_STEP_BYTES), &count);
      if (r) return nak(seq, r);
      s_out[1] = count;
      n = 2;
      break;
    }
    case GB_CMD_SEQ_RUN: {
      if (!exact(f, 0)) goto bad_length;
      if (seq_running()) return nak(seq, GB_NAK_BUSY);
      if (g_faults & FAULTS_BLOCKING) return nak(seq, GB_NAK_FAULT_ACTIVE);
      if (!seq_valid()) {
        safety_raise(FAULT_BAD_SEQUENCE);
        return nak(seq, GB_NAK_BAD_ARG);
      }
      uint32_t startUs;
      for (uint8_t i = 0; i < 24; i++) g_levels[i] = 0;
      seq_run(&startUs);
      s_out[1] = seq_count();
      gb_put_u32(s_out + 2, startUs);
      n = 6;
      break;
    }
    case GB_CMD_SEQ_ABORT:
      if (!exact(f, 0)) goto bad_length;
      if (seq_running()) safety_all_off();
      break;
    case GB_CMD_CLEAR_FAULTS:
      if (!exact(f, 0)) goto bad_length;
      g_link.eventsLost = 0;
      gb_put_u16(s_out + 1, safety_clear());
      n = 3;
      break;
    case GB_CMD_SET_CONFIG: {
      if (!exact(f, 6)) goto bad_length;
      if (seq_running()) return nak(seq, GB_NAK_BUSY);
      uint16_t timeout = gb_get_u16(a), maxOn = gb_get_u16(a + 2);
      int16_t limit = (int16_t)gb_get_u16(a + 4);
      if (timeout < 100 || timeout > 60000 || maxOn == 0 || limit < -4000 || limit > 15000)
        return nak(seq, GB_NAK_BAD_ARG);
      g_config.hostTimeoutMs = timeout;
      g_config.maxOnMs = maxOn;
      g_config.tempLimitCx100 = limit;
      break;
    }
    case GB_CMD_SET_SERIAL:
      if (!exact(f, NV_SERIAL_BYTES)) goto bad_length;
      /* EEPROM writes take 3.4 ms per byte on the chip and would starve the sequence's pre-loading. */
      if (seq_running()) return nak(seq, GB_NAK_BUSY);
      nv_write_serial(a);
      break;
    case GB_CMD_GEOMETRY_WRITE: {
      if (f->len < 3 || f->len > 62) goto bad_length;
      if (seq_running()) return nak(seq, GB_NAK_BUSY);
      uint16_t off = gb_get_u16(a);
      uint8_t len = (uint8_t)(f->len - 2);
      if ((uint32_t)off + len > NV_GEOMETRY_BYTES) return nak(seq, GB_NAK_BAD_ARG);
      nv_write_geometry(off, a + 2, len);
      break;
    }
    case GB_CMD_GEOMETRY_READ: {
      if (!exact(f, 3)) goto bad_length;
      uint16_t off = gb_get_u16(a);
      uint8_t len = a[2];
      if (len < 1 || len > 60 || (uint32_t)off + len > NV_GEOMETRY_BYTES) return nak(seq, GB_NAK_BAD_ARG);
      nv_read_geometry(off, s_out + 1, len);
      n = (uint8_t)(1 + len);
      break;
    }
    default:
      return nak(seq, GB_NAK_UNKNOWN_TYPE);
  }
  gb_link_respond(&g_link, seq, rtype, s_out, n);
  return;
bad_length:
  nak(seq, GB_NAK_BAD_LENGTH);
}
