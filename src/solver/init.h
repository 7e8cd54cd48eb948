/* The initial state: given or random, optionally with y replaced by the lower-level solution
   y*(x0) (Newton-CG on g(x0, .), as the paper starts RXGF inside the eps-set). */
#ifndef SGFBLO_SOLVER_INIT_H
#define SGFBLO_SOLVER_INIT_H

#include "core/solver_impl.h"

/** Fill s->z from the problem and settings (setup calls this after allocation). */
sgfblo_status sgfblo_init_state(sgfblo_solver *s, const sgfblo_problem *p);

/** Newton-CG on g(x, .) from the current y, until ||grad_y g|| <= settings.init_lower_tol. */
sgfblo_status sgfblo_init_lower(sgfblo_solver *s);

#endif /* SGFBLO_SOLVER_INIT_H */
