// The robust photometric-stereo block on 8 pixels of one tile (GCC/Clang vector extensions: one AVX
// register per quantity), included by ps.c: row tails with AVX-512 (ps-wide.h does the rest), every block
// without it. Same estimator as the scalar path in ps.c and src/vision/ps-kernel.ts.
#ifndef GRADEBOOTH_PS_ROBUST8_H
#define GRADEBOOTH_PS_ROBUST8_H

// Per-tile constants of the robust solve, refreshed when the tile changes (once per band for distant
// lights): a reading is valid when below satL (−1 for a light of zero length: never), and |l|.
typedef struct {
  int tile;
  float satL[PS_MAX_LIGHTS], mag[PS_MAX_LIGHTS];
} TileScratch;

static inline void tileScratch(const PsParams* j, int t, TileScratch* sc) {
  if (sc->tile == t) return;
  const float* im = j->invMag + (size_t)t * j->n;
  for (int i = 0; i < j->n; i++) {
    sc->satL[i] = im[i] > 0 ? (float)j->saturation : -1.0f;
    sc->mag[i] = im[i] > 0 ? 1.0f / im[i] : 0;
  }
  sc->tile = t;
}

// Robust solve for 8 pixels of one tile. Same estimator as the scalar path and the TS kernel; two
// shortcuts that change only the arithmetic: each pass's normal matrix is the tile's Σ l lᵀ over all
// lights minus the readings it leaves out, accumulated only for lights some lane leaves out (pixels in a
// block share their shadows and highlights, so most lights are skipped), and the residual of the kept
// readings is Σ I² − gᵀb (exact at g = A⁻¹b) instead of a third loop.
static inline __attribute__((always_inline)) void robustBlock8(const PsParams* j, const TileScratch* sc, int kind, int kLow, int kHigh, size_t p, int t, v8i m) {
  const int n = j->n;
  const float* lv = j->vectors + (size_t)t * n * 3;
  const float* im = j->invMag + (size_t)t * n;
  const float* na = j->normalAll + (size_t)t * 6;
  v8f I[PS_MAX_LIGHTS];
  v8i valid[PS_MAX_LIGHTS];
  v8f s[PS_MAX_LIGHTS];
  v8f lows[8], highs[8];
  for (int k = 0; k < 8; k++) { lows[k] = splat(INFINITY); highs[k] = splat(-INFINITY); }
  prefetchPlanes(j, kind, p);
  for (int i = 0; i < n; i++) {
    v8f val = load8(j, kind, i, p);
    I[i] = val;
    valid[i] = val < splat(sc->satL[i]);
    v8f si = val * splat(im[i]);
    s[i] = si;
    v8f vlo = vsel(valid[i], si, splat(INFINITY)), vhi = vsel(valid[i], si, splat(-INFINITY));
    for (int k = 0; k < kLow; k++) { v8f a = vmin(lows[k], vlo); vlo = vmax(lows[k], vlo); lows[k] = a; }
    for (int k = 0; k < kHigh; k++) { v8f a = vmax(highs[k], vhi); vhi = vmin(highs[k], vhi); highs[k] = a; }
  }
  v8f lowT = kLow > 0 ? lows[kLow - 1] : splat(-INFINITY), highT = kHigh > 0 ? highs[kHigh - 1] : splat(INFINITY);
  // Pass 1 (trimmed); lanes left with fewer than 3 readings (rare: saturation) redo it with all valid.
  // Sums over even and odd lights run in separate registers (two dependency chains instead of one:
  // the block is latency-bound, not throughput-bound); counts are integer (1-cycle adds).
  v8f d00 = splat(0), d01 = splat(0), d02 = splat(0), d11 = splat(0), d12 = splat(0), d22 = splat(0);
  v8f b0 = splat(0), b1 = splat(0), b2 = splat(0), c0 = splat(0), c1 = splat(0), c2 = splat(0);
  v8i cntI = splat_i_(0);
  v8i use[PS_MAX_LIGHTS];
  v8i allUse = splat_i_(-1);
#define PS_PASS1(i, B0, B1, B2)                                               \
  do {                                                                        \
    v8i u = valid[i] & (s[i] > lowT) & (s[i] < highT);                        \
    use[i] = u;                                                               \
    allUse &= u;                                                              \
    v8f wi = vand(u, I[i]);                                                   \
    B0 += wi * lv[3 * (i)]; B1 += wi * lv[3 * (i) + 1]; B2 += wi * lv[3 * (i) + 2]; \
    cntI -= u;                                                                \
  } while (0)
  int i2 = 0;
  for (; i2 + 1 < n; i2 += 2) { PS_PASS1(i2, b0, b1, b2); PS_PASS1(i2 + 1, c0, c1, c2); }
  if (i2 < n) PS_PASS1(i2, b0, b1, b2);
#undef PS_PASS1
  b0 += c0; b1 += c1; b2 += c2;
  v8f cnt = __builtin_convertvector(cntI, v8f);
  // The left-out readings (shadows, highlights, saturation): the same few lights across most blocks.
  if (!allSet(allUse)) {
    for (int i = 0; i < n; i++) {
      if (allSet(use[i])) continue;
      const float lx = lv[3 * i], ly = lv[3 * i + 1], lz = lv[3 * i + 2];
      v8f w = vand(~use[i], splat(1));
      d00 += w * (lx * lx); d01 += w * (lx * ly); d02 += w * (lx * lz); d11 += w * (ly * ly); d12 += w * (ly * lz); d22 += w * (lz * lz);
    }
  }
  v8f a00 = splat(na[0]) - d00, a01 = splat(na[1]) - d01, a02 = splat(na[2]) - d02;
  v8f a11 = splat(na[3]) - d11, a12 = splat(na[4]) - d12, a22 = splat(na[5]) - d22;
  v8i few = cnt < splat(3);
  if (anySet(few)) {
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
  // Passes 2 and 3: readings that agree with the current estimate; pass 3 only for lanes where pass 2
  // rejected a lit reading (and only when some lane of the block needs it). A pass's result replaces
  // the estimate only where it solves.
  v8i active = ok1;
  v8f conf = vsel(ok1, splat(0.1f), splat(0));
  const v8f cosMinV = splat((float)j->cosMin), tolV = splat((float)j->tol);
  for (int gate = 0; gate < 2; gate++) {
    v8f gn2 = gx * gx + gy * gy + gz * gz;
    v8f gNorm = gn2 * vrsqrt(gn2);
    d00 = d01 = d02 = d11 = d12 = d22 = b0 = b1 = b2 = splat(0);
    v8f magSum = splat(0), e2 = splat(0), magSumB = splat(0), e2B = splat(0);
    c0 = c1 = c2 = splat(0);
    v8i keptI = splat_i_(0), litI = splat_i_(0);
    const v8f cosScale = gNorm * cosMinV, tolScale = gNorm * tolV;
    v8i keep[PS_MAX_LIGHTS];
    v8i all = splat_i_(-1);
#define PS_PASS2(i, B0, B1, B2, E2, MS)                                                 \
  do {                                                                                  \
    const v8f lx = splat(lv[3 * (i)]), ly = splat(lv[3 * (i) + 1]), lz = splat(lv[3 * (i) + 2]);                                        \
    /* in units of the light's full shading (÷|l|): s = I/|l| against g·l/|l| */         \
    v8f predU = (gx * lx + gy * ly + gz * lz) * splat(im[i]);                                   \
    /* a zero-length light predicts 0, which is not > 0: never lit */                   \
    v8i lighted = predU > cosScale;                                                      \
    v8i k = valid[i] & lighted & (vabs(s[i] - predU) <= tolScale);                        \
    keep[i] = k;                                                                        \
    all &= k;                                                                           \
    v8f wi = vand(k, I[i]);                                                               \
    B0 += wi * lx; B1 += wi * ly; B2 += wi * lz; E2 += wi * I[i];                       \
    MS += vand(k, splat(sc->mag[i]));                                                               \
    keptI -= k; litI -= lighted;                                                        \
  } while (0)
    for (i2 = 0; i2 + 1 < n; i2 += 2) { PS_PASS2(i2, b0, b1, b2, e2, magSum); PS_PASS2(i2 + 1, c0, c1, c2, e2B, magSumB); }
    if (i2 < n) PS_PASS2(i2, b0, b1, b2, e2, magSum);
#undef PS_PASS2
    b0 += c0; b1 += c1; b2 += c2; e2 += e2B; magSum += magSumB;
    v8f kept = __builtin_convertvector(keptI, v8f), lit = __builtin_convertvector(litI, v8f);
    // Left-out readings (shadows, highlights): usually none, or the same few lights across the block.
    if (!allSet(all)) {
      for (int i = 0; i < n; i++) {
        if (allSet(keep[i])) continue;
        const v8f lx = splat(lv[3 * (i)]), ly = splat(lv[3 * (i) + 1]), lz = splat(lv[3 * (i) + 2]);
        v8f r = vand(~keep[i], splat(1));
        d00 += r * (lx * lx); d01 += r * (lx * ly); d02 += r * (lx * lz); d11 += r * (ly * ly); d12 += r * (ly * lz); d22 += r * (lz * lz);
      }
    }
    a00 = splat(na[0]) - d00; a01 = splat(na[1]) - d01; a02 = splat(na[2]) - d02;
    a11 = splat(na[3]) - d11; a12 = splat(na[4]) - d12; a22 = splat(na[5]) - d22;
    v8f hx, hy, hz;
    v8i okG = solve3(a00, a01, a02, a11, a12, a22, b0, b1, b2, &hx, &hy, &hz) & (kept >= splat(3)) & active;
    v8f r2 = vmax(e2 - (hx * b0 + hy * b1 + hz * b2), splat(0));
    // conf = q / ((1 + x²)(1 + rej²)) with x = √(r2/kept) / (|h|·magSum/kept) / 0.05 and
    // rej = (1 − kept/lit) / 0.1, as in ps-kernel.ts, rearranged into one division (divisions and square
    // roots are the slowest vector instructions): x² = 400·r2·kept / (|h|²·magSum²),
    // rej² = 100·(lit − kept)² / lit².
    v8f ms = vmax(magSum, splat(0));
    v8f num = (hx * hx + hy * hy + hz * hz) * ms * ms;
    v8f q = vmin((kept - splat(2)) * splat(0.25f), splat(1));
    v8f lit2 = lit * lit, dl = lit - kept;
    v8f c = q * num * lit2 / ((num + splat(400) * r2 * kept) * (lit2 + splat(100) * dl * dl));
    conf = vsel(okG, vsel(num > splat(0), c, splat(0)), conf);
    gx = vsel(okG, hx, gx); gy = vsel(okG, hy, gy); gz = vsel(okG, hz, gz);
    active = okG & (keptI != litI);
    if (!anySet(active)) break;
  }
  v8f g2 = gx * gx + gy * gy + gz * gz;
  v8f r = vrsqrt(g2), g = g2 * r;
  v8i pos = g2 > splat(0);
  store8(j, p, m, gx * r, gy * r, vsel(pos, gz * r, splat(1)), g, vand(pos, conf));
}

// One instance of the block kernels per input type (kind folds to a constant inside). block16 covers two
// 8-px blocks of the same tile (distant lights: the whole image is one tile).

#endif
