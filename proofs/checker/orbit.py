"""Non-isolated local minima of one-hidden-layer networks: the split orbit of a reduced strict minimum.

Setting (as for ``dual_cones``, :mod:`.duality`). One hidden ReLU layer, scalar output, squared loss,
``λ > 0`` decaying every parameter (biases included when there are biases), every ``x̃_j ≠ 0``. A hidden
unit is ``p = (v, a)``: its incoming row ``v`` (bias last) and its outgoing weight ``a``;
``f(x_j; θ) = Σ_i a_i σ(v_i·x̃_j) + b``, ``L(θ) = α Σ_j (f(x_j; θ) − y_j)² + λ‖θ‖²``.

``nonisolated_local_minimum`` (CERTIFIED), evidence ``split_orbit``
------------------------------------------------------------------
The evidence partitions the hidden units into groups; group ``g`` lists units ``i_1 < … < i_k`` (its
representative is ``i_1``) with rationals ``κ_1 = 1, κ_2, …, κ_k > 0`` such that, exactly at the
centre, ``p_{i_m}(c) = κ_m·p_{i_1}(c)``, and ``Σ_m κ_m² = s_g²`` for a rational ``s_g`` (then
``s_g ≥ 1``; Pythagorean choices such as ``(1, 4/3)``, ``s = 5/3``, make it rational). Some group has
``k ≥ 2``; the orbit dimension ``Σ_g (k_g − 1)`` is stated. Put ``t_m = κ_m/s_g`` (``Σ_m t_m² = 1``,
``t_m > 0``). The *reduced network* has one unit per group, ``u_g = s_g·p_{i_1}``, and the output bias;
its centre ``c_red`` is built from ``c`` that way, so that ``c`` is exactly the *split* of ``c_red``:
``p_{i_m}(c) = t_m·u_g(c_red)``. The split map ``Sp: θ_red ↦ θ`` (unit ``i_m`` = ``t_m u_g``, same output
bias) is linear, preserves the outputs on the data (``σ`` is positively homogeneous: ``Σ_m t_m a σ(t_m
v·x̃) = a σ(v·x̃)``) and the norm of the unit parameters (``Σ_m t_m² = 1``), so ``L∘Sp = L_red`` and
``‖Sp(θ) − Sp(θ')‖ = ‖θ − θ'‖``.

Checks: (1) the setting; (2) the groups and ``κ`` as above, ``dimension`` equal to ``Σ_g (k_g − 1) ≥ 1``;
(3) ``local``, the reduced network's ``isolated_local_minimum`` evidence, re-checked about ``c_red`` with the
certificate's ``ρ`` and ``μ``. Group ``g``'s *kinks* ``K_g`` are the samples ``j`` with ``(j, g)`` a constraint
of ``local`` when it is ``kink_ball`` (whose theorem puts its minimum on every constraint), with every sample
of the same input as one of them (its twin: ``x̃_k·v = x̃_j·v`` for every ``v``), and none otherwise
(``boundary_ball``'s minimum may lie beside its kinks); (4) ``R ≥ ρ`` (``stable_radius``) and every unit ``i``
of group ``g`` *live off its kinks on* ``B̄(c, R)``: ``z_ij(c)² > R²‖x̃_j‖²`` for every sample ``j ∉ K_g``, some
of them with ``z_ij(c) > 0``; and, when ``K_g ≠ ∅``, ``a_i(c)² > R²`` (the outgoing weight keeps its sign
``ε_g`` on the ball: only that sign of the dual inequality is proved at a kink).

*Theorem.* Let ``θ*_red`` be the reduced local minimum given by (3) (``‖θ*_red − c_red‖ ≤ ρ``, strict),
``θ* = Sp(θ*_red)``, ``L* = L(θ*) = L_red(θ*_red)``, ``S_g`` the strict signs of group ``g``'s units at ``c`` on
the samples off ``K_g`` and ``U`` the open set of ``θ`` in which every unit ``i ∈ g`` has pre-activations of the
strict signs ``S_g`` on every sample ``j ∉ K_g`` (any sign on ``K_g``) and, when ``K_g ≠ ∅``, ``ε_g a_i > 0``.
Then ``B̄(c, R) ⊂ U``, ``‖θ* − c‖ ≤ ρ``, ``L ≥ L*`` on ``U``, and the local minima of ``L`` in ``U`` are exactly
the *split orbit* ``O = {b = b*, p_i = τ_i u*_g for i ∈ g, τ_i > 0, Σ_{i∈g} τ_i² = 1}`` (``u*_g`` the units of
``θ*_red``), a product of open positive parts of spheres of dimension ``Σ_g (k_g − 1)``, on which ``L = L*``.
In particular ``θ*`` is a local minimum of ``L`` and, since some group has two units, it is not isolated.

*Proof.* ``B̄(c, R) ⊂ U``: ``|z_ij(θ) − z_ij(c)| ≤ ‖v_i − v_i(c)‖‖x̃_j‖ ≤ R‖x̃_j‖ < |z_ij(c)|`` off ``K_g``, and
``|a_i(θ) − a_i(c)| ≤ R < |a_i(c)|`` (``a_i(c)`` has the sign ``ε_g`` of ``a_{i_1}(c)``, ``κ > 0``). Split:
``‖θ* − c‖ = ‖Sp(θ*_red) − Sp(c_red)‖ ≤ ρ``. The reduced unit ``u_g(c_red) = s_g p_{i_1}(c)`` has the strict
signs ``S_g`` off ``K_g`` on ``B̄(c_red, ρ)`` (``s_g ≥ 1`` and ``R ≥ ρ``: ``s_g²z² ≥ z² > ρ²‖x̃‖²``), ``x̃_j·v*_g = 0``
on ``K_g`` (``kink_ball``), and ``sign a*_g = ε_g`` when ``K_g ≠ ∅`` (``a_g(c_red)² = s_g²a_{i_1}(c)² > R² ≥ ρ²``).

*Stationarity of a unit.* Let ``S'`` be any sign string equal to ``S_g`` off ``K_g``. Moving only ``(v_g, a_g)``
near ``θ*_red`` inside the polyhedron ``{s'_j x̃_j·v_g ≥ 0, j ∈ K_g}``, every other pre-activation keeps its
sign and ``L_red`` is the polynomial ``L_{S'}`` (a pre-activation 0 contributes ``σ(0) = 0`` under either
entry). ``θ*_red`` minimises it locally there, and linear constraints qualify, so for some ``ν ≥ 0``
``a*_g c_{S'} + 2λv*_g = Σ_{j∈K_g} ν_j s'_j x̃_j`` and ``c_{S'}·v*_g + 2λa*_g = 0``, with
``c_{S'} = 2α Σ_{j∈S'} r_j x̃_j`` and ``r`` the residuals of ``θ*_red`` (equal to those of ``θ*``). Dotting
the first with ``v*_g`` (``x̃_j·v*_g = 0`` on ``K_g``) gives balance ``‖v*_g‖ = |a*_g|``; an active sample off
``K_g`` makes ``v*_g ≠ 0``, so ``a*_g ≠ 0``.
Hence, for every ``v`` of the closed cone ``C_{S'} = {s'_j x̃_j·v ≥ 0 for all j}``, where ``G(v) = c_{S'}·v``,

  (*)  ``−sign(a*_g) G(v) = (2λ v*_g·v − Σ_{K_g} ν_j s'_j x̃_j·v)/|a*_g| ≤ 2λ‖v‖``,

with equality only if ``v`` is a nonnegative multiple of ``v*_g`` (Cauchy–Schwarz). When ``K_g = ∅`` there is
no ``ν``: ``c_S = −2λv*_g/a*_g`` has norm ``2λ`` and ``|G(v)| ≤ 2λ‖v‖`` on ``C_S`` for both signs. Also ``T*_g =
a*_g c_{S'}·v*_g + λ(‖v*_g‖² + a*_g²) = 0`` and the output bias is stationary, ``2αΣ_j r_j + 2λb* = 0``; the units
of ``θ*`` are ``t_m u*_g``, with ``T = t_m² T*_g = 0`` each.

*Lower bound.* Lemma C (:mod:`.duality`, whose proof uses only these facts at ``θ*``) gives for every ``θ``
``L(θ) ≥ L* + α‖z(θ) − z*‖² + λ(b − b*)² + Σ_i T_i``, ``T_i = a_i G(v_i) + λ(‖v_i‖² + a_i²) = λ(‖v_i‖ − |a_i|)² +
|a_i|(2λ‖v_i‖ + sign(a_i) G(v_i))``. In ``U`` each ``v_i`` (``i ∈ g``) lies in some ``C_{S'}`` with ``S'`` equal to
``S_g`` off ``K_g``, and ``sign(a_i) = sign(a*_g)`` where ``K_g ≠ ∅``: by (*) ``T_i ≥ 0``, so ``L ≥ L*`` on ``U``.
*Equality* needs ``z = z*``, ``b = b*``, balance and equality in (*): ``v_i ≠ 0`` in ``U`` (strict signs off
``K_g`` on an active sample), so ``a_i ≠ 0`` and ``v_i`` is a positive multiple of ``v*_g`` (for ``K_g = ∅``:
a multiple of sign ``sign(a_i a*_g)``, positive since ``v_i`` and ``v*_g`` have the same strict signs on a
sample): ``p_i = τ_i u*_g``, ``τ_i > 0``. Then ``z = z*`` reads ``Σ_g (Σ_{i∈g} τ_i² − 1) φ_g = 0`` with ``φ_g =
(a*_g σ(v*_g·x̃_j))_j``. The ``φ_g`` are independent: if ``Σ δ_g φ_g = 0``, ``δ ≠ 0``, the reduced curve
``u_g ↦ (1 + εδ_g)^½ u*_g`` keeps the outputs (and the kinks) and changes ``L_red`` by ``ελΣ_g δ_g‖u*_g‖²``, linear
in ``ε``: some ``θ_red ≠ θ*_red`` arbitrarily near has ``L_red ≤ L_red(θ*_red)``, against strictness. So
``Σ_{i∈g} τ_i² = 1``: the equality set in ``U`` is ``O`` (and ``O ⊂ U``). Every point of ``O`` minimises ``L`` over
the open ``U``: a local minimum.

*No other local minimum in U.* Let ``θ'`` be a local minimum of ``L`` in ``U``, with residuals ``r'`` and dual
function ``G'``. For each group pick a unit ``i ∈ g``; the stationarity argument above, at ``θ'`` with the
kinks ``{j ∈ K_g : x̃_j·v'_i = 0}`` and ``v'_i``'s own strict signs elsewhere (``v'_i ≠ 0`` in ``U``), gives
``−sign(a'_i) G'(v) ≤ 2λ‖v‖`` on every cone ``C_{S''}`` adjacent to ``v'_i`` (both signs when ``K_g = ∅``). ``v*_g``
lies in one: it has the signs ``S_g`` off ``K_g`` and ``x̃_j·v*_g = 0`` on ``K_g``; and ``sign(a'_i) = sign(a*_g)``
in ``U`` where ``K_g ≠ ∅``. With balance of ``u*_g``, each unit ``t_m u*_g`` of ``θ*`` has ``T' = t_m²|a*_g|(2λ‖v*_g‖ +
sign(a*_g) G'(v*_g)) ≥ 0``, and Lemma C about ``θ'`` gives ``L(θ*) ≥ L(θ') + Σ T' ≥ L(θ')``. As ``L(θ') ≥ L*``,
``L(θ') = L*`` and ``θ' ∈ O``. Near ``θ*`` (``τ = t``), ``O`` has dimension ``Σ_g (k_g − 1) ≥ 1``: ``θ*`` is not
isolated. ∎

Why ``a_i(c)² > R²`` at a kink: the multipliers ``ν ≥ 0`` bound ``G`` near ``v*_g`` for the sign of ``a*_g`` only.
A unit whose outgoing weight could change sign on the ball would need ``+sign(a*_g) G(v) ≤ 2λ‖v‖`` on the
cones beside the kink too, which nothing here proves.

What acceptance does not say. No quadratic growth of ``L`` away from ``O`` is claimed: the top-level
``mu`` (required for minimum claims) is the reduced certificate's modulus, ``L_red(θ) ≥ L_red(θ*_red) +
(μ/2)‖θ − θ*_red‖²`` on ``B̄(c_red, ρ)``, a statement about the reduced network only. Nothing is said outside
``U`` (in particular not about the orbit's end points, where a unit is zero: those are Lemma D's
business, ``dual_cones``; they may be saddles), nor about global optimality over other widths.
"""

