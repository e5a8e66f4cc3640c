"""The exceptions chainrule raises on purpose."""

from __future__ import annotations

from typing import Any


class ShapeError(ValueError):
    """Operands with incompatible shapes; the message names the op and the shapes."""


class InPlaceError(RuntimeError, TypeError):
    """An in-place write that recording cannot allow (into a leaf that requires grad, or
    into a Tensor computed in a graph): a RuntimeError as PyTorch raises, and a TypeError
    as JAX and HIPS autograd raise for a write into an array being differentiated."""


class GradcheckError(RuntimeError):
    """An analytic gradient disagrees with finite differences.

    Attributes: ``argnum`` (which argument), ``index`` (which element), ``analytic`` and
    ``numeric`` (the two values), ``judged`` (how the numeric value was obtained where f
    has a kink or the step left its domain; "" for a plain central difference).
    """

    def __init__(self, message: str, *, argnum: int | None = None, index: tuple = (),
                 analytic: float = float("nan"), numeric: float = float("nan")) -> None:
        super().__init__(message)
        self.argnum = argnum
        self.index = index
        self.analytic = analytic
        self.blame: Any = None
        self.numeric = numeric
        self.judged = ""          # how the numeric value was obtained, if not centrally


class GradientDroppedWarning(UserWarning):
    """A Scalar or Tensor that requires grad was converted to a plain number while
    recording (``float(x)``, ``math.sin(x)``): the result carries no gradient, so the
    backward pass cannot reach ``x`` through it. The message names the ``cr.`` function to
    use instead. Explicit reads (``.item()``, ``.value``, ``.data``, ``.detach()``) do not
    warn."""


class GradientDroppedError(TypeError):
    """Inside ``cr.grad``, ``jacobian``, ``hessian`` or ``value_and_grad``, a value being
    differentiated was converted to a plain number (``float(x)``, ``x.item()``,
    ``math.sin(x)``): the derivative would silently lose that path, so it is refused (as
    JAX refuses to concretize a tracer)."""


class IndependentOutputWarning(UserWarning):
    """A transform's output does not depend on one of the arguments it differentiates
    with respect to: no differentiable path reaches that argument, so its gradient (or
    Jacobian block) is zeros. Often a sign that the graph was cut (``float``, ``math``)."""
