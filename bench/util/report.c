#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Milliseconds with about 3 significant digits, "-" when not measured. */
static const char *ms(double seconds, char *buf, size_t len) {
  const double v = 1e3 * seconds;
  if (!isfinite(v)) snprintf(buf, len, "-");
  else if (v < 0.1) snprintf(buf, len, "%.4f", v);
  else if (v < 10) snprintf(buf, len, "%.3f", v);
  else if (v < 1000) snprintf(buf, len, "%.1f", v);
  else snprintf(buf, len, "%.0f", v);
  return buf;
}

static const char *pct(double floor, double measured, char *buf, size_t len) {
  if (!isfinite(floor) || !isfinite(measured) || measured <= 0) snprintf(buf, len, "-");
  else snprintf(buf, len, "%.1f%%", 100.0 * floor / measured);
  return buf;
}

static const char *ratio(double num, double den, char *buf, size_t len) {
  if (!isfinite(num) || !isfinite(den) || den <= 0) snprintf(buf, len, "-");
  else snprintf(buf, len, "%.2fx", num / den);
  return buf;
}

static const char *mib(int64_t bytes, char *buf, size_t len) {
  if (bytes < 0) snprintf(buf, len, "-");
  else snprintf(buf, len, "%.0f", (double)bytes / (1 << 20));
  return buf;
}

static const char *per_sample(int64_t bytes, int64_t N, char *buf, size_t len) {
  if (bytes < 0) snprintf(buf, len, "-");
  else snprintf(buf, len, "%.0f", (double)bytes / (double)N);
  return buf;
}

void bench_report_md_header(int cuda, int baseline) {
  printf("| method | N | d | C | calls/RHS | RHS (ms) | RK4 step (ms) | solve (ms) | step floor (ms) "
         "| bound | step %% of floor | solve %% of floor | host (MiB) | host B/sample |");
  if (cuda)
    printf(" graph step (ms) | graph step %% of floor | graph nodes | device (MiB) | device B/sample |");
  if (baseline) printf(" step speed-up | solve speed-up |");
  printf(" copies | note |\n|");
  const int cols = 16 + 5 * (cuda != 0) + 2 * (baseline != 0);
  for (int k = 0; k < cols; ++k) printf("---|");
  printf("\n");
}

void bench_report_md_row(const bench_row *r, int cuda, int baseline) {
  char a[32], b[32], c[32], d[32], e[32], f[32], g[32], h[32], i[32];
  printf("| %s | %lld | %lld | %lld |", bench_method_name(r->method), (long long)r->z.N,
         (long long)r->z.d, (long long)r->z.C);
  if (r->skip[0] && !isfinite(r->t_step)) {
    const int cols = 12 + 5 * (cuda != 0) + 2 * (baseline != 0);
    printf(" skipped: %s |", r->skip);
    for (int k = 1; k < cols; ++k) printf(" |");
    printf("\n");
    return;
  }
  const double calls = r->c_rhs.rhs > 0 ? bench_counts_calls(&r->c_rhs) : NAN;
  char callbuf[32] = "-";
  if (isfinite(calls)) snprintf(callbuf, sizeof callbuf, "%.4g", calls);
  printf(" %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", callbuf, ms(r->t_rhs, a, 32),
         ms(r->t_step, b, 32), ms(r->t_solve, c, 32), ms(r->floor_step, d, 32),
         r->bound_step ? r->bound_step : "-", pct(r->floor_step, r->t_step, e, 32),
         pct(r->floor_solve, r->t_solve, f, 32), mib(r->host_used, g, 32),
         per_sample(r->host_used, r->z.N, h, 32));
  if (cuda) {
    char nodes[32] = "-";
    if (r->graph_nodes > 0) snprintf(nodes, sizeof nodes, "%lld", (long long)r->graph_nodes);
    printf(" %s | %s | %s | %s | %s |", ms(r->t_graph, b, 32), pct(r->floor_step, r->t_graph, c, 32),
           nodes, mib(r->dev_used, a, 32), per_sample(r->dev_used, r->z.N, i, 32));
  }
  if (baseline)
    printf(" %s | %s |", ratio(r->base_step, r->t_step, b, 32), ratio(r->base_solve, r->t_solve, c, 32));
  printf(" %d | %s%s%s |\n", r->copies, r->skip, r->skip[0] && r->note[0] ? "; " : "", r->note);
}

void bench_report_csv_header(FILE *f) {
  fprintf(f,
          "backend,precision,method,N,Nv,d,C,copies,steps,reps_rhs,reps_step,reps_solve,"
          "calls_rhs,calls_step,calls_solve,t_rhs_s,t_step_s,t_solve_s,floor_rhs_s,floor_step_s,"
          "floor_solve_s,bound_step,bytes_step,flops_step,frac_rhs,frac_step,frac_solve,"
          "peak_host_bytes,host_used_bytes,host_bytes_per_sample,mem_scope,dev_used_bytes,"
          "dev_bytes_per_sample,base_t_step_s,base_t_solve_s,speedup_step,speedup_solve,"
          "t_graph_step_s,frac_graph_step,speedup_graph_step,graph_nodes,skipped,note\n");
}

