// Elementwise kernels with numpy/tfjs broadcasting: binary arithmetic,
// comparisons (bool output as uint8), select, and unary activations with
// their gradients. Plain OpenMP loops (oneDNN's binary primitive would need a
// primitive per shape pair; these loops are memory bound anyway).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>

#include "common.h"

namespace sq {
namespace {

// Broadcast plan: out dims merged so each merged dim is either fully present
// or broadcast (stride 0) in each operand.
struct Plan {
  std::vector<int64_t> dims, sa, sb;  // merged out dims, operand strides
  int64_t total = 1;
};

Plan plan(const std::vector<int64_t>& as, const std::vector<int64_t>& bs, const std::vector<int64_t>& os) {
  size_t r = os.size();
  require(as.size() <= r && bs.size() <= r, "operand rank exceeds output rank");
  std::vector<int64_t> ap(r, 1), bp(r, 1);
  std::copy(as.begin(), as.end(), ap.begin() + (r - as.size()));
  std::copy(bs.begin(), bs.end(), bp.begin() + (r - bs.size()));
  require(r <= 16, "rank above 16 is not supported");
  Plan p;
  // classify and merge, skipping size-1 output dims
  std::vector<int64_t> d;
  std::vector<int> ka, kb;  // 1 = present, 0 = broadcast
  for (size_t i = 0; i < r; ++i) {
    int64_t o = os[i];
    require(o >= 0, "negative dim");
    require((ap[i] == o || ap[i] == 1) && (bp[i] == o || bp[i] == 1),
            "shapes " + shapeStr(as) + " and " + shapeStr(bs) + " do not broadcast to " + shapeStr(os));
    require(ap[i] == o || bp[i] == o || o == 1, "output dim larger than both operands");
    p.total *= o;
    if (o == 1) continue;
    int pa = ap[i] == o ? 1 : 0, pb = bp[i] == o ? 1 : 0;
    if (!d.empty() && ka.back() == pa && kb.back() == pb) {
      d.back() *= o;
    } else {
      d.push_back(o);
      ka.push_back(pa);
      kb.push_back(pb);
    }
  }
  if (d.empty()) {
    d.push_back(1);
    ka.push_back(1);
    kb.push_back(1);
  }
  p.dims = d;
  p.sa.resize(d.size());
  p.sb.resize(d.size());
  int64_t sa = 1, sb = 1;
  for (size_t i = d.size(); i-- > 0;) {
    p.sa[i] = ka[i] ? sa : 0;
    p.sb[i] = kb[i] ? sb : 0;
    if (ka[i]) sa *= d[i];
    if (kb[i]) sb *= d[i];
  }
  return p;
}

constexpr int64_t kChunk = 16384;
constexpr int64_t kParallelMin = 32768;

// Runs body(aOff, bOff, outOff, n, strideA, strideB) over contiguous inner
// runs. Short rows (e.g. a [C] bias over NHWC) are grouped so each task
// covers ~kChunk elements; the row index advances as an odometer.
template <class Body>
void forEachRun(const Plan& p, Body body) {
  if (p.total == 0) return;
  const int k = static_cast<int>(p.dims.size());
  const int64_t inner = p.dims[k - 1];
  const int64_t outer = p.total / inner;
  const int64_t ia = p.sa[k - 1], ib = p.sb[k - 1];
  const int64_t chunks = (inner + kChunk - 1) / kChunk;         // pieces per row (long rows)
  const int64_t rowsPer = std::max<int64_t>(1, kChunk / inner);  // rows per task (short rows)
  const int64_t rowTasks = (outer + rowsPer - 1) / rowsPer;
  const int64_t tasks = rowTasks * chunks;
#pragma omp parallel for schedule(static) if (p.total >= kParallelMin)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t rt = t / chunks, c = t % chunks;
    const int64_t r0 = rt * rowsPer, r1 = std::min(outer, r0 + rowsPer);
    // decode r0 into the outer odometer
    int64_t idx[16];
    int64_t offA = 0, offB = 0, rem = r0;
    for (int i = k - 2; i >= 0; --i) {
      idx[i] = rem % p.dims[i];
      rem /= p.dims[i];
      offA += idx[i] * p.sa[i];
      offB += idx[i] * p.sb[i];
    }
    const int64_t start = c * kChunk, n = std::min(kChunk, inner - start);
    for (int64_t r = r0; r < r1; ++r) {
      body(offA + start * ia, offB + start * ib, r * inner + start, n, ia, ib);
      for (int i = k - 2; i >= 0; --i) {  // advance the odometer by one row
        offA += p.sa[i];
        offB += p.sb[i];
        if (++idx[i] < p.dims[i]) break;
        offA -= p.sa[i] * p.dims[i];
        offB -= p.sb[i] * p.dims[i];
        idx[i] = 0;
      }
    }
  }
}

enum Bin { ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, SQDIFF, POW, ATAN2_UNUSED };

template <class F>
void binaryLoop(const Plan& p, const float* a, const float* b, float* out, F f) {
  forEachRun(p, [&](int64_t oa, int64_t ob, int64_t oo, int64_t n, int64_t ia, int64_t ib) {
    const float* pa = a + oa;
    const float* pb = b + ob;
    float* po = out + oo;
    if (ia && ib) {
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    } else if (ib) {
      float va = pa[0];
      for (int64_t i = 0; i < n; ++i) po[i] = f(va, pb[i]);
    } else if (ia) {
      float vb = pb[0];
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], vb);
    } else {
      float v = f(pa[0], pb[0]);
      for (int64_t i = 0; i < n; ++i) po[i] = v;
    }
  });
}

