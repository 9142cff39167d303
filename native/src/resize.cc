// Bilinear resize of NHWC images with tfjs's coordinate rules
// (alignCorners, halfPixelCenters) and its gradient: the exact adjoint of the
// forward for every flag combination (tfjs-cpu's gradient ignores
// halfPixelCenters; see src/backend/kernels/resize.ts).
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "common.h"

namespace sq {
namespace {

struct Tap {
  int64_t lo, hi;
  float frac;
};

// Same arithmetic as tfjs-cpu's ResizeBilinear (double, then float weights).
std::vector<Tap> taps(int64_t inSize, int64_t outSize, bool alignCorners, bool halfPixel) {
  double effIn = (alignCorners && outSize > 1) ? inSize - 1 : inSize;
  double effOut = (alignCorners && outSize > 1) ? outSize - 1 : outSize;
  double ratio = effIn / effOut;
  std::vector<Tap> t(outSize);
  for (int64_t i = 0; i < outSize; ++i) {
    double src = halfPixel ? ratio * (i + 0.5) - 0.5 : ratio * i;
    int64_t lo = std::max<int64_t>(0, static_cast<int64_t>(std::floor(src)));
    int64_t hi = std::min<int64_t>(inSize - 1, static_cast<int64_t>(std::ceil(src)));
    t[i] = {lo, hi, static_cast<float>(src - lo)};
  }
  return t;
}

void checkShapes(const std::vector<int64_t>& x, const std::vector<int64_t>& y) {
  require(x.size() == 4 && y.size() == 4, "images must be rank 4 (NHWC)");
  require(x[0] == y[0] && x[3] == y[3], "batch and channels of input and output must match");
  for (auto d : x) require(d >= 1, "input dims must be >= 1");
  for (auto d : y) require(d >= 1, "output dims must be >= 1");
}

// resizeBilinear(x, xShape, y, yShape, alignCorners, halfPixelCenters)
Napi::Value ResizeBilinear(const Napi::CallbackInfo& info) {
  F32 x = f32Arg(info, 0, "x");
  auto xs = intsArg(info, 1, "xShape", 4);
  F32 y = f32Arg(info, 2, "y");
  auto ys = intsArg(info, 3, "yShape", 4);
  require(info.Length() > 5 && info[4].IsBoolean() && info[5].IsBoolean(), "flags must be booleans");
  bool ac = info[4].As<Napi::Boolean>().Value(), hp = info[5].As<Napi::Boolean>().Value();
  checkShapes(xs, ys);
  requireSize(x, xs, "x");
  requireSize(y, ys, "y");
  int64_t N = xs[0], H = xs[1], W = xs[2], C = xs[3], OH = ys[1], OW = ys[2];
  auto rt = taps(H, OH, ac, hp), ct = taps(W, OW, ac, hp);
  const float* X = x.data;
  float* Y = y.data;
#pragma omp parallel for collapse(2) schedule(static) if (N * OH * OW * C >= 32768)
  for (int64_t b = 0; b < N; ++b) {
    for (int64_t r = 0; r < OH; ++r) {
      const Tap& tr = rt[r];
      const float* top = X + ((b * H + tr.lo) * W) * C;
      const float* bot = X + ((b * H + tr.hi) * W) * C;
      float* out = Y + ((b * OH + r) * OW) * C;
      for (int64_t c = 0; c < OW; ++c) {
        const Tap& tc = ct[c];
        const float* tl = top + tc.lo * C;
        const float* trr = top + tc.hi * C;
        const float* bl = bot + tc.lo * C;
        const float* br = bot + tc.hi * C;
        float* o = out + c * C;
        for (int64_t d = 0; d < C; ++d) {
          float t = tl[d] + (trr[d] - tl[d]) * tc.frac;
          float bt = bl[d] + (br[d] - bl[d]) * tc.frac;
          o[d] = t + (bt - t) * tr.frac;
        }
      }
    }
  }
  return info.Env().Undefined();
}

// resizeBilinearGrad(dy, dyShape, dx, dxShape, alignCorners, halfPixelCenters): dx = adjoint(resize)(dy)
Napi::Value ResizeBilinearGrad(const Napi::CallbackInfo& info) {
  F32 dy = f32Arg(info, 0, "dy");
  auto ys = intsArg(info, 1, "dyShape", 4);
  F32 dx = f32Arg(info, 2, "dx");
  auto xs = intsArg(info, 3, "dxShape", 4);
  require(info.Length() > 5 && info[4].IsBoolean() && info[5].IsBoolean(), "flags must be booleans");
  bool ac = info[4].As<Napi::Boolean>().Value(), hp = info[5].As<Napi::Boolean>().Value();
  checkShapes(xs, ys);
  requireSize(dy, ys, "dy");
  requireSize(dx, xs, "dx");
  int64_t N = xs[0], H = xs[1], W = xs[2], C = xs[3], OH = ys[1], OW = ys[2];
  auto rt = taps(H, OH, ac, hp), ct = taps(W, OW, ac, hp);
  std::fill(dx.data, dx.data + dx.length, 0.f);
  // each (image, channel block) is owned by one thread: no races
  const int64_t CB = 16;
  int64_t blocks = (C + CB - 1) / CB;
  const float* G = dy.data;
  float* D = dx.data;
#pragma omp parallel for collapse(2) schedule(static) if (N * OH * OW * C >= 32768)
  for (int64_t b = 0; b < N; ++b) {
    for (int64_t cb = 0; cb < blocks; ++cb) {
      int64_t d0 = cb * CB, d1 = std::min(C, d0 + CB);
      for (int64_t r = 0; r < OH; ++r) {
        const Tap& tr = rt[r];
        float* top = D + ((b * H + tr.lo) * W) * C;
        float* bot = D + ((b * H + tr.hi) * W) * C;
        const float* g = G + ((b * OH + r) * OW) * C;
        for (int64_t c = 0; c < OW; ++c) {
          const Tap& tc = ct[c];
          float wtl = (1.f - tr.frac) * (1.f - tc.frac), wtr = (1.f - tr.frac) * tc.frac;
          float wbl = tr.frac * (1.f - tc.frac), wbr = tr.frac * tc.frac;
          const float* gg = g + c * C;
          for (int64_t d = d0; d < d1; ++d) {
            float v = gg[d];
            top[tc.lo * C + d] += v * wtl;
            top[tc.hi * C + d] += v * wtr;
            bot[tc.lo * C + d] += v * wbl;
            bot[tc.hi * C + d] += v * wbr;
          }
        }
      }
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void registerResize(Napi::Env env, Napi::Object exports) {
  exports.Set("resizeBilinear", wrap(env, "resizeBilinear", ResizeBilinear));
  exports.Set("resizeBilinearGrad", wrap(env, "resizeBilinearGrad", ResizeBilinearGrad));
}

}  // namespace sq
