"""Reading and writing files safely: what wom refuses, and that a user's files survive."""

from __future__ import annotations

import os
import stat

import pytest

from sim.core import files
from sim.core.errors import InputError


def test_read_text_refuses_folders_devices_big_and_binary_files(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        files.read_text(tmp_path, what="scenario", limit=100)
    with pytest.raises(InputError, match="not a regular file"):
        files.read_text("/dev/zero", what="scenario", limit=100)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        files.read_text(fifo, what="scenario", limit=100)
    big = tmp_path / "big.toml"
    big.write_text("x" * 101)
    with pytest.raises(InputError, match="at most 100 bytes"):
        files.read_text(big, what="scenario", limit=100)
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(InputError, match=r"line 1 = .*0xe9.*UTF-8"):
        files.read_text(latin, what="scenario", limit=100)
    utf16 = tmp_path / "utf16.toml"
    utf16.write_text('name = "x"\n', encoding="utf-16")
    with pytest.raises(InputError, match="UTF-8"):
        files.read_text(utf16, what="scenario", limit=100)
    nul = tmp_path / "nul.toml"
    nul.write_bytes(b"a = 1\n\x00\n")
    with pytest.raises(InputError, match="line 2 = .*binary"):
        files.read_text(nul, what="scenario", limit=100)
    with pytest.raises(InputError, match="no such scenario file"):
        files.read_text(tmp_path / "missing.toml", what="scenario", limit=100)


def test_read_text_accepts_a_byte_order_mark(tmp_path):
    f = tmp_path / "bom.toml"
    f.write_bytes(b'\xef\xbb\xbfname = "x"\n')
    assert files.read_text(f, what="scenario", limit=100) == 'name = "x"\n'


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "../up", "/abs", "a\\b", ".hidden", "x" * 101, "a..b", 5, None])
def test_names_that_could_act_as_paths_are_refused(name):
    with pytest.raises(InputError, match="plain name"):
        files.check_name(name, "s.toml", "name")


@pytest.mark.parametrize("name", ["baseline", "micro30_macro70", "launch-2026.v2", "A+B"])
def test_plain_names_pass(name):
    assert files.check_name(name, "s.toml", "name") == name


def test_the_longest_file_names_can_be_written(tmp_path):
    name = "y" * 250  # the temporary names beside it must stay under the 255-byte limit too
    assert files.atomic_write_text(tmp_path / f"{name}.toml", "x").read_text() == "x"
    with files.replace_outputs(tmp_path / name, kind="run") as staging:
        (staging / "a.csv").write_text("1")
    assert (tmp_path / name / "a.csv").read_text() == "1"


def test_atomic_write_gives_a_normal_file_mode(tmp_path):
    old = os.umask(0o022)
    try:
        path = files.atomic_write_text(tmp_path / "out.txt", "hello")
    finally:
        os.umask(old)
    assert path.read_text() == "hello"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary left behind


