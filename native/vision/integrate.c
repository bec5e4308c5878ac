// Normals → height in one native call. Mirrors integrateNormals() in src/vision/integrate.ts.
// With FFTW (dct.c): slopes on the mask, extrapolated outside it and onto a padded rectangle whose sides
// have only factors 2, 3, 5, 7 (FFT-friendly), one DCT Poisson solve. When the mask is nearly the whole
// rectangle (a rectified card: only the rounded corners are outside) that is the result; otherwise it is
// the initial guess of the masked multigrid-PCG solve (an object's outline is a free boundary).
// Without FFTW: the masked right-hand side (gather form, parallel-safe), zero sum per 4-connected mask
// component, multigrid-PCG from zero.
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

#define PAR_MIN 262144
// Mask fraction outside which the DCT result alone is accepted (a card's four 3 mm corners are ~0.2%).
#define DCT_ONLY_OUTSIDE 0.01

static int smooth7(int n) {
  for (;; n++) {
    int m = n;
    while (m % 2 == 0) m /= 2;
    while (m % 3 == 0) m /= 3;
    while (m % 5 == 0) m /= 5;
    while (m % 7 == 0) m /= 7;
    if (m == 1) return n;
  }
}

// Replace the slopes of pixels outside the mask by those of the nearest mask pixel in the row (rows without
// one: the nearest row that has one). Nearly curl-free for the smooth fields of a card; exactness is left to
// PCG where the outside is large.
static void fillOutside(int w, int h, int stride, float* gx, float* gy, const uint8_t* m) {
  int* src = (int*)malloc((size_t)h * sizeof(int));
  #pragma omp parallel for schedule(static) if ((size_t)w * h >= PAR_MIN)
  for (int y = 0; y < h; y++) {
    const uint8_t* mr = m + (size_t)y * w;
    float *rx = gx + (size_t)y * stride, *ry = gy + (size_t)y * stride;
    int last = -1;
    for (int x = 0; x < w; x++) if (mr[x]) { last = x; break; }
    src[y] = last >= 0 ? y : -1;
    if (last < 0) continue;
    int x = 0;
    while (x < w) {
      if (mr[x]) { last = x++; continue; }
      int e = x;
      while (e < w && !mr[e]) e++;
      // Gap [x, e): left half from `last`, right half from e (if inside).
      for (int k = x; k < e; k++) {
        const int from = (e < w && (k - last > e - k || x == 0)) ? e : last;
        rx[k] = rx[from]; ry[k] = ry[from];
      }
      x = e;
    }
  }
  for (int y = 0; y < h; y++) {
    if (src[y] >= 0) continue;
    int best = -1;
    for (int d = 1; d < h && best < 0; d++) {
      if (y - d >= 0 && src[y - d] == y - d) best = y - d;
      else if (y + d < h && src[y + d] == y + d) best = y + d;
    }
    if (best < 0) break;  // empty mask
    memcpy(gx + (size_t)y * stride, gx + (size_t)best * stride, (size_t)w * sizeof(float));
    memcpy(gy + (size_t)y * stride, gy + (size_t)best * stride, (size_t)w * sizeof(float));
  }
  free(src);
}

