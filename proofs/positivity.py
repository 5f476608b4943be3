"""Positive-definiteness certificates for exact symmetric matrices (untrusted construction).

Three kinds, all re-checked by the checker (docs/SPEC.md §4, anchors B1):

- ``{"method": "ldl"}``: the exact LDLᵀ pivots of ``A`` are all positive. Nothing to store, but the
  pivots grow to kilobits for large ``n``, so it is used only for small matrices.
- ``{"method": "cholesky"}``: the checker's own binary64 Cholesky factorisation of ``A`` shifted by a
  proved bound on every rounding error runs to completion (:mod:`proofs.checker.cholesky`). Nothing to
  store and ``n³/6`` float operations. Written when a float screen predicts that the test will succeed
  (:func:`cholesky_screen`: the smallest eigenvalue well above the test's shift); the test itself runs
  once, in the checker, which decides (a witness it rejects makes the verdict UNKNOWN, never wrong).
- ``{"method": "congruence", "T": …}`` (when the float test is too coarse): a lower-triangular dyadic ``T`` with positive diagonal, close
  to ``L⁻¹`` for a floating Cholesky factor ``L`` of ``A``, such that ``C = T A Tᵀ`` is strictly
  diagonally dominant with a positive diagonal. ``T`` is nonsingular, so ``A`` is congruent to a
  positive-definite matrix and is positive definite (Sylvester's law of inertia). Entries stay short.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from flint import fmpq, fmpq_mat

from symbolic.linalg import positive_definite
from symbolic.rationals import canonical


LDL_MAX = 12
"""Largest dimension for which the plain exact LDLᵀ certificate is used."""


def to_float(A: fmpq_mat) -> np.ndarray:
    """A floating copy of an exact matrix (for screening only)."""
    return np.array([float(v) for v in A.entries()], dtype=float).reshape(A.nrows(), A.ncols())


def smallest_eigenvalue(A: fmpq_mat) -> float:
    """Floating estimate of the smallest eigenvalue of a symmetric matrix (screening only)."""
    return float(np.linalg.eigvalsh(to_float(A))[0]) if A.nrows() else float("inf")


def pd_certificate(A: fmpq_mat) -> dict[str, Any] | None:
    """A certificate that ``A`` is positive definite, or ``None`` if none was found.

    >>> pd_certificate(fmpq_mat(2, 2, [2, 1, 1, 2]))
    {'method': 'ldl'}
    >>> pd_certificate(fmpq_mat(2, 2, [1, 2, 2, 1])) is None
    True
    """
    n = A.nrows()
    if n <= LDL_MAX:
        return {"method": "ldl"} if positive_definite(A) else None
    Af = to_float(A)
    if cholesky_screen(Af):
        return {"method": "cholesky"}
    try:
        L = np.linalg.cholesky(Af)
    except np.linalg.LinAlgError:
        return None
    Tf = np.linalg.inv(L)
    for bits in (30, 45, 60):
        T = _dyadic_lower(Tf, bits)
        if T is not None and diagonally_dominant(T * A * T.transpose()):
            return {"method": "congruence", "T": [[canonical(_fraction(T[i, j])) for j in range(n)] for i in range(n)]}
    return None


def cholesky_screen(Af: np.ndarray, safety: float = 16.0) -> bool:
    """Whether the checker's float Cholesky test (:mod:`proofs.checker.cholesky`) is expected to prove the
    symmetric matrix with float copy ``Af`` positive definite (a prediction, not a proof).

    The test scales ``A`` by ``2^e`` with the largest diagonal entry ``D`` in ``[2^51, 2^52)``, floors it
    and subtracts ``C ≤ n + (n+1)u·tr Q/(1 − Γ) ≤ n + (n+1)n/2 + 1`` (``tr Q ≤ n·2^52``); unscaled that is at
    most ``D·2^-51·(n+2)²/2``. A float Cholesky factorisation succeeds when the smallest eigenvalue exceeds
    its rounding errors, which are of that same order (Rump 2006, §2), and ``eigvalsh`` is accurate to
    about ``n·u·‖A‖``. So: ``λ_min > safety · D · 2^-51 · (n+2)²/2``, with the smallest eigenvalue from
    ``eigvalsh``.

    >>> cholesky_screen(np.array([[2.0, 1.0], [1.0, 2.0]])), cholesky_screen(np.array([[1.0, 1.0], [1.0, 1.0]]))
    (True, False)
    """
    n = int(Af.shape[0])
    if n == 0:
        return True
    if not np.all(np.isfinite(Af)):
        return False
    top = float(np.max(np.diag(Af)))
    if not top > 0:
        return False
    return float(np.linalg.eigvalsh(Af)[0]) > safety * top * 2.0 ** -51 * (n + 2) ** 2 / 2


def diagonally_dominant(C: fmpq_mat) -> bool:
    """Whether ``C_ii > Σ_{j≠i} |C_ij|`` for every row (strict dominance, positive diagonal)."""
    n = C.nrows()
    for i in range(n):
        off = sum((abs(C[i, j]) for j in range(n) if j != i), fmpq(0))
        if C[i, i] <= off:
            return False
    return True


def _dyadic_lower(Tf: np.ndarray, bits: int) -> fmpq_mat | None:
    """Round each row of a lower-triangular float matrix to ``bits`` significant bits (dyadic)."""
    n = Tf.shape[0]
    entries: list[fmpq] = []
    for i in range(n):
        scale = float(np.max(np.abs(Tf[i, : i + 1])))
        if not np.isfinite(scale) or scale == 0:
            return None
        e = bits - int(np.ceil(np.log2(scale)))
        row = [_scaled(int(round(Tf[i, j] * 2.0 ** e)), e) if j <= i else fmpq(0) for j in range(n)]
        if row[i] <= 0:
            return None
        entries.extend(row)
    return fmpq_mat(n, n, entries)


def _scaled(m: int, e: int) -> fmpq:
    """``m · 2**-e`` exactly."""
    return fmpq(m, 1 << e) if e >= 0 else fmpq(m << -e)


def _fraction(q: fmpq) -> Fraction:
    return Fraction(int(q.p), int(q.q))