def test_check_output_refuses_a_users_folder_a_file_and_an_unwritable_place(tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    (user / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="did not create"):
        files.check_output(user)
    with pytest.raises(InputError, match="is a file"):
        files.check_output(user / "notes.txt")
    with pytest.raises(InputError, match="cannot be created"):
        files.check_output(user / "notes.txt" / "sub")
    with pytest.raises(InputError, match="not writable"):
        files.check_output("/proc/wom-results")
    assert files.check_output(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # checking creates nothing


def test_replace_outputs_into_a_users_folder_is_refused_and_changes_nothing(tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    (user / "notes.txt").write_text("mine")
    with pytest.raises(InputError), files.replace_outputs(user, kind="run") as staging:
        (staging / "summary.json").write_text("{}")
    assert sorted(p.name for p in user.iterdir()) == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["user"]  # no staging folder left


def test_replace_outputs_replaces_only_its_own_files(tmp_path):
    out = tmp_path / "results"
    with files.replace_outputs(out, kind="run") as staging:
        (staging / "a.csv").write_text("1")
        (staging / "figures").mkdir()
        (staging / "figures" / "old.png").write_text("png")
    assert files.read_mark(out)["files"] == ["a.csv", "figures/old.png"]
    (out / "notes.txt").write_text("the user's own notes")
    with files.replace_outputs(out, kind="run") as staging:
        (staging / "a.csv").write_text("2")
    assert (out / "a.csv").read_text() == "2"
    assert not (out / "figures" / "old.png").exists()  # wom's stale file is removed
    assert (out / "notes.txt").read_text() == "the user's own notes"
    assert files.read_mark(out)["files"] == ["a.csv"]
    with pytest.raises(InputError, match="not validation results"):
        files.check_output(out, kind="validation")


def test_replace_outputs_leaves_the_target_untouched_on_failure(tmp_path):
    out = tmp_path / "results"
    with files.replace_outputs(out, kind="run") as staging:
        (staging / "a.csv").write_text("1")
    with pytest.raises(RuntimeError), files.replace_outputs(out, kind="run") as staging:
        (staging / "a.csv").write_text("2")
        raise RuntimeError("simulation failed")
    assert (out / "a.csv").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_owned_folder_lock_refuses_a_second_writer(tmp_path):
    out = tmp_path / "exp"
    with files.owned_folder(out, kind="sweep"):
        with pytest.raises(InputError, match="another wom process"), files.owned_folder(out, kind="sweep"):
            pass
        (out / "part-0.parquet").write_text("x")
    with files.owned_folder(out, kind="sweep"):  # released: a later run may resume
        pass


def test_owned_folder_removes_a_folder_it_created_when_nothing_was_written(tmp_path):
    out = tmp_path / "exp"
    with pytest.raises(KeyboardInterrupt), files.owned_folder(out, kind="sweep"):
        raise KeyboardInterrupt
    assert not out.exists()


# --- a user's folder survives every command that takes --out -------------------------------------

TINY = "replications = 2\n[market]\nconsumers = 200\npopulation = 20000\ndays = 4\n"
VARIANTS = TINY + "[variants.a]\nseed = 1\n[variants.b]\nseed = 2\n"
SWEEP = TINY + '[experiment]\nparameters = { "market.days" = [3, 4] }\n'
OWN = {  # wom's commands: the folder is refused before any work and nothing changes
    "run": ["run", "tiny.toml", "--out", "user"],
    "run_variants": ["run", "variants.toml", "--out", "user"],
    "validate": ["validate", "--quick", "--only", "bass", "--out", "user"],
    "scenario_new_folder": ["scenario", "new", "mine", "--out", "user"],
    "scenario_new_file": ["scenario", "new", "mine", "--out", "user/notes.txt"],
    "compare": ["compare", "variants.toml", "--workers", "1", "--out", "user"],
    "sweep": ["sweep", "sweep.toml", "--workers", "1", "--out", "user"],
}
OTHERS = {  # commands whose output rules are being tightened elsewhere: the user's file must survive
    "animate": ["animate", "tiny.toml", "--days", "2", "--out", "user/spread.gif"],
}


def _workspace(d):
    (d / "tiny.toml").write_text(TINY)
    (d / "variants.toml").write_text(VARIANTS)
    (d / "sweep.toml").write_text(SWEEP)
    (d / "user").mkdir()
    (d / "user" / "notes.txt").write_text("the user's own notes")


@pytest.mark.parametrize("command", sorted(OWN))
def test_wom_refuses_a_users_folder_and_changes_nothing(command, tmp_path):
    from tests.badinput import assert_refused

    _workspace(tmp_path)
    assert_refused(OWN[command], tmp_path, ["user"])


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(OTHERS))
def test_a_users_file_survives_every_other_command(command, tmp_path):
    from tests.badinput import run_wom

    _workspace(tmp_path)
    run_wom(OTHERS[command], tmp_path)
    assert (tmp_path / "user" / "notes.txt").read_text() == "the user's own notes"


@pytest.mark.slow
def test_rerunning_into_wom_folder_keeps_a_file_the_user_added(tmp_path):
    from tests.badinput import run_wom

    _workspace(tmp_path)
    old = os.umask(0o022)
    try:
        assert run_wom(["run", "variants.toml", "--out", "res"], tmp_path).code == 0
    finally:
        os.umask(old)
    for p in (tmp_path / "res").rglob("*"):  # readable by the group like any file, not mkstemp's 0600
        assert stat.S_IMODE(p.stat().st_mode) == (0o755 if p.is_dir() else 0o644), p
    assert sorted(p.name for p in (tmp_path / "res").iterdir()) == [".wom-output.json", "a", "b"]
    (tmp_path / "res" / "a" / "my-notes.md").write_text("mine")
    assert run_wom(["run", "tiny.toml", "--out", "res"], tmp_path).code == 0  # now a plain run: a/ and b/ go
    assert (tmp_path / "res" / "a" / "my-notes.md").read_text() == "mine"
    assert not (tmp_path / "res" / "b").exists() and (tmp_path / "res" / "report.md").exists()


def test_input_error_survives_a_trip_to_a_worker_process():
    import pickle

    err = InputError("s.toml", "market.days", 0, "must be at least 1")
    back = pickle.loads(pickle.dumps(err))
    assert (back.file, back.key, back.value, back.allowed, str(back)) == (
        err.file,
        err.key,
        err.value,
        err.allowed,
        str(err),
    )
