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

from dataclasses import replace
from fractions import Fraction
from functools import lru_cache
from itertools import product
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from symbolic.arrangement import PrefixSplit, RegionLimit, prefix_split
from symbolic.constraints import Constraint, constraint_vector, project_onto
from symbolic.derivatives import PieceDerivatives, piece_derivatives
from symbolic.linalg import independent, solve, to_fraction
from symbolic.network import Pattern, forward, null_inputs, null_samples, true_boundary
from symbolic.problem import Problem
from symbolic.rationals import canonical

from .assemble import Verdict, certificate, checked, delta, hessian_of, sign_stable, sqrt_above
from .positivity import smallest_eigenvalue, to_float
from .refine import dyadic

MAX_PIECES = 256
"""Most regions a boundary certificate may list; beyond it the verdict is UNKNOWN."""

KINK_TOL = 1e-7
"""A first-layer pre-activation within ``KINK_TOL·scale·‖x̃_j‖`` of 0 is snapped onto its kink."""

NOISE_FACTOR = 100
"""A negative multiplier refutes only when its slope exceeds ``NOISE_FACTOR`` times the noise level
(:class:`Descent`): well above what the residual and the snap onto the kinks can produce."""

Progress = Callable[[str], None]


def near_constraints(problem: Problem, theta: Sequence[Fraction], tol: float = KINK_TOL) -> tuple[list[Constraint], bool]:
    """First-layer constraints with ``|z| ≤ tol·‖x̃_j‖·scale``, and whether a deeper layer is that close too."""
    if problem.depth == 0 or problem.activation != "relu":
        return [], False
    fw = forward(problem, problem.unflatten(list(theta)))
    scale = max(1.0, max(abs(float(t)) for t in theta))
    near, deep, nulls = [], False, null_inputs(problem, fw)
    for j, zs in enumerate(fw.preactivations):
        xn = float(np.linalg.norm([float(v) for v in problem.inputs[j]] + ([1.0] if problem.biases else [])))
        for k, layer in enumerate(zs):
            if (j, k) in nulls:
                continue
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
    crossed, deep, nulls = [], False, null_inputs(problem, fw)
    for j, zs in enumerate(fw.preactivations):
        for k, layer in enumerate(zs):
            if (j, k) in nulls:
                continue
            for i, z in enumerate(layer):
                if z == 0 or (z > 0) != bool(pattern[j][k][i]):
                    if k == 0:
                        crossed.append((j, i))
                    else:
                        deep = True
    return crossed, deep


def kink_regions(problem: Problem, theta: Sequence[Fraction], cons: list[Constraint], refine: bool,
                 say: Progress, descent_only: bool = False) -> Kinks | list[Descent] | Verdict:
    """The exact centre on the kinks ``cons`` near ``θ`` and the regions meeting a ball about it, or why not.

    Every listed region has nonnegative multipliers ``ν``; the evidence methods ``boundary_ball`` and
    ``kink_ball`` take it from here. Regions with a negative multiplier give their :class:`Descent` lines
    instead (steepest first, found unit by unit: :func:`_unit_descents`), or UNKNOWN when no such normal
    is independent of the others'. ``descent_only`` stops when there is no negative multiplier (UNKNOWN).
    """
    # a sample with the same input as an earlier kink's is on the same hyperplane: listed once (its twin)
    cons = [(j, i) for j, i in cons if not any(k < j and problem.inputs[k] == problem.inputs[j] for k in range(j))]
    same = set(_twins(problem, cons))
    c = project_onto(problem, theta, cons)
    base = forward(problem, problem.unflatten(c))
    zeros = {(j, i) for j, k, i in true_boundary(problem, base) if k == 0}
    if any(k > 0 for _, k, _ in true_boundary(problem, base)) or zeros != set(cons) | same:
        return Verdict("UNKNOWN", "after snapping onto the kinks the point lies on other boundaries as well")
    if refine:
        say(f"refining on the {len(cons)} kink hyperplane(s)")
        c = _refine_on(problem, c, cons, base.pattern)
        base = forward(problem, problem.unflatten(c))
        moved = true_boundary(problem, base)
        if {(j, i) for j, k, i in moved} != set(cons) | same or any(k for _, k, _ in moved):
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
        pieces.append((signs, _piece_pattern(problem, base.pattern, order, signs)))

    vectors = {con: constraint_vector(problem, con) for con in order}
    lines = _unit_descents(problem, c, base.pattern, order, [per_unit[i][:2] for i in units], vectors)
    if lines is not None:
        return lines
    if descent_only:
        return Verdict("UNKNOWN", "no negative multiplier at the kinks")
    data: list[Piece] = []
    descents: list[Descent] = []
    lineless: Verdict | None = None
    for signs, pat in pieces:
        d = piece_derivatives(problem, c, pat)
        g = [to_fraction(v) for v in d.gradient]
        normals = [vectors[con] if s == "1" else [-v for v in vectors[con]] for con, s in zip(order, signs)]
        nu, e2 = _multipliers(g, normals)
        if any(v < 0 for v in nu):
            found = descent_line(problem, c, order, signs, pat, d, g, normals, nu, e2)
            if isinstance(found, Descent):
                descents.append(found)
            else:
                lineless = lineless or found
            continue
        if not descents and lineless is None:
            data.append(Piece(signs, pat, d, nu, e2, smallest_eigenvalue(hessian_of(d))))
    if descents:
        return sorted(descents, key=lambda f: f.slope)[:MAX_DESCENTS]
    return lineless or Kinks(c, base.pattern, order, data, empty)


