"""Re-execute chapter notebooks in place so they are stored with the outputs of the current code.

Usage:  python tools/refresh_notebooks.py [NOTEBOOK ...]     (default: every chapters/*.ipynb)

Each notebook runs top to bottom in a fresh kernel with its own folder as working directory; metadata that
depends on the machine is cleaned; the seconds each notebook took are printed (the execution report). A notebook
whose execution fails is left unchanged on disk, the others are still refreshed, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def refresh(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    nb.metadata["kernelspec"] = KERNELSPEC
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                   record_timing=False).execute()
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to refresh (default: chapters/*.ipynb)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    args = parser.parse_args(argv)
    if args.timeout < 1:
        parser.error(f"--timeout must be >= 1, got {args.timeout}")
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    bad = [str(p) for p in paths if p.suffix != ".ipynb" or not p.is_file()]
    if bad:
        parser.error(f"notebooks must be existing .ipynb files, got {', '.join(bad)}")
    total, failed = 0.0, []
    for path in paths:
        try:
            seconds = refresh(path, args.timeout)
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
            failed.append(str(path))
            print(f"  FAILED  {path}: {type(exc).__name__} (left unchanged)\n{str(exc)[-2000:]}", flush=True)
            continue
        total += seconds
        print(f"{seconds:7.1f} s  {path}", flush=True)
    print(f"{total:7.1f} s  total")
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
