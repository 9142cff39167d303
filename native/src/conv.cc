// 2-D convolution (NHWC activations, HWIO filters) through oneDNN:
// forward (optionally fused bias + activation), backward data, backward filter.
// Primitives are cached by shape; the filter is reordered every call into the
// layout oneDNN picked, in per-call scratch (it changes at every training
// step), except a filter the caller declares constant (inference), which is
// reordered once (constantFilters).
//
// Algorithm: 3x3 stride-1 convolutions use oneDNN's Winograd F(4x4, 3x3)
// (jit_wino_4x3, AVX-512) when the CPU has it: 1.6-2x faster than the direct
// algorithm on this model's shapes in forward, backward-data and
// backward-weights alike. It works on blocked activation layouts, so the NHWC
// tensors are reordered in and out through per-call scratch memory (reorders
// are a few percent of the convolution's time). The same
// convolution, a different summation: results differ from direct by rounding
// (test/native.conv.test.ts holds both to the tfjs-cpu reference).
// SQUID_CONV_WINOGRAD=0 turns it off; everything else, and convolutions of
// a constant filter (inference) with fewer than 64 input channels, use
// direct on NHWC.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
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

bool winogradOn() {
  static const bool on = [] {
    const char* s = std::getenv("SQUID_CONV_WINOGRAD");
    return !(s && std::string(s) == "0");
  }();
  return on;
}

// Winograd transforms the filter on every call (cost ~ C*O); it pays off once
// there are enough output pixels to spread that over. Measured here (2 cores,
// jit_wino_4x3 vs direct): 64x4x4 512->512 and 16x8x8 256->256 (1,024 px)
// 1.2-1.8x faster, 16x4x4 512->512 and 4x8x8 256->256 (256 px) 1.5-2x slower.
constexpr int64_t kWinogradMinPixels = 1024;
// Winograd pads the input channels to 16: the first layer (1 channel) ran
// 11x slower than direct forward (64x64x64 1->32: 14.0 vs 1.25 ms) and
// forward + backward-filter 66 vs 41 ms.
constexpr int64_t kWinogradMinChannels = 16;

// A constant filter (inference; its reordered copy is kept) with fewer than
// 64 input channels runs direct up to 64K output pixels: there the direct
// kernel matched or beat Winograd's per-call transforms (1x128x128 32->32:
// 1.08 vs 1.23 ms), while from 64 channels up Winograd wins at batch 1 and
// by up to 2x in batches (64x16x16 128->128: 7.7 vs 15.4 ms).
constexpr int64_t kConstantDirectBelowChannels = 64;
constexpr int64_t kConstantDirectBelowPixels = 65536;

bool winogradShape(const Geometry& g, bool constantFilter = false) {
  const int64_t pixels = g.N * g.OH * g.OW;
  const bool directConstant =
      constantFilter && g.C < kConstantDirectBelowChannels && pixels < kConstantDirectBelowPixels;
  return winogradOn() && g.KH == 3 && g.KW == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 &&
         g.C >= kWinogradMinChannels && pixels >= kWinogradMinPixels && !directConstant;
}

// Winograd's working memory (blocked copies of the activations, transformed
// tiles: ~3x input + output) is needed only while a call runs, but the first
// backward calls run when nearly every saved activation is still alive. To
// bound it, calls are split over the batch so that each chunk's input +
// output stay under kChunkBytes (each chunk keeps >= kWinogradMinPixels
// output pixels): at most ~50 MB instead of ~300 MB for the 16x128x128
// 64->32 decoder layer. (Measured at zhanglab: step time unchanged; peak RSS
// within run-to-run noise, 3.44-3.56 GB both ways at the time.) Direct
// convolutions run whole.
constexpr int64_t kChunkBytes = 16 << 20;

// Images per chunk (before balancing): all of them unless Winograd runs.
int64_t chunkImages(const Geometry& g, bool constantFilter) {
  if (!winogradShape(g, constantFilter)) return g.N;
  const int64_t perImage = (g.H * g.W * g.C + g.OH * g.OW * g.O) * static_cast<int64_t>(sizeof(float));
  const int64_t minImages = (kWinogradMinPixels + g.OH * g.OW - 1) / (g.OH * g.OW);
  return std::min(g.N, std::max({int64_t(1), minImages, kChunkBytes / perImage}));
}

