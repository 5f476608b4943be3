"""The answer for the network the user trained: certify the structure a float point approximates.

A trained point is a float approximation; the question is whether training reached a local minimum,
not whether the literal point, float dust included, is one. :func:`certify_trained` therefore

1. reads candidate structures off the point (:mod:`proofs.snap`: dead units, kinks, split units,
   constant outputs, with a tolerance from the point's dtype, magnitude and gradient), most plausible
   first, the point as given last;
2. for each, computes an exact centre on the structure (:mod:`proofs.structured`) and certifies it with
   :func:`proofs.generator.certify`;
3. when the nearer candidates leave minimality open, tries farther critical points: those of the same
   structures, found by damped Newton, and that of the structure with the units fading to death
   (within ``10⁻³·s`` of 0, :func:`proofs.snap.faded`) dead, refuted there only by a descent that reaches
   well past the trained point (:func:`_short_descent`);
4. returns the first decided verdict, with the user's point recorded in the certificate (``origin``)
   and a proved bound ``D`` on the distance from it to the certificate's centre (``origin_distance``,
   ``‖origin − center‖² ≤ D²`` exactly), so the certified minimum, or the refuted point, is within
   ``D + ρ`` of the user's point.

A refutation that only moves float dust (parameters that are nonzero but within rounding of 0) is
never the answer: it speaks about the rounding, not about the trained network. When every candidate
fails the verdict is UNKNOWN with each attempt's reason.

Snapping is a search step, never a proof: the centre is exact, every claim is checked at it, and ``D``
is computed exactly from the two points.
"""

from __future__ import annotations

import math

from fractions import Fraction
from typing import Any, Callable, Sequence

from symbolic.problem import Problem, params_to_json, parse_params
from symbolic.rationals import canonical

from . import checker, replay
from .assemble import NOT_RECHECKED, Verdict, checker_problem, rechecking, sqrt_above
from .generator import certify
from .snap import Structure, Tolerance, candidates, dust, faded, safe_float, tolerance
from .structured import structured_centre
from .symmetry import unit_positions

Progress = Callable[[str], None]

REACH = 10
"""A structure's centre may lie at most ``REACH·tol`` from the point (max norm) in the first pass."""

FAR = 0.1
"""The farther pass (:func:`far_reach`) accepts a critical point at most ``FAR·max(1, ‖θ‖∞)`` away."""

SLACK = 4
"""... and at most ``SLACK`` times the first-order estimate of its distance (the first Newton step)."""

DESCENT_REACH = 4
"""A refutation at the fading units' death stands only if its checked descent reaches this many times the
trained point's distance (:func:`_short_descent`)."""

CRITICAL = 1e-12
"""A centre whose projected gradient (exact, read in floats) is at most this is critical for the search;
farther than ``REACH·tol`` only such centres are certified (a far point that is not critical says
nothing about the network). Not smaller: the projection is read in floats from a gradient whose part
along the structure's normals (the multipliers, ``10⁻⁴`` and more) leaves a rounding floor near
``10⁻²⁰``; Newton that stalls stops many orders above ``10⁻¹²``, and what certify decides at the centre
accounts for its residual (Lemma D's residual margin, the ball methods' bounds)."""


