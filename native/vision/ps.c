// Photometric-stereo kernels: the same estimator as src/vision/ps-kernel.ts. Pixels are processed 8 at a
// time with GCC/Clang vector extensions (one AVX register on x86-64; plain code elsewhere), all 8 in the
// same light tile; row tails and tiles narrower than 8 px use the scalar path (double precision, like
// the TypeScript kernel).
#include <math.h>
#include <string.h>
#include "kernels.h"

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef uint16_t v8u16 __attribute__((vector_size(16)));
typedef uint8_t v8u8 __attribute__((vector_size(8)));
typedef long long v4i64 __attribute__((vector_size(32)));

static inline v8f splat(float x) { return (v8f){x, x, x, x, x, x, x, x}; }
static inline v8f vsel(v8i m, v8f a, v8f b) { return (v8f)(((v8i)a & m) | ((v8i)b & ~m)); }
#ifdef __AVX__
// Same results as the selects below (no NaNs here), one instruction each.
static inline v8f vmin(v8f a, v8f b) { return __builtin_ia32_minps256(a, b); }
static inline v8f vmax(v8f a, v8f b) { return __builtin_ia32_maxps256(a, b); }
#else
static inline v8f vmin(v8f a, v8f b) { return vsel(a < b, a, b); }
static inline v8f vmax(v8f a, v8f b) { return vsel(a > b, a, b); }
#endif
static inline v8f vand(v8i m, v8f a) { return (v8f)((v8i)a & m); }
static inline v8i splat_i_(int x) { return (v8i){x, x, x, x, x, x, x, x}; }
static inline v8f vabs(v8f a) { return (v8f)((v8i)a & splat_i_(0x7fffffff)); }
static inline int anySet(v8i m) {
#ifdef __AVX__
  return !__builtin_ia32_ptestz256((v4i64)m, (v4i64)m);
#else
  int a = 0;
  for (int k = 0; k < 8; k++) a |= m[k];
  return a != 0;
#endif
}
static inline int allSet(v8i m) { return !anySet(~m); }

// `kind` is a compile-time constant at every call (the kernels are instantiated per input type below), so
// the branch folds away.
static inline __attribute__((always_inline)) v8f load8(const PsParams* j, int kind, int i, size_t p) {
  if (kind == 1) {
    v8u16 u;
    memcpy(&u, (const uint16_t*)j->planes[i] + p, sizeof u);
#ifdef __AVX2__
    return (v8f)__builtin_ia32_cvtdq2ps256((v8i)__builtin_ia32_pmovzxwd256((__attribute__((vector_size(16))) short)u));
#else
    return __builtin_convertvector(__builtin_convertvector(u, v8i), v8f);
#endif
  }
  if (kind == 0) {
    v8u8 u;
    memcpy(&u, (const uint8_t*)j->planes[i] + p, sizeof u);
    return __builtin_convertvector(__builtin_convertvector(u, v8i), v8f);
  }
  v8f f;
  memcpy(&f, (const float*)j->planes[i] + p, sizeof f);
  return f;
}

static inline double readPlane(const PsParams* j, int i, size_t p) {
  if (j->kind == 0) return ((const uint8_t*)j->planes[i])[p];
  if (j->kind == 1) return ((const uint16_t*)j->planes[i])[p];
  return ((const float*)j->planes[i])[p];
}

static int invert3(double a00, double a01, double a02, double a11, double a12, double a22, double* inv) {
  double c00 = a11 * a22 - a12 * a12, c01 = a02 * a12 - a01 * a22, c02 = a01 * a12 - a02 * a11;
  double det = a00 * c00 + a01 * c01 + a02 * c02;
  double tr = a00 + a11 + a22;
  if (!(fabs(det) > 1e-6 * tr * tr * tr)) return 0;
  double c11 = a00 * a22 - a02 * a02, c12 = a01 * a02 - a00 * a12, c22 = a00 * a11 - a01 * a01;
  double d = 1.0 / det;
  inv[0] = c00 * d; inv[1] = c01 * d; inv[2] = c02 * d;
  inv[3] = c01 * d; inv[4] = c11 * d; inv[5] = c12 * d;
  inv[6] = c02 * d; inv[7] = c12 * d; inv[8] = c22 * d;
  return 1;
}

