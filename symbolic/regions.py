"""The activation-region graph: regions realised by some weights, and the facets between them.

A **region** is the open set of ``θ`` where every pre-activation has the strict sign of a pattern (SPEC §1).
A region is listed only with an exact rational **witness** ``θ`` whose pre-activations have exactly those
strict signs. Two regions are joined by an **edge** when they share a facet: their patterns differ
exactly on the samples of one hyperplane of one first-layer unit. The edge's witness is a rational
point where those pre-activations are ``0`` and every other one is strict. :func:`check_witness` re-checks
both kinds.

First-layer pre-activations ``z_{1,i}(x_j) = w_i·x̃_j`` are linear in ``θ``. Here ``w_i`` holds unit
``i``'s weights and bias, and ``x̃_j = (x_j, 1)`` with biases, ``x_j`` without. So each unit's weight
space carries the **central hyperplane arrangement** ``{w : w·x̃_j = 0}``, the same for every unit.
The regions of a one-hidden-layer network are the product of the units' regions; the output layer
creates none. A sample with ``x̃_j = 0`` (``x_j = 0`` without biases) has ``z ≡ 0`` in every layer.
Its bits are ``0`` and it is left out of every strictness check.

- :func:`global_regions` (one hidden layer): every region of weight space. The unit arrangement has
  ``r`` regions (:func:`symbolic.arrangement.arrangement_cells`, exact and complete), so the network has
  exactly ``r^{n_1}``. Up to ``max_regions`` of them are materialised with witnesses.
- :func:`local_regions` (any depth): the regions that meet the closed ball ``B(c, R)`` about the
  problem's point. The first layer is complete (:func:`symbolic.arrangement.ball_cells` per unit, and exact
  distances to combine the units). Deeper pre-activations are
  either proved sign-constant on the ball by exact interval arithmetic, or reported as undetermined;
  the listed regions are then only part of a stated superset, and ``complete`` is false.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Sequence

import networkx as nx
import numpy as np
from flint import fmpq, fmpq_mat

from .arrangement import RegionLimit, arrangement_cells, ball_cells, primitive, signed_rows
from .derivatives import piece_derivatives, to_fmpq, to_fraction
from .exceptions import RegionError
from .ldl import positive_definite
from .lp import excludes_ball
from .network import Pattern, forward, pattern_to_json
from .problem import Problem, params_to_json
from .rationals import canonical

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called as long enumerations advance."""

DEFAULT_MAX_REGIONS = 1000
UNIT_LIMIT = 200_000
"""Most regions one unit's arrangement may have in global mode before the enumeration stops."""


@dataclass(frozen=True)
class HessianBound:
    """``λ_min(∇²L_P) ≥ lower`` at the stated point, proved exactly; ``positive_definite`` by Sylvester."""

    at: str
    lower: Fraction
    positive_definite: bool


@dataclass(frozen=True)
class Region:
    """A region with an exact witness; ``distance2`` is the exact squared distance from the centre (local)."""

    pattern: Pattern
    witness: tuple[Fraction, ...]
    distance2: Fraction | None = None
    hessian: HessianBound | None = None


@dataclass(frozen=True)
class Edge:
    """A facet between ``regions[0]`` and ``regions[1]``: unit ``unit``'s pre-activations at ``samples`` are 0."""

    regions: tuple[int, int]
    unit: int
    samples: tuple[int, ...]
    witness: tuple[Fraction, ...]


@dataclass
class RegionGraph:
    """The result of :func:`global_regions` or :func:`local_regions`.

    ``count`` is exact when ``count_exact`` and ``edge_count`` when ``edges_exact``; otherwise they are
    lower bounds (what was found), and ``at_most`` (if known) is a proved upper bound on the regions.
    ``complete`` means every region and edge is listed with a witness and the list is proved complete.
    """

    mode: str
    count: int
    edge_count: int
    count_exact: bool
    complete: bool
    regions: list[Region]
    edges: list[Edge]
    reasons: list[str] = field(default_factory=list)
    radius: Fraction | None = None
    layers: list[dict] = field(default_factory=list)
    units: list[dict] = field(default_factory=list)
    unit_regions: int | None = None
    edges_exact: bool = True
    at_most: int | None = None


def sample_classes(problem: Problem) -> tuple[list[tuple[int, ...]], list[tuple[int, int, Fraction] | None]]:
    """The first layer's distinct hyperplanes and, per sample, ``(class, σ, λ)`` with ``x̃_j = σ·λ·n_class``.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": 0}, "data": {"inputs": [[2], [-1], [0]], "targets": [[0], [0], [0]]}})
    >>> sample_classes(p)
    ([(1,)], [(0, 1, Fraction(2, 1)), (0, -1, Fraction(1, 1)), None])
    """
    normals: list[tuple[int, ...]] = []
    index: dict[tuple[int, ...], int] = {}
    out: list[tuple[int, int, Fraction] | None] = []
    for j in range(problem.samples):
        p = primitive(xtilde(problem, j))
        if p is None:
            out.append(None)
            continue
        n, sigma, lam = p
        if n not in index:
            index[n] = len(normals)
            normals.append(n)
        out.append((index[n], sigma, lam))
    return normals, out


