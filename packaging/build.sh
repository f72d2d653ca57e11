#!/usr/bin/env bash
# Build the cytomoe desktop bundle with PyInstaller (one folder): packaging/dist/cytomoe/,
# started by packaging/dist/cytomoe/cytomoe, which needs no Python installation.
#
#   packaging/build.sh            build (reuses packaging/.build-venv when it exists)
#   packaging/build.sh --fresh    recreate the build venv first
#
# Environment: PYTHON (default python3.11, then python3) makes the venv; NICE (default 10)
# is the niceness of the slow steps; TORCH_PIN, TORCH_PIP_ARGS and PYINSTALLER_PIN change
# what is installed.
# The script prints how long each step took and how big the bundle is.
#
# PyTorch is pinned to 2.13.0 and installed first, so that pip takes the CPU wheel where
# one is offered and never resolves cytomoe's torch range to a CUDA build later; the script
# stops if a CUDA build or nvidia-* packages end up in the venv anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PKG=$ROOT/packaging
VENV=$PKG/.build-venv
NICE=${NICE:-10}
TORCH_PIN=${TORCH_PIN:-torch==2.13.0}
PYINSTALLER_PIN=${PYINSTALLER_PIN:-pyinstaller>=6.10}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}

start=$(date +%s)
step() { echo "== [$(($(date +%s) - start)) s] $*"; }

if [[ ${1:-} == --fresh ]]; then
    rm -rf "$VENV"
fi

if [[ ! -x $VENV/bin/python ]]; then
    step "creating the build venv with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
PY=$VENV/bin/python
PIP=("$PY" -m pip install --no-input)

step "installing $TORCH_PIN first"
# TORCH_PIP_ARGS: extra pip arguments for this step, e.g. `--index-url URL` of PyTorch's
# CPU-only wheel index where the default index would give the CUDA build.
# shellcheck disable=SC2086
nice -n "$NICE" "${PIP[@]}" ${TORCH_PIP_ARGS:-} "$TORCH_PIN"
torch_version=$("$PY" -c 'import importlib.metadata as m; print(m.version("torch"))')
if "$PY" -m pip list 2>/dev/null | grep -qi '^nvidia-'; then
    echo "build.sh: torch $torch_version pulled CUDA libraries (nvidia-*); install the CPU" \
        "wheel of $TORCH_PIN into $VENV first" >&2
    exit 1
fi
echo "torch $torch_version"

step "installing cytomoe (not editable) and PyInstaller"
# A copy of the source tree, so that setuptools' build/ and egg-info stay out of the checkout.
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
tar -C "$ROOT" --exclude=./packaging --exclude=./.git --exclude='*.egg-info' \
    --exclude=./build --exclude=./dist --exclude=./.venv -cf - . | tar -C "$src" -xf -
# [all]: the app's and batch's extras (PySide6, pyqtgraph, dask) where pyproject.toml has
# them; pip only warns where it has no such extra.
nice -n "$NICE" "${PIP[@]}" "$src[all]" "$PYINSTALLER_PIN"
if "$PY" -m pip list 2>/dev/null | grep -qi '^nvidia-'; then
    echo "build.sh: CUDA libraries (nvidia-*) were installed; the bundle must stay CPU-only" >&2
    exit 1
fi
"$PY" -c 'import torch; assert torch.version.cuda is None, torch.version.cuda'

step "running PyInstaller"
build_start=$(date +%s)
# From packaging/build/, not the repository root: there `import cytomoe` would find the
# source tree, which lacks cytomoe.resources, instead of the installed package.
mkdir -p "$PKG/build"
(cd "$PKG/build" && nice -n "$NICE" "$PY" -m PyInstaller --noconfirm --clean \
    --workpath "$PKG/build" --distpath "$PKG/dist" "$PKG/cytomoe.spec")
build_end=$(date +%s)

bundle=$PKG/dist/cytomoe
step "done"
echo "PyInstaller took $((build_end - build_start)) s; the whole script $((build_end - start)) s"
echo "bundle: $bundle ($(du -sh "$bundle" | cut -f1), $(find "$bundle" -type f | wc -l) files)"
echo "start it with: $bundle/cytomoe   (smoke test: packaging/smoke.sh)"
