"""The trusted checker of pscert certificates (``pscert.certificate/1``). Standard library only.

``python -m proofs.checker CERT [--problem PROBLEM]`` prints ``VALID: …`` and exits 0, prints
``INVALID: <step>: <message>`` (the first failed check) and exits 1, or writes ``Error: <file>: <what>``
to stderr and exits 2 when a file cannot be read. The checker re-computes; it never searches.

What acceptance guarantees
--------------------------
Notation (SPEC §1, ``proofs/FORMAT.md``): ``L`` is the loss of the problem *embedded in the certificate*,
``c`` the centre, ``ρ`` the radius, ``B̄`` the closed Euclidean ball of radius ``ρ`` about ``c`` in all of
``θ``, ``P`` the pattern named by the evidence and ``L_P`` the loss polynomial of its region.

``isolated_local_minimum`` (CERTIFIED), evidence ``interior_ball`` (SPEC §4, interior case):

1. *Sign stability.* ``z_{k,i}(x_j; c)`` has the pattern's strict sign, and ``z_P(c)² > F1(k)²·P_k·ρ²``
   where ``F1(k)`` bounds every ``|∂z_{k,i}/∂θ|`` on the box ``|θ − c|_∞ ≤ ρ`` and ``P_k`` counts the
   parameters of layers ``1..k``. By the mean-value theorem and induction over layers, every hidden
   pre-activation keeps its strict sign on ``B̄``, so ``L = L_P`` on a neighbourhood of ``B̄``.
2. *Hessian bound.* ``H_0 = ∇²L_P(c)`` exactly; ``H_0 − (μ+δ)I`` is positive definite (all LDLᵀ pivots
   positive, or ``T·(H_0 − (μ+δ)I)·Tᵀ`` strictly diagonally dominant for a lower-triangular ``T`` with
   positive diagonal); ``δ ≥ 0`` and ``δ² ≥ P³K²ρ²`` where ``K`` bounds every third partial derivative
   of ``L_P`` on the box, so ``‖∇²L_P(θ) − H_0‖₂ ≤ P^{3/2}Kρ ≤ δ`` and ``∇²L_P(θ) ⪰ μI`` on ``B̄``.
3. *Gradient bound.* ``‖∇L_P(c)‖² < μ²ρ²``.

Then ``L`` is ``μ``-strongly convex on ``B̄`` and has exactly one critical point ``θ*`` there, with
``‖θ* − c‖ ≤ ‖∇L(c)‖/μ < ρ``; it is a strict local minimum and ``L(θ) ≥ L(θ*) + (μ/2)‖θ − θ*‖²`` on
``B̄``. The checker also insists on ``λ > 0`` (SPEC §4: with ``λ = 0`` minima are never isolated).

``isolated_local_minimum`` (CERTIFIED), evidence ``boundary_ball`` (SPEC §4, boundary case; the centre on
first-layer kinks). ``Z`` lists first-layer pairs ``(j, i)`` with ``z_{1,i}(x_j; c) = a_m·c = 0``, ``a_m``
holding ``x̃_j`` in unit ``i``'s incoming coordinates; a sign string ``s`` orients ``s'_m a_m`` and names
the piece ``P_s``.

1. *Kinks and the rest.* Exactly the listed first-layer pre-activations vanish at ``c``; every other one
   has the pattern's strict sign and keeps it on ``B̄`` (first layer: ``z² > ρ²‖x̃_j‖²``, exact since ``z``
   is linear; deeper layers: step 1 of the interior case, whose bounds hold for every pattern).
2. *Every region meeting the ball is listed.* A depth-first case split over the signs of ``Z``: each
   branch ends in a listed piece or under an ``empty`` entry whose Gordan vector ``y ≥ 0``, ``y ≠ 0``,
   satisfies ``Σ y_m s'_m a_m = 0``; then no direction ``d`` has ``s'_m a_m·d > 0`` for all its signs, and as
   ``z_m(θ) = a_m·(θ − c)`` no region with those signs meets ``B̄``.
3. *Each listed piece.* ``∇²L_{P_s}(c) − (μ+δ)I`` positive definite (as in the interior case, same ``δ``),
   so ``∇²L_{P_s} ⪰ μI`` on ``B̄``; multipliers ``ν ≥ 0`` with ``‖∇L_{P_s}(c) − Σ ν_m s'_m a_m‖ < μρ/2``.

Then each region's closure meets ``B̄`` in a convex set (half-spaces ``s'_m a_m·(θ − c) ≥ 0``, the other
signs fixed) on which ``L = L_{P_s}`` is ``μ``-strongly convex, and for ``θ`` on the sphere
``L(θ) ≥ L(c) + Σ ν_m s'_m a_m·(θ − c) − ‖e‖ρ + (μ/2)ρ² > L(c)``. So ``L`` has a local minimum in the open
ball; every local minimum in ``B̄`` is the minimiser of each adjacent closed piece, hence strict with
quadratic growth ``μ/2`` there, and isolated (finitely many convex pieces, at most one minimiser each).

``isolated_local_minimum`` (CERTIFIED), evidence ``kink_ball`` (the same setting with independent
constraints, for kinks where a piece's Hessian is indefinite across the kink but the kink is strictly
complementary). Steps 1 as above; ``AAᵀ`` is nonsingular, so every sign combination meets the ball and all
``2^|Z|`` pieces must be listed; ``r_m ≥ ‖A⁺e_m‖``. For each piece: ``h ≥ ‖∇²L_{P_s}(c)‖_F``; multipliers with
``e = ∇L_{P_s}(c) − Σ ν_m s'_m a_m`` orthogonal to every ``a_m`` and ``‖e‖ < μρ/2``; ``ν_m > Δ_m = r_m(h+δ)ρ``;
``κ = min_m(ν_m − Δ_m)``, ``0 ≤ τ`` with ``τ²‖A‖_F²ρ² ≤ κ²``; ``∇²L_{P_s}(c) + τAᵀA − (μ+δ)I`` positive definite.
Proof: a point of ``B̄`` off the kink subspace ``S`` (some ``z_m ≠ 0``) is no local minimum, since moving
along ``−s'_m A⁺e_m`` changes only ``z_m`` and has slope ``≤ −ν_m + Δ_m < 0``; on ``S ∩ B̄`` all pieces agree
and ``L`` is ``μ``-strongly convex (``AᵀA`` vanishes on ``S``), so it holds at most one local minimum ``θ*``.
At ``θ*`` the multipliers are ``≥ κ``, and for ``θ* + d`` in a closed piece of ``B̄``,
``L(θ* + d) − L(θ*) ≥ κ‖Ad‖ + ½dᵀ(∇²L_{P_s}(c) − δI)d ≥ ½dᵀ(∇²L_{P_s}(c) + τAᵀA − δI)d ≥ (μ/2)‖d‖²``
(``‖Ad‖ ≤ 2‖A‖_Fρ ≤ 2κ/τ``); the same estimate about ``c`` with ``‖e‖ < μρ/2`` puts the minimum of ``L`` over
``B̄`` inside the ball. So ``L`` has exactly one local minimum in ``B̄``, strict with quadratic growth ``μ/2``.

``isolated_local_minimum`` (CERTIFIED), evidence ``collapsed_layer``: one hidden layer whose units are all
dead at ``c`` (every hidden parameter 0, the output bias exactly critical). ``L(c + s·d) − L(c)`` is exactly
``s²Q + s³C + s⁴R`` for ``s ≥ 0`` (``σ`` is positively homogeneous), with ``R ≥ 0``, ``|C| ≤ α·x_sum·‖d‖³`` and,
when every cell of the single-unit arrangement satisfies ``‖G(v)‖ ≤ (λ − ε)‖v‖`` (polar-cone or spectral
witnesses), ``Q ≥ μ'‖d‖²`` with ``μ' = min(αN + λ_b, ε)``. With ``3α·x_sum·ρ < 2μ'``, ``c`` is a strict minimum
with growth ``μ' − α·x_sum·ρ ≥ μ/2`` and the only local minimum in ``B̄`` (elsewhere ``d/ds`` at ``s = 1`` is
``2Q + 3C + 4R > 0``). Details: ``proofs/checker/collapse.py``.

``not_a_local_minimum`` (REFUTED):

- evidence ``negative_curvature`` (``ρ > 0``): step 1 as above and ``dᵀH_0d + δ‖d‖² < 0`` with the same
  ``δ``, so ``dᵀ∇²L_P(θ)d < 0`` on ``B̄``: no point of the open ball is a local minimum of ``L``.
- evidence ``curve``, kind ``descent`` (``ρ = 0``): ``γ(t) = N(t)/q(t)`` with ``q > 0`` on ``[0, t0]``
  and ``γ(0) = c``; along ``γ`` every hidden pre-activation is ``Z(t)/q(t)^k`` with ``Z ≡ 0`` or of one
  strict sign on ``(0, t0]`` (lowest nonzero coefficient dominating), so the network along ``γ`` is one
  exact polynomial computation; ``Λ(t) = q^{2(H+1)}·(L(γ(t)) − L(c)) < 0`` on ``(0, t0]`` by the same
  dominance test. Hence ``L(γ(t)) < L(c)`` for ``0 < t ≤ t0`` and ``c`` is not a local minimum.

``not_isolated`` (REFUTED): evidence ``curve``, kind ``constant``, ``ρ = 0``: the curve checks above,
``Λ ≡ 0`` and ``γ`` not constant. Then ``L(γ(t)) = L(c)`` on ``[0, t0]`` and ``γ(t) ≠ c`` for all but
finitely many ``t``: ``c`` is not a strict local minimum, and if it is a local minimum then so is every
``γ(t)`` close to ``c``; either way it is not an isolated local minimum. The evidence of
``not_a_local_minimum`` is accepted too (a point that is no local minimum is no isolated one).

``piecewise_strong_convexity`` (CERTIFIED), evidence ``lemma_a_norm_box``: the instantiation of the paper's
Lemma (A) on the problem (``proofs/checker/threshold.py`` states the set and exactly what is verified: the
constants, ``ε < ε*``, ``(λ − μ/2)² ≥ Kε``, and optionally the centre's membership). The lemma itself is
mathematics argued on paper, not re-derived by the checker.

What it does not guarantee
--------------------------
- It trusts CPython: ``int``, ``fractions.Fraction``, ``json`` and the machine running them.
- It trusts the mathematics written here and in ``proofs/FORMAT.md`` (the a-priori bounds ``A_k``,
  ``Mb``, ``F1``–``F3``, ``K`` and the lemmas above); they are argued on paper, not machine-checked.
- It checks the problem embedded in the certificate, not the problem the user meant, unless
  ``--problem`` / ``expected_problem`` is given (then data, architecture and loss must agree exactly;
  the problem's name and point are ignored).
- It says nothing beyond the claim: not about global minima, points outside the ball, or the free-form
  ``producer`` block. It bounds the size of every number (10,000 digits), not the running time.

Rejection lines name the step: ``format`` (JSON, shapes, canonical numbers), ``claim`` (kind and
status), ``problem``, ``radius``, ``mu``, ``evidence`` (method or kind not valid for the claim),
``pattern``, ``sign stability``, ``hessian bound``, ``gradient bound``, ``curvature``, ``curve``,
``regions`` (boundary case: a region neither listed nor excluded, or a false Gordan vector).
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from typing import Any, Sequence

from . import boundary, collapse, threshold  # noqa: F401  (importing them registers their evidence methods)
from .claims import CLAIMS, METHODS, Context
from .exceptions import CertificateInvalid, CertificateUnreadable, CheckerError
from .network import Bounds, CurveLoss, Problem, bounds, curve_loss, derivatives, forward
from .reading import (CERTIFICATE_FORMAT, MAX_DIGITS, brief, expect_object, fail, load_json,
                      parse_rational_strict, read_pattern, read_point, read_poly, read_problem)

__all__ = [
    "boundary", "collapse", "threshold",
    "CLAIMS", "METHODS", "CERTIFICATE_FORMAT", "MAX_DIGITS", "Bounds", "CurveLoss", "Problem",
    "CertificateInvalid", "CertificateUnreadable", "CheckerError", "activation_pattern",
    "check_certificate", "check_file", "curve_loss_polynomial", "derivative_bounds", "loss_derivatives",
    "main", "parse_rational_strict", "read_problem",
]

_TOP_KEYS = {"format", "status", "claim", "problem", "center", "radius", "mu", "evidence", "producer"}


def check_certificate(cert: Any, expected_problem: Any = None, *, max_digits: int = MAX_DIGITS) -> str:
    """Re-check a decoded certificate and return its ``VALID: …`` line.

    Parameters
    ----------
    cert
        The decoded JSON object (decode with :func:`check_file` to reject floats at the source; a Python
        ``float`` or ``int`` where a rational string belongs is rejected here too).
    expected_problem
        The problem the user meant, as a :class:`Problem` or a decoded problem file; ``None`` skips the
        comparison.
    max_digits
        Most decimal digits of any numerator or denominator.

    Returns
    -------
    str
        E.g. ``"VALID: CERTIFIED isolated_local_minimum, radius 1/1000, mu 1/2 (interior_ball, …)"``.

    Raises
    ------
    CertificateInvalid
        At the first failed check; ``str(err)`` is ``"<step>: <message>"``.
    CertificateUnreadable
        If ``expected_problem`` is not a valid problem.

    Notes
    -----
    The module docstring states what acceptance proves. Cost: one exact Hessian, ``O(P²·N)`` integer
    multiply-adds, plus ``O(P³)`` for the positive-definiteness witness.
    """
    top = expect_object(cert, "", _TOP_KEYS, _TOP_KEYS - {"mu", "producer"})
    if top["format"] != CERTIFICATE_FORMAT:
        raise CertificateInvalid("format", f"version must be \"{CERTIFICATE_FORMAT}\" (got {brief(top['format'])})")
    claim, status = top["claim"], top["status"]
    if not isinstance(claim, str) or claim not in CLAIMS:
        raise CertificateInvalid("claim", f"unknown claim kind {brief(claim)} (known: {', '.join(sorted(CLAIMS))})")
    if status not in ("CERTIFIED", "REFUTED"):
        fail("status", f"must be \"CERTIFIED\" or \"REFUTED\" (got {brief(status)})")
    kind = CLAIMS[claim]
    if status != kind.status:
        raise CertificateInvalid("claim", f"{claim} must have status {kind.status} (got {status})")
    if "producer" in top and not isinstance(top["producer"], dict):
        fail("producer", f"must be an object (got {brief(top['producer'])})")
    problem = read_problem(top["problem"], "problem", strict=True, max_digits=max_digits)
    if kind.minimum and problem.weight_decay <= 0:
        raise CertificateInvalid("problem", f"weight decay must be positive for {claim} (got {problem.weight_decay})")
    if expected_problem is not None:
        _compare_problems(problem, _expected(expected_problem, max_digits))
    center = read_point(top["center"], problem, "center", max_digits)
    radius = parse_rational_strict(top["radius"], "radius", max_digits)
    if radius < 0:
        raise CertificateInvalid("radius", f"must be non-negative (got {radius})")
    mu = None
    if kind.minimum:
        if "mu" not in top:
            raise CertificateInvalid("mu", f"missing: {claim} needs a strong-convexity modulus mu > 0")
        mu = parse_rational_strict(top["mu"], "mu", max_digits)
        if mu <= 0:
            raise CertificateInvalid("mu", f"must be positive (got {mu})")
    elif "mu" in top:
        fail("mu", f"only minimum claims carry mu ({claim} does not)")
    evidence = top["evidence"]
    if not isinstance(evidence, dict) or "method" not in evidence:
        fail("evidence", f"must be an object with a \"method\" (got {brief(evidence)})")
    name = evidence["method"]
    if not isinstance(name, str) or name not in METHODS or name not in kind.methods:
        supported = ", ".join(kind.methods) or "none yet"
        raise CertificateInvalid("evidence", f"method {brief(name)} is not supported for {claim} "
                                 f"(supported: {supported})")
    summary = METHODS[name](Context(claim, problem, center, radius, mu, evidence, max_digits, top))
    modulus = f", mu {mu}" if mu is not None else ""
    return f"VALID: {status} {claim}, radius {radius}{modulus} ({summary})"


def _expected(obj: Any, max_digits: int) -> Problem:
    if isinstance(obj, Problem):
        return obj
    try:
        return read_problem(obj, "", strict=False, max_digits=max_digits)
    except CertificateInvalid as err:
        raise CertificateUnreadable(f"expected problem: {err.message}") from None


def _compare_problems(problem: Problem, expected: Problem) -> None:
    for (path, got), (_, want) in zip(problem.fields(), expected.fields()):
        if got != want:
            raise CertificateInvalid("problem", f"differs from the expected problem at {path}: the certificate "
                                     f"has {_plain(got)}, the expected problem {_plain(want)}")


def _plain(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise CertificateUnreadable(f"{path}: cannot read the file ({reason})") from None


def check_file(path: str, expected_problem_path: str | None = None, *, max_digits: int = MAX_DIGITS) -> str:
    """Read a certificate file (and optionally the problem file it must be about) and check it.

    Returns
    -------
    str
        The ``VALID: …`` line.

    Raises
    ------
    CertificateUnreadable
        A file cannot be read or is not JSON, or the problem file is not a valid problem; the message
        starts with the file name.
    CertificateInvalid
        The certificate fails a check (a JSON float or a duplicate key included).
    """
    expected = None
    if expected_problem_path is not None:
        text = _read_text(expected_problem_path)
        try:
            expected = read_problem(load_json(text, problem_file=True, max_digits=max_digits), "",
                                    strict=False, max_digits=max_digits)
        except CheckerError as err:
            what = err.message if isinstance(err, CertificateInvalid) else str(err)
            raise CertificateUnreadable(f"{expected_problem_path}: {what}") from None
    text = _read_text(path)
    try:
        cert = load_json(text, max_digits=max_digits)
    except CertificateUnreadable as err:
        raise CertificateUnreadable(f"{path}: {err}") from None
    return check_certificate(cert, expected, max_digits=max_digits)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m proofs.checker CERT [--problem PROBLEM]``; returns the exit code (0 / 1 / 2)."""
    parser = argparse.ArgumentParser(prog="python -m proofs.checker",
                                     description="Re-check a pscert certificate with exact arithmetic.")
    parser.add_argument("certificate", help="a pscert.certificate/1 JSON file")
    parser.add_argument("--problem", help="the problem file the certificate must be about")
    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a message may quote any text: never crash on printing it
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        print(check_file(args.certificate, args.problem))
        return 0
    except CertificateInvalid as err:
        print(f"INVALID: {err}")
        return 1
    except CertificateUnreadable as err:
        print(f"Error: {err}", file=sys.stderr)
        return 2


