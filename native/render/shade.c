// The booth simulator's shading kernel in C: the same model and algebra as src/sim/render/shading-kernel.ts
// (JS reference) and wasm/near-led.wat (SIMD WebAssembly). Per chunk of CHUNK pixels of one row: the
// per-pixel geometry (camera ray, lens distortion, sphere or tray/map intersection, bilinear map samples)
// once, in double precision like the JS reference; then one tight f32 loop per LED over the chunk that GCC
// vectorises (-O3 -march=native: 16 lanes with AVX-512, 8 with AVX2), branch-free (selects instead of ifs).
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "shade.h"
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#define CHUNK 256
/** Map rows ahead of the current one whose cache lines are prefetched (the next image rows need them). */
#define PREFETCH_ROWS 3

/**
 * Copy a finished chunk of one basis image out with non-temporal stores: the 24 basis images (1.2 GB at
 * 12 MP) are read back only by the exposure kernel, so writing around the cache saves the read-for-
 * ownership of every line (half the memory traffic of the LED loops).
 */
static void streamOut(float* restrict dst, const float* restrict src, int n) {
  int i = 0;
#if defined(__AVX512F__)
  while (i < n && ((uintptr_t)(dst + i) & 63)) { dst[i] = src[i]; i++; }
  for (; i + 16 <= n; i += 16) _mm512_stream_ps(dst + i, _mm512_loadu_ps(src + i));
#elif defined(__AVX__)
  while (i < n && ((uintptr_t)(dst + i) & 31)) { dst[i] = src[i]; i++; }
  for (; i + 8 <= n; i += 8) _mm256_stream_ps(dst + i, _mm256_loadu_ps(src + i));
#elif defined(__SSE2__)
  while (i < n && ((uintptr_t)(dst + i) & 15)) { dst[i] = src[i]; i++; }
  for (; i + 4 <= n; i += 4) _mm_stream_ps(dst + i, _mm_loadu_ps(src + i));
#endif
  for (; i < n; i++) dst[i] = src[i];
}

/** Per-pixel geometry and material of one chunk (f32, as in the JS and WASM kernels' scratch). */
typedef struct {
  float p0[CHUNK], p1[CHUNK], p2[CHUNK], n0[CHUNK], n1[CHUNK], n2[CHUNK], v0[CHUNK], v1[CHUNK], v2[CHUNK];
  float ndv[CHUNK], a2[CHUNK], k[CHUNK], omk[CHUNK], specV[CHUNK], diffuse[CHUNK], f0[CHUNK], scale[CHUNK];
} __attribute__((aligned(64))) Chunk;

/** One pixel's shading constants into slot s of the chunk: surface point P and unit normal n (world mm),
 *  the unit view vector towards the camera at cam, GGX α, albedo, F0 and the radiometric scale. */
static inline void setPixel(Chunk* restrict c, int s, const double* cam, double P0, double P1, double P2, double n0, double n1,
                            double n2, double alpha, double albedo, double f0, double scale) {
  double v0 = cam[0] - P0, v1 = cam[1] - P1, v2 = cam[2] - P2;
  const double ivl = 1 / sqrt(v0 * v0 + v1 * v1 + v2 * v2);
  v0 *= ivl; v1 *= ivl; v2 *= ivl;
  const double ndv = n0 * v0 + n1 * v1 + n2 * v2;
  const double k = alpha / 2;
  c->p0[s] = (float)P0; c->p1[s] = (float)P1; c->p2[s] = (float)P2;
  c->n0[s] = (float)n0; c->n1[s] = (float)n1; c->n2[s] = (float)n2;
  c->v0[s] = (float)v0; c->v1[s] = (float)v1; c->v2[s] = (float)v2;
  c->ndv[s] = (float)ndv;
  c->a2[s] = (float)(alpha * alpha > 1e-6 ? alpha * alpha : 1e-6);
  c->k[s] = (float)k;
  // G1(v) / (4 n·v) = 1 / (4 (n·v (1 − k) + k)), with GGX's 1/π folded in.
  c->specV[s] = ndv > 0 ? (float)(1 / (4 * M_PI * (ndv * (1 - k) + k))) : 0.0f;
  c->omk[s] = (float)(1 - k);
  c->diffuse[s] = (float)(albedo * (1 / M_PI));
  c->f0[s] = ndv > 0 ? (float)f0 : 0.0f;
  c->scale[s] = (float)scale;
}

