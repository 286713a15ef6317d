"""THE key registry: one table drives the bindings, the footer, `?` help and the palette.

Every key has an id; users remap by id in config.toml (`[keymap] resolve = "x"`), which
is applied with `App.set_keymap`.  Scopes say where a key lives:
  app   — anywhere (triage actions act on the marked issues or the one under the cursor)
  feed  — the feed screen        issue — the issue screen
  list  — any cursor list (the issue table, the detail views)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from textual.binding import Binding

Scope = Literal["app", "feed", "issue", "list"]


@dataclass(frozen=True, kw_only=True)
class KeySpec:
    id: str
    keys: str
    """Textual key names, comma separated: "j,down"."""
    description: str
    scope: Scope
    group: str
    action: str = ""
    """The Textual action; the id when not given."""
    show: bool = True
    """Shown in the footer."""
    priority: bool = False
    palette: bool = True
    """Offered in the command palette."""
    display: str | None = None
    feature: str | None = None
    """The server capability (sentry.capabilities.Feature value) the action needs."""

    def __post_init__(self) -> None:
        if not self.action:
            object.__setattr__(self, "action", self.id)


def _section(scope: Scope, group: str, *, show: bool = True) -> Callable[..., KeySpec]:
    """The registry's rows of one section: scope, group and footer default said once."""

    def spec(**fields: Any) -> KeySpec:
        return KeySpec(scope=scope, group=group, **{"show": show, **fields})

    return spec


_list = _section("list", "Navigate")
_feed = _section("feed", "Feed")
_scope = _section("feed", "Scope", show=False)
_detail = _section("issue", "Detail", show=False)
_issue_nav = _section("issue", "Navigate")
_app = _section("app", "App")
_triage = _section("app", "Triage")

