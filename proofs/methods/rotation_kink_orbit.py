"""Evidence ``rotation_kink_orbit``: a rotation orbit of minima on strictly complementary first-layer kinks.

Search: the point is on (or refinement of its piece crosses) first-layer kinks, and units of a hidden
layer share their activation pattern, each kink lying on a unit outside the groups or on every unit of
a group (:func:`kink_groups`). The centre is snapped onto the kinks and refined along them
(:func:`proofs.boundary.kink_regions`); every region around the kinks gets its least-squares
multipliers, which must beat their drift as for ``kink_ball``. The curvature on the kinks across the
orbit (the Hessian on ``ker A ∩ T^⊥``) gives ``μ``, and each region a positive-definiteness certificate
of ``∇²L_P(c) + τAᵀA + κTTᵀ − (2μ+δ)I``. The theorem that acceptance proves is the second theorem of
:mod:`proofs.checker.rotation`; ``proofs/FORMAT.md`` lists the keys.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

import numpy as np
from flint import fmpq_mat

from symbolic.constraints import Constraint, constraint_vector
from symbolic.linalg import to_fmpq, to_fraction
from symbolic.network import Pattern, forward, pattern_to_json
from symbolic.problem import Problem
from symbolic.rationals import canonical

from ..assemble import (Verdict, certificate, checked, checker_problem, hessian_of, identity, rational_below, short,
                        sqrt_above)
from ..boundary import ball_radius, kink_regions
from ..checker.arith import pseudo_inverse_columns
from ..checker.network import bounds
from ..checker.rotation import stacked, tangent
from ..latex_format import decimal, rational
from ..latex_lemmas import apriori, kink_lemmas, kink_vector, piece_pattern, require, variation_lemma
from ..latex_setting import Doc, Parts, fill, longtable
from ..positivity import pd_certificate, to_float
from ..refine import dyadic
from ..snap import candidates, tolerance
from . import renders
from .kink_ball import PIECES, REGION_ROWS, Region, _drift, _first_order, _independence, _region, _short
from .rotation_orbit import Groups, shared_groups

Progress = Callable[[str], None]


def kink_groups(problem: Problem, pattern: Pattern, cons: list[Constraint]) -> Groups:
    """:func:`shared_groups` split so that the kinks are closed under each group: first-layer units of a group
    with the same kink samples (a kink on some but not all units of a group would move under rotation)."""
    samples: dict[int, set[int]] = {}
    for j, i in cons:
        samples.setdefault(i, set()).add(j)
    out: Groups = []
    for k, units in shared_groups(problem, pattern):
        parts: dict[tuple[int, ...], list[int]] = {}
        for i in units:
            parts.setdefault(tuple(sorted(samples.get(i, ()))) if k == 1 else (), []).append(i)
        out += [(k, part) for part in parts.values() if len(part) > 1]
    return sorted(out)


def search(problem: Problem, theta: list[Fraction], first: list[Constraint], refine: bool,
           say: Progress) -> Verdict | None:
    """:func:`on_kinks` for the kink sets of the trained point's snapped structures (:mod:`proofs.snap`, most
    plausible first, those without dead units), then ``first`` (the kinks near ``θ`` or crossed by the
    refinement of its piece): the first certificate, else the first reason, else ``None``."""
    tried: list[list[Constraint]] = []
    for structure in candidates(problem, theta, tolerance(problem, theta)):
        kinks = sorted(structure.kinks)
        if kinks and not structure.dead and kinks not in tried:
            tried.append(kinks)
    if first and sorted(first) not in tried:
        tried.append(sorted(first))
    found: Verdict | None = None
    for cons in tried:
        v = on_kinks(problem, theta, cons, refine, say)
        if v is not None and v.status == "CERTIFIED":
            return v
        found = found or v
    return found


def on_kinks(problem: Problem, theta: list[Fraction], cons: list[Constraint], refine: bool,
             say: Progress) -> Verdict | None:
    """A ``rotation_kink_orbit`` certificate: groups of units sharing their pattern (and their kinks, if
    any), at a centre on independent, strictly complementary first-layer kinks; ``None`` when no such
    group exists; UNKNOWN with the reason when no certificate was found."""
    pattern = forward(problem, problem.unflatten(theta)).pattern
    if not kink_groups(problem, pattern, cons):
        if not shared_groups(problem, pattern):
            return None
        return Verdict("UNKNOWN", "units sharing a pattern rotate into each other, but a kink lies on some units of "
                       "their group and not on the others, so the rotation moves the kink (not supported)")
    found = kink_regions(problem, theta, cons, refine, say)
    if isinstance(found, list):     # a negative multiplier: the kink step's descent answers instead
        return Verdict("UNKNOWN", f"units sharing a pattern rotate into each other at a point on kinks, but "
                       f"{found[0].describe()}")
    if isinstance(found, Verdict):
        return Verdict("UNKNOWN", f"units sharing a pattern rotate into each other at a point on kinks, but {found.reason}")
    c, order, data = found.centre, found.order, found.pieces
    groups = kink_groups(problem, found.pattern, order)
    if not groups:
        return None
    if found.empty or not all(v > 0 for p in data for v in p.nu):
        return Verdict("UNKNOWN", "units sharing a pattern rotate into each other at a point on kinks, but the kinks "
                       "are not strictly complementary (a zero multiplier or dependent constraints)")
    cp = checker_problem(problem)
    P = problem.parameter_count
    normals = [constraint_vector(problem, con) for con in order]
    A = np.array([[float(v) for v in a] for a in normals])
    sa = np.linalg.svd(A, compute_uv=False)
    if len(sa) < len(order) or sa[-1] < 1e-9 * sa[0]:
        return Verdict("UNKNOWN", "units sharing a pattern rotate into each other, but the kink constraints are "
                       "linearly dependent")
    pairs = [(k, a, b) for k, units in groups for n, a in enumerate(units) for b in units[n + 1:]]
    ts = [tangent(cp, c, k, a, b) for k, a, b in pairs]
    T = np.zeros((P, len(pairs)))
    for col, t in enumerate(ts):
        for p, v in t.items():
            T[p, col] = float(v)
    st = np.linalg.svd(T, compute_uv=False)
    rank = int(np.sum(st > 1e-9 * max(1.0, st[0] if len(st) else 1.0)))
    if rank == 0:
        return None
    u, sv, _ = np.linalg.svd(np.hstack([A.T, T]), full_matrices=True)
    fixed = int(np.sum(sv > 1e-9 * max(1.0, sv[0])))
    N = u[:, fixed:]            # ker A ∩ T^⊥ (A's rows are orthogonal to T)
    Hs = [to_float(hessian_of(p.d)) for p in data]
    lam = min(float(np.linalg.eigvalsh(N.T @ H @ N)[0]) for H in Hs) if N.shape[1] else 1.0
    if lam <= 0:
        return Verdict("UNKNOWN", f"units sharing a pattern rotate into each other at a point on kinks, but the "
                       f"curvature along the kinks and across the orbit is not positive (≈ {lam:.3g})")
    mu = rational_below(lam / 4)      # the witness shift is 2μ + δ (docstring of proofs.checker.rotation)
    sparse = [{p: v for p, v in enumerate(a) if v} for a in normals]
    r2 = max(sum((v * v for v in col), Fraction(0)) for col in pseudo_inverse_columns(sparse, P))
    r = [sqrt_above(sum((v * v for v in col), Fraction(0))) for col in pseudo_inverse_columns(sparse, P)]
    a_frob2 = sum((v * v for a in normals for v in a), Fraction(0))
    norms = [sqrt_above(sum((to_fraction(v) ** 2 for v in hessian_of(p.d).entries()), Fraction(0))) for p in data]
    worst = max(p.e2 for p in data)
    hmax = max(float(h) for h in norms)
    tau = dyadic(100.0 * (hmax + 1.0) / float(sa[-1]) ** 2, 8) + 1
    # κ·TTᵀ must outweigh H's negative part along the orbit: κ·s_min² ≥ 2(‖H‖ + μ + δ + 1)
    kappa = Fraction(2 * (hmax + float(mu) + 2) / st[rank - 1] ** 2)
    kappa = Fraction(2) ** max(0, kappa.numerator.bit_length() - kappa.denominator.bit_length() + 1)
    big = max(sum(float(c[p]) ** 2 for p in stacked(cp, k, i)) for k, units in groups for i in units)

    def ok(rho: Fraction, dlt: Fraction) -> bool:
        if float(2 * mu + dlt) >= 0.9 * lam or big < float(rho) ** 2:
            return False
        margin = min(v - rm * (h + dlt) * rho for p, h in zip(data, norms) for v, rm in zip(p.nu, r))
        return (margin > 0 and tau * tau * a_frob2 * rho * rho <= margin * margin
                and len(order) * a_frob2 * rho * rho * mu * mu * r2 * r2 <= margin * margin)

    got = ball_radius(problem, c, order, worst, mu, ok)
    if isinstance(got, Verdict):
        return Verdict("UNKNOWN", f"units sharing a pattern rotate into each other at a point on kinks: {got.reason}")
    rho, dlt = got
    say(f"building {len(data)} positive-definiteness certificate(s) across the orbit and the kinks")
    Tq = fmpq_mat(P, len(pairs), [to_fmpq(t.get(p, Fraction(0))) for p in range(P) for t in ts])
    Aq = fmpq_mat(len(normals), P, [to_fmpq(v) for a in normals for v in a])
    gram = Aq.transpose() * Aq
    orbit = to_fmpq(kappa) * (Tq * Tq.transpose()) - to_fmpq(2 * mu + dlt) * identity(P)
    listed = []
    for piece, h in zip(data, norms):
        pd = pd_certificate(hessian_of(piece.d) + gram * to_fmpq(tau) + orbit)
        if pd is None:
            return Verdict("UNKNOWN", f"units sharing a pattern rotate into each other at a point on kinks, but no "
                           f"positive-definiteness certificate was found for the region with kink signs {piece.signs}")
        listed.append({"signs": piece.signs, "pd": pd, "multipliers": [canonical(v) for v in piece.nu],
                       "tau": canonical(tau), "hessian_norm": canonical(h)})
    evidence = {"method": "rotation_kink_orbit", "pattern": pattern_to_json(found.pattern),
                "constraints": [list(con) for con in order], "delta": canonical(dlt),
                "groups": [{"layer": k, "units": units} for k, units in groups], "kappa": canonical(kappa),
                "pieces": listed, "row_norms": [canonical(v) for v in r]}
    cert = certificate(problem, "CERTIFIED", "nonisolated_local_minimum", c, rho, evidence, mu)
    dist = sqrt_above(worst / (mu * mu))
    named = "; ".join(f"units {', '.join(map(str, units))} of hidden layer {k}" for k, units in groups)
    loss = to_fraction(data[0].d.loss)
    facts = {"mu": canonical(mu), "radius": canonical(rho), "distance_bound": canonical(dist), "loss": canonical(loss),
             "orbit_dimension": rank, "groups": evidence["groups"], "kinks": len(order), "regions": len(listed)}
    where = "through the centre" if worst == 0 else f"within {short(dist, 'up')} of the centre"
    reason = (f"non-isolated local minimum on {len(order)} strictly complementary kink(s): {named} share "
              f"their activation pattern and rotate into each other; the local minima near the centre are exactly one "
              f"rotation orbit of dimension {rank} ({where}), and L grows at least μ/2 times the squared distance to "
              f"it (μ = {short(mu)})")
    return checked(Verdict("CERTIFIED", reason, "nonisolated_local_minimum", cert, facts))




INVARIANCE = r"""
\begin{lemma}[Rotations on the kinks]\label{pscert:lemma-rotation}
The groups (<<named>>) each share their activation pattern on every sample, and a kink lies either on a
unit outside the groups or on every unit of a group at that sample. Let $G$ be the group of the orthogonal
maps that rotate each group's stacked parameters $p_i$ (incoming row with bias, outgoing column), $T$ the
matrix of the tangents $t_{ab}$ at $c$ ($p_b(c)$ in unit $a$'s coordinates, $-p_a(c)$ in unit $b$'s) and
$K = \{\theta : A\theta = 0\}$. Then $gK = K$ for $g \in G$, and $L(g\theta) = L(\theta)$ whenever
$\theta \in K \cap \bar B$ and $g\theta \in \bar B$.
\end{lemma}