def xtilde(problem: Problem, j: int) -> list[Fraction]:
    """``(x_j, 1)`` with biases, ``x_j`` without."""
    return list(problem.inputs[j]) + ([Fraction(1)] if problem.biases else [])


def incoming(problem: Problem, unit: int) -> list[int]:
    """Positions in ``θ`` of first-layer unit ``unit``'s weights, then its bias."""
    n0, n1 = problem.widths[0], problem.widths[1]
    return [unit * n0 + b for b in range(n0)] + ([n1 * n0 + unit] if problem.biases else [])


def check_witness(problem: Problem, theta: Sequence[Fraction], pattern: Pattern,
                  zeros: Sequence[tuple[int, int, int]] = ()) -> bool:
    """Whether ``θ`` has exactly the strict signs of ``pattern``, except ``z = 0`` at ``zeros``.

    ``zeros`` lists ``(sample, layer, unit)`` (0-based layers) that must vanish (a facet witness).
    Samples with ``x̃_j = 0`` are skipped: their pre-activations vanish identically.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": 0}, "data": {"inputs": [[1], [-1]], "targets": [[0], [0]]}})
    >>> check_witness(p, [Fraction(2), Fraction(5)], (((1,),), ((0,),)))
    True
    >>> check_witness(p, [Fraction(0), Fraction(5)], (((1,),), ((0,),)), zeros=[(0, 0, 0), (1, 0, 0)])
    True
    """
    fw = forward(problem, problem.unflatten(list(theta)), pattern)
    must = set(zeros)
    for j, zs in enumerate(fw.preactivations):
        if not any(xtilde(problem, j)):
            continue
        for k, layer in enumerate(zs):
            for i, z in enumerate(layer):
                if (j, k, i) in must:
                    if z != 0:
                        return False
                elif z == 0 or (z > 0) != bool(pattern[j][k][i]):
                    return False
    return True


def hessian_bound(H: fmpq_mat, at: str) -> HessianBound:
    """A proved lower bound on the smallest eigenvalue of an exact symmetric matrix.

    Examples
    --------
    >>> b = hessian_bound(fmpq_mat(2, 2, [2, 1, 1, 2]), "point")
    >>> b.lower <= 1, b.lower > Fraction(99, 100), b.positive_definite
    (True, True, True)

    Notes
    -----
    A float eigenvalue ``λ̂`` screens; ``t`` is a short rational below ``λ̂`` and the exact LDLᵀ of
    ``H − tI`` (:func:`symbolic.ldl.ldl_pivots`, all pivots positive) proves ``H − tI ≻ 0``, hence ``λ_min(H) > t``. The
    margin (from ``10⁻⁷·max|H|``) grows tenfold until that holds; Gershgorin's exact bound is the last resort.
    ``positive_definite`` is Sylvester's criterion on ``H`` itself (all pivots positive).
    """
    n = H.nrows()
    pd = positive_definite(H)
    Hf = np.array([float(v) for v in H.entries()], dtype=float).reshape(n, n)
    lam = float(np.linalg.eigvalsh(Hf)[0]) if np.all(np.isfinite(Hf)) else float("nan")
    scale = max(1.0, float(np.abs(Hf).max())) if np.all(np.isfinite(Hf)) else 1.0
    if np.isfinite(lam):
        for k in range(10):
            margin = scale * 1e-7 * 10**k
            digits = max(0, -math.floor(math.log10(margin)) + 1)
            t = Fraction(math.floor((lam - margin) * 10**digits), 10**digits)
            shifted = H - fmpq_mat(n, n, [fmpq(t.numerator, t.denominator) if r == c else 0
                                          for r in range(n) for c in range(n)])
            if positive_definite(shifted):
                return HessianBound(at, t, pd)
    gersh = min(Fraction(int(H[i, i].p), int(H[i, i].q))
                - sum(abs(Fraction(int(H[i, j].p), int(H[i, j].q))) for j in range(n) if j != i) for i in range(n))
    return HessianBound(at, gersh, pd)


def piece_hessian_bound(problem: Problem, theta: Sequence[Fraction], pattern: Pattern, at: str) -> HessianBound:
    """:func:`hessian_bound` of the exact ``∇²L_P(θ)`` (``piece_derivatives``)."""
    H = piece_derivatives(problem, theta, pattern).hessian
    assert H is not None
    return hessian_bound(H, at)