from __future__ import annotations

from fractions import Fraction
from math import isqrt
from typing import Any

# the setting and the reduced network's re-check are the ones of global optimality (one definition each)
from .duality import _local, _setting, unit_index
from .exceptions import CertificateInvalid
from .network import Problem
from .reading import brief, expect_list, expect_object, fail, join, parse_rational_strict, show
from .rules import Context


def check_split_orbit(ctx: Context) -> str:
    """The split orbit of a reduced strict minimum is a set of non-isolated local minima (module docstring)."""
    keys = {"method", "groups", "local", "stable_radius", "dimension"}
    ev = expect_object(ctx.evidence, "evidence", keys, keys)
    problem, c, rho, mx = ctx.problem, ctx.center, ctx.radius, ctx.max_digits
    xt = _setting(problem, "split_orbit")
    if problem.biases and not problem.decay_biases:
        raise CertificateInvalid("evidence", "split_orbit needs every parameter decayed (an undecayed bias is not "
                                 "covered by Lemma C)")
    ctx.positive_radius("split_orbit")
    groups = _groups(ev["groups"], problem, c, mx)
    dimension = sum(len(units) - 1 for units, _, _ in groups)
    if dimension < 1:
        raise CertificateInvalid("orbit", "some group must have at least two units (otherwise the point is no "
                                 "split-orbit point: use an isolated_local_minimum method)")
    d = ev["dimension"]
    if isinstance(d, bool) or not isinstance(d, int) or d != dimension:
        fail("evidence.dimension", f"must be the orbit dimension Σ_g (k_g − 1) = {dimension} (got {brief(d)})")
    R = parse_rational_strict(ev["stable_radius"], "evidence.stable_radius", mx)
    if R < rho:
        raise CertificateInvalid("orbit", f"evidence.stable_radius must be at least the radius {show(rho)} (got "
                                 f"{show(R)})")
    kinks = _kinks(ev["local"], len(groups), len(problem.inputs))
    for K in kinks:    # a twin sample (same input) lies on every kink its sample lies on, for every θ
        K |= {k for k, x in enumerate(problem.inputs) for j in list(K) if x == problem.inputs[j]}
    for g, (units, _, _) in enumerate(groups):
        for i in units:
            _live(problem, c, R, xt, i, kinks[g])
    reduced, c_red = _reduced(problem, c, groups)
    _local(ctx, ev["local"], reduced, c_red)   # validates the kinks read above (kink_ball's constraints)
    sizes = "+".join(str(len(units)) for units, _, _ in groups)
    on = f", {sum(map(len, kinks))} kink(s)" if any(kinks) else ""
    return (f"split_orbit, groups {sizes}, orbit dimension {dimension}, stable radius {show(R)}, reduced "
            f"{ev['local']['method']}{on}")


