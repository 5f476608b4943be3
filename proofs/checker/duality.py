"""Global optimality over one-hidden-layer networks of any width (convex duality, Lemmas C and D).

Setting. One hidden ReLU layer, scalar output, squared loss, ``λ > 0`` decaying every parameter (biases
included when there are biases). A hidden unit is ``p = (v, a)``: its incoming row ``v ∈ R^{d+1}`` (bias
last; ``R^d`` without biases) and its outgoing weight ``a``. With ``x̃_j = (x_j, 1)`` (or ``x_j``),
``f(x_j; θ) = Σ_i a_i σ(v_i·x̃_j) + b`` and ``L(θ) = α Σ_j (f(x_j; θ) − y_j)² + λ‖θ‖²``. The comparison
class is every such network, of any width ``m``, with the same bias convention.

``global_minimum`` (CERTIFIED), evidence ``dual_cones``
-------------------------------------------------------
The evidence names the kept units ``K``; every other unit has all its parameters 0 at the centre ``c``.
Deleting them gives the reduced network, whose ``isolated_local_minimum`` evidence ``local`` is
re-checked on the reduced problem about the reduced centre with the certificate's ``ρ`` and ``μ``. So
the reduced loss has a local minimum ``θ*`` with ``‖θ* − c‖ ≤ ρ``; padded with zeros it has the same
loss and residuals in the full network. Write ``r_j = f(x_j; θ*) − y_j`` and ``G(v) = 2α Σ_j r_j σ(v·x̃_j)``.

*Split units* (optional ``groups``). A group ``(g, h, …)`` with rational weights ``w > 0``, ``Σ w² = 1``, has
``p_h = (w_h/w_g) p_g`` exactly at ``c``; ``g`` is kept, the others are not. The checks below run on the
*merged* point: ``p_g/w_g`` in place of ``g``, the other members 0. It computes the same outputs at the same
decay cost (``Σ_i w_i² = 1``). If they prove that the merged minimum ``θ*_m`` (within ``ρ`` of the merged
point) is a global minimum over every width, so is its split ``θ*`` (member ``i`` is ``w_i`` times the merged
unit): same outputs, same loss, and ``‖θ* − c‖ = ‖θ*_m − c_m‖ ≤ ρ`` since the split is an isometry on each
group (``Σ_i w_i²‖p − q‖² = ‖p − q‖²``). So the claim is about the split point in the certificate's ball. The top-level ``mu`` is the reduced
network's modulus (its evidence is re-checked with it); with split groups ``L`` is flat along the orbit
through ``θ*``, so ``mu`` is no growth modulus of ``L`` about the split point.

*Lemma C.* For every network ``θ = (b, (v_i, a_i)_{i≤m})`` of any width,
``L(θ) ≥ L(θ*) + Σ_i T_i`` with ``T_i = a_i G(v_i) + λ(‖v_i‖² + a_i²)``.

Proof. ``u ↦ α Σ_j (u_j − y_j)²`` is convex with gradient ``2α r`` at ``z*``, and ``λb² ≥ λb*² + 2λb*(b − b*)``;
so ``L(θ) ≥ L(θ*) − λΣ_i‖p*_i‖² + 2αΣ_j r_j (z_j − z*_j) + 2λb*(b − b*) + λΣ_i ‖p_i‖²``. Expanding
``z_j = Σ_i a_i σ(v_i·x̃_j) + b`` (and ``z*`` likewise) gives ``L(θ) ≥ L(θ*) + Σ_i T_i − Σ_i T*_i +
(2αΣ_j r_j + 2λb*)(b − b*)``. At the local minimum ``θ*`` two smooth curves are stationary: ``b`` itself
(``2αΣ_j r_j + 2λb* = 0``), and for each unit the scaling ``s ↦ (s v*_i, s a*_i)``, along which ``L`` is a
polynomial in ``s > 0`` (``σ(st) = sσ(t)``) with derivative ``2T*_i`` at ``s = 1``; so ``T*_i = 0``. ∎

*Lemma D.* If ``|G(v)| ≤ 2λ‖v‖`` for every ``v``, then ``T_i ≥ λ(‖v_i‖ − |a_i|)² ≥ 0`` (AM–GM), so no
network of any width has a lower loss than ``L(θ*)``: ``θ*`` is a global minimum over all widths (in
particular of its own network). The evidence proves the hypothesis cone by cone. A sign string ``S``
(``'1'`` at sample ``j`` iff ``j ∈ S``) names the closed cone ``C_S = {v : s'_j x̃_j·v ≥ 0}``
(``s'_j = ±1``); on it ``G(v) = c_S·v`` with ``c_S = 2α Σ_{j∈S} r_j x̃_j``.

- *Cover.* Every sign string is listed or lies under an ``empty`` entry whose Gordan vector
  ``y ≥ 0, y ≠ 0, Σ y_j s'_j x̃_j = 0`` shows that no ``v`` has all those signs strictly. The open cells
  that are not empty are dense, so every ``v`` lies in the closure of a listed one.
  *Null samples* (``x̃_j = 0``: ``x_j = 0`` without biases) have ``σ(v·x̃_j) = 0`` for every ``v``: they are
  in no ``S`` and on no hyperplane (``G`` does not see them; their residuals still count in ``L``). So
  the arrangement is that of the other samples: every listed string has ``'0'`` at a null sample, every
  ``empty`` entry ``'*'`` and Gordan weight 0 there, and the cover is checked with the null positions
  deleted. (Kept as positions, a null sample would make every open cell empty, ``s'_j x̃_j·v > 0`` being
  impossible, and a Gordan vector on it alone would exclude anything.) Below, "every sample" means every
  non-null sample.
- *Witness cone.* ``y± ≥ 0`` and the centre's ``c_S(c)`` with ``‖±c_S(c) + Σ_j y±_j s'_j x̃_j‖ ≤ 2λ − m_S``.
  For ``v ∈ C_S``, ``±c_S·v = (±c_S + Σ y s' x̃)·v − Σ y_j s'_j x̃_j·v ≤ ‖±c_S + Σ y s' x̃‖‖v‖``, and
  ``‖c_S(θ*) − c_S(c)‖ ≤ 2α Σ_{j∈S} Δ n_j = m_S``: the *residual enclosure* ``|r_j(θ*) − r_j(c)| ≤ Δ``
  holds because ``f(x_j; ·)`` is continuous and piecewise polynomial on the segment from ``c`` to
  ``θ*``, each piece's gradient bounded entrywise by ``F1`` (FORMAT.md, every pattern) on the box of
  radius ``ρ``, so ``|Δf| ≤ √P·F1·ρ ≤ Δ``; and ``n_j ≥ ‖x̃_j‖``. Hence ``|c_S(θ*)·v| ≤ 2λ‖v‖`` on ``C_S``.
  (The margin makes the inequality at ``θ*`` follow from the one at ``c``; where ``ρ > 0`` it is strict
  at ``c`` on every cone with ``S ≠ ∅``.)
- *Live cone.* The entry names a kept unit ``g`` whose pre-activations at ``c`` satisfy
  ``z_j² > ρ²‖x̃_j‖²`` with the signs ``S``: since ``‖v_g(θ*) − v_g(c)‖ ≤ ρ``, they keep those strict
  signs at ``θ*``, so ``L`` is smooth in ``(v_g, a_g)`` there and ``θ*`` is stationary in them:
  ``a*_g c_S + 2λv*_g = 0`` and ``c_S·v*_g + 2λa*_g = 0`` (``c_S = c_S(θ*)``). Strict signs give
  ``v*_g ≠ 0``, hence ``a*_g ≠ 0`` and ``c_S = −2λ v*_g/a*_g``; substituting, ``‖v*_g‖ = |a*_g|``
  (balance), so ``‖c_S‖ = 2λ`` and ``|c_S·v| ≤ 2λ‖v‖`` for every ``v`` (Cauchy–Schwarz, both signs). No
  witness is needed; no margin could certify it, since equality holds along ``v*_g``. (With ``S = ∅``,
  every sample being null, ``c_S = 0`` and there is nothing to prove.)

- *Kink cone* (``local`` is ``kink_ball``). The entry names a kept unit ``g`` with ``|a_g(c)| > ρ`` and a
  witness ``other`` for the sign ``sign a_g(c)``; for every sample ``j`` either ``(j, g)`` is a kink
  constraint of ``local`` (or a twin of one: a sample with the same input, on the same kink for every
  ``v``) or ``z_j² > ρ²‖x̃_j‖²`` with the string's sign. The proof of ``kink_ball`` shows
  that its unique local minimum lies on every listed kink, so ``x̃_j·v*_g = 0`` on the kinks ``K_g``,
  the other signs are the string's, ``v*_g ∈ C_S``, and ``sign a*_g = sign a_g(c)``. Moving only
  ``(v_g, a_g)`` inside ``{s'_j x̃_j·v_g ≥ 0, j ∈ K_g}`` the loss is the polynomial of ``S``, and ``θ*``
  minimises it locally there, so (linear constraints) ``a*_g c_S + 2λv*_g = Σ_{K_g} ν_j s'_j x̃_j`` with
  ``ν ≥ 0``, and ``c_S·v*_g + 2λa*_g = 0``. Dotting the first with ``v*_g`` (``x̃_j·v*_g = 0`` on ``K_g``)
  gives balance ``‖v*_g‖ = |a*_g|``; a stable sample makes ``v*_g ≠ 0``, so ``a*_g ≠ 0``. With
  ``s = −sign a*_g``: ``s c_S + Σ_{K_g} (ν_j/|a*_g|) s'_j x̃_j = 2λv*_g/|a*_g|``, of norm ``2λ``: a polar
  witness for ``s`` at ``θ*`` itself (it need not be written down). The sign ``−s`` is witnessed by
  ``other`` with the margin, as for a witness cone. (A live cone is the case ``K_g = ∅``.) Where two
  kink units ``units = [g, h]`` both lie on ``C_S`` with ``sign a_g ≠ sign a_h``, their two own signs are
  the two signs: no witness at all.

``not_global_minimum`` (REFUTED), evidence ``wider_network``
------------------------------------------------------------
An exact point ``θ'`` of the same problem with ``m'`` hidden units. With ``Δ² ≥ P·F1²·ρ²`` (the full
network's bounds about ``c``) every ``θ`` of the closed ball has ``|f_o(x_j; θ) − f_o(x_j; c)| ≤ Δ``,
hence ``α Σ (r_jo(θ)² − r_jo(c)²) ≥ −α Σ_{j,o} Δ(2|r_jo(c)| + Δ)``, and ``λ Σ_dec (θ_i² − c_i²) ≥
−λ(2‖c‖₁ρ + ρ²)``. If ``L(θ') < L(c) − (those two drops)`` then ``L(θ') < L(θ)`` on the whole ball: no
point of the ball is a global minimum over one-hidden-layer networks of any width. The generator
builds ``θ'`` by adding to the centre one unit in a cone where Lemma D fails.

What acceptance does not say: nothing about deeper networks, other activations or losses, or points
outside the ball; ``global_minimum`` says the minimum ``θ*`` in the ball is global, not that ``c`` is.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable

from .exceptions import CertificateInvalid
from .lemmas import polar_cone_gap, samples_covered
from .network import Problem, bounds, forward, loss_value
from .reading import MAX_PARAMETERS, brief, expect_list, expect_object, fail, join, parse_rational_strict, read_point, show
from .rules import Context, local_minimum_rules


def check_global_minimum(ctx: Context) -> str:
    """Lemmas C and D (module docstring): the reduced minimum is global over every width."""
    keys = {"method", "kept", "local", "residual_bound", "sample_norms", "cones", "empty"}
    ev = expect_object(ctx.evidence, "evidence", keys | {"groups"}, keys)
    problem, c, rho, mx = ctx.problem, list(ctx.center), ctx.radius, ctx.max_digits   # c becomes the merged point
    xt = _setting(problem, "dual_cones")
    if problem.biases and not problem.decay_biases:
        raise CertificateInvalid("evidence", "dual_cones needs every parameter decayed (an undecayed bias is not "
                                 "covered by Lemma C)")
    kept = _kept(ev["kept"], problem, c, _groups(ev.get("groups", []), problem, c, ev["kept"], mx))
    reduced, c_red = _reduced(problem, c, kept)
    _local(ctx, ev["local"], reduced, c_red)
    delta = _residual_bound(ev["residual_bound"], reduced, c_red, rho, mx)
    norms = _sample_norms(ev["sample_norms"], xt, mx)

    lam, alpha, N = problem.weight_decay, problem.alpha, len(xt)
    residuals = [r[0] for r in exact_residuals(problem, c)]
    live = {g: signs for g in kept if (signs := live_signs(problem, c, rho, xt, g)) is not None}
    listed: dict[str, str] = {}      # sign string ↦ where it was read
    witnessed = 0
    for k, item in enumerate(expect_list(ev["cones"], "evidence.cones")):
        where = join("evidence.cones", k)
        entry = expect_object(item, where, {"signs", "plus", "minus", "unit", "other", "units"}, {"signs"})
        signs = entry["signs"]
        if not isinstance(signs, str) or len(signs) != N or set(signs) - {"0", "1"} or signs in listed:
            fail(f"{where}.signs", f"must be a new string of {N} characters 0 or 1 (got {brief(signs)})")
        listed[signs] = where
        c_S = [2 * alpha * sum((r * x[p] for r, x, s in zip(residuals, xt, signs) if s == "1"), Fraction(0))
               for p in range(len(xt[0]))]
        room = _room(lam, 2 * alpha * delta * sum((n for n, s in zip(norms, signs) if s == "1"), Fraction(0)),
                     where)
        if "units" in entry:
            pair = entry["units"]
            if set(entry) != {"signs", "units"} or not isinstance(pair, list) or len(pair) != 2 or \
                    any(isinstance(g, bool) or not isinstance(g, int) or g not in kept for g in pair):
                fail(where, f"a cone of two kink units has the keys signs and units, two kept units (got "
                     f"{brief(pair)})")
            own = {-_kink_unit(problem, c, rho, xt, g, signs, _kinks_of(problem, ev["local"], kept, g), where)
                   for g in pair}
            if len(own) != 2:
                raise CertificateInvalid("cones", f"{where}: units {pair} saturate the same sign of c_S; the other "
                                         "sign needs a witness")
            continue
        if "unit" in entry:
            if set(entry) not in ({"signs", "unit"}, {"signs", "unit", "other"}):
                fail(where, "a live cone has the keys signs and unit (and other, at kinks)")
            g = entry["unit"]
            if isinstance(g, bool) or not isinstance(g, int) or g not in kept:
                fail(f"{where}.unit", f"must be a kept hidden unit (got {brief(g)})")
            if "other" in entry:
                sign = _kink_unit(problem, c, rho, xt, g, signs, _kinks_of(problem, ev["local"], kept, g), where)
                _polar(entry["other"], f"{where}.other", sign, c_S, xt, signs, room(), mx)
                witnessed += 1
                continue
            if live.get(g) != signs:
                raise CertificateInvalid("cones", f"{where}: unit {g} is not live on this cone: its pre-activations "
                                         f"at the centre must have the signs {signs} with z_j² > ρ²‖x̃_j‖² "
                                         f"(its stable signs: {live.get(g) or 'none'})")
            continue
        if set(entry) != {"signs", "plus", "minus"}:
            fail(where, "a witnessed cone has exactly the keys signs, plus and minus")
        for key, sign in (("plus", 1), ("minus", -1)):
            _polar(entry[key], f"{where}.{key}", sign, c_S, xt, signs, room(), mx)
        witnessed += 1
    if not listed:
        raise CertificateInvalid("regions", "evidence.cones must list at least one cone (got none)")
    excluded = samples_covered(listed, ev["empty"], xt, mx, ctx.budget)
    return (f"dual_cones, {len(kept)} kept unit(s), {len(listed)} cone(s): {len(listed) - witnessed} live, "
            f"{witnessed} witnessed, {excluded} excluded, residual bound {show(delta)}")


def check_not_global_minimum(ctx: Context) -> str:
    """A wider network whose exact loss is below every loss on the ball (module docstring)."""
    keys = {"method", "width", "point", "residual_bound"}
    ev = expect_object(ctx.evidence, "evidence", keys, keys)
    problem, c, rho, mx = ctx.problem, ctx.center, ctx.radius, ctx.max_digits
    if problem.depth != 1 or problem.activation != "relu":
        raise CertificateInvalid("evidence", "wider_network needs a ReLU network with exactly one hidden layer")
    width = ev["width"]
    if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= 100_000:
        fail("evidence.width", f"must be a positive integer (got {brief(width)})")
    wider = Problem([problem.widths[0], width, problem.widths[-1]], problem.biases, problem.decay_biases,
                    problem.activation, problem.reduction, problem.weight_decay, problem.inputs, problem.targets)
    if wider.count > MAX_PARAMETERS:
        raise CertificateInvalid("limits", f"the wider network has {wider.count} parameters; the checker reads at "
                                 f"most {MAX_PARAMETERS}")
    theta = read_point(ev["point"], wider, "evidence.point", mx)
    delta = parse_rational_strict(ev["residual_bound"], "evidence.residual_bound", mx)
    need = bounds(problem, c, rho)
    if delta < 0 or delta * delta < problem.count * need.F1[-1] ** 2 * rho * rho:
        raise CertificateInvalid("residual bound", f"must be ≥ 0 with Δ² ≥ P·F1² ·ρ² = "
                                 f"{show(problem.count * need.F1[-1] ** 2 * rho * rho)} (got {show(delta)})")
    residuals = exact_residuals(problem, c)
    drop = problem.alpha * sum((delta * (2 * abs(r) + delta) for rs in residuals for r in rs), Fraction(0))
    drop += problem.weight_decay * (2 * sum((abs(v) for v in c), Fraction(0)) * rho + rho * rho)
    here = loss_value(problem, c, forward(problem, c, None, ctx.budget))
    there = loss_value(wider, theta, forward(wider, theta, None, ctx.budget))
    if there >= here - drop:
        raise CertificateInvalid("wider network", f"its loss {show(there)} must be below L(c) − drop = "
                                 f"{show(here)} − {show(drop)}")
    return f"wider_network of width {width}, loss {show(there)} < {show(here - drop)} on the ball"




def _setting(problem: Problem, name: str) -> list[list[Fraction]]:
    """One hidden ReLU layer, scalar output, ``λ > 0``; returns the ``x̃_j``."""
    if problem.depth != 1 or problem.activation != "relu" or problem.widths[-1] != 1:
        raise CertificateInvalid("evidence", f"{name} needs a ReLU network with one hidden layer and one output")
    if problem.weight_decay <= 0:
        raise CertificateInvalid("problem", f"weight decay must be positive for {name}")
    return [list(x) + ([Fraction(1)] if problem.biases else []) for x in problem.inputs]


def _groups(obj: Any, problem: Problem, c: list[Fraction], kept: Any, mx: int) -> dict[int, Fraction]:
    """Split units: each group ``{"units": [g, h, …], "weights": [w_g, w_h, …]}`` has ``g`` kept, its other units
    not kept and in no other group, ``w > 0``, ``Σ w² = 1`` and ``p_h·w_g = p_g·w_h`` exactly at the centre.
    Returns ``w`` for every unit of a group (the reduced network's unit ``g`` is ``p_g/w_g``)."""
    weights: dict[int, Fraction] = {}
    n = problem.widths[1]
    for k, item in enumerate(expect_list(obj, "evidence.groups")):
        where = join("evidence.groups", k)
        entry = expect_object(item, where, {"units", "weights"}, {"units", "weights"})
        units = expect_list(entry["units"], f"{where}.units")
        if len(units) < 2 or any(isinstance(g, bool) or not isinstance(g, int) or not 0 <= g < n or g in weights
                                 for g in units) or len(set(units)) != len(units):
            fail(f"{where}.units", f"must list at least two new hidden units 0..{n - 1} (got {brief(units)})")
        if not isinstance(kept, list) or units[0] not in kept or any(h in kept for h in units[1:]):
            raise CertificateInvalid("groups", f"{where}: its first unit must be kept and the others not "
                                     f"(got units {units})")
        w = [parse_rational_strict(v, join(f"{where}.weights", i), mx)
             for i, v in enumerate(expect_list(entry["weights"], f"{where}.weights", len(units)))]
        if any(v <= 0 for v in w) or sum(v * v for v in w) != 1:
            raise CertificateInvalid("groups", f"{where}.weights must be positive with squares summing to 1")
        g = units[0]
        for h, wh in zip(units[1:], w[1:]):
            for p in range(_unit_size(problem)):
                if c[unit_index(problem, h, p)] * w[0] != c[unit_index(problem, g, p)] * wh:
                    raise CertificateInvalid("groups", f"{where}: unit {h} must be w_h/w_g times unit {g} at the "
                                             f"centre (parameter {p} is not)")
        weights.update(zip(units, w))
    return weights


def _kept(obj: Any, problem: Problem, c: list[Fraction], groups: dict[int, Fraction]) -> list[int]:
    """Strictly increasing unit indices; every unit neither kept nor split from a kept one is exactly zero at
    the centre. A kept unit that leads a group is divided by its weight: the reduced network's unit."""
    n = problem.widths[1]
    kept = expect_list(obj, "evidence.kept")
    if not kept or any(isinstance(g, bool) or not isinstance(g, int) for g in kept) or \
            any(not 0 <= g < n for g in kept) or any(a >= b for a, b in zip(kept, kept[1:])):
        fail("evidence.kept", f"must be a non-empty increasing list of hidden units 0..{n - 1} (got {brief(kept)})")
    for g in range(n):
        if g not in kept and g not in groups:
            params = [unit_index(problem, g, p) for p in range(_unit_size(problem))]
            if any(c[p] for p in params):
                raise CertificateInvalid("center", f"unit {g} is not kept, so its parameters must all be 0")
    for g in kept:
        if g in groups:   # the checks below read the kept unit at its reduced size
            for p in range(_unit_size(problem)):
                c[unit_index(problem, g, p)] /= groups[g]
            for h in groups:
                if h not in kept:
                    for p in range(_unit_size(problem)):
                        c[unit_index(problem, h, p)] = Fraction(0)
    return list(kept)


def _unit_size(problem: Problem) -> int:
    return problem.widths[0] + int(problem.biases) + 1


def unit_index(problem: Problem, g: int, p: int) -> int:
    """Canonical index of the ``p``-th parameter of unit ``g``: its row (bias last), then ``a_g``."""
    n0 = problem.widths[0]
    if p < n0 + int(problem.biases):
        return problem.index(1, g, p)
    return problem.index(2, 0, g)


def _reduced(problem: Problem, c: list[Fraction], kept: list[int]) -> tuple[Problem, list[Fraction]]:
    """The network of the kept units and its centre in canonical order."""
    red = Problem([problem.widths[0], len(kept), 1], problem.biases, problem.decay_biases, problem.activation,
                  problem.reduction, problem.weight_decay, problem.inputs, problem.targets)
    theta = [Fraction(0)] * red.count
    for new, g in enumerate(kept):
        for p in range(_unit_size(problem)):
            theta[unit_index(red, new, p)] = c[unit_index(problem, g, p)]
    if problem.biases:
        theta[red.index(2, 0, len(kept))] = c[problem.index(2, 0, problem.widths[1])]
    return red, theta


def _local(ctx: Context, obj: Any, reduced: Problem, c_red: list[Fraction]) -> None:
    """Re-check the reduced network's ``isolated_local_minimum`` evidence about the reduced centre."""
    if not isinstance(obj, dict) or "method" not in obj:
        fail("evidence.local", f"must be an object with a \"method\" (got {brief(obj)})")
    local = local_minimum_rules()
    name, allowed = obj["method"], tuple(local)
    if not isinstance(name, str) or name not in local:
        raise CertificateInvalid("evidence", f"evidence.local: method {brief(name)} does not prove a local minimum "
                                 f"(supported: {', '.join(allowed)})")
    try:
        local[name](Context("isolated_local_minimum", reduced, c_red, ctx.radius, ctx.mu, obj,
                            ctx.max_digits, ctx.top, ctx.budget))
    except CertificateInvalid as err:
        raise CertificateInvalid(err.step, f"evidence.local (the reduced network): {err.message}") from None


def _residual_bound(obj: Any, reduced: Problem, c_red: list[Fraction], rho: Fraction, mx: int) -> Fraction:
    """``Δ ≥ 0`` with ``Δ² ≥ P·F1²·ρ²`` (the reduced network's bounds about its centre)."""
    delta = parse_rational_strict(obj, "evidence.residual_bound", mx)
    need = reduced.count * bounds(reduced, c_red, rho).F1[-1] ** 2 * rho * rho
    if delta < 0 or delta * delta < need:
        raise CertificateInvalid("residual bound", f"must be ≥ 0 with Δ² ≥ P·F1²·ρ² = {show(need)} "
                                 f"(got {show(delta)})")
    return delta


def _sample_norms(obj: Any, xt: list[list[Fraction]], mx: int) -> list[Fraction]:
    """``n_j ≥ 0`` with ``n_j² ≥ ‖x̃_j‖²``."""
    out = []
    for j, v in enumerate(expect_list(obj, "evidence.sample_norms", len(xt))):
        n = parse_rational_strict(v, join("evidence.sample_norms", j), mx)
        norm2 = sum(x * x for x in xt[j])
        if n < 0 or n * n < norm2:
            raise CertificateInvalid("residual bound", f"evidence.sample_norms[{j}] must bound ‖x̃_{j}‖ (its square "
                                     f"is {show(norm2)}, got {show(n)})")
        out.append(n)
    return out


def exact_residuals(problem: Problem, c: list[Fraction]) -> list[list[Fraction]]:
    """``r_j = f(x_j; c) − y_j`` exactly (true ReLU)."""
    run = forward(problem, c, None)
    scale = run.s[-1] * run.dy
    return [[Fraction(v, scale) for v in r] for r in run.residuals]


def live_signs(problem: Problem, c: list[Fraction], rho: Fraction, xt: list[list[Fraction]], g: int) -> str | None:
    """The sign string of unit ``g`` when every pre-activation keeps its strict sign on the ball."""
    row = [c[unit_index(problem, g, p)] for p in range(len(xt[0]))]
    signs = []
    for x in xt:
        if not any(x):                  # a null sample: never active, on no hyperplane
            signs.append("0")
            continue
        z = sum((w * v for w, v in zip(row, x)), Fraction(0))
        if z * z <= rho * rho * sum(v * v for v in x):
            return None
        signs.append("1" if z > 0 else "0")
    return "".join(signs)


def _room(lam: Fraction, margin: Fraction, where: str, formula: str = "2αΔΣ n_j") -> Callable[[], Fraction]:
    """``(2λ − m_S)²``, asked for only where a witness needs it (``m_S ≤ 2λ`` required then); ``formula`` names
    the rule's residual margin in the rejection."""

    def room() -> Fraction:
        if margin > 2 * lam:
            raise CertificateInvalid("cones", f"{where}: the residual margin {formula} = {show(margin)} exceeds "
                                     f"2λ = {show(2 * lam)}")
        return (2 * lam - margin) ** 2

    return room


def _kinks_of(problem: Problem, local: dict[str, Any], kept: list[int], g: int) -> set[int]:
    """The samples ``j`` with ``(j, g)`` a kink constraint of a ``kink_ball`` local certificate (already
    re-checked, so its constraints are valid pairs of the reduced network)."""
    if local.get("method") != "kink_ball":
        raise CertificateInvalid("cones", "a kink cone (unit with other) needs kink_ball local evidence")
    unit = kept.index(g)
    mine = {int(j) for j, i in local["constraints"] if i == unit}
    # twins (samples with the same input) lie on the same kink for every v: kinks of θ* as well
    return {k for k, x in enumerate(problem.inputs) for j in mine if x == problem.inputs[j]}


def _kink_unit(problem: Problem, c: list[Fraction], rho: Fraction, xt: list[list[Fraction]], g: int, signs: str,
               kinks: set[int], where: str) -> int:
    """Unit ``g`` sits on the cone ``signs`` at ``θ*`` (module docstring); returns ``sign a_g``."""
    a = c[unit_index(problem, g, len(xt[0]))]
    if a * a <= rho * rho:
        raise CertificateInvalid("cones", f"{where}: unit {g}'s outgoing weight must keep its sign on the ball: "
                                 f"a² = {show(a * a)} must exceed ρ²")
    row = [c[unit_index(problem, g, p)] for p in range(len(xt[0]))]
    for j, (x, s) in enumerate(zip(xt, signs)):
        if j in kinks or not any(x):    # a null sample is '0' in every listed string
            continue
        z = sum((w * v for w, v in zip(row, x)), Fraction(0))
        if z * z <= rho * rho * sum(v * v for v in x) or (z > 0) != (s == "1"):
            raise CertificateInvalid("cones", f"{where}: sample {j} is not a kink of unit {g} and its pre-activation "
                                     f"must keep the sign '{s}' on the ball (z = {show(z)})")
    if all(j in kinks or not any(x) for j, x in enumerate(xt)):
        raise CertificateInvalid("cones", f"{where}: unit {g} needs a sample off its kinks")
    return 1 if a > 0 else -1


def _polar(obj: Any, where: str, sign: int, c_S: list[Fraction], xt: list[list[Fraction]], signs: str,
           room: Fraction, mx: int) -> None:
    """``y ≥ 0`` with ``‖sign·c_S + Σ_j y_j s'_j x̃_j‖² ≤ room``."""
    y = [parse_rational_strict(v, join(where, j), mx) for j, v in enumerate(expect_list(obj, where, len(xt)))]
    dist2 = polar_cone_gap(y, sign, c_S, xt, signs, "cones", where)
    if dist2 > room:
        raise CertificateInvalid("cones", f"{where}: ‖{'+' if sign > 0 else '−'}c_S + Σ y_j s_j x̃_j‖² = "
                                 f"{show(dist2)} must be at most (2λ − margin)² = {show(room)}")
