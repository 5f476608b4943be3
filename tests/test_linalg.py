"""Exact linear algebra on the generator side (symbolic/linalg.py): Sylvester's criterion without square roots.

Hand computation: ``[[2, 1], [1, 2]]`` eliminates to pivots ``2`` and ``2 − 1·1/2 = 3/2`` (both positive:
positive definite); ``[[1, 2], [2, 1]]`` gives ``1`` and ``1 − 4 = −3`` (indefinite).
"""

from flint import fmpq, fmpq_mat
from hypothesis import given, settings
from hypothesis import strategies as st

from symbolic.linalg import ldl_pivots, positive_definite


def test_hand_worked_pivots():
    assert ldl_pivots(fmpq_mat(2, 2, [2, 1, 1, 2])) == [fmpq(2), fmpq(3, 2)]
    assert ldl_pivots(fmpq_mat(2, 2, [1, 2, 2, 1])) == [fmpq(1), fmpq(-3)]


def test_stops_at_the_first_non_positive_pivot():
    """``[[0, 1], [1, 5]]``: the first pivot is 0, so elimination stops there (no division by 0)."""
    assert ldl_pivots(fmpq_mat(2, 2, [0, 1, 1, 5])) == [fmpq(0)]
    assert not positive_definite(fmpq_mat(2, 2, [0, 1, 1, 5]))


def test_input_is_not_mutated():
    A = fmpq_mat(2, 2, [4, 2, 2, 3])
    ldl_pivots(A)
    assert A == fmpq_mat(2, 2, [4, 2, 2, 3])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.integers(-4, 4), min_size=n * n,
                                                                            max_size=n * n))))
def test_pivots_are_ratios_of_leading_minors(case):
    """``D_kk = Δ_k / Δ_{k−1}`` while the minors stay positive; positive definite iff all ``Δ_k > 0``."""
    n, entries = case
    M = fmpq_mat(n, n, entries)
    A = M * M.transpose() + fmpq_mat(n, n, [int(i == j) * (entries[0] % 3 - 1) for i in range(n) for j in range(n)])
    minors = [fmpq(1)] + [fmpq_mat(k, k, [A[i, j] for i in range(k) for j in range(k)]).det() for k in range(1, n + 1)]
    pivots = ldl_pivots(A)
    for k, p in enumerate(pivots):
        if all(m > 0 for m in minors[:k + 1]):
            assert p == minors[k + 1] / minors[k]
    assert positive_definite(A) == all(m > 0 for m in minors[1:])