def _groups(obj: Any, problem: Problem, c: list[Fraction], mx: int) -> list[tuple[list[int], list[Fraction], Fraction]]:
    """Each group's units, its ``κ`` (first 1, all positive, ``p_i(c) = κ·p_first(c)`` exactly) and ``s_g``."""
    n, size = problem.widths[1], problem.widths[0] + int(problem.biases) + 1
    out: list[tuple[list[int], list[Fraction], Fraction]] = []
    seen: list[int] = []
    for k, item in enumerate(expect_list(obj, "evidence.groups")):
        where = join("evidence.groups", k)
        entry = expect_object(item, where, {"units", "kappa"}, {"units", "kappa"})
        units = expect_list(entry["units"], f"{where}.units")
        if not units or any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n or i in seen for i in units) \
                or any(a >= b for a, b in zip(units, units[1:])) or (seen and units[0] < out[-1][0][0]):
            fail(f"{where}.units", f"must be new hidden units 0..{n - 1}, increasing, groups ordered by their first "
                 f"unit (got {brief(units)})")
        seen += units
        kappa = [parse_rational_strict(v, join(f"{where}.kappa", m), mx)
                 for m, v in enumerate(expect_list(entry["kappa"], f"{where}.kappa", len(units)))]
        if kappa[0] != 1 or any(v <= 0 for v in kappa):
            raise CertificateInvalid("orbit", f"{where}.kappa: must be positive with κ = 1 for the first unit (got "
                                     f"{', '.join(show(v) for v in kappa)})")
        first = [c[unit_index(problem, units[0], p)] for p in range(size)]
        for i, kap in zip(units[1:], kappa[1:]):
            for p in range(size):
                if c[unit_index(problem, i, p)] != kap * first[p]:
                    raise CertificateInvalid("orbit", f"{where}: unit {i} must be κ = {show(kap)} times unit "
                                             f"{units[0]} at the centre (parameter {p} is "
                                             f"{show(c[unit_index(problem, i, p)])}, κ times it {show(kap * first[p])})")
        out.append((list(units), kappa, _rational_sqrt(sum((v * v for v in kappa), Fraction(0)), where)))
    if sorted(seen) != list(range(n)):
        missing = next(i for i in range(n) if i not in seen)
        fail("evidence.groups", f"must hold every hidden unit exactly once (unit {missing} is in no group)")
    return out


