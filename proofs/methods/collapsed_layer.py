"""Evidence ``collapsed_layer``: one hidden layer whose units are all dead (collapsed by weight decay).

Search: the point is snapped to the exact centre (every hidden parameter 0, the output bias the exact
minimiser ``b* = α Σ_j y_j / (αN + λ_b)``), the cells of the single-unit arrangement ``{v·x̃_j = 0}`` are
listed (empty ones with Gordan vectors), and each cell gets a witness that ``‖G(v)‖ ≤ (λ − ε)‖v‖``
there: polar-cone weights (scalar output) or a positive-definiteness certificate (vector output).

Evidence keys (``proofs/FORMAT.md``): ``epsilon``, ``x_sum``, ``cells`` ``[{signs, plus, minus}]``
(scalar output) or ``[{signs, pd}]`` (vector output), ``empty`` ``[{signs, gordan}]``. The lemma that
acceptance proves is in the checker's docstring for this method (``proofs/checker/collapse.py``); the
proof's lemmas follow it, claiming no more, and every inequality printed is recomputed here first (a
failure is a :class:`~proofs.latex_format.LatexError`).
"""

from __future__ import annotations

import math
from fractions import Fraction
from math import lcm
from typing import Any, Callable

import numpy as np
from flint import fmpq_mat
from scipy.optimize import nnls

from symbolic.arrangement import RegionLimit
from symbolic.linalg import to_fmpq
from symbolic.problem import Problem
from symbolic.rationals import canonical

from ..assemble import Verdict, certificate, checked, rational_below, short, sqrt_above
from ..boundary import unit_arrangement
from ..checker.arith import Budget
from ..checker.lemmas import positive_definite, regions_covered
from ..checker.reading import MAX_WORK
from ..checker.exceptions import CertificateInvalid
from ..latex_format import decimal, rational
from ..latex_lemmas import pivots, require
from ..latex_setting import Doc, Parts, fill, longtable
from ..positivity import pd_certificate
from . import renders

MAX_CELLS = 4096
"""Most cells of the single-unit arrangement a certificate may list."""

TOLERANCE = 1e-7
"""How close to 0 (relative to ``max(1, ‖θ‖∞)``) every hidden parameter must be for a snap."""


