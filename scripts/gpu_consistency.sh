#!/usr/bin/env bash
# The one-GPU `blyan-lint consistency` runs recorded in docs/gpu-validation.md (## consistency).
# Run from the repository root on a machine with torch + transformers and one policy GPU:
#     scripts/gpu_consistency.sh OUT_DIR            # write references, check against them, --strict
#     scripts/gpu_consistency.sh OUT_DIR against    # another machine: check against fixtures/consistency/
# Writes OUT_DIR/log.txt and the references it makes; a run's non-zero exit is part of the record.
set -uo pipefail
out=${1:?usage: scripts/gpu_consistency.sh OUT_DIR [against]}
phase=${2:-write}
mkdir -p "$out"
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
demo=fixtures/demo_repo/checkpoints/tiny-llama-bf16
small=/tmp/consistency-llama-2048

run() {
    echo "\$ blyan-lint consistency $*"
    local start=$EPOCHREALTIME
    python3 -m blyan_lint consistency "$@" 2>&1
    local code=$?
    python3 -c "import sys; print(f'(exit {sys.argv[1]}, {float(sys.argv[3]) - float(sys.argv[2]):.1f} s wall)')" \
        "$code" "$start" "$EPOCHREALTIME"
    echo
}

machine() {
    nvidia-smi --query-gpu=name,uuid,driver_version,memory.total --format=csv,noheader
    python3 -c "import torch, transformers; print('torch', torch.__version__, 'CUDA', torch.version.cuda, \
'transformers', transformers.__version__, 'GPUs', torch.cuda.device_count())"
    env | grep -E '^(NCCL_|CUBLAS_|TORCH_SYMM|NVSHMEM_)' | sort
    echo
}

if [ "$phase" = against ]; then
    {
        machine
        run --model "$demo" --nproc 1 --against fixtures/consistency/h200-tiny-llama-bf16.json
        python3 scripts/make_consistency_llama.py "$small" --hidden 2048 --layers 2 --vocab 32000 2>&1 | tail -1
        run --model "$small" --nproc 1 --against fixtures/consistency/h200-llama-2048.json
    } | tee "$out/log-against.txt"
    exit 0
fi

{
    machine
    run --model "$demo" --nproc 1 --steps 3 --batch-sizes 1,8 --reference "$out/h200-tiny-llama-bf16.json"
    run --model "$demo" --nproc 1 --against "$out/h200-tiny-llama-bf16.json"
    run --model "$demo" --nproc 1 --strict --against "$out/h200-tiny-llama-bf16.json"
    python3 scripts/make_consistency_llama.py "$small" --hidden 2048 --layers 2 --vocab 32000 2>&1 | tail -1
    run --model "$small" --nproc 1 --steps 3 --batch-sizes 1,8 --reference "$out/h200-llama-2048.json"
    run --model "$small" --nproc 1 --strict --against "$out/h200-llama-2048.json"
} | tee "$out/log.txt"
