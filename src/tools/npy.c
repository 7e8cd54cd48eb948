/* Strict .npy reader/writer (format described in numpy's numpy/lib/format.py) and the
   conversions of its arrays to sgfblo_real features and int32 labels. */
#define _POSIX_C_SOURCE 200809L /* fstat, fileno */

#include "sgfblo/sgfblo_io.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "tools/file_open.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64

/* ------------------------------------------------------------------ dtypes -- */

static size_t dtype_size(sgfblo_dtype t) {
  switch (t) {
    case SGFBLO_DTYPE_F64: return 8;
    case SGFBLO_DTYPE_F32: return 4;
    case SGFBLO_DTYPE_I32: return 4;
    case SGFBLO_DTYPE_I64: return 8;
    case SGFBLO_DTYPE_U8: return 1;
  }
  return 0;
}

static const char *dtype_descr(sgfblo_dtype t) {
  switch (t) {
    case SGFBLO_DTYPE_F64: return "<f8";
    case SGFBLO_DTYPE_F32: return "<f4";
    case SGFBLO_DTYPE_I32: return "<i4";
    case SGFBLO_DTYPE_I64: return "<i8";
    case SGFBLO_DTYPE_U8: return "|u1";
  }
  return "?";
}

static int host_is_little_endian(void) {
  const uint16_t one = 1;
  unsigned char b;
  memcpy(&b, &one, 1);
  return b == 1;
}

/* Reverse the bytes of each element in place (only used on a big-endian host). */
static void byteswap(void *data, int64_t n, size_t w) {
  unsigned char *p = data;
  if (w < 2) return;
  for (int64_t i = 0; i < n; ++i, p += w)
    for (size_t a = 0, b = w - 1; a < b; ++a, --b) {
      const unsigned char t = p[a];
      p[a] = p[b];
      p[b] = t;
    }
}

/* Consistency of an in-memory array: dtype, ndim, shape, size, data. */
static sgfblo_status check_array(const sgfblo_array *a, sgfblo_errmsg *err) {
  if (dtype_size(a->dtype) == 0)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "array: unknown dtype %d", (int)a->dtype);
  if (a->ndim < 1 || a->ndim > SGFBLO_ARRAY_MAXDIM)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "array: ndim must be in 1..%d (got %d)",
                       SGFBLO_ARRAY_MAXDIM, a->ndim);
  int64_t size = 1;
  for (int i = 0; i < a->ndim; ++i) {
    if (a->shape[i] < 0)
      return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "array: shape[%d] is negative (%lld)", i,
                         (long long)a->shape[i]);
    if (a->shape[i] > 0 && size > INT64_MAX / a->shape[i])
      return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "array: shape product overflows");
    size *= a->shape[i];
  }
  if (size != a->size)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                       "array: size %lld differs from the product of its shape (%lld)",
                       (long long)a->size, (long long)size);
  if ((uint64_t)size > SIZE_MAX / dtype_size(a->dtype))
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "array: too large for this platform");
  if (size > 0 && !a->data)
    return sgfblo_fail(err, SGFBLO_ERR_NULL_ARG, "array: data is NULL but size is %lld",
                       (long long)size);
  return SGFBLO_OK;
}

/* ---------------------------------------------------------- header parser -- */

typedef struct {
  const char *s; /* NUL-terminated header text */
  size_t pos;
  const char *path;
  sgfblo_errmsg *err;
} hparser;

static void skip_ws(hparser *p) {
  while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t') ++p->pos;
}

static sgfblo_status hfail(hparser *p, const char *what) {
  size_t len = strlen(p->s); /* quote the header without its padding and newline */
  while (len > 0 && (p->s[len - 1] == ' ' || p->s[len - 1] == '\n')) --len;
  return sgfblo_fail(p->err, SGFBLO_ERR_FORMAT, "%s: npy header: %s at column %zu of \"%.*s\"",
                     p->path, what, p->pos, (int)(len < 400 ? len : 400), p->s);
}

