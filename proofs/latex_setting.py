"""The setting of a LaTeX proof: network, data, loss, centre, patterns and the determinant form.

:class:`Doc` gathers what every section needs from a *checked* certificate (numbers read exactly, the
checker's own reading of the problem); the functions here write the sections shared by every claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

import sympy

from symbolic.determinant import determinant_form, parameter_symbols
from symbolic.problem import Problem as SymProblem
from symbolic.problem import parse_problem

from . import checker
from .checker.reading import read_point
from .latex_format import Numbers, decimal, escape_text, vector

MAX_ROWS = 60
"""Longest table printed in full (data rows, centre coordinates); longer ones are cut with a note."""

FULL_FORM_PARAMETERS = 12
"""Networks with at most this many parameters get every determinant form in full."""

FULL_FORM_MATRICES = 8
"""At most this many matrices ``B_{j,o}`` are printed in full."""

WIDEST_FORM = 16
"""Matrices ``B`` of larger order are described by their blocks only."""


def fill(template: str, **values: str) -> str:
    """Replace ``<<name>>`` placeholders (LaTeX braces need no doubling)."""
    for key, value in values.items():
        template = template.replace(f"<<{key}>>", value)
    return template


@dataclass
class Doc:
    """A checked certificate, read exactly, and the state of the document being written."""

    cert: dict[str, Any]
    problem: checker.Problem
    sym: SymProblem
    theta: list[Fraction] | None
    radius: Fraction
    mu: Fraction | None
    evidence: dict[str, Any]
    name: str
    numbers: Numbers = field(default_factory=Numbers)

    @classmethod
    def read(cls, cert: dict[str, Any]) -> "Doc":
        """Read a certificate that the checker has accepted (shapes are trusted, values exact)."""
        problem = checker.read_problem(cert["problem"])
        sym = parse_problem(cert["problem"])
        center = cert.get("center")
        theta = read_point(center, problem, "center") if center is not None else None
        mu = Fraction(cert["mu"]) if "mu" in cert else None
        name = cert["problem"].get("name", "")
        return cls(cert, problem, sym, theta, Fraction(cert["radius"]), mu, cert["evidence"], name)

    @property
    def P(self) -> int:
        return self.problem.count

    @property
    def H(self) -> int:
        return self.problem.depth

    def names(self) -> list[str]:
        """LaTeX names of the parameters in canonical order: ``W^{(k)}_{a,c}``, ``b^{(k)}_{a}``."""
        return [latex_name(str(s)) for s in parameter_symbols(self.sym)]

    def q(self, value: Fraction, what: str | None = None, approx: bool = True) -> str:
        """A rational in math mode, abbreviated (with an appendix entry) when long."""
        return self.numbers.show(Fraction(value), what, approx=approx)


class Parts(NamedTuple):
    """What a claim contributes to the document (LaTeX fragments)."""

    headline: str          # the title's first line
    summary: str           # one sentence for the introduction
    pattern: Any           # the pattern of Table 3 and of the determinant forms (certificate form), or None
    pattern_note: str      # what that pattern is, e.g. "the region $P$ of the certificate"
    lemmas: str
    theorem: str
    appendix: str = ""     # extra appendix sections (before the exact values)
    det_note: str = ""     # a sentence after the determinant forms
    shown_pattern: Any = None  # the pattern of Table 3 when it differs from ``pattern`` (e.g. kinks as '*')
    det_what: str = ""     # what the determinant forms show, when it differs from ``pattern_note``


def longtable(cols: str, caption: str, label: str, head: str, rows: list[str]) -> str:
    """A ``longtable``: caption and label once, the head repeated on continuation pages."""
    return fill(r"""