// run(n0, n) over the batch in balanced chunks of at most `chunk` images (a
// short chunk may fall back to direct).
template <class F>
void forEachRange(int64_t N, int64_t chunk, F run) {
  const int64_t chunks = (N + chunk - 1) / chunk;
  chunk = (N + chunks - 1) / chunks;
  for (int64_t n0 = 0; n0 < N; n0 += chunk) run(n0, std::min(chunk, N - n0));
}

template <class F>
void forEachChunk(const Geometry& g, F run, bool constantFilter = false) {
  forEachRange(g.N, chunkImages(g, constantFilter), [&](int64_t n0, int64_t n) {
    Geometry c = g;
    c.N = n;
    run(c, n0);
  });
}

// The algorithm and activation descriptors of one convolution geometry:
// Winograd on 'any' (blocked) activations where eligible, else direct on NHWC.
struct Algo {
  dnnl::algorithm alg;
  memory::desc src, dst;
};
Algo direct(const Geometry& g) { return {dnnl::algorithm::convolution_direct, g.srcMd(), g.dstMd()}; }
Algo winograd(const Geometry& g) {
  return {dnnl::algorithm::convolution_winograd, memory::desc({g.N, g.C, g.H, g.W}, dt::f32, tag::any),
          memory::desc({g.N, g.O, g.OH, g.OW}, dt::f32, tag::any)};
}

dnnl::convolution_forward::primitive_desc forwardPd(const Geometry& g, const Algo& a, bool bias,
                                                     const dnnl::primitive_attr& attr, dnnl::prop_kind kind) {
  auto bmd = bias ? memory::desc({g.O}, dt::f32, tag::x) : memory::desc();
  dnnl::convolution_forward::desc d(kind, a.alg, a.src, g.wAnyMd(), bmd, a.dst, g.strides(), g.dilates(), g.padL(),
                                    g.padR());
  return dnnl::convolution_forward::primitive_desc(d, attr, engine());
}

// Per-call scratch memory (reordered activations, oneDNN's scratchpad),
// freed when the call ends. With the addon's malloc tuning (addon.cc) it
// comes from the same heap as the tensors, so it adds only while a call
// runs instead of staying resident.
struct Buf {
  void* p = nullptr;
  explicit Buf(size_t bytes) {
    if (bytes == 0) return;
    p = alignedMalloc(bytes);
  }
  ~Buf() { alignedFree(p); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
};
using Keep = std::vector<std::unique_ptr<Buf>>;
void* hold(Keep& keep, size_t bytes) {
  keep.push_back(std::make_unique<Buf>(bytes));
  return keep.back()->p;
}

// Primitive attributes with a caller-provided scratchpad (see Buf).
dnnl::primitive_attr userScratchpad(dnnl::primitive_attr attr = dnnl::primitive_attr()) {
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

memory scratchpadMem(const memory::desc& d, Keep& keep) { return memory(d, engine(), hold(keep, d.get_size())); }

// An input (activation or filter) in user layout reordered into the layout a
// primitive wants, in per-call scratch. (Filter copies kept per cached
// primitive held ~200 MB at zhanglab.)
struct In {
  memory::desc user, want;
  bool same;
  dnnl::reorder reorder;
  In(const memory::desc& u, const memory::desc& w) : user(u), want(w), same(u == w) {
    if (!same) reorder = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), user, engine(), want));
  }
  memory bind(float* data, Keep& keep) {
    memory u(user, engine(), data);
    if (same) return u;
    memory buf = scratchpadMem(want, keep);
    reorder.execute(stream(), u, buf);
    return buf;
  }
  // A filter the caller declared constant (id > 0; see constantFilters):
  // reordered once into a kept copy, read from there on later calls.
  memory bindConstant(float* data, int64_t id, Keep& keep);
};

// Filters declared constant by the caller (a tfjs tensor that is never
// written while it lives: the folded inference filters), kept in each layout
// a forward primitive wants. Inference reorders a filter on every call
// otherwise: the 45 M-parameter zhanglab network moves ~90 MB per image for
// that. The caller releases an id when its tensor is disposed. Once a copy is
// kept the caller may drop its own array (data = nullptr, see
// src/backend/native/constantFilters.ts): another layout is then reordered
// from the kept copy, and readConstantFilter gives the values back.
struct Packed {
  memory::desc want;
  std::unique_ptr<Buf> buf;
};
struct Constant {
  memory::desc user;  // the caller's layout (HWIO)
  std::vector<Packed> packed;
};
std::unordered_map<int64_t, Constant> constantFilters;
size_t constantBytes = 0;

