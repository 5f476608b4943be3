"""``curved_kink_ball`` (Theorem K, ``docs/MATHEMATICS.md`` §5): a minimum on a kink of the second layer.

The committed problem ``tests/data/curved_kink.json`` (widths 1-1-1-1 with biases, x = −2, −1, 3,
y = −1, −1, 2, λ = 1/100) was trained to a minimum at which the second layer's pre-activation vanishes at
x = −1 while the first-layer unit is on there: the kink ``z = w₂·σ(w₁x + b₁) + b₂ = 0`` is a curved surface
in θ. Its certificate (``tests/certs/good/curved_kink.json``) is checked against methods that share no
code with the checker or the generator: the naive exact forward pass and Taylor-coefficient derivatives of
``tests/test_checker.py``, and exact sampling of the loss about the centre.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from proofs.methods.curved_kink_ball import search  # noqa: E402
from symbolic.problem import parse_problem  # noqa: E402
from tests.test_checker import naive_loss, naive_output, oracle_derivatives, point, problem  # noqa: E402

CERT = ROOT / "tests" / "certs" / "good" / "curved_kink.json"
CERT3 = ROOT / "tests" / "certs" / "good" / "curved_kink_layer3.json"


def centre() -> tuple[dict, list[F], F, F]:
    """The certificate's problem, centre ``(w₁, b₁, w₂, b₂, w₃, b₃)``, radius and ``μ``."""
    cert = json.loads(CERT.read_text(encoding="utf-8"))
    c = cert["center"]
    theta = [F(c["weights"][k][0][0]) if i == 0 else F(c["biases"][k][0]) for k in range(3) for i in range(2)]
    return cert["problem"], theta, F(cert["radius"]), F(cert["mu"])


def z2(prob: dict, theta: list[F], x: F) -> F:
    """The second layer's pre-activation at input ``x``, by the naive forward pass."""
    return naive_output(prob, theta, [x], None)[1][1][0]


def test_the_centre_is_exactly_on_the_curved_kink_with_the_first_layer_on():
    prob, theta, _, _ = centre()
    assert z2(prob, theta, F(-1)) == 0
    w1, b1, w2, b2, _, _ = theta
    assert w1 * -1 + b1 > 0                     # the first-layer unit is on at x = −1: z is bilinear, not b₂ alone
    assert w2 * (b1 - w1) + b2 == 0             # z = w₂(b₁ − w₁) + b₂, written out
    for x in (F(-2), F(3)):                     # the other samples are strictly off the second-layer kink
        assert abs(z2(prob, theta, x)) > F(1, 10)


def test_exact_kkt_with_positive_multipliers_in_both_pieces():
    """∇L_P(c) = ν·s·∇z(c) up to a residual below 10⁻²⁵ in both pieces, with ν > 0 (strict complementarity):
    derivatives by exact Taylor coefficients, ∇z by hand (z = w₂(w₁x + b₁) + b₂ at x = −1)."""
    prob, theta, _, _ = centre()
    w1, b1, w2, b2, _, _ = theta
    grad_z = [-w2, w2, b1 - w1, F(1), F(0), F(0)]
    norm2 = sum(v * v for v in grad_z)
    for on, s in (("1", 1), ("0", -1)):
        pattern = [["1", "0"], ["1", on], ["0", "1"]]
        g, _ = oracle_derivatives(prob, theta, pattern)
        lam = sum(a * b for a, b in zip(g, grad_z)) / norm2
        nu = s * lam
        residual = sum((a - lam * b) ** 2 for a, b in zip(g, grad_z))
        assert nu > F(1, 100), (on, float(nu))
        assert residual < F(1, 10 ** 50), (on, float(residual))


