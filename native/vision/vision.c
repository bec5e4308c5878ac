// gradebooth vision kernels in C: the photometric-stereo solve and the masked Poisson (normal integration)
// solve. Same arithmetic as src/vision/ps-kernel.ts and src/vision/poisson-kernel.ts (the TypeScript
// fallback); test/vision/native.test.ts compares the two. Each entry point is one napi async work item,
// so the work runs on libuv's thread pool and the event loop stays free; JS splits PS into bands.
#define NAPI_VERSION 8
#include <node_api.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, "GB_INTERNAL", #call " failed"); return NULL; } } while (0)

// ---------------------------------------------------------------------------------------------------------
// Photometric stereo
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref keep;  // array of every JS buffer used, kept alive while the work runs
  int n, kind, width, tileSize, tilesX, method, trimLow, trimHigh, y0, y1;
  double saturation, tol, cosMin;
  const void* planes[64];
  const float *vectors, *pinv, *invMag;
  const uint8_t* mask;
  float *normals, *albedo, *confidence;
} PsJob;

static inline double readPlane(const PsJob* j, int i, size_t p) {
  if (j->kind == 0) return ((const uint8_t*)j->planes[i])[p];
  if (j->kind == 1) return ((const uint16_t*)j->planes[i])[p];
  return ((const float*)j->planes[i])[p];
}

static int invert3(double a00, double a01, double a02, double a11, double a12, double a22, double* inv) {
  double c00 = a11 * a22 - a12 * a12, c01 = a02 * a12 - a01 * a22, c02 = a01 * a12 - a02 * a11;
  double det = a00 * c00 + a01 * c01 + a02 * c02;
  double tr = a00 + a11 + a22;
  if (!(fabs(det) > 1e-9 * tr * tr * tr)) return 0;
  double c11 = a00 * a22 - a02 * a02, c12 = a01 * a02 - a00 * a12, c22 = a00 * a11 - a01 * a01;
  double d = 1.0 / det;
  inv[0] = c00 * d; inv[1] = c01 * d; inv[2] = c02 * d;
  inv[3] = c01 * d; inv[4] = c11 * d; inv[5] = c12 * d;
  inv[6] = c02 * d; inv[7] = c12 * d; inv[8] = c22 * d;
  return 1;
}

// Plain LS over a row: g = pinv · I with the tile's pseudo-inverse; written so gcc vectorises the pixel
// loop (the pseudo-inverse is constant along a tile's run of pixels).
static void psRowLs(const PsJob* j, int y) {
  const int w = j->width, n = j->n, ts = j->tileSize;
  const int ty = y / ts;
  float gxs[4096], gys[4096], gzs[4096];
  for (int x0 = 0; x0 < w; x0 += 4096) {
    int x1 = x0 + 4096 < w ? x0 + 4096 : w;
    int len = x1 - x0;
    memset(gxs, 0, sizeof(float) * len); memset(gys, 0, sizeof(float) * len); memset(gzs, 0, sizeof(float) * len);
    for (int xs = x0; xs < x1;) {
      int tx = xs / ts;
      int xe = (tx + 1) * ts; if (xe > x1) xe = x1;
      const float* pv = j->pinv + (size_t)(ty * j->tilesX + tx) * 3 * n;
      size_t base = (size_t)y * w;
      for (int i = 0; i < n; i++) {
        const float p0 = pv[i], p1 = pv[n + i], p2 = pv[2 * n + i];
        if (j->kind == 1) {
          const uint16_t* src = (const uint16_t*)j->planes[i] + base;
          for (int x = xs; x < xe; x++) { float v = src[x]; gxs[x - x0] += p0 * v; gys[x - x0] += p1 * v; gzs[x - x0] += p2 * v; }
        } else if (j->kind == 0) {
          const uint8_t* src = (const uint8_t*)j->planes[i] + base;
          for (int x = xs; x < xe; x++) { float v = src[x]; gxs[x - x0] += p0 * v; gys[x - x0] += p1 * v; gzs[x - x0] += p2 * v; }
        } else {
          const float* src = (const float*)j->planes[i] + base;
          for (int x = xs; x < xe; x++) { float v = src[x]; gxs[x - x0] += p0 * v; gys[x - x0] += p1 * v; gzs[x - x0] += p2 * v; }
        }
      }
      xs = xe;
    }
    for (int x = x0; x < x1; x++) {
      size_t p = (size_t)y * w + x;
      float gx = gxs[x - x0], gy = gys[x - x0], gz = gzs[x - x0];
      float g = sqrtf(gx * gx + gy * gy + gz * gz);
      int in = !j->mask || j->mask[p];
      if (in && g > 0) {
        float r = 1.0f / g;
        j->normals[3 * p] = gx * r; j->normals[3 * p + 1] = gy * r; j->normals[3 * p + 2] = gz * r;
        j->albedo[p] = g; j->confidence[p] = 1;
      } else {
        j->normals[3 * p] = 0; j->normals[3 * p + 1] = 0; j->normals[3 * p + 2] = 1;
        j->albedo[p] = in ? g : 0; j->confidence[p] = 0;
      }
    }
  }
}

