"""A small TOML writer for resolved scenarios (the stdlib reads TOML but does not write it)."""

from __future__ import annotations

import json
import math
from typing import Any

INLINE_TABLES = ("candidates", "split")  # short maps read best on one line


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return repr(v) if math.isfinite(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else json.dumps(k)


def dumps(data: dict[str, Any], comments: dict[str, str] | None = None) -> str:
    """TOML text for nested dicts; ``None`` values are left out (TOML has no null).

    ``comments`` maps dotted keys to a comment written above that key or table.
    """
    comments = comments or {}
    lines: list[str] = []

    def table(prefix: str, d: dict[str, Any]) -> None:
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict) and v is not None}
        tables = {
            k: v
            for k, v in d.items()
            if isinstance(v, dict)
            and any(isinstance(x, dict) for x in v.values())
            or (isinstance(v, dict) and k not in ("candidates", "split"))
        }
        inline = {k: v for k, v in d.items() if isinstance(v, dict) and k not in tables}
        if prefix:
            if prefix in comments:
                lines.append(f"# {comments[prefix]}")
            lines.append(f"[{prefix}]")
        for k, v in {**scalars, **inline}.items():
            dotted = f"{prefix}.{k}" if prefix else k
            if dotted in comments:
                lines.append(f"# {comments[dotted]}")
            lines.append(f"{_key(k)} = {_value(v)}")
        if prefix or scalars:
            lines.append("")
        for k, v in tables.items():
            table(f"{prefix}.{k}" if prefix else k, v)

    table("", data)
    return "\n".join(lines).rstrip() + "\n"
