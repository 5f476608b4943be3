"""The coverage corpus: how often does ``pscert certify`` decide the minima that training finds?

Run from the repository root::

    python bench/corpus/make_corpus.py [--problems 80] [--restarts 4] [--jobs 2] [--work DIR] [--no-write]

1. **Problems** (deterministic: problem ``i`` uses ``numpy.random.default_rng(i)``): problems 0–59 have one
   and two hidden layers of widths 1–4, problems from 60 on three hidden layers of widths 2–4 (so the
   first 60 stay comparable across runs); inputs of dimension 1–2, 3–20 samples, λ ∈ {1/100, 1/20, 1/10, 1/4}, mean
   loss, biases on for two problems in three. Inputs and targets are one-decimal numbers in [−1, 1]
   (``k/10``), so exact arithmetic stays small; targets come from a random "teacher" ReLU network of
   the same architecture plus noise, rounded to one decimal.
2. **Training** (:func:`numeric.training.train`, ``--restarts`` random starts, seed ``i``) and one
   problem file per distinct minimum (:func:`numeric.training.write_minima`, points as the exact
   binary values of the floats), in ``<work>/minima/``.
3. **Certification** of every minimum with :func:`proofs.batch.certify_batch` (``--jobs`` processes),
   summary in ``<work>/summary.csv``.
4. **Tables**: decision rate by architecture family, time, the UNKNOWN reasons grouped by their
   first words, and "minimality decided" (issue 13: of the non-isolated minima, how many have
   ``answers.local_minimum`` decided, from the summary's answers, never from claim names), with the
   undecided ones listed; printed, and written to ``bench/corpus/results.md`` with the commit hash.

The work directory (default ``bench/corpus/work``) is git-ignored; only ``results.md`` is committed.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(HERE))

from provenance import commit  # noqa: E402
from proofs.batch import certify_batch, write_summary  # noqa: E402
from symbolic.problem import parse_problem  # noqa: E402

LAMBDAS = ("1/100", "1/20", "1/10", "1/4")
FIRST_DEEP = 60
"""Problems from this index on have three hidden layers (the first 60 keep their earlier definition)."""


def make_problem(i: int) -> dict:
    """Problem ``i`` of the corpus as a decoded problem file (no point)."""
    rng = np.random.default_rng(i)
    depth = 3 if i >= FIRST_DEEP else 1 if i % 5 < 3 else 2  # three in five of the first 60: one hidden layer
    d_in = int(rng.integers(1, 3))
    hidden = [int(rng.integers(2 if depth == 3 else 1, 5)) for _ in range(depth)]
    widths = [d_in, *hidden, 1]
    n = int(rng.integers(3, 21))
    lam = LAMBDAS[int(rng.integers(len(LAMBDAS)))]
    biases = i % 3 != 2
    X = rng.integers(-10, 11, size=(n, d_in)) / 10
    y = _teacher(rng, widths, biases, X) + rng.normal(0, 0.1, size=n)
    y = np.clip(np.round(y, 1), -1, 1)
    arch = "-".join(map(str, widths))
    return {
        "format": "pscert.problem/1",
        "name": f"corpus {i:03d}: {arch}{'' if biases else ' no biases'}, N = {n}, λ = {lam}",
        "network": {"widths": widths, "biases": biases},
        "loss": {"reduction": "mean", "weight_decay": lam},
        "data": {"inputs": [[_dec(v) for v in row] for row in X], "targets": [[_dec(v)] for v in y]},
    }


def _teacher(rng: np.random.Generator, widths: list[int], biases: bool, X: np.ndarray) -> np.ndarray:
    a = X
    for k in range(1, len(widths)):
        W = rng.normal(0, 1, size=(widths[k], widths[k - 1]))
        b = rng.normal(0, 0.3, size=widths[k]) if biases else np.zeros(widths[k])
        a = a @ W.T + b
        if k < len(widths) - 1:
            a = np.maximum(a, 0)
    return a[:, 0]


def _dec(v: float) -> str:
    """One-decimal text of ``v`` (exact in the problem file: ``"0.3"`` is ``3/10``)."""
    text = f"{round(float(v), 1):.1f}"
    return "0.0" if text == "-0.0" else text


def family(problem: dict) -> str:
    depth = len(problem["network"]["widths"]) - 2
    return f"{depth} hidden layer" + ("s" if depth > 1 else "")


def train_one(args: tuple[int, str, int]) -> tuple[int, list[str], float, int]:
    """Train problem ``i``; its minima's files, the time, and failed starts (runs in a worker)."""
    from numeric.training import train, write_minima

    i, work, restarts = args
    obj = make_problem(i)
    path = os.path.join(work, "problems", f"p{i:03d}.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=1)
    start = time.perf_counter()
    problem = parse_problem(obj)
    result = train(problem, restarts, seed=i)
    paths = write_minima(problem, result, os.path.join(work, "minima"), f"p{i:03d}")
    return i, paths, time.perf_counter() - start, result.failed


def _one_blas_thread() -> None:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1, user_api="blas")


