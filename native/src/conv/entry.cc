// The convolution functions of the addon (N-API): forward (optionally fused
// bias, activation and residual), backward data, backward filter, the
// implementation names a geometry gets, and the constant-filter copies
// (conv.h). Every argument is checked before any work.
#include "conv.h"

namespace sq {
namespace conv {
namespace {

// conv2d(x, xShape, w, wShape, bias|null, y, yShape, params, act, alpha[, constantId[, residual]])
// constantId > 0: w never changes while the id lives (see memory.cc).
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
  releaseConstant(intArg(info, 0, "id"));
  return info.Env().Undefined();
}

// constantFilterKept(id): whether a copy of the constant filter is kept (its
// caller may then drop its own array).
Napi::Value ConstantFilterKept(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), constantKept(intArg(info, 0, "id")));
}

// readConstantFilter(id, out): the filter's values in the caller's layout (HWIO), from a kept copy.
Napi::Value ReadConstantFilter(const Napi::CallbackInfo& info) {
  int64_t id = intArg(info, 0, "id");
  readConstant(id, f32Arg(info, 1, "out"));
  return info.Env().Undefined();
}

// constantFilterBytes(): bytes held by kept constant-filter copies.
Napi::Value ConstantFilterBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(constantFilterBytes()));
}

}  // namespace
}  // namespace conv

void registerConv(Napi::Env env, Napi::Object exports) {
  exports.Set("releaseConstantFilter", wrap(env, "releaseConstantFilter", conv::ReleaseConstantFilter));
  exports.Set("constantFilterKept", wrap(env, "constantFilterKept", conv::ConstantFilterKept));
  exports.Set("readConstantFilter", wrap(env, "readConstantFilter", conv::ReadConstantFilter));
  exports.Set("constantFilterBytes", wrap(env, "constantFilterBytes", conv::ConstantFilterBytes));
  exports.Set("convImpl", wrap(env, "convImpl", conv::ConvImpl));
  exports.Set("conv2d", wrap(env, "conv2d", conv::Conv2d));
  exports.Set("convBlock", wrap(env, "convBlock", conv::ConvBlock));
  exports.Set("conv2dBackpropInput", wrap(env, "conv2dBackpropInput", conv::Conv2dBackpropInput));
  exports.Set("conv2dBackpropFilter", wrap(env, "conv2dBackpropFilter", conv::Conv2dBackpropFilter));
}

}  // namespace sq
