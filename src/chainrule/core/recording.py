"""Whether operations are recorded: ``no_grad``, ``enable_grad`` and per-node hooks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# "grad_enabled" is False inside no_grad, True while recording, or a callable while
# recording with a per-node hook (``on_create``): one lookup serves the hot path.
# "observer": None, or a function root -> Observer that every backward pass reports to
# (core.backward.observe_passes; detect_anomaly uses it); read once per pass.
_state: dict[str, Any] = {"grad_enabled": True, "observer": None}


def grad_enabled() -> bool:
    """Whether operations are being recorded (False inside ``no_grad``)."""
    return bool(_state["grad_enabled"])


@contextmanager
def on_create(hook: Any) -> Iterator[None]:
    """Context manager: call ``hook(node)`` for every op node recorded inside (tools such
    as source tracing use it; ordinary recording pays nothing for it)."""
    previous = _state["grad_enabled"]
    if previous is False:
        yield
        return
    outer = None if previous is True else previous

    def both(node: Any) -> None:
        if outer is not None:
            outer(node)
        hook(node)

    _state["grad_enabled"] = both
    try:
        yield
    finally:
        _state["grad_enabled"] = previous


@contextmanager
def no_grad() -> Iterator[None]:
    """Context manager: nothing computed inside is recorded for differentiation."""
    previous = _state["grad_enabled"]
    _state["grad_enabled"] = False
    try:
        yield
    finally:
        _state["grad_enabled"] = previous


@contextmanager
def enable_grad() -> Iterator[None]:
    """Context manager: re-enable recording inside a ``no_grad`` block."""
    previous = _state["grad_enabled"]
    _state["grad_enabled"] = previous or True
    try:
        yield
    finally:
        _state["grad_enabled"] = previous