// binary(op, a, aShape, b, bShape, out, outShape)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  int64_t op = intArg(info, 0, "op");
  F32 a = f32Arg(info, 1, "a");
  auto as = intsArg(info, 2, "aShape");
  F32 b = f32Arg(info, 3, "b");
  auto bs = intsArg(info, 4, "bShape");
  F32 o = f32Arg(info, 5, "out");
  auto os = intsArg(info, 6, "outShape");
  requireSize(a, as, "a");
  requireSize(b, bs, "b");
  requireSize(o, os, "out");
  Plan p = plan(as, bs, os);
  switch (op) {
    case ADD: binaryLoop(p, a.data, b.data, o.data, [](float x, float y) { return x + y; }); break;
    case SUB: binaryLoop(p, a.data, b.data, o.data, [](float x, float y) { return x - y; }); break;
    case MUL: binaryLoop(p, a.data, b.data, o.data, [](float x, float y) { return x * y; }); break;
    case DIV: binaryLoop(p, a.data, b.data, o.data, [](float x, float y) { return x / y; }); break;
    case MAXIMUM:
      binaryLoop(p, a.data, b.data, o.data, [](float x, float y) { return (std::isnan(x) || x > y) ? x : y; });
      break;
    case MINIMUM:
      binaryLoop(p, a.data, b.data, o.data, [](float x, float y) { return (std::isnan(x) || x < y) ? x : y; });
      break;
    case SQDIFF: binaryLoop(p, a.data, b.data, o.data, [](float x, float y) { return (x - y) * (x - y); }); break;
    case POW: binaryLoop(p, a.data, b.data, o.data, [](float x, float y) { return std::pow(x, y); }); break;
    default: throw ArgError("unknown binary op " + std::to_string(op));
  }
  return info.Env().Undefined();
}

enum Cmp { GREATER, GREATER_EQUAL, LESS, LESS_EQUAL, EQUAL, NOT_EQUAL };

