"""Evidence ``collapsed_network``: two or more hidden layers, every hidden unit dead (collapsed by weight decay).

Search: when every parameter but the output bias is (within rounding of) 0, the point is snapped to the
exact centre (those parameters exactly 0, the output bias the exact minimiser ``b* = α Σ_j y_j / (αN + λ)``),
and the largest radius ``ρ = 2^-k`` is found for which the a-priori bounds ``coupling`` (``K``) and ``h_sum``
(``M``) leave every coefficient of the checker's growth and radial-derivative bounds positive, with the
growth ``μ' = λ(1 − ‖b*‖) − K`` at least half of ``λ(1 − ‖b*‖)``. Unlike one hidden layer, no arrangement
is listed: the path through a dead layer below the last is a product of three small factors, so only
the bias path ``b_H → A`` competes with the decay, and it loses exactly when ``‖b*‖ < 1``.

``‖b*‖ > 1``: the centre is a saddle (growing a last-layer bias ``t`` with outgoing column ``t·b*`` lowers
``L`` by ``λt²(‖b*‖² − 1) + O(t⁴)``); the search builds that exact descent curve and the ``curve`` rule
checks it. ``‖b*‖ = 1``: UNKNOWN.

Evidence keys (``proofs/FORMAT.md``): ``bstar_norm``, ``coupling``, ``h_sum``. The lemma that acceptance
proves is in ``proofs/checker/collapse.py``; the proof's lemmas follow it, and every inequality printed is
recomputed here first (a failure is a :class:`~proofs.latex_format.LatexError`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

from symbolic.problem import Problem
from symbolic.rationals import canonical

from ..assemble import Verdict, certificate, checked, short, sqrt_above
from ..latex_format import rational
from ..latex_lemmas import require
from ..latex_setting import Doc, Parts, fill
from . import curve, renders

TOLERANCE = 1e-7
"""How close to 0 (relative to ``max(1, ‖θ‖∞)``) every parameter but the output bias must be for a snap."""

DEEPEST = 200
"""The smallest radius tried is ``2^-DEEPEST``."""


def search(problem: Problem, theta: list[Fraction], say: Callable[[str], None]) -> Verdict | None:
    """A ``collapsed_network`` certificate (or a saddle's descent curve) when every hidden unit of a
    network with two or more hidden layers is (within rounding of) dead, else ``None``."""
    if problem.depth < 2 or problem.activation != "relu" or problem.weight_decay <= 0:
        return None
    if problem.biases and not problem.decay_biases:
        return None
    n_out, N, H = problem.widths[-1], problem.samples, problem.depth
    hidden = problem.parameter_count - (n_out if problem.biases else 0)
    scale = max(1.0, max(abs(float(t)) for t in theta))
    if any(abs(float(t)) > TOLERANCE * scale for t in theta[:hidden]):
        return None
    alpha, lam = problem.alpha, problem.weight_decay
    b_star = [alpha * sum((y[o] for y in problem.targets), Fraction(0)) / (alpha * N + lam) if problem.biases
              else Fraction(0) for o in range(n_out)]
    c = [Fraction(0)] * hidden + (b_star if problem.biases else [])
    bstar2 = sum((b * b for b in b_star), Fraction(0))
    if bstar2 > 1:
        say("every hidden unit is dead and ‖b*‖ > 1: growing a last-layer bias along b*")
        return saddle(problem, c, b_star)
    if bstar2 == 1:
        return Verdict("UNKNOWN", "every hidden unit is dead and the output bias has norm exactly 1: the decay and the "
                       "bias path of the last hidden layer balance to second order (undecided)")
    say("every hidden unit is dead: bounding the paths through the dead layers")
    nu = next((v for v in (sqrt_above(bstar2, bits) for bits in (16, 32, 64, 128)) if v < 1), None)
    if nu is None:
        return Verdict("UNKNOWN", "every hidden unit is dead but ‖b*‖ is too close to 1 to bound below it")
    found = _radius(problem, c, nu)
    if found is None:
        return Verdict("UNKNOWN", f"every hidden unit is dead, but no radius down to 2^-{DEEPEST} makes the paths "
                       "through the dead layers smaller than the decay")
    rho, K, M = found
    mu_q = lam * (1 - nu) - K
    mu = _simple_below(2 * mu_q)
    evidence = {"method": "collapsed_network", "bstar_norm": canonical(nu), "coupling": canonical(K),
                "h_sum": canonical(M)}
    cert = certificate(problem, "CERTIFIED", "isolated_local_minimum", c, rho, evidence, mu)
    snapped = any(t != v for t, v in zip(theta, c))
    note = " (about the snapped centre: every parameter but the output bias set exactly to 0" + \
        (", the output bias to its exact minimiser)" if problem.biases else ")") if snapped else ""
    bias = (f"the output bias has norm at most {short(nu, 'up')} < 1" if problem.biases
            else "there is no output bias")
    reason = (f"isolated strict local minimum: every hidden unit of the {H} hidden layers is dead and {bias}; L grows at least μ/2 = {short(mu / 2)} times the squared "
              f"distance on the ball of radius {short(rho)}{note}")
    facts = {"mu": canonical(mu), "radius": canonical(rho), "bstar_norm": canonical(nu), "coupling": canonical(K)}
    return checked(Verdict("CERTIFIED", reason, "isolated_local_minimum", cert, facts))


def bounds(problem: Problem, c: list[Fraction], rho: Fraction) -> tuple[Fraction, Fraction]:
    """``(α²·Σ‖r_j‖²·Σ_j S_{H−1,j}, α²·N·Σ_j S_{H,j})``: what ``coupling²`` and ``h_sum²`` must reach at ``ρ``."""
    n_out, N, H, alpha = problem.widths[-1], problem.samples, problem.depth, problem.alpha
    b = c[len(c) - n_out:] if problem.biases else [Fraction(0)] * n_out
    one = 1 if problem.biases else 0
    T = [sum((v * v for x in problem.inputs for v in x), Fraction(0))]
    for _ in range(H):
        T.append(rho * rho * (T[-1] + N * one))
    r2 = sum(((b[o] - y[o]) ** 2 for y in problem.targets for o in range(n_out)), Fraction(0))
    return alpha * alpha * r2 * T[H - 1], alpha * alpha * N * T[H]


def conditions(lam: Fraction, H: int, nu: Fraction, K: Fraction, M: Fraction) -> list[tuple[Fraction, str]]:
    """The three coefficients the checker requires positive, with their names."""
    return [(2 * lam - (2 * H + 1) * M, "2λ − (2H+1)·h_sum"),
            (2 * H * lam * (1 - nu) - 2 * H * K - (2 * H + 1) * M, "2Hλ(1 − bstar_norm) − 2H·coupling − (2H+1)·h_sum"),
            (2 * lam - 2 * H * K, "2λ − 2H·coupling")]


def _radius(problem: Problem, c: list[Fraction], nu: Fraction) -> tuple[Fraction, Fraction, Fraction] | None:
    """The largest ``ρ = 2^-k`` whose bounds pass with ``K ≤ λ(1 − ν)/2``, and its ``(ρ, K, M)``."""
    lam, H = problem.weight_decay, problem.depth
    for k in range(DEEPEST + 1):
        rho = Fraction(1, 2 ** k)
        need_K, need_M = bounds(problem, c, rho)
        K, M = sqrt_above(need_K), sqrt_above(need_M)
        if 2 * K <= lam * (1 - nu) and all(v > 0 for v, _ in conditions(lam, H, nu, K, M)):
            return rho, K, M
    return None


def _simple_below(x: Fraction) -> Fraction:
    """A short dyadic in ``(x/2, x]`` for ``x > 0``."""
    k = 0
    while Fraction(1, 2 ** k) > x:
        k += 1
    step = Fraction(1, 2 ** (k + 12))
    return (x // step) * step


def saddle(problem: Problem, c: list[Fraction], b_star: list[Fraction]) -> Verdict:
    """``‖b*‖ > 1``: the exact curve ``b_{H,0} = t``, ``A_{:,0} = t·b*`` (all else at the centre), along which
    ``L(t) − L(c) = λt²(1 − ‖b*‖²) + αN‖b*‖²t⁴``, refuted by the ``curve`` rule."""
    if not problem.biases:
        return Verdict("UNKNOWN", "every hidden unit is dead; without biases there is no output bias to grow along")
    n_out, H = problem.widths[-1], problem.depth
    w = problem.widths
    start = sum(problem.layer_sizes[:H - 1])            # layer H: its rows of W_H, then b_H
    numerators = [[v] for v in c]
    numerators[start + w[H] * w[H - 1]] = [Fraction(0), Fraction(1)]            # b_H[0] = t
    for o in range(n_out):
        numerators[start + problem.layer_sizes[H - 1] + o * w[H]] = [Fraction(0), b_star[o]]  # A[o, 0] = t·b*_o
    cert = curve.curve_certificate(problem, c, "not_a_local_minimum", "descent", numerators, [Fraction(1)])
    if cert is None:
        return Verdict("UNKNOWN", "every hidden unit is dead and ‖b*‖ > 1 (a saddle), but its descent curve was not "
                       "accepted")
    b2 = sum((b * b for b in b_star), Fraction(0))
    reason = (f"the centre is not a local minimum: every hidden unit is dead and the output bias has ‖b*‖² = "
              f"{short(b2)} > 1, so growing bias 0 of hidden layer {H} by t with outgoing weights t·b* lowers L by "
              f"λ(‖b*‖² − 1)·t² − O(t⁴)")
    return checked(Verdict("REFUTED", reason, "not_a_local_minimum", cert, {"t0": cert["evidence"]["t0"]}))


@renders("collapsed_network")
def render(doc: Doc) -> Parts:
    """Lemmas and theorem for ``collapsed_network`` evidence."""
    ev, prob, theta, rho = doc.evidence, doc.problem, doc.theta or [], doc.radius
    mu = doc.mu or Fraction(0)
    H, lam, alpha, N, n_out = prob.depth, prob.weight_decay, prob.alpha, len(prob.inputs), prob.widths[-1]
    require(H >= 2 and prob.activation == "relu", "a ReLU network with at least two hidden layers")
    require(not prob.biases or prob.decay_biases, "decayed biases")
    hidden = doc.P - (n_out if prob.biases else 0)
    require(all(v == 0 for v in theta[:hidden]), "every parameter of the centre but the output bias is 0")
    bstar = theta[hidden:] if prob.biases else [Fraction(0)] * n_out
    res = [[bstar[o] - y[o] for o in range(n_out)] for y in prob.targets]
    if prob.biases:
        require(all(alpha * sum(r[o] for r in res) + lam * bstar[o] == 0 for o in range(n_out)),
                "α Σ_j r_j + λ b* = 0")
    nu, K, M = Fraction(ev["bstar_norm"]), Fraction(ev["coupling"]), Fraction(ev["h_sum"])
    b2 = sum((b * b for b in bstar), Fraction(0))
    require(0 <= nu < 1 and nu * nu >= b2, "0 ≤ ν < 1 and ν² ≥ ‖b*‖²")
    one = Fraction(1) if prob.biases else Fraction(0)
    T = [sum((v * v for x in prob.inputs for v in x), Fraction(0))]
    for _ in range(H):
        T.append(rho * rho * (T[-1] + N * one))
    r2 = sum((v * v for r in res for v in r), Fraction(0))
    need_K, need_M = alpha * alpha * r2 * T[H - 1], alpha * alpha * N * T[H]
    require(K >= 0 and K * K >= need_K, "K² ≥ α²·Σ‖r_j‖²·Σ_j S_{H−1,j}")
    require(M >= 0 and M * M >= need_M, "M² ≥ α²·N·Σ_j S_{H,j}")
    coeffs = conditions(lam, H, nu, K, M)
    for value, what in coeffs:
        require(value > 0, f"{what} > 0")
    mu_q = lam * (1 - nu) - K
    require(0 < mu <= 2 * mu_q, "0 < μ ≤ 2(λ(1 − ν) − K)")
    vec = ", ".join(rational(v) for v in bstar)
    crit = ("The decay of every bias equals $\\lambda$, and the output bias is exactly critical: $\\alpha \\sum_j "
            "r_j + \\lambda b^* = 0$." if prob.biases else "The network has no biases.")
    plus = " + 1" if prob.biases else ""
    lemmas = [fill(CENTRE, H=str(H), bstar=f"({vec})" if n_out > 1 else vec, crit=crit),
              fill(BOUNDS, plus=plus, H=str(H), Hm=str(H - 1), K=doc.q(K, "$K$"), M=doc.q(M, "$M$"),
                   nu=doc.q(nu, "$\\nu$"), needK=doc.q(need_K), needM=doc.q(need_M), b2=doc.q(b2))]
    theorem = fill(THEOREM, H=str(H), rho=rational(rho, inline=True), mu=rational(mu, inline=True),
                   c1=doc.q(coeffs[0][0]), c2=doc.q(coeffs[1][0]), c3=doc.q(coeffs[2][0]), muq=doc.q(mu_q, "$\\mu'$"),
                   H2=str(2 * H), H21=str(2 * H + 1))
    return Parts(f"An isolated strict local minimum with every hidden unit of {H} layers dead",
                 "the centre $c$, at which every hidden unit is dead, is the only local minimum of the loss in the "
                 f"closed ball of radius ${rational(rho, inline=True)}$ about it, strict, with quadratic growth "
                 f"$\\mu/2$ for $\\mu = {rational(mu, inline=True)}$ (Theorem~\\ref{{pscert:theorem}})",
                 None, "", "\n".join(lemmas), theorem)


CENTRE = r"""
\begin{lemma}[The exact centre]\label{pscert:lemma-centre}
At the centre $c$ every parameter of the $<<H>>$ hidden layers and every outgoing weight is $0$, so every
hidden unit is dead and $f(x; c) = b^*$ for every input, with $b^* = <<bstar>>$; write $r_j = b^* - y_j$.
<<crit>>
\end{lemma}

\begin{proof}
The checker verifies each of these equalities exactly from Tables~\ref{pscert:parameters}
and~\ref{pscert:data}.
\end{proof}

\begin{lemma}[The loss near the centre]\label{pscert:lemma-expansion}
Write a displacement as $d = (\beta, A, W_1, b_1, \dots, W_H, b_H)$ with $H = <<H>>$: $\beta$ the change
of the output bias, $A$ the outgoing matrix, $W_\ell, b_\ell$ the hidden layers (biases absent in a
network without them). Let $h_\ell(x)$ be the hidden activations at $c + d$ ($h_0 = x$) and $g_j = A\,
h_H(x_j)$. Then
\[ \Delta(d) = L(c + d) - L(c) = \alpha \textstyle\sum_j \|\beta + g_j\|^2 + 2\alpha \sum_j r_j^\top g_j +
   \lambda \|d\|_2^2. \]
\end{lemma}

\begin{proof}
The hidden parameters of $c$ vanish, so $f(x_j; c + d) - y_j = r_j + \beta + g_j$ and the decay adds
$\lambda \|d\|^2 + 2\lambda\, b^{*\top} \beta$; the terms linear in $\beta$ sum to $2\beta^\top(\alpha
\sum_j r_j + \lambda b^*) = 0$ (Lemma~\ref{pscert:lemma-centre}).
\end{proof}
"""

BOUNDS = r"""
\begin{lemma}[A-priori bounds]\label{pscert:lemma-bounds}
Let $\|d\|_2 \le \rho$. Define $S_{0,j} = \|x_j\|^2$ and $S_{\ell,j} = \rho^2 (S_{\ell-1,j}<<plus>>)$. Then
$\|h_\ell(x_j)\|^2 \le S_{\ell,j}$. The certificate gives $K = <<K>>$, $M = <<M>>$ and $\nu = <<nu>>$, and
the checker verifies $K, M, \nu \ge 0$, $K^2 \ge \alpha^2 \sum_j \|r_j\|^2 \sum_j S_{<<Hm>>,j} = <<needK>>$,
$M^2 \ge \alpha^2 N \sum_j S_{<<H>>,j} = <<needM>>$ and $\nu^2 \ge \|b^*\|^2 = <<b2>>$. Hence
\[ \alpha \textstyle\sum_j \|r_j\|\, \|h_{H-1}(x_j)\| \le K, \qquad \alpha \sum_j \|h_H(x_j)\| \le M, \]
and, with $\sigma$ applied to $b_H$ entrywise (the term is absent without biases),
\[ \bigl|2\alpha \textstyle\sum_j r_j^\top g_j\bigr| \le \lambda \nu (\|A\|^2 + \|b_H\|^2) + K (\|A\|^2 +
   \|W_H\|^2). \]
\end{lemma}

\begin{proof}
$|\sigma(z)| \le |z|$ entrywise and $\|W_\ell\|^2 + \|b_\ell\|^2 \le \rho^2$, so by Cauchy--Schwarz
$\|h_\ell\| \le \|W_\ell\| \|h_{\ell-1}\| + \|b_\ell\| \le \rho\, (\|h_{\ell-1}\|^2<<plus>>)^{1/2}$; the
two sums are bounded by Cauchy--Schwarz over $j$. Write $h_H(x_j) = \sigma(b_H) + e_j$: as $\sigma$ is
1-Lipschitz, $\|e_j\| \le \|W_H\| \|h_{H-1}(x_j)\|$. By Lemma~\ref{pscert:lemma-centre}, $\alpha \sum_j
r_j^\top A \sigma(b_H) = -\lambda\, b^{*\top} A \sigma(b_H)$, at most $\lambda \nu \|A\| \|b_H\|$ in
absolute value, and $|\alpha \sum_j r_j^\top A e_j| \le K \|A\| \|W_H\|$. Then $2xy \le x^2 + y^2$.
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
The checker verifies exactly, with $H = <<H>>$,
\begin{align*}
2\lambda - (2H{+}1) M &= <<c1>>, \\
2H\lambda(1 - \nu) - 2HK - (2H{+}1) M &= <<c2>>, \\
2\lambda - 2HK &= <<c3>>,
\end{align*}
all positive, and $\mu \le 2\mu'$ with $\mu' = \lambda(1 - \nu) - K = <<muq>>$. Let $\theta = c + d \in
\bar B$, $d \ne 0$.

\emph{Growth.} Dropping $\alpha \sum_j \|\beta + g_j\|^2 \ge 0$ in Lemma~\ref{pscert:lemma-expansion} and
using Lemma~\ref{pscert:lemma-bounds}, every coordinate of $d$ keeps a coefficient of at least
$\lambda(1 - \nu) - K = \mu'$ ($A$ loses both terms, $b_H$ and $W_H$ one each), so $L(\theta) - L(c) \ge
\mu' \|d\|^2 \ge \tfrac{\mu}{2} \|d\|^2 > 0$: $c$ is a strict local minimum with this growth.

\emph{No other local minimum.} For $0 \le s \le 1$ scale $\beta, W_1, \dots, W_H$ by $s$, $b_\ell$ by
$s^\ell$ and $A$ by $s^H$. As $\sigma(s^\ell z) = s^\ell \sigma(z)$, the activations of layer $\ell$
become $s^\ell h_\ell$ and the output $b^* + s\beta + s^{<<H2>>} g_j$, so by
Lemma~\ref{pscert:lemma-expansion} $\psi(s) = L(c + d_s) - L(c)$ is a polynomial in $s$ with
\[ \psi'(1) = 2\alpha \textstyle\sum_j (\beta + g_j)^\top(\beta + <<H2>> g_j) + <<H2>> \cdot 2\alpha \sum_j
   r_j^\top g_j + 2\lambda\bigl(\|\beta\|^2 + H \|A\|^2 + \sum_\ell (\|W_\ell\|^2 + \ell \|b_\ell\|^2)\bigr).
\]
The first sum is at least $-(2H{+}1) \cdot 2\alpha \|\beta\| \|A\| \sum_j \|h_H(x_j)\| \ge -(2H{+}1) M
(\|\beta\|^2 + \|A\|^2)$, the second at least $-2H(\lambda\nu(\|A\|^2 + \|b_H\|^2) + K(\|A\|^2 +
\|W_H\|^2))$ (Lemma~\ref{pscert:lemma-bounds}). So every coordinate's coefficient is at least one of the
three positive numbers above, $2H\lambda(1 - \nu) > 0$ or $2\lambda$, and $\psi'(1) > 0$. Every $c + d_s$
lies in $\bar B$ (each factor is at most 1) and tends to $\theta$ as $s \to 1$, with $L(c + d_s) <
L(\theta)$ for $s < 1$ close to 1: $\theta$ is not a local minimum of $L$ (nor of $L$ restricted to $\bar
B$). So $c$ is the only local minimum in $\bar B$.
\end{proof}
"""
