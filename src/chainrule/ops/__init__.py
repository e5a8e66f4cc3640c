"""The differentiable functions of ``cr`` (``cr.sin``, ``cr.sum``, ``cr.matmul``...), the
Tensor methods and numpy's functions on Tensors."""

from . import methods

methods.install()
