// 2-D convolution (NHWC activations, HWIO filters) through oneDNN:
// forward (optionally fused bias + activation), backward data, backward filter.
// Primitives are cached by shape; the filter is reordered every call into the
// layout oneDNN picked (it changes at every training step; the reorder is cheap).
#include <memory>
#include <sstream>
#include <unordered_map>

#include "common.h"

namespace sq {
namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

struct Geometry {
  int64_t N, H, W, C;     // input
  int64_t KH, KW, O;      // filter (KH, KW, C, O)
  int64_t OH, OW;         // output
  int64_t sh, sw, dh, dw; // strides, dilations (tf convention: 1 = none)
  int64_t pt, pb, pl, pr; // explicit padding
  std::string key() const {
    std::ostringstream s;
    s << N << ',' << H << ',' << W << ',' << C << ',' << KH << ',' << KW << ',' << O << ',' << OH << ',' << OW << ','
      << sh << ',' << sw << ',' << dh << ',' << dw << ',' << pt << ',' << pb << ',' << pl << ',' << pr;
    return s.str();
  }
  memory::desc srcMd() const { return memory::desc({N, C, H, W}, dt::f32, tag::nhwc); }
  memory::desc dstMd() const { return memory::desc({N, O, OH, OW}, dt::f32, tag::nhwc); }
  memory::desc wUserMd() const { return memory::desc({O, C, KH, KW}, dt::f32, tag::hwio); }
  memory::desc wAnyMd() const { return memory::desc({O, C, KH, KW}, dt::f32, tag::any); }
  memory::dims strides() const { return {sh, sw}; }
  memory::dims dilates() const { return {dh - 1, dw - 1}; }
  memory::dims padL() const { return {pt, pl}; }
  memory::dims padR() const { return {pb, pr}; }
};

// x: [N,H,W,C], w: [KH,KW,C,O], y: [N,OH,OW,O], params: [sh,sw,dh,dw,pt,pb,pl,pr]
Geometry geometry(const std::vector<int64_t>& x, const std::vector<int64_t>& w, const std::vector<int64_t>& y,
                  const std::vector<int64_t>& p) {
  require(x.size() == 4, "input shape must have rank 4 (NHWC), got " + shapeStr(x));
  require(w.size() == 4, "filter shape must have rank 4 (HWIO), got " + shapeStr(w));
  require(y.size() == 4, "output shape must have rank 4 (NHWC), got " + shapeStr(y));
  require(p.size() == 8, "conv params must be [sh,sw,dh,dw,pt,pb,pl,pr]");
  Geometry g{x[0], x[1], x[2], x[3], w[0], w[1], w[3], y[1], y[2], p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]};
  for (auto d : x) require(d >= 1, "input dims must be >= 1, got " + shapeStr(x));
  for (auto d : w) require(d >= 1, "filter dims must be >= 1, got " + shapeStr(w));
  for (auto d : y) require(d >= 1, "output dims must be >= 1, got " + shapeStr(y));
  require(w[2] == x[3], "filter in-channels " + std::to_string(w[2]) + " != input channels " + std::to_string(x[3]));
  require(y[0] == x[0], "output batch != input batch");
  require(y[3] == w[3], "output channels != filter out-channels");
  require(g.sh >= 1 && g.sw >= 1, "strides must be >= 1");
  require(g.dh >= 1 && g.dw >= 1, "dilations must be >= 1");
  require(g.pt >= 0 && g.pb >= 0 && g.pl >= 0 && g.pr >= 0, "padding must be >= 0");
  int64_t ekh = (g.KH - 1) * g.dh + 1, ekw = (g.KW - 1) * g.dw + 1;
  require(g.H + g.pt + g.pb >= ekh && g.W + g.pl + g.pr >= ekw, "filter larger than padded input");
  int64_t oh = (g.H + g.pt + g.pb - ekh) / g.sh + 1, ow = (g.W + g.pl + g.pr - ekw) / g.sw + 1;
  require(oh == g.OH && ow == g.OW, "output size " + std::to_string(g.OH) + "x" + std::to_string(g.OW) +
                                        " does not match geometry (expected " + std::to_string(oh) + "x" +
                                        std::to_string(ow) + ")");
  return g;
}

dnnl::convolution_forward::primitive_desc forwardPd(const Geometry& g, bool bias, const dnnl::primitive_attr& attr,
                                                     dnnl::prop_kind kind) {
  auto bmd = bias ? memory::desc({g.O}, dt::f32, tag::x) : memory::desc();
  dnnl::convolution_forward::desc d(kind, dnnl::algorithm::convolution_direct, g.srcMd(), g.wAnyMd(), bmd, g.dstMd(),
                                    g.strides(), g.dilates(), g.padL(), g.padR());
  return dnnl::convolution_forward::primitive_desc(d, attr, engine());
}

