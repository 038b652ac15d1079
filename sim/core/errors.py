"""One error type for bad user input, rendered as a single line the CLI can print."""

from __future__ import annotations

import re


class InputError(ValueError):
    """Bad input from a user file: names the file, the key, the value and what is allowed.

    When the input is a command-line option or an argument rather than a file, pass the option
    as both ``file`` and ``key``: ``--out /tmp/x: holds files ...`` instead of repeating it.
    """

    def __init__(self, file: str, key: str, value: object, allowed: str) -> None:
        self.file, self.key, self.value, self.allowed = file, key, value, allowed
        shown = ("true" if value else "false") if isinstance(value, bool) else repr(value)  # as TOML writes it
        shown = shown if len(shown) <= 80 else shown[:76] + "..." + shown[-1]
        if key == "(file)":  # the file itself is the problem: "big.toml (12.0 MB): ..."
            head = file if value == file else f"{file} ({value})"
        elif file != key:
            head = f"{file}: {key} = {shown}"
        elif key.startswith("-"):  # a command-line option: show it as typed
            head = f"{key} {value if isinstance(value, str) and len(value) <= 200 else shown}"
        else:
            head = f"{key} = {shown}"
        super().__init__(re.sub(r"[\r\n]+", " ", f"{head}: {allowed}"))  # always one line

    def __reduce__(self):
        """Pickle by the four fields, so an error raised in a worker process arrives intact."""
        return (type(self), (self.file, self.key, self.value, self.allowed))


def closest(key: str, allowed: list[str]) -> str | None:
    """The allowed name most like ``key`` (a likely typo), if any is close."""
    import difflib

    options = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
    return options[0] if options else None


def did_you_mean(key: str, allowed: list[str], what: str) -> str:
    """``allowed`` phrase for an unknown name: "not a KPI; did you mean 'roi'? (allowed: ...)"."""
    guess = closest(key, allowed)
    hint = f"; did you mean {guess!r}?" if guess else ""
    return f"not {what}{hint} (allowed: {', '.join(allowed)})"