\begin{proof}
A kink of a unit outside the groups has its normal in that unit's incoming row, which $G$ does not move. A
kink shared by a group at sample $j$ is $U x_j = 0$ for the group's incoming rows $U$; the rotated rows give
$QUx_j = 0$. So $gK = K$. For $\theta \in K \cap \bar B$ and $g\theta \in \bar B$ every other
pre-activation keeps its sign (Lemma~\ref{pscert:lemma-pieces}); at each sample a group is active together
(its contribution $VU\tilde h$ is kept by $(QU, VQ^\top)$), inactive together, or at a shared kink
($\sigma(0) = 0$ before and after), and the rotation keeps $\|U\|^2 + \|V\|^2$ coordinate by coordinate.
\end{proof}
"""

CURVATURE = r"""
\begin{lemma}[Curvature on the kinks across the orbit]\label{pscert:lemma-penalty}
For every region $s$ the symmetric matrix $M_s = H_0(s) + \tau_s A^\top A + \kappa T T^\top - (2\mu +
\delta) I$, with $\kappa = <<kappa>>$ and $\mu = <<mu>>$, is positive definite, and $\tau_s^2 \|A\|_F^2
\rho^2 \le \kappa_s^2$. Consequently $d^\top \nabla^2 L_{P(s)}(\xi)\, d \ge 2\mu \|d\|_2^2$ for every $\xi
\in \bar B$ and every $d$ with $Ad = 0$ and $T^\top d = 0$. Moreover, with $r^2 = \max_m \|A^+u_m\|_2^2 =
<<r2>>$ and $\kappa_Z = \min_s \kappa_s$, $M\,\|A\|_F^2 \rho^2 \mu^2 r^4 \le \kappa_Z^2$.
\end{lemma}

