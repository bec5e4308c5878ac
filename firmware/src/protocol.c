/* Frame encoding, CRC and the resynchronising stream parser (see protocol.h and PROTOCOL.md). */
#include "protocol.h"

uint16_t gb_crc16(const uint8_t *data, uint16_t n, uint16_t crc) {
  /* Byte-wise CRC-CCITT (polynomial 0x1021, MSB first) without a table or a bit loop: about 20 AVR
   * instructions per byte instead of ~100. */
  while (n--) {
    crc = (uint16_t)((crc >> 8) | (crc << 8));
    crc ^= *data++;
    crc ^= (uint8_t)(crc & 0xFF) >> 4;
    crc ^= (uint16_t)(crc << 12);
    crc ^= (uint16_t)((crc & 0xFF) << 5);
  }
  return crc;
}

uint8_t gb_frame_encode(uint8_t *out, uint8_t seq, uint8_t type, const uint8_t *payload, uint8_t len) {
  out[0] = GB_SYNC;
  out[1] = len;
  out[2] = seq;
  out[3] = type;
  for (uint8_t i = 0; i < len; i++) out[4 + i] = payload[i];
  uint16_t crc = gb_crc16(out + 1, (uint16_t)(3 + len), 0xFFFF);
  out[4 + len] = (uint8_t)(crc >> 8);
  out[5 + len] = (uint8_t)crc;
  return (uint8_t)(len + GB_FRAME_OVERHEAD);
}

void gb_parser_init(gb_parser_t *p, gb_frame_cb onFrame, gb_crc_error_cb onCrcError, void *ctx) {
  p->n = 0;
  p->crcErrors = 0;
  p->garbageBytes = 0;
  p->onFrame = onFrame;
  p->onCrcError = onCrcError;
  p->ctx = ctx;
}

static void drop_front(gb_parser_t *p, uint8_t k) {
  for (uint8_t i = k; i < p->n; i++) p->buf[i - k] = p->buf[i];
  p->n = (uint8_t)(p->n - k);
}

/* Consumes as much of the buffer as possible: whole frames are delivered, garbage and bad frames dropped
 * one SYNC at a time so that a frame hidden after a false SYNC is still found. */
static void scan(gb_parser_t *p) {
  for (;;) {
    uint8_t skip = 0;
    while (skip < p->n && p->buf[skip] != GB_SYNC) skip++;
    if (skip) {
      p->garbageBytes = (uint16_t)(p->garbageBytes + skip);
      drop_front(p, skip);
    }
    if (p->n < 2) return;
    uint8_t len = p->buf[1];
    if (len > GB_MAX_PAYLOAD) {
      p->garbageBytes++;
      drop_front(p, 1);
      continue;
    }
    uint8_t total = (uint8_t)(len + GB_FRAME_OVERHEAD);
    if (p->n < total) return;
    uint16_t crc = gb_crc16(p->buf + 1, (uint16_t)(3 + len), 0xFFFF);
    uint16_t got = (uint16_t)(((uint16_t)p->buf[4 + len] << 8) | p->buf[5 + len]);
    if (crc != got) {
      p->crcErrors++;
      p->garbageBytes++;
      uint8_t seq = p->buf[2];
      drop_front(p, 1);
      if (p->onCrcError) p->onCrcError(p->ctx, seq);
      continue;
    }
    gb_frame_t f;
    f.seq = p->buf[2];
    f.type = p->buf[3];
    f.len = len;
    f.payload = p->buf + 4;
    if (p->onFrame) p->onFrame(p->ctx, &f);
    drop_front(p, total);
  }
}

void gb_parser_feed(gb_parser_t *p, const uint8_t *data, uint16_t n) {
  while (n--) {
    /* The buffer never holds more than one maximal frame: scan() always consumes a full frame. */
    p->buf[p->n++] = *data++;
    scan(p);
  }
}

void gb_parser_expire(gb_parser_t *p) {
  if (p->n == 0) return;
  p->garbageBytes++;
  drop_front(p, 1);
  scan(p);
}

void gb_pack_levels(uint8_t *out, const uint16_t *lv) {
  for (uint8_t i = 0; i < 12; i++) {
    uint16_t a = lv[2 * i] & 0x0FFF, b = lv[2 * i + 1] & 0x0FFF;
    out[3 * i] = (uint8_t)a;
    out[3 * i + 1] = (uint8_t)((a >> 8) | ((b & 0x0F) << 4));
    out[3 * i + 2] = (uint8_t)(b >> 4);
  }
}

void gb_unpack_levels(uint16_t *lv, const uint8_t *in) {
  for (uint8_t i = 0; i < 12; i++) {
    lv[2 * i] = (uint16_t)(in[3 * i] | ((uint16_t)(in[3 * i + 1] & 0x0F) << 8));
    lv[2 * i + 1] = (uint16_t)((in[3 * i + 1] >> 4) | ((uint16_t)in[3 * i + 2] << 4));
  }
}
