// N-API glue for the vision kernels (ps.c, poisson.c). Each call validates its arguments on the JS
// thread, keeps every JS buffer it touches referenced, and runs the kernel as one napi async work item on
// libuv's thread pool, so the event loop stays free; it returns a promise.
#include "../common/napi-job.h"
#include <stdbool.h>
#include "kernels.h"

typedef struct {
  JobHead head;  // first: the shared glue sees a job as its JobHead
  int kind;  // 0 ps, 1 poisson, 2 warp, 3 area resampling, 4 surface features, 5 report pictures, 6 tile unpack + softmax, 7 tile pack
  PsParams ps;
  WarpParams warp;
  ResampleParams resample;
  PicturesParams pictures;
  FeaturesParams features;
  UnpackParams unpack;
  PackParams pack;
  int failed;
  int w, h, maxIt, iterations, solver;
  double tol;
  const float* normals;
  float minNz;
  const uint8_t* mask;
  float* z;
} Job;

static void execute(napi_env env, void* data) {
  (void)env;
  Job* j = (Job*)data;
  if (j->kind == 0) psRun(&j->ps);
  else if (j->kind == 2) warpRun(&j->warp);
  else if (j->kind == 3) resampleAreaRun(&j->resample);
  else if (j->kind == 4) j->failed = surfaceFeaturesRun(&j->features);
  else if (j->kind == 5) resamplePicturesRun(&j->pictures);
  else if (j->kind == 6) unpackSoftmaxRun(&j->unpack);
  else if (j->kind == 7) packTileRun(&j->pack);
  else j->iterations = integrateRun(j->w, j->h, j->normals, j->mask, j->minNz, j->z, j->tol, j->maxIt, &j->solver);
}

static void complete(napi_env env, napi_status status, void* data) {
  Job* j = (Job*)data;
  napi_value v = NULL;
  if (status == napi_ok && j->kind == 1) {
    // integrateSolve resolves to { iterations, solver: 0 pcg | 1 dct | 2 dct+pcg }
    napi_value it, solver;
    napi_create_object(env, &v);
    napi_create_int32(env, j->iterations, &it);
    napi_create_int32(env, j->solver, &solver);
    napi_set_named_property(env, v, "iterations", it);
    napi_set_named_property(env, v, "solver", solver);
  } else if (status == napi_ok && j->kind == 4) {
    // surfaceFeatures resolves to whether it ran (false: out of memory for its integral images)
    napi_get_boolean(env, j->failed == 0, &v);
  }
  settleJob(env, status, &j->head, v, "vision work was cancelled");
  free(j);
}

static void* typedData(napi_env env, napi_value v, size_t* length) {
  napi_typedarray_type type;
  size_t len, off;
  void* data;
  napi_value ab;
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return NULL;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, &ab, &off) != napi_ok) return NULL;
  if (length) *length = len;
  return data;
}

static napi_value queue(napi_env env, Job* j, size_t argc, napi_value* argv, const char* name) {
  return queueJob(env, &j->head, argc, argv, name, execute, complete);
}