def global_regions(problem: Problem, max_regions: int = DEFAULT_MAX_REGIONS, hessian: bool = True,
                   progress: Progress | None = None) -> RegionGraph:
    """Every activation region of a network with at most one hidden layer.

    Parameters
    ----------
    problem
        The problem; its point (if any) gives the output layer of every witness and the point at which
        each piece's Hessian is bounded (else the witness is used).
    max_regions
        At most this many regions are materialised (listed with witnesses, in lexicographic order of
        the units' regions); the count stays exact.
    hessian
        Whether to bound each listed piece's Hessian.
    progress
        See :data:`Progress`.

    Raises
    ------
    RegionError
        With more than one hidden layer (deeper boundaries are curved) or a negative ``max_regions``.

    Examples
    --------
    One input, no biases, samples ``x = 1`` and ``x = −1``: both hyperplanes are ``w = 0``, so each of
    the two units has 2 regions and the network ``2² = 4``:

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
    ...     "loss": {"weight_decay": 0}, "data": {"inputs": [[1], [-1]], "targets": [[0], [0]]}})
    >>> g = global_regions(p, hessian=False)
    >>> g.count, g.edge_count, g.complete
    (4, 4, True)

    Notes
    -----
    The unit arrangement's regions and facets come from :func:`symbolic.arrangement.arrangement_cells`; the
    network graph is the Cartesian product of ``n_1`` copies of the unit graph, with ``r^{n_1}`` nodes
    and ``n_1·e·r^{n_1−1}`` edges for ``r`` unit regions and ``e`` unit facets.
    """
    if problem.depth > 1:
        raise RegionError(f"regions: global mode needs at most one hidden layer (got {problem.depth})")
    if max_regions < 0:
        raise RegionError(f"regions: max_regions must be non-negative (got {max_regions})")
    base = _base_theta(problem)
    if problem.depth == 0 or problem.activation != "relu":
        return _single(problem, "global", base, base if problem.point is not None else None, hessian)
    normals, cls = sample_classes(problem)
    n1, d = problem.widths[1], problem.widths[0] + (1 if problem.biases else 0)
    report = (lambda done, total: progress("arrangement", done, total)) if progress else None
    try:
        arr = arrangement_cells(normals, d, max(max_regions, UNIT_LIMIT), report)
    except RegionLimit:
        bound = (UNIT_LIMIT + 1) ** n1
        reason = f"a unit's arrangement has more than {max(max_regions, UNIT_LIMIT)} regions; enumeration stopped"
        return RegionGraph("global", bound, 0, False, False, [], [], [reason], edges_exact=False)
    r, e = len(arr.signs), len(arr.facets)
    count = r ** n1
    K = min(count, max_regions)
    # the first K nodes use only unit regions 0 … min(r, K) − 1 (each digit of t < K is below K)
    bits = [tuple(0 if c is None else int(c[1] * arr.signs[u][c[0]] > 0) for c in cls) for u in range(min(r, K))]
    points = [_unit_scaled(arr.witnesses[u]) for u in range(min(r, K))]
    at = "point" if problem.point is not None else "witness"
    regions: list[Region] = []
    for t in range(K):
        digits = _digits(t, r, n1)
        theta = _with_units(problem, base, {i: points[u] for i, u in enumerate(digits)})
        pattern = tuple(((tuple(bits[u][j] for u in digits),)) for j in range(problem.samples))
        hb = piece_hessian_bound(problem, base if at == "point" else theta, pattern, at) if hessian else None
        regions.append(Region(pattern, tuple(theta), None, hb))
        if progress:
            progress("regions", t + 1, K)
    edges: list[Edge] = []
    by_plus: dict[int, list[tuple[int, int, tuple[int, ...]]]] = {}
    for a, b, k, q in arr.facets:
        by_plus.setdefault(a, []).append((b, k, q))
    members = {k: tuple(j for j, c in enumerate(cls) if c is not None and c[0] == k) for k in range(len(normals))}
    for t in range(K):
        digits = _digits(t, r, n1)
        for i, u in enumerate(digits):
            for b, k, q in by_plus.get(u, ()):
                t2 = t + (b - u) * r ** (n1 - 1 - i)
                if 0 <= t2 < K:
                    theta = _with_units(problem, base, {**{m: points[v] for m, v in enumerate(digits)}, i: _unit_scaled(q)})
                    edges.append(Edge((t, t2), i, members[k], tuple(theta)))
    complete = K == count
    reasons = [] if complete else [f"{count} regions exist; only the first {K} are listed (--max-regions)"]
    units = [{"regions": r, "facets": e, "hyperplanes": len(normals), "dimension": d}]
    return RegionGraph("global", count, n1 * e * r ** (n1 - 1), True, complete, regions, edges, reasons,
                       None, [{"layer": 1, "complete": True, "reason": ""}], units, r, at_most=count)


def _single(problem: Problem, mode: str, theta: list[Fraction], hess_at: list[Fraction] | None,
            hessian: bool, radius: Fraction | None = None) -> RegionGraph:
    """No ReLU boundaries (no hidden layer, or identity activations): one region, all of ``θ``-space."""
    pattern = tuple(tuple(tuple(1 for _ in range(w)) for w in problem.widths[1:-1]) for _ in problem.inputs)
    at = "point" if hess_at is not None else "witness"
    hb = piece_hessian_bound(problem, hess_at if hess_at is not None else theta, pattern, at) if hessian else None
    why = "no hidden layer" if problem.depth == 0 else "identity activations"
    return RegionGraph(mode, 1, 0, True, True, [Region(pattern, tuple(theta), Fraction(0) if radius is not None else None, hb)],
                       [], [f"one region: {why}"], radius, at_most=1)


def _base_theta(problem: Problem) -> list[Fraction]:
    """The point's ``θ``, or zeros with ones in the output layer when the problem has no point."""
    if problem.point is not None:
        return problem.flatten(problem.point)
    theta = [Fraction(0)] * problem.parameter_count
    first_out = sum(problem.layer_sizes[:-1])
    for p in range(first_out, problem.parameter_count):
        theta[p] = Fraction(1)
    return theta


