"""Lemmas that several evidence methods' proofs share: a-priori bounds, sign stability, Hessian
variation, positive definiteness of a shifted Hessian, and the kinks of the first hidden layer.

Each lemma states exactly what :mod:`proofs.checker` verifies (the docstring of the method's check) and
shows the numbers it compares. Every inequality the text asserts is recomputed here with exact
arithmetic and a :class:`~proofs.latex_format.LatexError` is raised if it fails, so a proof can never
state a false comparison. The method-specific lemmas live beside each method in :mod:`proofs.methods`.
"""

from __future__ import annotations

from fractions import Fraction
from math import isqrt
from typing import Any

from symbolic.linalg import ldl_pivots, to_fraction

from .checker.network import normal
from .checker.network import Bounds, bounds, derivatives, forward
from .checker.reading import read_pattern
from .latex_format import LatexError, decimal, vector
from .latex_setting import MAX_ROWS, Doc, fill

__all__ = ["LIST_PIVOTS", "SHOW_HESSIAN", "Bounds", "bounds", "require", "sqrt_upper", "apriori", "sign_lemma",
           "variation_lemma", "shifted", "pivots", "matrix_display", "pd_lemma", "kink_vector",
           "piece_pattern", "matches", "kink_lemmas"]

LIST_PIVOTS = 12
"""Largest ``P`` whose LDLᵀ pivots are listed."""

SHOW_HESSIAN = 8
"""Largest ``P`` whose Hessian at the centre is displayed."""


def require(ok: bool, what: str) -> None:
    """Refuse to write a false statement."""
    if not ok:
        raise LatexError(f"latex: {what} does not hold; was the certificate checked?")


