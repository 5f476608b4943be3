"""Depth and dropout sweeps of the threshold, as exact tables (and optional matplotlib plots).

**Depth family** (rule ``identity-extension``): same data, hidden width ``n_1``; the network of depth
``H`` keeps the point's first layer ``(W_1, b_1)`` and last layer ``(W_{H+1}, b_{H+1})`` and inserts
``H − 1`` hidden layers ``W = I_{n_1}``, ``b = 0``. Because ``σ(σ(z)) = σ(z)`` (and ``I·I = I`` for linear
networks) every member computes the **same function on the data**, so the training error is constant
and only the certified set changes: ``ε*(H) = λ²/(α H² θ^(2H−2) X₂)`` at a fixed ``θ``, the quantitative
"deeper networks are harder to train" of paper.md §7. ``θ`` defaults to ``max(1, θ₁)``, ``θ₁`` the
depth-1 member's default (the inserted identities have ``‖W̃‖₂ = 1``, so this ``θ`` bounds every member).
Units inactive at a sample make the inserted layers' pre-activations exactly 0 there: such members lie
on region boundaries, and the table says so instead of printing a piece Hessian.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Callable, Sequence

from symbolic.dropout import DropoutModel, DropoutThreshold, dropout_threshold
from symbolic.exceptions import ProblemError
from symbolic.problem import Params, Problem
from symbolic.rationals import canonical
from symbolic.threshold import Threshold, default_theta, frobenius_squares, threshold
from symbolic.threshold_gap import EigenInterval, piece_hessian, smallest_eigenvalue

DEPTH_RULE = ("identity-extension: W_1, b_1 and the output layer from the point; H − 1 inserted hidden layers "
              "W = I, b = 0 (same function on the data at every depth)")

MAX_GAP_PARAMETERS = 120
"""Largest parameter count for which the depth sweep proves the exact ``λ_min`` of each member."""


def parse_range(text: str, where: str = "--depth-sweep") -> list[int]:
    """``"1..8"`` → ``[1, …, 8]`` (also a single integer).

    >>> parse_range("2..4")
    [2, 3, 4]
    """
    parts = text.split("..")
    try:
        lo, hi = (int(parts[0]), int(parts[-1])) if len(parts) <= 2 else (0, -1)
    except ValueError:
        lo, hi = 0, -1
    if not 1 <= lo <= hi <= 64:
        raise ProblemError(where, f"must be A..B with 1 ≤ A ≤ B ≤ 64 (got {text!r})")
    return list(range(lo, hi + 1))


def depth_member(problem: Problem, depth: int) -> Problem:
    """The depth-``depth`` member of the identity-extension family of ``problem`` (with its point)."""
    if problem.depth < 1 or problem.point is None:
        raise ProblemError("point", "must exist with at least one hidden layer for a depth sweep")
    w = problem.widths
    if w[1] != w[-2]:
        raise ProblemError("network.widths", f"must have n_1 = n_H for the depth family (got {w[1]} and {w[-2]})")
    n = w[1]
    pt = problem.point
    eye = tuple(tuple(Fraction(int(i == j)) for j in range(n)) for i in range(n))
    weights = (pt.weights[0],) + (eye,) * (depth - 1) + (pt.weights[-1],)
    biases = None
    if pt.biases is not None:
        biases = (pt.biases[0],) + ((Fraction(0),) * n,) * (depth - 1) + (pt.biases[-1],)
    widths = (w[0],) + (n,) * depth + (w[-1],)
    name = f"{problem.name or 'problem'} [depth {depth}]"
    return replace(problem, widths=widths, point=Params(weights, biases), name=name)


@dataclass(frozen=True)
class DepthRow:
    depth: int
    parameters: int
    report: Threshold
    lambda_min: EigenInterval | None

    def to_json(self) -> dict[str, Any]:
        t = self.report
        return {"depth": self.depth, "parameters": self.parameters, "epsilon_star": _opt(t.epsilon_star),
                "training_error": canonical(t.error), "in_set": t.in_set, "mu": _opt(t.mu),
                "boundary_zeros": len(t.boundary),
                "lambda_min": self.lambda_min.to_json() if self.lambda_min else None}


def depth_sweep(problem: Problem, depths: Sequence[int], theta: Fraction | None = None,
                gap: bool = True) -> tuple[Fraction, list[DepthRow]]:
    """``(θ, rows)``: the exact threshold of every member of the depth family at one ``θ``."""
    if theta is None:
        base = depth_member(problem, 1)
        # the inserted identities have ‖W̃‖₂ = 1, so θ ≥ 1 keeps every member's point in the norm box
        theta = max(Fraction(1), default_theta(max(frobenius_squares(base, _point(base)))))
    rows = []
    for H in depths:
        member = depth_member(problem, H)
        t = threshold(member, theta)
        iv = None
        if gap and member.parameter_count <= MAX_GAP_PARAMETERS and not t.boundary:
            iv = smallest_eigenvalue(piece_hessian(member, _point(member), t.regions[0].pattern))
        rows.append(DepthRow(H, member.parameter_count, t, iv))
    return theta, rows


def depth_table(theta: Fraction, rows: Sequence[DepthRow], show: Callable[[Fraction | None], str]) -> list[str]:
    """The depth table as text lines."""
    out = [f"family:  {DEPTH_RULE}", f"θ = {show(theta)} for every depth; ε*(H) = λ²/(α·H²·θ^(2H−2)·Σ‖x̃_j‖²)",
           f"{'H':>3}  {'params':>6}  {'ε*':<34}  {'E(point)':<28}  {'in U':<4}  {'μ':<24}  λ_min(∇²L_P) ∈"]
    for r in rows:
        t = r.report
        lm = f"[{show(r.lambda_min.lo)}, {show(r.lambda_min.hi)}]" if r.lambda_min else \
            (f"- (on a region boundary: {len(t.boundary)} zero pre-activations)" if t.boundary else "-")
        out.append(f"{r.depth:>3}  {r.parameters:>6}  {show(t.epsilon_star):<34}  {show(t.error):<28}  "
                   f"{'yes' if t.in_set else 'no':<4}  {show(t.mu):<24}  {lm}")
    return out


def dropout_sweep(problem: Problem, ps: Sequence[Fraction], theta: Fraction | None = None
                  ) -> tuple[Fraction, list[tuple[DropoutThreshold, DropoutThreshold]]]:
    """``(θ, [(plain, inverted) per p])`` at the problem's point."""
    if problem.point is None:
        raise ProblemError("point", "missing: the dropout sweep needs a point")
    if theta is None:
        theta = default_theta(max(frobenius_squares(problem, problem.point)))
    rows = [(dropout_threshold(problem, DropoutModel(p, False), theta),
             dropout_threshold(problem, DropoutModel(p, True), theta)) for p in ps]
    return theta, rows


