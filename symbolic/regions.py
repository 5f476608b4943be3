"""The activation-region graph of a problem: every region (global mode), or those meeting a ball (local).

What a region, a witness and an edge are, and the graph they form, is in :mod:`symbolic.region_graph`.
The regions of a one-hidden-layer network are the product of its units' regions (each unit's weights
carry the same central arrangement of the samples' hyperplanes); the output layer creates none.

- :func:`global_regions` (one hidden layer): every region of weight space. The unit arrangement has
  ``r`` regions (:func:`symbolic.arrangement.arrangement_cells`, exact and complete), so the network has
  exactly ``r^{n_1}``. Up to ``max_regions`` of them are materialised with witnesses.
- :func:`local_regions` (any depth; :mod:`symbolic.regions_local`): the regions that meet the closed
  ball ``B(c, R)`` about the problem's point. The first layer is complete
  (:func:`symbolic.arrangement.ball_cells` per unit, and exact distances to combine the units). Deeper
  pre-activations are either proved sign-constant on the ball by exact interval arithmetic, or reported
  as undetermined; the listed regions are then only part of a stated superset, and ``complete`` is false.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from .arrangement import RegionLimit, arrangement_cells
from .exceptions import ProblemError, RegionError
from .problem import Problem
from .region_graph import (DEFAULT_MAX_REGIONS, Edge, Progress, Region, RegionGraph, class_members,
                           piece_hessian_bound, sample_bit, sample_classes, single_region)
from .regions_local import local_regions

UNIT_LIMIT = 200_000
"""Most regions one unit's arrangement may have in global mode before the enumeration stops."""


def regions_of(problem: Problem, radius: Fraction | None = None, max_regions: int = DEFAULT_MAX_REGIONS,
               hessian: bool = True, progress: Progress | None = None) -> RegionGraph:
    """The regions meeting the ball of ``radius`` about the point (:func:`local_regions`), or every region
    when ``radius`` is ``None`` (:func:`global_regions`).

    Raises
    ------
    ProblemError
        Local mode and the problem has no point.
    RegionError
        As :func:`local_regions` or :func:`global_regions`.
    """
    if radius is None:
        return global_regions(problem, max_regions, hessian, progress)
    if problem.point is None:
        raise ProblemError("point", "missing: the regions near the point need a point (or use --global)")
    return local_regions(problem, radius, max_regions, hessian, progress)


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
        return single_region(problem, "global", base, base if problem.point is not None else None, hessian)
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
    bits = [tuple(sample_bit(c, arr.signs[u]) for c in cls) for u in range(min(r, K))]
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
    members = class_members(cls, len(normals))
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
