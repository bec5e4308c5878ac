// gradebooth_aravis.node: a thin N-API surface over libaravis 0.8 (the system library) for the GenICam
// camera (src/hardware/camera/genicam/). Every call that talks to the camera (discovery, open, feature
// writes, trigger, stream start/stop, close) runs as napi async work off the event loop; the TypeScript side
// serialises them. Stream buffers are the application's own Uint16Arrays (the frame-buffer pool's): each
// is wrapped in an ArvBuffer over its memory (arv_buffer_new_full with preallocated data), so the camera's
// packets' payloads are written straight into the buffer the application reads (Aravis' stream thread
// copies each received packet's payload there: the one copy in user space, after the kernel's receive);
// the stream thread unpacks Mono8 / packed formats in place (unpack.c) and hands the buffer back through a
// thread-safe function. The addon and JavaScript copy nothing (bench/camera-measure.ts counts it).
#define NAPI_VERSION 8
#include <node_api.h>
#include <arv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unpack.h"

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, "GB_INTERNAL", #call " failed"); return NULL; } } while (0)
#define ERRLEN 512

/** One buffer lent to the stream: which application slot it is and, once done, what arrived in it. */
typedef struct Push {
  struct Push* next;
  uint32_t slot;
  uint32_t generation;
  napi_ref keep;          // the Uint16Array, alive while the stream may write into it
  int done;               // the stream thread has filled it and queued it to JS
  int status;             // ArvBufferStatus
  uint32_t width, height;
  uint64_t timestampNs, systemTimestampNs, frameId;
  size_t receivedBytes;
} Push;

typedef struct {
  ArvCamera* camera;
  ArvStream* stream;
  GMutex lock;
  Push* pushes;           // lent buffers of the current stream (done or not), guarded by lock
  uint32_t generation;    // stream number: frames of a stopped stream are recognised and given back
  napi_threadsafe_function tsfn;
  napi_ref callbacks;     // {onFrame, onLost}, held until close
  gulong lostHandler;
  WireFormat wire;
  ArvPixelFormat wireCode;
  int shift;
  size_t pixels;
  // Totals over closed streams, so statistics count since open().
  guint64 completed, failures, underruns, resent, missing;
  int closed;
} Cam;

/** A message from a camera thread (stream or heartbeat) to JS. */
typedef struct {
  Push* push;             // a finished buffer, or NULL: the control channel was lost
} Message;

static void setErr(char* err, const char* what, GError* e) {
  snprintf(err, ERRLEN, "%s: %s", what, e ? e->message : "failed");
}

// ---- the stream thread -------------------------------------------------------------------------------

static void streamCallback(void* user, ArvStreamCallbackType type, ArvBuffer* buffer) {
  Cam* cam = user;
  if (type != ARV_STREAM_CALLBACK_TYPE_BUFFER_DONE || !buffer) return;
  // Aravis pushes the finished buffer to the output queue before calling back; this thread is its only reader.
  ArvBuffer* popped = arv_stream_try_pop_buffer(cam->stream);
  if (!popped) return;
  Push* p = (Push*)arv_buffer_get_user_data(popped);
  p->status = arv_buffer_get_status(popped);
  p->timestampNs = arv_buffer_get_timestamp(popped);
  p->systemTimestampNs = arv_buffer_get_system_timestamp(popped);
  p->frameId = arv_buffer_get_frame_id(popped);
  if (p->status == ARV_BUFFER_STATUS_SUCCESS && arv_buffer_get_payload_type(popped) == ARV_BUFFER_PAYLOAD_TYPE_IMAGE) {
    size_t size = 0;
    void* data = (void*)arv_buffer_get_image_data(popped, &size);
    p->width = (uint32_t)arv_buffer_get_image_width(popped);
    p->height = (uint32_t)arv_buffer_get_image_height(popped);
    p->receivedBytes = size;
    size_t pixels = (size_t)p->width * p->height;
    // The image must be the configured size and format and start at the buffer's start (no chunk header);
    // status -1 tells the application it is not (a camera reconfigured behind our back).
    if (pixels == cam->pixels && arv_buffer_get_image_pixel_format(popped) == cam->wireCode && data && size >= wireBytes(cam->wire, pixels)) {
      unpackInPlace(data, pixels, cam->wire, cam->shift);
    } else {
      p->status = -1;
    }
  }
  g_object_unref(popped);  // the memory is the application's; only the wrapper goes
  g_mutex_lock(&cam->lock);
  p->done = 1;
  g_mutex_unlock(&cam->lock);
  Message* m = malloc(sizeof *m);
  m->push = p;
  napi_call_threadsafe_function(cam->tsfn, m, napi_tsfn_nonblocking);
}