\begin{longtable}{<<cols>>}
\caption{<<caption>>}\label{<<label>>}\\
\toprule <<head>> \\ \midrule
\endfirsthead
\toprule <<head>> \\ \midrule
\endhead
<<rows>>
\bottomrule
\end{longtable}
""", cols=cols, caption=caption, label=label, head=head, rows="\n".join(rows))


def latex_name(symbol: str) -> str:
    """``W1_0_1`` → ``W^{(1)}_{0,1}``; ``b2_0`` → ``b^{(2)}_{0}``."""
    kind, *idx = symbol.split("_")
    return f"{kind[0]}^{{({kind[1:]})}}_{{{','.join(idx)}}}"


def pattern_bits(pattern: Any) -> tuple[tuple[tuple[int, ...], ...], ...]:
    """A certificate pattern (``[["10"], …]``) as nested tuples of 0/1."""
    return tuple(tuple(tuple(int(b) for b in bits) for bits in sample) for sample in pattern)


def setting(doc: Doc) -> str:
    """Section 1: the network, the data, the loss, the regions, the centre and the ball."""
    p = doc.problem
    widths = ", ".join(map(str, p.widths))
    act = ("\\sigma(s) = \\max(s, 0)" if p.activation == "relu"
           else "\\sigma(s) = s \\text{ (identity activation: a linear network)}")
    if p.biases:
        layers = "W_1, b_1, \\dots, W_{H+1}, b_{H+1}"
        net = "f(x;\\theta) = W_{H+1}\\,\\sigma\\bigl(W_H \\cdots \\sigma(W_1 x + b_1) \\cdots + b_H\\bigr) + b_{H+1}"
        order = "for $k = 1, \\dots, H+1$ the rows of $W_k$ (row by row), then $b_k$"
    else:
        layers = "W_1, \\dots, W_{H+1}"
        net = "f(x;\\theta) = W_{H+1}\\,\\sigma\\bigl(W_H \\cdots \\sigma(W_1 x) \\cdots\\bigr)"
        order = "for $k = 1, \\dots, H+1$ the rows of $W_k$, row by row (the network has no biases)"
    alpha = (f"\\frac{{1}}{{N}} = \\frac{{1}}{{{len(p.inputs)}}}" if len(p.inputs) > 1 else "\\frac{1}{N} = 1") \
        if p.reduction == "mean" else "1"
    convention = "the mean over the samples" if p.reduction == "mean" else "the sum over the samples"
    if p.biases and not p.decay_biases:
        decayed = "\\sum_{\\text{weights } \\theta_i} \\theta_i^2"
        decay_text = "every weight (the biases are not decayed)"
    else:
        decayed, decay_text = "\\|\\theta\\|_2^2", "every parameter"
    out = [fill(r"""
\section{Setting}\label{pscert:setting}

\begin{definition}[Network]\label{pscert:network}
The network has widths $(n_0, \dots, n_{H+1}) = (<<widths>>)$, that is $H = <<H>>$ hidden layer<<s>>, and
$P = <<P>>$ parameters $\theta = (<<layers>>)$, $W_k \in \mathbb{R}^{n_k \times n_{k-1}}$. It computes
\[ <<net>>, \qquad <<act>>, \]
the activation acting entrywise and the output layer being linear. The pre-activation of unit $i$ of
hidden layer $k \le H$ at input $x$ is $z_{k,i}(x;\theta)$. Parameters are ordered <<order>>; all
indices of units, samples, outputs and parameters start at $0$, as in the certificate file.
\end{definition}
""", widths=widths, H=str(p.depth), s="" if p.depth == 1 else "s", P=str(doc.P), layers=layers, net=net,
        act=act, order=order)]
    out.append(parameter_table(doc))
    out.append(data_table(doc))
    out.append(fill(r"""
\begin{definition}[Loss]\label{pscert:loss}
With the $N = <<N>>$ samples $(x_j, y_j)$ of Table~\ref{pscert:data} and weight decay $\lambda = <<lam>>$,
\[ L(\theta) = \alpha \sum_{j=0}^{N-1} \bigl\| f(x_j;\theta) - y_j \bigr\|_2^2 + \lambda\, <<decayed>>,
   \qquad \alpha = <<alpha>>, \]
that is <<convention>> (reduction ``<<reduction>>''), with the decay on <<decay_text>>.
\end{definition}

