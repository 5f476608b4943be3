"""Evidence ``rotation_orbit``: a non-isolated local minimum whose nearby minima are one rotation orbit.

Search: inside one activation region, units of a hidden layer that share their pattern on the data form
groups; ``Π_g O(|g|)`` rotates each group's stacked parameters ``p_i = (incoming row, outgoing column)``
and keeps the loss piece ``L_P`` (Lemma M of the symmetry notes). The point is refined to a critical
point of the piece (Newton by least squares: the orbit's directions are flat), the Hessian's smallest
eigenvalue across the orbit (on the orthogonal complement of the tangents ``T``) gives ``μ``, and the
evidence is the pattern, ``δ``, the groups, ``κ`` and a positive-definiteness witness of
``∇²L_P(c) − (μ+δ)I + κ·TTᵀ``. The theorem that acceptance proves is the docstring of
:mod:`proofs.checker.rotation`; ``proofs/FORMAT.md`` lists the keys.

At a point on first-layer kinks (or when refinement crosses them) the search continues in
:mod:`proofs.methods.rotation_kink_orbit`.

Units that share a pattern at a critical point of a one-hidden-layer, one-output network are
proportional, and ``split_orbit`` already proves those minima; this method reaches vector outputs and
inner layers, where the stacked vectors of a group need not be parallel.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable

import numpy as np
from flint import fmpq_mat

from symbolic.derivatives import piece_derivatives
from symbolic.linalg import to_fmpq, to_fraction
from symbolic.network import Pattern, forward, pattern_to_json, true_boundary
from symbolic.problem import Problem
from symbolic.rationals import canonical

from ..assemble import (Verdict, certificate, checked, checker_problem, delta, hessian_of, identity, radius_for,
                        rational_below, short, sign_stable, sqrt_above)
from ..boundary import crossed_constraints, near_constraints
from ..checker.rotation import stacked, tangent
from ..latex_format import rational
from ..latex_lemmas import apriori, bounds, pd_how, require, shifted, sign_lemma, variation_lemma
from ..latex_setting import Doc, Parts, fill
from ..positivity import pd_certificate, to_float
from ..refine import refine_critical_point
from . import renders

Progress = Callable[[str], None]

Groups = list[tuple[int, list[int]]]


def shared_groups(problem: Problem, pattern: Pattern) -> Groups:
    """Units of each hidden layer with the same activation on every sample (two or more, not all dead)."""
    groups: Groups = []
    for k in range(1, problem.depth + 1):
        by_column: dict[tuple[int, ...], list[int]] = {}
        for i in range(problem.widths[k]):
            by_column.setdefault(tuple(sample[k - 1][i] for sample in pattern), []).append(i)
        groups += [(k, units) for column, units in by_column.items() if len(units) > 1 and any(column)]
    return sorted(groups)


def search(problem: Problem, theta: list[Fraction], refine: bool, say: Progress) -> Verdict | None:
    """A ``rotation_orbit`` certificate when ``θ`` lies inside a region with units sharing their pattern
    and the piece grows across their orbit; ``None`` when the setting does not apply; UNKNOWN with the
    reason when it applies but no certificate was found."""
    if problem.depth == 0 or problem.weight_decay <= 0 or problem.activation != "relu":
        return None
    fw = forward(problem, problem.unflatten(theta))
    near, deep = near_constraints(problem, theta)
    if deep or any(k for _, k, _ in true_boundary(problem, fw)):
        return None
    from . import rotation_kink_orbit   # that module builds on this one's groups

    if near or true_boundary(problem, fw):
        return rotation_kink_orbit.search(problem, theta, sorted(set(near) | {(j, i) for j, _, i in
                                                                            true_boundary(problem, fw)}), refine, say)
    pattern = fw.pattern
    groups = shared_groups(problem, pattern)
    if not groups:
        return None
    if refine:
        say("refining to a critical point of the piece (the rotation orbit is flat)")
        r = refine_critical_point(problem, theta, pattern)
        if r.left_region:   # the piece's critical point lies across kinks: the orbit may sit on them
            crossed, deep = crossed_constraints(problem, r.theta, pattern)
            return rotation_kink_orbit.search(problem, theta, [] if deep else crossed, refine, say)
        theta = r.theta
    cp = checker_problem(problem)
    pairs = [(k, a, b) for k, units in groups for n, a in enumerate(units) for b in units[n + 1:]]
    P = problem.parameter_count
    for target in (1e-40, 1e-80, 1e-160):
        d = piece_derivatives(problem, theta, pattern)
        H = hessian_of(d)
        T = np.zeros((P, len(pairs)))
        for col, (k, a, b) in enumerate(pairs):
            for p, v in tangent(cp, theta, k, a, b).items():
                T[p, col] = float(v)
        Hf = to_float(H)
        u, s, _ = np.linalg.svd(T, full_matrices=True)
        rank = int(np.sum(s > 1e-9 * max(1.0, s[0] if len(s) else 1.0)))
        if rank == 0:
            return None
        across = u[:, rank:]
        lam_across = float(np.linalg.eigvalsh(across.T @ Hf @ across)[0]) if across.shape[1] else float("inf")
        if lam_across <= 0:
            return Verdict("UNKNOWN", f"units sharing a pattern rotate into each other, but the piece's Hessian across "
                           f"their orbit is not positive definite (smallest eigenvalue ≈ {lam_across:.3g})")
        mu = rational_below(lam_across / 2)
        g2 = sum((to_fraction(v) ** 2 for v in d.gradient), Fraction(0))
        rho = radius_for(g2, mu)
        dlt = delta(problem, theta, rho) if rho is not None else None
        if rho is None or dlt is None or not sign_stable(problem, theta, rho) or float(mu + dlt) >= 0.9 * lam_across:
            if not refine:
                break
            theta = refine_critical_point(problem, theta, pattern, target=target).theta
            continue
        if not any(sum(float(theta[p]) ** 2 for p in stacked(cp, k, i)) > 4 * float(rho) ** 2
                   for k, units in groups for i in units):
            return None
        # κ·TTᵀ must outweigh H's negative part along the orbit: κ·s_min² ≥ 2(‖H‖ + μ + δ + 1).
        kappa = Fraction(2 * (float(np.abs(Hf).sum(axis=1).max()) + float(mu + dlt) + 1) / s[rank - 1] ** 2)
        kappa = Fraction(2) ** max(0, kappa.numerator.bit_length() - kappa.denominator.bit_length() + 1)
        say("building the positive-definiteness certificate across the orbit")
        ts = [tangent(cp, theta, k, a, b) for k, a, b in pairs]
        Tq = fmpq_mat(P, len(pairs), [to_fmpq(t.get(p, Fraction(0))) for p in range(P) for t in ts])
        A = H - to_fmpq(mu + dlt) * identity(P) + to_fmpq(kappa) * (Tq * Tq.transpose())
        pd = pd_certificate(A)
        if pd is None:
            return Verdict("UNKNOWN", f"no positive-definiteness certificate found for H − (μ+δ)I + κTTᵀ (μ = {canonical(mu)})")
        evidence = {"method": "rotation_orbit", "pattern": pattern_to_json(pattern), "delta": canonical(dlt),
                    "groups": [{"layer": k, "units": units} for k, units in groups], "kappa": canonical(kappa), "pd": pd}
        cert = certificate(problem, "CERTIFIED", "nonisolated_local_minimum", theta, rho, evidence, mu)
        dist = sqrt_above(g2 / (mu * mu))
        named = "; ".join(f"units {', '.join(map(str, units))} of hidden layer {k}" for k, units in groups)
        facts = {"mu": canonical(mu), "radius": canonical(rho), "distance_bound": canonical(dist),
                 "loss": canonical(to_fraction(d.loss)), "orbit_dimension": rank, "groups": evidence["groups"]}
        where = "through the centre" if g2 == 0 else f"within {short(dist, 'up')} of the centre"
        reason = (f"non-isolated local minimum: {named} share their activation pattern and rotate into each other; "
                  f"the local minima near the centre are exactly one rotation orbit of dimension {rank} ({where}), "
                  f"and L grows at least μ/2 times the squared distance to it (μ = {short(mu)})")
        return checked(Verdict("CERTIFIED", reason, "nonisolated_local_minimum", cert, facts))
    return Verdict("UNKNOWN", "units sharing a pattern rotate into each other, but the gradient could not be made small "
                   "enough for a ball certificate" + ("" if refine else " (try without --no-refine)"))


@renders("rotation_orbit")
def render(doc: Doc) -> Parts:
    """Lemmas and theorem of ``rotation_orbit``: the local minima near the centre form one rotation orbit."""
    ev, mu, rho = doc.evidence, doc.mu or Fraction(0), doc.radius
    bd = bounds(doc.problem, doc.theta or [], rho)
    dlt, kappa = Fraction(ev["delta"]), Fraction(ev["kappa"])
    _, grad, loss = shifted(doc, ev["pattern"], Fraction(0))
    g2 = sum((v * v for v in grad), Fraction(0))
    require(g2 < (mu * rho) ** 2, "‖∇L_P(c)‖² < μ²ρ²")
    named = "; ".join(f"units {', '.join(map(str, g['units']))} of hidden layer {g['layer']}" for g in ev["groups"])
    lemmas = [sign_lemma(doc, ev["pattern"], bd), variation_lemma(doc, dlt, bd),
              fill(r"""
