/* sgfblo's host emulation (emu/README.md): the driver types the backend names. */
#ifndef SGFBLO_EMU_CUDA_H
#define SGFBLO_EMU_CUDA_H

#include <stdint.h>

typedef uintptr_t CUdeviceptr;
typedef enum cudaError_enum { CUDA_SUCCESS = 0, CUDA_ERROR_NOT_FOUND = 500 } CUresult;

#endif /* SGFBLO_EMU_CUDA_H */
