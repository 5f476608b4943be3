"""Evidence ``interior_ball``: an isolated strict local minimum inside one activation region.

Search: at a critical point ``c`` of the piece ``L_P`` (refined by :mod:`proofs.refine`) whose Hessian is
positive definite, pick ``μ`` below half its smallest eigenvalue and the radius ``ρ`` with
``‖∇L_P(c)‖ < μρ``; the evidence is the pattern, ``δ`` (the Hessian-variation bound on the ball) and a
positive-definiteness certificate of ``∇²L_P(c) − (μ+δ)I`` (:mod:`proofs.positivity`). The lemma that
acceptance proves is in the checker's docstring for this method; ``proofs/FORMAT.md`` lists the keys.

Proof: sign stability keeps ``L = L_P`` on the ball, where it is ``μ``-strongly convex, and the small
gradient puts its unique minimiser inside.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

import numpy as np
from flint import fmpq

from symbolic.derivatives import PieceDerivatives, piece_derivatives
from symbolic.linalg import to_fmpq, to_fraction
from symbolic.network import Pattern, pattern_to_json
from symbolic.problem import Problem
from symbolic.rationals import canonical

from ..assemble import (Verdict, certificate, checked, delta, hessian_of, identity, radius_for, rational_below, short,
                        sign_stable, sqrt_above)
from ..latex_format import decimal, rational
from ..latex_lemmas import apriori, bounds, pd_lemma, require, shifted, sign_lemma, sqrt_upper, variation_lemma
from ..latex_setting import Doc, Parts, fill
from ..positivity import LDL_MAX, cholesky_screen, pd_certificate
from ..refine import float_hessian, refine_critical_point
from . import renders

Progress = Callable[[str], None]


def search(problem: Problem, theta: list[Fraction], pattern: Pattern, lam_min: float, refine: bool,
           say: Progress, d: PieceDerivatives | None = None, hf: np.ndarray | None = None) -> Verdict:
    """An ``interior_ball`` certificate about a critical point of the piece ``pattern`` near ``θ``.

    ``lam_min > 0`` is the float estimate of the Hessian's smallest eigenvalue at ``θ``; ``μ`` is a
    short rational below ``lam_min/2``. The radius is the smallest power of 2 with ``‖∇L‖ < μρ``; the
    centre is refined (to smaller gradients) until δ and sign stability fit on that ball. ``d``, the
    piece's derivatives at ``θ`` when the caller has them, saves computing the exact Hessian again, and
    ``hf``, the float Hessian at ``θ``, a float one.

    The float Cholesky witness is chosen by a float screen and decided by the checker's single run; if
    the checker rejects a certificate, ``μ`` is halved (a larger margin for ``H − (μ+δ)I``) and the
    search tries once more before it answers UNKNOWN.
    """
    mu = rational_below(lam_min / 2)
    verdict = _search(problem, theta, pattern, mu, lam_min, refine, say, d, hf)
    if verdict.status == "UNKNOWN" and verdict.reason.startswith(REJECTED):
        say(f"the checker rejected the certificate; retrying with μ halved ({verdict.reason})")
        retry = _search(problem, theta, pattern, rational_below(float(mu) / 2), lam_min, refine, say, d, hf)
        verdict = retry if retry.status != "UNKNOWN" else Verdict(
            "UNKNOWN", f"{verdict.reason}; with μ halved: {retry.reason}")
    return verdict


REJECTED = "internal error: the generated certificate was rejected by the checker"
"""How :func:`proofs.assemble.checked` begins the reason of a verdict whose certificate the checker rejected."""


def _search(problem: Problem, theta: list[Fraction], pattern: Pattern, mu: Fraction, lam_min: float, refine: bool,
            say: Progress, d: PieceDerivatives | None, hf: np.ndarray | None) -> Verdict:
    """:func:`search` with ``μ`` given (``hf`` is dropped once ``θ`` moves)."""
    P = problem.parameter_count
    for target in (1e-40, 1e-80, 1e-160):
        if d is None:  # the Hessian waits until the ball is known to fit
            d = piece_derivatives(problem, theta, pattern, hessian=False)
        g2 = to_fraction(sum((v * v for v in d.gradient), fmpq(0)))   # in flint's rationals, one conversion
        rho = radius_for(g2, mu)
        if rho is None:
            if not refine:
                break
            say(f"refining further (‖∇L‖² ≈ {float(g2):.2g})")
            theta, d, hf = refine_critical_point(problem, theta, pattern, target=target).theta, None, None
            continue
        dlt = delta(problem, theta, rho)
        stable = sign_stable(problem, theta, rho)
        if not stable or float(mu + dlt) >= 0.9 * lam_min:
            if not refine:
                break
            theta, d, hf = refine_critical_point(problem, theta, pattern, target=target).theta, None, None
            continue
        say("building the positive-definiteness certificate")
        pd = None
        if P > LDL_MAX:  # the float screen needs no exact Hessian: the checker computes it and decides
            Af = (float_hessian(problem, theta, pattern) if hf is None else hf) - float(mu + dlt) * np.eye(P)
            pd = {"method": "cholesky"} if cholesky_screen(Af) else None
        if pd is None:
            if d.hessian is None:
                d = piece_derivatives(problem, theta, pattern)
            pd = pd_certificate(hessian_of(d) - to_fmpq(mu + dlt) * identity(P))
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


@renders("interior_ball")
def render(doc: Doc) -> Parts:
    """Lemmas and theorem of ``interior_ball``: an isolated strict local minimum in the ball."""
    ev, mu, rho = doc.evidence, doc.mu or Fraction(0), doc.radius
    bd = bounds(doc.problem, doc.theta or [], rho)
    delta = Fraction(ev["delta"])
    _, grad, loss = shifted(doc, ev["pattern"], Fraction(0))
    g2 = sum((v * v for v in grad), Fraction(0))
    require(g2 < (mu * rho) ** 2, "‖∇L_P(c)‖² < μ²ρ²")
    dist = "= 0" if g2 == 0 else f"< {decimal(sqrt_upper(g2 / (mu * mu)), 3)}"
    lemmas = [sign_lemma(doc, ev["pattern"], bd), variation_lemma(doc, delta, bd),
              pd_lemma(doc, ev["pattern"], delta, ev["pd"], "pscert:lemma-pd"),
              fill(r"""
