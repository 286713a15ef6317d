"""AlertsStrip and RelatedPanel driven by Pilot in a tiny host app."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import App, ComposeResult
from textual.widgets import OptionList

from sxtriage.insights.correlate import Correlator, Related
from sxtriage.insights.firing import Firing
from sxtriage.models import IssueKey, Source
from sxtriage.ui.widgets.alerts_strip import AlertsStrip
from sxtriage.ui.widgets.related_panel import RelatedPanel
from tests.fixtures_alerts import Recorded

T0 = 1_800_000_000.0
A = (Source.RELAY, "a1")
B = (Source.SENTRY, "42")


def firing(rule: str, service: str, value: float, keys: list[IssueKey], **kw: object) -> Firing:
    return Firing(
        rule_id=rule,
        rule_name=kw.pop("name", rule),  # type: ignore[arg-type]
        service=service,
        value=value,
        threshold=kw.pop("threshold", 10),  # type: ignore[arg-type]
        unit=kw.pop("unit", ""),  # type: ignore[arg-type]
        window=60,
        since=T0,
        issue_keys=keys,
        **kw,  # type: ignore[arg-type]
    )


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.jumps: list[object] = []

    def compose(self) -> ComposeResult:
        yield AlertsStrip(id="alerts")
        yield RelatedPanel(id="related")

    def on_alerts_strip_jump(self, message: AlertsStrip.Jump) -> None:
        self.jumps.append(("alert", message.firing.rule_id, message.keys))

    def on_related_panel_jump(self, message: RelatedPanel.Jump) -> None:
        self.jumps.append(("related", message.key))


def lines(widget: OptionList) -> list[str]:
    return [str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count)]


async def test_strip_hidden_until_something_fires_then_jumps() -> None:
    app = Host()
    async with app.run_test(size=(140, 30)) as pilot:
        strip = app.query_one(AlertsStrip)
        assert strip.display is False
        strip.update_alerts(
            [
                firing("errors-per-minute", "api", 14, [A, B], name="errors per minute"),
                firing(
                    "p95-duration",
                    "search",
                    2450,
                    [],
                    name="p95 transaction duration",
                    threshold=1000,
                    unit="ms",
                    event_time=datetime.fromtimestamp(T0 - 5, UTC),
                ),
            ]
        )
        await pilot.pause()
        assert strip.display is True and strip.size.height == 2
        options = strip.query_one(OptionList)
        text = lines(options)
        clock = datetime.fromtimestamp(T0).strftime("%H:%M:%S")
        assert text[0] == f"▲ api errors per minute 14 > 10 /1m · since {clock} · 2 issues ⏎"
        assert text[1].startswith("▲ search p95 transaction duration 2.45s > 1.00s /1m")
        assert "last event" in text[1]
        options.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.jumps == [("alert", "errors-per-minute", [A, B])]
        # The highlight follows the rule across updates; an empty list hides the strip.
        await pilot.press("down")
        strip.update_alerts([strip.firing[1], strip.firing[0]])
        assert options.highlighted == 0
        strip.update_alerts([])
        await pilot.pause()
        assert strip.display is False
        assert strip.jump() is False


async def test_strip_shows_hostile_text_literally() -> None:
    app = Host()
    async with app.run_test(size=(160, 20)) as pilot:
        strip = app.query_one(AlertsStrip)
        strip.update_alerts([firing("x", "api", 3, [], name="[bold]boom[/] \x1b[31mred")])
        await pilot.pause()
        (text,) = lines(strip.query_one(OptionList))
        assert "[bold]boom[/] \\x1b[31mred" in text


def related_items() -> list[Related]:
    return [
        Related(
            A, "api", "API-7", "RuntimeError: Payment declined", 3, "db.query (internal_error)"
        ),
        Related(B, "search", "SEARCH-2", "[red]ctx[/red] deadline\x1b]8;;http://x\x07", 1, None),
    ]


async def test_related_panel_rows_and_jump() -> None:
    app = Host()
    async with app.run_test(size=(120, 30)) as pilot:
        panel = app.query_one(RelatedPanel)
        empty = panel.query_one("#related-empty")
        assert empty.display is True
        panel.update_related(related_items())
        await pilot.pause()
        assert empty.display is False
        options = panel.query_one(OptionList)
        first, second = lines(options)
        assert first.splitlines() == [
            "api  API-7  3 shared traces",
            "RuntimeError: Payment declined",
            "↳ db.query (internal_error)",
        ]
        assert second.splitlines()[0] == "search  SEARCH-2  1 shared trace"
        assert second.splitlines()[1] == "[red]ctx[/red] deadline\\x1b]8;;http://x\\x07"
        assert "(2)" in str(panel.query_one("#related-title").render())
        options.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.jumps == [("related", B)]
        # The highlight stays on the same issue when the rows are re-ordered.
        panel.update_related(list(reversed(related_items())))
        assert panel.highlighted_key == B
        assert panel.jump(5) is False


async def test_related_panel_from_recorded_shared_trace(
    shared_trace_events: list[Recorded],
) -> None:
    corr = Correlator()
    for i, rec in enumerate(shared_trace_events):
        corr.observe_event(rec.event, rec.issue_key, received=T0 + i)
    web = next(r for r in shared_trace_events if r.event.service == "web")
    assert web.issue_key is not None
    app = Host()
    async with app.run_test(size=(120, 30)) as pilot:
        panel = app.query_one(RelatedPanel)
        panel.update_related(corr.related(web.issue_key))
        await pilot.pause()
        text = "\n".join(lines(panel.query_one(OptionList)))
        assert "api" in text and "search" in text
        assert "↳ search.shard (deadline_exceeded)" in text
        assert panel.jump() is True
        await pilot.pause()
        assert app.jumps[0][0] == "related" and app.jumps[0][1] in corr.group_of(web.issue_key)
