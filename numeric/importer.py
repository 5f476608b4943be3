"""Problems from trained models: NumPy ``.npz`` files and PyTorch ``state_dict`` files (``pscert import``).

**Layer names.** A model is a fully connected ReLU network (docs/SPEC.md §1): linear layers, ReLU between
them, a linear output. Its arrays are named in one of two ways:

* ``W1, b1, W2, b2, …`` (``w``/``B`` in either case; numbered consecutively from 0 or 1), with
  ``W_k`` of shape ``(n_k, n_{k-1})`` (the SPEC's, and PyTorch's, ``out × in``);
* PyTorch style ``<module>.weight`` and ``<module>.bias``, where the module names differ only in one
  integer, which orders them: ``layers.0, layers.1``; ``0, 2, 4`` (an ``nn.Sequential`` with ReLUs
  between); ``fc1, fc2``.

Biases are on every layer or on none. Any other name (``bn.running_mean``), a weight that is not a
matrix (a convolution's rank-4 kernel), or shapes that do not chain are errors naming the array.
A ``.npz`` model may also hold the training data (below) under the reserved names.

**Data.** A ``.npz`` with arrays ``inputs`` and ``targets``, or ``X`` and ``y`` (a vector is one
column), or a CSV file: one sample per row, the input columns then the last ``n_out`` columns as
targets, an optional header row (a first row that is not all numbers). CSV numbers are read as the
decimal literal written (``0.1`` is ``1/10``), as in problem files.

**Floats to rationals.** Every float becomes its exact binary value (``Fraction(float)``; float32 and
float16 values are exact in float64), or, with a ``denominator`` ``Q``, the weights are rounded to
the nearest multiple of ``1/Q``; the problem's ``name`` says which. Array data is always exact.

PyTorch is optional: files are read with ``torch.load(path, weights_only=True)``, never by
unpickling arbitrary objects.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import os
import re
import zipfile
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping

import numpy as np

from symbolic.exceptions import ProblemError
from symbolic.problem import Problem, parse_problem
from symbolic.rationals import canonical, parse_rational

DATA_NAMES = (("inputs", "targets"), ("X", "y"))
"""The accepted names of the training data arrays, as (inputs, targets) pairs."""

_NUMBERED = re.compile(r"([WwBb])(\d+)\Z")
_MODULE = re.compile(r"(.+)\.(weight|bias)\Z")


@dataclass(frozen=True)
class Layer:
    """One linear layer: ``weight`` is ``out × in``; ``names`` are the arrays it came from (for errors)."""

    weight: np.ndarray
    bias: np.ndarray | None
    weight_name: str
    bias_name: str


def import_model(model: str, data: str | None = None, weight_decay: Fraction | str = "0", reduction: str = "mean",
                 denominator: int | None = None, targets: int | None = None, decay_biases: bool = True) -> Problem:
    """The problem of a trained model, with its weights as the point.

    Parameters
    ----------
    model
        A ``.npz`` file or a PyTorch ``state_dict`` file (see the module notes for the names).
    data
        A ``.npz`` or CSV file of training data; ``None`` to use arrays stored in a ``.npz`` model.
    weight_decay
        ``λ`` of docs/SPEC.md §1 (``L = α Σ‖f − y‖² + λ‖θ‖²``); PyTorch's ``SGD(weight_decay=w)`` with
        ``MSELoss()`` on a scalar output is ``λ = w/2``.
    reduction
        ``"mean"`` or ``"sum"``.
    denominator
        ``None`` for exact binary values, else weights round to multiples of ``1/denominator``.
    targets
        Number of target columns; must equal the model's output width (the default).
    decay_biases
        Whether the decay term includes the biases.

    Raises
    ------
    ProblemError
        Naming the file and the array, layer or row at fault.

    Examples
    --------
    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "m.npz")
    >>> np.savez(path, W1=[[0.5]], W2=[[2.0]], X=[1.0], y=[1.0])
    >>> p = import_model(path, weight_decay="1/4")
    >>> p.widths, p.point.weights, p.name
    ((1, 1, 1), (((Fraction(1, 2),),), ((Fraction(2, 1),),)), 'imported from m.npz; weights = exact float64 binary values')
    """
    lam = parse_rational(weight_decay, "--weight-decay") if not isinstance(weight_decay, Fraction) else weight_decay
    if lam < 0:
        raise ProblemError("--weight-decay", f"must be non-negative (got {canonical(lam)})")
    arrays = read_arrays(model)
    stored = {k: arrays.pop(k) for k in [n for pair in DATA_NAMES for n in pair] if k in arrays}
    layers = model_layers(arrays, model)
    n_in, n_out = layers[0].weight.shape[1], layers[-1].weight.shape[0]
    if targets is not None and targets != n_out:
        raise ProblemError("--targets", f"must equal the model's output width {n_out} (got {targets})")
    if data is not None:
        inputs, outputs = read_data(data, n_in, n_out)
    elif stored:
        inputs, outputs = data_arrays(stored, n_in, n_out, model)
    else:
        raise ProblemError("--data", f"required: the model holds no {' / '.join('+'.join(p) for p in DATA_NAMES)} arrays",
                           model)
    widths = [n_in] + [layer.weight.shape[0] for layer in layers]
    biases = layers[0].bias is not None
    point = {"weights": [_rational_rows(layer.weight, denominator) for layer in layers],
             "biases": [[canonical(q) for q in _rationals(_bias(layer), denominator)] for layer in layers] if biases else None}
    name = f"imported from {os.path.basename(model)}"
    name += f" (data {os.path.basename(data)})" if data is not None else ""
    obj = {"format": "pscert.problem/1", "name": f"{name}; weights = {conversion_note(denominator)}",
           "network": {"widths": widths, "biases": biases, "decay_biases": decay_biases},
           "loss": {"reduction": reduction, "weight_decay": canonical(lam)},
           "data": {"inputs": inputs, "targets": outputs}, "point": point}
    return parse_problem(obj)


def read_arrays(path: str) -> dict[str, np.ndarray]:
    """The named arrays of a ``.npz`` file or of a PyTorch ``state_dict`` (as float64 or integer arrays)."""
    if path.lower().endswith(".npz") or _is_npz(path):
        return _read_npz(path)
    return _read_torch(path)


def model_layers(arrays: Mapping[str, np.ndarray], source: str = "") -> list[Layer]:
    """Order and check the layers of a model from its named arrays (see the module notes).

    Examples
    --------
    >>> [l.weight_name for l in model_layers({"fc2.weight": np.ones((1, 3)), "fc1.weight": np.ones((3, 2))})]
    ['fc1.weight', 'fc2.weight']
    """
    if not arrays:
        raise ProblemError("", "holds no arrays: expected W1, b1, … or <module>.weight, <module>.bias", source)
    numbered: dict[int, dict[str, str]] = {}
    modules: dict[str, dict[str, str]] = {}
    for key in sorted(arrays):
        m, n = _NUMBERED.match(key), _MODULE.match(key)
        if m:
            numbered.setdefault(int(m.group(2)), {})["weight" if m.group(1) in "Ww" else "bias"] = key
        elif n:
            modules.setdefault(n.group(1), {})[n.group(2)] = key
        else:
            raise ProblemError(key, "is not a parameter of a fully connected ReLU network "
                               "(accepted: W1, b1, … or <module>.weight, <module>.bias)", source)
        _check_array(key, arrays[key], source)
    if numbered and modules:
        first = min(key for slot in modules.values() for key in slot.values())
        raise ProblemError(first, "cannot be mixed with W1, b1, … names in one model", source)
    slots = _order_numbered(numbered, source) if numbered else _order_modules(modules, source)
    layers = []
    for slot in slots:
        if "weight" not in slot:
            raise ProblemError(slot["bias"], "has no matching weight", source)
        wname, bname = slot["weight"], slot.get("bias", "")
        layers.append(Layer(arrays[wname], arrays[bname] if bname else None, wname, bname))
    _check_chain(layers, source)
    return layers


def _order_numbered(numbered: dict[int, dict[str, str]], source: str) -> list[dict[str, str]]:
    indices = sorted(numbered)
    expected = list(range(indices[0], indices[0] + len(indices)))
    if indices[0] not in (0, 1) or indices != expected:
        names = ", ".join(next(iter(numbered[i].values())) for i in indices)
        raise ProblemError("", f"layer numbers must run consecutively from 0 or 1 (got {names})", source)
    return [numbered[i] for i in indices]


def _order_modules(modules: dict[str, dict[str, str]], source: str) -> list[dict[str, str]]:
    """Order modules by the one integer in which their names differ (``layers.0``, ``layers.1``)."""
    if len(modules) == 1:
        return list(modules.values())
    split = {name: re.split(r"(\d+)", name) for name in modules}
    templates = {tuple("#" if i % 2 else part for i, part in enumerate(parts)) for parts in split.values()}
    varying: list[int] = []
    if len(templates) == 1:
        parts = list(split.values())
        varying = [i for i in range(1, len(parts[0]), 2) if len({p[i] for p in parts}) > 1]
    numbers = {int(split[name][varying[0]]) for name in modules} if len(varying) == 1 else set()
    if len(numbers) != len(modules):
        raise ProblemError("", "cannot order the layers: module names must differ only in one integer "
                           f"(got {', '.join(sorted(modules))})", source)
    return [modules[name] for name in sorted(modules, key=lambda name: int(split[name][varying[0]]))]


def _check_array(key: str, value: np.ndarray, source: str) -> None:
    if value.dtype.kind not in "fiu":
        raise ProblemError(key, f"must hold real numbers (got dtype {value.dtype})", source)
    is_weight = key.endswith(".weight") or (_NUMBERED.match(key) is not None and key[0] in "Ww")
    rank = 2 if is_weight else 1
    if value.ndim != rank:
        what = "weight matrix (out × in) of a fully connected layer" if is_weight else "bias vector"
        hint = ", a convolution kernel?" if is_weight and value.ndim in (3, 4, 5) else ""
        raise ProblemError(key, f"must be a rank-{rank} {what} (got shape {tuple(value.shape)}{hint})", source)
    if value.size == 0:
        raise ProblemError(key, f"must not be empty (got shape {tuple(value.shape)})", source)
    if not np.all(np.isfinite(value)):
        raise ProblemError(key, "must hold finite numbers (got NaN or infinity)", source)


def _check_chain(layers: list[Layer], source: str) -> None:
    with_bias = [layer for layer in layers if layer.bias is not None]
    if with_bias and len(with_bias) != len(layers):
        missing = next(layer for layer in layers if layer.bias is None)
        raise ProblemError(missing.weight_name, f"has no bias, but {with_bias[0].bias_name} exists: pscert needs "
                           "a bias on every layer or on none", source)
    for k, layer in enumerate(layers):
        rows, cols = layer.weight.shape
        if k and cols != layers[k - 1].weight.shape[0]:
            prev = layers[k - 1]
            raise ProblemError(layer.weight_name, f"shape must be (m, {prev.weight.shape[0]}) to follow {prev.weight_name} "
                               f"of shape {tuple(prev.weight.shape)} (got {tuple(layer.weight.shape)})", source)
        if layer.bias is not None and layer.bias.shape != (rows,):
            raise ProblemError(layer.bias_name, f"shape must be ({rows},) to match {layer.weight_name} "
                               f"(got {tuple(layer.bias.shape)})", source)


def read_data(path: str, n_in: int, n_out: int) -> tuple[list[list[str]], list[list[str]]]:
    """Inputs and targets (canonical strings) from a ``.npz`` or CSV file, checked against the widths."""
    if path.lower().endswith(".npz") or _is_npz(path):
        return data_arrays(_read_npz(path), n_in, n_out, path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = [(i + 1, row) for i, row in enumerate(csv.reader(fh)) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise ProblemError("", f"cannot read as CSV ({err.__class__.__name__}: {err})", path)
    if rows and not all(_is_number(cell) for cell in rows[0][1]):
        rows = rows[1:]  # a header
    if not rows:
        raise ProblemError("", "must hold at least one sample row (got none)", path)
    inputs, outputs = [], []
    for line, row in rows:
        if len(row) != n_in + n_out:
            raise ProblemError(f"row {line}", f"expected {n_in + n_out} columns ({n_in} inputs, {n_out} targets) "
                               f"(got {len(row)})", path)
        try:
            values = [canonical(parse_rational(cell, f"row {line} column {c + 1}")) for c, cell in enumerate(row)]
        except ProblemError as err:
            raise err.with_source(path)
        inputs.append(values[:n_in])
        outputs.append(values[n_in:])
    return inputs, outputs


def data_arrays(arrays: Mapping[str, np.ndarray], n_in: int, n_out: int, source: str) -> tuple[list[list[str]], list[list[str]]]:
    """Inputs and targets from named arrays (``inputs``/``targets`` or ``X``/``y``), exactly."""
    pair = next((p for p in DATA_NAMES if p[0] in arrays and p[1] in arrays), None)
    if pair is None:
        names = " or ".join(f"{a} and {b}" for a, b in DATA_NAMES)
        raise ProblemError("", f"must hold arrays {names} (got {', '.join(sorted(arrays)) or 'none'})", source)
    out = []
    for key, width in zip(pair, (n_in, n_out)):
        value = np.asarray(arrays[key])
        if value.dtype.kind not in "fiu" or not np.all(np.isfinite(value)):
            raise ProblemError(key, f"must hold finite real numbers (got dtype {value.dtype})", source)
        if value.ndim == 1 and width == 1:
            value = value.reshape(-1, 1)
        if value.ndim != 2 or value.shape[1] != width:
            role = "input" if key == pair[0] else "output"
            raise ProblemError(key, f"shape must be (N, {width}) for the model's {role} width {width} "
                               f"(got {tuple(value.shape)})", source)
        out.append(_rational_rows(value, None))
    if len(out[0]) != len(out[1]) or not out[0]:
        raise ProblemError(pair[1], f"must have one row per input row ({len(out[0])}) (got {len(out[1])})", source)
    return out[0], out[1]


def float_to_rational(x: float, denominator: int | None = None) -> Fraction:
    """The exact binary value of a float, or its nearest multiple of ``1/denominator`` (ties to even).

    >>> float_to_rational(0.1)
    Fraction(3602879701896397, 36028797018963968)
    >>> float_to_rational(0.1, 2**4)
    Fraction(1, 8)
    """
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"cannot convert {x} to a rational")
    q = Fraction(x)
    return q if denominator is None else Fraction(round(q * denominator), denominator)


def parse_denominator(text: str, where: str = "--denominator") -> int:
    """A positive integer written ``"1099511627776"``, ``"2^40"`` or ``"2**40"``.

    >>> parse_denominator("2^40") == 2**40
    True
    """
    t = text.strip().replace("**", "^")
    try:
        if "^" in t:
            base, _, exp = t.partition("^")
            b, e = int(base), int(exp)
            value = b ** e if 0 <= e <= 4096 and 1 <= b <= 1024 else 0
        else:
            value = int(t) if len(t) <= 1300 else 0
    except ValueError:
        value = 0
    if value < 1:
        raise ProblemError(where, f"must be a positive integer or a power such as 2^40 (got {text!r})")
    return value


def conversion_note(denominator: int | None) -> str:
    """How floats became rationals, for a problem's ``name``."""
    if denominator is None:
        return "exact float64 binary values"
    if denominator > 1 and denominator & (denominator - 1) == 0:
        return f"rounded to multiples of 1/2^{denominator.bit_length() - 1}"
    return f"rounded to multiples of 1/{denominator}"


