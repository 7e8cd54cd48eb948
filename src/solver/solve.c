/* The solve loop: steps, stopping rules, step control, monitoring. */
#include <float.h>
#include <math.h>
#include <time.h>

#include "core/common.h"
#include "core/error.h"
#include "integrator/integrator.h"
#include "method/method.h"
#include "solver/monitor.h"

sgfblo_status sgfblo_solver_rhs(sgfblo_solver *s, const sgfblo_real *z, sgfblo_real *zdot) {
  s->n_rhs++;
  return s->method->rhs(s, s->mws, z, zdot);
}

/* The eps-set tracked by RXGF (Proposition 1); the inversion-free flow targets eps = 0. */
static int tracks_eps_set(const sgfblo_solver *s) {
  return s->set.method == SGFBLO_METHOD_RXGF || s->set.method == SGFBLO_METHOD_INVFREE;
}

static double eps2(const sgfblo_solver *s) {
  return s->set.method == SGFBLO_METHOD_RXGF ? s->set.epsilon * s->set.epsilon : 0.0;
}

/* ||grad_y g(z_new)||^2, for the eps-set step control. */
static sgfblo_status h_at_new(sgfblo_solver *s, double *h) {
  sgfblo_status st = SGFBLO_OK;
  SGFBLO_TRY(sgfblo_oracle_grad_g(&s->orc, s->z_new, s->z_new + s->n, NULL, s->mon_gy));
  SGFBLO_TRY(s->ops->dot(&s->bctx, s->m, s->mon_gy, s->mon_gy, h));
cleanup:
  return st;
}

/* Decide whether the attempted step is kept; sets *accept and the next step size. */
static sgfblo_status control_step(sgfblo_solver *s, double dt, int *accept) {
  sgfblo_status st = SGFBLO_OK;
  const double dt_user = s->set.dt;
  *accept = 1;
  if (s->tab->adaptive) {
    double err;
    SGFBLO_TRY(s->ops->err_norm(&s->bctx, s->nz, s->z_err, s->z, s->z_new, s->set.atol,
                                s->set.rtol, &err));
    /* Standard controller (Hairer, Norsett, Wanner II.4), factor in [0.2, 5]. */
    double fac = err > 0 ? 0.9 * pow(err, -1.0 / (s->tab->order)) : 5.0;
    fac = fmin(5.0, fmax(0.2, fac));
    if (!isfinite(err) || err > 1.0) {
      *accept = 0;
      s->dt_next = dt * (isfinite(err) ? fmin(fac, 0.9) : 0.2);
    } else {
      s->dt_next = dt * fac;
    }
  }
  if (*accept && s->set.step_control && tracks_eps_set(s)) {
    /* Keep the discrete solution in the eps-set: h - eps^2 may not grow above
       max(0, its value at the step start). */
    double h_new;
    SGFBLO_TRY(h_at_new(s, &h_new));
    /* A state may sit above eps^2 by at most the slack sqrt(machine eps) * max(eps^2, h):
       h = ||grad_y g||^2 is computed with rounding, and a strict test would reject steps
       forever once the state sits on the boundary. The slack does not accumulate. */
    const double e2 = eps2(s), before = fmax(0.0, s->h_k0 - e2);
    const double slack = sqrt(SGFBLO_REAL_EPSILON) * fmax(e2, s->h_k0);
    if (h_new - e2 > fmax(before, slack)) {
      *accept = 0;
      s->dt_next = 0.5 * dt;
    } else if (!s->tab->adaptive) {
      s->dt_next = fmin(dt_user, 1.25 * dt);
    }
  }
  if (!*accept) {
    s->info.n_rejected++;
    if (s->dt_next < s->set.dt_min)
      SGFBLO_FAIL(&s->err, SGFBLO_ERR_STEP_TOO_SMALL,
                  "step size %.3e fell below dt_min = %.3e at t = %.6g", s->dt_next,
                  s->set.dt_min, s->t);
  }
cleanup:
  return st;
}

static void swap_ptr(sgfblo_real **a, sgfblo_real **b) {
  sgfblo_real *t = *a;
  *a = *b;
  *b = t;
}

/* Non-finite or runaway state ends the solve with a status and a message. */
static sgfblo_status check_state(sgfblo_solver *s) {
  double zmax;
  sgfblo_status st = s->ops->nrminf(&s->bctx, s->nz, s->z, &zmax);
  if (st != SGFBLO_OK) return st;
  if (!isfinite(zmax)) {
    s->info.exit_flag = SGFBLO_EXIT_NONFINITE;
    return sgfblo_solver_fail(s, SGFBLO_ERR_NONFINITE,
                              "the state became NaN/Inf at step %lld (t = %.6g); reduce dt",
                              (long long)s->step, s->t);
  }
  if (zmax > s->set.div_limit) {
    s->info.exit_flag = SGFBLO_EXIT_DIVERGED;
    return sgfblo_solver_fail(s, SGFBLO_ERR_DIVERGED,
                              "the flow diverged: ||z||_inf = %.3e > div_limit = %.3e at step "
                              "%lld (t = %.6g); reduce dt",
                              zmax, s->set.div_limit, (long long)s->step, s->t);
  }
  return SGFBLO_OK;
}

