"""Float descent from one start to a candidate minimum: L-BFGS, region settling, piece polishing.

Floats only *search* here; nothing claims anything. The loss is the float64 loss of docs/SPEC.md §1
(reduction, biases, ``decay_biases`` and the activation honoured) with ``σ'(0) = 0``, the convention of
:func:`symbolic.network.forward` (a unit with ``z = 0`` is inactive). From a start:

1. **Descent** (:func:`descend`): SciPy's L-BFGS-B with tight tolerances, restarted from its own end.
2. **Settle** (:func:`settle`; ReLU, at most :data:`SETTLE_MAX_PARAMETERS` parameters): SLSQP for the
   minimum of the piece ``L_P`` over the closure of the point's region, moving on to a neighbouring
   region while the point fails that region's KKT conditions. L-BFGS alone stalls near kinks.
3. **Polish** (:func:`polish`): at most :data:`POLISH_STEPS` Newton steps on the piece ``L_P``, with
   the Hessian by complex-step differentiation of the piece gradient (exact to rounding; ``P``
   gradient evaluations, so only for at most :data:`POLISH_MAX_PARAMETERS` parameters), or on the
   piece restricted to the pre-activations within :data:`KINK_TOL` of zero (kink minima). A step is
   kept only if it is short, the pattern stays, the residual shrinks and the loss does not rise.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Sequence

import numpy as np
from scipy.optimize import minimize, nnls

from symbolic.float_loss import FloatObjective

__all__ = ["FloatObjective", "descend", "settle", "polish"]

DESCENT_ROUNDS = 8
"""At most this many L-BFGS-B runs per start, each from the previous one's end point."""
SETTLE_REGIONS = 8
"""At most this many regions visited by :func:`settle`."""
SETTLE_CORNER_BITS = 6
"""Up to this many binding constraints, :func:`settle` tries every region of the corner (``2^b − 1``)."""
SETTLE_MAX_PARAMETERS = 120
"""Dense SLSQP costs about ``(P + N·Σn_k)·P²`` per iteration: larger problems skip the region search."""
POLISH_STEPS = 4
POLISH_MAX_PARAMETERS = 400
POLISH_RADIUS = 1e-4
"""Polishing steps longer than ``POLISH_RADIUS · (1 + ‖θ‖)`` are refused: the descent already converged."""
KINK_TOL = 1e-6
"""``|z| < KINK_TOL · (1 + max|z|)`` counts as a kink (a binding face) to settle and polish onto."""
KKT_TOL = 1e-6
"""A point satisfies a region's KKT conditions if the NNLS residual is below ``KKT_TOL · (1 + ‖∇L_P‖)``."""


def descend(objective: FloatObjective, theta0: np.ndarray, rounds: int = DESCENT_ROUNDS) -> np.ndarray:
    """L-BFGS-B from ``theta0`` with tight tolerances, restarted from its own end point.

    Near a kink L-BFGS's curvature memory is wrong on one side, and it stops early; a fresh start
    from the end point (up to ``rounds`` times, while the loss still drops) usually lands on the kink.
    """

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad, _ = objective.evaluate(theta)
        return float(value), grad

    theta, value = theta0, math.inf
    options = {"maxiter": 20_000, "maxfun": 40_000, "maxcor": 10, "ftol": 1e-15, "gtol": 1e-11}
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(rounds):
            res = minimize(fun, theta, jac=True, method="L-BFGS-B", options=options)
            if not (np.isfinite(res.fun) and np.all(np.isfinite(res.x))):
                # a diverged first round is a failed start, never the random start passed off as a minimum
                return theta if math.isfinite(value) else np.full(theta0.shape, np.nan)
            if res.fun >= value:
                break
            drop = value - float(res.fun)
            theta, value = np.asarray(res.x, dtype=float), float(res.fun)
            if drop <= 1e-13 * (1 + abs(value)):
                break
    return theta


def settle(objective: FloatObjective, theta: np.ndarray, regions: int = SETTLE_REGIONS) -> np.ndarray:
    """Minimise ``L`` over the closure of the point's region, then over a neighbouring region's while
    the point fails that region's KKT conditions (at most ``regions`` regions).

    On the closure of the region of a pattern ``P``, ``L = L_P``, a smooth function under the smooth
    constraints ``s·z ≥ 0`` (``s = ±1`` the pattern's signs); SLSQP solves that. At the solution, a
    binding constraint (``z ≈ 0``) borders a neighbouring region ``P'`` (that one sign flipped); the
    point is a local minimum of ``L`` across it when it satisfies ``P'``'s KKT conditions too,
    ``∇L_{P'} = Σ μ_m ∇(s'_m z_m)`` with ``μ ≥ 0`` (checked by non-negative least squares). If some
    ``P'`` fails, the search moves there. L-BFGS alone stalls near kinks with ``|z| ≈ 1e-3``.
    """
    if (not objective.relu or not objective.problem.depth or objective.size > SETTLE_MAX_PARAMETERS
            or not np.all(np.isfinite(theta))):
        return theta
    value, _, current = objective.evaluate(theta)
    masks: list[np.ndarray] | None = current
    for _ in range(regions):
        if masks is None:
            break
        new = _region_minimum(objective, theta, masks)
        if new is not None:
            new_value = float(objective.evaluate(new)[0])
            if new_value <= value:
                theta, value = new, new_value
        masks = _descent_neighbour(objective, theta, masks)  # None: every neighbour's KKT conditions hold
    return theta


def _flat(masks: Sequence[np.ndarray]) -> np.ndarray:
    return np.concatenate([m.ravel() for m in masks]) if masks else np.zeros(0)


