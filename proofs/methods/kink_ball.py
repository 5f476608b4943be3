"""Evidence ``kink_ball``: one minimum on strictly complementary, independent kinks.

Search: from the regions :func:`proofs.boundary.kink_regions` lists (all ``2^M`` of them, since
independent constraints make every sign combination meet the ball), when some region's Hessian is
indefinite but every multiplier is positive: curvature is needed only along the kinks, so each region
gets a positive-definiteness certificate of ``∇²L_P(c) + τAᵀA − (μ+δ)I`` with a penalty ``τ`` below the
linear growth ``κ`` across the kinks.

Evidence keys (``proofs/FORMAT.md``): ``pattern`` (the centre's, kink units inactive), ``constraints``
``[[j, i], …]``, ``delta``, ``row_norms`` ``[r_m]`` and ``pieces`` ``[{signs, pd, multipliers, tau,
hessian_norm}]``. The lemmas state what the checker verifies (the ``kink_ball`` rule's docstring, the
authority), step by step, claiming no more. Every inequality printed is recomputed here first (a failure
is a :class:`~proofs.latex_format.LatexError`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, NamedTuple

import numpy as np
from flint import fmpq_mat

from symbolic.constraints import constraint_vector
from symbolic.linalg import matrix, to_fmpq, to_fraction
from symbolic.network import pattern_to_json
from symbolic.problem import Problem
from symbolic.rationals import canonical

from ..assemble import Verdict, hessian_of, identity, rational_below, short, sqrt_above
from ..boundary import Kinks, ball_radius, ball_verdict
from ..checker.arith import pseudo_inverse_columns
from ..checker.network import bounds, derivatives, forward
from ..checker.reading import read_pattern
from ..latex_format import decimal, is_long, rational
from ..latex_lemmas import (LIST_PIVOTS, apriori, kink_lemmas, kink_vector, piece_pattern, pivots, require,
                            variation_lemma)
from ..latex_setting import Doc, Parts, fill, longtable
from ..positivity import pd_certificate, to_float
from ..refine import dyadic
from . import renders

Progress = Callable[[str], None]


def search(problem: Problem, kinks: Kinks, say: Progress) -> Verdict:
    """Strictly complementary, independent kinks: curvature needed only along them (``kink_ball``)."""
    c, pattern, order, data = kinks.centre, kinks.pattern, kinks.order, kinks.pieces
    normals = [constraint_vector(problem, con) for con in order]
    A = np.array([[float(v) for v in a] for a in normals])
    _, sv, Vt = np.linalg.svd(A)
    if len(sv) < len(order) or sv[-1] < 1e-9 * sv[0]:
        return Verdict("UNKNOWN", "the kink constraints are linearly dependent")
    N = Vt[len(order):].T
    lam_kink = min(float(np.linalg.eigvalsh(N.T @ to_float(hessian_of(p.d)) @ N)[0]) if N.shape[1] else 1.0
                   for p in data)
    if lam_kink <= 0:
        return Verdict("UNKNOWN", f"the curvature along the kinks is not positive (≈ {lam_kink:.3g})")
    mu = rational_below(lam_kink / 2)
    sparse = [{p: v for p, v in enumerate(a) if v} for a in normals]
    r = [sqrt_above(sum((v * v for v in col), Fraction(0))) for col in pseudo_inverse_columns(sparse, len(c))]
    a_frob2 = sum((v * v for a in normals for v in a), Fraction(0))
    norms = [sqrt_above(sum((to_fraction(v) ** 2 for v in hessian_of(p.d).entries()), Fraction(0))) for p in data]
    worst = max(p.e2 for p in data)
    gram = fmpq_mat(len(c), len(c), [to_fmpq(sum((a[p] * a[q] for a in normals), Fraction(0)))
                                     for p in range(len(c)) for q in range(len(c))])
    # τ large enough to lift the curvature across the kinks, far below its ceiling κ/(‖A‖_F ρ)
    tau_goal = dyadic(100.0 * (max(float(h) for h in norms) + 1.0) / float(sv[-1]) ** 2, 8) + 1

    def ok(rho: Fraction, dlt: Fraction) -> bool:
        if float(mu + dlt) >= 0.9 * lam_kink:
            return False
        kappa = min(v - rm * (h + dlt) * rho for p, h in zip(data, norms) for v, rm in zip(p.nu, r))
        return kappa > 0 and tau_goal * tau_goal * a_frob2 * rho * rho <= kappa * kappa

    found = ball_radius(problem, c, order, worst, mu, ok)
    if isinstance(found, Verdict):
        return found
    rho, dlt = found
    say(f"building {len(data)} positive-definiteness certificate(s) with the kink penalty τ = {short(tau_goal)}")
    listed = []
    for p, h in zip(data, norms):
        M = hessian_of(p.d) + gram * to_fmpq(tau_goal) - to_fmpq(mu + dlt) * identity(len(c))
        pd = pd_certificate(M)
        if pd is None:
            return Verdict("UNKNOWN", f"no positive-definiteness certificate for the region with kink signs {p.signs}")
        listed.append({"signs": p.signs, "pd": pd, "multipliers": [canonical(v) for v in p.nu],
                       "tau": canonical(tau_goal), "hessian_norm": canonical(h)})
    evidence = {"method": "kink_ball", "pattern": pattern_to_json(pattern), "constraints": [list(con) for con in order],
                "delta": canonical(dlt), "pieces": listed, "row_norms": [canonical(v) for v in r]}
    reason = (f"isolated strict local minimum on {len(order)} strictly complementary kink(s); L grows at least linearly "
              f"across them and is μ-strongly convex along them (μ = {short(mu)}) on the ball of radius {short(rho)}")
    return ball_verdict(problem, c, rho, mu, worst, evidence, reason, len(order), len(listed))


REGION_ROWS = 32
"""Most regions listed in the table; the lemmas state the extremes over all of them."""

SHOW_GRAM = 8
"""Largest number of kinks whose Gram matrix ``AAᵀ`` is displayed."""


class Region(NamedTuple):
    """The recomputed facts of one region ``s`` (exact)."""

    signs: str
    method: str
    nu_min: Fraction
    kappa: Fraction
    tau: Fraction
    h: Fraction
    e2: Fraction
    ratio: Fraction        # τ²‖A‖_F²ρ²/κ², at most 1
    pivot: Fraction | None  # the smallest LDLᵀ pivot of M_s, when recomputed


def _short(q: Fraction) -> str:
    """Exact when short, else a truncated decimal (the exact value is in the certificate)."""
    return rational(q, inline=True) if not is_long(q) else decimal(q, 4)


def _region(doc: Doc, pc: dict[str, Any], cons: list[tuple[int, int]], vecs: list[list[Fraction]],
            r: list[Fraction], gram: list[list[Fraction]], a_frob2: Fraction, delta: Fraction,
            extra: list[list[Fraction]] | None = None) -> Region:
    """Recompute every inequality of one region (``kink_pieces`` of the checker; ``extra`` is added to
    ``M_s`` as there)."""
    prob, theta, rho, mu = doc.problem, doc.theta or [], doc.radius, doc.mu or Fraction(0)
    signs = pc["signs"]
    pat = piece_pattern(doc.evidence["pattern"], cons, signs)
    d = derivatives(prob, theta, forward(prob, theta, read_pattern(pat, prob, "piece")))
    H0 = [[Fraction(v, d.hess_den) for v in row] for row in d.hess_num]
    h = Fraction(pc["hessian_norm"])
    require(h >= 0 and h * h >= sum((v * v for row in H0 for v in row), Fraction(0)),
            f"h ≥ ‖∇²L_P(c)‖_F for signs {signs}")
    nu = [Fraction(v) for v in pc["multipliers"]]
    require(len(nu) == len(cons), f"one multiplier per kink for signs {signs}")
    e = list(d.grad)
    for m, v in enumerate(nu):
        s = 1 if signs[m] == "1" else -1
        e = [g - v * s * a for g, a in zip(e, vecs[m])]
    require(all(sum((x * y for x, y in zip(a, e)), Fraction(0)) == 0 for a in vecs), f"A e_s = 0 for signs {signs}")
    e2 = sum((v * v for v in e), Fraction(0))
    require(e2 < (mu * rho / 2) ** 2, f"‖e_s‖ < μρ/2 for signs {signs}")
    drift = [rm * (h + delta) * rho for rm in r]
    require(all(v > dm for v, dm in zip(nu, drift)), f"ν_m > r_m(h + δ)ρ for signs {signs}")
    kappa = min(v - dm for v, dm in zip(nu, drift))
    tau = Fraction(pc["tau"])
    require(tau >= 0 and tau * tau * a_frob2 * rho * rho <= kappa * kappa, f"τ²‖A‖_F²ρ² ≤ κ² for signs {signs}")
    pivot = None
    if pc["pd"]["method"] == "ldl" and len(H0) <= LIST_PIVOTS:
        shift = mu + delta
        Ms = [[v + tau * g - (shift if p == q else 0) for q, (v, g) in enumerate(zip(row, grow))]
              for p, (row, grow) in enumerate(zip(H0, gram))]
        if extra is not None:
            Ms = [[v + w for v, w in zip(row, xrow)] for row, xrow in zip(Ms, extra)]
        piv = pivots(Ms)
        require(len(piv) == len(Ms) and all(v > 0 for v in piv), f"the LDLᵀ pivots of M_s for signs {signs}")
        pivot = min(piv)
    return Region(signs, pc["pd"]["method"], min(nu), kappa, tau, h, e2, tau * tau * a_frob2 * rho * rho / kappa ** 2,
                  pivot)


def _independence(doc: Doc, cons: list[tuple[int, int]], vecs: list[list[Fraction]], r: list[Fraction]) -> str:
    """Lemma: ``AAᵀ`` is nonsingular and ``r_m ≥ ‖A⁺u_m‖``."""
    M, P = len(vecs), doc.P
    G = [[sum((x * y for x, y in zip(a, b)), Fraction(0)) for b in vecs] for a in vecs]
    det = to_fraction(matrix(G).det())
    require(det != 0, "det AAᵀ ≠ 0")
    cols = pseudo_inverse_columns([{p: v for p, v in enumerate(a) if v} for a in vecs], P)
    rows = []
    for m, ((j, i), col, rm) in enumerate(zip(cons, cols, r)):
        g2 = sum((v * v for v in col), Fraction(0))
        require(rm >= 0 and rm * rm >= g2, f"r_{m} ≥ ‖A⁺u_{m}‖")
        g_what, r_what = f"$\\|A^+u_{{{m}}}\\|_2^2$", f"the bound $r_{{{m}}}$"
        rows.append(f"{m} & $({j}, {i})$ & ${doc.q(g2, g_what)}$ & ${doc.q(rm, r_what)}$ \\\\")
    gram = ""
    if M <= SHOW_GRAM:
        body = " \\\\ ".join(" & ".join(rational(v) for v in row) for row in G)
        gram = f" Here \\[ AA^\\top = \\begin{{pmatrix}} {body} \\end{{pmatrix}}. \\]"
    return fill(r"""
