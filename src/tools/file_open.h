/* Opening an input file the way every loader wants it: a regular, non-empty file, with its
   size, and messages that name the path. */
#ifndef SGFBLO_TOOLS_FILE_OPEN_H
#define SGFBLO_TOOLS_FILE_OPEN_H

#include <stdint.h>
#include <stdio.h>

#include "sgfblo/sgfblo.h"

/** fopen(path, "rb") checked: SGFBLO_ERR_IO (missing, unreadable, not a regular file) or
    SGFBLO_ERR_FORMAT (empty). On success *f is open and *size holds its length in bytes. */
sgfblo_status sgfblo_file_open_input(const char *path, FILE **f, uint64_t *size, sgfblo_errmsg *err);

#endif /* SGFBLO_TOOLS_FILE_OPEN_H */