static void psPixelRobust(const PsJob* j, size_t p, int t) {
  const int n = j->n;
  const float* v = j->vectors + (size_t)t * n * 3;
  const float* im = j->invMag + (size_t)t * n;
  double I[64], s[64];
  uint8_t state[64];
  int nValid = 0;
  for (int i = 0; i < n; i++) {
    double val = readPlane(j, i, p);
    I[i] = val;
    s[i] = val * im[i];
    int ok = val < j->saturation && im[i] > 0;
    state[i] = (uint8_t)ok;
    nValid += ok;
  }
  int kLow = j->trimLow, kHigh = j->trimHigh;
  while (nValid - kLow - kHigh < 3 && (kLow > 0 || kHigh > 0)) {
    if (kLow >= kHigh && kLow > 0) kLow--; else kHigh--;
  }
  for (int k = 0; k < kLow; k++) {
    int best = -1;
    for (int i = 0; i < n; i++) if (state[i] == 1 && (best < 0 || s[i] < s[best])) best = i;
    state[best] = 2;
  }
  for (int k = 0; k < kHigh; k++) {
    int best = -1;
    for (int i = 0; i < n; i++) if (state[i] == 1 && (best < 0 || s[i] > s[best])) best = i;
    state[best] = 2;
  }
  double a00 = 0, a01 = 0, a02 = 0, a11 = 0, a12 = 0, a22 = 0, b0 = 0, b1 = 0, b2 = 0;
  for (int i = 0; i < n; i++) {
    if (state[i] != 1) continue;
    double lx = v[3 * i], ly = v[3 * i + 1], lz = v[3 * i + 2];
    a00 += lx * lx; a01 += lx * ly; a02 += lx * lz; a11 += ly * ly; a12 += ly * lz; a22 += lz * lz;
    b0 += I[i] * lx; b1 += I[i] * ly; b2 += I[i] * lz;
  }
  double inv[9], gx = 0, gy = 0, gz = 0, conf = 0;
  if (nValid >= 3 && invert3(a00, a01, a02, a11, a12, a22, inv)) {
    gx = inv[0] * b0 + inv[1] * b1 + inv[2] * b2;
    gy = inv[3] * b0 + inv[4] * b1 + inv[5] * b2;
    gz = inv[6] * b0 + inv[7] * b1 + inv[8] * b2;
    double gNorm = sqrt(gx * gx + gy * gy + gz * gz);
    a00 = a01 = a02 = a11 = a12 = a22 = b0 = b1 = b2 = 0;
    int kept = 0;
    double magSum = 0;
    for (int i = 0; i < n; i++) {
      if (state[i] == 0) continue;
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
      double rel = g2 > 0 ? sqrt(r2 / kept) / (g2 * (magSum / kept)) : 1;
      double q = (kept - 2) / 4.0;
      conf = exp(-0.5 * (rel / 0.05) * (rel / 0.05)) * (q < 1 ? q : 1);
    } else {
      conf = 0.1;
    }
  }
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

static void psExecute(napi_env env, void* data) {
  (void)env;
  PsJob* j = (PsJob*)data;
  for (int y = j->y0; y < j->y1; y++) {
    if (!j->method) { psRowLs(j, y); continue; }
    int ty = y / j->tileSize;
    for (int x = 0; x < j->width; x++) {
      size_t p = (size_t)y * j->width + x;
      if (j->mask && !j->mask[p]) {
        j->normals[3 * p] = 0; j->normals[3 * p + 1] = 0; j->normals[3 * p + 2] = 1;
        j->albedo[p] = 0; j->confidence[p] = 0;
        continue;
      }
      psPixelRobust(j, p, ty * j->tilesX + x / j->tileSize);
    }
  }
}

static void psComplete(napi_env env, napi_status status, void* data) {
  PsJob* j = (PsJob*)data;
  napi_value undef;
  napi_get_undefined(env, &undef);
  if (status == napi_ok) napi_resolve_deferred(env, j->deferred, undef);
  else {
    napi_value msg, err;
    napi_create_string_utf8(env, "photometric-stereo work was cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_reject_deferred(env, j->deferred, err);
  }
  napi_delete_reference(env, j->keep);
  napi_delete_async_work(env, j->work);
  free(j);
}

static void* typedData(napi_env env, napi_value v, size_t* length) {
  napi_typedarray_type type;
  size_t len;
  void* data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, &ab, &off) != napi_ok) return NULL;
  if (length) *length = len;
  return data;
}

