/* The summary of `sgfblo hyperclean`: what the data were, then one row per classifier (floor,
   the flow, the baseline, ceiling), as an aligned table or as one JSON object. */
#include <math.h>
#include <string.h>

#include "cli/hyperclean.h"

static const char *corruption_mode(const hc_opts *o, const hc_data *d) {
  if (d->corrupted_here) return o->corrupt == SGFBLO_CORRUPT_CLASS ? "class" : "sample";
  return d->has_mask ? "given" : "unknown";
}

/* The requested fraction, or the observed one for labels given with their clean version. */
static double corruption_p(const hc_opts *o, const hc_data *d) {
  if (d->corrupted_here) return o->p;
  if (d->has_mask) return (double)d->corr.num_corrupted / (double)hc_N(d);
  return NAN;
}

static const char *row_kind(const hc_row *r, int index, int nrows) {
  if (r->is_method) return index == 1 ? "method" : "baseline";
  return index == 0 ? "floor" : (index == nrows - 1 ? "ceiling" : "reference");
}

/* ----------------------------------------------------------------- table -- */

static void cell_pct(FILE *out, int width, double v) {
  if (isfinite(v))
    fprintf(out, " %*.2f%%", width - 1, 100 * v);
  else
    fprintf(out, " %*s", width, "n/a");
}

static void cell_num(FILE *out, int width, int prec, double v) {
  if (isfinite(v))
    fprintf(out, " %*.*f", width, prec, v);
  else
    fprintf(out, " %*s", width, "n/a");
}

static void print_data(FILE *out, const hc_opts *o, const hc_data *d) {
  const sgfblo_split *s = &d->split;
  if (d->from_mnist)
    fprintf(out, "data      MNIST %s: %lld pooled digits split %lld train / %lld validation / "
            "%lld test (seed %llu)\n",
            o->mnist_dir, (long long)d->pool, (long long)s->train.n, (long long)s->val.n,
            (long long)s->test.n, (unsigned long long)o->seed);
  else
    fprintf(out, "data      %s (%lld train), %s (%lld validation), %s (%lld test)\n",
            o->file[HC_TRAIN_X], (long long)s->train.n, o->file[HC_VAL_X], (long long)s->val.n,
            o->file[HC_TEST_X] ? o->file[HC_TEST_X] : "no test file", (long long)s->test.n);
  if (d->pca_k > 0)
    fprintf(out, "features  d = %lld: PCA of %lld features keeping %.1f%% of the training "
            "variance%s\n",
            (long long)hc_dim(d), (long long)d->d_raw, 100 * d->pca_explained,
            o->bias ? ", plus a constant 1" : "");
  else
    fprintf(out, "features  d = %lld (no PCA%s)\n", (long long)hc_dim(d),
            o->bias ? "; the last is a constant 1" : "");
  fprintf(out, "labels    C = %lld; ", (long long)hc_classes(d));
  if (d->corrupted_here)
    fprintf(out, "%lld of %lld training labels corrupted (%s corruption, p = %g, seed %llu)\n",
            (long long)d->corr.num_corrupted, (long long)hc_N(d), corruption_mode(o, d), o->p,
            (unsigned long long)(o->seed + 1));
  else if (d->has_mask)
    fprintf(out, "%lld of %lld training labels differ from %s\n", (long long)d->corr.num_corrupted,
            (long long)hc_N(d), o->file[HC_TRAIN_CLEAN_Y]);
  else
    fprintf(out, "which training labels are wrong is unknown (no --train-clean-y)\n");
  if (o->run.sqcqp) {
    const sgfblo_sqcqp_settings *q = &o->run.sq;
    fprintf(out, "problem   lambda = %g; sqcqp, ", o->lambda);
    if (!cli_bounded_by_time_only(&o->run))
      fprintf(out, "at most %lld iterations, ", (long long)q->max_iters);
    fprintf(out, "w = %g, gamma = %g, sigma = %g, tau0 = %g, delta = %g, ", q->w, q->gamma,
            q->sigma, q->tau0, q->delta);
  } else {
    fprintf(out, "problem   lambda = %g; flow %s, %s, dt = %g, ", o->lambda,
            sgfblo_method_name(o->run.set.method), sgfblo_integrator_name(o->run.set.integrator),
            o->run.set.dt);
    if (o->run.set.t_final < 1e299) fprintf(out, "T = %g, ", o->run.set.t_final);
    if (o->run.steps_given) fprintf(out, "at most %lld steps, ", (long long)o->run.set.max_steps);
  }
  if (o->run.time_limit_given) fprintf(out, "at most %g s, ", o->run.set.max_seconds);
  fprintf(out, "alpha = %g, eps = %g%s\n", o->run.set.alpha, o->run.set.epsilon,
          o->run.set.init_lower ? ", starting from y*(x0)" : "");
  if (o->baseline == HC_BASELINE_AIDBIO) {
    fprintf(out, "baseline  AID-BiO: beta_in = %g, beta_out = %g, D = %d inner steps, K = %d CG "
            "steps, budget = ",
            o->aid.beta_in, o->aid.beta_out, o->aid.inner_steps, o->aid.cg_steps);
    if (o->run.time_limit_given)
      fprintf(out, "%g s of wall time, as the method (--time-limit)\n", o->run.set.max_seconds);
    else
      fprintf(out, "the method's oracle evaluations\n");
  }
}

