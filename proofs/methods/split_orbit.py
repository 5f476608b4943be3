"""Evidence ``split_orbit``: a point on the split orbit of a smaller network's strict minimum.

Units of one hidden layer that are positively proportional trade weight on a sphere of equal loss (the
split orbit, ``docs/MATHEMATICS.md`` §3). :func:`search`

1. groups the units by direction: one sign pattern (``'k'`` at a kink: proportional units share their
   kinks) and nearly positively proportional (:data:`PARALLEL`, in floats: a trained point is only near
   the orbit); every unit must be active on some sample (dead units are ``dual_cones``' business), and
   two groups must not share a sign pattern (that is a rotation orbit);
2. merges each group into one unit of the same cost and certifies the reduced network's minimum (a ball
   ``B̄(c_red, ρ)`` holding the exact minimum): with :func:`proofs.generator.kink_verdict` asking for
   ``kink_ball`` (whose minimum lies on every kink) when the merged point has kinks within the snapping
   tolerance, else with :func:`proofs.generator.certify`, whose ``boundary_ball`` (refinement crossed
   kinks) is certified again on those kinks with ``kink_ball``;
3. splits the reduced centre back along weights ``t`` on a *rational* sphere (``Σ t² = 1``; the user's
   exact ratios when their squares sum to a rational square, else a Pythagorean approximation by inverse
   stereographic projection), so that the certificate's centre is exactly the split of ``c_red`` and
   ``κ_m = t_m/t_1`` has ``Σ κ² = (1/t_1)²``;
4. picks the largest short radius ``R ≥ ρ`` on which every unit keeps its strict signs off its kinks and,
   for a unit on a kink, the sign of its outgoing weight (``a² > R²``).

The theorem the checker's acceptance proves is in :mod:`proofs.checker.orbit`. Floats only search; the
verdict is re-checked by the checker before it is returned.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from typing import Any, Callable

from symbolic.problem import Problem
from symbolic.rationals import canonical

from ..assemble import Verdict, certificate, checked, short
from ..checker import CertificateInvalid, read_problem
from ..checker.reading import parse_rational_strict, read_point
from ..latex_format import rational
from ..latex_setting import Doc, Parts
from . import renders

Progress = Callable[[str], None]

TOL = 1e-7
"""Relative tolerance (to ``max(1, ‖θ‖∞)``) for a dead unit and a pre-activation on a kink."""

PARALLEL = 1e-4
"""Units of one sign pattern whose cosine is within ``PARALLEL`` of 1 are one group. At a critical point,
live units that share a pattern are exactly proportional (Lemma C); a trained point is only near one, and
refining the merged (reduced) network moves the split centre to the exact orbit."""

DIGITS = 2 ** 24
"""Denominator bound of the stereographic coordinates of a Pythagorean split (about 7 digits)."""


def search(problem: Problem, theta: list[Fraction], say: Progress | None = None) -> Verdict | None:
    """A ``nonisolated_local_minimum`` certificate for a point of a split orbit, or ``None``.

    Parameters
    ----------
    problem
        One hidden ReLU layer, one output, ``λ > 0``, every parameter decayed (otherwise ``None``).
    theta
        The point, exact, in canonical order.
    say
        Progress messages.

    Returns
    -------
    Verdict or None
        ``None`` when the point has no group of two or more positively proportional units, a unit active
        on no sample, or two groups that share a sign pattern; UNKNOWN when the reduced network's minimum
        is not certified; else a checked CERTIFIED ``nonisolated_local_minimum``.

    Notes
    -----
    Cost: one local certificate of the reduced network (on its kinks, when units sit on kinks), plus
    ``O(n·N)`` exact sign tests.
    """
    say = say or (lambda _msg: None)
    if problem.depth != 1 or problem.activation != "relu" or problem.widths[-1] != 1 or problem.weight_decay <= 0 \
            or (problem.biases and not problem.decay_biases):
        return None
    xt = [list(x) + ([Fraction(1)] if problem.biases else []) for x in problem.inputs]
    if any(not any(x) for x in xt):
        return None
    groups = _groups(problem, theta, xt)
    if groups is None or all(len(g) < 2 for g in groups):
        return None
    size = problem.widths[0] + int(problem.biases) + 1
    units = [[theta[_index(problem, i, p)] for p in range(size)] for i in range(problem.widths[1])]
    red = replace(problem, widths=(problem.widths[0], len(groups), 1), point=None)
    spheres = [_sphere_point([units[i] for i in members]) for members in groups]
    red_theta = [Fraction(0)] * red.parameter_count
    for k, (members, t) in enumerate(zip(groups, spheres)):
        for p in range(size):  # the merged unit p_first/t_1: exactly the same function and cost when t is exact
            red_theta[_index(red, k, p)] = units[members[0]][p] / t[0]
    if problem.biases:
        red_theta[-1] = theta[-1]
    from ..generator import certify, kink_verdict

    at = red.with_point(red.unflatten(red_theta))
    kinks = _near_kinks(red, red_theta)
    if kinks:
        say(f"certifying the minimum of the reduced network ({len(groups)} unit(s), proportional units merged) on "
            f"its {len(kinks)} kink(s)")
        local = kink_verdict(at, red_theta, kinks, True, say, on_kinks=True)
    else:
        say(f"certifying the minimum of the reduced network ({len(groups)} unit(s), proportional units merged)")
        local = certify(at, progress=say)
    if local.status == "CERTIFIED" and local.certificate is not None \
            and local.certificate["evidence"]["method"] == "boundary_ball":
        # refinement reached kinks the reduced minimum may lie beside: ask for it on them (kink_ball)
        lc = local.certificate
        cons = [(j, g) for j, g in lc["evidence"]["constraints"]]
        kinks = kinks or cons
        c0 = read_point(lc["center"], read_problem(lc["problem"]), "center")
        say(f"certifying the reduced minimum on its {len(cons)} kink(s)")
        local = kink_verdict(red.with_point(red.unflatten(c0)), c0, cons, False, say, on_kinks=True)
    if local.status != "CERTIFIED" or local.certificate is None or local.claim != "isolated_local_minimum":
        return Verdict("UNKNOWN", f"the split orbit's reduced network is not certified an isolated minimum "
                       f"({local.reason})")
    if local.certificate["evidence"]["method"] == "kink_ball":
        kinks = [(j, g) for j, g in local.certificate["evidence"]["constraints"]]
    elif kinks:
        return Verdict("UNKNOWN", "the split orbit's reduced minimum is not proved to lie on its kinks (no kink_ball)")
    lc = local.certificate
    c_red = read_point(lc["center"], read_problem(lc["problem"]), "center")
    rho, mu = parse_rational_strict(lc["radius"], "radius"), parse_rational_strict(lc["mu"], "mu")
    c = [Fraction(0)] * problem.parameter_count
    evidence_groups = []
    for k, (members, t) in enumerate(zip(groups, spheres)):
        for i, tm in zip(members, t):
            for p in range(size):
                c[_index(problem, i, p)] = tm * c_red[_index(red, k, p)]
        evidence_groups.append({"units": members, "kappa": [canonical(tm / t[0]) for tm in t]})
    if problem.biases:
        c[-1] = c_red[-1]
    R = _stable_radius(problem, c, xt, rho)
    if R is None:
        return Verdict("UNKNOWN", "a unit of the split centre does not keep its signs off its kinks (and, on a kink, "
                       "the sign of its outgoing weight) on a ball containing the reduced minimum")
    dimension = sum(len(g) - 1 for g in groups)
    evidence = {"method": "split_orbit", "groups": evidence_groups, "local": lc["evidence"],
                "stable_radius": canonical(R), "dimension": dimension}
    cert = certificate(problem, "CERTIFIED", "nonisolated_local_minimum", c, rho, evidence, mu)
    sizes = ", ".join("{" + ", ".join(map(str, g)) + "}" for g in groups if len(g) > 1)
    on = f", on its {len(kinks)} kink(s)" if kinks else ""
    reason = (f"non-isolated local minimum: the proportional units {sizes} split a strict minimum of the reduced "
              f"network ({len(groups)} unit(s){on}); near it the local minima are exactly its split orbit, of "
              f"dimension "
              f"{dimension}, all at the same loss; the minimum lies within {short(rho)} of the centre")
    facts = {"radius": canonical(rho), "stable_radius": canonical(R), "dimension": dimension, "groups": groups,
             "kinks": len(kinks)}
    return checked(Verdict("CERTIFIED", reason, "nonisolated_local_minimum", cert, facts))


def _index(problem: Problem, g: int, p: int) -> int:
    """Canonical index of parameter ``p`` of unit ``g`` (its row, bias last, then ``a_g``)."""
    n0, n1, bias = problem.widths[0], problem.widths[1], int(problem.biases)
    if p < n0:
        return g * n0 + p
    if p == n0 and bias:
        return n1 * n0 + g
    return n1 * (n0 + bias) + g


def _groups(problem: Problem, theta: list[Fraction], xt: list[list[Fraction]]) -> list[list[int]] | None:
    """Units grouped by direction (one sign pattern, ``'k'`` at a kink, and nearly positively proportional:
    :data:`PARALLEL`), groups ordered by their first unit; ``None`` if a unit is active on no sample, or two
    groups share a sign pattern (a rotation orbit, not a split one)."""
    size = problem.widths[0] + int(problem.biases) + 1
    scale = max(1.0, max(abs(float(t)) for t in theta))
    groups: list[list[int]] = []
    patterns: list[str] = []
    for i in range(problem.widths[1]):
        unit = [float(theta[_index(problem, i, p)]) for p in range(size)]
        z = [sum(w * float(v) for w, v in zip(unit, x)) for x in xt]
        if max(z) <= TOL * scale:
            return None
        pattern = "".join("k" if abs(v) <= TOL * scale else "1" if v > 0 else "0" for v in z)
        for members, seen in zip(groups, patterns):
            first = [float(theta[_index(problem, members[0], p)]) for p in range(size)]
            cos = sum(a * b for a, b in zip(first, unit)) / math.hypot(*first) / math.hypot(*unit)
            if cos >= 1 - PARALLEL:
                if seen != pattern:
                    return None
                members.append(i)
                break
        else:
            if pattern in patterns:
                return None
            groups.append([i])
            patterns.append(pattern)
    return groups


def _near_kinks(red: Problem, theta: list[Fraction]) -> list[tuple[int, int]]:
    """The reduced network's first-layer kinks ``(j, g)``: pre-activations within the snapping tolerance of the
    merged point (:mod:`proofs.snap`; rounding level at an exact critical point, up to ``10·‖∇L‖`` away from
    one), so that a trained point's kinks are found where the merged network's refinement needs them."""
    from ..snap import detect, tolerance

    scale = max(1.0, max(abs(float(t)) for t in theta))
    return list(detect(red, theta, max(tolerance(red, theta).tol, TOL * scale)).kinks)


def _sphere_point(units: list[list[Fraction]]) -> list[Fraction]:
    """Rational ``t > 0`` with ``Σ t² = 1`` along the units' norms: exact when the ratios allow it."""
    p = next(k for k, v in enumerate(units[0]) if v)
    kappa = [u[p] / units[0][p] for u in units]
    if all(u == [k * v for v in units[0]] for k, u in zip(kappa, units)):
        s2 = sum((k * k for k in kappa), Fraction(0))
        s = Fraction(math.isqrt(s2.numerator), math.isqrt(s2.denominator))
        if s * s == s2:
            return [k / s for k in kappa]
    norms = [math.sqrt(sum(float(v) ** 2 for v in u)) for u in units]
    total = math.sqrt(sum(n * n for n in norms))
    tau = [n / total for n in norms]
    # inverse stereographic projection from −e_1: y ↦ ((1 − |y|²), 2y)/(1 + |y|²) is rational and positive
    y = [Fraction(v / (1 + tau[0])).limit_denominator(DIGITS) for v in tau[1:]]
    y2 = sum((v * v for v in y), Fraction(0))
    return [(1 - y2) / (1 + y2)] + [2 * v / (1 + y2) for v in y]


