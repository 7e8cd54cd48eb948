#!/usr/bin/env bash
# One script for a session on a machine with a GPU: build sgfblo for sm_90, run the test suite
# (the CUDA parity tests run there instead of skipping), run compute-sanitizer on short CUDA
# solves, and run the benchmarks (bench_step, bench_scale) on both backends. Run from anywhere:
#
#     bash bench/gpu_check.sh                 # everything; logs under $OUT (default ./out)
#
# From a session whose device commands are limited to 10 minutes each, run it in four calls
# on the same warm machine (build trees persist between calls; "deps" only re-points the
# environment at the unpacked packages), each with carry=[".debs", "data"]
# (tools/gather_gpu_debs.sh and tools/fetch_mnist.sh fill those two folders here first):
#
#     STEPS="info deps configure build ctest parity hyperclean" bash bench/gpu_check.sh
#     STEPS="deps sanitizer" bash bench/gpu_check.sh
#     STEPS="deps bench" bash bench/gpu_check.sh
#     STEPS="deps float" bash bench/gpu_check.sh
#     STEPS="deps configure build ctest" bash bench/gpu_check.sh
#
# Such a machine cannot install packages. When .debs/ holds the Debian packages that
# tools/gather_gpu_debs.sh collected (Criterion, OpenBLAS, LAPACKE, zlib and their libraries),
# they are unpacked with dpkg -x into $DEPS_PREFIX and CMake is pointed there; libraries the
# system lacks are linked into $DEPS_PREFIX/runlib, which goes on LD_LIBRARY_PATH for the
# programs run here (never for the compilers).
#
# Environment:
#   OUT            where logs go (default ./out); at most 8 files come back from a device run,
#                  so the full set is also packed into $OUT/gpu_check_logs.tar.gz, refreshed
#                  after every step
#   STEPS          subset of: info deps configure build ctest parity hyperclean sanitizer
#                  bench float (default: all of them). hyperclean and the sanitizer's
#                  hyper-cleaning run need MNIST in data/mnist (tools/fetch_mnist.sh here,
#                  then carry "data"); without it they are skipped.
#   BUILD_DIR      build tree (default build-gpu); the float build is "$BUILD_DIR-float"
#   DEPS_PREFIX    where .debs are unpacked (default /tmp/sgfblo-deps)
#   CUDA_ARCH      CMAKE_CUDA_ARCHITECTURES (default 90)
#   EXTRA_CMAKE_ARGS  more configure arguments (e.g. -DSGFBLO_ENABLE_CUDA=OFF)
#   FORCE_PREFIX_LIBS=1  put every unpacked library on runlib, also those the system has
#                  (tools/gather_gpu_debs.sh --verify uses it to prove the prefix suffices)
#   JOBS           parallel build jobs (default: nproc)
#   SAN_TIMEOUT    seconds allowed to each compute-sanitizer run (default 240)
#   SCALE_SWEEPS   bench_scale sweeps of the bench and float steps, ';'-separated argument
#                  sets (default: the two below); SCALE_COMMON is added to each (default
#                  --quick --max-seconds 6). Each sweep runs on the cpu backend, then on cuda
#                  with the cpu CSV as --baseline: the CUDA table has the GPU over CPU
#                  speed-up. The cpu half of these sweeps took 3.5 min (float64) and 2.3 min
#                  (float32) on the 2-core development machine, which skips more rows for
#                  time than a 16-core GPU host will; if a step runs into the 10-minute limit,
#                  the tables of the sweeps it finished still come back (see OUT).
#
# Prints a summary table last; exits non-zero if any step failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD

OUT=${OUT:-$ROOT/out}
STEPS=${STEPS:-"info deps configure build ctest parity hyperclean sanitizer bench float"}
BUILD_DIR=${BUILD_DIR:-build-gpu}
DEPS_PREFIX=${DEPS_PREFIX:-/tmp/sgfblo-deps}
CUDA_ARCH=${CUDA_ARCH:-90}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 4)}
SAN_TIMEOUT=${SAN_TIMEOUT:-240}
# The paper's size and N up to 1e6 at d = 82 and 784 with every method (C = 10: the targets
# of issue 5 are rxgf at the paper's size and at N = 1e6, d = 784 in float32), then d = 2048
# and C = 100 at N = 1e5.
SCALE_SWEEPS=${SCALE_SWEEPS:-"--n-list 5e3,1e5,1e6 --d-list 82,784 --c-list 10;--n-list 1e5 --d-list 2048 --c-list 10,100 --methods rxgf,pc,aidbio"}
SCALE_COMMON=${SCALE_COMMON:-"--quick --max-seconds 6"}
COMMIT=$(git -C "$ROOT" log -1 --format='commit %h' 2>/dev/null || echo "commit unknown")
EXTRA_CMAKE_ARGS=${EXTRA_CMAKE_ARGS:-}
mkdir -p "$OUT"
LOGS=$(mktemp -d /tmp/sgfblo-gpu-logs.XXXXXX)
SUMMARY=$LOGS/summary.txt
: >"$SUMMARY"
failures=0

want() { [[ " $STEPS " == *" $1 "* ]]; }

# publish: the logs so far into $OUT (the tarball and, of at most 8 files that come back from a
# device run, these 7), after every step, so that a run stopped at its time limit still
# returns what it did.
publish() {
  tar -czf "$OUT/gpu_check_logs.tar.gz" -C "$LOGS" . 2>/dev/null
  for f in summary.txt parity.log ctest.log bench_step_cuda.md float_parity.log \
    scale_cuda_float64.md scale_cuda_float32.md; do
    [ -f "$LOGS/$f" ] && cp "$LOGS/$f" "$OUT/"
  done
  return 0
}

# record STEP STATUS DETAIL: one summary row (STATUS ok | FAILED | skipped)
record() {
  printf '%-12s %-8s %s\n' "$1" "$2" "$3" | tee -a "$SUMMARY"
  if [ "$2" = FAILED ]; then failures=$((failures + 1)); fi
  publish
}

# run_logged STEP LOG CMD...: run, log stdout+stderr, record ok/FAILED with the exit code.
run_logged() {
  local step=$1 log=$2
  shift 2
  echo "=== $step: $*" | tee -a "$LOGS/$log"
  "$@" >>"$LOGS/$log" 2>&1
  local rc=$?
  if [ $rc -eq 0 ]; then record "$step" ok "$log"; else record "$step" FAILED "$log (exit $rc)"; fi
  return $rc
}