def test_the_loss_grows_about_the_centre_by_exact_sampling():
    """``L(c + d) > L(c)`` exactly for 200 seeded random directions at each of four lengths, from the ball's
    radius to a thousand times it, and along ``±∇z`` (across the kink): the float-free baseline of the claim."""
    prob, theta, rho, mu = centre()
    L0 = naive_loss(prob, theta)
    gen = random.Random(14)
    w1, b1, w2, b2, _, _ = theta
    grad_z = [-w2, w2, b1 - w1, F(1), F(0), F(0)]
    for length in (rho, 10 * rho, 100 * rho, 1000 * rho):
        dirs = [[F(gen.randint(-1000, 1000), 1000) for _ in theta] for _ in range(200)]
        dirs += [grad_z, [-v for v in grad_z]]
        for d in dirs:
            scale = length / F(max(abs(v) for v in d))     # ‖d‖ between length and √6·length
            step = [t + scale * v for t, v in zip(theta, d)]
            gain = naive_loss(prob, step) - L0
            assert gain > 0, (float(length), [float(v) for v in d])
    # inside the ball the growth is at least (μ/2)‖θ − θ*‖², up to the tiny distance of c from θ*
    d = [F(1)] * 6
    scale = rho / 4
    assert naive_loss(prob, [t + scale * v for t, v in zip(theta, d)]) - L0 >= mu / 2 * 6 * scale ** 2 / 2