def dropout_table(theta: Fraction, rows: Sequence[tuple[DropoutThreshold, DropoutThreshold]],
                  show: Callable[[Fraction | None], str]) -> list[str]:
    """The dropout table as text lines."""
    out = ["model:   Bernoulli masks on hidden units (keep probability p), independent over units and samples; "
           "plain: kept units × 1, inverted: kept units × 1/p; exact expected loss",
           f"θ = {show(theta)}; ε*_p = λ²/(α·H²·θ^(2H−2)·c^(2H)·q·Σ‖x̃_j‖²), c = 1 (plain) or 1/p (inverted)",
           f"{'p':>5}  {'kind':<8}  {'ε*_p':<30}  {'E_p(point)':<30}  {'in U':<4}  {'μ':<20}  λ_min(∇²L_p) ∈"]
    for pair in rows:
        for d in pair:
            lm = f"[{show(d.lambda_min.lo)}, {show(d.lambda_min.hi)}]"
            out.append(f"{canonical(d.model.p):>5}  {'inverted' if d.model.inverted else 'plain':<8}  "
                       f"{show(d.epsilon_star):<30}  {show(d.expected_error):<30}  {'yes' if d.in_set else 'no':<4}  "
                       f"{show(d.mu):<20}  {lm}")
    return out


def default_keep_probabilities() -> list[Fraction]:
    """``p = 1/10, 2/10, …, 1``."""
    return [Fraction(i, 10) for i in range(1, 11)]


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ProblemError("--plot", "needs matplotlib: pip install 'pscert[plot]' (not installed)")
    return plt


def plot_depth(rows: Sequence[DepthRow], theta: Fraction, path: str) -> None:
    """ε* against depth (log scale) to ``path`` (PNG or PDF by extension). Floats only draw."""
    _check_plot_path(path)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    xs = [r.depth for r in rows if r.report.epsilon_star is not None]
    ys = [float(r.report.epsilon_star) for r in rows if r.report.epsilon_star is not None]
    ax.semilogy(xs, ys, "o-", label="ε*(H) (certified threshold)")
    err = float(rows[0].report.error)
    if err > 0:
        ax.axhline(err, color="gray", ls="--", label="training error (same at every depth)")
    ax.set_xlabel("hidden layers H")
    ax.set_ylabel("training-error threshold ε*")
    ax.set_title(f"Certified threshold against depth (θ = {float(theta):.4g})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_dropout(rows: Sequence[tuple[DropoutThreshold, DropoutThreshold]], path: str) -> None:
    """ε*_p and E_p against p for plain and inverted dropout."""
    _check_plot_path(path)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for idx, kind, colour in ((0, "plain", "C0"), (1, "inverted", "C3")):
        ps = [float(r[idx].model.p) for r in rows]
        ax.semilogy(ps, [float(e) if (e := r[idx].epsilon_star) else float("nan") for r in rows],
                    "o-", color=colour, label=f"ε*_p ({kind})")
        ax.semilogy(ps, [max(float(r[idx].expected_error), 1e-300) for r in rows], "x--", color=colour,
                    label=f"expected error E_p ({kind})")
    ax.set_xlabel("keep probability p")
    ax.set_ylabel("error")
    ax.set_title("Dropout: certified threshold and expected training error")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _check_plot_path(path: str) -> None:
    if not path.lower().endswith((".png", ".pdf")):
        raise ProblemError("--plot", f"file must end in .png or .pdf (got {path!r})")


def _point(member: Problem) -> Params:
    """A depth member's point (:func:`depth_member` always gives one)."""
    if member.point is None:
        raise ProblemError("point", "missing: the depth sweep needs a point")
    return member.point


def _opt(q: Fraction | None) -> str | None:
    return canonical(q) if q is not None else None
