// The CUDA runtime of the host emulation (cuda_runtime.h): one emulated device, device memory
// as tracked host memory, streams that run their work when it is enqueued, captures that
// record it into graphs instead, and a graph launch that replays it.
//
// What it holds the code to, as a GPU would: device allocations start as NaN bytes (0xff), so a
// kernel that reads memory nobody wrote shows it; a synchronising call on a capturing stream,
// or any synchronising call on a thread that captures in cudaStreamCaptureModeThreadLocal,
// fails and invalidates the capture; launches check their configuration; pointer attributes
// and allocation ranges are answered from the allocations made.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "cuda.h"
#include "cuda_runtime.h"
#include "emu_faults.h"
#include "emu_internal.h"

struct sgfblo_emu_graph {
  std::vector<std::function<void()>> nodes;
};
struct sgfblo_emu_graph_exec {
  std::vector<std::function<void()>> nodes;
};
struct sgfblo_emu_stream {
  bool capturing = false;
  bool invalidated = false;
  sgfblo_emu_graph *graph = nullptr;
};
struct sgfblo_emu_event {
  std::chrono::steady_clock::time_point t;
};

namespace emu {
namespace {

constexpr size_t kTotalMemory = (size_t)16 << 30;  // what the emulated device reports
constexpr int kSharedOptin = 227 * 1024;
constexpr int kSMs = 4;

std::mutex mem_mutex;
std::map<uintptr_t, size_t> device_allocs;  // base -> bytes (cudaMalloc, cudaMallocManaged)
std::set<uintptr_t> managed_allocs;
std::map<uintptr_t, size_t> host_allocs;  // cudaMallocHost
size_t device_in_use = 0;

thread_local cudaError_t last_error = cudaSuccess;
thread_local int current_device = 0;
thread_local int thread_captures = 0;  // captures (Global or ThreadLocal mode) begun here
thread_local bool thread_capture_broken = false;  // a prohibited call: they end invalidated

cudaError_t fail(cudaError_t e) {
  if (e != cudaSuccess) last_error = e;
  return e;
}

// The allocation holding p: its base and bytes, or false.
bool find_alloc(const std::map<uintptr_t, size_t> &m, const void *p, uintptr_t *base,
                size_t *bytes) {
  const uintptr_t a = (uintptr_t)p;
  auto it = m.upper_bound(a);
  if (it == m.begin()) return false;
  --it;
  if (a >= it->first + it->second && !(it->second == 0 && a == it->first)) return false;
  *base = it->first;
  *bytes = it->second;
  return true;
}

}  // namespace

void enqueue(cudaStream_t s, std::function<void()> work) {
  if (s && s->capturing) {
    s->graph->nodes.push_back(std::move(work));
    return;
  }
  work();
}

// A synchronising call (on stream s, or on the legacy stream when s is NULL) is refused while
// s captures, and on a thread that captures in ThreadLocal mode.
cudaError_t check_sync(cudaStream_t s) {
  if ((s && s->capturing) || thread_captures > 0) {
    if (s && s->capturing) s->invalidated = true;
    if (thread_captures > 0) thread_capture_broken = true;
    return fail(cudaErrorStreamCaptureUnsupported);
  }
  return cudaSuccess;
}

// Work on the legacy stream (s NULL) while this thread captures would join the capture
// implicitly: refused, and the capture ends invalidated.
cudaError_t check_legacy(cudaStream_t s) {
  if (!s && thread_captures > 0) {
    thread_capture_broken = true;
    return fail(cudaErrorStreamCaptureImplicit);
  }
  return cudaSuccess;
}

void submit(cudaStream_t s, dim3 grid, dim3 block, size_t smem, bool sync,
            std::function<void()> body) {
  if (grid.x < 1 || grid.x > 2147483647u || grid.y != 1 || grid.z != 1 || block.x < 1 ||
      block.x > 1024 || block.y != 1 || block.z != 1 || smem > (size_t)kSharedOptin) {
    fail(cudaErrorInvalidConfiguration);
    if (s && s->capturing) s->invalidated = true;
    return;
  }
  if (fault(SGFBLO_EMU_FAULT_LAUNCH)) {
    fail(cudaErrorLaunchOutOfResources);
    if (s && s->capturing) s->invalidated = true;
    return;
  }
  enqueue(s, [grid, block, smem, sync, body]() {
    const cudaError_t e = run_grid(grid, block, smem, sync, body);
    if (e != cudaSuccess) fail(e);
  });
}

}  // namespace emu