/** GGX D·F·G/(4 n·l n·v) with one division (see ggxSpecular in shading-kernel.ts; the chunk holds
 *  specV/π and 1 − k); 0 where f0 = 0. */
static inline float ggx(float ndl, float ndv, float ldv, float a2, float f0, float k, float omk, float specVPi) {
  const float hh = 2.0f + 2.0f * ldv;
  const float sum = ndl + ndv;
  const float Q = sum * sum * (a2 - 1.0f) + hh;
  const float m = 1.0f - sqrtf(hh) * 0.5f;
  const float m2 = m * m;
  const float F = f0 + (1.0f - f0) * (m2 * m2 * m);
  const float spec = (a2 * (hh * hh) * F * specVPi) / ((Q * Q) * (ndl * omk + k));
  return f0 > 0.0f ? spec : 0.0f;
}

/** One near-field LED over n pixels of a chunk: inverse square, cos^mi beam, Lambert + GGX. Inlined once
 *  per small integer exponent, so the beam is a couple of multiplies. */
static inline __attribute__((always_inline)) void nearLedM(const Chunk* restrict c, float* restrict out, int n, const double* L, const int mi) {
  const float lx = (float)L[0], ly = (float)L[1], lz = (float)L[2];
  const float ax = (float)L[3], ay = (float)L[4], az = (float)L[5];
  // mm² → m²: irradiance in W/m².
  const float power = (float)(L[6] * 1e6);
  for (int i = 0; i < n; i++) {
    const float dx = lx - c->p0[i], dy = ly - c->p1[i], dz = lz - c->p2[i];
    const float il = 1.0f / sqrtf(dx * dx + dy * dy + dz * dz);
    const float l0 = dx * il, l1 = dy * il, l2 = dz * il;
    const float cs = -(l0 * ax + l1 * ay + l2 * az);
    const float ndl = c->n0[i] * l0 + c->n1[i] * l1 + c->n2[i] * l2;
    // c^mi by squaring (mi < 0: fractional exponent, applied afterwards).
    const float c2 = cs * cs, c4 = c2 * c2, c8 = c4 * c4;
    float beam = 1.0f;
    if (mi > 0 && (mi & 1)) beam *= cs;
    if (mi > 0 && (mi & 2)) beam *= c2;
    if (mi > 0 && (mi & 4)) beam *= c4;
    if (mi > 0 && (mi & 8)) beam *= c8;
    if (mi == 16) beam = c8 * c8;
    const float ldv = l0 * c->v0[i] + l1 * c->v1[i] + l2 * c->v2[i];
    const float brdf = c->diffuse[i] + ggx(ndl, c->ndv[i], ldv, c->a2[i], c->f0[i], c->k[i], c->omk[i], c->specV[i]);
    const float val = brdf * ndl * c->scale[i] * (power * beam * (il * il));
    out[i] = cs > 0.0f && ndl > 0.0f ? val : 0.0f;
  }
}

/** One near-field LED over n pixels of a chunk. */
static void nearLed(const Chunk* restrict c, float* restrict out, int n, const double* L) {
  const double mExp = L[7];
  const int mi = mExp == floor(mExp) && mExp >= 0 && mExp <= 16 ? (int)mExp : -1;
  switch (mi) {
    case 0: nearLedM(c, out, n, L, 0); return;
    case 1: nearLedM(c, out, n, L, 1); return;
    case 2: nearLedM(c, out, n, L, 2); return;
    case 3: nearLedM(c, out, n, L, 3); return;
    case 4: nearLedM(c, out, n, L, 4); return;
    default: break;
  }
  nearLedM(c, out, n, L, mi);
  if (mi < 0) {
    // A fractional beam exponent (not in the booth's rig file): scalar pow, like the JS reference.
    const float lx = (float)L[0], ly = (float)L[1], lz = (float)L[2];
    const float ax = (float)L[3], ay = (float)L[4], az = (float)L[5];
    for (int i = 0; i < n; i++) {
      if (out[i] == 0.0f) continue;
      const float dx = lx - c->p0[i], dy = ly - c->p1[i], dz = lz - c->p2[i];
      const float il = 1.0f / sqrtf(dx * dx + dy * dy + dz * dz);
      out[i] *= powf(-(dx * il * ax + dy * il * ay + dz * il * az), (float)mExp);
    }
  }
}

