"""The checker's exact products: the row-sparse Gram matrix against the dense dot products."""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from proofs.checker.arith import Budget, gram_lower  # noqa: E402
from proofs.checker.exceptions import CertificateInvalid  # noqa: E402


def dense_lower(columns: list[list[int]]) -> list[list[int]]:
    n = len(columns)
    return [[sum(x * y for x, y in zip(columns[a], columns[b])) if b <= a else 0 for b in range(n)]
            for a in range(n)]


def test_gram_by_hand() -> None:
    """C = [[1, 0, 2], [0, 3, 0], [4, 0, 0]] by rows; the columns are (1, 0, 4), (0, 3, 0), (2, 0, 0)."""
    columns = [[1, 0, 4], [0, 3, 0], [2, 0, 0]]
    assert gram_lower(columns, Budget(10 ** 6), "test") == [[17, 0, 0], [0, 9, 0], [2, 0, 4]]


def test_gram_of_zero_and_empty_columns() -> None:
    assert gram_lower([], None, "test") == []
    assert gram_lower([[0, 0], [0, 5]], None, "test") == [[0, 0], [0, 25]]


# Columns drawn from a few supports (as in a Jacobian, where a unit's parameters share one), entries of
# any size and sign, zeros inside a support too.
@st.composite
def sparse_columns(draw: st.DrawFn) -> list[list[int]]:
    rows = draw(st.integers(1, 12))
    supports = draw(st.lists(st.sets(st.integers(0, rows - 1)), min_size=1, max_size=4))
    entry = st.one_of(st.integers(-3, 3), st.integers(-2 ** 600, 2 ** 600))
    columns = []
    for _ in range(draw(st.integers(1, 10))):
        support = draw(st.sampled_from(supports))
        columns.append([draw(entry) if r in support else 0 for r in range(rows)])
    return columns


@settings(max_examples=200, deadline=None)
@given(sparse_columns())
def test_gram_equals_the_dense_products(columns: list[list[int]]) -> None:
    assert gram_lower(columns, Budget(10 ** 12), "test") == dense_lower(columns)


def test_gram_charges_only_the_products_it_makes() -> None:
    """Disjoint supports: no products, so a budget too small for the dense route suffices."""
    n = 40
    columns = [[int(r == a) * 7 for r in range(n)] for a in range(n)]
    budget = Budget(20_000)
    assert gram_lower(columns, budget, "test") == [[49 * (a == b) for b in range(n)] for a in range(n)]
    dense = n * n // 2 * n
    assert budget.used < dense * 16
    with pytest.raises(CertificateInvalid, match="the products"):
        gram_lower([[2 ** 4000] * n] * n, Budget(10 ** 6), "test")
