"""The determinant form of a piece: ``f_o(x_j) = −det B`` (docs/SPEC.md §1, docs/MATHEMATICS.md §1).

Construction
------------
Fix a problem, a sample ``x = x_j``, an output ``o`` and a pattern (``D_k = diag`` of the pattern's bits
for sample ``j`` and hidden layer ``k``). With ``ν = 1`` if the network has biases and ``0`` otherwise,
coordinate block ``k = 0..H`` has ``n_k + ν`` coordinates: the layer's units, then (with biases) a
constant-1 coordinate. Let ``n = Σ_k (n_k + ν)``; ``B`` is ``(n+1) × (n+1)``::

        ⎛ I      0      ⋯   0    c ⎞      M_k = ⎛ D_k W_k  D_k b_k ⎞     c = ⎛ x ⎞    r = ⎛ W_{H+1}[o, :] ⎞
    B = ⎜ −M_1   I               0 ⎟            ⎝ 0        1       ⎠         ⎝ 1 ⎠        ⎝ b_{H+1}[o]    ⎠
        ⎜        ⋱   ⋱           ⋮ ⎟
        ⎜            −M_H   I    0 ⎟      (without biases: M_k = D_k W_k, c = x, r = W_{H+1}[o, :]ᵀ)
        ⎝ 0      ⋯   0      rᵀ   0 ⎠

that is identity blocks on the diagonal, ``−M_k`` on the block sub-diagonal, ``c`` in the last column
of the first block row, ``rᵀ`` in the last row of the last block column, and ``B[n, n] = 0``.

**Claim.** ``−det B = f_o`` where ``f`` is the piece polynomial
``a_0 = x``, ``a_k = D_k (W_k a_{k−1} + b_k)``, ``f = W_{H+1} a_H + b_{H+1}``.

*Proof.* Write ``B = [[L, c̄], [r̄ᵀ, 0]]``. ``L`` is block unit-lower-triangular (every diagonal entry,
including the constant coordinates', is 1), so ``det L = 1`` and, by the Schur complement,
``det B = det L · (0 − r̄ᵀ L⁻¹ c̄) = −r̄ᵀ u`` with ``L u = c̄``. Block by block, ``u_0 = (x, 1)`` and
``u_k = M_k u_{k−1} = (D_k (W_k a_{k−1} + b_k), 1) = (a_k, 1)``: the constant coordinate stays 1
because row ``n_k`` of ``M_k`` is ``(0, …, 0, 1)``. Hence ``r̄ᵀ u = W_{H+1}[o] a_H + b_{H+1}[o] = f_o``. ∎

Derivatives
-----------
Every parameter ``θ_i`` occurs in at most one entry ``B[p, q] = s_i θ_i``: weights and biases of layer
``k ≤ H`` at row ``off_k + a`` (unit ``a``), column ``off_{k−1} + c`` (``c = n_{k−1}`` for the bias), with
``s_i = −D_k[a]``; the output row ``o`` of layer ``H+1`` in the last row, ``s_i = +1``. Parameters of
inactive units and of other outputs do not occur (``s_i = 0``). Since ``det`` is affine in each entry,

* ``∂f/∂θ_i = −s_i C_pq`` with the cofactor ``C_pq = (−1)^{p+q} det B^{(p)}_{(q)}``;
* ``∂²f/∂θ_i∂θ_l = −s_i s_l (−1)^{p+q+p'+q'} sgn(p'−p) sgn(q'−q) det B^{(p,p')}_{(q,q')}`` for
  ``p ≠ p'``, ``q ≠ q'`` (rows ``p, p'`` and columns ``q, q'`` deleted), and ``0`` if they share a row or
  a column (in particular ``∂²f/∂θ_i² = 0``).

Symbols
-------
Symbolic forms use one sympy symbol per parameter, named after it with a **1-based layer** and 0-based
row and column: ``W1_0_1`` is ``W_1[0, 1]``, ``b2_0`` is ``b_2[0]``; :func:`parameter_symbols` lists them
in canonical ``θ`` order. Samples, outputs, units and matrix rows and columns are 0-based.

Sympy ``Matrix`` of ``Expr`` is used only to hold and show ``B``; determinants go through
``fmpq_mat`` (numeric) or ``DomainMatrix`` over ``ZZ[θ]`` (symbolic; fraction-free, no ``cancel``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Sequence

import sympy
from flint import fmpq, fmpq_mat
from sympy.polys.matrices import DomainMatrix
from sympy.polys.rings import ring

from .exceptions import PatternError, ProblemError, SelectionError
from .network import Pattern, forward, pattern_to_json
from .problem import Params, Problem
from .rationals import canonical


@dataclass(frozen=True)
class DeterminantForm:
    """The matrix ``B`` of one sample, output and pattern, with ``f_o(x_j) = −det B``.

    Attributes
    ----------
    problem, sample, output, pattern
        What ``B`` represents; ``pattern`` is the whole pattern (all samples), ``B`` uses row ``sample``.
    matrix
        ``B`` as an immutable sympy matrix: symbols (symbolic) or ``Rational`` entries (numeric).
    entries
        For each parameter in canonical order, ``(p, q, s)`` with ``B[p, q] = s·θ_i``, ``s = ±1``, or
        ``None`` when ``θ_i`` does not occur in ``B`` (an inactive unit's, or another output's).
    offsets
        First row (and column) of each coordinate block ``k = 0..H``, then ``n``, the last row.
    numeric
        Whether the entries are the point's values rather than symbols.
    """

    problem: Problem
    sample: int
    output: int
    pattern: Pattern
    matrix: sympy.ImmutableMatrix
    entries: tuple[tuple[int, int, int] | None, ...]
    offsets: tuple[int, ...]
    numeric: bool

    @property
    def size(self) -> int:
        """The order ``n + 1`` of ``B``."""
        return int(self.matrix.rows)

    def position(self, index: int) -> tuple[int, int] | None:
        """``(row, column)`` of parameter ``index`` in ``B``, or ``None`` if it does not occur."""
        e = self.entries[_check_index(index, self.problem.parameter_count, "parameter")]
        return None if e is None else (e[0], e[1])


def parameter_names(problem: Problem) -> tuple[str, ...]:
    """Names of the parameters in canonical order: ``W{k}_{row}_{col}``, ``b{k}_{row}`` (``k`` 1-based).

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [2, 1, 1]},
    ...     "loss": {"weight_decay": 0}, "data": {"inputs": [[1, 2]], "targets": [[0]]}})
    >>> parameter_names(p)
    ('W1_0_0', 'W1_0_1', 'b1_0', 'W2_0_0', 'b2_0')
    """
    return tuple(f"W{k}_{a}_{c}" if c < problem.widths[k - 1] else f"b{k}_{a}" for k, a, c in _layout(problem))


def parameter_symbols(problem: Problem) -> tuple[sympy.Symbol, ...]:
    """One sympy symbol per parameter, named by :func:`parameter_names`, in canonical order."""
    return tuple(sympy.Symbol(name) for name in parameter_names(problem))


def parameter_position(problem: Problem, index: int, output: int = 0) -> tuple[int, int] | None:
    """Where parameter ``index`` (canonical order) sits in ``B`` for ``output``, whatever the pattern.

    Returns ``None`` for the output-layer parameters of other outputs. With a pattern, the entry is
    ``−θ_i`` for an active unit of a hidden layer, ``0`` for an inactive one, and ``+θ_i`` in the last row.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": 0}, "data": {"inputs": [[1]], "targets": [[0]]}})
    >>> parameter_position(p, 0), parameter_position(p, 1)
    ((1, 0), (2, 1))
    """
    _check_index(output, problem.widths[-1], "output")
    k, a, c = _layout(problem)[_check_index(index, problem.parameter_count, "parameter")]
    offs = _offsets(problem)
    if k <= problem.depth:
        return offs[k] + a, offs[k - 1] + c
    return (offs[-1], offs[-2] + c) if a == output else None


def determinant_form(problem: Problem, sample: int = 0, output: int = 0, pattern: Pattern | None = None, *,
                     params: Params | None = None, numeric: bool = False) -> DeterminantForm:
    """The block matrix ``B`` with ``f_o(x_j) = −det B`` on the piece of ``pattern``.

    Parameters
    ----------
    problem
        The problem; its point (or ``params``) fixes the default pattern and the numeric values.
    sample, output
        ``j`` and ``o``, 0-based.
    pattern
        Any pattern of the problem; defaults to the point's own (all ones for identity activations).
    params
        The point; defaults to ``problem.point``. Needed for ``numeric`` or when ``pattern`` is omitted.
    numeric
        Entries are the point's values (sympy ``Rational``) instead of parameter symbols.

    Raises
    ------
    SelectionError
        If ``sample`` or ``output`` is out of range.
    PatternError
        If ``pattern`` does not fit the hidden layers.
    ProblemError
        If a point is needed and there is none.

    Examples
    --------
    ``f = w·σ(v·x)`` at ``x = 2`` on the active piece: ``B = [[1, 0, 2], [−v, 1, 0], [0, w, 0]]``.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": 0}, "data": {"inputs": [[2]], "targets": [[0]]}})
    >>> form = determinant_form(p, pattern=(((1,),),))
    >>> form.matrix.tolist()
    [[1, 0, 2], [-W1_0_0, 1, 0], [0, W2_0_0, 0]]
    >>> piece_output(form)
    2*W1_0_0*W2_0_0

    Notes
    -----
    See the module docstring for the construction and the proof of ``f_o = −det B``.
    """
    _check_index(sample, problem.samples, "sample")
    _check_index(output, problem.widths[-1], "output")
    point = params if params is not None else problem.point
    if point is None and (numeric or pattern is None):
        raise ProblemError("point", "missing: the determinant form needs a point (or a pattern, when symbolic)")
    if pattern is None:
        pattern = forward(problem, point).pattern
    _check_pattern(problem, pattern)
    theta = [sympy.Rational(v.numerator, v.denominator) for v in problem.flatten(point)] if numeric and point \
        else list(parameter_symbols(problem))

    offs = _offsets(problem)
    n, H, nb = offs[-1], problem.depth, 1 if problem.biases else 0
    B = sympy.zeros(n + 1, n + 1)
    for i in range(n):
        B[i, i] = 1
    x = problem.inputs[sample]
    for c, v in enumerate(x):
        B[c, n] = sympy.Rational(v.numerator, v.denominator)
    if nb:
        B[len(x), n] = 1
        for k in range(1, H + 1):                     # the constant coordinate carries its 1 forward
            B[offs[k] + problem.widths[k], offs[k - 1] + problem.widths[k - 1]] = -1
    entries: list[tuple[int, int, int] | None] = []
    for i, (k, a, c) in enumerate(_layout(problem)):
        pos = parameter_position(problem, i, output)
        s = 1 if k == H + 1 else -pattern[sample][k - 1][a]
        if pos is None or s == 0:
            entries.append(None)
            continue
        B[pos] = s * theta[i]
        entries.append((pos[0], pos[1], s))
    return DeterminantForm(problem, sample, output, pattern, sympy.ImmutableMatrix(B), tuple(entries),
                           offs, numeric)


def determinant(matrix: sympy.MatrixBase) -> sympy.Expr:
    """``det`` of a square sympy matrix of rationals or polynomials in symbols, expanded.

    >>> determinant(sympy.Matrix([[1, sympy.Symbol("a")], [2, 0]]))
    -2*a

    Notes
    -----
    Rational matrices go to ``fmpq_mat.det``. Polynomial matrices are eliminated sparsely over
    ``QQ[symbols]`` with constant pivots only (``B`` and its minors are mostly identity, so no fractions
    and little fill-in arise); whatever is left without a constant pivot goes to ``DomainMatrix.det``
    (fraction-free Bareiss). The argument is not mutated.
    """
    n = matrix.rows
    if n == 0:
        return sympy.Integer(1)
    if all(e.is_Rational for e in matrix):
        d = fmpq_mat(n, n, [fmpq(int(e.p), int(e.q)) for e in matrix]).det()
        return sympy.Rational(int(d.p), int(d.q))
    R = ring(sorted(matrix.free_symbols, key=str), sympy.QQ)[0]
    rows = {i: {j: R(matrix[i, j]) for j in range(n) if matrix[i, j] != 0} for i in range(n)}
    return _eliminate(rows, n, R).as_expr()


def _eliminate(rows: dict[int, dict[int, Any]], n: int, R: Any) -> Any:
    """det of the sparse ``n × n`` matrix ``rows`` over ``R``, pivoting on constants; ``rows`` is consumed."""
    row_ids, col_ids = list(range(n)), list(range(n))
    in_col: dict[int, set[int]] = {j: set() for j in range(n)}
    for i, row in rows.items():
        for j in row:
            in_col[j].add(i)
    det = R.one
    while row_ids:
        if any(not rows[i] for i in row_ids) or any(not in_col[j] for j in col_ids):
            return R.zero
        # Markowitz: the constant pivot whose elimination touches the fewest entries
        candidates = [((len(rows[i]) - 1) * (len(in_col[j]) - 1), i, j)
                      for i in row_ids for j, v in rows[i].items() if v.is_ground]
        if not candidates:
            dm = DomainMatrix([[rows[i].get(j, R.zero) for j in col_ids] for i in row_ids],
                              (len(row_ids), len(col_ids)), R.to_domain())
            return det * dm.det()
        _, r, c = min(candidates)
        if (row_ids.index(r) + col_ids.index(c)) % 2:
            det = -det
        row_ids.remove(r)
        col_ids.remove(c)
        pivot = rows.pop(r)
        det = det * pivot[c]
        for j in pivot:
            in_col[j].discard(r)
        for s in in_col.pop(c):
            factor = rows[s].pop(c).quo_ground(pivot[c].LC)
            for j, v in pivot.items():
                if j == c:
                    continue
                new = rows[s].get(j, R.zero) - factor * v
                if new:
                    rows[s][j] = new
                    in_col[j].add(s)
                else:
                    rows[s].pop(j, None)
                    in_col[j].discard(s)
    return det


def piece_output(form: DeterminantForm) -> sympy.Expr:
    """``−det B``: the piece's output ``f_o(x_j)`` (a polynomial, or its value if numeric)."""
    return -determinant(form.matrix)


