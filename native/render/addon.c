// N-API glue for the shading kernel (shade.c). Each call validates its arguments on the JS thread, keeps
// every JS buffer it touches referenced, and runs one band of rows as a napi async work item on libuv's
// thread pool (the event loop stays free); it returns a promise.
#include "../common/napi-job.h"
#include <stdbool.h>
#include "shade.h"
#include "sensor.h"

typedef struct {
  JobHead head;  // first: the shared glue sees a job as its JobHead
  int kind;  // 0 shade, 1 expose
  ShadeParams p;
  ExposeParams e;
} Job;

static void execute(napi_env env, void* data) {
  (void)env;
  Job* j = (Job*)data;
  if (j->kind == 0) shadeRun(&j->p);
  else exposeRun(&j->e);
}

static void complete(napi_env env, napi_status status, void* data) {
  settleJob(env, status, (JobHead*)data, NULL, "render work was cancelled");
  free(data);
}

/** Data pointer and element count of a typed array of the expected type (works for SharedArrayBuffers). */
static void* typedData(napi_env env, napi_value v, napi_typedarray_type want, size_t* length) {
  napi_typedarray_type type;
  size_t len, off;
  void* data;
  napi_value ab;
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return NULL;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, &ab, &off) != napi_ok || type != want) return NULL;
  if (length) *length = len;
  // An empty array may have no storage: a non-NULL pointer that is never read (length 0).
  static char none;
  return data ? data : (len == 0 ? (void*)&none : NULL);
}

static void* element(napi_env env, napi_value arr, uint32_t i, napi_typedarray_type want, size_t* length) {
  napi_value el;
  if (napi_get_element(env, arr, i, &el) != napi_ok) return NULL;
  return typedData(env, el, want, length);
}

static napi_value queue(napi_env env, Job* j, size_t argc, napi_value* argv, const char* name) {
  return queueJob(env, &j->head, argc, argv, name, execute, complete);
}

// Params (Float64Array of 47): 0 width, 1 height, 2 fx, 3 fy, 4 cx, 5 cy, 6 k1, 7 k2, 8..16 rotation,
// 17..19 camera position, 20 vignette, 21 near, 22 responsivity, 23..25 tray albedo/alpha/F0,
// 26 has surface, 27 map width, 28 map height, 29 pitch mm, 30 cosR, 31 sinR, 32 xMm, 33 yMm,
// 34 has sphere, 35..41 sphere centre xyz, radius, albedo, alpha, F0, 42 rowStart, 43 rowEnd, 44 band,
// 45 bands, 46 block rows.
#define NPARAMS 47

// shade(params, lights: Float64Array (8 per LED), ledIndex: Int32Array, basis: Float32Array[],
//       maps: [height, albedo, roughness, F0, slopeU, slopeV (Float32Array), cover (Uint8Array),
//              label (Uint16Array)] | null, truth: [normal, height, albedo (Float32Array), cover (Uint8Array),
//              label (Uint16Array)] | null) → Promise<void>
static napi_value Shade(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Job* j = (Job*)calloc(1, sizeof(Job));
  if (!j) { napi_throw_error(env, "GB_INTERNAL", "out of memory"); return NULL; }
  if (argc != 6) return failJob(env, j, "shade: expected 6 arguments");
  ShadeParams* p = &j->p;
  size_t np = 0, nl = 0, ni = 0;
  const double* q = (const double*)typedData(env, argv[0], napi_float64_array, &np);
  p->lights = (const double*)typedData(env, argv[1], napi_float64_array, &nl);
  const int32_t* idx = (const int32_t*)typedData(env, argv[2], napi_int32_array, &ni);
  if (!q || np != NPARAMS || !p->lights || nl % 8 != 0 || !idx) return failJob(env, j, "shade: bad params, lights or LED indices");
  p->width = (int)q[0];
  const int height = (int)q[1];
  p->fx = q[2]; p->fy = q[3]; p->cx = q[4]; p->cy = q[5]; p->k1 = q[6]; p->k2 = q[7];
  for (int k = 0; k < 9; k++) p->rot[k] = q[8 + k];
  for (int k = 0; k < 3; k++) p->pos[k] = q[17 + k];
  p->vignette = q[20] != 0; p->near = q[21] != 0; p->responsivity = q[22];
  for (int k = 0; k < 3; k++) p->tray[k] = q[23 + k];
  p->hasSurface = q[26] != 0;
  p->hasSphere = q[34] != 0;
  for (int k = 0; k < 7; k++) p->sphere[k] = q[35 + k];
  p->rowStart = (int)q[42]; p->rowEnd = (int)q[43]; p->band = (int)q[44]; p->bands = (int)q[45]; p->blockRows = (int)q[46];
  if (p->width < 1 || height < 1 || p->rowStart < 0 || p->rowEnd > height || p->rowStart > p->rowEnd
      || p->bands < 1 || p->band < 0 || p->band >= p->bands || p->blockRows < 1) {
    return failJob(env, j, "shade: bad image size, rows or bands");
  }
  const size_t n = (size_t)p->width * height;
  uint32_t count = 0;
  CHECK(napi_get_array_length(env, argv[3], &count));
  if (count != ni || count > SHADE_MAX_LEDS) return failJob(env, j, "shade: one basis image per LED index, at most 64");
  p->ledCount = (int)count;
  for (uint32_t l = 0; l < count; l++) {
    size_t len = 0;
    p->basis[l] = (float*)element(env, argv[3], l, napi_float32_array, &len);
    if (!p->basis[l] || len != n) return failJob(env, j, "shade: basis images must be Float32Arrays of width × height");
    if (idx[l] < 0 || (size_t)idx[l] * 8 >= nl) return failJob(env, j, "shade: LED index out of range");
    p->ledIndex[l] = idx[l];
  }
  napi_valuetype t4, t5;
  CHECK(napi_typeof(env, argv[4], &t4));
  CHECK(napi_typeof(env, argv[5], &t5));
  if (p->hasSurface) {
    ShadeMaps* m = &p->maps;
    m->widthPx = (int)q[27]; m->heightPx = (int)q[28]; m->pitchMm = q[29];
    m->cosR = q[30]; m->sinR = q[31]; m->xMm = q[32]; m->yMm = q[33];
    const size_t mn = (size_t)m->widthPx * m->heightPx;
    if (t4 == napi_null || m->widthPx < 2 || m->heightPx < 2 || !(m->pitchMm > 0)) return failJob(env, j, "shade: surface maps missing or empty");
    const float** f[6] = {&m->height, &m->albedo, &m->roughness, &m->specularF0, &m->slopeU, &m->slopeV};
    for (uint32_t k = 0; k < 6; k++) {
      size_t len = 0;
      *f[k] = (const float*)element(env, argv[4], k, napi_float32_array, &len);
      if (!*f[k] || len != mn) return failJob(env, j, "shade: float maps must be Float32Arrays of the map size");
    }
    size_t lc = 0, ll = 0;
    m->cover = (const uint8_t*)element(env, argv[4], 6, napi_uint8_array, &lc);
    m->label = (const uint16_t*)element(env, argv[4], 7, napi_uint16_array, &ll);
    if (!m->cover || !m->label || lc != mn || ll != mn) return failJob(env, j, "shade: cover/label maps must be Uint8Array/Uint16Array of the map size");
  }
  if (t5 != napi_null) {
    size_t a = 0, b = 0, c = 0, d = 0, e = 0;
    p->truthNormal = (float*)element(env, argv[5], 0, napi_float32_array, &a);
    p->truthHeight = (float*)element(env, argv[5], 1, napi_float32_array, &b);
    p->truthAlbedo = (float*)element(env, argv[5], 2, napi_float32_array, &c);
    p->truthCover = (uint8_t*)element(env, argv[5], 3, napi_uint8_array, &d);
    p->truthLabel = (uint16_t*)element(env, argv[5], 4, napi_uint16_array, &e);
    if (!p->truthNormal || !p->truthHeight || !p->truthAlbedo || !p->truthCover || !p->truthLabel || a != 3 * n || b != n || c != n || d != n || e != n) {
      return failJob(env, j, "shade: truth buffers do not match the image size");
    }
  }
  return queue(env, j, argc, argv, "gradebooth.shade");
}

