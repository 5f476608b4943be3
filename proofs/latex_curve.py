"""Lemmas of the ``curve`` certificates: a descent curve or a constant-loss curve through the centre.

The checker (``proofs/checker/__init__.py``) verifies: ``t0 > 0``; ``q > 0`` on ``[0, t0]`` by
dominance of ``q(0)``; ``γ(0) = c``; every hidden pre-activation along ``γ`` is ``Z(t)/q(t)^k`` with
``Z ≡ 0`` or its lowest nonzero coefficient dominating on ``(0, t0]``; and
``Λ(t) = q^{2(H+1)}·(L(γ(t)) − L(c))`` has a dominating negative lowest coefficient (descent) or is
``≡ 0`` with ``γ`` not constant (constant). The lemmas below say exactly that.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from .checker.network import curve_loss, germ_sign, poly_add, poly_trim
from .latex_ball import require
from .latex_format import poly, poly_display, rational
from .latex_setting import MAX_ROWS, Doc, Parts, fill, longtable

LIST_NUMERATORS = 24
"""Most hidden pre-activation numerators listed one by one."""


def tail(p: Sequence[Fraction], t0: Fraction) -> tuple[int, Fraction]:
    """``(m, Σ_{k>m} |p_k| t0^{k−m})`` for the lowest nonzero coefficient ``p_m``; ``(-1, 0)`` if ``p ≡ 0``."""
    p = poly_trim(list(p))
    m = next((i for i, c in enumerate(p) if c), -1)
    if m < 0:
        return -1, Fraction(0)
    return m, sum((abs(c) * t0 ** (k - m) for k, c in enumerate(p) if k > m), Fraction(0))


def _poly(p: Sequence[Fraction]) -> str:
    return poly(poly_trim(list(p)), fmt=rational)


def curve(doc: Doc) -> Parts:
    """Lemmas and theorem for ``curve`` evidence (kind ``descent`` or ``constant``)."""
    ev, prob, theta = doc.evidence, doc.problem, doc.theta or []
    nums = [[Fraction(c) for c in p] for p in ev["numerators"]]
    q = [Fraction(c) for c in ev["denominator"]]
    t0 = Fraction(ev["t0"])
    kind = ev["kind"]
    H = prob.depth
    qsum = sum((abs(c) * t0 ** k for k, c in enumerate(q) if k), Fraction(0))
    require(t0 > 0 and q[0] > qsum, "q(0) > Σ|q_k| t0^k")
    require(all(n[0] == c * q[0] for n, c in zip(nums, theta)), "γ(0) = c")
    result = curve_loss(prob, theta, nums, q)
    relu = prob.activation == "relu"

    # the pattern along γ on (0, t0]: active iff the numerator is eventually positive
    per: dict[int, dict[int, list[str]]] = {}
    rows = []
    for where, Z in result.hidden:
        _, j, _, k, _, i = where.split()
        m, s = tail(Z, t0)
        if relu:
            require(m < 0 or s < abs(Z[m]), f"the dominance test for {where}")
        sign = germ_sign(Z)
        per.setdefault(int(j), {}).setdefault(int(k), []).append("1" if sign > 0 or not relu else "0")
        word = "$\\equiv 0$" if sign == 0 else ("$> 0$" if sign > 0 else "$< 0$")
        rows.append(f"{j} & {k} & {i} & ${_poly(Z)}$ & {word} \\\\")
    pattern = [["".join(per[j][k]) for k in range(1, H + 1)] for j in range(len(prob.inputs))] if H else None

    lam = result.Lambda
    lm, lsum = tail(lam, t0)
    if kind == "descent":
        require(lm >= 0 and lam[lm] < 0 and lsum < -lam[lm], "the dominance of Λ's lowest coefficient")
    else:
        require(lm < 0, "Λ ≡ 0")
    moving = [i for i, (n, c) in enumerate(zip(nums, theta)) if poly_trim(poly_add(n, [-c * x for x in q]))]
    if kind == "constant":
        require(bool(moving), "γ is not constant")

    comp = [f"{i} & ${name}$ & ${_poly(n)}$ \\\\" for i, (name, n) in enumerate(zip(doc.names(), nums))][:MAX_ROWS]
    if len(nums) > MAX_ROWS:
        comp.append(f"\\multicolumn{{3}}{{l}}{{\\dots\\ parameters {MAX_ROWS} to {len(nums) - 1}: "
                    "see the certificate} \\\\")
    lemmas = [fill(r"""
