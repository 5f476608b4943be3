"""Structure detection at a trained float point (untrusted search: nothing here is claimed).

A network trained in floating point stops *near* a critical point, and the critical points that
matter have structure that rounding destroys: units that weight decay killed (left with float32
dust such as ``1e-44``, or weights of ``1e-7``), pre-activations that sit at a kink (``|z| ≈ 1e-6``
instead of 0), units that became proportional (a split unit), outputs that became constant. Taken
literally, such a point is a different problem: a certificate about it speaks about the dust.

This module reads the structure off the point with a **scale-aware tolerance** and proposes a short
list of candidate structures, most plausible first. Each structure is a set of homogeneous linear
equations ``C θ = 0`` on the parameters (a dead unit: its parameters vanish; a first-layer kink:
``a_{ij}·θ = 0``; a split: ``p_j − κ p_i = 0``; a constant output: its incoming weights vanish), so
:mod:`proofs.structured` can refine on the subspace and certify an exact centre there.

Tolerance
---------
``u`` is the unit roundoff of the point's dtype (``2^-24`` when every entry is exactly a float32 value,
else ``2^-53``); ``s = max(1, ‖θ‖_∞)``; ``g = ‖∇L(θ)‖`` in float64, less its part along the normals
of nearby kinks (there the multipliers, not the distance to the critical point, set it). A feature
within ``64·u·s`` is at rounding level ("certain"); one within ``tol = min(max(64·u, 10·g)·s, 10⁻³·s)``
is "probable": training stops where the gradient is ``g``, so the point is about ``g/curvature`` from
the critical point it approximates. ``tol=`` overrides both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np

from symbolic.constraints import Constraint, constraint_vector
from symbolic.float_loss import FloatObjective
from symbolic.problem import Problem
from symbolic.rationals import canonical

from .symmetry import simplest_between, unit_positions

MAX_CANDIDATES = 8
"""At most this many candidate structures are proposed."""

ROUNDING = 64
"""A feature within ``ROUNDING·u·s`` of exact is at the rounding level of the point's dtype."""

GRADIENT = 10
"""A feature within ``GRADIENT·‖∇L‖·s`` is plausible: training stopped that far from criticality."""

CEILING = 1e-3
"""No feature further than ``CEILING·s`` is snapped, whatever the gradient."""

SPLIT = 1e-2
"""A split is snapped only within ``SPLIT`` of the smaller unit's own size too: near zero every small
unit is close to a multiple of any other, and that says nothing (it is a dead-unit question)."""

COLLAPSE = 10
"""The all-dead candidate is proposed when every parameter but the output bias is within ``COLLAPSE·tol``."""

Unit = tuple[int, int]
"""``(hidden layer, unit)``, both 0-based."""


@dataclass(frozen=True)
class Split:
    """Unit ``j`` of hidden ``layer`` equals ``κ`` times unit ``i`` (``κ > 0``): one split unit."""

    layer: int
    i: int
    j: int
    kappa: Fraction


@dataclass(frozen=True)
class Structure:
    """A candidate critical structure: the linear equations a snapped centre satisfies exactly."""

    dead: tuple[Unit, ...] = ()
    kinks: tuple[Constraint, ...] = ()
    splits: tuple[Split, ...] = ()
    constant_outputs: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.dead or self.kinks or self.splits or self.constant_outputs)

    def describe(self) -> str:
        """A short phrase for status lines, e.g. ``"unit 1 of hidden layer 1 dead; 2 kinks"``.

        >>> Structure(dead=((0, 0), (0, 1), (1, 2))).describe()
        'units 0, 1 of hidden layer 1 dead; unit 2 of hidden layer 2 dead'
        """
        layers: dict[int, list[int]] = {}
        for k, i in self.dead:
            layers.setdefault(k, []).append(i)
        parts = [f"unit {units[0]} of hidden layer {k + 1} dead" if len(units) == 1 else
                 f"units {', '.join(map(str, units))} of hidden layer {k + 1} dead" for k, units in layers.items()]
        if self.kinks:
            parts.append(f"{len(self.kinks)} kink{'s' if len(self.kinks) > 1 else ''} (z = 0)")
        parts += [f"unit {s.j} of hidden layer {s.layer + 1} = {canonical(s.kappa)} × unit {s.i}" for s in self.splits]
        parts += [f"output {o} constant" for o in self.constant_outputs]
        return "; ".join(parts) if parts else "the point as given"

    def equations(self, problem: Problem) -> list[list[Fraction]]:
        """The rows of ``C`` with ``C θ = 0`` exactly on the structure (possibly dependent)."""
        P = problem.parameter_count
        rows: list[list[Fraction]] = []

        def coordinate(p: int) -> list[Fraction]:
            row = [Fraction(0)] * P
            row[p] = Fraction(1)
            return row

        for layer, i in self.dead:
            rows += [coordinate(p) for p in unit_positions(problem, layer, i)]
        rows += [constraint_vector(problem, con) for con in self.kinks]
        for s in self.splits:
            for pj, pi in zip(unit_positions(problem, s.layer, s.j), unit_positions(problem, s.layer, s.i)):
                row = [Fraction(0)] * P
                row[pj], row[pi] = Fraction(1), -s.kappa
                rows.append(row)
        rows += [coordinate(p) for o in self.constant_outputs for p in _output_row(problem, o, self.dead)]
        return rows