def search(problem: Problem, theta: list[Fraction], say: Callable[[str], None]) -> Verdict | None:
    """A ``collapsed_layer`` certificate when every hidden unit is (within rounding of) dead, else ``None``."""
    if problem.depth != 1 or problem.activation != "relu" or problem.weight_decay <= 0:
        return None
    if problem.biases and not problem.decay_biases:
        return None
    n1, n_out, N = problem.widths[1], problem.widths[-1], problem.samples
    hidden = problem.layer_sizes[0] + n_out * n1
    scale = max(1.0, max(abs(float(t)) for t in theta))
    if any(abs(float(t)) > TOLERANCE * scale for t in theta[:hidden]):
        return None
    say("every hidden unit is dead: listing the cells of one unit's arrangement")
    alpha, lam = problem.alpha, problem.weight_decay
    b_star = [alpha * sum((y[o] for y in problem.targets), Fraction(0)) / (alpha * N + lam) if problem.biases
              else Fraction(0) for o in range(n_out)]
    c = [Fraction(0)] * hidden + (b_star if problem.biases else [])
    snapped = any(t != v for t, v in zip(theta, c))
    try:
        cells, empty = unit_arrangement(problem, MAX_CELLS)
    except RegionLimit:
        return Verdict("UNKNOWN", f"more than {MAX_CELLS} cells in one dead unit's arrangement: not listed")
    xt = [list(x) + ([Fraction(1)] if problem.biases else []) for x in problem.inputs]
    residuals = [[b - y[o] for o, b in enumerate(b_star)] for y in problem.targets]
    witnesses, worst2 = [], Fraction(0)
    for signs in cells:
        M = [[alpha * sum((r[o] * x[p] for r, x, s in zip(residuals, xt, signs) if s == "1"), Fraction(0))
              for p in range(len(xt[0]))] for o in range(n_out)]
        item: dict[str, Any] = {"signs": signs}
        if n_out == 1:
            for key, sign in (("plus", 1), ("minus", -1)):
                weights, dist2 = _polar_witness([sign * v for v in M[0]], xt, signs)
                item[key] = [canonical(w) for w in weights]
                worst2 = max(worst2, dist2)
        else:
            worst2 = max(worst2, Fraction(float(np.linalg.norm(np.array(M, dtype=float), 2)) ** 2 * 1.0001))
        witnesses.append((item, M))
    if worst2 >= lam * lam:
        from ..symmetry import grow_dead_unit      # (symmetry imports this package)

        notes = ["every hidden parameter set exactly to 0" + (", the output bias to its exact minimiser"
                                                                if problem.biases else "")] if snapped else []
        grown = grow_dead_unit(problem, c, 0, 0, notes)   # Lemma D at the exact centre
        return grown or Verdict("UNKNOWN", "every hidden unit is dead, but some cell's coupling reaches 2λ: the "
                                "dead layer may be a saddle (no descent curve was built)")
    eps = rational_below(float(lam - sqrt_above(worst2)) / 2) if worst2 else lam / 2
    room = (lam - eps) ** 2
    for item, M in witnesses:
        if n_out > 1:
            A = fmpq_mat(len(xt[0]), len(xt[0]), [to_fmpq((room if p == q else 0) - sum((row[p] * row[q] for row in M), Fraction(0)))
                                                   for p in range(len(xt[0])) for q in range(len(xt[0]))])
            pd = pd_certificate(A)
            if pd is None:
                return Verdict("UNKNOWN", "no positive-definiteness certificate for a dead unit's cell bound")
            item["pd"] = pd
    s_x = sqrt_above(N * sum((v * v for x in xt for v in x), Fraction(0)))
    mu_q = min(alpha * N + (lam if problem.biases else 0), eps)
    C0 = alpha * s_x
    rho = Fraction(1, 2 ** max(0, math.ceil(math.log2(float(2 * C0 / mu_q))))) if C0 else Fraction(1)
    while C0 * rho > mu_q / 2:
        rho /= 2
    evidence = {"method": "collapsed_layer", "epsilon": canonical(eps), "x_sum": canonical(s_x),
                "cells": [item for item, _ in witnesses],
                "empty": [{"signs": s, "gordan": [canonical(v) for v in y] + ["0"] * (N - len(y))} for s, y in empty]}
    cert = certificate(problem, "CERTIFIED", "isolated_local_minimum", c, rho, evidence, mu_q)
    note = " (about the snapped centre: every hidden parameter set exactly to 0" + \
        (", the output bias to its exact minimiser)" if problem.biases else ")") if snapped else ""
    reason = (f"isolated strict local minimum: every hidden unit is dead and each of the {len(cells)} cells of a dead "
              f"unit's arrangement couples below 2λ; L grows at least μ/2 = {short(mu_q / 2)} times the squared "
              f"distance on the ball of radius {short(rho)}{note}")
    facts = {"mu": canonical(mu_q), "radius": canonical(rho), "cells": len(cells), "excluded": len(empty),
             "epsilon": canonical(eps)}
    return checked(Verdict("CERTIFIED", reason, "isolated_local_minimum", cert, facts))


def _polar_witness(c: list[Fraction], xt: list[list[Fraction]], signs: str) -> tuple[list[Fraction], Fraction]:
    """Weights ``μ ≥ 0`` (dyadic) making ``‖c + Σ μ_j s'_j x̃_j‖`` small, and that squared distance exactly."""
    sign = np.array([1.0 if s == "1" else -1.0 for s in signs])
    cols = (np.array([[float(v) for v in x] for x in xt]) * sign[:, None]).T
    mu, _ = nnls(cols, -np.array([float(v) for v in c]))
    # round(m·2^40) is exact in binary64 (a power-of-two scaling), so this is dyadic(m, 40) without Fractions
    weights = [Fraction(round(float(m) * 2 ** 40), 2 ** 40) if m > 0 else Fraction(0) for m in mu]
    gap = list(c)
    for w, x, s in zip(weights, xt, signs):
        if w:
            for p, v in enumerate(x):
                gap[p] += w * (1 if s == "1" else -1) * v
    return weights, sum((v * v for v in gap), Fraction(0))


