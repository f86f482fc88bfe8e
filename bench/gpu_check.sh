#!/usr/bin/env bash
# The CUDA check for a bare GPU machine with no network (see bench/gpu_check.py for what it measures).
# It needs, beside the repository: .whl/ (transformers, peft, trl, bitsandbytes, datasets and their
# missing needs as wheels) and .gpu/ (the Llama 3 tokenizer and llama.cpp's converter, as archives).
# Make both on a machine with network:  bash bench/gpu_check.sh --prepare
# Then on the GPU machine:              bash bench/gpu_check.sh [gpu_check.py options]
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

if [[ "${1:-}" == "--prepare" ]]; then
  set -e
  mkdir -p .whl .gpu
  "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl \
    transformers==5.23.0 peft==0.21.2 trl==1.16.0 bitsandbytes==0.50.2 datasets==5.2.0 \
    dill==0.4.1 multiprocess==0.70.19 fsspec==2026.9.0
  .venv/bin/python bench/gpu_assets.py .gpu
  du -sh .whl .gpu
  exit 0
fi

start=$(date +%s)
"$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/medtui-site .whl/*.whl \
  || { echo "gpu_check: installing the carried wheels failed"; exit 1; }
export PYTHONPATH=/tmp/medtui-site:$PWD HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export MEDTUI_CACHE=/tmp/medtui-cache PYTHONUNBUFFERED=1
echo "wheels installed in $(( $(date +%s) - start )) s"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
"$PY" -m pip list 2>/dev/null | grep -i -E "^(torch|pyarrow|fsspec|accelerate|huggingface.hub|tokenizers) "
"$PY" bench/gpu_check.py "$@"
