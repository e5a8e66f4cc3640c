"""Convolution, pooling and batch-norm layers with PyTorch's names, weight layouts and
state_dict names (``weight`` (O, C/groups, kh, kw); BatchNorm's ``running_mean``,
``running_var``, ``num_batches_tracked``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ShapeError
from ..ops import functions as F
from ..tensor import Tensor
from . import conv
from . import init as initializers
from .module import Module


class _ConvNd(Module):
    def __init__(self, in_channels: int, out_channels: int, kernel: tuple[int, ...],
                 stride: Any, padding: Any, dilation: Any, groups: int, bias: bool,
                 dtype: Any) -> None:
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{type(self).__name__}: in_channels ({in_channels}) and "
                             f"out_channels ({out_channels}) must divide by groups ({groups})")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding = kernel, stride, padding
        self.dilation, self.groups = dilation, int(groups)
        shape = (self.out_channels, self.in_channels // groups, *kernel)
        fan_in = shape[1] * math.prod(kernel)
        bound = 1.0 / math.sqrt(fan_in)     # PyTorch's default: kaiming_uniform(a=sqrt(5))
        gen = initializers.generator(None)
        self.weight = Tensor(gen.uniform(-bound, bound, shape).astype(dtype),
                             requires_grad=True, name="weight")
        self.bias = (Tensor(gen.uniform(-bound, bound, shape[0]).astype(dtype),
                            requires_grad=True, name="bias") if bias else None)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")


class Conv2d(_ConvNd):
    """2-D convolution (PyTorch's cross-correlation): (N, C, H, W) -> (N, O, OH, OW), with
    ``stride``, ``padding`` (int, pair, 'same' or 'valid'), ``dilation``, ``groups`` and
    ``bias``; weights drawn as PyTorch's default (U(+-1/sqrt(fan_in)))."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any,
                 stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1,
                 bias: bool = True, *, dtype: Any = np.float64) -> None:
        super().__init__(in_channels, out_channels, conv._pair(kernel_size, "kernel_size"),
                         stride, padding, dilation, groups, bias, dtype)

    def forward(self, x: Any) -> Any:
        return conv.conv2d(x, self.weight, self.bias, self.stride, self.padding,
                           self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution: (N, C, L) -> (N, O, OL); arguments as Conv2d's, one number each."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, padding: Any = 0, dilation: int = 1, groups: int = 1,
                 bias: bool = True, *, dtype: Any = np.float64) -> None:
        super().__init__(in_channels, out_channels, (int(kernel_size),), stride, padding,
                         dilation, groups, bias, dtype)

    def forward(self, x: Any) -> Any:
        return conv.conv1d(x, self.weight, self.bias, self.stride, self.padding,
                           self.dilation, self.groups)


class MaxPool2d(Module):
    """Maximum over ``kernel_size`` windows (``stride`` defaults to the kernel size; padding
    counts as -inf; ``dilation`` spaces the window's taps)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1) -> None:
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation = dilation

    def forward(self, x: Any) -> Any:
        return conv.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)


class AvgPool2d(Module):
    """Mean over ``kernel_size`` windows (padding zeros counted)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: Any) -> Any:
        return conv.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class AdaptiveAvgPool2d(Module):
    """Mean over adaptive windows giving an ``output_size`` (int or pair) image."""

    def __init__(self, output_size: Any) -> None:
        self.output_size = output_size

    def forward(self, x: Any) -> Any:
        return conv.adaptive_avg_pool2d(x, self.output_size)


class _BatchNorm(Module):
    axes: tuple[int, ...] = (0,)
    dims: tuple[int, ...] = (2,)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *,
                 dtype: Any = np.float64) -> None:
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.weight = Tensor(np.ones(num_features, dtype), requires_grad=True) \
            if affine else None
        self.bias = Tensor(np.zeros(num_features, dtype), requires_grad=True) \
            if affine else None
        self.track_running_stats = track_running_stats
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))

    def forward(self, x: Any) -> Any:
        shape = np.shape(x.value if isinstance(x, Tensor) else x)
        if len(shape) not in self.dims or shape[1] != self.num_features:
            raise ShapeError(f"{type(self).__name__}({self.num_features}): expected an "
                             f"input of {' or '.join(f'{d}' for d in self.dims)} dims with "
                             f"{self.num_features} channels, got {shape}")
        axes = (0,) + tuple(range(2, len(shape)))
        bshape = (1, -1) + (1,) * (len(shape) - 2)
        if self.training or not self.track_running_stats:
            mean = F.mean(x, axes, True)
            centred = x - mean
            var = F.mean(centred * centred, axes, True)
            if self.training and self.track_running_stats:
                self._track(mean, var, int(np.prod([shape[a] for a in axes])))
            y = centred / F.sqrt(var + self.eps)
        else:
            # Tensor ops, so that a gradient reaches buffers given to functional_call
            rm = F.reshape(self.running_mean, bshape)
            rv = F.reshape(self.running_var, bshape)
            y = (x - rm) / F.sqrt(rv + self.eps)
        if self.weight is not None:
            y = y * F.reshape(self.weight, bshape) + F.reshape(self.bias, bshape)
        return y

    def _track(self, mean: Any, var: Any, n: int) -> None:
        for buffer in (self.num_batches_tracked, self.running_mean, self.running_var):
            buffer._mark_written()      # a write cr.compile sees (and refuses while tracing)
        self.num_batches_tracked.value[...] += 1
        m = self.momentum
        if m is None:                       # a cumulative average, as PyTorch
            m = 1.0 / float(self.num_batches_tracked.value)
        unbiased = _data(var).reshape(-1) * (n / max(n - 1, 1))
        rm, rv = self.running_mean.value, self.running_var.value
        rm *= 1 - m
        rm += m * _data(mean).reshape(-1)
        rv *= 1 - m
        rv += m * unbiased

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


def _data(x: Any) -> np.ndarray:
    # an op on inputs none of which requires grad may give a plain array
    return x.value if isinstance(x, Tensor) else np.asarray(x)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs over the batch (and length):
    batch statistics in training (updating ``running_mean``/``running_var`` with
    ``momentum``, unbiased variance), the running ones in eval."""

    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs per channel; see BatchNorm1d."""

    dims = (4,)
