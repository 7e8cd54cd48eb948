#!/usr/bin/env bash
# One script for a session on a machine with a GPU, sized to ONE device command: build sgfblo
# for sm_90 in float64 and float32, run the CUDA parity tests and ctest there (where the CUDA
# tests run instead of skipping), the paper's hyper-cleaning run on both backends with its
# metrics compared, compute-sanitizer on short CUDA solves, and the benchmarks (bench_step,
# bench_scale) on both backends. Every step runs under a deadline: DEADLINE_S seconds after
# the start (default 540) nothing new starts and a running step is stopped, so the whole
# script ends inside a 10-minute command. Steps run in order of what they prove (correctness
# first, timings last); a step the deadline leaves no room for is recorded "skipped (time)".
#
# Before the device call, here (the device machine reaches no package registry):
#
#     bash tools/gather_gpu_debs.sh     # Criterion, OpenBLAS, LAPACKE, zlib into .debs/
#     bash tools/fetch_mnist.sh         # MNIST into data/mnist (the hyper-cleaning steps)
#
# then one device command, carry=[".debs", "data"], timeout_s=600:
#
#     COMMIT=<short hash of the commit under test> bash bench/gpu_check.sh
#
# and, with the logs it returns, `bash tools/gpu_results.sh FILES_AT` writes the dated
# results file under bench/results/. A second, shorter call on a still-warm machine (build
# trees persist) can rerun a subset, e.g. STEPS="deps parity" DEADLINE_S=120.
#
# Such a machine cannot install packages. When .debs/ holds the Debian packages that
# tools/gather_gpu_debs.sh collected, they are unpacked with dpkg -x (or ar + tar) into
# $DEPS_PREFIX and CMake is pointed there; libraries the system lacks are linked into
# $DEPS_PREFIX/runlib, which goes on LD_LIBRARY_PATH for the programs run here (never for the
# compilers).
#
# Environment:
#   OUT            where logs go (default ./out); at most 8 files come back from a device run,
#                  so the full set is also packed into $OUT/gpu_check_logs.tar.gz, refreshed
#                  after every step
#   STEPS          subset of, in the order they run: info deps configure build parity
#                  hyperclean ctest sanitizer targets fusedpass sanitizer-more scale bench, plus
#                  san-parity (the parity tests under memcheck; slow, not in the default).
#                  Correctness first, then the sweeps with the issues' targets (targets: the
#                  first SCALE_TARGETS sweeps), then the rest; one call rarely reaches the
#                  end, so what it leaves is what matters least. configure and build make both
#                  precisions unless FLOAT=0; parity, ctest and scale use every build there is.
#                  hyperclean and the sanitizer's hyper-cleaning run need MNIST in data/mnist;
#                  without it they are skipped.
#   DEADLINE_S     seconds from the start after which no step starts (default 540)
#   BUILD_DIR      build tree (default build-gpu); the float32 build is "$BUILD_DIR-float"
#   FLOAT          1 (default): also the float32 build; 0: float64 only
#   DEPS_PREFIX    where .debs are unpacked (default /tmp/sgfblo-deps)
#   CUDA_ARCH      CMAKE_CUDA_ARCHITECTURES (default 90)
#   WERROR         SGFBLO_WERROR of the builds (default OFF: the device machine's compiler is
#                  not CI's, and a warning new to it must not cost the run; CI keeps -Werror)
#   EXTRA_CMAKE_ARGS  more configure arguments (e.g. -DSGFBLO_ENABLE_CUDA=OFF)
#   FORCE_PREFIX_LIBS=1  put every unpacked library on runlib, also those the system has
#                  (tools/gather_gpu_debs.sh --verify uses it to prove the prefix suffices)
#   JOBS           parallel build jobs (default: nproc)
#   SAN_TIMEOUT    seconds allowed to each compute-sanitizer run (default 45)
#   SCALE_SWEEPS   bench_scale sweeps, ';'-separated, each "PRECISION ARGS" with PRECISION
#                  float64 or float32 (default below: the targets of the benchmark issue
#                  first, then the wider sweep); SCALE_COMMON is added to each (default
#                  --quick --max-seconds 6). Each sweep runs on the cpu backend, then on cuda
#                  with the cpu CSV as --baseline, so the CUDA table has the GPU over CPU
#                  speed-up. Rows print as they finish: a sweep the deadline stops still
#                  returns the rows it made.
#   DEVICE_PASS_ARGS  shapes for bench_device_pass, "N d C ..." (default: its own, the paper's
#                  size, N = 2e5 and N = 1e6 at d = 784)
#   SCALE_TARGETS  how many of the first sweeps the targets step runs (default 4: the paper's
#                  size in both precisions, N = 1e6 at d = 784 in float32, N = 2e5 at d = 784
#                  in float64); the scale step runs the others
#
# Prints a summary table last; exits non-zero if any step failed (a step stopped by the
# deadline counts as failed for the tests, not for the benchmarks).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD

OUT=${OUT:-$ROOT/out}
STEPS=${STEPS:-"info deps configure build parity hyperclean ctest sanitizer targets fusedpass sanitizer-more scale bench"}
DEADLINE_S=${DEADLINE_S:-540}
BUILD_DIR=${BUILD_DIR:-build-gpu}
FLOAT=${FLOAT:-1}
DEPS_PREFIX=${DEPS_PREFIX:-/tmp/sgfblo-deps}
CUDA_ARCH=${CUDA_ARCH:-90}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 4)}
SAN_TIMEOUT=${SAN_TIMEOUT:-45}
# In order: the paper's size (N = 5000, d = 82, C = 10) with every method in both precisions
# (the 100 us RXGF step target); N = 1e6, d = 784, C = 10 in float32 (the 70%-of-floor
# target); N = 2e5, d = 784 in float64 (the CUDA issue's large size); then N from 1e3 to 1e6
# at d = 82 and 784, d = 2048 and C = 100 at N = 1e5, and N = 1e7 at d = 82.
SCALE_SWEEPS=${SCALE_SWEEPS:-"float64 --n-list 5e3 --d-list 82 --c-list 10;\
float32 --n-list 5e3 --d-list 82 --c-list 10;\
float32 --n-list 1e6 --d-list 784 --c-list 10 --methods rxgf,invfree,pc,aidbio;\
float64 --n-list 2e5 --d-list 784 --c-list 10;\
float32 --n-list 1e3,1e4,1e5 --d-list 82,784 --c-list 10 --methods rxgf,pc,aidbio;\
float32 --n-list 1e5 --d-list 2048 --c-list 10,100 --methods rxgf,pc,aidbio;\
float64 --n-list 1e6 --d-list 82,784 --c-list 10 --methods rxgf,pc,aidbio;\
float32 --n-list 1e7 --d-list 82 --c-list 10 --methods rxgf,aidbio"}
SCALE_COMMON=${SCALE_COMMON:-"--quick --max-seconds 6"}
SCALE_TARGETS=${SCALE_TARGETS:-4}
DEVICE_PASS_ARGS=${DEVICE_PASS_ARGS:-}
# The commit measured: the device machine may get the working tree without .git, so the
# caller can name it (COMMIT=abc1234 bash bench/gpu_check.sh).
COMMIT=${COMMIT:-$(git -C "$ROOT" log -1 --format=%h 2>/dev/null || echo unknown)}
COMMIT="commit ${COMMIT#commit }"
EXTRA_CMAKE_ARGS=${EXTRA_CMAKE_ARGS:-}
WERROR=${WERROR:-OFF}
# CMake looks for nvcc on PATH; the toolkit's usual home is added where PATH lacks it.
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  PATH=/usr/local/cuda/bin:$PATH
fi
mkdir -p "$OUT"
LOGS=$(mktemp -d /tmp/sgfblo-gpu-logs.XXXXXX)
SUMMARY=$LOGS/summary.txt
: >"$SUMMARY"
failures=0
SECONDS=0

want() { [[ " $STEPS " == *" $1 "* ]]; }
time_left() { echo $((DEADLINE_S - SECONDS)); }

# publish: the logs so far into $OUT (the tarball and, of at most 8 files that come back from a
# device run, these 7), after every step, so that a run stopped at its time limit still
# returns what it did.
publish() {
  # Written aside, then renamed: a run killed mid-write keeps the previous whole tarball.
  tar -czf "$OUT/gpu_check_logs.tar.gz.part" -C "$LOGS" . 2>/dev/null &&
    mv -f "$OUT/gpu_check_logs.tar.gz.part" "$OUT/gpu_check_logs.tar.gz"
  for f in summary.txt parity.log ctest.log float_parity.log scale_cuda_float64.md \
    scale_cuda_float32.md scale_cuda_fused_float32.md; do
    [ -f "$LOGS/$f" ] && cp "$LOGS/$f" "$OUT/"
  done
  return 0
}

