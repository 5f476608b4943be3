"""Evidence ``lemma_a_norm_box``: the paper's piecewise strong convexity on a norm box (claim
``piecewise_strong_convexity``), from the threshold of :mod:`symbolic.threshold`.

Search: :func:`certificate` turns a :class:`symbolic.threshold.Threshold` into a certificate with the set
``{‖W̃_k‖₂ ≤ θ, E ≤ ε}``, its constants and the modulus ``μ``; :func:`certified` runs the trusted checker
on it first. All numbers are canonical rationals.

Evidence keys (``proofs/FORMAT.md``); what is checked (the checker's docstring for this method, the
authority): ``X₂``, ``K = αH²θ^{2H−2}X₂`` and ``ε* = λ²/K`` recomputed exactly; ``K·ε < λ²``;
``0 < μ ≤ 2λ`` and ``(λ − μ/2)² ≥ K·ε``; optionally the centre's membership (training error, layer norms)
and a ``region`` block for one pattern with the live samples only. Lemma (A) itself (the paper's §3.2,
argued in ``proofs/checker/threshold.py``) is mathematics the checker does not verify; the proof says so.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from symbolic.exceptions import ProblemError
from symbolic.network import pattern_to_json
from symbolic.problem import params_to_json, problem_to_json
from symbolic.rationals import canonical
from symbolic.threshold import Threshold, modulus

from .. import checker
from ..latex_format import rational
from ..latex_lemmas import require
from ..latex_setting import Doc, Parts, fill
from . import renders


def certificate(t: Threshold, epsilon: Fraction | None = None, with_region: bool = True) -> dict[str, Any]:
    """A ``piecewise_strong_convexity`` certificate (docs/SPEC.md §3) for the set ``U_ε = {‖W̃_k‖₂ ≤ θ, E ≤ ε}``.

    The claim: for **every** activation pattern ``P`` and every ``W`` with ``‖W̃_k‖₂ ≤ θ`` for all ``k``
    and ``E_P(W) = α Σ_j ‖f_P(x_j; W) − y_j‖² ≤ ε``, ``∇²L_P(W) ⪰ μI``. On the open region of ``P``,
    ``L = L_P`` and ``E = E_P``; at a boundary point every adjacent piece agrees with ``f`` and satisfies
    it. ``ε`` defaults to ``E(point)`` (the set then contains the point and ``μ`` is the modulus there).
    The optional ``region`` block makes the same claim for the point's own pattern with dead samples
    dropped (``ε*_P``, ``μ_P``). ``radius`` is ``"0"``: the claim is about the stated set, not a ball;
    ``center`` is the point whose membership the checker re-verifies when ``center_in_set`` is true.

    Raises
    ------
    ProblemError
        When no positive modulus exists (``λ = 0``, or ``ε ≥ ε*``).
    """

    p = t.problem
    lam = p.weight_decay
    if lam <= 0:
        raise ProblemError("loss.weight_decay", "must be positive for a strong-convexity certificate (got 0)")
    eps = t.error if epsilon is None else epsilon
    if eps < 0:
        raise ProblemError("--epsilon", f"must be non-negative (got {canonical(eps)})")
    if t.K and t.K * eps >= lam * lam:
        assert t.epsilon_star is not None  # K ≠ 0, so ε* = λ²/K exists
        raise ProblemError("--epsilon", f"must be below ε* = {canonical(t.epsilon_star)} (got {canonical(eps)})"
                           + ("" if epsilon is not None else "; the point is not below the threshold: pass "
                              "--epsilon E < ε* to certify the set without the point"))
    mu = modulus(lam, t.K, eps)
    center_in = t.norms_ok and t.error <= eps
    point = p.point if p.point is not None else None
    evidence: dict[str, Any] = {
        "method": "lemma_a_norm_box",
        "set": "{W : ‖W̃_k‖₂ ≤ θ for all k, E_P(W) ≤ ε}, every pattern P",
        "theta": canonical(t.theta), "epsilon": canonical(eps),
        "epsilon_star": canonical(t.epsilon_star) if t.epsilon_star is not None else None,
        "constant": canonical(t.K), "x2": canonical(t.x2), "center_in_set": center_in,
        "layer_norms": [{"method": t.norm_method, "bound": canonical(b)} for b in t.norm_bounds],
        "training_error": canonical(t.error),
    }
    if with_region and not t.boundary and t.regions:
        r = t.regions[0]
        mu_p = modulus(lam, r.K, eps)
        if mu_p is not None:
            evidence["region"] = {"pattern": pattern_to_json(r.pattern), "live_samples": list(r.live),
                                  "x2": canonical(r.x2), "constant": canonical(r.K),
                                  "epsilon_star": canonical(r.epsilon_star) if r.epsilon_star is not None else None,
                                  "mu": canonical(mu_p)}
    assert mu is not None  # guarded above: λ > 0 and K·ε < λ²
    return {"format": "pscert.certificate/1", "status": "CERTIFIED", "claim": "piecewise_strong_convexity",
            "problem": problem_to_json(p, with_point=False),
            "center": params_to_json(point) if point is not None else None,
            "radius": "0", "mu": canonical(mu), "evidence": evidence,
            "producer": {"tool": "pscert threshold"}}


def certified(t: Threshold, epsilon: Fraction | None = None) -> dict[str, Any]:
    """:func:`certificate`, re-checked by the trusted checker before it is returned.

    Raises
    ------
    ArithmeticError
        If the checker rejects the certificate (a generator bug; never expected).
    """

    cert = certificate(t, epsilon)
    try:
        checker.check_certificate(cert)
    except checker.CertificateInvalid as err:  # pragma: no cover - the generator and the checker disagree
        raise ArithmeticError(f"threshold certificate rejected by its checker: {err}") from err
    return cert


def _x2(doc: Doc, samples: list[int]) -> Fraction:
    p = doc.problem
    return sum((sum((v * v for v in p.inputs[j]), Fraction(0)) + int(p.biases) for j in samples), Fraction(0))


def _constant(doc: Doc, theta: Fraction, x2: Fraction) -> Fraction:
    H = doc.H
    return Fraction(0) if H == 0 else doc.problem.alpha * H * H * theta ** (2 * H - 2) * x2


@renders("lemma_a_norm_box")
def render(doc: Doc) -> Parts:
    """Lemma (A), its exact instantiation, membership of the centre, and the theorem."""
    ev, p = doc.evidence, doc.problem
    lam, mu = p.weight_decay, doc.mu or Fraction(0)
    theta, eps = Fraction(ev["theta"]), Fraction(ev["epsilon"])
    x2 = _x2(doc, list(range(len(p.inputs))))
    K = _constant(doc, theta, x2)
    require(lam > 0 and 0 < mu <= 2 * lam and (lam - mu / 2) ** 2 >= K * eps and K * eps < lam * lam,
            "the instantiation of Lemma (A)")
    star = doc.q(lam * lam / K, "$\\varepsilon^*$") if K else "\\infty"
    lemmas = [fill(r"""
