"""The regions about a point on first-layer region boundaries (kinks and dead units): untrusted search.

The centre is put exactly on the first-layer hyperplanes ``z_{1,i}(x_j) = 0`` it is near (the set
``Z``), refined to a critical point of ``L`` restricted to that subspace (all pieces agree there), and
then every region that meets the ball is listed: per unit, a case split over the signs of its
constraints in which empty branches carry an exact Gordan certificate (``y ≥ 0``, ``y ≠ 0``,
``Σ y_m s_m a_m = 0``: no direction makes all those signs strict). Every remaining piece gets its
multipliers ``ν ≥ 0`` with ``∇L_P(c) = Σ ν_m s_m a_m + e_P`` (least squares). The evidence methods
``boundary_ball`` and ``kink_ball`` (:mod:`proofs.methods`) build their certificates from these
:class:`Kinks`; ``collapsed_layer`` uses the case split (docs/SPEC.md §4, boundary case).
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from itertools import product
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from symbolic.arrangement import PrefixSplit, RegionLimit, prefix_split
from symbolic.constraints import Constraint, constraint_vector, project_onto
from symbolic.derivatives import PieceDerivatives, piece_derivatives
from symbolic.linalg import independent, solve, to_fraction
from symbolic.network import Pattern, forward, null_samples, true_boundary
from symbolic.problem import Problem
from symbolic.rationals import canonical

from .assemble import Verdict, certificate, checked, delta, hessian_of, sign_stable, sqrt_above
from .positivity import smallest_eigenvalue, to_float
from .refine import dyadic

MAX_PIECES = 256
"""Most regions a boundary certificate may list; beyond it the verdict is UNKNOWN."""

Progress = Callable[[str], None]


def near_constraints(problem: Problem, theta: Sequence[Fraction], tol: float = 1e-7) -> tuple[list[Constraint], bool]:
    """First-layer constraints with ``|z| ≤ tol·‖x̃_j‖·scale``, and whether a deeper layer is that close too."""
    if problem.depth == 0 or problem.activation != "relu":
        return [], False
    fw = forward(problem, problem.unflatten(list(theta)))
    scale = max(1.0, max(abs(float(t)) for t in theta))
    near, deep, nulls = [], False, null_samples(problem)
    for j, zs in enumerate(fw.preactivations):
        if j in nulls:
            continue
        xn = float(np.linalg.norm([float(v) for v in problem.inputs[j]] + ([1.0] if problem.biases else [])))
        for k, layer in enumerate(zs):
            for i, z in enumerate(layer):
                if abs(float(z)) <= tol * scale * max(xn, 1.0):
                    if k == 0:
                        near.append((j, i))
                    else:
                        deep = True
    return near, deep


def crossed_constraints(problem: Problem, theta: list[Fraction], pattern: Pattern) -> tuple[list[tuple[int, int]], bool]:
    """First-layer constraints whose sign differs from ``pattern`` at ``θ`` (or vanish), and whether deeper ones do."""
    fw = forward(problem, problem.unflatten(theta))
    crossed, deep, nulls = [], False, null_samples(problem)
    for j, zs in enumerate(fw.preactivations):
        if j in nulls:
            continue
        for k, layer in enumerate(zs):
            for i, z in enumerate(layer):
                if z == 0 or (z > 0) != bool(pattern[j][k][i]):
                    if k == 0:
                        crossed.append((j, i))
                    else:
                        deep = True
    return crossed, deep


def kink_regions(problem: Problem, theta: Sequence[Fraction], cons: list[Constraint], refine: bool,
                 say: Progress) -> Kinks | Verdict:
    """The exact centre on the kinks ``cons`` near ``θ`` and the regions meeting a ball about it, or why not.

    Every listed region has nonnegative multipliers ``ν`` (a negative one gives UNKNOWN: ``L`` may
    decrease into that region); the evidence methods ``boundary_ball`` and ``kink_ball`` take it from here.
    """
    c = project_onto(problem, theta, cons)
    base = forward(problem, problem.unflatten(c))
    zeros = {(j, i) for j, k, i in true_boundary(problem, base) if k == 0}
    if any(k > 0 for _, k, _ in true_boundary(problem, base)) or zeros != set(cons):
        return Verdict("UNKNOWN", "after snapping onto the kinks the point lies on other boundaries as well")
    if refine:
        say(f"refining on the {len(cons)} kink hyperplane(s)")
        c = _refine_on(problem, c, cons, base.pattern)
        base = forward(problem, problem.unflatten(c))
        moved = true_boundary(problem, base)
        if {(j, i) for j, k, i in moved} != set(cons) or any(k for _, k, _ in moved):
            return Verdict("UNKNOWN", "refinement on the kink hyperplanes left the region's closure")
    say("listing the regions that meet the ball (case split with Gordan certificates)")
    units = sorted({i for _, i in cons})
    per_unit = {}
    for i in units:
        mine = [con for con in cons if con[1] == i]
        try:
            per_unit[i] = (mine, *case_split(problem, mine, MAX_PIECES))
        except RegionLimit:
            return Verdict("UNKNOWN", f"more than {MAX_PIECES} regions meet the ball: not attempted")
    count = 1
    for _, feasible, _ in per_unit.values():
        count *= len(feasible)
    if count > MAX_PIECES:
        return Verdict("UNKNOWN", f"{count} regions meet the ball (more than {MAX_PIECES}): not attempted")
    order = [con for i in units for con in per_unit[i][0]]
    # empty branches, written over all constraints: '*' outside the unit's block and past its prefix
    empty, start = [], 0
    for i in units:
        mine, _, dead_ends = per_unit[i]
        for signs, y in dead_ends:
            full = ["*"] * len(order)
            full[start:start + len(mine)] = signs
            ys = [Fraction(0)] * len(order)
            ys[start:start + len(y)] = [Fraction(v) for v in y]
            empty.append(("".join(full), ys))
        start += len(mine)
    pieces = []
    for combo in product(*(per_unit[i][1] for i in units)):
        signs = "".join(combo)
        pieces.append((signs, _piece_pattern(base.pattern, order, signs)))

    vectors = {con: constraint_vector(problem, con) for con in order}
    data = []
    for signs, pat in pieces:
        d = piece_derivatives(problem, c, pat)
        g = [to_fraction(v) for v in d.gradient]
        nu, e2 = _multipliers(g, [vectors[con] if s == "1" else [-v for v in vectors[con]] for con, s in zip(order, signs)])
        if nu is None or any(v < 0 for v in nu):
            return Verdict("UNKNOWN", f"the region with kink signs {signs} has a negative multiplier: L may decrease "
                           "into it (no descent curve was proved)")
        data.append(Piece(signs, pat, d, nu, e2, smallest_eigenvalue(hessian_of(d))))
    return Kinks(c, base.pattern, order, data, empty)


class Piece(NamedTuple):
    """One region meeting the ball: its kink signs, pattern, derivatives at the centre, multipliers ``ν``,
    the squared residual ``‖∇L_P(c) − Σ ν_m s_m a_m‖²`` and the float smallest Hessian eigenvalue."""

    signs: str
    pattern: Pattern
    d: PieceDerivatives
    nu: list[Fraction]
    e2: Fraction
    lam: float


class Kinks(NamedTuple):
    """The exact centre on the kink hyperplanes ``order`` and what a ball about it meets."""

    centre: list[Fraction]
    pattern: Pattern            # the centre's own pattern (kink units inactive)
    order: list[Constraint]     # the constraints, in the order of every sign string
    pieces: list[Piece]         # the regions that meet the ball
    empty: list[tuple[str, list[Fraction]]]  # excluded sign prefixes with their Gordan vectors


def ball_radius(problem: Problem, c: list[Fraction], order: list[Constraint], worst: Fraction, mu: Fraction,
                 ok: Callable[[Fraction, Fraction], bool]) -> tuple[Fraction, Fraction] | Verdict:
    """The largest ``ρ = 2^-k`` (below the gradient's limit) with ``ok(ρ, δ(ρ))`` and the other signs fixed."""
    rho = _radius(worst, mu)
    if rho is None:
        return Verdict("UNKNOWN", "the projected gradient on the kinks could not be made small enough for a ball certificate")
    for _ in range(200):
        dlt = delta(problem, c, rho)
        if ok(rho, dlt) and sign_stable(problem, c, rho, first_layer=False) \
                and _clear_of_other_kinks(problem, c, rho, set(order)):
            return rho, dlt
        rho /= 2
        if worst >= (mu * rho / 2) ** 2:
            return Verdict("UNKNOWN", "no ball radius satisfies both the gradient and the curvature conditions")
    return Verdict("UNKNOWN", "no ball radius keeps the other activations fixed")


def ball_verdict(problem: Problem, c: list[Fraction], rho: Fraction, mu: Fraction, worst: Fraction,
                 evidence: dict[str, Any], reason: str, kinks: int, regions: int) -> Verdict:
    """The checked CERTIFIED ``isolated_local_minimum`` verdict of a ``boundary_ball`` or ``kink_ball`` search."""
    cert = certificate(problem, "CERTIFIED", "isolated_local_minimum", c, rho, evidence, mu)
    facts = {"mu": canonical(mu), "radius": canonical(rho), "kinks": kinks, "regions": regions,
             "distance_bound": canonical(sqrt_above(4 * worst / (mu * mu)))}
    return checked(Verdict("CERTIFIED", reason, "isolated_local_minimum", cert, facts))


def _refine_on(problem: Problem, theta: list[Fraction], cons: list[Constraint], pattern: Pattern) -> list[Fraction]:
    """Newton on the subspace ``{a_m·θ = 0}`` (where every adjacent piece equals ``L``), exact projection."""
    A = np.array([[float(v) for v in constraint_vector(problem, con)] for con in cons])
    _, s, Vt = np.linalg.svd(A)
    rank = int(np.sum(s > 1e-12 * max(1.0, s[0])))
    N = Vt[rank:].T
    piece = _piece_pattern(pattern, cons, "1" * len(cons))
    Hr = None
    for _ in range(40):
        d = piece_derivatives(problem, theta, piece, hessian=Hr is None)
        g = N.T @ np.array([float(to_fraction(v)) for v in d.gradient])
        if np.linalg.norm(g) < 1e-60 or N.shape[1] == 0:
            break
        if Hr is None:
            Hr = N.T @ to_float(hessian_of(d)) @ N
        step = N @ np.linalg.lstsq(Hr, g, rcond=None)[0]
        size = float(np.linalg.norm(step))
        bits = max(64, min(4000, int(-2.2 * np.log2(max(size, 1e-300))) + 40))
        theta = project_onto(problem, [dyadic(t - Fraction(float(v)), bits) if v else t for t, v in zip(theta, step)], cons)
        if size > 1e-8:
            Hr = None
    return theta


def case_split(problem: Problem, cons: list[Constraint], limit: int | None = None
               ) -> tuple[list[str], list[tuple[str, list[int]]]]:
    """Feasible sign strings of one unit's constraints, and Gordan certificates for empty prefixes.

    Signs are ``"1"`` (active, ``z > 0``) or ``"0"`` (inactive, ``z < 0``); a prefix shorter than the
    constraint list stands for every completion (written with ``*`` in the certificate). The cells of
    the arrangement of the samples ``x̃_j`` by :func:`symbolic.arrangement.prefix_split`, which raises
    :class:`~symbolic.arrangement.RegionLimit` past ``limit`` cells.
    """
    rows = tuple(tuple(problem.inputs[j]) + ((Fraction(1),) if problem.biases else ()) for j, _ in cons)
    split = _split(rows, limit)
    return list(split.cells), [(signs, list(y)) for signs, y in split.empty]


@lru_cache(maxsize=8)
def _split(rows: tuple[tuple[Fraction, ...], ...], limit: int | None) -> PrefixSplit:
    """:func:`prefix_split`, remembered: the local search, the dead-layer search and the global cone list
    of one trained network all split the same sample arrangement."""
    return prefix_split(rows, limit)


def _piece_pattern(pattern: Pattern, order: Sequence[Constraint], signs: str) -> Pattern:
    """``pattern`` with first-layer entries of the constraints set by ``signs``."""
    pat = [[list(layer) for layer in sample] for sample in pattern]
    for (j, i), s in zip(order, signs):
        pat[j][0][i] = 1 if s == "1" else 0
    return tuple(tuple(tuple(layer) for layer in sample) for sample in pat)


def _multipliers(g: list[Fraction], normals: list[list[Fraction]]) -> tuple[list[Fraction] | None, Fraction]:
    """Exact least-squares multipliers ``ν`` for ``g ≈ Σ ν_m n_m`` (dependent normals get 0), and ``‖e‖²``."""
    chosen = independent(normals)  # the earliest independent normals; the others get ν = 0
    nu = [Fraction(0)] * len(normals)
    if chosen:
        gram = [[_dot(normals[a], normals[b]) for b in chosen] for a in chosen]
        sol = solve(gram, [_dot(normals[a], g) for a in chosen])  # the Gram matrix is nonsingular
        assert sol is not None, "the Gram matrix of independent vectors is nonsingular"
        for m, v in zip(chosen, sol):
            nu[m] = v
    e = list(g)
    for m, v in enumerate(nu):
        if v:
            e = [a - v * b for a, b in zip(e, normals[m])]
    return nu, sum((v * v for v in e), Fraction(0))


def _radius(e2: Fraction, mu: Fraction) -> Fraction | None:
    """The smallest ``ρ = 2^-k ≤ 2^-20`` with ``‖e‖² < (μρ/2)²`` (``2^-20`` when ``e = 0``), or ``None``."""
    rho = Fraction(1, 2 ** 20)
    if e2 >= (mu * rho / 2) ** 2:
        return None
    while e2 and e2 < (mu * rho / 4) ** 2:
        rho /= 2
    return rho


def _clear_of_other_kinks(problem: Problem, c: Sequence[Fraction], rho: Fraction, cons: set[Constraint]) -> bool:
    """First-layer constraints not in ``cons`` keep their sign on the ball: ``z² > ρ²‖x̃_j‖²``."""
    fw = forward(problem, problem.unflatten(list(c)))
    for j, zs in enumerate(fw.preactivations):
        xn2 = sum((v * v for v in problem.inputs[j]), Fraction(0)) + (1 if problem.biases else 0)
        for i, z in enumerate(zs[0]):
            if (j, i) not in cons and z * z <= rho * rho * xn2:
                return False
    return True


def _dot(a: Sequence[Fraction], b: Sequence[Fraction]) -> Fraction:
    return sum((x * y for x, y in zip(a, b)), Fraction(0))
