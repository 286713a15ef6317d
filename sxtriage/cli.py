"""Command line: `sxtriage [tui] | demo | relay | sim | login | doctor | config show | handoff`.

Exit codes: 0 ok, 1 a check failed (doctor), 2 bad usage/config/input.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from sxtriage import __version__

if TYPE_CHECKING:
    from sxtriage.config import LoadedSettings

# Only click is imported up front: `--help` answers without loading pydantic, httpx or
# Textual; each command imports what it needs.

_long_running = False
"""Set by `_guard`: the command ran a TUI, a server or a report, not a quick answer."""


class Program(click.Group):
    """The `sxtriage` group.  Run as the program (arguments from sys.argv), the garbage
    collector waits until a command's real work (`_guard`): what start-up allocates
    (pydantic, the config models, Textual) lives as long as the process, so collecting
    while importing is wasted work.  A quick command (--help, config show, doctor, login)
    ends with `gc.freeze()` for the same reason: the interpreter's collections on the way
    out would walk every object it made (≈ 10 ms) for nothing."""

    def main(  # type: ignore[override]
        self, args: list[str] | None = None, *rest: Any, **kwargs: Any
    ) -> Any:
        if args is not None or not gc.isenabled():
            # called from Python (tests, CliRunner), or gc is someone else's choice
            return super().main(args, *rest, **kwargs)
        gc.disable()
        try:
            return super().main(args, *rest, **kwargs)
        finally:
            if not _long_running:
                gc.freeze()
            gc.enable()


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"sxtriage: {message}", err=True)
    sys.exit(code)


def _load(ctx: click.Context, **cli: Any) -> LoadedSettings:
    from sxtriage.config import ConfigError, load_settings

    obj = ctx.find_root().obj or {}
    flags = {"data_dir": obj.get("data_dir"), **cli}
    try:
        loaded = load_settings(obj.get("config"), cli=flags)
    except ConfigError as exc:
        fail(str(exc))
    _fill_secrets(loaded)
    return loaded


def _fill_secrets(loaded: LoadedSettings) -> None:
    """Tokens not set by any layer come from the keyring (or its file fallback)."""
    from pydantic import SecretStr

    from sxtriage import secrets

    s = loaded.settings
    for field, name in (("sentry_token", secrets.SENTRY), ("github_token", secrets.GITHUB)):
        if getattr(s, field) is None:
            try:
                value = secrets.get_secret(name)
            except Exception:
                value = None
            if value:
                setattr(s, field, SecretStr(value))
                loaded.origins[field] = "keyring"


@click.group(
    cls=Program,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--config", type=click.Path(path_type=Path), help="Config TOML (default: user config dir)."
)
@click.option("--data-dir", type=click.Path(path_type=Path), help="Where the SQLite store lives.")
@click.option("--relay", "relay_url", help="Read an external relay or Spotlight sidecar at URL.")
@click.option("--debug", is_flag=True, help="Log at debug level to the log file.")
@click.version_option(__version__, prog_name="sxtriage")
@click.pass_context
def main(
    ctx: click.Context,
    config: Path | None,
    data_dir: Path | None,
    relay_url: str | None,
    debug: bool,
) -> None:
    """Live Sentry triage for the engineer on call.  With no command: the TUI."""
    from sxtriage.logs import setup_logging

    setup_logging(debug=debug)
    ctx.obj = {"config": config, "data_dir": data_dir}
    if ctx.invoked_subcommand is None:
        loaded = _load(ctx, relay_url=relay_url)
        from sxtriage.ui.run import run_tui as run

        _guard(run, loaded)


def _guard(fn: Any, *args: Any, **kwargs: Any) -> None:
    from sxtriage.config import ConfigError
    from sxtriage.store import StoreError

    global _long_running
    _long_running = True
    gc.enable()
    try:
        code = fn(*args, **kwargs)
    except (ConfigError, StoreError) as exc:
        fail(str(exc))
    except OSError as exc:
        if exc.errno in (98, 48):  # EADDRINUSE
            fail(f"{exc.strerror}: the port is in use; stop the other process or pick --port")
        raise
    if isinstance(code, int) and code:
        sys.exit(code)


@main.command()
@click.option(
    "--rate",
    type=click.FloatRange(0.0, 5000.0),
    default=0.5,
    show_default=True,
    help="Simulated events per second across the four services (the default stays under "
    "the runbooks' 10 errors/min per service, so alerts fire when you simulate them).",
)
@click.pass_context
def demo(ctx: click.Context, rate: float) -> None:
    """TUI + Sentry API simulator + relay + four simulated services; no account needed."""
    loaded = _load(ctx)
    from sxtriage.demo import run_demo as run

    _guard(run, loaded, rate=rate)


@main.command()
@click.option("--host", default=None, help="Bind address (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default 8969).")
@click.pass_context
def relay(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the relay alone (headless); logs one line per second."""
    loaded = _load(ctx, relay_host=host, relay_port=port)
    from sxtriage.relay.server import run_cli as run

    _guard(run, loaded)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--token", default=None, help="Accept only this bearer token.")