static inline void writeOut(const PsParams* j, size_t p, double gx, double gy, double gz, double conf) {
  double g = sqrt(gx * gx + gy * gy + gz * gz);
  if (g > 0) {
    j->normals[3 * p] = (float)(gx / g); j->normals[3 * p + 1] = (float)(gy / g); j->normals[3 * p + 2] = (float)(gz / g);
  } else {
    j->normals[3 * p] = 0; j->normals[3 * p + 1] = 0; j->normals[3 * p + 2] = 1;
    conf = 0;
  }
  j->albedo[p] = (float)g;
  j->confidence[p] = (float)conf;
}

static inline void writeMasked(const PsParams* j, size_t p) {
  j->normals[3 * p] = 0; j->normals[3 * p + 1] = 0; j->normals[3 * p + 2] = 1;
  j->albedo[p] = 0; j->confidence[p] = 0;
}

// ----- scalar path (one pixel) ------------------------------------------------------------------------------
static void pixelScalar(const PsParams* j, size_t p, int t) {
  const int n = j->n;
  if (!j->method) {
    const float* pv = j->pinv + (size_t)t * 3 * n;
    double gx = 0, gy = 0, gz = 0;
    for (int i = 0; i < n; i++) {
      double v = readPlane(j, i, p);
      gx += pv[i] * v; gy += pv[n + i] * v; gz += pv[2 * n + i] * v;
    }
    writeOut(j, p, gx, gy, gz, 1);
    return;
  }
  const float* v = j->vectors + (size_t)t * n * 3;
  const float* im = j->invMag + (size_t)t * n;
  double I[PS_MAX_LIGHTS], s[PS_MAX_LIGHTS], lows[8], highs[8];
  uint8_t state[PS_MAX_LIGHTS];
  const int kLow = j->trimLow, kHigh = j->trimHigh;
  for (int k = 0; k < 8; k++) { lows[k] = INFINITY; highs[k] = -INFINITY; }
  for (int i = 0; i < n; i++) {
    double val = readPlane(j, i, p);
    I[i] = val;
    int ok = val < j->saturation && im[i] > 0;
    state[i] = (uint8_t)ok;
    if (!ok) continue;
    double si = val * im[i];
    s[i] = si;
    double vlo = si, vhi = si;
    for (int k = 0; k < kLow; k++) { double a = fmin(lows[k], vlo); vlo = fmax(lows[k], vlo); lows[k] = a; }
    for (int k = 0; k < kHigh; k++) { double a = fmax(highs[k], vhi); vhi = fmin(highs[k], vhi); highs[k] = a; }
  }
  double lowT = kLow > 0 ? lows[kLow - 1] : -INFINITY, highT = kHigh > 0 ? highs[kHigh - 1] : INFINITY;
  double a00 = 0, a01 = 0, a02 = 0, a11 = 0, a12 = 0, a22 = 0, b0 = 0, b1 = 0, b2 = 0;
  int cnt = 0;
  for (int pass = 0; pass < 2 && cnt < 3; pass++) {
    a00 = a01 = a02 = a11 = a12 = a22 = b0 = b1 = b2 = 0;
    cnt = 0;
    for (int i = 0; i < n; i++) {
      if (!state[i] || (pass == 0 && !(s[i] > lowT && s[i] < highT))) continue;
      double lx = v[3 * i], ly = v[3 * i + 1], lz = v[3 * i + 2];
      a00 += lx * lx; a01 += lx * ly; a02 += lx * lz; a11 += ly * ly; a12 += ly * lz; a22 += lz * lz;
      b0 += I[i] * lx; b1 += I[i] * ly; b2 += I[i] * lz;
      cnt++;
    }
  }
  double inv[9], gx = 0, gy = 0, gz = 0, conf = 0;
  if (cnt >= 3 && invert3(a00, a01, a02, a11, a12, a22, inv)) {
    gx = inv[0] * b0 + inv[1] * b1 + inv[2] * b2;
    gy = inv[3] * b0 + inv[4] * b1 + inv[5] * b2;
    gz = inv[6] * b0 + inv[7] * b1 + inv[8] * b2;
    // Passes 2 and 3 (the second only where pass 2 rejected a lit reading), as in ps-kernel.ts.
    for (int gate = 0; gate < 2; gate++) {
      double gNorm = sqrt(gx * gx + gy * gy + gz * gz);
      a00 = a01 = a02 = a11 = a12 = a22 = b0 = b1 = b2 = 0;
      int kept = 0, lit = 0;
      double magSum = 0;
      for (int i = 0; i < n; i++) {
        if (!(im[i] > 0)) continue;
        if (state[i] == 3) state[i] = 1;
        double lx = v[3 * i], ly = v[3 * i + 1], lz = v[3 * i + 2];
        double mag = 1.0 / im[i];
        double pred = lx * gx + ly * gy + lz * gz;
        double scale = gNorm * mag;
        if (!(pred > j->cosMin * scale)) continue;
        lit++;
        if (state[i] && fabs(I[i] - pred) <= j->tol * scale) {
          a00 += lx * lx; a01 += lx * ly; a02 += lx * lz; a11 += ly * ly; a12 += ly * lz; a22 += lz * lz;
          b0 += I[i] * lx; b1 += I[i] * ly; b2 += I[i] * lz;
          state[i] = 3;
          kept++;
          magSum += mag;
        }
      }
      if (!(kept >= 3 && invert3(a00, a01, a02, a11, a12, a22, inv))) {
        if (gate == 0) conf = 0.1;
        break;
      }
      gx = inv[0] * b0 + inv[1] * b1 + inv[2] * b2;
      gy = inv[3] * b0 + inv[4] * b1 + inv[5] * b2;
      gz = inv[6] * b0 + inv[7] * b1 + inv[8] * b2;
      double r2 = 0;
      for (int i = 0; i < n; i++) {
        if (state[i] != 3) continue;
        double r = I[i] - (v[3 * i] * gx + v[3 * i + 1] * gy + v[3 * i + 2] * gz);
        r2 += r * r;
      }
      double g2 = sqrt(gx * gx + gy * gy + gz * gz);
      double x = g2 > 0 ? sqrt(r2 / kept) / (g2 * (magSum / kept)) / 0.05 : 1e3;
      double q = (kept - 2) / 4.0;
      double rej = (1.0 - (double)kept / lit) / 0.1;
      conf = (q < 1 ? q : 1) / ((1 + x * x) * (1 + rej * rej));
      if (kept == lit) break;
    }
  }
  writeOut(j, p, gx, gy, gz, conf);
}