// expose(params: Float64Array [width, height, rowStart, rowEnd, seed, noise, read2, full, k, off, adcMax,
//        shift, mulShift], basis: Float32Array[], weights: Float64Array, table: Float32Array (4096),
//        out: Uint16Array) → Promise<void>
static napi_value Expose(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Job* j = (Job*)calloc(1, sizeof(Job));
  if (!j) { napi_throw_error(env, "GB_INTERNAL", "out of memory"); return NULL; }
  if (argc != 5) return failJob(env, j, "expose: expected 5 arguments");
  j->kind = 1;
  ExposeParams* p = &j->e;
  size_t np = 0, nw = 0, nt = 0, no = 0;
  const double* q = (const double*)typedData(env, argv[0], napi_float64_array, &np);
  const double* w = (const double*)typedData(env, argv[2], napi_float64_array, &nw);
  p->table = (const float*)typedData(env, argv[3], napi_float32_array, &nt);
  p->out = (uint16_t*)typedData(env, argv[4], napi_uint16_array, &no);
  if (!q || np != 13 || !w || !p->table || nt != SENSOR_TABLE_SIZE || !p->out) return failJob(env, j, "expose: bad params, weights, table or output");
  p->width = (int)q[0];
  const int height = (int)q[1];
  p->rowStart = (int)q[2]; p->rowEnd = (int)q[3]; p->seed = (int32_t)q[4]; p->noise = q[5] != 0;
  p->read2 = (float)q[6]; p->full = (float)q[7]; p->k = (float)q[8]; p->off = (float)q[9]; p->adcMax = (float)q[10];
  p->shift = (int)q[11]; p->mulShift = (int)q[12];
  const size_t n = (size_t)p->width * height;
  if (p->width < 1 || height < 1 || p->rowStart < 0 || p->rowEnd > height || p->rowStart > p->rowEnd || no != n
      || p->shift < 0 || p->shift > 15 || p->mulShift < 0 || p->mulShift > 15) {
    return failJob(env, j, "expose: bad image size, rows, packing or output size");
  }
  uint32_t count = 0;
  CHECK(napi_get_array_length(env, argv[1], &count));
  if (count != nw || count > SENSOR_MAX_BASES) return failJob(env, j, "expose: one weight per basis image, at most 64");
  p->count = (int)count;
  for (uint32_t l = 0; l < count; l++) {
    size_t len = 0;
    p->basis[l] = (const float*)element(env, argv[1], l, napi_float32_array, &len);
    if (!p->basis[l] || len != n) return failJob(env, j, "expose: basis images must be Float32Arrays of width × height");
    p->weights[l] = w[l];
  }
  return queue(env, j, argc, argv, "gradebooth.expose");
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "shade", NAPI_AUTO_LENGTH, Shade, NULL, &fn);
  napi_set_named_property(env, exports, "shade", fn);
  napi_create_function(env, "expose", NAPI_AUTO_LENGTH, Expose, NULL, &fn);
  napi_set_named_property(env, exports, "expose", fn);
  return exports;
}
