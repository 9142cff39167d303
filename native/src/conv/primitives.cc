// Convolution primitives (conv.h): descriptors for a geometry and an
// algorithm, cached by shape, and the forward and backward runs of one chunk.
// The Winograd forward is forward_training: for forward_inference oneDNN
// wants the filter pre-transformed by a slow reference reorder; in training
// mode it transforms it itself (JIT). bench/README.md ("Native convolution").
#include <sstream>

#include "conv.h"

namespace sq {

// Activation codes shared with src/node/backend/kernels: 0 linear, 1 relu,
// 2 relu6, 3 leakyrelu(alpha), 4 sigmoid, 5 elu.
void appendActivationPostOp(dnnl::post_ops& po, int64_t act, float alpha) {
  switch (act) {
    case 0: break;
    case 1: po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f); break;
    case 2: po.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 6.f); break;
    case 3: po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, alpha, 0.f); break;
    case 4: po.append_eltwise(1.f, dnnl::algorithm::eltwise_logistic, 0.f, 0.f); break;
    case 5: po.append_eltwise(1.f, dnnl::algorithm::eltwise_elu, 1.f, 0.f); break;
    default: throw ArgError("unknown activation code " + std::to_string(act));
  }
}

namespace conv {
namespace {

dnnl::convolution_forward::primitive_desc forwardPd(const Geometry& g, const Algo& a, bool bias,
                                                     const dnnl::primitive_attr& attr, dnnl::prop_kind kind) {
  auto bmd = bias ? memory::desc({g.O}, dt::f32, tag::x) : memory::desc();
  dnnl::convolution_forward::desc d(kind, a.alg, a.src, g.wAnyMd(), bmd, a.dst, g.strides(), g.dilates(), g.padL(),
                                    g.padR());
  return dnnl::convolution_forward::primitive_desc(d, attr, engine());
}

struct BwdData {
  dnnl::convolution_backward_data prim;
  std::unique_ptr<In> diffDst, filter;
  std::unique_ptr<Out> diffSrc;
  memory::desc scratchpad;
};
struct BwdFilter {
  dnnl::convolution_backward_weights prim;
  std::unique_ptr<In> src, diffDst;
  std::unique_ptr<Out> diffFilter;
  memory::desc scratchpad;
};

Cache<Fwd> fwdCache;
Cache<BwdData> bwdDataCache;
Cache<BwdFilter> bwdFilterCache;

}  // namespace

// residual: the output buffer holds a same-shaped tensor the convolution is
// added to before the activation (a sum post-op): act(conv(x) + b + residual).
dnnl::convolution_forward::primitive_desc fwdPd(const Geometry& g, const Algo& a, bool bias, int64_t act, float alpha,
                                                bool residual) {
  dnnl::primitive_attr attr;
  dnnl::post_ops po;
  if (residual) po.append_sum(1.f);
  appendActivationPostOp(po, act, alpha);
  attr.set_post_ops(po);
  auto kind = a.alg == dnnl::algorithm::convolution_winograd ? dnnl::prop_kind::forward_training
                                                              : dnnl::prop_kind::forward_inference;
  return forwardPd(g, a, bias, userScratchpad(attr), kind);
}

dnnl::convolution_backward_data::primitive_desc bwdDataPd(const Geometry& g, const Algo& a) {
  auto hint = forwardPd(g, a, false, dnnl::primitive_attr(), dnnl::prop_kind::forward_training);
  dnnl::convolution_backward_data::desc d(a.alg, a.src, g.wAnyMd(), a.dst, g.strides(), g.dilates(), g.padL(), g.padR());
  return dnnl::convolution_backward_data::primitive_desc(d, userScratchpad(), engine(), hint);
}

dnnl::convolution_backward_weights::primitive_desc bwdFilterPd(const Geometry& g, const Algo& a) {
  auto hint = forwardPd(g, a, false, dnnl::primitive_attr(), dnnl::prop_kind::forward_training);
  dnnl::convolution_backward_weights::desc d(a.alg, a.src, g.wAnyMd(), a.dst, g.strides(), g.dilates(), g.padL(),
                                             g.padR());
  return dnnl::convolution_backward_weights::primitive_desc(d, userScratchpad(), engine(), hint);
}

std::unique_ptr<Fwd> makeFwd(const Geometry& g, bool bias, int64_t act, float alpha, bool constant, bool residual) {
  auto make = [&](const Algo& a) { return fwdPd(g, a, bias, act, alpha, residual); };
  auto pd = choose(g, make, constant);
  auto ne = std::make_unique<Fwd>();
  ne->prim = dnnl::convolution_forward(pd);
  ne->filter = std::make_unique<In>(g.wUserMd(), pd.weights_desc());
  ne->src = std::make_unique<In>(g.srcMd(), pd.src_desc());
  ne->dst = std::make_unique<Out>(g.dstMd(), pd.dst_desc());
  ne->bias = bias ? pd.bias_desc() : memory::desc();
  ne->scratchpad = pd.scratchpad_desc();
  return ne;
}

void execFwd(Fwd& f, const memory& src, const memory& w, float* bias, const memory& dst, Keep& keep) {
  std::unordered_map<int, memory> args;
  args[DNNL_ARG_SRC] = src;
  args[DNNL_ARG_WEIGHTS] = w;
  args[DNNL_ARG_DST] = dst;
  args[DNNL_ARG_SCRATCHPAD] = scratchpadMem(f.scratchpad, keep);
  if (bias) args[DNNL_ARG_BIAS] = memory(f.bias, engine(), bias);
  f.prim.execute(stream(), args);
}

void fwdRun(const Geometry& g, float* x, float* w, int64_t constantId, float* bias, float* y, int64_t act, float alpha,
            const float* residual) {
  // a constant filter: see winogradShape
  const bool constant = constantId > 0;
  std::ostringstream k;
  k << g.key() << '|' << (bias ? 1 : 0) << '|' << act << '|' << alpha << '|' << constant << '|' << (residual ? 1 : 0);
  Fwd* e = fwdCache.find(k.str());
  if (!e) e = fwdCache.put(k.str(), makeFwd(g, bias != nullptr, act, alpha, constant, residual != nullptr));
  Keep keep;
  memory src = e->src->bind(x, keep);
  memory wts = e->filter->bindConstant(w, constantId, keep);
  memory out = residual ? e->dst->targetWith(y, residual, keep) : e->dst->target(y, keep);
  execFwd(*e, src, wts, bias, out, keep);
  e->dst->finish(out, y);
  stream().wait();
}

void bwdDataRun(const Geometry& g, float* dy, float* w, float* dx) {
  std::string k = g.key();
  BwdData* e = bwdDataCache.find(k);
  if (!e) {
    auto pd = choose(g, [&](const Algo& a) { return bwdDataPd(g, a); });
    auto ne = std::make_unique<BwdData>();
    ne->prim = dnnl::convolution_backward_data(pd);
    ne->filter = std::make_unique<In>(g.wUserMd(), pd.weights_desc());
    ne->diffDst = std::make_unique<In>(g.dstMd(), pd.diff_dst_desc());
    ne->diffSrc = std::make_unique<Out>(g.srcMd(), pd.diff_src_desc());
    ne->scratchpad = pd.scratchpad_desc();
    e = bwdDataCache.put(k, std::move(ne));
  }
  Keep keep;
  memory out = e->diffSrc->target(dx, keep);
  e->prim.execute(stream(), {{DNNL_ARG_DIFF_DST, e->diffDst->bind(dy, keep)},
                             {DNNL_ARG_WEIGHTS, e->filter->bind(w, keep)},
                             {DNNL_ARG_DIFF_SRC, out},
                             {DNNL_ARG_SCRATCHPAD, scratchpadMem(e->scratchpad, keep)}});
  e->diffSrc->finish(out, dx);
  stream().wait();
}

void bwdFilterRun(const Geometry& g, float* x, float* dy, float* dw) {
  std::string k = g.key();
  BwdFilter* e = bwdFilterCache.find(k);
  if (!e) {
    auto pd = choose(g, [&](const Algo& a) { return bwdFilterPd(g, a); });
    auto ne = std::make_unique<BwdFilter>();
    ne->prim = dnnl::convolution_backward_weights(pd);
    ne->src = std::make_unique<In>(g.srcMd(), pd.src_desc());
    ne->diffDst = std::make_unique<In>(g.dstMd(), pd.diff_dst_desc());
    ne->diffFilter = std::make_unique<Out>(g.wUserMd(), pd.diff_weights_desc());
    ne->scratchpad = pd.scratchpad_desc();
    e = bwdFilterCache.put(k, std::move(ne));
  }
  Keep keep;
  memory out = e->diffFilter->target(dw, keep);
  e->prim.execute(stream(), {{DNNL_ARG_SRC, e->src->bind(x, keep)},
                             {DNNL_ARG_DIFF_DST, e->diffDst->bind(dy, keep)},
                             {DNNL_ARG_DIFF_WEIGHTS, out},
                             {DNNL_ARG_SCRATCHPAD, scratchpadMem(e->scratchpad, keep)}});
  e->diffFilter->finish(out, dw);
  stream().wait();
}

}  // namespace conv
}  // namespace sq
