// Batched matrix multiply through oneDNN's matmul primitive, with transposes
// expressed as strides (no copies), batch broadcasting, and an optional fused
// bias + activation (tfjs _FusedMatMul). Primitives cached by shape.
#include <omp.h>

#include <algorithm>
#include <cmath>
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

// Few-row products (M <= 8, and up to kSmallMStream rows when b is not
// transposed: one image at inference, e.g. the memory reads
// q . M^T over 200 x 8192 memories and the attention projections 5 x 2048 .
// 2048 x 2048) are bound by streaming b; plain OpenMP loops that read b once,
// front to back, beat the general matmul primitive there. (Every choice in
// this file was measured side by side: bench/README.md, "Native memory,
// matmul and layout".)
//
// b [K, N] (c = a . b): each thread streams its own range of b's rows into a
// private M x N sum (in L1/L2), four rows at a time so each sum is loaded and
// stored once per four rows; the sums are added at the end. (Column blocks
// instead read each row in pieces, one page each, which the hardware
// prefetcher does not follow.) b [N, K] (c = a . b^T): each thread takes a range of b's rows
// (contiguous), and every row is dotted with all M rows of a at once.

using v8 = float __attribute__((vector_size(32)));

inline v8 load8(const float* p) {
  v8 v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}
inline float hsum(v8 v) {
  float s = 0.f;
  for (int j = 0; j < 8; ++j) s += v[j];
  return s;
}

// c[m, n0..n1) = dot(a[m, :], b[n, :]) for M rows of a (M <= 8), R rows of
// b at a time: each vector of a is loaded once for R rows of b, and M * R * U
// independent sums are in flight (<= 16 vector registers with those of b);
// the rows ahead are prefetched 1 KB ahead. Faster than one row of b at a
// time, in cache and cold (in a model pass the memory is read cold); same
// sums, in the same order, for M >= 4.
template <int M, int R, int U>
void dotRowsBlock(const float* a, const float* Bm, float* c, int64_t K, int64_t N, int64_t n) {
  constexpr int64_t ahead = 256;
  const float* row = Bm + n * K;
  v8 acc[M][R][U] = {};
  int64_t k = 0;
  for (; k + 8 * U <= K; k += 8 * U) {
    for (int u = 0; u < U; ++u) {
      v8 r[R];
      for (int j = 0; j < R; ++j) {
        r[j] = load8(row + j * K + k + 8 * u);
        if (u == 0) __builtin_prefetch(row + j * K + k + ahead);
      }
      for (int m = 0; m < M; ++m) {
        const v8 av = load8(a + m * K + k + 8 * u);
        for (int j = 0; j < R; ++j) acc[m][j][u] += av * r[j];
      }
    }
  }
  for (int m = 0; m < M; ++m)
    for (int j = 0; j < R; ++j) {
      v8 t = acc[m][j][0];
      for (int u = 1; u < U; ++u) t += acc[m][j][u];
      float s = hsum(t);
      for (int64_t kk = k; kk < K; ++kk) s += a[m * K + kk] * row[j * K + kk];
      c[m * N + n + j] = s;
    }
}

template <int M, int R, int U>
void dotRows(const float* a, const float* Bm, float* c, int64_t K, int64_t N, int64_t n0, int64_t n1) {
  int64_t n = n0;
  for (; n + R <= n1; n += R) dotRowsBlock<M, R, U>(a, Bm, c, K, N, n);
  for (; n < n1; ++n) dotRowsBlock<M, 1, U>(a, Bm, c, K, N, n);
}

void dotRowsAny(int64_t M, const float* a, const float* Bm, float* c, int64_t K, int64_t N, int64_t n0, int64_t n1) {
  switch (M) {
    case 1: return dotRows<1, 4, 2>(a, Bm, c, K, N, n0, n1);
    case 2: return dotRows<2, 4, 1>(a, Bm, c, K, N, n0, n1);
    case 3: return dotRows<3, 3, 1>(a, Bm, c, K, N, n0, n1);
    case 4: return dotRows<4, 3, 1>(a, Bm, c, K, N, n0, n1);
    case 5: return dotRows<5, 2, 1>(a, Bm, c, K, N, n0, n1);
    case 6: return dotRows<6, 2, 1>(a, Bm, c, K, N, n0, n1);
    case 7: return dotRows<7, 1, 1>(a, Bm, c, K, N, n0, n1);
    default: return dotRows<8, 1, 1>(a, Bm, c, K, N, n0, n1);
  }
}

