"""The exact forward pass: outputs, pre-activations, activation patterns and region boundaries.

A **pattern** assigns active (1) or inactive (0) to every hidden unit ``(k, i)`` at every sample
``j``. It is stored as a tuple over samples of tuples over hidden layers of tuples of 0/1, and written
to JSON as strings: ``[["10"], ["11"]]`` for two samples and one hidden layer of two units.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from fractions import Fraction
from math import lcm
from operator import mul
from typing import Any, Sequence

from .exceptions import PatternError
from .problem import Params, Problem
from .rationals import describe

Pattern = tuple[tuple[tuple[int, ...], ...], ...]


@dataclass(frozen=True)
class Forward:
    """The exact forward pass of a problem at a point.

    Attributes
    ----------
    pattern
        The activation pattern; a unit with ``z = 0`` counts as inactive (``σ(0) = 0``).
    boundary
        The triples ``(sample, layer, unit)`` (0-based) with ``z = 0``: the point lies on those
        regions' common boundary. Empty for identity activations.
    numerators, scales
        ``z_{k+1}(x_j) = numerators[j][k] / scales[k]`` for every layer ``k`` (the last is the output):
        integers over one positive denominator per layer, as computed.
    outputs
        ``outputs[j][o] = f_o(x_j)`` (``Fraction``, formed when first asked for).
    preactivations
        ``preactivations[j][k][i] = z_{k+1,i}(x_j)`` for the hidden layers (0-based ``k``; ``Fraction``,
        formed when first asked for: many callers need only the pattern).
    """

    pattern: Pattern
    boundary: tuple[tuple[int, int, int], ...]
    numerators: tuple[tuple[tuple[int, ...], ...], ...]
    scales: tuple[int, ...]

    @cached_property
    def outputs(self) -> tuple[tuple[Fraction, ...], ...]:
        top = self.scales[-1]
        return tuple(tuple(Fraction(v, top) for v in zs[-1]) for zs in self.numerators)

    @cached_property
    def preactivations(self) -> tuple[tuple[tuple[Fraction, ...], ...], ...]:
        return tuple(tuple(tuple(Fraction(v, den) for v in z) for z, den in zip(zs[:-1], self.scales))
                     for zs in self.numerators)

    @property
    def margin(self) -> Fraction | None:
        """The smallest ``|z|`` over hidden pre-activations (``None`` without hidden layers)."""
        values = [abs(z) for zs in self.preactivations for layer in zs for z in layer]
        return min(values) if values else None


def forward(problem: Problem, params: Params | None = None, pattern: Pattern | None = None) -> Forward:
    """Run the network exactly on every training input.

    Parameters
    ----------
    problem
        The problem; ``params`` defaults to ``problem.point``.
    params
        The point.
    pattern
        If given, the piece's polynomial network ``f_P`` is evaluated instead of the ReLU network
        (``D_k`` from the pattern, whatever the signs).

    Examples
    --------
    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": 0}, "data": {"inputs": [[1], [-1]], "targets": [[1], [0]]},
    ...     "point": {"weights": [[[2]], [[3]]]}})
    >>> fw = forward(p)
    >>> fw.outputs, fw.pattern
    (((Fraction(6, 1),), (Fraction(0, 1),)), (((1,),), ((0,),)))
    """
    params = _point(problem, params)
    key = (id(problem), params, pattern)
    try:
        hit = _RECENT.get(key)
    except TypeError:  # an unhashable pattern (lists): not remembered
        return _forward(problem, params, pattern)
    if hit is not None and hit[0] is problem:
        return hit[1]
    fw = _forward(problem, params, pattern)
    if len(_RECENT) >= _REMEMBERED:
        del _RECENT[next(iter(_RECENT))]
    _RECENT[key] = (problem, fw)   # the entry keeps ``problem`` alive, so its id is not reused meanwhile
    return fw


_REMEMBERED = 8
"""How many forward passes :func:`forward` remembers: the generator asks for the same point's pass many times
(symmetry, boundary and region tests, refinement), and ``Problem``, ``Params`` and ``Forward`` are immutable."""
_RECENT: dict[tuple[int, Params, Pattern | None], tuple[Problem, Forward]] = {}


def _forward(problem: Problem, params: Params, pattern: Pattern | None) -> Forward:
    """:func:`forward`, computed."""
    relu = problem.activation == "relu"
    # Integers over one denominator per layer (and one for the inputs): no gcd inside the N·P loop,
    # which Fraction arithmetic would pay per operation; Fractions only when a caller asks for values.
    layers = []
    for k in range(problem.depth + 1):
        W = params.weights[k]
        b = params.biases[k] if params.biases is not None else [Fraction(0)] * len(W)
        ints, den = _over_common([v for row, bias in zip(W, b) for v in (*row, bias)])
        width = len(W[0]) + 1 if W else 1
        layers.append(([ints[i: i + width] for i in range(0, len(ints), width)], den))
    xs, dx = _over_common([v for x in problem.inputs for v in x])
    scales: list[int] = []
    for _, den in layers:
        scales.append((scales[-1] if scales else dx) * den)
    n0 = problem.widths[0]
    nums, pats = [], []
    boundary: list[tuple[int, int, int]] = []
    for j in range(len(problem.inputs)):
        a = xs[j * n0: (j + 1) * n0] + [dx]   # ã = (a, 1) at the current scale
        zs, bits = [], []
        for k, (rows, _) in enumerate(layers):
            zi = [sum(map(mul, row, a)) for row in rows]
            zs.append(tuple(zi))
            if k == problem.depth:
                break
            if pattern is not None:
                d = pattern[j][k]
            elif relu:
                d = tuple(1 if v > 0 else 0 for v in zi)
            else:
                d = (1,) * len(zi)
            if relu:
                boundary.extend((j, k, i) for i, v in enumerate(zi) if v == 0)
            bits.append(tuple(d))
            a = [v if on else 0 for v, on in zip(zi, d)] + [scales[k]]
        nums.append(tuple(zs))
        pats.append(tuple(bits))
    return Forward(tuple(pats), tuple(boundary), tuple(nums), tuple(scales))


def _over_common(values: Sequence[Fraction]) -> tuple[list[int], int]:
    """``(ints, d)`` with ``values = ints / d``, ``d`` the lcm of the denominators."""
    fr = [Fraction(v) for v in values]
    den = lcm(*(v.denominator for v in fr)) if fr else 1
    return [v.numerator * (den // v.denominator) for v in fr], den


def null_samples(problem: Problem) -> frozenset[int]:
    """Samples with ``x̃_j = 0`` (``x_j = 0`` without biases): every pre-activation there is 0 for every
    ``θ``, so they lie on no region boundary (their pattern entries are 0 and stay 0).

    >>> from symbolic.problem import parse_problem
    >>> null_samples(parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": 0}, "data": {"inputs": [[1], [0]], "targets": [[1], [0]]}}))
    frozenset({1})
    """
    if problem.biases:
        return frozenset()
    return frozenset(j for j, x in enumerate(problem.inputs) if not any(x))


def null_inputs(problem: Problem, fw: Forward) -> frozenset[tuple[int, int]]:
    """Pairs ``(j, k)`` (sample, 0-based hidden layer) whose pre-activations are 0 for every ``θ`` near the
    point: without biases, those of :func:`null_samples`, and a layer ``k ≥ 1`` whose input at sample ``j``
    is 0 nearby because every unit of layer ``k − 1`` there has ``z < 0`` (or a null input itself). They lie
    on no region boundary (``z = W·0 = 0``; their pattern entries are 0 and stay 0).

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": 0}, "data": {"inputs": [[1], [-1]], "targets": [[1], [0]]},
    ...     "point": {"weights": [[[1]], [[1]], [[1]]]}})
    >>> sorted(null_inputs(p, forward(p)))   # sample 1: layer 1 is off, so layer 2 sees 0
    [(1, 1)]
    """
    if problem.biases or problem.activation != "relu":
        return frozenset()
    out = set()
    for j, zs in enumerate(fw.preactivations):
        null = not any(problem.inputs[j])
        for k, layer in enumerate(zs):
            if null:
                out.add((j, k))
            null = null or all(z < 0 for z in layer)
    return frozenset(out)


def true_boundary(problem: Problem, fw: Forward) -> list[tuple[int, int, int]]:
    """The boundary triples of a forward pass, without those of :func:`null_inputs` (``z`` is 0 for every
    ``θ`` nearby there)."""
    nulls = null_inputs(problem, fw)
    return [t for t in fw.boundary if (t[0], t[1]) not in nulls]


def loss(problem: Problem, params: Params | None = None, pattern: Pattern | None = None) -> Fraction:
    """The exact loss ``L = α Σ_j ‖f(x_j) − y_j‖² + λ ‖θ_decayed‖²`` (of the piece, with ``pattern``)."""
    params = _point(problem, params)
    fw = forward(problem, params, pattern)
    data = sum(((f - y) ** 2 for fs, ys in zip(fw.outputs, problem.targets) for f, y in zip(fs, ys)), Fraction(0))
    theta = problem.flatten(params)
    decay = sum((t * t for t, on in zip(theta, problem.decayed()) if on), Fraction(0))
    return problem.alpha * data + problem.weight_decay * decay


def pattern_to_json(pattern: Pattern) -> list[list[str]]:
    """``[["10"], ["11"]]`` style: per sample, per hidden layer, one character per unit."""
    return [["".join(str(bit) for bit in layer) for layer in sample] for sample in pattern]


def pattern_from_json(obj: Any, problem: Problem) -> Pattern:
    """Validate and read a JSON pattern for ``problem``.

    Raises
    ------
    PatternError
        If the shape does not match the hidden layers or a character is not ``0``/``1``.
    """
    hidden = problem.widths[1:-1]
    if not isinstance(obj, list) or len(obj) != problem.samples:
        raise PatternError(f"pattern: expected a list of {problem.samples} samples (got {describe(obj)})")
    out = []
    for j, sample in enumerate(obj):
        if not isinstance(sample, list) or len(sample) != len(hidden):
            raise PatternError(f"pattern[{j}]: expected a list of {len(hidden)} hidden layers (got {describe(sample)})")
        layers = []
        for k, (bits, n) in enumerate(zip(sample, hidden)):
            if not isinstance(bits, str) or len(bits) != n or set(bits) - {"0", "1"}:
                raise PatternError(f"pattern[{j}][{k}]: expected a string of {n} characters 0/1 (got {describe(bits)})")
            layers.append(tuple(int(c) for c in bits))
        out.append(tuple(layers))
    return tuple(out)


def _point(problem: Problem, params: Params | None) -> Params:
    if params is not None:
        return params
    if problem.point is None:
        raise ValueError("the problem has no point")
    return problem.point


def augmented(problem: Problem, params: Params) -> list[list[list[Fraction]]]:
    """The matrices ``W̃_k`` (``[W_k b_k; 0 1]`` for hidden layers, ``[W b]`` for the output layer).

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1]},
    ...     "loss": {"weight_decay": 1}, "data": {"inputs": [[1]], "targets": [[1]]},
    ...     "point": {"weights": [[[2]], [[3]]], "biases": [[5], [7]]}})
    >>> [[[str(v) for v in row] for row in M] for M in augmented(p, p.point)]
    [[['2', '5'], ['0', '1']], [['3', '7']]]
    """
    out = []
    for k, W in enumerate(params.weights):
        if params.biases is None:
            out.append([list(row) for row in W])
            continue
        M = [list(row) + [params.biases[k][i]] for i, row in enumerate(W)]
        if k < problem.depth:
            M.append([Fraction(0)] * len(W[0]) + [Fraction(1)])
        out.append(M)
    return out
