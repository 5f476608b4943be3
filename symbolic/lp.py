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

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cmp_to_key
from typing import Callable, Sequence

import numpy as np
from scipy.optimize import linprog, nnls

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
    return sum((x * y for x, y in zip(a, b) if x and y), Fraction(0))


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
    scale = float(np.max(y_float)) if len(y_float) else 0.0
    support = sorted((i for i in range(len(rows)) if y_float[i] > 1e-9 * scale), key=lambda i: -y_float[i])
    if not support:
        return None
    AS = [rows[i] for i in support]
    G = [[dot(a, b) for b in AS] for a in AS]
    yS = _solve(G, [-dot(a, c) for a in AS])
    if yS is None or any(v < 0 for v in yS):
        return None
    y = [Fraction(0)] * len(rows)
    for i, v in zip(support, yS):
        y[i] = v
    g = tuple(ci + hi for ci, hi in zip(c, combine(rows, y, d)))
    p = Projection(g, tuple(y), sum(((x - ci) ** 2 for x, ci in zip(g, c)), Fraction(0)))
    return p if is_projection(rows, c, p) else None


def _rationalised(x: np.ndarray):
    """Rational candidates near a floating vector, shortest first."""
    for q in _DENOMINATORS:
        yield tuple(Fraction(float(v)).limit_denominator(q) if q else Fraction(float(v)) for v in x)


def _gordan_repair(rows: list[list[Fraction]], d: int, y_float: np.ndarray) -> tuple[Fraction, ...] | None:
    """An exact Gordan certificate on the support of a floating one (``Σ y = 1``), or ``None``."""
    if not np.all(np.isfinite(y_float)) or y_float.max(initial=0.0) <= 0:
        return None
    top = float(y_float.max())
    support = sorted((i for i in range(len(rows)) if y_float[i] > 1e-9 * top), key=lambda i: -y_float[i])
    # columns [a_i; 1] for i in the support; unknowns y_S; equations Σ y_i a_i = 0, Σ y_i = 1
    M = [[rows[i][k] for i in support] for k in range(d)] + [[Fraction(1)] * len(support)]
    b = [Fraction(0)] * d + [Fraction(1)]
    # normal equations pick a solution; free variables (dependent columns) are set to zero
    MtM = [[sum((M[r][p] * M[r][q] for r in range(d + 1)), Fraction(0)) for q in range(len(support))]
           for p in range(len(support))]
    Mtb = [sum((M[r][p] * b[r] for r in range(d + 1)), Fraction(0)) for p in range(len(support))]
    yS = _solve(MtM, Mtb)
    if yS is None:
        return None
    y = [Fraction(0)] * len(rows)
    for i, v in zip(support, yS):
        y[i] = v
    return tuple(y) if is_gordan(rows, y, d) else None


def _solve(G: list[list[Fraction]], r: list[Fraction]) -> list[Fraction] | None:
    """A solution of ``G z = r`` over QQ (free variables zero), or ``None`` if inconsistent."""
    n, m = len(G), len(G[0]) if G else 0
    a = [list(row) + [rv] for row, rv in zip(G, r)]
    pivots, row = [], 0
    for col in range(m):
        piv = next((k for k in range(row, n) if a[k][col]), None)
        if piv is None:
            continue
        a[row], a[piv] = a[piv], a[row]
        p = a[row][col]
        a[row] = [v / p for v in a[row]]
        for k in range(n):
            if k != row and a[k][col]:
                f = a[k][col]
                a[k] = [v - f * w for v, w in zip(a[k], a[row])]
        pivots.append(col)
        row += 1
        if row == n:
            break
    if any(a[k][m] for k in range(row, n)):
        return None
    z = [Fraction(0)] * m
    for k, col in enumerate(pivots):
        z[col] = a[k][m]
    return z


# ---------------------------------------------------------------------------------------------------
# central arrangements: every region, with integer witnesses, by restriction to each hyperplane

@dataclass(frozen=True)
class Arrangement:
    """The regions and facets of a central arrangement ``{v ∈ Q^d : n_k·v = 0}``, ``k = 0..m−1``.

    Attributes
    ----------
    normals
        The distinct hyperplanes as primitive integer normals (first nonzero entry positive).
    signs
        ``signs[r][k] ∈ {1, −1}``: the sign of ``n_k·v`` on region ``r``.
    witnesses
        ``witnesses[r]``: an integer point of region ``r`` (every ``n_k·v`` nonzero with that sign).
    facets
        ``(r_plus, r_minus, k, q)``: regions ``r_plus`` (``n_k·v > 0``) and ``r_minus`` share the facet of
        hyperplane ``k`` that contains the integer point ``q`` (``n_k·q = 0``, every other sign strict).
    """

    normals: tuple[tuple[int, ...], ...]
    signs: tuple[tuple[int, ...], ...]
    witnesses: tuple[tuple[int, ...], ...]
    facets: tuple[tuple[int, int, int, tuple[int, ...]], ...]


