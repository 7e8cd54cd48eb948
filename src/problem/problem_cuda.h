/* Device halves of the built-in problems (compiled only when SGFBLO_HAVE_CUDA): a device copy
   of an instance's data plus the workspaces its device callbacks use, created at setup time by
   sgfblo_synthetic_to_device / sgfblo_hyperclean_to_device (directly, or through the problems'
   prepare hook that sgfblo_solver_setup calls) and freed by the instance's destroy.

   The device callbacks enqueue on the solver's stream only: cuBLAS for the products with the
   data matrices, kernels/ for the rest; they never allocate or synchronise, except the value
   callbacks, whose result is a host scalar. Each returns 0 or SGFBLO_PROBLEM_CB_CUDA.
   No CUDA header here: the CUDA calls go through backend/cuda_dev.h. */
#ifndef SGFBLO_PROBLEM_PROBLEM_CUDA_H
#define SGFBLO_PROBLEM_PROBLEM_CUDA_H

#include "sgfblo/sgfblo.h"

#ifdef SGFBLO_HAVE_CUDA

/* ------------------------------------------------------------- synthetic -- */

typedef struct sgfblo_synth_dev sgfblo_synth_dev;

/** Device copies of H (n x n row-major), G = H^T H, c, d on device_id, a cuBLAS handle and
    an n-vector of scratch. */
sgfblo_status sgfblo_synth_dev_create(int64_t n, const sgfblo_real *H, const sgfblo_real *G,
                                      const sgfblo_real *c, const sgfblo_real *d, int device_id,
                                      sgfblo_synth_dev **out, sgfblo_errmsg *err);
void sgfblo_synth_dev_destroy(sgfblo_synth_dev *D);
int sgfblo_synth_dev_device(const sgfblo_synth_dev *D);
/** Why the copy's last device callback failed ("" before any failure). */
const char *sgfblo_synth_dev_detail(const sgfblo_synth_dev *D);

int sgfblo_synth_dev_f_val(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                           sgfblo_real *out, void *stream);
int sgfblo_synth_dev_g_val(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                           sgfblo_real *out, void *stream);
int sgfblo_synth_dev_grad_f(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                            sgfblo_real *gx, sgfblo_real *gy, void *stream);
int sgfblo_synth_dev_grad_g(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                            sgfblo_real *gx, sgfblo_real *gy, void *stream);
int sgfblo_synth_dev_hyy(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                         const sgfblo_real *v, sgfblo_real *out, void *stream);
int sgfblo_synth_dev_jyx(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                         const sgfblo_real *u, sgfblo_real *out, void *stream);
int sgfblo_synth_dev_jyxT(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                          const sgfblo_real *v, sgfblo_real *out, void *stream);
int sgfblo_synth_dev_hyy_dense(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                               sgfblo_real *out, void *stream);
int sgfblo_synth_dev_jyx_dense(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                               sgfblo_real *out, void *stream);

/* ------------------------------------------------------------ hyperclean -- */

struct sgfblo_hyperclean;
typedef struct sgfblo_hc_dev sgfblo_hc_dev;

/** Device copies on device_id of the arrays of src (A, Av, labels, val_labels; host or
    device memory as src->mem says, copied once and synchronously, so the source may be freed
    afterwards), the device workspaces (the host object's sizes) and a cuBLAS handle.
    Dimensions, nb and lambda come from hc; src must already be validated. */
sgfblo_status sgfblo_hc_dev_create(const struct sgfblo_hyperclean *hc,
                                   const sgfblo_hyperclean_data *src, int device_id,
                                   sgfblo_hc_dev **out, sgfblo_errmsg *err);
/** Validation of device input (src->mem = SGFBLO_MEM_DEVICE, dimensions and NULLs already
    checked): a usable device_id, each array device memory on it with an allocation large
    enough, labels in [0, C) and finite features, checked on the device. Makes device_id
    current. Messages and codes as the host validation, plus the number of bad entries.
    @return SGFBLO_OK, SGFBLO_ERR_NO_BACKEND (no usable device), SGFBLO_ERR_INVALID_ARG,
            SGFBLO_ERR_NONFINITE, SGFBLO_ERR_ALLOC, SGFBLO_ERR_CUDA */
