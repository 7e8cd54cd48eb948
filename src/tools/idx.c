/* IDX files (the MNIST distribution format): big-endian magic 0x0000TTNN (TT = 0x08 for
   unsigned bytes, NN = number of dimensions), NN big-endian uint32 dimensions, then the data.
   Read through zlib, which also reads uncompressed files as they are. */
#define _POSIX_C_SOURCE 200809L /* fstat, fileno */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "core/error.h"
#include "tools/file_open.h"
#include "sgfblo/sgfblo_data.h"

#define IDX_UBYTE 0x08
#define IDX_CHUNK (1 << 20)

static uint32_t be_u32(const unsigned char *b) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

static void put_be_u32(unsigned char *b, uint32_t v) {
  b[0] = (unsigned char)(v >> 24);
  b[1] = (unsigned char)(v >> 16);
  b[2] = (unsigned char)(v >> 8);
  b[3] = (unsigned char)v;
}

/* Read up to len bytes; *got is what arrived. Errors of the stream become a status. */
static sgfblo_status gz_read_some(gzFile gz, const char *path, void *buf, size_t len, size_t *got,
                                  sgfblo_errmsg *err) {
  *got = 0;
  while (*got < len) {
    const size_t want = len - *got < IDX_CHUNK ? len - *got : IDX_CHUNK;
    const int r = gzread(gz, (unsigned char *)buf + *got, (unsigned)want);
    if (r < 0) {
      int errnum = Z_OK;
      const char *msg = gzerror(gz, &errnum);
      if (errnum == Z_ERRNO)
        return sgfblo_fail(err, SGFBLO_ERR_IO, "%s: read failed: %s", path, strerror(errno));
      /* zlib prefixes its message with the path: drop that copy. */
      const size_t pl = strlen(path);
      if (strncmp(msg, path, pl) == 0 && msg[pl] == ':' && msg[pl + 1] == ' ') msg += pl + 2;
      return sgfblo_fail(err, SGFBLO_ERR_FORMAT, "%s: corrupt gzip data: %s", path, msg);
    }
    if (r == 0) break;
    *got += (size_t)r;
  }
  return SGFBLO_OK;
}

/* " (gzip stream ends early)" when zlib hit the end of a compressed stream before its end. */
static const char *gz_early_end(gzFile gz) {
  int errnum = Z_OK;
  gzerror(gz, &errnum);
  return errnum == Z_BUF_ERROR ? " (gzip stream ends early)" : "";
}

/*
 * Read an unsigned-byte IDX file of ndim dimensions: dims[0..ndim) and the data (malloc'd,
 * exactly prod(dims) bytes). kind names the file's role in messages ("images", "labels").
 */