Write $\tilde W_k = \bigl(\begin{smallmatrix} W_k & b_k \\ 0 & 1 \end{smallmatrix}\bigr)$ for the hidden
layers and $\tilde W_{H+1} = (W_{H+1}\ b_{H+1})$ (just $W_k$ without biases), $\tilde x_j = <<xt>>$,
$X_2 = \sum_j \|\tilde x_j\|_2^2$, $r_j = f_P(x_j;\theta) - y_j$ and $E_P(\theta) = \alpha \sum_j
\|r_j\|_2^2$, the training error of the piece of pattern $P$.

\begin{lemma}[Lemma (A), Milne 2019]\label{pscert:lemma-a}
For every pattern $P$ and every $\theta$ with $\|\tilde W_k\|_2 \le \vartheta$ for all $k$,
\[ \lambda_{\min}\bigl(\nabla^2 L_P(\theta)\bigr) \ge 2\lambda - 2\alpha H \vartheta^{H-1} \sum_j
   \|\tilde x_j\|_2 \|r_j\|_2, \]
provided the weight decay acts on every parameter.
\end{lemma}

\begin{proof}[Sketch]
$\nabla^2 L_P = 2\alpha \sum_j J_j^\top J_j + 2\alpha \sum_j \sum_o r_{j,o} \nabla^2 f_{P,o}(x_j) +
2\lambda I$, the first term positive semidefinite. The piece $f_P$ is multilinear in the layers
$\tilde W_1, \dots, \tilde W_{H+1}$, so its second derivative in a direction $V = (V_1, \dots,
V_{H+1})$ is $\sum_{k \ne l} T_{kl}(V_k, V_l)$ with $|T_{kl}| \le \|\tilde x_j\| \vartheta^{H-1}
\|V_k\| \|V_l\|$, as $\|D_m\|_2 \le 1$; and $\sum_{k \ne l} \|V_k\| \|V_l\| \le H \|V\|^2$. This is
our reconstruction of the Hessian bound of Milne (2019); the checker does not verify it.
\end{proof}

