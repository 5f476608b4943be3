"""What ``pscert inspect`` reports about a problem at its point: exact values, nothing claimed."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterator

from .network import Forward, forward, loss, pattern_to_json
from .problem import Problem
from .rationals import canonical


@dataclass(frozen=True)
class Summary:
    """The exact facts ``inspect`` prints."""

    problem: Problem
    loss: Fraction
    forward: Forward

    def to_json(self) -> dict[str, Any]:
        p, fw = self.problem, self.forward
        margin = fw.margin
        return {
            "name": p.name,
            "widths": list(p.widths),
            "biases": p.biases,
            "activation": p.activation,
            "parameters": p.parameter_count,
            "samples": p.samples,
            "weight_decay": canonical(p.weight_decay),
            "reduction": p.reduction,
            "loss": canonical(self.loss),
            "outputs": [[canonical(v) for v in row] for row in fw.outputs],
            "pattern": pattern_to_json(fw.pattern),
            "margin": canonical(margin) if margin is not None else None,
            "boundary": [list(t) for t in fw.boundary],
        }

    def lines(self, show: Callable[[Fraction | None], str]) -> Iterator[str]:
        p, fw = self.problem, self.forward
        arch = "-".join(map(str, p.widths))
        bias = ("biases, decayed" if p.decay_biases else "biases, not decayed") if p.biases else "no biases"
        yield f"problem:      {p.name or '(unnamed)'}"
        yield f"network:      {arch} ({bias}, {p.activation}); {p.parameter_count} parameters, {p.depth} hidden layer(s)"
        red = "1/N Σ" if p.reduction == "mean" else "Σ"
        yield f"loss:         L = {red} ‖f(x_j) − y_j‖² + λ‖θ‖², λ = {canonical(p.weight_decay)}, N = {p.samples}"
        yield f"L(point):     {show(self.loss)}"
        for j, out in enumerate(fw.outputs):
            pat = " ".join(pattern_to_json(fw.pattern)[j]) if p.depth else ""
            yield f"sample {j}:     f = [{', '.join(show(v) for v in out)}]" + (f"  pattern {pat}" if pat else "")
        if p.depth:
            yield f"margin:       min |z| = {show(fw.margin)}"
            if fw.boundary:
                triples = ", ".join(f"({j}, {k}, {i})" for j, k, i in fw.boundary)
                yield f"boundary:     {len(fw.boundary)} pre-activation(s) exactly 0 at (sample, layer, unit): {triples}"
            else:
                yield "boundary:     none: the point lies inside one activation region"


def summary(problem: Problem) -> Summary:
    """Evaluate the problem exactly at its point."""
    return Summary(problem, loss(problem), forward(problem))
