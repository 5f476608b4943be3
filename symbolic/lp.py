"""Exact answers about open polyhedral cones, found by a floating LP oracle and re-established exactly.

Everything here is about a finite list of rational row vectors ``a_1..a_m ∈ Q^d`` and the open cone
``C = {v : a_i·v > 0 for all i}`` (a region of a central hyperplane arrangement), its closure
``{v : a_i·v ≥ 0}`` and a closed ball ``B(c, R)``. Floats (HiGHS through :func:`scipy.optimize.linprog`,
:func:`scipy.optimize.nnls`) only *search*; every answer returned is re-established with exact
rationals, and when that fails the answer is ``"undecided"``, never a guess. The certificates:

- **interior point**: a rational ``v`` with every ``a_i·v > 0`` (checked exactly);
- **Gordan–Farkas certificate of emptiness**: rational ``y ≥ 0``, ``y ≠ 0`` with ``Σ y_i a_i = 0``.
  If ``v ∈ C`` then ``0 = (Σ y_i a_i)·v = Σ y_i (a_i·v) > 0``, a contradiction;
- **ball exclusion** (the same with a ball): ``y ≥ 0``, ``y ≠ 0``, ``h = Σ y_i a_i`` with ``h·c ≤ 0``
  and ``(h·c)² ≥ R²‖h‖²``. On ``C`` we have ``h·v > 0``; on the ball ``h·v ≤ h·c + R‖h‖ ≤ 0``. So ``C``
  does not meet ``B(c, R)``. ``h = 0`` is the Gordan case;
- **projection**: the nearest point ``g`` of the closed cone to ``c`` with multipliers ``y ≥ 0``,
  ``g = c + Σ y_i a_i``, every ``a_i·g ≥ 0`` and ``y_i (a_i·g) = 0`` (the KKT conditions, sufficient for
  this convex problem), so ``dist(c, C)² = ‖g − c‖²`` exactly.

``sympy``'s ``linprog`` is deliberately not used: with free or negative variables it returns wrong
optima in sympy 1.14.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator, Sequence

import numpy as np
from scipy.optimize import linprog, nnls

from .linalg import solve

Rows = Sequence[Sequence[Fraction | int]]

_DENOMINATORS = (10**3, 10**6, 10**9, None)
"""Rationalisation attempts for floating points: short fractions first, then the float's exact value."""


@dataclass(frozen=True)
class ConeFeasibility:
    """Whether an open cone ``{v : a_i·v > 0}`` is empty, with the exact evidence.

    Attributes
    ----------
    status
        ``"nonempty"``, ``"empty"`` or ``"undecided"``.
    point
        For ``"nonempty"``: a rational ``v`` with every ``a_i·v > 0``.
    multipliers
        For ``"empty"``: rational ``y ≥ 0``, ``Σ y = 1``, ``Σ y_i a_i = 0``.
    reason
        For ``"undecided"``: what could not be re-established.
    """

    status: str
    point: tuple[Fraction, ...] | None = None
    multipliers: tuple[Fraction, ...] | None = None
    reason: str = ""


@dataclass(frozen=True)
class Projection:
    """The exact nearest point ``g`` of the closed cone ``{v : a_i·v ≥ 0}`` to ``c``.

    ``g = c + Σ y_i a_i`` with ``y ≥ 0``, ``a_i·g ≥ 0`` and ``y_i (a_i·g) = 0``; ``distance2 = ‖g − c‖²``.
    """

    nearest: tuple[Fraction, ...]
    multipliers: tuple[Fraction, ...]
    distance2: Fraction


def dot(a: Sequence[Fraction | int], b: Sequence[Fraction | int]) -> Fraction:
    """Exact inner product."""
    return Fraction(sum((x * y for x, y in zip(a, b) if x and y), Fraction(0)))


def combine(rows: Rows, y: Sequence[Fraction | int], d: int) -> list[Fraction]:
    """``Σ y_i a_i`` exactly (``d`` is the dimension, needed when there are no rows)."""
    h = [Fraction(0)] * d
    for a, w in zip(rows, y):
        if w:
            for k, v in enumerate(a):
                if v:
                    h[k] += w * v
    return h


def is_interior(rows: Rows, v: Sequence[Fraction | int]) -> bool:
    """Whether ``a_i·v > 0`` for every row, exactly.

    >>> is_interior([[1, 0], [0, 1]], [Fraction(1, 2), 3])
    True
    """
    return all(dot(a, v) > 0 for a in rows)


