"""Regression tests from the soundness review of the checker: crashes and loose acceptance."""

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name, line", [
    ("surrogate_key.json", 'INVALID: format: ["\\ud800"]: unknown key'),
    ("huge_widths.json", "INVALID: limits: problem.network.widths: must give at most 3000 parameters"),
    ("psc_radius.json", "INVALID: radius: must be 0 for a claim about a set, not a ball (got 1000)"),
])
def test_reviewed_certificates_get_one_rejection_line(name, line):
    """A lone surrogate in a key used to crash the output; widths [1, 10⁵, 10⁵, 10⁵, 1] used to build a
    2·10¹⁰-entry list; a set claim used to accept any radius."""
    result = CliRunner().invoke(main, ["check", str(DATA / name)])
    assert result.exit_code == 1
    assert result.output.startswith(line), result.output
    proc = subprocess.run([sys.executable, "-m", "proofs.checker", str(DATA / name)], capture_output=True,
                          text=True, cwd=Path(__file__).parent.parent)
    assert proc.returncode == 1 and proc.stdout.startswith(line), proc.stdout + proc.stderr


def test_check_json_reports_validity_and_the_failed_step():
    runner = CliRunner()
    bad = runner.invoke(main, ["check", "--json", str(DATA / "psc_radius.json")])
    assert bad.exit_code == 1
    assert '"valid": false' in bad.output and '"step": "radius"' in bad.output
    good = runner.invoke(main, ["check", "--json", str(Path(__file__).parent / "certs" / "good" / "chain_minimum.json")])
    assert good.exit_code == 0 and '"valid": true' in good.output, good.output


def test_another_certificate_format_version_is_unreadable_not_invalid():
    """A version this checker does not know is not its to judge: exit 2 with one line naming the file."""
    path = Path(__file__).parent / "certs" / "unreadable" / "wrong_format_version.json"
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    assert result.output == f'Error: {path}: format: version must be "pscert.certificate/1" (got "pscert.certificate/2")\n'
