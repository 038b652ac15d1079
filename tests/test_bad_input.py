"""Bad input, as an outside tester tried it: every case is one line naming what is wrong, exit
code 2, no traceback and nothing written; degenerate but valid worlds run to a report that says
what is degenerate. The harness is ``tests/badinput.py``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim.core import files
from tests.badinput import assert_refused, run_wom, snapshot

PLAIN_NAME = "must be a plain name"

# Scenario files that must be refused: (TOML text, fragments the error line must contain).
SCENARIOS: dict[str, tuple[str, list[str]]] = {
    # syntax and structure
    "malformed_toml": ("[market\ndays = 3\n", ["(syntax)", "valid TOML"]),
    "duplicate_key": ("seed = 1\nseed = 2\n", ["(syntax)"]),
    "unknown_key": ("[market]\ndayz = 30\n", ["market.dayz", "did you mean 'days'"]),
    "unknown_section": ("[netwrok]\nkind = 'complete'\n", ["netwrok", "did you mean 'network'"]),
    "unknown_tier": ("[tiers.mikro]\ntrust = 0.5\n", ["tiers.mikro", "did you mean 'micro'"]),
    "tier_of_other_preset": ("[tiers]\npreset = 'later_fohr'\n[tiers.nano]\ntrust = 0.5\n", ["tiers.nano"]),
    "section_not_table": ("market = 5\n", ["market = 5"]),
    "preset_not_text": ("[tiers]\npreset = []\n", ["tiers.preset = []", "'stim'"]),
    "preset_unknown_with_tier": ("[tiers]\npreset = 'nope'\n[tiers.micro]\ntrust = 0.5\n", ["tiers.preset = 'nope'"]),
    "variant_with_variants": ("[variants.a.variants.b]\nseed = 1\n", ["variants.a.variants", "cannot have variants"]),
    "variants_not_table": ("variants = 5\n", ["variants = 5", "dictionary"]),
    "variant_not_table": ("[variants]\na = 5\n", ["variants.a = 5"]),
    "bad_variant_key": ("[variants.a.budget]\nsplt = 1\n", ["variants.a.budget.splt", "did you mean 'split'"]),
    "bad_variant_value": ("[variants.a.market]\ndays = 0\n", ["variants.a.market.days = 0"]),
    "nested_60_deep": ("a = " + "[" * 60 + "]" * 60 + "\n", ["(nesting) = '61 levels'", "at most 50"]),
    "inline_array_50000_deep": ("a = " + "[" * 50_000 + "]" * 50_000 + "\n", ["(nesting)", "at most 50"]),
    "table_header_3000_deep": ("[" + ".".join(["a"] * 3000) + "]\n", ["(nesting) = '3001 levels'"]),
    "experiment_table": (
        "[experiment]\ndesign = 'grid'\n",
        ["experiment = ", "wom compare or wom sweep", "not wom run"],
    ),
    "plan_table": ("[plan]\nx = 1\n", ["plan = ", "wom plan"]),
    # names that could act as paths
    "empty_name": ('name = ""\n', ["name = ''", PLAIN_NAME]),
    "absolute_name": ('name = "/some/dir"\n', ["name = '/some/dir'", PLAIN_NAME]),
    "dotdot_name": ('name = "../up"\n', [PLAIN_NAME]),
    "hidden_name": ('name = ".results"\n', [PLAIN_NAME]),
    "name_with_slash": ('name = "a/b"\n', [PLAIN_NAME]),
    "name_not_text": ("name = 5\n", ["name = 5", "string"]),
    "variant_dotdot": ('[variants."../x".market]\ndays = 5\n', ["variants = '../x'", PLAIN_NAME]),
    "variant_with_slash": ('[variants."a/b".market]\ndays = 5\n', ["variants = 'a/b'", PLAIN_NAME]),
    "variant_name_empty": ('[variants.""]\nseed = 1\n', ["variants = ''", PLAIN_NAME]),
    # values: types
    "days_true": ("[market]\ndays = true\n", ["market.days = true", "whole number, not true or false"]),
    "price_false": ("[market]\nprice = false\n", ["market.price = false", "not true or false"]),
    "bool_from_int": ("[referral]\nenabled = 1\n", ["referral.enabled = 1", "boolean"]),
    "days_fraction": ("[market]\ndays = 30.5\n", ["market.days = 30.5", "integer"]),
    "days_text": ("[market]\ndays = '30'\n", ["market.days = '30'", "integer"]),
    "seed_text": ("seed = 'abc'\n", ["seed = 'abc'", "integer"]),
    "kind_unknown": ("[network]\nkind = 'smallworld'\n", ["network.kind", "'watts_strogatz'"]),
    "niche_true": ("[hiring]\nniches = [true]\n", ["hiring.niches.0 = true"]),
    # values: inf and nan
    "budget_inf": ("[budget]\ntotal = inf\n", ["budget.total = inf", "finite"]),
    "price_inf": ("[market]\nprice = inf\n", ["market.price = inf", "finite"]),
    "margin_inf": ("[market]\nunit_margin = inf\n", ["market.unit_margin = inf", "finite"]),
    "reward_inf": ("[referral]\nreward = inf\n", ["referral.reward = inf", "finite"]),
    "split_nan": ("[budget]\nsplit = { micro = nan, macro = 1.0 }\n", ["budget.split.micro = nan", "finite"]),
    "trust_nan": ("[tiers.micro]\ntrust = nan\n", ["tiers.micro.trust = nan", "finite"]),
    "q_minus_inf": ("[word_of_mouth]\nq = -inf\n", ["word_of_mouth.q = -inf", "finite"]),
    # values: bounds
    "days_negative": ("[market]\ndays = -4\n", ["market.days = -4", "greater than or equal to 1"]),
    "days_over_a_century": ("[market]\ndays = 36501\n", ["market.days = 36501", "less than or equal to 36500"]),
    "followers_1e18_float": ("[tiers.micro]\nfollowers_max = 1e18\n", ["tiers.micro.followers_max"]),
    "followers_over_bound": ("[tiers.mega]\nfollowers_max = 10_000_000_000\n", ["tiers.mega.followers_max"]),
    "followers_inverted": ("[tiers.micro]\nfollowers_min = 60_000\n", ["followers_max must exceed"]),
    "candidates_1e12": ("[marketplace]\ncandidates = { micro = 1_000_000_000_000 }\n", ["candidates.micro", "100000"]),
    "candidates_negative": ("[marketplace]\ncandidates = { micro = -1 }\n", ["candidates.micro = -1"]),
    "budget_over_bound": ("[budget]\ntotal = 1e13\n", ["budget.total", "1000000000000"]),
    "population_over_bound": ("[market]\npopulation = 100_000_000_000\n", ["market.population"]),
    "consumers_too_few": ("[market]\nconsumers = 5\n", ["market.consumers = 5"]),
    "consumers_over_population": ("[market]\npopulation = 100\nconsumers = 200\n", ["must not exceed population"]),
    "price_over_bound": ("[market]\nprice = 1e7\n", ["market.price"]),
    "cost_per_follower_over_bound": ("[tiers.micro]\ncost_per_follower = 100.0\n", ["cost_per_follower"]),
    "seed_negative": ("seed = -1\n", ["seed = -1"]),
    "seed_2_63": ("seed = 9223372036854775808\n", ["seed", "less than 9223372036854775808"]),
    "replications_zero": ("replications = 0\n", ["replications = 0"]),
    "replications_over_bound": ("replications = 100001\n", ["replications = 100001"]),
    "interval_zero": ("[contracts]\ninterval_days = 0\n", ["contracts.interval_days = 0"]),
    "start_after_a_century": ("[contracts]\nstart_day = 40000\n", ["contracts.start_day = 40000"]),
    "attribution_window_huge": ("[influence]\nattribution_window = 100000\n", ["influence.attribution_window"]),
    "niche_negative": ("[hiring]\nniches = [-1]\n", ["hiring.niches.0 = -1"]),
    "description_too_long": (f'description = "{"x" * 10_001}"\n', ["description", "at most 10000"]),
    # cross-checks
    "shares_not_one": ("[budget]\nsplit = { micro = 0.5, macro = 0.4 }\n", ["budget.split", "sum to 1"]),
    "below_post_cost": ("[budget]\ntotal = 3000\nsplit = { macro = 1.0 }\n", ["budget.split.macro", "below one"]),
    "referral_over_budget": ("[referral]\nbudget = 60000.0\n", ["referral.budget", "exceeds budget.total"]),
    "file_graph_without_path": ("[network]\nkind = 'file'\n", ["network.path", "needs network.path"]),
    "missing_graph": ("[network]\nkind = 'file'\npath = 'nowhere.edgelist'\n", ["network.path", "no such graph"]),
    # sizes that multiply (sim.core.limits)
    "work_of_centuries": (
        "replications = 100000\n[market]\nconsumers = 2000000\npopulation = 2000000\ndays = 36500\n"
        "[network]\nmean_degree = 1000\n",
        ["(size)", "work units", "hours", "WOM_WORK_LIMIT="],
    ),
    "graph_too_big_for_memory": (
        "replications = 1\n[market]\nconsumers = 2000000\npopulation = 2000000\ndays = 1\n"
        "[network]\nmean_degree = 1000\n",
        ["(size)", "GB of memory", "WOM_MEMORY_GB="],
    ),
    "networkx_graph_too_big": (
        "replications = 1\n[market]\nconsumers = 2000000\npopulation = 2000000\ndays = 1\n"
        "[network]\nkind = 'barabasi_albert'\nmean_degree = 100\n",
        ["(size)", "GB of memory"],
    ),
    "variant_too_big": (
        "replications = 2\n[market]\nconsumers = 500\npopulation = 10000\ndays = 5\n"
        "[variants.huge]\nmarket = { consumers = 2000000, population = 2000000, days = 36500 }\n"
        "network = { mean_degree = 1000 }\n",
        ["(size)", "variant huge"],
    ),
}

# Files that are not scenario text: (how to make it inside tmp_path, fragments).
FILES = {
    "folder": (lambda d: d / "sub", ["is a folder"]),
    "dev_zero": (lambda d: Path("/dev/zero"), ["not a regular file"]),
    "fifo": (lambda d: d / "fifo.toml", ["not a regular file"]),
    "missing": (lambda d: d / "missing.toml", ["no such scenario file"]),
    "random_bytes": (lambda d: d / "random.toml", ["UTF-8"]),
    "utf16": (lambda d: d / "utf16.toml", ["byte 0xff", "UTF-8"]),
    "latin1": (lambda d: d / "latin1.toml", ["line 1", "byte 0xe9", "UTF-8"]),
    "nul_byte": (lambda d: d / "nul.toml", ["line 2", "NUL byte", "not binary"]),
    "over_10_mb": (lambda d: d / "big.toml", ["10.0 MB"]),
}


def _make_files(d: Path) -> None:
    (d / "sub").mkdir()
    os.mkfifo(d / "fifo.toml")
    (d / "random.toml").write_bytes(bytes(range(128, 256)) * 4)
    (d / "utf16.toml").write_text('name = "x"\n', encoding="utf-16")
    (d / "latin1.toml").write_bytes(b'name = "caf\xe9"\n')
    (d / "nul.toml").write_bytes(b"seed = 1\n\x00\n")
    with (d / "big.toml").open("wb") as fh:
        fh.truncate(files.SCENARIO_LIMIT + 1)


@pytest.mark.parametrize("case", sorted(SCENARIOS))
def test_bad_scenario_is_one_clear_line(case, tmp_path):
    text, expect = SCENARIOS[case]
    (tmp_path / "s.toml").write_text(text)
    assert_refused(["run", "s.toml", "-r", "1", "--out", "out"], tmp_path, ["error: s.toml: ", *expect])


@pytest.mark.parametrize("case", sorted(FILES))
@pytest.mark.parametrize("command", [["run"], ["scenario", "show"]])
def test_unreadable_scenario_file_is_one_clear_line(case, command, tmp_path):
    make, expect = FILES[case]
    _make_files(tmp_path)
    assert_refused([*command, make(tmp_path)], tmp_path, expect)


# Command lines that must be refused: (arguments, fragments). ``S`` is a valid scenario.
S = "s.toml"
COMMAND_LINES: dict[str, tuple[list[str], list[str]]] = {
    "replications_zero": (["run", S, "-r", "0"], ["'--replications'", "greater than or equal to 1", "wom run --help"]),
    "replications_negative": (["run", S, "-r", "-1"], ["'--replications'"]),
    "replications_1e9": (["run", S, "-r", "1000000000"], ["replications = 1000000000", "less than or equal to"]),
    "seed_text": (["run", S, "--seed", "abc"], ["'--seed'", "integer"]),
    "seed_negative": (["run", S, "--seed", "-5"], ["'--seed'"]),
    "seed_10_30": (["run", S, "--seed", str(10**30)], ["seed = 1000000000000000000000000000000"]),
    "engine_unknown": (["run", S, "--engine", "fast"], ["'--engine'", "'vector', 'agents'"]),
    "agents_engine_too_slow": (["run", "big.toml", "--engine", "agents"], ["(size)", "hours", "WOM_WORK_LIMIT"]),
    "unknown_option": (["run", S, "--bogus"], ["No such option: --bogus"]),
    "unknown_command": (["runn", S], ["No such command 'runn'"]),
    "missing_argument": (["run"], ["Missing argument"]),
    "show_unknown_option": (["scenario", "show", S, "-x"], ["No such option"]),
    "compare_workers_zero": (["compare", S, "--workers", "0"], ["'--workers'", "wom compare --help"]),
    "sweep_workers_negative": (["sweep", S, "-w", "-1"], ["'--workers'"]),
    "validate_only_unknown": (["validate", "--quick", "--only", "bogus", "--out", "v"], ["bogus"]),
    "animate_fps_zero": (["animate", S, "--fps", "0"], ["'--fps'"]),
    "app_port_zero": (["app", S, "--port", "0"], ["'--port'"]),
    "new_dotdot": (["scenario", "new", "../x"], ["NAME = '../x'", PLAIN_NAME]),
    "new_empty": (["scenario", "new", ""], ["NAME = ''", PLAIN_NAME]),
    "new_path": (["scenario", "new", "/tmp/x"], [PLAIN_NAME]),
    "new_existing": (["scenario", "new", "mine"], ["scenarios/mine.toml: already exists", "--force"]),
    "new_out_folder": (["scenario", "new", "a", "--out", "scenarios"], ["--out scenarios: is a folder"]),
    "new_out_under_file": (["scenario", "new", "a", "--out", "s.toml/a.toml"], ["cannot be created: s.toml is a file"]),
    "new_out_proc": (["scenario", "new", "a", "--out", "/proc/wom.toml"], ["--out /proc/wom.toml", "not writable"]),
    "new_out_device": (["scenario", "new", "a", "--out", "/dev/null", "--force"], ["not a regular file"]),
    "work_limit_env_not_a_number": (["run", S], ["WOM_WORK_LIMIT = 'lots'", "positive number"]),
    "memory_env_negative": (["run", S], ["WOM_MEMORY_GB = '-1'", "positive number"]),
    "out_name_too_long": (["run", S, "--out", "x" * 300], ["--out 'xxx", "cannot be used: File name too long"]),
    "new_out_name_too_long": (["scenario", "new", "a", "--out", "x" * 300], ["File name too long"]),
    "scenario_name_too_long": (["run", "x" * 300 + ".toml"], ["cannot read this scenario file: File name too long"]),
}
ENV = {"work_limit_env_not_a_number": {"WOM_WORK_LIMIT": "lots"}, "memory_env_negative": {"WOM_MEMORY_GB": "-1"}}
SMALL = "replications = 2\n[market]\nconsumers = 300\npopulation = 30000\ndays = 5\n"
BIG = "replications = 1\n[market]\nconsumers = 2000000\npopulation = 2000000\ndays = 3650\n"  # vector: ~15 min


@pytest.mark.parametrize("case", sorted(COMMAND_LINES))
def test_bad_command_line_is_one_clear_line(case, tmp_path):
    args, expect = COMMAND_LINES[case]
    (tmp_path / S).write_text(SMALL)
    (tmp_path / "big.toml").write_text(BIG)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.toml").write_text("# the user's own scenario\n")
    assert_refused(args, tmp_path, expect, env=ENV.get(case))


# Output folders that must be refused: (setup in tmp_path, --out value, fragments).
def _user_folder(d: Path) -> None:
    (d / "user").mkdir()
    (d / "user" / "notes.txt").write_text("the user's own notes")


def _validation_folder(d: Path) -> None:
    with files.replace_outputs(d / "checked", kind="validation") as staging:
        (staging / "report.md").write_text("# validation\n")


OUTPUTS = {
    "users_folder": (_user_folder, "user", ["--out user: holds files wom did not create"]),
    "a_file": (_user_folder, "user/notes.txt", ["--out user/notes.txt: is a file"]),
    "under_a_file": (_user_folder, "user/notes.txt/run", ["cannot be created: user/notes.txt is a file"]),
    "proc": (_user_folder, "/proc/wom-results", ["--out /proc/wom-results: is not writable"]),
    "dot_in_a_full_folder": (_user_folder, ".", ["--out .: holds files wom did not create"]),
    "another_kind_of_wom_folder": (_validation_folder, "checked", ["holds wom's validation results"]),
}


@pytest.mark.parametrize("case", sorted(OUTPUTS))
@pytest.mark.parametrize("variants", [False, True], ids=["plain", "variants"])
def test_output_folder_is_checked_before_any_work(case, variants, tmp_path):
    setup, out, expect = OUTPUTS[case]
    setup(tmp_path)
    text = SMALL + ("[variants.a]\nseed = 1\n[variants.b]\nseed = 2\n" if variants else "")
    (tmp_path / S).write_text(text)
    assert_refused(["run", S, "--out", out], tmp_path, expect)


def test_validate_refuses_a_users_folder_before_any_check(tmp_path):
    _user_folder(tmp_path)
    assert_refused(["validate", "--quick", "--only", "bass", "--out", "user"], tmp_path, ["--out user: holds files"])


def test_the_error_line_does_not_repeat_the_option():
    from sim.core.errors import InputError

    assert str(InputError("--out", "--out", "/tmp/x", "holds files")) == "--out /tmp/x: holds files"
    assert str(InputError("replications", "replications", 0, "must be >= 1")) == "replications = 0: must be >= 1"
    assert str(InputError("s.toml", "market.days", True, "no")) == "s.toml: market.days = true: no"
    assert str(InputError("big.toml", "(file)", "12.0 MB", "too big")) == "big.toml (12.0 MB): too big"
    assert "\n" not in str(InputError("s.toml", "name", "a\nb", "one line\nalways"))
    assert len(str(InputError("s.toml", "k", list(range(1000)), "x"))) < 120


# Degenerate but valid worlds: the run finishes and the report says, in words, what is degenerate.
DEGENERATE = {
    "population_1e10": (
        "[market]\npopulation = 10_000_000_000\nconsumers = 50\ndays = 5\n",
        "No sponsored view reached anyone",
    ),
    "self_loops_only": (
        "[market]\nconsumers = 50\npopulation = 5000\ndays = 5\n[network]\nkind = 'file'\npath = 'loops.txt'\n",
        "No ties",
    ),
    "one_node_graphml": (
        "[market]\nconsumers = 50\npopulation = 5000\ndays = 5\n[network]\nkind = 'file'\npath = 'one.graphml'\n",
        "No ties",
    ),
    "no_ties": (
        "[market]\nconsumers = 50\npopulation = 5000\ndays = 5\n[network]\nkind = 'erdos_renyi'\nmean_degree = 0.01\n",
        "No ties",
    ),
    "zero_budget": (
        "[market]\nconsumers = 50\npopulation = 5000\ndays = 5\n[budget]\ntotal = 0.0\n",
        "Nothing to spend",
    ),
    "nothing_affordable": (
        "[market]\nconsumers = 50\npopulation = 5000\ndays = 5\n[budget]\ntotal = 10.5\nsplit = { nano = 1.0 }\n"
        "[tiers.nano]\nfollowers_min = 1000\nfollowers_max = 1001\ncost_per_follower = 0.01\n"
        "[marketplace]\ncandidates = { nano = 1 }\n[contracts]\nposts = 1\n",
        # a post costs 10 USD nominally (so 10.5 USD passes the check), but the one candidate's fee,
        # spread around the nominal one, is 15.40 USD: nothing fits
        "Nothing could be spent",
    ),
}
ONE_NODE = (
    '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
    '<graph edgedefault="undirected"><node id="a"/></graph></graphml>'
)


QUICK_DEGENERATE = ("population_1e10", "zero_budget")


@pytest.mark.parametrize(
    "case", [c if c in QUICK_DEGENERATE else pytest.param(c, marks=pytest.mark.slow) for c in sorted(DEGENERATE)]
)
@pytest.mark.filterwarnings("error")  # a warning printed to the user's terminal is a defect too
def test_degenerate_world_runs_and_says_why(case, tmp_path):
    text, phrase = DEGENERATE[case]
    (tmp_path / "loops.txt").write_text("1 1\n2 2\n3 3\n")
    (tmp_path / "one.graphml").write_text(ONE_NODE)
    (tmp_path / S).write_text("replications = 2\n" + text)
    result = run_wom(["run", S, "--out", "out"], tmp_path)
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = (tmp_path / "out" / "report.md").read_text()
    assert phrase in report, report
    assert not re.search(r"\bnan\b", report), report


# The real console script, in a real process (a FIFO or a device must not hang it).
@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [["run", "fifo.toml"], ["run", "/dev/zero"], ["run", "s.toml", "--seed", "abc"], ["run", "s.toml", "--out", "."]],
    ids=["fifo", "dev_zero", "usage", "dot"],
)
def test_real_process_refuses_in_one_line(args, tmp_path):
    os.mkfifo(tmp_path / "fifo.toml")
    (tmp_path / "s.toml").write_text(SMALL)
    before = snapshot(tmp_path)
    wom = Path(sys.executable).with_name("wom")
    proc = subprocess.run([str(wom), *args], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ") and proc.stdout == ""
    assert snapshot(tmp_path) == before


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
    (tmp_path / S).write_text("[consumers]\nsatisfaction = 2\n")
    assert_refused(["scenario", "show", S], tmp_path, ["s.toml: consumers.satisfaction = 2"])