# record STEP STATUS DETAIL: one summary row (STATUS ok | FAILED | cut | skipped), with the
# seconds since the start.
record() {
  printf '%-18s %-8s %4ds  %s\n' "$1" "$2" "$SECONDS" "$3" | tee -a "$SUMMARY"
  if [ "$2" = FAILED ]; then failures=$((failures + 1)); fi
  publish
}

# run_logged [--bench] STEP LOG CAP CMD...: run CMD for at most CAP seconds and never past the
# deadline, log stdout+stderr, record ok / FAILED with the exit code. A command the time limit
# stops is FAILED, or "cut" with --bench (its rows so far are in the log). Returns the exit
# code (124 when stopped).
run_logged() {
  local bench=0
  if [ "$1" = --bench ]; then bench=1; shift; fi
  local step=$1 log=$2 cap=$3
  shift 3
  local left
  left=$(time_left)
  if [ "$left" -lt 10 ]; then
    record "$step" skipped "(time) the deadline of ${DEADLINE_S}s left ${left}s"
    return 124
  fi
  [ "$cap" -gt $((left - 5)) ] && cap=$((left - 5))
  echo "=== $step (at most ${cap}s): $*" | tee -a "$LOGS/$log"
  timeout -k 5 "$cap" "$@" >>"$LOGS/$log" 2>&1
  local rc=$?
  if [ $rc -eq 0 ]; then record "$step" ok "$log"
  elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    if [ $bench = 1 ]; then record "$step" cut "$log (stopped after ${cap}s; rows so far kept)"
    else record "$step" FAILED "$log (stopped after ${cap}s)"; fi
  else record "$step" FAILED "$log (exit $rc)"; fi
  return $rc
}

# The build trees of this run: float64, and float32 unless FLOAT=0.
BUILDS=("$ROOT/$BUILD_DIR")
[ "$FLOAT" = 1 ] && BUILDS+=("$ROOT/$BUILD_DIR-float")
# tag DIR: float64 | float32, the precision of that build tree.
tag() { [[ $1 == *-float ]] && echo float32 || echo float64; }

# --------------------------------------------------------------------- info --
if want info; then
  {
    date -u
    uname -a
    head -3 /etc/os-release 2>/dev/null
    ldd --version 2>&1 | head -1
    nvidia-smi 2>&1 | head -15
    nvidia-smi --query-gpu=name,memory.total,clocks.sm,clocks.mem,clocks.max.sm --format=csv 2>&1
    nvcc --version 2>&1 | tail -2
    cmake --version | head -1
    cc --version 2>&1 | head -1
    nproc
    command -v compute-sanitizer || echo "compute-sanitizer: not on PATH"
    echo "$COMMIT"
  } >"$LOGS/env.txt" 2>&1
  record info ok env.txt
fi

