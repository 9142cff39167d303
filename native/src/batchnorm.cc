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

// bnMoments(x, C, mean, variance): per-channel mean and (biased) variance of
// x viewed as [rows, C] (NHWC over N,H,W), two passes in double, no temporaries.
Napi::Value BnMoments(const Napi::CallbackInfo& info) {
  F32 x = f32Arg(info, 0, "x");
  int64_t C = intArg(info, 1, "channels");
  F32 mean = f32Arg(info, 2, "mean");
  F32 var = f32Arg(info, 3, "variance");
  require(C >= 1 && x.length % C == 0 && x.length > 0, "x size must be a positive multiple of channels");
  require(static_cast<int64_t>(mean.length) == C && static_cast<int64_t>(var.length) == C, "mean/variance must hold C values");
  const int64_t rows = static_cast<int64_t>(x.length) / C;
  const int nt = omp_get_max_threads();
  std::vector<double> part(static_cast<size_t>(nt) * C, 0.0);
  const float* X = x.data;
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
    double* acc = part.data() + static_cast<size_t>(t) * C;
    std::vector<float> local(C, 0.f);
    int64_t lo = rows * t / n, hi = rows * (t + 1) / n;
    for (int64_t r = lo; r < hi; ++r) {
      const float* xr = X + r * C;
      for (int64_t c = 0; c < C; ++c) local[c] += xr[c];
      if (((r - lo) & 255) == 255) {
        for (int64_t c = 0; c < C; ++c) { acc[c] += local[c]; local[c] = 0.f; }
      }
    }
    for (int64_t c = 0; c < C; ++c) acc[c] += local[c];
  }
  std::vector<float> mu(C);
  for (int64_t c = 0; c < C; ++c) {
    double s = 0;
    for (int t = 0; t < nt; ++t) s += part[static_cast<size_t>(t) * C + c];
    mu[c] = static_cast<float>(s / rows);
  }
  std::fill(part.begin(), part.end(), 0.0);
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
    double* acc = part.data() + static_cast<size_t>(t) * C;
    std::vector<float> local(C, 0.f);
    int64_t lo = rows * t / n, hi = rows * (t + 1) / n;
    for (int64_t r = lo; r < hi; ++r) {
      const float* xr = X + r * C;
      for (int64_t c = 0; c < C; ++c) {
        const float d = xr[c] - mu[c];
        local[c] += d * d;
      }
      if (((r - lo) & 255) == 255) {
        for (int64_t c = 0; c < C; ++c) { acc[c] += local[c]; local[c] = 0.f; }
      }
    }
    for (int64_t c = 0; c < C; ++c) acc[c] += local[c];
  }
  for (int64_t c = 0; c < C; ++c) {
    double s = 0;
    for (int t = 0; t < nt; ++t) s += part[static_cast<size_t>(t) * C + c];
    mean.data[c] = mu[c];
    var.data[c] = static_cast<float>(s / rows);
  }
  return info.Env().Undefined();
}

// bnBackward(dy, x, gamma, mean, rstd, C, dx, dgamma, dbeta): training-mode
// batch-norm backward with batch statistics (no gradient into them), as
// src/model/batchNorm.ts's closed form:
//   xhat = (x - mean) rstd; dbeta = sum dy; dgamma = sum dy xhat
//   dx = gamma rstd (dy - dbeta / M - xhat dgamma / M)
Napi::Value BnBackward(const Napi::CallbackInfo& info) {
  F32 dy = f32Arg(info, 0, "dy");
  F32 x = f32Arg(info, 1, "x");
  F32 gamma = f32Arg(info, 2, "gamma");
  F32 mean = f32Arg(info, 3, "mean");
  F32 rstd = f32Arg(info, 4, "rstd");
  int64_t C = intArg(info, 5, "channels");
  F32 dx = f32Arg(info, 6, "dx");
  F32 dgamma = f32Arg(info, 7, "dgamma");
  F32 dbeta = f32Arg(info, 8, "dbeta");
  require(C >= 1 && x.length % C == 0 && x.length > 0, "x size must be a positive multiple of channels");
  require(dy.length == x.length && dx.length == x.length, "dy, x and dx must have the same size");
  for (const F32* p : {&gamma, &mean, &rstd, &dgamma, &dbeta}) {
    require(static_cast<int64_t>(p->length) == C, "per-channel arrays must hold C values");
  }
  const int64_t rows = static_cast<int64_t>(x.length) / C;
  const int nt = omp_get_max_threads();
  std::vector<double> part(static_cast<size_t>(nt) * 2 * C, 0.0);
  const float *DY = dy.data, *X = x.data, *MU = mean.data, *RS = rstd.data;
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
    double* sb = part.data() + static_cast<size_t>(t) * 2 * C;
    double* sg = sb + C;
    std::vector<float> lb(C, 0.f), lg(C, 0.f);
    int64_t lo = rows * t / n, hi = rows * (t + 1) / n;
    for (int64_t r = lo; r < hi; ++r) {
      const float* d = DY + r * C;
      const float* xr = X + r * C;
      for (int64_t c = 0; c < C; ++c) {
        lb[c] += d[c];
        lg[c] += d[c] * ((xr[c] - MU[c]) * RS[c]);
      }
      if (((r - lo) & 255) == 255) {
        for (int64_t c = 0; c < C; ++c) { sb[c] += lb[c]; sg[c] += lg[c]; lb[c] = 0.f; lg[c] = 0.f; }
      }
    }
    for (int64_t c = 0; c < C; ++c) { sb[c] += lb[c]; sg[c] += lg[c]; }
  }
  std::vector<float> k1(C), k2(C), k3(C);  // dx = k1 * dy - k2 - k3 * xhat
  for (int64_t c = 0; c < C; ++c) {
    double b = 0, g = 0;
    for (int t = 0; t < nt; ++t) {
      b += part[static_cast<size_t>(t) * 2 * C + c];
      g += part[static_cast<size_t>(t) * 2 * C + C + c];
    }
    dbeta.data[c] = static_cast<float>(b);
    dgamma.data[c] = static_cast<float>(g);
    const float s = gamma.data[c] * RS[c];
    k1[c] = s;
    k2[c] = s * static_cast<float>(b / rows);
    k3[c] = s * static_cast<float>(g / rows);
  }
  float* DX = dx.data;
#pragma omp parallel for schedule(static) if (static_cast<int64_t>(x.length) >= 32768)
  for (int64_t r = 0; r < rows; ++r) {
    const float* d = DY + r * C;
    const float* xr = X + r * C;
    float* o = DX + r * C;
    for (int64_t c = 0; c < C; ++c) o[c] = k1[c] * d[c] - k2[c] - k3[c] * ((xr[c] - MU[c]) * RS[c]);
  }
  return info.Env().Undefined();
}

}  // namespace

void registerBatchnorm(Napi::Env env, Napi::Object exports) {
  exports.Set("batchNorm", wrap(env, "batchNorm", BatchNorm));
  exports.Set("softmax", wrap(env, "softmax", Softmax));
  exports.Set("bnMoments", wrap(env, "bnMoments", BnMoments));
  exports.Set("bnBackward", wrap(env, "bnBackward", BnBackward));
}

}  // namespace sq