\begin{definition}[Regions and pieces]\label{pscert:regions}
An \emph{activation pattern} $P$ assigns \emph{active} or \emph{inactive} to every hidden unit $(k, i)$
at every sample $j$. Its \emph{region} $R_P$ is the open set of $\theta$ at which every pre-activation
$z_{k,i}(x_j;\theta)$ is strictly positive if active and strictly negative if inactive. Replacing
$\sigma$ in layer $k$ at sample $j$ by the diagonal $0/1$ matrix $D_k(j)$ of the pattern gives the
polynomial network $f_P$ and the \emph{piece} $L_P$, a polynomial in $\theta$ with $L = L_P$ on
$R_P$. Patterns are written per sample as one string per hidden layer, \texttt{1} for active.
\end{definition}
""", N=str(len(p.inputs)), lam=doc.q(p.weight_decay, "the weight decay $\\lambda$"), decayed=decayed,
        alpha=alpha, convention=convention, reduction=p.reduction, decay_text=decay_text))
    return "\n".join(out)


def parameter_table(doc: Doc) -> str:
    """The parameters' names and, when the certificate has a centre, its coordinates."""
    names = doc.names()
    rows = []
    for i, name in enumerate(names[:MAX_ROWS]):
        if doc.theta is None:
            rows.append(f"{i} & ${name}$ \\\\")
        else:
            c = doc.theta[i]
            rows.append(f"{i} & ${name}$ & ${doc.q(c, f'centre coordinate $c_{{{i}}}$', approx=False)}$ & "
                        f"${decimal(c, 8)}$ \\\\")
    if len(names) > MAX_ROWS:
        rows.append(f"\\multicolumn{{{2 if doc.theta is None else 4}}}{{l}}{{\\dots\\ parameters {MAX_ROWS} to "
                    f"{len(names) - 1}: see the certificate}} \\\\")
    if doc.theta is None:
        head, cols = "$i$ & $\\theta_i$", "rl"
        caption = "The parameters in canonical order."
    else:
        head, cols = "$i$ & $\\theta_i$ & $c_i$ (exact) & $c_i$ (truncated)", "rlll"
        caption = "The parameters in canonical order and the coordinates of the centre $c$ of the certificate."
    return longtable(cols, caption, "pscert:parameters", head, rows)


def data_table(doc: Doc) -> str:
    """The training samples ``(x_j, y_j)``."""
    p = doc.problem
    rows = []
    for j, (x, y) in enumerate(zip(p.inputs[:MAX_ROWS], p.targets[:MAX_ROWS])):
        xs = vector([doc.q(v, f"input $x_{{{j},{i}}}$") for i, v in enumerate(x)])
        ys = vector([doc.q(v, f"target $y_{{{j},{o}}}$") for o, v in enumerate(y)])
        rows.append(f"{j} & ${xs}$ & ${ys}$ \\\\")
    if len(p.inputs) > MAX_ROWS:
        rows.append(f"\\multicolumn{{3}}{{l}}{{\\dots\\ samples {MAX_ROWS} to {len(p.inputs) - 1}: see the "
                    "certificate}} \\\\")
    cols = "r>{\\raggedright\\arraybackslash}p{0.55\\textwidth}>{\\raggedright\\arraybackslash}p{0.3\\textwidth}"
    return longtable(cols, "The training data.", "pscert:data", "$j$ & input $x_j$ & target $y_j$", rows)


def pattern_table(doc: Doc, pattern: Any, caption: str, label: str) -> str:
    """A pattern (certificate form) as a table: one row per sample, one column per hidden layer."""
    H = doc.H
    if H == 0:
        return "The network has no hidden layer, so there is a single region and $L$ is a polynomial.\n"
    rows = []
    for j, sample in enumerate(pattern[:MAX_ROWS]):
        rows.append(f"{j} & " + " & ".join(f"\\texttt{{{bits}}}" for bits in sample) + " \\\\")
    if len(pattern) > MAX_ROWS:
        rows.append(f"\\multicolumn{{{H + 1}}}{{l}}{{\\dots\\ samples {MAX_ROWS} to {len(pattern) - 1}: see the "
                    "certificate}} \\\\")
    head = "$j$ & " + " & ".join(f"layer {k}" for k in range(1, H + 1))
    return longtable("r" + "l" * H, caption, label, head, rows)


