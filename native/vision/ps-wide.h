// The robust photometric-stereo block on 16 pixels at a time (AVX-512: one zmm register per quantity),
// included by ps.c. Same arithmetic as robustBlock8 there; a 16-px block is two 8-px halves that may lie in
// different light tiles (near-field tiles are 8 px), so every light constant is a per-lane vector built
// once per tile row (WideRow). Why 16 lanes: the 8-lane block is bound by instruction count and the
// latency of its three dependent passes; one zmm instruction does the work of two ymm ones on the same
// pipes, and a block's chains carry twice the pixels.
#ifndef GRADEBOOTH_PS_WIDE_H
#define GRADEBOOTH_PS_WIDE_H
#ifdef __AVX512F__
#define PS_WIDE 1
#include <immintrin.h>
#include <stdlib.h>

typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

static inline v16f wsplat(float x) { return (v16f)_mm512_set1_ps(x); }
static inline v16i wsplati(int x) { return (v16i)_mm512_set1_epi32(x); }
static inline v16f wpair(float a, float b) { return (v16f)_mm512_insertf32x8(_mm512_set1_ps(a), _mm256_set1_ps(b), 1); }
static inline v16f wsel(v16i m, v16f a, v16f b) { return (v16f)(((v16i)a & m) | ((v16i)b & ~m)); }
static inline v16f wand(v16i m, v16f a) { return (v16f)((v16i)a & m); }
static inline v16f wmaskz(__mmask16 k, v16f a) { return (v16f)_mm512_maskz_mov_ps(k, (__m512)a); }
static inline v16f wmin(v16f a, v16f b) { return (v16f)_mm512_min_ps((__m512)a, (__m512)b); }
static inline v16f wmax(v16f a, v16f b) { return (v16f)_mm512_max_ps((__m512)a, (__m512)b); }
/** 1/√a for a > 0, else 0: estimate + one Newton step (see vrsqrt in ps.c). */
static inline v16f wrsqrt(v16f a) {
  v16f y = (v16f)_mm512_rsqrt14_ps((__m512)a);
  y = y * (wsplat(1.5f) - wsplat(0.5f) * a * y * y);
  return wsel(a > wsplat(0), y, wsplat(0));
}
static inline v16f wabs(v16f a) { return (v16f)((v16i)a & wsplati(0x7fffffff)); }
static inline int wany(v16i m) { return _mm512_test_epi32_mask((__m512i)m, (__m512i)m) != 0; }
static inline int wall(v16i m) { return _mm512_test_epi32_mask((__m512i)m, (__m512i)m) == 0xffff; }

/**
 * Per-lane light constants of every 16-px block of one tile row: block q's halves lie in tiles tA and tB
 * (the same tile for distant lights; neighbours for 8-px near-field tiles). Layout per block: the 6 sums
 * Σ l lᵀ, then per light lx, ly, lz, 1/|l|, |l| (16 lanes each). Built once per tile row (8 image rows of
 * near-field tiles; once per band for distant lights) and read by every block of those rows
 * (~1 MB for a 3000-px row of 8-px tiles and 16 lights: L2/L3; splitting rows into L2-sized strips was
 * measured and gained nothing).
 */
typedef struct {
  int ty, blocks, n;
  size_t stride;  // v16f per block
  v16f* k;
  uint8_t* allLit;  // every light of the block has a direction (invMag > 0)
} WideRow;

#define WK_NA 0
#define WK(i, c) (6 + 5 * (i) + (c))

/** Allocate the row cache (NULL when out of memory). */
static WideRow* wideRowNew(const PsParams* j) {
  WideRow* r = (WideRow*)calloc(1, sizeof(WideRow));
  if (!r) return NULL;
  r->n = j->n;
  r->blocks = j->tileSize >= j->width ? 1 : j->width / 16;
  r->stride = 6 + 5 * (size_t)j->n;
  r->k = (v16f*)aligned_alloc(64, sizeof(v16f) * r->stride * (r->blocks > 0 ? r->blocks : 1));
  r->allLit = (uint8_t*)malloc(r->blocks > 0 ? r->blocks : 1);
  r->ty = -1;
  if (!r->k || !r->allLit) { free(r->k); free(r->allLit); free(r); return NULL; }
  return r;
}

static void wideRowFree(WideRow* r) {
  if (!r) return;
  free(r->k);
  free(r->allLit);
  free(r);
}