REGISTRY: tuple[KeySpec, ...] = (
    # --- navigation ------------------------------------------
    _list(
        id="cursor_down",
        keys="j,down",
        description="Down",
        show=False,
        palette=False,
        display="j/↓",
    ),
    _list(id="cursor_up", keys="k,up", description="Up", show=False, palette=False, display="k/↑"),
    _list(id="cursor_top", keys="g,home", description="Top", show=False, display="g"),
    _list(id="cursor_bottom", keys="G,end", description="Bottom", show=False, display="G"),
    _list(
        id="page_down", keys="pagedown,ctrl+d", description="Page down", show=False, palette=False
    ),
    _list(id="page_up", keys="pageup,ctrl+u", description="Page up", show=False, palette=False),
    _list(id="open", keys="enter", description="Open", display="⏎"),
    _list(id="mark", keys="space", description="Mark", display="␣"),
    _issue_nav(id="back", keys="escape", description="Back", display="esc"),
    _issue_nav(id="next_tab", keys="tab", description="Next tab", priority=True, display="⇥"),
    _issue_nav(
        id="prev_tab", keys="shift+tab", description="Previous tab", show=False, priority=True
    ),
    # --- the feed ------------------------------------------
    _feed(id="filter", keys="slash", description="Filter", display="/"),
    _feed(id="pause", keys="p", action="toggle_pause", description="Pause/resume live"),
    _feed(id="sort", keys="s", action="cycle_sort", description="Sort", show=False),
    _feed(id="next_view", keys="V", description="Next view (feed section)", show=False),
    _feed(
        id="toggle_preview",
        keys="backslash",
        description="Preview beside the list (≥ 140 columns)",
        show=False,
        display="\\",
    ),
    _feed(id="preview_tab", keys="tab", description="Next preview tab", show=False),
    _feed(
        id="alert_jump",
        keys="exclamation_mark",
        action="jump_alert",
        description="Issues of the top alert",
        show=False,
        display="!",
    ),
    _scope(id="scope_all", keys="0", action="scope(0)", description="All services"),
    _scope(id="scope_1", keys="1", action="scope(1)", description="Service 1"),
    _scope(id="scope_2", keys="2", action="scope(2)", description="Service 2"),
    _scope(id="scope_3", keys="3", action="scope(3)", description="Service 3"),
    _scope(id="scope_4", keys="4", action="scope(4)", description="Service 4"),
    # --- the issue screen ------------------------------------------
    _detail(id="toggle_frames", keys="f", description="Full/in-app frames"),
    _detail(
        id="crumb_category", keys="c", action="cycle_category", description="Breadcrumb category"
    ),
    _detail(id="next_event", keys="right_square_bracket", description="Next event", display="]"),
    _detail(id="prev_event", keys="left_square_bracket", description="Previous event", display="["),
    _detail(
        id="related_jump", keys="e", action="jump_related", description="Jump to related issue"
    ),
    # --- triage (the TriageKeysMixin on the app) ------------------------------------------
    _triage(id="resolve", keys="r", description="Resolve"),
    _triage(
        id="resolve_next_release",
        keys="R",
        description="Resolve in next release",
        show=False,
        feature="resolve_in_release",
    ),
    _triage(
        id="resolve_in_release",
        keys="L",
        description="Resolve in a release…",
        show=False,
        feature="resolve_in_release",
    ),
    _triage(id="unresolve", keys="u", description="Unresolve", show=False),
    _triage(id="archive", keys="i", description="Archive…"),
    _triage(
        id="set_priority", keys="P", description="Set priority…", show=False, feature="priority"
    ),
    _triage(id="mark_reviewed", keys="v", description="Mark reviewed", show=False, feature="inbox"),
    _triage(
        id="bookmark",
        keys="b",
        action="toggle_bookmark",
        description="Bookmark / unbookmark",
        show=False,
        feature="bookmarks",
    ),
    _triage(id="assign", keys="a", description="Assign…", feature="assign"),
    _triage(id="assign_me", keys="A", description="Assign to me", show=False, feature="assign"),
    _triage(
        id="create_ticket",
        keys="t",
        description="Create GitHub issue (one for all marked)",
        show=False,
    ),
    _triage(id="open_ticket", keys="O", description="Open linked ticket", show=False),
    _triage(id="open_sentry", keys="o", description="Open in Sentry", show=False),
    _triage(id="copy_link", keys="y", description="Copy link/short id", show=False),
    _triage(id="mark_related", keys="M", description="Mark related issues (incident)", show=False),
    _triage(id="retry_failed", keys="ctrl+r", description="Retry failed action", show=False),
    _triage(id="undo", keys="z", description="Undo last action", show=False),
    # --- app ------------------------------------------
    _app(id="help", keys="question_mark", description="Help", display="?"),
    _app(
        id="palette",
        keys="colon,ctrl+p",
        action="command_palette",
        description="Commands",
        show=False,
        palette=False,
        display=":",
    ),
    _app(id="handoff", keys="H", description="Write handoff report", show=False),
    _app(id="quit", keys="q", action="request_quit", description="Quit"),
    _app(
        id="force_quit",
        keys="ctrl+c",
        action="request_quit",
        description="Quit",
        show=False,
        priority=True,
        palette=False,
    ),
)
BY_ID = {spec.id: spec for spec in REGISTRY}
assert len(BY_ID) == len(REGISTRY), "binding ids must be unique"
RENAMED = {"ignore": "archive"}
"""Old binding ids still accepted in [keymap] (Sentry renamed ignore to archive)."""


def specs(scope: Scope) -> list[KeySpec]:
    return [s for s in REGISTRY if s.scope == scope]


def bindings(scope: Scope) -> list[Binding]:
    """Textual bindings for one scope, each with its registry id."""
    return [
        Binding(
            s.keys,
            s.action,
            s.description,
            show=s.show,
            key_display=s.display,
            priority=s.priority,
            id=s.id,
        )
        for s in specs(scope)
    ]


