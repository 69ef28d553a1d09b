"""The hyperparameter grids of the paper's appendix §A4, in one place (chapter "A tabular benchmark").

The paper lists one grid table per FNN family and benchmark: Tables A4-A10 for the 121 UCI tasks (§A4.1),
A14-A20 for Tox21 (§A4.3) and A21-A27 for HTRU2 (§A4.4); A4, A14 and A21 are the SNN grids. This build's
sources are the facts sheet ``paper_facts.md`` (notes on arXiv v5), the official repository bioinf-jku/SNNs
(commit ``bef6071``, which holds no grid) and snnlib. They give the values of Tables A4, A14 and A21 only, plus
two statements of the text about the other families' UCI grids (:data:`STATEMENTS`). Every other table is
recorded here as :data:`NOT_AVAILABLE`: the table exists in the paper, its values are not in these sources and
are never filled in by guess. For Tables A7-A10 the issue that asked for this module (issue 17) states a size
and the family; those are kept in :attr:`PaperGrid.size` / :attr:`PaperGrid.method` with that source named.

:mod:`snnlib.tabular` reads its paper grids from here (``--paper-grid``); :func:`grid_provenance` says, per
family, whether the grid a sweep used is the paper's table or snnlib's reading of the text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

#: Status of a table whose values are not in this build's sources (the table is in the paper).
NOT_AVAILABLE = "not available in this build's sources"
#: Status of a table stored with the paper's values.
STORED = "stored"
#: Dataset families of §A4.
DATASET_FAMILIES: tuple[str, ...] = ("UCI", "Tox21", "HTRU2")
_FACTS = "paper_facts.md §5.2-5.4 (notes on arXiv v5)"
_ISSUE = "size and family as stated in issue 17 (not in paper_facts.md or bioinf-jku/SNNs)"


@dataclass(frozen=True)
class PaperGrid:
    """One grid table of §A4. ``grid`` maps snnlib's grid keys (``width`` = hidden units, ``depth`` = layers,
    or blocks for ResNet, ``lr``, ``dropout``, ``shape``, ``l2``) to the values in the order the paper prints
    them; None when :data:`NOT_AVAILABLE`. ``size`` is the number of settings: the product of the value counts
    for a stored table, else the size stated by ``size_source`` or None. ``method`` is None where the sources do
    not say which family the table belongs to."""

    table: str
    method: str | None
    dataset_family: str
    status: str
    source: str
    grid: dict[str, tuple] | None = None
    size: int | None = None
    size_source: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "method": self.method, "dataset_family": self.dataset_family,
                "status": self.status, "grid": None if self.grid is None else {k: list(v) for k, v in
                                                                               self.grid.items()},
                "size": self.size, "size_source": self.size_source, "source": self.source, "note": self.note}


@dataclass(frozen=True)
class FamilyStatement:
    """What the text says of some families' grids without the table (§A4.1-A4.2, UCI): partial values."""

    methods: tuple[str, ...]
    dataset_family: str
    values: dict[str, tuple]
    text: str
    source: str = _FACTS + " §5.2"
    tables: tuple[str, ...] = field(default_factory=tuple)


def grid_size(grid: dict[str, tuple]) -> int:
    """Number of settings of a grid: the product of the numbers of distinct values."""
    return math.prod(len(dict.fromkeys(v)) for v in grid.values())


def _stored(table: str, family: str, grid: dict[str, tuple], where: str) -> PaperGrid:
    return PaperGrid(table, "SNN", family, STORED, f"{_FACTS} {where}", grid, grid_size(grid), "product of the "
                     "value counts")


def _missing(table: str, family: str, method: str | None = None, size: int | None = None, note: str = "") -> PaperGrid:
    return PaperGrid(table, method, family, NOT_AVAILABLE, "the paper's §A4; values not in this build's sources",
                     None, size, _ISSUE if size is not None else "", note)


_A5_A6 = ("MSRAinit or BatchNorm (the UCI families without another table among A4 and A7-A10); which of the two "
          "is not stated in this build's sources")
_OTHER = "one of the six non-SNN families; which one is not stated in this build's sources"

#: Every grid table of §A4, by table id. Tables A4, A14 and A21 hold the paper's values exactly.
TABLES: dict[str, PaperGrid] = {t.table: t for t in (
    _stored("A4", "UCI", {"width": (1024, 512, 256), "depth": (2, 3, 4, 8, 16, 32), "lr": (0.01, 0.1, 1.0),
                          "dropout": (0.05, 0.0), "shape": ("rectangular", "conic")}, "§5.2 (Table A4)"),
    _missing("A5", "UCI", note=_A5_A6),
    _missing("A6", "UCI", note=_A5_A6),
    _missing("A7", "UCI", "WeightNorm", 108, "issue 17: no dropout"),
    _missing("A8", "UCI", "LayerNorm", 108, "issue 17: no dropout"),
    _missing("A9", "UCI", "Highway", 36, "issue 17: no width"),
    _missing("A10", "UCI", "ResNet", 180, "issue 17: rectangular or diavolo"),
    _stored("A14", "Tox21", {"width": (1024, 2048), "depth": (2, 3, 4, 6, 8, 16, 32), "lr": (0.01, 0.05, 0.1),
                             "dropout": (0.05, 0.10), "shape": ("rectangular", "conic"),
                             "l2": (0.001, 0.0001, 0.00001)}, "§5.3 (Table A14)"),
    *(_missing(f"A{i}", "Tox21", note=_OTHER) for i in range(15, 21)),
    _stored("A21", "HTRU2", {"width": (256, 512, 1024), "depth": (2, 4, 8, 16, 32), "lr": (0.1, 0.01, 1.0),
                             "dropout": (0.0, 0.05), "shape": ("rectangular", "conic")}, "§5.4 (Table A21)"),
    *(_missing(f"A{i}", "HTRU2", note=_OTHER) for i in range(22, 28)),
)}

