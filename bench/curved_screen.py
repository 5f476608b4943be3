"""Float feasibility screen for certificates at kinks of deeper layers (``docs/MATHEMATICS.md`` §5).

Run from the repository root: ``python bench/curved_screen.py [--verdicts FILE] [SOURCE ...]``.
Nothing is asserted and nothing is proved: floats only measure on which trained minima the hypotheses of
Theorem K (the curved kink ball) hold at the snapped centre, so that the checker rule can be built where
it pays. Needs PyTorch (the optional extra that ``bench/practitioner/train.py`` uses) for exact-in-float
Hessians of the pieces and of the pre-activations.

Sources (default: ``bench/practitioner/problems`` and, when generated, ``bench/corpus/work/minima``):
problem files with a point. Their verdicts come from ``certify --json`` (run here as a batch, or read from
``--verdicts``, the JSON of an earlier ``certify DIR --json``). A minimum is a **candidate** when certify's
reason mentions a deeper layer's pre-activation within rounding of 0 or curved boundaries (the brief's
selection), or when the scan below finds a *kink* of a deeper layer at the point (the wider selection: a
minimum decided otherwise can still sit on such a kink).

Per minimum, in float64:

1. *Zeros.* Hidden pre-activations with ``|z_{k,i}(x_j)| ≤ tol·max(1, ‖(W_k[i], b_k[i])‖·‖(h_{k−1}(x_j), 1)‖)``.
   Those of a dead unit (all incoming parameters within ``tol`` of 0) are not kinks (issue 14 item 2): the
   minimum is reported under "dead units" and not screened. So is a zero at a sample whose lower layer is
   all off there (``h_{k−1}(x_j) = 0``: ``z = b_k[i]``, a constraint on the bias alone), which is kept but
   merged per unit (all such samples give the same polynomial).
2. *Snap.* Newton on the KKT system of the reference piece (every kink unit on): ``∇L_P(θ) = J(θ)ᵀλ``,
   ``z_Z(θ) = 0``. The projected gradient on the kink set ``S`` is the same for every piece (the pieces
   agree on ``S``), so one piece suffices. The distance moved is printed.
3. *Each piece* ``s`` (all ``2^|Z|`` sign strings; with independent kink gradients every one meets every
   ball): multipliers ``ν^s`` by least squares, ``ν^s_m = s_m·λ^s_m``; the Lagrangian Hessian
   ``∇²L_{P_s} − Σ ν^s_m s_m ∇²z_m`` at the centre, its smallest eigenvalue on all of ``θ`` (form (a) of the
   theorem) and on the tangent space ``ker J`` of ``S`` (form (b), with strict complementarity), next to the
   piece's own Hessian (what ``boundary_ball`` would need).
4. *Verdict of the screen.* (a) holds when every multiplier is positive, ``J`` has full row rank and every
   piece's full Lagrangian Hessian is positive definite; (b) when the same holds with the tangent-space
   eigenvalue: the limits ``ρ → 0`` of Theorem K's forms ``τ = 0`` and ``τ > 0``. "Positive" means above
   ``1e-9`` relative to the scale of the numbers compared.
5. *Radius.* Where (b) holds, the kinks are layer-separated and in layers 1–2: the largest ``ρ = 2^-k``
   at which (S1) and (K2)–(K5) hold with the checker's own a-priori bounds (:func:`radius_estimate`).
6. *Float baseline.* ``min (L(c + d) − L(c))/‖d‖²`` over 500 seeded random ``d`` with ``‖d‖ = 1e-4``: what
   sampling sees (it misses flat orbits and narrow valleys, and proves nothing).

``--synthetic N`` adds a family of its own (:func:`synthetic`), because the corpora's networks rarely end on
a live deeper kink.
"""

from __future__ import annotations

import argparse
import glob
import itertools
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from symbolic.problem import Problem, load_problem  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover - the screen needs it
    sys.exit("bench/curved_screen.py needs PyTorch (pip install torch)")

torch.set_default_dtype(torch.float64)
SOURCES = ["bench/practitioner/problems", "bench/corpus/work/minima"]
SYNTHETIC = "bench/corpus/work/curved"    # git-ignored, like the corpus's own work directory
MAX_KINKS = 8           # 2^8 pieces at most
FLAT = 1e-9             # relative threshold for "positive"
SNAP_LIMIT = 1e-3       # a snapped centre farther than this (relative) is another critical point