# Helpers for the (untrusted) generator, so that it computes exactly what the checker will accept.

def _problem(problem: Problem | dict[str, Any]) -> Problem:
    return problem if isinstance(problem, Problem) else read_problem(problem)


def derivative_bounds(problem: Problem | dict[str, Any], center_theta: Sequence[Fraction], radius: Fraction) -> Bounds:
    """The a-priori bounds of FORMAT.md on the box ``|θ − c|_∞ ≤ ρ``.

    Returns
    -------
    Bounds
        ``K`` (third partials of any ``L_P``), ``F1[k]`` and ``prefix[k]`` (``P_k``) for sign stability of
        layer ``k``, and ``delta_squared = P³K²ρ²`` (a valid ``δ`` has ``δ² ≥`` it).

    Examples
    --------
    >>> p = {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...      "loss": {"weight_decay": "1/4"}, "data": {"inputs": [["1"]], "targets": [["1"]]}}
    >>> derivative_bounds(p, [Fraction(1), Fraction(1)], Fraction(0)).K   # K = 6B, B = 1
    Fraction(6, 1)
    """
    return bounds(_problem(problem), [Fraction(v) for v in center_theta], Fraction(radius))


def loss_derivatives(problem: Problem | dict[str, Any], theta: Sequence[Fraction],
                     pattern: Any = None) -> tuple[Fraction, list[Fraction], list[list[Fraction]]]:
    """Exact ``(L_P, ∇L_P, ∇²L_P)`` at a rational ``θ`` for a fixed pattern.

    ``pattern`` is in the certificate's form (``[["10"], ["11"]]``); ``None`` uses the true ReLU at ``θ``
    (on a boundary that is one of the adjacent pieces, ``σ'(0) = 0``).

    Examples
    --------
    >>> p = {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...      "loss": {"weight_decay": "1/4"}, "data": {"inputs": [["1"]], "targets": [["1"]]}}
    >>> L, g, H = loss_derivatives(p, [Fraction(1), Fraction(1)])   # L = (ab−1)² + (a²+b²)/4
    >>> L, g, H
    (Fraction(1, 2), [Fraction(1, 2), Fraction(1, 2)], [[Fraction(5, 2), Fraction(2, 1)], [Fraction(2, 1), Fraction(5, 2)]])
    """
    prob = _problem(problem)
    theta = [Fraction(v) for v in theta]
    parsed = None if pattern is None else read_pattern(pattern, prob, "pattern")
    d = derivatives(prob, theta, forward(prob, theta, parsed))
    return d.loss, d.grad, [[Fraction(v, d.hess_den) for v in row] for row in d.hess_num]