/** Fill the cache for tile row ty (no-op when it holds it). */
static void wideRowFill(const PsParams* j, WideRow* r, int ty) {
  if (r->ty == ty) return;
  const int n = j->n, ts = j->tileSize;
  for (int q = 0; q < r->blocks; q++) {
    const int tA = ty * j->tilesX + (16 * q) / ts, tB = ty * j->tilesX + (16 * q + 8) / ts;
    const float *va = j->vectors + (size_t)tA * n * 3, *vb = j->vectors + (size_t)tB * n * 3;
    const float *ia = j->invMag + (size_t)tA * n, *ib = j->invMag + (size_t)tB * n;
    v16f* K = r->k + (size_t)q * r->stride;
    int lit = 1;
    for (int i = 0; i < n; i++) {
      K[WK(i, 0)] = wpair(va[3 * i], vb[3 * i]);
      K[WK(i, 1)] = wpair(va[3 * i + 1], vb[3 * i + 1]);
      K[WK(i, 2)] = wpair(va[3 * i + 2], vb[3 * i + 2]);
      K[WK(i, 3)] = wpair(ia[i], ib[i]);
      K[WK(i, 4)] = wpair(ia[i] > 0 ? 1.0f / ia[i] : 0, ib[i] > 0 ? 1.0f / ib[i] : 0);
      lit &= ia[i] > 0 && ib[i] > 0;
    }
    for (int c = 0; c < 6; c++) K[WK_NA + c] = wpair(j->normalAll[(size_t)tA * 6 + c], j->normalAll[(size_t)tB * 6 + c]);
    r->allLit[q] = (uint8_t)lit;
  }
  r->ty = ty;
}

static inline __attribute__((always_inline)) v16f load16(const PsParams* j, int kind, int i, size_t p) {
  if (kind == 1) return (v16f)_mm512_cvtepi32_ps(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i*)((const uint16_t*)j->planes[i] + p))));
  if (kind == 0) return (v16f)_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)((const uint8_t*)j->planes[i] + p))));
  return (v16f)_mm512_loadu_ps((const float*)j->planes[i] + p);
}

static inline v16i wsolve3(v16f a00, v16f a01, v16f a02, v16f a11, v16f a12, v16f a22, v16f b0, v16f b1, v16f b2, v16f* gx, v16f* gy, v16f* gz) {
  v16f c00 = a11 * a22 - a12 * a12, c01 = a02 * a12 - a01 * a22, c02 = a01 * a12 - a02 * a11;
  v16f det = a00 * c00 + a01 * c01 + a02 * c02;
  v16f tr = a00 + a11 + a22;
  v16i ok = wabs(det) > wsplat(1e-6f) * tr * tr * tr;
  v16f c11 = a00 * a22 - a02 * a02, c12 = a01 * a02 - a00 * a12, c22 = a00 * a11 - a01 * a01;
  v16f d = wsel(ok, wsplat(1.0f) / det, wsplat(0));
  *gx = (c00 * b0 + c01 * b1 + c02 * b2) * d;
  *gy = (c01 * b0 + c11 * b1 + c12 * b2) * d;
  *gz = (c02 * b0 + c12 * b1 + c22 * b2) * d;
  return ok;
}

static inline v8f lo8(v16f a) { return (v8f)_mm512_castps512_ps256((__m512)a); }
static inline v8f hi8(v16f a) { return (v8f)_mm512_extractf32x8_ps((__m512)a, 1); }

static inline __attribute__((always_inline)) void store16(const PsParams* j, size_t p, v16i m, v16f ox, v16f oy, v16f oz, v16f al, v16f cf) {
  v16f mf = (v16f)m;
  store8(j, p, (v8i)lo8(mf), lo8(ox), lo8(oy), lo8(oz), lo8(al), lo8(cf));
  store8(j, p + 8, (v8i)hi8(mf), hi8(ox), hi8(oy), hi8(oz), hi8(al), hi8(cf));
}

// Plain LS for 32 pixels of one tile: two independent 16-lane sums (see lsBlock in ps.c).
static inline __attribute__((always_inline)) void lsBlock32w(const PsParams* j, int kind, size_t p, int t, const v8i* m) {
  const int n = j->n;
  const float* pv = j->pinv + (size_t)t * 3 * n;
  v16f gx[2], gy[2], gz[2];
  for (int b = 0; b < 2; b++) gx[b] = gy[b] = gz[b] = wsplat(0);
  for (int b = 0; b < 4; b++) prefetchPlanes(j, kind, p + 8 * b);
  for (int i = 0; i < n; i++) {
    const v16f c0 = wsplat(pv[i]), c1 = wsplat(pv[n + i]), c2 = wsplat(pv[2 * n + i]);
    for (int b = 0; b < 2; b++) {
      v16f v = load16(j, kind, i, p + 16 * b);
      gx[b] += c0 * v; gy[b] += c1 * v; gz[b] += c2 * v;
    }
  }
  for (int b = 0; b < 2; b++) {
    v16f g2 = gx[b] * gx[b] + gy[b] * gy[b] + gz[b] * gz[b];
    v16f r = wrsqrt(g2), g = g2 * r;
    v16i pos = g2 > wsplat(0);
    v16f ox = gx[b] * r, oy = gy[b] * r, oz = wsel(pos, gz[b] * r, wsplat(1)), cf = wand(pos, wsplat(1));
    store8(j, p + 16 * b, m[2 * b], lo8(ox), lo8(oy), lo8(oz), lo8(g), lo8(cf));
    store8(j, p + 16 * b + 8, m[2 * b + 1], hi8(ox), hi8(oy), hi8(oz), hi8(g), hi8(cf));
  }
}

