"""Settings files checked without pydantic: frozen dataclasses whose keys say what they hold.

One declaration per key (type, default, help text, bounds, a check) is what the loader, the window's
forms and the docs all read. Types are strict (a TOML string is never taken for a number), unknown
keys are problems, and every problem is reported at once with its place, as pydantic did; the method
names follow pydantic's (``model_validate``, ``model_dump``, ``model_copy``, ``model_fields``).

Why not pydantic: importing it and building its schemas cost 75 ms of every run's start, a quarter of
a whole no-change run over 20,000 files. The types a profile uses are few (str, bool, int, float,
a list of str, a fixed set of words, a section, each maybe unset); this module checks exactly those.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal, TypeVar

S = TypeVar("S", bound="Section")
_META = "rearguard.key"


class _Bad:
    """A value that failed its check (its problem is already recorded)."""


BAD = _Bad()


@dataclasses.dataclass(frozen=True)
class Key:
    """What the checker and the window's forms know of one key."""

    name: str
    annotation: Any
    default: Any
    default_factory: Any
    description: str = ""
    ge: float | None = None
    le: float | None = None
    min_length: int | None = None
    alias: str | None = None
    path: str = ""  # "folder" or "file": the form offers a picker
    check: Callable[[Any], Any] | None = None

    @property
    def written(self) -> str:
        """The key as a file spells it (``from`` for the sender's address)."""
        return self.alias or self.name

    def is_required(self) -> bool:
        return self.default is dataclasses.MISSING and self.default_factory is dataclasses.MISSING

    def get_default(self, call_default_factory: bool = True) -> Any:
        if self.default_factory is not dataclasses.MISSING:
            return self.default_factory() if call_default_factory else None
        return None if self.default is dataclasses.MISSING else self.default


def key(
    default: Any = dataclasses.MISSING,
    *,
    description: str = "",
    default_factory: Callable[[], Any] | None = None,
    ge: float | None = None,
    le: float | None = None,
    min_length: int | None = None,
    alias: str | None = None,
    path: str = "",
    check: Callable[[Any], Any] | None = None,
) -> Any:
    """A described key of a section; ``check`` gets the typed value, returns it (maybe tidied) or
    raises ValueError with the problem."""
    meta = {
        _META: {
            "description": description,
            "ge": ge,
            "le": le,
            "min_length": min_length,
            "alias": alias,
            "path": path,
            "check": check,
        }
    }
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