static void onControlLost(ArvGvDevice* device, gpointer user) {
  (void)device;
  Cam* cam = user;
  Message* m = malloc(sizeof *m);
  m->push = NULL;
  napi_call_threadsafe_function(cam->tsfn, m, napi_tsfn_nonblocking);
}

/** On the JS thread: call onFrame(slot, generation, status, width, height, tsNs, systemTsNs, frameId, bytes) or onLost(). */
static void callJs(napi_env env, napi_value unusedFn, void* context, void* data) {
  (void)unusedFn;
  Cam* cam = context;
  Message* m = data;
  if (!env) {  // the function is being torn down with the handle; the buffer's array is collected with it
    free(m->push);
    free(m);
    return;
  }
  napi_value undef, fn, callbacks;
  napi_get_undefined(env, &undef);
  if (!cam->callbacks || napi_get_reference_value(env, cam->callbacks, &callbacks) != napi_ok) {
    free(m->push);
    free(m);
    return;
  }
  if (!m->push) {
    napi_get_named_property(env, callbacks, "onLost", &fn);
    napi_call_function(env, undef, fn, 0, NULL, NULL);
    free(m);
    return;
  }
  Push* p = m->push;
  free(m);
  g_mutex_lock(&cam->lock);
  for (Push** link = &cam->pushes; *link; link = &(*link)->next) {
    if (*link == p) {
      *link = p->next;
      break;
    }
  }
  g_mutex_unlock(&cam->lock);
  napi_value argv[9];
  napi_create_uint32(env, p->slot, &argv[0]);
  napi_create_uint32(env, p->generation, &argv[1]);
  napi_create_int32(env, p->status, &argv[2]);
  napi_create_uint32(env, p->width, &argv[3]);
  napi_create_uint32(env, p->height, &argv[4]);
  napi_create_double(env, (double)p->timestampNs, &argv[5]);
  napi_create_double(env, (double)p->systemTimestampNs, &argv[6]);
  napi_create_double(env, (double)p->frameId, &argv[7]);
  napi_create_double(env, (double)p->receivedBytes, &argv[8]);
  napi_delete_reference(env, p->keep);
  free(p);
  napi_get_named_property(env, callbacks, "onFrame", &fn);
  napi_call_function(env, undef, fn, 9, argv, NULL);
}

// ---- async jobs --------------------------------------------------------------------------------------

typedef enum { OP_LIST, OP_OPEN, OP_CONFIGURE, OP_STREAM, OP_ACQUIRE, OP_TRIGGER, OP_STOP, OP_CLOSE, OP_FEATURES } Op;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  Op op;
  Cam* cam;
  napi_ref handleRef;
  char err[ERRLEN];
  // OP_LIST
  unsigned nDevices;
  char** deviceFields;    // 6 strings per device: id, vendor, model, serial, address, protocol
  // OP_OPEN
  char* openId;
  char info[8][256];      // vendor, model, serial, firmware, deviceId, protocol, address, userId
  int sensorW, sensorH, maxW, maxH, isGv;
  char** formats;
  guint nFormats;
  // OP_CONFIGURE
  double exposureUs, gainDb;
  char wire[64];
  int roiX, roiY, roiW, roiH;
  char triggerSource[64];
  int packetSize;         // -1: leave, 0: negotiate
  double packetDelayNs;   // < 0: leave
  int outBits;
  int width, height, payload;
  double exposureOut, gainOut;
  int packetSizeOut;
  // OP_FEATURES
  char** names;
  char** values;
  unsigned nNames;
  // OP_STOP
  napi_value unused;
} Job;

static gboolean hasFeature(ArvCamera* c, const char* name) {
  return arv_device_get_feature(arv_camera_get_device(c), name) != NULL;
}

static void copyStr(char* dst, const char* src) {
  snprintf(dst, 256, "%s", src ? src : "");
}

static const char* featureString(ArvCamera* c, const char* name, char* buf) {
  ArvGcNode* node = arv_device_get_feature(arv_camera_get_device(c), name);
  if (!node || !ARV_IS_GC_FEATURE_NODE(node)) return NULL;
  GError* e = NULL;
  const char* v = arv_gc_feature_node_get_value_as_string(ARV_GC_FEATURE_NODE(node), &e);
  if (e) {
    g_error_free(e);
    return NULL;
  }
  copyStr(buf, v);
  return buf;
}

