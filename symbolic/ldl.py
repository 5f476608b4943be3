"""Exact LDLᵀ pivots of a symmetric rational matrix: Sylvester's criterion without square roots.

For a symmetric ``A`` the elimination ``A = L D Lᵀ`` without pivoting (``L`` unit lower triangular)
exists as long as the leading principal minors are nonzero, and the ``k``-th pivot ``D_kk`` is the
ratio of the ``k``-th and ``(k−1)``-th leading minors. So ``A ≻ 0`` iff every pivot is positive.
Everything is ``fmpq`` (exact); the cost is ``n³/3`` rational multiply-adds.
"""

from __future__ import annotations

from flint import fmpq, fmpq_mat


def ldl_pivots(A: fmpq_mat) -> list[fmpq]:
    """Pivots of the LDLᵀ elimination of ``A`` without pivoting; stops after the first pivot ≤ 0.

    Parameters
    ----------
    A
        A square symmetric matrix over QQ; it is not mutated.

    Returns
    -------
    list of fmpq
        The pivots ``D_00, D_11, …`` up to and including the first one that is ``≤ 0``; all ``n`` of
        them (every one positive) exactly when ``A`` is positive definite.

    Examples
    --------
    >>> ldl_pivots(fmpq_mat(2, 2, [2, 1, 1, 2]))
    [2, 3/2]
    >>> ldl_pivots(fmpq_mat(3, 3, [1, 2, 0, 2, 1, 0, 0, 0, 1]))
    [1, -3]
    """
    n = A.nrows()
    a = [[A[i, j] for j in range(n)] for i in range(n)]
    pivots: list[fmpq] = []
    for k in range(n):
        p = a[k][k]
        pivots.append(p)
        if p <= 0:
            break
        for i in range(k + 1, n):
            f = a[i][k] / p
            if f:
                ai, ak = a[i], a[k]
                for j in range(k + 1, n):
                    ai[j] -= f * ak[j]
    return pivots


def positive_definite(A: fmpq_mat) -> bool:
    """Whether the symmetric ``A`` is positive definite, by :func:`ldl_pivots` (Sylvester's criterion).

    >>> positive_definite(fmpq_mat(2, 2, [2, 1, 1, 2])), positive_definite(fmpq_mat(2, 2, [1, 2, 2, 1]))
    (True, False)
    >>> positive_definite(fmpq_mat(0, 0, []))
    True
    """
    pivots = ldl_pivots(A)
    return len(pivots) == A.nrows() and all(p > 0 for p in pivots)
