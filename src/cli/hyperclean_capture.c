/* A forwarding problem for AID-BiO's progress display. sgfblo_aidbio_run hands its iterate
   back only when it returns, but at every monitoring point it evaluates f at the current
   iterate just before calling the monitor; f_val here forwards the call and keeps a copy of
   that y, which the monitor then scores on the test split. The other callbacks only forward
   (ctx->user_data must become the inner problem's again). Host memory only, like AID-BiO. */
#include <stdlib.h>
#include <string.h>

#include "cli/hyperclean.h"

static sgfblo_eval_ctx inner_ctx(const sgfblo_eval_ctx *ctx, const hc_capture **c) {
  *c = ctx->user_data;
  sgfblo_eval_ctx in = *ctx;
  in.user_data = (*c)->inner.user_data;
  return in;
}

static int fwd_f_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                     const sgfblo_eval_ctx *ctx) {
  const hc_capture *c;
  const sgfblo_eval_ctx in = inner_ctx(ctx, &c);
  const int rc = c->inner.f_val(x, y, out, &in);
  if (rc == 0 && ctx->mem == SGFBLO_MEM_HOST) {
    hc_capture *w = ctx->user_data;
    memcpy(w->y_seen, y, sizeof *y * (size_t)c->inner.m);
    w->seen = 1;
  }
  return rc;
}

static int fwd_g_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                     const sgfblo_eval_ctx *ctx) {
  const hc_capture *c;
  const sgfblo_eval_ctx in = inner_ctx(ctx, &c);
  return c->inner.g_val(x, y, out, &in);
}

static int fwd_grad_f(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx,
                      sgfblo_real *gy, const sgfblo_eval_ctx *ctx) {
  const hc_capture *c;
  const sgfblo_eval_ctx in = inner_ctx(ctx, &c);
  return c->inner.grad_f(x, y, gx, gy, &in);
}

static int fwd_grad_g(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx,
                      sgfblo_real *gy, const sgfblo_eval_ctx *ctx) {
  const hc_capture *c;
  const sgfblo_eval_ctx in = inner_ctx(ctx, &c);
  return c->inner.grad_g(x, y, gx, gy, &in);
}

#define FORWARD_PROD(name, field)                                                          \
  static int name(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,       \
                  sgfblo_real *out, const sgfblo_eval_ctx *ctx) {                          \
    const hc_capture *c;                                                                   \
    const sgfblo_eval_ctx in = inner_ctx(ctx, &c);                                         \
    return c->inner.field(x, y, v, out, &in);                                              \
  }
FORWARD_PROD(fwd_hyy, hyy_mv)
FORWARD_PROD(fwd_jyx, jyx_mv)
FORWARD_PROD(fwd_jyxT, jyxT_mv)
#undef FORWARD_PROD

/* prepare reads its instance from ctx->user_data too, so it must be forwarded like the rest:
   handed the wrapper, the inner hook would take it for the instance. */
static int fwd_prepare(int device_id, const sgfblo_eval_ctx *ctx) {
  const hc_capture *c;
  const sgfblo_eval_ctx in = inner_ctx(ctx, &c);
  return c->inner.prepare(device_id, &in);
}

int hc_capture_init(hc_capture *c, const sgfblo_problem *inner, sgfblo_problem *out) {
  memset(c, 0, sizeof *c);
  c->inner = *inner;
  c->y_seen = calloc((size_t)inner->m, sizeof *c->y_seen);
  if (!c->y_seen) return -1;
  *out = *inner;
  out->user_data = c;
  out->f_val = inner->f_val ? fwd_f_val : NULL;
  out->g_val = inner->g_val ? fwd_g_val : NULL;
  out->grad_f = inner->grad_f ? fwd_grad_f : NULL;
  out->grad_g = inner->grad_g ? fwd_grad_g : NULL;
  out->hyy_mv = inner->hyy_mv ? fwd_hyy : NULL;
  out->jyx_mv = inner->jyx_mv ? fwd_jyx : NULL;
  out->jyxT_mv = inner->jyxT_mv ? fwd_jyxT : NULL;
  out->prepare = inner->prepare ? fwd_prepare : NULL;
  out->hyy_dense = NULL; /* AID-BiO uses products only */
  out->jyx_dense = NULL;
  /* Not forwarded (a copied pointer would be handed the wrapper): the capture's methods fall
     back to the calls above. */
  out->grad_g_curv = NULL;
  out->curv_mv = NULL;
  return 0;
}

void hc_capture_free(hc_capture *c) {
  free(c->y_seen);
  memset(c, 0, sizeof *c);
}
