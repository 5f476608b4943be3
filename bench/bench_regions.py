"""Benchmark the activation-region graph: regions per second, global and local.

Run: ``python bench/bench_regions.py [--quick]``. Prints two tables (nothing is asserted):

1. **Global enumeration**, one hidden layer, ``n_0 = 2`` with biases, ``N = 20 … 200`` samples with
   two-decimal coordinates in ``[-1, 1]`` (seeded). One unit's arrangement in ``Q^3`` is enumerated
   exactly (every region with an integer witness, every facet); its count is compared with the
   general-position formula ``2·Σ_{k≤2} C(N−1, k)`` (lower when three samples are collinear). Then
   1000 network regions of a 2-unit network are materialised with witnesses (no Hessians).
2. **Local enumeration** at trained minima (``numeric.training.train``, float L-BFGS, then rational
   points): the regions meeting balls of radius ``1/1000`` and ``1/10``, without and with the exact
   Hessian bound of every piece.
3. **Sign-prefix split** of one unit's sample arrangement (what ``collapsed_layer``, ``dual_cones`` and the
   kink balls list, with a Gordan vector per empty prefix): :func:`symbolic.arrangement.prefix_split`
   next to the split it replaced, one float LP per tree node and a Gordan LP per empty prefix
   (``reference_split`` in ``tests/test_prefix_split.py``), on the same seeded data; the two must agree.
4. **Dead units on trained networks** (``bench/practitioner/problems``): ``pscert regions`` at its default
   radius ``1/100`` with Hessians (what the command runs), next to a float baseline: the distinct
   first-layer sign patterns among 10,000 uniform random points of the ball (float64, numpy), which only
   ever sees a few of the regions and proves nothing.
"""

from __future__ import annotations

import os
import random
import sys
import time
from fractions import Fraction

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from symbolic.arrangement import arrangement_cells, general_position_count, prefix_split  # noqa: E402
from symbolic.problem import Problem, parse_problem  # noqa: E402
from symbolic.region_graph import sample_classes  # noqa: E402
from symbolic.regions import global_regions  # noqa: E402
from symbolic.regions_local import local_regions  # noqa: E402


def data_problem(n0: int, widths: list[int], N: int, seed: int, lam: str = "1/100", biases: bool = True):
    rnd = random.Random(seed)
    inputs = [[f"{rnd.randint(-100, 100) / 100:.2f}" for _ in range(n0)] for _ in range(N)]
    targets = [[f"{rnd.randint(-100, 100) / 100:.2f}"] for _ in range(N)]
    return parse_problem({"format": "pscert.problem/1", "network": {"widths": widths, "biases": biases},
                          "loss": {"weight_decay": lam}, "data": {"inputs": inputs, "targets": targets}})


def bench_global(sizes: list[int]) -> None:
    print("Global enumeration: one unit's central arrangement in Q^3 (n_0 = 2, biases), then a 2-unit network")
    print(f"{'N':>5} {'hyperplanes':>11} {'regions':>8} {'formula':>8} {'facets':>8} {'seconds':>8} "
          f"{'regions/s':>10} {'network':>12} {'1000 listed (s)':>16}")
    for N in sizes:
        p = data_problem(2, [2, 2, 1], N, seed=N)
        normals, _ = sample_classes(p)
        t0 = time.perf_counter()
        arr = arrangement_cells(normals, 3)
        t1 = time.perf_counter()
        g = global_regions(p, max_regions=1000, hessian=False)
        t2 = time.perf_counter()
        r = len(arr.signs)
        print(f"{N:>5} {len(normals):>11} {r:>8} {general_position_count(len(normals), 3):>8} {len(arr.facets):>8} "
              f"{t1 - t0:>8.2f} {r / (t1 - t0):>10.0f} {g.count:>12} {t2 - t1:>16.2f}")


def bench_local(quick: bool) -> None:
    from numeric.training import minimum_problem, train

    cases = [("1-2-1, 7 samples", 1, [1, 2, 1], 7), ("2-4-1, 10 samples", 2, [2, 4, 1], 10),
             ("2-3-2-1, 8 samples", 2, [2, 3, 2, 1], 8)]
    print("\nLocal enumeration at trained minima (regions meeting the closed ball about the minimum)")
    print(f"{'problem':<20} {'min':>3} {'radius':>7} {'regions':>8} {'edges':>6} {'complete':>8} "
          f"{'seconds':>8} {'regions/s':>10} {'+Hessians (s)':>14}")
    for label, n0, widths, N in cases:
        base = data_problem(n0, widths, N, seed=N)
        result = train(base, restarts=3 if quick else 6, seed=1)
        for rank in range(1, min(len(result.minima), 2 if quick else 3) + 1):
            p = minimum_problem(base, result, rank, denominator=10**6)
            for radius in (Fraction(1, 1000), Fraction(1, 10)):
                t0 = time.perf_counter()
                g = local_regions(p, radius, max_regions=2000, hessian=False)
                t1 = time.perf_counter()
                local_regions(p, radius, max_regions=2000, hessian=True)
                t2 = time.perf_counter()
                rate = len(g.regions) / (t1 - t0) if t1 > t0 else float("inf")
                print(f"{label:<20} {rank:>3} {str(radius):>7} {g.count:>8} {g.edge_count:>6} {str(g.complete):>8} "
                      f"{t1 - t0:>8.3f} {rate:>10.0f} {t2 - t1:>14.3f}")


