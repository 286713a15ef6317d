"""Config precedence (each layer) and every bad-input case, each one line + exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sxtriage.cli import main
from sxtriage.config import ConfigError, default_config_path, load_settings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_have_the_four_services() -> None:
    loaded = load_settings(env={})
    s = loaded.settings
    assert list(s.services) == ["api", "web", "mobile", "search"]
    assert s.services["api"].platform == "python"
    assert s.services["web"].platform == "javascript-react"
    assert s.services["mobile"].platform == "react-native"
    assert s.services["search"].platform == "go"
    assert s.service_for_relay_project(3) == "mobile"
    assert s.service_for_project("search") == "search"
    assert loaded.origins["sentry_url"] == "default"


def test_each_layer_overrides_the_previous(isolated_home: Path) -> None:
    rc = write(
        isolated_home / ".sentryclirc",
        "[auth]\ntoken=rc-token-0000\n[defaults]\norg=rc-org\nurl=https://rc.example\n",
    )
    s = load_settings(env={}).settings
    assert s.sentry_org == "rc-org"
    assert s.sentry_url == "https://rc.example"
    assert s.sentry_token is not None and s.sentry_token.get_secret_value() == "rc-token-0000"

    write(default_config_path(), '[sentry]\norg = "toml-org"\npoll_interval = 30\n')
    loaded = load_settings(env={})
    assert loaded.settings.sentry_org == "toml-org"
    assert loaded.settings.sentry_url == "https://rc.example"  # not overridden
    assert loaded.settings.poll_interval == 30
    assert loaded.origins["sentry_org"] == str(default_config_path())
    assert loaded.origins["sentry_url"] == str(rc)

    loaded = load_settings(env={"SENTRY_ORG": "env-org", "SXTRIAGE_POLL_INTERVAL": "5"})
    assert loaded.settings.sentry_org == "env-org"
    assert loaded.settings.poll_interval == 5
    assert loaded.origins["sentry_org"] == "env"

    loaded = load_settings(env={"SENTRY_ORG": "env-org"}, cli={"sentry_org": "flag-org"})
    assert loaded.settings.sentry_org == "flag-org"
    assert loaded.origins["sentry_org"] == "command line"


def test_github_token_prefers_github_token_over_gh_token() -> None:
    s = load_settings(env={"GH_TOKEN": "gh-aaaa", "GITHUB_TOKEN": "gh-bbbb"}).settings
    assert s.github_token is not None and s.github_token.get_secret_value() == "gh-bbbb"
    s = load_settings(env={"GH_TOKEN": "gh-aaaa"}).settings
    assert s.github_token is not None and s.github_token.get_secret_value() == "gh-aaaa"


def test_explicit_config_path_and_service_map(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "c.toml",
        """
theme = "sxtriage-light"
[keymap]
resolve = "x"
[services.billing]
projects = ["billing", "billing-worker"]
relay_project_ids = [7]
platform = "python"
github_repo = "acme/billing"
default_team = "payments"
""",
    )
    s = load_settings(cfg, env={}).settings
    assert list(s.services) == ["billing"]
    assert s.service_for_project("billing-worker") == "billing"
    assert s.keymap == {"resolve": "x"}
    assert s.theme == "sxtriage-light"


BAD_CONFIGS = [
    ("theme = [unclosed", "invalid TOML"),
    ("[sentry]\nurl = 'ftp://x'\n", "sentry_url"),
    ("[sentry]\nbogus = 1\n", "unknown key [sentry] bogus"),
    ("nonsense_key = 1\n", "unknown setting"),
    ("[services.api]\nplatform = 'cobol'\n", "unknown platform"),
    ("[services.Bad_Name]\nplatform = 'go'\n", "service name"),
    ("[services.api]\nfrobnicate = true\n", "services.api.frobnicate"),
    (
        "[services.a]\nrelay_project_ids=[1]\n[services.b]\nrelay_project_ids=[1]\n",
        "relay project id 1",
    ),
    ("[services.api]\ngithub_repo = 'not a repo'\n", "owner/name"),
    ("[relay]\nport = 70000\n", "relay_port"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_CONFIGS)
def test_bad_config_is_one_line_naming_file_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    cfg = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env={})
    message = str(info.value)
    assert "\n" not in message
    assert expected in message
    assert str(cfg) in message

    result = CliRunner().invoke(main, ["--config", str(cfg), "config", "show"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert expected in result.output


def test_malformed_sentryclirc(isolated_home: Path) -> None:
    write(isolated_home / ".sentryclirc", "token without a section\n")
    result = CliRunner().invoke(main, ["config", "show"])
    assert result.exit_code == 2
    assert ".sentryclirc" in result.output
    assert "Traceback" not in result.output


def test_bad_env_value_names_env() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env={"SENTRY_URL": "not-a-url"})
    assert str(info.value).startswith("env: sentry_url")


@pytest.mark.parametrize("url", ["http://[::1", "http://host:99999", "http://:80"])
def test_malformed_url_is_a_config_error_not_a_traceback(url: str) -> None:
    result = CliRunner().invoke(main, ["doctor"], env={"SENTRY_URL": url})
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "env: sentry_url" in result.output


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "nope.toml"), "config", "show"])
    assert result.exit_code == 2
    assert "not found" in result.output


def test_empty_defaults_are_never_shared() -> None:
    from sxtriage.config import CommandConfig, ServiceConfig, ViewConfig, load_settings

    first = load_settings(env={}).settings
    second = load_settings(env={}).settings
    first.keymap["resolve"] = "x"
    first.relay_keys.append("k")
    first.views.append(ViewConfig(name="mine"))
    first.commands.append(CommandConfig(key="o", title="Open", run="code {file}"))
    assert second.keymap == {} and second.relay_keys == []
    assert second.views == [] and second.commands == []
    one, other = ServiceConfig(), ServiceConfig()
    one.projects.append("api")
    assert other.projects == [] and other.relay_project_ids == []
