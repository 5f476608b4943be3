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
A ``.npz`` model or a ``state_dict`` may also hold the training data (below) under their names.

**Data** files are read by :mod:`numeric.datafiles` (CSV, ``.npy``, ``.npz``, ``torch.save``).

**The PyTorch objective.** ``nn.MSELoss()`` (``reduction="mean"``) is ``(1/(N·k)) Σ_j ‖f(x_j) − y_j‖²`` for
``k`` outputs, and SGD's or Adam's ``weight_decay=w`` adds ``w·θ`` to the gradient, so training minimises
``T = MSE + (w/2)‖θ‖²``. pscert's mean objective ``L = (1/N) Σ_j ‖f(x_j) − y_j‖² + λ‖θ‖²`` equals ``k·T``
when ``λ = k·w/2``: the same minimisers, the gradient and Hessian scaled by ``k``. With
``reduction="sum"``, ``T = Σ_j ‖f(x_j) − y_j‖² + (w/2)‖θ‖²`` is pscert's ``"sum"`` objective with ``λ = w/2``.
AdamW's decoupled decay is not the gradient of such an objective and has no counterpart.

**Floats to rationals.** Every float becomes its exact binary value (``Fraction(float)``; float32 and
float16 values are exact in float64), or, with a ``denominator`` ``Q``, the weights are rounded to
the nearest multiple of ``1/Q``; the problem's ``name`` says which. Array data is always exact.

PyTorch is optional: its files are read with ``torch.load(path, weights_only=True)``, never by
unpickling arbitrary objects.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

import numpy as np

from numeric.datafiles import (FORMAT_NAMES, INPUT_NAMES, TARGET_NAMES, data_arrays, file_format,
                               rational_rows, rationals, read_data, read_npz, tensor_array, torch_load)
from symbolic.exceptions import ProblemError
from symbolic.problem import Problem, parse_problem
from symbolic.rationals import canonical, parse_rational

TORCH_LOSSES = ("mse-mean", "mse-sum")
"""``nn.MSELoss(reduction="mean")`` and ``nn.MSELoss(reduction="sum")``."""

MODEL_FORMATS = "a NumPy .npz of named arrays or a PyTorch state_dict (torch.save(model.state_dict(), path))"

_NUMBERED = re.compile(r"([WwBb])(\d+)\Z")
_MODULE = re.compile(r"(.+)\.(weight|bias)\Z")


@dataclass(frozen=True)
class Layer:
    """One linear layer: ``weight`` is ``out × in``; ``names`` are the arrays it came from (for errors)."""

    weight: np.ndarray
    bias: np.ndarray | None
    weight_name: str
    bias_name: str


def import_model(model: str, data: str | None = None, weight_decay: Fraction | str | None = None,
                 reduction: str | None = None, denominator: int | None = None, targets: int | None = None,
                 decay_biases: bool = True, torch_loss: str | None = None,
                 torch_weight_decay: Fraction | str | None = None) -> Problem:
    """The problem of a trained model, with its weights as the point.

    Parameters
    ----------
    model
        A ``.npz`` file or a PyTorch ``state_dict`` file (see the module notes for the names).
    data
        Training data (:mod:`numeric.datafiles`); ``None`` to use arrays stored in the model file.
    weight_decay
        pscert's ``λ`` of docs/SPEC.md §1 (``L = α Σ‖f − y‖² + λ‖θ‖²``), exact; default 0.
    reduction
        pscert's ``"mean"`` (the default) or ``"sum"``.
    denominator
        ``None`` for exact binary values, else weights round to multiples of ``1/denominator``.
    targets
        Number of target columns; must equal the model's output width (the default).
    decay_biases
        Whether the decay term includes the biases.
    torch_loss, torch_weight_decay
        The objective as trained in PyTorch instead: ``"mse-mean"`` (the default) or ``"mse-sum"``, and
        the optimizer's ``weight_decay``; ``λ`` and the reduction follow (:func:`torch_objective`). They
        exclude ``weight_decay`` and ``reduction``.

    Raises
    ------
    ProblemError
        Naming the file and the array, layer or row at fault, or the clashing options.

    Examples
    --------
    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "m.npz")
    >>> np.savez(path, W1=[[0.5]], W2=[[2.0]], X=[1.0], y=[1.0])
    >>> p = import_model(path, weight_decay="1/4")
    >>> p.widths, p.point.weights, p.name
    ((1, 1, 1), (((Fraction(1, 2),),), ((Fraction(2, 1),),)), 'imported from m.npz; weights = exact float64 binary values')
    """
    from_torch = torch_loss is not None or torch_weight_decay is not None
    for option, value in (("--weight-decay", weight_decay), ("--reduction", reduction)):
        if from_torch and value is not None:
            raise ProblemError(option, "cannot be combined with --torch-weight-decay or --torch-loss, which derive it")
    if torch_loss is not None and torch_loss not in TORCH_LOSSES:
        raise ProblemError("--torch-loss", f"must be one of {', '.join(TORCH_LOSSES)} (got {torch_loss!r})")
    where = "--torch-weight-decay" if from_torch else "--weight-decay"
    decay = torch_weight_decay if from_torch else weight_decay
    lam = _rational(decay if decay is not None else "0", where)
    if lam < 0:
        raise ProblemError(where, f"must be non-negative (got {canonical(lam)})")
    if reduction not in (None, "mean", "sum"):
        raise ProblemError("--reduction", f"must be mean or sum (got {reduction!r})")
    arrays = read_arrays(model)
    stored = {k: arrays.pop(k) for k in INPUT_NAMES + TARGET_NAMES if k in arrays}
    layers = model_layers(arrays, model)
    n_in, n_out = layers[0].weight.shape[1], layers[-1].weight.shape[0]
    if targets is not None and targets != n_out:
        raise ProblemError("--targets", f"must equal the model's output width {n_out} (got {targets})")
    if data is not None:
        inputs, outputs = read_data(data, n_in, n_out)
    elif stored:
        inputs, outputs = data_arrays(stored, n_in, n_out, model)
    else:
        raise ProblemError("--data", f"required: the model holds no {'/'.join(INPUT_NAMES)} and "
                           f"{'/'.join(TARGET_NAMES)} arrays", model)
    note = ""
    if from_torch:
        lam, reduction, note = torch_objective(torch_loss or "mse-mean", lam, n_out)
        note = f"; {note}"
    widths = [n_in] + [layer.weight.shape[0] for layer in layers]
    biases = layers[0].bias is not None
    point = {"weights": [rational_rows(layer.weight, denominator) for layer in layers],
             "biases": [[canonical(q) for q in rationals(_bias(layer), denominator)] for layer in layers] if biases else None}
    name = f"imported from {os.path.basename(model)}"
    name += f" (data {os.path.basename(data)})" if data is not None else ""
    obj = {"format": "pscert.problem/1", "name": f"{name}{note}; weights = {conversion_note(denominator)}",
           "network": {"widths": widths, "biases": biases, "decay_biases": decay_biases},
           "loss": {"reduction": reduction or "mean", "weight_decay": canonical(lam)},
           "data": {"inputs": inputs, "targets": outputs}, "point": point}
    return parse_problem(obj)


