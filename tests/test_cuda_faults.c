/* The CUDA backend's error paths, on the host emulation with its fault injection
   (emu/include/emu_faults.h): a hyper-cleaning problem set up, solved and torn down on the
   CUDA backend (or run through AID-BiO), with one call made to fail at a time, every call of
   its kind in turn (an evenly spread sample where a run makes hundreds): each device
   allocation (out of memory, what a large job meets first on a GPU), each kernel launch,
   stream and graph creation, and each cuBLAS and cuSOLVER call. Every failure must end the
   set-up or the solve with a status other than SGFBLO_OK and a message naming the failed call,
   and, once solver and problem are destroyed, give every device byte back. A solver whose
   solve failed must solve again, from a new start, to the same numbers as one that never
   failed. Built in emulated builds only: a GPU cannot be made to fail on cue. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_runtime.h" /* emu/include */
#include "emu_faults.h"
#include "sgfblo/sgfblo.h"
#include "sgfblo/sgfblo_aidbio.h"
#include "sgfblo/sgfblo_hyperclean.h"
#include "support.h"
#include "tools/rng.h"

/* A problem small enough that one scenario takes milliseconds on the emulation, with every
   kind of call: N samples, Nv validation samples, d features, C classes. */
enum { N = 96, NV = 24, D = 5, C = 3 };

typedef struct {
  sgfblo_real A[N * D], Av[NV * D];
  int32_t b[N], bv[NV];
} hc_arrays;

static void make_arrays(hc_arrays *h, uint64_t seed) {
  sgfblo_rng r;
  sgfblo_rng_seed(&r, seed);
  for (int i = 0; i < N * D; ++i) h->A[i] = (sgfblo_real)(sgfblo_rng_uniform(&r) * 2 - 1);
  for (int i = 0; i < NV * D; ++i) h->Av[i] = (sgfblo_real)(sgfblo_rng_uniform(&r) * 2 - 1);
  for (int i = 0; i < N; ++i) h->b[i] = (int32_t)sgfblo_rng_below(&r, C);
  for (int i = 0; i < NV; ++i) h->bv[i] = (int32_t)sgfblo_rng_below(&r, C);
}

/* One set-up and solve: method, device pass, graph or not, RK4 steps of 0.5 (AID-BiO: its
   iterations), and how many of its calls of a kind a sweep fails at most (evenly spread;
   every call when it makes fewer). With aidbio, sgfblo_aidbio_run instead of a solver. */
typedef struct {
  sgfblo_method method;
  sgfblo_hc_device_pass pass;
  int graph;
  int steps;
  long max_tries;
  int aidbio;
} scenario;

typedef struct {
  sgfblo_status st;  /* the first status other than SGFBLO_OK, or SGFBLO_OK */
  const char *stage; /* where: "create", "setup", "solve" or "" */
  char msg[512];
  sgfblo_real y[D * C]; /* the final lower-level variable, when the solve ran */
  int64_t graph_steps;  /* steps replayed from a CUDA graph (sgfblo_info) */
} outcome;

static sgfblo_settings settings_for(const scenario *sc) {
  sgfblo_settings s;
  sgfblo_settings_default(&s);
  s.backend = SGFBLO_BACKEND_CUDA;
  s.method = sc->method;
  s.integrator = SGFBLO_INTEG_RK4;
  s.dt = 0.5;
  s.t_final = 0.5 * sc->steps;
  s.cuda_graph = sc->graph;
  return s;
}

static size_t device_free(void) {
  size_t f = 0, t = 0;
  cr_assert_eq(cudaMemGetInfo(&f, &t), cudaSuccess);
  return f;
}

/* Solve from x = 0, y = 0. */
static sgfblo_status solve_from_zero(sgfblo_solver *sv) {
  static const sgfblo_real x0[N], y0[D * C];
  const sgfblo_status st = sgfblo_solver_set_state(sv, x0, y0);
  return st != SGFBLO_OK ? st : sgfblo_solver_solve(sv);
}

static const char *scenario_name(const scenario *sc) {
  return sc->aidbio ? "aidbio" : sgfblo_method_name(sc->method);
}

/* AID-BiO from zero on the CUDA backend; it opens and closes its backend in the call, so with
   `again` a failed run is simply run once more, without the fault. */