// ----- vector path (8 pixels of one tile) -------------------------------------------------------------------

// Solve the symmetric 3×3 systems of 8 pixels; ok lanes are -1 where the matrix is well conditioned.
static inline v8i solve3(v8f a00, v8f a01, v8f a02, v8f a11, v8f a12, v8f a22, v8f b0, v8f b1, v8f b2, v8f* gx, v8f* gy, v8f* gz) {
  v8f c00 = a11 * a22 - a12 * a12, c01 = a02 * a12 - a01 * a22, c02 = a01 * a12 - a02 * a11;
  v8f det = a00 * c00 + a01 * c01 + a02 * c02;
  v8f tr = a00 + a11 + a22;
  v8i ok = vabs(det) > splat(1e-6f) * tr * tr * tr;
  v8f c11 = a00 * a22 - a02 * a02, c12 = a01 * a02 - a00 * a12, c22 = a00 * a11 - a01 * a01;
  v8f d = vsel(ok, splat(1.0f) / det, splat(0));
  *gx = (c00 * b0 + c01 * b1 + c02 * b2) * d;
  *gy = (c01 * b0 + c11 * b1 + c12 * b2) * d;
  *gz = (c02 * b0 + c12 * b1 + c22 * b2) * d;
  return ok;
}

// 1/√a for a > 0 (lanes with a ≤ 0 give 0): the hardware estimate plus one Newton step (~22 bits), in
// place of a square root and a division, the slowest vector instructions.
static inline v8f vrsqrt(v8f a) {
#ifdef __AVX__
  v8f y = __builtin_ia32_rsqrtps256(a);
  y = y * (splat(1.5f) - splat(0.5f) * a * y * y);
  return vsel(a > splat(0), y, splat(0));
#else
  v8f r;
  for (int k = 0; k < 8; k++) r[k] = a[k] > 0 ? 1.0f / sqrtf(a[k]) : 0;
  return r;
#endif
}