\begin{lemma}[Independent kinks]\label{pscert:lemma-independent}
Let $A$ be the $<<M>> \times <<P>>$ matrix whose rows are the vectors $a_m^\top = a_{j,i}^\top$ of
Lemma~\ref{pscert:lemma-kinks}, in the order of Table~\ref{pscert:rownorms}, and $S = \{\theta : A\theta =
0\}$, which contains $c$. Then $\det AA^\top = <<det>> \ne 0$, so $A$ has rank $M$ and $A^+ = A^\top
(AA^\top)^{-1}$ satisfies $AA^+ = I$. With $u_m$ the $m$-th unit vector of $\mathbb{R}^M$, the columns
$g_m = A^+ u_m$ satisfy $\|g_m\|_2 \le r_m$ for the bounds $r_m$ of the certificate, and
$a_k^\top g_m = 1$ if $k = m$, $0$ otherwise. Finally $\|A\|_F^2 = <<frob>>$.
\end{lemma}

\begin{proof}
The checker inverts $AA^\top$ by exact Gauss--Jordan elimination (it rejects a singular $AA^\top$),
forms the columns $g_m$ and verifies $r_m \ge 0$ and $\|g_m\|_2^2 \le r_m^2$ exactly
(Table~\ref{pscert:rownorms}).<<gram>> The identity $a_k^\top g_m = (AA^+)_{k,m}$ gives the last claim
but one; $\|A\|_F^2$ is the sum of the squared entries.
\end{proof}

