"""The checker's floating-point Cholesky test (proofs/checker/cholesky.py) and its exact fallback.

Answers come from an independent exact method: the checker's fraction-free LDLᵀ (Sylvester), or
matrices built with a known smallest eigenvalue. The float test may say "not proved" for a positive
definite matrix (then the exact test decides); it must never say "proved" for one that is not.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction as F

import pytest

from proofs.checker import cholesky
from proofs.checker.arith import Budget, ldl_first_bad_pivot
from proofs.checker.cholesky import gamma, proves_positive_definite, shift
from proofs.checker.exceptions import CertificateInvalid
from proofs.checker.lemmas import positive_definite

BIG = 10 ** 12


@pytest.fixture(autouse=True, params=["left-looking", "right-looking"])
def order(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with both orders of evaluation of the factorisation (the module docstring)."""
    if request.param == "left-looking":
        assert cholesky.sum_is_recursive(), "this interpreter's sum is not recursive: only one order is tested"
    else:
        monkeypatch.setattr(cholesky, "sum_is_recursive", lambda: False)
    return request.param


def proved(M: list[list[F]]) -> bool:
    A, S = over_common(M)
    return proves_positive_definite(A, S, Budget(BIG))


def exactly_pd(M: list[list[F]]) -> bool:
    A, _ = over_common(M)
    return ldl_first_bad_pivot([row[:] for row in A], Budget(BIG)) is None


def over_common(M: list[list[F]]) -> tuple[list[list[int]], int]:
    from math import lcm

    S = lcm(*(v.denominator for row in M for v in row))
    return [[int(v * S) for v in row] for row in M], S


def shifted(M: list[list[F]], t: F) -> list[list[F]]:
    return [[v - (t if i == j else 0) for j, v in enumerate(row)] for i, row in enumerate(M)]


def gram(B: list[list[int]]) -> list[list[F]]:
    """``BᵀB``, exactly."""
    n = len(B[0])
    return [[F(sum(B[k][i] * B[k][j] for k in range(len(B)))) for j in range(n)] for i in range(n)]


def test_the_arithmetic_here_is_ieee() -> None:
    """The probes pass on the platforms the tests run on (else every test below is only the fallback)."""
    assert cholesky.arithmetic_is_ieee()


def test_compensated_summation_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    """The left-looking order needs ``sum`` to round every addition: a correctly rounded sum (``fsum``,
    like the compensated ``sum`` of Python 3.12) or Python 3.12 itself selects the right-looking order."""
    import math
    import sys

    with monkeypatch.context() as m:
        m.setattr(cholesky, "sum", math.fsum, raising=False)
        assert not cholesky.sum_is_recursive()
    with monkeypatch.context() as m:
        m.setattr(sys, "version_info", (3, 12, 0, "final", 0))
        assert not cholesky.sum_is_recursive()


