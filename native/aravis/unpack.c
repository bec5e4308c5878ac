#include "unpack.h"
#include <string.h>

static const struct { const char* name; WireFormat f; } names[] = {
  {"Mono8", WIRE_MONO8}, {"Mono10", WIRE_MONO10}, {"Mono12", WIRE_MONO12}, {"Mono14", WIRE_MONO14},
  {"Mono16", WIRE_MONO16}, {"Mono10p", WIRE_MONO10P}, {"Mono12p", WIRE_MONO12P}, {"Mono14p", WIRE_MONO14P},
  {"Mono10Packed", WIRE_MONO10PACKED}, {"Mono12Packed", WIRE_MONO12PACKED},
};

WireFormat wireFormatFromName(const char* name) {
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) if (strcmp(names[i].name, name) == 0) return names[i].f;
  return WIRE_UNKNOWN;
}

int wireBits(WireFormat f) {
  switch (f) {
    case WIRE_MONO8: return 8;
    case WIRE_MONO10: case WIRE_MONO10P: case WIRE_MONO10PACKED: return 10;
    case WIRE_MONO12: case WIRE_MONO12P: case WIRE_MONO12PACKED: return 12;
    case WIRE_MONO14: case WIRE_MONO14P: return 14;
    case WIRE_MONO16: return 16;
    default: return 0;
  }
}

size_t wireBytes(WireFormat f, size_t pixels) {
  switch (f) {
    case WIRE_MONO8: return pixels;
    case WIRE_MONO10: case WIRE_MONO12: case WIRE_MONO14: case WIRE_MONO16: return pixels * 2;
    case WIRE_MONO10P: case WIRE_MONO12P: case WIRE_MONO14P: return (pixels * (size_t)wireBits(f) + 7) / 8;
    case WIRE_MONO10PACKED: case WIRE_MONO12PACKED: return (pixels + 1) / 2 * 3;
    default: return 0;
  }
}

static inline uint16_t scale(uint32_t v, int shift) {
  return (uint16_t)(shift >= 0 ? v << shift : v >> -shift);
}

// Every loop runs from the last pixel down: pixel i's output bytes (2i, 2i+1) lie at or after its input
// bytes, and every input byte of a lower pixel lies before 2i, so no input is overwritten before it is read.
int unpackInPlace(uint16_t* buf, size_t pixels, WireFormat f, int shift) {
  uint8_t* b = (uint8_t*)buf;
  switch (f) {
    case WIRE_MONO8:
      for (size_t i = pixels; i-- > 0;) buf[i] = scale(b[i], shift);
      return 0;
    case WIRE_MONO10: case WIRE_MONO12: case WIRE_MONO14: case WIRE_MONO16: {
      // Little-endian 16-bit containers (GigE Vision and USB3 Vision are little-endian): already in place.
      if (shift == 0) return 0;
      uint16_t mask = (uint16_t)((1u << wireBits(f)) - 1u);
      for (size_t i = 0; i < pixels; i++) buf[i] = scale(buf[i] & mask, shift);
      return 0;
    }
    case WIRE_MONO10P: case WIRE_MONO12P: case WIRE_MONO14P: {
      // PFNC "p" formats: one LSB-first bit stream, pixel i at bits [i·n, (i+1)·n).
      const unsigned n = (unsigned)wireBits(f);
      const uint32_t mask = (1u << n) - 1u;
      for (size_t i = pixels; i-- > 0;) {
        size_t bit = i * n, at = bit >> 3;
        // Bytes past the buffer (the last pixels of a tiny frame) are not read; they hold no bits of pixel i.
        uint32_t v = b[at];
        if (at + 1 < 2 * pixels) v |= (uint32_t)b[at + 1] << 8;
        if ((bit & 7) + n > 16) v |= (uint32_t)b[at + 2] << 16;
        buf[i] = scale((v >> (bit & 7)) & mask, shift);
      }
      return 0;
    }
    case WIRE_MONO12PACKED:
      // GigE Vision Mono12Packed: pixel pair in 3 bytes; byte 0 = p0[11:4], byte 1 = p0[3:0] | p1[3:0] << 4, byte 2 = p1[11:4].
      for (size_t i = pixels; i-- > 0;) {
        const uint8_t* t = b + (i >> 1) * 3;
        uint32_t v = (i & 1) ? ((uint32_t)t[2] << 4 | t[1] >> 4) : ((uint32_t)t[0] << 4 | (t[1] & 0x0f));
        buf[i] = scale(v, shift);
      }
      return 0;
    case WIRE_MONO10PACKED:
      // GigE Vision Mono10Packed: byte 0 = p0[9:2], byte 1 = p0[1:0] | p1[1:0] << 4, byte 2 = p1[9:2].
      for (size_t i = pixels; i-- > 0;) {
        const uint8_t* t = b + (i >> 1) * 3;
        uint32_t v = (i & 1) ? ((uint32_t)t[2] << 2 | ((t[1] >> 4) & 3)) : ((uint32_t)t[0] << 2 | (t[1] & 3));
        buf[i] = scale(v, shift);
      }
      return 0;
    default:
      return -1;
  }
}