<<table>>
""", M=str(M), P=str(P), det=doc.q(det, "$\\det AA^\\top$"), gram=gram,
        frob=doc.q(sum((v * v for a in vecs for v in a), Fraction(0)), "$\\|A\\|_F^2$"),
        table=longtable("rlll", "The kinks, the squared norms of the columns of $A^+$ and their bounds $r_m$.",
                        "pscert:rownorms", "$m$ & $(j, i)$ & $\\|A^+u_m\\|_2^2$ & $r_m$", rows))


PIECES = r"""
\begin{lemma}[The pieces near the ball]\label{pscert:lemma-pieces}
For a sign vector $s \in \{1, 0\}^M$ (with $s_m = \pm 1$ for \texttt{1}/\texttt{0}) let $P(s)$ be the
pattern of Table~\ref{pscert:pattern} with the kink entries set by $s$. There is $\rho' > \rho$ such that,
with $U = \{\theta : \|\theta - c\|_2 < \rho'\}$ and the convex sets $C_s = \{\theta \in U : s_m a_m^\top
\theta \ge 0 \text{ for all } m\}$, $L = L_{P(s)}$ on $C_s$ for each of the $2^M = <<count>>$ sign vectors,
all of which the certificate lists (Table~\ref{pscert:pieces}). The sets $C_s$ cover $U$ and each
contains $S \cap U$, so $L = L_{P(s)}$ on $S \cap U$ for every $s$.
\end{lemma}

