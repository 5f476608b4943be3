"""Tests of the trusted checker ``proofs.checker``.

The good certificates are built here from hand-worked mathematics (each builder's docstring has the
derivation) and committed under ``tests/certs/good``; the bad ones are mutations of them, committed
under ``tests/certs/bad`` with the expected rejection line in ``tests/certs/bad/EXPECTED.json``.
``test_committed_certificates_are_current`` rebuilds both and compares, so the files cannot drift;
``python tests/test_checker.py --write`` rewrites them.

The derivatives are compared with an independent oracle: a naive forward pass in ``Fraction`` and exact
polynomial interpolation of ``t ↦ L_P(θ + t·v)``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from proofs.checker import (CertificateInvalid, CertificateUnreadable, CheckerError, check_certificate,  # noqa: E402
                            check_file, main, parse_rational_strict)
from proofs.replay import curve_loss_polynomial, derivative_bounds, loss_derivatives  # noqa: E402

CERTS = ROOT / "tests" / "certs"
S = F(866025403784438646763723170753, 10 ** 30)   # ≈ √3/2 (slightly above it)


# --------------------------------------------------------------------------------------------------
# An independent oracle: naive forward pass and exact interpolation.

def naive_output(problem: dict, theta: list[F], x: list[F], pattern_j: list[str] | None) -> tuple[list[F], list[list[F]]]:
    """f(x; θ) and the hidden pre-activations; ``pattern_j`` None means the true ReLU."""
    widths = problem["network"]["widths"]
    bias = problem["network"].get("biases", True)
    identity = problem["network"].get("activation", "relu") == "identity"
    pos, a, zs = 0, list(x), []
    for k in range(1, len(widths)):
        n_in, n_out = widths[k - 1], widths[k]
        W = [theta[pos + i * n_in: pos + (i + 1) * n_in] for i in range(n_out)]
        pos += n_in * n_out
        b = theta[pos: pos + n_out] if bias else [F(0)] * n_out
        pos += n_out if bias else 0
        z = [sum((w * v for w, v in zip(row, a)), F(0)) + bi for row, bi in zip(W, b)]
        if k == len(widths) - 1:
            return z, zs
        zs.append(z)
        if identity:
            a = z
        elif pattern_j is None:
            a = [max(v, F(0)) for v in z]
        else:
            a = [v if pattern_j[k - 1][i] == "1" else F(0) for i, v in enumerate(z)]
    raise AssertionError("unreachable")


def naive_loss(problem: dict, theta: list[F], pattern: list[list[str]] | None = None) -> F:
    """docs/SPEC.md §1 loss, written out directly."""
    net, data = problem["network"], problem["data"]
    X = [[F(v) for v in x] for x in data["inputs"]]
    Y = [[F(v) for v in y] for y in data["targets"]]
    alpha = F(1, len(X)) if problem["loss"].get("reduction", "mean") == "mean" else F(1)
    lam = F(problem["loss"]["weight_decay"])
    total = F(0)
    for j, (x, y) in enumerate(zip(X, Y)):
        f, _ = naive_output(problem, theta, x, None if pattern is None else pattern[j])
        total += sum((fo - yo) ** 2 for fo, yo in zip(f, y))
    widths, bias = net["widths"], net.get("biases", True)
    decayed = []
    for k in range(1, len(widths)):
        decayed += [True] * (widths[k] * widths[k - 1]) + [net.get("decay_biases", True)] * (widths[k] * bias)
    return alpha * total + lam * sum(v * v for v, d in zip(theta, decayed) if d)


def solve(A: list[list[F]], b: list[F]) -> list[F]:
    """x with A x = b (Gauss–Jordan over QQ; A nonsingular)."""
    n = len(A)
    M = [list(row) + [v] for row, v in zip(A, b)]
    for c in range(n):
        p = next(r for r in range(c, n) if M[r][c])
        M[c], M[p] = M[p], M[c]
        M[c] = [v / M[c][c] for v in M[c]]
        for r in range(n):
            if r != c and M[r][c]:
                M[r] = [u - M[r][c] * v for u, v in zip(M[r], M[c])]
    return [row[-1] for row in M]


def taylor(problem: dict, theta: list[F], v: list[F], pattern: list[list[str]]) -> tuple[F, F]:
    """(g'(0), g''(0)) of the polynomial g(t) = L_P(θ + t v), by interpolation at t = 0..deg."""
    deg = 2 * (len(problem["network"]["widths"]) - 1)
    ts = list(range(deg + 1))
    vals = [naive_loss(problem, [a + t * b for a, b in zip(theta, v)], pattern) for t in ts]
    coeffs = solve([[F(t) ** i for i in range(deg + 1)] for t in ts], vals)
    return coeffs[1], 2 * coeffs[2]


def oracle_derivatives(problem: dict, theta: list[F], pattern: list[list[str]]) -> tuple[list[F], list[list[F]]]:
    """∇L_P and ∇²L_P from second-order Taylor coefficients along e_i and e_i + e_j."""
    P = len(theta)
    e = [[F(int(i == j)) for j in range(P)] for i in range(P)]
    grad, diag = zip(*(taylor(problem, theta, e[i], pattern) for i in range(P)))
    H = [[F(0)] * P for _ in range(P)]
    for i in range(P):
        H[i][i] = diag[i]
        for j in range(i):
            _, both = taylor(problem, theta, [a + b for a, b in zip(e[i], e[j])], pattern)
            H[i][j] = H[j][i] = (both - diag[i] - diag[j]) / 2
    return list(grad), H


# --------------------------------------------------------------------------------------------------
# Problems and certificates.

def problem(widths: list[int], lam: F, inputs: list[list[F]], targets: list[list[F]], biases: bool = False,
            activation: str = "relu") -> dict:
    """A normalised problem (canonical strings)."""
    net: dict[str, Any] = {"widths": widths, "biases": biases}
    if biases:
        net["decay_biases"] = True
    if activation != "relu":
        net["activation"] = activation
    return {"format": "pscert.problem/1", "network": net,
            "loss": {"reduction": "mean", "weight_decay": str(F(lam))},
            "data": {"inputs": [[str(F(v)) for v in x] for x in inputs],
                     "targets": [[str(F(v)) for v in y] for y in targets]}}


def point(prob: dict, theta: list[F]) -> dict:
    """θ (canonical order) in the point layout."""
    widths, bias = prob["network"]["widths"], prob["network"]["biases"]
    pos, weights, biases = 0, [], []
    for k in range(1, len(widths)):
        n_in, n_out = widths[k - 1], widths[k]
        weights.append([[str(F(v)) for v in theta[pos + i * n_in: pos + (i + 1) * n_in]] for i in range(n_out)])
        pos += n_in * n_out
        if bias:
            biases.append([str(F(v)) for v in theta[pos: pos + n_out]])
            pos += n_out
    return {"weights": weights, "biases": biases} if bias else {"weights": weights}


def certificate(claim: str, prob: dict, theta: list[F], radius: F, evidence: dict, mu: F | None = None) -> dict:
    status = "CERTIFIED" if claim in ("isolated_local_minimum", "piecewise_strong_convexity") else "REFUTED"
    cert = {"format": "pscert.certificate/1", "status": status, "claim": claim, "problem": prob,
            "center": point(prob, theta), "radius": str(F(radius))}
    if mu is not None:
        cert["mu"] = str(F(mu))
    cert["evidence"] = evidence
    cert["producer"] = {"tool": "tests/test_checker.py", "note": "hand-worked"}
    return cert


def polys(rows: list[list[F]]) -> list[list[str]]:
    return [[str(F(c)) for c in row] for row in rows]


def chain(lam: F = F(1, 4), y: F = F(1), activation: str = "relu") -> dict:
    """Widths [1,1,1], no biases, x = 1: L(a, b) = (b·σ(a) − y)² + λ(a² + b²)."""
    return problem([1, 1, 1], lam, [[1]], [[y]], activation=activation)


def ball(pattern: list[list[str]], delta: F, T: list[list[F]] | None = None) -> dict:
    pd = {"method": "ldl"} if T is None else {"method": "congruence", "T": polys(T)}
    return {"method": "interior_ball", "pattern": pattern, "delta": str(delta), "pd": pd}


def chain_minimum() -> dict:
    """L = (b·σ(a) − 1)² + (a² + b²)/4 has its minimum on a > 0 at a = b = √3/2 (ab = 3/4), where
    ∇²L = [[2b²+1/2, 4ab−2], [4ab−2, 2a²+1/2]] = [[2, 1], [1, 2]] (eigenvalues 1, 3).

    Centre (s, s), s = 0.866025403784438646763723170753 ≈ √3/2; ρ = 1/1000, μ = 1/2, δ = 1/50.
    Bounds (FORMAT.md): B = s + ρ, A = (1, B, B²), Mb(2,1) = B, F1(2) = B, F2(2) = 1, F3 = 0, so
    K = 2·3·B = 6B and δ² = 1/2500 ≥ P³K²ρ² = 8·36·B²·10⁻⁶ ≈ 2.2·10⁻⁴. Sign stability: z = s,
    F1(1) = 1, P_1 = 1: s² > ρ². ∇²L(c) − (μ+δ)I ≈ [[1.48, 1], [1, 1.48]]: pivots ≈ 1.48, 0.80 > 0.
    ‖∇L(c)‖ = √2·s·|2s² − 3/2| ≈ 10⁻³⁰ < μρ = 1/2000.
    """
    return certificate("isolated_local_minimum", chain(), [S, S], F(1, 1000), ball([["1"]], F(1, 50)), F(1, 2))


def chain_minimum_congruence() -> dict:
    """As :func:`chain_minimum` with T = [[1, 0], [−1/2, 1]]: with A ≈ [[p, 1], [1, p]], p ≈ 1.48,
    C = T A Tᵀ ≈ [[p, 1 − p/2], [1 − p/2, 3p/4 − 1 + … ]] ≈ [[1.48, 0.26], [0.26, 0.85]]: dominant."""
    T = [[F(1), F(0)], [F(-1, 2), F(1)]]
    return certificate("isolated_local_minimum", chain(), [S, S], F(1, 1000), ball([["1"]], F(1, 50), T), F(1, 2))


def chain_minimum_cholesky() -> dict:
    """As :func:`chain_minimum` with the float Cholesky witness: ∇²L(c) − (μ+δ)I ≈ [[1.48, 1], [1, 1.48]]
    has eigenvalues ≈ 0.48 and 2.48, far above the theorem's shift (≈ 2^-50 relative)."""
    ev = ball([["1"]], F(1, 50))
    ev["pd"] = {"method": "cholesky"}
    return certificate("isolated_local_minimum", chain(), [S, S], F(1, 1000), ev, F(1, 2))


def chain_minimum_cholesky_hair(sign: int = -1) -> dict:
    """The Cholesky witness on a matrix positive definite by a hair (``sign = −1``) or not at all (``+1``).
    ∇²L(c) = [[2s²+1/2, 4s²−2], [4s²−2, 2s²+1/2]] has eigenvalues 6s² − 3/2 and 5/2 − 2s² (≈ 3 and 1);
    with μ = 1/2 and δ = 2 − 2s² + sign·2⁻¹⁰⁰ the shifted matrix has smallest eigenvalue −sign·2⁻¹⁰⁰: far
    below binary64's resolution, so the float test declines and the exact LDLᵀ decides."""
    delta = 2 - 2 * S * S + sign * F(1, 2 ** 100)
    ev = ball([["1"]], delta)
    ev["pd"] = {"method": "cholesky"}
    return certificate("isolated_local_minimum", chain(), [S, S], F(1, 1000), ev, F(1, 2))


def chain_identity_minimum() -> dict:
    """Identity activation: L = (ab − 1)² + (a² + b²)/4 on all of R²; same numbers as
    :func:`chain_minimum`, and no sign conditions."""
    return certificate("isolated_local_minimum", chain(activation="identity"), [S, S], F(1, 1000),
                       ball([["1"]], F(1, 50)), F(1, 2))


REGRESSION_X = [[F(0), F(1)], [F(1), F(0)], [F(1), F(1)]]
REGRESSION_Y = [[F(1)], [F(1)], [F(0)]]


def regression_minimum() -> dict:
    """No hidden layer (H = 0), biases, λ = 1/100: L = (1/3)Σ(w·x_j + b − y_j)² + λ‖θ‖² is a convex
    quadratic; its minimum θ* solves ((1/3)Σ x̃x̃ᵀ + λI) θ = (1/3)Σ y x̃ (rational). The Hessian is
    constant, 2((1/3)Σ x̃x̃ᵀ + λI) ⪰ 2λI, so K = 0 (F2 = F3 = 0), δ = 0, and μ = 2λ = 1/50 works:
    ∇²L − μI = (2/3)Σ x̃x̃ᵀ ≻ 0 (the x̃ span R³). Any radius: ρ = 1."""
    lam = F(1, 100)
    xt = [x + [F(1)] for x in REGRESSION_X]
    A = [[sum(u[i] * u[j] for u in xt) / 3 + (lam if i == j else 0) for j in range(3)] for i in range(3)]
    b = [sum(u[i] * y[0] for u, y in zip(xt, REGRESSION_Y)) / 3 for i in range(3)]
    theta = solve(A, b)
    prob = problem([2, 1], lam, REGRESSION_X, REGRESSION_Y, biases=True)
    return certificate("isolated_local_minimum", prob, theta, F(1), ball([[], [], []], F(0)), 2 * lam)


SPLIT_P = [F(12, 25), F(16, 25), F(4, 5)]     # case A of docs/MATHEMATICS.md §4: (w, b, a) of the live unit


def split_problem(hidden: int) -> dict:
    """docs/MATHEMATICS.md §4 case A: widths [1, hidden, 1], biases, λ = 1/4, x = 3/4, y = 9/5."""
    return problem([1, hidden, 1], F(1, 4), [[F(3, 4)]], [[F(9, 5)]], biases=True)


def split_reduced_minimum() -> dict:
    """Case A's reduced net: (w, b, a, c) = (12/25, 16/25, 4/5, 4/5) is an exact critical point
    (z = wx + b = 1, f = a + c = 8/5, r = −1/5: ∂w = 2r·a·x + w/2 = −6/25 + 6/25 = 0, …), with
    ∇²L = [[61/50, 24/25, 9/10, 6/5], [24/25, 89/50, 6/5, 8/5], [9/10, 6/5, 5/2, 2], [6/5, 8/5, 2, 5/2]]
    (leading minors 61/50, 5/4, 2, 1; smallest eigenvalue ≈ 0.3238). Bounds with ρ = 1/1000:
    B = 4/5 + ρ, X = 3/4, β = 1, A_1 = (7/4)B, F1(2) = (7/4)B, F2(2) = 1, K = 6·(7/4)B ≈ 8.41, so
    δ ≥ P^{3/2}Kρ = 8Kρ ≈ 0.0673: δ = 1/10, μ = 1/5, μ + δ = 0.3 < 0.3238. ∇L(c) = 0."""
    theta = [SPLIT_P[0], SPLIT_P[1], SPLIT_P[2], F(4, 5)]
    return certificate("isolated_local_minimum", split_problem(1), theta, F(1, 1000), ball([["1"]], F(1, 10)),
                       F(1, 5))


def rotation(c0: F, s0: F) -> tuple[list[F], list[F]]:
    """Numerators of (cos, sin)(φ0 + φ(t)) over q = 1 + t², with cos φ(t) = (1−t²)/q, sin φ(t) = 2t/q."""
    return [c0, -2 * s0, -c0], [s0, 2 * c0, -s0]


def split_orbit(c0: F, s0: F) -> tuple[list[F], list[list[F]]]:
    """θ and the curve numerators of the case-A orbit p_1 = cos φ·p*, p_2 = sin φ·p*, output bias 4/5."""
    C, Sn = rotation(c0, s0)
    w, b, a = SPLIT_P
    theta = [c0 * w, s0 * w, c0 * b, s0 * b, c0 * a, s0 * a, F(4, 5)]
    nums = [[w * v for v in C], [w * v for v in Sn], [b * v for v in C], [b * v for v in Sn],
            [a * v for v in C], [a * v for v in Sn], [F(4, 5), F(0), F(4, 5)]]
    return theta, nums


def curve(kind: str, nums: list[list[F]], den: list[F], t0: F) -> dict:
    return {"method": "curve", "kind": kind, "numerators": polys(nums), "denominator": polys([den])[0], "t0": str(t0)}


def chain_origin_descent(claim: str = "not_a_local_minimum") -> dict:
    """At the origin of the chain, γ(t) = (t, t): L(t, t) − L(0) = (t² − 1)² + t²/2 − 1 = −(3/2)t² + t⁴
    (q = 1, so Λ is that). −3/2 dominates on (0, 1/2]: t0² = 1/4 < 3/2. The hidden numerator z = t
    is positive on (0, t0]."""
    return certificate(claim, chain(), [F(0), F(0)], F(0), curve("descent", [[0, 1], [0, 1]], [F(1)], F(1, 2)))


def two_unit_rotation() -> dict:
    """Widths [1,2,1], no biases, x = 1, y = 5/4, λ = 1/4. With both units active f = a·w, and
    critical points have a = w, |w|² = y − λ = 1: the centre w = a = (3/5, 4/5) (f = 1, r = −1/4,
    ∂w_i = 2r·a_i + w_i/2 = 0). Rotating (w, a) by the rational angle (cos, sin) = ((1−t²), 2t)/(1+t²)
    keeps f = |w|² = 1 and ‖θ‖² = 2, so Λ ≡ 0. Numerators w_1 = 3/5 − (8/5)t − (3/5)t²,
    w_2 = 4/5 + (6/5)t − (4/5)t²; both stay positive on (0, 1/4]: (8/5)/4 + (3/5)/16 < 3/5, etc."""
    C, Sn = rotation(F(3, 5), F(4, 5))
    prob = problem([1, 2, 1], F(1, 4), [[1]], [[F(5, 4)]])
    return certificate("not_isolated", prob, [F(3, 5), F(4, 5), F(3, 5), F(4, 5)], F(0),
                       curve("constant", [C, Sn, C, Sn], [F(1), F(0), F(1)], F(1, 4)))


def split_orbit_rotation() -> dict:
    """Case A orbit point (cos, sin) = (3/5, 4/5) rotated along the orbit: L = 13/25 all along, z_i =
    (cos, sin)·1 > 0 on (0, 1/4]."""
    theta, nums = split_orbit(F(3, 5), F(4, 5))
    return certificate("not_isolated", split_problem(2), theta, F(0), curve("constant", nums, [F(1), F(0), F(1)], F(1, 4)))


def split_endpoint_rotation() -> dict:
    """Case A dead-unit endpoint (cos, sin) = (1, 0): unit 2 is all zero, so the centre lies on a region
    boundary (z_2 = 0). Along the orbit z_2 = 2t/(1+t²) > 0 and z_1 = (1 − t²)/(1+t²) > 0 on (0, 1/2]."""
    theta, nums = split_orbit(F(1), F(0))
    return certificate("not_isolated", split_problem(2), theta, F(0), curve("constant", nums, [F(1), F(0), F(1)], F(1, 2)))


def depth3() -> dict:
    """Widths [1,1,1,1], no biases, x = y = 1, λ = 7/16: L = (c·σ(b·σ(a)) − 1)² + λ(a² + b² + c²)."""
    return problem([1, 1, 1, 1], F(7, 16), [[1]], [[1]])


def depth3_saddle_curvature(direction: tuple[int, ...] = (1, 1, 1)) -> dict:
    """At a = b = c = 1/2: ∂_a L = 2(abc − 1)bc + 2λa = 2(−7/8)(1/4) + 7/16 = 0 (and by symmetry), and
    ∇²L = [[1, −3/4, −3/4], …] (2(bc)² + 2λ = 1, 2(abc−1)c + 2abc² = −3/4), so d = (1,1,1) has
    dᵀHd = 3 − 9/2 = −3/2. Bounds at ρ = 1/1000: B = 1/2 + ρ, F1(3) = B², F2(3) = B, F3(3) = 1,
    R = B³ + 1, K = 2(3B³ + B³ + 1) ≈ 3.006, δ ≥ √27·Kρ ≈ 0.0156: δ = 1/50, and −3/2 + 3/50 < 0.
    Sign stability: z_1 = 1/2 > ρ (F1(1) = 1, P_1 = 1), z_2 = 1/4 > √2·Bρ (F1(2) = B, P_2 = 2)."""
    ev = {"method": "negative_curvature", "pattern": [["1", "1"]], "delta": "1/50",
          "direction": [str(v) for v in direction]}
    return certificate("not_a_local_minimum", depth3(), [F(1, 2)] * 3, F(1, 1000), ev)


def depth3_saddle_descent(t0: F = F(1, 5)) -> dict:
    """γ(t) = (1/2 + t)(1, 1, 1), q = 1: g(s) = (s³ − 1)² + 3λs², and g(1/2 + t) − g(1/2) =
    −(3/4)t² + (1/2)t³ + (15/4)t⁴ + 3t⁵ + t⁶. At t0 = 1/5: 1/10 + 3/20 + 3/125 + 1/625 < 3/4. The
    hidden numerators are z_1 = 1/2 + t (t0 < 1/2) and z_2 = (1/2 + t)² = 1/4 + t + t²
    (t0 + t0² = 6/25 < 1/4; at t0 = 1/4 the test fails: 5/16 ≥ 1/4)."""
    return certificate("not_a_local_minimum", depth3(), [F(1, 2)] * 3, F(0),
                       curve("descent", [[F(1, 2), 1]] * 3, [F(1)], t0))


def depth3_null_input(biases: bool = False, x1: F = F(-1)) -> dict:
    """:func:`depth3` with α = 1/2, λ = 7/32 and a second sample ``x = −1``, ``y = 0``: at a = b = c = 1/2
    layer 1 is off there (z_1 = −1/2), so layer 2 sees the input 0 and z_2 = b·0 = 0 for every θ (a null
    input, no boundary); that sample's loss term is (0 − 0)² = 0. On sample 1, as for :func:`depth3`:
    ∂_a L = 2α(abc − 1)bc + 2λa = −7/32 + 7/32 = 0; ∇²L has diagonal 2α(bc)² + 2λ = 1/2 and off-diagonal
    2α((ac)(bc) + (abc − 1)c) = 1/16 − 7/16 = −3/8, so d = (1,1,1) gives dᵀHd = 3/2 − 9/4 = −3/4, and
    −3/4 + 3δ < 0 with δ = 1/50 (the bounds are those of :func:`depth3_saddle_curvature`: |x| ≤ 1)."""
    prob = problem([1, 1, 1, 1], F(7, 32), [[1], [x1]], [[1], [0]], biases=biases)
    theta = [F(1, 2), F(0), F(1, 2), F(0), F(1, 2), F(0)] if biases else [F(1, 2)] * 3
    ev = {"method": "negative_curvature", "pattern": [["1", "1"], ["0", "0"]], "delta": "1/50",
          "direction": ["1", "0", "1", "0", "1", "0"] if biases else ["1", "1", "1"]}
    return certificate("not_a_local_minimum", prob, theta, F(1, 1000), ev)


GOOD: dict[str, Callable[[], dict]] = {
    "chain_minimum": chain_minimum,
    "chain_minimum_congruence": chain_minimum_congruence,
    "chain_minimum_cholesky": chain_minimum_cholesky,
    "chain_minimum_cholesky_hair": chain_minimum_cholesky_hair,
    "chain_identity_minimum": chain_identity_minimum,
    "regression_minimum": regression_minimum,
    "split_reduced_minimum": split_reduced_minimum,
    "chain_origin_descent": chain_origin_descent,
    "chain_origin_not_isolated": lambda: chain_origin_descent("not_isolated"),
    "two_unit_rotation": two_unit_rotation,
    "split_orbit_rotation": split_orbit_rotation,
    "split_endpoint_rotation": split_endpoint_rotation,
    "depth3_saddle_curvature": depth3_saddle_curvature,
    "depth3_saddle_descent": depth3_saddle_descent,
    "depth3_null_input": depth3_null_input,
}

def chain_minimum_from_origin() -> dict:
    """:func:`chain_minimum` for a user who gave (9/10, 9/10): ‖(9/10 − s)(1, 1)‖² = 2(9/10 − s)² ≈ 0.0023
    ≤ (1/20)² = 0.0025."""
    cert = chain_minimum()
    cert["origin"], cert["origin_distance"] = point(chain(), [F(9, 10), F(9, 10)]), "1/20"
    return cert


GOOD["chain_minimum_from_origin"] = chain_minimum_from_origin


def generated(path: str) -> Callable[[], dict]:
    """A certificate the generator finds for a committed problem file (built only by ``--write``: the
    committed file, not the generator of the day, is what the tests read)."""

    def build() -> dict:
        from proofs.generator import certify
        from symbolic.problem import load_problem

        verdict = certify(load_problem(str(ROOT / path)))
        assert verdict.certificate is not None, verdict.reason
        return verdict.certificate

    return build


def psc_chain() -> dict:
    """The paper's Lemma (A) on the chain with the point (1, 9/10), λ = 1/4 (``proofs.threshold_cert``)."""
    from proofs.methods.lemma_a_norm_box import certified
    from symbolic.problem import parse_problem
    from symbolic.threshold import threshold

    prob = {**chain(), "point": point(chain(), [F(1), F(9, 10)])}
    return certified(threshold(parse_problem(prob)))


def generated_global(path: str) -> Callable[[], dict]:
    """A ``global_minimum`` or ``not_global_minimum`` certificate for a committed problem (``--write`` only)."""

    def build() -> dict:
        from proofs.methods.dual_cones import global_verdict
        from symbolic.problem import load_problem

        verdict = global_verdict(load_problem(str(ROOT / path)))
        assert verdict.certificate is not None, verdict.reason
        return verdict.certificate

    return build


def generated_orbit(path: str) -> Callable[[], dict]:
    """A ``nonisolated_local_minimum`` certificate for a committed problem's point (``--write`` only)."""

    def build() -> dict:
        from proofs.methods.split_orbit import search
        from symbolic.problem import load_problem

        problem = load_problem(str(ROOT / path))
        verdict = search(problem, problem.flatten(problem.point))
        assert verdict is not None and verdict.certificate is not None, verdict
        return verdict.certificate

    return build


def generated_rotation_kinks(path: str) -> Callable[[], dict]:
    """A ``rotation_kink_orbit`` certificate for a committed problem's point (``--write`` only; ``certify``
    itself may prefer another method, e.g. ``split_orbit`` for proportional units)."""

    def build() -> dict:
        from proofs.methods.rotation_orbit import search
        from symbolic.problem import load_problem

        problem = load_problem(str(ROOT / path))
        verdict = search(problem, problem.flatten(problem.point), True, lambda _msg: None)
        assert verdict is not None and verdict.certificate is not None, verdict
        return verdict.certificate

    return build


GENERATED: dict[str, Callable[[], dict]] = {
    "case_a_orbit": generated_orbit("tests/data/global_case_a_orbit.json"),
    "case_c_orbit": generated_orbit("tests/data/orbit_case_c.json"),
    "kink_orbit": generated_orbit("tests/data/orbit_kink.json"),
    "case_a_global": generated_global("tests/data/global_case_a.json"),
    "case_c_wider": generated_global("tests/data/global_case_c.json"),
    "case_a_orbit_global": generated_global("tests/data/global_case_a_orbit.json"),
    "kink_one_unit_boundary": generated("tests/data/kink_one_unit.json"),
    "xor_trained_kinks": generated("examples/xor_trained.json"),
    "dead_layer_collapsed": generated("tests/data/dead_layer.json"),
    "deep_collapsed": generated("tests/data/collapsed_network.json"),
    "rotation_orbit": generated("tests/data/rotation_2_3_2.json"),
    "null_input_rotation_orbit": generated("tests/data/null_input_rotation.json"),
    "twin_kink_orbit": generated_orbit("tests/data/twin_kinks.json"),
    "twin_kink_global": generated_global("tests/data/twin_kinks.json"),
    "rotation_kink_orbit": generated_rotation_kinks("tests/data/rotation_kink.json"),
    "curved_kink": generated("tests/data/curved_kink.json"),
    "curved_kink_layer3": generated("tests/data/curved_kink_layer3.json"),
    "curved_kink_copies": generated("tests/data/curved_kink_copies.json"),
    "dead_unit_end": generated("tests/data/dead_last_layer.json"),
    "chain_lemma_a": psc_chain,
}

GOOD_LINES = {
    "curved_kink_copies": "VALID: CERTIFIED isolated_local_minimum, radius 1/16777216, mu 21/100000 (curved_kink_ball, "
                          "3 kink(s) of layer(s) 1, 2, 8 piece(s)",
    "curved_kink_layer3": "VALID: CERTIFIED isolated_local_minimum, radius 1/4194304, mu 63/10000 (curved_kink_ball, 1 "
                          "kink(s) of layer(s) 3, 2 piece(s)",
    "curved_kink": "VALID: CERTIFIED isolated_local_minimum, radius 1/1048576, mu 7/1250 (curved_kink_ball, 1 kink(s) of "
                   "layer(s) 2, 2 piece(s), eta 23/10",
    "chain_minimum_from_origin": "VALID: CERTIFIED isolated_local_minimum, radius 1/1000, mu 1/2 (interior_ball, delta "
                                 "1/50, pd ldl, 2 parameters); the given point is within 1/20 of the centre",
    "kink_one_unit_boundary": "VALID: CERTIFIED isolated_local_minimum, radius 1/562949953421312, mu 49/1000 (boundary_ball",
    "xor_trained_kinks": "VALID: CERTIFIED isolated_local_minimum, radius 1/562949953421312, mu 19/1000 (kink_ball, 4 "
                         "independent kink constraint(s), 16 region(s)",
    "dead_layer_collapsed": "VALID: CERTIFIED isolated_local_minimum, radius",
    "rotation_orbit": "VALID: CERTIFIED nonisolated_local_minimum, radius",
    "dead_unit_end": "VALID: CERTIFIED nonisolated_local_minimum, radius",
    "null_input_rotation_orbit": "VALID: CERTIFIED nonisolated_local_minimum, radius",
    "twin_kink_orbit": "VALID: CERTIFIED nonisolated_local_minimum, radius",
    "twin_kink_global": "VALID: CERTIFIED global_minimum, radius",
    "rotation_kink_orbit": "VALID: CERTIFIED nonisolated_local_minimum, radius 1/1048576, mu 9/200 (rotation_kink_orbit, "
                           "groups of 2 unit(s), 1 tangent(s), 1 independent kink constraint(s), 2 region(s)",
    "deep_collapsed": "VALID: CERTIFIED isolated_local_minimum, radius 1/8, mu 879/1024 (collapsed_network, 2 hidden "
                      "layers, bstar_norm 11651/131072",
    "case_a_global": "VALID: CERTIFIED global_minimum, radius 1/803469022129495137770981046170581301261101496891396417650688, "
                     "mu 4/25 (dual_cones, 1 kept unit(s), 2 cone(s): 1 live, 1 witnessed, 0 excluded",
    "case_a_orbit_global": "VALID: CERTIFIED global_minimum, radius 1/200867255532373784442745261542645325315275374222849104412672, "
                           "mu 4/25 (dual_cones, 1 kept unit(s), 2 cone(s): 1 live, 1 witnessed",
    "case_a_orbit": "VALID: CERTIFIED nonisolated_local_minimum, radius 1/1099511627776, mu 4/25 (split_orbit, groups 2, "
                    "orbit dimension 1, stable radius 6/25, reduced interior_ball)",
    "case_c_orbit": "VALID: CERTIFIED nonisolated_local_minimum, radius 1/1099511627776, mu 1/4 (split_orbit, groups 2, "
                    "orbit dimension 1, stable radius 3/20, reduced interior_ball)",
    "kink_orbit": "VALID: CERTIFIED nonisolated_local_minimum, radius 1/1048576, mu 2/5 (split_orbit, groups 2, orbit "
                  "dimension 1, stable radius 7/33, reduced kink_ball, 1 kink(s))",
    "case_c_wider": "VALID: REFUTED not_global_minimum, radius 1/1099511627776 (wider_network of width 2, loss 15/16 <",
    "chain_lemma_a": "VALID: CERTIFIED piecewise_strong_convexity, radius 0, mu 3/10 (piecewise strong convexity",
    "chain_minimum": "VALID: CERTIFIED isolated_local_minimum, radius 1/1000, mu 1/2 (interior_ball, delta 1/50, pd ldl",
    "chain_minimum_congruence": "VALID: CERTIFIED isolated_local_minimum, radius 1/1000, mu 1/2 (interior_ball, delta 1/50, pd congruence",
    "chain_minimum_cholesky": "VALID: CERTIFIED isolated_local_minimum, radius 1/1000, mu 1/2 (interior_ball, delta 1/50, pd cholesky",
    "chain_minimum_cholesky_hair": "VALID: CERTIFIED isolated_local_minimum, radius 1/1000, mu 1/2 (interior_ball, delta ≈ 0.5",
    "chain_identity_minimum": "VALID: CERTIFIED isolated_local_minimum, radius 1/1000, mu 1/2",
    "regression_minimum": "VALID: CERTIFIED isolated_local_minimum, radius 1, mu 1/50 (interior_ball, delta 0",
    "split_reduced_minimum": "VALID: CERTIFIED isolated_local_minimum, radius 1/1000, mu 1/5",
    "chain_origin_descent": "VALID: REFUTED not_a_local_minimum, radius 0 (descent curve, t0 1/2, leading term -3/2·t^2)",
    "chain_origin_not_isolated": "VALID: REFUTED not_isolated, radius 0 (descent curve",
    "two_unit_rotation": "VALID: REFUTED not_isolated, radius 0 (constant curve, t0 1/4)",
    "split_orbit_rotation": "VALID: REFUTED not_isolated, radius 0 (constant curve, t0 1/4)",
    "split_endpoint_rotation": "VALID: REFUTED not_isolated, radius 0 (constant curve, t0 1/2)",
    "depth3_saddle_curvature": "VALID: REFUTED not_a_local_minimum, radius 1/1000 (negative_curvature, delta 1/50, dᵀHd -3/2)",
    "depth3_saddle_descent": "VALID: REFUTED not_a_local_minimum, radius 0 (descent curve, t0 1/5, leading term -3/4·t^2)",
    "depth3_null_input": "VALID: REFUTED not_a_local_minimum, radius 1/1000 (negative_curvature, delta 1/50, dᵀHd -3/4)",
}


def edit(base: Callable[[], dict], change: Callable[[dict], Any]) -> Callable[[], str]:
    """A mutation of a good certificate, as JSON text."""

    def build() -> str:
        cert = base()
        change(cert)
        return dump(cert)

    return build


def text_edit(base: Callable[[], dict], old: str, new: str) -> Callable[[], str]:
    """A textual mutation (for what a dict cannot hold: floats, NaN, duplicate keys)."""

    def build() -> str:
        text = dump(base())
        assert text.count(old) == 1, old
        return text.replace(old, new)

    return build


def setter(path: str, value: Any) -> Callable[[dict], None]:
    """Set (or with value DELETE, remove) a dotted path such as ``evidence.pd``."""

    def change(cert: dict) -> None:
        *parents, last = path.split(".")
        node = cert
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is DELETE:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return change


DELETE = object()


def nudge(path: str, by: F) -> Callable[[dict], None]:
    """Add ``by`` to the rational at a dotted path."""

    def change(cert: dict) -> None:
        *parents, last = path.split(".")
        node = cert
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        key: Any = int(last) if isinstance(node, list) else last
        node[key] = str(F(node[key]) + by)

    return change


DEAD_END_NO_FEATURES = {
    "format": "pscert.certificate/1", "status": "CERTIFIED", "claim": "nonisolated_local_minimum",
    "problem": {"format": "pscert.problem/1", "network": {"widths": [1, 1, 2, 1], "biases": False},
                "loss": {"reduction": "mean", "weight_decay": "1/4"},
                "data": {"inputs": [["0"], ["0"]], "targets": [["1"], ["-1"]]}},
    "center": {"weights": [[["0"]], [["0"], ["0"]], [["0", "0"]]]}, "radius": "1/1099511627776", "mu": "1/4",
    "evidence": {"method": "dead_unit_end", "dead": [0],
                 "local": {"method": "interior_ball", "pattern": [["0", "0"], ["0", "0"]], "delta": "0",
                           "pd": {"method": "ldl"}},
                 "residual_bound": "1", "feature_bound": "1", "sample_norms": [],
                 "cones": [{"signs": "", "unit": 1, "other": [], "faces": []}], "empty": []}}


def committed(name: str) -> Callable[[], dict]:
    """The committed good certificate ``name`` (for mutations of generated certificates)."""
    return lambda: json.loads((CERTS / "good" / f"{name}.json").read_text(encoding="utf-8"))


def drop_piece(cert: dict) -> None:
    cert["evidence"]["pieces"].pop()


def orbit_point_claimed_isolated() -> dict:
    """Case A orbit point (3/5, 4/5) claimed isolated: its Hessian is singular (kernel = orbit tangent),
    so no μ > 0 passes; δ is the smallest valid one at ρ = 10⁻⁶ (rounded up)."""
    theta, _ = split_orbit(F(3, 5), F(4, 5))
    prob, rho = split_problem(2), F(1, 10 ** 6)
    delta = upper_sqrt(derivative_bounds(prob, theta, rho).delta_squared)
    return certificate("isolated_local_minimum", prob, theta, rho, ball([["11"]], delta), F(1, 100))


def upper_sqrt(x: F, bits: int = 40) -> F:
    """A dyadic rational ≥ √x."""
    from math import isqrt
    n = isqrt(x.numerator * 4 ** bits // x.denominator) + 1
    return F(n, 2 ** bits)


def fourth_layer_kink() -> dict:
    """A hand-written ``curved_kink_ball`` certificate claiming a kink of layer 4 (widths [1,1,1,1,1,1], all
    weights 1, x = 1: every pre-activation is 1, none is a kink, and layer 4 is not covered anyway)."""
    prob = problem([1, 1, 1, 1, 1, 1], F(1, 10), [[1]], [[1]])
    ev = {"method": "curved_kink_ball", "pattern": [["1", "1", "1", "0"]], "kinks": [[0, 4, 0]], "delta": "1",
          "eta": "1", "jacobian_norm": "1", "curvatures": ["0"], "gamma": "0",
          "pieces": [{"signs": s, "multipliers": ["1"], "residual_norm": "0", "hessian_norm": "1", "tau": "0",
                      "pd": {"method": "ldl"}} for s in "01"]}
    return certificate("isolated_local_minimum", prob, [F(1)] * 5, F(1, 1000), ev, F(1, 100))


def inflate_third_derivative(cert: dict) -> None:
    """``t_0`` raised by 2^20 with ``K_0`` and ``Γ`` raised to stay consistent: only ``δ_s = δ + ρΣν_mt_m``
    and the curvature terms grow (by about 3.6·2^20·ρ·ν ≈ 0.1 in δ_s), so the shift of (K5) is too large."""
    ev, rho = cert["evidence"], F(cert["radius"])
    t = F(ev["third_derivatives"][0]) * 2 ** 20
    K = F(ev["curvatures"][0]) + (t - F(ev["third_derivatives"][0])) * rho
    ev["third_derivatives"][0], ev["curvatures"][0], ev["gamma"] = str(t), str(K), str(K)


def curved_two_layers_at_one_sample(cert: dict) -> None:
    """The committed curved kink with a first-layer kink added at the second-layer kink's sample."""
    cert["evidence"]["kinks"].insert(0, [1, 1, 0])


def piecewise_claim(cert: dict) -> None:
    cert["claim"] = "piecewise_strong_convexity"


CURVED = committed("curved_kink")
CURVED3 = committed("curved_kink_layer3")
CURVED_COPIES = committed("curved_kink_copies")


def copy_switched_on(cert: dict) -> None:
    """The copy at sample 6 (unit 0 of layer 2, z = b_2[0] = 0 with layer 1 off) given pattern entry '1'."""
    layer = cert["evidence"]["pattern"][6][1]
    cert["evidence"]["pattern"][6][1] = "1" + layer[1:]


def copy_original_dropped(cert: dict) -> None:
    """Kink [1, 2, 0] removed (and its sign from every piece): its copy at sample 6 has nothing to copy."""
    ev = cert["evidence"]
    m = ev["kinks"].index([1, 2, 0])
    ev["kinks"].pop(m)
    for piece in ev["pieces"]:
        piece["multipliers"].pop(m)
        piece["signs"] = piece["signs"][:m] + piece["signs"][m + 1:]

BAD: dict[str, tuple[Callable[[], str], str]] = {
    "curved_zero_off": (edit(CURVED, nudge("center.biases.1.0", F(1, 10 ** 30))),
                        "kinks: (K1) kink [1, 2, 0]: z at the centre must be 0 (got 1/1000000000000000000000000000000)"),
    "curved_piece_missing": (edit(CURVED, drop_piece),
                             "regions: the piece with kink signs 1 is not listed"),
    "curved_multiplier_negative": (edit(CURVED, setter("evidence.pieces.0.multipliers.0", "-1/1000")),
                                   "multipliers: evidence.pieces[0].multipliers[0] must be ≥ 0 (got -1/1000)"),
    "curved_multiplier_below_drift": (edit(CURVED, setter("evidence.pieces.1.residual_norm", "1/10")),
                                      "multipliers: evidence.pieces[1]: (K3) the least multiplier"),
    "curved_eta_too_large": (edit(CURVED, setter("evidence.eta", "3")),
                             "kink gradients: J_0J_0ᵀ − eta²·I must be positive definite: pivot 1 of 1 is"),
    "curved_gamma_too_small": (edit(CURVED, setter("evidence.gamma", "1")),
                               "kink curvature: gamma must be ≥ 0 with gamma² ≥ Σ K_m²"),
    "curved_curvature_too_small": (edit(CURVED, setter("evidence.curvatures.0", "1")),
                                   "kink curvature: evidence.curvatures[0] must bound ‖∇²z_m‖₂ on the ball: K_m − t_m·ρ "
                                   "must be ≥ 0 with square ≥ 2 for kink [1, 2, 0] (got K_m 1, t_m·ρ 0)"),
    "curved_gamma_radius_beyond_eta": (edit(CURVED, setter("evidence.gamma", "2411724800")),
                                       "kink curvature: (K2) gamma·radius ="),
    "curved_radius_too_large": (edit(CURVED, setter("radius", "1/1024")),
                                "hessian bound: delta must be ≥ 0 with delta² ≥ P³K²ρ²"),
    "curved_radius_too_small_for_gradient": (edit(CURVED, setter("radius", "1/2^200".replace("2^200", str(2 ** 200)))),
                                             "gradient bound: evidence.pieces[0]: (K4) ‖e_s‖²"),
    "curved_tau_too_large": (edit(CURVED, setter("evidence.pieces.0.tau", "1000000")),
                             "hessian bound: evidence.pieces[0].tau must satisfy 0 ≤ τ and 2τ·j·ρ ≤ κ_s"),
    "curved_mu_inflated": (edit(CURVED, setter("mu", "1")),
                           "hessian bound: evidence.pieces[0]: pivot"),
    "curved_hessian_norm_too_small": (edit(CURVED, setter("evidence.pieces.0.hessian_norm", "1")),
                                      "hessian bound: evidence.pieces[0].hessian_norm must bound ‖H_s‖_F"),
    "curved_residual_norm_zero": (edit(CURVED, setter("evidence.pieces.0.residual_norm", "0")),
                                  "gradient bound: evidence.pieces[0].residual_norm must bound ‖e_s‖"),
    "curved_fourth_layer_kink": (edit(fourth_layer_kink, lambda c: None),
                                 "kinks: evidence.kinks[0]: unit 0 of layer 4 at sample 0: kinks of layer 4 and deeper "
                                 "are not covered"),
    "curved_first_layer_only": (edit(CURVED, setter("evidence.kinks", [[1, 1, 0]])),
                                "kinks: curved_kink_ball needs a kink of the second or third layer"),
    "curved_copy_pattern_on": (edit(CURVED_COPIES, copy_switched_on),
                               "pattern: copy [6, 2, 0] of kink [1, 2, 0]: the pattern entry must be '0'"),
    "curved_copy_original_dropped": (edit(CURVED_COPIES, copy_original_dropped),
                                     "pattern: evidence.pattern[1][1] unit 0: pre-activation is 0 at the centre but not "
                                     "a listed kink (sample 1, layer 2, unit 0), nor a copy of one"),
    "curved3_zero_off": (edit(CURVED3, nudge("center.biases.2.0", F(1, 10 ** 30))),
                         "kinks: (K1) kink [0, 3, 0]: z at the centre must be 0 (got 1/1000000000000000000000000000000)"),
    "curved3_third_derivative_missing": (edit(CURVED3, setter("evidence.third_derivatives", DELETE)),
                                         "kink curvature: evidence.third_derivatives[0] must bound ‖∇³z_m‖_F (its square "
                                         "is 12 for kink [0, 3, 0], got 0)"),
    "curved3_third_derivative_too_small": (edit(CURVED3, setter("evidence.third_derivatives.0", "3")),
                                           "kink curvature: evidence.third_derivatives[0] must bound ‖∇³z_m‖_F (its "
                                           "square is 12 for kink [0, 3, 0], got 3)"),
    "curved3_third_derivative_inflated": (edit(CURVED3, inflate_third_derivative),
                                          "hessian bound: evidence.pieces[0]: pivot"),
    "curved3_curvature_below_hessian": (edit(CURVED3, setter("evidence.curvatures.0", "3")),
                                        "kink curvature: evidence.curvatures[0] must bound ‖∇²z_m‖₂ on the ball: K_m − "
                                        "t_m·ρ must be ≥ 0 with square ≥"),
    "curved3_multiplier_below_drift": (edit(CURVED3, setter("evidence.pieces.1.residual_norm", "1/10")),
                                       "multipliers: evidence.pieces[1]: (K3) the least multiplier"),
    "curved3_mu_inflated": (edit(CURVED3, setter("mu", "1")), "hessian bound: evidence.pieces[0]: pivot"),
    "curved_two_layers_at_one_sample": (edit(CURVED, curved_two_layers_at_one_sample),
                                        "kinks: (S2) sample 1 has kinks of layers 1 and 2"),
    "weight_decay_zero": (edit(chain_minimum, setter("problem.loss.weight_decay", "0")),
                          "problem: weight decay must be positive for isolated_local_minimum (got 0)"),
    "mu_inflated": (edit(chain_minimum, setter("mu", "2")),
                    "hessian bound: pivot 1 of 2 of ∇²L_P(c) − (mu+delta)·I is"),
    "mu_inflated_congruence": (edit(chain_minimum_congruence, setter("mu", "3/2")),
                               "hessian bound: row 0 of C = T·(∇²L_P(c) − (mu+delta)·I)·Tᵀ is not diagonally dominant"),
    "cholesky_not_positive_definite_by_a_hair": (
        edit(lambda: chain_minimum_cholesky_hair(+1), lambda c: None),
        "hessian bound: the float Cholesky test did not prove it positive definite, and exact pivot 2 of 2 of "
        "∇²L_P(c) − (mu+delta)·I is ≈ -1.57772e-30"),
    "cholesky_mu_inflated": (edit(chain_minimum_cholesky, setter("mu", "2")),
                             "hessian bound: the float Cholesky test did not prove it positive definite, and exact "
                             "pivot 1 of 2 of ∇²L_P(c) − (mu+delta)·I is"),
    "cholesky_with_T": (edit(chain_minimum_cholesky, setter("evidence.pd.T", [["1", "0"], ["0", "1"]])),
                        "format: evidence.pd: must be {\"method\": \"ldl\"}, {\"method\": \"cholesky\"} or"),
    "mu_zero": (edit(chain_minimum, setter("mu", "0")), "mu: must be positive (got 0)"),
    "mu_missing": (edit(chain_minimum, setter("mu", DELETE)),
                   "mu: missing: isolated_local_minimum needs a strong-convexity modulus mu > 0"),
    "mu_on_refutation": (edit(chain_origin_descent, setter("mu", "1")),
                         "format: mu: only minimum claims carry mu (not_a_local_minimum does not)"),
    "radius_inflated_sign": (edit(chain_minimum, setter("radius", "1")),
                             "sign stability: evidence.pattern[0][0] unit 0: z² ="),
    "radius_inflated_delta": (edit(chain_minimum, setter("radius", "1/10")),
                              "hessian bound: delta must be ≥ 0 with delta² ≥ P³K²ρ²"),
    "radius_zero_interior": (edit(chain_minimum, setter("radius", "0")),
                             "radius: must be positive for interior_ball (got 0)"),
    "radius_negative": (edit(chain_minimum, setter("radius", "-1/1000")), "radius: must be non-negative (got -1/1000)"),
    "delta_negative": (edit(regression_minimum, setter("evidence.delta", "-1")),
                       "hessian bound: delta must be ≥ 0"),
    "center_at_boundary": (edit(chain_minimum, setter("center", {"weights": [[["0"]], [["0"]]]})),
                           "pattern: evidence.pattern[0][0] unit 0: pre-activation at the centre is 0, must be positive"),
    "center_at_saddle_identity": (edit(chain_identity_minimum, setter("center", {"weights": [[["0"]], [["0"]]]})),
                                  "hessian bound: pivot 1 of 2 of ∇²L_P(c) − (mu+delta)·I is -1/50, must be positive"),
    "center_off_minimum": (edit(chain_minimum, setter("center", {"weights": [[["1"]], [["3/4"]]]})),
                           "gradient bound: ‖∇L_P(c)‖² = 1/32 must be less than (mu·radius)² = 1/4000000"),
    "target_changed": (edit(chain_minimum, setter("problem.data.targets", [["2"]])),
                       "gradient bound: ‖∇L_P(c)‖² ="),
    "pattern_flipped": (edit(chain_minimum, setter("evidence.pattern", [["0"]])),
                        "pattern: evidence.pattern[0][0] unit 0: pre-activation at the centre is"),
    "orbit_point_claimed_isolated": (lambda: dump(orbit_point_claimed_isolated()), "hessian bound: pivot"),  # singular Hessian: some pivot ≤ 0
    "evidence_truncated": (edit(chain_minimum, setter("evidence.pd", DELETE)), "format: evidence.pd: missing required field"),
    "evidence_missing": (edit(chain_minimum, setter("evidence", DELETE)), "format: evidence: missing required field"),
    "evidence_unknown_key": (edit(chain_minimum, setter("evidence.hint", "x")), "format: evidence.hint: unknown key"),
    "json_float": (text_edit(chain_minimum, '"radius": "1/1000"', '"radius": 0.001'),
                   "format: the JSON number 0.001 is not allowed"),
    "json_nan": (text_edit(chain_minimum, '"radius": "1/1000"', '"radius": NaN'), "format: NaN is not a number"),
    "json_integer": (edit(chain_origin_descent, setter("radius", 0)),
                     "format: radius: must be a rational string such as \"-3/4\" (got the JSON number 0)"),
    "duplicate_key": (text_edit(chain_minimum, '"radius": "1/1000"', '"radius": "1/1000", "radius": "1/10"'),
                      "format: duplicate key \"radius\""),
    "not_lowest_terms": (edit(chain_minimum, setter("mu", "2/4")),
                         "format: mu: must be in lowest terms, written \"1/2\" (got \"2/4\")"),
    "plus_sign": (edit(chain_minimum, setter("evidence.delta", "+1/50")),
                  "format: evidence.delta: must be a canonical rational \"p\" or \"p/q\" (got \"+1/50\")"),
    "decimal": (edit(chain_minimum, setter("problem.data.inputs", [["1.0"]])),
                "format: problem.data.inputs[0][0]: must be a canonical rational"),
    "negative_zero": (edit(chain_origin_descent, setter("center", {"weights": [[["-0"]], [["0"]]]})),
                      "format: center.weights[0][0][0]: must be \"0\" (got \"-0\")"),
    "denominator_one": (edit(chain_origin_descent, setter("evidence.t0", "3/1")),
                        "format: evidence.t0: must be in lowest terms, written \"3\" (got \"3/1\")"),
    "huge_number": (edit(chain_minimum, setter("radius", "1" * 20000)),
                    "format: radius: numerator has 20000 digits, must have at most 10000"),
    "shape_center": (edit(chain_minimum, setter("center", {"weights": [[["1", "1"]], [["1"]]]})),
                     "format: center.weights[0][0]: must have 1 entry (got 2)"),
    "shape_biases": (edit(chain_minimum, setter("center", {"weights": [[["1"]], [["1"]]], "biases": [["0"], ["0"]]})),
                     "format: center.biases: must be absent or null without biases"),
    "shape_pattern": (edit(chain_minimum, setter("evidence.pattern", [["11"]])),
                      "format: evidence.pattern[0][0]: must be a string of 1 characters '0'/'1' (got \"11\")"),
    "shape_direction": (edit(depth3_saddle_curvature, setter("evidence.direction", ["1", "1"])),
                        "format: evidence.direction: must have 3 entries (got 2)"),
    "unknown_claim": (edit(chain_minimum, setter("claim", "saddle_point")), "claim: unknown claim kind \"saddle_point\""),
    "status_inconsistent": (edit(chain_minimum, setter("status", "REFUTED")),
                            "claim: isolated_local_minimum must have status CERTIFIED (got REFUTED)"),
    "status_inconsistent_refutation": (edit(two_unit_rotation, setter("status", "CERTIFIED")),
                                       "claim: not_isolated must have status REFUTED (got CERTIFIED)"),
    "wrong_problem_version": (edit(chain_minimum, setter("problem.format", "pscert.problem/2")),
                              "format: problem.format: must be \"pscert.problem/1\""),
    "problem_with_point": (edit(chain_minimum, setter("problem.point", {"weights": [[["1"]], [["1"]]]})),
                           "format: problem.point: unknown key"),
    "unknown_top_key": (edit(chain_minimum, setter("comment", "trust me")), "format: comment: unknown key"),
    "piecewise_unsupported": (edit(chain_minimum, piecewise_claim),
                              "evidence: method \"interior_ball\" is not supported for piecewise_strong_convexity "
                              "(supported: lemma_a_norm_box)"),
    "method_wrong_for_claim": (edit(chain_minimum, setter("evidence", curve("descent", [[0, 1], [0, 1]], [F(1)], F(1, 2)))),
                               "evidence: method \"curve\" is not supported for isolated_local_minimum"),
    "pd_unknown": (edit(chain_minimum, setter("evidence.pd", {"method": "trust"})), "format: evidence.pd: must be"),
    "T_upper_entry": (edit(chain_minimum_congruence, setter("evidence.pd.T", [["1", "1/2"], ["0", "1"]])),
                      "format: evidence.pd.T[0][1]: must be 0 above the diagonal (got \"1/2\")"),
    "T_zero_diagonal": (edit(chain_minimum_congruence, setter("evidence.pd.T", [["1", "0"], ["0", "0"]])),
                        "hessian bound: evidence.pd.T[1][1]: the diagonal of T must be positive (got 0)"),
    "descent_t0_too_large": (edit(chain_origin_descent, setter("evidence.t0", "2")),
                             "curve: the leading term -3/2·t^2 of q^4·(L(γ(t)) − L(c)) must dominate"),
    "descent_t0_zero": (edit(chain_origin_descent, setter("evidence.t0", "0")), "curve: t0 must be positive (got 0)"),
    "descent_sign_undecided": (lambda: dump(depth3_saddle_descent(F(1, 4))),
                               "curve: sample 0 layer 2 unit 0: the pre-activation's sign is not decided on (0, t0]"),
    "descent_is_ascent": (edit(chain_origin_descent, setter("evidence.numerators", [["0", "1"], ["0", "-1"]])),
                          "curve: L(γ(t)) − L(c) must be negative on (0, t0] (it is positive near 0)"),
    "curve_not_through_center": (edit(chain_origin_descent, setter("evidence.numerators", [["1/10", "1"], ["0", "1"]])),
                                 "curve: γ(0) must be the centre: parameter 0 is 1/10 at t = 0 (centre 0)"),
    "curve_denominator_vanishes": (edit(chain_origin_descent, setter("evidence.denominator", ["1", "-2"])),
                                   "curve: the denominator must be positive on [0, t0]"),
    "curve_radius_nonzero": (edit(chain_origin_descent, setter("radius", "1/10")),
                             "radius: must be 0 for a curve about the exact centre (got 1/10)"),
    "rotation_coefficient_changed": (edit(two_unit_rotation, setter("evidence.numerators.0", ["3/5", "-7/5", "-3/5"])),
                                     "curve: the loss is not constant along γ: coefficient 2 of q^4·(L(γ(t)) − L(c)) "
                                     "is 61/2500, must be 0"),
    "constant_curve_is_a_point": (edit(two_unit_rotation, lambda c: c["evidence"].update(
        numerators=[["3/10"], ["2/5"], ["3/10"], ["2/5"]], denominator=["1/2"])),
                                  "curve: γ must not be constant"),
    "constant_proves_no_descent": (edit(two_unit_rotation, setter("claim", "not_a_local_minimum")),
                                   "evidence: curve kind \"constant\" does not prove not_a_local_minimum (allowed: descent)"),
    "null_input_pattern_on": (edit(depth3_null_input, setter("evidence.pattern", [["1", "1"], ["0", "1"]])),
                              "pattern: evidence.pattern[1][1] unit 0: the layer's input is identically 0 on the "
                              "ball (no biases), so the pattern must be '0'"),
    "null_input_with_biases": (lambda: dump(depth3_null_input(biases=True)),
                               "pattern: evidence.pattern[1][1] unit 0: pre-activation at the centre is 0, must be "
                               "negative (pattern '0')"),
    "null_input_upstream_unstable": (lambda: dump(depth3_null_input(x1=F(-1, 10 ** 6))),
                                     "sign stability: evidence.pattern[1][0] unit 0: z² = 1/4000000000000 must exceed"),
    "curvature_wrong_direction": (lambda: dump(depth3_saddle_curvature((1, -1, 0))),
                                  "curvature: dᵀ∇²L_P(c)d + delta·‖d‖² = 177/50 must be negative"),
    "curvature_zero_direction": (lambda: dump(depth3_saddle_curvature((0, 0, 0))),
                                 "curvature: dᵀ∇²L_P(c)d + delta·‖d‖² = 0 must be negative"),
    "boundary_piece_missing": (edit(committed("kink_one_unit_boundary"), drop_piece),
                               "regions: the region with kink signs"),
    "boundary_mu_inflated": (edit(committed("kink_one_unit_boundary"), setter("mu", "4")), "hessian bound:"),
    "kink_piece_missing": (edit(committed("xor_trained_kinks"), drop_piece),
                           "regions: the region with kink signs 0000 is not listed"),
    "kink_multiplier_shrunk": (edit(committed("xor_trained_kinks"), setter("evidence.pieces.0.multipliers.0", "0")),
                               "gradient bound: evidence.pieces[0].multipliers must be the least-squares ones"),
    "collapsed_mu_inflated": (edit(committed("dead_layer_collapsed"), setter("mu", "1")),
                              "mu: must be at most 2·(min(αN + λ_b, ε) − α·x_sum·ρ)"),
    "collapsed_centre_alive": (edit(committed("dead_layer_collapsed"), setter("center.weights.0.0.0", "1/1000")),
                               "center: parameter 0 must be 0 (every hidden unit dead; got 1/1000)"),
    "deep_collapsed_wrong_bias": (edit(committed("deep_collapsed"), setter("center.biases.2.0", "1/10")),
                                  "gradient bound: the output bias 0 must be exactly critical"),
    "deep_collapsed_weight_alive": (edit(committed("deep_collapsed"), setter("center.weights.2.0.1", "1/1000")),
                                    "center: parameter 11 must be 0 (every hidden unit dead; got 1/1000)"),
    "deep_collapsed_layer_alive": (edit(committed("deep_collapsed"), setter("center.biases.1.0", "1/1000")),
                                   "center: parameter 8 must be 0 (every hidden unit dead; got 1/1000)"),
    "deep_collapsed_radius_too_large": (edit(committed("deep_collapsed"), setter("radius", "1/4")),
                                        "hessian bound: coupling must satisfy coupling ≥ 0 and coupling² ≥"),
    "deep_collapsed_mu_inflated": (edit(committed("deep_collapsed"), setter("mu", "1")),
                                   "mu: must be at most 2·(λ(1 − bstar_norm) − coupling)"),
    "null_input_rotation_orbit_pattern_on": (
        edit(committed("null_input_rotation_orbit"), setter("evidence.pattern.3.1", "10")),
        "pattern: evidence.pattern[3][1] unit 0: the layer's input is identically 0 on the ball (no biases), so the "
        "pattern must be '0'"),
    "twin_kink_orbit_pattern_on": (edit(committed("twin_kink_orbit"), setter("evidence.local.pattern.4.0", "1")),
                                   "pattern: evidence.local (the reduced network): constraint [4, 0]: the pattern entry "
                                   "must be '0' (σ(0) = 0)"),
    "twin_kink_orbit_not_a_twin": (edit(committed("twin_kink_orbit"), setter("problem.data.inputs.4.0", "-49/100")),
                                   "pattern: evidence.local (the reduced network): evidence.pattern[4][0] unit 0: the "
                                   "sign at the centre is not the pattern's"),
    # a kink sample out of range is read before the reduced evidence's re-check: it must not index the inputs
    "twin_kink_orbit_kink_out_of_range": (
        edit(committed("twin_kink_orbit"), setter("evidence.local.constraints.0.0", 99)),
        "orbit: unit 0 is not live on the ball of radius stable_radius: sample 0 has z² ≤ R²‖x̃_j‖² and is no kink of "
        "the reduced kink_ball evidence"),
    "twin_kink_orbit_kink_negative": (
        edit(committed("twin_kink_orbit"), setter("evidence.local.constraints.0.0", -1)),
        "orbit: unit 0 is not live on the ball of radius stable_radius: sample 0 has z² ≤ R²‖x̃_j‖² and is no kink of "
        "the reduced kink_ball evidence"),
    "twin_kink_global_twin_listed": (
        edit(committed("twin_kink_global"), lambda c: c["evidence"]["local"]["constraints"].append([4, 0])),
        "regions: evidence.local (the reduced network): kink_ball needs linearly independent constraints (AAᵀ is "
        "singular)"),
    "rotation_orbit_kappa_zero": (edit(committed("rotation_orbit"), setter("evidence.kappa", "0")),
                                  "hessian bound: the float Cholesky test did not prove it positive definite"),
    "rotation_orbit_kappa_negative": (edit(committed("rotation_orbit"), setter("evidence.kappa", "-1")),
                                      "orbit: evidence.kappa must be ≥ 0 (got -1)"),
    # without unit 2 the rotations that move it are missing from T, and those directions are flat
    "rotation_orbit_unit_dropped": (edit(committed("rotation_orbit"), setter("evidence.groups.0.units", [0, 1])),
                                    "hessian bound: the float Cholesky test did not prove it positive definite"),
    "rotation_orbit_single_unit": (edit(committed("rotation_orbit"), setter("evidence.groups", [{"layer": 1, "units": [0]}])),
                                   "format: evidence.groups[0].units: must be at least two new units 0..2 of layer 1"),
    "rotation_orbit_unit_twice": (edit(committed("rotation_orbit"), setter("evidence.groups", [{"layer": 1, "units": [0, 1]},
                                                                                                {"layer": 1, "units": [1, 2]}])),
                                  "format: evidence.groups[1].units: must be at least two new units 0..2 of layer 1"),
    "rotation_orbit_output_layer": (edit(committed("rotation_orbit"), setter("evidence.groups.0.layer", 2)),
                                    "format: evidence.groups[0].layer: must be a hidden layer 1..1 (got the JSON number 2)"),
    "rotation_orbit_mu_inflated": (edit(committed("rotation_orbit"), setter("mu", "1")),
                                   "hessian bound: the float Cholesky test did not prove it positive definite"),
    "rotation_orbit_radius_too_large": (edit(committed("rotation_orbit"), setter("radius", "1/100")),
                                        "sign stability: evidence.pattern[0][0] unit 2"),
    "dead_unit_end_live_unit_listed_dead": (edit(committed("dead_unit_end"), setter("evidence.dead", [0, 2])),
                                            "center: dead unit 2 of hidden layer 2 must have all its parameters 0"),
    "dead_unit_end_no_residual_margin": (edit(committed("dead_unit_end"), setter("evidence.residual_bound", "0")),
                                         "residual bound: must be ≥ 0 with Δ²"),
    "dead_unit_end_no_feature_margin": (edit(committed("dead_unit_end"), setter("evidence.feature_bound", "0")),
                                        "residual bound: evidence.feature_bound must be ≥ 0"),
    "dead_unit_end_cone_dropped": (edit(committed("dead_unit_end"), lambda c: c["evidence"]["cones"].pop()),
                                   "regions: "),
    "dead_unit_end_margin_above_2_lambda": (edit(committed("dead_unit_end"), setter("evidence.residual_bound", "1000")),
                                            "cones: evidence: the residual margin 2αΣ(Δ(n_j + η) + |r_j|η) = "),
    "dead_unit_end_cone_repeated": (edit(committed("dead_unit_end"), lambda c: c["evidence"]["cones"].append(
        dict(c["evidence"]["cones"][1]))), "format: evidence.cones[4].signs: must be a new string of 9 characters"),
    "dead_unit_end_partner_named_twice": (edit(committed("dead_unit_end"), lambda c: c["evidence"]["cones"].__setitem__(
        1, dict(c["evidence"]["cones"][0], signs=c["evidence"]["cones"][1]["signs"]))),
                                          "format: evidence.cones[1].unit: must be a new unit of hidden layer 2"),
    "dead_unit_end_minus_witness_off": (edit(committed("dead_unit_end"), lambda c: c["evidence"]["cones"][1].__setitem__(
        "minus", ["1000"] * len(c["evidence"]["cones"][1]["minus"]))), "cones: evidence.cones[1].minus"),
    "dead_unit_end_gordan_off": (edit(committed("dead_unit_end"), lambda c: c["evidence"]["empty"][0].__setitem__(
        "gordan", ["1"] + ["0"] * 8)), "regions: evidence.empty[0]"),
    # every input 0 and no biases: no sample has features, so there is no arrangement to cover (this crashed)
    "dead_unit_end_no_features": (lambda: dump(DEAD_END_NO_FEATURES),
                                  "cones: every sample is null or dormant at the centre"),
    "rotation_kink_orbit_kappa_zero": (edit(committed("rotation_kink_orbit"), setter("evidence.kappa", "0")),
                                       "hessian bound: evidence.pieces[0]: pivot"),
    # unit 0 moved onto the kink at x = 0 (b_0 = 0): unit 1 of its group is not there, rotation moves the kink
    "rotation_kink_orbit_lone_kink": (edit(committed("rotation_kink_orbit"), lambda c: (
        c["center"]["biases"][0].__setitem__(0, "0"), c["evidence"]["constraints"].append([1, 0]))),
                                      "orbit: unit 0 of the group a list of 2 has a kink at sample 1 but unit 1 has not"),
    "rotation_kink_orbit_kink_unit_in_group": (edit(committed("rotation_kink_orbit"), setter(
        "evidence.groups", [{"layer": 1, "units": [0, 1, 2]}])), "orbit: evidence.groups[0]: units a list of 3 of layer 1 must share the pattern"),
    "rotation_kink_orbit_multiplier_shrunk": (edit(committed("rotation_kink_orbit"),
                                                   setter("evidence.pieces.0.multipliers.0", "0")), "gradient bound: evidence.pieces[0].multipliers must be the least-squares ones"),
    "rotation_kink_orbit_mu_inflated": (edit(committed("rotation_kink_orbit"), setter("mu", "1")), "hessian bound: evidence.pieces[0]: pivot 3 of 10"),
    "rotation_kink_orbit_piece_missing": (edit(committed("rotation_kink_orbit"), drop_piece), "regions: the region with kink signs 0 is not listed"),
    "rotation_kink_orbit_no_group": (edit(committed("rotation_kink_orbit"), setter("evidence.groups", [])), "format: evidence.groups: must list at least one group"),
    "rotation_kink_orbit_radius_too_large": (edit(committed("rotation_kink_orbit"), setter("radius", "1/16")), "hessian bound: delta must be ≥ 0 with delta² ≥ P³K²ρ²"),
    "rotation_kink_orbit_not_critical": (edit(committed("rotation_kink_orbit"), nudge("center.biases.1.0",
                                                                                      F(1, 10 ** 9))), "gradient bound: evidence.pieces[0].multipliers must be the least-squares ones"),
    "rotation_orbit_not_critical": (edit(committed("rotation_orbit"), nudge("center.biases.1.0", F(1, 10 ** 30))),
                                    "gradient bound: ‖∇L_P(c)‖²"),
    "collapsed_cell_missing": (edit(committed("dead_layer_collapsed"), lambda c: c["evidence"]["cells"].pop()),
                               "regions: the region with kink signs 000000 is neither listed among the pieces nor "
                               "excluded by an empty entry"),
    # '110***' narrowed to '1100**' keeps a valid Gordan vector (y is 0 at the new position) but covers half
    "collapsed_empty_narrowed": (edit(committed("dead_layer_collapsed"), setter("evidence.empty.3.signs", "1100**")),
                                 "regions: the region with kink signs 110111 is neither listed among the pieces nor "
                                 "excluded by an empty entry"),
    "collapsed_gordan_off": (edit(committed("dead_layer_collapsed"), setter("evidence.empty.0.gordan.0", "35/2")),
                             "regions: evidence.empty[0]: Σ y_m s_m a_m must be 0 (Gordan), it is not"),
    "collapsed_cell_duplicated": (edit(committed("dead_layer_collapsed"), lambda c: c["evidence"]["cells"].append(
        c["evidence"]["cells"][0])), "format: evidence.cells[12].signs: must be a new string of 6 characters 0 or 1 "
                                     "(got '111111')"),
    "collapsed_cell_excluded": (edit(committed("dead_layer_collapsed"), lambda c: c["evidence"]["cells"].insert(
        1, dict(c["evidence"]["cells"][0], signs="111110"))),
                                "regions: piece with signs 111110 is excluded by an empty entry; remove it"),
    "global_cone_dropped": (edit(committed("case_a_global"), lambda c: c["evidence"]["cones"].pop()),
                            "regions: the region with kink signs 0 is neither listed among the pieces nor excluded"),
    "global_witness_negative": (edit(committed("case_a_global"), setter("evidence.cones.1.plus.0", "-1")),
                                "cones: evidence.cones[1].plus: polar-cone weights must be ≥ 0"),
    "global_group_weights_off": (edit(committed("case_a_orbit_global"), setter("evidence.groups.0.weights.0", "4/5")),
                                 "groups: evidence.groups[0].weights must be positive with squares summing to 1"),
    "global_group_leader_not_kept": (edit(committed("case_a_orbit_global"), setter("evidence.groups.0.units", [1, 0])),
                                     "groups: evidence.groups[0]: its first unit must be kept and the others not "
                                     "(got units [1, 0])"),
    "global_group_not_proportional": (edit(committed("case_a_orbit_global"), setter("center.weights.1.0.1", "1")),
                                      "groups: evidence.groups[0]: unit 1 must be w_h/w_g times unit 0 at the centre "
                                      "(parameter 2 is not)"),
    "orbit_kappa_wrong": (edit(committed("case_a_orbit"), setter("evidence.groups.0.kappa.1", "3/4")),
                          "orbit: evidence.groups[0]: unit 1 must be κ = 3/4 times unit 0 at the centre (parameter 0 is "
                          "48/125, κ times it 27/125)"),
    "orbit_units_inactive": (edit(committed("case_a_orbit"), lambda c: c["center"].update(
        weights=[[["-36/125"], ["-48/125"]], [["12/25", "16/25"]]], biases=[["-48/125", "-64/125"], ["4/5"]])),
                             "orbit: unit 0 is active on no sample (a dead unit"),
    "orbit_units_dead": (edit(committed("case_a_orbit"), lambda c: c["center"].update(
        weights=[[["0"], ["0"]], [["0", "0"]]], biases=[["0", "0"], ["4/5"]])),
                         "orbit: unit 0 is not live on the ball of radius stable_radius"),
    "orbit_stable_radius_too_large": (edit(committed("case_a_orbit"), setter("evidence.stable_radius", "12/25")),
                                      "orbit: unit 0 is not live on the ball of radius stable_radius"),
    "orbit_stable_radius_below_radius": (edit(committed("case_c_orbit"), setter("evidence.stable_radius", "1/2199023255552")),
                                         "orbit: evidence.stable_radius must be at least the radius 1/1099511627776"),
    "orbit_dimension_wrong": (edit(committed("case_c_orbit"), setter("evidence.dimension", 2)),
                              "format: evidence.dimension: must be the orbit dimension Σ_g (k_g − 1) = 1 (got the JSON number 2)"),
    "orbit_unit_left_out": (edit(committed("case_c_orbit"), setter("evidence.groups", [{"units": [0], "kappa": ["1"]}])),
                            "format: evidence.groups: must hold every hidden unit exactly once (unit 1 is in no group)"),
    "orbit_reduced_pattern_tampered": (edit(committed("case_c_orbit"), setter("evidence.local.pattern", [["1"], ["1"]])),
                                       "pattern: evidence.local (the reduced network): evidence.pattern[1][0] unit 0"),
    "orbit_mu_inflated": (edit(committed("case_c_orbit"), setter("mu", "1")),
                          "hessian bound: evidence.local (the reduced network): pivot"),
    "orbit_kink_outgoing_sign_unkept": (edit(committed("kink_orbit"), setter("evidence.stable_radius", "3/5")),
                                        "orbit: unit 0 is on a kink, so its outgoing weight must keep its sign on the "
                                        "ball of radius stable_radius: a² = 9/25 must exceed R² = 9/25"),
    "orbit_kink_unit_off_the_kink": (edit(committed("kink_orbit"), setter("center.biases.0.1", "1/1000")),
                                     "orbit: evidence.groups[0]: unit 1 must be κ = 4/3 times unit 0 at the centre "
                                     "(parameter 1 is 1/1000, κ times it 0)"),
    "orbit_kink_units_apart": (edit(committed("kink_orbit"), setter("evidence.groups", [
        {"units": [0], "kappa": ["1"]}, {"units": [1], "kappa": ["1"]}])),
                               "orbit: some group must have at least two units"),
    "wider_network_worse": (edit(committed("case_c_wider"), setter("evidence.point.weights.1.0.1", "1")),
                            "wider network: its loss 17/16 must be below L(c) − drop = 31/32 − "),
    "lemma_a_epsilon_star_inflated": (edit(committed("chain_lemma_a"), setter("evidence.epsilon_star", "1/8")),
                                      "threshold: epsilon_star is 1/8, recomputed 1/16"),
    "lemma_a_mu_inflated": (edit(committed("chain_lemma_a"), setter("mu", "1/2")),
                            "modulus: (λ − μ/2)² = 0 must be ≥ K·ε"),
    "origin_alone": (edit(chain_minimum_from_origin, setter("origin_distance", DELETE)),
                     "origin: origin and origin_distance must come together (got only origin)"),
    "origin_too_far": (edit(chain_minimum_from_origin, setter("origin_distance", "1/21")),
                       "origin: ‖origin − center‖² = "),
    "origin_distance_negative": (edit(chain_minimum_from_origin, setter("origin_distance", "-1/20")),
                                 "origin: origin_distance must be non-negative (got -1/20)"),
    "curve_degree_too_high": (edit(chain_origin_descent, setter("evidence.numerators.0", ["0", "1"] + ["0"] * 64)),
                              "limits: evidence.numerators[0]: degree 65 exceeds 64"),
    "origin_not_the_problem_point": (lambda: dump(chain_minimum_from_origin()),
                                     "problem: the certificate speaks about a different point than the problem file's: "
                                     "its origin differs at parameter 0 (9/10 against 4/5)"),
    "different_problem": (lambda: dump(chain_minimum()),
                          "problem: differs from the expected problem at data.targets[0][0]: the certificate has 1, "
                          "the expected problem 2"),
}

# A user-style problem file (decimals, JSON numbers, a point): the chain with y = 2 / with y = 1.
PROBLEM_FILES = {
    "chain_target_2.json": '{"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": false},\n'
                           ' "loss": {"weight_decay": 0.25}, "data": {"inputs": [[1]], "targets": [[2.0]]},\n'
                           ' "point": {"weights": [[[0.8]], [[0.9]]]}}\n',
    "chain.json": '{"format": "pscert.problem/1", "name": "scalar chain", "network": {"widths": [1, 1, 1], "biases": false},\n'
                  ' "loss": {"reduction": "mean", "weight_decay": "0.25"}, "data": {"inputs": [["1"]], "targets": [[1e0]]},\n'
                  ' "point": {"weights": [[[0.8]], [[0.9]]]}}\n',
    "chain_point.json": '{"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": false},\n'
                        ' "loss": {"weight_decay": "1/4"}, "data": {"inputs": [["1"]], "targets": [["1"]]},\n'
                        ' "point": {"weights": [[["0.9"]], [[0.9]]]}}\n',
}
BAD_PROBLEMS = {"different_problem": "chain_target_2.json", "origin_not_the_problem_point": "chain.json"}

# Not ours to judge: another format version is unreadable (exit 2), with this message after the file name.
UNREADABLE: dict[str, tuple[Callable[[], str], str]] = {
    "wrong_format_version": (edit(chain_minimum, setter("format", "pscert.certificate/2")),
                             "format: version must be \"pscert.certificate/1\" (got \"pscert.certificate/2\")"),
}


def hostile_deep_chain() -> dict:
    """About 4 KB: 200 width-1 layers (the a-priori bounds used to take 76 s in a triple loop over layers)."""
    prob = problem([1] * 202, F(1, 4), [[1]], [[1]])
    return certificate("isolated_local_minimum", prob, [F(1)] * 201, F(1, 10 ** 9), ball([["1"] * 200], F(1, 50)), F(1, 2))


def hostile_ldl_digits() -> dict:
    """About 5 KB: 400 parameters whose entries have distinct denominators, so the exact Hessian's entries
    have thousands of digits and fraction-free elimination grows them 400-fold (used to take over 300 s)."""
    prob = problem([1, 133, 1], F(1, 4), [[1]], [[1]], biases=True)
    theta = [F(1, 101 + k) for k in range(400)]
    return certificate("isolated_local_minimum", prob, theta, F(1, 10 ** 40), ball([["1" * 133]], F(1, 50)), F(1, 100))


def hostile_many_parameters() -> dict:
    """About 105 KB: 16,000 parameters (the Hessian alone used to raise MemoryError after 1.5 GB)."""
    prob = problem([1, 5333, 1], F(1, 4), [[1]], [[1]], biases=True)
    # δ = 10⁶ passes the δ test (δ² ≥ P³K²ρ² ≈ 4200), so an unlimited checker goes on to build the Hessian
    return certificate("isolated_local_minimum", prob, [F(1)] * 16000, F(1, 10 ** 9), ball([["1" * 5333]], F(10 ** 6)),
                       F(1, 2))


HOSTILE: dict[str, tuple[Callable[[], dict], str]] = {
    "deep_chain": (hostile_deep_chain, "limits: problem.network.widths: must give at most 8 hidden layers (got 200)"),
    "ldl_digits": (hostile_ldl_digits, "limits: the LDLᵀ test of a 400×400 matrix would take more than the checker's "
                   "work limit"),
    "many_parameters": (hostile_many_parameters,
                        "limits: problem.network.widths: must give at most 3000 parameters (got 16000)"),
}


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=1, ensure_ascii=False) + "\n"


def expected_files() -> dict[Path, str]:
    """Every committed file under tests/certs and its content."""
    files = {CERTS / "good" / f"{name}.json": dump(build()) for name, build in GOOD.items()}
    for name in GENERATED:  # written by --write only; the mutations below read the committed file
        path = CERTS / "good" / f"{name}.json"
        files[path] = path.read_text(encoding="utf-8") if path.exists() else ""
    expected = {}
    for name, (build, line) in BAD.items():
        files[CERTS / "bad" / f"{name}.json"] = build()
        entry: Any = f"INVALID: {line}"
        if name in BAD_PROBLEMS:
            entry = {"expect": entry, "problem": f"../problems/{BAD_PROBLEMS[name]}"}
        expected[f"{name}.json"] = entry
    files[CERTS / "bad" / "EXPECTED.json"] = dump(expected)
    for name, (build_cert, line) in HOSTILE.items():
        files[CERTS / "hostile" / f"{name}.json"] = json.dumps(build_cert(), ensure_ascii=False) + "\n"
    files[CERTS / "hostile" / "EXPECTED.json"] = dump({f"{name}.json": f"INVALID: {line}" for name, (_, line) in HOSTILE.items()})
    for name, (build, line) in UNREADABLE.items():
        files[CERTS / "unreadable" / f"{name}.json"] = build()
    files[CERTS / "unreadable" / "EXPECTED.json"] = dump({f"{name}.json": line for name, (_, line) in UNREADABLE.items()})
    files.update({CERTS / "problems" / name: text for name, text in PROBLEM_FILES.items()})
    return files


def write_certificates() -> None:
    for name, build in GENERATED.items():
        (CERTS / "good" / f"{name}.json").write_text(dump(build()), encoding="utf-8")
    for path, text in expected_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# The committed certificates.

def test_committed_certificates_are_current() -> None:
    """The files under tests/certs are exactly what the builders above produce."""
    files = expected_files()
    committed = {p for p in CERTS.rglob("*.json")}
    assert committed == set(files), "run: python tests/test_checker.py --write"
    for path, text in files.items():
        assert path.read_text(encoding="utf-8") == text, path


@pytest.mark.parametrize("name", sorted(GOOD) + sorted(GENERATED))
def test_good_certificate_is_valid(name: str) -> None:
    line = check_file(str(CERTS / "good" / f"{name}.json"))
    assert line.startswith(GOOD_LINES[name]), line


def bad_cases() -> list[tuple[str, str, str | None]]:
    if not (CERTS / "bad" / "EXPECTED.json").exists():
        return []   # test_there_are_enough_bad_certificates and the currency test then fail
    expected = json.loads((CERTS / "bad" / "EXPECTED.json").read_text(encoding="utf-8"))
    on_disk = {p.name for p in (CERTS / "bad").glob("*.json")} - {"EXPECTED.json"}
    assert on_disk == set(expected), "every bad certificate needs an expected line, and vice versa"
    cases = []
    for name, entry in sorted(expected.items()):
        if isinstance(entry, str):
            cases.append((name, entry, None))
        else:
            cases.append((name, entry["expect"], str((CERTS / "bad" / entry["problem"]).resolve())))
    return cases


def test_there_are_enough_bad_certificates() -> None:
    assert len(bad_cases()) >= 15


@pytest.mark.parametrize("name,line,problem_path", bad_cases())
def test_bad_certificate_is_rejected(name: str, line: str, problem_path: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [str(CERTS / "bad" / name)] + (["--problem", problem_path] if problem_path else [])
    assert main(argv) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith(line), out
    with pytest.raises(CertificateInvalid) as err:
        check_file(*argv[:1], problem_path)
    assert f"INVALID: {err.value}" == out[0]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_certificate_is_rejected_within_ten_seconds(name: str) -> None:
    """Small files that used to tie the checker up for minutes or all memory: one line, exit 1, in a
    subprocess that is killed after 10 s (a limit on the run, not a timing assertion on a result)."""
    path = CERTS / "hostile" / f"{name}.json"
    expected = json.loads((CERTS / "hostile" / "EXPECTED.json").read_text(encoding="utf-8"))[path.name]
    run = subprocess.run([sys.executable, "-m", "proofs.checker", str(path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=10)
    assert run.returncode == 1 and run.stderr == "", run.stdout + run.stderr
    assert run.stdout.count("\n") == 1 and run.stdout.startswith(expected), run.stdout


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_other_format_versions_are_unreadable(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = CERTS / "unreadable" / f"{name}.json"
    expected = json.loads((CERTS / "unreadable" / "EXPECTED.json").read_text(encoding="utf-8"))
    assert main([str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"Error: {path}: {expected[path.name]}\n"


def test_every_method_has_a_good_and_a_bad_committed_certificate() -> None:
    """The corpus covers the checker's one table: each method has an accepted certificate and a tampered
    one rejected with its expected line (the parametrised tests above check both)."""
    from proofs.checker import RULES

    def method(path: Path) -> str:
        return json.loads(path.read_text(encoding="utf-8")).get("evidence", {}).get("method", "")

    good = {method(CERTS / "good" / f"{name}.json") for name in list(GOOD) + list(GENERATED)}
    bad = {method(CERTS / "bad" / name) for name, _, _ in bad_cases()}
    assert set(RULES) <= good, set(RULES) - good
    assert set(RULES) <= bad, set(RULES) - bad


def test_a_certificate_without_origin_says_which_point_it_speaks_about() -> None:
    """The problem file's point (4/5, 9/10) is not the centre: the VALID line must say so; the file whose
    point is the origin gives the origin's line."""
    line = check_file(str(CERTS / "good" / "chain_minimum.json"), str(CERTS / "problems" / "chain.json"))
    assert line.endswith("; it speaks about its centre, not about the problem file's point (they differ at "
                         "parameter 0; the certificate has no origin)")
    assert "speaks about" not in check_file(str(CERTS / "good" / "chain_minimum.json"))
    line = check_file(str(CERTS / "good" / "chain_minimum_from_origin.json"), str(CERTS / "problems" / "chain_point.json"))
    assert line.endswith("; the given point is within 1/20 of the centre")


def test_different_problem_is_valid_alone_and_with_its_own_problem() -> None:
    """The certificate of the different-problem case is valid; only the comparison rejects it."""
    path = str(CERTS / "bad" / "different_problem.json")
    assert check_file(path).startswith("VALID:")
    assert check_file(path, str(CERTS / "problems" / "chain.json")).startswith("VALID:")


# --------------------------------------------------------------------------------------------------
# Hand-worked values.

def test_chain_derivatives_by_hand() -> None:
    """L(a, b) = (ab − 1)² + (a² + b²)/4 on a > 0: ∇L = (2(ab−1)b + a/2, 2(ab−1)a + b/2),
    ∇²L = [[2b² + 1/2, 4ab − 2], [4ab − 2, 2a² + 1/2]]."""
    for a, b in [(S, S), (F(1), F(3, 4)), (F(2, 3), F(-5, 7))]:
        L, g, H = loss_derivatives(chain(), [a, b])
        assert L == (a * b - 1) ** 2 + (a * a + b * b) / 4
        assert g == [2 * (a * b - 1) * b + a / 2, 2 * (a * b - 1) * a + b / 2]
        assert H == [[2 * b * b + F(1, 2), 4 * a * b - 2], [4 * a * b - 2, 2 * a * a + F(1, 2)]]


def test_bounds_by_hand() -> None:
    """Chain: K = 6B. Depth 3: K = 2(4B³ + 1), F1 = (·, 1, B, B²). H = 0: K = 0."""
    B = S + F(1, 1000)
    bd = derivative_bounds(chain(), [S, S], F(1, 1000))
    assert (bd.B, bd.K, bd.F1[1], bd.prefix[1]) == (B, 6 * B, 1, 1)
    assert bd.delta_squared == 8 * (6 * B) ** 2 / 10 ** 6
    B = F(1, 2) + F(1, 1000)
    bd = derivative_bounds(depth3(), [F(1, 2)] * 3, F(1, 1000))
    assert (bd.K, bd.F1[1:], bd.prefix[1:]) == (2 * (4 * B ** 3 + 1), [1, B, B * B], [1, 2, 3])
    assert derivative_bounds(problem([2, 1], F(1, 100), REGRESSION_X, REGRESSION_Y, biases=True),
                             [F(1)] * 3, F(1)).K == 0


def test_split_reduced_hessian_matches_the_note() -> None:
    """docs/MATHEMATICS.md §4 case A lists this Hessian and L = 13/25 at the reduced minimum."""
    L, g, H = loss_derivatives(split_problem(1), [SPLIT_P[0], SPLIT_P[1], SPLIT_P[2], F(4, 5)])
    note = [["61/50", "24/25", "9/10", "6/5"], ["24/25", "89/50", "6/5", "8/5"], ["9/10", "6/5", "5/2", "2"],
            ["6/5", "8/5", "2", "5/2"]]
    assert (L, g, H) == (F(13, 25), [0] * 4, [[F(v) for v in row] for row in note])


def test_curve_polynomials_by_hand() -> None:
    assert curve_loss_polynomial(chain(), [0, 0], [[0, 1], [0, 1]], [1]).Lambda == [0, 0, F(-3, 2), 0, 1]
    lam = curve_loss_polynomial(depth3(), [F(1, 2)] * 3, [[F(1, 2), 1]] * 3, [1]).Lambda
    assert lam == [0, 0, F(-3, 4), F(1, 2), F(15, 4), 3, 1]


# --------------------------------------------------------------------------------------------------
# Accept exactly when the mathematics says so (chain, interior ball).

@settings(max_examples=150, deadline=None)
@given(a=st.fractions(F(-3, 2), F(3, 2), max_denominator=50), b=st.fractions(F(-3, 2), F(3, 2), max_denominator=50),
       rho=st.fractions(F(1, 10 ** 4), F(1, 2), max_denominator=10 ** 4),
       mu=st.fractions(F(1, 100), F(3, 2), max_denominator=100),
       delta=st.fractions(0, F(1, 2), max_denominator=1000))
def test_chain_interior_ball_accepts_iff_the_lemmas_hold(a: F, b: F, rho: F, mu: F, delta: F) -> None:
    """Conditions derived by hand for L = (b·σ(a) − 1)² + (a² + b²)/4 with pattern '1':
    a > 0 and a² > ρ² (sign stability), δ² ≥ 8·(6B)²ρ² with B = max(|a|, |b|) + ρ, H − (μ+δ)I ≻ 0 with
    H = [[2b²+1/2, 4ab−2], [4ab−2, 2a²+1/2]] (first pivot and determinant positive), ‖∇L‖² < μ²ρ²."""
    cert = certificate("isolated_local_minimum", chain(), [a, b], rho, ball([["1"]], delta), mu)
    B = max(abs(a), abs(b)) + rho
    p, q, r = 2 * b * b + F(1, 2) - mu - delta, 4 * a * b - 2, 2 * a * a + F(1, 2) - mu - delta
    g = [2 * (a * b - 1) * b + a / 2, 2 * (a * b - 1) * a + b / 2]
    expect = (a > 0 and a * a > rho * rho and delta ** 2 >= 288 * B * B * rho * rho and p > 0 and p * r - q * q > 0
              and g[0] ** 2 + g[1] ** 2 < (mu * rho) ** 2)
    try:
        check_certificate(cert)
        accepted = True
    except CertificateInvalid:
        accepted = False
    assert accepted == expect


@settings(max_examples=100, deadline=None)
@given(t0=st.fractions(F(1, 100), 3, max_denominator=100), k=st.integers(1, 3))
def test_chain_descent_accepts_iff_dominance(t0: F, k: int) -> None:
    """γ(t) = (kt, kt): Λ = −(3/2)k²t² + k⁴t⁴ (q = 1); accepted iff k⁴t0² < (3/2)k² (z = kt > 0)."""
    cert = certificate("not_a_local_minimum", chain(), [F(0), F(0)], F(0), curve("descent", [[0, k], [0, k]], [F(1)], t0))
    try:
        check_certificate(cert)
        accepted = True
    except CertificateInvalid:
        accepted = False
    assert accepted == (k ** 4 * t0 * t0 < F(3, 2) * k * k)


# --------------------------------------------------------------------------------------------------
# The derivatives against the oracle, on random small networks.

@st.composite
def networks(draw: st.DrawFn) -> tuple[dict, list[F], list[list[str]]]:
    rat = st.fractions(-2, 2, max_denominator=6)
    hidden = draw(st.lists(st.integers(1, 2), min_size=0, max_size=2))
    widths = [draw(st.integers(1, 2))] + hidden + [draw(st.integers(1, 2))]
    biases = draw(st.booleans())
    N = draw(st.integers(1, 3))
    prob = problem(widths, draw(st.fractions(0, 1, max_denominator=8)),
                   [[draw(rat) for _ in range(widths[0])] for _ in range(N)],
                   [[draw(rat) for _ in range(widths[-1])] for _ in range(N)], biases=biases,
                   activation=draw(st.sampled_from(["relu", "identity"])))
    if biases:
        prob["network"]["decay_biases"] = draw(st.booleans())
    prob["loss"]["reduction"] = draw(st.sampled_from(["mean", "sum"]))
    P = sum(widths[k] * (widths[k - 1] + biases) for k in range(1, len(widths)))
    theta = [draw(rat) for _ in range(P)]
    identity = prob["network"].get("activation") == "identity"
    pattern = [["".join("1" if identity or draw(st.booleans()) else "0" for _ in range(w)) for w in hidden]
               for _ in range(N)]
    return prob, theta, pattern


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_derivatives_match_the_oracle(case: tuple[dict, list[F], list[list[str]]]) -> None:
    prob, theta, pattern = case
    L, g, H = loss_derivatives(prob, theta, pattern)
    assert L == naive_loss(prob, theta, pattern)
    assert (g, H) == oracle_derivatives(prob, theta, pattern)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.data())
def test_curve_loss_matches_the_true_loss(case: tuple[dict, list[F], list[list[str]]], data: st.DataObject) -> None:
    """Λ(t*) = q(t*)^{2(H+1)}·(L(γ(t*)) − L(c)) with the true ReLU, at a t* where every hidden
    numerator's sign is decided (found by halving)."""
    from proofs.checker.lemmas import dominates as dominated_on

    prob, theta, _ = case
    d = [data.draw(st.fractions(-2, 2, max_denominator=4)) for _ in theta]
    q = data.draw(st.sampled_from([[F(1)], [F(1), F(0), F(1)], [F(2), F(1)]]))
    nums = [[c * q[0]] + [c * v for v in q[1:]] for c in theta]
    nums = [n + [F(0)] * (2 - len(n)) for n in nums]
    nums = [[n[0], n[1] + dv] + n[2:] for n, dv in zip(nums, d)]
    result = curve_loss_polynomial(prob, theta, nums, q)
    t = F(1, 2)
    while not all(dominated_on(z, t) for _, z in result.hidden):
        t /= 2
        assume(t > F(1, 2 ** 30))
    qt = sum(c * t ** i for i, c in enumerate(q))
    gamma = [sum(c * t ** i for i, c in enumerate(n)) / qt for n in nums]
    H = len(prob["network"]["widths"]) - 2
    lam_t = sum(c * t ** i for i, c in enumerate(result.Lambda))
    assert lam_t == qt ** (2 * (H + 1)) * (naive_loss(prob, gamma) - naive_loss(prob, theta))


def json_paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys / indices) into a JSON value, the root excluded."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in items:
        out.append(prefix + (key,))
        out += json_paths(child, prefix + (key,))
    return out


JUNK = st.sampled_from([None, True, 0, 7, "0", "-1", "1/3", "x", "", "ldl", "curve", [], {}, ["1"], [["1"]],
                        [["0", "1"]], {"method": "ldl"}, "9" * 50, [[], []], ["1", "1", "1"]])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(GOOD)), data=st.data())
def test_garbage_anywhere_gives_a_rejection_line_not_a_crash(name: str, data: st.DataObject) -> None:
    """Replacing any node of a good certificate by junk, or deleting it, is either still a valid
    certificate or a CertificateInvalid: never another exception (which would be a traceback)."""
    cert = GOOD[name]()
    paths = [p for p in json_paths(cert) if p[0] != "producer"]
    path = data.draw(st.sampled_from(paths))
    parent = cert
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(JUNK)
    try:
        check_certificate(cert)
    except CheckerError:  # CertificateUnreadable when the format version is broken
        pass


# --------------------------------------------------------------------------------------------------
# Reading numbers.

@given(st.fractions(max_denominator=10 ** 30))
def test_canonical_round_trip(x: F) -> None:
    assert parse_rational_strict(str(x), "x") == x


@pytest.mark.parametrize("text", ["2/4", "+1", "1.0", "-0", "3/1", "0/5", "01", "1/0", "1/-2", " 1", "1e3", "", "٣",
                                  "1/01", "--1", "0x10"])
def test_non_canonical_rationals_are_rejected(text: str) -> None:
    with pytest.raises(CertificateInvalid) as err:
        parse_rational_strict(text, "x")
    assert str(err.value).startswith("format: x: must be")


@pytest.mark.parametrize("value", [1, 0.5, None, True, ["1"], {"p": 1}])
def test_non_strings_are_rejected(value: Any) -> None:
    with pytest.raises(CertificateInvalid, match=r"^format: x: must be a rational string"):
        parse_rational_strict(value, "x")


def test_digit_limit() -> None:
    assert parse_rational_strict("9" * 10_000, "x") == 10 ** 10_000 - 1
    with pytest.raises(CertificateInvalid, match="denominator has 10001 digits, must have at most 10000"):
        parse_rational_strict("1/" + "7" * 10_001, "x")
    with pytest.raises(CertificateInvalid, match="at most 5"):
        parse_rational_strict("123456", "x", max_digits=5)


def test_python_objects_with_floats_are_rejected() -> None:
    cert = chain_minimum()
    cert["radius"] = 0.001
    with pytest.raises(CertificateInvalid, match=r"^format: radius: must be a rational string"):
        check_certificate(cert)


def test_expected_problem_as_dict_and_invalid() -> None:
    cert = chain_minimum()
    assert check_certificate(cert, chain()).startswith("VALID:")
    with pytest.raises(CertificateInvalid, match="^problem: differs from the expected problem at network.widths"):
        check_certificate(cert, problem([1, 2, 1], F(1, 4), [[1]], [[1]]))
    with pytest.raises(CertificateUnreadable, match="^expected problem: data: missing required field"):
        check_certificate(cert, {"format": "pscert.problem/1"})


# --------------------------------------------------------------------------------------------------
# Command line and isolation.

def test_cli_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(CERTS / "good" / "chain_minimum.json")]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("VALID: CERTIFIED isolated_local_minimum") and out.count("\n") == 1 and err == ""


@pytest.mark.parametrize("content,expect", [
    (None, "cannot read the file"),
    ("{\"format\": ", "not valid JSON"),
    (b"\xff\xfe{}", "cannot read the file"),
])
def test_cli_unreadable(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: Any, expect: str) -> None:
    path = tmp_path / "cert.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert main([str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"Error: {path}: {expect}") and err.count("\n") == 1


def test_cli_bad_problem_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "problem.json"
    path.write_text('{"format": "pscert.problem/1", "network": {"widths": [1, 1, 1]}, "loss": {"weight_decay": "x"},'
                    ' "data": {"inputs": [[1]], "targets": [[1]]}}')
    assert main([str(CERTS / "good" / "chain_minimum.json"), "--problem", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"Error: {path}: loss.weight_decay: must be a number")


def test_module_runs_without_heavy_imports() -> None:
    """``python -m proofs.checker`` loads only the standard library and proofs.checker itself."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "proofs.checker",
                          str(CERTS / "good" / "split_reduced_minimum.json")],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.startswith("VALID:"), run.stdout + run.stderr
    modules = {line.rsplit("|", 1)[1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert "proofs.checker.rules" in modules   # the trace is real
    forbidden = {"sympy", "flint", "numpy", "scipy", "networkx", "mpmath", "symbolic", "gmpy2", "click"}
    loaded = {m.split(".")[0] for m in modules}
    assert not loaded & forbidden, loaded & forbidden
    assert {m for m in modules if m.startswith("proofs")} <= {"proofs", "proofs.checker"} | {
        m for m in modules if m.startswith("proofs.checker.")}


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write_certificates()
    else:
        print("usage: python tests/test_checker.py --write   (rewrites tests/certs from the builders)")
