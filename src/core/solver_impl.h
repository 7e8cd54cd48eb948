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

/** The solver's backend scalars (s->sc): values a step produces and later steps or the host
    read, kept in backend memory so that a step needs no host round-trip. */
enum {
  SGFBLO_SC_H_A,       /* ||grad_y g||^2 at z or at the FSAL stage (h_k0 / h_fsal swap) */
  SGFBLO_SC_H_B,
  SGFBLO_SC_H_STAGE,   /* the same at the other stages (not read) */
  SGFBLO_SC_H_NEW,     /* the same at z_new, for the eps-set step control */
  SGFBLO_SC_ZDOT_NORM, /* ||RHS(z)||_inf at the start of the last step */
  SGFBLO_SC_H_MAX,     /* running max of h_k0 over the steps (eps-set monitor), from 0 */
  SGFBLO_SC_ZMAX,      /* ||z||_inf at the start of the last step */
  SGFBLO_SC_WATCH,     /* [flag, value]: first ||z||_inf that was NaN/Inf or > div_limit */
  SGFBLO_SC_WATCH_VALUE,
  SGFBLO_SC_COUNT
};

/** Most step graphs kept: one per (state buffer, step size) pair the fast path meets. */
#define SGFBLO_STEP_GRAPHS 2

/** A recorded step: replaying it advances z -> z_new with step size dt. */
typedef struct {
  void *exec;                         /* backend graph, NULL: slot unused */
  const sgfblo_real *z;               /* the state buffer it reads */
  double dt;
  int64_t n_rhs, n_grad, n_prod;      /* what one replay evaluates (counted on replay) */
} sgfblo_step_graph;

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
  double *sc;                 /* SGFBLO_SC_COUNT backend scalars */
  double *d_h_k0, *d_h_fsal;  /* ||grad_y g||^2 at z (stage 1) and at z_new (FSAL stage), in sc */
  double zdot_norm;           /* host copy of sc[SGFBLO_SC_ZDOT_NORM], read at check points */
  /* step graphs (CUDA): recorded on first use, replayed after */
  sgfblo_step_graph graphs[SGFBLO_STEP_GRAPHS];
  int graph_off;              /* recording failed once (e.g. a callback synchronises): off */
  int64_t n_rhs;
  int64_t checked_step;       /* step of the last stop test (the watch covers the ones after) */
  sgfblo_info info;
};

/** Record a failure on the handle and return st. */
#define sgfblo_solver_fail(s, st, ...) sgfblo_fail(&(s)->err, (st), __VA_ARGS__)

/** One vector-field evaluation (counted); ||grad_y g(z)||^2 goes to the backend scalar d_h. */
sgfblo_status sgfblo_solver_rhs_h(sgfblo_solver *s, const sgfblo_real *z, sgfblo_real *zdot,
                                  double *d_h);
/** The same with ||grad_y g||^2 into a scratch scalar (nobody reads it). */
sgfblo_status sgfblo_solver_rhs(sgfblo_solver *s, const sgfblo_real *z, sgfblo_real *zdot);

#endif /* SGFBLO_CORE_SOLVER_IMPL_H */
