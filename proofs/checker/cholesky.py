"""Positive definiteness from a floating-point Cholesky factorisation with a proved rounding bound.

The exact LDLᵀ test costs ``n³`` operations on numbers that grow to ``n`` times their length; a
Cholesky factorisation in IEEE binary64 costs ``n³/6`` operations on 53-bit numbers. Rounding makes the
float factor only approximate, but its backward error is bounded a priori, so a *shifted* matrix whose
float factorisation runs to completion proves the unshifted one positive definite (Rump 2006). The
checker repeats the factorisation itself with Python floats, in a fixed order of operations, and
computes the shift exactly with rationals; nothing from the generator is trusted.

Theorem (after S. M. Rump, *Verification of positive definiteness*, BIT 46 (2006) 433–452, Cor. 2.4;
the backward-error bound is N. J. Higham, *Accuracy and Stability of Numerical Algorithms*,
2nd ed., Lemma 8.4 and Thm 10.3, with the underflow terms of §2.1 added here).
Let ``M = A/S`` be a symmetric rational ``n×n`` matrix, ``2^e`` a power of two, ``Q = ⌊2^e·M⌋`` entrywise
(so ``2^e·M = Q + E`` with ``0 ≤ E_ij < 1``), ``C ≥ 0`` an integer and ``Q' = Q − C·I`` with every
``|Q'_ij| ≤ 2^53`` (each is a double exactly). Let ``u = 2^-53``, ``Γ = γ_{n+1} = (n+1)u / (1 − (n+1)u)``,
``η = 2^-1074`` and ``τ = η(1 + Γ)(n + 2^27)``. Suppose the Cholesky factorisation of ``Q'`` below, in
binary64 arithmetic, runs to completion: every pivot ``s_k > 0``, every computed entry ``r̂_kj`` is
finite, every ``r̂_kk ≤ 2^27`` and lies within relative ``u`` of ``√s_k``. If

    ``C ≥ n + (Γ·tr(Q) + n·τ) / (1 − Γ)``,

then ``M`` is positive definite.

Proof. (1) Backward error. With indices from 1, entry ``(i, j)``, ``i ≤ j``, is ``Q'_ij`` minus the
products ``fl(r̂_ki·r̂_kj)``, ``k = 1, …, i−1``, summed and subtracted in some order with every operation
rounded, then divided by ``r̂_ii`` (``i < j``) or square-rooted (``i = j``). In the model ``fl(x ± y) =
(x ± y)(1+δ)`` and ``fl(x·y), fl(x/y) = (x op y)(1+δ) + η'`` with ``|δ| ≤ u``, ``|η'| ≤ η/2`` (sums that
underflow are exact), Higham's proof of Lemma 8.4 (which holds "no matter what the order of
evaluation") goes through with the absolute terms carried along: dividing the recurrence by the product of
its ``(1+δ)`` factors (Lemma 3.1) gives ``|(R̂ᵀR̂)_ij − Q'_ij| ≤ γ_i·(|R̂ᵀ||R̂|)_ij + (r̂_ii + i)(1 + γ_i)·η/2``
for ``i < j`` (``i − 1`` products and subtractions, one division), and ``≤ γ_{j+1}·(|R̂ᵀ||R̂|)_jj +
j(1 + γ_j)·η/2`` on the diagonal (``r̂_jj = √s_j (1+δ)`` squares to two factors). As ``i, j ≤ n`` and
``r̂_ii ≤ 2^27``, ``R̂ᵀR̂ = Q' + ΔA`` with ``ΔA`` symmetric and ``|ΔA| ≤ Γ|R̂ᵀ||R̂| + τ·𝟙𝟙ᵀ`` entrywise.
(2) Its norm. For non-negative matrices the 2-norm is monotone, and ``‖|X|‖₂ ≥ ‖X‖₂``; so
``‖ΔA‖₂ ≤ Γ‖|R̂|‖₂² + nτ ≤ Γ‖R̂‖_F² + nτ``. On the diagonal ``Σ_k r̂_kj² = Q'_jj + ΔA_jj ≤ Q'_jj +
Γ·Σ_k r̂_kj² + τ``, and summing over ``j``, ``‖R̂‖_F² ≤ (tr Q' + nτ)/(1 − Γ) ≤ (tr Q + nτ)/(1 − Γ)``
(``C ≥ 0``). Hence ``‖ΔA‖₂ ≤ (Γ·tr Q + nτ)/(1 − Γ)``.
(3) Positivity. ``2^e·M = R̂ᵀR̂ + (C·I + E − ΔA)``. ``R̂ᵀR̂ ⪰ 0``, ``‖E‖₂ ≤ ‖E‖_F < n`` (every
``|E_ij| < 1``), so ``λ_min(2^e·M) ≥ C − ‖E‖₂ − ‖ΔA‖₂ > C − n − (Γ·tr Q + nτ)/(1 − Γ) ≥ 0``. ∎

The improved constant ``(n+1)u`` of Rump and Jeannerod (SIAM J. Matrix Anal. Appl. 35 (2014)) would do
in place of ``γ_{n+1}``; the classical one is used because its proof is the textbook one above, and the
two differ by a factor ``1 + O(nu)``, far below the margins that decide.

Floating-point assumptions, and how they are secured:

- Python floats are IEEE 754 binary64 and ``+``, ``−``, ``×``, ``/`` on them are correctly rounded to
  nearest, each operation rounded on its own (CPython evaluates ``a - f * b`` as two bytecodes, each
  producing a double: no fused multiply-add, no extended precision), with gradual underflow. Before each
  use :func:`arithmetic_is_ieee` probes ``sys.float_info``, round-to-nearest of ``+``/``×``/``/`` in both
  directions, the absence of double rounding (x87 extended precision) and of flush-to-zero /
  denormals-are-zero; on any deviation the float route declines and the caller falls back to the
  exact test. The probes detect the configurations known to occur; they are not a proof that the
  hardware is correct.
- ``float(k)`` is exact for integers ``|k| ≤ 2^53`` (they are doubles), and ``Fraction(x)`` is exact for
  a finite double ``x``. The square root is not trusted: each ``r̂_kk`` is compared with ``s_k`` exactly.
- Overflow produces ``±inf`` or ``nan``, which never disappear from the computation below and fail
  its finiteness checks; so when it succeeds no operation overflowed.

The test may take the rows and columns in another order: ``P·M·Pᵀ ≻ 0`` iff ``M ≻ 0`` for a permutation
``P``, and scaling, flooring, trace and shift commute with it, so the theorem is applied to ``P·M·Pᵀ``.
:func:`_cheapest_order` picks one of three orders by the size of its *envelope*: ``starts[j]``, the
first row with a nonzero entry in column ``j`` of ``Q'``. Below it every ``r̂_ij`` is exactly ``0`` (by
induction on ``i``: ``Q'_ij = 0`` and every product ``r̂_ki·r̂_kj`` has the factor ``r̂_kj = 0``, and
``(0 − 0)/r̂_ii = 0`` in binary64), so the factorisation skips those entries and, in each sum, the
products with a zero factor — exactly the computation the proof describes, less terms that are ``0``.

Two orders of evaluation are used, both covered by step (1). Left-looking (column ``j`` of ``R̂`` from
the columns before it): ``r̂_ij = (Q'_ij − S_ij)/r̂_ii`` with ``S_ij = Σ_k fl(r̂_ki·r̂_kj)`` summed from
``k = 1`` upwards by the built-in ``sum`` over ``map(operator.mul, …)``: each product is a Python float
(rounded on its own), and up to Python 3.11 ``sum`` adds floats one at a time in a C ``double``, each
addition rounded to nearest (the first, ``0 + p_1``, is exact). Python 3.12 made ``sum`` of floats
compensated (Neumaier), an evaluation the proof does not cover, so there — or if the probe
:func:`sum_is_recursive` fails — the right-looking order is used instead: after ``r̂_kk`` and row ``k``
of ``R̂`` are formed, row ``k`` is subtracted from the later rows, so entry ``(i, j)`` receives its
products in the order ``k = 1, 2, …``, one Python operation each. The left-looking form does the same
``n³/6`` multiply-adds inside C loops, about twice as fast. In the right-looking form products with a
zero factor are skipped: ``a − 0·b = a`` for finite ``b``, and an infinite ``b`` fails the finiteness
check anyway.
"""

