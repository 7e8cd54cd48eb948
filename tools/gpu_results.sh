#!/usr/bin/env bash
# Turn the logs of one bench/gpu_check.sh run into the dated results file of bench/results/:
# the device, the commit, the step summary and every table, unedited, with the commands that
# made them (bench_scale prints its own command line).
#
#     bash tools/gpu_results.sh DIR [NAME]
#
# DIR holds what the run wrote under $OUT (gpu_check_logs.tar.gz, or its files unpacked);
# NAME is the file's name after the date (default gpu-check). Writes
# bench/results/YYYY-MM-DD-NAME.md (the date of the run, from env.txt) and copies the CSVs
# beside it as YYYY-MM-DD-NAME-*.csv. Prints the path.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:?usage: tools/gpu_results.sh DIR [NAME]}
name=${2:-gpu-check}
logs=$(mktemp -d /tmp/sgfblo-gpu-results.XXXXXX)
trap 'rm -rf "$logs"' EXIT
if [ -f "$dir/gpu_check_logs.tar.gz" ]; then
  tar -xzf "$dir/gpu_check_logs.tar.gz" -C "$logs"
else
  cp -r "$dir"/. "$logs"/
fi
[ -f "$logs/summary.txt" ] || { echo "gpu_results: no summary.txt in $dir" >&2; exit 1; }

env=$logs/env.txt
# The run's date (env.txt starts with `date -u`), the device and the commit it measured.
day=$(date -u -d "$(head -n 1 "$env" 2>/dev/null)" +%F 2>/dev/null || date -u +%F)
# The device from nvidia-smi's --query-gpu CSV (its first field after the "name, ..." header
# line): the table view pads the name with the persistence-mode column.
device=$(awk -F', ' '/^name, memory.total/ { getline; print $1; exit }' "$env" 2>/dev/null)
device=${device:-unknown device}
commit=$(sed -n 's/^commit //p' "$env" 2>/dev/null | head -n 1)
commit=${commit:-unknown}
# A second run of the same day (a rerun on a warm machine) gets its own file, never
# overwrites the first.
base=$day-$name
k=2
while [ -e "bench/results/$base.md" ]; do
  base=$day-$name-$k
  k=$((k + 1))
done
out=bench/results/$base.md

section() { # section TITLE FILE: the file under a heading, when it is there
  [ -s "$2" ] || return 0
  printf '\n## %s\n\n' "$1"
  cat "$2"
}

{
  echo "# GPU check, $day: $device"
  echo
  echo "Commit $commit. Made by \`bash bench/gpu_check.sh\` on the device machine; every table"
  echo "below is one program's standard output, unedited (bench_scale prints its command line)."
  echo "Step summary (status, seconds since the start of the run, log):"
  echo
  echo '```'
  cat "$logs/summary.txt"
  echo '```'
  printf '\n## Machine\n\n```\n'
  cat "$env" 2>/dev/null
  printf '```\n'
  section "bench_step, cpu backend" "$logs/bench_step_cpu.md"
  section "bench_step, cuda backend" "$logs/bench_step_cuda.md"
  for t in float64 float32; do
    section "bench_scale, cuda backend, $t (speed-up over the cpu rows of the same run)" \
      "$logs/scale_cuda_$t.md"
    section "bench_scale, cuda backend with the fused passes, $t (speed-up over the cuBLAS rows above)" \
      "$logs/scale_cuda_fused_$t.md"
    section "bench_scale, cpu backend of the same machine, $t" "$logs/scale_cpu_$t.md"
  done
  for t in float64 float32; do
    section "bench_device_pass, $t (every product callback: cuBLAS GEMMs against the fused passes)" \
      "$logs/device_pass_$t.md"
  done
  if [ -s "$logs/hyperclean_cuda.txt" ]; then
    printf '\n## Hyper-cleaning on the paper'"'"'s setting, both backends\n'
    for b in cpu cuda cuda_fused; do
      [ -s "$logs/hyperclean_$b.txt" ] || continue
      printf '\n%s:\n\n```\n' "$b"
      cat "$logs/hyperclean_$b.txt"
      printf '```\n'
    done
  fi
} >"$out"

for csv in "$logs"/scale_*.csv; do
  [ -e "$csv" ] || continue
  cp "$csv" "bench/results/$base-$(basename "$csv")"
done
echo "$out"