def cofactor(matrix: sympy.MatrixBase, p: int, q: int) -> sympy.Expr:
    """``C_pq = (−1)^{p+q} det`` of ``matrix`` without row ``p`` and column ``q``: ``∂det/∂B[p, q]``."""
    return (-1) ** (p + q) * determinant(_delete(matrix, (p,), (q,)))


def second_cofactor(matrix: sympy.MatrixBase, p: int, q: int, p2: int, q2: int) -> sympy.Expr:
    """``∂²det/∂B[p, q]∂B[p2, q2]``: a signed minor with rows ``p, p2`` and columns ``q, q2`` deleted.

    >>> second_cofactor(sympy.Matrix([[1, 2], [3, 4]]), 0, 1, 1, 0)
    -1
    """
    if p == p2 or q == q2:
        return sympy.Integer(0)
    sign = (-1) ** (p + q + p2 + q2) * (1 if p2 > p else -1) * (1 if q2 > q else -1)
    return sign * determinant(_delete(matrix, (p, p2), (q, q2)))


def first_derivative(form: DeterminantForm, index: int) -> sympy.Expr:
    """``∂f_o(x_j)/∂θ_index = −s C_pq`` by the cofactor formula (0 if ``θ_index`` is not in ``B``)."""
    e = form.entries[_check_index(index, form.problem.parameter_count, "parameter")]
    return sympy.Integer(0) if e is None else -e[2] * cofactor(form.matrix, e[0], e[1])