// A filter in user layout (hwio) reordered into the layout a primitive wants.
struct FilterIn {
  memory::desc user, want;
  bool same;
  dnnl::reorder reorder;
  memory buf;
  FilterIn(const memory::desc& u, const memory::desc& w) : user(u), want(w), same(u == w) {
    if (!same) {
      reorder = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), user, engine(), want));
      buf = memory(want, engine());
    }
  }
  memory bind(float* data) {
    memory u(user, engine(), data);
    if (same) return u;
    reorder.execute(stream(), u, buf);
    return buf;
  }
};

struct Fwd {
  dnnl::convolution_forward prim;
  std::unique_ptr<FilterIn> filter;
  memory::desc src, dst, bias;
};
struct BwdData {
  dnnl::convolution_backward_data prim;
  std::unique_ptr<FilterIn> filter;
  memory::desc diffSrc, diffDst;
};
struct BwdFilter {
  dnnl::convolution_backward_weights prim;
  memory::desc src, diffDst, diffWUser, diffWWant;
  bool same;
  dnnl::reorder reorder;
  memory buf;
};

template <class T>
struct Cache {
  std::unordered_map<std::string, std::unique_ptr<T>> map;
  T* find(const std::string& k) {
    auto it = map.find(k);
    return it == map.end() ? nullptr : it->second.get();
  }
  T* put(const std::string& k, std::unique_ptr<T> v) {
    if (map.size() >= 512) map.clear();
    T* raw = v.get();
    map[k] = std::move(v);
    return raw;
  }
};
Cache<Fwd> fwdCache;
Cache<BwdData> bwdDataCache;
Cache<BwdFilter> bwdFilterCache;

}  // namespace

// Activation codes shared with src/backend/kernels: 0 linear, 1 relu,
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

namespace {

// conv2d(x, xShape, w, wShape, bias|null, y, yShape, params, act, alpha)
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  F32 x = f32Arg(info, 0, "x");
  auto xs = intsArg(info, 1, "xShape", 4);
  F32 w = f32Arg(info, 2, "filter");
  auto ws = intsArg(info, 3, "filterShape", 4);
  F32 b = f32OptArg(info, 4, "bias");
  F32 y = f32Arg(info, 5, "out");
  auto ys = intsArg(info, 6, "outShape", 4);
  auto p = intsArg(info, 7, "params", 8);
  int64_t act = intArg(info, 8, "activation");
  float alpha = static_cast<float>(numArg(info, 9, "alpha"));
  Geometry g = geometry(xs, ws, ys, p);
  requireSize(x, xs, "x");
  requireSize(w, ws, "filter");
  requireSize(y, ys, "out");
  if (b.data) require(static_cast<int64_t>(b.length) == g.O, "bias must hold one value per output channel");
  require(act >= 0 && act <= 5, "unknown activation code " + std::to_string(act));

  std::ostringstream k;
  k << g.key() << '|' << (b.data ? 1 : 0) << '|' << act << '|' << alpha;
  Fwd* e = fwdCache.find(k.str());
  if (!e) {
    dnnl::primitive_attr attr;
    dnnl::post_ops po;
    appendActivationPostOp(po, act, alpha);
    attr.set_post_ops(po);
    auto pd = forwardPd(g, b.data != nullptr, attr, dnnl::prop_kind::forward_inference);
    auto ne = std::make_unique<Fwd>();
    ne->prim = dnnl::convolution_forward(pd);
    ne->filter = std::make_unique<FilterIn>(g.wUserMd(), pd.weights_desc());
    ne->src = pd.src_desc();
    ne->dst = pd.dst_desc();
    ne->bias = b.data ? pd.bias_desc() : memory::desc();
    e = fwdCache.put(k.str(), std::move(ne));
  }
  std::unordered_map<int, memory> args;
  args[DNNL_ARG_SRC] = memory(e->src, engine(), x.data);
  args[DNNL_ARG_WEIGHTS] = e->filter->bind(w.data);
  args[DNNL_ARG_DST] = memory(e->dst, engine(), y.data);
  if (b.data) args[DNNL_ARG_BIAS] = memory(e->bias, engine(), b.data);
  e->prim.execute(stream(), args);
  stream().wait();
  return info.Env().Undefined();
}