def reason_group(reason: str, words: int = 8) -> str:
    """The first words of a reason with numbers blanked, so that similar reasons group together.

    A trained point's UNKNOWN lists every candidate structure's attempt (``no candidate structure was
    decided ([1] structure: why; [2] …)``); it is grouped by the first attempt's *why*, which is what the
    most plausible structure ran into.
    """
    first = re.match(r"no candidate structure was decided \(\[1\] (.*?)(?:; \[2\] .*)?\)?$", reason, re.S)
    if first:
        head, _, why = first.group(1).partition(": ")
        reason = "first structure: " + (why or head)
    text = re.sub(r"\(.*?\)", "", reason)
    text = re.sub(r"-?\d[\d.e+-/]*", "#", text)
    return " ".join(text.replace(":", "").replace(";", "").split()[:words]) + " …"


def tables(rows, origin: dict[str, int], train_time: float, cert_time: float, n_problems: int, restarts: int,
           jobs: int) -> list[str]:
    """The markdown report: decision rates by family and by λ, times, UNKNOWN reasons.

    ``origin`` maps each minimum's file to the index of the problem it was trained from.
    """
    specs = {i: make_problem(i) for i in range(n_problems)}
    out = [f"Commit {commit()}; {n_problems} problems, {restarts} restarts each, --jobs {jobs}; "
           f"training {train_time:.0f} s, certification {cert_time:.0f} s (wall).", ""]
    for title, key in (("family", family), ("λ", lambda p: "λ = " + p["loss"]["weight_decay"])):
        groups: dict[str, list] = defaultdict(list)
        for r in rows:
            groups[key(specs[origin[r.file]])].append(r)
        count = Counter(key(p) for p in specs.values())
        out += [f"| {title} | problems | minima | CERTIFIED | REFUTED | UNKNOWN | ERROR | decided | median s | max s |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for name in sorted(groups) + ["all"]:
            rs = list(rows) if name == "all" else groups[name]
            out.append(_rate_row(name, n_problems if name == "all" else count[name], rs))
        out.append("")
    unknown = Counter(reason_group(r.reason) for r in rows if r.status in ("UNKNOWN", "ERROR"))
    if unknown:
        out += ["UNKNOWN and ERROR reasons (first words; numbers as #, parentheses dropped):", "",
                "| count | reason |", "| ---: | --- |"]
        out += [f"| {n} | {why} |" for why, n in unknown.most_common()]
        out.append("")
    out += minimality(rows, lambda r: family(specs[origin[r.file]]))
    claims = Counter(f"{r.status} {r.claim}" for r in rows if r.claim)
    out.append("Decisions by claim: " + (", ".join(f"{k}: {n}" for k, n in sorted(claims.items())) or "none"))
    return out


def minimality(rows, group) -> list[str]:
    """The "minimality decided" table: per group (``group(row)``), the minima, the isolated ones
    (``answers.isolated`` true), the non-isolated ones (false) and, of those, how many have
    ``answers.local_minimum`` decided (true or false) or not; then the undecided non-isolated minima with
    the first words of their reasons. Read from the answers alone, so that no claim name is parsed.

    Examples
    --------
    >>> from proofs.answers import Answers
    >>> from proofs.batch import Row
    >>> rows = [Row("m/p001-min1.json", "REFUTED", "x", None, None, 0.1, "unit 1 is dead", None, Answers(None, False, None)),
    ...         Row("m/p001-min2.json", "REFUTED", "y", None, None, 0.1, "saddle", None, Answers(False, False, False)),
    ...         Row("m/p002-min1.json", "CERTIFIED", "z", None, None, 0.1, "ok", None, Answers(True, True, None))]
    >>> print("\\n".join(minimality(rows, lambda r: "one")))
    Minimality decided (issue 13): of the non-isolated minima, those whose `answers.local_minimum` is decided.
    <BLANKLINE>
    | family | minima | isolated | non-isolated | decided | of them minima | of them not | undecided |
    | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
    | one | 3 | 1 | 2 | 1 (50 %) | 0 | 1 | 1 |
    | all | 3 | 1 | 2 | 1 (50 %) | 0 | 1 | 1 |
    <BLANKLINE>
    Undecided non-isolated minima (the local verdict's reason: its first words, and what it says keeps minimality open, if anything):
    <BLANKLINE>
    | minimum | status | reason | open because |
    | --- | --- | --- | --- |
    | p001-min1 | REFUTED | unit 1 is dead | - |
    <BLANKLINE>
    """
    groups: dict[str, list] = defaultdict(list)
    for r in rows:
        groups[group(r)].append(r)
    out = ["Minimality decided (issue 13): of the non-isolated minima, those whose `answers.local_minimum` is "
           "decided.", "",
           "| family | minima | isolated | non-isolated | decided | of them minima | of them not | undecided |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name in sorted(groups) + ["all"]:
        rs = list(rows) if name == "all" else groups[name]
        flat = [r for r in rs if r.answers.isolated is False]
        yes = sum(r.answers.local_minimum is True for r in flat)
        no = sum(r.answers.local_minimum is False for r in flat)
        share = f" ({100 * (yes + no) / len(flat):.0f} %)" if flat else ""
        out.append(f"| {name} | {len(rs)} | {sum(r.answers.isolated is True for r in rs)} | {len(flat)} | "
                   f"{yes + no}{share} | {yes} | {no} | {len(flat) - yes - no} |")
    out.append("")
    open_ = [r for r in rows if r.answers.isolated is False and r.answers.local_minimum is None]
    if open_:
        out += ["Undecided non-isolated minima (the local verdict's reason: its first words, and what it says "
                "keeps minimality open, if anything):", "",
                "| minimum | status | reason | open because |", "| --- | --- | --- | --- |"]
        out += [f"| {os.path.basename(r.file)[:-5]} | {r.status} | {first_words(r.reason)} | {why_open(r.reason)} |"
                for r in open_]
        out.append("")
    return out


def first_words(reason: str, words: int = 12) -> str:
    """The reason's first clause (to its first colon or semicolon), at most ``words`` words, for a table cell.

    >>> first_words("unit 2 of hidden layer 1 is dead beside live unit 0: the centre is the end")
    'unit 2 of hidden layer 1 is dead beside live unit 0'
    """
    head = re.split(r"[:;]", reason, maxsplit=1)[0].replace("|", "/").split()
    return " ".join(head[:words]) + (" …" if len(head) > words else "")


def why_open(reason: str) -> str:
    """What the verdict says keeps minimality open: the parenthesis after "stays open", or ``-``.

    >>> why_open("not isolated; whether it is a local minimum stays open (a kink (z = 0) moves); more")
    'a kink (z = 0) moves'
    """
    at = reason.find("stays open (")
    if at < 0:
        return "-"
    start = at + len("stays open (")
    depth = 1
    for i in range(start, len(reason)):
        depth += {"(": 1, ")": -1}.get(reason[i], 0)
        if depth == 0:
            return reason[start:i].replace("|", "/")
    return reason[start:].replace("|", "/")


def _rate_row(name: str, problems: int, rs: list) -> str:
    c = Counter(r.status for r in rs)
    m = len(rs)

    def pct(k: str) -> str:
        return f"{c[k]} ({100 * c[k] / m:.0f} %)" if m else "0"

    secs = sorted(r.seconds for r in rs) or [0.0]
    decided = f"{100 * (c['CERTIFIED'] + c['REFUTED']) / m:.0f} %" if m else "-"
    return (f"| {name} | {problems} | {m} | {pct('CERTIFIED')} | {pct('REFUTED')} | {pct('UNKNOWN')} | "
            f"{pct('ERROR')} | {decided} | {secs[len(secs) // 2]:.2f} | {secs[-1]:.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", type=int, default=80)
    ap.add_argument("--restarts", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--no-write", action="store_true", help="Print the tables only; leave results.md alone.")
    args = ap.parse_args()

    for sub in ("problems", "minima"):
        os.makedirs(os.path.join(args.work, sub), exist_ok=True)
        for name in os.listdir(os.path.join(args.work, sub)):  # stale minima of an earlier run
            os.unlink(os.path.join(args.work, sub, name))
    t0 = time.perf_counter()
    jobs = [(i, args.work, args.restarts) for i in range(args.problems)]
    with cf.ProcessPoolExecutor(max_workers=args.jobs, initializer=_one_blas_thread) as pool:
        trained = sorted(pool.map(train_one, jobs))
    train_time = time.perf_counter() - t0
    files = [p for _, paths, _, _ in trained for p in paths]
    failed = sum(f for *_, f in trained)
    print(f"trained {args.problems} problems in {train_time:.1f} s: {len(files)} distinct minima "
          f"({failed} diverged starts)", file=sys.stderr)

    t1 = time.perf_counter()
    def tick(d: int, total: int, row) -> None:
        if d % 10 == 0 or d == total:
            print(f"  certified {d}/{total}", file=sys.stderr)

    rows = certify_batch(files, jobs=args.jobs, progress=tick)
    cert_time = time.perf_counter() - t1
    write_summary(rows, os.path.join(args.work, "summary.csv"))
    origin = {p: i for i, paths, _, _ in trained for p in paths}
    lines = tables(rows, origin, train_time, cert_time, args.problems, args.restarts, args.jobs)
    print("\n".join(lines))
    if not args.no_write:
        head = ["# Coverage corpus: results", "",
                "Generated by `python bench/corpus/make_corpus.py` (see `README.md` here); do not edit by hand.",
                f"Per-minimum rows: `{os.path.relpath(os.path.join(args.work, 'summary.csv'), ROOT)}` (not committed).", ""]
        with open(os.path.join(HERE, "results.md"), "w", encoding="utf-8") as fh:
            fh.write("\n".join(head + lines) + "\n")


if __name__ == "__main__":
    main()
