"""Structured refinement: an exact centre on a candidate structure (untrusted search).

A structure from :mod:`proofs.snap` is a linear subspace ``S = {θ : C θ = 0}`` (dead units at 0,
first-layer kinks ``a·θ = 0``, split units ``p_j = κ p_i``, constant outputs). On ``S`` every piece
adjacent to the kinks agrees with ``L`` (their pre-activations vanish identically there), dead units
contribute nothing, and a split pair acts as one merged unit, so ``L|_S`` is one smooth function: the
reduced network. Its critical points are the constrained critical points
``∇L_P(θ) = Cᵀν`` (``ν`` the KKT multipliers of the equations), found by Newton on ``Nᵀ∇L_P = 0``
with ``N`` an orthonormal basis of ``S``: damped float Newton first, then exact-residual steps at
dyadic iterates, each followed by the **exact** orthogonal projection onto ``S``, so the centre
satisfies the structure exactly.

The float phase is damped (backtracking on ``‖Nᵀ∇L_P‖``): a trained point whose reduced system is
flat (smallest curvature ``10⁻⁴``) stops ``‖g‖/curvature`` away from its critical point, often
``10⁻²`` and more, where a full Newton step overshoots and plain Newton stalls at the start. The
length of the first Newton step, plus the projection onto ``S``, is the first-order estimate of that
distance (:attr:`Centre.estimate`); the caller bounds how far a centre may be from it. Undamped
(``damped=False``) the float phase takes full steps only, while they shrink the gradient: near a
structure that is what settles a point within its tolerance, and a centre Newton cannot reach that
way stays where the steps stopped.

For a split pair the merged unit's critical point splits back exactly (the rotation symmetry maps it
into ``S``), so the centre is critical for the full network too.

Nothing is claimed here: :func:`proofs.generator.certify` decides at the centre, and the checker
re-establishes every fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np
from flint import fmpq_mat

from symbolic.derivatives import piece_derivatives
from symbolic.linalg import independent, to_fmpq, to_fraction
from symbolic.float_loss import FloatObjective
from symbolic.network import Pattern, forward
from symbolic.problem import Problem

from .refine import dyadic
from .snap import Structure, safe_float

FLOAT_STEPS = 12
"""At most this many full float Newton steps on the subspace."""
DAMPED_STEPS = 100
"""At most this many damped float Newton steps: a flat reduced system needs tens of short steps before
Newton's quadratic phase (each costs one float Hessian of the piece)."""
BACKTRACK = 12
"""A damped step is halved at most this many times (down to ``2⁻¹²`` of the Newton step)."""
EXACT_STEPS = 20
"""At most this many exact-residual steps."""
TARGET = 1e-30
"""Stop once the projected gradient (exact, read in floats) is this small; the generator refines further."""
HESSIAN_FREEZE = 1e-8
"""Steps longer than this recompute the float Hessian."""


@dataclass(frozen=True)
class Centre:
    """An exact point on the structure (``theta``) or, when none was found, why (``reason``)."""

    theta: list[Fraction] | None
    reason: str = ""
    gradient_norm: float = float("inf")
    moved: float = 0.0
    """``‖centre − θ‖_∞`` in floats (a screen: the proved distance is computed from the exact points)."""
    estimate: float = 0.0
    """The first-order estimate of that distance: ``‖θ − start‖_∞`` (the projection onto the structure)
    plus the first Newton step's length ``‖N H_S⁻¹ Nᵀ∇L_P‖_∞`` at the start."""