static void run_aidbio(const scenario *sc, const sgfblo_problem *p, int again, outcome *out) {
  sgfblo_aidbio_settings set;
  sgfblo_aidbio_settings_default(&set);
  set.backend = SGFBLO_BACKEND_CUDA;
  set.max_iters = sc->steps;
  sgfblo_real x[N] = {0};
  sgfblo_info info;
  sgfblo_errmsg err = {{0}};
  out->st = sgfblo_aidbio_run(p, &set, x, out->y, &info, &err);
  if (out->st == SGFBLO_OK) return;
  out->stage = "run";
  snprintf(out->msg, sizeof out->msg, "%s", err.msg);
  if (!again) return;
  sgfblo_emu_fault_reset();
  for (int i = 0; i < N; ++i) x[i] = 0;
  for (int i = 0; i < D * C; ++i) out->y[i] = 0;
  const sgfblo_status st2 = sgfblo_aidbio_run(p, &set, x, out->y, &info, &err);
  cr_expect_eq(st2, SGFBLO_OK, "AID-BiO after a failed run: %s", err.msg);
  out->stage = st2 == SGFBLO_OK ? "solve" : "solve, and again";
}

/* Create the problem, set up a solver, solve from zero; then destroy both. With `again`, after
   a failed solve the faults are disarmed and the same solver solves from zero once more; the
   final y of the solve that succeeded goes to out->y. */
static void run(const scenario *sc, const hc_arrays *h, int again, outcome *out) {
  memset(out, 0, sizeof *out);
  out->stage = "";
  const sgfblo_hyperclean_data data = {.N = N,
                                       .Nv = NV,
                                       .d = D,
                                       .C = C,
                                       .A = h->A,
                                       .labels = h->b,
                                       .Av = h->Av,
                                       .val_labels = h->bv,
                                       .lambda = 0.01,
                                       .device_pass = sc->pass};
  sgfblo_hyperclean *hc = NULL;
  sgfblo_errmsg err = {{0}};
  sgfblo_status st = sgfblo_hyperclean_create(&data, &hc, &err);
  if (st != SGFBLO_OK) {
    out->st = st;
    out->stage = "create";
    snprintf(out->msg, sizeof out->msg, "%s", err.msg);
    return;
  }
  sgfblo_problem p;
  sgfblo_hyperclean_problem(hc, &p);
  if (sc->aidbio) {
    run_aidbio(sc, &p, again, out);
    sgfblo_hyperclean_destroy(hc);
    return;
  }
  sgfblo_solver *sv = NULL;
  cr_assert_eq(sgfblo_solver_create(&sv), SGFBLO_OK);
  const sgfblo_settings s = settings_for(sc);
  st = sgfblo_solver_setup(sv, &p, &s);
  if (st != SGFBLO_OK) {
    out->stage = "setup";
  } else {
    st = solve_from_zero(sv);
    if (st != SGFBLO_OK) out->stage = "solve";
  }
  out->st = st;
  if (st != SGFBLO_OK) snprintf(out->msg, sizeof out->msg, "%s", sgfblo_solver_last_error(sv));
  if (st != SGFBLO_OK && again && strcmp(out->stage, "solve") == 0) {
    sgfblo_emu_fault_reset();
    const sgfblo_status st2 = solve_from_zero(sv);
    cr_expect_eq(st2, SGFBLO_OK, "a solve after the failed one: %s", sgfblo_solver_last_error(sv));
    if (st2 != SGFBLO_OK) out->stage = "solve, and again";
  }
  if (st == SGFBLO_OK || strcmp(out->stage, "solve") == 0) {
    sgfblo_real x[N];
    cr_assert_eq(sgfblo_solver_get_state(sv, x, out->y), SGFBLO_OK, "%s",
                 sgfblo_solver_last_error(sv));
    sgfblo_info info;
    cr_assert_eq(sgfblo_solver_get_info(sv, &info), SGFBLO_OK);
    out->graph_steps = info.n_graph_steps;
  }
  sgfblo_solver_destroy(sv);
  sgfblo_hyperclean_destroy(hc);
}

/* What the message must name for a failure of that kind. */
static int names_the_failure(sgfblo_emu_fault_kind kind, const char *msg) {
  switch (kind) {
    case SGFBLO_EMU_FAULT_ALLOC:
    case SGFBLO_EMU_FAULT_STREAM:
      return strstr(msg, "out of memory") || strstr(msg, "cudaErrorMemoryAllocation");
    case SGFBLO_EMU_FAULT_LAUNCH:
      return strstr(msg, "too many resources") || strstr(msg, "cudaErrorLaunchOutOfResources");
    case SGFBLO_EMU_FAULT_BLAS: return strstr(msg, "CUBLAS_STATUS_") != NULL;
    case SGFBLO_EMU_FAULT_SOLVER: return strstr(msg, "cuSOLVER") || strstr(msg, "cusolver");
    default: return 0;
  }
}

static const char *kind_name(sgfblo_emu_fault_kind kind) {
  static const char *names[] = {"allocation", "launch", "stream/graph", "cuBLAS", "cuSOLVER"};
  return names[kind];
}

/* How close a solve after a failed one must come to a solve that never failed: the same
   operations in the same order give the same bits, but CG warm-starts from the last solution
   it found, which the failed solve moved, so the CG methods agree to their tolerance only. */
