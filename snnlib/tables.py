"""Markdown tables: how the book and the command lines present rows of results.

The chapters show tables as Markdown (``display(Markdown(markdown_table(rows)))``), never as a monospace printout
(CONTRIBUTING.md); ``python -m snnlib tabular`` prints Table 1's comparison with the same function.
Used by chapters "Definition 1 and SELU", "Initialization and alpha dropout", "SELU in real frameworks" and
"A tabular benchmark".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def markdown_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None, digits: int = 3) -> str:
    """Format a list of dicts as a markdown table; floats with ``digits`` decimals, p-values as 1.2e-03.

    Columns whose name starts with ``p_value`` are p-values; ``None`` prints as an em dash, and a row's
    ``significant`` flag as ``*`` after its ``p_value`` (the paper's notation in Table 1).
    """
    if not rows:
        raise ValueError("rows must hold at least one row")
    cols = list(columns) if columns is not None else [c for c in rows[0] if c != "significant"]

    def cell(row: dict[str, Any], col: str) -> str:
        value = row.get(col)
        if value is None:
            return "—"
        if col.startswith("p_value"):
            return f"{value:.1e}" + ("*" if col == "p_value" and row.get("significant") else "")
        if isinstance(value, float):
            return "NA" if math.isnan(value) else f"{value:.{digits}f}"
        return str(value)

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(r, c) for c in cols) + " |" for r in rows]
    return "\n".join(lines)
