"""``pscert latex``: every claim kind typesets, compiles with pdflatex and states the checked numbers.

The compile tests need ``pdflatex`` (CI installs texlive-latex-base and -recommended); without it they
fail, they never skip. The PDF's text is read by a small extractor below (no poppler in CI) that decodes
the fonts' ToUnicode maps, which the proofs embed (``\\pdfgentounicode``).
"""

from __future__ import annotations

import copy
import json
import re
import zlib
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import proofs.boundary
from cli import main
from proofs import checker, latex
from proofs.generator import certify
from proofs.latex_format import LatexError, decimal, escape_text, integer, rational
from proofs.methods.lemma_a_norm_box import certified
from symbolic.problem import load_problem, parse_problem
from symbolic.threshold import threshold

EVIL = "\\input{/etc/passwd} % & _ $ # { } ~ ^ \\ \" ' ` < > | -- λ \\end{document}"


def chain(depth: int, lam: str, point: list[str], name: str = "chain") -> dict:
    """The bias-free scalar chain with ``depth`` hidden units in a row, x = y = 1."""
    return {"format": "pscert.problem/1", "name": name, "network": {"widths": [1] * (depth + 2), "biases": False},
            "loss": {"weight_decay": lam}, "data": {"inputs": [["1"]], "targets": [["1"]]},
            "point": {"weights": [[[p]] for p in point]}}


def linear_regression() -> dict:
    """No hidden layer: L = ½ Σ (w·x_j + b − y_j)² + λ(‖w‖² + b²), K = 0, so ε* = ∞ and μ = 2λ = 1/5."""
    return {"format": "pscert.problem/1", "name": "linear", "network": {"widths": [2, 1]},
            "loss": {"weight_decay": "1/10"},
            "data": {"inputs": [["1", "2"], ["0", "1"]], "targets": [["1"], ["0"]]},
            "point": {"weights": [[["1/3", "1/5"]]], "biases": [["0"]]}}


def linear_origin() -> dict:
    """A linear 3-4-1 network (identity activation, no biases, P = 16) at the origin with λ = 2.

    ∇L(0) = 0 and ∇²L(0) = 4I plus a block coupling W_1[i, :] with W_2[0, i] through
    −2α Σ_j y_j x_j = −(2/3)(1, 2, 0): eigenvalues 4 ± (2/3)√5 ≥ 2.5, so μ = 1 holds on a small ball. Built
    from the generator's parts (``certify`` does not handle identity activations at z = 0); the checker
    accepts it with a float Cholesky witness, and P > 12 exercises the summarised determinant form."""
    from proofs import assemble
    from proofs.positivity import pd_certificate
    from symbolic.derivatives import piece_derivatives, to_fmpq
    from symbolic.network import forward, pattern_to_json

    p = parse_problem({"format": "pscert.problem/1", "name": "linear 3-4-1",
                       "network": {"widths": [3, 4, 1], "biases": False, "activation": "identity"},
                       "loss": {"weight_decay": "2"},
                       "data": {"inputs": [["1", "0", "2"], ["0", "1", "-1"], ["1", "1", "1"]],
                                "targets": [["1"], ["2"], ["0"]]},
                       "point": {"weights": [[["0"] * 3] * 4, [["0"] * 4]]}})
    theta, rho, mu = [Fraction(0)] * 16, Fraction(1, 1024), Fraction(1)
    pattern = forward(p).pattern
    dl = assemble.delta(p, theta, rho)
    hessian = piece_derivatives(p, theta, pattern).hessian - to_fmpq(mu + dl) * assemble.identity(16)
    evidence = {"method": "interior_ball", "pattern": pattern_to_json(pattern), "delta": str(dl),
                "pd": pd_certificate(hessian)}
    return assemble.certificate(p, "CERTIFIED", "isolated_local_minimum", theta, rho, evidence, mu)


def generated(problem) -> dict:
    verdict = certify(problem)
    assert verdict.certificate is not None, verdict.reason
    return verdict.certificate


