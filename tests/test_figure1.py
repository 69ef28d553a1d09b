"""Tests of snnlib.figure1 and of ``python -m snnlib figure1`` (paper Figure 1 protocol), run in-process on the
built-in digits data."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from snnlib import cli, figure1

torch.set_num_threads(1)


def test_figure1_cli_writes_one_json_with_provenance(tmp_path, capsys):
    argv = ["figure1", "--dataset", "digits", "--depths", "2", "4", "--epochs", "2", "--out", str(tmp_path),
            "--no-progress", "--device", "cpu", "--checkpoint-every", "1", "--precision", "tf32"]
    assert cli.main(argv) == 0
    doc = json.loads((tmp_path / "figure1_digits.json").read_text())
    labels = [r["label"] for r in doc["records"]]
    assert labels == ["BatchNorm Depth 2", "SNN Depth 2", "BatchNorm Depth 4", "SNN Depth 4"]
    assert all(len(r["loss"]) == 3 and len(r["val_loss"]) == 3 for r in doc["records"])  # epochs + 1 measurements
    assert doc["protocol"]["lr"] == 3e-4 and doc["config"]["batch_size"] == 64  # digits defaults
    assert doc["complete"] is True and doc["protocol"]["gradient"].startswith("sum")
    assert doc["protocol"]["width"] == 64  # width = input size
    assert {"device", "torch", "git_commit"} <= set(doc["provenance"]) and doc["wall_time_s"] > 0
    assert len(list((tmp_path / "checkpoints").glob("sweep-*.pt"))) == 1
    assert doc["config"]["precision"] == "tf32"  # recorded with the result
    summary = figure1.summarize_figure1(doc)
    assert set(summary) == {f"{lab} seed 0" for lab in labels}


@pytest.mark.parametrize("argv", [
    ["figure1", "--dataset", "imagenet", "--out", "x"],
    ["figure1", "--dataset", "digits", "--epochs", "0", "--out", "x"],
    ["figure1", "--dataset", "digits", "--lr", "-1", "--out", "x"],
    ["figure1", "--dataset", "digits", "--depths", "0", "--out", "x"],
    ["figure1", "--dataset", "digits"],
    ["nonsense"]])
def test_bad_arguments_exit_nonzero_with_a_reason(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code != 0
    assert "error:" in capsys.readouterr().err


def test_benchmark_rows_read_both_result_formats(tmp_path):
    old = {"provenance": {"device": "NVIDIA H100", "torch": "2.11", "git_commit": "6570202abc"}, "speedup": 4.0,
           "args": {"tf32": False}, "rows": [
               {"method": "snnlib (stacked)", "samples_per_s": 8.0, "tflops": 2.0, "projected_full_protocol_s": 3600},
               {"method": "PyTorch tutorial loop", "samples_per_s": 2.0, "tflops": 0.5,
                "projected_full_protocol_s": 14400}]}
    new = {"provenance": {"device": "cpu", "torch": "2.13", "git_commit": "abcdef123"}, "args": {},
           "config": {"eval_batch_size": 128}, "rows": [
        {"method": "snnlib streams+tf32", "precision": "tf32", "samples_per_s": 3.0, "tflops": 1.0,
         "projected_full_protocol_s": 7200, "speedup": 1.5},
        {"method": "snnlib fp32", "precision": "fp32", "samples_per_s": 3.0, "tflops": 1.0,
         "projected_full_protocol_s": 7200}]}
    current = {"provenance": {"device": "NVIDIA H200", "torch": "2.11", "git_commit": "fedcba987"},
               "args": {"protocol_n_train": 50_000}, "config": {"eval_batch_size": 128}, "rows": [
        {"method": "snnlib tf32", "precision": "tf32", "samples_per_s": 9.0, "tflops": 40.0, "ms_per_step": 0.9,
         "projected_full_protocol_s": 1800, "speedup": 25.0}]}
    (tmp_path / "bench_train_a.json").write_text(json.dumps(old))
    (tmp_path / "bench_train_b.json").write_text(json.dumps(new))
    (tmp_path / "bench_train_c.json").write_text(json.dumps(current))
    rows = figure1.benchmark_rows(str(tmp_path / "bench_train*.json"))
    assert [(r["method"], r["precision"], r["speedup"]) for r in rows] == [
        ("snnlib (stacked)", "fp32", 4.0), ("PyTorch tutorial loop", "fp32", 1.0),
        ("snnlib streams+tf32", "tf32", 1.5), ("snnlib fp32", "fp32", None), ("snnlib tf32", "tf32", 25.0)]
    # earlier files projected 60,000 training images; every row is the official 50,000 now
    assert [r["projected_hours"] for r in rows[:2]] == pytest.approx([50 / 60, 4 * 50 / 60])
    assert rows[4]["projected_hours"] == 0.5 and rows[4]["ms_per_step"] == 0.9 and rows[0]["ms_per_step"] is None
    assert rows[0]["commit"] == "6570202a" and rows[2]["device"] == "cpu"
    assert [r["log_chunk"] for r in rows] == [10_000, 10_000, 128, 128, 128]  # old files: before the 128-chunk log


def _tiny_mnist(folder, monkeypatch, n_train=40, n_test=10):
    """MNIST-format gzip IDX files of tiny size in ``folder``, their digests accepted via SNNLIB_SHA256_*."""
    import gzip
    import struct

    import numpy as np

    from snnlib import data

    def idx(arr):
        return gzip.compress(bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}i", *arr.shape)
                             + arr.astype(np.uint8).tobytes())

    rng = np.random.default_rng(0)
    labels = {"train": np.arange(n_train) % 10, "test": np.arange(n_test) % 10}
    for part, n in (("train", n_train), ("test", n_test)):
        images = rng.integers(0, 60, (n, 28, 28)) + 20 * labels[part][:, None, None]
        for kind, arr in (("images", images), ("labels", labels[part])):
            key = f"mnist_{part}_{kind}"
            path = folder / data.REMOTES[key].fname
            path.write_bytes(idx(arr))
            monkeypatch.setenv(f"SNNLIB_SHA256_{key.upper()}", data.sha256_of(path))


def test_figure1_cli_runs_the_mnist_protocol_on_local_files(tmp_path, monkeypatch):
    _tiny_mnist(tmp_path, monkeypatch)
    argv = ["figure1", "--dataset", "mnist", "--depths", "2", "--epochs", "1", "--width", "16", "--batch-size",
            "8", "--data-dir", str(tmp_path), "--out", str(tmp_path / "out"), "--no-progress", "--device", "cpu"]
    assert cli.main(argv) == 0
    doc = json.loads((tmp_path / "out" / "figure1_mnist.json").read_text())
    # biutils' split: 5/6 of the 40 training images (33) train, the other 7 validate; the official protocol's lr
    assert doc["protocol"]["n_train"] == 33 and doc["protocol"]["lr"] == 1e-5
    assert doc["config"]["checkpoint_every"] == 50  # paper-scale runs checkpoint by default
    assert [r["label"] for r in doc["records"]] == ["BatchNorm Depth 2", "SNN Depth 2"]
    from snnlib import data

    assert doc["protocol"]["data_files"] == {  # the bytes it ran on, here digests given by SNNLIB_SHA256_*
        data.REMOTES[k].fname: data.sha256_of(tmp_path / data.REMOTES[k].fname)
        for k in ("mnist_train_images", "mnist_train_labels", "mnist_test_images", "mnist_test_labels")}


@pytest.mark.parametrize("damage, says", [
    (lambda p: p.write_bytes(p.read_bytes()[:30]), "cannot be read as an IDX file"),
    ("labels", "labels of shape (39,) for 40 images"), ("label 200", "MNIST labels are 0..9")])
def test_figure1_cli_names_a_verified_but_malformed_file_in_one_line(tmp_path, monkeypatch, capsys, damage, says):
    import gzip
    import struct

    from snnlib import data

    _tiny_mnist(tmp_path, monkeypatch)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    if damage == "labels":
        labels = np.arange(39) % 10
    elif damage == "label 200":
        labels = np.full(40, 200)
    if callable(damage):
        damage(path)
    else:
        path.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">i", len(labels))
                                       + labels.astype(np.uint8).tobytes()))
    monkeypatch.setenv("SNNLIB_SHA256_MNIST_TRAIN_LABELS", data.sha256_of(path) + "  ")  # pasted with spaces
    argv = ["figure1", "--dataset", "mnist", "--data-dir", str(tmp_path), "--out", str(tmp_path / "out"),
            "--no-progress", "--device", "cpu"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert "train-labels-idx1-ubyte.gz" in err and says in err and "\n" not in err


def test_figure1_cli_refuses_a_corrupt_download_in_one_line(tmp_path, monkeypatch, capsys):
    _tiny_mnist(tmp_path, monkeypatch)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"not the file")
    argv = ["figure1", "--dataset", "mnist", "--data-dir", str(tmp_path), "--out", str(tmp_path / "out"),
            "--no-progress", "--device", "cpu"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert "SHA-256 mismatch" in err and "\n" not in err and not (tmp_path / "out" / "figure1_mnist.json").exists()


def test_an_unwritable_output_folder_fails_before_training(capsys, monkeypatch):
    trained = []
    monkeypatch.setattr(figure1, "run_figure1", lambda *a, **kw: trained.append(1))
    with pytest.raises(SystemExit) as exc:
        cli.main(["figure1", "--dataset", "digits", "--out", "/proc/no/such/folder"])
    assert exc.value.code == 2 and "cannot be written" in capsys.readouterr().err and not trained


@pytest.mark.parametrize("flag", ["--depths", "--seeds"])
def test_duplicate_depths_or_seeds_are_refused(flag, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        cli.main(["figure1", "--dataset", "digits", flag, "2", "2", "--out", str(tmp_path)])
    assert exc.value.code == 2 and "distinct" in capsys.readouterr().err


def test_protocol_budget_counts_the_figure1_protocol():
    from snnlib.models import build_model, count_params

    b = figure1.protocol_budget()
    assert b["steps"] == 2000 * 390  # 50000 // 128 full batches per epoch (biutils: 50,000 training images)
    assert b["ms_per_step"] == pytest.approx(900e3 / 780_000)
    assert b["chain"] == 33 + 32  # depth 32: 33 forward products, then 32 input gradients (not the first layer's)
    params = sum(count_params(build_model(f, 784, 10, d, 784)) for d in (8, 16, 32) for f in ("SNN", "BatchNorm"))
    assert b["gflop_per_step"] == pytest.approx(6 * params * 128 / 1e9, rel=1e-12)
    assert b["tflops"] == pytest.approx(b["gflop_per_step"] * 780_000 / 900 / 1e3)
    assert figure1.protocol_budget(1800)["tflops"] == pytest.approx(b["tflops"] / 2)


@pytest.mark.parametrize("kwargs", [{"budget_s": 0}, {"depths": ()}, {"batch_size": 0}, {"n_train": 10},
                                    {"depths": (8, True)}])
def test_protocol_budget_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs)) if "n_train" not in kwargs else "batch_size"):
        figure1.protocol_budget(**kwargs)


def test_run_figure1_follows_the_official_protocol():
    """Full mini-batches, the loss logged in training mode in batch-size chunks, Glorot-uniform output layers, float32
    products, and the official defaults (figure1/README.md: lr 1e-5, 2000 epochs; run.py: batch 128)."""
    doc = figure1.run_figure1("digits", depths=(1,), epochs=1, progress=False, device="cpu")
    assert doc["config"]["drop_last"] is True and doc["config"]["precision"] == "fp32"
    assert doc["config"]["eval_batch_size"] == doc["config"]["batch_size"]
    assert {r["member"]["output_init"] for r in doc["records"]} == {"glorot_uniform"}
    assert doc["protocol"]["n_val"] == 216 and len(doc["records"][0]["val_loss"]) == 2  # validation logged too
    for name in ("mnist", "mnist10k", "cifar10"):
        assert {k: figure1.FIGURE1_DEFAULTS[name][k] for k in ("lr", "batch_size", "width", "epochs")} == {
            "lr": 1e-5, "batch_size": 128, "width": None, "epochs": 2000}


def test_the_protocol_table_names_what_exists_and_renders_every_point():
    """Every snnlib name the side-by-side table of chapter 9 cites exists, and every point is a row."""
    import importlib
    import re

    import snnlib

    for point in figure1.FIGURE1_PROTOCOL:
        assert set(point) == {"point", "verdict", "official", "snnlib"} and point["official"][:8].count(":") <= 1
        for ref in re.findall(r"`([A-Za-z_][\w.]*)(?:\(|`)", point["snnlib"]):
            if "." not in ref:  # a name of this module, or a parameter (data_seed) named in the text
                assert hasattr(figure1, ref) or ref.islower(), ref
                continue
            module, *attrs = ref.split(".")
            obj = importlib.import_module(f"snnlib.{module}")
            for attr in attrs:
                obj = getattr(obj, attr)
    assert snnlib.__name__ == "snnlib"
    table = figure1.protocol_table()
    assert table.count("\n") == len(figure1.FIGURE1_PROTOCOL) + 1
    assert "| gradient | same |" in table and "| data set of the GPU run | a subset |" in table


@pytest.mark.parametrize("argv, says", [
    (["--data-seed", "-1"], "argument --data-seed: must be an integer in [0, 4294967295], got '-1'"),
    (["--device", "meta"], "argument --device: must be auto, cpu, cuda, cuda:N or mps, got 'meta'"),
    (["--lr", "1e308"], "argument --lr: must be a number in (0, 10000], got '1e308'"),
    (["--lr", "0"], "argument --lr: must be a number in (0, 10000], got '0'"),
    (["--lr", "inf"], "argument --lr: must be a number in (0, 10000], got 'inf'"),
    (["--epochs", "0"], "argument --epochs: must be an integer in [1, 1000000], got '0'"),
    (["--batch-size", "1"], "argument --batch-size: must be an integer in [2, 1000000], got '1'"),
    (["--threads", "0"], "argument --threads: must be an integer in [1, 4096], got '0'"),
    (["--checkpoint-every", "-1"], "argument --checkpoint-every: must be an integer in [0, 1000000], got '-1'"),
    (["--out", ""], "argument --out: must name a file or folder, got ''"),
    (["--out", "x", "--bogus"], "unrecognized arguments: --bogus")])
def test_figure1_usage_errors_are_one_line_naming_the_argument_and_its_range(argv, says, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["figure1", *(argv if "--out" in argv else [*argv, "--out", "x"])])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err == f"python -m snnlib figure1: error: {says}\n"


@pytest.mark.parametrize("every, signal_name, code, says", [
    (1, "SIGINT", 130, "interrupted; rerun the same command to resume from epoch 2 (checkpoint "),
    (5, "SIGINT", 130, "interrupted; interrupted before this run's first checkpoint (every 5 epochs)"),
    (1, "SIGTERM", 143, "terminated (SIGTERM); rerun the same command to resume from epoch 2"),
    (0, "SIGTERM", 143, "terminated (SIGTERM); no checkpoints were kept")])
def test_figure1_interrupted_says_whether_it_can_resume(tmp_path, monkeypatch, capsys, every, signal_name, code,
                                                        says):
    import os
    import signal

    from snnlib import train

    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "sweep-0123456789abcdef.pt").write_bytes(b"")  # another sweep's checkpoint
    real = train.epoch_permutation

    def interrupt_in_epoch_3(n, seed, epoch, device="cpu"):
        if epoch == 2:
            if signal_name == "SIGTERM":
                os.kill(os.getpid(), signal.SIGTERM)
            raise KeyboardInterrupt
        return real(n, seed, epoch, device)

    monkeypatch.setattr(train, "epoch_permutation", interrupt_in_epoch_3)
    status = cli.main(["figure1", "--depths", "2", "--epochs", "4", "--checkpoint-every", str(every),
                               "--out", str(tmp_path), "--no-progress", "--device", "cpu", "--threads", "1"])
    err = capsys.readouterr().err
    assert status == code and says in err.splitlines()[-1], err
    assert not (tmp_path / "figure1_digits.json").exists()
    partial = json.loads((tmp_path / "figure1_digits.partial.json").read_text())  # the curves so far are kept
    assert partial["complete"] is False and [len(r["loss"]) for r in partial["records"]] == [3, 3]
    assert "the curves of the 2 epochs trained are in" in err.splitlines()[-1]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is removed again
    if every == 1:  # and the rerun does resume from that checkpoint
        monkeypatch.setattr(train, "epoch_permutation", real)
        assert cli.main(["figure1", "--depths", "2", "--epochs", "4", "--checkpoint-every", "1",
                                 "--out", str(tmp_path), "--no-progress", "--device", "cpu"]) == 0
        assert "resuming from epoch 2 of checkpoint" in capsys.readouterr().err
        doc = json.loads((tmp_path / "figure1_digits.json").read_text())
        assert [(s["first_epoch"], s["last_epoch"]) for s in doc["records"][0]["segments"]] == [(0, 2), (2, 4)]
        assert not (tmp_path / "figure1_digits.partial.json").exists()  # complete now: the partial one is gone


@pytest.mark.parametrize("error", [
    RuntimeError("[enforce fail at alloc_cpu.cpp:121] DefaultCPUAllocator: can't allocate memory: "
                 "you tried to allocate 40000000000000 bytes.\nmore lines"),
    MemoryError("Unable to allocate 7.5 GiB for an array with shape (60000, 3072)")])
def test_figure1_out_of_memory_is_one_line(tmp_path, monkeypatch, capsys, error):
    def oom(*args, **kwargs):
        raise error

    monkeypatch.setattr(figure1, "run_figure1", oom)
    code = cli.main(["figure1", "--out", str(tmp_path), "--no-progress", "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 1 and "not enough memory" in err and len(err.strip().splitlines()) == 1


def test_resumed_figure1_records_the_whole_training_time(tmp_path):
    argv = ["figure1", "--depths", "2", "--epochs", "4", "--checkpoint-every", "2", "--out", str(tmp_path),
            "--no-progress", "--device", "cpu"]
    assert cli.main(argv) == 0
    first = json.loads((tmp_path / "figure1_digits.json").read_text())
    assert cli.main(argv) == 0  # everything already in the checkpoint: nothing left to train
    again = json.loads((tmp_path / "figure1_digits.json").read_text())
    assert again["records"][0]["loss"] == first["records"][0]["loss"]
    assert again["wall_time_s"] >= first["records"][0]["wall_time_s"] > 0


def test_unavailable_devices_are_value_errors():
    from snnlib.train import pick_device

    if not torch.backends.mps.is_available():
        with pytest.raises(ValueError, match="MPS is not available"):
            pick_device("mps")
    with pytest.raises(ValueError, match="CUDA"):
        pick_device(f"cuda:{torch.cuda.device_count() + 3}")


def _doc(records):
    return {"records": [{"label": lab, "member": {"seed": 0}, "loss": loss, "diverged_epoch": div}
                        for lab, loss, div in records]}


def test_summary_marks_diverged_networks_and_counts_only_epochs_before():
    doc = _doc([("SNN Depth 2", [2.0, 1.0, 1.5, None, None], 3),
                ("BatchNorm Depth 2", [2.0, 1.0, 3.0, 0.5], None),
                ("SNN Depth 4", [2.0, float("nan"), float("nan")], None)])  # an old file without the epoch
    s = figure1.summarize_figure1(doc)
    snn, bn, old = s["SNN Depth 2 seed 0"], s["BatchNorm Depth 2 seed 0"], s["SNN Depth 4 seed 0"]
    assert math.isnan(snn["final_loss"]) and snn["diverged_epoch"] == 3 and snn["rises"] == 1
    assert snn["max_jump"] == 1.5
    assert bn == {"final_loss": 0.5, "rises": 1, "max_jump": 3.0, "diverged_epoch": None}
    assert old["diverged_epoch"] == 1 and old["rises"] == 0 and math.isnan(old["max_jump"])
    assert figure1.diverged_report(doc) == ("1 of 3 networks diverged (training loss NaN/inf; each stopped "
                                                "there, the others trained on): SNN Depth 2 seed 0 (epoch 3)")
    report = figure1.diverged_report(_doc([("SNN Depth 2", [2.0, None], 1), ("BatchNorm Depth 2", [2.0, 1.0],
                                                                                 None)]))
    assert report.startswith("1 of 2 networks diverged") and "SNN Depth 2 seed 0 (epoch 1)" in report
    assert figure1.diverged_report(_doc([("BatchNorm Depth 2", [2.0, 1.0], None)])) is None


def test_figure1_cli_reports_diverged_networks(tmp_path, capsys):
    argv = ["figure1", "--depths", "2", "--epochs", "3", "--lr", "1e4", "--out", str(tmp_path), "--no-progress",
            "--device", "cpu"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "2 of 2 networks diverged" in out and "SNN Depth 2 seed 0 (epoch 1)" in out
    doc = json.loads((tmp_path / "figure1_digits.json").read_text())
    assert all(math.isnan(v["final_loss"]) for v in figure1.summarize_figure1(doc).values())


@pytest.mark.parametrize("kwargs, match", [
    ({"depths": 4}, "depths .* must be a list of integers"), ({"depths": "24"}, "depths"),
    ({"depths": [np.int64(2), 3.0]}, r"depths .* got 3\.0"), ({"seeds": 0}, "seeds"),
    ({"seeds": [2**64]}, r"seeds .* <= 9223372036854775807"), ({"data_seed": -1}, "data_seed"),
    ({"data_seed": 2**32}, r"data_seed .* <= 4294967295"), ({"batch_size": 1}, "batch_size must be >= 2"),
    ({"checkpoint_every": 2}, "needs checkpoint_dir")])
def test_run_figure1_rejects_bad_arguments_by_name(kwargs, match):
    with pytest.raises(ValueError, match=match):
        figure1.run_figure1("digits", **{"depths": (2,), "epochs": 1, "progress": False, **kwargs})


def test_run_figure1_accepts_numpy_integers():
    doc = figure1.run_figure1("digits", depths=np.array([2]), seeds=[np.int64(1)], epochs=1, progress=False,
                                  device="cpu")
    assert doc["protocol"]["depths"] == [2] and doc["protocol"]["seeds"] == [1]


@pytest.mark.parametrize("content, says", [(b"", "EOFError"), (b"garbage", "cannot be used"),
                                           (None, "keys missing"), ("truncate", "cannot be used")])
def test_figure1_unreadable_checkpoint_is_one_line_naming_the_file(tmp_path, capsys, content, says):
    argv = ["figure1", "--depths", "2", "--epochs", "2", "--checkpoint-every", "1", "--out", str(tmp_path),
            "--no-progress", "--device", "cpu"]
    assert cli.main(argv) == 0
    (ckpt,) = (tmp_path / "checkpoints").glob("sweep-*.pt")
    if content is None:
        torch.save({"epoch": 1}, ckpt)
    elif content == "truncate":
        ckpt.write_bytes(ckpt.read_bytes()[:1000])
    else:
        ckpt.write_bytes(content)
    capsys.readouterr()
    assert cli.main(argv[:4] + ["3"] + argv[5:]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"checkpoint {ckpt} cannot be used" in err[0] and says in err[0]
    assert "Delete it to start that sweep over" in err[0] and "weights_only" not in err[0]


def test_figure1_result_is_rescued_when_out_becomes_unwritable(tmp_path, monkeypatch, capsys):
    from snnlib import files

    real = files.write_json_atomic

    def failing(path, obj):
        if "figure1_digits.json" == Path(path).name:
            raise OSError(28, "No space left on device")
        return real(path, obj)

    monkeypatch.setattr(files, "write_json_atomic", failing)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    argv = ["figure1", "--depths", "2", "--epochs", "1", "--out", str(tmp_path / "out"), "--no-progress",
            "--device", "cpu"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "the result was saved to" in err
    (rescued,) = (tmp_path / "tmp").glob("figure1_digits-*.json")
    assert json.loads(rescued.read_text())["kind"] == "figure1"


def test_figure1_says_when_it_replaces_an_earlier_result(tmp_path, capsys):
    argv = ["figure1", "--depths", "2", "--epochs", "1", "--out", str(tmp_path), "--no-progress", "--device", "cpu"]
    assert cli.main(argv) == 0
    assert "replaced" not in capsys.readouterr().out
    assert cli.main(argv) == 0
    assert f"replaced the earlier {tmp_path / 'figure1_digits.json'}" in capsys.readouterr().out


def test_plot_figure1_draws_each_network_and_marks_divergence():
    import matplotlib

    matplotlib.use("Agg")
    recs = [("SNN Depth 2", [2.0, 1.0, None], 2), ("BatchNorm Depth 2", [2.0, 1.5, 1.2], None)]
    doc = _doc(recs)
    for rec, (lab, _, _) in zip(doc["records"], recs):
        rec["member"].update(family=lab.split()[0], depth=2)
    doc.update(protocol={"seeds": [0], "dataset": "digits", "lr": 0.02, "width": 64}, config={"batch_size": 64})
    ax = figure1.plot_figure1(doc)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["SNN Depth 2", "SNN Depth 2 diverged", "BatchNorm Depth 2"]
    marker = ax.get_lines()[1]
    assert marker.get_marker() == "x" and list(marker.get_xdata()) == [1] and list(marker.get_ydata()) == [1.0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"


def test_figure1_interrupted_in_the_final_log_or_before_training_says_how_to_resume(tmp_path, monkeypatch, capsys):
    from snnlib import data, train

    argv = ["figure1", "--depths", "2", "--epochs", "2", "--checkpoint-every", "1", "--out", str(tmp_path),
            "--no-progress", "--device", "cpu"]
    real_log, calls = train._log_sums, []

    def interrupt_final_log(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:  # epochs 0 and 1 logged (training and validation), then the final log
            raise KeyboardInterrupt
        return real_log(*args, **kwargs)

    monkeypatch.setattr(train, "_log_sums", interrupt_final_log)
    assert cli.main(argv) == 130
    assert "resume from epoch 2" in capsys.readouterr().err
    monkeypatch.undo()

    def interrupt_loading(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(data, "load", interrupt_loading)
    assert cli.main(argv) == 130
    assert "interrupted before training began; a rerun resumes from this sweep's checkpoint" in capsys.readouterr().err


def test_run_figure1_accepts_numpy_batch_size_and_data_seed():
    doc = figure1.run_figure1("digits", depths=(2,), epochs=np.int64(1), batch_size=np.int64(64),
                                  data_seed=np.int64(3), progress=False, device="cpu")
    assert doc["config"]["batch_size"] == 64 and doc["config"]["data_seed"] == 3 and doc["config"]["epochs"] == 1
    json.dumps(doc["config"])  # plain ints: the result file can be written


def test_plot_stack_layout_draws_one_bar_per_network_in_palindrome_order():
    import matplotlib

    matplotlib.use("Agg")
    ax = figure1.plot_stack_layout((8, 16, 32))
    widths = [patch.get_width() for patch in ax.patches]
    assert widths == [8, 16, 32, 32, 16, 8]  # SNN by ascending depth, then BatchNorm by descending depth
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "SNN depth 8"
    assert len(ax.get_lines()) == 2  # the block narrows twice: after layer positions 8 and 16


def test_plot_benchmark_rows_draws_one_bar_per_row_with_its_label(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    rows = [{"device": "NVIDIA H200", "method": "snnlib tf32", "precision": "tf32", "commit": "abc",
             "projected_hours": 0.5},
            {"device": "cpu", "method": "PyTorch tutorial loop", "precision": "fp32", "commit": "def",
             "projected_hours": 90.0}]
    ax = figure1.plot_benchmark_rows(rows)
    assert [p.get_width() for p in ax.patches] == [0.5, 90.0] and ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.texts] == ["snnlib tf32\nH200 · abc", "PyTorch tutorial loop fp32\ncpu · def"]
    assert ax.get_yticklabels() == [] and ax.figure._snnlib_keep_height  # labels above the bars, phone-proof
