/* The CSV trajectory log shared by the flows and the discrete baselines: one header, one row
   format, so every method's log has the same columns. */
#ifndef SGFBLO_SOLVER_TRAJECTORY_LOG_H
#define SGFBLO_SOLVER_TRAJECTORY_LOG_H

#include <stdio.h>

#include "sgfblo/sgfblo.h"

/** Open path for writing and write the header row. */
sgfblo_status sgfblo_log_open(const char *path, FILE **out, sgfblo_errmsg *err);

/** Append one row for p; SGFBLO_ERR_IO (naming path) when the write fails. */
sgfblo_status sgfblo_log_row(FILE *f, const char *path, const sgfblo_progress *p, sgfblo_errmsg *err);

#endif /* SGFBLO_SOLVER_TRAJECTORY_LOG_H */
