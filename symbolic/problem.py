"""Problems: a network architecture, a loss, training data and an optional point (docs/SPEC.md §2).

A :class:`Problem` is immutable and exact: every number is a :class:`fractions.Fraction`. The flat
parameter vector ``θ`` uses the canonical order of docs/SPEC.md §1: for each layer ``k = 1..H+1`` the rows of
``W_k`` (row-major), then ``b_k``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Callable, Sequence, TypeVar

from .exceptions import ProblemError
from .rationals import MAX_DIGITS, canonical, describe, loads, parse_rational

FORMAT = "pscert.problem/1"
MAX_WIDTH = 10_000
ACTIVATIONS = ("relu", "identity")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

Vector = tuple[Fraction, ...]
Matrix = tuple[Vector, ...]


@dataclass(frozen=True)
class Params:
    """Weights ``W_1..W_{H+1}`` (each a tuple of rows) and biases ``b_1..b_{H+1}`` (or ``None``)."""

    weights: tuple[Matrix, ...]
    biases: tuple[Vector, ...] | None


@dataclass(frozen=True)
class Problem:
    """A pscert problem (docs/SPEC.md §2), validated and exact."""

    widths: tuple[int, ...]
    biases: bool
    decay_biases: bool
    activation: str
    reduction: str
    weight_decay: Fraction
    inputs: Matrix
    targets: Matrix
    point: Params | None = None
    name: str = ""

    @property
    def depth(self) -> int:
        """Number of hidden layers ``H``."""
        return len(self.widths) - 2

    @property
    def samples(self) -> int:
        return len(self.inputs)

    @property
    def alpha(self) -> Fraction:
        """The data-term weight: ``1/N`` for ``"mean"``, ``1`` for ``"sum"``."""
        return Fraction(1, self.samples) if self.reduction == "mean" else Fraction(1)

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """Number of parameters of each layer ``k = 1..H+1`` (weights then biases)."""
        w = self.widths
        return tuple(w[k + 1] * (w[k] + (1 if self.biases else 0)) for k in range(len(w) - 1))

    @property
    def parameter_count(self) -> int:
        return sum(self.layer_sizes)

    def decayed(self) -> tuple[bool, ...]:
        """For each parameter in canonical order, whether the weight-decay term includes it."""
        mask: list[bool] = []
        for k in range(len(self.widths) - 1):
            mask += [True] * (self.widths[k + 1] * self.widths[k])
            if self.biases:
                mask += [self.decay_biases] * self.widths[k + 1]
        return tuple(mask)

    def flatten(self, params: Params) -> list[Fraction]:
        """The parameter vector ``θ`` of ``params`` in canonical order."""
        theta: list[Fraction] = []
        for k, W in enumerate(params.weights):
            for row in W:
                theta.extend(row)
            if params.biases is not None:
                theta.extend(params.biases[k])
        return theta

    def unflatten(self, theta: Sequence[Any]) -> Params:
        """The :class:`Params` of a vector in canonical order (entries kept as given)."""
        if len(theta) != self.parameter_count:
            raise ValueError(f"expected {self.parameter_count} parameters (got {len(theta)})")
        weights, biases, pos = [], [], 0
        for k in range(len(self.widths) - 1):
            rows, cols = self.widths[k + 1], self.widths[k]
            weights.append(tuple(tuple(theta[pos + r * cols: pos + (r + 1) * cols]) for r in range(rows)))
            pos += rows * cols
            if self.biases:
                biases.append(tuple(theta[pos: pos + rows]))
                pos += rows
        return Params(tuple(weights), tuple(biases) if self.biases else None)

    def with_point(self, point: Params | None) -> "Problem":
        return replace(self, point=point)


def load_problem(path: str, max_digits: int = MAX_DIGITS) -> Problem:
    """Read and validate a problem file.

    Raises
    ------
    ProblemError
        Naming the file and the JSON path of the first fault.
    """
    source = os.fspath(path)
    try:
        # utf-8-sig: a byte-order mark, as some editors write, is not an error in a lenient input
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except UnicodeDecodeError as err:
        byte = err.object[err.start:err.start + 1].hex()
        raise ProblemError("", f"must be UTF-8 text (got byte 0x{byte} at offset {err.start})", source)
    except OSError as err:
        raise ProblemError("", f"cannot read file ({err.strerror or err})", source)
    try:
        return parse_problem(loads(text), max_digits)
    except ProblemError as err:
        raise err.with_source(source)


def parse_problem(obj: Any, max_digits: int = MAX_DIGITS) -> Problem:
    """Validate a decoded JSON object as a ``pscert.problem/1`` problem.

    Every number is read by :func:`~symbolic.rationals.parse_rational` (lenient forms, exact values).
    Normalisation: absent optional fields take their defaults (biases on and decayed, ReLU, mean), and
    without biases ``decay_biases`` is stored as ``True``, so that ``problem_to_json`` round-trips.

    Raises
    ------
    ProblemError
        At the first fault, with its JSON path: wrong shapes, missing fields, unknown or repeated keys,
        bad numbers, a negative weight decay, a wrong format version.

    Examples
    --------
    >>> p = parse_problem({"format": "pscert.problem/1",
    ...     "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> p.parameter_count, p.weight_decay
    (2, Fraction(1, 4))
    """
    top = _object(obj, "", {"format", "name", "network", "loss", "data", "point"}, {"format", "network", "loss", "data"})
    if top["format"] != FORMAT:
        raise ProblemError("format", f"must be {describe(FORMAT)} (got {describe(top['format'])})")
    name = top.get("name", "")
    if not isinstance(name, str):
        raise ProblemError("name", f"must be a string (got {describe(name)})")

    net = _object(top["network"], "network", {"widths", "biases", "decay_biases", "activation"}, {"widths"})
    widths = net["widths"]
    if not isinstance(widths, list) or len(widths) < 2:
        raise ProblemError("network.widths", f"must be a list of at least 2 positive integers (got {describe(widths)})")
    for i, w in enumerate(widths):
        if isinstance(w, bool) or not isinstance(w, int) or not 1 <= w <= MAX_WIDTH:
            raise ProblemError(f"network.widths[{i}]", f"must be an integer from 1 to {MAX_WIDTH} (got {describe(w)})")
    biases = _bool(net, "biases", "network", True)
    decay_biases = _bool(net, "decay_biases", "network", True)
    activation = net.get("activation", "relu")
    if activation not in ACTIVATIONS:
        raise ProblemError("network.activation", f"must be one of {', '.join(ACTIVATIONS)} (got {describe(activation)})")

    loss = _object(top["loss"], "loss", {"reduction", "weight_decay"}, {"weight_decay"})
    reduction = loss.get("reduction", "mean")
    if reduction not in ("mean", "sum"):
        raise ProblemError("loss.reduction", f"must be \"mean\" or \"sum\" (got {describe(reduction)})")
    lam = parse_rational(loss["weight_decay"], "loss.weight_decay", max_digits)
    if lam < 0:
        raise ProblemError("loss.weight_decay", f"must be non-negative (got {canonical(lam)})")

    data = _object(top["data"], "data", {"inputs", "targets"}, {"inputs", "targets"})
    inputs = _matrix(data["inputs"], "data.inputs", None, widths[0], max_digits)
    if not inputs:
        raise ProblemError("data.inputs", "must hold at least one sample (got 0)")
    targets = _matrix(data["targets"], "data.targets", len(inputs), widths[-1], max_digits)

    # Without biases decay_biases means nothing; one value keeps equal problems equal (and round trips).
    decay_biases = decay_biases or not biases
    problem = Problem(tuple(widths), biases, decay_biases, activation, reduction, lam, inputs, targets, None, name)
    point = top.get("point")
    if point is not None:
        problem = problem.with_point(_point(point, problem, max_digits))
    return problem


def problem_to_json(problem: Problem, with_point: bool = True) -> dict[str, Any]:
    """The canonical JSON object of a problem (all numbers canonical strings)."""
    out: dict[str, Any] = {"format": FORMAT}
    if problem.name:
        out["name"] = problem.name
    net: dict[str, Any] = {"widths": list(problem.widths), "biases": problem.biases}
    if problem.biases:
        net["decay_biases"] = problem.decay_biases
    if problem.activation != "relu":
        net["activation"] = problem.activation
    out["network"] = net
    out["loss"] = {"reduction": problem.reduction, "weight_decay": canonical(problem.weight_decay)}
    out["data"] = {"inputs": _rows(problem.inputs), "targets": _rows(problem.targets)}
    if with_point and problem.point is not None:
        out["point"] = params_to_json(problem.point)
    return out


def params_to_json(params: Params) -> dict[str, Any]:
    """The ``point`` layout of docs/SPEC.md §2 with canonical strings."""
    out: dict[str, Any] = {"weights": [_rows(W) for W in params.weights]}
    out["biases"] = [[canonical(v) for v in b] for b in params.biases] if params.biases is not None else None
    return out


def parse_params(obj: Any, problem: Problem, path: str = "point", max_digits: int = MAX_DIGITS) -> Params:
    """Validate a point (``{"weights": …, "biases": …}``) against the problem's shapes."""
    return _point(obj, problem, max_digits, path)


def _point(obj: Any, problem: Problem, max_digits: int, path: str = "point") -> Params:
    pt = _object(obj, path, {"weights", "biases"}, {"weights"})
    w = problem.widths
    layers = len(w) - 1
    raw = pt["weights"]
    if not isinstance(raw, list) or len(raw) != layers:
        raise ProblemError(f"{path}.weights", f"expected {layers} layers (got {describe(raw)})")
    weights = tuple(_matrix(raw[k], f"{path}.weights[{k}]", w[k + 1], w[k], max_digits) for k in range(layers))
    if problem.biases and "biases" not in pt:
        raise ProblemError(f"{path}.biases", "missing required field (network.biases is true)")
    rawb = pt.get("biases")
    if not problem.biases:
        if rawb is not None:
            raise ProblemError(f"{path}.biases", "must be absent or null when network.biases is false (got a value)")
        return Params(weights, None)
    if not isinstance(rawb, list) or len(rawb) != layers:
        raise ProblemError(f"{path}.biases", f"expected {layers} layers (got {describe(rawb)})")
    biases = tuple(_vector(rawb[k], f"{path}.biases[{k}]", w[k + 1], max_digits) for k in range(layers))
    return Params(weights, biases)


def _object(obj: Any, path: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise ProblemError(path or "(top level)", f"must be an object (got {describe(obj)})")
    duplicates = getattr(obj, "duplicates", ())  # set by rationals.loads; a plain dict has none
    if duplicates:
        raise ProblemError(_join(path, duplicates[0]), "duplicate key (each key may appear once in an object)")
    for key in obj:
        if key not in allowed:
            raise ProblemError(_join(path, key), f"unknown key (allowed: {', '.join(sorted(allowed))})")
    for key in sorted(required):
        if key not in obj:
            raise ProblemError(_join(path, key), "missing required field")
    return obj


def _bool(obj: dict[str, Any], key: str, path: str, default: bool) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise ProblemError(_join(path, key), f"must be true or false (got {describe(value)})")
    return value


def _matrix(obj: Any, path: str, rows: int | None, cols: int, max_digits: int) -> Matrix:
    if not isinstance(obj, list):
        raise ProblemError(path, f"must be a list (got {describe(obj)})")
    if rows is not None and len(obj) != rows:
        raise ProblemError(path, f"expected {rows} entries (got {len(obj)})")
    return tuple(_vector(row, f"{path}[{i}]", cols, max_digits) for i, row in enumerate(obj))


def _vector(obj: Any, path: str, n: int, max_digits: int) -> Vector:
    if not isinstance(obj, list):
        raise ProblemError(path, f"must be a list of {n} numbers (got {describe(obj)})")
    if len(obj) != n:
        raise ProblemError(path, f"expected {n} entries (got {len(obj)})")
    return tuple(parse_rational(v, f"{path}[{i}]", max_digits) for i, v in enumerate(obj))


def _rows(M: Matrix) -> list[list[str]]:
    return [[canonical(v) for v in row] for row in M]


def _join(path: str, key: str) -> str:
    # A key that is not a plain name is quoted, so that the path stays one unambiguous line.
    part = key if _NAME.match(key) else f"[{describe(key)}]"
    return f"{path}.{part}" if path and part[0] != "[" else f"{path}{part}"


_T = TypeVar("_T")


def per_problem(fn: Callable[[Problem], _T]) -> Callable[[Problem], _T]:
    """``fn(problem)``, remembered for the last four problems by identity: ``Problem`` is immutable, and the
    searches ask for the same problem's derived data many times. Each entry keeps its problem alive, so its
    ``id`` is not reused while the entry stands.

    >>> calls = []
    >>> widths = per_problem(lambda p: calls.append(1) or p.widths)
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1]},
    ...     "loss": {"weight_decay": "0"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> widths(p), widths(p), len(calls)
    ((1, 1), (1, 1), 1)
    """
    cache: dict[int, tuple[Problem, _T]] = {}

    def remembered(problem: Problem) -> _T:
        hit = cache.get(id(problem))
        if hit is not None and hit[0] is problem:
            return hit[1]
        value = fn(problem)
        if len(cache) >= 4:
            del cache[next(iter(cache))]
        cache[id(problem)] = (problem, value)
        return value

    return remembered
