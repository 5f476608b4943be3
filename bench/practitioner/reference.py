"""An independent high-precision classification of the practitioner corpus (no pscert code).

Run from the repository root::

    python bench/practitioner/reference.py [--problems DIR] [--out FILE] [--only GLOB] [--jobs 2]

For each problem file it decides, at the critical point the trained network approximates, whether that
point is a local minimum of ``L = (1/N) Σ_j ‖f(x_j) − y_j‖² + λ‖θ‖²`` and whether it is an isolated one.
Only NumPy, SciPy (NNLS) and mpmath (80 digits) are used; the loss, its gradient and the pre-activation
gradients are written out by back-propagation in ``piecewise.py``, independently of ``symbolic/``, and
the dead-unit test is in ``dual.py``.

Method, per network:

1. **Structure.** For tolerances ``τ = 1e-7, 1e-6, …, 1e-2`` in turn: units whose pre-activations are all
   ``< τ`` or whose parameters (incoming row, bias, outgoing column) have norm ``< τ`` are *dead* and
   are fixed at 0 (at a critical point with every parameter decayed, a unit inactive on every sample is
   all zero: its outgoing gradient is ``2λa``, then its incoming one is ``2λv``). Live pre-activations with
   ``|z| < τ`` are *kinks*, imposed as equality constraints with multipliers.
2. **Refinement.** Levenberg–Marquardt (Newton as the damping vanishes) in float64 on the KKT system
   ``∇L_P − Σ μ_m ∇z_m = 0, z_m = 0`` of the piece ``P`` in which every kinked sample is inactive, then
   chord steps in 80-digit arithmetic until the residual is below 1e-60. The first ``τ`` whose solution
   converges, keeps every other live pre-activation's strict sign and keeps live units live is taken.
3. **First order at kinks.** For every region around the face (the kinks of one sample combined in all
   sign patterns; regions of different samples combine additively) the gradient of its piece is written
   as ``Σ ν_m s_m ∇z_m`` (inward normals). A multiplier ``ν < −1e-30`` is a first-order descent into that
   region: not a local minimum. ``|ν| ≤ 1e-30`` is degenerate: unclassified.
4. **Second order.** The Lagrangian Hessian (central differences of the exact 80-digit gradient, step
   1e-25; the pieces are polynomials, so the error is about 1e-50) on the face's tangent space, with the
   tangent of the unit-symmetry orbit removed (rotations of units sharing a pattern, which leave ``L``
   constant). Smallest eigenvalue ``> 1e-9·scale``: a minimum on the face (Morse–Bott modulo the orbit);
   ``< −1e-9·scale``: not a minimum; otherwise unclassified. The orbit generators are checked to be in the
   Hessian's kernel.
5. **Dead units (and one hidden layer: global optimality).** Growing a dead unit of layer ``k`` from 0
   along ``(v, a)`` changes ``L`` by ``aᵀG(v) + λ(‖v‖² + ‖a‖²) + O(‖(v,a)‖³)`` with
   ``G(v) = Σ_j δ_j σ(v·u_j)``, ``u_j = (h_{k−1}(x_j), 1)``, ``δ_j = ∂(data term)/∂z_{k+1}(x_j)``. It is
   ``≥ 0`` for every ``(v, a)`` iff ``R = sup_v ‖G(v)‖/‖v‖ ≤ 2λ``. ``R`` is a maximum over the cones of the
   arrangement ``{u_j·v = 0}`` (enumerated from its vertex rays plus random directions); on a cone with
   one output it is the norm of the projection of ``c_S = Σ_{j∈S} δ_j u_j`` onto the cone (NNLS, then the
   active set re-solved in 80 digits), with several outputs it is bounded by the cone's operator norm. A
   direction with ``‖G(v)‖ > 2λ‖v‖`` (re-evaluated in 80 digits) is a descent curve: not a local minimum.
   With one hidden layer, ``R ≤ 2λ`` makes the point a global minimum over every width (the convexity
   bound ``L(θ) ≥ L(θ*) + Σ_j T_j``) and so decides it; live units of the layer saturate ``R = 2λ`` along
   their own directions, which is the split orbit (not isolated). With deeper networks a dead unit beside
   a live one (a split-orbit end point) is left unclassified.
6. **Checks on the loss itself.** Every "not a minimum" from a multiplier or a dead unit is confirmed
   by evaluating ``L`` (80 digits, true ReLU) along its descent direction at two small steps. Every
   minimum verdict is sanity-checked (not proved) by the true loss at 600 random points on spheres of
   radius 1e-4, 1e-5 and 1e-6 (relative) about the refined point, in float64. A failed check makes
   the entry "inconsistent" and unclassified.

Output: ``reference.json`` mapping each file name to ``{local_minimum, isolated, global_minimum, why, …}``;
``isolated`` is true for an isolated local minimum, false for a point that is not one (a non-minimum,
or a minimum on a curve of equal loss), null when unsure. Every ``null`` carries its reason.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import fnmatch
import itertools
import json
import os
import sys
import time

import numpy as np
from mpmath import mp, mpf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dual import dual  # noqa: E402
from piecewise import FLAT, ZERO, Net, mnorm, complement, forward, loss_grad, orthonormal, z_grad  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TAUS = (1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2)
FD_STEP = mpf("1e-25")


class Structure:
    """Dead units, kinks and the pattern of the piece in which every kink is inactive."""

    def __init__(self, net: Net, tau: float) -> None:
        theta = np.array([float(t) for t in net.theta0])
        _, Z, _ = forward(net, theta, "f")
        self.dead: list[tuple[int, int]] = []
        fixed = np.zeros(net.P, dtype=bool)
        for l, z in enumerate(Z):
            for i in range(z.shape[1]):
                idx = net.unit_params(l, i)
                if z[:, i].max() < tau or np.linalg.norm(theta[idx]) < tau:
                    self.dead.append((l, i))
                    fixed[idx] = True
        self.live = np.flatnonzero(~fixed)
        self.kinks = [(l, i, j) for l, z in enumerate(Z) for j in range(z.shape[0]) for i in range(z.shape[1])
                      if (l, i) not in self.dead and abs(z[j, i]) < tau]
        self.masks = [z > tau for z in Z]  # kinks and dead units inactive
        self.signs = [np.sign(z) for z in Z]


def kkt(net: Net, s: Structure, kind: str, x: np.ndarray) -> np.ndarray:
    """The KKT residual ``(∇L_P − Σ μ_m ∇z_m, z_m)`` in the live parameters and multipliers ``x``."""
    theta = np.zeros(net.P, dtype=x.dtype) if kind == "f" else np.array([mpf(0)] * net.P, dtype=object)
    n = len(s.live)
    theta[s.live] = x[:n]
    _, g = loss_grad(net, theta, kind, s.masks)
    g = g[s.live]
    zs = []
    for m, kink in enumerate(s.kinks):
        z, gz = z_grad(net, theta, kind, s.masks, kink)
        g = g - x[n + m] * gz[s.live]
        zs.append(z)
    return np.concatenate([g, np.array(zs, dtype=x.dtype)]) if zs else g


def jacobian(net: Net, s: Structure, x: np.ndarray) -> np.ndarray:
    cols = []
    for i in range(len(x)):
        h = 1e-6 * (1 + abs(x[i]))
        e = np.zeros_like(x)
        e[i] = h
        cols.append((kkt(net, s, "f", x + e) - kkt(net, s, "f", x - e)) / (2 * h))
    return np.array(cols).T


def newton_float(net: Net, s: Structure) -> tuple[np.ndarray, np.ndarray] | None:
    """Levenberg–Marquardt in float64 from the trained point; the solution and its Jacobian."""
    theta0 = np.array([float(t) for t in net.theta0])
    x0 = np.concatenate([theta0[s.live], np.zeros(len(s.kinks))])
    theta = theta0.copy()
    theta[np.setdiff1d(np.arange(net.P), s.live)] = 0
    if s.kinks:  # initial multipliers: least squares of ∇L_P = Σ μ ∇z
        _, g = loss_grad(net, theta, "f", s.masks)
        G = np.array([z_grad(net, theta, "f", s.masks, k)[1][s.live] for k in s.kinks])
        x0[len(s.live):] = np.linalg.lstsq(G.T, g[s.live], rcond=None)[0]
    scale = 1 + np.linalg.norm(x0)
    x, F = x0, kkt(net, s, "f", x0)
    J = jacobian(net, s, x)
    nu = 1e-6 * np.linalg.norm(J, 2) ** 2  # Levenberg–Marquardt: stays near the trained point
    for _ in range(200):
        if np.linalg.norm(F) < 1e-12 * scale:
            return x, J
        A = J.T @ J
        step = np.linalg.solve(A + nu * np.eye(len(x)), -J.T @ F)
        F1 = kkt(net, s, "f", x + step)
        if np.linalg.norm(F1) < np.linalg.norm(F):
            x, F, nu = x + step, F1, nu / 5
            J = jacobian(net, s, x)
        else:
            nu *= 4
            if nu > 1e12 * np.linalg.norm(J, 2) ** 2:
                break
    return (x, J) if np.linalg.norm(F) < 1e-9 * scale else None


def polish(net: Net, s: Structure, x: np.ndarray, J: np.ndarray) -> np.ndarray | None:
    """Chord steps in 80 digits with the float Jacobian's pseudo-inverse, down to a residual of 1e-60."""
    Jp = np.array([[mpf(float(v)) for v in row] for row in np.linalg.pinv(J, rcond=1e-11)], dtype=object)
    xm = np.array([mpf(float(v)) for v in x], dtype=object)
    last = None
    for _ in range(60):
        F = kkt(net, s, "m", xm)
        r = mp.sqrt((F * F).sum())
        if r < mpf("1e-60"):
            return xm
        if last is not None and r > last / 2:
            return None
        last = r
        xm = xm - Jp @ F
    return None


