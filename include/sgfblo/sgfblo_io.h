/**
 * @file sgfblo_io.h
 * @brief Strict reader and writer of NumPy .npy files, and conversions of the arrays they hold.
 *
 * Only what the library needs is supported: little-endian float64, float32, int32, int64 and
 * uint8 arrays of 1 to 4 dimensions in C (row-major) order. Anything else is rejected with
 * SGFBLO_ERR_FORMAT and a message that names the file and the offending part of the header.
 * Nothing here prints; every failure is a status plus a message in the caller's sgfblo_errmsg.
 */
#ifndef SGFBLO_SGFBLO_IO_H
#define SGFBLO_SGFBLO_IO_H

#include <stdint.h>

#include "sgfblo/sgfblo.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Element type of an sgfblo_array; the comments give the .npy descr of each. */
typedef enum {
  SGFBLO_DTYPE_F64 = 0, /**< double,   '<f8' */
  SGFBLO_DTYPE_F32,     /**< float,    '<f4' */
  SGFBLO_DTYPE_I32,     /**< int32_t,  '<i4' */
  SGFBLO_DTYPE_I64,     /**< int64_t,  '<i8' */
  SGFBLO_DTYPE_U8       /**< uint8_t,  '|u1' (also read as '<u1') */
} sgfblo_dtype;

/** Most dimensions an sgfblo_array can have. */
#define SGFBLO_ARRAY_MAXDIM 4

/** A dense host array in C (row-major) order, as read from or written to a .npy file. */
typedef struct {
  sgfblo_dtype dtype;                 /**< element type */
  int ndim;                           /**< number of dimensions, 1..SGFBLO_ARRAY_MAXDIM */
  int64_t shape[SGFBLO_ARRAY_MAXDIM]; /**< extent of each dimension (>= 0); unused ones are 0 */
  int64_t size;                       /**< number of elements: the product of the shape */
  void *data;                         /**< size elements of dtype, host memory (malloc'd when
                                           returned by the library; release with
                                           sgfblo_array_free) */
} sgfblo_array;

/**
 * Read a .npy file (format versions 1.0, 2.0 and 3.0).
 *
 * Accepted: descr '<f8', '<f4', '<i4', '<i8', '|u1' or '<u1'; fortran_order False; a shape
 * tuple of 1 to 4 non-negative dimensions. The header must be a dict with exactly the keys
 * 'descr', 'fortran_order' and 'shape', padded with spaces and ended by a newline, and the
 * file must hold exactly size * itemsize bytes after it (no more, no less).
 *
 * @param[in]  path file name
 * @param[out] out  filled on success (out->data malloc'd, host); zeroed on failure
 * @param[out] err  message on failure (may be NULL); always names the file
 * @return SGFBLO_OK; SGFBLO_ERR_NULL_ARG; SGFBLO_ERR_IO (cannot open or read: missing file,
 *         directory, read error; the message carries strerror); SGFBLO_ERR_FORMAT (empty or
 *         short file, bad magic, unsupported version, malformed header, big-endian or
 *         unsupported dtype, fortran_order True, 0-d/negative/too many/overflowing shape,
 *         header length past the end of the file, truncated data, trailing bytes);
 *         SGFBLO_ERR_ALLOC
 */
SGFBLO_API sgfblo_status sgfblo_npy_read(const char *path, sgfblo_array *out, sgfblo_errmsg *err);

/**
 * Write an array as a version 1.0 .npy file (little-endian, C order, header padded so that the
 * data starts at a multiple of 64 bytes). A partly written file is removed on failure.
 *
 * @param[in] path file name (created or truncated)
 * @param[in] a    array to write: valid dtype, ndim 1..4, non-negative shape whose product is
 *                 a->size, a->data non-NULL when size > 0 (host)
 * @param[out] err message on failure (may be NULL)
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG (inconsistent array),
 *         SGFBLO_ERR_IO (open, write or close failed; strerror in the message)
 */
SGFBLO_API sgfblo_status sgfblo_npy_write(const char *path, const sgfblo_array *a,
                                          sgfblo_errmsg *err);

/**
 * Convert any array to a new sgfblo_real array of a->size elements (same order).
 * Integer dtypes are converted too. NaN or Inf (present in the array, or produced by the
 * conversion, e.g. 1e300 into a float build) is rejected, naming the flat index and, for
 * ndim >= 2, the multi-index.
 *
 * @param[in]  a   array (host), consistent as for sgfblo_npy_write
 * @param[out] out malloc'd copy (host; at least one element is allocated even when size is 0);
 *                 set to NULL on failure. The caller frees it.
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG, SGFBLO_ERR_NONFINITE,
 *         SGFBLO_ERR_ALLOC
 */
SGFBLO_API sgfblo_status sgfblo_array_to_real(const sgfblo_array *a, sgfblo_real **out,
                                              sgfblo_errmsg *err);

/**
 * Convert a 1-D integer array (I32, I64 or U8) of class labels to int32_t, checking that each
 * lies in [0, num_classes).
 *
 * @param[in]  a           labels (host)
 * @param[in]  num_classes number of classes, 1..INT32_MAX
 * @param[out] out         malloc'd labels (host; at least one element allocated); NULL on
 *                         failure. The caller frees it.
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG (float dtype, ndim != 1,
 *         num_classes out of range, a label out of range: the message names its index),
 *         SGFBLO_ERR_ALLOC
 */
SGFBLO_API sgfblo_status sgfblo_array_to_labels(const sgfblo_array *a, int64_t num_classes,
                                                int32_t **out, sgfblo_errmsg *err);

/** Free a->data and zero *a. NULL-safe; safe on a zeroed array. */
SGFBLO_API void sgfblo_array_free(sgfblo_array *a);

#ifdef __cplusplus
}
#endif
#endif /* SGFBLO_SGFBLO_IO_H */
