"""THE key registry: one table drives the bindings, the footer, `?` help and the palette.

Every key has an id; users remap by id in config.toml (`[keymap] resolve = "x"`), which
is applied with `App.set_keymap`.  Scopes say where a key lives:
  app   — anywhere (triage actions act on the marked issues or the one under the cursor)
  feed  — the feed screen        issue — the issue screen
  list  — any cursor list (the issue table, the detail views)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from textual.binding import Binding

Scope = Literal["app", "feed", "issue", "list"]


@dataclass(frozen=True)
class KeySpec:
    id: str
    keys: str
    """Textual key names, comma separated: "j,down"."""
    action: str
    description: str
    scope: Scope
    group: str
    show: bool = True
    """Shown in the footer."""
    priority: bool = False
    palette: bool = True
    """Offered in the command palette."""
    display: str | None = None
    feature: str | None = None
    """The server capability (sentry.capabilities.Feature value) the action needs."""


REGISTRY: tuple[KeySpec, ...] = (
    # --- navigation ------------------------------------------
    KeySpec(
        "cursor_down",
        "j,down",
        "cursor_down",
        "Down",
        "list",
        "Navigate",
        False,
        palette=False,
        display="j/↓",
    ),
    KeySpec(
        "cursor_up",
        "k,up",
        "cursor_up",
        "Up",
        "list",
        "Navigate",
        False,
        palette=False,
        display="k/↑",
    ),
    KeySpec("cursor_top", "g,home", "cursor_top", "Top", "list", "Navigate", False, display="g"),
    KeySpec(
        "cursor_bottom", "G,end", "cursor_bottom", "Bottom", "list", "Navigate", False, display="G"
    ),
    KeySpec(
        "page_down",
        "pagedown,ctrl+d",
        "page_down",
        "Page down",
        "list",
        "Navigate",
        False,
        palette=False,
    ),
    KeySpec(
        "page_up", "pageup,ctrl+u", "page_up", "Page up", "list", "Navigate", False, palette=False
    ),
    KeySpec("open", "enter", "open", "Open", "list", "Navigate", display="⏎"),
    KeySpec("mark", "space", "mark", "Mark", "list", "Navigate", display="␣"),
    KeySpec("back", "escape", "back", "Back", "issue", "Navigate", display="esc"),
    KeySpec(
        "next_tab", "tab", "next_tab", "Next tab", "issue", "Navigate", priority=True, display="⇥"
    ),
    KeySpec(
        "prev_tab",
        "shift+tab",
        "prev_tab",
        "Previous tab",
        "issue",
        "Navigate",
        False,
        priority=True,
    ),
    # --- the feed ------------------------------------------
    KeySpec("filter", "slash", "filter", "Filter", "feed", "Feed", display="/"),
    KeySpec("pause", "p", "toggle_pause", "Pause/resume live", "feed", "Feed"),
    KeySpec("sort", "s", "cycle_sort", "Sort", "feed", "Feed", False),
    KeySpec("next_view", "V", "next_view", "Next view (feed section)", "feed", "Feed", False),
    KeySpec(
        "toggle_preview",
        "backslash",
        "toggle_preview",
        "Preview beside the list (≥ 140 columns)",
        "feed",
        "Feed",
        False,
        display="\\",
    ),
    KeySpec("preview_tab", "tab", "preview_tab", "Next preview tab", "feed", "Feed", False),
    KeySpec(
        "alert_jump",
        "exclamation_mark",
        "jump_alert",
        "Issues of the top alert",
        "feed",
        "Feed",
        False,
        display="!",
    ),
    KeySpec("scope_all", "0", "scope(0)", "All services", "feed", "Scope", False),
    KeySpec("scope_1", "1", "scope(1)", "Service 1", "feed", "Scope", False),
    KeySpec("scope_2", "2", "scope(2)", "Service 2", "feed", "Scope", False),
    KeySpec("scope_3", "3", "scope(3)", "Service 3", "feed", "Scope", False),
    KeySpec("scope_4", "4", "scope(4)", "Service 4", "feed", "Scope", False),
    # --- the issue screen ------------------------------------------
    KeySpec("toggle_frames", "f", "toggle_frames", "Full/in-app frames", "issue", "Detail", False),
    KeySpec(
        "crumb_category", "c", "cycle_category", "Breadcrumb category", "issue", "Detail", False
    ),
    KeySpec(
        "next_event",
        "right_square_bracket",
        "next_event",
        "Next event",
        "issue",
        "Detail",
        False,
        display="]",
    ),
    KeySpec(
        "prev_event",
        "left_square_bracket",
        "prev_event",
        "Previous event",
        "issue",
        "Detail",
        False,
        display="[",
    ),
    KeySpec("related_jump", "e", "jump_related", "Jump to related issue", "issue", "Detail", False),
    # --- triage (the TriageKeysMixin on the app) ------------------------------------------
    KeySpec("resolve", "r", "resolve", "Resolve", "app", "Triage"),
    KeySpec(
        "resolve_next_release",
        "R",
        "resolve_next_release",
        "Resolve in next release",
        "app",
        "Triage",
        False,
        feature="resolve_in_release",
    ),
    KeySpec(
        "resolve_in_release",
        "L",
        "resolve_in_release",
        "Resolve in a release…",
        "app",
        "Triage",
        False,
        feature="resolve_in_release",
    ),
    KeySpec("unresolve", "u", "unresolve", "Unresolve", "app", "Triage", False),
    KeySpec("archive", "i", "archive", "Archive…", "app", "Triage"),
    KeySpec(
        "set_priority",
        "P",
        "set_priority",
        "Set priority…",
        "app",
        "Triage",
        False,
        feature="priority",
    ),
    KeySpec(
        "mark_reviewed",
        "v",
        "mark_reviewed",
        "Mark reviewed",
        "app",
        "Triage",
        False,
        feature="inbox",
    ),
    KeySpec(
        "bookmark",
        "b",
        "toggle_bookmark",
        "Bookmark / unbookmark",
        "app",
        "Triage",
        False,
        feature="bookmarks",
    ),
    KeySpec("assign", "a", "assign", "Assign…", "app", "Triage", feature="assign"),
    KeySpec(
        "assign_me", "A", "assign_me", "Assign to me", "app", "Triage", False, feature="assign"
    ),
    KeySpec(
        "create_ticket",
        "t",
        "create_ticket",
        "Create GitHub issue (one for all marked)",
        "app",
        "Triage",
        False,
    ),
    KeySpec("open_ticket", "O", "open_ticket", "Open linked ticket", "app", "Triage", False),
    KeySpec("open_sentry", "o", "open_sentry", "Open in Sentry", "app", "Triage", False),
    KeySpec("copy_link", "y", "copy_link", "Copy link/short id", "app", "Triage", False),
    KeySpec(
        "mark_related",
        "M",
        "mark_related",
        "Mark related issues (incident)",
        "app",
        "Triage",
        False,
    ),
    KeySpec(
        "retry_failed", "ctrl+r", "retry_failed", "Retry failed action", "app", "Triage", False
    ),
    KeySpec("undo", "z", "undo", "Undo last action", "app", "Triage", False),
    # --- app ------------------------------------------
    KeySpec("help", "question_mark", "help", "Help", "app", "App", display="?"),
    KeySpec(
        "palette",
        "colon,ctrl+p",
        "command_palette",
        "Commands",
        "app",
        "App",
        False,
        palette=False,
        display=":",
    ),
    KeySpec("handoff", "H", "handoff", "Write handoff report", "app", "App", False),
    KeySpec("quit", "q", "request_quit", "Quit", "app", "App"),
    KeySpec(
        "force_quit",
        "ctrl+c",
        "request_quit",
        "Quit",
        "app",
        "App",
        False,
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
            f"command_{n + 1}",
            ",".join(wanted),
            f"user_command({n})",
            title,
            "app",
            USER_GROUP,
            False,
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
