#include "solver/step_graph.h"

#include "core/error.h"
#include "integrator/integrator.h"
#include "method/method.h"

/* Replay reproduces exactly what the host-driven step does only when the step has no host
   decision in it: a fixed tableau without FSAL (the stage derivative k[0] is always fresh),
   no eps-set step control, a method that only enqueues work, and the full step size (the
   lincomb coefficients dt b_j are recorded as values). */
static int eligible(const sgfblo_solver *s, double dt) {
  return s->ops->graph_begin && s->set.cuda_graph && !s->graph_off && s->method->graph_safe &&
         !s->tab->adaptive && !s->tab->fsal && !s->set.step_control && !s->k0_valid &&
         dt == s->set.dt;
}

static sgfblo_step_graph *find(sgfblo_solver *s, double dt, int *is_new) {
  *is_new = 0;
  for (int i = 0; i < SGFBLO_STEP_GRAPHS; ++i)
    if (s->graphs[i].exec && s->graphs[i].z == s->z && s->graphs[i].dt == dt) return &s->graphs[i];
  for (int i = 0; i < SGFBLO_STEP_GRAPHS; ++i)
    if (!s->graphs[i].exec) {
      *is_new = 1;
      return &s->graphs[i];
    }
  return NULL;
}

/* Record the step into g. Nothing runs while recording, so the evaluation counters the host
   code advanced are put back and stored as the cost of one replay. */
static void record(sgfblo_solver *s, sgfblo_step_graph *g, double dt) {
  const int64_t rhs0 = s->n_rhs, grad0 = s->orc.n_grad, prod0 = s->orc.n_prod;
  const int code0 = s->orc.callback_code;
  void *exec = NULL;
  int64_t nodes = 0;
  sgfblo_status st = s->ops->graph_begin(&s->bctx);
  if (st == SGFBLO_OK) {
    const sgfblo_status body = sgfblo_solver_step_body(s, dt);
    st = s->ops->graph_end(&s->bctx, body == SGFBLO_OK, &exec, &nodes);
    if (body != SGFBLO_OK) st = body;
  }
  g->n_rhs = s->n_rhs - rhs0;
  g->n_grad = s->orc.n_grad - grad0;
  g->n_prod = s->orc.n_prod - prod0;
  s->n_rhs = rhs0;
  s->orc.n_grad = grad0;
  s->orc.n_prod = prod0;
  s->orc.callback_code = code0;
  s->k0_valid = 0;
  if (st != SGFBLO_OK || !exec) {
    /* Graphs are an optimisation: the step runs from the host from now on, and a real fault
       of the step shows up there with its own status. */
    if (exec) s->ops->graph_release(&s->bctx, exec);
    s->graph_off = 1;
    sgfblo_err_clear(&s->err);
    return;
  }
  g->exec = exec;
  g->z = s->z;
  g->dt = dt;
  s->info.graph_nodes = nodes;
}

sgfblo_status sgfblo_step_graph_run(sgfblo_solver *s, double dt, int *replayed) {
  sgfblo_status st = SGFBLO_OK;
  *replayed = 0;
  if (!eligible(s, dt)) return SGFBLO_OK;
  int is_new;
  sgfblo_step_graph *g = find(s, dt, &is_new);
  if (!g) return SGFBLO_OK;
  if (is_new) {
    record(s, g, dt);
    if (!g->exec) return SGFBLO_OK;
  }
  SGFBLO_TRY(s->ops->graph_launch(&s->bctx, g->exec));
  s->n_rhs += g->n_rhs;
  s->orc.n_grad += g->n_grad;
  s->orc.n_prod += g->n_prod;
  s->k0_valid = 1; /* as after sgfblo_rk_attempt: k[0] = RHS(z) */
  s->info.n_graph_steps++;
  *replayed = 1;
cleanup:
  return st;
}

void sgfblo_step_graphs_release(sgfblo_solver *s) {
  for (int i = 0; i < SGFBLO_STEP_GRAPHS; ++i) {
    if (s->graphs[i].exec && s->ops) s->ops->graph_release(&s->bctx, s->graphs[i].exec);
    s->graphs[i] = (sgfblo_step_graph){0};
  }
}
