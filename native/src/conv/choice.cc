// Which algorithm a convolution geometry gets, and how a call is split over
// the batch (conv.h). 3x3 stride-1 convolutions use oneDNN's Winograd
// F(4x4, 3x3) (jit_wino_4x3, AVX-512) when the CPU has it and the shape pays
// off; everything else runs direct on NHWC. Winograd works on blocked
// layouts (conv/memory.cc reorders in and out) and sums in another order:
// results differ from direct by rounding (test/node/backend/conv.test.ts holds
// both to tfjs-cpu). SQUID_CONV_WINOGRAD=0 turns it off. The thresholds
// below come from the measurements in bench/README.md ("Native convolution").
#include <cstdlib>

#include "conv.h"

namespace sq::conv {
namespace {

bool winogradOn() {
  static const bool on = [] {
    const char* s = std::getenv("SQUID_CONV_WINOGRAD");
    return !(s && std::string(s) == "0");
  }();
  return on;
}

// Winograd transforms the filter on every call (cost ~ C*O): it pays off
// from this many output pixels.
constexpr int64_t kWinogradMinPixels = 1024;
// Winograd pads the input channels to 16: below that (the first layer) direct wins.
constexpr int64_t kWinogradMinChannels = 16;
// A constant filter (inference; its reordered copy is kept) with fewer than
// 64 input channels runs direct up to 64K output pixels.
constexpr int64_t kConstantDirectBelowChannels = 64;
constexpr int64_t kConstantDirectBelowPixels = 65536;
// Winograd's working memory (~3x input + output) is bounded by splitting a
// call over the batch so that each chunk's input + output stay under this
// (each chunk keeps >= kWinogradMinPixels output pixels). Direct runs whole.
constexpr int64_t kChunkBytes = 16 << 20;

}  // namespace

bool winogradShape(const Geometry& g, bool constantFilter) {
  const int64_t pixels = g.N * g.OH * g.OW;
  const bool directConstant =
      constantFilter && g.C < kConstantDirectBelowChannels && pixels < kConstantDirectBelowPixels;
  return winogradOn() && g.KH == 3 && g.KW == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 &&
         g.C >= kWinogradMinChannels && pixels >= kWinogradMinPixels && !directConstant;
}

int64_t chunkImages(const Geometry& g, bool constantFilter) {
  if (!winogradShape(g, constantFilter)) return g.N;
  const int64_t perImage = (g.H * g.W * g.C + g.OH * g.OW * g.O) * static_cast<int64_t>(sizeof(float));
  const int64_t minImages = (kWinogradMinPixels + g.OH * g.OW - 1) / (g.OH * g.OW);
  return std::min(g.N, std::max({int64_t(1), minImages, kChunkBytes / perImage}));
}

Algo direct(const Geometry& g) { return {dnnl::algorithm::convolution_direct, g.srcMd(), g.dstMd()}; }

Algo winograd(const Geometry& g) {
  return {dnnl::algorithm::convolution_winograd, memory::desc({g.N, g.C, g.H, g.W}, dt::f32, tag::any),
          memory::desc({g.N, g.O, g.OH, g.OW}, dt::f32, tag::any)};
}

}  // namespace sq::conv