// psSolve(planes[], params: Float64Array, vectors, pinv, invMag, mask|null, normals, albedo, confidence,
//         normalAll)
static napi_value PsSolve(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Job* j = (Job*)calloc(1, sizeof(Job));
  if (argc != 10) return failJob(env, j, "psSolve: expected 10 arguments");
  PsParams* p = &j->ps;
  size_t np = 0;
  const double* prm = (const double*)typedData(env, argv[1], &np);
  if (!prm || np < 13) return failJob(env, j, "psSolve: params must be a Float64Array of 13");
  p->width = (int)prm[0]; p->tileSize = (int)prm[1]; p->tilesX = (int)prm[2]; p->n = (int)prm[3]; p->kind = (int)prm[4];
  p->method = (int)prm[5]; p->trimLow = (int)prm[6]; p->trimHigh = (int)prm[7]; p->saturation = prm[8];
  p->tol = prm[9]; p->cosMin = prm[10]; p->y0 = (int)prm[11]; p->y1 = (int)prm[12];
  if (p->n < 3 || p->n > PS_MAX_LIGHTS) return failJob(env, j, "psSolve: 3 to 64 lights");
  if (p->trimLow < 0 || p->trimLow > 8 || p->trimHigh < 0 || p->trimHigh > 8) return failJob(env, j, "psSolve: trims 0 to 8");
  for (int i = 0; i < p->n; i++) {
    napi_value el;
    CHECK(napi_get_element(env, argv[0], (uint32_t)i, &el));
    p->planes[i] = typedData(env, el, NULL);
    if (!p->planes[i]) return failJob(env, j, "psSolve: planes must be typed arrays");
  }
  p->vectors = (const float*)typedData(env, argv[2], NULL);
  p->pinv = (const float*)typedData(env, argv[3], NULL);
  p->invMag = (const float*)typedData(env, argv[4], NULL);
  napi_valuetype mt;
  CHECK(napi_typeof(env, argv[5], &mt));
  p->mask = mt == napi_null ? NULL : (const uint8_t*)typedData(env, argv[5], NULL);
  p->normals = (float*)typedData(env, argv[6], NULL);
  p->albedo = (float*)typedData(env, argv[7], NULL);
  p->confidence = (float*)typedData(env, argv[8], NULL);
  p->normalAll = (const float*)typedData(env, argv[9], NULL);
  if (!p->vectors || !p->pinv || !p->invMag || !p->normalAll || !p->normals || !p->albedo || !p->confidence || (mt != napi_null && !p->mask)) {
    return failJob(env, j, "psSolve: bad typed array argument");
  }
  return queue(env, j, argc, argv, "gradebooth.psSolve");
}

// integrateSolve(params: Float64Array [w, h, tol, maxIt, minNz], normals: Float32Array (3 per px),
//                mask: Uint8Array, z: Float32Array (initial guess in, height out))
static napi_value IntegrateSolve(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Job* j = (Job*)calloc(1, sizeof(Job));
  if (argc != 4) return failJob(env, j, "integrateSolve: expected 4 arguments");
  j->kind = 1;
  size_t np = 0, nn = 0, nm = 0, nz = 0;
  const double* prm = (const double*)typedData(env, argv[0], &np);
  j->normals = (const float*)typedData(env, argv[1], &nn);
  j->mask = (const uint8_t*)typedData(env, argv[2], &nm);
  j->z = (float*)typedData(env, argv[3], &nz);
  if (!prm || np < 5 || !j->normals || !j->mask || !j->z) return failJob(env, j, "integrateSolve: bad arguments");
  j->w = (int)prm[0]; j->h = (int)prm[1]; j->tol = prm[2]; j->maxIt = (int)prm[3]; j->minNz = (float)prm[4];
  size_t n = (size_t)j->w * j->h;
  if (j->w < 1 || j->h < 1 || nn != 3 * n || nm != n || nz != n) return failJob(env, j, "integrateSolve: array sizes differ from w×h");
  adviseHuge(j->z, n * sizeof(float));
  return queue(env, j, argc, argv, "gradebooth.integrateSolve");
}

