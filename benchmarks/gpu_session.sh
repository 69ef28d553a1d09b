#!/usr/bin/env bash
# The device checks of issues 3 and 5 as one script, run on a lent GPU machine (see README "Paper-scale and GPU
# work"). Every step writes its raw output under $OUT (default: results/gpu) and is bounded by a timeout, so a
# slow step cannot take the others down with it. Usage:  SNNLIB_GIT_COMMIT=<sha> bash benchmarks/gpu_session.sh
# Budget: about 7 minutes of steps; the theorem grid was measured on an H100 (16 s) and is rerun only with
# GRID=1.
set -uo pipefail
OUT=${OUT:-results/gpu}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
step() {  # step NAME SECONDS CMD...
  local name=$1 limit=$2; shift 2
  local t0; t0=$(date +%s)
  echo "== $name (limit ${limit}s) =="
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  tail -n 25 "$OUT/$name.log"
  echo "== $name: exit $rc after $(( $(date +%s) - t0 )) s =="
}
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; python3 -c "import torch, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__)"; } | tee "$OUT/device.txt"
if [ "${GRID:-0}" = 1 ]; then
  step theorems_paper_grid 150 python3 -m snnlib.theorems --paper-grid --device cuda --no-certificates --json "$OUT/theorems_paper_grid.json"
fi
# First: CUDA-graph replay and one stream per unit must train like the eager loop (no pytest needed).
step check_cuda_training 120 python3 benchmarks/check_cuda_training.py --device cuda
# Trainer race on the Figure-1 MNIST shape: the whole sweep in one CUDA graph (fp32); one stream per depth (stacked
# SNN+BatchNorm pair) or per network (no-stack); the same with TF32; the tutorial loop in both precisions on 20000
# samples per epoch (it is the slow part).
step bench_train 360 python3 benchmarks/bench_train.py --device cuda --epochs 2 --variants fp32 streams streams+no-stack streams+tf32 streams+no-stack+tf32 --baseline-subset 20000 --json "$OUT/bench_train.json"
step figure1_digits 120 python3 -m snnlib.experiments figure1 --dataset digits --depths 8 16 32 --epochs 400 --device cuda --no-progress --out "$OUT"
ls -l "$OUT"
