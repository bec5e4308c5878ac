// The exposure kernel in C: the same arithmetic as exposeSegment in src/sim/render/sensor-kernel.ts and
// wasm/sensor.wat, giving identical 12-bit codes. Every operation is an f32 operation in the reference's
// order, so no FMA contraction here (the pragmas: GCC's, and the standard one Clang honours), whatever
// the build flags.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#else
#pragma GCC optimize("fp-contract=off")
#endif
#include <math.h>
#include <string.h>
#include "sensor.h"

/** The reference's 32-bit hashes (random.ts hashSeed(seed, y, seg), sensor-kernel.ts laneSeed). */
static uint32_t mix(uint32_t h, uint32_t s) {
  h = (h ^ (h >> 16)) * 0x85ebca6bu ^ s;
  h = (h ^ (h >> 13)) * 0xc2b2ae35u;
  return h ^ (h >> 16);
}

static uint32_t rowHash(int32_t seed, int y, int seg) {
  uint32_t h = (uint32_t)seed ^ 0x9e3779b9u;
  h = mix(h, (uint32_t)y);
  h = mix(h, (uint32_t)seg);
  return mix(h, 0x85ebca6bu);
}

static uint32_t laneSeed(uint32_t rowHash, int lane) {
  uint32_t h = rowHash + (uint32_t)(lane + 1) * 0x9e3779b9u;
  h = (h ^ (h >> 16)) * 0x85ebca6bu;
  h = (h ^ (h >> 13)) * 0xc2b2ae35u;
  return (h ^ (h >> 16)) | 1u;
}

/** One segment: e = src × w (+ noise), full-well clip, counts, ADC clip, packing (see exposeSegment). */
static void exposeSegment(const ExposeParams* p, const float* restrict src, float w, int n, const uint32_t* seeds, uint16_t* restrict out, float* restrict g) {
  if (seeds) {
    // Four interleaved xorshift32 streams: pixel x draws from lane x mod 4, one step per 4 pixels.
    uint32_t s[4] = {seeds[0], seeds[1], seeds[2], seeds[3]};
    for (int x = 0; x < n; x += 4) {
      for (int l = 0; l < 4; l++) {
        uint32_t v = s[l];
        v ^= v << 13;
        v ^= v >> 17;
        v ^= v << 5;
        s[l] = v;
        g[x + l] = p->table[(v >> 8) & (SENSOR_TABLE_SIZE - 1)];
      }
    }
  }
  const float read2 = p->read2, full = p->full, k = p->k, off = p->off, adcMax = p->adcMax;
  const int shift = p->shift, mulShift = p->mulShift;
  const int noise = seeds != NULL;
  for (int x = 0; x < n; x++) {
    float e = src[x] * w;
    if (noise) {
      const float sd = sqrtf(e + read2);
      e = e + sd * g[x];
    }
    e = e > full ? full : e;
    float v = e * k;
    v = v + off;
    v = v < 0.0f ? 0.0f : v;
    v = v > adcMax ? adcMax : v;
    out[x] = (uint16_t)((((int32_t)v) >> shift) << mulShift);
  }
}

void exposeRun(const ExposeParams* p) {
  float acc[SENSOR_SEGMENT_PX] __attribute__((aligned(64)));
  float g[SENSOR_SEGMENT_PX + 4] __attribute__((aligned(64)));
  for (int y = p->rowStart; y < p->rowEnd; y++) {
    const size_t row = (size_t)y * p->width;
    for (int x0 = 0, seg = 0; x0 < p->width; x0 += SENSOR_SEGMENT_PX, seg++) {
      const int n = p->width - x0 < SENSOR_SEGMENT_PX ? p->width - x0 : SENSOR_SEGMENT_PX;
      const size_t at = row + x0;
      const float* src = acc;
      float w = 1.0f;
      if (p->count == 1) {
        src = p->basis[0] + at;
        w = (float)p->weights[0];
      } else {
        // Several lit LEDs: summed first, each term in double as the reference's typed-array += does.
        for (int x = 0; x < n; x++) acc[x] = 0.0f;
        for (int j = 0; j < p->count; j++) {
          const float* b = p->basis[j] + at;
          const double wj = p->weights[j];
          for (int x = 0; x < n; x++) acc[x] = (float)((double)acc[x] + (double)b[x] * wj);
        }
        if (p->count == 0) w = 0.0f;
      }
      uint32_t seeds[4];
      if (p->noise) {
        const uint32_t h = rowHash(p->seed, y, seg);
        for (int l = 0; l < 4; l++) seeds[l] = laneSeed(h, l);
      }
      exposeSegment(p, src, w, n, p->noise ? seeds : NULL, p->out + at, g);
    }
  }
}