def certify_trained(problem: Problem, tol: float | None = None, refine: bool = True,
                    progress: Progress | None = None) -> Verdict:
    """Decide whether the trained ``problem.point`` approximates a local minimum, with the distance proved.

    Parameters
    ----------
    problem
        A problem with a ``point`` (the user's trained weights, exact).
    tol
        Snapping tolerance relative to ``max(1, ‖θ‖_∞)``; by default derived from the point
        (:func:`proofs.snap.tolerance`).
    refine
        Without refinement only the point as given is certified (no structure is snapped).
    progress
        Called with short status messages.

    Returns
    -------
    Verdict
        The first decided verdict over the candidate structures, its certificate carrying ``origin`` and
        ``origin_distance`` and its facts ``origin_distance``, ``structure`` and ``attempts``; or UNKNOWN
        with every attempt's reason.

    Examples
    --------
    The scalar chain ``f = b·relu(a·x)`` (``x = y = 1``, ``λ = 1/4``) near its minimum ``a = b = √3/2``:

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]},
    ...     "point": {"weights": [[["0.866"]], [["0.866"]]]}})
    >>> v = certify_trained(p)
    >>> v.status, "of your point" in v.reason, Fraction(v.certificate["origin_distance"]) < Fraction(1, 1000)
    ('CERTIFIED', True, True)
    """
    say = progress or (lambda _msg: None)
    if problem.point is None:
        raise ValueError("the problem has no point")
    theta = problem.flatten(problem.point)
    t = tolerance(problem, theta, tol)
    tried = candidates(problem, theta, t) if refine and problem.weight_decay > 0 else [Structure()]
    attempts: list[dict[str, str]] = []
    retry: list[Structure] = []       # no critical centre within REACH·tol: tried again, farther (FAR)
    fallback: Verdict | None = None   # a not_isolated verdict: true, but it leaves minimality open
    critical = False                  # whether the fallback's centre is a critical point of its structure
    for structure in tried:
        critical = False
        if structure:
            say(f"trying the structure: {structure.describe()}")
            centre = structured_centre(problem, theta, structure, reach=REACH * t.tol)
            critical = centre.gradient_norm <= CRITICAL
            if centre.theta is None or not critical:
                retry.append(structure)
            if centre.theta is None:
                attempts.append({"structure": structure.describe(), "reason": centre.reason})
                continue
            at = problem.with_point(problem.unflatten(centre.theta))
        else:
            say("trying the point as given")
            at = problem
        v = _certify_at(problem, at, t, refine, say)
        if v.status == "UNKNOWN":
            attempts.append({"structure": structure.describe(), "reason": v.reason})
            continue
        v = with_origin(problem, v, structure, attempts)
        if v.claim == "not_isolated" and retry:
            fallback = v           # true, but minimality stays open: first the farther critical points
            break
        return v
    fading = faded(problem, theta, t) if refine and problem.weight_decay > 0 else Structure()
    if fading and fading not in retry:
        retry.append(fading)   # units shrinking to death: the critical point with them dead, last
    for structure in retry:
        v, structure = _far(problem, theta, structure, t, refine, say)
        if v.status == "UNKNOWN":
            attempts.append({"structure": structure.describe() + " (farther)", "reason": v.reason})
            continue
        v = with_origin(problem, v, structure, attempts, far=True)
        if structure == fading and v.claim == "not_a_local_minimum":
            short_of = _short_descent(v)
            if short_of:
                attempts.append({"structure": structure.describe() + " (farther)", "reason": short_of})
                continue
        if v.claim == "not_isolated":
            if fallback is None or not critical:   # about a critical point rather than a point near one
                fallback, critical = v, True
            continue
        return v
    if fallback is not None:
        fallback.facts["attempts"] = attempts
        return fallback
    if len(attempts) == 1:   # only the point as given was tried: its own reason says it all
        return Verdict("UNKNOWN", attempts[0]["reason"], facts={"attempts": attempts})
    listed = "; ".join(f"[{n + 1}] {a['structure']}: {a['reason']}" for n, a in enumerate(attempts))
    return Verdict("UNKNOWN", f"no candidate structure was decided ({listed})", facts={"attempts": attempts})


def _short_descent(v: Verdict) -> str:
    """Why a refutation at the centre with the fading units dead does not speak for the trained point, or "".

    A unit that is small but alive may sit at a true minimum next to the saddle its death would be: Lemma D's
    descent from the saddle then ends at that minimum, about as far out as the trained unit. So the
    refutation stands only when its checked descent, the straight line ``(t·v, t·a)`` for ``0 < t ≤ t₀``,
    reaches ``DESCENT_REACH`` times farther than the trained point is from the centre: the trained unit then
    lies on the saddle's slope, far short of where the descent could end.
    """
    f = v.facts
    if f.get("kind") != "dead_end_descent":
        return "only a dead unit's descent (Lemma D) speaks for a point whose unit is fading, not this refutation"
    step = sum((Fraction(x) ** 2 for x in f["direction"] + f["outgoing"]), Fraction(0))
    reach2 = Fraction(f["t0"]) ** 2 * step
    if reach2 >= (DESCENT_REACH * Fraction(f["origin_distance"])) ** 2:
        return ""
    return (f"the descent from the centre with the fading unit(s) dead is checked only ≈{math.sqrt(float(reach2)):.2g} "
            f"far, not {DESCENT_REACH} times past the trained point (≈{float(Fraction(f['origin_distance'])):.2g} "
            "away): the trained unit may sit at a minimum where that descent ends")


