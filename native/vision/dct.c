// Neumann Poisson solve on a full rectangle by the discrete cosine transform (Simchony et al.): the
// 5-point graph Laplacian of a w×h grid with free (reflecting) edges is diagonal in the DCT-II basis, with
// eigenvalues (2 − 2cos(πk/w)) + (2 − 2cos(πl/h)). So: DCT-II of the right-hand side, divide, DCT-III.
// FFTW (float) does the transforms when the addon is built with it (-DHAVE_FFTW); otherwise
// dctPoissonAvailable() is 0 and integrate.c uses the multigrid-PCG solver alone.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

#ifdef HAVE_FFTW
#include <fftw3.h>
#include <pthread.h>

// FFTW's own DCT kinds (REDFT10/01) are not SIMD-accelerated and measured ~2× slower than a real FFT here,
// so the DCTs are done by Makhoul's method on rows: reorder (evens forward, odds backward), a batched
// SIMD real-to-complex FFT, a twiddle; columns the same way, CHUNK adjacent columns at a time. Rows go in chunks, one chunk per OpenMP
// thread at a time, each executing the shared single-threaded plan on its own buffers (execution of a
// plan is thread-safe; planning is not: one lock, plans cached per length).
#define CHUNK 16
typedef struct { int n; fftwf_plan fwd, inv; } RowPlan;
#define PLAN_CACHE 16
static RowPlan plans[PLAN_CACHE];
static int nPlans = 0;
static pthread_mutex_t planLock = PTHREAD_MUTEX_INITIALIZER;

static int rowPlan(int n, RowPlan* out) {
  pthread_mutex_lock(&planLock);
  for (int k = 0; k < nPlans; k++)
    if (plans[k].n == n) { *out = plans[k]; pthread_mutex_unlock(&planLock); return 1; }
  const int nc = n / 2 + 1;
  float* r = (float*)fftwf_malloc((size_t)CHUNK * n * sizeof(float));
  fftwf_complex* c = (fftwf_complex*)fftwf_malloc((size_t)CHUNK * nc * sizeof(fftwf_complex));
  int ok = 0;
  if (r && c) {
    // FFTW_ESTIMATE: FFTW_MEASURE would cost seconds on a booth's first scan.
    out->n = n;
    out->fwd = fftwf_plan_many_dft_r2c(1, &n, CHUNK, r, NULL, 1, n, c, NULL, 1, nc, FFTW_ESTIMATE);
    out->inv = fftwf_plan_many_dft_c2r(1, &n, CHUNK, c, NULL, 1, nc, r, NULL, 1, n, FFTW_ESTIMATE);
    ok = out->fwd && out->inv;
    // A full cache keeps its plans (another thread may be executing one); more lengths than PLAN_CACHE
    // in one process would leak a plan each.
    if (ok && nPlans < PLAN_CACHE) plans[nPlans++] = *out;
  }
  fftwf_free(r);
  fftwf_free(c);
  pthread_mutex_unlock(&planLock);
  return ok;
}

