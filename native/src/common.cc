#include "common.h"

#include <cstdlib>
#include <new>

#include <omp.h>

#include <sstream>
#include <thread>

namespace sq {

dnnl::engine& engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

static int gThreads = 0;

int threads() { return gThreads; }

void setThreads(int n) {
  require(n >= 1 && n <= 1024, "threads must be between 1 and 1024");
  gThreads = n;
  omp_set_num_threads(n);
}

void require(bool cond, const std::string& msg) {
  if (!cond) throw ArgError(msg);
}

int64_t product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (auto d : v) p *= d;
  return p;
}

std::string shapeStr(const std::vector<int64_t>& v) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
  s << "]";
  return s.str();
}

void requireSize(const F32& arr, const std::vector<int64_t>& shape, const char* name) {
  int64_t n = product(shape);
  if (static_cast<int64_t>(arr.length) != n) {
    std::ostringstream s;
    s << name << ": expected " << n << " floats for shape " << shapeStr(shape) << ", got " << arr.length;
    throw ArgError(s.str());
  }
}

F32 f32Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray()) throw ArgError(std::string(name) + " must be a Float32Array");
  auto ta = info[i].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_float32_array) throw ArgError(std::string(name) + " must be a Float32Array");
  auto fa = info[i].As<Napi::Float32Array>();
  return {fa.Data(), fa.ElementLength()};
}

F32 f32OptArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return {nullptr, 0};
  return f32Arg(info, i, name);
}

std::vector<int64_t> intsArg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t expectLen) {
  if (info.Length() <= i || !info[i].IsArray()) throw ArgError(std::string(name) + " must be an array of integers");
  auto arr = info[i].As<Napi::Array>();
  if (expectLen && arr.Length() != expectLen) {
    throw ArgError(std::string(name) + " must have " + std::to_string(expectLen) + " entries");
  }
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value v = arr[k];
    if (!v.IsNumber()) throw ArgError(std::string(name) + " must be an array of integers");
    double d = v.As<Napi::Number>().DoubleValue();
    if (d != static_cast<double>(static_cast<int64_t>(d)) || d < -(1LL << 40) || d > (1LL << 40)) {
      throw ArgError(std::string(name) + " must hold integers");
    }
    out[k] = static_cast<int64_t>(d);
  }
  return out;
}

int64_t intArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) throw ArgError(std::string(name) + " must be an integer");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d))) throw ArgError(std::string(name) + " must be an integer");
  return static_cast<int64_t>(d);
}

double numArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) throw ArgError(std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

namespace {
struct WrapData {
  Fn fn;
  std::string name;
};
}  // namespace

static Napi::Value trampoline(const Napi::CallbackInfo& info) {
  auto* d = static_cast<WrapData*>(info.Data());
  try {
    return d->fn(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const ArgError& e) {
    throw Napi::TypeError::New(info.Env(), "squid_native." + d->name + ": " + e.what());
  } catch (const dnnl::error& e) {
    throw Napi::Error::New(info.Env(), "squid_native." + d->name + ": oneDNN error (status " +
                                           std::to_string(static_cast<int>(e.status)) + "): " + e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), "squid_native." + d->name + ": " + e.what());
  }
}

Napi::Function wrap(Napi::Env env, const char* name, Fn fn) {
  auto* d = new WrapData{fn, name};  // lives as long as the addon
  return Napi::Function::New(env, trampoline, name, d);
}

void* alignedMalloc(size_t bytes) {
  void* raw = std::malloc(bytes + 64);
  if (!raw) throw std::bad_alloc();
  auto addr = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = (addr + 64) & ~uintptr_t(63);  // at least 1 byte after raw: room for the offset
  reinterpret_cast<uint8_t*>(aligned)[-1] = static_cast<uint8_t>(aligned - addr);
  return reinterpret_cast<void*>(aligned);
}

void alignedFree(void* p) {
  if (!p) return;
  auto* b = static_cast<uint8_t*>(p);
  std::free(b - b[-1]);
}

}  // namespace sq