static napi_value keepAlive(napi_env env, napi_callback_info info, size_t argc, napi_value* argv, napi_ref* ref) {
  napi_value arr;
  if (napi_create_array_with_length(env, argc, &arr) != napi_ok) return NULL;
  for (size_t i = 0; i < argc; i++) napi_set_element(env, arr, (uint32_t)i, argv[i]);
  (void)info;
  if (napi_create_reference(env, arr, 1, ref) != napi_ok) return NULL;
  return arr;
}

// psSolve(planes[], params: Float64Array, vectors, pinv, invMag, mask|null, normals, albedo, confidence)
static napi_value PsSolve(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 9) { napi_throw_type_error(env, NULL, "psSolve: expected 9 arguments"); return NULL; }
  PsJob* j = (PsJob*)calloc(1, sizeof(PsJob));
  const double* prm = (const double*)typedData(env, argv[1], NULL);
  if (!prm) { free(j); napi_throw_type_error(env, NULL, "psSolve: params must be a Float64Array"); return NULL; }
  j->width = (int)prm[0]; j->tileSize = (int)prm[1]; j->tilesX = (int)prm[2]; j->n = (int)prm[3]; j->kind = (int)prm[4];
  j->method = (int)prm[5]; j->trimLow = (int)prm[6]; j->trimHigh = (int)prm[7]; j->saturation = prm[8];
  j->tol = prm[9]; j->cosMin = prm[10]; j->y0 = (int)prm[11]; j->y1 = (int)prm[12];
  if (j->n < 3 || j->n > 64) { free(j); napi_throw_range_error(env, NULL, "psSolve: 3 to 64 lights"); return NULL; }
  for (int i = 0; i < j->n; i++) {
    napi_value el;
    CHECK(napi_get_element(env, argv[0], (uint32_t)i, &el));
    j->planes[i] = typedData(env, el, NULL);
    if (!j->planes[i]) { free(j); napi_throw_type_error(env, NULL, "psSolve: planes must be typed arrays"); return NULL; }
  }
  j->vectors = (const float*)typedData(env, argv[2], NULL);
  j->pinv = (const float*)typedData(env, argv[3], NULL);
  j->invMag = (const float*)typedData(env, argv[4], NULL);
  napi_valuetype mt;
  napi_typeof(env, argv[5], &mt);
  j->mask = mt == napi_null ? NULL : (const uint8_t*)typedData(env, argv[5], NULL);
  j->normals = (float*)typedData(env, argv[6], NULL);
  j->albedo = (float*)typedData(env, argv[7], NULL);
  j->confidence = (float*)typedData(env, argv[8], NULL);
  if (!j->vectors || !j->pinv || !j->invMag || !j->normals || !j->albedo || !j->confidence) {
    free(j); napi_throw_type_error(env, NULL, "psSolve: bad typed array argument"); return NULL;
  }
  if (!keepAlive(env, info, argc, argv, &j->keep)) { free(j); return NULL; }
  napi_value promise, name;
  CHECK(napi_create_promise(env, &j->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "gradebooth.psSolve", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, psExecute, psComplete, j, &j->work));
  CHECK(napi_queue_async_work(env, j->work));
  return promise;
}

// ---------------------------------------------------------------------------------------------------------
// Masked Poisson: multigrid-preconditioned CG (see src/vision/poisson-kernel.ts for the algorithm).
typedef struct { int w, h; float *wx, *wy, *diag, *b, *x, *r; } Level;

static void makeLevel(Level* L, int w, int h, float* wx, float* wy) {
  size_t n = (size_t)w * h;
  L->w = w; L->h = h; L->wx = wx; L->wy = wy;
  L->diag = (float*)malloc(n * sizeof(float));
  L->b = (float*)calloc(n, sizeof(float));
  L->x = (float*)calloc(n, sizeof(float));
  L->r = (float*)calloc(n, sizeof(float));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      size_t i = (size_t)y * w + x;
      float d = wx[i] + wy[i];
      if (x > 0) d += wx[i - 1];
      if (y > 0) d += wy[i - w];
      L->diag[i] = d;
    }
}

