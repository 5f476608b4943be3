"""Dead units and one-hidden-layer optimality: the dual ratio ``R = sup_v ‖G(v)‖/‖v‖`` against ``2λ``.

Growing a dead unit of hidden layer ``l`` from 0 along ``(v, a)`` changes ``L`` by
``aᵀG(v) + λ(‖v‖² + ‖a‖²)`` to second order, ``G(v) = Σ_j δ_j σ(v·u_j)``, ``u_j = (h_l(x_j), 1)``,
``δ_j = ∂(data term)/∂z_{l+1}(x_j)``; it is ``≥ 0`` for every ``(v, a)`` iff ``R ≤ 2λ``. ``R`` is a maximum
over the cones of the arrangement ``{u_j·v = 0}``: with one output the norm of the projection of ``c_S``
onto the cone, with several a bound by the cone's operator norm (see ``reference.py``, step 5).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from mpmath import mp, mpf
from scipy.optimize import nnls

from piecewise import FLAT, ZERO, Net, mnorm, forward


def deltas(net: Net, theta: np.ndarray, s, l: int) -> np.ndarray:
    """``δ_j = ∂(data term)/∂z_{l+1}(x_j)`` (the layer after hidden layer ``l``), in 80 digits."""
    layers = net.layers(theta)
    _, _, out = forward(net, theta, "m", s.masks)
    d = 2 * (out - net.Y["m"]) / net.N
    for t in range(len(layers) - 1, l + 1, -1):
        dH = d @ layers[t][0]
        for (kl, i, j) in s.kinks:  # σ'(0) is undefined: a kink of that layer must carry no signal
            if kl == t - 1 and abs(dH[j, i]) > ZERO:
                raise ArithmeticError(f"layer {t} unit {i} sits on a kink at sample {j} next to a dead unit")
        d = dH * s.masks[t - 1].astype(int)
    return d


def dual(net: Net, theta: np.ndarray, s, l: int) -> dict:
    """``R = sup_v ‖G(v)‖/‖v‖`` against ``2λ`` for units of hidden layer ``l`` at the refined point ``theta``;
    ``s`` is the reference's structure (``dead``, ``kinks``, ``masks``). The status is ``strict``,
    ``saturated-live`` (``R = 2λ`` only along live units' directions), ``violated`` (a direction with
    ``‖G(v)‖ > 2λ‖v‖``, re-evaluated in 80 digits) or ``undetermined`` (with ``why``)."""
    H, _, _ = forward(net, theta, "m", s.masks)
    U = np.concatenate([H[l], np.array([[mpf(1)]] * net.N, dtype=object)], axis=1)
    D = deltas(net, theta, s, l)
    Uf, Df = U.astype(float), D.astype(float)
    two_lam = 2 * float(net.lam)
    W, b = net.layers(theta)[l]
    live = [np.concatenate([W[i], [b[i]]]) for i in range(W.shape[0]) if (l, i) not in s.dead]
    pats, complete = cones(Uf)
    worst, witness, near = 0.0, None, []
    for S in pats:
        A = np.where(S, 1.0, -1.0)[:, None] * Uf
        M = Df[S].T @ Uf[S]
        if M.shape[0] == 1:
            for sign in (1, -1):
                c = sign * M[0]
                lam_, _ = nnls(-A.T, c)
                p = c + A.T @ lam_
                val = np.linalg.norm(p)
                if val > worst:
                    worst, witness = val, p
                if val >= two_lam * (1 - FLAT):
                    near.append((S, sign, lam_ > 0))
        else:
            top = np.linalg.svd(M)[2][0]
            for w in (top, -top):
                lam_, _ = nnls(-A.T, w)
                p = w + A.T @ lam_
                if np.linalg.norm(p) > 0 and np.linalg.norm(M @ p) / np.linalg.norm(p) > worst:
                    worst, witness = np.linalg.norm(M @ p) / np.linalg.norm(p), p
            if np.linalg.norm(M, 2) >= two_lam * (1 - FLAT):
                near.append((S, None, None))
    out = {"R_over_2lam": worst / two_lam, "complete": complete}
    if worst > two_lam * (1 + FLAT) and witness is not None:
        v = np.array([mpf(float(t)) for t in witness], dtype=object)
        G = sum((D[j] * max(U[j] @ v, mpf(0)) for j in range(net.N)), np.array([mpf(0)] * D.shape[1], dtype=object))
        if mnorm(G) > (2 * mpf(net.lam.numerator) / net.lam.denominator) * mnorm(v) + ZERO:
            return {**out, "status": "violated", "witness": (v, G)}
    saturated = False
    for S, sign, active in near:
        status, p = _saturated(net, U, D, S, sign, active, live) if sign is not None else \
            (_operator(net, U, D, S, live), None)
        if status == "violated":  # the cone's projection itself is the witness
            G = sum((D[j] * max(U[j] @ p, mpf(0)) for j in range(net.N)), np.array([mpf(0)] * D.shape[1], dtype=object))
            return {**out, "status": status, "witness": (p, G)}
        if status == "saturated-live":
            saturated = True
        elif status == "undetermined":
            return {**out, "status": status, "why": "a cone's operator norm exceeds 2λ (several outputs)"
                    if sign is None else "a cone is saturated off the live units' directions"}
    if not complete:
        return {**out, "status": "undetermined", "why": "the cone arrangement was too large to enumerate"}
    return {**out, "status": "saturated-live" if saturated else "strict"}


def _operator(net: Net, U, D, S, live) -> str:
    """Several outputs: the cone's sup is at most the operator norm of ``M_S``, computed in 80 digits."""
    M = mp.matrix((D[S].T @ U[S]).tolist())
    _, sv, V = mp.svd_r(M, compute_uv=True)
    two_lam = 2 * mpf(net.lam.numerator) / net.lam.denominator
    if sv[0] > two_lam + ZERO:
        return "undetermined"
    if sv[0] < two_lam - ZERO:
        return "fine"
    if len(sv) > 1 and sv[1] >= two_lam * (1 - FLAT):
        return "undetermined"
    top = np.array([V[0, t] for t in range(V.cols)], dtype=object)
    for v in live:
        if abs(top @ v) >= (1 - mpf("1e-20")) * mnorm(v):
            return "saturated-live"
    return "undetermined"