sgfblo_status sgfblo_hc_dev_check_input(const sgfblo_hyperclean_data *src, sgfblo_errmsg *err);
/** view's array pointers become the device copies, mem = SGFBLO_MEM_DEVICE, device_id. */
void sgfblo_hc_dev_data(const sgfblo_hc_dev *D, sgfblo_hyperclean_data *view);
void sgfblo_hc_dev_destroy(sgfblo_hc_dev *D);
int sgfblo_hc_dev_device(const sgfblo_hc_dev *D);
/* 1 when D runs the fused row-block passes, 0 when cuBLAS GEMMs (and for NULL). */
int sgfblo_hc_dev_fused(const sgfblo_hc_dev *D);
/** Why the copy's last device callback failed ("" before any failure). */
const char *sgfblo_hc_dev_detail(const sgfblo_hc_dev *D);

int sgfblo_hc_dev_f_val(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                        sgfblo_real *out, void *stream);
int sgfblo_hc_dev_g_val(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                        sgfblo_real *out, void *stream);
int sgfblo_hc_dev_grad_f(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                         sgfblo_real *gx, sgfblo_real *gy, void *stream);
int sgfblo_hc_dev_grad_g(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                         sgfblo_real *gx, sgfblo_real *gy, void *stream);
int sgfblo_hc_dev_hyy(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                      const sgfblo_real *v, sgfblo_real *out, void *stream);
int sgfblo_hc_dev_jyx(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                      const sgfblo_real *u, sgfblo_real *out, void *stream);
int sgfblo_hc_dev_jyxT(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                       const sgfblo_real *v, sgfblo_real *out, void *stream);
int sgfblo_hc_dev_curv(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                       const sgfblo_real *v, sgfblo_real *qx, sgfblo_real *qy, void *stream);
int sgfblo_hc_dev_grad_g_curv(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                              sgfblo_real *gy, sgfblo_real *qx, sgfblo_real *qy, void *stream);
int sgfblo_hc_dev_jyx_dense(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                            sgfblo_real *out, void *stream);
int sgfblo_hc_dev_hyy_dense(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                            sgfblo_real *out, void *stream);

/** 0 when code is 0; else the device call's name (`call` up to its parenthesis), place and
    error into detail (len bytes) and SGFBLO_PROBLEM_CB_CUDA (SGFBLO_ERR_ALLOC when memory ran
    out): how a device callback reports which of its calls failed ("sgfblo_cuda_gemm_on
    (hyperclean_cuda.c:226) failed: CUBLAS_STATUS_EXECUTION_FAILED, ..."). */
int sgfblo_problem_cuda_check(char *detail, size_t len, int code, const char *call,
                              const char *file, int line);

/* In a device copy's functions (a `D` with an `sgfblo_errmsg detail` in scope): 0, or
   SGFBLO_PROBLEM_CB_CUDA (SGFBLO_ERR_ALLOC) with the failing call named in D->detail. */
#define SGFBLO_CB(expr) \
  sgfblo_problem_cuda_check(D->detail.msg, sizeof D->detail.msg, (expr), #expr, __FILE__, __LINE__)
#define SGFBLO_CB_TRY(expr)              \
  do {                                   \
    const int cb_rc_ = SGFBLO_CB(expr);  \
    if (cb_rc_ != 0) return cb_rc_;      \
  } while (0)

/** Into ctx->detail (when the library gave one): text, or why there is no device copy. */
void sgfblo_problem_cuda_say(const sgfblo_eval_ctx *ctx, const char *text);

/** The device copy behind a device-memory call of a built-in callback: returns from the
    callback with the device result, or SGFBLO_PROBLEM_CB_NOT_ON_DEVICE when the instance has
    none; on a failure the copy's words for it (detail_of(dev)) go to ctx->detail. Expands to
    nothing in a build without CUDA (the host guard then refuses). */
#define SGFBLO_DEVICE_CALL(ctx, dev_of, detail_of, fn, ...)                    \
  do {                                                                         \
    if ((ctx) && (ctx)->mem == SGFBLO_MEM_DEVICE) {                            \
      void *dev_ = (ctx)->user_data ? (void *)dev_of((ctx)->user_data) : NULL; \
      if (!dev_) {                                                             \
        sgfblo_problem_cuda_say((ctx), NULL);                                  \
        return SGFBLO_PROBLEM_CB_NOT_ON_DEVICE;                                \
      }                                                                        \
      const int rc_ = fn(dev_, __VA_ARGS__, (ctx)->stream);                    \
      if (rc_ != 0) sgfblo_problem_cuda_say((ctx), detail_of(dev_));           \
      return rc_;                                                              \
    }                                                                          \
  } while (0)

#else
#define SGFBLO_DEVICE_CALL(ctx, dev_of, detail_of, fn, ...) ((void)0)
#endif /* SGFBLO_HAVE_CUDA */

#endif /* SGFBLO_PROBLEM_PROBLEM_CUDA_H */