static void coarsen(const Level* f, Level* c) {
  int w = (f->w + 1) >> 1, h = (f->h + 1) >> 1;
  float* wx = (float*)calloc((size_t)w * h, sizeof(float));
  float* wy = (float*)calloc((size_t)w * h, sizeof(float));
  for (int Y = 0; Y < h; Y++)
    for (int X = 0; X < w; X++) {
      int fx = 2 * X + 1, fy = 2 * Y + 1;
      float sx = 0, sy = 0;
      if (fx + 1 < f->w) { sx += f->wx[(size_t)2 * Y * f->w + fx]; if (fy < f->h) sx += f->wx[(size_t)fy * f->w + fx]; }
      if (fy + 1 < f->h) { sy += f->wy[(size_t)fy * f->w + 2 * X]; if (fx < f->w) sy += f->wy[(size_t)fy * f->w + fx]; }
      wx[(size_t)Y * w + X] = sx; wy[(size_t)Y * w + X] = sy;
    }
  makeLevel(c, w, h, wx, wy);
}

static void applyA(const Level* L, const float* x, float* y) {
  const int w = L->w, h = L->h;
  for (int j = 0; j < h; j++) {
    const size_t row = (size_t)j * w;
    for (int i = 0; i < w; i++) {
      size_t k = row + i;
      float s = L->diag[k] * x[k];
      if (i + 1 < w) s -= L->wx[k] * x[k + 1];
      if (i > 0) s -= L->wx[k - 1] * x[k - 1];
      if (j + 1 < h) s -= L->wy[k] * x[k + w];
      if (j > 0) s -= L->wy[k - w] * x[k - w];
      y[k] = s;
    }
  }
}

static void gsColour(Level* L, int colour) {
  const int w = L->w, h = L->h;
  float *x = L->x, *b = L->b, *wx = L->wx, *wy = L->wy, *diag = L->diag;
  for (int j = 0; j < h; j++) {
    for (int i = (j + colour) & 1; i < w; i += 2) {
      size_t k = (size_t)j * w + i;
      float d = diag[k];
      if (d == 0) continue;
      float s = b[k];
      if (i + 1 < w) s += wx[k] * x[k + 1];
      if (i > 0) s += wx[k - 1] * x[k - 1];
      if (j + 1 < h) s += wy[k] * x[k + w];
      if (j > 0) s += wy[k - w] * x[k - w];
      x[k] = s / d;
    }
  }
}

static void vcycle(Level* levels, int nLevels, int l) {
  Level* L = &levels[l];
  size_t n = (size_t)L->w * L->h;
  memset(L->x, 0, n * sizeof(float));
  if (l == nLevels - 1) {
    for (int s = 0; s < 40; s++) { gsColour(L, 0); gsColour(L, 1); }
    for (int s = 0; s < 40; s++) { gsColour(L, 1); gsColour(L, 0); }
    return;
  }
  gsColour(L, 0); gsColour(L, 1); gsColour(L, 0); gsColour(L, 1);
  applyA(L, L->x, L->r);
  Level* C = &levels[l + 1];
  memset(C->b, 0, (size_t)C->w * C->h * sizeof(float));
  for (int j = 0; j < L->h; j++)
    for (int i = 0; i < L->w; i++) {
      size_t k = (size_t)j * L->w + i;
      C->b[(size_t)(j >> 1) * C->w + (i >> 1)] += L->b[k] - L->r[k];
    }
  vcycle(levels, nLevels, l + 1);
  for (int j = 0; j < L->h; j++)
    for (int i = 0; i < L->w; i++) L->x[(size_t)j * L->w + i] += 2.0f * C->x[(size_t)(j >> 1) * C->w + (i >> 1)];
  gsColour(L, 1); gsColour(L, 0); gsColour(L, 1); gsColour(L, 0);
}

static double dotf(const float* a, const float* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
  return s;
}

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref keep;
  int w, h, maxIt, iterations;
  double tol;
  const float* rhs;
  const uint8_t* mask;
  float* z;
} IntJob;