@dataclass(frozen=True)
class Tolerance:
    """The point's dtype, its roundoff level and the snapping tolerance (both absolute)."""

    dtype: str
    rounding: float
    tol: float


def tolerance(problem: Problem, theta: Sequence[Fraction], tol: float | None = None) -> Tolerance:
    """The scale-aware tolerance of the point (module docstring); ``tol`` overrides it (relative to ``s``).

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> t = tolerance(p, [Fraction(1, 2), Fraction(1, 2)])      # exact float32 values, L far from critical
    >>> t.dtype, t.rounding == 64 * 2.0 ** -24, t.tol
    ('float32', True, 0.001)
    """
    x = _floats(theta)
    scale = max(1.0, float(np.max(np.abs(x)))) if x.size else 1.0
    dtype = "float32" if all(_is_float32(t) for t in theta) else "float64"
    u = 2.0 ** -24 if dtype == "float32" else 2.0 ** -53
    rounding = ROUNDING * u * scale
    if tol is not None:
        return Tolerance(dtype, min(rounding, tol * scale), tol * scale)
    g = _kink_gradient(problem, x, CEILING * scale)
    return Tolerance(dtype, rounding, min(max(ROUNDING * u, GRADIENT * g) * scale, CEILING * scale))


def _kink_gradient(problem: Problem, x: np.ndarray, wide: float) -> float:
    """``‖∇L_P‖`` with the span of the normals of the kinks within ``wide`` removed (least squares).

    At a kink minimum each adjacent piece's gradient is ``Σ ν_m a_m`` (the multipliers), not 0: only the
    part off the kink normals measures how far training stopped from the critical point.
    """
    with np.errstate(all="ignore"):
        grad = FloatObjective(problem).evaluate(x)[1]
        if problem.depth and problem.activation == "relu" and np.all(np.isfinite(grad)):
            near = _kinks(problem, x, wide, [])
            if near:
                A = np.array([[float(v) for v in constraint_vector(problem, con)] for con in near]).T
                grad = grad - A @ np.linalg.lstsq(A, grad, rcond=None)[0]
        g = float(np.linalg.norm(grad))
    return g if math.isfinite(g) else math.inf


def candidates(problem: Problem, theta: Sequence[Fraction], tol: Tolerance) -> list[Structure]:
    """Candidate structures near ``θ``, most plausible first, at most :data:`MAX_CANDIDATES`.

    First the collapsed network (every hidden unit dead) when every parameter but the output bias is within
    ``COLLAPSE·tol.tol``; then every feature within ``tol.tol``; the next only those at rounding level; then
    the full structure without splits, without kinks, dead units alone, kinks alone; the last is
    the point as given (the empty structure), so a verdict about the literal point is the last resort.
    """
    if problem.depth == 0 or problem.activation != "relu" or not np.all(np.isfinite(_floats(theta))):
        return [Structure()]
    full = detect(problem, theta, tol.tol)
    tight = detect(problem, theta, tol.rounding)
    order = [collapsed(problem, theta, tol), full, tight,
             Structure(full.dead, full.kinks, (), full.constant_outputs),
             Structure(full.dead, (), full.splits, full.constant_outputs),
             Structure(full.dead), Structure(tight.dead), Structure((), full.kinks)]
    out: list[Structure] = []
    for s in order:
        if s and s not in out:
            out.append(s)
    return out[:MAX_CANDIDATES - 1] + [Structure()]