from __future__ import annotations

import math
import sys
from fractions import Fraction
from itertools import chain, compress
from operator import itemgetter, mul
from typing import Sequence

from .arith import Budget

U = Fraction(1, 2 ** 53)
"""The unit roundoff of binary64, round to nearest."""

ETA = Fraction(1, 2 ** 1074)
"""Twice the largest absolute error of a product or quotient that underflows (gradual underflow)."""

EXACT_INT = 2 ** 53
"""Integers up to this magnitude are doubles exactly."""

DIAGONAL_TOP = 52
"""The scaling puts the largest diagonal entry of ``Q`` in ``[2^51, 2^52)``: every entry of a positive
definite ``Q`` is then at most ``2^52`` in magnitude, and ``r̂_kk ≤ 2^26(1 + O(nu))``."""

R_MAX = 2 ** 27
"""The bound on ``r̂_kk`` that ``τ`` assumes, checked after the factorisation."""


def gamma(n: int) -> Fraction:
    """``γ_n = nu / (1 − nu)`` (Higham §3.1), exactly."""
    return n * U / (1 - n * U)


def shift(n: int, trace: int) -> int:
    """The least integer ``C ≥ n + (Γ·tr Q + n·τ)/(1 − Γ)`` of the theorem, ``Γ = γ_{n+1}``."""
    g = gamma(n + 1)
    tau = ETA * (1 + g) * (n + R_MAX)
    return math.ceil(n + (g * max(trace, 0) + n * tau) / (1 - g))


