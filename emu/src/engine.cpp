// The kernel engine of the host emulation (emu.h): grids run block after block on the
// calling thread; a block's threads run one after another, or, for launches that synchronise,
// as fibers that switch at __syncthreads() and at the warp shuffles; the order of blocks and
// of threads alternates (backwards), so that a missing barrier shows. A fiber starts on its own
// stack through ucontext (makecontext, setcontext) and from then on switches with
// _setjmp/_longjmp, which save no signal mask: a warp shuffle is 32 switches, and a ucontext
// switch's system call on each made the parity suite ten times slower. Under AddressSanitizer
// every switch is announced to it (start/finish_switch_fiber), so that it knows which stack is
// live and its checks cover the kernels too (their shared and device memory are host
// allocations it watches). Its interceptor of _longjmp makes a system call (sigaltstack) on
// every jump, which makes kernels with barriers about twenty times slower than without it.
#undef _FORTIFY_SOURCE  // its longjmp check refuses jumps between stacks, which these are
#include <setjmp.h>
#include <ucontext.h>

#if defined(__SANITIZE_ADDRESS__)
#define EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMU_ASAN 1
#endif
#endif
#ifdef EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "cuda_runtime.h"

thread_local SGFBLO_EMU_CONSTINIT dim3 threadIdx, blockIdx, blockDim, gridDim;

