// N-API glue shared by the gradebooth addons (native/vision, native/render): a job is queued as one napi
// async work item on libuv's thread pool, keeps every JS argument referenced while it runs (the kernels
// write into caller-owned buffers, which must not be collected), and settles a promise when done.
// Static functions in a header: each addon is one shared object built from its own sources.
#ifndef GRADEBOOTH_NAPI_JOB_H
#define GRADEBOOTH_NAPI_JOB_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdlib.h>

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, "GB_INTERNAL", #call " failed"); return NULL; } } while (0)

/** The first member of every addon's job struct. */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref keep;  // array of every JS argument, kept alive while the work runs
} JobHead;

/** Keep argv alive, create the promise and queue the work; `job` must start with a JobHead. */
static napi_value queueJob(napi_env env, JobHead* job, size_t argc, napi_value* argv, const char* name,
                           napi_async_execute_callback execute, napi_async_complete_callback complete) {
  napi_value arr, promise, resName;
  CHECK(napi_create_array_with_length(env, argc, &arr));
  for (size_t i = 0; i < argc; i++) CHECK(napi_set_element(env, arr, (uint32_t)i, argv[i]));
  CHECK(napi_create_reference(env, arr, 1, &job->keep));
  CHECK(napi_create_promise(env, &job->deferred, &promise));
  CHECK(napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resName));
  CHECK(napi_create_async_work(env, NULL, resName, execute, complete, job, &job->work));
  CHECK(napi_queue_async_work(env, job->work));
  return promise;
}

/**
 * Settle a finished job's promise — resolve with `result` (NULL: undefined) or, when the work was
 * cancelled, reject with `cancelled` — and drop its references. The caller frees the job.
 */
static void settleJob(napi_env env, napi_status status, JobHead* job, napi_value result, const char* cancelled) {
  if (status == napi_ok) {
    if (!result) napi_get_undefined(env, &result);
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    napi_value msg, err;
    napi_create_string_utf8(env, cancelled, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_reject_deferred(env, job->deferred, err);
  }
  napi_delete_reference(env, job->keep);
  napi_delete_async_work(env, job->work);
}

/** Free a job that was never queued and throw a TypeError (code GB_INTERNAL) for bad arguments. */
static napi_value failJob(napi_env env, void* job, const char* msg) {
  free(job);
  napi_throw_type_error(env, "GB_INTERNAL", msg);
  return NULL;
}

#endif