using emu::fail;

extern "C" {

cudaError_t cudaGetDeviceCount(int *count) {
  *count = 1;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (device != 0) return fail(cudaErrorInvalidDevice);
  emu::current_device = device;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int *device) {
  *device = emu::current_device;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *prop, int device) {
  if (device != 0) return fail(cudaErrorInvalidDevice);
  std::memset(prop, 0, sizeof *prop);
  std::snprintf(prop->name, sizeof prop->name, "sgfblo CUDA emulation (host, no GPU)");
  prop->totalGlobalMem = emu::kTotalMemory;
  prop->sharedMemPerBlock = 48 * 1024;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = emu::kSMs;
  prop->l2CacheSize = 50 << 20;
  prop->sharedMemPerBlockOptin = emu::kSharedOptin;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int *value, enum cudaDeviceAttr attr, int device) {
  if (device != 0) return fail(cudaErrorInvalidDevice);
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock: *value = 1024; return cudaSuccess;
    case cudaDevAttrMultiProcessorCount: *value = emu::kSMs; return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = emu::kSharedOptin; return cudaSuccess;
  }
  return fail(cudaErrorInvalidValue);
}

cudaError_t cudaDeviceSynchronize(void) { return emu::check_sync(nullptr); }

cudaError_t cudaGetLastError(void) {
  const cudaError_t e = emu::last_error;
  emu::last_error = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError(void) { return emu::last_error; }

const char *cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInitializationError: return "cudaErrorInitializationError";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorLaunchOutOfResources: return "cudaErrorLaunchOutOfResources";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    case cudaErrorStreamCaptureUnsupported: return "cudaErrorStreamCaptureUnsupported";
    case cudaErrorStreamCaptureInvalidated: return "cudaErrorStreamCaptureInvalidated";
    case cudaErrorStreamCaptureImplicit: return "cudaErrorStreamCaptureImplicit";
  }
  return "cudaErrorUnknown";
}

const char *cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
    case cudaErrorLaunchFailure:
      return "unspecified launch failure (emulation: a barrier no thread block released, or a "
             "barrier in a kernel launched without SGFBLO_LAUNCH_SYNC)";
    case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
    default: return cudaGetErrorName(e);
  }
}

static cudaError_t device_alloc(void **p, size_t bytes, bool managed) {
  *p = nullptr;
  const cudaError_t c = emu::check_sync(nullptr);  // may synchronise: not while capturing
  if (c != cudaSuccess) return c;
  if (bytes > emu::kTotalMemory - emu::device_in_use || emu::fault(SGFBLO_EMU_FAULT_ALLOC))
    return fail(cudaErrorMemoryAllocation);
  void *q = std::aligned_alloc(256, (bytes + 255) / 256 * 256 + 256);
  if (!q) return fail(cudaErrorMemoryAllocation);
  std::memset(q, 0xff, (bytes + 255) / 256 * 256 + 256);  // NaN: unwritten memory shows
  std::lock_guard<std::mutex> lock(emu::mem_mutex);
  emu::device_allocs[(uintptr_t)q] = bytes;
  if (managed) emu::managed_allocs.insert((uintptr_t)q);
  emu::device_in_use += bytes;
  *p = q;
  return cudaSuccess;
}

cudaError_t cudaMalloc(void **p, size_t bytes) { return device_alloc(p, bytes, false); }

cudaError_t cudaMallocManaged(void **p, size_t bytes, unsigned flags) {
  (void)flags;
  return device_alloc(p, bytes, true);
}

cudaError_t cudaFree(void *p) {
  if (!p) return cudaSuccess;
  const cudaError_t c = emu::check_sync(nullptr);
  if (c != cudaSuccess) return c;
  std::lock_guard<std::mutex> lock(emu::mem_mutex);
  auto it = emu::device_allocs.find((uintptr_t)p);
  if (it == emu::device_allocs.end()) return fail(cudaErrorInvalidValue);
  emu::device_in_use -= it->second;
  emu::device_allocs.erase(it);
  emu::managed_allocs.erase((uintptr_t)p);
  std::free(p);
  return cudaSuccess;
}