// Height by DCT into z (w×h); 0 if it could not run.
static int dctGuess(int w, int h, const float* normals, const uint8_t* m, float minNz, float* z) {
  const int W = smooth7(w), H = smooth7(h);
  const size_t N = (size_t)W * H;
  float* gx = (float*)malloc(N * sizeof(float));
  float* gy = (float*)malloc(N * sizeof(float));
  float* b = dctAlloc(N);
  if (!gx || !gy || !b) { free(gx); free(gy); dctFree(b); return 0; }
  adviseHuge(gx, N * sizeof(float)); adviseHuge(gy, N * sizeof(float)); adviseHuge(b, N * sizeof(float));
  #pragma omp parallel for schedule(static) if (N >= PAR_MIN)
  for (int y = 0; y < h; y++) {
    const float* nr = normals + (size_t)y * w * 3;
    float *rx = gx + (size_t)y * W, *ry = gy + (size_t)y * W;
    for (int x = 0; x < w; x++) {
      float nz = nr[3 * x + 2];
      if (nz < minNz) nz = minNz;
      const float inv = 1.0f / nz;
      rx[x] = -nr[3 * x] * inv;
      ry[x] = nr[3 * x + 1] * inv;
    }
  }
  fillOutside(w, h, W, gx, gy, m);
  // Padding: the slopes of the last column / row continue outwards.
  #pragma omp parallel for schedule(static) if (N >= PAR_MIN)
  for (int y = 0; y < H; y++) {
    float *rx = gx + (size_t)y * W, *ry = gy + (size_t)y * W;
    if (y >= h) { memcpy(rx, gx + (size_t)(h - 1) * W, (size_t)w * sizeof(float)); memcpy(ry, gy + (size_t)(h - 1) * W, (size_t)w * sizeof(float)); }
    for (int x = w; x < W; x++) { rx[x] = rx[w - 1]; ry[x] = ry[w - 1]; }
  }
  // Right-hand side over every edge of the padded rectangle (gather form).
  #pragma omp parallel for schedule(static) if (N >= PAR_MIN)
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const size_t i = (size_t)y * W + x;
      float s = 0;
      if (x + 1 < W) s -= 0.5f * (gx[i] + gx[i + 1]);
      if (x > 0) s += 0.5f * (gx[i - 1] + gx[i]);
      if (y + 1 < H) s -= 0.5f * (gy[i] + gy[i + W]);
      if (y > 0) s += 0.5f * (gy[i - W] + gy[i]);
      b[i] = s;
    }
  free(gx);
  free(gy);
  const int ok = dctPoissonSolve(W, H, b);
  if (ok) {
    #pragma omp parallel for schedule(static) if (N >= PAR_MIN)
    for (int y = 0; y < h; y++) memcpy(z + (size_t)y * w, b + (size_t)y * W, (size_t)w * sizeof(float));
  }
  dctFree(b);
  return ok;
}

// Masked right-hand side b_i = Σ over mask edges of −(slope along the edge, oriented away from i), made
// consistent (zero sum on each 4-connected component).
static float* maskedRhs(int w, int h, const float* normals, const uint8_t* m, float minNz) {
  const size_t n = (size_t)w * h;
  float* gx = (float*)malloc(n * sizeof(float));
  float* gy = (float*)malloc(n * sizeof(float));
  float* b = (float*)malloc(n * sizeof(float));
  adviseHuge(gx, n * sizeof(float)); adviseHuge(gy, n * sizeof(float)); adviseHuge(b, n * sizeof(float));
  #pragma omp parallel for schedule(static) if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) {
    float nz = normals[3 * i + 2];
    if (nz < minNz) nz = minNz;
    gx[i] = -normals[3 * i] / nz;
    gy[i] = normals[3 * i + 1] / nz;
  }
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
  return b;
}

int integrateRun(int w, int h, const float* normals, const uint8_t* m, float minNz, float* z, double tol, int maxIt, int* solver) {
  const size_t n = (size_t)w * h;
  size_t inside = 0;
  #pragma omp parallel for schedule(static) reduction(+ : inside) if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) inside += m[i] != 0;
  int it = 0;
  const int dct = dctPoissonAvailable() && dctGuess(w, h, normals, m, minNz, z);
  *solver = dct ? INTEGRATE_DCT : INTEGRATE_PCG;
  if (!dct || (double)(n - inside) > DCT_ONLY_OUTSIDE * (double)n) {
    if (dct) *solver = INTEGRATE_DCT_PCG;
    float* b = maskedRhs(w, h, normals, m, minNz);
    it = poissonRun(w, h, b, m, z, tol, maxIt, 0);
    free(b);
  }
  double sum = 0;
  #pragma omp parallel for schedule(static) reduction(+ : sum) if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) if (m[i]) sum += z[i];
  const float mean = inside ? (float)(sum / inside) : 0;
  #pragma omp parallel for schedule(static) if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) z[i] = m[i] ? z[i] - mean : 0;
  return it;
}
