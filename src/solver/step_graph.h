/* Step graphs: on a backend that can record its stream (CUDA), one fixed-size step of a
   graph-safe method (the scalar filters) is recorded once into a graph and then replayed
   with one launch, so that a step costs one host call instead of dozens of kernel launches.
   Everything else runs the step from the host (sgfblo_solver_step_body). */
#ifndef SGFBLO_SOLVER_STEP_GRAPH_H
#define SGFBLO_SOLVER_STEP_GRAPH_H

#include "core/solver_impl.h"

/** One attempted step from the host: the integrator step, then the bookkeeping on k[0]
    (its norm, the running max of h) as backend work. Defined in solve.c. */
sgfblo_status sgfblo_solver_step_body(sgfblo_solver *s, double dt);

/**
 * Run the step z -> z_new of size dt as a graph replay where that is possible: *replayed = 1
 * when it was (recording it first if this (state buffer, dt) pair is new), 0 when the caller
 * must run sgfblo_solver_step_body itself. A step that cannot be recorded (a callback that
 * synchronises, say) turns graphs off for the rest of this solver's life; that is not an
 * error. Errors are those of the replay itself.
 */
sgfblo_status sgfblo_step_graph_run(sgfblo_solver *s, double dt, int *replayed);

/** Free the recorded graphs (before the backend is closed). */
void sgfblo_step_graphs_release(sgfblo_solver *s);

#endif /* SGFBLO_SOLVER_STEP_GRAPH_H */