def test_both_orders_decide_alike_on_shifted_gram_matrices() -> None:
    """Left- and right-looking factorisations of ``BBᵀ + t·I`` (rank-deficient ``B``) in floats: both
    succeed for ``t`` well above the rounding level (about 10⁻¹³ here) and fail for ``t`` well below −10⁻¹³."""
    rng = random.Random(11)
    for n in (5, 40, 120):
        B = [[rng.uniform(-1, 1) for _ in range(n // 2)] for _ in range(n)]
        for t, ok in ((1.0, True), (1e-6, True), (-1e-9, False), (-1.0, False)):
            rows = [[sum(B[i][k] * B[j][k] for k in range(n // 2)) + (t if i == j else 0.0) for j in range(i, n)]
                    for i in range(n)]
            assert cholesky._left_looking([r[:] for r in rows]) is ok
            assert cholesky._right_looking([r[:] for r in rows]) is ok


def test_gamma_and_shift_by_hand() -> None:
    """γ_3 = 3u/(1 − 3u); for n = 2 and tr Q = 2^52: Γ·tr Q = 1.5/(1 − 3u) ≈ 1.5, so C = ⌈2 + 1.5⁺⌉ = 4."""
    u = F(1, 2 ** 53)
    assert gamma(3) == 3 * u / (1 - 3 * u)
    assert shift(2, 2 ** 52) == 4
    assert shift(2, 0) == 3            # n plus the underflow term, rounded up
    assert shift(2, -5) == 3           # a negative trace is not allowed to lower the shift


def test_small_matrices_by_hand() -> None:
    """[[2, 1], [1, 2]] has eigenvalues 1, 3; [[1, 2], [2, 1]] has −1, 3; the zero matrix is singular;
    the 1×1 matrix [1/7] is positive; the empty matrix is positive definite vacuously."""
    assert proved([[F(2), F(1)], [F(1), F(2)]])
    assert not proved([[F(1), F(2)], [F(2), F(1)]])
    assert not proved([[F(0), F(0)], [F(0), F(0)]])
    assert not proved([[F(-1)]])
    assert proved([[F(1, 7)]])
    assert proves_positive_definite([], 1, Budget(BIG))


def test_a_non_symmetric_matrix_is_not_proved() -> None:
    """Only the upper triangle is factorised, so a non-symmetric input must be refused outright."""
    assert not proved([[F(2), F(1)], [F(0), F(2)]])


def test_positive_definite_by_a_hair_is_left_to_the_exact_test() -> None:
    """[[1, 1], [1, 1 + ε]] has determinant ε: positive definite for ε = 2^-80, but far below what
    binary64 can resolve, so the float test declines and the exact LDLᵀ decides (pivots 1 and ε)."""
    eps = F(1, 2 ** 80)
    for e, pd in ((eps, True), (F(0), False), (-eps, False)):
        M = [[F(1), F(1)], [F(1), 1 + e]]
        assert not proved(M)
        assert exactly_pd(M) is pd


def test_hilbert_matrices_well_and_ill_conditioned() -> None:
    """Hilbert matrices are positive definite; n = 5 (condition ≈ 5·10⁵) is proved in floats, n = 13
    (≈ 10¹⁸, beyond binary64) is not, and its exact pivots are still all positive."""
    def hilbert(n: int) -> list[list[F]]:
        return [[F(1, i + j + 1) for j in range(n)] for i in range(n)]

    assert proved(hilbert(5)) and exactly_pd(hilbert(5))
    assert not proved(hilbert(13)) and exactly_pd(hilbert(13))


def test_shifted_gram_matrices_agree_with_the_exact_test() -> None:
    """``BᵀB − t·I`` with ``t`` just below, at and just above the smallest eigenvalue (located by the
    exact test with bisection): whenever the float test says proved, the exact pivots are positive; and
    well inside (``t`` a tenth of λ_min) it does prove them."""
    rng = random.Random(7)
    for n in (3, 6, 10):
        B = [[rng.randint(-9, 9) for _ in range(n)] for _ in range(n + 2)]
        G = gram(B)
        lo, hi = F(0), F(sum(G[i][i] for i in range(n)))
        for _ in range(60):  # λ_min in [lo, hi)
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if exactly_pd(shifted(G, mid)) else (lo, mid)
        assert lo > 0
        assert proved(shifted(G, lo / 10))
        for t in (lo * (1 - F(1, 10 ** 9)), lo, hi, hi * (1 + F(1, 10 ** 9))):
            M = shifted(G, t)
            if proved(M):
                assert exactly_pd(M)
        assert not proved(shifted(G, hi))


def test_indefinite_by_a_hair_where_the_unshifted_float_factorisation_succeeds() -> None:
    """The shift matters: ``BᵀB − ε·I`` with ``B`` of ``n − 1`` rows is singular minus ``ε = 10⁻³⁰``, so
    indefinite; the plain float Cholesky of the rounded matrix reaches a last pivot that is rounding
    noise, positive about half the time. The theorem's test never accepts these matrices, and the exact
    test rejects them."""
    rng = random.Random(3)
    fooled, n = 0, 6
    for _ in range(40):
        B = [[F(rng.randint(-10 ** 6, 10 ** 6), 10 ** 6) for _ in range(n)] for _ in range(n - 1)]
        M = [[sum(B[k][i] * B[k][j] for k in range(n - 1)) - (F(1, 10 ** 30) if i == j else 0) for j in range(n)]
             for i in range(n)]
        fooled += plain_cholesky_succeeds([[float(M[i][j]) for j in range(i, n)] for i in range(n)])
        assert not proved(M)
        assert not exactly_pd(M)
    assert fooled >= 10, "the unshifted float test is rarely fooled here: the test shows little"


def plain_cholesky_succeeds(rows: list[list[float]]) -> bool:
    """Textbook float Cholesky without any shift (what a naive check would do)."""
    import math

    n = len(rows)
    for k in range(n):
        if not rows[k][0] > 0:
            return False
        r = math.sqrt(rows[k][0])
        rk = [x / r for x in rows[k]]
        for i in range(1, n - k):
            rows[k + i] = [a - rk[i] * b for a, b in zip(rows[k + i], rk[i:])]
    return True


def test_entries_beyond_binary64_are_scaled_not_overflowed() -> None:
    """Scaling by a power of two first: entries of 10^400 and 10^-400 are handled like [[2, 1], [1, 2]]."""
    for scale in (F(10) ** 400, F(1, 10) ** 400):
        assert proved([[2 * scale, scale], [scale, 2 * scale]])
        assert not proved([[scale, 2 * scale], [2 * scale, scale]])


def test_widely_spread_diagonal_is_not_proved_but_is_positive_definite() -> None:
    """diag(1, 2^-200): positive definite, but after scaling the second entry floors to 0 in binary64
    fixed point, so the float test declines; the exact test accepts."""
    M = [[F(1), F(0)], [F(0), F(1, 2 ** 200)]]
    assert not proved(M) and exactly_pd(M)


def test_a_non_ieee_platform_falls_back_to_the_exact_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the probes fail, the float route declines; the lemma then decides with exact pivots."""
    monkeypatch.setattr(cholesky, "arithmetic_is_ieee", lambda: False)
    assert not proved([[F(2), F(1)], [F(1), F(2)]])
    positive_definite([[2, 1], [1, 2]], 1, {"method": "cholesky"}, "evidence", 100)
    with pytest.raises(CertificateInvalid, match="did not prove it positive definite, and exact pivot 2 of 2"):
        positive_definite([[1, 2], [2, 1]], 1, {"method": "cholesky"}, "evidence", 100)


def test_the_lemma_with_a_cholesky_witness() -> None:
    """Accepted when the float test proves it, accepted by the exact fallback by a hair, and rejected
    with the exact pivot when the matrix is not positive definite."""
    positive_definite([[2, 1], [1, 2]], 1, {"method": "cholesky"}, "evidence", 100)
    hair = 2 ** 80
    positive_definite([[hair, hair], [hair, hair + 1]], hair, {"method": "cholesky"}, "evidence", 100)
    with pytest.raises(CertificateInvalid, match=r"hessian bound: the float Cholesky test did not prove it positive "
                       r"definite, and exact pivot 2 of 2 of ∇²L_P\(c\) − \(mu\+delta\)·I is -1/1208925819614629174706176"):
        positive_definite([[hair, hair], [hair, hair - 1]], hair, {"method": "cholesky"}, "evidence", 100)
    with pytest.raises(CertificateInvalid, match="format: evidence.pd: must be"):
        positive_definite([[2, 1], [1, 2]], 1, {"method": "cholesky", "T": [["1", "0"], ["0", "1"]]}, "evidence", 100)


def test_the_work_is_charged_before_it_is_done() -> None:
    """A 40×40 test books about 40³/6 float multiply-adds; a budget far below that rejects it."""
    n = 40
    A = [[2 if i == j else 0 for j in range(n)] for i in range(n)]
    with pytest.raises(CertificateInvalid, match="limits: the float Cholesky test of a 40×40 matrix"):
        proves_positive_definite(A, 1, Budget(10 ** 4))
    b = Budget(BIG)
    assert proves_positive_definite(A, 1, b) and b.used >= 17 * n ** 3 // 6


def test_certify_writes_the_witness_the_checker_accepts() -> None:
    """``pd_certificate`` (certify's side): exact pivots up to 12 parameters; above, the float Cholesky
    witness when the checker's own test succeeds on it; a congruence witness or nothing otherwise, and
    every witness written is accepted by the checker's lemma."""
    from flint import fmpq_mat

    from proofs.positivity import LDL_MAX, pd_certificate

    def fmpq(M: list[list[F]]) -> fmpq_mat:
        return fmpq_mat(len(M), len(M), [str(v) for row in M for v in row])

    def accepted(M: list[list[F]], pd: dict) -> bool:
        A, S = over_common(M)
        try:
            positive_definite(A, S, pd, "evidence", 10 ** 4, Budget(BIG))
        except CertificateInvalid:
            return False
        return True

    n = LDL_MAX + 1
    tridiagonal = [[F(2) if i == j else F(-1) if abs(i - j) == 1 else F(0) for j in range(n)] for i in range(n)]
    # the second-difference matrix: eigenvalues 2 − 2cos(kπ/(n+1)) ∈ (0, 4), so positive definite, and
    # shifted by 1 (eigenvalues on both sides of 0) not
    assert pd_certificate(fmpq([row[:LDL_MAX] for row in tridiagonal[:LDL_MAX]])) == {"method": "ldl"}
    assert pd_certificate(fmpq(tridiagonal)) == {"method": "cholesky"} and accepted(tridiagonal, {"method": "cholesky"})
    indefinite = shifted(tridiagonal, F(1))
    assert not exactly_pd(indefinite) and pd_certificate(fmpq(indefinite)) is None
    assert not accepted(indefinite, {"method": "cholesky"})
    hilbert = [[F(1, i + j + 1) for j in range(n)] for i in range(n)]  # condition ≈ 10^19: beyond binary64
    pd = pd_certificate(fmpq(hilbert))
    assert pd is None or (pd["method"] == "congruence" and accepted(hilbert, pd))


def arrow_blocks(blocks: int, size: int, dense: int, rng: random.Random, shift: F) -> list[list[F]]:
    """``BᵀB − shift·I`` where ``B``'s columns are ``dense`` columns shared by every row block and ``blocks``
    groups of ``size`` columns each confined to its own row block: the Gram matrix is block diagonal on
    the grouped columns, coupled to the dense ones (the shape of a network's Hessian with its output
    units), and it is given with the dense columns first, so the envelope is full until reordered."""
    rows = blocks * (size + 1)
    n = dense + blocks * size
    B = [[0] * n for _ in range(rows)]
    for r in range(rows):
        for c in range(dense):
            B[r][c] = rng.randint(-3, 3)
        b = r // (size + 1)
        for c in range(size):
            B[r][dense + b * size + c] = rng.randint(-3, 3)
    G = gram(B)
    return shifted(G, shift)


def test_reordering_and_the_envelope_keep_every_decision() -> None:
    """On arrow-shaped block matrices the test reorders (the grouped columns first) and skips the zeros
    below the envelope; it still proves exactly what the exact test confirms, well inside λ_min, and
    nothing at or beyond it."""
    rng = random.Random(17)
    for blocks, size, dense in ((3, 4, 2), (5, 6, 3)):
        G = arrow_blocks(blocks, size, dense, rng, F(0))
        A, _ = over_common(G)
        order, starts = cholesky._cheapest_order(A)
        assert order != list(range(len(A)))
        assert cholesky._envelope_cost(starts) < cholesky._envelope_cost(cholesky._starts(nonzeros(A), list(range(len(A)))))
        # the envelope by its definition: the first row i ≤ j of the reordered matrix with a nonzero (i, j)
        B = [[A[p][q] for q in order] for p in order]
        assert starts == [next(i for i in range(j + 1) if B[i][j] or i == j) for j in range(len(B))]
        lo, hi = F(0), F(sum(G[i][i] for i in range(len(G))))
        for _ in range(50):  # λ_min in [lo, hi)
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if exactly_pd(shifted(G, mid)) else (lo, mid)
        assert lo > 0
        assert proved(shifted(G, lo / 10))
        assert not proved(shifted(G, hi)) and not proved(shifted(G, hi * 2))


def test_the_envelope_changes_no_float_result() -> None:
    """Within an envelope the left-looking factorisation computes the same floats as over the whole
    triangle (the skipped entries and products are exact zeros): same decisions on banded matrices
    that are positive definite, singular by rounding, and indefinite."""
    rng = random.Random(23)
    for n, band in ((30, 3), (60, 7)):
        for t in (1.0, 1e-3, -1e-3):
            B = [[rng.uniform(-1, 1) if abs(i - j) <= band else 0.0 for j in range(n)] for i in range(n)]
            rows = [[sum(B[k][i] * B[k][j] for k in range(n)) + (t if i == j else 0.0) for j in range(i, n)]
                    for i in range(n)]
            starts = [max(0, j - 2 * band) for j in range(n)]
            assert all(rows[i][j - i] == 0 for j in range(n) for i in range(starts[j]))
            assert cholesky._left_looking([r[:] for r in rows], starts) is cholesky._left_looking([r[:] for r in rows])


def nonzeros(A: list[list[int]]) -> list[list[int]]:
    return [[q for q, v in enumerate(row) if v] for row in A]


def test_the_square_root_bound_in_integers_agrees_with_fractions() -> None:
    """``_within_u`` decides ``s(1−u)² ≤ r² ≤ s(1+u)²`` in integers: the same answers as in Fractions, on
    correctly rounded roots (always within), their neighbours one and a few ulps away, and subnormal and
    huge values."""
    def by_fractions(r: float, s: float) -> bool:
        rr, ss = F(r) ** 2, F(s)
        return ss * (1 - cholesky.U) ** 2 <= rr <= ss * (1 + cholesky.U) ** 2

    rng = random.Random(5)
    values = [rng.uniform(0.5, 2.0) * 2.0 ** rng.randint(-1070, 1000) for _ in range(300)]
    values += [5e-324, 2.2250738585072014e-308, 1.0, 2.0, 3.0, 1.7976931348623157e308]
    seen = set()
    for s in values:
        r = math.sqrt(s)
        assert cholesky._within_u(r, s)
        for t in (r, math.nextafter(r, 0), math.nextafter(r, math.inf), r * (1 + 2 ** -50), r * (1 - 2 ** -50)):
            if t > 0:
                answer = cholesky._within_u(t, s)
                assert answer == by_fractions(t, s)
                seen.add(answer)
    assert seen == {True, False}


def test_the_chosen_envelope_is_the_definition_on_random_sparse_matrices() -> None:
    """``_cheapest_order`` reads the envelopes of the given and the reversed order off the first and last
    nonzero of each row; they must equal ``_starts`` (the definition) for its chosen order, on random sparse
    symmetric matrices with zero rows, and its choice must be the cheapest of the three orders."""
    from itertools import compress

    from proofs.checker.cholesky import _cheapest_order, _envelope_cost, _starts

    rng = random.Random(11)
    for _ in range(300):
        n = rng.randint(1, 12)
        A = [[0] * n for _ in range(n)]
        for i in range(n):
            for j in range(i + 1):
                if rng.random() < 0.3:
                    A[i][j] = A[j][i] = rng.randint(-3, 3)
        nonzero = [list(compress(range(n), row)) for row in A]
        order, starts = _cheapest_order(A)
        assert sorted(order) == list(range(n)) and starts == _starts(nonzero, order)
        last = [row[-1] if row else 0 for row in nonzero]
        orders = [list(range(n)), list(range(n - 1, -1, -1)), sorted(range(n), key=lambda p: (last[p], len(nonzero[p])))]
        assert _envelope_cost(starts) == min(_envelope_cost(_starts(nonzero, o)) for o in orders)
