"""Reductions over dims: sum, mean, max/min, var/std, logsumexp, argmax/argmin."""
import builtins
import math
from collections import namedtuple

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ._util import axes

MaxMin = namedtuple("MaxMin", ["values", "indices"])


def _expand_back(grad, shape, axis, keepdim):
    """Broadcast a reduced gradient back over the reduced axes (a read-only view)."""
    if axis is not None and not keepdim:
        grad = np.expand_dims(grad, axis)
    elif axis is None and not keepdim:
        grad = grad.reshape((1,) * len(shape))
    return np.broadcast_to(grad, shape)


def _count(shape, axis):
    if axis is None:
        return math.prod(shape)
    axis = axis if isinstance(axis, tuple) else (axis,)
    return math.prod(shape[a] for a in axis)


class Sum(Function):
    def forward(self, x, *, axis, keepdim):
        self.shape, self.axis, self.keepdim = x.shape, axis, keepdim
        return np.sum(x, axis=axis, keepdims=keepdim)

    def backward(self, grad):
        return _expand_back(grad, self.shape, self.axis, self.keepdim)


class Mean(Function):
    def forward(self, x, *, axis, keepdim):
        self.shape, self.axis, self.keepdim = x.shape, axis, keepdim
        return np.mean(x, axis=axis, keepdims=keepdim)

    def backward(self, grad):
        return _expand_back(grad / _count(self.shape, self.axis), self.shape, self.axis, self.keepdim)


class ExtremumAll(Function):
    """max()/min() over all elements: the gradient is shared evenly among ties (as PyTorch)."""

    def forward(self, x, *, pick):
        out = pick(x)
        self.winners = x == out
        return out

    def backward(self, grad):
        return grad * self.winners / int(np.count_nonzero(self.winners))


class ExtremumDim(Function):
    """max(dim)/min(dim): values; the gradient goes to the returned index."""

    def forward(self, x, *, axis, keepdim, arg):
        self.shape, self.axis, self.keepdim = x.shape, axis, keepdim
        self.indices = np.expand_dims(arg(x, axis=axis), axis)
        values = np.take_along_axis(x, self.indices, axis=axis)
        return values if keepdim else values.squeeze(axis)

    def backward(self, grad):
        out = np.zeros(self.shape, grad.dtype)
        grad = grad if self.keepdim else np.expand_dims(grad, self.axis)
        np.put_along_axis(out, self.indices, grad, axis=self.axis)
        return out


class Var(Function):
    def forward(self, x, *, axis, correction, keepdim):
        self.x, self.axis, self.keepdim = x, axis, keepdim
        self.mean = np.mean(x, axis=axis, keepdims=True)
        self.denominator = builtins.max(_count(x.shape, axis) - correction, 0)
        centered = x - self.mean
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(centered * centered, axis=axis, keepdims=keepdim) / x.dtype.type(self.denominator)

    def backward(self, grad):
        grad = _expand_back(grad, self.x.shape, self.axis, self.keepdim)
        scale = 2.0 / self.denominator if self.denominator else float("inf")
        return grad * (self.x - self.mean) * scale  # dvar/dx = 2 (x - mean) / (N - c)


class LogSumExp(Function):
    def forward(self, x, *, axis, keepdim):
        self.x, self.axis, self.keepdim = x, axis, keepdim
        peak = np.max(x, axis=axis, keepdims=True)
        peak = np.where(np.isfinite(peak), peak, 0)
        self.out = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
        return self.out if keepdim else np.squeeze(self.out, axis)

    def backward(self, grad):
        grad = grad if self.keepdim else np.expand_dims(grad, self.axis)
        return grad * np.exp(self.x - self.out)  # d lse/dx = softmax(x)


# --------------------------------------------------------------------------- public API
def sum(x, dim=None, keepdim=False, dtype=None):
    if x.dtype.kind in "iub" and dtype is None:
        return Tensor(np.sum(x.data, axis=axes(dim, x.ndim), keepdims=keepdim, dtype=np.int64))
    x = x if dtype is None else x.to(dtype)
    return Sum.apply(x, axis=axes(dim, x.ndim), keepdim=keepdim)


def mean(x, dim=None, keepdim=False):
    if x.dtype.kind != "f":
        raise TypeError(f"mean: expected a floating tensor, got {x.dtype}; convert it with .float()")
    return Mean.apply(x, axis=axes(dim, x.ndim), keepdim=keepdim)


def _extremum(x, dim, keepdim, pick, arg):
    if dim is None:
        return ExtremumAll.apply(x, pick=pick)
    axis = axes(dim, x.ndim)
    values = ExtremumDim.apply(x, axis=axis, keepdim=keepdim, arg=arg)
    return MaxMin(values, argmax(x, dim, keepdim) if arg is np.argmax else argmin(x, dim, keepdim))


def max(x, dim=None, keepdim=False):
    """max(x) is the largest element; max(x, dim) gives (values, indices) along dim."""
    if not isinstance(dim, (int, type(None))):  # max(a, b) is the element-wise maximum
        from .elementwise import maximum
        return maximum(x, dim)
    return _extremum(x, dim, keepdim, np.max, np.argmax)


def min(x, dim=None, keepdim=False):
    if not isinstance(dim, (int, type(None))):
        from .elementwise import minimum
        return minimum(x, dim)
    return _extremum(x, dim, keepdim, np.min, np.argmin)


def amax(x, dim=None, keepdim=False):
    return max(x) if dim is None else max(x, dim, keepdim).values


def amin(x, dim=None, keepdim=False):
    return min(x) if dim is None else min(x, dim, keepdim).values


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance with Bessel's correction by default (divide by N - 1)."""
    return Var.apply(x, axis=axes(dim, x.ndim), correction=_correction(unbiased, correction), keepdim=keepdim)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(x, dim, unbiased, keepdim, correction=correction).sqrt()


def logsumexp(x, dim, keepdim=False):
    """log(sum(exp(x), dim)), computed without overflow."""
    return LogSumExp.apply(x, axis=axes(dim, x.ndim), keepdim=keepdim)


def argmax(x, dim=None, keepdim=False):
    if dim is None:
        return Tensor(np.asarray(np.argmax(x.data), dtype=np.int64))
    return Tensor(np.argmax(x.data, axis=axes(dim, x.ndim), keepdims=keepdim).astype(np.int64))


def argmin(x, dim=None, keepdim=False):
    if dim is None:
        return Tensor(np.asarray(np.argmin(x.data), dtype=np.int64))
    return Tensor(np.argmin(x.data, axis=axes(dim, x.ndim), keepdims=keepdim).astype(np.int64))


def all(x, dim=None):
    return Tensor(np.all(x.data, axis=axes(dim, x.ndim)))


def any(x, dim=None):
    return Tensor(np.any(x.data, axis=axes(dim, x.ndim)))