def arithmetic_is_ieee() -> bool:
    """Whether this process's float arithmetic passes the probes listed in the module docstring.

    The operands come through a list so that no constant folding at compile time stands in for the
    arithmetic of the running process.
    """
    fi = sys.float_info
    if (fi.radix, fi.mant_dig, fi.max_exp, fi.min_exp) != (2, 53, 1024, -1021):
        return False
    one, ten, ulp, tiny, least_normal = _probe_values()
    half, quarter = ulp / 2, ulp / 4
    checks = [
        one + (half + quarter) == one + ulp,           # above the half-way point: rounds up (not toward 0 or −∞)
        one + quarter == one,                          # below it: rounds down (not toward +∞)
        -one - (half + quarter) == -one - ulp,
        -one - quarter == -one,
        (one + ulp) * (one + ulp) == one + 2 * ulp,    # 1 + 2^-51 + 2^-104 rounds to 1 + 2^-51 (not up)
        (-one - ulp) * (one + ulp) == -one - 2 * ulp,
        (one / ten).as_integer_ratio() == (3602879701896397, 2 ** 55),    # 1/10 to nearest (toward 0: …396)
        one + (half + ulp * 2.0 ** -26) == one + ulp,  # one rounding (x87 double rounding gives 1)
        tiny > 0 and tiny + tiny == 2 * tiny and (tiny * 2) / 2 == tiny,   # subnormals kept (no DAZ)
        least_normal / 4 > 0,                          # gradual underflow (no flush to zero)
    ]
    return all(checks)


def _probe_values() -> list[float]:
    return [float(v) for v in (1, 10, Fraction(1, 2 ** 52), Fraction(1, 2 ** 1074), Fraction(1, 2 ** 1022))]


