// sgfblo's host emulation (emu/README.md), C++ side: what CUDA device code and kernel launches
// need, so that the .cu files of kernels/ compile with the host C++ compiler.
//
// A launch runs on the calling thread when its stream runs it. Kernels launched with
// SGFBLO_LAUNCH (no barriers) run their threads one after another; with SGFBLO_LAUNCH_SYNC
// each thread of a block is a fiber (ucontext) and __syncthreads() and the warp shuffles switch
// between them, so every thread of a block (every lane of a warp) must reach each barrier, as
// on a GPU: a block whose fibers all wait without release ends the launch with
// cudaErrorLaunchFailure. The threads of a block, and the blocks of a grid, run in an order
// that alternates between forwards and backwards (engine.cpp), so that a missing barrier
// shows. __shared__ variables are static (one per kernel, shared by the block's fibers;
// blocks run one after another) and the dynamic shared memory is a buffer per block: both
// are NaN bytes when a block starts. Kernels run from one host thread at a time.
#ifndef SGFBLO_EMU_EMU_H
#define SGFBLO_EMU_EMU_H

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// Static, in a section of their own, which the engine fills with NaN bytes before each block
// (engine.cpp): a GPU's shared memory starts with whatever was there, not with the previous
// block's values.
#define __shared__ static __attribute__((section("sgfblo_emu_shared")))
#define __align__(n) alignas(n)

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};

// Constant-initialised, which the declaration says (GCC's __constinit, clang's attribute): so
// no TLS wrapper function guards each use. GCC 12's UndefinedBehaviorSanitizer misjudges that
// wrapper's result as a null pointer (its null check reuses the flags of the wrapper's own
// test), which fails every kernel under the sanitizers.
#if defined(__clang__)
#define SGFBLO_EMU_CONSTINIT [[clang::require_constant_initialization]]
#elif defined(__GNUC__)
#define SGFBLO_EMU_CONSTINIT __constinit
#else
#define SGFBLO_EMU_CONSTINIT
#endif
extern thread_local SGFBLO_EMU_CONSTINIT dim3 threadIdx, blockIdx, blockDim, gridDim;

namespace emu {

// Run body() as a grid of grid.x blocks of block.x threads with smem bytes of dynamic shared
// memory, now, on this thread; sync: as fibers (see above). Returns cudaSuccess or the error
// of a launch that went wrong (a barrier no thread block released, a barrier in a kernel
// launched without SYNC).
cudaError_t run_grid(dim3 grid, dim3 block, size_t smem, bool sync,
                     const std::function<void()> &body);

// Validate a launch and run it on stream s, or record it there while s captures; an invalid
// configuration becomes the error cudaGetLastError returns.
void submit(cudaStream_t s, dim3 grid, dim3 block, size_t smem, bool sync,
            std::function<void()> body);

void syncthreads();
double shfl_xor(double v, int lane_mask);
unsigned char *dynamic_smem();

// A launch of kernel (a callable that forwards to the __global__ function, so that its
// template arguments are deduced from the call's, as for <<<...>>>) with the call's
// arguments, copied as a launch copies them.
template <class F>
struct launcher {
  F kernel;
  dim3 grid, block;
  size_t smem;
  cudaStream_t stream;
  bool sync;
  template <class... A>
  void operator()(A &&...a) const {
    auto args = std::make_tuple(std::decay_t<A>(std::forward<A>(a))...);
    auto k = kernel;
    submit(stream, grid, block, smem, sync, [k, args]() { std::apply(k, args); });
  }
};

template <class F>
launcher<F> launch(dim3 grid, dim3 block, size_t smem, cudaStream_t s, bool sync, F kernel) {
  return launcher<F>{kernel, grid, block, smem, s, sync};
}

}  // namespace emu

#define SGFBLO_EMU_KERNEL(...) \
  [=](auto &&...sgfblo_emu_args_) {                                         \
    __VA_ARGS__(std::forward<decltype(sgfblo_emu_args_)>(sgfblo_emu_args_)...); \
  }
#define SGFBLO_LAUNCH(g, b, s, st, ...) \
  ::emu::launch((g), (b), (s), (st), false, SGFBLO_EMU_KERNEL(__VA_ARGS__))
#define SGFBLO_LAUNCH_SYNC(g, b, s, st, ...) \
  ::emu::launch((g), (b), (s), (st), true, SGFBLO_EMU_KERNEL(__VA_ARGS__))
#define SGFBLO_DYNAMIC_SMEM() (::emu::dynamic_smem())

// The runtime's overloads for kernels (C++): the emulation needs no function identity.
template <class R, class... P>
inline cudaError_t cudaFuncSetAttribute(R (*kernel)(P...), enum cudaFuncAttribute attr, int value) {
  (void)kernel;
  return cudaFuncSetAttribute(static_cast<const void *>(nullptr), attr, value);
}
template <class R, class... P>
inline cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int *blocks, R (*kernel)(P...),
                                                                 int threads, size_t smem) {
  (void)kernel;
  return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, static_cast<const void *>(nullptr),
                                                       threads, smem);
}

inline void __syncthreads() { emu::syncthreads(); }

template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask) {
  (void)mask;
  return (T)emu::shfl_xor((double)v, lane_mask);
}

// One thread of a block runs at a time: plain read-modify-writes are atomic here.
inline unsigned long long atomicAdd(unsigned long long *p, unsigned long long v) {
  const unsigned long long old = *p;
  *p = old + v;
  return old;
}
inline unsigned long long atomicMin(unsigned long long *p, unsigned long long v) {
  const unsigned long long old = *p;
  if (v < old) *p = v;
  return old;
}

#endif  // SGFBLO_EMU_EMU_H