/* A Python string literal in ' or " without escapes; copied into buf (cap bytes). */
static sgfblo_status parse_string(hparser *p, char *buf, size_t cap) {
  const char q = p->s[p->pos];
  if (q != '\'' && q != '"') return hfail(p, "expected a quoted string");
  size_t n = 0;
  ++p->pos;
  while (p->s[p->pos] != q) {
    const char c = p->s[p->pos];
    if (c == '\0' || c == '\n') return hfail(p, "unterminated string");
    if (c == '\\') return hfail(p, "escapes in strings are not supported");
    if (n + 1 >= cap) return hfail(p, "string too long");
    buf[n++] = c;
    ++p->pos;
  }
  buf[n] = '\0';
  ++p->pos;
  return SGFBLO_OK;
}

static sgfblo_status parse_bool(hparser *p, int *out) {
  if (strncmp(p->s + p->pos, "True", 4) == 0) {
    *out = 1;
    p->pos += 4;
  } else if (strncmp(p->s + p->pos, "False", 5) == 0) {
    *out = 0;
    p->pos += 5;
  } else {
    return hfail(p, "fortran_order must be True or False");
  }
  return SGFBLO_OK;
}

/* Non-negative decimal integer; a sign or an overflow is an error. */
static sgfblo_status parse_dim(hparser *p, int64_t *out) {
  if (p->s[p->pos] == '-') return hfail(p, "negative dimension in shape");
  if (p->s[p->pos] < '0' || p->s[p->pos] > '9') return hfail(p, "expected a dimension in shape");
  int64_t v = 0;
  while (p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
    const int d = p->s[p->pos] - '0';
    if (v > (INT64_MAX - d) / 10) return hfail(p, "dimension overflows int64 in shape");
    v = v * 10 + d;
    ++p->pos;
  }
  *out = v;
  return SGFBLO_OK;
}

/* A Python tuple of 1..SGFBLO_ARRAY_MAXDIM dimensions: "(3,)", "(3, 4)", "(3, 4,)". */
static sgfblo_status parse_shape(hparser *p, int *ndim, int64_t *shape) {
  sgfblo_status st = SGFBLO_OK;
  int n = 0, trailing_comma = 0;
  if (p->s[p->pos] != '(') return hfail(p, "shape must be a tuple");
  ++p->pos;
  skip_ws(p);
  while (p->s[p->pos] != ')') {
    if (n == SGFBLO_ARRAY_MAXDIM) {
      return sgfblo_fail(p->err, SGFBLO_ERR_FORMAT,
                         "%s: npy header: shape has more than %d dimensions (\"%s\")", p->path,
                         SGFBLO_ARRAY_MAXDIM, p->s);
    }
    if ((st = parse_dim(p, &shape[n])) != SGFBLO_OK) return st;
    ++n;
    skip_ws(p);
    trailing_comma = 0;
    if (p->s[p->pos] == ',') {
      trailing_comma = 1;
      ++p->pos;
      skip_ws(p);
    } else if (p->s[p->pos] != ')') {
      return hfail(p, "expected ',' or ')' in shape");
    }
  }
  ++p->pos;
  if (n == 0)
    return sgfblo_fail(p->err, SGFBLO_ERR_FORMAT, "%s: 0-d arrays (shape ()) are not supported",
                       p->path);
  if (n == 1 && !trailing_comma) return hfail(p, "a 1-element shape needs a trailing comma");
  *ndim = n;
  return SGFBLO_OK;
}

