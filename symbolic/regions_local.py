"""Local mode of the region graph: the activation regions that meet a closed ball about the point.

A first-layer region is a product of unit cones ``C_i`` times the other coordinates, so its squared
distance from the centre ``c`` is ``Σ_i dist(c_i, C_i)²``; each unit's cells within ``R`` come with
exact distances and certified exclusions from :func:`symbolic.arrangement.ball_cells`, and
:func:`local_regions` combines them, finds an exact witness for each combination (:class:`_Ball`) and
joins neighbours across first-layer facets inside the ball. Deeper pre-activations are proved
sign-constant on the ball by exact interval arithmetic (:func:`_deep_signs`) or reported as
undetermined. :func:`check_unit_exclusion` re-checks one unit's exclusion certificate.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable, Sequence

from flint import fmpq

from .arrangement import BallCells, RegionLimit, ball_cells, general_position_count, prefix_split, signed_rows
from .linalg import to_fmpq, to_fraction
from .exceptions import RegionError
from .lp import excludes_ball
from .network import Pattern, forward
from .problem import Problem
from .rationals import canonical
from .region_graph import (DEFAULT_MAX_REGIONS, Edge, Progress, Region, RegionGraph, check_witness, class_members,
                           incoming, piece_hessian_bound, sample_bit, sample_classes, single_region, xtilde)

Class = tuple[int, int, Fraction] | None
"""A sample's hyperplane class (:func:`symbolic.region_graph.sample_classes`)."""

COUNT_LIMIT = 10**6
"""Local mode stops counting combinations of the units' regions past this many."""

DEAD_CELL_LIMIT = 5000
"""A dead unit's arrangement is counted (:func:`symbolic.arrangement.prefix_split`) up to this many cells."""

