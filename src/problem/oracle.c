#include "problem/oracle.h"

#include "backend/backend.h"
#include <math.h>

#include "core/error.h"
#include "problem/problem_common.h"

sgfblo_status sgfblo_problem_validate(const sgfblo_problem *p, sgfblo_errmsg *err) {
  if (!p) return sgfblo_fail(err, SGFBLO_ERR_NULL_ARG, "problem is NULL");
  if (p->n < 1) return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "problem.n must be >= 1 (got %lld)", (long long)p->n);
  if (p->m < 1) return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "problem.m must be >= 1 (got %lld)", (long long)p->m);
  const struct {
    int missing;
    const char *name;
  } req[] = {{!p->f_val, "f_val"},   {!p->grad_f, "grad_f"}, {!p->grad_g, "grad_g"},
             {!p->hyy_mv, "hyy_mv"}, {!p->jyx_mv, "jyx_mv"}, {!p->jyxT_mv, "jyxT_mv"}};
  for (size_t i = 0; i < sizeof req / sizeof req[0]; ++i)
    if (req[i].missing)
      return sgfblo_fail(err, SGFBLO_ERR_NULL_ARG, "problem.%s is required but NULL", req[i].name);
  if (p->x0_mem != SGFBLO_MEM_HOST && p->x0_mem != SGFBLO_MEM_DEVICE)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "problem.x0_mem is not a memory space (got %d)", (int)p->x0_mem);
  return SGFBLO_OK;
}

/* One place maps a callback's nonzero return to a status and a message, with the words the
   callback left in ctx.detail (then cleared, so they never describe a later failure).
   SGFBLO_ERR_ALLOC (an allocation failed) stays itself, so that out of memory reads the same
   in a callback as anywhere else; every other code is SGFBLO_ERR_CALLBACK. */
static sgfblo_status check(sgfblo_oracle *o, int rc, const char *name) {
  if (rc == 0) return SGFBLO_OK;
  o->callback_code = rc;
  const sgfblo_status code = rc == SGFBLO_ERR_ALLOC ? SGFBLO_ERR_ALLOC : SGFBLO_ERR_CALLBACK;
  sgfblo_errmsg *why = o->ctx.detail;
  if (!why || !why->msg[0])
    return sgfblo_fail(o->err, code, "problem callback %s returned %d", name, rc);
  const sgfblo_status st =
      sgfblo_fail(o->err, code, "problem callback %s returned %d: %s", name, rc, why->msg);
  why->msg[0] = '\0';
  return st;
}

sgfblo_status sgfblo_oracle_prepare(sgfblo_oracle *o, int device_id) {
  if (!o->p.prepare) return SGFBLO_OK;
  const int rc = o->p.prepare(device_id, &o->ctx);
  if (rc == SGFBLO_PROBLEM_CB_DEVICE_ONLY && o->ctx.mem == SGFBLO_MEM_HOST) {
    /* The built-in problems' code for data that exist in device memory only: say so, since
       "returned 4" alone does not tell the user which backend to pick. */
    o->callback_code = rc;
    return sgfblo_fail(o->err, SGFBLO_ERR_CALLBACK,
                       "problem callback prepare returned %d: for a built-in problem this means "
                       "its data are in device memory only (made with mem = SGFBLO_MEM_DEVICE); "
                       "set it up on the CUDA backend, on the device that holds the data",
                       rc);
  }
  return check(o, rc, "prepare");
}

sgfblo_status sgfblo_oracle_f(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y, double *out) {
  sgfblo_real v = 0;
  o->n_value++;
  const sgfblo_status st = check(o, o->p.f_val(x, y, &v, &o->ctx), "f_val");
  *out = (double)v;
  return st;
}

sgfblo_status sgfblo_oracle_g(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y, double *out) {
  sgfblo_real v = 0;
  if (!o->p.g_val) {
    *out = NAN;
    return SGFBLO_OK;
  }
  o->n_value++;
  const sgfblo_status st = check(o, o->p.g_val(x, y, &v, &o->ctx), "g_val");
  *out = (double)v;
  return st;
}

sgfblo_status sgfblo_oracle_grad_f(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y,
                                   sgfblo_real *gx, sgfblo_real *gy) {
  o->n_grad++;
  return check(o, o->p.grad_f(x, y, gx, gy, &o->ctx), "grad_f");
}

sgfblo_status sgfblo_oracle_grad_g(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y,
                                   sgfblo_real *gx, sgfblo_real *gy) {
  o->n_grad++;
  return check(o, o->p.grad_g(x, y, gx, gy, &o->ctx), "grad_g");
}