// In place on `count` sequences of length n: forward = unscaled DCT-II (Y_k = Σ x_j cos(π(2j+1)k/2n)),
// inverse = its inverse times n. Sequence q's element j is at a[j·js + q·qs]: rows of a row-major image
// (js = 1, qs = n) or its columns (js = width, qs = 1: CHUNK adjacent columns share each cache line read,
// so no transpose pass is needed).
static int dctLines(float* a, int n, int count, size_t js, size_t qs, int inverse) {
  RowPlan P;
  if (!rowPlan(n, &P)) return 0;
  const int nc = n / 2 + 1;
  float* cs = (float*)malloc((size_t)n * 2 * sizeof(float));
  if (!cs) return 0;
  for (int k = 0; k < n; k++) { cs[2 * k] = (float)cos(M_PI * k / (2.0 * n)); cs[2 * k + 1] = (float)sin(M_PI * k / (2.0 * n)); }
  int failed = 0;
  #pragma omp parallel if ((size_t)n * count >= 262144)
  {
    float* r = (float*)fftwf_malloc((size_t)CHUNK * n * sizeof(float));
    fftwf_complex* c = (fftwf_complex*)fftwf_malloc((size_t)CHUNK * nc * sizeof(fftwf_complex));
    if (!r || !c) failed = 1;
    #pragma omp for schedule(static)
    for (int q0 = 0; q0 < count; q0 += CHUNK) {
      if (!r || !c) continue;
      const int m = count - q0 < CHUNK ? count - q0 : CHUNK;
      float* base = a + (size_t)q0 * qs;
      if (!inverse) {
        if (m < CHUNK) memset(r, 0, (size_t)CHUNK * n * sizeof(float));
        // Reorder: evens forward, odds backward; j outer so column mode reads whole cache lines.
        for (int j = 0; j < n; j++) {
          const int d = (j & 1) ? n - 1 - (j >> 1) : (j >> 1);
          const float* src = base + (size_t)j * js;
          for (int q = 0; q < m; q++) r[(size_t)q * n + d] = src[q * qs];
        }
        fftwf_execute_dft_r2c(P.fwd, r, c);
        for (int k = 0; k < nc; k++) {
          float* lo = base + (size_t)k * js;
          float* hi = base + (size_t)(n - k) * js;
          const float co = cs[2 * k], si = cs[2 * k + 1];
          for (int q = 0; q < m; q++) {
            const float re = c[(size_t)q * nc + k][0], im = c[(size_t)q * nc + k][1];
            if (k == 0) { lo[q * qs] = re; continue; }
            lo[q * qs] = co * re + si * im;
            if (n - k > k) hi[q * qs] = si * re - co * im;
          }
        }
      } else {
        if (m < CHUNK) memset(c, 0, (size_t)CHUNK * nc * sizeof(fftwf_complex));
        for (int k = 0; k < nc; k++) {
          const float* lo = base + (size_t)k * js;
          const float* hi = base + (size_t)(n - k) * js;
          const float co = cs[2 * k], si = cs[2 * k + 1];
          for (int q = 0; q < m; q++) {
            float* V = c[(size_t)q * nc + k];
            if (k == 0) { V[0] = lo[q * qs]; V[1] = 0; continue; }
            const float p = lo[q * qs], t = hi[q * qs];
            V[0] = co * p + si * t;
            V[1] = si * p - co * t;
          }
        }
        fftwf_execute_dft_c2r(P.inv, c, r);
        for (int j = 0; j < n; j++) {
          const int d = (j & 1) ? n - 1 - (j >> 1) : (j >> 1);
          float* dst = base + (size_t)j * js;
          for (int q = 0; q < m; q++) dst[q * qs] = r[(size_t)q * n + d];
        }
      }
    }
    fftwf_free(r);
    fftwf_free(c);
  }
  free(cs);
  return !failed;
}

float* dctAlloc(size_t n) { return (float*)fftwf_malloc(n * sizeof(float)); }
void dctFree(float* p) { fftwf_free(p); }

int dctPoissonAvailable(void) { return 1; }

int dctPoissonSolve(int w, int h, float* buf) {
  const size_t n = (size_t)w * h;
  int ok = dctLines(buf, w, h, 1, (size_t)w, 0) && dctLines(buf, h, w, (size_t)w, 1, 0);
  // Forward then inverse DCT multiplies by w·h: fold that into the division. Mode (0,0) is free: zero.
  const double scale = (double)w * h;
  float* kx = (float*)malloc((size_t)w * sizeof(float));
  if (!kx) return 0;
  for (int x = 0; x < w; x++) kx[x] = (float)(2.0 - 2.0 * cos(M_PI * x / w));
  const float inv = (float)(1.0 / scale);
  #pragma omp parallel for schedule(static) if (n >= 262144)
  for (int y = 0; y < h; y++) {
    const float ky = (float)(2.0 - 2.0 * cos(M_PI * y / h));
    float* row = buf + (size_t)y * w;
    for (int x = 0; x < w; x++) {
      const float lam = kx[x] + ky;
      row[x] = lam > 0 ? row[x] * inv / lam : 0.0f;
    }
  }
  free(kx);
  ok = ok && dctLines(buf, h, w, (size_t)w, 1, 1) && dctLines(buf, w, h, 1, (size_t)w, 1);
  return ok;
}

#else

int dctPoissonAvailable(void) { return 0; }

float* dctAlloc(size_t n) { return (float*)malloc(n * sizeof(float)); }
void dctFree(float* p) { free(p); }

int dctPoissonSolve(int w, int h, float* buf) {
  (void)w; (void)h; (void)buf;
  return 0;
}

#endif