static void collectStreamTotals(Cam* cam) {
  if (!cam->stream) return;
  guint64 completed = 0, failures = 0, underruns = 0, resent = 0, missing = 0;
  arv_stream_get_statistics(cam->stream, &completed, &failures, &underruns);
  if (ARV_IS_GV_STREAM(cam->stream)) arv_gv_stream_get_statistics(ARV_GV_STREAM(cam->stream), &resent, &missing);
  cam->completed += completed;
  cam->failures += failures;
  cam->underruns += underruns;
  cam->resent += resent;
  cam->missing += missing;
}

static void stopStream(Cam* cam) {
  if (!cam->stream) return;
  GError* e = NULL;
  arv_camera_stop_acquisition(cam->camera, &e);  // a lost camera cannot be told; the stream still stops
  g_clear_error(&e);
  collectStreamTotals(cam);
  g_clear_object(&cam->stream);  // joins the stream thread: no callback runs after this
}

static void execute(napi_env env, void* data) {
  (void)env;
  Job* j = data;
  Cam* cam = j->cam;
  GError* e = NULL;
  switch (j->op) {
    case OP_LIST: {
      arv_update_device_list();
      j->nDevices = arv_get_n_devices();
      j->deviceFields = calloc((size_t)j->nDevices * 6 + 1, sizeof(char*));
      for (unsigned i = 0; i < j->nDevices; i++) {
        const char* f[6] = {arv_get_device_id(i), arv_get_device_vendor(i), arv_get_device_model(i), arv_get_device_serial_nbr(i), arv_get_device_address(i), arv_get_device_protocol(i)};
        for (int k = 0; k < 6; k++) j->deviceFields[i * 6 + k] = strdup(f[k] ? f[k] : "");
      }
      break;
    }
    case OP_OPEN: {
      ArvCamera* c = arv_camera_new(j->openId[0] ? j->openId : NULL, &e);
      if (!c) {
        setErr(j->err, j->openId[0] ? j->openId : "first camera", e);
        g_clear_error(&e);
        break;
      }
      cam->camera = c;
      char buf[256];
      copyStr(j->info[0], arv_camera_get_vendor_name(c, NULL));
      copyStr(j->info[1], arv_camera_get_model_name(c, NULL));
      copyStr(j->info[2], arv_camera_get_device_serial_number(c, NULL));
      if (!j->info[2][0]) copyStr(j->info[2], featureString(c, "DeviceID", buf));
      const char* fw = featureString(c, "DeviceFirmwareVersion", buf);
      if (!fw) fw = featureString(c, "DeviceVersion", buf);
      copyStr(j->info[3], fw);
      copyStr(j->info[4], arv_camera_get_device_id(c, NULL));
      ArvDevice* dev = arv_camera_get_device(c);
      copyStr(j->info[5], arv_camera_is_gv_device(c) ? "GigEVision" : arv_camera_is_uv_device(c) ? "USB3Vision" : "other");
      if (ARV_IS_GV_DEVICE(dev)) {
        GSocketAddress* sa = arv_gv_device_get_device_address(ARV_GV_DEVICE(dev));
        GInetAddress* a = sa ? g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa)) : NULL;
        gchar* s = a ? g_inet_address_to_string(a) : NULL;
        copyStr(j->info[6], s);
        g_free(s);
      }
      copyStr(j->info[7], featureString(c, "DeviceUserID", buf));
      arv_camera_get_sensor_size(c, &j->sensorW, &j->sensorH, &e);
      g_clear_error(&e);
      int wmin = 0, hmin = 0;
      arv_camera_get_width_bounds(c, &wmin, &j->maxW, &e);
      g_clear_error(&e);
      arv_camera_get_height_bounds(c, &hmin, &j->maxH, &e);
      g_clear_error(&e);
      const char** fs = arv_camera_dup_available_pixel_formats_as_strings(c, &j->nFormats, &e);
      g_clear_error(&e);
      j->formats = calloc(j->nFormats + 1, sizeof(char*));
      for (guint i = 0; fs && i < j->nFormats; i++) j->formats[i] = strdup(fs[i]);
      g_free(fs);
      j->isGv = arv_camera_is_gv_device(c);
      if (j->isGv) cam->lostHandler = g_signal_connect(dev, "control-lost", G_CALLBACK(onControlLost), cam);
      break;
    }
    case OP_CONFIGURE: {
      ArvCamera* c = cam->camera;
      // Order matters: format and region change the payload; the trigger set-up leaves the camera armed for FrameStart.
      arv_camera_set_acquisition_mode(c, ARV_ACQUISITION_MODE_CONTINUOUS, &e);
      if (e) { setErr(j->err, "AcquisitionMode", e); break; }
      arv_camera_set_pixel_format_from_string(c, j->wire, &e);
      if (e) { setErr(j->err, "PixelFormat", e); break; }
      if (j->roiW > 0) {
        arv_camera_set_region(c, j->roiX, j->roiY, j->roiW, j->roiH, &e);
        if (e) { setErr(j->err, "region (OffsetX/OffsetY/Width/Height)", e); break; }
      }
      arv_camera_get_region(c, NULL, NULL, &j->width, &j->height, &e);
      if (e) { setErr(j->err, "Width/Height", e); break; }
      arv_camera_set_exposure_time(c, j->exposureUs, &e);
      if (e) { setErr(j->err, "ExposureTime", e); break; }
      j->exposureOut = arv_camera_get_exposure_time(c, &e);
      g_clear_error(&e);
      if (!isnan(j->gainDb) && arv_camera_is_gain_available(c, NULL)) {
        arv_camera_set_gain(c, j->gainDb, &e);
        if (e) { setErr(j->err, "Gain", e); break; }
        j->gainOut = arv_camera_get_gain(c, &e);
        g_clear_error(&e);
      } else {
        j->gainOut = NAN;
      }
      if (j->triggerSource[0]) {
        // TriggerSelector FrameStart, TriggerMode On, TriggerSource; aravis sets TriggerActivation RisingEdge where the camera has it.
        arv_camera_set_trigger(c, j->triggerSource, &e);
        if (e) { setErr(j->err, "trigger", e); break; }
        if (hasFeature(c, "TriggerActivation")) {
          arv_device_set_string_feature_value(arv_camera_get_device(c), "TriggerActivation", "RisingEdge", &e);
          if (e) { setErr(j->err, "TriggerActivation", e); break; }
        }
      } else {
        arv_camera_clear_triggers(c, &e);
        if (e) { setErr(j->err, "TriggerMode", e); break; }
      }
      j->packetSizeOut = 0;
      if (arv_camera_is_gv_device(c)) {
        if (j->packetSize == 0) j->packetSizeOut = (int)arv_camera_gv_auto_packet_size(c, &e);
        else if (j->packetSize > 0) arv_camera_gv_set_packet_size(c, j->packetSize, &e);
        if (e) { setErr(j->err, "GevSCPSPacketSize", e); break; }
        if (j->packetDelayNs >= 0) arv_camera_gv_set_packet_delay(c, (gint64)j->packetDelayNs, &e);
        if (e) { setErr(j->err, "GevSCPD", e); break; }
        j->packetSizeOut = arv_camera_gv_get_packet_size(c, &e);
        g_clear_error(&e);
      }
      j->payload = (int)arv_camera_get_payload(c, &e);
      if (e) { setErr(j->err, "PayloadSize", e); break; }
      cam->wire = wireFormatFromName(j->wire);
      cam->wireCode = arv_camera_get_pixel_format(c, NULL);
      cam->shift = j->outBits - wireBits(cam->wire);
      cam->pixels = (size_t)j->width * (size_t)j->height;
      break;
    }
    case OP_STREAM: {
      cam->generation++;
      cam->stream = arv_camera_create_stream(cam->camera, streamCallback, cam, &e);
      if (!cam->stream) { setErr(j->err, "stream", e); break; }
      if (ARV_IS_GV_STREAM(cam->stream)) g_object_set(cam->stream, "packet-resend", ARV_GV_STREAM_PACKET_RESEND_ALWAYS, NULL);
      break;
    }
    case OP_ACQUIRE:
      arv_camera_start_acquisition(cam->camera, &e);
      if (e) setErr(j->err, "AcquisitionStart", e);
      break;
    case OP_TRIGGER:
      arv_camera_software_trigger(cam->camera, &e);
      if (e) setErr(j->err, "TriggerSoftware", e);
      break;
    case OP_STOP:
      stopStream(cam);
      break;
    case OP_CLOSE:
      stopStream(cam);
      if (cam->camera) {
        if (cam->lostHandler) g_signal_handler_disconnect(arv_camera_get_device(cam->camera), cam->lostHandler);
        cam->lostHandler = 0;
        g_clear_object(&cam->camera);  // joins the heartbeat thread
      }
      break;
    case OP_FEATURES:
      for (unsigned i = 0; i < j->nNames; i++) {
        char buf[256];
        const char* v = featureString(cam->camera, j->names[i], buf);
        j->values[i] = v ? strdup(v) : NULL;
      }
      break;
  }
  g_clear_error(&e);
}