// conv2dBackpropInput(dy, dyShape, w, wShape, dx, dxShape, params)
Napi::Value Conv2dBackpropInput(const Napi::CallbackInfo& info) {
  F32 dy = f32Arg(info, 0, "dy");
  auto dys = intsArg(info, 1, "dyShape", 4);
  F32 w = f32Arg(info, 2, "filter");
  auto ws = intsArg(info, 3, "filterShape", 4);
  F32 dx = f32Arg(info, 4, "dx");
  auto dxs = intsArg(info, 5, "dxShape", 4);
  auto p = intsArg(info, 6, "params", 8);
  Geometry g = geometry(dxs, ws, dys, p);
  requireSize(dy, dys, "dy");
  requireSize(w, ws, "filter");
  requireSize(dx, dxs, "dx");
  std::string k = g.key();
  BwdData* e = bwdDataCache.find(k);
  if (!e) {
    auto hint = forwardPd(g, false, dnnl::primitive_attr(), dnnl::prop_kind::forward_training);
    dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, g.srcMd(), g.wAnyMd(), g.dstMd(),
                                            g.strides(), g.dilates(), g.padL(), g.padR());
    dnnl::convolution_backward_data::primitive_desc pd(d, engine(), hint);
    auto ne = std::make_unique<BwdData>();
    ne->prim = dnnl::convolution_backward_data(pd);
    ne->filter = std::make_unique<FilterIn>(g.wUserMd(), pd.weights_desc());
    ne->diffSrc = pd.diff_src_desc();
    ne->diffDst = pd.diff_dst_desc();
    e = bwdDataCache.put(k, std::move(ne));
  }
  e->prim.execute(stream(), {{DNNL_ARG_DIFF_DST, memory(e->diffDst, engine(), dy.data)},
                             {DNNL_ARG_WEIGHTS, e->filter->bind(w.data)},
                             {DNNL_ARG_DIFF_SRC, memory(e->diffSrc, engine(), dx.data)}});
  stream().wait();
  return info.Env().Undefined();
}

// conv2dBackpropFilter(x, xShape, dy, dyShape, dw, wShape, params)
Napi::Value Conv2dBackpropFilter(const Napi::CallbackInfo& info) {
  F32 x = f32Arg(info, 0, "x");
  auto xs = intsArg(info, 1, "xShape", 4);
  F32 dy = f32Arg(info, 2, "dy");
  auto dys = intsArg(info, 3, "dyShape", 4);
  F32 dw = f32Arg(info, 4, "dw");
  auto ws = intsArg(info, 5, "filterShape", 4);
  auto p = intsArg(info, 6, "params", 8);
  Geometry g = geometry(xs, ws, dys, p);
  requireSize(x, xs, "x");
  requireSize(dy, dys, "dy");
  requireSize(dw, ws, "dw");
  std::string k = g.key();
  BwdFilter* e = bwdFilterCache.find(k);
  if (!e) {
    auto hint = forwardPd(g, false, dnnl::primitive_attr(), dnnl::prop_kind::forward_training);
    dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, g.srcMd(), g.wAnyMd(),
                                               g.dstMd(), g.strides(), g.dilates(), g.padL(), g.padR());
    dnnl::convolution_backward_weights::primitive_desc pd(d, engine(), hint);
    auto ne = std::make_unique<BwdFilter>();
    ne->prim = dnnl::convolution_backward_weights(pd);
    ne->src = pd.src_desc();
    ne->diffDst = pd.diff_dst_desc();
    ne->diffWUser = g.wUserMd();
    ne->diffWWant = pd.diff_weights_desc();
    ne->same = ne->diffWUser == ne->diffWWant;
    if (!ne->same) {
      ne->reorder = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), ne->diffWWant, engine(), ne->diffWUser));
      ne->buf = memory(ne->diffWWant, engine());
    }
    e = bwdFilterCache.put(k, std::move(ne));
  }
  memory user(e->diffWUser, engine(), dw.data);
  memory target = e->same ? user : e->buf;
  e->prim.execute(stream(), {{DNNL_ARG_SRC, memory(e->src, engine(), x.data)},
                             {DNNL_ARG_DIFF_DST, memory(e->diffDst, engine(), dy.data)},
                             {DNNL_ARG_DIFF_WEIGHTS, target}});
  if (!e->same) e->reorder.execute(stream(), e->buf, user);
  stream().wait();
  return info.Env().Undefined();
}

}  // namespace

void registerConv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", wrap(env, "conv2d", Conv2d));
  exports.Set("conv2dBackpropInput", wrap(env, "conv2dBackpropInput", Conv2dBackpropInput));
  exports.Set("conv2dBackpropFilter", wrap(env, "conv2dBackpropFilter", Conv2dBackpropFilter));
}

}  // namespace sq