// warpSolve(params: Float64Array [srcW, srcH, dstW, dstH, y0, y1, rotate, cosPhi, sinPhi, H0..H8],
//           srcs: Float32Array[], dsts: Float32Array[], chans: Int32Array) — images sharing one mapping
static napi_value WarpSolve(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Job* j = (Job*)calloc(1, sizeof(Job));
  if (argc != 4) return failJob(env, j, "warpSolve: expected 4 arguments");
  j->kind = 2;
  size_t np = 0, nc = 0;
  const double* prm = (const double*)typedData(env, argv[0], &np);
  const int32_t* chans = (const int32_t*)typedData(env, argv[3], &nc);
  WarpParams* p = &j->warp;
  if (!prm || np < 18 || !chans || nc < 1 || nc > WARP_MAX_IMAGES) return failJob(env, j, "warpSolve: bad arguments");
  p->srcW = (int)prm[0]; p->srcH = (int)prm[1]; p->dstW = (int)prm[2];
  int dstH = (int)prm[3];
  p->y0 = (int)prm[4]; p->y1 = (int)prm[5]; p->rotate = (int)prm[6];
  p->cosPhi = (float)prm[7]; p->sinPhi = (float)prm[8];
  for (int k = 0; k < 9; k++) p->H[k] = prm[9 + k];
  if (p->srcW < 2 || p->srcH < 2 || p->y0 < 0 || p->y1 > dstH || p->y0 > p->y1) return failJob(env, j, "warpSolve: sizes do not match");
  p->count = (int)nc;
  for (int k = 0; k < p->count; k++) {
    napi_value s, d;
    CHECK(napi_get_element(env, argv[1], (uint32_t)k, &s));
    CHECK(napi_get_element(env, argv[2], (uint32_t)k, &d));
    size_t ns = 0, nd = 0;
    p->src[k] = (const float*)typedData(env, s, &ns);
    p->dst[k] = (float*)typedData(env, d, &nd);
    p->chans[k] = chans[k];
    adviseHuge(p->dst[k], nd * sizeof(float));
    if (!p->src[k] || !p->dst[k] || chans[k] < 1 || chans[k] > 4 || ns != (size_t)p->srcW * p->srcH * chans[k] || nd != (size_t)p->dstW * dstH * chans[k]) {
      return failJob(env, j, "warpSolve: image sizes do not match");
    }
  }
  if (p->rotate && p->chans[0] != 3) return failJob(env, j, "warpSolve: rotation needs 3-channel normals first");
  return queue(env, j, argc, argv, "gradebooth.warpSolve");
}

// resampleArea(params: Float64Array [srcW, srcH, dstW, dstH, y0, y1], mask, normals, albedo, relief,
//              confidence|null, outMask, outNormals, outAlbedo, outRelief, outConfidence|null)
static napi_value ResampleArea(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Job* j = (Job*)calloc(1, sizeof(Job));
  if (argc != 11) return failJob(env, j, "resampleArea: expected 11 arguments");
  j->kind = 3;
  size_t np = 0, nm = 0, nn = 0, na = 0, nr = 0, nc = 0, om = 0, on = 0, oa = 0, orl = 0, oc = 0;
  const double* prm = (const double*)typedData(env, argv[0], &np);
  if (!prm || np < 6) return failJob(env, j, "resampleArea: params must be a Float64Array of 6");
  ResampleParams* p = &j->resample;
  p->srcW = (int)prm[0]; p->srcH = (int)prm[1]; p->dstW = (int)prm[2]; p->dstH = (int)prm[3]; p->y0 = (int)prm[4]; p->y1 = (int)prm[5];
  p->mask = (const uint8_t*)typedData(env, argv[1], &nm);
  p->normals = (const float*)typedData(env, argv[2], &nn);
  p->albedo = (const float*)typedData(env, argv[3], &na);
  p->relief = (const float*)typedData(env, argv[4], &nr);
  p->confidence = (const float*)typedData(env, argv[5], &nc);
  p->outMask = (uint8_t*)typedData(env, argv[6], &om);
  p->outNormals = (float*)typedData(env, argv[7], &on);
  p->outAlbedo = (float*)typedData(env, argv[8], &oa);
  p->outRelief = (float*)typedData(env, argv[9], &orl);
  p->outConfidence = (float*)typedData(env, argv[10], &oc);
  const size_t sn = (size_t)p->srcW * p->srcH, dn = (size_t)p->dstW * p->dstH;
  if (p->srcW < 1 || p->srcH < 1 || p->dstW < 1 || p->dstH < 1 || p->dstW > p->srcW || p->dstH > p->srcH || p->y0 < 0 || p->y1 > p->dstH || p->y0 > p->y1) return failJob(env, j, "resampleArea: sizes do not match (coarser only)");
  if (!p->mask || !p->normals || !p->albedo || !p->relief || !p->outMask || !p->outNormals || !p->outAlbedo || !p->outRelief || (!p->confidence) != (!p->outConfidence)) return failJob(env, j, "resampleArea: missing buffers");
  if (nm != sn || nn != 3 * sn || na != sn || nr != sn || (p->confidence && nc != sn) || om != dn || on != 3 * dn || oa != dn || orl != dn || (p->outConfidence && oc != dn)) return failJob(env, j, "resampleArea: buffer sizes do not match");
  return queue(env, j, argc, argv, "gradebooth.resampleArea");
}

