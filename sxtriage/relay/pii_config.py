"""The PII config the relay scrubs with, and the same config cut to what one event can match.

The config is Sentry's default datascrubbing config (converted by `sentry_relay`) plus a
rule that scrubs message text and, optionally, user e-mails.  `pii_strip_event` parses
the whole config on every call, and most of that config is selector chains that cannot
match a given event: span and log selectors (an error event has no spans, and
normalization removes a root `attributes`), and one chain of about 60 session/CSRF cookie
names.  `ConfigPicker` hands out, per event, the config without the alternatives that
event cannot match — same result, a third of the parsing.  tests/test_normalize.py checks
that the output is identical to the whole config's on every recorded payload and on
events full of cookies and secrets.
"""

from __future__ import annotations

import json
from typing import Any

from sentry_relay.processing import convert_datascrubbing_config, validate_pii_config

MESSAGE_RULE = "$error.value || $logentry.formatted || $message"
MESSAGE_ACTIONS = ["@creditcard:replace", "@email:replace", "@usssn:replace", "@ip:replace"]
USER_EMAIL_RULE = "$user.email || $user.sentry_user"
"""`sentry_user` is derived by normalization ("email:bob@…"), so it is scrubbed too."""

_NOT_IN_ERROR_EVENTS = ("$span", "attributes.", "$log.")
"""Selector roots an error event cannot contain once normalized."""
_CACHE_MAX = 256


def build_pii_config(*, scrub_user_emails: bool = True) -> dict[str, Any]:
    """Sentry's default PII config + message-text scrubbing (+ user e-mails)."""
    config = convert_datascrubbing_config(
        {
            "scrubData": True,
            "scrubDefaults": True,
            "scrubIpAddresses": True,
            "sensitiveFields": [],
            "excludeFields": [],
        }
    )
    apps = config.setdefault("applications", {})
    apps[MESSAGE_RULE] = list(MESSAGE_ACTIONS)
    if scrub_user_emails:
        apps[USER_EMAIL_RULE] = ["@email:replace"]
    validate_pii_config(json.dumps(config))
    return config


def _alternatives(selector: str) -> list[str] | None:
    """The top-level `||` alternatives of a selector; None for a compound one."""
    if selector.startswith("(") or "&&" in selector or "!" in selector:
        return None
    return [part.strip() for part in selector.split("||")]


def error_event_pii_config(config: dict[str, Any]) -> dict[str, Any]:
    """`config` without the span/log/attribute alternatives (for events without spans)."""
    apps: dict[str, Any] = {}
    for selector, actions in config.get("applications", {}).items():
        alts = _alternatives(selector)
        if alts is None or len(alts) == 1:
            apps[selector] = actions
            continue
        kept = [alt for alt in alts if not alt.startswith(_NOT_IN_ERROR_EVENTS)]
        if kept:
            apps[" || ".join(kept)] = actions
    return dict(config, applications=apps)


def _final_key(alt: str) -> str | None:
    """The literal key an alternative ends in (`*.cookies.sudo`, `*.'x.cookie.sudo'`)."""
    if not alt.startswith("*.") or alt.endswith("*"):
        return None
    last = alt.rsplit("'", 2)[-2] if alt.endswith("'") else alt.rsplit(".", 1)[-1]
    name = last.rsplit(".", 1)[-1].lower()
    return name if name and not name.startswith("$") else None


def _common_marker(alts: list[str]) -> str | None:
    for word in ("cookie",):
        if all(word in alt.lower() for alt in alts):
            return word
    return None


class _Tailored:
    """One base config with its long key-name chain split out."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.apps: dict[str, Any] = {}
        self.chain: tuple[str, list[tuple[str, str]], Any] | None = None
        for selector, actions in config.get("applications", {}).items():
            alts = _alternatives(selector)
            keyed = [(alt, _final_key(alt)) for alt in alts] if alts and len(alts) > 20 else []
            if self.chain is None and keyed and all(name for _alt, name in keyed):
                pairs = [(alt, str(name)) for alt, name in keyed]
                self.chain = (selector, pairs, actions)
                self.apps[selector] = None  # placeholder: keeps the rule order
            else:
                self.apps[selector] = actions
        self.names = sorted({name for _alt, name in self.chain[1]}) if self.chain else []
        self.marker = _common_marker([alt for alt, _n in self.chain[1]]) if self.chain else None
        """A word every alternative of the chain has in a literal key ("cookie"): text
        without it can match none of them, and is answered with one search."""
        self._cache: dict[tuple[str, ...], str] = {}

    def for_text(self, lowered: str) -> str:
        if self.marker is not None and self.marker not in lowered:
            present: tuple[str, ...] = ()
        else:
            present = tuple(n for n in self.names if n + '"' in lowered)
        text = self._cache.get(present)
        if text is None:
            text = self._build(present)
            if len(self._cache) < _CACHE_MAX:
                self._cache[present] = text
        return text

    def _build(self, present: tuple[str, ...]) -> str:
        apps: dict[str, Any] = {}
        for selector, actions in self.apps.items():
            if actions is not None or self.chain is None:
                apps[selector] = actions
                continue
            _sel, pairs, chain_actions = self.chain
            kept = [alt for alt, name in pairs if name in present]
            if kept:
                apps[" || ".join(kept)] = chain_actions
        return json.dumps({"applications": apps})


class ConfigPicker:
    """Per event: the whole config cut to the alternatives that event can match.

    A key-name alternative (`*.cookies.sudo`, `*.'http.request.header.cookie.sudo'`) can
    only match when the event's JSON has a key ending in that name, so when the text
    lacks `sudo"` (compared case-insensitively) it is left out; span selectors are left
    out when the event has no spans."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.whole = json.dumps(config)
        self._with_spans = _Tailored(config)
        self._without_spans = _Tailored(error_event_pii_config(config))

    def for_event(self, normalized_json: str) -> str:
        tailored = self._with_spans if '"spans"' in normalized_json else self._without_spans
        return tailored.for_text(normalized_json.lower())
