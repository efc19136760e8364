"""Which entries of a source a run looks at: hidden files and gitignore-style ``exclude`` patterns.

``pathspec`` is imported only when there are patterns: it costs 25 ms of a run's start otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from engine.core.errors import ProfileError

if TYPE_CHECKING:
    import pathspec


def _spec(patterns: Sequence[str]) -> pathspec.GitIgnoreSpec:
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(patterns)


def pattern_problem(patterns: Sequence[str]) -> str | None:
    """Why one of these gitignore-style patterns cannot be used (naming it), or None."""
    for pattern in patterns:
        try:
            _spec([pattern])
        except (ValueError, TypeError, re.error) as error:  # re.error: e.g. a range like [z-a]
            return f"bad pattern {pattern!r}: {error}"
    return None


class PathFilter:
    """Decides per relative path (``/`` separators) whether it is left out of a run."""

    def __init__(
        self, patterns: Sequence[str] = (), include_hidden: bool = True, where: str = "exclude"
    ) -> None:
        self.include_hidden = include_hidden
        self.patterns = list(patterns)
        try:
            self._spec = _spec(self.patterns) if self.patterns else None
        except (ValueError, TypeError, re.error) as error:
            raise ProfileError(where, [pattern_problem(self.patterns) or f"bad pattern: {error}"]) from None

    @property
    def active(self) -> bool:
        """False when nothing can ever be excluded (lets a walk skip the per-entry check)."""
        return self._spec is not None or not self.include_hidden

    def excluded(self, rel: str, name: str, is_dir: bool) -> bool:
        if not self.include_hidden and name.startswith("."):
            return True
        if self._spec is None:
            return False
        return self._spec.match_file(rel + "/" if is_dir else rel)