// resamplePictures(params: Float64Array [srcW, srcH, dstW, dstH, y0, y1, albedoScale, slopeGain, L0, L1, L2],
//                  mask, normals, albedo, albedoRgb, shade, normalRgb)
static napi_value ResamplePictures(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Job* j = (Job*)calloc(1, sizeof(Job));
  if (argc != 7) return failJob(env, j, "resamplePictures: expected 7 arguments");
  j->kind = 5;
  size_t np = 0, nm = 0, nn = 0, na = 0, oa = 0, os = 0, on = 0;
  const double* prm = (const double*)typedData(env, argv[0], &np);
  if (!prm || np < 11) return failJob(env, j, "resamplePictures: params must be a Float64Array of 11");
  PicturesParams* p = &j->pictures;
  p->srcW = (int)prm[0]; p->srcH = (int)prm[1]; p->dstW = (int)prm[2]; p->dstH = (int)prm[3]; p->y0 = (int)prm[4]; p->y1 = (int)prm[5];
  p->albedoScale = prm[6]; p->slopeGain = prm[7]; p->light[0] = prm[8]; p->light[1] = prm[9]; p->light[2] = prm[10];
  p->mask = (const uint8_t*)typedData(env, argv[1], &nm);
  p->normals = (const float*)typedData(env, argv[2], &nn);
  p->albedo = (const float*)typedData(env, argv[3], &na);
  p->albedoRgb = (uint8_t*)typedData(env, argv[4], &oa);
  p->shade = (uint8_t*)typedData(env, argv[5], &os);
  p->normalRgb = (uint8_t*)typedData(env, argv[6], &on);
  const size_t sn = (size_t)p->srcW * p->srcH, dn = (size_t)p->dstW * p->dstH;
  if (p->srcW < 1 || p->srcH < 1 || p->dstW < 1 || p->dstH < 1 || p->dstW > p->srcW || p->dstH > p->srcH || p->y0 < 0 || p->y1 > p->dstH || p->y0 > p->y1) return failJob(env, j, "resamplePictures: sizes do not match (coarser only)");
  if (!p->mask || !p->normals || !p->albedo || !p->albedoRgb || !p->shade || !p->normalRgb) return failJob(env, j, "resamplePictures: missing buffers");
  if (nm != sn || nn != 3 * sn || na != sn || oa != 3 * dn || os != dn || on != 3 * dn) return failJob(env, j, "resamplePictures: buffer sizes do not match");
  return queue(env, j, argc, argv, "gradebooth.resamplePictures");
}

// surfaceFeatures(params: Float64Array [w, h, channels, rSlope, rRelief, rAlbedo, sSlope, sRelief, sAlbedo],
//                 mask, normals, albedo, relief, confidence, out: Float32Array (6 × w × h))
static napi_value SurfaceFeatures(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Job* j = (Job*)calloc(1, sizeof(Job));
  if (argc != 7) return failJob(env, j, "surfaceFeatures: expected 7 arguments");
  j->kind = 4;
  size_t np = 0, nm = 0, nn = 0, na = 0, nr = 0, nc = 0, no = 0;
  const double* prm = (const double*)typedData(env, argv[0], &np);
  if (!prm || np < 9) return failJob(env, j, "surfaceFeatures: params must be a Float64Array of 9");
  FeaturesParams* p = &j->features;
  p->w = (int)prm[0]; p->h = (int)prm[1]; p->channels = (int)prm[2];
  p->rSlope = (int)prm[3]; p->rRelief = (int)prm[4]; p->rAlbedo = (int)prm[5];
  p->sSlope = prm[6]; p->sRelief = prm[7]; p->sAlbedo = prm[8];
  p->mask = (const uint8_t*)typedData(env, argv[1], &nm);
  p->normals = (const float*)typedData(env, argv[2], &nn);
  p->albedo = (const float*)typedData(env, argv[3], &na);
  p->relief = (const float*)typedData(env, argv[4], &nr);
  p->confidence = (const float*)typedData(env, argv[5], &nc);
  p->out = (float*)typedData(env, argv[6], &no);
  const size_t n = (size_t)p->w * p->h;
  if (p->w < 1 || p->h < 1 || p->channels < 0 || p->channels > 63 || p->rSlope < 1 || p->rRelief < 1 || p->rAlbedo < 1) return failJob(env, j, "surfaceFeatures: bad sizes, channels or radii");
  if (!p->mask || !p->normals || !p->albedo || !p->relief || !p->confidence || !p->out) return failJob(env, j, "surfaceFeatures: missing buffers");
  if (nm != n || nn != 3 * n || na != n || nr != n || nc != n || no != 6 * n) return failJob(env, j, "surfaceFeatures: buffer sizes do not match");
  adviseHuge(p->out, no * sizeof(float));  // 40 MB written once at the model's scale: fewer first-touch faults
  return queue(env, j, argc, argv, "gradebooth.surfaceFeatures");
}

