"""One hidden layer whose units are all dead (a network collapsed by weight decay): untrusted search.

The point is snapped to the exact centre (every hidden parameter 0, the output bias the exact
minimiser ``b* = α Σ_j y_j / (αN + λ_b)``), the cells of the single-unit arrangement ``{v·x̃_j = 0}`` are
listed (empty ones with Gordan vectors), and each cell gets a witness that ``‖G(v)‖ ≤ (λ − ε)‖v‖``
there: polar-cone weights (scalar output) or a positive-definiteness certificate (vector output). The
lemma is in :mod:`proofs.checker.collapse`.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable

import numpy as np
from flint import fmpq_mat
from scipy.optimize import nnls

from symbolic.derivatives import to_fmpq
from symbolic.network import null_samples
from symbolic.problem import Problem
from symbolic.rationals import canonical

from .assemble import Verdict, certificate, checked, rational_below, short, sqrt_above
from .boundary import _case_split
from .positivity import pd_certificate
from .refine import dyadic

MAX_CELLS = 4096
"""Most cells of the single-unit arrangement a certificate may list."""

TOLERANCE = 1e-7
"""How close to 0 (relative to ``max(1, ‖θ‖∞)``) every hidden parameter must be for a snap."""


def collapsed_verdict(problem: Problem, theta: list[Fraction], say: Callable[[str], None]) -> Verdict | None:
    """A ``collapsed_layer`` certificate when every hidden unit is (within rounding of) dead, else ``None``."""
    if problem.depth != 1 or problem.activation != "relu" or problem.weight_decay <= 0:
        return None
    if (problem.biases and not problem.decay_biases) or null_samples(problem):
        return None
    n1, n_out, N = problem.widths[1], problem.widths[-1], problem.samples
    hidden = problem.layer_sizes[0] + n_out * n1
    scale = max(1.0, max(abs(float(t)) for t in theta))
    if any(abs(float(t)) > TOLERANCE * scale for t in theta[:hidden]):
        return None
    say("every hidden unit is dead: listing the cells of one unit's arrangement")
    alpha, lam = problem.alpha, problem.weight_decay
    b_star = [alpha * sum((y[o] for y in problem.targets), Fraction(0)) / (alpha * N + lam) if problem.biases
              else Fraction(0) for o in range(n_out)]
    c = [Fraction(0)] * hidden + (b_star if problem.biases else [])
    snapped = any(t != v for t, v in zip(theta, c))
    cells, empty = _case_split(problem, [(j, 0) for j in range(N)])
    if len(cells) > MAX_CELLS:
        return Verdict("UNKNOWN", f"{len(cells)} cells in one dead unit's arrangement (more than {MAX_CELLS})")
    xt = [list(x) + ([Fraction(1)] if problem.biases else []) for x in problem.inputs]
    residuals = [[b - y[o] for o, b in enumerate(b_star)] for y in problem.targets]
    witnesses, worst2 = [], Fraction(0)
    for signs in cells:
        M = [[alpha * sum((r[o] * x[p] for r, x, s in zip(residuals, xt, signs) if s == "1"), Fraction(0))
              for p in range(len(xt[0]))] for o in range(n_out)]
        item: dict[str, Any] = {"signs": signs}
        if n_out == 1:
            for key, sign in (("plus", 1), ("minus", -1)):
                weights, dist2 = _polar_witness([sign * v for v in M[0]], xt, signs)
                item[key] = [canonical(w) for w in weights]
                worst2 = max(worst2, dist2)
        else:
            worst2 = max(worst2, Fraction(float(np.linalg.norm(np.array(M, dtype=float), 2)) ** 2 * 1.0001))
        witnesses.append((item, M))
    if worst2 >= lam * lam:
        return Verdict("UNKNOWN", "every hidden unit is dead, but some cell's coupling reaches 2λ: the dead layer may "
                       "be a saddle (no descent curve was built)")
    eps = rational_below(float(lam - sqrt_above(worst2)) / 2) if worst2 else lam / 2
    room = (lam - eps) ** 2
    for item, M in witnesses:
        if n_out > 1:
            A = fmpq_mat(len(xt[0]), len(xt[0]), [to_fmpq((room if p == q else 0) - sum((row[p] * row[q] for row in M), Fraction(0)))
                                                   for p in range(len(xt[0])) for q in range(len(xt[0]))])
            pd = pd_certificate(A)
            if pd is None:
                return Verdict("UNKNOWN", "no positive-definiteness certificate for a dead unit's cell bound")
            item["pd"] = pd
    s_x = sqrt_above(N * sum((v * v for x in xt for v in x), Fraction(0)))
    mu_q = min(alpha * N + (lam if problem.biases else 0), eps)
    C0 = alpha * s_x
    rho = Fraction(1, 2 ** max(0, math.ceil(math.log2(float(2 * C0 / mu_q))))) if C0 else Fraction(1)
    while C0 * rho > mu_q / 2:
        rho /= 2
    evidence = {"method": "collapsed_layer", "epsilon": canonical(eps), "x_sum": canonical(s_x),
                "cells": [item for item, _ in witnesses],
                "empty": [{"signs": s, "gordan": [canonical(v) for v in y] + ["0"] * (N - len(y))} for s, y in empty]}
    cert = certificate(problem, "CERTIFIED", "isolated_local_minimum", c, rho, evidence, mu_q)
    note = " (about the snapped centre: every hidden parameter set exactly to 0" + \
        (", the output bias to its exact minimiser)" if problem.biases else ")") if snapped else ""
    reason = (f"isolated strict local minimum: every hidden unit is dead and each of the {len(cells)} cells of a dead "
              f"unit's arrangement couples below 2λ; L grows at least μ/2 = {short(mu_q / 2)} times the squared "
              f"distance on the ball of radius {short(rho)}{note}")
    facts = {"mu": canonical(mu_q), "radius": canonical(rho), "cells": len(cells), "excluded": len(empty),
             "epsilon": canonical(eps)}
    return checked(Verdict("CERTIFIED", reason, "isolated_local_minimum", cert, facts))


def _polar_witness(c: list[Fraction], xt: list[list[Fraction]], signs: str) -> tuple[list[Fraction], Fraction]:
    """Weights ``μ ≥ 0`` (dyadic) making ``‖c + Σ μ_j s'_j x̃_j‖`` small, and that squared distance exactly."""
    cols = np.array([[float((1 if s == "1" else -1) * v) for v in x] for x, s in zip(xt, signs)]).T
    mu, _ = nnls(cols, -np.array([float(v) for v in c]))
    weights = [max(Fraction(0), dyadic(float(m), 40)) for m in mu]
    gap = list(c)
    for w, x, s in zip(weights, xt, signs):
        if w:
            for p, v in enumerate(x):
                gap[p] += w * (1 if s == "1" else -1) * v
    return weights, sum((v * v for v in gap), Fraction(0))
