// Neumann Poisson solve on a full rectangle by the discrete cosine transform (Simchony et al.): the
// 5-point graph Laplacian of a w×h grid with free (reflecting) edges is diagonal in the DCT-II basis, with
// eigenvalues (2 − 2cos(πk/w)) + (2 − 2cos(πl/h)). So: DCT-II of the right-hand side, divide, DCT-III.
// FFTW (float, threads) does the transforms when the addon is built with it (-DHAVE_FFTW); otherwise
// dctPoissonAvailable() is 0 and integrate.c uses the multigrid-PCG solver alone.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

#ifdef HAVE_FFTW
#include <fftw3.h>
#include <pthread.h>
#include <unistd.h>

// Plans are made once per size (planning is not thread-safe: one lock) and executed on new arrays with
// fftwf_execute_r2r, which is. FFTW_ESTIMATE: FFTW_MEASURE at 12 MP costs seconds of planning on the
// booth's first scan for a few per cent of transform time.
typedef struct { int w, h; fftwf_plan fwd, inv; } PlanPair;
#define PLAN_CACHE 8
static PlanPair plans[PLAN_CACHE];
static int nPlans = 0;
static pthread_mutex_t planLock = PTHREAD_MUTEX_INITIALIZER;
static int threadsReady = 0;

static int getPlans(int w, int h, fftwf_plan* fwd, fftwf_plan* inv) {
  pthread_mutex_lock(&planLock);
  for (int k = 0; k < nPlans; k++)
    if (plans[k].w == w && plans[k].h == h) {
      *fwd = plans[k].fwd; *inv = plans[k].inv;
      pthread_mutex_unlock(&planLock);
      return 1;
    }
  if (!threadsReady) {
    fftwf_init_threads();
    threadsReady = 1;
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  fftwf_plan_with_nthreads(cpus < 1 ? 1 : cpus > 8 ? 8 : (int)cpus);
  float* tmp = (float*)fftwf_malloc((size_t)w * h * sizeof(float));
  int ok = 0;
  if (tmp) {
    // In place, row-major h×w: the last dimension (w) is the contiguous one.
    *fwd = fftwf_plan_r2r_2d(h, w, tmp, tmp, FFTW_REDFT10, FFTW_REDFT10, FFTW_ESTIMATE);
    *inv = fftwf_plan_r2r_2d(h, w, tmp, tmp, FFTW_REDFT01, FFTW_REDFT01, FFTW_ESTIMATE);
    fftwf_free(tmp);
    ok = *fwd && *inv;
    if (ok && nPlans < PLAN_CACHE) {
      plans[nPlans].w = w; plans[nPlans].h = h; plans[nPlans].fwd = *fwd; plans[nPlans].inv = *inv;
      nPlans++;
    }
    // A full cache keeps its plans (destroying one another thread may execute is unsafe); the new pair leaks
    // only in the unusual case of more than PLAN_CACHE image sizes in one process.
  }
  pthread_mutex_unlock(&planLock);
  return ok;
}

int dctPoissonAvailable(void) { return 1; }

float* dctAlloc(size_t n) { return (float*)fftwf_malloc(n * sizeof(float)); }
void dctFree(float* p) { fftwf_free(p); }

int dctPoissonSolve(int w, int h, float* buf) {
  fftwf_plan fwd, inv;
  if (!getPlans(w, h, &fwd, &inv)) return 0;
  const size_t n = (size_t)w * h;
  float* kx = (float*)malloc((size_t)w * sizeof(float));
  if (!kx) return 0;
  fftwf_execute_r2r(fwd, buf, buf);
  for (int x = 0; x < w; x++) kx[x] = (float)(2.0 - 2.0 * cos(M_PI * x / w));
  // FFTW's REDFT10 then REDFT01 multiplies by (2w)(2h): fold that scale into the division.
  const double scale = 4.0 * (double)w * h;
  #pragma omp parallel for schedule(static) if (n >= 262144)
  for (int y = 0; y < h; y++) {
    const float ky = (float)(2.0 - 2.0 * cos(M_PI * y / h));
    float* row = buf + (size_t)y * w;
    for (int x = 0; x < w; x++) {
      const float lam = (float)((kx[x] + ky) * scale);
      row[x] = lam > 0 ? row[x] / lam : 0.0f;  // the constant mode is free: zero it
    }
  }
  fftwf_execute_r2r(inv, buf, buf);
  free(kx);
  return 1;
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