/* Text without commas or newlines, for a CSV field. */
static void csv_text(FILE *f, const char *s) {
  for (; *s; ++s) fputc(*s == ',' ? ';' : *s == '\n' ? ' ' : *s, f);
}

void bench_report_csv_row(FILE *f, const bench_row *r, const char *backend, const char *precision) {
  const double N = (double)r->z.N;
  fprintf(f, "%s,%s,%s,%lld,%lld,%lld,%lld,%d,%d,%d,%d,%d,", backend, precision,
          bench_method_name(r->method), (long long)r->z.N, (long long)r->z.Nv, (long long)r->z.d,
          (long long)r->z.C, r->copies, r->steps, r->reps_rhs, r->reps_step, r->reps_solve);
  fprintf(f, "%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%s,%.6g,%.6g,%.4g,%.4g,%.4g,",
          bench_counts_calls(&r->c_rhs), bench_counts_calls(&r->c_step),
          bench_counts_calls(&r->c_solve), r->t_rhs, r->t_step, r->t_solve, r->floor_rhs,
          r->floor_step, r->floor_solve, r->bound_step ? r->bound_step : "", r->cost_step.bytes,
          r->cost_step.flops, r->floor_rhs / r->t_rhs, r->floor_step / r->t_step,
          r->floor_solve / r->t_solve);
  fprintf(f, "%lld,%lld,%.6g,%s,%lld,%.6g,%.6g,%.6g,%.4g,%.4g,", (long long)r->peak_host,
          (long long)r->host_used, r->host_used >= 0 ? (double)r->host_used / N : NAN,
          r->mem_scope ? r->mem_scope : "", (long long)r->dev_used,
          r->dev_used >= 0 ? (double)r->dev_used / N : NAN, r->base_step, r->base_solve,
          r->base_step / r->t_step, r->base_solve / r->t_solve);
  fprintf(f, "%.6g,%.4g,%.4g,%lld,", r->t_graph, r->floor_step / r->t_graph, r->base_step / r->t_graph,
          (long long)r->graph_nodes);
  csv_text(f, r->skip);
  fputc(',', f);
  csv_text(f, r->note);
  fputc('\n', f);
}

/* ------------------------------------------------------------------ baseline -- */

typedef struct {
  char method[16];
  int64_t N, Nv, d, C, steps;
  double t_step, t_solve; /* NaN: not measured there */
} base_row;

struct bench_baseline {
  base_row *rows;
  int count;
};

/* Index of column `name` in a CSV header line, or -1. */
static int column(const char *header, const char *name) {
  int k = 0;
  for (const char *p = header; *p; ++k) {
    const size_t len = strcspn(p, ",\n");
    if (len == strlen(name) && strncmp(p, name, len) == 0) return k;
    p += len;
    if (*p == ',') ++p;
    else break;
  }
  return -1;
}

/* Field k of a CSV line into buf. */
static void field(const char *line, int k, char *buf, size_t len) {
  const char *p = line;
  for (int i = 0; i < k && p; ++i) {
    p = strchr(p, ',');
    if (p) ++p;
  }
  buf[0] = '\0';
  if (p) snprintf(buf, len, "%.*s", (int)strcspn(p, ",\n"), p);
}

/* A time from the CSV, or NaN where the row did not measure it (NaN, 0 or negative: a
   skipped row, or one written before skipped rows carried NaN), so no speed-up is formed. */
static double measured(const char *field_text) {
  const double t = strtod(field_text, NULL);
  return isfinite(t) && t > 0 ? t : NAN;
}

bench_baseline *bench_baseline_load(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "bench_scale: cannot read the baseline %s\n", path);
    return NULL;
  }
  static char line[4096];
  bench_baseline *b = calloc(1, sizeof *b);
  const char *names[] = {"method", "N", "Nv", "d", "C", "t_step_s", "t_solve_s", "steps"};
  int col[8];
  if (!b || !fgets(line, sizeof line, f)) goto fail;
  for (int k = 0; k < 8; ++k)
    if ((col[k] = column(line, names[k])) < 0) goto fail;
  while (fgets(line, sizeof line, f)) {
    base_row *grown = realloc(b->rows, sizeof *grown * (size_t)(b->count + 1));
    if (!grown) goto fail;
    b->rows = grown;
    base_row *r = &b->rows[b->count++];
    char buf[64];
    field(line, col[0], r->method, sizeof r->method);
    int64_t *ints[] = {&r->N, &r->Nv, &r->d, &r->C};
    for (int k = 0; k < 4; ++k) {
      field(line, col[1 + k], buf, sizeof buf);
      *ints[k] = strtoll(buf, NULL, 10);
    }
    field(line, col[5], buf, sizeof buf);
    r->t_step = measured(buf);
    field(line, col[6], buf, sizeof buf);
    r->t_solve = measured(buf);
    field(line, col[7], buf, sizeof buf);
    r->steps = strtoll(buf, NULL, 10);
  }
  fclose(f);
  return b;