\begin{proof}
The checker computes each $M_s$ exactly and verifies the certificate's positive-definiteness witness
(methods: <<methods>>), and the two inequalities exactly. For $Ad = 0$ and $T^\top d = 0$, $d^\top M_s d
\ge 0$ reads $d^\top H_0(s) d \ge (2\mu + \delta)\|d\|^2$, and Lemma~\ref{pscert:lemma-variation} gives the
claim.
\end{proof}
"""

THEOREM = r"""
\begin{theorem}\label{pscert:theorem}
Let $c$ be the centre of Table~\ref{pscert:parameters}, $\rho = <<rho>>$, $\mu = <<mu>>$ and $G$ the group
of Lemma~\ref{pscert:lemma-rotation}. There is $\theta^*$ in the open ball on all $M = <<M>>$ kink
hyperplanes such that $L(\theta) \ge L(\theta^*) + \tfrac{\mu}{2} \operatorname{dist}(\theta,
G\theta^*)^2$ for every $\theta \in \bar B = \{\theta : \|\theta - c\|_2 \le \rho\}$. The local minima of $L$
in the open ball are exactly the points of the orbit $G\theta^*$ in it, and the orbit is not a point:
$\theta^*$ is a local minimum that is not isolated.
\end{theorem}

\begin{proof}
We use the sets $C_s$ of Lemma~\ref{pscert:lemma-pieces}, on which $L = L_{P(s)}$.

