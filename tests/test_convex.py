"""Tests for numeric.convex: the chambers of a data arrangement and the convex reformulation over every width.

Hand-worked optima (SPEC conventions, mean loss):

- case A (``tests/data/global_case_a.json``: 1-D, biases, ``x̃ = (3/4, 1)``, ``y = 9/5``, ``λ = 1/4``): one
  sample, two chambers. An active cone point ``u`` adds ``s = x̃·u ≥ 0`` at cost ``2λ‖u‖ ≥ 2λ s/‖x̃‖ =
  (2/5)s``, so ``C* = min (s + b − 9/5)² + (2/5)s + b²/4``: ``2r = −2/5`` and ``2r + b/2 = 0`` give ``r = −1/5``,
  ``b = 4/5``, ``s = 4/5 ≥ 0`` and ``C* = 1/25 + 8/25 + 4/25 = 13/25``, pscert's certified global value.
- case C (``global_case_c.json``: no biases, ``x = ±1``, ``y = 1``, ``λ = 3/8``): the chambers ``v > 0`` and
  ``v < 0`` each reach one sample, so ``C* = 2 min_{u ≥ 0} (½(u − 1)² + ¾u) = 2(9/32 + 6/32) = 15/16`` at
  ``u = 1/4``, below ``L = 31/32`` at the certified point ``w = a = 1/2``: a wider network does better, and
  the refutation's two-unit network (outputs 1/4, ``L = 15/16``) is optimal.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from numeric.convex import chamber_patterns, convex_optimum, lifted_inputs
from proofs.methods.dual_cones import global_verdict
from symbolic.network import loss
from symbolic.problem import load_problem, parse_params

DATA = Path(__file__).parent / "data"


def sampled_patterns(points, rng, draws=100_000):
    """The strict sign patterns that random directions hit (an independent, incomplete listing)."""
    X = np.array([[float(c) for c in p] for p in points])
    Z = rng.standard_normal((draws, X.shape[1])) @ X.T
    null = np.all(X == 0, axis=1)
    strict = np.all((np.abs(Z) > 1e-9) | null, axis=1)
    return {tuple(bool(s) for s in row) for row in (Z[strict] > 1e-9)}


# --- chambers ------------------------------------------------------------------------------------------

def test_three_points_of_the_plane_in_general_position_realise_every_pattern():
    """Affine functions take any signs at three affinely independent points: all 2³ patterns."""
    pts = [(Fraction(0), Fraction(0), Fraction(1)), (Fraction(1), Fraction(0), Fraction(1)),
           (Fraction(0), Fraction(1), Fraction(1))]
    assert sorted(chamber_patterns(pts)) == sorted(
        tuple(bool(b >> k & 1) for k in range(3)) for b in range(8))


def test_collinear_points_of_the_plane_have_the_chambers_of_a_line():
    """Four points on one line of the plane (rank 2): thresholds on the line, ``2N = 8`` chambers, each a
    prefix or a suffix of the order along the line."""
    pts = [(Fraction(t), Fraction(2 * t + 1), Fraction(1)) for t in (-1, 0, 1, 3)]
    got = set(chamber_patterns(pts))
    prefixes = {tuple(j < k for j in range(4)) for k in range(5)}
    suffixes = {tuple(j >= k for j in range(4)) for k in range(5)}
    assert got == prefixes | suffixes


def test_null_and_repeated_points():
    """Without biases ``x = 0`` is active in no chamber; ``x`` and ``2x`` (and ``−x``) are one hyperplane."""
    pts = [(Fraction(t), Fraction(t)) for t in (0, 1, 2, -1)]
    assert sorted(chamber_patterns(pts)) == [(False, False, False, True), (False, True, True, False)]
    assert chamber_patterns([(Fraction(0),)]) == []


@pytest.mark.parametrize("seed", range(6))
def test_chambers_match_dense_sampling(seed):
    """Random small-integer data with ties and coincident planes in dimensions 1–3: the exact list equals
    the patterns of 10⁵ random directions (every chamber here is wide enough to be hit)."""
    rng = np.random.default_rng(seed)
    for _ in range(5):
        d, n = int(rng.integers(1, 4)), int(rng.integers(1, 10))
        pts = [tuple(Fraction(int(v), 2) for v in rng.integers(-3, 4, d)) for _ in range(n)]
        assert set(chamber_patterns(pts)) == sampled_patterns(pts, rng)


def test_more_than_three_dimensions_is_refused():
    with pytest.raises(ValueError, match="dim"):
        chamber_patterns([(Fraction(1),) * 4])


# --- the convex optimum ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cp():
    return pytest.importorskip("cvxpy")


def test_case_a_convex_optimum_is_the_certified_global_value(cp):
    problem = load_problem(str(DATA / "global_case_a.json"))
    solve = convex_optimum(problem)
    assert solve.status == "optimal" and solve.chambers == 2
    assert solve.value == pytest.approx(13 / 25, abs=1e-8)
    assert solve.network_loss == pytest.approx(13 / 25, abs=1e-8)
    exact = problem.unflatten([Fraction(12, 25), 0, Fraction(16, 25), 0, Fraction(4, 5), 0, Fraction(4, 5)])
    assert loss(problem, exact) == Fraction(13, 25)
    v = global_verdict(problem)
    assert v.status == "CERTIFIED"
    centre = loss(problem, parse_params(v.certificate["center"], problem))
    assert float(centre) == pytest.approx(solve.value, abs=1e-8)


def test_case_c_a_wider_network_does_better(cp):
    problem = load_problem(str(DATA / "global_case_c.json"))
    solve = convex_optimum(problem)
    assert solve.status == "optimal"
    assert solve.value == pytest.approx(15 / 16, abs=1e-8)
    assert loss(problem) == Fraction(31, 32) > Fraction(15, 16)
    v = global_verdict(problem)
    assert v.status == "REFUTED" and v.certificate["evidence"]["width"] == 2


def test_no_network_beats_the_convex_optimum(cp):
    """``C* ≤ L(θ)`` for every width: random networks of widths 1–6 on the plane problem (2-D, biases)."""
    problem = load_problem(str(DATA / "global_plane.json"))
    solve = convex_optimum(problem)
    assert solve.status == "optimal" and solve.chambers == len(chamber_patterns(lifted_inputs(problem)))
    X = np.array([[float(c) for c in p] for p in lifted_inputs(problem)])
    y = np.array([float(t[0]) for t in problem.targets])
    lam, rng = float(problem.weight_decay), np.random.default_rng(0)
    best = math.inf
    for m in range(1, 7):
        for _ in range(300):
            V, a, b = rng.standard_normal((m, 3)) * 0.5, rng.standard_normal(m) * 0.5, rng.standard_normal()
            f = np.maximum(X @ V.T, 0) @ a + b
            best = min(best, float(np.mean((f - y) ** 2) + lam * (np.sum(V * V) + a @ a + b * b)))
    assert best >= solve.value - 1e-9
    # and the certified point is optimal: its loss is C*
    v = global_verdict(problem)
    assert v.status == "CERTIFIED"
    assert float(loss(problem, parse_params(v.certificate["center"], problem))) == pytest.approx(solve.value, abs=1e-7)


def test_deeper_networks_are_refused(cp):
    problem = load_problem(str(DATA / "global_case_a.json"))
    with pytest.raises(ValueError, match="one hidden layer"):
        convex_optimum(replace(problem, widths=(1, 2, 2, 1), point=None))
