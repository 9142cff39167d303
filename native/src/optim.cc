// Fused optimizer update: one pass of Adam with L2 weight decay as
// torch.optim.Adam computes it (the trainer's src/train/adam.ts), instead of
// ~12 elementwise kernels and 10 temporary tensors per variable.
#include <omp.h>

#include <cmath>

#include "common.h"

namespace sq {
namespace {

// adamUpdate(w, g, m, v, wOut, mOut, vOut, [lr, beta1, beta2, eps, weightDecay, step])
//   g' = g + wd * w; m' = b1 m + (1 - b1) g'; v' = b2 v + (1 - b2) g'^2
//   w' = w - (lr / (1 - b1^t)) * m' / (sqrt(v' / (1 - b2^t)) + eps)
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  F32 w = f32Arg(info, 0, "w");
  F32 g = f32Arg(info, 1, "g");
  F32 m = f32Arg(info, 2, "m");
  F32 v = f32Arg(info, 3, "v");
  F32 wo = f32Arg(info, 4, "wOut");
  F32 mo = f32Arg(info, 5, "mOut");
  F32 vo = f32Arg(info, 6, "vOut");
  require(info.Length() > 7 && info[7].IsArray(), "hyper-parameters must be [lr, beta1, beta2, eps, weightDecay, step]");
  auto arr = info[7].As<Napi::Array>();
  require(arr.Length() == 6, "hyper-parameters must be [lr, beta1, beta2, eps, weightDecay, step]");
  double hp[6];
  for (uint32_t i = 0; i < 6; ++i) {
    Napi::Value e = arr[i];
    require(e.IsNumber(), "hyper-parameters must be numbers");
    hp[i] = e.As<Napi::Number>().DoubleValue();
  }
  size_t n = w.length;
  require(g.length == n && m.length == n && v.length == n && wo.length == n && mo.length == n && vo.length == n,
          "w, g, m, v and the outputs must have the same size");
  require(hp[5] >= 1, "step must be >= 1");
  // scalars rounded to float32 from double, as tfjs does with JS numbers
  const float b1 = static_cast<float>(hp[1]), b2 = static_cast<float>(hp[2]);
  const float ob1 = static_cast<float>(1.0 - hp[1]), ob2 = static_cast<float>(1.0 - hp[2]);
  const float eps = static_cast<float>(hp[3]), wd = static_cast<float>(hp[4]);
  const float bc2 = static_cast<float>(1.0 - std::pow(hp[2], hp[5]));
  const float stepSize = static_cast<float>(hp[0] / (1.0 - std::pow(hp[1], hp[5])));
  const float *W = w.data, *G = g.data, *M = m.data, *V = v.data;
  float *WO = wo.data, *MO = mo.data, *VO = vo.data;
  const int64_t N = static_cast<int64_t>(n);
#pragma omp parallel for schedule(static) if (N >= 32768)
  for (int64_t i = 0; i < N; ++i) {
    const float gi = wd != 0.f ? G[i] + W[i] * wd : G[i];
    const float m1 = M[i] * b1 + gi * ob1;
    const float v1 = V[i] * b2 + gi * gi * ob2;
    const float denom = std::sqrt(v1 / bc2) + eps;
    MO[i] = m1;
    VO[i] = v1;
    WO[i] = W[i] - (m1 / denom) * stepSize;
  }
  return info.Env().Undefined();
}

}  // namespace

void registerOptim(Napi::Env env, Napi::Object exports) {
  exports.Set("adamUpdate", wrap(env, "adamUpdate", AdamUpdate));
}

}  // namespace sq
