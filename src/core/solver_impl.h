/* The real struct behind the opaque sgfblo_solver handle. Private to the library. */
#ifndef SGFBLO_CORE_SOLVER_IMPL_H
#define SGFBLO_CORE_SOLVER_IMPL_H

#include <float.h>
#include <stdio.h>

#include "backend/backend.h"
#include "core/common.h"
#include "problem/oracle.h"
#include "sgfblo/sgfblo.h"

struct sgfblo_method_impl;
struct sgfblo_tableau;

struct sgfblo_solver {
  sgfblo_errmsg err;          /* detail of the last failing call */
  int is_setup;
  sgfblo_settings set;        /* validated copy; log_path points into log_path_copy */
  char *log_path_copy;
  int64_t n, m, nz;           /* nz = n + m: the state z = (x, y) is one vector */
  const sgfblo_ops *ops;
  sgfblo_bctx bctx;
  sgfblo_oracle orc;
  const struct sgfblo_method_impl *method;
  void *mws;                  /* the method's workspace */
  const struct sgfblo_tableau *tab;
  /* state and integrator buffers, backend memory, length nz */
  sgfblo_real *z, *z_new, *z_err, *z_stage;
  sgfblo_real *k[7];          /* stage derivatives (dopri5 uses 7) */
  int k0_valid;               /* k[0] holds RHS(z) (first-same-as-last reuse) */
  /* monitoring */
  sgfblo_real *mon_gx, *mon_gy, *mon_w; /* hypergradient scratch and warm start */
  void *mon_hs;               /* sgfblo_hyy_solver for the F monitor */
  sgfblo_real *host_z;        /* host mirror of the state, length nz */
  FILE *log;
  /* progress */
  double t, dt_next;
  int64_t step;
  int64_t reported_step;      /* step of the last monitor report (-1: none) */
  double h_rhs;               /* ||grad_y g||^2 at the input of the last RHS evaluation */
  double h_k0, h_fsal;        /* the same at z (stage 1) and at z_new (FSAL stage) */
  double zdot_norm;           /* ||RHS(z)||_inf at the start of the last step */
  int64_t n_rhs;
  sgfblo_info info;
};

/** Record a failure on the handle and return st. */
#define sgfblo_solver_fail(s, st, ...) sgfblo_fail(&(s)->err, (st), __VA_ARGS__)

/** One vector-field evaluation (counts it and checks the output is finite). */
sgfblo_status sgfblo_solver_rhs(sgfblo_solver *s, const sgfblo_real *z, sgfblo_real *zdot);

#endif /* SGFBLO_CORE_SOLVER_IMPL_H */