def second_derivative(form: DeterminantForm, index: int, other: int) -> sympy.Expr:
    """``∂²f_o(x_j)/∂θ_index∂θ_other`` by the second-order cofactor formula."""
    P = form.problem.parameter_count
    e, e2 = form.entries[_check_index(index, P, "parameter")], form.entries[_check_index(other, P, "parameter")]
    if e is None or e2 is None:
        return sympy.Integer(0)
    return -e[2] * e2[2] * second_cofactor(form.matrix, e[0], e[1], e2[0], e2[1])


def gradient(form: DeterminantForm) -> list[sympy.Expr]:
    """``∇f_o(x_j)`` in canonical order by cofactors (``P`` determinants of order ``n``)."""
    return [first_derivative(form, i) for i in range(form.problem.parameter_count)]


def hessian(form: DeterminantForm) -> sympy.ImmutableMatrix:
    """``∇²f_o(x_j)`` by second-order cofactors (at most ``P(P−1)/2`` determinants of order ``n − 1``)."""
    P = form.problem.parameter_count
    Hm = sympy.zeros(P, P)
    for i in range(P):
        for l in range(i + 1, P):
            Hm[i, l] = Hm[l, i] = second_derivative(form, i, l)
    return sympy.ImmutableMatrix(Hm)


def to_latex(form: DeterminantForm) -> str:
    r"""LaTeX of ``B`` (``pmatrix``) and the identity, e.g. ``\[ f_{0}(x_{1}) = -\det B, \quad B = …\]``.

    Symbols print as ``W^{(k)}_{a,c}`` and ``b^{(k)}_{a}``. Matrices wider than amsmath's default 10
    columns get a ``\setcounter{MaxMatrixCols}{…}`` line first.
    """
    names = {s: _latex_name(s.name) for s in parameter_symbols(form.problem)}
    body = sympy.latex(form.matrix, mat_str="pmatrix", mat_delim="", symbol_names=names)
    head = f"\\setcounter{{MaxMatrixCols}}{{{form.size}}}\n" if form.size > 10 else ""
    return f"{head}\\[ f_{{{form.output}}}(x_{{{form.sample}}}) = -\\det B, \\qquad B = {body} \\]"