class Net:
    """A problem in float64: shapes, α, λ, decay mask, data, the point."""

    def __init__(self, problem: Problem) -> None:
        self.p = problem
        self.widths = list(problem.widths)
        self.biases = problem.biases
        self.alpha = float(problem.alpha)
        self.lam = float(problem.weight_decay)
        self.decay = torch.tensor([1.0 if d else 0.0 for d in problem.decayed()])
        self.X = torch.tensor([[float(v) for v in r] for r in problem.inputs])
        self.Y = torch.tensor([[float(v) for v in r] for r in problem.targets])
        self.theta0 = torch.tensor([float(v) for v in problem.flatten(problem.point)])

    def layers(self, theta):
        out, at = [], 0
        for k in range(len(self.widths) - 1):
            r, c = self.widths[k + 1], self.widths[k]
            W = theta[at:at + r * c].reshape(r, c)
            at += r * c
            b = theta[at:at + r] if self.biases else torch.zeros(r)
            at += r if self.biases else 0
            out.append((W, b))
        return out

    def unit_index(self, k: int, i: int) -> list[int]:
        """Flat indices of unit ``i`` of layer ``k + 1``'s incoming row and bias (``k`` 0-based)."""
        at = 0
        for kk in range(k):
            r, c = self.widths[kk + 1], self.widths[kk]
            at += r * c + (r if self.biases else 0)
        r, c = self.widths[k + 1], self.widths[k]
        idx = list(range(at + i * c, at + (i + 1) * c))
        if self.biases:
            idx.append(at + r * c + i)
        return idx

    def forward(self, theta, masks=None):
        """Pre-activations per hidden layer (N × n_k) and the output; ``masks`` fixes the pattern."""
        h, zs = self.X, []
        layers = self.layers(theta)
        for k, (W, b) in enumerate(layers[:-1]):
            z = h @ W.T + b
            zs.append(z)
            h = masks[k] * z if masks is not None else torch.relu(z)
        W, b = layers[-1]
        return zs, h @ W.T + b

    def loss(self, theta, masks):
        _, f = self.forward(theta, masks)
        return self.alpha * ((f - self.Y) ** 2).sum() + self.lam * (self.decay * theta ** 2).sum()

    def z(self, theta, masks, m):
        j, k, i = m
        return self.forward(theta, masks)[0][k][j, i]


def hess(fn, x):
    return torch.autograd.functional.hessian(fn, x)


def grad(fn, x):
    return torch.autograd.functional.jacobian(fn, x)


def zeros_at(net: Net, theta, tol: float):
    """Near-zero hidden pre-activations ``(j, k, i)`` (``k`` 0-based) and the dead units, in float."""
    zs, _ = net.forward(theta)
    layers = net.layers(theta)
    h = net.X
    near, dead, null_input = [], set(), set()
    off: set[int] = set()   # samples at which the layer below is strictly off (h ≡ 0 near the point)
    for k, z in enumerate(zs):
        W, b = layers[k]
        for i in range(z.shape[1]):
            row = torch.cat([W[i], b[i:i + 1]])
            if row.abs().max() <= tol:
                dead.add((k, i))
                continue
            for j in range(z.shape[0]):
                scale = max(1.0, float(row.norm()) * float(torch.cat([h[j], torch.ones(1)]).norm()))
                if abs(float(z[j, i])) <= tol * scale and j not in off:
                    near.append((j, k, i))
                elif abs(float(z[j, i])) <= tol * scale and net.biases:
                    near.append((j, k, i))
                    null_input.add((j, k, i))
        # samples whose next layer sees h = 0 near the point: every unit here strictly off (or already so)
        off = {j for j in range(z.shape[0]) if j in off or all(float(v) < -tol for v in z[j])}
        h = torch.relu(z)
    return near, dead, null_input


def merge_null_inputs(kinks, null_input):
    """Keep one kink per unit among samples whose lower layer is all off (the same polynomial ``b_k[i]``)."""
    seen, out = set(), []
    for m in kinks:
        if m in null_input:
            if (m[1], m[2]) in seen:
                continue
            seen.add((m[1], m[2]))
        out.append(m)
    return out


def base_masks(net: Net, theta):
    zs, _ = net.forward(theta)
    return [(z > 0).to(torch.float64) for z in zs]


