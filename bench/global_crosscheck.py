"""Cross-check ``global_minimum`` verdicts against brute-force training of wide networks (floats).

For random small problems (1-D and 2-D inputs, biases decayed) a narrow network is trained from several
starts; its best minimum goes to :func:`proofs.methods.dual_cones.global_verdict`. Independently, a wide
network (``--wide`` units) is trained from several random starts. A CERTIFIED verdict is contradicted if
the wide network reaches a loss clearly below the certified value; a REFUTED verdict is proved by the
exact wider network in the certificate; a wide training that does not reach below it is only reported
(float training from random starts can miss the better network).

    python bench/global_crosscheck.py [--problems 12] [--seed 0] [--wide 24]

Prints one row per problem and a summary; exits 1 on a contradiction.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from proofs.methods.dual_cones import global_verdict  # noqa: E402
from symbolic.problem import Params, Problem, problem_to_json  # noqa: E402


def loss_and_grad(t: np.ndarray, X: np.ndarray, Y: np.ndarray, m: int, lam: float) -> tuple[float, np.ndarray]:
    """Mean squared loss plus ``λ‖θ‖²`` of a biased 1-hidden-layer net; ``θ = (W, b, a, c)`` flat."""
    d = X.shape[1]
    W, b, a, c = t[: m * d].reshape(m, d), t[m * d: m * d + m], t[m * d + m: m * d + 2 * m], t[-1]
    Z = X @ W.T + b
    H = np.maximum(Z, 0)
    r = H @ a + c - Y
    N = len(Y)
    L = float(r @ r) / N + lam * float(t @ t)
    gr = 2 * r / N
    ga = H.T @ gr
    gZ = np.outer(gr, a) * (Z > 0)
    g = np.concatenate([(gZ.T @ X).ravel(), gZ.sum(0), ga, [gr.sum()]]) + 2 * lam * t
    return L, g


def train(X: np.ndarray, Y: np.ndarray, m: int, lam: float, rng: np.random.Generator, starts: int) -> tuple[float, np.ndarray]:
    """Best of ``starts`` L-BFGS runs from random starts."""
    best = (np.inf, np.zeros(0))
    size = m * X.shape[1] + 2 * m + 1
    for _ in range(starts):
        t0 = rng.standard_normal(size) * 0.8
        res = minimize(loss_and_grad, t0, args=(X, Y, m, lam), jac=True, method="L-BFGS-B",
                       options={"maxiter": 20000, "gtol": 1e-13, "ftol": 1e-16})
        if res.fun < best[0]:
            best = (float(res.fun), res.x)
    return best


def to_problem(X: np.ndarray, Y: np.ndarray, m: int, lam: Fraction, t: np.ndarray) -> Problem:
    d = X.shape[1]
    frac = [Fraction(float(v)) for v in t]
    W = tuple(tuple(frac[i * d: (i + 1) * d]) for i in range(m))
    b, a, c = tuple(frac[m * d: m * d + m]), tuple(frac[m * d + m: m * d + 2 * m]), frac[-1]
    point = Params((W, (a,)), (b, (c,)))
    q = lambda v: Fraction(v).limit_denominator(8)  # noqa: E731  (short exact data)
    return Problem((d, m, 1), True, True, "relu", "mean", lam, tuple(tuple(q(v) for v in x) for x in X),
                   tuple((q(y),) for y in Y), point)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--problems", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--wide", type=int, default=16, help="units of the wide network (0: no wide training)")
    ap.add_argument("--save", help="write each decided problem (with its trained point) to this folder")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    rows, bad = [], 0
    print(f"{'#':>3} {'d':>2} {'N':>2} {'m':>2} {'lambda':>7} {'verdict':>10} {'L(narrow)':>12} {'L(wide)':>12} "
          f"{'agree':>6} {'s':>5} local")
    for k in range(args.problems):
        d = 1 + k % 2
        N = int(rng.integers(3, 7))
        m = int(rng.integers(1, 4))
        lam = Fraction(int(rng.integers(1, 6)), 100)
        X = np.array([[float(Fraction(float(v)).limit_denominator(8)) for v in row]
                      for row in rng.uniform(-2, 2, (N, d))])
        Y = np.array([float(Fraction(float(v)).limit_denominator(8)) for v in rng.uniform(-2, 2, N)])
        L_narrow, t = train(X, Y, m, float(lam), rng, 8)
        start = time.perf_counter()
        problem = to_problem(X, Y, m, lam, t)
        v = global_verdict(problem)
        secs = time.perf_counter() - start
        L_wide, _ = train(X, Y, args.wide, float(lam), rng, 4) if args.wide else (float("nan"), None)
        if not args.wide:
            agree = None
        elif v.status == "CERTIFIED":
            agree = L_wide >= L_narrow - 1e-7
        elif v.status == "REFUTED":
            agree = L_wide < L_narrow - 1e-9
        else:
            agree = None
        bad += agree is False and v.status == "CERTIFIED"
        rows.append((v.status, agree))
        mark = {True: "yes", False: "NO", None: "-"}[agree]
        local = v.certificate["evidence"].get("local", {}).get("method", "") if v.certificate else ""
        print(f"{k:>3} {d:>2} {N:>2} {m:>2} {str(lam):>7} {v.status:>10} {L_narrow:>12.8f} {L_wide:>12.8f} "
              f"{mark:>6} {secs:>5.2f} {local}")
        if args.save:
            Path(args.save).mkdir(exist_ok=True)
            Path(args.save, f"{v.status.lower()}_{args.seed}_{k}.json").write_text(
                json.dumps(problem_to_json(problem), indent=1))
        if v.status == "UNKNOWN":
            print(f"      UNKNOWN: {v.reason}")
    count = {s: sum(1 for r in rows if r[0] == s) for s in ("CERTIFIED", "REFUTED", "UNKNOWN")}
    print(f"\n{count['CERTIFIED']} certified, {count['REFUTED']} refuted, {count['UNKNOWN']} unknown; "
          f"{bad} certified verdict(s) contradicted by wide training; "
          f"{sum(1 for s, a in rows if s == 'REFUTED' and a is False)} refutation(s) not reproduced by training")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
