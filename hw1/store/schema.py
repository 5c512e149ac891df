"""Typed results <-> JSON data: the one (de)serialiser of configs and results (nested dataclasses).

`to_data` turns a dataclass into plain JSON data (dicts, lists, numbers, strings), exactly like
`dataclasses.asdict`. `from_data(cls, data)` builds it back, field by field from the type hints:
nested dataclasses, `list[X]`, `tuple[X, ...]`, `dict[str, X]` and `X | None`. Unknown or missing
fields are errors (a results.json from another version is recomputed, never half-read).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import lru_cache
from typing import Any


def to_data(value: Any) -> Any:
    """A dataclass (or list/dict of them) as JSON data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_data(cls: Any, data: Any) -> Any:
    """`data` (from JSON) as an instance of type `cls`; TypeError or ValueError if it does not fit."""
    if dataclasses.is_dataclass(cls):
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
        hints = _hints(cls)
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = set(data) - names
        if unknown:
            raise TypeError(f"{cls.__name__}: unknown field(s) {sorted(unknown)}")
        return cls(**{name: from_data(hints[name], value) for name, value in data.items()})
    origin = typing.get_origin(cls)
    arguments = typing.get_args(cls)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in arguments:
            return None
        for option in (a for a in arguments if a is not type(None)):
            try:
                return from_data(option, data)
            except (TypeError, ValueError):
                continue
        raise TypeError(f"{data!r} fits none of {cls}")
    if origin is list:
        _check(data, (list, tuple), cls)
        return [from_data(arguments[0], item) for item in data] if arguments else list(data)
    if origin is tuple:
        _check(data, (list, tuple), cls)
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return tuple(from_data(arguments[0], item) for item in data)
        return tuple(from_data(a, item) for a, item in zip(arguments, data, strict=True)) if arguments else tuple(data)
    if origin is dict:
        _check(data, dict, cls)
        return {key: from_data(arguments[1], item) for key, item in data.items()} if arguments else dict(data)
    if cls is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise TypeError(f"expected a number, got {data!r}")
        return float(data)
    if cls in (int, str, bool):
        if not isinstance(data, cls) or (cls is int and isinstance(data, bool)):
            raise TypeError(f"expected {cls.__name__}, got {data!r}")
        return data
    return data  # Any, or a type the schema does not check (plain dict, list)


def _check(data: Any, expected: type | tuple[type, ...], cls: Any) -> None:
    if not isinstance(data, expected):
        raise TypeError(f"expected {cls}, got {type(data).__name__}")
