// Mask operations of the surface post-processing (src/grading/surface/postprocess.ts, features.ts): square
// erosion and dilation, 8-connected component labels and masked box means. Each is the TypeScript's own
// algorithm in the same order, so the results are the same to the bit (test/grading/surface/mask-ops.test.ts);
// each runs synchronously on the calling thread, because a post-processing pass calls them one after another
// on maps of 0.4–1.7 Mpx where one call is ~1 ms here and 3–8 ms in TypeScript.
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

int erodeSquareRun(const uint8_t* mask, int w, int h, int r, uint8_t* out) {
  const size_t n = (size_t)w * (size_t)h;
  const int k = 2 * r + 1;
  // Along x: a run of k set pixels marks its middle; along y: the run per column, rows in memory order.
  uint8_t* tmp = (uint8_t*)calloc(n, 1);
  int32_t* runs = (int32_t*)calloc((size_t)w, sizeof(int32_t));
  if (!tmp || !runs) { free(tmp); free(runs); return -1; }
  memset(out, 0, n);
  for (int y = 0; y < h; y++) {
    const uint8_t* m = mask + (size_t)y * w;
    uint8_t* t = tmp + (size_t)y * w;
    int run = 0;
    for (int x = 0; x < w; x++) {
      run = m[x] ? run + 1 : 0;
      if (run >= k) t[x - r] = 1;
    }
  }
  for (int y = 0; y < h; y++) {
    const uint8_t* t = tmp + (size_t)y * w;
    for (int x = 0; x < w; x++) {
      const int run = t[x] ? runs[x] + 1 : 0;
      runs[x] = run;
      if (run >= k) out[(size_t)(y - r) * w + x] = 1;
    }
  }
  free(tmp);
  free(runs);
  return 0;
}

int dilateSquareRun(const uint8_t* m, int w, int h, int r, uint8_t* out) {
  const size_t n = (size_t)w * (size_t)h;
  uint8_t* tmp = (uint8_t*)calloc(n, 1);
  int32_t* lastRow = (int32_t*)malloc((size_t)w * sizeof(int32_t));
  if (!tmp || !lastRow) { free(tmp); free(lastRow); return -1; }
  // Along x: the last set pixel seen r px ahead; along y: the last set row per column.
  for (int y = 0; y < h; y++) {
    const uint8_t* s = m + (size_t)y * w;
    uint8_t* t = tmp + (size_t)y * w;
    int last = -r - 1;
    for (int p = 0; p < w + r; p++) {
      if (p < w && s[p]) last = p;
      const int x = p - r;
      if (x >= 0 && last >= x - r) t[x] = 1;
    }
  }
  for (int x = 0; x < w; x++) lastRow[x] = -r - 1;
  for (int p = 0; p < h + r; p++) {
    if (p < h) {
      const uint8_t* t = tmp + (size_t)p * w;
      for (int x = 0; x < w; x++) if (t[x]) lastRow[x] = p;
    }
    const int y = p - r;
    if (y < 0) continue;
    uint8_t* o = out + (size_t)y * w;
    for (int x = 0; x < w; x++) o[x] = lastRow[x] >= y - r;
  }
  free(tmp);
  free(lastRow);
  return 0;
}

static int findRoot(int32_t* parent, int r) {
  while (parent[r] != r) { parent[r] = parent[parent[r]]; r = parent[r]; }
  return r;
}

