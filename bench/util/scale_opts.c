#include "scale_opts.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char USAGE[] =
    "usage: bench_scale [options]\n"
    "Times one RHS evaluation, one RK4 step (on cuda also replayed from its CUDA Graph) and a\n"
    "short solve of each method on generated hyper-cleaning data, against the floor of the\n"
    "measured bandwidth and GEMM rate.\n"
    "  --backend cpu|cuda        backend (default cpu); the precision is the build's\n"
    "  --n-list N,N,...          training samples (default 1e3,5e3,1e4,1e5,1e6,1e7)\n"
    "  --d-list D,...            features (default 82,784,2048)\n"
    "  --c-list C,...            classes (default 10,100)\n"
    "  --methods M,...           rxgf invfree sgf-chol sgf-cg pc stable aidbio\n"
    "                            (default rxgf,invfree,sgf-chol,sgf-cg,pc,aidbio)\n"
    "  --nv NV                   validation samples (default 2500)\n"
    "  --repeats R               timed RHS and step repeats (default 7)\n"
    "  --solve-repeats R         timed solves (default 3)\n"
    "  --steps S                 RK4 steps (AID-BiO: iterations) per solve (default 10)\n"
    "  --warmup W                untimed rounds first (default 2)\n"
    "  --quick                   repeats 3, solve-repeats 1, steps 3, warmup 1, max-seconds 30,\n"
    "                            gemm-n 2048 on the cpu backend (later options override)\n"
    "  --max-gib G               memory cap; rows estimated above it are skipped\n"
    "                            (default min(0.7 physical, 0.9 available); GPU: 0.9 free)\n"
    "  --max-seconds T           time cap per row (default 120): fewer repeats, then skips\n"
    "  --cache-mib M             cache to defeat by rotating copies (default: reported LLC)\n"
    "  --max-copies K            most problem copies to rotate between (default 16, at most 64)\n"
    "  --gemm-n N                GEMM size of the flop-rate ceiling (default 3072; cuda 8192)\n"
    "  --seed S                  data seed (default 7)\n"
    "  --unfused                 hide the fused callbacks: RXGF and inversion-free call grad_g,\n"
    "                            Jyx^T and Hyy apart (5 GEMMs with A and 3 reads of it per\n"
    "                            RHS, not 4 and 2), SGF-CG Jyx^T and Hyy at one v apart (3 GEMMs\n"
    "                            and 2 reads, not 2 and 1)\n"
    "  --device-pass cublas|fused  cuda: each product with A as two cuBLAS GEMMs with a row\n"
    "                            kernel between (default), or one fused row-block kernel\n"
    "  --csv FILE                also write every row as CSV\n"
    "  --baseline FILE           CSV of another run (e.g. the cpu backend): adds its time over\n"
    "                            this run's for the same method and sizes (speed-up)\n"
    "  --label TEXT              free text for the header (e.g. the commit)\n";

/* A count like 5000, 1e6 or 1.5e5: a positive integer given in any float notation. */
static int parse_count(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  const double v = strtod(s, &end);
  if (errno || end == s || (*end && *end != ',') || !(v >= 1) || v > 9e15 || v != floor(v)) return -1;
  *out = (int64_t)v;
  return 0;
}

static int parse_list(const char *opt, const char *s, int64_t *list, int *count) {
  *count = 0;
  while (*s) {
    if (*count == BENCH_MAX_LIST || parse_count(s, &list[*count]) != 0) {
      fprintf(stderr, "bench_scale: %s: bad list '%s'\n", opt, s);
      return -1;
    }
    ++*count;
    s += strcspn(s, ",");
    if (*s == ',') ++s;
  }
  return *count > 0 ? 0 : -1;
}

static int parse_methods(const char *s, bench_scale_opts *o) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", s);
  o->m_count = 0;
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    int bad = o->m_count == BENCH_METHOD_COUNT || bench_method_from_name(tok, &o->methods[o->m_count]);
    for (int k = 0; !bad && k < o->m_count; ++k) bad = o->methods[k] == o->methods[o->m_count];
    if (bad) {
      fprintf(stderr, "bench_scale: --methods: unknown or repeated method '%s'\n", tok);
      return -1;
    }
    ++o->m_count;
  }
  return o->m_count > 0 ? 0 : -1;
}

static int parse_int(const char *opt, const char *s, int lo, int *out) {
  int64_t v;
  if (parse_count(s, &v) != 0 || v < lo || v > 1000000000) {
    fprintf(stderr, "bench_scale: %s: expected an integer >= %d (got '%s')\n", opt, lo, s);
    return -1;
  }
  *out = (int)v;
  return 0;
}

static int parse_pos(const char *opt, const char *s, double *out) {
  char *end;
  *out = strtod(s, &end);
  if (end == s || *end || !(*out > 0) || !isfinite(*out)) {
    fprintf(stderr, "bench_scale: %s: expected a number > 0 (got '%s')\n", opt, s);
    return -1;
  }
  return 0;
}

