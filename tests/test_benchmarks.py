"""The benchmark scripts run and report what they claim (sizes tiny: these are not timing tests)."""

import json
from pathlib import Path

import pytest
import torch
from scripts import load_script

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]


def _bench_train():
    return load_script("benchmarks/bench_train.py")


def test_bench_train_races_variants_against_the_baseline_in_each_precision(tmp_path, capsys):
    bench = _bench_train()
    out = tmp_path / "bench.json"
    argv = ["--device", "cpu", "--subset", "40", "--batch-size", "16", "--epochs", "1", "--depths", "1", "2",
            "--variants", "fp32", "streams+tf32", "--repeat", "2", "--json", str(out)]
    assert bench.main(argv) == 0
    doc = json.loads(out.read_text())
    methods = [r["method"] for r in doc["rows"]]
    assert methods == ["snnlib fp32", "snnlib streams+tf32", "PyTorch tutorial loop fp32",
                       "PyTorch tutorial loop tf32"]
    for row in doc["rows"]:
        assert row["samples_per_s"] > 0 and row["tflops"] > 0 and row["speedup"] > 0
        assert len(row["all_seconds"]) == 2 and min(row["all_seconds"]) <= row["seconds"] <= max(row["all_seconds"])
        assert row["projected_full_protocol_s"] == pytest.approx(row["seconds_per_sample"] * 60_000 * 2000)
    assert doc["members"] == ["SNN Depth 1", "BatchNorm Depth 1", "SNN Depth 2", "BatchNorm Depth 2"]
    assert {"device", "torch", "git_commit"} <= set(doc["provenance"])
    assert torch.get_float32_matmul_precision() == "highest"  # the race leaves the global setting as it found it
    assert "speed-up" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--epochs", "0"], ["--variants", "turbo"], ["--device", "tpu"],
                                  ["--repeat", "0"], ["--subset", "100"], ["--baseline-subset", "0"],
                                  ["--depths", "1", "1"], ["--variants", "fp32", "fp32"]])
