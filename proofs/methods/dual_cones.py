"""Global optimality of one-hidden-layer networks over every width: untrusted search and its LaTeX section.

Given a problem with a (trained, floating-point) point, :func:`global_verdict`

1. drops the dead units (every parameter within rounding of 0) and merges units that share a strict
   activation pattern (at a critical point they are positively proportional, docs/MATHEMATICS.md §3,
   and one unit of norm ``√(Σ‖p_i‖²)`` computes the same function at the same cost), and proportional
   units on the same kinks;
2. certifies the reduced network's minimum with :func:`proofs.generator.certify` (a ball ``B̄(c, ρ)``
   holding the exact minimum ``θ*``), on its kinks with ``kink_ball`` where that succeeds, because a
   merged unit on a kink needs its minimum *on* the kink (a kink cone of the checker);
3. lists the cones of the data arrangement ``{v·x̃_j = 0}`` (empty sign strings with Gordan vectors;
   exactly from the order of the samples for 1-D inputs, by the LP case split of
   :mod:`proofs.boundary` otherwise) and
   gives each cone a polar-cone witness of ``|c_S·v| ≤ 2λ‖v‖`` with the residual margin, or names the live
   unit whose cone it is;
4. if a cone fails clearly, adds one unit in that cone to the centre and checks that the wider network's
   exact loss is below every loss on the ball.

The lemmas and what the checker re-computes are in :mod:`proofs.checker.duality`. Floats only search;
every verdict is re-checked by that rule before it is returned.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from symbolic.arrangement import RegionLimit
from symbolic.problem import Problem
from symbolic.rationals import canonical

from ..assemble import Verdict, certificate, checked, checker_problem, short, sqrt_above
from ..boundary import unit_arrangement
from ..checker.duality import exact_residuals, live_signs, unit_index
from ..checker import CertificateInvalid, read_problem
from ..checker.network import bounds
from ..checker.reading import parse_rational_strict, read_point
from . import renders
from .collapsed_layer import _polar_witness
from ..generator import certify, kink_verdict
from ..latex_format import decimal, rational
from ..latex_setting import Doc, Parts

Progress = Callable[[str], None]

TOL = 1e-7
"""A unit whose parameters are all within ``TOL·max(1, ‖θ‖∞)`` of 0 is dead."""

MAX_CONES = 4096
"""Most cones of the data arrangement a certificate may list."""

MARGIN = 1e-6
"""A cone refutes only when ``‖Π_C(s·c_S)‖ > 2λ(1 + MARGIN)``: a saturated cone is never called a failure."""


def global_verdict(problem: Problem, progress: Progress | None = None) -> Verdict:
    """Prove that the problem's point is (near) a minimum no network of any width beats, or refute it.

    Parameters
    ----------
    problem
        A problem with a ``point``: one hidden ReLU layer, scalar output, ``λ > 0``, biases decayed.
    progress
        Called with short status messages.

    Returns
    -------
    Verdict
        CERTIFIED ``global_minimum``, REFUTED ``not_global_minimum`` (each with a checked certificate), or
        UNKNOWN with the reason.

    Notes
    -----
    Cost: one local certificate; the ``O(N)`` cones of 1-D inputs exactly (``O(N³)`` comparisons per empty
    prefix at worst), else one LP per node of the sign-prefix tree; one non-negative least-squares problem
    per cone and sign.
    """
    say = progress or (lambda _msg: None)
    if problem.point is None:
        raise ValueError("the problem has no point")
    why = _unsupported(problem)
    if why:
        return Verdict("UNKNOWN", why)
    theta = [float(v) for v in problem.flatten(problem.point)]
    splits: dict[int, list[tuple[int, float]]] = {}
    kept, merged = _reduce(problem, theta, splits)
    if kept is None:
        return Verdict("UNKNOWN", merged)
    dropped = [str(g) for g in range(problem.widths[1]) if g not in kept]
    red_widths = (problem.widths[0], len(kept), 1)
    red = replace(problem, widths=red_widths, point=None)
    red_theta = [Fraction(0)] * red.parameter_count
    for new, g in enumerate(kept):
        for p in range(problem.widths[0] + int(problem.biases) + 1):
            red_theta[_index(red, new, p)] = Fraction(merged[_index(problem, g, p)])
    if problem.biases:
        red_theta[-1] = Fraction(merged[-1])
    say(f"certifying the minimum of the reduced network ({len(kept)} unit(s))")
    local = certify(red.with_point(red.unflatten(red_theta)), progress=say)
    if local.status == "CERTIFIED" and local.certificate is not None \
            and local.certificate["evidence"]["method"] == "boundary_ball":
        # boundary_ball's minimum may lie beside its kinks, and a merged unit there leaves a cone with
        # ‖c_S‖ = 2λ that no margin certifies; kink_ball puts the minimum on the kinks (a kink cone)
        lc = local.certificate
        c0 = read_point(lc["center"], read_problem(lc["problem"]), "center")
        on = kink_verdict(red.with_point(red.unflatten(c0)), c0, [(j, g) for j, g in lc["evidence"]["constraints"]],
                          False, say, on_kinks=True)
        if on.status == "CERTIFIED" and on.certificate is not None:
            local = on
    if local.status != "CERTIFIED" or local.certificate is None:
        return Verdict("UNKNOWN", f"the reduced network's minimum is not certified ({local.reason})")
    if local.claim != "isolated_local_minimum":   # e.g. proportional kink units, which _reduce keeps apart
        return Verdict("UNKNOWN", f"the reduced network's minimum is certified only as {local.claim} (its units still "
                       "split); global optimality is checked on an isolated reduced minimum only")
    lc = local.certificate
    creads = checker_problem(red)
    c_red = read_point(lc["center"], creads, "center")
    rho = parse_rational_strict(lc["radius"], "radius")
    mu = parse_rational_strict(lc["mu"], "mu")
    c = [Fraction(0)] * problem.parameter_count
    for new, g in enumerate(kept):
        for p in range(problem.widths[0] + int(problem.biases) + 1):
            c[_index(problem, g, p)] = c_red[_index(red, new, p)]
    if problem.biases:
        c[-1] = c_red[-1]
    groups, split = _split(problem, c, splits)
    in_groups = {g for grp in groups for g in grp["units"]}
    dropped = [g for g in dropped if int(g) not in in_groups]
    say("listing the cones of the data arrangement")
    v = _dual(problem, c, rho, mu, kept, lc["evidence"], creads, c_red, say, split, groups)
    if (dropped or groups) and v.status != "UNKNOWN":
        v.reason += " (" + "; ".join(([f"unit(s) {', '.join(dropped)} set to 0"] if dropped else [])
                                     + (["units sharing a pattern split along exact rational weights of their "
                                         "merged unit"] if groups else [])) + ")"
    return v


def _split(problem: Problem, c: list[Fraction], splits: dict[int, list[tuple[int, float]]]
           ) -> tuple[list[dict[str, Any]], list[Fraction]]:
    """The merged centre ``c`` split back: each group's units get rational weights ``w > 0`` with ``Σw² = 1``
    near the trained ratios of their norms (a rational point of the sphere by inverse stereographic
    projection), and unit ``i`` is ``w_i`` times the merged unit. Returns the evidence and the split centre."""
    out = list(c)
    groups = []
    size = problem.widths[0] + int(problem.biases) + 1
    for first, members in sorted(splits.items()):
        norms = np.array([n for _, n in members])
        t = norms / np.linalg.norm(norms)
        u = [Fraction(float(x) / (1 + float(t[0]))).limit_denominator(2 ** 24) for x in t[1:]]
        s2 = sum((x * x for x in u), Fraction(0))
        w = [(1 - s2) / (1 + s2)] + [2 * x / (1 + s2) for x in u]
        if any(x <= 0 for x in w):
            continue   # a ratio too extreme to split rationally here: the merged point is certified instead
        for (g, _), wg in zip(members, w):
            for p in range(size):
                out[_index(problem, g, p)] = wg * c[_index(problem, first, p)]
        groups.append({"units": [g for g, _ in members], "weights": [canonical(x) for x in w]})
    return groups, out


def _unsupported(problem: Problem) -> str:
    if problem.depth != 1 or problem.activation != "relu" or problem.widths[-1] != 1:
        return "global optimality is proved only for one hidden ReLU layer with one output"
    if problem.weight_decay <= 0:
        return "global optimality needs weight decay λ > 0"
    if problem.biases and not problem.decay_biases:
        return "global optimality needs decayed biases (Lemma C covers decay on every parameter)"
    return ""


def _index(problem: Problem, g: int, p: int) -> int:
    """Canonical index of parameter ``p`` of unit ``g`` (its row, bias last, then ``a_g``)."""
    n0, n1 = problem.widths[0], problem.widths[1]
    bias = int(problem.biases)
    if p < n0:
        return g * n0 + p
    if p == n0 and bias:
        return n1 * n0 + g
    return n1 * (n0 + bias) + g


def _reduce(problem: Problem, theta: list[float],
            splits: dict[int, list[tuple[int, float]]] | None = None) -> tuple[list[int] | None, Any]:
    """Kept units and the point with each shared-pattern group merged into its first unit; ``splits`` gets,
    for each merged group, its units and their norms (first unit first)."""
    n1, size = problem.widths[1], problem.widths[0] + int(problem.biases) + 1
    scale = max(1.0, max(abs(t) for t in theta))
    theta = list(theta)
    units = [np.array([theta[_index(problem, g, p)] for p in range(size)]) for g in range(n1)]
    xt = np.array([[float(v) for v in x] + ([1.0] if problem.biases else []) for x in problem.inputs])
    # a unit active on no sample computes 0, and at a critical point it is 0 (its gradient is 2λp): dead
    live = [g for g in range(n1) if np.max(np.abs(units[g])) > TOL * scale and np.max(xt @ units[g][:-1]) > TOL * scale]
    if not live:  # every unit dead: the local certificate is about the dead layer
        for g in range(n1):
            for p in range(size):
                theta[_index(problem, g, p)] = 0.0
        return list(range(n1)), theta

    def cos(g: int, h: int) -> float:
        return float(units[g] @ units[h]) / float(np.linalg.norm(units[g]) * np.linalg.norm(units[h]))

    by_pattern: dict[tuple[int, ...], list[int]] = {}
    for g in live:
        z = xt @ units[g][:-1]
        # the pattern with kinks as a third symbol: proportional units on the same kinks merge as well
        by_pattern.setdefault(tuple(0 if abs(v) <= TOL * scale else 1 if v > 0 else -1 for v in z), []).append(g)
    groups: list[list[int]] = []
    for pattern, members in by_pattern.items():
        if 0 in pattern and any(cos(g, members[0]) < 1 - 1e-6 for g in members):
            groups += [[g] for g in members]  # kink units that are not proportional: kept as they are (the
        else:                                 # boundary methods decide them)
            groups.append(members)
    kept = []
    for members in groups:
        first = members[0]
        if len(members) > 1:
            p1 = units[first]
            for g in members[1:]:
                if cos(g, first) < 1 - 1e-6:
                    return None, (f"units {first} and {g} share an activation pattern but are not proportional "
                                  "(not a critical point of the split orbit)")
            total = math.sqrt(sum(float(units[g] @ units[g]) for g in members))
            if splits is not None:
                splits[first] = [(g, float(np.linalg.norm(units[g]))) for g in members]
            merged = p1 * (total / np.linalg.norm(p1))
            for p in range(size):
                theta[_index(problem, first, p)] = float(merged[p])
                for g in members[1:]:
                    theta[_index(problem, g, p)] = 0.0
        kept.append(first)
    return sorted(kept), theta


def _dual(problem: Problem, c: list[Fraction], rho: Fraction, mu: Fraction, kept: list[int],
          local: dict[str, Any], red: Any, c_red: list[Fraction], say: Progress,
          split: list[Fraction] | None = None, groups: list[dict[str, Any]] | None = None) -> Verdict:
    """The cone list with witnesses (``global_minimum``), or a wider network (``not_global_minimum``); each
    about the ``split`` centre when units were merged (the split has the merged centre's outputs and loss)."""
    cp = checker_problem(problem)
    lam, alpha, N = problem.weight_decay, problem.alpha, problem.samples
    xt = [list(x) + ([Fraction(1)] if problem.biases else []) for x in problem.inputs]
    run_r = _residuals(problem, c)
    delta = sqrt_above(red.count * bounds(red, c_red, rho).F1[-1] ** 2 * rho * rho)
    norms = [sqrt_above(sum((v * v for v in x), Fraction(0))) for x in xt]
    try:
        cells, empty = unit_arrangement(problem, MAX_CONES, _cones_1d if problem.widths[0] == 1 else None)
    except RegionLimit:
        cells = []  # more than MAX_CONES: the message below
    if not cells or len(cells) > MAX_CONES:
        return Verdict("UNKNOWN", f"more than {MAX_CONES} cones in the data arrangement: not listed")
    live = {s: g for g in kept if (s := live_signs(cp, c, rho, xt, g)) is not None}
    kinked = _kinked_units(cp, c, rho, xt, kept, local)
    cones: list[dict[str, Any]] = []
    worst: tuple[float, str, int, list[Fraction]] | None = None
    for signs in cells:
        if signs in live:
            cones.append({"signs": signs, "unit": live[signs]})
            continue
        c_S = [2 * alpha * sum((r * x[p] for r, x, s in zip(run_r, xt, signs) if s == "1"), Fraction(0))
               for p in range(len(xt[0]))]
        margin = 2 * alpha * delta * sum((n for n, s in zip(norms, signs) if s == "1"), Fraction(0))
        room = (2 * lam - margin) ** 2 if margin <= 2 * lam else Fraction(-1)
        item: dict[str, Any] = {"signs": signs}
        sides: tuple[tuple[str, int], ...] = (("plus", 1), ("minus", -1))
        owners = {sign: g for g, (fixed, sign) in kinked.items() if all(signs[j] == v for j, v in fixed.items())}
        if len(owners) == 2:  # two kink units of opposite outgoing signs: both signs hold at θ*
            cones.append({"signs": signs, "units": sorted(owners.values())})
            continue
        if owners:  # a kink unit's cone: its own sign holds at θ*, only the other needs a witness
            (sign, g), = owners.items()
            item["unit"], sides = g, (("other", sign),)
        for key, sign in sides:
            weights, dist2 = _polar_witness([sign * v for v in c_S], xt, signs)
            item[key] = [canonical(w) for w in weights]
            if dist2 > room:
                size = math.sqrt(float(dist2))
                if worst is None or size > worst[0]:
                    worst = (size, signs, sign, c_S)
        cones.append(item)
    if worst is not None:
        if worst[0] > float(2 * lam) * (1 + MARGIN):
            from .wider_network import search as wider

            # the wider network's loss is below every loss on the ball about the split centre as well: it has
            # the merged centre's outputs and loss, and the ball's bound is checked about the centre it names
            return wider(problem, split if groups and split else c, rho, worst[1], worst[2], worst[3], xt, say)
        where = " (a unit on a kink whose minimum is not known to stay on it)" if local.get("method") == \
            "boundary_ball" else " (a second saturating direction)"
        return Verdict("UNKNOWN", f"the cone {worst[1]} saturates the dual bound: sup |c_S·v|/‖v‖ ≈ {worst[0]:.6g} "
                       f"against 2λ = {short(2 * lam)}, within rounding{where}")
    evidence = {"method": "dual_cones", "kept": kept, "local": local, "residual_bound": canonical(delta),
                "sample_norms": [canonical(n) for n in norms], "cones": cones,
                "empty": [{"signs": s, "gordan": [canonical(v) for v in y] + ["0"] * (N - len(y))} for s, y in empty]}
    if groups:
        evidence["groups"] = groups
    cert = certificate(problem, "CERTIFIED", "global_minimum", split if groups and split else c, rho, evidence, mu)
    reason = (f"global minimum: no one-hidden-layer network of any width has a lower loss; the minimum lies within "
              f"{short(rho)} of the centre ({len(cells)} cones of the data arrangement, {len(live)} live)")
    facts = {"radius": canonical(rho), "cones": len(cells), "live": len(live), "excluded": len(empty),
             "kept": kept}
    return recheck(Verdict("CERTIFIED", reason, "global_minimum", cert, facts))


def _cones_1d(problem: Problem) -> tuple[list[str], list[tuple[str, list[Fraction]]]]:
    """The cones of a 1-D data arrangement and Gordan vectors for the empty prefixes, exactly (no LP).

    With biases a unit's active set is ``{j : w x_j + b > 0}``, an up-set or a down-set in ``x``; a sign
    prefix is empty iff it has equal ``x`` with different signs (``x̃_i − x̃_j = 0``) or an alternating triple
    ``x_a < x_b < x_c`` (``x̃_b = θx̃_a + (1 − θ)x̃_c``). Without biases the sign of ``v`` decides everything: a
    prefix is empty iff two samples of one sign of ``x`` differ, or two of opposite signs agree
    (``|x_j|·x̃_i ∓ |x_i|·x̃_j = 0``). The prefix before the last sample is not empty, so any obstruction uses
    the last sample; the depth-first order is the checker's.
    """
    xs = [x[0] for x in problem.inputs]
    cells: list[str] = []
    empty: list[tuple[str, list[Fraction]]] = []

    def obstruction(prefix: str) -> list[Fraction] | None:
        m = len(prefix) - 1
        y = [Fraction(0)] * len(prefix)
        for i in range(m):
            if problem.biases and xs[i] == xs[m] and prefix[i] != prefix[m]:
                y[i] = y[m] = Fraction(1)
                return y
            if not problem.biases and ((xs[i] > 0) == (xs[m] > 0)) != (prefix[i] == prefix[m]):
                y[i], y[m] = abs(xs[m]), abs(xs[i])
                return y
        if not problem.biases:
            return None
        for a in range(m):
            for c in range(a + 1, m):
                lo, hi = sorted((a, c), key=lambda k: xs[k])
                trio = sorted((lo, hi, m), key=lambda k: xs[k])
                b = trio[1]
                if len({xs[k] for k in trio}) < 3 or prefix[trio[0]] != prefix[trio[2]] or prefix[b] == prefix[trio[0]]:
                    continue
                theta = (xs[trio[2]] - xs[b]) / (xs[trio[2]] - xs[trio[0]])
                y[trio[0]], y[b], y[trio[2]] = theta, Fraction(1), 1 - theta
                return y
        return None

    def visit(prefix: str) -> None:
        y = obstruction(prefix) if prefix else None
        if y is not None:
            empty.append((prefix + "*" * (len(xs) - len(prefix)), y))
        elif len(prefix) == len(xs):
            cells.append(prefix)
        else:
            visit(prefix + "1")
            visit(prefix + "0")

    visit("")
    return cells, empty


def _kinked_units(cp: Any, c: list[Fraction], rho: Fraction, xt: list[list[Fraction]], kept: list[int],
                  local: dict[str, Any]) -> dict[int, tuple[dict[int, str], int]]:
    """Kept units on kinks of a ``kink_ball`` minimum: their stable signs and the sign of ``a_g``."""
    if local.get("method") != "kink_ball":
        return {}
    out = {}
    for new, g in enumerate(kept):
        mine = {j for j, i in local["constraints"] if i == new}
        # samples with the same input as a kink's lie on it too (the checker's twins)
        kinks = {k for k, x in enumerate(xt) for j in mine if x == xt[j]}
        a = c[unit_index(cp, g, len(xt[0]))]
        if not kinks or all(j in kinks or not any(x) for j, x in enumerate(xt)) or a * a <= rho * rho:
            continue
        row = [c[unit_index(cp, g, p)] for p in range(len(xt[0]))]
        fixed = {}
        for j, x in enumerate(xt):
            if j in kinks or not any(x):     # a null sample is '0' in every cone
                continue
            z = sum((w * v for w, v in zip(row, x)), Fraction(0))
            if z * z <= rho * rho * sum(v * v for v in x):
                break
            fixed[j] = "1" if z > 0 else "0"
        else:
            out[g] = (fixed, 1 if a > 0 else -1)
    return out


def _residuals(problem: Problem, c: list[Fraction]) -> list[Fraction]:
    return [r[0] for r in exact_residuals(checker_problem(problem), c)]


def _samples(signs: str) -> str:
    on = [str(j) for j, s in enumerate(signs) if s == "1"]
    return "{" + ", ".join(on) + "}" if on else "∅"


def recheck(v: Verdict) -> Verdict:
    """Run the trusted checker on the certificate; a rejected certificate becomes UNKNOWN, never a verdict."""
    return checked(v) if v.certificate is not None else v


@renders("dual_cones")
def render_dual_cones(doc: Doc) -> Parts:
    """The proof of ``global_minimum`` (Lemmas C and D on the instance)."""
    return parts(doc, "A global minimum over every width",
                 "no one-hidden-layer network of any width has a lower loss on this data than the minimum in "
                 "the ball")


def parts(doc: Doc, headline: str, summary: str) -> Parts:
    """The document parts of both duality methods: the lemmas and the instance are one body."""
    return Parts(headline, summary, None, "", render(doc.cert),
                 r"\begin{theorem}\label{pscert:theorem}" + summary[0].upper() + summary[1:]
                 + r" (the conclusion above).\end{theorem}" + "\n")


def render(cert: dict[str, Any]) -> str:
    r"""The LaTeX body of the proof section of a ``global_minimum`` or ``not_global_minimum`` certificate.

    It states Lemmas C and D for the instance and lists the facts the checker verifies; every number
    printed is recomputed from the certificate here (a certificate the rule rejects raises
    :class:`~proofs.checker.CertificateInvalid` before anything is typeset).
    """
    checked_line = recheck(Verdict(cert["status"], "", cert["claim"], cert)).facts.get("checker")
    if checked_line is None:
        raise CertificateInvalid("evidence", "the certificate is rejected by the checker; nothing to typeset")
    problem = read_problem(cert["problem"])
    c = read_point(cert["center"], problem, "center")
    rho = parse_rational_strict(cert["radius"], "radius")
    lam, alpha, N = problem.weight_decay, problem.alpha, len(problem.inputs)
    bias = problem.biases
    xt = r"(x_j, 1)" if bias else r"x_j"
    out = [r"\subsection*{Global optimality over every width}",
           rf"Setting: one hidden ReLU layer, one output, $N = {N}$ sample{'s' if N > 1 else ''}, $\alpha = {rational(alpha)}$, "
           rf"$\lambda = {rational(lam)}$ on every parameter. A unit is $p = (v, a)$ with $v$ acting on "
           rf"$\tilde x_j = {xt}$; $f(x_j;\theta) = \sum_i a_i\sigma(v_i\cdot\tilde x_j)" + (" + b" if bias else "")
           + r"$ and $L(\theta) = \alpha\sum_j (f(x_j;\theta) - y_j)^2 + \lambda\|\theta\|^2$, for networks "
           r"of \emph{any} width.",
           "",
           r"\paragraph{Lemma C.} Let $\theta^*$ be a local minimum with residuals $r_j$ and "
           r"$G(v) = 2\alpha\sum_j r_j\sigma(v\cdot\tilde x_j)$. Then for every network $\theta$ of any width, "
           r"$L(\theta) \ge L(\theta^*) + \sum_i T_i$ with $T_i = a_iG(v_i) + \lambda(\|v_i\|^2 + a_i^2)$.",
           "",
           r"\emph{Proof.} The data term is convex in the outputs with gradient $2\alpha r$ at $\theta^*$"
           + (r" and $\lambda b^2 \ge \lambda b^{*2} + 2\lambda b^*(b - b^*)$" if bias else "")
           + r". Expanding the outputs unit by unit gives $L(\theta) \ge L(\theta^*) + \sum_i T_i - \sum_i T_i^*"
           + (r" + (2\alpha\sum_j r_j + 2\lambda b^*)(b - b^*)" if bias else "")
           + r"$. At a local minimum the scaling $s \mapsto (s v_i^*, s a_i^*)$ keeps every activation pattern, "
           r"so $L$ is a polynomial in $s$ along it with derivative $2T_i^*$ at $s = 1$: $T_i^* = 0$"
           + (r"; and $\partial L/\partial b = 0$" if bias else "") + r". $\square$",
           "",
           r"\paragraph{Lemma D.} If $|G(v)| \le 2\lambda\|v\|$ for every $v$, then $T_i \ge "
           r"\lambda(\|v_i\| - |a_i|)^2 \ge 0$, so no network of any width has a lower loss than $L(\theta^*)$. "
           r"On the closed cone $C_S = \{v : s'_j\tilde x_j\cdot v \ge 0\}$ of a sign string $S$, "
           r"$G(v) = c_S\cdot v$ with $c_S = 2\alpha\sum_{j\in S} r_j\tilde x_j$, and a polar-cone witness "
           r"$y \ge 0$ gives $\pm c_S\cdot v \le \|\pm c_S + \sum_j y_j s'_j\tilde x_j\|\,\|v\|$ there. "
           r"On the cone of a live unit $g$ (no sample on its kink), stationarity in $(v_g, a_g)$ gives "
           r"$c_S = -2\lambda v_g^*/a_g^*$ and $\|v_g^*\| = |a_g^*|$, so $\|c_S\| = 2\lambda$ and "
           r"Cauchy--Schwarz bounds both signs. If the unit lies on kinks $K_g$ of the minimum, the KKT "
           r"multipliers $\nu \ge 0$ of its adjacent cone give $s c_S + \sum_{j\in K_g}(\nu_j/|a_g^*|)s'_j"
           r"\tilde x_j = 2\lambda v_g^*/|a_g^*|$ for $s = -\operatorname{sign} a_g^*$: a witness of norm "
           r"exactly $2\lambda$. $\square$",
           ""]
    ev = cert["evidence"]
    if cert["claim"] == "global_minimum":
        delta = parse_rational_strict(ev["residual_bound"], "residual_bound")
        live = [k for k in ev["cones"] if "unit" in k and "other" not in k]
        kinks = [k for k in ev["cones"] if "other" in k or "units" in k]
        groups = ev.get("groups", [])
        split = ""
        if groups:
            split = (r" Units sharing a pattern are split: in each group below, unit $i$ is $w_i$ times the "
                     r"merged unit $p_m$ exactly at the centre, with $\sum_i w_i^2 = 1$ (" + "; ".join(
                         ", ".join(f"${u}: {rational(Fraction(w), inline=True)}$" for u, w in zip(g["units"], g["weights"]))
                         for g in groups) + r"). The checks run on the merged point ($p_m$ in place of the "
                     r"group); the split of its minimum has the same outputs and loss, and lies as close to the "
                     r"centre, since $\sum_i w_i^2\|p - q\|^2 = \|p - q\|^2$.")
        out += [r"\paragraph{The instance.} The reduced network keeps the units "
                + ", ".join(str(g) for g in ev["kept"]) + r" (the others are $0$ at the centre, or split from a kept "
                r"unit)." + split + r" Its "
                rf"\texttt{{isolated\_local\_minimum}} evidence (\texttt{{{escape(ev['local']['method'])}}}) puts "
                rf"its minimum $\theta^*$ within $\rho = {rational(rho, inline=True)}$ of the centre, and "
                rf"$|r_j(\theta^*) - r_j(c)| \le \Delta = {decimal(delta)}$ for every $j$.",
                "",
                rf"The data arrangement has {len(ev['cones'])} listed cone(s) and {len(ev['empty'])} empty sign "
                rf"pattern(s) excluded by Gordan vectors. {len(live)} cone(s) hold a live unit off every kink, "
                rf"{len(kinks)} cone(s) a unit on its kinks (the sign of its outgoing weight is witnessed); on "
                r"the other cones both witnesses satisfy $\|\pm c_S(c) + \sum_j y_j s'_j\tilde x_j\| \le 2\lambda - "
                r"2\alpha\Delta\sum_{j\in S} n_j$ with $n_j \ge \|\tilde x_j\|$, which covers "
                r"$\|c_S(\theta^*) - c_S(c)\|$.",
                "",
                r"\begin{center}\begin{tabular}{ll}\hline cone $S$ & bound \\ \hline"]
        for k in ev["cones"][:32]:
            what = (f"units {k['units'][0]} and {k['units'][1]} on their kinks (one sign each, by KKT)"
                    if "units" in k else "polar-cone witnesses" if "unit" not in k
                    else f"live unit {k['unit']}" if "other" not in k
                    else f"unit {k['unit']} on its kinks (its own sign by KKT), the other sign witnessed")
            out.append(rf"\texttt{{{k['signs']}}} & {what} \\")
        if len(ev["cones"]) > 32:
            out.append(rf"\multicolumn{{2}}{{l}}{{\ldots\ {len(ev['cones']) - 32} more}} \\")
        out += [r"\hline\end{tabular}\end{center}",
                r"\paragraph{Conclusion.} By Lemmas C and D, no one-hidden-layer network of any width has a lower "
                r"loss on this data than the minimum $\theta^*$ in the ball: it is a global minimum."]
    else:
        here = _loss_at(problem, c)
        width = ev["width"]
        wide = _wide_problem(problem, width)
        theta = read_point(ev["point"], wide, "point")
        there = _loss_at(wide, theta)
        out += [rf"\paragraph{{The instance.}} The network of width {width} given in the certificate has the exact "
                rf"loss ${rational(there)}$, while every point of the ball of radius $\rho = "
                rf"{rational(rho, inline=True)}$ about the centre has loss at least "
                rf"$L(c) - \text{{drop}}$ with $L(c) = {decimal(here)}$ (drop from the residual enclosure and "
                r"the decay term). The inequality of the certificate holds, so no point of the ball is a global "
                r"minimum over all widths: a wider network does better, by adding the unit listed last."]
    return "\n".join(out) + "\n"


def escape(text: str) -> str:
    return text.replace("_", r"\_")


def _wide_problem(problem: Any, width: int) -> Any:
    from ..checker.network import Problem as Exact

    return Exact([problem.widths[0], width, problem.widths[-1]], problem.biases, problem.decay_biases,
                 problem.activation, problem.reduction, problem.weight_decay, problem.inputs, problem.targets)


def _loss_at(problem: Any, theta: list[Fraction]) -> Fraction:
    from ..checker.network import forward, loss_value

    return loss_value(problem, theta, forward(problem, theta, None))
