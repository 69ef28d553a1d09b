"""Result files and checkpoints on disk (snnlib.files): strict JSON written atomically and readable by others, bad
output paths refused before a run, and the temporaries a killed write leaves removed by the next run of it."""

from __future__ import annotations

import json
import os
import stat

import pytest

from snnlib import files


def test_result_files_are_strict_json_and_readable_by_others(tmp_path):
    path = files.write_json_atomic(tmp_path / "sub" / "r.json", {"x": float("nan"), "y": [1.5]})
    assert json.loads(path.read_text()) == {"x": None, "y": [1.5]}
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_unwritable_output_paths_fail_before_the_run(tmp_path):
    assert files.check_writable(tmp_path / "new" / "deeper" / "r.json") == tmp_path / "new" / "deeper" / "r.json"
    assert list(tmp_path.iterdir()) == []  # the folders made for the check are gone: a failed run leaves none
    (tmp_path / "kept").mkdir()
    files.check_writable(tmp_path / "kept" / "r.json")
    assert (tmp_path / "kept").is_dir()  # an existing folder is never removed
    with pytest.raises(ValueError, match="--out cannot be written: cannot create the folder /proc/no"):
        files.check_writable("/proc/no/such/place.json")
    with pytest.raises(ValueError, match="--json cannot be written: cannot create a file in /proc "):
        files.check_writable("/proc/place.json", "--json")
    with pytest.raises(ValueError, match="folder"):
        files.check_writable(tmp_path)


def test_a_failed_json_write_leaves_the_previous_file_intact(tmp_path):
    path = tmp_path / "r.json"
    files.write_json_atomic(path, {"a": 1})
    with pytest.raises(TypeError):
        files.write_json_atomic(path, {"a": 2, "b": object()})  # fails half-way through the dump
    assert json.loads(path.read_text()) == {"a": 1} and os.listdir(tmp_path) == ["r.json"]


def test_a_check_that_fails_half_way_leaves_no_folders(tmp_path):
    with pytest.raises(ValueError, match="cannot create the folder"):
        files.check_writable(tmp_path / "a" / "b" / ("x" * 300) / "r.json")  # the third name is too long
    assert list(tmp_path.iterdir()) == []


def test_stale_temporaries_of_a_killed_write_are_found_and_nothing_else(tmp_path):
    path = tmp_path / "sweep-0123abcd.pt"
    path.write_bytes(b"checkpoint")
    stale = [tmp_path / "sweep-0123abcd.ptk3_x9q0z.tmp", tmp_path / "sweep-0123abcd.ptabcdefgh.tmp"]
    others = [tmp_path / "sweep-fedcba98.ptk3_x9q0z.tmp",  # another sweep's temporary: not this run's
              tmp_path / "sweep-0123abcd.pt.tmp",  # not mkstemp's pattern
              tmp_path / "sweep-0123abcd.ptk3_x9q0zz.tmp", tmp_path / "notes.tmp", tmp_path / "sweep-0123abcd.pt.bak"]
    for f in stale + others:
        f.write_bytes(b"x" * 100)
    (tmp_path / "sweep-0123abcd.ptdirector.tmp").mkdir()  # a folder of that name is never removed
    assert files.stale_temporaries(path) == sorted(stale)
    assert files.remove_stale_temporaries(path) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [path.name, "sweep-0123abcd.ptdirector.tmp", *(p.name for p in others)])
    assert files.remove_stale_temporaries(tmp_path / "missing" / "r.json") == []  # no folder: nothing to do


def test_atomic_write_leaves_a_temporary_only_when_killed_and_it_matches_the_pattern(tmp_path):
    path = tmp_path / "r.json"
    seen = []

    def spy(fh):
        seen.extend(files.stale_temporaries(path))  # the write in progress is where a kill -9 would leave it
        fh.write(b"{}")

    files.atomic_write(path, spy)
    assert len(seen) == 1 and seen[0].parent == tmp_path and not seen[0].exists()
    assert path.read_bytes() == b"{}" and files.stale_temporaries(path) == []