def _rational_sqrt(q: Fraction, where: str) -> Fraction:
    """``s > 0`` with ``s² = q``, or a rejection: the reduced unit ``s·p`` must be rational."""
    num, den = isqrt(q.numerator), isqrt(q.denominator)
    if num * num != q.numerator or den * den != q.denominator:
        raise CertificateInvalid("orbit", f"{where}.kappa: Σκ² = {show(q)} must be the square of a rational (choose "
                                 "κ on a rational sphere, e.g. (1, 4/3))")
    return Fraction(num, den)


def _kinks(local: Any, n: int, samples: int) -> list[set[int]]:
    """Each reduced unit's kink samples: the constraints ``[j, g]`` of ``kink_ball`` evidence, else none. Read
    before ``local`` is re-checked (so that cheap checks come first): entries that are not pairs of integers in
    range are skipped here and rejected by the re-check, which acceptance needs anyway."""
    out: list[set[int]] = [set() for _ in range(n)]
    if isinstance(local, dict) and local.get("method") == "kink_ball" and isinstance(local.get("constraints"), list):
        for item in local["constraints"]:
            if isinstance(item, list) and len(item) == 2 and all(type(v) is int for v in item) and 0 <= item[1] < n \
                    and 0 <= item[0] < samples:
                out[item[1]].add(item[0])
    return out


