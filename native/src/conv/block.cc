// A residual block at inference in one call (src/core/ops/residualBlock/op.ts),
// with the batch norms folded into the filters:
//   a = relu(conv1(x) + b1); h = relu(conv2(a) + b2); y = relu(conv3(h) + b3 + a)
// a and h stay in the layouts their convolutions wrote them in and are
// reordered only where the next primitive wants another one; conv3 adds into
// a's own buffer (sum post-op) when the layouts agree, into y directly when
// that is NHWC: 5 of the 7 reorders of an all-Winograd block go.
//
// Stacked blocks: a direct convolution over a batch of small maps (the
// bottleneck's 4x4 patches of one image) reads its filter once per map.
// Stacked into one tall image, one map under the other with a zero row
// between (two above a stride-2 convolution's input, so the rows stay
// aligned), the filter is read once: a zero row is exactly the padding each
// map would have had, and the outputs the separators produce are zeroed
// again before the next convolution reads them and dropped at the end. Only
// maps of at most kStackMaxPixels, and only where all three convolutions run
// direct on NHWC (SQUID_BLOCK_STACK=0 turns it off). What this measured:
// bench/README.md ("Native convolution").
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "conv.h"

namespace sq::conv {
namespace {

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

Block* blockFor(const Geometry& g1, const Geometry& g2, const int64_t id[3]) {
  std::ostringstream k;
  k << g1.key() << '|' << g2.key() << '|' << (id[0] > 0) << (id[1] > 0) << (id[2] > 0);
  if (Block* e = blockCache.find(k.str())) return e;
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
  return blockCache.put(k.str(), std::move(ne));
}

void blockRun(const Geometry& g1, const Geometry& g2, float* x, float* const w[3], const int64_t id[3],
              float* const b[3], float* y, const Clean& clean = nullptr) {
  Block* e = blockFor(g1, g2, id);
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

// The block over N small maps stacked into one tall image.
void stackedRun(const Geometry& g1, const Geometry& g2, const Geometry& s1, const Geometry& s2, const float* x,
                float* const w[3], const int64_t id[3], float* const b[3], float* y) {
  Keep keep;
  const int64_t N = g1.N, inMap = g1.H * g1.W * g1.C, gap = (s1.H - N * g1.H) / (N - 1);
  const int64_t outRow = g2.OW * g2.O, outMap = g2.OH * outRow;
  float* xStacked = static_cast<float*>(hold(keep, s1.H * s1.W * s1.C * sizeof(float)));
  float* yStacked = static_cast<float*>(hold(keep, s2.OH * outRow * sizeof(float)));
  for (int64_t n = 0; n < N; ++n) {
    float* to = xStacked + n * (inMap + gap * g1.W * g1.C);
    std::memcpy(to, x + n * inMap, inMap * sizeof(float));
    if (n + 1 < N) std::memset(to + inMap, 0, gap * g1.W * g1.C * sizeof(float));
  }
  blockRun(s1, s2, xStacked, w, id, b, yStacked, [&](const memory& m) { zeroSeparators(m, N, g2.OH, outRow); });
  for (int64_t n = 0; n < N; ++n) std::memcpy(y + n * outMap, yStacked + n * (outMap + outRow), outMap * sizeof(float));
}

}  // namespace

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
    stackedRun(g1, g2, s1, s2, x.data, w, id, b, y.data);
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

}  // namespace sq::conv