def sqrt_upper(x: Fraction, digits: int = 3) -> Fraction:
    """A short decimal ``u > √x`` with about ``digits`` significant digits (``x > 0``).

    >>> sqrt_upper(Fraction(4)), sqrt_upper(Fraction(2))
    (Fraction(2001, 1000), Fraction(283, 200))
    """
    e = (len(str(x.numerator)) - len(str(x.denominator))) // 2 - digits
    scale = Fraction(10) ** e
    target = x / (scale * scale)
    n = isqrt(target.numerator // target.denominator)
    while n * n <= target:
        n += 1
    return n * scale


def apriori(doc: Doc, bd: Bounds) -> str:
    """Appendix A: the a-priori bounds on the box about the centre, their proof and their values."""
    p = doc.problem
    n, H, beta = p.widths, p.depth, int(p.biases)
    X = max(abs(v) for x in p.inputs for v in x)
    Y = max(abs(v) for y in p.targets for v in y)
    A = [X]
    for k in range(1, H + 2):
        A.append(bd.B * (n[k - 1] * A[k - 1] + beta))
    values = [("B", bd.B), ("X", X), ("Y", Y)] + [(f"A_{{{k}}}", A[k]) for k in range(1, H + 2)]
    values += [(f"F_1({m})", bd.F1[m]) for m in range(1, H + 2)] + [("R", A[H + 1] + Y), ("K", bd.K)]
    rows = "\n".join(f"${name}$ & ${decimal(v)}$ \\\\" for name, v in values)
    return fill(r"""
\section{A-priori bounds}\label{pscert:apriori}
Let $Q = \{\theta : |\theta_i - c_i| \le \rho \text{ for all } i\}$, a box containing $\bar B$, and
$\beta = <<beta>>$ ($1$ if the network has biases). Put $B = \max_i |c_i| + \rho$,
$X = \max_{j,i} |x_{j,i}|$, $Y = \max_{j,o} |y_{j,o}|$, $A_0 = X$, $A_k = B(n_{k-1} A_{k-1} + \beta)$,
$\tilde A_k = \max(A_k, \beta)$, $M(k,k) = 1$, $M(m,k) = n_{m-1} B\, M(m-1,k)$ for $m > k$, and
\begin{align*}
F_1(m) &= \max_{1 \le k \le m} M(m,k)\, \tilde A_{k-1}, \qquad
F_2 = \max_{1 \le k < l \le H+1} M(H{+}1,l)\, M(l{-}1,k)\, \tilde A_{k-1},\\
F_3 &= \max_{1 \le k < l < s \le H+1} M(H{+}1,s)\, M(s{-}1,l)\, M(l{-}1,k)\, \tilde A_{k-1}, \qquad
R = A_{H+1} + Y,\\
K &= \alpha\, N\, n_{H+1} \cdot 2\bigl(3 F_1(H{+}1) F_2 + R F_3\bigr)
\end{align*}
($F_2 = 0$ if $H < 1$, $F_3 = 0$ if $H < 2$). $P_m$ is the number of parameters of layers $1, \dots, m$.

\begin{lemma}[A-priori bounds]\label{pscert:lemma-apriori}
For every pattern $P$ and every $\theta \in Q$: every pre-activation and activation of layer $k$ of
$f_P$ is at most $A_k$ in absolute value; $|\partial z_{m,i} / \partial \theta_l| \le F_1(m)$ for every
parameter $\theta_l$; and every third partial derivative of $L_P$ is at most $K$ in absolute value.
\end{lemma}

\begin{proof}
The first claim follows by induction over the layers, since $|z_{k,i}| \le \sum_d |W_k[i,d]|\,
|a_{k-1,d}| + \beta |b_k[i]|$, every parameter is at most $B$ in absolute value on $Q$, and $D_k$ is a
$0/1$ matrix. For a fixed pattern, $f_P$ and each $z_m$ are affine in the parameters of any single layer.
By the chain rule $\partial z_m / \partial z_k = W_m D_{m-1} \cdots W_{k+1} D_k$ has entries at most
$M(m,k)$, and the derivative of $z_{k,i}$ with respect to $W_k[i,d]$ or $b_k[i]$ is $a_{k-1,d}$ or
$1$, both at most $\tilde A_{k-1}$; this gives $F_1$. A second (third) derivative of $f_P$ is nonzero
only for parameters of two (three) different layers and is bounded in the same way by $F_2$ ($F_3$),
while $|f_P - y| \le R$. The third derivative of $(f - y)^2$ is
$2(\partial_a f\, \partial_{bc} f + \partial_b f\, \partial_{ac} f + \partial_c f\, \partial_{ab} f)
+ 2 (f - y)\, \partial_{abc} f$, at most $2(3 F_1(H{+}1) F_2 + R F_3)$; the decay term is quadratic.
Summing over the $N$ samples and $n_{H+1}$ outputs with weight $\alpha$ gives $K$.
\end{proof}

These bounds are the ones of the certificate format (\texttt{proofs/FORMAT.md}). The checker evaluates
them exactly; the lemma itself is proved on paper, here, and is not machine-checked. For this
certificate (truncated decimals; exact values follow from the formulas):
\begin{center}
\begin{tabular}{ll}
\toprule quantity & value \\ \midrule
<<rows>>
\bottomrule
\end{tabular}
\end{center}
""", beta=str(beta), rows=rows)


def sign_lemma(doc: Doc, pattern_text: Any, bd: Bounds, label: str = "pscert:lemma-sign",
               first_layer: bool = True) -> str:
    """Lemma: every hidden pre-activation keeps the pattern's strict sign on the ball."""
    p, theta, rho = doc.problem, doc.theta or [], doc.radius
    if p.depth == 0 or p.activation != "relu":
        return fill(r"""
\begin{lemma}[One region]\label{<<label>>}
The network has no sign conditions (<<why>>), so $L = L_P$ everywhere.
\end{lemma}
""", label=label, why="no hidden layer" if p.depth == 0 else "identity activation")
    pattern = read_pattern(pattern_text, p, "evidence.pattern")
    run = forward(p, theta, pattern)
    rows = []
    for k in range(1 if first_layer else 2, p.depth + 1):
        need = bd.F1[k] ** 2 * bd.prefix[k] * rho * rho
        zs = [Fraction(z, run.s[k]) for sample in run.pre for z in sample[k - 1]]
        for j, sample in enumerate(run.pre):
            for i, z in enumerate(sample[k - 1]):
                require(z != 0 and (z > 0) == bool(pattern[j][k - 1][i]), f"the sign of z_{k},{i}(x_{j}; c)")
        least = min(z * z for z in zs)
        require(least > need, f"sign stability of layer {k}")
        rows.append(f"{k} & {bd.prefix[k]} & ${decimal(bd.F1[k])}$ & ${decimal(need)}$ & ${decimal(least)}$ \\\\")
    scope = "every hidden pre-activation" if first_layer else "every pre-activation of hidden layers $2, \\dots, H$"
    return fill(r"""
\begin{lemma}[Sign stability]\label{<<label>>}
On the closed ball $\bar B$, <<scope>> $z_{k,i}(x_j;\cdot)$ has the strict sign that the pattern
$P$ of Table~\ref{pscert:pattern} prescribes<<consequence>>.
\end{lemma}

\begin{proof}
The checker verifies, with exact rational arithmetic, that for every sample $j$ and unit $(k, i)$ the
pre-activation at the centre has the pattern's strict sign and
\[ z_{k,i}(x_j; c)^2 > F_1(k)^2\, P_k\, \rho^2 \]
(Appendix~\ref{pscert:apriori}). The binding cases per layer are (truncated decimals):
\begin{center}
\begin{tabular}{rllll}
\toprule $k$ & $P_k$ & $F_1(k)$ & $F_1(k)^2 P_k \rho^2$ & $\min_{j,i} z_{k,i}(x_j;c)^2$ \\ \midrule
<<rows>>
\bottomrule
\end{tabular}
\end{center}
Suppose the claim holds for the layers before $k$. Then on $\bar B$ the pre-activation $z_{k,i}(x_j;\cdot)$
agrees with the polynomial of the piece, which depends on the $P_k$ parameters of layers $1, \dots, k$
only, each of its partial derivatives being at most $F_1(k)$ on $Q \supseteq \bar B$
(Lemma~\ref{pscert:lemma-apriori}). For $\theta \in \bar B$ the mean-value theorem on the segment
$[c, \theta] \subseteq \bar B$ gives $|z_{k,i}(x_j;\theta) - z_{k,i}(x_j;c)| \le F_1(k) \sqrt{P_k}\,
\|\theta - c\|_2 \le F_1(k) \sqrt{P_k}\, \rho < |z_{k,i}(x_j;c)|$, so the sign is kept. Induction over
$k$ proves the claim; the strict inequalities persist on a neighbourhood of the compact set $\bar B$.
\end{proof}
""", label=label, scope=scope, rows="\n".join(rows),
        consequence=". Consequently $L = L_P$ on a neighbourhood of $\\bar B$" if first_layer else "")


def variation_lemma(doc: Doc, delta: Fraction, bd: Bounds, label: str = "pscert:lemma-variation") -> str:
    """Lemma: the Hessian of every piece moves by at most ``δ`` on the ball."""
    require(delta >= 0 and delta * delta >= bd.delta_squared, "delta ≥ 0 and delta² ≥ P³K²ρ²")
    return fill(r"""
\begin{lemma}[Hessian variation]\label{<<label>>}
Let $\delta = <<delta>>$. For every pattern $P$, with $H_0 = \nabla^2 L_P(c)$, and every $\theta \in
\bar B$, $\|\nabla^2 L_P(\theta) - H_0\|_2 \le P^{3/2} K \rho \le \delta$.
\end{lemma}

\begin{proof}
For parameters $a, b$ the mean-value theorem on $[c, \theta] \subseteq \bar B \subseteq Q$ and
Lemma~\ref{pscert:lemma-apriori} give $|\partial_{ab} L_P(\theta) - \partial_{ab} L_P(c)| \le
K \|\theta - c\|_1 \le K \sqrt{P} \rho$, so the spectral norm, at most the Frobenius norm, is at most
$P^{3/2} K \rho$. The checker verifies $\delta \ge 0$ and $\delta^2 \ge P^3 K^2 \rho^2$ exactly; here
$P = <<P>>$, $K = <<K>>$ and $P^3 K^2 \rho^2 = <<need>>$.
\end{proof}
""", label=label, delta=doc.q(delta, "the Hessian variation bound $\\delta$"), P=str(doc.P),
        K=decimal(bd.K), need=decimal(bd.delta_squared))


def shifted(doc: Doc, pattern_text: Any, shift: Fraction) -> tuple[list[list[Fraction]], list[Fraction], Fraction]:
    """``∇²L_P(c) − shift·I`` (exact), the gradient and the loss at the centre."""
    p = doc.problem
    pattern = read_pattern(pattern_text, p, "evidence.pattern")
    d = derivatives(p, doc.theta or [], forward(p, doc.theta or [], pattern))
    A = [[Fraction(v, d.hess_den) for v in row] for row in d.hess_num]
    for i in range(len(A)):
        A[i][i] -= shift
    return A, d.grad, d.loss


def matrix_display(rows: list[list[Fraction]], digits: int = 4) -> str:
    """A small matrix of truncated decimals."""
    body = " \\\\\n".join(" & ".join(decimal(v, digits) for v in row) for row in rows)
    return f"\\begin{{pmatrix}}\n{body}\n\\end{{pmatrix}}"


def pd_how(A: list[list[Fraction]], pd: dict[str, Any]) -> str:
    """The proof that the exact symmetric ``A`` is positive definite by its witness ``pd`` (checked here first)."""
    P = len(A)
    if pd["method"] == "ldl":
        how = ("Symmetric Gaussian elimination without pivoting ($A = L D L^\\top$, $L$ unit lower triangular) "
               f"has all {P} pivots positive, so $D$ and hence $A$ are positive definite.")
        if P <= LIST_PIVOTS:
            piv = pivots(A)
            require(len(piv) == P and all(v > 0 for v in piv), "positivity of the LDLᵀ pivots")
            how += " The pivots are (truncated) $" + vector([decimal(v) for v in piv]) + "$."
    elif pd["method"] == "cholesky":
        how = _cholesky_how(A)
    else:
        how = ("The certificate gives a lower-triangular matrix $T$ with positive diagonal such that "
               "$C = T A T^\\top$ is strictly diagonally dominant with positive diagonal; by Gershgorin's "
               "theorem $C$ is positive definite, and so is $A = T^{-1} C T^{-\\top}$. The entries of $T$ "
               "are in the certificate (\\texttt{evidence.pd.T}).")
    return how


def pd_lemma(doc: Doc, pattern_text: Any, delta: Fraction, pd: dict[str, Any], label: str,
             piece: str = "P") -> str:
    """Lemma: ``∇²L_P ⪰ μI`` on the ball, from the positive-definiteness certificate of ``H_0 − (μ+δ)I``."""
    mu = doc.mu or Fraction(0)
    A, _, _ = shifted(doc, pattern_text, mu + delta)
    P = len(A)
    how = pd_how(A, pd)
    hess = ""
    if P <= SHOW_HESSIAN:
        H0 = [[v + (mu + delta if i == m else 0) for m, v in enumerate(row)] for i, row in enumerate(A)]
        hess = f"\nFor reference (entries truncated), \\[ H_0 = {matrix_display(H0)}. \\]"
    return fill(r"""
\begin{lemma}[Strong convexity of the piece]\label{<<label>>}
$\nabla^2 L_{<<piece>>}(\theta) \succeq \mu I$ for every $\theta \in \bar B$, with $\mu = <<mu>>$.
\end{lemma}

\begin{proof}
Let $A = H_0 - (\mu + \delta) I$, a symmetric $<<P>> \times <<P>>$ matrix computed exactly by the checker
(method \texttt{<<method>>}). <<how>> Hence $\lambda_{\min}(H_0) > \mu + \delta$ and, by Weyl's
inequality and Lemma~\ref{pscert:lemma-variation}, $\lambda_{\min}(\nabla^2 L_{<<piece>>}(\theta)) \ge
\lambda_{\min}(H_0) - \|\nabla^2 L_{<<piece>>}(\theta) - H_0\|_2 > \mu$ on $\bar B$.<<hess>>
\end{proof}
""", label=label, piece=piece, mu=doc.q(mu, "the modulus $\\mu$"), P=str(P), method=pd["method"], how=how,
        hess=hess)


def _cholesky_how(A: list[list[Fraction]]) -> str:
    """The proof step of a ``cholesky`` witness: Rump's float test, or the exact pivots when it declined."""
    from .checker.arith import Budget, matrix_over_common
    from .checker.cholesky import proves_positive_definite
    from .checker.reading import MAX_WORK

    ints, den = matrix_over_common(A)
    n = len(A)
    if proves_positive_definite(ints, den, Budget(MAX_WORK)):
        return (r"The checker scales $A$ by a power of two, rounds it down to an integer matrix $Q$ whose entries "
                r"are exact in IEEE binary64, and factorises $Q - CI$ by Cholesky in binary64 arithmetic, with "
                r"$C = \lceil n + (\gamma_{n+1} \operatorname{tr} Q + n\tau)/(1 - \gamma_{n+1}) \rceil$, "
                rf"$n = {n}$, $\gamma_m = mu/(1 - mu)$, $u = 2^{{-53}}$ and $\tau$ a bound on the underflow errors. "
                r"The factorisation runs to completion. Its computed factor satisfies $\hat R^\top \hat R = Q - CI + "
                r"\Delta$ with $\|\Delta\|_2 \le (\gamma_{n+1} \operatorname{tr} Q + n\tau)/(1 - \gamma_{n+1})$ "
                r"(Higham, \emph{Accuracy and Stability of Numerical Algorithms}, Thm.~10.3), and rounding the "
                r"scaled $A$ down to $Q$ moves it by less than $n$ in the 2-norm, so $A$ is positive definite (Rump, \emph{BIT} 46 "
                r"(2006), Cor.~2.4; the checker's module \texttt{cholesky} states the theorem and its "
                r"floating-point assumptions).")
    return (r"The checker's floating-point Cholesky test (Rump, \emph{BIT} 46 (2006)) does not decide this "
            r"matrix, so it runs symmetric Gaussian elimination without pivoting ($A = L D L^\top$) exactly: "
            f"all {n} pivots are positive, so $D$ and hence $A$ are positive definite.")


def pivots(A: list[list[Fraction]]) -> list[Fraction]:
    """The LDLᵀ pivots of ``A`` (no pivoting, up to the first non-positive one), as fractions."""
    return [to_fraction(v) for v in ldl_pivots(A)]


def kink_vector(doc: Doc, j: int, i: int) -> list[Fraction]:
    """``a`` with ``z_{1,i}(x_j; θ) = a·θ``, dense, from the checker's own definition."""
    a = [Fraction(0)] * doc.problem.count
    for p, v in normal(doc.problem, j, i).items():
        a[p] = v
    return a


def piece_pattern(base: Any, cons: list[tuple[int, int]], signs: str) -> list[list[str]]:
    """The base pattern with the constraints' first-layer entries set by ``signs``."""
    out = [[list(bits) for bits in sample] for sample in base]
    for (j, i), s in zip(cons, signs):
        out[j][0][i] = s
    return [["".join(bits) for bits in sample] for sample in out]


def matches(signs: str, pattern: str) -> bool:
    return all(p == "*" or p == s for s, p in zip(signs, pattern))


def kink_lemmas(doc: Doc, cons: list[tuple[int, int]], bd: Bounds) -> list[str]:
    """The lemmas shared by ``boundary_ball`` and ``kink_ball``: the kinks vanish at the centre, every
    other first-layer unit is clear of its hyperplane, and (depth ≥ 2) the deeper units keep their signs."""
    ev, prob, theta, rho = doc.evidence, doc.problem, doc.theta or [], doc.radius
    run = forward(prob, theta, read_pattern(ev["pattern"], prob, "evidence.pattern"))
    for j, i in cons:
        a = kink_vector(doc, j, i)
        require(sum((x * t for x, t in zip(a, theta)), Fraction(0)) == 0, f"z_1,{i}(x_{j}; c) = 0")
    clear = []
    for j, sample in enumerate(run.pre):
        xn2 = sum((v * v for v in prob.inputs[j]), Fraction(0)) + int(prob.biases)
        for i, z in enumerate(sample[0]):
            if (j, i) not in cons:
                zz = Fraction(z * z, run.s[1] ** 2)
                require(zz > rho * rho * xn2, f"|z_1,{i}(x_{j}; c)| > ρ‖x̃_{j}‖")
                clear.append(zz / xn2)
    slack = decimal(min(clear)) if clear else None
    cons_text = ", ".join(f"$({j}, {i})$" for j, i in cons[:MAX_ROWS])
    lemmas = [fill(r"""
\begin{lemma}[The kinks]\label{pscert:lemma-kinks}
The $M = <<M>>$ constraints $(j, i) \in \{<<cons>>\}$ of the certificate (sample $j$, unit $i$ of the first
hidden layer) vanish at the centre: $z_{1,i}(x_j; c) = a_{j,i}^\top c = 0$, where the linear form
$z_{1,i}(x_j;\theta) = a_{j,i}^\top \theta$ has $\tilde x_j$ in the incoming coordinates of unit $i$ and
zeros elsewhere.<<others>>
\end{lemma}

\begin{proof}
Exact evaluation at $c$<<proof>>.
\end{proof}
""", M=str(len(cons)), cons=cons_text, others=" There are no other first-layer pre-activations." if slack is None else
        " Every other first-layer pre-activation satisfies $|z_{1,i}(x_j; c)| > \\rho\\, \\|\\tilde x_j\\|_2$ "
        f"(indeed $\\min z^2/\\|\\tilde x_j\\|^2 = {slack}$ against $\\rho^2$), so it keeps its strict sign "
        "on $\\bar B$.",
        proof="" if slack is None else "; and $|z_{1,i}(x_j;\\theta) - z_{1,i}(x_j;c)| = |\\tilde x_j^\\top "
        "(v_i(\\theta) - v_i(c))| \\le \\|\\tilde x_j\\|\\, \\rho$ for $\\theta \\in \\bar B$, $v_i$ being unit $i$'s "
        "incoming parameters")]
    if prob.depth >= 2:
        lemmas.append(sign_lemma(doc, ev["pattern"], bd, first_layer=False).replace(
            "\\end{proof}", "Along the segment $[c, \\theta]$ the piece may change where it crosses a kink "
            "hyperplane; on each of the finitely many sub-segments the same derivative bound applies, so the "
            "estimate holds for the whole segment.\n\\end{proof}", 1))
    return lemmas