// A kept copy of id as a source for reorders (requires one).
memory keptCopy(int64_t id) {
  auto it = constantFilters.find(id);
  require(it != constantFilters.end() && !it->second.packed.empty(),
          "constant filter " + std::to_string(id) + " has neither data nor a kept copy");
  const Packed& p = it->second.packed.front();
  return memory(p.want, engine(), p.buf->p);
}

memory In::bindConstant(float* data, int64_t id, Keep& keep) {
  if (id <= 0) return bind(data, keep);
  if (same) {
    if (data) return memory(user, engine(), data);
    memory src = keptCopy(id);  // the caller dropped its array: the user layout again, per call
    memory buf = scratchpadMem(user, keep);
    dnnl::reorder(src, buf).execute(stream(), src, buf);
    return buf;
  }
  auto& c = constantFilters[id];
  for (auto& p : c.packed)
    if (p.want == want) return memory(want, engine(), p.buf->p);
  auto buf = std::make_unique<Buf>(want.get_size());
  memory m(want, engine(), buf->p);
  if (data) {
    memory u(user, engine(), data);
    reorder.execute(stream(), u, m);
  } else {
    memory src = keptCopy(id);
    dnnl::reorder(src, m).execute(stream(), src, m);
  }
  constantBytes += want.get_size();
  c.user = user;
  c.packed.push_back({want, std::move(buf)});
  return m;
}

// An output a primitive writes in its layout, reordered into user layout by finish().
struct Out {
  memory::desc user, want;
  bool same;
  dnnl::reorder reorder;
  Out(const memory::desc& u, const memory::desc& w) : user(u), want(w), same(u == w) {
    if (!same) reorder = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), want, engine(), user));
  }
  memory target(float* data, Keep& keep) { return same ? memory(user, engine(), data) : scratchpadMem(want, keep); }
  // The target holding a copy of `from` (user layout, same shape as the
  // output): what a sum post-op adds the convolution to.
  memory targetWith(float* data, const float* from, Keep& keep) {
    memory t = target(data, keep);
    memory u(user, engine(), const_cast<float*>(from));
    if (!prefill) prefill = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), user, engine(), want));
    prefill.execute(stream(), u, t);  // a parallel copy when the layouts agree
    return t;
  }
  dnnl::reorder prefill;
  void finish(memory& t, float* data) {
    if (same) return;
    memory u(user, engine(), data);
    reorder.execute(stream(), t, u);
  }
};

// Primitive descriptors of one geometry and algorithm (shared by the kernels and convImpl).
// The Winograd forward is forward_training: for forward_inference oneDNN wants
// the filter pre-transformed by a slow reference reorder (62 ms for a 3x3
// 512->512 filter); in training mode it transforms it itself (JIT).
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

// make(Algo) with Winograd where the geometry qualifies and oneDNN has it, else direct.
template <class Make>
auto choose(const Geometry& g, Make make, bool constantFilter = false) -> decltype(make(direct(g))) {
  if (winogradShape(g, constantFilter)) {
    try {
      return make(winograd(g));
    } catch (const dnnl::error&) {
    }
  }
  return make(direct(g));
}

struct Fwd {
  dnnl::convolution_forward prim;
  std::unique_ptr<In> src, filter;
  std::unique_ptr<Out> dst;
  memory::desc bias, scratchpad;
};
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

// Runs f on bound memories (the stream is in order: no wait).
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

// A residual block at inference (src/backend/ops/residualBlock.ts), with
// the batch norms folded into the filters:
//   a = relu(conv1(x) + b1); h = relu(conv2(a) + b2); y = relu(conv3(h) + b3 + a)
// in one call. a and h stay in the layouts their convolutions wrote them in
// and are reordered only where the next primitive wants another one; conv3
// adds into a's own buffer (sum post-op) when the layouts agree, into y
// directly when that is NHWC. Separately, each Winograd convolution reorders
// its input in and its output out, and conv3 copies a into its output first:
// 5 of the 7 reorders of an all-Winograd block go.
struct Block {
  std::unique_ptr<Fwd> c1, c2, c3;
  dnnl::reorder aToSrc2, hToSrc3, aToDst3;  // empty where the layouts agree
  bool aInY = false;                        // a written into y, conv3 summing into it in place
};
Cache<Block> blockCache;