def _with_units(problem: Problem, base: Sequence[Fraction], units: dict[int, Sequence[Fraction]]) -> list[Fraction]:
    """``base`` with the incoming parameters of the given first-layer units replaced."""
    theta = list(base)
    n0, n1 = problem.widths[0], problem.widths[1]
    for i, w in units.items():
        theta[i * n0: (i + 1) * n0] = w[:n0]
        if problem.biases:
            theta[n1 * n0 + i] = w[n0]
    return theta


def _unit_scaled(v: Sequence[int]) -> tuple[Fraction, ...]:
    """An integer witness scaled to max-norm 1 (a positive scaling: the same region or facet)."""
    top = max((abs(x) for x in v), default=0)
    return tuple(Fraction(x, top) if top else Fraction(0) for x in v)


def _digits(t: int, r: int, n: int) -> list[int]:
    """``t`` in base ``r`` with ``n`` digits, most significant (unit 0) first."""
    out = []
    for _ in range(n):
        t, d = divmod(t, r)
        out.append(d)
    return out[::-1]


COUNT_LIMIT = 10**6
"""Local mode stops counting combinations of the units' regions past this many."""


def local_regions(problem: Problem, radius: Fraction | int, max_regions: int = DEFAULT_MAX_REGIONS,
                  hessian: bool = True, progress: Progress | None = None) -> RegionGraph:
    """The activation regions that meet the closed ball ``B(c, R)`` about the problem's point ``c``.

    Parameters
    ----------
    problem
        The problem; it must have a point.
    radius
        ``R ≥ 0``. With ``R = 0`` the ball is ``{c}``: one region if ``c`` has no zero pre-activation,
        none otherwise.
    max_regions
        At most this many regions are materialised (nearest combinations first).
    hessian
        Whether to bound each listed piece's Hessian at ``c``.
    progress
        See :data:`Progress`.

    Raises
    ------
    RegionError
        If the radius is negative or the problem has no point.

    Examples
    --------
    ``f = v·σ(w·x)``, samples ``x = ±1``, at ``w = 0``: the kink's two sides both meet the ball.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": 1}, "data": {"inputs": [[1], [-1]], "targets": [[1], [0]]},
    ...     "point": {"weights": [[[0]], [[1]]]}})
    >>> g = local_regions(p, Fraction(1, 10), hessian=False)
    >>> g.count, g.edge_count, g.complete
    (2, 1, True)

    Notes
    -----
    A first-layer region is a product of unit cones ``C_i`` times the other coordinates, so its squared
    distance from ``c`` is ``Σ_i dist(c_i, C_i)²`` and it meets the ball iff that sum is ``< R²``
    (open region, closed ball). Each unit's regions within ``R`` come from
    :func:`symbolic.arrangement.ball_cells` with exact distances (KKT-verified projections); every neighbour they
    reject carries a certificate, so the list is complete for the first layer. A deeper pre-activation
    whose exact interval over the box ``[c − R, c + R] ⊇ B(c, R)`` excludes 0 has a constant sign on the
    ball; any other one is *undetermined*: its boundary may cross the ball along a curved surface. Then
    each listed region's deeper bits are those of its witness and ``complete`` is false.
    """
    radius = Fraction(radius)
    if radius < 0:
        raise RegionError(f"regions: radius must be non-negative (got {canonical(radius)})")
    if max_regions < 0:
        raise RegionError(f"regions: max_regions must be non-negative (got {max_regions})")
    if problem.point is None:
        raise RegionError("regions: point must be given for local mode (got a problem without one)")
    c = problem.flatten(problem.point)
    if problem.depth == 0 or problem.activation != "relu":
        return _single(problem, "local", c, c, hessian, radius)
    if radius == 0:
        return _at_centre(problem, c, hessian)
    normals, cls = sample_classes(problem)
    n1, R2 = problem.widths[1], radius * radius
    deep = _deep_signs(problem, c, radius)
    undetermined = sorted(key for key, s in deep.items() if s == 0)
    units = []
    for i in range(n1):
        units.append(ball_cells(normals, [c[p] for p in incoming(problem, i)], radius))
        if progress:
            progress("units", i + 1, n1)
    order = [sorted(range(len(u.cells)), key=lambda a, u=u: u.cells[a].projection.distance2) for u in units]
    combos, count, finished = _combinations(units, order, R2, max_regions)
    reps = {k: min(j for j, cl in enumerate(cls) if cl is not None and cl[0] == k) for k in range(len(normals))}
    members = {k: tuple(j for j, cl in enumerate(cls) if cl is not None and cl[0] == k) for k in range(len(normals))}

    ball = _Ball(problem, c, R2, normals, cls, units, deep, not undetermined)
    regions: list[Region] = []
    index: dict[tuple[int, ...], int] = {}
    exact_points: list[list[fmpq]] = []
    unresolved = 0
    for t, chosen in enumerate(combos):
        found = ball.witness(chosen)
        if found is None:
            unresolved += 1
        else:
            theta, pattern, dist2 = found
            hb = piece_hessian_bound(problem, c, pattern, "point") if hessian else None
            index[chosen] = len(regions)
            regions.append(Region(pattern, tuple(to_fraction(v) for v in theta), dist2, hb))
            exact_points.append(theta)
        if progress:
            progress("regions", t + 1, len(combos))
    edges, failed = ball.edges(members, regions, index, exact_points)

    reasons: list[str] = []
    layers = [{"layer": 1, "complete": finished and not any(u.undecided for u in units), "reason": ""}]
    if any(u.undecided for u in units):
        layers[0]["reason"] = "the LP oracle left some neighbouring regions undecided"
    if not finished:
        layers[0]["reason"] = f"more than {COUNT_LIMIT} combinations of unit regions; counting stopped"
    for k in range(1, problem.depth):
        open_ = [key for key in undetermined if key[1] == k]
        why = (f"{len(open_)} pre-activation(s) of layer {k + 1} may change sign in the ball (their exact "
               f"interval over the box around it contains 0; such boundaries are curved)") if open_ else ""
        layers.append({"layer": k + 1, "complete": not open_, "reason": why})
    reasons += [f"layer {lay['layer']}: {lay['reason']}" for lay in layers if not lay["complete"]]
    exact = finished and not undetermined and not any(u.undecided for u in units)
    if undetermined:
        reasons.append(f"every region meeting the ball is one of {count} first-layer regions combined with the "
                       f"fixed deeper signs and any signs of the {len(undetermined)} undetermined pre-activations; "
                       "listed regions take their deeper signs from their witnesses, and facets on deeper "
                       "(curved) boundaries are not listed")
    if len(combos) < count:
        reasons.append(f"{count} first-layer regions meet the ball; only {len(combos)} are listed (--max-regions)")
    if unresolved:
        reasons.append(f"{unresolved} first-layer region(s) got no witness with strict deeper signs")
    if failed:
        reasons.append(f"{failed} facet(s) between listed regions got no verified witness")
    complete = exact and len(regions) == count and not failed
    decided = finished and not any(u.undecided for u in units)
    return RegionGraph("local", count if exact else len(regions), len(edges), exact, complete, regions, edges,
                       reasons, radius, layers, [_unit_json(problem, i, normals, cls, reps, u) for i, u in enumerate(units)],
                       edges_exact=complete, at_most=count * 2 ** len(undetermined) if decided else None)