/** One distant light over n pixels of a chunk: fixed direction, uniform irradiance. */
static void distantLed(const Chunk* restrict c, float* restrict out, int n, const double* L) {
  const float l0 = (float)L[0], l1 = (float)L[1], l2 = (float)L[2], irr = (float)L[3];
  for (int i = 0; i < n; i++) {
    const float ndl = c->n0[i] * l0 + c->n1[i] * l1 + c->n2[i] * l2;
    const float ldv = l0 * c->v0[i] + l1 * c->v1[i] + l2 * c->v2[i];
    const float brdf = c->diffuse[i] + ggx(ndl, c->ndv[i], ldv, c->a2[i], c->f0[i], c->k[i], c->omk[i], c->specV[i]);
    const float val = brdf * ndl * c->scale[i] * irr;
    out[i] = ndl > 0.0f ? val : 0.0f;
  }
}

/** Camera rays of one chunk (world frame, unit) and their 1/dz and vignetting: no branches, vectorised. */
typedef struct {
  double dx[CHUNK], dy[CHUNK], dz[CHUNK], idz[CHUNK], vignette[CHUNK];
} __attribute__((aligned(64))) Rays;

static void chunkRays(const ShadeParams* j, Rays* restrict r, int py, int x0, int n) {
  const double* rot = j->rot;
  const double yn0 = (py + 0.5 - j->cy) / j->fy;
  const double ifx = 1 / j->fx;
  const double k1 = j->k1, k2 = j->k2;
  const int distort = k1 != 0 || k2 != 0;
  for (int s = 0; s < n; s++) {
    double xn = (x0 + s + 0.5 - j->cx) * ifx;
    double yn = yn0;
    if (distort) {
      // Undistort by fixed-point iteration (8 steps, as in the reference).
      const double xd = xn, yd = yn;
      for (int it = 0; it < 8; it++) {
        const double r2 = xn * xn + yn * yn;
        const double id = 1 / (1 + k1 * r2 + k2 * r2 * r2);
        xn = xd * id;
        yn = yd * id;
      }
    }
    const double dx = rot[0] * xn + rot[3] * yn + rot[6];
    const double dy = rot[1] * xn + rot[4] * yn + rot[7];
    const double dz = rot[2] * xn + rot[5] * yn + rot[8];
    const double il = 1 / sqrt(dx * dx + dy * dy + dz * dz);
    r->dx[s] = dx * il; r->dy[s] = dy * il; r->dz[s] = dz * il;
    r->idz[s] = 1 / (dz * il);
    const double cosAxis = (dx * rot[6] + dy * rot[7] + dz * rot[8]) * il;
    const double c2 = cosAxis * cosAxis;
    r->vignette[s] = j->vignette ? c2 * c2 : 1;
  }
}

/** Geometry of pixels [x0, x0 + n) of row py into the chunk (and the ground truth when asked), one pixel
 *  at a time: the general path (sphere scenes). */
