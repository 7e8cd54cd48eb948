// Shared by the sources of the host emulation: stream work.
#ifndef SGFBLO_EMU_INTERNAL_H
#define SGFBLO_EMU_INTERNAL_H

#include <functional>

#include "cuda_runtime.h"

namespace emu {

// Run work now, or record it while s captures.
void enqueue(cudaStream_t s, std::function<void()> work);

}  // namespace emu

#endif  // SGFBLO_EMU_INTERNAL_H
