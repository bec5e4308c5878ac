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
// SIMD real-to-complex FFT, a twiddle; columns by transposing. Rows go in chunks, one chunk per OpenMP
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

// In place on `rows` rows of length n: forward = unscaled DCT-II (Y_k = Σ x_j cos(π(2j+1)k/2n)),
// inverse = its inverse times n.
static int dctRows(float* a, int n, int rows, int inverse) {
  RowPlan P;
  if (!rowPlan(n, &P)) return 0;
  const int nc = n / 2 + 1;
  float* cs = (float*)malloc((size_t)n * 2 * sizeof(float));
  for (int k = 0; k < n; k++) { cs[2 * k] = (float)cos(M_PI * k / (2.0 * n)); cs[2 * k + 1] = (float)sin(M_PI * k / (2.0 * n)); }
  int failed = 0;
  #pragma omp parallel if ((size_t)n * rows >= 262144)
  {
    float* r = (float*)fftwf_malloc((size_t)CHUNK * n * sizeof(float));
    fftwf_complex* c = (fftwf_complex*)fftwf_malloc((size_t)CHUNK * nc * sizeof(fftwf_complex));
    if (!r || !c) failed = 1;
    #pragma omp for schedule(static)
    for (int r0 = 0; r0 < rows; r0 += CHUNK) {
      if (!r || !c) continue;
      const int m = rows - r0 < CHUNK ? rows - r0 : CHUNK;
      if (!inverse) {
        for (int q = 0; q < CHUNK; q++) {
          float* v = r + (size_t)q * n;
          if (q >= m) { memset(v, 0, (size_t)n * sizeof(float)); continue; }
          const float* x = a + (size_t)(r0 + q) * n;
          for (int j = 0; 2 * j < n; j++) v[j] = x[2 * j];
          for (int j = 0; 2 * j + 1 < n; j++) v[n - 1 - j] = x[2 * j + 1];
        }
        fftwf_execute_dft_r2c(P.fwd, r, c);
        for (int q = 0; q < m; q++) {
          const fftwf_complex* V = c + (size_t)q * nc;
          float* y = a + (size_t)(r0 + q) * n;
          y[0] = V[0][0];
          for (int k = 1; k < nc; k++) {
            const float re = V[k][0], im = V[k][1], co = cs[2 * k], si = cs[2 * k + 1];
            y[k] = co * re + si * im;
            if (n - k > k) y[n - k] = si * re - co * im;
          }
        }
      } else {
        for (int q = 0; q < CHUNK; q++) {
          fftwf_complex* V = c + (size_t)q * nc;
          if (q >= m) { memset(V, 0, (size_t)nc * sizeof(fftwf_complex)); continue; }
          const float* y = a + (size_t)(r0 + q) * n;
          V[0][0] = y[0]; V[0][1] = 0;
          for (int k = 1; k < nc; k++) {
            const float p = y[k], s = n - k < n ? y[n - k] : 0, co = cs[2 * k], si = cs[2 * k + 1];
            V[k][0] = co * p + si * s;
            V[k][1] = si * p - co * s;
          }
        }
        fftwf_execute_dft_c2r(P.inv, c, r);
        for (int q = 0; q < m; q++) {
          const float* v = r + (size_t)q * n;
          float* x = a + (size_t)(r0 + q) * n;
          for (int j = 0; 2 * j < n; j++) x[2 * j] = v[j];
          for (int j = 0; 2 * j + 1 < n; j++) x[2 * j + 1] = v[n - 1 - j];
        }
      }
    }
    fftwf_free(r);
    fftwf_free(c);
  }
  free(cs);
  return !failed;
}

// dst (w×h, row-major) = transpose of src (h×w), in 32×32 blocks.
static void transpose(const float* src, float* dst, int w, int h) {
  #pragma omp parallel for schedule(static) if ((size_t)w * h >= 262144)
  for (int by = 0; by < h; by += 32)
    for (int bx = 0; bx < w; bx += 32)
      for (int y = by; y < by + 32 && y < h; y++)
        for (int x = bx; x < bx + 32 && x < w; x++) dst[(size_t)x * h + y] = src[(size_t)y * w + x];
}

float* dctAlloc(size_t n) { return (float*)fftwf_malloc(n * sizeof(float)); }
void dctFree(float* p) { fftwf_free(p); }

int dctPoissonAvailable(void) { return 1; }

int dctPoissonSolve(int w, int h, float* buf) {
  const size_t n = (size_t)w * h;
  float* t = (float*)malloc(n * sizeof(float));
  if (!t) return 0;
  adviseHuge(t, n * sizeof(float));
  int ok = dctRows(buf, w, h, 0);
  transpose(buf, t, w, h);  // t: w rows of length h (row x holds column x)
  ok = ok && dctRows(t, h, w, 0);
  // Forward then inverse DCT multiplies by w·h: fold that into the division. Mode (0,0) is free: zero.
  const double scale = (double)w * h;
  float* ky = (float*)malloc((size_t)h * sizeof(float));
  for (int y = 0; y < h; y++) ky[y] = (float)(2.0 - 2.0 * cos(M_PI * y / h));
  #pragma omp parallel for schedule(static) if (n >= 262144)
  for (int x = 0; x < w; x++) {
    const float kx = (float)(2.0 - 2.0 * cos(M_PI * x / w));
    const float inv = (float)(1.0 / scale);
    float* row = t + (size_t)x * h;
    for (int y = 0; y < h; y++) {
      const float lam = kx + ky[y];
      row[y] = lam > 0 ? row[y] * inv / lam : 0.0f;
    }
  }
  free(ky);
  ok = ok && dctRows(t, h, w, 1);
  transpose(t, buf, h, w);
  ok = ok && dctRows(buf, w, h, 1);
  free(t);
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
