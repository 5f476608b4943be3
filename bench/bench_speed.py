"""Benchmark: ``certify`` and ``check`` at P ≈ 100, 300, 1000 against an uncertified float Hessian (issue 15).

For each case it prints the rows below. The cases are interior strict minima built from the point
(``bench_certify.make_case`` with one hidden layer, ``deep_case.make_deep_case`` with two; λ = 1/10000):
3-9-6 and 3-30-6 at N = 200 (P = 96, 306), 5-20-8 at N = 50 (P = 288), 3-11-12-10 at N = 200 (two
hidden layers, P = 318) and 10-48-10 at N = 200 (P = 1018). Each needs ``N·m`` well above ``P − h``
(``m`` outputs, ``h`` hidden units) for the constructed critical point to be a minimum rather than a
saddle (``deep_case`` derives why): at P ≈ 1000 with three inputs and six outputs (3-101-6) the
Jacobian has null directions beyond the rescalings and every seed gave a saddle, and 3-30-6 at N = 50
is nearly square (smallest singular values ~10⁻³), so those rows use more inputs or outputs. The
targets of the new rows have 8 decimal places, so the float Newton step from the point (about
3·10⁻⁵, mostly the 4-decimal point's imbalance) is far inside its region's margin (≥ 0.05).

- certify: ``proofs.generator.certify`` (refinement, exact Hessian, positive-definiteness evidence
  and the checker run it always makes), CPU and wall seconds;
- check: ``proofs.checker.check_file`` on the certificate written as ``pscert certify`` writes it
  (reading, parsing and every check; no interpreter start-up), CPU and wall seconds;
- float: numpy float64 gradient + full Hessian + ``eigvalsh`` at the certificate's centre, one BLAS
  thread (threadpoolctl), best of 5, CPU seconds, in the same run (the Hessian in closed form:
  ``bench_certify.FloatModel`` with one hidden layer, ``FloatObjective.piece_hessian`` with two; until
  the fourth round the two-layer row used batched complex steps, ``deep_case.float_hessian``, about 5×
  slower, which flattered that row's ratios);
- ratio: (certify + check) / float, and check / float, in CPU time;
- peak MB: the largest resident set of the process doing the work above what it held when it began
  (certify / check; each runs in its own forked child so that one peak does not hide another);
- certificate: its size as written today (``indent=1``) and compact (``symbolic.files.dumps_certificate``).

Then the start-up of ``python -m proofs.checker``: the wall time of ``import proofs.checker`` in a fresh
interpreter beyond a bare one (best of 5), and whether any heavy module (numpy, flint, sympy,
networkx, click) was loaded.

Run from the repository root on an otherwise idle machine (the machine is shared: the CPU columns are
the ones to compare; wall times vary with the load)::

    python bench/bench_speed.py              # every case
    python bench/bench_speed.py --max-p 400  # skip the P ≈ 1000 case
    python bench/bench_speed.py --only 10-48-10   # one case
    python bench/bench_speed.py --startup    # only the start-up line
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from multiprocessing import get_context

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

from bench_certify import MULTI, find_case, float_model  # noqa: E402  (also limits BLAS to one thread)
from deep_case import find_deep_case  # noqa: E402
from symbolic.float_loss import FloatObjective  # noqa: E402

CASES = [  # (widths, N, decimal places of the targets)
    ([3, 9, 6], 200, 4), ([3, 30, 6], 200, 4), ([5, 20, 8], 50, 8), ([3, 11, 12, 10], 200, 8),
    ([10, 48, 10], 200, 8),
]
HEAVY = ("numpy", "flint", "sympy", "networkx", "click", "scipy")


def _status(field: str) -> int:
    """A ``VmRSS``/``VmHWM`` line of ``/proc/self/status``, in kB (0 where there is no /proc)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak() -> int:
    """Reset the peak RSS (Linux ≥ 4.0) and return the current RSS in kB."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    return _status("VmRSS")


def _timed(fn):
    start_rss = _reset_peak()
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return out, cpu, wall, max(0, _status("VmHWM") - start_rss) / 1024


def _certify_child(problem, path, conn) -> None:
    from proofs.generator import certify
    from symbolic.files import dumps_certificate

    verdict, cpu, wall, mb = _timed(lambda: certify(problem))
    size = compact = 0
    if verdict.certificate is not None:
        text = json.dumps(verdict.certificate, indent=1) + "\n"
        with open(path, "w") as fh:
            fh.write(text)
        size, compact = len(text.encode()), len(dumps_certificate(verdict.certificate).encode())
    conn.send((verdict.status, verdict.reason, cpu, wall, mb, size, compact))


def _check_child(path, conn) -> None:
    from proofs.checker import check_file

    line, cpu, wall, mb = _timed(lambda: check_file(path))
    conn.send((line, cpu, wall, mb))


def _in_child(target, *args):
    ctx = get_context("fork")
    here, there = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=target, args=(*args, there))
    proc.start()
    out = here.recv()
    proc.join()
    return out


def float_time(problem, theta) -> float:
    """Best CPU time of gradient + Hessian + eigvalsh in numpy, one BLAS thread: the closed-form Hessian
    (``bench_certify.FloatModel`` with one hidden layer, ``FloatObjective.piece_hessian`` with more)."""
    x = np.array([float(t) for t in theta])
    if len(problem.widths) == 3:
        model = float_model(problem)
        gradient, hessian = model.gradient, model.hessian
    else:
        objective = FloatObjective(problem)
        masks = objective.preactivations(x)[3]
        gradient = lambda v: objective.evaluate(v, masks)[1]  # noqa: E731
        hessian = lambda v: objective.piece_hessian(v, masks)  # noqa: E731
    best = float("inf")
    for _ in range(5):
        t0 = time.process_time()
        gradient(x)
        np.linalg.eigvalsh(hessian(x))
        best = min(best, time.process_time() - t0)
    return best


def run_case(widths: list[int], n: int, digits: int) -> dict:
    if len(widths) == 3:
        problem, seed = find_case(widths, n, MULTI, digits)
    else:
        problem, seed = find_deep_case(widths, n, MULTI, digits)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cert.json")
        status, reason, c_cpu, c_wall, c_mb, size, compact = _in_child(_certify_child, problem, path)
        row = {"widths": "-".join(map(str, widths)), "P": problem.parameter_count, "N": n, "seed": seed,
               "status": status, "reason": reason, "certify": c_cpu, "certify_wall": c_wall, "certify_mb": c_mb,
               "size": size, "compact": compact, "check": None, "check_wall": None, "check_mb": None}
        theta = problem.flatten(problem.point)
        if size:
            from symbolic.problem import parse_params

            with open(path) as fh:
                cert = json.load(fh)
            theta = problem.flatten(parse_params(cert["center"], problem, "center"))
            line, row["check"], row["check_wall"], row["check_mb"] = _in_child(_check_child, path)
            row["line"] = line
    row["float"] = float_time(problem, theta)
    return row


def startup() -> tuple[float, list[str]]:
    """Extra wall seconds of ``import proofs.checker`` over a bare interpreter, and heavy modules loaded."""
    def best(code: str) -> float:
        t = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)
            t = min(t, time.perf_counter() - t0)
        return t

    probe = f"import sys, proofs.checker; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    heavy = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True)
    return best("import proofs.checker") - best("pass"), [m for m in heavy.stdout.strip().split(",") if m]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-p", type=int, default=2000, help="skip cases with more parameters")
    ap.add_argument("--startup", action="store_true", help="only measure the checker's start-up")
    ap.add_argument("--only", nargs="*", metavar="W-H-M", help="only these widths (e.g. 10-48-10)")
    args = ap.parse_args()
    if not args.startup:
        head = (f"{'widths':<12} {'P':>5} {'N':>4} {'status':<10} {'certify':>8} {'check':>8} {'float':>8} "
                f"{'(c+c)/f':>8} {'check/f':>8} {'wall c+c':>9} {'peak MB':>11} {'cert KB':>8} {'compact':>8}")
        print(head)
        print("-" * len(head))
        for widths, n, digits in CASES:
            P = sum(w * (v + 1) for v, w in zip(widths, widths[1:]))
            if P > args.max_p or (args.only and "-".join(map(str, widths)) not in args.only):
                continue
            r = run_case(widths, n, digits)
            check = r["check"] or 0.0
            total = r["certify"] + check
            wall = r["certify_wall"] + (r["check_wall"] or 0.0)
            mb = f"{r['certify_mb']:.0f} / {r['check_mb'] or 0:.0f}"
            print(f"{r['widths']:<12} {r['P']:>5} {r['N']:>4} {r['status']:<10} {r['certify']:>8.2f} {check:>8.2f} "
                  f"{r['float']:>8.4f} {total / r['float']:>7.0f}× {check / r['float']:>7.0f}× {wall:>9.2f} "
                  f"{mb:>11} {r['size'] / 1024:>8.0f} {r['compact'] / 1024:>8.0f}", flush=True)
            if r["status"] != "CERTIFIED":
                print(f"  note: {r['status']}: {r['reason']}")
        print("\nCPU seconds (time.process_time; one BLAS thread); float = numpy gradient + Hessian + eigvalsh;"
              "\npeak MB = resident set above the start of certify / check; cert KB as written with indent=1, and compact.")
    extra, heavy = startup()
    print(f"\nstart-up: import proofs.checker takes {extra:.3f} s beyond a bare interpreter (wall, best of 5); "
          f"heavy modules loaded: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