def check_unit_exclusion(problem: Problem, centre: Sequence[Fraction], radius: Fraction, unit: int,
                         bits: Sequence[int], multipliers: dict[int, Fraction]) -> bool:
    """Whether sample multipliers prove that unit ``unit``'s cone with ``bits`` misses ``B(c_i, R)``.

    The cone is ``{w : w·x̃_j > 0 if bits[j] else w·x̃_j < 0}``; the rows used are ``±x̃_j`` for the
    samples in ``multipliers`` (see :func:`symbolic.lp.excludes_ball`). Then every region whose unit
    ``unit`` has that pattern misses ``B(c, R)``, since ``‖θ − c‖ ≥ ‖w_unit − c_unit‖``.

    Examples
    --------
    Samples ``x = 1, −1`` without biases: a unit cannot be active at both (``y = (1, 1)``, Gordan).

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": 0}, "data": {"inputs": [[1], [-1]], "targets": [[0], [0]]}})
    >>> check_unit_exclusion(p, [Fraction(0), Fraction(1)], Fraction(5), 0, [1, 1], {0: Fraction(1), 1: Fraction(1)})
    True
    """
    rows = [[v if bits[j] else -v for v in xtilde(problem, j)] for j in multipliers]
    ci = [centre[p] for p in incoming(problem, unit)]
    return excludes_ball(rows, list(multipliers.values()), ci, radius)


def _at_centre(problem: Problem, c: list[Fraction], hessian: bool) -> RegionGraph:
    """``R = 0``: the ball is ``{c}``; it lies in a region iff no non-null pre-activation vanishes."""
    fw = forward(problem)
    on_boundary = [t for t in fw.boundary if any(xtilde(problem, t[0]))]
    layers = [{"layer": k + 1, "complete": True, "reason": ""} for k in range(problem.depth)]
    if on_boundary:
        return RegionGraph("local", 0, 0, True, True, [], [], [f"the point lies on {len(on_boundary)} boundary "
                           "hyperplane(s) or surface(s), so no open region contains it"], Fraction(0), layers, at_most=0)
    hb = piece_hessian_bound(problem, c, fw.pattern, "point") if hessian else None
    return RegionGraph("local", 1, 0, True, True, [Region(fw.pattern, tuple(c), Fraction(0), hb)], [], [],
                       Fraction(0), layers, at_most=1)


