"""Certify the practitioner corpus and score the answers against the independent reference.

Run from the repository root (after ``train.py`` and ``reference.py``)::

    python bench/practitioner/run.py [--jobs 2] [--timeout 30] [--only GLOB] [--no-write]

Each problem file is certified in its own process, as the library call behind ``pscert certify``
(:func:`proofs.question.ask` on :func:`symbolic.problem.load_problem`: the snapped local verdict and, for
one hidden layer, the global one, with their ``answers``), killed after ``--timeout``
seconds. The verdict is read as the user's question, "did training reach a local minimum?":

=========================================  ==============  ============
certify says                               local minimum   isolated
=========================================  ==============  ============
CERTIFIED ``isolated_local_minimum``       yes             yes
CERTIFIED ``nonisolated_local_minimum``    yes             no
CERTIFIED ``global_minimum``               yes             –
REFUTED ``not_a_local_minimum``            no              no
REFUTED ``not_isolated``                   –               no
UNKNOWN, a time-out or an error            –               –
=========================================  ==============  ============

(an ``answers`` object in the verdict, where certify gives one, is taken as it stands). An answer is
*correct* when it equals the reference's. An answer that contradicts the reference is one of two things:

- **about another point**: the certificate's claim is about its centre (radius 0) or a ball, and the
  reference's critical point is not in it (e.g. a refutation of the exact float point, whose dust the
  reference snapped away). True, but not the answer the user wanted.
- **a false verdict**: the reference's critical point lies in the claim's ball (distance ≤ radius plus
  the reference's 60-digit precision). Any such row is a soundness bug and is listed first.

Columns of the tables: *reference classified* (the reference decided local minimum or not), *certify
decided* (certify answered local minimum or not, right or wrong), *correct*, *other point*, *undecided*
(certify gave no local-minimum answer on a classified point), *false*, *isolated agrees* (certify's
isolated answer, where it gives one, equals the reference's), *time-outs*, and certify's own time.
Per network, *distance* is from the certificate's centre to the reference's critical point, for
contradictions.

Writes ``results.md`` here (the tables, then one row per network) unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import fnmatch
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))

from provenance import commit  # noqa: E402

CERTIFY = """
import json, sys, time
from symbolic.problem import load_problem
from proofs.question import ask
problem = load_problem(sys.argv[1])
start = time.perf_counter()
out = ask(problem).to_json()
out["seconds"] = time.perf_counter() - start
print(json.dumps(out))
"""

CLAIMS = {("CERTIFIED", "isolated_local_minimum"): (True, True),
          ("CERTIFIED", "nonisolated_local_minimum"): (True, False),
          ("CERTIFIED", "global_minimum"): (True, None),
          ("REFUTED", "not_a_local_minimum"): (False, False),
          ("REFUTED", "not_isolated"): (None, False)}


def certify_one(path: str, timeout: float) -> dict:
    """Certify one file in a fresh process; status, claim, answers, centre and radius, seconds."""
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", CERTIFY, path], cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "TIMEOUT", "claim": None, "reason": f"no verdict in {timeout:.0f} s", "seconds": timeout}
    if proc.returncode != 0 or not proc.stdout.strip():
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": "ERROR", "claim": None, "reason": last, "seconds": time.perf_counter() - start}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    cert = out.get("certificate") or {}
    local, isolated = CLAIMS.get((out.get("status"), out.get("claim")), (None, None))
    if isinstance(out.get("answers"), dict):
        local, isolated = out["answers"].get("local_minimum"), out["answers"].get("isolated")
    return {"status": out.get("status"), "claim": out.get("claim"), "reason": out.get("reason", ""),
            "seconds": out["seconds"], "local_minimum": local, "isolated": isolated,
            "center": _flat_center(cert.get("center")), "radius": cert.get("radius")}


def _flat_center(center) -> list[str] | None:
    """The certificate's centre in the canonical parameter order (rows of W_k, then b_k, per layer)."""
    if not center:
        return None
    flat = []
    for W, b in zip(center["weights"], center["biases"]):
        flat += [v for row in W for v in row] + list(b)
    return flat


