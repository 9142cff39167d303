// Storage of the native backend's output tensors on the C heap
// (src/backend/native/storage.ts keeps freed blocks in a free list and hands
// the surplus back here). A Node Float32Array is freed only when V8 collects
// it, which waits for memory pressure; a block from allocF32 is freed by
// releaseF32 the moment nothing holds it, and glibc's heap (kept mapped by
// the addon's malloc settings) reuses it. Blocks are 64-byte aligned
// (alignedMalloc). A block never released is freed by its finalizer when V8
// collects its ArrayBuffer. releaseF32 does not detach the ArrayBuffer:
// detaching any ArrayBuffer invalidates a V8 protector and slows every
// typed-array access in the process; tfjs never touches a disposed tensor's
// values, and NativeBackend.readSync hands out copies.
#include <cstdlib>
#include <new>
#include <unordered_map>

#include "common.h"

namespace sq {
namespace {

struct Block {
  void* data;
  bool freed;
};
std::unordered_map<void*, Block*> live;  // data pointer -> block, for release()

void finalize(Napi::Env, void*, Block* b) {
  if (!b->freed) {
    live.erase(b->data);
    alignedFree(b->data);
  }
  delete b;
}

// allocF32(n): an uninitialized Float32Array of n floats on the C heap.
Napi::Value AllocF32(const Napi::CallbackInfo& info) {
  int64_t n = intArg(info, 0, "n");
  require(n >= 1, "allocF32: n must be >= 1");
  size_t bytes = static_cast<size_t>(n) * sizeof(float);
  void* p = alignedMalloc(bytes);
  auto* b = new Block{p, false};
  live[p] = b;
  auto ab = Napi::ArrayBuffer::New(info.Env(), p, bytes, finalize, b);
  return Napi::Float32Array::New(info.Env(), static_cast<size_t>(n), ab, 0);
}

// releaseF32(a): frees a's block now (a must not be used afterwards); false if a is not from allocF32.
Napi::Value ReleaseF32(const Napi::CallbackInfo& info) {
  require(info.Length() > 0 && info[0].IsTypedArray(), "releaseF32: expected a Float32Array");
  Napi::ArrayBuffer ab = info[0].As<Napi::TypedArray>().ArrayBuffer();
  void* p = ab.Data();
  auto it = live.find(p);
  if (p == nullptr || it == live.end()) return Napi::Boolean::New(info.Env(), false);
  Block* b = it->second;
  live.erase(it);
  b->freed = true;
  alignedFree(p);
  return Napi::Boolean::New(info.Env(), true);
}

Napi::Value LiveBlocks(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(live.size())); }

}  // namespace

void registerStorage(Napi::Env env, Napi::Object exports) {
  exports.Set("allocF32", wrap(env, "allocF32", AllocF32));
  exports.Set("releaseF32", wrap(env, "releaseF32", ReleaseF32));
  exports.Set("liveBlocks", wrap(env, "liveBlocks", LiveBlocks));
}

}  // namespace sq