\begin{lemma}[The curve]\label{pscert:lemma-curve}
Let $t_0 = <<t0>>$, $q(t) = <<q>>$ and, for each parameter $i$, $\gamma_i(t) = N_i(t) / q(t)$ with the
numerators $N_i$ of Table~\ref{pscert:numerators}. Then $q > 0$ on $[0, t_0]$, so $\gamma$ is a
continuous (rational) curve on $[0, t_0]$, and $\gamma(0) = c$.
\end{lemma}

<<table>>

\begin{proof}
The checker verifies $q(0) = <<q0>> > \sum_{k \ge 1} |q_k|\, t_0^k = <<qsum>>$, which gives $q(t) \ge
q(0) - \sum_{k \ge 1} |q_k| t^k > 0$ for $0 \le t \le t_0$, and $N_i(0) = c_i\, q(0)$ for every $i$.
\end{proof}
""", t0=doc.q(t0, "$t_0$"), q=_poly(q), q0=doc.q(q[0]), qsum=doc.q(qsum),
        table=longtable("rl>{\\raggedright\\arraybackslash}p{0.7\\textwidth}",
                        "The numerators $N_i(t)$ of the curve $\\gamma(t) = N(t)/q(t)$ (long coefficients abbreviated; "
                        "exact in the certificate's \\texttt{evidence.numerators}).", "pscert:numerators",
                        "$i$ & $\\theta_i$ & $N_i(t)$", comp))]

    if H and relu:
        listing = ""
        if len(rows) <= LIST_NUMERATORS:
            listing = longtable("rrr>{\\raggedright\\arraybackslash}p{0.55\\textwidth}l",
                                "The numerators $Z_{k,i,j}$ of the hidden pre-activations along the curve "
                                "(long coefficients abbreviated).", "pscert:hidden",
                                "$j$ & $k$ & $i$ & $Z_{k,i,j}(t)$ & sign on $(0, t_0]$", rows)
        lemmas.append(fill(r"""
\begin{lemma}[The pattern along the curve]\label{pscert:lemma-along}
For $0 < t \le t_0$, every hidden pre-activation along the curve has the form $z_{k,i}(x_j;\gamma(t)) =
Z_{k,i,j}(t) / q(t)^k$ with a polynomial $Z_{k,i,j}$ that vanishes identically or has one strict sign on
$(0, t_0]$. Hence, for $0 < t \le t_0$, the network at $\gamma(t)$ computes the piece of the fixed pattern
$P_\gamma$ of Table~\ref{pscert:pattern}, and $L(\gamma(t))$ is a rational function of $t$.
\end{lemma}

\begin{proof}
Layer by layer, $Z_{k} = \sum_d N_{W_k}[i,d]\, D_{k-1} Z_{k-1}[d] + N_{b_k}[i]\, q^{k-1}$ (the bias term
only with biases), where $D_{k-1}$ keeps exactly the numerators of positive sign. For each $Z$ the checker
verifies that it is the zero polynomial or that its lowest nonzero coefficient $Z_m$ dominates:
$\sum_{k > m} |Z_k|\, t_0^{k-m} < |Z_m|$, so $|\sum_{k > m} Z_k t^k| < |Z_m| t^m$ and $Z(t)$ has the sign
of $Z_m$ for $0 < t \le t_0$. Since $q > 0$, $\sigma(Z/q^k)$ is $Z/q^k$ or $0$ accordingly<<where>>.
\end{proof}
<<listing>>""", listing=listing, where=" (Table~\\ref{pscert:hidden})" if listing else
             f" (the {len(rows)} numerators are too many to list here)"))

    along = "Lemma~\\ref{pscert:lemma-along}" if H and relu else "the absence of sign conditions"
    lam_text = poly_display("\\Lambda(t)", poly_trim(list(lam)))
    if kind == "descent":
        lemmas.append(fill(r"""
\begin{lemma}[The loss decreases along the curve]\label{pscert:lemma-loss}
$\Lambda(t) = q(t)^{<<e>>} \bigl(L(\gamma(t)) - L(c)\bigr) < 0$ for $0 < t \le t_0$, where
<<lam>>
\end{lemma}