def is_gordan(rows: Rows, y: Sequence[Fraction | int], d: int) -> bool:
    """Whether ``y`` is a Gordan–Farkas certificate that the open cone is empty, exactly.

    >>> is_gordan([[1], [-2]], [2, 1], 1)
    True
    """
    return (len(y) == len(rows) and all(w >= 0 for w in y) and any(w > 0 for w in y)
            and not any(combine(rows, y, d)))


def excludes_ball(rows: Rows, y: Sequence[Fraction | int], centre: Sequence[Fraction | int],
                  radius: Fraction | int) -> bool:
    """Whether ``y`` proves that the open cone misses the closed ball ``B(centre, radius)``, exactly.

    Checks ``y ≥ 0``, ``y ≠ 0`` and, with ``h = Σ y_i a_i``, ``h·c ≤ 0`` and ``(h·c)² ≥ R²‖h‖²``.

    >>> excludes_ball([[1]], [1], [-2], 2), excludes_ball([[1]], [1], [-2], 3)
    (True, False)
    """
    if len(y) != len(rows) or any(w < 0 for w in y) or not any(w > 0 for w in y):
        return False
    h = combine(rows, y, len(centre))
    hc = dot(h, centre)
    return hc <= 0 and hc * hc >= Fraction(radius) ** 2 * dot(h, h)


def is_projection(rows: Rows, centre: Sequence[Fraction | int], p: Projection) -> bool:
    """Whether ``p`` satisfies the exact KKT conditions of the projection of ``centre`` onto the cone."""
    if len(p.multipliers) != len(rows) or any(w < 0 for w in p.multipliers):
        return False
    g = [Fraction(c) + h for c, h in zip(centre, combine(rows, p.multipliers, len(centre)))]
    if tuple(g) != p.nearest:
        return False
    values = [dot(a, g) for a in rows]
    if any(v < 0 for v in values) or any(w and v for w, v in zip(p.multipliers, values)):
        return False
    return p.distance2 == sum(((x - Fraction(c)) ** 2 for x, c in zip(g, centre)), Fraction(0))


def open_cone(rows: Rows, d: int) -> ConeFeasibility:
    """Decide whether ``{v ∈ Q^d : a_i·v > 0 for all i}`` is empty.

    Parameters
    ----------
    rows
        The normals ``a_i`` (rationals).
    d
        The dimension.

    Returns
    -------
    ConeFeasibility
        With an exact interior point, an exact Gordan–Farkas certificate, or ``"undecided"``.

    Examples
    --------
    >>> open_cone([[1, 0], [0, 1]], 2).status
    'nonempty'
    >>> r = open_cone([[1, 1], [-1, -1]], 2)
    >>> r.status, r.multipliers
    ('empty', (Fraction(1, 2), Fraction(1, 2)))

    Notes
    -----
    One LP: maximise ``t`` subject to ``â_i·v ≥ t`` (rows scaled to unit length), ``|v_k| ≤ 1``,
    ``t ≤ 1``. A positive optimum gives a point to rationalise; an optimum ``0`` has a dual ``y`` with
    ``Σ y_i â_i = 0``, whose support is re-solved exactly (a vertex of ``{y ≥ 0, Σ y_i a_i = 0,
    Σ y = 1}``). Cost: one HiGHS solve of size ``m × (d+1)`` plus exact work on the support.
    """
    rows = [[Fraction(v) for v in a] for a in rows]
    if not rows:
        return ConeFeasibility("nonempty", point=tuple([Fraction(0)] * d))
    for i, a in enumerate(rows):
        if not any(a):
            return ConeFeasibility("empty", multipliers=tuple(Fraction(int(k == i)) for k in range(len(rows))))
    A = np.array([[float(v) for v in a] for a in rows], dtype=float).reshape(len(rows), d)
    norms = np.linalg.norm(A, axis=1)
    if not np.all(np.isfinite(norms)) or np.any(norms == 0):
        return ConeFeasibility("undecided", reason="normals do not fit in floating point")
    Ahat = A / norms[:, None]
    m = len(rows)
    cost = np.zeros(d + 1)
    cost[-1] = -1.0
    res = linprog(cost, A_ub=np.hstack([-Ahat, np.ones((m, 1))]), b_ub=np.zeros(m),
                  bounds=[(-1.0, 1.0)] * d + [(None, 1.0)], method="highs")
    if res.status != 0:
        return ConeFeasibility("undecided", reason=f"the LP oracle failed ({res.message})")
    if res.x[-1] > 1e-9:
        for v in _rationalised(res.x[:d]):
            if is_interior(rows, v):
                return ConeFeasibility("nonempty", point=v)
    y_float = np.abs(res.ineqlin.marginals) / norms
    y = _gordan_repair(rows, d, y_float)
    if y is not None:
        return ConeFeasibility("empty", multipliers=y)
    return ConeFeasibility("undecided", reason="neither an interior point nor a Farkas certificate was re-established")


