// Normals → height in one native call: slopes, the right-hand side in gather form (parallel-safe), zero
// sum per 4-connected mask component, the Poisson solve, zero mean on the mask. Mirrors
// integrateNormals() in src/vision/integrate.ts.
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

#define PAR_MIN 262144

int integrateRun(int w, int h, const float* normals, const uint8_t* m, float minNz, float* z, double tol, int maxIt) {
  const size_t n = (size_t)w * h;
  float* gx = (float*)malloc(n * sizeof(float));
  float* gy = (float*)malloc(n * sizeof(float));
  float* b = (float*)malloc(n * sizeof(float));
  #pragma omp parallel for schedule(static) if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) {
    float nz = normals[3 * i + 2];
    if (nz < minNz) nz = minNz;
    gx[i] = -normals[3 * i] / nz;
    gy[i] = normals[3 * i + 1] / nz;
  }
  // b_i = Σ over mask edges of −(slope along the edge, oriented away from i).
  #pragma omp parallel for schedule(static) if (n >= PAR_MIN)
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      size_t i = (size_t)y * w + x;
      float s = 0;
      if (m[i]) {
        if (x + 1 < w && m[i + 1]) s -= 0.5f * (gx[i] + gx[i + 1]);
        if (x > 0 && m[i - 1]) s += 0.5f * (gx[i - 1] + gx[i]);
        if (y + 1 < h && m[i + w]) s -= 0.5f * (gy[i] + gy[i + w]);
        if (y > 0 && m[i - w]) s += 0.5f * (gy[i - w] + gy[i]);
      }
      b[i] = s;
    }
  free(gx);
  free(gy);
  // Consistency: zero sum on each component (flood fill with an explicit queue).
  int32_t* queue = (int32_t*)malloc(n * sizeof(int32_t));
  uint8_t* seen = (uint8_t*)calloc(n, 1);
  for (size_t seed = 0; seed < n; seed++) {
    if (!m[seed] || seen[seed]) continue;
    size_t head = 0, tail = 0;
    queue[tail++] = (int32_t)seed;
    seen[seed] = 1;
    double sum = 0;
    while (head < tail) {
      size_t i = (size_t)queue[head++];
      sum += b[i];
      size_t x = i % (size_t)w;
      if (x + 1 < (size_t)w && m[i + 1] && !seen[i + 1]) { seen[i + 1] = 1; queue[tail++] = (int32_t)(i + 1); }
      if (x > 0 && m[i - 1] && !seen[i - 1]) { seen[i - 1] = 1; queue[tail++] = (int32_t)(i - 1); }
      if (i + w < n && m[i + w] && !seen[i + w]) { seen[i + w] = 1; queue[tail++] = (int32_t)(i + w); }
      if (i >= (size_t)w && m[i - w] && !seen[i - w]) { seen[i - w] = 1; queue[tail++] = (int32_t)(i - w); }
    }
    float mean = (float)(sum / tail);
    for (size_t k = 0; k < tail; k++) b[queue[k]] -= mean;
  }
  free(queue);
  free(seen);
  int it = poissonRun(w, h, b, m, z, tol, maxIt, 0);
  free(b);
  double sum = 0;
  size_t count = 0;
  #pragma omp parallel for schedule(static) reduction(+ : sum, count) if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) if (m[i]) { sum += z[i]; count++; }
  const float mean = count ? (float)(sum / count) : 0;
  #pragma omp parallel for schedule(static) if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) z[i] = m[i] ? z[i] - mean : 0;
  return it;
}