\emph{(a) Towards the kinks.} For $\theta \in C_s$ let $\theta_K = c + \Pi(\theta - c)$ with $\Pi$ the
orthogonal projection onto $\ker A$, so $\|\theta_K - c\| \le \|\theta - c\|$ and $\theta - \theta_K =
\sum_m (a_m^\top \theta) g_m$. The segment from $\theta_K$ to $\theta$ scales every kink value by $t \in
[0, 1]$, so it lies in $C_s$, and along it Lemma~\ref{pscert:lemma-drift} gives the slope $\sum_m (a_m^\top
\theta)\, \nabla L_{P(s)}^\top g_m \ge \kappa_s y$ with $y = \sum_m |a_m^\top \theta|$. Hence $L(\theta) \ge
L(\theta_K) + \kappa_Z y$, and $\|\theta - \theta_K\| \le r y$. As in the proof of \texttt{kink\_ball}, the
same slope shows that no point of $\bar B$ off $K$ is a local minimum.

\emph{(b) The slice of the kinks.} All pieces agree on $K \cap \bar B$. By
Lemma~\ref{pscert:lemma-penalty}, $L$ is $2\mu$-strongly convex on $F = K \cap (c + T^\perp) \cap \bar B$,
and for $c + d \in F$ Lemma~\ref{pscert:lemma-first-order} gives $\nabla L_{P(s)}(c)^\top d = e_s^\top d$,
so $L(c + d) - L(c) \ge \mu\|d\|^2 - \|e_s\|\,\|d\| > 0$ on the sphere. The minimiser $\theta^*$ of $L$
over $F$ lies in the open ball, and $L(\eta) \ge L(\theta^*) + \mu\|\eta - \theta^*\|^2$ on $F$.

