/* Backend selection at setup, and the run-time availability query. */
#include "backend/backend.h"
#include "core/error.h"

int sgfblo_backend_available(sgfblo_backend which) {
  switch (which) {
    case SGFBLO_BACKEND_CPU: return 1;
    case SGFBLO_BACKEND_CUDA: return 0; /* the CUDA backend is not built yet */
  }
  return 0;
}

sgfblo_status sgfblo_backend_open(sgfblo_backend which, int device_id, const sgfblo_ops **ops,
                                  sgfblo_bctx *b) {
  (void)device_id;
  b->stream = NULL;
  b->impl = NULL;
  if (which == SGFBLO_BACKEND_CPU) {
    *ops = sgfblo_cpu_ops();
    return SGFBLO_OK;
  }
  return sgfblo_fail(b->err, SGFBLO_ERR_NO_BACKEND,
                     "the CUDA backend is not available in this build of sgfblo %s",
                     SGFBLO_VERSION);
}
