"""Checker for the claim kind ``piecewise_strong_convexity`` (standard library only; trusted).

What acceptance guarantees
--------------------------
The certificate's evidence (method ``"lemma_a_norm_box"``) names ``θ > 0``, ``ε ≥ 0`` and the top-level
``μ > 0``. Write ``W̃_k`` for the augmented layer matrices (``[W_k b_k; 0 1]`` for hidden layers,
``[W_{H+1} b_{H+1}]`` for the output; ``W̃_k = W_k`` without biases), ``x̃_j = (x_j, 1)`` with biases,
``X₂ = Σ_j ‖x̃_j‖²``, ``E_P(W) = α Σ_j ‖f_P(x_j; W) − y_j‖²`` the training error of the piece
polynomial of pattern ``P`` and ``K = α H² θ^(2H−2) X₂``. The claim is:

    for every activation pattern P and every W with ‖W̃_k‖₂ ≤ θ (all k) and E_P(W) ≤ ε,
    ∇²L_P(W) ⪰ μ·I.

The checker recomputes ``X₂``, ``K`` and ``ε* = λ²/K`` exactly from the problem and ``θ`` and verifies
``K·ε < λ²`` (``ε < ε*``), ``0 < μ ≤ 2λ`` and ``(λ − μ/2)² ≥ K·ε``. Given **Lemma (A)** (notes/paper.md
§3.2: on a piece ``λ_min(∇²L_P) ≥ 2λ − 2α·H·θ^(H−1)·Σ_j ‖x̃_j‖‖r_j‖``, with Cauchy–Schwarz
``Σ_j ‖x̃_j‖‖r_j‖ ≤ (X₂ E_P/α)^½``) this is the claim; the lemma itself is mathematics the checker
cannot verify, it verifies the instantiation. It also checks the problem is inside the lemma: weight
decay ``λ > 0`` on every parameter (``decay_biases`` true).

When ``center_in_set`` is true it verifies that the centre lies in the set: ``E(center) ≤ ε`` by an
exact forward pass (also equal to the stated ``training_error``), and ``‖W̃_k‖₂² ≤ θ²`` per layer, by
``‖W̃_k‖_F² ≤ θ²`` (``"frobenius"``; the stated bound must equal ``‖W̃_k‖_F²``) or by an exact PSD test
of ``θ²I − G_k``, ``G_k`` the smaller Gram matrix (``"spectral"``).

An optional ``region`` block makes the same claim for the one pattern ``P`` it names with ``X₂``
restricted to the live samples (bias-free: every hidden layer of ``P`` has an active unit at ``x_j``;
other samples have ``f_P(x_j) ≡ 0``) and its own ``μ_P``; when the centre is in the set its exact
pattern must equal ``P`` with every hidden pre-activation nonzero.

What acceptance does not guarantee: that any critical point or minimizer lies in the set (for bias-free
networks none but ``0`` does, notes §5.4), or anything about ``L`` on region boundaries beyond the
statement about each piece polynomial.

Calling convention: ``check_piecewise_strong_convexity(problem, cert) -> str``. ``problem`` is the
certificate's ``problem`` object, raw JSON (canonical strings) or with ``Fraction`` values; ``cert`` is the
whole certificate. Returns a one-line summary (without ``VALID:``); raises ``ValueError("<step>: <msg>")``
on the first failed check.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from .claims import Context, method
from .exceptions import CertificateInvalid


def _q(value: Any, where: str) -> Fraction:
    """One rational: a ``Fraction`` or a canonical string ``"p"``/``"p/q"`` (lowest terms, q > 1)."""
    if isinstance(value, Fraction):
        return value
    bad = ValueError(f"{where}: must be a canonical rational string (got {json.dumps(value)[:40]})")
    if not isinstance(value, str) or isinstance(value, bool):
        raise bad
    try:
        q = Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise bad from None
    # the canonical text is the only accepted spelling: no "+1", "2/4", "1.0", spaces or exponents
    if _show(q) != value:
        raise bad
    return q


def _fail(step: str, message: str) -> ValueError:
    return ValueError(f"{step}: {message}")


def _show(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def _matrix(obj: Any, rows: int, cols: int, where: str) -> list[list[Fraction]]:
    if not isinstance(obj, list) or len(obj) != rows:
        raise _fail(where, f"must be a list of {rows} rows")
    out = []
    for i, row in enumerate(obj):
        if not isinstance(row, list) or len(row) != cols:
            raise _fail(f"{where}[{i}]", f"must have {cols} entries")
        out.append([_q(v, f"{where}[{i}][{c}]") for c, v in enumerate(row)])
    return out


def _problem(problem: Any) -> dict[str, Any]:
    step = "problem"
    if not isinstance(problem, dict):
        raise _fail(step, "must be an object")
    net, loss, data = problem.get("network"), problem.get("loss"), problem.get("data")
    if not isinstance(net, dict) or not isinstance(loss, dict) or not isinstance(data, dict):
        raise _fail(step, "network, loss and data must be objects")
    widths = net.get("widths")
    if not isinstance(widths, list) or len(widths) < 2 or not all(type(w) is int and w >= 1 for w in widths):
        raise _fail(step, "network.widths must be a list of positive integers")
    biases = net.get("biases", True)
    decay_biases = net.get("decay_biases", True)
    activation = net.get("activation", "relu")
    reduction = loss.get("reduction", "mean")
    if not isinstance(biases, bool) or not isinstance(decay_biases, bool):
        raise _fail(step, "network.biases and network.decay_biases must be booleans")
    if activation not in ("relu", "identity") or reduction not in ("mean", "sum"):
        raise _fail(step, "activation must be relu/identity and reduction mean/sum")
    lam = _q(loss.get("weight_decay"), "problem.loss.weight_decay")
    inputs, targets = data.get("inputs"), data.get("targets")
    if not isinstance(inputs, list) or not inputs:
        raise _fail(step, "data.inputs must be a non-empty list")
    X = _matrix(inputs, len(inputs), widths[0], "problem.data.inputs")
    Y = _matrix(targets, len(inputs), widths[-1], "problem.data.targets")
    alpha = Fraction(1, len(X)) if reduction == "mean" else Fraction(1)
    return {"widths": widths, "biases": biases, "decay": decay_biases, "relu": activation == "relu",
            "lam": lam, "X": X, "Y": Y, "alpha": alpha, "H": len(widths) - 2}


def _center(cert: dict[str, Any], p: dict[str, Any]) -> tuple[list[Any], list[Any] | None]:
    c = cert.get("center")
    w = p["widths"]
    if not isinstance(c, dict):
        raise _fail("center", "must be an object with weights (and biases)")
    raw = c.get("weights")
    if not isinstance(raw, list) or len(raw) != len(w) - 1:
        raise _fail("center", f"weights must hold {len(w) - 1} layers")
    W = [_matrix(raw[k], w[k + 1], w[k], f"center.weights[{k}]") for k in range(len(w) - 1)]
    b = None
    if p["biases"]:
        rb = c.get("biases")
        if not isinstance(rb, list) or len(rb) != len(w) - 1:
            raise _fail("center", f"biases must hold {len(w) - 1} layers")
        b = [_matrix([rb[k]], 1, w[k + 1], f"center.biases[{k}]")[0] for k in range(len(w) - 1)]
    elif c.get("biases") is not None:
        raise _fail("center", "biases must be null without biases")
    return W, b


def _forward(p: dict[str, Any], W: list[Any], b: list[Any] | None) -> tuple[list[Any], list[Any], bool]:
    """Outputs, pattern (per sample, per hidden layer, tuple of 0/1) and whether some z is 0."""
    outs, pats, zero = [], [], False
    for x in p["X"]:
        a, pat = x, []
        for k in range(p["H"] + 1):
            z = [sum((wv * av for wv, av in zip(row, a)), Fraction(0)) + (b[k][i] if b else 0)
                 for i, row in enumerate(W[k])]
            if k == p["H"]:
                outs.append(z)
                break
            if p["relu"]:
                zero = zero or any(v == 0 for v in z)
                pat.append("".join("1" if v > 0 else "0" for v in z))
                a = [v if v > 0 else Fraction(0) for v in z]
            else:
                pat.append("1" * len(z))
                a = z
        pats.append(pat)
    return outs, pats, zero


def _augmented(p: dict[str, Any], W: list[Any], b: list[Any] | None) -> list[list[list[Fraction]]]:
    out = []
    for k, M in enumerate(W):
        if b is None:
            out.append([list(r) for r in M])
            continue
        A = [list(r) + [b[k][i]] for i, r in enumerate(M)]
        if k < p["H"]:
            A.append([Fraction(0)] * len(M[0]) + [Fraction(1)])
        out.append(A)
    return out


def _psd(A: list[list[Fraction]]) -> bool:
    """Exact PSD test: symmetric elimination; a zero pivot needs a zero column below it."""
    a = [list(r) for r in A]
    n = len(a)
    for i in range(n):
        d = a[i][i]
        if d < 0:
            return False
        if d == 0:
            if any(a[r][i] != 0 for r in range(i + 1, n)):
                return False
            continue
        for r in range(i + 1, n):
            f = a[r][i] / d
            if f:
                for c in range(i + 1, n):
                    a[r][c] -= f * a[i][c]
    return True


def _x2(p: dict[str, Any], samples: list[int]) -> Fraction:
    extra = 1 if p["biases"] else 0
    return sum((sum((v * v for v in p["X"][j]), Fraction(0)) + extra for j in samples), Fraction(0))


def _constant(p: dict[str, Any], theta: Fraction, x2: Fraction) -> Fraction:
    H = p["H"]
    return Fraction(0) if H == 0 else p["alpha"] * H * H * theta ** (2 * H - 2) * x2


def _modulus_ok(step: str, lam: Fraction, K: Fraction, eps: Fraction, mu: Fraction) -> None:
    if mu <= 0:
        raise _fail(step, f"mu is {_show(mu)}, must be positive")
    if mu > 2 * lam:
        raise _fail(step, f"mu is {_show(mu)}, must be at most 2λ = {_show(2 * lam)}")
    if (lam - mu / 2) ** 2 < K * eps:
        raise _fail(step, f"(λ − μ/2)² = {_show((lam - mu / 2) ** 2)} must be ≥ K·ε = {_show(K * eps)}")


def _stated(value: Any, expected: Fraction | None, step: str, name: str) -> None:
    if expected is None:
        if value is not None:
            raise _fail(step, f"{name} must be null (no threshold: K = 0)")
        return
    got = _q(value, f"{step}: {name}")
    if got != expected:
        raise _fail(step, f"{name} is {_show(got)}, recomputed {_show(expected)}")


def check_piecewise_strong_convexity(problem: Any, cert: dict[str, Any]) -> str:
    """Verify a ``piecewise_strong_convexity`` certificate exactly; see the module docstring.

    Examples
    --------
    >>> prob = {"network": {"widths": [1, 1, 1], "biases": False}, "loss": {"weight_decay": "1/4"},
    ...         "data": {"inputs": [["1"]], "targets": [["1"]]}}
    >>> ev = {"method": "lemma_a_norm_box", "theta": "1", "epsilon": "0", "epsilon_star": "1/16",
    ...       "constant": "1", "x2": "1", "center_in_set": False}
    >>> cert = {"claim": "piecewise_strong_convexity", "status": "CERTIFIED", "mu": "1/2", "evidence": ev}
    >>> check_piecewise_strong_convexity(prob, cert)
    'piecewise strong convexity: mu = 1/2 on {‖W̃_k‖₂ ≤ 1, E_P ≤ 0} (epsilon* = 1/16)'
    """
    if not isinstance(cert, dict) or cert.get("claim") != "piecewise_strong_convexity":
        raise _fail("claim", "must be piecewise_strong_convexity")
    if cert.get("status") != "CERTIFIED":
        raise _fail("status", "must be CERTIFIED")
    p = _problem(problem)
    ev = cert.get("evidence")
    if not isinstance(ev, dict) or ev.get("method") != "lemma_a_norm_box":
        raise _fail("evidence", "method must be lemma_a_norm_box")
    lam = p["lam"]
    if lam <= 0:
        raise _fail("conventions", f"weight decay must be positive (got {_show(lam)})")
    if p["biases"] and not p["decay"]:
        raise _fail("conventions", "decay_biases must be true: Lemma (A) needs 2λI on every parameter")
    theta = _q(ev.get("theta"), "evidence.theta")
    if theta <= 0:
        raise _fail("theta", f"must be positive (got {_show(theta)})")
    eps = _q(ev.get("epsilon"), "evidence.epsilon")
    if eps < 0:
        raise _fail("epsilon", f"must be non-negative (got {_show(eps)})")
    mu = _q(cert.get("mu"), "mu")

    x2 = _x2(p, list(range(len(p["X"]))))
    K = _constant(p, theta, x2)
    _stated(ev.get("x2"), x2, "constant", "x2")
    _stated(ev.get("constant"), K, "constant", "constant")
    eps_star = lam * lam / K if K else None
    _stated(ev.get("epsilon_star"), eps_star, "threshold", "epsilon_star")
    if K and K * eps >= lam * lam:
        raise _fail("threshold", f"epsilon {_show(eps)} must be below epsilon* {_show(lam * lam / K)}")
    _modulus_ok("modulus", lam, K, eps, mu)

    inside = ev.get("center_in_set")
    if not isinstance(inside, bool):
        raise _fail("evidence", "center_in_set must be true or false")
    pats = None
    zero = False
    if inside:
        W, b = _center(cert, p)
        outs, pats, zero = _forward(p, W, b)
        err = p["alpha"] * sum(((f - y) ** 2 for fs, ys in zip(outs, p["Y"]) for f, y in zip(fs, ys)), Fraction(0))
        _stated(ev.get("training_error"), err, "membership", "training_error")
        if err > eps:
            raise _fail("membership", f"training error {_show(err)} exceeds epsilon {_show(eps)}")
        norms = ev.get("layer_norms")
        mats = _augmented(p, W, b)
        if not isinstance(norms, list) or len(norms) != len(mats):
            raise _fail("membership", f"layer_norms must list {len(mats)} layers")
        for k, (entry, M) in enumerate(zip(norms, mats)):
            if not isinstance(entry, dict) or entry.get("method") not in ("frobenius", "spectral"):
                raise _fail("membership", f"layer {k + 1}: method must be frobenius or spectral")
            bound = _q(entry.get("bound"), f"membership: layer {k + 1} bound")
            if bound > theta * theta:
                raise _fail("membership", f"layer {k + 1}: norm bound {_show(bound)} exceeds θ² = {_show(theta * theta)}")
            if entry["method"] == "frobenius":
                fro = sum((v * v for r in M for v in r), Fraction(0))
                if fro != bound:
                    raise _fail("membership", f"layer {k + 1}: ‖W̃‖_F² is {_show(fro)}, stated {_show(bound)}")
            else:
                rows, cols = len(M), len(M[0])
                n = min(rows, cols)
                G = [[sum((M[i][t] * M[j][t] for t in range(cols)), Fraction(0)) if rows <= cols else
                      sum((M[t][i] * M[t][j] for t in range(rows)), Fraction(0)) for j in range(n)] for i in range(n)]
                S = [[(bound if i == j else Fraction(0)) - G[i][j] for j in range(n)] for i in range(n)]
                if not _psd(S):
                    raise _fail("membership", f"layer {k + 1}: bound·I − W̃ᵀW̃ is not PSD for bound {_show(bound)}")

    region = ev.get("region")
    extra = ""
    if region is not None:
        if not isinstance(region, dict):
            raise _fail("region", "must be an object")
        pattern = region.get("pattern")
        hidden = p["widths"][1:-1]
        if not isinstance(pattern, list) or len(pattern) != len(p["X"]) or not all(
                isinstance(s, list) and len(s) == len(hidden) and all(
                    isinstance(u, str) and len(u) == n and set(u) <= {"0", "1"} for u, n in zip(s, hidden))
                for s in pattern):
            raise _fail("region", "pattern must give one 0/1 string per sample and hidden layer")
        if not p["relu"] and any("0" in u for s in pattern for u in s):
            raise _fail("region", "a linear network's pattern is all active")
        live = [j for j, s in enumerate(pattern) if p["biases"] or all("1" in u for u in s)]
        if region.get("live_samples") != live:
            raise _fail("region", f"live_samples must be {live}")
        x2p = _x2(p, live)
        Kp = _constant(p, theta, x2p)
        _stated(region.get("x2"), x2p, "region", "x2")
        _stated(region.get("constant"), Kp, "region", "constant")
        _stated(region.get("epsilon_star"), lam * lam / Kp if Kp else None, "region", "epsilon_star")
        if Kp and Kp * eps >= lam * lam:
            raise _fail("region", f"epsilon {_show(eps)} must be below the region's epsilon*")
        _modulus_ok("region", lam, Kp, eps, _q(region.get("mu"), "region.mu"))
        if inside and (zero or pats != pattern):
            raise _fail("region", "the centre's exact pattern must equal the stated pattern, off every boundary")
        extra = f"; region mu = {region.get('mu')}"
    star = _show(eps_star) if eps_star is not None else "none"
    where = " (centre inside)" if inside else ""
    return (f"piecewise strong convexity: mu = {_show(mu)} on {{‖W̃_k‖₂ ≤ {_show(theta)}, E_P ≤ {_show(eps)}}}"
            f"{where} (epsilon* = {star}){extra}")


@method("lemma_a_norm_box")
def lemma_a_norm_box(ctx: Context) -> str:
    """The claim kind ``piecewise_strong_convexity``: :func:`check_piecewise_strong_convexity`."""
    if ctx.radius != 0:
        raise CertificateInvalid("radius", f"must be 0 for a claim about a set, not a ball (got {ctx.radius})")
    try:
        return check_piecewise_strong_convexity(ctx.top["problem"], ctx.top)
    except ValueError as err:
        step, _, message = str(err).partition(": ")
        raise CertificateInvalid(step, message) from None