CELL_ROWS = 32
"""Most cells (and excluded sign strings) listed in the tables; the lemmas state the extremes over all."""


def _signed(s: str) -> list[int]:
    return [1 if ch == "1" else -1 for ch in s]


def _cell_matrix(doc: Doc, xt: list[list[Fraction]], res: list[list[Fraction]], signs: str) -> list[list[Fraction]]:
    """``M_S = α Σ_{j∈S} r_j x̃_jᵀ`` (one row per output)."""
    alpha, n_out = doc.problem.alpha, doc.problem.widths[-1]
    return [[alpha * sum((r[o] * x[p] for r, x, s in zip(res, xt, signs) if s == "1"), Fraction(0))
             for p in range(len(xt[0]))] for o in range(n_out)]


def _polar(row: list[Fraction], xt: list[list[Fraction]], signs: str, weights: list[Fraction], sign: int) -> Fraction:
    """``‖±c − y‖²`` with ``y = −Σ_j μ_j s'_j x̃_j`` (``μ ≥ 0`` required)."""
    require(all(w >= 0 for w in weights), f"the polar-cone weights of cell {signs} are ≥ 0")
    gap = [sign * v for v in row]
    for w, x, s in zip(weights, xt, _signed(signs)):
        for p, v in enumerate(x):
            gap[p] += w * s * v
    return sum((v * v for v in gap), Fraction(0))