def far_reach(problem: Problem, theta: Sequence[Fraction], t: Tolerance, estimate: float) -> float:
    """How far a structure's critical point may lie from ``θ`` once no nearer candidate answered (max norm).

    ``SLACK`` times the first-order estimate of the distance (the projection onto the structure plus the
    first Newton step, :attr:`proofs.structured.Centre.estimate`), at least ``REACH·tol`` and at most
    ``FAR·s`` (``s = max(1, ‖θ‖_∞)``). Why from the Newton step: training stops where the gradient is
    ``g``, about ``‖H_S⁻¹g‖`` from the critical point, and on a flat reduced system (curvature ``10⁻⁴``)
    that is ``10⁻²`` and more even when ``g`` itself is small, which a fixed multiple of the tolerance
    (itself from ``‖g‖``) cannot see. The ceiling keeps the answer about a point the training plausibly
    approximates; the verdict states the proved distance either way.
    """
    s = max(1.0, max((abs(safe_float(v)) for v in theta), default=0.0))
    return min(FAR * s, max(REACH * t.tol, SLACK * estimate))


def _far(problem: Problem, theta: list[Fraction], structure: Structure, t: Tolerance, refine: bool,
         say: Progress) -> tuple[Verdict, Structure]:
    """The verdict at the structure's critical point found by damped Newton within :func:`far_reach`, and the
    structure it is about (with units that collapsed on the way dead)."""
    say(f"trying the structure farther from the point: {structure.describe()}")
    centre = structured_centre(problem, theta, structure, damped=True)
    if centre.theta is None:
        return Verdict("UNKNOWN", centre.reason), structure
    collapsed = _collapsed_units(problem, centre.theta, structure)
    if collapsed:
        # Newton drove whole units to the level of its residual (a small split unit shrinking onto the end of
        # its circle): the critical point has them dead, which the structure should say exactly.
        structure = _with_dead(structure, collapsed)
        say(f"units collapsed on the way: trying the structure {structure.describe()}")
        centre = structured_centre(problem, theta, structure, damped=True)
        if centre.theta is None:
            return Verdict("UNKNOWN", centre.reason), structure
    reach = far_reach(problem, theta, t, centre.estimate)
    if centre.moved > reach:
        return Verdict("UNKNOWN", f"the structure's critical point is {centre.moved:.2g} away from the point (more than "
                       f"{reach:.2g}, {SLACK} times the first Newton step's estimate or {FAR}·max(1, ‖θ‖∞))"), structure
    if not centre.gradient_norm <= CRITICAL:
        return Verdict("UNKNOWN", f"damped Newton on the structure stopped at projected gradient "
                       f"{centre.gradient_norm:.2g}, not at a critical point"), structure
    assert centre.theta is not None, "checked above, before and after the re-solve"
    return _certify_at(problem, problem.with_point(problem.unflatten(centre.theta)), t, refine, say), structure


def _collapsed_units(problem: Problem, c: Sequence[Fraction], structure: Structure) -> list[tuple[int, int]]:
    """Hidden units not dead in ``structure`` whose parameters are all within ``CRITICAL·max(1, ‖c‖∞)`` of 0."""
    level = CRITICAL * max(1.0, max((abs(safe_float(v)) for v in c), default=0.0))
    return [(k, i) for k in range(problem.depth) for i in range(problem.widths[k + 1]) if (k, i) not in structure.dead
            and all(abs(safe_float(c[p])) <= level for p in unit_positions(problem, k, i))]