// c[M, N] (+)= a[M, k0..k1) . b[k0..k1, N], a row-major [M, K]. Eight rows of
// b at a time, in column blocks of 256 so the block of c (M x 1 KB) and of b
// (8 x 1 KB) stay in L1 (faster than 4 whole rows at a time).
void accumulateRows(const float* a, const float* Bm, float* __restrict c, int64_t M, int64_t K, int64_t N, int64_t k0,
                    int64_t k1) {
  constexpr int64_t NB = 256;
  int64_t k = k0;
  for (; k + 8 <= k1; k += 8) {
    const float* __restrict r = Bm + k * N;
    for (int64_t n0 = 0; n0 < N; n0 += NB) {
      const int64_t n1 = std::min(N, n0 + NB);
      for (int64_t m = 0; m < M; ++m) {
        const float* am = a + m * K + k;
        const float w0 = am[0], w1 = am[1], w2 = am[2], w3 = am[3], w4 = am[4], w5 = am[5], w6 = am[6], w7 = am[7];
        float* __restrict cm = c + m * N;
        for (int64_t n = n0; n < n1; ++n)
          cm[n] += (w0 * r[n] + w1 * r[N + n] + w2 * r[2 * N + n] + w3 * r[3 * N + n]) +
                   (w4 * r[4 * N + n] + w5 * r[5 * N + n] + w6 * r[6 * N + n] + w7 * r[7 * N + n]);
      }
    }
  }
  for (; k + 4 <= k1; k += 4) {
    const float* __restrict r0 = Bm + k * N;
    const float* __restrict r1 = r0 + N;
    const float* __restrict r2 = r1 + N;
    const float* __restrict r3 = r2 + N;
    for (int64_t m = 0; m < M; ++m) {
      const float w0 = a[m * K + k], w1 = a[m * K + k + 1], w2 = a[m * K + k + 2], w3 = a[m * K + k + 3];
      float* __restrict cm = c + m * N;
      for (int64_t n = 0; n < N; ++n) cm[n] += w0 * r0[n] + w1 * r1[n] + w2 * r2[n] + w3 * r3[n];
    }
  }
  for (; k < k1; ++k) {
    const float* __restrict r = Bm + k * N;
    for (int64_t m = 0; m < M; ++m) {
      const float w = a[m * K + k];
      float* __restrict cm = c + m * N;
      for (int64_t n = 0; n < N; ++n) cm[n] += w * r[n];
    }
  }
}

void smallM(const float* A, int64_t ba, const float* Bm, int64_t bb, float* C, int64_t M, int64_t K, int64_t N, bool ta,
            bool tb) {
  const int64_t B = std::max(ba, bb);
  // a as row-major [ba, M, K] (a transposed a is copied: it is small)
  std::vector<float> aCopy;
  if (ta) {
    aCopy.resize(static_cast<size_t>(ba * M * K));
    for (int64_t b = 0; b < ba; ++b)
      for (int64_t m = 0; m < M; ++m)
        for (int64_t k = 0; k < K; ++k) aCopy[(b * M + m) * K + k] = A[(b * K + k) * M + m];
    A = aCopy.data();
  }
  auto aOf = [&](int64_t b) { return A + (ba == 1 ? 0 : b) * M * K; };
  auto bOf = [&](int64_t b) { return Bm + (bb == 1 ? 0 : b) * K * N; };
  if (tb) {
#pragma omp parallel
    {
      const int64_t T = omp_get_num_threads(), t = omp_get_thread_num();
      const int64_t rows = B * N, r0 = rows * t / T, r1 = rows * (t + 1) / T;
      for (int64_t r = r0; r < r1;) {
        const int64_t b = r / N, n0 = r % N, n1 = std::min(N, n0 + (r1 - r));
        dotRowsAny(M, aOf(b), bOf(b), C + b * M * N, K, N, n0, n1);
        r += n1 - n0;
      }
    }
    return;
  }
  for (int64_t b = 0; b < B; ++b) {
    float* c = C + b * M * N;
    const int64_t T = std::min<int64_t>(threads(), std::max<int64_t>(1, K / 64));
    std::vector<float> parts(static_cast<size_t>((T - 1) * M * N), 0.f);
    std::fill(c, c + M * N, 0.f);
#pragma omp parallel num_threads(T)
    {
      const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
      float* mine = t == 0 ? c : parts.data() + (t - 1) * M * N;
      accumulateRows(aOf(b), bOf(b), mine, M, K, N, K * t / nt, K * (t + 1) / nt);
    }
    for (int64_t t = 1; t < T; ++t) {
      const float* p = parts.data() + (t - 1) * M * N;
      for (int64_t i = 0; i < M * N; ++i) c[i] += p[i];
    }
  }
}

