/* The solve loop: steps, stopping rules, step control, monitoring. */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/common.h"
#include "core/error.h"
#include "integrator/integrator.h"
#include "method/method.h"
#include "solver/monitor.h"
#include "solver/step_graph.h"

sgfblo_status sgfblo_solver_rhs_h(sgfblo_solver *s, const sgfblo_real *z, sgfblo_real *zdot,
                                  double *d_h) {
  s->n_rhs++;
  return s->method->rhs(s, s->mws, z, zdot, d_h);
}

sgfblo_status sgfblo_solver_rhs(sgfblo_solver *s, const sgfblo_real *z, sgfblo_real *zdot) {
  return sgfblo_solver_rhs_h(s, z, zdot, s->sc + SGFBLO_SC_H_STAGE);
}

/* The eps-set tracked by RXGF (Proposition 1); the inversion-free flow targets eps = 0. */
static int tracks_eps_set(const sgfblo_solver *s) {
  return s->set.method == SGFBLO_METHOD_RXGF || s->set.method == SGFBLO_METHOD_INVFREE;
}

static double eps2(const sgfblo_solver *s) {
  return s->set.method == SGFBLO_METHOD_RXGF ? s->set.epsilon * s->set.epsilon : 0.0;
}

/* ||grad_y g||^2 at z (computed by the step's first stage) and at z_new, on the host: the
   eps-set step control decides on the host, the one place a step waits for the backend. The
   new value goes to a backend scalar beside the others, so that one read (one wait) brings
   both: h_k0 sits in SC_H_A or SC_H_B, both below SC_H_NEW. */
static sgfblo_status h_before_after(sgfblo_solver *s, double *h_k0, double *h_new) {
  sgfblo_status st = SGFBLO_OK;
  double h[SGFBLO_SC_H_NEW + 1];
  const ptrdiff_t k0 = s->d_h_k0 - s->sc;
  SGFBLO_TRY(sgfblo_oracle_grad_g(&s->orc, s->z_new, s->z_new + s->n, NULL, s->mon_gy));
  SGFBLO_TRY(s->ops->dot_dev(&s->bctx, s->m, s->mon_gy, s->mon_gy, s->sc + SGFBLO_SC_H_NEW));
  SGFBLO_TRY(s->ops->scalars_read(&s->bctx, SGFBLO_SC_H_NEW + 1, s->sc, h));
  *h_k0 = h[k0];
  *h_new = h[SGFBLO_SC_H_NEW];
cleanup:
  return st;
}

/* A kernel that faults inside a graph replay is reported by whichever call waits next (a
   read at a check point, the next callback's launch), which names an innocent call: the
   message says so, and how to find the real one. */
