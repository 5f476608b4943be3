"""Symmetries that forbid isolation (docs/SPEC.md §4, docs/MATHEMATICS.md §3): untrusted search for exact curves.

**Lemma S (rotation).** Let units ``i`` and ``j`` of one hidden layer have, on every training sample,
pre-activations with ``z_j = 0`` or ``sign z_j = sign z_i`` ("``j`` follows ``i``": equal strict
patterns, or ``z_j`` zero where ``i`` is off or on). Stack each unit's incoming weights and bias with
its outgoing weights, ``p = (v, a)``, and rotate by ``c = (1−t²)/(1+t²)``, ``s = 2t/(1+t²)``:
``p_i ↦ c·p_i − s·p_j``, ``p_j ↦ s·p_i + c·p_j``. For small ``t > 0`` every sample keeps
``σ(Q z) = Q σ(z)`` (both units stay on their common side, zeros of both stay zero, and a unit that
is zero beside a live one moves onto the live one's side), so the next layer sees ``a Qᵀ Q σ(z)``,
unchanged, and the decayed sum of squares is unchanged (``i`` and ``j`` have the same decay mask).
The loss is constant along a non-constant rational curve with ``q(t) = 1 + t²``: the centre is not
an isolated minimum. A **dead unit** (all of ``p_j`` zero) beside a live unit is the end of this
circle: the curve is ``(cos φ·p_i, sin φ·p_i)``. The checker re-derives everything from the curve.

**Lemma D (dead end, descent side).** Let ``p_j = 0`` be a unit of the last hidden layer, ``h̃_s`` the
input of that layer at sample ``s`` (with a 1 for the bias), ``e_s = f(x_s) − y_s`` and
``c(v) = Σ_s 2α e_s σ(v·h̃_s)``. Along ``v_j = t v``, ``a_j = t a`` (all else fixed),
``L − L(c) = t²(a·c(v) + λ(‖v‖²_dec + ‖a‖²)) + t⁴ α Σ_s ‖a‖² σ(v·h̃_s)²``; with
``a = −c(v)/(2λ)`` the ``t²`` coefficient is ``λ‖v‖²_dec − ‖c(v)‖²/(4λ)``, negative when
``‖c(v)‖ > 2λ‖v‖_dec``: an exact descent curve (a saddle at the end of the circle, docs/MATHEMATICS.md §3
§4.2(c), case C). For a unit of a lower layer ``k``, ``2α e_s`` becomes ``u_s = G_sᵀ 2α e_s``, with ``G_s``
the output's Jacobian in layer ``k + 1``'s pre-activations on the centre's pattern, and the ``t⁴`` term
``α Σ_s ‖G_s a‖² σ(v·h̃_s)²``, as long as no sign above changes: that is the search's model only, the
curve is checked exactly, signs included (docs/MATHEMATICS.md §3).

**The residual margin.** Lemma D's curve is checked exactly, so its verdict is true of the centre
whatever margin is used. The margin decides only whether it also speaks about the critical point ``θ*``
the centre approximates, rather than about the centre's own distance from it. At ``θ*`` every live
unit ``i`` of the last hidden layer has ``F(v_i) = ‖c(v_i)‖² − 4λ²‖v_i‖²_dec = 0`` exactly:
stationarity in ``a_i`` gives ``c(v_i) = −2λ a_i``, the radial derivative in ``v_i`` (defined at kinks
too, ``σ`` being positively homogeneous) gives ``a_i·c(v_i) = −2λ‖v_i‖²_dec``, so ``‖a_i‖ = ‖v_i‖_dec``.
(At any point ``F(v_i) = ‖g_a‖² − 2λ(a_i·g_a + v_i·g_v)`` with ``g_a, g_v`` the gradient in ``a_i, v_i``.)
So at a minimum ``F ≤ 0`` touches 0 on the live directions, and a residual can lift it above 0 there.
What lifts it: ``c(v) = Σ_s r_s σ(v·h̃_s)`` (``r_s = 2α e_s``) is linear in the residuals, which at the
centre ``θ = θ* + δ`` differ by ``Δr = 2α Jδ`` to first order (``J`` the Jacobian of the outputs). With
the Gauss–Newton Hessian ``M = 2α JᵀJ + 2λ I`` and ``g = Mδ``, ``2α‖Jδ‖² ≤ δᵀMδ = gᵀM⁻¹g ≤ ‖g‖²/(2λ)``,
so ``‖Δr‖ ≤ ‖g‖·√(α/λ)`` and ``‖δ‖ ≤ ‖g‖/(2λ)``; a deeper layer's inputs move by
``‖Δh̃_s‖ ≤ ‖J_{h,s}‖·‖δ‖`` (``J_{h,s}`` their Jacobian at sample ``s``). Hence
``‖Δc(v)‖ ≤ d(v) = ‖g‖√(α/λ)·‖σ(H̃v)‖ + ‖v‖·‖g‖/(2λ)·Σ_{s on} ‖r_s‖·‖J_{h,s}‖`` and
``|F(v) − F*(v)| ≤ 2‖c(v)‖ d(v) + d(v)²``. An excess ``F(v)`` above ``SAFETY`` times that bound cannot
come from the residual: ``F*(v) > 0`` as well, and the dead unit of ``θ*`` grows too. (The bound is
first order and Gauss–Newton, whose dropped term ``Σ r·∇²f`` is not small beside ``2λ``: hence
``SAFETY``; soundness never rests on it. The first-order *estimate* ``2αJM⁻¹g`` of ``Δr`` is much
smaller where training is slow, but it let a float64 point whose excess is ``3·10⁻⁹`` of ``4λ²‖v‖²``
through, 6·10⁻⁵ from a minimum whose dual ratio is saturated: the bound is what counts.) ``g`` is the exact gradient at the centre with each first-layer unit's
incoming block less its part along the unit's kink normals ``x̃_s`` (``z_s = 0`` exactly): a critical
point on kinks has its gradient in their span (the multipliers), and they are normal to ``v_i``, so the
radial identity above is untouched. An
exactly critical centre thus has margin 0, a structured centre (``‖g‖ ≈ 10⁻³⁰``) a margin of that
order, and a raw float point (``‖g‖ ≈ 10⁻³``) one far above the rounding-level excess at its live
directions.

Floating-point trained points are first tried as given; failing that, a unit within ``TOL`` of zero is
set to exactly zero, or a unit within ``TOL`` of a positive multiple ``κ·p_i`` of another is set to
it exactly (``κ`` the simplest rational that close). Every verdict is then about that **snapped**
centre, and its reason and facts say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor, log10
from typing import Callable, Sequence

import numpy as np

from symbolic.derivatives import piece_derivatives, to_fraction
from symbolic.float_loss import FloatObjective
from symbolic.network import Forward, forward
from symbolic.problem import Problem
from symbolic.rationals import canonical

from . import replay
from .assemble import Verdict, checked, checker_problem, short
from .methods.curve import curve_certificate
from .refine import dyadic

TOL = 1e-7
"""Snapping tolerance, relative to ``max(1, ‖θ‖_∞)`` (as for kinks in :mod:`proofs.boundary`)."""

SAFETY = 2
"""The residual margin (:func:`residual_margin`) is a Gauss–Newton bound: an excess must exceed it
``SAFETY`` times over before Lemma D speaks about the critical point the centre approximates."""

Progress = Callable[[str], None]

_SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹"


@dataclass(frozen=True)
class Pair:
    """Units ``i`` and ``j`` of hidden layer ``layer`` (0-based); ``j`` follows ``i`` (Lemma S)."""

    layer: int
    i: int
    j: int
    kind: str          # "dead_end", "shared_pattern" or "zero_pattern"


def symmetry_verdict(problem: Problem, theta: Sequence[Fraction], say: Progress | None = None) -> Verdict | None:
    """A checked refutation from a symmetry of the point (or of its snapped neighbour), or ``None``.

    Parameters
    ----------
    problem
        A problem with ``λ > 0`` and at least one hidden layer (otherwise ``None``).
    theta
        The point, exact, in canonical order.
    say
        Progress messages.

    Returns
    -------
    Verdict or None
        REFUTED ``not_a_local_minimum`` (a dead unit whose growth lowers ``L``, Lemma D) or REFUTED
        ``not_isolated`` (a rotation curve of constant loss, Lemma S), each with a checked ``curve``
        certificate; ``None`` when no symmetry is found within ``TOL`` (the normal pipeline runs).

    Examples
    --------
    Two bias-free units on ``x = 1`` with ``y = 5/4``, ``λ = 1/4``: the minima ``a_i = w_i = s_i``,
    ``s_1² + s_2² = 1``, include ``s = (3/5, 4/5)``:

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [["5/4"]]},
    ...     "point": {"weights": [[["3/5"], ["4/5"]], [["3/5", "4/5"]]]}})
    >>> v = symmetry_verdict(p, p.flatten(p.point))
    >>> v.status, v.claim, v.facts["kind"], v.facts["snapped"]
    ('REFUTED', 'not_isolated', 'shared_pattern', [])
    """
    if problem.depth == 0 or problem.weight_decay == 0:
        return None
    say = say or (lambda _msg: None)
    given = [Fraction(t) for t in theta]
    if _collapsed(problem, given):
        return None          # near an all-dead layer, which can be an isolated minimum (docs/SPEC.md §4)
    centres = [(given, list[str]())]
    centre, notes = _snap_dead(problem, given)
    if notes:
        centres.append((centre, notes))
    idle = _zero_idle(problem, centre, notes)
    # A descent answers more than a rotation (the point is no minimum at all): Lemma D at every centre first.
    for c, n in centres + ([idle] if idle is not None else []):
        verdict = _descent(problem, c, n, say)
        if verdict is not None:
            return verdict
    for c, n in centres:
        verdict = _rotation_at(problem, c, n, say)
        if verdict is not None:
            return verdict
    snapped = _snap_proportional(problem, centre)
    if snapped is not None:
        c, n = snapped[0], notes + [snapped[1]]
        return _descent(problem, c, n, say) or _rotation_at(problem, c, n, say)
    return None


def unit_positions(problem: Problem, layer: int, i: int) -> list[int]:
    """Positions in ``θ`` of unit ``i`` of hidden layer ``layer`` (0-based): incoming row, bias, outgoing.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1]},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> unit_positions(p, 0, 1)     # θ = (w1, w2, b1, b2, a1, a2, c)
    [1, 3, 5]
    """
    idx = problem.unflatten(list(range(problem.parameter_count)))
    incoming = list(idx.weights[layer][i]) + ([idx.biases[layer][i]] if idx.biases else [])
    # unflatten keeps entries as given: these are the int positions, though Params types them as Fractions
    return [int(k) for k in incoming + [row[i] for row in idx.weights[layer + 1]]]


def simplest_between(lo: Fraction, hi: Fraction) -> Fraction:
    """The rational with the smallest denominator in ``[lo, hi]`` (``0 < lo ≤ hi``).

    >>> simplest_between(Fraction(59, 100), Fraction(61, 100))
    Fraction(3, 5)
    """
    n = floor(lo)
    if n == lo or n + 1 <= hi:
        return Fraction(n if n == lo else n + 1)
    return n + 1 / simplest_between(1 / (hi - n), 1 / (lo - n))


# ---------------------------------------------------------------------------------------------------
# one exact centre


def _descent(problem: Problem, c: list[Fraction], notes: list[str], say: Progress) -> Verdict | None:
    """Lemma D at each dead unit beside a live one (any hidden layer), at the exact ``c``."""
    fw = forward(problem, problem.unflatten(c))
    for layer, j in _dead_beside_live(problem, c):
        say(f"unit {j} of hidden layer {layer + 1} is dead: looking for a descent curve that grows it")
        v = _dead_end_descent(problem, c, fw, layer, j, notes)
        if v is not None:
            return v
    return None


def _rotation_at(problem: Problem, c: list[Fraction], notes: list[str], say: Progress) -> Verdict | None:
    """Lemma S for the best pair at the exact ``c``."""
    pair = _pair(problem, c, forward(problem, problem.unflatten(c)))
    if pair is None:
        return None
    say(f"units {pair.i} and {pair.j} of hidden layer {pair.layer + 1} can be rotated into each other: "
        "building the curve of constant loss")
    return _rotation(problem, c, pair, notes)


def _signs(problem: Problem, fw: Forward, layer: int, i: int) -> tuple[int, ...]:
    if problem.activation != "relu":
        return ()            # every unit acts linearly: any two units may be rotated
    return tuple((z > 0) - (z < 0) for z in (zs[layer][i] for zs in fw.preactivations))


def _follows(sj: tuple[int, ...], si: tuple[int, ...]) -> bool:
    """Lemma S's condition per sample: ``z_j = 0`` or ``sign z_j = sign z_i``."""
    return all(b == 0 or a == b for a, b in zip(si, sj))


