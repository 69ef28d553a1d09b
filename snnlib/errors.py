"""Classifying the errors a long run meets: which exceptions mean that memory ran out.

The command line (``python -m snnlib``, :mod:`snnlib.cli`) and the benchmarks turn an
allocation failure into one line that says so, and :func:`snnlib.train.load_checkpoint` does not blame a checkpoint
file for it. See chapter "Training deep networks: Figure 1" for the runs that may exhaust a GPU.
"""

from __future__ import annotations


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says an allocation failed (host or device): the command lines turn it into one line."""
    if isinstance(exc, MemoryError):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "can't allocate" in text
                                              or "cannot allocate" in text)