\begin{proof}
Every pre-activation other than the kinks is continuous in $\theta$ and has the pattern's strict sign on
the compact set $\bar B$ (Lemma~\ref{pscert:lemma-kinks}<<deep>>); the set where all of them do is open
and contains $\bar B$, so it contains $U$ for some $\rho' > \rho$. On $C_s$ a kink unit is active or has
pre-activation $0$ where $s_m = 1$, inactive or $0$ where $s_m = -1$; a vanishing pre-activation
contributes $\sigma(0) = 0$ whichever its pattern entry, so the network equals $f_{P(s)}$ on $C_s$. A
point $\theta \in U$ lies in $C_s$ for $s_m$ the sign of $a_m^\top \theta$ (either sign where it is $0$),
and a point of $S$ has $a_m^\top \theta = 0$ for all $m$. The checker verifies that the certificate
lists $2^M$ distinct strings of $M$ signs, that is every sign vector.
\end{proof}
"""


def _first_order(doc: Doc, regions: list[Region]) -> str:
    mu, rho = doc.mu or Fraction(0), doc.radius
    worst = max(regions, key=lambda g: g.e2)
    return fill(r"""
\begin{lemma}[First-order conditions]\label{pscert:lemma-first-order}
For every region $s$, with the multipliers $\nu_{s,m}$ of the certificate, the remainder
\[ e_s = \nabla L_{P(s)}(c) - \textstyle\sum_m \nu_{s,m}\, s_m a_m \]
satisfies $A e_s = 0$ (it is orthogonal to every $a_m$) and $\|e_s\|_2^2 < (\mu\rho/2)^2 = <<bound>>$.
The largest $\|e_s\|_2^2$ is $<<e2>>$ (truncated), for $s = \texttt{<<worst>>}$.
\end{lemma}

\begin{proof}
The checker computes $\nabla L_{P(s)}(c)$ exactly, subtracts the multiples of the $a_m$ and verifies the
$M$ inner products $a_m^\top e_s = 0$ and the bound on $\|e_s\|_2^2$ exactly.
\end{proof}
""", bound=doc.q((mu * rho / 2) ** 2, "$(\\mu\\rho/2)^2$"), e2=decimal(worst.e2), worst=worst.signs)


def _drift(doc: Doc, regions: list[Region]) -> str:
    worst = min(regions, key=lambda g: g.kappa)
    return fill(r"""
