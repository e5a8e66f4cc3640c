"""What happens when a graph value becomes a plain number: inside a transform an error,
while recording a warning that names the ``cr.`` function to use instead.

An implicit conversion (``float(x)``, ``int(x)``, ``math.sin(x)``, ``np.float64(x)``) of a
Scalar, or of a Tensor that requires grad, drops the gradient through that path without
a trace; the engines call :func:`dropped` from their conversion methods.
"""

from __future__ import annotations

import linecache
import re
import sys
import warnings
from typing import Any

from .core.recording import recording, transform_level
from .errors import GradientDroppedError, GradientDroppedWarning
from .primitive import REGISTRY

_CALL = re.compile(r"\b(math|np|numpy)\.(\w+)\s*\(")


def _suggestion(frame: Any) -> str:
    """``use cr.cos instead of math.cos`` when the caller's line calls a math or numpy
    function that has a ``cr.`` twin; otherwise the general advice."""
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno) if frame else ""
    functions = {p.function for p in REGISTRY.values() if p.function}
    for module, name in _CALL.findall(line):
        if name in functions:
            return f"use cr.{name} instead of {module}.{name}"
    return ("write it with cr. functions (cr.sin, cr.exp, ...) instead of math/numpy on "
            "numbers")


def dropped(node: Any, what: str) -> None:
    """Called by ``float(node)`` and the like (``what``: ``"float()"``): raise a
    GradientDroppedError inside a transform, warn (GradientDroppedWarning) while
    recording, pass quietly otherwise (under ``no_grad``)."""
    kind = type(node).__name__
    frame = sys._getframe(2)
    if transform_level():
        raise GradientDroppedError(
            f"{what} of a {kind} being differentiated inside cr.grad/jacobian/hessian "
            f"would drop its gradient; {_suggestion(frame)}")
    if recording():
        warnings.warn(GradientDroppedWarning(
            f"{what} of a {kind} that requires grad drops its gradient: the backward pass "
            f"cannot reach it through this number; {_suggestion(frame)}, or read .value "
            "(.item() for a Tensor) to drop it on purpose"), stacklevel=3)