def bench_prefix_split(sizes: list[int], baseline_up_to: int) -> None:
    from tests.test_prefix_split import reference_split

    print("\nSign-prefix split of one unit's arrangement {v·x̃_j = 0} in Q^3 (n_0 = 2, biases), Gordan vectors included")
    print(f"{'N':>5} {'cells':>6} {'empty':>7} {'prefix_split (s)':>17} {'LP per node (s)':>16} {'speed-up':>9} {'same':>5}")
    for N in sizes:
        p = data_problem(2, [2, 1, 1], N, seed=N)
        rows = [list(x) + [Fraction(1)] for x in p.inputs]
        t0 = time.perf_counter()
        split = prefix_split(rows)
        t1 = time.perf_counter()
        base, same = "-", "-"
        speed = "-"
        if N <= baseline_up_to:
            cells, empty = reference_split(rows)
            t2 = time.perf_counter()
            same = str(list(split.cells) == cells and [s for s, _ in split.empty] == empty)
            base, speed = f"{t2 - t1:.2f}", f"{(t2 - t1) / (t1 - t0):.0f}×"
        print(f"{N:>5} {len(split.cells):>6} {len(split.empty):>7} {t1 - t0:>17.2f} {base:>16} {speed:>9} {same:>5}")


DEAD_NETS = ["2-8-1_sgd_f32_s1", "2-4-1_adam_f32_s6", "1-3-3-3-1_adam_f32_s0"]


def float_patterns(p: Problem, radius: Fraction, samples: int = 10_000, seed: int = 0) -> int:
    """Distinct first-layer sign patterns among uniform random points of the ball (float64)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if p.point is None:
        raise ValueError("float_patterns: the problem has no point")
    c = np.array([float(v) for v in p.flatten(p.point)])
    g = rng.standard_normal((samples, len(c)))
    g *= (rng.random(samples) ** (1 / len(c)) / np.linalg.norm(g, axis=1))[:, None]
    points = c + float(radius) * g
    from symbolic.region_graph import incoming

    nb = 1 if p.biases else 0
    X = np.array([[float(v) for v in x] + [1.0] * nb for x in p.inputs])  # samples × (n0 + bias)
    W = np.stack([points[:, incoming(p, i)] for i in range(p.widths[1])], axis=1)  # points × units × (n0 + bias)
    return len({row.tobytes() for row in (np.einsum("sud,jd->suj", W, X) > 0)})


def bench_dead_units() -> None:
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "practitioner", "problems")
    from symbolic.problem import load_problem

    print("\nDead units on trained networks: regions meeting the ball of radius 1/100 (with Hessians)")
    print(f"{'network':<24} {'dead':>5} {'cells/unit':>12} {'regions':>26} {'exact':>6} {'seconds':>8} "
          f"{'float patterns':>15} {'float (s)':>10}")
    for name in DEAD_NETS:
        p = load_problem(os.path.join(root, name + ".json"))
        t0 = time.perf_counter()
        g = local_regions(p, Fraction(1, 100))
        t1 = time.perf_counter()
        seen = float_patterns(p, Fraction(1, 100))
        t2 = time.perf_counter()
        dead = sum(1 for u in g.units if u["dead"])
        cells = sorted({str(u["cells"]) for u in g.units})
        print(f"{name:<24} {dead:>5} {'/'.join(cells):>12} {g.count:>26} {str(g.count_exact):>6} {t1 - t0:>8.2f} "
              f"{seen:>15} {t2 - t1:>10.2f}")


def main() -> None:
    quick = "--quick" in sys.argv
    bench_global([20, 50] if quick else [20, 50, 100, 150, 200])
    bench_local(quick)
    bench_prefix_split([10, 20] if quick else [10, 20, 30, 40, 60], 20 if quick else 30)
    bench_dead_units()


if __name__ == "__main__":
    main()
