"""A family of trained minima on kinks of the third hidden layer (for Theorem K at layer 3).

Run from the repository root: ``python bench/layer3_family.py`` writes problem files into
``bench/corpus/work/layer3`` (ignored by git); then ``python cli.py certify bench/corpus/work/layer3 --json
--jobs 2`` decides them (``bench/README.md`` reports the numbers before and after the rule).

Networks 1-1-1-1-1 with biases, λ ∈ {1/100, 1/1000}, 2–5 integer inputs in [−3, 3] with integer targets in
[−2, 2] (four fixed data sets, then 40 drawn with seed 7), trained as ``pscert train`` does (12 starts).
A minimum is kept when a third-layer pre-activation is within ``1e-5`` (relative) of 0 at a sample where
the units of layers 1 and 2 are on (above ``1e-3``): a live cubic kink. Floats select; nothing is proved.
"""

from __future__ import annotations

import json
import os
import sys
from fractions import Fraction

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from numeric.training import train  # noqa: E402
from symbolic.problem import parse_problem  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "work", "layer3")


def datasets() -> list[tuple[list[int], list[int]]]:
    rng = np.random.default_rng(7)
    out = [([-2, -1, 3], [-1, -1, 2]), ([-2, -1, 1, 3], [-1, -1, 0, 2]), ([-1, 0, 1, 2], [0, -1, 1, 2]),
           ([-2, -1, 0, 2], [1, -1, -1, 1])]
    for _ in range(40):
        xs = sorted({int(v) for v in rng.integers(-3, 4, size=int(rng.integers(3, 6)))})
        out.append((xs, [int(v) for v in rng.integers(-2, 3, size=len(xs))]))
    return out


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    written = 0
    for idx, (xs, ys) in enumerate(datasets()):
        for lam in ("1/100", "1/1000"):
            spec = {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1, 1, 1], "biases": True},
                    "loss": {"reduction": "mean", "weight_decay": lam},
                    "data": {"inputs": [[str(x)] for x in xs], "targets": [[str(y)] for y in ys]}}
            problem = parse_problem(spec)
            for m in train(problem, 12, seed=idx).minima:
                th = [float(v) for v in m.theta]
                for x in xs:
                    z1 = th[0] * x + th[1]
                    z2 = th[2] * max(z1, 0) + th[3]
                    z3 = th[4] * max(z2, 0) + th[5]
                    if abs(z3) < 1e-5 * max(1.0, abs(th[4] * z2) + abs(th[5])) and z1 > 1e-3 and z2 > 1e-3:
                        written += 1
                        point = [str(Fraction(v)) for v in m.theta]
                        spec["name"] = f"layer-3 kink family {idx} λ = {lam}"
                        spec["point"] = {"weights": [[[point[2 * k]]] for k in range(4)],
                                         "biases": [[point[2 * k + 1]] for k in range(4)]}
                        with open(os.path.join(OUT, f"c{written:02d}.json"), "w", encoding="utf-8") as fh:
                            json.dump(spec, fh, indent=1)
                        break
    print(f"{written} minima on a live third-layer kink in {OUT}")


if __name__ == "__main__":
    main()
