"""One error type for bad user input, rendered as a single line the CLI can print."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from a user file: names the file, the key, the value and what is allowed."""

    def __init__(self, file: str, key: str, value: object, allowed: str) -> None:
        self.file, self.key, self.value, self.allowed = file, key, value, allowed
        shown = repr(value) if not isinstance(value, str) or len(value) < 80 else repr(value[:77] + "...")
        super().__init__(f"{file}: {key} = {shown}: {allowed}")
