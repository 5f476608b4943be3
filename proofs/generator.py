"""The certificate generator behind ``pscert certify`` (untrusted, fast).

It searches (floating point, Newton refinement, eigenvalue screens) and then writes every fact into a
certificate whose claims rest on exact rational arithmetic. Before it reports CERTIFIED or REFUTED it
runs the independent checker on the certificate; a certificate the checker rejects is never reported
as anything but UNKNOWN.

Decisions, in order (SPEC §3–§4):

1. ``λ = 0``: never CERTIFIED. A live hidden unit gives the rescaling curve, a ``not_isolated``
   refutation; otherwise UNKNOWN.
2. Symmetries (:mod:`proofs.symmetry`): units of one layer that can rotate into each other (shared
   patterns, split or dead units) give a ``not_isolated`` curve, or a descent curve at a dead unit.
3. The point on or within rounding of first-layer kinks (:mod:`proofs.boundary`): snapped onto them and
   refined along them, then a ``boundary_ball`` or ``kink_ball`` certificate; at an exact boundary point
   an exact descent curve refutes it (``not_a_local_minimum``, radius 0); otherwise UNKNOWN.
4. Inside a region: refine to a critical point of the piece. A positive-definite Hessian gives an
   ``isolated_local_minimum`` certificate on a tiny ball (interior case); a negative eigenvalue gives a
   ``not_a_local_minimum`` certificate (uniform negative curvature on a ball inside the region). If the
   piece's critical point lies outside its region, the kinks crossed go to step 3.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from typing import Callable, Iterator

import numpy as np
from flint import fmpq_mat

from symbolic.constraints import Constraint
from symbolic.derivatives import piece_derivatives, to_fraction, to_fmpq
from symbolic.network import Forward, Pattern, forward, null_samples, pattern_to_json, true_boundary
from symbolic.problem import Problem
from symbolic.rationals import canonical

from .assemble import (Verdict, certificate, checked, curve_certificate, delta, hessian_of, identity, radius_for,
                       rational_below, short, sign_stable, sqrt_above)
from .boundary import certify_boundary, near_constraints
from .collapse import collapsed_verdict
from .positivity import pd_certificate, smallest_eigenvalue, to_float
from .refine import refine_critical_point
from .symmetry import symmetry_verdict

Progress = Callable[[str], None]

FLOAT_LIMIT = Fraction(sys.float_info.max)
"""Numbers above it in magnitude cannot be screened with floats: such problems are UNKNOWN at once."""


def certify(problem: Problem, refine: bool = True, progress: Progress | None = None) -> Verdict:
    """Prove or refute that the problem's point is (near) an isolated strict local minimum.

    Parameters
    ----------
    problem
        A problem with a ``point``.
    refine
        Refine the point to a critical point of its piece first (``--no-refine`` certifies the point
        as given; a ball around it must then contain the minimum).
    progress
        Called with short status messages (the CLI shows them on stderr).

    Returns
    -------
    Verdict
        CERTIFIED, REFUTED (each with a checked certificate) or UNKNOWN with the reason.
    """
    say = progress or (lambda _msg: None)
    if problem.point is None:
        raise ValueError("the problem has no point")
    theta = problem.flatten(problem.point)
    huge = _beyond_floats(problem, theta)
    if huge is not None:
        return Verdict("UNKNOWN", f"{huge} is beyond the floating-point range that the search screens with "
                       f"(|x| > {sys.float_info.max:.3g}); scale the problem down")
    try:
        # The search screens in floats: an overflow to ±inf or NaN may lose a candidate, never decide.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return _decide(problem, theta, refine, say)
    except OverflowError:
        return Verdict("UNKNOWN", "a floating-point screen overflowed (the problem's numbers are too large to search "
                       "with floats); scale the problem down")


def _beyond_floats(problem: Problem, theta: list[Fraction]) -> str | None:
    """Where the first number of the problem too large for a float is, or ``None``."""
    named = [("loss.weight_decay", problem.weight_decay)]
    named += [(f"data.inputs[{j}][{i}]", v) for j, row in enumerate(problem.inputs) for i, v in enumerate(row)]
    named += [(f"data.targets[{j}][{i}]", v) for j, row in enumerate(problem.targets) for i, v in enumerate(row)]
    named += [(f"point entry θ_{p}", v) for p, v in enumerate(theta)]
    return next((where for where, v in named if abs(v) > FLOAT_LIMIT), None)


def _decide(problem: Problem, theta: list[Fraction], refine: bool, say: Progress) -> Verdict:
    """The decision procedure of :func:`certify` (floats may overflow inside: the caller catches it)."""
    if problem.weight_decay == 0:
        return _no_decay(problem, theta)
    v = symmetry_verdict(problem, theta, say)  # split and dead units: never isolated (SPEC §4)
    if v is not None:
        return v
    fw = forward(problem)
    near, deep = near_constraints(problem, theta)
    if true_boundary(problem, fw) or near:
        return _at_boundary(problem, theta, fw, near, deep, refine, say)
    pattern = fw.pattern
    if refine:
        say("refining the point to a critical point of its piece")
        r = refine_critical_point(problem, theta, pattern)
        if r.left_region:
            crossed, deep = _crossed(problem, r.theta, pattern)
            if crossed and not deep:
                say("the piece's critical point lies outside its region: trying the kinks it crossed")
                return certify_boundary(problem, theta, crossed, refine, say)
            return Verdict("UNKNOWN", "refinement left the point's activation region across a boundary of a deeper "
                           "layer (curved boundaries are not supported)")
        theta = r.theta
    say("computing the exact Hessian at the centre")
    H0 = hessian_of(piece_derivatives(problem, theta, pattern))
    lam_min = smallest_eigenvalue(H0)
    if lam_min > 0:
        return _interior_minimum(problem, theta, pattern, lam_min, refine, say)
    if lam_min < 0:
        v = _negative_curvature(problem, theta, pattern, H0, say)
        if v is not None:
            return v
    return Verdict("UNKNOWN", f"the Hessian of the piece at the centre is singular or nearly so (smallest eigenvalue "
                   f"≈ {lam_min:.3g}); a flat direction (e.g. units sharing an activation pattern) may make the point "
                   "non-isolated")


def _at_boundary(problem: Problem, theta: list[Fraction], fw: Forward, near: list[Constraint], deep: bool, refine: bool,
                 say: Progress) -> Verdict:
    """Points on (or within rounding of) region boundaries: kink certificates, descent curves, or UNKNOWN."""
    verdict = None
    if near and not deep:
        verdict = certify_boundary(problem, theta, near, refine, say)
        if verdict.status != "UNKNOWN":
            return verdict
        collapsed = collapsed_verdict(problem, theta, say)  # every hidden unit dead: too many regions to list
        if collapsed is not None and collapsed.status != "UNKNOWN":
            return collapsed
    if fw.boundary:
        say("looking for an exact descent curve from the point")
        v = _descent_at(problem, theta, fw.pattern)
        if v is not None:
            return v
    if verdict is not None:
        return verdict
    deeper = [t for t in fw.boundary if t[1] > 0]
    if not deeper:
        return Verdict("UNKNOWN", "a pre-activation of a deeper layer is within rounding of 0 at the point: curved "
                       "boundaries are not supported")
    triples = ", ".join(f"({j}, {k}, {i})" for j, k, i in deeper[:6])
    more = "" if len(deeper) <= 6 else f" and {len(deeper) - 6} more"
    return Verdict("UNKNOWN", f"the centre lies on a boundary of a deeper layer (z = 0 at sample, layer, unit {triples}{more}):"
                   " curved boundaries are not supported, and no descent curve was found")


def _crossed(problem: Problem, theta: list[Fraction], pattern: Pattern) -> tuple[list[tuple[int, int]], bool]:
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


# ---------------------------------------------------------------------------------------------------
# interior case


def _interior_minimum(problem: Problem, theta: list[Fraction], pattern: Pattern, lam_min: float, refine: bool,
                      say: Progress) -> Verdict:
    mu = rational_below(lam_min / 2)
    P = problem.parameter_count
    for target in (1e-40, 1e-80, 1e-160):
        d = piece_derivatives(problem, theta, pattern)
        g2 = sum((to_fraction(v) ** 2 for v in d.gradient), Fraction(0))
        rho = radius_for(g2, mu)
        if rho is None:
            if not refine:
                break
            say(f"refining further (‖∇L‖² ≈ {float(g2):.2g})")
            theta = refine_critical_point(problem, theta, pattern, target=target).theta
            continue
        dlt = delta(problem, theta, rho)
        stable = sign_stable(problem, theta, rho)
        if not stable or float(mu + dlt) >= 0.9 * lam_min:
            if not refine:
                break
            theta = refine_critical_point(problem, theta, pattern, target=target).theta
            continue
        say("building the positive-definiteness certificate")
        A = hessian_of(d) - to_fmpq(mu + dlt) * identity(P)
        pd = pd_certificate(A)
        if pd is None:
            return Verdict("UNKNOWN", f"no positive-definiteness certificate found for H − (μ+δ)I (μ = {canonical(mu)})")
        evidence = {"method": "interior_ball", "pattern": pattern_to_json(pattern), "delta": canonical(dlt), "pd": pd}
        cert = certificate(problem, "CERTIFIED", "isolated_local_minimum", theta, rho, evidence, mu)
        dist = sqrt_above(g2 / (mu * mu))
        facts = {"mu": canonical(mu), "radius": canonical(rho), "distance_bound": canonical(dist),
                 "loss": canonical(to_fraction(d.loss)), "parameters": P}
        reason = (f"isolated strict local minimum within {short(dist, 'up')} of the centre; L is μ-strongly convex on the "
                  f"ball of radius {short(rho)} with μ = {short(mu)}")
        return checked(Verdict("CERTIFIED", reason, "isolated_local_minimum", cert, facts))
    return Verdict("UNKNOWN", "the Hessian is positive definite at the centre but the gradient could not be made small "
                   "enough for a ball certificate" + ("" if refine else " (try without --no-refine)"))


def _negative_curvature(problem: Problem, theta: list[Fraction], pattern: Pattern, H0: fmpq_mat,
                        say: Progress) -> Verdict | None:
    say("building a negative-curvature certificate")
    w, V = np.linalg.eigh(to_float(H0))
    # An eigenvector's sign is arbitrary (it differs between LAPACK builds): make the entry of largest
    # magnitude +1, so the certificate is the same on every machine.
    v = V[:, 0] / V[int(np.argmax(np.abs(V[:, 0]))), 0]
    d = [Fraction(round(x * 2 ** 20), 2 ** 20) for x in v]
    Hd = [sum((to_fraction(H0[i, j]) * d[j] for j in range(len(d))), Fraction(0)) for i in range(len(d))]
    curv = sum((a * b for a, b in zip(d, Hd)), Fraction(0))
    dd = sum((x * x for x in d), Fraction(0))
    if curv >= 0:
        return None
    rho = Fraction(1, 2 ** 10)
    for _ in range(200):
        dlt = delta(problem, theta, rho)
        if curv + dlt * dd < 0 and sign_stable(problem, theta, rho):
            evidence = {"method": "negative_curvature", "pattern": pattern_to_json(pattern), "delta": canonical(dlt),
                        "direction": [canonical(x) for x in d]}
            cert = certificate(problem, "REFUTED", "not_a_local_minimum", theta, rho, evidence)
            facts = {"curvature": canonical(curv / dd), "radius": canonical(rho), "smallest_eigenvalue_estimate": float(w[0])}
            reason = (f"no local minimum within {short(rho)} of the centre: dᵀ∇²L d ≤ {short(curv / dd + dlt, 'up')}·‖d‖² < 0 "
                      "on the whole ball (a saddle)")
            return checked(Verdict("REFUTED", reason, "not_a_local_minimum", cert, facts))
        rho /= 2
    return None


# ---------------------------------------------------------------------------------------------------
# curves: descent at exact points, rescaling without weight decay


def _descent_at(problem: Problem, theta: list[Fraction], own: Pattern) -> Verdict | None:
    """Try straight descent curves ``c + t·d`` from an exact point, along candidate directions."""
    for d in _descent_candidates(problem, theta, own):
        cert = curve_certificate(problem, theta, "not_a_local_minimum", "descent", [[c, e] for c, e in zip(theta, d)], [Fraction(1)])
        if cert is not None:
            return checked(Verdict("REFUTED", "the centre is not a local minimum: L decreases strictly along an exact "
                                    "curve leaving it", "not_a_local_minimum", cert,
                                    {"direction": [canonical(x) for x in d], "t0": cert["evidence"]["t0"]}))
    return None


def _descent_candidates(problem: Problem, theta: list[Fraction], own: Pattern) -> Iterator[list[Fraction]]:
    """Directions worth trying: minus each adjacent piece's gradient and its negative-curvature vectors."""
    fw = forward(problem, problem.unflatten(theta))
    zeros = fw.boundary[:10]
    seen: set[tuple[Fraction, ...]] = set()
    for mask in range(1 << len(zeros)):
        pat = [[list(layer) for layer in sample] for sample in own]
        for bit, (j, k, i) in enumerate(zeros):
            pat[j][k][i] = (mask >> bit) & 1
        piece = tuple(tuple(tuple(layer) for layer in sample) for sample in pat)
        d = piece_derivatives(problem, theta, piece)
        g = [to_fraction(v) for v in d.gradient]
        dirs = []
        if any(g):
            dirs.append([-x for x in g])
        w, V = np.linalg.eigh(to_float(hessian_of(d)))
        for idx in range(len(w)):
            if w[idx] < 0:
                col = V[:, idx] / np.max(np.abs(V[:, idx]))
                dirs += [[Fraction(round(x * 2 ** 12), 2 ** 12) for x in col], [Fraction(-round(x * 2 ** 12), 2 ** 12) for x in col]]
        for dvec in dirs:
            key = tuple(dvec)
            if any(dvec) and key not in seen:
                seen.add(key)
                yield dvec