def faded(problem: Problem, theta: Sequence[Fraction], tol: Tolerance) -> Structure:
    """The full structure with every unit within ``CEILING·s`` of 0 dead too (``s = max(1, ‖θ‖∞)``), or the
    empty structure when no unit is that small without being dead already.

    Weight decay shrinks a unit on its way to death only as fast as ``L`` curves along it, and near a
    saturated Lemma D that is slowly: training stops with the unit at ``10⁻⁶`` while the gradient is
    ``10⁻⁸``, so the gradient-scaled tolerance does not call it dead. The structure with the unit dead is
    a candidate of the farther pass (:func:`proofs.trained.certify_trained`), after the nearer ones.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> t = Tolerance("float64", 1e-14, 1e-9)
    >>> faded(p, [Fraction(7, 8), Fraction(1, 10**6), Fraction(7, 8), Fraction(-1, 10**6)], t).dead
    ((0, 1),)
    >>> bool(faded(p, [Fraction(7, 8), Fraction(1, 10**2), Fraction(7, 8), Fraction(-1, 10**6)], t))
    False
    """
    x = _floats(theta)
    scale = max(1.0, float(np.max(np.abs(x)))) if x.size else 1.0
    with np.errstate(all="ignore"):
        small = set(_dead_units(problem, x, CEILING * scale))
    full = detect(problem, theta, tol.tol)
    if not small - set(full.dead):
        return Structure()
    dead = tuple(sorted(small | set(full.dead)))
    return Structure(dead, tuple(k for k in full.kinks if (0, k[1]) not in dead),
                     tuple(sp for sp in full.splits if (sp.layer, sp.i) not in dead and (sp.layer, sp.j) not in dead),
                     full.constant_outputs)


def collapsed(problem: Problem, theta: Sequence[Fraction], tol: Tolerance) -> Structure:
    """Every hidden unit dead (all parameters but the output bias at 0) when each of those parameters is within
    ``COLLAPSE·tol`` of 0, else the empty structure.

    Weight decay kills a whole network geometrically once one layer dies; training stops with the last
    weights somewhat above the gradient level, so the collapsed network is tried first, a little wider.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1, 1]},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> t = Tolerance("float32", 1e-9, 1e-7)
    >>> collapsed(p, [Fraction(1, 10**6)] * 5 + [Fraction(4, 5)], t).dead
    ((0, 0), (1, 0))
    >>> bool(collapsed(p, [Fraction(1, 10**5)] * 5 + [Fraction(4, 5)], t))      # 1e-5 > 10·1e-7: live
    False
    """
    rest = problem.parameter_count - (problem.widths[-1] if problem.biases else 0)
    if any(abs(safe_float(Fraction(t))) > COLLAPSE * tol.tol for t in theta[:rest]):
        return Structure()
    return Structure(tuple((layer, i) for layer in range(problem.depth) for i in range(problem.widths[layer + 1])))


def detect(problem: Problem, theta: Sequence[Fraction], tol: float) -> Structure:
    """Every feature of ``θ`` within the absolute tolerance ``tol`` (features exactly present included).

    Examples
    --------
    A 1-2-1 net whose second unit kept float32 dust: it is dead.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]},
    ...     "point": {"weights": [[["7/8"], ["1e-44"]], [["7/8", "-1e-44"]]]}})
    >>> detect(p, p.flatten(p.point), 1e-6).dead
    ((0, 1),)
    """
    x = _floats(theta)
    with np.errstate(all="ignore"):         # weights near the float range: a screen may overflow, not fail
        dead = _dead_units(problem, x, tol)
        kinks = _kinks(problem, x, tol, dead)
        splits = _splits(problem, x, tol, dead)
        constant = _constant_outputs(problem, x, tol, dead)
    return Structure(tuple(dead), tuple(kinks), tuple(splits), tuple(constant))


def dust(theta: Sequence[Fraction], tol: Tolerance) -> set[int]:
    """Positions holding float dust: nonzero, but within the rounding level ``64·u·s`` of zero."""
    return {p for p, t in enumerate(theta) if t and abs(safe_float(t)) <= tol.rounding}


# ---------------------------------------------------------------------------------------------------
# features