// unpackSoftmax(params: Float64Array [classes, block, tileW, tileH, x0, y0, w, h, ya, yb, xa, xb, slot],
//               logits: Float32Array (the batch's output), out: Float32Array (classes × w × h))
static napi_value UnpackSoftmax(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Job* j = (Job*)calloc(1, sizeof(Job));
  if (argc != 3) return failJob(env, j, "unpackSoftmax: expected 3 arguments");
  j->kind = 6;
  size_t np = 0, nl = 0, no = 0;
  const double* prm = (const double*)typedData(env, argv[0], &np);
  if (!prm || np < 13) return failJob(env, j, "unpackSoftmax: params must be a Float64Array of 13");
  UnpackParams* p = &j->unpack;
  p->classes = (int)prm[0]; p->block = (int)prm[1]; p->tileW = (int)prm[2]; p->tileH = (int)prm[3];
  p->x0 = (int)prm[4]; p->y0 = (int)prm[5]; p->w = (int)prm[6]; p->h = (int)prm[7];
  p->ya = (int)prm[8]; p->yb = (int)prm[9]; p->xa = (int)prm[10]; p->xb = (int)prm[11];
  const double slot = prm[12];
  const float* logits = (const float*)typedData(env, argv[1], &nl);
  p->out = (float*)typedData(env, argv[2], &no);
  if (!logits || !p->out) return failJob(env, j, "unpackSoftmax: missing buffers");
  const int b = p->block;
  if (p->classes < 1 || p->classes > 64 || b < 1 || p->tileW < b || p->tileH < b || p->tileW % b || p->tileH % b || p->w < 1 || p->h < 1 || slot < 0) return failJob(env, j, "unpackSoftmax: bad sizes");
  // The rows and columns written lie in the map and in the tile (so every read is inside the slot).
  if (p->ya < 0 || p->yb > p->h || p->ya > p->yb || p->xa < 0 || p->xb > p->w || p->xa > p->xb || p->ya < p->y0 || p->yb > p->y0 + p->tileH || p->xa < p->x0 || p->xb > p->x0 + p->tileW) return failJob(env, j, "unpackSoftmax: rows/columns outside the map or the tile");
  const size_t slotValues = (size_t)p->classes * (size_t)p->tileW * (size_t)p->tileH;
  if ((size_t)(slot + 1) * slotValues > nl || no != (size_t)p->classes * (size_t)p->w * (size_t)p->h) return failJob(env, j, "unpackSoftmax: buffer sizes do not match");
  p->logits = logits + (size_t)slot * slotValues;
  adviseHuge(p->out, no * sizeof(float));  // the 40 MB probability map is written here first
  return queue(env, j, argc, argv, "gradebooth.unpackSoftmax");
}