static napi_value str(napi_env env, const char* s) {
  napi_value v;
  napi_create_string_utf8(env, s ? s : "", NAPI_AUTO_LENGTH, &v);
  return v;
}

static void setStr(napi_env env, napi_value obj, const char* key, const char* s) {
  napi_set_named_property(env, obj, key, str(env, s));
}

static void setNum(napi_env env, napi_value obj, const char* key, double n) {
  napi_value v;
  napi_create_double(env, n, &v);
  napi_set_named_property(env, obj, key, v);
}

static void freeStrings(char** list, size_t n) {
  if (!list) return;
  for (size_t i = 0; i < n; i++) free(list[i]);
  free(list);
}

/** Lent buffers of a stopped stream that the stream never filled go back to the application (their slots). */
static napi_value reclaim(napi_env env, Cam* cam) {
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t n = 0;
  g_mutex_lock(&cam->lock);
  Push** link = &cam->pushes;
  while (*link) {
    Push* p = *link;
    *link = p->next;
    if (p->done) continue;  // on its way to JS through the thread-safe function, which frees it
    napi_value slot;
    napi_create_uint32(env, p->slot, &slot);
    napi_set_element(env, arr, n++, slot);
    napi_delete_reference(env, p->keep);
    free(p);
  }
  g_mutex_unlock(&cam->lock);
  return arr;
}