memory reorderedCopy(const dnnl::reorder& r, const memory& from, const memory::desc& to, Keep& keep) {
  memory m = scratchpadMem(to, keep);
  r.execute(stream(), const_cast<memory&>(from), m);
  return m;
}

// clean(m): called on a after conv1 and on h after conv2 (stacked blocks zero their separator rows there).
using Clean = std::function<void(const memory&)>;

void blockRun(const Geometry& g1, const Geometry& g2, float* x, float* const w[3], const int64_t id[3],
              float* const b[3], float* y, const Clean& clean = nullptr) {
  std::ostringstream k;
  k << g1.key() << '|' << g2.key() << '|' << (id[0] > 0) << (id[1] > 0) << (id[2] > 0);
  Block* e = blockCache.find(k.str());
  if (!e) {
    auto ne = std::make_unique<Block>();
    ne->c1 = makeFwd(g1, true, 1, 0.f, id[0] > 0, false);
    ne->c2 = makeFwd(g2, true, 1, 0.f, id[1] > 0, false);
    ne->c3 = makeFwd(g2, true, 1, 0.f, id[2] > 0, true);
    const memory::desc &l1 = ne->c1->dst->want, &s2 = ne->c2->src->want, &l2 = ne->c2->dst->want,
                       &s3 = ne->c3->src->want, &l3 = ne->c3->dst->want;
    auto between = [](const memory::desc& from, const memory::desc& to) {
      return dnnl::reorder(dnnl::reorder::primitive_desc(engine(), from, engine(), to));
    };
    if (!(l1 == s2)) ne->aToSrc2 = between(l1, s2);
    if (!(l2 == s3)) ne->hToSrc3 = between(l2, s3);
    if (!(l1 == l3)) ne->aToDst3 = between(l1, l3);
    ne->aInY = !ne->aToDst3 && ne->c3->dst->same;
    e = blockCache.put(k.str(), std::move(ne));
  }
  Keep keep;
  Fwd &c1 = *e->c1, &c2 = *e->c2, &c3 = *e->c3;
  memory a = e->aInY ? memory(c1.dst->want, engine(), y) : scratchpadMem(c1.dst->want, keep);
  execFwd(c1, c1.src->bind(x, keep), c1.filter->bindConstant(w[0], id[0], keep), b[0], a, keep);
  if (clean) {
    stream().wait();
    clean(a);
  }
  memory h = scratchpadMem(c2.dst->want, keep);
  memory s2 = e->aToSrc2 ? reorderedCopy(e->aToSrc2, a, c2.src->want, keep) : a;
  execFwd(c2, s2, c2.filter->bindConstant(w[1], id[1], keep), b[1], h, keep);
  if (clean) {
    stream().wait();
    clean(h);
  }
  memory s3 = e->hToSrc3 ? reorderedCopy(e->hToSrc3, h, c3.src->want, keep) : h;
  memory d3 = a;  // conv2 has read a: conv3 may add into it
  if (e->aToDst3) {
    d3 = c3.dst->target(y, keep);
    e->aToDst3.execute(stream(), a, d3);
  }
  execFwd(c3, s3, c3.filter->bindConstant(w[2], id[2], keep), b[2], d3, keep);
  c3.dst->finish(d3, y);
  stream().wait();
}

// conv2d(x, xShape, w, wShape, bias|null, y, yShape, params, act, alpha[, constantId[, residual]])
// constantId > 0: w never changes while the id lives (see constantFilters).
// residual (yShape, not y itself): y = act(conv(x, w) + bias + residual).
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
  int64_t constantId = info.Length() > 10 && !info[10].IsUndefined() ? intArg(info, 10, "constantId") : 0;
  F32 r = info.Length() > 11 ? f32OptArg(info, 11, "residual") : F32{nullptr, 0};
  Geometry g = geometry(xs, ws, ys, p);
  requireSize(x, xs, "x");
  if (constantId > 0 && w.length == 0) {
    keptCopy(constantId);  // the caller dropped its array: a kept copy must exist
    w.data = nullptr;
  } else {
    requireSize(w, ws, "filter");
  }
  requireSize(y, ys, "out");
  if (b.data) require(static_cast<int64_t>(b.length) == g.O, "bias must hold one value per output channel");
  require(act >= 0 && act <= 5, "unknown activation code " + std::to_string(act));
  if (r.data) {
    requireSize(r, ys, "residual");
    require(r.data != y.data, "residual must not be the output array");
  }

  forEachChunk(
      g,
      [&](const Geometry& c, int64_t n0) {
        const int64_t y0 = n0 * g.OH * g.OW * g.O;
        fwdRun(c, x.data + n0 * g.H * g.W * g.C, w.data, constantId, b.data, y.data + y0, act, alpha,
               r.data ? r.data + y0 : nullptr);
      },
      constantId > 0);
  return info.Env().Undefined();
}

