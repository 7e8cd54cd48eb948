/**
 * @file sgfblo_hyperclean.h
 * @brief Built-in problem: data hyper-cleaning (paper §4.2, MATH.md "Problem 2").
 *
 * Training set A (N x d, row-major) with possibly corrupted labels b_i in [0, C); validation
 * set Av (Nv x d) with labels. Upper variable x in R^N (one weight sigma(x_i) per training
 * sample); lower variable y in R^{d x C}, a linear classifier stored ROW-MAJOR
 * (y[j*C + k] is the weight of feature j for class k), so m = d*C.
 *
 *     Z = A y,  P = softmax(Z) row-wise,  CE_i = logsumexp(z_i) - z_{i,b_i}
 *     g(x, y) = (1/N) sum_i sigma(x_i) CE_i + lambda ||y||_F^2
 *     f(y)    = (1/Nv) sum_j CE_j(Av y)            (no x term: grad_x f = 0)
 *
 * The object owns deep copies of the data and every workspace the oracles need, so the
 * oracles never allocate. Because the workspaces are shared, one object (and every
 * sgfblo_problem filled from it) must be used by one thread at a time; create one object
 * per thread to evaluate concurrently. On the CUDA backend also by one solver at a time: two
 * solvers (two streams) that alternate steps on one object would overlap on its device
 * workspaces; give each solver its own object, or finish one solve before the next starts.
 *
 * Compiles as C11 and as C++. Include sgfblo/sgfblo.h first or let this header do it.
 */
#ifndef SGFBLO_SGFBLO_HYPERCLEAN_H
#define SGFBLO_SGFBLO_HYPERCLEAN_H

#include "sgfblo/sgfblo.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * How an instance's CUDA copy runs each product with A (or Av): M X, row-wise work, M^T R.
 */
typedef enum {
  /** The default: today the cuBLAS GEMMs (SGFBLO_HC_DEVICE_PASS_CUBLAS). */
  SGFBLO_HC_DEVICE_PASS_DEFAULT = 0,
  /** Two cuBLAS GEMMs with a row kernel between them: 3 to 5 launches, A read twice. */
  SGFBLO_HC_DEVICE_PASS_CUBLAS = 1,
  /** One row-block kernel (each block of rows of A read once: its M X, its rows and its
      share of M^T R) and a fixed-order reduction of the blocks' partial sums: 2 launches.
      Served for C <= 16 (d <= 1024 for C <= 10, d <= 512 above) where [y | v] fits the
      device's shared memory per block; other shapes keep the cuBLAS GEMMs. */
  SGFBLO_HC_DEVICE_PASS_FUSED = 2
} sgfblo_hc_device_pass;

/**
 * Input data of a hyper-cleaning instance. The four arrays are read only and live in the
 * memory space named by @c mem: host memory (the default, mem = SGFBLO_MEM_HOST = 0, so a
 * zero-initialised struct keeps the host behaviour) or, for a CUDA application, device memory
 * of CUDA device @c device_id (mem = SGFBLO_MEM_DEVICE). Either way sgfblo_hyperclean_create
 * copies them once, so the caller may free its arrays as soon as it returns. Device arrays
 * are read on the legacy default stream: work on a non-blocking stream of the application
 * that writes them must be synchronised before the call.
 */