\begin{lemma}[Multipliers beat their drift]\label{pscert:lemma-drift}
For every region $s$, with $H_0(s) = \nabla^2 L_{P(s)}(c)$, the certificate gives $h_s \ge \|H_0(s)\|_F$,
and every multiplier exceeds its drift over the ball:
\[ \nu_{s,m} > \Delta_{s,m} = r_m\, (h_s + \delta)\, \rho \quad\text{for all } m, \qquad
   \kappa_s = \min_m\, (\nu_{s,m} - \Delta_{s,m}) > 0. \]
The smallest margin is $\kappa_s = <<kappa>>$ (truncated), for $s = \texttt{<<worst>>}$. Consequently
$\nu_{s,m} \ge \kappa_s$, and for every $\theta \in \bar B$ and every $m$
\[ s_m\, \nabla L_{P(s)}(\theta)^\top g_m \ge \nu_{s,m} - \Delta_{s,m} \ge \kappa_s. \]
\end{lemma}

\begin{proof}
The checker verifies $h_s \ge 0$, $h_s^2 \ge \|H_0(s)\|_F^2$ and $\nu_{s,m} > \Delta_{s,m}$ exactly
(Table~\ref{pscert:pieces}); as $\Delta_{s,m} \ge 0$, $\nu_{s,m} \ge \kappa_s$. For $\theta \in \bar B$
write $\nabla L_{P(s)}(\theta) = \nabla L_{P(s)}(c) + R$ with $R = \int_0^1 \nabla^2 L_{P(s)}(c + t(\theta
- c))\,dt\,(\theta - c)$. By Lemma~\ref{pscert:lemma-variation} and $\|H_0(s)\|_2 \le \|H_0(s)\|_F \le
h_s$, $\|R\|_2 \le (h_s + \delta)\rho$. By Lemma~\ref{pscert:lemma-independent}, $a_k^\top g_m$ is $1$ for
$k = m$ and $0$ otherwise, and $e_s^\top g_m = (A e_s)^\top (AA^\top)^{-1} u_m = 0$
(Lemma~\ref{pscert:lemma-first-order}). Hence
\[ s_m \nabla L_{P(s)}(\theta)^\top g_m = s_m \bigl(\textstyle\sum_k \nu_{s,k} s_k a_k^\top g_m +
   e_s^\top g_m + R^\top g_m\bigr) = \nu_{s,m} + s_m R^\top g_m \ge \nu_{s,m} - (h_s + \delta)\rho\, r_m. \]
\end{proof}
""", kappa=decimal(worst.kappa), worst=worst.signs)


def _penalty(doc: Doc, regions: list[Region]) -> str:
    mu, P = doc.mu or Fraction(0), doc.P
    worst = max(regions, key=lambda g: g.ratio)
    ldl = sum(g.method == "ldl" for g in regions)
    how = []
    if ldl:
        how.append(f"for {ldl} region(s) (method \\texttt{{ldl}}) symmetric Gaussian elimination without "
                   f"pivoting, $M_s = L D L^\\top$, has all {P} pivots positive")
    if ldl < len(regions):
        how.append(f"for {len(regions) - ldl} region(s) (method \\texttt{{congruence}}) a lower-triangular $T$ "
                   "with positive diagonal in the certificate makes $T M_s T^\\top$ strictly diagonally dominant "
                   "with positive diagonal, hence positive definite by Gershgorin's theorem, and so is $M_s$")
    pivots = [g.pivot for g in regions if g.pivot is not None]
    least = (f" The smallest pivot over the regions is ${decimal(min(pivots))}$ (truncated)." if pivots else "")
    return fill(r"""
\begin{lemma}[Curvature along the kinks]\label{pscert:lemma-penalty}
For every region $s$ the certificate gives a penalty $\tau_s \ge 0$ with $\tau_s^2 \|A\|_F^2 \rho^2 \le
\kappa_s^2$, and the symmetric matrix
\[ M_s = H_0(s) + \tau_s A^\top A - (\mu + \delta) I, \qquad \mu = <<mu>>, \]
is positive definite. Consequently, for every $\xi \in \bar B$ and $d \in \mathbb{R}^P$,
\[ d^\top \nabla^2 L_{P(s)}(\xi)\, d + \tau_s \|Ad\|_2^2 \ge d^\top \bigl(H_0(s) + \tau_s A^\top A - \delta
   I\bigr) d \ge \mu \|d\|_2^2, \]