def _dead_units(problem: Problem, x: np.ndarray, tol: float) -> list[Unit]:
    return [(layer, i) for layer in range(problem.depth) for i in range(problem.widths[layer + 1])
            if np.max(np.abs(x[unit_positions(problem, layer, i)])) <= tol]


def _kinks(problem: Problem, x: np.ndarray, tol: float, dead: list[Unit]) -> list[Constraint]:
    """First-layer ``(j, i)`` with ``|z| ≤ tol·‖x̃_j‖·max(1, ‖v_i‖)`` (the scale of sample and unit).

    Only the first layer: its kinks are hyperplanes through the origin (linear equations); a dead
    unit's pre-activations vanish with it and are not listed.
    """
    out: list[Constraint] = []
    n0, n1 = problem.widths[0], problem.widths[1]
    W = x[:n0 * n1].reshape(n1, n0)
    b = x[n0 * n1:n0 * n1 + n1] if problem.biases else np.zeros(n1)
    for j, xj in enumerate(problem.inputs):
        xt = np.array([float(v) for v in xj] + ([1.0] if problem.biases else []))
        xn = float(np.linalg.norm(xt))
        if xn == 0:
            continue                    # a null sample: z = 0 for every θ, no equation
        for i in range(n1):
            if (0, i) in dead:
                continue
            vn = float(np.linalg.norm(np.r_[W[i], b[i]] if problem.biases else W[i]))
            if abs(float(W[i] @ xt[:n0] + b[i])) <= tol * xn * max(1.0, vn):
                out.append((j, i))
    return out


def _splits(problem: Problem, x: np.ndarray, tol: float, dead: list[Unit]) -> list[Split]:
    """Units within ``tol`` of a positive multiple of a larger unit of their layer (rational ``κ``)."""
    out: list[Split] = []
    for layer in range(problem.depth):
        n = problem.widths[layer + 1]
        vecs = [x[unit_positions(problem, layer, i)] for i in range(n)]
        taken: set[int] = set()
        for j in sorted(range(n), key=lambda u: float(np.linalg.norm(vecs[u]))):
            if (layer, j) in dead:
                continue
            for i in range(n):
                big, small = vecs[i], vecs[j]
                if i == j or i in taken or (layer, i) in dead or np.linalg.norm(big) < np.linalg.norm(small) \
                        or (np.linalg.norm(big) == np.linalg.norm(small) and i > j):
                    continue
                kf = float(big @ small / (big @ big))
                off = float(np.max(np.abs(small - kf * big)))
                if kf <= 0 or off > tol or off > SPLIT * float(np.max(np.abs(small))):
                    continue
                width = Fraction(tol / float(np.max(np.abs(big))))
                kappa = simplest_between(max(Fraction(kf) - width, Fraction(kf) / 2), Fraction(kf) + width)
                out.append(Split(layer, i, j, kappa))
                taken.add(j)
                break
    return out


def _constant_outputs(problem: Problem, x: np.ndarray, tol: float, dead: list[Unit]) -> list[int]:
    """Outputs whose weights from live units are all within ``tol`` of zero (and not all exactly zero)."""
    out = []
    for o in range(problem.widths[-1]):
        row = x[_output_row(problem, o, dead)]
        if row.size and np.any(row) and np.max(np.abs(row)) <= tol:
            out.append(o)
    return out


def _output_row(problem: Problem, o: int, dead: Sequence[Unit] = ()) -> list[int]:
    """Positions of output ``o``'s weights, those from dead units of the last hidden layer left out."""
    start = sum(problem.layer_sizes[:-1])
    n = problem.widths[-2]
    return [start + o * n + i for i in range(n) if (problem.depth - 1, i) not in dead]


def safe_float(t: Fraction) -> float:
    """``float(t)``, or ``±inf`` beyond the float range (a screen must not crash on a legal huge number)."""
    try:
        return float(t)
    except OverflowError:
        return math.inf if t > 0 else -math.inf


def _floats(theta: Sequence[Fraction]) -> np.ndarray:
    return np.array([safe_float(Fraction(t)) for t in theta], dtype=float)


def _is_float32(t: Fraction) -> bool:
    f = safe_float(Fraction(t))
    return abs(f) <= float(np.finfo(np.float32).max) and Fraction(float(np.float32(f))) == t