GENERIC_FORM = r"""
\begin{proposition}[Determinant form]\label{pscert:detform}
Fix a pattern $P$, a sample $j$ and an output $o$. Let $\nu = <<nu>>$ (one constant coordinate per block
when the network has biases), $M_k = <<Mk>>$, $\tilde x_j = <<xt>>$ and $r_o = <<ro>>$. Let $B_{j,o}$ be
the square matrix with identity blocks on the diagonal, $-M_k$ on the block sub-diagonal, $\tilde x_j$ in
the last column of the first block row, $r_o^\top$ in the last row and $0$ in the corner:
\[ B_{j,o} = \begin{pmatrix} I & & & & \tilde x_j \\ -M_1 & I & & & \\ & \ddots & \ddots & & \\
   & & -M_H & I & \\ & & & r_o^\top & 0 \end{pmatrix}. \]
Then $f_{P,o}(x_j;\theta) = -\det B_{j,o}(\theta)$, hence on $R_P$
\[ L(\theta) = L_P(\theta) = \alpha \sum_{j,o} \bigl(\det B_{j,o}(\theta) + y_{j,o}\bigr)^2 + (\text{decay term}). \]
\end{proposition}

\begin{proof}
Write $B = \bigl(\begin{smallmatrix} T & \bar c \\ \bar r^\top & 0 \end{smallmatrix}\bigr)$ with $T$ block
unit lower triangular, so $\det T = 1$ and, by the Schur complement, $\det B = -\bar r^\top u$ where
$T u = \bar c$. Block by block $u_0 = \tilde x_j$ and $u_k = M_k u_{k-1}$, which is the layer-$k$
activation of $f_P$ at $x_j$<<biasnote>>. Hence $\bar r^\top u = f_{P,o}(x_j;\theta)$.
\end{proof}
"""


def determinant_section(doc: Doc, pattern: Any, what: str, others: str = "") -> str:
    """Section 2: the generic block form, then ``B_{j,o}`` for the pattern (all of them when small)."""
    p = doc.problem
    if p.biases:
        Mk = "\\bigl(\\begin{smallmatrix} D_k(j) W_k & D_k(j) b_k \\\\ 0 & 1 \\end{smallmatrix}\\bigr)"
        values = dict(nu="1", Mk=Mk,
                      xt="(x_j, 1)", ro="(W_{H+1}[o,:], b_{H+1}[o])",
                      biasnote=", followed by the constant $1$ (the last row of $M_k$ is $(0, \\dots, 0, 1)$)")
    else:
        values = dict(nu="0", Mk="D_k(j) W_k", xt="x_j", ro="W_{H+1}[o,:]^\\top", biasnote="")
    out = ["\\section{The pieces in determinant form}\\label{pscert:det}", fill(GENERIC_FORM, **values)]
    out.append("The checker does not use this form: it evaluates every piece by an exact forward pass. The "
               f"form shows the piece explicitly. For {what}:")
    bits = pattern_bits(pattern)
    pairs = [(j, o) for j in range(len(p.inputs)) for o in range(p.widths[-1])]
    full = doc.P <= FULL_FORM_PARAMETERS and len(pairs) <= FULL_FORM_MATRICES
    shown = pairs if full else pairs[:1]
    for j, o in shown:
        out.append(_form(doc, bits, j, o))
    if not full:
        out.append(f"The other {len(pairs) - 1} matrices $B_{{j,o}}$ differ from this one only in the column "
                   "$\\tilde x_j$, the row $r_o$ and the diagonal matrices $D_k(j)$ of the pattern.")
    if others:
        out.append(others)
    return "\n\n".join(out) + "\n"


def _form(doc: Doc, bits: Any, j: int, o: int) -> str:
    form = determinant_form(doc.sym, j, o, bits)
    if form.size > WIDEST_FORM:
        return (f"For $j = {j}$, $o = {o}$ the matrix $B_{{{j},{o}}}$ has order {form.size}; its blocks are "
                "as in Proposition~\\ref{pscert:detform}.")
    names = {s: latex_name(str(s)) for s in parameter_symbols(doc.sym)}
    body = sympy.latex(form.matrix, mat_str="pmatrix", mat_delim="", symbol_names=names)
    size = "\\small" if form.size <= 10 else ("\\footnotesize" if form.size <= 13 else "\\scriptsize")
    return f"{{{size}\\[ f_{{{o}}}(x_{{{j}}};\\theta) = -\\det B_{{{j},{o}}}, \\qquad B_{{{j},{o}}} = {body} \\]}}"


def title_name(doc: Doc) -> str:
    """The problem's name, escaped, or a placeholder."""
    return escape_text(doc.name) if doc.name else "(unnamed problem)"