static void chunkGeometryScalar(const ShadeParams* j, Chunk* restrict c, Rays* restrict rays, int py, int x0, int n) {
  const double cxw = j->pos[0], cyw = j->pos[1], czw = j->pos[2];
  const ShadeMaps* m = j->hasSurface ? &j->maps : NULL;
  const size_t rowBase = (size_t)py * j->width;
  chunkRays(j, rays, py, x0, n);
  for (int s = 0; s < n; s++) {
    const int px = x0 + s;
    const size_t idx = rowBase + px;
    const double dx = rays->dx[s], dy = rays->dy[s], dz = rays->dz[s], idz = rays->idz[s];
    const double vignette = rays->vignette[s];

    double P0 = 0, P1 = 0, P2 = 0, n0 = 0, n1 = 0, n2 = 1;
    double albedo = j->tray[0], alpha = j->tray[1], f0 = j->tray[2];
    int cover = 0, label = 0, hitSphere = 0;
    if (j->hasSphere) {
      const double* sc = j->sphere;
      const double ox = cxw - sc[0], oy = cyw - sc[1], oz = czw - sc[2], R = sc[3];
      const double b = ox * dx + oy * dy + oz * dz;
      const double cc = ox * ox + oy * oy + oz * oz - R * R;
      const double disc = b * b - cc;
      if (disc > 0) {
        const double t = -b - sqrt(disc);
        P0 = cxw + t * dx; P1 = cyw + t * dy; P2 = czw + t * dz;
        n0 = (P0 - sc[0]) / R; n1 = (P1 - sc[1]) / R; n2 = (P2 - sc[2]) / R;
        albedo = sc[4]; alpha = sc[5]; f0 = sc[6];
        cover = 255;
        hitSphere = 1;
      }
    }
    if (!hitSphere) {
      // Tray plane, then two fixed-point steps at the local surface height (card thickness and bow).
      double z0 = 0;
      double t = (z0 - czw) * idz;
      P0 = cxw + t * dx; P1 = cyw + t * dy; P2 = 0;
      if (m) {
        const int mw = m->widthPx, mh = m->heightPx;
        const double ip = 1 / m->pitchMm;
        double fx = 0, fy = 0;
        int inside = 0;
        for (int it = 0; it < 3; it++) {
          const double rx = P0 - m->xMm, ry = P1 - m->yMm;
          const double u = m->cosR * rx + m->sinR * ry;
          const double v = -m->sinR * rx + m->cosR * ry;
          fx = u * ip + mw / 2.0 - 0.5;
          fy = mh / 2.0 - v * ip - 0.5;
          inside = fx >= 0 && fy >= 0 && fx < mw - 1 && fy < mh - 1;
          if (!inside) break;
          const int xi = (int)fx, yi = (int)fy;
          const double ax = fx - xi, ay = fy - yi;
          const size_t i00 = (size_t)yi * mw + xi;
          const float* h = m->height;
          z0 = (h[i00] * (1 - ax) + h[i00 + 1] * ax) * (1 - ay) + (h[i00 + mw] * (1 - ax) + h[i00 + mw + 1] * ax) * ay;
          if (it == 2) break;
          t = (z0 - czw) * idz;
          P0 = cxw + t * dx; P1 = cyw + t * dy;
        }
        if (inside) {
          P2 = z0;
          const int xi = (int)fx, yi = (int)fy;
          const double ax = fx - xi, ay = fy - yi;
          const size_t i00 = (size_t)yi * mw + xi, i01 = i00 + 1, i10 = i00 + mw, i11 = i10 + 1;
          const double w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay), w10 = (1 - ax) * ay, w11 = ax * ay;
#define BILERP(a) ((a)[i00] * w00 + (a)[i01] * w01 + (a)[i10] * w10 + (a)[i11] * w11)
          albedo = BILERP(m->albedo);
          alpha = BILERP(m->roughness);
          f0 = BILERP(m->specularF0);
          const double gu = BILERP(m->slopeU), gv = BILERP(m->slopeV);
          // JS Math.round: half-way rounds up.
          cover = (int)floor(255 * BILERP(m->cover) + 0.5);
#undef BILERP
          label = m->label[(size_t)(int)(fy + 0.5) * mw + (int)(fx + 0.5)];
          // Object-frame normal (-gu, -gv, 1), rotated back into the tray frame.
          n0 = m->cosR * -gu - m->sinR * -gv;
          n1 = m->sinR * -gu + m->cosR * -gv;
          n2 = 1;
          const double inl = 1 / sqrt(n0 * n0 + n1 * n1 + 1);
          n0 *= inl; n1 *= inl; n2 = inl;
        }
      }
    }
    if (j->truthNormal) {
      j->truthNormal[idx * 3] = (float)n0; j->truthNormal[idx * 3 + 1] = (float)n1; j->truthNormal[idx * 3 + 2] = (float)n2;
      j->truthHeight[idx] = (float)P2;
      j->truthCover[idx] = (uint8_t)cover;
      j->truthLabel[idx] = (uint16_t)label;
      j->truthAlbedo[idx] = (float)albedo;
    }
    setPixel(c, s, j->pos, P0, P1, P2, n0, n1, n2, alpha, albedo, f0, j->responsivity * vignette);
  }
}

/** Per-pixel hit point, normal and material of one chunk, double precision, structure of arrays. */
typedef struct {
  double P0[CHUNK], P1[CHUNK], P2[CHUNK], n0[CHUNK], n1[CHUNK], n2[CHUNK], albedo[CHUNK], alpha[CHUNK], f0[CHUNK];
  double fx[CHUNK], fy[CHUNK], cover[CHUNK];
  int32_t i00[CHUNK], inside[CHUNK];
} __attribute__((aligned(64))) Hits;