\emph{(c) Growth on the kinks.} For $\theta \in K \cap \bar B$ let $g \in G$ minimise $\|g\theta - c\|$;
then $g\theta \in K \cap \bar B$, and stationarity in $g$ with the skew-symmetry of the generators gives
$g\theta - c \perp T$: $g\theta \in F$, and by Lemma~\ref{pscert:lemma-rotation} $L(\theta) = L(g\theta)
\ge L(\theta^*) + \mu \operatorname{dist}(\theta, G\theta^*)^2$.

\emph{(d) Growth everywhere.} For $\theta \in \bar B$, (a) and (c) give $L(\theta) \ge L(\theta^*) +
\mu D^2 + \kappa_Z y$ with $D = \operatorname{dist}(\theta_K, G\theta^*) \ge \operatorname{dist}(\theta,
G\theta^*) - r y$, so $\tfrac{\mu}{2}\operatorname{dist}(\theta, G\theta^*)^2 \le \mu D^2 + \mu r^2 y^2$;
and $y \le \sqrt{M}\,\|A\|_F \rho \le \kappa_Z/(\mu r^2)$ by Lemma~\ref{pscert:lemma-penalty}, so
$\kappa_Z y \ge \mu r^2 y^2$.

\emph{(e) The local minima.} Points of $G\theta^*$ in the open ball lie in $K$ and have the value
$L(\theta^*)$ (Lemma~\ref{pscert:lemma-rotation}), the least on $\bar B$. A local minimum $\theta$ in the
open ball lies in $K$ by (a); with $g$ as in (c), $g\theta$ is a local minimum of $L$ on $F$, where $L$ is
strictly convex, so $g\theta = \theta^*$. A unit of a group has $\|p_a(c)\| \ge \rho$, so $p_a(\theta^*)
\ne 0$ and the orbit is not a point (the proof in full: the docstring of
\texttt{proofs.checker.rotation}).
\end{proof}
"""


def _table(regions: list[Region]) -> str:
    """The regions' table that the drift lemma cites (as ``kink_ball`` prints it)."""
    rows = [f"\\texttt{{{g.signs}}} & \\texttt{{{g.method}}} & ${decimal(g.nu_min, 4)}$ & ${decimal(g.kappa, 4)}$ & "
            f"${_short(g.tau)}$ & ${_short(g.h)}$ \\\\" for g in regions[:REGION_ROWS]]
    if len(regions) > REGION_ROWS:
        rows.append(f"\\multicolumn{{6}}{{l}}{{\\dots\\ the other {len(regions) - REGION_ROWS} regions: see "
                    "\\texttt{evidence.pieces} in the certificate} \\\\")
    return longtable("llllll", "The $2^M$ regions at the centre: the positive-definiteness method for $M_s$, the "
                     "smallest multiplier, the margin $\\kappa_s$ (both truncated), the penalty $\\tau_s$ and the "
                     "bound $h_s$ (exact, or truncated when long).", "pscert:pieces",
                     "signs $s$ & method & $\\min_m \\nu_{s,m}$ & $\\kappa_s$ & $\\tau_s$ & $h_s$", rows)


