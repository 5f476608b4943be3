"""Cross-check the corpus's ``global_minimum`` verdicts against a numerical solve of the convex reformulation.

For every one-hidden-layer, one-output minimum of ``bench/corpus`` with 1-D or 2-D inputs, the infimum ``C*``
of the loss over *every* width is the optimum of a convex program over the chambers of the data
arrangement (Pilanci and Ergen 2020). The derivation for pscert's objective, ``L = α Σ_j (f(x_j) − y_j)² +
λ‖θ_decayed‖²``, and the exact list of chambers are in :mod:`numeric.convex`. In brief: each unit lies in a
closed chamber ``K_S``, where it computes ``D_S X̃ v``; a balanced unit costs ``λ(‖v‖² + a²) = 2λ|a|‖v‖``
(AM–GM, equality when ``|a| = ‖v‖``); units of one chamber add up inside the cone without raising the norm
sum; and every feasible cone point is a network of at most twice the number of chambers of the same cost.
So ``C* = min α‖Σ_S D_S X̃(u_S − w_S) + b·1 − y‖² + 2λ Σ_S (‖u_S‖ + ‖w_S‖) + λ_b b²``, ``u_S, w_S ∈ K_S``.

For each minimum the script compares (tolerance ``--tol``, absolute):

- ``L``: pscert's exact loss at the global certificate's centre (at the problem's point when there is
  no global certificate);
- ``C*``: Clarabel's optimum (through cvxpy, gap and feasibility tolerances 1e-10), and the float loss of
  the network built from its solution;
- the verdict: ``true`` (CERTIFIED ``global_minimum``) must have ``C* ≥ L − tol``; ``false`` with a
  REFUTED ``not_global_minimum`` certificate must have ``C* < L − tol`` and the certificate's wider
  network's exact loss ``≥ C* − tol``; every row must have ``C* ≤ L + tol`` (``C*`` is below every network's
  loss). A ``false`` from the local verdict (the point is no local minimum) and an open verdict are only
  observed: ``C* < L − tol`` reads "a wider network does better", otherwise "global" (a float observation).

    pip install '.[bench]'                      # cvxpy
    python bench/corpus/make_corpus.py --jobs 1 --no-write    # if bench/corpus/work is missing
    python bench/global_convex.py [--jobs 1] [--tol 1e-6]

The global certificates are written once, by ``certify_batch`` on the selected minima, to
``bench/corpus/work/global_convex/`` (with its ``summary.csv``) and read from there on later runs.
Prints one row per minimum and a summary; exits 1 on a contradiction or a solve that is not optimal.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from numeric.convex import convex_optimum  # noqa: E402
from proofs.checker import check_certificate  # noqa: E402
from proofs.batch import certify_batch, global_certificate_path, write_summary  # noqa: E402
from symbolic.network import loss  # noqa: E402
from symbolic.problem import load_problem, parse_params, parse_problem  # noqa: E402


def selected(work: Path) -> list[str]:
    """The corpus minima with one hidden layer, one output and 1-D or 2-D inputs."""
    out = []
    for row in csv.DictReader(open(work / "summary.csv")):
        widths = json.loads(Path(row["file"]).read_text())["network"]["widths"]
        if len(widths) == 3 and widths[2] == 1 and widths[0] <= 2:
            out.append(row["file"])
    return out


def certificates(files: list[str], folder: Path, jobs: int) -> dict[str, dict[str, str]]:
    """The certify rows of ``files`` by file, certifying (and writing the certificates) on the first run."""
    summary = folder / "summary.csv"
    if not summary.exists():
        folder.mkdir(parents=True, exist_ok=True)
        def tick(done: int, total: int, row: object) -> None:
            if done % 10 == 0 or done == total:
                print(f"  certified {done}/{total}", file=sys.stderr)

        rows = certify_batch(files, out_dir=str(folder), jobs=jobs, progress=tick)
        write_summary(rows, str(summary))
    return {row["file"]: row for row in csv.DictReader(open(summary))}


def exact_losses(cert: dict) -> tuple[Fraction, Fraction | None]:
    """``L`` at the certificate's centre and, for a refutation, the wider network's ``L`` (exact)."""
    problem = parse_problem(cert["problem"])
    at_centre = loss(problem, parse_params(cert["center"], problem))
    if cert["status"] != "REFUTED":
        return at_centre, None
    ev = cert["evidence"]
    widths = (problem.widths[0], ev["width"], problem.widths[2])
    wider = replace(problem, widths=widths, point=None)
    return at_centre, loss(wider, parse_params(ev["point"], wider))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=str(ROOT / "bench" / "corpus" / "work"))
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--tol", type=float, default=1e-6)
    args = ap.parse_args()
    work = Path(args.work)
    if not (work / "summary.csv").exists():
        print(f"no {work / 'summary.csv'}: run python bench/corpus/make_corpus.py --jobs 1 --no-write", file=sys.stderr)
        return 2
    files = selected(work)
    folder = work / "global_convex"
    rows = certificates(files, folder, args.jobs)
    corpus = {row["file"]: row for row in csv.DictReader(open(work / "summary.csv"))}
    tol = args.tol
    print(f"{'minimum':<11} {'d':>1} {'N':>2} {'m':>1} {'verdict':<8} {'by':<27} {'L (exact)':>12} {'C* (convex)':>12} "
          f"{'L - C*':>10} {'wider L':>12} {'chambers':>8} {'status':<8} agree")
    tally: dict[str, int] = {}
    bad, unsolved, open_rows, moved = 0, 0, [], 0
    gaps: dict[str, list[float]] = {"certified": [], "refuted": [], "wider": [], "built": []}
    for f in files:
        row = rows[f]
        answer = row["global_minimum"] or "open"
        moved += answer != (corpus[f]["global_minimum"] or "open")
        problem = load_problem(f)
        gpath = global_certificate_path(os.path.join(folder, Path(f).stem + ".cert.json"))
        cert = json.loads(Path(gpath).read_text()) if os.path.exists(gpath) else None
        if cert is not None:
            check_certificate(cert)  # raises on an invalid certificate: only checked verdicts are compared
            L, wider = exact_losses(cert)
            by = "certified" if cert["status"] == "CERTIFIED" else "refuted (wider net)"
        else:
            L, wider = loss(problem), None
            by = f"local: {row['claim'] or row['status'].lower()}"
        solve = convex_optimum(problem)
        c = solve.value
        gaps["built"].append(solve.network_loss - c)
        ok: bool | None
        if solve.status != "optimal":
            ok, unsolved = False, unsolved + 1
        elif c > float(L) + tol:
            ok = False  # C* is below every network's loss, this one's included
        elif cert is not None and cert["status"] == "CERTIFIED":
            ok = c >= float(L) - tol
        elif cert is not None and cert["status"] == "REFUTED":
            ok = c < float(L) - tol and float(wider) >= c - tol
        else:
            ok = None
        bad += ok is False
        if cert is not None:
            gaps["certified" if wider is None else "refuted"].append(float(L) - c)
            if wider is not None:
                gaps["wider"].append(float(wider) - c)
        key = f"{answer} ({by.split()[0].rstrip(':')})"
        tally[key] = tally.get(key, 0) + 1
        if answer == "open" or cert is None:
            open_rows.append((Path(f).stem, answer, by, float(L) - c))
        stem = Path(f).stem
        print(f"{stem:<11} {problem.widths[0]:>1} {problem.samples:>2} {problem.widths[1]:>1} {answer:<8} {by:<27} "
              f"{float(L):>12.8f} {c:>12.8f} {float(L) - c:>10.2e} "
              f"{'' if wider is None else f'{float(wider):.8f}':>12} {solve.chambers:>8} {solve.status:<8} "
              f"{ {True: 'yes', False: 'NO', None: '-'}[ok]}")
    print(f"\n{len(files)} one-hidden-layer minima (1-D/2-D inputs): "
          + ", ".join(f"{k}: {v}" for k, v in sorted(tally.items())))
    print(f"{bad} contradiction(s) (tolerance {tol:g}; {unsolved} solve(s) not optimal); "
          f"{moved} verdict(s) differ from the corpus summary")
    print(f"the networks built from the convex solutions: loss − C* from {min(gaps['built']):.1e} to "
          f"{max(gaps['built']):.1e}")
    if gaps["certified"]:
        print(f"certified: |L − C*| ≤ {max(map(abs, gaps['certified'])):.1e}")
    if gaps["refuted"]:
        print(f"refuted: L − C* from {min(gaps['refuted']):.1e} to {max(gaps['refuted']):.1e}; "
              f"the wider network's L − C* from {min(gaps['wider']):.1e} to {max(gaps['wider']):.1e}")
    if open_rows:
        print("\nNot decided by a global certificate (the convex solve, a float observation):")
        for stem, answer, by, gap in open_rows:
            says = "a wider network does better" if gap > tol else "global"
            print(f"  {stem}: global_minimum {answer} ({by}); L − C* = {gap:.2e}: {says}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