and if $\|d\|_2 \le 2\rho$ then $\|Ad\|_2 \le 2 \|A\|_F \rho$, so that $\tau_s \|Ad\|_2 \le 2\kappa_s$.
\end{lemma}

\begin{proof}
The checker verifies $\tau_s \ge 0$ and $\tau_s^2 \|A\|_F^2 \rho^2 \le \kappa_s^2$ exactly; the largest
ratio $\tau_s^2 \|A\|_F^2 \rho^2 / \kappa_s^2$ is $<<ratio>>$ (truncated, for $s = \texttt{<<worst>>}$).
It computes $M_s$ exactly, and <<how>>.<<least>> The first inequality is Weyl's, with
$\|\nabla^2 L_{P(s)}(\xi) - H_0(s)\|_2 \le \delta$ (Lemma~\ref{pscert:lemma-variation}); the second is
$d^\top M_s d \ge 0$; and $\|Ad\|_2 \le \|A\|_2 \|d\|_2 \le \|A\|_F \|d\|_2$, so $\tau_s \|Ad\|_2 \le
2\tau_s \|A\|_F \rho \le 2\kappa_s$.
\end{proof}
""", mu=doc.q(mu, "the modulus $\\mu$"), ratio=decimal(worst.ratio), worst=worst.signs, how="; ".join(how),
        least=least)


THEOREM = r"""
\begin{theorem}\label{pscert:theorem}
Let $c$ be the centre of Table~\ref{pscert:parameters}, $\rho = <<rho>>$ and $\mu = <<mu>>$. The loss
$L$ has exactly one local minimum $\theta^*$ in the closed ball $\bar B = \{\theta : \|\theta - c\|_2 \le
\rho\}$. It lies in the open ball and on all $M = <<M>>$ kink hyperplanes ($A\theta^* = 0$), and
\[ L(\theta) \ge L(\theta^*) + \tfrac{\mu}{2}\, \|\theta - \theta^*\|_2^2 \quad\text{for every } \theta \in
   \bar B. \]
In particular $\theta^*$ is a strict and isolated local minimum of $L$.
\end{theorem}

\begin{proof}
We use $U$ and the sets $C_s$ of Lemma~\ref{pscert:lemma-pieces}, on which $L = L_{P(s)}$.

\emph{(i) No local minimum off $S$.} Let $\theta \in \bar B$ with $a_m^\top \theta \ne 0$ for some $m$,
and choose $s$ with $s_k a_k^\top \theta \ge 0$ for all $k$ (so $s_m a_m^\top \theta > 0$). Along
$\theta(t) = \theta - t s_m g_m$ only the $m$-th kink moves: $a_k^\top \theta(t) = a_k^\top \theta$ for
$k \ne m$ and $s_m a_m^\top \theta(t) = |a_m^\top \theta| - t$ (Lemma~\ref{pscert:lemma-independent}). So
for small $t \ge 0$, $\theta(t) \in C_s$ and $L(\theta(t)) = L_{P(s)}(\theta(t))$, whose slope at $t = 0$
is $-s_m \nabla L_{P(s)}(\theta)^\top g_m \le -\nu_{s,m} + \Delta_{s,m} < 0$
(Lemma~\ref{pscert:lemma-drift}). Hence $L(\theta(t)) < L(\theta)$ for small $t > 0$: $\theta$ is not a
local minimum.

\emph{(ii) At most one local minimum.} On the convex set $S \cap \bar B$ every piece equals $L$
(Lemma~\ref{pscert:lemma-pieces}); fix one, $L_{P(s)}$. For $\theta, \theta' \in S \cap \bar B$ the
direction $d = \theta' - \theta$ has $Ad = 0$, so along the segment Lemma~\ref{pscert:lemma-penalty}
gives $d^\top \nabla^2 L_{P(s)}\, d \ge \mu \|d\|^2$: $L$ is $\mu$-strongly convex on $S \cap \bar B$. A
local minimiser of a convex function on a convex set is a global one, and a strictly convex function has
at most one. By (i) every local minimum of $L$ in $\bar B$ lies in $S \cap \bar B$ and is a local
minimiser of $L$ there, so there is at most one.

