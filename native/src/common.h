// Shared helpers of the squid-ts native addon: argument validation (every
// argument is checked here, a bad one becomes a JS exception instead of a
// crash), the oneDNN engine/stream and the thread count.
#pragma once
#include <napi.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace sq {

// Raised for bad arguments; converted to a JS TypeError/RangeError by wrap().
struct ArgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

dnnl::engine& engine();
dnnl::stream& stream();
int threads();
void setThreads(int n);

struct F32 {
  float* data;
  size_t length;
};

F32 f32Arg(const Napi::CallbackInfo& info, size_t i, const char* name);
// Optional Float32Array: null/undefined gives {nullptr, 0}.
F32 f32OptArg(const Napi::CallbackInfo& info, size_t i, const char* name);
std::vector<int64_t> intsArg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t expectLen = 0);
int64_t intArg(const Napi::CallbackInfo& info, size_t i, const char* name);
double numArg(const Napi::CallbackInfo& info, size_t i, const char* name);

void require(bool cond, const std::string& msg);
int64_t product(const std::vector<int64_t>& v);
std::string shapeStr(const std::vector<int64_t>& v);
// Checks that arr holds exactly product(shape) floats.
void requireSize(const F32& arr, const std::vector<int64_t>& shape, const char* name);

// Wraps a kernel so C++ exceptions (ours and dnnl::error) become JS errors.
using Fn = Napi::Value (*)(const Napi::CallbackInfo&);
Napi::Function wrap(Napi::Env env, const char* name, Fn fn);

// Appends a fused activation (codes: 0 linear, 1 relu, 2 relu6, 3 leakyrelu(alpha), 4 sigmoid, 5 elu).
void appendActivationPostOp(dnnl::post_ops& po, int64_t act, float alpha);

// 64-byte aligned heap blocks from plain malloc (the pointer is offset inside
// the block; alignedFree takes the aligned pointer). glibc's memalign leaves
// small leading fragments between large blocks that kept freed memory from
// being reused (RSS grew every training step); malloc'd blocks coalesce.
void* alignedMalloc(size_t bytes);
void alignedFree(void* p);

// Family registration (one per source file).
void registerConv(Napi::Env env, Napi::Object exports);
void registerElementwise(Napi::Env env, Napi::Object exports);
void registerReduce(Napi::Env env, Napi::Object exports);
void registerMatmul(Napi::Env env, Napi::Object exports);
void registerLayout(Napi::Env env, Napi::Object exports);
void registerResize(Napi::Env env, Napi::Object exports);
void registerBatchnorm(Napi::Env env, Napi::Object exports);
void registerOptim(Napi::Env env, Napi::Object exports);
void registerStorage(Napi::Env env, Napi::Object exports);

}  // namespace sq
