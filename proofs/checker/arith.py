"""Exact linear algebra over ``int`` and ``Fraction``: the checker's only eliminations and products.

Matrices are lists of rows. A rational matrix is usually carried as ``(A, S)``: integer entries ``A`` over
one positive common denominator ``S``; scaling by ``S > 0`` changes no sign, pivot sign or dominance.

Every routine whose cost grows faster than its input charges a :class:`Budget` first, so that no
certificate can make the checker run for long (limits: ``proofs/checker/reading.py``).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import chain
from math import lcm
from operator import itemgetter, mul
from typing import Sequence

from .exceptions import CertificateInvalid

Sparse = dict[int, Fraction]
"""A sparse vector: index → nonzero entry."""


class Budget:
    """The work a check may do, in limb operations (one multiply-add of 64-bit limbs: 2–6 ns measured).

    ``charge(count, bits, what)`` books ``count`` multiply-adds of numbers of about ``bits`` bits before
    they are done: ``(bits/64 + 1)²`` each (schoolbook, an over-estimate) plus 16 for the interpreter's
    own cost of one operation on small numbers; it rejects with step ``limits`` when the total would pass
    ``limit``.
    """

    def __init__(self, limit: int):
        self.limit, self.used = limit, 0

    def charge(self, count: int, bits: int, what: str) -> None:
        self.charge_products(count, bits, bits, what)

    def charge_products(self, count: int, bits_a: int, bits_b: int, what: str) -> None:
        """Book ``count`` multiply-adds of a ``bits_a``-bit by a ``bits_b``-bit number (schoolbook:
        ``(bits_a/64 + 1)·(bits_b/64 + 1)`` limb products, plus 16)."""
        self.used += count * ((bits_a // 64 + 1) * (bits_b // 64 + 1) + 16)
        if self.used > self.limit:
            raise CertificateInvalid("limits", f"{what} would take more than the checker's work limit of "
                                     f"{self.limit:.0e} limb operations (proofs/checker/reading.py)")


def bits(A: Sequence[Sequence[int]]) -> int:
    """The largest bit length of an entry (``int.bit_length`` ignores the sign)."""
    return max(map(int.bit_length, chain.from_iterable(A)), default=0)


def over_common(values: Sequence[Fraction]) -> tuple[list[int], int]:
    """``(ints, d)`` with ``values = ints / d`` and ``d`` the lcm of the denominators."""
    den = lcm(*(v.denominator for v in values)) if values else 1
    return [v.numerator * (den // v.denominator) for v in values], den


def matrix_over_common(M: Sequence[Sequence[Fraction]]) -> tuple[list[list[int]], int]:
    """``(A, S)`` with ``M = A / S``."""
    flat, den = over_common([v for row in M for v in row])
    n = len(M[0]) if M else 0
    return [flat[i: i + n] for i in range(0, len(flat), n)], den


def dot(u: Sequence[Fraction], v: Sequence[Fraction]) -> Fraction:
    return sum((a * b for a, b in zip(u, v)), Fraction(0))


def quadratic_form(A: Sequence[Sequence[int]], S: int, d: Sequence[Fraction]) -> Fraction:
    """``dᵀ(A/S)d`` exactly."""
    dd, den = over_common(d)
    return Fraction(sum(x * sum(map(mul, row, dd)) for x, row in zip(dd, A)), S * den * den)


def combination(coefficients: Sequence[Fraction], vectors: Sequence[Sparse]) -> Sparse:
    """``Σ_m y_m v_m`` (zero entries dropped)."""
    total: Sparse = {}
    for y, vec in zip(coefficients, vectors):
        if y:
            for p, a in vec.items():
                total[p] = total.get(p, Fraction(0)) + y * a
    return {p: v for p, v in total.items() if v}


def gram_lower(columns: Sequence[Sequence[int]], budget: Budget | None, what: str) -> list[list[int]]:
    """The lower triangle of ``CᵀC`` for the integer matrix ``C`` given by its columns: row ``a`` holds
    ``columns[a]·columns[b]`` for ``b ≤ a`` and 0 above the diagonal.

    Exactly the dense dot products with their zero terms left out: columns with the same support (the
    rows where they are nonzero) form a group, and two groups meet only on the rows in both supports,
    so each pair of groups is cut down to those rows once and multiplied there with C-level sums. The
    Jacobian of a ReLU network is mostly zeros (inactive units, one output per row), and within a
    layer whole groups of parameters share a support. Charged: one step per pair of groups (the test
    whether their supports meet), then the products actually made.
    """
    n, rows = len(columns), len(columns[0]) if columns else 0
    groups: dict[tuple[int, ...], list[int]] = {}
    for a, col in enumerate(columns):
        groups.setdefault(tuple(r for r, v in enumerate(col) if v), []).append(a)
    supports = list(groups)
    members = [groups[s] for s in supports]
    masks = [int("".join("1" if columns[members[g][0]][r] else "0" for r in range(rows - 1, -1, -1)) or "0", 2)
             for g in range(len(supports))]
    if budget is not None:
        budget.charge(len(supports) ** 2 // 2 + 1, rows, f"{what}: the supports")
    meets = [(g, h, (masks[g] & masks[h]).bit_count()) for g in range(len(supports)) for h in range(g + 1)]
    meets = [(g, h, c) for g, h, c in meets if c]
    if budget is not None:
        b = bits(columns)
        budget.charge_products(sum(c * len(members[g]) * len(members[h]) for g, h, c in meets) + 1, b, b,
                               f"{what}: the products")
    out = [[0] * n for _ in range(n)]
    for g, h, count in meets:
        if g == h:
            common: Sequence[int] = supports[g]
        else:
            small, other = (supports[g], masks[h]) if len(supports[g]) <= len(supports[h]) else (supports[h], masks[g])
            common = [r for r in small if other >> r & 1]
        cut = {a: _restrict(columns[a], common) for a in members[g] + members[h]}
        for a in members[g]:
            u, row = cut[a], out[a]
            for b in members[h]:
                if b < a or (b == a and g == h):
                    row[b] = sum(map(mul, u, cut[b]))
                elif g != h:
                    out[b][a] = sum(map(mul, u, cut[b]))
    return out


def _restrict(column: Sequence[int], rows: Sequence[int]) -> Sequence[int]:
    """The entries of ``column`` at ``rows``."""
    return itemgetter(*rows)(column) if len(rows) > 1 else [column[rows[0]]]


def ldl_first_bad_pivot(A: list[list[int]], budget: Budget) -> tuple[int, int, int] | None:
    """``None`` when every LDLᵀ pivot of the symmetric ``A`` is positive, else ``(k, num, den)``: pivot
    ``k`` (0-based) is ``num/den ≤ 0``. Fraction-free (Bareiss) on the lower triangle, so the k-th pivot is
    ``A_k[k][k] / A_{k−1}[k−1][k−1]`` (a ratio of leading minors); ``A`` is mutated. The entries grow to
    about ``n`` times their bit length, and the cost is charged for that."""
    n, prev, b = len(A), 1, bits(A) + 1
    for k in range(n):  # step k updates (n−k)²/2 entries, which then have about (k+1)·b bits; each update
        # ends in an exact long division, which CPython does by schoolbook: measured 13 times a product
        budget.charge(13 * ((n - k) ** 2 // 2 + 1), (k + 1) * b, f"the LDLᵀ test of a {n}×{n} matrix")
    for k in range(n):
        pivot = A[k][k]
        if pivot <= 0:
            return k, pivot, prev
        column = [A[i][k] for i in range(k + 1, n)]
        for i in range(k + 1, n):
            row, aik = A[i], A[i][k]
            # Bareiss: the division by the previous pivot is exact.
            row[k + 1: i + 1] = [(pivot * x - aik * y) // prev for x, y in zip(row[k + 1: i + 1], column)]
        prev = pivot
    return None


def congruence_first_bad_row(A: Sequence[Sequence[int]], T: Sequence[Sequence[Fraction]], budget: Budget
                             ) -> tuple[int, Fraction, Fraction] | None:
    """``None`` when ``C = T·A·Tᵀ`` is strictly diagonally dominant (``T`` lower triangular: the caller
    checks that), else ``(i, C[i][i], Σ_{j≠i} |C[i][j]|)`` for the first failing row, up to the common
    positive factor ``den²`` of ``T = Ti/den``."""
    n = len(A)
    Ti, den = matrix_over_common(T)
    t, a = bits(Ti), bits(A)  # T·A: n³/2 products of t by a bits; (T·A)·Tᵀ: n³/6 of t + a + log n by t bits
    what = f"the congruence test of a {n}×{n} matrix"
    budget.charge_products(n * n * (n + 1) // 2, t, a, what)
    budget.charge_products(n * (n + 1) * (n + 2) // 6, t + a + n.bit_length(), t, what)
    TA = [[sum(map(mul, Ti[i][: i + 1], A[m])) for m in range(n)] for i in range(n)]  # A[m] is column m
    C = [[sum(map(mul, TA[i], Ti[m])) for m in range(i + 1)] for i in range(n)]
    for i in range(n):
        off = sum(abs(C[i][m]) for m in range(i)) + sum(abs(C[m][i]) for m in range(i + 1, n))
        if C[i][i] <= off:
            return i, Fraction(C[i][i], den * den), Fraction(off, den * den)
    return None


def positive_semidefinite(M: Sequence[Sequence[Fraction]], budget: Budget) -> bool:
    """Whether the symmetric ``M ⪰ 0``: symmetric elimination where a zero pivot needs a zero column below
    it (then that row and column drop out); a negative pivot refutes."""
    a = [list(r) for r in M]
    n = len(a)
    b = bits(matrix_over_common(a)[0]) + 1 if a else 1
    for k in range(n):  # Fraction entries: about (k+1)·b bits after k steps, and a gcd per operation
        budget.charge(30 * (n - k) ** 2, (k + 1) * b, f"the PSD test of a {n}×{n} matrix")
    for i in range(n):
        d = a[i][i]
        if d < 0 or (d == 0 and any(a[r][i] for r in range(i + 1, n))):
            return False
        for r in range(i + 1, n):
            f = a[r][i] / d if d else 0
            if f:
                a[r][i + 1:] = [x - f * y for x, y in zip(a[r][i + 1:], a[i][i + 1:])]
    return True


def pseudo_inverse_columns(normals: Sequence[Sparse], n: int) -> list[list[Fraction]]:
    """The columns ``A⁺e_m = Aᵀ(AAᵀ)⁻¹e_m`` of the pseudo-inverse of the matrix with rows ``normals``
    (Gauss–Jordan on the ``k×k`` Gram matrix); rejects dependent rows (``AAᵀ`` singular)."""
    k = len(normals)
    G = [[sum((u * b.get(p, Fraction(0)) for p, u in a.items()), Fraction(0)) for b in normals] for a in normals]
    inv = [[Fraction(int(i == j)) for j in range(k)] for i in range(k)]
    for col in range(k):
        piv = next((row for row in range(col, k) if G[row][col]), None)
        if piv is None:
            raise CertificateInvalid("regions", "kink_ball needs linearly independent constraints (AAᵀ is singular)")
        G[col], G[piv], inv[col], inv[piv] = G[piv], G[col], inv[piv], inv[col]
        f = G[col][col]
        G[col], inv[col] = [v / f for v in G[col]], [v / f for v in inv[col]]
        for row in range(k):
            if row != col and G[row][col]:
                g = G[row][col]
                G[row] = [a - g * b for a, b in zip(G[row], G[col])]
                inv[row] = [a - g * b for a, b in zip(inv[row], inv[col])]
    cols = []
    for m in range(k):
        v = [Fraction(0)] * n
        for p, u in combination([inv[a][m] for a in range(k)], normals).items():
            v[p] = u
        cols.append(v)
    return cols