def to_text(form: DeterminantForm) -> list[str]:
    """``B`` as aligned plain-text rows, ``|`` and a rule between coordinate blocks."""
    cells = [[str(v) for v in form.matrix.row(i)] for i in range(form.size)]
    width = max(len(c) for row in cells for c in row)
    cuts = set(form.offsets[1:])
    lines: list[str] = []
    for i, row in enumerate(cells):
        if i in cuts:
            lines.append("-" * len(lines[-1]))
        lines.append(" ".join(("| " if q in cuts else "") + c.rjust(width) for q, c in enumerate(row)))
    return lines


def matrix_to_json(form: DeterminantForm) -> list[list[str]]:
    """``B`` as a list of rows of strings (canonical rationals, or sympy's text of ``±θ_i``)."""
    return [[canonical(Fraction(int(v.p), int(v.q))) if v.is_Rational else str(v) for v in form.matrix.row(i)]
            for i in range(form.size)]


@dataclass(frozen=True)
class DeterminantReport:
    """What ``pscert det`` prints: the form, ``−det B`` and the forward pass at the point, exact."""

    form: DeterminantForm
    polynomial: sympy.Expr
    value: Fraction
    forward_value: Fraction
    boundary: tuple[tuple[int, int], ...]
    """Hidden units ``(layer, unit)`` (0-based) with ``z = 0`` at this sample: counted inactive."""

    @property
    def agrees(self) -> bool:
        return self.value == self.forward_value

    def to_json(self) -> dict[str, Any]:
        f = self.form
        return {"sample": f.sample, "output": f.output, "numeric": f.numeric,
                "pattern": pattern_to_json(f.pattern)[f.sample], "parameters": list(parameter_names(f.problem)),
                "size": f.size, "matrix": matrix_to_json(f), "identity": f"f_{f.output}(x_{f.sample}) = -det B",
                "minus_det": str(self.polynomial) if not f.numeric else canonical(self.value),
                "value": canonical(self.value), "forward": canonical(self.forward_value), "agrees": self.agrees,
                "boundary": [list(t) for t in self.boundary]}

    def lines(self, show: Callable[[Fraction], str], latex: bool = False) -> list[str]:
        """The text ``pscert det`` prints; ``show`` formats exact numbers, ``latex`` shows ``B`` as a pmatrix."""
        f = self.form
        pattern = " ".join(pattern_to_json(f.pattern)[f.sample]) or "(no hidden layer)"
        where = "the point's region"
        if self.boundary:
            units = ", ".join(f"({k}, {i})" for k, i in self.boundary)
            where = f"the point is on a boundary, z = 0 at (hidden layer, unit) {units} counted inactive"
        out = [f"sample {f.sample}, output {f.output}: pattern {pattern} ({where})",
               f"B ({f.size}×{f.size}, {'at the point' if f.numeric else 'symbolic'}):"]
        out += to_latex(f).splitlines() if latex else ["  " + line for line in to_text(f)]
        out.append(f"identity:      f_{f.output}(x_{f.sample}) = −det B")
        if not f.numeric:
            out.append(f"−det B =       {self.polynomial}")
        verdict = "agree" if self.agrees else "DISAGREE (a bug in pscert)"
        out.append(f"at the point:  −det B = {show(self.value)}, forward pass f = {show(self.forward_value)}: {verdict}")
        return out