class RegionLimit(Exception):
    """Raised inside :func:`arrangement_cells` when an arrangement has more regions than allowed."""


def primitive(v: Sequence[Fraction | int]) -> tuple[tuple[int, ...], int, Fraction] | None:
    """``(n, σ, λ)`` with ``v = σ·λ·n``, ``n`` primitive integer (first nonzero entry positive), ``λ > 0``.

    >>> primitive([Fraction(-1, 2), 1])
    ((1, -2), -1, Fraction(1, 2))
    """
    fr = [Fraction(x) for x in v]
    if not any(fr):
        return None
    den = math.lcm(*(x.denominator for x in fr))
    ints = [int(x * den) for x in fr]
    g = math.gcd(*ints)
    sigma = 1 if next(x for x in ints if x) > 0 else -1
    return tuple(sigma * x // g for x in ints), sigma, Fraction(g, den)


def arrangement_cells(normals: Sequence[Sequence[int]], d: int, limit: int | None = None,
                      progress: Callable[[int, int], None] | None = None) -> Arrangement:
    """Every region of the central arrangement of the given integer normals in ``Q^d``, with its facets.

    Parameters
    ----------
    normals
        Nonzero integer normals; repeated and proportional ones describe the same hyperplane.
    d
        The dimension.
    limit
        Raise :class:`RegionLimit` once more than ``limit`` regions are found.
    progress
        Called as ``progress(done, total)`` after each hyperplane.

    Examples
    --------
    Two distinct lines through the origin of the plane make 4 regions and 4 facets:

    >>> a = arrangement_cells([(1, 0), (0, 2), (-3, 0)], 2)
    >>> a.normals, len(a.signs), len(a.facets)
    (((1, 0), (0, 1)), 4, 4)

    Notes
    -----
    Every region of a nonempty arrangement has a facet, and the facets on hyperplane ``H`` are the
    regions of the restricted arrangement ``{H ∩ H'}`` in ``H ≅ Q^{d−1}``, enumerated recursively
    (directly by angle in the plane). A facet's point ``q`` gives its two regions as ``M q ± n_H``, with
    the integer ``M > |n_k·n_H| / |n_k·q|`` for every other ``k`` so that no other sign changes. This is
    exact integer arithmetic throughout (no LP) and complete by the two facts above; every witness is
    re-checked by one exact product at the end. Cost: about
    ``m^{d−2}`` planar sorts of ``m`` lines for ``m`` hyperplanes, plus ``m`` sign evaluations per facet.
    """
    classes = _classes([tuple(int(x) for x in n) for n in normals])
    wits, signs, facets = _cells(classes, d, limit, True, progress)
    if classes:
        # re-check every witness exactly: regions strictly inside, facet points on their hyperplane only
        A = _matrix(classes)
        S = np.array(signs, dtype=np.int8).reshape(len(signs), len(classes))
        if not np.array_equal(np.sign(_matmul(_matrix(wits), A.T)).astype(np.int8), S):
            raise ArithmeticError("arrangement: a region witness does not have its region's signs")
        F = np.sign(_matmul(_matrix([q for _, _, _, q in facets]), A.T)).astype(np.int8)
        for row, (a, _, k, _) in zip(F, facets):
            expected = S[a].copy()
            expected[k] = 0
            if not np.array_equal(row, expected):
                raise ArithmeticError("arrangement: a facet witness is not on its facet")
    return Arrangement(tuple(classes), tuple(signs), tuple(wits), tuple(facets))


def general_position_count(n: int, d: int) -> int:
    """Regions of ``n`` central hyperplanes in general position in ``Q^d``: ``2·Σ_{k<d} C(n−1, k)``.

    >>> general_position_count(3, 2), general_position_count(4, 3)
    (6, 14)
    """
    if n == 0:
        return 1
    return 2 * sum(math.comb(n - 1, k) for k in range(d))


def _classes(normals: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Distinct hyperplanes as primitive normals, in order of first appearance."""
    seen: dict[tuple[int, ...], None] = {}
    for n in normals:
        g = math.gcd(*n)
        if g:
            if next(x for x in n if x) < 0:
                g = -g
            seen.setdefault(tuple(x // g for x in n), None)
    return list(seen)


def _cells(normals, d, limit, want_facets, progress=None):
    """Witnesses, signs and (optionally) facets of the arrangement of distinct primitive normals."""
    m = len(normals)
    if m == 0:
        return [(0,) * d], [()], []
    if d == 1:
        return [(1,), (-1,)], [(1,), (-1,)], [(0, 1, 0, (0,))]
    A = _matrix(normals)
    wits: list[tuple[int, ...]] = []
    index: dict[bytes, int] = {}
    facets = []
    for k, h in enumerate(normals):
        B = _perp_basis(h)
        restricted = _classes([tuple(sum(b * g for b, g in zip(row, n)) for row in B)
                               for j, n in enumerate(normals) if j != k])
        U = _planar(restricted) if d == 3 else _cells(restricted, d - 1, limit, False)[0]
        Q = _matmul(_matrix(U), _matrix(B))
        AQ = _matmul(Q, A.T)
        S = np.sign(AQ).astype(np.int8)
        S[:, k] = 0
        if int(np.count_nonzero(S)) != S.shape[0] * (m - 1):
            raise ArithmeticError("arrangement: a restricted region witness lies on a hyperplane")
        hn = np.abs(_matmul(A, _matrix([h]).T)[:, 0])
        hn[k] = 0
        AQ = np.abs(AQ)
        AQ[:, k] = 1
        scales = 1 + (hn[None, :] // AQ).max(axis=1)
        Qi = Q.tolist()
        pairs = []
        for s in (1, -1):
            S[:, k] = s
            keys = np.ascontiguousarray(S).view(np.dtype((np.void, m))).ravel().tolist()
            ids = []
            for r, key in enumerate(keys):
                i = index.get(key)
                if i is None:
                    i = index[key] = len(wits)
                    M = int(scales[r])
                    wits.append(_reduced([M * int(x) + s * y for x, y in zip(Qi[r], h)]))
                    if limit is not None and len(wits) > limit:
                        raise RegionLimit(f"more than {limit} regions")
                ids.append(i)
            pairs.append(ids)
        if want_facets:
            facets.extend((a, b, k, _reduced([int(x) for x in Qi[r]])) for r, (a, b) in enumerate(zip(*pairs)))
        if progress is not None:
            progress(k + 1, m)
    signs = [tuple(np.frombuffer(key, dtype=np.int8).tolist()) for key in index]
    return wits, signs, facets


def _planar(normals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """One integer point in each region of distinct lines through the origin of ``Q^2``."""
    if not normals:
        return [(0, 0)]
    if len(normals) == 1:
        (a, b), = normals
        return [(a, b), (-a, -b)]
    rays = [(-b, a) for a, b in normals] + [(b, -a) for a, b in normals]
    rays.sort(key=cmp_to_key(_angle_cmp))
    # consecutive rays are less than π apart, so their sum lies strictly between them
    return [_reduced([p[0] + q[0], p[1] + q[1]]) for p, q in zip(rays, rays[1:] + rays[:1])]


def _angle_cmp(p: tuple[int, int], q: tuple[int, int]) -> int:
    """Exact comparison of the angles of two nonzero integer vectors in ``[0, 2π)``."""
    hp, hq = (p[1] < 0 or (p[1] == 0 and p[0] < 0)), (q[1] < 0 or (q[1] == 0 and q[0] < 0))
    if hp != hq:
        return 1 if hp else -1
    cross = p[0] * q[1] - p[1] * q[0]
    return -1 if cross > 0 else (1 if cross < 0 else 0)


def _perp_basis(h: tuple[int, ...]) -> list[tuple[int, ...]]:
    """An integer basis of ``{v : h·v = 0}``: ``h_p e_i − h_i e_p`` for ``i ≠ p``."""
    d = len(h)
    p = min((i for i in range(d) if h[i]), key=lambda i: abs(h[i]))
    basis = []
    for i in range(d):
        if i != p:
            v = [0] * d
            v[i], v[p] = h[p], -h[i]
            basis.append(tuple(v))
    return basis


def _reduced(v: list[int]) -> tuple[int, ...]:
    """``v`` divided by the gcd of its entries (a positive scaling: same region)."""
    g = math.gcd(*v)
    return tuple(x // g for x in v) if g > 1 else tuple(v)


def _matrix(rows) -> np.ndarray:
    """Integer rows as int64 when safe, else as exact Python integers (dtype object)."""
    arr = np.array(rows, dtype=object)
    if arr.size and max(abs(int(x)) for x in arr.flat) < 2**31:
        return arr.astype(np.int64)
    return arr


def _matmul(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Exact integer product: int64 when no entry can overflow, else Python integers."""
    if X.dtype == np.int64 and Y.dtype == np.int64 and X.size and Y.size:
        bound = int(np.abs(X).max()) * int(np.abs(Y).max()) * X.shape[1]
        if bound < 2**62:
            return X @ Y
    return np.dot(X.astype(object), Y.astype(object))


# ---------------------------------------------------------------------------------------------------
# the regions of a central arrangement that meet a ball, with a certificate for every excluded neighbour

@dataclass(frozen=True)
class BallCell:
    """A region (``signs`` per hyperplane) meeting the ball: an interior point and the exact projection."""

    signs: tuple[int, ...]
    interior: tuple[Fraction, ...]
    projection: Projection


@dataclass(frozen=True)
class BallExclusion:
    """A neighbouring sign vector whose region misses the ball: ``multipliers`` pass :func:`excludes_ball`.

    ``kind`` is ``"empty"`` (a Gordan–Farkas certificate: the region does not exist) or ``"far"``.
    """

    signs: tuple[int, ...]
    kind: str
    multipliers: tuple[Fraction, ...]


@dataclass(frozen=True)
class BallCells:
    """:func:`ball_cells`: the regions meeting the ball, the excluded neighbours, and any undecided ones."""

    cells: tuple[BallCell, ...]
    excluded: tuple[BallExclusion, ...]
    undecided: tuple[tuple[int, ...], ...]
    reachable: tuple[int, ...]


def signed_rows(normals: Sequence[Sequence[int]], signs: Sequence[int]) -> list[list[int]]:
    """The rows ``s_k n_k`` of the open cone of a sign vector."""
    return [[s * x for x in n] for n, s in zip(normals, signs)]


def ball_cells(normals: Sequence[Sequence[int]], centre: Sequence[Fraction | int], radius: Fraction | int,
               generic: Sequence[int] | None = None) -> BallCells:
    """Every region of a central arrangement that meets the closed ball ``B(centre, radius)``, ``radius > 0``.

    Parameters
    ----------
    normals
        Distinct primitive integer normals (as in :attr:`Arrangement.normals`).
    centre, radius
        The ball.
    generic
        A direction used to leave hyperplanes through the centre (default ``(1, 2, 3, …)``, replaced
        by others while it lies on one of them).

    Examples
    --------
    The lines ``v_1 = 0`` and ``v_2 = 0`` through the centre: all four quadrants meet every ball.

    >>> b = ball_cells([(1, 0), (0, 1)], [0, 0], Fraction(1, 10))
    >>> sorted(c.signs for c in b.cells), b.excluded
    ([(-1, -1), (-1, 1), (1, -1), (1, 1)], ())

    Notes
    -----
    An open region meets the closed ball iff its distance from the centre is ``< R``, i.e. iff the exact
    projection onto its closure (:func:`project`) is nearer than ``R``. A hyperplane with
    ``(n·c)² ≥ R²‖n‖²`` is *unreachable*: its side away from the centre misses the ball (the one-row
    certificate ``y = 1`` of :func:`excludes_ball`), so such signs never change. The regions meeting the
    open ball are connected through facets inside the ball (join two witnesses by a segment that avoids
    the codimension-2 intersections), so a breadth-first search over flips of reachable hyperplanes,
    starting from the region of ``c + δ·generic``, finds them all, provided that every neighbour it rejects
    carries a certificate (``"empty"`` or ``"far"``). Neighbours that could be neither accepted nor
    rejected are returned in ``undecided``; then the list may be incomplete.
    """
    c = [Fraction(v) for v in centre]
    R2 = Fraction(radius) ** 2
    if R2 <= 0:
        raise ValueError("ball_cells: radius must be positive")
    values = [dot(n, c) for n in normals]
    reachable = tuple(k for k, (n, v) in enumerate(zip(normals, values)) if v * v < R2 * dot(n, n))
    r = list(generic) if generic is not None else list(range(1, len(c) + 1))
    while any(v == 0 and dot(n, r) == 0 for n, v in zip(normals, values)):
        r = [x * (len(c) + 1) + (i + 1) ** 2 for i, x in enumerate(r)]
    start = tuple((1 if v > 0 else -1) if v else (1 if dot(n, r) > 0 else -1) for n, v in zip(normals, values))
    cells: list[BallCell] = []
    excluded: list[BallExclusion] = []
    undecided: list[tuple[int, ...]] = []
    seen = {start}
    queue = [start]
    while queue:
        signs = queue.pop()
        rows = signed_rows(normals, signs)
        cone = open_cone(rows, len(c))
        if cone.status == "empty":
            excluded.append(BallExclusion(signs, "empty", cone.multipliers))
            continue
        proj = project(rows, c) if cone.status == "nonempty" else None
        if proj is None:
            undecided.append(signs)
            continue
        if proj.distance2 >= R2:
            if not excludes_ball(rows, proj.multipliers, c, radius):
                undecided.append(signs)
            else:
                excluded.append(BallExclusion(signs, "far", proj.multipliers))
            continue
        cells.append(BallCell(signs, cone.point, proj))
        for k in reachable:
            flip = signs[:k] + (-signs[k],) + signs[k + 1:]
            if flip not in seen:
                seen.add(flip)
                queue.append(flip)
    if not cells or cells[0].signs != start:
        # the start region contains c + δ·generic for small δ > 0, so it must have been accepted
        undecided.append(start)
    return BallCells(tuple(cells), tuple(excluded), tuple(undecided), reachable)
