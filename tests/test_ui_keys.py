"""The key registry drives bindings, help and the palette; keymaps; themes."""

from __future__ import annotations

from pathlib import Path

from sxtriage.config import Settings, config_dir
from sxtriage.feed import SortKey
from sxtriage.ui.app import SxTriageApp
from sxtriage.ui.bindings import BY_ID, REGISTRY, bindings, check_keymap, help_rows
from sxtriage.ui.screens.help import HelpScreen
from sxtriage.ui.theme import load_themes, parse_theme
from tests.fixtures_ui import build_app, make_issues
from tests.palette import search_palette

DESIGN_KEYS = {
    "cursor_down": "j,down",
    "cursor_up": "k,up",
    "cursor_top": "g,home",
    "cursor_bottom": "G,end",
    "open": "enter",
    "back": "escape",
    "filter": "slash",
    "palette": "colon,ctrl+p",
    "scope_all": "0",
    "scope_4": "4",
    "next_tab": "tab",
    "resolve": "r",
    "resolve_next_release": "R",
    "archive": "i",
    "resolve_in_release": "L",
    "set_priority": "P",
    "mark_reviewed": "v",
    "bookmark": "b",
    "next_view": "V",
    "unresolve": "u",
    "assign": "a",
    "assign_me": "A",
    "create_ticket": "t",
    "open_ticket": "O",
    "open_sentry": "o",
    "copy_link": "y",
    "mark": "space",
    "pause": "p",
    "undo": "z",
    "help": "question_mark",
    "quit": "q",
    "force_quit": "ctrl+c",
}


def test_registry_has_every_design_key_with_an_id() -> None:
    for binding_id, keys in DESIGN_KEYS.items():
        assert BY_ID[binding_id].keys == keys
    assert len({s.id for s in REGISTRY}) == len(REGISTRY)
    for scope in ("app", "feed", "issue", "list"):
        assert all(b.id for b in bindings(scope))  # type: ignore[arg-type]


def test_triage_actions_exist_on_the_app() -> None:
    for spec in REGISTRY:
        if spec.scope == "app":
            name = spec.action.split("(")[0]
            assert hasattr(SxTriageApp, f"action_{name}"), name


def test_keymap_check_names_unknown_ids() -> None:
    good, errors = check_keymap({"resolve": "x", "bogus": "y", "ignore": " "})
    assert good == {"resolve": "x"}
    assert len(errors) == 2 and "unknown binding id 'bogus'" in errors[0]
    assert "archive needs keys" in errors[1]  # the old id "ignore" names the renamed one
    assert check_keymap({"ignore": "x"}) == ({"archive": "x"}, [])
    rows = help_rows(good, ("app",))
    assert ("Triage", "x", "Resolve", "resolve") in rows


async def test_user_keymap_rebinds_and_help_follows(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, keymap={"resolve": "x", "nope": "n"})
    app = build_app(tmp_path, make_issues(5), settings=settings)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            active = app.screen.active_bindings
            assert active["x"].binding.action == "resolve"
            assert "r" not in active or active["r"].binding.action != "resolve"
            assert any("unknown binding id 'nope'" in n.message for n in app._notifications)
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            assert app.screen.keymap == {"resolve": "x"}
            await pilot.press("escape")
            assert not isinstance(app.screen, HelpScreen)
    finally:
        app.session.store.close()


async def test_palette_runs_registry_and_view_commands(ui_app) -> None:  # type: ignore[no-untyped-def]
    app = ui_app(make_issues(10))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("colon")
        await pilot.pause()
        await search_palette(pilot, "Sort by events")
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.feed.sort is SortKey.EVENTS
        await pilot.press("colon")
        await search_palette(pilot, "Scope: mobile")
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.feed.scope == "mobile"


def test_builtin_and_user_themes(isolated_home: Path) -> None:
    themes, errors = load_themes()
    names = {t.name for t in themes}
    assert {"sxtriage-dark", "sxtriage-light", "sxtriage-high-contrast"} <= names
    assert not errors
    user = config_dir() / "themes"
    user.mkdir(parents=True)
    (user / "mine.toml").write_text('name = "mine"\nprimary = "#ff00ff"\ndark = false\n')
    (user / "bad.toml").write_text('name = "bad"\nprimary = "not-a-colour"\n')
    (user / "broken.toml").write_text("name = \n")
    themes, errors = load_themes()
    assert "mine" in {t.name for t in themes}
    assert len(errors) == 2 and any("not a colour" in e for e in errors)
    assert parse_theme(user / "mine.toml").dark is False


async def test_theme_choice_persists_across_restarts(tmp_path: Path) -> None:
    app = build_app(tmp_path, make_issues(3))
    async with app.run_test() as pilot:
        assert app.theme == "sxtriage-dark"
        app.choose_theme("sxtriage-light")
        await pilot.pause(0.2)
        await app.workers.wait_for_complete()
    app.session.store.close()
    again = build_app(tmp_path, make_issues(3))
    try:
        async with again.run_test() as pilot:
            await pilot.pause()
            assert again.theme == "sxtriage-light"
            again.choose_theme("no-such-theme")
            assert again.theme == "sxtriage-dark"
    finally:
        again.session.store.close()
