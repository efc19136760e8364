"""Writing a profile back into the file a person wrote: their comments, key order, blank lines and
quoting stay; only the values that changed are rewritten (``tomlkit``).

``merged_text(old, spec)`` keeps every key whose value is unchanged (a default written out on
purpose included), rewrites changed values in place, removes keys and sections the profile no longer
has, and appends new ones. The result is read back and compared with the profile; if it would not
say the same thing, the plain text of ``dump_profile`` is used instead, so a save is never wrong.
"""

from __future__ import annotations

import tomllib
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import Table

from engine.core.profiles import ProfileSpec, dump_profile, validate_spec

Mapping = Container | Table


def profile_values(spec: ProfileSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    """(every value, including defaults; the values a fresh file would write: no defaults)."""
    full = spec.model_dump(exclude_none=True)
    brief = spec.model_dump(exclude_defaults=True, exclude_none=True)
    brief["kind"] = spec.kind
    return full, brief


def _merge(doc: Mapping, full: dict[str, Any], brief: dict[str, Any]) -> None:
    for key in list(doc.keys()):
        if key not in full:
            del doc[key]  # a key or section the profile no longer has
            continue
        value, old = full[key], doc[key]
        if isinstance(value, dict) and isinstance(old, Table | Container):
            _merge(old, value, brief.get(key, {}))
        elif _plain(old) != value:
            doc[key] = value
    for key, value in brief.items():
        if key not in doc:
            doc[key] = value  # new: as a fresh file would write it (defaults left out)


def _plain(item: Any) -> Any:
    return item.unwrap() if hasattr(item, "unwrap") else item


def merged_text(old_text: str, spec: ProfileSpec) -> str:
    """``old_text`` changed to say ``spec`` (its comments and layout kept), or the plain text."""
    fresh = dump_profile(spec)
    try:
        doc = tomlkit.parse(old_text)
        full, brief = profile_values(spec)
        _merge(doc, full, brief)
        text = tomlkit.dumps(doc)
        again = validate_spec(tomllib.loads(text), "the merged profile", check_overlap=False)
    except Exception:  # an odd file (duplicate tables, invalid TOML): written anew
        return fresh
    return text if again.model_dump() == spec.model_dump() else fresh
