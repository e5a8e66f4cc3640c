"""How a checking report shows itself in a notebook: a verdict in words, then its text."""

from __future__ import annotations

import html


def report_html(verdict: str, ok: bool, text: str) -> str:
    """``verdict`` (said in words, coloured too) above the report's plain text."""
    colour = "#166534" if ok else "#991b1b"
    return (f'<div class="chainrule-report"><p style="color:{colour};font-weight:bold">'
            f"{html.escape(verdict)}</p><pre style='white-space:pre-wrap'>"
            f"{html.escape(text)}</pre></div>")
