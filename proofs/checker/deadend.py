"""Dead units of the last hidden layer beside a live one: the end point of a split circle is a local minimum.

Setting. A ReLU network of any depth ``H ≥ 1``, one output, squared loss, ``λ > 0`` decaying every
parameter (biases included when there are biases). Write ``φ`` for the parameters of layers ``1..H−1`` and
``h̃_j(φ) = (h_j(φ), 1)`` (``h_j(φ)`` without biases) for the features that sample ``j`` feeds the last hidden
layer ``H`` (``h̃_j = x̃_j`` when ``H = 1``). A unit of layer ``H`` is ``p = (w, b)``: its row ``w`` of
``[W_H | b_H]`` and its outgoing weight ``b``; ``f(x_j; θ) = Σ_i b_i σ(w_i·h̃_j(φ)) + β`` and
``L(θ) = α Σ_j (f(x_j; θ) − y_j)² + λ‖θ‖²``. A sample with ``x̃_j = 0`` (``x_j = 0`` without biases) has
``h̃_j ≡ 0`` at every ``θ``: it is *null*. Without biases and with ``H ≥ 2``, a sample at which every
pre-activation ``z`` of layer ``H−1`` is negative at ``c`` with ``z² > P_{H−1}·F1(H−1)²·R²`` (the bound on its
squared change on the enclosure ball below) is *dormant*: ``h̃_j ≡ 0`` on that ball. Null and dormant samples
play no part below (``σ(0·v) = 0``); ``J`` is the set of the other samples.

``nonisolated_local_minimum`` (CERTIFIED), evidence ``dead_unit_end``
---------------------------------------------------------------------
The evidence names the *dead* units ``D`` of layer ``H``: all their parameters (row and outgoing weight) are
0 at the centre ``c``. Deleting them gives the reduced network (``c_red``); its ``isolated_local_minimum``
evidence ``local`` (any ``isolated_local_minimum`` method, or ``rotation_orbit`` / ``rotation_kink_orbit``) is
re-checked about ``c_red`` with the certificate's ``ρ`` and ``μ``: the reduced loss ``L_red`` has a local minimum
``θ*_red`` with ``‖θ*_red − c_red‖ ≤ ρ`` (for the rotation methods, a point of the certified orbit). Put ``θ* = (θ*_red, 0)``
(the dead units 0), so ``‖θ* − c‖ ≤ ρ`` and ``L(θ*) = L_red(θ*_red) =: L*``. The *enclosure ball* is
``B̄(c_red, R)`` with ``R = 2ρ``; it holds ``B(θ*_red, ρ)``.

*Enclosures* (``bounds`` of FORMAT.md for the reduced network about ``c_red`` with radius ``R``, valid for
every pattern): ``residual_bound`` ``Δ ≥ 0`` with ``Δ² ≥ P·F1(H+1)²·R²`` bounds ``|r_j(θ') − r_j(c)|``, and
``feature_bound`` ``η ≥ 0`` with ``η² ≥ n_{H−1}·P_{H−1}·F1(H−1)²·R²`` bounds ``‖h̃_j(φ') − h̃_j(c)‖``, for every
``θ' = (φ', …)`` of that ball: along the segment from ``c_red`` the outputs and the pre-activations of layer
``H−1`` are continuous and piecewise polynomial, each piece's gradient bounded entrywise by ``F1`` (over
``P`` resp. the ``P_{H−1}`` parameters of layers ``1..H−1``), ``σ`` is 1-Lipschitz and the bias coordinate
is constant. ``sample_norms`` ``n_j ≥ ‖h̃_j(c)‖``. With ``G_θ'(v) = 2α Σ_j r_j(θ') σ(h̃_j(φ')·v)`` and
``δ = 2α Σ_{j∈J} (Δ(n_j + η) + |r_j(c)|η)``, for every ``v`` (``σ`` 1-Lipschitz)

  (E)  ``|G_θ'(v) − G_c(v)| ≤ 2α Σ_j (|Δr_j|‖h̃_j(φ')‖ + |r_j(c)|‖Δh̃_j‖)‖v‖ ≤ δ‖v‖``.

So the dual inequality is checked once, at the exact centre on the *fixed* arrangement of the ``h̃_j(c)``
(``j ∈ J``, each ``≠ 0``), with the margin ``δ``. A sign string ``S`` over ``J`` names the closed cone
``C_S = {v : s'_j h̃_j(c)·v ≥ 0}``, on which ``G_c(v) = c_S·v``, ``c_S = 2α Σ_{j∈S} r_j(c) h̃_j(c)``.

- *Cover*: as for ``dual_cones`` (every sign string listed or under an ``empty`` Gordan entry).
- *Witnessed cone* (``plus``, ``minus``): polar witnesses ``y ≥ 0`` with ``‖±c_S + Σ_j y_j s'_j h̃_j(c)‖ ≤
  2λ − δ``; so ``±G_θ'(v) ≤ 2λ‖v‖`` on ``C_S`` for every ``θ'`` of the enclosure ball.
- *Partner cone* (``unit`` ``g``, ``other``, ``faces``): ``g`` is a live unit of layer ``H`` not in ``D`` with
  ``b_g(c)² > R²`` (its outgoing weight keeps its sign ``ε_g`` on ``B̄(c, R)``) and, at every ``j ∈ J``,
  ``|z_j| > η(‖w_g(c)‖₁ + R) + n_j R`` for ``z_j = w_g(c)·h̃_j(c)``, with the signs ``S``: then
  ``w_g(θ)·h̃_j(φ)`` keeps the sign ``s'_j`` on ``B̄(c, R)`` (it moves by at most ``‖Δh̃_j‖‖w_g(θ)‖ +
  ‖h̃_j(c)‖‖Δw_g‖``). ``other`` is a polar witness for ``+ε_g c_S`` as above. ``faces`` holds one vector ``y``
  per ``j ∈ J`` (in order), ``≥ 0`` except perhaps at ``j``, with ``‖−ε_g c_S + Σ_k y_k s'_k h̃_k(c)‖ ≤ 2λ −
  δ − η·max(0, −y_j)``. On the *face set* ``F_j = {v ∈ C_S : s'_j h̃_j(c)·v ≤ η‖v‖}`` it gives
  ``−ε_g G_c(v) ≤ (2λ − δ)‖v‖``: the term ``−y_j s'_j h̃_j(c)·v`` is at most ``max(0, −y_j)η‖v‖`` there.

*Theorem.* If every check passes, ``θ*`` is a local minimum of ``L`` and not an isolated one: for a
partner ``g`` and a dead unit ``u``, the points of the split circle ``p_g = cos ψ·p*_g``, ``p_u = sin ψ·p*_g``
(the rest as in ``θ*``) have the value ``L*`` and, for small ``ψ``, are local minima of ``L`` as well.

*Proof.* Let ``N = B(θ*_red, ε)`` (``ε ≤ ρ``) be a neighbourhood on which ``L_red ≥ L*``. Take ``θ`` near
``θ*`` (how near: below). Dead units with ``b_u = 0`` change no output and only add ``λ‖w_u‖²``: drop them.
*Merge.* Call ``u ∈ D`` *mergeable into* a partner ``g`` at ``θ`` if ``sign b_u = ε_g`` and
``(w_g·h̃_j(φ))(w_u·h̃_j(φ)) ≥ 0`` at every ``j``; assign each mergeable unit to one such ``g``. On every
sample the terms ``σ(h̃_j·|b_g|w_g)`` and ``σ(h̃_j·|b_u|w_u)`` of ``g`` and its units ``D_g`` are all linear
(all arguments ``≥ 0``) or all 0 (all ``≤ 0``), so with ``q = |b_g|w_g + Σ_{u∈D_g}|b_u|w_u`` the single
balanced unit ``(q/√‖q‖, ε_g√‖q‖)`` computes their sum, at decay cost ``2λ‖q‖ ≤ 2λ(|b_g|‖w_g‖ + Σ|b_u|‖w_u‖)
≤ λ(‖p_g‖² + Σ‖p_u‖²)`` (AM–GM). Replacing ``g`` by it and deleting ``D_g`` gives ``θ_m`` in the reduced
network and the remaining dead units ``D_r``, with ``L(θ) ≥ L(θ_m ⊕ D_r)``. At ``θ*``, ``q = |b*_g|w*_g ≠ 0``
and the merged unit is ``p*_g`` (``‖w*_g‖ = |b*_g|``, the balance of a local minimum's unit); the merge maps
(finitely many choices of ``D_g``) are continuous there, so for ``θ`` near ``θ*`` every ``θ_m`` and ``θ_red``
lie in ``N``. *Remaining units.* Expanding the square (the quadratic term is ``≥ 0``) and ``‖w‖² + b² =
2|b|‖w‖ + (‖w‖ − |b|)²``:
``L(θ_m ⊕ D_r) ≥ L_red(θ_m) + Σ_{u∈D_r} [|b_u|(2λ‖w_u‖ + sign(b_u) G_{θ_m}(w_u)) + λ(‖w_u‖ − |b_u|)²]``.
Each ``w_u`` lies in a listed ``C_S`` (cover). If ``S`` is witnessed, or a partner ``g``'s cone with
``sign b_u = −ε_g`` (``other``), then ``−sign(b_u) G_{θ_m}(w_u) ≤ 2λ‖w_u‖`` by (E) (``θ_m`` is in the enclosure
ball, ``φ`` unchanged). If ``S`` is ``g``'s cone and ``sign b_u = ε_g``, ``u`` is not mergeable into ``g``: some
``j`` has ``(w_g·h̃_j(φ))(w_u·h̃_j(φ)) < 0``; the first factor has the sign ``s'_j`` (stability), so
``s'_j h̃_j(c)·w_u < s'_j(h̃_j(c) − h̃_j(φ))·w_u ≤ η‖w_u‖``: ``w_u ∈ F_j``, and ``faces[j]`` with (E) gives the same
bound. So every bracket is ``≥ 0`` and ``L(θ) ≥ L_red(θ_m) ≥ L*``: ``θ*`` is a local minimum. *Not isolated.*
Along the circle outputs and cost are those of ``θ*`` (``σ`` is positively homogeneous, ``cos² + sin² = 1``),
and ``p*_g ≠ 0`` (strict signs): points ``≠ θ*`` arbitrarily near, of value ``L*``, inside the neighbourhood
on which ``L ≥ L*``, hence local minima. ∎

What acceptance does not say: that the local minima near ``θ*`` are exactly a split orbit (no equality
analysis is made), any growth modulus (``mu`` is the reduced certificate's), anything about dead units of
lower layers (their outgoing weights are vectors into a non-linear layer), or global optimality.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .arith import Sparse
from .duality import _room, exact_residuals
from .exceptions import CertificateInvalid
from .lemmas import gordan_empty, polar_cone_gap, regions_covered
from .network import Problem, bounds, forward, null_sample
from .reading import brief, expect_list, expect_object, fail, join, parse_rational_strict, show
from .rules import Context

LOCAL = ("rotation_orbit", "rotation_kink_orbit")
"""The ``nonisolated_local_minimum`` methods accepted as ``local`` besides every ``isolated_local_minimum`` one: each
proves a local minimum of the reduced loss within ``ρ`` of its centre, all the proof above uses."""


def check_dead_unit_end(ctx: Context) -> str:
    """Dead units of the last hidden layer beside live partners: a non-isolated local minimum (module docstring)."""
    keys = {"method", "dead", "local", "residual_bound", "feature_bound", "sample_norms", "cones", "empty"}
    ev = expect_object(ctx.evidence, "evidence", keys, keys)
    problem, c, rho, mx = ctx.problem, ctx.center, ctx.radius, ctx.max_digits
    H = problem.depth
    if problem.activation != "relu" or problem.widths[-1] != 1 or H < 1:
        raise CertificateInvalid("evidence", "dead_unit_end needs a ReLU network with hidden layers and one output")
    if problem.weight_decay <= 0:
        raise CertificateInvalid("problem", "weight decay must be positive for dead_unit_end")
    if problem.biases and not problem.decay_biases:
        raise CertificateInvalid("evidence", "dead_unit_end needs every parameter decayed (the merged unit's cost "
                                 "counts its bias)")
    ctx.positive_radius("dead_unit_end")
    dead = _dead(ev["dead"], problem, c)
    reduced, c_red = _reduced(problem, c, dead)
    _local(ctx, ev["local"], reduced, c_red)
    R = 2 * rho
    bd = bounds(reduced, c_red, R)
    delta = parse_rational_strict(ev["residual_bound"], "evidence.residual_bound", mx)
    need = reduced.count * bd.F1[H + 1] ** 2 * R * R
    if delta < 0 or delta * delta < need:
        raise CertificateInvalid("residual bound", f"must be ≥ 0 with Δ² ≥ P·F1(H+1)²·(2ρ)² = {show(need)} "
                                 f"(got {show(delta)})")
    eta = parse_rational_strict(ev["feature_bound"], "evidence.feature_bound", mx)
    need = problem.widths[H - 1] * bd.prefix[H - 1] * bd.F1[H - 1] ** 2 * R * R
    if eta < 0 or eta * eta < need:
        raise CertificateInvalid("residual bound", f"evidence.feature_bound must be ≥ 0 with η² ≥ "
                                 f"n_(H−1)·P_(H−1)·F1(H−1)²·(2ρ)² = {show(need)} (got {show(eta)})")
    J, feats = features(problem, c, bd.prefix[H - 1] * bd.F1[H - 1] ** 2 * R * R)
    if not J:
        raise CertificateInvalid("cones", "every sample is null or dormant at the centre: the feature arrangement "
                                 "this rule covers needs at least one sample")
    norms = _norms(ev["sample_norms"], J, feats, mx)
    residuals = [r[0] for r in exact_residuals(problem, c)]
    lam, alpha = problem.weight_decay, problem.alpha
    margin = 2 * alpha * sum((delta * (n + eta) + abs(residuals[j]) * eta for j, n in zip(J, norms)), Fraction(0))
    room = _room(lam, margin, "evidence", "2αΣ(Δ(n_j + η) + |r_j|η)")
    normals: list[Sparse] = [{p: v for p, v in enumerate(h) if v} for h in feats]
    empty = gordan_empty(ev["empty"], normals, mx, ctx.budget)
    seen: set[str] = set()
    partners: list[int] = []
    for k, item in enumerate(expect_list(ev["cones"], "evidence.cones")):
        where = join("evidence.cones", k)
        entry = expect_object(item, where, {"signs", "plus", "minus", "unit", "other", "faces"}, {"signs"})
        signs = entry["signs"]
        if not isinstance(signs, str) or len(signs) != len(J) or set(signs) - {"0", "1"} or signs in seen:
            fail(f"{where}.signs", f"must be a new string of {len(J)} characters 0 or 1 (got {brief(signs)})")
        seen.add(signs)
        c_S = [2 * alpha * sum((residuals[j] * h[p] for j, h, s in zip(J, feats, signs) if s == "1"), Fraction(0))
               for p in range(len(feats[0]))]
        if "unit" not in entry:
            if set(entry) != {"signs", "plus", "minus"}:
                fail(where, "a witnessed cone has exactly the keys signs, plus and minus")
            for key, sign in (("plus", 1), ("minus", -1)):
                _polar(entry[key], f"{where}.{key}", sign, c_S, feats, signs, room(), mx)
            continue
        if set(entry) != {"signs", "unit", "other", "faces"}:
            fail(where, "a partner cone has exactly the keys signs, unit, other and faces")
        g = entry["unit"]
        if isinstance(g, bool) or not isinstance(g, int) or not 0 <= g < problem.widths[H] or g in dead \
                or g in partners:
            fail(f"{where}.unit", f"must be a new unit of hidden layer {H} that is not dead (got {brief(g)})")
        partners.append(g)
        eps = _partner(problem, c, R, eta, J, feats, norms, g, signs, where)
        _polar(entry["other"], f"{where}.other", eps, c_S, feats, signs, room(), mx)
        faces = expect_list(entry["faces"], f"{where}.faces", len(J))
        for i, obj in enumerate(faces):
            at = join(f"{where}.faces", i)
            y = [parse_rational_strict(v, join(at, m), mx) for m, v in enumerate(expect_list(obj, at, len(J)))]
            paid = max(Fraction(0), -y[i])
            gap = [-eps * v for v in c_S]    # −ε c_S + Σ_k y_k s'_k h̃_k, y_i of either sign
            for m, (v, h, s) in enumerate(zip(y, feats, signs)):
                if v < 0 and m != i:
                    raise CertificateInvalid("cones", f"{at}[{m}] must be ≥ 0 (only the face's own weight may be "
                                             f"negative; got {show(v)})")
                for p, x in enumerate(h):
                    gap[p] += v * x if s == "1" else -v * x
            dist2 = sum((v * v for v in gap), Fraction(0))
            left = 2 * lam - margin - eta * paid
            if left < 0 or dist2 > left * left:
                raise CertificateInvalid("cones", f"{at}: ‖−ε c_S + Σ y_k s_k h̃_k‖² = {show(dist2)} must be at most "
                                         f"(2λ − δ − η·max(0, −y_{i}))² = {show(left * left if left >= 0 else left)}")
    if not partners:
        raise CertificateInvalid("cones", "evidence.cones must name a partner unit (a live unit whose split circle "
                                 "ends at the dead units)")
    regions_covered(seen, empty, len(J), ctx.budget)
    return (f"dead_unit_end, {len(dead)} dead unit(s) of hidden layer {H} beside partner(s) "
            f"{', '.join(map(str, partners))}, {len(seen)} cone(s), {len(empty)} excluded, margin {show(margin)}, "
            f"reduced {ev['local']['method']}")


def features(problem: Problem, c: list[Fraction], reach2: Fraction) -> tuple[list[int], list[list[Fraction]]]:
    """The samples ``J`` that are neither null nor dormant and their features ``h̃_j(c)`` for the last hidden
    layer. Dormant (``H ≥ 2``): every pre-activation ``z`` of layer ``H−1`` at the sample has ``z < 0`` and
    ``z² > reach2`` (``reach2 = P_{H−1}·F1(H−1)²·R²`` bounds its squared change on the enclosure ball), so
    ``h̃_j(φ') = 0`` there (no biases: the features have no constant coordinate)."""
    run = forward(problem, c, None)
    H = problem.depth

    def dormant(j: int) -> bool:
        if H < 2 or problem.biases:
            return False
        scale = run.s[H - 1]
        return all(z < 0 and z * z > reach2 * scale * scale for z in run.pre[j][H - 2])

    J = [j for j in range(len(problem.inputs)) if not null_sample(problem, j) and not dormant(j)]
    feats = [[Fraction(v, run.s[H - 1]) for v in run.acts[j][H - 1]] for j in J]
    return J, feats


def _dead(obj: Any, problem: Problem, c: list[Fraction]) -> list[int]:
    """Increasing units of the last hidden layer whose row and outgoing weight are exactly 0 at the centre."""
    H, n = problem.depth, problem.widths[problem.depth]
    dead = expect_list(obj, "evidence.dead")
    if not dead or any(isinstance(u, bool) or not isinstance(u, int) or not 0 <= u < n for u in dead) or \
            any(a >= b for a, b in zip(dead, dead[1:])) or len(dead) == n:
        fail("evidence.dead", f"must be a non-empty increasing list of units 0..{n - 1} of hidden layer {H}, not all "
             f"(got {brief(dead)})")
    for u in dead:
        params = [problem.index(H, u, d) for d in range(problem.widths[H - 1] + int(problem.biases))]
        if any(c[p] for p in params + [problem.index(H + 1, 0, u)]):
            raise CertificateInvalid("center", f"dead unit {u} of hidden layer {H} must have all its parameters 0")
    return list(dead)


def _reduced(problem: Problem, c: list[Fraction], dead: list[int]) -> tuple[Problem, list[Fraction]]:
    """The network without the dead units and its centre (canonical order)."""
    H = problem.depth
    kept = [i for i in range(problem.widths[H]) if i not in dead]
    widths = list(problem.widths)
    widths[H] = len(kept)
    red = Problem(widths, problem.biases, problem.decay_biases, problem.activation, problem.reduction,
                  problem.weight_decay, problem.inputs, problem.targets)
    theta = list(c[:problem.offsets[H - 1]]) + [Fraction(0)] * (red.count - problem.offsets[H - 1])
    n_in = problem.widths[H - 1] + int(problem.biases)
    for new, i in enumerate(kept):
        for d in range(n_in):
            theta[red.index(H, new, d)] = c[problem.index(H, i, d)]
        theta[red.index(H + 1, 0, new)] = c[problem.index(H + 1, 0, i)]
    if problem.biases:
        theta[red.index(H + 1, 0, len(kept))] = c[problem.index(H + 1, 0, problem.widths[H])]
    return red, theta


def _norms(obj: Any, J: list[int], feats: list[list[Fraction]], mx: int) -> list[Fraction]:
    """``n_j ≥ 0`` with ``n_j² ≥ ‖h̃_j(c)‖²``, one per sample of ``J``, each ``h̃_j(c) ≠ 0``."""
    out = []
    for i, v in enumerate(expect_list(obj, "evidence.sample_norms", len(feats))):
        n = parse_rational_strict(v, join("evidence.sample_norms", i), mx)
        norm2 = sum(x * x for x in feats[i])
        if norm2 == 0:
            raise CertificateInvalid("cones", f"the features of sample {J[i]} are 0 at the centre: no cone of the "
                                     "arrangement is defined by them")
        if n < 0 or n * n < norm2:
            raise CertificateInvalid("residual bound", f"evidence.sample_norms[{i}] must bound ‖h̃_j(c)‖ (its square is "
                                     f"{show(norm2)}, got {show(n)})")
        out.append(n)
    return out


def _partner(problem: Problem, c: list[Fraction], R: Fraction, eta: Fraction, J: list[int], feats: list[list[Fraction]],
             norms: list[Fraction], g: int, signs: str, where: str) -> int:
    """Unit ``g`` keeps the sign of its outgoing weight and the strict signs ``signs`` on ``B̄(c, R)``; ``ε_g``."""
    H = problem.depth
    b = c[problem.index(H + 1, 0, g)]
    if b * b <= R * R:
        raise CertificateInvalid("cones", f"{where}: unit {g}'s outgoing weight must keep its sign on the enclosure "
                                 f"ball: b² = {show(b * b)} must exceed (2ρ)² = {show(R * R)}")
    w = [c[problem.index(H, g, d)] for d in range(len(feats[0]))]
    w1 = sum((abs(v) for v in w), Fraction(0))
    for i, (h, n, s) in enumerate(zip(feats, norms, signs)):
        z = sum((a * x for a, x in zip(w, h)), Fraction(0))
        move = eta * (w1 + R) + n * R
        if abs(z) <= move or (z > 0) != (s == "1"):
            raise CertificateInvalid("cones", f"{where}: unit {g} must have the strict sign '{s}' at sample {J[i]} on "
                                     f"the enclosure ball: |z| = {show(abs(z))} must exceed η(‖w‖₁ + 2ρ) + n_j·2ρ = "
                                     f"{show(move)}")
    return 1 if b > 0 else -1


def _polar(obj: Any, where: str, sign: int, c_S: list[Fraction], feats: list[list[Fraction]], signs: str,
           room: Fraction, mx: int) -> None:
    """``y ≥ 0`` with ``‖sign·c_S + Σ_j y_j s'_j h̃_j(c)‖² ≤ room``."""
    y = [parse_rational_strict(v, join(where, j), mx) for j, v in enumerate(expect_list(obj, where, len(feats)))]
    dist2 = polar_cone_gap(y, sign, c_S, feats, signs, "cones", where)
    if dist2 > room:
        raise CertificateInvalid("cones", f"{where}: ‖{'+' if sign > 0 else '−'}c_S + Σ y_j s_j h̃_j‖² = "
                                 f"{show(dist2)} must be at most (2λ − δ)² = {show(room)}")


def _local(ctx: Context, obj: Any, reduced: Problem, c_red: list[Fraction]) -> None:
    """Re-check the reduced network's local-minimum evidence about the reduced centre (``ρ``, ``μ`` shared)."""
    if not isinstance(obj, dict) or "method" not in obj:
        fail("evidence.local", f"must be an object with a \"method\" (got {brief(obj)})")
    name = obj["method"]
    from .rules import RULES   # the table imports this module

    rules = {m: r for m, r in RULES.items() if "isolated_local_minimum" in r.claims or m in LOCAL}
    if not isinstance(name, str) or name not in rules:
        raise CertificateInvalid("evidence", f"evidence.local: method {brief(name)} does not prove a local minimum "
                                 f"(supported: {', '.join(rules)})")
    claim = "isolated_local_minimum" if "isolated_local_minimum" in rules[name].claims else "nonisolated_local_minimum"
    try:
        rules[name].check(Context(claim, reduced, c_red, ctx.radius, ctx.mu, obj, ctx.max_digits, ctx.top, ctx.budget))
    except CertificateInvalid as err:
        raise CertificateInvalid(err.step, f"evidence.local (the reduced network): {err.message}") from None
