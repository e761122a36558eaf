"""Document text made safe to print: no control characters or escape sequences reach a terminal.

A document can hold ``\\x1b]0;title\\x07`` (retitles the terminal) or
``\\x1b[2J`` (clears it). Every piece of document text the CLI or the TUI
shows goes through `safe`, which replaces control characters (C0 except
newline and tab, DEL, C1, and the bidirectional overrides) with a visible
``\\xNN`` / ``\\uNNNN`` form, so the text is shown, never obeyed.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: str) -> str:
    """``text`` with every control character shown as an escape instead of sent."""
    return _CONTROL.sub(_visible, text)


def one_line(text: str, limit: int | None = None) -> str:
    """Safe text with its whitespace collapsed, cut to ``limit`` characters with "…"."""
    flat = " ".join(safe(text).split())
    if limit is not None and len(flat) > limit:
        return flat[: limit - 1].rstrip() + "…"
    return flat


def safe_json(data: object) -> str:
    """JSON with UTF-8 text kept readable and every control character escaped
    (``json`` escapes C0 already; C1 and bidi overrides it would print raw)."""
    import json

    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(data, ensure_ascii=False, indent=2))
