"""One error type for bad user input, rendered as a single line the CLI can print."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from a user file: names the file, the key, the value and what is allowed."""

    def __init__(self, file: str, key: str, value: object, allowed: str) -> None:
        self.file, self.key, self.value, self.allowed = file, key, value, allowed
        shown = repr(value) if not isinstance(value, str) or len(value) < 80 else repr(value[:77] + "...")
        super().__init__(f"{file}: {key} = {shown}: {allowed}")


def did_you_mean(key: str, allowed: list[str], what: str) -> str:
    """``allowed`` phrase for an unknown name: "not a KPI; did you mean 'roi'? (allowed: ...)"."""
    import difflib

    options = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
    hint = f"; did you mean {options[0]!r}?" if options else ""
    return f"not {what}{hint} (allowed: {', '.join(allowed)})"
