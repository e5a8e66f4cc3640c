"""The parts of a complex number: ``real``, ``imag``, ``conj``, ``angle``.

chainrule follows the convention of JAX and HIPS autograd (see docs/complex.md): for a
real loss L of a complex z = x + iy, the gradient is ``dL/dx - i dL/dy``, and the VJP of a
holomorphic op is ``g * f'(z)`` (no conjugate), so the rules of ``mul``, ``exp``,
``matmul``... hold unchanged for complex data. The ops here are not holomorphic; their VJPs
follow from that convention:

- ``real(z)``: ``g`` (a real cotangent becomes a complex one),
- ``imag(z)``: ``-i g``,
- ``conj(z)``: ``conj(g)``,
- ``angle(z)``: ``-i g / z`` (``-i conj(z) / |z|**2``), 0 at z = 0.

On real data they are the identity, zero, the identity and the constant 0 or pi, with
gradients 1, 0, 1 and 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core import Node
from ..primitive import apply, unary


def is_complex(x: Any) -> bool:
    """Whether ``x`` (a Tensor, an array or a number) holds complex data."""
    v = x.value if isinstance(x, Node) else x
    return np.iscomplexobj(v)


def conjugate(x: Any) -> Any:
    """conj(x), recorded when ``x`` is a Tensor (so a rule using it stays differentiable)."""
    if isinstance(x, Node):
        return apply(CONJ, x)
    return np.conj(x)


def real_part(x: Any) -> Any:
    """real(x), recorded when ``x`` is a Tensor."""
    if isinstance(x, Node):
        return apply(REAL, x)
    return np.real(x)


def _real_vjp(M, g, ans, x):
    # a complex input's cotangent is complex, also where a pass keeps it as a Tensor
    return g * (1 + 0j) if is_complex(x) else g


def _imag_vjp(M, g, ans, x):
    if is_complex(x):
        return g * -1j
    return g * 0.0


def _angle_vjp(M, g, ans, x):
    if not is_complex(x):
        return g * 0.0
    xv = M.value(x)
    at0 = xv == 0
    if np.ndim(xv):
        return M.where(at0, 0.0, g * -1j / M.where(at0, 1.0, x))
    return g * 0.0 if at0 else g * -1j / x


def _fangle(x: float) -> float:
    return math.pi if x < 0 else 0.0


def _angle_jvp(M, t, ans, x):
    if not is_complex(x):
        return t * 0.0
    xv = M.value(x)
    at0 = xv == 0
    if np.ndim(xv):
        return M.where(at0, 0.0, _imag(t / M.where(at0, 1.0, x)))
    return _imag(t) * 0.0 if at0 else _imag(t / x)


def _imag(x: Any) -> Any:
    return apply(IMAG, x)


# derivs: the derivative on real data (what the formula checks evaluate); vjp_text: the
# rule for complex data as well
REAL = unary("real", lambda x: x, np.real, _real_vjp, "1",
             jvps=[lambda M, t, ans, x: real_part(t)], methods=(), formula=False,
             complex=True, vjp_text=["g"], doc="The real part")
IMAG = unary("imag", lambda x: 0.0, np.imag, _imag_vjp, "0",
             jvps=[lambda M, t, ans, x: _imag(t) if is_complex(t) else t * 0.0],
             methods=(), formula=False, complex=True,
             vjp_text=["-i g (0 for real x)"], doc="The imaginary part",
             zero_reason="the imaginary part of real data is 0")
CONJ = unary("conj", lambda x: x, np.conjugate, lambda M, g, ans, x: conjugate(g), "1",
             jvps=[lambda M, t, ans, x: conjugate(t)], methods=("conj",), formula=False,
             complex=True, numpy=(np.conjugate,), vjp_text=["conj(g)"],
             doc="The complex conjugate")
ANGLE = unary("angle", _fangle, np.angle, _angle_vjp, "0", jvps=[_angle_jvp],
              function=None, methods=(), formula=False, complex=True, numpy=(),
              vjp_text=["-i g / z, 0 at z = 0 (0 for real x)"],
              kink="0 at z = 0 (the angle jumps there)", sample=[(0.5, 2.0)],
              zero_reason="the angle of real data is the constant 0 or pi")
