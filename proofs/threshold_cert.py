"""The ``piecewise_strong_convexity`` certificate of the paper's threshold, re-checked before it is returned.

:func:`certificate` turns a :class:`symbolic.threshold.Threshold` into a SPEC §3 certificate with the
``lemma_a_norm_box`` evidence (the set ``{‖W̃_k‖₂ ≤ θ, E ≤ ε}``, its constants and the modulus ``μ``);
:func:`certified` runs the trusted checker (``proofs.checker``) on it first. All numbers are canonical
rationals. The mathematics (Lemma (A), ``ε*``, ``μ``) is in :mod:`symbolic.threshold`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from symbolic.exceptions import ProblemError
from symbolic.network import pattern_to_json
from symbolic.problem import params_to_json, problem_to_json
from symbolic.rationals import canonical
from symbolic.threshold import Threshold, modulus

from . import checker

def certificate(t: Threshold, epsilon: Fraction | None = None, with_region: bool = True) -> dict[str, Any]:
    """A ``piecewise_strong_convexity`` certificate (SPEC §3) for the set ``U_ε = {‖W̃_k‖₂ ≤ θ, E ≤ ε}``.

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
