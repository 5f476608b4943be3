"""The checker's sign-stability lemma (``lemmas.sign_stability``) on a one-unit chain, by hand.

``f = v·σ(w·x)`` with ``x = y = 1``, no biases: the only pre-activation is ``z = w``. Its integer fast
path (``z²·den > num·s²``, sign as the pattern says) must not skip any of the other tests: a listed
first-layer kink must have ``z = 0`` however large ``z`` is.
"""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from proofs.checker.arith import Budget
from proofs.checker.exceptions import CertificateInvalid
from proofs.checker.lemmas import sign_stability
from proofs.checker.network import Problem, bounds

CHAIN = Problem([1, 1, 1], False, False, "relu", "mean", F(1, 10), [[F(1)]], [[F(1)]])
RHO = F(1, 2 ** 40)


def stable(c: list[F], pattern: list, kinks: list | None = None, rho: F = RHO) -> None:
    sign_stability(CHAIN, c, rho, pattern, bounds(CHAIN, c, rho), Budget(10 ** 9), kinks)


def test_a_clear_pre_activation_is_stable() -> None:
    """z = 1 with pattern '1', ρ = 2^-40: F1(1)²·P_1·ρ² is far below z² = 1."""
    stable([F(1), F(1)], [[[1]]])


def test_a_listed_kink_must_vanish_even_when_its_pre_activation_is_large() -> None:
    with pytest.raises(CertificateInvalid, match=r"pattern: constraint \[0, 0\]: z at the centre must be 0 "
                                                 r"\(got 1\)"):
        stable([F(1), F(1)], [[[1]]], kinks=[(0, 0)])
    stable([F(0), F(1)], [[[0]]], kinks=[(0, 0)])  # z = 0 at a listed kink: accepted


def test_the_wrong_sign_and_a_small_margin_are_rejected() -> None:
    with pytest.raises(CertificateInvalid, match=r"pattern: .* must be negative \(pattern '0'\)"):
        stable([F(1), F(1)], [[[0]]])
    with pytest.raises(CertificateInvalid, match=r"pattern: .* must be positive \(pattern '1'\)"):
        stable([F(-1), F(1)], [[[1]]])
    # a radius so large that F1(1)²·P_1·ρ² ≥ z² = 1/2^20: not stable
    with pytest.raises(CertificateInvalid, match="sign stability: evidence.pattern\\[0\\]\\[0\\] unit 0: z² = "):
        stable([F(1, 2 ** 10), F(1)], [[[1]]], rho=F(1, 2 ** 5))
