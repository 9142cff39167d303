// squid-ts native addon: tfjs kernels over oneDNN and OpenMP, NHWC float32,
// zero-copy on the Float32Arrays the tfjs CPU backend stores.
#include <malloc.h>
#include <omp.h>

#include <cstdlib>
#include <thread>

#include "common.h"

static bool gMallocTuned = false;

namespace {

// The instruction set oneDNN's kernels use on this CPU (the best it found, or a lower DNNL_MAX_CPU_ISA).
std::string cpuIsa() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_mic: return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  const dnnl_version_t* v = dnnl_version();
  o.Set("onednn", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  o.Set("threads", sq::threads());
  o.Set("ompMaxThreads", omp_get_max_threads());
  o.Set("cpuRuntime", v->cpu_runtime == DNNL_RUNTIME_OMP ? "omp" : "other");
  o.Set("mallocTuned", gMallocTuned);
  o.Set("cpuIsa", cpuIsa());
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  sq::setThreads(static_cast<int>(sq::intArg(info, 0, "threads")));
  return Napi::Number::New(info.Env(), sq::threads());
}

}  // namespace

// Output tensors are fresh Float32Arrays of up to hundreds of MB each step.
// glibc serves allocations over 32 MB with mmap and unmaps them on free, so
// every output pays page faults (more time than the math: bench/README.md).
// Serving them from the heap and not trimming it lets freed tensor memory be
// reused. Opt out with SQUID_MALLOC_TUNE=0.
static bool tuneMalloc() {
  const char* s = std::getenv("SQUID_MALLOC_TUNE");
  if (s && std::string(s) == "0") return false;
  bool ok = mallopt(M_MMAP_MAX, 0) == 1;
  ok = mallopt(M_TRIM_THRESHOLD, -1) == 1 && ok;  // -1: never trim (freed pages are reused, not faulted in again)
  return ok;
}
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  gMallocTuned = tuneMalloc();
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
  sq::registerOptim(env, exports);
  sq::registerStorage(env, exports);
  return exports;
}

NODE_API_MODULE(squid_native, Init)