// Stacked blocks. A direct convolution over a batch of small maps (the
// bottleneck's 4x4 patches at one image) reads its filter once per image
// (3x3 512->512: 9.4 MB, from memory at that point of a pass). Stacked
// into one tall image, one map under the other with a zero row between
// (two above a stride-2 convolution's input, so the rows stay aligned),
// the filter is read once: a zero row is exactly the padding each map
// would have had, and the outputs the separators produce are zeroed again
// before the next convolution reads them and dropped at the end. Measured
// standalone, filters evicted from cache first: 4x4x4 512->512 1.98-2.06
// vs 1.40-1.48 ms stacked (19 rows instead of 16), 4x8x8 256->512 s2
// 1.09-1.11 vs 0.86-0.87 ms; in a zhanglab pass the bottleneck block (4x4
// maps) 4.7-4.8 vs 3.9-4.4 ms (SQUID_BLOCK_STACK=0 turns it off), while
// the blocks with 8x8 maps came out even, so only maps of at most
// kStackMaxPixels, and only where all three convolutions run direct on NHWC.
constexpr int64_t kStackMaxPixels = 16;

bool stackOn() {
  static const bool on = [] {
    const char* s = std::getenv("SQUID_BLOCK_STACK");
    return !(s && std::string(s) == "0");
  }();
  return on;
}

// The stacked geometries of a block (N maps -> one), or false where stacking does not apply.
bool stackedGeometries(const Geometry& g1, const Geometry& g2, const int64_t id[3], Geometry& s1, Geometry& s2) {
  if (!stackOn() || g1.N < 2 || g2.OH * g2.OW > kStackMaxPixels) return false;
  const int64_t s = g1.sh;
  // 3x3, padding 1 on every side, conv1 stride 1 or 2 on both axes with H == s * OH, conv2/3 stride 1
  if (g1.KH != 3 || g1.KW != 3 || g1.sw != s || (s != 1 && s != 2) || g1.dh != 1 || g1.dw != 1) return false;
  if (g1.pt != 1 || g1.pb != 1 || g1.pl != 1 || g1.pr != 1 || g1.H != s * g1.OH) return false;
  if (g2.KH != 3 || g2.KW != 3 || g2.sh != 1 || g2.sw != 1 || g2.dh != 1 || g2.dw != 1) return false;
  if (g2.pt != 1 || g2.pb != 1 || g2.pl != 1 || g2.pr != 1) return false;
  const int64_t N = g1.N, gap = s * (g1.OH + 1) - g1.H;  // zero rows between input maps
  s1 = g1;
  s1.N = 1;
  s1.H = N * g1.H + (N - 1) * gap;
  s1.OH = N * g1.OH + (N - 1);
  s2 = g2;
  s2.N = 1;
  s2.H = s2.OH = s1.OH;
  if ((s1.H + 2 - 3) / s + 1 != s1.OH) return false;
  return !winogradShape(s1, id[0] > 0) && !winogradShape(s2, id[1] > 0) && !winogradShape(s2, id[2] > 0);
}

// Zeroes the separator rows of `maps` stacked NHWC maps of oh rows (row k * (oh + 1) - 1, k = 1..maps-1).
void zeroSeparators(const memory& m, int64_t maps, int64_t oh, int64_t rowFloats) {
  float* p = static_cast<float*>(m.get_data_handle());
  for (int64_t k = 1; k < maps; ++k) std::memset(p + (k * (oh + 1) - 1) * rowFloats, 0, rowFloats * sizeof(float));
}