// packTile(params: Float64Array [channels, block, tileW, tileH, x0, y0, w, h, ty0, ty1, slot],
//          features: Float32Array (channels × h × w), input: Float32Array (the batch's input))
static napi_value PackTile(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Job* j = (Job*)calloc(1, sizeof(Job));
  if (argc != 3) return failJob(env, j, "packTile: expected 3 arguments");
  j->kind = 7;
  size_t np = 0, nf = 0, ni = 0;
  const double* prm = (const double*)typedData(env, argv[0], &np);
  if (!prm || np < 11) return failJob(env, j, "packTile: params must be a Float64Array of 11");
  PackParams* p = &j->pack;
  p->channels = (int)prm[0]; p->block = (int)prm[1]; p->tileW = (int)prm[2]; p->tileH = (int)prm[3];
  p->x0 = (int)prm[4]; p->y0 = (int)prm[5]; p->w = (int)prm[6]; p->h = (int)prm[7];
  p->ty0 = (int)prm[8]; p->ty1 = (int)prm[9];
  const double slot = prm[10];
  p->features = (const float*)typedData(env, argv[1], &nf);
  float* input = (float*)typedData(env, argv[2], &ni);
  if (!p->features || !input) return failJob(env, j, "packTile: missing buffers");
  const int b = p->block;
  if (p->channels < 1 || b < 1 || p->tileW < b || p->tileH < b || p->tileW % b || p->tileH % b || p->w < 1 || p->h < 1 || slot < 0) return failJob(env, j, "packTile: bad sizes");
  if (p->ty0 < 0 || p->ty1 > p->tileH || p->ty0 > p->ty1) return failJob(env, j, "packTile: rows outside the tile");
  const size_t slotValues = (size_t)p->channels * (size_t)p->tileW * (size_t)p->tileH;
  if ((size_t)(slot + 1) * slotValues > ni || nf != (size_t)p->channels * (size_t)p->w * (size_t)p->h) return failJob(env, j, "packTile: buffer sizes do not match");
  p->input = input + (size_t)slot * slotValues;
  adviseHuge(input, ni * sizeof(float));
  return queue(env, j, argc, argv, "gradebooth.packTile");
}

// The mask operations (morph.c) run on the calling thread: each is ~1 ms, called in sequence by the
// synchronous post-processing. Arguments: the maps, then their size and radius as numbers.
static bool intArgs(napi_env env, napi_value* argv, int first, int count, int* out) {
  for (int i = 0; i < count; i++) if (napi_get_value_int32(env, argv[first + i], &out[i]) != napi_ok) return false;
  return true;
}

static napi_value maskOpFailed(napi_env env, const char* msg) {
  napi_throw_type_error(env, "GB_INTERNAL", msg);
  return NULL;
}

/** erodeSquare / dilateSquare(src: Uint8Array, w, h, r, out: Uint8Array, dilate: boolean) */
static napi_value MaskMorph(napi_env env, napi_callback_info info) {
  size_t argc = 6, ns = 0, no = 0;
  napi_value argv[6];
  int a[3];
  bool dilate = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 6 || !intArgs(env, argv, 1, 3, a) || napi_get_value_bool(env, argv[5], &dilate) != napi_ok) return maskOpFailed(env, "maskMorph: expected (src, w, h, r, out, dilate)");
  const uint8_t* src = (const uint8_t*)typedData(env, argv[0], &ns);
  uint8_t* out = (uint8_t*)typedData(env, argv[4], &no);
  const int w = a[0], h = a[1], r = a[2];
  if (!src || !out || w < 1 || h < 1 || r < 1 || ns != (size_t)w * (size_t)h || no != ns || (const uint8_t*)out == src) return maskOpFailed(env, "maskMorph: bad sizes or buffers");
  if ((dilate ? dilateSquareRun(src, w, h, r, out) : erodeSquareRun(src, w, h, r, out)) != 0) return maskOpFailed(env, "maskMorph: out of memory");
  return NULL;
}