class Subspace:
    """``S = {θ : C θ = 0}``: the exact orthogonal projection onto it and a float orthonormal basis.

    >>> s = Subspace([[Fraction(1), Fraction(-1)]], 2)          # θ_0 = θ_1
    >>> s.project([Fraction(1), Fraction(0)])
    [Fraction(1, 2), Fraction(1, 2)]
    >>> s.basis.shape
    (2, 1)
    """

    def __init__(self, rows: Sequence[Sequence[Fraction]], size: int):
        keep = independent(rows) if rows else []
        self.rows = [list(rows[k]) for k in keep]
        self.size = size
        if self.rows:
            C = fmpq_mat(len(self.rows), size, [to_fmpq(v) for row in self.rows for v in row])
            self._C = C
            self._Q = C.transpose() * (C * C.transpose()).inv()         # θ − Q C θ is the projection
            Cf = np.array([[float(v) for v in row] for row in self.rows])
            _, _, Vt = np.linalg.svd(Cf)
            self.basis = Vt[len(self.rows):].T
        else:
            self.basis = np.eye(size)

    def project(self, theta: Sequence[Fraction]) -> list[Fraction]:
        """The exact orthogonal projection of ``θ`` onto ``S``."""
        if not self.rows:
            return [Fraction(t) for t in theta]
        t = fmpq_mat(self.size, 1, [to_fmpq(Fraction(v)) for v in theta])
        shift = self._Q * (self._C * t)
        return [Fraction(v) - to_fraction(shift[p, 0]) for p, v in enumerate(theta)]


def structured_centre(problem: Problem, theta: Sequence[Fraction], structure: Structure,
                      reach: float = float("inf"), damped: bool = False) -> Centre:
    """An exact critical point of ``L`` restricted to the structure's subspace, near ``θ``.

    Parameters
    ----------
    problem, theta
        The problem and the trained point (exact).
    structure
        The candidate structure.
    reach
        Give up when the centre lies further than this from ``θ`` (max norm): the structure was not
        the one the point approximates.
    damped
        Damp the float Newton steps (module docstring): for a critical point farther than Newton's
        full steps reach from ``θ``.

    Returns
    -------
    Centre
        The exact centre (on the subspace exactly, with the structure's kinks at ``z = 0`` and no other
        first-layer sign changed), or the reason there is none.

    Examples
    --------
    The scalar chain ``f = b·relu(a·x)`` with a second unit carrying dust, ``x = y = 1``, ``λ = 1/4``:
    the dead unit goes exactly to 0 and the live one to ``a = b ≈ √3/2``.

    >>> from symbolic.problem import parse_problem
    >>> from proofs.snap import Structure
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> c = structured_centre(p, [Fraction(7, 8), Fraction(1, 10**44), Fraction(7, 8), Fraction(1, 10**44)],
    ...                       Structure(dead=((0, 1),)))
    >>> c.theta[1], c.theta[3], abs(c.theta[0] ** 2 - Fraction(3, 4)) < Fraction(1, 10 ** 25)
    (Fraction(0, 1), Fraction(0, 1), True)
    """
    S = Subspace(structure.equations(problem), problem.parameter_count)
    start = S.project(theta)
    pattern = _pattern(problem, start, structure)
    objective = FloatObjective(problem)
    masks = _masks(problem, pattern)
    N = S.basis
    projected = max((abs(safe_float(a - b)) for a, b in zip(start, theta)), default=0.0)
    if N.shape[1] == 0:
        return _finish(problem, theta, start, pattern, structure, reach, 0.0, projected)
    with np.errstate(all="ignore"):      # floats only screen here; overflow just ends a phase
        x, first = _float_newton(objective, masks, N, np.array([safe_float(t) for t in start]), damped)
        if not np.all(np.isfinite(x)):
            return Centre(None, "the point is beyond the range of floating-point refinement")
        c = S.project([Fraction(v) for v in x])           # floats are dyadic rationals: exact
        best = _exact_newton(problem, objective, masks, pattern, S, c)
    return _finish(problem, theta, best[1], pattern, structure, reach, best[0], projected + first)


def _exact_newton(problem: Problem, objective: FloatObjective, masks: list[np.ndarray], pattern: Pattern,
                  S: Subspace, c: list[Fraction]) -> tuple[float, list[Fraction]]:
    """Exact-residual Newton on ``S`` from ``c``: the best ``(‖Nᵀ∇L_P‖, iterate)`` (float norm, exact point)."""
    N = S.basis
    Hr = None
    best: tuple[float, list[Fraction]] = (float("inf"), c)
    for _ in range(EXACT_STEPS):
        d = piece_derivatives(problem, c, pattern, hessian=False)
        g = N.T @ np.array([safe_float(to_fraction(v)) for v in d.gradient])
        gnorm = float(np.linalg.norm(g))
        if not gnorm < best[0]:
            break           # Newton diverges here (a nearly flat direction): keep the best iterate
        best = (gnorm, c)
        if gnorm <= TARGET:
            break
        if Hr is None:
            Hr = N.T @ objective.piece_hessian(np.array([safe_float(t) for t in c]), masks) @ N
        if not (np.all(np.isfinite(Hr)) and np.all(np.isfinite(g))):
            break
        step = N @ np.linalg.lstsq(Hr, g, rcond=None)[0]
        size = float(np.linalg.norm(step))
        if not np.isfinite(size):
            break
        bits = max(64, min(4000, int(-2.2 * np.log2(max(size, 1e-300))) + 40))
        c = S.project([dyadic(t - Fraction(float(v)), bits) if v else t for t, v in zip(c, step)])
        if size > HESSIAN_FREEZE:
            Hr = None
    return best