DEAD_LIST_LIMIT = 64
"""A dead unit's cells are listed with exact distances (an LP and a projection each) only up to this many."""


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

    A *dead* unit (``‖c_i‖ < R``: the origin of its weight space is in its ball) meets every cell of the
    samples' arrangement, often thousands. Its cells are counted once by
    :func:`symbolic.arrangement.prefix_split` (all units share the arrangement) and, unless each dead unit
    has at most :data:`DEAD_LIST_LIMIT` cells and the product of the units' counts is at most
    :data:`COUNT_LIMIT`, the regions are counted as a product over units and not listed
    (:func:`_counted`).
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
        return single_region(problem, "local", c, c, hessian, radius)
    if radius == 0:
        return _at_centre(problem, c, hessian)
    normals, cls = sample_classes(problem)
    n1, R2 = problem.widths[1], radius * radius
    deep = _deep_signs(problem, c, radius)
    undetermined = sorted(key for key, s in deep.items() if s == 0)
    # a dead unit: the origin of its weight space is inside the ball, so every cell of its arrangement meets it
    dead = [i for i in range(n1) if sum((c[p] * c[p] for p in incoming(problem, i)), Fraction(0)) < R2]
    units: list[BallCells | None] = [None] * n1
    done = 0
    for i in range(n1):
        if i not in dead:
            units[i] = ball_cells(normals, [c[p] for p in incoming(problem, i)], radius)
            done += 1
            if progress:
                progress("units", done, n1)
    if dead:
        most = min(DEAD_CELL_LIMIT + 1, general_position_count(len(normals), len(incoming(problem, 0))))
        report = (lambda found: progress("cells of the dead units' arrangement", min(found, most), most)) if progress else None
        k_dead = _arrangement_count(normals, report)
        live = math.prod(len(u.cells) for u in units if u is not None)
        if k_dead is None or k_dead > DEAD_LIST_LIMIT or live * k_dead ** len(dead) > COUNT_LIMIT:
            if progress:
                progress("units", n1, n1)
            return _counted(problem, c, radius, normals, cls, units, dead, k_dead, deep, undetermined)
        for i in dead:
            units[i] = ball_cells(normals, [c[p] for p in incoming(problem, i)], radius)
            done += 1
            if progress:
                progress("units", done, n1)
    listed = [u for u in units if u is not None]  # every unit's cells are listed from here on
    order = [sorted(range(len(u.cells)), key=_by_distance(u)) for u in listed]
    combos, count, finished = _combinations(listed, order, R2, max_regions)
    members = class_members(cls, len(normals))
    reps = [m[0] for m in members]  # every hyperplane comes from at least one sample

    ball = _Ball(problem, c, R2, normals, cls, listed, deep, not undetermined)
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
    layers = [{"layer": 1, "complete": finished and not any(u.undecided for u in listed), "reason": ""}]
    if any(u.undecided for u in listed):
        layers[0]["reason"] = "the LP oracle left some neighbouring regions undecided"
    if not finished:
        layers[0]["reason"] = f"more than {COUNT_LIMIT} combinations of unit regions; counting stopped"
    for k in range(1, problem.depth):
        open_ = [key for key in undetermined if key[1] == k]
        why = (f"{len(open_)} pre-activation(s) of layer {k + 1} may change sign in the ball (their exact "
               f"interval over the box around it contains 0; such boundaries are curved)") if open_ else ""
        layers.append({"layer": k + 1, "complete": not open_, "reason": why})
    reasons += [f"layer {lay['layer']}: {lay['reason']}" for lay in layers if not lay["complete"]]
    exact = finished and not undetermined and not any(u.undecided for u in listed)
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
    decided = finished and not any(u.undecided for u in listed)
    return RegionGraph("local", count if exact else len(regions), len(edges), exact, complete, regions, edges,
                       reasons, radius, layers, [_unit_json(problem, i, normals, cls, reps, u, i in dead) for i, u in enumerate(listed)],
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


def _by_distance(u: BallCells) -> Callable[[int], Fraction]:
    """Sort key: a unit cell's squared distance from the centre."""
    return lambda a: u.cells[a].projection.distance2


def _combinations(units: Sequence[BallCells], order: Sequence[Sequence[int]], R2: Fraction,
                  limit: int) -> tuple[list[tuple[int, ...]], int, bool]:
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
        nxt: list[tuple[int, Fraction, tuple[int, ...]]] = []
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

    def __init__(self, problem: Problem, c: Sequence[Fraction], R2: Fraction, normals: Sequence[Sequence[int]],
                 cls: Sequence[Class], units: Sequence[BallCells], deep: dict[tuple[int, int, int], int], fixed: bool):
        self.problem, self.c, self.R2, self.normals, self.cls = problem, c, to_fmpq(R2), normals, cls
        self.units, self.deep, self.fixed = units, deep, fixed
        self.idx = [incoming(problem, i) for i in range(problem.widths[1])]
        self.cq = [to_fmpq(v) for v in c]

    def witness(self, chosen: tuple[int, ...]) -> tuple[list[fmpq], Pattern, Fraction] | None:
        """A verified witness ``(θ as fmpq, pattern, Σ d²)`` for a combination of unit cells, or ``None``."""
        fixed: dict[int, list[fmpq]] = {}
        moving: list[tuple[int, list[fmpq], list[fmpq], list[fmpq]]] = []
        for i, a in enumerate(chosen):
            cell = self.units[i].cells[a]
            ci = [self.cq[p] for p in self.idx[i]]
            if cell.projection.distance2 == 0 and all(_fdot(r, ci) > 0 for r in signed_rows(self.normals, cell.signs)):
                fixed[i] = ci
            else:
                moving.append((i, [to_fmpq(v) for v in cell.projection.nearest], [to_fmpq(v) for v in cell.interior], ci))
        # g + ε·u lies in the open cone for every ε > 0; halve ε until the point is in the ball
        eps = fmpq(1)
        parts: dict[int, list[fmpq]] = {}
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
        first = [tuple(sample_bit(cl, self.units[i].cells[a].signs) for i, a in enumerate(chosen)) for cl in self.cls]
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

    def first_layer_ok(self, theta: Sequence[fmpq], chosen: tuple[int, ...], zero: tuple[int, int] | None = None) -> bool:
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

    def edges(self, members: Sequence[tuple[int, ...]], regions: Sequence[Region], index: dict[tuple[int, ...], int],
              witnesses: Sequence[Sequence[fmpq]]) -> tuple[list[Edge], int]:
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
                    onfacet = [x + s * (y - x) for x, y in zip(wa, wb)]
                    point = [to_fraction(v) for v in onfacet]
                    if self.fixed:
                        ok = self.first_layer_ok(onfacet, chosen, (i, k))
                    else:
                        ok = check_witness(self.problem, point, ra.pattern, [(j, 0, i) for j in members[k]])
                    if ok:
                        edges.append(Edge((t, t2), i, members[k], tuple(point)))
                    else:
                        failed += 1
        return edges, failed


def _fdot(n: Sequence[int | fmpq], w: Sequence[fmpq]) -> fmpq:
    out = fmpq(0)
    for a, b in zip(n, w):
        if a:
            out += a * b
    return out


def _fdist2(a: Sequence[fmpq], b: Sequence[fmpq]) -> fmpq:
    out = fmpq(0)
    for x, y in zip(a, b):
        d = x - y
        out += d * d
    return out


def _nudged(problem: Problem, theta: Sequence[Fraction], c: Sequence[Fraction], R2: Fraction,
            attempt: int) -> list[Fraction]:
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
    P: Any = problem.unflatten(box)  # intervals (lo, hi) in place of numbers
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


def _unit_json(problem: Problem, i: int, normals: Sequence[Sequence[int]], cls: Sequence[Class], reps: Sequence[int],
               cells: BallCells, dead: bool = False) -> dict[str, Any]:
    """One unit's local evidence: its reachable samples, cells with exact distances, exclusions."""
    def bits(signs: Sequence[int]) -> str:
        return "".join(str(sample_bit(cl, signs)) for cl in cls)

    def per_sample(y: Sequence[Fraction]) -> dict[str, str]:
        return {str(reps[k]): canonical(v / _scale(cls[reps[k]])) for k, v in enumerate(y) if v}

    return {
        "unit": i,
        "reachable": sorted(j for j, cl in enumerate(cls) if cl is not None and cl[0] in set(cells.reachable)),
        "regions": [{"pattern": bits(cell.signs), "distance2": canonical(cell.projection.distance2),
                     "nearest": [canonical(v) for v in cell.projection.nearest],
                     "multipliers": per_sample(cell.projection.multipliers)} for cell in cells.cells],
        "excluded": [{"pattern": bits(e.signs), "kind": e.kind, "multipliers": per_sample(e.multipliers)}
                     for e in cells.excluded],
        "undecided": [bits(s) for s in cells.undecided],
        "dead": dead,
        "cells": len(cells.cells),
        "cells_exact": not cells.undecided,
    }


def _arrangement_count(normals: Sequence[Sequence[int]], report: Callable[[int], None] | None = None) -> int | None:
    """The number of cells of the samples' central arrangement, or ``None`` past :data:`DEAD_CELL_LIMIT`.

    Counted by :func:`symbolic.arrangement.prefix_split`: every counted cell has an exact interior point
    and every pruned prefix an exact Gordan vector, so the count is exact, and a stop past the limit
    proves more than :data:`DEAD_CELL_LIMIT` cells.
    """
    try:
        return len(prefix_split(normals, DEAD_CELL_LIMIT, report).cells)
    except RegionLimit:
        return None


def _counted(problem: Problem, c: Sequence[Fraction], radius: Fraction, normals: Sequence[Sequence[int]],
             cls: Sequence[Class], units: Sequence[BallCells | None], dead: Sequence[int], k_dead: int | None,
             deep: dict[tuple[int, int, int], int], undetermined: Sequence[tuple[int, int, int]]) -> RegionGraph:
    """The first-layer regions meeting the ball, counted as a product over units and not listed.

    A first-layer region is a choice of one cell per unit, and it meets the ball iff ``Σ_i d_i² < R²``
    (:func:`local_regions`). A dead unit (``‖c_i‖ < R``) has the origin, which lies in the closure of every
    cell of its central arrangement, inside its ball: each of its ``k`` cells has ``d_i² ≤ ‖c_i‖²``. So with
    ``D = Σ_dead ‖c_i‖²`` and ``n(ρ)`` the live units' combinations with ``Σ_live d_i² < ρ``,

        n(R² − D) · k^{#dead}  ≤  #regions meeting the ball  ≤  n(R²) · k^{#dead},

    and the two sides agree whenever no live combination's ``Σ d²`` falls in ``[R² − D, R²)``. With more
    than :data:`DEAD_CELL_LIMIT` cells, ``k`` is replaced by that limit plus one in the lower bound, and
    the upper bound is the general-position count, the most regions any central arrangement of as
    many hyperplanes in that dimension has.
    """
    R2 = radius * radius
    n1 = len(units)
    dims = len(incoming(problem, 0))
    live = [u for u in units if u is not None]
    members = class_members(cls, len(normals))
    reps = [m[0] for m in members]
    D = sum((sum((c[p] * c[p] for p in incoming(problem, i)), Fraction(0)) for i in dead), Fraction(0))
    order = [sorted(range(len(u.cells)), key=_by_distance(u)) for u in live]
    _, n_hi, fin_hi = _combinations(live, order, R2, 0)
    n_lo, fin_lo = (0, True) if D >= R2 else _combinations(live, order, R2 - D, 0)[1:]
    k_lo = k_dead if k_dead is not None else DEAD_CELL_LIMIT + 1
    k_hi = k_dead if k_dead is not None else general_position_count(len(normals), dims)
    decided = fin_hi and fin_lo and not any(u.undecided for u in live)
    lo, hi = n_lo * k_lo ** len(dead), n_hi * k_hi ** len(dead)
    fixed = not undetermined  # every deeper sign is constant on the ball
    exact = decided and fixed and k_dead is not None and lo == hi
    counted = decided and k_dead is not None and lo == hi
    layers = [{"layer": 1, "complete": counted, "reason": ""}]
    reasons = []
    for k in range(1, problem.depth):
        open_ = [key for key in undetermined if key[1] == k]
        why = (f"{len(open_)} pre-activation(s) of layer {k + 1} may change sign in the ball (their exact "
               f"interval over the box around it contains 0; such boundaries are curved)") if open_ else ""
        layers.append({"layer": k + 1, "complete": not open_, "reason": why})
    if k_dead is None:
        layers[0]["reason"] = f"a dead unit's arrangement has more than {DEAD_CELL_LIMIT} cells; counting stopped"
    elif not fin_hi or not fin_lo:
        layers[0]["reason"] = f"more than {COUNT_LIMIT} combinations of the other units' cells; counting stopped"
    elif any(u.undecided for u in live):
        layers[0]["reason"] = "the LP oracle left some neighbouring regions undecided"
    elif lo != hi:
        layers[0]["reason"] = (f"between {lo} and {hi} first-layer regions meet the ball: some combinations of the "
                               "other units' cells are too near the ball's surface to count exactly")
    reasons += [f"layer {lay['layer']}: {lay['reason']}" for lay in layers if not lay["complete"]]
    reasons.append(f"not listed: the first-layer regions are a product over units (units {_ranges(dead)} are "
                   "dead: every cell of the samples' arrangement meets the ball), counted and not enumerated "
                   f"(listing needs at most {DEAD_LIST_LIMIT} cells per dead unit and at most "
                   f"{COUNT_LIMIT} combinations of the units' cells)")
    if undetermined:
        reasons.append(f"every region meeting the ball is one of these first-layer regions combined with the fixed "
                       f"deeper signs and any signs of the {len(undetermined)} undetermined pre-activations")
    unit_json = []
    it = iter(live)
    for i in range(n1):
        if i in dead:
            unit_json.append({"unit": i, "reachable": sorted(j for j, cl in enumerate(cls) if cl is not None),
                              "regions": [], "excluded": [], "undecided": [], "dead": True,
                              "cells": k_dead, "cells_exact": k_dead is not None,
                              **({} if k_dead is not None else {"cells_more_than": DEAD_CELL_LIMIT})})
        else:
            unit_json.append(_unit_json(problem, i, normals, cls, reps, next(it)))
    # listed regions: none, so count (a lower bound unless exact) is only proved without curved boundaries
    count = lo if fixed else 0
    at_most = hi * 2 ** len(undetermined) if decided and fin_hi else None
    return RegionGraph("local", count, 0, exact, False, [], [], reasons, radius, layers, unit_json,
                       edges_exact=False, at_most=at_most)


def _ranges(ids: Sequence[int]) -> str:
    """``0–3, 5`` for ``[0, 1, 2, 3, 5]``."""
    out: list[str] = []
    last = -2
    for i in ids:
        if out and i == last + 1:
            out[-1] = f"{out[-1].split('–')[0]}–{i}"
        else:
            out.append(str(i))
        last = i
    return ", ".join(out)


def _scale(cl: Class) -> Fraction:
    """A representative sample's scale in its class (representatives always have a class)."""
    if cl is None:
        raise ValueError("a class representative has no class")
    return cl[2]
