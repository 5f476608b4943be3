"""The activation-region graph as data: regions, facets, their exact checks, and their written forms.

A **region** is the open set of ``θ`` where every pre-activation has the strict sign of a pattern (docs/SPEC.md §1).
A region is listed only with an exact rational **witness** ``θ`` whose pre-activations have exactly those
strict signs. Two regions are joined by an **edge** when they share a facet: their patterns differ
exactly on the samples of one hyperplane of one first-layer unit. The edge's witness is a rational
point where those pre-activations are ``0`` and every other one is strict. :func:`check_witness` re-checks
both kinds.

First-layer pre-activations ``z_{1,i}(x_j) = w_i·x̃_j`` are linear in ``θ``. Here ``w_i`` holds unit
``i``'s weights and bias (:func:`incoming`), and ``x̃_j = (x_j, 1)`` with biases, ``x_j`` without
(:func:`xtilde`). So each unit's weight space carries the **central hyperplane arrangement**
``{w : w·x̃_j = 0}``, the same for every unit (:func:`sample_classes` names its distinct hyperplanes).
A sample with ``x̃_j = 0`` (``x_j = 0`` without biases) has ``z ≡ 0`` in every layer. Its bits are ``0``
and it is left out of every strictness check.

The graphs themselves are built by :func:`symbolic.regions.global_regions` and
:func:`symbolic.regions_local.local_regions`; each listed piece can carry a proved lower bound on the
smallest eigenvalue of its Hessian (:func:`hessian_bound`). The output functions at the end write a
:class:`RegionGraph` as JSON, text or GraphML, with every number a canonical rational.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Sequence

import networkx as nx
import numpy as np
from flint import fmpq, fmpq_mat

from .arrangement import primitive
from .derivatives import piece_derivatives, to_fraction
from .linalg import positive_definite
from .network import Pattern, forward, pattern_to_json
from .problem import Problem, params_to_json
from .rationals import canonical

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called as long enumerations advance."""

DEFAULT_MAX_REGIONS = 1000
"""How many regions a graph lists with witnesses unless told otherwise."""


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
    layers: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
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


def sample_bit(cls: tuple[int, int, Fraction] | None, signs: Sequence[int]) -> int:
    """A unit's bit at a sample of class ``cls = (k, σ, λ)`` (:func:`sample_classes`) in the cell with ``signs``.

    ``w·x̃_j = σλ·(n_k·w)`` with ``λ > 0``, so the unit is active iff ``σ·signs[k] > 0``; a sample with
    ``x̃_j = 0`` (``cls`` is ``None``) has bit ``0``.

    >>> sample_bit((1, -1, Fraction(2)), (1, -1)), sample_bit((0, 1, Fraction(1)), (-1,)), sample_bit(None, (1,))
    (1, 0, 0)
    """
    return 0 if cls is None else int(cls[1] * signs[cls[0]] > 0)


def class_members(cls: Sequence[tuple[int, int, Fraction] | None], count: int) -> list[tuple[int, ...]]:
    """The samples on each of the ``count`` hyperplanes of :func:`sample_classes`, in increasing order.

    >>> class_members([(0, 1, Fraction(2)), None, (0, -1, Fraction(1))], 1)
    [(0, 2)]
    """
    return [tuple(j for j, cl in enumerate(cls) if cl is not None and cl[0] == k) for k in range(count)]


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
    Hf = np.array([_float(v) for v in H.entries()], dtype=float).reshape(n, n)
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
    gersh = min(to_fraction(H[i, i]) - sum(abs(to_fraction(H[i, j])) for j in range(n) if j != i)
                for i in range(n))
    return HessianBound(at, gersh, pd)


def piece_hessian_bound(problem: Problem, theta: Sequence[Fraction], pattern: Pattern, at: str) -> HessianBound:
    """:func:`hessian_bound` of the exact ``∇²L_P(θ)`` (``piece_derivatives``)."""
    H = piece_derivatives(problem, theta, pattern).hessian
    assert H is not None
    return hessian_bound(H, at)


def single_region(problem: Problem, mode: str, theta: list[Fraction], hess_at: list[Fraction] | None,
                  hessian: bool, radius: Fraction | None = None) -> RegionGraph:
    """The graph when there are no ReLU boundaries (no hidden layer, or identity activations).

    Then one region is all of ``θ``-space: every unit counts as active at every sample.

    Parameters
    ----------
    problem
        The problem.
    mode
        ``"global"`` or ``"local"`` (recorded in the graph).
    theta
        The region's witness.
    hess_at
        Where to bound the piece's Hessian (``None``: at the witness).
    hessian
        Whether to bound it at all.
    radius
        The ball's radius in local mode (the witness is then its centre, at distance 0).

    Examples
    --------
    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1], "biases": False},
    ...     "loss": {"weight_decay": 0}, "data": {"inputs": [[1]], "targets": [[0]]}})
    >>> g = single_region(p, "global", [Fraction(2)], None, False)
    >>> g.count, g.complete, g.reasons
    (1, True, ['one region: no hidden layer'])
    """
    pattern = tuple(tuple(tuple(1 for _ in range(w)) for w in problem.widths[1:-1]) for _ in problem.inputs)
    at = "point" if hess_at is not None else "witness"
    hb = piece_hessian_bound(problem, hess_at if hess_at is not None else theta, pattern, at) if hessian else None
    why = "no hidden layer" if problem.depth == 0 else "identity activations"
    return RegionGraph(mode, 1, 0, True, True, [Region(pattern, tuple(theta), Fraction(0) if radius is not None else None, hb)],
                       [], [f"one region: {why}"], radius, at_most=1)


