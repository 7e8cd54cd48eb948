#include "counting.h"

/* The context the inner problem expects: the same memory space and stream, its user_data. */
#define INNER(ctx, w, c2)                       \
  bench_counting *w = (ctx)->user_data;         \
  sgfblo_eval_ctx c2 = *(ctx);                  \
  c2.user_data = w->inner.user_data

static int c_f_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                   const sgfblo_eval_ctx *ctx) {
  INNER(ctx, w, c2);
  w->counts->call[BENCH_F_VAL] += 1;
  return w->inner.f_val(x, y, out, &c2);
}

static int c_g_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                   const sgfblo_eval_ctx *ctx) {
  INNER(ctx, w, c2);
  w->counts->call[BENCH_G_VAL] += 1;
  return w->inner.g_val(x, y, out, &c2);
}

static int c_grad_f(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx, sgfblo_real *gy,
                    const sgfblo_eval_ctx *ctx) {
  INNER(ctx, w, c2);
  w->counts->call[BENCH_GRAD_F] += 1;
  return w->inner.grad_f(x, y, gx, gy, &c2);
}

static int c_grad_g(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx, sgfblo_real *gy,
                    const sgfblo_eval_ctx *ctx) {
  INNER(ctx, w, c2);
  w->counts->call[BENCH_GRAD_G] += 1;
  return w->inner.grad_g(x, y, gx, gy, &c2);
}

static int c_hyy(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                 sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  INNER(ctx, w, c2);
  w->counts->call[BENCH_HYY] += 1;
  return w->inner.hyy_mv(x, y, v, out, &c2);
}

static int c_jyx(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *u,
                 sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  INNER(ctx, w, c2);
  w->counts->call[BENCH_JYX] += 1;
  return w->inner.jyx_mv(x, y, u, out, &c2);
}

static int c_jyxT(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                  sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  INNER(ctx, w, c2);
  w->counts->call[BENCH_JYXT] += 1;
  return w->inner.jyxT_mv(x, y, v, out, &c2);
}

static int c_hyy_dense(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                       const sgfblo_eval_ctx *ctx) {
  INNER(ctx, w, c2);
  w->counts->call[BENCH_HYY_DENSE] += 1;
  return w->inner.hyy_dense(x, y, out, &c2);
}

static int c_jyx_dense(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                       const sgfblo_eval_ctx *ctx) {
  INNER(ctx, w, c2);
  w->counts->call[BENCH_JYX_DENSE] += 1;
  return w->inner.jyx_dense(x, y, out, &c2);
}

static int c_curv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                  sgfblo_real *qx, sgfblo_real *qy, const sgfblo_eval_ctx *ctx) {
  INNER(ctx, w, c2);
  w->counts->call[BENCH_CURV] += 1;
  return w->inner.curv_mv(x, y, v, qx, qy, &c2);
}

static int c_grad_g_curv(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gy,
                         sgfblo_real *qx, sgfblo_real *qy, const sgfblo_eval_ctx *ctx) {
  INNER(ctx, w, c2);
  w->counts->call[BENCH_GRAD_G_CURV] += 1;
  return w->inner.grad_g_curv(x, y, gy, qx, qy, &c2);
}

static int c_prepare(int device_id, const sgfblo_eval_ctx *ctx) {
  INNER(ctx, w, c2);
  return w->inner.prepare(device_id, &c2);
}

void bench_counting_wrap(bench_counting *w, const sgfblo_problem *inner, bench_counts *counts,
                         sgfblo_problem *out) {
  w->inner = *inner;
  w->counts = counts;
  *out = *inner;
  out->user_data = w;
  out->f_val = inner->f_val ? c_f_val : NULL;
  out->g_val = inner->g_val ? c_g_val : NULL;
  out->grad_f = inner->grad_f ? c_grad_f : NULL;
  out->grad_g = inner->grad_g ? c_grad_g : NULL;
  out->hyy_mv = inner->hyy_mv ? c_hyy : NULL;
  out->jyx_mv = inner->jyx_mv ? c_jyx : NULL;
  out->jyxT_mv = inner->jyxT_mv ? c_jyxT : NULL;
  out->hyy_dense = inner->hyy_dense ? c_hyy_dense : NULL;
  out->jyx_dense = inner->jyx_dense ? c_jyx_dense : NULL;
  out->prepare = inner->prepare ? c_prepare : NULL;
  out->grad_g_curv = inner->grad_g_curv ? c_grad_g_curv : NULL;
  out->curv_mv = inner->curv_mv ? c_curv : NULL;
}