static void note_h(sgfblo_solver *s, double h) {
  if (!tracks_eps_set(s)) return;
  const double excess = h - eps2(s);
  if (isnan(s->info.max_h_excess) || excess > s->info.max_h_excess) s->info.max_h_excess = excess;
}

sgfblo_status sgfblo_solver_solve(sgfblo_solver *s) {
  sgfblo_status st = SGFBLO_OK;
  if (!s) return SGFBLO_ERR_NULL_ARG;
  if (!s->is_setup)
    return sgfblo_solver_fail(s, SGFBLO_ERR_NOT_SETUP, "solve called before a successful setup");
  sgfblo_err_clear(&s->err);
  const double t0 = sgfblo_now_seconds();
  const double t_final = s->set.t_final;
  const double t_eps = 1e-12 * fmax(1.0, t_final);
  int stop = 0;
  s->info.exit_flag = SGFBLO_EXIT_NONE;
  if (s->step == 0) {
    SGFBLO_TRY(sgfblo_monitor_report(s, &stop));
    s->info.init_grad_g_norm = s->info.last.grad_g_norm;
  }
  while (!stop) {
    if (s->t >= t_final - t_eps) {
      s->info.exit_flag = SGFBLO_EXIT_T_FINAL;
      break;
    }
    if (s->step >= s->set.max_steps) {
      s->info.exit_flag = SGFBLO_EXIT_MAX_STEPS;
      break;
    }
    const double dt = fmin(s->dt_next, t_final - s->t);
    const int fresh_k0 = !s->k0_valid;
    SGFBLO_TRY(sgfblo_rk_attempt(s, dt));
    if (fresh_k0) {
      SGFBLO_TRY(s->ops->nrminf(&s->bctx, s->nz, s->k[0], &s->zdot_norm));
      if (!isfinite(s->zdot_norm)) {
        s->info.exit_flag = SGFBLO_EXIT_NONFINITE;
        SGFBLO_FAIL(&s->err, SGFBLO_ERR_NONFINITE,
                    "the vector field is NaN/Inf at step %lld (t = %.6g)", (long long)s->step, s->t);
      }
      note_h(s, s->h_k0);
      if (s->set.tol > 0 && s->zdot_norm <= s->set.tol) {
        s->info.exit_flag = SGFBLO_EXIT_CONVERGED;
        break;
      }
    }
    int accept;
    SGFBLO_TRY(control_step(s, dt, &accept));
    if (!accept) continue; /* z and k[0] unchanged: the next attempt reuses k[0] */
    swap_ptr(&s->z, &s->z_new);
    s->t = (t_final - (s->t + dt) <= t_eps) ? t_final : s->t + dt;
    s->step++;
    if (s->tab->fsal) {
      swap_ptr(&s->k[0], &s->k[s->tab->stages - 1]);
      s->h_k0 = s->h_fsal;
      s->k0_valid = 1;
      SGFBLO_TRY(s->ops->nrminf(&s->bctx, s->nz, s->k[0], &s->zdot_norm));
      note_h(s, s->h_k0);
      if (s->set.tol > 0 && s->zdot_norm <= s->set.tol) s->info.exit_flag = SGFBLO_EXIT_CONVERGED;
    } else {
      s->k0_valid = 0;
    }
    if (s->step % s->set.check_every == 0) SGFBLO_TRY(check_state(s));
    if (s->step % s->set.monitor_every == 0) SGFBLO_TRY(sgfblo_monitor_report(s, &stop));
    if (s->info.exit_flag == SGFBLO_EXIT_CONVERGED) break;
  }
  if (stop) s->info.exit_flag = SGFBLO_EXIT_INTERRUPTED;
  SGFBLO_TRY(check_state(s));
  if (s->reported_step != s->step) {
    int ignored;
    SGFBLO_TRY(sgfblo_monitor_report(s, &ignored));
  }
  note_h(s, s->info.last.grad_g_norm * s->info.last.grad_g_norm);
cleanup:
  if (st != SGFBLO_OK && s->info.exit_flag != SGFBLO_EXIT_NONFINITE &&
      s->info.exit_flag != SGFBLO_EXIT_DIVERGED)
    s->info.exit_flag = SGFBLO_EXIT_ERROR;
  s->info.n_grad = s->orc.n_grad;
  s->info.n_prod = s->orc.n_prod;
  s->info.n_value = s->orc.n_value;
  s->info.callback_code = s->orc.callback_code;
  s->info.last.n_rhs = s->n_rhs;
  s->info.last.n_oracle = s->orc.n_grad + s->orc.n_prod;
  s->info.solve_seconds += sgfblo_now_seconds() - t0;
  if (s->log) fflush(s->log);
  return st;
}
