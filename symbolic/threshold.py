"""The paper's strong-convexity set ``U(λ, θ)`` and its error threshold ``ε*``, exactly.

Conventions (docs/SPEC.md §1): ``L(θ) = α Σ_j ‖f(x_j) − y_j‖² + λ‖θ‖²`` with ``α = 1/N`` (mean) or ``1`` (sum),
so in the notes' notation ``β = λ``. The **training error** is the data term ``E(W) = α Σ_j ‖r_j‖²``,
``r_j = f(x_j) − y_j`` (the mean squared error for ``"mean"``).

Lemma (A) (docs/MATHEMATICS.md §2), for every activation pattern ``P`` and every ``W``:

    λ_min(∇²L_P(W)) ≥ 2λ − 2α·H·θ^(H−1)·Σ_j ‖x_j‖‖r_j‖   whenever ‖W_k‖₂ ≤ θ for every k,

because on a piece ``f`` is multilinear in the layers and ``‖D_k‖₂ ≤ 1``. By Cauchy–Schwarz,
``Σ_j ‖x_j‖‖r_j‖ ≤ (X₂ · E/α)^½`` with ``X₂ = Σ_j ‖x_j‖²``, which gives the squared, root-free form

    λ_min(∇²L_P(W)) ≥ μ   whenever   (λ − μ/2)² ≥ K·E(W),   K = α·H²·θ^(2H−2)·X₂,

and the threshold ``ε* = λ²/K``: ``U(λ, θ) = {W : ‖W_k‖₂ ≤ θ ∀k, E(W) < ε*}``. ``H = 0`` (or
``X₂ = 0``) gives ``K = 0``: no threshold, ``L`` is ``2λ``-strongly convex everywhere.

**Biases** (paper.md §9.13). The bias-free constants do not apply as they stand. With the augmented
matrices ``W̃_k = [W_k b_k; 0 1]`` (hidden layers), ``W̃_{H+1} = [W_{H+1} b_{H+1}]`` and inputs
``x̃ = (x, 1)``, the network is the bias-free network of the ``W̃_k`` on ``x̃`` (``σ(1) = 1``, so the
constant unit is always active and ``D̃_k = diag(D_k, 1)`` still has norm ≤ 1). The parameters enter
the ``W̃_k`` affinely and a direction ``V`` becomes ``Ṽ_k = [V_k v_k; 0 0]`` with ``‖Ṽ_k‖_F = ‖(V_k, v_k)‖``,
so Lemma (A) holds verbatim with ``‖W̃_k‖₂ ≤ θ`` and ``X₂ = Σ_j (‖x_j‖² + 1)``; note ``‖W̃_k‖₂ ≥ 1`` for
hidden layers. The decay must reach every parameter (``2λI``), so ``"decay_biases": false`` is refused.

**Per-region refinement.** On the piece of a pattern ``P`` the second derivatives of ``f(x_j)`` are the
second-order cofactors of the determinant matrix ``B_j`` restricted to the units active at ``x_j``
(inactive units drop out). Bounding them layer by layer (Hadamard's inequality on the active rows, or the
operator norms of the active blocks ``W_k[A_k, A_{k−1}]``) can only lower the constant. Under a norm box
``‖W_k‖₂ ≤ θ`` an active block can still have norm ``θ``, so the one gain that survives is a **dead
sample**: if some hidden layer has no active unit at ``x_j`` (bias-free), ``f_P(x_j) ≡ 0`` and all its
cofactors vanish, so ``x_j`` leaves ``X₂``. Hence ``ε*_P = λ²/K_P ≥ ε*``.

The certificate of this set (``piecewise_strong_convexity``) is written by :mod:`proofs.methods.lemma_a_norm_box`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import product
from typing import Any, Callable, Iterator

from .exceptions import ProblemError
from .network import Pattern, augmented, forward, pattern_to_json
from .problem import Params, Problem
from .rationals import canonical
from .threshold_gap import piece_hessian, smallest_eigenvalue, spectral_square_bounds, symmetry_directions

MAX_ADJACENT = 256
"""Most adjacent pieces enumerated at a boundary point (``2^z`` for ``z`` zero pre-activations)."""

GAP_PIECES = 8
"""Most adjacent pieces whose exact ``λ_min`` is proved at a boundary point."""

SET_TEXT = "U(λ, θ) = {W : ‖W̃_k‖₂ ≤ θ for all k, E(W) < ε*}"


# ---------------------------------------------------------------------------------------------------
# exact ingredients


def require_decay(problem: Problem) -> None:
    """Refuse problems outside Lemma (A): the decay ``2λI`` must reach every parameter.

    Raises
    ------
    ProblemError
        When ``"decay_biases": false`` (biases present but not decayed).
    """
    if problem.biases and not problem.decay_biases:
        raise ProblemError("network.decay_biases", "must be true for the threshold: Lemma (A) needs weight "
                           "decay 2λI on every parameter (got false)")


def frobenius_squares(problem: Problem, params: Params) -> list[Fraction]:
    """``‖W̃_k‖_F²`` for each layer: exact rational upper bounds on ``‖W̃_k‖₂²``."""
    return [sum((v * v for row in M for v in row), Fraction(0)) for M in augmented(problem, params)]


def input_square_sum(problem: Problem, samples: Any = None) -> Fraction:
    """``X₂ = Σ_j ‖x̃_j‖²`` over ``samples`` (default all), with the constant 1 when there are biases."""
    idx = range(problem.samples) if samples is None else samples
    extra = 1 if problem.biases else 0
    return sum((sum((v * v for v in problem.inputs[j]), Fraction(0)) + extra for j in idx), Fraction(0))


def training_error(problem: Problem, params: Params, pattern: Pattern | None = None) -> Fraction:
    """``E = α Σ_j ‖f(x_j) − y_j‖²`` (of the piece ``f_P`` when ``pattern`` is given)."""
    fw = forward(problem, params, pattern)
    total = sum(((f - y) ** 2 for fs, ys in zip(fw.outputs, problem.targets) for f, y in zip(fs, ys)), Fraction(0))
    return problem.alpha * total


def constant(problem: Problem, theta: Fraction, x2: Fraction) -> Fraction:
    """``K = α H² θ^(2H−2) X₂``; the residual term is ``≤ 2(K·E)^½`` on the norm box."""
    H = problem.depth
    if H == 0:
        return Fraction(0)
    return problem.alpha * H * H * theta ** (2 * H - 2) * x2


def epsilon_star(problem: Problem, K: Fraction) -> Fraction | None:
    """``ε* = λ²/K``, or ``None`` (no threshold) when ``K = 0``.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> epsilon_star(p, constant(p, Fraction(1), input_square_sum(p)))
    Fraction(1, 16)
    """
    if K == 0:
        return None
    return problem.weight_decay ** 2 / K


def sqrt_upper(q: Fraction, digits: int) -> Fraction:
    """A rational ``s ≥ √q`` with denominator ``10^digits`` (``s = √q`` when that is such a rational)."""
    scale = 10 ** digits
    target = q * scale * scale
    s = math.isqrt(target.numerator // target.denominator)
    while Fraction(s * s) < target:
        s += 1
    return Fraction(s, scale)


def modulus(lam: Fraction, K: Fraction, eps: Fraction) -> Fraction | None:
    """A rational ``μ > 0`` with ``μ ≤ 2λ`` and ``(λ − μ/2)² ≥ K·ε``, or ``None`` if ``K·ε ≥ λ²``.

    >>> modulus(Fraction(1, 4), Fraction(1), Fraction(1, 64))
    Fraction(1, 4)
    """
    if lam <= 0:
        return None
    if K == 0 or eps == 0:
        return 2 * lam
    if K * eps >= lam * lam:
        return None
    digits = 6
    while digits <= 400:
        t = sqrt_upper(K * eps, digits)
        if t < lam:
            mu = 2 * (lam - t)
            scale = 10 ** digits
            short = Fraction(math.floor(mu * scale), scale)
            return short if short > 0 else mu
        digits *= 2
    return None


def default_theta(bound: Fraction) -> Fraction:
    """The smallest 6-decimal rational ``θ`` with ``θ² ≥ bound`` (``√bound`` itself when rational; 1 for 0)."""
    if bound == 0:
        return Fraction(1)
    root = Fraction(math.isqrt(bound.numerator), math.isqrt(bound.denominator))
    if root * root == bound:
        return root
    return sqrt_upper(bound, 6)


def live_samples(problem: Problem, pattern: Pattern) -> tuple[int, ...]:
    """Samples whose piece network is not identically zero: every hidden layer has an active unit.

    With biases the constant unit is always active, so every sample is live.
    """
    if problem.biases or problem.activation == "identity":
        return tuple(range(problem.samples))
    return tuple(j for j, layers in enumerate(pattern) if all(any(layer) for layer in layers))


def adjacent_patterns(problem: Problem, params: Params) -> list[Pattern]:
    """The pieces whose polynomial agrees with ``f`` at the point: every sign choice of the zero ``z``.

    A unit with ``z = 0`` outputs 0 whichever side is taken, so deeper pre-activations, and ``f``
    itself, are the same for all ``2^z`` choices. Raises ``ProblemError`` beyond :data:`MAX_ADJACENT`.
    """
    fw = forward(problem, params)
    zeros = fw.boundary
    if 2 ** len(zeros) > MAX_ADJACENT:
        raise ProblemError("point", f"must have at most {MAX_ADJACENT.bit_length() - 1} zero pre-activations for "
                           f"the per-region thresholds (got {len(zeros)})")
    out = []
    for bits in product((0, 1), repeat=len(zeros)):
        pat = [[list(layer) for layer in sample] for sample in fw.pattern]
        for (j, k, i), bit in zip(zeros, bits):
            pat[j][k][i] = bit
        out.append(tuple(tuple(tuple(layer) for layer in sample) for sample in pat))
    return out


# ---------------------------------------------------------------------------------------------------
# the report


@dataclass(frozen=True)
class RegionThreshold:
    """The per-region threshold of one piece (dead samples dropped)."""

    pattern: Pattern
    live: tuple[int, ...]
    x2: Fraction
    K: Fraction
    epsilon_star: Fraction | None
    in_set: bool
    mu: Fraction | None

    def to_json(self) -> dict[str, Any]:
        return {"pattern": pattern_to_json(self.pattern), "live_samples": list(self.live), "x2": canonical(self.x2),
                "constant": canonical(self.K), "epsilon_star": _opt(self.epsilon_star), "in_set": self.in_set,
                "mu": _opt(self.mu)}


@dataclass(frozen=True)
class Threshold:
    """Everything ``pscert threshold`` states about a problem at its point (all exact)."""

    problem: Problem
    theta: Fraction
    theta_rule: str
    norm_method: str
    norm_bounds: tuple[Fraction, ...]
    x2: Fraction
    K: Fraction
    epsilon_star: Fraction | None
    error: Fraction
    norms_ok: bool
    in_set: bool
    mu: Fraction | None
    boundary: tuple[tuple[int, int, int], ...]
    regions: tuple[RegionThreshold, ...]
    notes: tuple[str, ...] = field(default=())
    gaps: tuple[tuple[Pattern, Any], ...] = field(default=())
    symmetry: tuple[Any, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        p = self.problem
        out = {
            "epsilon_star": _opt(self.epsilon_star), "theta": canonical(self.theta), "in_set": self.in_set,
            "mu": _opt(self.mu), "theta_rule": self.theta_rule,
            "conventions": {"alpha": canonical(p.alpha), "beta": canonical(p.weight_decay),
                            "reduction": p.reduction, "loss": "L = α Σ_j ‖f(x_j) − y_j‖² + λ‖θ‖²",
                            "training_error": "E = α Σ_j ‖f(x_j) − y_j‖²"},
            "set": SET_TEXT, "depth": p.depth, "norm_method": self.norm_method,
            "norm_bounds": [canonical(v) for v in self.norm_bounds], "norms_within_theta": self.norms_ok,
            "x2": canonical(self.x2), "constant": canonical(self.K), "training_error": canonical(self.error),
            "boundary": [list(t) for t in self.boundary],
            "regions": [r.to_json() for r in self.regions], "notes": list(self.notes),
            "gap": [{"pattern": pattern_to_json(pat), "lambda_min": iv.to_json(), "positive_definite": _pd(iv)}
                    for pat, iv in self.gaps],
            "symmetry": [d.to_json() for d in self.symmetry],
        }
        return out

    def lines(self, show: Callable[[Fraction | None], str]) -> Iterator[str]:
        p = self.problem
        arch = "-".join(map(str, p.widths))
        yield f"problem:       {p.name or '(unnamed)'}: {arch}, {'biases' if p.biases else 'no biases'}, " \
              f"{p.activation}, H = {p.depth}, N = {p.samples}"
        yield f"conventions:   L = α Σ‖f(x_j) − y_j‖² + λ‖θ‖², α = {canonical(p.alpha)} ({p.reduction}), " \
              f"β = λ = {canonical(p.weight_decay)}; training error E = α Σ‖r_j‖²"
        yield "lemma (A):     λ_min(∇²L_P) ≥ 2λ − 2α·H·θ^(H−1)·Σ‖x̃_j‖‖r_j‖ on every piece where all ‖W̃_k‖₂ ≤ θ"
        yield f"set:           {SET_TEXT},  ε* = λ²/K,  K = α·H²·θ^(2H−2)·Σ‖x̃_j‖²"
        if p.biases:
            yield "biases:        W̃_k = [W_k b_k; 0 1], x̃ = (x, 1) (augmented form; bias-free Lemma (A) applied to it)"
        yield f"θ:             {show(self.theta)}  ({self.theta_rule})"
        kind = "‖W̃_k‖_F² (≥ ‖W̃_k‖₂²)" if self.norm_method == "frobenius" else "upper bounds on ‖W̃_k‖₂² (exact root isolation)"
        yield f"layer norms²:  {', '.join(show(v) for v in self.norm_bounds)}  [{kind}]; θ² = {show(self.theta ** 2)}"
        yield f"K:             {show(self.K)}   (Σ‖x̃_j‖² = {show(self.x2)})"
        yield f"ε* (global):   {show(self.epsilon_star) if self.epsilon_star is not None else 'none (K = 0: L is 2λ-strongly convex)'}"
        yield f"E(point):      {show(self.error)}"
        yield f"in U:          {'yes' if self.in_set else 'no'}" + ("" if self.norms_ok else " (a layer norm bound exceeds θ²)")
        yield f"μ (modulus):   {show(self.mu) if self.mu is not None else '-'}" + \
              ("   (λ_min(∇²L_P) ≥ μ on {‖W̃_k‖₂ ≤ θ, E ≤ E(point)})" if self.mu is not None else "")
        if self.boundary:
            yield f"boundary:      the point lies on a region boundary ({len(self.boundary)} zero pre-activation(s)): " \
                  f"{len(self.regions)} adjacent piece(s)"
        for r in self.regions:
            pat = " ".join("/".join(s) for s in pattern_to_json(r.pattern)) if p.depth else "-"
            eps = show(r.epsilon_star) if r.epsilon_star is not None else "none"
            yield f"per-region:    pattern {pat}: live samples {len(r.live)}/{p.samples}, ε*_P = {eps}, " \
                  f"in U_P: {'yes' if r.in_set else 'no'}, μ_P = {show(r.mu)}"
        for gap_pattern, iv in self.gaps:
            name = " ".join("/".join(s) for s in pattern_to_json(gap_pattern)) if p.depth else "-"
            value = f"= {show(iv.lo)}" if iv.lo == iv.hi else f"∈ [{show(iv.lo)}, {show(iv.hi)}]"
            verdict = {True: "positive definite", False: "not positive definite", None: "undecided"}[_pd(iv)]
            yield f"gap:           exact λ_min(∇²L_P(point)) {value} on piece {name}: {verdict} " \
                  f"(Lemma (A) certifies {show(self.mu) if self.mu is not None else 'nothing'})"
        for d in self.symmetry:
            yield f"symmetry:      layer {d.layer}, A = E_{d.generator[0]}{d.generator[1]} − E_{d.generator[1]}" \
                  f"{d.generator[0]}: tangent v with ‖Hv‖² = {show(d.hv_square)}, vᵀHv/vᵀv = {show(d.rayleigh)}" + \
                  ("  → exact zero eigenvalue" if d.hv_square == 0 else "  (λ_min ≤ this quotient)")
        for note in self.notes:
            yield f"note:          {note}"


def threshold(problem: Problem, theta: Fraction | None = None, spectral: bool = False,
              params: Params | None = None, gap: bool = False) -> Threshold:
    """The set ``U(λ, θ)``, its threshold and the point's membership, all exact.

    Parameters
    ----------
    problem
        The problem; its point is used unless ``params`` is given.
    theta
        The norm bound; default: the smallest 6-decimal rational ``≥`` the point's largest layer-norm
        bound (exactly that bound when its square root is rational).
    spectral
        Bound ``‖W̃_k‖₂²`` by isolating the largest eigenvalue of ``W̃_kᵀW̃_k`` (sympy) instead of by
        ``‖W̃_k‖_F²``.
    gap
        Also prove the exact ``λ_min`` of every adjacent piece's Hessian at the point (up to 8 pieces),
        and, for linear networks, the orthogonal-symmetry tangents.

    Examples
    --------
    ``f = b·σ(a·x)``, ``x = y = 1``, ``λ = 1/4``, at ``a = b = 1``: ``K = 1``, ``ε* = 1/16``, ``E = 0``,
    so ``μ = 2λ = 1/2``:

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]},
    ...     "point": {"weights": [[[1]], [[1]]]}})
    >>> t = threshold(p)
    >>> t.theta, t.epsilon_star, t.in_set, t.mu
    (Fraction(1, 1), Fraction(1, 16), True, Fraction(1, 2))
    """
    require_decay(problem)
    params = params if params is not None else problem.point
    if params is None:
        raise ProblemError("point", "missing: the threshold needs a point")
    if spectral:
        bounds = tuple(spectral_square_bounds(problem, params))
    else:
        bounds = tuple(frobenius_squares(problem, params))
    if theta is None:
        theta = default_theta(max(bounds))
        rule = "default: smallest 6-decimal rational ≥ the largest layer norm bound" + \
               (" (exact)" if theta * theta == max(bounds) else "")
    else:
        if theta <= 0:
            raise ProblemError("--theta", f"must be positive (got {canonical(theta)})")
        rule = "given"
    norms_ok = all(b <= theta * theta for b in bounds)
    lam = problem.weight_decay
    x2 = input_square_sum(problem)
    K = constant(problem, theta, x2)
    eps_star = epsilon_star(problem, K)
    error = training_error(problem, params)
    below = lam > 0 and (K == 0 or K * error < lam * lam)
    in_set = norms_ok and below
    mu = modulus(lam, K, error) if in_set else None
    fw = forward(problem, params)
    regions = []
    notes = list(_notes(problem, in_set))
    try:
        patterns = adjacent_patterns(problem, params) if problem.depth else [fw.pattern]
    except ProblemError:
        patterns = []
        notes.append(f"the point lies on {len(fw.boundary)} region boundaries (z = 0): more than "
                     f"{MAX_ADJACENT} adjacent pieces, so no per-region thresholds or piece Hessians are reported.")
    for pattern in patterns:
        live = live_samples(problem, pattern)
        x2p = input_square_sum(problem, live)
        Kp = constant(problem, theta, x2p)
        ok = norms_ok and lam > 0 and (Kp == 0 or Kp * error < lam * lam)
        regions.append(RegionThreshold(pattern, live, x2p, Kp, epsilon_star(problem, Kp), ok,
                                       modulus(lam, Kp, error) if ok else None))
    gaps: tuple[tuple[Pattern, Any], ...] = ()
    symmetry: tuple[Any, ...] = ()
    if gap:
        gaps = tuple((r.pattern, smallest_eigenvalue(piece_hessian(problem, params, r.pattern)))
                     for r in regions[:GAP_PIECES])
        symmetry = tuple(symmetry_directions(problem, params))
    return Threshold(problem, theta, rule, "spectral" if spectral else "frobenius", bounds, x2, K, eps_star, error,
                     norms_ok, in_set, mu, fw.boundary, tuple(regions), tuple(notes), gaps, symmetry)


def _notes(problem: Problem, in_set: bool) -> Iterator[str]:
    if problem.weight_decay == 0:
        yield "λ = 0: the threshold is 0 and no point lies in U (the theory needs weight decay)."
    if problem.depth >= 1 and not problem.biases and problem.weight_decay > 0:
        yield ("bias-free network: U(λ, θ) contains no nonzero critical point (paper.md §5.4: at a critical point "
               "α Σ r_j·f(x_j) = −λ‖W_k‖_F² for every k, which forces E ≥ ε*). A point near a minimum outside U is "
               "expected: the bound is a sufficient condition, not a verdict; see the exact λ_min beside it.")
    if problem.activation == "identity" and problem.depth >= 1:
        yield ("linear network: no nonzero critical point lies in the norm ball below the threshold (paper.md §5.3); "
               "with a hidden width ≥ 2 every nonzero critical point has a zero Hessian eigenvalue from the "
               "orthogonal symmetry (see --json 'symmetry').")


def _pd(iv: Any) -> bool | None:
    """Positive definite (``True``), not (``False``) or undecided (``None``) from a λ_min interval."""
    if iv.lo > 0 or (iv.lo == iv.hi and iv.lo > 0):
        return True
    if iv.hi <= 0:
        return False
    return None


def _opt(q: Fraction | None) -> str | None:
    return canonical(q) if q is not None else None