def _pd(A: list[list[Fraction]], pd: dict[str, Any], signs: str) -> str:
    """Recompute the positive-definiteness certificate of ``A``; the table entry."""
    den = lcm(*(v.denominator for r in A for v in r))
    Ai = [[v.numerator * (den // v.denominator) for v in r] for r in A]
    try:
        positive_definite(Ai, den, pd, "cell", 10 ** 6)
        if pd.get("method") == "ldl":
            return f"\\texttt{{ldl}}, least pivot ${decimal(min(pivots(A)), 4)}$"
        return "\\texttt{congruence}"
    except CertificateInvalid:
        require(False, f"(λ − ε)²I − M_SᵀM_S ≻ 0 for cell {signs}")
    return ""  # unreachable


def _rows(rows: list[str], ncols: int, total: int, what: str, field: str) -> list[str]:
    if total > CELL_ROWS:
        rows = rows[:CELL_ROWS] + [f"\\multicolumn{{{ncols}}}{{l}}{{\\dots\\ the other {total - CELL_ROWS} {what}: "
                                   f"see \\texttt{{{field}}} in the certificate}} \\\\"]
    return rows


CENTRE = r"""
\begin{lemma}[The exact centre]\label{pscert:lemma-centre}
At the centre $c$ every hidden parameter ($W_1$<<b1>>, $W_2$) is $0$, so every hidden unit is dead and
$f(x; c) = b^*$ for every input, with $b^* = <<bstar>>$. With the residuals $r_j = b^* - y_j$<<crit>>
Every augmented input $\tilde x_j = <<xt>>$ is nonzero.
\end{lemma}

\begin{proof}
The checker verifies each of these equalities exactly from Tables~\ref{pscert:parameters}
and~\ref{pscert:data}.
\end{proof}
"""

EXPANSION = r"""
\begin{lemma}[The homogeneous expansion]\label{pscert:lemma-expansion}
Write a displacement as $d = (\beta, (v_i, a_i)_{i < <<n1>>})$: $\beta$ the change of the output bias
(absent without biases), $v_i$ the incoming row of unit $i$ with its bias and $a_i$ its outgoing column.
For $s \ge 0$,
\[ \varphi(s) = L(c + s d) - L(c) = s^2 Q(d) + s^3 C(d) + s^4 R(d) \]
exactly, where, with $G(v) = \alpha \sum_j r_j\, \sigma(v^\top \tilde x_j)$, $u_j = \sum_i a_i\,
\sigma(v_i^\top \tilde x_j)$ and $\lambda_b = <<lamb>>$ the decay of the output bias,
\begin{align*}
Q &= (\alpha N + \lambda_b) \|\beta\|^2 + \textstyle\sum_i \bigl(\lambda \|v_i\|^2 + \lambda \|a_i\|^2 +
     2 a_i^\top G(v_i)\bigr), \\
C &= 2\alpha \textstyle\sum_j \beta^\top u_j, \qquad R = \alpha \textstyle\sum_j \|u_j\|^2 \ge 0.
\end{align*}
\end{lemma}

\begin{proof}
As $\sigma$ is positively homogeneous, $\sigma(s\, v_i^\top \tilde x_j) = s\, \sigma(v_i^\top \tilde x_j)$
for $s \ge 0$, so $f(x_j; c + sd) - y_j = r_j + s\beta + s^2 u_j$ (Lemma~\ref{pscert:lemma-centre}). The
decay adds $\lambda s^2 \sum_i (\|v_i\|^2 + \|a_i\|^2) + \lambda_b \|b^* + s\beta\|^2$, the hidden
parameters of $c$ being $0$. Expanding the squares, the term linear in $s$ is $2s\, \beta^\top(\alpha
\sum_j r_j + \lambda_b b^*) = 0$, and $2\alpha \sum_j r_j^\top u_j = 2 \sum_i a_i^\top G(v_i)$; the rest
is the display.
\end{proof}
"""

CELLS = r"""
\begin{lemma}[The cells of a dead unit]\label{pscert:lemma-cells}
For a sign string $S \in \{0, 1\}^N$ (with $s'_j = \pm 1$ for \texttt{1}/\texttt{0}) let $K_S = \{v :
s'_j\, v^\top \tilde x_j \ge 0 \text{ for all } j\}$ and $M_S = \alpha \sum_{j : S_j = 1} r_j \tilde
x_j^\top$. The certificate lists <<ncells>> cells (Table~\ref{pscert:cells}) and excludes
<<nempty>> sign pattern(s) (Table~\ref{pscert:excluded}), and with $\varepsilon = <<eps>>$, $0 <
\varepsilon \le \lambda$,
\[ \|G(v)\|_2 \le (\lambda - \varepsilon) \|v\|_2 \quad\text{for every } v, \qquad (\lambda -
   \varepsilon)^2 = <<room>>. \]
\end{lemma}

\begin{proof}
On $K_S$, $\sigma(v^\top \tilde x_j)$ is $v^\top \tilde x_j$ where $S_j = 1$ and $0$ otherwise (a
vanishing pre-activation gives $0$ either way), so $G(v) = M_S v$. <<how>> For an excluded pattern the
certificate gives $y \ge 0$, $y \ne 0$, zero on \texttt{*}, with $\sum_j y_j s'_j \tilde x_j = 0$
(verified exactly); then no $v$ has $s'_j v^\top \tilde x_j > 0$ at every decided $j$, since the sum
$\sum_j y_j s'_j v^\top \tilde x_j = 0$ would have a positive term and none negative. The checker
verifies that every string of $N = <<N>>$ signs is a listed cell or agrees with an excluded pattern. So
a $v$ with $v^\top \tilde x_j \ne 0$ for all $j$ lies in a listed cell (that of its strict signs), and
the bound holds there; such $v$ are dense (every $\tilde x_j \ne 0$) and $G$ is continuous, so it holds
everywhere.
\end{proof}
"""

HOW_SCALAR = (r"The output is scalar, so $M_S = m_S^\top$ is a row. For each listed cell the certificate "
              r"gives weights $\mu^\pm_j \ge 0$, and $y^\pm = -\sum_j \mu^\pm_j s'_j \tilde x_j$ lies in the "
              r"polar cone of $K_S$ ($y^\top v \le 0$ on $K_S$); the checker verifies $\|\pm m_S - y^\pm\|_2^2 "
              r"\le (\lambda - \varepsilon)^2$ exactly (the largest is $<<worst>>$, truncated). For $v \in K_S$, "
              r"$\pm m_S^\top v = (\pm m_S - y^\pm)^\top v + y^{\pm\top} v \le (\lambda - \varepsilon)\|v\|_2$, "
              r"so $|m_S^\top v| \le (\lambda - \varepsilon)\|v\|_2$.")
HOW_VECTOR = (r"For each listed cell the certificate proves $(\lambda - \varepsilon)^2 I - M_S^\top M_S$ "
              r"positive definite (pivots of $LDL^\top$, or a congruence made strictly diagonally dominant; "
              r"recomputed exactly), so $\|M_S v\|_2^2 \le (\lambda - \varepsilon)^2 \|v\|_2^2$.")

BOUNDS = r"""
\begin{lemma}[The quadratic and cubic terms]\label{pscert:lemma-bounds}
With $\mu' = \min(\alpha N + \lambda_b, \varepsilon) = <<muq>>$ and $x_{\mathrm{sum}} = <<xsum>>$, for
every $d$
\[ Q(d) \ge \mu' \|d\|_2^2, \qquad |C(d)| \le \alpha\, x_{\mathrm{sum}} \|d\|_2^3, \qquad
   \alpha\, x_{\mathrm{sum}} = <<c0>>. \]
\end{lemma}

\begin{proof}
By Lemma~\ref{pscert:lemma-cells} and $\lambda - \varepsilon \ge 0$, $2 a_i^\top G(v_i) \ge -2(\lambda
- \varepsilon) \|a_i\| \|v_i\| \ge -(\lambda - \varepsilon)(\|a_i\|^2 + \|v_i\|^2)$, so each unit
contributes at least $\varepsilon (\|v_i\|^2 + \|a_i\|^2)$ to $Q$, and $\beta$ contributes $(\alpha N +
\lambda_b)\|\beta\|^2$. For $C$: $|\sigma(v_i^\top \tilde x_j)| \le \|v_i\| \|\tilde x_j\|$, so
$\|u_j\| \le \|\tilde x_j\| \sum_i \|a_i\| \|v_i\| \le \tfrac12 \|\tilde x_j\| \|d\|^2$ and $|C| \le
\alpha \|\beta\| \|d\|^2 \sum_j \|\tilde x_j\| \le \alpha\, x_{\mathrm{sum}} \|d\|^3$. The checker
verifies $x_{\mathrm{sum}} \ge 0$ and $x_{\mathrm{sum}}^2 \ge N \sum_j \|\tilde x_j\|^2 = <<nx2>>$,
which by Cauchy--Schwarz gives $x_{\mathrm{sum}} \ge \sum_j \|\tilde x_j\|$.
\end{proof}
"""

THEOREM = r"""
\begin{theorem}\label{pscert:theorem}
Let $c$ be the centre of Table~\ref{pscert:parameters}, $\rho = <<rho>>$ and $\mu = <<mu>>$. Then $c$ is
the only local minimum of $L$ in the closed ball $\bar B = \{\theta : \|\theta - c\|_2 \le \rho\}$, it
is strict, and
\[ L(\theta) - L(c) \ge \tfrac{\mu}{2}\, \|\theta - c\|_2^2 \quad\text{for every } \theta \in \bar B. \]
\end{theorem}

\begin{proof}
The checker verifies exactly $3\alpha\, x_{\mathrm{sum}} \rho = <<three>> < 2\mu' = <<twomuq>>$ and
$\mu \le 2(\mu' - \alpha\, x_{\mathrm{sum}} \rho) = <<bound>>$. Let $\theta = c + d \in \bar B$, $d \ne
0$, so $\|d\|_2 \le \rho$. By Lemmas~\ref{pscert:lemma-expansion} and~\ref{pscert:lemma-bounds} and $R
\ge 0$,
\[ L(\theta) - L(c) = \varphi(1) = Q + C + R \ge \mu' \|d\|^2 - \alpha\, x_{\mathrm{sum}} \|d\|^3 \ge
   (\mu' - \alpha\, x_{\mathrm{sum}} \rho) \|d\|^2 \ge \tfrac{\mu}{2} \|d\|^2 > 0, \]
the growth bound; so $c$ is a strict local minimum. Moreover $\varphi$ is a polynomial on $s \ge 0$ with
\[ \varphi'(1) = 2Q + 3C + 4R \ge 2\mu' \|d\|^2 - 3\alpha\, x_{\mathrm{sum}} \|d\|^3 \ge (2\mu' -
   3\alpha\, x_{\mathrm{sum}} \rho) \|d\|^2 > 0. \]
Hence $L(c + (1 - t) d) = \varphi(1 - t) < \varphi(1) + L(c) = L(\theta)$ for small $t > 0$, at points of
$\bar B$ tending to $\theta$: $\theta$ is not a local minimum of $L$ (nor of $L$ restricted to $\bar
B$). So $c$ is the only local minimum in $\bar B$.
\end{proof}
"""


@renders("collapsed_layer")
def render(doc: Doc) -> Parts:
    """Lemmas and theorem for ``collapsed_layer`` evidence."""
    ev, prob, theta, rho = doc.evidence, doc.problem, doc.theta or [], doc.radius
    mu = doc.mu or Fraction(0)
    require(prob.depth == 1 and prob.activation == "relu", "one ReLU hidden layer")
    require(not prob.biases or prob.decay_biases, "decayed biases")
    lam, alpha, N, n_out = prob.weight_decay, prob.alpha, len(prob.inputs), prob.widths[-1]
    lam_b = lam if prob.biases else Fraction(0)
    xt = [list(x) + ([Fraction(1)] if prob.biases else []) for x in prob.inputs]
    require(all(any(v) for v in xt), "every x̃_j ≠ 0")
    hidden = doc.P - (n_out if prob.biases else 0)
    require(all(v == 0 for v in theta[:hidden]), "every hidden parameter of the centre is 0")
    bstar = theta[hidden:] if prob.biases else [Fraction(0)] * n_out
    res = [[bstar[o] - y[o] for o in range(n_out)] for y in prob.targets]
    if prob.biases:
        require(all(alpha * sum(r[o] for r in res) + lam_b * bstar[o] == 0 for o in range(n_out)),
                "α Σ_j r_j + λ_b b* = 0")
    eps, x_sum = Fraction(ev["epsilon"]), Fraction(ev["x_sum"])
    require(0 < eps <= lam, "0 < ε ≤ λ")
    nx2 = N * sum((v * v for x in xt for v in x), Fraction(0))
    require(x_sum >= 0 and x_sum * x_sum >= nx2, "x_sum² ≥ N·Σ‖x̃_j‖²")
    room = (lam - eps) ** 2

    cells = ev["cells"]
    listed = [c["signs"] for c in cells]
    require(len(set(listed)) == len(listed) and cells, "the cells are distinct and at least one")
    rows, worst = [], Fraction(0)
    for c in cells:
        M = _cell_matrix(doc, xt, res, c["signs"])
        if n_out == 1:
            dp = _polar(M[0], xt, c["signs"], [Fraction(v) for v in c["plus"]], 1)
            dm = _polar(M[0], xt, c["signs"], [Fraction(v) for v in c["minus"]], -1)
            require(dp <= room and dm <= room, f"‖±m_S − y±‖² ≤ (λ − ε)² for cell {c['signs']}")
            worst = max(worst, dp, dm)
            rows.append(f"\\texttt{{{c['signs']}}} & ${decimal(dp, 6)}$ & ${decimal(dm, 6)}$ \\\\")
        else:
            n = len(xt[0])
            A = [[(room if p == q else Fraction(0)) - sum((r[p] * r[q] for r in M), Fraction(0)) for q in range(n)]
                 for p in range(n)]
            rows.append(f"\\texttt{{{c['signs']}}} & {_pd(A, c['pd'], c['signs'])} \\\\")
    empty = ev["empty"]
    for e in empty:
        y = [Fraction(v) for v in e["gordan"]]
        total = [sum((w * s * x[p] for w, s, x in zip(y, _signed(e["signs"]), xt)), Fraction(0))
                 for p in range(len(xt[0]))]
        require(all(w >= 0 for w in y) and any(y) and not any(total)
                and all(w == 0 for w, s in zip(y, e["signs"]) if s == "*"),
                f"the Gordan vector of the excluded pattern {e['signs']}")
    try:  # the checker's coverage lemma: near-linear in the entries, where 2^N strings are not
        regions_covered(set(listed), [e["signs"] for e in empty], N, Budget(MAX_WORK))
    except CertificateInvalid as err:
        require(False, f"the case split covers every sign string ({err})")

    mu_q = min(alpha * N + lam_b, eps)
    c0 = alpha * x_sum
    require(3 * c0 * rho < 2 * mu_q, "3·α·x_sum·ρ < 2μ'")
    require(0 < mu <= 2 * (mu_q - c0 * rho), "0 < μ ≤ 2(μ' − α·x_sum·ρ)")

    vec = [", ".join(rational(v) for v in b) for b in [bstar]][0]
    crit = (", the output bias is exactly critical: $\\alpha \\sum_j r_j + \\lambda b^* = 0$."
            if prob.biases else " (there is no output bias).")
    xt_text = "(x_j, 1)" if prob.biases else "x_j"
    lemmas = [fill(CENTRE, b1=", $b_1$" if prob.biases else "", bstar=f"({vec})" if n_out > 1 else vec,
                   crit=crit, xt=xt_text),
              fill(EXPANSION, n1=str(prob.widths[1]), lamb="\\lambda" if prob.biases else "0")]
    how = fill(HOW_SCALAR, worst=decimal(worst, 6)) if n_out == 1 else HOW_VECTOR
    lemmas.append(fill(CELLS, ncells=str(len(cells)), nempty=str(len(empty)), eps=doc.q(eps, "$\\varepsilon$"),
                       room=doc.q(room, "$(\\lambda - \\varepsilon)^2$"), how=how, N=str(N)))
    if n_out == 1:
        head, cols = "signs $S$ & $\\|m_S - y^+\\|_2^2$ & $\\|-m_S - y^-\\|_2^2$", "lll"
        cap = "The listed cells and their two polar distances squared (truncated), each at most $(\\lambda - " \
              "\\varepsilon)^2$."
    else:
        head, cols = "signs $S$ & positive definiteness of $(\\lambda - \\varepsilon)^2 I - M_S^\\top M_S$", "ll"
        cap = "The listed cells and the certificate of their bound."
    lemmas.append(longtable(cols, cap, "pscert:cells", head,
                            _rows(rows, len(cols), len(rows), "cells", "evidence.cells")))
    erows = [f"\\texttt{{{e['signs']}}} & {sum(1 for v in e['gordan'] if Fraction(v))} \\\\" for e in empty]
    if not erows:
        erows = ["\\multicolumn{2}{l}{none} \\\\"]
    lemmas.append(longtable("ll", "The excluded sign patterns (\\texttt{*}: either sign) and the number of "
                            "nonzero entries of their Gordan vectors (in \\texttt{evidence.empty}).",
                            "pscert:excluded", "pattern & nonzero $y_j$",
                            _rows(erows, 2, len(empty), "patterns", "evidence.empty")))
    lemmas.append(fill(BOUNDS, muq=doc.q(mu_q, "$\\mu'$"), xsum=doc.q(x_sum, "$x_{\\mathrm{sum}}$"),
                       c0=doc.q(c0, "$\\alpha x_{\\mathrm{sum}}$"), nx2=doc.q(nx2, "$N \\sum_j \\|\\tilde x_j\\|^2$")))
    theorem = fill(THEOREM, rho=rational(rho, inline=True), mu=rational(mu, inline=True),
                   three=doc.q(3 * c0 * rho), twomuq=doc.q(2 * mu_q), bound=doc.q(2 * (mu_q - c0 * rho)))
    return Parts("An isolated strict local minimum with every hidden unit dead",
                 "the centre $c$, at which every hidden unit is dead, is the only local minimum of the loss in the "
                 f"closed ball of radius ${rational(rho, inline=True)}$ about it, strict, with quadratic growth "
                 f"$\\mu/2$ for $\\mu = {rational(mu, inline=True)}$ (Theorem~\\ref{{pscert:theorem}})",
                 None, "", "\n".join(lemmas), theorem)
