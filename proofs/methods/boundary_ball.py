"""Evidence ``boundary_ball``: an isolated minimum on first-layer kinks, every adjacent region convex.

Search: :func:`proofs.boundary.kink_regions` puts the centre exactly on the kink hyperplanes, refines it
there and lists the regions meeting a ball (empty sign prefixes carry Gordan vectors). When every listed
region's Hessian is positive definite, :func:`search` gives per region a positive-definiteness
certificate of ``∇²L_P(c) − (μ+δ)I`` and multipliers ``ν ≥ 0`` with ``‖∇L_P(c) − Σ ν_m s_m a_m‖ < μρ/2``.

Evidence keys (``proofs/FORMAT.md``): ``pattern`` (the centre's, kink units inactive), ``constraints``
``[[j, i], …]`` (first-layer unit ``i`` at sample ``j``, ``z = 0`` at the centre), ``delta``, ``pieces``
``[{signs, pd, multipliers}]`` (one per region meeting the ball; ``signs`` one character per constraint)
and ``empty`` ``[{signs, gordan}]`` (``*`` = either sign; ``gordan`` one entry per constraint, 0 at ``*``). The
lemma that acceptance proves is in the checker's docstring for this method; every inequality the proof
prints is recomputed first.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import product
from typing import Callable

from symbolic.linalg import to_fmpq
from symbolic.network import pattern_to_json
from symbolic.problem import Problem
from symbolic.rationals import canonical

from ..assemble import Verdict, hessian_of, identity, rational_below, short
from ..boundary import Kinks, ball_radius, ball_verdict
from ..checker.network import bounds, derivatives, forward
from ..checker.reading import read_pattern
from ..latex_format import LatexError, decimal, rational, vector
from ..latex_lemmas import (apriori, kink_lemmas, kink_vector, matches, pd_lemma, piece_pattern, require,
                            variation_lemma)
from ..latex_setting import Doc, Parts, fill, longtable
from ..positivity import pd_certificate
from . import renders

Progress = Callable[[str], None]


def search(problem: Problem, kinks: Kinks, say: Progress) -> Verdict:
    """Every listed piece positive definite on the ball, multipliers ``≥ 0`` (evidence ``boundary_ball``)."""
    c, pattern, order, data, empty = kinks
    lam_min = min(p.lam for p in data)
    mu = rational_below(lam_min / 2)
    worst = max(p.e2 for p in data)
    found = ball_radius(problem, c, order, worst, mu, lambda rho, dlt: float(mu + dlt) < 0.9 * lam_min)
    if isinstance(found, Verdict):
        return found
    rho, dlt = found
    say(f"building {len(data)} positive-definiteness certificate(s)")
    listed = []
    for p in data:
        pd = pd_certificate(hessian_of(p.d) - to_fmpq(mu + dlt) * identity(problem.parameter_count))
        if pd is None:
            return Verdict("UNKNOWN", f"no positive-definiteness certificate for the region with kink signs {p.signs}")
        listed.append({"signs": p.signs, "pd": pd, "multipliers": [canonical(v) for v in p.nu]})
    evidence = {"method": "boundary_ball", "pattern": pattern_to_json(pattern),
                "constraints": [list(con) for con in order], "delta": canonical(dlt), "pieces": listed,
                "empty": [{"signs": s, "gordan": [canonical(v) for v in y]} for s, y in empty]}
    reason = (f"isolated strict local minimum on {len(order)} kink hyperplane(s); {len(listed)} region(s) meet the ball of "
              f"radius {short(rho)}, each μ-strongly convex with μ = {short(mu)}")
    return ball_verdict(problem, c, rho, mu, worst, evidence, reason, len(order), len(listed))


MAX_CONSTRAINTS = 20
"""Most kink constraints whose sign vectors are enumerated to confirm the case split is complete."""


@renders("boundary_ball")
def render(doc: Doc) -> Parts:
    """Lemmas and theorem for ``boundary_ball`` evidence."""
    ev, prob, theta, rho = doc.evidence, doc.problem, doc.theta or [], doc.radius
    mu = doc.mu or Fraction(0)
    cons = [(int(j), int(i)) for j, i in ev["constraints"]]
    M = len(cons)
    if M > MAX_CONSTRAINTS:
        raise LatexError(f"latex: {M} kink constraints (at most {MAX_CONSTRAINTS} are typeset)")
    pieces, empty = ev["pieces"], ev["empty"]
    bd = bounds(prob, theta, rho)
    delta = Fraction(ev["delta"])
    vecs = [kink_vector(doc, j, i) for j, i in cons]

    # Lemma 2: the case split is complete
    listed = {pc["signs"] for pc in pieces}
    require(all(len(s) == M for s in listed), "one sign per constraint in evidence.pieces")
    for combo in product("10", repeat=M):
        s = "".join(combo)
        require(s in listed or any(matches(s, e["signs"]) for e in empty), f"the case split covers signs {s}")
    gordan_rows = []
    for e in empty:
        require(len(e["signs"]) == M, "one sign (or *) per constraint in evidence.empty")
        decided = [m for m, c in enumerate(e["signs"]) if c != "*"]
        y = [Fraction(v) for v in e["gordan"]]  # one entry per constraint, 0 where the sign is '*'
        require(len(y) == M and all(v >= 0 for v in y) and any(y) and not any(y[m] for m in range(M) if m not in decided),
                "y ≥ 0, y ≠ 0, y_m = 0 where the sign is *")
        total = [sum((y[m] * (1 if e["signs"][m] == "1" else -1) * vecs[m][col] for m in decided), Fraction(0))
                 for col in range(prob.count)]
        require(not any(total), "Σ y_m s_m a_m = 0")
        gordan_rows.append(f"\\texttt{{{e['signs']}}} & ${vector([rational(v) for v in y])}$ \\\\")

    # Lemmas 3-4: per piece, the Hessian bound and the multipliers
    rows, pd_lemmas = [], []
    for n, pc in enumerate(pieces):
        signs = pc["signs"]
        pat = piece_pattern(ev["pattern"], cons, signs)
        d = derivatives(prob, theta, forward(prob, theta, read_pattern(pat, prob, "piece")))
        nu = [Fraction(v) for v in pc["multipliers"]]
        require(len(nu) == M and all(v >= 0 for v in nu), "ν ≥ 0")
        e = list(d.grad)
        for m, v in enumerate(nu):
            side = 1 if signs[m] == "1" else -1
            e = [g - v * side * a for g, a in zip(e, vecs[m])]
        e2 = sum((v * v for v in e), Fraction(0))
        require(e2 < (mu * rho / 2) ** 2, f"‖e_P‖ < μρ/2 for signs {signs}")
        shown = [doc.q(v, f"multiplier of constraint {m} in region {signs}", approx=False) for m, v in enumerate(nu)]
        method = pc["pd"]["method"]
        rows.append(f"\\texttt{{{signs}}} & \\texttt{{{method}}} & ${vector(shown)}$ & ${decimal(e2)}$ \\\\")
        if n < 4:
            pd_lemmas.append(pd_lemma(doc, pat, delta, pc["pd"], f"pscert:lemma-pd-{n}", piece=f"P({signs})"))
    more = (f"The same argument, with its own certificate, applies to the other {len(pieces) - 4} regions."
            if len(pieces) > 4 else "")

    lemmas = kink_lemmas(doc, cons, bd)
    lemmas.append(fill(r"""
