"""Bad input: one line naming file, key, value and what is allowed; exit 2; nothing written."""

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app

runner = CliRunner()

CASES = {
    "malformed_toml": ("[market\ndays = 3\n", ["(syntax)", "valid TOML"]),
    "unknown_key": ("[market]\ndayz = 30\n", ["market.dayz", "did you mean 'days'"]),
    "unknown_section": ("[netwrok]\nkind = 'complete'\n", ["netwrok", "did you mean 'network'"]),
    "unknown_tier": ("[tiers.mikro]\ntrust = 0.5\n", ["tiers.mikro", "did you mean 'micro'"]),
    "out_of_range": ("[market]\ndays = -4\n", ["market.days = -4", "greater than or equal to 1"]),
    "wrong_type": ("seed = 'abc'\n", ["seed = 'abc'", "integer"]),
    "bad_choice": ("[network]\nkind = 'smallworld'\n", ["network.kind", "'watts_strogatz'"]),
    "shares_not_one": ("[budget]\nsplit = { micro = 0.5, macro = 0.4 }\n", ["budget.split", "sum to 1"]),
    "below_post_cost": (
        "[budget]\ntotal = 3000\nsplit = { macro = 1.0 }\n",
        ["budget.split.macro", "below one post's cost"],
    ),
    "missing_graph": ("[network]\nkind = 'file'\npath = 'nowhere.edgelist'\n", ["network.path", "no such graph file"]),
    "malformed_graph": (
        "[network]\nkind = 'file'\npath = 'bad.edgelist'\n",
        ["bad.edgelist", "line 2", "'source target'"],
    ),
    "bad_graphml": ("[network]\nkind = 'file'\npath = 'bad.graphml'\n", ["bad.graphml", "GraphML"]),
    "bad_variant": ("[variants.a.budget]\nsplt = 1\n", ["variants.a.budget.splt", "did you mean 'split'"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_clear_line(case, tmp_path, monkeypatch):
    text, expected = CASES[case]
    (tmp_path / "bad.edgelist").write_text("1 2\n3\n")
    (tmp_path / "bad.graphml").write_text("<graphml><graph>\n")
    scenario = tmp_path / f"{case}.toml"
    scenario.write_text(text)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", str(scenario), "-r", "1"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"error: {scenario}") or lines[0].startswith("error: ")
    for fragment in expected:
        assert fragment in lines[0], lines[0]
    assert not (tmp_path / "results").exists()  # nothing written


def test_real_process_prints_no_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[market]\nconsumers = 5\n")
    wom = Path(sys.executable).with_name("wom")
    proc = subprocess.run(
        [str(wom), "run", str(bad), "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "market.consumers = 5" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_scenario_show_reports_errors_the_same_way(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[consumers]\nsatisfaction = 2\n")
    result = runner.invoke(app, ["scenario", "show", str(bad)])
    assert result.exit_code == 2
    assert "consumers.satisfaction = 2" in result.output