def piece_masks(masks, kinks, signs):
    out = [m.clone() for m in masks]
    for (j, k, i), s in zip(kinks, signs):
        out[k][j, i] = 1.0 if s > 0 else 0.0
    return out


def jacobian_of_kinks(net, theta, masks, kinks):
    return torch.stack([grad(lambda t, m=m: net.z(t, masks, m), theta) for m in kinks])


def snap(net: Net, theta, masks, kinks, iters: int = 30):
    """Newton on ``∇L_P = Jᵀλ``, ``z_Z = 0`` (reference piece ``masks``); returns the centre or ``None``."""
    t = theta.clone()
    P, K = t.numel(), len(kinks)
    J = jacobian_of_kinks(net, t, masks, kinks)
    g = grad(lambda x: net.loss(x, masks), t)
    lam = torch.linalg.lstsq(J.T, g.unsqueeze(1)).solution.squeeze(1)
    for _ in range(iters):
        J = jacobian_of_kinks(net, t, masks, kinks)
        g = grad(lambda x: net.loss(x, masks), t)
        zval = torch.stack([net.z(t, masks, m) for m in kinks])
        F = torch.cat([g - J.T @ lam, zval])
        if float(F.norm()) <= 1e-13 * max(1.0, float(g.norm())):
            return t
        H = hess(lambda x: net.loss(x, masks), t)
        for m, l in zip(kinks, lam):
            H = H - l * hess(lambda x, m=m: net.z(x, masks, m), t)
        M = torch.zeros(P + K, P + K)
        M[:P, :P], M[:P, P:], M[P:, :P] = H, -J.T, J
        step = torch.linalg.lstsq(M, -F.unsqueeze(1)).solution.squeeze(1)
        t, lam = t + step[:P], lam + step[P:]
    return t if float(F.norm()) <= 1e-9 else None


def screen_piece(net, c, masks, kinks, signs, J):
    """Multipliers, residual and the three smallest eigenvalues of one piece at the centre ``c``."""
    pm = piece_masks(masks, kinks, signs)
    g = grad(lambda x: net.loss(x, pm), c)
    Jp = jacobian_of_kinks(net, c, pm, kinks)   # equals J unless kinks at one sample span layers
    lam = torch.linalg.lstsq(Jp.T, g.unsqueeze(1)).solution.squeeze(1)
    nu = torch.tensor(signs, dtype=torch.float64) * lam
    e = g - Jp.T @ lam
    H = hess(lambda x: net.loss(x, pm), c)
    Lag = H.clone()
    for m, l in zip(kinks, lam):
        Lag = Lag - l * hess(lambda x, m=m: net.z(x, pm, m), c)
    # tangent space of S: the orthogonal complement of the kink gradients
    _, sv, Vt = torch.linalg.svd(Jp)
    T = Vt[len(sv):].T if len(sv) < Vt.shape[0] else torch.zeros(Vt.shape[0], 0)
    tangent = float(torch.linalg.eigvalsh(T.T @ Lag @ T)[0]) if T.shape[1] else float("inf")
    return {"nu": nu, "e": float(e.norm()), "piece": float(torch.linalg.eigvalsh(H)[0]), "Lag": Lag,
            "full": float(torch.linalg.eigvalsh(Lag)[0]), "tangent": tangent, "scale": float(H.abs().max())}