#: The text's statements about other families' UCI grids (paper §A4.1-A4.2 as quoted in paper_facts.md §5.2):
#: "MSRAinit and Highway use dropout {0.5, 0}. ResNet uses blocks {2, 3, 4, 8, 16} and bottleneck {25%, 50%}."
STATEMENTS: tuple[FamilyStatement, ...] = (
    FamilyStatement(("MSRAinit", "Highway"), "UCI", {"dropout": (0.5, 0.0)}, "MSRAinit and Highway use dropout "
                    "{0.5, 0}"),
    FamilyStatement(("ResNet",), "UCI", {"depth": (2, 3, 4, 8, 16), "bottleneck": (0.25, 0.5)},
                    "ResNet uses blocks {2, 3, 4, 8, 16} and bottleneck {25%, 50%}", tables=("A10",)),
)

#: The SNN table of each dataset family.
SNN_TABLES: dict[str, str] = {"UCI": "A4", "Tox21": "A14", "HTRU2": "A21"}


def table(table_id: str) -> PaperGrid:
    """The entry of Table ``table_id`` (e.g. ``"A4"``); ValueError naming the stored ids otherwise."""
    if table_id not in TABLES:
        raise ValueError(f"table_id must be one of {sorted(TABLES, key=lambda t: int(t[1:]))}, got {table_id!r}")
    return TABLES[table_id]


def snn_grid(dataset_family: str) -> dict[str, tuple]:
    """The paper's SNN grid for ``"UCI"`` (Table A4), ``"Tox21"`` (A14) or ``"HTRU2"`` (A21)."""
    if dataset_family not in SNN_TABLES:
        raise ValueError(f"dataset_family must be one of {DATASET_FAMILIES}, got {dataset_family!r}")
    return dict(TABLES[SNN_TABLES[dataset_family]].grid or {})


def family_values(method: str, dataset_family: str = "UCI") -> dict[str, tuple]:
    """The grid values the text states for ``method`` (merged :data:`STATEMENTS`; empty if none)."""
    out: dict[str, tuple] = {}
    for s in STATEMENTS:
        if method in s.methods and s.dataset_family == dataset_family:
            out.update(s.values)
    return out


def method_table(method: str, dataset_family: str) -> PaperGrid | None:
    """The table of ``method`` in ``dataset_family`` where the sources identify it (None otherwise)."""
    found = [t for t in TABLES.values() if t.method == method and t.dataset_family == dataset_family]
    return found[0] if found else None


def grid_provenance(method: str, dataset_family: str, used: dict[str, tuple], n_settings: int,
                    reading: dict[str, tuple] | None = None) -> dict[str, Any]:
    """Where the grid a sweep used for ``method`` comes from.

    ``grid_source`` is ``"paper Table A4"`` (etc.) when ``used`` is exactly a stored table; ``"snnlib's
    reading"`` when it equals ``reading`` (snnlib's paper-grid stand-in for a table that is not available
    here: the SNN grid with the text's :data:`STATEMENTS`); otherwise ``"chosen for this run"`` (e.g. the small
    default grid). ``used`` is the grid (key -> values) the sweep tried, ``n_settings`` its number of settings.
    The record also holds ``method``, ``dataset_family``, ``paper_table`` (id or None where the sources do not
    identify the table), ``paper_table_status``, ``is_paper_table``, ``paper_size`` (the table's size, or the
    size stated in issue 17, or None), ``statements`` (text statements whose values the grid uses) and
    ``note`` (one line, for a warning)."""
    entry = method_table(method, dataset_family)

    def same(a: dict[str, tuple], b: dict[str, tuple]) -> bool:
        return {k: set(v) for k, v in a.items()} == {k: set(v) for k, v in b.items()}

    exact = entry is not None and entry.grid is not None and same(entry.grid, used)
    stmts = [f"{s.text} ({s.dataset_family})" for s in STATEMENTS if method in s.methods
             and all(set(used.get(k, ())) == set(v) for k, v in s.values.items())]
    what = (f"Table {entry.table} ({entry.status})" if entry is not None else
            f"the paper's {dataset_family} table for {method} (in the paper; not identified in this build's "
            f"sources)")
    if exact:
        source, note = f"paper Table {entry.table}", f"{method}: paper Table {entry.table}"
    elif reading is not None and same(reading, used):
        source = "snnlib's reading"
        note = f"{method}: snnlib's reading of the text ({n_settings} settings), not the paper's {what}"
    else:
        source = "chosen for this run"
        note = f"{method}: a grid chosen for this run ({n_settings} settings), not the paper's {what}"
    return {"method": method, "dataset_family": dataset_family, "paper_table": entry.table if entry else None,
            "paper_table_status": entry.status if entry else NOT_AVAILABLE, "grid_source": source,
            "is_paper_table": exact, "n_settings": int(n_settings), "paper_size": entry.size if entry else None,
            "statements": stmts, "note": note}
