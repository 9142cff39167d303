// Batch normalization as tfjs's FusedBatchNorm kernel computes it:
// y = (x - mean) * rsqrt(var + eps) * scale + offset, each parameter read at
// index i % its length (so [C] parameters act per channel in NHWC).
// Also softmax over the last axis.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common.h"

namespace sq {
namespace {

// batchNorm(x, mean, variance, offset|null, scale|null, eps, out)
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  F32 x = f32Arg(info, 0, "x");
  F32 m = f32Arg(info, 1, "mean");
  F32 v = f32Arg(info, 2, "variance");
  F32 off = f32OptArg(info, 3, "offset");
  F32 sc = f32OptArg(info, 4, "scale");
  float eps = static_cast<float>(numArg(info, 5, "epsilon"));
  F32 o = f32Arg(info, 6, "out");
  require(o.length == x.length, "out must have the size of x");
  require(m.length > 0 && v.length > 0, "mean and variance must not be empty");
  if (off.data) require(off.length > 0, "offset must not be empty");
  if (sc.data) require(sc.length > 0, "scale must not be empty");
  size_t C = m.length;
  bool perChannel = v.length == C && (!off.data || off.length == C) && (!sc.data || sc.length == C) &&
                    x.length % C == 0;
  int64_t n = static_cast<int64_t>(x.length);
  if (perChannel) {
    std::vector<float> a(C), b(C);  // y = x * a + b
    for (size_t c = 0; c < C; ++c) {
      float s = (sc.data ? sc.data[c] : 1.f) / std::sqrt(v.data[c] + eps);
      a[c] = s;
      b[c] = (off.data ? off.data[c] : 0.f) - m.data[c] * s;
    }
    int64_t rows = n / static_cast<int64_t>(C);
    const float* X = x.data;
    float* Y = o.data;
#pragma omp parallel for schedule(static) if (n >= 32768)
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = X + r * C;
      float* yr = Y + r * C;
      for (size_t c = 0; c < C; ++c) yr[c] = xr[c] * a[c] + b[c];
    }
    return info.Env().Undefined();
  }
  size_t lm = m.length, lv = v.length, lo = off.data ? off.length : 1, ls = sc.data ? sc.length : 1;
#pragma omp parallel for schedule(static) if (n >= 32768)
  for (int64_t i = 0; i < n; ++i) {
    float s = sc.data ? sc.data[i % ls] : 1.f;
    float b = off.data ? off.data[i % lo] : 0.f;
    o.data[i] = b + (x.data[i] - m.data[i % lm]) * s / std::sqrt(v.data[i % lv] + eps);
  }
  return info.Env().Undefined();
}

// softmax(x, rows, cols, out): softmax over the last axis
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  F32 x = f32Arg(info, 0, "x");
  int64_t rows = intArg(info, 1, "rows");
  int64_t cols = intArg(info, 2, "cols");
  F32 o = f32Arg(info, 3, "out");
  require(rows >= 0 && cols >= 1, "rows/cols must be positive");
  requireSize(x, {rows, cols}, "x");
  requireSize(o, {rows, cols}, "out");
#pragma omp parallel for schedule(static) if (rows * cols >= 32768)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x.data + r * cols;
    float* yr = o.data + r * cols;
    float mx = xr[0];
    for (int64_t c = 1; c < cols; ++c) mx = std::max(mx, xr[c]);
    float s = 0.f;
    for (int64_t c = 0; c < cols; ++c) {
      yr[c] = std::exp(xr[c] - mx);
      s += yr[c];
    }
    float inv = 1.f / s;
    for (int64_t c = 0; c < cols; ++c) yr[c] *= inv;
  }
  return info.Env().Undefined();
}

}  // namespace

void registerBatchnorm(Napi::Env env, Napi::Object exports) {
  exports.Set("batchNorm", wrap(env, "batchNorm", BatchNorm));
  exports.Set("softmax", wrap(env, "softmax", Softmax));
}

}  // namespace sq