# ---------------------------------------------------------------------------------------------------
# output: JSON, text, GraphML (numbers are canonical rationals)

def graph_to_json(problem: Problem, graph: RegionGraph) -> dict[str, Any]:
    """The JSON object of ``pscert regions --json``: counts, flags, per-region and per-edge summaries."""
    out: dict[str, Any] = {
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
    if graph.units and "cells" in graph.units[0]:
        out["unit_cells"] = [u["cells"] for u in graph.units]
        exact = all(u["cells"] is not None and u["cells_exact"] for u in graph.units)
        out["unit_cells_product"] = math.prod(u["cells"] for u in graph.units) if exact else None
    return out


def unit_lines(units: Sequence[dict[str, Any]]) -> list[str]:
    """Local mode: each unit's cells meeting the ball (runs of equal units joined) and their product.

    Every first-layer region meeting the ball is one combination of the units' cells, so the product
    bounds the regions from above when every unit's count is exact.

    >>> unit_lines([{"unit": 0, "cells": 3, "dead": True, "cells_exact": True},
    ...             {"unit": 1, "cells": 3, "dead": True, "cells_exact": True},
    ...             {"unit": 2, "cells": 2, "dead": False, "cells_exact": True}])
    ['units:      units 0–1: 3 cells each (dead)', '            unit 2: 2 cells', 'product:    3^2·2 = 18 combinations of unit cells']
    """
    if not units or "cells" not in units[0]:
        return []
    runs: list[tuple[list[int], str]] = []
    for u in units:
        if u["cells"] is None:
            what = f"more than {u['cells_more_than']} cells"
        else:
            what = f"{'' if u['cells_exact'] else 'at least '}{u['cells']} cell{'' if u['cells'] == 1 else 's'}"
        what += " (dead)" if u["dead"] else ""
        if runs and runs[-1][1] == what and runs[-1][0][-1] == u["unit"] - 1:
            runs[-1][0].append(u["unit"])
        else:
            runs.append(([u["unit"]], what))
    out: list[str] = []
    for ids, what in runs:
        each = what if len(ids) == 1 else what.replace(" cell ", " cells ").replace("cells", "cells each", 1)
        head = f"unit {ids[0]}: {each}" if len(ids) == 1 else f"units {ids[0]}–{ids[-1]}: {each}"
        out.append(("units:      " if not out else "            ") + head)
    factors: list[tuple[int, int]] = []
    for u in units:
        if u["cells"] is None or not u["cells_exact"]:
            return out
        if factors and factors[-1][0] == u["cells"]:
            factors[-1] = (u["cells"], factors[-1][1] + 1)
        else:
            factors.append((u["cells"], 1))
    product = math.prod(k ** e for k, e in factors)
    text = "·".join(f"{k}^{e}" if e > 1 else f"{k}" for k, e in factors)
    digits = str(product)
    value = digits if len(digits) <= 40 else f"{digits[:6]}… ({len(digits)} digits)"
    out.append(f"product:    {text} = {value} combinations of unit cells")
    return out


def graph_lines(graph: RegionGraph, show: Callable[[Fraction | None], str], rows: int = 50) -> list[str]:
    """A readable report: the counts, why the list is (in)complete, and a table of the first ``rows`` regions."""
    radius = canonical(graph.radius) if graph.radius is not None else "-"
    where = "all of weight space" if graph.mode == "global" else f"the closed ball of radius {radius} about the point"
    lines = [f"mode:       {graph.mode} ({where})"]
    exact = "exact" if graph.count_exact else "at least"
    most = f", at most {graph.at_most}" if graph.at_most is not None and not graph.count_exact else ""
    lines.append(f"regions:    {graph.count} ({exact}{most}); {len(graph.regions)} listed with witnesses")
    lines += unit_lines(graph.units)
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
        attrs: dict[str, Any] = {"pattern": json.dumps(info["pattern"]), "witness": json.dumps(info["witness"])}
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


def _region_json(problem: Problem, t: int, r: Region) -> dict[str, Any]:
    out: dict[str, Any] = {"id": t, "pattern": pattern_to_json(r.pattern),
                 "witness": params_to_json(problem.unflatten(list(r.witness)))}
    if r.distance2 is not None:
        out["distance2"] = canonical(r.distance2)
    if r.hessian is not None:
        out["hessian"] = {"at": r.hessian.at, "min_eigenvalue_lower_bound": canonical(r.hessian.lower),
                          "positive_definite": r.hessian.positive_definite}
    return out


def _float(q: fmpq) -> float:
    """``float(q)``, or ``inf`` beyond the float range (then the exact Gershgorin bound is used)."""
    try:
        return float(q)
    except OverflowError:
        return float("inf")
