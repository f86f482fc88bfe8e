#!/usr/bin/env bash
# Set up medtui on a machine without pixi: a virtual environment in .venv with the CPU build of
# torch installed FIRST (so nothing later pulls several GB of CUDA wheels), then medtui and its
# stack, llama.cpp's converter and the embedded default model. Safe to run again: each step is
# skipped when it is already done.
#   scripts/setup.sh          set up for using medtui
#   scripts/setup.sh --test   also the test tools (pytest, Go for checking Ollama templates)
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION=2.13.0
PY=${PYTHON:-python3}
WITH_TESTS=0
[[ "${1:-}" == "--test" ]] && WITH_TESTS=1

say() { printf '\033[1m[medtui setup]\033[0m %s\n' "$*"; }

if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK=1

if ! "$VPY" -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('$TORCH_VERSION') else 1)" 2>/dev/null; then
  say "installing torch==$TORCH_VERSION (CPU) before anything that depends on it"
  "$VPY" -m pip install -q "torch==$TORCH_VERSION"
fi

extras=""
[[ $WITH_TESTS == 1 ]] && extras="[test]"
stamp=".venv/.medtui-installed$extras"
want=$(cat pyproject.toml | sha256sum | cut -c1-16)
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
  say "installing medtui$extras and its stack (the first time compiles llama-cpp-python: several minutes)"
  # The constraint keeps pip from replacing the CPU torch with a CUDA build.
  echo "torch==$TORCH_VERSION" > .venv/torch-constraint.txt
  "$VPY" -m pip install -q -c .venv/torch-constraint.txt -e ".$extras"
  echo "$want" > "$stamp"
fi

if [[ $WITH_TESTS == 1 ]] && ! command -v go >/dev/null 2>&1; then
  say "installing Go (golang-go) to check Ollama templates with Go's own text/template"
  if [[ $(id -u) == 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null
  fi
fi

say "fetching llama.cpp's GGUF converter (once) and preparing the embedded default model (once)"
.venv/bin/medtui setup
say "ready: .venv/bin/medtui"