// convBlock(x, xShape, w1, w1Shape, b1, id1, w2, w2Shape, b2, id2, w3, w3Shape, b3, id3, y, yShape, params1, params2)
// y = relu(conv3(relu(conv2(a) + b2)) + b3 + a), a = relu(conv1(x) + b1) (blockRun):
// conv1 with params1, conv2 and conv3 (same filter shape, [3,3,O,O] style:
// O -> O channels) with params2. id: a constant filter's id (> 0; its array
// may then be empty once a copy is kept) or 0.
Napi::Value ConvBlock(const Napi::CallbackInfo& info) {
  F32 x = f32Arg(info, 0, "x");
  auto xs = intsArg(info, 1, "xShape", 4);
  float* w[3];
  float* b[3];
  int64_t id[3];
  std::vector<int64_t> ws[3];
  const char* names[3] = {"w1", "w2", "w3"};
  for (int i = 0; i < 3; ++i) {
    F32 wi = f32Arg(info, 2 + 4 * i, names[i]);
    ws[i] = intsArg(info, 3 + 4 * i, "filterShape", 4);
    F32 bi = f32Arg(info, 4 + 4 * i, "bias");
    id[i] = intArg(info, 5 + 4 * i, "constantId");
    require(id[i] >= 0, "constantId must be >= 0");
    if (id[i] > 0 && wi.length == 0) {
      keptCopy(id[i]);  // the caller dropped its array: a kept copy must exist
      w[i] = nullptr;
    } else {
      requireSize(wi, ws[i], names[i]);
      w[i] = wi.data;
    }
    require(static_cast<int64_t>(bi.length) == ws[i][3], std::string("bias ") + std::to_string(i + 1) +
                                                              " must hold one value per output channel");
    b[i] = bi.data;
  }
  F32 y = f32Arg(info, 14, "out");
  auto ys = intsArg(info, 15, "outShape", 4);
  auto p1 = intsArg(info, 16, "params1", 8);
  auto p2 = intsArg(info, 17, "params2", 8);
  require(ws[1] == ws[2], "conv2 and conv3 filters must have the same shape");
  require(ws[1][2] == ws[0][3] && ws[1][3] == ws[0][3], "conv2/conv3 must map conv1's output channels to themselves");
  std::vector<int64_t> as{xs[0], ys[1], ys[2], ws[0][3]};  // a: conv1's output, conv2's input
  Geometry g1 = geometry(xs, ws[0], as, p1);
  Geometry g2 = geometry(as, ws[1], ys, p2);
  requireSize(x, xs, "x");
  requireSize(y, ys, "out");
  require(x.data != y.data, "out must not be the input array");
  Geometry s1, s2;
  if (stackedGeometries(g1, g2, id, s1, s2)) {
    Keep keep;
    const int64_t N = g1.N, inMap = g1.H * g1.W * g1.C, gap = (s1.H - N * g1.H) / (N - 1);
    const int64_t outRow = g2.OW * g2.O, outMap = g2.OH * outRow;
    float* xStacked = static_cast<float*>(hold(keep, s1.H * s1.W * s1.C * sizeof(float)));
    float* yStacked = static_cast<float*>(hold(keep, s2.OH * outRow * sizeof(float)));
    for (int64_t n = 0; n < N; ++n) {
      float* to = xStacked + n * (inMap + gap * g1.W * g1.C);
      std::memcpy(to, x.data + n * inMap, inMap * sizeof(float));
      if (n + 1 < N) std::memset(to + inMap, 0, gap * g1.W * g1.C * sizeof(float));
    }
    blockRun(s1, s2, xStacked, w, id, b, yStacked, [&](const memory& m) { zeroSeparators(m, N, g2.OH, outRow); });
    for (int64_t n = 0; n < N; ++n)
      std::memcpy(y.data + n * outMap, yStacked + n * (outMap + outRow), outMap * sizeof(float));
    return info.Env().Undefined();
  }
  const int64_t chunk = std::min(chunkImages(g1, id[0] > 0), chunkImages(g2, id[1] > 0));
  forEachRange(g1.N, chunk, [&](int64_t n0, int64_t n) {
    Geometry c1 = g1, c2 = g2;
    c1.N = c2.N = n;
    blockRun(c1, c2, x.data + n0 * g1.H * g1.W * g1.C, w, id, b, y.data + n0 * g2.OH * g2.OW * g2.O);
  });
  return info.Env().Undefined();
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
  forEachChunk(g, [&](const Geometry& c, int64_t n0) {
    bwdDataRun(c, dy.data + n0 * g.OH * g.OW * g.O, w.data, dx.data + n0 * g.H * g.W * g.C);
  });
  return info.Env().Undefined();
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
  // chunks' filter gradients are summed (the first writes dw, the others a
  // temporary that is added in)
  std::unique_ptr<Buf> part;
  forEachChunk(g, [&](const Geometry& c, int64_t n0) {
    float* target = dw.data;
    if (n0 > 0) {
      if (!part) part = std::make_unique<Buf>(dw.length * sizeof(float));
      target = static_cast<float*>(part->p);
    }
    bwdFilterRun(c, x.data + n0 * g.H * g.W * g.C, dy.data + n0 * g.OH * g.OW * g.O, target);
    if (n0 > 0) {
      const int64_t n = static_cast<int64_t>(dw.length);
#pragma omp parallel for simd schedule(static)
      for (int64_t i = 0; i < n; ++i) dw.data[i] += target[i];
    }
  });
  return info.Env().Undefined();
}