def _pair(problem: Problem, c: list[Fraction], fw: Forward) -> Pair | None:
    """A pair for Lemma S whose parameters are not all zero: dead ends first, then shared patterns."""
    found: dict[str, Pair] = {}
    for layer in range(problem.depth):
        n = problem.widths[layer + 1]
        zero = [not any(c[p] for p in unit_positions(problem, layer, i)) for i in range(n)]
        signs = [_signs(problem, fw, layer, i) for i in range(n)]
        for i in range(n):
            for j in range(n):
                if i == j or (zero[i] and zero[j]) or not _follows(signs[j], signs[i]):
                    continue
                kind = ("dead_end" if zero[j] else "shared_pattern" if signs[i] == signs[j] else "zero_pattern")
                found.setdefault(kind, Pair(layer, i, j, kind))
    for kind in ("dead_end", "shared_pattern", "zero_pattern"):
        if kind in found:
            return found[kind]
    return None


def _rotation(problem: Problem, c: list[Fraction], pair: Pair, notes: list[str]) -> Verdict | None:
    """The Lemma S curve for ``pair`` at ``c``, checked."""
    nums = [[x, Fraction(0), x] for x in c]
    for pi, pj in zip(unit_positions(problem, pair.layer, pair.i), unit_positions(problem, pair.layer, pair.j)):
        a, b = c[pi], c[pj]
        nums[pi] = [a, -2 * b, -a]        # (c·a − s·b)(1 + t²)
        nums[pj] = [b, 2 * a, -b]         # (s·a + c·b)(1 + t²)
    cert = curve_certificate(problem, c, "not_isolated", "constant", nums, [Fraction(1), Fraction(0), Fraction(1)])
    if cert is None:
        return None
    where = f"units {pair.i} and {pair.j} of hidden layer {pair.layer + 1}"
    what = {"dead_end": f"unit {pair.j} of hidden layer {pair.layer + 1} is dead beside live unit {pair.i}: the centre "
                        "is the end of a split circle (cos φ·p, sin φ·p) along which L is constant",
            "shared_pattern": f"{where} share their activation pattern on the data, so rotating their stacked "
                              "parameters keeps L constant",
            "zero_pattern": f"unit {pair.j}'s pre-activations vanish wherever they differ in sign from unit {pair.i}'s, "
                            "so rotating their stacked parameters keeps L constant"}[pair.kind]
    reason = f"{what}; the centre is not an isolated local minimum" + _snap_text(notes)
    facts = {"kind": pair.kind, "units": [pair.layer, pair.i, pair.j], "t0": cert["evidence"]["t0"],
             "snapped": list(notes)}
    return checked(Verdict("REFUTED", reason, "not_isolated", cert, facts))