/** One fixed-point step of the ray–surface intersection over the chunk (move: update the hit point). */
static void heightStep(const ShadeParams* j, const Rays* restrict r, Hits* restrict h, int n, int move) {
  const ShadeMaps* m = &j->maps;
  const double cxw = j->pos[0], cyw = j->pos[1], czw = j->pos[2];
  const int mw = m->widthPx, mh = m->heightPx;
  const double ip = 1 / m->pitchMm, cosR = m->cosR, sinR = m->sinR, ox = m->xMm, oy = m->yMm;
  const double hw = mw / 2.0 - 0.5, hh = mh / 2.0 - 0.5, xMax = mw - 1, yMax = mh - 1;
  const float* restrict hgt = m->height;
  for (int s = 0; s < n; s++) {
    const double rx = h->P0[s] - ox, ry = h->P1[s] - oy;
    const double fx = (cosR * rx + sinR * ry) * ip + hw;
    const double fy = hh - (-sinR * rx + cosR * ry) * ip;
    const int in = h->inside[s] & (fx >= 0) & (fy >= 0) & (fx < xMax) & (fy < yMax);
    // Outside: sample (0, 0) (never used) so that the gathers stay in bounds.
    const double fxs = in ? fx : 0.0, fys = in ? fy : 0.0;
    // floor (= the reference's truncation for these non-negative values) keeps the loop vectorisable.
    const double flx = floor(fxs), fly = floor(fys);
    const double ax = fxs - flx, ay = fys - fly;
    const int i00 = (int)fly * mw + (int)flx;
    const double z = (hgt[i00] * (1 - ax) + hgt[i00 + 1] * ax) * (1 - ay) + (hgt[i00 + mw] * (1 - ax) + hgt[i00 + mw + 1] * ax) * ay;
    const double t = (z - czw) * r->idz[s];
    const int step = in & move;
    h->P2[s] = in ? z : h->P2[s];
    h->P0[s] = step ? cxw + t * r->dx[s] : h->P0[s];
    h->P1[s] = step ? cyw + t * r->dy[s] : h->P1[s];
    h->fx[s] = fxs; h->fy[s] = fys;
    h->i00[s] = i00;
    h->inside[s] = in;
  }
}

/**
 * The same geometry as chunkGeometryScalar for scenes without the sphere (tray and planar maps), in
 * branch-free passes over the chunk that GCC vectorises (gathers for the map samples): pixels that leave
 * the map stop updating where the scalar loop would break, so the results are the same.
 */
