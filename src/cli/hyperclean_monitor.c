/* The monitor callback of `sgfblo hyperclean`: at every monitoring point it reads the current
   classifier (the flow's state through sgfblo_solver_get_state, AID-BiO's through the capture
   wrapper), scores it on the test split, records the point for the plots, and shows the
   progress on stderr: one bar redrawn in place on a terminal, plain lines otherwise. */
#define _POSIX_C_SOURCE 200809L /* fileno, isatty */

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/hyperclean.h"

#define BAR_WIDTH 20

double hc_now(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int hc_monitor_init(hc_monitor *m, const hc_data *d, hc_row *row, int show) {
  memset(m, 0, sizeof *m);
  m->data = d;
  m->row = row;
  m->show = show;
  m->tty = show && isatty(fileno(stderr));
  m->y = malloc(sizeof *m->y * (size_t)(hc_dim(d) * hc_classes(d)));
  m->wall0 = hc_now();
  return m->y ? 0 : -1;
}

void hc_monitor_done(hc_monitor *m) {
  if (m->tty && m->width > 0) fputc('\n', stderr);
  m->width = 0;
  fflush(stderr);
  free(m->y);
  m->y = NULL;
}

/* Fraction of the run done, in [0, 1]. */
static double fraction(const hc_monitor *m, const sgfblo_progress *p, const hc_point *pt) {
  const int64_t oracle = pt->oracle;
  double f = m->time_limit > 0 ? pt->seconds / m->time_limit : 0;
  if (m->solver) {
    if (m->t_final > 0 && m->t_final < 1e299) f = fmax(f, p->t / m->t_final);
    if (m->max_steps > 0) f = fmax(f, (double)p->step / (double)m->max_steps);
  } else {
    if (m->budget > 0) f = (double)oracle / (double)m->budget;
    if (m->max_iters > 0) f = fmax(f, (double)p->step / (double)m->max_iters);
  }
  return fmin(1.0, fmax(0.0, f));
}

static void format_eta(char *buf, size_t len, double elapsed, double frac) {
  if (frac <= 0 || frac >= 1) {
    snprintf(buf, len, "%s", frac >= 1 ? "0:00" : "--:--");
    return;
  }
  const long s = lround(elapsed * (1 - frac) / frac);
  if (s >= 3600)
    snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
}

static void show(hc_monitor *m, const sgfblo_progress *p, const hc_point *pt, double frac) {
  char eta[32], clock[48], acc[16];
  format_eta(eta, sizeof eta, pt->seconds, frac);
  if (m->solver)
    snprintf(clock, sizeof clock, "t %-7.4g", p->t);
  else
    snprintf(clock, sizeof clock, "iter %-5lld", (long long)p->step);
  if (isfinite(pt->test_acc))
    snprintf(acc, sizeof acc, "%.2f%%", 100 * pt->test_acc);
  else
    snprintf(acc, sizeof acc, "n/a");
  if (m->tty) {
    char bar[BAR_WIDTH + 1];
    const int filled = (int)lround(frac * BAR_WIDTH);
    for (int i = 0; i < BAR_WIDTH; ++i) bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    const int w = fprintf(stderr, "\r%-8s [%s] %3.0f%%  %s  val loss %.4f  test acc %s  "
                          "|grad_y g| %.2e  ETA %s",
                          m->row->name, bar, 100 * frac, clock, pt->val_loss, acc,
                          pt->grad_g_norm, eta);
    if (w < m->width) fprintf(stderr, "%*s", m->width - w, ""); /* erase a longer old bar */
    m->width = w;
  } else {
    fprintf(stderr, "%-8s %3.0f%%  %s  val loss %.4f  test acc %s  |grad_y g| %.2e  "
            "oracle %lld  ETA %s\n",
            m->row->name, 100 * frac, clock, pt->val_loss, acc, pt->grad_g_norm,
            (long long)pt->oracle, eta);
  }
  fflush(stderr);
}

int hc_monitor_cb(const sgfblo_progress *p, void *data) {
  hc_monitor *m = data;
  const hc_data *d = m->data;
  m->reports++;
  hc_point pt = {.t = m->solver ? p->t : (double)p->step,
                 .seconds = hc_now() - m->wall0,
                 .oracle = p->n_oracle, /* the method's own calls: not setup, not monitoring */
                 .val_loss = p->f,
                 .test_acc = NAN,
                 .grad_g_norm = p->grad_g_norm};
  const sgfblo_real *y = NULL;
  if (m->solver) {
    if (sgfblo_solver_get_state(m->solver, NULL, m->y) == SGFBLO_OK) y = m->y;
  } else {
    y = m->y_seen;
  }
  const sgfblo_dataset *te = &d->split.test;
  if (y && te->n > 0)
    sgfblo_hyperclean_loss_acc(te->n, te->d, te->num_classes, te->features, te->labels, y, NULL,
                               &pt.test_acc, NULL);
  if (hc_row_add_point(m->row, &pt) != 0) m->failed = 1;
  if (m->show) show(m, p, &pt, fraction(m, p, &pt));
  return 0;
}
