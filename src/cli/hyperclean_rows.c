/* The rows of the final table: their lifetime, their monitoring points, and the metrics of a
   finished row (accuracy and loss of its classifier, cleaning scores of its weights). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hyperclean.h"

void hc_row_init(hc_row *r, const char *name, int is_method) {
  memset(r, 0, sizeof *r);
  snprintf(r->name, sizeof r->name, "%s", name);
  r->is_method = is_method;
  r->available = 1;
  r->status = SGFBLO_OK;
  r->exit = "none";
  r->test_acc = r->val_loss = r->train_acc = r->val_acc = NAN;
  r->oracle_evals = -1;
  r->seconds = r->t_end = r->grad_g_norm = NAN;
}

void hc_row_free(hc_row *r) {
  free(r->x);
  free(r->y);
  free(r->curve);
  r->x = r->y = NULL;
  r->curve = NULL;
  r->ncurve = r->capcurve = 0;
}

int hc_row_add_point(hc_row *r, const hc_point *pt) {
  if (r->ncurve == r->capcurve) {
    const int64_t cap = r->capcurve ? 2 * r->capcurve : 64;
    hc_point *c = realloc(r->curve, sizeof *c * (size_t)cap);
    if (!c) return -1;
    r->curve = c;
    r->capcurve = cap;
  }
  r->curve[r->ncurve++] = *pt;
  return 0;
}

/* Loss and accuracy of y on one labelled set; NAN when the set is empty. */
static sgfblo_status score(const sgfblo_dataset *ds, const sgfblo_real *y, double *loss,
                           double *acc, sgfblo_errmsg *err) {
  if (loss) *loss = NAN;
  if (acc) *acc = NAN;
  if (ds->n < 1) return SGFBLO_OK;
  return sgfblo_hyperclean_loss_acc(ds->n, ds->d, ds->num_classes, ds->features, ds->labels, y,
                                    loss, acc, err);
}

int hc_row_evaluate(const hc_data *d, hc_row *r) {
  sgfblo_errmsg err = {{0}};
  if (!r->y) return CLI_EXIT_OK;
  const sgfblo_split *s = &d->split;
  sgfblo_status st = score(&s->test, r->y, NULL, &r->test_acc, &err);
  if (st == SGFBLO_OK) st = score(&s->val, r->y, &r->val_loss, &r->val_acc, &err);
  /* Training accuracy is measured on the labels the cleaner saw (the noisy ones). */
  if (st == SGFBLO_OK) st = score(&s->train, r->y, NULL, &r->train_acc, &err);
  if (st == SGFBLO_OK && r->is_method && r->x && d->has_mask) {
    st = sgfblo_cleaning_metrics_compute(r->x, d->corr.mask, hc_N(d), &r->clean, &err);
    if (st == SGFBLO_OK) {
      r->has_cleaning = 1;
      r->flagged = r->clean.tp + r->clean.fp;
    }
  }
  if (st == SGFBLO_OK && r->is_method && r->x && !r->has_cleaning) {
    r->flagged = 0;
    for (int64_t i = 0; i < hc_N(d); ++i) r->flagged += r->x[i] < 0;
  }
  if (st == SGFBLO_OK) return CLI_EXIT_OK;
  fprintf(stderr, "%s: scoring %s failed: %s: %s\n", HC_PROG, r->name, sgfblo_status_string(st),
          err.msg);
  return CLI_EXIT_FAILURE;
}