\emph{(iii) A minimum inside the ball.} Let $\theta = c + d$ with $\|d\|_2 = \rho$, and choose $s$ with
$\theta \in C_s$; as $c \in C_s$, the segment $[c, \theta]$ lies in the convex set $C_s \cap \bar B$. As
$a_m^\top c = 0$, $s_m a_m^\top d = s_m a_m^\top \theta \ge 0$, so Lemmas~\ref{pscert:lemma-first-order}
and~\ref{pscert:lemma-drift} give
\[ \nabla L_{P(s)}(c)^\top d = \textstyle\sum_m \nu_{s,m}\, s_m a_m^\top d + e_s^\top d \ge
   \kappa_s \sum_m |a_m^\top d| - \|e_s\|_2 \rho \ge \kappa_s \|Ad\|_2 - \|e_s\|_2 \rho, \]
where $\kappa_s \|Ad\|_2 \ge \tfrac12 \tau_s \|Ad\|_2^2$ since $\tau_s \|Ad\|_2 \le 2\kappa_s$
(Lemma~\ref{pscert:lemma-penalty}). Taylor's formula with a point $\xi$ of the segment and
Lemma~\ref{pscert:lemma-penalty} give
\[ L(\theta) - L(c) \ge \tfrac12 \bigl(\tau_s \|Ad\|_2^2 + d^\top \nabla^2 L_{P(s)}(\xi)\, d\bigr) -
   \|e_s\|_2 \rho \ge \tfrac{\mu}{2} \rho^2 - \|e_s\|_2 \rho > 0 \]
by Lemma~\ref{pscert:lemma-first-order}. So a minimiser $\hat\theta$ of the continuous $L$ over the
compact ball $\bar B$ lies in the open ball; it is a local minimum of $L$, and by (ii) the only one in
$\bar B$: $\theta^* = \hat\theta$, and $\theta^* \in S$ by (i).

\emph{(iv) Quadratic growth.} For $v$ with $Av = 0$ and small $|t|$, $\theta^* + tv$ lies in $S \cap U$,
where $L = L_{P(s)}$ for every $s$; as $\theta^*$ is a local minimum of $L$, $\nabla
L_{P(s)}(\theta^*)^\top v = 0$. Hence, for each $s$, $\nabla L_{P(s)}(\theta^*)$ lies in the row space of $A$:
$\nabla L_{P(s)}(\theta^*) = A^\top \lambda$ with $\lambda = (AA^\top)^{-1} A \nabla L_{P(s)}(\theta^*)$,
that is $\lambda_m = \nabla L_{P(s)}(\theta^*)^\top g_m$, and
$s_m \lambda_m \ge \kappa_s$ by Lemma~\ref{pscert:lemma-drift}: at $\theta^*$ the multipliers are at
least $\kappa_s$. Let $\theta \in \bar B$, $d = \theta - \theta^*$ (so $\|d\|_2 \le 2\rho$) and choose
$s$ with $\theta \in C_s$; then $\theta^* \in S \cap U \subseteq C_s$, the segment $[\theta^*, \theta]$
lies in $C_s \cap \bar B$ and $s_m a_m^\top d = s_m a_m^\top \theta \ge 0$. So $\nabla
L_{P(s)}(\theta^*)^\top d = \sum_m (s_m \lambda_m)(s_m a_m^\top d) \ge \kappa_s \sum_m |a_m^\top d| \ge
\kappa_s \|Ad\|_2$, and with Taylor's formula and Lemma~\ref{pscert:lemma-penalty} as in (iii)
\begin{align*} L(\theta) - L(\theta^*) &\ge \kappa_s \|Ad\|_2 + \tfrac12 d^\top \nabla^2 L_{P(s)}(\xi)\, d
   \ge \tfrac12 \bigl(\tau_s \|Ad\|_2^2 + d^\top \nabla^2 L_{P(s)}(\xi)\, d\bigr) \\
   &\ge \tfrac12 d^\top \bigl(H_0(s) + \tau_s A^\top A - \delta I\bigr) d \ge \tfrac{\mu}{2} \|d\|_2^2.
   \end{align*}