class Descent(NamedTuple):
    """A region at the centre ``c`` with a negative multiplier ``ν_k`` and the straight line into it.

    With signed normals ``n_m = s_m a_m`` and ``∇L_P(c) = Σ ν_m n_m + e`` (``e ⟂`` every ``n_m``, exact
    least squares), ``d = n_k − proj_{span(n_m, m ≠ k)} n_k`` gives ``n_m·d = 0`` (``m ≠ k``) and
    ``n_k·d = ‖d‖² > 0``: along ``c + t·d`` the other kinks stay exactly at ``z = 0``, kink ``k`` moves to
    the region's side and every other sign is kept for small ``t > 0``, so ``L = L_P`` there and
    ``dL/dt(0⁺) = ∇L_P(c)·d = ν_k‖d‖² < 0`` (``e·d = 0`` as ``d`` lies in the normals' span).

    ``slope = ν_k‖d‖`` is the rate of decrease per unit length. ``noise`` is what the centre's own
    inexactness can produce in a multiplier's slope: its residual ``‖e‖`` plus ``‖∇²L_P‖·δ`` for the
    snap ``δ = KINK_TOL·scale`` onto the kinks (a critical point that far away with ``ν_k ≥ 0`` gives
    ``c`` a slope of at most that size). :func:`refutes` compares the two.
    """

    centre: list[Fraction]
    order: list[Constraint]
    signs: str                  # the region's kink signs
    pattern: Pattern            # the region's pattern
    k: int                      # the kink (index into ``order``) the line leaves
    nu: Fraction
    direction: list[Fraction]
    slope: float
    noise: float
    loose: list[int]            # every kink with a negative multiplier and a line of its own: released together
    spread: list[Fraction]      # the sum of their lines: leaves all of them at once, holds the others at 0

    def refutes(self) -> bool:
        """Whether the slope is clearly above the noise (``|slope| > NOISE_FACTOR·noise``)."""
        return -self.slope > NOISE_FACTOR * self.noise

    def describe(self) -> str:
        j, i = self.order[self.k]
        return (f"the region with kink signs {self.signs} has a negative multiplier ν = {float(self.nu):.3g} at the kink of "
                f"layer 1 unit {i} sample {j} (slope {self.slope:.3g} along the line into it, noise level "
                f"{self.noise:.2g})")

    def start(self) -> list[Fraction]:
        """A point a little way along ``spread`` (the ``loose`` kinks strictly on the region's side, every
        other sign kept): where the search for the critical point with them released begins."""
        length = float(_dot(self.spread, self.spread)) ** 0.5
        t = dyadic(Fraction(min(1e-6, 1e-3 * abs(self.slope)) / length), 40)
        return [a + t * b for a, b in zip(self.centre, self.spread)]

    def rest(self) -> list[Constraint]:
        """The kinks held when the ``loose`` ones are released."""
        return [con for m, con in enumerate(self.order) if m not in self.loose]

    def keeps_region(self, problem: Problem, theta: Sequence[Fraction], rest: Sequence[Constraint]) -> bool:
        """Whether ``θ`` lies in the region's closure with the ``loose`` kinks strictly on its side: every
        pre-activation has the region's sign, except the kinks ``rest`` (at 0 there)."""
        fw = forward(problem, problem.unflatten(list(theta)))
        for m in self.loose:
            j, i = self.order[m]
            z = fw.preactivations[j][0][i]
            if z == 0 or (z > 0) != (self.signs[m] == "1"):
                return False
        held = {(j, 0, i) for j, i in rest}
        return all(fw.pattern[j][k][i] == self.pattern[j][k][i] for j, sample in enumerate(fw.pattern)
                   for k, layer in enumerate(sample) for i in range(len(layer)) if (j, k, i) not in held)