@click.option(
    "--issues",
    "n_issues",
    type=click.IntRange(0, 1_000_000),
    default=None,
    help="Seed this many issues instead of the realistic dataset.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    help="Inject a fault: 500|502|503|429|401|timeout|latency=MS[@PATH_SUBSTRING][%RATE].",
)
@click.option(
    "--scopes",
    default=None,
    help="Comma-separated scopes GET /api/0/ reports for the token (default: a triage token).",
)
def sim(
    host: str,
    port: int,
    token: str | None,
    n_issues: int | None,
    faults: tuple[str, ...],
    scopes: str | None,
) -> None:
    """Run the Sentry API simulator (+ GitHub simulator) alone."""
    from sxtriage.sim.server import run_cli as run

    scope_list = [x.strip() for x in scopes.split(",") if x.strip()] if scopes else None
    _guard(
        run,
        host=host,
        port=port,
        token=token,
        n_issues=n_issues,
        faults=list(faults),
        scopes=scope_list,
    )


@main.command()
@click.option("--sentry-token", default=None, help="Sentry auth token (prompted if omitted).")
@click.option("--github-token", default=None, help="GitHub token (optional).")
def login(sentry_token: str | None, github_token: str | None) -> None:
    """Store the Sentry and GitHub tokens in the keyring."""
    from sxtriage import secrets

    if sentry_token is None:
        if not sys.stdin.isatty():
            fail("no token given; pass --sentry-token or run in a terminal to be prompted")
        sentry_token = click.prompt("Sentry auth token", hide_input=True)
    if not sentry_token or not sentry_token.strip():
        fail("empty Sentry token; create one at Settings → Auth Tokens and try again")
    where = secrets.set_secret(secrets.SENTRY, sentry_token.strip())
    click.echo(f"Sentry token {secrets.redact(sentry_token)} stored in {where}")
    if github_token:
        where = secrets.set_secret(secrets.GITHUB, github_token.strip())
        click.echo(f"GitHub token {secrets.redact(github_token)} stored in {where}")


@main.command()
@click.option("--timeout", type=float, default=3.0, show_default=True)
@click.pass_context
def doctor(ctx: click.Context, timeout: float) -> None:
    """Check tokens, Sentry reachability, org access, relay port, keyring."""
    from sxtriage.doctor import run_checks

    loaded = _load(ctx)
    ok = True
    for check in run_checks(loaded.settings, timeout=timeout):
        ok &= check.ok
        click.echo(check.line())
    sys.exit(0 if ok else 1)


@main.group("config")
def config_group() -> None:
    """Inspect the merged configuration."""


@config_group.command("show")
@click.pass_context
def config_show(ctx: click.Context) -> None:
    """Print the merged config (tokens redacted) and where each value came from."""
    from sxtriage.doctor import render_config

    loaded = _load(ctx)
    click.echo(render_config(loaded))


@config_group.command("init")
@click.option("--force", is_flag=True, help="Replace a [services] map the file already has.")
@click.option("--print", "just_print", is_flag=True, help="Print the map instead of writing it.")
@click.pass_context
def config_init(ctx: click.Context, force: bool, just_print: bool) -> None:
    """Write a service map (one service per project) read from the Sentry org."""
    from sxtriage.config import ConfigError
    from sxtriage.config_init import init_services

    obj = ctx.find_root().obj or {}
    target: Path | None = obj.get("config")
    if target is not None and not target.exists():
        obj["config"] = None  # the file init is about to create
    loaded = _load(ctx)
    if target is not None:
        loaded.config_path = target
    try:
        click.echo(init_services(loaded, force=force, just_print=just_print))
    except ConfigError as exc:
        fail(str(exc))


@main.command()
@click.option("--since", default="8h", show_default=True, help="Shift length: 30m, 8h, 2d.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the Markdown report here (default: stdout).",
)
@click.pass_context
def handoff(ctx: click.Context, since: str, output: Path | None) -> None:
    """Markdown report of the shift for the next on-call."""
    loaded = _load(ctx)
    from sxtriage.triage.handoff import run_cli as run

    _guard(run, loaded, since=since, output=output)


if __name__ == "__main__":
    main()