static void intExecute(napi_env env, void* data) {
  (void)env;
  IntJob* j = (IntJob*)data;
  const int w = j->w, h = j->h;
  const size_t n = (size_t)w * h;
  const uint8_t* m = j->mask;
  float* wx = (float*)calloc(n, sizeof(float));
  float* wy = (float*)calloc(n, sizeof(float));
  const float* rhs = j->rhs;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      size_t i = (size_t)y * w + x;
      if (!m[i]) continue;
      if (x + 1 < w && m[i + 1]) wx[i] = 1;
      if (y + 1 < h && m[i + w]) wy[i] = 1;
    }
  Level levels[40];
  int nLevels = 1;
  makeLevel(&levels[0], w, h, wx, wy);
  while ((size_t)levels[nLevels - 1].w * levels[nLevels - 1].h > 64 && nLevels < 40) {
    coarsen(&levels[nLevels - 1], &levels[nLevels]);
    nLevels++;
  }
  Level* L = &levels[0];
  float* r = (float*)malloc(n * sizeof(float));
  float* p = (float*)malloc(n * sizeof(float));
  float* q = (float*)malloc(n * sizeof(float));
  float* z = j->z;
  applyA(L, z, q);
  for (size_t i = 0; i < n; i++) r[i] = rhs[i] - q[i];
  double bNorm = sqrt(dotf(rhs, rhs, n));
  if (bNorm == 0) bNorm = 1;
  memcpy(L->b, r, n * sizeof(float));
  vcycle(levels, nLevels, 0);
  memcpy(p, L->x, n * sizeof(float));
  double rz = dotf(r, L->x, n);
  int it = 0;
  for (; it < j->maxIt; it++) {
    if (sqrt(dotf(r, r, n)) <= j->tol * bNorm) break;
    applyA(L, p, q);
    double pq = dotf(p, q, n);
    if (!(pq > 0)) break;
    float alpha = (float)(rz / pq);
    for (size_t i = 0; i < n; i++) { z[i] += alpha * p[i]; r[i] -= alpha * q[i]; }
    memcpy(L->b, r, n * sizeof(float));
    vcycle(levels, nLevels, 0);
    double rzNew = dotf(r, L->x, n);
    float beta = (float)(rzNew / rz);
    rz = rzNew;
    for (size_t i = 0; i < n; i++) p[i] = L->x[i] + beta * p[i];
  }
  j->iterations = it;
  for (int l = 0; l < nLevels; l++) {
    free(levels[l].wx); free(levels[l].wy); free(levels[l].diag); free(levels[l].b); free(levels[l].x); free(levels[l].r);
  }
  free(r); free(p); free(q);
}

static void intComplete(napi_env env, napi_status status, void* data) {
  IntJob* j = (IntJob*)data;
  if (status == napi_ok) {
    napi_value v;
    napi_create_int32(env, j->iterations, &v);
    napi_resolve_deferred(env, j->deferred, v);
  } else {
    napi_value msg, err;
    napi_create_string_utf8(env, "integration work was cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_reject_deferred(env, j->deferred, err);
  }
  napi_delete_reference(env, j->keep);
  napi_delete_async_work(env, j->work);
  free(j);
}

// integrateSolve(params: Float64Array [w, h, tol, maxIt], rhs, mask: Uint8Array, z: Float32Array in/out)
static napi_value IntegrateSolve(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 4) { napi_throw_type_error(env, NULL, "integrateSolve: expected 4 arguments"); return NULL; }
  IntJob* j = (IntJob*)calloc(1, sizeof(IntJob));
  const double* prm = (const double*)typedData(env, argv[0], NULL);
  size_t nb = 0, nm = 0, nz = 0;
  j->rhs = (const float*)typedData(env, argv[1], &nb);
  j->mask = (const uint8_t*)typedData(env, argv[2], &nm);
  j->z = (float*)typedData(env, argv[3], &nz);
  if (!prm || !j->rhs || !j->mask || !j->z) { free(j); napi_throw_type_error(env, NULL, "integrateSolve: bad arguments"); return NULL; }
  j->w = (int)prm[0]; j->h = (int)prm[1]; j->tol = prm[2]; j->maxIt = (int)prm[3];
  size_t n = (size_t)j->w * j->h;
  if (nb != n || nm != n || nz != n) { free(j); napi_throw_range_error(env, NULL, "integrateSolve: array sizes differ from w×h"); return NULL; }
  if (!keepAlive(env, info, argc, argv, &j->keep)) { free(j); return NULL; }
  napi_value promise, name;
  CHECK(napi_create_promise(env, &j->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "gradebooth.integrateSolve", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, intExecute, intComplete, j, &j->work));
  CHECK(napi_queue_async_work(env, j->work));
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "psSolve", NAPI_AUTO_LENGTH, PsSolve, NULL, &fn);
  napi_set_named_property(env, exports, "psSolve", fn);
  napi_create_function(env, "integrateSolve", NAPI_AUTO_LENGTH, IntegrateSolve, NULL, &fn);
  napi_set_named_property(env, exports, "integrateSolve", fn);
  return exports;
}
