#!/usr/bin/env bash
# The device checks of issues 3 and 5 as one script, run on a lent GPU machine (see README "Paper-scale and GPU
# work"). Every step writes its raw output under $OUT (default: results/gpu) and is bounded by a timeout, so a
# slow step cannot take the others down with it; the exit status is the number of failed steps.
#   Usage:  SNNLIB_GIT_COMMIT=$(git describe --always --dirty --abbrev=40) bash benchmarks/gpu_session.sh
#   (the lent machine gets a copy of the tree without .git: the variable is the provenance of its results)
#   Dry run on a CPU (tests/test_benchmarks.py does this): PYTHON=.venv/bin/python DEVICE=cpu SUBSET=128 BASELINE_SUBSET=128 DEPTHS="1 2" \
#       FIG1_EPOCHS=2 OUT=/tmp/dry bash benchmarks/gpu_session.sh
# Budget on an H100: about 6 minutes of steps; the theorem grid (16 s measured) is rerun only with GRID=1, the
# torch.compile race (several minutes of compiling) only with COMPILE=1.
set -uo pipefail
OUT=${OUT:-results/gpu}
DEVICE=${DEVICE:-cuda}
SUBSET=${SUBSET:-60000}
BASELINE_SUBSET=${BASELINE_SUBSET:-20000}
DEPTHS=${DEPTHS:-8 16 32}
FIG1_EPOCHS=${FIG1_EPOCHS:-400}
# the interpreter: $PYTHON, else the README's .venv if there is one, else python3 (the GPU machine's)
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
failed=0
step() {  # step NAME SECONDS CMD...
  local name=$1 limit=$2; shift 2
  local t0; t0=$(date +%s)
  echo "== $name (limit ${limit}s) =="
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  tail -n 25 "$OUT/$name.log"
  echo "== $name: exit $rc after $(( $(date +%s) - t0 )) s =="
  [ "$rc" = 0 ] || failed=$((failed + 1))
}
: > "$OUT/device.txt"
if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >> "$OUT/device.txt"; fi
if ! "$PYTHON" -c "import torch, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__)" >> "$OUT/device.txt"; then
  echo "== $PYTHON cannot import torch and numpy: set PYTHON to the project's interpreter ==" >&2
  exit 99
fi
cat "$OUT/device.txt"
if [ "${GRID:-0}" = 1 ]; then
  step theorems_paper_grid 150 "$PYTHON" -m snnlib.theorems --paper-grid --device "$DEVICE" --no-certificates --json "$OUT/theorems_paper_grid.json"
fi
# First: CUDA-graph replay and one stream per unit must train like the eager loop (no pytest needed).
step check_cuda_training 120 "$PYTHON" benchmarks/check_cuda_training.py --device "$DEVICE"
# Where a step's time goes, kernel by kernel (fp32; then TF32 with one stream per depth): the evidence for what
# to fuse or split next.
# shellcheck disable=SC2086
step profile_step 120 "$PYTHON" benchmarks/profile_step.py --device "$DEVICE" --depths $DEPTHS --json "$OUT/profile_step.json"
# shellcheck disable=SC2086
step profile_step_tf32_streams 120 "$PYTHON" benchmarks/profile_step.py --device "$DEVICE" --depths $DEPTHS --tf32 --streams --json "$OUT/profile_step_tf32_streams.json"
# Trainer race on the Figure-1 MNIST shape: the whole sweep in one CUDA graph (fp32); one stream per depth (stacked
# SNN+BatchNorm pair) or per network (no-stack); the same with TF32; the tutorial loop in both precisions on fewer
# samples per epoch (it is the slow part).
# shellcheck disable=SC2086  # DEPTHS is a list of numbers
step bench_train 360 "$PYTHON" benchmarks/bench_train.py --device "$DEVICE" --epochs 2 --subset "$SUBSET" --depths $DEPTHS --variants fp32 streams streams+no-stack streams+tf32 streams+no-stack+tf32 --baseline-subset "$BASELINE_SUBSET" --json "$OUT/bench_train.json"
# torch.compile variants (kernels tuned for the batch-128 shapes; compiling takes minutes): only with COMPILE=1,
# best as a second call once the steps above are home.
if [ "${COMPILE:-0}" = 1 ]; then
  step check_cuda_training_compile 240 "$PYTHON" benchmarks/check_cuda_training.py --device "$DEVICE" --compile
  # shellcheck disable=SC2086
  step bench_train_compile 420 "$PYTHON" benchmarks/bench_train.py --device "$DEVICE" --epochs 2 --subset "$SUBSET" --depths $DEPTHS --variants fp32 compile+graph autotune+graph autotune+graph+tf32 autotune+streams+tf32 --baseline-subset "$BASELINE_SUBSET" --json "$OUT/bench_train_compile.json"
fi
# shellcheck disable=SC2086
step figure1_digits 120 "$PYTHON" -m snnlib.experiments figure1 --dataset digits --depths $DEPTHS --epochs "$FIG1_EPOCHS" --device "$DEVICE" --no-progress --out "$OUT"
ls -l "$OUT"
exit "$failed"
