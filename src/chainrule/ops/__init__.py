"""The differentiable functions of ``cr`` (``cr.sin``, ``cr.sum``, ``cr.matmul``...), the
Tensor methods and numpy's functions on Tensors."""

# the modules that write cr. functions (@custom, @composite) load before any is exposed
from . import (  # noqa: F401
    building,
    differences,
    elementwise,
    functions,
    linalg,
    products,
    ranges,
    shaping,
    statistics,
)

functions.expose()

from . import methods  # noqa: E402  (numpy's tables need every cr. function)

methods.install()

from . import fft  # noqa: E402, F401  (np.fft on Tensors; cr.fft is this module)