fail:
  fprintf(stderr, "bench_scale: %s is not a bench_scale CSV\n", path);
  fclose(f);
  bench_baseline_free(b);
  return NULL;
}

void bench_baseline_free(bench_baseline *b) {
  if (!b) return;
  free(b->rows);
  free(b);
}

void bench_baseline_join(const bench_baseline *b, bench_row *r) {
  r->base_step = r->base_solve = NAN;
  for (int k = 0; b && k < b->count; ++k) {
    const base_row *x = &b->rows[k];
    if (strcmp(x->method, bench_method_name(r->method)) == 0 && x->N == r->z.N &&
        x->Nv == r->z.Nv && x->d == r->z.d && x->C == r->z.C && x->steps == r->steps) {
      r->base_step = x->t_step;
      r->base_solve = x->t_solve;
    }
  }
}

/* ----------------------------------------------------------- largest N fit -- */

/* Slope (bytes per training sample) and intercept from the two largest N of a group; the
   used bytes at one size when there is only one. */
static void fit_line(const bench_row *rows, const int *idx, int n, int dev, double *slope,
                     double *fixed) {
  int a = -1, b = -1; /* largest and second largest N */
  for (int k = 0; k < n; ++k) {
    const int64_t N = rows[idx[k]].z.N;
    if (a < 0 || N > rows[a].z.N) {
      b = a;
      a = idx[k];
    } else if (b < 0 || N > rows[b].z.N) {
      b = idx[k];
    }
  }
  const double ua = (double)(dev ? rows[a].dev_used : rows[a].host_used), Na = (double)rows[a].z.N;
  *slope = ua / Na;
  *fixed = 0;
  if (b >= 0) {
    const double ub = (double)(dev ? rows[b].dev_used : rows[b].host_used), Nb = (double)rows[b].z.N;
    const double s = (ua - ub) / (Na - Nb);
    if (s > 0) {
      *slope = s;
      *fixed = fmax(0.0, ua - s * Na);
    }
  }
}

void bench_report_fit(const bench_row *rows, int count, int cuda, double host_cap, double host_phys,
                      double dev_cap) {
  int *idx = malloc(sizeof *idx * (size_t)(count > 0 ? count : 1));
  char *done = calloc((size_t)(count > 0 ? count : 1), 1);
  if (!idx || !done) goto cleanup;
  printf("\nLargest N that fits (bytes per training sample: the slope of the memory used between the\n"
         "two largest N measured, which leaves out fixed costs; used / N when only one N was measured):\n\n");
  for (int i = 0; i < count; ++i) {
    if (done[i] || rows[i].host_used <= 0) continue;
    int n = 0;
    for (int j = i; j < count; ++j)
      if (!done[j] && rows[j].host_used > 0 && rows[j].method == rows[i].method &&
          rows[j].z.d == rows[i].z.d && rows[j].z.C == rows[i].z.C && rows[j].z.Nv == rows[i].z.Nv) {
        idx[n++] = j;
        done[j] = 1;
      }
    double slope, fixed;
    fit_line(rows, idx, n, 0, &slope, &fixed);
    printf("- %s, d = %lld, C = %lld: host %.0f B/sample + %.0f MiB fixed (%d sizes): N <= %.3g "
           "within the %.1f GiB cap, %.3g within %.1f GiB physical",
           bench_method_name(rows[i].method), (long long)rows[i].z.d, (long long)rows[i].z.C,
           slope, fixed / (1 << 20), n, (host_cap - fixed) / slope, host_cap / (1 << 30),
           (host_phys - fixed) / slope, host_phys / (1 << 30));
    int dev_all = cuda; /* the device line only where every size of the group measured it */
    for (int k = 0; k < n; ++k) dev_all = dev_all && rows[idx[k]].dev_used > 0;
    if (dev_all) {
      fit_line(rows, idx, n, 1, &slope, &fixed);
      printf("; device %.0f B/sample + %.0f MiB fixed: N <= %.3g within %.1f GiB", slope,
             fixed / (1 << 20), (dev_cap - fixed) / slope, dev_cap / (1 << 30));
    }
    printf("\n");
  }
cleanup:
  free(idx);
  free(done);
}