def _with_dead(structure: Structure, units: list[tuple[int, int]]) -> Structure:
    """``structure`` with ``units`` dead too: their splits and first-layer kinks dropped (they vanish with them)."""
    dead = tuple(sorted(set(structure.dead) | set(units)))
    kinks = tuple(k for k in structure.kinks if (0, k[1]) not in dead)
    splits = tuple(sp for sp in structure.splits if (sp.layer, sp.i) not in dead and (sp.layer, sp.j) not in dead)
    return Structure(dead, kinks, splits, structure.constant_outputs)


def _certify_at(problem: Problem, at: Problem, t: Tolerance, refine: bool, say: Progress) -> Verdict:
    """:func:`proofs.generator.certify` at ``at``'s point, unless the verdict speaks only about rounding."""
    v = certify(at, refine=refine, progress=say)
    if v.status != "UNKNOWN" and _dust_only(problem, v, t):
        v = Verdict("UNKNOWN", f"the {v.claim} certificate only moves float dust (parameters within "
                    f"{t.rounding:.2g} of 0): it speaks about rounding, not about the trained network")
    elif v.status != "UNKNOWN" and _rounding_slope(problem, v, t):
        v = Verdict("UNKNOWN", f"L decreases only to first order with a slope below {t.tol:.2g}: the centre is "
                    "not exactly critical, which says nothing about the critical point it approximates")
    return v


def with_origin(problem: Problem, v: Verdict, structure: Structure, attempts: list[dict[str, str]],
                far: bool = False) -> Verdict:
    """``v`` with the user's point in its certificate and the proved distance bound in its status line.

    ``far``: the centre is the structure's critical point found beyond the snapping tolerance
    (:func:`far_reach`), which the status line says.

    ``D = sqrt_above(‖origin − center‖²)``: the squared distance is exact, and ``D² ≥`` it.
    """
    assert v.certificate is not None and problem.point is not None, "a decided verdict carries a certificate"
    origin = problem.flatten(problem.point)
    center = problem.flatten(parse_params(v.certificate["center"], problem, "center"))
    D = origin_distance(origin, center)
    cert: dict[str, Any] = {}
    for key, value in v.certificate.items():
        cert[key] = value
        if key == "center":
            cert["origin"] = params_to_json(problem.point)
            cert["origin_distance"] = canonical(D)
    rho = Fraction(cert["radius"])
    if D == 0:
        where = "the certificate's centre is your point"
    else:
        where = f"the certificate's centre is within {_up(D)} of your point"
    if v.status == "CERTIFIED":
        where += f", so the minimum is within {_up(D + rho)} of it"
    snapped = f" (structure: {structure.describe()})" if structure else ""
    if far:
        snapped = (f" (the critical point of the structure {structure.describe()}, beyond the snapping tolerance: "
                   "training stopped that far from it)")
    facts = dict(v.facts, origin_distance=canonical(D), structure=structure.describe(), attempts=list(attempts))
    return _checked(Verdict(v.status, f"{v.reason}; {where}{snapped}", v.claim, cert, facts))


def _checked(v: Verdict) -> Verdict:
    """The checker on the certificate with its ``origin`` keys (``D`` is also re-checked here exactly); a
    rejected certificate becomes UNKNOWN, never a verdict."""
    assert v.certificate is not None, "a decided verdict carries a certificate"
    cert = v.certificate
    D = Fraction(cert["origin_distance"])
    origin = [Fraction(x) for W in cert["origin"]["weights"] for row in W for x in row]
    center = [Fraction(x) for W in cert["center"]["weights"] for row in W for x in row]
    if cert["origin"].get("biases") is not None:
        origin += [Fraction(x) for b in cert["origin"]["biases"] for x in b]
        center += [Fraction(x) for b in cert["center"]["biases"] for x in b]
    if D < 0 or D * D < sum(((a - b) ** 2 for a, b in zip(origin, center)), Fraction(0)):
        return Verdict("UNKNOWN", "internal error: the distance bound to the user's point does not hold")
    if not rechecking():
        v.facts["checker"] = NOT_RECHECKED
        return v
    try:
        v.facts["checker"] = checker.check_certificate(cert)
    except checker.CertificateInvalid as err:
        return Verdict("UNKNOWN", f"internal error: the certificate was rejected by the checker ({err})")
    return v