sgfblo_status sgfblo_oracle_hyy(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y,
                                const sgfblo_real *v, sgfblo_real *out) {
  o->n_prod++;
  return check(o, o->p.hyy_mv(x, y, v, out, &o->ctx), "hyy_mv");
}

sgfblo_status sgfblo_oracle_jyx(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y,
                                const sgfblo_real *u, sgfblo_real *out) {
  o->n_prod++;
  return check(o, o->p.jyx_mv(x, y, u, out, &o->ctx), "jyx_mv");
}

sgfblo_status sgfblo_oracle_jyxT(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y,
                                 const sgfblo_real *v, sgfblo_real *out) {
  o->n_prod++;
  return check(o, o->p.jyxT_mv(x, y, v, out, &o->ctx), "jyxT_mv");
}

sgfblo_status sgfblo_oracle_curv(sgfblo_oracle *o, const sgfblo_real *x, const sgfblo_real *y,
                                  const sgfblo_real *v, sgfblo_real *qx, sgfblo_real *qy) {
  if (!o->p.curv_mv) {
    sgfblo_status st = sgfblo_oracle_jyxT(o, x, y, v, qx);
    if (st == SGFBLO_OK) st = sgfblo_oracle_hyy(o, x, y, v, qy);
    return st;
  }
  o->n_prod += 2; /* the two products it replaces */
  return check(o, o->p.curv_mv(x, y, v, qx, qy, &o->ctx), "curv_mv");
}

sgfblo_status sgfblo_oracle_grad_g_curv(sgfblo_oracle *o, const sgfblo_real *x,
                                        const sgfblo_real *y, sgfblo_real *gy, sgfblo_real *qx,
                                        sgfblo_real *qy) {
  if (!o->p.grad_g_curv) {
    sgfblo_status st = sgfblo_oracle_grad_g(o, x, y, NULL, gy);
    if (st == SGFBLO_OK) st = sgfblo_oracle_curv(o, x, y, gy, qx, qy);
    return st;
  }
  /* Counted as the three calls it replaces, so budgets and reports keep their meaning. */
  o->n_grad++;
  o->n_prod += 2;
  return check(o, o->p.grad_g_curv(x, y, gy, qx, qy, &o->ctx), "grad_g_curv");
}

typedef sgfblo_status (*prod_fn)(sgfblo_oracle *, const sgfblo_real *, const sgfblo_real *,
                                 const sgfblo_real *, sgfblo_real *);

/* Column j of the dense block = product with the unit vector e_j (cols columns of m rows).
   e_j is made in backend memory by one-entry fills, so that on a device the columns are
   queued without a host round-trip each. */
static sgfblo_status dense_by_products(sgfblo_oracle *o, const sgfblo_ops *ops, sgfblo_bctx *b,
                                       prod_fn prod, int64_t cols, const sgfblo_real *x,
                                       const sgfblo_real *y, sgfblo_real *out, sgfblo_real *e) {
  sgfblo_status st = SGFBLO_OK;
  const int64_t m = o->p.m;
  SGFBLO_TRY(ops->fill(b, cols, 0.0, e));
  for (int64_t j = 0; j < cols; ++j) {
    SGFBLO_TRY(ops->fill(b, 1, 1.0, e + j));
    SGFBLO_TRY(prod(o, x, y, e, out + j * m));
    SGFBLO_TRY(ops->fill(b, 1, 0.0, e + j));
  }
cleanup:
  return st;
}

sgfblo_status sgfblo_oracle_hyy_dense(sgfblo_oracle *o, const sgfblo_ops *ops, sgfblo_bctx *b,
                                      const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                                      sgfblo_real *e) {
  if (o->p.hyy_dense) {
    o->n_prod++;
    return check(o, o->p.hyy_dense(x, y, out, &o->ctx), "hyy_dense");
  }
  return dense_by_products(o, ops, b, sgfblo_oracle_hyy, o->p.m, x, y, out, e);
}

sgfblo_status sgfblo_oracle_jyx_dense(sgfblo_oracle *o, const sgfblo_ops *ops, sgfblo_bctx *b,
                                      const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                                      sgfblo_real *e) {
  if (o->p.jyx_dense) {
    o->n_prod++;
    return check(o, o->p.jyx_dense(x, y, out, &o->ctx), "jyx_dense");
  }
  return dense_by_products(o, ops, b, sgfblo_oracle_jyx, o->p.n, x, y, out, e);
}
