// Network tiles in and out of the packed (space-to-depth) layout: the native twins of packTile and
// unpackTile in src/grading/surface/tile-layout.ts (the references; packed-model.test.ts holds packing to
// the same values and unpacking to within a float's rounding).
// - unpackSoftmax: the logits back onto the surface map with the class softmax. In TypeScript this was
//   ~225 ms of CPU for a card side (10 M exponentials through doubles).
// - packTile: the features into a tile. In TypeScript, reading every plane with a stride of the block for
//   each of the 12 overlapping tiles took 45-90 ms per side, about half as long as the network itself.
// Either way a band of rows runs on each libuv worker.
#include <math.h>
#include <stdlib.h>
#include "kernels.h"

// exp for x ≤ 0 (logits less their maximum), written so the compiler vectorises the row loops below (libm's
// expf is a call per value: ~60 % of the kernel's time). Cephes' expf: x = n·ln 2 + r with |r| ≤ ½ ln 2, a
// degree-6 polynomial for e^r, 2^n put into the exponent; within 2 ulp of expf. Below -87 (e^-87 ≈ 1.6e-38,
// nothing next to the maximum's 1) it returns 2^-126 rather than a denormal.
static inline float expNonPositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  const float n = floorf(x * 1.44269504088896341f + 0.5f);
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float q = 1.9875691500e-4f;
  q = q * r + 1.3981999507e-3f;
  q = q * r + 8.3334519073e-3f;
  q = q * r + 4.1665795894e-2f;
  q = q * r + 1.6666665459e-1f;
  q = q * r + 5.0000001201e-1f;
  const float e = q * r * r + r + 1.0f;
  union { float f; int i; } two = { .i = ((int)n + 127) << 23 };
  return e * two.f;
}

void unpackSoftmaxRun(const UnpackParams* p) {
  const int b = p->block, K = p->classes;
  const int pw = p->tileW / b;
  const size_t pplane = (size_t)pw * (size_t)(p->tileH / b);
  const size_t plane = (size_t)p->w * (size_t)p->h;
  const size_t kstride = (size_t)b * (size_t)b * pplane;
  // One run of packed columns at a time (a map row's pixels of one column phase dx are consecutive in the
  // tile's planes): the maximum, the exponentials and their sum as loops over the run.
  float* e = (float*)malloc(sizeof(float) * (size_t)(K + 2) * (size_t)pw);
  if (!e) return;
  float* mx = e + (size_t)K * pw;
  float* inv = mx + pw;
  for (int y = p->ya; y < p->yb; y++) {
    const int ty = y - p->y0, dy = ty % b, py = ty / b;
    float* row = p->out + (size_t)y * p->w;
    for (int dx = 0; dx < b; dx++) {
      // Packed columns px whose map column x = x0 + b·px + dx lies in [xa, xb).
      int pa = (p->xa - p->x0 - dx + b - 1) / b, pb = (p->xb - p->x0 - dx + b - 1) / b;
      if (p->xa - p->x0 - dx < 0) pa = 0;
      const int n = pb - pa;
      if (n <= 0) continue;
      const float* at = p->logits + (size_t)(dy * b + dx) * pplane + (size_t)py * pw + pa;
      for (int i = 0; i < n; i++) mx[i] = at[i];
      for (int k = 1; k < K; k++) {
        const float* a = at + k * kstride;
        for (int i = 0; i < n; i++) mx[i] = a[i] > mx[i] ? a[i] : mx[i];
      }
      for (int i = 0; i < n; i++) inv[i] = 0.0f;
      for (int k = 0; k < K; k++) {
        const float* a = at + k * kstride;
        float* ek = e + (size_t)k * pw;
        for (int i = 0; i < n; i++) {
          ek[i] = expNonPositive(a[i] - mx[i]);
          inv[i] += ek[i];
        }
      }
      for (int i = 0; i < n; i++) inv[i] = 1.0f / inv[i];
      const int x0 = p->x0 + b * pa + dx;
      for (int k = 0; k < K; k++) {
        const float* ek = e + (size_t)k * pw;
        float* o = row + (size_t)k * plane + x0;
        for (int i = 0; i < n; i++) o[(size_t)b * i] = ek[i] * inv[i];
      }
    }
  }
  free(e);
}

void packTileRun(const PackParams* p) {
  const int b = p->block, C = p->channels;
  const int pw = p->tileW / b;
  const size_t pplane = (size_t)pw * (size_t)(p->tileH / b);
  const size_t plane = (size_t)p->w * (size_t)p->h;
  // Tile columns inside the map: [xa, xb).
  const int xa = p->x0 < 0 ? -p->x0 : 0;
  const int xb = p->w - p->x0 < p->tileW ? p->w - p->x0 : p->tileW;
  if (xb <= xa) return;
  for (int c = 0; c < C; c++) {
    for (int ty = p->ty0; ty < p->ty1; ty++) {
      const int y = p->y0 + ty;
      if (y < 0 || y >= p->h) continue;
      const float* src = p->features + (size_t)c * plane + (size_t)y * p->w;  // the map row; tile column tx is map column x0 + tx
      const int dy = ty % b, py = ty / b;
      for (int dx = 0; dx < b; dx++) {
        float* dst = p->input + (size_t)((c * b + dy) * b + dx) * pplane + (size_t)py * pw;
        // Tile columns tx = b·px + dx within [xa, xb).
        int px = (xa - dx + b - 1) / b;
        if (px < 0) px = 0;
        for (int tx = b * px + dx; tx < xb; tx += b, px++) dst[px] = src[p->x0 + tx];
      }
    }
  }
}