def _stable_radius(problem: Problem, c: list[Fraction], xt: list[list[Fraction]], rho: Fraction) -> Fraction | None:
    """A short ``R ≥ ρ`` (about half the largest) with ``z² > R²‖x̃‖²`` for every unit and sample off its kinks
    (``z = 0`` exactly) and ``a² > R²`` for every unit on a kink, or ``None``."""
    size = problem.widths[0] + int(problem.biases) + 1
    ratios = []
    for i in range(problem.widths[1]):
        row = [c[_index(problem, i, p)] for p in range(size - 1)]
        zs = [sum((w * v for w, v in zip(row, x)), Fraction(0)) for x in xt]
        ratios += [z * z / sum(v * v for v in x) for z, x in zip(zs, xt) if z]
        if not all(zs):
            ratios.append(c[_index(problem, i, size - 1)] ** 2)
    least = min(ratios)
    R = Fraction(math.sqrt(float(least)) / 2).limit_denominator(1000)
    if R * R >= least or R <= 0:
        R = rho
    return R if R >= rho and R * R < least else None


@renders("split_orbit")
def render(doc: Doc) -> Parts:
    """The proof of ``nonisolated_local_minimum``: the split orbit of the reduced network's strict minimum."""
    summary = ("the point lies within the radius of a local minimum whose nearby local minima are exactly its "
               "split orbit, a set of positive dimension at one loss value: a non-isolated local minimum")
    body = latex(doc.cert)
    theorem = (r"\begin{theorem}\label{pscert:theorem}The network has a local minimum $\theta^*$ within $\rho$ "
               r"of the centre; near it the local minima of $L$ are exactly its split orbit, of dimension "
               + str(doc.evidence["dimension"]) + r", so $\theta^*$ is not isolated.\end{theorem}" + "\n")
    return Parts("A non-isolated local minimum (a split orbit)", summary, None, "", body, theorem)