typedef struct {
  int64_t N;                 ///< training samples, >= 1 (the upper dimension n)
  int64_t Nv;                ///< validation samples, >= 1
  int64_t d;                 ///< features per sample, >= 1
  int64_t C;                 ///< classes, >= 2 (m = d*C)
  const sgfblo_real *A;      ///< training features, N x d row-major, finite
  const int32_t *labels;     ///< training labels (possibly corrupted), length N, in [0, C)
  const sgfblo_real *Av;     ///< validation features, Nv x d row-major, finite
  const int32_t *val_labels; ///< validation labels, length Nv, in [0, C)
  double lambda;             ///< ridge weight on ||y||_F^2, finite, >= 0 (the paper: 0.001);
                             ///< g(x, .) is strongly convex only when lambda > 0
  sgfblo_memspace mem;       ///< where A, labels, Av and val_labels live: SGFBLO_MEM_HOST
                             ///< (default, 0) or SGFBLO_MEM_DEVICE (cudaMalloc'd or managed
                             ///< memory on device_id; needs a build with CUDA)
  int device_id;             ///< the CUDA device holding the arrays when mem =
                             ///< SGFBLO_MEM_DEVICE, >= 0; ignored when mem = SGFBLO_MEM_HOST
  int threads;               ///< threads the host oracles split their passes over the data
                             ///< across, in [0, 64]: 0 (default) = the BLAS's thread count
                             ///< (openblas_get_num_threads, so OPENBLAS_NUM_THREADS sets it),
                             ///< at most 64 (a pass has at most 64 chunks of rows); 1 = the
                             ///< calling thread only, the choice for one object per thread
                             ///< evaluated concurrently. The results have the same bits for
                             ///< every count. Ignored for device data
  sgfblo_hc_device_pass device_pass; ///< how the CUDA copy runs its products (default 0:
                                     ///< SGFBLO_HC_DEVICE_PASS_DEFAULT); ignored on the host
} sgfblo_hyperclean_data;

/** Owns the data copies and the oracle workspaces. Opaque. */
typedef struct sgfblo_hyperclean sgfblo_hyperclean;

/**
 * How the CUDA copy of @p hc runs its products: SGFBLO_HC_DEVICE_PASS_FUSED or
 * SGFBLO_HC_DEVICE_PASS_CUBLAS (what was asked for, or cuBLAS where the fused pass does not
 * serve the shape); SGFBLO_HC_DEVICE_PASS_DEFAULT (0) while there is no device copy (before
 * setup on the CUDA backend or sgfblo_hyperclean_to_device), in a build without CUDA, and for
 * NULL.
 */
SGFBLO_API sgfblo_hc_device_pass sgfblo_hyperclean_device_pass(const sgfblo_hyperclean *hc);

/**
 * Threads the host oracles of @p hc run their passes on, the calling thread included: the
 * count asked for (data->threads, or its default), less any worker that could not be
 * started; 1 for an instance made from device data, and for NULL.
 */
SGFBLO_API int sgfblo_hyperclean_threads(const sgfblo_hyperclean *hc);

