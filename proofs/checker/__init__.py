"""The trusted checker of pscert certificates (``pscert.certificate/1``). Standard library only.

``python -m proofs.checker CERT [--problem PROBLEM]`` prints ``VALID: …`` and exits 0, prints
``INVALID: <step>: <message>`` (the first failed check) and exits 1, or writes ``Error: <file>: <what>``
to stderr and exits 2 when a file cannot be read (not JSON, too large, or a certificate format version
other than ``pscert.certificate/1``). The checker re-computes; it never searches.

Layout (a small kernel): ``reading`` (strict canonical rationals, shapes, the LIMITS), ``arith`` (the one
exact linear-algebra module), ``network`` (exact forward pass, derivatives, a-priori bounds, loss along a
curve), ``cholesky`` (positive definiteness from a float factorisation with a proved error bound), ``lemmas``
(one function per lemma below, statement and proof in its docstring), ``rules`` (each
evidence method as a composition of lemmas, and THE table of methods), ``collapse`` and ``threshold``
(the two rules with lemmas of their own).

What acceptance guarantees
--------------------------
Notation (``proofs/FORMAT.md``): ``L`` is the loss of the problem *embedded in the certificate*,
``c`` the centre, ``ρ`` the radius, ``B̄`` the closed Euclidean ball of radius ``ρ`` about ``c`` in all of
``θ``, ``P`` the pattern named by the evidence and ``L_P`` the loss polynomial of its region.

``isolated_local_minimum`` (CERTIFIED), evidence ``interior_ball`` (interior case):

1. *Sign stability.* ``z_{k,i}(x_j; c)`` has the pattern's strict sign, and ``z_P(c)² > F1(k)²·P_k·ρ²``
   where ``F1(k)`` bounds every ``|∂z_{k,i}/∂θ|`` on the box ``|θ − c|_∞ ≤ ρ`` and ``P_k`` counts the
   parameters of layers ``1..k``. By the mean-value theorem and induction over layers, every hidden
   pre-activation keeps its strict sign on ``B̄``, so ``L = L_P`` on a neighbourhood of ``B̄``.
2. *Hessian bound.* ``H_0 = ∇²L_P(c)`` exactly; ``H_0 − (μ+δ)I`` is positive definite (all LDLᵀ pivots
   positive; or ``T·(H_0 − (μ+δ)I)·Tᵀ`` strictly diagonally dominant for a lower-triangular ``T`` with
   positive diagonal; or the checker's binary64 Cholesky factorisation of the matrix, scaled and
   shifted by a proved bound on all rounding errors, runs to completion — Rump's theorem, stated and
   proved in ``cholesky`` with its floating-point assumptions — else the exact pivots decide); ``δ ≥ 0`` and ``δ² ≥ P³K²ρ²`` where ``K`` bounds every third partial derivative
   of ``L_P`` on the box, so ``‖∇²L_P(θ) − H_0‖₂ ≤ P^{3/2}Kρ ≤ δ`` and ``∇²L_P(θ) ⪰ μI`` on ``B̄``.
3. *Gradient bound.* ``‖∇L_P(c)‖² < μ²ρ²``.

Then ``L`` is ``μ``-strongly convex on ``B̄`` and has exactly one critical point ``θ*`` there, with
``‖θ* − c‖ ≤ ‖∇L(c)‖/μ < ρ``; it is a strict local minimum and ``L(θ) ≥ L(θ*) + (μ/2)‖θ − θ*‖²`` on
``B̄``. The checker also insists on ``λ > 0`` (with ``λ = 0`` minima are never isolated).

``isolated_local_minimum`` (CERTIFIED), evidence ``boundary_ball`` (boundary case; the centre on
first-layer kinks). ``Z`` lists first-layer pairs ``(j, i)`` with ``z_{1,i}(x_j; c) = a_m·c = 0``, ``a_m``
holding ``x̃_j`` in unit ``i``'s incoming coordinates; a sign string ``s`` orients ``s'_m a_m`` and names
the piece ``P_s``.

1. *Kinks and the rest.* Exactly the listed first-layer pre-activations vanish at ``c``; every other one
   has the pattern's strict sign and keeps it on ``B̄`` (first layer: ``z² > ρ²‖x̃_j‖²``, exact since ``z``
   is linear; deeper layers: step 1 of the interior case, whose bounds hold for every pattern).
2. *Every region meeting the ball is listed.* A depth-first case split over the signs of ``Z``: each
   branch ends in a listed piece or under an ``empty`` entry whose Gordan vector ``y ≥ 0``, ``y ≠ 0``,
   satisfies ``Σ y_m s'_m a_m = 0``; then no direction ``d`` has ``s'_m a_m·d > 0`` for all its signs, and as
   ``z_m(θ) = a_m·(θ − c)`` no region with those signs meets ``B̄``.
3. *Each listed piece.* ``∇²L_{P_s}(c) − (μ+δ)I`` positive definite (as in the interior case, same ``δ``),
   so ``∇²L_{P_s} ⪰ μI`` on ``B̄``; multipliers ``ν ≥ 0`` with ``‖∇L_{P_s}(c) − Σ ν_m s'_m a_m‖ < μρ/2``.

Then each region's closure meets ``B̄`` in a convex set (half-spaces ``s'_m a_m·(θ − c) ≥ 0``, the other
signs fixed) on which ``L = L_{P_s}`` is ``μ``-strongly convex, and for ``θ`` on the sphere
``L(θ) ≥ L(c) + Σ ν_m s'_m a_m·(θ − c) − ‖e‖ρ + (μ/2)ρ² > L(c)``. So ``L`` has a local minimum in the open
ball; every local minimum in ``B̄`` is the minimiser of each adjacent closed piece, hence strict with
quadratic growth ``μ/2`` there, and isolated (finitely many convex pieces, at most one minimiser each).

``isolated_local_minimum`` (CERTIFIED), evidence ``kink_ball`` (the same setting with independent
constraints, for kinks where a piece's Hessian is indefinite across the kink but the kink is strictly
complementary). Steps 1 as above; ``AAᵀ`` is nonsingular, so every sign combination meets the ball and all
``2^|Z|`` pieces must be listed; ``r_m ≥ ‖A⁺e_m‖``. For each piece: ``h ≥ ‖∇²L_{P_s}(c)‖_F``; multipliers with
``e = ∇L_{P_s}(c) − Σ ν_m s'_m a_m`` orthogonal to every ``a_m`` and ``‖e‖ < μρ/2``; ``ν_m > Δ_m = r_m(h+δ)ρ``;
``κ = min_m(ν_m − Δ_m)``, ``0 ≤ τ`` with ``τ²‖A‖_F²ρ² ≤ κ²``; ``∇²L_{P_s}(c) + τAᵀA − (μ+δ)I`` positive definite.
Proof: a point of ``B̄`` off the kink subspace ``S`` (some ``z_m ≠ 0``) is no local minimum, since moving
along ``−s'_m A⁺e_m`` changes only ``z_m`` and has slope ``≤ −ν_m + Δ_m < 0``; on ``S ∩ B̄`` all pieces agree
and ``L`` is ``μ``-strongly convex (``AᵀA`` vanishes on ``S``), so it holds at most one local minimum ``θ*``.
At ``θ*`` the multipliers are ``≥ κ``, and for ``θ* + d`` in a closed piece of ``B̄``,
``L(θ* + d) − L(θ*) ≥ κ‖Ad‖ + ½dᵀ(∇²L_{P_s}(c) − δI)d ≥ ½dᵀ(∇²L_{P_s}(c) + τAᵀA − δI)d ≥ (μ/2)‖d‖²``
(``‖Ad‖ ≤ 2‖A‖_Fρ ≤ 2κ/τ``); the same estimate about ``c`` with ``‖e‖ < μρ/2`` puts the minimum of ``L`` over
``B̄`` inside the ball. So ``L`` has exactly one local minimum in ``B̄``, strict with quadratic growth ``μ/2``.

``isolated_local_minimum`` (CERTIFIED), evidence ``curved_kink_ball``: the centre on kinks of the first three
hidden layers (at least one of the second or third; at each sample all of one layer; at most 8), whose zero
sets are curved in ``θ``. Theorem K (``docs/MATHEMATICS.md`` §5; what is verified and the proof in
``proofs/checker/curved.py``): independent kink gradients (``J_0J_0ᵀ − η²I ≻ 0``), curvature bounds
``Γρ < η``, and per piece of all ``2^q`` strictly complementary multipliers beating their drift and a
positive-definite penalised Lagrangian Hessian. Then ``L`` has exactly one local minimum in ``B̄``, on
every kink, with quadratic growth ``μ/2``.

``isolated_local_minimum`` (CERTIFIED), evidence ``collapsed_layer``: one hidden layer whose units are all
dead at ``c`` (every hidden parameter 0, the output bias exactly critical). ``L(c + s·d) − L(c)`` is exactly
``s²Q + s³C + s⁴R`` for ``s ≥ 0`` (``σ`` is positively homogeneous), with ``R ≥ 0``, ``|C| ≤ α·x_sum·‖d‖³`` and,
when every cell of the single-unit arrangement satisfies ``‖G(v)‖ ≤ (λ − ε)‖v‖`` (polar-cone or spectral
witnesses), ``Q ≥ μ'‖d‖²`` with ``μ' = min(αN + λ_b, ε)``. With ``3α·x_sum·ρ < 2μ'``, ``c`` is a strict minimum
with growth ``μ' − α·x_sum·ρ ≥ μ/2`` and the only local minimum in ``B̄`` (elsewhere ``d/ds`` at ``s = 1`` is
``2Q + 3C + 4R > 0``). Details: ``proofs/checker/collapse.py``.

``isolated_local_minimum`` (CERTIFIED), evidence ``collapsed_network``: two or more hidden layers whose units
are all dead at ``c`` (every parameter but the output bias 0, the output bias ``b*`` exactly critical, biases
decayed or absent). A-priori bounds on the ball (``‖h_ℓ‖² ≤ ρ²(‖h_{ℓ−1}‖² + 1)``) give ``coupling`` ``K`` and
``h_sum`` ``M``; the only path through the dead layers that is not a product of small factors is the last
layer's bias path, whose coupling is ``−2λ b*·Aσ(b_H)``, at most ``λν(‖A‖² + ‖b_H‖²)`` with ``ν ≥ ‖b*‖``, ``ν < 1``.
Then ``L(c + d) − L(c) ≥ (λ(1 − ν) − K)‖d‖² ≥ (μ/2)‖d‖²``, and along ``T_s d`` (``β, W_ℓ`` scaled by ``s``, ``b_ℓ``
by ``s^ℓ``, ``A`` by ``s^H``: the network is homogeneous of degree ``2H`` in ``s``) the derivative at ``s = 1``
is positive for every ``d ≠ 0`` in ``B̄`` once ``2λ − (2H+1)M``, ``2Hλ(1 − ν) − 2HK − (2H+1)M`` and ``2λ − 2HK``
are positive: ``c`` is the only local minimum in ``B̄``. Details: ``proofs/checker/collapse.py``.

``not_a_local_minimum`` (REFUTED):

- evidence ``negative_curvature`` (``ρ > 0``): step 1 as above and ``dᵀH_0d + δ‖d‖² < 0`` with the same
  ``δ``, so ``dᵀ∇²L_P(θ)d < 0`` on ``B̄``: no point of the open ball is a local minimum of ``L``.
- evidence ``curve``, kind ``descent`` (``ρ = 0``): ``γ(t) = N(t)/q(t)`` with ``q > 0`` on ``[0, t0]``
  and ``γ(0) = c``; along ``γ`` every hidden pre-activation is ``Z(t)/q(t)^k`` with ``Z ≡ 0`` or of one
  strict sign on ``(0, t0]`` (lowest nonzero coefficient dominating), so the network along ``γ`` is one
  exact polynomial computation; ``Λ(t) = q^{2(H+1)}·(L(γ(t)) − L(c)) < 0`` on ``(0, t0]`` by the same
  dominance test. Hence ``L(γ(t)) < L(c)`` for ``0 < t ≤ t0`` and ``c`` is not a local minimum.

``not_isolated`` (REFUTED): evidence ``curve``, kind ``constant``, ``ρ = 0``: the curve checks above,
``Λ ≡ 0`` and ``γ`` not constant. Then ``L(γ(t)) = L(c)`` on ``[0, t0]`` and ``γ(t) ≠ c`` for all but
finitely many ``t``: ``c`` is not a strict local minimum, and if it is a local minimum then so is every
``γ(t)`` close to ``c``; either way it is not an isolated local minimum. The evidence of
``not_a_local_minimum`` is accepted too (a point that is no local minimum is no isolated one).

``piecewise_strong_convexity`` (CERTIFIED), evidence ``lemma_a_norm_box``: the instantiation of the paper's
Lemma (A) on the problem (``proofs/checker/threshold.py`` states the set and exactly what is verified: the
constants, ``ε < ε*``, ``(λ − μ/2)² ≥ Kε``, and optionally the centre's membership). The lemma itself is
mathematics argued on paper, not re-derived by the checker.

The user's point (optional ``origin`` with ``origin_distance`` ``D``, always together): the checker
verifies ``‖origin − c‖² ≤ D²`` exactly, and the ``VALID`` line ends ``; the given point is within D of the
centre``. Every claim above is about ``c`` or a point within ``ρ`` of it (the certified minimum ``θ*``,
or the refuted point ``c`` itself), so the proved distance from the user's point to it is at most
``D + ρ``. With ``--problem FILE`` whose file has a ``point``, that point must equal the origin exactly;
a certificate without origin is accepted, but its ``VALID`` line then says that it speaks about its
centre, not about the problem file's point, whenever the two differ.

``global_minimum`` (CERTIFIED), evidence ``dual_cones``, and ``not_global_minimum`` (REFUTED), evidence
``wider_network`` (one hidden layer, one output, every parameter decayed): the minimum in the ball is a
global minimum over one-hidden-layer networks of every width (Lemmas C and D), or an exact network with one
more unit has a lower loss than every point of the ball. The statements and proofs, and the split groups
that let the certificate sit at the user's split units, are the docstring of :mod:`proofs.checker.duality`.

``nonisolated_local_minimum`` (CERTIFIED), evidence ``split_orbit`` (the same setting, every unit live, or
on the kinks of a ``kink_ball`` reduced minimum with its outgoing weight of a fixed sign on the ball): a
reduced strict minimum split back along exact rational weights is a local minimum, and near it the local
minima are exactly its split orbit, of the stated dimension; no growth modulus away from the orbit is
claimed. Statement and proof: the docstring of :mod:`proofs.checker.orbit`.

``nonisolated_local_minimum`` (CERTIFIED), evidence ``rotation_orbit`` (any depth, any number of outputs):
inside one region, groups of units of a layer that share their pattern rotate into each other (the group
``Π O(|g|)`` keeps ``L_P``); with ``∇²L_P(c) − (μ+δ)I + κ·TTᵀ ≻ 0`` for the orbit's tangents ``T`` and a small
gradient, the local minima in the ball are exactly one orbit ``Gθ*``, not a point, with
``L(θ) ≥ L(θ*) + (μ/2)·dist(θ, Gθ*)²`` on the ball. Statement and proof: :mod:`proofs.checker.rotation`.

``nonisolated_local_minimum`` (CERTIFIED), evidence ``rotation_kink_orbit`` (the same groups at a centre on
independent, strictly complementary first-layer kinks, each kink on a unit outside the groups or shared by
every unit of a group, so that ``G`` maps the kink subspace ``K`` onto itself): ``kink_ball``'s checks with
``∇²L_{P_s}(c) + τ_sAᵀA + κTTᵀ − (2μ+δ)I ≻ 0`` for every piece and ``|Z|·‖A‖_F²ρ²μ²r⁴ ≤ (min_s κ_s)²``. The
multipliers make ``L`` grow linearly away from ``K``; on ``K`` ``L`` is ``G``-invariant and ``2μ``-strongly convex
across the orbit; together ``L(θ) ≥ L(θ*) + (μ/2)·dist(θ, Gθ*)²`` on the ball, and the local minima in the
ball are exactly the orbit ``Gθ*``, not a point, on every kink. Statement and proof: the second theorem
of :mod:`proofs.checker.rotation`.

``nonisolated_local_minimum`` (CERTIFIED), evidence ``dead_unit_end`` (any depth, one output, every parameter
decayed): dead units of the last hidden layer beside live partner units whose signs are stable on twice the
ball. A dead unit in a partner's activation cone of the current features, with the partner's outgoing sign,
merges into it (same outputs, no more cost); every other position is bounded by Lemma D's dual inequality,
checked at the centre on the feature arrangement with a margin for the moving residuals and features
(thickened faces of the partner's cone included). So the reduced local minimum padded with zeros is a local
minimum, and its split circles make it non-isolated. Statement and proof: :mod:`proofs.checker.deadend`.

What it does not guarantee
--------------------------
- It trusts CPython: ``int``, ``fractions.Fraction``, ``json`` and the machine running them.
- It trusts the mathematics written here and in ``proofs/FORMAT.md`` (the a-priori bounds ``A_k``,
  ``Mb``, ``F1``–``F3``, ``K`` and the lemmas above); they are argued on paper, not machine-checked.
- It checks the problem embedded in the certificate, not the problem the user meant, unless
  ``--problem`` / ``expected_problem`` is given (then data, architecture and loss must agree exactly;
  the problem's name and point are ignored).
- It says nothing beyond the claim: not about global minima, points outside the ball, or the free-form
  ``producer`` block. It bounds the size of every number and the work of every check (limits: ``reading.py``);
  a certificate beyond a limit is rejected (``INVALID: limits: …``), not decided.

Rejection lines name the step: ``format`` (JSON, shapes, canonical numbers), ``claim`` (kind and
status), ``problem``, ``center``, ``radius``, ``mu``, ``evidence`` (method or kind not valid for the
claim), ``pattern``, ``sign stability``, ``hessian bound``, ``gradient bound``, ``curvature``, ``curve``,
``regions`` (boundary case: a region neither listed nor excluded, or a false Gordan vector), ``kinks``,
``kink gradients``, ``kink curvature``, ``multipliers`` (curved kinks), ``residual bound``, ``cones``
(dual witnesses), ``groups``, ``orbit`` (symmetry orbits), ``wider network``, ``origin``, ``limits``.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from typing import Any, Sequence

from .arith import Budget
from .exceptions import CertificateInvalid, CertificateUnreadable, CheckerError
from .network import Problem
from .reading import (CERTIFICATE_FORMAT, MAX_BYTES, MAX_DIGITS, MAX_WORK, brief, expect_object, fail, load_json,
                      parse_rational_strict, read_point, read_problem, show)
from .rules import CLAIMS, METHODS, RULES, Context

__all__ = ["CLAIMS", "METHODS", "RULES", "CERTIFICATE_FORMAT", "MAX_DIGITS", "Problem", "CertificateInvalid",
           "CertificateUnreadable", "CheckerError", "check_certificate", "check_file", "main", "parse_rational_strict",
           "read_problem"]

_TOP_KEYS = {"format", "status", "claim", "problem", "center", "radius", "mu", "evidence", "producer", "origin",
             "origin_distance"}


def check_certificate(cert: Any, expected_problem: Any = None, *, expected_point: Sequence[Fraction] | None = None,
                      max_digits: int = MAX_DIGITS) -> str:
    """Re-check a decoded certificate and return its ``VALID: …`` line.

    Parameters
    ----------
    cert
        The decoded JSON object (decode with :func:`check_file` to reject floats at the source; a Python
        ``float`` or ``int`` where a rational string belongs is rejected here too).
    expected_problem
        The problem the user meant, as a :class:`Problem` or a decoded problem file (whose ``point``, if
        any, is then the expected point); ``None`` skips the comparison.
    expected_point
        The user's point ``θ`` in canonical order (with a :class:`Problem`), or ``None``.
    max_digits
        Most decimal digits of any numerator or denominator.

    Raises
    ------
    CertificateInvalid
        At the first failed check; ``str(err)`` is ``"<step>: <message>"``.
    CertificateUnreadable
        If the format version is not ``pscert.certificate/1``, or ``expected_problem`` is not a valid problem.

    Notes
    -----
    The module docstring states what acceptance proves; ``reading.py`` the limits that bound its cost.
    """
    version = cert.get("format") if isinstance(cert, dict) else None
    if isinstance(version, str) and version != CERTIFICATE_FORMAT:  # another format: not ours to judge
        raise CertificateUnreadable(f"format: version must be \"{CERTIFICATE_FORMAT}\" (got {brief(version)})")
    top = expect_object(cert, "", _TOP_KEYS, {"format", "status", "claim", "problem", "center", "radius", "evidence"})
    if top["format"] != CERTIFICATE_FORMAT:
        fail("", f"version must be \"{CERTIFICATE_FORMAT}\" (got {brief(top['format'])})")
    claim, status = top["claim"], top["status"]
    if not isinstance(claim, str) or claim not in CLAIMS:
        raise CertificateInvalid("claim", f"unknown claim kind {brief(claim)} (known: {', '.join(sorted(CLAIMS))})")
    if status not in ("CERTIFIED", "REFUTED"):
        fail("status", f"must be \"CERTIFIED\" or \"REFUTED\" (got {brief(status)})")
    kind = CLAIMS[claim]
    if status != kind.status:
        raise CertificateInvalid("claim", f"{claim} must have status {kind.status} (got {status})")
    if "producer" in top and not isinstance(top["producer"], dict):
        fail("producer", f"must be an object (got {brief(top['producer'])})")
    problem = read_problem(top["problem"], "problem", strict=True, max_digits=max_digits)
    if kind.minimum and problem.weight_decay <= 0:
        raise CertificateInvalid("problem", f"weight decay must be positive for {claim} (got {problem.weight_decay})")
    if expected_problem is not None:
        expected, point = _expected(expected_problem, max_digits)
        _compare_problems(problem, expected)
        expected_point = expected_point if point is None else point
    center = read_point(top["center"], problem, "center", max_digits)
    radius = parse_rational_strict(top["radius"], "radius", max_digits)
    if radius < 0:
        raise CertificateInvalid("radius", f"must be non-negative (got {radius})")
    mu = Fraction(0)
    if kind.minimum:
        if "mu" not in top:
            raise CertificateInvalid("mu", f"missing: {claim} needs a strong-convexity modulus mu > 0")
        mu = parse_rational_strict(top["mu"], "mu", max_digits)
        if mu <= 0:
            raise CertificateInvalid("mu", f"must be positive (got {mu})")
    elif "mu" in top:
        fail("mu", f"only minimum claims carry mu ({claim} does not)")
    origin = _origin(top, problem, center, expected_point, max_digits)
    evidence = top["evidence"]
    if not isinstance(evidence, dict) or "method" not in evidence:
        fail("evidence", f"must be an object with a \"method\" (got {brief(evidence)})")
    name = evidence["method"]
    if not isinstance(name, str) or name not in METHODS or name not in kind.methods:
        supported = ", ".join(kind.methods) or "none yet"
        raise CertificateInvalid("evidence", f"method {brief(name)} is not supported for {claim} "
                                 f"(supported: {supported})")
    context = Context(claim, problem, center, radius, mu, evidence, max_digits, top, Budget(MAX_WORK))
    summary = METHODS[name](context)
    modulus = f", mu {mu}" if kind.minimum else ""
    return f"VALID: {status} {claim}, radius {radius}{modulus} ({summary}){origin}"


def _origin(top: dict[str, Any], problem: Problem, center: list[Fraction], expected_point: Sequence[Fraction] | None,
            max_digits: int) -> str:
    """The user's point: ``‖origin − c‖ ≤ D`` exactly, and agreement with the problem file's point."""
    if ("origin" in top) != ("origin_distance" in top):
        raise CertificateInvalid("origin", "origin and origin_distance must come together (got only "
                                 f"{'origin' if 'origin' in top else 'origin_distance'})")
    if "origin" not in top:
        differs = _first_difference(center, expected_point)
        if differs is None:
            return ""
        return (f"; it speaks about its centre, not about the problem file's point (they differ at parameter "
                f"{differs}; the certificate has no origin)")
    origin = read_point(top["origin"], problem, "origin", max_digits)
    D = parse_rational_strict(top["origin_distance"], "origin_distance", max_digits)
    if D < 0:
        raise CertificateInvalid("origin", f"origin_distance must be non-negative (got {D})")
    gap2 = sum((o - c) ** 2 for o, c in zip(origin, center))
    if gap2 > D * D:
        raise CertificateInvalid("origin", f"‖origin − center‖² = {show(gap2)} must be at most origin_distance² = "
                                 f"{show(D * D)}")
    differs = _first_difference(origin, expected_point)
    if differs is not None and expected_point is not None:
        raise CertificateInvalid("problem", f"the certificate speaks about a different point than the problem file's: "
                                 f"its origin differs at parameter {differs} ({show(origin[differs])} against "
                                 f"{show(expected_point[differs])})")
    return f"; the given point is within {D} of the centre"


def _first_difference(theta: Sequence[Fraction], point: Sequence[Fraction] | None) -> int | None:
    if point is None:
        return None
    return next((i for i, (a, b) in enumerate(zip(theta, point)) if a != b), None)


def _expected(obj: Any, max_digits: int) -> tuple[Problem, list[Fraction] | None]:
    if isinstance(obj, Problem):
        return obj, None
    try:
        problem = read_problem(obj, "", strict=False, max_digits=max_digits)
        has_point = isinstance(obj, dict) and obj.get("point") is not None
        return problem, read_point(obj["point"], problem, "point", max_digits, lenient=True) if has_point else None
    except CertificateInvalid as err:
        raise CertificateUnreadable(f"expected problem: {err.message}") from None


def _compare_problems(problem: Problem, expected: Problem) -> None:
    for (path, got), (_, want) in zip(problem.fields(), expected.fields()):
        if got != want:
            raise CertificateInvalid("problem", f"differs from the expected problem at {path}: the certificate "
                                     f"has {_plain(got)}, the expected problem {_plain(want)}")


def _plain(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _read_json(path: str, problem_file: bool, max_digits: int) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read(MAX_BYTES + 1)
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise CertificateUnreadable(f"{path}: cannot read the file ({reason})") from None
    if len(text) > MAX_BYTES:
        raise CertificateUnreadable(f"{path}: larger than the limit of {MAX_BYTES} characters")
    try:
        return load_json(text, problem_file=problem_file, max_digits=max_digits)
    except CertificateUnreadable as err:
        raise CertificateUnreadable(f"{path}: {err}") from None


def check_file(path: str, expected_problem_path: str | None = None, *, max_digits: int = MAX_DIGITS) -> str:
    """Read a certificate file (and optionally the problem file it must be about) and check it.

    Raises
    ------
    CertificateUnreadable
        A file cannot be read, is too large, is not JSON, or is a certificate of another format version;
        or the problem file is not a valid problem. The message starts with the file name.
    CertificateInvalid
        The certificate fails a check (a JSON float or a duplicate key included).
    """
    expected, point = None, None
    if expected_problem_path is not None:
        try:
            expected, point = _expected(_read_json(expected_problem_path, True, max_digits), max_digits)
        except CheckerError as err:
            what = err.message if isinstance(err, CertificateInvalid) else str(err).removeprefix("expected problem: ")
            raise CertificateUnreadable(what if what.startswith(expected_problem_path) else
                                        f"{expected_problem_path}: {what}") from None
    cert = _read_json(path, False, max_digits)
    try:
        return check_certificate(cert, expected, expected_point=point, max_digits=max_digits)
    except CertificateUnreadable as err:
        raise CertificateUnreadable(f"{path}: {err}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m proofs.checker CERT [--problem PROBLEM]``; returns the exit code (0 / 1 / 2)."""
    parser = argparse.ArgumentParser(prog="python -m proofs.checker",
                                     description="Re-check a pscert certificate with exact arithmetic.")
    parser.add_argument("certificate", help="a pscert.certificate/1 JSON file")
    parser.add_argument("--problem", help="the problem file the certificate must be about")
    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a message may quote any text: never crash on printing it
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        print(check_file(args.certificate, args.problem))
        return 0
    except CertificateInvalid as err:
        print(f"INVALID: {err}")
        return 1
    except CertificateUnreadable as err:
        print(f"Error: {err}", file=sys.stderr)
        return 2
