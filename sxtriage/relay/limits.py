"""Size and shape limits of the relay (like Sentry Relay's), and bounded decompression."""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass

import brotli

from sxtriage.config import Settings


class LimitError(Exception):
    """A body or item exceeds a limit; `status` is the HTTP status to answer (413)."""

    status = 413


class BodyError(ValueError):
    """A body cannot be decoded; answered with 400 and this one-line message."""


@dataclass(frozen=True)
class Limits:
    max_event_bytes: int = 1024 * 1024
    """One event/transaction item, decompressed."""
    max_envelope_bytes: int = 20 * 1024 * 1024
    """The request body as sent (compressed)."""
    max_decompressed_bytes: int = 100 * 1024 * 1024
    """The body after decompression (decompression bombs stop here)."""
    max_items: int = 1000
    max_header_bytes: int = 64 * 1024
    """One envelope or item header line."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_event_bytes=settings.relay_max_event_bytes,
            max_envelope_bytes=settings.relay_max_envelope_bytes,
            max_decompressed_bytes=max(
                settings.relay_max_envelope_bytes * 5, settings.relay_max_event_bytes
            ),
        )


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """Undo Content-Encoding (gzip, deflate, br, identity) without exceeding `limit`."""
    enc = (encoding or "identity").strip().lower()
    if enc in ("", "identity"):
        if len(body) > limit:
            raise LimitError(f"body of {len(body)} bytes exceeds the {limit}-byte limit")
        return body
    if enc in ("gzip", "x-gzip"):
        return _inflate(body, 16 + zlib.MAX_WBITS, limit, "gzip")
    if enc == "deflate":
        # RFC says zlib-wrapped; some clients send raw deflate: accept both.
        try:
            return _inflate(body, zlib.MAX_WBITS, limit, "deflate")
        except BodyError:
            return _inflate(body, -zlib.MAX_WBITS, limit, "deflate")
    if enc == "br":
        return _brotli(body, limit)
    raise BodyError(f"unsupported Content-Encoding {encoding!r}; use gzip, deflate, br or none")


def _inflate(body: bytes, wbits: int, limit: int, name: str) -> bytes:
    d = zlib.decompressobj(wbits)
    try:
        out = d.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BodyError(f"invalid {name} body ({exc}); send valid {name} or no encoding") from None
    if len(out) > limit or d.unconsumed_tail:
        raise LimitError(f"{name} body inflates beyond the {limit}-byte limit")
    if not d.eof:
        raise BodyError(f"truncated {name} body; send the complete stream")
    return out


def _brotli(body: bytes, limit: int) -> bytes:
    d = brotli.Decompressor()
    try:
        out = d.process(body, output_buffer_limit=limit + 1)
        if len(out) > limit or not d.can_accept_more_data():
            raise LimitError(f"br body inflates beyond the {limit}-byte limit")
        if not d.is_finished():
            raise BodyError("truncated br body; send the complete stream")
    except brotli.error as exc:
        raise BodyError(f"invalid br body ({exc}); send valid brotli or no encoding") from None
    return out


def decode_store_body(body: bytes, limit: int) -> bytes:
    """A legacy `/store/` body as JSON bytes, like Sentry Relay's store endpoint: plain
    JSON, or base64 of JSON, or base64 of zlib-compressed JSON (old Raven SDKs)."""
    stripped = body.lstrip()
    if not stripped or stripped.startswith(b"{"):
        return body
    try:
        binary = base64.b64decode(stripped, validate=False)
    except (binascii.Error, ValueError):
        raise BodyError("store body is neither JSON nor base64; send the event as JSON") from None
    if binary.lstrip().startswith(b"{"):
        return binary
    return _inflate(binary, zlib.MAX_WBITS, limit, "zlib store")