static inline v16i wjoin(v8i a, v8i b) { return (v16i)_mm512_inserti64x4(_mm512_castsi256_si512((__m256i)a), (__m256i)b, 1); }

// allValid (a compile-time constant): no reading can be saturated and every light has a direction, so
// the validity masks fold away (the booth's 16-bit captures with no saturation limit set).
static inline __attribute__((always_inline)) void robustBlock16(const PsParams* j, const v16f* K, int kind, int allValid, int kLow, int kHigh, size_t p, v16i m) {
  const int n = j->n;
  v16f I[PS_MAX_LIGHTS];
  // Per-light lane masks live in mask registers (__mmask16), never as vectors.
  __mmask16 valid[PS_MAX_LIGHTS];
#define VALID(i) (allValid ? (__mmask16)0xffff : valid[i])
  v16f s[PS_MAX_LIGHTS];
  v16f lows[8], highs[8];
  for (int k = 0; k < 8; k++) { lows[k] = wsplat(INFINITY); highs[k] = wsplat(-INFINITY); }
  prefetchPlanes(j, kind, p);
  prefetchPlanes(j, kind, p + 8);
  // Sums over all valid readings (b = Σ I l, Σ I², Σ |l|): each pass subtracts what it leaves out, which
  // is a few lights per block, so the passes themselves only classify. Even and odd lights sum into
  // separate registers (two dependency chains).
  v16f bv0 = wsplat(0), bv1 = wsplat(0), bv2 = wsplat(0), ev = wsplat(0), mv = wsplat(0);
  v16f cv0 = wsplat(0), cv1 = wsplat(0), cv2 = wsplat(0), fv = wsplat(0);
  v16i validI = wsplati(0);
  for (int i = 0; i < n; i++) {
    v16f val = load16(j, kind, i, p);
    I[i] = val;
    if (!allValid) {
      valid[i] = _mm512_cmp_ps_mask((__m512)val, (__m512)wsel(K[WK(i, 3)] > wsplat(0), wsplat((float)j->saturation), wsplat(-1)), _CMP_LT_OQ);
      validI = (v16i)_mm512_mask_add_epi32((__m512i)validI, valid[i], (__m512i)validI, (__m512i)wsplati(1));
    }
    v16f si = val * K[WK(i, 3)];
    s[i] = si;
    v16f wv = allValid ? val : wmaskz(VALID(i), val);
    if (i & 1) { cv0 += wv * K[WK(i, 0)]; cv1 += wv * K[WK(i, 1)]; cv2 += wv * K[WK(i, 2)]; fv += wv * val; }
    else { bv0 += wv * K[WK(i, 0)]; bv1 += wv * K[WK(i, 1)]; bv2 += wv * K[WK(i, 2)]; ev += wv * val; }
    if (!allValid) mv += wmaskz(valid[i], K[WK(i, 4)]);
    v16f vlo = allValid ? si : (v16f)_mm512_mask_mov_ps((__m512)wsplat(INFINITY), valid[i], (__m512)si);
    v16f vhi = allValid ? si : (v16f)_mm512_mask_mov_ps((__m512)wsplat(-INFINITY), valid[i], (__m512)si);
    for (int k = 0; k < kLow; k++) { v16f a = wmin(lows[k], vlo); vlo = wmax(lows[k], vlo); lows[k] = a; }
    for (int k = 0; k < kHigh; k++) { v16f a = wmax(highs[k], vhi); vhi = wmin(highs[k], vhi); highs[k] = a; }
  }
  bv0 += cv0; bv1 += cv1; bv2 += cv2; ev += fv;
  if (allValid) {
    mv = wsplat(0);
    for (int i = 0; i < n; i++) mv += K[WK(i, 4)];
    validI = wsplati(n);
  }
  v16f lowT = kLow > 0 ? lows[kLow - 1] : wsplat(-INFINITY), highT = kHigh > 0 ? highs[kHigh - 1] : wsplat(INFINITY);
  // Pass 1 (trimmed); lanes left with fewer than 3 readings (rare: saturation) redo it with all valid.
  v16f d00 = wsplat(0), d01 = wsplat(0), d02 = wsplat(0), d11 = wsplat(0), d12 = wsplat(0), d22 = wsplat(0);
  v16f b0 = bv0, b1 = bv1, b2 = bv2;
  v16i cntI = wsplati(0);
  __mmask16 use[PS_MAX_LIGHTS];
  uint64_t dropBits = 0;  // lights some lane leaves out
  for (int i = 0; i < n; i++) {
    __mmask16 u = VALID(i) & _mm512_cmp_ps_mask((__m512)s[i], (__m512)lowT, _CMP_GT_OQ) & _mm512_cmp_ps_mask((__m512)s[i], (__m512)highT, _CMP_LT_OQ);
    use[i] = u;
    dropBits |= (uint64_t)(u != 0xffff) << i;
    cntI = (v16i)_mm512_mask_add_epi32((__m512i)cntI, u, (__m512i)cntI, (__m512i)wsplati(1));
  }
  v16f cnt = __builtin_convertvector(cntI, v16f);
  for (uint64_t bits = dropBits; bits; bits &= bits - 1) {
    const int i = __builtin_ctzll(bits);
    const v16f lx = K[WK(i, 0)], ly = K[WK(i, 1)], lz = K[WK(i, 2)];
    v16f w = wmaskz((__mmask16)~use[i], wsplat(1));
    d00 += w * (lx * lx); d01 += w * (lx * ly); d02 += w * (lx * lz); d11 += w * (ly * ly); d12 += w * (ly * lz); d22 += w * (lz * lz);
    v16f wi = wmaskz(VALID(i) & (__mmask16)~use[i], I[i]);
    b0 -= wi * lx; b1 -= wi * ly; b2 -= wi * lz;
  }
  v16f a00 = K[WK_NA + 0] - d00, a01 = K[WK_NA + 1] - d01, a02 = K[WK_NA + 2] - d02;
  v16f a11 = K[WK_NA + 3] - d11, a12 = K[WK_NA + 4] - d12, a22 = K[WK_NA + 5] - d22;
  v16i few = cnt < wsplat(3);
  if (wany(few)) {
    v16f va00 = wsplat(0), va01 = wsplat(0), va02 = wsplat(0), va11 = wsplat(0), va12 = wsplat(0), va22 = wsplat(0);
    for (int i = 0; i < n; i++) {
      const v16f lx = K[WK(i, 0)], ly = K[WK(i, 1)], lz = K[WK(i, 2)];
      v16f wv = wmaskz(VALID(i), wsplat(1));
      va00 += wv * (lx * lx); va01 += wv * (lx * ly); va02 += wv * (lx * lz); va11 += wv * (ly * ly); va12 += wv * (ly * lz); va22 += wv * (lz * lz);
    }
    a00 = wsel(few, va00, a00); a01 = wsel(few, va01, a01); a02 = wsel(few, va02, a02);
    a11 = wsel(few, va11, a11); a12 = wsel(few, va12, a12); a22 = wsel(few, va22, a22);
    b0 = wsel(few, bv0, b0); b1 = wsel(few, bv1, b1); b2 = wsel(few, bv2, b2); cnt = wsel(few, __builtin_convertvector(validI, v16f), cnt);
  }
  v16f gx, gy, gz;
  v16i ok1 = wsolve3(a00, a01, a02, a11, a12, a22, b0, b1, b2, &gx, &gy, &gz) & (cnt >= wsplat(3));
  gx = wand(ok1, gx); gy = wand(ok1, gy); gz = wand(ok1, gz);
  // Passes 2 and 3: readings that agree with the current estimate; pass 3 only for lanes where pass 2
  // rejected a lit reading (and only when some lane of the block needs it). A pass's result replaces
  // the estimate only where it solves.
  v16i active = ok1;
  v16f conf = wsel(ok1, wsplat(0.1f), wsplat(0));
  const v16f cosMinV = wsplat((float)j->cosMin), tolV = wsplat((float)j->tol);
  for (int gate = 0; gate < 2; gate++) {
    v16f gn2 = gx * gx + gy * gy + gz * gz;
    v16f gNorm = gn2 * wrsqrt(gn2);
    d00 = d01 = d02 = d11 = d12 = d22 = wsplat(0);
    b0 = bv0; b1 = bv1; b2 = bv2;
    v16f e2 = ev, magSum = mv;
    v16i keptI = wsplati(0), litI = wsplati(0);
    const v16f cosScale = gNorm * cosMinV, tolScale = gNorm * tolV;
    __mmask16 keep[PS_MAX_LIGHTS];
    uint64_t rejBits = 0;
    for (int i = 0; i < n; i++) {
      // In units of the light's full shading (÷|l|): s = I/|l| against g·l/|l|; a zero-length light
      // predicts 0, which is not > 0: never lit.
      v16f predU = (gx * K[WK(i, 0)] + gy * K[WK(i, 1)] + gz * K[WK(i, 2)]) * K[WK(i, 3)];
      __mmask16 lit1 = _mm512_cmp_ps_mask((__m512)predU, (__m512)cosScale, _CMP_GT_OQ);
      __mmask16 k = VALID(i) & _mm512_mask_cmp_ps_mask(lit1, (__m512)wabs(s[i] - predU), (__m512)tolScale, _CMP_LE_OQ);
      keep[i] = k;
      rejBits |= (uint64_t)(k != 0xffff) << i;
      keptI = (v16i)_mm512_mask_add_epi32((__m512i)keptI, k, (__m512i)keptI, (__m512i)wsplati(1));
      litI = (v16i)_mm512_mask_add_epi32((__m512i)litI, lit1, (__m512i)litI, (__m512i)wsplati(1));
    }
    // Left-out readings (shadows, highlights): usually none, or the same few lights across the block.
    for (uint64_t bits = rejBits; bits; bits &= bits - 1) {
      const int i = __builtin_ctzll(bits);
      const v16f lx = K[WK(i, 0)], ly = K[WK(i, 1)], lz = K[WK(i, 2)];
      v16f r = wmaskz((__mmask16)~keep[i], wsplat(1));
      d00 += r * (lx * lx); d01 += r * (lx * ly); d02 += r * (lx * lz); d11 += r * (ly * ly); d12 += r * (ly * lz); d22 += r * (lz * lz);
      __mmask16 out = VALID(i) & (__mmask16)~keep[i];
      v16f wi = wmaskz(out, I[i]);
      b0 -= wi * lx; b1 -= wi * ly; b2 -= wi * lz; e2 -= wi * I[i];
      magSum -= wmaskz(out, K[WK(i, 4)]);
    }
    v16f kept = __builtin_convertvector(keptI, v16f), lit = __builtin_convertvector(litI, v16f);
    a00 = K[WK_NA + 0] - d00; a01 = K[WK_NA + 1] - d01; a02 = K[WK_NA + 2] - d02;
    a11 = K[WK_NA + 3] - d11; a12 = K[WK_NA + 4] - d12; a22 = K[WK_NA + 5] - d22;
    v16f hx, hy, hz;
    v16i okG = wsolve3(a00, a01, a02, a11, a12, a22, b0, b1, b2, &hx, &hy, &hz) & (kept >= wsplat(3)) & active;
    v16f r2 = wmax(e2 - (hx * b0 + hy * b1 + hz * b2), wsplat(0));
    // conf = q / ((1 + x²)(1 + rej²)) with x = √(r2/kept) / (|h|·magSum/kept) / 0.05 and
    // rej = (1 − kept/lit) / 0.1, as in ps-kernel.ts, rearranged into one division (divisions and square
    // roots are the slowest vector instructions): x² = 400·r2·kept / (|h|²·magSum²),
    // rej² = 100·(lit − kept)² / lit².
    v16f ms = wmax(magSum, wsplat(0));
    v16f num = (hx * hx + hy * hy + hz * hz) * ms * ms;
    v16f q = wmin((kept - wsplat(2)) * wsplat(0.25f), wsplat(1));
    v16f lit2 = lit * lit, dl = lit - kept;
    v16f c = q * num * lit2 / ((num + wsplat(400) * r2 * kept) * (lit2 + wsplat(100) * dl * dl));
    conf = wsel(okG, wsel(num > wsplat(0), c, wsplat(0)), conf);
    gx = wsel(okG, hx, gx); gy = wsel(okG, hy, gy); gz = wsel(okG, hz, gz);
    active = okG & (keptI != litI);
    if (!wany(active)) break;
  }
  v16f g2 = gx * gx + gy * gy + gz * gz;
  v16f r = wrsqrt(g2), g = g2 * r;
  v16i pos = g2 > wsplat(0);
  store16(j, p, m, gx * r, gy * r, wsel(pos, gz * r, wsplat(1)), g, wand(pos, conf));
}

#undef VALID
#endif
#endif