def _live(problem: Problem, c: list[Fraction], R: Fraction, xt: list[list[Fraction]], i: int, kinks: set[int]) -> None:
    """Unit ``i`` keeps strict signs off ``kinks`` on ``B̄(c, R)``, is active on some of those samples and, on a
    kink, keeps the sign of its outgoing weight (``a² > R²``)."""
    row = [c[unit_index(problem, i, p)] for p in range(len(xt[0]))]
    active = False
    if kinks:
        a = c[unit_index(problem, i, len(xt[0]))]
        if a * a <= R * R:
            raise CertificateInvalid("orbit", f"unit {i} is on a kink, so its outgoing weight must keep its sign on "
                                     f"the ball of radius stable_radius: a² = {show(a * a)} must exceed R² = "
                                     f"{show(R * R)}")
    for j, x in enumerate(xt):
        if j in kinks:
            continue
        z = sum((w * v for w, v in zip(row, x)), Fraction(0))
        if z * z <= R * R * sum(v * v for v in x):
            raise CertificateInvalid("orbit", f"unit {i} is not live on the ball of radius stable_radius: sample {j} "
                                     "has z² ≤ R²‖x̃_j‖² and is no kink of the reduced kink_ball evidence (a dead unit "
                                     "or a unit near a kink is not a split-orbit unit)")
        active = active or z > 0
    if not active:
        off = " off its kinks" if kinks else ""
        raise CertificateInvalid("orbit", f"unit {i} is active on no sample{off} (a dead unit: Lemma D's business, "
                                 "not a split orbit's)")


def _reduced(problem: Problem, c: list[Fraction],
             groups: list[tuple[list[int], list[Fraction], Fraction]]) -> tuple[Problem, list[Fraction]]:
    """The reduced network (one unit ``s_g·p_first`` per group, then the output bias) and its centre."""
    red = Problem([problem.widths[0], len(groups), 1], problem.biases, problem.decay_biases, problem.activation,
                  problem.reduction, problem.weight_decay, problem.inputs, problem.targets)
    size = problem.widths[0] + int(problem.biases) + 1
    theta = [Fraction(0)] * red.count
    for new, (units, _, s) in enumerate(groups):
        for p in range(size):
            theta[unit_index(red, new, p)] = s * c[unit_index(problem, units[0], p)]
    if problem.biases:
        theta[red.index(2, 0, len(groups))] = c[problem.index(2, 0, problem.widths[1])]
    return red, theta