static sgfblo_status read_idx_u8(const char *path, int ndim, const char *kind, int64_t *dims,
                                 uint8_t **data, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  FILE *f = NULL;
  gzFile gz = NULL;
  uint8_t *buf = NULL;
  unsigned char head[4 + 4 * 3];
  *data = NULL;

  /* Open with stdio first: a clear strerror for a missing file, the size, the gzip magic. */
  uint64_t file_size;
  SGFBLO_TRY(sgfblo_file_open_input(path, &f, &file_size, err));
  unsigned char m2[2] = {0, 0};
  const size_t nm = fread(m2, 1, 2, f);
  const int gzipped = nm == 2 && m2[0] == 0x1f && m2[1] == 0x8b;
  fclose(f);
  f = NULL;

  errno = 0;
  gz = gzopen(path, "rb");
  if (!gz)
    SGFBLO_FAIL(err, errno ? SGFBLO_ERR_IO : SGFBLO_ERR_ALLOC, "%s: cannot open: %s", path,
                errno ? strerror(errno) : "zlib out of memory");
  size_t got;
  const size_t hlen = 4 + 4 * (size_t)ndim;
  SGFBLO_TRY(gz_read_some(gz, path, head, hlen, &got, err));
  if (got < 4)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: too short for an IDX file (%zu bytes%s)", path, got,
                gzipped ? " after decompression" : "");
  const uint32_t magic = be_u32(head), want_magic = (uint32_t)IDX_UBYTE << 8 | (uint32_t)ndim;
  if (magic != want_magic) {
    const int looks_idx = (magic >> 16) == 0 && ((magic >> 8) & 0xff) == IDX_UBYTE;
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT,
                "%s: bad magic 0x%08x (expected 0x%08x: IDX %s, unsigned bytes, %d dimension%s)%s",
                path, (unsigned)magic, (unsigned)want_magic, kind, ndim, ndim > 1 ? "s" : "",
                !looks_idx            ? ""
                : (magic & 0xff) == 1 ? "; this looks like a label file"
                : (magic & 0xff) == 3 ? "; this looks like an image file"
                                      : "");
  }
  if (got < hlen)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: truncated IDX header (%zu of %zu bytes)%s", path, got,
                hlen, gz_early_end(gz));
  uint64_t want = 1;
  for (int i = 0; i < ndim; ++i) {
    const uint32_t v = be_u32(head + 4 + 4 * i);
    if (v == 0) SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: IDX dimension %d is 0", path, i);
    if (want > (uint64_t)INT64_MAX / v)
      SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: IDX dimensions are too large", path);
    want *= v;
    dims[i] = v;
  }
  if (want > SIZE_MAX - 1)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: IDX dimensions are too large", path);
  if (!gzipped) {
    /* Exact length known up front: no allocation for a file that cannot be right. */
    const uint64_t have = file_size - hlen;
    if (have < want)
      SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: truncated: expected %llu data bytes, found %llu",
                  path, (unsigned long long)want, (unsigned long long)have);
    if (have > want)
      SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT,
                  "%s: %llu extra bytes after the data (expected exactly %llu data bytes)", path,
                  (unsigned long long)(have - want), (unsigned long long)want);
  }

  /* Grow the buffer as data arrives, so a lying header in a small gzip file cannot make us
     allocate gigabytes up front. */
  size_t cap = want < IDX_CHUNK ? (size_t)want : IDX_CHUNK, total = 0;
  buf = malloc(cap);
  if (!buf) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: cannot allocate %zu bytes", path, cap);
  for (;;) {
    SGFBLO_TRY(gz_read_some(gz, path, buf + total, cap - total, &got, err));
    total += got;
    if (total < cap || cap == want) break;
    const size_t ncap = cap > (size_t)want / 2 ? (size_t)want : 2 * cap;
    uint8_t *nb = realloc(buf, ncap);
    if (!nb) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: cannot allocate %zu bytes", path, ncap);
    buf = nb;
    cap = ncap;
  }
  if (total < want)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: truncated: expected %llu data bytes, found %zu%s",
                path, (unsigned long long)want, total, gz_early_end(gz));
  /* Anything after the data (counted, for the message), and a complete gzip trailer. */
  {
    unsigned char scratch[4096];
    uint64_t extra = 0;
    do {
      SGFBLO_TRY(gz_read_some(gz, path, scratch, sizeof scratch, &got, err));
      extra += got;
    } while (got == sizeof scratch);
    if (extra > 0)
      SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT,
                  "%s: %llu extra bytes after the data (expected exactly %llu data bytes)", path,
                  (unsigned long long)extra, (unsigned long long)want);
    if (gzipped && gz_early_end(gz)[0])
      SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: gzip stream ends early (missing trailer)", path);
  }
  *data = buf;
  buf = NULL;

cleanup:
  if (f) fclose(f);
  if (gz) gzclose(gz);
  free(buf);
  return st;
}

sgfblo_status sgfblo_idx_read_images(const char *path, sgfblo_real **pixels, int64_t *n,
                                     int64_t *rows, int64_t *cols, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  uint8_t *raw = NULL;
  sgfblo_real *px = NULL;
  int64_t dims[3] = {0, 0, 0};
  sgfblo_err_clear(err);
  if (pixels) *pixels = NULL;
  if (!path || !pixels || !n)
    SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "idx_read_images: path, pixels and n are required");
  SGFBLO_TRY(read_idx_u8(path, 3, "images", dims, &raw, err));
  const int64_t count = dims[0] * dims[1] * dims[2];
  if ((uint64_t)count > SIZE_MAX / sizeof *px)
    SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: %lld pixels do not fit in memory", path,
                (long long)count);
  px = malloc(sizeof *px * (size_t)count);
  if (!px)
    SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: cannot allocate %lld pixels", path, (long long)count);
  for (int64_t i = 0; i < count; ++i) px[i] = (sgfblo_real)(raw[i] / 255.0);
  *pixels = px;
  px = NULL;
  *n = dims[0];
  if (rows) *rows = dims[1];
  if (cols) *cols = dims[2];

