#include "sgfblo/sgfblo.h"

#define SGFBLO_STATUS_CASE_(name, val, msg)                                                \
  case name:                                                                               \
    return msg;

const char *sgfblo_status_string(sgfblo_status st) {
  switch (st) { SGFBLO_STATUS_LIST(SGFBLO_STATUS_CASE_) }
  return "unknown status code";
}

const char *sgfblo_version(void) { return SGFBLO_VERSION; }

const char *sgfblo_exit_flag_name(sgfblo_exit_flag e) {
  switch (e) {
    case SGFBLO_EXIT_NONE: return "none";
    case SGFBLO_EXIT_T_FINAL: return "t_final";
    case SGFBLO_EXIT_MAX_STEPS: return "max_steps";
    case SGFBLO_EXIT_CONVERGED: return "converged";
    case SGFBLO_EXIT_DIVERGED: return "diverged";
    case SGFBLO_EXIT_NONFINITE: return "nonfinite";
    case SGFBLO_EXIT_INTERRUPTED: return "interrupted";
    case SGFBLO_EXIT_ERROR: return "error";
    case SGFBLO_EXIT_TIME_LIMIT: return "time_limit";
  }
  return "unknown";
}