// compare(op, a, aShape, b, bShape, out(Uint8Array), outShape)
Napi::Value Compare(const Napi::CallbackInfo& info) {
  int64_t op = intArg(info, 0, "op");
  F32 a = f32Arg(info, 1, "a");
  auto as = intsArg(info, 2, "aShape");
  F32 b = f32Arg(info, 3, "b");
  auto bs = intsArg(info, 4, "bShape");
  require(info.Length() > 5 && info[5].IsTypedArray() &&
              info[5].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array,
          "out must be a Uint8Array");
  auto ob = info[5].As<Napi::Uint8Array>();
  auto os = intsArg(info, 6, "outShape");
  requireSize(a, as, "a");
  requireSize(b, bs, "b");
  require(static_cast<int64_t>(ob.ElementLength()) == product(os), "out size does not match outShape");
  require(op >= GREATER && op <= NOT_EQUAL, "unknown comparison " + std::to_string(op));
  Plan p = plan(as, bs, os);
  uint8_t* out = ob.Data();
  const float* A = a.data;
  const float* B = b.data;
  forEachRun(p, [&](int64_t oa, int64_t obb, int64_t oo, int64_t n, int64_t ia, int64_t ib) {
    for (int64_t i = 0; i < n; ++i) {
      float x = A[oa + i * ia], y = B[obb + i * ib];
      bool r = false;
      switch (op) {
        case GREATER: r = x > y; break;
        case GREATER_EQUAL: r = x >= y; break;
        case LESS: r = x < y; break;
        case LESS_EQUAL: r = x <= y; break;
        case EQUAL: r = x == y; break;
        default: r = x != y; break;
      }
      out[oo + i] = r ? 1 : 0;
    }
  });
  return info.Env().Undefined();
}

// select(cond(Uint8Array, same size as out or rank-1 over the first dim), a, b, out): out = cond ? a : b
Napi::Value Select(const Napi::CallbackInfo& info) {
  require(info.Length() > 0 && info[0].IsTypedArray() &&
              info[0].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array,
          "condition must be a Uint8Array");
  auto cond = info[0].As<Napi::Uint8Array>();
  F32 a = f32Arg(info, 1, "a");
  F32 b = f32Arg(info, 2, "b");
  F32 o = f32Arg(info, 3, "out");
  require(a.length == o.length && b.length == o.length, "a, b and out must have the same size");
  size_t n = o.length;
  require(cond.ElementLength() > 0 && n % cond.ElementLength() == 0, "condition size must divide the output size");
  size_t per = n / cond.ElementLength();
  const uint8_t* c = cond.Data();
#pragma omp parallel for schedule(static) if (n >= static_cast<size_t>(kParallelMin))
  for (int64_t i = 0; i < static_cast<int64_t>(n); ++i) o.data[i] = c[i / per] ? a.data[i] : b.data[i];
  return info.Env().Undefined();
}

enum Un {
  RELU, LEAKY_RELU, SIGMOID, TANH, EXP, LOG, NEG, ABS, SQRT, RSQRT, SQUARE, LOG1P, ELU, RELU6, STEP, RECIPROCAL,
  SOFTPLUS, SIGN, EXPM1, CLIP
};

// Transcendental functions through oneDNN's JIT eltwise primitive (vectorized exp/log).
void eltwise(dnnl::algorithm alg, float alpha, const float* x, float* y, int64_t n) {
  if (n == 0) return;
  static std::unordered_map<std::string, dnnl::eltwise_forward> cache;
  std::string key = std::to_string(static_cast<int>(alg)) + ":" + std::to_string(n) + ":" + std::to_string(alpha);
  auto it = cache.find(key);
  dnnl::memory::desc md({n}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::a);
  if (it == cache.end()) {
    if (cache.size() >= 1024) cache.clear();
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, alg, md, alpha, 0.f);
    it = cache.emplace(key, dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(d, engine()))).first;
  }
  dnnl::memory src(md, engine(), const_cast<float*>(x)), dst(md, engine(), y);
  it->second.execute(stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  stream().wait();
}

template <class F>
void unaryLoop(const float* x, float* y, int64_t n, F f) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