def _region_minimum(objective: FloatObjective, theta: np.ndarray, masks: Sequence[np.ndarray]) -> np.ndarray | None:
    """SLSQP for ``min L_P`` subject to ``s·z ≥ 0``, from a point of the region's closure."""
    signs = 2 * _flat(masks) - 1

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad, _ = objective.evaluate(x, masks)
        return float(value), grad

    constraint = {"type": "ineq", "fun": lambda x: signs * objective.z_flat(x, masks),
                  "jac": lambda x: signs[:, None] * objective.z_jacobian(x, masks)}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = minimize(fun, theta, jac=True, method="SLSQP", constraints=[constraint],
                       options={"ftol": 1e-15, "maxiter": 500})
    x = np.asarray(res.x, dtype=float)
    if not np.all(np.isfinite(x)):
        return None
    z = objective.z_flat(x, masks)
    return x if np.min(signs * z) >= -1e-9 * (1 + np.max(np.abs(z))) else None


def _descent_neighbour(objective: FloatObjective, theta: np.ndarray, masks: Sequence[np.ndarray]) -> list[np.ndarray] | None:
    """The masks of a region across binding constraints whose KKT conditions fail at ``theta``.

    Up to :data:`SETTLE_CORNER_BITS` binding constraints, every region of the corner is tried (one
    flip, then two, …): two kinks together can open a descent that neither opens alone. Beyond
    that, single flips only.
    """
    z = objective.z_flat(theta, masks)
    binding = np.flatnonzero(np.abs(z) < KINK_TOL * (1 + np.max(np.abs(z), initial=0.0)))
    flat = _flat(masks)
    jacobian = objective.z_jacobian(theta, masks)
    last = flat.size - objective.X.shape[0] * objective.problem.widths[-2]
    sizes = range(1, len(binding) + 1) if len(binding) <= SETTLE_CORNER_BITS else [1]
    for flips in itertools.chain.from_iterable(itertools.combinations(binding, r) for r in sizes):
        flipped = flat.copy()
        flipped[list(flips)] = 1 - flipped[list(flips)]
        other = objective.split(flipped)
        grad = objective.evaluate(theta, other)[1]
        # z of layer k depends on the masks of earlier layers only: last-layer flips keep the Jacobian
        J = jacobian if min(flips) >= last else objective.z_jacobian(theta, other)
        normals = ((2 * flipped - 1)[:, None] * J)[binding]
        if nnls(normals.T, grad)[1] > KKT_TOL * (1 + np.linalg.norm(grad)):
            return other
    return None


def polish(objective: FloatObjective, theta: np.ndarray, steps: int = POLISH_STEPS) -> np.ndarray:
    """Newton steps on the point's own piece, kept only while they help (see the module notes).

    Each step first tries plain Newton on ``L_P``. If that leaves the piece or does not help and some
    pre-activations are within :data:`KINK_TOL` of zero, it tries Newton on ``L_P`` restricted to
    ``{those z = 0}`` (the KKT system with their linearisation): kink minima, where a live unit's
    hyperplane passes through a sample, have no zero gradient to converge to. A step is kept only if
    the pattern stays off those pre-activations, the residual (gradient, minus its least-squares
    part along the kinks' normals, and the kinks' ``z``) shrinks, and the loss does not rise.
    """
    if objective.size > POLISH_MAX_PARAMETERS or not np.all(np.isfinite(theta)):
        return theta
    for _ in range(steps):
        new = _newton_step(objective, theta, kinks=False)
        if new is None:
            new = _newton_step(objective, theta, kinks=True)
        if new is None:
            break
        theta = new
    return theta


def _newton_step(objective: FloatObjective, theta: np.ndarray, kinks: bool) -> np.ndarray | None:
    """One (constrained) Newton step from ``theta``, or ``None`` if it would not help."""
    value, grad, masks = objective.evaluate(theta)
    z = objective.z_flat(theta)
    near = np.zeros(z.size, dtype=bool)
    if kinks and objective.relu:
        near = np.abs(z) < KINK_TOL * (1 + np.max(np.abs(z), initial=0.0))
    if kinks and not near.any():
        return None
    hessian = objective.piece_hessian(theta, masks)
    if near.any():
        J, m = objective.z_jacobian(theta, masks)[near], int(near.sum())
        kkt = np.block([[hessian, J.T], [J, np.zeros((m, m))]])
        # lstsq: dead units and flat directions make the system singular.
        step = np.linalg.lstsq(kkt, -np.concatenate([grad, z[near]]), rcond=None)[0][: objective.size]
    else:
        step = np.linalg.lstsq(hessian, -grad, rcond=None)[0]
    if np.linalg.norm(step) > POLISH_RADIUS * (1 + np.linalg.norm(theta)):
        return None  # a long jump may land in another basin of the same piece: not polishing
    new = theta + step
    new_value, _, new_masks = objective.evaluate(new)
    if not (np.isfinite(new_value) and new_value <= value + 1e-12 * (1 + abs(value))
            and np.array_equal(_flat(masks)[~near], _flat(new_masks)[~near])):
        return None
    before = _residual(objective, theta, masks, near)
    after = _residual(objective, new, masks, near)
    return new if after < before else None


def _residual(objective: FloatObjective, theta: np.ndarray, masks: Sequence[np.ndarray], near: np.ndarray) -> float:
    """``‖∇L_P − Jᵀν‖² + ‖z_kinks‖²`` with ``ν`` least squares (plain ``‖∇L_P‖²`` without kinks)."""
    grad = objective.evaluate(theta, masks)[1]
    if not near.any():
        return float(grad @ grad)
    J, c = objective.z_jacobian(theta, masks)[near], objective.z_flat(theta, masks)[near]
    nu = np.linalg.lstsq(J.T, grad, rcond=None)[0]
    e = grad - J.T @ nu
    return float(e @ e + c @ c)
