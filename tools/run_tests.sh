#!/usr/bin/env bash
# The test job: install dependencies, then build and run the Criterion suite (ctest) in five
# configurations -- Release, AddressSanitizer + UndefinedBehaviorSanitizer, float, and the
# CUDA backend on the host emulation of emu/ (SGFBLO_CUDA_EMULATION) in float64 and float32 --
# and check
# that every exported symbol of the library carries the sgfblo_ prefix (STYLE.md section 2).
# Prints "N passed, M failed" last: N and M count ctest results over all builds, plus the
# symbol gate; a build that fails counts as one failure. ctest tests that report themselves
# skipped (the CUDA example without a GPU) are in neither count: "(S skipped)" follows.
# Exits non-zero when M > 0.
set -uo pipefail
cd "$(dirname "$0")/.."

bash tools/install_deps.sh || { echo "0 passed, 1 failed"; exit 1; }

JOBS=${JOBS:-2}
passed=0
failed=0
skipped=0

# run_config NAME CMAKE_ARGS...: configure, build and test build-NAME, adding to the counts.
run_config() {
  local name=$1 dir=build-$1
  shift
  echo "=== $name build ($*)"
  mkdir -p "$dir"
  if ! cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSGFBLO_WERROR=ON "$@" >"$dir/configure.log" 2>&1 ||
     ! cmake --build "$dir" -j"$JOBS"; then
    tail -n 20 "$dir/configure.log"
    echo "=== $name: build FAILED"
    failed=$((failed + 1))
    return
  fi
  local log=$dir/ctest.log
  (cd "$dir" && ctest --output-on-failure -j"$JOBS") 2>&1 | tee "$log"
  # ctest ends with "NN% tests passed, F tests failed out of T".
  local line total bad
  line=$(grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "=== $name: no ctest summary"
    failed=$((failed + 1))
    return
  fi
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  skip=$(grep -cE 'Test +#[0-9]+: .*\*\*\*Skipped' "$log")
  passed=$((passed + total - bad - skip))
  failed=$((failed + bad))
  skipped=$((skipped + skip))
  echo "=== $name: $((total - bad - skip)) passed, $bad failed, $skip skipped"
}

run_config release
# CPU only: the sanitizers cover the host code (STYLE.md section 11) and nvcc takes no -fsanitize.
run_config sanitize -DSGFBLO_SANITIZE=ON -DSGFBLO_ENABLE_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
run_config float -DSGFBLO_USE_FLOAT=ON
# The CUDA backend on emu/'s host emulation of the runtime, cuBLAS and cuSOLVER: its tests run
# (against the CPU backend) instead of skipping for want of a GPU.
run_config emulated -DSGFBLO_CUDA_EMULATION=ON
# float32 is what GPU users run at scale: the CUDA backend's float build is tested too.
run_config emulated-float -DSGFBLO_CUDA_EMULATION=ON -DSGFBLO_USE_FLOAT=ON

# Symbol-prefix gate: a static link exposes every non-static symbol, so all must be sgfblo_*.
for dir in build-release build-float; do
  echo "=== symbol prefix gate: $dir/libsgfblo.a"
  if [ ! -f "$dir/libsgfblo.a" ]; then
    echo "=== $dir/libsgfblo.a missing"
    failed=$((failed + 1))
    continue
  fi
  bad_syms=$(nm -g --defined-only "$dir/libsgfblo.a" | awk 'NF==3{print $3}' | grep -Ev '^(sgfblo_|DW\.ref\.)' || true)
  if [ -n "$bad_syms" ]; then
    echo "exported symbols without the sgfblo_ prefix:"
    echo "$bad_syms"
    failed=$((failed + 1))
  else
    passed=$((passed + 1))
  fi
done

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed ($skipped skipped)"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