void hc_print_table(FILE *out, const hc_opts *o, const hc_data *d, const hc_row *rows, int nrows) {
  print_data(out, o, d);
  fprintf(out, "\n%-9s %9s %9s %9s %9s %7s %7s %12s %8s  %s\n", "row", "test acc", "val loss",
          "train acc", "precision", "recall", "F1", "oracle evals", "seconds", "exit");
  for (int i = 0; i < nrows; ++i) {
    const hc_row *r = &rows[i];
    fprintf(out, "%-9s", r->name);
    if (!r->available || r->status != SGFBLO_OK) {
      fprintf(out, " %9s %9s %9s %9s %7s %7s %12s %8s  %s%s\n", "n/a", "n/a", "n/a", "n/a", "n/a",
              "n/a", "n/a", "n/a", r->available ? "failed: " : "not available",
              r->available ? r->exit : "");
      continue;
    }
    cell_pct(out, 9, r->test_acc);
    cell_num(out, 9, 4, r->val_loss);
    cell_pct(out, 9, r->train_acc);
    if (r->has_cleaning) {
      cell_num(out, 9, 4, r->clean.precision);
      cell_num(out, 7, 4, r->clean.recall);
      cell_num(out, 7, 4, r->clean.f1);
    } else {
      fprintf(out, " %9s %7s %7s", "n/a", "n/a", "n/a");
    }
    if (r->oracle_evals >= 0)
      fprintf(out, " %12lld", (long long)r->oracle_evals);
    else
      fprintf(out, " %12s", "n/a");
    cell_num(out, 8, 2, r->seconds);
    fprintf(out, "  %s\n", r->exit);
  }
  fputc('\n', out);
  for (int i = 0; i < nrows; ++i) {
    const hc_row *r = &rows[i];
    if (!r->available)
      fprintf(out, "%s: not available: %s\n", r->name, r->note);
    else if (r->status != SGFBLO_OK)
      fprintf(out, "%s: %s\n", r->name, r->error);
    else if (r->is_method && r->x)
      fprintf(out, "%s: %lld samples flagged (sigma(x_i) < 1/2)%s", r->name, (long long)r->flagged,
              r->has_cleaning ? "" : "\n");
    if (r->available && r->status == SGFBLO_OK && r->is_method && r->has_cleaning)
      fprintf(out, "; F1 of flagging as many at random: %.4f\n", r->clean.f1_random);
  }
  fprintf(out, "Accuracy on the test split; train acc against the noisy training labels; oracle\n"
          "evals: gradient and product calls of the iterations (not the start, not monitoring).\n");
}

/* ------------------------------------------------------------------ JSON -- */

static void json_num_or_null(cli_json *j, const char *k, int have, double v) {
  if (have)
    cli_json_num(j, k, v);
  else
    cli_json_null(j, k);
}

static void json_data(cli_json *j, const hc_opts *o, const hc_data *d) {
  const sgfblo_split *s = &d->split;
  cli_json_open(j, "data", '{');
  cli_json_str(j, "source", d->from_mnist ? "mnist" : "npy");
  if (d->from_mnist) {
    cli_json_str(j, "path", o->mnist_dir);
    cli_json_int(j, "pool", d->pool);
  } else {
    cli_json_str(j, "path", o->file[HC_TRAIN_X]);
    cli_json_null(j, "pool");
  }
  cli_json_int(j, "N", s->train.n);
  cli_json_int(j, "Nv", s->val.n);
  cli_json_int(j, "Ntest", s->test.n);
  cli_json_int(j, "d", hc_dim(d));
  cli_json_int(j, "d_raw", d->d_raw);
  cli_json_int(j, "pca_k", d->pca_k);
  json_num_or_null(j, "pca_explained", d->pca_k > 0, d->pca_explained);
  cli_json_bool(j, "bias", o->bias);
  cli_json_int(j, "C", hc_classes(d));
  cli_json_num(j, "lambda", o->lambda);
  cli_json_num(j, "p", corruption_p(o, d));
  cli_json_str(j, "mode", corruption_mode(o, d));
  if (d->has_mask)
    cli_json_int(j, "corrupted", d->corr.num_corrupted);
  else
    cli_json_null(j, "corrupted");
  cli_json_int(j, "seed", (int64_t)o->seed);
  cli_json_close(j, '}');
}

