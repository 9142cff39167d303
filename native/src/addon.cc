// squid-ts native addon: tfjs kernels over oneDNN and OpenMP, NHWC float32,
// zero-copy on the Float32Arrays the tfjs CPU backend stores.
#include <omp.h>

#include <cstdlib>
#include <thread>

#include "common.h"

namespace {

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  const dnnl_version_t* v = dnnl_version();
  o.Set("onednn", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  o.Set("threads", sq::threads());
  o.Set("ompMaxThreads", omp_get_max_threads());
  o.Set("cpuRuntime", v->cpu_runtime == DNNL_RUNTIME_OMP ? "omp" : "other");
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  sq::setThreads(static_cast<int>(sq::intArg(info, 0, "threads")));
  return Napi::Number::New(info.Env(), sq::threads());
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  int n = static_cast<int>(std::thread::hardware_concurrency());
  if (n < 1) n = 1;
  if (const char* s = std::getenv("SQUID_THREADS")) {
    int k = std::atoi(s);
    if (k >= 1 && k <= 1024) n = k;
  }
  sq::setThreads(n);
  exports.Set("info", sq::wrap(env, "info", Info));
  exports.Set("setThreads", sq::wrap(env, "setThreads", SetThreads));
  sq::registerConv(env, exports);
  sq::registerElementwise(env, exports);
  sq::registerReduce(env, exports);
  sq::registerMatmul(env, exports);
  sq::registerLayout(env, exports);
  sq::registerResize(env, exports);
  sq::registerBatchnorm(env, exports);
  return exports;
}

NODE_API_MODULE(squid_native, Init)