def check_keymap(keymap: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Keep the overrides that name a known id; one error line for each that does not."""
    good: dict[str, str] = {}
    errors: list[str] = []
    for binding_id, keys in keymap.items():
        binding_id = RENAMED.get(binding_id, binding_id)
        if binding_id not in BY_ID:
            errors.append(
                f"keymap: unknown binding id {binding_id!r}; "
                "see the ids in the help screen (?) — e.g. resolve, assign, filter"
            )
        elif not isinstance(keys, str) or not keys.strip():
            errors.append(f'keymap: {binding_id} needs keys, e.g. {binding_id} = "x"')
        else:
            good[binding_id] = keys.replace(" ", "")
    return good, errors


def effective_keys(spec: KeySpec, keymap: dict[str, str]) -> str:
    return keymap.get(spec.id, spec.keys)


def key_label(keys: str) -> str:
    """ "j,down" → "j ↓"; names made readable for the help screen."""
    names = {
        "down": "↓",
        "up": "↑",
        "enter": "⏎",
        "escape": "esc",
        "space": "space",
        "slash": "/",
        "colon": ":",
        "question_mark": "?",
        "exclamation_mark": "!",
        "right_square_bracket": "]",
        "left_square_bracket": "[",
        "pagedown": "PgDn",
        "pageup": "PgUp",
        "tab": "tab",
        "backslash": "\\",
        "shift+tab": "⇧tab",
    }
    return " ".join(names.get(k, k) for k in keys.split(","))


def help_rows(
    keymap: dict[str, str], scopes: Iterable[Scope], extra: Iterable[KeySpec] = ()
) -> list[tuple[str, str, str, str]]:
    """(group, keys, description, id) for the help screen, in registry order; `extra`:
    the user's own commands (`user_command_specs`)."""
    wanted = set(scopes)
    return [
        (s.group, key_label(effective_keys(s, keymap)), s.description, s.id)
        for s in (*REGISTRY, *extra)
        if s.scope in wanted
    ]


USER_GROUP = "Your commands"


def user_command_specs(
    commands: Iterable[tuple[str, str]], keymap: dict[str, str]
) -> tuple[list[KeySpec], list[str]]:
    """Key specs for `[[commands]]` (key, title), in the registry's shape, so help and the
    palette show them like any key.  A key already taken — by a built-in binding (with the
    keymap applied) or by an earlier command — is refused with one line naming both."""
    taken: dict[str, str] = {}
    for spec in REGISTRY:
        for key in effective_keys(spec, keymap).split(","):
            taken.setdefault(key, f"{spec.description} ({spec.id})")
    specs_out: list[KeySpec] = []
    errors: list[str] = []
    for n, (keys, title) in enumerate(commands):
        wanted = [k.strip() for k in keys.split(",") if k.strip()]
        clash = next((k for k in wanted if k in taken), None)
        if clash is not None:
            errors.append(
                f"[[commands]] {title!r}: key {key_label(clash)!r} is already "
                f"{taken[clash]}; pick another key (the command is not bound)"
            )
            continue
        spec = KeySpec(
            id=f"command_{n + 1}",
            keys=",".join(wanted),
            action=f"user_command({n})",
            description=title,
            scope="app",
            group=USER_GROUP,
            show=False,
        )
        for key in wanted:
            taken[key] = f"your command {title!r}"
        specs_out.append(spec)
    return specs_out, errors


def keys_markdown() -> str:
    """The default keys as a Markdown table (README's "Keys" section is this, verbatim)."""
    lines = ["| keys | action | id | where |", "|---|---|---|---|"]
    for group, keys, description, key_id in help_rows({}, ("list", "feed", "issue", "app")):
        where = BY_ID[key_id].scope
        shown = keys.replace("|", "\\|")
        lines.append(f"| `{shown}` | {description} ({group}) | `{key_id}` | {where} |")
    return "\n".join(lines)