def screen(path: str, tol: float) -> dict:
    problem = load_problem(path)
    net = Net(problem)
    row = {"net": os.path.basename(path)[:-5], "depth": problem.depth}
    near, dead, null_input = zeros_at(net, net.theta0, tol)
    deeper = [m for m in near if m[1] > 0]
    row["deeper"] = len(deeper)
    if not deeper:
        row["status"] = "no deeper kink"
        return row
    if dead:
        row["status"] = "dead units"
        row["note"] = ", ".join(f"L{k + 1}u{i}" for k, i in sorted(dead))
        return row
    kinks = merge_null_inputs(near, null_input)
    row["kinks"] = kinks
    row["layers"] = sorted({k + 1 for _, k, _ in kinks})
    by_sample = {}
    for j, k, _ in kinks:
        by_sample.setdefault(j, set()).add(k)
    row["separated"] = all(len(ks) == 1 for ks in by_sample.values())
    if len(kinks) > MAX_KINKS:
        row["status"] = f"{len(kinks)} kinks (over {MAX_KINKS})"
        return row
    masks = base_masks(net, net.theta0)
    ref = piece_masks(masks, kinks, [1] * len(kinks))
    J0 = jacobian_of_kinks(net, net.theta0, ref, kinks)
    sv0 = torch.linalg.svdvals(J0)
    if float(sv0[-1]) <= FLAT * max(1.0, float(sv0[0])):
        row["status"] = "kink gradients dependent"
        row["sigma"] = float(sv0[-1])
        return row
    c = snap(net, net.theta0, ref, kinks)
    if c is None:
        row["status"] = "snap failed"
        return row
    row["moved"] = float((c - net.theta0).norm())
    if row["moved"] > SNAP_LIMIT * max(1.0, float(net.theta0.norm())):
        row["status"] = "snap moved far"
        return row
    J = jacobian_of_kinks(net, c, ref, kinks)
    row["sigma"] = float(torch.linalg.svdvals(J)[-1])
    zs, _ = net.forward(c)
    others = [abs(float(zs[k][j, i])) for k in range(len(zs)) for j in range(zs[k].shape[0])
              for i in range(zs[k].shape[1]) if (j, k, i) not in kinks and (j, k, i) not in null_input]
    row["margin"] = min(others) if others else float("inf")
    pieces = [screen_piece(net, c, masks, kinks, signs, J) for signs in itertools.product((1, -1), repeat=len(kinks))]
    row["pieces"] = len(pieces)
    row["nu_min"] = min(float(p["nu"].min()) for p in pieces)
    row["e_max"] = max(p["e"] for p in pieces)
    row["piece_min"] = min(p["piece"] for p in pieces)
    row["full_min"] = min(p["full"] for p in pieces)
    row["tangent_min"] = min(p["tangent"] for p in pieces)
    scale = max(p["scale"] for p in pieces)
    positive = row["nu_min"] > FLAT * scale
    row["a"] = positive and row["full_min"] > FLAT * scale
    row["b"] = positive and row["tangent_min"] > FLAT * scale
    row["boundary"] = row["piece_min"] > FLAT * scale
    row["sampled"] = sampled_growth(net, c)
    if row["b"] and row["separated"] and max(k for _, k, _ in kinks) <= 1:
        row["radius"], row["mu"] = radius_estimate(net, c, kinks, null_input, J, pieces)
    row["status"] = "screened"
    return row


def radius_estimate(net: Net, c, kinks, null_input, J, pieces) -> tuple[float | None, float | None]:
    """The largest ``ρ = 2^-k`` (and its ``μ``) at which Theorem K's (K2)–(K5) and (S1) hold, in floats.

    Kinks of layers 1 and 2 only (``K_m = ‖x̃_j‖`` for a second-layer kink with a first-layer unit on at
    ``x_j``, else 0). ``δ`` and the sign-stability bounds are the checker's own a-priori bounds
    (:func:`proofs.replay.derivative_bounds`) at the float centre; ``τ_s`` is tried at its largest value
    ``κ_s/(2jρ)`` and at a quarter and a sixteenth of it.
    """
    from fractions import Fraction

    from proofs.assemble import checker_problem
    from proofs.replay import derivative_bounds

    cp = checker_problem(net.p)
    centre = [Fraction(float(v)) for v in c]
    zs, _ = net.forward(c)
    K = []
    for j, k, _ in kinks:
        on = k == 1 and bool((zs[0][j] > 0).any())
        K.append(float(torch.cat([net.X[j], torch.ones(1 if net.biases else 0)]).norm()) if on else 0.0)
    gamma, sum_k = float(np.sqrt(sum(v * v for v in K))), sum(K)
    sigma, jn = float(torch.linalg.svdvals(J)[-1]), float(J.norm())
    JtJ = J.T @ J
    best = (None, None)
    for e in range(4, 48):
        rho = 2.0 ** -e
        b = derivative_bounds(cp, centre, Fraction(rho))
        stable = all(float(zs[k][j, i]) ** 2 > float(b.F1[k + 1]) ** 2 * b.prefix[k + 1] * rho * rho
                     for k in range(len(zs)) for j in range(zs[k].shape[0]) for i in range(zs[k].shape[1])
                     if (j, k, i) not in kinks and (j, k, i) not in null_input)
        if not stable or gamma * rho >= sigma:
            continue
        delta = float(np.sqrt(float(b.delta_squared)))
        mus = []
        for p in pieces:
            M = float(p["Lag"].norm()) + delta
            Delta = (p["e"] + M * rho) / (sigma - gamma * rho)
            kappa = float(p["nu"].min()) - Delta
            if kappa <= 0:
                mus.append(float("-inf"))
                continue
            tau_max = kappa / (2 * jn * rho)
            mus.append(max(float(torch.linalg.eigvalsh(p["Lag"] + t * JtJ)[0]) - delta - Delta * sum_k
                           - 16 * t * gamma ** 2 * rho ** 2 for t in (tau_max, tau_max / 4, tau_max / 16)))
        mu = min(mus)
        if mu > 0 and all(p["e"] < mu * rho / 2 for p in pieces):
            return rho, mu
    return best