static void complete(napi_env env, napi_status status, void* data) {
  Job* j = data;
  Cam* cam = j->cam;
  napi_value result = NULL;
  if (status == napi_ok && !j->err[0]) {
    switch (j->op) {
      case OP_LIST: {
        napi_create_array(env, &result);
        static const char* keys[6] = {"id", "vendor", "model", "serial", "address", "protocol"};
        for (unsigned i = 0; i < j->nDevices; i++) {
          napi_value o;
          napi_create_object(env, &o);
          for (int k = 0; k < 6; k++) setStr(env, o, keys[k], j->deviceFields[i * 6 + k]);
          napi_set_element(env, result, i, o);
        }
        break;
      }
      case OP_OPEN: {
        napi_create_object(env, &result);
        static const char* keys[8] = {"vendor", "model", "serial", "firmware", "deviceId", "protocol", "address", "userId"};
        for (int k = 0; k < 8; k++) setStr(env, result, keys[k], j->info[k]);
        setNum(env, result, "sensorWidth", j->sensorW);
        setNum(env, result, "sensorHeight", j->sensorH);
        setNum(env, result, "maxWidth", j->maxW);
        setNum(env, result, "maxHeight", j->maxH);
        napi_value arr;
        napi_create_array(env, &arr);
        for (guint i = 0; i < j->nFormats; i++) napi_set_element(env, arr, i, str(env, j->formats[i]));
        napi_set_named_property(env, result, "pixelFormats", arr);
        break;
      }
      case OP_CONFIGURE:
        napi_create_object(env, &result);
        setNum(env, result, "width", j->width);
        setNum(env, result, "height", j->height);
        setNum(env, result, "payloadBytes", j->payload);
        setNum(env, result, "exposureUs", j->exposureOut);
        setNum(env, result, "gainDb", j->gainOut);
        setNum(env, result, "packetSizeBytes", j->packetSizeOut);
        break;
      case OP_STOP:
      case OP_CLOSE:
        result = reclaim(env, cam);
        break;
      case OP_FEATURES:
        napi_create_object(env, &result);
        for (unsigned i = 0; i < j->nNames; i++) {
          napi_value v;
          if (j->values[i]) v = str(env, j->values[i]);
          else napi_get_null(env, &v);
          napi_set_named_property(env, result, j->names[i], v);
        }
        break;
      default:
        break;
    }
    if (!result) napi_get_undefined(env, &result);
    napi_resolve_deferred(env, j->deferred, result);
  } else {
    napi_value msg, err;
    napi_create_string_utf8(env, j->err[0] ? j->err : "cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_reject_deferred(env, j->deferred, err);
  }
  // A failed open or a close ends the event channel: no camera thread is left to call it.
  if ((j->op == OP_OPEN && (j->err[0] || status != napi_ok)) || j->op == OP_CLOSE) {
    if (cam->tsfn) napi_release_threadsafe_function(cam->tsfn, napi_tsfn_release);
    cam->tsfn = NULL;
    if (cam->callbacks) napi_delete_reference(env, cam->callbacks);
    cam->callbacks = NULL;
    cam->closed = 1;
  }
  if (j->handleRef) napi_delete_reference(env, j->handleRef);
  napi_delete_async_work(env, j->work);
  if (j->deviceFields) freeStrings(j->deviceFields, (size_t)j->nDevices * 6);
  if (j->formats) freeStrings(j->formats, j->nFormats);
  if (j->names) freeStrings(j->names, j->nNames);
  if (j->values) freeStrings(j->values, j->nNames);
  free(j->openId);
  free(j);
}

static napi_value queue(napi_env env, Job* j, napi_value handle) {
  napi_value promise, name;
  if (handle) CHECK(napi_create_reference(env, handle, 1, &j->handleRef));
  CHECK(napi_create_promise(env, &j->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "gradebooth_aravis", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, execute, complete, j, &j->work));
  CHECK(napi_queue_async_work(env, j->work));
  return promise;
}

// ---- argument helpers ---------------------------------------------------------------------------------

static Cam* camOf(napi_env env, napi_value v) {
  void* p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || !p) {
    napi_throw_type_error(env, "GB_INTERNAL", "expected a camera handle");
    return NULL;
  }
  Cam* cam = p;
  if (cam->closed) {
    napi_throw_error(env, "GB_CONFLICT", "camera handle is closed");
    return NULL;
  }
  return cam;
}

