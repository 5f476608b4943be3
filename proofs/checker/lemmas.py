"""The lemmas every claim rests on: one function each, its statement and proof sketch in the docstring.

Each function verifies the hypotheses of its lemma exactly and raises :class:`CertificateInvalid` (naming
the step) when one fails; when it returns, the lemma's conclusion holds. Notation as in the package
docstring: ``c`` the centre, ``ρ`` the radius, ``B̄`` the closed ball, ``P`` the pattern, ``L_P`` its
loss polynomial, and the a-priori bounds ``K``, ``F1``, ``P_k`` of ``network.bounds`` on the box
``|θ − c|_∞ ≤ ρ`` (which contains ``B̄``).
"""

from __future__ import annotations

from fractions import Fraction
from math import lcm
from typing import Any, Sequence

from .arith import Budget, Sparse, combination, congruence_first_bad_row, ldl_first_bad_pivot
from .cholesky import proves_positive_definite
from .exceptions import CertificateInvalid
from .network import Bounds, Pass, Pattern, Poly, Problem, forward, null_sample, poly_trim
from .reading import MAX_WORK, ZERO, brief, expect_list, expect_object, fail, join, read_vector, show


def sign_stability(problem: Problem, c: list[Fraction], rho: Fraction, pattern: Pattern, bd: Bounds,
                   budget: Budget, kinks: Sequence[tuple[int, int]] | None = None) -> Pass | None:
    """**Sign stability on a ball.** If every hidden pre-activation ``z_{k,i}(x_j; c)`` has the pattern's
    strict sign and ``z² > F1(k)²·P_k·ρ²``, then every one keeps that sign on ``B̄``, so ``L = L_P`` near
    ``B̄``.

    Proof: ``|∂z_{k,i}/∂θ| ≤ F1(k)`` on the box and ``z_{k,i}`` depends on the ``P_k`` parameters of
    layers ``1..k``, so ``|z(θ) − z(c)| ≤ F1(k)·√P_k·‖θ − c‖ < |z(c)|``. Why the mean-value theorem applies
    although ``z`` is only piecewise polynomial: ``F1(k)`` bounds the gradient of *every* pattern's polynomial
    for ``z_{k,i}`` on the box (FORMAT.md), and the true ``z_{k,i}`` is continuous and, along the segment from
    ``c`` to ``θ``, piecewise one of those polynomials, hence Lipschitz there with constant ``F1(k)·√P_k``.
    This holds whether or not the pattern below changes on the segment, which it does where ``kink_ball``
    (layers above a first-layer kink) and ``curved_kink_ball`` (layers above a second- or third-layer kink)
    use it.

    With ``kinks`` (first-layer pairs ``(j, i)``), exactly those pre-activations vanish at ``c`` and the
    others are as above, the first layer with the sharper exact ``z² > ρ²‖x̃_j‖²`` (``z`` is linear in
    ``θ`` there: ``|z(θ) − z(c)| ≤ ‖x̃_j‖·‖θ − c‖``). Samples with ``x̃_j = 0`` are skipped where the
    pattern says '0': ``z ≡ 0`` in ``θ`` there, no boundary, and ``D = 0`` is exact.

    **Null inputs.** Without biases, a layer ``k ≥ 2`` whose input at sample ``j`` is identically zero on
    ``B̄`` has ``z_{k,i}(x_j; θ) = W_k·0 = 0`` for every ``θ ∈ B̄``: no boundary there either, and the
    pattern's '0' gives ``L_P`` the true term ``σ(0) = 0``. The input of layer ``k`` is identically zero
    when every unit of layer ``k − 1`` at sample ``j`` was proved off on ``B̄`` above (pattern '0' with
    ``z² > F1(k−1)²·P_{k−1}·ρ²``, so ``z < 0`` throughout) or has a null input itself (``x̃_j = 0`` for
    ``k − 1 = 1``); by induction over layers ``σ(z_{k−1}) ≡ 0`` on ``B̄``. Such entries must be '0' and are
    skipped. (A first-layer kink, ``z = 0`` at ``c`` but not on ``B̄``, never makes a null input.)

    Returns the forward pass at ``c`` it read (with ``pattern``'s masks when ``kinks`` is ``None``), or
    ``None`` when there is nothing to check (no ReLU).
    """
    if problem.activation != "relu":
        return None
    run = forward(problem, c, pattern if kinks is None else None, budget)
    listed, rho2 = set(kinks or ()), rho * rho
    ball = {}   # k ↦ (F1(k)²·P_k·ρ², its numerator times s_k²): the same for every sample
    for k in range(1, problem.depth + 1):
        need = bd.F1[k] ** 2 * bd.prefix[k] * rho2
        ball[k] = (need, need.numerator * run.s[k] ** 2)
    for j, sample in enumerate(run.pre):
        null = False                         # the input of layer k is identically 0 on B̄ (null inputs)
        for k in range(1, problem.depth + 1):
            if null:
                bad = next((i for i, on in enumerate(pattern[j][k - 1]) if on), None)
                if bad is not None:
                    raise CertificateInvalid("pattern", f"evidence.pattern[{j}][{k - 1}] unit {bad}: the layer's "
                                             "input is identically 0 on the ball (no biases), so the pattern must "
                                             "be '0'")
                continue
            off = True                       # every unit of this layer proved off on B̄ so far
            exact = kinks is not None and k == 1
            scale2 = run.s[k] ** 2
            if exact:
                need, name = rho2 * (sum(v * v for v in problem.inputs[j]) + int(problem.biases)), f"ρ²‖x̃_{j}‖²"
                bar = need.numerator * scale2
            else:
                (need, bar), name = ball[k], f"F1({k})²·P_{k}·ρ²"
            # z²/scale2 > need, in integers: z²·need.denominator > bar
            for i, z in enumerate(sample[k - 1]):
                active = pattern[j][k - 1][i]
                if z * z * need.denominator > bar and (z > 0) == bool(active) and not (exact and (j, i) in listed):
                    off = off and not active
                    continue  # the common case (every test below passes), without messages or fractions
                where = f"evidence.pattern[{j}][{k - 1}] unit {i}"
                if null_sample(problem, j) and not active:
                    continue                 # z ≡ 0 on B̄: off as well
                off = False
                if kinks is None and ((z > 0) != bool(active) or z == 0):
                    want = "positive (pattern '1')" if active else "negative (pattern '0')"
                    raise CertificateInvalid("pattern", f"{where}: pre-activation at the centre is "
                                             f"{show(Fraction(z, run.s[k]))}, must be {want}")
                if exact and (j, i) in listed:
                    if z != 0:
                        raise CertificateInvalid("pattern", f"constraint {[j, i]}: z at the centre must be 0 "
                                                 f"(got {show(Fraction(z, run.s[1]))})")
                    continue
                if z == 0:
                    raise CertificateInvalid("pattern", f"{where}: pre-activation is 0 at the centre but not a "
                                             "listed first-layer constraint")
                if (z > 0) != bool(active):
                    raise CertificateInvalid("pattern", f"{where}: the sign at the centre is not the pattern's")
                if Fraction(z * z, scale2) <= need:
                    raise CertificateInvalid("sign stability", f"{where}: z² = {show(Fraction(z * z, scale2))} "
                                             f"must exceed {name} = {show(need)}")
            null = off and not problem.biases
    return run


