#define _POSIX_C_SOURCE 200809L /* fileno, fstat */
#include "tools/file_open.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"

sgfblo_status sgfblo_file_open_input(const char *path, FILE **f, uint64_t *size, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  struct stat sb;
  *f = fopen(path, "rb");
  if (!*f) SGFBLO_FAIL(err, SGFBLO_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  if (fstat(fileno(*f), &sb) != 0)
    SGFBLO_FAIL(err, SGFBLO_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
  if (!S_ISREG(sb.st_mode)) SGFBLO_FAIL(err, SGFBLO_ERR_IO, "%s: not a regular file", path);
  *size = (uint64_t)sb.st_size;
  if (*size == 0) SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: file is empty", path);
cleanup:
  if (st != SGFBLO_OK && *f) {
    fclose(*f);
    *f = NULL;
  }
  return st;
}
