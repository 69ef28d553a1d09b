#!/usr/bin/env bash
# The device checks of issues 3 and 5 as one script, run on a lent GPU machine (see README "Paper-scale and GPU
# work"). Every step writes its raw output under $OUT (default: results/gpu) and is bounded by a timeout, so a
# slow step cannot take the others down with it. Usage:  SNNLIB_GIT_COMMIT=<sha> bash benchmarks/gpu_session.sh
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
step theorems_paper_grid 150 python3 -m snnlib.theorems --paper-grid --device cuda --no-certificates --json "$OUT/theorems_paper_grid.json"
step bench_train_fp32 170 python3 benchmarks/bench_train.py --device cuda --epochs 2 --json "$OUT/bench_train_fp32.json"
step bench_train_tf32 60 python3 benchmarks/bench_train.py --device cuda --epochs 2 --tf32 --skip-baseline --json "$OUT/bench_train_tf32.json"
step figure1_digits 150 python3 -m snnlib.experiments figure1 --dataset digits --depths 8 16 32 --epochs 400 --device cuda --no-progress --out "$OUT"
ls -l "$OUT"
