"""Reading TOML safely and writing resolved scenarios (the stdlib reads TOML but does not write it)."""

from __future__ import annotations

import json
import tomllib
from typing import Any

from sim.core.errors import InputError

MAX_DEPTH = 50  # a scenario nests 5 levels (variants.x.tiers.micro.trust); 50 leaves room, stops abuse
INLINE_TABLES = ("candidates", "split")  # short maps read best on one line


def loads(text: str, source: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error or nesting too deep to handle is one ``InputError`` line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, "(syntax)", str(exc), "the file must be valid TOML") from None
    except RecursionError:  # arrays or inline tables nested hundreds deep
        raise InputError(
            source, "(nesting)", "too deep to read", f"tables and arrays may nest at most {MAX_DEPTH} levels"
        ) from None
    depth = nesting(data)
    if depth > MAX_DEPTH:
        raise InputError(
            source, "(nesting)", f"{depth} levels", f"tables and arrays may nest at most {MAX_DEPTH} levels"
        )
    return data


def nesting(data: Any) -> int:
    """How deep tables and arrays nest in ``data`` (without recursion, so any depth is measured)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)  # repr of a float (1e+16, inf) is valid TOML
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _key(k: str) -> str:
    return k if k and k.replace("_", "").replace("-", "").isalnum() and k.isascii() else json.dumps(k)


def dumps(data: dict[str, Any], comments: dict[str, str] | None = None) -> str:
    """TOML text for nested dicts; ``None`` values are left out (TOML has no null).

    ``comments`` maps dotted keys to a comment written above that key or table. Maps named in
    ``INLINE_TABLES`` are written on one line; every other map becomes a ``[table]``.
    """
    comments = comments or {}
    lines: list[str] = []

    def table(prefix: str, d: dict[str, Any]) -> None:
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict) and v is not None}
        inline = {k: v for k, v in d.items() if isinstance(v, dict) and k in INLINE_TABLES}
        tables = {k: v for k, v in d.items() if isinstance(v, dict) and k not in INLINE_TABLES}
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
            table(f"{prefix}.{_key(k)}" if prefix else _key(k), v)

    table("", data)
    return "\n".join(lines).rstrip() + "\n"