/**
 * Validate @p data and build an instance holding deep copies of its arrays plus every
 * workspace the oracles use, so the caller may free its arrays afterwards.
 *
 * Host data (data->mem = SGFBLO_MEM_HOST): the copies and workspaces are host memory: the
 * copies (N + Nv) x d reals and N + Nv labels; workspaces (2N + Nv) x C + 2dC + 2N +
 * max(N, Nv) reals, at most min(64, 2^22 / (d*C)) x d*C reals of partial sums (one per chunk
 * of rows, so that the result does not depend on the thread count), plus min(N, 256) x
 * (d*C + d) + d*d*C reals for the dense Hyy; and data->threads - 1 worker threads, asleep
 * between passes, that the oracles split their passes over A and Av across. The device
 * copy is made later, at setup on the CUDA backend (see sgfblo_hyperclean_to_device).
 *
 * Device data (data->mem = SGFBLO_MEM_DEVICE, CUDA builds): each array must be device (or
 * managed) memory on data->device_id, and its allocation must hold the array (asked of the
 * driver; an array whose allocation size the driver cannot tell is refused). Labels and features are validated on the device, one
 * reduction per array; then the arrays are copied device to device, once, into the
 * instance's own device copy, the one sgfblo_hyperclean_to_device would make. The instance is
 * device-only: it holds NO host copy of the data and no host workspace. Device memory: the
 * copies (N + Nv) x d reals and N + Nv labels; workspaces (2N + Nv) x C + 2dC + N +
 * max(N, Nv) reals, two doubles, and a cuBLAS handle with a 32 MiB workspace (with the fused
 * passes also at most 2^23 reals of partial sums: one d x C sum per resident thread block); the dense-Hyy
 * blocks above are allocated by the first dense Hyy (SGF-Cholesky, Hyy solves by Cholesky).
 * Host memory: the object only. Its callbacks serve device memory on device_id only (setup
 * on the CUDA backend with settings.device_id = data->device_id); called with host memory
 * they refuse (return nonzero, outputs untouched), so a solver set up
 * on the CPU backend fails at setup with SGFBLO_ERR_CALLBACK. Host-side functions that read
 * the data (sgfblo_hyperclean_train_weighted and the other fixed-weight trainings, the CLI)
 * need an instance made from host data. Makes device_id current on the calling thread.
 * @param[in]  data  description of the instance (host struct; arrays in data->mem)
 * @param[out] out   new object (host); set to NULL on failure. Free with
 *                   sgfblo_hyperclean_destroy.
 * @param[out] err   message naming the offending field (and index) on failure; may be NULL
 * @return SGFBLO_OK;
 *         SGFBLO_ERR_NULL_ARG (data, out, or one of A, labels, Av, val_labels is NULL);
 *         SGFBLO_ERR_INVALID_ARG (N, Nv or d < 1, C < 2, a dimension too large for BLAS's
 *         32-bit indices, a label outside [0, C), lambda < 0, mem not a memory space,
 *         threads or device_pass out of range; device
 *         data: device_id names no device, an array that is not device memory on device_id,
 *         an allocation smaller than its array);
 *         SGFBLO_ERR_NONFINITE (a feature or lambda is NaN/Inf);
 *         SGFBLO_ERR_NO_BACKEND (device data in a build without CUDA, or no usable CUDA
 *         device);
 *         SGFBLO_ERR_ALLOC; SGFBLO_ERR_CUDA (device data: a CUDA call failed, or the driver
 *         cannot tell the size of an array's allocation)
 */
SGFBLO_API sgfblo_status sgfblo_hyperclean_create(const sgfblo_hyperclean_data *data,
                                                  sgfblo_hyperclean **out, sgfblo_errmsg *err);

/**
 * Fill *p with the oracles of this instance: n = N, m = d*C, f_val, g_val, grad_f
 * (grad_x f = 0), grad_g (either block may be NULL), hyy_mv, jyx_mv, jyxT_mv, and
 * hyy_dense (the m x m Hyy in O(N m^2) flops, for SGF-Cholesky and Hyy solves by Cholesky),
 * jyx_dense (the m x N Jyx from one pass over A, for SGF-Cholesky, which holds an m x N
 * matrix anyway; without it SGF-Cholesky would form Jyx from N products), grad_g_curv (grad_y g
 * with Jyx^T and Hyy times it, 4 GEMMs with A, for RXGF and inversion-free), curv_mv (Jyx^T v
 * and Hyy v, 2 GEMMs, for SGF-CG and SQCQP);
 * x0 = y0 = NULL (zeros),
 * x0_mem = SGFBLO_MEM_HOST, user_data = hc, prepare. Every field of *p is overwritten.
 * Each product is one or two GEMMs with A (C or 2C columns). On the host both GEMMs of a
 * product run on one block of rows of A while it is in cache, so each product reads A once
 * (grad_g_curv twice, curv_mv once); on the CUDA backend the cuBLAS GEMMs read it once per
 * GEMM, the fused passes (data->device_pass) once per product, as on the host.
 *
 * The callbacks run on host memory, and on device memory (CUDA backend) once the object has a
 * device copy: p->prepare makes it at setup (sgfblo_hyperclean_to_device on
 * settings.device_id). Handed memory they cannot serve (NULL ctx; device memory without a
 * device copy or in a build without CUDA; host memory for an instance made from device data)
 * they return nonzero without touching their outputs.
 * They write the object's workspaces (hence hc is only logically const) and never allocate:
 * one thread at a time per object.
 * @param[in]  hc  instance; must outlive every solver set up with *p
 * @param[out] p   problem to fill (host)
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG
 */
