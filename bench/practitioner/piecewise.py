"""The trained network's loss as a piecewise polynomial, in float64 or in 80-digit mpmath (reference side).

Independent of ``symbolic/``: the problem file is read here, and the loss of one piece (a fixed
activation pattern), its gradient and the gradients of single pre-activations are written out by
back-propagation on NumPy arrays, of floats (``kind="f"``) or of ``mpf`` objects (``kind="m"``). Also
the small 80-digit linear algebra the reference needs (Gram–Schmidt, orthogonal complements).
"""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
from mpmath import mp, mpf

mp.dps = 80
ZERO = mpf("1e-30")  # "0 at the refined point": the refinement is good to about 1e-50
FLAT = 1e-9  # relative size below which an eigenvalue or a dual margin counts as degenerate


class Net:
    """A problem file read independently: widths, λ, α = 1/N, exact data and point."""

    def __init__(self, path: str) -> None:
        with open(path, encoding="utf-8") as fh:
            obj = json.load(fh, parse_float=str, parse_int=str)
        self.widths = [int(w) for w in obj["network"]["widths"]]
        if obj["network"].get("biases", True) is not True or obj["network"].get("decay_biases", True) is not True:
            raise ValueError("this reference handles networks with decayed biases only")
        if obj["loss"].get("reduction", "mean") != "mean":
            raise ValueError("this reference handles the mean reduction only")
        self.lam = Fraction(obj["loss"]["weight_decay"])
        X = [[Fraction(v) for v in row] for row in obj["data"]["inputs"]]
        Y = [[Fraction(v) for v in row] for row in obj["data"]["targets"]]
        self.N = len(X)
        self.X = {"f": np.array(X, dtype=float), "m": _mp_array(X)}
        self.Y = {"f": np.array(Y, dtype=float), "m": _mp_array(Y)}
        flat: list[Fraction] = []
        for W, b in zip(obj["point"]["weights"], obj["point"]["biases"]):
            flat += [Fraction(v) for row in W for v in row] + [Fraction(v) for v in b]
        self.theta0 = flat
        self.shapes = [(self.widths[k + 1], self.widths[k]) for k in range(len(self.widths) - 1)]
        self.P = sum(r * c + r for r, c in self.shapes)

    def num(self, kind: str, value):
        return mpf(value) if kind == "m" else float(value)

    def layers(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        out, at = [], 0
        for r, c in self.shapes:
            W = theta[at:at + r * c].reshape(r, c)
            at += r * c
            out.append((W, theta[at:at + r]))
            at += r
        return out

    def unit_params(self, l: int, i: int) -> list[int]:
        """Indices of hidden unit ``i`` of hidden layer ``l`` (0-based): incoming row, bias, outgoing column."""
        at = sum(r * c + r for r, c in self.shapes[:l])
        r, c = self.shapes[l]
        idx = [at + i * c + t for t in range(c)] + [at + r * c + i]
        at2 = at + r * c + r
        r2, c2 = self.shapes[l + 1]
        return idx + [at2 + o * c2 + i for o in range(r2)]


def _mp_array(rows) -> np.ndarray:
    return np.array([[mpf(v.numerator) / v.denominator for v in row] for row in rows], dtype=object)


def forward(net: Net, theta: np.ndarray, kind: str, masks=None, rows=slice(None)):
    """Activations ``H`` (input first), pre-activations ``Z`` and outputs; ``masks`` fix the pattern."""
    H, Z = [net.X[kind][rows]], []
    layers = net.layers(theta)
    for l, (W, b) in enumerate(layers[:-1]):
        z = H[-1] @ W.T + b
        Z.append(z)
        m = (z > 0) if masks is None else masks[l][rows]
        H.append(z * m.astype(int))
    W, b = layers[-1]
    return H, Z, H[-1] @ W.T + b


def backprop(net: Net, theta: np.ndarray, H, masks, top: int, seed: np.ndarray, rows=slice(None)) -> np.ndarray:
    """Gradient of ``Σ seed ⊙ (pre-activations of layer top)`` with respect to θ (``top`` = output layer
    index ``len(shapes) − 1``, or a hidden layer)."""
    layers = net.layers(theta)
    grads = [(np.zeros(W.shape, dtype=theta.dtype), np.zeros(b.shape, dtype=theta.dtype)) for W, b in layers]
    for l in range(top, -1, -1):
        W, _ = layers[l]
        grads[l] = (seed.T @ H[l], seed.sum(axis=0))
        if l > 0:
            seed = (seed @ W) * masks[l - 1][rows].astype(int)
    return np.concatenate([np.concatenate([g.ravel(), gb]) for g, gb in grads])


def loss_grad(net: Net, theta: np.ndarray, kind: str, masks, rows=slice(None), decay: bool = True):
    """Loss and gradient of the piece with pattern ``masks`` (``rows``: a subset of samples, data term only
    scaled by the full ``α = 1/N``)."""
    H, _, out = forward(net, theta, kind, masks, rows)
    R = out - net.Y[kind][rows]
    alpha = net.num(kind, 1) / net.N
    lam = net.num(kind, net.lam.numerator) / net.lam.denominator
    g = backprop(net, theta, H, masks, len(net.shapes) - 1, 2 * alpha * R, rows)
    val = alpha * (R * R).sum()
    if decay:
        g = g + 2 * lam * theta
        val = val + lam * (theta * theta).sum()
    return val, g


def z_grad(net: Net, theta: np.ndarray, kind: str, masks, kink: tuple[int, int, int]):
    """Value and gradient of the pre-activation ``z_{l,i}(x_j)``."""
    l, i, j = kink
    rows = slice(j, j + 1)
    H, Z, _ = forward(net, theta, kind, masks, rows)
    seed = np.zeros((1, net.widths[l + 1]), dtype=theta.dtype)
    seed[0, i] = net.num(kind, 1)
    return Z[l][0, i], backprop(net, theta, H, masks, l, seed, rows)


def mnorm(v) -> mpf:
    return mp.sqrt(sum(t * t for t in v))


def orthonormal(rows: list[np.ndarray], tol=mpf("1e-30")) -> list[np.ndarray]:
    """Modified Gram–Schmidt (twice) in 80 digits; dependent rows dropped."""
    basis: list[np.ndarray] = []
    for r in rows:
        v = r.copy()
        for _ in range(2):
            for q in basis:
                v = v - (v @ q) * q
        n = mnorm(v)
        if n > tol * (1 + mnorm(r)):
            basis.append(v / n)
    return basis


def complement(basis: list[np.ndarray], n: int) -> list[np.ndarray]:
    """An orthonormal basis of the orthogonal complement of ``basis`` in 80 digits."""
    out: list[np.ndarray] = []
    for i in range(n):
        if len(basis) + len(out) == n:
            break
        v = np.array([mpf(0)] * n, dtype=object)
        v[i] = mpf(1)
        for _ in range(2):
            for q in basis + out:
                v = v - (v @ q) * q
        nv = mnorm(v)
        if nv > mpf("1e-3"):
            out.append(v / nv)
    return out