static void note_graph_replays(sgfblo_solver *s) {
  const size_t len = strlen(s->err.msg);
  snprintf(s->err.msg + len, sizeof s->err.msg - len,
           " (this solve replayed step graphs: the failing kernel may be one of a replayed "
           "step; rerun with settings.cuda_graph = 0 to locate it)");
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
    double h_k0, h_new;
    SGFBLO_TRY(h_before_after(s, &h_k0, &h_new));
    /* A state may sit above eps^2 by at most the slack sqrt(machine eps) * max(eps^2, h):
       h = ||grad_y g||^2 is computed with rounding, and a strict test would reject steps
       forever once the state sits on the boundary. The slack does not accumulate. */
    const double e2 = eps2(s), before = fmax(0.0, h_k0 - e2);
    const double slack = sqrt(SGFBLO_REAL_EPSILON) * fmax(e2, h_k0);
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

static void swap_scalar_ptr(double **a, double **b) {
  double *t = *a;
  *a = *b;
  *b = t;
}

static sgfblo_status fail_state(sgfblo_solver *s, double zmax, const char *when) {
  if (!isfinite(zmax)) {
    s->info.exit_flag = SGFBLO_EXIT_NONFINITE;
    return sgfblo_solver_fail(s, SGFBLO_ERR_NONFINITE,
                              "the state became NaN/Inf %s (t = %.6g); reduce dt", when, s->t);
  }
  s->info.exit_flag = SGFBLO_EXIT_DIVERGED;
  return sgfblo_solver_fail(s, SGFBLO_ERR_DIVERGED,
                            "the flow diverged: ||z||_inf = %.3e > div_limit = %.3e %s (t = %.6g); "
                            "reduce dt",
                            zmax, s->set.div_limit, when, s->t);
}

/* Non-finite or runaway state ends the solve with a status and a message. Every state a step
   starts from is watched on the backend (note_k0); a check point reads the watch, and the
   final check also measures the last state, which no step started from. */
static sgfblo_status check_state(sgfblo_solver *s, int final) {
  sgfblo_status st = SGFBLO_OK;
  double watch[2];
  char when[96];
  SGFBLO_TRY(s->ops->scalars_read(&s->bctx, 2, s->sc + SGFBLO_SC_WATCH, watch));
  if (watch[0] != 0.0) {
    if (s->step - s->checked_step <= 1)
      snprintf(when, sizeof when, "at step %lld", (long long)s->checked_step);
    else
      snprintf(when, sizeof when, "between steps %lld and %lld", (long long)s->checked_step,
               (long long)s->step);
    return fail_state(s, watch[1], when);
  }
  s->checked_step = s->step;
  if (final) {
    double zmax;
    SGFBLO_TRY(s->ops->nrminf(&s->bctx, s->nz, s->z, &zmax));
    snprintf(when, sizeof when, "at step %lld", (long long)s->step);
    if (!(zmax <= s->set.div_limit)) return fail_state(s, zmax, when);
  }
cleanup:
  return st;
}

/* Clear the state watch at the start of a solve (a new state may have been set). */
static sgfblo_status reset_watch(sgfblo_solver *s) {
  static const double zero[2] = {0.0, 0.0};
  s->checked_step = s->step;
  return s->ops->scalars_write(&s->bctx, 2, zero, s->sc + SGFBLO_SC_WATCH);
}

/* k[0] = RHS(z) is known: the watch on ||z||_inf, the norm of k[0] and the running max of
   h = ||grad_y g||^2 go to backend scalars (enqueued, no host round-trip); the host reads them
   at check points. */
static sgfblo_status note_k0(sgfblo_solver *s) {
  sgfblo_status st = SGFBLO_OK;
  double *zmax = s->sc + SGFBLO_SC_ZMAX;
  SGFBLO_TRY(s->ops->nrminf_dev(&s->bctx, s->nz, s->z, zmax));
  SGFBLO_TRY(s->ops->scalar_watch(&s->bctx, zmax, s->set.div_limit, s->sc + SGFBLO_SC_WATCH));
  SGFBLO_TRY(s->ops->nrminf_dev(&s->bctx, s->nz, s->k[0], s->sc + SGFBLO_SC_ZDOT_NORM));
  if (tracks_eps_set(s))
    SGFBLO_TRY(s->ops->scalar_track_max(&s->bctx, s->d_h_k0, 0.0, s->sc + SGFBLO_SC_H_MAX));
cleanup:
  return st;
}

sgfblo_status sgfblo_solver_step_body(sgfblo_solver *s, double dt) {
  sgfblo_status st = SGFBLO_OK;
  const int fresh_k0 = !s->k0_valid;
  SGFBLO_TRY(sgfblo_rk_attempt(s, dt));
  if (fresh_k0) SGFBLO_TRY(note_k0(s));
cleanup:
  return st;
}

/* The tests on k[0] = RHS(z): a NaN/Inf field ends the solve; with tol > 0, a small one
   converges. Run at check points (every check_every steps), where ||k[0]|| is read back. */
static sgfblo_status test_k0(sgfblo_solver *s, int *converged) {
  sgfblo_status st = SGFBLO_OK;
  *converged = 0;
  SGFBLO_TRY(s->ops->scalars_read(&s->bctx, 1, s->sc + SGFBLO_SC_ZDOT_NORM, &s->zdot_norm));
  if (!isfinite(s->zdot_norm)) {
    s->info.exit_flag = SGFBLO_EXIT_NONFINITE;
    SGFBLO_FAIL(&s->err, SGFBLO_ERR_NONFINITE, "the vector field is NaN/Inf at step %lld (t = %.6g)",
                (long long)s->step, s->t);
  }
  *converged = s->set.tol > 0 && s->zdot_norm <= s->set.tol;
cleanup:
  return st;
}

/* info.max_h_excess = max over the accepted steps' h (kept on the backend) and the final
   state's, minus eps^2. */
static sgfblo_status fold_h_excess(sgfblo_solver *s) {
  sgfblo_status st = SGFBLO_OK;
  if (!tracks_eps_set(s)) return SGFBLO_OK;
  double hmax;
  SGFBLO_TRY(s->ops->scalars_read(&s->bctx, 1, s->sc + SGFBLO_SC_H_MAX, &hmax));
  const double h_last = s->info.last.grad_g_norm * s->info.last.grad_g_norm;
  s->info.max_h_excess = fmax(hmax, h_last) - eps2(s);
cleanup:
  return st;
}

sgfblo_status sgfblo_solver_solve(sgfblo_solver *s) {
  sgfblo_status st = SGFBLO_OK;
  if (!s) return SGFBLO_ERR_NULL_ARG;
  if (!s->is_setup)
    return sgfblo_solver_fail(s, SGFBLO_ERR_NOT_SETUP, "solve called before a successful setup");
  sgfblo_err_clear(&s->err);
  const double t0 = sgfblo_now_seconds();
  const int64_t graph_steps0 = s->info.n_graph_steps;
  const double t_final = s->set.t_final;
  const double t_eps = 1e-12 * fmax(1.0, t_final);
  int stop = 0;
  s->info.exit_flag = SGFBLO_EXIT_NONE;
  SGFBLO_TRY(s->ops->make_current(&s->bctx));
  SGFBLO_TRY(reset_watch(s));
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
    int replayed = 0;
    st = sgfblo_step_graph_run(s, dt, &replayed);
    if (st == SGFBLO_OK && !replayed) st = sgfblo_solver_step_body(s, dt);
    if (st != SGFBLO_OK) {
      /* A step that fails on a runaway state (a factorisation of Inf, say) is reported as
         what it is when the watch saw the state leave the bounds first. */
      const sgfblo_status step_st = st;
      st = check_state(s, 0);
      if (st == SGFBLO_OK) st = step_st;
      goto cleanup;
    }
    const int check = s->step % s->set.check_every == 0;
    if (fresh_k0 && check) {
      int converged;
      SGFBLO_TRY(test_k0(s, &converged));
      if (converged) {
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
      swap_scalar_ptr(&s->d_h_k0, &s->d_h_fsal);
      s->k0_valid = 1;
      SGFBLO_TRY(note_k0(s));
      if (check) {
        int converged;
        SGFBLO_TRY(test_k0(s, &converged));
        if (converged) s->info.exit_flag = SGFBLO_EXIT_CONVERGED;
      }
    } else {
      s->k0_valid = 0;
    }
    if (s->step % s->set.check_every == 0) SGFBLO_TRY(check_state(s, 0));
    if (s->info.exit_flag == SGFBLO_EXIT_NONE && s->set.max_seconds > 0 &&
        sgfblo_now_seconds() - t0 >= s->set.max_seconds)
      s->info.exit_flag = SGFBLO_EXIT_TIME_LIMIT;
    if (s->step % s->set.monitor_every == 0) SGFBLO_TRY(sgfblo_monitor_report(s, &stop));
    if (s->info.exit_flag != SGFBLO_EXIT_NONE) break; /* CONVERGED (FSAL) or TIME_LIMIT */
  }
  if (stop) s->info.exit_flag = SGFBLO_EXIT_INTERRUPTED;
  SGFBLO_TRY(check_state(s, 1));
  if (s->reported_step != s->step) {
    int ignored;
    SGFBLO_TRY(sgfblo_monitor_report(s, &ignored));
  }
  SGFBLO_TRY(fold_h_excess(s));
cleanup:
  /* A NaN/Inf found anywhere (a step, a check point, a monitoring evaluation) is NONFINITE. */
  if (st == SGFBLO_ERR_NONFINITE && s->info.exit_flag != SGFBLO_EXIT_DIVERGED)
    s->info.exit_flag = SGFBLO_EXIT_NONFINITE;
  else if (st != SGFBLO_OK && s->info.exit_flag != SGFBLO_EXIT_NONFINITE &&
           s->info.exit_flag != SGFBLO_EXIT_DIVERGED)
    s->info.exit_flag = SGFBLO_EXIT_ERROR;
  if (st == SGFBLO_ERR_CUDA && s->info.n_graph_steps > graph_steps0) note_graph_replays(s);
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