def distance_to_reference(center: list[str], point: list[str]) -> float:
    """Euclidean distance between the exact centre and the reference's 60-digit critical point."""
    from mpmath import mp, mpf
    mp.dps = 80
    return float(mp.sqrt(sum((mpf(Fraction(c).numerator) / Fraction(c).denominator - mpf(p)) ** 2
                             for c, p in zip(center, point))))


def judge(row: dict, ref: dict) -> str:
    """correct / other point / FALSE / undecided / unclassified (see the module notes)."""
    if ref.get("local_minimum") is None:
        return "unclassified"
    if row.get("local_minimum") is None:
        if row.get("isolated") is False and ref.get("isolated") is True:
            return _contradiction(row, ref)
        return "undecided"
    if row["local_minimum"] == ref["local_minimum"]:
        if row.get("isolated") is not None and ref.get("isolated") is not None \
                and row["isolated"] != ref["isolated"]:
            return _contradiction(row, ref)
        return "correct"
    return _contradiction(row, ref)


def _contradiction(row: dict, ref: dict) -> str:
    if row.get("center") is None or ref.get("critical_point") is None:
        return "FALSE?"
    d = distance_to_reference(row["center"], ref["critical_point"])
    row["distance_to_reference"] = d
    scale = 1 + sum(float(p) ** 2 for p in ref["critical_point"]) ** 0.5
    return "FALSE" if d <= float(Fraction(row["radius"] or "0")) + 1e-55 * scale else "other point"


def group_of(name: str) -> dict[str, str]:
    arch, opt, dtype, _ = name[:-len(".json")].split("_")
    depth = arch.count("-") - 1
    return {"depth": f"{depth} hidden layer" + ("s" if depth > 1 else ""), "optimizer": opt,
            "dtype": {"f32": "float32", "f64": "float64"}[dtype]}


def tables(rows: dict[str, dict], refs: dict[str, dict], head: str) -> list[str]:
    out = [head, ""]
    false = [n for n, r in rows.items() if r["judged"].startswith("FALSE")]
    out += [f"**False verdicts: {len(false)}**" + (" — SOUNDNESS BUGS:" if false else " (must be 0)."), ""]
    out += [f"- `{n}`: certify {rows[n]['status']} {rows[n]['claim']}, reference {refs[n]['why']}" for n in false]
    if false:
        out.append("")
    cols = ("| {} | networks | reference classified | certify decided | decision rate | correct | "
            "correct / classified | other point | undecided | false | isolated agrees | time-outs | median s | max s |")
    for key in ("depth", "optimizer", "dtype"):
        groups: dict[str, list[str]] = defaultdict(list)
        for n in rows:
            groups[group_of(n)[key]].append(n)
        out += [cols.format(key), "| --- |" + " ---: |" * 13]
        for g in sorted(groups) + ["all"]:
            out.append(_rate_row(g, groups[g] if g != "all" else list(rows), rows, refs))
        out.append("")
    return out


def _rate_row(label: str, names: list[str], rows: dict, refs: dict) -> str:
    n = len(names)
    classified = [m for m in names if refs[m].get("local_minimum") is not None]
    decided = [m for m in names if rows[m].get("local_minimum") is not None]
    judged = [rows[m]["judged"] for m in names]
    correct = judged.count("correct")
    secs = sorted(rows[m]["seconds"] for m in names)
    pct = f"{100 * correct / len(classified):.0f} %" if classified else "–"
    isolated = sum(rows[m].get("isolated") is not None and rows[m].get("isolated") == refs[m].get("isolated")
                   for m in names)
    timeouts = sum(rows[m]["status"] == "TIMEOUT" for m in names)
    return (f"| {label} | {n} | {len(classified)} | {len(decided)} | {100 * len(decided) / n:.0f} % | {correct} | "
            f"{pct} | {judged.count('other point')} | {judged.count('undecided')} | "
            f"{sum(j.startswith('FALSE') for j in judged)} | {isolated} | {timeouts} | {statistics.median(secs):.2f} | "
            f"{secs[-1]:.2f} |")