def determinant_report(problem: Problem, sample: int = 0, output: int = 0, numeric: bool = False) -> DeterminantReport:
    """The determinant form at the problem's point, its polynomial and its exact value there.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": 0}, "data": {"inputs": [[2]], "targets": [[0]]},
    ...     "point": {"weights": [[["1/2"]], [[3]]]}})
    >>> r = determinant_report(p)
    >>> r.polynomial, r.value, r.agrees
    (2*W1_0_0*W2_0_0, Fraction(3, 1), True)
    """
    form = determinant_form(problem, sample, output, numeric=numeric)
    poly = piece_output(form)
    exact = poly if numeric else piece_output(determinant_form(problem, sample, output, numeric=True))
    fw = forward(problem, problem.point)
    on = tuple((k, i) for jj, k, i in fw.boundary if jj == sample)
    return DeterminantReport(form, poly, Fraction(int(exact.p), int(exact.q)), fw.outputs[sample][output], on)


def _layout(problem: Problem) -> list[tuple[int, int, int]]:
    """``(k, a, c)`` per parameter in canonical order; ``k`` 1-based, ``c = n_{k−1}`` marks the bias."""
    out = []
    for k in range(1, len(problem.widths)):
        rows, cols = problem.widths[k], problem.widths[k - 1]
        out += [(k, a, c) for a in range(rows) for c in range(cols)]
        if problem.biases:
            out += [(k, a, cols) for a in range(rows)]
    return out


