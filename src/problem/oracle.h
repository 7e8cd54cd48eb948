/* The problem layer as the methods see it: a problem's callbacks wrapped with call counting
   and the mapping of a nonzero callback return to SGFBLO_ERR_CALLBACK with a message. */
#ifndef SGFBLO_PROBLEM_ORACLE_H
#define SGFBLO_PROBLEM_ORACLE_H

#include "sgfblo/sgfblo.h"

struct sgfblo_ops;
struct sgfblo_bctx;

typedef struct sgfblo_oracle {
  sgfblo_problem p;    /**< copy of the user's problem struct */
  sgfblo_eval_ctx ctx; /**< memory space, stream, user_data handed to callbacks */
  sgfblo_errmsg *err;  /**< the solver's message buffer */
  int64_t n_grad, n_prod, n_value;
  int callback_code;    /**< last nonzero callback return */
  sgfblo_errmsg detail; /**< what ctx.detail points to: a failing callback's own words */
} sgfblo_oracle;

/** Check that the problem is complete and its dimensions sane (message names the field). */
sgfblo_status sgfblo_problem_validate(const sgfblo_problem *p, sgfblo_errmsg *err);

/** Run the problem's prepare hook, if any, for the oracle's memory space (setup time). */
sgfblo_status sgfblo_oracle_prepare(sgfblo_oracle *o, int device_id);

sgfblo_status sgfblo_oracle_f(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y,
                              double *out);
sgfblo_status sgfblo_oracle_g(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y,
                              double *out);
sgfblo_status sgfblo_oracle_grad_f(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y,
                                   sgfblo_real *gx, sgfblo_real *gy);
sgfblo_status sgfblo_oracle_grad_g(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y,
                                   sgfblo_real *gx, sgfblo_real *gy);
sgfblo_status sgfblo_oracle_hyy(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y,
                                const sgfblo_real *v, sgfblo_real *out);
sgfblo_status sgfblo_oracle_jyx(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y,
                                const sgfblo_real *u, sgfblo_real *out);
sgfblo_status sgfblo_oracle_jyxT(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y,
                                 const sgfblo_real *v, sgfblo_real *out);
/** qx = Jyx^T v, qy = Hyy v: the problem's fused curv_mv when it has one, else the two calls.
    Counted as two products either way. */
sgfblo_status sgfblo_oracle_curv(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y,
                                  const sgfblo_real *v, sgfblo_real *qx, sgfblo_real *qy);
/** gy = grad_y g, qx = Jyx^T gy, qy = Hyy gy: the problem's fused grad_g_curv when it has one,
    else grad_g and sgfblo_oracle_curv. Counted as one gradient and two products either way. */
sgfblo_status sgfblo_oracle_grad_g_curv(sgfblo_oracle *o, const sgfblo_real *x,
                                        const sgfblo_real *y, sgfblo_real *gy, sgfblo_real *qx,
                                        sgfblo_real *qy);
/** Dense Hyy (m x m) / Jyx (m x n), column-major, in backend memory: the problem's dense
    callback when it has one, else one product per column against unit vectors (e: backend
    scratch of max(n, m) reals). */
sgfblo_status sgfblo_oracle_hyy_dense(sgfblo_oracle *o, const struct sgfblo_ops *ops,
                                      struct sgfblo_bctx *b, const sgfblo_real *x,
                                      const sgfblo_real *y, sgfblo_real *out, sgfblo_real *e);
sgfblo_status sgfblo_oracle_jyx_dense(sgfblo_oracle *o, const struct sgfblo_ops *ops,
                                      struct sgfblo_bctx *b, const sgfblo_real *x,
                                      const sgfblo_real *y, sgfblo_real *out, sgfblo_real *e);

#endif /* SGFBLO_PROBLEM_ORACLE_H */
