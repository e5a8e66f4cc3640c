"""The differentiable functions of ``cr`` (``cr.sin``, ``cr.sum``, ``cr.matmul``...), the
Tensor methods and numpy's functions on Tensors."""

from . import building, elementwise, functions, products, shaping, statistics  # noqa: F401  (the modules with @custom functions)

functions.expose()

from . import methods  # noqa: E402  (numpy's tables need every cr. function)

methods.install()