def hessian_variation(bd: Bounds, delta: Fraction) -> None:
    """**Hessian variation δ.** If ``δ ≥ 0`` and ``δ² ≥ P³K²ρ²``, then ``‖∇²L_P(θ) − ∇²L_P(c)‖₂ ≤ δ`` on
    ``B̄`` for every pattern ``P``.

    Proof: each entry of ``∇²L_P`` moves by at most ``K·√P·‖θ − c‖`` (third partials ``≤ K``, mean-value
    theorem), and ``‖M‖₂ ≤ ‖M‖_F ≤ P·max|M_ab|``, so the spectral norm moves by at most ``P^{3/2}Kρ``.
    """
    if delta < 0 or delta * delta < bd.delta_squared:
        raise CertificateInvalid("hessian bound", f"delta must be ≥ 0 with delta² ≥ P³K²ρ² = "
                                 f"{show(bd.delta_squared)} (got delta {show(delta)})")


def positive_definite(A: list[list[int]], S: int, pd_text: Any, where: str, max_digits: int,
                      budget: Budget | None = None) -> None:
    """**Positive definiteness of a witness.** ``A/S ≻ 0`` (``S > 0``, ``A`` symmetric) when the witness
    ``pd`` at JSON path ``where`` is

    - ``{"method": "ldl"}`` and every LDLᵀ pivot is positive (Sylvester: the pivots are ratios of leading
      principal minors);
    - ``{"method": "cholesky"}`` and the float Cholesky factorisation of the shifted, scaled matrix runs
      to completion (the theorem of :mod:`cholesky`: the shift bounds every rounding error), or, when it
      does not, every exact LDLᵀ pivot is positive as for ``ldl``;
    - ``{"method": "congruence", "T": …}`` with ``T`` lower triangular, positive diagonal, and ``T·A·Tᵀ``
      strictly diagonally dominant with positive diagonal (Gershgorin: it is ``≻ 0``; ``T`` is
      invertible, so ``A`` is congruent to it).

    ``A`` may be mutated. Messages speak of ``∇²L_P(c) − (mu+delta)·I``, the matrix this is used on.
    """
    pd = expect_object(pd_text, f"{where}.pd", {"method", "T"}, {"method"})
    budget = budget or Budget(MAX_WORK)
    prefix = "" if where == "evidence" else f"{where}: "
    n = len(A)
    method = pd.get("method")
    if method in ("ldl", "cholesky") and "T" not in pd:
        if method == "cholesky" and proves_positive_definite(A, S, budget):
            return
        bad = ldl_first_bad_pivot(A, budget)
        if bad is not None:
            k, num, den = bad
            before = "the float Cholesky test did not prove it positive definite, and exact " if method == "cholesky" \
                else ""
            raise CertificateInvalid("hessian bound", f"{prefix}{before}pivot {k + 1} of {n} of ∇²L_P(c) − "
                                     f"(mu+delta)·I is {show(Fraction(num, den * S))}, must be positive")
        return
    if pd.get("method") != "congruence" or "T" not in pd:
        fail(f"{where}.pd", "must be {\"method\": \"ldl\"}, {\"method\": \"cholesky\"} or "
             "{\"method\": \"congruence\", \"T\": [...]} "
             f"(got method {brief(pd.get('method'))}{' with T' if 'T' in pd else ''})")
    name = f"{where}.pd.T"
    T = []
    for i, row in enumerate(expect_list(pd["T"], name, n)):
        values = read_vector(row, join(name, i), n, max_digits)
        if any(values[i + 1:]):
            j = next(j for j in range(i + 1, n) if values[j])
            fail(join(join(name, i), j), f"must be 0 above the diagonal (got \"{values[j]}\")")
        if values[i] <= 0:
            raise CertificateInvalid("hessian bound", f"{join(join(name, i), i)}: the diagonal of T must be "
                                     f"positive (got {values[i]})")
        T.append(values)
    bad_row = congruence_first_bad_row(A, T, budget)
    if bad_row is not None:
        i, cii, off = bad_row
        raise CertificateInvalid("hessian bound", f"{prefix}row {i} of C = T·(∇²L_P(c) − (mu+delta)·I)·Tᵀ is not "
                                 f"diagonally dominant: C[{i}][{i}] = {show(cii / S)} must exceed the sum of "
                                 f"|C[{i}][j]|, j ≠ {i}, = {show(off / S)}")