static int getStringProp(napi_env env, napi_value obj, const char* key, char* out, size_t len) {
  napi_value v;
  size_t n;
  out[0] = 0;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return -1;
  return napi_get_value_string_utf8(env, v, out, len, &n) == napi_ok ? 0 : -1;
}

static double getNumProp(napi_env env, napi_value obj, const char* key, double dflt) {
  napi_value v;
  double d;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return dflt;
  return napi_get_value_double(env, v, &d) == napi_ok ? d : dflt;
}

static void finalizeCam(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  Cam* cam = data;
  // Reached only when the JS handle is collected; a closed camera has no stream and no device left.
  if (cam->stream) g_clear_object(&cam->stream);
  if (cam->camera) {
    if (cam->lostHandler) g_signal_handler_disconnect(arv_camera_get_device(cam->camera), cam->lostHandler);
    g_clear_object(&cam->camera);
  }
  if (cam->tsfn) napi_release_threadsafe_function(cam->tsfn, napi_tsfn_abort);
  g_mutex_clear(&cam->lock);
  free(cam);
}

// ---- exported functions -------------------------------------------------------------------------------

/** list(): Promise<{id, vendor, model, serial, address, protocol}[]> */
static napi_value List(napi_env env, napi_callback_info info) {
  (void)info;
  Job* j = calloc(1, sizeof *j);
  j->op = OP_LIST;
  return queue(env, j, NULL);
}

/** open(id, {onFrame, onLost}): [handle, Promise<info>] */
static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, "GB_INTERNAL", "open(id, callbacks)");
    return NULL;
  }
  Cam* cam = calloc(1, sizeof *cam);
  g_mutex_init(&cam->lock);
  napi_value handle, name;
  CHECK(napi_create_external(env, cam, finalizeCam, NULL, &handle));
  CHECK(napi_create_string_utf8(env, "gradebooth_aravis_events", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_reference(env, argv[1], 1, &cam->callbacks));
  CHECK(napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, cam, callJs, &cam->tsfn));
  // Frames only arrive while the application waits for them; the camera must not keep the process alive.
  CHECK(napi_unref_threadsafe_function(env, cam->tsfn));
  Job* j = calloc(1, sizeof *j);
  j->op = OP_OPEN;
  j->cam = cam;
  size_t n = 0;
  char id[512] = "";
  napi_get_value_string_utf8(env, argv[0], id, sizeof id, &n);
  j->openId = strdup(id);
  napi_value promise = queue(env, j, handle);
  if (!promise) return NULL;
  napi_value pair;
  CHECK(napi_create_array_with_length(env, 2, &pair));
  CHECK(napi_set_element(env, pair, 0, handle));
  CHECK(napi_set_element(env, pair, 1, promise));
  return pair;
}

