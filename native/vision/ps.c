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

static inline v8f splat(float x) { return (v8f){x, x, x, x, x, x, x, x}; }
static inline v8f vsel(v8i m, v8f a, v8f b) { return (v8f)(((v8i)a & m) | ((v8i)b & ~m)); }
static inline v8f vmin(v8f a, v8f b) { return vsel(a < b, a, b); }
static inline v8f vmax(v8f a, v8f b) { return vsel(a > b, a, b); }
static inline v8f vand(v8i m, v8f a) { return (v8f)((v8i)a & m); }
static inline v8i splat_i_(int x) { return (v8i){x, x, x, x, x, x, x, x}; }
static inline v8f vabs(v8f a) { return (v8f)((v8i)a & splat_i_(0x7fffffff)); }

// `kind` is a compile-time constant at every call (the kernels are instantiated per input type below), so
// the branch folds away.
static inline __attribute__((always_inline)) v8f load8(const PsParams* j, int kind, int i, size_t p) {
  if (kind == 1) {
    v8u16 u;
    memcpy(&u, (const uint16_t*)j->planes[i] + p, sizeof u);
    return __builtin_convertvector(u, v8f);
  }
  if (kind == 0) {
    v8u8 u;
    memcpy(&u, (const uint8_t*)j->planes[i] + p, sizeof u);
    return __builtin_convertvector(u, v8f);
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
    double gNorm = sqrt(gx * gx + gy * gy + gz * gz);
    a00 = a01 = a02 = a11 = a12 = a22 = b0 = b1 = b2 = 0;
    int kept = 0;
    double magSum = 0;
    for (int i = 0; i < n; i++) {
      if (!state[i]) continue;
      double lx = v[3 * i], ly = v[3 * i + 1], lz = v[3 * i + 2];
      double mag = 1.0 / im[i];
      double pred = lx * gx + ly * gy + lz * gz;
      double scale = gNorm * mag;
      if (pred > j->cosMin * scale && fabs(I[i] - pred) <= j->tol * scale) {
        a00 += lx * lx; a01 += lx * ly; a02 += lx * lz; a11 += ly * ly; a12 += ly * lz; a22 += lz * lz;
        b0 += I[i] * lx; b1 += I[i] * ly; b2 += I[i] * lz;
        state[i] = 3;
        kept++;
        magSum += mag;
      }
    }
    if (kept >= 3 && invert3(a00, a01, a02, a11, a12, a22, inv)) {
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
      conf = (q < 1 ? q : 1) / (1 + x * x);
    } else {
      conf = 0.1;
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

static inline v8f vsqrt(v8f a) {
#ifdef __AVX__
  return __builtin_ia32_sqrtps256(a);
#else
  v8f r;
  for (int k = 0; k < 8; k++) r[k] = sqrtf(a[k]);
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

// Plain LS for 8·B pixels of one tile (B = 1 or 2): g = pinv · I, n = g/|g|, albedo |g|.
static inline __attribute__((always_inline)) void lsBlock(const PsParams* j, int kind, int B, size_t p, int t, const v8i* m) {
  const int n = j->n;
  const float* pv = j->pinv + (size_t)t * 3 * n;
  v8f gx[2] = {splat(0), splat(0)}, gy[2] = {splat(0), splat(0)}, gz[2] = {splat(0), splat(0)};
  prefetchPlanes(j, kind, p);
  if (B == 2) prefetchPlanes(j, kind, p + 8);
  for (int i = 0; i < n; i++) {
    const v8f c0 = splat(pv[i]), c1 = splat(pv[n + i]), c2 = splat(pv[2 * n + i]);
    for (int b = 0; b < B; b++) {
      v8f v = load8(j, kind, i, p + 8 * b);
      gx[b] += c0 * v; gy[b] += c1 * v; gz[b] += c2 * v;
    }
  }
  for (int b = 0; b < B; b++) {
    v8f g = vsqrt(gx[b] * gx[b] + gy[b] * gy[b] + gz[b] * gz[b]);
    v8i pos = g > splat(0);
    v8f r = vsel(pos, splat(1) / g, splat(0));
    store8(j, p + 8 * b, m[b], gx[b] * r, gy[b] * r, vsel(pos, gz[b] * r, splat(1)), g, vand(pos, splat(1)));
  }
}

static inline __attribute__((always_inline)) void robustBlock8(const PsParams* j, int kind, size_t p, int t, v8i m) {
  const int n = j->n;
  {
    const float* lv = j->vectors + (size_t)t * n * 3;
    const float* im = j->invMag + (size_t)t * n;
    v8f I[PS_MAX_LIGHTS];
    v8i valid[PS_MAX_LIGHTS];
    v8f s[PS_MAX_LIGHTS];
    v8f lows[8], highs[8];
    const int kLow = j->trimLow, kHigh = j->trimHigh;
    for (int k = 0; k < 8; k++) { lows[k] = splat(INFINITY); highs[k] = splat(-INFINITY); }
    const v8f sat = splat((float)j->saturation);
    for (int i = 0; i < n; i++) {
      v8f val = load8(j, kind, i, p);
      I[i] = val;
      valid[i] = (val < sat) & splat_i_(im[i] > 0 ? -1 : 0);
      v8f si = val * splat(im[i]);
      s[i] = si;
      v8f vlo = vsel(valid[i], si, splat(INFINITY)), vhi = vsel(valid[i], si, splat(-INFINITY));
      for (int k = 0; k < kLow; k++) { v8f a = vmin(lows[k], vlo); vlo = vmax(lows[k], vlo); lows[k] = a; }
      for (int k = 0; k < kHigh; k++) { v8f a = vmax(highs[k], vhi); vhi = vmin(highs[k], vhi); highs[k] = a; }
    }
    v8f lowT = kLow > 0 ? lows[kLow - 1] : splat(-INFINITY), highT = kHigh > 0 ? highs[kHigh - 1] : splat(INFINITY);
    // Pass 1 (trimmed); lanes left with fewer than 3 readings (rare: saturation) redo it with all valid.
    v8f a00 = splat(0), a01 = splat(0), a02 = splat(0), a11 = splat(0), a12 = splat(0), a22 = splat(0), b0 = splat(0), b1 = splat(0), b2 = splat(0), cnt = splat(0);
    for (int i = 0; i < n; i++) {
      const float lx = lv[3 * i], ly = lv[3 * i + 1], lz = lv[3 * i + 2];
      v8f wt = vand(valid[i] & (s[i] > lowT) & (s[i] < highT), splat(1));
      v8f wi = wt * I[i];
      a00 += wt * (lx * lx); a01 += wt * (lx * ly); a02 += wt * (lx * lz); a11 += wt * (ly * ly); a12 += wt * (ly * lz); a22 += wt * (lz * lz);
      b0 += wi * lx; b1 += wi * ly; b2 += wi * lz; cnt += wt;
    }
    v8i few = cnt < splat(3);
    int anyFew = 0;
    for (int k = 0; k < 8; k++) anyFew |= few[k];
    if (anyFew) {
      v8f va00 = splat(0), va01 = splat(0), va02 = splat(0), va11 = splat(0), va12 = splat(0), va22 = splat(0), vb0 = splat(0), vb1 = splat(0), vb2 = splat(0), vcnt = splat(0);
      for (int i = 0; i < n; i++) {
        const float lx = lv[3 * i], ly = lv[3 * i + 1], lz = lv[3 * i + 2];
        v8f wv = vand(valid[i], splat(1));
        v8f vi = wv * I[i];
        va00 += wv * (lx * lx); va01 += wv * (lx * ly); va02 += wv * (lx * lz); va11 += wv * (ly * ly); va12 += wv * (ly * lz); va22 += wv * (lz * lz);
        vb0 += vi * lx; vb1 += vi * ly; vb2 += vi * lz; vcnt += wv;
      }
      a00 = vsel(few, va00, a00); a01 = vsel(few, va01, a01); a02 = vsel(few, va02, a02);
      a11 = vsel(few, va11, a11); a12 = vsel(few, va12, a12); a22 = vsel(few, va22, a22);
      b0 = vsel(few, vb0, b0); b1 = vsel(few, vb1, b1); b2 = vsel(few, vb2, b2); cnt = vsel(few, vcnt, cnt);
    }
    v8f gx, gy, gz;
    v8i ok1 = solve3(a00, a01, a02, a11, a12, a22, b0, b1, b2, &gx, &gy, &gz) & (cnt >= splat(3));
    gx = vand(ok1, gx); gy = vand(ok1, gy); gz = vand(ok1, gz);
    // Pass 2: readings that agree with the first estimate.
    v8f gn2 = gx * gx + gy * gy + gz * gz, gNorm;
    for (int k = 0; k < 8; k++) gNorm[k] = sqrtf(gn2[k]);
    a00 = a01 = a02 = a11 = a12 = a22 = b0 = b1 = b2 = splat(0);
    v8f kept = splat(0), magSum = splat(0);
    v8i keep[PS_MAX_LIGHTS];
    const v8f cosMin = splat((float)j->cosMin), tol = splat((float)j->tol);
    for (int i = 0; i < n; i++) {
      const float lx = lv[3 * i], ly = lv[3 * i + 1], lz = lv[3 * i + 2];
      const float mag = im[i] > 0 ? 1.0f / im[i] : 0;
      v8f pred = gx * lx + gy * ly + gz * lz;
      v8f scale = gNorm * mag;
      keep[i] = valid[i] & (pred > cosMin * scale) & (vabs(I[i] - pred) <= tol * scale);
      v8f w = vand(keep[i], splat(1));
      v8f wi = w * I[i];
      a00 += w * (lx * lx); a01 += w * (lx * ly); a02 += w * (lx * lz); a11 += w * (ly * ly); a12 += w * (ly * lz); a22 += w * (lz * lz);
      b0 += wi * lx; b1 += wi * ly; b2 += wi * lz;
      kept += w; magSum += w * mag;
    }
    v8f hx, hy, hz;
    v8i ok2 = solve3(a00, a01, a02, a11, a12, a22, b0, b1, b2, &hx, &hy, &hz) & (kept >= splat(3)) & ok1;
    gx = vsel(ok2, hx, gx); gy = vsel(ok2, hy, gy); gz = vsel(ok2, hz, gz);
    v8f r2 = splat(0);
    for (int i = 0; i < n; i++) {
      v8f r = I[i] - (gx * lv[3 * i] + gy * lv[3 * i + 1] + gz * lv[3 * i + 2]);
      r2 += vand(keep[i], r * r);
    }
    v8f g2 = gx * gx + gy * gy + gz * gz, g;
    for (int k = 0; k < 8; k++) g[k] = sqrtf(g2[k]);
    v8f keptSafe = vmax(kept, splat(1));
    v8f rms;
    v8f ms = r2 / keptSafe;
    for (int k = 0; k < 8; k++) rms[k] = sqrtf(ms[k]);
    v8f denom = g * (magSum / keptSafe);
    v8f x = vsel(denom > splat(0), rms / denom / splat(0.05f), splat(1e3f));
    v8f q = vmin((kept - splat(2)) / splat(4), splat(1));
    v8f conf = vsel(ok2, q / (splat(1) + x * x), vsel(ok1, splat(0.1f), splat(0)));
    v8i pos = g > splat(0);
    v8f r = vsel(pos, splat(1) / g, splat(0));
    v8f ox = gx * r, oy = gy * r, oz = vsel(pos, gz * r, splat(1));
    conf = vand(pos, conf);
    store8(j, p, m, ox, oy, oz, g, conf);
  }
}

// One instance of the block kernels per input type (kind folds to a constant inside). block16 covers two
// 8-px blocks of the same tile (distant lights: the whole image is one tile).
#define PS_INSTANCE(K)                                                                      \
  static void block8_##K(const PsParams* j, size_t p, int t, const v8i* m) {                \
    if (j->method) robustBlock8(j, K, p, t, m[0]); else lsBlock(j, K, 1, p, t, m);          \
  }                                                                                         \
  static void block16_##K(const PsParams* j, size_t p, int t, const v8i* m) {               \
    if (j->method) { robustBlock8(j, K, p, t, m[0]); robustBlock8(j, K, p + 8, t, m[1]); }  \
    else lsBlock(j, K, 2, p, t, m);                                                         \
  }
PS_INSTANCE(0)
PS_INSTANCE(1)
PS_INSTANCE(2)

typedef void (*BlockFn)(const PsParams*, size_t, int, const v8i*);

void psRun(const PsParams* j) {
  const int w = j->width, ts = j->tileSize;
  const int vectorTiles = ts % 8 == 0 || ts >= w;
  const int pairTiles = ts % 16 == 0 || ts >= w;
  BlockFn block8 = j->kind == 0 ? block8_0 : j->kind == 1 ? block8_1 : block8_2;
  BlockFn block16 = j->kind == 0 ? block16_0 : j->kind == 1 ? block16_1 : block16_2;
  for (int y = j->y0; y < j->y1; y++) {
    const int ty = y / ts;
    const size_t row = (size_t)y * w;
    int x = 0;
    if (vectorTiles) {
      const int step = pairTiles ? 16 : 8;
      for (; x + step <= w; x += step) {
        size_t p = row + x;
        v8i m[2];
        int any = 0;
        for (int b = 0; b < step / 8; b++) {
          m[b] = mask8(j, p + 8 * b);
          for (int k = 0; k < 8; k++) any |= m[b][k];
        }
        if (!any) { for (int k = 0; k < step; k++) writeMasked(j, p + k); continue; }
        (step == 16 ? block16 : block8)(j, p, ty * j->tilesX + x / ts, m);
      }
      for (; x + 8 <= w; x += 8) {
        size_t p = row + x;
        v8i m = mask8(j, p);
        int any = 0;
        for (int k = 0; k < 8; k++) any |= m[k];
        if (!any) { for (int k = 0; k < 8; k++) writeMasked(j, p + k); continue; }
        block8(j, p, ty * j->tilesX + x / ts, &m);
      }
    }
    for (; x < w; x++) {
      size_t p = row + x;
      if (j->mask && !j->mask[p]) { writeMasked(j, p); continue; }
      pixelScalar(j, p, ty * j->tilesX + x / ts);
    }
  }
}
