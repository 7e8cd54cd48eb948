/* Monitoring: the only place values come back to the host during a solve. */
#ifndef SGFBLO_SOLVER_MONITOR_H
#define SGFBLO_SOLVER_MONITOR_H

#include "core/solver_impl.h"

/** Allocate the monitor's scratch (hypergradient solve) and open the CSV log. */
sgfblo_status sgfblo_monitor_setup(sgfblo_solver *s);
void sgfblo_monitor_release(sgfblo_solver *s);

/** Fill *p with t, f, ||grad_y g||, ||F|| (if enabled) at the current state. */
sgfblo_status sgfblo_monitor_measure(sgfblo_solver *s, sgfblo_progress *p);

/** Measure, append a log row, call the user's monitor. *stop = 1 if the user asked to stop. */
sgfblo_status sgfblo_monitor_report(sgfblo_solver *s, int *stop);

#endif /* SGFBLO_SOLVER_MONITOR_H */