MAX_DESCENTS = 4
"""Most regions with a negative multiplier whose descent lines are built (and whose kinks are released)."""


def _unit_descents(problem: Problem, c: list[Fraction], pattern: Pattern, order: list[Constraint],
                   units: list[tuple[list[Constraint], list[str]]], vectors: dict[Constraint, list[Fraction]]
                   ) -> list[Descent] | Verdict | None:
    """The regions with a negative multiplier, found unit by unit instead of over all ``Π`` regions.

    At the centre every kink's hidden value is 0 whatever its pattern bit, so the forward pass and every
    back-propagated signal are the same in all adjacent pieces, and turning kink ``m`` on adds
    ``δ_m a_m`` to the gradient (``δ_m = ∂L/∂h_m``): ``∇L_P = g_0 + Σ_{m on in P} δ_m a_m``. The normals of
    different units have disjoint supports, so a unit's multipliers depend only on its own signs. Each
    unit's feasible sign strings are scanned with ``M + 1`` gradients in all; the regions built from the
    steepest strings (at most ``MAX_DESCENTS``) are then computed in full and exactly (this is a search:
    the descent itself is proved by the checker). ``None``: no multiplier is negative.
    """
    off = _piece_pattern(problem, pattern, order, "0" * len(order))
    g0 = [to_fraction(v) for v in piece_derivatives(problem, c, off, hessian=False).gradient]
    jump = {}
    for con in order:
        on = piece_derivatives(problem, c, _piece_pattern(problem, off, [con], "1"), hessian=False)
        jump[con] = [to_fraction(a) - b for a, b in zip(on.gradient, g0)]
    best: list[tuple[Fraction, str]] = []      # per unit: its most negative multiplier and that string
    negative: list[tuple[Fraction, int, str]] = []
    for u, (mine, feasible) in enumerate(units):
        # Only the unit's own parameters matter (its normals vanish elsewhere). With signs S = diag(s_m),
        # the signed normals' multipliers are ν = S·μ, μ = G⁻¹Aᵀ∇L_P (G, A unsigned; the same earliest
        # independent normals as _multipliers), and Aᵀ∇L_P is Aᵀg_0 plus the jumps of the kinks turned on.
        support = sorted({p for con in mine for p, a in enumerate(vectors[con]) if a})
        own = [[vectors[con][p] for p in support] for con in mine]
        chosen = independent(own)
        low: tuple[Fraction, str] = (Fraction(0), feasible[0])
        if not chosen:
            best.append(low)
            continue
        gram = [[_dot(own[a], own[b]) for b in chosen] for a in chosen]

        def mu_of(v: list[Fraction]) -> list[Fraction]:
            sol = solve(gram, [_dot(own[a], [v[p] for p in support]) for a in chosen])
            assert sol is not None, "the Gram matrix of independent vectors is nonsingular"
            return sol

        mu0, steps = mu_of(g0), [mu_of(jump[con]) for con in mine]
        for sigma in feasible:
            mu = list(mu0)
            for step, bit in zip(steps, sigma):
                if bit == "1":
                    mu = [a + b for a, b in zip(mu, step)]
            nu = [Fraction(0)] * len(mine)
            for x, a in zip(mu, chosen):
                nu[a] = x if sigma[a] == "1" else -x
            if min(nu) < 0:
                negative.append((min(nu), u, sigma))
                low = min(low, (min(nu), sigma))
        best.append(low)
    if not negative:
        return None
    combined = [sigma for _, sigma in best]
    regions = ["".join(combined)]
    for _, u, sigma in sorted(negative):
        regions.append("".join(combined[:u] + [sigma] + combined[u + 1:]))
    regions = list(dict.fromkeys(regions))[:MAX_DESCENTS]
    descents: list[Descent] = []
    lineless: Verdict | None = None
    for signs in regions:
        pat = _piece_pattern(problem, pattern, order, signs)
        d = piece_derivatives(problem, c, pat)
        g = [to_fraction(v) for v in d.gradient]
        normals = [vectors[con] if s == "1" else [-v for v in vectors[con]] for con, s in zip(order, signs)]
        nu, e2 = _multipliers(g, normals)
        if any(v < 0 for v in nu):
            found = descent_line(problem, c, order, signs, pat, d, g, normals, nu, e2)
            if isinstance(found, Descent):
                descents.append(found)
            else:
                lineless = lineless or found
    if descents:
        return sorted(descents, key=lambda f: f.slope)
    return lineless