\begin{lemma}[Rotation invariance]\label{pscert:lemma-rotation}
In the region $P$ the groups (<<named>>) each share their activation pattern. Rotating a group's stacked
parameters $p_i$ (incoming row with bias, outgoing column) by any orthogonal matrix leaves $L_P$ unchanged.
Let $T$ hold the tangents $t_{ab}$ at $c$ ($p_b(c)$ in unit $a$'s coordinates, $-p_a(c)$ in unit $b$'s).
\end{lemma}

\begin{proof}
On the samples where the group is active its contribution to the next layer is $\sum_i V_i u_i^\top
\tilde h = V U \tilde h$, and $0$ elsewhere; $(QU, VQ^\top)$ keeps $VU$, and the rotation keeps
$\|U\|^2 + \|V\|^2$ coordinate by coordinate.
\end{proof}
""", named=named),
              _across_lemma(doc, ev, dlt, kappa)]
    theorem = fill(r"""
\begin{theorem}\label{pscert:theorem}
Let $c$ be the centre of Table~\ref{pscert:parameters}, $\rho = <<rho>>$, $\mu = <<mu>>$ and $G$ the group of
the rotations of Lemma~\ref{pscert:lemma-rotation}. Since $\|\nabla L_P(c)\|_2^2 = <<g2>> < \mu^2\rho^2$,
there is $\theta^*$ with $\|\theta^* - c\|_2 < \rho$ such that $L(\theta) \ge L(\theta^*) + \tfrac{\mu}{2}
\operatorname{dist}(\theta, G\theta^*)^2$ on $\bar B = \{\theta : \|\theta - c\|_2 \le \rho\}$. The local minima
of $L$ in the open ball are exactly the points of the orbit $G\theta^*$ in it, and the orbit is not a point:
$\theta^*$ is a local minimum that is not isolated. At the centre, $L(c) = <<loss>>$.
\end{theorem}

