// The surface model's input features (src/grading/surface/features.ts, surfaceFeatures): per channel,
// the deviation from its masked local mean compressed with asinh. Same arithmetic in the same order as
// the TypeScript: the window sums come from float64 integral images built row by row exactly as
// maskedBoxMean builds them (the mask count as exact integers; only the rows a window reaches are kept),
// so the local means are bit-identical;
// only libm's asinh and log may differ from V8's in a double's last bit, which the float32 output almost
// never sees (test/grading/surface/features-native.test.ts pins ≤ 1e-5 per value; the model was trained
// on these features).
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

/** Channel c's value at pixel i (on the card only), rounded to float as the TypeScript's Float32Arrays do. */
static inline float channelValue(const FeaturesParams* p, int c, size_t i) {
  if (c == 2) return p->relief[i];
  if (c == 3) {
    const double a = p->albedo[i];
    return (float)log(a < 1e-4 ? 1e-4 : a);  // Math.log(Math.max(1e-4, a)): NaN stays NaN
  }
  const double z = p->normals[3 * i + 2];
  const double nz = z < 0.2 ? 0.2 : z;  // Math.max(0.2, z)
  return (float)(-(double)p->normals[3 * i + c] / nz);
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
  // maskedBoxMean's integral images, but only the 2r + 2 rows a window reaches, in rings (rows mod 2r + 2):
  // ~1 MB per channel at the model's scale instead of two full float64 images, and in cache.
  const size_t ringRows = (size_t)(2 * maxR + 2);
  double* sv = NULL;
  int32_t* sm = NULL;
  if (maxR > 0) {
    sv = (double*)malloc(ringRows * W * sizeof(double));
    sm = (int32_t*)malloc(ringRows * W * sizeof(int32_t));
    if (!sv || !sm) { free(sv); free(sm); return 1; }
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
          if (mrow[x]) { rv += channelValue(p, c, (size_t)built * w + x); rm += 1; }
          vr[x + 1] = va[x + 1] + rv;
          mr[x + 1] = ma[x + 1] + rm;
        }
      }
      const double *v0 = sv + (size_t)(y0 % R) * W, *v1 = sv + (size_t)(y1 % R) * W;
      const int32_t *m0 = sm + (size_t)(y0 % R) * W, *m1 = sm + (size_t)(y1 % R) * W;
      const uint8_t* mrow = mask + (size_t)y * w;
      float* orow = out + (size_t)y * w;
      for (int x = 0; x < w; x++) {
        if (!mrow[x]) { orow[x] = 0; continue; }
        const int x0 = x - r < 0 ? 0 : x - r, x1 = x + r + 1 > w ? w : x + r + 1;
        const int32_t m = m1[x1] - m0[x1] - m1[x0] + m0[x0];
        const double v = v1[x1] - v0[x1] - v1[x0] + v0[x0];
        const float mean = m > 0 ? (float)(v / (double)m) : 0.0f;
        orow[x] = (float)asinh(((double)channelValue(p, c, (size_t)y * w + x) - (double)mean) / s);
      }
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
  return 0;
}
