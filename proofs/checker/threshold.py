"""The rule for the claim kind ``piecewise_strong_convexity`` (standard library only; trusted).

What acceptance guarantees
--------------------------
The certificate's evidence (method ``"lemma_a_norm_box"``) names ``θ > 0``, ``ε ≥ 0`` and the top-level
``μ > 0``. Write ``W̃_k`` for the augmented layer matrices (``[W_k b_k; 0 1]`` for hidden layers,
``[W_{H+1} b_{H+1}]`` for the output; ``W̃_k = W_k`` without biases), ``x̃_j = (x_j, 1)`` with biases,
``X₂ = Σ_j ‖x̃_j‖²``, ``E_P(W) = α Σ_j ‖f_P(x_j; W) − y_j‖²`` the training error of the piece
polynomial of pattern ``P`` and ``K = α H² θ^(2H−2) X₂``. The claim is:

    for every activation pattern P and every W with ‖W̃_k‖₂ ≤ θ (all k) and E_P(W) ≤ ε,
    ∇²L_P(W) ⪰ μ·I.

The checker recomputes ``X₂``, ``K`` and ``ε* = λ²/K`` exactly from the problem and ``θ`` and verifies
``K·ε < λ²`` (``ε < ε*``), ``0 < μ ≤ 2λ`` and ``(λ − μ/2)² ≥ K·ε``. Given **Lemma (A)** (docs/MATHEMATICS.md
§2: on a piece ``λ_min(∇²L_P) ≥ 2λ − 2α·H·θ^(H−1)·Σ_j ‖x̃_j‖‖r_j‖``, with Cauchy–Schwarz
``Σ_j ‖x̃_j‖‖r_j‖ ≤ (X₂ E_P/α)^½``) this is the claim; the lemma itself is mathematics the checker
cannot verify, it verifies the instantiation. It also checks the problem is inside the lemma: weight
decay ``λ > 0`` on every parameter (``decay_biases`` true).

When ``center_in_set`` is true it verifies that the centre lies in the set: ``E(center) ≤ ε`` by an
exact forward pass (also equal to the stated ``training_error``), and ``‖W̃_k‖₂² ≤ θ²`` per layer, by
``‖W̃_k‖_F² ≤ θ²`` (``"frobenius"``; the stated bound must equal ``‖W̃_k‖_F²``) or by an exact PSD test
of ``θ²I − G_k``, ``G_k`` the smaller Gram matrix (``"spectral"``).

An optional ``region`` block makes the same claim for the one pattern ``P`` it names with ``X₂``
restricted to the live samples (bias-free: every hidden layer of ``P`` has an active unit at ``x_j``;
other samples have ``f_P(x_j) ≡ 0``) and its own ``μ_P``; when the centre is in the set its exact
pattern must equal ``P`` with every hidden pre-activation nonzero.

What acceptance does not guarantee: that any critical point or minimizer lies in the set (for bias-free
networks none but ``0`` does, notes §5.4), or anything about ``L`` on region boundaries beyond the
statement about each piece polynomial.

The problem, centre and numbers are read by the kernel (``reading``), the centre's outputs and pattern
come from ``network.forward`` and the spectral test from ``arith.positive_semidefinite``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .arith import positive_semidefinite
from .exceptions import CertificateInvalid
from .network import forward
from .reading import expect_list, parse_rational_strict, read_pattern

if TYPE_CHECKING:
    from .network import Problem
    from .rules import Context


def _fail(step: str, message: str) -> CertificateInvalid:
    return CertificateInvalid(step, message)


def _x2(p: Problem, samples: list[int]) -> Fraction:
    return sum((sum((v * v for v in p.inputs[j]), Fraction(0)) + p.biases for j in samples), Fraction(0))


def _constant(p: Problem, theta: Fraction, x2: Fraction) -> Fraction:
    H = p.depth
    return Fraction(0) if H == 0 else p.alpha * H * H * theta ** (2 * H - 2) * x2


def _modulus_ok(step: str, lam: Fraction, K: Fraction, eps: Fraction, mu: Fraction) -> None:
    if mu <= 0:
        raise _fail(step, f"mu is {mu}, must be positive")
    if mu > 2 * lam:
        raise _fail(step, f"mu is {mu}, must be at most 2λ = {2 * lam}")
    if (lam - mu / 2) ** 2 < K * eps:
        raise _fail(step, f"(λ − μ/2)² = {(lam - mu / 2) ** 2} must be ≥ K·ε = {K * eps}")


def _stated(value: Any, expected: Fraction | None, step: str, name: str, mx: int) -> None:
    if expected is None:
        if value is not None:
            raise _fail(step, f"{name} must be null (no threshold: K = 0)")
        return
    got = parse_rational_strict(value, f"{step}: {name}", mx)
    if got != expected:
        raise _fail(step, f"{name} is {got}, recomputed {expected}")


def lemma_a_norm_box(ctx: Context) -> str:
    """Verify the instantiation of Lemma (A) stated in the module docstring."""
    if ctx.radius != 0:
        raise CertificateInvalid("radius", f"must be 0 for a claim about a set, not a ball (got {ctx.radius})")
    p, ev, mx, mu = ctx.problem, ctx.evidence, ctx.max_digits, ctx.mu
    lam = p.weight_decay
    if p.biases and not p.decay_biases:
        raise _fail("conventions", "decay_biases must be true: Lemma (A) needs 2λI on every parameter")
    theta = parse_rational_strict(ev.get("theta"), "evidence.theta", mx)
    if theta <= 0:
        raise _fail("theta", f"must be positive (got {theta})")
    eps = parse_rational_strict(ev.get("epsilon"), "evidence.epsilon", mx)
    if eps < 0:
        raise _fail("epsilon", f"must be non-negative (got {eps})")
    x2 = _x2(p, list(range(len(p.inputs))))
    K = _constant(p, theta, x2)
    _stated(ev.get("x2"), x2, "constant", "x2", mx)
    _stated(ev.get("constant"), K, "constant", "constant", mx)
    eps_star = lam * lam / K if K else None
    _stated(ev.get("epsilon_star"), eps_star, "threshold", "epsilon_star", mx)
    if K and K * eps >= lam * lam:
        raise _fail("threshold", f"epsilon {eps} must be below epsilon* {lam * lam / K}")
    _modulus_ok("modulus", lam, K, eps, mu)

    inside = ev.get("center_in_set")
    if not isinstance(inside, bool):
        raise _fail("evidence", "center_in_set must be true or false")
    if inside:
        run = forward(p, ctx.center, None, ctx.budget)
        scale = run.s[-1] * run.dy
        err = p.alpha * Fraction(sum(v * v for r in run.residuals for v in r), scale * scale)
        _stated(ev.get("training_error"), err, "membership", "training_error", mx)
        if err > eps:
            raise _fail("membership", f"training error {err} exceeds epsilon {eps}")
        norms = ev.get("layer_norms")
        if not isinstance(norms, list) or len(norms) != p.depth + 1:
            raise _fail("membership", f"layer_norms must list {p.depth + 1} layers")
        for k, entry in enumerate(norms, start=1):
            M = [list(row) for row in p.layer_rows(ctx.center, k)]
            if p.biases and k <= p.depth:  # the augmented [W b; 0 1]
                M.append([Fraction(0)] * p.widths[k - 1] + [Fraction(1)])
            if not isinstance(entry, dict) or entry.get("method") not in ("frobenius", "spectral"):
                raise _fail("membership", f"layer {k}: method must be frobenius or spectral")
            bound = parse_rational_strict(entry.get("bound"), f"membership: layer {k} bound", mx)
            if bound > theta * theta:
                raise _fail("membership", f"layer {k}: norm bound {bound} exceeds θ² = {theta * theta}")
            if entry["method"] == "frobenius":
                fro = sum((v * v for r in M for v in r), Fraction(0))
                if fro != bound:
                    raise _fail("membership", f"layer {k}: ‖W̃‖_F² is {fro}, stated {bound}")
                continue
            cols = list(zip(*M))
            small = M if len(M) <= len(cols) else cols  # the smaller Gram matrix has the same nonzero spectrum
            S = [[(bound if i == j else 0) - sum((a * b for a, b in zip(u, v)), Fraction(0))
                  for j, v in enumerate(small)] for i, u in enumerate(small)]
            if not positive_semidefinite(S, ctx.budget):
                raise _fail("membership", f"layer {k}: bound·I − W̃ᵀW̃ is not PSD for bound {bound}")

    region, extra = ev.get("region"), ""
    if region is not None:
        if not isinstance(region, dict):
            raise _fail("region", "must be an object")
        pattern = read_pattern(region.get("pattern"), p, "evidence.region.pattern")
        live = [j for j, s in enumerate(pattern) if p.biases or all(any(u) for u in s)]
        if region.get("live_samples") != live:
            raise _fail("region", f"live_samples must be {live}")
        x2p = _x2(p, live)
        Kp = _constant(p, theta, x2p)
        _stated(region.get("x2"), x2p, "region", "x2", mx)
        _stated(region.get("constant"), Kp, "region", "constant", mx)
        _stated(region.get("epsilon_star"), lam * lam / Kp if Kp else None, "region", "epsilon_star", mx)
        if Kp and Kp * eps >= lam * lam:
            raise _fail("region", f"epsilon {eps} must be below the region's epsilon*")
        _modulus_ok("region", lam, Kp, eps, parse_rational_strict(region.get("mu"), "region.mu", mx))
        if inside:
            run = forward(p, ctx.center, None, ctx.budget)
            on_kink = p.activation == "relu" and any(0 in z for sample in run.pre for z in sample)
            if on_kink or run.masks != pattern:
                raise _fail("region", "the centre's exact pattern must equal the stated pattern, off every boundary")
        extra = f"; region mu = {region.get('mu')}"
    star = str(eps_star) if eps_star is not None else "none"
    where = " (centre inside)" if inside else ""
    return (f"piecewise strong convexity: mu = {mu} on {{‖W̃_k‖₂ ≤ {theta}, E_P ≤ {eps}}}"
            f"{where} (epsilon* = {star}){extra}")