def project(rows: Rows, centre: Sequence[Fraction | int]) -> Projection | None:
    """The exact projection of ``centre`` onto the closed cone ``{v : a_i·v ≥ 0}``, or ``None``.

    Examples
    --------
    >>> p = project([[1, 0]], [-3, 4])
    >>> p.nearest, p.multipliers, p.distance2
    ((Fraction(0, 1), Fraction(4, 1)), (Fraction(3, 1),), Fraction(9, 1))

    Notes
    -----
    By Moreau's decomposition the nearest point is ``c + Aᵀy`` for ``y`` minimising ``‖c + Aᵀy‖`` over
    ``y ≥ 0`` (a non-negative least-squares problem, solved in floating point by ``nnls``). The support
    of ``y`` is then re-solved exactly, ``(A_S A_Sᵀ) y_S = −A_S c``, and the KKT conditions are checked
    exactly; ``None`` if they fail.
    """
    c = [Fraction(v) for v in centre]
    rows = [[Fraction(v) for v in a] for a in rows]
    d = len(c)
    if all(dot(a, c) >= 0 for a in rows):
        return Projection(tuple(c), tuple([Fraction(0)] * len(rows)), Fraction(0))
    A = np.array([[float(v) for v in a] for a in rows], dtype=float).reshape(len(rows), d)
    try:
        y_float, _ = nnls(A.T, -np.array([float(v) for v in c]), maxiter=50 * max(len(rows), 1))
    except RuntimeError:
        return None
    support = _support(y_float)
    if not support:
        return None
    AS = [rows[i] for i in support]
    G = [[dot(a, b) for b in AS] for a in AS]
    yS = solve(G, [-dot(a, c) for a in AS])
    if yS is None or any(v < 0 for v in yS):
        return None
    y = _spread(support, yS, len(rows))
    g = tuple(ci + hi for ci, hi in zip(c, combine(rows, y, d)))
    p = Projection(g, tuple(y), sum(((x - ci) ** 2 for x, ci in zip(g, c)), Fraction(0)))
    return p if is_projection(rows, c, p) else None


def _rationalised(x: np.ndarray) -> Iterator[tuple[Fraction, ...]]:
    """Rational candidates near a floating vector, shortest first."""
    for q in _DENOMINATORS:
        yield tuple(Fraction(float(v)).limit_denominator(q) if q else Fraction(float(v)) for v in x)


def _gordan_repair(rows: Sequence[Sequence[Fraction | int]], d: int, y_float: np.ndarray) -> tuple[Fraction, ...] | None:
    """An exact Gordan certificate on the support of a floating one (``Σ y = 1``), or ``None``."""
    if not np.all(np.isfinite(y_float)) or y_float.max(initial=0.0) <= 0:
        return None
    support = _support(y_float)
    # columns [a_i; 1] for i in the support; unknowns y_S; equations Σ y_i a_i = 0, Σ y_i = 1
    M = [[rows[i][k] for i in support] for k in range(d)] + [[Fraction(1)] * len(support)]
    b = [Fraction(0)] * d + [Fraction(1)]
    # normal equations pick a solution; free variables (dependent columns) are set to zero
    MtM = [[sum((M[r][p] * M[r][q] for r in range(d + 1)), Fraction(0)) for q in range(len(support))]
           for p in range(len(support))]
    Mtb = [sum((M[r][p] * b[r] for r in range(d + 1)), Fraction(0)) for p in range(len(support))]
    yS = solve(MtM, Mtb)
    if yS is None:
        return None
    y = _spread(support, yS, len(rows))
    return tuple(y) if is_gordan(rows, y, d) else None


def _support(y_float: np.ndarray) -> list[int]:
    """Indices of the entries of floating multipliers above 10⁻⁹ of the largest, largest first."""
    top = float(y_float.max()) if len(y_float) else 0.0
    return sorted((i for i in range(len(y_float)) if y_float[i] > 1e-9 * top), key=lambda i: -y_float[i])


def _spread(support: list[int], values: list[Fraction], m: int) -> list[Fraction]:
    """The length-``m`` vector with ``values`` at the ``support`` indices and ``0`` elsewhere."""
    y = [Fraction(0)] * m
    for i, v in zip(support, values):
        y[i] = v
    return y
