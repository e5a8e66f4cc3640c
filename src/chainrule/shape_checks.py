"""Shape checks that run before numpy, so a mistake is reported by the op that made it,
with both shapes, instead of as a traceback from inside numpy."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ShapeError


def check_broadcast(op: str, a: tuple[int, ...], b: tuple[int, ...]) -> None:
    """Raise ShapeError unless shapes ``a`` and ``b`` broadcast together (numpy's rule)."""
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and x != 1 and y != 1:
            raise ShapeError(f"{op}: incompatible shapes for broadcasting: {a} and {b} "
                             f"(sizes {x} and {y} differ and neither is 1)")


def check_matmul(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    """Raise ShapeError unless ``a @ b`` is defined (numpy's matmul rules)."""
    if len(a) == 0 or len(b) == 0:
        raise ShapeError(f"matmul: {a} @ {b}: operands must have at least one dimension "
                         "(use * for a scalar)")
    inner_a = a[-1]
    inner_b = b[0] if len(b) == 1 else b[-2]
    if inner_a != inner_b:
        raise ShapeError(f"matmul: {a} @ {b}: inner dimensions {inner_a} and {inner_b} "
                         "differ")
    if len(a) > 2 and len(b) > 2:
        check_broadcast(f"matmul: {a} @ {b}: batch dimensions", a[:-2], b[:-2])


def shape_error(prim: Any, vals: Any, exc: Exception) -> Exception:
    """A chainrule error for numpy's ValueError inside ``prim``'s forward (a LinAlgError,
    which says what is wrong with the matrix, is kept)."""
    if isinstance(exc, np.linalg.LinAlgError):
        return exc
    shapes = ", ".join(str(np.shape(v)) for v in vals[: max(1, prim.n_inputs)]
                       if hasattr(v, "shape") or isinstance(v, (int, float)))
    params = [v for v in vals[prim.n_inputs:]] if not prim.variadic else [vals[-1]]
    extra = f" with parameters {params}" if params else ""
    return ShapeError(f"{prim.name}: cannot apply to shapes {shapes}{extra}: {exc}")
