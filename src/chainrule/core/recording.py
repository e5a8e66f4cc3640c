"""Whether operations are recorded: ``no_grad``, ``enable_grad``, per-node hooks, the
observer every backward pass reports to, and how deep inside transforms we are.

Every mode is a context variable, so each thread (and each asyncio task) has its own, as
torch's grad mode is per thread: ``no_grad()`` in one thread never stops another from
recording, and a new thread starts recording. ``recording()`` is the hot path's read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

# False inside no_grad, True while recording, or a callable while recording with a
# per-node hook (``on_create``): one read serves the hot path.
_GRAD: ContextVar[Any] = ContextVar("chainrule_grad_enabled", default=True)
# None, or a function root -> Observer that every backward pass reports to
# (core.backward.observe_passes; detect_anomaly uses it); read once per pass.
_OBSERVER: ContextVar[Any] = ContextVar("chainrule_observer", default=None)
# How many transforms (grad, jacobian...) are running f: inside one, a transform's result
# stays in the outer graph, and converting a traced value to a number is an error.
_LEVEL: ContextVar[int] = ContextVar("chainrule_transform_level", default=0)

recording = _GRAD.get
"""``recording()``: False inside ``no_grad``, else True or the per-node hook (truthy)."""
transform_level = _LEVEL.get
"""``transform_level()``: how many transforms are tracing a function in this thread."""


def grad_enabled() -> bool:
    """Whether operations are being recorded in this thread (False inside ``no_grad``)."""
    return bool(_GRAD.get())


@contextmanager
def _set(var: ContextVar[Any], value: Any) -> Iterator[None]:
    previous = var.get()
    var.set(value)
    try:
        yield
    finally:
        var.set(previous)


def on_create(hook: Any) -> AbstractContextManager[None]:
    """Context manager: call ``hook(node)`` for every op node recorded inside, in this
    thread (tools such as source tracing use it; ordinary recording pays nothing for it)."""
    previous = _GRAD.get()
    if previous is False:
        return _set(_GRAD, False)
    outer = None if previous is True else previous

    def both(node: Any) -> None:
        if outer is not None:
            outer(node)
        hook(node)

    return _set(_GRAD, both)


def no_grad() -> AbstractContextManager[None]:
    """Context manager: nothing computed inside (in this thread) is recorded for
    differentiation."""
    return _set(_GRAD, False)


def enable_grad() -> AbstractContextManager[None]:
    """Context manager: re-enable recording inside a ``no_grad`` block."""
    return _set(_GRAD, _GRAD.get() or True)


def observing(start: Any) -> AbstractContextManager[None]:
    """Context manager: ``start`` is the observer factory of this thread's passes."""
    return _set(_OBSERVER, start)


observer_factory = _OBSERVER.get
"""``observer_factory()``: the function root -> Observer of this thread, or None."""


def enter_transform() -> tuple[Any, Any]:
    """One more transform is tracing a function in this thread, recording even inside
    ``no_grad``: returns what :func:`exit_transform` restores (plain calls, not a context
    manager: a transform pays this on every call)."""
    return _LEVEL.set(_LEVEL.get() + 1), _GRAD.set(_GRAD.get() or True)


def exit_transform(tokens: tuple[Any, Any]) -> None:
    """Undo :func:`enter_transform`."""
    _GRAD.reset(tokens[1])
    _LEVEL.reset(tokens[0])
