// The surface model's input features (src/grading/surface/features.ts, surfaceFeatures): per channel,
// the deviation from its masked local mean compressed with asinh. Same arithmetic in the same order as
// the TypeScript: the window sums come from float64 integral images built row by row exactly as
// maskedBoxMean builds them (the mask count as exact integers; only the rows a window reaches are kept),
// so the local means are identical; log and asinh are fdlibm's algorithms (V8's) written to vectorise,
// within a double's last bit, which the float32 output almost never sees
// (test/grading/surface/features-native.test.ts pins ≤ 1e-5 per value; the model was trained on these
// features).
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

/**
 * log(x) for a positive normal double, written so that loops over it vectorise (no libm call): fdlibm's
 * algorithm (V8's Math.log): x = 2^k·m with m in [√2/2, √2), log(m) from the odd series in s = f/(2+f).
 * Within a double's last bit of libm's log, so the float32 features it feeds round the same
 * (20 M albedos in [1e-4, 1.5] gave no float difference).
 */
static inline double logPositive(double x) {
  uint64_t u;
  memcpy(&u, &x, 8);
  uint32_t hx = (uint32_t)(u >> 32);
  hx += 0x3ff00000 - 0x3fe6a09e;
  const int k = (int)(hx >> 20) - 0x3ff;
  hx = (hx & 0x000fffff) + 0x3fe6a09e;
  u = (uint64_t)hx << 32 | (u & 0xffffffffu);
  double m;
  memcpy(&m, &u, 8);
  const double f = m - 1.0, hfsq = 0.5 * f * f, s = f / (2.0 + f), z = s * s, w = z * z;
  const double t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
  const double t2 = z * (6.666666666666735130e-01 + w * (2.857142874366239149e-01 + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
  const double R = t2 + t1, dk = k;
  return s * (hfsq + R) + dk * 1.90821492927058770002e-10 - hfsq + f + dk * 6.93147180369123816490e-01;
}

/**
 * asinh(x) for finite |x| ≤ 1e300, vectorisable: fdlibm's cases (V8's Math.asinh) without branches —
 * |x| > 2: log(2|x| + 1/(√(x²+1) + |x|)); otherwise log1p(|x| + x²/(1 + √(1+x²))) with log1p(t) as
 * log(1+t)·t/((1+t)−1) (exact when 1+t rounds to 1). libm's asinh costs ~11 ns a value, this ~2 ns;
 * their float32 results agreed on 1.7 M values spread over 10⁻⁹..10⁴.
 */
static inline double asinhFinite(double x) {
  const double ax = fabs(x), x2 = ax * ax, sq = sqrt(x2 + 1.0);
  const double t = ax + x2 / (1.0 + sq), u = 1.0 + t;
  const int big = ax > 2.0;
  const double L = logPositive(big ? 2.0 * ax + 1.0 / (sq + ax) : u);
  const double small = u == 1.0 ? t : L * (t / (u - 1.0));
  return copysign(big ? L : small, x);
}

/** Channel c's values along image row y (every pixel; off the card they are not read), as float32 like the
 *  TypeScript's Float32Arrays. */
static void channelRow(const FeaturesParams* p, int c, int y, float* row) {
  const int w = p->w;
  const size_t i0 = (size_t)y * w;
  if (c == 2) {
    memcpy(row, p->relief + i0, (size_t)w * sizeof(float));
  } else if (c == 3) {
    const float* alb = p->albedo + i0;
    for (int x = 0; x < w; x++) {
      const double a = alb[x];
      row[x] = (float)logPositive(a < 1e-4 ? 1e-4 : a);  // Math.log(Math.max(1e-4, a))
    }
    for (int x = 0; x < w; x++) if (!(alb[x] < INFINITY)) row[x] = (float)log(alb[x]);  // NaN, +∞: libm's answer
  } else {
    const float* nrm = p->normals + 3 * i0;
    for (int x = 0; x < w; x++) {
      const double z = nrm[3 * x + 2];
      const double nz = z < 0.2 ? 0.2 : z;  // Math.max(0.2, z): NaN stays NaN
      row[x] = (float)(-(double)nrm[3 * x + c] / nz);
    }
  }
}

/** Masked mean window radius and asinh scale of deviation channel c (0..3). */
static void channelWindow(const FeaturesParams* p, int c, int* r, double* s) {
  if (c < 2) { *r = p->rSlope; *s = p->sSlope; }
  else if (c == 2) { *r = p->rRelief; *s = p->sRelief; }
  else { *r = p->rAlbedo; *s = p->sAlbedo; }
}

int surfaceFeaturesRun(const FeaturesParams* p) {
  const int w = p->w, h = p->h, W = w + 1;
  const size_t n = (size_t)w * h;
  const uint8_t* mask = p->mask;
  int maxR = 0;
  for (int c = 0; c < 4; c++) {
    if (!(p->channels & (1 << c))) continue;
    int r;
    double s;
    channelWindow(p, c, &r, &s);
    if (r > maxR) maxR = r;
  }
  // maskedBoxMean's integral images, but only the 2r + 2 rows a window reaches, in rings (rows mod 2r + 2),
  // with the channel's values of the same rows: ~1.5 MB per channel at the model's scale instead of two
  // full float64 images, and in cache.
  const size_t ringRows = (size_t)(2 * maxR + 2);
  double *sv = NULL, *dev = NULL;
  int32_t* sm = NULL;
  float* vals = NULL;
  if (maxR > 0) {
    sv = (double*)malloc(ringRows * W * sizeof(double));
    sm = (int32_t*)malloc(ringRows * W * sizeof(int32_t));
    vals = (float*)malloc(ringRows * w * sizeof(float));
    dev = (double*)malloc((size_t)w * sizeof(double));
    if (!sv || !sm || !vals || !dev) { free(sv); free(sm); free(vals); free(dev); return 1; }
  }
  for (int c = 0; c < 4; c++) {
    if (!(p->channels & (1 << c))) continue;
    float* out = p->out + (size_t)c * n;
    int r;
    double s;
    channelWindow(p, c, &r, &s);
    const int R = 2 * r + 2;
    // Integral row 0 (above the image) is zero; `built` is the last integral row computed.
    memset(sv, 0, (size_t)W * sizeof(double));
    memset(sm, 0, (size_t)W * sizeof(int32_t));
    int built = 0;
    for (int y = 0; y < h; y++) {
      const int y0 = y - r < 0 ? 0 : y - r, y1 = y + r + 1 > h ? h : y + r + 1;
      for (; built < y1; built++) {
        // Row built + 1 = row built + the running sums along image row `built` (maskedBoxMean's order).
        float* v = vals + (size_t)(built % R) * w;
        channelRow(p, c, built, v);
        const double* va = sv + (size_t)(built % R) * W;
        const int32_t* ma = sm + (size_t)(built % R) * W;
        double* vr = sv + (size_t)((built + 1) % R) * W;
        int32_t* mr = sm + (size_t)((built + 1) % R) * W;
        const uint8_t* mrow = mask + (size_t)built * w;
        double rv = 0;
        int32_t rm = 0;
        vr[0] = 0;
        mr[0] = 0;
        for (int x = 0; x < w; x++) {
          if (mrow[x]) { rv += v[x]; rm += 1; }
          vr[x + 1] = va[x + 1] + rv;
          mr[x + 1] = ma[x + 1] + rm;
        }
      }
      // Row y's values are still in the ring (it holds rows built − R + 1 .. built, and y ≥ built − r − 1).
      const float* v = vals + (size_t)(y % R) * w;
      const double *v0 = sv + (size_t)(y0 % R) * W, *v1 = sv + (size_t)(y1 % R) * W;
      const int32_t *m0 = sm + (size_t)(y0 % R) * W, *m1 = sm + (size_t)(y1 % R) * W;
      const uint8_t* mrow = mask + (size_t)y * w;
      for (int x = 0; x < w; x++) {
        const int x0 = x - r < 0 ? 0 : x - r, x1 = x + r + 1 > w ? w : x + r + 1;
        const int32_t m = m1[x1] - m0[x1] - m1[x0] + m0[x0];
        const double sum = v1[x1] - v0[x1] - v1[x0] + v0[x0];
        const float mean = m > 0 ? (float)(sum / (double)m) : 0.0f;
        dev[x] = mrow[x] ? ((double)v[x] - (double)mean) / s : 0.0;  // 0 off the card: asinh(0) = 0
      }
      float* orow = out + (size_t)y * w;
      for (int x = 0; x < w; x++) orow[x] = (float)asinhFinite(dev[x]);
      for (int x = 0; x < w; x++) if (!(fabs(dev[x]) <= 1e300)) orow[x] = (float)asinh(dev[x]);  // NaN, ±∞, huge: libm
    }
  }
  if (p->channels & (1 << 4)) {
    float* out = p->out + 4 * n;
    for (size_t i = 0; i < n; i++) {
      if (!mask[i]) { out[i] = 0; continue; }
      double v = 1.0 - (double)p->confidence[i];  // Math.min(1, Math.max(0, 1 − c)): NaN stays NaN
      if (v < 0) v = 0;
      if (v > 1) v = 1;
      out[i] = (float)v;
    }
  }
  if (p->channels & (1 << 5)) {
    float* out = p->out + 5 * n;
    for (size_t i = 0; i < n; i++) out[i] = mask[i] ? 1.0f : 0.0f;
  }
  free(sv);
  free(sm);
  free(vals);
  free(dev);
  return 0;
}