static double resolve_tol(sgfblo_method m) {
#ifdef SGFBLO_USE_FLOAT
  const double cg = 1e-4;
#else
  const double cg = 1e-9;
#endif
  return m == SGFBLO_METHOD_SGF_CG || m == SGFBLO_METHOD_PC ? cg : 0;
}

/* The largest |a - b| over |b|, over the entries of y. */
static double rel_diff(const sgfblo_real *a, const sgfblo_real *b) {
  double num = 0, den = 0;
  for (int j = 0; j < D * C; ++j) {
    num = fmax(num, fabs((double)a[j] - (double)b[j]));
    den = fmax(den, fabs((double)b[j]));
  }
  return den > 0 ? num / den : num;
}

/* Wrongly handled failures a sweep reports before it stops. */
enum { MAX_REPORTS = 8 };

/* 1 (and why, in the log) when the final y after a failure is further from the fault-free
   one than resolve_tol allows. */
static int y_differs(const scenario *sc, const outcome *ref, const outcome *out, long i,
                     const char *what) {
  const double e = rel_diff(out->y, ref->y);
  if (e <= resolve_tol(sc->method)) return 0;
  cr_log_error("%s: call %ld failed %s %.3g (relative) from a run that never failed",
               scenario_name(sc), i, what, e);
  return 1;
}

/* Call i of `kind` made to fail: what must follow. Returns 1 when something was wrong. */
static int check_one(const scenario *sc, sgfblo_emu_fault_kind kind, long i, long calls,
                     const outcome *ref, const outcome *out, size_t free_before, int *in_solve,
                     int *fell_back) {
  const char *m = scenario_name(sc), *k = kind_name(kind);
  const long long kept = (long long)free_before - (long long)device_free();
  int bad = 0;
  if (!sgfblo_emu_fault_fired(kind) && out->st == SGFBLO_OK) {
    cr_log_error("%s: %s call %ld of %ld never made", m, k, i, calls);
    return 1;
  }
  if (out->st == SGFBLO_OK) {
    /* Only a failure while a step is recorded into a graph may pass unreported: graphs are an
       optimisation, and the solver runs the steps from the host from then on (step_graph.c),
       so fewer steps are replayed than without the fault. */
    if (!sc->graph || out->graph_steps >= ref->graph_steps) {
      cr_log_error("%s: %s call %ld of %ld failed and nothing said so (%lld graph steps)", m, k, i,
                   calls, (long long)out->graph_steps);
      bad = 1;
    } else {
      ++*fell_back;
      bad = y_differs(sc, ref, out, i, "while recording the graph; the steps from the host end");
    }
  } else {
    if (!names_the_failure(kind, out->msg)) {
      cr_log_error("%s: %s call %ld failed in %s; the message does not name it: \"%s\"", m, k, i,
                   out->stage, out->msg);
      bad = 1;
    }
    if (kind == SGFBLO_EMU_FAULT_ALLOC && out->st != SGFBLO_ERR_ALLOC) {
      cr_log_error("%s: allocation %ld failed in %s: status %s, not SGFBLO_ERR_ALLOC (%s)", m, i,
                   out->stage, sgfblo_status_string(out->st), out->msg);
      bad = 1;
    }
    if (strcmp(out->stage, "solve") == 0) {
      ++*in_solve;
      bad |= y_differs(sc, ref, out, i, "in the solve; solved again, it ends");
    }
  }
  if (kept != 0) {
    cr_log_error("%s: %s call %ld failed in %s: %lld device bytes kept after teardown", m, k, i,
                 out->stage, kept);
    bad = 1;
  }
  return bad;
}

/* Every call of `kind` that the scenario makes (at most sc->max_tries of them, evenly spread),
   failed one at a time. */