def latex(cert: dict[str, Any]) -> str:
    r"""The LaTeX body of a ``split_orbit`` proof; a certificate the checker rejects raises
    :class:`~proofs.checker.CertificateInvalid` before anything is typeset."""
    line = checked(Verdict(cert["status"], "", cert["claim"], cert)).facts.get("checker")
    if line is None:
        raise CertificateInvalid("evidence", "the certificate is rejected by the checker; nothing to typeset")
    ev = cert["evidence"]
    rho = parse_rational_strict(cert["radius"], "radius")
    R = parse_rational_strict(ev["stable_radius"], "evidence.stable_radius")
    rows = []
    for k, g in enumerate(ev["groups"]):
        kappa = [Fraction(v) for v in g["kappa"]]
        s = Fraction(math.isqrt(sum(v * v for v in kappa).numerator), math.isqrt(sum(v * v for v in kappa).denominator))
        rows.append(rf"{k} & {', '.join(map(str, g['units']))} & "
                    + ", ".join(f"${rational(v, inline=True)}$" for v in kappa) + rf" & ${rational(s, inline=True)}$ \\")
    method = ev["local"]["method"].replace("_", r"\_")
    on_kinks = ev["local"]["method"] == "kink_ball"
    kinks = sorted((g, j) for j, g in ev["local"]["constraints"]) if on_kinks else []
    bias = bool(cert["problem"]["network"].get("biases", True))
    return "\n".join([
        r"\subsection*{A split orbit of local minima}",
        r"Setting: one hidden ReLU layer, one output, squared loss, weight decay $\lambda > 0$ on every "
        r"parameter. A unit is $p = (v, a)$ with $v$ acting on $\tilde x_j = " + ("(x_j, 1)" if bias else "x_j")
        + r"$; $f(x_j;\theta) = \sum_i a_i\sigma(v_i\cdot\tilde x_j)" + (" + b" if bias else "") + "$.",
        "",
        r"\paragraph{Lemma C.} Let $\theta^*$ have residuals $r_j$, stationary output bias, and every unit "
        r"balanced and saturated ($T_i^* = 0$ below). With $G(v) = 2\alpha\sum_j r_j\sigma(v\cdot\tilde x_j)$, "
        r"every network $\theta$ of any width has $L(\theta) \ge L(\theta^*) + \sum_i T_i$, "
        r"$T_i = a_iG(v_i) + \lambda(\|v_i\|^2 + a_i^2)$. \emph{Proof.} The data term is convex in the outputs "
        r"with gradient $2\alpha r$ at $\theta^*$; expanding the outputs unit by unit leaves "
        r"$\sum_i T_i - \sum_i T_i^*$ and the bias term, both $0$ at $\theta^*$. $\square$",
        "",
        r"\paragraph{The groups.} At the centre $c$ the units of each group are positive multiples "
        r"$p_{i_m}(c) = \kappa_m p_{i_1}(c)$ of its first unit, with $\sum_m \kappa_m^2 = s^2$, $s$ rational:",
        r"\begin{center}\begin{tabular}{llll}\hline group & units & $\kappa$ & $s$ \\ \hline",
        *rows,
        r"\hline\end{tabular}\end{center}",
        r"The reduced network has one unit $u_g = s_g p_{i_1}$ per group; with $t_m = \kappa_m/s_g$ "
        r"($\sum_m t_m^2 = 1$) the split map $u_g \mapsto (t_m u_g)_m$ keeps the outputs and the norm, so the "
        r"reduced loss is $L$ on split points and the centre is the split of the reduced centre. The reduced "
        rf"network's evidence (\texttt{{{method}}}) proves a strict local minimum $\theta^*_{{red}}$ within "
        rf"$\rho = {rational(rho, inline=True)}$ of the reduced centre; its split $\theta^*$ is within $\rho$ of $c$.",
        "",
        *(_live_paragraph(R) if not kinks else _kink_paragraph(R, kinks)),
        "",
        r"\paragraph{Conclusion.} By Lemma C, $L(\theta) \ge L(\theta^*) + \sum_i T_i$ with $T_i \ge "
        r"\lambda(\|v_i\| - |a_i|)^2 \ge 0$ on $U$: $\theta^*$ minimises $L$ on $U$. Equality forces equal outputs, "
        r"balance and $p_i = \tau_i u^*_g$ with $\sum_{i\in g}\tau_i^2 = 1$ (the reduced minimum is strict), so "
        rf"the local minima in $U$ are exactly the split orbit of $\theta^*$, of dimension {ev['dimension']}. "
        r"No quadratic growth away from the orbit is claimed; $\mu$ is the reduced certificate's modulus.",
    ]) + "\n"