\begin{proof}
By <<along>>, $\Lambda$ is the polynomial above, computed exactly by the checker
(the data term over $q^{2(H+1)}$, the decay term over $q^2$). Its lowest nonzero coefficient is
$\Lambda_{<<m>>} = <<lead>> < 0$ and it dominates on $(0, t_0]$:
$\sum_{k > <<m>>} |\Lambda_k|\, t_0^{k-<<m>>} = <<lsum>> < |\Lambda_{<<m>>}|$. Hence $\Lambda(t)$ has the sign
of $\Lambda_{<<m>>} t^{<<m>>}$ there.
\end{proof}
""", along=along, e=str(2 * (H + 1)), lam=lam_text, m=str(lm), lead=doc.q(lam[lm]), lsum=doc.q(lsum)))
        theorem = fill(r"""
\begin{theorem}\label{pscert:theorem}
The centre $c$ of Table~\ref{pscert:parameters} is not a local minimum of $L$: for every $t$ with
$0 < t \le t_0 = <<t0>>$, $L(\gamma(t)) < L(c)$, and $\gamma(t) \to c$ as $t \to 0^+$.
\end{theorem}

\begin{proof}
By Lemma~\ref{pscert:lemma-curve}, $q > 0$ on $[0, t_0]$, so Lemma~\ref{pscert:lemma-loss} gives
$L(\gamma(t)) - L(c) = \Lambda(t) / q(t)^{<<e>>} < 0$ for $0 < t \le t_0$. The curve is continuous with
$\gamma(0) = c$, so every neighbourhood of $c$ contains points $\gamma(t)$ with a smaller loss.
\end{proof}
""", t0=rational(t0, inline=True), e=str(2 * (H + 1)))
        headline, summary = "The point is not a local minimum", "the centre $c$ is not a local minimum of the loss"
    else:
        lemmas.append(fill(r"""
\begin{lemma}[The loss is constant along the curve]\label{pscert:lemma-loss}
$\Lambda(t) = q(t)^{<<e>>} \bigl(L(\gamma(t)) - L(c)\bigr)$ is the zero polynomial, and $\gamma$ is not
constant: $N_{<<i>>}(t) - c_{<<i>>}\, q(t)$ is a nonzero polynomial.
\end{lemma}

\begin{proof}
By <<along>> the checker computes $\Lambda$ exactly as a polynomial and finds every
coefficient zero; it also finds $N_{<<i>>} - c_{<<i>>} q \ne 0$<<others>>.
\end{proof}
""", along=along, e=str(2 * (H + 1)), i=str(moving[0]),
            others="" if len(moving) == 1 else f" (and likewise for {len(moving) - 1} other parameter(s))"))
        theorem = fill(r"""
\begin{theorem}\label{pscert:theorem}
The centre $c$ of Table~\ref{pscert:parameters} is not an isolated local minimum of $L$: $L(\gamma(t)) =
L(c)$ for $0 \le t \le t_0 = <<t0>>$, and $\gamma(t) \ne c$ for all but finitely many such $t$.
\end{theorem}

\begin{proof}
By Lemmas~\ref{pscert:lemma-curve} and~\ref{pscert:lemma-loss}, $L(\gamma(t)) - L(c) = \Lambda(t) /
q(t)^{<<e>>} = 0$ on $(0, t_0]$, and at $t = 0$ trivially. As $N_{<<i>>} - c_{<<i>>} q$ is a nonzero
polynomial it has finitely many roots, so $\gamma(t) \ne c$ for all other $t$, while $\gamma(t) \to c$
as $t \to 0^+$. If $c$ is not a local minimum there is nothing to prove. If it is one, say $L \ge L(c)$
on a ball $U$ about $c$, then every $\gamma(t) \ne c$ in the ball of half the radius is a local minimum
too ($L(\gamma(t)) = L(c) \le L$ on a neighbourhood of $\gamma(t)$ inside $U$), so local minima
accumulate at $c$: it is not isolated (nor strict).
\end{proof}
""", t0=rational(t0, inline=True), e=str(2 * (H + 1)), i=str(moving[0]))
        headline, summary = ("The point is not an isolated local minimum",
                             "the centre $c$ is not an isolated local minimum of the loss")
    note = "the pattern along the curve $\\gamma(t)$ for $0 < t \\le t_0$"
    return Parts(headline, summary, pattern, note, "\n".join(lemmas), theorem)