def _offsets(problem: Problem) -> tuple[int, ...]:
    """First index of each coordinate block ``k = 0..H``, then ``n``."""
    offs, pos = [], 0
    for k in range(problem.depth + 1):
        offs.append(pos)
        pos += problem.widths[k] + (1 if problem.biases else 0)
    return tuple(offs + [pos])


def _delete(matrix: sympy.MatrixBase, rows: Sequence[int], cols: Sequence[int]) -> sympy.Matrix:
    """``matrix`` without the given rows and columns (a new matrix; the argument is not mutated)."""
    keep_r = [i for i in range(matrix.rows) if i not in rows]
    keep_c = [j for j in range(matrix.cols) if j not in cols]
    return sympy.Matrix(matrix).extract(keep_r, keep_c)


def _check_index(value: int, bound: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < bound:
        raise SelectionError(f"{what}: must be an index in 0..{bound - 1} (got {value!r})")
    return value


def _check_pattern(problem: Problem, pattern: Pattern) -> None:
    """Raise :class:`PatternError` unless ``pattern`` has one 0/1 bit per sample and hidden unit."""
    hidden = problem.widths[1:-1]
    if not isinstance(pattern, (tuple, list)) or len(pattern) != problem.samples:
        raise PatternError(f"pattern: must have {problem.samples} samples (got {_count(pattern)})")
    for j, layers in enumerate(pattern):
        if not isinstance(layers, (tuple, list)) or len(layers) != len(hidden):
            raise PatternError(f"pattern[{j}]: must have {len(hidden)} hidden layers (got {_count(layers)})")
        for k, (bits, w) in enumerate(zip(layers, hidden)):
            if not isinstance(bits, (tuple, list)) or len(bits) != w or any(b not in (0, 1) or b is True or b is False
                                                                            for b in bits):
                raise PatternError(f"pattern[{j}][{k}]: must be {w} bits 0/1 (got {bits!r})")


def _count(obj: Any) -> str:
    return str(len(obj)) if isinstance(obj, (tuple, list)) else type(obj).__name__


def _latex_name(name: str) -> str:
    kind, *idx = name.split("_")
    return f"{kind[0]}^{{({kind[1:]})}}_{{{','.join(idx)}}}"
