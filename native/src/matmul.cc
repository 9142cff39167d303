// Batched matrix multiply through oneDNN's matmul primitive, with transposes
// expressed as strides (no copies), batch broadcasting, and an optional fused
// bias + activation (tfjs _FusedMatMul). Primitives cached by shape.
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
