"""``pscert threshold`` as one job: the point's threshold (optionally certified), or a depth or dropout variant.

The command line parses the options into a :class:`ThresholdJob` and prints what :meth:`ThresholdJob.run`
returns: one JSON object and the same result as text lines. Every number is exact (the tables come from
:mod:`symbolic.threshold`, :mod:`symbolic.dropout` and :mod:`numeric.sweeps`); only plots use floats.
The modes exclude each other; :meth:`ThresholdJob.conflict` names the first clash of options.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

from symbolic.dropout import DropoutModel, dropout_threshold
from symbolic.files import write_atomic
from symbolic.problem import Problem
from symbolic.rationals import canonical
from symbolic.threshold import threshold

from .sweeps import (DEPTH_RULE, default_keep_probabilities, depth_sweep, depth_table, dropout_sweep, dropout_table,
                     parse_range, plot_depth, plot_dropout)

Show = Callable[[Fraction | None], str]
"""Formats an exact number for a terminal (the command line's ``approx``)."""


@dataclass(frozen=True)
class ThresholdJob:
    """The options of ``pscert threshold``; ``None``/``False`` leaves an option out.

    ``depths`` (``"A..B"``), ``keep`` (one keep probability) and ``keep_sweep`` select the variant;
    ``out`` (with ``epsilon``) writes a ``piecewise_strong_convexity`` certificate of the point's set.
    """

    theta: Fraction | None = None
    spectral: bool = False
    gap: bool = True
    depths: str | None = None
    keep: Fraction | None = None
    inverted: bool = False
    keep_sweep: bool = False
    plot: str | None = None
    out: str | None = None
    epsilon: Fraction | None = None

    def conflict(self) -> str | None:
        """The first clash of options, as ``"<option>: <why>"``, or ``None``.

        >>> ThresholdJob(plot="d.png").conflict()
        '--plot: needs --depth-sweep or --dropout-sweep'
        >>> ThresholdJob(depths="1..3", plot="d.png").conflict() is None
        True
        """
        modes = sum(x for x in (self.depths is not None, self.keep is not None, self.keep_sweep))
        if modes > 1:
            return "--depth-sweep/--dropout/--dropout-sweep: must be used one at a time (got several)"
        if self.plot and not (self.depths or self.keep_sweep):
            return "--plot: needs --depth-sweep or --dropout-sweep"
        if self.inverted and self.keep is None:
            return "--inverted: needs --dropout P"
        if self.epsilon is not None and not self.out:
            return "--epsilon: needs -o CERT (it sets the certified set)"
        if self.out and modes:
            return "--out: certifies the point's set only; drop the sweep options"
        return None

    def run(self, problem: Problem, show: Show) -> tuple[dict[str, Any], list[str]]:
        """``(JSON object, text lines)`` of the selected variant at the problem's point (files written first)."""
        if self.depths is not None:
            return self._depth(problem, show)
        if self.keep is not None:
            return self._dropout(problem, self.keep, show)
        if self.keep_sweep:
            return self._dropout_sweep(problem, show)
        return self._point(problem, show)

    def _point(self, problem: Problem, show: Show) -> tuple[dict[str, Any], list[str]]:
        report = threshold(problem, self.theta, self.spectral, gap=self.gap)
        obj, lines = report.to_json(), list(report.lines(show))
        if self.out:
            from proofs.methods.lemma_a_norm_box import certified

            cert = certified(report, self.epsilon)
            write_atomic(self.out, json.dumps(cert, indent=2) + "\n")
            obj["certificate"] = self.out
            lines.append(f"wrote {self.out}: piecewise_strong_convexity, μ = {cert['mu']} (checked)")
        return obj, lines

    def _depth(self, problem: Problem, show: Show) -> tuple[dict[str, Any], list[str]]:
        assert self.depths is not None
        used, rows = depth_sweep(problem, parse_range(self.depths), self.theta, gap=self.gap)
        if self.plot:
            plot_depth(rows, used, self.plot)
        obj = {"rule": DEPTH_RULE, "theta": canonical(used), "rows": [r.to_json() for r in rows], "plot": self.plot}
        return obj, depth_table(used, rows, show) + self._wrote()

    def _dropout(self, problem: Problem, keep: Fraction, show: Show) -> tuple[dict[str, Any], list[str]]:
        model = DropoutModel(keep, self.inverted)
        base = threshold(problem, self.theta, self.spectral, gap=False)
        d = dropout_threshold(problem, model, base.theta)
        obj = {"theta": canonical(base.theta), "no_dropout_epsilon_star": _opt(base.epsilon_star), **d.to_json()}
        lines = [f"model:         {model.describe()}; exact expected loss ({d.method}, {d.masks} mask(s))",
                 f"θ:             {show(base.theta)}",
                 f"ε*_p:          {show(d.epsilon_star)}   (without dropout: {show(base.epsilon_star)})",
                 f"E_p(point):    {show(d.expected_error)}   (without dropout: {show(base.error)})",
                 f"in U_p:        {'yes' if d.in_set else 'no'}; μ_p = {show(d.mu)}",
                 f"λ_min(∇²L_p):  ∈ [{show(d.lambda_min.lo)}, {show(d.lambda_min.hi)}] (exact, expected loss)"]
        return obj, lines

    def _dropout_sweep(self, problem: Problem, show: Show) -> tuple[dict[str, Any], list[str]]:
        used, rows = dropout_sweep(problem, default_keep_probabilities(), self.theta)
        if self.plot:
            plot_dropout(rows, self.plot)
        obj = {"theta": canonical(used), "rows": [[a.to_json(), b.to_json()] for a, b in rows], "plot": self.plot}
        return obj, dropout_table(used, rows, show) + self._wrote()

    def _wrote(self) -> list[str]:
        return [f"wrote {self.plot}"] if self.plot else []


def _opt(q: Fraction | None) -> str | None:
    return canonical(q) if q is not None else None