def descent_line(problem: Problem, c: list[Fraction], order: list[Constraint], signs: str, pattern: Pattern,
                 d: PieceDerivatives, g: list[Fraction], normals: list[list[Fraction]], nu: list[Fraction],
                 e2: Fraction) -> Descent | Verdict:
    """The steepest :class:`Descent` over the region's negative multipliers, or UNKNOWN if none has a line.

    A negative ``ν_k`` whose normal lies in the span of the others has no line keeping them at 0 (and,
    the normals being dependent, ``ν_k`` is not even unique): UNKNOWN with that reason.
    """
    best, lines = None, {}
    for k, v in enumerate(nu):
        if v >= 0:
            continue
        others = [n for m, n in enumerate(normals) if m != k]
        direction = _orthogonal_part(normals[k], others)
        if not any(direction):
            continue
        lines[k] = direction
        length2 = _dot(direction, direction)
        slope = float(_dot(g, direction)) / float(length2) ** 0.5
        if best is None or slope < best[0]:
            best = (slope, k, direction)
    if best is None:
        return Verdict("UNKNOWN", f"the region with kink signs {signs} has a negative multiplier, but its kink normal "
                       "depends on the others' (no line leaves that kink alone): L may decrease into it")
    slope, k, direction = best
    H = to_float(hessian_of(d))
    scale = max(1.0, max(abs(float(t)) for t in c))
    noise = float(e2) ** 0.5 + float(np.max(np.sum(np.abs(H), axis=1))) * KINK_TOL * scale
    spread = [sum(col, Fraction(0)) for col in zip(*lines.values())]
    return Descent(c, order, signs, pattern, k, nu[k], direction, slope, noise, sorted(lines), spread)


def release(problem: Problem, found: Descent, say: Progress) -> Kinks | list[Descent] | Verdict:
    """The critical point with the ``loose`` kinks released: on the other kinks, inside ``found``'s region.

    The minimum the user's point approximates may sit just inside the region the negative multipliers
    point into, with those ``z_k`` small but nonzero; the snap onto them then leaves spurious negative
    multipliers. Start a little way along ``spread`` (every released kink moves to the region's side, the
    others stay at 0), refine on the other kinks, and keep the result only if it stays in the region's
    closure with the released kinks strictly on the region's side. (With no other kink the caller refines
    inside the region instead.)
    """
    rest = found.rest()
    say(f"releasing {len(found.loose)} kink(s) with a negative multiplier: refining on the other kinks inside the region")
    got = kink_regions(problem, found.start(), rest, True, say)
    if not isinstance(got, Kinks):
        return got
    if not found.keeps_region(problem, got.centre, rest):
        return Verdict("UNKNOWN", "with the kinks released, the critical point on the other kinks lies outside the region")
    return got