\begin{lemma}[The regions that meet the ball]\label{pscert:lemma-regions}
For a sign vector $s \in \{1, 0\}^M$ (with $s_m = \pm 1$ for \texttt{1}/\texttt{0}) let $P(s)$ be the
pattern of Table~\ref{pscert:pattern} with the kink entries set by $s$, and $C_s = \{\theta \in \bar B :
s_m a_m^\top \theta \ge 0 \text{ for all } m\}$, a convex set containing $c$. Then $L = L_{P(s)}$ on
$C_s$, and the sign vectors $s$ listed in Table~\ref{pscert:pieces} satisfy $\bar B = \bigcup_s C_s$:
every other sign vector agrees with a row of Table~\ref{pscert:gordan}, and for such a row no $\theta$
has $s_m\, a_m^\top \theta > 0$ for all decided $m$.
\end{lemma}

\begin{proof}
On $C_s$ every hidden unit other than the kinks has the sign of the pattern
(Lemma~\ref{pscert:lemma-kinks}<<deep>>), and a kink unit is active or has pre-activation $0$ where
$s_m = 1$, inactive or $0$ where $s_m = -1$; a vanishing pre-activation contributes $0$ whichever
its pattern entry, so the network equals the piece of $P(s)$ there. For a row of
Table~\ref{pscert:gordan}, $y \ge 0$, $y \ne 0$ and $\sum_m y_m s_m a_m = 0$ (verified exactly). If
$\theta$ had $s_m a_m^\top \theta > 0$ for all decided $m$, then $0 = \sum_m y_m s_m a_m^\top \theta > 0$
(Gordan's alternative), which is absurd. So every point of $\bar B$ off the kink hyperplanes lies in
$C_s$ for a listed $s$; those points are dense in $\bar B$, and a finite union of closed sets is closed.
\end{proof}

<<gtable>>
""", deep=" and Lemma~\\ref{pscert:lemma-sign}" if prob.depth >= 2 else "",
        gtable=longtable("ll", "Sign vectors without a region (\\texttt{*}: either sign) and their Gordan "
                         "certificates $y$.",
                         "pscert:gordan", "signs & $y$",
                         gordan_rows or ["\\multicolumn{2}{l}{(none: every sign vector has a region)} \\\\"])))
    lemmas.append(variation_lemma(doc, delta, bd))
    lemmas += pd_lemmas
    if more:
        lemmas.append(more)
    lemmas.append(fill(r"""
\begin{lemma}[First-order conditions]\label{pscert:lemma-multipliers}
For every listed region $s$ (Table~\ref{pscert:pieces}), $\nabla L_{P(s)}(c) = \sum_m \nu_{s,m}\, s_m
a_m + e_s$ with multipliers $\nu_{s,m} \ge 0$ and
\[ \|e_s\|_2^2 < (\mu\rho/2)^2 = <<bound>>. \]
\end{lemma}

\begin{proof}
The gradients are computed exactly at $c$; $e_s$ is the remainder after subtracting the multipliers of
the certificate.
\end{proof}

<<ptable>>
""", bound=decimal((mu * rho / 2) ** 2),
        ptable=longtable("ll>{\\raggedright\\arraybackslash}p{0.45\\textwidth}l",
                         "The regions that meet the ball: the positive-definiteness method for "
                         "$\\nabla^2 L_{P(s)}(c) - "
                         "(\\mu+\\delta) I$, the multipliers $\\nu_s$ and $\\|e_s\\|^2$ (truncated).", "pscert:pieces",
                         "signs $s$ & method & $\\nu_s$ & $\\|e_s\\|_2^2$", rows)))

    theorem = fill(r"""
\begin{theorem}\label{pscert:theorem}
Let $c$ be the centre of Table~\ref{pscert:parameters}, $\rho = <<rho>>$ and $\mu = <<mu>>$. The loss
$L$ has a local minimum in the open ball $\{\theta : \|\theta - c\|_2 < \rho\}$. Every local minimum
$\theta^*$ of $L$ in $\bar B$ is strict, with $L(\theta) \ge L(\theta^*) + \tfrac{\mu}{2}\|\theta -
\theta^*\|_2^2$ near $\theta^*$; each set $C_s$ of Lemma~\ref{pscert:lemma-regions} contains at most one
of them, so there are at most <<count>> and each is isolated.
\end{theorem}

\begin{proof}
By Lemma~\ref{pscert:lemma-regions}, $L = L_{P(s)}$ on the convex set $C_s \ni c$, and $L_{P(s)}$ is
$\mu$-strongly convex there (Lemmas~\ref{pscert:lemma-variation}
and~\ref{pscert:lemma-pd-0}<<ff>>). For $\theta \in C_s$ with $\|\theta - c\| = \rho$, since $a_m^\top c = 0$
and $s_m a_m^\top \theta \ge 0$, Lemma~\ref{pscert:lemma-multipliers} gives
\[ L(\theta) \ge L(c) + \nabla L_{P(s)}(c)^\top (\theta - c) + \tfrac{\mu}{2}\rho^2 \ge L(c) - \|e_s\|\rho
   + \tfrac{\mu}{2}\rho^2 > L(c). \]
The sets $C_s$ cover $\bar B$, so a minimiser of $L$ over the compact
ball lies in the open ball: a local minimum. If $\theta^* \in C_s$ is a local minimum of $L$, it minimises
the strongly convex $L_{P(s)}$ over the convex set $C_s$ (a local minimum of a convex function on a convex
set is global), so $\nabla L_{P(s)}(\theta^*)^\top (\theta - \theta^*) \ge 0$ and $L(\theta) \ge
L(\theta^*) + \tfrac{\mu}{2} \|\theta - \theta^*\|^2$ on $C_s$; two local minima in one $C_s$ would both
be its unique minimiser. Near $\theta^*$ every point lies in a $C_s$ containing $\theta^*$ (the others are
closed and miss it), which gives the quadratic growth near $\theta^*$.
\end{proof}
""", rho=rational(rho, inline=True), mu=rational(mu, inline=True), count=str(len(pieces)),
        ff=", \\ldots" if len(pieces) > 1 else "")
    kinked = piece_pattern(ev["pattern"], cons, "*" * M)
    return Parts("An isolated strict local minimum on a region boundary",
                 f"the loss has a local minimum within ${rational(rho, inline=True)}$ of the centre $c$, on "
                 f"{M} first-layer kink hyperplane(s), and that every local minimum there is strict and isolated "
                 "(Theorem~\\ref{pscert:theorem})",
                 piece_pattern(ev["pattern"], cons, pieces[0]["signs"]),
                 "the pattern at the centre, \\texttt{*} marking a kink (its sign is that of the region)",
                 "\n".join(lemmas), theorem, apriori(doc, bd),
                 "The other regions of Table~\\ref{pscert:pieces} differ only in the kink entries.", kinked,
                 f"the region of the first sign vector $s = \\texttt{{{pieces[0]['signs']}}}$ of "
                 "Table~\\ref{pscert:pieces}")