@pytest.fixture(scope="module")
def certs() -> dict[str, dict]:
    """One certificate per claim kind and evidence method that the checker accepts today.

    interior: f = b·σ(a·x), λ = 1/4: the minimum a = b = √3/2, μ = 1/2 (Hessian eigenvalues 1, 3).
    descent: the same chain at the origin, its dead unit grown (Lemma D): L(t, 4t) − L(0) = −(15/4)t² + 16t⁴.
    negative_curvature: depth-3 chain, λ = 1/8, near the smaller root t ≈ 0.1255 of t⁴ − t + 1/8 (a saddle).
    constant: λ = 0, (a, b) ↦ (s·a, b/s) keeps L = (ab − 1)² constant.
    psc: the chain at a = 1, b = 9/10, λ = 1/4 (θ = 1, μ = 3/10, centre inside); psc_linear: no hidden layer.
    """
    return {
        "interior": generated(load_problem("examples/chain.json")),
        "interior_16": linear_origin(),
        "descent": generated(load_problem("examples/chain_origin.json")),
        "negative_curvature": generated(parse_problem(chain(2, "1/8", ["0.125"] * 3))),
        "constant": generated(parse_problem(chain(1, "0", ["0.9", "1.1"]))),
        "psc": certified(threshold(parse_problem(chain(1, "1/4", ["1", "9/10"])))),
        "psc_xor": certified(threshold(load_problem("examples/xor.json"), gap=False), Fraction(1, 40000)),
        "psc_linear": certified(threshold(parse_problem(linear_regression()), gap=False)),
    }


