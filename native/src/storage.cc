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
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <new>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
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

// adviseF32(a): gives the whole pages inside a's block back to the system
// (madvise DONTNEED) while the block stays allocated: it stops counting in
// the resident set until written again, and then reads as zeros. For free
// blocks kept for reuse (storage.ts). Returns the bytes given back.
Napi::Value AdviseF32(const Napi::CallbackInfo& info) {
  require(info.Length() > 0 && info[0].IsTypedArray(), "adviseF32: expected a Float32Array");
  Napi::ArrayBuffer ab = info[0].As<Napi::TypedArray>().ArrayBuffer();
  auto* p = static_cast<uint8_t*>(ab.Data());
  require(p != nullptr && live.count(p) == 1, "adviseF32: not an allocF32 block");
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<uintptr_t>(p) + page - 1) & ~(page - 1);
  const auto end = (reinterpret_cast<uintptr_t>(p) + ab.ByteLength()) & ~(page - 1);
  if (end <= begin) return Napi::Number::New(info.Env(), 0);
  if (madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED) != 0) return Napi::Number::New(info.Env(), 0);
  return Napi::Number::New(info.Env(), static_cast<double>(end - begin));
}

Napi::Value LiveBlocks(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(live.size())); }

// heapStats(): glibc's main-heap figures in bytes (for memory profiles):
// {footprint: obtained from the system, inUse: allocated, free: free chunks};
// all -1 where the C library does not report them.
Napi::Value HeapStats(const Napi::CallbackInfo& info) {
  double footprint = -1, inUse = -1, freeBytes = -1;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 m = mallinfo2();
  footprint = static_cast<double>(m.arena + m.hblkhd);
  inUse = static_cast<double>(m.uordblks + m.hblkhd);
  freeBytes = static_cast<double>(m.fordblks);
#endif
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("footprint", footprint);
  o.Set("inUse", inUse);
  o.Set("free", freeBytes);
  return o;
}

}  // namespace

void registerStorage(Napi::Env env, Napi::Object exports) {
  exports.Set("allocF32", wrap(env, "allocF32", AllocF32));
  exports.Set("releaseF32", wrap(env, "releaseF32", ReleaseF32));
  exports.Set("liveBlocks", wrap(env, "liveBlocks", LiveBlocks));
  exports.Set("heapStats", wrap(env, "heapStats", HeapStats));
  exports.Set("adviseF32", wrap(env, "adviseF32", AdviseF32));
}

}  // namespace sq