cudaError_t cudaMallocHost(void **p, size_t bytes) {
  *p = nullptr;
  if (emu::fault(SGFBLO_EMU_FAULT_ALLOC)) return fail(cudaErrorMemoryAllocation);
  *p = std::malloc(bytes ? bytes : 1);
  if (!*p) return fail(cudaErrorMemoryAllocation);
  std::lock_guard<std::mutex> lock(emu::mem_mutex);
  emu::host_allocs[(uintptr_t)*p] = bytes;
  return cudaSuccess;
}

cudaError_t cudaFreeHost(void *p) {
  if (!p) return cudaSuccess;
  std::lock_guard<std::mutex> lock(emu::mem_mutex);
  if (!emu::host_allocs.erase((uintptr_t)p)) return fail(cudaErrorInvalidValue);
  std::free(p);
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes) {
  std::lock_guard<std::mutex> lock(emu::mem_mutex);
  *total_bytes = emu::kTotalMemory;
  *free_bytes = emu::kTotalMemory - emu::device_in_use;
  return cudaSuccess;
}

cudaError_t cudaPointerGetAttributes(struct cudaPointerAttributes *a, const void *p) {
  std::lock_guard<std::mutex> lock(emu::mem_mutex);
  uintptr_t base;
  size_t bytes;
  std::memset(a, 0, sizeof *a);
  if (emu::find_alloc(emu::device_allocs, p, &base, &bytes)) {
    a->type = emu::managed_allocs.count(base) ? cudaMemoryTypeManaged : cudaMemoryTypeDevice;
    a->device = 0;
    a->devicePointer = const_cast<void *>(p);
  } else if (emu::find_alloc(emu::host_allocs, p, &base, &bytes)) {
    a->type = cudaMemoryTypeHost;
    a->hostPointer = const_cast<void *>(p);
  } else {
    a->type = cudaMemoryTypeUnregistered;
    a->device = -2;
  }
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, enum cudaMemcpyKind kind) {
  (void)kind;
  const cudaError_t e = emu::check_sync(nullptr);
  if (e != cudaSuccess) return e;
  if (bytes) std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, enum cudaMemcpyKind kind,
                            cudaStream_t s) {
  (void)kind;
  const cudaError_t legacy = emu::check_legacy(s);
  if (legacy != cudaSuccess) return legacy;
  if (bytes) emu::enqueue(s, [dst, src, bytes]() { std::memmove(dst, src, bytes); });
  return cudaSuccess;
}

cudaError_t cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch,
                              size_t width, size_t height, enum cudaMemcpyKind kind,
                              cudaStream_t s) {
  (void)kind;
  const cudaError_t legacy = emu::check_legacy(s);
  if (legacy != cudaSuccess) return legacy;
  if (width > dpitch || width > spitch) return fail(cudaErrorInvalidValue);
  emu::enqueue(s, [=]() {
    for (size_t r = 0; r < height; ++r)
      std::memmove((char *)dst + r * dpitch, (const char *)src + r * spitch, width);
  });
  return cudaSuccess;
}