\begin{proof}
By Lemma~\ref{pscert:lemma-sign}, $L = L_P$ near $\bar B$. For $d \perp T$, Lemmas~\ref{pscert:lemma-variation}
and~\ref{pscert:lemma-pd} give $d^\top \nabla^2 L_P(\theta) d \ge \mu \|d\|^2$ on $\bar B$, so $L_P$ is
$\mu$-strongly convex on the slice $S = c + T^\perp$ within $\bar B$; its minimiser $\theta^*$ there lies within
$\|\nabla L_P(c)\|/\mu < \rho$ of $c$. For $\theta \in \bar B$ let $g \in G$ minimise $\|g\theta - c\|$; then
$g\theta \in \bar B$, $L(g\theta) = L(\theta)$, and stationarity in $g$ with the skew-symmetry of the
generators gives $g\theta - c \perp T$, so $L(\theta) \ge L(\theta^*) + \tfrac{\mu}{2}\|g\theta - \theta^*\|^2$.
Every other point of the open ball has a descent direction (towards $g^{-1}\theta^*$ along the slice), and a
unit of a group has $\|p_a(c)\| \ge \rho$, so $p_a(\theta^*) \neq 0$ and the orbit through $\theta^*$ is not
a point (the proof in full: the docstring of \texttt{proofs.checker.rotation}).
\end{proof}
""", rho=rational(rho, inline=True), mu=rational(mu, inline=True), g2=doc.q(g2, "$\\|\\nabla L_P(c)\\|_2^2$"),
        loss=doc.q(loss, "the loss $L(c)$ at the centre"))
    return Parts("A non-isolated local minimum (a rotation orbit)", "the local minima of the loss near the centre "
                 f"$c$ form one rotation orbit of units sharing their pattern, within ${rational(rho, inline=True)}$ "
                 "of $c$ (Theorem~\\ref{pscert:theorem})",
                 ev["pattern"], "the region $P$ of the certificate, which contains the whole ball",
                 "\n".join(lemmas), theorem, apriori(doc, bd))


def _across_lemma(doc: Doc, ev: dict[str, Any], dlt: Fraction, kappa: Fraction) -> str:
    """Lemma: ``∇²L_P ⪰ μ`` across the orbit, from the witness of ``H_0 − (μ+δ)I + κTTᵀ ≻ 0``."""
    mu = doc.mu or Fraction(0)
    A, _, _ = shifted(doc, ev["pattern"], mu + dlt)
    theta = list(doc.theta or [])
    for g in ev["groups"]:
        for n, a in enumerate(g["units"]):
            for b in g["units"][n + 1:]:
                t = tangent(doc.problem, theta, g["layer"], a, b)
                for p, u in t.items():
                    for q, w in t.items():
                        A[p][q] += kappa * u * w
    return fill(r"""
\begin{lemma}[Strong convexity across the orbit]\label{pscert:lemma-pd}
$d^\top \nabla^2 L_P(\theta)\, d \ge \mu \|d\|^2$ for every $\theta \in \bar B$ and every $d \perp T$, with
$\mu = <<mu>>$.
\end{lemma}

\begin{proof}
Let $A = H_0 - (\mu + \delta) I + \kappa T T^\top$ with $\kappa = <<kappa>>$, a symmetric $<<P>> \times <<P>>$
matrix computed exactly by the checker (method \texttt{<<method>>}). <<how>> For $d \perp T$, $T^\top d = 0$,
so $d^\top H_0 d > (\mu + \delta)\|d\|^2$, and by Lemma~\ref{pscert:lemma-variation}
$d^\top \nabla^2 L_P(\theta)\, d \ge d^\top H_0 d - \delta \|d\|^2 > \mu \|d\|^2$ on $\bar B$.
\end{proof}
""", mu=doc.q(mu, "the modulus $\\mu$"), kappa=rational(kappa, inline=True), P=str(len(A)), method=ev["pd"]["method"],
        how=pd_how(A, ev["pd"]))