// Store 8 pixels' outputs with vector stores (normals interleaved x y z by two-source shuffles); lanes
// outside the mask (m = 0) get n = (0,0,1), albedo 0, confidence 0.
static inline __attribute__((always_inline)) void store8(const PsParams* j, size_t p, v8i m, v8f ox, v8f oy, v8f oz, v8f al, v8f cf) {
  ox = vand(m, ox); oy = vand(m, oy); oz = vsel(m, oz, splat(1)); al = vand(m, al); cf = vand(m, cf);
  v8f t0 = __builtin_shuffle(ox, oy, (v8i){0, 8, 0, 1, 9, 0, 2, 10});
  v8f t1 = __builtin_shuffle(ox, oy, (v8i){0, 3, 11, 0, 4, 12, 0, 5});
  v8f t2 = __builtin_shuffle(ox, oy, (v8i){13, 0, 6, 14, 0, 7, 15, 0});
  v8f v0 = __builtin_shuffle(t0, oz, (v8i){0, 1, 8, 3, 4, 9, 6, 7});
  v8f v1 = __builtin_shuffle(t1, oz, (v8i){10, 1, 2, 11, 4, 5, 12, 7});
  v8f v2 = __builtin_shuffle(t2, oz, (v8i){0, 13, 2, 3, 14, 5, 6, 15});
  float* n = j->normals + 3 * p;
  memcpy(n, &v0, 32); memcpy(n + 8, &v1, 32); memcpy(n + 16, &v2, 32);
  memcpy(j->albedo + p, &al, 32); memcpy(j->confidence + p, &cf, 32);
}

// Lanes of the mask (all on when there is none).
static inline v8i mask8(const PsParams* j, size_t p) {
  if (!j->mask) return splat_i_(-1);
  v8u8 u;
  memcpy(&u, j->mask + p, 8);
  return __builtin_convertvector(u, v8i) != splat_i_(0);
}

// Prefetch distance for the input planes: the solve reads 16 (or more) streams at once, more than the
// hardware prefetchers follow well; measured best around 512 B ahead on the booth's EPYC.
#define PS_PREFETCH_BYTES 512

// Prefetch each plane's line PS_PREFETCH_BYTES ahead, once per 64-byte line of that plane.
static inline __attribute__((always_inline)) void prefetchPlanes(const PsParams* j, int kind, size_t p) {
  const int size = kind == 0 ? 1 : kind == 1 ? 2 : 4;
  if ((p * size) % 64 != 0) return;
  for (int i = 0; i < j->n; i++) __builtin_prefetch((const char*)j->planes[i] + p * size + PS_PREFETCH_BYTES);
}

// Plain LS for 8·B pixels of one tile (B = 1, 2 or 4: independent sums, so the FMA latency of one
// block's 16-term dot products overlaps the others'): g = pinv · I, n = g/|g|, albedo |g|.
static inline __attribute__((always_inline)) void lsBlock(const PsParams* j, int kind, int B, size_t p, int t, const v8i* m) {
  const int n = j->n;
  const float* pv = j->pinv + (size_t)t * 3 * n;
  v8f gx[4], gy[4], gz[4];
  for (int b = 0; b < B; b++) { gx[b] = gy[b] = gz[b] = splat(0); prefetchPlanes(j, kind, p + 8 * b); }
  for (int i = 0; i < n; i++) {
    const v8f c0 = splat(pv[i]), c1 = splat(pv[n + i]), c2 = splat(pv[2 * n + i]);
    for (int b = 0; b < B; b++) {
      v8f v = load8(j, kind, i, p + 8 * b);
      gx[b] += c0 * v; gy[b] += c1 * v; gz[b] += c2 * v;
    }
  }
  for (int b = 0; b < B; b++) {
    v8f g2 = gx[b] * gx[b] + gy[b] * gy[b] + gz[b] * gz[b];
    v8f r = vrsqrt(g2), g = g2 * r;
    v8i pos = g2 > splat(0);
    store8(j, p + 8 * b, m[b], gx[b] * r, gy[b] * r, vsel(pos, gz[b] * r, splat(1)), g, vand(pos, splat(1)));
  }
}

