"""The float piece Hessian of :class:`symbolic.float_loss.FloatObjective`: the closed form (one to three hidden
layers) against a value worked out by hand and against complex steps (an independent method)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from symbolic.derivatives import piece_derivatives
from symbolic.float_loss import FloatObjective
from symbolic.problem import parse_problem


def _problem(widths, n, seed, biases=True, decay_biases=True, reduction="mean", activation="relu", lam="1/7"):
    rng = np.random.default_rng(seed)
    inputs = rng.integers(-9, 10, size=(n, widths[0])).tolist()
    targets = rng.integers(-9, 10, size=(n, widths[-1])).tolist()
    return parse_problem({"format": "pscert.problem/1",
                          "network": {"widths": widths, "biases": biases, "decay_biases": decay_biases,
                                      "activation": activation},
                          "loss": {"weight_decay": lam, "reduction": reduction},
                          "data": {"inputs": inputs, "targets": targets}})


def test_hand_worked_value():
    """``L = (ab − 1)² + (a² + b²)/4`` (``f = b·σ(a·x)``, ``x = y = 1``) at ``a = b = 1`` on ``a > 0``:
    ``∂²L/∂a² = 2b² + 1/2``, ``∂²L/∂a∂b = 2(2ab − 1)``, ``∂²L/∂b² = 2a² + 1/2``."""
    p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
                       "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    H = FloatObjective(p).piece_hessian(np.array([1.0, 1.0]), [np.ones((1, 1))])
    assert H.tolist() == [[2.5, 2.0], [2.0, 2.5]]
    H = FloatObjective(p).piece_hessian(np.array([1.0, 1.0]), [np.zeros((1, 1))])  # the piece a < 0: f = 0
    assert H.tolist() == [[0.5, 0.0], [0.0, 0.5]]


@pytest.mark.parametrize("biases, decay_biases, reduction, activation", [
    (True, True, "mean", "relu"), (True, False, "sum", "relu"), (False, True, "mean", "relu"),
    (True, True, "sum", "identity")])
def test_closed_form_matches_complex_steps(biases, decay_biases, reduction, activation):
    """Random networks with one to three hidden layers and random masks (a piece need not be the point's own):
    the closed form agrees with the
    complex-step columns, and with the exact Hessian of :func:`symbolic.derivatives.piece_derivatives`."""
    for seed, widths in enumerate([[3, 5, 2], [2, 7, 4], [1, 3, 1], [2, 3, 4, 2], [3, 2, 3, 2, 2], [1, 4, 1, 1]]):
        p = _problem(widths, 11, seed, biases, decay_biases, reduction, activation)
        obj = FloatObjective(p)
        rng = np.random.default_rng(100 + seed)
        theta = rng.standard_normal(p.parameter_count)
        masks = [(rng.random((11, w)) < 0.6).astype(float) if activation == "relu" else np.ones((11, w))
                 for w in widths[1:-1]]
        closed = obj.piece_hessian(theta, masks)
        steps = obj.complex_step_hessian(theta, masks)
        assert np.allclose(closed, closed.T, rtol=0, atol=0)
        assert np.max(np.abs(closed - steps)) <= 1e-12 * max(1.0, np.max(np.abs(steps)))
        pattern = tuple(tuple(tuple(int(v) for v in m[j]) for m in masks) for j in range(11))
        exact = piece_derivatives(p, [Fraction(t) for t in theta], pattern).hessian
        exact_f = np.array([[float(exact[i, j]) for j in range(p.parameter_count)] for i in range(p.parameter_count)])
        assert np.max(np.abs(closed - exact_f)) <= 1e-12 * max(1.0, np.max(np.abs(exact_f)))


def test_no_hidden_layer_keeps_complex_steps():
    p = _problem([2, 3], 5, 7)
    obj = FloatObjective(p)
    theta = np.random.default_rng(3).standard_normal(p.parameter_count)
    assert np.array_equal(obj.piece_hessian(theta, []), obj.complex_step_hessian(theta, []))
