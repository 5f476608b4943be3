"""A wider network that does better (the refutation of ``global_minimum``): its search and its LaTeX section.

When Lemma D fails on a cone ``C_S`` of the data arrangement (:mod:`proofs.methods.dual_cones`), one more unit
in that cone lowers the loss; the certificate gives the wider network exactly, and the checker
(:mod:`proofs.checker.duality`) verifies that its loss is below every loss on the certified ball.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from typing import Callable

import numpy as np

from symbolic.problem import Problem, params_to_json
from symbolic.rationals import canonical

from ..assemble import Verdict, certificate, checker_problem, short, sqrt_above
from ..checker.network import bounds
from ..latex_setting import Doc, Parts
from ..refine import dyadic
from . import renders
from .collapsed_layer import _polar_witness
from .dual_cones import _index, _samples, parts, recheck

Progress = Callable[[str], None]


def search(problem: Problem, c: list[Fraction], rho: Fraction, signs: str, sign: int, c_S: list[Fraction],
           xt: list[list[Fraction]], say: Progress) -> Verdict:
    """One more unit ``(t·û, −sign·t)`` with ``û`` the unit projection of ``sign·c_S`` onto the cone."""
    say(f"the dual bound fails on the cone {signs}: adding one unit there")
    weights, _ = _polar_witness([sign * v for v in c_S], xt, signs)
    u = [sign * v for v in c_S]
    for w, x, s in zip(weights, xt, signs):
        for p, v in enumerate(x):
            u[p] += w * v if s == "1" else -w * v
    uf = np.array([float(v) for v in u])
    uhat = uf / np.linalg.norm(uf)
    X = np.array([[float(v) for v in x] for x in xt])
    lam, alpha = float(problem.weight_decay), float(problem.alpha)
    gain = float(np.linalg.norm(uf)) - 2 * lam
    h = alpha * float(np.sum(np.maximum(X @ uhat, 0) ** 2))
    t = math.sqrt(gain / (2 * h)) if h > 0 else 1.0
    n0, bias, n1 = problem.widths[0], int(problem.biases), problem.widths[1]
    wide = replace(problem, widths=(n0, n1 + 1, 1), point=None)
    theta = [Fraction(0)] * wide.parameter_count
    for g in range(n1):
        for p in range(n0 + bias + 1):
            theta[_index(wide, g, p)] = c[_index(problem, g, p)]
    for p in range(n0 + bias):
        theta[_index(wide, n1, p)] = dyadic(t * float(uhat[p]), 30)
    theta[_index(wide, n1, n0 + bias)] = dyadic(-sign * t, 30)
    if bias:
        theta[-1] = c[-1]
    cp = checker_problem(problem)
    F1 = bounds(cp, c, rho).F1[-1]
    delta = sqrt_above(cp.count * F1 * F1 * rho * rho)
    evidence = {"method": "wider_network", "width": n1 + 1,
                "point": params_to_json(wide.unflatten(theta)), "residual_bound": canonical(delta)}
    cert = certificate(problem, "REFUTED", "not_global_minimum", c, rho, evidence)
    unit = ", ".join(short(v) for v in theta[_index(wide, n1, 0): _index(wide, n1, 0) + 1])
    reason = (f"not a global minimum: a network with one more unit does better (add a unit active on the samples "
              f"{_samples(signs)}, outgoing weight {short(theta[_index(wide, n1, n0 + bias)])}; first incoming "
              f"weight {unit})")
    facts = {"radius": canonical(rho), "cone": signs, "sign": sign, "width": n1 + 1}
    return recheck(Verdict("REFUTED", reason, "not_global_minimum", cert, facts))




@renders("wider_network")
def render(doc: Doc) -> Parts:
    """The proof of ``not_global_minimum``: the wider network's exact loss is below the ball's."""
    return parts(doc, "Not a global minimum over all widths",
                 "a one-hidden-layer network with one more unit has a lower loss than every point of the ball")
