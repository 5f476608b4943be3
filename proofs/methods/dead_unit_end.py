"""Evidence ``dead_unit_end``: dead units of the last hidden layer beside a live one, at any depth.

A dead unit (all its parameters 0) of the last hidden layer beside a live unit is the end of a split
circle. :func:`search`

1. finds the dead units of the last hidden layer (every parameter within :data:`TOL` of 0), deletes them
   and certifies the reduced network's strict minimum with :func:`proofs.generator.certify` (a ball
   ``B̄(c_red, ρ)``);
2. pads that centre with the dead units at 0 (the certificate's centre), encloses residuals and the
   features of the last hidden layer on ``B̄(c_red, 2ρ)`` and lists the cones of the arrangement of the
   features ``h̃_j(c)`` (the LP case split of :mod:`proofs.boundary`);
3. names each live unit whose strict signs are stable on that ball as the partner of its cone (the other
   sign and every face of the cone get polar witnesses) and gives every other cone polar witnesses for
   both signs, all with the enclosure margin ``δ``.

The theorem the checker's acceptance proves is in :mod:`proofs.checker.deadend`. Floats only search;
the verdict is re-checked by the checker before it is returned.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any, Callable

import numpy as np
from scipy.optimize import nnls

from symbolic.arrangement import RegionLimit
from symbolic.problem import Problem
from symbolic.rationals import canonical

from ..assemble import Verdict, certificate, checked, checker_problem, short, sqrt_above
from ..checker.deadend import _partner, _reduced, features
from ..checker.duality import exact_residuals
from ..checker import CertificateInvalid, read_problem
from ..checker.network import bounds
from ..checker.reading import parse_rational_strict, read_point
from ..latex_format import rational
from ..latex_setting import Doc, Parts
from . import renders
from .collapsed_layer import _polar_witness

Progress = Callable[[str], None]

LOCAL_METHODS = {"interior_ball", "boundary_ball", "kink_ball", "curved_kink_ball", "collapsed_layer",
                 "collapsed_network", "rotation_orbit", "rotation_kink_orbit"}
"""Reduced certificates the checker accepts as ``local`` (each proves a local minimum within ``ρ``)."""

TOL = 1e-7
"""A unit whose parameters are all within ``TOL·max(1, ‖θ‖∞)`` of 0 is dead."""

MAX_CONES = 512
"""Most cones of the feature arrangement a certificate may list (listing is exact, with the features' long
rationals: a trained point's features make it the costly step)."""

SCREEN = 2000
"""Random directions ``v`` of the float screen that skips the exact cone list where the dual inequality
visibly fails (then a dead unit grows downhill: the descent searches that run next decide the point)."""


def search(problem: Problem, theta: list[Fraction], say: Progress | None = None) -> Verdict | None:
    """A ``nonisolated_local_minimum`` certificate for dead units of the last hidden layer, or ``None``.

    Parameters
    ----------
    problem
        Two or more hidden ReLU layers, one output, ``λ > 0``, every parameter decayed (otherwise ``None``).
    theta
        The point, exact, in canonical order.
    say
        Progress messages.

    Returns
    -------
    Verdict or None
        ``None`` when the last hidden layer has no dead unit beside a live one; UNKNOWN with the step that failed
        (the caller's other verdicts then stand, and the reason says why minimality stays open); else a checked
        CERTIFIED ``nonisolated_local_minimum``.

    Notes
    -----
    Cost: one local certificate of the reduced network, the cone list of the feature arrangement (one LP
    per node of the sign-prefix tree) and one non-negative least-squares problem per cone, sign and face.
    """
    say = say or (lambda _msg: None)
    if problem.depth < 2 or problem.activation != "relu" or problem.widths[-1] != 1 or problem.weight_decay <= 0 \
            or (problem.biases and not problem.decay_biases):
        return None
    cp = checker_problem(problem)
    H, n_in = cp.depth, cp.widths[cp.depth - 1] + int(cp.biases)
    scale = max(1.0, max(abs(float(t)) for t in theta))

    def params(u: int) -> list[int]:
        return [cp.index(H, u, d) for d in range(n_in)] + [cp.index(H + 1, 0, u)]

    dead = [u for u in range(cp.widths[H]) if all(abs(float(theta[p])) <= TOL * scale for p in params(u))]
    if not dead or len(dead) == cp.widths[H]:
        return None
    zeroed = list(theta)
    for u in dead:
        for p in params(u):
            zeroed[p] = Fraction(0)
    creds, red_theta = _reduced(cp, zeroed, dead)
    widths = list(problem.widths)
    widths[H] = creds.widths[H]
    red = replace(problem, widths=tuple(widths), point=None)
    from ..generator import certify

    say(f"certifying the network without the dead unit(s) {', '.join(map(str, dead))} of hidden layer {H}")
    local = certify(red.with_point(red.unflatten(red_theta)), progress=say)
    if local.status != "CERTIFIED" or local.certificate is None or local.certificate["evidence"]["method"] not in LOCAL_METHODS:
        return _open(say, f"the network without the dead unit(s) of hidden layer {H} is not certified a local minimum "
                          f"({local.reason})")
    lc = local.certificate
    c_red = read_point(lc["center"], read_problem(lc["problem"]), "center")
    rho, mu = parse_rational_strict(lc["radius"], "radius"), parse_rational_strict(lc["mu"], "mu")
    kept = [i for i in range(cp.widths[H]) if i not in dead]
    c = list(c_red[:cp.offsets[H - 1]]) + [Fraction(0)] * (cp.count - cp.offsets[H - 1])
    for new, i in enumerate(kept):
        for d in range(n_in):
            c[cp.index(H, i, d)] = c_red[creds.index(H, new, d)]
        c[cp.index(H + 1, 0, i)] = c_red[creds.index(H + 1, 0, new)]
    if cp.biases:
        c[-1] = c_red[-1]
    v = _evidence(problem, cp, c, creds, c_red, rho, mu, dead, lc["evidence"], say)
    if v.status == "UNKNOWN":
        v.reason = f"Lemma D's dual check for the dead unit(s) of hidden layer {H} did not pass: {v.reason}"
    return v


def _open(say: Progress, why: str) -> Verdict:
    """A step that failed: said, and returned as the UNKNOWN reason (minimality stays open because of it)."""
    say(why)
    return Verdict("UNKNOWN", why)


def _evidence(problem: Problem, cp: Any, c: list[Fraction], creds: Any, c_red: list[Fraction], rho: Fraction,
              mu: Fraction, dead: list[int], local: dict[str, Any], say: Progress) -> Verdict:
    """Enclosures, the cone list with witnesses and the checked certificate (UNKNOWN if a witness fails)."""
    from ..boundary import _split

    H, R = cp.depth, 2 * rho
    bd = bounds(creds, c_red, R)
    delta = sqrt_above(creds.count * bd.F1[H + 1] ** 2 * R * R)
    eta = sqrt_above(cp.widths[H - 1] * bd.prefix[H - 1] * bd.F1[H - 1] ** 2 * R * R)
    J, feats = features(cp, c, bd.prefix[H - 1] * bd.F1[H - 1] ** 2 * R * R)
    if not J or any(not any(h) for h in feats):
        return _open(say, "a sample's features are 0 at the centre: no cone arrangement")
    norms = [sqrt_above(sum((v * v for v in h), Fraction(0))) for h in feats]
    residuals = [r[0] for r in exact_residuals(cp, c)]
    lam, alpha = cp.weight_decay, cp.alpha
    margin = 2 * alpha * sum((delta * (n + eta) + abs(residuals[j]) * eta for j, n in zip(J, norms)), Fraction(0))
    if margin >= 2 * lam:
        return _open(say, f"the enclosure margin {float(margin):.3g} exceeds 2λ")
    if _screen_fails(feats, [residuals[j] for j in J], alpha, lam):
        return _open(say, "a float screen finds the dual inequality failing at a sampled direction (the dead units "
                          "may grow downhill)")
    try:
        split = _split(tuple(tuple(h) for h in feats), MAX_CONES)
    except RegionLimit:
        return _open(say, f"more than {MAX_CONES} cones in the feature arrangement")
    partners: dict[str, tuple[int, int]] = {}
    for g in range(cp.widths[H]):
        if g in dead:
            continue
        w = [c[cp.index(H, g, d)] for d in range(len(feats[0]))]
        signs = "".join("1" if sum((a * x for a, x in zip(w, h)), Fraction(0)) > 0 else "0" for h in feats)
        try:
            partners.setdefault(signs, (g, _partner(cp, c, R, eta, J, feats, norms, g, signs, "")))
        except CertificateInvalid:
            continue
    if not partners:
        return _open(say, "no live unit of the last hidden layer keeps its signs on the enclosure ball")
    room = (2 * lam - margin) ** 2
    cones: list[dict[str, Any]] = []
    for signs in split.cells:
        c_S = [2 * alpha * sum((residuals[j] * h[p] for j, h, s in zip(J, feats, signs) if s == "1"), Fraction(0))
               for p in range(len(feats[0]))]
        if signs in partners:
            g, eps = partners[signs]
            other, dist2 = _polar_witness([eps * v for v in c_S], feats, signs)
            if dist2 > room:
                return _open(say, f"the partner cone {signs} fails for the other sign of the outgoing weight")
            faces = []
            for i in range(len(J)):
                y = _face_witness([-eps * v for v in c_S], feats, signs, i)
                if y is None or not _face_ok(y, [-eps * v for v in c_S], feats, signs, i, 2 * lam - margin, eta):
                    return _open(say, f"face {i} of the partner cone {signs} has no witness with the margin")
                faces.append([canonical(v) for v in y])
            cones.append({"signs": signs, "unit": g, "other": [canonical(v) for v in other], "faces": faces})
            continue
        item: dict[str, Any] = {"signs": signs}
        for key, sign in (("plus", 1), ("minus", -1)):
            y, dist2 = _polar_witness([sign * v for v in c_S], feats, signs)
            if dist2 > room:
                return _open(say, f"the cone {signs} fails the dual inequality with the margin (sign {sign:+d})")
            item[key] = [canonical(v) for v in y]
        cones.append(item)
    n = len(J)
    evidence = {"method": "dead_unit_end", "dead": dead, "local": local, "residual_bound": canonical(delta),
                "feature_bound": canonical(eta), "sample_norms": [canonical(v) for v in norms], "cones": cones,
                "empty": [{"signs": s, "gordan": [canonical(Fraction(v)) for v in y] + ["0"] * (n - len(y))}
                          for s, y in split.empty]}
    cert = certificate(problem, "CERTIFIED", "nonisolated_local_minimum", c, rho, evidence, mu)
    names = ", ".join(str(g) for g, _ in partners.values())
    reason = (f"non-isolated local minimum: the dead unit(s) {', '.join(map(str, dead))} of hidden layer {H} sit at "
              f"the end of the split circle of live unit(s) {names}; the network without them has a local minimum "
              f"within {short(rho)} of the centre, and the dual inequality holds on every cone of the features with "
              f"margin {float(margin):.2g}")
    facts = {"radius": canonical(rho), "dead": dead, "cones": len(cones), "excluded": len(split.empty)}
    return checked(Verdict("CERTIFIED", reason, "nonisolated_local_minimum", cert, facts))


def _screen_fails(feats: list[list[Fraction]], res: list[Fraction], alpha: Fraction, lam: Fraction) -> bool:
    """Floats only: some sampled ``v`` with ``|G_c(v)| > 2λ(1 + 10⁻⁶)‖v‖`` (never a verdict, only a skip)."""
    h = np.array([[float(v) for v in row] for row in feats])
    r = np.array([float(v) for v in res])
    v = np.random.default_rng(0).standard_normal((SCREEN, h.shape[1]))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    g = 2 * float(alpha) * (np.maximum(v @ h.T, 0) @ r)
    return bool(np.max(np.abs(g)) > 2 * float(lam) * (1 + 1e-6))


def _face_witness(c: list[Fraction], feats: list[list[Fraction]], signs: str, i: int) -> list[Fraction] | None:
    """Weights ``y`` (``y_i`` of either sign) making ``‖c + Σ y_k s'_k h̃_k‖`` small, dyadic."""
    sign = np.array([1.0 if s == "1" else -1.0 for s in signs])
    cols = (np.array([[float(v) for v in h] for h in feats]) * sign[:, None]).T
    cols = np.hstack([cols, -cols[:, i:i + 1]])
    y, _ = nnls(cols, -np.array([float(v) for v in c]))
    y[i] -= y[-1]
    return [Fraction(round(float(m) * 2 ** 40), 2 ** 40) if abs(m) > 0 else Fraction(0) for m in y[:-1]]


def _face_ok(y: list[Fraction], c: list[Fraction], feats: list[list[Fraction]], signs: str, i: int, left: Fraction,
             eta: Fraction) -> bool:
    gap = list(c)
    for v, h, s in zip(y, feats, signs):
        for p, x in enumerate(h):
            gap[p] += v * x if s == "1" else -v * x
    left -= eta * max(Fraction(0), -y[i])
    return left >= 0 and sum((v * v for v in gap), Fraction(0)) <= left * left


@renders("dead_unit_end")
def render_dead_unit_end(doc: Doc) -> Parts:
    """The proof of ``nonisolated_local_minimum`` at dead units of the last hidden layer (the checker's theorem on
    the instance: the enclosures, the cones and the merge argument)."""
    ev, cert = doc.evidence, doc.cert
    H = len(cert["problem"]["network"]["widths"]) - 2
    partners = [e["unit"] for e in ev["cones"] if "unit" in e]
    summary = (f"the point within $\\rho$ of the centre is a local minimum, not isolated: the dead unit(s) "
               f"{', '.join(map(str, ev['dead']))} of hidden layer {H} end the split circle of unit(s) "
               f"{', '.join(map(str, partners))}")
    lemmas = (r"""
\begin{lemma}[Merge]\label{pscert:merge} Two units $(w_g, b_g)$, $(w_u, b_u)$ of the last hidden layer with
$\operatorname{sign} b_u = \operatorname{sign} b_g = \varepsilon$ and $(w_g\cdot\tilde h_j)(w_u\cdot\tilde h_j) \ge 0$
at every sample compute the same outputs as the single unit $(q/\sqrt{\|q\|}, \varepsilon\sqrt{\|q\|})$ with
$q = |b_g| w_g + |b_u| w_u$, whose decay cost $2\lambda\|q\|$ is at most theirs.
\end{lemma}
\begin{proof} On each sample both arguments are $\ge 0$ (both terms linear) or both $\le 0$ (both 0); and
$2\lambda\|q\| \le 2\lambda(|b_g|\|w_g\| + |b_u|\|w_u\|) \le \lambda(\|p_g\|^2 + \|p_u\|^2)$. \end{proof}
\begin{lemma}[Dual bound with a margin]\label{pscert:dualmargin} For every $\theta'$ within $2\rho$ of the
reduced centre and every $v$, $|G_{\theta'}(v) - G_c(v)| \le \delta\|v\|$ with
$\delta = 2\alpha\sum_j(\Delta(n_j + \eta) + |r_j(c)|\eta)$, where $\Delta$ bounds the change of the residuals and
$\eta$ that of the features $\tilde h_j$ of the last hidden layer.
\end{lemma}
\begin{proof} $\sigma$ is 1-Lipschitz; $\Delta$ and $\eta$ come from the a-priori bounds $F1$ (every pattern). \end{proof}
""")
    body = (f"The reduced network (without the dead units) has a local minimum $\\theta^*_\\mathrm{{red}}$ within "
            f"$\\rho$ of its centre (evidence \\texttt{{{ev['local']['method'].replace('_', chr(92) + '_')}}}, re-checked). With "
            f"$\\Delta = {rational(Fraction(ev['residual_bound']))}$ and "
            f"$\\eta = {rational(Fraction(ev['feature_bound']))}$, every one of the {len(ev['cones'])} cones of the "
            f"feature arrangement ({len(ev['empty'])} sign prefixes excluded by Gordan vectors) has polar witnesses "
            f"$\\|\\pm c_S + \\sum_j y_j s'_j \\tilde h_j(c)\\| \\le 2\\lambda - \\delta$, except the cones of the partner "
            f"units {', '.join(map(str, partners))}, where the sign of the partner's outgoing weight is handled by "
            f"Lemma~\\ref{{pscert:merge}} on the current features and by a witness for every thickened face "
            f"$\\{{v \\in C_S : s'_j \\tilde h_j(c)\\cdot v \\le \\eta\\|v\\|\\}}$. The full statement and proof are "
            f"the docstring of \\texttt{{proofs/checker/deadend.py}}.\n")
    theorem = (r"\begin{theorem}\label{pscert:theorem}" + summary[0].upper() + summary[1:]
               + r" (Lemmas \ref{pscert:merge} and \ref{pscert:dualmargin}).\end{theorem}" + "\n" + body)
    return Parts("A non-isolated local minimum at dead units", summary, None, "", lemmas, theorem)