@renders("rotation_kink_orbit")
def render(doc: Doc) -> Parts:
    """Lemmas and theorem of ``rotation_kink_orbit``: the local minima near the centre form one rotation
    orbit on the kinks."""
    ev, prob, theta, rho = doc.evidence, doc.problem, doc.theta or [], doc.radius
    mu, kappa, delta = doc.mu or Fraction(0), Fraction(ev["kappa"]), Fraction(ev["delta"])
    cons = [(int(j), int(i)) for j, i in ev["constraints"]]
    M, P = len(cons), doc.P
    pieces = ev["pieces"]
    require(sorted(pc["signs"] for pc in pieces) == sorted(format(v, f"0{M}b") for v in range(2 ** M)),
            "every one of the 2^M sign vectors is listed once")
    bd = bounds(prob, theta, rho)
    vecs = [kink_vector(doc, j, i) for j, i in cons]
    r = [Fraction(v) for v in ev["row_norms"]]
    require(len(r) == M, "one row norm per kink")
    gram = [[sum((a[p] * a[q] for a in vecs), Fraction(0)) for q in range(P)] for p in range(P)]
    a_frob2 = sum((v * v for a in vecs for v in a), Fraction(0))
    extra = [[-mu if p == q else Fraction(0) for q in range(P)] for p in range(P)]
    for g in ev["groups"]:
        for n, a in enumerate(g["units"]):
            for b in g["units"][n + 1:]:
                t = tangent(prob, theta, g["layer"], a, b)
                for p, u in t.items():
                    for q, w in t.items():
                        extra[p][q] += kappa * u * w
    regions = [_region(doc, pc, cons, vecs, r, gram, a_frob2, delta, extra) for pc in pieces]
    cols = pseudo_inverse_columns([{p: v for p, v in enumerate(a) if v} for a in vecs], P)
    r2 = max(sum((v * v for v in col), Fraction(0)) for col in cols)
    margin = min(g.kappa for g in regions)
    require(M * a_frob2 * rho * rho * mu * mu * r2 * r2 <= margin * margin, "M‖A‖_F²ρ²μ²r⁴ ≤ κ_Z²")
    named = "; ".join(f"units {', '.join(map(str, g['units']))} of hidden layer {g['layer']}" for g in ev["groups"])
    lemmas = kink_lemmas(doc, cons, bd)
    lemmas.append(_independence(doc, cons, vecs, r))
    lemmas.append(fill(PIECES, count=str(2 ** M), deep=" and Lemma~\\ref{pscert:lemma-sign}" if prob.depth >= 2
                       else ""))
    lemmas += [variation_lemma(doc, delta, bd), _first_order(doc, regions), _drift(doc, regions),
               _table(regions), fill(INVARIANCE, named=named),
               fill(CURVATURE, kappa=rational(kappa, inline=True), mu=rational(mu, inline=True),
                    r2=doc.q(r2, "$r^2$"), methods=", ".join(sorted({f"\\texttt{{{g.method}}}" for g in regions})))]
    theorem = fill(THEOREM, rho=rational(rho, inline=True), mu=rational(mu, inline=True), M=str(M))
    first = pieces[0]["signs"]
    return Parts("A non-isolated local minimum on kinks (a rotation orbit)",
                 "the local minima of the loss near the centre $c$ form one rotation orbit of units sharing their "
                 f"pattern, on {M} first-layer kink hyperplane(s), within ${rational(rho, inline=True)}$ of $c$ "
                 "(Theorem~\\ref{pscert:theorem})",
                 piece_pattern(ev["pattern"], cons, first),
                 "the pattern at the centre, \\texttt{*} marking a kink (its sign is that of the region)",
                 "\n".join(lemmas), theorem, apriori(doc, bd),
                 "The other regions differ only in the kink entries.",
                 piece_pattern(ev["pattern"], cons, "*" * M),
                 f"the region of the first sign vector $s = \\texttt{{{first}}}$")