\begin{lemma}[Small gradient]\label{pscert:lemma-gradient}
$\|\nabla L_P(c)\|_2^2 = <<g2>> < \mu^2 \rho^2 = <<bound>>$.
\end{lemma}

\begin{proof}
The checker computes $\nabla L_P(c)$ exactly and compares the squares.
\end{proof}
""", g2=doc.q(g2, "$\\|\\nabla L_P(c)\\|_2^2$"), bound=doc.q((mu * rho) ** 2, "$\\mu^2\\rho^2$"))]
    theorem = fill(r"""
\begin{theorem}\label{pscert:theorem}
Let $c$ be the centre of Table~\ref{pscert:parameters}, $\rho = <<rho>>$ and $\mu = <<mu>>$. The loss
$L$ has exactly one critical point $\theta^*$ in $\bar B = \{\theta : \|\theta - c\|_2 \le \rho\}$. It
is a strict local minimum of $L$ with $\|\theta^* - c\|_2 \le \|\nabla L(c)\|_2 / \mu <<dist>>$, and
$L(\theta) \ge L(\theta^*) + \tfrac{\mu}{2} \|\theta - \theta^*\|_2^2$ for all $\theta \in \bar B$. In
particular $\theta^*$ is an isolated local minimum of $L$. At the centre, $L(c) = <<loss>>$.
\end{theorem}

\begin{proof}
By Lemma~\ref{pscert:lemma-sign}, $L = L_P$ on a neighbourhood of $\bar B$, so $L$ is twice
differentiable there with $\nabla^2 L \succeq \mu I$ on the convex set $\bar B$
(Lemma~\ref{pscert:lemma-pd}): $L$ is $\mu$-strongly convex on $\bar B$. Let $\theta^*$ minimise $L$ over
the compact set $\bar B$. Optimality gives $\nabla L(\theta^*)^\top (c - \theta^*) \ge 0$ and strong
monotonicity gives $(\nabla L(\theta^*) - \nabla L(c))^\top (\theta^* - c) \ge \mu \|\theta^* - c\|^2$;
together $\mu \|\theta^* - c\|^2 \le \|\nabla L(c)\| \, \|\theta^* - c\|$, so
$\|\theta^* - c\| \le \|\nabla L(c)\| / \mu < \rho$ by Lemma~\ref{pscert:lemma-gradient}. Thus
$\theta^*$ is interior, $\nabla L(\theta^*) = 0$ and $\theta^*$ is a local minimum. A second critical
point $\theta' \in \bar B$ would give $0 = (\nabla L(\theta') - \nabla L(\theta^*))^\top (\theta' -
\theta^*) \ge \mu \|\theta' - \theta^*\|^2$, so $\theta' = \theta^*$. Strong convexity with
$\nabla L(\theta^*) = 0$ gives the quadratic growth, hence strictness; the ball is a neighbourhood of
$\theta^*$ containing no other critical point, hence no other local minimum.
\end{proof}
""", rho=rational(rho, inline=True), mu=rational(mu, inline=True), dist=dist,
        loss=doc.q(loss, "the loss $L(c)$ at the centre"))
    return Parts("An isolated strict local minimum", "an isolated strict local minimum of the loss lies in a "
                 f"ball of radius ${rational(rho, inline=True)}$ about the centre $c$ "
                 "(Theorem~\\ref{pscert:theorem})",
                 ev["pattern"], "the region $P$ of the certificate, which contains the whole ball",
                 "\n".join(lemmas), theorem, apriori(doc, bd))
