// 2-D convolution through oneDNN, internal to the addon (NHWC activations,
// HWIO filters). One file per concern:
//   geometry.cc    the shape of a call, checked
//   choice.cc      which algorithm a geometry gets (Winograd or direct), batch chunks
//   memory.cc      per-call scratch, user <-> primitive layouts, constant-filter copies
//   primitives.cc  primitive descriptors and their caches; forward and backward runs
//   block.cc       a residual block at inference in one call, and stacked blocks
//   entry.cc       the N-API functions
// What each design choice measured is in bench/README.md ("Native convolution").
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "../common.h"

namespace sq::conv {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

// geometry.cc ----------------------------------------------------------------
struct Geometry {
  int64_t N, H, W, C;     // input
  int64_t KH, KW, O;      // filter (KH, KW, C, O)
  int64_t OH, OW;         // output
  int64_t sh, sw, dh, dw; // strides, dilations (tf convention: 1 = none)
  int64_t pt, pb, pl, pr; // explicit padding
  std::string key() const;
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
                  const std::vector<int64_t>& p);

// choice.cc ------------------------------------------------------------------
// Whether g runs as Winograd F(4x4, 3x3) (a constant filter: inference).
bool winogradShape(const Geometry& g, bool constantFilter = false);
// Images per chunk of a call split over the batch (all of them unless Winograd runs).
int64_t chunkImages(const Geometry& g, bool constantFilter);

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
Algo direct(const Geometry& g);
Algo winograd(const Geometry& g);

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

// memory.cc ------------------------------------------------------------------
// Per-call scratch memory (reordered activations, oneDNN's scratchpad),
// freed when the call ends. With the addon's malloc tuning (addon.cc) it
// comes from the same heap as the tensors, so it adds only while a call
// runs instead of staying resident.
struct Buf {
  void* p = nullptr;
  explicit Buf(size_t bytes);
  ~Buf();
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
};
using Keep = std::vector<std::unique_ptr<Buf>>;
void* hold(Keep& keep, size_t bytes);
// Primitive attributes with a caller-provided scratchpad (see Buf).
dnnl::primitive_attr userScratchpad(dnnl::primitive_attr attr = dnnl::primitive_attr());
memory scratchpadMem(const memory::desc& d, Keep& keep);

// An input (activation or filter) in user layout reordered into the layout a
// primitive wants, in per-call scratch (filter copies kept per cached
// primitive would hold hundreds of MB at zhanglab).
struct In {
  memory::desc user, want;
  bool same;
  dnnl::reorder reorder;
  In(const memory::desc& u, const memory::desc& w);
  memory bind(float* data, Keep& keep);
  // A filter the caller declared constant (id > 0): reordered once into a
  // kept copy, read from there on later calls.
  memory bindConstant(float* data, int64_t id, Keep& keep);
};

// An output a primitive writes in its layout, reordered into user layout by finish().
struct Out {
  memory::desc user, want;
  bool same;
  dnnl::reorder reorder;
  dnnl::reorder prefill;
  Out(const memory::desc& u, const memory::desc& w);
  memory target(float* data, Keep& keep);
  // The target holding a copy of `from` (user layout, same shape as the
  // output): what a sum post-op adds the convolution to.
  memory targetWith(float* data, const float* from, Keep& keep);
  void finish(memory& t, float* data);
};

// Constant filters (a tfjs tensor never written while it lives: the folded
// inference filters), kept in each layout a forward primitive wants.
// A kept copy of id as a source for reorders (requires one).
memory keptCopy(int64_t id);
void releaseConstant(int64_t id);
bool constantKept(int64_t id);
// The filter's values in the caller's layout (HWIO), from a kept copy, into out.
void readConstant(int64_t id, const F32& out);
size_t constantFilterBytes();

// primitives.cc --------------------------------------------------------------
dnnl::convolution_forward::primitive_desc fwdPd(const Geometry& g, const Algo& a, bool bias, int64_t act, float alpha,
                                                bool residual);
dnnl::convolution_backward_data::primitive_desc bwdDataPd(const Geometry& g, const Algo& a);
dnnl::convolution_backward_weights::primitive_desc bwdFilterPd(const Geometry& g, const Algo& a);

struct Fwd {
  dnnl::convolution_forward prim;
  std::unique_ptr<In> src, filter;
  std::unique_ptr<Out> dst;
  memory::desc bias, scratchpad;
};

// Primitives cached by key (cleared when 512 are held).
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

std::unique_ptr<Fwd> makeFwd(const Geometry& g, bool bias, int64_t act, float alpha, bool constant, bool residual);
// Runs f on bound memories (the stream is in order: no wait).
void execFwd(Fwd& f, const memory& src, const memory& w, float* bias, const memory& dst, Keep& keep);
// y = act(conv(x, w) + bias [+ residual]) for one chunk.
void fwdRun(const Geometry& g, float* x, float* w, int64_t constantId, float* bias, float* y, int64_t act, float alpha,
            const float* residual);
void bwdDataRun(const Geometry& g, float* dy, float* w, float* dx);
void bwdFilterRun(const Geometry& g, float* x, float* dy, float* dw);

// block.cc -------------------------------------------------------------------
Napi::Value ConvBlock(const Napi::CallbackInfo& info);

}  // namespace sq::conv