def _combinations(units, order, R2: Fraction, limit: int):
    """Combinations of unit cells with ``Σ d_i² < R²``: the first ``limit``, the count, and whether it finished."""
    found: list[tuple[int, ...]] = []
    count = 0
    n = len(units)
    stack: list[tuple[int, Fraction, tuple[int, ...]]] = [(0, Fraction(0), ())]
    while stack:
        i, acc, chosen = stack.pop()
        if i == n:
            count += 1
            if len(found) < limit:
                found.append(chosen)
            if count > COUNT_LIMIT:
                return found, count - 1, False
            continue
        nxt = []
        for a in order[i]:
            total = acc + units[i].cells[a].projection.distance2
            if total >= R2:
                break
            nxt.append((i + 1, total, chosen + (a,)))
        stack.extend(reversed(nxt))
    return found, count, True


class _Ball:
    """Witnesses and facet points for combinations of unit cells in one ball, checked exactly.

    With every deeper sign proved constant on the ball (``fixed``), a point of the ball is checked
    through the first layer alone (the units' linear forms); otherwise by a full exact forward pass.
    Arithmetic is ``fmpq`` (exact, and much faster than ``Fraction`` on long denominators).
    """

    def __init__(self, problem, c, R2, normals, cls, units, deep, fixed):
        self.problem, self.c, self.R2, self.normals, self.cls = problem, c, to_fmpq(R2), normals, cls
        self.units, self.deep, self.fixed = units, deep, fixed
        self.idx = [incoming(problem, i) for i in range(problem.widths[1])]
        self.cq = [to_fmpq(v) for v in c]

    def witness(self, chosen):
        """A verified witness ``(θ as fmpq, pattern, Σ d²)`` for a combination of unit cells, or ``None``."""
        fixed, moving = {}, []
        for i, a in enumerate(chosen):
            cell = self.units[i].cells[a]
            ci = [self.cq[p] for p in self.idx[i]]
            if cell.projection.distance2 == 0 and all(_fdot(r, ci) > 0 for r in signed_rows(self.normals, cell.signs)):
                fixed[i] = ci
            else:
                moving.append((i, [to_fmpq(v) for v in cell.projection.nearest], [to_fmpq(v) for v in cell.interior], ci))
        # g + ε·u lies in the open cone for every ε > 0; halve ε until the point is in the ball
        eps = fmpq(1)
        for _ in range(400):
            parts = {i: [g + eps * u for g, u in zip(gs, us)] for i, gs, us, _ in moving}
            if sum((_fdist2(parts[i], ci) for i, _, _, ci in moving), fmpq(0)) <= self.R2:
                break
            eps /= 2
        else:
            return None
        theta = list(self.cq)
        for i, w in {**fixed, **parts}.items():
            for p, v in zip(self.idx[i], w):
                theta[p] = v
        first = [tuple(0 if cl is None else int(cl[1] * self.units[i].cells[a].signs[cl[0]] > 0)
                       for i, a in enumerate(chosen)) for cl in self.cls]
        dist2 = sum((self.units[i].cells[a].projection.distance2 for i, a in enumerate(chosen)), Fraction(0))
        if self.fixed:
            deep = [tuple(tuple(int(self.deep.get((j, k, i), 0) > 0) for i in range(self.problem.widths[k + 1]))
                          for k in range(1, self.problem.depth)) for j in range(self.problem.samples)]
            pattern = tuple((first[j],) + tuple(deep[j]) for j in range(self.problem.samples))
            return (theta, pattern, dist2) if self.first_layer_ok(theta, chosen) else None
        frac = [to_fraction(v) for v in theta]
        for attempt in range(6):
            fw = forward(self.problem, self.problem.unflatten(frac))
            pattern = tuple((first[j],) + fw.pattern[j][1:] for j in range(self.problem.samples))
            if check_witness(self.problem, frac, pattern) and _dist2(frac, self.c) <= to_fraction(self.R2):
                return [to_fmpq(v) for v in frac], pattern, dist2
            # a deeper pre-activation vanishes at this witness: nudge the deeper layers' parameters a little
            frac = _nudged(self.problem, frac, self.c, to_fraction(self.R2), attempt)
        return None

    def first_layer_ok(self, theta, chosen, zero=None) -> bool:
        """``θ`` is in the ball and each unit's linear forms have its cell's signs (``0`` at ``zero = (i, k)``)."""
        if _fdist2(theta, self.cq) > self.R2:
            return False
        for i, a in enumerate(chosen):
            w = [theta[p] for p in self.idx[i]]
            for k, (n, s) in enumerate(zip(self.normals, self.units[i].cells[a].signs)):
                v = _fdot(n, w)
                if (i, k) == zero:
                    if v != 0:
                        return False
                elif v == 0 or (v > 0) != (s > 0):
                    return False
        return True

    def edges(self, members, regions, index, witnesses):
        """Edges between listed regions whose unit cells differ across one hyperplane; facet points on segments.

        Both witnesses lie in the ball and agree on every other sign, so the point of their segment
        where the flipped form vanishes lies on the shared facet, inside the ball (convexity).
        """
        edges: list[Edge] = []
        failed = 0
        lookup = [{cell.signs: a for a, cell in enumerate(u.cells)} for u in self.units]
        for chosen, t in index.items():
            for i, a in enumerate(chosen):
                signs = self.units[i].cells[a].signs
                for k in self.units[i].reachable:
                    if signs[k] < 0:
                        continue
                    b = lookup[i].get(signs[:k] + (-1,) + signs[k + 1:])
                    other = chosen[:i] + (b,) + chosen[i + 1:] if b is not None else None
                    if other not in index:
                        continue
                    t2 = index[other]
                    ra, rb = regions[t], regions[t2]
                    if any(pa[1:] != pb[1:] for pa, pb in zip(ra.pattern, rb.pattern)):
                        continue  # not a first-layer facet: the deeper signs differ too
                    wa, wb = witnesses[t], witnesses[t2]
                    va = _fdot(self.normals[k], [wa[p] for p in self.idx[i]])
                    vb = _fdot(self.normals[k], [wb[p] for p in self.idx[i]])
                    s = va / (va - vb)
                    point = [x + s * (y - x) for x, y in zip(wa, wb)]
                    if self.fixed:
                        ok = self.first_layer_ok(point, chosen, (i, k))
                        point = [to_fraction(v) for v in point]
                    else:
                        point = [to_fraction(v) for v in point]
                        ok = check_witness(self.problem, point, ra.pattern, [(j, 0, i) for j in members[k]])
                    if ok:
                        edges.append(Edge((t, t2), i, members[k], tuple(point)))
                    else:
                        failed += 1
        return edges, failed