def proves_positive_definite(A: Sequence[Sequence[int]], S: int, budget: Budget) -> bool:
    """Whether the theorem above proves ``A/S ≻ 0`` (``S > 0``). ``False`` means *not proved* — the
    matrix may still be positive definite (too ill-conditioned for binary64, or a non-IEEE platform);
    the caller decides exactly then.

    Parameters
    ----------
    A, S
        Integer rows and the positive common denominator. ``A`` must be symmetric (checked).
    budget
        Charged ``n³/6`` multiply-adds of 53-bit numbers and the ``n²/2`` conversions first.

    Examples
    --------
    >>> b = Budget(10 ** 9)
    >>> proves_positive_definite([[2, 1], [1, 2]], 1, b), proves_positive_definite([[1, 2], [2, 1]], 1, b)
    (True, False)
    """
    n = len(A)
    if n == 0:
        return True
    entry_bits = max(map(int.bit_length, chain.from_iterable(A)), default=0)
    budget.charge_products(n * (n + 1) // 2, entry_bits, S.bit_length(), f"the float Cholesky test of a {n}×{n} "
                           "matrix: the conversion")
    budget.charge_products(n * n * n // 6 + 1, 53, 53, f"the float Cholesky test of a {n}×{n} matrix")
    if not arithmetic_is_ieee() or any(tuple(row) != col for row, col in zip(A, zip(*A))):
        return False
    order, starts = _cheapest_order(A)
    if order != list(range(n)):   # P·A·Pᵀ for a permutation P: positive definite iff A is
        pick = itemgetter(*order)
        A = [list(pick(row)) for row in pick(A)] if n > 1 else A
    Q = _scaled_floor(A, S)
    if Q is None:
        return False
    C = shift(n, sum(row[0] for row in Q))
    rows: list[list[float]] = []
    for row in Q:
        row[0] -= C
        if max(map(abs, row)) > EXACT_INT:  # every row holds its diagonal entry
            return False
        rows.append(list(map(float, row)))
    return _factorises(rows, starts)


def _cheapest_order(A: Sequence[Sequence[int]]) -> tuple[list[int], list[int]]:
    """Of three orders of the rows and columns — as given, reversed, and by the position of the last
    nonzero entry, then the count of nonzeros — the one whose envelope (:func:`_starts`) promises the
    fewest multiply-adds, with that envelope. The last puts, e.g., the output units of a network first,
    each unit's weights and bias together (their Hessian block is block diagonal by output unit)."""
    n = len(A)
    nonzero = [list(compress(range(n), row)) for row in A]
    last = [row[-1] if row else 0 for row in nonzero]
    first = [row[0] if row else n for row in nonzero]
    # as given and reversed, the envelope is the first (last) nonzero of each row: no position map needed
    candidates = [(list(range(n)), [min(j, f) for j, f in enumerate(first)]),
                  (list(range(n - 1, -1, -1)), [min(j, n - 1 - q) for j, q in enumerate(reversed(last))])]
    by_last = sorted(range(n), key=lambda p: (last[p], len(nonzero[p])))
    candidates.append((by_last, _starts(nonzero, by_last)))
    return min(candidates, key=lambda c: _envelope_cost(c[1]))


def _starts(nonzero: Sequence[Sequence[int]], order: Sequence[int]) -> list[int]:
    """The envelope of a symmetric matrix whose row ``p`` has its nonzero entries in the columns
    ``nonzero[p]``, with rows and columns taken in ``order``: ``starts[j]`` is the first position
    ``i ≤ j`` with a nonzero entry ``(i, j)``, or ``j``."""
    position = [0] * len(order)
    for j, p in enumerate(order):
        position[p] = j
    at = position.__getitem__
    return [min(j, min(map(at, nonzero[p]), default=j)) for j, p in enumerate(order)]


def _envelope_cost(starts: Sequence[int]) -> int:
    """About the multiply-adds of the left-looking factorisation within this envelope (times 3)."""
    return sum((j - s) ** 2 for j, s in enumerate(starts))


def _scaled_floor(A: Sequence[Sequence[int]], S: int) -> list[list[int]] | None:
    """The upper triangle of ``Q = ⌊2^e·A/S⌋`` (row ``i`` from the diagonal on), ``e`` putting the largest
    diagonal entry in ``[2^51, 2^52)``; ``None`` when no diagonal entry is positive."""
    top = max(A[i][i] for i in range(len(A)))
    if top <= 0:
        return None
    e = DIAGONAL_TOP - 1 - (top.bit_length() - S.bit_length())   # 2^e·top/S is within a factor 4 of 2^51

    def floor_scaled(x: int) -> int:
        return (x << e) // S if e >= 0 else x // (S << -e)

    while floor_scaled(top) >= 2 ** DIAGONAL_TOP:
        e -= 1
    while floor_scaled(top) < 2 ** (DIAGONAL_TOP - 1):
        e += 1
    if e >= 0:
        return [[(x << e) // S for x in row[i:]] for i, row in enumerate(A)]
    den = S << -e
    return [[x // den for x in row[i:]] for i, row in enumerate(A)]


def _factorises(rows: list[list[float]], starts: Sequence[int] | None = None) -> bool:
    """Whether the float Cholesky factorisation of the symmetric matrix given by its upper-triangle rows
    (row ``k`` from the diagonal on; may be consumed) runs to completion with the theorem's checks on
    pivots, square roots and finiteness; in the left-looking order where ``sum`` is plain recursive
    summation, else right-looking (module docstring). ``starts``: an envelope (``starts[j] ≤ j`` and
    every entry ``(i, j)`` with ``i < starts[j]`` zero); ``None``, the whole upper triangle."""
    if not sum_is_recursive():
        return _right_looking(rows)
    return _left_looking(rows, list(starts) if starts is not None else [0] * len(rows))


def sum_is_recursive() -> bool:
    """Whether the built-in ``sum`` of floats is the recursive summation the proof covers: Python before
    3.12, confirmed by a probe that compensated summation would answer differently (``1 + u + u`` is
    ``1`` when each addition rounds to nearest-even, ``1 + 2u`` when compensated)."""
    one, u = _probe_values()[0], _probe_values()[2] / 2
    return sys.version_info < (3, 12) and sum([one, u, u]) == one and sum([u, u, one]) == one + 2 * u


def _left_looking(rows: list[list[float]], starts: list[int] | None = None) -> bool:
    """Column by column within the envelope ``starts``: ``r̂_ij = (Q'_ij − Σ_k r̂_ki·r̂_kj)/r̂_ii`` for
    ``starts[j] ≤ i < j``, then ``r̂_jj = √(Q'_jj − Σ_k r̂_kj²)``; ``cols[j]`` holds ``r̂_kj`` for
    ``k = starts[j] … j``, and each sum runs over the rows both columns hold (the other products have a
    zero factor), so ``map`` over the partial column stops at ``k < i``."""
    n, sqrt, isfinite = len(rows), math.sqrt, math.isfinite
    starts = starts if starts is not None else [0] * n
    cols: list[list[float]] = []
    for j in range(n):
        sj = starts[j]
        col: list[float] = []
        for i in range(sj, j):
            si, ci = starts[i], cols[i]
            if si == sj:
                dot = sum(map(mul, ci, col))
            elif si > sj:
                dot = sum(map(mul, ci, col[si - sj:]))
            else:
                dot = sum(map(mul, ci[sj - si:], col))
            col.append((rows[i][j - i] - dot) / ci[-1])
        s = rows[j][0] - sum(map(mul, col, col))
        if not s > 0.0:  # also rejects nan
            return False
        r = sqrt(s)
        if not (0.0 < r <= R_MAX and _within_u(r, s)) or not all(map(isfinite, col)):
            return False
        col.append(r)
        cols.append(col)
    return True


def _right_looking(rows: list[list[float]]) -> bool:
    """Row by row: row ``k`` of ``R̂`` is formed and subtracted from the later rows at once."""
    n, sqrt, isfinite = len(rows), math.sqrt, math.isfinite
    for k in range(n):
        row = rows[k]
        s = row[0]
        if not s > 0.0:  # also rejects nan
            return False
        r = sqrt(s)
        if not (0.0 < r <= R_MAX and _within_u(r, s)):
            return False
        rk = [v / r for v in row]
        rk[0] = r
        if not all(map(isfinite, rk)):
            return False
        rows[k] = []
        for i in range(1, n - k):
            f = rk[i]
            if f:
                rows[k + i] = [a - f * b for a, b in zip(rows[k + i], rk[i:])]
    return True


def _within_u(r: float, s: float) -> bool:
    """``r = √s·(1+δ)`` with ``|δ| ≤ u``, decided exactly for positive finite ``r``, ``s``:
    ``s(1−u)² ≤ r² ≤ s(1+u)²``. With ``r = a/b``, ``s = c/d`` (``b``, ``d`` powers of two) and ``u = 2^-53``
    that is ``c·b²·(2^53 − 1)² ≤ a²·d·2^106 ≤ c·b²·(2^53 + 1)²``, in integers."""
    a, b = r.as_integer_ratio()
    c, d = s.as_integer_ratio()
    middle, side = (a * a * d) << 106, c * b * b
    return side * _LOW <= middle <= side * _HIGH


_LOW, _HIGH = (2 ** 53 - 1) ** 2, (2 ** 53 + 1) ** 2