static sgfblo_status descr_to_dtype(const char *path, const char *d, sgfblo_dtype *out,
                                    sgfblo_errmsg *err) {
  static const struct {
    const char *descr;
    sgfblo_dtype t;
  } known[] = {{"<f8", SGFBLO_DTYPE_F64}, {"<f4", SGFBLO_DTYPE_F32}, {"<i4", SGFBLO_DTYPE_I32},
               {"<i8", SGFBLO_DTYPE_I64}, {"|u1", SGFBLO_DTYPE_U8},  {"<u1", SGFBLO_DTYPE_U8}};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; ++i)
    if (strcmp(d, known[i].descr) == 0) {
      *out = known[i].t;
      return SGFBLO_OK;
    }
  if (d[0] == '>')
    return sgfblo_fail(err, SGFBLO_ERR_FORMAT,
                       "%s: big-endian dtype '%s' is not supported (save as little-endian, "
                       "e.g. a.astype('<%s'))",
                       path, d, d + 1);
  return sgfblo_fail(err, SGFBLO_ERR_FORMAT,
                     "%s: unsupported dtype '%s' (supported: <f8 <f4 <i4 <i8 |u1)", path, d);
}

/* Parse the header dict; the text must end with '\n', with only spaces between '}' and it. */
static sgfblo_status parse_header(const char *path, const char *text, sgfblo_array *out,
                                  sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  hparser p = {text, 0, path, err};
  int have_descr = 0, have_fortran = 0, have_shape = 0, fortran = 0;
  char key[32], descr[32];

  skip_ws(&p);
  if (text[p.pos] != '{') return hfail(&p, "header is not a dict");
  ++p.pos;
  for (;;) {
    skip_ws(&p);
    if (text[p.pos] == '}') break;
    if ((st = parse_string(&p, key, sizeof key)) != SGFBLO_OK) return st;
    skip_ws(&p);
    if (text[p.pos] != ':') return hfail(&p, "expected ':'");
    ++p.pos;
    skip_ws(&p);
    if (strcmp(key, "descr") == 0 && !have_descr) {
      if (text[p.pos] == '[') return hfail(&p, "structured dtypes are not supported");
      if ((st = parse_string(&p, descr, sizeof descr)) != SGFBLO_OK) return st;
      have_descr = 1;
    } else if (strcmp(key, "fortran_order") == 0 && !have_fortran) {
      if ((st = parse_bool(&p, &fortran)) != SGFBLO_OK) return st;
      have_fortran = 1;
    } else if (strcmp(key, "shape") == 0 && !have_shape) {
      if ((st = parse_shape(&p, &out->ndim, out->shape)) != SGFBLO_OK) return st;
      have_shape = 1;
    } else {
      return sgfblo_fail(err, SGFBLO_ERR_FORMAT, "%s: npy header: unexpected or repeated key '%s'",
                         path, key);
    }
    skip_ws(&p);
    if (text[p.pos] == ',') {
      ++p.pos;
    } else if (text[p.pos] != '}') {
      return hfail(&p, "expected ',' or '}'");
    }
  }
  ++p.pos;
  while (text[p.pos] == ' ') ++p.pos;
  if (text[p.pos] != '\n' || text[p.pos + 1] != '\0')
    return hfail(&p, "header must end with space padding and a newline");
  if (!have_descr || !have_fortran || !have_shape)
    return sgfblo_fail(err, SGFBLO_ERR_FORMAT, "%s: npy header lacks the key '%s'", path,
                       !have_descr     ? "descr"
                       : !have_fortran ? "fortran_order"
                                       : "shape");
  if (fortran)
    return sgfblo_fail(err, SGFBLO_ERR_FORMAT,
                       "%s: fortran_order True is not supported (save a C-ordered array, "
                       "e.g. np.ascontiguousarray(a))",
                       path);
  return descr_to_dtype(path, descr, &out->dtype, err);
}

/* ------------------------------------------------------------------ reader -- */