# ------------------------------------------------------------------ deps --
CMAKE_HINTS=()
RUNLIB=
LIBDIR=$DEPS_PREFIX/usr/lib/x86_64-linux-gnu
if want deps; then
  if ls "$ROOT"/.debs/*.deb >/dev/null 2>&1; then
    rm -rf "$DEPS_PREFIX"
    mkdir -p "$DEPS_PREFIX"
    ok=1
    for f in "$ROOT"/.debs/*.deb; do
      if command -v dpkg >/dev/null; then
        dpkg -x "$f" "$DEPS_PREFIX" || ok=0
      else # no dpkg: a .deb is an ar archive holding data.tar.*
        (t=$(mktemp -d) && cd "$t" && ar x "$f" && tar -xf data.tar.* -C "$DEPS_PREFIX" && rm -rf "$t") || ok=0
      fi
    done
    # Absolute links (zlib1g-dev's libz.so -> /lib/...) must point into the prefix.
    while IFS= read -r link; do
      t=$(readlink "$link")
      case $t in /*) ln -sfn "$DEPS_PREFIX$t" "$link" ;; esac
    done < <(find "$DEPS_PREFIX" -type l)
    # Debian's postinst scripts make these alternatives links; dpkg -x does not run them.
    ob=$LIBDIR/openblas-pthread
    for l in libblas.so.3 liblapack.so.3 libopenblas.so.0 libopenblas.so; do
      [ -e "$ob/$l" ] && ln -sf "openblas-pthread/$l" "$LIBDIR/$l"
    done
    # runlib: the unpacked shared libraries the system's loader does not already provide.
    RUNLIB=$DEPS_PREFIX/runlib
    mkdir -p "$RUNLIB"
    # The sonames the system's loader has: `ldconfig -p` lines are "<tab>NAME (libc6,x86-64)
    # => PATH".
    SYSTEM_SONAMES=$(ldconfig -p 2>/dev/null | awk '/x86-64/ { print $1 }')
    for lib in "$LIBDIR"/*.so.* "$ob"/*.so.* "$DEPS_PREFIX"/lib/x86_64-linux-gnu/*.so.*; do
      [ -e "$lib" ] || continue
      so=$(basename "$lib")
      if [ "${FORCE_PREFIX_LIBS:-0}" = 1 ] || ! grep -qxF "$so" <<<"$SYSTEM_SONAMES"; then
        [ -e "$RUNLIB/$so" ] || ln -s "$lib" "$RUNLIB/$so"
      fi
    done
    ls -l "$RUNLIB" >"$LOGS/deps.txt" 2>&1
    CMAKE_HINTS=(
      "-DCMAKE_PREFIX_PATH=$DEPS_PREFIX/usr"
      "-DCMAKE_LIBRARY_PATH=$ob;$LIBDIR"
      "-DCMAKE_INCLUDE_PATH=$DEPS_PREFIX/usr/include;$DEPS_PREFIX/usr/include/x86_64-linux-gnu"
      "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-rpath-link,$RUNLIB -Wl,-rpath-link,$LIBDIR -Wl,-rpath-link,$ob"
    )
    ndebs=$(find "$ROOT/.debs" -maxdepth 1 -name '*.deb' | wc -l)
    # The unpacked libraries were built against this glibc or older; an older loader here
    # would fail every link and test with unclear errors, so it is said once, now.
    need=$(cat "$LIBDIR"/*.so.* "$ob"/*.so.* 2>/dev/null | grep -aoE 'GLIBC_2\.[0-9]+' | sort -uV | tail -n 1)
    have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{ print "GLIBC_" $2 }')
    if [ $ok = 1 ] && [ -n "$need" ] && [ -n "$have" ] &&
      [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | tail -n 1)" != "$have" ]; then
      record deps FAILED "the unpacked libraries need $need, this machine has $have"
    elif [ $ok = 1 ]; then record deps ok "unpacked $ndebs packages into $DEPS_PREFIX (they need ${need:-?}, here ${have:-?})"
    else record deps FAILED "unpacking .debs"; fi
  else
    record deps skipped "no .debs/ here: using the system's packages"
  fi
fi
# Programs run below see the unpacked libraries the system lacks: each is started as
# "${RUN_ENV[@]}" PROGRAM (a program, not a shell function, so that timeout can run it).
# A rerun on a warm machine without the deps step uses what an earlier call unpacked.
[ -z "$RUNLIB" ] && [ -d "$DEPS_PREFIX/runlib" ] && RUNLIB=$DEPS_PREFIX/runlib
RUN_ENV=(env)
[ -n "$RUNLIB" ] && RUN_ENV=(env "LD_LIBRARY_PATH=$RUNLIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")

# configure_args DIR: into CFG_ARGS, cmake's arguments for the build of that tree's precision.
configure_args() {
  local dir=$1 float=OFF
  [ "$(tag "$dir")" = float32 ] && float=ON
  # shellcheck disable=SC2206
  # SGFBLO_ENABLE_CUDA=ON: a toolkit CMake cannot find stops here, not after a CPU-only build
  # (EXTRA_CMAKE_ARGS, last, can still turn it off).
  CFG_ARGS=(-S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DSGFBLO_WERROR=$WERROR"
    -DSGFBLO_ENABLE_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=$CUDA_ARCH" "-DSGFBLO_USE_FLOAT=$float" "${CMAKE_HINTS[@]}"
    $EXTRA_CMAKE_ARGS)
}

# ------------------------------------------------------- configure, build --
if want configure; then
  for dir in "${BUILDS[@]}"; do
    rm -rf "${dir:?}"
    configure_args "$dir"
    run_logged "configure-$(tag "$dir")" configure.log 120 cmake "${CFG_ARGS[@]}"
  done
  # Where every dependency was found (with .debs they should all be under DEPS_PREFIX).
  grep -E '^(BLAS_|LAPACK_|LAPACKE_|CBLAS_|CRITERION_|ZLIB_)[A-Za-z_]*(LIBRARY|LIBRARY_RELEASE|INCLUDE_DIR):[A-Z]+=' \
    "${BUILDS[0]}/CMakeCache.txt" >"$LOGS/found.txt" 2>/dev/null
  grep -E 'SGFBLO_HAVE_CUDA|sgfblo: CUDA' "$LOGS/configure.log" >>"$LOGS/found.txt" 2>/dev/null
fi
if want build; then
  for dir in "${BUILDS[@]}"; do
    run_logged "build-$(tag "$dir")" build.log 300 cmake --build "$dir" -j"$JOBS"
  done
fi
# built DIR: the build in DIR finished (its test and bench programs exist).
built() { [ -x "$1/tests/test_cuda_parity" ] && [ -x "$1/bench/bench_scale" ]; }

# ----------------------------------------------------------------- tests --
if want parity; then
  # The parity suite alone, verbose: every relative error, and SKIP lines if no device.
  for dir in "${BUILDS[@]}"; do
    t=$(tag "$dir") log=parity.log
    [ "$t" = float32 ] && log=float_parity.log
    if built "$dir"; then
      run_logged "parity-$t" "$log" 180 "${RUN_ENV[@]}" "$dir/tests/test_cuda_parity" --verbose -j4
      skips=$(grep -cE '^\[SKIP\]' "$LOGS/$log" 2>/dev/null)
      skips=${skips:-0}
      echo "    $t skipped tests: $skips"
      # Where nvidia-smi sees a GPU, a skipped CUDA test is a failure (a driver older than
      # the toolkit makes every test skip; the suite would still "pass").
      if [ "$skips" -gt 0 ] && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
        record "parity-$t-skip" FAILED "$skips tests skipped on a machine with a GPU ($log)"
      fi
    else
      record "parity-$t" FAILED "no build in $dir"
    fi
  done
fi

CLI=${BUILDS[0]}/sgfblo
have_mnist() { ls "$ROOT"/data/mnist/train-images-idx3-ubyte* >/dev/null 2>&1; }

# ------------------------------------------------------------ hyperclean --
# The paper's setting (MNIST, N = 5000, RXGF, RK4, dt = 1, T = 100, from y*(0)) on both
# backends: the flow's row (test accuracy, validation loss, training accuracy, precision,
# recall, F1, oracle evaluations, exit; not the seconds) must print the same.
if want hyperclean; then
  if have_mnist; then
    for b in cpu cuda; do
      run_logged "hc-$b" "hyperclean_$b.txt" 120 "${RUN_ENV[@]}" "$CLI" hyperclean --backend "$b" \
        --baseline none --quiet
    done
    run_logged hc-cuda-fused hyperclean_cuda_fused.txt 120 "${RUN_ENV[@]}" "$CLI" hyperclean \
      --backend cuda --device-pass fused --baseline none --quiet
    flow_row() { awk '$1 == "rxgf" { $9 = ""; print }' "$LOGS/hyperclean_$1.txt"; }
    for b in cuda cuda_fused; do
      if [ -n "$(flow_row cpu)" ] && [ "$(flow_row cpu)" = "$(flow_row $b)" ]; then
        record "hc-same-$b" ok "cpu and $b flow rows agree: $(flow_row $b)"
      else
        record "hc-same-$b" FAILED "flow rows differ: cpu [$(flow_row cpu)] $b [$(flow_row $b)]"
      fi
    done
  else
    record hyperclean skipped "no MNIST in data/mnist (carry \"data\")"
  fi
fi

if want ctest; then
  # Everything else (the device-data tests of test_hyperclean, the CUDA example, the CLI's
  # --backend cuda paths); the parity suite ran above.
  for dir in "${BUILDS[@]}"; do
    t=$(tag "$dir")
    run_logged "ctest-$t" ctest.log 150 "${RUN_ENV[@]}" ctest --test-dir "$dir" --output-on-failure \
      -j"$JOBS" -E '^test_cuda_parity$'
    tail -n 3 "$LOGS/ctest.log" | sed 's/^/    /'
  done
fi

# ------------------------------------------------------------- sanitizer --
SAN=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)
# san STEP TOOL LOG ARGS...: one compute-sanitizer run, bounded by SAN_TIMEOUT.
san() {
  local step=$1 tool=$2 log=$3
  shift 3
  run_logged "$step" "$log" "$SAN_TIMEOUT" "${RUN_ENV[@]}" "$SAN" --tool "$tool" --error-exitcode 99 "$@"
}
if want sanitizer; then
  if [ -n "$SAN" ]; then
    # rxgf replays its steps from a CUDA Graph; --no-graph runs the same launches from the
    # host; sgf-chol factors on cuSOLVER; sgf-cg runs conjugate gradients on device scalars;
    # racecheck the shared-memory reductions; then hyper-cleaning's kernels on MNIST.
    san memcheck-rxgf memcheck sanitizer.log "$CLI" synthetic --backend cuda --dt 0.05 --t-final 1
    san memcheck-nograph memcheck sanitizer.log "$CLI" synthetic --backend cuda --no-graph \
      --dt 0.05 --t-final 1
    for m in sgf-chol sgf-cg; do
      san "memcheck-$m" memcheck sanitizer.log "$CLI" synthetic --backend cuda --method "$m" \
        --dt 0.05 --t-final 0.5
    done
    san racecheck racecheck sanitizer.log "$CLI" synthetic --backend cuda --dt 0.05 --t-final 0.2
    if have_mnist; then
      san memcheck-hc memcheck sanitizer.log "$CLI" hyperclean --backend cuda --dt 1 --t-final 2 \
        --baseline none --quiet
      san memcheck-hc-fused memcheck sanitizer.log "$CLI" hyperclean --backend cuda \
        --device-pass fused --dt 1 --t-final 2 --baseline none --quiet
      san racecheck-hc-fused racecheck sanitizer.log "$CLI" hyperclean --backend cuda \
        --device-pass fused --dt 1 --t-final 1 --baseline none --quiet
    else
      record memcheck-hc skipped "no MNIST in data/mnist (carry \"data\")"
    fi
  else
    record sanitizer skipped "compute-sanitizer not found"
  fi
fi
if want san-parity && [ -n "$SAN" ]; then
  # The parity tests under memcheck (Criterion forks; the sanitizer follows the children).
  run_logged san-parity sanitizer_parity.log 300 "${RUN_ENV[@]}" "$SAN" --tool memcheck \
    --error-exitcode 99 --target-processes all "${BUILDS[0]}/tests/test_cuda_parity" -j1
fi

# scale_sweep K PRECISION ARGS...: bench_scale of that precision's build over one sweep, on
# the cpu backend, then on cuda with the cpu CSV as baseline (the speed-up columns), then on
# cuda with the fused row-block passes (--device-pass fused) with the cuBLAS run's CSV as
# baseline (its speed-up columns are fused over cuBLAS). Tables append to
# scale_{cpu,cuda,cuda_fused}_PRECISION.md; the CSVs go into the tarball.
scale_sweep() {
  local k=$1 t=$2 dir=${BUILDS[0]}
  shift 2
  [ "$t" = float32 ] && dir=$ROOT/$BUILD_DIR-float
  if ! built "$dir"; then
    record "scale-$k" skipped "no $t build"
    return
  fi
  local cpu_csv=$LOGS/scale_cpu_${t}_$k.csv cuda_csv=$LOGS/scale_cuda_${t}_$k.csv
  # shellcheck disable=SC2086
  run_logged --bench "scale-cpu-$k" "scale_cpu_$t.md" 240 "${RUN_ENV[@]}" "$dir/bench/bench_scale" \
    --backend cpu $SCALE_COMMON "$@" --label "$COMMIT" --csv "$cpu_csv"
  local base=()
  [ -s "$cpu_csv" ] && base=(--baseline "$cpu_csv")
  # shellcheck disable=SC2086
  run_logged --bench "scale-cuda-$k" "scale_cuda_$t.md" 240 "${RUN_ENV[@]}" "$dir/bench/bench_scale" \
    --backend cuda $SCALE_COMMON "$@" --label "$COMMIT" --csv "$cuda_csv" "${base[@]}"
  base=()
  [ -s "$cuda_csv" ] && base=(--baseline "$cuda_csv")
  # shellcheck disable=SC2086
  run_logged --bench "scale-fused-$k" "scale_cuda_fused_$t.md" 240 "${RUN_ENV[@]}" \
    "$dir/bench/bench_scale" --backend cuda --device-pass fused $SCALE_COMMON "$@" \
    --label "$COMMIT, fused passes" --csv "$LOGS/scale_cuda_fused_${t}_$k.csv" "${base[@]}"
}
# scale_sweeps FIRST LAST: the sweeps FIRST..LAST (1-based) of SCALE_SWEEPS.
scale_sweeps() {
  local first=$1 last=$2 k=0 sweep sweeps
  IFS=';' read -ra sweeps <<<"$SCALE_SWEEPS"
  for sweep in "${sweeps[@]}"; do
    k=$((k + 1))
    if [ "$k" -lt "$first" ] || [ "$k" -gt "$last" ]; then continue; fi
    # shellcheck disable=SC2086
    scale_sweep "$k" $sweep
  done
}
want targets && scale_sweeps 1 "$SCALE_TARGETS"
# Every product callback with cuBLAS GEMMs against the fused row-block passes
# (bench/bench_device_pass.c): the evidence for the default of sgfblo_hyperclean_data.device_pass.
if want fusedpass; then
  for b in "${BUILDS[@]}"; do
    if [ -x "$b/bench/bench_device_pass" ]; then
      # shellcheck disable=SC2086
      run_logged --bench "fusedpass-$(tag "$b")" "device_pass_$(tag "$b").md" 90 "${RUN_ENV[@]}" \
        "$b/bench/bench_device_pass" $DEVICE_PASS_ARGS
    else
      record "fusedpass-$(tag "$b")" skipped "no bench_device_pass in $b"
    fi
  done
fi
if want sanitizer-more; then
  # What the parity tests already cover functionally: prediction-correction (CG on two
  # systems) and the discrete SQCQP driver.
  if [ -n "$SAN" ]; then
    san memcheck-pc memcheck sanitizer.log "$CLI" synthetic --backend cuda --method pc \
      --dt 0.05 --t-final 0.5
    san memcheck-sqcqp memcheck sanitizer.log "$CLI" synthetic --backend cuda --method sqcqp --iters 20
  else
    record sanitizer-more skipped "compute-sanitizer not found"
  fi
fi
if want scale; then
  if want targets; then scale_sweeps $((SCALE_TARGETS + 1)) 1000000
  else scale_sweeps 1 1000000; fi
fi

# ----------------------------------------------------------------- bench --
if want bench; then
  for b in cpu cuda; do
    run_logged --bench "bench-$b" "bench_step_$b.md" 90 "${RUN_ENV[@]}" "${BUILDS[0]}/bench/bench_step" 11 "$b"
  done
fi

# ---------------------------------------------------------------- results --
publish
echo
echo "=== summary ($failures failed, ${SECONDS}s of ${DEADLINE_S}s; logs in $OUT, all of them in $OUT/gpu_check_logs.tar.gz)"
cat "$SUMMARY"
for f in bench_step_cpu.md bench_step_cuda.md device_pass_float64.md device_pass_float32.md; do
  [ -f "$LOGS/$f" ] && { echo; grep -E '^\||backend|^# ' "$LOGS/$f"; }
done
# The CUDA scale tables, cut to the sizes, the step times, their floors and the speed-up
# over the cpu backend (the full tables are in $OUT). Columns are found by their header
# names: which there are depends on the backend and the options.
for f in scale_cuda_float64.md scale_cuda_float32.md scale_cuda_fused_float64.md \
  scale_cuda_fused_float32.md; do
  [ -f "$LOGS/$f" ] || continue
  echo
  echo "$f, cut to the step columns:"
  awk -F'|' -v names='method|N|d|C|RK4 step (ms)|graph step (ms)|step floor (ms)|step % of floor|graph step % of floor|step speed-up' '
    /^\| method \|/ {
      delete col
      for (i = 2; i < NF; ++i) { h = $i; gsub(/^ +| +$/, "", h); col[h] = i }
      nw = split(names, want, "|"); ns = 0; head = "|"; rule = "|"
      for (j = 1; j <= nw; ++j)
        if (want[j] in col) { show[++ns] = col[want[j]]; head = head " " want[j] " |"; rule = rule "---|" }
      print head; print rule; next
    }
    /^\| [a-z-]+ \| [0-9]/ && ns > 0 { row = "|"; for (j = 1; j <= ns; ++j) row = row $show[j] "|"; print row }' "$LOGS/$f"
done
[ "$failures" -eq 0 ]