def _rational_rows(matrix: np.ndarray, denominator: int | None) -> list[list[str]]:
    return [[canonical(q) for q in _rationals(row, denominator)] for row in matrix]


def _rationals(vector: np.ndarray, denominator: int | None) -> list[Fraction]:
    if vector.dtype.kind in "iu":
        return [Fraction(int(v)) for v in vector]
    return [float_to_rational(float(v), denominator) for v in vector]


def _is_npz(path: str) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return False
    return bool(names) and all(n.endswith(".npy") for n in names)


def _read_npz(path: str) -> dict[str, np.ndarray]:
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise ProblemError("", f"cannot read as .npz ({err.__class__.__name__}: {err})", path)
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ProblemError("", "must be a .npz archive of named arrays (got a single .npy array)", path)
    out = {}
    with npz:
        for key in npz.files:
            try:
                out[key] = np.asarray(npz[key])
            except ValueError as err:  # object arrays need pickle, which is refused
                raise ProblemError(key, f"must be a numeric array ({err})", path)
    return out


def _read_torch(path: str) -> dict[str, np.ndarray]:
    if importlib.util.find_spec("torch") is None:
        raise ProblemError("", "reading a PyTorch state_dict needs torch, which is not installed "
                           "(pip install torch, or save the arrays with numpy.savez)", path)
    import torch

    try:
        obj: Any = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types; the file is refused in every case
        raise ProblemError("", f"cannot read as a PyTorch state_dict with weights_only=True ({err.__class__.__name__})", path)
    if not isinstance(obj, Mapping):
        raise ProblemError("", f"must be a state_dict (a mapping of names to tensors) (got {type(obj).__name__})", path)
    out = {}
    for key, value in obj.items():
        if not torch.is_tensor(value):
            raise ProblemError(str(key), f"must be a tensor (got {type(value).__name__})", path)
        value = value.detach().cpu()
        out[str(key)] = (value.to(torch.float64) if value.is_floating_point() else value).numpy()
    return out


def _is_number(cell: str) -> bool:
    try:
        parse_rational(cell, "")
    except ProblemError:
        return False
    return True


def _bias(layer: Layer) -> np.ndarray:
    """A layer's bias vector (the chain check made every layer have one when the first has)."""
    if layer.bias is None:
        raise ProblemError("", "every layer must have a bias when the first has one (got a layer without)")
    return layer.bias
