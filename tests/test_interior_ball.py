"""``interior_ball``'s search: the float Cholesky witness is chosen by a float screen, the checker's single
run decides, and a rejected certificate is retried once with ``μ`` halved before the answer is UNKNOWN."""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from proofs import assemble, checker, generator
from proofs.checker import CertificateInvalid
from proofs.checker.arith import Budget
from proofs.checker.cholesky import proves_positive_definite
from proofs.generator import certify
from proofs.methods import interior_ball
from proofs.positivity import cholesky_screen
from symbolic.problem import load_problem, parse_problem

# L = (ab − 1)² + (a² + b²)/4 on a > 0: the minimum (√3/2, √3/2), Hessian eigenvalues 1 and 3
CHAIN = {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
         "loss": {"weight_decay": "1/4"}, "data": {"inputs": [["1"]], "targets": [["1"]]},
         "point": {"weights": [[["0.866"]], [["0.866"]]]}}


def rejecting(monkeypatch: pytest.MonkeyPatch, times: int) -> list[str]:
    """Make the checker run inside certify reject its first ``times`` certificates; returns the mus seen."""
    real, seen = assemble.checker.check_certificate, []

    def check(cert: dict) -> str:
        seen.append(cert["mu"])
        if len(seen) <= times:
            raise CertificateInvalid("hessian bound", "rejected for the test")
        return real(cert)

    monkeypatch.setattr(assemble.checker, "check_certificate", check)
    return seen


def test_a_rejected_certificate_is_retried_once_with_mu_halved(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = rejecting(monkeypatch, 1)
    v = certify(parse_problem(CHAIN))
    assert v.status == "CERTIFIED" and len(seen) == 2
    first, second = map(Fraction, seen)
    assert 0 < second <= first / 2 and Fraction(v.certificate["mu"]) == second
    assert v.facts["checker"].startswith("VALID")


def test_two_rejections_give_unknown_with_both_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = rejecting(monkeypatch, 2)
    v = certify(parse_problem(CHAIN))
    assert v.status == "UNKNOWN" and len(seen) == 2 and v.certificate is None
    assert v.reason.startswith(interior_ball.REJECTED) and "; with μ halved: " + interior_ball.REJECTED in v.reason


def test_the_screen_predicts_the_checkers_test_on_shifted_gram_matrices() -> None:
    """``BBᵀ + t·I − s·I`` with a rank-deficient ``B`` (so ``λ_min = t − s`` up to rounding): the screen
    says yes well above its margin and no at or below 0; whenever it says yes, the checker's float test
    proves positive definiteness (else certify would write witnesses the checker rejects)."""
    rng = random.Random(5)
    for n in (20, 80):
        B = np.array([[rng.randint(-50, 50) for _ in range(n // 2)] for _ in range(n)], dtype=float)
        G = B @ B.T
        margin = 16 * float(np.max(np.diag(G))) * 2.0 ** -51 * (n + 2) ** 2 / 2
        for t, expected in ((1.0, True), (4 * margin, True), (0.0, False), (-1.0, False)):
            S = 2 ** 60
            A = [[int(G[i, j]) * S + (round(t * S) if i == j else 0) for j in range(n)] for i in range(n)]
            Af = np.array(A, dtype=float) / S
            assert cholesky_screen(Af) is expected
            if expected:
                assert proves_positive_definite(A, S, Budget(10 ** 12))


def test_the_screen_declines_non_finite_or_non_positive_diagonals() -> None:
    assert not cholesky_screen(np.array([[np.inf, 0.0], [0.0, 1.0]]))
    assert not cholesky_screen(np.array([[0.0, 0.0], [0.0, -1.0]]))
    assert cholesky_screen(np.zeros((0, 0)))


INTERIOR = Path(__file__).parent / "data" / "interior_minimum_3_3_2.json"   # P = 20 > LDL_MAX


def exact_hessians(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the generator's exact Hessians (``piece_derivatives`` with ``hessian=True``)."""
    import symbolic.derivatives

    real, calls = symbolic.derivatives.piece_derivatives, []

    def counted(*args: object, hessian: bool = True, **kw: object) -> object:
        if hessian:
            calls.append(1)
        return real(*args, hessian=hessian, **kw)  # type: ignore[arg-type]

    for module in (generator, interior_ball):
        monkeypatch.setattr(module, "piece_derivatives", counted)
    return calls


def test_above_ldl_max_the_witness_comes_from_the_float_screen_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """An interior minimum with 20 parameters: the Cholesky witness is written without any exact Hessian
    in the generator, and the checker accepts it."""
    calls = exact_hessians(monkeypatch)
    v = certify(load_problem(str(INTERIOR)))
    assert v.status == "CERTIFIED" and v.certificate["evidence"]["pd"] == {"method": "cholesky"}
    assert not calls and checker.check_certificate(v.certificate).startswith("VALID")


def test_when_the_screen_declines_the_exact_hessian_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the float screen saying no, interior_ball computes the exact Hessian and builds the witness
    from it (:func:`proofs.positivity.pd_certificate`), which the checker accepts."""
    calls = exact_hessians(monkeypatch)
    monkeypatch.setattr(interior_ball, "cholesky_screen", lambda Af: False)
    v = certify(load_problem(str(INTERIOR)))
    assert v.status == "CERTIFIED" and len(calls) == 1
    assert checker.check_certificate(v.certificate).startswith("VALID")
