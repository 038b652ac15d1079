"""Files wom reads and writes, and the rules that keep a user's data safe.

Reading: only regular files under a size limit, decoded as UTF-8; every failure is one
``InputError`` line naming the file. Writing: every file goes to a temporary name beside its
target, is flushed to disk and renamed into place, so a crash never leaves half a file. A folder
is wom's own only if it holds the marker file ``OWNER_MARK`` written by wom; wom writes into a
folder only if it is new, empty or its own, and inside its own folders it replaces only the files
the marker lists, so a user's file is never deleted or overwritten.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sim.core.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

OWNER_MARK = ".wom-output.json"
LOCK_FILE = ".wom.lock"
MB = 1 << 20
SCENARIO_LIMIT = 10 * MB
TABLE_LIMIT = 200 * MB  # CSV files a user hands in (shortlists, campaign data)
GRAPH_LIMIT = 2048 * MB  # edge lists of million-node graphs run to hundreds of MB
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}")


def _size(n: int) -> str:
    return f"{n / MB:,.1f} MB" if n >= MB else f"{n:,} bytes"


def read_bytes(path: str | Path, *, what: str, limit: int, key: str = "(file)") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or one ``InputError`` line."""
    p = Path(path)
    try:
        info = p.stat()
    except FileNotFoundError:
        raise InputError(str(p), key, str(p), f"no such {what} file") from None
    except OSError as exc:
        raise InputError(str(p), key, str(p), f"cannot read this {what} file: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(str(p), key, str(p), f"is a folder; give a {what} file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(str(p), key, str(p), f"is not a regular file (a device, pipe or socket); give a {what} file")
    if info.st_size > limit:
        raise InputError(str(p), key, _size(info.st_size), f"a {what} file may be at most {_size(limit)}")
    try:
        with p.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(str(p), key, str(p), f"cannot read this {what} file: {exc.strerror}") from None
    if len(data) > limit:  # grew while we looked
        raise InputError(str(p), key, _size(len(data)), f"a {what} file may be at most {_size(limit)}")
    return data


def read_text(path: str | Path, *, what: str, limit: int, key: str = "(file)") -> str:
    """A regular UTF-8 text file of at most ``limit`` bytes (a UTF-8 byte-order mark is allowed)."""
    data = read_bytes(path, what=what, limit=limit, key=key)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            str(path), f"line {line}", f"byte 0x{data[exc.start]:02x}", f"a {what} file must be UTF-8 text"
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(str(path), f"line {line}", "NUL byte", f"a {what} file must be text, not binary data")
    return text


def read_table(path: str | Path, what: str) -> pd.DataFrame:
    """A CSV file a user hands in (a shortlist, campaign data) as text cells, leading ``#`` comment
    lines skipped (``attrs["header_line"]`` says where the header is); problems are one line."""
    import pandas as pd  # only here: most of wom's files are not tables

    text = read_text(path, what=what, limit=TABLE_LIMIT)
    lines = text.splitlines(keepends=True)
    skipped = next((i for i, line in enumerate(lines) if not line.lstrip().startswith("#")), len(lines))
    try:
        frame = pd.read_csv(
            io.StringIO("".join(lines[skipped:])), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(
            str(path), "(table)", str(exc).strip().splitlines()[-1], f"a {what} file must be CSV"
        ) from None
    if len(frame) == 0:
        raise InputError(str(path), "(rows)", 0, f"a {what} file needs a header line and at least one row")
    frame.attrs["header_line"] = skipped + 1
    return frame


def check_name(name: object, source: str, key: str) -> str:
    """A name that becomes part of a file or folder name: letters, digits and ``_ . + -`` only.

    Names come from user files, so they must never act as paths (no separators, no ``..``,
    not empty, not hidden).
    """
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or ".." in name:
        raise InputError(
            source,
            key,
            name,
            "must be a plain name of 1-100 letters, digits, '_', '.', '+' or '-', starting with a letter "
            "or digit, without '..' (it names files and folders)",
        )
    return name


def plain_name(text: str, fallback: str = "scenario") -> str:
    """``text`` made a plain name (a file's stem as a scenario's default name): other characters
    become ``_``, and an empty result becomes ``fallback``."""
    name = re.sub(r"[^A-Za-z0-9_.+-]+", "_", text).replace("..", "_").lstrip("._+-")[:100]
    return name or fallback


# --- writing ------------------------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask_mode(base: int = 0o666) -> int:
    mask = os.umask(0)
    os.umask(mask)
    return base & ~mask


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Write one file through ``write(tmp_path)``, flush it to disk, then rename it into place.

    The file gets the mode any new file gets (0666 less the umask), not ``mkstemp``'s 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name[:64]}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, _umask_mode())
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_mark(folder: Path) -> dict | None:
    """The owner marker of a folder wom made, or None if there is none (or it is unreadable)."""
    try:
        mark = json.loads((Path(folder) / OWNER_MARK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return mark if isinstance(mark, dict) and mark.get("tool") == "wom" else None


def output_folder(out: str | Path | None, default: str, *, kind: str) -> Path:
    """Where a command writes: ``out``, else ``results/<default>``; checked (``check_output``)
    before any work, so a refusal comes first."""
    return check_output(Path(out) if out else Path("results") / default, kind=kind)


def check_output(folder: str | Path, *, key: str = "--out", kind: str | None = None) -> Path:
    """Refuse, before any work, a folder wom may not write: one that is a file, cannot be created
    or written, or holds files without wom's marker (or wom's files of another ``kind``)."""
    try:
        return _check_output(Path(folder), key, kind)
    except OSError as exc:  # a name too long, a loop of links, ...
        raise InputError(key, key, str(folder), f"cannot be used: {exc.strerror}") from None


def _check_output(folder: Path, key: str, kind: str | None) -> Path:
    if folder.exists() or folder.is_symlink():
        if not folder.is_dir():
            raise InputError(key, key, str(folder), "is a file, not a folder: give a folder for the results")
        try:
            entries = [e for e in os.listdir(folder) if e != LOCK_FILE]
        except OSError as exc:
            raise InputError(key, key, str(folder), f"cannot be read: {exc.strerror}") from None
        mark = read_mark(folder)
        if entries and mark is None:
            raise InputError(
                key,
                key,
                str(folder),
                "holds files wom did not create; wom writes only into a new or empty folder, or one it made",
            )
        if mark is not None and kind is not None and mark.get("kind") != kind:
            raise InputError(
                key,
                key,
                str(folder),
                f"holds wom's {mark.get('kind')} results, not {kind} results: choose another folder",
            )
        _check_writable(folder, folder, key)
    else:
        _check_writable(_existing_parent(folder, key), folder, key)
    return folder


def _existing_parent(path: Path, key: str) -> Path:
    """The nearest folder above ``path`` that exists (``path`` would be created inside it)."""
    probe = path.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(key, key, str(path), f"cannot be created: {probe} is a file")
    return probe


def _check_writable(folder: Path, target: Path, key: str) -> None:
    """Make a file in ``folder`` and remove it: the only reliable test (root passes os.access)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".wom-probe.", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise InputError(key, key, str(target), f"is not writable: {exc.strerror}") from None


def check_new_file(path: str | Path, *, key: str | None = "--out", force: bool = False) -> Path:
    """Refuse, before any work, a file wom may not write: a folder, an existing file (unless
    ``force``), a place under a file, or one that cannot be written. ``key`` names the option
    that gave the path (None: a default path, named by itself)."""
    path = Path(path)

    def refuse(allowed: str) -> InputError:
        return InputError(key, key, str(path), allowed) if key else InputError(str(path), "(file)", str(path), allowed)

    try:
        return _check_new_file(path, key, force, refuse)
    except OSError as exc:  # a name too long, a loop of links, ...
        raise refuse(f"cannot be used: {exc.strerror}") from None


def _check_new_file(path: Path, key: str | None, force: bool, refuse: Callable[[str], InputError]) -> Path:
    if path.is_dir():
        raise refuse("is a folder: give the path of a file to write")
    if path.exists() and not force:
        raise refuse("already exists; use --force to overwrite it")
    if path.exists() and not path.is_file():
        raise refuse("is not a regular file (a device, pipe or socket)")
    try:
        _check_writable(_existing_parent(path, key or str(path)), path, key or str(path))
    except InputError as err:
        raise refuse(err.allowed) from None
    return path


def _mark(folder: Path, kind: str, files: list[str], info: dict) -> None:
    mark = {"tool": "wom", "kind": kind, **info, "files": sorted(files)}
    atomic_write_text(folder / OWNER_MARK, json.dumps(mark, indent=2, default=str) + "\n")


def _listed(folder: Path) -> list[str]:
    return [
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name not in (OWNER_MARK, LOCK_FILE)
    ]


@contextlib.contextmanager
def replace_outputs(target: str | Path, *, kind: str, info: dict | None = None, key: str = "--out") -> Iterator[Path]:
    """Yield an empty staging folder; on success its files become ``target``'s.

    ``target`` must be new, empty or wom's own (checked again here). A new target
    becomes it in one rename. In an empty folder or one wom made, each file is replaced atomically, files
    of the previous run that this run did not write are removed, and anything else (a user's
    notes, say) is left alone. On failure nothing in ``target`` changes.
    """
    target = Path(os.path.abspath(target))
    check_output(target, key=key, kind=kind)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name[:64]}.", suffix=".tmp", dir=target.parent))
    try:
        yield staging
        files = _listed(staging)
        _mark(staging, kind, files, info or {})
        for p in [staging, *(d for d in staging.rglob("*") if d.is_dir())]:
            os.chmod(p, _umask_mode(0o777))
        if not target.exists():
            os.replace(staging, target)
            _fsync_dir(target.parent)
            return
        previous = set((read_mark(target) or {}).get("files", []))
        for rel in files:
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists() and rel not in previous:
                continue  # a user's file of the same name (should not happen in a wom folder): keep it
            os.replace(staging / rel, dest)
        for rel in previous - set(files):
            with contextlib.suppress(FileNotFoundError):
                (target / rel).unlink()
            for parent in Path(rel).parents[:-1]:  # folders wom made and has now emptied
                with contextlib.suppress(OSError):
                    (target / parent).rmdir()
        _mark(target, kind, files, info or {})
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def owned_folder(folder: str | Path, *, kind: str, info: dict | None = None, key: str = "--out") -> Iterator[Path]:
    """Claim ``folder`` for files written into it over time (an experiment's parts), and hold
    its lock: a second wom writing into the same folder gets one clear line instead."""
    folder = Path(folder)
    check_output(folder, key=key, kind=kind)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    lock = open(folder / LOCK_FILE, "a+")  # noqa: SIM115 - held for the whole block
    try:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise InputError(
                    key,
                    key,
                    str(folder),
                    "another wom process is writing into this folder; wait for it or choose another",
                ) from None
            raise
        if read_mark(folder) is None:
            _mark(folder, kind, [], info or {})
        yield folder
    except BaseException:
        if created and not _listed(folder):
            shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        lock.close()
