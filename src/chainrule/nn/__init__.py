"""Neural networks on the Tensor engine: modules, layers, losses and initializations.

``Module`` finds its parameters by walking its attributes; ``Linear``, ``ReLU``, ``Tanh``,
``Sigmoid``, ``Dropout``, ``Sequential`` and ``MLP`` are built from chainrule's own ops;
the losses take logits. Optimizers live in :mod:`chainrule.optim`.
"""

from . import functional, init
from .layers import MLP, Dropout, Linear, ReLU, Sequential, Sigmoid, Tanh
from .losses import binary_cross_entropy_with_logits, cross_entropy, mse_loss
from .module import Module, load_npz, save_npz
from .stateless import functional_call

__all__ = [
    "MLP", "Dropout", "Linear", "Module", "ReLU", "Sequential", "Sigmoid", "Tanh",
    "binary_cross_entropy_with_logits", "cross_entropy", "functional", "functional_call", "init",
    "load_npz",
    "mse_loss", "save_npz",
]