static uint32_t le_u32(const unsigned char *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

sgfblo_status sgfblo_npy_read(const char *path, sgfblo_array *out, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  FILE *f = NULL;
  char *header = NULL;
  sgfblo_array a;
  memset(&a, 0, sizeof a);
  sgfblo_err_clear(err);
  if (out) memset(out, 0, sizeof *out);
  if (!path || !out) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "npy_read: path and out are required");

  uint64_t file_size;
  SGFBLO_TRY(sgfblo_file_open_input(path, &f, &file_size, err));

  /* Fixed prefix: magic (6), version (2), header length (2 in v1, 4 in v2/v3). */
  unsigned char pre[12];
  if (file_size < 10)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: too short for an npy file (%llu bytes)", path,
                (unsigned long long)file_size);
  if (fread(pre, 1, 8, f) != 8)
    SGFBLO_FAIL(err, SGFBLO_ERR_IO, "%s: read failed: %s", path, strerror(errno));
  if (memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: not an npy file (bad magic string)", path);
  const int major = pre[6], minor = pre[7];
  if (major < 1 || major > 3 || minor != 0)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT,
                "%s: unsupported npy format version %d.%d (supported: 1.0, 2.0, 3.0)", path, major,
                minor);
  const size_t len_bytes = major == 1 ? 2 : 4;
  if (file_size < 8 + len_bytes)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: too short for an npy file (%llu bytes)", path,
                (unsigned long long)file_size);
  if (fread(pre + 8, 1, len_bytes, f) != len_bytes)
    SGFBLO_FAIL(err, SGFBLO_ERR_IO, "%s: read failed: %s", path, strerror(errno));
  const uint64_t hlen = major == 1 ? (uint64_t)pre[8] | (uint64_t)pre[9] << 8 : le_u32(pre + 8);
  const uint64_t data_start = 8 + len_bytes + hlen;
  if (hlen == 0) SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: npy header length is 0", path);
  if (data_start > file_size)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT,
                "%s: npy header length %llu runs past the end of the file (%llu bytes)", path,
                (unsigned long long)hlen, (unsigned long long)file_size);

  header = malloc((size_t)hlen + 1);
  if (!header) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: cannot allocate the header", path);
  if (fread(header, 1, (size_t)hlen, f) != (size_t)hlen)
    SGFBLO_FAIL(err, SGFBLO_ERR_IO, "%s: read failed: %s", path, strerror(errno));
  header[hlen] = '\0';
  for (uint64_t i = 0; i < hlen; ++i) {
    const unsigned char c = (unsigned char)header[i];
    if (c != '\n' && (c < 0x20 || c > 0x7e))
      SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT,
                  "%s: npy header has a non-printable byte 0x%02x at offset %llu", path, c,
                  (unsigned long long)i);
  }
  SGFBLO_TRY(parse_header(path, header, &a, err));

  const size_t w = dtype_size(a.dtype);
  a.size = 1;
  for (int i = 0; i < a.ndim; ++i) {
    if (a.shape[i] > 0 && a.size > INT64_MAX / a.shape[i])
      SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: npy shape is too large (element count overflows)",
                  path);
    a.size *= a.shape[i];
  }
  if ((uint64_t)a.size > (uint64_t)INT64_MAX / w || (uint64_t)a.size > SIZE_MAX / w)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: npy shape is too large (byte count overflows)", path);
  const uint64_t want = (uint64_t)a.size * w, have = file_size - data_start;
  if (have < want)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: truncated: expected %llu data bytes, found %llu", path,
                (unsigned long long)want, (unsigned long long)have);
  if (have > want)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT,
                "%s: %llu extra bytes after the data (expected exactly %llu data bytes)", path,
                (unsigned long long)(have - want), (unsigned long long)want);

  a.data = malloc(want > 0 ? (size_t)want : 1);
  if (!a.data)
    SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: cannot allocate %llu bytes", path,
                (unsigned long long)want);
  if (fread(a.data, 1, (size_t)want, f) != (size_t)want)
    SGFBLO_FAIL(err, SGFBLO_ERR_IO, "%s: read of the data failed: %s", path,
                ferror(f) ? strerror(errno) : "file shrank while reading");
  if (!host_is_little_endian()) byteswap(a.data, a.size, w);
  *out = a;
  a.data = NULL;