def test_the_certificate_is_valid_for_pscert_check():
    run = subprocess.run([sys.executable, "-c", "from cli import main; main()", "check", str(CERT)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "VALID: CERTIFIED isolated_local_minimum" in run.stdout and "curved_kink_ball" in run.stdout


def test_certify_decides_the_committed_problem_with_theorem_k():
    from proofs.generator import certify
    from symbolic.problem import load_problem

    v = certify(load_problem(str(ROOT / "tests" / "data" / "curved_kink.json")))
    assert v.status == "CERTIFIED" and v.certificate["evidence"]["method"] == "curved_kink_ball", v.reason
    assert v.certificate["evidence"]["kinks"] == [[1, 2, 0]]
    assert v.facts["checker"].startswith("VALID: CERTIFIED isolated_local_minimum")


def deep_chain(theta: list[F]) -> dict:
    """Widths 1-1-1-1-1 with biases, x = 1, 2: the point ``θ`` (w, b per layer)."""
    prob = problem([1, 1, 1, 1, 1], F(1, 100), [[1], [2]], [[1], [2]], biases=True)
    return {**prob, "point": point(prob, theta)}


def test_a_fourth_layer_kink_stays_unknown_with_unit_layer_and_sample():
    # widths 1-1-1-1-1-1: z₁ = z₂ = z₃ = x, z₄ = x − 1: zero at sample 0 (x = 1), in layer 4
    prob = problem([1, 1, 1, 1, 1, 1], F(1, 100), [[1], [2]], [[1], [2]], biases=True)
    theta = [F(1), F(0), F(1), F(0), F(1), F(0), F(1), F(-1), F(1), F(0)]
    p = parse_problem({**prob, "point": point(prob, theta)})
    v = search(p, p.flatten(p.point), lambda _msg: None)
    assert v.status == "UNKNOWN"
    assert "layer 4" in v.reason and "sample 0" in v.reason and "unit 0" in v.reason, v.reason


def test_kinks_of_two_layers_at_one_sample_stay_unknown():
    # z₁ = x − 1 and z₂ = 2·σ(z₁) + 0·... : at x = 1 both z₁ = 0 and (with b₂ = 0) z₂ = 0
    theta = [F(1), F(-1), F(2), F(0), F(1), F(1), F(1), F(0)]
    prob = parse_problem(deep_chain(theta))
    v = search(prob, prob.flatten(prob.point), lambda _msg: None)
    assert v.status == "UNKNOWN" and "sample 0 has kinks of layers 1 and 2" in v.reason, v.reason


@pytest.mark.parametrize("cert", [CERT, CERT3], ids=["layer 2", "layer 3"])
def test_the_latex_proof_compiles_and_states_the_theorem(tmp_path, cert):
    """``pscert latex`` typesets the certificate (Theorem K with its constants) and pdflatex compiles it."""
    import re

    from click.testing import CliRunner

    from cli import main
    from proofs import latex

    result = CliRunner().invoke(main, ["latex", str(cert)])
    assert result.exit_code == 0, result.output
    tex = result.output
    assert "\\begin{theorem}[Theorem K: a curved kink ball]" in tex
    q = len(json.loads(cert.read_text(encoding="utf-8"))["evidence"]["kinks"])
    for signs in (format(v, f"0{q}b") for v in range(2 ** q)):     # every piece's row, with its witness
        assert f"\\texttt{{{signs}}} & \\texttt{{" in tex, signs
    done = latex.compile_pdf(tex, str(tmp_path / "proof.pdf"))
    assert done.pages >= 1 and not re.search(r"^! ", done.log, re.M)
    assert "undefined references" not in done.log and "multiply defined" not in done.log
    widths = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide", done.log)]
    assert all(w <= 20 for w in widths), widths


def test_coinciding_kinks_of_one_unit_are_listed_once_with_a_copy():
    """At x = −1 and x = −2 the first layer is off, so z₂ = b₂ = 0 at both: one polynomial, listed once; the
    second sample is its copy (it takes the kink's sign in every piece)."""
    from proofs.assemble import checker_problem
    from proofs.methods.curved_kink_ball import _kinks

    prob = problem([1, 1, 1, 1], F(1, 100), [[-1], [-2], [1]], [[0], [0], [1]], biases=True)
    theta = [F(1), F(0), F(1), F(0), F(1), F(0)]
    p = parse_problem({**prob, "point": point(prob, theta)})
    found = _kinks(checker_problem(p), theta)
    assert not isinstance(found, str), found
    kinks, _, copies = found
    assert kinks == [(0, 2, 0)] and copies == {(1, 2, 0): 0}


# --------------------------------------------------------------------------------------------------
# A minimum on a kink of the third layer (Lemma T: the third derivative of z is constant).
#
# ``tests/data/curved_kink_layer3.json`` (widths 1-1-1-1-1 with biases, x = 1, 2, 3, y = 2, −1, −2,
# λ = 1/100) was trained to a minimum at which the third layer's pre-activation vanishes at x = 1 while the
# units of layers 1 and 2 are on there: z₃ = w₃(w₂(w₁x + b₁) + b₂) + b₃ is a cubic in θ. The certificate
# ``tests/certs/good/curved_kink_layer3.json`` is checked by the same independent methods as above, and
# the checker's derivatives of z₃ by exact finite differences of the naive forward pass (exact for a cubic).

ON = ["1", "1", "1"]


def centre3() -> tuple[dict, list[F], F, F]:
    """The certificate's problem, centre ``(w₁, b₁, w₂, b₂, w₃, b₃, w₄, b₄)``, radius and ``μ``."""
    cert = json.loads(CERT3.read_text(encoding="utf-8"))
    c = cert["center"]
    theta = [F(c["weights"][k][0][0]) if i == 0 else F(c["biases"][k][0]) for k in range(4) for i in range(2)]
    return cert["problem"], theta, F(cert["radius"]), F(cert["mu"])


def z3(prob: dict, theta: list[F], x: F, pattern_j: list[str] | None = None) -> F:
    """The third layer's pre-activation at input ``x`` by the naive forward pass (``ON``: the polynomial)."""
    return naive_output(prob, theta, [x], pattern_j)[1][2][0]


def grad_z3(theta: list[F], x: F) -> list[F]:
    """∇z₃ by hand, every unit below on: z₃ = w₃(w₂(w₁x + b₁) + b₂) + b₃."""
    w1, b1, w2, b2, w3, _, _, _ = theta
    h1, z2 = w1 * x + b1, w2 * (w1 * x + b1) + b2
    return [w3 * w2 * x, w3 * w2, w3 * h1, w3, z2, F(1), F(0), F(0)]


def test_the_centre_is_exactly_on_the_third_layer_kink_with_the_layers_below_on():
    prob, theta, _, _ = centre3()
    assert z3(prob, theta, F(1)) == 0
    w1, b1, w2, b2, w3, b3, _, _ = theta
    assert w1 + b1 > 0 and w2 * (w1 + b1) + b2 > 0      # layers 1 and 2 on at x = 1: z₃ is a cubic there
    assert w3 * (w2 * (w1 + b1) + b2) + b3 == 0
    for x in (F(2), F(3)):                              # the other samples are strictly on
        assert z3(prob, theta, x) > F(1, 10)


def test_the_checker_derivatives_of_a_third_layer_kink_by_exact_differences():
    """∇z₃(c), ∇²z₃(c) and ∇³z₃ of the checker (``kink_derivatives``) against exact finite differences of
    the naive forward pass with the pattern held (z₃ is a cubic in θ, so the five-point gradient, the
    four-point mixed second difference and the third differences are exact), and ‖∇³z₃‖_F² = 6·1·1·‖(1, 1)‖²
    = 12 as the checker computes it."""
    from proofs.checker.curved import kink_derivatives
    from proofs.checker.reading import read_pattern, read_problem

    prob, theta, _, _ = centre3()
    P, x = len(theta), F(1)
    cert = json.loads(CERT3.read_text(encoding="utf-8"))
    cp = read_problem(cert["problem"])
    pattern = read_pattern(cert["evidence"]["pattern"], cp, "evidence.pattern")

    def z(d: dict[int, F]) -> F:
        return z3(prob, [t + d.get(a, F(0)) for a, t in enumerate(theta)], x, ON)

    grad = [(-z({a: F(2)}) + 8 * z({a: F(1)}) - 8 * z({a: F(-1)}) + z({a: F(-2)})) / 12 for a in range(P)]
    hess = [[(z({a: F(1), b: F(1)} if a != b else {a: F(2)}) - z({a: F(1), b: F(-1)} if a != b else {})
              - z({a: F(-1), b: F(1)} if a != b else {}) + z({a: F(-1), b: F(-1)} if a != b else {a: F(-2)})) / 4
             for b in range(P)] for a in range(P)]

    def third(a: int, b: int, c: int) -> F:
        total = F(0)
        for sa in (0, 1):
            for sb in (0, 1):
                for sc in (0, 1):
                    d: dict[int, F] = {}
                    for idx, on in ((a, sa), (b, sb), (c, sc)):
                        d[idx] = d.get(idx, F(0)) + on
                    total += (-1) ** (3 - sa - sb - sc) * z(d)
        return total

    assert grad == grad_z3(theta, x)
    rows, hessians, frob2, cube2 = kink_derivatives(cp, theta, pattern, [(0, 3, 0)])
    assert [rows[0].get(a, F(0)) for a in range(P)] == grad
    mine = [[F(0)] * P for _ in range(P)]
    for (a, b), v in hessians[0].items():
        mine[a][b] = mine[b][a] = v
    assert mine == hess
    assert frob2[0] == sum(v * v for row in hess for v in row)
    tensor2 = sum(third(a, b, c) ** 2 for a in range(P) for b in range(P) for c in range(P))
    assert tensor2 == cube2[0] == 12


def test_exact_kkt_at_the_third_layer_kink_with_positive_multipliers_in_both_pieces():
    """∇L_P(c) = ν·s·∇z₃(c) up to a residual below 10⁻²⁵ in both pieces, ν > 0 (derivatives by exact Taylor
    coefficients, ∇z₃ by hand)."""
    prob, theta, _, _ = centre3()
    grad_z = grad_z3(theta, F(1))
    norm2 = sum(v * v for v in grad_z)
    for on, s in (("1", 1), ("0", -1)):
        pattern = [["1", "1", on], ON, ON]
        g, _ = oracle_derivatives(prob, theta, pattern)
        lam = sum(a * b for a, b in zip(g, grad_z)) / norm2
        nu = s * lam
        residual = sum((a - lam * b) ** 2 for a, b in zip(g, grad_z))
        assert nu > F(1, 100), (on, float(nu))
        assert residual < F(1, 10 ** 50), (on, float(residual))


def test_the_loss_grows_about_the_third_layer_kink_by_exact_sampling():
    """``L(c + d) > L(c)`` exactly for 200 seeded random directions at each of four lengths and along ``±∇z₃``."""
    prob, theta, rho, mu = centre3()
    L0 = naive_loss(prob, theta)
    gen = random.Random(15)
    grad_z = grad_z3(theta, F(1))
    for length in (rho, 10 * rho, 100 * rho, 1000 * rho):
        dirs = [[F(gen.randint(-1000, 1000), 1000) for _ in theta] for _ in range(200)]
        dirs += [grad_z, [-v for v in grad_z]]
        for d in dirs:
            scale = length / F(max(abs(v) for v in d))
            gain = naive_loss(prob, [t + scale * v for t, v in zip(theta, d)]) - L0
            assert gain > 0, (float(length), [float(v) for v in d])
    d = [F(1)] * 8
    scale = rho / 4
    assert naive_loss(prob, [t + scale * v for t, v in zip(theta, d)]) - L0 >= mu / 2 * 8 * scale ** 2 / 2


def test_the_third_layer_certificate_is_valid_for_pscert_check():
    run = subprocess.run([sys.executable, "-c", "from cli import main; main()", "check", str(CERT3)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "VALID: CERTIFIED isolated_local_minimum" in run.stdout and "1 kink(s) of layer(s) 3" in run.stdout


def test_certify_decides_the_third_layer_problem_with_theorem_k():
    from proofs.generator import certify
    from symbolic.problem import load_problem

    v = certify(load_problem(str(ROOT / "tests" / "data" / "curved_kink_layer3.json")))
    assert v.status == "CERTIFIED" and v.certificate["evidence"]["method"] == "curved_kink_ball", v.reason
    assert v.certificate["evidence"]["kinks"] == [[0, 3, 0]]
    assert v.certificate["evidence"]["third_derivatives"] == ["929887697/268435456"]   # √12 rounded up
    assert v.facts["checker"].startswith("VALID: CERTIFIED isolated_local_minimum")


# --------------------------------------------------------------------------------------------------
# Copies: one unit's second-layer kinks at samples where the first layer is off are one polynomial.
#
# ``tests/data/curved_kink_copies.json`` (widths 2-2-2-1, λ = 1/100, a trained minimum of the synthetic
# family of ``bench/curved_screen.py``, index 27) ends with b_2[0] ≈ 4·10⁻¹⁸ while layer 1 is off at samples
# 1 and 6: z_{2,0} = b_2[0] at both. Float dust decided it before (a descent curve from a centre 10⁻¹⁸ off
# the kink); the certificate lists the kink once and its copy takes its sign in every piece.

COPIES = ROOT / "tests" / "certs" / "good" / "curved_kink_copies.json"


def centre_of(path: Path) -> tuple[dict, list[F], F, F]:
    """A certificate's problem, centre in canonical order (per layer: weights by rows, then biases), radius, μ."""
    cert = json.loads(path.read_text(encoding="utf-8"))
    c = cert["center"]
    theta = [F(v) for W, b in zip(c["weights"], c["biases"]) for v in [x for row in W for x in row] + b]
    return cert["problem"], theta, F(cert["radius"]), F(cert["mu"])


def test_the_copy_and_its_kink_are_both_exactly_zero_with_the_first_layer_off():
    prob, theta, _, _ = centre_of(COPIES)
    for j in (1, 6):
        x = [F(v) for v in prob["data"]["inputs"][j]]
        _, zs = naive_output(prob, theta, x, None)
        assert all(z < 0 for z in zs[0]) and zs[1][0] == 0, (j, zs)


def test_the_loss_grows_about_the_centre_with_a_copy_by_exact_sampling():
    prob, theta, rho, _ = centre_of(COPIES)
    L0 = naive_loss(prob, theta)
    gen = random.Random(16)
    for length in (rho, 100 * rho):
        for _ in range(100):
            d = [F(gen.randint(-1000, 1000), 1000) for _ in theta]
            scale = length / F(max(abs(v) for v in d))
            assert naive_loss(prob, [t + scale * v for t, v in zip(theta, d)]) > L0


def test_the_trained_answer_is_the_minimum_on_the_kinks_not_a_descent_from_dust():
    """``certify`` on the user's point: CERTIFIED on the snapped kinks (copy included), with the proved
    distance to the point stated, where a descent curve from a centre 10⁻¹⁸ off the kink refuted it before."""
    from proofs.trained import certify_trained
    from symbolic.problem import load_problem

    v = certify_trained(load_problem(str(ROOT / "tests" / "data" / "curved_kink_copies.json")))
    assert v.status == "CERTIFIED" and v.certificate["evidence"]["method"] == "curved_kink_ball", v.reason
    assert F(v.certificate["origin_distance"]) < F(1, 10 ** 6) and "of your point" in v.reason
    assert v.facts["checker"].startswith("VALID: CERTIFIED isolated_local_minimum")


def test_the_latex_proof_with_a_copy_compiles_and_names_copies(tmp_path):
    import re

    from click.testing import CliRunner

    from cli import main
    from proofs import latex

    result = CliRunner().invoke(main, ["latex", str(COPIES)])
    assert result.exit_code == 0, result.output
    tex = result.output
    assert "copy of a listed kink" in tex
    for signs in (format(v, "03b") for v in range(8)):
        assert f"\\texttt{{{signs}}} & \\texttt{{" in tex, signs
    done = latex.compile_pdf(tex, str(tmp_path / "proof.pdf"))
    assert done.pages >= 1 and not re.search(r"^! ", done.log, re.M)
    assert "undefined references" not in done.log and "multiply defined" not in done.log
