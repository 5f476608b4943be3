"""``pscert demo``: the whole job on the built-in example, from any working directory."""

import json

from click.testing import CliRunner

from cli import main
from proofs import checker


def test_demo_proves_checks_and_writes_the_proof(tmp_path):
    """The built-in chain (x = y = 1, λ = 1/4) has its minimum at a = b = √3/2: CERTIFIED, exit 0."""
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("CERTIFIED: isolated_local_minimum")
    cert = json.loads((out / "chain.cert.json").read_text())
    assert checker.check_certificate(cert).startswith("VALID: CERTIFIED isolated_local_minimum")
    tex = (out / "chain.proof.tex").read_text()
    assert r"\begin{theorem}" in tex and "pscert check" in tex
    assert (out / "chain.proof.pdf").exists()  # pdflatex is part of the test environment (.ci/run)


def test_demo_output_directory_that_is_a_file_is_one_error_line(tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("not a directory")
    result = CliRunner().invoke(main, ["demo", "--out", str(blocker)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