#include "ps-robust8.h"
#include "ps-wide.h"
#ifdef PS_WIDE
#define LS32(j, K, p, t, m) lsBlock32w(j, K, p, t, m)
#else
#define LS32(j, K, p, t, m) lsBlock(j, K, 4, p, t, m)
#endif

// The default trims (2 darkest, 1 brightest) get their own instance: the selection network unrolls.
// Each robust instance is one out-of-line function (one copy of a large body: it stays in the µop cache).
#define PS_INSTANCE(K)                                                                          \
  static __attribute__((noinline)) void robust8_##K##_21(const PsParams* j, const TileScratch* sc, size_t p, int t, v8i m) { \
    robustBlock8(j, sc, K, 2, 1, p, t, m);                                                      \
  }                                                                                             \
  static __attribute__((noinline)) void robust8_##K##_any(const PsParams* j, const TileScratch* sc, size_t p, int t, v8i m) { \
    robustBlock8(j, sc, K, j->trimLow, j->trimHigh, p, t, m);                                   \
  }                                                                                             \
  static void block8_##K(const PsParams* j, TileScratch* sc, size_t p, int t, const v8i* m) {   \
    if (!j->method) { lsBlock(j, K, 1, p, t, m); return; }                                      \
    tileScratch(j, t, sc);                                                                      \
    if (j->trimLow == 2 && j->trimHigh == 1) robust8_##K##_21(j, sc, p, t, m[0]);               \
    else robust8_##K##_any(j, sc, p, t, m[0]);                                                  \
  }                                                                                             \
  static void block32_##K(const PsParams* j, TileScratch* sc, size_t p, int t, const v8i* m) {  \
    if (!j->method) { LS32(j, K, p, t, m); return; }                                            \
    tileScratch(j, t, sc);                                                                      \
    void (*f)(const PsParams*, const TileScratch*, size_t, int, v8i) = j->trimLow == 2 && j->trimHigh == 1 ? robust8_##K##_21 : robust8_##K##_any; \
    for (int b = 0; b < 4; b++) if (anySet(m[b])) f(j, sc, p + 8 * b, t, m[b]); else for (int k = 0; k < 8; k++) writeMasked(j, p + 8 * b + k); \
  }
PS_INSTANCE(0)
PS_INSTANCE(1)
PS_INSTANCE(2)

#ifdef PS_WIDE
#define PS_WIDE_INSTANCE(K)                                                                     \
  static __attribute__((noinline)) void robust16_##K##_21(const PsParams* j, const v16f* c, int allLit, size_t p, v16i m) { \
    if (allLit && ((K == 0 && j->saturation > 255) || (K == 1 && j->saturation > 65535)))    \
      robustBlock16(j, c, K, 1, 2, 1, p, m);                                                    \
    else robustBlock16(j, c, K, 0, 2, 1, p, m);                                                 \
  }                                                                                             \
  static __attribute__((noinline)) void robust16_##K##_any(const PsParams* j, const v16f* c, int allLit, size_t p, v16i m) { \
    (void)allLit;                                                                               \
    robustBlock16(j, c, K, 0, j->trimLow, j->trimHigh, p, m);                                   \
  }
PS_WIDE_INSTANCE(0)
PS_WIDE_INSTANCE(1)
PS_WIDE_INSTANCE(2)
typedef void (*WideFn)(const PsParams*, const v16f*, int, size_t, v16i);

// Robust rows 16 px at a time; returns the first column left for the 8-px and scalar paths.
static int robustRowWide(const PsParams* j, WideFn f, WideRow* r, int y) {
  const int w = j->width, ty = y / j->tileSize;
  wideRowFill(j, r, ty);
  const size_t row = (size_t)y * w;
  int x = 0;
  for (; x + 16 <= w; x += 16) {
    size_t p = row + x;
    v8i m0 = mask8(j, p), m1 = mask8(j, p + 8);
    if (!anySet(m0 | m1)) { for (int k = 0; k < 16; k++) writeMasked(j, p + k); continue; }
    const int q = r->blocks == 1 ? 0 : x / 16;
    f(j, r->k + (size_t)q * r->stride, r->allLit[q], p, wjoin(m0, m1));
  }
  return x;
}
#endif