/** configure(handle, {exposureUs, gainDb (NaN: leave), wirePixelFormat, outBits, roi {x,y,width,height}|null, triggerSource ('' = free run), packetSizeBytes (-1 leave, 0 negotiate), packetDelayNs (-1 leave)}) */
static napi_value Configure(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Cam* cam = camOf(env, argv[0]);
  if (!cam) return NULL;
  Job* j = calloc(1, sizeof *j);
  j->op = OP_CONFIGURE;
  j->cam = cam;
  j->exposureUs = getNumProp(env, argv[1], "exposureUs", 10000);
  j->gainDb = getNumProp(env, argv[1], "gainDb", NAN);
  getStringProp(env, argv[1], "wirePixelFormat", j->wire, sizeof j->wire);
  j->outBits = (int)getNumProp(env, argv[1], "outBits", 16);
  getStringProp(env, argv[1], "triggerSource", j->triggerSource, sizeof j->triggerSource);
  j->packetSize = (int)getNumProp(env, argv[1], "packetSizeBytes", -1);
  j->packetDelayNs = getNumProp(env, argv[1], "packetDelayNs", -1);
  j->roiX = (int)getNumProp(env, argv[1], "roiX", 0);
  j->roiY = (int)getNumProp(env, argv[1], "roiY", 0);
  j->roiW = (int)getNumProp(env, argv[1], "roiWidth", 0);
  j->roiH = (int)getNumProp(env, argv[1], "roiHeight", 0);
  if (wireFormatFromName(j->wire) == WIRE_UNKNOWN) {
    free(j);
    napi_throw_type_error(env, "GB_INTERNAL", "configure: unsupported wire pixel format");
    return NULL;
  }
  return queue(env, j, argv[0]);
}

static napi_value simpleOp(napi_env env, napi_callback_info info, Op op) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Cam* cam = camOf(env, argv[0]);
  if (!cam) return NULL;
  if (op == OP_CLOSE) cam->closed = 1;  // no further calls are accepted; the job still holds the handle
  Job* j = calloc(1, sizeof *j);
  j->op = op;
  j->cam = cam;
  return queue(env, j, argv[0]);
}

/** createStream(handle): Promise<generation> — a new stream; lend it buffers with pushBuffer() before acquire(). */
static napi_value CreateStream(napi_env env, napi_callback_info info) { return simpleOp(env, info, OP_STREAM); }
/** acquire(handle): AcquisitionStart. */
static napi_value Acquire(napi_env env, napi_callback_info info) { return simpleOp(env, info, OP_ACQUIRE); }
/** softwareTrigger(handle): TriggerSoftware. */
static napi_value Trigger(napi_env env, napi_callback_info info) { return simpleOp(env, info, OP_TRIGGER); }
/** stopStream(handle): Promise<number[]> — AcquisitionStop, stream closed; resolves with the slots it never filled. */
static napi_value StopStream(napi_env env, napi_callback_info info) { return simpleOp(env, info, OP_STOP); }
/** close(handle): Promise<number[]> — stream and device closed; the slots never filled. */
static napi_value Close(napi_env env, napi_callback_info info) { return simpleOp(env, info, OP_CLOSE); }

/** features(handle, names[]): Promise<Record<name, string|null>> — current values as strings (null: absent). */
static napi_value Features(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Cam* cam = camOf(env, argv[0]);
  if (!cam) return NULL;
  uint32_t n = 0;
  CHECK(napi_get_array_length(env, argv[1], &n));
  Job* j = calloc(1, sizeof *j);
  j->op = OP_FEATURES;
  j->cam = cam;
  j->nNames = n;
  j->names = calloc(n + 1, sizeof(char*));
  j->values = calloc(n + 1, sizeof(char*));
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    char buf[128];
    size_t len;
    napi_get_element(env, argv[1], i, &v);
    if (napi_get_value_string_utf8(env, v, buf, sizeof buf, &len) != napi_ok) buf[0] = 0;
    j->names[i] = strdup(buf);
  }
  return queue(env, j, argv[0]);
}

/** pushBuffer(handle, slot, Uint16Array): lend the array's memory to the current stream (synchronous, no camera I/O). */
static napi_value PushBuffer(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Cam* cam = camOf(env, argv[0]);
  if (!cam) return NULL;
  if (!cam->stream) {
    napi_throw_error(env, "GB_CONFLICT", "pushBuffer: no stream");
    return NULL;
  }
  uint32_t slot;
  CHECK(napi_get_value_uint32(env, argv[1], &slot));
  napi_typedarray_type type;
  size_t len, off;
  void* data;
  napi_value ab;
  if (napi_get_typedarray_info(env, argv[2], &type, &len, &data, &ab, &off) != napi_ok || type != napi_uint16_array) {
    napi_throw_type_error(env, "GB_INTERNAL", "pushBuffer: expected a Uint16Array");
    return NULL;
  }
  Push* p = calloc(1, sizeof *p);
  p->slot = slot;
  p->generation = cam->generation;
  CHECK(napi_create_reference(env, argv[2], 1, &p->keep));
  ArvBuffer* b = arv_buffer_new_full(len * 2, data, p, NULL);
  g_mutex_lock(&cam->lock);
  p->next = cam->pushes;
  cam->pushes = p;
  g_mutex_unlock(&cam->lock);
  arv_stream_push_buffer(cam->stream, b);
  return NULL;
}

