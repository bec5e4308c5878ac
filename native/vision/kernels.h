// Plain C kernels behind the N-API glue (addon.c). No Node headers here: the kernels are testable alone.
#ifndef GRADEBOOTH_VISION_KERNELS_H
#define GRADEBOOTH_VISION_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#define PS_MAX_LIGHTS 64

#include <sys/mman.h>
/** Ask for transparent huge pages on the 2 MB-aligned interior of a large buffer not yet touched: first
 *  touch of 100 MB then costs ~11 ms of page faults instead of ~50 ms (the booth's kernel has THP on
 *  madvise only). Harmless on touched memory, a no-op where the call does not exist. */
static inline void adviseHuge(void* p, size_t bytes) {
#ifdef MADV_HUGEPAGE
  const uintptr_t huge = (uintptr_t)2 << 20;
  if (!p || bytes < 4 * huge) return;
  const uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1), e = ((uintptr_t)p + bytes) & ~(huge - 1);
  if (e > a) madvise((void*)a, e - a, MADV_HUGEPAGE);
#else
  (void)p; (void)bytes;
#endif
}

/** One band [y0, y1) of a photometric-stereo solve; see src/vision/ps-kernel.ts for the algorithm. */
typedef struct {
  int n, kind, width, tileSize, tilesX, method, trimLow, trimHigh, y0, y1;
  double saturation, tol, cosMin;
  const void* planes[PS_MAX_LIGHTS];
  const float *vectors, *pinv, *invMag;
  /** [tile][6] Σ l lᵀ over all lights (xx xy xz yy yz zz). */
  const float* normalAll;
  const uint8_t* mask;
  float *normals, *albedo, *confidence;
} PsParams;

void psRun(const PsParams* j);

/** Masked Poisson solve by multigrid-preconditioned CG; z is the initial guess and the result. */
int poissonRun(int w, int h, const float* rhs, const uint8_t* mask, float* z, double tol, int maxIt, int threads);

/** 1 when built with FFTW (-DHAVE_FFTW). */
int dctPoissonAvailable(void);

/** Neumann Poisson on the full w×h rectangle by DCT, in place: buf = L⁺ buf (zero mean); 0 if it could not run. */
int dctPoissonSolve(int w, int h, float* buf);
/** Buffers for dctPoissonSolve (SIMD-aligned). */
float* dctAlloc(size_t n);
void dctFree(float* p);

enum { INTEGRATE_PCG = 0, INTEGRATE_DCT = 1, INTEGRATE_DCT_PCG = 2 };
/** Normals (3 per px) → zero-mean height on the mask (0 outside); returns the CG iterations, *solver the method. */
int integrateRun(int w, int h, const float* normals, const uint8_t* mask, float minNz, float* z, double tol, int maxIt, int* solver);

/** Rows [y0, y1) of a homography resampling (see src/vision/rectify.ts) of up to 4 images sharing the
 *  mapping: image k has chans[k] interleaved channels; with rotate, image 0 holds 3-channel normals. */
#define WARP_MAX_IMAGES 4
typedef struct {
  int srcW, srcH, dstW, y0, y1, rotate, count;
  int chans[WARP_MAX_IMAGES];
  double H[9];
  float cosPhi, sinPhi;
  const float* src[WARP_MAX_IMAGES];
  float* dst[WARP_MAX_IMAGES];
} WarpParams;

void warpRun(const WarpParams* j);

/** Output rows [y0, y1) of an area-average resampling of a side's maps to dstW × dstH (coarser); see
 *  src/grading/surface/resample.ts. confidence/outConfidence (the PS fit) may both be NULL. */
typedef struct {
  int srcW, srcH, dstW, dstH, y0, y1;
  const uint8_t* mask;
  const float *normals, *albedo, *relief, *confidence;
  uint8_t* outMask;
  float *outNormals, *outAlbedo, *outRelief, *outConfidence;
} ResampleParams;

void resampleAreaRun(const ResampleParams* p);

/** Output rows [y0, y1) of the report's whole-side pictures (src/grading/report-images.ts) straight from a
 *  side's maps: the area average of resampleAreaRun (mask, normals, albedo) turned into 8-bit grey albedo ×
 *  albedoScale as RGB, the relief shaded by `light` with slopes × slopeGain (40 off the card) and the normals
 *  as colours, each byte as a Uint8ClampedArray stores it. */
typedef struct {
  int srcW, srcH, dstW, dstH, y0, y1;
  double albedoScale, slopeGain;
  double light[3];
  const uint8_t* mask;
  const float *normals, *albedo;
  uint8_t *albedoRgb, *shade, *normalRgb;
} PicturesParams;

void resamplePicturesRun(const PicturesParams* p);

/** The surface model's feature planes (src/grading/surface/features.ts), channel-major 6 × h × w into
 *  `out`; only the channels whose bit is set in `channels` (0, 1 slope, 2 relief, 3 log albedo, 4 misfit,
 *  5 mask), so two calls can share a side. Radii in px, asinh scales as in surfaceFeatureSpec. */
typedef struct {
  int w, h, channels, rSlope, rRelief, rAlbedo;
  double sSlope, sRelief, sAlbedo;
  const uint8_t* mask;
  const float *normals, *albedo, *relief, *confidence;
  float* out;
} FeaturesParams;

/** 0, or 1 when its scratch (the integral images' rows in reach of a window) could not be allocated. */
int surfaceFeaturesRun(const FeaturesParams* p);

/** Rows [ya, yb) × columns [xa, xb) of the map (w × h, `classes` planes in `out`) from one packed tile of
 *  logits ([classes·block²][tileH/block][tileW/block], `logits` pointing at the tile's slot) whose top-left
 *  map pixel is (x0, y0), with the softmax over the classes (src/grading/surface/tile-layout.ts). */
typedef struct {
  int classes, block, tileW, tileH, x0, y0, w, h, ya, yb, xa, xb;
  const float* logits;
  float* out;
} UnpackParams;

void unpackSoftmaxRun(const UnpackParams* p);

/** Tile rows [ty0, ty1) of one network input tile ([channels·block²][tileH/block][tileW/block] at `input`,
 *  the slot's start) from the feature planes (`channels` × h × w) for the tile whose top-left map pixel is
 *  (x0, y0). Values off the map are left as they are (zeros). */
typedef struct {
  int channels, block, tileW, tileH, x0, y0, w, h, ty0, ty1;
  const float* features;
  float* input;
} PackParams;

void packTileRun(const PackParams* p);

/** Mask operations (morph.c), synchronous; each returns -1 when its scratch cannot be allocated. Masks are
 *  read as set where nonzero and written as 0/1. */
int erodeSquareRun(const uint8_t* mask, int w, int h, int r, uint8_t* out);
int dilateSquareRun(const uint8_t* m, int w, int h, int r, uint8_t* out);
/** 8-connected components numbered in the raster order of their first pixel; the count. */
int componentsRun(const uint8_t* m, int w, int h, int32_t* labels);
/** `passes` masked box means of radius r (out must not be `values`). */
int maskedBoxMeanRun(const float* values, const uint8_t* mask, int w, int h, int r, int passes, float* out);

#endif