static void defaults(bench_scale_opts *o) {
  memset(o, 0, sizeof *o);
  o->backend = SGFBLO_BACKEND_CPU;
  o->gemm_n_cpu = 3072;
  parse_list("", "1e3,5e3,1e4,1e5,1e6,1e7", o->n_list, &o->n_count);
  parse_list("", "82,784,2048", o->d_list, &o->d_count);
  parse_list("", "10,100", o->c_list, &o->c_count);
  parse_methods("rxgf,invfree,sgf-chol,sgf-cg,pc,aidbio", o);
  o->nv = 2500;
  o->repeats = 7;
  o->solve_repeats = 3;
  o->steps = 10;
  o->warmup = 2;
  o->max_seconds = 120;
  o->max_copies = 16;
  o->seed = 7;
}

static void quick(bench_scale_opts *o) {
  o->repeats = 3;
  o->solve_repeats = 1;
  o->steps = 3;
  o->warmup = 1;
  o->max_seconds = 30;
  o->gemm_n_cpu = 2048; /* the CPU's GEMM ceiling takes seconds; a GPU's n = 8192 one, ms */
}

int bench_scale_parse(int argc, char **argv, bench_scale_opts *o) {
  defaults(o);
  for (int i = 1; i < argc; ++i)
    if (strcmp(argv[i], "--quick") == 0) quick(o);
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0, takes = 1;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(USAGE, stdout);
      return 1;
    } else if (strcmp(a, "--quick") == 0) {
      takes = 0;
    } else if (strcmp(a, "--unfused") == 0) {
      o->unfused = 1;
      takes = 0;
    } else if (!v) {
      fprintf(stderr, "bench_scale: %s needs a value (or is unknown)\n%s", a, USAGE);
      return 2;
    } else if (strcmp(a, "--backend") == 0) {
      bad = strcmp(v, "cpu") != 0 && strcmp(v, "cuda") != 0;
      o->backend = strcmp(v, "cuda") == 0 ? SGFBLO_BACKEND_CUDA : SGFBLO_BACKEND_CPU;
      if (bad) fprintf(stderr, "bench_scale: --backend: cpu or cuda (got '%s')\n", v);
    } else if (strcmp(a, "--n-list") == 0) {
      bad = parse_list(a, v, o->n_list, &o->n_count);
    } else if (strcmp(a, "--d-list") == 0) {
      bad = parse_list(a, v, o->d_list, &o->d_count);
    } else if (strcmp(a, "--c-list") == 0) {
      bad = parse_list(a, v, o->c_list, &o->c_count);
      for (int k = 0; !bad && k < o->c_count; ++k) bad = o->c_list[k] < 2;
    } else if (strcmp(a, "--methods") == 0) {
      bad = parse_methods(v, o);
    } else if (strcmp(a, "--nv") == 0) {
      bad = parse_count(v, &o->nv);
    } else if (strcmp(a, "--repeats") == 0) {
      bad = parse_int(a, v, 1, &o->repeats);
    } else if (strcmp(a, "--solve-repeats") == 0) {
      bad = parse_int(a, v, 1, &o->solve_repeats);
    } else if (strcmp(a, "--steps") == 0) {
      bad = parse_int(a, v, 1, &o->steps);
    } else if (strcmp(a, "--warmup") == 0) {
      bad = parse_int(a, v, 1, &o->warmup);
    } else if (strcmp(a, "--max-copies") == 0) {
      bad = parse_int(a, v, 1, &o->max_copies) || o->max_copies > 64;
    } else if (strcmp(a, "--gemm-n") == 0) {
      bad = parse_int(a, v, 64, &o->gemm_n);
    } else if (strcmp(a, "--max-gib") == 0) {
      bad = parse_pos(a, v, &o->max_gib);
    } else if (strcmp(a, "--max-seconds") == 0) {
      bad = parse_pos(a, v, &o->max_seconds);
    } else if (strcmp(a, "--cache-mib") == 0) {
      bad = parse_pos(a, v, &o->cache_mib);
    } else if (strcmp(a, "--seed") == 0) {
      char *end;
      errno = 0;
      o->seed = strtoull(v, &end, 10);
      bad = errno || end == v || *end;
    } else if (strcmp(a, "--device-pass") == 0) {
      bad = strcmp(v, "cublas") != 0 && strcmp(v, "fused") != 0;
      o->device_pass =
          strcmp(v, "fused") == 0 ? SGFBLO_HC_DEVICE_PASS_FUSED : SGFBLO_HC_DEVICE_PASS_CUBLAS;
    } else if (strcmp(a, "--csv") == 0) {
      o->csv = v;
    } else if (strcmp(a, "--baseline") == 0) {
      o->baseline = v;
    } else if (strcmp(a, "--label") == 0) {
      o->label = v;
    } else {
      fprintf(stderr, "bench_scale: unknown option %s\n%s", a, USAGE);
      return 2;
    }
    if (bad) {
      fprintf(stderr, "bench_scale: bad value for %s: '%s'\n", a, v);
      return 2;
    }
    i += takes;
  }
  return 0;
}