namespace emu {
namespace {

// Stack of one fiber: the kernels here keep a few kB of locals.
constexpr size_t kStack = 256 * 1024;

// Stack switches told to AddressSanitizer (no-ops without it). Before a switch:
// asan_leave(where to keep this side's fake stack, the stack going to); on arrival:
// asan_enter(the fake stack kept, where to store the stack come from, or NULL). A fiber that
// ends leaves with NULL: its fake stack is freed.
#ifdef EMU_ASAN
inline void asan_leave(void **save, const void *bottom, size_t size) {
  __sanitizer_start_switch_fiber(save, bottom, size);
}
inline void asan_enter(void *save, const void **from_bottom, size_t *from_size) {
  __sanitizer_finish_switch_fiber(save, from_bottom, from_size);
}
#else
inline void asan_leave(void **, const void *, size_t) {}
inline void asan_enter(void *, const void **, size_t *) {}
#endif

enum fiber_state { RUNNABLE, WAITING, DONE };

struct fiber {
  ucontext_t ctx;  // its start
  jmp_buf resume;  // where it waits, once started
  char *stack = nullptr;
  void *asan_save = nullptr;  // its fake stack while the scheduler runs
  bool started = false;
  fiber_state state = RUNNABLE;
  int wait_on = -1;        // -1: the block barrier; w >= 0: warp w's barrier
  unsigned long wait_gen = 0;
};

// One block being run: its fibers (or none, sequentially), barriers, exchange buffers and
// dynamic shared memory.
struct block_run {
  bool sync = false;
  int threads = 0;
  const std::function<void()> *body = nullptr;
  jmp_buf scheduler;         // where a fiber returns to the scheduler
  void *asan_save = nullptr;  // the scheduler's fake stack while a fiber runs
  const void *sched_bottom = nullptr;  // the scheduler's stack, as AddressSanitizer saw it
  size_t sched_size = 0;
  std::vector<fiber> fibers;
  int current = 0;
  int arrived = 0;  // at the block barrier
  unsigned long gen = 0;
  std::vector<int> warp_arrived;
  std::vector<unsigned long> warp_gen;
  // Two exchange slots per lane, used in turn by a lane's successive shuffles: a lane writes
  // a half only after the barrier of the shuffle between, which every lane of its warp
  // passes after reading that half.
  std::vector<double> slots;
  std::vector<unsigned char> flip;
  std::vector<std::max_align_t> smem;
  unsigned long order = 0;  // picks the thread order of each round (backwards)
  bool misuse = false;  // a barrier in a launch without SYNC, or a fiber that could not start
};

// The bounds the linker gives the section of the static __shared__ variables of every kernel
// linked in (emu.h). Weak: a program with none has no such section.
extern "C" char __start_sgfblo_emu_shared[] __attribute__((weak));
extern "C" char __stop_sgfblo_emu_shared[] __attribute__((weak));

// NaN bytes over those variables, before a block starts.
void poison_static_shared() {
  char *begin = __start_sgfblo_emu_shared, *end = __stop_sgfblo_emu_shared;
  if (begin && end > begin) std::memset(begin, 0xff, (size_t)(end - begin));
}

thread_local block_run *cur = nullptr;
thread_local unsigned long launches = 0;  // launches run on this thread, for the orders
thread_local std::vector<std::unique_ptr<char[]>> stacks;  // reused across launches

// Whether the threads of a block (or the blocks of a grid) run from the last to the first. A
// GPU gives no order; here it alternates between launches, between the blocks of a launch
// and between the rounds of a block's fibers (from one barrier to the next), so that a
// thread reading what another writes without a barrier between them reads it too early in
// one of the two orders, and the tests that compare with the CPU see it.
bool backwards(unsigned long k) { return (k & 1) != 0; }

void fiber_entry() {
  block_run *b = cur;
  asan_enter(nullptr, &b->sched_bottom, &b->sched_size);
  (*b->body)();
  b->fibers[(size_t)b->current].state = DONE;
  asan_leave(nullptr, b->sched_bottom, b->sched_size);
  _longjmp(b->scheduler, 1);  // never returns: the scheduler's frame is the live one
}

// The calling fiber waits at a barrier of (arrived, gen) for n arrivals; the last one
// releases the others and goes on.
void arrive(int &arrived, unsigned long &gen, int n, int wait_on) {
  block_run *b = cur;
  if (!b->sync) {
    b->misuse = true;  // no other thread can arrive: go on, and fail the launch
    return;
  }
  if (++arrived == n) {
    arrived = 0;
    ++gen;
    return;
  }
  fiber &f = b->fibers[(size_t)b->current];
  f.state = WAITING;
  f.wait_on = wait_on;
  f.wait_gen = gen;
  asan_leave(&f.asan_save, b->sched_bottom, b->sched_size);
  if (_setjmp(f.resume) == 0) _longjmp(b->scheduler, 1);
  asan_enter(f.asan_save, nullptr, nullptr);
}

bool released(const block_run &b, const fiber &f) {
  return (f.wait_on < 0 ? b.gen : b.warp_gen[(size_t)f.wait_on]) != f.wait_gen;
}

// Run fiber f until it waits or ends. Apart from the scheduler's loop, so that no local of
// the loop lives in the frame that _setjmp returns to twice.
__attribute__((noinline)) void resume(block_run &b, fiber &f) {
  if (_setjmp(b.scheduler) != 0) {
    asan_enter(b.asan_save, nullptr, nullptr);
    return;
  }
  if (!f.started) {
    f.started = true;
    asan_leave(&b.asan_save, f.stack, kStack);
    setcontext(&f.ctx);  // returns only when it fails: the launch fails
    asan_enter(b.asan_save, nullptr, nullptr);
    f.state = DONE;
    b.misuse = true;
    return;
  }
  asan_leave(&b.asan_save, f.stack, kStack);
  _longjmp(f.resume, 1);
}

// Run the fibers of the block until all are done; false when they deadlock.
bool schedule(block_run &b) {
  const int n = b.threads;
  while (stacks.size() < (size_t)n) stacks.emplace_back(new char[kStack]);
  b.fibers.assign((size_t)n, fiber());
  for (int t = 0; t < n; ++t) {
    fiber &f = b.fibers[(size_t)t];
    getcontext(&f.ctx);
    f.stack = stacks[(size_t)t].get();
    f.ctx.uc_stack.ss_sp = f.stack;
    f.ctx.uc_stack.ss_size = kStack;
    f.ctx.uc_link = nullptr;  // fiber_entry never returns
    makecontext(&f.ctx, fiber_entry, 0);
  }
  int done = 0;
  for (unsigned long round = 0; done < n; ++round) {
    bool progress = false;
    const bool reverse = backwards(b.order + round);
    for (int i = 0; i < n; ++i) {
      const int t = reverse ? n - 1 - i : i;
      fiber &f = b.fibers[(size_t)t];
      if (f.state == DONE || (f.state == WAITING && !released(b, f))) continue;
      f.state = RUNNABLE;
      b.current = t;
      threadIdx = dim3((unsigned)t);
      resume(b, f);
      progress = true;
      if (f.state == DONE) ++done;
    }
    if (!progress) return false;
  }
  return true;
}

}  // namespace

cudaError_t run_grid(dim3 grid, dim3 block, size_t smem, bool sync,
                     const std::function<void()> &body) {
  block_run *outer = cur;  // a kernel never launches another, but stay reentrant
  cudaError_t result = cudaSuccess;
  const int n = (int)block.x, warps = (n + 31) / 32;
  gridDim = grid;
  blockDim = block;
  const unsigned long launch = launches++;
  const bool blocks_backwards = backwards(launch / 2);
  for (unsigned k = 0; k < grid.x && result == cudaSuccess; ++k) {
    const unsigned g = blocks_backwards ? grid.x - 1 - k : k;
    block_run b;
    b.order = launch + g;
    b.sync = sync;
    b.threads = n;
    b.body = &body;
    b.warp_arrived.assign((size_t)warps, 0);
    b.warp_gen.assign((size_t)warps, 0);
    b.slots.assign((size_t)warps * 64, 0.0);
    b.flip.assign((size_t)n, 0);
    b.smem.resize(smem / sizeof(std::max_align_t) + 1);
    // NaN bytes, as the device memory (runtime.cpp): a GPU's shared memory starts with
    // whatever was there, so a kernel that reads what it did not write shows.
    std::memset(static_cast<void *>(b.smem.data()), 0xff, b.smem.size() * sizeof(std::max_align_t));
    poison_static_shared();
    cur = &b;
    blockIdx = dim3(g);
    if (sync) {
      if (!schedule(b)) result = cudaErrorLaunchFailure;
    } else {
      const bool reverse = backwards(b.order);
      for (int i = 0; i < n; ++i) {
        const int t = reverse ? n - 1 - i : i;
        b.current = t;
        threadIdx = dim3((unsigned)t);
        body();
      }
    }
    if (b.misuse) result = cudaErrorLaunchFailure;
  }
  cur = outer;
  return result;
}

void syncthreads() { arrive(cur->arrived, cur->gen, cur->threads, -1); }

double shfl_xor(double v, int lane_mask) {
  block_run *b = cur;
  const int t = (int)threadIdx.x, lane = t % 32, warp = t / 32;
  const int in_warp = b->threads - 32 * warp < 32 ? b->threads - 32 * warp : 32;
  double *half = &b->slots[(size_t)warp * 64 + 32 * b->flip[(size_t)t]];
  b->flip[(size_t)t] ^= 1;
  half[lane] = v;
  arrive(b->warp_arrived[(size_t)warp], b->warp_gen[(size_t)warp], in_warp, warp);
  return half[lane ^ lane_mask];
}

unsigned char *dynamic_smem() { return reinterpret_cast<unsigned char *>(cur->smem.data()); }

}  // namespace emu