def _fdot(n, w) -> fmpq:
    out = fmpq(0)
    for a, b in zip(n, w):
        if a:
            out += a * b
    return out


def _fdist2(a, b) -> fmpq:
    out = fmpq(0)
    for x, y in zip(a, b):
        d = x - y
        out += d * d
    return out


def _nudged(problem, theta, c, R2, attempt):
    """``θ`` with the parameters after the first layer moved by a small rational amount, inside the ball."""
    start = problem.layer_sizes[0]
    slack = R2 - _dist2(theta, c)
    step = Fraction(1, 2 ** (attempt + 3))
    while step * step * (len(theta) - start) * 16 > slack and step > Fraction(1, 2**200):
        step /= 2
    out = list(theta)
    for p in range(start, len(theta)):
        out[p] += step * ((p * 7 + attempt * 3) % 5 - 2)
    return out


def _dist2(a: Sequence[Fraction], b: Sequence[Fraction]) -> Fraction:
    return sum(((x - y) ** 2 for x, y in zip(a, b)), Fraction(0))


def _deep_signs(problem: Problem, c: Sequence[Fraction], radius: Fraction) -> dict[tuple[int, int, int], int]:
    """Signs of layer-2+ pre-activations constant on the box ``[c − R, c + R]`` (0: not proved constant).

    Exact interval arithmetic over the box, which contains the ball; keys ``(sample, layer, unit)``.
    """
    out: dict[tuple[int, int, int], int] = {}
    if problem.depth < 2:
        return out
    box = [(v - radius, v + radius) for v in c]
    P = problem.unflatten(box)
    for j, x in enumerate(problem.inputs):
        if not any(xtilde(problem, j)):
            continue
        a = [(v, v) for v in x]
        for k in range(problem.depth):
            W, b = P.weights[k], (P.biases[k] if P.biases is not None else None)
            z = []
            for i, row in enumerate(W):
                lo = hi = Fraction(0)
                for w, v in zip(row, a):
                    prods = [w[0] * v[0], w[0] * v[1], w[1] * v[0], w[1] * v[1]]
                    lo, hi = lo + min(prods), hi + max(prods)
                if b is not None:
                    lo, hi = lo + b[i][0], hi + b[i][1]
                z.append((lo, hi))
                if k >= 1:
                    out[(j, k, i)] = 1 if lo > 0 else (-1 if hi < 0 else 0)
            a = [(max(lo, Fraction(0)), max(hi, Fraction(0))) for lo, hi in z]
    return out


def _unit_json(problem, i, normals, cls, reps, cells) -> dict:
    """One unit's local evidence: its reachable samples, cells with exact distances, exclusions."""
    def bits(signs):
        return "".join("0" if cl is None else str(int(cl[1] * signs[cl[0]] > 0)) for cl in cls)

    def per_sample(y):
        return {str(reps[k]): canonical(v / cls[reps[k]][2]) for k, v in enumerate(y) if v}

    return {
        "unit": i,
        "reachable": sorted(j for j, cl in enumerate(cls) if cl is not None and cl[0] in set(cells.reachable)),
        "regions": [{"pattern": bits(cell.signs), "distance2": canonical(cell.projection.distance2),
                     "nearest": [canonical(v) for v in cell.projection.nearest],
                     "multipliers": per_sample(cell.projection.multipliers)} for cell in cells.cells],
        "excluded": [{"pattern": bits(e.signs), "kind": e.kind, "multipliers": per_sample(e.multipliers)}
                     for e in cells.excluded],
        "undecided": [bits(s) for s in cells.undecided],
    }


# ---------------------------------------------------------------------------------------------------
# output: JSON, text, GraphML (numbers are canonical rationals)