cleanup:
  if (f) fclose(f);
  free(header);
  free(a.data);
  return st;
}

/* ------------------------------------------------------------------ writer -- */

sgfblo_status sgfblo_npy_write(const char *path, const sgfblo_array *a, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  FILE *f = NULL;
  int created = 0;
  void *swapped = NULL;
  char header[256];
  sgfblo_err_clear(err);
  if (!path || !a) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "npy_write: path and a are required");
  SGFBLO_TRY(check_array(a, err));

  /* "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }" as numpy writes it. */
  char shape[128];
  int sl = 0;
  for (int i = 0; i < a->ndim; ++i)
    sl += snprintf(shape + sl, sizeof shape - (size_t)sl, i ? " %lld," : "%lld,",
                   (long long)a->shape[i]);
  if (a->ndim > 1) shape[sl - 1] = '\0'; /* numpy drops the trailing comma for ndim > 1 */
  int hl =
      snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
               dtype_descr(a->dtype), shape);
  /* Pad with spaces so that magic + version + length + header + '\n' is a multiple of 64. */
  const int total = 10 + hl + 1;
  const int pad = (NPY_ALIGN - total % NPY_ALIGN) % NPY_ALIGN;
  memset(header + hl, ' ', (size_t)pad);
  hl += pad;
  header[hl++] = '\n';

  f = fopen(path, "wb");
  if (!f) SGFBLO_FAIL(err, SGFBLO_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
  created = 1;
  unsigned char pre[10];
  memcpy(pre, NPY_MAGIC, NPY_MAGIC_LEN);
  pre[6] = 1;
  pre[7] = 0;
  pre[8] = (unsigned char)(hl & 0xff);
  pre[9] = (unsigned char)(hl >> 8);
  const size_t w = dtype_size(a->dtype), bytes = (size_t)a->size * w;
  const void *data = a->data;
  if (!host_is_little_endian() && bytes > 0) {
    swapped = malloc(bytes);
    if (!swapped) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: cannot allocate %zu bytes", path, bytes);
    memcpy(swapped, a->data, bytes);
    byteswap(swapped, a->size, w);
    data = swapped;
  }
  if (fwrite(pre, 1, sizeof pre, f) != sizeof pre ||
      fwrite(header, 1, (size_t)hl, f) != (size_t)hl ||
      (bytes > 0 && fwrite(data, 1, bytes, f) != bytes))
    SGFBLO_FAIL(err, SGFBLO_ERR_IO, "%s: write failed: %s", path, strerror(errno));
  const int rc = fclose(f);
  f = NULL;
  if (rc != 0) SGFBLO_FAIL(err, SGFBLO_ERR_IO, "%s: close failed: %s", path, strerror(errno));

cleanup:
  if (f) fclose(f);
  if (st != SGFBLO_OK && created) remove(path);
  free(swapped);
  return st;
}

/* -------------------------------------------------------------- conversion -- */

/* "index 7" or "index 7 = (2, 1)" for the message of a bad element. */
static void format_index(const sgfblo_array *a, int64_t flat, char *buf, size_t cap) {
  int n = snprintf(buf, cap, "index %lld", (long long)flat);
  if (a->ndim < 2 || n < 0 || (size_t)n >= cap) return;
  int64_t idx[SGFBLO_ARRAY_MAXDIM];
  int64_t r = flat;
  for (int i = a->ndim - 1; i >= 0; --i) {
    idx[i] = a->shape[i] > 0 ? r % a->shape[i] : 0;
    r = a->shape[i] > 0 ? r / a->shape[i] : 0;
  }
  for (int i = 0; i < a->ndim && (size_t)n < cap; ++i)
    n += snprintf(buf + n, cap - (size_t)n, "%s%lld%s", i ? ", " : " = (", (long long)idx[i],
                  i == a->ndim - 1 ? ")" : "");
}

