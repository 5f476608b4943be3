"""Evidence ``curve``: an exact rational curve through the centre along which the loss drops or stays.

Search (:func:`curve_certificate` turns a curve into a checked certificate):

- :func:`descent_at`: straight lines ``c + t·d`` from an exact point on a boundary, along minus each
  adjacent piece's gradient and its negative-curvature directions (``descent``: not a local minimum);
- :func:`kink_descent`: the line leaving one first-layer kink into a region whose multiplier is negative,
  the other kinks held at ``z = 0`` (:class:`proofs.boundary.Descent`);
- :func:`rescaling`: without weight decay, the rescaling ``(v, a) ↦ (s·v, a/s)`` of a live unit keeps
  the loss constant (``constant``: not isolated);
- :mod:`proofs.symmetry` builds rotations of units sharing a pattern and growth of dead units.

The lemma that acceptance proves is in the checker's docstring for this method; ``proofs/FORMAT.md``
lists the keys. Proof: the checker's polynomial forward pass along the curve decides every hidden sign
on ``(0, t0]`` and gives ``Λ(t) = q^{2(H+1)}(L(γ(t)) − L(c))`` exactly.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from symbolic.derivatives import piece_derivatives
from symbolic.linalg import to_fraction
from symbolic.network import Pattern, forward
from symbolic.problem import Problem
from symbolic.rationals import canonical

from .. import checker, replay
from ..assemble import Verdict, certificate, checked, checker_problem, hessian_of
from ..checker.lemmas import dominates as dominated_on
from ..checker.network import curve_loss, germ_sign, poly_add, poly_trim
from ..latex_format import poly, poly_display, rational
from ..latex_lemmas import require
from ..latex_setting import MAX_ROWS, Doc, Parts, fill, longtable
from ..positivity import to_float
from . import renders

if TYPE_CHECKING:
    from ..boundary import Descent


def curve_certificate(problem: Problem, theta: Sequence[Fraction], claim: str, kind: str,
                      numerators: Sequence[Sequence[Fraction]], denominator: Sequence[Fraction],
                      max_k: int = 1024) -> dict[str, Any] | None:
    """A checked ``curve`` certificate with the largest ``t0 = 2^-k`` (``k ≤ max_k``) the checker accepts.

    ``Λ`` is computed once with the checker's own code; a constant curve with ``Λ ≢ 0`` or a descent
    curve whose ``Λ`` is not negative near 0 gives ``None`` at once. Otherwise ``t0`` is the largest
    power of ½ on which the denominator, every hidden pre-activation numerator and (descent) ``Λ`` are
    dominated by their lowest terms (monotone in ``t0``, so found by galloping and bisection).
    """
    curve = replay.curve_loss_polynomial(checker_problem(problem), list(theta), numerators, denominator)
    lam = curve.Lambda
    if (kind == "constant" and lam) or (kind == "descent" and (not lam or germ_sign(lam) > 0)):
        return None
    polys = [list(denominator)] + ([z for _, z in curve.hidden] if problem.activation == "relu" else [])
    polys += [lam] if kind == "descent" else []

    def ok(k: int) -> bool:
        return all(dominated_on(p, Fraction(1, 2 ** k)) for p in polys)

    bad, good = -1, 0                  # invariant: not ok(bad) (or bad = −1), and ok(good) once found
    while not ok(good):
        if good >= max_k:
            return None
        bad, good = good, min(max_k, max(1, 2 * good))
    while good - bad > 1:
        mid = (bad + good) // 2
        bad, good = (bad, mid) if ok(mid) else (mid, good)
    evidence = {"method": "curve", "kind": kind, "numerators": [[canonical(c) for c in p] for p in numerators],
                "denominator": [canonical(c) for c in denominator], "t0": canonical(Fraction(1, 2 ** good))}
    cert = certificate(problem, "REFUTED", claim, theta, Fraction(0), evidence)
    try:
        checker.check_certificate(cert)
    except checker.CertificateInvalid:
        return None
    return cert


def descent_at(problem: Problem, theta: list[Fraction], own: Pattern) -> Verdict | None:
    """Try straight descent curves ``c + t·d`` from an exact point, along candidate directions."""
    for d in _candidates(problem, theta, own):
        cert = curve_certificate(problem, theta, "not_a_local_minimum", "descent", [[c, e] for c, e in zip(theta, d)], [Fraction(1)])
        if cert is not None:
            return checked(Verdict("REFUTED", "the centre is not a local minimum: L decreases strictly along an exact "
                                    "curve leaving it", "not_a_local_minimum", cert,
                                    {"direction": [canonical(x) for x in d], "t0": cert["evidence"]["t0"]}))
    return None


def kink_descent(problem: Problem, found: "Descent") -> Verdict | None:
    """The line ``c + t·d`` leaving one kink into a region with a negative multiplier, as a checked descent.

    ``found`` (:class:`proofs.boundary.Descent`) holds the exact centre, the region and the direction;
    the checker decides every sign along the line (the other kinks are identically 0 on it) and ``Λ``.
    """
    nums = [[c, e] for c, e in zip(found.centre, found.direction)]
    cert = curve_certificate(problem, found.centre, "not_a_local_minimum", "descent", nums, [Fraction(1)])
    if cert is None:
        return None
    j, i = found.order[found.k]
    held = ", the other kinks held at z = 0" if len(found.order) > 1 else ""
    return checked(Verdict("REFUTED", f"the centre on the kinks is not a local minimum: {found.describe()}; L "
                           f"decreases strictly along an exact line leaving that kink into the region{held}",
                           "not_a_local_minimum", cert,
                           {"direction": [canonical(x) for x in found.direction], "t0": cert["evidence"]["t0"],
                            "kink": [j, i], "region": found.signs, "multiplier": float(found.nu),
                            "slope": found.slope, "noise": found.noise}))


def _candidates(problem: Problem, theta: list[Fraction], own: Pattern) -> Iterator[list[Fraction]]:
    """Directions worth trying: minus each adjacent piece's gradient and its negative-curvature vectors."""
    fw = forward(problem, problem.unflatten(theta))
    zeros = fw.boundary[:10]
    seen: set[tuple[Fraction, ...]] = set()
    for mask in range(1 << len(zeros)):
        pat = [[list(layer) for layer in sample] for sample in own]
        for bit, (j, k, i) in enumerate(zeros):
            pat[j][k][i] = (mask >> bit) & 1
        piece = tuple(tuple(tuple(layer) for layer in sample) for sample in pat)
        d = piece_derivatives(problem, theta, piece)
        g = [to_fraction(v) for v in d.gradient]
        dirs = []
        if any(g):
            dirs.append([-x for x in g])
        w, V = np.linalg.eigh(to_float(hessian_of(d)))
        for idx in range(len(w)):
            if w[idx] < 0:
                col = V[:, idx] / np.max(np.abs(V[:, idx]))
                dirs += [[Fraction(round(x * 2 ** 12), 2 ** 12) for x in col], [Fraction(-round(x * 2 ** 12), 2 ** 12) for x in col]]
        for dvec in dirs:
            key = tuple(dvec)
            if any(dvec) and key not in seen:
                seen.add(key)
                yield dvec


