"""The shape of the simulator's issue templates (see `catalog` for the templates):
frames with context lines, chained exceptions, breadcrumbs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Fr:
    """One stack frame: file, function, line, the source around it, in_app."""

    filename: str
    function: str
    lineno: int
    lines: tuple[str, ...]
    """Five source lines: two before, the line itself, two after."""
    in_app: bool = True
    module: str | None = None


@dataclass(frozen=True, slots=True)
class Exc:
    type: str
    value: str
    frames: tuple[Fr, ...]
    module: str | None = None
    mechanism: str = "generic"
    handled: bool = False


@dataclass(frozen=True, slots=True)
class Template:
    project: str
    level: str
    culprit: str
    transaction: str
    chain: tuple[Exc, ...]
    """Innermost cause first, the raised exception last (Sentry's order)."""
    crumbs: tuple[tuple[str, str, str], ...]
    """(category, level, message)."""
    method: str = "GET"
    url: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    team: str | None = None

    @property
    def title(self) -> str:
        top = self.chain[-1]
        return f"{top.type}: {top.value}"


def py_frame(module: str, fn: str, line: int, code: str, *, in_app: bool = True) -> Fr:
    path = module.replace(".", "/") + ".py"
    before = ("    try:", f"        # {fn}")
    after = ("    except Exception:", "        raise")
    return Fr(path, fn, line, (*before, f"        {code}", *after), in_app, module)


def js_frame(path: str, fn: str, line: int, code: str, *, in_app: bool = True) -> Fr:
    lines = ("  const started = Date.now();", "  try {", f"    {code}", "  } finally {", "  }")
    return Fr(path, fn, line, lines, in_app)


def go_frame(path: str, fn: str, line: int, code: str, *, in_app: bool = True) -> Fr:
    lines = ("\tif err != nil {", "\t\treturn nil, err", f"\t{code}", "\t}", "\treturn res, nil")
    return Fr(path, fn, line, lines, in_app, path.rsplit("/", 1)[0])


def crumb_json(crumbs: tuple[tuple[str, str, str], ...], ts: float) -> list[dict[str, Any]]:
    out = []
    for i, (category, level, message) in enumerate(crumbs):
        kind = "http" if category in ("http", "fetch", "xhr") else "default"
        out.append(
            {
                "type": kind,
                "category": category,
                "level": level,
                "message": message,
                "timestamp": ts - (len(crumbs) - i) * 1.5,
                "data": {},
                "event_id": None,
            }
        )
    return out