def gradient_bound(grad: Sequence[Fraction], bound: Fraction, what: str, bound_name: str) -> None:
    """**Gradient bound.** ``‖g‖² < bound`` exactly (``bound = (μρ)²``, or ``(μρ/2)²`` for a residual).

    With ``∇²L ⪰ μI`` on ``B̄`` and ``‖∇L(c)‖ < μρ``, the strongly convex ``L`` has its unique critical
    point ``θ*`` in the open ball, ``‖θ* − c‖ ≤ ‖∇L(c)‖/μ`` (strong monotonicity of ``∇L``).
    """
    g2 = sum((v * v for v in grad), Fraction(0))
    if g2 >= bound:
        raise CertificateInvalid("gradient bound", f"{what} = {show(g2)} must be less than {bound_name} = "
                                 f"{show(bound)}")


def kkt_residual(grad: Sequence[Fraction], nu: Sequence[Fraction], signs: str, normals: Sequence[Sparse]
                 ) -> list[Fraction]:
    """**Multipliers.** ``e = ∇L_P(c) − Σ_m ν_m s'_m a_m`` (``s'_m = ±1`` for '1'/'0'). With ``ν ≥ 0`` and
    ``L_P`` ``μ``-strongly convex on a closed piece ``{s'_m a_m·(θ − c) ≥ 0}`` ∩ ``B̄``, for ``θ`` there
    ``L(θ) ≥ L(c) + Σ ν_m s'_m a_m·(θ − c) + e·(θ − c) + (μ/2)‖θ − c‖² ≥ L(c) − ‖e‖ρ + (μ/2)ρ²`` on the
    sphere, which exceeds ``L(c)`` once ``‖e‖ < μρ/2``: the minimum over ``B̄`` is interior."""
    moved = combination([v if s == "1" else -v for v, s in zip(nu, signs)], normals)
    return [g - moved.get(p, Fraction(0)) for p, g in enumerate(grad)]