typedef void (*BlockFn)(const PsParams*, TileScratch*, size_t, int, const v8i*);

// The solve's memory traffic without its arithmetic (method 2, for the benchmark's bound): read every
// plane once, write every output once, with the solve's access pattern and prefetch.
static void probeRun(const PsParams* j) {
  const int w = j->width;
  const int size = j->kind == 0 ? 1 : j->kind == 1 ? 2 : 4;
  for (int y = j->y0; y < j->y1; y++) {
    const size_t row = (size_t)y * w;
    int x = 0;
    for (; x + 32 <= w; x += 32) {
      size_t p = row + x;
      v8i acc = splat_i_(0);
      for (int b = 0; b < 4; b++) prefetchPlanes(j, j->kind, p + 8 * b);
      for (int i = 0; i < j->n; i++) {
        const char* src = (const char*)j->planes[i] + p * size;
        for (int o = 0; o < 32 * size; o += 32) { v8i v; memcpy(&v, src + o, 32); acc |= v; }
      }
      v8f a = (v8f)acc;
      for (int b = 0; b < 4; b++) store8(j, p + 8 * b, splat_i_(-1), a, a, a, a, a);
    }
    for (; x < w; x++) writeMasked(j, row + x);
  }
}

void psRun(const PsParams* j) {
  if (j->method == 2) { probeRun(j); return; }
  const int w = j->width, ts = j->tileSize;
  const int vectorTiles = ts % 8 == 0 || ts >= w;
  const int wideTiles = ts % 32 == 0 || ts >= w;
  BlockFn block8 = j->kind == 0 ? block8_0 : j->kind == 1 ? block8_1 : block8_2;
  BlockFn block32 = j->kind == 0 ? block32_0 : j->kind == 1 ? block32_1 : block32_2;
  TileScratch sc;
  sc.tile = -1;
#ifdef PS_WIDE
  WideRow* wc = j->method && vectorTiles ? wideRowNew(j) : NULL;
  const int k21 = j->trimLow == 2 && j->trimHigh == 1;
  WideFn wf = j->kind == 0 ? (k21 ? robust16_0_21 : robust16_0_any) : j->kind == 1 ? (k21 ? robust16_1_21 : robust16_1_any) : (k21 ? robust16_2_21 : robust16_2_any);
#endif
  for (int y = j->y0; y < j->y1; y++) {
    const int ty = y / ts;
    const size_t row = (size_t)y * w;
    int x = 0;
#ifdef PS_WIDE
    if (wc) x = robustRowWide(j, wf, wc, y);
#endif
    if (vectorTiles) {
      const int step = wideTiles ? 32 : 8;
      for (; x + step <= w; x += step) {
        size_t p = row + x;
        v8i m[4];
        int any = 0;
        for (int b = 0; b < step / 8; b++) {
          m[b] = mask8(j, p + 8 * b);
          any |= anySet(m[b]);
        }
        if (!any) { for (int k = 0; k < step; k++) writeMasked(j, p + k); continue; }
        (step == 32 ? block32 : block8)(j, &sc, p, ty * j->tilesX + x / ts, m);
      }
      for (; x + 8 <= w; x += 8) {
        size_t p = row + x;
        v8i m = mask8(j, p);
        int any = 0;
        for (int k = 0; k < 8; k++) any |= m[k];
        if (!any) { for (int k = 0; k < 8; k++) writeMasked(j, p + k); continue; }
        block8(j, &sc, p, ty * j->tilesX + x / ts, &m);
      }
    }
    for (; x < w; x++) {
      size_t p = row + x;
      if (j->mask && !j->mask[p]) { writeMasked(j, p); continue; }
      pixelScalar(j, p, ty * j->tilesX + x / ts);
    }
  }
#ifdef PS_WIDE
  wideRowFree(wc);
#endif
}