def _live_paragraph(R: Fraction) -> list[str]:
    return [r"\paragraph{Live units.} Every unit keeps strict signs on the ball of radius "
            rf"$R = {rational(R, inline=True)}$ about $c$ "
            r"($z_{ij}(c)^2 > R^2\|\tilde x_j\|^2$), so on the open set $U$ of those signs each unit stays in "
            r"its cone $C_S$, where $G(v) = c_S\cdot v$. Stationarity and balance of the reduced unit give "
            r"$\|c_S\| = 2\lambda$ at $\theta^*$."]


def _kink_paragraph(R: Fraction, kinks: list[tuple[int, int]]) -> list[str]:
    listed = ", ".join(f"$({j}, {g})$" for g, j in kinks)
    return [r"\paragraph{Units on kinks.} The reduced evidence (\texttt{kink\_ball}) puts its minimum on the kinks "
            rf"(sample, group) {listed}: $\tilde x_j\cdot v^*_g = 0$ there. Off its kinks every unit keeps strict "
            rf"signs on the ball of radius $R = {rational(R, inline=True)}$ about $c$ "
            r"($z_{ij}(c)^2 > R^2\|\tilde x_j\|^2$), "
            r"and a unit on a kink keeps the sign of its outgoing weight ($a_i(c)^2 > R^2$). On the open set $U$ of "
            r"those signs each $v_i$ lies in a closed cone $C_{S'}$ beside $v^*_g$ (any sign on the kinks), where "
            r"$G(v) = c_{S'}\cdot v$. The reduced minimum satisfies the KKT conditions of each such cone, "
            r"$a^*_g c_{S'} + 2\lambda v^*_g = \sum_{j \in K_g} \nu_j s'_j \tilde x_j$ with $\nu \ge 0$ and "
            r"$c_{S'}\cdot v^*_g + 2\lambda a^*_g = 0$; so $\|v^*_g\| = |a^*_g|$ and, for $v \in C_{S'}$, "
            r"$-\operatorname{sign}(a^*_g)\, c_{S'}\cdot v = "
            r"(2\lambda v^*_g\cdot v - \sum_j \nu_j s'_j \tilde x_j\cdot v)/|a^*_g| "
            r"\le 2\lambda\|v\|$, with equality only along $v^*_g$. Units without kinks are live as in the "
            r"interior case ($\|c_S\| = 2\lambda$)."]
