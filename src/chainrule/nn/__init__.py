"""Neural networks on the Tensor engine, with PyTorch's names: modules, layers, losses,
initializations and ``nn.functional``.

``Module`` finds its parameters by walking its attributes; the layers are built from
chainrule's own ops (``Linear`` keeps PyTorch's (out, in) weight layout, ``Sequential``
names its parameters ``0.weight``), so a state_dict maps name for name. The losses take
logits. Optimizers live in :mod:`chainrule.optim`.
"""

from . import functional, init, utils
from .activations import GELU, Flatten, Identity, LeakyReLU, LogSoftmax, Softmax
from .conv_layers import (
                          AdaptiveAvgPool2d,
                          AvgPool2d,
                          BatchNorm1d,
                          BatchNorm2d,
                          Conv1d,
                          Conv2d,
                          MaxPool2d,
)
from .layers import (
                          MLP,
                          Dropout,
                          Dropout2d,
                          Embedding,
                          LayerNorm,
                          Linear,
                          ModuleDict,
                          ModuleList,
                          ReLU,
                          Sequential,
                          Sigmoid,
                          Tanh,
)
from .loss_modules import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss
from .losses import binary_cross_entropy_with_logits, cross_entropy, mse_loss
from .module import Module, load_npz, save_npz
from .parameter import Parameter
from .stateless import functional_call

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv1d", "Conv2d",
    "MaxPool2d",
    "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "Dropout2d", "Embedding", "Flatten",
    "GELU", "HuberLoss", "Identity", "L1Loss", "LayerNorm", "LeakyReLU", "Linear",
    "LogSoftmax", "MLP", "MSELoss", "Module", "ModuleDict", "ModuleList", "NLLLoss",
    "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
    "binary_cross_entropy_with_logits", "cross_entropy", "functional", "functional_call",
    "init", "load_npz", "mse_loss", "save_npz", "utils",
]