def sampled_growth(net: Net, c, radius: float = 1e-4, directions: int = 500) -> float:
    """The float baseline: ``min (L(c + d) − L(c))/‖d‖²`` over random ``d`` of length ``radius`` (seeded).

    Positive at a strict minimum with quadratic (or kink-like linear) growth, negative next to a descent
    direction; it samples, so it can miss a narrow valley, and proves nothing.
    """
    gen = torch.Generator().manual_seed(0)
    L = lambda t: net.alpha * ((net.forward(t)[1] - net.Y) ** 2).sum() + net.lam * (net.decay * t ** 2).sum()  # noqa: E731
    base = float(L(c))
    worst = float("inf")
    for _ in range(directions):
        d = torch.randn(c.numel(), generator=gen)
        worst = min(worst, (float(L(c + radius * d / d.norm())) - base) / radius ** 2)
    return worst


def synthetic(count: int, restarts: int = 4) -> str:
    """Train the screen's own family into :data:`SYNTHETIC` and return the directory of its minima.

    The corpora's small networks with λ ≥ 1/100 mostly kill units, so they rarely end on a live deeper
    kink. This family keeps units alive: two hidden layers of widths 2–3, input dimension 1–2, biases,
    5–12 samples, λ ∈ {1/1000, 1/200, 1/100}, targets from a random ReLU teacher plus noise (the corpus's
    recipe, ``bench/corpus/make_corpus.py``), trained as ``pscert train`` does. Deterministic per index.
    """
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus"))
    from make_corpus import _dec, _teacher  # the corpus's teacher and one-decimal data

    from numeric.training import train, write_minima
    from symbolic.problem import parse_problem

    out = os.path.join(SYNTHETIC, "minima")
    os.makedirs(out, exist_ok=True)
    for old in glob.glob(os.path.join(out, "*.json")):
        os.remove(old)
    for i in range(count):
        rng = np.random.default_rng(1000 + i)
        widths = [int(rng.integers(1, 3)), int(rng.integers(2, 4)), int(rng.integers(2, 4)), 1]
        n = int(rng.integers(5, 13))
        lam = ("1/1000", "1/200", "1/100")[i % 3]
        X = rng.integers(-10, 11, size=(n, widths[0])) / 10
        y = np.clip(np.round(_teacher(rng, widths, True, X) + rng.normal(0, 0.1, size=n), 1), -1, 1)
        problem = parse_problem({
            "format": "pscert.problem/1", "name": f"curved screen {i:03d}",
            "network": {"widths": widths, "biases": True}, "loss": {"reduction": "mean", "weight_decay": lam},
            "data": {"inputs": [[_dec(v) for v in r] for r in X], "targets": [[_dec(v)] for v in y]}})
        write_minima(problem, train(problem, restarts, seed=i), out, f"s{i:03d}")
    return out


def verdicts(sources: list[str], given: str | None) -> dict[str, dict]:
    """``certify --json`` rows by file name: from ``given`` or a fresh batch run per source."""
    rows = []
    if given:
        with open(given, encoding="utf-8") as fh:
            rows = json.load(fh)["problems"]
    else:
        with tempfile.TemporaryDirectory() as out:
            for src in sources:
                cmd = [sys.executable, "-c", "from cli import main; main()", "certify", *problem_files(src),
                       "--json", "-q", "--jobs", "2", "-o", out]
                done = subprocess.run(cmd, capture_output=True, text=True)
                rows += json.loads(done.stdout)["problems"]
    return {os.path.basename(r["file"])[:-5]: r for r in rows}


