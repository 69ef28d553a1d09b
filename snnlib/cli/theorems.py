"""``python -m snnlib theorems``: certify Theorems 1-3, print a table, run the grid argument of Lemma 12
(:mod:`snnlib.theorems`; chapter "The theorems").

Exit status 0 iff every certificate holds and, with --paper-grid, the grid argument closes (the default coarse grid
is only reported: at its spacing the bound does not close); 1 otherwise; 130 if interrupted (Ctrl-C), 143 if
terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict

from snnlib.cli import UsageError, integer, number, output_path, write_result

HELP = "certify Theorems 1-3 and run the grid argument of Lemma 12"
OUT_OF_MEMORY = "a larger --coarsen or a smaller --chunk?"
#: :data:`snnlib.interval.RIGOUR_LEVELS`, named here so that parsing imports no numpy (a test checks they agree).
RIGOUR_LEVELS = ("arb", "assumed")
#: The grid spacing factors allowed: 1 is the paper's grid (3.4e9 points); the points grow as coarsen**-4, so 0.5
#: (5.4e10 points) is minutes on a GPU and hours on 2 CPU cores; above 1000 every axis has its two end points only.
COARSEN_RANGE = (0.5, 1000.0)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--paper-grid", action="store_true",
                   help="run the grid argument of Lemma 12 on the paper's grid (≈3.4e9 points; about a minute on 2 "
                        "CPU cores, seconds on a GPU)")
    p.add_argument("--coarsen", type=number(*COARSEN_RANGE), default=None,
                   help="grid spacing factor in [0.5, 1000] (default 8, or 1 with --paper-grid; the points grow as "
                        "coarsen**-4)")
    p.add_argument("--device", choices=("numpy", "cpu", "cuda"), default="numpy",
                   help="grid evaluation: numpy (default), torch cpu or torch cuda (float64)")
    p.add_argument("--chunk", type=integer(1, 1 << 31), default=None, help="grid points per batch")
    p.add_argument("--max-boxes", type=integer(1, 10**9), default=2_000_000, help="box budget per certificate")
    p.add_argument("--quantity", choices=("S", "S_xi"), default="S",
                   help="what the grid evaluates: S of the Jacobian of g (default), or S_xi of the Jacobian of "
                        "(mu~, xi~), the quantity of the paper's own grid (then Lemma 10's bounds are certified "
                        "for S_xi in the same run)")
    p.add_argument("--rigour", choices=RIGOUR_LEVELS, default="arb",
                   help="certificates re-verified with Arb ball arithmetic (arb, default), or resting on assumed "
                        "error bounds of scipy's special functions (assumed)")
    p.add_argument("--no-certificates", action="store_true", help="only run the grid argument")
    p.add_argument("--json", metavar="OUT", type=output_path, default=None,
                   help="write the results with provenance to OUT")


def run(args: argparse.Namespace) -> int:
    if args.json:
        from snnlib.files import check_writable

        try:
            check_writable(args.json, "--json")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise UsageError("--device cuda requested but no CUDA device is available")
    from snnlib import theorems as th

    ok, out = True, {}
    if not args.no_certificates:
        start = time.perf_counter()
        rigour = args.rigour
        certs = th.certify_all(max_boxes=args.max_boxes, rigour=rigour) \
            + th.certify_derivative_bounds(max_boxes=args.max_boxes, rigour=rigour) \
            + th.certify_derivative_bounds(th.TIGHT_DERIVATIVE_BOUNDS, max_boxes=args.max_boxes,
                                           name="Lemma 10 tighter", rigour=rigour)
        print(th.format_table(certs))
        ok = all(c.certified for c in certs)
        levels = sorted({c.rigour for c in certs})
        print(f"certificates: {sum(c.certified for c in certs)}/{len(certs)} certified ({', '.join(levels)}) in "
              f"{time.perf_counter() - start:.1f} s")
        out["certificates"] = [asdict(c) for c in certs]
    coarsen = args.coarsen if args.coarsen is not None else (1.0 if args.paper_grid else 8.0)
    grid = th.paper_grid_check(coarsen=coarsen, device=args.device, chunk=args.chunk, quantity=args.quantity)
    print(f"grid argument (Lemma 12), spacing x{grid.coarsen:g}, {grid.points} points on {grid.device} in "
          f"{grid.seconds:.1f} s ({grid.evaluations_per_second:.3g} S/s): max {grid.quantity} {grid.grid_max:.10f} "
          f"at {tuple(round(v, 6) for v in grid.argmax)}; paper: {grid.paper_grid_max} + {grid.paper_slack:.6f}")
    for label, slack, bound, closes in (("Lemma 10", grid.slack, grid.bound, grid.closes),
                                        ("tighter certified", grid.slack_tight, grid.bound_tight, grid.closes_tight)):
        print(f"  + slack with {label} derivative bounds {slack:.6f} = {bound:.6f} "
              f"{'< 1: closes' if closes else '>= 1: does not close'}")
    out["paper_grid"] = asdict(grid)
    if args.paper_grid:
        tight_ok, lemma10_ok = False, True
        if grid.quantity == "S_xi":  # Lemma 10 is stated for S of g; the slack of an S_xi grid needs it for S_xi
            lemma10 = th.certify_derivative_bounds(max_boxes=args.max_boxes, quantity="S_xi",
                                                   name="Lemma 10 for S_xi")
            lemma10_ok = all(c.certified for c in lemma10)
            print(f"  Lemma 10's bounds for S_xi certified in this run: {lemma10_ok}")
        if grid.closes_tight and not grid.closes:  # that bound rests on the tighter derivative bounds: prove them
            tight = th.certify_derivative_bounds(th.TIGHT_DERIVATIVE_BOUNDS, max_boxes=args.max_boxes,
                                                 name="Lemma 10 tighter", quantity=grid.quantity)
            tight_ok = all(c.certified for c in tight)
            print(f"  tighter derivative bounds certified in this run: {tight_ok}")
        ok = ok and ((grid.closes and lemma10_ok) or tight_ok)
    if args.json:
        from snnlib.reproducibility import provenance

        out["provenance"] = provenance("cuda" if args.device == "cuda" else "cpu")
        out["command"] = args.command_line
        if not write_result(args.json, out, args.prog)[1]:
            return 1
    return 0 if ok else 1
