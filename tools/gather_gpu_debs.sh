#!/usr/bin/env bash
# Collect into .debs/ (git-ignored) the Debian packages that a GPU session needs to build and
# test sgfblo on a device machine, which can reach no package registry: Criterion and the
# libraries it loads, OpenBLAS (pthread flavour, with CBLAS headers), LAPACKE, zlib.
# bench/gpu_check.sh unpacks them there with dpkg -x and points CMake at them; hand .debs to
# the device run as a carried path.
#
#     bash tools/gather_gpu_debs.sh            # download (run 'apt-get update' once before)
#     bash tools/gather_gpu_debs.sh --verify   # also: unpack into a temporary prefix, then
#                                              # configure, build and ctest against it alone
#
# --verify checks that every dependency CMake finds lies inside the prefix and runs the tests
# with every unpacked library first on LD_LIBRARY_PATH, so the prefix is known to be enough.
# The packages are this machine's (Debian 12, amd64); the loader of a newer distribution runs
# them, an older one may not.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
  # Criterion (headers, library) and the shared libraries libcriterion.so.3 loads
  libcriterion-dev libcriterion3 libffi8 libnanomsg5 libgit2-1.5 libhttp-parser2.9
  libmbedcrypto7 libmbedtls14 libmbedx509-1 libssh2-1 libssl3 libpcre2-8-0
  libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1 libcom-err2
  # OpenBLAS (BLAS + LAPACK + CBLAS headers), LAPACKE and the Fortran run time
  libopenblas-dev libopenblas-pthread-dev libopenblas0 libopenblas0-pthread
  liblapacke liblapacke-dev libtmglib3 libgfortran5 libquadmath0
  # zlib (the IDX/npy readers)
  zlib1g zlib1g-dev
)

# Only this download's packages: an older version of one left behind would be unpacked too
# (and, sorting after the newer one, win).
mkdir -p .debs
rm -f .debs/*.deb
(cd .debs && apt-get download "${PKGS[@]}") || {
  echo "gather_gpu_debs: apt-get download failed; run 'apt-get update' first" >&2
  exit 1
}
echo "gather_gpu_debs: $(find .debs -maxdepth 1 -name '*.deb' | wc -l) packages," \
  "$(du -sh .debs | cut -f1) in .debs/"

[ "${1:-}" = --verify ] || exit 0

# Build and test against the prefix alone, the way a GPU session does (without the GPU steps).
prefix=$(mktemp -d /tmp/sgfblo-debs-verify.XXXXXX)
out=$prefix/out
build="build-debs-verify"
rc=0
OUT=$out DEPS_PREFIX=$prefix/deps BUILD_DIR=$build FORCE_PREFIX_LIBS=1 \
  STEPS="deps configure build ctest" FLOAT=0 JOBS="${JOBS:-2}" bash bench/gpu_check.sh || rc=$?
found=$(tar -xzOf "$out/gpu_check_logs.tar.gz" ./found.txt 2>/dev/null || true)
[ -n "$found" ] || { echo "gather_gpu_debs: the run wrote no found.txt (configure failed?)" >&2; rc=1; }
echo "--- dependencies CMake found:"
echo "$found"
outside=$(echo "$found" | grep -E ':[A-Z]+=' | grep -v "=$prefix/deps/" || true)
if [ -n "$outside" ]; then
  echo "gather_gpu_debs: found outside the prefix:" >&2
  echo "$outside" >&2
  rc=1
fi
rm -rf "$build" "$prefix"
if [ $rc -eq 0 ]; then echo "gather_gpu_debs: verified: the prefix alone configures, builds and passes ctest"
else echo "gather_gpu_debs: verification FAILED" >&2; fi
exit $rc
