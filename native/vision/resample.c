// Area-average resampling of a card side's maps to a coarser scale (src/grading/surface/resample.ts,
// areaAverageRows): each output pixel sums its source footprint in float64, rows then columns, in the same
// order as the TypeScript twin, so albedo, relief, PS confidence and mask come out identical; normals are
// renormalised with sqrt instead of Math.hypot (can differ in the last float bit).
// No fused multiply-adds (-march=native allows them): the pictures below must equal the TypeScript's
// arithmetic (separate multiply and add) to the bit, and the resampled maps they are drawn from must be
// the ones resampleAreaRun gives.
#pragma GCC optimize("fp-contract=off")
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

static void footprints(int src, int dst, int* lo, int* hi) {
  const double f = (double)src / (double)dst;
  for (int x = 0; x < dst; x++) {
    int a = (int)floor((double)x * f);
    int b = (int)floor((double)(x + 1) * f);
    if (b > src) b = src;
    if (b < a + 1) b = a + 1;
    lo[x] = a; hi[x] = b;
  }
}

void resampleAreaRun(const ResampleParams* p) {
  const int sw = p->srcW, w = p->dstW;
  int* lo = (int*)malloc(sizeof(int) * (size_t)(2 * w + 2 * p->dstH));
  double* acc = (double*)malloc(sizeof(double) * 8 * (size_t)w);
  if (!lo || !acc) { free(lo); free(acc); return; }
  int* hi = lo + w;
  int* rlo = hi + w;
  int* rhi = rlo + p->dstH;
  footprints(sw, w, lo, hi);
  footprints(p->srcH, p->dstH, rlo, rhi);
  const uint8_t* mask = p->mask;
  const float *nrm = p->normals, *alb = p->albedo, *rel = p->relief, *conf = p->confidence;
  for (int y = p->y0; y < p->y1; y++) {
    memset(acc, 0, sizeof(double) * 8 * (size_t)w);
    for (int yy = rlo[y]; yy < rhi[y]; yy++) {
      const size_t row = (size_t)yy * sw;
      for (int x = 0; x < w; x++) {
        double* a = acc + 8 * (size_t)x;
        double sn = a[0], son = a[1], sx = a[2], sy = a[3], sz = a[4], sa = a[5], sr = a[6], sc = a[7];
        for (size_t i = row + lo[x], e = row + hi[x]; i < e; i++) {
          sn += 1;
          if (mask[i]) son += 1;
          sx += nrm[3 * i]; sy += nrm[3 * i + 1]; sz += nrm[3 * i + 2];
          sa += alb[i];
          sr += rel[i];
          if (conf) sc += conf[i];
        }
        a[0] = sn; a[1] = son; a[2] = sx; a[3] = sy; a[4] = sz; a[5] = sa; a[6] = sr; a[7] = sc;
      }
    }
    for (int x = 0; x < w; x++) {
      const double* a = acc + 8 * (size_t)x;
      const size_t o = (size_t)y * w + x;
      double len = sqrt(a[2] * a[2] + a[3] * a[3] + a[4] * a[4]);
      if (!(len > 0)) len = 1;  // Math.hypot(…) || 1: zero (and NaN) become 1
      p->outNormals[3 * o] = (float)(a[2] / len); p->outNormals[3 * o + 1] = (float)(a[3] / len); p->outNormals[3 * o + 2] = (float)(a[4] / len);
      p->outAlbedo[o] = (float)(a[5] / a[0]);
      p->outRelief[o] = (float)(a[6] / a[0]);
      if (p->outConfidence) p->outConfidence[o] = (float)(a[7] / a[0]);
      p->outMask[o] = a[1] * 2 >= a[0] ? 1 : 0;
    }
  }
  free(lo);
  free(acc);
}

/** A picture value as a Uint8ClampedArray stores it: NaN and ≤ 0 → 0, ≥ 255 → 255, else rounded half to even. */
static inline uint8_t clampByte(double v) {
  if (!(v > 0)) return 0;
  if (v >= 255) return 255;
  return (uint8_t)lrint(v);
}

void resamplePicturesRun(const PicturesParams* p) {
  const int sw = p->srcW, w = p->dstW;
  int* lo = (int*)malloc(sizeof(int) * (size_t)(2 * w + 2 * p->dstH));
  double* acc = (double*)malloc(sizeof(double) * 6 * (size_t)w);
  if (!lo || !acc) { free(lo); free(acc); return; }
  int* hi = lo + w;
  int* rlo = hi + w;
  int* rhi = rlo + p->dstH;
  footprints(sw, w, lo, hi);
  footprints(p->srcH, p->dstH, rlo, rhi);
  const uint8_t* mask = p->mask;
  const float *nrm = p->normals, *alb = p->albedo;
  const double k = p->albedoScale, g = p->slopeGain, L0 = p->light[0], L1 = p->light[1], L2 = p->light[2];
  for (int y = p->y0; y < p->y1; y++) {
    memset(acc, 0, sizeof(double) * 6 * (size_t)w);
    // The sums of resampleAreaRun (same order), without relief and confidence, which no picture shows.
    for (int yy = rlo[y]; yy < rhi[y]; yy++) {
      const size_t row = (size_t)yy * sw;
      for (int x = 0; x < w; x++) {
        double* a = acc + 6 * (size_t)x;
        double sn = a[0], son = a[1], sx = a[2], sy = a[3], sz = a[4], sa = a[5];
        for (size_t i = row + lo[x], e = row + hi[x]; i < e; i++) {
          sn += 1;
          if (mask[i]) son += 1;
          sx += nrm[3 * i]; sy += nrm[3 * i + 1]; sz += nrm[3 * i + 2];
          sa += alb[i];
        }
        a[0] = sn; a[1] = son; a[2] = sx; a[3] = sy; a[4] = sz; a[5] = sa;
      }
    }
    for (int x = 0; x < w; x++) {
      const double* a = acc + 6 * (size_t)x;
      const size_t o = (size_t)y * w + x;
      // The resampled pixel as resampleAreaRun stores it (float32)…
      double len = sqrt(a[2] * a[2] + a[3] * a[3] + a[4] * a[4]);
      if (!(len > 0)) len = 1;
      const float nx = (float)(a[2] / len), ny = (float)(a[3] / len), nz = (float)(a[4] / len);
      const float albedo = (float)(a[5] / a[0]);
      const int on = a[1] * 2 >= a[0];
      // …and its picture values as report-images.ts computes them from the stored floats.
      const uint8_t v = clampByte((double)albedo * k);
      p->albedoRgb[3 * o] = v; p->albedoRgb[3 * o + 1] = v; p->albedoRgb[3 * o + 2] = v;
      if (!on) p->shade[o] = 40;
      else {
        const double sx = (double)nx * g, sy = (double)ny * g, sz = (double)nz;
        double l = sqrt(sx * sx + sy * sy + sz * sz);
        if (!(l != 0) || l != l) l = 1;  // `|| 1`: zero and NaN become 1
        p->shade[o] = clampByte((255 * (sx * L0 + sy * L1 + sz * L2)) / l);
      }
      p->normalRgb[3 * o] = clampByte(((double)nx + 1) * 127.5);
      p->normalRgb[3 * o + 1] = clampByte(((double)ny + 1) * 127.5);
      p->normalRgb[3 * o + 2] = clampByte(((double)nz + 1) * 127.5);
    }
  }
  free(lo);
  free(acc);
}