def gordan_empty(obj: Any, normals: Sequence[Sparse], max_digits: int, budget: Budget) -> list[str]:
    """**Gordan/Farkas emptiness.** An entry ``{"signs": s, "gordan": y}`` with ``y ≥ 0``, ``y ≠ 0``, ``y_m = 0``
    where ``s_m = '*'`` and ``Σ_m y_m s'_m a_m = 0`` proves that no ``d`` has ``s'_m a_m·d > 0`` for every
    signed ``m`` (dot the identity with ``d``: a sum of non-negative terms, one positive, would be 0).
    As ``z_m(θ) = a_m·(θ − c)`` near a kink, no region with those signs meets the ball. Returns the sign
    strings of all entries.

    The sum is formed in integers: ``a_m = n_m / d_m`` with ``d_m`` the lcm of ``a_m``'s denominators, and
    ``Σ_m y_m s'_m a_m = Σ_m k_m s'_m n_m / D`` with ``y_m = p_m / q_m``, ``D`` the lcm of the ``q_m d_m`` and
    ``k_m = p_m·D / (q_m d_m)``, so it is zero iff the integer sum is."""
    out, size = [], sum(len(a) for a in normals) + 1
    normal_bits = max((_bits(v) for a in normals for v in a.values()), default=0)
    dens = [lcm(*(v.denominator for v in a.values())) if a else 1 for a in normals]
    ints = [{p: v.numerator * (d // v.denominator) for p, v in a.items()} for a, d in zip(normals, dens)]
    for k, item in enumerate(expect_list(obj, "evidence.empty")):
        where = join("evidence.empty", k)
        entry = expect_object(item, where, {"signs", "gordan"}, {"signs", "gordan"})
        signs = entry["signs"]
        if not isinstance(signs, str) or len(signs) != len(normals) or set(signs) - {"0", "1", "*"}:
            fail(f"{where}.signs", f"must be {len(normals)} characters 0, 1 or * (got {signs!r})")
        y = read_vector(entry["gordan"], f"{where}.gordan", len(normals), max_digits)
        used = [m for m, v in enumerate(y) if v is not ZERO and v]  # read_vector's "0" is the one ZERO
        budget.charge(size, 2 * max((_bits(y[m]) for m in used), default=0) + normal_bits, "the Gordan vectors")
        for m in used:  # a zero entry is allowed everywhere
            if y[m] < 0 or signs[m] == "*":
                raise CertificateInvalid("regions", f"{where}.gordan[{m}] must be ≥ 0, and 0 where signs has '*' "
                                         f"(got {show(y[m])})")
        if not used:
            raise CertificateInvalid("regions", f"{where}.gordan must not be all zero")
        D = lcm(*(y[m].denominator * dens[m] for m in used))
        total: dict[int, int] = {}
        for m in used:
            k = y[m].numerator * (D // (y[m].denominator * dens[m])) * (1 if signs[m] == "1" else -1)
            for p, x in ints[m].items():
                total[p] = total.get(p, 0) + k * x
        if any(total.values()):
            raise CertificateInvalid("regions", f"{where}: Σ y_m s_m a_m must be 0 (Gordan), it is not")
        out.append(signs)
    return out


def without_null(obj: Any, null: set[int], N: int) -> Any:
    """The ``empty`` entries on the arrangement of the non-null samples ``x̃_j ≠ 0``: each null position
    must be ``'*'`` with Gordan weight ``"0"``, and is deleted. A null sample is on no hyperplane (every
    ``v`` has ``v·x̃_j = 0``); kept as a position it would make every open cell empty, and a Gordan vector
    on it alone would exclude any prefix. Malformed entries are passed on unchanged, for
    :func:`gordan_empty`'s own rejection."""
    if not null or not isinstance(obj, list):
        return obj
    out = []
    for k, entry in enumerate(obj):
        if isinstance(entry, dict) and any(isinstance(entry.get(key), (str, list)) and len(entry[key]) != N
                                           for key in ("signs", "gordan")):
            # one written form only: over every sample, null positions included
            raise CertificateInvalid("regions", f"evidence.empty[{k}]: signs and gordan must have {N} entries, "
                                     "one per sample (null samples included)")
        if not (isinstance(entry, dict) and isinstance(entry.get("signs"), str)
                and isinstance(entry.get("gordan"), list)):
            out.append(entry)
            continue
        for j in sorted(null):
            if entry["signs"][j] != "*" or entry["gordan"][j] != "0":
                raise CertificateInvalid("regions", f"evidence.empty[{k}]: sample {j} is null (x̃_j = 0, on no "
                                         f"hyperplane): its sign must be '*' and its Gordan weight \"0\"")
        out.append({**entry, "signs": "".join(c for j, c in enumerate(entry["signs"]) if j not in null),
                    "gordan": [g for j, g in enumerate(entry["gordan"]) if j not in null]})
    return out


def samples_covered(listed: dict[str, str], obj: Any, xt: Sequence[Sequence[Fraction]], max_digits: int,
                    budget: Budget) -> int:
    """**The cells of one unit's sample arrangement cover every direction**, null samples included.

    ``listed`` maps each listed sign string (one character per sample) to where it was read, ``obj`` is the
    ``empty`` list and ``xt`` the ``x̃_j``. A null sample (``x̃_j = 0``) is never active and on no hyperplane:
    every listed string must have ``'0'`` there, and :func:`without_null` deletes it from the ``empty``
    entries; :func:`gordan_empty` and :func:`regions_covered` then run on the other samples' arrangement.
    Returns the number of ``empty`` entries."""
    N = len(xt)
    null = {j for j, x in enumerate(xt) if not any(x)}
    for signs, where in listed.items():
        if any(signs[j] != "0" for j in null):
            fail(f"{where}.signs", f"must be '0' at every null sample (x̃_j = 0 is never active; got {brief(signs)})")
    normals: list[Sparse] = [{p: v for p, v in enumerate(x) if v} for j, x in enumerate(xt) if j not in null]
    empty = gordan_empty(without_null(obj, null, N), normals, max_digits, budget)
    regions_covered({"".join(c for j, c in enumerate(signs) if j not in null) for signs in listed}, empty,
                    N - len(null), budget)
    return len(empty)


def regions_covered(listed: set[str], empty: Sequence[str], n: int, budget: Budget) -> None:
    """**Every region is accounted for.** A depth-first case split over the ``n`` kink signs: each branch
    ends under an ``empty`` entry (the entry's characters past the branch all ``*``, the others agreeing
    with it) or at a full sign string that is ``listed``; and no listed string lies under an empty
    entry. Then every sign string is listed or lies under an empty entry, and no string is both: the
    listed pieces are exactly the regions that meet the ball.

    An entry whose last fixed character is at position ``t`` closes a branch of length ``ℓ > t`` exactly
    when it closes the branch's ancestor of length ``t + 1``, and the search stops at the first closed
    ancestor; so a branch of length ``ℓ`` is tested only against the entries with ``t = ℓ − 1``, looked
    up by their fixed characters (grouped by which positions are fixed). Charged as it goes: ``n + 1``
    steps per entry to index it, and per branch ``n + 1`` plus the fixed positions of each group tested.
    """
    # last fixed position → fixed positions → their characters; an entry fixed at 0..t alone is keyed by
    # its prefix, which a branch of length t + 1 is itself (no characters to pick)
    groups: dict[int, dict[tuple[int, ...] | None, set[str]]] = {}
    budget.charge((len(empty) + 1) * (n + 1), 0, "the case split")
    for e in empty:
        fixed = tuple(k for k, ch in enumerate(e) if ch != "*")
        last = fixed[-1] if fixed else -1
        key = None if len(fixed) == last + 1 else fixed
        groups.setdefault(last, {}).setdefault(key, set()).add("".join(e[k] for k in fixed))
    reached: set[str] = set()
    steps, stack = 0, [""]
    while stack:
        prefix = stack.pop()
        tests = groups.get(len(prefix) - 1, {})
        steps += n + 1 + sum(len(fixed) if fixed else len(prefix) for fixed in tests)
        if steps > 65536:
            budget.charge(steps, 0, "the case split")
            steps = 0
        if any(("".join(prefix[k] for k in fixed) if fixed else prefix) in keys for fixed, keys in tests.items()):
            continue
        if len(prefix) == n:
            if prefix not in listed:
                raise CertificateInvalid("regions", f"the region with kink signs {prefix} is neither listed among "
                                         "the pieces nor excluded by an empty entry")
            reached.add(prefix)
            continue
        stack += [prefix + "0", prefix + "1"]
    budget.charge(steps, 0, "the case split")
    for s in sorted(listed - reached):
        raise CertificateInvalid("regions", f"piece with signs {s} is excluded by an empty entry; remove it")


def polar_cone_gap(weights: Sequence[Fraction], sign: int, c: Sequence[Fraction], xt: Sequence[Sequence[Fraction]],
                   signs: str, step: str, where: str) -> Fraction:
    """**Polar-cone bound.** On the closed cone ``C_S = {v : s'_j x̃_j·v ≥ 0}`` (``s'_j = +1`` where ``signs``
    has ``'1'``, else ``−1``), weights ``y ≥ 0`` give ``sign·c·v ≤ ‖sign·c + Σ_j y_j s'_j x̃_j‖·‖v‖``: write
    ``sign·c·v = (sign·c + Σ y s' x̃)·v − Σ_j y_j (s'_j x̃_j·v)``, the last sum is ``≥ 0`` on ``C_S``, then
    Cauchy–Schwarz (``−Σ y s' x̃`` lies in the polar cone). Checks ``y ≥ 0`` and returns the squared norm."""
    if any(w < 0 for w in weights):
        raise CertificateInvalid(step, f"{where}: polar-cone weights must be ≥ 0")
    gap = [sign * v for v in c]
    for w, x, s in zip(weights, xt, signs):
        if w:
            for p, v in enumerate(x):
                gap[p] += w * v if s == "1" else -w * v
    return sum((v * v for v in gap), Fraction(0))


def _bits(v: Fraction) -> int:
    return v.numerator.bit_length() + v.denominator.bit_length()


def dominates(p: Poly, t0: Fraction) -> bool:
    """**Polynomial sign (dominance).** ``p ≡ 0``, or its lowest nonzero coefficient ``p_m`` satisfies
    ``Σ_{k>m} |p_k|·t0^{k−m} < |p_m|``. Then ``sign p(t) = sign p_m`` on ``(0, t0]``: for such ``t``,
    ``|Σ_{k>m} p_k t^k| ≤ t^m Σ_{k>m} |p_k| t0^{k−m} < |p_m| t^m``."""
    p = poly_trim(p)
    m = next((i for i, c in enumerate(p) if c), None)
    if m is None:
        return True
    tail, power = Fraction(0), Fraction(1)
    for c in p[m + 1:]:
        power *= t0
        tail += abs(c) * power
    return tail < abs(p[m])