SGFBLO_API sgfblo_status sgfblo_hyperclean_problem(const sgfblo_hyperclean *hc, sgfblo_problem *p);

/**
 * Copy the data (A, Av, labels) to CUDA device device_id with device workspaces of the host
 * object's sizes and a cuBLAS handle of its own, so that the callbacks accept device memory.
 * Setup does this through problem.prepare; call it yourself to place the data ahead of setup or
 * to read the detailed message of a failure (prepare can only return a code). Idempotent for
 * one device; makes device_id current on the calling thread. sgfblo_hyperclean_destroy frees
 * the copy. An instance made from device data already has its copy, on data->device_id.
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_NO_BACKEND (built without CUDA),
 *         SGFBLO_ERR_INVALID_ARG (already on another device), SGFBLO_ERR_ALLOC, SGFBLO_ERR_CUDA
 */
SGFBLO_API sgfblo_status sgfblo_hyperclean_to_device(sgfblo_hyperclean *hc, int device_id,
                                                     sgfblo_errmsg *err);

/**
 * Read-only view of the instance's own copies of the data (for metrics and the CLI).
 * The pointers stay valid until sgfblo_hyperclean_destroy(hc). For an instance made from host
 * data, view->mem = SGFBLO_MEM_HOST, view->device_id = 0 and the pointers are its host copies
 * (even once it also has a device copy). For one made from device data, view->mem =
 * SGFBLO_MEM_DEVICE, view->device_id is its device and the pointers are its DEVICE copies:
 * do not read them on the host.
 * @param[in]  hc    instance
 * @param[out] view  filled with N, Nv, d, C, lambda, mem, device_id and pointers into hc
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG
 */
SGFBLO_API sgfblo_status sgfblo_hyperclean_get_data(const sgfblo_hyperclean *hc,
                                                    sgfblo_hyperclean_data *view);

/**
 * Mean cross-entropy and accuracy of the linear classifier y on any labelled set (training,
 * validation or test): loss = (1/count) sum_i [logsumexp(z_i) - z_{i,b_i}], z_i = a_i' y;
 * acc = fraction of samples whose largest logit (lowest class index on ties) is the label.
 * Independent of any instance; allocates a count x C scratch matrix.
 * @param[in]  count     samples, >= 1
 * @param[in]  d         features, >= 1
 * @param[in]  C         classes, >= 2
 * @param[in]  features  count x d row-major (host)
 * @param[in]  labels    length count, in [0, C) (host)
 * @param[in]  y         classifier, d x C row-major (host)
 * @param[out] loss      mean cross-entropy (host); may be NULL
 * @param[out] acc       accuracy in [0, 1] (host); may be NULL
 * @param[out] err       message on failure; may be NULL
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG (dimension or label out of
 *         range), SGFBLO_ERR_ALLOC
 */
SGFBLO_API sgfblo_status sgfblo_hyperclean_loss_acc(int64_t count, int64_t d, int64_t C,
                                                    const sgfblo_real *features,
                                                    const int32_t *labels, const sgfblo_real *y,
                                                    double *loss, double *acc,
                                                    sgfblo_errmsg *err);

/**
 * Sample weights sigma_out[i] = sigma(x[i]) = 1 / (1 + exp(-x[i])), computed without overflow
 * for any |x[i]|. sigma_out may equal x (in place).
 * @param[in]  x          length N (host)
 * @param[in]  N          >= 0
 * @param[out] sigma_out  length N (host)
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG (x or sigma_out NULL with N > 0),
 *         SGFBLO_ERR_INVALID_ARG (N < 0)
 */
SGFBLO_API sgfblo_status sgfblo_hyperclean_weights(const sgfblo_real *x, int64_t N,
                                                   sgfblo_real *sigma_out);

/** Release the object and everything it owns. NULL-safe. */
SGFBLO_API void sgfblo_hyperclean_destroy(sgfblo_hyperclean *hc);

#ifdef __cplusplus
}
#endif
#endif /* SGFBLO_SGFBLO_HYPERCLEAN_H */
