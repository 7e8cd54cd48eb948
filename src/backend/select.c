/* Backend selection at setup, and the run-time availability and description queries. */
#include <stdio.h>

#include "backend/backend.h"
#include "core/error.h"
#ifdef SGFBLO_HAVE_CUDA
#include "backend/cuda_dev.h"
#endif

int sgfblo_backend_available(sgfblo_backend which) {
  switch (which) {
    case SGFBLO_BACKEND_CPU: return 1;
    case SGFBLO_BACKEND_CUDA:
#ifdef SGFBLO_HAVE_CUDA
      /* Compiled in, and the driver reports at least one device. */
      return sgfblo_cuda_device_count() >= 1;
#else
      return 0;
#endif
  }
  return 0;
}

sgfblo_status sgfblo_backend_open(sgfblo_backend which, int device_id, const sgfblo_ops **ops,
                                  sgfblo_bctx *b) {
  b->stream = NULL;
  b->impl = NULL;
  if (which == SGFBLO_BACKEND_CPU) {
    (void)device_id;
    *ops = sgfblo_cpu_ops();
    return SGFBLO_OK;
  }
#ifdef SGFBLO_HAVE_CUDA
  if (which == SGFBLO_BACKEND_CUDA) return sgfblo_cuda_open(device_id, ops, b);
#endif
  return sgfblo_fail(b->err, SGFBLO_ERR_NO_BACKEND,
                     "the CUDA backend is not compiled into this build of sgfblo %s (configure "
                     "with nvcc available and SGFBLO_ENABLE_CUDA not OFF)",
                     SGFBLO_VERSION);
}

void sgfblo_backend_make_current_quiet(const sgfblo_ops *ops, const sgfblo_bctx *b) {
  sgfblo_errmsg scratch;
  sgfblo_bctx quiet = *b;
  quiet.err = &scratch;
  (void)ops->make_current(&quiet);
}

sgfblo_status sgfblo_backend_describe(sgfblo_backend which, int device_id, char *buf, size_t len) {
  if (!buf || len == 0) return SGFBLO_ERR_NULL_ARG;
  const char *precision = sizeof(sgfblo_real) == sizeof(double) ? "float64" : "float32";
  if (which == SGFBLO_BACKEND_CPU) {
    snprintf(buf, len, "cpu, %s", precision);
    return SGFBLO_OK;
  }
#ifdef SGFBLO_HAVE_CUDA
  if (which == SGFBLO_BACKEND_CUDA) {
    char dev[160];
    const sgfblo_status st = sgfblo_cuda_describe(device_id, dev, sizeof dev);
    if (st == SGFBLO_OK)
      snprintf(buf, len, "cuda device %d: %s, %s", device_id, dev, precision);
    else
      snprintf(buf, len, "cuda device %d: %s", device_id, dev);
    return st;
  }
#endif
  (void)device_id;
  snprintf(buf, len, "backend %d is not compiled into this build", (int)which);
  return SGFBLO_ERR_NO_BACKEND;
}
