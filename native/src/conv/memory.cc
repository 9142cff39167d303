// Memory of convolution calls (conv.h): per-call scratch, inputs and outputs
// moved between the caller's layout and the one a primitive wants, and the
// kept copies of constant filters.
//
// Constant filters: a tfjs tensor that is never written while it lives (the
// folded inference filters) is kept reordered in each layout a forward
// primitive wants, instead of being reordered on every call. The caller
// releases an id when its tensor is disposed. Once a copy is kept the caller
// may drop its own array (data = nullptr, see
// src/node/backend/native/constantFilters.ts): another layout is then
// reordered from the kept copy, and readConstant gives the values back.
#include "conv.h"

namespace sq::conv {

Buf::Buf(size_t bytes) {
  if (bytes == 0) return;
  p = alignedMalloc(bytes);
}
Buf::~Buf() { alignedFree(p); }

void* hold(Keep& keep, size_t bytes) {
  keep.push_back(std::make_unique<Buf>(bytes));
  return keep.back()->p;
}

dnnl::primitive_attr userScratchpad(dnnl::primitive_attr attr) {
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

memory scratchpadMem(const memory::desc& d, Keep& keep) { return memory(d, engine(), hold(keep, d.get_size())); }

In::In(const memory::desc& u, const memory::desc& w) : user(u), want(w), same(u == w) {
  if (!same) reorder = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), user, engine(), want));
}

memory In::bind(float* data, Keep& keep) {
  memory u(user, engine(), data);
  if (same) return u;
  memory buf = scratchpadMem(want, keep);
  reorder.execute(stream(), u, buf);
  return buf;
}

Out::Out(const memory::desc& u, const memory::desc& w) : user(u), want(w), same(u == w) {
  if (!same) reorder = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), want, engine(), user));
}

memory Out::target(float* data, Keep& keep) { return same ? memory(user, engine(), data) : scratchpadMem(want, keep); }

memory Out::targetWith(float* data, const float* from, Keep& keep) {
  memory t = target(data, keep);
  memory u(user, engine(), const_cast<float*>(from));
  if (!prefill) prefill = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), user, engine(), want));
  prefill.execute(stream(), u, t);  // a parallel copy when the layouts agree
  return t;
}

void Out::finish(memory& t, float* data) {
  if (same) return;
  memory u(user, engine(), data);
  reorder.execute(stream(), t, u);
}

namespace {

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

}  // namespace

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

void releaseConstant(int64_t id) {
  auto it = constantFilters.find(id);
  if (it == constantFilters.end()) return;
  for (auto& p : it->second.packed) constantBytes -= p.want.get_size();
  constantFilters.erase(it);
}

bool constantKept(int64_t id) {
  auto it = constantFilters.find(id);
  return it != constantFilters.end() && !it->second.packed.empty();
}

void readConstant(int64_t id, const F32& out) {
  memory src = keptCopy(id);
  const memory::desc& user = constantFilters[id].user;
  require(out.length * sizeof(float) == user.get_size(), "out must hold the filter's " +
                                                             std::to_string(user.get_size() / sizeof(float)) + " floats");
  memory dst(user, engine(), out.data);
  dnnl::reorder(src, dst).execute(stream(), src, dst);
  stream().wait();
}

size_t constantFilterBytes() { return constantBytes; }

}  // namespace sq::conv
