// Data movement: transpose (any rank) and region copies, which serve Slice,
// Pad and Concat (a concat is one region copy per input). Adjacent dims that
// move together are merged so inner loops are long contiguous copies.
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "common.h"

namespace sq {
namespace {

constexpr int64_t kParallelMin = 32768;

// transpose(x, shape, perm, out): out.shape[i] = shape[perm[i]]
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  F32 x = f32Arg(info, 0, "x");
  auto shape = intsArg(info, 1, "shape");
  auto perm = intsArg(info, 2, "perm", shape.size());
  F32 o = f32Arg(info, 3, "out");
  requireSize(x, shape, "x");
  require(o.length == x.length, "out must have the size of x");
  size_t r = shape.size();
  std::vector<bool> seen(r, false);
  for (auto p : perm) {
    require(p >= 0 && p < static_cast<int64_t>(r) && !seen[p], "perm must be a permutation of 0.." + std::to_string(r - 1));
    seen[p] = true;
  }
  // drop size-1 dims, then merge runs of consecutive input axes
  std::vector<int64_t> keep;  // input axes in output order
  for (auto p : perm) if (shape[p] != 1) keep.push_back(p);
  std::vector<std::vector<int64_t>> groups;
  for (auto p : keep) {
    if (!groups.empty() && groups.back().back() + 1 == p) {
      // consecutive only if no non-unit axis between (guaranteed: p = prev + 1)
      groups.back().push_back(p);
    } else {
      groups.push_back({p});
    }
  }
  // input strides over the original shape
  std::vector<int64_t> istr(r, 1);
  for (size_t i = r; i-- > 1;) istr[i - 1] = istr[i] * shape[i];
  size_t k = groups.size();
  if (k == 0) {
    if (x.length) o.data[0] = x.data[0];
    return info.Env().Undefined();
  }
  std::vector<int64_t> dims(k), strides(k);
  for (size_t g = 0; g < k; ++g) {
    int64_t d = 1;
    for (auto p : groups[g]) d *= shape[p];
    dims[g] = d;
    strides[g] = istr[groups[g].back()];
  }
  int64_t total = static_cast<int64_t>(x.length);
  int64_t inner = dims[k - 1], sInner = strides[k - 1];
  int64_t outer = total / inner;
  const float* X = x.data;
  float* Y = o.data;
#pragma omp parallel for schedule(static) if (total >= kParallelMin)
  for (int64_t t = 0; t < outer; ++t) {
    int64_t rem = t, off = 0;
    for (size_t g = k - 1; g-- > 0;) {
      off += (rem % dims[g]) * strides[g];
      rem /= dims[g];
    }
    float* dst = Y + t * inner;
    const float* src = X + off;
    if (sInner == 1) {
      std::memcpy(dst, src, sizeof(float) * inner);
    } else {
      for (int64_t i = 0; i < inner; ++i) dst[i] = src[i * sInner];
    }
  }
  return info.Env().Undefined();
}

// copyRegion(src, srcShape, srcBegin, dst, dstShape, dstBegin, size): dst[dstBegin + i] = src[srcBegin + i], i < size
Napi::Value CopyRegion(const Napi::CallbackInfo& info) {
  F32 s = f32Arg(info, 0, "src");
  auto ss = intsArg(info, 1, "srcShape");
  size_t r = ss.size();
  auto sb = intsArg(info, 2, "srcBegin", r);
  F32 d = f32Arg(info, 3, "dst");
  auto ds = intsArg(info, 4, "dstShape", r);
  auto db = intsArg(info, 5, "dstBegin", r);
  auto sz = intsArg(info, 6, "size", r);
  requireSize(s, ss, "src");
  requireSize(d, ds, "dst");
  for (size_t i = 0; i < r; ++i) {
    require(sz[i] >= 0 && sb[i] >= 0 && db[i] >= 0 && sb[i] + sz[i] <= ss[i] && db[i] + sz[i] <= ds[i],
            "region out of bounds on axis " + std::to_string(i));
  }
  int64_t total = product(sz);
  if (total == 0 || r == 0) {
    if (r == 0 && total == 1) d.data[0] = s.data[0];
    return info.Env().Undefined();
  }
  std::vector<int64_t> sstr(r, 1), dstr(r, 1);
  for (size_t i = r; i-- > 1;) {
    sstr[i - 1] = sstr[i] * ss[i];
    dstr[i - 1] = dstr[i] * ds[i];
  }
  // merge trailing dims that are whole in both (contiguous runs)
  size_t innerStart = r - 1;
  int64_t inner = sz[r - 1];
  while (innerStart > 0 && sz[innerStart] == ss[innerStart] && sz[innerStart] == ds[innerStart]) {
    --innerStart;
    inner *= sz[innerStart];
  }
  int64_t soff0 = 0, doff0 = 0;
  for (size_t i = 0; i < r; ++i) {
    soff0 += sb[i] * sstr[i];
    doff0 += db[i] * dstr[i];
  }
  int64_t outer = total / inner;
  const float* S = s.data;
  float* D = d.data;
#pragma omp parallel for schedule(static) if (total >= kParallelMin && outer > 1)
  for (int64_t t = 0; t < outer; ++t) {
    int64_t rem = t, so = soff0, dof = doff0;
    for (size_t i = innerStart; i-- > 0;) {
      int64_t idx = rem % sz[i];
      rem /= sz[i];
      so += idx * sstr[i];
      dof += idx * dstr[i];
    }
    std::memcpy(D + dof, S + so, sizeof(float) * inner);
  }
  return info.Env().Undefined();
}

// fill(out, value)
Napi::Value Fill(const Napi::CallbackInfo& info) {
  F32 o = f32Arg(info, 0, "out");
  float v = static_cast<float>(numArg(info, 1, "value"));
  int64_t n = static_cast<int64_t>(o.length);
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) o.data[i] = v;
  return info.Env().Undefined();
}

}  // namespace

void registerLayout(Napi::Env env, Napi::Object exports) {
  exports.Set("transpose", wrap(env, "transpose", Transpose));
  exports.Set("copyRegion", wrap(env, "copyRegion", CopyRegion));
  exports.Set("fill", wrap(env, "fill", Fill));
}

}  // namespace sq