The sets $C_s$ cover $\bar B$, so this holds on all of $\bar B$. It makes $\theta^*$ a strict local
minimum, and the open ball is a neighbourhood of $\theta^*$ containing no other local minimum.
\end{proof}
"""


@renders("kink_ball")
def render(doc: Doc) -> Parts:
    """Lemmas and theorem for ``kink_ball`` evidence."""
    ev, prob, theta, rho = doc.evidence, doc.problem, doc.theta or [], doc.radius
    mu = doc.mu or Fraction(0)
    cons = [(int(j), int(i)) for j, i in ev["constraints"]]
    M = len(cons)
    pieces = ev["pieces"]
    require(sorted(pc["signs"] for pc in pieces) == sorted(format(v, f"0{M}b") for v in range(2 ** M)),
            "every one of the 2^M sign vectors is listed once")
    bd = bounds(prob, theta, rho)
    delta = Fraction(ev["delta"])
    vecs = [kink_vector(doc, j, i) for j, i in cons]
    r = [Fraction(v) for v in ev["row_norms"]]
    require(len(r) == M, "one row norm per kink")
    gram = [[sum((a[p] * a[q] for a in vecs), Fraction(0)) for q in range(doc.P)] for p in range(doc.P)]
    a_frob2 = sum((v * v for a in vecs for v in a), Fraction(0))

    lemmas = kink_lemmas(doc, cons, bd)
    lemmas.append(_independence(doc, cons, vecs, r))
    lemmas.append(fill(PIECES, count=str(2 ** M), deep=" and Lemma~\\ref{pscert:lemma-sign}" if prob.depth >= 2
                       else ""))
    lemmas.append(variation_lemma(doc, delta, bd))
    regions = [_region(doc, pc, cons, vecs, r, gram, a_frob2, delta) for pc in pieces]
    lemmas += [_first_order(doc, regions), _drift(doc, regions), _penalty(doc, regions)]
    rows = [f"\\texttt{{{g.signs}}} & \\texttt{{{g.method}}} & ${decimal(g.nu_min, 4)}$ & ${decimal(g.kappa, 4)}$ & "
            f"${_short(g.tau)}$ & ${_short(g.h)}$ \\\\" for g in regions[:REGION_ROWS]]
    if len(regions) > REGION_ROWS:
        rows.append(f"\\multicolumn{{6}}{{l}}{{\\dots\\ the other {len(regions) - REGION_ROWS} regions: see "
                    "\\texttt{evidence.pieces} in the certificate} \\\\")
    lemmas.append(longtable(
        "llllll", "The $2^M$ regions at the centre: the positive-definiteness method for $M_s$, the smallest "
        "multiplier, the margin $\\kappa_s$ (both truncated), the penalty $\\tau_s$ and the bound $h_s$ "
        "(exact, or truncated when long).", "pscert:pieces",
        "signs $s$ & method & $\\min_m \\nu_{s,m}$ & $\\kappa_s$ & $\\tau_s$ & $h_s$", rows))

    theorem = fill(THEOREM, rho=rational(rho, inline=True), mu=rational(mu, inline=True), M=str(M))
    first = pieces[0]["signs"]
    return Parts("An isolated strict local minimum on strictly complementary kinks",
                 "the loss has exactly one local minimum in the closed ball of radius "
                 f"${rational(rho, inline=True)}$ about the centre $c$, that it lies on {M} first-layer kink "
                 "hyperplane(s), and that it is strict and isolated (Theorem~\\ref{pscert:theorem})",
                 piece_pattern(ev["pattern"], cons, first),
                 "the pattern at the centre, \\texttt{*} marking a kink (its sign is that of the region)",
                 "\n".join(lemmas), theorem, apriori(doc, bd),
                 "The other regions of Table~\\ref{pscert:pieces} differ only in the kink entries.",
                 piece_pattern(ev["pattern"], cons, "*" * M),
                 f"the region of the first sign vector $s = \\texttt{{{first}}}$ of Table~\\ref{{pscert:pieces}}")