def _snap_text(notes: list[str]) -> str:
    return "" if not notes else " (about the snapped centre: " + "; ".join(notes) + ")"


# ---------------------------------------------------------------------------------------------------
# Lemma D: growing a dead unit (of any hidden layer)


def _dead_beside_live(problem: Problem, c: list[Fraction]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for layer in range(problem.depth):
        zero = [not any(c[p] for p in unit_positions(problem, layer, i)) for i in range(problem.widths[layer + 1])]
        if not all(zero):
            out += [(layer, j) for j, z in enumerate(zero) if z]
    return out


def _dead_end_descent(problem: Problem, c: list[Fraction], fw: Forward, layer: int, j: int,
                      notes: list[str]) -> Verdict | None:
    """Lemma D for dead unit ``j`` of hidden layer ``layer`` (0-based): a checked descent curve, or ``None``."""
    lam = problem.weight_decay
    inputs = [h + ([Fraction(1)] if problem.biases else []) for h in _layer_inputs(problem, fw, layer)]
    resid = _residuals_at(problem, c, fw, layer)
    dec = [Fraction(1)] * (len(inputs[0]) - (1 if problem.biases else 0)) \
        + ([Fraction(1 if problem.decay_biases else 0)] if problem.biases else [])
    floats = [np.array([[_float(x) for x in row] for row in M]) for M in (inputs, resid)]
    spurious = residual_margin(problem, c, fw, floats[0], floats[1], layer)
    for vf in _directions(floats[0], floats[1], float(lam), np.array([float(d) for d in dec])):
        v = [dyadic(x, 20) for x in vf / np.max(np.abs(vf))]
        cv = [Fraction(0)] * len(resid[0])
        for h, r in zip(inputs, resid):
            act = sum((a * b for a, b in zip(v, h)), Fraction(0))
            if act > 0:
                cv = [x + ro * act for x, ro in zip(cv, r)]
        c2 = sum((x * x for x in cv), Fraction(0))
        vdec = sum((d * x * x for d, x in zip(dec, v)), Fraction(0))
        excess = c2 - 4 * lam * lam * vdec
        margin = spurious(v)
        if excess <= 0 or not margin < excess:
            continue
        a = [-x / (2 * lam) for x in cv]
        nums = [[x] for x in c]
        for p, value in zip(unit_positions(problem, layer, j), v + a):
            nums[p] = [Fraction(0), value]
        cert = curve_certificate(problem, c, "not_a_local_minimum", "descent", nums, [Fraction(1)])
        if cert is None:
            continue
        # Λ = L(γ(t)) − L(c) exactly (q = 1): its t² coefficient is λ‖v‖²_dec − ‖c(v)‖²/(4λ) unless a unit
        # of the next layer on a kink switches on along the line (lower layers only), so state Λ's own
        Lam = replay.curve_loss_polynomial(checker_problem(problem), c, nums, [Fraction(1)]).Lambda
        rate = next(x for x in Lam if x)
        order = next(k for k, x in enumerate(Lam) if x)
        reason = (f"the centre is not a local minimum: growing dead unit {j} of hidden layer {layer + 1} along "
                  f"(t·v, t·a) lowers L by {short(-rate)}·t{_SUPERSCRIPT[order]} + O(t{_SUPERSCRIPT[order + 2]}) "
                  f"(its dual function exceeds 2λ on v, Lemma D; "
                  f"‖c(v)‖² − 4λ²‖v‖²_dec = {short(excess)}, above the centre's residual margin "
                  f"{f'≈{_margin_text(margin)}, a float estimate' if margin else '0'}); "
                  + ("this end of a split circle is no minimum" if _has_live(problem, c, layer)
                     else "the dead layer is a saddle") + _snap_text(notes))
        facts = {"kind": "dead_end_descent", "unit": [layer, j], "direction": [canonical(x) for x in v],
                 "outgoing": [canonical(x) for x in a], "rate": canonical(rate), "t0": cert["evidence"]["t0"],
                 "excess": canonical(excess), "margin": _margin_text(margin), "snapped": list(notes)}
        return checked(Verdict("REFUTED", reason, "not_a_local_minimum", cert, facts))
    return None


def grow_dead_unit(problem: Problem, c: list[Fraction], layer: int, j: int, notes: list[str]) -> Verdict | None:
    """Lemma D at the exact ``c`` for dead unit ``j`` of hidden layer ``layer`` (0-based), whether or not a
    live unit stands beside it: a checked descent curve that grows it, or ``None``."""
    return _dead_end_descent(problem, c, forward(problem, problem.unflatten(c)), layer, j, notes)


def _has_live(problem: Problem, c: list[Fraction], layer: int) -> bool:
    return any(c[p] for i in range(problem.widths[layer + 1]) for p in unit_positions(problem, layer, i))


def _layer_inputs(problem: Problem, fw: Forward, layer: int) -> list[list[Fraction]]:
    """``h_s``: the input of hidden layer ``layer`` (0-based) at each sample (the data for layer 0)."""
    if layer == 0:
        return [list(x) for x in problem.inputs]
    return [[z if on else Fraction(0) for z, on in zip(fw.preactivations[s][layer - 1], fw.pattern[s][layer - 1])]
            for s in range(len(problem.inputs))]


def _residuals_at(problem: Problem, c: list[Fraction], fw: Forward, layer: int) -> list[list[Fraction]]:
    """``u_s = G_sᵀ r_s``: the output residual ``r_s = 2α(f(x_s) − y_s)`` carried back, through the
    centre's pattern, to the pre-activations that hidden layer ``layer`` (0-based) feeds; ``G_s`` is the
    output's Jacobian in them (the identity for the last hidden layer, which feeds the output)."""
    weights = problem.unflatten(c).weights
    out = []
    for s, (fs, ys) in enumerate(zip(fw.outputs, problem.targets)):
        u = [2 * problem.alpha * (f - y) for f, y in zip(fs, ys)]
        for m in range(problem.depth, layer + 1, -1):          # W_m maps hidden layer m−1's output onwards
            on = fw.pattern[s][m - 1]
            u = [sum((row[i] * x for row, x in zip(weights[m], u)), Fraction(0)) if on[i] else Fraction(0)
                 for i in range(len(weights[m][0]))]
        out.append(u)
    return out


def residual_margin(problem: Problem, c: list[Fraction], fw: Forward, inputs: np.ndarray,
                    resid: np.ndarray, layer: int | None = None) -> Callable[[Sequence[Fraction]], Fraction]:
    """The excess ``F(v)`` a residual can fake at the centre ``c``, as a function of ``v``.

    ``SAFETY·(2‖c(v)‖ d + d²)`` with ``d = ‖g‖√(α/λ)·γ·‖σ(H̃v)‖ + ‖g‖/(2λ)·(Σ_{s on} ‖r_s‖·κ_s·σ_s
    + ‖v‖·Σ_{s on} ‖u_s‖·‖J_{h,s}‖)``, the Gauss–Newton bound on ``‖Δc(v)‖`` the module docstring
    derives. ``inputs`` and ``resid`` are ``h̃_s`` and ``u_s`` of hidden layer ``layer`` (0-based; the last
    by default) in floats. ``γ`` bounds ``‖G_s‖`` and ``κ_s`` its first-order change per unit of
    ``‖δ‖`` (both 1 and 0 for the last hidden layer, whose ``G_s`` is the identity). 0 at an exactly
    critical centre, where any excess is real.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
    ...     "loss": {"weight_decay": "3/8"}, "data": {"inputs": [[1], [-1]], "targets": [[1], [1]]},
    ...     "point": {"weights": [[["1/2"], [0]], [["1/2", 0]]]}})
    >>> c = p.flatten(p.point)
    >>> residual_margin(p, c, forward(p), np.array([[1.0], [-1.0]]), np.array([[-0.75], [-1.0]]))([Fraction(-1)])
    Fraction(0, 1)
    """
    layer = problem.depth - 1 if layer is None else layer
    g = _residual(problem, c, fw)
    if not np.any(g):
        return lambda _v: Fraction(0)
    lam, alpha = _float(problem.weight_decay), _float(problem.alpha)
    gnorm = float(np.linalg.norm(g))
    dr, delta = gnorm * np.sqrt(alpha / lam), gnorm / (2 * lam)      # ‖Δr‖ and ‖δ‖ at most (Gauss–Newton)
    n = len(problem.inputs)
    Jh = _hidden_jacobian(problem, c, fw, layer)
    moves = np.zeros(n) if Jh is None else np.linalg.norm(Jh.reshape(n, -1, Jh.shape[1]), axis=(1, 2))
    unorm = np.linalg.norm(resid, axis=1)
    gamma, kappa = _carry_bounds(problem, c, layer)
    rnorm = np.array([float(np.linalg.norm([_float(f - y) for f, y in zip(fs, ys)])) * 2 * alpha
                      for fs, ys in zip(fw.outputs, problem.targets)])

    def margin(v: Sequence[Fraction]) -> Fraction:
        vf = np.array([_float(x) for x in v])
        z = inputs @ vf
        on = z > 0
        cv = resid[on].T @ z[on]
        d = dr * gamma * float(np.linalg.norm(z[on])) \
            + delta * (kappa * float(rnorm[on] @ z[on]) + float(np.linalg.norm(vf)) * float(unorm[on] @ moves[on]))
        m = SAFETY * (2 * float(np.linalg.norm(cv)) * d + d * d)
        return Fraction(m) if np.isfinite(m) else Fraction(10) ** 400   # beyond floats: no excess is above it

    return margin


def _carry_bounds(problem: Problem, c: list[Fraction], layer: int) -> tuple[float, float]:
    """``γ ≥ ‖G_s‖`` and ``κ`` with ``‖ΔG_s‖ ≤ κ‖δ‖`` to first order, from spectral norms of the weights
    above hidden layer ``layer`` (``G_s = W_H D W_{H−1} ⋯ W_{layer+2} D``, each ``‖D‖ ≤ 1``)."""
    weights = problem.unflatten([_float(t) for t in c]).weights
    norms = [float(np.linalg.norm(np.array(weights[m], dtype=float), 2)) for m in range(layer + 2, problem.depth + 1)]
    gamma = float(np.prod(norms)) if norms else 1.0
    kappa = sum(float(np.prod(norms[:i] + norms[i + 1:])) for i in range(len(norms)))
    return gamma, kappa


def _residual(problem: Problem, c: list[Fraction], fw: Forward) -> np.ndarray:
    """``g`` (floats, from the exact gradient): each first-layer incoming block less its part along the
    normals ``x̃_s`` of the unit's kinks (``z = 0`` exactly), where multipliers, not a residual, set it."""
    g = np.array([_float(to_fraction(x)) for x in piece_derivatives(problem, c, fw.pattern, hessian=False).gradient])
    width = len(problem.inputs[0]) + (1 if problem.biases else 0)
    for i in range(problem.widths[1]):
        block = unit_positions(problem, 0, i)[:width]
        normals = [[_float(t) for t in x] + ([1.0] if problem.biases else [])
                   for x, zs in zip(problem.inputs, fw.preactivations) if zs[0][i] == 0]
        if normals and any(c[p] for p in block):
            K = np.array(normals).T
            g[block] -= K @ np.linalg.lstsq(K, g[block], rcond=None)[0]
    return g


def _hidden_jacobian(problem: Problem, c: list[Fraction], fw: Forward, layer: int) -> np.ndarray | None:
    """``∂h_s/∂θ`` of hidden layer ``layer``'s input (0-based) on the centre's piece, rows sample by sample
    (complex steps, floats); ``None`` for the first hidden layer (the input is the data)."""
    if layer == 0:
        return None
    objective = FloatObjective(problem)
    masks = [np.array([[float(fw.pattern[s][k][i]) for i in range(w)] for s in range(len(problem.inputs))])
             for k, w in enumerate(problem.widths[1:-1])]
    theta = np.array([_float(t) for t in c])
    h = 1e-30
    cols = []
    for p in range(len(theta)):
        shifted = theta.astype(complex)
        shifted[p] += 1j * h
        acts = objective.preactivations(shifted, masks)[1]     # x, then each hidden layer's output
        cols.append(np.imag(acts[layer]).ravel() / h)
    return np.array(cols).T


def _float(x: Fraction) -> float:
    """``float(x)``, or ``±inf`` beyond the float range (a screen must not crash on a legal huge number)."""
    try:
        return float(x)
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


def _margin_text(m: Fraction) -> str:
    return "0" if m == 0 else f"{float(m):.2g}" if m < Fraction(10) ** 300 else "beyond floats"


def _directions(Hx: np.ndarray, R: np.ndarray, lam: float, dec: np.ndarray, tries: int = 48) -> list[np.ndarray]:
    """Float search for unit ``v`` maximising ``F(v) = ‖c(v)‖² − 4λ²‖v‖²_dec`` (best first, ``F > 0``)."""
    d = Hx.shape[1]

    def F(v: np.ndarray) -> tuple[float, np.ndarray]:
        act = Hx @ v > 0
        cv = R[act].T @ (Hx[act] @ v)
        return float(cv @ cv - 4 * lam * lam * (dec * v) @ v), act

    rng = np.random.default_rng(0)
    starts = [s * h for h in Hx for s in (1, -1)] + [s * e for e in np.eye(d) for s in (1, -1)]
    starts += list(rng.standard_normal((tries, d)))
    found: list[tuple[float, np.ndarray]] = []
    for v in starts:
        if not np.any(v):
            continue
        v = v / np.linalg.norm(v)
        f, act = F(v)
        step = 0.5
        for _ in range(60):
            cv = R[act].T @ (Hx[act] @ v)
            g = 2 * Hx[act].T @ (R[act] @ cv) - 8 * lam * lam * dec * v
            g = g - (g @ v) * v
            if np.linalg.norm(g) < 1e-14 or step < 1e-9:
                break
            trial = v + step * g / np.linalg.norm(g)
            trial /= np.linalg.norm(trial)
            ft, at = F(trial)
            if ft > f:
                v, f, act = trial, ft, at
            else:
                step /= 2
        if f > 0:
            found.append((f, v))
    found.sort(key=lambda item: -item[0])
    return [v for _, v in found[:8]]


# ---------------------------------------------------------------------------------------------------
# snapping


def _scale(theta: Sequence[Fraction]) -> float:
    return max(1.0, max((abs(float(t)) for t in theta), default=0.0))


def _collapsed(problem: Problem, theta: list[Fraction]) -> bool:
    """Whether some hidden layer has every unit within ``TOL`` of zero.

    Tiny units of such a layer may share patterns exactly, but the point is then a rounding of the
    all-dead configuration, which the boundary certificates may prove an isolated minimum.
    """
    tol = TOL * _scale(theta)
    return any(all(abs(float(theta[p])) <= tol for i in range(problem.widths[layer + 1])
                   for p in unit_positions(problem, layer, i))
               for layer in range(problem.depth))


def _snap_dead(problem: Problem, theta: list[Fraction]) -> tuple[list[Fraction], list[str]]:
    """Units within ``TOL`` of zero (not exactly zero) set to zero, keeping a live unit in each layer."""
    tol = TOL * _scale(theta)
    c, notes = list(theta), list[str]()
    for layer in range(problem.depth):
        units = [unit_positions(problem, layer, i) for i in range(problem.widths[layer + 1])]
        small = [i for i, pos in enumerate(units)
                 if any(theta[p] for p in pos) and max(abs(float(theta[p])) for p in pos) <= tol]
        live = [i for i, pos in enumerate(units) if any(theta[p] for p in pos) and i not in small]
        if not live:
            continue
        for i in small:
            for p in units[i]:
                c[p] = Fraction(0)
            notes.append(f"unit {i} of hidden layer {layer + 1} set exactly to zero (it was within "
                         f"{short(max(abs(Fraction(theta[p])) for p in units[i]), 'up')} of it)")
    return c, notes


def _zero_idle(problem: Problem, theta: list[Fraction], notes: list[str]) -> tuple[list[Fraction], list[str]] | None:
    """Units of the last hidden layer off on every sample (``z < 0`` strictly) but not zero, set to zero.

    On their region such a unit enters ``L`` only through its decay, ``L = L_rest + λ‖p_j‖²_dec``: the
    piece's critical point has ``p_j = 0`` exactly, and ``L`` falls monotonically along ``s·p_j``,
    ``s ↓ 0`` (the unit stays off for ``s > 0``). Training with weight decay is slowly taking it there; the
    zeroed unit is a dead unit, where Lemma D asks whether it can grow. Only a live unit beside it in
    the layer counts (otherwise ``None``), and only a descent is taken from this centre.
    """
    if problem.activation != "relu":
        return None
    layer = problem.depth - 1
    fw = forward(problem, problem.unflatten(theta))
    units = [unit_positions(problem, layer, i) for i in range(problem.widths[layer + 1])]
    idle = [i for i, pos in enumerate(units) if any(theta[p] for p in pos)
            and all(zs[layer][i] < 0 for zs in fw.preactivations)]
    live = [i for i, pos in enumerate(units) if any(theta[p] for p in pos) and i not in idle]
    if not idle or not live:
        return None
    c, out = list(theta), list(notes)
    for i in idle:
        moved = _up(max(abs(theta[p]) for p in units[i]))
        for p in units[i]:
            c[p] = Fraction(0)
        out.append(f"unit {i} of hidden layer {layer + 1}, off on every sample, set to zero, where weight decay "
                   f"takes it (it moved by at most {moved}; L only falls on the way)")
    return c, out


def _up(q: Fraction) -> str:
    """``q > 0`` with two significant digits, rounded up.

    >>> _up(Fraction(9787199, 536870912))
    '0.019'
    """
    digits = 1 - floor(log10(q))
    return f"{ceil(q * 10 ** digits) / 10 ** digits:g}" if digits > 0 else str(ceil(q))


def _snap_proportional(problem: Problem, theta: list[Fraction]) -> tuple[list[Fraction], str] | None:
    """One unit set exactly to ``κ`` times a larger one of its layer (``κ > 0``), if within ``TOL``."""
    tol = TOL * _scale(theta)
    for layer in range(problem.depth):
        n = problem.widths[layer + 1]
        units = [unit_positions(problem, layer, i) for i in range(n)]
        vecs = [np.array([float(theta[p]) for p in pos]) for pos in units]
        for i in range(n):
            for j in range(n):
                big, small = vecs[i], vecs[j]
                if i == j or not np.any(small) or np.linalg.norm(big) < np.linalg.norm(small) \
                        or (np.linalg.norm(big) == np.linalg.norm(small) and i > j):
                    continue
                kf = float(big @ small / (big @ big))
                off = float(np.max(np.abs(small - kf * big)))
                if kf <= 0 or off > tol:
                    continue
                width = Fraction(2 * off / float(np.max(np.abs(big))) + 1e-15)
                kappa = simplest_between(max(Fraction(kf) - width, Fraction(kf) / 2), Fraction(kf) + width)
                c = list(theta)
                for p, q in zip(units[j], units[i]):
                    c[p] = kappa * theta[q]
                moved = max(abs(c[p] - theta[p]) for p in units[j])
                if moved > Fraction(tol):
                    continue
                note = (f"unit {j} of hidden layer {layer + 1} set exactly to {canonical(kappa)} times unit {i} "
                        f"(it moved by at most {short(moved, 'up')})")
                return c, note
    return None