def problem_files(src: str) -> list[str]:
    files = sorted(glob.glob(os.path.join(src, "*.json"))) if os.path.isdir(src) else [src]
    return [f for f in files if not f.endswith((".cert.json", "manifest.json"))]


def mentions_deeper(reason: str) -> bool:
    return "deeper layer" in reason or "curved" in reason


def fmt(v, spec=".2e"):
    return "–" if v is None else format(v, spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sources", nargs="*", help="problem files or directories (default: the two corpora)")
    ap.add_argument("--verdicts", help="JSON of an earlier `certify --json` batch (skips running certify)")
    ap.add_argument("--tol", type=float, default=3e-5, help="relative size of a pre-activation counted as 0")
    ap.add_argument("--synthetic", type=int, default=0, metavar="N",
                    help="also train and screen N problems of the screen's own family (see synthetic())")
    args = ap.parse_args()
    sources = args.sources or [s for s in SOURCES if os.path.isdir(s)]
    if args.synthetic:
        sources.append(synthetic(args.synthetic))
    ver = verdicts(sources, args.verdicts)
    rows = []
    for src in sources:
        for f in problem_files(src):
            name = os.path.basename(f)[:-5]
            v = ver.get(name, {})
            by_reason = mentions_deeper(v.get("reason", ""))
            if load_problem(f).depth < 2 and not by_reason:
                continue
            r = screen(f, args.tol)
            if r["status"] == "no deeper kink" and not by_reason:
                continue
            r["by_reason"] = by_reason
            r["source"] = src
            r["certify"] = (v.get("status", "?") + " " + (v.get("claim") or "")).strip()
            rows.append(r)
    print(f"Candidates: {len(rows)} minima of {sum(len(problem_files(s)) for s in sources)} "
          f"(tol {args.tol:g}); R = certify's reason mentions a deeper layer or curved boundaries")
    print()
    print("| net | R | certify | kinks (layer) | sep. | moved | σ_min(J) | min ν | max ‖e‖ | λ_min piece | "
          "λ_min Lagr. | λ_min Lagr. on T | (a) | (b) | ρ (K) | μ (K) | sampled ΔL/r² | screen |")
    print("| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: "
          "| --- |")
    for r in rows:
        kinks = r.get("kinks")
        ks = "–" if kinks is None else " ".join(f"{j}:{k + 1}.{i}" for j, k, i in kinks)
        yes = lambda key: "–" if key not in r else ("yes" if r[key] else "no")  # noqa: E731
        print(f"| {r['net']} | {'R' if r['by_reason'] else ''} | {r['certify']} | {ks} | {yes('separated')} | "
              f"{fmt(r.get('moved'))} | {fmt(r.get('sigma'))} | {fmt(r.get('nu_min'))} | {fmt(r.get('e_max'))} | "
              f"{fmt(r.get('piece_min'))} | {fmt(r.get('full_min'))} | {fmt(r.get('tangent_min'))} | {yes('a')} | "
              f"{yes('b')} | {fmt(r.get('radius'))} | {fmt(r.get('mu'))} | {fmt(r.get('sampled'))} | {r['status']}{' ' + r['note'] if r.get('note') else ''} |")
    print()
    print("| source | minima | candidates | R | screened | (a) holds | (b) holds | boundary_ball's | undecided today "
          "| (b) on undecided |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for src in [*sources, "all"]:
        mine = [r for r in rows if src in ("all", r["source"])]
        done = [r for r in mine if r["status"] == "screened"]
        open_ = [r for r in done if not r["certify"].startswith(("CERTIFIED", "REFUTED"))]
        total = sum(len(problem_files(s)) for s in sources) if src == "all" else len(problem_files(src))
        print(f"| {src} | {total} | {len(mine)} | {sum(r['by_reason'] for r in mine)} | {len(done)} | "
              f"{sum(r['a'] for r in done)} | {sum(r['b'] for r in done)} | {sum(r['boundary'] for r in done)} | "
              f"{len(open_)} | {sum(r['b'] for r in open_)} |")
    others: dict[str, int] = {}
    for r in rows:
        if r["status"] != "screened":
            others[r["status"]] = others.get(r["status"], 0) + 1
    print()
    print("Not screened: " + (", ".join(f"{n} {s}" for s, n in sorted(others.items())) or "none") + ".")


if __name__ == "__main__":
    main()
