"""The certificate generator behind ``pscert certify`` (untrusted, fast).

It searches (floating point, Newton refinement, eigenvalue screens) and then writes every fact into a
certificate whose claims rest on exact rational arithmetic. Before it reports CERTIFIED or REFUTED it
runs the independent checker on the certificate; a certificate the checker rejects is never reported
as anything but UNKNOWN. (Inside :func:`proofs.assemble.without_recheck` — ``certify --no-check`` — it
does not, and the verdict's facts say ``checker: not_rechecked``.)

Decisions, in order (docs/SPEC.md §3–§4); each evidence method's search and proof live in :mod:`proofs.methods`:

0. A number beyond the floating-point range: UNKNOWN at once (the search screens with floats).
1. ``λ = 0``: never CERTIFIED. A live hidden unit gives the rescaling curve, a ``not_isolated``
   refutation (:mod:`proofs.methods.curve`); otherwise UNKNOWN.
2. Symmetries: a split orbit of live units (``split_orbit``) or, inside a region, units sharing a pattern
   whose piece grows across their rotation orbit (``rotation_orbit``; on strictly complementary
   first-layer kinks, ``rotation_kink_orbit``), or dead units of the last hidden layer of a deeper network
   beside a live unit (``dead_unit_end``) give ``nonisolated_local_minimum``;
   otherwise (:mod:`proofs.symmetry`) units of one layer that can rotate into each other (shared
   patterns, split or dead units) give a ``not_isolated`` curve, or a descent curve at a dead unit. A
   ``not_isolated`` verdict is a fallback: the kink step below runs first for a descent only (a negative
   multiplier at a kink, :func:`kink_verdict` with ``descent_only``), whose ``not_a_local_minimum``
   answers the user's question where ``not_isolated`` leaves minimality open.
3. The point on or within rounding of first-layer kinks (:mod:`proofs.boundary`): snapped onto them and
   refined along them, then a ``boundary_ball`` or ``kink_ball`` certificate, or ``collapsed_layer`` when
   every hidden unit is dead (``collapsed_network`` first, for two or more hidden layers: every parameter
   but the output bias within rounding of 0); at an exact boundary point an exact descent curve refutes it
   (``not_a_local_minimum``, radius 0); a negative multiplier at a kink is released first, then
   refutes with the line leaving that kink (:func:`_release_or_descend`); otherwise UNKNOWN.
4. Inside a region: refine to a critical point of the piece. A positive-definite Hessian gives an
   ``isolated_local_minimum`` certificate on a tiny ball (interior case); a negative eigenvalue gives a
   ``not_a_local_minimum`` certificate (uniform negative curvature on a ball inside the region). If the
   piece's critical point lies outside its region, the kinks crossed go to step 3.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from typing import Callable

import numpy as np

from symbolic.constraints import Constraint
from symbolic.derivatives import piece_derivatives
from symbolic.network import Forward, Pattern, forward, true_boundary
from symbolic.problem import Problem

from .assemble import Verdict, hessian_of
from .boundary import Descent, Kinks, crossed_constraints, kink_regions, near_constraints, release
from .methods import (boundary_ball, collapsed_layer, collapsed_network, curve, curved_kink_ball, dead_unit_end,
                      interior_ball,
                      kink_ball, negative_curvature, rotation_orbit, split_orbit)
from .refine import SHORT_TARGET, float_hessian, refine_critical_point, short_centre
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
        return curve.rescaling(problem, theta)
    v = split_orbit.search(problem, theta, say)  # a split orbit of live units: a local minimum, not isolated
    if v is not None and v.status == "CERTIFIED":
        return v
    v = rotation_orbit.search(problem, theta, refine, say)  # units sharing a pattern, in a region or on kinks (Lemma M)
    if v is not None and v.status == "CERTIFIED":
        return v
    open_why = v.reason if v is not None else None
    v = dead_unit_end.search(problem, theta, say)  # dead units of the last hidden layer beside a live one, any depth
    if v is not None and v.status == "CERTIFIED":
        return v
    open_why = open_why or (v.reason if v is not None else None)
    v = symmetry_verdict(problem, theta, say)  # split and dead units: never isolated (docs/SPEC.md §4)
    if v is not None:
        if v.claim != "not_isolated":
            return v
        v = _or_descent(problem, theta, v, say)
        why = (open_why or _open_because(problem, theta, v)) if v.claim == "not_isolated" else None
        if why:
            v.reason += f"; whether it is a local minimum stays open ({why})"
        return v
    fw = forward(problem)
    near, deep = near_constraints(problem, theta)
    if true_boundary(problem, fw) or near:
        return _at_boundary(problem, theta, fw, near, deep, refine, say)
    pattern = fw.pattern
    if refine:
        say("refining the point to a critical point of its piece")
        r = refine_critical_point(problem, theta, pattern, target=SHORT_TARGET)
        if r.left_region:
            crossed, deep = crossed_constraints(problem, r.theta, pattern)
            if crossed and not deep:
                say("the piece's critical point lies outside its region: trying the kinks it crossed")
                return kink_verdict(problem, theta, crossed, refine, say)
            return _curved(problem, theta, "refinement left the point's activation region across a boundary of a "
                           "deeper layer", say)
        theta = short_centre(problem, r.theta, pattern)  # interior_ball refines further if its ball does not fit
    return _interior(problem, theta, pattern, refine, say)


def _interior(problem: Problem, theta: list[Fraction], pattern: Pattern, refine: bool, say: Progress) -> Verdict:
    """A critical point inside a region: ``interior_ball``, ``negative_curvature``, or UNKNOWN."""
    say("computing the Hessian at the centre")
    d0 = piece_derivatives(problem, theta, pattern, hessian=False)  # the exact Hessian only where it is used
    hf = float_hessian(problem, theta, pattern)
    lam_min = float(np.linalg.eigvalsh(hf)[0])
    if lam_min > 0:
        return interior_ball.search(problem, theta, pattern, lam_min, refine, say, d0, hf)
    if lam_min < 0:
        v = negative_curvature.search(problem, theta, pattern, hessian_of(piece_derivatives(problem, theta, pattern)),
                                      say)
        if v is not None:
            return v
    return Verdict("UNKNOWN", f"the Hessian of the piece at the centre is singular or nearly so (smallest eigenvalue "
                   f"≈ {lam_min:.3g}); a flat direction (e.g. units sharing an activation pattern) may make the point "
                   "non-isolated")


def _open_because(problem: Problem, theta: list[Fraction], not_isolated: Verdict) -> str | None:
    """Why no method decides minimality at a ``not_isolated`` point where none of them said so itself (each
    declined: its setting does not apply); ``None`` for one hidden layer, whose global verdict decides it."""
    kind, (layer, _i, _j) = not_isolated.facts.get("kind"), not_isolated.facts.get("units", (0, 0, 0))
    if problem.depth == 1:
        return None
    if kind == "dead_end" and layer < problem.depth - 1:
        rank_two = problem.widths[layer + 2] > 1   # vector outgoing weights: no merged unit exists
        return (f"Lemma D's search finds no descent for the dead unit of hidden layer {layer + 1}, and a dead unit's end "
                "point is proved a minimum in the last hidden layer only"
                + (": below it the merge with the live unit would be a rank-two sum, docs/MATHEMATICS.md §3"
                   if rank_two else ""))
    if kind in ("shared_pattern", "zero_pattern") and near_constraints(problem, theta)[1]:
        return ("units sharing a pattern rotate into each other, but a pre-activation of a deeper layer is within "
                "rounding of 0 at the centre (a kink there), and a rotation orbit is certified inside a region or on "
                "first-layer kinks only")
    return None


def _or_descent(problem: Problem, theta: list[Fraction], not_isolated: Verdict, say: Progress) -> Verdict:
    """A ``not_isolated`` symmetry verdict, unless the kink step refutes the point outright.

    ``not_isolated`` leaves open whether the point is a local minimum at all; a negative multiplier at a
    first-layer kink answers that (``not_a_local_minimum``). Only the kink step runs, for a descent
    (bounded by ``MAX_PIECES`` regions and ``MAX_DESCENTS`` releases; no ball certificate is attempted).
    """
    near, deep = near_constraints(problem, theta)
    if not near or deep:
        return not_isolated
    say("the point is not isolated; looking for a descent at its kinks")
    v = kink_verdict(problem, theta, near, True, say, descent_only=True)
    if v.status == "REFUTED" and v.claim == "not_a_local_minimum":
        return v
    return not_isolated


def _at_boundary(problem: Problem, theta: list[Fraction], fw: Forward, near: list[Constraint], deep: bool, refine: bool,
                 say: Progress) -> Verdict:
    """Points on (or within rounding of) region boundaries: kink certificates, descent curves, or UNKNOWN."""
    collapsed = collapsed_network.search(problem, theta, say)  # every hidden unit of a deep network dead (cheap)
    if collapsed is not None and collapsed.status != "UNKNOWN":
        return collapsed
    verdict = collapsed     # its reason, should nothing below decide
    if near and not deep:
        verdict = kink_verdict(problem, theta, near, refine, say)
        if verdict.status != "UNKNOWN":
            return verdict
        collapsed = collapsed_layer.search(problem, theta, say)  # every hidden unit dead: too many regions to list
        if collapsed is not None and collapsed.status != "UNKNOWN":
            return collapsed
    tried: Verdict | None = None
    if deep:
        # A deeper pre-activation within rounding of 0: a descent curve from this centre may only undo that
        # rounding, so the minimum on the snapped curved kinks (Theorem K), when certified, comes first.
        tried = curved_kink_ball.search(problem, theta, say)
        if tried.status == "CERTIFIED":
            return tried
    if fw.boundary:
        say("looking for an exact descent curve from the point")
        v = curve.descent_at(problem, theta, fw.pattern)
        if v is not None:
            return v
    if verdict is not None:
        return verdict
    deeper = [t for t in fw.boundary if t[1] > 0]
    if not deeper:
        return _curved(problem, theta, "a pre-activation of a deeper layer is within rounding of 0 at the point", say,
                       tried)
    triples = ", ".join(f"({j}, {k}, {i})" for j, k, i in deeper[:6])
    more = "" if len(deeper) <= 6 else f" and {len(deeper) - 6} more"
    return _curved(problem, theta, f"the centre lies on a boundary of a deeper layer (z = 0 at sample, layer, unit "
                   f"{triples}{more}) and no descent curve was found", say, tried)


def _curved(problem: Problem, theta: list[Fraction], why: str, say: Progress, tried: Verdict | None = None) -> Verdict:
    """At kinks of deeper layers: Theorem K (``curved_kink_ball``, kinks of layers 1 to 3) when its conditions
    hold, else UNKNOWN saying ``why`` and why Theorem K did not apply."""
    v = tried if tried is not None else curved_kink_ball.search(problem, theta, say)
    if v.status != "UNKNOWN":
        return v
    return Verdict("UNKNOWN", f"{why}; curved boundaries: {v.reason}")


def kink_verdict(problem: Problem, theta: list[Fraction], cons: list[Constraint], refine: bool, say: Progress,
                 on_kinks: bool = False, descent_only: bool = False) -> Verdict:
    """The minimum on the first-layer kinks ``cons`` near ``θ``: ``boundary_ball`` if every adjacent region is
    convex at the centre, else ``kink_ball`` if the kinks are strictly complementary, else UNKNOWN.

    ``on_kinks`` asks for ``kink_ball`` only: its theorem puts the minimum *on* every kink, which a split
    orbit through kink units needs (:mod:`proofs.checker.orbit`); ``boundary_ball``'s may lie beside them.
    A negative multiplier goes to :func:`_release_or_descend`; ``descent_only`` asks for nothing else
    (any other outcome is UNKNOWN).
    """
    found: Kinks | list[Descent] | Verdict = kink_regions(problem, theta, cons, refine, say, descent_only)
    if isinstance(found, list):
        if on_kinks:
            return Verdict("UNKNOWN", f"{found[0].describe()}: the minimum is not on these kinks")
        found = _release_or_descend(problem, found, say, descent_only)
    if isinstance(found, Verdict):
        return found
    if descent_only:
        return Verdict("UNKNOWN", "no negative multiplier at the kinks")
    if not on_kinks and all(p.lam > 0 for p in found.pieces):
        return boundary_ball.search(problem, found, say)
    bad = next((p for p in found.pieces if p.lam <= 0), None)
    complementary = not found.empty and all(v > 0 for p in found.pieces for v in p.nu)
    if complementary:
        verdict = kink_ball.search(problem, found, say)
        if verdict.status != "UNKNOWN" or bad is None:
            return verdict
        return Verdict("UNKNOWN", f"the Hessian of the region with kink signs {bad.signs} is not positive definite "
                       f"(smallest eigenvalue ≈ {bad.lam:.3g}) and the second-order kink test failed: {verdict.reason}")
    if bad is None:
        return Verdict("UNKNOWN", "the kinks are not strictly complementary (a zero multiplier or dependent "
                       "constraints): the minimum is not proved to lie on them")
    return Verdict("UNKNOWN", f"the Hessian of the region with kink signs {bad.signs} is not positive definite at the "
                   f"centre (smallest eigenvalue ≈ {bad.lam:.3g}) and the kink is degenerate (a zero multiplier or "
                   "dependent constraints); a dead or split unit may make the point non-isolated")


def _release_or_descend(problem: Problem, descents: list[Descent], say: Progress, descent_only: bool) -> Kinks | Verdict:
    """Negative multipliers at kinks: the critical point with those kinks released, else the steepest descent.

    Releasing comes first: the minimum may sit just inside a neighbouring region, and the snap onto its
    kinks alone made the multipliers negative. For each region with negative multipliers (steepest first,
    at most ``MAX_DESCENTS``), every such kink is released together (:func:`proofs.boundary.release`); if
    that finds a critical point in the region's closure (on the other kinks, or inside the region when
    none is left), that point is the answer's subject: its kinks are returned for the ball methods, or
    its interior verdict. Otherwise the straight line leaving the steepest kink refutes the centre, but
    only when its slope is clearly above the noise (:meth:`Descent.refutes`): a multiplier negative at the
    level of the residual or of the snap onto the kinks is not evidence about the network.
    """
    if descent_only and not descents[0].refutes():   # no refutation can follow, so no release is needed
        return Verdict("UNKNOWN", f"{descents[0].describe()}, not clearly above the noise")
    whys = []
    for found in descents:
        if found.rest():
            released = release(problem, found, say)
            if isinstance(released, Kinks):
                return Verdict("UNKNOWN", "with the kinks released, a critical point lies inside the region: no "
                               "descent at it") if descent_only else released
            whys.append(released[0].describe() if isinstance(released, list) else released.reason)
            continue
        say("releasing every kink: refining inside the region")
        r = refine_critical_point(problem, found.start(), found.pattern, target=SHORT_TARGET)
        if not r.left_region and found.keeps_region(problem, r.theta, []):
            if descent_only:
                return Verdict("UNKNOWN", "with the kinks released, a critical point lies inside the region")
            return _interior(problem, short_centre(problem, r.theta, found.pattern), found.pattern, True, say)
        whys.append("with the kinks released, the piece's critical point lies outside the region")
    found = descents[0]
    why = "releasing the kinks found no critical point (" + "; ".join(dict.fromkeys(whys)) + ")"
    if not found.refutes():
        return Verdict("UNKNOWN", f"{found.describe()}, not clearly above the noise; {why}")
    say("a negative multiplier at a kink: proving the descent along the line leaving it")
    v = curve.kink_descent(problem, found)
    if v is None:
        return Verdict("UNKNOWN", f"{found.describe()}: the line leaving the kink was not proved a descent")
    return v