// convImpl(xShape, wShape, yShape, params): oneDNN's implementation names of
// the forward, backward-data and backward-weights primitives this geometry
// gets (e.g. "jit_wino_4x3:avx512_core"), as the kernels above choose them.
Napi::Value ConvImpl(const Napi::CallbackInfo& info) {
  auto xs = intsArg(info, 0, "xShape", 4);
  auto ws = intsArg(info, 1, "filterShape", 4);
  auto ys = intsArg(info, 2, "outShape", 4);
  auto p = intsArg(info, 3, "params", 8);
  Geometry g = geometry(xs, ws, ys, p);
  std::string fwd = choose(g, [&](const Algo& a) { return fwdPd(g, a, false, 0, 0.f, false); }).impl_info_str();
  std::string bwdD = choose(g, [&](const Algo& a) { return bwdDataPd(g, a); }).impl_info_str();
  std::string bwdW = choose(g, [&](const Algo& a) { return bwdFilterPd(g, a); }).impl_info_str();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("forward", fwd);
  o.Set("backwardData", bwdD);
  o.Set("backwardFilter", bwdW);
  return o;
}

// releaseConstantFilter(id): drops the kept copies of a constant filter.
Napi::Value ReleaseConstantFilter(const Napi::CallbackInfo& info) {
  int64_t id = intArg(info, 0, "id");
  auto it = constantFilters.find(id);
  if (it != constantFilters.end()) {
    for (auto& p : it->second.packed) constantBytes -= p.want.get_size();
    constantFilters.erase(it);
  }
  return info.Env().Undefined();
}

// constantFilterKept(id): whether a copy of the constant filter is kept (its
// caller may then drop its own array).
Napi::Value ConstantFilterKept(const Napi::CallbackInfo& info) {
  int64_t id = intArg(info, 0, "id");
  auto it = constantFilters.find(id);
  return Napi::Boolean::New(info.Env(), it != constantFilters.end() && !it->second.packed.empty());
}

// readConstantFilter(id, out): the filter's values in the caller's layout
// (HWIO), from a kept copy.
Napi::Value ReadConstantFilter(const Napi::CallbackInfo& info) {
  int64_t id = intArg(info, 0, "id");
  F32 out = f32Arg(info, 1, "out");
  memory src = keptCopy(id);
  const memory::desc& user = constantFilters[id].user;
  require(out.length * sizeof(float) == user.get_size(), "out must hold the filter's " +
                                                             std::to_string(user.get_size() / sizeof(float)) + " floats");
  memory dst(user, engine(), out.data);
  dnnl::reorder(src, dst).execute(stream(), src, dst);
  stream().wait();
  return info.Env().Undefined();
}

// constantFilterBytes(): bytes held by kept constant-filter copies.
Napi::Value ConstantFilterBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(constantBytes));
}

}  // namespace

void registerConv(Napi::Env env, Napi::Object exports) {
  exports.Set("releaseConstantFilter", wrap(env, "releaseConstantFilter", ReleaseConstantFilter));
  exports.Set("constantFilterKept", wrap(env, "constantFilterKept", ConstantFilterKept));
  exports.Set("readConstantFilter", wrap(env, "readConstantFilter", ReadConstantFilter));
  exports.Set("constantFilterBytes", wrap(env, "constantFilterBytes", ConstantFilterBytes));
  exports.Set("convImpl", wrap(env, "convImpl", ConvImpl));
  exports.Set("conv2d", wrap(env, "conv2d", Conv2d));
  exports.Set("convBlock", wrap(env, "convBlock", ConvBlock));
  exports.Set("conv2dBackpropInput", wrap(env, "conv2dBackpropInput", Conv2dBackpropInput));
  exports.Set("conv2dBackpropFilter", wrap(env, "conv2dBackpropFilter", Conv2dBackpropFilter));
}

}  // namespace sq