def graph_to_json(problem: Problem, graph: RegionGraph) -> dict:
    """The JSON object of ``pscert regions --json``: counts, flags, per-region and per-edge summaries."""
    out: dict = {
        "mode": graph.mode,
        "radius": canonical(graph.radius) if graph.radius is not None else None,
        "regions": graph.count,
        "edges": graph.edge_count,
        "complete": graph.complete,
        "count_exact": graph.count_exact,
        "edges_exact": graph.edges_exact,
        "regions_at_most": graph.at_most,
        "listed": len(graph.regions),
        "reasons": graph.reasons,
        "layers": graph.layers,
        "units": graph.units,
        "region_list": [_region_json(problem, t, r) for t, r in enumerate(graph.regions)],
        "edge_list": [{"regions": list(e.regions), "layer": 1, "unit": e.unit, "samples": list(e.samples),
                       "witness": params_to_json(problem.unflatten(list(e.witness)))} for e in graph.edges],
    }
    if graph.unit_regions is not None:
        out["unit_regions"] = graph.unit_regions
    return out


def graph_lines(graph: RegionGraph, show: Callable[[Fraction | None], str], rows: int = 50) -> list[str]:
    """A readable report: the counts, why the list is (in)complete, and a table of the first ``rows`` regions."""
    where = "all of weight space" if graph.mode == "global" else f"the closed ball of radius {canonical(graph.radius)} about the point"
    lines = [f"mode:       {graph.mode} ({where})"]
    exact = "exact" if graph.count_exact else "at least"
    most = f", at most {graph.at_most}" if graph.at_most is not None and not graph.count_exact else ""
    lines.append(f"regions:    {graph.count} ({exact}{most}); {len(graph.regions)} listed with witnesses")
    if graph.unit_regions is not None:
        u = graph.units[0]
        lines.append(f"per unit:   {graph.unit_regions} regions, {u['facets']} facets "
                     f"({u['hyperplanes']} hyperplanes through the origin of Q^{u['dimension']})")
    lines.append(f"edges:      {graph.edge_count} ({'exact' if graph.edges_exact else 'at least'}); "
                 f"{len(graph.edges)} listed with witnesses")
    lines.append(f"complete:   {'yes' if graph.complete else 'no'}")
    lines += [f"  note:     {r}" for r in graph.reasons]
    if graph.regions:
        shown = graph.regions[:rows]
        pats = [" ".join("|".join("".join(map(str, layer)) for layer in s) for s in r.pattern) for r in shown]
        dists = [canonical(r.distance2) if r.distance2 is not None else "-" for r in shown]
        lams = [show(r.hessian.lower) if r.hessian else "-" for r in shown]
        wp, wd, wl = (max(len(h), *map(len, col)) for h, col in
                      (("pattern (per sample)", pats), ("dist²", dists), ("λ_min(∇²L_P) ≥", lams)))
        lines.append("")
        lines.append(f"  {'id':>4}  {'pattern (per sample)':<{wp}}  {'dist²':<{wd}}  {'λ_min(∇²L_P) ≥':<{wl}}  PD")
        for t, (r, pat, dist, lam) in enumerate(zip(shown, pats, dists, lams)):
            pd = ("yes" if r.hessian.positive_definite else "no") if r.hessian else "-"
            lines.append(f"  {t:>4}  {pat:<{wp}}  {dist:<{wd}}  {lam:<{wl}}  {pd}")
        if len(graph.regions) > rows:
            lines.append(f"  … {len(graph.regions) - rows} more (use --json)")
    return lines


def graph_to_networkx(problem: Problem, graph: RegionGraph) -> nx.Graph:
    """The graph with string attributes (patterns, witnesses and bounds as JSON text), ready for GraphML."""
    G = nx.Graph(mode=graph.mode, regions=str(graph.count), edges=str(graph.edge_count),
                 complete=graph.complete, count_exact=graph.count_exact, edges_exact=graph.edges_exact)
    for t, r in enumerate(graph.regions):
        info = _region_json(problem, t, r)
        attrs = {"pattern": json.dumps(info["pattern"]), "witness": json.dumps(info["witness"])}
        if r.distance2 is not None:
            attrs["distance2"] = canonical(r.distance2)
        if r.hessian is not None:
            attrs["hessian_lower_bound"] = canonical(r.hessian.lower)
            attrs["positive_definite"] = r.hessian.positive_definite
        G.add_node(f"r{t}", **attrs)
    for e in graph.edges:
        G.add_edge(f"r{e.regions[0]}", f"r{e.regions[1]}", unit=e.unit, samples=json.dumps(list(e.samples)),
                   witness=json.dumps(params_to_json(problem.unflatten(list(e.witness)))))
    return G


def graphml_text(problem: Problem, graph: RegionGraph) -> str:
    """The GraphML document of :func:`graph_to_networkx`."""
    return "\n".join(nx.generate_graphml(graph_to_networkx(problem, graph))) + "\n"


def _region_json(problem: Problem, t: int, r: Region) -> dict:
    out: dict = {"id": t, "pattern": pattern_to_json(r.pattern),
                 "witness": params_to_json(problem.unflatten(list(r.witness)))}
    if r.distance2 is not None:
        out["distance2"] = canonical(r.distance2)
    if r.hessian is not None:
        out["hessian"] = {"at": r.hessian.at, "min_eigenvalue_lower_bound": canonical(r.hessian.lower),
                          "positive_definite": r.hessian.positive_definite}
    return out
