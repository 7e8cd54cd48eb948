/* Solve the synthetic bilevel problem (paper section 4.1) with RXGF through the C API:
   create -> setup -> solve -> get_info / get_state -> destroy. */
#include <stdio.h>

#include "sgfblo/sgfblo.h"

int main(void) {
  sgfblo_errmsg err = {{0}};
  sgfblo_synthetic *sp = NULL;
  sgfblo_solver *s = NULL;
  sgfblo_problem p;
  sgfblo_settings set;
  sgfblo_info info;
  sgfblo_real x[20];

  sgfblo_settings_default(&set);
  set.method = SGFBLO_METHOD_RXGF;
  set.alpha = 0.1;
  set.epsilon = 0.1;
  set.dt = 0.01;
  set.t_final = 10.0;
  set.init_lower = 1; /* start from y = y*(x0) */

  sgfblo_status st = sgfblo_synthetic_random(20, 0, &sp, &err); /* n = 20, seed 0 */
  if (st == SGFBLO_OK) st = sgfblo_synthetic_problem(sp, &p);
  if (st == SGFBLO_OK) st = sgfblo_solver_create(&s);
  if (st == SGFBLO_OK) st = sgfblo_solver_setup(s, &p, &set);
  if (st == SGFBLO_OK) st = sgfblo_solver_solve(s);
  if (st == SGFBLO_OK) st = sgfblo_solver_get_info(s, &info);
  if (st == SGFBLO_OK) st = sgfblo_solver_get_state(s, x, NULL);
  if (st == SGFBLO_OK) {
    printf("exit %s: t = %g, f = %.6f, ||grad_y g|| = %.3e, ||F|| = %.3e, x[0] = %.6f\n",
           sgfblo_exit_flag_name(info.exit_flag), info.last.t, info.last.f,
           info.last.grad_g_norm, info.last.hypergrad_norm, (double)x[0]);
  } else {
    fprintf(stderr, "%s: %s\n", sgfblo_status_string(st), s ? sgfblo_solver_last_error(s) : err.msg);
  }
  sgfblo_solver_destroy(s);
  sgfblo_synthetic_destroy(sp);
  return st == SGFBLO_OK ? 0 : 1;
}
