"""Near-match hints for unknown names: ``tank.levl`` -> "did you mean 'tank.level'?".

One helper for every place that reports an unknown port, component, type or parameter, so messages read
alike: the hint goes right after the unknown name, and the problem dict gains ``did_you_mean``.
"""

from __future__ import annotations

import difflib
from typing import Any, Iterable

__all__ = ["did_you_mean", "hint", "hint_details"]


def did_you_mean(name: Any, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``name`` if one is close enough (case differences count as close), else None."""
    if not isinstance(name, str) or not name:
        return None
    options = list(candidates)
    lowered = {c.lower(): c for c in options}
    if name.lower() in lowered and lowered[name.lower()] != name:
        return lowered[name.lower()]
    found = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return found[0] if found else None


def hint(name: Any, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` to append after the unknown name, or an empty string."""
    match = did_you_mean(name, candidates)
    return f" (did you mean {match!r}?)" if match else ""


def hint_details(name: Any, candidates: Iterable[str]) -> dict[str, str]:
    """``{"did_you_mean": match}`` for a problem's details, or an empty dict."""
    match = did_you_mean(name, candidates)
    return {"did_you_mean": match} if match else {}