def rescaling(problem: Problem, theta: list[Fraction]) -> Verdict:
    """``λ = 0``: positive rescaling of a live hidden unit leaves ``L`` unchanged."""
    why = "no weight decay (λ = 0): positive rescaling of a hidden unit leaves the loss unchanged, so no minimum is isolated"
    if problem.depth == 0 or problem.activation != "relu":
        return Verdict("UNKNOWN", "no weight decay (λ = 0): minima are not isolated in general; pscert certifies only with λ > 0")
    params = problem.unflatten(list(range(problem.parameter_count)))  # parameter positions
    for k in range(problem.depth):
        for i in range(problem.widths[k + 1]):
            # unflatten keeps entries as given: int positions, though Params types them as Fractions
            incoming = [int(p) for p in list(params.weights[k][i]) + ([params.biases[k][i]] if params.biases else [])]
            outgoing = [int(row[i]) for row in params.weights[k + 1]]
            if not any(theta[p] for p in incoming + outgoing):
                continue
            # (v, a) ↦ (s v, a / s) with s = 1 + t, written over the common denominator q = 1 + t
            nums = [[x, x] for x in theta]
            for p in incoming:
                nums[p] = [theta[p], 2 * theta[p], theta[p]]
            for p in outgoing:
                nums[p] = [theta[p]]
            cert = curve_certificate(problem, theta, "not_isolated", "constant", nums, [Fraction(1), Fraction(1)])
            if cert is not None:
                return checked(Verdict("REFUTED", f"{why}: the curve rescaling unit {i} of hidden layer {k + 1} keeps L "
                                        "constant", "not_isolated", cert, {"unit": [k, i]}))
    return Verdict("UNKNOWN", why + "; no live unit was found to exhibit it")


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


@renders("curve")
def render(doc: Doc) -> Parts:
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