cleanup:
  free(raw);
  free(px);
  return st;
}

sgfblo_status sgfblo_idx_read_labels(const char *path, int32_t **labels, int64_t *n,
                                     sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  uint8_t *raw = NULL;
  int32_t *lab = NULL;
  int64_t dims[1] = {0};
  sgfblo_err_clear(err);
  if (labels) *labels = NULL;
  if (!path || !labels || !n)
    SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "idx_read_labels: path, labels and n are required");
  SGFBLO_TRY(read_idx_u8(path, 1, "labels", dims, &raw, err));
  lab = malloc(sizeof *lab * (size_t)dims[0]);
  if (!lab)
    SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: cannot allocate %lld labels", path, (long long)dims[0]);
  for (int64_t i = 0; i < dims[0]; ++i) lab[i] = raw[i];
  *labels = lab;
  lab = NULL;
  *n = dims[0];

cleanup:
  free(raw);
  free(lab);
  return st;
}

/* Write magic, dims and data; remove the file if anything fails. */
static sgfblo_status write_idx_u8(const char *path, int ndim, const int64_t *dims,
                                  const uint8_t *data, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  FILE *f = NULL;
  int created = 0;
  unsigned char head[4 + 4 * 3];
  uint64_t bytes = 1;
  for (int i = 0; i < ndim; ++i) {
    if (dims[i] < 1 || dims[i] > (int64_t)UINT32_MAX)
      SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "%s: IDX dimension %d must be in 1..%lu (got %lld)",
                  path, i, (unsigned long)UINT32_MAX, (long long)dims[i]);
    put_be_u32(head + 4 + 4 * i, (uint32_t)dims[i]);
    if (bytes > SIZE_MAX / (uint64_t)dims[i])
      SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "%s: IDX dimensions are too large", path);
    bytes *= (uint64_t)dims[i];
  }
  put_be_u32(head, (uint32_t)IDX_UBYTE << 8 | (uint32_t)ndim);
  f = fopen(path, "wb");
  if (!f) SGFBLO_FAIL(err, SGFBLO_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
  created = 1;
  const size_t hlen = 4 + 4 * (size_t)ndim;
  if (fwrite(head, 1, hlen, f) != hlen || fwrite(data, 1, (size_t)bytes, f) != (size_t)bytes)
    SGFBLO_FAIL(err, SGFBLO_ERR_IO, "%s: write failed: %s", path, strerror(errno));
  const int rc = fclose(f);
  f = NULL;
  if (rc != 0) SGFBLO_FAIL(err, SGFBLO_ERR_IO, "%s: close failed: %s", path, strerror(errno));

cleanup:
  if (f) fclose(f);
  if (st != SGFBLO_OK && created) remove(path);
  return st;
}

sgfblo_status sgfblo_idx_write_images(const char *path, const uint8_t *pixels, int64_t n,
                                      int64_t rows, int64_t cols, sgfblo_errmsg *err) {
  sgfblo_err_clear(err);
  if (!path || !pixels)
    return sgfblo_fail(err, SGFBLO_ERR_NULL_ARG, "idx_write_images: path and pixels are required");
  const int64_t dims[3] = {n, rows, cols};
  return write_idx_u8(path, 3, dims, pixels, err);
}

sgfblo_status sgfblo_idx_write_labels(const char *path, const uint8_t *labels, int64_t n,
                                      sgfblo_errmsg *err) {
  sgfblo_err_clear(err);
  if (!path || !labels)
    return sgfblo_fail(err, SGFBLO_ERR_NULL_ARG, "idx_write_labels: path and labels are required");
  const int64_t dims[1] = {n};
  return write_idx_u8(path, 1, dims, labels, err);
}
