"""Evidence ``curved_kink_ball``: one minimum on kinks of the first three hidden layers (Theorem K).

Search (untrusted: floats screen, the checker decides; ``docs/MATHEMATICS.md`` §5):

1. *Kinks.* Hidden pre-activations within ``TOL`` (relative) of 0 at the point. A kink of layer 4 or
   deeper, two layers' kinks at one sample (separation), a dead unit, more than ``MAX_KINKS`` kinks or
   none of layers 2 and 3 end the search with UNKNOWN and a reason naming sample, layer and unit.
2. *The centre.* Exact on the kinks bottom-up (:func:`on_kinks`): first-layer kinks by exact projection of
   each unit's incoming row, then layer by layer each unit's incoming row (with its bias) projected exactly
   onto ``{v : (h̃_{k−1}(x_j), ·)·v = 0}`` for its kinks, the ``h̃_{k−1}`` of the already exact layers
   below. A Newton refinement of the KKT system ``∇L_P = J(θ)ᵀλ``, ``z_Z = 0`` (reference piece: every
   kink on) with exact residuals and dyadic steps precedes each projection.
3. *Pieces.* All ``2^q`` sign strings: the exact gradient and Hessian of each piece at the centre, the
   least-squares multipliers (rounded to short dyadics; ``ν ≥ 0`` required), ``e_s``, ``H_s``.
4. *Ball.* The largest ``ρ = 2^-k`` at which (S1), (K2)–(K5) hold in floats (``τ_s`` of form (b), tried at
   ``κ_s/(2jρ)`` and two smaller values) and ``μ`` a little below the least float margin; then exact
   positive-definiteness witnesses and the checker's verdict.

Evidence keys (``proofs/FORMAT.md``): ``pattern``, ``kinks`` ``[[j, k, i], …]`` (``k`` the 1-based hidden
layer), ``delta``, ``eta``, ``jacobian_norm``, ``curvatures``, ``gamma``, ``pieces`` ``[{signs,
multipliers, residual_norm, hessian_norm, tau, pd}]`` and, with a kink of layer 3, ``third_derivatives``
(``K_m = k_m + t_mρ`` and ``δ_s = δ + ρΣν_mt_m``: Lemma T of :mod:`proofs.checker.curved`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

import numpy as np
from flint import fmpq, fmpq_mat

from symbolic.network import pattern_to_json
from symbolic.problem import Problem
from symbolic.rationals import canonical

from ..assemble import Verdict, checker_problem, delta, rational_below, short, sqrt_above
from ..boundary import ball_verdict
from ..checker.arith import Budget
from ..checker.curved import (Copies, Kink, kink_derivatives, lagrangian_correction, over_one_denominator, piece_pattern,
                              signs_stable)
from ..checker.exceptions import CertificateInvalid
from ..checker.network import Pattern, bounds, derivatives, forward
from ..checker.network import Problem as CProblem
from ..checker.reading import MAX_WORK
from ..latex_format import decimal, rational
from ..latex_lemmas import apriori, require
from ..latex_setting import Doc, Parts, fill, longtable
from ..positivity import pd_certificate
from ..refine import dyadic
from . import renders

Progress = Callable[[str], None]

Piece = tuple[str, list[Fraction], Fraction, Fraction, Fraction,
              tuple[list[list[int]], int, dict[tuple[int, int], Fraction]], np.ndarray]
"""One piece at the centre: signs, multipliers ``ν``, ``‖e_s‖²``, ``ε_s``, ``h_s``, ``H_s`` as ``(∇²L_P`` over its
denominator, the Lagrangian correction``)`` and ``H_s`` in floats."""

TOL = 3e-5
"""A hidden pre-activation within ``TOL·max(1, ‖(W_k[i], b_k[i])‖·‖(h_{k−1}(x_j), 1)‖)`` of 0 is a kink."""

MAX_KINKS = 8
"""At most ``2^8`` pieces (the checker's limit)."""

FLAT = 1e-9
"""Relative size below which a singular value or multiplier counts as 0."""

SHORT_BITS = 128
"""The refined centre is rounded to multiples of ``2^-128`` before its last exact snap onto the kinks: the
tangential gradient it adds (about ``‖H‖·2^-128``) is far below what a ball of radius ``2^-60`` needs."""


def search(problem: Problem, theta: list[Fraction], say: Progress) -> Verdict:
    """Theorem K at the kinks of layers 1 to 3 near ``θ``: a checked CERTIFIED verdict, or UNKNOWN with why."""
    if problem.activation != "relu" or problem.depth < 2:
        return Verdict("UNKNOWN", "no hidden layer below a second one")
    cp = checker_problem(problem)
    found = _kinks(cp, theta)
    if isinstance(found, str):
        return Verdict("UNKNOWN", found)
    kinks, pattern, copies = found
    say(f"snapping onto {len(kinks)} kink(s) of layers 1 to 3 (Theorem K)")
    try:
        c = refine_on_kinks(cp, theta, pattern, kinks, copies)
    except ZeroDivisionError:  # dependent kink equations of one unit
        return Verdict("UNKNOWN", "the kink equations of one unit are dependent: not covered by Theorem K")
    if c is None:
        return Verdict("UNKNOWN", "the KKT refinement onto the curved kinks did not converge")
    run = forward(cp, c, None)
    for j, k, i in kinks:
        if run.pre[j][k - 1][i]:
            return Verdict("UNKNOWN", f"internal: kink (sample {j}, layer {k}, unit {i}) not exact after the snap")
    rows, hessians, K_need, T_need = kink_derivatives(cp, c, pattern, kinks)
    P, q = cp.count, len(kinks)
    J = np.array([[float(a.get(p, 0)) for p in range(P)] for a in rows])
    sv = np.linalg.svd(J, compute_uv=False)
    if sv[-1] <= FLAT * max(1.0, sv[0]):
        return Verdict("UNKNOWN", f"the kink gradients are dependent (σ_min(J) ≈ {sv[-1]:.3g}): not covered by "
                       "Theorem K")
    least_squares = _solve_gram(rows)
    pieces: list[Piece] = []
    say(f"the {2 ** q} pieces at the kinks: exact derivatives and multipliers")
    for v in range(2 ** q):
        signs = format(v, f"0{q}b")
        d = derivatives(cp, c, forward(cp, c, piece_pattern(pattern, kinks, signs, copies)))
        lam = least_squares(rows, d.grad)
        nu = [dyadic(x if s == "1" else -x, 120) for x, s in zip(lam, signs)]
        if float(min(nu)) <= FLAT * max(1.0, float(max(abs(x) for x in nu))):
            m = min(range(q), key=lambda t: nu[t])
            return Verdict("UNKNOWN", f"the multiplier of kink (sample, layer, unit) {kinks[m]} in the piece with signs "
                           f"{signs} is ≈ {float(nu[m]):.3g}, not positive: the minimum may leave the kink "
                           "(Theorem K needs strict complementarity)")
        signed = [x if s == "1" else -x for x, s in zip(nu, signs)]
        e = list(d.grad)
        for w, a in zip(signed, rows):
            for p, u in a.items():
                e[p] -= w * u
        correction = lagrangian_correction(signed, hessians)
        HA, HD = over_one_denominator(d.hess_num, d.hess_den, correction, Fraction(0))
        e2 = sum((x * x for x in e), Fraction(0))
        h = sqrt_above(Fraction(sum(x * x for row in HA for x in row), HD * HD))
        Hf = np.array([[x / HD for x in row] for row in HA])
        pieces.append((signs, nu, e2, sqrt_above(e2), h, (d.hess_num, d.hess_den, correction), Hf))
    eta = rational_below(0.99 * float(sv[-1]))
    jn = sqrt_above(sum((x * x for a in rows for x in a.values()), Fraction(0)))
    at_c = [sqrt_above(n) for n in K_need]
    third = [sqrt_above(n) for n in T_need]
    JtJ = J.T @ J
    chosen = _radius(problem, cp, c, pattern, kinks, pieces, eta, jn, at_c, third, JtJ)
    if isinstance(chosen, str):
        return Verdict("UNKNOWN", chosen)
    rho, dlt, mu, taus = chosen
    curv, gamma = curvatures(at_c, third, rho)
    say(f"building {len(pieces)} positive-definiteness certificate(s) at radius {short(rho)}")
    gram: dict[tuple[int, int], Fraction] = {}
    for a in rows:
        for p, u in a.items():
            for r, u2 in a.items():
                gram[p, r] = gram.get((p, r), Fraction(0)) + u * u2
    listed = []
    for (signs, nu, e2, eps, h, (Hn, S, correction), _), tau in zip(pieces, taus):
        dlt_s = dlt + rho * sum((v * t for v, t in zip(nu, third)), Fraction(0))
        Delta = (eps + (h + dlt_s) * rho) / (eta - gamma * rho)
        shift = mu + dlt_s + Delta * sum(curv, Fraction(0)) + 16 * tau * gamma * gamma * rho * rho
        extra = dict(correction)
        for pr, g in gram.items():
            extra[pr] = extra.get(pr, Fraction(0)) + tau * g
        MA, MD = over_one_denominator(Hn, S, extra, shift)
        M = fmpq_mat(P, P, [fmpq(x, MD) for row in MA for x in row])
        pd = pd_certificate(M)
        if pd is None:
            return Verdict("UNKNOWN", f"no positive-definiteness certificate for (K5) in the piece with kink signs {signs}")
        listed.append({"signs": signs, "multipliers": [canonical(x) for x in nu], "residual_norm": canonical(eps),
                       "hessian_norm": canonical(h), "tau": canonical(tau), "pd": pd})
    evidence = {"method": "curved_kink_ball", "pattern": pattern_to_json(_frozen(pattern)),
                "kinks": [list(m) for m in kinks], "delta": canonical(dlt), "eta": canonical(eta),
                "jacobian_norm": canonical(jn), "curvatures": [canonical(x) for x in curv], "gamma": canonical(gamma),
                "pieces": listed}
    if any(third):
        evidence["third_derivatives"] = [canonical(x) for x in third]
    layers = sorted({k for _, k, _ in kinks})
    reason = (f"isolated strict local minimum on {q} strictly complementary kink(s) of layer(s) "
              f"{', '.join(map(str, layers))} (curved boundaries, Theorem K); L grows at least quadratically "
              f"(μ = {short(mu)}) on the ball of radius {short(rho)}")
    worst = max(p[2] for p in pieces)
    return ball_verdict(problem, c, rho, mu, worst, evidence, reason, q, len(listed))


def _frozen(pattern: Pattern) -> tuple[tuple[tuple[int, ...], ...], ...]:
    return tuple(tuple(tuple(layer) for layer in sample) for sample in pattern)


def _kinks(cp: CProblem, theta: list[Fraction]) -> tuple[list[Kink], Pattern, Copies] | str:
    """The kinks near ``θ`` (floats), the pattern with kink entries '0' and the copies (a unit's kinks at
    samples where the layer below is off: all ``b_k[i]``, listed once), or why Theorem K does not apply."""
    th = [float(t) for t in theta]
    bias, H = cp.biases, cp.depth
    h = np.array([[float(v) for v in x] for x in cp.inputs])
    nulls = {j for j in range(len(cp.inputs)) if not bias and not any(cp.inputs[j])}
    kinks: list[Kink] = []
    pattern = [[[0] * cp.widths[k] for k in range(1, H + 1)] for _ in cp.inputs]
    for k in range(1, H + 1):
        rows = np.array(cp.layer_rows(th, k), dtype=float)
        n_in = cp.widths[k - 1]
        z = h @ rows[:, :n_in].T + (rows[:, n_in] if bias else 0.0)
        for i in range(cp.widths[k]):
            norm = float(np.linalg.norm(rows[i]))
            if norm <= TOL:
                return f"unit {i} of layer {k} is dead (all its incoming parameters ≈ 0): not covered by Theorem K"
            for j in range(len(cp.inputs)):
                if j in nulls:
                    continue
                scale = max(1.0, norm * float(np.linalg.norm(np.append(h[j], 1.0))))
                if abs(z[j, i]) <= TOL * scale:
                    if k >= 4:
                        return (f"a pre-activation of layer {k} is ≈ 0 at sample {j}, unit {i} "
                                f"(z ≈ {z[j, i]:.3g}): Theorem K is checked for kinks of layers 1 to 3 only")
                    kinks.append((j, k, i))
                else:
                    pattern[j][k - 1][i] = int(z[j, i] > 0)
        h = np.maximum(z, 0.0) * np.array([[pattern[j][k - 1][i] for i in range(cp.widths[k])]
                                           for j in range(len(cp.inputs))])
    if all(k == 1 for _, k, _ in kinks):
        return "no pre-activation of the second or third layer is ≈ 0"
    layer_at: dict[int, int] = {}
    for j, k, i in kinks:
        if layer_at.setdefault(j, k) != k:
            return (f"sample {j} has kinks of layers {min(layer_at[j], k)} and {max(layer_at[j], k)} (e.g. unit {i} of "
                    f"layer {k}): Theorem K needs the kinks at one sample in one layer")
    seen: dict[tuple[int, int], Kink] = {}
    copied: dict[Kink, Kink] = {}
    for j, k, i in kinks:    # at samples where layer k − 1 is off, z_{k,i} = b_k[i]: one polynomial, listed once
        if k >= 2 and not any(pattern[j][k - 2]) and not any(kk == k - 1 and jj == j for jj, kk, _ in kinks):
            if not bias:
                return (f"unit {i} of layer {k} is ≈ 0 at sample {j} where layer {k - 1} is off: without biases "
                        "z ≡ 0 there, no kink")
            if (k, i) in seen:
                copied[(j, k, i)] = seen[k, i]
            else:
                seen[k, i] = (j, k, i)
    kinks = [m for m in kinks if m not in copied]
    copies = {m: kinks.index(first) for m, first in copied.items()}
    if len(kinks) > MAX_KINKS:
        return f"{len(kinks)} kinks of layers 1 to 3 (Theorem K lists all 2^q pieces, q ≤ {MAX_KINKS})"
    return kinks, pattern, copies


def on_kinks(cp: CProblem, theta: list[Fraction], kinks: list[Kink]) -> list[Fraction]:
    """``θ`` moved exactly onto the kinks, bottom-up: first-layer units' rows, then those of layers 2 and 3
    (with biases), each projected orthogonally onto the solutions of its kinks' linear equations, whose
    coefficients ``(h_{k−1}(x_j), 1)`` come from the layers already fixed (a unit with one kink and a bias:
    the bias solved for, ``b_k[i] = −W_k[i,:]·h_{k−1}(x_j)``). Changing layer ``k`` changes no pre-activation
    of layers below ``k``, so the zeros fixed earlier stay exact."""
    c = list(theta)
    bias = cp.biases
    for k in (1, 2, 3):
        units = sorted({i for _, kk, i in kinks if kk == k})
        if not units:
            continue
        if k >= 2:
            run = forward(cp, c, None)
            below = [[Fraction(z, run.s[k - 1]) if z > 0 else Fraction(0) for z in run.pre[j][k - 2]]
                     for j in range(len(cp.inputs))]
        for i in units:
            n_in = cp.widths[k - 1]
            idx = [cp.index(k, i, d) for d in range(n_in + (1 if bias else 0))]
            samples = [j for j, kk, ii in kinks if kk == k and ii == i]
            if k == 1:
                A = [list(cp.inputs[j]) + ([Fraction(1)] if bias else []) for j in samples]
            else:
                A = [below[j] + ([Fraction(1)] if bias else []) for j in samples]
            v = [c[p] for p in idx]
            if bias and len(A) == 1:   # one kink: solve for the bias alone (shorter numbers than a projection)
                c[idx[-1]] = -sum((a * x for a, x in zip(A[0][:-1], v[:-1])), Fraction(0))
                continue
            for p, x in zip(idx, _project(v, A)):
                c[p] = x
    return c


def _project(v: list[Fraction], A: list[list[Fraction]]) -> list[Fraction]:
    """``v − Aᵀ(AAᵀ)⁻¹Av``: the orthogonal projection onto ``{u : Au = 0}`` (exact; ``A`` of full row rank)."""
    G = [[sum((x * y for x, y in zip(a, b)), Fraction(0)) for b in A] for a in A]
    r = [sum((x * y for x, y in zip(a, v)), Fraction(0)) for a in A]
    y = _solve(G, r)
    out = list(v)
    for w, a in zip(y, A):
        out = [o - w * x for o, x in zip(out, a)]
    return out


def _solve(G: list[list[Fraction]], r: list[Fraction]) -> list[Fraction]:
    """Exact Gauss–Jordan solution of ``Gy = r``; ``ZeroDivisionError`` when ``G`` is singular."""
    n = len(G)
    M = [list(row) + [b] for row, b in zip(G, r)]
    for col in range(n):
        piv = next((row for row in range(col, n) if M[row][col]), None)
        if piv is None:
            raise ZeroDivisionError("singular system")
        M[col], M[piv] = M[piv], M[col]
        f = M[col][col]
        M[col] = [x / f for x in M[col]]
        for row in range(n):
            if row != col and M[row][col]:
                g = M[row][col]
                M[row] = [a - g * b for a, b in zip(M[row], M[col])]
    return [M[i][n] for i in range(n)]


def _solve_gram(rows: list[dict[int, Fraction]]) -> Callable[[list[dict[int, Fraction]], list[Fraction]], list[Fraction]]:
    """The exact least-squares multipliers ``λ = (J_0J_0ᵀ)⁻¹J_0g`` (``J_0`` fixed by ``rows``)."""
    G = [[sum((u * b.get(p, Fraction(0)) for p, u in a.items()), Fraction(0)) for b in rows] for a in rows]

    def solve(rows_: list[dict[int, Fraction]], g: list[Fraction]) -> list[Fraction]:
        return _solve(G, [sum((u * g[p] for p, u in a.items()), Fraction(0)) for a in rows_])

    return solve


def refine_on_kinks(cp: CProblem, theta: list[Fraction], pattern: Pattern, kinks: list[Kink], copies: Copies,
                    target: float = 1e-40) -> list[Fraction] | None:
    """Newton on ``∇L_P(θ) = J(θ)ᵀλ``, ``z_Z(θ) = 0`` (``P`` the piece with every kink on), exact residuals,
    float steps rounded to dyadics, each iterate put exactly on the kinks by :func:`on_kinks`."""
    c = on_kinks(cp, theta, kinks)
    ref = piece_pattern(pattern, kinks, "1" * len(kinks), copies)
    P, q = cp.count, len(kinks)
    lam: np.ndarray | None = None
    for _ in range(30):
        d = derivatives(cp, c, forward(cp, c, ref))
        rows, hessians, _, _ = kink_derivatives(cp, c, pattern, kinks)
        J = np.array([[float(a.get(p, 0)) for p in range(P)] for a in rows])
        g = np.array([float(x) for x in d.grad])
        if lam is None:
            lam = np.linalg.lstsq(J.T, g, rcond=None)[0]
        lq = [Fraction(float(x)) for x in lam]
        r = list(d.grad)
        for w, a in zip(lq, rows):
            for p, u in a.items():
                r[p] -= w * u
        rf = np.array([float(x) for x in r])
        if float(np.linalg.norm(rf)) <= target * max(1.0, float(np.linalg.norm(g))):
            return on_kinks(cp, [dyadic(t, SHORT_BITS) for t in c], kinks)   # shorter numbers, still exact on S
        Hf = np.array([[float(Fraction(x, d.hess_den)) for x in row] for row in d.hess_num])
        for w, hess in zip(lam, hessians):
            for (p, s), u in hess.items():
                Hf[p, s] -= w * float(u)
                Hf[s, p] -= w * float(u)
        K = np.zeros((P + q, P + q))
        K[:P, :P], K[:P, P:], K[P:, :P] = Hf, -J.T, J
        step = np.linalg.lstsq(K, -np.concatenate([rf, np.zeros(q)]), rcond=None)[0]
        size = float(np.linalg.norm(step[:P]))
        bits = max(64, min(4000, int(-2.2 * np.log2(max(size, 1e-300))) + 40))
        c = on_kinks(cp, [dyadic(t + Fraction(float(s)), bits) if s else t for t, s in zip(c, step[:P])], kinks)
        lam = lam + step[P:]
        if size > 1e-2 * max(1.0, float(np.linalg.norm([float(t) for t in theta]))):
            return None
    return c


def curvatures(at_c: list[Fraction], third: list[Fraction], rho: Fraction) -> tuple[list[Fraction], Fraction]:
    """``K_m = k_m + t_mρ`` (``k_m`` bounding ``‖∇²z_m(c)‖₂``, ``t_m`` the third derivative; Lemma T of
    :mod:`proofs.checker.curved`) and ``Γ ≥ √(Σ K_m²)``."""
    curv = [k + t * rho for k, t in zip(at_c, third)]
    return curv, sqrt_above(sum((x * x for x in curv), Fraction(0)))


def _radius(problem: Problem, cp: CProblem, c: list[Fraction], pattern: Pattern, kinks: list[Kink], pieces: list[Piece],
            eta: Fraction, jn: Fraction, at_c: list[Fraction], third: list[Fraction], JtJ: np.ndarray
            ) -> tuple[Fraction, Fraction, Fraction, list[Fraction]] | str:
    """The largest ``ρ = 2^-k`` with (S1) and (K2)–(K5) in floats, its ``δ``, ``μ`` and the ``τ_s``."""
    why = "no radius 2^-k (k ≤ 60) satisfies (S1) and (K2)–(K5)"
    for e in range(4, 61):
        rho = Fraction(1, 2 ** e)
        curv, gamma = curvatures(at_c, third, rho)
        sum_K = sum(curv, Fraction(0))
        if gamma * rho >= eta:
            continue
        try:
            signs_stable(cp, c, rho, pattern, kinks, bounds(cp, c, rho), Budget(MAX_WORK))
        except CertificateInvalid:
            why = "the other pre-activations do not keep their signs on any ball where (K2)–(K5) hold"
            continue
        dlt = delta(problem, c, rho)
        mus, taus = [], []
        for signs, nu, e2, eps, h, H, Hf in pieces:
            dlt_s = dlt + rho * sum((v * t for v, t in zip(nu, third)), Fraction(0))
            Delta = (eps + (h + dlt_s) * rho) / (eta - gamma * rho)
            kappa = min(nu) - Delta
            if kappa <= 0:
                mus.append(-1.0)
                break
            best, best_tau = -1.0, Fraction(0)
            for div in (1, 4, 16, 64):
                tau = dyadic(float(kappa / (2 * jn * rho)) / div * 0.999, 20)
                if tau <= 0 or 2 * tau * jn * rho > kappa:
                    continue
                lam = float(np.linalg.eigvalsh(Hf + float(tau) * JtJ)[0])
                m = lam - float(dlt_s + Delta * sum_K + 16 * tau * gamma * gamma * rho * rho)
                if m > best:
                    best, best_tau = m, tau
            mus.append(best)
            taus.append(best_tau)
        if min(mus) <= 0:
            continue
        mu = rational_below(0.8 * min(mus))
        if all(e2 < (mu * rho / 2) ** 2 for _, _, e2, *_ in pieces):
            return rho, dlt, mu, taus
        why = "the projected gradient at the snapped centre is too large for every admissible radius"
    return why


# --------------------------------------------------------------------------------------------------
# The LaTeX proof.

THEOREM = r"""
\begin{theorem}[Theorem K: a curved kink ball]\label{pscert:theorem}
Let $c$ be the centre of Table~\ref{pscert:parameters}, $\rho = <<rho>>$ and $\mu = <<mu>>$. The loss $L$
has exactly one local minimum $\theta^*$ in the closed ball $\bar B = \{\theta : \|\theta - c\|_2 \le
\rho\}$. It lies on all $q = <<q>>$ kinks of Table~\ref{pscert:curvedkinks} ($z_m(\theta^*) = 0$), in
the open ball, and
\[ L(\theta) \ge L(\theta^*) + \tfrac{\mu}{2}\, \|\theta - \theta^*\|_2^2 \quad\text{for every } \theta \in
   \bar B. \]
In particular $\theta^*$ is a strict and isolated local minimum of $L$.
\end{theorem}

\begin{proof}
Lemmas~\ref{pscert:lemma-curved-setting}--\ref{pscert:lemma-curved-pieces} verify every hypothesis of
Theorem~K of \texttt{docs/MATHEMATICS.md}~\S5: (S1), (S2), (K1), (K2) $\Gamma\rho < \eta$, and for every
piece $s$ (K3) $\kappa_s > 0$, (K4) $\|e_s\|_2 < \mu\rho/2$ and (K5). Its proof, in four steps: (i) off
the kink set $S = \{z_m = 0 \text{ for all } m\}$ no point of $\bar B$ is a local minimum, since
$\sigma_{\min}(J(\theta)) \ge \eta - \Gamma\rho > 0$ gives a direction moving one nonzero $z_m$ alone
towards $0$, along which the slope of $L$ in the piece holding it is at most $\Delta_u - \nu^u_m < 0$;
(ii) at a local minimum $\theta^* \in S$ the Lagrange multipliers of each piece lie within $\Delta_u$ of
$\nu^u$, hence are at least $\kappa_u > 0$; (iii) about $\theta^*$ the Lagrangian with those multipliers
has Hessian $\succeq H_u - (\delta_u + \Delta_u \sum_m K_m) I$ on $\bar B$, $L$ exceeds it by at least
$\kappa_u \|z(\theta)\|_2$ on the piece, and splitting by $\|J_0 d\|_2 \gtrless 4\Gamma\rho\|d\|_2$ with (K5)
and $2\tau_s j \rho \le \kappa_s$ gives the quadratic growth on every piece, hence on $\bar B$, so there is at
most one local minimum; (iv) the same estimate about $c$ with (K4) shows $L > L(c)$ on the sphere, so the
minimum of $L$ over $\bar B$ is interior and is $\theta^*$.
\end{proof}
"""


@renders("curved_kink_ball")
def render(doc: Doc) -> Parts:
    """Lemmas and theorem for ``curved_kink_ball`` evidence (the constants the checker verified)."""
    ev, prob, rho = doc.evidence, doc.problem, doc.radius
    mu = doc.mu or Fraction(0)
    theta = doc.theta or []
    kinks = [(int(j), int(k), int(i)) for j, k, i in ev["kinks"]]
    q = len(kinks)
    pieces = ev["pieces"]
    require(sorted(pc["signs"] for pc in pieces) == sorted(format(v, f"0{q}b") for v in range(2 ** q)),
            "every one of the 2^q sign vectors is listed once")
    bd = bounds(prob, theta, rho)
    eta, gamma, jn = Fraction(ev["eta"]), Fraction(ev["gamma"]), Fraction(ev["jacobian_norm"])
    dlt = Fraction(ev["delta"])
    curv = [Fraction(v) for v in ev["curvatures"]]
    third = [Fraction(v) for v in ev.get("third_derivatives", ["0"] * q)]
    require(gamma * rho < eta, "(K2) Γρ < η")
    kink_rows = [f"{m} & {j} & {k} & {i} & ${rational(K, inline=True)}$ & ${rational(t, inline=True)}$ \\\\"
                 for m, ((j, k, i), K, t) in enumerate(zip(kinks, curv, third))]
    piece_rows = []
    worst_kappa = None
    for pc in pieces:
        nu = [Fraction(v) for v in pc["multipliers"]]
        eps, h, tau = Fraction(pc["residual_norm"]), Fraction(pc["hessian_norm"]), Fraction(pc["tau"])
        dlt_s = dlt + rho * sum((v * t for v, t in zip(nu, third)), Fraction(0))
        Delta = (eps + (h + dlt_s) * rho) / (eta - gamma * rho)
        kappa = min(nu) - Delta
        require(kappa > 0 and 2 * tau * jn * rho <= kappa, f"(K3) and 2τjρ ≤ κ for signs {pc['signs']}")
        worst_kappa = kappa if worst_kappa is None else min(worst_kappa, kappa)
        piece_rows.append(f"\\texttt{{{pc['signs']}}} & \\texttt{{{pc['pd']['method']}}} & ${decimal(min(nu), 4)}$ & "
                          f"${decimal(kappa, 4)}$ & ${decimal(tau, 4)}$ \\\\")
    lemmas = fill(r"""
\begin{lemma}[The kinks and the other signs]\label{pscert:lemma-curved-setting}
The $q = <<q>>$ kinks $m = (j, k, i)$ of Table~\ref{pscert:curvedkinks} (sample $j$, hidden layer
$k \in \{1, 2, 3\}$, unit $i$) have $z_m(c) = 0$ exactly, and at each sample they lie in one layer (S2). Every
other hidden pre-activation has the pattern's strict sign at $c$ and keeps it on $\bar B$ (S1): the
checker verifies $z^2 > \rho^2 \|\tilde x_j\|^2$ in the first layer and $z^2 > F_1(k)^2 P_k \rho^2$ deeper,
with the a-priori bounds of the appendix. So each $z_m$ is one polynomial near $\bar B$ (cubic for
$k = 3$, bilinear for $k = 2$, linear for $k = 1$), and with $P_s = \{\theta : s_m z_m(\theta) \ge 0\}$ near $\bar B$ for the
$2^q$ sign vectors $s$, all listed in Table~\ref{pscert:curvedpieces}, $L = L_{P(s)}$ on $P_s$. A hidden
pre-activation that vanishes at $c$ but is not listed is accepted only as a copy of a listed kink $(j_0, k, i)$
of the same unit, layer $k - 1$ being strictly off at both samples: both equal $b_k[i]$ near $\bar B$, so
the copy takes its kink's sign in every piece.
\end{lemma}

\begin{lemma}[Constants of the kinks]\label{pscert:lemma-curved-constants}
With $J_0$ the matrix of the gradients $\nabla z_m(c)$ (exact), the checker verifies that
$J_0J_0^\top - \eta^2 I$ is positive definite for $\eta = <<eta>>$ (exact $LDL^\top$ pivots), that
$j = <<jn>> \ge \|J_0\|_F$, that $t_m \ge \|\nabla^3 z_m\|_F$ (the third derivative is $0$ for
kinks of layers 1 and 2; for a third-layer kink it is the constant tensor with entry
$\pi^2_u \pi^1_v \tilde x_j[d]$ at each ordering of $(W_3[i,u], W_2[u,v], w_v[d])$, so
$\|\nabla^3 z_m\|_F^2 = 6\,\#\{(u, v) : \pi^2_u = \pi^1_v = 1\}\,\|\tilde x_j\|_2^2$), hence
$\|\nabla^2 z_m(\theta) - \nabla^2 z_m(c)\|_2 \le t_m\|\theta - c\|_2$ (Cauchy--Schwarz), and that
$K_m - t_m\rho$ bounds $\|\nabla^2 z_m(c)\|_2$ (for a second-layer kink the Hessian is constant with
spectral norm $\|\tilde x_j\|_2$ when some first-layer unit is on at $x_j$, else $0$; for a third-layer
kink the exact Frobenius norm at $c$; for a first-layer kink $0$), so $K_m \ge \sup_{\bar B}
\|\nabla^2 z_m\|_2$; $\Gamma = <<gamma>>$ with $\Gamma^2 \ge \sum_m K_m^2$, and (K2) $\Gamma\rho < \eta$. The
Hessian-variation bound $\delta = <<delta>>$ is that of the interior case; with
$\delta_s = \delta + \rho\sum_m \nu^s_m t_m$ it bounds $\|\nabla^2\Phi_s(\theta) - \nabla^2\Phi_s(c)\|_2$ on
$\bar B$ for the Lagrangian $\Phi_s = L_{P(s)} - \sum_m \nu^s_m s_m z_m$.
\end{lemma}

\begin{lemma}[The pieces]\label{pscert:lemma-curved-pieces}
For each of the $2^q$ pieces $s$ the certificate gives multipliers $\nu^s \ge 0$, and the checker computes
exactly $e_s = \nabla L_{P(s)}(c) - \sum_m \nu^s_m s_m \nabla z_m(c)$ and $H_s = \nabla^2 L_{P(s)}(c) -
\sum_m \nu^s_m s_m \nabla^2 z_m(c)$, verifies rational bounds $\varepsilon_s \ge \|e_s\|_2$ and $h_s \ge
\|H_s\|_F$, and with $\Delta_s = (\varepsilon_s + (h_s + \delta_s)\rho)/(\eta - \Gamma\rho)$ and $\kappa_s =
\min_m \nu^s_m - \Delta_s$: (K3) $\kappa_s > 0$ (the least is $<<kappa>>$, truncated), (K4) $\|e_s\|_2^2 <
(\mu\rho/2)^2$, and (K5) $\tau_s \ge 0$, $2\tau_s j\rho \le \kappa_s$ and $H_s + \tau_s J_0^\top J_0 - (\mu +
\delta_s + \Delta_s \sum_m K_m + 16\tau_s\Gamma^2\rho^2) I \succ 0$ by the witness of
Table~\ref{pscert:curvedpieces}.
\end{lemma}
""", q=str(q), eta=rational(eta, inline=True), jn=rational(jn, inline=True), gamma=rational(gamma, inline=True),
        delta=rational(dlt, inline=True), kappa=decimal(worst_kappa or Fraction(0)))
    lemmas += longtable("rrrrll", "The kinks $m = (j, k, i)$, the curvature bounds $K_m$ and the third-derivative "
                        "bounds $t_m$.", "pscert:curvedkinks", "$m$ & $j$ & $k$ & $i$ & $K_m$ & $t_m$", kink_rows)
    lemmas += longtable("lllll", "The $2^q$ pieces: the witness of (K5), the least multiplier, the margin "
                        "$\\kappa_s$ and the penalty $\\tau_s$ (truncated).", "pscert:curvedpieces",
                        "signs $s$ & method & $\\min_m \\nu^s_m$ & $\\kappa_s$ & $\\tau_s$", piece_rows)
    theorem = fill(THEOREM, rho=rational(rho, inline=True), mu=rational(mu, inline=True), q=str(q))
    first = pieces[0]["signs"]
    return Parts("An isolated strict local minimum on curved kinks",
                 "the loss has exactly one local minimum in the closed ball of radius "
                 f"${rational(rho, inline=True)}$ about the centre $c$, that it lies on {q} kink(s) of the first three "
                 "hidden layers, and that it is strict and isolated (Theorem~\\ref{pscert:theorem})",
                 _strings(piece_pattern(_read(ev["pattern"]), kinks, first)),
                 "the pattern of the first piece of Table~\\ref{pscert:curvedpieces}",
                 lemmas, theorem, apriori(doc, bd))


def _read(pattern: list[list[str]]) -> list[list[list[int]]]:
    return [[[int(ch) for ch in layer] for layer in sample] for sample in pattern]


def _strings(pattern: Pattern) -> list[list[str]]:
    return [["".join(map(str, layer)) for layer in sample] for sample in pattern]