int componentsRun(const uint8_t* m, int w, int h, int32_t* labels) {
  const size_t n = (size_t)w * (size_t)h;
  memset(labels, 0, n * sizeof(int32_t));
  // Runs of set pixels (row, start, end), joined by union-find to the runs above they touch (diagonals
  // included), the smaller number the root: a component's root is its first run in raster order.
  size_t cap = 1024, runs = 0;
  int32_t *runY = malloc(cap * sizeof(int32_t)), *runX0 = malloc(cap * sizeof(int32_t)), *runX1 = malloc(cap * sizeof(int32_t)), *parent = malloc(cap * sizeof(int32_t));
  int count = -1;
  if (!runY || !runX0 || !runX1 || !parent) goto done;
  size_t prevStart = 0, prevEnd = 0;
  for (int y = 0; y < h; y++) {
    const uint8_t* row = m + (size_t)y * w;
    const size_t rowStart = runs;
    size_t p = prevStart;
    for (int x = 0; x < w;) {
      if (!row[x]) { x++; continue; }
      const int x0 = x;
      while (x < w && row[x]) x++;
      if (runs == cap) {
        cap *= 2;
        int32_t *a = realloc(runY, cap * sizeof(int32_t)), *b = a ? realloc(runX0, cap * sizeof(int32_t)) : NULL;
        if (a) runY = a;
        if (b) runX0 = b;
        int32_t *c = b ? realloc(runX1, cap * sizeof(int32_t)) : NULL;
        if (c) runX1 = c;
        int32_t *d = c ? realloc(parent, cap * sizeof(int32_t)) : NULL;
        if (d) parent = d;
        if (!d) goto done;
      }
      const int r = (int)runs++;
      runY[r] = y; runX0[r] = x0; runX1[r] = x; parent[r] = r;
      while (p < prevEnd && runX1[p] < x0) p++;
      for (size_t q = p; q < prevEnd && runX0[q] <= x; q++) {
        const int a = findRoot(parent, (int)q), b = findRoot(parent, r);
        if (a < b) parent[b] = a;
        else if (b < a) parent[a] = b;
      }
    }
    prevStart = rowStart;
    prevEnd = runs;
  }
  count = 0;
  // A root precedes its members, so each run's root is numbered before the run is reached.
  for (size_t r = 0; r < runs; r++) {
    const int root = findRoot(parent, (int)r);
    const int32_t label = root == (int)r ? ++count : labels[(size_t)runY[root] * w + runX0[root]];
    int32_t* o = labels + (size_t)runY[r] * w;
    for (int x = runX0[r]; x < runX1[r]; x++) o[x] = label;
  }
done:
  free(runY); free(runX0); free(runX1); free(parent);
  return count;
}

int maskedBoxMeanRun(const float* values, const uint8_t* mask, int w, int h, int r, int passes, float* out) {
  const size_t W = (size_t)w + 1, n = (size_t)w * (size_t)h;
  // The mask's integral image once, the values' for each pass, in float64 and in the TypeScript's order.
  double* sm = (double*)calloc(W * (size_t)(h + 1), sizeof(double));
  double* sv = (double*)calloc(W * (size_t)(h + 1), sizeof(double));
  float* tmp = passes > 1 ? (float*)malloc(n * sizeof(float)) : NULL;
  if (!sm || !sv || (passes > 1 && !tmp)) { free(sm); free(sv); free(tmp); return -1; }
  for (int y = 0; y < h; y++) {
    double rm = 0;
    const uint8_t* mk = mask + (size_t)y * w;
    double* dst = sm + (size_t)(y + 1) * W + 1;
    const double* up = sm + (size_t)y * W + 1;
    for (int x = 0; x < w; x++) {
      if (mk[x]) rm += 1;
      dst[x] = up[x] + rm;
    }
  }
  const float* src = values;
  for (int pass = 0; pass < passes; pass++) {
    // The passes alternate between `tmp` and `out`, the last one writing `out` (the caller's `values` is
    // neither).
    float* dst = (passes - 1 - pass) % 2 == 0 ? out : tmp;
    for (int y = 0; y < h; y++) {
      double rv = 0;
      const uint8_t* mk = mask + (size_t)y * w;
      const float* s = src + (size_t)y * w;
      double* row = sv + (size_t)(y + 1) * W + 1;
      const double* up = sv + (size_t)y * W + 1;
      for (int x = 0; x < w; x++) {
        if (mk[x]) rv += s[x];
        row[x] = up[x] + rv;
      }
    }
    for (int y = 0; y < h; y++) {
      const int y0 = y - r < 0 ? 0 : y - r, y1 = y + r + 1 > h ? h : y + r + 1;
      const double *m0 = sm + (size_t)y0 * W, *m1 = sm + (size_t)y1 * W, *v0 = sv + (size_t)y0 * W, *v1 = sv + (size_t)y1 * W;
      float* o = dst + (size_t)y * w;
      for (int x = 0; x < w; x++) {
        const int x0 = x - r < 0 ? 0 : x - r, x1 = x + r + 1 > w ? w : x + r + 1;
        const double m = m1[x1] - m0[x1] - m1[x0] + m0[x0];
        const double v = v1[x1] - v0[x1] - v1[x0] + v0[x0];
        o[x] = m > 0 ? (float)(v / m) : 0.0f;
      }
    }
    src = dst;
  }
  free(sm); free(sv); free(tmp);
  return 0;
}