def _float_newton(objective: FloatObjective, masks: list[np.ndarray], N: np.ndarray,
                  x: np.ndarray, damped: bool) -> tuple[np.ndarray, float]:
    """Newton on ``Nᵀ∇L_P = 0`` in float64: ``(end point, length of the first full Newton step)``.

    Each step tries the Newton step ``d`` and, when damped, halves it (at most :data:`BACKTRACK` times)
    until the projected gradient shrinks; the phase ends when no such step exists (the float gradient's
    noise, or a direction Newton cannot follow). The merit ``‖Nᵀ∇L_P‖`` finds saddles as well as
    minima: the structure's critical point is wanted whatever its kind, and certify decides what it is.
    """
    g = N.T @ objective.evaluate(x, masks)[1]
    first = float("nan")
    for _ in range(DAMPED_STEPS if damped else FLOAT_STEPS):
        H = N.T @ objective.piece_hessian(x, masks) @ N
        if not (np.all(np.isfinite(H)) and np.all(np.isfinite(g))):
            break           # overflow (weights near the float range): the exact phase starts from x
        try:
            d = N @ np.linalg.lstsq(H, g, rcond=None)[0]
        except np.linalg.LinAlgError:
            break
        if first != first:
            first = float(np.max(np.abs(d))) if d.size else 0.0
        gn = float(np.linalg.norm(g))
        for _ in range(BACKTRACK + 1 if damped else 1):
            y = x - d
            gy = N.T @ objective.evaluate(y, masks)[1]
            if np.all(np.isfinite(gy)) and np.linalg.norm(gy) < gn:
                break
            d = d / 2
        else:
            break           # no step along d shrinks the projected gradient: the exact phase takes over
        x, g = y, gy
    return x, (first if first == first else 0.0)


def _finish(problem: Problem, theta: Sequence[Fraction], c: list[Fraction], pattern: Pattern, structure: Structure,
            reach: float, gnorm: float, estimate: float) -> Centre:
    """Accept ``c`` if it stays within ``reach`` and in the closure of the structure's region."""
    moved = max((abs(safe_float(a - b)) for a, b in zip(c, theta)), default=0.0)
    if moved > reach:
        return Centre(None, f"the structure's critical point is {moved:.2g} away from the point (more than {reach:.2g})",
                      gnorm, moved, estimate)
    fw = forward(problem, problem.unflatten(c))
    kinks = set(structure.kinks)
    for j, zs in enumerate(fw.preactivations):
        for k, layer in enumerate(zs):
            for i, z in enumerate(layer):
                if z == 0 or (k == 0 and (j, i) in kinks):
                    continue
                if (z > 0) != bool(pattern[j][k][i]):
                    return Centre(None, "refinement on the structure crossed a region boundary", gnorm, moved,
                                  estimate)
    return Centre(c, "", gnorm, moved, estimate)


def _pattern(problem: Problem, theta: list[Fraction], structure: Structure) -> Pattern:
    """The activation pattern at ``θ``, kinks of the structure counted active (all pieces agree on S)."""
    pat = [[list(layer) for layer in sample] for sample in forward(problem, problem.unflatten(theta)).pattern]
    for j, i in structure.kinks:
        pat[j][0][i] = 1
    return tuple(tuple(tuple(layer) for layer in sample) for sample in pat)


def _masks(problem: Problem, pattern: Pattern) -> list[np.ndarray]:
    n = len(problem.inputs)
    return [np.array([[pattern[j][k][i] for i in range(w)] for j in range(n)], dtype=float)
            for k, w in enumerate(problem.widths[1:-1])]
