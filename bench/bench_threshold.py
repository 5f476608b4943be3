"""Benchmark of ``pscert threshold``: exact threshold, exact λ_min gap, dropout expectation, depth sweep.

Run: ``python bench/bench_threshold.py``. Prints one table; nothing is asserted. Networks are random
rational (n_in = 3, one output, N = 8 samples, weights k/8) with one hidden layer of width w, or a
width-3 family of growing depth.
"""

from __future__ import annotations

import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from symbolic.dropout import DropoutModel, expected_loss  # noqa: E402
from symbolic.problem import parse_problem  # noqa: E402
from numeric.sweeps import depth_sweep  # noqa: E402
from symbolic.threshold import threshold  # noqa: E402


def random_problem(widths, seed=0, biases=True):
    rng = np.random.default_rng(seed)
    q = (lambda: str(Fraction(int(rng.integers(-8, 9)), 8)))
    weights = [[[q() for _ in range(widths[k])] for _ in range(widths[k + 1])] for k in range(len(widths) - 1)]
    point = {"weights": weights}
    if biases:
        point["biases"] = [[q() for _ in range(widths[k + 1])] for k in range(len(widths) - 1)]
    return parse_problem({"format": "pscert.problem/1", "network": {"widths": widths, "biases": biases},
                          "loss": {"weight_decay": "1/100"},
                          "data": {"inputs": [[q() for _ in range(widths[0])] for _ in range(8)],
                                   "targets": [[q() for _ in range(widths[-1])] for _ in range(8)]},
                          "point": point})


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    print(f"{'case':<44} {'params':>6} {'seconds':>8}  note")
    for w in (2, 4, 8, 16):
        p = random_problem([3, w, 1], seed=w)
        t, s = timed(lambda: threshold(p))
        print(f"{'threshold (no gap), 3-' + str(w) + '-1':<44} {p.parameter_count:>6} {s:>8.3f}  boundary={len(t.boundary)}")
        t, s = timed(lambda: threshold(p, gap=True))
        note = "boundary" if not t.gaps else ("λ_min exact" if t.gaps[0][1].lo == t.gaps[0][1].hi else "λ_min interval")
        print(f"{'threshold + exact λ_min, 3-' + str(w) + '-1':<44} {p.parameter_count:>6} {s:>8.3f}  {note}")
        t, s = timed(lambda: threshold(p, spectral=True))
        print(f"{'threshold --spectral, 3-' + str(w) + '-1':<44} {p.parameter_count:>6} {s:>8.3f}")
    for w in (2, 4, 8):
        p = random_problem([3, w, 1], seed=10 + w)
        try:
            (_, _, n, _), s = timed(lambda: expected_loss(p, p.point, DropoutModel(Fraction(1, 2))))
            print(f"{'dropout closed form, 3-' + str(w) + '-1':<44} {p.parameter_count:>6} {s:>8.3f}  {n} masks")
            (_, _, n, _), s = timed(lambda: expected_loss(p, p.point, DropoutModel(Fraction(1, 2)), True))
            print(f"{'dropout enumeration, 3-' + str(w) + '-1':<44} {p.parameter_count:>6} {s:>8.3f}  {n} masks")
        except Exception as err:  # a random point may sit on a masked boundary
            print(f"{'dropout, 3-' + str(w) + '-1':<44} {p.parameter_count:>6} {'-':>8}  {err}")
    p = random_problem([3, 3, 1], seed=3)
    (theta, rows), s = timed(lambda: depth_sweep(p, range(1, 9)))
    print(f"{'depth sweep 1..8 (width 3, with λ_min)':<44} {rows[-1].parameters:>6} {s:>8.3f}  θ = {float(theta):.4g}")


if __name__ == "__main__":
    main()
