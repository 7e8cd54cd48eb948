/* Fault injection of the host emulation (emu/README.md), for tests of the CUDA backend's error
   paths: make one chosen call of the runtime, cuBLAS or cuSOLVER fail as it can on a GPU (out
   of memory, a launch refused, a library call failing), and see that sgfblo reports it as a
   status with a message and gives every device byte back. Calls are counted per kind from the
   last reset; arming an index makes that call fail once. C and C++. */
#ifndef SGFBLO_EMU_FAULTS_H
#define SGFBLO_EMU_FAULTS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  SGFBLO_EMU_FAULT_ALLOC,  /* cudaMalloc, cudaMallocManaged, cudaMallocHost: out of memory */
  SGFBLO_EMU_FAULT_LAUNCH, /* a kernel launch: cudaErrorLaunchOutOfResources */
  SGFBLO_EMU_FAULT_STREAM, /* cudaStreamCreate(WithFlags), cudaGraphInstantiate: out of memory */
  SGFBLO_EMU_FAULT_BLAS,   /* cublasCreate (ALLOC_FAILED), GEMM/GEMV/SYRK (EXECUTION_FAILED) */
  SGFBLO_EMU_FAULT_SOLVER, /* cusolverDnCreate (ALLOC_FAILED), potrf/potrs and their buffer
                              sizes (EXECUTION_FAILED) */
  SGFBLO_EMU_FAULT_KINDS
} sgfblo_emu_fault_kind;

/* Counts back to zero, nothing armed. */
void sgfblo_emu_fault_reset(void);
/* Call `index` (0 for the first after the reset) of that kind fails; -1 disarms. */
void sgfblo_emu_fault_arm(sgfblo_emu_fault_kind kind, long index);
/* Calls of that kind since the reset. */
long sgfblo_emu_fault_calls(sgfblo_emu_fault_kind kind);
/* Whether the armed call of that kind was reached (and failed). */
int sgfblo_emu_fault_fired(sgfblo_emu_fault_kind kind);

#ifdef __cplusplus
}

namespace emu {
// Counts a call of that kind; true when it is the armed one, which must then fail.
bool fault(sgfblo_emu_fault_kind kind);
}  // namespace emu
#endif

#endif /* SGFBLO_EMU_FAULTS_H */