// c = a . b (b not transposed) streams b through the few-row loops up to
// this many rows of a (DigitAnatomy's attention at one image: 9 and 10 rows;
// faster than the primitive up to 16 rows, in cache and cold).
constexpr int64_t kSmallMStream = 16;

// c = act(c + bias) over [rows, N] after a few-row product (the activation
// codes of appendActivationPostOp).
void biasActivation(float* c, int64_t rows, int64_t N, const float* bias, int64_t act, float alpha) {
  for (int64_t r = 0; r < rows; ++r) {
    float* cr = c + r * N;
    for (int64_t n = 0; n < N; ++n) {
      float v = cr[n] + (bias ? bias[n] : 0.f);
      switch (act) {
        case 1: v = v > 0.f ? v : 0.f; break;
        case 2: v = std::min(std::max(v, 0.f), 6.f); break;
        case 3: v = v > 0.f ? v : alpha * v; break;
        case 4: v = 1.f / (1.f + std::exp(-v)); break;
        case 5: v = v > 0.f ? v : std::expm1(v); break;
        default: break;
      }
      cr[n] = v;
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
  require(act >= 0 && act <= 5, "unknown activation code " + std::to_string(act));
  if ((M <= 8 || (M <= kSmallMStream && !tb)) && K >= 256) {
    smallM(a.data, ba, b.data, bb, c.data, M, K, N, ta, tb);
    if (bias.data || act != 0) biasActivation(c.data, B * M, N, bias.data, act, alpha);
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

// sparseRead(memory, [M, S, d], indices, weights, [B, k], out): the read-out
// of a k-sparse addressing (Gumbel top-k shrinkage at inference):
// out[m, b, :] = sum_j weights[m, b, j] * memory[m, indices[m, b, j], :],
// the j in order. Reads k rows of each memory per output row, instead of
// gathering them into a copy and multiplying that.
Napi::Value SparseRead(const Napi::CallbackInfo& info) {
  F32 mem = f32Arg(info, 0, "memory");
  auto msd = intsArg(info, 1, "memoryShape", 3);
  require(info.Length() > 2 && info[2].IsTypedArray() && info[2].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array,
          "indices must be an Int32Array");
  auto idx = info[2].As<Napi::Int32Array>();
  F32 w = f32Arg(info, 3, "weights");
  auto bk = intsArg(info, 4, "bk", 2);
  F32 out = f32Arg(info, 5, "out");
  const int64_t M = msd[0], S = msd[1], d = msd[2], B = bk[0], k = bk[1];
  require(M >= 1 && S >= 1 && d >= 1 && B >= 1 && k >= 1, "memory [M, S, d] and [B, k] must be >= 1");
  requireSize(mem, msd, "memory");
  require(static_cast<int64_t>(idx.ElementLength()) == M * B * k, "indices must hold M * B * k entries");
  requireSize(w, {M, B, k}, "weights");
  requireSize(out, {M, B, d}, "out");
  const int32_t* ix = idx.Data();
  for (int64_t i = 0; i < M * B * k; ++i)
    require(ix[i] >= 0 && ix[i] < S, "index " + std::to_string(ix[i]) + " is not in [0, " + std::to_string(S) + ")");
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < M * B; ++r) {
    const float* base = mem.data + (r / B) * S * d;
    const int32_t* ri = ix + r * k;
    const float* rw = w.data + r * k;
    float* __restrict o = out.data + r * d;
    const float* __restrict first = base + ri[0] * d;
    const float w0 = rw[0];
    for (int64_t i = 0; i < d; ++i) o[i] = w0 * first[i];
    for (int64_t j = 1; j < k; ++j) {
      const float* __restrict row = base + ri[j] * d;
      const float wj = rw[j];
      for (int64_t i = 0; i < d; ++i) o[i] += wj * row[i];
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void registerMatmul(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", wrap(env, "matmul", Matmul));
  exports.Set("sparseRead", wrap(env, "sparseRead", SparseRead));
}

}  // namespace sq