static void chunkGeometryMaps(const ShadeParams* j, Chunk* restrict c, Rays* restrict r, Hits* restrict h, int py, int x0, int n) {
  const double cxw = j->pos[0], cyw = j->pos[1], czw = j->pos[2];
  chunkRays(j, r, py, x0, n);
  for (int s = 0; s < n; s++) {
    const double t = -czw * r->idz[s];
    h->P0[s] = cxw + t * r->dx[s];
    h->P1[s] = cyw + t * r->dy[s];
    h->P2[s] = 0;
    h->inside[s] = j->hasSurface;
  }
  if (j->hasSurface) {
    const ShadeMaps* m = &j->maps;
    const int mw = m->widthPx;
    const double cosR = m->cosR, sinR = m->sinR;
    // Tray plane, then two fixed-point steps at the local surface height (card thickness and bow).
    for (int it = 0; it < 3; it++) heightStep(j, r, h, n, it < 2);
    // The maps are read once per render, row after row, by gathers the hardware prefetcher does not
    // follow: fetch the lines a few map rows ahead now (every 16th sample: one cache line).
    const float* mp[6] = {m->height, m->albedo, m->roughness, m->specularF0, m->slopeU, m->slopeV};
    const size_t ahead = (size_t)PREFETCH_ROWS * mw, end = (size_t)mw * m->heightPx;
    for (int s = 0; s < n; s += 16) {
      const size_t q = (size_t)h->i00[s] + ahead;
      if (!h->inside[s] || q >= end) continue;
      for (int k = 0; k < 6; k++) __builtin_prefetch(mp[k] + q);
    }
    // Materials and normal from the slopes at the last sample position (tray where the map was left).
    const float *restrict al = m->albedo, *restrict ro = m->roughness, *restrict sf = m->specularF0;
    const float *restrict su = m->slopeU, *restrict sv = m->slopeV;
    const double ta = j->tray[0], tr = j->tray[1], tf = j->tray[2];
    for (int s = 0; s < n; s++) {
      const int in = h->inside[s];
      const int i00 = h->i00[s], i01 = i00 + 1, i10 = i00 + mw, i11 = i10 + 1;
      const double ax = h->fx[s] - floor(h->fx[s]), ay = h->fy[s] - floor(h->fy[s]);
      const double w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay), w10 = (1 - ax) * ay, w11 = ax * ay;
#define BILERP(a) ((a)[i00] * w00 + (a)[i01] * w01 + (a)[i10] * w10 + (a)[i11] * w11)
      const double gu = BILERP(su), gv = BILERP(sv);
      h->albedo[s] = in ? BILERP(al) : ta;
      h->alpha[s] = in ? BILERP(ro) : tr;
      h->f0[s] = in ? BILERP(sf) : tf;
#undef BILERP
      // Object-frame normal (-gu, -gv, 1), rotated back into the tray frame.
      const double a0 = cosR * -gu - sinR * -gv, a1 = sinR * -gu + cosR * -gv;
      const double inl = 1 / sqrt(a0 * a0 + a1 * a1 + 1);
      h->n0[s] = in ? a0 * inl : 0;
      h->n1[s] = in ? a1 * inl : 0;
      h->n2[s] = in ? inl : 1;
    }
    if (j->truthNormal) {
      // Coverage and labels only feed the ground truth (byte gathers: scalar).
      const uint8_t* cv = m->cover;
      for (int s = 0; s < n; s++) {
        if (!h->inside[s]) { h->cover[s] = 0; continue; }
        const int i00 = h->i00[s];
        const double ax = h->fx[s] - (int)h->fx[s], ay = h->fy[s] - (int)h->fy[s];
        h->cover[s] = floor(255 * ((cv[i00] * (1 - ax) + cv[i00 + 1] * ax) * (1 - ay) + (cv[i00 + mw] * (1 - ax) + cv[i00 + mw + 1] * ax) * ay) + 0.5);
      }
    }
  } else {
    for (int s = 0; s < n; s++) {
      h->albedo[s] = j->tray[0]; h->alpha[s] = j->tray[1]; h->f0[s] = j->tray[2];
      h->n0[s] = 0; h->n1[s] = 0; h->n2[s] = 1;
    }
  }
  if (j->truthNormal) {
    const size_t rowBase = (size_t)py * j->width + x0;
    const ShadeMaps* m = &j->maps;
    for (int s = 0; s < n; s++) {
      const size_t idx = rowBase + s;
      const int in = j->hasSurface && h->inside[s];
      j->truthNormal[idx * 3] = (float)h->n0[s]; j->truthNormal[idx * 3 + 1] = (float)h->n1[s]; j->truthNormal[idx * 3 + 2] = (float)h->n2[s];
      j->truthHeight[idx] = (float)h->P2[s];
      j->truthCover[idx] = in ? (uint8_t)h->cover[s] : 0;
      j->truthLabel[idx] = in ? m->label[(size_t)(int)(h->fy[s] + 0.5) * m->widthPx + (int)(h->fx[s] + 0.5)] : 0;
      j->truthAlbedo[idx] = (float)h->albedo[s];
    }
  }
  const double resp = j->responsivity;
  for (int s = 0; s < n; s++) {
    setPixel(c, s, j->pos, h->P0[s], h->P1[s], h->P2[s], h->n0[s], h->n1[s], h->n2[s], h->alpha[s], h->albedo[s], h->f0[s], resp * r->vignette[s]);
  }
}

void shadeRun(const ShadeParams* j) {
  Chunk c;
  Rays rays;
  Hits hits;
  float out[CHUNK] __attribute__((aligned(64)));
  memset(&c, 0, sizeof c);
  memset(&hits, 0, sizeof hits);
  const int W = j->width;
  // Row blocks dealt round-robin to the bands: each band gets its share of card rows and tray rows.
  for (int b0 = j->rowStart + j->band * j->blockRows; b0 < j->rowEnd; b0 += j->bands * j->blockRows) {
    const int b1 = b0 + j->blockRows < j->rowEnd ? b0 + j->blockRows : j->rowEnd;
    for (int py = b0; py < b1; py++) {
      for (int x0 = 0; x0 < W; x0 += CHUNK) {
        const int n = W - x0 < CHUNK ? W - x0 : CHUNK;
        if (j->hasSphere) chunkGeometryScalar(j, &c, &rays, py, x0, n);
        else chunkGeometryMaps(j, &c, &rays, &hits, py, x0, n);
        const size_t at = (size_t)py * W + x0;
        for (int l = 0; l < j->ledCount; l++) {
          const double* L = j->lights + 8 * j->ledIndex[l];
          if (j->near) nearLed(&c, out, n, L);
          else distantLed(&c, out, n, L);
          streamOut(j->basis[l] + at, out, n);
        }
      }
    }
  }
#if defined(__SSE2__)
  // Non-temporal stores are weakly ordered: make them visible before the work item reports completion.
  _mm_sfence();
#endif
}
