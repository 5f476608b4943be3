"""Benchmark: exact loss + gradient + Hessian of a piece (symbolic.derivatives.piece_derivatives).

Prints one row per architecture and sample count: the number of parameters P, samples N and the best
of ``--repeat`` wall-clock times. Goal: P ≈ 100, N = 100 under 1 s on one core.

Run from the repository root::

    python bench/bench_derivatives.py            # the full table
    python bench/bench_derivatives.py --quick    # P ≤ 110 and N ≤ 100 only
    python bench/bench_derivatives.py --profile  # cProfile of the goal case (P = 101, N = 100)
    python bench/bench_derivatives.py --bits 53  # the point dyadic, m/2^53, as refine.py leaves it

Inputs and targets are seeded random decimals ``k/100`` in ``[−1, 1]`` (as problem files write them); the
point is ``k/100`` too, or with ``--bits B`` a dyadic ``m/2^B`` (a refined point). Seeded, so every run
times the same arithmetic. The pattern is the point's own.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import time
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from symbolic.derivatives import piece_derivatives  # noqa: E402
from symbolic.network import forward  # noqa: E402
from symbolic.problem import parse_problem  # noqa: E402

ARCHITECTURES = {
    "one hidden layer": [[3, 2, 1], [3, 10, 1], [3, 20, 1], [3, 60, 1]],
    "two hidden layers": [[3, 1, 2, 1], [3, 4, 6, 1], [3, 8, 7, 1], [3, 14, 15, 1]],
}
SAMPLES = [10, 50, 100, 200]


def make_case(widths: list[int], n: int, bits: int | None = None, seed: int = 0):
    """A problem with biases, weight decay 1/100, ``n`` samples of ``k/100`` and a point (``m/2^bits``)."""
    rng = random.Random(seed)
    den = 100 if bits is None else 2 ** bits
    r = lambda: f"{rng.randint(-100, 100)}/100"  # noqa: E731
    obj = {"format": "pscert.problem/1", "network": {"widths": widths, "biases": True},
           "loss": {"weight_decay": "1/100"},
           "data": {"inputs": [[r() for _ in range(widths[0])] for _ in range(n)],
                    "targets": [[r() for _ in range(widths[-1])] for _ in range(n)]}}
    problem = parse_problem(obj)
    theta = [Fraction(rng.randint(-den, den), den) for _ in range(problem.parameter_count)]
    problem = problem.with_point(problem.unflatten(theta))
    return problem, theta, forward(problem).pattern


def best_time(problem, theta, pattern, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        piece_derivatives(problem, theta, pattern)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="P ≤ 110 and N ≤ 100 only")
    ap.add_argument("--repeat", type=int, default=3, help="timings per case; the best is shown")
    ap.add_argument("--profile", action="store_true", help="profile the goal case instead")
    ap.add_argument("--bits", type=int, default=None, help="make the point dyadic with this many bits")
    args = ap.parse_args()
    if args.profile:
        problem, theta, pattern = make_case([3, 20, 1], 100, args.bits)
        prof = cProfile.Profile()
        prof.runcall(piece_derivatives, problem, theta, pattern)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(15)
        return
    print(f"{'architecture':<18} {'widths':<14} {'P':>4} {'N':>4} {'time (s)':>9}")
    for label, archs in ARCHITECTURES.items():
        for widths in archs:
            for n in SAMPLES:
                problem, theta, pattern = make_case(widths, n, args.bits)
                P = problem.parameter_count
                if args.quick and (P > 110 or n > 100):
                    continue
                t = best_time(problem, theta, pattern, args.repeat)
                goal = "  <- goal case" if 90 <= P <= 110 and n == 100 else ""
                print(f"{label:<18} {'-'.join(map(str, widths)):<14} {P:>4} {n:>4} {t:>9.3f}{goal}", flush=True)


if __name__ == "__main__":
    main()