// unary(op, x, out, alpha, beta)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  int64_t op = intArg(info, 0, "op");
  F32 x = f32Arg(info, 1, "x");
  F32 y = f32Arg(info, 2, "out");
  float alpha = static_cast<float>(numArg(info, 3, "alpha"));
  float beta = static_cast<float>(numArg(info, 4, "beta"));
  require(x.length == y.length, "x and out must have the same size");
  int64_t n = static_cast<int64_t>(x.length);
  const float* X = x.data;
  float* Y = y.data;
  switch (op) {
    case RELU: unaryLoop(X, Y, n, [](float v) { return v <= 0.f ? 0.f : v; }); break;  // NaN stays NaN
    case LEAKY_RELU:  // branch-free so it vectorizes; NaN stays NaN
      unaryLoop(X, Y, n, [alpha](float v) { return std::max(v, 0.f) + alpha * std::min(v, 0.f); });
      break;
    case SIGMOID: eltwise(dnnl::algorithm::eltwise_logistic, 0.f, X, Y, n); break;
    case TANH: eltwise(dnnl::algorithm::eltwise_tanh, 0.f, X, Y, n); break;
    case EXP: eltwise(dnnl::algorithm::eltwise_exp, 0.f, X, Y, n); break;
    case LOG: eltwise(dnnl::algorithm::eltwise_log, 0.f, X, Y, n); break;
    case NEG: unaryLoop(X, Y, n, [](float v) { return -v; }); break;
    case ABS: unaryLoop(X, Y, n, [](float v) { return std::fabs(v); }); break;
    case SQRT: unaryLoop(X, Y, n, [](float v) { return std::sqrt(v); }); break;
    case RSQRT: unaryLoop(X, Y, n, [](float v) { return 1.f / std::sqrt(v); }); break;
    case SQUARE: unaryLoop(X, Y, n, [](float v) { return v * v; }); break;
    case LOG1P: unaryLoop(X, Y, n, [](float v) { return std::log1p(v); }); break;
    case ELU: unaryLoop(X, Y, n, [](float v) { return v >= 0.f ? v : std::expm1(v); }); break;
    case RELU6: unaryLoop(X, Y, n, [](float v) { return v <= 0.f ? 0.f : (v >= 6.f ? 6.f : v); }); break;
    case STEP:
      unaryLoop(X, Y, n, [alpha](float v) {
        const float r = v > 0.f ? 1.f : alpha;
        return v != v ? v : r;
      });
      break;
    case RECIPROCAL: unaryLoop(X, Y, n, [](float v) { return 1.f / v; }); break;
    case SOFTPLUS:
      unaryLoop(X, Y, n, [](float v) { return v > 15.f ? v : (v < -15.f ? std::exp(v) : std::log1p(std::exp(v))); });
      break;
    case SIGN: unaryLoop(X, Y, n, [](float v) { return v > 0.f ? 1.f : (v < 0.f ? -1.f : 0.f); }); break;
    case EXPM1: unaryLoop(X, Y, n, [](float v) { return std::expm1(v); }); break;
    case CLIP: unaryLoop(X, Y, n, [alpha, beta](float v) { return v < alpha ? alpha : (v > beta ? beta : v); }); break;
    default: throw ArgError("unknown unary op " + std::to_string(op));
  }
  return info.Env().Undefined();
}

// reluGrad(dy, x, out): out = x > 0 ? dy : 0 (one pass; tfjs composes step + mul)
Napi::Value ReluGrad(const Napi::CallbackInfo& info) {
  F32 dy = f32Arg(info, 0, "dy");
  F32 x = f32Arg(info, 1, "x");
  F32 o = f32Arg(info, 2, "out");
  require(dy.length == x.length && o.length == x.length, "dy, x and out must have the same size");
  int64_t n = static_cast<int64_t>(x.length);
  const float* D = dy.data;
  const float* X = x.data;
  float* Y = o.data;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {  // both loads unconditional so the select vectorizes
    const float d = D[i], v = X[i];
    Y[i] = v > 0.f ? d : 0.f;
  }
  return info.Env().Undefined();
}

}  // namespace

void registerElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", wrap(env, "binary", Binary));
  exports.Set("compare", wrap(env, "compare", Compare));
  exports.Set("select", wrap(env, "select", Select));
  exports.Set("unary", wrap(env, "unary", Unary));
  exports.Set("reluGrad", wrap(env, "reluGrad", ReluGrad));
}

}  // namespace sq
