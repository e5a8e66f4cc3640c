"""The exceptions chainrule raises on purpose."""

from __future__ import annotations

from typing import Any


class ShapeError(ValueError):
    """Operands with incompatible shapes; the message names the op and the shapes."""


class GradcheckError(RuntimeError):
    """An analytic gradient disagrees with finite differences.

    Attributes: ``argnum`` (which argument), ``index`` (which element), ``analytic`` and
    ``numeric`` (the two values).
    """

    def __init__(self, message: str, *, argnum: int | None = None, index: tuple = (),
                 analytic: float = float("nan"), numeric: float = float("nan")) -> None:
        super().__init__(message)
        self.argnum = argnum
        self.index = index
        self.analytic = analytic
        self.blame: Any = None
        self.numeric = numeric