def activation_pattern(problem: Problem | dict[str, Any], theta: Sequence[Fraction]) -> list[list[str]]:
    """The pattern at ``θ`` in certificate form; raises ``ValueError`` if some pre-activation is 0."""
    prob = _problem(problem)
    run = forward(prob, [Fraction(v) for v in theta], None)
    for j, sample in enumerate(run.pre):
        for k, z in enumerate(sample):
            if 0 in z and prob.activation == "relu":
                raise ValueError(f"sample {j} layer {k + 1} unit {z.index(0)}: pre-activation is 0 (a boundary)")
    return [["".join(map(str, mask)) for mask in masks] for masks in run.masks]


def curve_loss_polynomial(problem: Problem | dict[str, Any], center_theta: Sequence[Fraction],
                          numerators: Sequence[Sequence[Any]], denominator: Sequence[Any]) -> CurveLoss:
    """``Λ(t) = q^{2(H+1)}·(L(γ(t)) − L(c))`` for ``γ = numerators/denominator`` and the hidden numerators.

    Coefficients may be Fractions or canonical strings. The pattern along ``γ`` is the germ sign at
    ``t → 0⁺`` of each hidden numerator; the checker accepts only if each is decided on ``(0, t0]``.

    Examples
    --------
    >>> p = {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...      "loss": {"weight_decay": "1/4"}, "data": {"inputs": [["1"]], "targets": [["1"]]}}
    >>> curve_loss_polynomial(p, [0, 0], [[0, 1], [0, 1]], [1]).Lambda   # −(3/2)t² + t⁴
    [Fraction(0, 1), Fraction(0, 1), Fraction(-3, 2), Fraction(0, 1), Fraction(1, 1)]
    """
    prob = _problem(problem)

    def poly(p: Sequence[Any], where: str) -> list[Fraction]:
        return read_poly(list(p), where) if any(isinstance(c, str) for c in p) else [Fraction(c) for c in p]

    nums = [poly(p, f"numerators[{i}]") for i, p in enumerate(numerators)]
    return curve_loss(prob, [Fraction(v) for v in center_theta], nums, poly(denominator, "denominator"))
