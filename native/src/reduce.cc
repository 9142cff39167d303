// Reductions over any set of axes without transposing: the input is viewed
// as [A, R, B] (kept outer, reduced, kept inner) after merging adjacent dims;
// other axis patterns are declined (the JS side falls back to tfjs-cpu).
// Also the column/row sums used by bias and batch-norm gradients.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common.h"

namespace sq {
namespace {

enum Red { SUM, MEAN, MAX, MIN, PROD };

struct View {
  int64_t A = 1, R = 1, B = 1;
  bool ok = false;
};

// shape + reduced-axis mask -> [A, R, B] when the reduced dims are contiguous after dropping size-1 dims.
View view(const std::vector<int64_t>& shape, const std::vector<int64_t>& axes) {
  size_t r = shape.size();
  std::vector<bool> red(r, false);
  for (auto ax : axes) {
    require(ax >= 0 && ax < static_cast<int64_t>(r), "axis " + std::to_string(ax) + " out of range");
    red[ax] = true;
  }
  View v;
  int phase = 0;  // 0: before reduced block, 1: in it, 2: after
  for (size_t i = 0; i < r; ++i) {
    int64_t d = shape[i];
    require(d >= 0, "negative dim");
    if (d == 1) continue;
    if (red[i]) {
      if (phase == 2) return v;  // a second reduced block: not supported
      phase = 1;
      v.R *= d;
    } else {
      if (phase == 1) phase = 2;
      (phase == 0 ? v.A : v.B) *= d;
    }
  }
  v.ok = true;
  return v;
}

template <class Init, class Acc>
void reduceABR(const float* x, float* out, const View& v, Init init, Acc acc) {
  const int64_t A = v.A, R = v.R, B = v.B;
  int nt = omp_get_max_threads();
  int64_t total = A * R * B;
  if (B == 1) {
    // rows: out[a] = reduce_r x[a*R + r]
    if (A >= nt || total < 65536) {
#pragma omp parallel for schedule(static) if (total >= 65536)
      for (int64_t a = 0; a < A; ++a) {
        const float* p = x + a * R;
        float s = init();
        for (int64_t r = 0; r < R; ++r) s = acc(s, p[r]);
        out[a] = s;
      }
    } else {
      std::vector<float> part(static_cast<size_t>(A) * nt, init());
#pragma omp parallel num_threads(nt)
      {
        int t = omp_get_thread_num(), n = omp_get_num_threads();
        for (int64_t a = 0; a < A; ++a) {
          int64_t lo = R * t / n, hi = R * (t + 1) / n;
          const float* p = x + a * R;
          float s = init();
          for (int64_t r = lo; r < hi; ++r) s = acc(s, p[r]);
          part[a * nt + t] = s;
        }
      }
      for (int64_t a = 0; a < A; ++a) {
        float s = init();
        for (int t = 0; t < nt; ++t) s = acc(s, part[a * nt + t]);
        out[a] = s;
      }
    }
    return;
  }
  // columns: out[a,b] = reduce_r x[(a*R + r)*B + b]
  if (A >= nt || total < 65536) {
#pragma omp parallel for schedule(static) if (total >= 65536)
    for (int64_t a = 0; a < A; ++a) {
      float* o = out + a * B;
      for (int64_t b = 0; b < B; ++b) o[b] = init();
      for (int64_t r = 0; r < R; ++r) {
        const float* p = x + (a * R + r) * B;
        for (int64_t b = 0; b < B; ++b) o[b] = acc(o[b], p[b]);
      }
    }
    return;
  }
  std::vector<float> part(static_cast<size_t>(nt) * A * B, init());
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
    float* o0 = part.data() + static_cast<size_t>(t) * A * B;
    int64_t lo = R * t / n, hi = R * (t + 1) / n;
    for (int64_t a = 0; a < A; ++a) {
      float* o = o0 + a * B;
      for (int64_t r = lo; r < hi; ++r) {
        const float* p = x + (a * R + r) * B;
        for (int64_t b = 0; b < B; ++b) o[b] = acc(o[b], p[b]);
      }
    }
  }
  for (int64_t i = 0; i < A * B; ++i) {
    float s = init();
    for (int t = 0; t < nt; ++t) s = acc(s, part[static_cast<size_t>(t) * A * B + i]);
    out[i] = s;
  }
}

// reduce(op, x, shape, axes, out) -> true when done, false when the axis pattern is unsupported
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  int64_t op = intArg(info, 0, "op");
  F32 x = f32Arg(info, 1, "x");
  auto shape = intsArg(info, 2, "shape");
  auto axes = intsArg(info, 3, "axes");
  F32 o = f32Arg(info, 4, "out");
  requireSize(x, shape, "x");
  View v = view(shape, axes);
  if (!v.ok) return Napi::Boolean::New(info.Env(), false);
  require(static_cast<int64_t>(o.length) == v.A * v.B, "out must hold " + std::to_string(v.A * v.B) + " floats");
  auto sum = [](float s, float y) { return s + y; };
  auto zero = []() { return 0.f; };
  switch (op) {
    case SUM: reduceABR(x.data, o.data, v, zero, sum); break;
    case MEAN: {
      reduceABR(x.data, o.data, v, zero, sum);
      float inv = 1.f / static_cast<float>(v.R);
      for (size_t i = 0; i < o.length; ++i) o.data[i] *= inv;
      break;
    }
    case MAX:
      reduceABR(x.data, o.data, v, []() { return -std::numeric_limits<float>::infinity(); },
                [](float s, float y) { return (std::isnan(y) || y > s) ? y : s; });
      break;
    case MIN:
      reduceABR(x.data, o.data, v, []() { return std::numeric_limits<float>::infinity(); },
                [](float s, float y) { return (std::isnan(y) || y < s) ? y : s; });
      break;
    case PROD: reduceABR(x.data, o.data, v, []() { return 1.f; }, [](float s, float y) { return s * y; }); break;
    default: throw ArgError("unknown reduction " + std::to_string(op));
  }
  return Napi::Boolean::New(info.Env(), true);
}

}  // namespace

void registerReduce(Napi::Env env, Napi::Object exports) { exports.Set("reduce", wrap(env, "reduce", Reduce)); }

}  // namespace sq