def orbit_generators(net: Net, s: Structure, theta: np.ndarray, Z) -> tuple[list[np.ndarray], int]:
    """Tangents of the rotations of live units of one layer that share a pattern (kinks as 0)."""
    layers = net.layers(theta)
    gens, groups = [], 0
    for l, z in enumerate(Z):
        pats: dict[tuple, list[int]] = {}
        for i in range(z.shape[1]):
            if (l, i) in s.dead:
                continue
            pat = tuple(0 if (l, i, j) in s.kinks else (1 if z[j, i] > 0 else -1) for j in range(z.shape[0]))
            pats.setdefault(pat, []).append(i)
        for units in pats.values():
            if len(units) < 2:
                continue
            groups += 1
            for i, i2 in itertools.combinations(units, 2):
                d = np.array([mpf(0)] * net.P, dtype=object)
                ui, ui2 = net.unit_params(l, i), net.unit_params(l, i2)
                d[ui] = theta[ui2]
                d[ui2] = -theta[ui]
                gens.append(d[s.live])
    return gens, groups


def hess_dir(net: Net, s: Structure, x: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The Lagrangian Hessian times ``d`` (live parameters) by a central difference in 80 digits."""
    n = len(s.live)
    e = np.concatenate([d, np.array([mpf(0)] * len(s.kinks), dtype=object)])
    return ((kkt(net, s, "m", x + FD_STEP * e) - kkt(net, s, "m", x - FD_STEP * e)) / (2 * FD_STEP))[:n]


def multipliers(net: Net, s: Structure, theta: np.ndarray, mu: np.ndarray) -> tuple[mpf, str, tuple]:
    """The smallest multiplier over every region around the face, where, and ``(sample, its kinks, the
    region's signs on them, the kink)`` for :func:`escapes`."""
    worst, where, info = mpf("inf"), "", ()
    by_sample: dict[int, list[int]] = {}
    for m, (_, _, j) in enumerate(s.kinks):
        by_sample.setdefault(j, []).append(m)
    for j, ms in by_sample.items():
        rows = slice(j, j + 1)
        _, g0 = loss_grad(net, theta, "m", s.masks, rows, decay=False)
        G = [z_grad(net, theta, "m", s.masks, s.kinks[m])[1][s.live] for m in ms]
        A = mp.matrix([[a @ b for b in G] for a in G])
        for signs in itertools.product((0, 1), repeat=len(ms)):
            masks = [mk.copy() for mk in s.masks]
            for m, on in zip(ms, signs):
                l, i, _ = s.kinks[m]
                masks[l][j, i] = bool(on)
            _, g1 = loss_grad(net, theta, "m", masks, rows, decay=False)
            diff = (g1 - g0)[s.live]
            w = mp.lu_solve(A, mp.matrix([a @ diff for a in G]))
            resid = diff - sum((w[t] * G[t] for t in range(len(ms))), np.array([mpf(0)] * len(diff), dtype=object))
            if mnorm(resid) > ZERO * (1 + mnorm(diff)):
                raise ArithmeticError(f"region gradient not in the span of the kink normals at sample {j}")
            for t, m in enumerate(ms):
                nu = (mu[m] + w[t]) * (1 if signs[t] else -1)
                if nu < worst:
                    l, i, _ = s.kinks[m]
                    worst, where, info = nu, f"layer {l + 1} unit {i} sample {j}", (ms, signs, m)
    return worst, where, info


def true_loss(net: Net, theta: np.ndarray) -> mpf:
    """``L`` itself (ReLU at every sample, no fixed pattern) in 80 digits."""
    _, _, out = forward(net, theta, "m")
    R = out - net.Y["m"]
    return (R * R).sum() / net.N + mpf(net.lam.numerator) / net.lam.denominator * (theta * theta).sum()


def escapes(net: Net, s: Structure, theta: np.ndarray, normals: list[np.ndarray], info: tuple) -> bool:
    """Confirm a negative multiplier on ``L`` itself: along ``d`` with ``∇z_m·d = ±1`` into the region (its
    sample's other kinks pushed to the region's side by 1e-6, every other kink's ``∇z·d = 0``), ``L``
    is below ``L(θ*)`` at ``t = 1e-10`` and ``1e-14``."""
    ms, signs, m = info
    b = [mpf(0)] * len(s.kinks)
    for t, k in enumerate(ms):
        b[k] = (1 if signs[t] else -1) * (mpf(1) if k == m else mpf("1e-6"))
    A = mp.matrix([[p @ q for q in normals] for p in normals])
    c = mp.lu_solve(A, mp.matrix(b))
    d = np.array([mpf(0)] * net.P, dtype=object)
    d[s.live] = sum((c[k] * normals[k] for k in range(len(normals))), np.array([mpf(0)] * len(s.live), dtype=object))
    L0 = true_loss(net, theta)
    return all(true_loss(net, theta + mpf(t) * d) < L0 for t in ("1e-10", "1e-14"))


def grows(net: Net, theta: np.ndarray, l: int, u: int, witness: tuple) -> bool:
    """Confirm a dead unit's growth on ``L`` itself: ``(v, a) = (v, −‖v‖G(v)/‖G(v)‖)`` put into unit ``u``
    of layer ``l`` at scale ``t = 1e-6`` and ``1e-8`` lowers ``L``."""
    v, G = witness
    p = np.concatenate([v, -G * (mnorm(v) / mnorm(G))])
    idx = net.unit_params(l, u)
    L0 = true_loss(net, theta)
    for t in ("1e-6", "1e-8"):
        th = theta.copy()
        th[idx] = mpf(t) * p
        if not true_loss(net, th) < L0:
            return False
    return True


def classify(path: str) -> dict:
    """The reference entry of one problem file."""
    start = time.perf_counter()
    net = Net(path)
    theta0 = np.array([float(t) for t in net.theta0])
    t0m = np.array([mpf(t.numerator) / t.denominator for t in net.theta0], dtype=object)
    _, Z0, _ = forward(net, t0m, "m")
    _, g0 = loss_grad(net, t0m, "m", [z > 0 for z in Z0])
    entry = {"gradient_at_point": float(mnorm(g0))}
    for tau in TAUS:
        s = Structure(net, tau)
        per_sample = {}
        for (_, _, j) in s.kinks:
            per_sample[j] = per_sample.get(j, 0) + 1
        if per_sample and (max(per_sample.values()) > 8 or len(s.kinks) > 24):
            continue
        found = newton_float(net, s)
        if found is None:
            continue
        x, J = found
        theta = np.zeros(net.P)
        theta[s.live] = x[:len(s.live)]
        _, Z, _ = forward(net, theta, "f", s.masks)
        ok = all(abs(Z[l][j, i]) > 1e-9 and np.sign(Z[l][j, i]) == s.signs[l][j, i]
                 for l in range(len(Z)) for j in range(net.N) for i in range(Z[l].shape[1])
                 if (l, i) not in s.dead and (l, i, j) not in s.kinks)
        ok = ok and all(np.linalg.norm(theta[net.unit_params(l, i)]) > 1e-6
                        for l in range(len(Z)) for i in range(Z[l].shape[1]) if (l, i) not in s.dead)
        if ok:
            break
    else:
        return {**entry, "local_minimum": None, "isolated": None, "global_minimum": None,
                "why": "no critical structure found near the trained point (for every tolerance Newton failed or "
                       "crossed a boundary)"}
    entry.update({"tau": tau, "dead_units": [f"layer {l + 1} unit {i}" for l, i in s.dead], "kinks": len(s.kinks),
                  "distance": float(np.linalg.norm(theta - theta0))})
    result = _decide(net, s, x, J, theta0, entry)
    result["seconds"] = round(time.perf_counter() - start, 2)
    return result


def _decide(net: Net, s: Structure, x, J, theta0: np.ndarray, entry: dict) -> dict:
    def verdict(local, isolated, why, glob=None):
        return {"local_minimum": local, "isolated": isolated, "global_minimum": glob, "why": why, **entry}

    if entry["distance"] > 0.05 * (1 + np.linalg.norm(theta0)):
        return verdict(None, None, f"the nearest critical structure is {entry['distance']:.2g} away: training "
                                   "did not converge")
    xm = polish(net, s, x, J)
    if xm is None:
        return verdict(None, None, "the 80-digit refinement did not converge")
    n = len(s.live)
    theta = np.array([mpf(0)] * net.P, dtype=object)
    theta[s.live] = xm[:n]
    mu = xm[n:]
    exact0 = np.array([mpf(t.numerator) / t.denominator for t in net.theta0], dtype=object)
    entry["distance"] = float(mnorm(theta - exact0))
    entry["critical_point"] = [mp.nstr(t, 60) for t in theta]  # 60 digits: dust of 1e-45 stays visible
    _, Z, _ = forward(net, theta, "m", s.masks)
    _, grad = loss_grad(net, theta, "m", s.masks)
    entry["loss"] = float(loss_grad(net, theta, "m", s.masks)[0])
    depth = len(net.widths) - 2
    beside = any((l, i2) not in s.dead for l, i in s.dead for i2 in range(net.widths[l + 1]))
    try:
        worst, where, info = multipliers(net, s, theta, mu) if s.kinks else (mpf("inf"), "", ())
        normals = [z_grad(net, theta, "m", s.masks, k)[1][s.live] for k in s.kinks]
        if len(orthonormal(normals)) < len(normals):
            return verdict(None, False if beside else None, "the kink normals are linearly dependent")
        gens, groups = orbit_generators(net, s, theta, Z)
        basis = complement(orthonormal(normals + gens), n)
        HB = [hess_dir(net, s, xm, b) for b in basis]
        HR = np.array([[float(bi @ hb) for hb in HB] for bi in basis]) if basis else np.zeros((0, 0))
        eig = np.linalg.eigvalsh((HR + HR.T) / 2) if basis else np.array([np.inf])
        qn = orthonormal(normals)
        for g in gens:  # on the face the orbit's tangent is in the kernel (off it, H·g is a normal)
            hg = hess_dir(net, s, xm, g)
            for q in qn:
                hg = hg - (hg @ q) * q
            if mnorm(hg) > mpf("1e-20") * (1 + mnorm(g)):
                return verdict(None, False, "an orbit tangent is not in the Hessian's kernel")
        duals = {}
        for l in sorted({l for l, _ in s.dead} | ({0} if depth == 1 else set())):
            duals[l] = dual(net, theta, s, l)
    except ArithmeticError as err:
        return verdict(None, False if beside else None, str(err))
    scale = max(1.0, float(np.abs(eig[np.isfinite(eig)]).max()) if np.isfinite(eig).any() else 1.0)
    entry.update({"orbit_groups": groups, "orbit_dim": len(orthonormal(gens)) if gens else 0,
                  "smallest_eigenvalue": float(eig.min()) if np.isfinite(eig.min()) else None,
                  "smallest_multiplier": float(worst) if s.kinks else None,
                  "dual": {f"layer {l + 1}": {k: v for k, v in d.items() if k != "witness"}
                           for l, d in duals.items()}})
    flat_orbit = bool(gens) or beside
    dead_layers = {l for l, _ in s.dead}
    glob = None
    if depth == 1:
        st = duals[0]["status"]
        glob = True if st in ("strict", "saturated-live") else False if st == "violated" else None
    if glob and ((s.kinks and worst < -ZERO) or eig.min() < -FLAT * scale):
        return verdict(None, None, "inconsistent: the convexity bound says global minimum, the local analysis "
                                   "finds descent", None)
    for l, d in duals.items():
        if l in dead_layers and d["status"] == "violated":
            u = min(i for k, i in s.dead if k == l)
            if not grows(net, theta, l, u, d["witness"]):
                return verdict(None, None, f"inconsistent: a dead unit of layer {l + 1} should grow, but L "
                                           "does not decrease along the growth curve", glob)
            return verdict(False, False, f"a dead unit of layer {l + 1} can grow: ‖G(v)‖/‖v‖ = "
                                         f"{d['R_over_2lam']:.6g}·2λ > 2λ (L decreases along the curve)", glob)
    if s.kinks and worst < -ZERO:
        if not escapes(net, s, theta, normals, info):
            return verdict(None, None, f"inconsistent: negative multiplier at the kink of {where}, but L does "
                                       "not decrease into the region", glob)
        return verdict(False, False, f"negative multiplier {float(worst):.3g} at the kink of {where}: descent "
                                     "into the neighbouring region (L decreases along it)", glob)
    if eig.min() < -FLAT * scale:
        return verdict(False, False, f"negative curvature {eig.min():.3g} along the "
                                     f"{'kinks' if s.kinks else 'region'}", glob)
    def minimum(why: str) -> dict:
        lower = sampled_lower(net, theta)
        if lower:
            return verdict(None, None, f"inconsistent: {why}, yet {lower}", glob)
        return verdict(True, _isolated(flat_orbit, eig, scale, s, worst, duals), why, glob)

    if glob:
        return minimum("one hidden layer: R ≤ 2λ on every cone, a global minimum (convexity bound)")
    if s.kinks and worst <= ZERO:
        return verdict(None, False if flat_orbit else None, f"degenerate multiplier at the kink of {where}", glob)
    if eig.min() <= FLAT * scale:
        return verdict(None, False if flat_orbit else None, f"Hessian singular beyond the symmetry orbit "
                                                            f"(smallest eigenvalue {eig.min():.3g})", glob)
    for l in dead_layers:
        st = duals[l]["status"]
        if st == "saturated-live" and depth > 1:
            return verdict(None, False, f"a dead unit beside live units in layer {l + 1} of a deeper network "
                                        "(a split-orbit end point)", glob)
        if st not in ("strict", "saturated-live"):
            return verdict(None, False if flat_orbit else None, f"dead unit of layer {l + 1}: "
                                                                f"{duals[l].get('why', st)}", glob)
    what = "on the kinks' face with positive multipliers" if s.kinks else "inside its region"
    return minimum(f"positive-definite Hessian {what}" + (" modulo the symmetry orbit" if gens else "")
                   + (", dead units strictly stable" if dead_layers else ""))


def sampled_lower(net: Net, theta: np.ndarray, directions: int = 200) -> str | None:
    """A sanity check of a minimum verdict, not a proof: the true loss (ReLU, no fixed pattern) at random
    points ``θ* + t·d`` on spheres of radius ``t = (1e-4, 1e-5, 1e-6)·(1 + ‖θ*‖)``, in float64."""
    rng = np.random.default_rng(0)
    center = theta.astype(float)

    def loss(th: np.ndarray) -> float:
        _, _, out = forward(net, th, "f")
        R = out - net.Y["f"]
        return float((R * R).sum() / net.N + float(net.lam) * (th @ th))

    L0 = loss(center)
    for t in (1e-4, 1e-5, 1e-6):
        r = t * (1 + np.linalg.norm(center))
        for _ in range(directions):
            d = rng.normal(size=net.P)
            Lt = loss(center + r * d / np.linalg.norm(d))
            if Lt < L0 - 1e-13 * (1 + L0):
                return f"a random point at distance {r:.1g} has a lower loss (by {L0 - Lt:.2g})"
    return None


def _isolated(flat_orbit, eig, scale, s, worst, duals) -> bool | None:
    if flat_orbit:
        return False
    strict = eig.min() > FLAT * scale and (not s.kinks or worst > ZERO)
    dead_ok = all(duals[l]["status"] == "strict" for l, _ in s.dead)
    return True if strict and dead_ok else None


def _classify_safe(path: str) -> tuple[str, dict]:
    try:
        return os.path.basename(path), classify(path)
    except Exception as err:  # a reference failure is an unclassified point with its reason, never a guess
        return os.path.basename(path), {"local_minimum": None, "isolated": None, "global_minimum": None,
                                        "why": f"reference failed: {type(err).__name__}: {err}"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", default=os.path.join(HERE, "problems"))
    ap.add_argument("--out", default=os.path.join(HERE, "reference.json"))
    ap.add_argument("--only", default="*")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if not os.path.isdir(args.problems):
        print(f"Error: {args.problems}: not a directory of problem files; run train.py first", file=sys.stderr)
        sys.exit(2)
    files = sorted(os.path.join(args.problems, f) for f in os.listdir(args.problems)
                   if f.endswith(".json") and f != "manifest.json" and fnmatch.fnmatch(f, args.only))
    results = {}
    if os.path.exists(args.out) and args.only != "*":
        with open(args.out, encoding="utf-8") as fh:
            results = json.load(fh)
    start = time.perf_counter()
    with cf.ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for name, entry in pool.map(_classify_safe, files):
            results[name] = entry
            print(f"{name}: local_minimum={entry['local_minimum']} isolated={entry['isolated']} "
                  f"({entry.get('seconds', '-')} s) {entry['why']}", file=sys.stderr)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(dict(sorted(results.items())), fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    print(f"classified {len(files)} networks in {time.perf_counter() - start:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