def _saturated(net: Net, U, D, S, sign, active, live) -> tuple[str, np.ndarray]:
    """Re-solve a near-saturated cone's projection ``p`` in 80 digits: fine, saturated-live, violated or
    undetermined, and ``p``."""
    c = sign * (D[S].T @ U[S])[0]
    A = np.array([(1 if S[j] else -1) * U[j] for j in range(net.N)], dtype=object)
    act = A[active]
    if len(act):
        G = mp.matrix([[a @ b for b in act] for a in act])
        lam_ = mp.lu_solve(G, mp.matrix([-(a @ c) for a in act]))
        p = c + sum((lam_[t] * act[t] for t in range(len(act))), np.array([mpf(0)] * len(c), dtype=object))
        if any(lam_[t] < -ZERO for t in range(len(act))):
            return "undetermined", c
    else:
        p = c
    if any(a @ p < -ZERO for a in A):
        return "undetermined", p
    gap = p @ p - (2 * mpf(net.lam.numerator) / net.lam.denominator) ** 2
    if gap > ZERO:
        return "violated", p
    if gap < -ZERO:
        return "fine", p
    for v in live:
        if abs(p @ v) >= (1 - mpf("1e-20")) * mnorm(p) * mnorm(v):
            return "saturated-live", p
    return "undetermined", p


def cones(U: np.ndarray, cap: int = 20000) -> tuple[list[np.ndarray], bool]:
    """Activation sets ``{j : u_j·v > 0}`` of the cells of the arrangement ``{u_j·v = 0}``; complete when
    every vertex ray was visited (every cell's closure holds one, the ``u_j`` spanning the space used)."""
    _, sv, Vt = np.linalg.svd(U, full_matrices=False)
    r = int((sv > 1e-12 * sv[0]).sum())
    Q = Vt[:r].T
    Ut = U @ Q
    rng = np.random.default_rng(0)
    found = {tuple(row) for row in (Ut @ rng.normal(size=(r, 20000)) > 0).T}
    dirs = np.unique(np.round(Ut / np.linalg.norm(Ut, axis=1, keepdims=True), 12), axis=0)
    combos = math.comb(len(dirs), r - 1) if r > 1 else 0
    complete = r <= 1 or combos <= cap
    if r == 1:
        found |= {tuple(Ut @ q > 0) for q in (np.ones(1), -np.ones(1))}
    elif complete:
        for idx in itertools.combinations(range(len(dirs)), r - 1):
            sub = dirs[list(idx)]
            _, ss, vt = np.linalg.svd(sub)
            if len(ss) < r - 1 or ss[-1] < 1e-10:
                continue
            rho = vt[-1]
            dual_basis = np.linalg.pinv(sub)  # columns e_t with sub·e_t = unit vectors
            for sgn in (1, -1):
                for signs in itertools.product((1, -1), repeat=r - 1):
                    for eps in (1e-6, 1e-9):
                        v = sgn * rho + eps * dual_basis @ np.array(signs, dtype=float)
                        found.add(tuple(Ut @ v > 0))
                for _ in range(4):
                    found.add(tuple(Ut @ (sgn * rho + 1e-7 * rng.normal(size=r)) > 0))
    return [np.array(S) for S in sorted(found)], complete
