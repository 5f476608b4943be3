"""Tests for numeric.descent: the float loss, and descent, settling and polishing to a candidate minimum."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from numeric.descent import FloatObjective, _descent_neighbour, polish, settle
from symbolic.problem import parse_problem, problem_to_json
from numeric.training import train
from training_cases import CHAIN, problem


def test_float_objective_matches_the_exact_loss():
    """The float loss and the exact ``symbolic.network.loss`` agree at a rational point (sum reduction, no bias decay)."""
    from symbolic.network import loss

    p = problem([2, 3, 2, 1], lam="1/7", inputs=[(1, 0), (0, 1), (1, 1)], targets=[(1,), (0,), (2,)],
                decay_biases=False)
    p = parse_problem({**problem_to_json(p), "loss": {"reduction": "sum", "weight_decay": "1/7"}})
    theta = np.random.default_rng(1).standard_normal(p.parameter_count)
    exact = loss(p, p.unflatten([Fraction(t) for t in theta]))
    assert float(FloatObjective(p).evaluate(theta)[0]) == pytest.approx(float(exact), rel=1e-12)


def test_gradient_matches_finite_differences_away_from_kinks():
    p = problem([2, 3, 2], lam="1/5", inputs=[(1, 0), (0, 1), (1, 1)], targets=[(1, 0), (0, 1), (2, 1)])
    obj = FloatObjective(p)
    theta = np.random.default_rng(2).standard_normal(p.parameter_count)
    grad = obj.evaluate(theta)[1]
    h = 1e-6
    fd = [(obj.evaluate(theta + h * e)[0] - obj.evaluate(theta - h * e)[0]) / (2 * h) for e in np.eye(len(theta))]
    assert grad == pytest.approx(fd, abs=1e-6)


def test_z_jacobian_matches_finite_differences_and_split_inverts_z_flat():
    p = problem([2, 3, 2, 1], inputs=[(1, 0), (0, 1), (1, 1)], targets=[(1,), (0,), (2,)])
    obj = FloatObjective(p)
    theta = np.random.default_rng(3).standard_normal(p.parameter_count)
    masks = obj.evaluate(theta)[2]
    h = 1e-6
    fd = np.array([(obj.z_flat(theta + h * e, masks) - obj.z_flat(theta - h * e, masks)) / (2 * h)
                   for e in np.eye(len(theta))]).T
    assert obj.z_jacobian(theta, masks).shape == (3 * 3 + 3 * 2, p.parameter_count)
    assert obj.z_jacobian(theta, masks) == pytest.approx(fd, abs=1e-7)
    zs = obj.preactivations(theta)[0]
    assert all(np.array_equal(a, b) for a, b in zip(obj.split(obj.z_flat(theta)), zs))


KINK = {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": True},
        "loss": {"reduction": "sum", "weight_decay": "1/4"}, "data": {"inputs": [[0], [1]], "targets": [[0], [1]]}}


def kink_minimum():
    """``f = b·σ(a·x + c) + d``, θ = (a, c, b, d), data 0 ↦ 0, 1 ↦ 1, sum reduction, ``λ = 1/4``.

    On the kink ``a + c = 0`` (the unit's hyperplane through ``x = 1``) with ``c > 0``, ``f(0) = bc + d``,
    ``f(1) = d`` and ``L = u² + (d − 1)² + c² + (b² + d²)/4`` with ``u = bc + d``. Stationarity:
    ``∂_b: 2uc + b/2 = 0``, ``∂_c: 2ub + c = 0`` (``a² + c² = 2c²``), so ``c = 8cu²``, ``u = √2/4``,
    ``b = −√2·c``; ``∂_d: 2u + 2(d − 1) + d/2 = 0`` gives ``d = (4 − √2)/5``; then
    ``bc = u − d = (9√2 − 16)/20``, ``c² = (8√2 − 9)/20``, and ``L = (16√2 − 1)/40 ≈ 0.5406854``.
    """
    c = np.sqrt((8 * np.sqrt(2) - 9) / 20)
    return np.array([-c, c, -np.sqrt(2) * c, (4 - np.sqrt(2)) / 5]), (16 * np.sqrt(2) - 1) / 40


def test_training_lands_exactly_on_a_kink_minimum():
    result = train(parse_problem(KINK), restarts=10, seed=0)
    theta, value = kink_minimum()
    hits = [m for m in result.minima if abs(m.loss - value) < 1e-9]
    assert len(hits) == 1
    assert hits[0].theta == pytest.approx(theta, abs=1e-9)
    assert abs(hits[0].theta[0] + hits[0].theta[1]) < 1e-15  # on the kink
    assert hits[0].boundary_near == 1 and hits[0].gradient_norm > 0.1  # a kink minimum: no zero gradient


def test_polish_steps_onto_the_kink():
    """From ``1e-9`` beside the kink on the active side the gradient does not vanish: plain Newton on the
    active piece goes far (to loss ≈ 1.01) and is refused; Newton restricted to ``a + c = 0`` lands on it."""
    obj = FloatObjective(parse_problem(KINK))
    theta, _ = kink_minimum()
    start = theta + np.array([1e-9, 0, 0, 0])
    polished = polish(obj, start)
    assert abs(polished[0] + polished[1]) < 1e-15
    assert polished == pytest.approx(theta, abs=1e-12)
    assert obj.evaluate(polished)[0] <= obj.evaluate(start)[0]


def test_settle_finds_the_kink_minimum_where_descent_stalls():
    """From ``a = −c − 10⁻³`` (unit off at ``x = 1``), L-BFGS creeps towards the kink and stops ~10⁻⁴ short.

    The region's closure ``{c ≥ 0, a + c ≤ 0}`` has its minimum of ``L_P`` on the face ``a + c = 0`` at the
    kink minimum (``a`` wants 0, the face stops it), where the neighbour's KKT conditions hold too.
    """
    obj = FloatObjective(parse_problem(KINK))
    theta, value = kink_minimum()
    start = theta + np.array([-1e-3, 0, 0, 0])
    settled = settle(obj, start)
    assert settled == pytest.approx(theta, abs=1e-7)
    final = polish(obj, settled)
    assert final == pytest.approx(theta, abs=1e-12) and abs(final[0] + final[1]) < 1e-15


def test_descent_neighbour_follows_first_order_descent_across_a_face():
    """Chain ``L = (b·σ(a) − 1)² + (a² + b²)/4``. At ``(0, 1)`` on the face ``a = 0``, the active piece has
    gradient ``(2(ab − 1)b + a/2, 2(ab − 1)a + b/2) = (−2, 1/2)``, not ``μ·(1, 0)`` with ``μ ≥ 0``: descent
    across, so the active side is returned. At the origin that gradient is ``0``: no neighbour."""
    obj = FloatObjective(parse_problem(CHAIN))
    inactive = [np.array([[0.0]])]
    assert [m.tolist() for m in _descent_neighbour(obj, np.array([0.0, 1.0]), inactive)] == [[[1.0]]]
    assert _descent_neighbour(obj, np.array([0.0, 0.0]), inactive) is None
    kink = FloatObjective(parse_problem(KINK))
    theta, _ = kink_minimum()
    assert _descent_neighbour(kink, theta, kink.evaluate(theta)[2]) is None


def test_polish_is_local():
    """At ``a = b = 0.7`` on the chain, Newton would reach ``√3/2`` in a few steps, but that is descent, not
    polishing: steps longer than ``POLISH_RADIUS`` are refused and the point is returned as it was."""
    obj = FloatObjective(parse_problem(CHAIN))
    assert polish(obj, np.array([0.7, 0.7])).tolist() == [0.7, 0.7]


def test_polish_keeps_a_converged_smooth_minimum():
    obj = FloatObjective(parse_problem(CHAIN))
    t = np.sqrt(3) / 2
    assert polish(obj, np.array([t, t])) == pytest.approx([t, t], abs=1e-15)


TWIN = {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": True},
        "loss": {"reduction": "sum", "weight_decay": "1/4"},
        "data": {"inputs": [[1], [0], [0]], "targets": [[2], [1], [1]]}}


def test_settle_crosses_a_corner_that_no_single_flip_opens(monkeypatch):
    """``f = v·σ(wx + c) + d``, θ = (w, c, v, d); two identical samples ``x = 0 ↦ 1`` and ``x = 1 ↦ 2``.

    On the face ``c = 0`` of the region ``c ≤ 0`` the minimum is ``w = v = √3/2``, ``d = 1``:
    ``L = (vw + d − 2)² + 2(d − 1)² + (w² + v² + d²)/4 = 1/16 + 0 + 5/8 = 11/16``. The twins' kinks are one
    hyperplane, so "active at one twin only" is empty and a single flip finds no descent; with both active,
    ``∂L/∂c = 2(vw + d − 2)v + 2·2(d − 1)v = −√3/4 < 0``: settle must cross into that corner.
    """
    obj = FloatObjective(parse_problem(TWIN))
    face = np.array([np.sqrt(3) / 2, 0.0, np.sqrt(3) / 2, 1.0])
    assert float(obj.evaluate(face)[0]) == pytest.approx(11 / 16, abs=1e-15)
    inactive = [np.array([[1.0], [0.0], [0.0]])]
    assert [m.ravel().tolist() for m in _descent_neighbour(obj, face, inactive)] == [[1.0, 1.0, 1.0]]
    start = np.array([1.0, -0.3, 1.0, 0.5])
    assert float(obj.evaluate(settle(obj, start))[0]) < 11 / 16 - 0.1
    import numeric.descent

    monkeypatch.setattr(numeric.descent, "SETTLE_CORNER_BITS", 1)
    assert float(obj.evaluate(settle(obj, start))[0]) == pytest.approx(11 / 16, abs=1e-9)