def save(tmp_path, cert: dict, name: str = "c.cert.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(cert, indent=1) + "\n", encoding="utf-8")
    return str(path)


def compile_ok(tmp_path, tex: str) -> latex.Compiled:
    """Compile; no TeX error, no overfull box wider than 20pt."""
    done = latex.compile_pdf(tex, str(tmp_path / "proof.pdf"))
    assert done.pages >= 1
    assert not re.search(r"^! ", done.log, re.M)
    widths = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide", done.log)]
    assert all(w <= 20 for w in widths), widths
    assert "multiply defined" not in done.log and "undefined references" not in done.log
    return done


def flat(text: str) -> str:
    """Without white space; glyphtounicode maps cmmi's mu to the micro sign U+00B5."""
    return re.sub(r"\s+", "", text).replace("\u00b5", "\u03bc")


# ---------------------------------------------------------------------------------------------------
# every claim kind compiles and its PDF states the theorem's numbers


def test_interior_minimum_proof(tmp_path, certs):
    """Theorem: one critical point in the ball of radius ρ = 1/2^k, μ = 1/2; the SHA-256 is in the box."""
    cert = certs["interior"]
    path = save(tmp_path, cert)
    tex = latex.proof_from_file(path)
    rho = Fraction(cert["radius"])
    k = rho.denominator.bit_length() - 1
    assert rho == Fraction(1, 2 ** k)
    text = flat(pdf_text(compile_ok(tmp_path, tex).path))
    assert f"ρ=1/2{k}andμ=1/2" in text
    assert "isanisolatedlocalminimumof" in text and "exactlyonecriticalpoint" in text
    digest = __import__("hashlib").sha256(open(path, "rb").read()).hexdigest()
    assert digest in text and f"pscertcheck{path}" in text
    assert "\\begin{lemma}[Sign stability]" in tex and "\\begin{lemma}[Small gradient]" in tex
    assert "(E1)" in text and "Exactvalues" in text  # the centre is long: abbreviated, then in full
    assert str(Fraction(cert["center"]["weights"][0][0][0]).numerator) in text.replace("/", "")


def test_descent_curve_proof(tmp_path, certs):
    """Λ(t) = L(t, 4t) − L(0) = (4t² − 1)² + (1/4)·17t² − 1 = −(15/4)t² + 16t⁴ is printed and the theorem
    names t0 = 1/4 (16t0² < 15/4 needs t0 < 0.48)."""
    tex = latex.proof_from_file(save(tmp_path, certs["descent"]))
    assert "\\Lambda(t) = -\\frac{15}{4}t^{2} + 16t^{4}" in tex
    text = flat(pdf_text(compile_ok(tmp_path, tex).path))
    assert "isnotalocalminimumofL" in text and "t0=1/4" in text


def test_negative_curvature_proof(tmp_path, certs):
    """The direction d = (1, 1, 1) (largest entry +1, whatever sign LAPACK returns) and the radius 1/2^10."""
    cert = certs["negative_curvature"]
    assert cert["evidence"]["direction"] == ["1", "1", "1"] and cert["radius"] == "1/1024"
    tex = latex.proof_from_file(save(tmp_path, cert))
    text = flat(pdf_text(compile_ok(tmp_path, tex).path))
    assert "d=(1,1,1)" in text and "ρ=1/210" in text and "Nopointθ" in text


def test_constant_curve_proof(tmp_path, certs):
    """The rescaling curve γ(t) = ((9/10)(1 + t), (11/10)/(1 + t)), t0 = 1/4, λ = 0."""
    tex = latex.proof_from_file(save(tmp_path, certs["constant"]))
    assert "q(t) = 1 + t" in tex
    text = flat(pdf_text(compile_ok(tmp_path, tex).path))
    assert "isnotanisolatedlocalminimum" in text and "t0=1/4" in text


@pytest.mark.parametrize("name,mu", [("psc", "3/10"), ("psc_xor", "183/31250"), ("psc_linear", "1/5")])
def test_piecewise_strong_convexity_proof(tmp_path, certs, name, mu):
    """Lemma (A) is cited as unverified; the theorem states μ; the centre-membership lemma when inside."""
    cert = certs[name]
    assert cert["mu"] == mu
    tex = latex.proof_from_file(save(tmp_path, cert))
    text = flat(pdf_text(compile_ok(tmp_path, tex).path))
    assert f"μ={mu}" in text and "thecheckerdoesnotverifyit" in text
    assert ("Thecentreliesintheset" in text) == cert["evidence"]["center_in_set"]


def test_boundary_proof_compiles_or_is_refused(tmp_path, monkeypatch):
    """λ = 2 at the origin of the chain: a dead unit on its kink, regions a > 0 and a < 0 (docs/SPEC.md §4).

    The generator writes a ``boundary_ball`` certificate; until the checker accepts that method,
    ``pscert latex`` must refuse it, and once it does the proof must typeset. Either way ``render``
    (the typesetter alone) compiles it, with both regions and their multipliers."""
    monkeypatch.setattr(proofs.boundary, "checked", lambda v: v)
    cert = generated(parse_problem(chain(1, "2", ["0", "0"])))
    assert cert["evidence"]["method"] == "boundary_ball"
    path = save(tmp_path, cert)
    result = CliRunner().invoke(main, ["latex", path])
    if "boundary_ball" in checker.METHODS:
        assert result.exit_code == 0 and "\\begin{theorem}" in result.output
    else:
        assert result.exit_code == 1 and result.output.startswith("INVALID: evidence")
    tex = latex.render(cert, open(path, "rb").read(), path)
    text = flat(pdf_text(compile_ok(tmp_path, tex).path))
    assert "Theregionsthatmeettheball" in text and "atmost2andeachisisolated" in text


@pytest.fixture(scope="module")
def kink_cert() -> dict:
    """The trained 2-2-1 XOR minimum of tests/data/xor_kinks.json: four strictly complementary kinks.

    Units 0 and 1 of the first layer vanish at samples x_0 = (0, 0) and x_3 = (1, 1), so the kink
    vectors are a = e_{b_i} (sample 0) and a = e_{W[i,0]} + e_{W[i,1]} + e_{b_i} (sample 3). Per unit the
    Gram block is [[1, 1], [1, 3]] (determinant 2), so det AAᵀ = 4, ‖A‖_F² = 1 + 3 + 1 + 3 = 8, and
    A⁺ = Aᵀ(AAᵀ)⁻¹ has columns (−1/2, −1/2, 1) and (1/2, 1/2, 0) per unit: ‖A⁺u_m‖² = 3/2, 1/2, 3/2, 1/2.
    Every one of the 2⁴ = 16 sign vectors is a region of the certificate."""
    cert = generated(load_problem("tests/data/xor_kinks.json"))
    assert cert["evidence"]["method"] == "kink_ball"
    assert cert["evidence"]["constraints"] == [[0, 0], [3, 0], [0, 1], [3, 1]]
    return cert


def test_kink_ball_proof(tmp_path, kink_cert):
    """``pscert latex`` typesets a kink_ball certificate: it compiles, and the theorem states ρ = 1/2^k and
    μ = 19/1000 with exactly one local minimum; the hand-worked A facts and all 16 regions are printed."""
    path = save(tmp_path, kink_cert)
    result = CliRunner().invoke(main, ["latex", path])
    assert result.exit_code == 0, result.output
    tex = result.output
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    rho = Fraction(kink_cert["radius"])
    k = rho.denominator.bit_length() - 1
    assert rho == Fraction(1, 2 ** k) and kink_cert["mu"] == "19/1000"
    assert "\\det AA^\\top = 4 \\ne 0" in tex and "\\|A\\|_F^2 = 8" in tex
    assert "0 & $(0, 0)$ & $\\frac{3}{2}$" in tex and "1 & $(3, 0)$ & $\\frac{1}{2}$" in tex
    signs = [format(v, "04b") for v in range(16)]
    assert all(f"\\texttt{{{s}}} & \\texttt{{ldl}}" in tex for s in signs)
    for name in ("Independent kinks", "The pieces near the ball", "First-order conditions",
                 "Multipliers beat their drift", "Curvature along the kinks", "The kinks"):
        assert f"\\begin{{lemma}}[{name}]" in tex
    text = flat(pdf_text(compile_ok(tmp_path, tex).path))
    assert f"ρ=1/2{k}andμ=19/1000" in text
    assert "hasexactlyonelocalminimumθ∗intheclosedball" in text and "strictandisolatedlocalminimum" in text
    assert "2M=16signvectors" in text


def test_kink_ball_region_table_is_abbreviated(tmp_path, kink_cert, monkeypatch):
    """With room for 4 rows, the table lists 4 regions and points to the certificate for the other 12;
    the lemmas still name the extremes over all 16, and the document still compiles."""
    import proofs.methods.kink_ball
    monkeypatch.setattr(proofs.methods.kink_ball, "REGION_ROWS", 4)
    tex = latex.render(kink_cert, b"", "k.json")
    assert ("\\multicolumn{6}{l}{\\dots\\ the other 12 regions: see \\texttt{evidence.pieces} in the "
            "certificate} \\\\") in tex
    assert "\\texttt{1011} & \\texttt{ldl}" not in tex and "\\texttt{1100} & \\texttt{ldl}" in tex
    assert "The smallest margin is $\\kappa_s = " in tex
    text = flat(pdf_text(compile_ok(tmp_path, tex).path))
    assert "theother12regions:seeevidence.piecesinthecertificate" in text


@pytest.mark.parametrize("tamper,step,message", [
    (lambda c: c["evidence"]["pieces"][3].update(tau="1000000000000000000000"), "hessian bound",
     "τ²‖A‖_F²ρ² ≤ κ²"),
    (lambda c: c["evidence"]["row_norms"].__setitem__(0, "1"), "gradient bound", "r_0 ≥ ‖A⁺u_0‖"),
    (lambda c: c["evidence"]["pieces"].pop(), "regions", "every one of the 2^M sign vectors"),
    (lambda c: c["evidence"]["pieces"][0]["multipliers"].__setitem__(1, "1/1000000"), "gradient bound",
     "A e_s = 0"),
])
def test_kink_ball_false_statements_are_refused(kink_cert, tamper, step, message):
    """τ = 10^21 breaks τ²‖A‖_F²ρ² ≤ κ² (κ ≈ 0.015, ‖A‖_F ρ ≈ 2.5·10^-15); r_0 = 1 < √(3/2); a missing
    region; a multiplier that is not the least-squares one. The checker rejects each, and the typesetter
    alone refuses to state the false inequality."""
    bad = json.loads(json.dumps(kink_cert))
    tamper(bad)
    with pytest.raises(checker.CertificateInvalid, match=step):
        latex.verify(bad)
    with pytest.raises(LatexError, match=re.escape(message)):
        latex.render(bad, b"", "bad.json")


def test_larger_network_is_summarised(tmp_path, certs):
    """P = 16: one determinant form of order 8 instead of all, the float Cholesky witness described, no H_0."""
    cert = certs["interior_16"]
    assert cert["evidence"]["pd"]["method"] == "cholesky"
    tex = latex.proof_from_file(save(tmp_path, cert))
    assert tex.count("\\qquad B_{") == 1 and "The other 2 matrices" in tex
    assert "Rump" in tex and "runs to completion" in tex and "H_0 = \\begin{pmatrix}" not in tex
    text = flat(pdf_text(compile_ok(tmp_path, tex).path))
    assert "ρ=1/210andμ=1" in text and "∥∇L(c)∥2/μ=0" in text and "Thenetworkhasnosignconditions(identityactivation)" in text


# ---------------------------------------------------------------------------------------------------
# the command line


def test_cli_prints_writes_and_compiles(tmp_path, certs, monkeypatch):
    path = save(tmp_path, certs["interior"], "chain.cert.json")
    runner = CliRunner()
    shown = runner.invoke(main, ["latex", path])
    assert shown.exit_code == 0 and shown.output.startswith("\\documentclass")
    out = tmp_path / "proof.tex"
    written = runner.invoke(main, ["latex", path, "-o", str(out), "--pdf"])
    assert written.exit_code == 0, written.output
    assert out.read_text(encoding="utf-8") == shown.output
    assert (tmp_path / "proof.pdf").read_bytes().startswith(b"%PDF")
    assert "proof.pdf (" in written.output
    monkeypatch.chdir(tmp_path)
    alone = runner.invoke(main, ["latex", "chain.cert.json", "--pdf"])
    assert alone.exit_code == 0 and (tmp_path / "chain.pdf").exists() and "\\documentclass" not in alone.output


def test_cli_refuses_an_invalid_certificate_and_writes_nothing(tmp_path, certs):
    """μ = 1 exceeds what the Hessian (eigenvalues ≈ 1 and 3) allows with δ: the checker says INVALID."""
    bad = json.loads(json.dumps(certs["interior"]))
    bad["mu"] = "1"
    out = tmp_path / "proof.tex"
    result = CliRunner().invoke(main, ["latex", save(tmp_path, bad), "-o", str(out)])
    assert result.exit_code == 1
    assert result.output.startswith("INVALID: hessian bound") and len(result.output.splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("content,message", [(None, "cannot read"), (b"{not json", "not valid JSON"),
                                             (b"\xff\xfe", "cannot read")])
def test_cli_unreadable_is_exit_2(tmp_path, content, message):
    path = tmp_path / "c.json"
    if content is not None:
        path.write_bytes(content)
    result = CliRunner().invoke(main, ["latex", str(path)])
    assert result.exit_code == 2 and message in result.output and result.output.startswith("Error: ")


def test_cli_without_pdflatex_says_so_in_one_line(tmp_path, certs, monkeypatch):
    monkeypatch.setattr(latex.shutil, "which", lambda name: None)
    out = tmp_path / "proof.tex"
    result = CliRunner().invoke(main, ["latex", save(tmp_path, certs["interior"]), "-o", str(out), "--pdf"])
    assert result.exit_code == 2
    assert result.output.strip().startswith("Error: pdflatex: not found") and len(result.output.splitlines()) == 1
    assert not out.exists()


def test_pdflatex_failure_is_reported_with_its_error_line(tmp_path):
    with pytest.raises(LatexError, match=r"pdflatex: failed .*Undefined control sequence"):
        latex.compile_pdf("\\documentclass{article}\\begin{document}\\nosuchmacro\\end{document}",
                          str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()


def test_write_proof_for_the_demo(tmp_path, certs):
    cert = certs["interior"]
    path = save(tmp_path, cert)
    written = latex.write_proof(cert, open(path, "rb").read(), str(tmp_path / "demo.tex"), path)
    assert written == [str(tmp_path / "demo.tex")]
    assert f"\\texttt{{pscert check}} {escape_text(path)}" in (tmp_path / "demo.tex").read_text(encoding="utf-8")
    bad = dict(cert, radius="1")
    with pytest.raises(checker.CertificateInvalid):
        latex.write_proof(bad, b"", str(tmp_path / "bad.tex"))
    assert not (tmp_path / "bad.tex").exists()


def test_render_refuses_a_false_statement(certs):
    """An unchecked certificate whose gradient bound fails (ρ shrunk 2^20-fold) is never typeset."""
    bad = json.loads(json.dumps(certs["interior"]))
    bad["radius"] = str(Fraction(bad["radius"]) / 2 ** 20)
    with pytest.raises(checker.CertificateInvalid):
        latex.verify(bad)
    with pytest.raises(LatexError, match="does not hold"):
        latex.render(bad, b"", "bad.json")


# ---------------------------------------------------------------------------------------------------
# user strings and numbers


def test_problem_name_is_rendered_literally(tmp_path, certs):
    cert = json.loads(json.dumps(certs["interior"]))
    cert["problem"]["name"] = EVIL
    path = save(tmp_path, cert, "we ird_%name$.json")
    tex = latex.proof_from_file(path)
    assert "\\input{" not in tex.replace("\\input{glyphtounicode}", "")
    assert tex.count("\\end{document}") == 1
    text = flat(pdf_text(compile_ok(tmp_path, tex).path))
    assert flat(EVIL.replace("λ", "<U+03BB>")) in text
    assert "weird_%name$.json" in text


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_escape_text_leaves_only_inert_tokens(text):
    """After removing the escapes it emits, only letters and digits remain: nothing TeX could expand."""
    out = escape_text(text)
    assert out.startswith("\\texttt{") and out.endswith("}")
    rest = re.sub(r"\{\\char\d+\}|\\ |\\allowbreak\{\}|U\+[0-9A-F]{4,6}", "", out[8:-1])
    assert re.fullmatch(r"[A-Za-z0-9]*", rest), rest


@settings(max_examples=200, deadline=None)
@given(st.fractions(max_denominator=10 ** 30).filter(lambda q: q != 0), st.integers(1, 12))
def test_decimal_is_a_truncation(q, digits):
    """Parsing the printed digits back gives a value v with |v| ≤ |q| < |v| + one unit in the last place."""
    text = decimal(q, digits)
    exact = "\\ldots" not in text
    m = re.fullmatch(r"(-?)([\d\\,.]+)(?:\\ldots)?(?:\\cdot 10\^\{(-?\d+)\})?", text)
    assert m, text
    body = m.group(2).replace("\\,", "")
    v = Fraction(body) * (Fraction(10) ** int(m.group(3)) if m.group(3) else 1)
    scale = Fraction(10) ** -(len(body.split(".")[1]) if "." in body else 0)
    ulp = scale * (Fraction(10) ** int(m.group(3)) if m.group(3) else 1)
    assert (m.group(1) == "-") == (q < 0)
    if exact:
        assert v == abs(q)
    else:
        assert v < abs(q) < v + ulp


def test_integer_and_rational_forms():
    """Digit counts: 3^80 has 39 digits; powers of two and ten are named; short values are exact."""
    assert integer(3 ** 80) == "147\\,808\\ldots601_{\\langle 39\\rangle}"
    assert integer(2 ** 251) == "2^{251}" and integer(10 ** 40) == "10^{40}" and integer(1000) == "1000"
    assert rational(Fraction(-7, 2 ** 30), inline=True) == "-7/2^{30}"
    assert rational(Fraction(10 ** 20 + 1, 3)) == "\\frac{100\\,000\\ldots001_{\\langle 21\\rangle}}{3}"


# ---------------------------------------------------------------------------------------------------
# a minimal PDF text extractor (pdfTeX output: object streams, Flate, ToUnicode maps)

_OBJ = re.compile(rb"(\d+)\s+0\s+obj\b(.*?)endobj", re.S)
_TOKEN = re.compile(rb"\((?:\\.|[^\\)])*\)|\[|\]|/[^\s/\[\]()<>]+|-?\d*\.?\d+|[A-Za-z'\"*]+", re.S)
_NUMBER = re.compile(rb"-?\d*\.?\d+")
_ESC = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    objs: dict[int, tuple[bytes, bytes | None]] = {}
    for m in _OBJ.finditer(pdf):
        head, sep, rest = m.group(2).partition(b"stream")
        data = None
        if sep:
            raw = rest.lstrip(b"\r\n")
            raw = raw[: raw.rfind(b"endstream")]
            data = zlib.decompress(raw) if b"FlateDecode" in head else raw
        objs[int(m.group(1))] = (head, data)
    for head, data in list(objs.values()):
        if b"/ObjStm" in head and data is not None:
            first = int(re.search(rb"/First\s+(\d+)", head).group(1))
            nums = list(map(int, data[:first].split()))
            pairs = list(zip(nums[::2], nums[1::2]))
            for k, (num, off) in enumerate(pairs):
                end = pairs[k + 1][1] if k + 1 < len(pairs) else len(data) - first
                objs[num] = (data[first + off: first + end], None)
    return objs


def _ref(text: bytes, key: bytes) -> int | None:
    m = re.search(rb"/" + key + rb"\s+(\d+)\s+0\s+R", text)
    return int(m.group(1)) if m else None


def _cmap(data: bytes) -> dict[int, str]:
    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for a, b, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            for k, code in enumerate(range(int(a, 16), int(b, 16) + 1)):
                out[code] = chr(int(dst, 16) + k)
    return out


def _string(tok: bytes) -> bytes:
    body, out, i = tok[1:-1], bytearray(), 0
    while i < len(body):
        if body[i:i + 1] == b"\\":
            octal = re.match(rb"[0-7]{1,3}", body[i + 1:i + 4])
            if octal:
                out.append(int(octal.group(0), 8) & 255)
                i += 1 + len(octal.group(0))
                continue
            out += _ESC.get(body[i + 1:i + 2], body[i + 1:i + 2])
            i += 2
            continue
        out += body[i:i + 1]
        i += 1
    return bytes(out)


def pdf_text(path: str) -> str:
    """The text of a pdfTeX PDF in reading order; lines end where the text moves down a line."""
    with open(path, "rb") as fh:
        objs = _objects(fh.read())
    out: list[str] = []
    for n in sorted(n for n, (h, _) in objs.items() if re.search(rb"/Type\s*/Page\b", h)):
        head = objs[n][0]
        res = objs[_ref(head, b"Resources")][0] if _ref(head, b"Resources") else head
        fonts = re.search(rb"/Font\s*(<<.*?>>|\d+\s+0\s+R)", res, re.S).group(1)
        if fonts.endswith(b"R"):
            fonts = objs[int(fonts.split()[0])][0]
        maps = {}
        for name, num in re.findall(rb"/([^\s/]+)\s+(\d+)\s+0\s+R", fonts):
            tu = _ref(objs[int(num)][0], b"ToUnicode")
            maps[name] = _cmap(objs[tu][1] or b"") if tu else {}
        contents = re.search(rb"/Contents\s*(\[.*?\]|\d+\s+0\s+R)", head, re.S).group(1)
        current: dict[int, str] = {}
        for c in map(int, re.findall(rb"(\d+)\s+0\s+R", contents)):
            stack: list[bytes] = []
            for tok in _TOKEN.findall(objs[c][1] or b""):
                if tok in (b"Tj", b"TJ", b"'", b'"'):
                    for item in stack:
                        if item.startswith(b"("):
                            out.append("".join(current.get(b, chr(b)) for b in _string(item)))
                        elif _NUMBER.fullmatch(item) and float(item) < -200:
                            out.append(" ")
                elif tok == b"Tf" and len(stack) >= 2:
                    current = maps.get(stack[-2][1:], {})
                elif tok in (b"Td", b"TD", b"T*", b"Tm"):
                    if tok == b"T*" or (len(stack) >= 2 and abs(float(stack[-1])) > 6):
                        out.append("\n")
                elif tok in (b"[", b"]"):
                    continue
                elif not re.fullmatch(rb"[A-Za-z'\"*]+", tok):
                    stack.append(tok)
                    continue
                stack = []
    return "".join(out)


# ---------------------------------------------------------------------------------------------------
# collapsed_layer: every hidden unit dead


@pytest.fixture(scope="module")
def dead_cert() -> dict:
    """The trained 1-3-1 network of tests/data/dead_layer.json, collapsed by λ = 1/20 (mean, N = 6).

    At the snapped centre every hidden parameter is 0 and the output bias is b* = αΣy_j/(αN + λ)
    = (1/60)/(1 + 1/20) = 1/63. Each x̃_j = (x_j, 1), so Σ‖x̃_j‖² = 6 + 1 + 16/25 + 1/25 + 4/25 + 1/100
    + 81/100 = 433/50 and N·Σ‖x̃_j‖² = 1299/25; μ' = min(1 + 1/20, ε) = ε = 7/2000."""
    cert = generated(load_problem("tests/data/dead_layer.json"))
    assert cert["evidence"]["method"] == "collapsed_layer"
    return cert


def test_collapsed_layer_proof(tmp_path, dead_cert):
    """``pscert latex`` typesets it: compiles, and the theorem states ρ = 1/1024, μ = 7/2000, b* = 1/63."""
    path = save(tmp_path, dead_cert)
    result = CliRunner().invoke(main, ["latex", path])
    assert result.exit_code == 0, result.output
    tex = result.output
    assert dead_cert["radius"] == "1/1024" and dead_cert["mu"] == "7/2000"
    assert "b^* = \\frac{1}{63}" in tex and "= \\frac{1299}{25}" in tex
    assert "\\mu' = \\min(\\alpha N + \\lambda_b, \\varepsilon) = \\frac{7}{2000}" in tex
    assert all(f"\\texttt{{{c['signs']}}} & $" in tex for c in dead_cert["evidence"]["cells"])
    for name in ("The exact centre", "The homogeneous expansion", "The cells of a dead unit",
                 "The quadratic and cubic terms"):
        assert f"\\begin{{lemma}}[{name}]" in tex
    text = flat(pdf_text(compile_ok(tmp_path, tex).path))
    assert "ρ=1/210andμ=7/2000" in text
    assert "cistheonlylocalminimumofLintheclosedball" in text and "itisstrict" in text


def test_collapsed_layer_tables_are_abbreviated(tmp_path, dead_cert, monkeypatch):
    """With room for 4 rows: 12 cells → 4 and 8 more, 20 excluded patterns → 4 and 16 more; still compiles."""
    import proofs.methods.collapsed_layer
    monkeypatch.setattr(proofs.methods.collapsed_layer, "CELL_ROWS", 4)
    tex = latex.render(dead_cert, b"", "d.json")
    assert "the other 8 cells: see \\texttt{evidence.cells}" in tex
    assert "the other 16 patterns: see \\texttt{evidence.empty}" in tex
    compile_ok(tmp_path, tex)


@pytest.mark.parametrize("tamper,step,message", [
    (lambda c: c["evidence"]["cells"][0]["plus"].__setitem__(1, "0"), "hessian bound", "‖±m_S − y±‖²"),
    (lambda c: c["evidence"].update(x_sum="7"), "hessian bound", "x_sum² ≥ N·Σ‖x̃_j‖²"),
    (lambda c: c["evidence"]["cells"].pop(), "regions", "the case split covers every sign string (regions: the region with "
     "kink signs 000000 is neither listed"),
    (lambda c: c.update(mu="1/100"), "mu", "μ ≤ 2(μ' − α·x_sum·ρ)"),
    (lambda c: c["center"]["biases"][1].__setitem__(0, "1/64"), "gradient bound", "α Σ_j r_j + λ_b b* = 0"),
])
def test_collapsed_layer_false_statements_are_refused(dead_cert, tamper, step, message):
    """A dropped polar witness (cell 111111 then has ‖m_S‖² > (λ − ε)²), x_sum = 7 < √(1299/25) ≈ 7.21, the
    cell 000000 missing, μ = 1/100 > 2μ' and a non-critical output bias: the checker rejects each, and
    the typesetter alone refuses to state the false inequality."""
    bad = json.loads(json.dumps(dead_cert))
    tamper(bad)
    with pytest.raises(checker.CertificateInvalid, match=step):
        latex.verify(bad)
    with pytest.raises(LatexError, match=re.escape(message)):
        latex.render(bad, b"", "bad.json")


def test_boundary_proof_with_excluded_sign_vectors_compiles(tmp_path):
    """Two dead units on three kinks each (``dead_layer_vector.json``): the case split excludes sign
    vectors per unit, with Gordan vectors of one entry per constraint and 0 on ``*`` (the checker's
    format). The proof lists each exclusion and compiles; a Gordan vector that is nonzero on a ``*``
    entry or sums to a nonzero vector is refused."""
    cert = generated(load_problem(str(Path(__file__).parent / "data" / "dead_layer_vector.json")))
    assert cert["evidence"]["method"] == "boundary_ball" and cert["evidence"]["empty"]
    gordan = cert["evidence"]["empty"][0]
    assert "*" in gordan["signs"] and len(gordan["gordan"]) == len(cert["evidence"]["constraints"])
    data = json.dumps(cert).encode()
    tex = latex.render(cert, data, "vector.cert.json")
    assert tex.count("\\texttt{" + gordan["signs"] + "}") >= 1
    compile_ok(tmp_path, tex)
    star = gordan["signs"].index("*")
    for mutate in (lambda y: y.__setitem__(star, "1"), lambda y: y.__setitem__(y.index(next(v for v in y if v != "0")), "7")):
        bad = copy.deepcopy(cert)
        mutate(bad["evidence"]["empty"][0]["gordan"])
        with pytest.raises(LatexError, match="y ≥ 0, y ≠ 0|Σ y_m s_m a_m = 0"):
            latex.render(bad, data, "bad.cert.json")


@pytest.mark.parametrize("name,phrase", [("chain_minimum_congruence", "Gershgorin"),
                                         ("chain_minimum_cholesky", "runs to completion"),
                                         ("chain_minimum_cholesky_hair", "does not decide this matrix")])
def test_each_positive_definiteness_witness_is_described(name, phrase):
    """The lemma names the route the checker took: congruence, the float Cholesky test, or its exact
    fallback for a matrix positive definite by a hair."""
    path = Path(__file__).parent / "certs" / "good" / f"{name}.json"
    assert phrase in latex.proof_from_file(str(path))