# --------------------------------------------------------------------- info --
if want info; then
  {
    date -u
    uname -a
    head -3 /etc/os-release 2>/dev/null
    nvidia-smi 2>&1 | head -15
    nvcc --version 2>&1 | tail -2
    cmake --version | head -1
    command -v compute-sanitizer || echo "compute-sanitizer: not on PATH"
    git -C "$ROOT" log --oneline -1 2>/dev/null
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
    for lib in "$LIBDIR"/*.so.* "$ob"/*.so.* "$DEPS_PREFIX"/lib/x86_64-linux-gnu/*.so.*; do
      [ -e "$lib" ] || continue
      so=$(basename "$lib")
      if [ "${FORCE_PREFIX_LIBS:-0}" = 1 ] || ! ldconfig -p 2>/dev/null | grep -q " $so "; then
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
    if [ $ok = 1 ]; then record deps ok "unpacked $ndebs packages into $DEPS_PREFIX"
    else record deps FAILED "unpacking .debs"; fi
  else
    record deps skipped "no .debs/ here: using the system's packages"
  fi
fi
# Programs run below see the unpacked libraries the system lacks.
run_env() {
  if [ -n "$RUNLIB" ]; then LD_LIBRARY_PATH="$RUNLIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; else "$@"; fi
}

configure() { # configure DIR EXTRA...
  local dir=$1
  shift
  # shellcheck disable=SC2086
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSGFBLO_WERROR=ON \
    "-DCMAKE_CUDA_ARCHITECTURES=$CUDA_ARCH" "${CMAKE_HINTS[@]}" $EXTRA_CMAKE_ARGS "$@"
}

# ------------------------------------------------------- configure, build --
if want configure; then
  rm -rf "${ROOT:?}/${BUILD_DIR:?}"
  run_logged configure configure.log configure "$ROOT/$BUILD_DIR"
  # Where every dependency was found (with .debs they should all be under DEPS_PREFIX).
  grep -E '^(BLAS_|LAPACK_|LAPACKE_|CBLAS_|CRITERION_|ZLIB_)[A-Za-z_]*(LIBRARY|LIBRARY_RELEASE|INCLUDE_DIR):[A-Z]+=' \
    "$ROOT/$BUILD_DIR/CMakeCache.txt" >"$LOGS/found.txt" 2>/dev/null
  grep -E 'SGFBLO_HAVE_CUDA|sgfblo: CUDA' "$LOGS/configure.log" >>"$LOGS/found.txt" 2>/dev/null
fi
if want build; then
  run_logged build build.log cmake --build "$ROOT/$BUILD_DIR" -j"$JOBS"
fi

# ----------------------------------------------------------------- tests --
if want ctest; then
  run_logged ctest ctest.log run_env ctest --test-dir "$ROOT/$BUILD_DIR" --output-on-failure -j4
  tail -n 3 "$LOGS/ctest.log" | sed 's/^/    /'
fi
if want parity; then
  # The parity suite alone, verbose: every relative error, and SKIP lines if no device.
  run_logged parity parity.log run_env "$ROOT/$BUILD_DIR/tests/test_cuda_parity" --verbose -j1
  grep -cE '^\[SKIP\]' "$LOGS/parity.log" | sed 's/^/    skipped tests: /'
fi

CLI=$ROOT/$BUILD_DIR/sgfblo
have_mnist() { ls "$ROOT"/data/mnist/train-images-idx3-ubyte* >/dev/null 2>&1; }

# ------------------------------------------------------------ hyperclean --
# The paper's setting (MNIST, N = 5000, RXGF, RK4, dt = 1, T = 100, from y*(0)) on both
# backends: the flow's row (test accuracy, validation loss, training accuracy, precision,
# recall, F1, oracle evaluations, exit; not the seconds) must print the same.
if want hyperclean; then
  if have_mnist; then
    for b in cpu cuda; do
      run_logged "hc-$b" "hyperclean_$b.txt" run_env "$CLI" hyperclean --backend "$b" \
        --baseline none --quiet
    done
    flow_row() { awk '$1 == "rxgf" { $9 = ""; print }' "$LOGS/hyperclean_$1.txt"; }
    if [ -n "$(flow_row cpu)" ] && [ "$(flow_row cpu)" = "$(flow_row cuda)" ]; then
      record hc-same ok "cpu and cuda flow rows agree: $(flow_row cuda)"
    else
      record hc-same FAILED "flow rows differ: cpu [$(flow_row cpu)] cuda [$(flow_row cuda)]"
    fi
  else
    record hyperclean skipped "no MNIST in data/mnist (carry \"data\")"
  fi
fi

# ------------------------------------------------------------- sanitizer --
SAN=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)
# san STEP TOOL LOG ARGS...: one compute-sanitizer run, bounded by SAN_TIMEOUT.
san() {
  local step=$1 tool=$2 log=$3
  shift 3
  run_logged "$step" "$log" run_env timeout "$SAN_TIMEOUT" "$SAN" --tool "$tool" \
    --error-exitcode 99 "$@"
}
if want sanitizer; then
  if [ -n "$SAN" ]; then
    # rxgf replays its steps from a CUDA Graph; --no-graph runs the same launches from the
    # host; sgf-cg and pc run conjugate gradients on device scalars; sqcqp the discrete driver.
    for m in rxgf sgf-chol sgf-cg pc; do
      san memcheck memcheck sanitizer.log "$CLI" synthetic --backend cuda --method "$m" \
        --dt 0.05 --t-final 1
    done
    san memcheck memcheck sanitizer.log "$CLI" synthetic --backend cuda --no-graph --dt 0.05 \
      --t-final 1
    san memcheck memcheck sanitizer.log "$CLI" synthetic --backend cuda --method sqcqp --iters 20
    san racecheck racecheck sanitizer.log "$CLI" synthetic --backend cuda --dt 0.05 --t-final 0.2
    if have_mnist; then
      run_env "$CLI" hyperclean --help >"$LOGS/hyperclean_help.txt" 2>&1
      san memcheck-hc memcheck sanitizer.log "$CLI" hyperclean --backend cuda --dt 1 --t-final 2
    else
      record memcheck-hc skipped "no MNIST in data/mnist (carry \"data\")"
    fi
    # The parity tests under memcheck (Criterion forks; the sanitizer follows the children).
    san memcheck-par memcheck sanitizer_parity.log --target-processes all \
      "$ROOT/$BUILD_DIR/tests/test_cuda_parity" -j1
  else
    record sanitizer skipped "compute-sanitizer not found"
  fi
fi

# ----------------------------------------------------------------- bench --
# scale_runs DIR TAG: bench_scale of the build in DIR (TAG float64 | float32), each sweep of
# SCALE_SWEEPS on the cpu backend, then on cuda with the cpu CSV as baseline (the speed-up
# columns). Tables append to scale_{cpu,cuda}_TAG.md; the CSVs go into the tarball.
scale_runs() {
  local dir=$1 tag=$2 k=0 sweep base
  local -a sweeps
  IFS=';' read -ra sweeps <<<"$SCALE_SWEEPS"
  for sweep in "${sweeps[@]}"; do
    k=$((k + 1))
    local cpu_csv=$LOGS/scale_cpu_${tag}_$k.csv cuda_csv=$LOGS/scale_cuda_${tag}_$k.csv
    # shellcheck disable=SC2086
    run_logged "scale-cpu-$tag" "scale_cpu_$tag.md" run_env "$dir/bench/bench_scale" \
      --backend cpu $SCALE_COMMON $sweep --label "$COMMIT" --csv "$cpu_csv"
    base=()
    [ -s "$cpu_csv" ] && base=(--baseline "$cpu_csv")
    # shellcheck disable=SC2086
    run_logged "scale-cuda-$tag" "scale_cuda_$tag.md" run_env "$dir/bench/bench_scale" \
      --backend cuda $SCALE_COMMON $sweep --label "$COMMIT" --csv "$cuda_csv" "${base[@]}"
  done
}

if want bench; then
  for b in cpu cuda; do
    run_logged "bench-$b" "bench_step_$b.md" run_env "$ROOT/$BUILD_DIR/bench/bench_step" 11 "$b"
  done
  scale_runs "$ROOT/$BUILD_DIR" float64
fi

# ---------------------------------------------------------- float build --
if want float; then
  FDIR=$ROOT/$BUILD_DIR-float
  rm -rf "${FDIR:?}"
  if run_logged float-cfg float.log configure "$FDIR" -DSGFBLO_USE_FLOAT=ON &&
     run_logged float-build float.log cmake --build "$FDIR" -j"$JOBS"; then
    run_logged float-parity float_parity.log run_env "$FDIR/tests/test_cuda_parity" --verbose -j1
    run_logged float-ctest float.log run_env ctest --test-dir "$FDIR" --output-on-failure -j4
    scale_runs "$FDIR" float32
  fi
fi

# ---------------------------------------------------------------- results --
publish
echo
echo "=== summary ($failures failed; logs in $OUT, all of them in $OUT/gpu_check_logs.tar.gz)"
cat "$SUMMARY"
for f in bench_step_cpu.md bench_step_cuda.md; do
  [ -f "$LOGS/$f" ] && { echo; grep -E '^\||backend' "$LOGS/$f"; }
done
# The CUDA scale tables, cut to method, sizes, step time, its floor and the speed-up over
# the cpu backend (the full tables are in $OUT).
for f in scale_cuda_float64.md scale_cuda_float32.md; do
  [ -f "$LOGS/$f" ] || continue
  echo
  echo "$f: method N d C | RK4 step ms | step floor ms | % of floor | step speed-up over cpu"
  awk -F'|' '/^\| [a-z-]+ \| [0-9]/ && $8 ~ /[0-9]/ { printf "%s%s%s%s |%s|%s|%s|%s\n", $2, $3, $4, $5, $8, $10, $12, $18 }' "$LOGS/$f"
done
[ "$failures" -eq 0 ]