def test_bench_train_rejects_bad_arguments(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        _bench_train().main(argv)
    assert exc.value.code != 0 and "error:" in capsys.readouterr().err


def test_bench_train_reports_an_input_set_too_large_for_memory_in_one_line(capsys):
    bench = _bench_train()

    def too_big(n, seed=0):
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 313600000000000 bytes")

    bench.synthetic = too_big
    with pytest.raises(SystemExit) as exc:
        bench.main(["--device", "cpu", "--subset", "100000000000"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "--subset/--baseline-subset: 100000000000 synthetic samples" in err
    assert "Traceback" not in err


def test_bench_train_records_a_failing_variant_and_times_the_others(tmp_path, capsys):
    bench = _bench_train()
    real = bench.time_snnlib

    def flaky(X, y, sweep, args, variant):
        if variant == "streams":
            raise RuntimeError("CUDA error: operation not permitted when stream is capturing")
        return real(X, y, sweep, args, variant)

    bench.time_snnlib = flaky
    out = tmp_path / "bench.json"
    argv = ["--device", "cpu", "--subset", "32", "--batch-size", "16", "--epochs", "1", "--depths", "1",
            "--variants", "streams", "fp32", "--json", str(out)]
    assert bench.main(argv) == 1  # non-zero: something failed, but the file holds everything else
    rows = {r["method"]: r for r in json.loads(out.read_text())["rows"]}
    assert rows["snnlib streams"]["error"].startswith("RuntimeError: CUDA error")
    assert rows["snnlib fp32"]["speedup"] > 0 and rows["PyTorch tutorial loop fp32"]["speedup"] == 1.0
    assert "failed" in capsys.readouterr().out
    from snnlib import experiments

    assert [r["method"] for r in experiments.benchmark_rows(str(out))] == ["snnlib fp32", "PyTorch tutorial loop fp32"]


def test_gpu_session_script_dry_runs_on_the_cpu(tmp_path):
    """The one script a lent GPU runs: every step must work, so no device time is lost on a broken script."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEVICE": "cpu", "SUBSET": "128", "BASELINE_SUBSET": "128", "DEPTHS": "1 2",
           "FIG1_EPOCHS": "2", "OUT": str(tmp_path), "PYTHON": sys.executable, "COMPILE": "1"}
    proc = subprocess.run(["bash", "benchmarks/gpu_session.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "torch" in (tmp_path / "device.txt").read_text()
    for name in ("device.txt", "check_cuda_training.log", "bench_train.json", "figure1_digits.json",
                 "profile_step.json", "profile_step_tf32_streams.json", "bench_train_compile.json"):
        assert (tmp_path / name).is_file(), name
    assert "OK (dry run on cpu" in (tmp_path / "check_cuda_training.log").read_text()  # says nothing CUDA ran
    assert "graph+autotune" in (tmp_path / "check_cuda_training_compile.log").read_text()
    rows = json.loads((tmp_path / "bench_train.json").read_text())["rows"]
    assert len(rows) == 7 and not any("error" in r for r in rows)  # 5 variants + the loop in fp32 and tf32


def _profile_step():
    return load_script("benchmarks/profile_step.py")


def test_profile_step_counts_the_matrix_products_of_one_training_step(tmp_path, capsys):
    """Depths 1 and 2: 2 + 3 linear layers. Per step: 5 forward products (baddbmm), 5 weight gradients and
    3 input gradients (none for the first layers, whose input is data) = 13 matrix products."""
    out = tmp_path / "profile.json"
    assert _profile_step().main(["--device", "cpu", "--depths", "1", "2", "--width", "16", "--batch-size", "8",
                                 "--steps", "3", "--warmup", "1", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["categories"]["matmul"]["calls_per_step"] == 13
    assert doc["categories"]["batch_norm"]["calls_per_step"] > 0
    # parameters: depth 1: 2 x (16*16+16 + 16*10+10) = 884, depth 2: 2 x (2*(16*16+16) + 16*10+10) = 1428,
    # BatchNorm scale and shift: (1 + 2) layers x 2 x 16 = 96; 6 flops per parameter and sample, batch 8
    assert doc["summary"]["gflop_per_step"] == pytest.approx(6 * (884 + 1428 + 96) * 8 / 1e9, rel=1e-12)
    assert doc["provenance"]["device"] == "cpu" and "matmul" in capsys.readouterr().out


def test_profile_step_category_names():
    profile_step = _profile_step()
    assert profile_step.category("void cutlass::Kernel2<cutlass_80_simt_sgemm_128x64_8x5_nn_align1>(...)") == "matmul"
    assert profile_step.category("aten::baddbmm") == "matmul"
    assert profile_step.category("void at::native::batch_norm_collect_statistics_kernel<...>") == "batch_norm"
    assert profile_step.category("void at::native::(anonymous)::multi_tensor_apply_kernel<...>") == "optimizer"
    assert profile_step.category("void at::native::vectorized_elementwise_kernel<4, ...>") == "elementwise"
    assert profile_step.category("something new") == "other"


@pytest.mark.parametrize("argv", [["--steps", "0"], ["--depths", "2", "2"], ["--width", "-1"],
                                  ["--json", "{tmp}"], ["--device", "tpu"]])
def test_profile_step_rejects_bad_arguments(argv, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:  # "{tmp}": a folder where a file path is needed
        _profile_step().main(["--device", "cpu", *[a.replace("{tmp}", str(tmp_path)) for a in argv]])
    assert exc.value.code == 2 and "error:" in capsys.readouterr().err


def test_gpu_session_script_stops_at_once_without_a_working_interpreter(tmp_path):
    import os
    import subprocess

    env = {**os.environ, "OUT": str(tmp_path), "PYTHON": "/bin/false"}
    proc = subprocess.run(["bash", "benchmarks/gpu_session.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 99 and "set PYTHON" in proc.stderr
