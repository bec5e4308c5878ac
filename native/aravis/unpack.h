// Pixel unpacking for the GenICam camera's stream buffers, in place: the camera writes its wire format
// (Mono8, Mono10/12/14/16 in 16-bit containers, PFNC LSB-packed Mono10p/12p/14p, GigE Vision
// Mono10Packed/Mono12Packed) into the start of a buffer sized for width × height 16-bit samples, and one
// backwards pass turns it into 16-bit samples scaled to the delivered format. No second buffer, no copy.
#ifndef GRADEBOOTH_UNPACK_H
#define GRADEBOOTH_UNPACK_H
#include <stddef.h>
#include <stdint.h>

typedef enum {
  WIRE_UNKNOWN = 0,
  WIRE_MONO8, WIRE_MONO10, WIRE_MONO12, WIRE_MONO14, WIRE_MONO16,
  WIRE_MONO10P, WIRE_MONO12P, WIRE_MONO14P,
  WIRE_MONO10PACKED, WIRE_MONO12PACKED,
} WireFormat;

/** The wire format named by its GenICam PixelFormat entry (WIRE_UNKNOWN when not a supported mono format). */
WireFormat wireFormatFromName(const char* name);
/** Significant bits per pixel of a wire format. */
int wireBits(WireFormat f);
/** Bytes the camera sends for `pixels` pixels of this format. */
size_t wireBytes(WireFormat f, size_t pixels);
/**
 * Turn `pixels` wire-format pixels at the start of `buf` (which holds `pixels` uint16 samples) into 16-bit
 * samples shifted by `shift` bits (> 0 left, < 0 right), in place. Returns 0, or -1 for an unknown format.
 */
int unpackInPlace(uint16_t* buf, size_t pixels, WireFormat f, int shift);
#endif