def _orthogonal_part(v: list[Fraction], others: list[list[Fraction]]) -> list[Fraction]:
    """``v − proj_{span(others)} v``, exactly (the earliest independent ``others`` span them all)."""
    basis = [others[m] for m in independent(others)] if others else []
    if not basis:
        return list(v)
    gram = [[_dot(a, b) for b in basis] for a in basis]
    coef = solve(gram, [_dot(a, v) for a in basis])
    assert coef is not None, "the Gram matrix of independent vectors is nonsingular"
    out = list(v)
    for a, x in zip(basis, coef):
        if x:
            out = [p - x * q for p, q in zip(out, a)]
    return out


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
                and _clear_of_other_kinks(problem, c, rho, set(order) | set(_twins(problem, order))):
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
    piece = _piece_pattern(problem, pattern, cons, "1" * len(cons))
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


Listing = tuple[list[str], list[tuple[str, list[Fraction]]]]


def unit_arrangement(problem: Problem, limit: int | None = None,
                     lister: Callable[[Problem], Listing] | None = None) -> Listing:
    """The cells of one first-layer unit's data arrangement over every sample, and Gordan-empty prefixes,
    from ``lister`` (by default :func:`case_split` with ``limit``) run on the non-null samples: a null
    sample (``x = 0`` without biases, on no hyperplane) is ``'0'`` in every cell and ``'*'`` with weight 0
    in every prefix (the checker deletes those positions)."""
    def split(sub: Problem) -> Listing:
        cells, gordan = case_split(sub, [(j, 0) for j in range(sub.samples)], limit)
        return cells, [(signs, [Fraction(v) for v in y]) for signs, y in gordan]

    lister = lister or split
    null = sorted(null_samples(problem))
    if not null:
        return lister(problem)
    rest = [j for j in range(problem.samples) if j not in null]
    cells, empty = lister(replace(problem, inputs=tuple(problem.inputs[j] for j in rest),
                                  targets=tuple(problem.targets[j] for j in rest), point=None))

    def lift(signs: str, fill: str) -> str:
        out = [fill] * problem.samples
        for j, c in zip(rest, signs):
            out[j] = c
        return "".join(out)

    lifted = []
    for signs, y in empty:
        full = [Fraction(0)] * problem.samples
        for j, v in zip(rest, y):
            full[j] = Fraction(v)
        lifted.append((lift(signs, "*"), full))
    return [lift(c, "0") for c in cells], lifted


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


def _piece_pattern(problem: Problem, pattern: Pattern, order: Sequence[Constraint], signs: str) -> Pattern:
    """``pattern`` with first-layer entries of the constraints and their twins set by ``signs``."""
    pat = [[list(layer) for layer in sample] for sample in pattern]
    for (j, i), s in zip(order, signs):
        pat[j][0][i] = 1 if s == "1" else 0
    for (k, i), m in _twins(problem, order).items():
        pat[k][0][i] = 1 if signs[m] == "1" else 0
    return tuple(tuple(tuple(layer) for layer in sample) for sample in pat)


def _twins(problem: Problem, order: Sequence[Constraint]) -> dict[Constraint, int]:
    """Unlisted kinks ``(k, i)`` at a sample with the same input as constraint ``m = (j, i)``: ``(k, i) ↦ m``
    (the checker's :func:`proofs.checker.network.twins`; ``z`` is the same function of ``θ`` at both)."""
    listed = set(order)
    out: dict[Constraint, int] = {}
    for m, (j, i) in enumerate(order):
        for k, x in enumerate(problem.inputs):
            if k != j and tuple(x) == tuple(problem.inputs[j]) and (k, i) not in listed:
                out.setdefault((k, i), m)
    return out


def _multipliers(g: list[Fraction], normals: list[list[Fraction]]) -> tuple[list[Fraction], Fraction]:
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
