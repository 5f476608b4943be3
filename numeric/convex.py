"""The convex reformulation of one-hidden-layer ReLU networks of any width (Pilanci and Ergen 2020), solved in floats.

A float cross-check of ``global_minimum`` verdicts (``bench/global_convex.py``); nothing here claims
anything. The problem is a pscert problem with one hidden layer and one output: ``f(x) = Σ_i a_i σ(v_i·x̃)
+ b`` with ``x̃ = (x, 1)`` with biases (``v_i = (w_i, b_i)``) and ``x̃ = x`` without, and

    L(θ) = α Σ_j (f(x_j) − y_j)² + λ Σ_i (‖P v_i‖² + a_i²) + λ_b b²

(docs/SPEC.md: ``α = 1/N`` for ``"mean"`` and ``1`` for ``"sum"``; ``P`` keeps the decayed coordinates of
``v``, all of them unless ``decay_biases`` is false, when it drops the hidden bias; ``λ_b = λ`` when the
output bias is decayed, ``0`` when it is not, and there is no ``b`` without biases).

**Theorem.** Let ``S`` range over the chambers of the data arrangement ``{v : v·x̃_j = 0}`` (``x̃_j ≠ 0``),
``D_S`` the diagonal 0/1 matrix of the samples positive on ``S`` and ``K_S = {u : (2D_S − I) X̃ u ≥ 0}``
the closed chamber. Then ``inf L`` over every width and every ``θ`` equals

    C* = min  α ‖Σ_S D_S X̃ (u_S − w_S) + b·1 − y‖² + 2λ Σ_S (‖P u_S‖ + ‖P w_S‖) + λ_b b²
         over u_S, w_S ∈ K_S (and b).

*Proof.* (≥) Take a network of width m. Each unit's ``v_i`` lies in some closed chamber ``K_S``, since the
closed chambers cover space; there ``σ(X̃ v_i) = D_S X̃ v_i`` (a sample with ``v_i·x̃_j = 0`` gives 0
either way, and a null sample ``x̃_j = 0`` gives 0 in every chamber). By AM–GM ``λ(‖P v‖² + a²) ≥
2λ|a|‖P v‖``. Put ``u = a v`` when ``a > 0`` and ``w = −a v`` when ``a < 0``: ``u`` and ``w`` lie in ``K_S``
(a cone), the unit computes ``D_S X̃ (u − w)`` and costs at least ``2λ(‖P u‖ + ‖P w‖)``. Summing the ``u``
(and the ``w``) of the units in one chamber keeps them in ``K_S`` (a convex cone) and does not raise the
norm sum (triangle inequality), while the data term only depends on the sums. So ``L(θ) ≥`` the convex
objective at a feasible point ``≥ C*``.
(≤) Given feasible ``u_S, w_S, b``: for each ``u_S ≠ 0`` a unit ``v = u_S / √‖P u_S‖``, ``a = √‖P u_S‖``
(and ``a = −√‖P w_S‖`` for ``w_S``). ``v ∈ K_S``, so it computes ``D_S X̃ u_S`` and costs ``λ(‖Pv‖² + a²) =
2λ‖P u_S‖``: this network of width at most twice the number of chambers has exactly the convex
objective. (If ``P u_S = 0`` with ``u_S ≠ 0``, an undecayed hidden bias: scaling ``v = u_S/t``, ``a = t``
costs ``λt²‖…‖`` → 0, so the infimum is still reached, not attained.) ∎

So ``C*`` is at most the loss of *every* one-hidden-layer network on the data (a ``global_minimum``
certificate says its ``L`` equals ``C*``), and a point with ``L > C*`` is beaten by a wider network.

Chambers are listed exactly for ``dim x̃ ≤ 3`` (:func:`chamber_patterns`): in rank 3 every chamber is a
pointed cone, so it has an edge on some line where two planes meet, and the chambers at a line ``ℓ`` are
those of the planes through ``ℓ`` read in the plane ``ℓ^⊥``; the count is checked against the count from
Euler's formula on the sphere, ``2 + 2 Σ_ℓ (m_ℓ − 1)`` (``m_ℓ`` planes through ``ℓ``), ``2m`` for ``m``
planes through one common line and ``2`` for one plane.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from symbolic.problem import Problem

Pattern = tuple[bool, ...]
Vec = tuple[int, int, int]


def lifted_inputs(problem: Problem) -> list[tuple[Fraction, ...]]:
    """``x̃_j``: the input with a trailing 1 when the network has biases."""
    return [tuple(x) + ((Fraction(1),) if problem.biases else ()) for x in problem.inputs]


def chamber_patterns(points: Sequence[Sequence[Fraction]]) -> list[Pattern]:
    """The activation patterns ``(v·x̃_j > 0)_j`` of every chamber of the arrangement ``{v·x̃_j = 0}``.

    Exact in the rational data (only the angular midpoints inside one plane are floats, half a gap away
    from every line); ``x̃`` of dimension at most 3; null points ``x̃_j = 0`` are never active.

    Raises
    ------
    ValueError
        Dimension above 3, or a chamber count that differs from Euler's (a bug).

    Examples
    --------
    >>> sorted(chamber_patterns([[Fraction(1)], [Fraction(-2)], [Fraction(0)]]))
    [(False, True, False), (True, False, False)]
    >>> len(chamber_patterns([[Fraction(x), Fraction(1)] for x in (-1, 0, 2)]))  # three lines in the plane
    6
    """
    if any(len(p) > 3 for p in points):
        raise ValueError("chambers are listed for dim x̃ ≤ 3 only")
    xs = [_integer(p) for p in points]
    planes = sorted({_primitive(x) for x in xs if any(x)})
    if not planes:
        return []
    lines = sorted({_primitive(_cross(n, k)) for i, n in enumerate(planes) for k in planes[i + 1:]})
    found: set[Pattern] = set()
    if len(planes) == 1:  # rank 1: the two half-spaces
        for s in (1, -1):
            found.add(tuple(s * _dot(x, planes[0]) > 0 for x in xs))
        expected = 2
    elif all(_dot(n, lines[0]) == 0 for n in planes):  # rank 2: every plane holds one line
        found |= _around(xs, planes, None, lines[0])
        expected = 2 * len(planes)
    else:  # rank 3: every chamber has an edge on some line
        expected = 2
        for line in lines:
            through = sum(_dot(n, line) == 0 for n in planes)
            expected += 2 * (through - 1)
            for s in (1, -1):
                found |= _around(xs, planes, tuple(s * c for c in line), line)  # type: ignore[arg-type]
    if len(found) != expected:
        raise ValueError(f"found {len(found)} chambers, Euler's formula says {expected}")
    return sorted(found)


def _around(xs: list[Vec], planes: list[Vec], tip: Vec | None, line: Vec) -> set[Pattern]:
    """The chambers whose closure holds the ray ``tip`` (``None``: the whole ``line`` lies in every plane):
    points ``tip + ε t`` with ``t ⊥ line`` between consecutive traces of the planes through ``line``."""
    axis = np.array(line, dtype=float)
    axis /= np.linalg.norm(axis)
    e1 = np.linalg.svd(axis[None, :])[2][1]
    e2 = np.cross(axis, e1)
    traces = []
    for n in planes:
        if _dot(n, line) == 0:
            phi = math.atan2(float(np.dot(n, e2)), float(np.dot(n, e1)))
            traces += [(phi + math.pi / 2) % (2 * math.pi), (phi - math.pi / 2) % (2 * math.pi)]
    traces.sort()
    out = set()
    for k, lo in enumerate(traces):
        hi = traces[k + 1] if k + 1 < len(traces) else traces[0] + 2 * math.pi
        t = math.cos((lo + hi) / 2) * e1 + math.sin((lo + hi) / 2) * e2
        out.add(tuple(_side(x, tip, t) for x in xs))
    return out


def _side(x: Vec, tip: Vec | None, t: np.ndarray) -> bool:
    """Whether ``x·(tip + ε t) > 0`` for small ``ε > 0``: the sign at ``tip`` (exact) unless ``x ⊥ tip``."""
    at_tip = 0 if tip is None else _dot(x, tip)
    return at_tip > 0 if at_tip else any(x) and float(np.dot(x, t)) > 0


def _integer(p: Sequence[Fraction]) -> Vec:
    """``p`` padded to 3 coordinates and scaled to integers (a positive multiple: signs are kept)."""
    q = [Fraction(c) for c in p] + [Fraction(0)] * (3 - len(p))
    den = math.lcm(*(c.denominator for c in q))
    return tuple(int(c * den) for c in q)  # type: ignore[return-value]


def _primitive(v: Vec) -> Vec:
    """The plane (or line) of ``v``: ``v / gcd``, first nonzero coordinate positive."""
    g = math.gcd(*v)
    sign = 1 if next(c for c in v if c) > 0 else -1
    return tuple(sign * c // g for c in v)  # type: ignore[return-value]


def _cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _dot(a: Sequence[int], b: Sequence[int]) -> int:
    return sum(x * y for x, y in zip(a, b))


@dataclass(frozen=True)
class ConvexSolve:
    """The solve of the reformulation: ``value`` is the solver's objective; ``network_loss`` the loss (floats)
    of the network built from its solution by the theorem's (≤) step, a value some network really has
    (the solver's slight cone violations are paid for there); ``status`` and ``tolerance`` the solver's."""

    value: float
    network_loss: float
    status: str
    solver: str
    tolerance: float
    chambers: int
    units: int
    seconds: float


TOLERANCE = 1e-10
"""Clarabel's absolute and relative duality-gap and feasibility tolerances."""


def convex_optimum(problem: Problem, patterns: Sequence[Pattern] | None = None) -> ConvexSolve:
    """``C*`` of the module docstring for ``problem`` (one hidden layer, one output), solved by cvxpy
    with Clarabel, over the chambers ``patterns`` (default: :func:`chamber_patterns`).

    Raises
    ------
    ValueError
        Not one hidden layer with one output.
    ImportError
        cvxpy is not installed (``pip install '.[bench]'``).
    """
    import cvxpy as cp

    if len(problem.widths) != 3 or problem.widths[2] != 1:
        raise ValueError("the convex reformulation needs one hidden layer and one output")
    start = time.perf_counter()
    points = lifted_inputs(problem)
    if patterns is None:
        patterns = chamber_patterns(points)
    X = np.array([[float(c) for c in p] for p in points])
    y = np.array([float(t[0]) for t in problem.targets])
    alpha, lam = float(problem.alpha), float(problem.weight_decay)
    decayed = list(range(X.shape[1])) if problem.decay_biases or not problem.biases else list(range(X.shape[1] - 1))
    D = np.array(patterns, dtype=float).reshape(len(patterns), len(y))
    sides = 2 * D - 1
    U, W = cp.Variable((len(D), X.shape[1])), cp.Variable((len(D), X.shape[1]))
    b = cp.Variable() if problem.biases else 0.0
    fit = cp.sum(cp.multiply(D, (U - W) @ X.T), axis=0)
    lam_b = lam if problem.biases and problem.decay_biases else 0.0
    objective = (alpha * cp.sum_squares(fit + b - y)
                 + 2 * lam * (cp.sum(cp.norm(U[:, decayed], 2, axis=1)) + cp.sum(cp.norm(W[:, decayed], 2, axis=1)))
                 + (lam_b * cp.square(b) if problem.biases else 0))
    cones = [cp.multiply(sides, U @ X.T) >= 0, cp.multiply(sides, W @ X.T) >= 0]
    prob = cp.Problem(cp.Minimize(objective), cones)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=TOLERANCE, tol_gap_rel=TOLERANCE, tol_feas=TOLERANCE,
               max_iter=500)
    if U.value is None:
        return ConvexSolve(math.nan, math.nan, str(prob.status), "CLARABEL", TOLERANCE, len(D), 0,
                           time.perf_counter() - start)
    units = _units(U.value, W.value, decayed)
    bias = float(b.value) if isinstance(b, cp.Variable) else 0.0
    return ConvexSolve(float(prob.value), _network_loss(units, bias, X, y, alpha, lam, lam_b, decayed),
                       str(prob.status), "CLARABEL", TOLERANCE, len(D), len(units), time.perf_counter() - start)


def _units(U: Any, W: Any, decayed: list[int]) -> list[tuple[np.ndarray, float]]:
    """The balanced units ``(v, a)`` of the theorem's (≤) step (zero columns dropped)."""
    out = []
    for rows, sign in ((U, 1.0), (W, -1.0)):
        for u in rows:
            scale = float(np.linalg.norm(u[decayed]))
            if scale > 1e-14:
                out.append((u / math.sqrt(scale), sign * math.sqrt(scale)))
    return out


def _network_loss(units: list[tuple[np.ndarray, float]], bias: float, X: np.ndarray, y: np.ndarray, alpha: float,
                  lam: float, lam_b: float, decayed: list[int]) -> float:
    """The loss of the network ``Σ a σ(v·x̃) + b`` with the true ReLU (floats)."""
    f = sum((a * np.maximum(X @ v, 0.0) for v, a in units), np.zeros(len(y))) + bias
    decay = sum(float(v[decayed] @ v[decayed]) + a * a for v, a in units)
    return float(alpha * np.sum((f - y) ** 2) + lam * decay + lam_b * bias * bias)