static void sweep(const scenario *sc, sgfblo_emu_fault_kind kind) {
  hc_arrays *h = malloc(sizeof *h);
  cr_assert(h);
  make_arrays(h, 0x5eedULL + (uint64_t)sc->method);
  /* A first run: what a device keeps after first use is not a leak. */
  outcome ref;
  sgfblo_emu_fault_reset();
  run(sc, h, 0, &ref);
  cr_assert_eq(ref.st, SGFBLO_OK, "%s without faults, %s: %s", scenario_name(sc), ref.stage,
               ref.msg);
  sgfblo_emu_fault_reset();
  const size_t before = device_free();
  run(sc, h, 0, &ref);
  const long calls = sgfblo_emu_fault_calls(kind);
  cr_assert_eq(device_free(), before, "a run without faults kept device memory");
  cr_assert_gt(calls, 0, "%s makes no %s calls", scenario_name(sc), kind_name(kind));
  const long stride = (calls + sc->max_tries - 1) / sc->max_tries;
  int bad = 0, tried = 0, in_solve = 0, fell_back = 0;
  /* Calls 0, stride, 2 stride, ... and the last. */
  const long tries = (calls - 1) / stride + 1 + ((calls - 1) % stride != 0);
  for (long t = 0; t < tries && bad < MAX_REPORTS; ++t) {
    const long i = t * stride < calls ? t * stride : calls - 1;
    sgfblo_emu_fault_reset();
    sgfblo_emu_fault_arm(kind, i);
    outcome out;
    run(sc, h, 1, &out);
    bad += check_one(sc, kind, i, calls, &ref, &out, before, &in_solve, &fell_back);
    ++tried;
  }
  cr_log_info(
      "%s, device pass %d, graph %d: %ld %s calls, %d failed in turn: %d in the set-up, "
      "%d in the solve, %d while recording the graph",
      scenario_name(sc), (int)sc->pass, sc->graph, calls, kind_name(kind), tried,
      tried - in_solve - fell_back, in_solve, fell_back);
  cr_expect_eq(bad, 0, "%s, %s calls: %d failures handled wrongly (above)", scenario_name(sc),
               kind_name(kind), bad);
  free(h);
}

Test(cuda_faults, counting_finds_calls_of_every_kind) {
  hc_arrays *h = malloc(sizeof *h);
  cr_assert(h);
  make_arrays(h, 1);
  const scenario sc = {SGFBLO_METHOD_SGF_CHOL, SGFBLO_HC_DEVICE_PASS_CUBLAS, .steps = 3};
  outcome out;
  sgfblo_emu_fault_reset();
  run(&sc, h, 0, &out);
  cr_assert_eq(out.st, SGFBLO_OK, "%s", out.msg);
  for (int k = 0; k < SGFBLO_EMU_FAULT_KINDS; ++k)
    cr_expect_gt(sgfblo_emu_fault_calls((sgfblo_emu_fault_kind)k), 0, "no %s calls counted",
                 kind_name((sgfblo_emu_fault_kind)k));
  free(h);
}

/* Three steps where graphs are recorded and replayed, one where every step makes the same
   calls; SGF-CG's CG makes a thousand launches a step, of which a sample. */
#define FUSED SGFBLO_HC_DEVICE_PASS_FUSED
#define CUBLAS SGFBLO_HC_DEVICE_PASS_CUBLAS
static const scenario RXGF_FUSED_GRAPH = {SGFBLO_METHOD_RXGF, FUSED, 1, .steps = 3,
                                          .max_tries = 70};
static const scenario RXGF_CUBLAS_GRAPH = {SGFBLO_METHOD_RXGF, CUBLAS, 1, .steps = 3,
                                           .max_tries = 400};
static const scenario RXGF_CUBLAS_HOST = {SGFBLO_METHOD_RXGF, CUBLAS, 0, .steps = 1,
                                          .max_tries = 100};
static const scenario SGF_CHOL = {SGFBLO_METHOD_SGF_CHOL, CUBLAS, 0, .steps = 3, .max_tries = 400};
static const scenario SGF_CG = {SGFBLO_METHOD_SGF_CG, FUSED, 0, .steps = 1, .max_tries = 20};
static const scenario AIDBIO = {.pass = CUBLAS, .steps = 2, .max_tries = 60, .aidbio = 1};

Test(cuda_faults, every_device_allocation) {
  sweep(&RXGF_FUSED_GRAPH, SGFBLO_EMU_FAULT_ALLOC);
  sweep(&SGF_CHOL, SGFBLO_EMU_FAULT_ALLOC);
  sweep(&AIDBIO, SGFBLO_EMU_FAULT_ALLOC);
}

Test(cuda_faults, every_kernel_launch) {
  sweep(&RXGF_FUSED_GRAPH, SGFBLO_EMU_FAULT_LAUNCH);
  sweep(&RXGF_CUBLAS_HOST, SGFBLO_EMU_FAULT_LAUNCH);
  sweep(&SGF_CG, SGFBLO_EMU_FAULT_LAUNCH);
  sweep(&AIDBIO, SGFBLO_EMU_FAULT_LAUNCH);
}

Test(cuda_faults, every_stream_and_graph) { sweep(&RXGF_FUSED_GRAPH, SGFBLO_EMU_FAULT_STREAM); }

Test(cuda_faults, every_cublas_call) {
  sweep(&RXGF_CUBLAS_GRAPH, SGFBLO_EMU_FAULT_BLAS);
  sweep(&SGF_CHOL, SGFBLO_EMU_FAULT_BLAS);
  sweep(&AIDBIO, SGFBLO_EMU_FAULT_BLAS);
}

Test(cuda_faults, every_cusolver_call) { sweep(&SGF_CHOL, SGFBLO_EMU_FAULT_SOLVER); }
