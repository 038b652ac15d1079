"""Shared fixtures and suite-wide settings.

- ``small()``: a tiny market (micro and macro influencers) that runs in well under a second.
- Hypothesis keeps no example database and its caches in the system's temporary folder, not in
  the repository; examples are derandomized, so a failure is reproduced by rerunning the test.
- A test marked ``browser`` is also ``slow``: ``pytest -m "not slow"`` is the fast loop.
- Tests write only under ``tmp_path``: a file that appears in the repository during the session
  (outside caches) fails the session and is named.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

from sim.core.scenario import scenario_from_dict

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / f"wom-hypothesis-{os.getuid()}")
settings.register_profile("wom", database=None, derandomize=True, deadline=None)
settings.load_profile("wom")


REPOSITORY = Path(__file__).resolve().parents[1]
NOT_WATCHED = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache"}
BEFORE = pytest.StashKey[set]()
WRITTEN = pytest.StashKey[list]()


def repository_files() -> set[str]:
    found = set()
    for folder, subfolders, files in os.walk(REPOSITORY):
        subfolders[:] = [d for d in subfolders if d not in NOT_WATCHED and not d.endswith(".egg-info")]
        found.update(os.path.relpath(os.path.join(folder, f), REPOSITORY) for f in files)
    return found


def pytest_sessionstart(session):
    session.config.stash[BEFORE] = repository_files()


def pytest_sessionfinish(session):
    new = sorted(repository_files() - session.config.stash.get(BEFORE, set()))
    session.config.stash[WRITTEN] = new
    if new:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config):
    new = config.stash.get(WRITTEN, [])
    if new:
        terminalreporter.section("tests wrote into the repository (write under tmp_path)", red=True)
        for path in new[:20]:
            terminalreporter.write_line(path)


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


def small(**sections) -> dict:
    """A tiny market with micro and macro influencers; sections override key by key."""
    data = {
        "name": "small",
        "seed": 11,
        "replications": 2,
        "market": {"population": 20_000, "consumers": 400, "days": 30},
        "network": {"kind": "niches", "mean_degree": 8, "niches": 4},
        "budget": {"total": 20_000, "split": {"micro": 0.5, "macro": 0.5}},
        "word_of_mouth": {"q": 8.0},
        "influence": {"conversion": 0.05},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return data


@pytest.fixture
def small_scenario():
    return scenario_from_dict(small(), "small.toml")
