"""README stays true: its quick start and its key table come from the real registry."""

from __future__ import annotations

from pathlib import Path

from sxtriage.ui.bindings import REGISTRY, keys_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_opens_with_the_two_commands() -> None:
    text = README.read_text()
    block = text.split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands[:2] == ["make demo", "make test"]


def test_readme_key_table_matches_the_registry() -> None:
    text = README.read_text()
    table = text.split("<!-- keys:start -->\n", 1)[1].split("\n<!-- keys:end -->", 1)[0]
    assert table == keys_markdown(), "regenerate README's key table from keys_markdown()"
    for spec in REGISTRY:
        assert f"`{spec.id}`" in table