def _no_decay(problem: Problem, theta: list[Fraction]) -> Verdict:
    """``λ = 0``: positive rescaling of a live hidden unit leaves ``L`` unchanged."""
    why = "no weight decay (λ = 0): positive rescaling of a hidden unit leaves the loss unchanged, so no minimum is isolated"
    if problem.depth == 0 or problem.activation != "relu":
        return Verdict("UNKNOWN", "no weight decay (λ = 0): minima are not isolated in general; pscert certifies only with λ > 0")
    params = problem.unflatten(list(range(problem.parameter_count)))  # parameter positions
    for k in range(problem.depth):
        for i in range(problem.widths[k + 1]):
            # unflatten keeps entries as given: int positions, though Params types them as Fractions
            incoming = [int(p) for p in list(params.weights[k][i]) + ([params.biases[k][i]] if params.biases else [])]
            outgoing = [int(row[i]) for row in params.weights[k + 1]]
            if not any(theta[p] for p in incoming + outgoing):
                continue
            # (v, a) ↦ (s v, a / s) with s = 1 + t, written over the common denominator q = 1 + t
            nums = [[x, x] for x in theta]
            for p in incoming:
                nums[p] = [theta[p], 2 * theta[p], theta[p]]
            for p in outgoing:
                nums[p] = [theta[p]]
            cert = curve_certificate(problem, theta, "not_isolated", "constant", nums, [Fraction(1), Fraction(1)])
            if cert is not None:
                return checked(Verdict("REFUTED", f"{why}: the curve rescaling unit {i} of hidden layer {k + 1} keeps L "
                                        "constant", "not_isolated", cert, {"unit": [k, i]}))
    return Verdict("UNKNOWN", why + "; no live unit was found to exhibit it")