def import_check(problems: str, refs: dict) -> list[str]:
    """The objective written is k·torch's: ‖∇L‖ at the trained point is k times torch's gradient norm."""
    path = os.path.join(problems, "manifest.json")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    ratios = []
    for name, ref in refs.items():
        run = manifest.get(name[:-len(".json")])
        if run and ref.get("gradient_at_point") and run["torch_grad_norm"] > 1e-5:
            ratios.append(ref["gradient_at_point"] / (run["widths"][-1] * run["torch_grad_norm"]))
    if not ratios:
        return []
    return [f"Objective check (λ = k·w/2): on the {len(ratios)} networks whose torch gradient norm exceeds 1e-5, "
            f"the reference's ‖∇L‖ at the trained point over k·(torch's ‖∇(MSE + w/2·‖θ‖²)‖) lies in "
            f"[{min(ratios):.6f}, {max(ratios):.6f}].", ""]


def detail(rows: dict, refs: dict) -> list[str]:
    out = ["Per network (reference: local minimum / isolated; `–` unclassified):", "",
           "| network | reference | certify | answer | judged | distance | s | certify's reason or the reference's |",
           "| --- | --- | --- | --- | --- | ---: | ---: | --- |"]

    def yn(v):
        return "–" if v is None else ("yes" if v else "no")

    for n, r in rows.items():
        ref = refs[n]
        why = r.get("reason", "") if r["judged"] != "unclassified" else "reference: " + ref["why"]
        out.append(f"| {n[:-5]} | {yn(ref['local_minimum'])} / {yn(ref['isolated'])} | {r['status']} "
                   f"{r['claim'] or ''} | {yn(r.get('local_minimum'))} / {yn(r.get('isolated'))} | {r['judged']} | "
                   f"{_dist(r)} | {r['seconds']:.2f} | {why[:140].replace('|', '/')} |")
    return out


def _dist(row: dict) -> str:
    """Distance from the certificate's centre to the reference's point, shown for contradictions."""
    d = row.get("distance_to_reference")
    return "" if d is None else f"{d:.2g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", default=os.path.join(HERE, "problems"))
    ap.add_argument("--reference", default=os.path.join(HERE, "reference.json"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=30.0, help="Seconds per network.")
    ap.add_argument("--only", default="*")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    try:
        with open(args.reference, encoding="utf-8") as fh:
            refs = json.load(fh)
    except (OSError, ValueError) as err:
        print(f"Error: {args.reference}: cannot read the reference ({err}); run reference.py first", file=sys.stderr)
        sys.exit(2)
    names = sorted(n for n in refs if fnmatch.fnmatch(n, args.only))
    start = time.perf_counter()
    with cf.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {n: pool.submit(certify_one, os.path.join(args.problems, n), args.timeout) for n in names}
        rows = {}
        for n in names:
            rows[n] = futures[n].result()
            rows[n]["judged"] = judge(rows[n], refs[n])
            print(f"{n}: {rows[n]['status']} {rows[n]['claim'] or ''} → {rows[n]['judged']} "
                  f"({rows[n]['seconds']:.2f} s)", file=sys.stderr)
    wall = time.perf_counter() - start
    head = (f"Commit {commit()}; {len(names)} networks, --jobs {args.jobs}, --timeout {args.timeout:.0f} s; "
            f"certification {wall:.0f} s (wall). Times are certify's own (load excluded).")
    lines = tables(rows, refs, head) + import_check(args.problems, refs) + detail(rows, refs)
    print("\n".join(lines))
    if not args.no_write:
        with open(os.path.join(HERE, "results.md"), "w", encoding="utf-8") as fh:
            fh.write("\n".join(["# Practitioner corpus: results", "",
                                "Generated by `python bench/practitioner/run.py` (see `README.md` here); do not "
                                "edit by hand.", ""] + lines) + "\n")


if __name__ == "__main__":
    main()
