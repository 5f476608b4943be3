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

    @property
    def margin(self) -> Fraction | None:
        """The smallest ``|z|``; ``None`` without ReLU units (identity activations have no regions)."""
        return self.forward.margin if self.problem.activation == "relu" else None

    def to_json(self) -> dict[str, Any]:
        p, fw = self.problem, self.forward
        margin = self.margin
        return {
            "name": p.name,
            "widths": list(p.widths),
            "biases": p.biases,
            "decay_biases": p.decay_biases,
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
        norm = "‖θ‖²" if p.decay_biases else "‖weights‖²"
        yield f"loss:         L = {red} ‖f(x_j) − y_j‖² + λ{norm}, λ = {canonical(p.weight_decay)}, N = {p.samples}"
        yield f"L(point):     {show(self.loss)}"
        relu = p.depth > 0 and p.activation == "relu"
        patterns = pattern_to_json(fw.pattern)
        for j, out in enumerate(fw.outputs):
            pat = f"  pattern {' '.join(patterns[j])}" if relu else ""
            yield f"sample {j}:     f = [{', '.join(show(v) for v in out)}]{pat}"
        if p.depth and not relu:
            yield "boundary:     none: identity activations make one region"
        if relu:
            yield f"margin:       min |z| = {show(self.margin)}"
            if fw.boundary:
                triples = ", ".join(f"({j}, {k}, {i})" for j, k, i in fw.boundary)
                yield f"boundary:     {len(fw.boundary)} pre-activation(s) exactly 0 at (sample, layer, unit): {triples}"
            else:
                yield "boundary:     none: the point lies inside one activation region"


def summary(problem: Problem) -> Summary:
    """Evaluate the problem exactly at its point.

    Raises
    ------
    ValueError
        If the problem has no point.

    Examples
    --------
    The chain ``f = b·relu(a·x)`` at ``a = 1, b = 2`` on ``x = y = 1`` with ``λ = 1/4``:
    ``f = 2``, ``L = (2 − 1)² + (1 + 4)/4 = 9/4``.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]},
    ...     "point": {"weights": [[[1]], [[2]]]}})
    >>> info = summary(p).to_json()
    >>> info["loss"], info["outputs"], info["margin"], info["boundary"]
    ('9/4', [['2']], '1', [])
    """
    return Summary(problem, loss(problem), forward(problem))