class Invalid(ValueError):
    """Every problem found, each ``{"loc": (...), "type": ..., "msg": ...}`` as pydantic listed them."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(".".join(map(str, p["loc"])) + ": " + p["msg"] for p in problems))
        self.problems = problems

    def errors(self) -> list[dict[str, Any]]:
        return self.problems


_KEYS: dict[type, dict[str, Key]] = {}
_CHECKED: ContextVar[bool] = ContextVar("values_already_checked", default=False)


@contextmanager
def _checked_already() -> Iterator[None]:
    token = _CHECKED.set(True)
    try:
        yield
    finally:
        _CHECKED.reset(token)


def keys_of(cls: type) -> dict[str, Key]:
    """The keys of a section class in declaration order (type hints resolved once, on first use)."""
    found = _KEYS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = {}
        for item in dataclasses.fields(cls):
            meta = item.metadata.get(_META, {})
            found[item.name] = Key(item.name, hints[item.name], item.default, item.default_factory, **meta)
        _KEYS[cls] = found
    return found


class _Keys:
    def __get__(self, instance: object, owner: type) -> dict[str, Key]:
        return keys_of(owner)


class Section:
    """Base of every settings table; subclasses are ``@dataclass(frozen=True, kw_only=True)``."""

    model_fields = _Keys()

    def __post_init__(self) -> None:
        """Made in code (``Schedule(every="25h")``): checked as a file's values are, tidied alike."""
        if _CHECKED.get():
            return
        fields = keys_of(type(self)).values()
        problems: list[dict[str, Any]] = []
        data = {item.written: getattr(self, item.name) for item in fields}
        made = _section(type(self), data, (), problems, {})
        if problems:
            raise Invalid(problems)
        for item in fields:
            object.__setattr__(self, item.name, getattr(made, item.name))

    def after_check(self, context: dict[str, Any]) -> None:
        """Checks across keys, once each key is right; raise ValueError with the problem."""

    @classmethod
    def model_validate(cls: type[S], data: Any, *, context: dict[str, Any] | None = None) -> S:
        problems: list[dict[str, Any]] = []
        result = _section(cls, data, (), problems, context or {})
        if problems or not isinstance(result, cls):
            raise Invalid(problems)
        return result

    def model_copy(self: S, *, update: dict[str, Any] | None = None) -> S:
        """A copy with some values changed, unchecked (as pydantic's)."""
        with _checked_already():
            copied: S = dataclasses.replace(typing.cast(Any, self), **(update or {}))
        return copied

    def model_dump(
        self, *, exclude_defaults: bool = False, exclude_none: bool = False, by_alias: bool = False
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in keys_of(type(self)).values():
            value = getattr(self, item.name)
            if exclude_none and value is None:
                continue
            if exclude_defaults and not item.is_required() and value == item.get_default():
                continue
            if isinstance(value, Section):
                value = value.model_dump(
                    exclude_defaults=exclude_defaults, exclude_none=exclude_none, by_alias=by_alias
                )
            elif isinstance(value, list):
                value = list(value)
            out[item.written if by_alias else item.name] = value
        return out


def _problem(out: list[dict[str, Any]], loc: tuple[str | int, ...], kind: str, msg: str) -> _Bad:
    out.append({"loc": loc, "type": kind, "msg": msg})
    return BAD


def _section(
    cls: type[Section],
    data: Any,
    loc: tuple[str | int, ...],
    out: list[dict[str, Any]],
    context: dict[str, Any],
) -> Any:
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        return _problem(out, loc, "model_type", "must be a table of keys, not a single value")
    before = len(out)
    values: dict[str, Any] = {}
    known = set()
    for item in keys_of(cls).values():
        known.add(item.written)
        where = (*loc, item.written)
        if item.written not in data:
            if item.is_required():
                _problem(out, where, "missing", "Field required")
            continue
        value = _checked(item, data[item.written], where, out, context)
        if value is not BAD:
            values[item.name] = value
    for name in data:
        if name not in known:
            _problem(out, (*loc, name), "extra_forbidden", "Extra inputs are not permitted")
    if len(out) > before:
        return BAD
    with _checked_already():
        made = cls(**values)
    try:
        made.after_check(context)
    except ValueError as error:
        return _problem(out, loc, "value_error", str(error))
    return made


def _checked(
    item: Key, raw: Any, loc: tuple[str | int, ...], out: list[dict[str, Any]], context: dict[str, Any]
) -> Any:
    value = _typed(item.annotation, raw, loc, out, context)
    if value is BAD:
        return BAD
    if isinstance(value, int | float) and not isinstance(value, bool):
        if item.ge is not None and not value >= item.ge:
            return _problem(
                out, loc, "greater_than_equal", f"Input should be greater than or equal to {item.ge:g}"
            )
        if item.le is not None and not value <= item.le:
            return _problem(out, loc, "less_than_equal", f"Input should be less than or equal to {item.le:g}")
    if item.min_length is not None and isinstance(value, list) and len(value) < item.min_length:
        plural = "" if item.min_length == 1 else "s"
        wanted = f"{item.min_length} item{plural}"
        return _problem(out, loc, "too_short", f"List should have at least {wanted}, not {len(value)}")
    if item.check is not None and value is not None:
        try:
            return item.check(value)
        except ValueError as error:
            return _problem(out, loc, "value_error", str(error))
    return value


_WORDS = {bool: "a valid boolean", int: "a valid integer", float: "a valid number", str: "a valid string"}


def _typed(
    tp: Any, value: Any, loc: tuple[str | int, ...], out: list[dict[str, Any]], context: dict[str, Any]
) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in typing.get_args(tp):
            return None
        (inner,) = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        return _typed(inner, value, loc, out, context)
    if isinstance(tp, type) and issubclass(tp, Section):
        return _section(tp, value, loc, out, context)
    if origin is Literal:
        choices = typing.get_args(tp)
        if isinstance(value, str) and value in choices:
            return value
        words = [repr(choice) for choice in choices]
        shown = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
        return _problem(out, loc, "literal_error", f"Input should be {shown}")
    if origin is list:
        if not isinstance(value, list):
            return _problem(out, loc, "list_type", "Input should be a valid list")
        (inner,) = typing.get_args(tp)
        items = [_typed(inner, element, (*loc, index), out, context) for index, element in enumerate(value)]
        return BAD if any(element is BAD for element in items) else items
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp in _WORDS:
        if isinstance(value, tp) and not (tp is int and isinstance(value, bool)):
            return value
        return _problem(out, loc, f"{tp.__name__}_type", f"Input should be {_WORDS[tp]}")
    raise TypeError(f"schema: a key of type {tp!r} is not supported")
