// A host emulation of the CUDA built-ins that the kernels of kernels/*.cuh use, so that a test
// compiled by the C++ compiler (tests/test_kernels_emulated.cpp) can run them on any machine:
// each CUDA thread of a launch is an OS thread, __syncthreads() a barrier over the thread
// block, __shfl_xor_sync an exchange through a per-warp buffer and one warp barrier, and
// the dynamic shared memory a buffer per thread block. Thread blocks run one after another.
//
// What it checks: the kernels' indexing, their use of barriers and shuffles (every lane and
// thread must reach each one, as on a GPU, or the emulation hangs), their reductions and
// results. What it cannot: the device's memory model, occupancy, launch limits, timing. It
// stands in for <cuda_runtime.h> only in that test (its directory comes first on the include
// path); the real headers never see it.
#ifndef SGFBLO_TESTS_EMU_CUDA_RUNTIME_H
#define SGFBLO_TESTS_EMU_CUDA_RUNTIME_H

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__
#define __align__(n) alignas(n)

typedef void *cudaStream_t;
typedef int cudaError_t;
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
};

namespace emu {

// A reusable barrier for a fixed number of threads.
class barrier {
 public:
  explicit barrier(int n) : n_(n) {}
  void wait() {
    std::unique_lock<std::mutex> lock(m_);
    const unsigned long gen = gen_;
    if (++count_ == n_) {
      count_ = 0;
      ++gen_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return gen_ != gen; });
    }
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int n_, count_ = 0;
  unsigned long gen_ = 0;
};

// One thread block's shared state.
struct block {
  explicit block(int threads, size_t smem_bytes)
      : sync(threads), smem((smem_bytes + 15) / 16 + 1) {
    const int warps = (threads + 31) / 32;
    for (int w = 0; w < warps; ++w) warp_sync.emplace_back(new barrier(32));
    slots.assign((size_t)warps * 64, 0.0);
    flip.assign((size_t)threads, 0);
  }
  ~block() {
    for (barrier *b : warp_sync) delete b;
  }
  barrier sync;
  std::vector<barrier *> warp_sync;
  // Two per lane, used in turn by a lane's successive shuffles: what a shuffle exchanges
  // (exact for float too). A lane writes one half only after the barrier of the shuffle
  // between, which every lane reaches after reading that half, so one barrier a shuffle
  // suffices.
  std::vector<double> slots;
  std::vector<unsigned char> flip; // per thread: the half its next shuffle uses
  struct alignas(16) chunk {
    unsigned char b[16];
  };
  std::vector<chunk> smem;
};

inline thread_local block *current = nullptr;

}  // namespace emu

inline thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;

inline void __syncthreads() { emu::current->sync.wait(); }

// The warp's lanes exchange v; every lane of the warp must call it (full mask), as the
// kernels here do.
template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask) {
  (void)mask;
  const int lane = (int)threadIdx.x % 32, warp = (int)threadIdx.x / 32;
  emu::block &b = *emu::current;
  double *half = &b.slots[(size_t)warp * 64 + 32 * b.flip[threadIdx.x]];
  b.flip[threadIdx.x] ^= 1;
  half[lane] = (double)v;
  b.warp_sync[warp]->wait();
  return (T)half[lane ^ lane_mask];
}

#define SGFBLO_DYNAMIC_SMEM() (reinterpret_cast<unsigned char *>(emu::current->smem.data()))

namespace emu {

// Run body() as a launch of grid x threads with smem_bytes of dynamic shared memory: thread
// blocks one after another, the threads of each concurrently.
template <class F>
void launch(int grid, int threads, size_t smem_bytes, F body) {
  for (int g = 0; g < grid; ++g) {
    block b(threads, smem_bytes);
    std::vector<std::thread> pool;
    pool.reserve((size_t)threads);
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        current = &b;
        threadIdx.x = (unsigned)t;
        blockIdx.x = (unsigned)g;
        blockDim.x = (unsigned)threads;
        gridDim.x = (unsigned)grid;
        body();
      });
    for (std::thread &th : pool) th.join();
  }
}

}  // namespace emu

#endif  // SGFBLO_TESTS_EMU_CUDA_RUNTIME_H