/** components(m: Uint8Array, w, h, labels: Int32Array) → count */
static napi_value Components(napi_env env, napi_callback_info info) {
  size_t argc = 4, nm = 0, nl = 0;
  napi_value argv[4], v;
  int a[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 4 || !intArgs(env, argv, 1, 2, a)) return maskOpFailed(env, "components: expected (m, w, h, labels)");
  const uint8_t* m = (const uint8_t*)typedData(env, argv[0], &nm);
  int32_t* labels = (int32_t*)typedData(env, argv[3], &nl);
  if (!m || !labels || a[0] < 1 || a[1] < 1 || nm != (size_t)a[0] * (size_t)a[1] || nl != nm) return maskOpFailed(env, "components: bad sizes or buffers");
  const int count = componentsRun(m, a[0], a[1], labels);
  if (count < 0) return maskOpFailed(env, "components: out of memory");
  CHECK(napi_create_int32(env, count, &v));
  return v;
}

/** maskedBoxMean(values: Float32Array, mask: Uint8Array, w, h, r, passes, out: Float32Array) */
static napi_value MaskedBoxMean(napi_env env, napi_callback_info info) {
  size_t argc = 7, nv = 0, nm = 0, no = 0;
  napi_value argv[7];
  int a[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 7 || !intArgs(env, argv, 2, 4, a)) return maskOpFailed(env, "maskedBoxMean: expected (values, mask, w, h, r, passes, out)");
  const float* values = (const float*)typedData(env, argv[0], &nv);
  const uint8_t* mask = (const uint8_t*)typedData(env, argv[1], &nm);
  float* out = (float*)typedData(env, argv[6], &no);
  const int w = a[0], h = a[1], r = a[2], passes = a[3];
  if (!values || !mask || !out || w < 1 || h < 1 || r < 0 || passes < 1 || nv != (size_t)w * (size_t)h || nm != nv || no != nv || (const float*)out == values) return maskOpFailed(env, "maskedBoxMean: bad sizes or buffers");
  if (maskedBoxMeanRun(values, mask, w, h, r, passes, out) != 0) return maskOpFailed(env, "maskedBoxMean: out of memory");
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "psSolve", NAPI_AUTO_LENGTH, PsSolve, NULL, &fn);
  napi_set_named_property(env, exports, "psSolve", fn);
  napi_create_function(env, "integrateSolve", NAPI_AUTO_LENGTH, IntegrateSolve, NULL, &fn);
  napi_set_named_property(env, exports, "integrateSolve", fn);
  napi_create_function(env, "warpSolve", NAPI_AUTO_LENGTH, WarpSolve, NULL, &fn);
  napi_set_named_property(env, exports, "warpSolve", fn);
  napi_create_function(env, "resampleArea", NAPI_AUTO_LENGTH, ResampleArea, NULL, &fn);
  napi_set_named_property(env, exports, "resampleArea", fn);
  napi_create_function(env, "resamplePictures", NAPI_AUTO_LENGTH, ResamplePictures, NULL, &fn);
  napi_set_named_property(env, exports, "resamplePictures", fn);
  napi_create_function(env, "surfaceFeatures", NAPI_AUTO_LENGTH, SurfaceFeatures, NULL, &fn);
  napi_set_named_property(env, exports, "surfaceFeatures", fn);
  napi_create_function(env, "unpackSoftmax", NAPI_AUTO_LENGTH, UnpackSoftmax, NULL, &fn);
  napi_set_named_property(env, exports, "unpackSoftmax", fn);
  napi_create_function(env, "packTile", NAPI_AUTO_LENGTH, PackTile, NULL, &fn);
  napi_set_named_property(env, exports, "packTile", fn);
  napi_create_function(env, "maskMorph", NAPI_AUTO_LENGTH, MaskMorph, NULL, &fn);
  napi_set_named_property(env, exports, "maskMorph", fn);
  napi_create_function(env, "components", NAPI_AUTO_LENGTH, Components, NULL, &fn);
  napi_set_named_property(env, exports, "components", fn);
  napi_create_function(env, "maskedBoxMean", NAPI_AUTO_LENGTH, MaskedBoxMean, NULL, &fn);
  napi_set_named_property(env, exports, "maskedBoxMean", fn);
  napi_value dct;
  napi_get_boolean(env, dctPoissonAvailable() != 0, &dct);
  napi_set_named_property(env, exports, "dct", dct);
  return exports;
}