static void json_settings(cli_json *j, const hc_opts *o) {
  const sgfblo_settings *s = &o->run.set;
  const int sq = o->run.sqcqp;
  cli_json_open(j, "flow", '{');
  cli_json_str(j, "method", cli_method_name(&o->run));
  if (sq)
    cli_json_null(j, "integrator");
  else
    cli_json_str(j, "integrator", sgfblo_integrator_name(s->integrator));
  cli_json_num(j, "alpha", s->alpha);
  cli_json_num(j, "eps", s->epsilon);
  cli_json_num(j, "dt", sq ? NAN : s->dt);
  cli_json_num(j, "t_final", !sq && s->t_final < 1e299 ? s->t_final : NAN);
  cli_json_bool(j, "init_lower", s->init_lower);
  if (sq) {
    cli_json_num(j, "w", o->run.sq.w);
    cli_json_num(j, "gamma", o->run.sq.gamma);
    cli_json_num(j, "sigma", o->run.sq.sigma);
    cli_json_num(j, "tau0", o->run.sq.tau0);
    cli_json_num(j, "delta", o->run.sq.delta);
    if (cli_bounded_by_time_only(&o->run))
      cli_json_null(j, "iters");
    else
      cli_json_int(j, "iters", o->run.sq.max_iters);
  }
  json_num_or_null(j, "time_limit", o->run.time_limit_given, s->max_seconds);
  cli_json_close(j, '}');
  if (o->baseline != HC_BASELINE_AIDBIO) {
    cli_json_null(j, "baseline");
    return;
  }
  cli_json_open(j, "baseline", '{');
  cli_json_str(j, "name", "aidbio");
  cli_json_num(j, "beta_in", o->aid.beta_in);
  cli_json_num(j, "beta_out", o->aid.beta_out);
  cli_json_int(j, "inner_steps", o->aid.inner_steps);
  cli_json_int(j, "cg_steps", o->aid.cg_steps);
  /* What the comparison holds equal: the method's oracle evaluations, or its wall time. */
  cli_json_str(j, "budget", o->run.time_limit_given ? "seconds" : "oracle_evals");
  json_num_or_null(j, "time_limit", o->run.time_limit_given, s->max_seconds);
  cli_json_close(j, '}');
}

static void json_row(cli_json *j, const hc_row *r, const char *kind) {
  const int ok = r->available && r->status == SGFBLO_OK;
  cli_json_open(j, NULL, '{');
  cli_json_str(j, "name", r->name);
  cli_json_str(j, "kind", kind);
  cli_json_bool(j, "available", r->available);
  cli_json_str(j, "status", sgfblo_status_string(r->status));
  cli_json_str(j, "exit", r->available ? r->exit : "none");
  if (r->status != SGFBLO_OK)
    cli_json_str(j, "error", r->error);
  json_num_or_null(j, "test_acc", ok, r->test_acc);
  json_num_or_null(j, "val_loss", ok, r->val_loss);
  json_num_or_null(j, "val_acc", ok, r->val_acc);
  json_num_or_null(j, "train_acc", ok, r->train_acc);
  const int cl = ok && r->has_cleaning;
  json_num_or_null(j, "precision", cl, r->clean.precision);
  json_num_or_null(j, "recall", cl, r->clean.recall);
  json_num_or_null(j, "f1", cl, r->clean.f1);
  json_num_or_null(j, "f1_random", cl, r->clean.f1_random);
  if (ok && r->is_method)
    cli_json_int(j, "flagged", r->flagged);
  else
    cli_json_null(j, "flagged");
  if (r->oracle_evals >= 0)
    cli_json_int(j, "oracle_evals", r->oracle_evals);
  else
    cli_json_null(j, "oracle_evals");
  cli_json_num(j, "seconds", r->seconds);
  json_num_or_null(j, "t", r->is_method, r->t_end);
  json_num_or_null(j, "grad_g_norm", r->is_method, r->grad_g_norm);
  cli_json_close(j, '}');
}

void hc_print_json(FILE *out, const hc_opts *o, const hc_data *d, const hc_row *rows, int nrows) {
  cli_json j;
  int ok = 1;
  cli_json_begin(&j, out);
  cli_json_str(&j, "command", "hyperclean");
  json_data(&j, o, d);
  json_settings(&j, o);
  cli_json_open(&j, "rows", '[');
  for (int i = 0; i < nrows; ++i) {
    json_row(&j, &rows[i], row_kind(&rows[i], i, nrows));
    ok = ok && rows[i].status == SGFBLO_OK;
  }
  cli_json_close(&j, ']');
  cli_json_bool(&j, "ok", ok);
  cli_json_end(&j);
}
