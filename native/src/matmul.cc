// Batched matrix multiply through oneDNN's matmul primitive, with transposes
// expressed as strides (no copies), batch broadcasting, and an optional fused
// bias + activation (tfjs _FusedMatMul). Primitives cached by shape.
#include <omp.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <unordered_map>

#include "common.h"

namespace sq {

namespace {

using dnnl::memory;
using dt = memory::data_type;

struct Entry {
  dnnl::matmul prim;
  memory::desc a, b, bias, c;
};
std::unordered_map<std::string, std::unique_ptr<Entry>> cache;

// Few-row products (M <= 8: one image at inference, e.g. the memory reads
// q . M^T over 200 x 8192 memories and the attention projections 4 x 2048 .
// 2048 x 2048) are bound by streaming b; plain OpenMP loops that read b once
// beat the general matmul primitive there (2048 x 2048, M = 4: 4.9 ms with
// the primitive, ~1.5 ms here and in PyTorch).
void smallM(const float* A, int64_t ba, const float* Bm, int64_t bb, float* C, int64_t M, int64_t K, int64_t N, bool ta,
            bool tb) {
  const int64_t B = std::max(ba, bb);
  auto aAt = [&](int64_t b, int64_t m, int64_t k) {
    const float* a = A + (ba == 1 ? 0 : b) * M * K;
    return ta ? a[k * M + m] : a[m * K + k];
  };
  if (tb) {  // c[m, n] = dot(a[m, :], b[n, :])
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t n = 0; n < N; ++n) {
        const float* row = Bm + (bb == 1 ? 0 : b) * N * K + n * K;
        for (int64_t m = 0; m < M; ++m) {
          float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
          int64_t k = 0;
          if (!ta) {
            const float* a = A + (ba == 1 ? 0 : b) * M * K + m * K;
            for (; k + 8 <= K; k += 8)
              for (int j = 0; j < 8; ++j) acc[j] += a[k + j] * row[k + j];
          }
          float s = 0.f;
          for (; k < K; ++k) s += aAt(b, m, k) * row[k];
          for (int j = 0; j < 8; ++j) s += acc[j];
          C[(b * M + m) * N + n] = s;
        }
      }
    }
    return;
  }
  // c[m, :] = sum_k a[m, k] * b[k, :], in column blocks so each task owns its
  // outputs; k outermost so b is streamed once for all M rows (the rows'
  // accumulators, M x NB floats, stay in L1)
  const int64_t NB = 256;
  const int64_t blocks = (N + NB - 1) / NB;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t n0 = blk * NB, n1 = std::min(N, n0 + NB);
      const float* bm = Bm + (bb == 1 ? 0 : b) * K * N;
      for (int64_t m = 0; m < M; ++m) {
        float* c = C + (b * M + m) * N;
        for (int64_t n = n0; n < n1; ++n) c[n] = 0.f;
      }
      for (int64_t k = 0; k < K; ++k) {
        const float* r = bm + k * N;
        for (int64_t m = 0; m < M; ++m) {
          const float w = aAt(b, m, k);
          float* c = C + (b * M + m) * N;
          for (int64_t n = n0; n < n1; ++n) c[n] += w * r[n];
        }
      }
    }
  }
}

// matmul(a, batchA, b, batchB, c, [M, K, N], transposeA, transposeB, bias|null, act, alpha)
// a: [batchA, M, K] (or [batchA, K, M] when transposed); b: [batchB, K, N] (or [batchB, N, K]);
// c: [max(batchA, batchB), M, N]; batchA and batchB are equal or one of them is 1.
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  F32 a = f32Arg(info, 0, "a");
  int64_t ba = intArg(info, 1, "batchA");
  F32 b = f32Arg(info, 2, "b");
  int64_t bb = intArg(info, 3, "batchB");
  F32 c = f32Arg(info, 4, "c");
  auto mkn = intsArg(info, 5, "mkn", 3);
  require(info.Length() > 7 && info[6].IsBoolean() && info[7].IsBoolean(), "transposeA/transposeB must be booleans");
  bool ta = info[6].As<Napi::Boolean>().Value(), tb = info[7].As<Napi::Boolean>().Value();
  F32 bias = f32OptArg(info, 8, "bias");
  int64_t act = intArg(info, 9, "activation");
  float alpha = static_cast<float>(numArg(info, 10, "alpha"));
  int64_t M = mkn[0], K = mkn[1], N = mkn[2];
  require(M >= 1 && K >= 1 && N >= 1, "M, K, N must be >= 1");
  require(ba >= 1 && bb >= 1 && (ba == bb || ba == 1 || bb == 1), "batch sizes must match or be 1");
  int64_t B = std::max(ba, bb);
  requireSize(a, {ba, M, K}, "a");
  requireSize(b, {bb, K, N}, "b");
  requireSize(c, {B, M, N}, "c");
  if (bias.data) require(static_cast<int64_t>(bias.length) == N, "bias must hold N values");
  if (M <= 8 && !bias.data && act == 0 && K >= 256) {
    smallM(a.data, ba, b.data, bb, c.data, M, K, N, ta, tb);
    return info.Env().Undefined();
  }
  std::ostringstream k;
  k << ba << ',' << bb << ',' << M << ',' << K << ',' << N << ',' << ta << tb << ',' << (bias.data ? 1 : 0) << ','
    << act << ',' << alpha;
  auto it = cache.find(k.str());
  Entry* e;
  if (it == cache.end()) {
    auto ne = std::make_unique<Entry>();
    memory::dims as = ta ? memory::dims{M * K, 1, M} : memory::dims{M * K, K, 1};
    memory::dims bs = tb ? memory::dims{K * N, 1, K} : memory::dims{K * N, N, 1};
    ne->a = memory::desc({ba, M, K}, dt::f32, as);
    ne->b = memory::desc({bb, K, N}, dt::f32, bs);
    ne->c = memory::desc({B, M, N}, dt::f32, memory::dims{M * N, N, 1});
    ne->bias = bias.data ? memory::desc({1, 1, N}, dt::f32, memory::dims{N, N, 1}) : memory::desc();
    dnnl::primitive_attr attr;
    dnnl::post_ops po;
    appendActivationPostOp(po, act, alpha);
    attr.set_post_ops(po);
    dnnl::matmul::desc d = bias.data ? dnnl::matmul::desc(ne->a, ne->b, ne->bias, ne->c)
                                     : dnnl::matmul::desc(ne->a, ne->b, ne->c);
    ne->prim = dnnl::matmul(dnnl::matmul::primitive_desc(d, attr, engine()));
    if (cache.size() >= 512) cache.clear();
    e = ne.get();
    cache[k.str()] = std::move(ne);
  } else {
    e = it->second.get();
  }
  std::unordered_map<int, memory> args;
  args[DNNL_ARG_SRC] = memory(e->a, engine(), a.data);
  args[DNNL_ARG_WEIGHTS] = memory(e->b, engine(), b.data);
  args[DNNL_ARG_DST] = memory(e->c, engine(), c.data);
  if (bias.data) args[DNNL_ARG_BIAS] = memory(e->bias, engine(), bias.data);
  e->prim.execute(stream(), args);
  stream().wait();
  return info.Env().Undefined();
}

}  // namespace

void registerMatmul(Napi::Env env, Napi::Object exports) { exports.Set("matmul", wrap(env, "matmul", Matmul)); }

}  // namespace sq
