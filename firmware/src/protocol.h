/*
 * Frame layer of the gradebooth rig protocol (firmware/PROTOCOL.md): CRC16, frame encoding and a
 * streaming parser that resynchronises after garbage. Pure C (no AVR headers) so that the same code is
 * unit-tested on the host against firmware/protocol-vectors.json.
 */
#ifndef GB_PROTOCOL_H
#define GB_PROTOCOL_H

#include <stdint.h>

#define GB_PROTOCOL_VERSION 1
#define GB_SYNC 0xA5
#define GB_MAX_PAYLOAD 64
#define GB_FRAME_OVERHEAD 6
#define GB_MAX_FRAME (GB_MAX_PAYLOAD + GB_FRAME_OVERHEAD)
#define GB_INTERBYTE_TIMEOUT_MS 20

/* Type codes. */
enum {
  GB_CMD_IDENTIFY = 0x01,
  GB_CMD_PING = 0x02,
  GB_CMD_SET_LEVELS = 0x03,
  GB_CMD_ALL_OFF = 0x04,
  GB_CMD_GET_STATUS = 0x05,
  GB_CMD_SEQ_CLEAR = 0x06,
  GB_CMD_SEQ_LOAD = 0x07,
  GB_CMD_SEQ_RUN = 0x08,
  GB_CMD_SEQ_ABORT = 0x09,
  GB_CMD_CLEAR_FAULTS = 0x0A,
  GB_CMD_SET_CONFIG = 0x0B,
  GB_CMD_SET_SERIAL = 0x0C,
  GB_CMD_GEOMETRY_WRITE = 0x0D,
  GB_CMD_GEOMETRY_READ = 0x0E,
  GB_EVENT_ACK = 0x40,
  GB_RESPONSE_BIT = 0x80,
  GB_EV_BOOT = 0xC0,
  GB_EV_STEP_DONE = 0xC1,
  GB_EV_SEQ_DONE = 0xC2,
  GB_EV_FAULT = 0xC3,
  GB_EV_TEMPERATURE = 0xC4,
  GB_NAK = 0xFF
};

/* NAK reasons. */
enum {
  GB_NAK_BAD_CRC = 1,
  GB_NAK_UNKNOWN_TYPE = 2,
  GB_NAK_BAD_LENGTH = 3,
  GB_NAK_BUSY = 4,
  GB_NAK_BAD_ARG = 5,
  GB_NAK_FAULT_ACTIVE = 6
};

/** CRC-16/CCITT-FALSE of n bytes, continuing from crc (start with 0xFFFF). */
uint16_t gb_crc16(const uint8_t *data, uint16_t n, uint16_t crc);

/** Encodes one frame into out (room for len + 6 bytes); returns the frame length in bytes. */
uint8_t gb_frame_encode(uint8_t *out, uint8_t seq, uint8_t type, const uint8_t *payload, uint8_t len);

/** A decoded frame; payload points into the parser's buffer and is valid only during the callback. */
typedef struct {
  uint8_t seq;
  uint8_t type;
  uint8_t len;
  const uint8_t *payload;
} gb_frame_t;

typedef struct gb_parser gb_parser_t;

/** Called for every frame with a good CRC. */
typedef void (*gb_frame_cb)(void *ctx, const gb_frame_t *frame);
/** Called for every frame dropped for a bad CRC, with the SEQ byte it carried. */
typedef void (*gb_crc_error_cb)(void *ctx, uint8_t seq);

struct gb_parser {
  uint8_t buf[GB_MAX_FRAME];
  uint8_t n;
  uint16_t crcErrors;
  uint16_t garbageBytes; /* bytes dropped while searching for SYNC (including dropped SYNC bytes) */
  gb_frame_cb onFrame;
  gb_crc_error_cb onCrcError;
  void *ctx;
};

/** Resets the parser and stores its callbacks (either may be 0). */
void gb_parser_init(gb_parser_t *p, gb_frame_cb onFrame, gb_crc_error_cb onCrcError, void *ctx);

/** Feeds n received bytes; completed frames are delivered through the callbacks before it returns. */
void gb_parser_feed(gb_parser_t *p, const uint8_t *data, uint16_t n);

/** Inter-byte timeout expired with a partial frame buffered: drop its SYNC byte and rescan the rest. */
void gb_parser_expire(gb_parser_t *p);

/* Little-endian field helpers (payloads are little-endian; only the CRC is big-endian). */
static inline uint16_t gb_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | ((uint16_t)p[1] << 8)); }
static inline uint32_t gb_get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void gb_put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void gb_put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/** Packs 24 12-bit levels into 36 bytes (two levels per three bytes, channel 0 first). */
void gb_pack_levels(uint8_t *out36, const uint16_t *levels24);
/** Unpacks 36 bytes into 24 12-bit levels. */
void gb_unpack_levels(uint16_t *levels24, const uint8_t *in36);

#endif
