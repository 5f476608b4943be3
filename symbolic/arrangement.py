"""Central hyperplane arrangements: every region with integer witnesses, or the regions meeting a ball.

A **central arrangement** is a finite set of hyperplanes ``{v ∈ Q^d : n_k·v = 0}`` through the origin,
given by integer normals ``n_k``; its regions are the open cones where every ``n_k·v`` has a fixed strict
sign. (The first-layer weights of one ReLU unit live in such an arrangement: one hyperplane per distinct
sample direction ``x̃_j``; see :mod:`symbolic.regions`.)

- :func:`arrangement_cells`: every region and every facet, by exact integer arithmetic (no LP), and
  complete by construction; :func:`general_position_count` is the classical count to compare with.
- :func:`ball_cells`: the regions that meet a closed ball, with exact distances, and for every rejected
  neighbour an exact certificate from :mod:`symbolic.lp` that it is empty or misses the ball.
- :func:`prefix_split`: every region as a full sign string, by a tree of sign prefixes, and every empty
  prefix with a Gordan vector (the form a certificate's case split takes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cmp_to_key
from typing import Any, Callable, Sequence, TypeVar

import numpy as np
from flint import fmpq_mat
from scipy.optimize import linprog, nnls

from .linalg import nullspace, solve, to_fmpq, to_fraction
from .lp import Projection, dot, excludes_ball, open_cone, project


# ---------------------------------------------------------------------------------------------------
# every region, with integer witnesses, by restriction to each hyperplane

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


Facet = tuple[int, int, int, tuple[int, ...]]
"""``(region a, region b, hyperplane k, a point of the facet)``."""


def _cells(normals: Sequence[tuple[int, ...]], d: int, limit: int | None, want_facets: bool,
           progress: Callable[[int, int], None] | None = None
           ) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]], list[Facet]]:
    """Witnesses, signs and (optionally) facets of the arrangement of distinct primitive normals."""
    m = len(normals)
    if m == 0:
        return [(0,) * d], [()], []
    if d == 1:
        return [(1,), (-1,)], [(1,), (-1,)], [(0, 1, 0, (0,))]
    A = _matrix(normals)
    wits: list[tuple[int, ...]] = []
    index: dict[Any, int] = {}  # keys: the sign rows' bytes
    facets: list[Facet] = []
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


def _planar(normals: Sequence[tuple[int, ...]]) -> list[tuple[int, ...]]:
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


def _matrix(rows: Sequence[Sequence[int]]) -> np.ndarray:
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
            product: np.ndarray = X @ Y
            return product
    exact: np.ndarray = np.dot(X.astype(object), Y.astype(object))
    return exact


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
            excluded.append(BallExclusion(signs, "empty", _given(cone.multipliers)))
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
        cells.append(BallCell(signs, _given(cone.point), proj))
        for k in reachable:
            flip = signs[:k] + (-signs[k],) + signs[k + 1:]
            if flip not in seen:
                seen.add(flip)
                queue.append(flip)
    if not cells or cells[0].signs != start:
        # the start region contains c + δ·generic for small δ > 0, so it must have been accepted
        undecided.append(start)
    return BallCells(tuple(cells), tuple(excluded), tuple(undecided), reachable)


_T = TypeVar("_T")


def _given(x: _T | None) -> _T:
    """The evidence that a decided cone always carries (``point`` when nonempty, ``multipliers`` when empty)."""
    if x is None:
        raise ArithmeticError("arrangement: a decided cone came without its evidence")
    return x


# ---------------------------------------------------------------------------------------------------
# every region as a sign string, by a tree of sign prefixes, with a Gordan vector for each empty prefix

@dataclass(frozen=True)
class PrefixSplit:
    """:func:`prefix_split`: the regions of an arrangement as sign strings, and the empty prefixes.

    Attributes
    ----------
    cells
        Full sign strings, ``'1'`` for ``a_m·v > 0`` and ``'0'`` for ``a_m·v < 0``, one per nonempty
        region, in depth-first order (``'1'`` before ``'0'``).
    empty
        ``(signs, y)``: a prefix padded with ``'*'`` whose cone is empty, and its Gordan vector over the
        prefix, primitive integers (``y ≥ 0``, ``y ≠ 0``, ``Σ_m y_m s_m a_m = 0``, ``s_m = ±1`` for ``'1'``/``'0'``).
    """

    cells: tuple[str, ...]
    empty: tuple[tuple[str, tuple[int, ...]], ...]


def prefix_split(rows: Sequence[Sequence[Fraction | int]], limit: int | None = None,
                 report: Callable[[int], None] | None = None) -> PrefixSplit:
    """The regions of ``{v : a_m·v ≠ 0}`` by a case split over the signs of ``a_0, a_1, …`` in turn.

    Parameters
    ----------
    rows
        The normals ``a_m`` (rationals; zero, repeated and proportional rows are allowed).
    limit
        Raise :class:`RegionLimit` once more than ``limit`` regions are found, before any Gordan work.
    report
        Called with the number of regions found so far, every 100 regions (progress for long splits).

    Examples
    --------
    ``v > 0``, then ``−v``: the prefix ``'11'`` is empty (``1·v + 1·(−v) = 0``), and so is ``'00'``.

    >>> s = prefix_split([[1], [-1]])
    >>> s.cells, s.empty
    (('10', '01'), (('11', (1, 1)), ('00', (1, 1))))

    Notes
    -----
    A node of the tree is a prefix whose open cone ``C = {s_m a_m·v > 0, m < k}`` is nonempty, with an
    exact integer point ``v`` of it. The point decides one child for free (the sign of ``a_k·v``; if
    ``a_k·v = 0`` and ``a_k ≠ 0``, both children contain ``M·v ± a_k`` for ``M`` large). The other child
    ``C ∩ {σ a_k·v > 0}`` is empty iff ``−σ a_k`` lies in the cone spanned by the ``s_m a_m`` (Gordan;
    ``C ≠ ∅``). One float non-negative least-squares solve projects ``−σ a_k`` onto that cone: a zero
    residual leaves a leaf with the solve's support as a hint; otherwise the residual ``w`` lies in the
    closure of ``C`` with ``σ a_k·w > 0``, and an exact point ``w + τ v`` of the child is computed
    (an LP is the fallback). Only after the whole tree is counted (and ``limit`` respected) does each leaf
    get its Gordan vector, solved exactly on the hint's support, else by an LP (:func:`gordan_vector`).
    A leaf whose Gordan vector cannot be re-established is split further without a point, like a
    nonempty prefix. Every listed cell thus has an exact interior point and every empty entry an exact
    Gordan vector. Cost: one small NNLS per tree node (``O(m·d)`` regions deep ``m``), where the split
    it replaces solved a general LP at every node and another for every empty prefix.
    """
    normals = [n for n, _ in map(_integral, rows)]
    scales = [c for _, c in map(_integral, rows)]
    m = len(normals)
    unit = _unit_rows(rows)
    cells: list[str] = []
    leaves: list[tuple[str, list[int] | None]] = []

    def grow(prefix: str, point: tuple[int, ...] | None) -> None:
        stack = [(prefix, point)]
        while stack:
            prefix, point = stack.pop()
            if len(prefix) == m:
                cells.append(prefix)
                if report is not None and len(cells) % 100 == 0:
                    report(len(cells))
                if limit is not None and len(cells) > limit:
                    raise RegionLimit(f"more than {limit} regions")
                continue
            children, hint = _children(normals, unit, prefix, point)
            for s in "01":  # '0' pushed first, so that '1' is split first
                if s in children:
                    stack.append((prefix + s, children[s]))
                else:
                    leaves.append((prefix + s, hint))

    grow("", (0,) * len(normals[0]) if normals else ())
    empty: list[tuple[str, tuple[int, ...]]] = []
    while leaves:
        prefix, hint = leaves.pop()
        y = (_gordan_on(normals, scales, prefix, hint) if hint is not None else None) or gordan_vector(rows, prefix)
        if y is None:  # not provably empty: split it like a nonempty prefix, without a point
            grow(prefix, None)
        else:
            empty.append((prefix + "*" * (m - len(prefix)), y))
    cells.sort(reverse=True)  # depth-first order with '1' first is reverse lexicographic order
    empty.sort(key=lambda e: e[0], reverse=True)
    return PrefixSplit(tuple(cells), tuple(empty))


def gordan_vector(rows: Sequence[Sequence[Fraction | int]], prefix: str) -> tuple[int, ...] | None:
    """Primitive integers ``y ≥ 0``, ``y ≠ 0`` with ``Σ_m y_m s_m a_m = 0`` over ``prefix`` (``s_m = ±1``), or ``None``.

    One LP finds a float ``y``; the null space of its support's columns is then computed exactly and a
    non-negative vector of it near the float one (the null space's own vector when it is a line) is kept.

    >>> gordan_vector([[1, 0], [-2, 0], [0, 1]], "11")
    (2, 1)
    """
    k = len(prefix)
    M = [[Fraction(v) if s == "1" else -Fraction(v) for v in rows[i]] for i, s in enumerate(prefix)]
    d = len(M[0])
    Mf = np.array([[float(v) for v in row] for row in M]).T
    res = linprog(np.zeros(k), A_eq=np.r_[Mf, np.ones((1, k))], b_eq=np.r_[np.zeros(d), 1.0],
                  bounds=[(0, None)] * k, method="highs")
    if res.status != 0:
        return None
    support = [i for i in range(k) if res.x[i] > 1e-9]
    # the exact null space of the support's columns, and a positive vector in it near the float one
    basis = nullspace(fmpq_mat(d, len(support), [to_fmpq(M[i][r]) for r in range(d) for i in support]))
    if not basis:
        return None
    exact = [[to_fraction(v) for v in vec] for vec in basis]
    if len(exact) == 1:  # a one-dimensional null space: its vector, signed to be ≥ 0 if it can be
        ys = exact[0] if next(v for v in exact[0] if v) > 0 else [-v for v in exact[0]]
    else:
        coef = np.linalg.lstsq(np.array([[float(v) for v in vec] for vec in exact]).T, res.x[support], rcond=None)[0]
        ys = [sum((_dyadic(float(cf)) * vec[r] for cf, vec in zip(coef, exact)), Fraction(0))
              for r in range(len(support))]
    if any(v < 0 for v in ys) or not any(ys):
        return None
    y = [Fraction(0)] * k
    for i, v in zip(support, ys):
        y[i] = v
    return _primitive_ints(y)


def _children(normals: list[tuple[int, ...]], unit: np.ndarray, prefix: str, point: tuple[int, ...] | None
              ) -> tuple[dict[str, tuple[int, ...] | None], list[int] | None]:
    """The children of a nonempty prefix in which a point was found (``'1'``/``'0'`` to the point, ``None``
    when the prefix had none), and for a missing child the support of its likely Gordan vector, if known."""
    k = len(prefix)
    a = normals[k]
    if point is None:
        return {s: q for s in "10" if any(a) and (q := _lp_point(normals, unit, prefix + s)) is not None}, None
    side = _sign(_idot(a, point))
    if not side:
        if not any(a):
            return {}, []  # a zero normal: both children are empty (y = e_k)
        M = 1 + max((abs(_idot(b, a)) // abs(_idot(b, point)) for b in normals[:k]), default=0)
        return {"1": _reduced([M * x + y for x, y in zip(point, a)]),
                "0": _reduced([M * x - y for x, y in zip(point, a)])}, None
    near, other = ("1", "0") if side > 0 else ("0", "1")
    signs = np.array([1.0 if s == "1" else -1.0 for s in prefix])
    A = (unit[:k] * signs[:, None]).T
    b = side * unit[k]  # the other child is empty iff σ a_k (σ = side) lies in the cone of the s_m a_m
    y, residual = nnls(A, b) if k else (np.zeros(0), float(np.linalg.norm(b)))
    if residual <= 1e-9:
        top = float(y.max(initial=0.0))
        return {near: point}, [i for i in range(k) if y[i] > 1e-12 * top]
    crossed = _past(normals, prefix, point, A @ y - b)
    if crossed is None:
        crossed = _lp_point(normals, unit, prefix + other)
    return ({near: point, other: crossed} if crossed is not None else {near: point}), None


def _past(normals: list[tuple[int, ...]], prefix: str, v: tuple[int, ...], w: np.ndarray) -> tuple[int, ...] | None:
    """An exact point ``W + τ·v`` of the prefix's cone on the far side of ``a_k`` from ``v``, where ``W`` rounds
    ``w`` (a point of the cone's closure across ``a_k``); ``None`` when no ``τ`` works."""
    scale = float(np.abs(w).max())
    if not scale > 0:
        return None
    W = [int(round(x / scale * 2 ** 40)) for x in w]
    a = normals[len(prefix)]
    cross, side = _idot(a, W), _idot(a, v)
    if cross * side >= 0:
        return None
    hi = Fraction(abs(cross), abs(side))  # τ < hi keeps the far side of a_k
    lo = Fraction(0)
    for b, s in zip(normals, prefix):
        sb = 1 if s == "1" else -1
        bw = sb * _idot(b, W)
        if bw <= 0:  # τ·(s_b b·v) must exceed −s_b b·W
            lo = max(lo, Fraction(-bw, sb * _idot(b, v)))
            if lo >= hi:
                return None
    tau = (lo + hi) / 2
    return _reduced([tau.denominator * x + tau.numerator * y for x, y in zip(W, v)])


def _gordan_on(normals: list[tuple[int, ...]], scales: list[int], prefix: str, support: list[int]
               ) -> tuple[int, ...] | None:
    """The exact Gordan vector of ``prefix`` on ``support ∪ {k}`` (``k`` its last index), for the rows
    ``a_m = normals[m] / scales[m]``, if ``Σ_{m∈support} z_m s_m n_m = −s_k n_k`` has a solution ``z ≥ 0``
    (free variables zero); primitive integers."""
    k = len(prefix) - 1
    sg = [1 if s == "1" else -1 for s in prefix]
    d = len(normals[k])
    if support:
        sol = solve([[sg[i] * normals[i][r] for i in support] for r in range(d)], [-sg[k] * x for x in normals[k]])
    else:
        sol = None if any(normals[k]) else []
    if sol is None or any(v < 0 for v in sol):
        return None
    den = math.lcm(*(v.denominator for v in sol))
    z = [0] * (k + 1)
    z[k] = den
    for i, v in zip(support, sol):
        z[i] = int(v * den)
    if any(sum(z[i] * sg[i] * normals[i][r] for i in support) + den * sg[k] * normals[k][r] for r in range(d)):
        return None
    return _primitive_ints([x * c for x, c in zip(z, scales)])  # Σ z_m s_m n_m = Σ (z_m c_m) s_m a_m


def _lp_point(normals: list[tuple[int, ...]], unit: np.ndarray, prefix: str) -> tuple[int, ...] | None:
    """Float screen: max ``t`` with ``s_m â_m·v ≥ t``, ``|v|_∞ ≤ 1``; a positive optimum is rounded to an integer
    point and re-checked exactly (``None`` when the LP or the check fails)."""
    k, d = len(prefix), unit.shape[1]
    signs = np.array([1.0 if s == "1" else -1.0 for s in prefix])
    S = unit[:k] * signs[:, None]
    res = linprog(np.r_[np.zeros(d), -1.0], A_ub=np.c_[-S, np.ones(k)], b_ub=np.zeros(k),
                  bounds=[(-1, 1)] * d + [(None, 1)], method="highs")
    if res.status != 0 or not -res.fun > 1e-9:
        return None
    for bits in (20, 40, 60):
        v = [int(round(x * 2 ** bits)) for x in res.x[:d]]
        if all((_idot(b, v) > 0) == (s == "1") and _idot(b, v) != 0 for b, s in zip(normals, prefix)):
            return _reduced(v) if any(v) else None
    return None


def _integral(a: Sequence[Fraction | int]) -> tuple[tuple[int, ...], int]:
    """``(c·a, c)`` with ``c > 0`` the least integer making the rational vector ``a`` integral."""
    fr = [Fraction(x) for x in a]
    den = math.lcm(*(x.denominator for x in fr)) if fr else 1
    return tuple(int(x * den) for x in fr), den


def _primitive_ints(y: Sequence[Fraction | int]) -> tuple[int, ...]:
    """The primitive integer vector on the ray of a nonzero rational ``y`` (a positive multiple of it)."""
    den = math.lcm(*(Fraction(v).denominator for v in y))
    ints = [int(v * den) for v in y]
    g = math.gcd(*ints)
    return tuple(x // g for x in ints)


def _unit_rows(rows: Sequence[Sequence[Fraction | int]]) -> np.ndarray:
    """The rows in floating point, scaled to unit length (zero rows stay zero)."""
    A = np.array([[float(x) for x in a] for a in rows], dtype=float).reshape(len(rows), len(rows[0]) if rows else 0)
    norms = np.linalg.norm(A, axis=1)
    norms[norms == 0] = 1.0
    return np.asarray(A / norms[:, None])


def _idot(a: Sequence[int], b: Sequence[int]) -> int:
    return sum(x * y for x, y in zip(a, b))


def _sign(x: int) -> int:
    return (x > 0) - (x < 0)


def _dyadic(x: float) -> Fraction:
    """``x`` rounded to a multiple of ``2^-40``."""
    return Fraction(round(Fraction(x) * 2 ** 40), 2 ** 40)
