/* sgfblo's host emulation (emu/README.md): the driver entry-point type the backend looks up
   (cudaGetDriverEntryPointByVersion gives the emulation's own cuMemGetAddressRange). */
#ifndef SGFBLO_EMU_CUDATYPEDEFS_H
#define SGFBLO_EMU_CUDATYPEDEFS_H

#include <stddef.h>

#include "cuda.h"

typedef CUresult (*PFN_cuMemGetAddressRange_v3020)(CUdeviceptr *base, size_t *size,
                                                    CUdeviceptr p);

#endif /* SGFBLO_EMU_CUDATYPEDEFS_H */
