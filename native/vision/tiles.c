// A packed network tile's logits back onto the surface map with the class softmax: the native twin of
// unpackTile in src/grading/surface/tile-layout.ts (the reference; features-native.test.ts's sibling
// packed-model.test.ts holds them to within a float's rounding). In TypeScript this was ~225 ms of CPU for a
// card side (10 M exponentials through doubles); here a band of rows runs on each libuv worker.
#include <math.h>
#include "kernels.h"

void unpackSoftmaxRun(const UnpackParams* p) {
  const int b = p->block, K = p->classes;
  const int pw = p->tileW / b;
  const size_t pplane = (size_t)pw * (size_t)(p->tileH / b);
  const size_t plane = (size_t)p->w * (size_t)p->h;
  const size_t kstride = (size_t)b * (size_t)b * pplane;
  float v[64];
  for (int y = p->ya; y < p->yb; y++) {
    const int ty = y - p->y0, dy = ty % b, py = ty / b;
    float* row = p->out + (size_t)y * p->w;
    for (int x = p->xa; x < p->xb; x++) {
      const int tx = x - p->x0, dx = tx % b, px = tx / b;
      const float* at = p->logits + (size_t)(dy * b + dx) * pplane + (size_t)py * pw + px;
      float mx = -INFINITY;
      for (int k = 0; k < K; k++) {
        v[k] = at[k * kstride];
        if (v[k] > mx) mx = v[k];
      }
      double sum = 0;
      for (int k = 0; k < K; k++) {
        v[k] = expf(v[k] - mx);
        sum += v[k];
      }
      const double inv = 1.0 / sum;
      for (int k = 0; k < K; k++) row[k * plane + x] = (float)(v[k] * inv);
    }
  }
}