def torch_objective(loss: str, weight_decay: Fraction, outputs: int) -> tuple[Fraction, str, str]:
    """pscert's ``λ`` and reduction for ``nn.MSELoss`` with ``loss`` and an optimizer's ``weight_decay``.

    Returns ``(λ, reduction, note)``, the note stating the derivation (for the problem's name).

    Examples
    --------
    Two outputs, ``nn.MSELoss()`` and ``weight_decay = 1/1000``: ``λ = 2 · (1/1000)/2``.

    >>> torch_objective("mse-mean", Fraction(1, 1000), 2)[:2]
    (Fraction(1, 1000), 'mean')
    >>> torch_objective("mse-sum", Fraction(1, 1000), 2)[:2]
    (Fraction(1, 2000), 'sum')

    Notes
    -----
    See the module notes: with ``k`` outputs, mean ``L = k·T`` for ``λ = k·w/2``; sum ``L = T`` for
    ``λ = w/2``, where ``T`` is the objective torch minimised.
    """
    w = canonical(weight_decay)
    if loss == "mse-mean":
        lam = outputs * weight_decay / 2
        factor = "torch's" if outputs == 1 else f"{outputs} × torch's"
        return lam, "mean", (f"torch nn.MSELoss(reduction='mean') with weight_decay={w} on {outputs} output(s): "
                             f"λ = k·w/2 = {canonical(lam)}, reduction mean, pscert's loss = {factor}")
    lam = weight_decay / 2
    return lam, "sum", (f"torch nn.MSELoss(reduction='sum') with weight_decay={w}: λ = w/2 = {canonical(lam)}, "
                        "reduction sum, pscert's loss = torch's")


def read_arrays(path: str) -> dict[str, np.ndarray]:
    """The named arrays of a ``.npz`` file or of a PyTorch ``state_dict`` (as float64 or integer arrays)."""
    kind = file_format(path)
    if kind == "npz":
        return read_npz(path)
    if kind == "torch":
        obj = torch_load(path, "a PyTorch state_dict")
        if not isinstance(obj, Mapping):
            raise ProblemError("", f"must be a state_dict (a mapping of names to tensors) (got {type(obj).__name__})", path)
        return {str(key): tensor_array(value, str(key), path) for key, value in obj.items()}
    raise ProblemError("", f"a model must be {MODEL_FORMATS} (got {FORMAT_NAMES.get(kind or '', 'an unknown format')})", path)


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


def _rational(value: Fraction | str, where: str) -> Fraction:
    return value if isinstance(value, Fraction) else parse_rational(value, where)


def _bias(layer: Layer) -> np.ndarray:
    """A layer's bias vector (the chain check made every layer have one when the first has)."""
    if layer.bias is None:
        raise ProblemError("", "every layer must have a bias when the first has one (got a layer without)")
    return layer.bias
