"""The README is the front door: every file, command, option and Python name it shows must exist.

Catches the drift that happens when a scenario is renamed, a command or option is dropped, or the
public API changes, while the README still tells a new user to type the old thing.
"""

import inspect
import re
from pathlib import Path

import pytest
import typer.main

import sim
from sim.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, flags=re.S)
SHELL = [line for lang, body in BLOCKS if lang == "bash" for line in body.splitlines()]
PYTHON = "\n".join(body for lang, body in BLOCKS if lang == "python")
WRITTEN_BY_WOM = {"scenarios/my_launch.toml"}  # the README shows `wom scenario new` making it


def _commands() -> dict[str, list[str]]:
    """Each `wom` command and sub-command with the option names it accepts."""
    group = typer.main.get_command(app)
    found: dict[str, list[str]] = {}

    def walk(cmd, prefix: str) -> None:
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{prefix} {name}".strip())
        found[prefix] = [opt for p in cmd.params for opt in getattr(p, "opts", [])]

    walk(group, "")
    return found


def test_the_readme_shows_the_three_front_door_commands():
    """Set-up, the main job on a shipped scenario, and the test command."""
    assert any(line.startswith("bash setup.sh") for line in SHELL)
    assert any(line.startswith(".venv/bin/wom run scenarios/") for line in SHELL)
    assert any(line.startswith(".venv/bin/python -m pytest -q") for line in SHELL)


@pytest.mark.parametrize(
    "path", sorted(set(re.findall(r"\b((?:scenarios|data|docs|benchmarks)/[\w./-]+\.\w+)", README)))
)
def test_every_file_the_readme_names_exists(path):
    if path in WRITTEN_BY_WOM:
        return
    assert (ROOT / path).is_file(), f"README names {path}, which is not in the repository"


@pytest.mark.parametrize("line", [line for line in SHELL if line.startswith(".venv/bin/wom ")])
def test_every_wom_command_and_option_in_the_readme_exists(line):
    commands = _commands()
    words = line.split("#")[0].split()[1:]
    two = " ".join(words[:2])
    name = two if two in commands else words[0]
    assert name in commands, f"README line names no wom command: {line}"
    for word in words:
        if word.startswith("--"):
            assert word.split("=")[0] in commands[name], f"`wom {name}` has no option {word}"


def test_every_python_name_and_keyword_in_the_readme_exists():
    for name, args in re.findall(r"\bsim\.(\w+)\(([^)]*)\)", PYTHON):
        assert name in sim.__all__, f"README calls sim.{name}, which sim does not export"
        params = inspect.signature(getattr(sim, name)).parameters
        for keyword in re.findall(r"(\w+)=", args):
            assert keyword in params, f"README passes {keyword}= to sim.{name}, which takes no such argument"
