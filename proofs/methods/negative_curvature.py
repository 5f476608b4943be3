"""Evidence ``negative_curvature``: no local minimum in a ball inside one activation region.

Search: a direction ``d`` along which the piece's Hessian at the centre is negative, with a radius on
which the signs are stable and ``dᵀ∇²L_P(c)d + δ‖d‖² < 0``. The lemma that acceptance proves is in the
checker's docstring for this method; ``proofs/FORMAT.md`` lists the keys.

Proof: ``L = L_P`` on the ball and ``dᵀ∇²L d < 0`` at every point of it, while a local minimum of a twice
differentiable function has a positive semidefinite Hessian.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

import numpy as np
from flint import fmpq_mat

from symbolic.linalg import to_fraction
from symbolic.network import Pattern, pattern_to_json
from symbolic.problem import Problem
from symbolic.rationals import canonical

from ..assemble import Verdict, certificate, checked, delta, short, sign_stable
from ..latex_format import decimal, rational, vector
from ..latex_lemmas import apriori, bounds, require, shifted, sign_lemma, variation_lemma
from ..latex_setting import Doc, Parts, fill
from ..positivity import to_float
from . import renders

Progress = Callable[[str], None]


def search(problem: Problem, theta: list[Fraction], pattern: Pattern, H0: fmpq_mat, say: Progress) -> Verdict | None:
    """A ``negative_curvature`` refutation on a ball about ``θ``, or ``None`` if the direction fails.

    The direction is the float eigenvector of the smallest eigenvalue of ``H0 = ∇²L_P(θ)``, rounded to
    2⁻²⁰; the radius halves from 2⁻¹⁰ until ``dᵀH0d + δ‖d‖² < 0`` and the signs are stable.
    """
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


@renders("negative_curvature")
def render(doc: Doc) -> Parts:
    """Lemmas and theorem of ``negative_curvature``: no local minimum in the open ball."""
    ev, rho = doc.evidence, doc.radius
    bd = bounds(doc.problem, doc.theta or [], rho)
    delta = Fraction(ev["delta"])
    d = [Fraction(v) for v in ev["direction"]]
    H0, _, _ = shifted(doc, ev["pattern"], Fraction(0))
    curv = sum((d[i] * sum((H0[i][m] * d[m] for m in range(len(d))), Fraction(0)) for i in range(len(d))), Fraction(0))
    dd = sum((v * v for v in d), Fraction(0))
    require(curv + delta * dd < 0, "dᵀH₀d + δ‖d‖² < 0")
    dtext = vector([doc.q(v, f"direction entry $d_{{{i}}}$", approx=False) for i, v in enumerate(d)])
    lemmas = [sign_lemma(doc, ev["pattern"], bd), variation_lemma(doc, delta, bd), fill(r"""
\begin{lemma}[Negative curvature]\label{pscert:lemma-curvature}
For the direction $d = <<d>>$ of the certificate,
\begin{gather*} d^\top H_0\, d + \delta \|d\|_2^2 = <<total>> < 0, \\
   d^\top H_0\, d = <<curv>>, \qquad \|d\|_2^2 = <<dd>>. \end{gather*}
\end{lemma}

\begin{proof}
The checker computes $H_0 = \nabla^2 L_P(c)$ and both terms exactly.
\end{proof}
""", d=dtext, total=doc.q(curv + delta * dd, "$d^\\top H_0 d + \\delta\\|d\\|^2$"),
        curv=doc.q(curv, "$d^\\top H_0 d$"), dd=doc.q(dd, "$\\|d\\|^2$"))]
    theorem = fill(r"""
\begin{theorem}\label{pscert:theorem}
Let $c$ be the centre of Table~\ref{pscert:parameters} and $\rho = <<rho>>$. No point $\theta$ with
$\|\theta - c\|_2 < \rho$ is a local minimum of $L$: along the direction $d$ the loss has negative
curvature, $d^\top \nabla^2 L(\theta)\, d \le <<bound>> \cdot \|d\|_2^2 < 0$, at every point of the ball.
\end{theorem}

\begin{proof}
By Lemma~\ref{pscert:lemma-sign}, $L = L_P$ on a neighbourhood of $\bar B$, so $L$ is twice
differentiable there. For $\theta \in \bar B$, Lemmas~\ref{pscert:lemma-variation}
and~\ref{pscert:lemma-curvature} give $d^\top \nabla^2 L(\theta)\, d \le d^\top H_0 d +
\|\nabla^2 L_P(\theta) - H_0\|_2 \|d\|^2 \le d^\top H_0 d + \delta \|d\|^2 < 0$. A local minimum of a
twice differentiable function has a positive semidefinite Hessian, so no point of the open ball is one.
\end{proof}
""", rho=rational(rho, inline=True), bound=decimal((curv + delta * dd) / dd, 3))
    return Parts("A ball without local minima", "no point of the open ball of radius "
                 f"${rational(rho, inline=True)}$ about the centre $c$ is a local minimum of the loss "
                 "(Theorem~\\ref{pscert:theorem})", ev["pattern"],
                 "the region $P$ of the certificate, which contains the whole ball", "\n".join(lemmas), theorem,
                 apriori(doc, bd))
