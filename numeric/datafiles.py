"""Training data and arrays from files: CSV, NumPy ``.npy``/``.npz`` and ``torch.save``, read exactly.

**Data.** The format is read from the file's first bytes (its extension only where they say nothing):

* CSV: one sample per row, the input columns then the last ``n_out`` columns as targets, an optional
  header row (a first row that is not all numbers). Numbers are read as the decimal literal written
  (``0.1`` is ``1/10``), as in problem files;
* NumPy ``.npy``: one numeric array of shape ``(N, n_in + n_out)``, laid out like the CSV rows (a
  ``.npy`` of a tuple or dict is a pickled object, which is never loaded);
* NumPy ``.npz``: two arrays, the inputs named ``inputs``, ``X`` or ``x`` and the targets named
  ``targets``, ``y`` or ``Y`` (a vector is one column);
* ``torch.save`` files: a pair ``(X, Y)`` of tensors (``TensorDataset.tensors``), or a dict of tensors
  with the names above.

Any other file is refused with one line that lists these formats.

**Floats to rationals.** Every float becomes its exact binary value (``Fraction(float)``; float32 and
float16 values are exact in float64). PyTorch is optional: its files are read with
``torch.load(path, weights_only=True)``, never by unpickling arbitrary objects; nor is a pickled
``.npy`` or ``.npz`` member ever loaded.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import os
import zipfile
from fractions import Fraction
from typing import Any, Mapping

import numpy as np

from symbolic.exceptions import ProblemError
from symbolic.rationals import canonical, parse_rational

INPUT_NAMES = ("inputs", "X", "x")
TARGET_NAMES = ("targets", "y", "Y")
"""The accepted names of the training inputs and targets in a ``.npz`` or a ``torch.save`` dict."""

DATA_FORMATS = ("CSV (inputs then targets per row), NumPy .npy (one (N, inputs + targets) array), NumPy .npz "
                "(inputs/X/x and targets/y/Y arrays), torch.save of a tensor pair (X, Y) or a dict of them")

FORMAT_NAMES = {"npy": "a single .npy array", "csv": "a text file", "npz": ".npz", "torch": "a torch.save file"}
"""What each :func:`file_format` is called in messages."""


def file_format(path: str) -> str | None:
    """``"npz"``, ``"npy"``, ``"torch"``, ``"csv"`` or ``None``: by the first bytes, else by the extension.

    A zip archive of ``.npy`` members is ``.npz``, any other zip (torch's format since 1.6) or a pickle
    stream (torch's older format) is ``torch``; text that is UTF-8 is CSV.
    """
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if zipfile.is_zipfile(path):
        return "npz" if is_npz(path) else "torch"
    if head[:1] == b"\x80":  # pickle protocol 2 or later
        return "torch"
    ext = os.path.splitext(path)[1].lower()
    by_name = {".npz": "npz", ".npy": "npy", ".pt": "torch", ".pth": "torch"}
    if ext in by_name:
        return by_name[ext]  # damaged: the reader of that format says how
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3:  # not merely a character cut at the end of the sample
            return None
    return None if b"\0" in head else "csv"


def read_data(path: str, n_in: int, n_out: int) -> tuple[list[list[str]], list[list[str]]]:
    """Inputs and targets (canonical strings) from a data file (module notes), checked against the widths."""
    kind = file_format(path)
    if kind == "npz":
        return data_arrays(read_npz(path), n_in, n_out, path)
    if kind == "npy":
        return _split_columns(_read_npy(path), n_in, n_out, path)
    if kind == "torch":
        obj = torch_load(path)
        if isinstance(obj, (tuple, list)) and len(obj) == 2:
            names = ("inputs (item 0)", "targets (item 1)")
            arrays = {key: tensor_array(value, key, path) for key, value in zip(names, obj)}
            return data_arrays(arrays, n_in, n_out, path, names)
        if isinstance(obj, Mapping):  # other entries (a seed, a note) are no concern of the data
            arrays = {str(key): tensor_array(value, str(key), path) for key, value in obj.items()
                      if str(key) in INPUT_NAMES + TARGET_NAMES}
            return data_arrays(arrays, n_in, n_out, path)
        raise ProblemError("", f"must hold a pair (X, Y) of tensors or a dict of them (got {type(obj).__name__}"
                           f"{f' of length {len(obj)}' if isinstance(obj, (tuple, list)) else ''})", path)
    if kind is None:
        raise ProblemError("", f"is not a data file pscert reads; accepted: {DATA_FORMATS}", path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = [(i + 1, row) for i, row in enumerate(csv.reader(fh)) if any(cell.strip() for cell in row)]
    except (UnicodeDecodeError, csv.Error) as err:
        raise ProblemError("", f"cannot read as CSV ({err.__class__.__name__}: {err}); accepted: {DATA_FORMATS}", path)
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


def data_arrays(arrays: Mapping[str, np.ndarray], n_in: int, n_out: int, source: str,
                pair: tuple[str, str] | None = None) -> tuple[list[list[str]], list[list[str]]]:
    """Inputs and targets from named arrays (:data:`INPUT_NAMES`, :data:`TARGET_NAMES`, or ``pair``), exactly."""
    if pair is None:
        found = [[name for name in names if name in arrays] for names in (INPUT_NAMES, TARGET_NAMES)]
        for names in found:
            if len(names) > 1:
                raise ProblemError("", f"must hold one array of {' and '.join(names)}, which name the same data "
                                   f"(got both)", source)
        if not all(found):
            raise ProblemError("", f"must hold an inputs array ({', '.join(INPUT_NAMES)}) and a targets array "
                               f"({', '.join(TARGET_NAMES)}) (got {', '.join(sorted(arrays)) or 'none'})", source)
        pair = (found[0][0], found[1][0])
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
        out.append(rational_rows(value, None))
    if len(out[0]) != len(out[1]) or not out[0]:
        raise ProblemError(pair[1], f"must have one row per input row ({len(out[0])}) (got {len(out[1])})", source)
    return out[0], out[1]


def _split_columns(table: np.ndarray, n_in: int, n_out: int, source: str) -> tuple[list[list[str]], list[list[str]]]:
    """A ``(N, n_in + n_out)`` array laid out like the CSV rows, split into inputs and targets."""
    if table.ndim != 2 or table.shape[1] != n_in + n_out:
        raise ProblemError("", f"shape must be (N, {n_in + n_out}): {n_in} input then {n_out} target columns "
                           f"(got {tuple(table.shape)})", source)
    return data_arrays({"inputs": table[:, :n_in], "targets": table[:, n_in:]}, n_in, n_out, source)


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


def rational_rows(matrix: np.ndarray, denominator: int | None) -> list[list[str]]:
    return [[canonical(q) for q in rationals(row, denominator)] for row in matrix]


def rationals(vector: np.ndarray, denominator: int | None) -> list[Fraction]:
    if vector.dtype.kind in "iu":
        return [Fraction(int(v)) for v in vector]
    return [float_to_rational(float(v), denominator) for v in vector]


def is_npz(path: str) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return False
    return bool(names) and all(n.endswith(".npy") for n in names)


def read_npz(path: str) -> dict[str, np.ndarray]:
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


def _read_npy(path: str) -> np.ndarray:
    try:
        value = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:  # object arrays need pickle, which is refused
        raise ProblemError("", f"cannot read as a numeric .npy array ({err.__class__.__name__}: {err})", path)
    if not isinstance(value, np.ndarray):
        raise ProblemError("", "must be a single .npy array (got a .npz archive)", path)
    return value


def torch_load(path: str, what: str = "a torch.save file") -> Any:
    if importlib.util.find_spec("torch") is None:
        raise ProblemError("", f"reading {what} needs torch, which is not installed "
                           "(pip install torch, or save the arrays with numpy.savez)", path)
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types; the file is refused in every case
        raise ProblemError("", f"cannot read as {what} with weights_only=True ({err.__class__.__name__})", path)


def tensor_array(value: Any, key: str, path: str) -> np.ndarray:
    """A tensor as a float64 (exact for float16/32/64) or integer array."""
    import torch

    if not torch.is_tensor(value):
        raise ProblemError(key, f"must be a tensor (got {type(value).__name__})", path)
    value = value.detach().cpu()
    out: np.ndarray = (value.to(torch.float64) if value.is_floating_point() else value).numpy()
    return out


def _is_number(cell: str) -> bool:
    try:
        parse_rational(cell, "")
    except ProblemError:
        return False
    return True