/** statistics(handle): {completed, failures, underruns, resentPackets, missingPackets} since open (sync: counters only). */
static napi_value Statistics(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void* ptr = NULL;
  CHECK(napi_get_value_external(env, argv[0], &ptr));
  Cam* cam = ptr;
  guint64 completed = cam->completed, failures = cam->failures, underruns = cam->underruns, resent = cam->resent, missing = cam->missing;
  if (cam->stream) {
    guint64 c = 0, f = 0, u = 0, r = 0, m = 0;
    arv_stream_get_statistics(cam->stream, &c, &f, &u);
    if (ARV_IS_GV_STREAM(cam->stream)) arv_gv_stream_get_statistics(ARV_GV_STREAM(cam->stream), &r, &m);
    completed += c, failures += f, underruns += u, resent += r, missing += m;
  }
  napi_value o;
  CHECK(napi_create_object(env, &o));
  setNum(env, o, "completed", (double)completed);
  setNum(env, o, "failures", (double)failures);
  setNum(env, o, "underruns", (double)underruns);
  setNum(env, o, "resentPackets", (double)resent);
  setNum(env, o, "missingPackets", (double)missing);
  return o;
}

/** unpack(Uint16Array, wireFormatName, pixels, outBits): the stream thread's in-place unpacking, for tests of packed formats no fake camera sends. */
static napi_value Unpack(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_typedarray_type type;
  size_t len, off;
  void* data;
  napi_value ab;
  char name[64];
  size_t n;
  uint32_t pixels, outBits;
  if (argc < 4 || napi_get_typedarray_info(env, argv[0], &type, &len, &data, &ab, &off) != napi_ok || type != napi_uint16_array ||
      napi_get_value_string_utf8(env, argv[1], name, sizeof name, &n) != napi_ok || napi_get_value_uint32(env, argv[2], &pixels) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &outBits) != napi_ok) {
    napi_throw_type_error(env, "GB_INTERNAL", "unpack(Uint16Array, format, pixels, outBits)");
    return NULL;
  }
  WireFormat f = wireFormatFromName(name);
  if (f == WIRE_UNKNOWN || pixels > len) {
    napi_throw_type_error(env, "GB_INTERNAL", "unpack: unknown format or buffer too small");
    return NULL;
  }
  unpackInPlace(data, pixels, f, (int)outBits - wireBits(f));
  return NULL;
}

/** wireBytes(formatName, pixels): bytes the camera sends for that many pixels (0: unknown format). */
static napi_value WireBytes(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[64];
  size_t n;
  uint32_t pixels;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &n) != napi_ok || napi_get_value_uint32(env, argv[1], &pixels) != napi_ok) {
    napi_throw_type_error(env, "GB_INTERNAL", "wireBytes(format, pixels)");
    return NULL;
  }
  napi_value v;
  CHECK(napi_create_double(env, (double)wireBytes(wireFormatFromName(name), pixels), &v));
  return v;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"list", NULL, List, NULL, NULL, NULL, napi_default, NULL},
    {"open", NULL, Open, NULL, NULL, NULL, napi_default, NULL},
    {"configure", NULL, Configure, NULL, NULL, NULL, napi_default, NULL},
    {"createStream", NULL, CreateStream, NULL, NULL, NULL, napi_default, NULL},
    {"pushBuffer", NULL, PushBuffer, NULL, NULL, NULL, napi_default, NULL},
    {"acquire", NULL, Acquire, NULL, NULL, NULL, napi_default, NULL},
    {"softwareTrigger", NULL, Trigger, NULL, NULL, NULL, napi_default, NULL},
    {"stopStream", NULL, StopStream, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
    {"features", NULL, Features, NULL, NULL, NULL, napi_default, NULL},
    {"statistics", NULL, Statistics, NULL, NULL, NULL, napi_default, NULL},
    {"unpack", NULL, Unpack, NULL, NULL, NULL, napi_default, NULL},
    {"wireBytes", NULL, WireBytes, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value version;
  char v[32];
  snprintf(v, sizeof v, "%u.%u.%u", arv_get_major_version(), arv_get_minor_version(), arv_get_micro_version());
  napi_create_string_utf8(env, v, NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "aravisVersion", version);
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
