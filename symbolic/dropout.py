"""Dropout: the exact expected loss over Bernoulli masks, its Hessian and its threshold.

**Model.** Every hidden unit ``(k, i)`` carries a mask ``m_{k,i} ∈ {0, 1}``, kept with probability ``p``,
independently across units and samples; the unit's output is ``c_{k,i}·σ(z_{k,i})`` with ``c = m``
(plain dropout) or ``c = m/p`` (inverted dropout). Inputs, biases and the output layer are never
dropped. Masking unit ``i`` equals scaling column ``i`` of ``W_{k+1}`` by ``c_i``, so each mask's loss is
the loss of the scaled weights ``θ'_m = S_m θ`` (``S_m`` diagonal) and its Hessian is
``S_m ∇²(data)(θ'_m) S_m``. The **expected loss** is

    L_p(θ) = α Σ_j E_m ‖f_m(x_j) − y_j‖² + λ‖θ‖²,

computed exactly: by enumerating all ``2^n`` masks weighted by ``p^k (1−p)^(n−k)``, or, for one hidden
layer, in closed form. There the mask enters ``f`` linearly (the hidden pattern does not depend on the
mask), so ``E_m g(m)`` of the quadratic ``g`` needs only the masks with at most two kept units:
``E g = Σ_{|S|≤2} p^{|S|} ĝ(S)`` with the Möbius coefficients ``ĝ(S) = Σ_{T⊆S} (−1)^{|S∖T|} g(1_T)``.
(For ``n`` units and bias-free output this is the familiar ``‖p W₂a − y‖² + p(1−p) Σ_i ‖W₂[:, i]‖² a_i²``.)

**Threshold.** For each mask, Lemma (A) with ``‖C_k D_k‖₂ ≤ c = 1`` (plain) or ``1/p`` (inverted), and
with the mask's residual term zero when a whole hidden layer is dropped (bias-free), gives after
Cauchy–Schwarz over masks and samples ``λ_min(∇²L_p) ≥ 2λ − 2(K_p E_p)^½`` with

    K_p = α H² θ^(2H−2) c^(2H) q X₂,   q = ∏_k (1 − (1 − p)^{n_k})  (bias-free; q = 1 with biases),

``E_p`` the expected training error, so ``ε*_p = λ²/K_p``. Plain dropout raises the threshold by
``1/q ≥ 1`` (a little); inverted dropout multiplies it by ``p^(2H)/q``, which lowers it for wide layers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import combinations, product
from typing import Any

from flint import fmpq_mat

from .derivatives import piece_derivatives, to_fmpq, to_fraction
from .exceptions import ProblemError
from .network import Pattern
from .problem import Params, Problem
from .rationals import canonical
from .threshold import constant, input_square_sum, modulus, require_decay
from .threshold_gap import EigenInterval, smallest_eigenvalue

MAX_MASKS = 4096
"""Largest number of masks enumerated exactly (networks with two or more hidden layers)."""


@dataclass(frozen=True)
class DropoutModel:
    """Keep probability ``p ∈ (0, 1]``; ``inverted`` scales kept units by ``1/p``."""

    p: Fraction
    inverted: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.p <= 1:
            raise ProblemError("--dropout", f"keep probability must be in (0, 1] (got {canonical(self.p)})")

    @property
    def scale(self) -> Fraction:
        """``c``: the factor on a kept unit (and the bound on ``‖C_k‖₂``)."""
        return 1 / self.p if self.inverted else Fraction(1)

    def describe(self) -> str:
        kind = "inverted (kept units × 1/p)" if self.inverted else "plain (no rescaling)"
        return f"Bernoulli masks on hidden units, keep probability p = {canonical(self.p)}, {kind}"


@dataclass(frozen=True)
class DropoutThreshold:
    """The exact expected loss at the point and its threshold."""

    model: DropoutModel
    masks: int
    method: str
    expected_error: Fraction
    expected_loss: Fraction
    keep_live: Fraction
    K: Fraction
    epsilon_star: Fraction | None
    in_set: bool
    mu: Fraction | None
    lambda_min: EigenInterval

    def to_json(self) -> dict[str, Any]:
        def opt(q: Fraction | None) -> str | None:
            return canonical(q) if q is not None else None

        return {"model": self.model.describe(), "p": canonical(self.model.p), "inverted": self.model.inverted,
                "masks": self.masks, "method": self.method, "expected_error": canonical(self.expected_error),
                "expected_loss": canonical(self.expected_loss), "q_live": canonical(self.keep_live),
                "constant": canonical(self.K), "epsilon_star": opt(self.epsilon_star), "in_set": self.in_set,
                "mu": opt(self.mu), "lambda_min": self.lambda_min.to_json()}


def keep_live(problem: Problem, p: Fraction) -> Fraction:
    """``q = P(every hidden layer keeps a unit)`` (bias-free), ``1`` with biases (the constant path lives)."""
    if problem.biases:
        return Fraction(1)
    q = Fraction(1)
    for n in problem.widths[1:-1]:
        q *= 1 - (1 - p) ** n
    return q


def _scales(problem: Problem, c: list[Fraction]) -> list[Fraction]:
    """The diagonal of ``S_m``: weight ``W_{k+1}[r, i]`` gets the factor of hidden unit ``(k, i)``."""
    out, pos = [], 0
    for k in range(problem.depth + 1):
        rows, cols = problem.widths[k + 1], problem.widths[k]
        own = c[pos: pos + cols] if k else [Fraction(1)] * cols
        out += own * rows
        if problem.biases:
            out += [Fraction(1)] * rows
        if k:
            pos += cols
    return out


def _masked_forward(problem: Problem, params: Params, c: list[Fraction]) -> Pattern:
    """Pattern of the masked network; raises if a non-identically-zero pre-activation is 0."""
    pats = []
    for j, x in enumerate(problem.inputs):
        a, dead, pos = list(x), [v == 0 for v in x], 0
        bits: list[tuple[int, ...]] = []
        for k in range(problem.depth):
            W, b = params.weights[k], params.biases[k] if params.biases is not None else None
            z = [sum((w * v for w, v in zip(row, a)), Fraction(0)) + (b[i] if b else 0) for i, row in enumerate(W)]
            zdead = [b is None and all(dead) for _ in W]  # z ≡ 0 near the point
            zeros = [i for i, (v, zd) in enumerate(zip(z, zdead)) if v == 0 and not zd]
            if problem.activation == "relu" and zeros:
                kept = "".join("1" if s else "0" for s in c)
                raise ProblemError("point", "must not lie on a region boundary of a dropout network (got z = 0 at "
                                   f"sample {j}, layer {k + 1}, unit {zeros[0]} under mask {kept})")
            d = tuple(1 if (v > 0 or problem.activation == "identity") else 0 for v in z)
            bits.append(d)
            scale = c[pos: pos + len(z)]
            a = [v * s if on else Fraction(0) for v, s, on in zip(z, scale, d)]
            dead = [zd or s == 0 or not on for zd, s, on in zip(zdead, scale, d)]
            pos += len(z)
        pats.append(tuple(bits))
    return tuple(pats)


def _mask_term(problem: Problem, params: Params, c: list[Fraction]) -> tuple[Fraction, fmpq_mat]:
    """Data term ``α Σ‖f_m − y‖²`` and its Hessian in ``θ`` for one mask (scale vector ``c``)."""
    S = _scales(problem, c)
    theta = problem.flatten(params)
    scaled = [s * t for s, t in zip(S, theta)]
    pattern = _masked_forward(problem, params, c)
    bare = replace(problem, weight_decay=Fraction(0))
    d = piece_derivatives(bare, scaled, pattern)
    Hm = d.hessian
    if Hm is None:  # piece_derivatives computes it by default
        raise ArithmeticError("dropout: the piece Hessian is missing")
    P = len(theta)
    Sq = [to_fmpq(s) for s in S]
    out = fmpq_mat(P, P)
    for i in range(P):
        for j in range(P):
            v = Hm[i, j]
            if v != 0:
                out[i, j] = Sq[i] * v * Sq[j]
    return to_fraction(d.loss), out


def expected_loss(problem: Problem, params: Params, model: DropoutModel,
                  enumerate_all: bool = False) -> tuple[Fraction, fmpq_mat, int, str]:
    """``(E_p, ∇²E_p, masks evaluated, method)``: the expected data term and its Hessian (without decay).

    ``enumerate_all`` forces the enumeration of all ``2^n`` masks (a cross-check of the closed form).

    Examples
    --------
    ``f = b·m·σ(a·x)``, ``x = y = 1``, ``a = b = 1``, ``p = 1/2``, plain: ``E = ½(1−1)² + ½(0−1)² = 1/2``.

    >>> from symbolic.problem import parse_problem
    >>> pr = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]},
    ...     "point": {"weights": [[[1]], [[1]]]}})
    >>> e, h, n, how = expected_loss(pr, pr.point, DropoutModel(Fraction(1, 2)))
    >>> e, h.tolist(), n, how
    (Fraction(1, 2), [[1, 1], [1, 1]], 2, 'closed form (one hidden layer)')
    """
    n = sum(problem.widths[1:-1])
    p, cval = model.p, model.scale
    P = problem.parameter_count
    total, Hsum = Fraction(0), fmpq_mat(P, P)
    if problem.depth == 1 and not enumerate_all:
        weights: dict[tuple[int, ...], Fraction] = {}
        for size in range(3):
            for S in combinations(range(n), size):
                for t in range(len(S) + 1):
                    for T in combinations(S, t):
                        weights[T] = weights.get(T, Fraction(0)) + p ** size * (-1) ** (size - t)
        method = "closed form (one hidden layer)"
        items = [(T, w) for T, w in weights.items() if w != 0]
        for T, w in items:
            c = [cval if i in T else Fraction(0) for i in range(n)]
            value, Hm = _mask_term(problem, params, c)
            total += w * value
            Hsum += Hm * to_fmpq(w)
        return total, Hsum, len(items), method
    if 2 ** n > MAX_MASKS:
        raise ProblemError("network.widths", f"must have at most {MAX_MASKS.bit_length() - 1} hidden units for exact "
                           f"dropout enumeration with two or more hidden layers (got {n})")
    for bits in product((0, 1), repeat=n):
        kept = sum(bits)
        w = p ** kept * (1 - p) ** (n - kept)
        if w == 0:
            continue
        value, Hm = _mask_term(problem, params, [cval * b for b in bits])
        total += w * value
        Hsum += Hm * to_fmpq(w)
    return total, Hsum, 2 ** n, "enumeration of all masks"


def dropout_threshold(problem: Problem, model: DropoutModel, theta: Fraction,
                      params: Params | None = None) -> DropoutThreshold:
    """The expected loss at the point, its exact ``λ_min`` interval and the dropout threshold ``ε*_p``.

    ``θ`` bounds ``‖W̃_k‖₂`` (the masks are not part of it); membership uses the Frobenius bounds.
    """
    from .threshold import frobenius_squares

    require_decay(problem)
    params = params if params is not None else problem.point
    if params is None:
        raise ProblemError("point", "missing: the dropout threshold needs a point")
    error, Hdata, masks, method = expected_loss(problem, params, model)
    lam = problem.weight_decay
    Hm = Hdata
    for i, on in enumerate(problem.decayed()):
        if on:
            Hm[i, i] += 2 * to_fmpq(lam)
    q = keep_live(problem, model.p)
    x2 = input_square_sum(problem)
    K = constant(problem, theta, x2) * model.scale ** (2 * problem.depth) * q
    eps_star = lam * lam / K if K else None
    norms_ok = all(b <= theta * theta for b in frobenius_squares(problem, params))
    in_set = norms_ok and lam > 0 and (K == 0 or K * error < lam * lam)
    mu = modulus(lam, K, error) if in_set else None
    decay = sum((t * t for t, on in zip(problem.flatten(params), problem.decayed()) if on), Fraction(0))
    return DropoutThreshold(model, masks, method, error, error + lam * decay, q, K, eps_star, in_set, mu,
                            smallest_eigenvalue(Hm))