sgfblo_status sgfblo_array_to_real(const sgfblo_array *a, sgfblo_real **out, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_real *r = NULL;
  char where[96];
  sgfblo_err_clear(err);
  if (out) *out = NULL;
  if (!a || !out) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "array_to_real: a and out are required");
  SGFBLO_TRY(check_array(a, err));
  if ((uint64_t)a->size > SIZE_MAX / sizeof *r)
    SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "array_to_real: %lld elements do not fit in memory",
                (long long)a->size);
  r = malloc(sizeof *r * (size_t)(a->size > 0 ? a->size : 1));
  if (!r)
    SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "array_to_real: cannot allocate %lld elements",
                (long long)a->size);
  for (int64_t i = 0; i < a->size; ++i) {
    double v = 0;
    switch (a->dtype) {
      case SGFBLO_DTYPE_F64: v = ((const double *)a->data)[i]; break;
      case SGFBLO_DTYPE_F32: v = ((const float *)a->data)[i]; break;
      case SGFBLO_DTYPE_I32: v = ((const int32_t *)a->data)[i]; break;
      case SGFBLO_DTYPE_I64: v = (double)((const int64_t *)a->data)[i]; break;
      case SGFBLO_DTYPE_U8: v = ((const uint8_t *)a->data)[i]; break;
    }
    r[i] = (sgfblo_real)v;
    if (!isfinite(r[i])) {
      format_index(a, i, where, sizeof where);
      if (isfinite(v))
        SGFBLO_FAIL(err, SGFBLO_ERR_NONFINITE, "value %g at %s overflows sgfblo_real", v, where);
      SGFBLO_FAIL(err, SGFBLO_ERR_NONFINITE, "non-finite value (%g) at %s", v, where);
    }
  }
  *out = r;
  r = NULL;

cleanup:
  free(r);
  return st;
}

sgfblo_status sgfblo_array_to_labels(const sgfblo_array *a, int64_t num_classes, int32_t **out,
                                     sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  int32_t *lab = NULL;
  sgfblo_err_clear(err);
  if (out) *out = NULL;
  if (!a || !out) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "array_to_labels: a and out are required");
  SGFBLO_TRY(check_array(a, err));
  if (a->dtype != SGFBLO_DTYPE_I32 && a->dtype != SGFBLO_DTYPE_I64 && a->dtype != SGFBLO_DTYPE_U8)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "labels must have an integer dtype (int32, int64 or uint8), got '%s'",
                dtype_descr(a->dtype));
  if (a->ndim != 1)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "labels must be 1-D, got %d dimensions", a->ndim);
  if (num_classes < 1 || num_classes > INT32_MAX)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "num_classes must be in 1..%d (got %lld)", INT32_MAX,
                (long long)num_classes);
  lab = malloc(sizeof *lab * (size_t)(a->size > 0 ? a->size : 1));
  if (!lab)
    SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "array_to_labels: cannot allocate %lld labels",
                (long long)a->size);
  for (int64_t i = 0; i < a->size; ++i) {
    int64_t v = 0;
    switch (a->dtype) {
      case SGFBLO_DTYPE_I32: v = ((const int32_t *)a->data)[i]; break;
      case SGFBLO_DTYPE_I64: v = ((const int64_t *)a->data)[i]; break;
      case SGFBLO_DTYPE_U8: v = ((const uint8_t *)a->data)[i]; break;
      default: break;
    }
    if (v < 0 || v >= num_classes)
      SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "label %lld at index %lld is outside [0, %lld)",
                  (long long)v, (long long)i, (long long)num_classes);
    lab[i] = (int32_t)v;
  }
  *out = lab;
  lab = NULL;

cleanup:
  free(lab);
  return st;
}

void sgfblo_array_free(sgfblo_array *a) {
  if (!a) return;
  free(a->data);
  memset(a, 0, sizeof *a);
}
