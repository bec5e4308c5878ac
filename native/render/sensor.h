// Plain C exposure kernel behind the N-API glue (addon.c); no Node headers here.
#ifndef GRADEBOOTH_RENDER_SENSOR_H
#define GRADEBOOTH_RENDER_SENSOR_H
#include <stddef.h>
#include <stdint.h>

/** Pixels per row segment (each seeds its own noise streams); SEGMENT_PX in sensor-kernel.ts. */
#define SENSOR_SEGMENT_PX 4096
/** Entries of the standard-normal table (sensor-kernel.ts gaussTable). */
#define SENSOR_TABLE_SIZE 4096
#define SENSOR_MAX_BASES 64

/** Rows [rowStart, rowEnd) of one frame; the fields mirror SynthesisJob and ExposeParams (f32 constants). */
typedef struct {
  int width, rowStart, rowEnd, count, noise, shift, mulShift;
  int32_t seed;
  float read2, full, k, off, adcMax;
  const float* table;
  const float* basis[SENSOR_MAX_BASES];
  double weights[SENSOR_MAX_BASES];
  uint16_t* out;
} ExposeParams;

/** Expected electrons → noise → 12-bit codes, packed, into out (identical to the JS reference). */
void exposeRun(const ExposeParams* p);

#endif