def origin_distance(origin: Sequence[Fraction], center: Sequence[Fraction]) -> Fraction:
    """A short dyadic ``D`` with ``D² ≥ ‖origin − center‖²`` (0 when they are equal).

    >>> origin_distance([Fraction(0), Fraction(0)], [Fraction(3), Fraction(4)]) >= 5
    True
    """
    return sqrt_above(sum(((a - b) ** 2 for a, b in zip(origin, center)), Fraction(0)))


def _dust_only(problem: Problem, v: Verdict, t: Tolerance) -> bool:
    """Whether a refutation moves only float dust: every parameter it moves is nonzero dust at the centre."""
    cert = v.certificate
    if v.status != "REFUTED" or cert is None:
        return False
    center = problem.flatten(parse_params(cert["center"], problem, "center"))
    moved = _moved(cert["evidence"], center)
    small = dust(center, t)         # rounding level only: a small but trained unit is not dust
    return bool(moved) and all(p in small or center[p] == 0 for p in moved) and any(p in small for p in moved)


def _rounding_slope(problem: Problem, v: Verdict, t: Tolerance) -> bool:
    """Whether a descent curve's first-order slope ``Λ₁/(q₀^{2(H+1)}‖γ'(0)‖)`` is nonzero but within ``tol``.

    Every point that is not exactly critical has such a curve (minus its gradient); only a slope well
    above the point's rounding and training level (a negative multiplier at a kink) says something
    about the structure.
    """
    cert = v.certificate
    if cert is None or cert["evidence"].get("method") != "curve" or cert["evidence"].get("kind") != "descent":
        return False
    ev = cert["evidence"]
    center = problem.flatten(parse_params(cert["center"], problem, "center"))
    curve = replay.curve_loss_polynomial(checker_problem(problem), center, ev["numerators"], ev["denominator"])
    lam = curve.Lambda
    if len(lam) < 2 or not lam[1]:
        return False
    q = [Fraction(c) for c in ev["denominator"]] + [Fraction(0)]
    # γ'(0) = (n₁ − c·q₁)/q₀, since n₀ = c·q₀
    velocity = [((Fraction(num[1]) if len(num) > 1 else Fraction(0)) - c * q[1]) / q[0]
                for num, c in zip(ev["numerators"], center)]
    speed2 = sum((x * x for x in velocity), Fraction(0))
    return lam[1] ** 2 <= Fraction(t.tol) ** 2 * q[0] ** (4 * (problem.depth + 1)) * speed2


def _moved(evidence: dict[str, Any], center: list[Fraction]) -> set[int]:
    """Positions a refutation's curve or direction changes (all of them for an unknown method)."""
    if evidence.get("method") == "negative_curvature":
        return {p for p, d in enumerate(evidence["direction"]) if Fraction(d)}
    if evidence.get("method") == "curve":
        q = [Fraction(c) for c in evidence["denominator"]]
        out = set()
        for p, poly in enumerate(evidence["numerators"]):
            num = [Fraction(c) for c in poly]
            still = [center[p] * c for c in q]            # θ_p(t) ≡ c_p  ⇔  numerator = c_p · denominator
            width = max(len(num), len(still))
            if num + [Fraction(0)] * (width - len(num)) != still + [Fraction(0)] * (width - len(still)):
                out.add(p)
        return out
    return set(range(len(center)))


def _up(q: Fraction) -> str:
    """``q > 0`` with two significant digits, rounded up (a distance bound never shown smaller than proved).

    >>> _up(Fraction(31, 10 ** 9)), _up(Fraction(3101, 10 ** 11)), _up(Fraction(5))
    ('3.1e-8', '3.2e-8', '5.0e0')
    """
    e = len(str(q.numerator)) - len(str(q.denominator))     # 10^e is within a factor 10 of q
    while q >= Fraction(10) ** (e + 1):
        e += 1
    while q < Fraction(10) ** e:
        e -= 1
    n = math.ceil(q * Fraction(10) ** (1 - e))
    if n == 100:                                            # rounding reached the next power of ten
        n, e = 10, e + 1
    return f"{n // 10}.{n % 10}e{e}"