cudaError_t cudaMemset(void *p, int value, size_t bytes) {
  const cudaError_t e = emu::check_sync(nullptr);
  if (e != cudaSuccess) return e;
  std::memset(p, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t s) {
  const cudaError_t legacy = emu::check_legacy(s);
  if (legacy != cudaSuccess) return legacy;
  emu::enqueue(s, [=]() { std::memset(p, value, bytes); });
  return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t *s) {
  *s = nullptr;
  if (emu::fault(SGFBLO_EMU_FAULT_STREAM)) return fail(cudaErrorMemoryAllocation);
  *s = new sgfblo_emu_stream();
  return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned flags) {
  (void)flags;
  return cudaStreamCreate(s);
}

cudaError_t cudaStreamDestroy(cudaStream_t s) {
  if (!s) return fail(cudaErrorInvalidResourceHandle);
  delete s->graph;
  delete s;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t s) { return emu::check_sync(s); }

cudaError_t cudaStreamBeginCapture(cudaStream_t s, enum cudaStreamCaptureMode mode) {
  if (!s || s->capturing) return fail(cudaErrorInvalidValue);
  s->capturing = true;
  s->invalidated = false;
  s->graph = new sgfblo_emu_graph();
  if (mode == cudaStreamCaptureModeThreadLocal || mode == cudaStreamCaptureModeGlobal)
    ++emu::thread_captures;
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t *g) {
  if (!s || !s->capturing) return fail(cudaErrorInvalidValue);
  s->capturing = false;
  const bool broken = emu::thread_capture_broken;
  if (--emu::thread_captures == 0) emu::thread_capture_broken = false;
  *g = nullptr;
  if (s->invalidated || broken) {
    delete s->graph;
    s->graph = nullptr;
    return fail(cudaErrorStreamCaptureInvalidated);
  }
  *g = s->graph;
  s->graph = nullptr;
  return cudaSuccess;
}

cudaError_t cudaGraphGetNodes(cudaGraph_t g, cudaGraphNode_t *nodes, size_t *count) {
  if (!g) return fail(cudaErrorInvalidValue);
  if (nodes) return fail(cudaErrorInvalidValue);  // only the count is emulated
  *count = g->nodes.size();
  return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t g, unsigned long long flags) {
  (void)flags;
  if (!g) return fail(cudaErrorInvalidValue);
  if (emu::fault(SGFBLO_EMU_FAULT_STREAM)) return fail(cudaErrorMemoryAllocation);
  *exec = new sgfblo_emu_graph_exec{g->nodes};
  return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s) {
  if (!exec) return fail(cudaErrorInvalidValue);
  for (const auto &node : exec->nodes) emu::enqueue(s, node);
  return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t g) {
  delete g;
  return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  delete exec;
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t *e) {
  *e = new sgfblo_emu_event();
  return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t e) {
  delete e;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s) {
  emu::enqueue(s, [e]() { e->t = std::chrono::steady_clock::now(); });
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t e) {
  (void)e;
  return emu::check_sync(nullptr);
}

cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t end) {
  *ms = std::chrono::duration<float, std::milli>(end->t - start->t).count();
  return cudaSuccess;
}

cudaError_t cudaFuncSetAttribute(const void *func, enum cudaFuncAttribute attr, int value) {
  (void)func;
  if (attr == cudaFuncAttributeMaxDynamicSharedMemorySize && (value < 0 || value > emu::kSharedOptin))
    return fail(cudaErrorInvalidValue);
  return cudaSuccess;
}

cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int *blocks, const void *func,
                                                          int threads, size_t smem) {
  (void)func;
  *blocks = threads <= 1024 && smem <= (size_t)emu::kSharedOptin ? 1 : 0;
  return cudaSuccess;
}

static CUresult emu_mem_get_address_range(CUdeviceptr *base, size_t *size, CUdeviceptr p) {
  std::lock_guard<std::mutex> lock(emu::mem_mutex);
  uintptr_t b;
  size_t n;
  if (!emu::find_alloc(emu::device_allocs, (const void *)p, &b, &n)) return CUDA_ERROR_NOT_FOUND;
  *base = b;
  *size = n;
  return CUDA_SUCCESS;
}

cudaError_t cudaGetDriverEntryPoint(const char *symbol, void **fn, unsigned long long flags,
                                    enum cudaDriverEntryPointQueryResult *status) {
  (void)flags;
  *fn = nullptr;
  *status = cudaDriverEntryPointSymbolNotFound;
  if (std::strcmp(symbol, "cuMemGetAddressRange") == 0) {
    *fn = (void *)&emu_mem_get_address_range;
    *status = cudaDriverEntryPointSuccess;
  }
  return cudaSuccess;
}

cudaError_t cudaGetDriverEntryPointByVersion(const char *symbol, void **fn, unsigned version,
                                             unsigned long long flags,
                                             enum cudaDriverEntryPointQueryResult *status) {
  (void)version;
  return cudaGetDriverEntryPoint(symbol, fn, flags, status);
}

}  // extern "C"