\begin{lemma}[Instantiation]\label{pscert:lemma-inst}
With $\vartheta = <<theta>>$: $X_2 = <<x2>>$, $K = \alpha H^2 \vartheta^{2H-2} X_2 = <<K>>$ and
$\varepsilon^* = \lambda^2 / K = <<star>>$. The certificate's $\varepsilon = <<eps>>$ satisfies
$K \varepsilon < \lambda^2$, and $\mu = <<mu>>$ satisfies $0 < \mu \le 2\lambda$ and
$(\lambda - \mu/2)^2 \ge K \varepsilon$.
\end{lemma}

\begin{proof}
Exact rational arithmetic; the checker recomputes $X_2$, $K$ and $\varepsilon^*$ and compares.
\end{proof}
""", xt="(x_j, 1)" if p.biases else "x_j", theta=doc.q(theta, "$\\vartheta$"), x2=doc.q(x2), K=doc.q(K),
        star=star, eps=doc.q(eps, "$\\varepsilon$"), mu=doc.q(mu, "$\\mu$"))]
    if ev.get("center_in_set"):
        lemmas.append(_membership(doc, ev, theta, eps))
    region = ev.get("region")
    if region is not None:
        lemmas.append(_region(doc, region, theta, eps, lam))
    theorem = fill(r"""
\begin{theorem}\label{pscert:theorem}
Let $\vartheta = <<theta>>$, $\varepsilon = <<eps>>$ and $\mu = <<mu>>$. For every activation pattern
$P$ and every $\theta$ with $\|\tilde W_k\|_2 \le \vartheta$ for all $k$ and $E_P(\theta) \le
\varepsilon$, $\nabla^2 L_P(\theta) \succeq \mu I$. In particular $L$ is $\mu$-strongly convex on every
convex subset of a region on which these bounds hold.
\end{theorem}

\begin{proof}
By Cauchy--Schwarz, $\sum_j \|\tilde x_j\| \|r_j\| \le (X_2 \sum_j \|r_j\|^2)^{1/2} = (X_2 E_P /
\alpha)^{1/2}$, so Lemma~\ref{pscert:lemma-a} gives $\lambda_{\min}(\nabla^2 L_P) \ge 2\lambda - 2(K
E_P)^{1/2} \ge 2\lambda - 2(K\varepsilon)^{1/2} \ge 2\lambda - 2(\lambda - \mu/2) = \mu$ by
Lemma~\ref{pscert:lemma-inst} (where $\lambda - \mu/2 \ge 0$).
\end{proof}

