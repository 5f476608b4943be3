"""Exact linear algebra over QQ for the generator side: the one home of every elimination (python-flint).

The trusted checker has its own, standard-library twin (``proofs/checker/arith.py``); nothing here is
trusted. Matrices are ``fmpq_mat`` or lists of rows of ``Fraction``/``int``/``fmpq``; results that feed
certificates come back as ``Fraction`` (exact conversions only).

- :func:`ldl_pivots`, :func:`positive_definite`: Sylvester's criterion by ``A = L D Lᵀ`` without pivoting;
  the ``k``-th pivot is the ratio of the ``k``-th and ``(k−1)``-th leading principal minors, so ``A ≻ 0``
  iff every pivot is positive (``n³/3`` multiply-adds).
- :func:`semidefinite_class`: ``A − sI`` positive definite, semidefinite or not, exactly (a zero pivot
  is allowed only above a zero column, since a PSD matrix with a zero diagonal entry has that row zero).
- :func:`solve`, :func:`nullspace`, :func:`independent`: reduced row echelon form (``fmpq_mat.rref``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

from flint import fmpq, fmpq_mat

Rational = Fraction | int | fmpq


def to_fmpq(q: Rational) -> fmpq:
    """Exact conversion of a rational to ``fmpq``."""
    if isinstance(q, fmpq):
        return q
    q = Fraction(q)
    return fmpq(q.numerator, q.denominator)


def to_fraction(q: fmpq | int | Fraction) -> Fraction:
    """Exact conversion of an ``fmpq`` (or ``int``) to ``Fraction``."""
    if isinstance(q, (int, Fraction)):
        return Fraction(q)
    return Fraction(int(q.p), int(q.q))


def matrix(rows: Any) -> fmpq_mat:
    """An ``fmpq_mat`` from an ``fmpq_mat`` (returned as is) or a list of rows of rationals."""
    if isinstance(rows, fmpq_mat):
        return rows
    rows = [list(r) for r in rows]
    n, m = len(rows), len(rows[0]) if rows else 0
    return fmpq_mat(n, m, [to_fmpq(v) for r in rows for v in r])


def rows(A: Any) -> list[list[fmpq]]:
    """The entries of ``A`` as rows of ``fmpq`` (a fresh copy)."""
    if isinstance(A, fmpq_mat):
        return [[A[i, j] for j in range(A.ncols())] for i in range(A.nrows())]
    return [[to_fmpq(v) for v in row] for row in A]


def ldl_pivots(A: Any) -> list[fmpq]:
    """Pivots of the LDLᵀ elimination of the symmetric ``A`` without pivoting, up to the first ``≤ 0``.

    All ``n`` of them (every one positive) exactly when ``A`` is positive definite; ``A`` is not mutated.

    >>> ldl_pivots(fmpq_mat(2, 2, [2, 1, 1, 2]))
    [2, 3/2]
    >>> ldl_pivots([[1, 2, 0], [2, 1, 0], [0, 0, 1]])
    [1, -3]
    """
    a = rows(A)
    n = len(a)
    pivots: list[fmpq] = []
    for k in range(n):
        p = a[k][k]
        pivots.append(p)
        if p <= 0:
            break
        ak = a[k]
        for i in range(k + 1, n):
            f = a[i][k] / p
            if f:
                ai = a[i]
                for j in range(k + 1, n):
                    ai[j] -= f * ak[j]
    return pivots


def positive_definite(A: Any) -> bool:
    """Whether the symmetric ``A`` is positive definite (Sylvester's criterion by :func:`ldl_pivots`).

    >>> positive_definite(fmpq_mat(2, 2, [2, 1, 1, 2])), positive_definite([[1, 2], [2, 1]])
    (True, False)
    >>> positive_definite(fmpq_mat(0, 0, []))
    True
    """
    pivots = ldl_pivots(A)
    return len(pivots) == len(rows(A)) and all(p > 0 for p in pivots)


def semidefinite_class(A: Any, shift: Rational = 0) -> tuple[str, int]:
    """Classify the symmetric ``A − shift·I`` exactly: ``("pd" | "psd" | "not_psd", index)``.

    ``index`` is the pivot that decided ``not_psd`` (``n`` otherwise).

    >>> semidefinite_class([[2, 1], [1, 2]], Fraction(1, 2))
    ('pd', 2)
    >>> semidefinite_class([[2, 1], [1, 2]], 3)
    ('not_psd', 0)
    >>> semidefinite_class([[1, 1], [1, 1]])
    ('psd', 2)
    """
    a = rows(A)
    n = len(a)
    s = to_fmpq(shift)
    for i in range(n):
        a[i][i] -= s
    singular = False
    for i in range(n):
        d = a[i][i]
        if d < 0:
            return "not_psd", i
        if d == 0:
            if any(a[r][i] != 0 for r in range(i + 1, n)):
                return "not_psd", i
            singular = True
            continue
        row_i = a[i]
        for r in range(i + 1, n):
            f = a[r][i] / d
            if f != 0:
                row_r = a[r]
                for c in range(i + 1, n):
                    row_r[c] -= f * row_i[c]
    return ("psd" if singular else "pd"), n


def _echelon(M: fmpq_mat) -> tuple[fmpq_mat, list[int]]:
    R, rank = M.rref()
    pivots: list[int] = []
    row = 0
    for col in range(M.ncols()):
        if row < rank and R[row, col] != 0:
            pivots.append(col)
            row += 1
    return R, pivots


def solve(G: Any, rhs: Sequence[Rational]) -> list[Fraction] | None:
    """A solution of ``G z = rhs`` over QQ with every free variable zero, or ``None`` if there is none.

    >>> solve([[2, 0], [0, 4]], [1, 1])
    [Fraction(1, 2), Fraction(1, 4)]
    >>> solve([[1, 1], [1, 1]], [1, 2]) is None
    True
    >>> solve([[1, 1], [2, 2]], [1, 2])
    [Fraction(1, 1), Fraction(0, 1)]
    """
    lines = rows(G)
    m = len(lines[0]) if lines else 0
    aug = matrix([r + [to_fmpq(b)] for r, b in zip(lines, rhs)]) if lines else fmpq_mat(0, 1, [])
    R, pivots = _echelon(aug)
    if m in pivots:
        return None
    z = [Fraction(0)] * m
    for r, col in enumerate(pivots):
        z[col] = to_fraction(R[r, m])
    return z


def nullspace(M: Any) -> list[list[fmpq]]:
    """A basis of the exact null space of ``M`` (one vector per free column of its echelon form).

    >>> nullspace([[1, 1, 0]])
    [[-1, 1, 0], [0, 0, 1]]
    """
    A = matrix(M)
    R, pivots = _echelon(A)
    n = A.ncols()
    basis = []
    for free in (c for c in range(n) if c not in pivots):
        v = [fmpq(0)] * n
        v[free] = fmpq(1)
        for r, p in enumerate(pivots):
            v[p] = -R[r, free]
        basis.append(v)
    return basis


def independent(vectors: Sequence[Sequence[Rational]]) -> list[int]:
    """Indices of a maximal linearly independent subset of ``vectors``, the earliest ones kept.

    >>> independent([[1, 0], [2, 0], [0, 1], [1, 1]])
    [0, 2]
    """
    if not vectors:
        return []
    _, pivots = _echelon(matrix([list(col) for col in zip(*vectors)]))
    return pivots