\begin{remark}
The theorem says nothing about where critical points lie: for bias-free networks the set contains no
critical point other than $0$: at a critical point the weight-decay balance forces the training error up to the threshold. On a region boundary it applies to each
adjacent piece separately.
\end{remark}
""", theta=rational(theta, inline=True), eps=rational(eps, inline=True), mu=rational(mu, inline=True))
    pattern = region["pattern"] if region is not None else \
        [["1" * w for w in p.widths[1:-1]] for _ in p.inputs] if doc.H else None
    what = ("the pattern of the certificate's region block" if region is not None
            else "for example, the all-active pattern (the theorem covers every pattern)")
    return Parts("Piecewise strong convexity", f"every piece $L_P$ of the loss is $\\mu$-strongly convex, "
                 f"$\\mu = {rational(mu, inline=True)}$, on the set where the layer norms are at most "
                 f"${rational(theta, inline=True)}$ and the piece's training error is at most "
                 f"${rational(eps, inline=True)}$ (Theorem~\\ref{{pscert:theorem}})", pattern, what,
                 "\n".join(lemmas), theorem)


def _membership(doc: Doc, ev: dict[str, Any], theta: Fraction, eps: Fraction) -> str:
    norms = ev["layer_norms"]
    rows = "\n".join(f"{k + 1} & \\texttt{{{n['method']}}} & ${doc.q(Fraction(n['bound']))}$ \\\\"
                     for k, n in enumerate(norms))
    err = Fraction(ev["training_error"])
    require(err <= eps and all(Fraction(n["bound"]) <= theta * theta for n in norms), "the centre's membership")
    return fill(r"""
\begin{lemma}[The centre lies in the set]\label{pscert:lemma-member}
The centre $c$ of Table~\ref{pscert:parameters} has training error $E(c) = <<err>> \le \varepsilon$ and
$\|\tilde W_k\|_2^2 \le \beta_k \le \vartheta^2 = <<t2>>$ for every layer, with the bounds $\beta_k$:
\begin{center}
\begin{tabular}{rll}
\toprule $k$ & method & $\beta_k$ \\ \midrule
<<rows>>
\bottomrule
\end{tabular}
\end{center}
\end{lemma}

\begin{proof}
The checker evaluates $E(c)$ exactly. \texttt{frobenius}: $\beta_k = \|\tilde W_k\|_F^2 \ge
\|\tilde W_k\|_2^2$; \texttt{spectral}: $\beta_k I - \tilde W_k^\top \tilde W_k$ (the smaller Gram
matrix) is positive semidefinite by exact elimination.
\end{proof}
""", err=doc.q(err, "the training error $E(c)$"), t2=doc.q(theta * theta), rows=rows)


def _region(doc: Doc, region: dict[str, Any], theta: Fraction, eps: Fraction, lam: Fraction) -> str:
    live = list(region["live_samples"])
    x2p = _x2(doc, live)
    Kp = _constant(doc, theta, x2p)
    mup = Fraction(region["mu"])
    require(0 < mup <= 2 * lam and (lam - mup / 2) ** 2 >= Kp * eps, "the region block")
    return fill(r"""
\begin{lemma}[One region]\label{pscert:lemma-region}
For <<which>> the live samples are $j \in <<live>>$ (every hidden layer has an active unit at $x_j$, or
the network has biases); the others have $f_{P_0}(x_j) \equiv 0$ and contribute nothing to the residual
term. With $X_2(P_0) = <<x2>>$, $K_{P_0} = <<K>>$ the same
argument gives $\nabla^2 L_{P_0}(\theta) \succeq \mu_{P_0} I$ with $\mu_{P_0} = <<mu>>$ wherever
$\|\tilde W_k\|_2 \le \vartheta$ and $E_{P_0}(\theta) \le \varepsilon$; the checker verifies
$(\lambda - \mu_{P_0}/2)^2 \ge K_{P_0} \varepsilon$<<inside>>.
\end{lemma}
""", which="the pattern $P_0$ of Table~\\ref{pscert:pattern}" if doc.H else "the only pattern $P_0$ (no hidden layer)",
        live="\\{" + ", ".join(str(j) for j in live) + "\\}" if live else "\\emptyset", x2=doc.q(x2p), K=doc.q(Kp),
        mu=doc.q(mup, "$\\mu_{P_0}$"),
        inside=", and that the centre's exact pattern is $P_0$ with no pre-activation zero"
        if doc.evidence.get("center_in_set") else "")
